/*
 * bench/store -- ingest and report speed of the store.
 *
 * Imports N records (default 1,000,000) into a store holding the 20,000-
 * household demo roster and prints records/s, the ratio to a raw SQLite
 * insert of the same rows (id + body, prepared statement) measured in the
 * same run, and the time of a county report.  Not a test: it never fails
 * because the machine is slow.
 *
 * The ingest commits every --batch records (default 50,000, as
 * `anxin records import` does).  Two baselines:
 *   fair  the store connection's own pragmas (read back from it: WAL,
 *         synchronous=FULL, its cache size ...) and a commit every --batch
 *         rows, as the ingest;
 *   old   what this bench compared with before: WAL, synchronous=NORMAL,
 *         SQLite's default cache, one transaction.
 * Besides wall-clock rates it prints the ratio of CPU times, steadier on a
 * machine shared with other work (fsync waits are not CPU time).
 *
 *   bench_store [--records N] [--batch N] [--source REPO_ROOT] [--json]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <time.h>
#include <unistd.h>

#include "anxin/content.h"
#include "anxin/demo.h"
#include "anxin/funnel.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "bench.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this (single-threaded) process: on a machine shared with
 * other work the wall-clock ratio swings with the load; the CPU ratio
 * does not, so both are printed. */
static double cpu(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
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
	l->v[l->n] = malloc(len + 1);
	if (!l->v[l->n])
		return 1;
	memcpy(l->v[l->n], line, len);
	l->v[l->n][len] = '\0';
	l->len[l->n++] = len;
	return 0;
}

static void die(const char *what, ax_store *st)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, st ? ax_store_errmsg(st) : "");
	exit(1);
}

/* Insert the n rows (ids[i], L->v[i]) into a new table of a new file at
 * `path` with pragmas *p, committing every `per_txn` rows; wall and CPU
 * seconds of the inserts and commits to *t and *c.  0 done, -1 failed. */
