/*
 * test_ingest.c -- the importer's batching stays exact: tally deltas
 * gathered for a whole batch (thousands of entries, the hash table
 * growing under them) and written in key order at commit equal the
 * counts recomputed from the stored responses; a batch resent changes
 * nothing; the per-transaction memo of households' grids never outlives
 * its transaction (a household moved between batches is credited to its
 * new grid); a file import larger than one batch commits every batch.
 * The tallies are also compared with figures worked out here from the raw
 * JSON records alone (raw_figures): which response counts, respondents
 * per survey, satisfied / answered -- not from the product's derived
 * columns.
 */
#include <jansson.h>

#include "anxin/content.h"
#include "anxin/demo.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin_int.h"
#include "testutil.h"
#include "rawfig.h"

/* The store's tally totals against raw_figures(L). */
static void check_raw_figures(sqlite3 *db, const struct tu_lines *L)
{
	struct raw_figures f = raw_figures(L);

	/* preconditions: the sample exercises every rule */
	CHECK(f.complete > 3000);
	CHECK(f.counted > 1000);
	CHECK(f.displaced > 50); /* households that answered twice */
	CHECK(f.sat_answered > 100);
	CHECK(f.sat_satisfied > 0 && f.sat_satisfied < f.sat_answered);
	CHECK_INT(tu_qi(db, "SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE "
	                    "metric = 'resp'"),
	          f.counted);
	CHECK_INT(tu_qi(db, "SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE "
	                    "metric = 'resp' AND survey = 'satisfaction'"),
	          f.sat_counted);
	CHECK_INT(tu_qi(db, "SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE "
	                    "metric = 'sat' AND survey = 'satisfaction'"),
	          f.sat_answered);
	CHECK_INT(tu_qi(db, "SELECT COALESCE(SUM(num), 0) FROM tally_total WHERE "
	                    "metric = 'sat' AND survey = 'satisfaction'"),
	          f.sat_satisfied);
}

/* Rows of tally that differ from the counts recomputed from the counted
 * responses, in either direction, for every metric; and rows of
 * tally_total that differ from tally summed over days. */
