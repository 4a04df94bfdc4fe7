/*
 * bench/central -- ingest over loopback HTTP and report latency.
 *
 * Starts anxin-central on 127.0.0.1 (a free port) over a fresh store with
 * the 20,000-household demo roster, posts N records (default 1,000,000)
 * with libcurl from one client thread in the batches `anxin sync` sends
 * (AX_SYNC_BATCH_DEFAULT records, at most AX_SYNC_MAX_BYTES_DEFAULT bytes;
 * --batch N changes the count), and compares with a raw SQLite insert of
 * the same rows measured in the same run.  The server imports each batch
 * in one transaction, so there are two baselines:
 *   fair  the store connection's pragmas (read back from a connection
 *         ax_store_open made in this process: WAL, synchronous=FULL ...)
 *         and a commit at the end of every batch the client posted;
 *   old   what this bench compared with before: WAL, synchronous=NORMAL,
 *         SQLite's default cache, all rows in one transaction.
 * Then measures county report requests (p50/p99 of 200) as a county
 * staff user's dashboard session (a device token gets no report since
 * issue 15).  Any exit after the server started stops it.  Not a test.
 *
 * With --pg URL (an empty PostgreSQL database) the store is copied there
 * (anxin store copy) and the server runs on it (issue 19); the baseline
 * is then a raw COPY of the same rows (id, body) into a table of that
 * database, a transaction per batch the client posts, in the same run.
 *
 * --clients K posts from K client threads, client k to server k mod S of
 * --servers S (S processes of anxin-central on the one database: issue
 * 19's several servers); --twice: two clients each post every batch, so
 * every record arrives twice at once (through two servers with
 * --servers 2).  After the run: every record accepted exactly once
 * (duplicates = n with --twice, else 0), and on PostgreSQL the database
 * holds each record once, one counted response per household, survey and
 * wave, and tallies that agree with the counted responses.
 *
 *   bench_central --server PATH/anxin-central [--records N] [--batch N]
 *                 [--source DIR] [--pg URL] [--clients K] [--servers S]
 *                 [--twice] [--json]
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "anxin/auth.h"
#include "anxin/content.h"
#include "anxin/demo.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "bench.h"
#include "db.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct lines {
	char **v;
	size_t *len;
	long n, cap;
};

static int collect(void *ctx, const char *line, size_t len)
{
	struct lines *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1 << 16;
		l->v = realloc(l->v, sizeof *l->v * (size_t)l->cap);
		l->len = realloc(l->len, sizeof *l->len * (size_t)l->cap);
		if (!l->v || !l->len)
			return 1;
	}
	if (!(l->v[l->n] = strndup(line, len)))
		return 1;
	l->len[l->n++] = len;
	return 0;
}

struct sink {
	char *p;
	size_t n;
};

static size_t write_cb(char *d, size_t sz, size_t nm, void *ctx)
{
	struct sink *s = ctx;
	char *p = realloc(s->p, s->n + sz * nm + 1);
	if (!p)
		return 0;
	memcpy(p + s->n, d, sz * nm);
	s->n += sz * nm;
	p[s->n] = '\0';
	s->p = p;
	return sz * nm;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define MAX_SERVERS 4
/* the servers, once started: stopped by die() */
static pid_t server_pids[MAX_SERVERS];

static void stop_server(void)
{
	for (int i = 0; i < MAX_SERVERS; i++)
		if (server_pids[i] > 0) {
			kill(server_pids[i], SIGTERM);
			waitpid(server_pids[i], NULL, 0);
			server_pids[i] = 0;
		}
}

/* One client of the ingest: posts batches b = first, first + step, ...
 * to its server, counting what the server says of the records. */
struct client {
	const struct lines *L;
	const long *ends;
	long nends, first, step;
	int port;
	const char *auth;
	long long accepted, duplicate, other;
	int failed;
	char why[256];
};

static long long reply_count(const char *reply, const char *key)
{
	char pat[32];
	const char *p;
	snprintf(pat, sizeof pat, "\"%s\":", key);
	p = reply ? strstr(reply, pat) : NULL;
	return p ? atoll(p + strlen(pat)) : -1;
}

