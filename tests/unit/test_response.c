/*
 * unit.response -- the response model on its own (response.h): show-if
 * chains and withdrawal, knowledge scoring, awareness and satisfaction,
 * the answers JSON both ways, bad records with located errors, and the
 * record lines.  Every expectation is worked out by hand from the survey
 * text below.
 */
#include <jansson.h>

#include "anxin/clock.h"
#include "anxin/content.h"
#include "anxin/response.h"
#include "check.h"

/*
 * q1 single (1 有 / 2 没有);  q2 multi, shown if q1 = 1;
 * q3 single, shown if q2 has 2 or 3 (a chain through q2);
 * k1, k2, k3 knowledge (answers B, A, C), topic anti_fraud, pass 0.6;
 * k3 shown only if q1 = 2;  sat scale5, satisfied 1/2 (scores 5..1).
 */
static const char survey_t[] =
    "{\"id\": \"t\", \"version\": 3, \"title\": \"模型测试\","
    " \"sms_intro\": \"【江州县综治办】您好！回复TD退订\","
    " \"sms_thanks\": \"【江州县综治办】谢谢！\","
    " \"questions\": ["
    "  {\"id\": \"q1\", \"type\": \"single\", \"text\": \"有吗？\","
    "   \"sms\": \"有吗？回复1有 2没有\", \"options\": ["
    "    {\"code\": \"1\", \"label\": \"有\"}, {\"code\": \"2\", \"label\": \"没有\"}]},"
    "  {\"id\": \"q2\", \"type\": \"multi\", \"text\": \"哪些？\","
    "   \"sms\": \"哪些？回复1甲 2乙 3丙\", \"options\": ["
    "    {\"code\": \"1\", \"label\": \"甲\"}, {\"code\": \"2\", \"label\": \"乙\"},"
    "    {\"code\": \"3\", \"label\": \"丙\"}],"
    "   \"show_if\": {\"question\": \"q1\", \"any_of\": [\"1\"]}},"
    "  {\"id\": \"q3\", \"type\": \"single\", \"text\": \"多久？\","
    "   \"sms\": \"多久？回复1一周 2一月\", \"options\": ["
    "    {\"code\": \"1\", \"label\": \"一周\"}, {\"code\": \"2\", \"label\": \"一月\"}],"
    "   \"show_if\": {\"question\": \"q2\", \"any_of\": [\"2\", \"3\"]}},"
    "  {\"id\": \"k1\", \"type\": \"knowledge\", \"text\": \"第一问？\","
    "   \"sms\": \"第一问？回复A甲 B乙\", \"answer\": \"B\", \"topic\": \"anti_fraud\","
    "   \"explanation\": \"因为乙。\", \"options\": ["
    "    {\"code\": \"A\", \"label\": \"甲\"}, {\"code\": \"B\", \"label\": \"乙\"}]},"
    "  {\"id\": \"k2\", \"type\": \"knowledge\", \"text\": \"第二问？\","
    "   \"sms\": \"第二问？回复A甲 B乙\", \"answer\": \"A\", \"topic\": \"anti_fraud\","
    "   \"explanation\": \"因为甲。\", \"options\": ["
    "    {\"code\": \"A\", \"label\": \"甲\"}, {\"code\": \"B\", \"label\": \"乙\"}]},"
    "  {\"id\": \"k3\", \"type\": \"knowledge\", \"text\": \"第三问？\","
    "   \"sms\": \"第三问？回复A甲 B乙 C丙\", \"answer\": \"C\", \"topic\": \"anti_fraud\","
    "   \"explanation\": \"因为丙。\", \"options\": ["
    "    {\"code\": \"A\", \"label\": \"甲\"}, {\"code\": \"B\", \"label\": \"乙\"},"
    "    {\"code\": \"C\", \"label\": \"丙\"}],"
    "   \"show_if\": {\"question\": \"q1\", \"any_of\": [\"2\"]}},"
    "  {\"id\": \"sat\", \"type\": \"scale5\", \"text\": \"满意吗？\","
    "   \"sms\": \"满意吗？回复1非常满意 2满意 3基本满意 4不满意 5非常不满意\"}"
    " ],"
    " \"metrics\": {\"satisfaction\": {\"question\": \"sat\", \"satisfied\": [\"1\", \"2\"]},"
    "  \"awareness\": [{\"topic\": \"anti_fraud\", \"questions\": [\"k1\", \"k2\", \"k3\"],"
    "   \"pass_share\": 0.6}]}}";

