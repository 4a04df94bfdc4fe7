/*
 * test_guess.c -- the content linter's guessing checks (content_guess.c)
 * on small hand-made quizzes.  Every expected figure is worked out by
 * hand in the comment beside it, never taken from the code under test.
 */
#include <math.h>

#include "anxin/content.h"
#include "check.h"
#include "content_int.h"
#include "testutil.h"

/* ---- the fewest right answers that pass: the scorer's comparison ------ */
static int need(int asked, double share)
{
	int r = 0;
	while (r < asked && !ax__aware_passed(r, asked, share))
		r++;
	return r;
}

static void pass_rule(void)
{
	CHECK_INT(need(5, 0.6), 3); /* 0.6 x 5 = 3, not 2.9999… */
	CHECK_INT(need(6, 0.6), 4); /* 3.6 */
	CHECK_INT(need(10, 0.7), 7); /* 0.7 x 10 = 7.000…1 in doubles */
	CHECK_INT(need(3, 0.5), 2);  /* 1.5 */
	CHECK_INT(need(4, 0.5), 2);
	CHECK_INT(need(5, 1.0), 5);
}

/* ---- exact odds ------------------------------------------------------- */
static void odds(void)
{
	struct ax__guess g;

	/* 5 questions of 3 options, 3 right pass: sheets with k right are
	 * C(5,k) 2^(5-k); k = 3, 4, 5 give 10 x 4 + 5 x 2 + 1 = 51 of
	 * 3^5 = 243, 17/81 = 20.99 % */
	{
		int n[] = {3, 3, 3, 3, 3};
		REQUIRE(ax__guess_odds(n, 5, 3, &g) == 0);
		CHECK_INT(g.asked, 5);
		CHECK_INT(g.need, 3);
		CHECK_INT(g.ways, 51);
		CHECK_INT(g.total, 243);
		CHECK_NEAR(g.p, 17.0 / 81.0, 1e-15);
	}
	/* 2, 3 and 4 options, 2 right pass: all three right 1 x 1 x 1 = 1;
	 * exactly two: 1 x 1 x 3 + 1 x 2 x 1 + 1 x 1 x 1 = 6; 7 of 24 */
	{
		int n[] = {2, 3, 4};
		REQUIRE(ax__guess_odds(n, 3, 2, &g) == 0);
		CHECK_INT(g.ways, 7);
		CHECK_INT(g.total, 24);
		CHECK_NEAR(g.p, 7.0 / 24.0, 1e-15);
	}
	/* 4, 3, 3, 3, 3 (one 4-option question): with X right of the four
	 * 3-option ones (16 32 24 8 1 sheets of 81), pass = (8 + 1) x 4 +
	 * 24 x 1 = 60 of 324, 5/27 -- the order of the questions is
	 * irrelevant */
	{
		int n[] = {4, 3, 3, 3, 3};
		REQUIRE(ax__guess_odds(n, 5, 3, &g) == 0);
		CHECK_INT(g.ways, 60);
		CHECK_INT(g.total, 324);
	}
	/* 10 questions of 4 options, 6 right pass: C(10,6) 81 + C(10,7) 27 +
	 * C(10,8) 9 + C(10,9) 3 + 1 = 17010 + 3240 + 405 + 30 + 1 = 20686 of
	 * 4^10 = 1048576, 1.97 %: a quiz under the 5 % line */
	{
		int n[] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4};
		REQUIRE(ax__guess_odds(n, 10, 6, &g) == 0);
		CHECK_INT(g.ways, 20686);
		CHECK_INT(g.total, 1048576);
		CHECK(g.p < 0.05);
	}
	/* 40 questions of 4 options: 4^40 sheets do not fit 64 bits; the
	 * probability still does.  All 40 right: 4^-40; none needed: 1 */
	{
		int n[40];
		for (int i = 0; i < 40; i++)
			n[i] = 4;
		REQUIRE(ax__guess_odds(n, 40, 40, &g) == 0);
		CHECK_INT(g.total, 0);
		CHECK_NEAR(g.p / pow(4, -40), 1.0, 1e-9);
		REQUIRE(ax__guess_odds(n, 40, 0, &g) == 0);
		CHECK_NEAR(g.p, 1.0, 1e-12);
	}
}

/* ---- strategies on hand-made quizzes ---------------------------------- */
#define INTRO                                                              \
	"\"sms_intro\": \"【江州县综治办】您好！这是知识问答。回复TD退订\",   " \
	"\"sms_thanks\": \"【江州县综治办】谢谢！\", "
