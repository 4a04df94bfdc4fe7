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
#include "anxin/records.h"
#include "anxin/response.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "check.h"
#include "content_int.h"
#include "testutil.h"

#include "bank_survey.h"

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

/* ---- what was shown, scored by option and over the drawn ---------------- */
/* k1 and k3 drawn; k1 shown C A B, k3 shown D B A C */
static void shown_k1_k3(struct ax_response *r)
{
	REQUIRE(ax_response_init(r, sv) == AX_OK);
	r->undrawn = 1ULL << K2 | 1ULL << K4;
	r->ordered = 1ULL << K1 | 1ULL << K3;
	r->order[K1][0] = 2, r->order[K1][1] = 0, r->order[K1][2] = 1;
	r->order[K3][0] = 3, r->order[K3][1] = 1, r->order[K3][2] = 0,
	r->order[K3][3] = 2;
}

static void scoring(void)
{
	struct ax_response r;
	struct ax_score sc;
	struct ax_derived d;

	shown_k1_k3(&r);
	/* k2, k4 not drawn: hidden; the yes/no q5 always shown */
	CHECK_INT(ax_response_shown(&r, K2), 0);
	CHECK_INT(ax_response_shown(&r, K4), 0);
	CHECK_INT(ax_response_shown(&r, Q5), 1);
	CHECK_INT(ax_response_next(&r, 0), K1);
	CHECK_INT(ax_response_next(&r, K1 + 1), K3);
	/* the second position of k1 is A (index 0), the first of k3 is D */
	CHECK_INT(ax_response_option_at(&r, K1, 1), 0);
	CHECK_INT(ax_response_option_at(&r, K3, 0), 3);
	CHECK_INT(ax_response_option_pos(&r, K1, 1), 2); /* B shown third */
	CHECK_INT(ax_response_option_at(&r, Q5, 1), 1);  /* not ordered */
	REQUIRE(ax_response_set(&r, K1, 1ULL << ax_response_option_at(&r, K1, 1),
	                        NULL) == AX_OK);
	REQUIRE(ax_response_set(&r, K3, 1ULL << ax_response_option_at(&r, K3, 0),
	                        NULL) == AX_OK);
	REQUIRE(ax_response_set_codes(&r, Q5, "1", NULL) == AX_OK);
	CHECK_INT(ax_response_complete(&r), 1); /* k2, k4 need no answer */
	/* A is wrong for k1 (answer B), D right for k3: 1 of the 2 shown */
	ax_response_score(&r, &sc);
	CHECK_INT(sc.shown, 2);
	CHECK_INT(sc.right, 1);
	/* pass_share 0.5 of the 2 shown: 1 right passes (of all 4 it would
	 * take 2) */
	ax_response_derive(&r, &d);
	REQUIRE(d.ntopics == 1);
	CHECK_INT(d.passed[0], 1);
	/* k3 answered at its second position, B: 0 of 2, not passed */
	REQUIRE(ax_response_set(&r, K3, 1ULL << ax_response_option_at(&r, K3, 1),
	                        NULL) == AX_OK);
	ax_response_derive(&r, &d);
	CHECK_INT(d.passed[0], 0);
}

static char *record_of(const struct ax_response *r)
{
	struct ax_response_meta m = {0};
	m.id = "00000000-0000-4000-8000-000000000001";
	m.channel = AX_CH_KIOSK;
	m.device = "kiosk-1";
	m.household = "H1";
	m.status = AX_RESP_COMPLETE;
	m.started_at = m.completed_at = 1795140000LL;
	return ax_response_record(r, &m);
}

/* Read a record line back: answers, then what was shown. */
static ax_rc read_back(const char *line, struct ax_response *r, char *why,
                       size_t n)
{
	json_t *o = json_loads(line, 0, NULL);
	ax_rc rc;
	REQUIRE(o);
	rc = ax_response_from_json(r, sv, json_object_get(o, "answers"), why, n);
	if (rc == AX_OK)
		rc = ax_response_shown_from_json(r, o, why, n);
	json_decref(o);
	return rc;
}