enum { Q1, Q2, Q3, K1, K2, K3, SAT };

static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	fprintf(stderr, "content: %s\n", msg);
}

static const struct ax_survey *sv;

static void show_if_chains(void)
{
	struct ax_response r;
	uint64_t gone = 0;
	int pos, total;

	REQUIRE(ax_response_init(&r, sv) == AX_OK);
	CHECK_INT(ax_response_next(&r, 0), Q1);
	/* nothing answered: q2, q3 (through q2) and k3 hidden */
	CHECK_INT(ax_response_shown(&r, Q2), 0);
	CHECK_INT(ax_response_shown(&r, Q3), 0);
	CHECK_INT(ax_response_shown(&r, K3), 0);
	CHECK_INT(ax_response_next(&r, Q2), K1);
	ax_response_progress(&r, Q1, &pos, &total);
	CHECK_INT(pos, 1);
	CHECK_INT(total, 4); /* q1 k1 k2 sat */

	CHECK(ax_response_set_codes(&r, Q1, "1", &gone) == AX_OK);
	CHECK_INT(gone, 0);
	CHECK_INT(ax_response_next(&r, Q1 + 1), Q2);
	CHECK_INT(ax_response_shown(&r, Q3), 0); /* q2 not answered yet */
	CHECK(ax_response_set_codes(&r, Q2, "1", NULL) == AX_OK);
	CHECK_INT(ax_response_next(&r, Q2 + 1), K1); /* 甲 only: q3 hidden */
	CHECK(ax_response_set_codes(&r, Q2, "3,1", NULL) == AX_OK);
	CHECK_INT(r.sel[Q2], 0x5); /* options 1 and 3 */
	CHECK_INT(ax_response_next(&r, Q2 + 1), Q3);
	CHECK(ax_response_set_codes(&r, Q3, "2", NULL) == AX_OK);
	ax_response_progress(&r, Q3, &pos, &total);
	CHECK_INT(pos, 3);
	CHECK_INT(total, 6); /* q1 q2 q3 k1 k2 sat */
	CHECK_INT(ax_response_prev(&r, K1 - 1), Q3);

	/* q1 changed to 没有: q2 and, through it, q3 are withdrawn */
	CHECK(ax_response_set_codes(&r, Q1, "2", &gone) == AX_OK);
	CHECK_INT(gone, (1ULL << Q2) | (1ULL << Q3));
	CHECK_INT(r.sel[Q2], 0);
	CHECK_INT(r.sel[Q3], 0);
	CHECK_INT(ax_response_shown(&r, K3), 1);
	CHECK_INT(ax_response_prev(&r, K1 - 1), Q1);
	CHECK_INT(ax_response_any(&r), 1);
	CHECK(ax_response_set(&r, Q1, 0, NULL) == AX_OK);
	CHECK_INT(ax_response_any(&r), 0);
}

static void bad_answers(void)
{
	struct ax_response r;
	char buf[16];

	REQUIRE(ax_response_init(&r, sv) == AX_OK);
	/* single choice takes exactly one option */
	CHECK(ax_response_set(&r, Q1, 0x3, NULL) == AX_INVALID);
	CHECK(ax_response_set(&r, Q1, 0x4, NULL) == AX_INVALID); /* no option 3 */
	CHECK(ax_response_set_codes(&r, Q1, "9", NULL) == AX_INVALID);
	CHECK(ax_response_set_codes(&r, Q2, "1,1", NULL) == AX_INVALID);
	CHECK(ax_response_set_codes(&r, Q2, "1,", NULL) == AX_INVALID);
	CHECK(ax_response_set(&r, 99, 1, NULL) == AX_INVALID);
	CHECK_INT(ax_response_any(&r), 0); /* nothing changed */
	CHECK(ax_response_set_codes(&r, Q2, "3,2", NULL) == AX_OK);
	CHECK_INT(ax_response_codes(&r, Q2, buf, sizeof buf), 3);
	CHECK_STR(buf, "2,3"); /* option order */
	CHECK_INT(ax_response_codes(&r, Q2, buf, 3), -1);
	CHECK_INT(ax_response_single(&r, Q2), -1);
	CHECK(ax_response_init(&r, NULL) == AX_INVALID);
}

