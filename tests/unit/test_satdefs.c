/*
 * unit.satdefs -- differently defined rates are never summed into one
 * number.  Survey a counts 基本满意 as satisfied on the 5-option scale
 * (as satisfaction.json); b and c count only 很满意/满意 on the official
 * 6-option scale with 说不清 left out (as safety-ceping.json), and share
 * that rule exactly.  Their 安全感 rates differ the same way.  Before the
 * fix the county's 满意度 was the sum of all three: 4/7 (and 安全感 4/7).
 * Every figure below is counted by hand from the answers:
 *
 *   resp  survey  overall          safety
 *   A1    a       3 基本满意 (3)   1 很安全
 *   A2    a       3 基本满意 (3)   3 一般
 *   A3    a       4 不满意 (2)     2 比较安全
 *   B1    b       1 很满意 (5)     1 很安全
 *   B2    b       3 基本满意 (3)   6 说不清
 *   B3    b       6 说不清         4 不太安全
 *   C1    c       2 满意 (4)       3 基本安全
 *   C2    c       5 不满意 (1)     5 不安全
 *
 *   a 满意 (1-3):  A1 A2 of A1-A3        = 2/3, mean (3+3+2)/3
 *   b+c 满意 (1,2; 6 out): B1 C1 of B1 B2 C1 C2 = 2/4, 说不清 1 (B3),
 *                  mean (5+3+4+1)/4 = 3.25
 *   a 安全感 (1,2): A1 A3 of A1-A3       = 2/3
 *   b+c 安全感 (1-3; 6 out): B1 C1 of B1 B3 C1 C2 = 2/4, 说不清 1 (B2)
 *
 * No designation: no headline 满意度 (den 0), sat@a 2/3 and sat@b 2/4.
 * b designated: headline 2/4 (target b's 0.85), sat@a 2/3 apart, 安全感
 * b's 2/4, safety@a 2/3 apart; the weekly trend's 满意度 2/4 too.
 * a designated: headline 2/3, mean 8/3; sat@b 2/4.
 *
 * `test_satdefs URLFILE` (pg.satdefs, issue 19): the same on PostgreSQL,
 * the roster's file copied there and the surveys, answers and
 * designations put in there.
 */
#include "../pg/pgtest.h"

#include "anxin/content.h"
#include "anxin/funnel.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "check.h"
#include "testutil.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "A1,439901101000,439901101201,439901101201001,13800138001,3\n";

/* a: satisfaction.json's rule */
static const char survey_a[] =
    "{\"id\": \"a\", \"version\": 1, \"title\": \"A问卷\"," TU_INTRO
    " \"questions\": ["
    "  {\"id\": \"safety\", \"type\": \"single\", \"text\": \"您感觉安全吗？\","
    "   \"sms\": \"安全吗？回复1很安全 2比较安全 3一般 4不太安全 5不安全\","
    "   \"options\": [{\"code\": \"1\", \"label\": \"很安全\"},"
    "    {\"code\": \"2\", \"label\": \"比较安全\"}, {\"code\": \"3\", \"label\": \"一般\"},"
    "    {\"code\": \"4\", \"label\": \"不太安全\"}, {\"code\": \"5\", \"label\": \"不安全\"}]},"
    "  {\"id\": \"overall\", \"type\": \"scale5\", \"text\": \"您满意吗？\","
    "   \"sms\": \"您满意吗？回复1非常满意 2满意 3基本满意 4不满意 5非常不满意\"}"
    " ],"
    " \"metrics\": {"
    "  \"satisfaction\": {\"question\": \"overall\", \"satisfied\": [\"1\", \"2\", \"3\"]},"
    "  \"rates\": [{\"id\": \"safety\", \"name\": \"安全感\", \"question\": \"safety\","
    "    \"positive\": [\"1\", \"2\"]}]}}";

