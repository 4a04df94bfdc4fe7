/*
 * test_pg_copy.c -- `anxin store copy` (survey/src/store_copy.c): a county's
 * SQLite store into an empty PostgreSQL database on the `pg` fixture's
 * cluster (ctest pg.store_copy; argv[1] the file holding its URL, its own
 * database anxin_copy).
 *
 * The county: every 40th household of the demo roster, the test content,
 * 1,500 demo records (all accepted: responses + contacts = 1,500) and one
 * response sent again started a second earlier (one conflict row).  After the copy
 * every central table holds the same rows on both sides: each row written
 * as text the same way from raw SQLite (sqlite3_*) and from PostgreSQL,
 * numbers as the double they read as (%.17g), the two sorted lists equal.
 * Copying again is refused; the conflicts' seq goes on after the copied.
 */
#include <sqlite3.h>

#include "anxin/demo.h"
#include "db.h"
#include "pgtest.h"
#include "testutil.h"

static const char *const tables[] = {
	"meta", "regions", "households", "household_periods", "household_phones", "packs", "surveys",
	"responses", "contacts", "visits_undone", "conflicts", "tally", "tally_total", "devices",
	"users", "sessions", "campaigns", "campaign_strata", "campaign_sample",
	"keys", "optout_events"};
#define NT (sizeof tables / sizeof *tables)

static long long heard[NT];

static void hear(void *ctx, const char *table, long long rows)
{
	(void)ctx;
	for (size_t i = 0; i < NT; i++)
		if (!strcmp(tables[i], table))
			heard[i] = rows;
}

/* a value as text, numbers as the double they read as */
static void canon(struct tu_lines *row, const char *v)
{
	char buf[64], *end;
	if (!v) {
		tu_collect(row, "\\N", 2);
		return;
	}
	double d = strtod(v, &end);
	if (*v && !*end && end != v && strspn(v, "0123456789.-+eE") == strlen(v)) {
		snprintf(buf, sizeof buf, "%.17g", d);
		v = buf;
	}
	tu_collect(row, v, strlen(v));
}

/* every row of a table, one joined line each, sorted */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void join_row(struct tu_lines *vals, struct tu_lines *rows)
{
	size_t len = 0, k = 0;
	for (long i = 0; i < vals->n; i++)
		len += vals->len[i] + 1;
	char *line = malloc(len + 1);
	REQUIRE(line);
	for (long i = 0; i < vals->n; i++) {
		memcpy(line + k, vals->v[i], vals->len[i]);
		k += vals->len[i];
		line[k++] = '\x1f';
	}
	line[k] = '\0';
	tu_collect(rows, line, k);
	free(line);
	tu_lines_free(vals);
}

static void sqlite_rows(sqlite3 *sl, const char *table, const char *where,
                        struct tu_lines *rows)
{
	char sql[256];
	sqlite3_stmt *s;
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"%s", table, where);
	REQUIRE(sqlite3_prepare_v2(sl, sql, -1, &s, NULL) == SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct tu_lines vals = {0};
		for (int i = 0; i < sqlite3_column_count(s); i++) {
			if (sqlite3_column_type(s, i) == SQLITE_BLOB) {
				const unsigned char *b = sqlite3_column_blob(s, i);
				int n = sqlite3_column_bytes(s, i);
				char *h = malloc(2 * (size_t)n + 3);
				REQUIRE(h);
				strcpy(h, "\\x");
				for (int j = 0; j < n; j++)
					snprintf(h + 2 + 2 * j, 3, "%02x", b[j]);
				canon(&vals, h);
				free(h);
			} else if (sqlite3_column_type(s, i) == SQLITE_FLOAT) {
				/* its text has 15 digits: the double itself */
				char d[32];
				snprintf(d, sizeof d, "%.17g", sqlite3_column_double(s, i));
				canon(&vals, d);
			} else {
				canon(&vals, (const char *)sqlite3_column_text(s, i));
			}
		}
		join_row(&vals, rows);
	}
	sqlite3_finalize(s);
	if (rows->n)
		qsort(rows->v, (size_t)rows->n, sizeof *rows->v, cmp_str);
}

static void pg_rows(ax_db *db, const char *table, const char *where,
                    struct tu_lines *rows)
{
	char sql[256];
	ax_stmt *s;
	snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"%s", table, where);
	REQUIRE(ax_db_prepare(db, sql, &s) == AX_DB_OK);
	while (ax_stmt_step(s) == AX_DB_ROW) {
		struct tu_lines vals = {0};
		for (int i = 0; i < ax_stmt_columns(s); i++)
			canon(&vals, ax_stmt_text(s, i));
		join_row(&vals, rows);
	}
	ax_stmt_finalize(s);
	if (rows->n)
		qsort(rows->v, (size_t)rows->n, sizeof *rows->v, cmp_str);
}

