/*
 * test_duetimer -- a conversation's timer (conv.due) over replies,
 * through libgammu's dummy driver, one modem, a fixed clock moved by
 * hand, remind_after 24 h and expire_after 72 h (the defaults).
 *
 * A reply that leaves the conversation asking need not move conv.due:
 * the next question's send sets it (gw_send.c), and the tick that finds
 * a row whose due is early writes the exact one (gw_conv.c: write_conv).
 * What must hold whichever way it is written:
 *   H1  answers q1 at T0+600; q2 goes out at T0+630: due = T0+630+24h.
 *   H2  answers q1 at T0+1200; q2 is never sent (failed): at T0+24h+60
 *       nothing is reminded and due = T0+1200+24h (when the reply asked
 *       q2); reminded then, not before.
 *   H1  is reminded at T0+630+24h (due then reminded_at + 72 h), answers
 *       q2 600 s later and q3 is never sent: due = that reply + 24 h, an
 *       earlier due than the reminder's, and the next reminder comes then.
 * Expectations by hand from those times.
 */
#include <stdio.h>
#include <sys/stat.h>

#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] = GWT_ROSTER2;

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300], camp[64];

static long long q1(const char *sql)
{
	return gwt_q1(cfg.store, sql, NULL);
}

static void step(long long t)
{
	gwt_now = t;
	if (gw_step(g) != AX_OK)
		fprintf(stderr, "step: %s\n", gw_errmsg(g));
}

static void cycle(long long t)
{
	gwt_now = t;
	if (gw_modem_cycle(g, 0) != AX_OK)
		fprintf(stderr, "cycle: %s\n", gw_errmsg(g));
}

/* What a send that failed for good leaves: the household's pending
 * messages 'failed' (gw_send.c after its third attempt). */
static void fail_pending(const char *hh)
{
	sqlite3 *db;
	char sql[160];
	REQUIRE(sqlite3_open(cfg.store, &db) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	snprintf(sql, sizeof sql,
	         "UPDATE queue SET state='failed', attempts=3 WHERE household='%s'"
	         " AND state='pending'", hh);
	CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_changes(db), 1);
	sqlite3_close(db);
}

#define DUE(hh) q1("SELECT due FROM conv WHERE household='" hh "'")
#define REMINDERS(hh)                                                          \
	q1("SELECT COUNT(*) FROM queue WHERE household='" hh "' AND kind='reminder'")

int main(void)
{
	const char *p1 = "+8613800000001", *p2 = "+8613800000002";
	long long t3;
	int i;

	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1, "439901101201",
	              T0, camp, "");
	CHECK_INT(cfg.flow.remind_after, DAY);
	CHECK_INT(cfg.flow.expire_after, 3 * DAY);
	for (i = 0; i < 3; i++) {
		step(T0);
		cycle(T0);
	}
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='sent'"), 4);
	CHECK_INT(DUE("H1"), T0 + DAY);
	CHECK_INT(DUE("H2"), T0 + DAY);

	/* ---- H1: q1 answered, q2 sent 30 s later ---- */
	gwt_inject(m0, p1, "1");
	cycle(T0 + 600); /* read */
	step(T0 + 600);  /* q2 queued */
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H1'"), 1);
	cycle(T0 + 630); /* sent */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H1' AND"
	             " state='sent'"),
	          3);
	CHECK_INT(DUE("H1"), T0 + 630 + DAY);

	/* ---- H2: q1 answered, q2 never goes out ---- */
	gwt_inject(m0, p2, "1");
	cycle(T0 + 1200);
	step(T0 + 1200);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H2'"), 1);
	fail_pending("H2");
	step(T0 + DAY + 60); /* past the first question's timer */
	step(T0 + DAY + 61);
	CHECK_INT(REMINDERS("H2"), 0);
	CHECK_INT(DUE("H2"), T0 + 1200 + DAY);
	/* ---- H1 reminded at its timer; H2 at the one of its reply ---- */
	step(T0 + 630 + DAY);
	cycle(T0 + 630 + DAY);
	CHECK_INT(REMINDERS("H1"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H1' AND"
	             " kind='reminder' AND state='sent'"),
	          1);
	CHECK_INT(DUE("H1"), T0 + 630 + DAY + 3 * DAY);
	CHECK_INT(REMINDERS("H2"), 0);
	step(T0 + 1200 + DAY);
	CHECK_INT(REMINDERS("H2"), 1);
	CHECK_INT(q1("SELECT reminded_at FROM conv WHERE household='H2'"),
	          T0 + 1200 + DAY);

	/* ---- H1 answers q2 after the reminder, q3 never goes out ---- */
	t3 = T0 + 630 + DAY + 600;
	gwt_inject(m0, p1, "1");
	cycle(t3);
	step(t3);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H1'"), 2);
	CHECK_INT(q1("SELECT reminded FROM conv WHERE household='H1'"), 0);
	fail_pending("H1");
	CHECK_INT(DUE("H1"), t3 + DAY);
	step(t3 + DAY - 1);
	CHECK_INT(REMINDERS("H1"), 1);
	step(t3 + DAY);
	CHECK_INT(REMINDERS("H1"), 2);

	gw_close(g);
	tu_cleanup();
	return check_done();
}