static void scoring(void)
{
	struct ax_response r;
	struct ax_score sc;
	struct ax_derived d;

	REQUIRE(ax_response_init(&r, sv) == AX_OK);
	ax_response_set_codes(&r, Q1, "1", NULL);
	ax_response_set_codes(&r, K1, "B", NULL); /* right */
	ax_response_score(&r, &sc);
	CHECK_INT(sc.right, 1);
	CHECK_INT(sc.answered, 1);
	CHECK_INT(sc.shown, 2); /* k1 k2; k3 hidden */
	CHECK_INT(ax_response_correct(&r, K2), 0);
	CHECK_INT(ax_response_correct(&r, K3), -1);
	CHECK_INT(ax_response_correct(&r, Q1), -1);
	/* 1 of 2 shown: 0.5 < 0.6, not aware; unanswered k2 counts as wrong */
	ax_response_derive(&r, &d);
	CHECK_INT(d.ntopics, 1);
	CHECK_STR(d.topic[0], "anti_fraud");
	CHECK_INT(d.passed[0], 0);
	CHECK_INT(d.has_sat, 0);
	ax_response_set_codes(&r, K2, "A", NULL);
	ax_response_derive(&r, &d);
	CHECK_INT(d.passed[0], 1); /* 2 of 2 */

	/* q1 = 2 shows k3: 2 right of 3 = 0.667 >= 0.6 */
	ax_response_set_codes(&r, Q1, "2", NULL);
	ax_response_set_codes(&r, K3, "A", NULL);
	ax_response_derive(&r, &d);
	CHECK_INT(d.passed[0], 1);
	ax_response_score(&r, &sc);
	CHECK_INT(sc.right, 2);
	CHECK_INT(sc.shown, 3);
	/* 1 of 3 fails */
	ax_response_set_codes(&r, K2, "B", NULL);
	ax_response_derive(&r, &d);
	CHECK_INT(d.passed[0], 0);

	/* satisfaction: 3 基本满意 is not satisfied here (satisfied 1, 2),
	 * scale score of option 3 is 3 */
	ax_response_set_codes(&r, SAT, "3", NULL);
	ax_response_derive(&r, &d);
	CHECK_INT(d.has_sat, 1);
	CHECK_INT(d.sat, 0);
	CHECK_NEAR(d.score, 3.0, 1e-9);
	ax_response_set_codes(&r, SAT, "2", NULL);
	ax_response_derive(&r, &d);
	CHECK_INT(d.sat, 1);
	CHECK_NEAR(d.score, 4.0, 1e-9);
}

static void json_round_trip(void)
{
	struct ax_response r, back;
	json_t *a;
	char *s, why[256];

	REQUIRE(ax_response_init(&r, sv) == AX_OK);
	ax_response_set_codes(&r, Q1, "1", NULL);
	ax_response_set_codes(&r, Q2, "3,2", NULL);
	ax_response_set_codes(&r, K1, "A", NULL);
	a = ax_response_answers_json(&r);
	REQUIRE(a);
	s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK_STR(s, "{\"k1\":\"A\",\"q1\":\"1\",\"q2\":[\"2\",\"3\"]}");
	free(s);
	CHECK(ax_response_from_json(&back, sv, a, why, sizeof why) == AX_OK);
	CHECK(memcmp(back.sel, r.sel, sizeof r.sel) == 0);
	json_decref(a);
}

