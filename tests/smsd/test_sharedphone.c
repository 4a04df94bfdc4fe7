/*
 * test_sharedphone -- one number listed for two households, and a
 * household with two numbers, through libgammu's dummy driver, one modem,
 * a fixed clock moved by hand:
 *
 *   H1 and H2 both list P (a son's number for his parents too).  Only one
 *   conversation runs on P at a time; P's reply goes to it.  Once it is
 *   over, a reply from P (no conversation open on it) is nobody's: kept
 *   as ambiguous, no household credited.  The other household's
 *   conversation starts on P after campaign_gap.  Before: both started on
 *   P at once, and a reply was taken by whichever household the lookup
 *   found.
 *
 *   H3 lists A then B.  The conversation runs on A; B's "1" is kept and
 *   counted for H3 but answers nothing (before, it answered A's open
 *   question).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000009,2\n"
    "H2,439901101000,439901101201,439901101201001,13800000009,3\n"
    "H3,439901101000,439901101201,439901101201002,13800000003;13800000004,4\n";

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL
#define P "+8613800000009"

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300], camp[64];

static long long q1(const char *sql, const char *a)
{
	return gwt_q1(cfg.store, sql, a);
}


static long long replied(const char *hh)
{
	char like[64];
	snprintf(like, sizeof like, "%%\"household\":\"%s\"%%", hh);
	return q1("SELECT COUNT(*) FROM outbox WHERE body LIKE"
	          " '%\"kind\":\"sms_replied\"%' AND body LIKE ?1", like);
}

int main(void)
{
	char first[64] = "", sql[256];
	long long t = T0;
	int i;

	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1, "439901101201", T0,
	              camp, "pace_burst = 60\n");

	gwt_round(g, t);
	gwt_round(g, t);
	/* one conversation on P, H3's on its first number */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE phone=?1 AND status='asking'", P), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv", NULL), 2);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H3' AND"
	             " phone='+8613800000003'", NULL),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1 AND kind='intro'", P), 1);
	{
		sqlite3 *db = tu_db_open(cfg.store);
		snprintf(first, sizeof first, "%s",
		         tu_q(db, "SELECT household FROM conv WHERE phone='%s'", P));
		sqlite3_close(db);
	}
	CHECK(strcmp(first, "H1") == 0 || strcmp(first, "H2") == 0);

	/* ---- H3's second number answers: not A's question ---- */
	t += 60;
	gwt_inject(m0, "+8613800000004", "1");
	gwt_round(g, t);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H3'", NULL), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613800000004' AND"
	             " state='late' AND household='H3'", NULL),
	          1);
	CHECK_INT(replied("H3"), 1);
	t += 60;
	gwt_inject(m0, "+8613800000003", "1");
	gwt_round(g, t);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H3'", NULL), 1);

	/* ---- P answers its conversation to the end ---- */
	for (i = 0; i < 12 && q1("SELECT COUNT(*) FROM conv WHERE phone=?1 AND"
	                         " status='asking'", P) == 1;
	     i++) {
		t += 60;
		gwt_inject(m0, P, "1");
		gwt_round(g, t);
	}
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM conv WHERE phone=?1 AND status='done' AND"
	         " household='%s'", first);
	CHECK_INT(q1(sql, P), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone=?1 AND state='done'"
	             " AND household IS NOT NULL", P),
	          i);
	CHECK(i >= 5);
	CHECK_INT(replied(first), i);

	/* ---- nothing open on P: its next message is nobody's ---- */
	t += 600;
	gwt_inject(m0, P, "2");
	gwt_round(g, t);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone=?1 AND state='ambiguous'"
	             " AND household IS NULL", P),
	          1);
	CHECK_INT(replied("H1") + replied("H2"), i); /* none credited */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv", NULL), 2); /* the gap */

	/* ---- after campaign_gap the other household's turn on P ---- */
	gwt_round(g, t + DAY);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE phone=?1 AND status='asking'", P), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv", NULL), 3);
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM conv WHERE phone=?1 AND status='asking' AND"
	         " household<>'%s'", first);
	CHECK_INT(q1(sql, P), 1);

	gw_close(g);
	return check_done();
}
