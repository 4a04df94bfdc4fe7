/*
 * db.h -- the statement layer: what differs between the store's two SQL
 * backends, SQLite (a county's file, every device store) and PostgreSQL
 * through libpq (a shared database for central), behind one small
 * interface.  Internal to the library.
 *
 * The SQL a caller writes is one dialect: `?` placeholders (numbered
 * $1, $2... for PostgreSQL here, outside quotes and comments), INTEGER
 * values as 64-bit, `INSERT ... ON CONFLICT(...) DO UPDATE` with the
 * table named in the SET (both accept `t.n = t.n + excluded.n`).  What
 * cannot be written once -- the time of day, column types, a migration's
 * DDL -- comes from ax_db_sql() by name, so no `if (pg)` is scattered
 * through the library.
 *
 * A statement is prepared once and stepped like sqlite3_step: bind (1-based),
 * step until AX_DB_DONE, reset to bind again.  Columns are 0-based.  Text
 * returned by ax_stmt_text stays valid until the next step, reset or
 * finalize.
 */
#ifndef AX_DB_H
#define AX_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct ax_db ax_db;
typedef struct ax_stmt ax_stmt;

typedef enum { AX_DB_SQLITE = 1, AX_DB_PG = 2 } ax_db_kind;

/* step results and error classes */
enum {
	AX_DB_OK = 0,
	AX_DB_ROW = 100,
	AX_DB_DONE = 101,
	AX_DB_ERROR = -1,
};
typedef enum {
	AX_DB_ENONE = 0,
	AX_DB_ECONSTRAINT, /* unique, foreign key, check, not null */
	AX_DB_EBUSY,       /* locked, serialization failure, deadlock: retry */
	AX_DB_EFULL,       /* disk full */
	AX_DB_EREADONLY,   /* the database or its file system is read-only */
	AX_DB_EIO,         /* I/O error */
	AX_DB_ENOMEM,      /* out of memory */
	AX_DB_EOTHER,
} ax_db_eclass;

/* the pieces of SQL that differ, by name */
typedef enum {
	AX_SQL_NOW_EPOCH, /* the current time, integer seconds since 1970 */
	AX_SQL_INT64,     /* column type of a 64-bit integer */
	AX_SQL_REAL,      /* column type of a double */
	AX_SQL_BLOB,      /* column type of bytes */
	AX_SQL_BEGIN_WRITE, /* a transaction that will write */
	AX_SQL_LOCK_KEY,  /* a statement taking a lock on the text ?1 until the
	                   * transaction ends: PostgreSQL's transactions run
	                   * side by side, SQLite's writers one at a time (a
	                   * no-op there) */
	AX_SQL_LOCK_EXPR, /* an expression taking AX_SQL_LOCK_KEY's lock on the
	                   * text of its one bare ?, so that one SELECT of
	                   * several takes several locks, left to right */
	AX_SQL_GROUP_CONCAT, /* the aggregate joining texts with a separator:
	                      * NAME(x, ',') */
	AX_SQL_COUNTED_INDEX, /* after "FROM responses": the partial index of
	                       * counted responses named where the planner has no
	                       * statistics to choose it (SQLite: INDEXED BY) */
	AX_SQL_N_
} ax_sql_piece;

/* The backend from the URL: "postgresql://..." or "postgres://..." is
 * PostgreSQL (libpq's connection URI), anything else a SQLite file path
 * (created when missing).  On failure *out is NULL and err says why. */
int ax_db_is_pg_url(const char *url);
int ax_db_open(const char *url, ax_db **out, char *err, size_t errlen);
void ax_db_close(ax_db *db);
/* A handle on an open SQLite connection (a store's), borrowed: closing
 * the handle leaves the connection open. */
struct sqlite3;
int ax_db_wrap_sqlite(struct sqlite3 *conn, ax_db **out);

ax_db_kind ax_db_kind_of(const ax_db *db);
const char *ax_db_sql(const ax_db *db, ax_sql_piece piece);
/* the last error's message and class on this connection */
const char *ax_db_errmsg(const ax_db *db);
ax_db_eclass ax_db_errclass(const ax_db *db);

/* one or more statements without parameters; AX_DB_OK or AX_DB_ERROR */
int ax_db_exec(ax_db *db, const char *sql);
int ax_db_begin(ax_db *db); /* AX_SQL_BEGIN_WRITE */
int ax_db_commit(ax_db *db);
int ax_db_rollback(ax_db *db);
/* 1 inside a transaction (begun, or failed and not yet rolled back), 0
 * in autocommit: whether a SAVEPOINT can run (PostgreSQL takes one only
 * in a transaction block; SQLite's would begin one) */
int ax_db_in_txn(ax_db *db);
/* 0 when the connection is gone for good (PostgreSQL: the server went
 * away or was restarted; every statement on it fails until it is
 * closed and opened again), 1 otherwise; SQLite's is always 1. */
int ax_db_alive(ax_db *db);

int ax_db_prepare(ax_db *db, const char *sql, ax_stmt **out);
int ax_stmt_bind_int64(ax_stmt *st, int i, int64_t v);
int ax_stmt_bind_double(ax_stmt *st, int i, double v);
int ax_stmt_bind_text(ax_stmt *st, int i, const char *s); /* NULL binds NULL */
int ax_stmt_bind_null(ax_stmt *st, int i);
/* bytes (BLOB, BYTEA): n of them from p, copied */
int ax_stmt_bind_blob(ax_stmt *st, int i, const void *p, size_t n);
/* AX_DB_ROW, AX_DB_DONE or AX_DB_ERROR (message on the connection) */
int ax_stmt_step(ax_stmt *st);
int ax_stmt_reset(ax_stmt *st); /* keeps the bindings, like sqlite3_reset */
/* rows written by the statement's last completed step */
int64_t ax_stmt_changes(const ax_stmt *st);
int ax_stmt_columns(const ax_stmt *st);
int ax_stmt_is_null(const ax_stmt *st, int col);
int64_t ax_stmt_int64(const ax_stmt *st, int col);
double ax_stmt_double(const ax_stmt *st, int col);
const char *ax_stmt_text(const ax_stmt *st, int col); /* NULL for NULL */
/* A bytes column: how many bytes it holds (-1 for NULL), the first cap of
 * them copied to buf. */
long ax_stmt_blob(const ax_stmt *st, int col, void *buf, size_t cap);
void ax_stmt_finalize(ax_stmt *st);

/* Many rows into one table, as fast as the backend takes them: COPY ...
 * FROM STDIN on PostgreSQL, one prepared INSERT on SQLite.  Values are
 * text (NULL for NULL), as the column's type reads them (bytes as \x and
 * hex digits).  Between begin and end the connection does nothing else.
 * Identifiers are quoted: pass them bare. */
int ax_db_copy_begin(ax_db *db, const char *table, const char *const *cols,
                     int ncols);
int ax_db_copy_row(ax_db *db, const char *const *vals);
int ax_db_copy_end(ax_db *db);

/* `?` placeholders to $1, $2... outside '...', "..." and -- comments;
 * `?N` (SQLite's numbered form) to $N, a bare `?` to one more than the
 * highest number so far, as SQLite numbers them.  A malloc'd string (NULL on no memory); *nparams
 * the highest number; used[i] (when not NULL, cap entries) 1 when $i+1
 * appears in the text. */
char *ax_db_number_params(const char *sql, int *nparams, unsigned char *used,
                          int cap);

#endif
