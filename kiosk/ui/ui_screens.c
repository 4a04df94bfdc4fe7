/*
 * ui_screens.c -- the layout of each kiosk screen into draw commands (see
 * ui.h, ui_int.h).  Pure: each lay_* reads the state and appends to the
 * frame; kui_layout picks the screen and adds the overlays (store-alert
 * dot, 您还在吗？).
 */
#include <stdio.h>
#include <string.h>

#include <anxin/clock.h>

#include "ui_int.h"

/* ==== topic colours ===================================================== */
static uint32_t topic_color(const kui *u, const char *topic)
{
	return kui_topic_color(topic, u->elder);
}

/* ==== resident screens ================================================== */
static void lay_attract(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 14, y;
	const struct ax_pack *p;
	const struct ax_page *pg;
	struct kui_rect all = R(0, 0, u->w, u->h);
	int wi;
	char body[512];

	kui__rect(f, all, C_ATTRACT, 0, 0, -1);
	wi = kui__widget(f, "start", all, 1);
	kui__text(u, f, u->cfg.title, R(pad, pad / 2, u->w - 2 * pad, s / 10), all,
	     s / 20, 0xFFCFE3DFu, VA_MIDDLE, -1);
	if (u->npacks == 0) {
		kui__text(u, f, "欢迎使用", R(pad, u->h / 3, u->w - 2 * pad, s / 4), all,
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
			kui__rect(f, chip, topic_color(u, p->topic), ch / 2, 0, -1);
			kui__text(u, f, p->title, inset(chip, ch / 6), chip, s / 22, C_WHITE,
			     AL_CENTER | VA_MIDDLE, -1);
			y += ch + s / 20;
		}
		if (pg) {
			int h1 = kui__text(u, f, pg->title, R(pad, y, u->w - 2 * pad, s / 3),
			              all, s / 10, C_WHITE, 0, -1);
			y += h1 + s / 20;
			kui__rect(f, R(pad, y, s / 6, s / 90), C_GOLD, 0, 0, -1);
			y += s / 20;
			/* the key sentence: the body up to its first 。 */
			snprintf(body, sizeof body, "%s", pg->body);
			{
				char *e = strstr(body, "。");
				if (e)
					e[3] = 0;
			}
			kui__text(u, f, body,
			     R(pad, y, u->w - 2 * pad, u->h * 78 / 100 - y), all,
			     s / 16, 0xFFE6EFEDu, 0, -1);
		}
		/* slide dots */
		{
			int d = s / 60, gapd = d * 2, tw = n * d + (n - 1) * gapd;
			int x = (u->w - tw) / 2, dy = u->h - s / 12;
			for (int i = 0; i < n && i < 40; i++)
				kui__rect(f, R(x + i * (d + gapd), dy, d, d),
				     i == (n ? u->slide % n : 0) ? C_GOLD : 0xFF4E716Du, d / 2,
				     0, -1);
		}
	}
	{
		int bw = s * 7 / 10, bh = s * 13 / 100;
		struct kui_rect b = R((u->w - bw) / 2, u->h - s / 12 - bh - s / 15, bw, bh);
		kui__rect(f, b, C_GOLD, bh / 2, 0, wi);
		kui__text(u, f, "轻触屏幕开始", inset(b, bh / 8), b, s / 15, 0xFF1B2626u,
		     AL_CENTER | VA_MIDDLE, wi);
	}
}

/* The tiles 长辈模式 shows at once, and on which page the home is. */
int kui__home_per_page(const kui *u)
{
	return u->elder ? 4 : KUI_MAX_PACKS;
}

/* The home's greeting and the 长辈模式 button.  Landscape (1280x800,
 * 1920x1080): in the header bar, so the tiles have the height for a
 * title and two lines of summary; portrait: a row of their own.  Returns
 * the y below them. */
static int home_greeting(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, greet = s / 11, ew = s * 36 / 100, hh;
	const char *g = u->elder ? "请点您想看的内容" : "您好！请选择想了解的内容";
	/* 长辈模式: one tap, and again to leave it (it also ends with the
	 * session) */
	const char *lab = u->elder ? "标准模式" : "长辈模式 大字";
	if (landscape(u)) {
		hh = kui__header(u, f, g, NULL);
		kui__button(u, f, "elder", R(u->w - pad / 2 - ew, hh / 10, ew, hh - hh / 5), lab,
		            B_ENTRY, 1);
		return hh + pad;
	}
	hh = kui__header(u, f, u->cfg.title, NULL);
	kui__text(u, f, g, R(pad, hh + pad, u->w - 3 * pad - ew, greet),
	          R(0, hh, u->w - ew - pad, greet + 2 * pad), s / 18, C_INK, VA_MIDDLE, -1);
	kui__button(u, f, "elder", R(u->w - pad - ew, hh + pad, ew, greet), lab, B_ENTRY, 1);
	return hh + pad + greet + pad;
}

