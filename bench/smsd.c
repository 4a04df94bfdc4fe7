/*
 * bench_smsd -- the SMS gateway's throughput, each figure beside a
 * baseline measured in the same run (not a test; see bench/run).
 *
 *   1. reply parser: replies/s over a mix of messy replies, against
 *      (a) exact strcmp matching of codes and labels (what a naive parser
 *      does, and wrong for most of these replies) and (b) utf8proc's
 *      NFKC_Casefold alone (utf8proc_map, the normalisation step only);
 *   2. conversation engine, pure: flow steps/s (start + 7 replies);
 *   3. engine with its SQLite store, no modem: N households, one reply
 *      each committed to the inbox, processed to the outbox; replies/s and
 *      the ratio to a raw SQLite insert of the same N rows into the store
 *      file (which holds the gateway's tables), one transaction.  Two
 *      baselines:
 *        fair  the pragmas of the gateway's own connection to the store
 *              (read back from the connection gw_open made: WAL,
 *              synchronous=FULL, its cache size, temp_store=MEMORY ...);
 *        old   what this bench compared with before: a plain connection
 *              with SQLite's defaults (WAL, being the file's mode).
 *      The fair ratio is printed on one labelled line (target >= 0.15,
 *      goal >= 0.3);
 *   4. reply -> next question at N households: with every household's
 *      conversation live, one reply at a time committed to the inbox as
 *      the modem thread commits it, then the gateway's pass (gw_step);
 *      the time from the reply's commit to its next question queued
 *      (median and p95 of 200), against one row inserted and committed
 *      on a connection with the gateway's pragmas (the least any reply
 *      can cost), measured in the same run: the ratio says how many
 *      commits' worth a reply waits in software (the modem's pace and
 *      quiet hours come on top: e2e.smsd.sendprio);
 *   5. software overhead per SMS sent through libgammu's dummy driver,
 *      beside a real modem's ~3 s per PDU.
 * Not a test: nothing here fails because the machine is slow.
 *
 * usage: bench_smsd [--households N | N] [--json]   (default 100000;
 * ANXIN_SOURCE or the working directory must hold content/; with --json
 * the table goes to stderr and one JSON object to stdout)
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utf8proc.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "bench.h"
#include "gateway.h"

/* the figures, for the JSON object */
static struct {
	long n;
	double parser, naive, nfkc, flow, start, inbound, raw_fair, raw_old;
	double send_ms, scan_ms;
	double lat_med_ms, lat_p95_ms, commit_ms; /* section 4 */
	/* CPU seconds of the inbound pass and of the two raw inserts */
	double c_in, c_raw_fair, c_raw_old;
	long sent;
	struct bench_pragmas p_fair, p_old;
} R;
static FILE *tab; /* the table: stdout, or stderr with --json */

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time of this process: gw_step runs in this thread alone (no modem
 * threads in the bench), so on a machine shared with other work the CPU
 * ratio does not swing with the load as the wall-clock one does; both
 * are printed. */
static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *const replies[] = {
	"1", "２", "③", "四", "伍", "A.", "我选2", "满意！", "不满意", "非常满意",
	"第3个", "（1）", "满意😊", "还行", "2，谢谢", "很不满意", "6", "退订",
	"不是很满意", "b",
};
#define NREPLIES (int)(sizeof replies / sizeof replies[0])

static volatile long sink;

