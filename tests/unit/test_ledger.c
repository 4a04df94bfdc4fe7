/*
 * test_ledger.c -- the 台账 listings (contacts, responses, households not
 * reached), recording a visit, and importing visits from a paper list.
 *
 * Store: 江州县 439901 > 城关街道 …001000 > 府前社区 …001001 > 第一网格
 * …001 (H1, H2), 第二网格 …002 (H3); 河西镇 …002000 > 柳村 …002001 >
 * 柳村一格 …001 (H4, H5 made inactive); 东村 …002002 with no grid (H6).
 * Bundled content plus a small survey "m" with a multiple-choice question.
 *
 * Contacts (China time; window 2026-11-01 .. 11-04 in most checks):
 *   c1 H1 sms_sent      11-01 09:00:00  anti-drug
 *   c2 H1 sms_delivered 11-01 09:00:30  anti-drug
 *   c3 H2 sms_sent      11-01 09:01:00  anti-drug  (a send only: no reach)
 *   c7 H5 sms_delivered 11-01 09:02:00  (H5 inactive)
 *   c4 H3 kiosk_session 11-02 10:00:00  anti-fraud
 *   c8 H4 sms_replied   11-04 23:59:59  (last second of the window)
 *   c5 H4 visit         11-05 15:00:00  family-safety (after the window)
 *   c6 H6 visit         10-31 23:59:59  no pack (before the window)
 * So in the window, by default kinds, the active households reached are
 * H1 H3 H4; not reached H2 (sent only) and H6 (visit outside).
 */
#include <iconv.h>
#include <stdlib.h>
#include <time.h>

#include "anxin/content.h"
#include "anxin/ledger.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin_int.h"
#include "db.h"
#include "testutil.h"
#include "../pg/pgtest.h"

#define COUNTY "439901000000"
#define T1 "439901001000"
#define T2 "439901002000"
#define V1 "439901001001"
#define V2 "439901002001"
#define V3 "439901002002"
#define G1 "439901001001001"
#define G2 "439901001001002"
#define G3 "439901002001001"

static const char roster[] =
	"户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码,联系电话,人口\n"
	"H1,城关街道," T1 ",府前社区," V1 ",第一网格," G1 ",13800138001,3\n"
	"H2,城关街道," T1 ",府前社区," V1 ",第一网格," G1
	",\"13900139002;13800138002\",2\n"
	"H3,城关街道," T1 ",府前社区," V1 ",第二网格," G2 ",13800138003,4\n"
	"H4,河西镇," T2 ",柳村," V2 ",柳村一格," G3 ",13800138004,1\n"
	"H5,河西镇," T2 ",柳村," V2 ",柳村一格," G3 ",13800138005,2\n"
	"H6,河西镇," T2 ",东村," V3 ",,,,\n";

/* q1 single, q2 multi, overall scale5: answers print in this order, not
 * in the stored body's sorted-key order (overall, q1, q2). */
static const char survey_m[] =
	"{\"id\": \"m\", \"version\": 1, \"title\": \"多选测试\","
	" \"sms_intro\": \"【江州县综治办】您好！请回复选项前的数字。回复TD退订\","
	" \"sms_thanks\": \"【江州县综治办】感谢您的参与！\","
	" \"questions\": ["
	"  {\"id\": \"q1\", \"type\": \"single\", \"text\": \"您住在哪里？\","
	"   \"sms\": \"您住在哪里？回复1村里 2镇上\", \"options\": ["
	"    {\"code\": \"1\", \"label\": \"村里\"}, {\"code\": \"2\", \"label\": \"镇上\"}]},"
	"  {\"id\": \"q2\", \"type\": \"multi\", \"text\": \"您从哪里听说过？\","
	"   \"sms\": \"您从哪里听说过？可多选，回复1短信 2广播 3入户\", \"options\": ["
	"    {\"code\": \"1\", \"label\": \"短信\"}, {\"code\": \"2\", \"label\": \"广播\"},"
	"    {\"code\": \"3\", \"label\": \"入户\"}]},"
	"  {\"id\": \"overall\", \"type\": \"scale5\", \"text\": \"您满意吗？\","
	"   \"sms\": \"您满意吗？回复1非常满意 2满意 3基本满意 4不满意 5非常不满意\"}"
	" ],"
	" \"metrics\": {\"satisfaction\": {\"question\": \"overall\"}}}";

static ax_store *st;

/* The rows of a query through the store (either backend): columns joined
 * by '|', rows by ';', NULL as "NULL"; column tcol (>= 0) epoch seconds
 * written as China time "YYYY-MM-DD HH:MM:SS".  printf-style SQL; static
 * buffer, rotated. */
static const char *sq_rows(int tcol, const char *fmt, ...) AX_PRINTF(2, 3);
static const char *sq_rows(int tcol, const char *fmt, ...)
{
	static char bufs[8][2048];
	static int next;
	char *b = bufs[next++ % 8], sql[1024];
	size_t k = 0;
	ax_stmt *s;
	va_list ap;
	int src;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	b[0] = '\0';
	if (ax__dprepare(st, &s, sql) != AX_OK) {
		fprintf(stderr, "sq: %s: %s\n", sql, ax_store_errmsg(st));
		return "ERROR";
	}
	for (int row = 0; (src = ax_stmt_step(s)) == AX_DB_ROW; row++)
		for (int c = 0; c < ax_stmt_columns(s); c++) {
			char t[32];
			const char *v = ax_stmt_is_null(s, c) ? "NULL" : ax_stmt_text(s, c);
			if (c == tcol && !ax_stmt_is_null(s, c)) {
				time_t at = (time_t)ax_stmt_int64(s, c) + 8 * 3600;
				struct tm tm;
				gmtime_r(&at, &tm);
				strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S", &tm);
				v = t;
			}
			k += (size_t)snprintf(b + k, k < sizeof bufs[0] ? sizeof bufs[0] - k : 0,
			                      "%s%s", c ? "|" : row ? ";" : "", v);
		}
	REQUIRE(src == AX_DB_DONE);
	ax_stmt_finalize(s);
	return b;
}
#define sq(...) sq_rows(-1, __VA_ARGS__)
#define sqi(...) atoll(sq_rows(-1, __VA_ARGS__))

static long long epoch(const char *iso)
{
	int64_t t = 0;
	REQUIRE(ax__time_parse(iso, &t) == 0);
	return (long long)t;
}

