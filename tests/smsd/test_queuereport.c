/*
 * test_queuereport -- the send backlog a gateway reports to central at
 * sync (X-Anxin-Queue, from the store's device.queue): by class and the
 * minutes to send it.  Five households at 23:00 China time, inside the
 * campaign's quiet hours (21:00-08:00): every conversation starts, its
 * intro and first question wait, both in the class of new intros (a
 * start queues its messages at the intro's priority).  By hand: 0 opt-out
 * confirmations, 0 next questions, 0 reminders, 10 intros and first
 * questions; 10 messages at the gateway's 10/min on one modem: 1 minute
 * -> "0,0,0,10;1".  At 08:00 they go out and the
 * next report, a minute later at the earliest, says "0,0,0,0;0".  Old
 * code reported nothing (no device.queue).
 *
 * Then the wait from a reply to the next question, which central cannot
 * compute (it has no per-message times).  K1 answers "1", read at 09:00
 * and its next question sent in the same round: 0 s.  K2 and K3 answer
 * in the evening, read at 21:00, in quiet hours: their next questions
 * wait until 08:00, 11 h = 39600 s.  The report of the 21:00 round, taken
 * before K2's and K3's questions are sent, counts K1 alone and two next
 * questions pending: "0,2,0,0;1;0,1"; the report at 08:01 has all three,
 * median (the upper middle of 0, 39600, 39600) 39600 over 3 replies:
 * "0,0,0,0;0;39600,3" (remind_after is 3 days here, so K4's and K5's
 * reminders are not due by then).  Before, the report had no waits.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "anxin/sync.h"
#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "K1,439901101000,439901101201,439901101201001,13800000031,2\n"
    "K2,439901101000,439901101201,439901101201001,13800000032,2\n"
    "K3,439901101000,439901101201,439901101201001,13800000033,2\n"
    "K4,439901101000,439901101201,439901101201001,13800000034,2\n"
    "K5,439901101000,439901101201,439901101201001,13800000035,2\n";

#define T23 1772463600LL /* 2026-03-02 23:00 China time */

static const char *report(struct gw_config *cfg)
{
	sqlite3 *db = tu_db_open(cfg->store);
	static char buf[64];
	snprintf(buf, sizeof buf, "%s",
	         tu_q(db, "SELECT value FROM sync_state WHERE key='device.queue'"));
	sqlite3_close(db);
	return buf;
}

int main(void)
{
	struct gw_config cfg;
	gw_gateway *g;
	char m0[300], camp[64];

	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1, "439901101201",
	              T23, camp, "pace_per_min = 10\nremind_after = 259200\n");
	gwt_round(g, T23);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE state='pending'"
	                 " AND kind='intro'", NULL),
	          5);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE state='pending'"
	                 " AND kind='question'", NULL),
	          5);
	CHECK_STR(report(&cfg), "0,0,0,10;1");
	/* 08:00 the next morning: all sent; reported at the next step */
	gwt_round(g, T23 + 9 * 3600);
	gwt_round(g, T23 + 9 * 3600 + 30);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE state='pending'",
	                 NULL),
	          0);
	gwt_round(g, T23 + 9 * 3600 + 60);
	CHECK_STR(report(&cfg), "0,0,0,0;0");

	gwt_inject(m0, "+8613800000031", "1");
	gwt_round(g, T23 + 10 * 3600); /* 09:00 */
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE kind='question'"
	                 " AND state='sent' AND sent_at=1772499600", NULL),
	          1);
	gwt_inject(m0, "+8613800000032", "1");
	gwt_inject(m0, "+8613800000033", "1");
	gwt_round(g, T23 + 22 * 3600); /* 21:00 */
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM inbox WHERE received_at=?1",
	                 "1772542800"), 2);
	CHECK_STR(report(&cfg), "0,0,0,0;0;0,1"); /* taken before the replies were read */
	gwt_round(g, T23 + 22 * 3600 + 60);
	CHECK_STR(report(&cfg), "0,2,0,0;1;0,1");
	gwt_round(g, T23 + 33 * 3600); /* 08:00 */
	gwt_round(g, T23 + 33 * 3600 + 60);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE kind='question'"
	                 " AND state='sent' AND sent_at=1772582400", NULL),
	          2);
	CHECK_STR(report(&cfg), "0,0,0,0;0;39600,3");
	gw_close(g);
	return check_done();
}