static void bench_parser(const struct ax_question *q)
{
	gw_matcher *m;
	struct gw_reply r;
	size_t lens[NREPLIES];
	const long n = 2000000;
	double t0, parser, naive, nfkc;
	long i;
	int k;

	if (gw_matcher_new(q, &m) != AX_OK)
		return;
	for (k = 0; k < NREPLIES; k++)
		lens[k] = strlen(replies[k]);
	t0 = now_s();
	for (i = 0; i < n; i++) {
		gw_reply_parse(m, replies[i % NREPLIES], lens[i % NREPLIES], &r);
		sink += r.nchoices;
	}
	parser = n / (now_s() - t0);

	t0 = now_s();
	for (i = 0; i < n; i++) {
		const char *s = replies[i % NREPLIES];
		int o, hit = -1;
		for (o = 0; o < q->noptions && hit < 0; o++) {
			if (strcmp(s, q->options[o].code) == 0 ||
			    strcmp(s, q->options[o].label) == 0)
				hit = o;
			for (k = 0; k < q->options[o].nkeys && hit < 0; k++)
				if (strcmp(s, q->options[o].keys[k]) == 0)
					hit = o;
		}
		sink += hit;
	}
	naive = n / (now_s() - t0);

	t0 = now_s();
	for (i = 0; i < n; i++) {
		utf8proc_uint8_t *out = NULL;
		utf8proc_ssize_t len = utf8proc_map(
		    (const utf8proc_uint8_t *)replies[i % NREPLIES],
		    (utf8proc_ssize_t)lens[i % NREPLIES], &out,
		    (utf8proc_option_t)(UTF8PROC_STABLE | UTF8PROC_COMPOSE |
		                        UTF8PROC_COMPAT | UTF8PROC_CASEFOLD |
		                        UTF8PROC_IGNORE));
		sink += len;
		free(out);
	}
	nfkc = n / (now_s() - t0);
	R.parser = parser;
	R.naive = naive;
	R.nfkc = nfkc;
	fprintf(tab, "parser:      %10.0f replies/s\n", parser);
	fprintf(tab, "  strcmp:    %10.0f replies/s  parser/strcmp = %.3f\n", naive,
	       parser / naive);
	fprintf(tab, "  NFKC only: %10.0f replies/s  parser/nfkc   = %.3f\n", nfkc,
	       parser / nfkc);
	gw_matcher_free(m);
}

static void bench_flow(const struct ax_survey *s, long n)
{
	gw_fsurvey *f;
	struct gw_conv c;
	struct gw_flow_out o;
	static const char *const answers[] = {"1", "2", "满意", "我选3", "A.", "比较安全", "满意！"};
	double t0, dt;
	long i, steps = 0;
	int k;

	if (gw_fsurvey_new(s, &f) != AX_OK)
		return;
	t0 = now_s();
	for (i = 0; i < n; i++) {
		gw_flow_start(f, &c, 1000, &o);
		steps++;
		for (k = 0; k < 7 && c.status == GW_CONV_ASKING; k++) {
			gw_flow_reply(f, &c, answers[k], strlen(answers[k]), 1000 + k, &o);
			steps++;
		}
		sink += o.nmsgs;
	}
	dt = now_s() - t0;
	R.flow = steps / dt;
	fprintf(tab, "flow (pure): %10.0f steps/s (%ld conversations, %ld steps)\n",
	       steps / dt, n, steps);
	gw_fsurvey_free(f);
}

static long long fixed_now = 1772416800LL; /* 2026-03-02 10:00 CST */
static long long clock_fn(void *ctx)
{
	(void)ctx;
	return fixed_now;
}

static long long count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK &&
	    sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* The n inbound rows, raw, into a new table `table` of the inbox's shape,
 * one transaction; seconds to *t.  0 done, -1 failed. */
/* batch: rows per transaction (0: one transaction for all); CPU
 * seconds to *c. */
static int raw_insert(sqlite3 *db, const char *table, long n, long batch,
                      double *t, double *c)
{
	char sql[400];
	sqlite3_stmt *ins = NULL;
	double t0, c0;
	long i;

	snprintf(sql, sizeof sql,
	         "CREATE TABLE %s(id INTEGER PRIMARY KEY, dedup TEXT UNIQUE,"
	         " modem TEXT, phone TEXT, smsc_time INTEGER, received_at INTEGER,"
	         " parts INTEGER, text TEXT)",
	         table);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL))
		goto fail;
	snprintf(sql, sizeof sql,
	         "INSERT INTO %s(dedup, modem, phone, smsc_time,"
	         " received_at, parts, text) VALUES(?,?,?,?,?,1,?)",
	         table);
	t0 = now_s();
	c0 = cpu_s();
	if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(db, sql, -1, &ins, NULL))
		goto fail;
	for (i = 0; i < n; i++) {
		char dedup[64], phone[32];
		snprintf(dedup, sizeof dedup, "d%ld", i);
		snprintf(phone, sizeof phone, "+86139%08ld", i);
		sqlite3_bind_text(ins, 1, dedup, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, "gammu", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, phone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 4, fixed_now);
		sqlite3_bind_int64(ins, 5, fixed_now);
		sqlite3_bind_text(ins, 6, replies[i % 8], -1, SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE)
			goto fail;
		sqlite3_reset(ins);
		if (batch > 0 && (i + 1) % batch == 0 && i + 1 < n &&
		    (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) ||
		     sqlite3_exec(db, "BEGIN", NULL, NULL, NULL)))
			goto fail;
	}
	sqlite3_finalize(ins);
	ins = NULL;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
		goto fail;
	*t = now_s() - t0;
	*c = cpu_s() - c0;
	return 0;