static void *client_run(void *arg)
{
	struct client *cl = arg;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char url[128], *body = NULL;
	size_t cap = 0;
	h = curl_slist_append(h, cl->auth);
	h = curl_slist_append(h, "Content-Type: application/x-ndjson");
	h = curl_slist_append(h, "Expect:");
	snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/records", cl->port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	for (long b = cl->first; b < cl->nends && !cl->failed; b += cl->step) {
		size_t len = 0;
		struct sink sk = {0};
		long code = 0, i = b ? cl->ends[b - 1] : 0;
		for (long k = i; k < cl->ends[b]; k++) {
			if (len + cl->L->len[k] + 2 > cap) {
				cap = (len + cl->L->len[k] + 2) * 2;
				body = realloc(body, cap);
			}
			memcpy(body + len, cl->L->v[k], cl->L->len[k]);
			len += cl->L->len[k];
			body[len++] = '\n';
		}
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &sk);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
		if (curl_easy_perform(c) != CURLE_OK) {
			snprintf(cl->why, sizeof cl->why, "POST failed");
			cl->failed = 1;
		} else {
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			long long a = reply_count(sk.p, "accepted"),
			          d = reply_count(sk.p, "duplicate");
			if (code != 200 || a < 0 || d < 0 ||
			    a + d != cl->ends[b] - i) {
				snprintf(cl->why, sizeof cl->why, "batch %ld: %ld %.200s", b,
				         code, sk.p ? sk.p : "");
				cl->failed = 1;
			} else {
				cl->accepted += a;
				cl->duplicate += d;
			}
		}
		free(sk.p);
	}
	free(body);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* After a run on PostgreSQL: the records stored once each and no
 * household counted twice.  0 when all holds, else -1 (said why). */
static int check_pg(const char *url, long n)
{
	static const struct {
		const char *what, *sql;
	} q[] = {
		{"records stored", "SELECT (SELECT COUNT(*) FROM responses) +"
		                   " (SELECT COUNT(*) FROM contacts)"},
		{"household, survey and wave counted twice",
		 "SELECT COUNT(*) FROM (SELECT 1 FROM responses WHERE counted = 1"
		 " AND household IS NOT NULL GROUP BY household, survey, wave"
		 " HAVING COUNT(*) > 1) x"},
		{"household, survey and wave with a complete response, none counted",
		 "SELECT COUNT(*) FROM (SELECT 1 FROM responses WHERE household IS"
		 " NOT NULL AND status = 'complete' GROUP BY household, survey, wave"
		 " HAVING SUM(counted) = 0) x"},
		{"counted responses the tallies disagree with",
		 "SELECT ABS((SELECT COUNT(*) FROM responses WHERE counted = 1) -"
		 " (SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE metric ="
		 " 'resp'))"},
	};
	char err[512];
	ax_db *db;
	int bad = 0;
	if (ax_db_open(url, &db, err, sizeof err) != AX_DB_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
		ax_stmt *s;
		long long v = -1, want = i == 0 ? n : 0;
		if (ax_db_prepare(db, q[i].sql, &s) == AX_DB_OK) {
			if (ax_stmt_step(s) == AX_DB_ROW)
				v = ax_stmt_int64(s, 0);
			ax_stmt_finalize(s);
		}
		if (v != want) {
			fprintf(stderr, "bench_central: %s: %lld, want %lld\n", q[i].what,
			        v, want);
			bad = 1;
		}
	}
	ax_db_close(db);
	return bad ? -1 : 0;
}

static void die(const char *m)
{
	fprintf(stderr, "bench_central: %s\n", m);
	stop_server();
	exit(1);
}

/* Insert rows (ids[i], L->v[i]) into a new table of a new file at `path`
 * with pragmas *p, committing after row ends[k] - 1 for each of the nends
 * batch ends; wall seconds to *t.  0 done, -1 failed. */
/* COPY of (id, body) into a fresh table of the PostgreSQL database, one
 * transaction per batch (ends[]); seconds into *secs */