#define KQ(id, opts, ans)                                                  \
	"{\"id\": \"" id "\", \"type\": \"knowledge\", \"text\": \"t\", "      \
	"\"sms\": \"s\", \"options\": [" opts "], \"answer\": \"" ans "\", "   \
	"\"explanation\": \"e\", \"topic\": \"anti_drug\"}"
#define O(code, label) "{\"code\": \"" code "\", \"label\": \"" label "\"}"

/*
 * Five questions of three options; length in code points, ties to the
 * first of the tied options:
 *   q1 甲 | 乙乙乙* | 丙       the answer is the strictly longest
 *   q2 丁丁丁丁* | 戊 | 己     the answer is the strictly longest
 *   q3 庚 | 辛 | 壬壬*         the answer is the strictly longest
 *   q4 中文* | abc | x         abc is longer in code points (3 > 2),
 *                              not in display width: longest is wrong
 *   q5 一二 | 三四* | 五       a tie goes to 一二: wrong
 * Always the longest: q1 q2 q3, 3 of 5, passes (3 needed); always the
 * first: q2 and q4, 2; always the last: q3, 1.
 */
static const char quiz_long[] =
    "{\"id\": \"long\", \"version\": 1, \"title\": \"问答\", " INTRO
    "\"questions\": ["
    KQ("q1", O("1", "甲") "," O("2", "乙乙乙") "," O("3", "丙"), "2") ","
    KQ("q2", O("1", "丁丁丁丁") "," O("2", "戊") "," O("3", "己"), "1") ","
    KQ("q3", O("1", "庚") "," O("2", "辛") "," O("3", "壬壬"), "3") ","
    KQ("q4", O("1", "中文") "," O("2", "abc") "," O("3", "x"), "1") ","
    KQ("q5", O("1", "一二") "," O("2", "三四") "," O("3", "五"), "2")
    "], \"metrics\": {\"awareness\": [{\"topic\": \"anti_drug\", "
    "\"questions\": [\"q1\", \"q2\", \"q3\", \"q4\", \"q5\"], "
    "\"pass_share\": 0.6}]}}";

/* The same with q3's answer moved to 庚 (first, not longest): always the
 * longest 2 of 5, fails; always the first q2 q3 q4, 3, passes; the last
 * 0.  Strictly longest answers: q1 q2, 2 of 5, not most. */
static const char quiz_short[] =
    "{\"id\": \"short\", \"version\": 1, \"title\": \"问答\", " INTRO
    "\"questions\": ["
    KQ("q1", O("1", "甲") "," O("2", "乙乙乙") "," O("3", "丙"), "2") ","
    KQ("q2", O("1", "丁丁丁丁") "," O("2", "戊") "," O("3", "己"), "1") ","
    KQ("q3", O("1", "庚") "," O("2", "辛") "," O("3", "壬壬"), "1") ","
    KQ("q4", O("1", "中文") "," O("2", "abc") "," O("3", "x"), "1") ","
    KQ("q5", O("1", "一二") "," O("2", "三四") "," O("3", "五"), "2")
    "], \"metrics\": {\"awareness\": [{\"topic\": \"anti_drug\", "
    "\"questions\": [\"q1\", \"q2\", \"q3\", \"q4\", \"q5\"], "
    "\"pass_share\": 0.6}]}}";

/* Mixed option counts, a show_if, and pass_share 0.5 over 3 questions
 * (1.5: 2 right pass): 7 of 2 x 3 x 4 = 24, as in odds().  An unscored
 * question (q0, yes/no) is not part of the rule. */
static const char quiz_mixed[] =
    "{\"id\": \"mixed\", \"version\": 1, \"title\": \"问答\", " INTRO
    "\"questions\": ["
    "{\"id\": \"q0\", \"type\": \"yesno\", \"text\": \"t\", \"sms\": \"s\"},"
    KQ("q1", O("1", "甲") "," O("2", "乙"), "1") ","
    KQ("q2", O("1", "甲") "," O("2", "乙") "," O("3", "丙"), "3") ","
    "{\"id\": \"q3\", \"type\": \"knowledge\", \"text\": \"t\", \"sms\": "
    "\"s\", \"options\": [" O("1", "甲") "," O("2", "乙") "," O("3", "丙")
    "," O("4", "丁") "], \"answer\": \"2\", \"explanation\": \"e\", "
    "\"topic\": \"anti_drug\", \"show_if\": {\"question\": \"q0\", "
    "\"any_of\": [\"1\"]}}"
    "], \"metrics\": {\"awareness\": [{\"topic\": \"anti_drug\", "
    "\"questions\": [\"q1\", \"q2\", \"q3\"], \"pass_share\": 0.5}]}}";