fail:
	fprintf(stderr, "bench_smsd: raw insert into %s: %s\n", table, sqlite3_errmsg(db));
	sqlite3_finalize(ins);
	return -1;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

#define LAT_K 200
/* Section 4: every conversation is waiting for its second answer (the
 * inbound pass answered the first); the next questions are marked sent
 * as the modem thread would, then LAT_K households answer one at a time. */
static int bench_latency(gw_gateway *g, sqlite3 *db, const char *store, long n)
{
	static double lat[LAT_K], base[LAT_K];
	sqlite3 *fdb;
	sqlite3_stmt *ins, *got, *raw;
	char sql[240];
	int k, m = n < LAT_K ? (int)n : LAT_K;

	snprintf(sql, sizeof sql,
	         "UPDATE queue SET state='sent', sent_at=%lld WHERE state='pending';"
	         "UPDATE conv SET asked_at=%lld, asked_sent=1",
	         fixed_now, fixed_now);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	fixed_now += 60;
	if (sqlite3_prepare_v2(db, "INSERT INTO inbox(dedup, modem, phone, smsc_time,"
	                           " received_at, parts, text) VALUES(?,?,?,?,?,1,'1')",
	                       -1, &ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM queue WHERE phone=? AND"
	                           " state='pending'", -1, &got, NULL) != SQLITE_OK)
		return -1;
	for (k = 0; k < m; k++) {
		char dedup[64], phone[32];
		double t0;
		long i = (long)k * (n / m); /* spread over the roster */
		snprintf(dedup, sizeof dedup, "lat%d", k);
		snprintf(phone, sizeof phone, "+86139%08ld", i);
		sqlite3_bind_text(ins, 1, dedup, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, "gammu", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, phone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 4, fixed_now);
		sqlite3_bind_int64(ins, 5, fixed_now);
		t0 = now_s();
		sqlite3_step(ins); /* autocommit: the reply is committed */
		sqlite3_reset(ins);
		if (gw_step(g) != AX_OK)
			return -1;
		lat[k] = (now_s() - t0) * 1000;
		sqlite3_bind_text(got, 1, phone, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(got) != SQLITE_ROW || sqlite3_column_int(got, 0) < 1) {
			fprintf(stderr, "bench_smsd: household %ld's reply queued no next"
			                " message: not the path measured\n", i);
			return -1;
		}
		sqlite3_reset(got);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(got);
	/* the baseline: one row committed, as many times, with the gateway's
	 * pragmas, into a table of the inbox's shape in the same file */
	if (sqlite3_open(store, &fdb) != SQLITE_OK || bench_pragmas_apply(fdb, &R.p_fair) ||
	    sqlite3_exec(fdb, "CREATE TABLE raw_lat AS SELECT * FROM inbox WHERE 0",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(fdb, "INSERT INTO raw_lat(id, dedup, phone, received_at,"
	                            " text) VALUES(NULL, ?, '+8613900000000', 0, '1')",
	                       -1, &raw, NULL) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(fdb, 30000);
	for (k = 0; k < m; k++) {
		char dedup[32];
		double t0;
		snprintf(dedup, sizeof dedup, "r%d", k);
		sqlite3_bind_text(raw, 1, dedup, -1, SQLITE_TRANSIENT);
		t0 = now_s();
		sqlite3_step(raw);
		sqlite3_reset(raw);
		base[k] = (now_s() - t0) * 1000;
	}
	sqlite3_finalize(raw);
	sqlite3_close(fdb);
	qsort(lat, (size_t)m, sizeof lat[0], cmp_d);
	qsort(base, (size_t)m, sizeof base[0], cmp_d);
	R.lat_med_ms = lat[m / 2];
	R.lat_p95_ms = lat[(m * 95 + 99) / 100 - 1];
	R.commit_ms = base[m / 2];
	fprintf(tab, "reply -> next question at %ld households: median %.2f ms, p95 %.2f ms"
	             " (%d replies one at a time, commit to queued)\n"
	             "  one-row commit, gateway's pragmas: median %.3f ms;"
	             " latency/commit = %.1f\n",
	        n, R.lat_med_ms, R.lat_p95_ms, m, R.commit_ms,
	        R.commit_ms > 0 ? R.lat_med_ms / R.commit_ms : 0.0);
	return 0;
}

static int bench_store(const char *dir, const char *content_dir, long n)
{
	char path[600], err[512], *csv;
	size_t cap = (size_t)n * 96 + 256, used = 0;
	ax_store *st;
	ax_content *c;
	struct ax_campaign camp;
	struct gw_config cfg;
	gw_gateway *g;
	sqlite3 *db, *fdb;
	sqlite3_stmt *ins;
	char pf[200], po[200];
	double t0, t_start, t_in, t_raw, t_raw_old;
	long i;
	int nerr = 0;

	snprintf(path, sizeof path, "%s/anxin.db", dir);
	if (ax_store_open(path, AX_STORE_CREATE, &st, err, sizeof err) != AX_OK ||
	    ax_content_load_dir(content_dir, NULL, NULL, &nerr, &c) != AX_OK)
		return -1;
	ax_content_install(st, c, NULL);
	ax_content_free(c);
	csv = malloc(cap);
	if (!csv)
		return -1;
	used = (size_t)snprintf(csv, cap, "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n");
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(csv + used, cap - used,
		                         "B%06ld,439901101000,439901101201,439901101201001,"
		                         "139%08ld,3\n", i, i);
	t0 = now_s();
	if (ax_roster_import_mem(st, "bench.csv", csv, used, NULL, NULL, NULL, NULL) !=
	    AX_OK) {
		fprintf(stderr, "roster: %s\n", ax_store_errmsg(st));
		return -1;
	}
	fprintf(tab, "(roster of %ld households imported in %.1f s)\n", n, now_s() - t0);
	free(csv);
	ax_campaign_defaults(&camp);
	snprintf(camp.name, sizeof camp.name, "bench");
	snprintf(camp.survey, sizeof camp.survey, "satisfaction");
	snprintf(camp.scope, sizeof camp.scope, "439901101201");
	camp.starts_at = fixed_now - 86400;
	camp.ends_at = fixed_now + 86400 * 30;
	/* the bench measures the store, not the pacing: the campaign's own
	 * pace and cap (10 a minute by default) would start 30 conversations
	 * ahead of the modem and no more */
	camp.pace_per_min = 1000000;
	camp.daily_cap = 1000000;
	if (ax_campaign_create(st, &camp) != AX_OK)
		return -1;
	ax_store_close(st);

	gw_config_defaults(&cfg);
	snprintf(cfg.store, sizeof cfg.store, "%s", path);
	snprintf(cfg.device, sizeof cfg.device, "bench");
	snprintf(cfg.modems[0].name, sizeof cfg.modems[0].name, "gammu");
	snprintf(cfg.modems[0].device, sizeof cfg.modems[0].device, "%s/m0", dir);
	snprintf(cfg.modems[0].connection, sizeof cfg.modems[0].connection, "none");
	snprintf(cfg.modems[0].model, sizeof cfg.modems[0].model, "dummy");
	cfg.nmodems = 1;
	cfg.pace_per_min = 1000000;
	cfg.daily_cap = 1000000;
	/* a modem cycle reads the inbox once, then sends for up to 1 s */
	cfg.receive_frequency_ms = 1000;
	snprintf(path, sizeof path, "%s/m0", dir);
	mkdir(path, 0755);
	bench_capture_begin();
	if (gw_open(&cfg, &g, err, sizeof err) != AX_OK) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	if (bench_capture_end("/anxin.db", &R.p_fair)) {
		fprintf(stderr, "bench_smsd: cannot read the store's pragmas\n");
		return -1;
	}
	gw_set_clock(g, clock_fn, NULL);
	if (sqlite3_open(cfg.store, &db) != SQLITE_OK)
		return -1;
	sqlite3_busy_timeout(db, 30000);

	t0 = now_s();
	while (count(db, "SELECT COUNT(*) FROM conv") < n)
		if (gw_step(g) != AX_OK) {
			fprintf(stderr, "step: %s\n", gw_errmsg(g));
			return -1;
		}
	t_start = now_s() - t0;
	R.start = n / t_start;
	fprintf(tab, "start:       %10.0f conversations/s (%ld, 2 messages queued each)\n",
	       n / t_start, n);

	/* the intros and first questions went out a minute ago: a reply to a
	 * question not yet sent is kept as 'early' and answers nothing
	 * (gw_inbox.c), which is not the path this measures.  As the modem
	 * thread records a send (gw_send.c: asked_at the second it went out,
	 * asked_sent with nothing of the step left queued). */
	{
		char sql[240];
		snprintf(sql, sizeof sql,
		         "UPDATE queue SET state='sent', sent_at=%lld WHERE state='pending';"
		         "UPDATE conv SET asked_at=%lld, asked_sent=1",
		         fixed_now - 60, fixed_now - 60);
		if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "bench_smsd: %s\n", sqlite3_errmsg(db));
			return -1;
		}
	}
	/* one reply per household, committed as the modem thread commits */
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	sqlite3_prepare_v2(db,
	                   "INSERT INTO inbox(dedup, modem, phone, smsc_time,"
	                   " received_at, parts, text) VALUES(?,?,?,?,?,1,?)",
	                   -1, &ins, NULL);
	for (i = 0; i < n; i++) {
		char dedup[64], phone[32];
		snprintf(dedup, sizeof dedup, "d%ld", i);
		snprintf(phone, sizeof phone, "+86139%08ld", i);
		sqlite3_bind_text(ins, 1, dedup, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, "gammu", -1, SQLITE_STATIC);
		sqlite3_bind_text(ins, 3, phone, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(ins, 4, fixed_now);
		sqlite3_bind_int64(ins, 5, fixed_now);
		sqlite3_bind_text(ins, 6, replies[i % 8], -1, SQLITE_STATIC);
		sqlite3_step(ins);
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);

	t0 = now_s();
	R.c_in = cpu_s();
	/* EXISTS, not COUNT(*): counting the rows left at every step made the
	 * harness itself quadratic in n */
	while (count(db, "SELECT EXISTS(SELECT 1 FROM inbox WHERE state='new')") > 0)
		if (gw_step(g) != AX_OK) {
			fprintf(stderr, "step: %s\n", gw_errmsg(g));
			return -1;
		}
	t_in = now_s() - t0;
	R.c_in = cpu_s() - R.c_in;
	{
		long done = (long)count(db, "SELECT COUNT(*) FROM inbox WHERE state='done'");
		if (done != n) {
			fprintf(stderr, "bench_smsd: %ld of %ld replies taken as answers"
			                " (the rest early, late or in error): not the path"
			                " measured\n", done, n);
			return -1;
		}
	}

	/* baselines: the same rows, raw, into a table of the same shape in
	 * the store; old: this plain connection; fair: one with the pragmas of
	 * the gateway's own connection */
	bench_pragmas_read(db, &R.p_old);
	if (sqlite3_open(cfg.store, &fdb) != SQLITE_OK ||
	    bench_pragmas_apply(fdb, &R.p_fair))
		return -1;
	sqlite3_busy_timeout(fdb, 30000);
	/* fair: a commit per 5,000 rows, as the gateway commits an inbox
	 * batch (gw_inbox.c: LIMIT 5000, one transaction each) */
	if (raw_insert(db, "raw_old", n, 0, &t_raw_old, &R.c_raw_old) ||
	    raw_insert(fdb, "raw_fair", n, 5000, &t_raw, &R.c_raw_fair))
		return -1;
	sqlite3_close(fdb);
	R.inbound = n / t_in;
	R.raw_fair = n / t_raw;
	R.raw_old = n / t_raw_old;
	fprintf(tab, "inbound:     %10.0f replies/s processed to the outbox (%ld)\n",
	        n / t_in, n);
	fprintf(tab, "  raw insert, fair baseline: %10.0f rows/s  inbound/raw = %.3f\n"
	             "    (%s; a commit per 5,000 rows, as the gateway's inbox "
	             "batches)\n",
	        n / t_raw, t_raw / t_in, bench_pragmas_str(&R.p_fair, pf, sizeof pf));
	fprintf(tab, "  raw insert, old baseline:  %10.0f rows/s  inbound/raw = %.3f\n"
	             "    (%s; one transaction)\n",
	        n / t_raw_old, t_raw_old / t_in,
	        bench_pragmas_str(&R.p_old, po, sizeof po));
	fprintf(tab, "  CPU: inbound %.3f s, raw fair %.3f s, raw old %.3f s;"
	             " inbound/raw by CPU = %.3f (fair), %.3f (old)\n",
	        R.c_in, R.c_raw_fair, R.c_raw_old, R.c_raw_fair / R.c_in,
	        R.c_raw_old / R.c_in);
	fprintf(tab, "smsd inbound/raw insert ratio (fair baseline): %.3f wall,"
	             " %.3f CPU   (target >= 0.15; goal >= 0.3)\n",
	        t_raw / t_in, R.c_raw_fair / R.c_in);

	/* sending through the dummy driver: software cost per SMS */
	{
		long before = (long)count(db, "SELECT COUNT(*) FROM sent_log"), sent;
		double t_poll, t_scan;
		int k;
		/* campaign pace and cap would hold the bench to 10 a minute */
		sqlite3_exec(db, "UPDATE queue SET pace=1000000, cap=1000000",
		             NULL, NULL, NULL);
		gw_modem_cycle(g, 0); /* connect and warm up */
		before = (long)count(db, "SELECT COUNT(*) FROM sent_log");
		/* the dummy driver's inbox scan alone: quiet hours block sends */
		sqlite3_exec(db, "UPDATE queue SET quiet_start=0, quiet_end=1439",
		             NULL, NULL, NULL);
		fixed_now -= 10 * 3600; /* 00:00 China time */
		t0 = now_s();
		gw_modem_cycle(g, 0);
		t_scan = now_s() - t0;
		fixed_now += 10 * 3600;
		sqlite3_exec(db, "UPDATE queue SET quiet_start=0, quiet_end=0", NULL,
		             NULL, NULL);
		t0 = now_s();
		for (k = 0; k < 3; k++) /* each: one inbox read, ~1 s of sends */
			gw_modem_cycle(g, 0);
		t_poll = now_s() - t0;
		sent = (long)count(db, "SELECT COUNT(*) FROM sent_log") - before;
		if (sent > 0) {
			double per = (t_poll - 3 * t_scan) / sent;
			R.send_ms = per * 1000;
			R.scan_ms = t_scan * 1000;
			R.sent = sent;
			fprintf(tab, "dummy send:  %10.3f ms per SMS (claim, encode, send, record;"
			       " %ld sent), %.5f of a real modem's ~3 s per PDU\n",
			       per * 1000, sent, per / 3.0);
			fprintf(tab, "  inbox scan:%10.1f ms per poll (the dummy driver opens"
			       " 5 x 10000 files)\n", t_scan * 1000);
		}
	}
	/* after the sends: it marks every pending row sent, and section 5
	 * needs the inbound pass's next questions still pending (run after
	 * it, section 5 found nothing left to send) */
	if (bench_latency(g, db, cfg.store, n))
		return -1;
	sqlite3_close(db);
	gw_close(g);
	return 0;
}

static int rm_rf(const char *dir)
{
	char cmd[700];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd);
}

static void print_json(void)
{
	struct bench_json j = {stdout, 0, {1}};
	bench_json_open(&j, NULL);
	bench_json_num(&j, "n", (double)R.n, 12);
	bench_json_open(&j, "figures");
	bench_json_num(&j, "parser_replies_per_s", R.parser, 6);
	bench_json_num(&j, "flow_steps_per_s", R.flow, 6);
	bench_json_num(&j, "start_conversations_per_s", R.start, 6);
	bench_json_num(&j, "inbound_replies_per_s", R.inbound, 6);
	bench_json_num(&j, "inbound_cpu_s", R.c_in, 4);
	bench_json_num(&j, "dummy_send_ms_per_sms", R.send_ms, 4);
	bench_json_num(&j, "dummy_inbox_scan_ms", R.scan_ms, 4);
	bench_json_num(&j, "dummy_sent", (double)R.sent, 12);
	bench_json_num(&j, "reply_next_question_median_ms", R.lat_med_ms, 4);
	bench_json_num(&j, "reply_next_question_p95_ms", R.lat_p95_ms, 4);
	bench_json_close(&j);
	bench_json_open(&j, "baselines");
	bench_json_num(&j, "strcmp_replies_per_s", R.naive, 6);
	bench_json_num(&j, "nfkc_replies_per_s", R.nfkc, 6);
	bench_json_baseline(&j, "raw_insert_fair", R.raw_fair, &R.p_fair, 5000); /* a commit per 5,000 */
	bench_json_baseline(&j, "raw_insert_old", R.raw_old, &R.p_old, R.n);
	bench_json_num(&j, "raw_insert_fair_cpu_s", R.c_raw_fair, 4);
	bench_json_num(&j, "raw_insert_old_cpu_s", R.c_raw_old, 4);
	bench_json_num(&j, "modem_s_per_pdu", 3.0, 3);
	bench_json_num(&j, "one_row_commit_median_ms", R.commit_ms, 4);
	bench_json_close(&j);
	bench_json_open(&j, "ratios");
	bench_json_num(&j, "parser_vs_strcmp", R.parser / R.naive, 4);
	bench_json_num(&j, "parser_vs_nfkc", R.parser / R.nfkc, 4);
	bench_json_num(&j, "inbound_vs_raw_fair", R.inbound / R.raw_fair, 4);
	bench_json_num(&j, "inbound_vs_raw_old", R.inbound / R.raw_old, 4);
	bench_json_num(&j, "cpu_inbound_vs_raw_fair", R.c_raw_fair / R.c_in, 4);
	bench_json_num(&j, "cpu_inbound_vs_raw_old", R.c_raw_old / R.c_in, 4);
	bench_json_num(&j, "send_vs_modem", R.send_ms / 3000.0, 4);
	bench_json_num(&j, "reply_latency_vs_commit",
	               R.commit_ms > 0 ? R.lat_med_ms / R.commit_ms : 0, 4);
	bench_json_close(&j);
	bench_json_open(&j, "goals");
	bench_json_num(&j, "parser_replies_per_s", 1e6, 3);
	/* the ratio (ratios.inbound_vs_raw_fair) must reach the target; the
	 * goal is where the design should get to */
	bench_json_num(&j, "inbound_vs_raw_fair_target", 0.15, 3);
	bench_json_num(&j, "inbound_vs_raw_fair_goal", 0.3, 3);
	bench_json_close(&j);
	bench_json_close(&j);
}

int main(int argc, char **argv)
{
	long n = 100000;
	const char *src = getenv("ANXIN_SOURCE");
	char content_dir[600], dir[] = "/tmp/anxin-bench-smsd-XXXXXX";
	ax_content *c = NULL;
	const struct ax_survey *s;
	int nerr = 0, rc, json = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if ((!strcmp(argv[i], "--households") || !strcmp(argv[i], "--records")) &&
		         i + 1 < argc)
			n = atol(argv[++i]);
		else if (argv[i][0] >= '0' && argv[i][0] <= '9')
			n = atol(argv[i]);
		else {
			fprintf(stderr, "usage: bench_smsd [--households N | N] [--json]\n");
			return 2;
		}
	}
	if (n < 1)
		n = 1;
	R.n = n;
	tab = json ? stderr : stdout;
	snprintf(content_dir, sizeof content_dir, "%s/content", src ? src : ".");
	if (ax_content_load_dir(content_dir, NULL, NULL, &nerr, &c) != AX_OK ||
	    !(s = ax_content_find_survey(c, "satisfaction", 0))) {
		fprintf(stderr, "bench_smsd: no content in %s (set ANXIN_SOURCE)\n",
		        content_dir);
		return 1;
	}
	bench_parser(ax_survey_question(s, "q3"));
	bench_flow(s, n);
	if (!mkdtemp(dir))
		return 1;
	rc = bench_store(dir, content_dir, n);
	rm_rf(dir);
	ax_content_free(c);
	if (rc == 0 && json)
		print_json();
	return rc ? 1 : 0;
}
