/*
 * test_pg_store.c -- central's schema on PostgreSQL (survey/src/store_pg.c)
 * on the `pg` fixture's cluster (ctest pg.store): argv[1] is the file
 * holding the cluster's URL.  The test makes its own database (anxin_store,
 * dropped first) so it never meets another test's tables.
 *
 *   - migrating an empty database gives version 11 (1 the schema, 2 the
 *     市/省 levels, 3 the roster's history, 4 sync_state, 5 the login
 *     limiter, ... 11 the partitions by county), again leaves it at 11;
 *   - every table has the columns, in order, of the same table in a fresh
 *     SQLite store (PRAGMA table_info, read here, not by the library), and
 *     every SQLite table is on PostgreSQL unless it is a device's own;
 *   - responses and contacts are partitioned by county (a partition made
 *     as the county's row enters regions, rows already stored for it
 *     moved in), the id unique across partitions, freed when deleted;
 *     a database at version 10 with rows migrates them into place;
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

/* the first column of one row, as a number or as text (static buffer) */
static long long qi(ax_db *db, const char *sql)
{
	ax_stmt *s;
	long long v = -1;
	if (ax_db_prepare(db, sql, &s) != AX_DB_OK) {
		fprintf(stderr, "%s: %s\n", sql, ax_db_errmsg(db));
		return -1;
	}
	if (ax_stmt_step(s) == AX_DB_ROW)
		v = ax_stmt_int64(s, 0);
	ax_stmt_finalize(s);
	return v;
}

static const char *qt(ax_db *db, const char *sql)
{
	static char out[512];
	ax_stmt *s;
	out[0] = '\0';
	if (ax_db_prepare(db, sql, &s) != AX_DB_OK) {
		fprintf(stderr, "%s: %s\n", sql, ax_db_errmsg(db));
		return out;
	}
	if (ax_stmt_step(s) == AX_DB_ROW && ax_stmt_text(s, 0))
		snprintf(out, sizeof out, "%s", ax_stmt_text(s, 0));
	ax_stmt_finalize(s);
	return out;
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

	/* and on PostgreSQL only (migration 11): the ids of responses and
	 * contacts, and the two tables' DEFAULT partitions (no county yet) */
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM information_schema.tables"
	                 " WHERE table_schema = 'public'"),
	          tables + 4);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM information_schema.tables"
	                 " WHERE table_schema = 'public' AND table_name IN"
	                 " ('response_ids', 'contact_ids', 'responses_default',"
	                 " 'contacts_default')"),
	          4);
}

/* a province, a city, two counties and a township in each */
#define TWO_COUNTIES                                                            \
	" ('430000000000', '南江省', -1, NULL),"                                   \
	" ('439900000000', '江州市', 0, '430000000000'),"                          \
	" ('439901000000', '江州县', 1, '439900000000'),"                          \
	" ('439901101000', '城关镇', 2, '439901000000'),"                          \
	" ('439902000000', '青山县', 1, '439900000000'),"                          \
	" ('439902101000', '青山镇', 2, '439902000000')"

/* migration 11: responses and contacts partitioned by county, the id
 * unique across them.  Every figure by hand from the rows written here. */
