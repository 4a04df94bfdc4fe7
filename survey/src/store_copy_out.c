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
 * the same double); bytes (BLOB) as bytes.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin_int.h"
#include "db.h"
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
 * ("a", "b") VALUES(?, ?)" (SQLite), into buffers of 2 KiB. */
static void statements(const char *table, const char *where,
                       const struct cols *c, char *sel, char *ins)
{
	size_t a = 0, b = 0;
	const size_t n = 2048;

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
	char sel[2048], ins_sql[2048];
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

ax_rc ax_store_copy_from_pg(ax_store *to, const char *url,
                            ax_store_copy_fn fn, void *ctx)
{
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
