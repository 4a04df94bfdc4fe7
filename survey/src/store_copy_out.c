/*
 * store_copy_out.c -- `anxin store copy --from postgresql://… --to
 * county.db` (issue 19): the way back from the shared PostgreSQL
 * database to a SQLite store, so a county can leave it (or a copy can be
 * kept as one file).  The same tables as the way in (ax__copy_table),
 * parents first, read in one REPEATABLE READ snapshot and written in one
 * SQLite transaction; each table's columns are the SQLite store's own
 * (PRAGMA table_info), read from PostgreSQL by name.  Values go in as
 * text, which SQLite's INTEGER and REAL columns turn back into numbers
 * (PostgreSQL writes a double with the shortest text that reads back as
 * the same double); bytes (BLOB) as bytes.  With a county, only its rows
 * (county_filter): the county leaving the shared database.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin_int.h"
#include "db.h"
#include "store_copy_int.h"
#include "store_pg.h"

#define MAX_COLS 32

struct cols {
	int n;
	char name[MAX_COLS][40];
	int blob[MAX_COLS];
};

/* The SQLite table's columns, and which hold bytes. */
static ax_rc table_cols(ax_store *to, const char *table, struct cols *c)
{
	sqlite3_stmt *s;
	char sql[128];
	ax_rc rc;

	c->n = 0;
	snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
	if ((rc = ax__prepare(to, &s, sql)))
		return rc;
	while (sqlite3_step(s) == SQLITE_ROW && c->n < MAX_COLS) {
		snprintf(c->name[c->n], sizeof c->name[0], "%s",
		         (const char *)sqlite3_column_text(s, 1));
		c->blob[c->n++] =
		    strcmp((const char *)sqlite3_column_text(s, 2), "BLOB") == 0;
	}
	sqlite3_finalize(s);
	if (c->n == 0 || c->n == MAX_COLS) {
		ax__store_seterr(to, "%s: no such table, or too many columns", table);
		return AX_ERROR;
	}
	return AX_OK;
}

/* "SELECT "a", "b" FROM "t"<where>" (PostgreSQL) and "INSERT INTO "t"
 * ("a", "b") VALUES(?, ?)" (SQLite), into buffers of 4 KiB. */
static void statements(const char *table, const char *where,
                       const struct cols *c, char *sel, char *ins)
{
	size_t a = 0, b = 0;
	const size_t n = 4096;

	a += (size_t)snprintf(sel + a, n - a, "SELECT ");
	b += (size_t)snprintf(ins + b, n - b, "INSERT INTO \"%s\"(", table);
	for (int i = 0; i < c->n; i++) {
		a += (size_t)snprintf(sel + a, n - a, "%s\"%s\"", i ? ", " : "",
		                      c->name[i]);
		b += (size_t)snprintf(ins + b, n - b, "%s\"%s\"", i ? ", " : "",
		                      c->name[i]);
	}
	snprintf(sel + a, n - a, " FROM \"%s\"%s", table, where);
	b += (size_t)snprintf(ins + b, n - b, ") VALUES(");
	for (int i = 0; i < c->n; i++)
		b += (size_t)snprintf(ins + b, n - b, "%s?", i ? ", " : "");
	snprintf(ins + b, n - b, ")");
}

/* One row of q into ins, bound column by column. */
static int bind_row(ax_stmt *q, sqlite3_stmt *ins, const struct cols *c)
{
	for (int i = 0; i < c->n; i++) {
		if (ax_stmt_is_null(q, i)) {
			sqlite3_bind_null(ins, i + 1);
		} else if (c->blob[i]) {
			long len = ax_stmt_blob(q, i, NULL, 0);
			void *buf = malloc(len > 0 ? (size_t)len : 1);
			if (!buf)
				return SQLITE_NOMEM;
			ax_stmt_blob(q, i, buf, (size_t)len);
			sqlite3_bind_blob(ins, i + 1, buf, (int)len, free);
		} else {
			sqlite3_bind_text(ins, i + 1, ax_stmt_text(q, i), -1,
			                  SQLITE_TRANSIENT);
		}
	}
	return sqlite3_step(ins);
}