static void record_round_trip(void)
{
	struct ax_response r, back;
	char *line, why[256];

	shown_k1_k3(&r);
	REQUIRE(ax_response_set_codes(&r, K1, "A", NULL) == AX_OK);
	REQUIRE(ax_response_set_codes(&r, K3, "D", NULL) == AX_OK);
	REQUIRE((line = record_of(&r)));
	CHECK(strstr(line, "\"answers\":{\"k1\":\"A\",\"k3\":\"D\"}"));
	CHECK(strstr(line, "\"drawn\":[\"k1\",\"k3\"]"));
	CHECK(strstr(line, "\"order\":{\"k1\":[\"C\",\"A\",\"B\"],"
	                   "\"k3\":[\"D\",\"B\",\"A\",\"C\"]}"));
	CHECK_INT(read_back(line, &back, why, sizeof why), AX_OK);
	CHECK_STR(why, "");
	CHECK(memcmp(&r, &back, sizeof r) == 0);
	free(line);
}

/* Replace `from` in the record of shown_k1_k3 by `to`; expect `why`. */
static void bad(const char *from, const char *to, const char *want)
{
	struct ax_response r;
	char *line, buf[2048], why[256];
	const char *at;

	shown_k1_k3(&r);
	REQUIRE(ax_response_set_codes(&r, K1, "A", NULL) == AX_OK);
	REQUIRE((line = record_of(&r)));
	REQUIRE((at = strstr(line, from)));
	snprintf(buf, sizeof buf, "%.*s%s%s", (int)(at - line), line, to,
	         at + strlen(from));
	free(line);
	CHECK_INT(read_back(buf, &r, why, sizeof why), AX_INVALID);
	CHECK_STR(why, want);
}

static void bad_records(void)
{
	bad("\"drawn\":[\"k1\",\"k3\"],", "",
	    "missing field \"drawn\": survey b v1 draws 2 of its knowledge "
	    "questions");
	bad("\"drawn\":[\"k1\",\"k3\"]", "\"drawn\":[\"k1\",\"k3\",\"k2\"]",
	    "drawn: survey b v1 draws 2 questions, the record lists 3");
	bad("\"drawn\":[\"k1\",\"k3\"]", "\"drawn\":[\"k1\",\"q5\"]",
	    "drawn.1: \"q5\" is no knowledge question of survey b v1");
	bad("\"drawn\":[\"k1\",\"k3\"]", "\"drawn\":[\"k1\",\"k1\"]",
	    "drawn.1: \"k1\" is drawn twice");
	bad("[\"C\",\"A\",\"B\"]", "[\"C\",\"A\",\"A\"]",
	    "order.k1: option A listed twice");
	bad("[\"C\",\"A\",\"B\"]", "[\"C\",\"A\"]",
	    "order.k1: must list the question's 3 option codes");
	bad("[\"C\",\"A\",\"B\"]", "[\"C\",\"A\",\"X\"]",
	    "order.k1: item 2 is not an option code of this question");
	bad("\"k1\":[\"C\",\"A\",\"B\"],", "",
	    "order: missing the order of k1's options (survey b v1 shuffles them)");
	bad("\"k1\":[\"C\",\"A\",\"B\"]", "\"k2\":[\"A\",\"B\"]",
	    "order.k2: question was not drawn");
	bad("\"k1\":\"A\"", "\"k1\":\"A\",\"k2\":\"A\"",
	    "answers.k2: question was not drawn");
}

/* Draws from seeds 1..6000: always 2 of the 4 (q5 always shown), each of
 * the 6 pairs about 1000 times (binomial sd 28.9: 850..1150 is over 5 sd),
 * each of the 6 orders of k1 about 1000 times among the draws that show
 * it (3000 expected: 500 each, sd 20.4, 400..600). */
