/*
 * store_copy.c -- a county's SQLite store copied into an empty PostgreSQL
 * database (`anxin store copy --from county.db --to postgresql://…`,
 * issue 19): every central table, row for row, in one PostgreSQL
 * transaction, read in one SQLite read transaction (one snapshot), each
 * table with COPY.  The schema is created first (store_pg.c; pg.store
 * holds its columns to SQLite's).  sync_state is copied: central keeps
 * in it each device's reported queue ("queue.DEVICE") and the day's
 * unseal budget ("unseal.DEVICE.DAY").  The device-only tables (outbox,
 * drafts) are not: devices stay on SQLite; nor is login_limits, the
 * login limiter's failures of the last quarter hour.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin_int.h"
#include "db.h"
#include "store_copy_int.h"
#include "store_pg.h"

/* parents before children (regions by level: a parent is one level up) */
static const struct {
	const char *table, *where;
} copy_tables[] = {
	{"meta", " WHERE key <> 'schema_version'"},
	{"regions", " ORDER BY level"},
	{"households", ""},
	{"household_periods", ""},
	{"household_phones", ""},
	{"packs", ""},
	{"surveys", ""},
	{"responses", ""},
	{"contacts", ""},
	{"visits_undone", ""},
	{"conflicts", ""},
	{"tally", ""},
	{"tally_total", ""},
	{"devices", ""},
	{"users", ""},
	{"sessions", ""},
	{"campaigns", ""},
	{"campaign_strata", ""},
	{"campaign_sample", ""},
	{"keys", ""},
	{"optout_events", ""},
	{"sync_state", ""},
};

/* The i-th table both copies move, parents first, and its WHERE/ORDER
 * tail; NULL past the last. */
const char *ax__copy_table(size_t i, const char **where)
{
	if (i >= AX_ARRAY_LEN(copy_tables))
		return NULL;
	*where = copy_tables[i].where;
	return copy_tables[i].table;
}

#define MAX_COLS AX_COPY_MAX_COLS

/* a value as PostgreSQL reads it in COPY text: doubles with 17 digits
 * (exact), bytes as \x and hex */
static const char *value_text(sqlite3_stmt *s, int i, char *num, size_t numlen,
                              char **blob)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_NULL:
		return NULL;
	case SQLITE_INTEGER:
		snprintf(num, numlen, "%lld", (long long)sqlite3_column_int64(s, i));
		return num;
	case SQLITE_FLOAT:
		snprintf(num, numlen, "%.17g", sqlite3_column_double(s, i));
		return num;
	case SQLITE_BLOB: {
		const unsigned char *b = sqlite3_column_blob(s, i);
		int n = sqlite3_column_bytes(s, i);
		char *h = malloc(2 * (size_t)n + 3);
		if (!h)
			return NULL;
		strcpy(h, "\\x");
		for (int k = 0; k < n; k++)
			snprintf(h + 2 + 2 * k, 3, "%02x", b[k]);
		*blob = h;
		return h;
	}
	default:
		return (const char *)sqlite3_column_text(s, i);
	}
}

/* one table: its columns from SQLite, every row by COPY; rows counted.
 * merge: COPY into the temporary ax_in, then ax__merge_table; *rows the
 * rows the merge inserted. */
static ax_rc copy_table(ax_store *from, ax_db *to, const char *table,
                        const char *where, int merge, long long *rows)
{
	sqlite3_stmt *s = NULL;
	char sql[256], nums[MAX_COLS][32];
	const char *cols[MAX_COLS], *vals[MAX_COLS];
	char *colbuf[MAX_COLS] = {0};
	int n = 0, src;
	ax_rc rc = AX_OK;

	*rows = 0;
	snprintf(sql, sizeof sql, "PRAGMA table_info(\"%s\")", table);
	if ((rc = ax__prepare(from, &s, sql)))
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW && n < MAX_COLS) {
		colbuf[n] = strdup((const char *)sqlite3_column_text(s, 1));
		cols[n] = colbuf[n];
		if (!cols[n++]) {
			rc = AX_NOMEM;
			break;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	if (rc == AX_OK && n == 0) {
		ax__store_seterr(from, "%s: no table %s", ax_store_path(from), table);
		rc = AX_ERROR;
	}
	if (rc == AX_OK && n == MAX_COLS) {
		ax__store_seterr(from, "%s: more than %d columns", table, MAX_COLS - 1);
		rc = AX_ERROR;
	}
	if (rc == AX_OK) {
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"%s", table, where);
		rc = ax__prepare(from, &s, sql);
	}
	if (rc == AX_OK && merge) {
		snprintf(sql, sizeof sql, "CREATE TEMP TABLE ax_in (LIKE \"%s\""
		         " INCLUDING DEFAULTS INCLUDING GENERATED)", table);
		if (ax_db_exec(to, sql) != AX_DB_OK) {
			ax__store_seterr(from, "%s: %s", table, ax_db_errmsg(to));
			rc = AX_ERROR;
		}
	}
	if (rc == AX_OK &&
	    ax_db_copy_begin(to, merge ? "ax_in" : table, cols, n) != AX_DB_OK) {
		ax__store_seterr(from, "%s: %s", table, ax_db_errmsg(to));
		rc = AX_ERROR;
	} else if (rc == AX_OK) {
		while (rc == AX_OK && (src = sqlite3_step(s)) == SQLITE_ROW) {
			char *blobs[MAX_COLS] = {0};
			for (int i = 0; i < n; i++)
				vals[i] = value_text(s, i, nums[i], sizeof nums[i], &blobs[i]);
			if (ax_db_copy_row(to, vals) != AX_DB_OK) {
				ax__store_seterr(from, "%s: %s", table, ax_db_errmsg(to));
				rc = AX_ERROR;
			}
			for (int i = 0; i < n; i++)
				free(blobs[i]);
			++*rows;
		}
		if (rc == AX_OK && src != SQLITE_DONE)
			rc = ax__store_sqlerr(from, src, table);
		if (ax_db_copy_end(to) != AX_DB_OK && rc == AX_OK) {
			ax__store_seterr(from, "%s: %s", table, ax_db_errmsg(to));
			rc = AX_ERROR;
		}
	}
	sqlite3_finalize(s);
	if (rc == AX_OK && merge) {
		rc = ax__merge_table(from, to, table, cols, n, rows);
		if (rc == AX_OK && ax_db_exec(to, "DROP TABLE ax_in") != AX_DB_OK) {
			ax__store_seterr(from, "%s: %s", table, ax_db_errmsg(to));
			rc = AX_ERROR;
		}
	}
	for (int i = 0; i < n; i++)
		free(colbuf[i]);
	return rc;
}

