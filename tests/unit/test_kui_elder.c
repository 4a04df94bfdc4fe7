/*
 * test_kui_elder.c -- 长辈模式 (issue 18; 工信部《移动互联网应用（APP）
 * 适老化通用设计规范》, docs/kiosk-elder.md): the palettes' contrast and
 * the size of every tap target.
 *
 * Contrast is WCAG 2's: relative luminance L = 0.2126 R + 0.7152 G +
 * 0.0722 B over linear channels (c = v/255; c <= 0.04045 ? c/12.92 :
 * ((c+0.055)/1.055)^2.4), ratio (L1 + 0.05) / (L2 + 0.05).  Worked by hand
 * for 长辈模式's secondary text #2E3A39 on white:
 *   R 0x2E = 46: 0.1804 -> (0.2232)^2.4 = 0.0273
 *   G 0x3A = 58: 0.2275 -> (0.2678)^2.4 = 0.0423
 *   B 0x39 = 57: 0.2235 -> (0.2640)^2.4 = 0.0409
 *   L = 0.2126*0.0273 + 0.7152*0.0423 + 0.0722*0.0409 = 0.0391
 *   ratio = 1.05 / 0.0891 = 11.8 : 1
 * Body text must reach 7:1 in 长辈模式 and 4.5:1 otherwise.
 *
 * Tap targets: every enabled widget on every screen a resident or staff
 * member reaches, in both modes, at least 9 mm on its short side at the
 * panel's size and DPI: 1080x1920 and 1920x1080 on a 21.5" panel (102
 * dpi: 9 mm = 36.1 px), 1280x800 on a 10.1" one (149 dpi: 52.8 px).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <anxin/content.h>

#include "check.h"
#include "ui/ui.h"

/* ==== contrast ============================================================ */
static double channel(unsigned v)
{
	double c = v / 255.0;
	return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4);
}

static double luminance(uint32_t c)
{
	return 0.2126 * channel(c >> 16 & 0xFF) + 0.7152 * channel(c >> 8 & 0xFF) +
	       0.0722 * channel(c & 0xFF);
}

static double ratio(uint32_t a, uint32_t b)
{
	double la = luminance(a), lb = luminance(b);
	return la > lb ? (la + 0.05) / (lb + 0.05) : (lb + 0.05) / (la + 0.05);
}

static void check_palette(const struct kui_palette *p, int elder, double min)
{
	static const char *const topics[] = {"family_safety", "anti_drug", "anti_cult",
	                                     "anti_pyramid", "anti_fraud", NULL};
	/* every text colour on the backgrounds the layouts put it on */
	const struct {
		const char *what;
		uint32_t fg, bg;
	} pairs[] = {
	    {"body on paper", p->ink, p->bg},
	    {"body on a card", p->ink, p->card},
	    {"secondary on paper", p->muted, p->bg},
	    {"secondary on a card", p->muted, p->card},
	    {"header title", p->white, p->head},
	    {"primary button", p->white, p->primary},
	    {"plain button", p->primary, p->card},
	    {"selected option", p->ink, p->select},
	    {"survey button", p->ink, p->gold},
	    {"right answer", p->ok, p->bg},
	    {"wrong answer", p->bad, p->bg},
	    {"store alert", p->bad, p->alert_bg},
	    {"attract text", p->white, p->attract},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		double r = ratio(pairs[i].fg, pairs[i].bg);
		if (r < min)
			fprintf(stderr, "%s %s: %.2f:1 < %.1f:1\n", elder ? "长辈模式" : "standard",
			        pairs[i].what, r, min);
		CHECK(r >= min);
	}
	for (int i = 0; topics[i]; i++) {
		double r = ratio(p->white, kui_topic_color(topics[i], elder));
		if (r < min)
			fprintf(stderr, "%s tile %s: %.2f:1\n", elder ? "长辈模式" : "standard",
			        topics[i], r);
		CHECK(r >= min);
	}
}

