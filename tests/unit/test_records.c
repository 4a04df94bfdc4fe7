/*
 * test_records.c -- importing records into a store and the rates they
 * make: idempotence (duplicate / conflict), validation with reasons,
 * "one household counts once, the earliest complete response", pass and
 * satisfaction rules, coverage by contact kind, roll-up, rollback.
 *
 * The store holds a tiny roster (2 townships, 2 villages, 3 grids,
 * 5 households) and the bundled content.  Every expected number below is
 * worked out by hand from the records written here; the correct answers
 * of aware-anti-drug v1 come from content/packs/anti-drug/pack.json
 * (k1..k5 -> 2, 1, 2, 3, 4; pass share 0.6 = 3 of 5).
 */
#include "anxin/content.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin_int.h"
#include "testutil.h"

#define COUNTY "439901000000"
#define TOWN1 "439901001000"
#define TOWN2 "439901002000"
#define VIL1 "439901001001"
#define VIL2 "439901002001"
#define G1 "439901001001001"
#define G2 "439901001001002"
#define G3 "439901002001001"

static const char roster[] =
	"户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码,联系电话,人口\n"
	"H1,城关街道," TOWN1 ",府前社区," VIL1 ",第一网格," G1 ",13800138001,3\n"
	"H2,城关街道," TOWN1 ",府前社区," VIL1 ",第一网格," G1 ",13800138002,2\n"
	"H3,城关街道," TOWN1 ",府前社区," VIL1 ",第二网格," G2 ",13800138003,4\n"
	"H4,河西镇," TOWN2 ",柳村," VIL2 ",柳村一格," G3 ",13800138004,1\n"
	"H5,河西镇," TOWN2 ",柳村," VIL2 ",柳村一格," G3 ",13800138005,2\n";

/* aware-anti-drug answers: right are q1=2 q2=1 q3=2 q4=3 q5=4 */
#define ALL_RIGHT "{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"2\",\"q4\":\"3\",\"q5\":\"4\"}"
#define THREE_RIGHT "{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"2\",\"q4\":\"1\",\"q5\":\"1\"}"
#define TWO_RIGHT "{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"1\",\"q4\":\"1\",\"q5\":\"1\"}"
#define ALL_WRONG "{\"q1\":\"1\",\"q2\":\"2\",\"q3\":\"1\",\"q4\":\"1\",\"q5\":\"1\"}"

static ax_store *st;
static ax_importer *im;
static sqlite3 *db; /* the same file, read-only, for checking */

/* Record ids: a fixed UUID shape with a number at the end. */
static const char *uid(int n)
{
	static char bufs[8][40];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "a0000000-0000-4000-8000-%012d", n);
	return b;
}

/* A response line.  hh / region / completed may be NULL (JSON null). */
static const char *resp(int id, const char *survey, const char *channel,
                        const char *hh, const char *region,
                        const char *completed, const char *status,
                        const char *answers)
{
	static char bufs[4][1024];
	static int next;
	char *b = bufs[next++ % 4], h[64], r[64], c[64];

	snprintf(h, sizeof h, hh ? "\"%s\"" : "null", hh);
	snprintf(r, sizeof r, region ? "\"%s\"" : "null", region);
	snprintf(c, sizeof c, completed ? "\"%s\"" : "null", completed);
	snprintf(b, sizeof bufs[0],
	         "{\"type\":\"response\",\"id\":\"%s\",\"survey\":\"%s\","
	         "\"survey_version\":1,\"channel\":\"%s\",\"device\":\"dev-1\","
	         "\"household\":%s,\"region\":%s,\"started_at\":"
	         "\"2026-11-20T06:00:00+08:00\",\"completed_at\":%s,"
	         "\"status\":\"%s\",\"answers\":%s}",
	         uid(id), survey, channel, h, r, c, status, answers);
	return b;
}

static const char *contact(int id, const char *hh, const char *channel,
                           const char *kind, const char *at)
{
	static char buf[512];
	snprintf(buf, sizeof buf,
	         "{\"type\":\"contact\",\"id\":\"%s\",\"household\":\"%s\","
	         "\"channel\":\"%s\",\"kind\":\"%s\",\"pack\":\"anti-drug\","
	         "\"device\":\"gw-1\",\"at\":\"%s\"}",
	         uid(id), hh, channel, kind, at);
	return buf;
}

/* Import one line; returns the outcome (static). */
static struct ax_rec_outcome *imp(const char *line)
{
	static struct ax_rec_outcome out;
	ax_rc rc = ax_importer_line(im, line, strlen(line), "test", &out);
	CHECK_INT(rc, AX_OK);
	return &out;
}

#define ACCEPT(line) CHECK_STR(ax_rec_result_name(imp(line)->result), "accepted")
#define DUPLICATE(line) CHECK_STR(ax_rec_result_name(imp(line)->result), "duplicate")

/* The line is rejected with a reason containing `why`; nothing stored.
 * Counted on the importer's own connection: the batch is not committed
 * yet, so the read-only one would not see a row stored by mistake. */
static void rejected(const char *line, size_t len, const char *why)
{
	static const char count[] = "SELECT (SELECT COUNT(*) FROM responses) + "
	                            "(SELECT COUNT(*) FROM contacts) + "
	                            "(SELECT COUNT(*) FROM conflicts)";
	sqlite3 *wdb = ax__store_db(st);
	struct ax_rec_outcome out;
	long long before = tu_qi(wdb, count);

	CHECK_INT(ax_importer_line(im, line, len, "test", &out), AX_OK);
	CHECK_STR(ax_rec_result_name(out.result), "rejected");
	if (!strstr(out.reason, why)) {
		CHECK_STR(out.reason, why);
		fprintf(stderr, "  line: %.*s\n", (int)len, line);
	}
	CHECK_INT(tu_qi(wdb, count), before);
}
#define REJECTED(line, why) rejected((line), strlen(line), (why))

