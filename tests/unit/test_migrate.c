/*
 * test_migrate.c -- a store written by schema v1 is migrated in place to
 * v2 and on to the current schema: nothing is lost, the pre-aggregated counts (tally)
 * are built from what v1 stored, and the importer carries on from them.
 * A v4 file with a few thousand imported records is migrated to v6 (tally
 * keyed by day first, two indexes dropped, `counted` in the household
 * index) with every row and every report, windowed report and weekly
 * trend unchanged, and imports on.
 * A file from a newer build is refused with a message saying so; a
 * migration that fails leaves the file at its old version.  Four processes
 * opening one old file at once all succeed, and it is migrated once.
 */
#include <sys/wait.h>
#include <unistd.h>

#include "anxin/content.h"
#include "anxin/demo.h"
#include "anxin/funnel.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin_int.h"
#include "testutil.h"

#define COUNTY "439901000000"
#define TOWN "439901001000"
#define VIL "439901001001"
#define GRID "439901001001001"
#define T0 1795140900LL /* 2026-11-20T10:15:00+08:00 (TZ=UTC date -d ... +%s) */
#define DAY 20777       /* 2026-11-20, days since 1970-01-01 */

/* regions of the demo roster */
#define COUNTY_DEMO "439901000000"
#define TOWN_DEMO "439901101000"

#define ID(n) "b0000000-0000-4000-8000-00000000000" #n

/* What a v1 build stored: the region tree, four households (one
 * inactive), counted responses with their per-topic results in
 * response_topics, responses that were not counted (H1 answered both
 * surveys twice), a partial one, and one outreach contact. */
static const char v1_data[] =
	"INSERT INTO regions VALUES('" COUNTY "','江州县',1,NULL);"
	"INSERT INTO regions VALUES('" TOWN "','城关街道',2,'" COUNTY "');"
	"INSERT INTO regions VALUES('" VIL "','府前社区',3,'" TOWN "');"
	"INSERT INTO regions VALUES('" GRID "','第一网格',4,'" VIL "');"
	"INSERT INTO households VALUES('H1','" GRID "',3,1,0);"
	"INSERT INTO households VALUES('H2','" GRID "',2,1,0);"
	"INSERT INTO households VALUES('H3','" GRID "',NULL,1,0);"
	"INSERT INTO households VALUES('H4','" GRID "',1,0,0);"
	"INSERT INTO household_phones VALUES('H1','+8613800138001');"
	/* id, survey, version, wave, channel, device, household, region,
	 * started, completed, status, counted, day, sat, score, body */
	"INSERT INTO responses VALUES('" ID(1) "','aware-anti-drug',1,'','kiosk',"
	"  'k1','H1','" GRID "',1795140000,1795140900,'complete',1,20777,NULL,NULL,"
	"  '{\"a\":1}');"
	"INSERT INTO responses VALUES('" ID(2) "','aware-anti-drug',1,'','sms',"
	"  'g1','H2','" GRID "',1795140000,1795141200,'complete',1,20777,NULL,NULL,"
	"  '{\"a\":2}');"
	"INSERT INTO responses VALUES('" ID(3) "','aware-anti-drug',1,'','kiosk',"
	"  'k1','H1','" GRID "',1795140000,1795227300,'complete',0,20778,NULL,NULL,"
	"  '{\"a\":3}');"
	"INSERT INTO responses VALUES('" ID(4) "','satisfaction',1,'','sms',"
	"  'g1','H1','" GRID "',1795140000,1795140900,'complete',1,20777,1,5.0,"
	"  '{\"a\":4}');"
	"INSERT INTO responses VALUES('" ID(5) "','satisfaction',1,'','sms',"
	"  'g1','H2','" GRID "',1795140000,1795140900,'complete',1,20777,0,2.0,"
	"  '{\"a\":5}');"
	"INSERT INTO responses VALUES('" ID(0) "','satisfaction',1,'','sms',"
	"  'g1','H1','" GRID "',1795140000,1795227300,'complete',0,20778,0,1.0,"
	"  '{\"a\":0}');"
	"INSERT INTO responses VALUES('" ID(6) "','satisfaction',1,'','sms',"
	"  'g1','H3','" GRID "',1795140000,NULL,'partial',0,NULL,NULL,NULL,"
	"  '{\"a\":6}');"
	"INSERT INTO responses VALUES('" ID(7) "','aware-anti-drug',1,'','kiosk',"
	"  'k1',NULL,'" GRID "',1795140000,1795140900,'complete',1,20777,NULL,NULL,"
	"  '{\"a\":7}');"
	"INSERT INTO response_topics VALUES('" ID(1) "','anti_drug',1);"
	"INSERT INTO response_topics VALUES('" ID(2) "','anti_drug',0);"
	"INSERT INTO response_topics VALUES('" ID(3) "','anti_drug',1);"
	"INSERT INTO response_topics VALUES('" ID(7) "','anti_drug',1);"
	"INSERT INTO contacts VALUES('" ID(8) "','H1','visit','visit',NULL,'v1',"
	"  1795140900,'{}');";

