/*
 * unit.rates -- rates a survey defines as data (metrics.rates) and 说不清
 * answers left out of denominators: 安全感 and the patrol team's 知晓率
 * next to 满意度, each with its own target, through the importer, the
 * tally and the report, including a household whose earlier-completed
 * answer displaces a counted one.  Every figure is worked out by hand in
 * the table below, from the answers, not by the code under test.
 *
 *   resp  household  q1 (知道)  q2 安全感    overall 满意度   counts?
 *   R1    -          1         1 很安全      1 很满意 (5)     yes
 *   R2    -          1         6 说不清      2 满意   (4)     yes
 *   R3    -          2         4 不太安全    6 说不清         yes
 *   R4    -          1         3 基本安全    3 基本满意 (3)   yes
 *   R5    -          2         6 说不清      6 说不清         yes
 *   R6    -          1         5 不安全      4 不太满意 (2)   yes
 *   R7    A1 10:00   2         6 说不清      5 不满意 (1)     displaced
 *   R8    A1 09:00   1         2 安全        1 很满意 (5)     yes (earlier)
 *
 *   patrol_aware (positive 1):      R1 R2 R4 R6 R8 of 7 answered  = 5/7
 *   safety (positive 1-3, dk 6):    den R1 R3 R4 R6 R8 = 5, num R1 R4 R8
 *                                   = 3 -> 3/5; dk R2 R5 = 2
 *   satisfaction (1,2; dk 6):       den R1 R2 R4 R6 R8 = 5, num R1 R2 R8
 *                                   = 3 -> 3/5; dk R3 R5 = 2;
 *                                   mean (5+4+3+2+5)/5 = 3.8
 *   targets: satisfaction 0.8 (3/5 = 0.6: not met), safety 0.5 (0.6:
 *   met), patrol_aware 0.9 (default; 0.714: not met).
 *   R9 (all 1s) is flagged "fast": kept, set aside (1), counted nowhere.
 */
#include <sqlite3.h>

#include "anxin/content.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "check.h"
#include "testutil.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "A1,439901101000,439901101201,439901101201001,13800138001,3\n";

static const char survey_s[] =
    "{\"id\": \"s\", \"version\": 1, \"title\": \"平安建设测评\","
    " \"sms_intro\": \"【江州县平安办】您好！请回复选项前的数字。回复TD退订\","
    " \"sms_thanks\": \"【江州县平安办】谢谢！\","
    " \"questions\": ["
    "  {\"id\": \"q1\", \"type\": \"yesno\", \"text\": \"您知道本村有治安巡逻队吗？\","
    "   \"sms\": \"您知道本村有治安巡逻队吗？回复1知道 2不知道\", \"options\": ["
    "    {\"code\": \"1\", \"label\": \"知道\"}, {\"code\": \"2\", \"label\": \"不知道\"}]},"
    "  {\"id\": \"q2\", \"type\": \"single\", \"text\": \"您觉得本地治安安全吗？\","
    "   \"sms\": \"您觉得安全吗？回复1很安全 2安全 3基本安全 4不太安全 5不安全 6说不清\","
    "   \"options\": [{\"code\": \"1\", \"label\": \"很安全\"},"
    "    {\"code\": \"2\", \"label\": \"安全\"}, {\"code\": \"3\", \"label\": \"基本安全\"},"
    "    {\"code\": \"4\", \"label\": \"不太安全\"}, {\"code\": \"5\", \"label\": \"不安全\"},"
    "    {\"code\": \"6\", \"label\": \"说不清\"}]},"
    "  {\"id\": \"overall\", \"type\": \"single\", \"text\": \"您对平安建设满意吗？\","
    "   \"sms\": \"您满意吗？回复1很满意 2满意 3基本满意 4不太满意 5不满意 6说不清\","
    "   \"options\": [{\"code\": \"1\", \"label\": \"很满意\", \"score\": 5},"
    "    {\"code\": \"2\", \"label\": \"满意\", \"score\": 4},"
    "    {\"code\": \"3\", \"label\": \"基本满意\", \"score\": 3},"
    "    {\"code\": \"4\", \"label\": \"不太满意\", \"score\": 2},"
    "    {\"code\": \"5\", \"label\": \"不满意\", \"score\": 1},"
    "    {\"code\": \"6\", \"label\": \"说不清\"}]}"
    " ],"
    " \"metrics\": {"
    "  \"satisfaction\": {\"question\": \"overall\", \"satisfied\": [\"1\", \"2\"],"
    "   \"dont_know\": [\"6\"], \"target\": 0.8},"
    "  \"rates\": ["
    "   {\"id\": \"patrol_aware\", \"name\": \"巡逻队知晓率\", \"question\": \"q1\","
    "    \"positive\": [\"1\"]},"
    "   {\"id\": \"safety\", \"name\": \"安全感\", \"question\": \"q2\","
    "    \"positive\": [\"1\", \"2\", \"3\"], \"dont_know\": [\"6\"], \"target\": 0.5}]}}";