static void draws(void)
{
	int pairs[16] = {0}, perms[3][3][3] = {{{0}}};

	for (uint64_t seed = 1; seed <= 6000; seed++) {
		struct ax_response r;
		uint64_t shown = 0;
		REQUIRE(ax_response_init(&r, sv) == AX_OK);
		ax_response_draw(&r, seed);
		for (int i = K1; i <= K4; i++)
			shown |= (uint64_t)ax_response_shown(&r, i) << i;
		CHECK_INT(__builtin_popcountll(shown), 2);
		CHECK_INT(ax_response_shown(&r, Q5), 1);
		CHECK(r.ordered == shown); /* the drawn, all shuffled */
		pairs[shown]++;
		if (shown >> K1 & 1) {
			const unsigned char *o = r.order[K1];
			CHECK(o[0] < 3 && o[1] < 3 && o[2] < 3 && o[0] != o[1] &&
			      o[1] != o[2] && o[0] != o[2]);
			perms[o[0] % 3][o[1] % 3][o[2] % 3]++;
		}
	}
	for (int m = 0; m < 16; m++)
		if (__builtin_popcount((unsigned)m) == 2)
			CHECK(pairs[m] > 850 && pairs[m] < 1150);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			if (a != b)
				CHECK(perms[a][b][3 - a - b] > 400 && perms[a][b][3 - a - b] < 600);
	/* the same seed, the same draw */
	{
		struct ax_response x, y;
		ax_response_init(&x, sv);
		ax_response_init(&y, sv);
		ax_response_draw(&x, 42);
		ax_response_draw(&y, 42);
		CHECK(memcmp(&x, &y, sizeof x) == 0);
	}
}

/* The importer (what central runs on every line) keeps a record with
 * its draw and order, and rejects a bad one with the located reason. */
static void importer(ax_content *c)
{
	ax_store *st = NULL;
	ax_importer *im = NULL;
	struct ax_rec_outcome out;
	struct ax_response r;
	char err[256] = "", *line, buf[2048];
	const char *at;
	int added = 0;

	tu_init();
	REQUIRE(ax_store_open(tu_path("bank.db"), AX_STORE_CREATE, &st, err,
	                      sizeof err) == AX_OK);
	REQUIRE(ax_content_install(st, c, &added) == AX_OK);
	{
		static const char roster[] =
		    "户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码\n"
		    "H1,城关街道,439901001000,府前社区,439901001001,第一网格,"
		    "439901001001001\n";
		struct ax_roster_stats rs;
		REQUIRE(ax_roster_import_mem(st, "r.csv", roster, sizeof roster - 1,
		                             NULL, diag, NULL, &rs) == AX_OK);
	}
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	shown_k1_k3(&r);
	REQUIRE(ax_response_set_codes(&r, K1, "B", NULL) == AX_OK);
	REQUIRE((line = record_of(&r)));
	CHECK_INT(ax_importer_line(im, line, strlen(line), "t", &out), AX_OK);
	CHECK_STR(ax_rec_result_name(out.result), "accepted");
	if (out.result != AX_REC_ACCEPTED)
		fprintf(stderr, "  %s\n", out.reason);
	/* the stored body keeps what was shown */
	CHECK_STR(tu_q(ax__store_db(st), "SELECT json_extract(body, '$.order.k3[0]')"
	               " || json_extract(body, '$.drawn[1]') FROM responses"),
	          "Dk3");
	REQUIRE((at = strstr(line, "\"k1\",\"k3\"")));
	snprintf(buf, sizeof buf, "%.*s\"k1\",\"k4\"%s", (int)(at - line), line,
	         at + strlen("\"k1\",\"k3\""));
	memcpy(strstr(buf, "0001\""), "0002", 4); /* another id */
	CHECK_INT(ax_importer_line(im, buf, strlen(buf), "t", &out), AX_OK);
	CHECK_STR(ax_rec_result_name(out.result), "rejected");
	CHECK_STR(out.reason, "order.k3: question was not drawn");
	free(line);
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
	ax_store_close(st);
	tu_cleanup();
}

int main(void)
{
	ax_content *c = NULL;

	sv = load(&c, survey_t);
	round_trip();
	sms_order();
	drawn_odds();
	scoring();
	record_round_trip();
	bad_records();
	draws();
	importer(c);
	ax_content_free(c);
	return check_done();
}