static void make_v1(const char *path)
{
	ax_store *st = NULL;
	char err[256] = "";

	CHECK_INT(ax__store_open_at(path, AX_STORE_CREATE, 1, &st, err, sizeof err),
	          AX_OK);
	REQUIRE(st != NULL);
	CHECK_INT(ax_store_schema_version(st), 1);
	REQUIRE(ax__exec(st, v1_data) == AX_OK);
	ax_store_close(st);
}

static const struct ax_report_row *county_row(ax_store *st, const char *survey,
                                              struct ax_report **keep)
{
	struct ax_report_opts o = {.survey = survey};
	REQUIRE(ax_report_build(st, &o, keep) == AX_OK);
	REQUIRE((*keep)->nrows == 1);
	return &(*keep)->rows[0];
}

static void check_aw(ax_store *st, long long num, long long den,
                     long long respondents)
{
	struct ax_report *r = NULL;
	const struct ax_report_row *w = county_row(st, "aware-anti-drug", &r);
	CHECK_INT(r->ntopics, 1);
	CHECK_STR(r->topics[0], "anti_drug");
	CHECK_INT(w->awareness[0].num, num);
	CHECK_INT(w->awareness[0].den, den);
	CHECK_INT(w->respondents, respondents);
	ax_report_free(r);
}

