/*
 * test_kui.c -- the kiosk's pure UI (kiosk/ui, kui_*) without SDL: fixed
 * text metrics, a fake host that records what the UI asks of it, and taps
 * on widgets by id (lay the screen out, find the widget, press and release
 * at its centre), on a clock the test moves.
 *
 * Expectations are worked out by hand from the bundled content:
 *   satisfaction.json  q1 yesno (1 知道, 2 不知道); q2 scale5 shown only if
 *                      q1 = 1; q3..q5 scale5, q6 single, overall scale5:
 *                      7 questions with q2, 6 without
 *   aware-anti-fraud   q1..q6 = anti-fraud k1, k2, k3, k4, k5, k7, whose
 *                      right answers are 1, 2, 3, 4, 2, 3 (option-N is
 *                      code N: options are listed in code order)
 *   packs/anti-fraud   12 pages, then 做题检验 (the quiz)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anxin/content.h>

#include "check.h"
#include "ui/ui.h"

/* ==== fixed text metrics ================================================= */
/* CJK and full-width punctuation one em wide, the rest half; lines 1.25 em */
static int fx_advance(void *ctx, uint32_t cp, int size)
{
	return cp >= 0x2E80 ? size : size / 2;
}
static int fx_line_height(void *ctx, int size)
{
	return size * 5 / 4;
}

/* ==== the fake host ====================================================== */
struct fake {
	kui *u;
	char log[64][96]; /* "begin satisfaction", "answer q1=1", "finish complete" */
	int nlog;
	char answered_on[96]; /* screen and progress line when the last answer came */
	char finish_pack[32];  /* kui_session_pack at the last finish */
	int fail_answers;
	int volume, mute; /* the narration as the host keeps it */
};

static struct kui_frame frame, probe;

static void record(struct fake *h, const char *fmt, ...)
{
	va_list ap;
	if (h->nlog >= 64)
		return;
	va_start(ap, fmt);
	vsnprintf(h->log[h->nlog++], sizeof h->log[0], fmt, ap);
	va_end(ap);
}

/* The "第 N 题 / 共 M 题" line of a frame, or "". */
static const char *progress_line(const struct kui_frame *f)
{
	for (int i = 0; i < f->ncmds; i++)
		if (f->cmds[i].kind == KUI_CMD_TEXT && strncmp(f->cmds[i].text, "第 ", 4) == 0)
			return f->cmds[i].text;
	return "";
}

/* 1 if some text line of f is exactly t. */
static int has_text(const struct kui_frame *f, const char *t)
{
	for (int i = 0; i < f->ncmds; i++)
		if (f->cmds[i].kind == KUI_CMD_TEXT && strcmp(f->cmds[i].text, t) == 0)
			return 1;
	return 0;
}

static int h_begin(void *ctx, const struct ax_survey *s)
{
	record(ctx, "begin %s", s->id);
	return 0;
}

/* Logs "answer QID=CODES" for the question answered, then "answer QID=NULL"
 * for each answer the change withdrew, as the host would store them. */
static int h_answer(void *ctx, const struct ax_response *r, int qi,
                    uint64_t withdrawn)
{
	struct fake *h = ctx;
	char codes[64];
	if (ax_response_codes(r, qi, codes, sizeof codes) < 0)
		codes[0] = 0;
	record(h, "answer %s=%s", r->survey->questions[qi].id,
	       codes[0] ? codes : "NULL");
	for (int i = 0; i < r->survey->nquestions; i++)
		if (withdrawn >> i & 1)
			record(h, "answer %s=NULL", r->survey->questions[i].id);
	/* what the resident sees while the answer is committed */
	kui_layout(h->u, &probe);
	snprintf(h->answered_on, sizeof h->answered_on, "%s %s",
	         kui_screen_name(kui_current(h->u)), progress_line(&probe));
	return h->fail_answers ? -1 : 0;
}

static int h_finish(void *ctx, enum kui_status st, const char *phone)
{
	struct fake *h = ctx;
	const char *p = kui_session_pack(h->u);
	record(h, "finish %s", st == KUI_COMPLETE  ? "complete"
	                      : st == KUI_PARTIAL ? "partial"
	                                          : "abandoned");
	snprintf(h->finish_pack, sizeof h->finish_pack, "%s", p ? p : "");
	return 0;
}

static int h_can_link(void *ctx)
{
	return 0;
}

static void h_stats(void *ctx, struct kui_stats *out)
{
	struct fake *h = ctx;
	memset(out, 0, sizeof *out);
	out->volume = h->volume;
	out->mute = h->mute;
}