static long long tally_mismatches(sqlite3 *db)
{
	static const char recompute[] =
	    "SELECT day, region, survey, wave, channel, 'resp' AS metric,"
	    " COUNT(*) AS den, COUNT(*) AS num, 0.0 AS score FROM responses"
	    " WHERE counted GROUP BY 1,2,3,4,5"
	    " UNION ALL SELECT day, region, survey, wave, channel, 'sat',"
	    " COUNT(*), SUM(sat), TOTAL(score) FROM responses"
	    " WHERE counted AND sat IS NOT NULL GROUP BY 1,2,3,4,5";
	long long bad = 0;
	char sql[8192];

	/* the awareness rows come from the topics column ("t:1,u:0"):
	 * split with a recursive CTE */
	snprintf(sql, sizeof sql,
	         "WITH RECURSIVE split(day, region, survey, wave, channel, rest,"
	         " item) AS (SELECT day, region, survey, wave, channel,"
	         " topics || ',', NULL FROM responses WHERE counted AND topics"
	         " IS NOT NULL UNION ALL SELECT day, region, survey, wave,"
	         " channel, substr(rest, instr(rest, ',') + 1),"
	         " substr(rest, 1, instr(rest, ',') - 1) FROM split WHERE"
	         " rest <> ''),"
	         " want AS (%s UNION ALL SELECT day, region, survey, wave,"
	         " channel, 'aw:' || substr(item, 1, instr(item, ':') - 1),"
	         " COUNT(*), SUM(substr(item, instr(item, ':') + 1) = '1'), 0.0"
	         " FROM split WHERE item IS NOT NULL AND substr(item, 1, 1) NOT"
	         " IN ('#', '!') GROUP BY 1,2,3,4,5,6"
	         /* "#rate:2": answered (1 no, 2 yes) or don't know (3) */
	         " UNION ALL SELECT day, region, survey, wave, channel, 'r:' ||"
	         " substr(item, 2, instr(item, ':') - 2), COUNT(*),"
	         " SUM(substr(item, instr(item, ':') + 1) = '2'), 0.0 FROM split"
	         " WHERE substr(item, 1, 1) = '#' AND substr(item, instr(item,"
	         " ':') + 1) IN ('1', '2') GROUP BY 1,2,3,4,5,6"
	         " UNION ALL SELECT day, region, survey, wave, channel, 'dk:' ||"
	         " substr(item, 2, instr(item, ':') - 2), COUNT(*), 0, 0.0 FROM"
	         " split WHERE substr(item, 1, 1) = '#' AND substr(item,"
	         " instr(item, ':') + 1) = '3' GROUP BY 1,2,3,4,5,6"
	         /* "!satdk:1": satisfaction answered 说不清 */
	         " UNION ALL SELECT day, region, survey, wave, channel, 'satdk',"
	         " COUNT(*), 0, 0.0 FROM split WHERE item = '!satdk:1'"
	         " GROUP BY 1,2,3,4,5),"
	         " have AS (SELECT day, region, survey, wave, channel, metric,"
	         " den, num, score FROM tally WHERE den <> 0 OR num <> 0 OR"
	         " score <> 0)"
	         " SELECT (SELECT COUNT(*) FROM (SELECT day, region, survey, wave,"
	         " channel, metric, den, num, round(score, 6) FROM want EXCEPT"
	         " SELECT day, region, survey, wave, channel, metric, den, num,"
	         " round(score, 6) FROM have)) + (SELECT COUNT(*) FROM (SELECT"
	         " day, region, survey, wave, channel, metric, den, num,"
	         " round(score, 6) FROM have EXCEPT SELECT day, region, survey,"
	         " wave, channel, metric, den, num, round(score, 6) FROM want))",
	         recompute);
	{
		sqlite3_stmt *s;
		REQUIRE(sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK);
		REQUIRE(sqlite3_step(s) == SQLITE_ROW);
		bad += sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	bad += tu_qi(db,
	             "SELECT COUNT(*) FROM (SELECT region, survey, wave, channel,"
	             " metric, SUM(den), SUM(num), round(TOTAL(score), 6) FROM tally"
	             " GROUP BY 1,2,3,4,5 EXCEPT SELECT region, survey, wave,"
	             " channel, metric, den, num, round(score, 6) FROM tally_total)");
	bad += tu_qi(db,
	             "SELECT COUNT(*) FROM (SELECT region, survey, wave, channel,"
	             " metric, den, num, round(score, 6) FROM tally_total WHERE"
	             " den <> 0 OR num <> 0 OR score <> 0 EXCEPT SELECT region,"
	             " survey, wave, channel, metric, SUM(den), SUM(num),"
	             " round(TOTAL(score), 6) FROM tally GROUP BY 1,2,3,4,5)");
	return bad;
}

static long import_lines(ax_importer *im, const struct tu_lines *L, long from,
                         long to, enum ax_rec_result want)
{
	struct ax_rec_outcome out;
	long ok = 0;
	REQUIRE(ax_importer_begin(im) == AX_OK);
	for (long i = from; i < to; i++) {
		REQUIRE(ax_importer_line(im, L->v[i], L->len[i], NULL, &out) == AX_OK);
		if (out.result == want)
			ok++;
		else
			fprintf(stderr, "  line %ld: %s %s\n", i,
			        ax_rec_result_name(out.result), out.reason);
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	return ok;
}

/* 6,000 records, most in one batch, then again: exact, then unchanged. */
static void test_big_batch(void)
{
	const char *path = tu_path("batch.db");
	ax_store *st = NULL;
	ax_importer *im = NULL;
	struct tu_lines L = {0};
	char err[256] = "";
	sqlite3 *db;
	long long ntally, nresp, ncounted;

	REQUIRE(ax_store_open(path, AX_STORE_CREATE, &st, err, sizeof err) == AX_OK);
	tu_sample_store(st, 40);
	demo_lines(st, 3, 6000, 40, &L);
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	/* a third in one small batch, the rest in one big one */
	CHECK_INT(import_lines(im, &L, 0, 2000, AX_REC_ACCEPTED), 2000);
	CHECK_INT(import_lines(im, &L, 2000, L.n, AX_REC_ACCEPTED), L.n - 2000);

	db = tu_db_open(path);
	nresp = tu_qi(db, "SELECT COUNT(*) FROM responses");
	ncounted = tu_qi(db, "SELECT COUNT(*) FROM responses WHERE counted");
	ntally = tu_qi(db, "SELECT COUNT(*) FROM tally");
	CHECK(nresp > 3000);
	/* households answered their surveys more than once: some displaced,
	 * and something is counted */
	CHECK(ncounted > 0 && ncounted < nresp);
	CHECK(ntally > 2000); /* the delta table grew well past its first size */
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses r WHERE counted AND "
	                    "household IS NOT NULL AND EXISTS (SELECT 1 FROM "
	                    "responses e WHERE e.household = r.household AND "
	                    "e.survey = r.survey AND e.wave = r.wave AND e.status "
	                    "= 'complete' AND (e.completed_at < r.completed_at OR "
	                    "(e.completed_at = r.completed_at AND e.id < r.id)))"),
	          0);
	CHECK_INT(tally_mismatches(db), 0);
	check_raw_figures(db, &L);

	/* the same records again, in one batch: duplicates, nothing moves */
	CHECK_INT(import_lines(im, &L, 0, L.n, AX_REC_DUPLICATE), L.n);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM responses"), nresp);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM tally"), ntally);
	CHECK_INT(tally_mismatches(db), 0);
	check_raw_figures(db, &L);
	sqlite3_close(db);
	ax_importer_free(im);
	ax_store_close(st);
	tu_lines_free(&L);
}

