/*
 * test_campclose -- a campaign that ends under open conversations, through
 * libgammu's dummy driver, one modem, a fixed clock:
 *
 *   campaign A (the satisfaction survey, six households): H1 and H2 answer
 *   two questions, H3..H6 never reply; A is closed (ax_campaign_close).
 *   Every conversation of A leaves `asking` (closed); H1 and H2 get a
 *   partial response record with their two answers, H3..H6 none; their
 *   questions not sent yet never go.
 *
 *   a reply to A after the close (H1) gets the short answer once, is kept
 *   in the inbox for A (state late, campaign A) and changes nothing in A's
 *   conversation nor anywhere else;
 *
 *   campaign B over the same scope reaches every household (an intro to
 *   each: before the fix, household_busy() saw A's stuck rows and B never
 *   started), not in the minutes after A ended but a day later
 *   (campaign_gap, 12 h by default); B then ends by its window with H4 having answered once: B's
 *   conversations are closed, one partial record (H4), none for the rest.
 *
 * Replies are injected as smsbackup files (as test_outreach.c); what was
 * sent is read from the gateway's queue, records from the store's outbox.
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
#include "anxin/sync.h"
#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300];
static char camp_a[64], camp_b[64];

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101201,439901101201001,13800000002,2\n"
    "H3,439901101000,439901101201,439901101201001,13800000003,4\n"
    "H4,439901101000,439901101201,439901101201001,13800000004,1\n"
    "H5,439901101000,439901101201,439901101201002,13800000005,2\n"
    "H6,439901101000,439901101201,439901101201002,13800000006,2\n";

static void inject(const char *number, const char *text)
{
	gwt_inject(m0, number, text);
}

/* ---- reading the gateway's tables ---------------------------------------------------- */

static long long q1(const char *sql)
{
	return gwt_q1(cfg.store, sql, NULL);
}

/* One value of sql with ?1 bound to a: -1 when no row. */
static long long q1s(const char *sql, const char *a)
{
	return gwt_q1(cfg.store, sql, a);
}

/* ---- driving the gateway ----------------------------------------------------- */

static void gw_start(void)
{
	char err[512];
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
}

static void gw_stop(void)
{
	gw_close(g);
	g = NULL;
}

static void round_trip(void)
{
	int i;
	for (i = 0; i < 2; i++) {
		if (gw_step(g) != AX_OK)
			fprintf(stderr, "step: %s\n", gw_errmsg(g));
		gw_modem_cycle(g, 0);
	}
	if (gw_step(g) != AX_OK)
		fprintf(stderr, "step: %s\n", gw_errmsg(g));
}

/* A campaign of the satisfaction survey over village 201: its id. */
static void new_campaign(const char *name, long long from, long long to,
                         char id[64])
{
	gwt_survey_campaign(name, "439901101201", from, to, 60, id);
}

static void setup(void)
{

	tu_init();
	snprintf(m0, sizeof m0, "%s", tu_path("m0"));
	mkdir(m0, 0755);
	ax_store_close(gwt_store(roster_csv, sizeof roster_csv - 1));
	new_campaign("满意度测评（一）", T0 - DAY, T0 + 30 * DAY, camp_a);

	gwt_config(&cfg, m0, "");
}

/* Response records in the outbox of a wave (a campaign's id: the default
 * wave), of household hh ("": any) and status (NULL: any). */
static long long responses(const char *wave, const char *hh, const char *status)
{
	char sql[512], h[64] = "", st[64] = "";
	if (hh && *hh)
		snprintf(h, sizeof h, " AND body LIKE '%%\"household\":\"%s\"%%'", hh);
	if (status)
		snprintf(st, sizeof st, " AND body LIKE '%%\"status\":\"%s\"%%'", status);
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM outbox WHERE body LIKE '%%\"type\":\"response\"%%'"
	         " AND body LIKE '%%\"wave\":\"' || ?1 || '\"%%'%s%s",
	         h, st);
	return q1s(sql, wave);
}

static void minutes(int n)
{
	int i;
	for (i = 0; i < n; i++) {
		round_trip();
		gwt_now += 60;
	}
}