static void h_set_audio(void *ctx, int volume, int mute)
{
	struct fake *h = ctx;
	record(h, "audio %d%s", volume, mute ? " muted" : "");
	h->volume = volume;
	h->mute = mute;
}

/* ==== driving the UI ===================================================== */
static long long now = 1000000;

static void event(kui *u, enum kui_ev_kind k, int x, int y)
{
	struct kui_event ev = {k, x, y, now};
	kui_handle(u, &ev);
}

/* Let ms pass, ticking at each deadline the UI names (as the main loop). */
static void advance(kui *u, long long ms)
{
	long long end = now + ms;
	while (now < end) {
		long long d = kui_deadline(u);
		now = d > now && d < end ? d : end;
		event(u, KUI_EV_TICK, 0, 0);
	}
}

/* Tap widget id at its centre: press, 100 ms, release, 600 ms.  Returns 0,
 * or -1 if no such enabled widget is on screen. */
static int tap(kui *u, const char *id)
{
	int w, x, y;
	kui_layout(u, &frame);
	w = kui_frame_find(&frame, id);
	if (w < 0 || !frame.widgets[w].enabled) {
		fprintf(stderr, "no enabled widget %s on %s\n", id,
		        kui_screen_name(kui_current(u)));
		return -1;
	}
	x = frame.widgets[w].box.x + frame.widgets[w].box.w / 2;
	y = frame.widgets[w].box.y + frame.widgets[w].box.h / 2;
	event(u, KUI_EV_DOWN, x, y);
	advance(u, 100);
	event(u, KUI_EV_UP, x, y);
	advance(u, 600);
	return 0;
}

#define TAP(u, id) CHECK(tap(u, id) == 0)

/* The current screen laid out into `frame` (for text and widget checks). */
static const struct kui_frame *screen(kui *u)
{
	kui_layout(u, &frame);
	return &frame;
}

/* No text leaves its box on this screen at any of the kiosk sizes. */
static void check_sizes(kui *u)
{
	static const int sizes[][2] = {{1080, 1920}, {1920, 1080}, {768, 1024}};
	char why[256];
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		int bad;
		kui_resize(u, sizes[i][0], sizes[i][1]);
		kui_layout(u, &frame);
		bad = kui_frame_check(&frame, why, sizeof why);
		if (bad)
			fprintf(stderr, "%s at %dx%d: %s\n", kui_screen_name(kui_current(u)),
			        sizes[i][0], sizes[i][1], why);
		CHECK_INT(bad, 0);
	}
	kui_resize(u, 1080, 1920);
}

#define CHECK_SCREEN(u, s) CHECK_STR(kui_screen_name(kui_current(u)), s)
#define CHECK_PROGRESS(u, t) CHECK_STR(progress_line(screen(u)), t)
#define CHECK_LOG(h, i, t) CHECK_STR((i) < (h)->nlog ? (h)->log[i] : "", t)

/* ==== content ============================================================ */
static ax_content *content;
static const struct ax_pack *packs[KUI_MAX_PACKS];
static const struct ax_survey *main_survey, *quizzes[KUI_MAX_PACKS];
static int npacks, nquizzes;

static void load_content(void)
{
	const char *src = getenv("ANXIN_SOURCE");
	char dir[1024];
	int nerr = 0;
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src ? src : ".");
	REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &content) == AX_OK);
	for (int i = 0; i < ax_content_npacks(content) && npacks < KUI_MAX_PACKS; i++)
		packs[npacks++] = ax_content_pack(content, i);
	for (int i = 0; i < ax_content_nsurveys(content); i++) {
		const struct ax_survey *s = ax_content_survey(content, i);
		if (strcmp(s->id, "satisfaction") == 0)
			main_survey = s;
		else if (strncmp(s->id, "aware-", 6) == 0 && nquizzes < KUI_MAX_PACKS)
			quizzes[nquizzes++] = s;
	}
	REQUIRE(main_survey && npacks == 5 && nquizzes == 5);
}

static kui *new_ui(struct fake *h)
{
	static const struct kui_metrics m = {fx_advance, fx_line_height, NULL};
	struct kui_host host = {h,    h_begin, h_answer, h_finish, h_can_link, NULL,
	                        NULL, h_stats, NULL,     NULL,     NULL,       h_set_audio};
	struct kui_config cfg;
	kui_config_defaults(&cfg); /* idle 60 s, countdown 10 s */
	memset(h, 0, sizeof *h);
	h->u = kui_new(&cfg, &host, &m, 1080, 1920, packs, npacks, main_survey,
	               quizzes, nquizzes, now);
	REQUIRE(h->u);
	return h->u;
}