/* A household moved to another grid between two batches of one importer
 * (a roster re-import by another connection) is credited to its new grid
 * in the second batch: the memo of grids did not outlive the first. */
static void test_memo_per_transaction(void)
{
	const char *path = tu_path("memo.db");
	ax_store *st = NULL;
	ax_importer *im = NULL;
	struct ax_rec_outcome out;
	char err[256] = "", line[1024], hh[64], g1[64], g2[64];
	sqlite3 *db, *w;

	REQUIRE(ax_store_open(path, AX_STORE_CREATE, &st, err, sizeof err) == AX_OK);
	tu_sample_store(st, 40);
	db = tu_db_open(path);
	snprintf(hh, sizeof hh, "%s", tu_q(db, "SELECT id FROM households ORDER BY id LIMIT 1"));
	snprintf(g1, sizeof g1, "%s", tu_q(db, "SELECT grid FROM households WHERE id='%s'", hh));
	snprintf(g2, sizeof g2, "%s", tu_q(db, "SELECT code FROM regions WHERE level = 4 AND code <> '%s' ORDER BY code DESC LIMIT 1", g1));
	CHECK(strcmp(g1, g2) != 0);
	REQUIRE(ax_importer_new(st, &im) == AX_OK);

#define RESP(n, survey, answers)                                              \
	snprintf(line, sizeof line,                                            \
	         "{\"type\":\"response\",\"id\":\"c0000000-0000-4000-8000-%012d\"," \
	         "\"survey\":\"%s\",\"survey_version\":1,\"channel\":\"visit\","   \
	         "\"device\":\"v1\",\"household\":\"%s\",\"started_at\":"        \
	         "\"2026-11-20T09:00:00+08:00\",\"completed_at\":"              \
	         "\"2026-11-20T09:30:00+08:00\",\"status\":\"complete\","       \
	         "\"answers\":%s}",                                              \
	         n, survey, hh, answers)
	REQUIRE(ax_importer_begin(im) == AX_OK);
	RESP(1, "aware-anti-drug", "{\"q1\":\"2\"}");
	REQUIRE(ax_importer_line(im, line, strlen(line), NULL, &out) == AX_OK);
	CHECK_STR(ax_rec_result_name(out.result), "accepted");
	REQUIRE(ax_importer_commit(im) == AX_OK);

	REQUIRE(sqlite3_open(path, &w) == SQLITE_OK);
	sqlite3_busy_timeout(w, 5000);
	{
		char *sql = sqlite3_mprintf("UPDATE households SET grid = %Q WHERE id = %Q",
		                            g2, hh);
		REQUIRE(sqlite3_exec(w, sql, NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_free(sql);
	}
	sqlite3_close(w);

	REQUIRE(ax_importer_begin(im) == AX_OK);
	RESP(2, "aware-anti-cult", "{\"q1\":\"1\"}");
	REQUIRE(ax_importer_line(im, line, strlen(line), NULL, &out) == AX_OK);
	CHECK_STR(ax_rec_result_name(out.result), "accepted");
	REQUIRE(ax_importer_commit(im) == AX_OK);
#undef RESP
	CHECK_STR(tu_q(db, "SELECT region FROM responses WHERE id = "
	                   "'c0000000-0000-4000-8000-000000000001'"), g1);
	CHECK_STR(tu_q(db, "SELECT region FROM responses WHERE id = "
	                   "'c0000000-0000-4000-8000-000000000002'"), g2);
	CHECK_INT(tally_mismatches(db), 0);
	sqlite3_close(db);
	ax_importer_free(im);
	ax_store_close(st);
}

/* A file of more records than one batch holds: every batch committed. */
static void test_file_batches(void)
{
	const char *path = tu_path("file.db"), *rec = tu_path("records.jsonl");
	ax_store *st = NULL;
	struct tu_lines L = {0};
	struct ax_demo_opts o = {0};
	struct ax_records_stats stats;
	char err[256] = "";
	FILE *f;
	sqlite3 *db;

	REQUIRE(ax_store_open(path, AX_STORE_CREATE, &st, err, sizeof err) == AX_OK);
	tu_sample_store(st, 40);
	o.seed = 5;
	o.count = 2000; /* three batches of 700 and one of 100 */
	ax__import_batch = 700;
	o.start = 1790000000;
	o.days = 30;
	o.reach = 0.9;
	REQUIRE(ax_demo_records(st, &o, tu_collect, &L) == AX_OK);
	REQUIRE((f = fopen(rec, "wb")) != NULL);
	for (long i = 0; i < L.n; i++)
		fprintf(f, "%s\n", L.v[i]);
	fclose(f);
	REQUIRE(ax_records_import_file(st, rec, NULL, NULL, &stats) == AX_OK);
	ax__import_batch = 50000;
	CHECK_INT(stats.accepted, L.n);
	db = tu_db_open(path);
	CHECK_INT(tu_qi(db, "SELECT (SELECT COUNT(*) FROM responses) + "
	                    "(SELECT COUNT(*) FROM contacts)"),
	          L.n);
	CHECK_INT(tally_mismatches(db), 0);
	{
		/* batches of 700 still count each household once overall */
		struct raw_figures rf = raw_figures(&L);
		CHECK(rf.displaced > 0);
		CHECK_INT(tu_qi(db, "SELECT COALESCE(SUM(den), 0) FROM tally_total "
		                    "WHERE metric = 'resp'"),
		          rf.counted);
	}
	sqlite3_close(db);
	ax_store_close(st);
	tu_lines_free(&L);
}

int main(void)
{
	tu_init();
	test_big_batch();
	test_memo_per_transaction();
	test_file_batches();
	return check_done();
}
