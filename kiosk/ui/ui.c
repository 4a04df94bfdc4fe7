/*
 * ui.c -- the kiosk state machine and its layout (see ui.h).
 *
 * Sections: frame building blocks, layout of each screen, the state
 * machine (events, idle, staff gesture), public entry points.
 *
 * Sizes derive from S = min(width, height) so one layout serves
 * 1080x1920, 1920x1080 and 1280x800.  The smallest touch target is
 * S * 0.095 (76 px at 800, 103 px at 1080): at the 0.17-0.25 mm pixel
 * pitch of 10-22" kiosk panels that is 13-25 mm, above the 12 mm floor.
 */
#include "ui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wrap.h"

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

static uint32_t topic_color(const char *topic)
{
	static const struct {
		const char *t;
		uint32_t c;
	} map[] = {
	    {"family_safety", 0xFFA5442Fu}, {"anti_drug", 0xFF2F5F96u},
	    {"anti_cult", 0xFF5E4C96u},     {"anti_pyramid", 0xFF8A5A12u},
	    {"anti_fraud", 0xFF23694Bu},
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (topic && strcmp(map[i].t, topic) == 0)
			return map[i].c;
	return C_PRIMARY;
}

/* ==== state ============================================================ */
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

	const struct ax_survey *sv; /* NULL: no session */
	int qi;
	char answers[KUI_MAX_QUESTIONS][64]; /* committed, "" none */
	char multi[64];                      /* multi-choice being edited */
	int hist[KUI_MAX_QUESTIONS];
	int nhist;
	long long lock_until;
	int right, asked;

	char digits[16];
	int link_error;
	long long thanks_at;

	char pressed[32];
	int pressing, press_x, press_y;

	long long corner[5];
	int ncorner;

	char pin[12];
	int pin_fails, pin_msg;
	long long pin_lock_until;
	int pin_lock_ms;
	struct kui_stats stats;
	struct kui_storage storage;

	char error[128];
	struct kui_frame scratch; /* for hit tests */
};

