/*
 * ui.h -- the kiosk's user interface as pure C: a state machine fed with
 * pointer events and the time, and a layout that turns the state into a
 * list of draw commands (rectangles, text lines, images).  Nothing here
 * touches SDL, files or the store: effects go through struct kui_host,
 * which the app (main.c) implements and tests replace.
 *
 * Widgets have stable ids ("option-2", "next", "prev", "tile-anti-drug",
 * "keypad-5", ...) so scripts can tap them by name.  A widget acts on
 * release inside it; sliding off cancels (LVGL's CLICKED / PRESS_LOST).
 *
 * Time is whatever the caller says it is (milliseconds, monotonic): the
 * state never reads a clock, so tests run on a fixed clock.
 */
#ifndef KIOSK_UI_H
#define KIOSK_UI_H

#include <stddef.h>
#include <stdint.h>

#include <anxin/content.h>
#include <anxin/response.h>

enum kui_screen {
	KUI_ATTRACT,
	KUI_HOME,
	KUI_READER,
	KUI_QUESTION,
	KUI_EXPLAIN, /* correct answer and explanation after a knowledge q */
	KUI_LINK,    /* optional household link: mobile number keypad */
	KUI_THANKS,
	KUI_PIN,     /* staff PIN pad */
	KUI_STAFF,
	KUI_PAUSED,  /* 暂停服务: the store fails and memory holds all it may */
};
/* "attract", "home", ... as used by `expect-screen`. */
const char *kui_screen_name(enum kui_screen s);

/* ---- draw commands ----------------------------------------------------- */
enum kui_cmd_kind { KUI_CMD_RECT, KUI_CMD_TEXT, KUI_CMD_IMAGE, KUI_CMD_ICON };
/* An icon the renderer draws with its own primitives in `box` (a square),
 * in `color`; its kind is in the command's `size`.  No font of ours has
 * 🔊 (U+1F50A): it would render as a missing-glyph box. */
enum kui_icon { KUI_ICON_SPEAKER = 1 };

struct kui_rect {
	int x, y, w, h;
};

struct kui_cmd {
	enum kui_cmd_kind kind;
	struct kui_rect box;  /* rect, image, or the text line's ink box */
	struct kui_rect clip; /* text: the box it must stay inside */
	uint32_t color;       /* 0xAARRGGBB (text colour for text) */
	uint32_t border;      /* rect: border colour, 0 none */
	int radius;           /* rect: corner radius */
	int size;             /* text: pixel size; icon: enum kui_icon */
	const char *text;     /* text: the line (NUL-terminated, in the frame's
	                         arena); image: the file path */
	int widget;           /* index of the widget it belongs to, -1 none */
};

struct kui_widget {
	char id[32];
	struct kui_rect box;
	int enabled;
};

#define KUI_MAX_CMDS 512
#define KUI_MAX_WIDGETS 64
#define KUI_ARENA 32768

struct kui_frame {
	int w, h;
	struct kui_cmd cmds[KUI_MAX_CMDS];
	int ncmds;
	struct kui_widget widgets[KUI_MAX_WIDGETS];
	int nwidgets;
	char arena[KUI_ARENA];
	size_t used;
	int overflow; /* 1 if a list or the arena ran out (a layout bug) */
};

/* Index of the widget with that id, or -1. */
int kui_frame_find(const struct kui_frame *f, const char *id);

/*
 * Check that every text line lies inside the screen and inside its clip
 * box.  Returns the number of problems; each is described in `why`
 * (may be NULL) as "text \"...\" at x,y wxh leaves its box ...".
 */
int kui_frame_check(const struct kui_frame *f, char *why, size_t whylen);

/* ---- colours: the standard palette and 长辈模式's ------------------------ */
struct kui_palette {
	uint32_t bg, ink, muted, head, primary, card, line, white, gold, ok, bad,
	    disabled, attract, shade, select, warn, alert_bg;
};
extern const struct kui_palette kui_palette_std, kui_palette_elder;
/* A topic's tile colour (white text on it); elder: the darker 长辈模式 one. */
uint32_t kui_topic_color(const char *topic, int elder);