static const struct ax_survey *load(ax_content **c, const char *text,
                                    const char *id)
{
	int nerr = -1;
	struct tu_diag d = {0};

	REQUIRE(ax_content_load_text("t.json", "survey", text, tu_diag_fn, &d,
	                             &nerr, c) == AX_OK);
	if (nerr)
		tu_diag_dump(&d);
	REQUIRE(nerr == 0);
	CHECK_INT(d.n, 0); /* loading is quiet: only lint warns */
	tu_diag_clear(&d);
	return ax_content_find_survey(*c, id, 1);
}

static void strategies(void)
{
	ax_content *c = NULL;
	const struct ax_survey *s;
	struct ax__guess g;

	s = load(&c, quiz_long, "long");
	REQUIRE(s && s->nawareness == 1);
	REQUIRE(ax__guess_rule(s, &s->awareness[0], &g) == 0);
	CHECK_INT(g.asked, 5);
	CHECK_INT(g.need, 3);
	CHECK_INT(g.ways, 51);
	CHECK_INT(g.total, 243);
	CHECK_INT(g.score[AX__PICK_LONGEST], 3);
	CHECK_INT(g.score[AX__PICK_FIRST], 2);
	CHECK_INT(g.score[AX__PICK_LAST], 1);
	CHECK_INT(g.nlongest, 3);
	CHECK_INT(g.show_if, 0);
	/* code points, ties to the first */
	CHECK_INT(ax__option_len("中文"), 2);
	CHECK_INT(ax__pick_longest(ax_survey_question(s, "q4")), 1);
	CHECK_INT(ax__pick_longest(ax_survey_question(s, "q5")), 0);
	ax_content_free(c);

	s = load(&c, quiz_short, "short");
	REQUIRE(s);
	REQUIRE(ax__guess_rule(s, &s->awareness[0], &g) == 0);
	CHECK_INT(g.score[AX__PICK_LONGEST], 2);
	CHECK_INT(g.score[AX__PICK_FIRST], 3);
	CHECK_INT(g.score[AX__PICK_LAST], 0);
	CHECK_INT(g.nlongest, 2);
	ax_content_free(c);

	s = load(&c, quiz_mixed, "mixed");
	REQUIRE(s);
	REQUIRE(ax__guess_rule(s, &s->awareness[0], &g) == 0);
	CHECK_INT(g.asked, 3);
	CHECK_INT(g.need, 2);
	CHECK_INT(g.ways, 7);
	CHECK_INT(g.total, 24);
	CHECK_INT(g.show_if, 1);
	/* first: q1 right; last: q2 right; longest (all ties): q1 */
	CHECK_INT(g.score[AX__PICK_FIRST], 1);
	CHECK_INT(g.score[AX__PICK_LAST], 1);
	CHECK_INT(g.score[AX__PICK_LONGEST], 1);
	ax_content_free(c);
}

/* ---- what `anxin content lint` reports: ax_content_lint_dir ----------- */
/* Diagnostics of severity sev whose text has `where` and `what`. */
static int count(const struct tu_diag *d, int sev, const char *where,
                 const char *what)
{
	int n = 0;
	for (int i = 0; i < d->n; i++)
		n += d->sev[i] == sev && strstr(d->msg[i], where) &&
		     strstr(d->msg[i], what);
	return n;
}

