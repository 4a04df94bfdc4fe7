/*
 * db_pg.c -- the statement layer (db.h) on PostgreSQL through libpq.
 *
 * A statement is a named server-side prepared statement ("axN"), its `?`
 * numbered $1, $2...  Parameters go as text with a type: int8 for an
 * integer, float8 for a double, unknown (the server infers it, like a
 * quoted literal) for text.  It is prepared with every type unknown, which
 * checks the SQL at once; the first step whose bound types differ prepares
 * it again with them, so `? + 1` is 64-bit arithmetic, not int4.  A step
 * runs the statement and keeps its whole result; later steps walk its
 * rows.  A finalized statement is not deallocated: the connection keeps it
 * (up to IDLE_MAX of them, in a small pool keyed by the numbered SQL), and
 * the next prepare of the same text takes it back with no round trip, as
 * prepared with the types it was last run with: a report or a request that
 * prepares its statements anew each time pays for the parse once per
 * connection.  Errors are classed by SQLSTATE: 23xxx constraint, 40001, 40P01
 * and 55P03 retry, 53100 disk full, 25006 read-only, 58030 I/O, 53200
 * memory.
 */
#include <libpq-fe.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db_int.h"

#define OID_UNKNOWN 0
#define OID_INT8 20
#define OID_TEXT 25
#define OID_FLOAT8 701

struct pg_stmt {
	char name[24];
	char *sql; /* numbered */
	int nparams;
	char **vals;   /* bound values as text, NULL for NULL */
	Oid *types;    /* bound types */
	Oid *prepared; /* types the server statement was prepared with */
	PGresult *res; /* the executed result, walked by step */
	int row;       /* next row of res */
	int ncols;     /* columns of a row, known once prepared */
};

/* A prepared statement the connection keeps while no ax_stmt uses it. */
#define IDLE_MAX 256
struct pg_idle {
	unsigned hash;
	int nparams, ncols;
	char name[24];
	char *sql;     /* numbered */
	Oid *prepared; /* types it was prepared with */
};
struct pg_pool {
	int n;
	struct pg_idle v[IDLE_MAX];
};

static unsigned sql_hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static ax_db_eclass classify(const PGresult *res)
{
	const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (!s)
		return AX_DB_EOTHER;
	if (strncmp(s, "23", 2) == 0)
		return AX_DB_ECONSTRAINT;
	if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03"))
		return AX_DB_EBUSY;
	if (!strcmp(s, "53100"))
		return AX_DB_EFULL;
	if (!strcmp(s, "25006"))
		return AX_DB_EREADONLY;
	if (!strcmp(s, "58030"))
		return AX_DB_EIO;
	if (!strcmp(s, "53200"))
		return AX_DB_ENOMEM;
	return AX_DB_EOTHER;
}

/* the result's error on the connection; clears res */
static int fail_res(ax_db *db, PGresult *res)
{
	const char *m = res ? PQresultErrorMessage(res) : "";
	if (!*m)
		m = PQerrorMessage(db->conn);
	ax__db_error(db, classify(res), "%s", m);
	PQclear(res);
	return AX_DB_ERROR;
}

static int pg_open(ax_db *db, const char *url)
{
	PGconn *c = PQconnectdb(url);
	db->conn = c;
	if (!c) {
		ax__db_error(db, AX_DB_EOTHER, "out of memory");
		return AX_DB_ERROR;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		ax__db_error(db, AX_DB_EOTHER, "%s", PQerrorMessage(c));
		return AX_DB_ERROR;
	}
	if (PQsetClientEncoding(c, "UTF8") != 0) {
		ax__db_error(db, AX_DB_EOTHER, "%s", PQerrorMessage(c));
		return AX_DB_ERROR;
	}
	/* custom plans: a statement kept for reuse (idle_keep) would after
	 * five runs get the server's generic plan, which for the reports'
	 * region ranges is slower (bench/central --pg: county report p50 57
	 * ms generic, 38 custom); planned with its values every time, as a
	 * statement prepared fresh was */
	/* no JIT: the campaign funnel's estimate (its EXISTS per household)
	 * passes jit_above_cost, and LLVM then spent 2.5 s compiling a query
	 * that runs in 0.23 s -- every region page of a campaign took 2-5 s
	 * (pg.e2e.dashboard.http, EXPLAIN ANALYZE); no statement here runs
	 * long enough to win it back */
	PGresult *r = PQexec(c, "SET client_min_messages = warning; "
	                        "SET plan_cache_mode = force_custom_plan; "
	                        "SET jit = off");
	PQclear(r);
	return AX_DB_OK;
}

static void pg_close(ax_db *db)
{
	struct pg_pool *pool = db->idle;
	if (db->conn)
		PQfinish(db->conn); /* the server drops its prepared statements */
	db->conn = NULL;
	for (int i = 0; pool && i < pool->n; i++) {
		free(pool->v[i].sql);
		free(pool->v[i].prepared);
	}
	free(pool);
	db->idle = NULL;
}