/* ---- text metrics (from the renderer, or fixed ones in tests) ---------- */
struct kui_metrics {
	/* advance of one code point at a pixel size */
	int (*advance)(void *ctx, uint32_t cp, int size);
	/* height of one line at a pixel size */
	int (*line_height)(void *ctx, int size);
	void *ctx;
};

/* ---- effects: implemented by the app ----------------------------------- */
struct kui_stats {
	long today_complete, today_partial, today_abandoned;
	long pending;          /* outbox backlog */
	long long last_sync;   /* epoch seconds, 0 never */
	char sync_error[128];  /* "" when fine */
	int volume;            /* narration volume 0-100 */
	int mute;              /* 1: narration muted by staff */
	int quiet;             /* 1: within the configured quiet hours (muted) */
};

enum kui_status { KUI_COMPLETE, KUI_PARTIAL, KUI_ABANDONED };

struct kui_host {
	void *ctx;
	/* A resident started survey s.  Returns 0; KUI_BEGIN_PAUSED when the
	 * kiosk takes no new surveys (the UI shows 暂停服务); or -1 if the
	 * session cannot be stored (the UI then shows an error and stays). */
	int (*begin)(void *ctx, const struct ax_survey *s);
	/* Commit the resident's answers before the next screen shows.  r
	 * (borrowed for the call) is the whole response with question qi just
	 * answered; `withdrawn` has bit i set for each later question whose
	 * answer that change withdrew (its question no longer shown,
	 * ax_response_set).  The UI adopts r only when this returns 0; on -1
	 * the resident stays on the question with a message.  While it runs
	 * the UI still shows the question being answered. */
	int (*answer)(void *ctx, const struct ax_response *r, int qi,
	              uint64_t withdrawn);
	/* End the session.  `phone` (may be NULL) is the normalised number the
	 * resident typed: seal it and forget it.  Returns 0 or -1. */
	int (*finish)(void *ctx, enum kui_status st, const char *phone);
	/* 1 if a household link can be offered (a seal key is known). */
	int (*can_link)(void *ctx);
	/* Normalise a typed number into out[24]; 0 if it is a mobile number. */
	int (*normalize_phone)(void *ctx, const char *digits, char out[24]);
	/* 1 if pin is the staff PIN. */
	int (*check_pin)(void *ctx, const char *pin);
	void (*stats)(void *ctx, struct kui_stats *out);
	void (*sync_now)(void *ctx);
	/* Play a pack's narration (the file's path, the pack's folder joined),
	 * or stop with NULL. */
	void (*play)(void *ctx, const char *path);
	/* A seed from a good random source (getrandom) for the draw and the
	 * option order of a survey with "draw" or "shuffle" (may be NULL:
	 * then everything is shown in the order written). */
	uint64_t (*seed)(void *ctx);
	/* Staff set the narration's volume (0-100) and mute on the staff
	 * screen: keep them across restarts and apply them to what plays
	 * (may be NULL: the staff screen then shows no audio controls). */
	void (*set_audio)(void *ctx, int volume, int mute);
};

#define KUI_BEGIN_PAUSED 1

/* ---- the store's health, as the host reports it ------------------------- */
enum kui_store_state {
	KUI_STORE_OK,
	KUI_STORE_FULL,     /* disk full */
	KUI_STORE_READONLY, /* file system read-only */
	KUI_STORE_FAILED,   /* I/O errors */
};
struct kui_storage {
	enum kui_store_state state;
	int held;      /* sessions held only in memory */
	int hold_max;  /* the bound: at it, new surveys are refused */
	int retry_s;   /* seconds between attempts to write them */
};

