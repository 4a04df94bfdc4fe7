/*
 * test_phonefallback -- a household's first listed number is asked; when
 * the network bounces it before anyone replied, the next listed number:
 * libgammu's dummy driver, one modem, a fixed clock moved by hand.
 *
 *   H1 lists A (139…05) then B (138…06).  The conversation starts on A,
 *   the first listed (old code: on B, the smaller number, as the roster
 *   kept the numbers sorted).  A's delivery report says the network gave
 *   up (TP-Status 0x41): the conversation moves to B, the intro and the
 *   question go to B, and B's "1" answers the first question.
 *   H2 lists only C: its bounce leaves it where it is (nothing to move
 *   to, nothing sent again).
 *   H3 lists D then E, and D answered before its report bounced: a number
 *   that replied is kept.
 *   H4 lists P then Q, and P never answers (no bounce, no reply).  Worked
 *   by hand at the defaults (remind_after a day, expire_after three
 *   days): intro and question to P at T0, the reminder at T0 + 1 day;
 *   at T0 + 4 days, where the old code expired it with Q never asked,
 *   the conversation moves to Q: intro and question at T0 + 4 days, Q's
 *   own reminder at T0 + 5 days, and with no third number it expires at
 *   T0 + 8 days.  H2, whose only number bounced and never answered,
 *   expires at T0 + 4 days as before (nothing to move to).
 *   H5 lists R then S, and R's first reply is 退订: an opt-out is a reply
 *   of the household (its conversation ends opted out), and S is not
 *   asked in this campaign, not at the expiry either (a later campaign
 *   starts on S, the first number not opted out).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13900000005;13800000006,2\n"
    "H2,439901101000,439901101201,439901101201001,13900000007,3\n"
    "H3,439901101000,439901101201,439901101201001,13900000009；13800000001,3\n"
    "H4,439901101000,439901101201,439901101201002,13900000011;13800000012,2\n"
    "H5,439901101000,439901101201,439901101201002,13900000013;13800000014,2\n";

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define A "+8613900000005"
#define B "+8613800000006"
#define C "+8613900000007"
#define D "+8613900000009"
#define P "+8613900000011"
#define Q "+8613800000012"
#define R "+8613900000013"
#define S "+8613800000014"
#define DAY 86400LL

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300], camp[64];

static long long q1(const char *sql, const char *a)
{
	return gwt_q1(cfg.store, sql, a);
}

static long long sent_to(const char *phone, const char *kind)
{
	char sql[200];
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM queue WHERE phone=?1 AND kind='%s' AND"
	         " state='sent'",
	         kind);
	return q1(sql, phone);
}

/* A report that the network gave up on phone's question (TP-Status 0x41),
 * as the modem thread stores it (libgammu's dummy driver reads no
 * DeliveryStatus from its files: every injected report says delivered). */
static void bounce(const char *phone)
{
	long long ref = q1("SELECT ref FROM queue WHERE phone=?1 AND kind='question'",
	                   phone);
	sqlite3 *db = NULL;
	char *sql;
	REQUIRE(ref >= 0);
	REQUIRE(sqlite3_open(cfg.store, &db) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	sql = sqlite3_mprintf("INSERT INTO reports(dedup, modem, phone, ref, status,"
	                      " at) VALUES('bounce-%q', 'gammu', %Q, %lld, 65, %lld)",
	                      phone, phone, ref, gwt_now);
	REQUIRE(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
}

int main(void)
{
	long long t = T0;

	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1, "439901101201", T0,
	              camp, "pace_burst = 60\n");
	gwt_round(g, t);
	gwt_round(g, t);
	/* the first listed numbers */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H1' AND phone=?1", A), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H3' AND phone=?1", D), 1);
	CHECK_INT(sent_to(A, "intro"), 1);
	CHECK_INT(sent_to(A, "question"), 1);
	CHECK_INT(sent_to(B, "intro"), 0);

	/* D answers (a minute later), then its report bounces anyway; R
	 * opts out before answering anything */
	t += 60;
	gwt_inject(m0, D, "1");
	gwt_inject(m0, R, "退订");
	gwt_round(g, t);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone=?1 AND household='H3'", D), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H5' AND phone=?1"
	             " AND status='opted_out'", R), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM optout WHERE phone=?1", R), 1);

	t += 60;
	bounce(A);
	bounce(C);
	bounce(D);
	gwt_round(g, t);
	gwt_round(g, t);
	CHECK_INT(q1("SELECT COUNT(*) FROM reports WHERE matched=1", NULL), 3);
	/* H1 moved to B: intro and question again, A's rows say why */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H1' AND phone=?1"
	             " AND status='asking'", B),
	          1);
	CHECK_INT(sent_to(B, "intro"), 1);
	CHECK_INT(sent_to(B, "question"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1 AND error LIKE"
	             " 'bounced (report 65) moved to the next number'", A),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", A), 2);
	/* H2 has no next number, H3 replied on D: both stay */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H2' AND phone=?1", C), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", C), 2);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H3' AND phone=?1", D), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone='+8613800000001'", NULL), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM phone_failed", NULL), 0);

	/* B answers the first question (知道): the second goes to B */
	t += 300;
	gwt_inject(m0, B, "1");
	gwt_round(g, t);
	gwt_round(g, t);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H1'", NULL), 1);
	CHECK_INT(sent_to(B, "question"), 2);
	CHECK_INT(sent_to(A, "question"), 1);

	/* ---- H4: P never answers ---- */
	CHECK_INT(sent_to(P, "intro"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1 AND sent_at=1772416800", P), 2);
	gwt_round(g, T0 + DAY);
	CHECK_INT(sent_to(P, "reminder"), 1);
	gwt_round(g, T0 + 4 * DAY - 60); /* a minute before: still P */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H4' AND phone=?1"
	             " AND status='asking'", P), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", Q), 0);
	gwt_round(g, T0 + 4 * DAY);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H4' AND phone=?1"
	             " AND status='asking' AND reminded=0", Q), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1 AND state='sent' AND"
	             " kind IN ('intro','question') AND sent_at=1772762400", Q), 2);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1 AND error LIKE"
	             "'%moved to the next number'", P), 2);
	CHECK_INT(sent_to(P, "intro"), 1); /* nothing more to P */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", P), 3);
	/* H2: its only number, expired on time */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H2' AND"
	             " status='expired' AND phone=?1", C), 1);
	gwt_round(g, T0 + 5 * DAY);
	CHECK_INT(sent_to(Q, "reminder"), 1);
	gwt_round(g, T0 + 8 * DAY - 60);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H4' AND status='asking'",
	             NULL), 1);
	gwt_round(g, T0 + 8 * DAY);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H4' AND"
	             " status='expired' AND phone=?1", Q), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", P), 3);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", Q), 3);
	/* H5: R opted out; S was never asked */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", S), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H5' AND"
	             " status='opted_out' AND phone=?1", R), 1);

	gw_close(g);
	return check_done();
}
