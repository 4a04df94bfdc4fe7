/*
 * unit.suppress -- answers stay confidential below the county role: an
 * answer-based cell (知晓率, 满意度, 安全感 ...) of fewer than 5 respondents
 * is suppressed in the report for lower roles -- zeroed in the structure
 * and shown as "<5" in the JSON, the CSV and the table -- while coverage
 * stays visible; the county role sees every figure.
 *
 * Counted by hand from the answers below (survey "s", TU_CEPING: 满意 =
 * 1,2, 说不清 = 6; 安全感 = 1-3, 说不清 = 6):
 *
 *   grid  answers (overall, safety)          respondents  满意度      安全感
 *   G1    (1,1) (2,2) (4,4)                  3            2/3  <5     2/3  <5
 *   G2    (1,1) (6,6) (1,2) (5,6)            4 (1 说不清)  2/3  <5     2/2 dk2 <5
 *   G3    (1,1) (2,1) (3,3) (6,4) (1,1)      5 (1 说不清)  3/4  shown  4/5 shown
 *   village V = G1+G2+G3                     12           7/10 dk 2   8/10 dk 2
 *
 * Coverage: H1 (G1) has a delivered SMS, H2 (G2) none: G1 1/1, G2 0/1,
 * G3 0/0, village 1/2 -- shown for everyone.
 *
 * Complementary suppression: in village W, grid W1 has 2 answers, W2 7 and
 * W3 9 (all 很满意/很安全).  W1 alone hidden, W (18) minus W2 and W3 would
 * give it back: W2, the smallest shown sibling, is hidden too -- "<5"
 * although it has 7 -- while W3 and W stay shown (9/9, 18/18).
 */
#include "anxin/content.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "check.h"
#include "testutil.h"

#define V "439901101201"
#define G1 V "001"
#define G2 V "002"
#define G3 V "003"
#define W "439901101202"
#define W1 W "001"
#define W2 W "002"
#define W3 W "003"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000," V "," G1 ",13800138001,3\n"
    "H2,439901101000," V "," G2 ",13800138002,2\n"
    "H3,439901101000," V "," G3 ",,2\n"
    "H4,439901101000," W "," W1 ",,2\n"
    "H5,439901101000," W "," W2 ",,2\n"
    "H6,439901101000," W "," W3 ",,2\n";

static const char survey_s[] = TU_CEPING("s", "测评");

/* G1 3 answers, G2 4 (1 说不清), G3 5 (1 说不清): the table above */
static const struct {
	const char *grid, *overall, *safety;
} answers[] = {
	{G1, "1", "1"}, {G1, "2", "2"}, {G1, "4", "4"}, {G2, "1", "1"},
	{G2, "6", "6"}, {G2, "1", "2"}, {G2, "5", "6"}, {G3, "1", "1"},
	{G3, "2", "1"}, {G3, "3", "3"}, {G3, "6", "4"}, {G3, "1", "1"},
	/* W1 2, W2 7, W3 9 */
	{W1, "1", "1"}, {W1, "1", "1"}, {W2, "1", "1"}, {W2, "1", "1"},
	{W2, "1", "1"}, {W2, "1", "1"}, {W2, "1", "1"}, {W2, "1", "1"},
	{W2, "1", "1"}, {W3, "1", "1"}, {W3, "1", "1"}, {W3, "1", "1"},
	{W3, "1", "1"}, {W3, "1", "1"}, {W3, "1", "1"}, {W3, "1", "1"},
	{W3, "1", "1"}, {W3, "1", "1"},
};

static void import_all(ax_store *st)
{
	static const char contact[] =
	    "{\"type\":\"contact\",\"id\":\"c5e50000-0000-4000-8000-000000000001\","
	    "\"household\":\"H1\",\"channel\":\"sms\",\"kind\":\"sms_delivered\","
	    "\"device\":\"g1\",\"at\":\"2026-11-20T09:00:00+08:00\"}";
	struct ax_rec_outcome out;
	ax_importer *im;
	char l[1024];

	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	REQUIRE(ax_importer_line(im, contact, strlen(contact), NULL, &out) == AX_OK);
	for (size_t i = 0; i < sizeof answers / sizeof answers[0]; i++) {
		snprintf(l, sizeof l,
		         "{\"type\":\"response\",\"id\":\"5e5e0000-0000-4000-8000-%012zu\","
		         "\"survey\":\"s\",\"survey_version\":1,\"channel\":\"kiosk\","
		         "\"device\":\"k1\",\"household\":null,\"region\":\"%s\","
		         "\"started_at\":\"2026-11-20T10:00:00+08:00\",\"completed_at\":"
		         "\"2026-11-20T10:03:00+08:00\",\"status\":\"complete\",\"answers\":"
		         "{\"safety\":\"%s\",\"overall\":\"%s\"}}",
		         i + 1, answers[i].grid, answers[i].safety, answers[i].overall);
		REQUIRE(ax_importer_line(im, l, strlen(l), NULL, &out) == AX_OK);
		CHECK_INT(out.result, AX_REC_ACCEPTED);
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
}

static const struct ax_report_row *row_of(const struct ax_report *r,
                                          const char *code)
{
	for (int i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].code, code) == 0)
			return &r->rows[i];
	REQUIRE(!"row missing");
	return NULL;
}

static void suppressed(const struct ax_report_row *w)
{
	CHECK(w->satisfaction.suppressed);
	CHECK_INT(w->satisfaction.num, 0);
	CHECK_INT(w->satisfaction.den, 0);
	CHECK_INT(w->sat_dont_know, 0);
	CHECK(w->mean_score == 0);
	CHECK(w->rates[0].suppressed);
	CHECK_INT(w->rates[0].num, 0);
	CHECK_INT(w->rates_dont_know[0], 0);
}