static void batch_begin(void) { REQUIRE(ax_importer_begin(im) == AX_OK); }
static void batch_commit(void) { REQUIRE(ax_importer_commit(im) == AX_OK); }

/* ---- reports ---------------------------------------------------------- */
static struct ax_report *report(const char *survey, const char *from,
                                const char *to, int kinds)
{
	struct ax_report_opts o = {.survey = survey, .from = from, .to = to,
	                           .depth = 3, .contact_kinds = kinds};
	struct ax_report *r = NULL;
	if (ax_report_build(st, &o, &r) != AX_OK)
		fprintf(stderr, "report: %s\n", ax_store_errmsg(st));
	REQUIRE(r != NULL);
	return r;
}

static const struct ax_report_row *row(const struct ax_report *r,
                                       const char *code)
{
	for (int i = 0; i < r->nrows; i++)
		if (strcmp(r->rows[i].code, code) == 0)
			return &r->rows[i];
	fprintf(stderr, "no row %s\n", code);
	REQUIRE(0);
	return NULL;
}

static int topic(const struct ax_report *r, const char *t)
{
	for (int i = 0; i < r->ntopics; i++)
		if (strcmp(r->topics[i], t) == 0)
			return i;
	return -1;
}

/* awareness of anti_drug at `code`: num/den, respondents */
static void check_aw(const char *code, long long num, long long den,
                     long long respondents)
{
	struct ax_report *r = report("aware-anti-drug", NULL, NULL, 0);
	const struct ax_report_row *w = row(r, code);
	int k = topic(r, "anti_drug");
	CHECK(k >= 0);
	if (k >= 0) {
		CHECK_INT(w->awareness[k].num, num);
		CHECK_INT(w->awareness[k].den, den);
	}
	CHECK_INT(w->respondents, respondents);
	ax_report_free(r);
}

/* ---- set-up ----------------------------------------------------------- */
static void setup(void)
{
	char err[256] = "", dir[512];
	const char *src = getenv("ANXIN_SOURCE");
	struct tu_diag d = {0};
	struct ax_roster_stats rs;
	ax_content *c = NULL;
	int nerr = -1, added = 0;

	REQUIRE(src != NULL);
	if (ax_store_open(tu_path("store.db"), AX_STORE_CREATE, &st, err,
	                  sizeof err))
		fprintf(stderr, "%s\n", err);
	REQUIRE(st != NULL);
	REQUIRE(ax_roster_import_mem(st, "roster.csv", roster, sizeof roster - 1,
	                             NULL, tu_diag_fn, &d, &rs) == AX_OK);
	CHECK_INT(rs.inserted, 5);
	CHECK_INT(d.n, 0);
	tu_diag_clear(&d);

	snprintf(dir, sizeof dir, "%s/tests/content-v1", src);
	REQUIRE(ax_content_load_dir(dir, tu_diag_fn, &d, &nerr, &c) == AX_OK);
	CHECK_INT(nerr, 0);
	if (nerr)
		tu_diag_dump(&d);
	tu_diag_clear(&d);
	REQUIRE(ax_content_find_survey(c, "aware-anti-drug", 1) != NULL);
	REQUIRE(ax_content_find_survey(c, "satisfaction", 1) != NULL);
	REQUIRE(ax_content_install(st, c, &added) == AX_OK);
	CHECK(added >= 2);
	/* installing again changes nothing */
	REQUIRE(ax_content_install(st, c, &added) == AX_OK);
	CHECK_INT(added, 0);
	ax_content_free(c);

	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	ax_importer_set_received_at(im, 1795140900LL);
	db = tu_db_open(tu_path("store.db"));
}