const char *kui_screen_name(enum kui_screen s)
{
	static const char *const names[] = {"attract", "home",  "reader",
	                                    "question", "explain", "link",
	                                    "thanks",  "pin",   "staff",
	                                    "paused"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

void kui_config_defaults(struct kui_config *c)
{
	c->idle_ms = 60000;
	c->countdown_ms = 10000;
	c->slide_ms = 7000;
	c->lock_ms = 2000;
	c->thanks_ms = 20000;
	c->pin_max_tries = 3;
	c->pin_lock_ms = 30000;
	c->title = "安心 · 平安宣传";
}

static int S(const kui *u)
{
	return u->w < u->h ? u->w : u->h;
}
static int landscape(const kui *u)
{
	return u->w > u->h;
}

/* ==== frame building blocks ============================================ */
static const char *arena_str(struct kui_frame *f, const char *s, size_t len)
{
	char *p;
	if (f->used + len + 1 > sizeof f->arena) {
		f->overflow = 1;
		return "";
	}
	p = f->arena + f->used;
	memcpy(p, s, len);
	p[len] = 0;
	f->used += len + 1;
	return p;
}

static struct kui_cmd *push(struct kui_frame *f, enum kui_cmd_kind k)
{
	struct kui_cmd *c;
	if (f->ncmds >= KUI_MAX_CMDS) {
		f->overflow = 1;
		return NULL;
	}
	c = &f->cmds[f->ncmds++];
	memset(c, 0, sizeof *c);
	c->kind = k;
	c->widget = -1;
	return c;
}

static void rect(struct kui_frame *f, struct kui_rect r, uint32_t color,
                 int radius, uint32_t border, int widget)
{
	struct kui_cmd *c = push(f, KUI_CMD_RECT);
	if (!c)
		return;
	c->box = r;
	c->color = color;
	c->radius = radius;
	c->border = border;
	c->widget = widget;
}

static int widget(struct kui_frame *f, const char *id, struct kui_rect r,
                  int enabled)
{
	struct kui_widget *w;
	if (f->nwidgets >= KUI_MAX_WIDGETS) {
		f->overflow = 1;
		return -1;
	}
	w = &f->widgets[f->nwidgets];
	snprintf(w->id, sizeof w->id, "%s", id);
	w->box = r;
	w->enabled = enabled;
	return f->nwidgets++;
}

static struct kui_rect R(int x, int y, int w, int h)
{
	struct kui_rect r = {x, y, w, h};
	return r;
}

static struct kui_rect inset(struct kui_rect r, int d)
{
	return R(r.x + d, r.y + d, r.w - 2 * d, r.h - 2 * d);
}

struct adv_ctx {
	const struct kui_metrics *m;
	int size;
};
static int adv(void *ctx, uint32_t cp)
{
	struct adv_ctx *a = ctx;
	return a->m->advance(a->m->ctx, cp, a->size);
}

enum { AL_LEFT = 0, AL_CENTER = 1, VA_TOP = 0, VA_MIDDLE = 2 };

#define MAX_LINES 32

/* Lines text needs at size in width w; heights in *hgt. */
static int measure(const kui *u, const char *t, int size, int w,
                   struct kwrap_line *lines, int *hgt)
{
	struct adv_ctx a = {&u->m, size};
	int n = kwrap_break(t, strlen(t), w, adv, &a, lines, MAX_LINES);
	int lh = u->m.line_height(u->m.ctx, size);
	*hgt = n * lh + (n > 1 ? (n - 1) * (lh / 5) : 0);
	return n;
}

/* 1 if a line holds a single character (with any closing punctuation the
 * line breaker pulled along): a widow, "骗" alone under "反电信网络诈". */
static int widow(const char *t, const struct kwrap_line *l)
{
	size_t i = 0;
	int n = 0;
	while (i < l->len) {
		uint32_t cp = kwrap_utf8_next(t + l->off, l->len, &i);
		if (!kwrap_no_start(cp) && cp != ' ')
			n++;
	}
	return n <= 1;
}

/*
 * Avoid a widow: narrow the lines half a character at a time (down to 60 %
 * of the box) until the last line takes two characters, keeping the same
 * number of lines, so the height, and what fits, are unchanged.
 */
static void rebalance(const kui *u, const char *t, int size, int w,
                      struct kwrap_line *lines, int n)
{
	struct kwrap_line alt[MAX_LINES];
	int step = size / 2 > 0 ? size / 2 : 1, h2;
	if (n < 2 || n > MAX_LINES || !widow(t, &lines[n - 1]))
		return;
	for (int w2 = w - step; w2 >= w * 6 / 10; w2 -= step) {
		if (measure(u, t, size, w2, alt, &h2) != n)
			return;
		if (!widow(t, &alt[n - 1])) {
			memcpy(lines, alt, (size_t)n * sizeof alt[0]);
			return;
		}
	}
}

/* Largest size from `size` down to `min` at which t fits on one line of
 * width w; 0 if it does not fit even at `min`. */
static int one_line_size(const kui *u, const char *t, int w, int size, int min)
{
	struct kwrap_line l[2];
	int h;
	for (; size >= min && size > 0; size--)
		if (measure(u, t, size, w, l, &h) <= 1)
			return size;
	return 0;
}

/*
 * Wrap text into box at the largest size from `size` down to 60 % of it
 * that fits; emit one text command per line.  Returns the height used.
 * A lone last character is avoided by narrowing the lines (rebalance).
 * Text that still does not fit is cut after the last whole line (and the
 * frame check reports nothing, because nothing was drawn outside).
 */
static int text(const kui *u, struct kui_frame *f, const char *t,
                struct kui_rect box, struct kui_rect clip, int size,
                uint32_t color, int align, int widget_ix)
{
	struct kwrap_line lines[MAX_LINES];
	int n, hgt, lh, gap, y, min = size * 6 / 10;

	if (!t || !*t || box.w <= 0 || box.h <= 0)
		return 0;
	for (;;) {
		n = measure(u, t, size, box.w, lines, &hgt);
		if ((hgt <= box.h && n <= MAX_LINES) || size <= min)
			break;
		size -= size > 40 ? 3 : 2;
	}
	if (n > MAX_LINES)
		n = MAX_LINES;
	rebalance(u, t, size, box.w, lines, n);
	lh = u->m.line_height(u->m.ctx, size);
	gap = lh / 5;
	y = box.y;
	if (align & VA_MIDDLE) {
		if (hgt < box.h)
			y += (box.h - hgt) / 2;
	}
	for (int i = 0; i < n; i++) {
		struct kui_cmd *c;
		if (y + lh > box.y + box.h && i > 0)
			break;
		c = push(f, KUI_CMD_TEXT);
		if (!c)
			break;
		c->text = arena_str(f, t + lines[i].off, lines[i].len);
		c->box = R((align & AL_CENTER) ? box.x + (box.w - lines[i].width) / 2
		                               : box.x,
		           y, lines[i].width, lh);
		c->clip = clip;
		c->color = color;
		c->size = size;
		c->widget = widget_ix;
		y += lh + gap;
	}
	return y - gap - box.y;
}

enum btn_style { B_PRIMARY, B_PLAIN, B_OPTION, B_SELECTED, B_RIGHT, B_WRONG };

static void button(const kui *u, struct kui_frame *f, const char *id,
                   struct kui_rect r, const char *label, enum btn_style st,
                   int enabled)
{
	uint32_t bg, fg, border = 0;
	int wi = widget(f, id, r, enabled);
	int s = S(u), size = s / 19;
	int pad = s / 60;

	switch (st) {
	case B_PRIMARY:
		bg = C_PRIMARY, fg = C_WHITE;
		break;
	case B_SELECTED:
		bg = C_SELECT, fg = C_INK, border = C_PRIMARY;
		break;
	case B_RIGHT:
		bg = 0xFFE1F0E4u, fg = C_OK, border = C_OK;
		break;
	case B_WRONG:
		bg = 0xFFF6E1DFu, fg = C_BAD, border = C_BAD;
		break;
	case B_OPTION:
		bg = C_CARD, fg = C_INK, border = C_LINE;
		break;
	default:
		bg = C_CARD, fg = C_PRIMARY, border = C_PRIMARY;
	}
	if (!enabled)
		bg = st == B_PRIMARY ? C_DISABLED : bg, fg = C_MUTED;
	rect(f, r, bg, s / 45, border, wi);
	text(u, f, label, inset(r, pad + s / 80), r, size, fg,
	     (st == B_OPTION || st == B_SELECTED || st == B_RIGHT || st == B_WRONG)
	         ? VA_MIDDLE
	         : (AL_CENTER | VA_MIDDLE),
	     wi);
}

/* Header bar with the title and, optionally, a home button. */
static int header(const kui *u, struct kui_frame *f, const char *title,
                  const char *home_label)
{
	int s = S(u), hh = s * 11 / 100, pad = s / 30;
	rect(f, R(0, 0, u->w, hh), C_HEAD, 0, 0, -1);
	if (home_label) {
		int bw = s * 30 / 100;
		struct kui_rect b = R(u->w - bw - pad / 2, hh / 8, bw, hh * 3 / 4);
		int wi = widget(f, "home", b, 1);
		rect(f, b, 0xFF2E6A65u, s / 50, 0xFF8FB5AFu, wi);
		text(u, f, home_label, inset(b, s / 80), b, s / 22, C_WHITE,
		     AL_CENTER | VA_MIDDLE, wi);
		text(u, f, title, R(pad, 0, u->w - bw - 2 * pad, hh), R(0, 0, u->w, hh),
		     s / 18, C_WHITE, VA_MIDDLE, -1);
	} else {
		text(u, f, title, R(pad, 0, u->w - 2 * pad, hh), R(0, 0, u->w, hh),
		     s / 18, C_WHITE, VA_MIDDLE, -1);
	}
	return hh;
}

/* ==== survey helpers ==================================================== */
static int qindex(const kui *u, const char *qid)
{
	for (int i = 0; i < u->sv->nquestions && i < KUI_MAX_QUESTIONS; i++)
		if (strcmp(u->sv->questions[i].id, qid) == 0)
			return i;
	return -1;
}

static int has_code(const char *list, const char *code)
{
	size_t n = strlen(code);
	const char *p = list;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && strncmp(p, code, n) == 0)
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int shown(const kui *u, int i)
{
	const struct ax_question *q = &u->sv->questions[i];
	int j;
	if (!q->show_if_question)
		return 1;
	j = qindex(u, q->show_if_question);
	if (j < 0 || !u->answers[j][0])
		return 0;
	for (int k = 0; k < q->nshow_if_any; k++)
		if (has_code(u->answers[j], q->show_if_any[k]))
			return 1;
	return 0;
}

static int nquestions(const kui *u)
{
	int n = 0;
	return u->sv ? (n = u->sv->nquestions) > KUI_MAX_QUESTIONS
	                   ? KUI_MAX_QUESTIONS
	                   : n
	             : 0;
}

/* position (1-based) of question qi among shown ones, and their count */
static void progress(const kui *u, int *pos, int *total)
{
	*pos = 0;
	*total = 0;
	for (int i = 0; i < nquestions(u); i++) {
		if (!shown(u, i))
			continue;
		(*total)++;
		if (i <= u->qi)
			*pos = *total;
	}
}

static void score(kui *u)
{
	u->right = u->asked = 0;
	for (int i = 0; u->sv && i < nquestions(u); i++) {
		const struct ax_question *q = &u->sv->questions[i];
		if (q->type != AX_Q_KNOWLEDGE || !shown(u, i) || !u->answers[i][0])
			continue;
		u->asked++;
		if (q->answer && strcmp(q->answer, u->answers[i]) == 0)
			u->right++;
	}
}

static const struct ax_option *option_of(const struct ax_question *q,
                                         const char *code)
{
	for (int i = 0; i < q->noptions; i++)
		if (strcmp(q->options[i].code, code) == 0)
			return &q->options[i];
	return NULL;
}

static const struct ax_survey *quiz_of(const kui *u, const struct ax_pack *p)
{
	char want[80];
	snprintf(want, sizeof want, "aware-%s", p->id);
	for (int i = 0; i < u->nquizzes; i++)
		if (strcmp(u->quizzes[i]->id, want) == 0)
			return u->quizzes[i];
	return NULL;
}

/* ==== screens: layout ================================================== */
static void lay_attract(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 14, y;
	const struct ax_pack *p;
	const struct ax_page *pg;
	struct kui_rect all = R(0, 0, u->w, u->h);
	int wi;
	char body[512];

	rect(f, all, C_ATTRACT, 0, 0, -1);
	wi = widget(f, "start", all, 1);
	text(u, f, u->cfg.title, R(pad, pad / 2, u->w - 2 * pad, s / 10), all,
	     s / 20, 0xFFCFE3DFu, VA_MIDDLE, -1);
	if (u->npacks == 0) {
		text(u, f, "欢迎使用", R(pad, u->h / 3, u->w - 2 * pad, s / 4), all,
		     s / 9, C_WHITE, AL_CENTER | VA_MIDDLE, wi);
	} else {
		int n = 0, k = u->slide, pi = 0, gi = 0;
		/* slide k walks pack by pack over their first three pages */
		for (int i = 0; i < u->npacks; i++)
			n += u->packs[i]->npages < 3 ? u->packs[i]->npages : 3;
		k = n ? k % n : 0;
		for (pi = 0; pi < u->npacks; pi++) {
			int c = u->packs[pi]->npages < 3 ? u->packs[pi]->npages : 3;
			if (k < c) {
				gi = k;
				break;
			}
			k -= c;
		}
		if (pi >= u->npacks)
			pi = 0;
		p = u->packs[pi];
		pg = p->npages ? &p->pages[gi] : NULL;
		y = u->h * 22 / 100;
		{
			/* topic chip */
			int cw = s * 42 / 100, ch = s / 11;
			struct kui_rect chip = R(pad, y, cw, ch);
			rect(f, chip, topic_color(p->topic), ch / 2, 0, -1);
			text(u, f, p->title, inset(chip, ch / 6), chip, s / 22, C_WHITE,
			     AL_CENTER | VA_MIDDLE, -1);
			y += ch + s / 20;
		}
		if (pg) {
			int h1 = text(u, f, pg->title, R(pad, y, u->w - 2 * pad, s / 3),
			              all, s / 10, C_WHITE, 0, -1);
			y += h1 + s / 20;
			rect(f, R(pad, y, s / 6, s / 90), C_GOLD, 0, 0, -1);
			y += s / 20;
			/* the key sentence: the body up to its first 。 */
			snprintf(body, sizeof body, "%s", pg->body);
			{
				char *e = strstr(body, "。");
				if (e)
					e[3] = 0;
			}
			text(u, f, body,
			     R(pad, y, u->w - 2 * pad, u->h * 78 / 100 - y), all,
			     s / 16, 0xFFE6EFEDu, 0, -1);
		}
		/* slide dots */
		{
			int d = s / 60, gapd = d * 2, tw = n * d + (n - 1) * gapd;
			int x = (u->w - tw) / 2, dy = u->h - s / 12;
			for (int i = 0; i < n && i < 40; i++)
				rect(f, R(x + i * (d + gapd), dy, d, d),
				     i == (n ? u->slide % n : 0) ? C_GOLD : 0xFF4E716Du, d / 2,
				     0, -1);
		}
	}
	{
		int bw = s * 7 / 10, bh = s * 13 / 100;
		struct kui_rect b = R((u->w - bw) / 2, u->h - s / 12 - bh - s / 15, bw, bh);
		rect(f, b, C_GOLD, bh / 2, 0, wi);
		text(u, f, "轻触屏幕开始", inset(b, bh / 8), b, s / 15, 0xFF1B2626u,
		     AL_CENTER | VA_MIDDLE, wi);
	}
}

static void lay_home(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, hh = header(u, f, u->cfg.title, NULL);
	int cols = landscape(u) ? 3 : 2;
	int n = u->npacks, rows = (n + cols - 1) / cols;
	int top = hh + pad, sbh = s * 14 / 100;
	int greet = s / 12;
	int avail, tw, th, title_size;
	char id[48];

	text(u, f, "您好！请选择想了解的内容", R(pad, top, u->w - 2 * pad, greet),
	     R(0, hh, u->w, greet + 2 * pad), s / 18, C_INK, VA_MIDDLE, -1);
	top += greet + pad;
	avail = u->h - top - sbh - 3 * pad;
	tw = (u->w - (cols + 1) * pad) / cols;
	th = rows ? (avail - (rows - 1) * pad) / rows : 0;
	if (th > tw * 9 / 10)
		th = tw * 9 / 10;
	/* tile titles share one size, the largest (down to 75 %) at which
	 * every title fits on one line: a tile grid reads as one set, and a
	 * name like 反电信网络诈骗 is not broken inside a word; a title too
	 * long even then wraps at the full size */
	title_size = s / 14;
	for (int i = 0; i < n; i++) {
		int fit = one_line_size(u, u->packs[i]->title, tw - 2 * (s / 30), title_size,
		                        s / 14 * 3 / 4);
		if (fit)
			title_size = fit;
	}
	for (int i = 0; i < n; i++) {
		const struct ax_pack *p = u->packs[i];
		struct kui_rect t = R(pad + (i % cols) * (tw + pad),
		                      top + (i / cols) * (th + pad), tw, th);
		int wi, tp = s / 30, h1;
		snprintf(id, sizeof id, "tile-%s", p->id);
		wi = widget(f, id, t, 1);
		rect(f, t, topic_color(p->topic), s / 40, 0, wi);
		h1 = text(u, f, p->title, R(t.x + tp, t.y + tp, t.w - 2 * tp, th * 4 / 10),
		          t, one_line_size(u, p->title, t.w - 2 * tp, title_size, title_size)
		                 ? title_size
		                 : s / 14,
		          C_WHITE, 0, wi);
		text(u, f, p->summary,
		     R(t.x + tp, t.y + tp + h1 + tp / 2, t.w - 2 * tp,
		       t.h - 2 * tp - h1 - tp / 2),
		     t, s / 27, 0xFFF3F1EBu, 0, wi);
	}
	if (u->main_survey) {
		struct kui_rect b = R(pad, u->h - sbh - 2 * pad, u->w - 2 * pad, sbh);
		int wi = widget(f, "survey", b, 1);
		rect(f, b, C_GOLD, s / 40, 0, wi);
		text(u, f, "参与问卷 · 说说您的感受", inset(b, s / 40), b, s / 15, C_INK,
		     AL_CENTER | VA_MIDDLE, wi);
	}
}

static void lay_reader(const kui *u, struct kui_frame *f)
{
	const struct ax_pack *p = u->packs[u->pack];
	const struct ax_page *pg = &p->pages[u->page];
	int s = S(u), pad = s / 30, hh = header(u, f, p->title, "返回首页");
	int bh = s * 12 / 100, bot = u->h - bh - 2 * pad;
	struct kui_rect card = R(pad, hh + pad, u->w - 2 * pad, bot - hh - 2 * pad);
	int cp = s / 22, y, tsz = s / 13;
	char counter[32];
	const struct ax_survey *qz = quiz_of(u, p);
	int last = u->page == p->npages - 1;
	int bw = landscape(u) ? u->w / 4 : (u->w - 4 * pad) / 3;

	rect(f, card, C_CARD, s / 40, C_LINE, -1);
	rect(f, R(card.x, card.y, s / 60, card.h), topic_color(p->topic), 0, 0, -1);
	y = card.y + cp;
	y += text(u, f, pg->title, R(card.x + cp, y, card.w - 2 * cp, card.h / 3),
	          card, tsz, topic_color(p->topic), 0, -1);
	y += cp;
	text(u, f, pg->body,
	     R(card.x + cp, y, card.w - 2 * cp,
	       card.y + card.h - y - cp - (pg->audio ? bh + cp : 0)),
	     card, landscape(u) ? s / 17 : s / 16, C_INK, 0, -1);
	if (pg->audio)
		button(u, f, "read-aloud",
		       R(card.x + card.w - cp - s * 3 / 10, card.y + card.h - cp - bh,
		         s * 3 / 10, bh),
		       "朗读", B_PLAIN, 1);
	button(u, f, "prev", R(pad, u->h - bh - pad, bw, bh), "上一页", B_PLAIN,
	       u->page > 0);
	snprintf(counter, sizeof counter, "%d / %d", u->page + 1, p->npages);
	text(u, f, counter, R(pad + bw, u->h - bh - pad, u->w - 2 * pad - 2 * bw, bh),
	     R(pad + bw, u->h - bh - pad, u->w - 2 * pad - 2 * bw, bh), s / 17,
	     C_MUTED, AL_CENTER | VA_MIDDLE, -1);
	if (last && qz)
		button(u, f, "quiz", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "做题检验", B_PRIMARY, 1);
	else if (last)
		button(u, f, "done", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "看完了", B_PRIMARY, 1);
	else
		button(u, f, "next", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "下一页", B_PRIMARY, 1);
}

static const char *qtype_hint(const struct ax_question *q)
{
	switch (q->type) {
	case AX_Q_MULTI:
		return "可以选多项，选好后点“下一题”";
	case AX_Q_KNOWLEDGE:
		return "知识问答：请选一个答案";
	default:
		return "请选一项";
	}
}

/* Progress line and bar; returns the y below them. */
static int lay_progress(const kui *u, struct kui_frame *f, int y)
{
	int s = S(u), pad = s / 30, pos, total, lh;
	char buf[64];
	progress(u, &pos, &total);
	snprintf(buf, sizeof buf, "第 %d 题 / 共 %d 题", pos, total);
	lh = s / 14;
	text(u, f, buf, R(pad, y, u->w - 2 * pad, lh), R(0, y, u->w, lh), s / 24,
	     C_MUTED, VA_MIDDLE, -1);
	y += lh;
	rect(f, R(pad, y, u->w - 2 * pad, s / 90), 0xFFDAD5CAu, s / 180, 0, -1);
	if (total)
		rect(f, R(pad, y, (u->w - 2 * pad) * pos / total, s / 90), C_PRIMARY,
		     s / 180, 0, -1);
	return y + s / 90 + pad;
}

static void lay_question(const kui *u, struct kui_frame *f)
{
	const struct ax_question *q = &u->sv->questions[u->qi];
	int s = S(u), pad = s / 30, hh = header(u, f, u->sv->title, "退出");
	int bh = s * 12 / 100, y = lay_progress(u, f, hh + pad / 2);
	int no = q->noptions, cols = 1, oh, ow, gap = s / 45, avail;
	int bottom = u->h - bh - 2 * pad;
	int qh;
	char id[32];

	qh = text(u, f, q->text, R(pad, y, u->w - 2 * pad, u->h / 4),
	          R(0, y, u->w, u->h / 4), s / 15, C_INK, 0, -1);
	y += qh + pad / 2;
	y += text(u, f, qtype_hint(q), R(pad, y, u->w - 2 * pad, s / 16),
	          R(0, y, u->w, s / 16), s / 28, C_MUTED, 0, -1);
	y += pad;
	avail = bottom - y;
	oh = no ? (avail - (no - 1) * gap) / no : 0;
	if (oh > s * 15 / 100)
		oh = s * 15 / 100;
	if (oh < s * 95 / 1000 || (landscape(u) && no > 3)) {
		cols = 2;
		oh = (avail - ((no + 1) / 2 - 1) * gap) / ((no + 1) / 2);
		if (oh > s * 15 / 100)
			oh = s * 15 / 100;
	}
	ow = (u->w - 2 * pad - (cols - 1) * gap) / cols;
	for (int i = 0; i < no; i++) {
		const struct ax_option *o = &q->options[i];
		int sel = q->type == AX_Q_MULTI ? has_code(u->multi, o->code)
		                                : strcmp(u->answers[u->qi], o->code) == 0;
		char label[256];
		snprintf(id, sizeof id, "option-%d", i + 1);
		if (q->type == AX_Q_MULTI)
			snprintf(label, sizeof label, "%s  %s", sel ? "☑" : "☐", o->label);
		else
			snprintf(label, sizeof label, "%s", o->label);
		button(u, f, id,
		       R(pad + (i % cols) * (ow + gap), y + (i / cols) * (oh + gap), ow,
		         oh),
		       label, sel ? B_SELECTED : B_OPTION, 1);
	}
	{
		int bw = landscape(u) ? u->w / 4 : (u->w - 3 * pad) / 2;
		int pos, total;
		progress(u, &pos, &total);
		if (pos > 1)
			button(u, f, "prev", R(pad, u->h - bh - pad, bw, bh), "上一题",
			       B_PLAIN, 1);
		if (q->type == AX_Q_MULTI)
			button(u, f, "next", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
			       "下一题", B_PRIMARY, u->multi[0] != 0);
	}
	if (u->error[0])
		text(u, f, u->error, R(pad, bottom - s / 14, u->w - 2 * pad, s / 14),
		     R(0, bottom - s / 14, u->w, s / 14), s / 26, C_BAD, AL_CENTER, -1);
}

static void lay_explain(const kui *u, struct kui_frame *f)
{
	const struct ax_question *q = &u->sv->questions[u->qi];
	const struct ax_option *mine = option_of(q, u->answers[u->qi]);
	const struct ax_option *good = q->answer ? option_of(q, q->answer) : NULL;
	int ok = mine && good && mine == good;
	int s = S(u), pad = s / 30, hh = header(u, f, u->sv->title, "退出");
	int bh = s * 12 / 100, y = lay_progress(u, f, hh + pad / 2);
	int cp = s / 25, bottom = u->h - bh - 2 * pad;
	struct kui_rect card;
	char buf[512];

	y += text(u, f, ok ? "回答正确！" : "再想一想，正确答案是：",
	          R(pad, y, u->w - 2 * pad, s / 10), R(0, y, u->w, s / 10), s / 13,
	          ok ? C_OK : C_BAD, 0, -1);
	y += pad / 2;
	if (good) {
		int oh = s * 12 / 100;
		struct kui_rect r = R(pad, y, u->w - 2 * pad, oh);
		int wi = widget(f, "answer", r, 0);
		rect(f, r, 0xFFE1F0E4u, s / 45, C_OK, wi);
		snprintf(buf, sizeof buf, "✔ %s", good->label);
		text(u, f, buf, inset(r, s / 40), r, s / 19, C_OK, VA_MIDDLE, wi);
		y += oh + pad / 2;
	}
	if (!ok && mine) {
		snprintf(buf, sizeof buf, "您选的是：%s", mine->label);
		y += text(u, f, buf, R(pad, y, u->w - 2 * pad, s / 8),
		          R(0, y, u->w, s / 8), s / 24, C_MUTED, 0, -1);
		y += pad / 2;
	}
	card = R(pad, y, u->w - 2 * pad, bottom - y);
	rect(f, card, C_CARD, s / 40, C_LINE, -1);
	{
		int h1 = text(u, f, "小知识", R(card.x + cp, card.y + cp, card.w - 2 * cp, s / 12),
		              card, s / 20, C_PRIMARY, 0, -1);
		text(u, f, q->explanation ? q->explanation : "",
		     R(card.x + cp, card.y + cp + h1 + cp / 2, card.w - 2 * cp,
		       card.h - 2 * cp - h1 - cp / 2),
		     card, s / 17, C_INK, 0, -1);
	}
	{
		int bw = landscape(u) ? u->w / 4 : (u->w - 3 * pad) / 2;
		button(u, f, "next", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "下一题", B_PRIMARY, 1);
	}
}

/* 3x4 keypad in box: keypad-1..9, keypad-del, keypad-0, keypad-ok. */
static void keypad(const kui *u, struct kui_frame *f, struct kui_rect box,
                   const char *ok_label, int ok_enabled)
{
	static const char *const keys[12] = {"1", "2", "3", "4", "5", "6",
	                                     "7", "8", "9", "del", "0", "ok"};
	int s = S(u), gap = s / 40;
	int kw = (box.w - 2 * gap) / 3, kh = (box.h - 3 * gap) / 4;
	char id[32];
	if (kh > kw * 3 / 4)
		kh = kw * 3 / 4;
	for (int i = 0; i < 12; i++) {
		struct kui_rect r = R(box.x + (i % 3) * (kw + gap),
		                      box.y + (i / 3) * (kh + gap), kw, kh);
		snprintf(id, sizeof id, "keypad-%s", keys[i]);
		if (i == 9)
			button(u, f, id, r, "删除", B_PLAIN, 1);
		else if (i == 11)
			button(u, f, id, r, ok_label, B_PRIMARY, ok_enabled);
		else {
			int wi = widget(f, id, r, 1);
			rect(f, r, C_CARD, s / 45, C_LINE, wi);
			text(u, f, keys[i], inset(r, s / 80), r, s / 11, C_INK,
			     AL_CENTER | VA_MIDDLE, wi);
		}
	}
}

static void lay_link(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, hh = header(u, f, "留下手机号（可以不填）", NULL);
	int y = hh + pad, bh = s * 12 / 100;
	int cw = landscape(u) ? u->w / 2 - 2 * pad : u->w - 2 * pad;
	char shown_num[32];
	size_t n = strlen(u->digits), k = 0;
	struct kui_rect field;
	int kp_top, kp_w;

	y += text(u, f,
	          "填写后，我们能知道您家已经参加了平安宣传。号码在本机立即加密，"
	          "本机不保存号码。",
	          R(pad, y, cw, s / 5), R(0, y, cw + 2 * pad, s / 5), s / 24,
	          C_INK, 0, -1);
	y += pad;
	/* 138 0013 8000 */
	for (size_t i = 0; i < n && k + 2 < sizeof shown_num; i++) {
		if (i == 3 || i == 7)
			shown_num[k++] = ' ';
		shown_num[k++] = u->digits[i];
	}
	shown_num[k] = 0;
	field = R(pad, y, cw, s * 13 / 100);
	{
		int wi = widget(f, "number", field, 0);
		rect(f, field, C_CARD, s / 45, u->link_error ? C_BAD : C_PRIMARY, wi);
		text(u, f, n ? shown_num : "请输入11位手机号", inset(field, s / 40), field,
		     n ? s / 12 : s / 20, n ? C_INK : C_MUTED, AL_CENTER | VA_MIDDLE,
		     wi);
	}
	y += field.h + pad / 2;
	if (u->link_error)
		text(u, f, "号码不对，请检查后重新输入", R(pad, y, cw, s / 15),
		     R(0, y, cw + 2 * pad, s / 15), s / 26, C_BAD, AL_CENTER, -1);
	y += s / 15;
	kp_top = y;
	kp_w = u->w - 2 * pad;
	if (landscape(u))
		keypad(u, f, R(u->w / 2 + pad, hh + pad, u->w / 2 - 2 * pad, u->h - hh - 2 * pad),
		       "确定", n == 11);
	else
		keypad(u, f, R(pad, kp_top, kp_w, u->h - kp_top - bh - 2 * pad), "确定",
		       n == 11);
	button(u, f, "skip",
	       R(pad, u->h - bh - pad, landscape(u) ? u->w / 4 : (u->w - 3 * pad) / 2,
	         bh),
	       "跳过", B_PLAIN, 1);
}

static void lay_thanks(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 20, y = u->h / 5, bh = s * 13 / 100;
	char buf[128];
	struct kui_rect all = R(0, 0, u->w, u->h);
	int locked = u->now < u->lock_until;

	rect(f, all, C_BG, 0, 0, -1);
	y += text(u, f, "谢谢您的参与！", R(pad, y, u->w - 2 * pad, s / 6), all,
	          s / 9, C_PRIMARY, AL_CENTER, -1);
	y += pad;
	if (u->asked > 0) {
		struct kui_rect c = R(pad, y, u->w - 2 * pad, s * 30 / 100);
		rect(f, c, C_CARD, s / 40, C_LINE, -1);
		snprintf(buf, sizeof buf, "知识问答 答对 %d 题 / 共 %d 题", u->right,
		         u->asked);
		text(u, f, buf, R(c.x + pad / 2, c.y + pad / 2, c.w - pad, c.h / 2 - pad / 2), c,
		     s / 15, C_INK, AL_CENTER | VA_MIDDLE, -1);
		text(u, f,
		     u->right == u->asked ? "全部答对，真棒！" : "看看宣传内容，下次一定全对！",
		     R(c.x + pad / 2, c.y + c.h / 2, c.w - pad, c.h / 2 - pad / 2), c,
		     s / 22, C_MUTED, AL_CENTER | VA_MIDDLE, -1);
		y += c.h + pad;
	}
	text(u, f, "您的回答已保存。遇到危险请拨打 110。",
	     R(pad, y, u->w - 2 * pad, s / 6), all, s / 22, C_INK, AL_CENTER, -1);
	button(u, f, "done",
	       R((u->w - s * 6 / 10) / 2, u->h - bh - 2 * pad, s * 6 / 10, bh),
	       "返回首页", B_PRIMARY, !locked);
}

static void lay_pin(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, hh = header(u, f, "工作人员登录", NULL);
	int y = hh + pad, bh = s * 12 / 100, n = (int)strlen(u->pin);
	int cw = landscape(u) ? u->w / 2 - 2 * pad : u->w - 2 * pad;
	char dots[64] = "", msg[96] = "";
	int locked = u->now < u->pin_lock_until;

	for (int i = 0; i < n && i < 12; i++)
		strcat(dots, "●");
	y += text(u, f, "请输入管理密码", R(pad, y, cw, s / 12),
	          R(0, y, cw + 2 * pad, s / 12), s / 20, C_INK, AL_CENTER, -1);
	{
		struct kui_rect field = R(pad + cw / 6, y + pad / 2, cw * 2 / 3, s / 8);
		rect(f, field, C_CARD, s / 45, C_PRIMARY, -1);
		if (n)
			text(u, f, dots, inset(field, s / 60), field, s / 14, C_INK,
			     AL_CENTER | VA_MIDDLE, -1);
		y += field.h + pad;
	}
	if (locked)
		snprintf(msg, sizeof msg, "错误次数过多，请 %lld 秒后再试",
		         (u->pin_lock_until - u->now + 999) / 1000);
	else if (u->pin_msg)
		snprintf(msg, sizeof msg, "密码错误，还可以再试 %d 次",
		         u->cfg.pin_max_tries - u->pin_fails);
	if (msg[0])
		text(u, f, msg, R(pad, y, cw, s / 7), R(0, y, cw + 2 * pad, s / 7),
		     s / 26, C_BAD, AL_CENTER, -1);
	y += s / 14;
	if (landscape(u))
		keypad(u, f, R(u->w / 2 + pad, hh + pad, u->w / 2 - 2 * pad, u->h - hh - 2 * pad),
		       "确定", n >= 4 && !locked);
	else
		keypad(u, f, R(pad, y, u->w - 2 * pad, u->h - y - bh - 2 * pad), "确定",
		       n >= 4 && !locked);
	button(u, f, "cancel",
	       R(pad, u->h - bh - pad, landscape(u) ? u->w / 4 : (u->w - 3 * pad) / 2,
	         bh),
	       "返回", B_PLAIN, 1);
}

/* 暂停服务: the store fails and memory holds all it may (see ui.h).  Calm
 * words for the resident: nothing they did went wrong, reading still works. */
static void lay_paused(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 20, hh = header(u, f, u->cfg.title, NULL);
	int y = hh + u->h / 8, bh = s * 13 / 100;
	struct kui_rect all = R(0, 0, u->w, u->h);
	y += text(u, f, "暂停服务", R(pad, y, u->w - 2 * pad, s / 6), all, s / 9,
	          C_PRIMARY, AL_CENTER, -1);
	y += pad;
	y += text(u, f, "本机暂时不能接受新问卷，请稍后再来或告诉工作人员。",
	          R(pad, y, u->w - 2 * pad, s / 4), all, s / 18, C_INK, AL_CENTER, -1);
	y += pad;
	text(u, f, "宣传内容仍然可以阅读。", R(pad, y, u->w - 2 * pad, s / 8), all,
	     s / 22, C_MUTED, AL_CENTER, -1);
	button(u, f, "done",
	       R((u->w - s * 6 / 10) / 2, u->h - bh - 2 * pad, s * 6 / 10, bh),
	       "返回首页", B_PRIMARY, 1);
}

/* The staff alert: what memory holds, that it is lost on power-off, what
 * happens at the bound.  Returns its height. */
static int staff_alert(const kui *u, struct kui_frame *f, int y)
{
	const struct kui_storage *st = &u->storage;
	int s = S(u), pad = s / 30, ip = s / 40, h, card;
	struct kui_rect c;
	char l1[256], l2[256];
	static const char *const what[] = {"存储正常", "存储已满", "存储只读",
	                                   "存储故障"};
	const char *w = what[(unsigned)st->state < 4 ? st->state : 3];

	if (st->state == KUI_STORE_OK && st->held == 0)
		return 0;
	if (st->held > 0)
		snprintf(l1, sizeof l1, "%s：已暂存 %d 份答卷于内存，断电将丢失，请联系管理员",
		         w, st->held);
	else
		snprintf(l1, sizeof l1, "%s：新答卷将暂存于内存，断电将丢失，请联系管理员", w);
	if (st->held >= st->hold_max)
		snprintf(l2, sizeof l2,
		         "内存已存满 %d 份，已暂停接受新问卷。存储恢复后自动写入（每 %d 秒重试）。",
		         st->hold_max, st->retry_s);
	else
		snprintf(l2, sizeof l2,
		         "最多暂存 %d 份，满后暂停接受新问卷。存储恢复后自动写入（每 %d 秒重试）。"
		         "屏幕左上角的橙点表示此状态。",
		         st->hold_max, st->retry_s);
	/* the card is drawn first and shrunk to its text afterwards */
	c = R(pad, y, u->w - 2 * pad, s * 40 / 100);
	card = f->ncmds;
	rect(f, c, C_ALERT_BG, s / 40, C_BAD, -1);
	rect(f, R(c.x + ip, c.y + ip + s / 90, s / 36, s / 36), C_WARN, s / 72, 0, -1);
	h = text(u, f, l1, R(c.x + ip + s / 24, c.y + ip, c.w - 2 * ip - s / 24, s * 17 / 100),
	         c, s / 22, C_BAD, 0, -1);
	h += ip / 2;
	h += text(u, f, l2, R(c.x + ip + s / 24, c.y + ip + h, c.w - 2 * ip - s / 24,
	                      c.h - 2 * ip - h),
	          c, s / 30, C_INK, 0, -1);
	if (card < f->ncmds) {
		c.h = h + 2 * ip;
		for (int i = card; i < f->ncmds; i++)
			f->cmds[i].clip.h = c.h; /* the text's clip is the card */
		f->cmds[card].box.h = c.h;
	}
	return c.h + pad;
}

static void lay_staff(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, hh = header(u, f, "工作人员 · 运行情况", NULL);
	int y = hh + pad, bh = s * 13 / 100;
	int cols = landscape(u) ? 4 : 2, cw, ch;
	char v[4][32], when[64];
	static const char *const lab[4] = {"今日完成", "中途退出", "超时放弃",
	                                   "待上传"};
	long vals[4] = {u->stats.today_complete, u->stats.today_partial,
	                u->stats.today_abandoned, u->stats.pending};

	y += staff_alert(u, f, y);
	/* landscape with an alert: shorter cards so the sync line still fits */
	ch = landscape(u) && y > hh + pad ? s * 17 / 100 : s * 22 / 100;
	cw = (u->w - (cols + 1) * pad) / cols;
	for (int i = 0; i < 4; i++) {
		struct kui_rect c = R(pad + (i % cols) * (cw + pad),
		                      y + (i / cols) * (ch + pad), cw, ch);
		rect(f, c, C_CARD, s / 40, C_LINE, -1);
		snprintf(v[i], sizeof v[i], "%ld", vals[i]);
		text(u, f, v[i], R(c.x, c.y + s / 40, c.w, ch * 55 / 100), c, s / 9,
		     i == 3 && vals[i] ? C_BAD : C_PRIMARY, AL_CENTER | VA_MIDDLE, -1);
		text(u, f, lab[i], R(c.x, c.y + ch * 6 / 10, c.w, ch * 35 / 100), c,
		     s / 24, C_MUTED, AL_CENTER | VA_MIDDLE, -1);
	}
	y += ((4 + cols - 1) / cols) * (ch + pad);
	if (u->stats.last_sync > 0) {
		long long t = u->stats.last_sync + 8 * 3600; /* China time */
		long long d = t / 86400, sec = t % 86400;
		/* civil date from days (Howard Hinnant's algorithm) */
		long long z = d + 719468, era = z / 146097, doe = z - era * 146097;
		long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
		long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
		long long dd = doy - (153 * mp + 2) / 5 + 1, mm = mp < 10 ? mp + 3 : mp - 9;
		long long yy = yoe + era * 400 + (mm <= 2);
		snprintf(when, sizeof when, "最近同步：%04lld-%02lld-%02lld %02lld:%02lld",
		         yy, mm, dd, sec / 3600, sec % 3600 / 60);
	} else
		snprintf(when, sizeof when, "最近同步：从未同步");
	y += text(u, f, when, R(pad, y, u->w - 2 * pad, s / 12), R(0, y, u->w, s / 12),
	          s / 22, C_INK, 0, -1);
	if (u->stats.sync_error[0])
		y += text(u, f, u->stats.sync_error, R(pad, y, u->w - 2 * pad, s / 8),
		          R(0, y, u->w, s / 8), s / 28, C_BAD, 0, -1);
	{
		int bw = landscape(u) ? u->w / 3 : (u->w - 3 * pad) / 2;
		button(u, f, "sync-now", R(pad, u->h - bh - pad, bw, bh), "立即同步",
		       B_PRIMARY, 1);
		button(u, f, "exit", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "退出", B_PLAIN, 1);
	}
}

static void lay_idle(const kui *u, struct kui_frame *f)
{
	int s = S(u), cw = s * 8 / 10, ch = s * 6 / 10;
	struct kui_rect c = R((u->w - cw) / 2, (u->h - ch) / 2, cw, ch);
	long long left = u->prompt_at + u->cfg.countdown_ms - u->now;
	char buf[64];
	int bh = s * 13 / 100;
	/* the overlay takes every widget away: a tap only answers the prompt */
	f->nwidgets = 0;
	for (int i = 0; i < f->ncmds; i++)
		f->cmds[i].widget = -1;
	rect(f, R(0, 0, u->w, u->h), C_SHADE, 0, 0, -1);
	rect(f, c, C_CARD, s / 30, 0, -1);
	text(u, f, "您还在吗？", R(c.x, c.y + s / 20, c.w, s / 7), c, s / 10, C_INK,
	     AL_CENTER | VA_MIDDLE, -1);
	snprintf(buf, sizeof buf, "%lld 秒后回到首页", left > 0 ? (left + 999) / 1000 : 0);
	text(u, f, buf, R(c.x, c.y + s / 20 + s / 7, c.w, s / 10), c, s / 18,
	     C_MUTED, AL_CENTER | VA_MIDDLE, -1);
	button(u, f, "still-here",
	       R(c.x + s / 15, c.y + c.h - bh - s / 15, c.w - 2 * s / 15, bh),
	       "我还在，继续", B_PRIMARY, 1);
}

void kui_layout(kui *u, struct kui_frame *f)
{
	f->w = u->w;
	f->h = u->h;
	f->ncmds = f->nwidgets = 0;
	f->used = 0;
	f->overflow = 0;
	rect(f, R(0, 0, u->w, u->h), C_BG, 0, 0, -1);
	switch (u->screen) {
	case KUI_ATTRACT: lay_attract(u, f); break;
	case KUI_HOME: lay_home(u, f); break;
	case KUI_READER: lay_reader(u, f); break;
	case KUI_QUESTION: lay_question(u, f); break;
	case KUI_EXPLAIN: lay_explain(u, f); break;
	case KUI_LINK: lay_link(u, f); break;
	case KUI_THANKS: lay_thanks(u, f); break;
	case KUI_PIN: lay_pin(u, f); break;
	case KUI_STAFF: lay_staff(u, f); break;
	case KUI_PAUSED: lay_paused(u, f); break;
	}
	/* the discreet store-alert dot, in the staff corner */
	if ((u->storage.state != KUI_STORE_OK || u->storage.held > 0) &&
	    u->screen != KUI_STAFF && u->screen != KUI_PIN) {
		int d = S(u) / 60;
		rect(f, R(d / 2, d / 2, d, d), C_WARN, d / 2, 0, -1);
	}
	if (u->idle_prompt)
		lay_idle(u, f);
}

int kui_frame_find(const struct kui_frame *f, const char *id)
{
	for (int i = 0; i < f->nwidgets; i++)
		if (strcmp(f->widgets[i].id, id) == 0)
			return i;
	return -1;
}

static int inside(struct kui_rect a, struct kui_rect b)
{
	return a.x >= b.x && a.y >= b.y && a.x + a.w <= b.x + b.w &&
	       a.y + a.h <= b.y + b.h;
}

int kui_frame_check(const struct kui_frame *f, char *why, size_t whylen)
{
	int bad = 0;
	struct kui_rect screen = R(0, 0, f->w, f->h);
	if (why && whylen)
		why[0] = 0;
	if (f->overflow) {
		bad++;
		if (why)
			snprintf(why, whylen, "frame lists overflowed");
	}
	for (int i = 0; i < f->ncmds; i++) {
		const struct kui_cmd *c = &f->cmds[i];
		const char *where = NULL;
		if (c->kind != KUI_CMD_TEXT)
			continue;
		if (!inside(c->box, screen))
			where = "the screen";
		else if (!inside(c->box, c->clip))
			where = "its box";
		else if (c->widget >= 0 && !inside(c->box, f->widgets[c->widget].box))
			where = "its widget";
		if (where) {
			if (why && !bad)
				snprintf(why, whylen,
				         "text \"%.60s\" at %d,%d %dx%d leaves %s (%d,%d %dx%d)",
				         c->text, c->box.x, c->box.y, c->box.w, c->box.h, where,
				         c->clip.x, c->clip.y, c->clip.w, c->clip.h);
			bad++;
		}
	}
	return bad;
}

/* ==== state machine ==================================================== */
static void wipe(volatile char *p, size_t n)
{
	/* not memset: the compiler may not drop stores to a volatile */
	for (size_t i = 0; i < n; i++)
		p[i] = 0;
}

/* Forget everything about the current resident. */
static void clear_session(kui *u)
{
	u->sv = NULL;
	u->qi = 0;
	memset(u->answers, 0, sizeof u->answers);
	memset(u->multi, 0, sizeof u->multi);
	u->nhist = 0;
	wipe(u->digits, sizeof u->digits);
	u->link_error = 0;
	u->error[0] = 0;
}

static void end_session(kui *u, enum kui_status st)
{
	if (u->sv && u->host.finish)
		u->host.finish(u->host.ctx, st, NULL);
	clear_session(u);
}

static void go(kui *u, enum kui_screen s)
{
	u->screen = s;
	u->error[0] = 0;
	if (s == KUI_ATTRACT) {
		u->slide_at = u->now;
		u->pin[0] = 0;
	}
}

static void reset(kui *u, enum kui_status st)
{
	end_session(u, st);
	u->read_pack = -1;
	u->right = u->asked = 0;
	u->pin_msg = 0;
	wipe(u->pin, sizeof u->pin);
	if (u->host.play)
		u->host.play(u->host.ctx, NULL);
	go(u, KUI_ATTRACT);
}

static void start_survey(kui *u, const struct ax_survey *s)
{
	clear_session(u);
	if (!s)
		return;
	if (u->host.begin) {
		int rc = u->host.begin(u->host.ctx, s);
		if (rc == KUI_BEGIN_PAUSED) {
			go(u, KUI_PAUSED);
			return;
		}
		if (rc != 0) {
			snprintf(u->error, sizeof u->error, "暂时无法开始问卷，请联系工作人员");
			return;
		}
	}
	u->sv = s;
	u->qi = 0;
	while (u->qi < nquestions(u) && !shown(u, u->qi))
		u->qi++;
	if (u->qi >= nquestions(u)) {
		end_session(u, KUI_ABANDONED);
		go(u, KUI_HOME);
		return;
	}
	go(u, KUI_QUESTION);
}

static void survey_done(kui *u)
{
	score(u);
	if (u->host.can_link && u->host.can_link(u->host.ctx)) {
		wipe(u->digits, sizeof u->digits);
		u->link_error = 0;
		go(u, KUI_LINK);
		return;
	}
	if (u->host.finish && u->host.finish(u->host.ctx, KUI_COMPLETE, NULL)) {
		snprintf(u->error, sizeof u->error, "保存失败，请联系工作人员");
		return;
	}
	clear_session(u);
	u->lock_until = u->now + u->cfg.lock_ms;
	u->thanks_at = u->now;
	go(u, KUI_THANKS);
}

static void next_question(kui *u)
{
	int i = u->qi + 1;
	while (i < nquestions(u) && !shown(u, i))
		i++;
	if (i >= nquestions(u)) {
		survey_done(u);
		return;
	}
	if (u->nhist < KUI_MAX_QUESTIONS)
		u->hist[u->nhist++] = u->qi;
	u->qi = i;
	memset(u->multi, 0, sizeof u->multi);
	if (u->sv->questions[i].type == AX_Q_MULTI)
		snprintf(u->multi, sizeof u->multi, "%s", u->answers[i]);
	go(u, KUI_QUESTION);
}

static void prev_question(kui *u)
{
	while (u->nhist > 0) {
		int i = u->hist[--u->nhist];
		if (!shown(u, i))
			continue;
		u->qi = i;
		memset(u->multi, 0, sizeof u->multi);
		if (u->sv->questions[i].type == AX_Q_MULTI)
			snprintf(u->multi, sizeof u->multi, "%s", u->answers[i]);
		go(u, KUI_QUESTION);
		return;
	}
}

/* Commit the answer to question qi; the screen changes only if it stuck. */
static int commit(kui *u, const char *value)
{
	const struct ax_question *q = &u->sv->questions[u->qi];
	if (u->host.answer && u->host.answer(u->host.ctx, q->id, value) != 0) {
		snprintf(u->error, sizeof u->error, "保存失败，请再点一次");
		return -1;
	}
	snprintf(u->answers[u->qi], sizeof u->answers[u->qi], "%s", value);
	/* answers hidden by a changed show-if are withdrawn */
	for (int i = u->qi + 1; i < nquestions(u); i++)
		if (u->answers[i][0] && !shown(u, i)) {
			if (u->host.answer)
				u->host.answer(u->host.ctx, u->sv->questions[i].id, NULL);
			u->answers[i][0] = 0;
		}
	u->error[0] = 0;
	return 0;
}

static void toggle_multi(kui *u, const char *code)
{
	char out[64] = "";
	const struct ax_question *q = &u->sv->questions[u->qi];
	int add = !has_code(u->multi, code);
	/* keep the options' own order */
	for (int i = 0; i < q->noptions; i++) {
		const char *c = q->options[i].code;
		int on = strcmp(c, code) == 0 ? add : has_code(u->multi, c);
		if (!on)
			continue;
		if (out[0] && strlen(out) + 1 < sizeof out)
			strcat(out, ",");
		if (strlen(out) + strlen(c) < sizeof out)
			strcat(out, c);
	}
	snprintf(u->multi, sizeof u->multi, "%s", out);
}

static void link_confirm(kui *u)
{
	char norm[24];
	if (!u->host.normalize_phone ||
	    u->host.normalize_phone(u->host.ctx, u->digits, norm) != 0) {
		u->link_error = 1;
		return;
	}
	if (u->host.finish && u->host.finish(u->host.ctx, KUI_COMPLETE, norm)) {
		wipe(norm, sizeof norm);
		snprintf(u->error, sizeof u->error, "保存失败，请联系工作人员");
		return;
	}
	wipe(norm, sizeof norm);
	clear_session(u);
	u->lock_until = u->now + u->cfg.lock_ms;
	u->thanks_at = u->now;
	go(u, KUI_THANKS);
}

static void pin_confirm(kui *u)
{
	int ok;
	if (u->now < u->pin_lock_until || strlen(u->pin) < 4)
		return;
	ok = u->host.check_pin && u->host.check_pin(u->host.ctx, u->pin);
	wipe(u->pin, sizeof u->pin);
	if (ok) {
		u->pin_fails = 0;
		u->pin_msg = 0;
		u->pin_lock_ms = u->cfg.pin_lock_ms;
		if (u->host.stats)
			u->host.stats(u->host.ctx, &u->stats);
		go(u, KUI_STAFF);
		return;
	}
	u->pin_msg = 1;
	if (++u->pin_fails >= u->cfg.pin_max_tries) {
		/* each lockout doubles, up to an hour; survives leaving the pad */
		u->pin_lock_until = u->now + u->pin_lock_ms;
		if (u->pin_lock_ms < 3600000)
			u->pin_lock_ms *= 2;
		u->pin_fails = 0;
		u->pin_msg = 0;
	}
}

static void key_digit(char *buf, size_t cap, size_t max, const char *k)
{
	size_t n = strlen(buf);
	if (strcmp(k, "del") == 0) {
		if (n)
			buf[n - 1] = 0;
	} else if (n < max && n + 1 < cap && k[0] >= '0' && k[0] <= '9' && !k[1]) {
		buf[n] = k[0];
		buf[n + 1] = 0;
	}
}

static void activate(kui *u, const char *id)
{
	switch (u->screen) {
	case KUI_ATTRACT:
		go(u, KUI_HOME);
		break;
	case KUI_HOME:
		if (strncmp(id, "tile-", 5) == 0) {
			for (int i = 0; i < u->npacks; i++)
				if (strcmp(u->packs[i]->id, id + 5) == 0 && u->packs[i]->npages) {
					u->pack = i;
					u->page = 0;
					u->read_pack = i;
					go(u, KUI_READER);
				}
		} else if (strcmp(id, "survey") == 0)
			start_survey(u, u->main_survey);
		break;
	case KUI_READER: {
		const struct ax_pack *p = u->packs[u->pack];
		if (strcmp(id, "home") == 0 || strcmp(id, "done") == 0) {
			if (u->host.play)
				u->host.play(u->host.ctx, NULL);
			go(u, KUI_HOME);
		} else if (strcmp(id, "next") == 0 && u->page + 1 < p->npages)
			u->page++;
		else if (strcmp(id, "prev") == 0 && u->page > 0)
			u->page--;
		else if (strcmp(id, "quiz") == 0)
			start_survey(u, quiz_of(u, p));
		else if (strcmp(id, "read-aloud") == 0 && u->host.play)
			u->host.play(u->host.ctx, p->pages[u->page].audio);
		break;
	}
	case KUI_QUESTION: {
		const struct ax_question *q = &u->sv->questions[u->qi];
		if (strcmp(id, "home") == 0) {
			end_session(u, KUI_PARTIAL);
			go(u, KUI_HOME);
		} else if (strcmp(id, "prev") == 0)
			prev_question(u);
		else if (strncmp(id, "option-", 7) == 0) {
			int k = atoi(id + 7) - 1;
			if (k < 0 || k >= q->noptions)
				break;
			if (q->type == AX_Q_MULTI) {
				toggle_multi(u, q->options[k].code);
				break;
			}
			if (commit(u, q->options[k].code))
				break;
			/* a double tap must not answer the next question too */
			u->lock_until = u->now + 300;
			if (q->type == AX_Q_KNOWLEDGE && q->answer)
				go(u, KUI_EXPLAIN);
			else
				next_question(u);
		} else if (strcmp(id, "next") == 0 && q->type == AX_Q_MULTI &&
		           u->multi[0]) {
			if (commit(u, u->multi) == 0)
				next_question(u);
		}
		break;
	}
	case KUI_EXPLAIN:
		if (strcmp(id, "home") == 0) {
			end_session(u, KUI_PARTIAL);
			go(u, KUI_HOME);
		} else if (strcmp(id, "next") == 0)
			next_question(u);
		break;
	case KUI_LINK:
		if (strncmp(id, "keypad-", 7) == 0) {
			if (strcmp(id + 7, "ok") == 0)
				link_confirm(u);
			else {
				key_digit(u->digits, sizeof u->digits, 11, id + 7);
				u->link_error = 0;
			}
		} else if (strcmp(id, "skip") == 0) {
			if (u->host.finish && u->host.finish(u->host.ctx, KUI_COMPLETE, NULL))
				break;
			clear_session(u);
			u->lock_until = u->now + u->cfg.lock_ms;
			u->thanks_at = u->now;
			go(u, KUI_THANKS);
		}
		break;
	case KUI_THANKS:
		if (strcmp(id, "done") == 0)
			reset(u, KUI_ABANDONED);
		break;
	case KUI_PIN:
		if (strncmp(id, "keypad-", 7) == 0) {
			if (strcmp(id + 7, "ok") == 0)
				pin_confirm(u);
			else
				key_digit(u->pin, sizeof u->pin, 8, id + 7);
		} else if (strcmp(id, "cancel") == 0) {
			wipe(u->pin, sizeof u->pin);
			go(u, KUI_ATTRACT);
		}
		break;
	case KUI_STAFF:
		if (strcmp(id, "sync-now") == 0) {
			if (u->host.sync_now)
				u->host.sync_now(u->host.ctx);
			if (u->host.stats)
				u->host.stats(u->host.ctx, &u->stats);
		} else if (strcmp(id, "exit") == 0)
			go(u, KUI_ATTRACT);
		break;
	case KUI_PAUSED:
		if (strcmp(id, "done") == 0 || strcmp(id, "home") == 0)
			go(u, KUI_HOME);
		break;
	}
}

static int hit(const struct kui_frame *f, int x, int y)
{
	/* last drawn is on top */
	for (int i = f->nwidgets - 1; i >= 0; i--) {
		const struct kui_rect *r = &f->widgets[i].box;
		if (f->widgets[i].enabled && x >= r->x && y >= r->y && x < r->x + r->w &&
		    y < r->y + r->h)
			return i;
	}
	return -1;
}

/* Five taps in the top-left corner within 3 s open the PIN pad. */
static int corner_gesture(kui *u, int x, int y)
{
	int zone = S(u) / 9;
	if (x >= zone || y >= zone) {
		u->ncorner = 0;
		return 0;
	}
	if (u->ncorner == 5) {
		memmove(u->corner, u->corner + 1, 4 * sizeof u->corner[0]);
		u->ncorner = 4;
	}
	u->corner[u->ncorner++] = u->now;
	if (u->ncorner == 5 && u->now - u->corner[0] <= 3000) {
		u->ncorner = 0;
		return 1;
	}
	return 0;
}

static int tick(kui *u)
{
	int changed = 0;
	if (u->screen == KUI_ATTRACT) {
		if (u->now - u->slide_at >= u->cfg.slide_ms) {
			long long k = (u->now - u->slide_at) / u->cfg.slide_ms;
			u->slide += (int)k;
			u->slide_at += k * u->cfg.slide_ms;
			changed = 1;
		}
		return changed;
	}
	if (u->screen == KUI_THANKS) {
		if (u->now - u->thanks_at >= u->cfg.thanks_ms) {
			reset(u, KUI_ABANDONED);
			return 1;
		}
		return u->now >= u->lock_until && u->now - 1000 < u->lock_until;
	}
	if (!u->idle_prompt && u->now - u->last_input >= u->cfg.idle_ms) {
		u->idle_prompt = 1;
		u->prompt_at = u->last_input + u->cfg.idle_ms;
		changed = 1;
	}
	if (u->idle_prompt) {
		if (u->now - u->prompt_at >= u->cfg.countdown_ms) {
			u->idle_prompt = 0;
			reset(u, KUI_ABANDONED);
		}
		changed = 1; /* the countdown moved */
	}
	if (u->screen == KUI_PIN && u->pin_lock_until &&
	    u->now < u->pin_lock_until + 1000)
		changed = 1;
	return changed;
}

int kui_handle(kui *u, const struct kui_event *ev)
{
	int w;
	if (ev->now > u->now)
		u->now = ev->now;
	if (ev->kind == KUI_EV_TICK)
		return tick(u);
	tick(u);
	u->last_input = u->now;
	if (u->idle_prompt) {
		/* any touch answers 您还在吗？ and is consumed */
		if (ev->kind == KUI_EV_DOWN)
			u->idle_prompt = 0;
		u->pressing = 0;
		u->pressed[0] = 0;
		return 1;
	}
	switch (ev->kind) {
	case KUI_EV_DOWN:
		if ((u->screen == KUI_ATTRACT || u->screen == KUI_HOME) &&
		    corner_gesture(u, ev->x, ev->y)) {
			u->pressing = 0;
			wipe(u->pin, sizeof u->pin);
			u->pin_msg = 0;
			go(u, KUI_PIN);
			return 1;
		}
		u->pressing = 1;
		u->press_x = ev->x;
		u->press_y = ev->y;
		u->pressed[0] = 0;
		if (u->now < u->lock_until)
			return 0;
		kui_layout(u, &u->scratch);
		w = hit(&u->scratch, ev->x, ev->y);
		if (w >= 0)
			snprintf(u->pressed, sizeof u->pressed, "%s", u->scratch.widgets[w].id);
		return 0;
	case KUI_EV_MOVE:
		if (u->pressing && u->pressed[0]) {
			kui_layout(u, &u->scratch);
			w = hit(&u->scratch, ev->x, ev->y);
			if (w < 0 || strcmp(u->scratch.widgets[w].id, u->pressed) != 0)
				u->pressed[0] = 0; /* slid off: cancelled */
		}
		return 0;
	case KUI_EV_UP: {
		int dx = ev->x - u->press_x, dy = ev->y - u->press_y;
		char id[32];
		if (!u->pressing)
			return 0;
		u->pressing = 0;
		snprintf(id, sizeof id, "%s", u->pressed);
		u->pressed[0] = 0;
		if (u->now < u->lock_until)
			return 0;
		if (id[0]) {
			kui_layout(u, &u->scratch);
			w = hit(&u->scratch, ev->x, ev->y);
			if (w >= 0 && strcmp(u->scratch.widgets[w].id, id) == 0) {
				activate(u, id);
				return 1;
			}
		}
		if (u->screen == KUI_READER && abs(dx) > S(u) / 7 && abs(dx) > 2 * abs(dy)) {
			const struct ax_pack *p = u->packs[u->pack];
			if (dx < 0 && u->page + 1 < p->npages)
				u->page++;
			else if (dx > 0 && u->page > 0)
				u->page--;
			return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

long long kui_deadline(const kui *u)
{
	long long d = -1;
#define EARLIER(t)                                                          \
	do {                                                                    \
		long long t_ = (t);                                                 \
		if (d < 0 || t_ < d)                                                \
			d = t_;                                                         \
	} while (0)
	if (u->screen == KUI_ATTRACT) {
		EARLIER(u->slide_at + u->cfg.slide_ms);
		return d;
	}
	if (u->screen == KUI_THANKS) {
		EARLIER(u->thanks_at + u->cfg.thanks_ms);
		if (u->lock_until > u->now)
			EARLIER(u->lock_until);
		return d;
	}
	if (u->idle_prompt) {
		/* redraw each second of the countdown */
		long long el = u->now - u->prompt_at;
		EARLIER(u->prompt_at + (el / 1000 + 1) * 1000);
		EARLIER(u->prompt_at + u->cfg.countdown_ms);
	} else
		EARLIER(u->last_input + u->cfg.idle_ms);
	if (u->screen == KUI_PIN && u->pin_lock_until > u->now)
		EARLIER(u->now + 1000 - (u->pin_lock_until - u->now) % 1000);
	if (u->lock_until > u->now)
		EARLIER(u->lock_until);
	return d;
#undef EARLIER
}

enum kui_screen kui_current(const kui *u)
{
	return u->screen;
}

int kui_idle_prompt(const kui *u)
{
	return u->idle_prompt;
}

void kui_resize(kui *u, int w, int h)
{
	u->w = w;
	u->h = h;
}

const char *kui_session_pack(const kui *u)
{
	const struct ax_survey *sv = u->sv;
	if (u->read_pack >= 0 && u->read_pack < u->npacks)
		return u->packs[u->read_pack]->id;
	if (!sv)
		return NULL;
	for (int i = 0; i < u->npacks; i++)
		if (quiz_of(u, u->packs[i]) == sv)
			return u->packs[i]->id;
	/* a survey measuring awareness of one topic: that topic's pack */
	if (sv->nawareness == 1)
		for (int i = 0; i < u->npacks; i++)
			if (u->packs[i]->topic && sv->awareness[0].topic &&
			    strcmp(u->packs[i]->topic, sv->awareness[0].topic) == 0)
				return u->packs[i]->id;
	return NULL;
}

int kui_set_storage(kui *u, const struct kui_storage *st)
{
	int changed = memcmp(&u->storage, st, sizeof *st) != 0;
	u->storage = *st;
	return changed;
}

void kui_score(const kui *u, int *right, int *asked)
{
	*right = u->right;
	*asked = u->asked;
}

kui *kui_new(const struct kui_config *cfg, const struct kui_host *host,
             const struct kui_metrics *m, int w, int h,
             const struct ax_pack *const *packs, int npacks,
             const struct ax_survey *main_survey,
             const struct ax_survey *const *quizzes, int nquizzes,
             long long now)
{
	kui *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->cfg = *cfg;
	u->host = *host;
	u->m = *m;
	u->w = w;
	u->h = h;
	for (int i = 0; i < npacks && i < KUI_MAX_PACKS; i++)
		u->packs[u->npacks++] = packs[i];
	for (int i = 0; i < nquizzes && i < KUI_MAX_PACKS; i++)
		u->quizzes[u->nquizzes++] = quizzes[i];
	u->main_survey = main_survey;
	u->now = u->last_input = now;
	u->pin_lock_ms = cfg->pin_lock_ms;
	u->read_pack = -1;
	go(u, KUI_ATTRACT);
	return u;
}

void kui_free(kui *u)
{
	if (!u)
		return;
	wipe((char *)u, sizeof *u);
	free(u);
}

/* Jump to a screen with representative state, for screenshots of screens
 * a script cannot easily reach in every size.  Returns 0 or -1. */
int kui_debug_goto(kui *u, const char *screen, long long now)
{
	u->now = u->last_input = now;
	u->idle_prompt = 0;
	if (strcmp(screen, "idle") == 0) {
		u->idle_prompt = 1;
		u->prompt_at = now - 3000;
		return 0;
	}
	for (int s = KUI_ATTRACT; s <= KUI_PAUSED; s++)
		if (strcmp(kui_screen_name((enum kui_screen)s), screen) == 0) {
			if ((s == KUI_QUESTION || s == KUI_EXPLAIN) && !u->sv)
				return -1;
			if (s == KUI_STAFF && u->host.stats)
				u->host.stats(u->host.ctx, &u->stats);
			go(u, (enum kui_screen)s);
			return 0;
		}
	return -1;
}