static int raw_insert(const char *path, const struct bench_pragmas *p,
                      char (*ids)[40], const struct lines *L, long n, long per_txn,
                      double *t, double *c)
{
	sqlite3 *db;
	sqlite3_stmt *s = NULL;
	double t0, c0;
	int rc = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK || bench_pragmas_apply(db, p) ||
	    sqlite3_exec(db, "CREATE TABLE raw(id TEXT PRIMARY KEY, body TEXT NOT NULL)",
	                 NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO raw(id, body) VALUES(?, ?)", -1, &s,
	                       NULL))
		goto fail;
	t0 = now();
	c0 = cpu();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; i < n; i++) {
		sqlite3_bind_text(s, 1, ids[i], 36, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, L->v[i], (int)L->len[i], SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(s);
		if ((i + 1) % per_txn == 0 && i + 1 < n &&
		    sqlite3_exec(db, "COMMIT; BEGIN", NULL, NULL, NULL))
			goto fail;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
		goto fail;
	*t = now() - t0;
	*c = cpu() - c0;
	rc = 0;
fail:
	if (rc)
		fprintf(stderr, "bench_store: %s: %s\n", path, sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc;
}

int main(int argc, char **argv)
{
	long n = 1000000, batch = 50000; /* as a file import (records.c) */
	const char *src = getenv("ANXIN_SOURCE");
	int json = 0;
	char dir[] = "/tmp/anxin-bench-XXXXXX", path[256], rpath[256], rfpath[256];
	ax_store *st;
	ax_content *c;
	struct lines L = {0};
	struct ax_demo_opts o = {0};
	struct bench_pragmas p_fair, p_old;
	char pf[200], po[200];
	double t0, c0, t_raw, t_ingest, c_raw, c_ingest, t_raw_old, c_raw_old;
	double t_report = 1e9, t_report_full = 1e9, t_trend_grid = 1e9,
	       t_trend_county = 1e9;
	int nerr;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--records") == 0 && i + 1 < argc)
			n = atol(argv[++i]);
		else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
			batch = atol(argv[++i]);
		else if (strcmp(argv[i], "--source") == 0 && i + 1 < argc)
			src = argv[++i];
		else if (strcmp(argv[i], "--json") == 0)
			json = 1;
		else {
			fprintf(stderr, "usage: bench_store [--records N] [--batch N] [--source DIR] [--json]\n");
			return 2;
		}
	}
	if (!src)
		src = ".";
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/store.db", dir);
	snprintf(rpath, sizeof rpath, "%s/raw.db", dir);
	snprintf(rfpath, sizeof rfpath, "%s/raw-fair.db", dir);
	if (batch < 1)
		batch = 1;

	/* set-up: roster and content; the store connection's pragmas */
	bench_capture_begin();
	if (ax_store_open(path, AX_STORE_CREATE, &st, NULL, 0))
		die("open", NULL);
	if (bench_capture_end("/store.db", &p_fair))
		die("cannot read the store connection's pragmas", NULL);
	{
		char roster[1024], content[1024];
		struct ax_roster_opts ro = {0};
		ro.county_name = "江州县";
		snprintf(roster, sizeof roster, "%s/content/demo/jiangzhou-roster.csv", src);
		snprintf(content, sizeof content, "%s/content", src);
		if (ax_roster_import_csv(st, roster, &ro, NULL, NULL, NULL))
			die("roster", st);
		if (ax_content_load_dir(content, NULL, NULL, &nerr, &c) || nerr ||
		    ax_content_install(st, c, NULL))
			die("content", st);
		ax_content_free(c);
	}
	o.seed = 7;
	o.count = n;
	o.start = 1790000000; /* 2026-09-21 */
	o.days = 60;
	o.reach = 0.97;
	if (ax_demo_records(st, &o, collect, &L) || L.n != n)
		die("generate", st);

	/* baselines: raw insert of the same rows (id, body).  The old one as
	 * this bench always ran it; the fair one with the store's own pragmas
	 * (read back from its connection) and its commit interval. */
	{
		sqlite3 *db;
		/* ids are found before the clock starts: only inserting is timed */
		char (*ids)[40] = malloc(sizeof *ids * (size_t)n);
		if (!ids)
			die("out of memory", NULL);
		for (long i = 0; i < n; i++) {
			const char *p = strstr(L.v[i], "\"id\":\"");
			memcpy(ids[i], p + 6, 36);
			ids[i][36] = '\0';
		}
		if (sqlite3_open(rpath, &db) != SQLITE_OK)
			die("raw.db", NULL);
		bench_pragmas_old(db, &p_old);
		sqlite3_close(db);
		if (raw_insert(rpath, &p_old, ids, &L, n, n, &t_raw_old, &c_raw_old) ||
		    raw_insert(rfpath, &p_fair, ids, &L, n, batch, &t_raw, &c_raw))
			die("raw insert", NULL);
		free(ids);
	}

	/* Anxin ingest: validate, dedup, derive, tally; `batch` per transaction */
	{
		ax_importer *im;
		struct ax_rec_outcome out;
		long acc = 0;
		if (ax_importer_new(st, &im))
			die("importer", st);
		t0 = now();
		c0 = cpu();
		ax_importer_begin(im);
		for (long i = 0; i < n; i++) {
			if (ax_importer_line(im, L.v[i], L.len[i], NULL, &out))
				die("import", st);
			acc += out.result == AX_REC_ACCEPTED;
			if ((i + 1) % batch == 0) {
				if (ax_importer_commit(im) || ax_importer_begin(im))
					die("commit", st);
			}
		}
		if (ax_importer_commit(im))
			die("commit", st);
		t_ingest = now() - t0;
		c_ingest = cpu() - c0;
		ax_importer_free(im);
		if (acc != n) {
			fprintf(stderr, "bench_store: only %ld of %ld accepted\n", acc, n);
			return 1;
		}
	}

	/* county report (depth 1) and the full tree (depth 4), best of 5 */
	for (int k = 0; k < 5; k++) {
		struct ax_report_opts ro = {0};
		struct ax_report *r;
		double t;
		ro.depth = 1;
		t0 = now();
		if (ax_report_build(st, &ro, &r))
			die("report", st);
		t = now() - t0;
		if (t < t_report)
			t_report = t;
		ax_report_free(r);
		ro.depth = 4;
		t0 = now();
		if (ax_report_build(st, &ro, &r))
			die("report", st);
		t = now() - t0;
		if (t < t_report_full)
			t_report_full = t;
		ax_report_free(r);
	}
	/* weekly trends (the dashboard's charts), 12 weeks, best of 5 */
	for (int k = 0; k < 5; k++) {
		struct ax_trend_week w[12];
		double t;
		t0 = now();
		if (ax_trend_weeks(st, "439901101001002", NULL, NULL, "2026-11-22",
		                   12, w))
			die("trend", st);
		t = now() - t0;
		if (t < t_trend_grid)
			t_trend_grid = t;
		t0 = now();
		if (ax_trend_weeks(st, "439901000000", NULL, NULL, "2026-11-22", 12, w))
			die("trend", st);
		t = now() - t0;
		if (t < t_trend_county)
			t_trend_county = t;
	}
	ax_store_close(st);

	double raw_rate = (double)n / t_raw, rate = (double)n / t_ingest,
	       old_rate = (double)n / t_raw_old;
	bench_pragmas_str(&p_fair, pf, sizeof pf);
	bench_pragmas_str(&p_old, po, sizeof po);
	if (json) {
		struct bench_json j = {stdout, 0, {1}};
		bench_json_open(&j, NULL);
		bench_json_num(&j, "n", (double)n, 12);
		bench_json_num(&j, "batch", (double)batch, 12);
		bench_json_open(&j, "figures");
		bench_json_num(&j, "ingest_per_s", rate, 6);
		bench_json_num(&j, "ingest_cpu_s", c_ingest, 4);
		bench_json_num(&j, "report_county_s", t_report, 4);
		bench_json_num(&j, "report_full_tree_s", t_report_full, 4);
		bench_json_num(&j, "trend_grid_s", t_trend_grid, 4);
		bench_json_num(&j, "trend_county_s", t_trend_county, 4);
		bench_json_close(&j);
		bench_json_open(&j, "baselines");
		bench_json_baseline(&j, "raw_insert_fair", raw_rate, &p_fair,
		                    batch < n ? batch : n);
		bench_json_baseline(&j, "raw_insert_old", old_rate, &p_old, n);
		bench_json_num(&j, "raw_insert_fair_cpu_s", c_raw, 4);
		bench_json_num(&j, "raw_insert_old_cpu_s", c_raw_old, 4);
		bench_json_close(&j);
		bench_json_open(&j, "ratios");
		bench_json_num(&j, "ingest_vs_raw_fair", rate / raw_rate, 4);
		bench_json_num(&j, "ingest_vs_raw_old", rate / old_rate, 4);
		bench_json_num(&j, "cpu_ingest_vs_raw_fair", c_raw / c_ingest, 4);
		bench_json_num(&j, "cpu_ingest_vs_raw_old", c_raw_old / c_ingest, 4);
		bench_json_close(&j);
		bench_json_open(&j, "goals");
		bench_json_num(&j, "ingest_vs_raw_fair", 0.5, 3);
		bench_json_num(&j, "report_county_s", 1.0, 3);
		bench_json_close(&j);
		bench_json_close(&j);
	}
	/* with --json the table goes to stderr, for bench/run to show */
	fprintf(json ? stderr : stdout,
	        "bench/store: %ld records, 20000 households, %ld per transaction\n"
	        "  anxin ingest:                          %9.0f records/s\n"
	        "  raw insert, fair baseline:             %9.0f rows/s\n"
	        "    (%s; %ld rows per transaction, as the ingest)\n"
	        "  raw insert, old baseline:              %9.0f rows/s\n"
	        "    (%s; one transaction)\n"
	        "  ratio ingest / raw, fair baseline:     %9.3f   (goal >= 0.5)\n"
	        "  ratio ingest / raw, old baseline:      %9.3f\n"
	        "  same in CPU time, fair / old baseline: %9.3f / %.3f (%.2f s fair, %.2f s old, %.2f s ingest)\n"
	        "  county report (depth 1):               %9.4f s (goal < 1 s)\n"
	        "  full tree report (depth 4):            %9.4f s\n"
	        "  12-week trend, one grid:               %9.4f s\n"
	        "  12-week trend, county:                 %9.4f s\n",
	        n, batch, rate, raw_rate, pf, batch, old_rate, po, rate / raw_rate,
	        rate / old_rate, c_raw / c_ingest, c_raw_old / c_ingest, c_raw,
	        c_raw_old, c_ingest, t_report, t_report_full, t_trend_grid,
	        t_trend_county);
	for (long i = 0; i < L.n; i++)
		free(L.v[i]);
	free(L.v);
	free(L.len);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 1;
	return 0;
}
