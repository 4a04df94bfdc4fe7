/*
 * ui_draw.c -- drawing primitives of the kiosk UI (see ui_int.h): frame
 * lists, wrapped text that shrinks to fit its box, buttons, the header bar,
 * the keypad, and the frame queries of ui.h (find a widget, check clipping).
 *
 * Everything writes into a caller's kui_frame and never fails loudly: a
 * full command or widget list, or a full arena, sets f->overflow, which
 * kui_frame_check reports as a layout bug.
 */
#include <stdio.h>
#include <string.h>

#include "ui_int.h"
#include "wrap.h"

/* ==== palettes ========================================================= */
/* Contrast (WCAG 2) of the text colours on their backgrounds: >= 4.5:1 in
 * the standard palette, >= 7:1 for 长辈模式's body text; tests/unit/
 * test_kui_elder.c computes every pair. */
const struct kui_palette kui_palette_std = {
    .bg = 0xFFF4F1EAu,      /* warm paper */
    .ink = 0xFF1B2626u,     /* body text */
    .muted = 0xFF4D5B5Au,   /* secondary text */
    .head = 0xFF1F4F4Bu,    /* header bar */
    .primary = 0xFF22665Fu, /* primary buttons */
    .card = 0xFFFFFFFFu,
    .line = 0xFFB9C7C4u,
    .white = 0xFFFFFFFFu,
    .gold = 0xFFF2C14Eu,
    .ok = 0xFF1E6B34u,
    .bad = 0xFF9E2B25u,
    .disabled = 0xFFC9CFCDu,
    .attract = 0xFF163B38u,
    .shade = 0xB0000000u,
    .select = 0xFFDCEFEAu,
    .warn = 0xFFE0871Bu, /* the store-alert dot: amber, not alarm red */
    .alert_bg = 0xFFFBE9E7u,
};
/* 长辈模式 (适老化): white paper and black ink, darker buttons and signal
 * colours, stronger borders, an opaque shade under prompts */
const struct kui_palette kui_palette_elder = {
    .bg = 0xFFFFFFFFu,
    .ink = 0xFF000000u,
    .muted = 0xFF2E3A39u,
    .head = 0xFF0E2B28u,
    .primary = 0xFF0F4A44u,
    .card = 0xFFFFFFFFu,
    .line = 0xFF3D4F4Cu,
    .white = 0xFFFFFFFFu,
    .gold = 0xFFF2C14Eu,
    .ok = 0xFF0E4D22u,
    .bad = 0xFF7A1712u,
    .disabled = 0xFFC9CFCDu,
    .attract = 0xFF0E2B28u,
    .shade = 0xE6000000u,
    .select = 0xFFCDE8E1u,
    .warn = 0xFFE0871Bu,
    .alert_bg = 0xFFFBE9E7u,
};

uint32_t kui_topic_color(const char *topic, int elder)
{
	static const struct {
		const char *t;
		uint32_t c;
	} map[] = {
	    {"family_safety", 0xFFA5442Fu}, {"anti_drug", 0xFF2F5F96u},
	    {"anti_cult", 0xFF5E4C96u},     {"anti_pyramid", 0xFF8A5A12u},
	    {"anti_fraud", 0xFF23694Bu},
	};
	uint32_t c = (elder ? kui_palette_elder : kui_palette_std).primary;
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (topic && strcmp(map[i].t, topic) == 0)
			c = map[i].c;
	if (elder) /* each channel at 70 %: white on it >= 7:1 */
		c = 0xFF000000u | (((c >> 16 & 0xFF) * 7 / 10) << 16) |
		    (((c >> 8 & 0xFF) * 7 / 10) << 8) | ((c & 0xFF) * 7 / 10);
	return c;
}

/* Text size in 长辈模式: 1.5 times the layout's */
static int ES(const kui *u, int size)
{
	return u->elder ? size * 3 / 2 : size;
}

/* ==== frame lists ====================================================== */
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