/* Take an idle statement prepared from sql into p: 1 taken, 0 none. */
static int idle_take(ax_db *db, struct pg_stmt *p)
{
	struct pg_pool *pool = db->idle;
	unsigned h = sql_hash(p->sql);
	for (int i = 0; pool && i < pool->n; i++) {
		struct pg_idle *e = &pool->v[i];
		if (e->hash != h || e->nparams != p->nparams || strcmp(e->sql, p->sql))
			continue;
		memcpy(p->name, e->name, sizeof p->name);
		if (p->nparams) { /* bound as last time: no prepare again */
			memcpy(p->prepared, e->prepared,
			       (size_t)p->nparams * sizeof *p->prepared);
			memcpy(p->types, e->prepared,
			       (size_t)p->nparams * sizeof *p->types);
		}
		p->ncols = e->ncols;
		free(e->sql);
		free(e->prepared);
		*e = pool->v[--pool->n];
		return 1;
	}
	return 0;
}

/* Keep p's server statement for the next prepare of its text: 1 kept, 0
 * not (the pool is full, or no memory: deallocate it). */
static int idle_keep(ax_db *db, struct pg_stmt *p)
{
	struct pg_pool *pool = db->idle;
	struct pg_idle *e;
	if (!pool && !(pool = db->idle = calloc(1, sizeof *pool)))
		return 0;
	if (pool->n == IDLE_MAX)
		return 0;
	e = &pool->v[pool->n];
	e->prepared = malloc((size_t)(p->nparams ? p->nparams : 1) * sizeof *e->prepared);
	if (!e->prepared)
		return 0;
	if (p->nparams)
		memcpy(e->prepared, p->prepared, (size_t)p->nparams * sizeof *p->prepared);
	e->sql = p->sql; /* moved */
	p->sql = NULL;
	e->hash = sql_hash(e->sql);
	e->nparams = p->nparams;
	e->ncols = p->ncols;
	memcpy(e->name, p->name, sizeof e->name);
	pool->n++;
	return 1;
}

static int pg_exec(ax_db *db, const char *sql)
{
	PGresult *r = PQexec(db->conn, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return fail_res(db, r);
	PQclear(r);
	return AX_DB_OK;
}

static int server_prepare(ax_stmt *st, struct pg_stmt *p, const Oid *types)
{
	PGconn *c = st->db->conn;
	if (p->name[0]) {
		char dealloc[48];
		snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", p->name);
		PQclear(PQexec(c, dealloc));
	}
	snprintf(p->name, sizeof p->name, "ax%u", ++st->db->next_name);
	PGresult *r = PQprepare(c, p->name, p->sql, p->nparams, types);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		p->name[0] = '\0';
		return fail_res(st->db, r);
	}
	PQclear(r);
	r = PQdescribePrepared(c, p->name);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return fail_res(st->db, r);
	p->ncols = PQnfields(r);
	PQclear(r);
	if (p->nparams)
		memcpy(p->prepared, types, (size_t)p->nparams * sizeof *types);
	return AX_DB_OK;
}

static void pg_finalize(ax_stmt *st)
{
	struct pg_stmt *p = st->h;
	if (!p)
		return;
	if (p->name[0] && st->db->conn && !idle_keep(st->db, p)) {
		char dealloc[48];
		snprintf(dealloc, sizeof dealloc, "DEALLOCATE %s", p->name);
		PQclear(PQexec(st->db->conn, dealloc));
	}
	for (int i = 0; i < p->nparams; i++)
		free(p->vals[i]);
	PQclear(p->res);
	free(p->vals);
	free(p->types);
	free(p->prepared);
	free(p->sql);
	free(p);
	st->h = NULL;
}

static int pg_prepare(ax_stmt *st, const char *sql)
{
	struct pg_stmt *p = calloc(1, sizeof *p);
	if (!p || !(p->sql = ax_db_number_params(sql, &p->nparams, NULL, 0))) {
		free(p);
		ax__db_error(st->db, AX_DB_EOTHER, "out of memory");
		return AX_DB_ERROR;
	}
	st->h = p;
	size_t n = p->nparams ? (size_t)p->nparams : 1;
	unsigned char *used = calloc(n, 1);
	p->vals = calloc(n, sizeof *p->vals);
	p->types = calloc(n, sizeof *p->types);
	p->prepared = calloc(n, sizeof *p->prepared);
	if (!used || !p->vals || !p->types || !p->prepared) {
		free(used);
		pg_finalize(st);
		ax__db_error(st->db, AX_DB_EOTHER, "out of memory");
		return AX_DB_ERROR;
	}
	/* a number the text skips (?1, ?2, ?4) has no type to infer: text */
	int np;
	free(ax_db_number_params(sql, &np, used, p->nparams));
	for (int i = 0; i < p->nparams; i++)
		p->types[i] = used[i] ? OID_UNKNOWN : OID_TEXT;
	free(used);
	if (idle_take(st->db, p))
		return AX_DB_OK;
	if (server_prepare(st, p, p->types) != AX_DB_OK) {
		pg_finalize(st);
		return AX_DB_ERROR;
	}
	return AX_DB_OK;
}