/* ---- set-up ----------------------------------------------------------- */
static void import_lines(const char *const *lines, int n)
{
	ax_importer *im = NULL;
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	for (int i = 0; i < n; i++) {
		struct ax_rec_outcome out;
		REQUIRE(ax_importer_line(im, lines[i], strlen(lines[i]), "test",
		                         &out) == AX_OK);
		if (out.result != AX_REC_ACCEPTED)
			fprintf(stderr, "line %d: %s: %s\n", i,
			        ax_rec_result_name(out.result), out.reason);
		CHECK_INT(out.result, AX_REC_ACCEPTED);
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
}

#define CONTACT(n, hh, ch, kind, pack, at)                                    \
	"{\"type\":\"contact\",\"id\":\"c0000000-0000-4000-8000-00000000000" #n \
	"\",\"household\":\"" hh "\",\"channel\":\"" ch "\",\"kind\":\"" kind    \
	"\"," pack "\"device\":\"dev-" #n "\",\"at\":\"" at "\"}"

static const char *const contacts[] = {
	CONTACT(1, "H1", "sms", "sms_sent", "\"pack\":\"anti-drug\",", "2026-11-01T09:00:00+08:00"),
	CONTACT(2, "H1", "sms", "sms_delivered", "\"pack\":\"anti-drug\",", "2026-11-01T09:00:30+08:00"),
	CONTACT(3, "H2", "sms", "sms_sent", "\"pack\":\"anti-drug\",", "2026-11-01T09:01:00+08:00"),
	CONTACT(4, "H3", "kiosk", "kiosk_session", "\"pack\":\"anti-fraud\",", "2026-11-02T10:00:00+08:00"),
	CONTACT(5, "H4", "visit", "visit", "\"pack\":\"family-safety\",", "2026-11-05T15:00:00+08:00"),
	CONTACT(6, "H6", "visit", "visit", "", "2026-10-31T23:59:59+08:00"),
	CONTACT(7, "H5", "sms", "sms_delivered", "", "2026-11-01T09:02:00+08:00"),
	CONTACT(8, "H4", "sms", "sms_replied", "", "2026-11-04T23:59:59+08:00"),
};

#define ANTI_DRUG_RIGHT "{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"2\",\"q4\":\"3\",\"q5\":\"4\"}"
static const char *const responses[] = {
	/* r1: H1 counted */
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000001\","
	"\"survey\":\"aware-anti-drug\",\"survey_version\":1,\"channel\":\"sms\","
	"\"device\":\"gw-1\",\"household\":\"H1\",\"started_at\":"
	"\"2026-11-02T09:50:00+08:00\",\"completed_at\":\"2026-11-02T10:00:00+08:00\","
	"\"status\":\"complete\",\"answers\":" ANTI_DRUG_RIGHT "}",
	/* r2: H1 again, later: a duplicate */
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000002\","
	"\"survey\":\"aware-anti-drug\",\"survey_version\":1,\"channel\":\"kiosk\","
	"\"device\":\"kiosk-1\",\"household\":\"H1\",\"started_at\":"
	"\"2026-11-03T09:55:00+08:00\",\"completed_at\":\"2026-11-03T10:00:00+08:00\","
	"\"status\":\"complete\",\"answers\":" ANTI_DRUG_RIGHT "}",
	/* r3: anonymous, survey m, in G3 */
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000003\","
	"\"survey\":\"m\",\"survey_version\":1,\"channel\":\"kiosk\","
	"\"device\":\"kiosk-2\",\"household\":null,\"region\":\"" G3 "\","
	"\"started_at\":\"2026-11-02T11:58:00+08:00\",\"completed_at\":"
	"\"2026-11-02T12:00:00+08:00\",\"status\":\"complete\",\"answers\":"
	"{\"q1\":\"2\",\"q2\":[\"1\",\"3\"],\"overall\":\"1\"}}",
	/* r4: H3 partial: timed by its start */
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000004\","
	"\"survey\":\"satisfaction\",\"survey_version\":1,\"channel\":\"sms\","
	"\"device\":\"gw-1\",\"household\":\"H3\",\"started_at\":"
	"\"2026-11-03T09:00:00+08:00\",\"completed_at\":null,"
	"\"status\":\"partial\",\"answers\":{\"q1\":\"1\"}}",
	/* r5: H4 after the window */
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000005\","
	"\"survey\":\"aware-anti-drug\",\"survey_version\":1,\"channel\":\"visit\","
	"\"device\":\"v-1\",\"household\":\"H4\",\"started_at\":"
	"\"2026-11-06T09:00:00+08:00\",\"completed_at\":\"2026-11-06T09:10:00+08:00\","
	"\"status\":\"complete\",\"answers\":" ANTI_DRUG_RIGHT "}",
};

static ax_store *seed; /* the SQLite store the roster goes into first */

/* urlfile: NULL on SQLite, else the pg fixture's (the store copied there
 * after the roster) */
static void setup(const char *urlfile)
{
	char err[256] = "", dir[512];
	const char *src = getenv("ANXIN_SOURCE");
	struct tu_diag d = {0};
	struct ax_roster_stats rs;
	ax_content *c = NULL;
	int nerr = -1;

	REQUIRE(src != NULL);
	if (ax_store_open(tu_path("store.db"), AX_STORE_CREATE, &seed, err,
	                  sizeof err))
		fprintf(stderr, "%s\n", err);
	REQUIRE(seed != NULL);
	REQUIRE(ax_roster_import_mem(seed, "roster.csv", roster, sizeof roster - 1,
	                             NULL, tu_diag_fn, &d, &rs) == AX_OK);
	CHECK_INT(rs.inserted, 6);
	CHECK_INT(rs.rejected, 0);
	tu_diag_dump(&d);
	tu_diag_clear(&d);
	REQUIRE(ax__dexec(seed, "UPDATE households SET active = 0 WHERE id = 'H5'") ==
	        AX_OK);
	st = pgt_store(seed, urlfile, "anxin_ledger");

	snprintf(dir, sizeof dir, "%s/tests/content-v1", src);
	REQUIRE(ax_content_load_dir(dir, tu_diag_fn, &d, &nerr, &c) == AX_OK);
	CHECK_INT(nerr, 0);
	REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
	ax_content_free(c);
	c = NULL;
	REQUIRE(ax_content_load_text("m.json", "survey", survey_m, tu_diag_fn, &d,
	                             &nerr, &c) == AX_OK);
	if (nerr)
		tu_diag_dump(&d);
	CHECK_INT(nerr, 0);
	REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
	ax_content_free(c);
	tu_diag_clear(&d);

	import_lines(contacts, (int)AX_ARRAY_LEN(contacts));
	import_lines(responses, (int)AX_ARRAY_LEN(responses));
}

/* ---- collecting rows -------------------------------------------------- */
#define MAX_ROWS 32

struct rows {
	int n, stop_after; /* stop_after > 0: return AX_DENIED at that row */
	char line[MAX_ROWS][512];
};

static ax_rc put(struct rows *r, const char *fmt, ...) AX_PRINTF(2, 3);
static ax_rc put(struct rows *r, const char *fmt, ...)
{
	va_list ap;
	REQUIRE(r->n < MAX_ROWS);
	va_start(ap, fmt);
	vsnprintf(r->line[r->n], sizeof r->line[0], fmt, ap);
	va_end(ap);
	r->n++;
	return r->stop_after && r->n >= r->stop_after ? AX_DENIED : AX_OK;
}

#define S(x) ((x) ? (x) : "-")

static ax_rc on_contact(void *ctx, const struct ax_ledger_contact *c)
{
	return put(ctx, "%s", c->household);
}

/* Households of the contacts listed, "H1 H1 H2 …". */
static const char *contact_list(const struct ax_ledger_query *q, ax_rc *rc_out)
{
	static char out[512];
	struct rows r = {0};
	size_t k = 0;
	ax_rc rc = ax_ledger_contacts(st, q, on_contact, &r);
	if (rc_out)
		*rc_out = rc;
	else
		CHECK_INT(rc, AX_OK);
	out[0] = '\0';
	for (int i = 0; i < r.n; i++)
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i ? " " : "",
		                      r.line[i]);
	return out;
}