static void partitions(ax_db *db)
{
	ax_stmt *s;
	REQUIRE(ax_db_exec(db,
	                   "INSERT INTO regions VALUES" TWO_COUNTIES ","
	                   /* a township whose county is not in the tree yet */
	                   " ('439903101000', '白水镇', 2, NULL)") == AX_DB_OK);
	/* a partition for each county, none for the city or the lone town */
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM pg_inherits i JOIN pg_class c ON"
	                 " c.oid = i.inhrelid WHERE i.inhparent = 'responses'::regclass"),
	          3); /* 439901, 439902, DEFAULT */
	CHECK_STR(qt(db, "SELECT pg_get_expr(relpartbound, oid) FROM pg_class"
	                 " WHERE relname = 'contacts_c439902'"),
	          "FOR VALUES FROM ('439902') TO ('439902:')");
	/* one response in each county, one at the city's own code, one in
	 * the town with no county */
	REQUIRE(ax_db_exec(db,
	                   "INSERT INTO responses(id, survey, survey_version, wave,"
	                   " channel, device, region, status, body) VALUES"
	                   " ('r1', 's', 1, 'w', 'kiosk', 'd', '439901101000', 'complete', 'a'),"
	                   " ('r2', 's', 1, 'w', 'kiosk', 'd', '439902101000', 'complete', 'b'),"
	                   " ('r3', 's', 1, 'w', 'kiosk', 'd', '439900000000', 'complete', 'c'),"
	                   " ('r4', 's', 1, 'w', 'kiosk', 'd', '439903101000', 'complete', 'd')") ==
	        AX_DB_OK);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses_c439901"), 1);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses_c439902"), 1);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses_default"), 2);
	/* r1 again, from the other county: the importer's statement writes
	 * nothing (a conflict for the importer to report), in any county */
	REQUIRE(ax_db_prepare(db, ax__importer_sql(S_INS_RESP), &s) == AX_DB_OK);
	ax_stmt_bind_text(s, 1, "r1");
	ax_stmt_bind_text(s, 2, "s");
	ax_stmt_bind_int64(s, 3, 1);
	ax_stmt_bind_text(s, 4, "w");
	ax_stmt_bind_text(s, 5, "kiosk");
	ax_stmt_bind_text(s, 6, "d");
	ax_stmt_bind_null(s, 7);
	ax_stmt_bind_text(s, 8, "439902101000");
	ax_stmt_bind_text(s, 11, "complete");
	ax_stmt_bind_text(s, 15, "other");
	ax_stmt_bind_int64(s, 18, 0);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 0);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses WHERE id = 'r1'"), 1);
	CHECK_STR(qt(db, "SELECT body FROM responses WHERE id = 'r1'"), "a");
	/* the town's county arrives: its row moves out of the DEFAULT
	 * partition into the county's new one */
	REQUIRE(ax_db_exec(db, "INSERT INTO regions VALUES ('439903000000',"
	                       " '白水县', 1, '439900000000')") == AX_DB_OK);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses_c439903"), 1);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM contacts_c439903"), 0);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses_default"), 1);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses"), 4);
	/* deleted, its id is free again: now it goes in, in the other county */
	REQUIRE(ax_db_exec(db, "DELETE FROM responses WHERE id = 'r1'") == AX_DB_OK);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM response_ids"), 3);
	ax_stmt_reset(s);
	CHECK_INT(ax_stmt_step(s), AX_DB_DONE);
	CHECK_INT(ax_stmt_changes(s), 1);
	ax_stmt_finalize(s);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM responses_c439902"), 2);
	/* contacts: by the region the importer gives (none: DEFAULT) */
	REQUIRE(ax_db_exec(db,
	                   "INSERT INTO households(id, grid, updated_at) VALUES"
	                   " ('H1', '439901101000', 0)") == AX_DB_OK);
	REQUIRE(ax_db_exec(db,
	                   "INSERT INTO contacts VALUES"
	                   " ('c1', 'H1', 'sms', 'sms_sent', NULL, 'd', 1, '{}', 1, '439901101000'),"
	                   " ('c2', 'H1', 'sms', 'sms_sent', NULL, 'd', 2, '{}', 2, NULL)") ==
	        AX_DB_OK);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM contacts_c439901"), 1);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM contacts_default"), 1);
	/* c1 again in another county: skipped by contact_ids */
	REQUIRE(ax_db_exec(db,
	                   "INSERT INTO contacts VALUES"
	                   " ('c1', 'H1', 'sms', 'sms_sent', NULL, 'd', 1, '{}', 1, '439902101000')"
	                   " ON CONFLICT DO NOTHING") == AX_DB_OK);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM contacts"), 2);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM household_reach"), 1);
	REQUIRE(ax_db_exec(db, "DELETE FROM contacts; DELETE FROM responses;"
	                       " DELETE FROM household_periods; DELETE FROM households;"
	                       " DELETE FROM regions") == AX_DB_OK);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM response_ids"), 0);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM contact_ids"), 0);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM household_reach"), 0);
}

/* migration 11 on a database version 10 left with rows in it: each row
 * into its county's partition (a contact by its household's grid), the
 * ids into their tables, household_reach as it was, the triggers on. */