void kui__rect(struct kui_frame *f, struct kui_rect r, uint32_t color,
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

int kui__widget(struct kui_frame *f, const char *id, struct kui_rect r,
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

/* ==== wrapped text ===================================================== */
struct adv_ctx {
	const struct kui_metrics *m;
	int size;
};
static int adv(void *ctx, uint32_t cp)
{
	struct adv_ctx *a = ctx;
	return a->m->advance(a->m->ctx, cp, a->size);
}

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

/* Line l (len bytes) ending in "…" within width w: code points are taken
 * off its end until it fits.  *width: the result's advance. */
static const char *ellipsis_line(const kui *u, struct kui_frame *f,
                                 const char *l, size_t len, int size, int w,
                                 int *width)
{
	static const char ell[] = "\xE2\x80\xA6"; /* U+2026 … */
	int ew = u->m.advance(u->m.ctx, 0x2026, size), lw = 0;
	size_t i = 0, keep = 0;
	char buf[4 * 1024];
	/* the longest prefix of whole code points that leaves room for … */
	while (i < len) {
		uint32_t cp = (unsigned char)l[i];
		size_t k = cp < 0x80 ? 1 : cp < 0xE0 ? 2 : cp < 0xF0 ? 3 : 4;
		if (i + k > len)
			break;
		if (k == 2)
			cp = (cp & 0x1F) << 6 | (l[i + 1] & 0x3F);
		else if (k == 3)
			cp = (cp & 0x0F) << 12 | (l[i + 1] & 0x3F) << 6 | (l[i + 2] & 0x3F);
		else if (k == 4)
			cp = (cp & 0x07) << 18 | (l[i + 1] & 0x3F) << 12 |
			     (l[i + 2] & 0x3F) << 6 | (l[i + 3] & 0x3F);
		if (lw + u->m.advance(u->m.ctx, cp, size) + ew > w)
			break;
		lw += u->m.advance(u->m.ctx, cp, size);
		i += k;
		keep = i;
	}
	/* a cut after a comma or full stop reads 不信不传，… : drop it */
	while (keep >= 3 && ((unsigned char)l[keep - 3] == 0xEF &&
	                     (unsigned char)l[keep - 2] == 0xBC &&
	                     ((unsigned char)l[keep - 1] == 0x8C ||   /* ， */
	                      (unsigned char)l[keep - 1] == 0x9B))) { /* ； */
		lw -= u->m.advance(u->m.ctx, (unsigned char)l[keep - 1] == 0x8C
		                                 ? 0xFF0C : 0xFF1B, size);
		keep -= 3;
	}
	while (keep >= 3 && (unsigned char)l[keep - 3] == 0xE3 &&
	       (unsigned char)l[keep - 2] == 0x80 &&
	       ((unsigned char)l[keep - 1] == 0x81 || (unsigned char)l[keep - 1] == 0x82)) {
		lw -= u->m.advance(u->m.ctx, (unsigned char)l[keep - 1] == 0x81 ? 0x3001
		                                                                 : 0x3002,
		                   size);
		keep -= 3;
	}
	if (keep + sizeof ell > sizeof buf)
		keep = 0;
	memcpy(buf, l, keep);
	memcpy(buf + keep, ell, sizeof ell);
	*width = lw + ew;
	return arena_str(f, buf, keep + sizeof ell - 1);
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
int kui__one_line_size(const kui *u, const char *t, int w, int size, int min)
{
	struct kwrap_line l[2];
	int h;
	for (; size >= min && size > 0; size--)
		if (measure(u, t, ES(u, size), w, l, &h) <= 1)
			return size;
	return 0;
}

int kui__text_height(const kui *u, const char *t, int w, int size)
{
	struct kwrap_line lines[MAX_LINES];
	int hgt;
	if (!t || !*t || w <= 0)
		return 0;
	measure(u, t, ES(u, size), w, lines, &hgt);
	return hgt;
}

/*
 * Wrap text into box at the largest size from `size` down to 60 % of it
 * (TX_FIRM: 90 %) that fits; emit one text command per line.  Returns the height used.
 * A lone last character is avoided by narrowing the lines (rebalance).
 * Text that still does not fit is cut after the last whole line (and the
 * frame check reports nothing, because nothing was drawn outside).
 */
int kui__text(const kui *u, struct kui_frame *f, const char *t,
                struct kui_rect box, struct kui_rect clip, int size,
                uint32_t color, int align, int widget_ix)
{
	struct kwrap_line lines[MAX_LINES];
	int n, n_all, hgt, lh, gap, y, min = size * 6 / 10;

	if (!t || !*t || box.w <= 0 || box.h <= 0)
		return 0;
	size = ES(u, size);
	min = size * ((align & TX_FIRM) ? 9 : 6) / 10;
	for (;;) {
		n = measure(u, t, size, box.w, lines, &hgt);
		if ((hgt <= box.h && n <= MAX_LINES) || size <= min)
			break;
		size -= size > 40 ? 3 : 2;
		if ((align & TX_FIRM) && size < min)
			size = min;
	}
	n_all = n;
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
		int cut, width = lines[i].width;
		if (y + lh > box.y + box.h && i > 0)
			break;
		c = push(f, KUI_CMD_TEXT);
		if (!c)
			break;
		/* the last line that fits, with more text after it: ends in …,
		 * so a resident sees the text goes on (a tile's summary cut
		 * mid-phrase read as a whole sentence) */
		cut = i + 1 < n_all &&
		      (i + 1 == n || y + 2 * lh + gap > box.y + box.h);
		c->text = cut ? ellipsis_line(u, f, t + lines[i].off, lines[i].len,
		                              size, box.w, &width)
		              : arena_str(f, t + lines[i].off, lines[i].len);
		c->box = R((align & AL_CENTER) ? box.x + (box.w - width) / 2
		                               : box.x,
		           y, width, lh);
		c->clip = clip;
		c->color = color;
		c->size = size;
		c->widget = widget_ix;
		y += lh + gap;
	}
	return y - gap - box.y;
}


/* ==== widgets ========================================================== */
void kui__button(const kui *u, struct kui_frame *f, const char *id,
                   struct kui_rect r, const char *label, enum btn_style st,
                   int enabled)
{
	uint32_t bg, fg, border = 0;
	int wi = kui__widget(f, id, r, enabled);
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
	kui__rect(f, r, bg, s / 45, border, wi);
	/* 长辈模式: the large label may use the button's height, not its
	 * margins */
	kui__text(u, f, label,
	     u->elder || st == B_ENTRY ? R(r.x + pad + s / 80, r.y + s / 120, r.w - 2 * (pad + s / 80),
	                  r.h - s / 60)
	              : inset(r, pad + s / 80),
	     r, size, fg,
	     (st == B_OPTION || st == B_SELECTED || st == B_RIGHT || st == B_WRONG)
	         ? VA_MIDDLE
	         : (AL_CENTER | VA_MIDDLE),
	     wi);
}

void kui__icon_button(const kui *u, struct kui_frame *f, const char *id,
                      struct kui_rect r, int icon, const char *label)
{
	struct kwrap_line l[2];
	struct kui_cmd *c;
	int s = S(u), wi = kui__widget(f, id, r, 1), size = s / 19, lw, hgt;
	int d, gap, x;
	kui__rect(f, r, C_CARD, s / 45, C_PRIMARY, wi);
	/* the label on one line at the button's size, shrunk to fit beside
	 * the icon (an icon as tall as the type, a quarter of it apart) */
	for (;; size--) {
		measure(u, label, ES(u, size), r.w, l, &hgt);
		lw = l[0].width;
		d = u->m.line_height(u->m.ctx, ES(u, size));
		gap = d / 4;
		if ((d + gap + lw <= r.w - 2 * (s / 60) && d <= r.h - s / 60) || size <= s / 40)
			break;
	}
	x = r.x + (r.w - d - gap - lw) / 2;
	c = push(f, KUI_CMD_ICON);
	if (c) {
		c->box = R(x, r.y + (r.h - d) / 2, d, d);
		c->color = C_PRIMARY;
		c->size = icon;
		c->widget = wi;
	}
	kui__text(u, f, label, R(x + d + gap, r.y, r.x + r.w - (x + d + gap), r.h), r, size,
	          C_PRIMARY, VA_MIDDLE, wi);
}

/* Header bar with the title and, optionally, a home button. */
int kui__header(const kui *u, struct kui_frame *f, const char *title,
                  const char *home_label)
{
	int s = S(u), hh = s * 11 / 100, pad = s / 30;
	kui__rect(f, R(0, 0, u->w, hh), C_HEAD, 0, 0, -1);
	if (home_label) {
		int bw = s * 30 / 100;
		struct kui_rect b = R(u->w - bw - pad / 2, hh / 8, bw, hh * 3 / 4);
		int wi = kui__widget(f, "home", b, 1);
		kui__rect(f, b, 0xFF2E6A65u, s / 50, 0xFF8FB5AFu, wi);
		kui__text(u, f, home_label, inset(b, s / 80), b, s / 22, C_WHITE,
		     AL_CENTER | VA_MIDDLE, wi);
		kui__text(u, f, title, R(pad, 0, u->w - bw - 2 * pad, hh), R(0, 0, u->w, hh),
		     s / 18, C_WHITE, VA_MIDDLE, -1);
	} else {
		kui__text(u, f, title, R(pad, 0, u->w - 2 * pad, hh), R(0, 0, u->w, hh),
		     s / 18, C_WHITE, VA_MIDDLE, -1);
	}
	return hh;
}

/* keypad-1..9, keypad-del, keypad-0, keypad-ok: three columns, four rows,
 * keys no taller than 3/4 of their width. */
void kui__keypad(const kui *u, struct kui_frame *f, struct kui_rect box,
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
			kui__button(u, f, id, r, "删除", B_PLAIN, 1);
		else if (i == 11)
			kui__button(u, f, id, r, ok_label, B_PRIMARY, ok_enabled);
		else {
			int wi = kui__widget(f, id, r, 1);
			kui__rect(f, r, C_CARD, s / 45, C_LINE, wi);
			kui__text(u, f, keys[i], inset(r, s / 80), r, s / 11, C_INK,
			     AL_CENTER | VA_MIDDLE, wi);
		}
	}
}

/* ==== frame queries (ui.h) ============================================== */
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