/* ---- 入户率 through household_reach ----------------------------------- */
/* The county row's households reached in [from, to] (NULL: open). */
static long long reached_in(const char *from, const char *to)
{
	struct ax_report_opts o = {.scope = COUNTY, .from = from, .to = to};
	struct ax_report *r = NULL;
	long long n = -1;
	REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
	for (int i = 0; i < r->nrows; i++)
		if (r->rows[i].depth == 0) {
			CHECK_INT(r->rows[i].households, 5); /* H5 inactive */
			n = r->rows[i].reached;
		}
	ax_report_free(r);
	return n;
}

/* Worked from the contacts above (default kinds: sms_sent is no reach),
 * active households H1 H2 H3 H4 H6.  Windows open at one end are read
 * from household_reach (metrics.c add_reached), closed ones in the past
 * probe contacts; both must give the same households. */
static void test_reach(void)
{
	/* the rows the triggers keep, against the contacts */
	CHECK_STR(sq_rows(-1, "SELECT household || ' ' || kind || ' ' || first_at ||"
	                      " ' ' || last_at FROM household_reach WHERE household"
	                      " IN ('H1', 'H4') ORDER BY 1"),
	          "H1 sms_delivered 1793494830 1793494830;"
	          "H1 sms_sent 1793494800 1793494800;"
	          "H4 sms_replied 1793807999 1793807999;"
	          "H4 visit 1793862000 1793862000");
	CHECK_INT(reached_in(NULL, NULL), 4);             /* H1 H3 H4 H6 */
	CHECK_INT(reached_in("2026-11-01", NULL), 3);     /* H6's visit before */
	CHECK_INT(reached_in("2026-11-05", NULL), 1);     /* H4's visit only */
	CHECK_INT(reached_in(NULL, "2026-10-31"), 1);     /* H6 */
	CHECK_INT(reached_in(NULL, "2026-11-01"), 2);     /* H6, H1 */
	CHECK_INT(reached_in("2026-11-01", "2026-11-04"), 3); /* probed: H1 H3 H4 */
	CHECK_INT(reached_in("2026-11-02", "2026-11-03"), 1); /* probed: H3 */
	/* H1 contacted before and after a window open at its far end: the
	 * summary cannot tell, the probe must (nothing of H1 in it).  The
	 * importer takes no contact from the future, so only a clock set far
	 * ahead could store one: written here directly, 2099-01-01 08:00. */
	REQUIRE(ax__dexec(st, "INSERT INTO contacts(id, household, channel, kind,"
	                      " pack, device, at, body, received_at) VALUES('c9',"
	                      " 'H1', 'sms', 'sms_delivered', NULL, 'dev-9',"
	                      " 4070908800, '{}', 4070908800)") == AX_OK);
	CHECK_INT(sqi("SELECT last_at FROM household_reach WHERE household = 'H1'"
	              " AND kind = 'sms_delivered'"),
	          epoch("2099-01-01T08:00:00+08:00"));
	CHECK_INT(reached_in("2026-11-02", "2098-12-31"), 2); /* H3 H4, not H1 */
	CHECK_INT(reached_in("2026-11-02", NULL), 3);         /* and H1 in 2099 */
	CHECK_INT(reached_in(NULL, NULL), 4);
	/* a deleted contact (as a visit undone deletes it): its row from
	 * those left, or gone */
	REQUIRE(ax__dexec(st, "DELETE FROM contacts WHERE id = 'c9'") == AX_OK);
	CHECK_INT(sqi("SELECT last_at FROM household_reach WHERE household = 'H1'"
	              " AND kind = 'sms_delivered'"),
	          1793494830);
	CHECK_INT(reached_in("2026-11-02", NULL), 2);
	REQUIRE(ax__dexec(st, "DELETE FROM contacts WHERE id ="
	                      " 'c0000000-0000-4000-8000-000000000006'") == AX_OK);
	CHECK_INT(sqi("SELECT COUNT(*) FROM household_reach WHERE household = 'H6'"), 0);
	CHECK_INT(reached_in(NULL, NULL), 3);
	CHECK_INT(reached_in(NULL, "2026-10-31"), 0);
	import_lines(contacts + 5, 1); /* c6 back, for the tests after */
	CHECK_INT(reached_in(NULL, "2026-10-31"), 1);
	CHECK_INT(sqi("SELECT COUNT(*) FROM (SELECT household, kind, MIN(at), MAX(at)"
	              " FROM contacts GROUP BY 1, 2 EXCEPT SELECT household, kind,"
	              " first_at, last_at FROM household_reach) x"),
	          0);
	CHECK_INT(sqi("SELECT COUNT(*) FROM household_reach"),
	          sqi("SELECT COUNT(*) FROM (SELECT DISTINCT household, kind FROM"
	              " contacts) x"));
}

/* ---- contacts --------------------------------------------------------- */
static ax_rc on_contact_full(void *ctx, const struct ax_ledger_contact *c)
{
	return put(ctx, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%lld|%s", c->id,
	           c->household, c->grid, S(c->grid_name), S(c->village_name),
	           S(c->township_name), c->channel, c->channel_label, c->kind,
	           c->kind_label, S(c->pack), S(c->pack_title), c->at, c->device);
}