static int pg_bind(ax_stmt *st, int i, char type, int64_t iv, double dv,
                   const char *tv)
{
	struct pg_stmt *p = st->h;
	if (i < 1 || i > p->nparams) {
		ax__db_error(st->db, AX_DB_EOTHER,
		             "parameter %d out of range (statement has %d)", i,
		             p->nparams);
		return AX_DB_ERROR;
	}
	char buf[40], *v = NULL;
	Oid t = OID_UNKNOWN;
	switch (type) {
	case 'i':
		snprintf(buf, sizeof buf, "%" PRId64, iv);
		t = OID_INT8;
		break;
	case 'd':
		snprintf(buf, sizeof buf, "%.17g", dv);
		t = OID_FLOAT8;
		break;
	case 't': /* a parameter the text skips stays text */
		t = p->prepared[i - 1] == OID_TEXT ? OID_TEXT : OID_UNKNOWN;
		break;
	case 'b': /* bytea's text form: \x and two hex digits a byte */
		if (!(v = malloc(2 * (size_t)iv + 3))) {
			ax__db_error(st->db, AX_DB_EOTHER, "out of memory");
			return AX_DB_ERROR;
		}
		strcpy(v, "\\x");
		for (int64_t k = 0; k < iv; k++)
			snprintf(v + 2 + 2 * k, 3, "%02x", ((const unsigned char *)tv)[k]);
		break;
	default: /* NULL fits whatever type the statement has */
		t = p->prepared[i - 1];
	}
	if (type == 'i' || type == 'd' || type == 't') {
		v = strdup(type == 't' ? tv : buf);
		if (!v) {
			ax__db_error(st->db, AX_DB_EOTHER, "out of memory");
			return AX_DB_ERROR;
		}
	}
	free(p->vals[i - 1]);
	p->vals[i - 1] = v;
	p->types[i - 1] = t;
	return AX_DB_OK;
}

static int next_row(struct pg_stmt *p)
{
	if (p->row < PQntuples(p->res)) {
		p->row++;
		return AX_DB_ROW;
	}
	return AX_DB_DONE;
}

static int pg_step(ax_stmt *st)
{
	struct pg_stmt *p = st->h;
	if (p->res)
		return next_row(p);
	if (p->nparams &&
	    memcmp(p->types, p->prepared, (size_t)p->nparams * sizeof *p->types) &&
	    server_prepare(st, p, p->types) != AX_DB_OK)
		return AX_DB_ERROR;
	PGresult *r = PQexecPrepared(st->db->conn, p->name, p->nparams,
	                             (const char *const *)p->vals, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);
	if (s == PGRES_COMMAND_OK) {
		const char *n = PQcmdTuples(r);
		st->changes = *n ? strtoll(n, NULL, 10) : 0;
		PQclear(r);
		/* a finished command: DONE until reset, no rows to walk */
		p->res = PQmakeEmptyPGresult(st->db->conn, PGRES_TUPLES_OK);
		return p->res ? AX_DB_DONE : AX_DB_ERROR;
	}
	if (s != PGRES_TUPLES_OK)
		return fail_res(st->db, r);
	/* INSERT ... RETURNING writes rows and returns them */
	const char *n = PQcmdTuples(r);
	st->changes = *n && strncmp(PQcmdStatus(r), "SELECT", 6) ? strtoll(n, NULL, 10) : 0;
	p->res = r;
	p->row = 0;
	return next_row(p);
}

static int pg_reset(ax_stmt *st)
{
	struct pg_stmt *p = st->h;
	PQclear(p->res);
	p->res = NULL;
	p->row = 0;
	return AX_DB_OK;
}

/* the current row: the one the last AX_DB_ROW step moved to */
static int pg_columns(const ax_stmt *st)
{
	const struct pg_stmt *p = st->h;
	return p->ncols;
}
static int pg_is_null(const ax_stmt *st, int col)
{
	const struct pg_stmt *p = st->h;
	return !p->res || p->row < 1 || PQgetisnull(p->res, p->row - 1, col);
}
static const char *pgs_text(const ax_stmt *st, int col)
{
	const struct pg_stmt *p = st->h;
	if (pg_is_null(st, col) || col >= PQnfields(p->res))
		return NULL;
	return PQgetvalue(p->res, p->row - 1, col);
}
static int64_t pgs_int64(const ax_stmt *st, int col)
{
	const char *v = pgs_text(st, col);
	if (!v)
		return 0;
	if (!strcmp(v, "t") || !strcmp(v, "f")) /* boolean */
		return v[0] == 't';
	return strtoll(v, NULL, 10);
}
static double pgs_double(const ax_stmt *st, int col)
{
	const char *v = pgs_text(st, col);
	return v ? strtod(v, NULL) : 0.0;
}

