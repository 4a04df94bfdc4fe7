/*
 * testutil.h -- helpers shared by the unit tests that need files: a
 * scratch folder under /tmp removed at exit, a diagnostics collector for
 * ax_diag_fn, and one-value queries on an SQLite file opened read-only
 * beside the library (so tests check what was stored, not what the
 * library says it stored).
 *
 * Header-only, everything static: each test is one program.
 */
#ifndef AX_TEST_UTIL_H
#define AX_TEST_UTIL_H

#include <ftw.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anxin/anxin.h"
#include "anxin/content.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "check.h"

/* ---- scratch folder --------------------------------------------------- */
static char tu_dir[64];

static inline int tu_rm_one(const char *p, const struct stat *sb, int flag,
                     struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p);
}

static inline void tu_cleanup(void)
{
	if (tu_dir[0])
		nftw(tu_dir, tu_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	tu_dir[0] = '\0';
}

/* Create the scratch folder; it is removed when the program exits. */
static inline void tu_init(void)
{
	snprintf(tu_dir, sizeof tu_dir, "/tmp/anxin-unit-XXXXXX");
	REQUIRE(mkdtemp(tu_dir) != NULL);
	atexit(tu_cleanup);
}

/* Path of `name` inside the scratch folder (static buffer, rotated). */
static inline const char *tu_path(const char *name)
{
	static char bufs[8][256];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "%s/%s", tu_dir, name);
	return b;
}

static inline void tu_write(const char *path, const char *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	REQUIRE(f != NULL);
	REQUIRE(fwrite(buf, 1, len, f) == len);
	REQUIRE(fclose(f) == 0);
}

/* ---- diagnostics ------------------------------------------------------ */
#define TU_MAX_DIAG 64

struct tu_diag {
	int n;
	int sev[TU_MAX_DIAG];
	char *msg[TU_MAX_DIAG];
};

static inline void tu_diag_fn(void *ctx, enum ax_severity sev, const char *msg)
{
	struct tu_diag *d = ctx;
	if (d->n < TU_MAX_DIAG) {
		d->sev[d->n] = (int)sev;
		d->msg[d->n] = strdup(msg);
		d->n++;
	}
}

static inline void tu_diag_clear(struct tu_diag *d)
{
	for (int i = 0; i < d->n; i++)
		free(d->msg[i]);
	d->n = 0;
}

static inline void tu_diag_dump(const struct tu_diag *d)
{
	for (int i = 0; i < d->n; i++)
		fprintf(stderr, "  diag[%d] sev %d: %s\n", i, d->sev[i], d->msg[i]);
}

/* Index of the first diagnostic that starts with `prefix`, else -1. */
static inline int tu_diag_find(const struct tu_diag *d, const char *prefix)
{
	for (int i = 0; i < d->n; i++)
		if (strncmp(d->msg[i], prefix, strlen(prefix)) == 0)
			return i;
	return -1;
}

/* Check that a diagnostic starts with `prefix`, has severity `sev` and
 * contains `part` ("" for anything). */
#define TU_CHECK_DIAG(d, sev_, prefix, part)                                 \
	do {                                                                     \
		int i_ = tu_diag_find((d), (prefix));                                \
		CHECK(i_ >= 0);                                                      \
		if (i_ < 0) {                                                        \
			fprintf(stderr, "  no diagnostic starts with \"%s\"\n", prefix); \
			tu_diag_dump(d);                                                 \
		} else {                                                             \
			CHECK_INT((d)->sev[i_], (sev_));                                 \
			if (!strstr((d)->msg[i_], (part))) {                             \
				CHECK_STR((d)->msg[i_], (part));                             \
			}                                                                \
		}                                                                    \
	} while (0)

/* ---- direct SQLite reads ---------------------------------------------- */
static inline sqlite3 *tu_db_open(const char *path)
{
	sqlite3 *db = NULL;
	REQUIRE(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK);
	return db;
}