static void test_contacts(void)
{
	struct ax_ledger_query q = {0};
	struct rows r = {0};
	char want[512];

	/* whole store, no window: everything, oldest first */
	CHECK_STR(contact_list(NULL, NULL), "H6 H1 H1 H2 H5 H3 H4 H4");
	/* the window is whole China days: 10-31 23:59:59 is out, 11-04
	 * 23:59:59 is in, 11-05 is out */
	q.from = "2026-11-01";
	q.to = "2026-11-04";
	CHECK_STR(contact_list(&q, NULL), "H1 H1 H2 H5 H3 H4");
	q.from = NULL;
	CHECK_STR(contact_list(&q, NULL), "H6 H1 H1 H2 H5 H3 H4");
	q.from = "2026-11-05";
	q.to = NULL;
	CHECK_STR(contact_list(&q, NULL), "H4");
	q.from = NULL;

	/* scopes: county, township, village, grid, a list of two */
	q.scope = COUNTY;
	CHECK_STR(contact_list(&q, NULL), "H6 H1 H1 H2 H5 H3 H4 H4");
	q.scope = T1;
	CHECK_STR(contact_list(&q, NULL), "H1 H1 H2 H3");
	q.scope = V2;
	CHECK_STR(contact_list(&q, NULL), "H5 H4 H4");
	q.scope = V3;
	CHECK_STR(contact_list(&q, NULL), "H6");
	q.scope = G2;
	CHECK_STR(contact_list(&q, NULL), "H3");
	q.scope = G2 ", " G3; /* spaces after commas are allowed */
	CHECK_STR(contact_list(&q, NULL), "H5 H3 H4 H4");
	q.scope = "";
	CHECK_STR(contact_list(&q, NULL), "H6 H1 H1 H2 H5 H3 H4 H4");
	q.scope = NULL;

	/* kinds and channel */
	q.contact_kinds = AX_CK_VISIT;
	CHECK_STR(contact_list(&q, NULL), "H6 H4");
	q.contact_kinds = AX_CK_SMS_SENT | AX_CK_SMS_REPLIED;
	CHECK_STR(contact_list(&q, NULL), "H1 H2 H4");
	q.contact_kinds = 0;
	q.channel = "sms";
	CHECK_STR(contact_list(&q, NULL), "H1 H1 H2 H5 H4");
	q.channel = NULL;

	/* every field, for a grid household and a village-only one */
	q.scope = G2;
	REQUIRE(ax_ledger_contacts(st, &q, on_contact_full, &r) == AX_OK);
	REQUIRE(r.n == 1);
	snprintf(want, sizeof want,
	         "c0000000-0000-4000-8000-000000000004|H3|" G2 "|第二网格|府前社区|"
	         "城关街道|kiosk|一体机|kiosk_session|一体机|anti-fraud|"
	         "反电信网络诈骗|%lld|dev-4",
	         epoch("2026-11-02T10:00:00+08:00"));
	CHECK_STR(r.line[0], want);
	r.n = 0;
	q.scope = V3;
	REQUIRE(ax_ledger_contacts(st, &q, on_contact_full, &r) == AX_OK);
	REQUIRE(r.n == 1);
	snprintf(want, sizeof want,
	         "c0000000-0000-4000-8000-000000000006|H6|" V3 "|-|东村|河西镇|"
	         "visit|入户走访|visit|入户走访|-|-|%lld|dev-6",
	         epoch("2026-10-31T23:59:59+08:00"));
	CHECK_STR(r.line[0], want);
	r.n = 0;
	q.scope = T2;
	q.channel = "sms";
	REQUIRE(ax_ledger_contacts(st, &q, on_contact_full, &r) == AX_OK);
	CHECK_INT(r.n, 2);
	CHECK(strstr(r.line[1], "|sms_replied|短信已回复|") != NULL);
	CHECK(strstr(r.line[0], "|sms_delivered|短信已送达|") != NULL);

	/* a callback's code stops the listing and comes back unchanged */
	memset(&r, 0, sizeof r);
	r.stop_after = 2;
	CHECK_INT(ax_ledger_contacts(st, NULL, on_contact_full, &r), AX_DENIED);
	CHECK_INT(r.n, 2);
}

/* ---- 计入 ------------------------------------------------------------- */
static ax_rc on_contact_count(void *ctx, const struct ax_ledger_contact *c)
{
	static const char code[] = "CRISK"; /* enum ax_contact_count order */
	return put(ctx, "%s:%c", c->household, code[c->count]);
}

static const char *count_list(const struct ax_ledger_query *q)
{
	static char out[512];
	struct rows r = {0};
	size_t k = 0;

	CHECK_INT(ax_ledger_contacts(st, q, on_contact_count, &r), AX_OK);
	out[0] = '\0';
	for (int i = 0; i < r.n; i++)
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i ? " " : "",
		                      r.line[i]);
	return out;
}

static long long reached(const char *from, const char *to, int kinds)
{
	struct ax_report_opts o = {.from = from, .to = to, .contact_kinds = kinds};
	return tu_report_row0(st, &o).reached;
}

/*
 * Each listed contact's 计入 against the counting kinds, by hand from the
 * contacts at the top (C 计入, R 重复, I 注销, S 仅发送未送达, K 类型不计):
 * the C rows are the households the report counts as reached, one each.
 * Before issue 14 the ledger had no such mark: the XLSX 入户宣传明细 listed
 * H5 (注销) and the sends among "reached" rows with nothing to tell them.
 */
static void test_contact_count(void)
{
	struct ax_ledger_query q = {0};

	/* whole store, default kinds: c6 c1 c2 c3 c7 c4 c8 c5; H4's visit
	 * of 11-05 repeats its reply of 11-04 */
	CHECK_STR(count_list(&q), "H6:C H1:S H1:C H2:S H5:I H3:C H4:C H4:R");
	CHECK_INT(reached(NULL, NULL, 0), 4); /* H6 H1 H3 H4 */
	q.from = "2026-11-01";
	q.to = "2026-11-04";
	CHECK_STR(count_list(&q), "H1:S H1:C H2:S H5:I H3:C H4:C");
	CHECK_INT(reached("2026-11-01", "2026-11-04", 0), 3); /* H1 H3 H4 */
	/* visits only: the other kinds are not counted, H4's visit now is */
	q.from = q.to = NULL;
	q.coverage_kinds = AX_CK_VISIT;
	CHECK_STR(count_list(&q), "H6:C H1:S H1:K H2:S H5:I H3:K H4:K H4:C");
	CHECK_INT(reached(NULL, NULL, AX_CK_VISIT), 2); /* H6 H4 */
	/* sends counted: H1's send counts it, its delivery repeats */
	q.coverage_kinds = AX_CK_SMS_SENT | AX_CK_SMS_DELIVERED;
	CHECK_STR(count_list(&q), "H6:K H1:C H1:R H2:C H5:I H3:K H4:K H4:K");
	CHECK_INT(reached(NULL, NULL, AX_CK_SMS_SENT | AX_CK_SMS_DELIVERED), 2);
	CHECK_STR(ax_ledger_count_label(AX_CONTACT_COUNTED), "计入");
	CHECK_STR(ax_ledger_count_label(AX_CONTACT_INACTIVE), "不计入（注销）");
	CHECK_STR(ax_ledger_count_label(AX_CONTACT_SENT_ONLY), "不计入（仅发送未送达）");
}

static void test_errors(void)
{
	struct ax_ledger_query q = {0};
	ax_rc rc;

	q.scope = "439901009000"; /* a township code, but not in the roster */
	contact_list(&q, &rc);
	CHECK_INT(rc, AX_NOTFOUND);
	CHECK(strstr(ax_store_errmsg(st), "439901009000") != NULL);
	q.scope = "4399";
	contact_list(&q, &rc);
	CHECK_INT(rc, AX_INVALID);
	q.scope = G1 ",abc";
	contact_list(&q, &rc);
	CHECK_INT(rc, AX_INVALID);
	q.scope = G1 ",,";
	contact_list(&q, &rc);
	CHECK_INT(rc, AX_INVALID);
	q.scope = NULL;
	q.from = "2026-13-01";
	contact_list(&q, &rc);
	CHECK_INT(rc, AX_INVALID);
	CHECK(strstr(ax_store_errmsg(st), "2026-13-01") != NULL);
	q.from = NULL;
	q.channel = "fax";
	contact_list(&q, &rc);
	CHECK_INT(rc, AX_INVALID);

	CHECK_STR(ax_ledger_kind_label("sms_sent"), "短信已发送");
	CHECK_STR(ax_ledger_kind_label("visit"), "入户走访");
	CHECK_STR(ax_ledger_kind_label("other"), "other");
	CHECK_STR(ax_ledger_channel_label("sms"), "短信");
	CHECK_STR(ax_ledger_status_label("abandoned"), "中途放弃");
}