/* ---- counting awareness ----------------------------------------------- */
static void test_awareness(void)
{
	batch_begin();
	ACCEPT(resp(1, "aware-anti-drug", "kiosk", "H1", NULL,
	            "2026-11-20T10:00:00+08:00", "complete", THREE_RIGHT));
	ACCEPT(resp(2, "aware-anti-drug", "sms", "H2", NULL,
	            "2026-11-20T10:05:00+08:00", "complete", TWO_RIGHT));
	ACCEPT(resp(3, "aware-anti-drug", "visit", "H3", NULL,
	            "2026-11-20T10:10:00+08:00", "complete", ALL_RIGHT));
	/* H4's LATER response arrives first */
	ACCEPT(resp(4, "aware-anti-drug", "kiosk", "H4", NULL,
	            "2026-11-21T09:00:00+08:00", "complete", ALL_WRONG));
	/* anonymous kiosk answer in grid G3 */
	ACCEPT(resp(7, "aware-anti-drug", "kiosk", NULL, G3,
	            "2026-11-20T12:00:00+08:00", "complete", ALL_RIGHT));
	/* partial and abandoned: stored, not counted */
	ACCEPT(resp(8, "aware-anti-drug", "sms", "H5", NULL, NULL, "partial",
	            "{\"q1\":\"2\"}"));
	ACCEPT(resp(9, "aware-anti-drug", "sms", "H5", NULL, NULL, "abandoned",
	            "{}"));
	batch_commit();

	/* 3 of 5 right is exactly 60 %: passes; 2 of 5 fails */
	CHECK_STR(tu_q(db, "SELECT topics FROM responses WHERE id='%s'", uid(1)),
	          "anti_drug:1");
	CHECK_STR(tu_q(db, "SELECT topics FROM responses WHERE id='%s'", uid(2)),
	          "anti_drug:0");
	CHECK_STR(tu_q(db, "SELECT status || '/' || counted FROM responses WHERE "
	                   "id='%s'", uid(8)),
	          "partial/0");
	CHECK_STR(tu_q(db, "SELECT status || '/' || counted FROM responses WHERE "
	                   "id='%s'", uid(9)),
	          "abandoned/0");
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses"), 7);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses WHERE counted"), 5);

	/* passes: H1 (3/5), H3, anonymous; fails: H2 (2/5), H4 (0/5) */
	check_aw(COUNTY, 3, 5, 5);
	check_aw(TOWN1, 2, 3, 3);
	check_aw(TOWN2, 1, 2, 2);
	check_aw(G1, 1, 2, 2);
	check_aw(G2, 1, 1, 1);
	check_aw(G3, 1, 2, 2);
	{
		struct ax_report *r = report("aware-anti-drug", NULL, NULL, 0);
		const struct ax_report_row *w = row(r, COUNTY);
		CHECK_INT(w->respondents_by_channel[0], 3); /* kiosk */
		CHECK_INT(w->respondents_by_channel[1], 1); /* sms */
		CHECK_INT(w->respondents_by_channel[2], 1); /* visit */
		CHECK_NEAR(w->awareness[topic(r, "anti_drug")].rate, 0.6, 1e-12);
		CHECK_INT(w->awareness[topic(r, "anti_drug")].small_sample, 1);
		CHECK_INT(w->verdict_awareness, AX_VERDICT_UNMET);
		CHECK_INT(row(r, G2)->verdict_awareness, AX_VERDICT_SMALL); /* 1/1 = 100 %, one answer:
		                                                       * [0.21,1] reaches 90 % */
		ax_report_free(r);
		/* H4's response counts on its day, 11-21 */
		r = report("aware-anti-drug", "2026-11-21", "2026-11-21", 0);
		CHECK_INT(row(r, COUNTY)->respondents, 1);
		ax_report_free(r);
	}

	/* H4's EARLIER response arrives second: the counts move to it */
	batch_begin();
	ACCEPT(resp(5, "aware-anti-drug", "kiosk", "H4", NULL,
	            "2026-11-20T08:00:00+08:00", "complete", ALL_RIGHT));
	batch_commit();
	CHECK_STR(tu_q(db, "SELECT counted FROM responses WHERE id='%s'", uid(4)), "0");
	CHECK_STR(tu_q(db, "SELECT counted FROM responses WHERE id='%s'", uid(5)), "1");
	check_aw(COUNTY, 4, 5, 5);
	check_aw(G3, 2, 2, 2);
	check_aw(TOWN2, 2, 2, 2);
	{
		struct ax_report *r =
		    report("aware-anti-drug", "2026-11-21", "2026-11-21", 0);
		CHECK_INT(row(r, COUNTY)->respondents, 0);
		ax_report_free(r);
	}

	/* a still later one for H4 is kept but changes nothing */
	batch_begin();
	ACCEPT(resp(6, "aware-anti-drug", "kiosk", "H4", NULL,
	            "2026-11-22T08:00:00+08:00", "complete", ALL_WRONG));
	batch_commit();
	CHECK_STR(tu_q(db, "SELECT counted FROM responses WHERE id='%s'", uid(6)), "0");
	check_aw(COUNTY, 4, 5, 5);

	/* the displacement also works inside one batch, and on ties the
	 * smaller id wins (H5, same completion time, bigger id first) */
	batch_begin();
	ACCEPT(resp(21, "aware-anti-drug", "sms", "H5", NULL,
	            "2026-11-23T08:00:00+08:00", "complete", ALL_WRONG));
	ACCEPT(resp(20, "aware-anti-drug", "sms", "H5", NULL,
	            "2026-11-23T08:00:00+08:00", "complete", ALL_RIGHT));
	ACCEPT(resp(22, "aware-anti-drug", "sms", "H5", NULL,
	            "2026-11-23T08:00:00+08:00", "complete", ALL_WRONG));
	batch_commit();
	CHECK_STR(tu_q(db, "SELECT group_concat(counted, '') FROM (SELECT counted "
	                   "FROM responses WHERE id IN ('%s','%s','%s') ORDER BY id)",
	               uid(20), uid(21), uid(22)),
	          "100");
	check_aw(COUNTY, 5, 6, 6);
	check_aw(G3, 3, 3, 3);
}

