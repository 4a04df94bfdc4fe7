/*
 * test_pg_store.c -- central's schema on PostgreSQL (survey/src/store_pg.c)
 * on the `pg` fixture's cluster (ctest pg.store): argv[1] is the file
 * holding the cluster's URL.  The test makes its own database (anxin_store,
 * dropped first) so it never meets another test's tables.
 *
 *   - migrating an empty database gives version 5 (1 the schema, 2 the
 *     市/省 levels, 3 the roster's history, 4 sync_state, 5 the login
 *     limiter), again leaves it at 5;
 *   - every table has the columns, in order, of the same table in a fresh
 *     SQLite store (PRAGMA table_info, read here, not by the library), and
 *     every SQLite table is on PostgreSQL unless it is a device's own;
 *   - a response naming a region not in the tree is a constraint error;
 *   - regions take a province (level -1) and a city (0), nothing above;
 *   - every statement of the importer (records.c) prepares on it: its SQL
 *     is the shared dialect, names the schema's columns, types resolve;
 *   - a schema newer than the program's is refused, saying so.
 */
#include <sqlite3.h>

#include "db.h"
#include "pgtest.h"
#include "records_int.h"
#include "store_pg.h"
#include "testutil.h"

/* tables only a device store has: devices stay on SQLite (sync_state is
 * also central's: its devices' queue reports) */
static const char *const device_only[] = {"outbox", "drafts"};

static int is_device_only(const char *t)
{
	for (size_t i = 0; i < sizeof device_only / sizeof *device_only; i++)
		if (!strcmp(t, device_only[i]))
			return 1;
	return 0;
}

/* "a,b,c": a table's columns in order on PostgreSQL */
static void pg_columns(ax_db *db, const char *table, char *out, size_t n)
{
	ax_stmt *s;
	size_t k = 0;
	out[0] = '\0';
	REQUIRE(ax_db_prepare(db,
	                      "SELECT column_name FROM information_schema.columns"
	                      " WHERE table_schema = 'public' AND table_name = ?"
	                      " ORDER BY ordinal_position",
	                      &s) == AX_DB_OK);
	ax_stmt_bind_text(s, 1, table);
	while (ax_stmt_step(s) == AX_DB_ROW)
		k += (size_t)snprintf(out + k, n - k, "%s%s", k ? "," : "",
		                      ax_stmt_text(s, 0));
	ax_stmt_finalize(s);
}

static void sl_columns(sqlite3 *sl, const char *table, char *out, size_t n)
{
	char sql[128];
	sqlite3_stmt *s;
	size_t k = 0;
	out[0] = '\0';
	snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
	REQUIRE(sqlite3_prepare_v2(sl, sql, -1, &s, NULL) == SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW)
		k += (size_t)snprintf(out + k, n - k, "%s%s", k ? "," : "",
		                      (const char *)sqlite3_column_text(s, 1));
	sqlite3_finalize(s);
}

static void same_tables(ax_db *db)
{
	ax_store *st;
	sqlite3_stmt *s;
	int tables = 0;

	tu_init();
	REQUIRE(ax_store_open(tu_path("c.db"), AX_STORE_CREATE, &st, NULL, 0) ==
	        AX_OK);
	sqlite3 *sl = ax_store_sqlite(st);
	REQUIRE(sqlite3_prepare_v2(sl,
	                           "SELECT name FROM sqlite_master WHERE type = "
	                           "'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
	                           -1, &s, NULL) == SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		char a[2048], b[2048];
		if (is_device_only(t))
			continue;
		tables++;
		sl_columns(sl, t, a, sizeof a);
		pg_columns(db, t, b, sizeof b);
		if (strcmp(a, b))
			fprintf(stderr,
			        "table %s: SQLite has (%s), PostgreSQL (%s): change "
			        "survey/src/store_pg.c with store.c\n",
			        t, a, b[0] ? b : "no such table");
		CHECK_STR(b, a);
	}
	sqlite3_finalize(s);
	ax_store_close(st);
	/* 20 central tables (sync_state since PostgreSQL migration 4) and
	 * meta, by hand from store.c v14, v15's login_limits, v16's
	 * visits_undone and v19's household_reach */
	CHECK_INT(tables, 24);

	ax_stmt *q;
	REQUIRE(ax_db_prepare(db,
	                      "SELECT COUNT(*) FROM information_schema.tables"
	                      " WHERE table_schema = 'public'",
	                      &q) == AX_DB_OK);
	REQUIRE(ax_stmt_step(q) == AX_DB_ROW);
	CHECK_INT(ax_stmt_int64(q, 0), tables);
	ax_stmt_finalize(q);
}

int main(int argc, char **argv)
{
	char url[512] = "", err[512];
	ax_db *db;
	int v = -1;

	REQUIRE(argc > 1);
	pgt_own_db(argv[1], "anxin_store", url, sizeof url);
	REQUIRE(ax_db_open(url, &db, err, sizeof err) == AX_DB_OK);

	CHECK_INT(ax__pg_migrate(db, &v, err, sizeof err), AX_DB_OK);
	CHECK_INT(v, 10);
	v = -1;
	CHECK_INT(ax__pg_migrate(db, &v, err, sizeof err), AX_DB_OK);
	CHECK_INT(v, 10);

	same_tables(db);

	CHECK_INT(ax_db_exec(db,
	                     "INSERT INTO responses(id, survey, survey_version,"
	                     " wave, channel, device, region, status, body)"
	                     " VALUES('r1', 's', 1, 'w', 'kiosk', 'd', 'nowhere',"
	                     " 'complete', '{}')"),
	          AX_DB_ERROR);
	CHECK_INT(ax_db_errclass(db), AX_DB_ECONSTRAINT);

	/* migration 2: a province (-1) and a city (0) above the county, no
	 * level beyond; the county linked under its city */
	CHECK_INT(ax_db_exec(db, "INSERT INTO regions VALUES('430000000000',"
	                         " '南江省', -1, NULL), ('439900000000', '江州市',"
	                         " 0, '430000000000'), ('439901000000', '江州县',"
	                         " 1, '439900000000')"),
	          AX_DB_OK);
	CHECK_INT(ax_db_exec(db, "INSERT INTO regions VALUES('440000000000',"
	                         " '某省', -2, NULL)"),
	          AX_DB_ERROR);
	CHECK_INT(ax_db_errclass(db), AX_DB_ECONSTRAINT);
	CHECK_INT(ax_db_exec(db, "DELETE FROM regions"), AX_DB_OK);

	int nsql = 0;
	for (const char *q; (q = ax__importer_sql(nsql)); nsql++) {
		ax_stmt *s = NULL;
		if (ax_db_prepare(db, q, &s) != AX_DB_OK)
			fprintf(stderr, "importer statement %d: %s\n  %s\n", nsql,
			        ax_db_errmsg(db), q);
		CHECK(s != NULL);
		ax_stmt_finalize(s);
	}
	CHECK_INT(nsql, 16); /* up to S_LOCK_HH in records_int.h */

	REQUIRE(ax_db_exec(db, "UPDATE meta SET value = '99' WHERE key ="
	                       " 'schema_version'") == AX_DB_OK);
	CHECK_INT(ax__pg_migrate(db, &v, err, sizeof err), AX_DB_ERROR);
	CHECK(strstr(err, "version 99, newer") != NULL);
	ax_db_close(db);
	return check_done();
}
