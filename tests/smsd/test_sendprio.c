/*
 * test_sendprio -- send classes and the start pace, end to end through
 * libgammu's real dummy driver, one modem at the shipped defaults (10 a
 * minute, 300 a SIM a day), a fixed clock driven by hand:
 *
 *   a survey campaign of 300 households (or as many as the first argument
 *   says: e2e.smsd.sendprio_2000 runs this part with 2,000).  A third of them answer each
 *   question at once: every reply gets its next message (question or
 *   thanks) within 60 s of the reply, measured from the queue's sent_at,
 *   while the campaign's intros are still going out; an opt-out is
 *   confirmed within 60 s.  With FIFO sends (the queue claimed ORDER BY
 *   id, every intro queued at the start) a reply waited behind hundreds
 *   of intros: about an hour at this pace.
 *
 *   then six days in steps of half an hour (an hour in the quiet hours):
 *   the daily cap spreads the intros over days, and no conversation is
 *   reminded before remind_after has passed since its question really
 *   went out, nor expired before remind_after + expire_after since its
 *   intro went out.
 *
 * Replies are injected as smsbackup files into <modem>/sms/1/ (the format
 * of test_dummy.c); what was sent is read from the gateway's queue.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL
static int N = 300;    /* households; the first argument: another number */
#define STEP 6         /* seconds of clock per round while measuring: the
                        * pace's interval at 10 a minute */
#define MEASURE 1500   /* seconds measured: 250 sends, under the day's cap */
#define MAX_REPLIES 4096
/* a reminder row of queue t (by its text too: the gateway before send
 * classes queued reminders as kind 'question') */
#define REMINDER(t) "(" t ".kind='reminder' OR " t ".text GLOB '*提醒：*')"

static long long now_v;
/* While a modem cycle sends, the clock may move 6 s (the pace's interval
 * at 10 a minute) per reading, up to tick_until: one cycle then stands
 * for the minutes it replaces, as the pace spreads sends over time and a
 * fixed clock would let one go per cycle. */
static long long tick_until;
static long long clock_fn(void *ctx)
{
	(void)ctx;
	if (tick_until && now_v + 6 <= tick_until)
		now_v += 6;
	return now_v;
}

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300];
static sqlite3 *rdb; /* read-only look at the gateway's tables */

static void inject(const char *number, const char *text)
{
	gwt_inject(m0, number, text);
}

/* ---- reading the gateway's tables ---------------------------------------- */

static long long q1(const char *sql)
{
	sqlite3_stmt *q;
	long long v = -1;
	if (sqlite3_prepare_v2(rdb, sql, -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	} else {
		fprintf(stderr, "sql: %s: %s\n", sql, sqlite3_errmsg(rdb));
	}
	return v;
}

/* ---- the residents ------------------------------------------------------- */

static void phone_of(int i, char out[32]) { snprintf(out, 32, "+86139%08d", i); }

/* a third of the households answer every question at once; the first
 * other household whose first question arrives opts out at once */
static int answers(int i) { return i % 3 == 0; }
static int opts_out = -1;

struct reply {
	char phone[32];
	long long at;     /* when the resident sent it */
	long long got;    /* sent_at of the next message to the number, 0: none yet */
	int optout;
};
static struct reply replies[MAX_REPLIES];
static int nreplies;

/* What went out in [from, now_v]: settle the replies waiting for it, and
 * answer it when its resident would.  Messages of one flow step go out
 * one after the other; a resident answers once nothing more is pending. */
static void look_at_sends(long long from, int answering)
{
	sqlite3_stmt *q;
	REQUIRE(sqlite3_prepare_v2(rdb,
	                           "SELECT q.phone, q.household, q.kind, q.sent_at,"
	                           " (SELECT status FROM conv c WHERE c.household=q.household),"
	                           " (SELECT COUNT(*) FROM queue p WHERE p.phone=q.phone"
	                           "  AND p.state IN ('pending','sending'))"
	                           " FROM queue q WHERE q.state='sent' AND q.sent_at"
	                           " BETWEEN ?1 AND ?2 ORDER BY q.id",
	                           -1, &q, NULL) == SQLITE_OK);
	sqlite3_bind_int64(q, 1, from);
	sqlite3_bind_int64(q, 2, now_v);
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *phone = (const char *)sqlite3_column_text(q, 0);
		const char *hh = (const char *)sqlite3_column_text(q, 1);
		const char *kind = (const char *)sqlite3_column_text(q, 2);
		const char *status = (const char *)sqlite3_column_text(q, 4);
		int i = atoi(hh + 1), pending = sqlite3_column_int(q, 5), r;
		for (r = 0; r < nreplies; r++)
			if (!replies[r].got && strcmp(replies[r].phone, phone) == 0 &&
			    (!replies[r].optout || strcmp(kind, "optout_confirm") == 0))
				replies[r].got = sqlite3_column_int64(q, 3);
		if (!answering || pending || !status || strcmp(status, "asking") != 0 ||
		    strcmp(kind, "question") != 0 || nreplies == MAX_REPLIES)
			continue;
		if (opts_out < 0 && !answers(i))
			opts_out = i;
		if (i == opts_out || answers(i)) {
			struct reply *rp = &replies[nreplies++];
			snprintf(rp->phone, sizeof rp->phone, "%s", phone);
			rp->at = now_v;
			rp->got = 0;
			rp->optout = i == opts_out;
			inject(phone, rp->optout ? "TD" : "1");
		}
	}
	sqlite3_finalize(q);
}