/* ---- responses -------------------------------------------------------- */
static ax_rc on_response(void *ctx, const struct ax_ledger_response *x)
{
	char done[32];
	snprintf(done, sizeof done, "%lld", x->completed_at);
	return put(ctx, "%s|%s|%d|%s|%s|%s|%s|%s|%s@%d|%s|%s|%s/%s|%s/%s|%d|%d|%lld|%s|%s|%s",
	           x->id + 33, x->household, x->anonymous, x->region,
	           S(x->region_name), S(x->grid_name), S(x->village_name),
	           S(x->township_name), x->survey, x->survey_version,
	           S(x->survey_title), x->wave, x->channel, x->channel_label,
	           x->status, x->status_label, x->counted, x->duplicate,
	           x->started_at, x->has_completed ? done : "-", x->device,
	           x->answers);
}

static void test_responses(void)
{
	struct ax_ledger_query q = {0};
	struct rows r = {0};
	char want[512];
	const char *title = sq("SELECT title FROM surveys WHERE id = "
	                             "'aware-anti-drug' AND version = 1");

	q.from = "2026-11-01";
	q.to = "2026-11-04";
	REQUIRE(ax_ledger_responses(st, &q, on_response, &r) == AX_OK);
	REQUIRE(r.n == 4);
	/* r1, r3, r4 (partial, by its start), r2 */
	snprintf(want, sizeof want,
	         "001|H1|0|" G1 "|第一网格|第一网格|府前社区|城关街道|"
	         "aware-anti-drug@1|%s||sms/短信|complete/完成|1|0|%lld|%lld|gw-1|"
	         "q1=2; q2=1; q3=2; q4=3; q5=4",
	         title, epoch("2026-11-02T09:50:00+08:00"),
	         epoch("2026-11-02T10:00:00+08:00"));
	CHECK_STR(r.line[0], want);
	snprintf(want, sizeof want,
	         "003|匿名|1|" G3 "|柳村一格|柳村一格|柳村|河西镇|m@1|多选测试||"
	         "kiosk/一体机|complete/完成|1|0|%lld|%lld|kiosk-2|"
	         "q1=2; q2=1,3; overall=1",
	         epoch("2026-11-02T11:58:00+08:00"),
	         epoch("2026-11-02T12:00:00+08:00"));
	CHECK_STR(r.line[1], want);
	snprintf(want, sizeof want,
	         "004|H3|0|" G2 "|第二网格|第二网格|府前社区|城关街道|"
	         "satisfaction@1|平安建设群众满意度调查||sms/短信|partial/部分作答|"
	         "0|0|%lld|-|gw-1|q1=1",
	         epoch("2026-11-03T09:00:00+08:00"));
	CHECK_STR(r.line[2], want);
	/* counted 0, duplicate 1: H1 had answered earlier */
	CHECK(strncmp(r.line[3], "002|H1|0|", 9) == 0);
	CHECK(strstr(r.line[3], "|complete/完成|0|1|") != NULL);

	/* filters */
	memset(&r, 0, sizeof r);
	q.survey = "aware-anti-drug";
	REQUIRE(ax_ledger_responses(st, &q, on_response, &r) == AX_OK);
	CHECK_INT(r.n, 2);
	memset(&r, 0, sizeof r);
	q.survey = NULL;
	q.channel = "kiosk";
	REQUIRE(ax_ledger_responses(st, &q, on_response, &r) == AX_OK);
	CHECK_INT(r.n, 2);
	CHECK(strncmp(r.line[0], "003|", 4) == 0 && strncmp(r.line[1], "002|", 4) == 0);
	memset(&r, 0, sizeof r);
	q.channel = NULL;
	q.scope = T2;
	REQUIRE(ax_ledger_responses(st, &q, on_response, &r) == AX_OK);
	CHECK_INT(r.n, 1);
	CHECK(strncmp(r.line[0], "003|", 4) == 0);
	memset(&r, 0, sizeof r);
	q.from = q.to = NULL; /* r5 (11-06) joins */
	REQUIRE(ax_ledger_responses(st, &q, on_response, &r) == AX_OK);
	CHECK_INT(r.n, 2);
	CHECK(strncmp(r.line[1], "005|H4|", 7) == 0);
	memset(&r, 0, sizeof r);
	q.scope = NULL;
	q.wave = "no-such-wave";
	REQUIRE(ax_ledger_responses(st, &q, on_response, &r) == AX_OK);
	CHECK_INT(r.n, 0);
}

/* ---- households not reached ------------------------------------------- */
static ax_rc on_household(void *ctx, const struct ax_ledger_household *h)
{
	return put(ctx, "%s|%s|%s|%s|%s|%d|%d|%s", h->id, h->grid, S(h->grid_name),
	           S(h->village_name), S(h->township_name), h->members, h->nphones,
	           h->phones);
}

static const char *unreached(const struct ax_ledger_query *q)
{
	static char out[512];
	struct rows r = {0};
	size_t k = 0;
	CHECK_INT(ax_ledger_unreached(st, q, on_household, &r), AX_OK);
	out[0] = '\0';
	for (int i = 0; i < r.n; i++)
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%.2s", i ? " " : "",
		                      r.line[i]);
	return out;
}

/* The list agrees with the coverage rate of the report. */
static void check_vs_report(const char *scope, const char *from, const char *to)
{
	struct ax_report_opts o = {0};
	struct ax_ledger_query q = {0};
	struct ax_report *rep = NULL;
	struct rows r = {0};

	o.scope = scope;
	o.from = from;
	o.to = to;
	q.scope = scope;
	q.from = from;
	q.to = to;
	REQUIRE(ax_report_build(st, &o, &rep) == AX_OK);
	REQUIRE(ax_ledger_unreached(st, &q, on_household, &r) == AX_OK);
	CHECK_INT(r.n, rep->rows[0].households - rep->rows[0].reached);
	ax_report_free(rep);
}

/*
 * A channel filter means "reached through that channel", for the report's
 * coverage as for the 未覆盖户清单 (issue 14): by hand from the contacts at
 * the top, 11-01..11-04, default kinds, 5 active households (H5 注销):
 * all channels H1 H3 H4; sms H1 (delivered) H4 (replied, 11-04 23:59:59),
 * H2's send does not count; kiosk H3; visit none (H4's is 11-05, H6's
 * 10-31).  Reached + unreached = 5 each time.  The old report ignored the
 * channel: 3 reached under every channel, 3 + 3 unreached under sms.
 */