static void lay_home(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30;
	int per = kui__home_per_page(u), first = u->home_page * per;
	int n = u->npacks - first < per ? u->npacks - first : per;
	int cols = u->elder ? (landscape(u) ? 2 : 1) : (landscape(u) ? 3 : 2);
	/* landscape: 参与问卷 takes the grid's free cell when it has one (8
	 * topics, 3 columns), so no row goes to it */
	int in_grid = !u->elder && landscape(u) && u->main_survey && n % cols != 0;
	int rows = (n + in_grid + cols - 1) / cols;
	int top = home_greeting(u, f), sbh = s * 14 / 100;
	/* landscape tiles keep their inner margin small: two lines of summary */
	int tp = landscape(u) && !u->elder ? s / 36 : s / 30;
	int avail, tw, th, title_size;
	char id[48];

	avail = in_grid ? u->h - top - pad : u->h - top - sbh - 3 * pad;
	tw = (u->w - (cols + 1) * pad) / cols;
	th = rows ? (avail - (rows - 1) * pad) / rows : 0;
	if (th > tw * 9 / 10)
		th = tw * 9 / 10;
	/* tile titles share one size, the largest (down to 75 %) at which
	 * every title fits on one line: a tile grid reads as one set, and a
	 * name like 反电信网络诈骗 is not broken inside a word; a title too
	 * long even then wraps at the full size */
	title_size = s / 14;
	for (int i = first; i < first + n; i++) {
		int fit = kui__one_line_size(u, u->packs[i]->title, tw - 2 * tp, title_size,
		                        s / 14 * 3 / 4);
		if (fit)
			title_size = fit;
	}
	for (int k = 0; k < n + in_grid; k++) {
		const struct ax_pack *p = k < n ? u->packs[first + k] : NULL;
		struct kui_rect t = R(pad + (k % cols) * (tw + pad),
		                      top + (k / cols) * (th + pad), tw, th);
		const char *title = p ? p->title : "参与问卷";
		uint32_t ink = p ? C_WHITE : C_INK;
		int wi, h1;
		snprintf(id, sizeof id, "tile-%s", p ? p->id : "");
		wi = kui__widget(f, p ? id : "survey", t, 1);
		kui__rect(f, t, p ? topic_color(u, p->topic) : C_GOLD, s / 40, 0, wi);
		/* 长辈模式: the title alone, large, in the middle of its tile */
		h1 = kui__text(u, f, title,
		          u->elder ? inset(t, tp) : R(t.x + tp, t.y + tp, t.w - 2 * tp, th * 4 / 10),
		          t, kui__one_line_size(u, title, t.w - 2 * tp, title_size, title_size)
		                 ? title_size
		                 : s / 14,
		          ink, u->elder ? VA_MIDDLE : 0, wi);
		if (!u->elder)
			kui__text(u, f, p ? p->summary : "说说您对平安建设的感受，约两分钟",
			     R(t.x + tp, t.y + tp + h1 + tp / 2, t.w - 2 * tp,
			       t.h - 2 * tp - h1 - tp / 2),
			     t, s / 27, p ? 0xFFF3F1EBu : C_INK, TX_FIRM, wi);
	}
	if (!in_grid) {
		struct kui_rect b = R(pad, u->h - sbh - 2 * pad, u->w - 2 * pad, sbh);
		if (u->npacks > per) { /* 长辈模式: the next few tiles */
			struct kui_rect m = R(pad, b.y, (b.w - pad) * 2 / 5, sbh);
			char lab[48];
			snprintf(lab, sizeof lab, "换一组 %d/%d", u->home_page + 1,
			         (u->npacks + per - 1) / per);
			kui__button(u, f, "more", m, lab, B_PLAIN, 1);
			b.x += m.w + pad;
			b.w -= m.w + pad;
		}
		if (u->main_survey) {
			int wi = kui__widget(f, "survey", b, 1);
			kui__rect(f, b, C_GOLD, s / 40, 0, wi);
			kui__text(u, f, u->elder ? "参与问卷" : "参与问卷 · 说说您的感受", inset(b, s / 40),
			     b, s / 15, C_INK, AL_CENTER | VA_MIDDLE, wi);
		}
	}
}