static void test_migrate(void)
{
	const char *path = tu_path("v1.db");
	ax_store *st = NULL;
	struct ax_report *r = NULL;
	const struct ax_report_row *w;
	char err[256] = "";
	sqlite3 *db;

	make_v1(path);
	db = tu_db_open(path);
	CHECK_INT(tu_qi(db, "PRAGMA user_version"), 1);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM sqlite_master WHERE name='tally'"), 0);
	sqlite3_close(db);

	/* read-only opens do not migrate: refused with a hint */
	CHECK_INT(ax_store_open(path, AX_STORE_READONLY, &st, err, sizeof err),
	          AX_INVALID);
	CHECK(st == NULL);
	CHECK(strstr(err, "schema v1") != NULL);
	CHECK(strstr(err, "read-write once to migrate") != NULL);

	/* read-write: migrated, first exactly to v2 (the step under test),
	 * later on to the current version */
	err[0] = '\0';
	CHECK_INT(ax__store_open_at(path, 0, 2, &st, err, sizeof err), AX_OK);
	REQUIRE(st != NULL);
	CHECK_INT(ax_store_schema_version(st), 2);

	/* everything v1 stored is still there */
	db = tu_db_open(path);
	CHECK_INT(tu_qi(db, "PRAGMA user_version"), 2);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM sqlite_master WHERE "
	                    "name='response_topics'"),
	          0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM regions"), 4);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM households"), 4);
	CHECK_STR(tu_q(db, "SELECT phone FROM household_phones WHERE household='H1'"),
	          "+8613800138001");
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses"), 8);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses WHERE counted"), 5);
	CHECK_STR(tu_q(db, "SELECT body FROM responses WHERE id='%s'", ID(3)),
	          "{\"a\":3}");
	CHECK_STR(tu_q(db, "SELECT received_at FROM responses WHERE id='%s'", ID(1)),
	          "NULL");
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM contacts"), 1);
	/* per-topic results are now in the response row */
	CHECK_STR(tu_q(db, "SELECT topics FROM responses WHERE id='%s'", ID(1)),
	          "anti_drug:1");
	CHECK_STR(tu_q(db, "SELECT topics FROM responses WHERE id='%s'", ID(2)),
	          "anti_drug:0");
	CHECK_STR(tu_q(db, "SELECT topics FROM responses WHERE id='%s'", ID(3)),
	          "anti_drug:1");
	CHECK_STR(tu_q(db, "SELECT topics FROM responses WHERE id='%s'", ID(4)),
	          "NULL");
	/* tally holds the counted responses only (not IDs 0, 3 and 6) */
	CHECK_INT(tu_qi(db, "SELECT SUM(den) FROM tally WHERE metric='resp'"), 5);
	CHECK_INT(tu_qi(db, "SELECT SUM(den) FROM tally WHERE metric='aw:anti_drug'"), 3);
	CHECK_INT(tu_qi(db, "SELECT SUM(num) FROM tally WHERE metric='aw:anti_drug'"), 2);
	CHECK_INT(tu_qi(db, "SELECT COUNT(DISTINCT day) FROM tally"), 1);
	CHECK_INT(tu_qi(db, "SELECT SUM(den) FROM tally WHERE metric='sat'"), 2);
	CHECK_INT(tu_qi(db, "SELECT SUM(num) FROM tally WHERE metric='sat'"), 1);
	sqlite3_close(db);

	/* on to the current version (the report layer needs it): nothing lost
	 * on the way */
	ax_store_close(st);
	st = NULL;
	CHECK_INT(ax_store_open(path, 0, &st, err, sizeof err), AX_OK);
	REQUIRE(st != NULL);
	CHECK_INT(ax_store_schema_version(st), AX_SCHEMA_VERSION);
	db = tu_db_open(path);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses"), 8);
	CHECK_INT(tu_qi(db, "SELECT SUM(den) FROM tally WHERE metric='resp'"), 5);
	sqlite3_close(db);

	/* the report reads the migrated counts */
	check_aw(st, 2, 3, 3); /* ID 1 passed, ID 2 failed, ID 7 passed */
	w = county_row(st, "aware-anti-drug", &r);
	CHECK_INT(w->respondents_by_channel[0], 2); /* kiosk: 1 and 7 */
	CHECK_INT(w->respondents_by_channel[1], 1); /* sms: 2 */
	CHECK_INT(w->households, 3);                /* H4 is inactive */
	CHECK_INT(w->reached, 1);                   /* H1 was visited */
	ax_report_free(r);
	w = county_row(st, "satisfaction", &r);
	CHECK_INT(w->respondents, 2);
	CHECK_INT(w->satisfaction.num, 1);
	CHECK_INT(w->satisfaction.den, 2);
	CHECK_NEAR(w->mean_score, (5.0 + 2.0) / 2, 1e-9);
	ax_report_free(r);
	{
		/* by day: all of it on 2026-11-20 */
		struct ax_report_opts o = {.from = "2026-11-21"};
		REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
		CHECK_INT(r->rows[0].respondents, 0);
		ax_report_free(r);
		o.from = o.to = "2026-11-20";
		o.survey = "aware-anti-drug";
		REQUIRE(ax_report_build(st, &o, &r) == AX_OK);
		CHECK_INT(r->rows[0].respondents, 3);
		CHECK_INT(r->rows[0].awareness[0].num, 2);
		ax_report_free(r);
	}

	/* the importer carries on from the migrated rows: an earlier answer
	 * from H2 displaces ID 2, whose (failed) result leaves the tally */
	{
		char dir[512], line[1024];
		const char *src = getenv("ANXIN_SOURCE");
		ax_content *c = NULL;
		ax_importer *im = NULL;
		struct ax_rec_outcome out;
		int nerr = -1;

		REQUIRE(src != NULL);
		snprintf(dir, sizeof dir, "%s/tests/content-v1", src);
		REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &c) == AX_OK);
		CHECK_INT(nerr, 0);
		REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
		ax_content_free(c);
		REQUIRE(ax_importer_new(st, &im) == AX_OK);
		snprintf(line, sizeof line,
		         "{\"type\":\"response\",\"id\":\"%s\",\"survey\":"
		         "\"aware-anti-drug\",\"survey_version\":1,\"channel\":\"sms\","
		         "\"device\":\"g1\",\"household\":\"H2\",\"started_at\":"
		         "\"2026-11-20T09:00:00+08:00\",\"completed_at\":"
		         "\"2026-11-20T09:30:00+08:00\",\"status\":\"complete\","
		         "\"answers\":{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"2\","
		         "\"q4\":\"3\",\"q5\":\"4\"}}",
		         ID(9));
		REQUIRE(ax_importer_begin(im) == AX_OK);
		CHECK_INT(ax_importer_line(im, line, strlen(line), NULL, &out), AX_OK);
		CHECK_STR(ax_rec_result_name(out.result), "accepted");
		CHECK_STR(out.reason, "");
		REQUIRE(ax_importer_commit(im) == AX_OK);
		ax_importer_free(im);
		check_aw(st, 3, 3, 3);
		db = tu_db_open(path);
		CHECK_STR(tu_q(db, "SELECT counted FROM responses WHERE id='%s'", ID(2)),
		          "0");
		CHECK_INT(tu_qi(db, "SELECT SUM(den) FROM tally WHERE metric='resp'"), 5);
		sqlite3_close(db);
	}
	ax_store_close(st);

	/* opening again: nothing to do */
	CHECK_INT(ax_store_open(path, AX_STORE_READONLY, &st, err, sizeof err), AX_OK);
	CHECK_INT(ax_store_schema_version(st), AX_SCHEMA_VERSION);
	check_aw(st, 3, 3, 3);
	ax_store_close(st);
}