static void test_contrast(void)
{
	double hand = ratio(0xFF2E3A39u, 0xFFFFFFFFu);
	CHECK(hand > 11.7 && hand < 11.9); /* the worked example above */
	CHECK(ratio(0xFF000000u, 0xFFFFFFFFu) > 20.99); /* 21:1, the most */
	check_palette(&kui_palette_elder, 1, 7.0);
	check_palette(&kui_palette_std, 0, 4.5);
}

/* ==== tap targets ======================================================== */
static int fx_advance(void *ctx, uint32_t cp, int size)
{
	return cp >= 0x2E80 ? size : size / 2;
}
static int fx_line(void *ctx, int size)
{
	return size * 5 / 4;
}
static int yes(void *ctx)
{
	return 1;
}
static int pin_ok(void *ctx, const char *pin)
{
	return strcmp(pin, "2468") == 0;
}

static struct kui_frame frame;
static long long now = 1000000;

static void send(kui *u, enum kui_ev_kind k, int x, int y)
{
	struct kui_event ev = {k, x, y, now};
	kui_handle(u, &ev);
}

/* Tap widget id (press 100 ms, release, 700 ms pass). */
static int tap(kui *u, const char *id)
{
	int w;
	kui_layout(u, &frame);
	w = kui_frame_find(&frame, id);
	if (w < 0)
		return -1;
	send(u, KUI_EV_DOWN, frame.widgets[w].box.x + 1, frame.widgets[w].box.y + 1);
	now += 100;
	send(u, KUI_EV_UP, frame.widgets[w].box.x + 1, frame.widgets[w].box.y + 1);
	now += 700;
	send(u, KUI_EV_TICK, 0, 0);
	return 0;
}

static const struct {
	int w, h, dpi;
} panels[] = {{1080, 1920, 102}, {1920, 1080, 102}, {1280, 800, 149}};

/* Every enabled widget of the current screen >= 9 mm at each panel. */
static void check_targets(kui *u, const char *where)
{
	for (size_t i = 0; i < sizeof panels / sizeof panels[0]; i++) {
		double min = 9.0 / 25.4 * panels[i].dpi;
		kui_resize(u, panels[i].w, panels[i].h);
		kui_layout(u, &frame);
		for (int k = 0; k < frame.nwidgets; k++) {
			const struct kui_widget *wd = &frame.widgets[k];
			int side = wd->box.w < wd->box.h ? wd->box.w : wd->box.h;
			if (!wd->enabled)
				continue;
			if (side < min)
				fprintf(stderr, "%s%s at %dx%d: %s is %d px (%.1f mm)\n",
				        kui_elder(u) ? "长辈模式 " : "", where, panels[i].w, panels[i].h,
				        wd->id, side, side * 25.4 / panels[i].dpi);
			CHECK(side >= min);
		}
	}
	kui_resize(u, 1080, 1920);
}

static void test_targets(ax_content *c, const struct ax_survey *sv,
                         const struct ax_survey *const *qz, int nqz, int elder)
{
	static const struct kui_metrics m = {fx_advance, fx_line, NULL};
	struct kui_host host = {NULL, NULL, NULL, NULL, yes, NULL, pin_ok,
	                        NULL, NULL, NULL, NULL, NULL};
	const struct ax_pack *packs[KUI_MAX_PACKS];
	struct kui_config cfg;
	int np = 0;
	kui *u;
	for (int i = 0; i < ax_content_npacks(c) && np < KUI_MAX_PACKS; i++)
		packs[np++] = ax_content_pack(c, i);
	kui_config_defaults(&cfg);
	u = kui_new(&cfg, &host, &m, 1080, 1920, packs, np, sv, qz, nqz, now);
	REQUIRE(u);
	check_targets(u, "attract");
	REQUIRE(tap(u, "start") == 0);
	if (elder)
		REQUIRE(tap(u, "elder") == 0);
	CHECK(kui_elder(u) == elder);
	check_targets(u, "home");
	if (elder) {
		REQUIRE(tap(u, "more") == 0);
		check_targets(u, "home, second page");
		REQUIRE(tap(u, "more") == 0);
	}
	REQUIRE(tap(u, "tile-anti-fraud") == 0);
	check_targets(u, "reader");
	REQUIRE(tap(u, "home") == 0);
	REQUIRE(tap(u, "survey") == 0);
	check_targets(u, "question");
	REQUIRE(tap(u, "home") == 0);
	check_targets(u, "退出 confirmation");
	REQUIRE(tap(u, "exit-no") == 0);
	for (int i = 0; i < 7 && kui_current(u) == KUI_QUESTION; i++) {
		check_targets(u, "question");
		REQUIRE(tap(u, "option-1") == 0);
	}
	CHECK_STR(kui_screen_name(kui_current(u)), "link");
	check_targets(u, "number pad");
	REQUIRE(kui_debug_goto(u, "pin", now) == 0);
	check_targets(u, "PIN pad");
	REQUIRE(kui_debug_goto(u, "idle", now) == 0);
	check_targets(u, "您还在吗");
	kui_free(u);
}