/* b and c: safety-ceping.json's rule, word for word (testutil.h) */
static const char survey_b[] = TU_CEPING("b", "B测评");
static const char survey_c[] = TU_CEPING("c", "C测评");

static void answer(ax_importer *im, int n, const char *survey,
                   const char *overall, const char *safety)
{
	char l[1024];
	struct ax_rec_outcome out;
	snprintf(l, sizeof l,
	         "{\"type\":\"response\",\"id\":\"5a7d0000-0000-4000-8000-%012d\","
	         "\"survey\":\"%s\",\"survey_version\":1,\"channel\":\"kiosk\","
	         "\"device\":\"k1\",\"household\":null,\"region\":"
	         "\"439901101201001\",\"started_at\":\"2026-11-20T10:00:00+08:00\","
	         "\"completed_at\":\"2026-11-20T10:03:00+08:00\",\"status\":"
	         "\"complete\",\"answers\":{\"safety\":\"%s\",\"overall\":\"%s\"}}",
	         n, survey, safety, overall);
	REQUIRE(ax_importer_line(im, l, strlen(l), NULL, &out) == AX_OK);
	if (out.result != AX_REC_ACCEPTED)
		fprintf(stderr, "%s%d: %s\n", survey, n, out.reason);
	CHECK_INT(out.result, AX_REC_ACCEPTED);
}

static int rate_of(const struct ax_report *r, const char *id)
{
	for (int k = 0; k < r->nrates; k++)
		if (strcmp(r->rates[k].id, id) == 0)
			return k;
	fprintf(stderr, "no rate %s in the report\n", id);
	return -1;
}

static void expect_rate(const struct ax_report *r, const char *id,
                        long long num, long long den, long long dk)
{
	int k = rate_of(r, id);
	CHECK(k >= 0);
	if (k < 0)
		return;
	CHECK_INT(r->rows[0].rates[k].num, num);
	CHECK_INT(r->rows[0].rates[k].den, den);
	CHECK_INT(r->rows[0].rates_dont_know[k], dk);
}

static struct ax_report *county(ax_store *st)
{
	struct ax_report_opts o = {0};
	struct ax_report *r = NULL;
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	REQUIRE(r->nrows == 1);
	return r;
}