/* ---- v4 -> v6 ---------------------------------------------------------- */
static void import_all(ax_store *st, const struct tu_lines *L, long from, long to)
{
	ax_importer *im = NULL;
	struct ax_rec_outcome out;
	long ok = 0;
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	for (long i = from; i < to; i++) {
		REQUIRE(ax_importer_line(im, L->v[i], L->len[i], NULL, &out) == AX_OK);
		ok += out.result == AX_REC_ACCEPTED;
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
	CHECK_INT(ok, to - from);
}

/* Everything a reader sees, as text: reports (all-time, windowed, by
 * survey and channel, the full tree) and weekly trends. */
static char *views(ax_store *st)
{
	static const struct ax_report_opts opts[] = {
		{.depth = 4},
		{.depth = 4, .from = "2026-10-01", .to = "2026-10-12"},
		{.depth = 2, .survey = "satisfaction", .channel = "sms"},
		{.depth = 3, .survey = "aware-anti-drug", .from = "2026-09-25"},
		{.depth = 1, .to = "2026-10-05"},
	};
	size_t cap = 1 << 16, n = 0;
	char *out = malloc(cap);

	REQUIRE(out != NULL);
	out[0] = '\0';
	for (size_t i = 0; i < AX_ARRAY_LEN(opts); i++) {
		struct ax_report *r = NULL;
		char *j;
		REQUIRE(ax_report_build(st, &opts[i], &r) == AX_OK);
		REQUIRE((j = ax_report_json(r)) != NULL);
		while (n + strlen(j) + 2 > cap)
			REQUIRE((out = realloc(out, cap *= 2)));
		n += (size_t)sprintf(out + n, "%s\n", j);
		ax_free(j);
		ax_report_free(r);
	}
	{
		const char *regions[] = {COUNTY_DEMO, TOWN_DEMO};
		for (int k = 0; k < 2; k++) {
			struct ax_trend_week w[8];
			REQUIRE(ax_trend_weeks(st, regions[k], NULL, NULL, "2026-11-01",
			                       8, w) == AX_OK);
			for (int i = 0; i < 8; i++) {
				while (n + 200 > cap)
					REQUIRE((out = realloc(out, cap *= 2)));
				n += (size_t)sprintf(out + n, "%s %lld %lld/%lld %lld/%lld\n",
				                     w[i].from, w[i].respondents, w[i].aw_num,
				                     w[i].aw_den, w[i].sat_num, w[i].sat_den);
			}
		}
	}
	return out;
}

static void test_v4(void)
{
	const char *path = tu_path("v4.db"), *copy = tu_path("v4-copy.db");
	ax_store *st = NULL;
	struct tu_lines L = {0};
	struct ax_demo_opts o = {0};
	char err[256] = "", *before, *after;
	sqlite3 *db;
	long long nresp;

	CHECK_INT(ax__store_open_at(path, AX_STORE_CREATE, 4, &st, err, sizeof err),
	          AX_OK);
	REQUIRE(st != NULL);
	CHECK_INT(ax_store_schema_version(st), 4);
	tu_sample_store(st, 50);
	o.seed = 9;
	o.count = 4000;
	o.start = 1790000000; /* 2026-09-21 */
	o.days = 30;
	o.reach = 0.9;
	REQUIRE(ax_demo_records(st, &o, tu_collect, &L) == AX_OK);
	import_all(st, &L, 0, 3000);
	before = views(st);
	ax_store_close(st);
	st = NULL;
	{
		/* a byte copy of the v4 file to compare the migrated one with */
		char cmd[600];
		snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, copy);
		REQUIRE(system(cmd) == 0);
	}

	CHECK_INT(ax_store_open(path, 0, &st, err, sizeof err), AX_OK);
	REQUIRE(st != NULL);
	CHECK_INT(ax_store_schema_version(st), AX_SCHEMA_VERSION);
	CHECK_INT(AX_SCHEMA_VERSION, 20);
	after = views(st);
	CHECK_STR(after, before);
	free(after);

	db = tu_db_open(path);
	{
		char *sql = sqlite3_mprintf("ATTACH %Q AS old", copy);
		REQUIRE(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_free(sql);
	}
	CHECK_INT(tu_qi(db, "PRAGMA old.user_version"), 4);
	CHECK_INT(tu_qi(db, "PRAGMA user_version"), 20);
	/* v13 rebuilt regions (市/省 levels): the same rows, every reference
	 * to them still holding, and the new levels accepted */
	CHECK(tu_qi(db, "SELECT COUNT(*) FROM regions") > 100);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM (SELECT * FROM regions EXCEPT "
	                    "SELECT * FROM old.regions)"),
	          0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM regions"),
	          tu_qi(db, "SELECT COUNT(*) FROM old.regions"));
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM pragma_foreign_key_check"), 0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
	                    "('regions13', 'regions_parent')"),
	          1);
	CHECK(sqlite3_exec(ax_store_sqlite(st), "INSERT INTO regions VALUES("
	                   "'439900000000', '江州市', 0, NULL)",
	                   NULL, NULL, NULL) == SQLITE_OK);
	CHECK(sqlite3_exec(ax_store_sqlite(st), "INSERT INTO regions VALUES("
	                   "'430000000000', '某省', -2, NULL)",
	                   NULL, NULL, NULL) != SQLITE_OK);
	CHECK(sqlite3_exec(ax_store_sqlite(st),
	                   "DELETE FROM regions WHERE code = '439900000000'",
	                   NULL, NULL, NULL) == SQLITE_OK);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM drafts"), 0); /* v7 */
	/* v14: one stretch per household, from 0 (no known start), open while
	 * active, ended at its last update when not */
	CHECK(tu_qi(db, "SELECT COUNT(*) FROM households") > 100);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM household_periods p JOIN "
	                    "households h ON h.id = p.household AND h.grid = "
	                    "p.grid AND p.active_from = 0 AND p.active_to IS "
	                    "(CASE WHEN h.active THEN NULL ELSE h.updated_at END)"),
	          tu_qi(db, "SELECT COUNT(*) FROM households"));
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM household_periods"),
	          tu_qi(db, "SELECT COUNT(*) FROM households"));
	/* every row of every table kept, tally's rows whatever their key order */
	nresp = tu_qi(db, "SELECT COUNT(*) FROM responses");
	CHECK(nresp > 1500);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM old.responses"), nresp);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM (SELECT * FROM responses EXCEPT "
	                    "SELECT * FROM old.responses)"),
	          0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM (SELECT id, household, "
	                    "channel, kind, pack, device, at, body, received_at "
	                    "FROM contacts EXCEPT SELECT * FROM old.contacts)"),
	          0);
	/* v20: each contact's region, its household's grid */
	CHECK(tu_qi(db, "SELECT COUNT(*) FROM contacts") > 0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM contacts c JOIN old.households "
	                    "h ON h.id = c.household AND h.grid = c.region"),
	          tu_qi(db, "SELECT COUNT(*) FROM old.contacts"));
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM contacts"),
	          tu_qi(db, "SELECT COUNT(*) FROM old.contacts"));
	CHECK(tu_qi(db, "SELECT COUNT(*) FROM tally") > 1000);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM tally"),
	          tu_qi(db, "SELECT COUNT(*) FROM old.tally"));
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM (SELECT day, region, survey, "
	                    "wave, channel, metric, den, num, score FROM tally "
	                    "EXCEPT SELECT day, region, survey, wave, channel, "
	                    "metric, den, num, score FROM old.tally)"),
	          0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM (SELECT * FROM tally_total "
	                    "EXCEPT SELECT * FROM old.tally_total)"),
	          0);
	/* the new shape: keyed by day first, no second copy of the key, no
	 * index nobody reads; the ledger's index on contacts(at) stays */
	CHECK_INT(tu_qi(db, "SELECT pk FROM pragma_table_info('tally') WHERE "
	                    "name = 'day'"),
	          1);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM sqlite_master WHERE name IN "
	                    "('tally_day', 'responses_received', 'tally5')"),
	          0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = "
	                    "'contacts_at'"),
	          1);
	/* the importer's look-up of a household's counted response is
	 * answered by the index (v6), not by reading every answer's row */
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM pragma_index_info("
	                    "'responses_household') WHERE name = 'counted'"),
	          1);
	{
		sqlite3_stmt *q;
		char plan[512] = "";
		REQUIRE(sqlite3_prepare_v2(db, "EXPLAIN QUERY PLAN SELECT id, "
		                               "completed_at FROM responses WHERE "
		                               "household = ? AND survey = ? AND "
		                               "wave = ? AND counted = 1",
		                           -1, &q, NULL) == SQLITE_OK);
		while (sqlite3_step(q) == SQLITE_ROW)
			snprintf(plan + strlen(plan), sizeof plan - strlen(plan), "%s;",
			         (const char *)sqlite3_column_text(q, 3));
		sqlite3_finalize(q);
		CHECK(strstr(plan, "responses_household (household=? AND survey=? "
		                   "AND wave=? AND counted=?)") != NULL);
		if (!strstr(plan, "counted=?"))
			fprintf(stderr, "  plan: %s\n", plan);
	}
	CHECK_STR(tu_q(db, "PRAGMA integrity_check"), "ok");
	sqlite3_close(db);

	/* imports carry on from the migrated counts: the rest of the records
	 * (some displacing migrated ones) give the same views as importing
	 * everything into a fresh store */
	import_all(st, &L, 3000, L.n);
	after = views(st);
	ax_store_close(st);
	st = NULL;
	{
		const char *fresh = tu_path("fresh.db");
		char *want;
		CHECK_INT(ax_store_open(fresh, AX_STORE_CREATE, &st, err, sizeof err),
		          AX_OK);
		REQUIRE(st != NULL);
		tu_sample_store(st, 50);
		import_all(st, &L, 0, L.n);
		want = views(st);
		CHECK_STR(after, want);
		CHECK(strcmp(after, before) != 0); /* the second part counted */
		free(want);
		ax_store_close(st);
	}
	free(after);
	free(before);
	tu_lines_free(&L);
}