static void lay_reader(const kui *u, struct kui_frame *f)
{
	const struct ax_pack *p = u->packs[u->pack];
	const struct ax_page *pg = &p->pages[u->page];
	int s = S(u), pad = s / 30, hh = kui__header(u, f, p->title, "返回首页");
	int bh = BH(u), bot = u->h - bh - 2 * pad;
	struct kui_rect card = R(pad, hh + pad, u->w - 2 * pad, bot - hh - 2 * pad);
	int cp = s / 22, y, tsz = s / 13, aw, th;
	char counter[32];
	const struct ax_survey *qz = kui__quiz_of(u, p);
	int last = u->page == p->npages - 1;
	int bw = landscape(u) ? u->w / 4 : (u->w - 4 * pad) / 3;

	kui__rect(f, card, C_CARD, s / 40, C_LINE, -1);
	kui__rect(f, R(card.x, card.y, s / 60, card.h), topic_color(u, p->topic), 0, 0, -1);
	/* 朗读: landscape, at the top right beside the title, so the body
	 * keeps the card's whole height below them (on a short screen it was
	 * cut); portrait, at the bottom right, so the title keeps the width */
	aw = pg->audio && landscape(u) ? s * 3 / 10 : 0;
	if (pg->audio)
		kui__icon_button(u, f, "read-aloud",
		                 R(card.x + card.w - cp - s * 3 / 10,
		                   aw ? card.y + cp : card.y + card.h - cp - bh, s * 3 / 10, bh),
		                 KUI_ICON_SPEAKER, "朗读");
	y = card.y + cp;
	th = kui__text(u, f, pg->title,
	               R(card.x + cp, y, card.w - 2 * cp - (aw ? aw + cp : 0), card.h / 3), card,
	               tsz, topic_color(u, p->topic), 0, -1);
	y += (aw && th < bh ? bh : th) + cp;
	kui__text(u, f, pg->body,
	     R(card.x + cp, y, card.w - 2 * cp,
	       card.y + card.h - y - cp - (pg->audio && !aw ? bh + cp : 0)),
	     card, landscape(u) ? s / 17 : s / 16, C_INK, 0, -1);
	kui__button(u, f, "prev", R(pad, u->h - bh - pad, bw, bh), "上一页", B_PLAIN,
	       u->page > 0);
	snprintf(counter, sizeof counter, "%d / %d", u->page + 1, p->npages);
	kui__text(u, f, counter, R(pad + bw, u->h - bh - pad, u->w - 2 * pad - 2 * bw, bh),
	     R(pad + bw, u->h - bh - pad, u->w - 2 * pad - 2 * bw, bh), s / 17,
	     C_MUTED, AL_CENTER | VA_MIDDLE, -1);
	if (last && qz)
		kui__button(u, f, "quiz", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "做题检验", B_PRIMARY, 1);
	else if (last)
		kui__button(u, f, "done", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "看完了", B_PRIMARY, 1);
	else
		kui__button(u, f, "next", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
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

/* How many questions this resident may see: those shown now and those
 * a show-if may still show (it looks at a question not answered yet);
 * *maybe is 1 when some of them may not show after all. */
static int may_show(const kui *u, int *maybe)
{
	const struct ax_survey *sv = u->sv;
	int t = 0;
	*maybe = 0;
	for (int k = 0; k < sv->nquestions; k++) {
		const char *on = sv->questions[k].show_if_question;
		if (ax_response_shown(&u->r, k)) {
			t++;
			continue;
		}
		for (int j = 0; on && j < sv->nquestions; j++)
			if (strcmp(sv->questions[j].id, on) == 0 && !u->r.sel[j]) {
				t++;
				*maybe = 1;
				break;
			}
	}
	return t;
}

/* Progress line and bar; returns the y below them.  The count does not
 * jump as answers open questions: it counts what may show, with 约 while
 * some may not. */
static int lay_progress(const kui *u, struct kui_frame *f, int y)
{
	int s = S(u), pad = s / 30, pos, total, lh, maybe;
	char buf[64];
	ax_response_progress(&u->r, u->qi, &pos, NULL);
	total = may_show(u, &maybe);
	snprintf(buf, sizeof buf, "第 %d 题 / 共%s %d 题", pos, maybe ? "约" : "", total);
	lh = s / 14;
	kui__text(u, f, buf, R(pad, y, u->w - 2 * pad, lh), R(0, y, u->w, lh), s / 24,
	     C_MUTED, VA_MIDDLE, -1);
	y += lh;
	kui__rect(f, R(pad, y, u->w - 2 * pad, s / 90), 0xFFDAD5CAu, s / 180, 0, -1);
	if (total)
		kui__rect(f, R(pad, y, (u->w - 2 * pad) * pos / total, s / 90), C_PRIMARY,
		     s / 180, 0, -1);
	return y + s / 90 + pad;
}

/* The label of the option shown at position i of question q (its option
 * by the respondent's order); *sel: 1 if it is chosen. */
static void option_label(const kui *u, const struct ax_question *q, int i,
                         char *label, size_t cap, int *sel)
{
	int oi = ax_response_option_at(&u->r, u->qi, i);
	const struct ax_option *o = &q->options[oi < 0 ? i : oi];
	uint64_t bits = q->type == AX_Q_MULTI ? u->multi : u->r.sel[u->qi];
	*sel = (int)(bits >> (oi < 0 ? i : oi) & 1);
	if (q->type == AX_Q_MULTI)
		snprintf(label, cap, "%s  %s", *sel ? "☑" : "☐", o->label);
	else
		snprintf(label, cap, "%s", o->label);
}

/* A question's options as a grid: columns, option height, options a page
 * (all of them but in 长辈模式 when they do not fit) and pages. */
struct opt_grid {
	int cols, oh, per, pages;
};

/* Standard mode: one column, else two (landscape: two from four
 * options), whichever first gives options of the smallest target height;
 * labels shrink to fit. */
static void std_grid(const kui *u, int no, int avail, int gap, struct opt_grid *g)
{
	int s = S(u);
	for (g->cols = 1;; g->cols++) {
		int rows = no ? (no + g->cols - 1) / g->cols : 1;
		g->oh = (avail - (rows - 1) * gap) / rows;
		if (g->oh > s * 15 / 100)
			g->oh = s * 15 / 100;
		if (g->cols == 1 && landscape(u) && no > 3)
			continue;
		if (g->oh >= s * 95 / 1000 || g->cols == 2)
			break;
	}
	g->per = no;
	g->pages = 1;
}

/*
 * 长辈模式: every label at its full 长辈模式 size (it wraps, never
 * shrinks).  The fewest columns (up to two, three in landscape) at which
 * all options fit in `avail` at the height their longest label needs
 * (at least 3/4 of a button); when none does (a 1280x800 panel, a long
 * question), the columns that hold the most, a page at a time, the last
 * cell being 更多选项.
 */
static void elder_grid(const kui *u, const struct ax_question *q, int avail,
                       int gap, struct opt_grid *g)
{
	int s = S(u), no = q->noptions, maxc = landscape(u) ? 3 : 2;
	int best = 0, best_cols = 1, best_need = 0;
	/* the label box of a 长辈模式 button (kui__button) */
	int mx = 2 * (s / 60 + s / 80), my = s / 60;
	for (int cols = 1; cols <= maxc; cols++) {
		int ow = (u->w - 2 * (s / 30) - (cols - 1) * gap) / cols;
		int need = BH(u) * 3 / 4, rows = no ? (no + cols - 1) / cols : 1, fit;
		for (int i = 0; i < no; i++) {
			char label[256];
			int sel, h;
			option_label(u, q, i, label, sizeof label, &sel);
			h = kui__text_height(u, label, ow - mx, s / 19) + my;
			if (h > need)
				need = h;
		}
		fit = (avail + gap) / (need + gap);
		if (rows <= fit) {
			g->cols = cols;
			g->oh = (avail - (rows - 1) * gap) / rows;
			if (g->oh > s * 18 / 100)
				g->oh = s * 18 / 100;
			if (g->oh < need)
				g->oh = need;
			g->per = no;
			g->pages = 1;
			return;
		}
		/* the columns that show the most options a page (fewer columns
		 * when as many) */
		if (fit * cols > best) {
			best = fit * cols;
			best_cols = cols;
			best_need = need;
		}
	}
	g->cols = best_cols;
	g->oh = best_need;
	g->per = best > 2 ? best - 1 : 1;
	g->pages = (no + g->per - 1) / g->per;
}

static void lay_question(const kui *u, struct kui_frame *f)
{
	const struct ax_question *q = &u->sv->questions[u->qi];
	int s = S(u), pad = s / 30, hh = kui__header(u, f, u->sv->title, "退出");
	int bh = BH(u), y = lay_progress(u, f, hh + pad / 2);
	int no = q->noptions, ow, gap = s / 45, avail, first, pos;
	int bottom = u->h - bh - 2 * pad;
	int qh;
	struct opt_grid g;
	char id[32];

	qh = kui__text(u, f, q->text, R(pad, y, u->w - 2 * pad, u->h / 4),
	          R(0, y, u->w, u->h / 4), s / 15, C_INK, 0, -1);
	y += qh + pad / 2;
	/* 长辈模式 keeps the screen for the question and its options: the
	 * hint only where it says something (选多项) */
	if (!u->elder || q->type == AX_Q_MULTI)
		y += kui__text(u, f, qtype_hint(q), R(pad, y, u->w - 2 * pad, s / 16),
		          R(0, y, u->w, s / 16), s / 28, C_MUTED, 0, -1);
	if (q->audio && q->audio_dir) { /* 朗读: a row of its own */
		kui__icon_button(u, f, "read-aloud",
		            R(u->w - pad - s * 3 / 10, y + pad / 2, s * 3 / 10, bh * 4 / 5),
		            KUI_ICON_SPEAKER, "朗读");
		y += pad / 2 + bh * 4 / 5;
	}
	y += pad;
	ax_response_progress(&u->r, u->qi, &pos, NULL);
	/* 长辈模式 with no 上一题 or 下一题 below (the first question of a
	 * single choice): the options may use the bottom row too */
	avail = (u->elder && pos <= 1 && q->type != AX_Q_MULTI ? u->h - pad : bottom) - y;
	if (u->elder)
		elder_grid(u, q, avail, gap, &g);
	else
		std_grid(u, no, avail, gap, &g);
	ow = (u->w - 2 * pad - (g.cols - 1) * gap) / g.cols;
	first = g.per < no ? (u->opt_page % g.pages) * g.per : 0;
	for (int i = first; i < no && i < first + g.per; i++) {
		int k = i - first, sel;
		char label[256];
		option_label(u, q, i, label, sizeof label, &sel);
		snprintf(id, sizeof id, "option-%d", i + 1);
		kui__button(u, f, id,
		       R(pad + (k % g.cols) * (ow + gap), y + (k / g.cols) * (g.oh + gap), ow,
		         g.oh),
		       label, sel ? B_SELECTED : B_OPTION, 1);
	}
	if (g.per < no) { /* 长辈模式: the other options, in the grid's last cell */
		int k = g.per;
		char lab[48];
		snprintf(lab, sizeof lab, "更多选项 %d/%d", u->opt_page % g.pages + 1, g.pages);
		kui__button(u, f, "options-more",
		       R(pad + (k % g.cols) * (ow + gap), y + (k / g.cols) * (g.oh + gap), ow,
		         g.oh),
		       lab, B_PLAIN, 1);
	}
	{
		int bw = landscape(u) ? u->w / 4 : (u->w - 3 * pad) / 2;
		if (pos > 1)
			kui__button(u, f, "prev", R(pad, u->h - bh - pad, bw, bh), "上一题",
			       B_PLAIN, 1);
		if (q->type == AX_Q_MULTI)
			kui__button(u, f, "next", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
			       "下一题", B_PRIMARY, u->multi != 0);
	}
	if (u->error[0])
		kui__text(u, f, u->error, R(pad, bottom - s / 14, u->w - 2 * pad, s / 14),
		     R(0, bottom - s / 14, u->w, s / 14), s / 26, C_BAD, AL_CENTER, -1);
}

static void lay_explain(const kui *u, struct kui_frame *f)
{
	const struct ax_question *q = &u->sv->questions[u->qi];
	int k = ax_response_single(&u->r, u->qi);
	const struct ax_option *mine = k >= 0 ? &q->options[k] : NULL;
	const struct ax_option *good = q->answer ? ax_question_option(q, q->answer) : NULL;
	int ok = ax_response_correct(&u->r, u->qi) == 1;
	int s = S(u), pad = s / 30, hh = kui__header(u, f, u->sv->title, "退出");
	int bh = BH(u), y = lay_progress(u, f, hh + pad / 2);
	int cp = s / 25, bottom = u->h - bh - 2 * pad;
	struct kui_rect card;
	char buf[512];

	y += kui__text(u, f, ok ? "回答正确！" : "再想一想，正确答案是：",
	          R(pad, y, u->w - 2 * pad, s / 10), R(0, y, u->w, s / 10), s / 13,
	          ok ? C_OK : C_BAD, 0, -1);
	y += pad / 2;
	if (good) {
		int oh = BH(u);
		struct kui_rect r = R(pad, y, u->w - 2 * pad, oh);
		int wi = kui__widget(f, "answer", r, 0);
		kui__rect(f, r, 0xFFE1F0E4u, s / 45, C_OK, wi);
		snprintf(buf, sizeof buf, "✔ %s", good->label);
		kui__text(u, f, buf, inset(r, s / 40), r, s / 19, C_OK, VA_MIDDLE, wi);
		y += oh + pad / 2;
	}
	if (!ok && mine) {
		snprintf(buf, sizeof buf, "您选的是：%s", mine->label);
		y += kui__text(u, f, buf, R(pad, y, u->w - 2 * pad, s / 8),
		          R(0, y, u->w, s / 8), s / 24, C_MUTED, 0, -1);
		y += pad / 2;
	}
	/* landscape: the card runs down beside 下一题, so the explanation is
	 * not shrunk on a short screen (1280x800) */
	card = landscape(u) ? R(pad, y, u->w - 3 * pad - u->w / 4, u->h - pad - y)
	                    : R(pad, y, u->w - 2 * pad, bottom - y);
	kui__rect(f, card, C_CARD, s / 40, C_LINE, -1);
	{
		int h1 = kui__text(u, f, "小知识", R(card.x + cp, card.y + cp, card.w - 2 * cp, s / 12),
		              card, s / 20, C_PRIMARY, 0, -1);
		kui__text(u, f, q->explanation ? q->explanation : "",
		     R(card.x + cp, card.y + cp + h1 + cp / 2, card.w - 2 * cp,
		       card.h - 2 * cp - h1 - cp / 2),
		     card, s / 17, C_INK, 0, -1);
	}
	{
		int bw = landscape(u) ? u->w / 4 : (u->w - 3 * pad) / 2;
		kui__button(u, f, "next", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "下一题", B_PRIMARY, 1);
	}
}

static void lay_link(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, hh = kui__header(u, f, "留下手机号（可以不填）", NULL);
	int y = hh + pad, bh = BH(u);
	int cw = landscape(u) ? u->w / 2 - 2 * pad : u->w - 2 * pad;
	char shown_num[32];
	size_t n = strlen(u->digits), k = 0;
	struct kui_rect field;
	int kp_top, kp_w;

	y += kui__text(u, f,
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
		int wi = kui__widget(f, "number", field, 0);
		kui__rect(f, field, C_CARD, s / 45, u->link_error ? C_BAD : C_PRIMARY, wi);
		/* under 您还在吗？ the number is hidden at once: the next person
		 * at the kiosk must not read it */
		if (n && u->idle_prompt)
			snprintf(shown_num, sizeof shown_num, "（号码已隐藏）");
		kui__text(u, f, n ? shown_num : "请输入11位手机号", inset(field, s / 40), field,
		     n ? s / 12 : s / 20, n ? C_INK : C_MUTED, AL_CENTER | VA_MIDDLE,
		     wi);
	}
	y += field.h + pad / 2;
	if (u->link_error)
		kui__text(u, f, "号码不对，请检查后重新输入", R(pad, y, cw, s / 15),
		     R(0, y, cw + 2 * pad, s / 15), s / 26, C_BAD, AL_CENTER, -1);
	y += s / 15;
	kp_top = y;
	kp_w = u->w - 2 * pad;
	if (landscape(u))
		kui__keypad(u, f, R(u->w / 2 + pad, hh + pad, u->w / 2 - 2 * pad, u->h - hh - 2 * pad),
		       "确定", n == 11);
	else
		kui__keypad(u, f, R(pad, kp_top, kp_w, u->h - kp_top - bh - 2 * pad), "确定",
		       n == 11);
	kui__button(u, f, "skip",
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

	kui__rect(f, all, C_BG, 0, 0, -1);
	y += kui__text(u, f, "谢谢您的参与！", R(pad, y, u->w - 2 * pad, s / 6), all,
	          s / 9, C_PRIMARY, AL_CENTER, -1);
	y += pad;
	if (u->asked > 0) {
		struct kui_rect c = R(pad, y, u->w - 2 * pad, s * 30 / 100);
		kui__rect(f, c, C_CARD, s / 40, C_LINE, -1);
		snprintf(buf, sizeof buf, "知识问答 答对 %d 题 / 共 %d 题", u->right,
		         u->asked);
		kui__text(u, f, buf, R(c.x + pad / 2, c.y + pad / 2, c.w - pad, c.h / 2 - pad / 2), c,
		     s / 15, C_INK, AL_CENTER | VA_MIDDLE, -1);
		kui__text(u, f,
		     u->right == u->asked ? "全部答对，真棒！" : "看看宣传内容，下次一定全对！",
		     R(c.x + pad / 2, c.y + c.h / 2, c.w - pad, c.h / 2 - pad / 2), c,
		     s / 22, C_MUTED, AL_CENTER | VA_MIDDLE, -1);
		y += c.h + pad;
	}
	kui__text(u, f, "您的回答已保存。遇到危险请拨打 110。",
	     R(pad, y, u->w - 2 * pad, s / 6), all, s / 22, C_INK, AL_CENTER, -1);
	kui__button(u, f, "done",
	       R((u->w - s * 6 / 10) / 2, u->h - bh - 2 * pad, s * 6 / 10, bh),
	       "返回首页", B_PRIMARY, !locked);
}

static void lay_pin(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, hh = kui__header(u, f, "工作人员登录", NULL);
	int y = hh + pad, bh = BH(u), n = (int)strlen(u->pin);
	int cw = landscape(u) ? u->w / 2 - 2 * pad : u->w - 2 * pad;
	char dots[64] = "", msg[96] = "";
	int locked = u->now < u->pin_lock_until;

	for (int i = 0; i < n && i < 12; i++)
		strcat(dots, "●");
	y += kui__text(u, f, "请输入管理密码", R(pad, y, cw, s / 12),
	          R(0, y, cw + 2 * pad, s / 12), s / 20, C_INK, AL_CENTER, -1);
	{
		struct kui_rect field = R(pad + cw / 6, y + pad / 2, cw * 2 / 3, s / 8);
		kui__rect(f, field, C_CARD, s / 45, C_PRIMARY, -1);
		if (n)
			kui__text(u, f, dots, inset(field, s / 60), field, s / 14, C_INK,
			     AL_CENTER | VA_MIDDLE, -1);
		y += field.h + pad;
	}
	if (locked) {
		long long left = (u->pin_lock_until - u->now + 999) / 1000;
		snprintf(msg, sizeof msg, "错误次数过多，请 %lld 分 %02lld 秒后再试",
		         left / 60, left % 60);
	}
	else if (u->pin_msg)
		snprintf(msg, sizeof msg, "密码错误，还可以再试 %d 次",
		         u->cfg.pin_max_tries - u->pin_fails);
	if (msg[0])
		kui__text(u, f, msg, R(pad, y, cw, s / 7), R(0, y, cw + 2 * pad, s / 7),
		     s / 26, C_BAD, AL_CENTER, -1);
	y += s / 14;
	if (landscape(u))
		kui__keypad(u, f, R(u->w / 2 + pad, hh + pad, u->w / 2 - 2 * pad, u->h - hh - 2 * pad),
		       "确定", n >= 4 && !locked);
	else
		kui__keypad(u, f, R(pad, y, u->w - 2 * pad, u->h - y - bh - 2 * pad), "确定",
		       n >= 4 && !locked);
	kui__button(u, f, "cancel",
	       R(pad, u->h - bh - pad, landscape(u) ? u->w / 4 : (u->w - 3 * pad) / 2,
	         bh),
	       "返回", B_PLAIN, 1);
}

/* ==== the store, staff, overlays ======================================== */
/* 暂停服务: the store fails and memory holds all it may (see ui.h).  Calm
 * words for the resident: nothing they did went wrong, reading still works. */
static void lay_paused(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 20, hh = kui__header(u, f, u->cfg.title, NULL);
	int y = hh + u->h / 8, bh = s * 13 / 100;
	struct kui_rect all = R(0, 0, u->w, u->h);
	y += kui__text(u, f, "暂停服务", R(pad, y, u->w - 2 * pad, s / 6), all, s / 9,
	          C_PRIMARY, AL_CENTER, -1);
	y += pad;
	y += kui__text(u, f, "本机暂时不能接受新问卷，请稍后再来或告诉工作人员。",
	          R(pad, y, u->w - 2 * pad, s / 4), all, s / 18, C_INK, AL_CENTER, -1);
	y += pad;
	kui__text(u, f, "宣传内容仍然可以阅读。", R(pad, y, u->w - 2 * pad, s / 8), all,
	     s / 22, C_MUTED, AL_CENTER, -1);
	kui__button(u, f, "done",
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
	kui__rect(f, c, C_ALERT_BG, s / 40, C_BAD, -1);
	kui__rect(f, R(c.x + ip, c.y + ip + s / 90, s / 36, s / 36), C_WARN, s / 72, 0, -1);
	h = kui__text(u, f, l1, R(c.x + ip + s / 24, c.y + ip, c.w - 2 * ip - s / 24, s * 17 / 100),
	         c, s / 22, C_BAD, 0, -1);
	h += ip / 2;
	h += kui__text(u, f, l2, R(c.x + ip + s / 24, c.y + ip + h, c.w - 2 * ip - s / 24,
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

/* Narration volume (调小 / 调大, steps of 10) and mute, kept by the host
 * (set_audio); a line says when narration is silent and why.  Portrait:
 * 静音 goes on a row of its own.  Returns the y below. */
static int staff_audio(const kui *u, struct kui_frame *f, int y)
{
	int s = S(u), pad = s / 30, rh = s * 10 / 100, bw = s * 18 / 100;
	int lw = s * 26 / 100, vw = s * 18 / 100, mw = s * 32 / 100, x = pad;
	const char *note = u->stats.mute ? "已静音：朗读不出声"
	                   : u->stats.quiet ? "现在是静音时段（quiet_hours），朗读不出声"
	                                    : NULL;
	char v[32];
	kui__text(u, f, "朗读音量", R(x, y, lw, rh), R(0, y, x + lw, rh), s / 24, C_INK,
	          VA_MIDDLE, -1);
	x += lw;
	kui__button(u, f, "volume-down", R(x, y, bw, rh), "调小", B_PLAIN, u->stats.volume > 0);
	x += bw;
	snprintf(v, sizeof v, "%d%%", u->stats.volume);
	kui__text(u, f, v, R(x, y, vw, rh), R(x, y, vw, rh), s / 20,
	          u->stats.mute ? C_MUTED : C_INK, AL_CENTER | VA_MIDDLE, -1);
	x += vw;
	kui__button(u, f, "volume-up", R(x, y, bw, rh), "调大", B_PLAIN, u->stats.volume < 100);
	x += bw + pad;
	if (x + mw > u->w - pad) {
		x = pad;
		y += rh + pad / 2;
	}
	kui__button(u, f, "mute", R(x, y, mw, rh), u->stats.mute ? "取消静音" : "静音",
	            u->stats.mute ? B_PRIMARY : B_PLAIN, 1);
	y += rh + pad / 4;
	if (note)
		y += kui__text(u, f, note, R(pad, y, u->w - 2 * pad, s / 14), R(0, y, u->w, s / 14),
		               s / 28, C_BAD, 0, -1);
	return y + pad / 2;
}

static void lay_staff(const kui *u, struct kui_frame *f)
{
	int s = S(u), pad = s / 30, hh = kui__header(u, f, "工作人员 · 运行情况", NULL);
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
		kui__rect(f, c, C_CARD, s / 40, C_LINE, -1);
		snprintf(v[i], sizeof v[i], "%ld", vals[i]);
		kui__text(u, f, v[i], R(c.x, c.y + s / 40, c.w, ch * 55 / 100), c, s / 9,
		     i == 3 && vals[i] ? C_BAD : C_PRIMARY, AL_CENTER | VA_MIDDLE, -1);
		kui__text(u, f, lab[i], R(c.x, c.y + ch * 6 / 10, c.w, ch * 35 / 100), c,
		     s / 24, C_MUTED, AL_CENTER | VA_MIDDLE, -1);
	}
	y += ((4 + cols - 1) / cols) * (ch + pad);
	if (u->stats.last_sync > 0) {
		char t[32];
		ax_time_format(u->stats.last_sync, "%Y-%m-%d %H:%M", t, sizeof t);
		snprintf(when, sizeof when, "最近同步：%s", t);
	} else
		snprintf(when, sizeof when, "最近同步：从未同步");
	y += kui__text(u, f, when, R(pad, y, u->w - 2 * pad, s / 12), R(0, y, u->w, s / 12),
	          s / 22, C_INK, 0, -1);
	if (u->stats.sync_error[0])
		y += kui__text(u, f, u->stats.sync_error, R(pad, y, u->w - 2 * pad, s / 8),
		          R(0, y, u->w, s / 8), s / 28, C_BAD, 0, -1);
	if (u->host.set_audio)
		staff_audio(u, f, y + pad / 2);
	{
		int bw = landscape(u) ? u->w / 3 : (u->w - 3 * pad) / 2;
		kui__button(u, f, "sync-now", R(pad, u->h - bh - pad, bw, bh), "立即同步",
		       B_PRIMARY, 1);
		kui__button(u, f, "exit", R(u->w - pad - bw, u->h - bh - pad, bw, bh),
		       "退出", B_PLAIN, 1);
	}
}

/* A card over the shaded screen with a heading; the widgets below are
 * taken away (a tap only answers the card).  Returns the card. */
static struct kui_rect overlay_card(const kui *u, struct kui_frame *f,
                                    const char *heading)
{
	int s = S(u), cw = s * 8 / 10, ch = s * 6 / 10;
	struct kui_rect c = R((u->w - cw) / 2, (u->h - ch) / 2, cw, ch);
	f->nwidgets = 0;
	for (int i = 0; i < f->ncmds; i++)
		f->cmds[i].widget = -1;
	kui__rect(f, R(0, 0, u->w, u->h), C_SHADE, 0, 0, -1);
	kui__rect(f, c, C_CARD, s / 30, 0, -1);
	kui__text(u, f, heading, R(c.x + s / 30, c.y + s / 20, c.w - s / 15, s / 7), c,
	     s / 10, C_INK, AL_CENTER | VA_MIDDLE, -1);
	return c;
}

/* 退出 asked on a question: leaving needs a second, deliberate tap */
static void lay_confirm_exit(const kui *u, struct kui_frame *f)
{
	int s = S(u), bh = s * 13 / 100, gap = s / 15;
	struct kui_rect c = overlay_card(u, f, "确定退出问卷吗？");
	int bw = (c.w - 3 * gap) / 2, by = c.y + c.h - bh - gap;
	kui__text(u, f, "已经回答的题会保存", R(c.x, c.y + s / 20 + s / 7, c.w, s / 10), c,
	     s / 18, C_MUTED, AL_CENTER | VA_MIDDLE, -1);
	kui__button(u, f, "exit-no", R(c.x + gap, by, bw, bh), "继续答题", B_PRIMARY, 1);
	kui__button(u, f, "exit-yes", R(c.x + 2 * gap + bw, by, bw, bh), "退出", B_PLAIN,
	       1);
}

static void lay_idle(const kui *u, struct kui_frame *f)
{
	int s = S(u);
	struct kui_rect c = overlay_card(u, f, "您还在吗？");
	long long left = u->prompt_at + u->cfg.countdown_ms - u->now;
	char buf[64];
	int bh = s * 13 / 100;
	snprintf(buf, sizeof buf, "%lld 秒后回到首页", left > 0 ? (left + 999) / 1000 : 0);
	kui__text(u, f, buf, R(c.x, c.y + s / 20 + s / 7, c.w, s / 10), c, s / 18,
	     C_MUTED, AL_CENTER | VA_MIDDLE, -1);
	kui__button(u, f, "still-here",
	       R(c.x + s / 15, c.y + c.h - bh - s / 15, c.w - 2 * s / 15, bh),
	       "我还在，继续", B_PRIMARY, 1);
}

/* ==== entry point ====================================================== */
void kui_layout(kui *u, struct kui_frame *f)
{
	f->w = u->w;
	f->h = u->h;
	f->ncmds = f->nwidgets = 0;
	f->used = 0;
	f->overflow = 0;
	kui__rect(f, R(0, 0, u->w, u->h), C_BG, 0, 0, -1);
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
		kui__rect(f, R(d / 2, d / 2, d, d), C_WARN, d / 2, 0, -1);
	}
	if (u->confirm_exit && !u->idle_prompt)
		lay_confirm_exit(u, f);
	if (u->idle_prompt)
		lay_idle(u, f);
}