/* ---- resends ---------------------------------------------------------- */
static void test_resend(void)
{
	const char *r1 = resp(1, "aware-anti-drug", "kiosk", "H1", NULL,
	                      "2026-11-20T10:00:00+08:00", "complete", THREE_RIGHT);
	char line[1200], upper[1200];
	struct ax_rec_outcome *o;
	char *p;

	batch_begin();
	DUPLICATE(r1);
	/* an unknown field and another key order: still the same record */
	snprintf(line, sizeof line,
	         "{\"client\":\"kiosk-2.1\",\"answers\":%s,\"status\":\"complete\","
	         "\"completed_at\":\"2026-11-20T10:00:00+08:00\",\"started_at\":"
	         "\"2026-11-20T06:00:00+08:00\",\"region\":null,\"household\":\"H1\","
	         "\"device\":\"dev-1\",\"channel\":\"kiosk\",\"survey_version\":1,"
	         "\"survey\":\"aware-anti-drug\",\"id\":\"%s\",\"type\":\"response\"}",
	         THREE_RIGHT, uid(1));
	DUPLICATE(line);
	/* the id in upper case is the same UUID */
	snprintf(upper, sizeof upper, "%s", r1);
	p = strstr(upper, "a0000000");
	REQUIRE(p != NULL);
	*p = 'A';
	o = imp(upper);
	CHECK_STR(ax_rec_result_name(o->result), "duplicate");
	CHECK_STR(o->id, uid(1));

	/* same id, another answer: a conflict, kept aside, not counted */
	o = imp(resp(1, "aware-anti-drug", "kiosk", "H1", NULL,
	             "2026-11-20T10:00:00+08:00", "complete", ALL_RIGHT));
	CHECK_STR(ax_rec_result_name(o->result), "conflict");
	CHECK(strstr(o->reason, "different content") != NULL);
	CHECK(strstr(o->reason, uid(1)) != NULL);
	batch_commit();
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM conflicts"), 1);
	CHECK_STR(tu_q(db, "SELECT id || '/' || type || '/' || source FROM conflicts"),
	          "a0000000-0000-4000-8000-000000000001/response/test");
	CHECK(strstr(tu_q(db, "SELECT body FROM conflicts"), "\"q4\":\"3\"") != NULL);
	/* the stored record and the counts are the first version's */
	CHECK(strstr(tu_q(db, "SELECT body FROM responses WHERE id='%s'", uid(1)),
	             "\"q4\":\"1\"") != NULL);
	CHECK_STR(tu_q(db, "SELECT topics FROM responses WHERE id='%s'", uid(1)),
	          "anti_drug:1");
	check_aw(COUNTY, 5, 6, 6);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses"), 12);
}