/* A file from a newer build is refused, untouched. */
static void test_newer(void)
{
	const char *path = tu_path("v99.db");
	ax_store *st = (ax_store *)&st; /* must come back NULL */
	char err[256] = "";
	sqlite3 *db = NULL;

	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "CREATE TABLE future(x); PRAGMA user_version=99;",
	                     NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);

	CHECK(ax_store_open(path, 0, &st, err, sizeof err) != AX_OK);
	CHECK(st == NULL);
	CHECK(strstr(err, "newer") != NULL);
	CHECK(strstr(err, "99") != NULL);
	if (!strstr(err, "newer"))
		fprintf(stderr, "  message: %s\n", err);
	db = tu_db_open(path);
	CHECK_INT(tu_qi(db, "PRAGMA user_version"), 99);
	sqlite3_close(db);
	/* read-only too */
	err[0] = '\0';
	st = (ax_store *)&st;
	CHECK(ax_store_open(path, AX_STORE_READONLY, &st, err, sizeof err) != AX_OK);
	CHECK(st == NULL);
	CHECK(err[0] != '\0');
}

/* A migration that fails half-way leaves the file at v1, whole. */
static void test_failed_migration(void)
{
	const char *path = tu_path("v1-broken.db");
	ax_store *st = NULL;
	char err[256] = "";
	sqlite3 *db;

	make_v1(path);
	/* something in the way of v2's CREATE TABLE tally */
	REQUIRE(sqlite3_open(path, &db) == SQLITE_OK);
	REQUIRE(sqlite3_exec(db, "CREATE TABLE tally(x)", NULL, NULL, NULL) ==
	        SQLITE_OK);
	sqlite3_close(db);

	CHECK(ax_store_open(path, 0, &st, err, sizeof err) != AX_OK);
	CHECK(st == NULL);
	CHECK(strstr(err, "migration to v2") != NULL);
	db = tu_db_open(path);
	CHECK_INT(tu_qi(db, "PRAGMA user_version"), 1);
	/* the ALTERs before the failing statement were rolled back too */
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM pragma_table_info('responses') "
	                    "WHERE name IN ('received_at', 'topics')"),
	          0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM response_topics"), 4);
	sqlite3_close(db);
}

