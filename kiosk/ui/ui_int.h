/*
 * ui_int.h -- internals shared by the kiosk UI's three parts (see ui.h):
 *
 *   ui_state.c    the state machine: events, transitions, timers; what a
 *                 survey means (show-if, progress, scoring, withdrawal)
 *                 is libanxin's (response.h), over u->r
 *   ui_screens.c  the layout of each screen into draw commands
 *   ui_draw.c     drawing primitives over kui_frame: rectangles, wrapped
 *                 text, buttons, the header bar, the keypad; frame checks
 *
 * Nothing here is part of the public API.  Sizes derive from
 * S = min(width, height) so one layout serves 1080x1920, 1920x1080 and
 * 1280x800.  The smallest touch target is S * 0.095 (76 px at 800, 103 px
 * at 1080): at the 0.17-0.25 mm pixel pitch of 10-22" kiosk panels that is
 * 13-25 mm, above the 12 mm floor.
 */
#ifndef KIOSK_UI_INT_H
#define KIOSK_UI_INT_H

#include "ui.h"

/* ==== colours: the session's palette (ui.h; 长辈模式 has its own) ==== */
#define PAL(u) ((u)->elder ? &kui_palette_elder : &kui_palette_std)
#define C_BG (PAL(u)->bg)
#define C_INK (PAL(u)->ink)
#define C_MUTED (PAL(u)->muted)
#define C_HEAD (PAL(u)->head)
#define C_PRIMARY (PAL(u)->primary)
#define C_CARD (PAL(u)->card)
#define C_LINE (PAL(u)->line)
#define C_WHITE (PAL(u)->white)
#define C_GOLD (PAL(u)->gold)
#define C_OK (PAL(u)->ok)
#define C_BAD (PAL(u)->bad)
#define C_DISABLED (PAL(u)->disabled)
#define C_ATTRACT (PAL(u)->attract)
#define C_SHADE (PAL(u)->shade)
#define C_SELECT (PAL(u)->select)
#define C_WARN (PAL(u)->warn)
#define C_ALERT_BG (PAL(u)->alert_bg)

/* ==== state: the whole UI, one allocation ============================= */
struct kui {
	struct kui_config cfg;
	struct kui_host host;
	struct kui_metrics m;
	int w, h;
	const struct ax_pack *packs[KUI_MAX_PACKS];
	int npacks;
	const struct ax_survey *main_survey;
	const struct ax_survey *quizzes[KUI_MAX_PACKS];
	int nquizzes;

	enum kui_screen screen;
	long long now, last_input;
	int idle_prompt;
	long long prompt_at;

	int slide;
	long long slide_at;

	int pack, page;
	int read_pack; /* pack this resident opened last, -1 none */
	int narrate_auto; /* pages narrate themselves (长辈模式); reset with the session */
	int elder;        /* 长辈模式; reset with the session */
	int home_page;    /* 长辈模式's home shows the tiles a few at a time */
	int opt_page;     /* 长辈模式: the page of a question's options (更多选项),
	                     taken modulo the pages the layout makes */

	const struct ax_survey *sv; /* NULL: no session */
	int qi;
	struct ax_response r; /* the committed answers (r.survey == sv) */
	uint64_t multi;       /* multi-choice being edited: option bits */
	long long lock_until;
	int right, asked;     /* knowledge score when the survey ended */
	/* surveys completed in this visit (it ends with idle_ms of no
	 * input: the idle reset, or a quiet kiosk before the next tap), and
	 * whether the session repeats one of them */
	const struct ax_survey *visit_done[2 * KUI_MAX_PACKS + 2];
	int nvisit_done;
	int repeat;

	char digits[16];
	int link_error;
	long long thanks_at;

	char pressed[32];
	int pressing, press_x, press_y;
	/* what is on screen: seq counts changes of it (a screen, a question);
	 * a press acts only if seq has not moved since the finger went down.
	 * shown_at: when the current one appeared (kui_presented moves it to
	 * the time the frame reached the glass); touches that began before
	 * are ignored. */
	unsigned seq, press_seq, presented_seq;
	long long shown_at;
	int confirm_exit; /* 退出 asked: 确定退出吗？ shows over the question */

