/*
 * bench/central -- ingest over loopback HTTP and report latency.
 *
 * Starts anxin-central on 127.0.0.1 (a free port) over a fresh store with
 * the 20,000-household demo roster, posts N records (default 1,000,000)
 * in batches of 500 with libcurl from one client thread, and compares
 * with a raw SQLite insert of the same rows measured in the same run.
 * Then measures county report requests (p50/p99 of 200).
 *
 *   bench_central --server PATH/anxin-central [--records N] [--source DIR]
 *                 [--json]
 */
#include <curl/curl.h>
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

static void die(const char *m)
{
	fprintf(stderr, "bench_central: %s\n", m);
	exit(1);
}

int main(int argc, char **argv)
{
	long n = 1000000, batch = 500;
	const char *server = NULL, *src = getenv("ANXIN_SOURCE");
	int json = 0, port = 0;
	char dir[] = "/tmp/anxin-bench-central-XXXXXX", db[256], rawdb[256],
	     portf[256], token[AX_TOKEN_MAX], url[256], auth[200];
	struct lines L = {0};
	double t0, t_raw, t_http, lat[200];
	pid_t pid;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--records") && i + 1 < argc)
			n = atol(argv[++i]);
		else if (!strcmp(argv[i], "--server") && i + 1 < argc)
			server = argv[++i];
		else if (!strcmp(argv[i], "--source") && i + 1 < argc)
			src = argv[++i];
		else if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			die("usage: bench_central --server PATH [--records N] [--source DIR] [--json]");
	}
	if (!server)
		die("--server PATH/anxin-central is required");
	if (!src)
		src = ".";
	if (!mkdtemp(dir))
		die("mkdtemp");
	snprintf(db, sizeof db, "%s/central.db", dir);
	snprintf(rawdb, sizeof rawdb, "%s/raw.db", dir);
	snprintf(portf, sizeof portf, "%s/port", dir);

	{ /* store: roster, content, one county-wide device */
		ax_store *st;
		ax_content *c;
		struct ax_roster_opts ro = {0};
		char path[1024];
		int nerr;
		struct ax_demo_opts o = {0};
		ro.county_name = "江州县";
		if (ax_store_open(db, AX_STORE_CREATE, &st, NULL, 0))
			die("store");
		snprintf(path, sizeof path, "%s/content/demo/jiangzhou-roster.csv", src);
		if (ax_roster_import_csv(st, path, &ro, NULL, NULL, NULL))
			die("roster");
		snprintf(path, sizeof path, "%s/content", src);
		if (ax_content_load_dir(path, NULL, NULL, &nerr, &c) || nerr ||
		    ax_content_install(st, c, NULL))
			die("content");
		ax_content_free(c);
		if (ax_device_add(st, "bench", "smsd", "439901000000", token))
			die("device");
		o.seed = 11;
		o.count = n;
		o.start = 1790000000;
		o.days = 60;
		o.reach = 0.97;
		if (ax_demo_records(st, &o, collect, &L) || L.n != n)
			die("generate");
		ax_store_close(st);
	}

	{ /* baseline: raw insert of the same rows (id, body), one transaction */
		sqlite3 *rdb;
		sqlite3_stmt *s;
		char (*ids)[40] = malloc(sizeof *ids * (size_t)n);
		for (long i = 0; i < n; i++) {
			const char *p = strstr(L.v[i], "\"id\":\"");
			memcpy(ids[i], p + 6, 36);
			ids[i][36] = '\0';
		}
		sqlite3_open(rawdb, &rdb);
		sqlite3_exec(rdb, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
		                  "CREATE TABLE raw(id TEXT PRIMARY KEY, body TEXT NOT NULL)",
		             NULL, NULL, NULL);
		sqlite3_prepare_v2(rdb, "INSERT INTO raw VALUES(?, ?)", -1, &s, NULL);
		t0 = now();
		sqlite3_exec(rdb, "BEGIN", NULL, NULL, NULL);
		for (long i = 0; i < n; i++) {
			sqlite3_bind_text(s, 1, ids[i], 36, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, L.v[i], (int)L.len[i], SQLITE_STATIC);
			sqlite3_step(s);
			sqlite3_reset(s);
		}
		sqlite3_exec(rdb, "COMMIT", NULL, NULL, NULL);
		t_raw = now() - t0;
		sqlite3_finalize(s);
		sqlite3_close(rdb);
		free(ids);
	}

	pid = fork();
	if (pid == 0) {
		execl(server, server, "--db", db, "--listen", "127.0.0.1:0",
		      "--port-file", portf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && !port; i++) {
		FILE *f = fopen(portf, "r");
		if (f) {
			if (fscanf(f, "%d", &port) != 1)
				port = 0;
			fclose(f);
		}
		if (!port)
			usleep(50000);
	}
	if (!port)
		die("server did not start");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);

	{ /* ingest over HTTP */
		CURL *c = curl_easy_init();
		struct curl_slist *h = NULL;
		char *body = NULL;
		size_t cap = 0;
		h = curl_slist_append(h, auth);
		h = curl_slist_append(h, "Content-Type: application/x-ndjson");
		h = curl_slist_append(h, "Expect:");
		snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/records", port);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
		t0 = now();
		for (long i = 0; i < n; i += batch) {
			size_t len = 0;
			struct sink sk = {0};
			long code = 0;
			for (long k = i; k < i + batch && k < n; k++) {
				if (len + L.len[k] + 2 > cap) {
					cap = (len + L.len[k] + 2) * 2;
					body = realloc(body, cap);
				}
				memcpy(body + len, L.v[k], L.len[k]);
				len += L.len[k];
				body[len++] = '\n';
			}
			curl_easy_setopt(c, CURLOPT_WRITEDATA, &sk);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
			if (curl_easy_perform(c) != CURLE_OK)
				die("POST failed");
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
			if (code != 200 || !sk.p || strstr(sk.p, "\"rejected\":0") == NULL) {
				fprintf(stderr, "%ld %s\n", code, sk.p ? sk.p : "");
				die("batch not fully accepted");
			}
			free(sk.p);
		}
		t_http = now() - t0;
		free(body);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
	}

	{ /* county report latency */
		CURL *c = curl_easy_init();
		struct curl_slist *h = curl_slist_append(NULL, auth);
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
			if (code != 200)
				die("report status");
			free(sk.p);
		}
		qsort(lat, 200, sizeof lat[0], cmp_double);
		curl_slist_free_all(h);
		curl_easy_cleanup(c);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);

	{
		double raw = (double)n / t_raw, rate = (double)n / t_http;
		if (json)
			printf("{\"component\":\"central\",\"records\":%ld,\"batch\":%ld,"
			       "\"ingest_per_s\":%.0f,\"raw_insert_per_s\":%.0f,\"ratio\":%.3f,"
			       "\"ratio_goal\":0.3,\"report_p50_ms\":%.1f,\"report_p99_ms\":%.1f,"
			       "\"report_p99_goal_ms\":200}\n",
			       n, batch, rate, raw, rate / raw, lat[100] * 1e3, lat[197] * 1e3);
		else
			printf("bench/central: %ld records over HTTP in batches of %ld\n"
			       "  raw SQLite insert (same rows):  %9.0f rows/s\n"
			       "  HTTP ingest:                    %9.0f records/s\n"
			       "  ratio ingest / raw:             %9.3f   (goal >= 0.3)\n"
			       "  county report p50 / p99:        %7.1f / %.1f ms (goal p99 < 200 ms)\n",
			       n, batch, raw, rate, rate / raw, lat[100] * 1e3, lat[197] * 1e3);
	}
	snprintf(db, sizeof db, "rm -rf '%s'", dir);
	return system(db) == 0 ? 0 : 1;
}
