/*
 * bench/bench.h -- shared by the benchmark programs (header only).
 *
 *   - Baseline pragmas.  A raw SQLite insert is only a fair baseline when
 *     it runs with the pragmas of the connection it is compared with
 *     (synchronous, cache_size, journal_mode, temp_store,
 *     wal_autocheckpoint).  Those are per connection and set inside
 *     ax_store_open / gw_open, so instead of copying them here (and going
 *     stale when the library changes) the bench registers an SQLite
 *     auto-extension, which sees every connection the process opens,
 *     lets the library open its connection, and reads the pragmas back
 *     from that very connection.  Same process, same libsqlite3.
 *   - JSON output: one object on stdout with --json, for bench/run to
 *     merge into bench/results.json.  Keys are fixed ASCII; strings are
 *     escaped for '"' and '\\' only, which is all the benches emit.
 *
 * Not a test harness: nothing here compares a time with a limit.
 */
#ifndef ANXIN_BENCH_H
#define ANXIN_BENCH_H

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* ==== pragmas of a library connection =================================== */

struct bench_pragmas {
	char journal_mode[16];
	int synchronous;        /* 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA */
	long long cache_size;   /* pages, or KiB when negative */
	int temp_store;         /* 0 DEFAULT, 1 FILE, 2 MEMORY */
	int wal_autocheckpoint; /* pages */
};

struct bench_capture {
	sqlite3 *db[16];
	int n;
};

static inline struct bench_capture *bench_capture_state(void)
{
	static struct bench_capture c;
	return &c;
}

static inline int bench_capture_cb(sqlite3 *db, char **err,
                                   const struct sqlite3_api_routines *api)
{
	struct bench_capture *c = bench_capture_state();
	(void)err;
	(void)api;
	if (c->n < (int)(sizeof c->db / sizeof c->db[0]))
		c->db[c->n++] = db;
	return SQLITE_OK;
}

/* Start noting every connection the process opens.  The handles are only
 * valid until the library closes them: read them (bench_capture_end) right
 * after the library call that opened them returned successfully. */
static inline void bench_capture_begin(void)
{
	bench_capture_state()->n = 0;
	sqlite3_auto_extension((void (*)(void))bench_capture_cb);
}

