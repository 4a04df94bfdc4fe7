/*
 * test_ingest_db.c -- central's ingest (survey/src/records.c, tally.c) run
 * the same way on either store backend (issue 19): `test_ingest_db sqlite`
 * (ctest unit.ingest_db, label sqlite) on a county file, `test_ingest_db
 * URLFILE` (pg.ingest_db, label pg) on a database of its own on the `pg`
 * fixture's cluster, seeded by `anxin store copy` from the same file.
 *
 * The county: every 40th household of the demo roster and the test
 * content; 3,000 demo records imported newest first in batches of 700, so
 * households' later answers arrive before their earlier ones and are
 * displaced (the earliest completed counts).  Expected figures come from
 * the raw JSON lines (rawfig.h), never from the importer: responses
 * counted, per survey, satisfied / answered; the all-time tally equals the
 * per-day tally summed; no counted response has an earlier complete one of
 * its household, survey and wave; every other batch is given to
 * ax_importer_prefetch first, as central does (on PostgreSQL: SQLite's
 * does nothing).  Then every record again
 * in one batch:
 * all duplicates, nothing moves; one response sent again with another
 * start time: a conflict, kept in conflicts, nothing counted twice.  On
 * PostgreSQL, a record stored by another writer between the prefetch and
 * the commit fails the batch (AX_BUSY), nothing counted (raced).
 *
 * The county report (metrics.c) read from the store under test: the
 * county's respondents are the raw lines' counted responses, its
 * households the roster's; on PostgreSQL the same records also go into
 * the SQLite file, and the two reports' JSON -- all time, and a window of
 * ten days (the per-day tally and the once-per-period pass) -- are the
 * same text.
 */
#include <jansson.h>

#include "anxin/demo.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/store.h"
#include "anxin_int.h"
#include "db.h"
#include "pgtest.h"
#include "rawfig.h"

static ax_db *D; /* the store under test, through the statement layer */

static long long qi(const char *sql)
{
	ax_stmt *s;
	long long v = -1;
	if (ax_db_prepare(D, sql, &s) != AX_DB_OK) {
		fprintf(stderr, "%s: %s\n", sql, ax_db_errmsg(D));
		REQUIRE(0);
	}
	if (ax_stmt_step(s) == AX_DB_ROW)
		v = ax_stmt_int64(s, 0);
	else
		fprintf(stderr, "%s: %s\n", sql, ax_db_errmsg(D));
	ax_stmt_finalize(s);
	return v;
}

/* the figures a resend or a conflict must leave alone */
struct snap {
	long long resp, counted, tally, den, num, contacts, conflicts;
};

static struct snap snap(void)
{
	struct snap s;
	s.resp = qi("SELECT COUNT(*) FROM responses");
	s.counted = qi("SELECT COUNT(*) FROM responses WHERE counted = 1");
	s.tally = qi("SELECT COUNT(*) FROM tally");
	s.den = qi("SELECT COALESCE(SUM(den), 0) FROM tally_total");
	s.num = qi("SELECT COALESCE(SUM(num), 0) FROM tally_total");
	s.contacts = qi("SELECT COUNT(*) FROM contacts");
	s.conflicts = qi("SELECT COUNT(*) FROM conflicts");
	return s;
}

static void same_snap(struct snap a, struct snap b)
{
	CHECK_INT(a.resp, b.resp);
	CHECK_INT(a.counted, b.counted);
	CHECK_INT(a.tally, b.tally);
	CHECK_INT(a.den, b.den);
	CHECK_INT(a.num, b.num);
	CHECK_INT(a.contacts, b.contacts);
}