static int import_flags(ax_importer *im, int n, const char *hh,
                        const char *done, const char *q1, const char *q2,
                        const char *overall, const char *flags)
{
	char l[1024];
	struct ax_rec_outcome out;
	snprintf(l, sizeof l,
	         "{\"type\":\"response\",\"id\":\"6f1c2a0e-0000-4000-8000-%012d\","
	         "\"survey\":\"s\",\"survey_version\":1,\"channel\":\"sms\","
	         "\"device\":\"g1\",\"household\":%s%s%s,\"region\":"
	         "\"439901101201001\",\"started_at\":\"%s\",\"completed_at\":\"%s\","
	         "\"status\":\"complete\",%s\"answers\":{\"q1\":\"%s\","
	         "\"q2\":\"%s\",\"overall\":\"%s\"}}",
	         n, hh ? "\"" : "", hh ? hh : "null", hh ? "\"" : "", done, done,
	         flags, q1, q2, overall);
	if (ax_importer_line(im, l, strlen(l), NULL, &out) != AX_OK)
		return -1;
	if (out.result != AX_REC_ACCEPTED)
		fprintf(stderr, "R%d: %s\n", n, out.reason);
	return (int)out.result;
}

static int import(ax_importer *im, int n, const char *hh, const char *done,
                  const char *q1, const char *q2, const char *overall)
{
	return import_flags(im, n, hh, done, q1, q2, overall, "");
}

static void expect_report(ax_store *st)
{
	struct ax_report_opts o = {.survey = "s"};
	struct ax_report *r = NULL;
	const struct ax_report_row *w;
	int safety = -1, patrol = -1;

	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	REQUIRE(r->nrows == 1);
	w = &r->rows[0];
	CHECK_INT(w->respondents, 7);
	CHECK_INT(w->set_aside, 1);
	CHECK_INT(r->nrates, 2);
	for (int k = 0; k < r->nrates; k++) {
		if (strcmp(r->rates[k].id, "safety") == 0)
			safety = k;
		if (strcmp(r->rates[k].id, "patrol_aware") == 0)
			patrol = k;
	}
	REQUIRE(safety >= 0 && patrol >= 0);
	/* in the survey's order, not the order the counts are read in (the
	 * tally's dk:safety sorts before r:patrol_aware) */
	CHECK_INT(patrol, 0);
	CHECK_INT(safety, 1);
	CHECK_STR(r->rates[safety].name, "安全感");
	CHECK_NEAR(r->rates[safety].target, 0.5, 1e-9);
	CHECK_NEAR(r->rates[patrol].target, 0.9, 1e-9);
	CHECK_INT(w->rates[patrol].num, 5);
	CHECK_INT(w->rates[patrol].den, 7);
	CHECK_INT(w->rates_dont_know[patrol], 0);
	CHECK_INT(w->verdict_rates[patrol], AX_VERDICT_SMALL); /* 5/7, [0.36,0.92] reaches 90 % */
	CHECK_INT(w->rates[safety].num, 3);
	CHECK_INT(w->rates[safety].den, 5);
	CHECK_INT(w->rates_dont_know[safety], 2);
	CHECK_INT(w->verdict_rates[safety], AX_VERDICT_SMALL); /* 3/5 ≥ 50 % on 5 answers */
	CHECK_INT(w->satisfaction.num, 3);
	CHECK_INT(w->satisfaction.den, 5);
	CHECK_INT(w->sat_dont_know, 2);
	CHECK_NEAR(w->mean_score, 3.8, 1e-9);
	CHECK_NEAR(r->target_satisfaction, 0.8, 1e-9);
	CHECK_INT(w->verdict_satisfaction, AX_VERDICT_SMALL); /* 3/5, [0.23,0.88] reaches 80 % */
	{
		char *json = ax_report_json(r), *csv = ax_report_csv(r);
		REQUIRE(json && csv);
		CHECK(strstr(json, "\"name\": \"安全感\"") != NULL);
		CHECK(strstr(json, "\"dont_know\": 2") != NULL);
		/* CSV: 安全感 3/5 with its bounds, then 2 说不清 */
		CHECK(strstr(csv, ",安全感分子,安全感分母,") != NULL);
		CHECK(strstr(csv, ",3,5,0.6000,") != NULL);
		ax_free(json);
		ax_free(csv);
	}
	ax_report_free(r);
}

