/*
 * db.c -- the statement layer's common part (db.h): the backend chosen by
 * URL, `?` numbered for PostgreSQL, and dispatch to the backend.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

void ax__db_error(ax_db *db, ax_db_eclass cls, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(db->err, sizeof db->err, fmt, ap);
	va_end(ap);
	/* libpq's messages end in a newline */
	size_t n = strlen(db->err);
	while (n > 0 && (db->err[n - 1] == '\n' || db->err[n - 1] == ' '))
		db->err[--n] = '\0';
	db->eclass = cls;
}

int ax_db_is_pg_url(const char *url)
{
	return url && (strncmp(url, "postgresql://", 13) == 0 ||
	               strncmp(url, "postgres://", 11) == 0);
}

int ax_db_open(const char *url, ax_db **out, char *err, size_t errlen)
{
	*out = NULL;
	ax_db *db = calloc(1, sizeof *db);
	if (!db) {
		snprintf(err, errlen, "out of memory");
		return AX_DB_ERROR;
	}
	db->ops = ax_db_is_pg_url(url) ? &ax__db_pg_ops : &ax__db_sqlite_ops;
	if (db->ops->open(db, url) != AX_DB_OK) {
		snprintf(err, errlen, "%s", db->err);
		db->ops->close(db);
		free(db);
		return AX_DB_ERROR;
	}
	*out = db;
	return AX_DB_OK;
}

int ax_db_wrap_sqlite(struct sqlite3 *conn, ax_db **out)
{
	ax_db *db = calloc(1, sizeof *db);
	*out = db;
	if (!db)
		return AX_DB_ERROR;
	db->ops = &ax__db_sqlite_ops;
	db->conn = conn;
	db->borrowed = 1;
	return AX_DB_OK;
}

void ax_db_close(ax_db *db)
{
	if (!db)
		return;
	ax_stmt_finalize(db->copy);
	db->ops->close(db);
	free(db);
}

ax_db_kind ax_db_kind_of(const ax_db *db) { return db->ops->kind; }

const char *ax_db_sql(const ax_db *db, ax_sql_piece piece)
{
	return (unsigned)piece < AX_SQL_N_ ? db->ops->sql[piece] : "";
}

const char *ax_db_errmsg(const ax_db *db) { return db->err; }
ax_db_eclass ax_db_errclass(const ax_db *db) { return db->eclass; }

int ax_db_exec(ax_db *db, const char *sql)
{
	db->eclass = AX_DB_ENONE;
	return db->ops->exec(db, sql);
}

int ax_db_begin(ax_db *db)
{
	return ax_db_exec(db, db->ops->sql[AX_SQL_BEGIN_WRITE]);
}
int ax_db_commit(ax_db *db) { return ax_db_exec(db, "COMMIT"); }
int ax_db_rollback(ax_db *db) { return ax_db_exec(db, "ROLLBACK"); }
int ax_db_in_txn(ax_db *db) { return db->ops->in_txn(db); }

int ax_db_alive(ax_db *db) { return !db->ops->alive || db->ops->alive(db); }

int ax_db_prepare(ax_db *db, const char *sql, ax_stmt **out)
{
	*out = NULL;
	ax_stmt *st = calloc(1, sizeof *st);
	if (!st) {
		ax__db_error(db, AX_DB_EOTHER, "out of memory");
		return AX_DB_ERROR;
	}
	st->db = db;
	db->eclass = AX_DB_ENONE;
	if (db->ops->prepare(st, sql) != AX_DB_OK) {
		free(st);
		return AX_DB_ERROR;
	}
	*out = st;
	return AX_DB_OK;
}

int ax_stmt_bind_int64(ax_stmt *st, int i, int64_t v)
{
	return st->db->ops->bind(st, i, 'i', v, 0, NULL);
}
int ax_stmt_bind_double(ax_stmt *st, int i, double v)
{
	return st->db->ops->bind(st, i, 'd', 0, v, NULL);
}
int ax_stmt_bind_text(ax_stmt *st, int i, const char *s)
{
	return st->db->ops->bind(st, i, s ? 't' : 'n', 0, 0, s);
}
int ax_stmt_bind_blob(ax_stmt *st, int i, const void *p, size_t n)
{
	return st->db->ops->bind(st, i, p ? 'b' : 'n', (int64_t)n, 0, p);
}
int ax_stmt_bind_null(ax_stmt *st, int i)
{
	return st->db->ops->bind(st, i, 'n', 0, 0, NULL);
}

