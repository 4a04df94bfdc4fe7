/*
 * db_sqlite.c -- the statement layer (db.h) on SQLite: a thin wrapper of
 * sqlite3_prepare/bind/step, the file opened as the store opens it (WAL,
 * foreign keys, a busy timeout).
 */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

static ax_db_eclass classify(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return AX_DB_ECONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return AX_DB_EBUSY;
	case SQLITE_FULL:
		return AX_DB_EFULL;
	case SQLITE_READONLY:
		return AX_DB_EREADONLY;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
		return AX_DB_EIO;
	case SQLITE_NOMEM:
		return AX_DB_ENOMEM;
	default:
		return AX_DB_EOTHER;
	}
}

static int fail(ax_db *db, int rc)
{
	ax__db_error(db, classify(rc), "%s",
	             db->conn ? sqlite3_errmsg(db->conn) : sqlite3_errstr(rc));
	return AX_DB_ERROR;
}

static int sl_open(ax_db *db, const char *url)
{
	sqlite3 *c = NULL;
	int rc = sqlite3_open_v2(url, &c,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	                             SQLITE_OPEN_NOMUTEX,
	                         NULL);
	db->conn = c;
	if (rc != SQLITE_OK) {
		ax__db_error(db, classify(rc), "%s: %s", url,
		             c ? sqlite3_errmsg(c) : sqlite3_errstr(rc));
		return AX_DB_ERROR;
	}
	sqlite3_busy_timeout(c, 10000);
	return sqlite3_exec(c,
	                    "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;"
	                    "PRAGMA synchronous=FULL;",
	                    NULL, NULL, NULL) == SQLITE_OK
	           ? AX_DB_OK
	           : fail(db, sqlite3_errcode(c));
}

static void sl_close(ax_db *db)
{
	if (!db->borrowed)
		sqlite3_close_v2(db->conn);
	db->conn = NULL;
}

static int sl_exec(ax_db *db, const char *sql)
{
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? AX_DB_OK : fail(db, rc);
}

static int sl_prepare(ax_stmt *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v2(st->db->conn, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(st->db, rc);
	st->h = s;
	return AX_DB_OK;
}

static int sl_bind(ax_stmt *st, int i, char type, int64_t iv, double dv,
                   const char *tv)
{
	sqlite3_stmt *s = st->h;
	int rc;
	switch (type) {
	case 'i':
		rc = sqlite3_bind_int64(s, i, iv);
		break;
	case 'd':
		rc = sqlite3_bind_double(s, i, dv);
		break;
	case 't':
		rc = sqlite3_bind_text(s, i, tv, -1, SQLITE_TRANSIENT);
		break;
	case 'b':
		rc = sqlite3_bind_blob64(s, i, tv, (sqlite3_uint64)iv, SQLITE_TRANSIENT);
		break;
	default:
		rc = sqlite3_bind_null(s, i);
	}
	return rc == SQLITE_OK ? AX_DB_OK : fail(st->db, rc);
}

static int sl_step(ax_stmt *st)
{
	int rc = sqlite3_step(st->h);
	if (rc == SQLITE_ROW)
		return AX_DB_ROW;
	if (rc == SQLITE_DONE) {
		st->changes = sqlite3_stmt_readonly(st->h) ? 0 : sqlite3_changes64(st->db->conn);
		return AX_DB_DONE;
	}
	return fail(st->db, rc);
}

static int sl_reset(ax_stmt *st)
{
	sqlite3_reset(st->h);
	return AX_DB_OK;
}

static void sl_finalize(ax_stmt *st) { sqlite3_finalize(st->h); }
static int sl_columns(const ax_stmt *st) { return sqlite3_column_count(st->h); }
static int sl_is_null(const ax_stmt *st, int col)
{
	return sqlite3_column_type(st->h, col) == SQLITE_NULL;
}
static const char *sl_text(const ax_stmt *st, int col)
{
	return (const char *)sqlite3_column_text(st->h, col);
}
static int64_t sl_int64(const ax_stmt *st, int col)
{
	return sqlite3_column_int64(st->h, col);
}
static double sl_double(const ax_stmt *st, int col)
{
	return sqlite3_column_double(st->h, col);
}

static long sl_blob(const ax_stmt *st, int col, void *buf, size_t cap)
{
	if (sqlite3_column_type(st->h, col) == SQLITE_NULL)
		return -1;
	const void *p = sqlite3_column_blob(st->h, col);
	long n = sqlite3_column_bytes(st->h, col);
	if (p && n > 0)
		memcpy(buf, p, (size_t)n < cap ? (size_t)n : cap);
	return n;
}

static int sl_in_txn(ax_db *db) { return !sqlite3_get_autocommit(db->conn); }

const struct ax_db_ops ax__db_sqlite_ops = {
	.kind = AX_DB_SQLITE,
	.sql = {
		[AX_SQL_NOW_EPOCH] = "CAST(strftime('%s','now') AS INTEGER)",
		[AX_SQL_INT64] = "INTEGER",
		[AX_SQL_REAL] = "REAL",
		[AX_SQL_BLOB] = "BLOB",
		[AX_SQL_BEGIN_WRITE] = "BEGIN IMMEDIATE",
		[AX_SQL_LOCK_KEY] = "SELECT ?1 IS NULL",
		[AX_SQL_LOCK_EXPR] = "? IS NULL",
		[AX_SQL_GROUP_CONCAT] = "group_concat",
		[AX_SQL_COUNTED_INDEX] = "INDEXED BY responses_counted",
	},
	.open = sl_open,
	.close = sl_close,
	.exec = sl_exec,
	.prepare = sl_prepare,
	.bind = sl_bind,
	.step = sl_step,
	.reset = sl_reset,
	.finalize = sl_finalize,
	.columns = sl_columns,
	.is_null = sl_is_null,
	.text = sl_text,
	.int64 = sl_int64,
	.dbl = sl_double,
	.blob = sl_blob,
	.in_txn = sl_in_txn,
};