/* At 1280x800 a quiz explanation is shown whole at nearly its full size
 * (800 / 17 = 47 px): it used to shrink to the 60 % floor (28 px) in a
 * card squeezed above 下一题 (issue 18). */
static void test_explain_1280(ax_content *c, const struct ax_survey *const *qz, int nqz)
{
	static const struct kui_metrics m = {fx_advance, fx_line, NULL};
	struct kui_host host;
	const struct ax_pack *packs[KUI_MAX_PACKS];
	const struct ax_question *q = NULL;
	struct kui_config cfg;
	int np = 0;
	size_t shown = 0;
	kui *u;
	memset(&host, 0, sizeof host);
	for (int i = 0; i < ax_content_npacks(c) && np < KUI_MAX_PACKS; i++)
		packs[np++] = ax_content_pack(c, i);
	kui_config_defaults(&cfg);
	u = kui_new(&cfg, &host, &m, 1280, 800, packs, np, NULL, qz, nqz, now);
	REQUIRE(u);
	REQUIRE(tap(u, "start") == 0);
	REQUIRE(tap(u, "tile-anti-fraud") == 0);
	while (tap(u, "next") == 0)
		;
	REQUIRE(tap(u, "quiz") == 0);
	REQUIRE(tap(u, "option-1") == 0);
	CHECK_STR(kui_screen_name(kui_current(u)), "explain");
	for (int i = 0; i < nqz; i++)
		if (strcmp(qz[i]->id, "aware-anti-fraud") == 0)
			q = &qz[i]->questions[0]; /* no seed: the first as written */
	REQUIRE(q && q->explanation);
	kui_layout(u, &frame);
	for (int i = 0; i < frame.ncmds; i++)
		if (frame.cmds[i].kind == KUI_CMD_TEXT && strstr(q->explanation, frame.cmds[i].text)) {
			shown += strlen(frame.cmds[i].text);
			/* at most 10 % below it (it was 28 px, the 60 % floor) */
			CHECK(frame.cmds[i].size >= 800 / 17 * 9 / 10);
		}
	/* and all of it */
	CHECK_INT((long)shown, (long)strlen(q->explanation));
	kui_free(u);
}

/* The home's tiles on the landscape panels: a title and two lines of
 * summary at (nearly) its full size, 1/27 of the short side: 29 px at
 * 1280x800, 40 px at 1920x1080, at least 90 % of it.  They had one line
 * shrunk to the 60 % floor (17 px at 1280x800): the greeting row and the
 * 参与问卷 row left each of three rows of tiles 115 px.  What shows is the
 * start of the summary (ending in … where it is cut). */
