/*
 * test_db.c -- the statement layer (survey/src/db.h), the same checks on
 * each backend: SQLite in a scratch file (ctest unit.db, label sqlite),
 * PostgreSQL when the first argument names a file holding a
 * postgresql:// URL (ctest pg.unit.db, on the `pg` fixture's cluster).
 * Every expected value is worked out by hand from the rows inserted here.
 */
#include <time.h>

#include "db.h"
#include "testutil.h"

static ax_db *db;

/* one row of SELECT k, n, x, note FROM dbt ORDER BY n */
static void expect_row(ax_stmt *s, const char *k, int64_t n, const char *x,
                       const char *note)
{
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	CHECK_STR(ax_stmt_text(s, 0), k);
	CHECK_INT(ax_stmt_int64(s, 1), n);
	if (x) {
		CHECK(!ax_stmt_is_null(s, 2));
		CHECK_NEAR(ax_stmt_double(s, 2), atof(x), 1e-12);
	} else {
		CHECK(ax_stmt_is_null(s, 2));
	}
	if (note)
		CHECK_STR(ax_stmt_text(s, 3), note);
	else
		CHECK(ax_stmt_text(s, 3) == NULL);
}

static int64_t one_int(const char *sql)
{
	ax_stmt *s;
	REQUIRE(ax_db_prepare(db, sql, &s) == AX_DB_OK);
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	int64_t v = ax_stmt_int64(s, 0);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	ax_stmt_finalize(s);
	return v;
}

static void numbering(void)
{
	int n = -1;
	char *o = ax_db_number_params(
		"SELECT '?', \"a?\", 'it''s ?', ? -- what?\n, ?", &n, NULL, 0);
	CHECK_STR(o, "SELECT '?', \"a?\", 'it''s ?', $1 -- what?\n, $2");
	CHECK_INT(n, 2);
	free(o);
	o = ax_db_number_params("SELECT 1", &n, NULL, 0);
	CHECK_STR(o, "SELECT 1");
	CHECK_INT(n, 0);
	free(o);
	/* SQLite's numbered form: ?N is $N, a bare ? one more than the most */
	unsigned char used[5];
	o = ax_db_number_params("VALUES(?1,?2,?4) WHERE ?2 < ?", &n, used, 5);
	CHECK_STR(o, "VALUES($1,$2,$4) WHERE $2 < $5");
	CHECK_INT(n, 5);
	CHECK(used[0] && used[1] && !used[2] && used[3] && used[4]);
	free(o);
	CHECK(ax_db_is_pg_url("postgresql://u@h:5432/d"));
	CHECK(ax_db_is_pg_url("postgres://h/d"));
	CHECK(!ax_db_is_pg_url("county.db"));
	CHECK(!ax_db_is_pg_url("/srv/postgresql/county.db"));
}

static void insert(ax_stmt *s, const char *k, int64_t n, const double *x,
                   const char *note)
{
	CHECK_INT(ax_stmt_reset(s), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 1, k), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 2, n), AX_DB_OK);
	CHECK_INT(x ? ax_stmt_bind_double(s, 3, *x) : ax_stmt_bind_null(s, 3),
	          AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 4, note), AX_DB_OK);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 1);
}