	long long corner[5];
	int ncorner;

	char pin[12];
	int pin_fails, pin_msg;
	long long pin_lock_until;
	int pin_lock_ms;
	long long pin_last_fail; /* for the lockout's decay */
	struct kui_stats stats;
	struct kui_storage storage;

	char error[128];
	struct kui_frame scratch; /* for hit tests */
};

/* ==== geometry ========================================================== */
static inline int S(const kui *u)
{
	return u->w < u->h ? u->w : u->h;
}
/* Button height: larger in 长辈模式 */
static inline int BH(const kui *u)
{
	return S(u) * (u->elder ? 15 : 12) / 100;
}
static inline int landscape(const kui *u)
{
	return u->w > u->h;
}
static inline struct kui_rect R(int x, int y, int w, int h)
{
	struct kui_rect r = {x, y, w, h};
	return r;
}
static inline struct kui_rect inset(struct kui_rect r, int d)
{
	return R(r.x + d, r.y + d, r.w - 2 * d, r.h - 2 * d);
}

/* ==== drawing primitives (ui_draw.c) ===================================== */
/* text alignment flags, or'ed */
enum { AL_LEFT = 0, AL_CENTER = 1, VA_TOP = 0, VA_MIDDLE = 2,
       TX_FIRM = 4 /* shrink to 90 % at most, then cut (…): a summary */ };

/* B_ENTRY: a plain button whose label may use its height (长辈模式 大字:
 * the entry the residents who need large type must be able to read) */
enum btn_style { B_PRIMARY, B_PLAIN, B_OPTION, B_SELECTED, B_RIGHT, B_WRONG, B_ENTRY };

/* A filled rectangle; border 0 draws none; widget -1 for none. */
void kui__rect(struct kui_frame *f, struct kui_rect r, uint32_t color,
               int radius, uint32_t border, int widget);
/* Register a widget (id copied); returns its index, -1 if the list is full
 * (the frame is then marked overflowed). */
int kui__widget(struct kui_frame *f, const char *id, struct kui_rect r,
                int enabled);
/* Largest size from `size` down to `min` at which t fits on one line of
 * width w; 0 if it does not fit even at `min`. */
int kui__one_line_size(const kui *u, const char *t, int w, int size, int min);
/* Height t needs wrapped in width w at `size` (the mode's size of it,
 * never shrunk). */
int kui__text_height(const kui *u, const char *t, int w, int size);
/* Wrapped text in box, shrunk down to 60 % of size to fit (TX_FIRM: 90 %),
 * each line clipped to clip; returns the height used.  t is copied into the arena. */
int kui__text(const kui *u, struct kui_frame *f, const char *t,
              struct kui_rect box, struct kui_rect clip, int size,
              uint32_t color, int align, int widget_ix);
/* A widget drawn as a button with a centred or left-aligned label. */
void kui__button(const kui *u, struct kui_frame *f, const char *id,
                 struct kui_rect r, const char *label, enum btn_style st,
                 int enabled);
/* A plain button with an icon (enum kui_icon) before its label, the two
 * centred together: 🔊 朗读. */
void kui__icon_button(const kui *u, struct kui_frame *f, const char *id,
                      struct kui_rect r, int icon, const char *label);
/* Header bar with the title and, if home_label, a "home" button; returns
 * its height. */
int kui__header(const kui *u, struct kui_frame *f, const char *title,
                const char *home_label);
/* 3x4 keypad in box: keypad-1..9, keypad-del, keypad-0, keypad-ok. */
void kui__keypad(const kui *u, struct kui_frame *f, struct kui_rect box,
                 const char *ok_label, int ok_enabled);

/* Tiles the home screen shows at once (ui_screens.c). */
int kui__home_per_page(const kui *u);

/* ==== helpers (ui_state.c) ============================================= */
/* The knowledge survey of pack p (aware-<id>, else the one measuring
 * p's topic; borrowed), or NULL. */
const struct ax_survey *kui__quiz_of(const kui *u, const struct ax_pack *p);

#endif