static void test_home_summary(ax_content *c, const struct ax_survey *sv)
{
	static const struct kui_metrics m = {fx_advance, fx_line, NULL};
	static const int sizes[2][2] = {{1280, 800}, {1920, 1080}};
	struct kui_host host;
	const struct ax_pack *packs[KUI_MAX_PACKS];
	struct kui_config cfg;
	int np = 0, ntiles = 0;
	kui *u;
	memset(&host, 0, sizeof host);
	for (int i = 0; i < ax_content_npacks(c) && np < KUI_MAX_PACKS; i++)
		packs[np++] = ax_content_pack(c, i);
	kui_config_defaults(&cfg);
	u = kui_new(&cfg, &host, &m, 1280, 800, packs, np, sv, NULL, 0, now);
	REQUIRE(u);
	REQUIRE(tap(u, "start") == 0);
	for (int z = 0; z < 2; z++) {
		int s = sizes[z][1], full = s / 27;
		kui_resize(u, sizes[z][0], sizes[z][1]);
		kui_layout(u, &frame);
		CHECK(kui_frame_check(&frame, NULL, 0) == 0);
		for (int k = 0; k < np; k++) {
			char id[48], shown[1024] = "";
			int w, lines = 0, small = 0;
			snprintf(id, sizeof id, "tile-%s", packs[k]->id);
			REQUIRE((w = kui_frame_find(&frame, id)) >= 0);
			for (int i = 0; i < frame.ncmds; i++) {
				const struct kui_cmd *cm = &frame.cmds[i];
				size_t n;
				if (cm->kind != KUI_CMD_TEXT || cm->widget != w ||
				    strcmp(cm->text, packs[k]->title) == 0)
					continue;
				lines++;
				small |= cm->size < full * 9 / 10;
				strncat(shown, cm->text, sizeof shown - strlen(shown) - 1);
				n = strlen(shown);
				if (n >= 3 && strcmp(shown + n - 3, "\xE2\x80\xA6") == 0)
					shown[n - 3] = 0;
			}
			if (lines < 2 || small)
				fprintf(stderr, "home at %dx%d: %s's summary in %d line(s)%s\n",
				        sizes[z][0], sizes[z][1], packs[k]->id, lines,
				        small ? ", below 90 % of its size" : "");
			CHECK(lines >= 2);
			CHECK(!small);
			CHECK(strncmp(packs[k]->summary, shown, strlen(shown)) == 0);
			ntiles++;
		}
	}
	CHECK(ntiles >= 10);
	/* and the 长辈模式 大字 button, the entry for those who need large
	 * type, at >= 80 % of a button's label size (800 / 19 = 42 px) at
	 * every size: it was at the 60 % floor, 25 px at 1280x800 */
	for (size_t p = 0; p < sizeof panels / sizeof panels[0]; p++) {
		int s = panels[p].w < panels[p].h ? panels[p].w : panels[p].h, w, n = 0;
		kui_resize(u, panels[p].w, panels[p].h);
		kui_layout(u, &frame);
		REQUIRE((w = kui_frame_find(&frame, "elder")) >= 0);
		for (int i = 0; i < frame.ncmds; i++)
			if (frame.cmds[i].kind == KUI_CMD_TEXT && frame.cmds[i].widget == w) {
				n++;
				if (frame.cmds[i].size < s / 19 * 8 / 10)
					fprintf(stderr, "home at %dx%d: 长辈模式 大字 at %d px\n", panels[p].w,
					        panels[p].h, frame.cmds[i].size);
				CHECK(frame.cmds[i].size >= s / 19 * 8 / 10);
			}
		CHECK(n >= 1);
	}
	kui_free(u);
}

/* 长辈模式 option labels at their full size, wrapped and never shrunk:
 * 800 / 19 = 42 px x 1.5 = 63 px at 1280x800 (they shrank to fit their
 * buttons, about 57 px, on a question of two lines or more), 1080 / 19 =
 * 56 x 1.5 = 84 px on the other panels.  Every question of the bundled
 * surveys, each asked alone, at the three sizes: each option label is
 * drawn whole (its lines put together are the label), every line at the
 * full size, over the pages of 更多选项 when they do not fit one screen. */