static int raw_copy_pg(const char *url, char (*ids)[40], const struct lines *L,
                       const long *ends, long nends, double *secs)
{
	static const char *const cols[] = {"id", "body"};
	char err[512];
	ax_db *db;
	double t0;
	int bad = 0;
	if (ax_db_open(url, &db, err, sizeof err) != AX_DB_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (ax_db_exec(db, "DROP TABLE IF EXISTS raw_bench;"
	                   "CREATE TABLE raw_bench(id TEXT PRIMARY KEY, body TEXT NOT NULL)"))
		bad = 1;
	t0 = now();
	for (long b = 0, i = 0; b < nends && !bad; i = ends[b++]) {
		bad |= ax_db_begin(db) || ax_db_copy_begin(db, "raw_bench", cols, 2);
		for (long k = i; k < ends[b] && !bad; k++) {
			const char *v[2] = {ids[k], L->v[k]};
			bad |= ax_db_copy_row(db, v) != AX_DB_OK;
		}
		bad |= ax_db_copy_end(db) || ax_db_commit(db);
	}
	*secs = now() - t0;
	if (bad)
		fprintf(stderr, "raw COPY: %s\n", ax_db_errmsg(db));
	ax_db_exec(db, "DROP TABLE IF EXISTS raw_bench");
	ax_db_close(db);
	return bad ? -1 : 0;
}

/* The rows the servers stored in table (responses, contacts), read back as
 * text: ncol columns (names in cols[]), nrow rows in v[row * ncol + c]. */
struct stored {
	char **cols, **v;
	int ncol;
	long nrow;
};

static int read_stored(ax_db *db, const char *table, struct stored *t)
{
	char sql[512];
	ax_stmt *s;
	long cap = 0;
	memset(t, 0, sizeof *t);
	snprintf(sql, sizeof sql, "SELECT column_name FROM information_schema."
	         "columns WHERE table_name = '%s' ORDER BY ordinal_position", table);
	if (ax_db_prepare(db, sql, &s) != AX_DB_OK)
		return -1;
	while (ax_stmt_step(s) == AX_DB_ROW) {
		t->cols = realloc(t->cols, (size_t)(t->ncol + 1) * sizeof *t->cols);
		t->cols[t->ncol++] = strdup(ax_stmt_text(s, 0));
	}
	ax_stmt_finalize(s);
	snprintf(sql, sizeof sql, "SELECT * FROM %s ORDER BY received_at, id", table);
	if (!t->ncol || ax_db_prepare(db, sql, &s) != AX_DB_OK)
		return -1;
	while (ax_stmt_step(s) == AX_DB_ROW) {
		if (t->nrow == cap) {
			cap = cap ? cap * 2 : 4096;
			t->v = realloc(t->v, (size_t)(cap * t->ncol) * sizeof *t->v);
		}
		for (int c = 0; c < t->ncol; c++) {
			const char *x = ax_stmt_text(s, c);
			t->v[t->nrow * t->ncol + c] = x ? strdup(x) : NULL;
		}
		t->nrow++;
	}
	ax_stmt_finalize(s);
	return 0;
}

static void stored_free(struct stored *t)
{
	for (long k = 0; k < t->nrow * t->ncol; k++)
		free(t->v[k]);
	for (int c = 0; c < t->ncol; c++)
		free(t->cols[c]);
	free(t->v);
	free(t->cols);
}

/* The fair PostgreSQL baseline: the very rows the servers stored (the
 * responses and contacts rows, not the records' (id, body)) COPYed into
 * twins of their tables -- the same columns, indexes and foreign keys --
 * a transaction per `per` rows, as the servers committed a batch:
 * what PostgreSQL itself spends storing them.  Seconds into *secs,
 * rows into *rows; 0, or -1 failed. */
static int stored_copy_pg(const char *url, long per, double *secs, long *rows)
{
	static const char *const tables[2] = {"responses", "contacts"};
	struct stored t[2] = {{0}};
	char err[512], sql[1024];
	ax_db *db;
	double t0;
	int bad = 0;
	if (ax_db_open(url, &db, err, sizeof err) != AX_DB_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	*rows = 0;
	for (int k = 0; k < 2 && !bad; k++) {
		ax_stmt *s;
		bad |= read_stored(db, tables[k], &t[k]);
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS twin_%s;"
		         "CREATE TABLE twin_%s (LIKE %s INCLUDING ALL)", tables[k],
		         tables[k], tables[k]);
		bad |= ax_db_exec(db, sql) != AX_DB_OK;
		/* LIKE copies indexes, not foreign keys */
		snprintf(sql, sizeof sql, "SELECT pg_get_constraintdef(oid) FROM "
		         "pg_constraint WHERE conrelid = '%s'::regclass AND contype "
		         "= 'f'", tables[k]);
		if (bad || ax_db_prepare(db, sql, &s) != AX_DB_OK) {
			bad = 1;
			break;
		}
		while (ax_stmt_step(s) == AX_DB_ROW) {
			char fk[900];
			snprintf(fk, sizeof fk, "ALTER TABLE twin_%s ADD %s", tables[k],
			         ax_stmt_text(s, 0));
			bad |= ax_db_exec(db, fk) != AX_DB_OK;
		}
		ax_stmt_finalize(s);
		*rows += t[k].nrow;
	}
	t0 = now();
	for (int k = 0; k < 2 && !bad; k++) {
		char twin[64];
		snprintf(twin, sizeof twin, "twin_%s", tables[k]);
		for (long i = 0; i < t[k].nrow && !bad; i += per) {
			bad |= ax_db_begin(db) ||
			       ax_db_copy_begin(db, twin, (const char *const *)t[k].cols,
			                        t[k].ncol);
			for (long r = i; r < i + per && r < t[k].nrow && !bad; r++)
				bad |= ax_db_copy_row(db, (const char *const *)&t[k].v[r * t[k].ncol])
				       != AX_DB_OK;
			bad |= ax_db_copy_end(db) || ax_db_commit(db);
		}
	}
	*secs = now() - t0;
	if (bad)
		fprintf(stderr, "stored rows COPY: %s\n", ax_db_errmsg(db));
	for (int k = 0; k < 2; k++) {
		snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS twin_%s", tables[k]);
		ax_db_exec(db, sql);
		stored_free(&t[k]);
	}
	ax_db_close(db);
	return bad ? -1 : 0;
}

static int raw_insert(const char *path, const struct bench_pragmas *p,
                      char (*ids)[40], const struct lines *L, const long *ends,
                      long nends, double *t)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	double t0;
	long i = 0;
	int rc = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK || bench_pragmas_apply(db, p) ||
	    sqlite3_exec(db, "CREATE TABLE raw(id TEXT PRIMARY KEY, body TEXT NOT NULL)",
	                 NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO raw VALUES(?, ?)", -1, &s, NULL))
		goto fail;
	t0 = now();
	for (long k = 0; k < nends; k++) {
		if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL))
			goto fail;
		for (; i < ends[k]; i++) {
			sqlite3_bind_text(s, 1, ids[i], 36, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, L->v[i], (int)L->len[i], SQLITE_STATIC);
			if (sqlite3_step(s) != SQLITE_DONE)
				goto fail;
			sqlite3_reset(s);
		}
		if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
			goto fail;
	}
	*t = now() - t0;
	rc = 0;