static ax_rc copy_back(ax_store *to, ax_db *from, const char *table,
                       const char *where, long long *rows)
{
	struct cols c;
	char sel[4096], ins_sql[4096];
	sqlite3_stmt *ins = NULL;
	ax_stmt *q = NULL;
	int src = SQLITE_DONE, step;
	ax_rc rc;

	*rows = 0;
	if ((rc = table_cols(to, table, &c)))
		return rc;
	statements(table, where, &c, sel, ins_sql);
	if ((rc = ax__prepare(to, &ins, ins_sql)))
		return rc;
	if (ax_db_prepare(from, sel, &q) != AX_DB_OK) {
		ax__store_seterr(to, "%s: %s", table, ax_db_errmsg(from));
		sqlite3_finalize(ins);
		return AX_ERROR;
	}
	while ((step = ax_stmt_step(q)) == AX_DB_ROW) {
		sqlite3_reset(ins);
		if ((src = bind_row(q, ins, &c)) != SQLITE_DONE)
			break;
		++*rows;
	}
	if (src != SQLITE_DONE)
		rc = ax__store_sqlerr(to, src, table);
	else if (step != AX_DB_DONE) {
		ax__store_seterr(to, "%s: %s", table, ax_db_errmsg(from));
		rc = AX_ERROR;
	}
	ax_stmt_finalize(q);
	sqlite3_finalize(ins);
	return rc;
}

static long long sqlite_count(ax_store *st, const char *table)
{
	sqlite3_stmt *s;
	char sql[96];
	long long v = -1;

	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM \"%s\"", table);
	if (ax__prepare(st, &s, sql))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/*
 * One county's rows of `table` (county: its code, checked to be a county
 * of the database; p: its first six digits, which every region, grid,
 * scope and record region of the county starts with), as a condition in
 * PostgreSQL's SQL; "" for the tables copied whole (meta, packs, surveys,
 * keys: the county's store needs every sealing key its kiosks may use).
 * ancestors: regions include the city and province above the county (a
 * copy out), else the county and below only (store_remove.c).
 */
void ax__county_filter(const char *table, const char *county, const char *p,
                       int ancestors, char *out, size_t n)
{
	char hh[160];
	snprintf(hh, sizeof hh,
	         "(SELECT id FROM households WHERE substr(grid, 1, 6) = '%s')", p);
	out[0] = '\0';
	if (!strcmp(table, "regions") && !ancestors)
		snprintf(out, n, "substr(code, 1, 6) = '%s'", p);
	else if (!strcmp(table, "regions"))
		/* the county, all below it, and the city and province above */
		snprintf(out, n,
		         "substr(code, 1, 6) = '%s' OR code = (SELECT parent FROM"
		         " regions WHERE code = '%s') OR code = (SELECT c.parent FROM"
		         " regions c JOIN regions k ON c.code = k.parent WHERE k.code"
		         " = '%s')",
		         p, county, county);
	else if (!strcmp(table, "households") ||
	         !strcmp(table, "household_periods"))
		snprintf(out, n, "substr(grid, 1, 6) = '%s'", p);
	else if (!strcmp(table, "household_phones") || !strcmp(table, "contacts") ||
	         !strcmp(table, "visits_undone"))
		snprintf(out, n, "household IN %s", hh);
	else if (!strcmp(table, "responses"))
		/* the same rows as substr(region, 1, 6) = p (codes are digits,
		 * and ':' sorts right after '9'), in the form that reads the
		 * county's partition alone on PostgreSQL (store_pg.c, 11) */
		snprintf(out, n, "region >= '%s' AND region < '%s:'", p, p);
	else if (!strcmp(table, "tally") || !strcmp(table, "tally_total"))
		snprintf(out, n, "substr(region, 1, 6) = '%s'", p);
	else if (!strcmp(table, "conflicts"))
		snprintf(out, n,
		         "id IN (SELECT id FROM responses WHERE substr(region, 1, 6) ="
		         " '%s') OR id IN (SELECT id FROM contacts WHERE household IN"
		         " %s)",
		         p, hh);
	else if (!strcmp(table, "devices") || !strcmp(table, "users") ||
	         !strcmp(table, "campaigns"))
		snprintf(out, n, "substr(scope, 1, 6) = '%s'", p);
	else if (!strcmp(table, "sessions"))
		snprintf(out, n, "\"user\" IN (SELECT name FROM users WHERE"
		                 " substr(scope, 1, 6) = '%s')", p);
	else if (!strcmp(table, "campaign_strata") ||
	         !strcmp(table, "campaign_sample"))
		snprintf(out, n, "campaign IN (SELECT id FROM campaigns WHERE"
		                 " substr(scope, 1, 6) = '%s')", p);
	else if (!strcmp(table, "optout_events"))
		/* what its devices and staff recorded, and its residents' numbers */
		snprintf(out, n,
		         "device IN (SELECT id FROM devices WHERE substr(scope, 1, 6)"
		         " = '%s') OR phone IN (SELECT phone FROM household_phones"
		         " WHERE household IN %s)",
		         p, hh);
	else if (!strcmp(table, "sync_state"))
		snprintf(out, n,
		         "EXISTS (SELECT 1 FROM devices d WHERE substr(d.scope, 1, 6)"
		         " = '%s' AND (key = 'queue.' || d.id OR key LIKE 'unseal.' ||"
		         " d.id || '.%%'))",
		         p);
}