int main(void)
{
	const char *p1 = "+8613800000001", *p2 = "+8613800000002";
	const char *p4 = "+8613800000004";
	long long a_h1;

	setup();
	gwt_now = T0;
	gw_start();
	minutes(3);
	CHECK_INT(q1s("SELECT COUNT(*) FROM conv WHERE campaign=?1 AND status='asking'",
	              camp_a),
	          6);
	CHECK_INT(q1s("SELECT COUNT(*) FROM sent_log WHERE campaign=?1 AND kind='intro'",
	              camp_a),
	          6);

	/* ---- H1 and H2 answer two questions, the others nothing ---- */
	inject(p1, "1");
	inject(p2, "1");
	minutes(2);
	inject(p1, "2");
	inject(p2, "3");
	minutes(2);
	CHECK_INT(q1s("SELECT COUNT(*) FROM conv WHERE campaign=?1 AND status='asking'"
	              " AND qidx=2",
	              camp_a),
	          2);
	CHECK_INT(responses(camp_a, "", NULL), 0);

	/* ---- A is closed; the gateway sees it at its next load ---- */
	{
		ax_store *st;
		char err[256];
		REQUIRE(ax_store_open(tu_path("anxin.db"), 0, &st, err, sizeof err) == AX_OK);
		REQUIRE(ax_campaign_close(st, camp_a) == AX_OK);
		ax_store_close(st);
	}
	gwt_now += 301;
	minutes(2);
	CHECK_INT(q1s("SELECT COUNT(*) FROM conv WHERE campaign=?1 AND status='asking'",
	              camp_a),
	          0);
	CHECK_INT(q1s("SELECT COUNT(*) FROM conv WHERE campaign=?1 AND status='closed'",
	              camp_a),
	          6);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE status='asking'"), 0);
	/* partial records of what was answered; none for who never replied */
	CHECK_INT(responses(camp_a, "H1", "partial"), 1);
	CHECK_INT(responses(camp_a, "H2", "partial"), 1);
	CHECK_INT(responses(camp_a, "", NULL), 2);
	CHECK_INT(q1s("SELECT COUNT(*) FROM outbox WHERE body LIKE '%\"household\":\"H1\"%'"
	              " AND body LIKE '%\"wave\":\"' || ?1 || '\"%'"
	              " AND body LIKE '%\"q1\":\"1\"%' AND body LIKE '%\"q2\":\"2\"%'",
	              camp_a),
	          1);
	/* nothing of A left to send */
	CHECK_INT(q1s("SELECT COUNT(*) FROM queue WHERE campaign=?1 AND state='pending'",
	              camp_a),
	          0);

	/* ---- a late reply to A: the short answer, once; kept for A ---- */
	a_h1 = q1s("SELECT COUNT(*) FROM sent_log WHERE household='H1' AND campaign=?1",
	           camp_a);
	inject(p1, "4");
	minutes(2);
	inject(p1, "满意");
	minutes(2);
	CHECK_INT(q1s("SELECT COUNT(*) FROM sent_log WHERE household='H1' AND"
	              " campaign=?1 AND kind='closed' AND text='本次调查已结束，感谢您的关注。'",
	              camp_a),
	          1);
	CHECK_INT(q1s("SELECT COUNT(*) FROM sent_log WHERE household='H1' AND campaign=?1",
	              camp_a),
	          a_h1 + 1);
	CHECK_INT(q1s("SELECT COUNT(*) FROM inbox WHERE household='H1' AND campaign=?1"
	              " AND state='late'",
	              camp_a),
	          2);
	CHECK_INT(q1s("SELECT qidx FROM conv WHERE household='H1' AND campaign=?1",
	              camp_a),
	          2);
	CHECK_INT(responses(camp_a, "", NULL), 2);

	/* ---- B over the same scope reaches every household ---- */
	new_campaign("满意度测评（二）", gwt_now - 60, gwt_now + 3 * DAY, camp_b);
	gwt_now += 301;
	minutes(3);
	/* not in the minutes after A's conversations ended: campaign_gap */
	CHECK_INT(q1s("SELECT COUNT(*) FROM conv WHERE campaign=?1", camp_b), 0);
	CHECK_INT(q1s("SELECT COUNT(*) FROM queue WHERE campaign=?1", camp_b), 0);
	gwt_now += DAY;
	minutes(3);
	CHECK_INT(q1s("SELECT COUNT(*) FROM conv WHERE campaign=?1", camp_b), 6);
	CHECK_INT(q1s("SELECT COUNT(*) FROM sent_log WHERE campaign=?1 AND kind='intro'",
	              camp_b),
	          6);
	CHECK_INT(q1s("SELECT COUNT(DISTINCT household) FROM sent_log WHERE campaign=?1",
	              camp_b),
	          6);
	/* a reply now answers B, not A */
	inject(p4, "2");
	minutes(2);
	CHECK_INT(q1s("SELECT qidx FROM conv WHERE household='H4' AND campaign=?1", camp_b),
	          2); /* q2 is shown only after 知道 */
	CHECK_INT(q1s("SELECT COUNT(*) FROM inbox WHERE household='H4' AND state='done'"
	              " AND campaign=?1",
	              camp_b),
	          1);

	/* ---- B's window ends: closed, one partial record (H4) ---- */
	gwt_now = q1s("SELECT MAX(started_at) FROM conv WHERE campaign=?1", camp_b) + 3 * DAY;
	minutes(2);
	CHECK_INT(q1s("SELECT COUNT(*) FROM conv WHERE campaign=?1 AND status='asking'",
	              camp_b),
	          0);
	CHECK_INT(responses(camp_b, "H4", "partial"), 1);
	CHECK_INT(responses(camp_b, "", NULL), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE status='asking'"), 0);
	gw_stop();
	return check_done();
}