/* ==== tests ============================================================== */
/* attract -> home -> the satisfaction survey: answers reach the host before
 * the screen moves, show-if hides q2, a changed answer withdraws it, prev
 * goes back over shown questions only. */
static void test_survey_show_if(void)
{
	struct fake h;
	kui *u = new_ui(&h);
	int w, nsel = 0;

	CHECK_SCREEN(u, "attract");
	check_sizes(u);
	TAP(u, "start");
	CHECK_SCREEN(u, "home");
	check_sizes(u);
	CHECK(kui_frame_find(screen(u), "tile-anti-fraud") >= 0);

	TAP(u, "survey");
	CHECK_LOG(&h, 0, "begin satisfaction");
	CHECK_SCREEN(u, "question");
	/* q2 hidden until q1 is answered 知道: 6 or 7 questions, counted as
	 * 7 with 约 so the count does not jump when q2 comes */
	CHECK_PROGRESS(u, "第 1 题 / 共约 7 题");
	CHECK(kui_frame_find(screen(u), "prev") < 0);
	check_sizes(u);

	TAP(u, "option-1"); /* q1 知道 */
	CHECK_LOG(&h, 1, "answer q1=1");
	/* committed while q1 was still showing */
	CHECK_STR(h.answered_on, "question 第 1 题 / 共约 7 题");
	CHECK_PROGRESS(u, "第 2 题 / 共 7 题"); /* q2 now shown */
	check_sizes(u);

	TAP(u, "option-4"); /* q2 不满意 */
	CHECK_LOG(&h, 2, "answer q2=4");
	CHECK_STR(h.answered_on, "question 第 2 题 / 共 7 题");
	CHECK_PROGRESS(u, "第 3 题 / 共 7 题");

	/* back to q2: its answer still selected */
	TAP(u, "prev");
	CHECK_PROGRESS(u, "第 2 题 / 共 7 题");
	w = kui_frame_find(screen(u), "option-4");
	REQUIRE(w >= 0);
	for (int i = 0; i < frame.ncmds; i++)
		if (frame.cmds[i].widget == w && frame.cmds[i].kind == KUI_CMD_RECT)
			nsel += frame.cmds[i].color == 0xFFDCEFEAu; /* the selected fill */
	CHECK_INT(nsel, 1);
	TAP(u, "prev");
	/* q1 still says 知道, so q2 still counts */
	CHECK_PROGRESS(u, "第 1 题 / 共 7 题");
	CHECK_INT(h.nlog, 3); /* going back commits nothing */

	/* 不知道 hides q2: its answer is withdrawn, and q2 is skipped */
	TAP(u, "option-2");
	CHECK_LOG(&h, 3, "answer q1=2");
	CHECK_LOG(&h, 4, "answer q2=NULL");
	CHECK_INT(h.nlog, 5);
	CHECK_PROGRESS(u, "第 2 题 / 共 6 题"); /* q3 */
	/* prev from q3 skips the hidden q2 */
	TAP(u, "prev");
	CHECK_PROGRESS(u, "第 1 题 / 共 6 题");
	TAP(u, "option-2");
	CHECK_LOG(&h, 5, "answer q1=2");
	CHECK_INT(h.nlog, 6); /* nothing left to withdraw */
	CHECK_PROGRESS(u, "第 2 题 / 共 6 题");

	/* 退出 mid-survey asks first; then a partial session */
	TAP(u, "home");
	CHECK_SCREEN(u, "question");
	CHECK(has_text(screen(u), "确定退出问卷吗？"));
	CHECK_INT(h.nlog, 6);
	TAP(u, "exit-yes");
	CHECK_SCREEN(u, "home");
	CHECK_LOG(&h, 6, "finish partial");
	kui_free(u);
}

/* A failed commit keeps the resident on the question, with a message. */
static void test_answer_fails(void)
{
	struct fake h;
	kui *u = new_ui(&h);
	TAP(u, "start");
	TAP(u, "survey");
	h.fail_answers = 1;
	TAP(u, "option-1");
	CHECK_LOG(&h, 1, "answer q1=1");
	CHECK_SCREEN(u, "question");
	CHECK_PROGRESS(u, "第 1 题 / 共约 7 题");
	CHECK(has_text(screen(u), "保存失败，请再点一次"));
	kui_free(u);
}

/* 您还在吗？ after idle_ms without input; a touch answers it; after
 * countdown_ms more the session ends as abandoned and attract shows. */