static void lint_dir(void)
{
	struct tu_diag d = {0};
	ax_content *c = NULL;
	int nerr = -1;

	tu_init();
	REQUIRE(mkdir(tu_path("surveys"), 0700) == 0);
	tu_write(tu_path("surveys/long.json"), quiz_long, strlen(quiz_long));
	tu_write(tu_path("surveys/short.json"), quiz_short, strlen(quiz_short));

	/* an app's load stays quiet */
	REQUIRE(ax_content_load_dir(tu_dir, tu_diag_fn, &d, &nerr, &c) == AX_OK);
	CHECK_INT(nerr, 0);
	CHECK_INT(d.n, 0);
	ax_content_free(c);

	REQUIRE(ax_content_lint_dir(tu_dir, tu_diag_fn, &d, &nerr, &c) == AX_OK);
	CHECK_INT(nerr, 0); /* warnings are not errors */
	CHECK_INT(ax_content_nsurveys(c), 2);
	ax_content_free(c);

	/* odds and strategy scores: a note each, per quiz */
	CHECK_INT(count(&d, AX_SEV_NOTE, "/surveys/long.json:1:",
	                "note: long: a random guesser passes with probability "
	                "21.0 % (51 of 243 answer sheets have 3 or more of 5 "
	                "right)"), 1);
	CHECK_INT(count(&d, AX_SEV_NOTE, "/surveys/long.json:1:",
	                "note: long: always tapping the first option scores 2 of "
	                "5, the last 1, the longest 3; 3 right pass"), 1);
	CHECK_INT(count(&d, AX_SEV_NOTE, "/surveys/short.json:1:",
	                "note: short: always tapping the first option scores 3 of "
	                "5, the last 0, the longest 2; 3 right pass"), 1);
	CHECK_INT(count(&d, AX_SEV_NOTE, "", ""), 4);
	/* 21.0 % is over 5 % in both */
	CHECK_INT(count(&d, AX_SEV_WARNING, "",
	                "a random guesser passes 21.0 % of the time, more than "
	                "5 %"), 2);
	/* the strategies that pass, and only those */
	CHECK_INT(count(&d, AX_SEV_WARNING, "/surveys/long.json:1:",
	                "warning: long: always tapping the longest option scores "
	                "3 of 5 and passes (3 needed)"), 1);
	CHECK_INT(count(&d, AX_SEV_WARNING, "/surveys/short.json:1:",
	                "warning: short: always tapping the first option scores 3 "
	                "of 5 and passes (3 needed)"), 1);
	CHECK_INT(count(&d, AX_SEV_WARNING, "", "option scores"), 2);
	/* long: the answer is the strictly longest in 3 of 5, most: q1 q2 q3
	 * named; short: 2 of 5, none */
	CHECK_INT(count(&d, AX_SEV_WARNING, "/surveys/long.json:1:",
	                "is the longest, as in 3 of the 5 questions of long"), 3);
	CHECK_INT(count(&d, AX_SEV_WARNING, "/surveys/long.json:1:",
	                "warning: q3: the correct option \"壬壬\" is the longest"),
	          1);
	CHECK_INT(count(&d, AX_SEV_WARNING, "/surveys/short.json:",
	                "is the longest, as in"), 0);
	/* justification by length (1.5 x the others' mean of 1): long's
	 * 乙乙乙 丁丁丁丁 壬壬, short's 乙乙乙 丁丁丁丁 (庚 is 1 of mean 1.5) */
	CHECK_INT(count(&d, AX_SEV_WARNING, "/surveys/long.json:",
	                "characters, more than 1.5 times"), 3);
	CHECK_INT(count(&d, AX_SEV_WARNING, "/surveys/short.json:",
	                "characters, more than 1.5 times"), 2);
	CHECK_INT(d.n, 4 + 2 + 2 + 3 + 5);
	if (check_failures)
		tu_diag_dump(&d);
	tu_diag_clear(&d);
}

/* ---- an option that justifies itself ---------------------------------- */
static int justified(const char *a, const char *b, const char *c3)
{
	struct ax_option o[3] = {{"1", a, 0, 0, 0, 0}, {"2", b, 0, 0, 0, 0},
	                         {"3", c3, 0, 0, 0, 0}};
	struct ax_question q = {0};
	struct tu_diag d = {0};
	struct ax__lint L = {"p.json", NULL, tu_diag_fn, &d, 0, NULL, 1};
	int n;

	q.id = "k1";
	q.type = AX_Q_KNOWLEDGE;
	q.options = o;
	q.noptions = c3 ? 3 : 2;
	q.answer = "1";
	ax__check_justified(&L, &q, "questions/0");
	n = d.n;
	CHECK_INT(L.nerrors, 0);
	for (int i = 0; i < d.n; i++) {
		CHECK_INT(d.sev[i], AX_SEV_WARNING);
		CHECK(strncmp(d.msg[i], "p.json:1:1: warning: the correct option",
		              39) == 0);
	}
	tu_diag_clear(&d);
	return n;
}

static void justification(void)
{
	CHECK_INT(justified("不去，因为危险", "去", "看看"), 1);
	CHECK_INT(justified("是犯罪，要判刑", "不违法", "罚点钱就行"), 1);
	CHECK_INT(justified("报警,须保存证据", "算了", "私了"), 1);  /* , too */
	CHECK_INT(justified("拒绝，以免上当", "同意", "再说"), 1);
	/* 4 > 1.5 x mean(2, 1) = 2.25 */
	CHECK_INT(justified("甲乙丙丁", "子丑", "寅"), 1);
	/* 3 is not more than 1.5 x mean(2, 2) = 3 */
	CHECK_INT(justified("甲乙丙", "子丑", "寅卯"), 0);
	/* 违法 (2) against 不违法 (3); a comma without 要/应/须 */
	CHECK_INT(justified("违法", "不违法", NULL), 0);
	CHECK_INT(justified("不对，有害", "对，没事", "不知道"), 0);
}

int main(void)
{
	pass_rule();
	odds();
	strategies();
	lint_dir();
	justification();
	return check_done();
}