static long long count_rows(ax_db *db, const char *table)
{
	char sql[128];
	ax_stmt *s;
	long long v = -1;
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM \"%s\"", table);
	if (ax_db_prepare(db, sql, &s) != AX_DB_OK)
		return -1;
	if (ax_stmt_step(s) == AX_DB_ROW)
		v = ax_stmt_int64(s, 0);
	ax_stmt_finalize(s);
	return v;
}

ax_rc ax_store_copy_pg(ax_store *from, const char *url, ax_store_copy_fn fn,
                       void *ctx)
{
	char err[512];
	ax_db *to = NULL;
	int v, merge;
	ax_rc rc = AX_OK;

	if (!ax_db_is_pg_url(url)) {
		ax__store_seterr(from, "%s: not a postgresql:// URL", url);
		return AX_INVALID;
	}
	if (ax_db_open(url, &to, err, sizeof err) != AX_DB_OK) {
		ax__store_seterr(from, "%s", err);
		return AX_IO;
	}
	if (ax__pg_migrate(to, &v, err, sizeof err) != AX_DB_OK) {
		ax__store_seterr(from, "%s", err);
		ax_db_close(to);
		return AX_ERROR;
	}
	/* a database that holds other counties already: merged (store_merge.c) */
	merge = count_rows(to, "regions") != 0 || count_rows(to, "responses") != 0;
	if ((rc = ax__exec(from, "BEGIN"))) {
		ax_db_close(to);
		return rc;
	}
	if (ax_db_begin(to) != AX_DB_OK ||
	    (merge && ax_db_exec(to, "CREATE TEMP TABLE ax_new_hh(id TEXT PRIMARY"
	                             " KEY) ON COMMIT DROP") != AX_DB_OK)) {
		ax__store_seterr(from, "%s", ax_db_errmsg(to));
		rc = AX_ERROR;
	}
	for (size_t i = 0; rc == AX_OK && i < AX_ARRAY_LEN(copy_tables); i++) {
		long long rows = 0;
		/* the roster history's triggers (migration 8) wrote a stretch
		 * for each copied household: the copied stretches replace them */
		if (!merge && !strcmp(copy_tables[i].table, "household_periods") &&
		    ax_db_exec(to, "DELETE FROM household_periods") != AX_DB_OK) {
			ax__store_seterr(from, "household_periods: %s", ax_db_errmsg(to));
			rc = AX_ERROR;
			break;
		}
		rc = copy_table(from, to, copy_tables[i].table, copy_tables[i].where,
		                merge, &rows);
		if (rc == AX_OK && fn)
			fn(ctx, copy_tables[i].table, rows);
	}
	/* the identity columns go on after the copied numbers (a merge took
	 * new ones) */
	if (rc == AX_OK && !merge &&
	    ax_db_exec(to, "SELECT setval(pg_get_serial_sequence('conflicts', 'seq'),"
	                   " COALESCE((SELECT MAX(seq) FROM conflicts), 0) + 1,"
	                   " false);"
	                   "SELECT setval(pg_get_serial_sequence('optout_events',"
	                   " 'seq'), COALESCE((SELECT MAX(seq) FROM"
	                   " optout_events), 0) + 1, false)") != AX_DB_OK) {
		ax__store_seterr(from, "identity: %s", ax_db_errmsg(to));
		rc = AX_ERROR;
	}
	if (rc == AX_OK && ax_db_commit(to) != AX_DB_OK) {
		ax__store_seterr(from, "commit: %s", ax_db_errmsg(to));
		rc = AX_ERROR;
	}
	if (rc != AX_OK)
		ax_db_rollback(to);
	/* statistics for the planner now, not when autovacuum gets to the
	 * tables: straight after a copy the unreached list took 4 s, a minute
	 * later 0.06 s.  Its failure loses nothing (autovacuum analyses
	 * later), so the copy's outcome stands either way. */
	if (rc == AX_OK)
		(void)ax_db_exec(to, "ANALYZE");
	ax__exec(from, "COMMIT");
	ax_db_close(to);
	return rc;
}