static inline long long bench_pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* The pragmas of connection db into *p. */
static inline void bench_pragmas_read(sqlite3 *db, struct bench_pragmas *p)
{
	sqlite3_stmt *s;
	memset(p, 0, sizeof *p);
	if (sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		snprintf(p->journal_mode, sizeof p->journal_mode, "%s",
		         (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	p->synchronous = (int)bench_pragma_int(db, "PRAGMA synchronous");
	p->cache_size = bench_pragma_int(db, "PRAGMA cache_size");
	p->temp_store = (int)bench_pragma_int(db, "PRAGMA temp_store");
	p->wal_autocheckpoint = (int)bench_pragma_int(db, "PRAGMA wal_autocheckpoint");
}

/* Stop noting connections; read the pragmas of the first one noted whose
 * main file name ends with `suffix` into *p.  0 found, -1 not. */
static inline int bench_capture_end(const char *suffix, struct bench_pragmas *p)
{
	struct bench_capture *c = bench_capture_state();
	size_t ls = strlen(suffix);
	int found = -1;
	sqlite3_cancel_auto_extension((void (*)(void))bench_capture_cb);
	for (int i = 0; i < c->n && found; i++) {
		const char *f = sqlite3_db_filename(c->db[i], "main");
		size_t lf = f ? strlen(f) : 0;
		if (lf >= ls && strcmp(f + lf - ls, suffix) == 0) {
			bench_pragmas_read(c->db[i], p);
			found = 0;
		}
	}
	c->n = 0;
	return found;
}

/* The pragmas of the old baselines: WAL, synchronous=NORMAL, SQLite's
 * defaults for the rest (the build's compiled-in values: read them from a
 * fresh connection). */
static inline void bench_pragmas_old(sqlite3 *fresh, struct bench_pragmas *p)
{
	memset(p, 0, sizeof *p);
	snprintf(p->journal_mode, sizeof p->journal_mode, "wal");
	p->synchronous = 1;
	p->cache_size = bench_pragma_int(fresh, "PRAGMA cache_size");
	p->temp_store = (int)bench_pragma_int(fresh, "PRAGMA temp_store");
	p->wal_autocheckpoint = (int)bench_pragma_int(fresh, "PRAGMA wal_autocheckpoint");
}

/* Set *p on db.  0 done, -1 an SQLite error. */
static inline int bench_pragmas_apply(sqlite3 *db, const struct bench_pragmas *p)
{
	char sql[256];
	snprintf(sql, sizeof sql,
	         "PRAGMA journal_mode=%s; PRAGMA synchronous=%d; PRAGMA cache_size=%lld;"
	         " PRAGMA temp_store=%d; PRAGMA wal_autocheckpoint=%d",
	         p->journal_mode, p->synchronous, p->cache_size, p->temp_store,
	         p->wal_autocheckpoint);
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* "journal_mode=wal synchronous=FULL cache_size=-65536 ..." into buf. */
static inline const char *bench_pragmas_str(const struct bench_pragmas *p, char *buf,
                                            size_t len)
{
	static const char *const sync[] = {"OFF", "NORMAL", "FULL", "EXTRA"};
	static const char *const temp[] = {"DEFAULT", "FILE", "MEMORY"};
	snprintf(buf, len,
	         "journal_mode=%s synchronous=%s cache_size=%lld temp_store=%s "
	         "wal_autocheckpoint=%d",
	         p->journal_mode,
	         p->synchronous >= 0 && p->synchronous <= 3 ? sync[p->synchronous] : "?",
	         p->cache_size,
	         p->temp_store >= 0 && p->temp_store <= 2 ? temp[p->temp_store] : "?",
	         p->wal_autocheckpoint);
	return buf;
}

/* ==== JSON on stdout ====================================================== */

struct bench_json {
	FILE *f;
	int depth;
	int first[8]; /* no member written yet at this depth */
};

static inline void bench_json_key(struct bench_json *j, const char *key)
{
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = 0;
	if (key)
		fprintf(j->f, "\"%s\":", key);
}

static inline void bench_json_open(struct bench_json *j, const char *key)
{
	if (j->depth == 0 && !key) {
		fputc('{', j->f);
	} else {
		bench_json_key(j, key);
		fputc('{', j->f);
	}
	if (j->depth < 7)
		j->first[++j->depth] = 1;
}

static inline void bench_json_close(struct bench_json *j)
{
	fputc('}', j->f);
	if (j->depth > 0)
		j->depth--;
	if (j->depth == 0)
		fputc('\n', j->f);
}

/* A number with `digits` significant digits, whole from 10,000 up (no
 * exponents in rates); NaN and infinities are null. */
static inline void bench_json_num(struct bench_json *j, const char *key, double v,
                                  int digits)
{
	bench_json_key(j, key);
	if (isfinite(v) && fabs(v) >= 1e4 && fabs(v) < 1e15)
		fprintf(j->f, "%.0f", v);
	else if (isfinite(v))
		fprintf(j->f, "%.*g", digits, v);
	else
		fputs("null", j->f);
}

static inline void bench_json_str(struct bench_json *j, const char *key, const char *v)
{
	bench_json_key(j, key);
	fputc('"', j->f);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', j->f);
		if ((unsigned char)*v >= 0x20)
			fputc(*v, j->f);
	}
	fputc('"', j->f);
}

/* A baseline object: its rate, what it ran with. */
static inline void bench_json_baseline(struct bench_json *j, const char *key,
                                       double rows_per_s,
                                       const struct bench_pragmas *p,
                                       long rows_per_transaction)
{
	char buf[200];
	bench_json_open(j, key);
	bench_json_num(j, "rows_per_s", rows_per_s, 6);
	bench_json_str(j, "pragmas", bench_pragmas_str(p, buf, sizeof buf));
	bench_json_num(j, "rows_per_transaction", (double)rows_per_transaction, 12);
	bench_json_close(j);
}

#endif