static void from_v10(const char *urlfile)
{
	char url[512] = "", err[512];
	ax_db *db;
	int v = -1;

	pgt_own_db(urlfile, "anxin_store10", url, sizeof url);
	REQUIRE(ax_db_open(url, &db, err, sizeof err) == AX_DB_OK);
	CHECK_INT(ax__pg_migrate_to(db, 10, &v, err, sizeof err), AX_DB_OK);
	CHECK_INT(v, 10);
	REQUIRE(ax_db_exec(db,
	                   "INSERT INTO regions VALUES" TWO_COUNTIES ";"
	                   "INSERT INTO households(id, grid, updated_at) VALUES"
	                   " ('H1', '439901101000', 0), ('H2', '439902101000', 0);"
	                   "INSERT INTO responses(id, survey, survey_version, wave,"
	                   " channel, device, household, region, status, body) VALUES"
	                   " ('r1', 's', 1, 'w', 'kiosk', 'd', 'H1', '439901101000', 'complete', 'a'),"
	                   " ('r2', 's', 1, 'w', 'kiosk', 'd', 'H2', '439902101000', 'complete', 'b'),"
	                   " ('r3', 's', 1, 'w', 'kiosk', 'd', NULL, '439900000000', 'complete', 'c');"
	                   "INSERT INTO contacts VALUES"
	                   " ('c1', 'H1', 'visit', 'visit', NULL, 'd', 5, '{}', 5),"
	                   " ('c2', 'H2', 'visit', 'visit', NULL, 'd', 7, '{}', 7),"
	                   " ('c3', 'H1', 'visit', 'visit', NULL, 'd', 9, '{}', 9)") ==
	        AX_DB_OK);
	CHECK_INT(ax__pg_migrate(db, &v, err, sizeof err), AX_DB_OK);
	CHECK_INT(v, 11);
	CHECK_STR(qt(db, "SELECT (SELECT string_agg(id, ' ' ORDER BY id) FROM"
	                 " responses_c439901) || '|' || (SELECT string_agg(id, ' '"
	                 " ORDER BY id) FROM responses_c439902) || '|' || (SELECT"
	                 " string_agg(id, ' ' ORDER BY id) FROM responses_default)"),
	          "r1|r2|r3");
	CHECK_STR(qt(db, "SELECT (SELECT string_agg(id || ':' || region, ' ' ORDER"
	                 " BY id) FROM contacts_c439901) || '|' || (SELECT"
	                 " string_agg(id || ':' || region, ' ') FROM contacts_c439902)"
	                 " || '|' || (SELECT COUNT(*) FROM contacts_default)"),
	          "c1:439901101000 c3:439901101000|c2:439902101000|0");
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM response_ids"), 3);
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM contact_ids"), 3);
	CHECK_STR(qt(db, "SELECT string_agg(household || ':' || first_at || '-' ||"
	                 " last_at, ' ' ORDER BY household) FROM household_reach"),
	          "H1:5-9 H2:7-7");
	/* the triggers on the new tables: a contact moves H2's last time, a
	 * stored id in another county is skipped */
	REQUIRE(ax_db_exec(db, "INSERT INTO contacts VALUES ('c4', 'H2', 'visit',"
	                       " 'visit', NULL, 'd', 11, '{}', 11, '439902101000'),"
	                       " ('c1', 'H1', 'visit', 'visit', NULL, 'd', 5, '{}',"
	                       " 5, '439902101000') ON CONFLICT DO NOTHING") == AX_DB_OK);
	CHECK_STR(qt(db, "SELECT string_agg(household || ':' || first_at || '-' ||"
	                 " last_at, ' ' ORDER BY household) FROM household_reach"),
	          "H1:5-9 H2:7-11");
	CHECK_INT(qi(db, "SELECT COUNT(*) FROM contacts"), 4);
	ax_db_close(db);
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
	CHECK_INT(v, 11);
	v = -1;
	CHECK_INT(ax__pg_migrate(db, &v, err, sizeof err), AX_DB_OK);
	CHECK_INT(v, 11);

	same_tables(db);
	partitions(db);
	from_v10(argv[1]);

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