static long long reached_on(const char *channel)
{
	struct ax_report_opts o = {.from = "2026-11-01", .to = "2026-11-04",
	                           .channel = channel};
	return tu_report_row0(st, &o).reached;
}

static void test_channel_agrees(void)
{
	struct ax_ledger_query q = {.from = "2026-11-01", .to = "2026-11-04"};

	CHECK_INT(reached_on(NULL), 3);
	CHECK_STR(unreached(&q), "H2 H6");
	CHECK_INT(reached_on("sms"), 2);
	q.channel = "sms";
	CHECK_STR(unreached(&q), "H2 H3 H6");
	CHECK_INT(reached_on("kiosk"), 1);
	q.channel = "kiosk";
	CHECK_STR(unreached(&q), "H1 H2 H4 H6");
	CHECK_INT(reached_on("visit"), 0);
	q.channel = "visit";
	CHECK_STR(unreached(&q), "H1 H2 H3 H4 H6");
}

static void test_unreached(void)
{
	struct ax_ledger_query q = {0};
	struct rows r = {0};

	q.from = "2026-11-01";
	q.to = "2026-11-04";
	CHECK_STR(unreached(&q), "H2 H6");
	REQUIRE(ax_ledger_unreached(st, &q, on_household, &r) == AX_OK);
	REQUIRE(r.n == 2);
	/* phones masked, in number order; H6 has no grid, members, phones */
	CHECK_STR(r.line[0], "H2|" G1 "|第一网格|府前社区|城关街道|2|2|"
	                     "138****8002, 139****9002");
	CHECK_STR(r.line[1], "H6|" V3 "|-|东村|河西镇|-1|0|");
	/* a send the network never confirmed reaches nobody, unless asked */
	q.contact_kinds = AX_CK_SMS_SENT | AX_CK_DEFAULT;
	CHECK_STR(unreached(&q), "H6");
	q.contact_kinds = AX_CK_VISIT; /* not yet visited in the window */
	CHECK_STR(unreached(&q), "H1 H2 H3 H4 H6");
	q.contact_kinds = 0;
	q.channel = "sms";
	CHECK_STR(unreached(&q), "H2 H3 H6");
	q.channel = NULL;
	test_channel_agrees();
	q.scope = T1;
	CHECK_STR(unreached(&q), "H2");
	q.scope = G3; /* H4 reached on the window's last second; H5 inactive */
	CHECK_STR(unreached(&q), "");
	q.scope = NULL;
	q.from = q.to = NULL;
	CHECK_STR(unreached(&q), "H2");

	check_vs_report(NULL, "2026-11-01", "2026-11-04");
	check_vs_report(T1, "2026-11-01", "2026-11-04");
	check_vs_report(V3, NULL, NULL);
	check_vs_report(COUNTY, "2026-11-05", NULL);
}

/* ---- one visit -------------------------------------------------------- */
/* ax_household_search (the dashboard's household lookup), by hand from
 * the roster: an id, or the last four digits of any of a household's
 * phones (H2's second, 13900139002); active ones only (H5 注销), within
 * the user's scope; three digits are no phone's last four. */
static const char *search(const char *scope, const char *q)
{
	static char out[512];
	struct rows r = {0};
	size_t k = 0;
	CHECK_INT(ax_household_search(st, scope, q, 0, on_household, &r), AX_OK);
	out[0] = '\0';
	for (int i = 0; i < r.n; i++)
		k += (size_t)snprintf(out + k, sizeof out - k, "%s%s", i ? ";" : "",
		                      r.line[i]);
	return out;
}

static void test_search(void)
{
	CHECK_STR(search(NULL, "H2"), "H2|" G1 "|第一网格|府前社区|城关街道|2|2|"
	                              "138****8002, 139****9002");
	CHECK_STR(search(NULL, "9002"), "H2|" G1 "|第一网格|府前社区|城关街道|2|2|"
	                                "138****8002, 139****9002");
	CHECK_STR(search(NULL, "8003"), "H3|" G2 "|第二网格|府前社区|城关街道|4|1|"
	                                "138****8003");
	CHECK_STR(search(NULL, "8005"), "");
	CHECK_STR(search(NULL, "H5"), "");
	CHECK_STR(search(T1, "H4"), "");
	CHECK_STR(search(T2, "8004"), "H4|" G3 "|柳村一格|柳村|河西镇|1|1|"
	                              "138****8004");
	CHECK_STR(search(NULL, "800"), "");
	CHECK_STR(search(NULL, ""), "");
}