static void rows(void)
{
	char ddl[512];
	ax_stmt *s;
	const double half = 0.5, q = 2.25;
	const int64_t big = (int64_t)1 << 40; /* 1099511627776 */

	REQUIRE(ax_db_exec(db, "DROP TABLE IF EXISTS dbt") == AX_DB_OK);
	snprintf(ddl, sizeof ddl,
	         "CREATE TABLE dbt(k TEXT PRIMARY KEY, n %s NOT NULL, x %s,"
	         " note TEXT)",
	         ax_db_sql(db, AX_SQL_INT64), ax_db_sql(db, AX_SQL_REAL));
	REQUIRE(ax_db_exec(db, ddl) == AX_DB_OK);

	/* three rows in one transaction, one statement rebound */
	REQUIRE(ax_db_begin(db) == AX_DB_OK);
	REQUIRE(ax_db_prepare(db, "INSERT INTO dbt(k, n, x, note) VALUES(?, ?, ?, ?)",
	                      &s) == AX_DB_OK);
	insert(s, "甲", 1, &half, "一");
	insert(s, "乙", big, NULL, NULL);
	insert(s, "丙", -3, &q, "it's ?");
	REQUIRE(ax_db_commit(db) == AX_DB_OK);

	/* the same key again: a constraint error, outside a transaction */
	CHECK_INT(ax_stmt_reset(s), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 1, "甲"), AX_DB_OK);
	CHECK_INT(ax_stmt_step(s), AX_DB_ERROR);
	CHECK_INT(ax_db_errclass(db), AX_DB_ECONSTRAINT);
	CHECK(ax_db_errmsg(db)[0] != '\0');
	ax_stmt_finalize(s);

	/* tally-style upsert: 甲 1 + 10 = 11, 丁 new with 4 */
	REQUIRE(ax_db_prepare(db,
	                      "INSERT INTO dbt(k, n) VALUES(?, ?) ON CONFLICT(k)"
	                      " DO UPDATE SET n = dbt.n + excluded.n",
	                      &s) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 1, "甲"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 2, 10), AX_DB_OK);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 1);
	CHECK_INT(ax_stmt_reset(s), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 1, "丁"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 2, 4), AX_DB_OK);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 1);
	ax_stmt_finalize(s);

	/* a statement skipping ?3, the third bound all the same (the
	 * importer's tally_total binds the day it does not use): 丁 4 + 2 = 6 */
	REQUIRE(ax_db_prepare(db,
	                      "INSERT INTO dbt(k, n) VALUES(?1, ?2) ON CONFLICT(k)"
	                      " DO UPDATE SET n = dbt.n + excluded.n",
	                      &s) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 1, "丁"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 2, 2), AX_DB_OK);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	ax_stmt_finalize(s);
	REQUIRE(ax_db_prepare(db,
	                      "UPDATE dbt SET n = n - ?2 WHERE k = ?1 AND ?4 = 'x'",
	                      &s) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 1, "丁"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 2, 2), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 3, "unused"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 4, "x"), AX_DB_OK);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 1); /* 丁 back to 4 */
	ax_stmt_finalize(s);

	/* rolled back: 戊 is not kept */
	REQUIRE(ax_db_begin(db) == AX_DB_OK);
	REQUIRE(ax_db_exec(db, "INSERT INTO dbt(k, n) VALUES('戊', 5)") == AX_DB_OK);
	REQUIRE(ax_db_rollback(db) == AX_DB_OK);
	CHECK_INT(one_int("SELECT COUNT(*) FROM dbt"), 4);

	REQUIRE(ax_db_prepare(db, "SELECT k, n, x, note FROM dbt ORDER BY n", &s) ==
	        AX_DB_OK);
	CHECK_INT(ax_stmt_columns(s), 4);
	expect_row(s, "丙", -3, "2.25", "it's ?");
	expect_row(s, "丁", 4, NULL, NULL);
	expect_row(s, "甲", 11, "0.5", "一");
	expect_row(s, "乙", big, NULL, NULL);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 0);
	ax_stmt_finalize(s);

	/* -3 + 4 + 11 + 2^40 */
	CHECK_INT(one_int("SELECT SUM(n) FROM dbt"), 1099511627788LL);

	/* a bound integer is 64-bit in arithmetic too */
	REQUIRE(ax_db_prepare(db, "SELECT ? + 1", &s) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 1, big), AX_DB_OK);
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	CHECK_INT(ax_stmt_int64(s, 0), 1099511627777LL);
	/* and again, rebound, on the same statement */
	CHECK_INT(ax_stmt_reset(s), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 1, 41), AX_DB_OK);
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	CHECK_INT(ax_stmt_int64(s, 0), 42);
	ax_stmt_finalize(s);

	/* an update's count: 丁 (4), 甲 (11), 乙 (2^40) are above 0 */
	REQUIRE(ax_db_prepare(db, "UPDATE dbt SET n = n + 1 WHERE n > ?", &s) ==
	        AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(s, 1, 0), AX_DB_OK);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 3);
	ax_stmt_finalize(s);
	CHECK_INT(one_int("SELECT n FROM dbt WHERE k = '甲'"), 12);

	/* NULL bound: x is NULL for 乙 and 丁 */
	REQUIRE(ax_db_prepare(db, "SELECT COUNT(*) FROM dbt WHERE x IS NOT DISTINCT FROM ?",
	                      &s) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_null(s, 1), AX_DB_OK);
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	CHECK_INT(ax_stmt_int64(s, 0), 2);
	ax_stmt_finalize(s);
	CHECK_INT(ax_db_exec(db, "DROP TABLE dbt"), AX_DB_OK);
}

/* statements of this text the server keeps prepared on this connection */
static int64_t kept(const char *sql)
{
	ax_stmt *s;
	int64_t n;
	REQUIRE(ax_db_prepare(db, "SELECT COUNT(*) FROM pg_prepared_statements "
	                          "WHERE statement = ?", &s) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(s, 1, sql), AX_DB_OK);
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	n = ax_stmt_int64(s, 0);
	ax_stmt_finalize(s);
	return n;
}

/* A text prepared again after its statement was finalized (a report's
 * statements, every request): the same answers, rebound with other
 * types too; on PostgreSQL the server statement is kept and reused, not
 * prepared anew each time (before: deallocated at finalize, none kept). */