/* Several processes open the same old file at once (anxin-smsd and anxin
 * sync starting together after an upgrade): each waits for the write lock
 * and must find the migrations the first one ran done, not run them again. */
static void test_concurrent_open(void)
{
	const char *path = tu_path("v1-concurrent.db");
	int go[2], i, ok = 0;
	pid_t kids[4];
	ax_store *st = NULL;
	char err[256] = "";

	make_v1(path);
	REQUIRE(pipe(go) == 0);
	for (i = 0; i < 4; i++) {
		REQUIRE((kids[i] = fork()) >= 0);
		if (kids[i] == 0) {
			char c, e[256] = "";
			ax_store *cs = NULL;
			close(go[1]);
			(void)!read(go[0], &c, 1); /* until the parent closes it */
			if (ax_store_open(path, 0, &cs, e, sizeof e) != AX_OK) {
				fprintf(stderr, "child %d: %s\n", i, e);
				_exit(1);
			}
			ax_store_close(cs);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]); /* all start together */
	for (i = 0; i < 4; i++) {
		int status = 0;
		REQUIRE(waitpid(kids[i], &status, 0) == kids[i]);
		ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
	}
	CHECK_INT(ok, 4);
	CHECK_INT(ax_store_open(path, AX_STORE_READONLY, &st, err, sizeof err), AX_OK);
	if (st) {
		CHECK_INT(ax_store_schema_version(st), AX_SCHEMA_VERSION);
		check_aw(st, 2, 3, 3); /* as test_migrate finds after v2 */
		ax_store_close(st);
	}
}

int main(void)
{
	tu_init();
	test_migrate();
	test_v4();
	test_newer();
	test_failed_migration();
	test_concurrent_open();
	return check_done();
}