int main(int argc, char **argv)
{
	ax_store *seed, *st;
	ax_importer *im;
	struct ax_report *r;
	struct ax_trend_week w[1];
	char off[AX_SURVEY_ID_MAX];

	tu_init();
	seed = tu_store_new("d.db", roster, sizeof roster - 1);
	st = pgt_store(seed, argc > 1 ? argv[1] : NULL, "anxin_satdefs");
	tu_install_survey(st, "a.json", survey_a);
	tu_install_survey(st, "b.json", survey_b);
	tu_install_survey(st, "c.json", survey_c);
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	answer(im, 1, "a", "3", "1");
	answer(im, 2, "a", "3", "3");
	answer(im, 3, "a", "4", "2");
	answer(im, 4, "b", "1", "1");
	answer(im, 5, "b", "3", "6");
	answer(im, 6, "b", "6", "4");
	answer(im, 7, "c", "2", "3");
	answer(im, 8, "c", "5", "5");
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);

	/* no designation, two rules: no headline, each apart */
	REQUIRE(ax_official_survey_get(st, off) == AX_OK);
	CHECK_STR(off, "");
	r = county(st);
	CHECK_INT(r->rows[0].respondents, 8);
	CHECK_INT(r->rows[0].satisfaction.den, 0); /* was 7, num 4 */
	CHECK_INT(r->rows[0].verdict_satisfaction, AX_VERDICT_NONE);
	CHECK_STR(r->sat_survey, "");
	expect_rate(r, "sat@a", 2, 3, 0);
	expect_rate(r, "sat@b", 2, 4, 1);
	expect_rate(r, "safety", 2, 4, 1); /* the last installed survey's rule */
	expect_rate(r, "safety@a", 2, 3, 0);
	CHECK_STR(r->rates[rate_of(r, "sat@a")].name, "满意度（A问卷）");
	CHECK_STR(r->rates[rate_of(r, "safety@a")].name, "安全感（A问卷）");
	CHECK_NEAR(r->rates[rate_of(r, "sat@b")].target, 0.85, 1e-9);
	ax_report_free(r);

	/* the official 测评 wording: b (c shares its rule exactly) */
	CHECK_INT(ax_official_survey_set(st, "nosuch"), AX_INVALID);
	REQUIRE(ax_official_survey_set(st, "b") == AX_OK);
	REQUIRE(ax_official_survey_get(st, off) == AX_OK);
	CHECK_STR(off, "b");
	r = county(st);
	CHECK_INT(r->rows[0].satisfaction.num, 2);
	CHECK_INT(r->rows[0].satisfaction.den, 4);
	CHECK_INT(r->rows[0].sat_dont_know, 1);
	CHECK_NEAR(r->rows[0].mean_score, 3.25, 1e-9);
	CHECK_NEAR(r->target_satisfaction, 0.85, 1e-9);
	CHECK_STR(r->sat_survey, "b");
	expect_rate(r, "sat@a", 2, 3, 0);
	CHECK(rate_of(r, "sat@b") < 0 || !"b is the headline, not apart");
	expect_rate(r, "safety", 2, 4, 1);
	expect_rate(r, "safety@a", 2, 3, 0);
	/* the headline's own rates first, the ones kept apart after */
	CHECK_INT(rate_of(r, "safety"), 0);
	{
		char *json = ax_report_json(r);
		REQUIRE(json);
		CHECK(strstr(json, "\"sat@a\"") != NULL);
		ax_free(json);
	}
	ax_report_free(r);
	REQUIRE(ax_trend_weeks(st, "439901101201001", NULL, NULL, "2026-11-22", 1,
	                       w) == AX_OK);
	CHECK_INT(w[0].respondents, 8);
	CHECK_INT(w[0].sat_num, 2); /* was 4 */
	CHECK_INT(w[0].sat_den, 4); /* was 7 */
	/* one survey's trend is its own rule, whatever is designated */
	REQUIRE(ax_trend_weeks(st, "439901101201001", "a", NULL, "2026-11-22", 1,
	                       w) == AX_OK);
	CHECK_INT(w[0].sat_num, 2);
	CHECK_INT(w[0].sat_den, 3);

	/* a designated: its rule alone */
	REQUIRE(ax_official_survey_set(st, "a") == AX_OK);
	r = county(st);
	CHECK_INT(r->rows[0].satisfaction.num, 2);
	CHECK_INT(r->rows[0].satisfaction.den, 3);
	CHECK_NEAR(r->rows[0].mean_score, 8.0 / 3, 1e-9);
	CHECK_NEAR(r->target_satisfaction, 0.9, 1e-9); /* a sets none */
	expect_rate(r, "sat@b", 2, 4, 1);
	expect_rate(r, "safety", 2, 3, 0);
	expect_rate(r, "safety@b", 2, 4, 1);
	ax_report_free(r);

	/* a one-survey report is that survey's rule, whatever is designated */
	{
		struct ax_report_opts o = {.survey = "c"};
		REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
		CHECK_INT(r->rows[0].satisfaction.num, 1);
		CHECK_INT(r->rows[0].satisfaction.den, 2);
		CHECK_INT(r->nrates, 1);
		ax_report_free(r);
	}
	REQUIRE(ax_official_survey_set(st, NULL) == AX_OK);
	REQUIRE(ax_official_survey_get(st, off) == AX_OK);
	CHECK_STR(off, "");
	ax_store_close(st);
	if (st != seed)
		ax_store_close(seed);
	printf("unit.satdefs: %d checks, %d failed\n", check_count, check_failures);
	return check_failures != 0;
}
