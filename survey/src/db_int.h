/*
 * db_int.h -- the two backends of the statement layer (db.h): each
 * fills one table of operations; db.c dispatches through it.
 */
#ifndef AX_DB_INT_H
#define AX_DB_INT_H

#include "db.h"

struct ax_db_ops {
	ax_db_kind kind;
	const char *sql[AX_SQL_N_];
	int (*open)(ax_db *db, const char *url);
	void (*close)(ax_db *db);
	int (*exec)(ax_db *db, const char *sql);
	int (*prepare)(ax_stmt *st, const char *sql);
	/* v NULL binds NULL; type 'i' int64, 'd' double, 't' text, 'b' bytes
	 * (tv the bytes, iv how many) */
	int (*bind)(ax_stmt *st, int i, char type, int64_t iv, double dv,
	            const char *tv);
	int (*step)(ax_stmt *st);
	int (*reset)(ax_stmt *st);
	void (*finalize)(ax_stmt *st);
	int (*columns)(const ax_stmt *st);
	int (*is_null)(const ax_stmt *st, int col);
	const char *(*text)(const ax_stmt *st, int col);
	int64_t (*int64)(const ax_stmt *st, int col);
	double (*dbl)(const ax_stmt *st, int col);
	long (*blob)(const ax_stmt *st, int col, void *buf, size_t cap);
	/* NULL: copy with one prepared INSERT (db.c) */
	int (*copy_begin)(ax_db *db, const char *sql);
	int (*copy_row)(ax_db *db, const char *const *vals, int n);
	int (*copy_end)(ax_db *db);
	int (*in_txn)(ax_db *db);
	/* NULL: always usable (SQLite) */
	int (*alive)(ax_db *db);
};

struct ax_db {
	const struct ax_db_ops *ops;
	void *conn; /* sqlite3 * or PGconn * */
	char err[512];
	ax_db_eclass eclass;
	unsigned next_name; /* PostgreSQL prepared statement names */
	void *idle;         /* PostgreSQL: prepared statements kept for reuse */
	int borrowed;       /* conn is not ours to close (ax_db_wrap_sqlite) */
	ax_stmt *copy;      /* the INSERT of a copy, without copy_* */
	int copy_n;         /* columns of the copy under way */
};

struct ax_stmt {
	ax_db *db;
	void *h;         /* sqlite3_stmt *, or the backend's own state */
	int64_t changes; /* rows written by the last completed step */
};

extern const struct ax_db_ops ax__db_sqlite_ops;
extern const struct ax_db_ops ax__db_pg_ops;

/* the connection's error: message (printf) and class */
void ax__db_error(ax_db *db, ax_db_eclass cls, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
