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

/* ==== colours (calm, high contrast: text on surfaces >= 7:1) =========== */
#define C_BG 0xFFF4F1EAu      /* warm paper */
#define C_INK 0xFF1B2626u     /* body text */
#define C_MUTED 0xFF4D5B5Au   /* secondary text, still >= 7:1 on C_BG */
#define C_HEAD 0xFF1F4F4Bu    /* header bar */
#define C_PRIMARY 0xFF22665Fu /* primary buttons */
#define C_CARD 0xFFFFFFFFu
#define C_LINE 0xFFB9C7C4u
#define C_WHITE 0xFFFFFFFFu
#define C_GOLD 0xFFF2C14Eu
#define C_OK 0xFF1E6B34u
#define C_BAD 0xFF9E2B25u
#define C_DISABLED 0xFFC9CFCDu
#define C_ATTRACT 0xFF163B38u
#define C_SHADE 0xB0000000u
#define C_SELECT 0xFFDCEFEAu
#define C_WARN 0xFFE0871Bu    /* the store-alert dot: amber, not alarm red */
#define C_ALERT_BG 0xFFFBE9E7u

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
enum { AL_LEFT = 0, AL_CENTER = 1, VA_TOP = 0, VA_MIDDLE = 2 };

enum btn_style { B_PRIMARY, B_PLAIN, B_OPTION, B_SELECTED, B_RIGHT, B_WRONG };

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
/* Wrapped text in box, shrunk down to 60 % of size to fit, each line
 * clipped to clip; returns the height used.  t is copied into the arena. */
int kui__text(const kui *u, struct kui_frame *f, const char *t,
              struct kui_rect box, struct kui_rect clip, int size,
              uint32_t color, int align, int widget_ix);
/* A widget drawn as a button with a centred or left-aligned label. */
void kui__button(const kui *u, struct kui_frame *f, const char *id,
                 struct kui_rect r, const char *label, enum btn_style st,
                 int enabled);
/* Header bar with the title and, if home_label, a "home" button; returns
 * its height. */
int kui__header(const kui *u, struct kui_frame *f, const char *title,
                const char *home_label);
/* 3x4 keypad in box: keypad-1..9, keypad-del, keypad-0, keypad-ok. */
void kui__keypad(const kui *u, struct kui_frame *f, struct kui_rect box,
                 const char *ok_label, int ok_enabled);

/* ==== helpers (ui_state.c) ============================================= */
/* The knowledge survey of pack p (aware-<id>, else the one measuring
 * p's topic; borrowed), or NULL. */
const struct ax_survey *kui__quiz_of(const kui *u, const struct ax_pack *p);

#endif