static void check_figures(const struct tu_lines *L)
{
	struct raw_figures f = raw_figures(L);

	/* preconditions: the sample exercises every rule */
	CHECK(f.counted > 1000);
	CHECK(f.displaced > 20);
	CHECK(f.sat_answered > 100);
	CHECK(f.sat_satisfied > 0 && f.sat_satisfied < f.sat_answered);
	CHECK_INT(qi("SELECT COUNT(*) FROM responses WHERE counted = 1"), f.counted);
	CHECK_INT(qi("SELECT COUNT(*) FROM responses WHERE status = 'complete'"),
	          f.complete);
	CHECK_INT(qi("SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE "
	             "metric = 'resp'"),
	          f.counted);
	CHECK_INT(qi("SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE "
	             "metric = 'resp' AND survey = 'satisfaction'"),
	          f.sat_counted);
	CHECK_INT(qi("SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE "
	             "metric = 'sat' AND survey = 'satisfaction'"),
	          f.sat_answered);
	CHECK_INT(qi("SELECT COALESCE(SUM(num), 0) FROM tally_total WHERE "
	             "metric = 'sat' AND survey = 'satisfaction'"),
	          f.sat_satisfied);
	/* the per-day tally summed over days is the all-time one, both ways */
	CHECK_INT(qi("SELECT COUNT(*) FROM (SELECT region, survey, wave, channel,"
	             " metric, SUM(den), SUM(num) FROM tally GROUP BY region,"
	             " survey, wave, channel, metric EXCEPT SELECT region, survey,"
	             " wave, channel, metric, den, num FROM tally_total) x"),
	          0);
	CHECK_INT(qi("SELECT COUNT(*) FROM (SELECT region, survey, wave, channel,"
	             " metric, den, num FROM tally_total EXCEPT SELECT region,"
	             " survey, wave, channel, metric, SUM(den), SUM(num) FROM"
	             " tally GROUP BY region, survey, wave, channel, metric) x"),
	          0);
	/* the earliest completed counts */
	CHECK_INT(qi("SELECT COUNT(*) FROM responses r WHERE counted = 1 AND "
	             "household IS NOT NULL AND EXISTS (SELECT 1 FROM responses e"
	             " WHERE e.household = r.household AND e.survey = r.survey AND"
	             " e.wave = r.wave AND e.status = 'complete' AND"
	             " (e.completed_at < r.completed_at OR (e.completed_at ="
	             " r.completed_at AND e.id < r.id)))"),
	          0);
}