/* ---- rejections ------------------------------------------------------- */
static void test_rejects(void)
{
	const char *ok_when = "2026-11-20T10:00:00+08:00";
	char line[1200];

	batch_begin();
	/* ids */
	snprintf(line, sizeof line, "%s",
	         resp(30, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", ALL_RIGHT));
	memcpy(strstr(line, "a0000000"), "not-a-uu", 8);
	REJECTED(line, "is not a UUID");
	REJECTED("{\"type\":\"response\",\"survey\":\"satisfaction\"}",
	         "missing field \"id\"");
	/* surveys and answers */
	REJECTED(resp(31, "no-such-survey", "kiosk", "H5", NULL, ok_when,
	              "complete", "{}"),
	         "survey \"no-such-survey\" version 1 is not installed");
	snprintf(line, sizeof line, "%s",
	         resp(31, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", ALL_RIGHT));
	memcpy(strstr(line, "\"survey_version\":1"), "\"survey_version\":7", 18);
	REJECTED(line, "version 7 is not installed");
	REJECTED(resp(32, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", "{\"q1\":\"2\",\"q9\":\"1\"}"),
	         "answers.q9: survey aware-anti-drug v1 has no such question");
	REJECTED(resp(33, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", "{\"q1\":\"9\"}"),
	         "answers.q1: \"9\" is not an option of this question");
	REJECTED(resp(34, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", "[\"2\",\"1\"]"),
	         "field \"answers\" must be an object");
	REJECTED(resp(35, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", "{\"q1\":2}"),
	         "answers.q1: answer must be an option code string");
	REJECTED(resp(36, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", "\"q1=2\""),
	         "field \"answers\" must be an object");
	/* who and where */
	REJECTED(resp(37, "aware-anti-drug", "kiosk", "H999", NULL, ok_when,
	              "complete", ALL_RIGHT),
	         "household \"H999\" is not in the roster");
	REJECTED(resp(38, "aware-anti-drug", "kiosk", NULL, NULL, ok_when,
	              "complete", ALL_RIGHT),
	         "an anonymous response needs \"region\"");
	REJECTED(resp(39, "aware-anti-drug", "kiosk", NULL, "439901009999",
	              ok_when, "complete", ALL_RIGHT),
	         "region \"439901009999\" is not a known region code");
	/* fields */
	REJECTED(resp(40, "aware-anti-drug", "fax", "H5", NULL, ok_when,
	              "complete", ALL_RIGHT),
	         "field \"channel\": \"fax\" is not one of the allowed values");
	REJECTED(resp(41, "aware-anti-drug", "kiosk", "H5", NULL, ok_when, "done",
	              ALL_RIGHT),
	         "field \"status\": \"done\" is not one of the allowed values");
	REJECTED(resp(42, "aware-anti-drug", "kiosk", "H5", NULL, NULL,
	              "complete", ALL_RIGHT),
	         "missing field \"completed_at\"");
	REJECTED(resp(43, "aware-anti-drug", "kiosk", "H5", NULL, "yesterday",
	              "complete", ALL_RIGHT),
	         "field \"completed_at\": \"yesterday\" is not an ISO 8601 time");
	REJECTED(resp(44, "aware-anti-drug", "kiosk", "H5", NULL,
	              "2026-11-19T10:00:00+08:00", "complete", ALL_RIGHT),
	         "completed_at is before started_at");
	/* not a record at all */
	REJECTED("{\"id\":", "not JSON");
	REJECTED("[1,2,3]", "a record is a JSON object");
	REJECTED("{\"type\":\"response\",\"id\":\"a0000000-0000-4000-8000-"
	         "000000000045\",\"id\":\"a0000000-0000-4000-8000-000000000046\"}",
	         "not JSON");
	snprintf(line, sizeof line, "{\"type\":\"other\",\"id\":\"%s\"}", uid(47));
	REJECTED(line, "field \"type\" must be \"response\", \"contact\" or \"optout\"");
	/* bytes that are not UTF-8 (a GBK 户 inside a string) */
	snprintf(line, sizeof line, "%s",
	         resp(48, "aware-anti-drug", "kiosk", "H5", NULL, ok_when,
	              "complete", ALL_RIGHT));
	memcpy(strstr(line, "dev-1"), "d\xBB\xA7-1", 5);
	REJECTED(line, "not valid UTF-8");
	/* a line with a NUL byte in it */
	{
		static const char nul[] = "{\"type\":\"contact\",\"id\":\"a0000000-"
		                          "0000-4000-8000-000000000049\"}\0{}";
		rejected(nul, sizeof nul - 1, "not JSON");
	}
	/* contacts */
	REJECTED(contact(50, "H999", "sms", "sms_delivered",
	                 "2026-11-20T09:00:00+08:00"),
	         "household \"H999\" is not in the roster");
	REJECTED(contact(51, "H1", "sms", "sms_lost", "2026-11-20T09:00:00+08:00"),
	         "field \"kind\": \"sms_lost\" is not one of the allowed values");
	REJECTED(contact(52, "H1", "sms", "sms_sent", "soon"),
	         "is not an ISO 8601 time");
	batch_commit();
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses WHERE id BETWEEN '%s' "
	                    "AND '%s'",
	                uid(30), uid(59)),
	          0);
	check_aw(COUNTY, 5, 6, 6);
}

/* ---- satisfaction, through a JSONL file ------------------------------- */
static const char *sat(int id, const char *hh, const char *region,
                       const char *overall)
{
	static char buf[1024];
	char answers[256];
	snprintf(answers, sizeof answers,
	         "{\"q1\":\"1\",\"q2\":\"2\",\"q3\":\"2\",\"q4\":\"3\",\"q5\":\"1\","
	         "\"q6\":\"2\",\"overall\":\"%s\"}",
	         overall);
	snprintf(buf, sizeof buf, "%s",
	         resp(id, "satisfaction", hh ? "sms" : "kiosk", hh, region,
	              "2026-11-20T15:00:00+08:00", "complete", answers));
	return buf;
}

static void test_satisfaction(void)
{
	const char *path = tu_path("sat.jsonl");
	struct ax_records_stats rs;
	struct tu_diag d = {0};
	char text[8192], want[300];
	size_t n = 0;
	FILE *f;

	/* 1-3 are satisfied (scores 5, 4, 3), 4-5 are not (2, 1) */
	/* as a Windows editor saves it: BOM, some CRLF */
	n += (size_t)snprintf(text + n, sizeof text - n, "\xEF\xBB\xBF%s\n",
	                      sat(60, "H1", NULL, "1"));
	n += (size_t)snprintf(text + n, sizeof text - n, "%s\r\n", sat(61, "H2", NULL, "3"));
	n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", sat(62, "H3", NULL, "4"));
	n += (size_t)snprintf(text + n, sizeof text - n, "\n"); /* blank: skipped */
	n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", sat(63, "H4", NULL, "5"));
	n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", sat(64, NULL, G1, "2"));
	n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", sat(65, "H5", NULL, "6"));
	n += (size_t)snprintf(text + n, sizeof text - n, "%s\n", sat(60, "H1", NULL, "1"));
	n += (size_t)snprintf(text + n, sizeof text - n, "%s", sat(60, "H1", NULL, "2"));
	REQUIRE(n < sizeof text - 1);
	f = fopen(path, "wb");
	REQUIRE(f != NULL);
	fwrite(text, 1, n, f);
	fclose(f);

	CHECK_INT(ax_records_import_file(st, path, tu_diag_fn, &d, &rs), AX_OK);
	CHECK_INT(rs.lines, 8);
	CHECK_INT(rs.accepted, 5);
	CHECK_INT(rs.duplicate, 1);
	CHECK_INT(rs.conflict, 1);
	CHECK_INT(rs.rejected, 1);
	CHECK_INT(d.n, 2);
	snprintf(want, sizeof want, "%s:7: %s: answers.overall: \"6\" is not an "
	         "option of this question", path, uid(65));
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, want, "");
	snprintf(want, sizeof want, "%s:9: conflict: id %s", path, uid(60));
	TU_CHECK_DIAG(&d, AX_SEV_WARNING, want, "different content");
	tu_diag_clear(&d);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM conflicts WHERE source='%s'", path), 1);

	{
		struct ax_report *r = report("satisfaction", NULL, NULL, 0);
		const struct ax_report_row *w = row(r, COUNTY);
		CHECK_INT(w->respondents, 5);
		CHECK_INT(w->satisfaction.num, 3);
		CHECK_INT(w->satisfaction.den, 5);
		CHECK_NEAR(w->mean_score, (5 + 3 + 2 + 1 + 4) / 5.0, 1e-9);
		/* 3/5, Wilson [0.23,0.88]: short of 90 % even at the top */
		CHECK_INT(w->verdict_satisfaction, AX_VERDICT_UNMET);
		CHECK_INT(r->ntopics, 0); /* the survey measures no awareness */
		w = row(r, G1); /* H1 (5), H2 (3), anonymous (4) */
		CHECK_INT(w->satisfaction.num, 3);
		CHECK_INT(w->satisfaction.den, 3);
		CHECK_NEAR(w->mean_score, 4.0, 1e-9);
		/* 3/3 = 100 % but three answers: 样本不足, not 达标 */
		CHECK_INT(w->verdict_satisfaction, AX_VERDICT_SMALL);
		CHECK_INT(w->respondents_by_channel[0], 1); /* the kiosk one */
		w = row(r, G3); /* H4 (1) */
		CHECK_INT(w->satisfaction.num, 0);
		CHECK_INT(w->satisfaction.den, 1);
		CHECK_NEAR(w->mean_score, 1.0, 1e-9);
		ax_report_free(r);
	}
	/* the two surveys together */
	{
		struct ax_report *r = report(NULL, NULL, NULL, 0);
		CHECK_INT(row(r, COUNTY)->respondents, 11);
		CHECK_INT(row(r, COUNTY)->satisfaction.den, 5);
		ax_report_free(r);
	}
}

/* ---- coverage --------------------------------------------------------- */
static void check_cov(int kinds, const char *code, long long reached,
                      long long households)
{
	struct ax_report *r = report(NULL, NULL, NULL, kinds);
	const struct ax_report_row *w = row(r, code);
	CHECK_INT(w->reached, reached);
	CHECK_INT(w->households, households);
	CHECK_INT(w->coverage.num, reached);
	CHECK_INT(w->coverage.den, households);
	/* a census: exact even for a small grid, never 样本不足 */
	CHECK_INT(w->verdict_coverage, households == 0 ? AX_VERDICT_NONE
	                               : reached == households ? AX_VERDICT_MET
	                                                       : AX_VERDICT_UNMET);
	ax_report_free(r);
}

static void test_coverage(void)
{
	const char *c1 = contact(70, "H1", "sms", "sms_delivered",
	                         "2026-11-20T09:00:00+08:00");
	char c1b[512];
	struct ax_rec_outcome *o;

	/* answers alone (H4, H5, anonymous) are no outreach */
	check_cov(0, COUNTY, 0, 5);

	snprintf(c1b, sizeof c1b, "%s", c1);
	batch_begin();
	ACCEPT(c1b);
	ACCEPT(contact(71, "H2", "sms", "sms_sent", "2026-11-20T09:00:00+08:00"));
	ACCEPT(contact(72, "H3", "visit", "visit", "2026-11-21T09:00:00+08:00"));
	ACCEPT(contact(73, "H3", "kiosk", "kiosk_session",
	               "2026-11-21T10:00:00+08:00"));
	DUPLICATE(c1b);
	o = imp(contact(70, "H1", "sms", "sms_replied", "2026-11-20T09:00:00+08:00"));
	CHECK_STR(ax_rec_result_name(o->result), "conflict");
	batch_commit();
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM conflicts WHERE type='contact'"), 1);
	CHECK_STR(tu_q(db, "SELECT kind FROM contacts WHERE id='%s'", uid(70)),
	          "sms_delivered");
	/* each contact's region: its household's grid (v20) */
	CHECK_STR(tu_q(db, "SELECT region FROM contacts WHERE id='%s'", uid(71)), G1);
	CHECK_STR(tu_q(db, "SELECT region FROM contacts WHERE id='%s'", uid(73)), G2);

	/* default kinds: delivered, replied, kiosk, visit -> H1, H3 */
	check_cov(0, COUNTY, 2, 5);
	check_cov(AX_CK_DEFAULT, COUNTY, 2, 5);
	check_cov(0, G1, 1, 2);
	check_cov(0, G2, 1, 1);
	check_cov(0, G3, 0, 2);
	check_cov(0, TOWN1, 2, 3);
	/* counting unconfirmed sends too brings in H2 */
	check_cov(AX_CK_DEFAULT | AX_CK_SMS_SENT, COUNTY, 3, 5);
	check_cov(AX_CK_DEFAULT | AX_CK_SMS_SENT, G1, 2, 2);
	check_cov(AX_CK_SMS_SENT, COUNTY, 1, 5);
	check_cov(AX_CK_VISIT, COUNTY, 1, 5);
	CHECK_INT(ax_contact_kinds_parse("sms_sent,visit"),
	          AX_CK_SMS_SENT | AX_CK_VISIT);
	CHECK_INT(ax_contact_kinds_parse("sms_sent,phone"), -1);

	/* the window: H3's contacts are on 11-21 */
	{
		struct ax_report *r = report(NULL, "2026-11-21", "2026-11-21", 0);
		CHECK_INT(row(r, COUNTY)->reached, 1);
		ax_report_free(r);
		r = report(NULL, "2026-11-20", "2026-11-20", 0);
		CHECK_INT(row(r, COUNTY)->reached, 1);
		ax_report_free(r);
	}
}

/* ---- roll-up: every parent is the sum of its children ----------------- */
static void sum_children(const struct ax_report *r,
                         const struct ax_report_row *p, size_t prefix)
{
	long long hh = 0, reached = 0, resp_ = 0, ch[AX_NCHANNELS] = {0},
	          sn = 0, sd = 0, an[AX_MAX_TOPICS] = {0}, ad[AX_MAX_TOPICS] = {0};
	int kids = 0;

	for (int i = 0; i < r->nrows; i++) {
		const struct ax_report_row *c = &r->rows[i];
		if (c->level != p->level + 1 || strncmp(c->code, p->code, prefix) != 0)
			continue;
		kids++;
		hh += c->households;
		reached += c->reached;
		resp_ += c->respondents;
		for (int k = 0; k < AX_NCHANNELS; k++)
			ch[k] += c->respondents_by_channel[k];
		sn += c->satisfaction.num;
		sd += c->satisfaction.den;
		for (int k = 0; k < r->ntopics; k++) {
			an[k] += c->awareness[k].num;
			ad[k] += c->awareness[k].den;
		}
	}
	CHECK(kids > 0);
	CHECK_INT(p->households, hh);
	CHECK_INT(p->reached, reached);
	CHECK_INT(p->coverage.num, reached);
	CHECK_INT(p->coverage.den, hh);
	CHECK_INT(p->respondents, resp_);
	for (int k = 0; k < AX_NCHANNELS; k++)
		CHECK_INT(p->respondents_by_channel[k], ch[k]);
	CHECK_INT(p->satisfaction.num, sn);
	CHECK_INT(p->satisfaction.den, sd);
	for (int k = 0; k < r->ntopics; k++) {
		CHECK_INT(p->awareness[k].num, an[k]);
		CHECK_INT(p->awareness[k].den, ad[k]);
	}
}

static void test_rollup(void)
{
	struct ax_report *r = report(NULL, NULL, NULL, 0);
	const struct ax_report_row *county = row(r, COUNTY);

	CHECK_INT(r->nrows, 1 + 2 + 2 + 3);
	CHECK_INT(county->depth, 0);
	CHECK_INT(county->level, 1);
	/* the county and townships are non-trivial sums */
	CHECK_INT(county->households, 5);
	CHECK_INT(county->respondents, 11);
	CHECK(topic(r, "anti_drug") >= 0);
	sum_children(r, county, 6);
	sum_children(r, row(r, TOWN1), 9);
	sum_children(r, row(r, TOWN2), 9);
	sum_children(r, row(r, VIL1), 12);
	sum_children(r, row(r, VIL2), 12);
	/* depth limits the rows */
	ax_report_free(r);
	{
		struct ax_report_opts o = {.scope = TOWN2, .depth = 1};
		REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
		CHECK_INT(r->nrows, 2);
		CHECK_STR(r->rows[0].code, TOWN2);
		CHECK_STR(r->rows[1].code, VIL2);
		ax_report_free(r);
		o.scope = "439901099000";
		CHECK_INT(ax_report_build(st, &o, &r), AX_NOTFOUND);
		CHECK(r == NULL);
	}
	/* a window around everything gives the same numbers as no window */
	{
		struct ax_report *a = report(NULL, NULL, NULL, 0),
		                 *b = report(NULL, "2000-01-01", "2099-12-31", 0);
		REQUIRE(a->nrows == b->nrows && a->ntopics == b->ntopics);
		for (int i = 0; i < a->nrows; i++) {
			const struct ax_report_row *x = &a->rows[i], *y = &b->rows[i];
			CHECK_STR(x->code, y->code);
			CHECK_INT(x->respondents, y->respondents);
			CHECK_INT(x->reached, y->reached);
			CHECK_INT(x->satisfaction.num, y->satisfaction.num);
			CHECK_INT(x->satisfaction.den, y->satisfaction.den);
			CHECK_NEAR(x->mean_score, y->mean_score, 1e-9);
			for (int k = 0; k < a->ntopics; k++) {
				CHECK_INT(x->awareness[k].num, y->awareness[k].num);
				CHECK_INT(x->awareness[k].den, y->awareness[k].den);
			}
		}
		ax_report_free(a);
		ax_report_free(b);
	}
	/* tally agrees with the responses it summarises */
	CHECK_INT(tu_qi(db, "SELECT SUM(den) FROM tally WHERE metric='resp'"),
	          tu_qi(db, "SELECT COUNT(*) FROM responses WHERE counted"));
	CHECK_INT(tu_qi(db, "SELECT SUM(num) FROM tally WHERE metric='aw:anti_drug'"),
	          tu_qi(db, "SELECT COUNT(*) FROM responses WHERE counted AND "
	                    "topics='anti_drug:1'"));
}

/* ---- a batch rolled back leaves nothing ------------------------------- */
static void test_rollback(void)
{
	/* the importer's own connection: it sees the open batch */
	sqlite3 *wdb = ax__store_db(st);
	long long nresp = tu_qi(wdb, "SELECT COUNT(*) FROM responses"),
	          ncont = tu_qi(wdb, "SELECT COUNT(*) FROM contacts"),
	          ntally = tu_qi(wdb, "SELECT SUM(den) + SUM(num) FROM tally");
	char r80[1024];

	snprintf(r80, sizeof r80, "%s",
	         resp(80, "aware-anti-drug", "visit", "H5", NULL,
	              "2026-11-20T07:00:00+08:00", "complete", ALL_WRONG));
	batch_begin();
	ACCEPT(r80); /* earlier than H5's counted one: would displace it */
	ACCEPT(contact(81, "H5", "visit", "visit", "2026-11-19T10:00:00+08:00"));
	ACCEPT(sat(82, "H5", NULL, "1"));
	CHECK_INT(tu_qi(wdb, "SELECT COUNT(*) FROM responses"), nresp + 2);
	CHECK_STR(tu_q(wdb, "SELECT counted FROM responses WHERE id='%s'", uid(20)),
	          "0");
	ax_importer_rollback(im);
	CHECK_INT(tu_qi(wdb, "SELECT COUNT(*) FROM responses"), nresp);
	CHECK_INT(tu_qi(wdb, "SELECT COUNT(*) FROM contacts"), ncont);
	CHECK_INT(tu_qi(wdb, "SELECT SUM(den) + SUM(num) FROM tally"), ntally);
	CHECK_STR(tu_q(wdb, "SELECT counted FROM responses WHERE id='%s'", uid(20)),
	          "1");
	check_aw(COUNTY, 5, 6, 6);
	check_cov(0, COUNTY, 2, 5);
	/* nothing of it is remembered: sent again, it is new */
	batch_begin();
	ACCEPT(r80);
	batch_commit();
	CHECK_STR(tu_q(db, "SELECT counted FROM responses WHERE id='%s'", uid(20)),
	          "0");
	check_aw(COUNTY, 4, 6, 6);
	check_aw(G3, 2, 3, 3);
	/* a commit without a batch is harmless */
	CHECK_INT(ax_importer_commit(im), AX_OK);
}

/* ---- waves, and knowledge questions left unanswered ------------------ */
static void test_waves(void)
{
	char line[1200];
	struct ax_report_opts o = {.survey = "aware-anti-drug", .wave = "w2"};
	struct ax_report *r = NULL;

	batch_begin();
	/* H1 again, in a second wave: counts there, not instead of wave "" */
	snprintf(line, sizeof line, "%s",
	         resp(90, "aware-anti-drug", "kiosk", "H1", NULL,
	              "2026-11-20T10:00:00+08:00", "complete",
	              "{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"2\"}"));
	memcpy(strrchr(line, '}'), ",\"wave\":\"w2\"}", 14);
	ACCEPT(line);
	/* two right, three not answered: 2 of 5, fails */
	snprintf(line, sizeof line, "%s",
	         resp(91, "aware-anti-drug", "kiosk", "H2", NULL,
	              "2026-11-20T10:00:00+08:00", "complete",
	              "{\"q1\":\"2\",\"q2\":\"1\"}"));
	memcpy(strrchr(line, '}'), ",\"wave\":\"w2\"}", 14);
	ACCEPT(line);
	batch_commit();
	CHECK_STR(tu_q(db, "SELECT counted || wave || topics FROM responses WHERE "
	                   "id='%s'", uid(90)),
	          "1w2anti_drug:1");
	CHECK_STR(tu_q(db, "SELECT counted || wave || topics FROM responses WHERE "
	                   "id='%s'", uid(91)),
	          "1w2anti_drug:0");
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	CHECK_INT(r->rows[0].respondents, 2);
	CHECK_INT(r->rows[0].awareness[0].num, 1);
	CHECK_INT(r->rows[0].awareness[0].den, 2);
	ax_report_free(r);
	o.wave = "";
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	CHECK_INT(r->rows[0].respondents, 6); /* wave "" as before */
	ax_report_free(r);
}

/* ---- satisfaction counts move with the counted response -------------- */
static void check_sat(long long num, long long den, double mean)
{
	struct ax_report *r = report("satisfaction", NULL, NULL, 0);
	const struct ax_report_row *w = row(r, COUNTY);
	CHECK_INT(w->satisfaction.num, num);
	CHECK_INT(w->satisfaction.den, den);
	CHECK_NEAR(w->mean_score, mean, 1e-9);
	CHECK_INT(w->respondents, den);
	ax_report_free(r);
}

static void test_sat_displace(void)
{
	static const char *const a = "{\"q1\":\"2\",\"overall\":\"%s\"}";
	char answers[64], buf[1200];
	const char *line;
	struct ax_rec_outcome out;

	/* so far: overall 1, 3, 4, 5, 2 -> 3 of 5, scores 5+3+2+1+4 = 15 */
	check_sat(3, 5, 15 / 5.0);
	batch_begin();
	snprintf(answers, sizeof answers, a, "1");
	line = resp(95, "satisfaction", "sms", "H5", NULL,
	            "2026-11-20T15:00:00+08:00", "complete", answers);
	/* a line need not be NUL-terminated: only len bytes are read */
	snprintf(buf, sizeof buf, "%s{\"junk\"", line);
	CHECK_INT(ax_importer_line(im, buf, strlen(line), NULL, &out), AX_OK);
	CHECK_STR(ax_rec_result_name(out.result), "accepted");
	batch_commit();
	check_sat(4, 6, (15 + 5) / 6.0);
	/* H5 answered earlier, very unsatisfied: that one counts instead */
	batch_begin();
	snprintf(answers, sizeof answers, a, "5");
	ACCEPT(resp(96, "satisfaction", "sms", "H5", NULL,
	            "2026-11-20T08:00:00+08:00", "complete", answers));
	batch_commit();
	check_sat(3, 6, (15 + 1) / 6.0);
	CHECK_STR(tu_q(db, "SELECT counted || '/' || sat || '/' || score FROM "
	                   "responses WHERE id='%s'", uid(95)),
	          "0/1/5.0");
	CHECK_STR(tu_q(db, "SELECT counted || '/' || sat || '/' || score FROM "
	                   "responses WHERE id='%s'", uid(96)),
	          "1/0/1.0");
}

int main(void)
{
	tu_init();
	setup();
	test_awareness();
	test_resend();
	test_rejects();
	test_satisfaction();
	test_coverage();
	test_rollup();
	test_rollback();
	test_waves();
	test_sat_displace();
	ax_importer_free(im);
	sqlite3_close(db);
	ax_store_close(st);
	return check_done();
}