static void expect_bad(const char *answers, const char *reason)
{
	struct ax_response r;
	char why[256];
	json_t *a = json_loads(answers, JSON_DECODE_ANY, NULL);
	REQUIRE(a);
	CHECK(ax_response_from_json(&r, sv, a, why, sizeof why) == AX_INVALID);
	CHECK_STR(why, reason);
	json_decref(a);
}

static void bad_records(void)
{
	expect_bad("[]", "field \"answers\" must be an object");
	expect_bad("{\"q9\":\"1\"}", "answers.q9: survey t v3 has no such question");
	expect_bad("{\"q1\":\"7\"}",
	           "answers.q1: \"7\" is not an option of this question");
	expect_bad("{\"q1\":1}", "answers.q1: answer must be an option code string");
	expect_bad("{\"q1\":[\"1\"]}",
	           "answers.q1: answer must be an option code string");
	expect_bad("{\"q2\":\"1\"}", "answers.q2: a multiple-choice answer is a "
	                             "non-empty array of option codes");
	expect_bad("{\"q2\":[]}", "answers.q2: a multiple-choice answer is a "
	                          "non-empty array of option codes");
	expect_bad("{\"q2\":[\"1\",\"4\"]}",
	           "answers.q2: item 1 is not an option code of this question");
	expect_bad("{\"q2\":[\"1\",\"1\"]}", "answers.q2: option repeated");
}

static void records(void)
{
	struct ax_response r;
	struct ax_response_meta m;
	struct ax_contact_meta c;
	const char *flags[] = {"fast"};
	long long t0 = 1772326800; /* 2026-03-01T09:00:00+08:00 */
	char *line;

	REQUIRE(ax_response_init(&r, sv) == AX_OK);
	ax_response_set_codes(&r, Q1, "2", NULL);
	memset(&m, 0, sizeof m);
	m.id = "6f1c2a0e-0000-4000-8000-000000000001";
	m.channel = AX_CH_SMS;
	m.device = "gw1";
	m.household = "H1";
	m.region = "439901101001001";
	m.wave = "w1";
	m.status = AX_RESP_PARTIAL;
	m.started_at = t0;
	m.completed_at = t0 + 60; /* not written for a partial response */
	line = ax_response_record(&r, &m);
	CHECK_STR(line,
	          "{\"answers\":{\"q1\":\"2\"},\"channel\":\"sms\","
	          "\"completed_at\":null,\"device\":\"gw1\",\"household\":\"H1\","
	          "\"id\":\"6f1c2a0e-0000-4000-8000-000000000001\","
	          "\"region\":\"439901101001001\","
	          "\"started_at\":\"2026-03-01T09:00:00+08:00\","
	          "\"status\":\"partial\",\"survey\":\"t\",\"survey_version\":3,"
	          "\"type\":\"response\",\"wave\":\"w1\"}");
	free(line);

	m.channel = AX_CH_KIOSK;
	m.household = NULL;
	m.phone_sealed = "c2VhbGVk";
	m.region = "";
	m.wave = NULL;
	m.status = AX_RESP_COMPLETE;
	m.flags = flags;
	m.nflags = 1;
	line = ax_response_record(&r, &m);
	CHECK_STR(line,
	          "{\"answers\":{\"q1\":\"2\"},\"channel\":\"kiosk\","
	          "\"completed_at\":\"2026-03-01T09:01:00+08:00\","
	          "\"device\":\"gw1\",\"flags\":[\"fast\"],\"household\":null,"
	          "\"household_phone_sealed\":\"c2VhbGVk\","
	          "\"id\":\"6f1c2a0e-0000-4000-8000-000000000001\","
	          "\"started_at\":\"2026-03-01T09:00:00+08:00\","
	          "\"status\":\"complete\",\"survey\":\"t\",\"survey_version\":3,"
	          "\"type\":\"response\"}");
	free(line);

	memset(&c, 0, sizeof c);
	c.id = "6f1c2a0e-0000-4000-8000-000000000002";
	c.household = "H1";
	c.channel = AX_CH_SMS;
	c.kind = "sms_delivered";
	c.device = "gw1";
	c.at = t0 - 8 * 3600; /* 01:00 China time */
	line = ax_contact_record(&c);
	CHECK_STR(line, "{\"at\":\"2026-03-01T01:00:00+08:00\",\"channel\":\"sms\","
	                "\"device\":\"gw1\",\"household\":\"H1\","
	                "\"id\":\"6f1c2a0e-0000-4000-8000-000000000002\","
	                "\"kind\":\"sms_delivered\",\"pack\":null,"
	                "\"type\":\"contact\"}");
	free(line);

	/* built by hand: the bytes jansson's sorted compact dump makes, also
	 * for strings that need escaping, with a sealed phone and a pack */
	{
		const char *tricky = "H\"1\\/\b\f\n\r\t\x01\x1f\x7f 户 \xe2\x80\xa8";
		json_t *o;
		char *want;
		c.household = tricky;
		c.phone_sealed = "c2Vh/bGVk";
		c.pack = "p\"1";
		c.kind = "sms_sent";
		line = ax_contact_record(&c);
		o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "type",
		              "contact", "id", c.id, "channel", "sms", "kind",
		              "sms_sent", "pack", "p\"1", "device", "gw1", "at",
		              "2026-03-01T01:00:00+08:00", "household", tricky,
		              "household_phone_sealed", "c2Vh/bGVk");
		want = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		CHECK(line && want);
		if (line && want)
			CHECK_STR(line, want);
		free(line);
		free(want);
		json_decref(o);
		c.household = "H\xff"; /* not UTF-8: no line, as json_string */
		CHECK(ax_contact_record(&c) == NULL);
		c.household = "H1";
		c.device = NULL;
		CHECK(ax_contact_record(&c) == NULL);
	}

	CHECK_STR(ax_resp_status_name(AX_RESP_ABANDONED), "abandoned");
	CHECK_INT(ax_resp_status_parse("partial"), AX_RESP_PARTIAL);
	CHECK_INT(ax_resp_status_parse("done"), -1);
	CHECK_INT(ax_channel_parse("visit"), AX_CH_VISIT);
}

