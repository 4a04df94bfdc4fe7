/*
 * unit.bank -- quiz banks and shuffled options (content_bank.c,
 * content_guess.c's drawn odds, response.c's draw and order): the
 * survey keys "draw" and "shuffle" through the canonical JSON and back,
 * the SMS built in shown order, the odds of a drawn quiz, and scoring of
 * what was shown.  Every expectation is worked out by hand in the comment
 * beside it.
 */
#include <jansson.h>

#include "anxin/content.h"
#include "anxin/response.h"
#include "check.h"
#include "content_int.h"

/*
 * s1: k1 (A 甲 / B 乙 / C 丙, answer B), k2 (A 对 / B 错, answer A),
 * k3 (A 一 / B 二 / C 三 / D 四, answer D), k4 (A 是 / B 否, answer B),
 * all anti_fraud; q5 a yes/no question, not in the bank.  draw 2 of the
 * 4, shuffle; pass_share 0.5 (1 of 2 right passes).
 */
#define K(id, text, opts, ans)                                              \
	"{\"id\": \"" id "\", \"type\": \"knowledge\", \"text\": \"" text "\","  \
	" \"sms\": \"" text "\", \"answer\": \"" ans "\", \"topic\": "           \
	"\"anti_fraud\", \"explanation\": \"看宣传。\", \"options\": [" opts "]}"
#define O(c, l) "{\"code\": \"" c "\", \"label\": \"" l "\"}"
static const char survey_t[] =
    "{\"id\": \"b\", \"version\": 1, \"title\": \"题库\","
    " \"sms_intro\": \"【江州县综治办】您好！回复TD退订\","
    " \"sms_thanks\": \"【江州县综治办】谢谢！\", \"draw\": 2, \"shuffle\": true,"
    " \"questions\": ["
    K("k1", "第一问？", O("A", "甲") "," O("B", "乙") "," O("C", "丙"), "B") ","
    K("k2", "第二问？", O("A", "对") "," O("B", "错"), "A") ","
    K("k3", "第三问？", O("A", "一") "," O("B", "二") "," O("C", "三") ","
                        O("D", "四"), "D") ","
    K("k4", "第四问？", O("A", "是") "," O("B", "否"), "B") ","
    "  {\"id\": \"q5\", \"type\": \"yesno\", \"text\": \"去过吗？\","
    "   \"sms\": \"去过吗？回复1是 2否\"}"
    " ],"
    " \"metrics\": {\"awareness\": [{\"topic\": \"anti_fraud\", \"questions\":"
    " [\"k1\", \"k2\", \"k3\", \"k4\"], \"pass_share\": 0.5}]}}";

enum { K1, K2, K3, K4, Q5 };

static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	fprintf(stderr, "content: %s\n", msg);
}

static const struct ax_survey *load(ax_content **c, const char *text)
{
	int nerr = -1;
	REQUIRE(ax_content_load_text("b.json", "survey", text, diag, NULL, &nerr,
	                             c) == AX_OK);
	REQUIRE(nerr == 0);
	REQUIRE(ax_content_nsurveys(*c) == 1);
	return ax_content_survey(*c, 0);
}

static const struct ax_survey *sv;

/* draw and shuffle survive the canonical JSON, which reads back the same */
static void round_trip(void)
{
	ax_content *c2 = NULL;
	const struct ax_survey *s2;
	json_t *j = json_loads(sv->json, 0, NULL);

	CHECK_INT(sv->draw, 2);
	CHECK_INT(sv->shuffle, 1);
	CHECK_INT(ax_survey_nbank(sv), 4);
	REQUIRE(j);
	CHECK_INT(json_integer_value(json_object_get(j, "draw")), 2);
	CHECK(json_is_true(json_object_get(j, "shuffle")));
	json_decref(j);
	s2 = load(&c2, sv->json);
	CHECK_INT(s2->draw, 2);
	CHECK_INT(s2->shuffle, 1);
	CHECK_STR(s2->json, sv->json);
	ax_content_free(c2);
}

/* the SMS of k3 in the order D, B, A, C (option indices 3 1 0 2) */
static void sms_order(void)
{
	const unsigned char order[] = {3, 1, 0, 2};
	char buf[256];

	CHECK(ax_question_sms_ordered(&sv->questions[K3], order, buf,
	                              sizeof buf) > 0);
	CHECK_STR(buf, "第三问？回复1四 2二 3一 4三");
	CHECK(ax_question_sms_ordered(&sv->questions[K2], NULL, buf,
	                              sizeof buf) > 0);
	CHECK_STR(buf, "第二问？回复1对 2错");
	CHECK_INT(ax_question_sms_ordered(&sv->questions[K3], order, buf, 10), -1);
}

/* a guesser: right with 1/3, 1/2, 1/4, 1/2; a draw of 2 of the 4 is one
 * of 6 pairs, and 1 of 2 right passes: 1 - (1 - a)(1 - b).  Sum over the
 * pairs of (1 - a)(1 - b) with 1 - p = 2/3, 1/2, 3/4, 1/2: 1/3 + 1/2 +
 * 1/3 + 3/8 + 1/4 + 3/8 = 13/6; P = 1 - 13/36 = 23/36.  Without a draw
 * (all 4 asked, 2 right pass) the exact count is ax__guess_odds's:
 * checked against the same numbers, draw 4 of 4 */
static void drawn_odds(void)
{
	const double pr[] = {1.0 / 3, 1.0 / 2, 1.0 / 4, 1.0 / 2};
	const int nopts[] = {3, 2, 4, 2};
	struct ax__guess g;

	CHECK_NEAR(ax__guess_drawn(pr, 4, 4, 2, 0.5), 23.0 / 36.0, 1e-12);
	REQUIRE(ax__guess_odds(nopts, 4, 2, &g) == 0);
	CHECK_NEAR(ax__guess_drawn(pr, 4, 4, 4, 0.5), g.p, 1e-12);
	/* the rule has 2 of a bank of 3 (pr 1 and 0), draw 2, 1 of c right
	 * passes: draws {a,b} (c = 2, one right: pass), {a,x} (c = 1, right:
	 * pass), {b,x} (c = 1, wrong): 2 of 3 */
	{
		const double det[] = {1, 0};
		CHECK_NEAR(ax__guess_drawn(det, 2, 3, 2, 0.5), 2.0 / 3.0, 1e-12);
	}
}

int main(void)
{
	ax_content *c = NULL;

	sv = load(&c, survey_t);
	round_trip();
	sms_order();
	drawn_odds();
	ax_content_free(c);
	return check_done();
}