static void reuse(void)
{
	const char *sql = "SELECT ? || '', ?2 + 1";
	const char *num = "SELECT $1 || '', $2 + 1"; /* as the server sees it */
	ax_stmt *a, *b;
	for (int i = 0; i < 50; i++) {
		REQUIRE(ax_db_prepare(db, sql, &a) == AX_DB_OK);
		CHECK_INT(ax_stmt_bind_text(a, 1, "x"), AX_DB_OK);
		CHECK_INT(ax_stmt_bind_int64(a, 2, i), AX_DB_OK);
		REQUIRE(ax_stmt_step(a) == AX_DB_ROW);
		CHECK_STR(ax_stmt_text(a, 0), "x");
		CHECK_INT(ax_stmt_int64(a, 1), i + 1);
		ax_stmt_finalize(a);
	}
	/* two of the same text at once, each its own: 7 + 1, 2.5 + 1 */
	REQUIRE(ax_db_prepare(db, sql, &a) == AX_DB_OK);
	REQUIRE(ax_db_prepare(db, sql, &b) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(a, 1, "a"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(a, 2, 7), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(b, 1, "b"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_double(b, 2, 2.5), AX_DB_OK);
	REQUIRE(ax_stmt_step(a) == AX_DB_ROW);
	REQUIRE(ax_stmt_step(b) == AX_DB_ROW);
	CHECK_STR(ax_stmt_text(a, 0), "a");
	CHECK_INT(ax_stmt_int64(a, 1), 8);
	CHECK_STR(ax_stmt_text(b, 0), "b");
	CHECK_NEAR(ax_stmt_double(b, 1), 3.5, 1e-12);
	ax_stmt_finalize(a);
	ax_stmt_finalize(b);
	if (ax_db_kind_of(db) == AX_DB_PG)
		CHECK_INT(kept(num), 2);
	/* taken back as last run (double): bound an integer, right again */
	REQUIRE(ax_db_prepare(db, sql, &a) == AX_DB_OK);
	CHECK_INT(ax_stmt_bind_text(a, 1, "c"), AX_DB_OK);
	CHECK_INT(ax_stmt_bind_int64(a, 2, 41), AX_DB_OK);
	REQUIRE(ax_stmt_step(a) == AX_DB_ROW);
	CHECK_INT(ax_stmt_int64(a, 1), 42);
	ax_stmt_finalize(a);
}

static void pieces(void)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT %s", ax_db_sql(db, AX_SQL_NOW_EPOCH));
	int64_t now = (int64_t)time(NULL), t = one_int(sql);
	CHECK(t >= now - 5 && t <= now + 5);

	/* a syntax error is found when preparing, not later */
	ax_stmt *s = NULL;
	CHECK_INT(ax_db_prepare(db, "SELEC 1", &s), AX_DB_ERROR);
	CHECK(s == NULL);
	CHECK_INT(ax_db_errclass(db), AX_DB_EOTHER);
	CHECK(strstr(ax_db_errmsg(db), "SELEC") != NULL ||
	      strstr(ax_db_errmsg(db), "syntax") != NULL);

	/* a server that is not there: an error naming why, no handle */
	ax_db *bad = (ax_db *)1;
	char err[256] = "";
	CHECK_INT(ax_db_open("postgresql://anxin@127.0.0.1:1/anxin?connect_timeout=2",
	                     &bad, err, sizeof err),
	          AX_DB_ERROR);
	CHECK(bad == NULL);
	CHECK(err[0] != '\0');

	/* a store URL is a PostgreSQL store (issue 19): nothing listens on
	 * port 1, so it fails saying it could not connect (before, it was
	 * looked for as a file: "unable to open database file") */
	ax_store *st = (ax_store *)1;
	err[0] = '\0';
	CHECK_INT(ax_store_open("postgresql://anxin@127.0.0.1:1/anxin"
	                        "?connect_timeout=2",
	                        AX_STORE_CREATE, &st, err, sizeof err),
	          AX_IO);
	CHECK(st == NULL);
	CHECK(strstr(err, "127.0.0.1") != NULL);
	CHECK(strstr(err, "unable to open") == NULL);
}

int main(int argc, char **argv)
{
	char url[512] = "", err[256];

	numbering();
	if (argc > 1) {
		FILE *f = fopen(argv[1], "r");
		REQUIRE(f && fgets(url, sizeof url, f));
		fclose(f);
		url[strcspn(url, "\n")] = '\0';
		REQUIRE(ax_db_is_pg_url(url));
	} else {
		tu_init();
		snprintf(url, sizeof url, "%s", tu_path("db.db"));
	}
	if (ax_db_open(url, &db, err, sizeof err) != AX_DB_OK) {
		fprintf(stderr, "%s: %s\n", url, err);
		return 1;
	}
	CHECK_INT(ax_db_kind_of(db), argc > 1 ? AX_DB_PG : AX_DB_SQLITE);
	rows();
	reuse();
	pieces();
	ax_db_close(db);
	return check_done();
}