/* First column of the first row as text ("NULL" for NULL, "" for no
 * row); printf-style SQL.  Static buffer, rotated. */
static inline const char *tu_q(sqlite3 *db, const char *fmt, ...)
{
	static char bufs[8][1024];
	static int next;
	char *b = bufs[next++ % 8], sql[1024];
	sqlite3_stmt *s;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	b[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "tu_q: %s: %s\n", sql, sqlite3_errmsg(db));
		snprintf(b, sizeof bufs[0], "ERROR");
		return b;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(b, sizeof bufs[0], "%s",
		         sqlite3_column_type(s, 0) == SQLITE_NULL
		             ? "NULL"
		             : (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return b;
}

static inline long long tu_qi(sqlite3 *db, const char *fmt, ...)
{
	char sql[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	return atoll(tu_q(db, "%s", sql));
}

/* ---- lines: an ax_line_fn collector (records from ax_demo_records) ---- */
struct tu_lines {
	char **v;
	size_t *len;
	long n, cap;
};

static inline int tu_collect(void *ctx, const char *line, size_t len)
{
	struct tu_lines *l = ctx;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		REQUIRE((l->v = realloc(l->v, sizeof *l->v * (size_t)l->cap)));
		REQUIRE((l->len = realloc(l->len, sizeof *l->len * (size_t)l->cap)));
	}
	REQUIRE((l->v[l->n] = malloc(len + 1)));
	memcpy(l->v[l->n], line, len);
	l->v[l->n][len] = '\0';
	l->len[l->n++] = len;
	return 0;
}

static inline void tu_lines_free(struct tu_lines *l)
{
	for (long i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	free(l->len);
	memset(l, 0, sizeof *l);
}

/* ---- records: import record lines in one batch, each must be accepted */
static inline void tu_import_lines(ax_store *st, const char *const *lines,
                                   size_t n)
{
	ax_importer *im = NULL;
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	for (size_t i = 0; i < n; i++) {
		struct ax_rec_outcome out;
		REQUIRE(ax_importer_line(im, lines[i], strlen(lines[i]), "test",
		                         &out) == AX_OK);
		if (out.result != AX_REC_ACCEPTED)
			fprintf(stderr, "record %zu: %s\n", i, out.reason);
		CHECK_INT(out.result, AX_REC_ACCEPTED);
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
}

/* ---- a sample county: every Nth household of the demo roster (spread
 * over the whole county) and the bundled content ($ANXIN_SOURCE) ------- */
static inline void tu_sample_store(ax_store *st, int every)
{
	const char *src = getenv("ANXIN_SOURCE");
	char path[512], line[1024];
	struct ax_roster_opts ro = {0};
	ax_content *c = NULL;
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0, k;
	long no = 0;
	int nerr = -1;

	REQUIRE(src != NULL);
	snprintf(path, sizeof path, "%s/content/demo/jiangzhou-roster.csv", src);
	REQUIRE((f = fopen(path, "rb")) != NULL);
	while (fgets(line, sizeof line, f)) {
		if (no++ % every != 0)
			continue;
		k = strlen(line);
		if (n + k + 1 > cap) {
			cap = (n + k + 1) * 2;
			REQUIRE((buf = realloc(buf, cap)));
		}
		memcpy(buf + n, line, k);
		n += k;
	}
	fclose(f);
	ro.county_name = "江州县";
	REQUIRE(ax_roster_import_mem(st, "roster.csv", buf, n, &ro, NULL, NULL,
	                             NULL) == AX_OK);
	free(buf);
	snprintf(path, sizeof path, "%s/tests/content-v1", src);
	REQUIRE(ax_content_load_dir(path, NULL, NULL, &nerr, &c) == AX_OK);
	CHECK_INT(nerr, 0);
	REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
	ax_content_free(c);
}

/* ---- a store from text: a roster CSV, then survey files -------------- */
#define TU_INTRO                                                                \
	" \"intro\": \"请您打分，答案只用于统计。\","                                  \
	" \"sms_intro\": \"【江州县平安办】您好！请回复选项前的数字。回复TD退订\","  \
	" \"sms_thanks\": \"【江州县平安办】谢谢！\","

/* A survey on safety-ceping.json's rules, word for word: 安全感 (1-3 of
 * 很安全…不安全, 6 说不清 out) and 满意度 (1-2 of 很满意…不满意 scored 5-1, 6
 * 说不清 out, target 0.85). */
#define TU_CEPING(ID, TITLE)                                                    \
	"{\"id\": \"" ID "\", \"version\": 1, \"title\": \"" TITLE "\"," TU_INTRO     \
	" \"questions\": ["                                                       \
	"  {\"id\": \"safety\", \"type\": \"single\", \"text\": \"您觉得安全吗？\","   \
	"   \"sms\": \"安全吗？回复1很安全 2安全 3基本安全 4不太安全 5不安全 6说不清\"," \
	"   \"options\": [{\"code\": \"1\", \"label\": \"很安全\"},"                 \
	"    {\"code\": \"2\", \"label\": \"安全\"}, {\"code\": \"3\", \"label\": \"基本安全\"}," \
	"    {\"code\": \"4\", \"label\": \"不太安全\"}, {\"code\": \"5\", \"label\": \"不安全\"}," \
	"    {\"code\": \"6\", \"label\": \"说不清\"}]},"                            \
	"  {\"id\": \"overall\", \"type\": \"single\", \"text\": \"您满意吗？\","       \
	"   \"sms\": \"您满意吗？回复1很满意 2满意 3基本满意 4不太满意 5不满意 6说不清\"," \
	"   \"options\": [{\"code\": \"1\", \"label\": \"很满意\", \"score\": 5},"     \
	"    {\"code\": \"2\", \"label\": \"满意\", \"score\": 4},"                   \
	"    {\"code\": \"3\", \"label\": \"基本满意\", \"score\": 3},"               \
	"    {\"code\": \"4\", \"label\": \"不太满意\", \"score\": 2},"               \
	"    {\"code\": \"5\", \"label\": \"不满意\", \"score\": 1},"                 \
	"    {\"code\": \"6\", \"label\": \"说不清\"}]}"                              \
	" ],"                                                                     \
	" \"metrics\": {"                                                         \
	"  \"satisfaction\": {\"question\": \"overall\", \"satisfied\": [\"1\", \"2\"]," \
	"   \"dont_know\": [\"6\"], \"target\": 0.85},"                            \
	"  \"rates\": [{\"id\": \"safety\", \"name\": \"安全感\", \"question\": \"safety\"," \
	"    \"positive\": [\"1\", \"2\", \"3\"], \"dont_know\": [\"6\"]}]}}"


/* The first row (the scope's) of the report o asks for, by value. */
static inline struct ax_report_row tu_report_row0(ax_store *st,
                                                  const struct ax_report_opts *o)
{
	struct ax_report *rep = NULL;
	struct ax_report_row row;
	REQUIRE(ax_report_build(st, o, &rep) == AX_OK);
	row = rep->rows[0];
	ax_report_free(rep);
	return row;
}

static inline ax_store *tu_store_new(const char *file, const char *roster,
                                     size_t len)
{
	ax_store *st = NULL;
	REQUIRE(ax_store_open(tu_path(file), AX_STORE_CREATE, &st, NULL, 0) ==
	        AX_OK);
	REQUIRE(ax_roster_import_mem(st, "roster.csv", roster, len, NULL, NULL,
	                             NULL, NULL) == AX_OK);
	return st;
}

static inline void tu_install_survey(ax_store *st, const char *name,
                                     const char *text)
{
	ax_content *c = NULL;
	int nerr = 0;
	REQUIRE(ax_content_load_text(name, "survey", text, tu_diag_fn, NULL, &nerr,
	                             &c) == AX_OK);
	REQUIRE(nerr == 0);
	REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
	ax_content_free(c);
}

#endif