/* ---- state ----------------------------------------------------------- */
struct kui_config {
	int idle_ms;         /* no input this long: 您还在吗？ (60000) */
	int countdown_ms;    /* then reset after this long (10000) */
	int slide_ms;        /* attract slide period (7000) */
	int lock_ms;         /* input locked after a submit (2000) */
	int settle_ms;       /* a new question or the number pad ignores touches
	                        this long after it appears: a slow double tap
	                        (400-500 ms) must not answer it unseen (550) */
	int thanks_ms;       /* thank-you screen back to attract (20000) */
	int pin_max_tries;   /* wrong PINs before a lockout (3) */
	int pin_lock_ms;     /* first lockout, doubles each time (30000) */
	int pin_lock_max_ms; /* ... up to this (300000) */
	int pin_decay_ms;    /* each this long without a wrong PIN halves the
	                        next lockout back towards the first (600000) */
	const char *title;   /* header, "安心 · 平安宣传" */
	int dpi;             /* the panel's pixels per inch ([screen] dpi, 150) */
};
void kui_config_defaults(struct kui_config *c);

enum kui_ev_kind { KUI_EV_DOWN, KUI_EV_MOVE, KUI_EV_UP, KUI_EV_TICK };
struct kui_event {
	enum kui_ev_kind kind;
	int x, y;
	long long now; /* ms, monotonic */
};

#define KUI_MAX_PACKS 16

typedef struct kui kui;

/*
 * New UI over the given packs and surveys (borrowed: they outlive the UI).
 * `main_survey` is the survey of the 参与问卷 button (may be NULL);
 * `quiz_for(pack)` finds a pack's knowledge survey (aware-<pack id>).
 * Returns NULL when out of memory.
 */
kui *kui_new(const struct kui_config *cfg, const struct kui_host *host,
             const struct kui_metrics *m, int w, int h,
             const struct ax_pack *const *packs, int npacks,
             const struct ax_survey *main_survey,
             const struct ax_survey *const *quizzes, int nquizzes,
             long long now);
void kui_free(kui *u);

/* Feed one event.  Returns 1 if the screen must be redrawn. */
int kui_handle(kui *u, const struct kui_event *ev);

/* Lay the current state out into f.  Pure: same state, same frame. */
void kui_layout(kui *u, struct kui_frame *f);

/* Time (ms) at which the state changes on its own (slide, countdown), or
 * -1 if it will not: the main loop sleeps until then. */
long long kui_deadline(const kui *u);

enum kui_screen kui_current(const kui *u);
/* 1 while 您还在吗？ is showing. */
int kui_idle_prompt(const kui *u);
/* The app drew the current state and it reached the screen at `now`
 * (ms, the clock of the events): a screen that changed since the last
 * call counts as appeared then, and touches that began before are
 * ignored (they were aimed at what was there before). */
void kui_presented(kui *u, long long now);
/* Change the screen size (rotation, tests). */
void kui_resize(kui *u, int w, int h);
/* The pack a contact of the current session credits (borrowed): the pack
 * this resident last opened in the reader, else the current survey's
 * topic pack (a pack's quiz, or the one topic it measures), else NULL.
 * Meant to be called from host.finish. */
const char *kui_session_pack(const kui *u);
/* 1 when the current session repeats a survey completed earlier in the
 * same visit (no idle reset in between): its record is kept and marked
 * "repeat", and counting skips it.  Meant to be called from host.finish. */
int kui_session_repeat(const kui *u);
/* Tell the UI the store's health (copied).  While it is not OK, or
 * sessions are held in memory, resident screens show a small discreet
 * dot in the top-left (staff) corner and the staff screen an alert that
 * says what memory holds and that it is lost on power-off.  Returns 1 if
 * the screen must be redrawn. */
int kui_set_storage(kui *u, const struct kui_storage *st);

/* 1 while 长辈模式 is on (turned on by the home screen's 长辈模式 button,
 * off with the session: larger type, higher contrast, fewer items per
 * screen, larger tap targets, pages narrating themselves). */
int kui_elder(const kui *u);

/* Knowledge score of the finished or current session. */
void kui_score(const kui *u, int *right, int *asked);

/* Test helpers: jump to a screen with sample state (for screenshots). */
/* Pages narrate themselves when shown (长辈模式 turns this on); a reset
 * (idle, session end) turns it off. */
void kui_set_narrate_auto(kui *u, int on);
int kui_debug_goto(kui *u, const char *screen, long long now);

#endif