/* ---- driving the gateway ------------------------------------------------- */

static void step(void)
{
	if (gw_step(g) != AX_OK)
		fprintf(stderr, "step: %s\n", gw_errmsg(g));
}

/* one round at now_v: the inbox processed, the modem read and sent;
 * with until > now_v, the clock moves while the modem sends (clock_fn) */
static void round_at(int answering, long long until)
{
	long long from = now_v;
	step();
	tick_until = until;
	gw_modem_cycle(g, 0);
	tick_until = 0;
	step();
	look_at_sends(from, answering);
}

static void setup(void)
{
	ax_store *st;
	struct ax_campaign camp;
	char err[256], phone[32];
	int i;
	size_t used = 0, cap = 64 * (N + 2);
	char *csv = malloc(cap);

	REQUIRE(csv != NULL);
	tu_init();
	snprintf(m0, sizeof m0, "%s", tu_path("m0"));
	mkdir(m0, 0755);
	used += (size_t)snprintf(csv + used, cap - used,
	                         "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n");
	for (i = 0; i < N; i++) {
		phone_of(i, phone);
		used += (size_t)snprintf(csv + used, cap - used,
		                         "H%04d,439901101000,439901101201,439901101201001,%s,2\n",
		                         i, phone + 3);
	}
	st = gwt_store(csv, used);
	free(csv);
	ax_campaign_defaults(&camp);
	snprintf(camp.name, sizeof camp.name, "满意度测评");
	snprintf(camp.survey, sizeof camp.survey, "satisfaction");
	snprintf(camp.scope, sizeof camp.scope, "439901101201");
	camp.starts_at = T0 - DAY;
	camp.ends_at = T0 + 30 * DAY;
	REQUIRE(ax_campaign_create(st, &camp) == AX_OK);
	ax_store_close(st);

	gwt_config(&cfg, m0, "");
	/* the shipped defaults are what this test is about */
	CHECK_INT(cfg.pace_per_min, 10);
	CHECK_INT(cfg.daily_cap, 300);
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, clock_fn, NULL);
	REQUIRE(sqlite3_open_v2(cfg.store, &rdb, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_busy_timeout(rdb, 5000);
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static long long lats[MAX_REPLIES];
	long long p95 = -1;
	long long worst = 0, sum = 0, worst_optout = -1;
	int r, measured = 0, late = 0;
	char sql[1024];

	if (argc > 1)
		N = atoi(argv[1]);
	REQUIRE(N >= 30 && N <= 100000);
	setup();
	now_v = T0;
	/* ---- 25 minutes at 10:00: replies go before the intros ---- */
	for (; now_v < T0 + MEASURE; now_v += STEP)
		round_at(1, 0);
	for (r = 0; r < nreplies; r++) {
		long long lat = replies[r].got ? replies[r].got - replies[r].at : -1;
		if (replies[r].at + 60 >= T0 + MEASURE && !replies[r].got)
			continue; /* too recent to judge */
		if (replies[r].optout) {
			worst_optout = lat;
			continue;
		}
		lats[measured++] = lat < 0 ? 1000000 : lat;
		if (lat < 0 || lat > 60) {
			late++;
			fprintf(stderr, "late: %s replied at +%lld s, answered after %lld s\n",
			        replies[r].phone, replies[r].at - T0, lat);
		}
		if (lat > worst || lat < 0)
			worst = lat < 0 ? 1000000 : lat;
		sum += lat;
	}
	/* the pace is spread over the minute (one send every 6 s): a reply
	 * waits for the modem's next free slot, not for the next minute */
	qsort(lats, (size_t)measured, sizeof lats[0], cmp_ll);
	if (measured)
		p95 = lats[(measured * 95 + 99) / 100 - 1];
	fprintf(stderr, "sendprio: %d households; %d replies answered, latency p95 %lld s,"
	                " max %lld s, mean %.1f s; opt-out confirmed after %lld s;"
	                " %lld of %d households had their intro; %lld completed\n",
	        N, measured, p95, worst, measured ? (double)sum / measured : 0.0,
	        worst_optout,
	        q1("SELECT COUNT(*) FROM queue WHERE kind='intro' AND state='sent'"), N,
	        q1("SELECT COUNT(*) FROM conv WHERE status='done'"));
	CHECK(measured >= 30);
	CHECK(p95 >= 0 && p95 <= 60);
	CHECK_INT(late, 0);
	/* a prompt resident completes the questionnaire within 15 minutes of
	 * the intro going out */
	CHECK(q1("SELECT COUNT(*) FROM conv WHERE status='done'") >= 5);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv c WHERE status='done' AND updated_at"
	             " - (SELECT MIN(sent_at) FROM queue q WHERE q.household ="
	             " c.household AND q.kind='intro') > 900"),
	          0);
	/* spread: one send a second at most at 10 a minute (the minute's
	 * share once went in its first second), ten in any minute */
	CHECK_INT(q1("SELECT MAX(n) FROM (SELECT COUNT(*) n FROM queue"
	             " WHERE sent_at IS NOT NULL GROUP BY sent_at)"), 1);
	CHECK(q1("SELECT MAX((SELECT COUNT(*) FROM queue b WHERE b.sent_at"
	         " > a.sent_at - 60 AND b.sent_at <= a.sent_at)) FROM queue a"
	         " WHERE a.sent_at IS NOT NULL") <= 10);
	CHECK(worst_optout >= 0 && worst_optout <= 60);
	/* while the intros are still going out */
	CHECK(q1("SELECT COUNT(*) FROM queue WHERE kind='intro' AND state='sent'") < N / 2);
	/* started no faster than they go: a few minutes' worth unsent */
	CHECK(q1("SELECT COUNT(*) FROM queue WHERE kind='intro' AND state='pending'") <= 30);
	CHECK(q1("SELECT COUNT(*) FROM conv") < N);
	/* the opted-out number: the confirmation, then nothing */
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM queue WHERE phone='+86139%08d' AND"
	         " kind='optout_confirm' AND state='sent'", opts_out);
	CHECK_INT(q1(sql), 1);
	if (N != 300) { /* the six days are the 300 households' */
		sqlite3_close(rdb);
		gw_close(g);
		return check_done();
	}

	/* ---- six days in half hours (hours in the quiet hours, 21:00 to
	 * 08:00, when nothing goes out): reminders and expiry.  Each round
	 * reads the dummy modem (50,000 file probes); quarter hours
	 * throughout took 100 s of this test's 134. ---- */
	while (now_v < T0 + 6 * DAY) {
		long long hour = ((now_v - T0) / 3600 + 10) % 24, stride;
		long long next;
		stride = hour >= 21 || hour < 8 ? 3600 : 1800;
		next = (now_v - T0) / stride * stride + T0 + stride;
		round_at(1, next - 1);
		now_v = next;
	}
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='intro' AND state='sent'"),
	          N);
	CHECK(q1("SELECT COUNT(DISTINCT sent_day) FROM queue WHERE kind='intro'"
	         " AND state='sent'") >= 2); /* the cap spread them over days */
	CHECK(q1("SELECT COUNT(*) FROM queue q WHERE " REMINDER("q") " AND state='sent'") > 0);
	CHECK(q1("SELECT COUNT(*) FROM conv WHERE status='expired'") > 0);
	/* a reminder only once remind_after has passed since the question it
	 * repeats went out (never while it waited in the queue) */
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM queue r WHERE " REMINDER("r") " AND"
	         " COALESCE((SELECT MAX(p.sent_at) FROM queue p WHERE p.phone=r.phone"
	         " AND p.id < r.id AND p.kind IN ('intro','question')), %lld)"
	         " + %lld > r.created_at",
	         T0 + 100 * DAY, (long long)cfg.flow.remind_after);
	CHECK_INT(q1(sql), 0);
	/* expired only after the reminder went out and expire_after passed */
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM conv c WHERE c.status='expired' AND"
	         " COALESCE((SELECT MAX(p.sent_at) FROM queue p WHERE"
	         " p.household=c.household AND " REMINDER("p") "), %lld)"
	         " + %lld > c.updated_at",
	         T0 + 100 * DAY, (long long)cfg.flow.expire_after);
	CHECK_INT(q1(sql), 0);
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM conv c WHERE c.status='expired' AND"
	         " COALESCE((SELECT MIN(p.sent_at) FROM queue p WHERE"
	         " p.household=c.household AND p.kind='intro'), %lld)"
	         " + %lld > c.updated_at",
	         T0 + 100 * DAY,
	         (long long)(cfg.flow.remind_after + cfg.flow.expire_after));
	CHECK_INT(q1(sql), 0);

	sqlite3_close(rdb);
	gw_close(g);
	return check_done();
}