static void test_visit_record(void)
{
	char id[37] = "x", want[128];
	struct ax_ledger_query q = {0};
	long long at = epoch("2026-11-04T16:00:00+08:00");
	long long before = sqi("SELECT COUNT(*) FROM contacts");

	REQUIRE(ax_visit_record(st, "H2", "网格员王五", at, "family-safety", id) ==
	        AX_OK);
	CHECK_INT(strlen(id), 36);
	CHECK(id[14] == '4'); /* a random (v4) UUID */
	snprintf(want, sizeof want, "H2|visit|visit|family-safety|网格员王五|%lld", at);
	CHECK_STR(sq("SELECT household || '|' || channel || '|' || kind || "
	                   "'|' || pack || '|' || device || '|' || at FROM "
	                   "contacts WHERE id = '%s'",
	               id),
	          want);
	q.from = "2026-11-01";
	q.to = "2026-11-04";
	CHECK_STR(unreached(&q), "H6");

	/* rejected by the importer: nothing stored, reason on the store */
	strcpy(id, "x");
	CHECK_INT(ax_visit_record(st, "H404", "王五", at, NULL, id), AX_INVALID);
	CHECK_STR(id, "");
	CHECK(strstr(ax_store_errmsg(st), "not in the roster") != NULL);
	CHECK_INT(ax_visit_record(st, "H2", "", at, NULL, NULL), AX_INVALID);
	CHECK_INT(ax_visit_record(st, "H2\xff", "王五", at, NULL, NULL), AX_INVALID);
	CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), before + 1);

	/* a double tap (2 minutes later) and a form sent again at the edge of
	 * the 10 minutes: the same visit, its id, no new row; 11 minutes
	 * later, or another pack, or another visitor: a new visit (the old
	 * code stored all five) */
	{
		char first[37], again[37], sql[256];
		const char *who[3] = {"网格员王五", "网格员王五", "网格员李四"};
		const char *pack[3] = {"family-safety", NULL, "family-safety"};
		const long long dt[3] = {660, 60, 60};
		snprintf(first, sizeof first, "%s",
		         sq("SELECT id FROM contacts WHERE household = 'H2'"
		                  " AND device = '网格员王五' AND at = %lld", at));
		CHECK_INT(strlen(first), 36);
		REQUIRE(ax_visit_record(st, "H2", "网格员王五", at + 120,
		                        "family-safety", again) == AX_OK);
		CHECK_STR(again, first);
		REQUIRE(ax_visit_record(st, "H2", "网格员王五", at - 600,
		                        "family-safety", again) == AX_OK);
		CHECK_STR(again, first);
		CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), before + 1);
		for (int k = 0; k < 3; k++) {
			REQUIRE(ax_visit_record(st, "H2", who[k], at + dt[k], pack[k],
			                        again) == AX_OK);
			CHECK(strcmp(again, first) != 0);
			CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"),
			          before + 2);
			snprintf(sql, sizeof sql, "DELETE FROM contacts WHERE id = '%s'",
			         again);
			REQUIRE(ax__dexec(st, sql) == AX_OK);
		}
	}

	/* at 0: now */
	REQUIRE(ax_visit_record(st, "H6", "王五", 0, NULL, id) == AX_OK);
	CHECK(llabs(sqi("SELECT at FROM contacts WHERE id = '%s'", id) -
	            (long long)time(NULL)) < 60);
	REQUIRE(ax__dexec(st, "DELETE FROM contacts WHERE household = 'H6' AND "
	                     "device = '王五'") == AX_OK);

	/* the id made by a phone that queued the visit offline: stored under
	 * it (lower case); sent again: AX_OK, nothing stored; the same id 20
	 * minutes later (past the double tap) with other content: refused;
	 * an id that is no UUID: refused */
	{
		static const char given[] = "0F0E0D0C-0B0A-4909-8807-0605040302AA";
		int stored = -1;
		long long n0 = sqi("SELECT COUNT(*) FROM contacts");
		REQUIRE(ax_visit_record_id(st, given, "H6", "网格员赵六", at, NULL, id,
		                           &stored) == AX_OK);
		CHECK_STR(id, "0f0e0d0c-0b0a-4909-8807-0605040302aa");
		CHECK_INT(stored, 1);
		CHECK_STR(sq("SELECT household || '|' || device FROM contacts "
		                   "WHERE id = '%s'", id),
		          "H6|网格员赵六");
		REQUIRE(ax_visit_record_id(st, given, "H6", "网格员赵六", at, NULL, id,
		                           &stored) == AX_OK);
		CHECK_INT(stored, 0);
		CHECK_STR(id, "0f0e0d0c-0b0a-4909-8807-0605040302aa");
		CHECK_INT(ax_visit_record_id(st, given, "H6", "网格员赵六", at + 1200,
		                             NULL, id, &stored), AX_INVALID);
		CHECK_INT(stored, 0);
		CHECK_INT(ax_visit_record_id(st, "not-a-uuid", "H6", "网格员赵六", at,
		                             NULL, id, &stored), AX_INVALID);
		CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), n0 + 1);
		REQUIRE(ax__dexec(st, "DELETE FROM contacts WHERE device = "
		                     "'网格员赵六'") == AX_OK);
	}
}

/* ax_visit_undo (issue 14), by hand: a visit H2 got from 网格员孙七 just
 * now; another user may not take it back, nor its recorder a day and a
 * minute after it arrived; its recorder may: H2 named, the contact gone
 * (the count back to before), one visits_undone row saying who undid it
 * and when; undone again: not found; the same id sent again is a
 * duplicate, not stored. */
static void test_visit_undo(void)
{
	static const char id[] = "0f0e0d0c-0b0a-4909-8807-0605040302bb";
	long long at = epoch("2026-11-04T10:00:00+08:00"), now;
	long long n0 = sqi("SELECT COUNT(*) FROM contacts");
	char got[37], hh[64] = "x";
	int stored = -1;

	REQUIRE(ax_visit_record_id(st, id, "H2", "网格员孙七", at, NULL, got,
	                           &stored) == AX_OK);
	CHECK_INT(stored, 1);
	now = (long long)time(NULL);
	CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), n0 + 1);
	CHECK_INT(ax_visit_undo(st, id, "网格员王五", now, hh), AX_DENIED);
	CHECK_INT(ax_visit_undo(st, id, "网格员孙七", now + 86400 + 60, hh),
	          AX_DENIED);
	CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), n0 + 1);
	CHECK_INT(ax_visit_undo(st, id, "网格员孙七", now, hh), AX_OK);
	CHECK_STR(hh, "H2");
	CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), n0);
	/* at: 11-04 16:00 is 1793779200 (test_visit_record), less 6 h */
	CHECK_STR(sq("SELECT household, recorded_by, undone_by, at FROM "
	             "visits_undone WHERE id = '%s'", id),
	          "H2|网格员孙七|网格员孙七|1793757600");
	CHECK_INT(sqi("SELECT undone_at FROM visits_undone WHERE id = '%s'", id),
	          now);
	CHECK_INT(ax_visit_undo(st, id, "网格员孙七", now, hh), AX_NOTFOUND);
	REQUIRE(ax_visit_record_id(st, id, "H2", "网格员孙七", at, NULL, got,
	                           &stored) == AX_OK);
	CHECK_INT(stored, 0);
	CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), n0);
}

/* ---- visits from CSV -------------------------------------------------- */
/* BOM, CRLF, a quoted id, 年月日, a full-width date (NFKC folds it), a
 * time, a pack by title and by id, rows repeated and broken */
static const char visits_csv[] =
	"户号,走访日期,走访人,宣传内容\r\n"                 /* 1 */
	"H1,2026-11-03,王五,禁毒\r\n"                       /* 2 ok */
	"H6,2026/11/3 9:30,王五,\r\n"                       /* 3 ok */
	"H404,2026-11-03,王五,\r\n"                         /* 4 not in roster */
	"H3,2026-02-30,王五,\r\n"                           /* 5 no such day */
	"H3,２０２６－１１－０３,王五,\r\n"                 /* 6 ok */
	"\"H4\",2026年11月4日,,family-safety\r\n"           /* 7 ok, no visitor */
	"H1,2026-11-03,王五,禁毒\r\n"                       /* 8 same as 2 */
	",2026-11-03,王五,\r\n"                             /* 9 no id */
	"H2,,王五,\r\n"                                     /* 10 no date */
	"H2,2026-11-03,王五,没有这个\r\n"                   /* 11 unknown pack */
	"H2,2099-01-01,王五,\r\n"                           /* 12 future */
	",,,\r\n";                                          /* 13 empty: skipped */

static struct ax_visits_stats vimport(const char *name, const char *buf,
                                      size_t len, const char *device,
                                      struct tu_diag *d, ax_rc want)
{
	struct ax_visits_opts o = {device, NULL, NULL};
	struct ax_visits_stats s;
	CHECK_INT(ax_visits_import_mem(st, name, buf, len, &o, tu_diag_fn, d, &s),
	          want);
	return s;
}

/* UTF-8 -> GBK with glibc iconv; caller frees. */
static char *to_gbk(const char *in, size_t len, size_t *outlen)
{
	iconv_t cd = iconv_open("GBK", "UTF-8");
	size_t cap = len * 2 + 16, left = cap;
	char *out = malloc(cap), *o = out, *i = (char *)in;
	REQUIRE(cd != (iconv_t)-1 && out);
	REQUIRE(iconv(cd, &i, &len, &o, &left) != (size_t)-1);
	iconv_close(cd);
	*outlen = cap - left;
	return out;
}