int main(void)
{
	ax_store *st;
	struct ax_report *r;
	struct ax_report_opts o = {.scope = V, .depth = 1};
	const struct ax_report_row *w;
	char *json, *csv, *table;

	tu_init();
	st = tu_store_new("s.db", roster, sizeof roster - 1);
	tu_install_survey(st, "s.json", survey_s);
	import_all(st);

	/* the county role: every figure */
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	w = row_of(r, G1);
	CHECK(!w->satisfaction.suppressed);
	CHECK_INT(w->satisfaction.num, 2);
	CHECK_INT(w->satisfaction.den, 3);
	ax_report_free(r);

	/* below it */
	o.suppress_below = AX_SUPPRESS_BELOW;
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	REQUIRE(r->nrates == 1);
	w = row_of(r, V);
	CHECK(!w->satisfaction.suppressed);
	CHECK_INT(w->respondents, 12);
	CHECK_INT(w->satisfaction.num, 7);
	CHECK_INT(w->satisfaction.den, 10);
	CHECK_INT(w->sat_dont_know, 2);
	CHECK_INT(w->rates[0].num, 8);
	CHECK_INT(w->rates[0].den, 10);
	CHECK_INT(w->rates_dont_know[0], 2);
	CHECK_INT(w->reached, 1);
	CHECK_INT(w->households, 3);
	w = row_of(r, G1);
	suppressed(w);
	CHECK_INT(w->respondents, 3); /* who answered: not an answer */
	CHECK_INT(w->reached, 1);     /* coverage stays visible */
	CHECK_INT(w->coverage.den, 1);
	CHECK(!w->coverage.suppressed);
	suppressed(row_of(r, G2)); /* 3 + 1 说不清 = 4 respondents */
	w = row_of(r, G3);         /* 4 + 1 说不清 = 5: shown */
	CHECK(!w->satisfaction.suppressed);
	CHECK_INT(w->satisfaction.num, 3);
	CHECK_INT(w->satisfaction.den, 4);
	CHECK_INT(w->sat_dont_know, 1);
	CHECK_NEAR(w->mean_score, (5 + 4 + 3 + 5) / 4.0, 1e-9);
	CHECK_INT(w->rates[0].num, 4);
	CHECK_INT(w->rates[0].den, 5);

	ax_report_free(r);

	/* complementary: W2 hidden with W1 */
	o.scope = W;
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	suppressed(row_of(r, W1));
	suppressed(row_of(r, W2));
	CHECK_INT(row_of(r, W2)->respondents, 7);
	w = row_of(r, W3);
	CHECK(!w->satisfaction.suppressed);
	CHECK_INT(w->satisfaction.num, 9);
	CHECK_INT(w->satisfaction.den, 9);
	w = row_of(r, W);
	CHECK_INT(w->satisfaction.num, 18);
	CHECK_INT(w->satisfaction.den, 18);
	ax_report_free(r);
	o.suppress_below = 0; /* the county sees W2 */
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	CHECK_INT(row_of(r, W2)->satisfaction.den, 7);
	ax_report_free(r);

	o.scope = V;
	o.suppress_below = AX_SUPPRESS_BELOW;
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	json = ax_report_json(r);
	csv = ax_report_csv(r);
	table = ax_report_table(r);
	REQUIRE(json && csv && table);
	/* G1's satisfaction in the JSON: "<5" wherever a number would be */
	{
		const char *g1 = strstr(json, "\"code\": \"" G1 "\"");
		const char *g2 = strstr(json, "\"code\": \"" G2 "\"");
		const char *sat = g1 ? strstr(g1, "\"satisfaction\": {") : NULL;
		REQUIRE(g1 && g2 && sat && sat < g2);
		const char *num = strstr(sat, "\"num\": ");
		REQUIRE(num);
#define STARTS(p, lit) (strncmp((p), lit, sizeof lit - 1) == 0)
		CHECK(STARTS(num, "\"num\": \"<5\""));
		CHECK(STARTS(strstr(num, "\"den\": "), "\"den\": \"<5\""));
		CHECK(STARTS(strstr(num, "\"rate\": "), "\"rate\": \"<5\""));
		CHECK(strstr(sat, "\"mean_score\": \"<5\"") < g2);
		CHECK(strstr(sat, "\"suppressed\": true") < g2);
	}
	/* CSV: G1's row has its coverage 1/1 and "<5" for both rates */
	{
		const char *g1 = strstr(csv, "\r\n" G1 ",");
		const char *end = g1 ? strstr(g1 + 2, "\r\n") : NULL;
		char line[1024];
		REQUIRE(g1 && end && end - g1 < (long)sizeof line);
		snprintf(line, sizeof line, "%.*s", (int)(end - g1 - 2), g1 + 2);
		CHECK(strstr(line, ",1,1,1.0000,") != NULL);
		CHECK(strstr(line, ",<5,<5,<5,<5,<5,是,<5,<5,<5,<5,<5,<5,<5,是,<5,") != NULL);
		CHECK(strstr(line, "0.6667") == NULL); /* 2/3 */
	}
	CHECK(strstr(table, "<5") != NULL);
	CHECK(strstr(table, "答题不足 5 人") != NULL);
	ax_free(json);
	ax_free(csv);
	ax_free(table);
	ax_report_free(r);
	ax_store_close(st);
	printf("unit.suppress: %d checks, %d failed\n", check_count, check_failures);
	return check_failures != 0;
}