static void test_idle(void)
{
	struct fake h;
	kui *u = new_ui(&h);
	TAP(u, "start");
	TAP(u, "survey");
	TAP(u, "option-1");
	CHECK_PROGRESS(u, "第 2 题 / 共 7 题");

	advance(u, 59000);
	CHECK(!kui_idle_prompt(u));
	advance(u, 1000);
	CHECK(kui_idle_prompt(u));
	CHECK_SCREEN(u, "question"); /* the prompt is an overlay */
	screen(u);
	CHECK_INT(frame.nwidgets, 1); /* only 我还在，继续 */
	CHECK(kui_frame_find(&frame, "still-here") == 0);
	CHECK(has_text(&frame, "您还在吗？"));
	check_sizes(u);
	advance(u, 3000);
	CHECK(has_text(screen(u), "7 秒后回到首页"));

	/* any touch answers it and goes no further */
	event(u, KUI_EV_DOWN, 10, 1500);
	event(u, KUI_EV_UP, 10, 1500);
	CHECK(!kui_idle_prompt(u));
	CHECK_PROGRESS(u, "第 2 题 / 共 7 题");
	CHECK_INT(h.nlog, 2);

	advance(u, 60000);
	CHECK(kui_idle_prompt(u));
	advance(u, 9999);
	CHECK(kui_idle_prompt(u));
	CHECK_INT(h.nlog, 2);
	advance(u, 1);
	CHECK(!kui_idle_prompt(u));
	CHECK_SCREEN(u, "attract");
	CHECK_LOG(&h, 2, "finish abandoned");
	CHECK_INT(h.nlog, 3);
	kui_free(u);
}

/* Read the anti-fraud pack, take its quiz with four right and two wrong:
 * explanation screens, the score, the pack credited. */
static void test_quiz(void)
{
	static const char *const taps[6] = {"option-1", "option-2", "option-3",
	                                    "option-1", "option-2", "option-1"};
	static const int right[6] = {1, 1, 1, 0, 1, 0};
	struct fake h;
	kui *u = new_ui(&h);
	int r = -1, asked = -1;
	char want[64];

	TAP(u, "start");
	TAP(u, "tile-anti-fraud");
	CHECK_SCREEN(u, "reader");
	CHECK(has_text(screen(u), "1 / 12"));
	CHECK(kui_frame_find(&frame, "prev") >= 0 && !frame.widgets[kui_frame_find(&frame, "prev")].enabled);
	check_sizes(u);
	for (int i = 0; i < 11; i++)
		TAP(u, "next");
	CHECK(has_text(screen(u), "12 / 12"));
	CHECK(kui_frame_find(&frame, "next") < 0);
	check_sizes(u);
	TAP(u, "prev");
	CHECK(has_text(screen(u), "11 / 12"));
	TAP(u, "next");

	TAP(u, "quiz");
	CHECK_LOG(&h, 0, "begin aware-anti-fraud");
	for (int i = 0; i < 6; i++) {
		snprintf(want, sizeof want, "第 %d 题 / 共 6 题", i + 1);
		CHECK_SCREEN(u, "question");
		CHECK_PROGRESS(u, want);
		if (i == 0)
			check_sizes(u);
		TAP(u, taps[i]);
		snprintf(want, sizeof want, "answer q%d=%c", i + 1, taps[i][7]);
		CHECK_LOG(&h, 1 + i, want);
		CHECK_SCREEN(u, "explain");
		screen(u);
		CHECK(has_text(&frame, right[i] ? "回答正确！" : "再想一想，正确答案是："));
		CHECK(kui_frame_find(&frame, "answer") >= 0);
		check_sizes(u);
		kui_score(u, &r, &asked);
		CHECK_INT(asked, 0); /* scored when the quiz ends */
		TAP(u, "next");
	}
	CHECK_SCREEN(u, "thanks");
	CHECK_LOG(&h, 7, "finish complete");
	CHECK_STR(h.finish_pack, "anti-fraud");
	kui_score(u, &r, &asked);
	CHECK_INT(r, 4);
	CHECK_INT(asked, 6);
	CHECK(has_text(screen(u), "知识问答 答对 4 题 / 共 6 题"));
	check_sizes(u);
	/* 返回首页 locked for lock_ms after the submit */
	CHECK(!frame.widgets[kui_frame_find(&frame, "done")].enabled);
	advance(u, 2000);
	TAP(u, "done");
	CHECK_SCREEN(u, "attract");
	CHECK_INT(h.nlog, 8); /* no session left to end */
	kui_free(u);
}

/* A text cut to fit its box says so: at 1280x800 the home tiles' summaries
 * do not fit (a tile is a third of the width; with these metrics every
 * Han character is one em), and the last line shown of each cut summary
 * ends in …, so a resident does not read 不信不传 as the whole advice.
 * Each summary's lines are found as the text commands that are pieces of
 * it, in order. */