fail:
	if (rc)
		fprintf(stderr, "bench_central: %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	long n = 1000000, batch = AX_SYNC_BATCH_DEFAULT, *ends, nends = 0;
	size_t max_bytes = AX_SYNC_MAX_BYTES_DEFAULT;
	const char *server = NULL, *src = getenv("ANXIN_SOURCE"), *pg = NULL;
	int json = 0, port = 0, ports[MAX_SERVERS] = {0}, nclients = 1,
	    nservers = 1, twice = 0;
	long long accepted = 0, duplicate = 0;
	char dir[] = "/tmp/anxin-bench-central-XXXXXX", db[256], rawdb[256],
	     rawfdb[256], portf[256], pf[200], po[200], token[AX_TOKEN_MAX], url[256], auth[200],
	     sid[AX_TOKEN_MAX], csrf[AX_TOKEN_MAX], cookie[200];
	struct lines L = {0};
	struct bench_pragmas p_fair, p_old;
	double t0, t_raw, t_raw_old, t_http, t_pg = 0, t_pgs = 0, lat[200];
	long pg_rows = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--batch") && i + 1 < argc)
			batch = atol(argv[++i]);
		else if (!strcmp(argv[i], "--server") && i + 1 < argc)
			server = argv[++i];
		else if (!strcmp(argv[i], "--source") && i + 1 < argc)
			src = argv[++i];
		else if (!strcmp(argv[i], "--pg") && i + 1 < argc)
			pg = argv[++i];
		else if (!strcmp(argv[i], "--clients") && i + 1 < argc)
			nclients = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--servers") && i + 1 < argc)
			nservers = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--twice"))
			twice = 1;
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			die("usage: bench_central --server PATH [--records N] [--batch N] "
			    "[--source DIR] [--pg URL] [--clients K] [--servers S] [--twice] "
			    "[--json]");
	}
	if (!server)
		die("--server PATH/anxin-central is required");
	if (!src)
		src = ".";
	if (n < 1 || batch < 1)
		die("--records and --batch must be positive");
	if (twice)
		nclients = 2;
	if (nclients < 1 || nclients > 16 || nservers < 1 || nservers > MAX_SERVERS)
		die("--clients 1..16, --servers 1..4");
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(db, sizeof db, "%s/central.db", dir);
	snprintf(rawdb, sizeof rawdb, "%s/raw.db", dir);
	snprintf(rawfdb, sizeof rawfdb, "%s/raw-fair.db", dir);
	snprintf(portf, sizeof portf, "%s/port", dir);

	{ /* store: roster, content, one county-wide device */
		ax_store *st;
		ax_content *c;
		struct ax_roster_opts ro = {0};
		char path[1024];
		int nerr;
		struct ax_demo_opts o = {0};
		ro.county_name = "江州县";
		bench_capture_begin();
		if (ax_store_open(db, AX_STORE_CREATE, &st, NULL, 0))
			die("store");
		if (bench_capture_end("/central.db", &p_fair))
			die("cannot read the store connection's pragmas");
		snprintf(path, sizeof path, "%s/content/demo/jiangzhou-roster.csv", src);
		if (ax_roster_import_csv(st, path, &ro, NULL, NULL, NULL))
			die("roster");
		snprintf(path, sizeof path, "%s/content", src);
		if (ax_content_load_dir(path, NULL, NULL, &nerr, &c) || nerr ||
		    ax_content_install(st, c, NULL))
			die("content");
		ax_content_free(c);
		/* registered before the 60 days of history it sends, and the
		 * records are all as this SMS gateway sends them */
		if (ax_device_add(st, "bench", "smsd", "439901000000", token) ||
		    sqlite3_exec(ax_store_sqlite(st), "UPDATE devices SET "
		                 "created_at = 0", NULL, NULL, NULL) != SQLITE_OK)
			die("device");
		/* the report's reader: a county user's session (copied to
		 * PostgreSQL with the store) */
		if (ax_user_add(st, "bench", "bench-county-pass-1", "county",
		                "439901000000", 0) ||
		    ax_session_create(st, "bench", 86400, sid, csrf))
			die("staff user");
		o.device = "bench";
		o.seed = 11;
		o.count = n;
		o.start = 1790000000;
		o.days = 60;
		o.reach = 0.97;
		if (ax_demo_records(st, &o, collect, &L) || L.n != n)
			die("generate");
		if (pg && ax_store_copy_pg(st, pg, NULL, NULL)) {
			fprintf(stderr, "%s\n", ax_store_errmsg(st));
			die("store copy to PostgreSQL");
		}
		ax_store_close(st);
	}

	/* the batches: as ax__sync_build_batch cuts them (count, then bytes) */
	if (!(ends = malloc(sizeof *ends * (size_t)(n / batch + n + 1))))
		die("out of memory");
	for (long i = 0; i < n;) {
		size_t len = 0;
		long k = i;
		while (k < n && k - i < batch && (k == i || len + L.len[k] + 1 <= max_bytes))
			len += L.len[k++] + 1;
		ends[nends++] = i = k;
	}

	{ /* baselines: raw insert of the same rows (id, body) */
		sqlite3 *rdb;
		long all = n;
		char (*ids)[40] = malloc(sizeof *ids * (size_t)n);
		if (!ids)
			die("out of memory");
		for (long i = 0; i < n; i++) {
			const char *p = strstr(L.v[i], "\"id\":\"");
			memcpy(ids[i], p + 6, 36);
			ids[i][36] = '\0';
		}
		if (sqlite3_open(rawdb, &rdb) != SQLITE_OK)
			die("raw.db");
		bench_pragmas_old(rdb, &p_old);
		sqlite3_close(rdb);
		if (raw_insert(rawdb, &p_old, ids, &L, &all, 1, &t_raw_old) ||
		    raw_insert(rawfdb, &p_fair, ids, &L, ends, nends, &t_raw))
			die("raw insert");
		if (pg && raw_copy_pg(pg, ids, &L, ends, nends, &t_pg))
			die("raw COPY into PostgreSQL");
		free(ids);
	}

	/* the servers: nservers processes on the one database (--pg), each
	 * its own port file */
	for (int k = 0; k < nservers; k++) {
		char pfk[300];
		snprintf(pfk, sizeof pfk, "%s.%d", portf, k);
		server_pids[k] = fork();
		if (server_pids[k] == 0) {
			execl(server, server, "--db", pg ? pg : db, "--listen", "127.0.0.1:0",
			      "--port-file", pfk, (char *)NULL);
			_exit(127);
		}
		for (int i = 0; i < 200 && !ports[k]; i++) {
			FILE *f = fopen(pfk, "r");
			if (f) {
				if (fscanf(f, "%d", &ports[k]) != 1)
					ports[k] = 0;
				fclose(f);
			}
			if (!ports[k])
				usleep(50000);
		}
		if (!ports[k])
			die("server did not start");
	}
	port = ports[0];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	snprintf(cookie, sizeof cookie, "Cookie: anxin_session=%s", sid);

	{ /* ingest over HTTP: nclients clients, client k to server k mod
	   * nservers, each its share of the batches in turn; --twice: two
	   * clients each post every batch (the same device's batches racing
	   * through two servers, or one) */
		struct client cl[16];
		pthread_t th[16];
		for (int k = 0; k < nclients; k++) {
			memset(&cl[k], 0, sizeof cl[k]);
			cl[k].L = &L;
			cl[k].ends = ends;
			cl[k].nends = nends;
			cl[k].first = twice ? 0 : k;
			cl[k].step = twice ? 1 : nclients;
			cl[k].port = ports[k % nservers];
			cl[k].auth = auth;
		}
		t0 = now();
		for (int k = 0; k < nclients; k++)
			if (pthread_create(&th[k], NULL, client_run, &cl[k]))
				die("thread");
		for (int k = 0; k < nclients; k++)
			pthread_join(th[k], NULL);
		t_http = now() - t0;
		for (int k = 0; k < nclients; k++) {
			if (cl[k].failed) {
				fprintf(stderr, "client %d: %s\n", k, cl[k].why);
				die("batch not fully stored");
			}
			accepted += cl[k].accepted;
			duplicate += cl[k].duplicate;
		}
		/* each record accepted once, whoever sent it */
		if (accepted != n || duplicate != (twice ? n : 0)) {
			fprintf(stderr, "accepted %lld, duplicate %lld of %ld records\n",
			        accepted, duplicate, n);
			die("records counted wrong");
		}
		if (pg && check_pg(pg, n))
			die("the database after the run is wrong");
		if (pg && stored_copy_pg(pg, (n + nends - 1) / nends, &t_pgs, &pg_rows))
			die("COPY of the stored rows");
	}

	{ /* county report latency */
		CURL *c = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL, cookie);
		snprintf(url, sizeof url,
		         "http://127.0.0.1:%d/api/v1/report?scope=439901000000&depth=1", port);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
		for (int i = 0; i < 200; i++) {
			struct sink sk = {0};
			long code = 0;
			curl_easy_setopt(c, CURLOPT_WRITEDATA, &sk);
			t0 = now();
			if (curl_easy_perform(c) != CURLE_OK)
				die("report failed");
			lat[i] = now() - t0;
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			if (code != 200) {
				fprintf(stderr, "%ld %s\n", code, sk.p ? sk.p : "");
				die("report status");
			}
			free(sk.p);
		}
		qsort(lat, 200, sizeof lat[0], cmp_double);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
	}
	stop_server();

	{
		double raw = (double)n / t_raw, rate = (double)n / t_http,
		       old = (double)n / t_raw_old, per = (double)n / (double)nends;
		bench_pragmas_str(&p_fair, pf, sizeof pf);
		bench_pragmas_str(&p_old, po, sizeof po);
		if (json) {
			struct bench_json j = {stdout, 0, {1}};
			bench_json_open(&j, NULL);
			bench_json_num(&j, "n", (double)n, 12);
			bench_json_num(&j, "batch", (double)batch, 12);
			bench_json_num(&j, "requests", (double)nends, 12);
			bench_json_num(&j, "clients", (double)nclients, 3);
			bench_json_num(&j, "servers", (double)nservers, 3);
			bench_json_num(&j, "twice", (double)twice, 2);
			bench_json_open(&j, "figures");
			bench_json_num(&j, "ingest_per_s", rate, 6);
			bench_json_num(&j, "report_p50_ms", lat[100] * 1e3, 4);
			bench_json_num(&j, "report_p99_ms", lat[197] * 1e3, 4);
			bench_json_close(&j);
			bench_json_open(&j, "baselines");
			bench_json_baseline(&j, "raw_insert_fair", raw, &p_fair, (long)(per + 0.5));
			bench_json_baseline(&j, "raw_insert_old", old, &p_old, n);
			bench_json_close(&j);
			bench_json_open(&j, "ratios");
			bench_json_num(&j, "ingest_vs_raw_fair", rate / raw, 4);
			bench_json_num(&j, "ingest_vs_raw_old", rate / old, 4);
			if (pg)
				bench_json_num(&j, "ingest_pg_vs_raw_copy_pg", rate / ((double)n / t_pg), 4);
			if (pg)
				bench_json_num(&j, "ingest_pg_vs_stored_rows_copy_pg",
				               rate / ((double)pg_rows / t_pgs), 4);
			bench_json_close(&j);
			bench_json_open(&j, "goals");
			bench_json_num(&j, "ingest_vs_raw_fair", 0.3, 3);
			bench_json_num(&j, "report_p99_ms", 200, 3);
			bench_json_close(&j);
			bench_json_close(&j);
		}
		/* with --json the table goes to stderr, for bench/run to show */
		fprintf(json ? stderr : stdout,
		        "bench/central: %ld records over HTTP in %ld batches (%.0f per batch,"
		        " a transaction each)\n"
		        "  HTTP ingest:                       %9.0f records/s\n"
		        "  raw insert, fair baseline:         %9.0f rows/s\n"
		        "    (%s; a commit per batch, as the server)\n"
		        "  raw insert, old baseline:          %9.0f rows/s\n"
		        "    (%s; one transaction)\n"
		        "  ratio ingest / raw, fair baseline: %9.3f   (goal >= 0.3)\n"
		        "  ratio ingest / raw, old baseline:  %9.3f\n"
		        "  county report p50 / p99:           %7.1f / %.1f ms (goal p99 < 200 ms)\n",
		        n, nends, per, rate, raw, pf, old, po, rate / raw, rate / old,
		        lat[100] * 1e3, lat[197] * 1e3);
		fprintf(json ? stderr : stdout,
		        "  clients / servers: %d / %d%s; accepted %lld, duplicates %lld%s\n",
		        nclients, nservers, twice ? " (every batch sent by both clients)" : "",
		        accepted, duplicate,
		        pg ? "; database checked: each record once, one counted response"
		             " per household, survey and wave, tallies agree" : "");
		if (pg)
			fprintf(json ? stderr : stdout,
			        "  on PostgreSQL: raw COPY of (id, body), a commit per batch: %9.0f rows/s\n"
			        "  ratio ingest (server on PostgreSQL) / raw COPY: %6.3f   (goal >= 0.3)\n"
			        "  on PostgreSQL: COPY of the %ld stored rows into twins of their tables\n"
			        "    (same indexes and foreign keys), a commit per batch: %9.0f rows/s\n"
			        "  ratio ingest / COPY of the stored rows (fair): %6.3f\n",
			        (double)n / t_pg, rate / ((double)n / t_pg), pg_rows,
			        (double)pg_rows / t_pgs, rate / ((double)pg_rows / t_pgs));
	}
	free(ends);
	snprintf(db, sizeof db, "rm -rf '%s'", dir);
	return system(db) == 0 ? 0 : 1;
}