static void check_options(kui *u, const struct ax_question *q, const char *where)
{
	for (size_t p = 0; p < sizeof panels / sizeof panels[0]; p++) {
		int s = panels[p].w < panels[p].h ? panels[p].w : panels[p].h;
		int full = s / 19 * 3 / 2, seen[64] = {0}, pages = 0;
		char why[256];
		kui_resize(u, panels[p].w, panels[p].h);
		for (;;) {
			kui_layout(u, &frame);
			if (kui_frame_check(&frame, why, sizeof why))
				fprintf(stderr, "%s at %dx%d: %s\n", where, panels[p].w, panels[p].h, why);
			CHECK(kui_frame_check(&frame, NULL, 0) == 0);
			for (int k = 0; k < q->noptions && k < 64; k++) {
				char id[32], got[512] = "";
				int w, small = 0;
				snprintf(id, sizeof id, "option-%d", k + 1);
				if ((w = kui_frame_find(&frame, id)) < 0)
					continue;
				seen[k] = 1;
				for (int i = 0; i < frame.ncmds; i++)
					if (frame.cmds[i].kind == KUI_CMD_TEXT && frame.cmds[i].widget == w) {
						strncat(got, frame.cmds[i].text, sizeof got - strlen(got) - 1);
						small |= frame.cmds[i].size != full;
					}
				if (small || !strstr(got, q->options[k].label))
					fprintf(stderr, "%s at %dx%d: option \"%s\" drawn as \"%s\"%s\n",
					        where, panels[p].w, panels[p].h, q->options[k].label, got,
					        small ? " below its full size" : "");
				CHECK(!small);
				CHECK(strstr(got, q->options[k].label) != NULL);
			}
			/* the next page of 更多选项, until all were seen */
			if (kui_frame_find(&frame, "options-more") < 0 || ++pages >= 8 ||
			    tap(u, "options-more") != 0)
				break;
		}
		for (int k = 0; k < q->noptions && k < 64; k++) {
			if (!seen[k])
				fprintf(stderr, "%s at %dx%d: option \"%s\" never shown\n", where,
				        panels[p].w, panels[p].h, q->options[k].label);
			CHECK(seen[k]);
		}
	}
	kui_resize(u, 1080, 1920);
}

static void test_options_full_size(ax_content *c)
{
	static const struct kui_metrics m = {fx_advance, fx_line, NULL};
	struct kui_host host;
	struct kui_config cfg;
	int nq = 0;
	memset(&host, 0, sizeof host);
	kui_config_defaults(&cfg);
	for (int i = 0; i < ax_content_nsurveys(c); i++) {
		const struct ax_survey *sv = ax_content_survey(c, i);
		for (int k = 0; k < sv->nquestions; k++) {
			struct ax_survey one = *sv;
			struct ax_question q = sv->questions[k];
			char where[160];
			kui *u;
			if (q.noptions == 0)
				continue;
			q.show_if_question = NULL; /* asked alone */
			one.questions = &q;
			one.nquestions = 1;
			one.draw = 0;
			one.nawareness = 0;
			one.sat_question = NULL;
			one.nrates = 0;
			u = kui_new(&cfg, &host, &m, 1080, 1920, NULL, 0, &one, NULL, 0, now);
			REQUIRE(u);
			REQUIRE(tap(u, "start") == 0);
			REQUIRE(tap(u, "elder") == 0);
			REQUIRE(tap(u, "survey") == 0);
			REQUIRE(kui_current(u) == KUI_QUESTION);
			snprintf(where, sizeof where, "%s/%s", sv->id, q.id);
			check_options(u, &q, where);
			kui_free(u);
			nq++;
		}
	}
	CHECK(nq > 50);
}

int main(void)
{
	const char *src = getenv("ANXIN_SOURCE");
	char dir[1024];
	int nerr = 0, nqz = 0;
	ax_content *c;
	const struct ax_survey *sv = NULL, *qz[KUI_MAX_PACKS];
	test_contrast();
	snprintf(dir, sizeof dir, "%s/content", src ? src : ".");
	REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &c) == AX_OK);
	for (int i = 0; i < ax_content_nsurveys(c); i++) {
		const struct ax_survey *s = ax_content_survey(c, i);
		if (strcmp(s->id, "satisfaction") == 0)
			sv = s;
		else if (strncmp(s->id, "aware-", 6) == 0 && nqz < KUI_MAX_PACKS)
			qz[nqz++] = s;
	}
	REQUIRE(sv);
	test_targets(c, sv, qz, nqz, 0);
	test_targets(c, sv, qz, nqz, 1);
	test_explain_1280(c, qz, nqz);
	test_options_full_size(c);
	test_home_summary(c, sv);
	ax_content_free(c);
	printf("%d checks\n", check_count);
	if (check_failures)
		fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
	return check_failures ? 1 : 0;
}