/* where (ax__copy_table's: "", " WHERE …" or " ORDER BY …") with the
 * county's condition put first */
static void county_where(const char *table, const char *where,
                         const char *county, const char *p, char *out,
                         size_t n)
{
	char f[1024];
	ax__county_filter(table, county, p, 1, f, sizeof f);
	if (!f[0])
		snprintf(out, n, "%s", where);
	else if (!strncmp(where, " WHERE ", 7))
		snprintf(out, n, " WHERE (%s) AND %s", f, where + 7);
	else
		snprintf(out, n, " WHERE (%s)%s", f, where);
}

/* 1 when code is a county (level 1) of the database */
int ax__is_county(ax_db *db, const char *code)
{
	ax_stmt *s;
	int yes = 0;
	if (ax_db_prepare(db, "SELECT 1 FROM regions WHERE code = ? AND level = 1",
	                  &s) != AX_DB_OK)
		return -1;
	ax_stmt_bind_text(s, 1, code);
	yes = ax_stmt_step(s) == AX_DB_ROW;
	ax_stmt_finalize(s);
	return yes;
}

ax_rc ax_store_copy_from_pg(ax_store *to, const char *url,
                            ax_store_copy_fn fn, void *ctx)
{
	return ax_store_copy_county_from_pg(to, url, NULL, fn, ctx);
}

ax_rc ax_store_copy_county_from_pg(ax_store *to, const char *url,
                                   const char *county, ax_store_copy_fn fn,
                                   void *ctx)
{
	char p[8] = "", cw[1400];
	char err[512];
	ax_db *from = NULL;
	const char *table, *where;
	int v;
	ax_rc rc = AX_OK;

	if (!ax_db_is_pg_url(url)) {
		ax__store_seterr(to, "%s: not a postgresql:// URL", url);
		return AX_INVALID;
	}
	if (sqlite_count(to, "regions") != 0 || sqlite_count(to, "responses") != 0) {
		ax__store_seterr(to, "%s already holds regions or responses: copy "
		                     "into a new file",
		                 ax_store_path(to));
		return AX_CONFLICT;
	}
	if (ax_db_open(url, &from, err, sizeof err) != AX_DB_OK) {
		ax__store_seterr(to, "%s", err);
		return AX_IO;
	}
	/* the database at this program's schema (as central would leave it) */
	if (ax__pg_migrate(from, &v, err, sizeof err) != AX_DB_OK) {
		ax__store_seterr(to, "%s", err);
		ax_db_close(from);
		return AX_ERROR;
	}
	if (ax_db_exec(from, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") !=
	    AX_DB_OK) {
		ax__store_seterr(to, "%s", ax_db_errmsg(from));
		ax_db_close(from);
		return AX_ERROR;
	}
	if (county) {
		/* twelve digits, so that its six-digit prefix is only digits */
		size_t k = strspn(county, "0123456789");
		if (strlen(county) != 12 || k != 12 || ax__is_county(from, county) != 1) {
			ax__store_seterr(to, "%s: not a county of the database (a 12-digit"
			                     " code of level 县)", county);
			rc = AX_NOTFOUND;
			goto done;
		}
		memcpy(p, county, 6);
	}
	if ((rc = ax__exec(to, "BEGIN IMMEDIATE")))
		goto done;
	for (size_t i = 0; rc == AX_OK && (table = ax__copy_table(i, &where));
	     i++) {
		long long rows = 0;
		/* the roster history's triggers wrote a stretch for each
		 * household copied: the database's own stretches replace them */
		if (!strcmp(table, "household_periods") &&
		    (rc = ax__exec(to, "DELETE FROM household_periods")))
			break;
		if (county) {
			county_where(table, where, county, p, cw, sizeof cw);
			where = cw;
		}
		rc = copy_back(to, from, table, where, &rows);
		if (rc == AX_OK && fn)
			fn(ctx, table, rows);
	}
	if (rc == AX_OK)
		rc = ax__exec(to, "COMMIT");
	if (rc)
		ax_store_rollback(to);
done:
	ax_db_rollback(from);
	ax_db_close(from);
	return rc;
}