int main(void)
{
	ax_content *c = NULL;
	ax_store *st;
	ax_importer *im;
	int nerr = 0;

	tu_init();
	REQUIRE(ax_store_open(tu_path("r.db"), AX_STORE_CREATE, &st, NULL, 0) ==
	        AX_OK);
	REQUIRE(ax_roster_import_mem(st, "r.csv", roster, sizeof roster - 1, NULL,
	                             NULL, NULL, NULL) == AX_OK);
	REQUIRE(ax_content_load_text("s.json", "survey", survey_s, tu_diag_fn, NULL,
	                             &nerr, &c) == AX_OK);
	REQUIRE(nerr == 0);
	REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
	ax_content_free(c);

	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	CHECK_INT(import(im, 1, NULL, "2026-11-20T10:00:00+08:00", "1", "1", "1"), AX_REC_ACCEPTED);
	CHECK_INT(import(im, 2, NULL, "2026-11-20T10:00:00+08:00", "1", "6", "2"), AX_REC_ACCEPTED);
	CHECK_INT(import(im, 3, NULL, "2026-11-20T10:00:00+08:00", "2", "4", "6"), AX_REC_ACCEPTED);
	CHECK_INT(import(im, 4, NULL, "2026-11-20T10:00:00+08:00", "1", "3", "3"), AX_REC_ACCEPTED);
	CHECK_INT(import(im, 5, NULL, "2026-11-20T10:00:00+08:00", "2", "6", "6"), AX_REC_ACCEPTED);
	CHECK_INT(import(im, 6, NULL, "2026-11-20T10:00:00+08:00", "1", "5", "4"), AX_REC_ACCEPTED);
	CHECK_INT(import(im, 7, "A1", "2026-11-20T10:00:00+08:00", "2", "6", "5"), AX_REC_ACCEPTED);
	REQUIRE(ax_importer_commit(im) == AX_OK);
	/* a second batch: A1's earlier answer arrives late and counts instead */
	REQUIRE(ax_importer_begin(im) == AX_OK);
	CHECK_INT(import(im, 8, "A1", "2026-11-20T09:00:00+08:00", "1", "2", "1"), AX_REC_ACCEPTED);
	CHECK_INT(import_flags(im, 9, NULL, "2026-11-20T11:00:00+08:00", "1", "1", "1",
	                       "\"flags\":[\"fast\"],"), AX_REC_ACCEPTED);
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);

	expect_report(st);
	ax_store_close(st);
	printf("unit.rates: %d checks, %d failed\n", check_count, check_failures);
	return check_failures != 0;
}