/* bytea's text form \x... back to bytes */
static long pgs_blob(const ax_stmt *st, int col, void *buf, size_t cap)
{
	const char *v = pgs_text(st, col);
	unsigned char *out = buf;
	long n = 0;
	if (!v)
		return -1;
	if (v[0] != '\\' || v[1] != 'x')
		return 0; /* not bytea's hex output */
	for (v += 2; v[0] && v[1]; v += 2, n++) {
		unsigned x;
		if (sscanf(v, "%2x", &x) != 1)
			break;
		if ((size_t)n < cap)
			out[n] = (unsigned char)x;
	}
	return n;
}

/* ---- COPY ... FROM STDIN, text format ---------------------------------- */
static int pg_copy_begin(ax_db *db, const char *sql)
{
	PGresult *r = PQexec(db->conn, sql);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		return fail_res(db, r);
	PQclear(r);
	return AX_DB_OK;
}

static int pg_copy_row(ax_db *db, const char *const *vals, int n)
{
	size_t cap = 2;
	for (int i = 0; i < n; i++)
		cap += (vals[i] ? 2 * strlen(vals[i]) : 2) + 1;
	char *line = malloc(cap), *o = line;
	if (!line) {
		ax__db_error(db, AX_DB_EOTHER, "out of memory");
		return AX_DB_ERROR;
	}
	for (int i = 0; i < n; i++) {
		if (i)
			*o++ = '\t';
		if (!vals[i]) {
			*o++ = '\\';
			*o++ = 'N';
			continue;
		}
		for (const char *p = vals[i]; *p; p++) {
			char e = *p == '\\' ? '\\' : *p == '\t' ? 't' : *p == '\n' ? 'n'
			       : *p == '\r'  ? 'r'  : 0;
			if (e) {
				*o++ = '\\';
				*o++ = e;
			} else {
				*o++ = *p;
			}
		}
	}
	*o++ = '\n';
	int ok = PQputCopyData(db->conn, line, (int)(o - line)) == 1;
	free(line);
	if (!ok) {
		ax__db_error(db, AX_DB_EOTHER, "%s", PQerrorMessage(db->conn));
		return AX_DB_ERROR;
	}
	return AX_DB_OK;
}

static int pg_copy_end(ax_db *db)
{
	int rc = AX_DB_OK;
	if (PQputCopyEnd(db->conn, NULL) != 1) {
		ax__db_error(db, AX_DB_EOTHER, "%s", PQerrorMessage(db->conn));
		rc = AX_DB_ERROR;
	}
	PGresult *r;
	while ((r = PQgetResult(db->conn))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && rc == AX_DB_OK) {
			fail_res(db, r);
			rc = AX_DB_ERROR;
			continue;
		}
		PQclear(r);
	}
	return rc;
}

static int pg_alive(ax_db *db)
{
	return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

static int pg_in_txn(ax_db *db)
{
	return PQtransactionStatus(db->conn) != PQTRANS_IDLE;
}

const struct ax_db_ops ax__db_pg_ops = {
	.kind = AX_DB_PG,
	.sql = {
		[AX_SQL_NOW_EPOCH] = "CAST(EXTRACT(EPOCH FROM now()) AS BIGINT)",
		[AX_SQL_INT64] = "BIGINT",
		[AX_SQL_REAL] = "DOUBLE PRECISION",
		[AX_SQL_BLOB] = "BYTEA",
		[AX_SQL_BEGIN_WRITE] = "BEGIN",
		[AX_SQL_LOCK_KEY] = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
		[AX_SQL_LOCK_EXPR] = "pg_advisory_xact_lock(hashtextextended(?, 0))",
		[AX_SQL_GROUP_CONCAT] = "string_agg",
		[AX_SQL_COUNTED_INDEX] = "",
	},
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.bind = pg_bind,
	.step = pg_step,
	.reset = pg_reset,
	.finalize = pg_finalize,
	.columns = pg_columns,
	.is_null = pg_is_null,
	.text = pgs_text,
	.int64 = pgs_int64,
	.dbl = pgs_double,
	.blob = pgs_blob,
	.copy_begin = pg_copy_begin,
	.copy_row = pg_copy_row,
	.copy_end = pg_copy_end,
	.in_txn = pg_in_txn,
	.alive = pg_alive,
};