static void test_visits_import(void)
{
	struct tu_diag d = {0};
	struct ax_visits_stats s;
	char bom[sizeof visits_csv + 3];
	long long visits0 = sqi("SELECT COUNT(*) FROM contacts WHERE kind = 'visit'");
	char *gbk;
	size_t glen;

	memcpy(bom, "\xEF\xBB\xBF", 3);
	memcpy(bom + 3, visits_csv, sizeof visits_csv - 1);
	s = vimport("v.csv", bom, sizeof visits_csv + 2, "paper-1", &d, AX_OK);
	CHECK_STR(s.encoding, "UTF-8 (BOM)");
	CHECK_INT(s.rows, 11);
	CHECK_INT(s.accepted, 4);
	CHECK_INT(s.duplicate, 1);
	CHECK_INT(s.conflict, 0);
	CHECK_INT(s.rejected, 6);
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "v.csv:4: ", "household \"H404\" is not in the roster; row rejected");
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "v.csv:5: ", "date \"2026-02-30\" is not a date");
	TU_CHECK_DIAG(&d, AX_SEV_WARNING, "v.csv:8: ", "same visit as line 2");
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "v.csv:9: ", "no household id");
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "v.csv:10: ", "no visit date");
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "v.csv:11: ", "\"没有这个\" is not the id or title");
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "v.csv:12: ", "in the future");
	CHECK_INT(d.n, 7);
	tu_diag_clear(&d);

	CHECK_INT(sqi("SELECT COUNT(*) FROM contacts WHERE kind = 'visit'"),
	          visits0 + 4);
	/* what was stored: name-based (v5) ids, China times, packs resolved,
	 * the visitor as device (or the import's device) */
	CHECK_STR(sq_rows(4, "SELECT household, channel, coalesce(pack, '-'), "
	                     "device, at, substr(id, 15, 1) FROM contacts WHERE "
	                     "device IN ('王五', 'paper-1') ORDER BY household"),
	          "H1|visit|anti-drug|王五|2026-11-03 00:00:00|5;"
	          "H3|visit|-|王五|2026-11-03 00:00:00|5;"
	          "H4|visit|family-safety|paper-1|2026-11-04 00:00:00|5;"
	          "H6|visit|-|王五|2026-11-03 09:30:00|5");

	/* the same file again: nothing new */
	s = vimport("v.csv", bom, sizeof visits_csv + 2, "paper-1", &d, AX_OK);
	CHECK_INT(s.accepted, 0);
	CHECK_INT(s.duplicate, 5);
	CHECK_INT(s.rejected, 6);
	tu_diag_clear(&d);
	/* the same visits saved as GBK, without BOM: still the same visits */
	gbk = to_gbk(visits_csv, sizeof visits_csv - 1, &glen);
	s = vimport("v-gbk.csv", gbk, glen, "paper-1", &d, AX_OK);
	free(gbk);
	CHECK_STR(s.encoding, "GBK");
	CHECK_INT(s.accepted, 0);
	CHECK_INT(s.duplicate, 5);
	CHECK_INT(s.rejected, 6);
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "v-gbk.csv:4: ", "\"H404\"");
	tu_diag_clear(&d);
	CHECK_INT(sqi("SELECT COUNT(*) FROM contacts WHERE kind = 'visit'"),
	          visits0 + 4);

	/* a row without visitor imported under another device name: the same
	 * visit with other content, kept aside for review, not counted twice */
	s = vimport("v.csv", bom, sizeof visits_csv + 2, "paper-2", &d, AX_OK);
	CHECK_INT(s.conflict, 1);
	TU_CHECK_DIAG(&d, AX_SEV_WARNING, "v.csv:7: ", "conflict: ");
	tu_diag_clear(&d);

	/* English headers, another time format */
	{
		static const char en[] = "household_id,date,visitor,pack\n"
		                         "H2,2026-11-04T08:05:09,Li,anti-fraud\n";
		s = vimport("en.csv", en, sizeof en - 1, NULL, &d, AX_OK);
		CHECK_INT(s.accepted, 1);
		CHECK_INT(d.n, 0);
		CHECK_STR(sq_rows(0, "SELECT at, pack FROM contacts WHERE "
		                     "device = 'Li'"),
		          "2026-11-04 08:05:09|anti-fraud");
	}

	/* whole-file failures store nothing */
	{
		static const char nodate[] = "户号,宣传内容\nH1,禁毒\n";
		static const char noid[] = "日期\n2026-11-01\n";
		static const char bad[] = "\xff\xfe\xff,\x80\n";
		long long n = sqi("SELECT COUNT(*) FROM contacts");
		s = vimport("x.csv", nodate, sizeof nodate - 1, NULL, &d, AX_INVALID);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "x.csv:1: ", "no visit date column");
		CHECK_INT(s.accepted, 0);
		vimport("y.csv", noid, sizeof noid - 1, NULL, &d, AX_INVALID);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "y.csv:1: ", "no household id column");
		vimport("z.csv", "", 0, NULL, &d, AX_INVALID);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "z.csv: ", "file is empty");
		vimport("b.csv", bad, sizeof bad - 1, NULL, &d, AX_INVALID);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "b.csv: ", "neither UTF-8 nor GBK");
		vimport("d.csv", visits_csv, sizeof visits_csv - 1,
		        "0123456789012345678901234567890123456789012345678901234567890123456789",
		        &d, AX_INVALID);
		CHECK_INT(sqi("SELECT COUNT(*) FROM contacts"), n);
		tu_diag_clear(&d);
	}

	/* a file that is not there */
	{
		struct ax_visits_stats fs;
		CHECK_INT(ax_visits_import_csv(st, tu_path("missing.csv"), NULL,
		                               tu_diag_fn, &d, &fs),
		          AX_IO);
		CHECK_INT(d.n, 1);
		tu_diag_clear(&d);
		tu_write(tu_path("v.csv"), visits_csv, sizeof visits_csv - 1);
		CHECK_INT(ax_visits_import_csv(st, tu_path("v.csv"), NULL, tu_diag_fn,
		                               &d, &fs),
		          AX_OK);
		CHECK_INT(fs.rows, 11);
		CHECK_INT(fs.accepted, 0);
		tu_diag_clear(&d);
	}
}

/* argv[1]: the pg fixture's URL file (pg.ledger); none: SQLite */
int main(int argc, char **argv)
{
	tu_init();
	setup(argc > 1 ? argv[1] : NULL);
	test_reach();
	test_contacts();
	test_contact_count();
	test_errors();
	test_responses();
	test_unreached();
	test_search();
	test_visit_record();
	test_visit_undo();
	test_visits_import();
	if (st != seed)
		ax_store_close(st);
	ax_store_close(seed);
	return check_done();
}