/* lines [from, to) walked backwards in one batch; how many got `want` */
static long batch(ax_importer *im, const struct tu_lines *L, long from, long to,
                  enum ax_rec_result want)
{
	struct ax_rec_outcome out;
	long ok = 0;
	REQUIRE(ax_importer_begin(im) == AX_OK);
	if ((from / 700) % 2 == 0) {
		/* every other batch told its records first (as central does):
		 * the same outcomes and figures */
		json_t **objs = calloc((size_t)(to - from), sizeof *objs);
		REQUIRE(objs != NULL);
		for (long i = from; i < to; i++)
			REQUIRE((objs[i - from] = json_loadb(L->v[i], L->len[i], 0, NULL)));
		CHECK_INT(ax_importer_prefetch(im, objs, (size_t)(to - from)), AX_OK);
		for (long i = from; i < to; i++)
			json_decref(objs[i - from]);
		free(objs);
	}
	for (long i = to - 1; i >= from; i--) {
		REQUIRE(ax_importer_line(im, L->v[i], L->len[i], "test", &out) == AX_OK);
		if (out.result == want)
			ok++;
		else if (ok < 5)
			fprintf(stderr, "  line %ld: %s %s\n", i,
			        ax_rec_result_name(out.result), out.reason);
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	return ok;
}

/* every line, newest first, 700 a batch; how many were accepted */
static long import_all(ax_store *st, const struct tu_lines *L)
{
	ax_importer *im;
	long got = 0;
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	for (long to = L->n; to > 0; to -= 700)
		got += batch(im, L, to > 700 ? to - 700 : 0, to, AX_REC_ACCEPTED);
	ax_importer_free(im);
	return got;
}

/* the county report as JSON (malloc'd), all time or over [from, to] */
static char *report(ax_store *st, const char *from, const char *to,
                    struct ax_report_row *county)
{
	struct ax_report_opts o = {0};
	struct ax_report *rep;
	o.depth = 3;
	o.from = from;
	o.to = to;
	if (ax_report_build(st, &o, &rep) != AX_OK) {
		fprintf(stderr, "report: %s\n", ax_store_errmsg(st));
		REQUIRE(0);
	}
	REQUIRE(rep->nrows > 10 && rep->rows[0].depth == 0);
	if (county)
		*county = rep->rows[0];
	char *j = ax_report_json(rep);
	REQUIRE(j);
	ax_report_free(rep);
	return j;
}

/* a response line with its started_at's seconds one less */
static char *changed_response(const struct tu_lines *L)
{
	for (long i = 0; i < L->n; i++) {
		const char *p = strstr(L->v[i], "\"started_at\":\"");
		if (!strstr(L->v[i], "\"type\":\"response\"") || !p || strlen(p) < 34)
			continue;
		p += strlen("\"started_at\":\"") + 18; /* 2026-11-25T22:08:0[8] */
		if (*p > '0' && *p <= '9') {
			char *again = strdup(L->v[i]);
			REQUIRE(again);
			again[p - L->v[i]]--;
			return again;
		}
	}
	return NULL;
}

/* field's time in line one second earlier (its last digit 1-9), in
 * place; 0 when that digit is 0 */
static int second_earlier(char *line, const char *field)
{
	char key[40];
	snprintf(key, sizeof key, "\"%s\":\"", field);
	char *p = strstr(line, key);
	if (!p || strlen(p) < strlen(key) + 19)
		return 0;
	p += strlen(key) + 18; /* 2026-11-25T22:08:0[8] */
	if (*p < '1' || *p > '9')
		return 0;
	(*p)--;
	return 1;
}

/*
 * One prefetched batch holding a new response of a household that has a
 * counted one, that same line again and its id with other content: by
 * hand, accepted, duplicate, conflict; the new one completed a second
 * earlier with the same answers in the same grid, so it is counted in
 * place of the old (one counted per household, survey and wave) and the
 * all-time tally does not move; one more response row, one more conflict.
 */
static void in_batch(ax_importer *im, const struct tu_lines *L, struct snap a)
{
	char *line = NULL, sql[256];
	struct ax_rec_outcome out;
	const char *id;
	for (long i = 0; i < L->n && !line; i++) {
		if (!strstr(L->v[i], "\"type\":\"response\"") ||
		    !strstr(L->v[i], "\"household\":\"") ||
		    !(id = strstr(L->v[i], "\"id\":\"")))
			continue;
		snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM responses WHERE"
		         " counted = 1 AND id = '%.36s'", id + 6);
		line = qi(sql) == 1 ? strdup(L->v[i]) : NULL;
		if (line && !second_earlier(line, "completed_at")) {
			free(line);
			line = NULL;
		}
	}
	REQUIRE(line);
	char *new_id = strstr(line, "\"id\":\"") + 6, old_id[40];
	snprintf(old_id, sizeof old_id, "%.36s", new_id);
	new_id[0] = new_id[0] == '0' ? '1' : '0'; /* an id never sent */
	char *other = strdup(line);
	REQUIRE(other);
	if (!second_earlier(other, "started_at")) /* other content */
		REQUIRE(second_earlier(other, "completed_at"));
	json_t *objs[3] = {json_loads(line, 0, NULL), json_loads(line, 0, NULL),
	                   json_loads(other, 0, NULL)};
	REQUIRE(objs[0] && objs[1] && objs[2]);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	CHECK_INT(ax_importer_prefetch(im, objs, 3), AX_OK);
	const enum ax_rec_result want[3] = {AX_REC_ACCEPTED, AX_REC_DUPLICATE,
	                                    AX_REC_CONFLICT};
	for (int i = 0; i < 3; i++) {
		REQUIRE(ax_importer_json(im, objs[i], "test", &out) == AX_OK);
		CHECK_INT(out.result, want[i]);
		json_decref(objs[i]);
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	struct snap b = snap();
	CHECK_INT(b.resp, a.resp + 1);
	CHECK_INT(b.counted, a.counted);
	CHECK_INT(b.den, a.den);
	CHECK_INT(b.num, a.num);
	CHECK_INT(b.conflicts, a.conflicts + 1);
	snprintf(sql, sizeof sql, "SELECT counted FROM responses WHERE id = '%s'",
	         old_id);
	CHECK_INT(qi(sql), 0);
	snprintf(sql, sizeof sql, "SELECT counted FROM responses WHERE id = '%.36s'",
	         new_id);
	CHECK_INT(qi(sql), 1);
	free(line);
	free(other);
}

/* PostgreSQL: a new response of a batch is queued and written at commit
 * (records_pending.c).  Another writer stores its id between the
 * prefetch and the commit (a second connection, here with other
 * content): the commit fails with AX_BUSY, rolled back, nothing counted;
 * the batch sent again is a conflict, kept for review, counted nowhere. */
static void raced(ax_store *st, ax_importer *im, const struct tu_lines *L,
                  const char *url, struct snap a)
{
	char *line = NULL, sql[1024], old_id[40], *id;
	struct ax_rec_outcome out;
	ax_db *d2;
	char err[256];
	json_t *o;

	for (long i = 0; i < L->n && !line; i++)
		if (strstr(L->v[i], "\"type\":\"response\"") &&
		    strstr(L->v[i], "\"status\":\"complete\""))
			line = strdup(L->v[i]);
	REQUIRE(line);
	id = strstr(line, "\"id\":\"") + 6;
	snprintf(old_id, sizeof old_id, "%.36s", id);
	memcpy(id, "ffffffff", 8); /* an id never sent */
	REQUIRE(ax_db_open(url, &d2, err, sizeof err) == AX_DB_OK);
	REQUIRE((o = json_loads(line, 0, NULL)));
	REQUIRE(ax_importer_begin(im) == AX_OK);
	CHECK_INT(ax_importer_prefetch(im, &o, 1), AX_OK);
	snprintf(sql, sizeof sql,
	         "INSERT INTO responses(id, survey, survey_version, wave, "
	         "channel, device, household, region, started_at, completed_at, "
	         "status, counted, day, sat, score, body, received_at, topics) "
	         "SELECT 'ffffffff%s', survey, survey_version, wave, channel, "
	         "device, household, region, started_at, completed_at, status, "
	         "0, day, sat, score, 'raced', received_at, topics FROM responses "
	         "WHERE id = '%s'", old_id + 8, old_id);
	CHECK_INT(ax_db_exec(d2, sql), AX_DB_OK);
	REQUIRE(ax_importer_json(im, o, "test", &out) == AX_OK);
	CHECK_INT(out.result, AX_REC_ACCEPTED); /* as decided at the prefetch */
	CHECK_INT(ax_importer_commit(im), AX_BUSY);
	CHECK(strstr(ax_store_errmsg(st), "stored by another server") != NULL);
	a.resp++; /* the other writer's row only */
	same_snap(a, snap());
	/* sent again: the stored row has other content */
	REQUIRE(ax_importer_begin(im) == AX_OK);
	CHECK_INT(ax_importer_prefetch(im, &o, 1), AX_OK);
	REQUIRE(ax_importer_json(im, o, "test", &out) == AX_OK);
	CHECK_INT(out.result, AX_REC_CONFLICT);
	CHECK_INT(ax_importer_commit(im), AX_OK);
	same_snap(a, snap());
	json_decref(o);
	ax_db_close(d2);
	free(line);
}

int main(int argc, char **argv)
{
	char url[512] = "", err[512] = "";
	ax_store *st, *seed;
	ax_importer *im;
	struct tu_lines L = {0};
	struct ax_rec_outcome out;
	int pg;

	REQUIRE(argc > 1);
	pg = strcmp(argv[1], "sqlite") != 0;
	tu_init();
	REQUIRE(ax_store_open(tu_path("county.db"), AX_STORE_CREATE, &seed, err,
	                      sizeof err) == AX_OK);
	tu_sample_store(seed, 40);
	demo_lines(seed, 11, 3000, 30, &L);
	if (pg) {
		pgt_own_db(argv[1], "anxin_ingest", url, sizeof url);
		REQUIRE(ax_store_copy_pg(seed, url, NULL, NULL) == AX_OK);
		if (ax_store_open(url, AX_STORE_CREATE, &st, err, sizeof err) != AX_OK) {
			fprintf(stderr, "%s\n", err);
			REQUIRE(0);
		}
		REQUIRE(ax__store_is_pg(st));
	} else {
		st = seed;
		REQUIRE(!ax__store_is_pg(st));
	}
	D = ax__store_dbl(st);
	CHECK_INT(qi("SELECT COUNT(*) FROM responses"), 0);

	CHECK_INT(import_all(st, &L), L.n);
	check_figures(&L);

	/* the county report */
	{
		struct ax_report_row c;
		struct raw_figures f = raw_figures(&L);
		char *all = report(st, NULL, NULL, &c);
		char *win = report(st, "2026-09-25", "2026-10-04", NULL);
		CHECK_INT(c.level, 1);
		CHECK_INT(c.respondents, f.counted);
		CHECK_INT(c.households, qi("SELECT COUNT(*) FROM households"));
		CHECK(c.reached > 0 && c.reached <= c.households);
		if (pg) { /* the same records in the SQLite file: the same report */
			CHECK_INT(import_all(seed, &L), L.n);
			char *sl_all = report(seed, NULL, NULL, NULL);
			char *sl_win = report(seed, "2026-09-25", "2026-10-04", NULL);
			CHECK_STR(all, sl_all);
			CHECK_STR(win, sl_win);
			CHECK(strcmp(all, win) != 0);
			free(sl_all);
			free(sl_win);
			ax_store_close(seed);
		}
		free(all);
		free(win);
	}
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	struct snap a = snap();
	CHECK_INT(a.conflicts, 0);
	CHECK(a.contacts > 0);

	/* all again in one batch: duplicates, nothing moves */
	CHECK_INT(batch(im, &L, 0, L.n, AX_REC_DUPLICATE), L.n);
	same_snap(a, snap());
	check_figures(&L);

	/* the same id with other content: a conflict, kept for review */
	char *again = changed_response(&L);
	REQUIRE(again);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	REQUIRE(ax_importer_line(im, again, strlen(again), "test", &out) == AX_OK);
	CHECK_INT(out.result, AX_REC_CONFLICT);
	REQUIRE(ax_importer_commit(im) == AX_OK);
	same_snap(a, snap());
	CHECK_INT(qi("SELECT COUNT(*) FROM conflicts WHERE type = 'response' AND"
	             " source = 'test'"),
	          1);
	free(again);

	/* a batch rolled back leaves nothing */
	REQUIRE(ax_importer_begin(im) == AX_OK);
	ax_importer_rollback(im);
	same_snap(a, snap());

	a.conflicts = 1;
	in_batch(im, &L, a);
	if (pg)
		raced(st, im, &L, url, snap());

	ax_importer_free(im);
	ax_store_close(st);
	tu_lines_free(&L);
	return check_done();
}