static void test_cut_text(void)
{
	struct fake h;
	/* the first tile's summary made six times as long as the bundled
	 * test pack's (two lines at this size): it cannot fit */
	const struct ax_pack *keep = packs[0];
	struct ax_pack longer = *keep;
	char longsum[1024];
	kui *u;
	int ncut = 0;

	snprintf(longsum, sizeof longsum, "%s%s%s%s%s%s", keep->summary, keep->summary,
	         keep->summary, keep->summary, keep->summary, keep->summary);
	longer.summary = longsum;
	packs[0] = &longer;
	u = new_ui(&h);

	kui_resize(u, 1280, 800);
	TAP(u, "start");
	CHECK_SCREEN(u, "home");
	screen(u);
	for (int k = 0; k < npacks; k++) {
		const char *sum = packs[k]->summary;
		char shown[1024] = "";
		int ends_ell = 0;
		if (!sum || !*sum)
			continue;
		for (int i = 0; i < frame.ncmds; i++) {
			const struct kui_cmd *c = &frame.cmds[i];
			char piece[512];
			size_t n;
			if (c->kind != KUI_CMD_TEXT)
				continue;
			snprintf(piece, sizeof piece, "%s", c->text);
			n = strlen(piece);
			ends_ell = n >= 3 && strcmp(piece + n - 3, "\xE2\x80\xA6") == 0;
			if (ends_ell)
				piece[n - 3] = 0;
			if (!*piece || !strstr(sum, piece))
				continue;
			strncat(shown, piece, sizeof shown - strlen(shown) - 1);
			if (ends_ell)
				break;
		}
		if (strcmp(shown, sum) != 0) {
			ncut++;
			/* the shown part is the start of the summary, then … */
			CHECK(strncmp(sum, shown, strlen(shown)) == 0);
			CHECK(ends_ell);
		}
	}
	CHECK(ncut >= 1); /* else this checks nothing */
	kui_free(u);
	packs[0] = keep;
}

/* The staff screen's narration volume and mute (issue 18): 调小 and 调大
 * move it by 10 within 0-100 and 静音 toggles mute, each handed to the
 * host (which keeps and applies them), and the screen shows what the host
 * then reports. */
static void test_staff_audio(void)
{
	struct fake h;
	kui *u = new_ui(&h);
	h.volume = 80;
	REQUIRE(kui_debug_goto(u, "staff", now) == 0);
	CHECK(has_text(screen(u), "80%"));
	CHECK(has_text(screen(u), "静音"));
	TAP(u, "volume-down");
	CHECK_LOG(&h, 0, "audio 70");
	CHECK(has_text(screen(u), "70%"));
	TAP(u, "mute");
	CHECK_LOG(&h, 1, "audio 70 muted");
	CHECK(has_text(screen(u), "取消静音"));
	CHECK(has_text(screen(u), "已静音：朗读不出声"));
	TAP(u, "mute");
	CHECK_LOG(&h, 2, "audio 70");
	TAP(u, "volume-up");
	TAP(u, "volume-up");
	TAP(u, "volume-up");
	CHECK_LOG(&h, 5, "audio 100");
	CHECK(has_text(screen(u), "100%"));
	/* at the top 调大 is off */
	CHECK(!frame.widgets[kui_frame_find(&frame, "volume-up")].enabled);
	/* a volume set elsewhere (the configuration): 5 goes down to 0 */
	h.volume = 5;
	REQUIRE(kui_debug_goto(u, "staff", now) == 0);
	TAP(u, "volume-down");
	CHECK_LOG(&h, 6, "audio 0");
	CHECK_INT(h.nlog, 7);
	/* with the store alert on the shortest screen, the row still ends
	 * above 立即同步 */
	{
		struct kui_storage st = {KUI_STORE_FULL, 3, 20, 30};
		int m, b;
		kui_set_storage(u, &st);
		kui_resize(u, 1280, 800);
		screen(u);
		m = kui_frame_find(&frame, "mute");
		b = kui_frame_find(&frame, "sync-now");
		REQUIRE(m >= 0 && b >= 0);
		CHECK(frame.widgets[m].box.y + frame.widgets[m].box.h <= frame.widgets[b].box.y);
		CHECK(kui_frame_check(&frame, NULL, 0) == 0);
	}
	kui_free(u);
}

int main(void)
{
	load_content();
	test_survey_show_if();
	test_answer_fails();
	test_idle();
	test_quiz();
	test_cut_text();
	test_staff_audio();
	ax_content_free(content);
	if (check_failures)
		fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
	return check_failures ? 1 : 0;
}