static long long t0_utc(void) { return 1772326800; }

static void clock_helpers(void)
{
	char buf[AX_TIME_ISO_LEN], day[AX_DAY_LEN];
	long long t;
	/* 2026-03-01 00:30 China time is 2026-02-28 16:30 UTC */
	CHECK_INT(ax_time_parse("2026-02-28T16:30:00Z", &t), 0);
	ax_time_iso(t, buf);
	CHECK_STR(buf, "2026-03-01T00:30:00+08:00");
	ax_day_format(ax_cst_day(t), day);
	CHECK_STR(day, "2026-03-01");
	CHECK_INT(ax_day_start(ax_cst_day(t)), t - 1800);
	CHECK_INT(ax_time_parse("2026-02-30T00:00", &t), -1);
	{
		char local[32];
		int d;
		ax_time_format(t0_utc(), "%Y-%m-%d %H:%M", local, sizeof local);
		CHECK_STR(local, "2026-03-01 09:00");
		CHECK_INT(ax_cst_second_of_day(t0_utc()), 9 * 3600);
		CHECK_INT(ax_day_parse("2026-03-01", &d), 0);
		CHECK_INT(ax_day_start(d), t0_utc() - 9 * 3600);
		CHECK_INT(ax_day_parse("2026-3-1", &d), -1);
	}
}

int main(void)
{
	ax_content *c = NULL;
	int nerr = 0;

	REQUIRE(ax_content_load_text("t.json", "survey", survey_t, diag, NULL,
	                             &nerr, &c) == AX_OK);
	REQUIRE(nerr == 0);
	sv = ax_content_find_survey(c, "t", 3);
	REQUIRE(sv);
	show_if_chains();
	bad_answers();
	scoring();
	json_round_trip();
	bad_records();
	records();
	clock_helpers();
	ax_content_free(c);
	printf("unit.response: %d checks, %d failed\n", check_count,
	       check_failures);
	return check_failures != 0;
}