int ax_stmt_step(ax_stmt *st)
{
	st->db->eclass = AX_DB_ENONE;
	return st->db->ops->step(st);
}
int ax_stmt_reset(ax_stmt *st) { return st->db->ops->reset(st); }
int64_t ax_stmt_changes(const ax_stmt *st) { return st->changes; }
int ax_stmt_columns(const ax_stmt *st) { return st->db->ops->columns(st); }
int ax_stmt_is_null(const ax_stmt *st, int col)
{
	return st->db->ops->is_null(st, col);
}
int64_t ax_stmt_int64(const ax_stmt *st, int col)
{
	return st->db->ops->int64(st, col);
}
double ax_stmt_double(const ax_stmt *st, int col)
{
	return st->db->ops->dbl(st, col);
}
long ax_stmt_blob(const ax_stmt *st, int col, void *buf, size_t cap)
{
	return st->db->ops->blob(st, col, buf, cap);
}
const char *ax_stmt_text(const ax_stmt *st, int col)
{
	return st->db->ops->text(st, col);
}

void ax_stmt_finalize(ax_stmt *st)
{
	if (!st)
		return;
	st->db->ops->finalize(st);
	free(st);
}

/* "t"("a", "b") VALUES(?, ?) or COPY "t"("a", "b") FROM STDIN */
static char *copy_sql(int copy, const char *table, const char *const *cols,
                      int n)
{
	size_t cap = strlen(table) + 64;
	for (int i = 0; i < n; i++)
		cap += strlen(cols[i]) + 8;
	char *sql = malloc(cap);
	if (!sql)
		return NULL;
	size_t k = (size_t)snprintf(sql, cap, "%s \"%s\"(",
	                            copy ? "COPY" : "INSERT INTO", table);
	for (int i = 0; i < n; i++)
		k += (size_t)snprintf(sql + k, cap - k, "%s\"%s\"", i ? ", " : "",
		                      cols[i]);
	k += (size_t)snprintf(sql + k, cap - k, ")%s",
	                      copy ? " FROM STDIN" : " VALUES(");
	for (int i = 0; !copy && i < n; i++)
		k += (size_t)snprintf(sql + k, cap - k, "%s", i ? ", ?" : "?");
	if (!copy)
		snprintf(sql + k, cap - k, ")");
	return sql;
}

int ax_db_copy_begin(ax_db *db, const char *table, const char *const *cols,
                     int ncols)
{
	const struct ax_db_ops *o = db->ops;
	char *sql = copy_sql(o->copy_begin != NULL, table, cols, ncols);
	int rc;
	if (!sql) {
		ax__db_error(db, AX_DB_EOTHER, "out of memory");
		return AX_DB_ERROR;
	}
	db->eclass = AX_DB_ENONE;
	db->copy_n = ncols;
	rc = o->copy_begin ? o->copy_begin(db, sql)
	                   : ax_db_prepare(db, sql, &db->copy);
	free(sql);
	return rc;
}

int ax_db_copy_row(ax_db *db, const char *const *vals)
{
	if (db->ops->copy_row)
		return db->ops->copy_row(db, vals, db->copy_n);
	ax_stmt_reset(db->copy);
	for (int i = 0; i < db->copy_n; i++)
		if (ax_stmt_bind_text(db->copy, i + 1, vals[i]) != AX_DB_OK)
			return AX_DB_ERROR;
	return ax_stmt_step(db->copy) == AX_DB_DONE ? AX_DB_OK : AX_DB_ERROR;
}

int ax_db_copy_end(ax_db *db)
{
	if (db->ops->copy_end)
		return db->ops->copy_end(db);
	ax_stmt_finalize(db->copy);
	db->copy = NULL;
	return AX_DB_OK;
}

char *ax_db_number_params(const char *sql, int *nparams, unsigned char *used,
                          int cap)
{
	size_t len = strlen(sql), q = 0;
	for (size_t i = 0; i < len; i++)
		q += sql[i] == '?';
	/* each '?' becomes at most "$" and 10 digits */
	char *out = malloc(len + q * 10 + 1);
	if (!out)
		return NULL;
	if (used)
		memset(used, 0, (size_t)cap);
	char *o = out, quote = 0;
	int max = 0;
	for (const char *p = sql; *p; p++) {
		if (quote) {
			/* '' and "" inside a literal close and reopen it: same result */
			if (quote == '-' ? *p == '\n' : *p == quote)
				quote = 0;
			*o++ = *p;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
			*o++ = *p;
		} else if (p[0] == '-' && p[1] == '-') {
			quote = '-';
			*o++ = *p;
		} else if (*p == '?') {
			/* ?NNN names its parameter (SQLite); a bare ? is the next one */
			int k;
			if (p[1] >= '0' && p[1] <= '9') {
				char *end;
				k = (int)strtol(p + 1, &end, 10);
				p = end - 1;
			} else {
				k = max + 1;
			}
			if (k > max)
				max = k;
			if (used && k >= 1 && k <= cap)
				used[k - 1] = 1;
			o += sprintf(o, "$%d", k);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	*nparams = max;
	return out;
}
