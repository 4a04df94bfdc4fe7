/*
 * bench/store -- ingest and report speed of the store.
 *
 * Imports N records (default 1,000,000) into a store holding the 20,000-
 * household demo roster and prints records/s, the ratio to a raw SQLite
 * insert of the same rows (id + body, one transaction, prepared
 * statement, WAL) measured in the same run, and the time of a county
 * report.  Not a test: it never fails because the machine is slow.
 *
 * The ingest commits every --batch records (default 50,000, as
 * `anxin records import` does).  Besides wall-clock rates it prints the
 * ratio of CPU times, steadier on a machine shared with other work.
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

int main(int argc, char **argv)
{
	long n = 1000000, batch = 50000; /* as a file import (records.c) */
	const char *src = getenv("ANXIN_SOURCE");
	int json = 0;
	char dir[] = "/tmp/anxin-bench-XXXXXX", path[256], rpath[256];
	ax_store *st;
	ax_content *c;
	struct lines L = {0};
	struct ax_demo_opts o = {0};
	double t0, c0, t_raw, t_ingest, c_raw, c_ingest;
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

	/* set-up: roster and content */
	if (ax_store_open(path, AX_STORE_CREATE, &st, NULL, 0))
		die("open", NULL);
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

	/* baseline: raw insert of the same rows (id, body) */
	{
		sqlite3 *db;
		sqlite3_stmt *s;
		char id[40];
		sqlite3_open(rpath, &db);
		sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		                 "CREATE TABLE raw(id TEXT PRIMARY KEY, body TEXT NOT NULL)",
		             NULL, NULL, NULL);
		sqlite3_prepare_v2(db, "INSERT INTO raw(id, body) VALUES(?, ?)", -1, &s, NULL);
		/* ids are found before the clock starts: only inserting is timed */
		char (*ids)[40] = malloc(sizeof *ids * (size_t)n);
		for (long i = 0; i < n; i++) {
			const char *p = strstr(L.v[i], "\"id\":\"");
			memcpy(id, p + 6, 36);
			id[36] = '\0';
			memcpy(ids[i], id, 37);
		}
		t0 = now();
		c0 = cpu();
		sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		for (long i = 0; i < n; i++) {
			sqlite3_bind_text(s, 1, ids[i], 36, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, L.v[i], (int)L.len[i], SQLITE_STATIC);
			sqlite3_step(s);
			sqlite3_reset(s);
		}
		sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
		t_raw = now() - t0;
		c_raw = cpu() - c0;
		free(ids);
		sqlite3_finalize(s);
		sqlite3_close(db);
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

	double raw_rate = (double)n / t_raw, rate = (double)n / t_ingest;
	double cpu_ratio = c_raw / c_ingest;
	if (json)
		printf("{\"component\":\"store\",\"records\":%ld,\"batch\":%ld,"
		       "\"ingest_per_s\":%.0f,\"raw_insert_per_s\":%.0f,\"ratio\":%.3f,"
		       "\"ratio_goal\":0.5,\"cpu_ratio\":%.3f,"
		       "\"report_county_s\":%.4f,\"report_full_tree_s\":%.4f,"
		       "\"report_goal_s\":1.0,\"trend_grid_s\":%.4f,"
		       "\"trend_county_s\":%.4f}\n",
		       n, batch, rate, raw_rate, rate / raw_rate, cpu_ratio, t_report,
		       t_report_full, t_trend_grid, t_trend_county);
	else
		printf("bench/store: %ld records, 20000 households, %ld per transaction\n"
		       "  raw SQLite insert (same rows):  %9.0f rows/s\n"
		       "  anxin ingest:                   %9.0f records/s\n"
		       "  ratio ingest / raw:             %9.3f   (goal >= 0.5)\n"
		       "  same, CPU time:                 %9.3f   (%.2f s raw, %.2f s ingest)\n"
		       "  county report (depth 1):        %9.4f s (goal < 1 s)\n"
		       "  full tree report (depth 4):     %9.4f s\n"
		       "  12-week trend, one grid:        %9.4f s\n"
		       "  12-week trend, county:          %9.4f s\n",
		       n, batch, raw_rate, rate, rate / raw_rate, cpu_ratio, c_raw,
		       c_ingest, t_report, t_report_full, t_trend_grid, t_trend_county);
	for (long i = 0; i < L.n; i++)
		free(L.v[i]);
	free(L.v);
	free(L.len);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	if (system(path) != 0)
		return 1;
	return 0;
}