int main(int argc, char **argv)
{
	char url[512] = "", err[512];
	ax_store *st;
	ax_db *db;
	struct tu_lines L = {0};
	struct ax_demo_opts o = {0};

	REQUIRE(argc > 1);
	pgt_own_db(argv[1], "anxin_copy", url, sizeof url);

	/* the county */
	tu_init();
	REQUIRE(ax_store_open(tu_path("county.db"), AX_STORE_CREATE, &st, NULL, 0) ==
	        AX_OK);
	tu_sample_store(st, 40);
	o.seed = 7;
	o.count = 1500;
	o.start = 1790000000; /* 2026-09-21 */
	o.days = 20;
	o.reach = 0.9;
	REQUIRE(ax_demo_records(st, &o, tu_collect, &L) == AX_OK);
	CHECK_INT(L.n, 1500);
	tu_import_lines(st, (const char *const *)L.v, (size_t)L.n);
	{
		/* a response sent again started a second earlier: a conflict */
		char *again = NULL, *p = NULL;
		for (long i = 0; i < L.n && !again; i++) {
			/* "started_at":"2026-11-25T22:08:08+08:00": the seconds' digit */
			p = strstr(L.v[i], "\"started_at\":\"");
			if (p && strlen(p) > 32) {
				p += strlen("\"started_at\":\"") + 18;
				if (*p > '0' && *p <= '9') {
					again = strdup(L.v[i]);
					p = again + (p - L.v[i]);
				}
			}
		}
		REQUIRE(again);
		--*p;
		ax_importer *im;
		struct ax_rec_outcome out;
		REQUIRE(ax_importer_new(st, &im) == AX_OK);
		REQUIRE(ax_importer_begin(im) == AX_OK);
		REQUIRE(ax_importer_line(im, again, strlen(again), "test", &out) == AX_OK);
		CHECK_INT(out.result, AX_REC_CONFLICT);
		REQUIRE(ax_importer_commit(im) == AX_OK);
		ax_importer_free(im);
		free(again);
	}

	/* written raw, for what the records do not make: a double of 17
	 * digits, bytes, text with a tab, a backslash and a newline (COPY's
	 * escapes) */
	{
		sqlite3 *w;
		REQUIRE(sqlite3_open(tu_path("county.db"), &w) == SQLITE_OK);
		REQUIRE(sqlite3_exec(w,
		                     "INSERT INTO campaigns(id, name, scope, starts_at,"
		                     " ends_at, coverage_kinds, wave, created_at)"
		                     " VALUES('c1', '测评', 'JZ', 0, 1, 'sms', 'w1', 0);"
		                     "INSERT INTO campaign_sample VALUES('c1', 'h1', 's1',"
		                     " 1.0 / 3);"
		                     "INSERT INTO keys VALUES('copy-test', x'00ff5c0a', NULL);"
		                     "INSERT INTO meta VALUES('copy-test', 'a' || char(9) ||"
		                     " 'b\\c' || char(10) || 'd');",
		                     NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_close(w);
	}

	CHECK_INT(ax_store_copy_pg(st, url, hear, NULL), AX_OK);
	if (ax_store_errmsg(st)[0])
		fprintf(stderr, "copy: %s\n", ax_store_errmsg(st));

	sqlite3 *sl = tu_db_open(tu_path("county.db"));
	REQUIRE(ax_db_open(url, &db, err, sizeof err) == AX_DB_OK);
	long long resp = 0, contacts = 0;
	for (size_t t = 0; t < NT; t++) {
		const char *where = !strcmp(tables[t], "meta")
		                        ? " WHERE key <> 'schema_version'"
		                        : "";
		struct tu_lines a = {0}, b = {0};
		sqlite_rows(sl, tables[t], where, &a);
		pg_rows(db, tables[t], where, &b);
		CHECK_INT(heard[t], a.n);
		CHECK_INT(b.n, a.n);
		long bad = 0;
		for (long i = 0; i < a.n && i < b.n; i++)
			if (strcmp(a.v[i], b.v[i]) && bad++ < 2)
				fprintf(stderr, "%s: SQLite row\n  %s\nPostgreSQL row\n  %s\n",
				        tables[t], a.v[i], b.v[i]);
		CHECK_INT(bad, 0);
		if (!strcmp(tables[t], "responses"))
			resp = b.n;
		if (!strcmp(tables[t], "contacts"))
			contacts = b.n;
		if (!strcmp(tables[t], "conflicts"))
			CHECK_INT(b.n, 1);
		tu_lines_free(&a);
		tu_lines_free(&b);
	}
	CHECK_INT(resp + contacts, 1500);
	CHECK(resp > 0 && contacts > 0);

	/* the next conflict is numbered after the copied one */
	ax_stmt *s;
	REQUIRE(ax_db_prepare(db,
	                      "INSERT INTO conflicts(id, type, body, received_at)"
	                      " VALUES('x', 'response', '{}', 0) RETURNING seq",
	                      &s) == AX_DB_OK);
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	CHECK_INT(ax_stmt_int64(s, 0),
	          tu_qi(sl, "SELECT MAX(seq) + 1 FROM conflicts"));
	ax_stmt_finalize(s);
	ax_db_close(db);
	sqlite3_close(sl);

	/* a second copy into the same database merges (store_merge.c): every
	 * row is there already, identical, so none is written -- the conflict
	 * inserted above included, which is the database's own */
	for (size_t t = 0; t < NT; t++)
		heard[t] = -1;
	CHECK_INT(ax_store_copy_pg(st, url, hear, NULL), AX_OK);
	for (size_t t = 0; t < NT; t++)
		if (heard[t] != 0) {
			fprintf(stderr, "second copy wrote %ld rows of %s\n",
			        (long)heard[t], tables[t]);
			CHECK_INT(heard[t], 0);
		}
	ax_store_close(st);
	tu_lines_free(&L);
	return check_done();
}
