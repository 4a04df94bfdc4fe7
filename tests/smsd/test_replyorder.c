/*
 * test_replyorder -- replies tied to what was sent, through libgammu's
 * dummy driver, one modem, a fixed clock moved by hand:
 *
 *   H1 answers q1 ("1"); before q2 goes out it sends "1" again and
 *   "怎么没有下一题？" (read in the cycle that then sends q2).  Neither is
 *   the answer to q2, which H1 had not seen: both are kept (inbox state
 *   early, campaign A) and counted as replies, q2 stays open, no attempt
 *   is used up and nothing is re-asked.  H1's next reply answers q2.
 *   Before: the resent "1" became q2 = 1 and the question mark used up
 *   an attempt on q3, which was re-asked.
 *
 *   A is closed with H2 never having answered; campaign B over the same
 *   village starts for H2 only after campaign_gap (12 h by default), and
 *   H2's "2" to A's q1, read before B's intro went out, is kept for A
 *   (state late, campaign A), not taken as B's q1.
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
static char m0[300], camp_a[64], camp_b[64];

static long long q1(const char *sql, const char *a)
{
	return gwt_q1(cfg.store, sql, a);
}

static void step(void)
{
	if (gw_step(g) != AX_OK)
		fprintf(stderr, "step: %s\n", gw_errmsg(g));
}

static void cycle(void)
{
	if (gw_modem_cycle(g, 0) != AX_OK)
		fprintf(stderr, "cycle: %s\n", gw_errmsg(g));
}

static void setup(void)
{
	char err[256];

	tu_init();
	snprintf(m0, sizeof m0, "%s", tu_path("m0"));
	mkdir(m0, 0755);
	ax_store_close(gwt_store(roster_csv, sizeof roster_csv - 1));
	gwt_survey_campaign("满意度测评（一）", "439901101201", T0 - DAY,
	                    T0 + 30 * DAY, 60, camp_a);
	gwt_config(&cfg, m0, "pace_burst = 60\n");
	CHECK_INT(cfg.campaign_gap, 43200); /* the shipped default */
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
}

int main(void)
{
	const char *p1 = "+8613800000001", *p2 = "+8613800000002";
	int i;

	setup();
	gwt_now = T0;
	for (i = 0; i < 3; i++) {
		step();
		cycle();
	}
	step();
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='sent' AND campaign=?1",
	             camp_a),
	          4); /* intro and q1 to each */

	/* ---- H1: q1 answered; "1" again and a question before q2 went ---- */
	gwt_now = T0 + 60;
	gwt_inject(m0, p1, "1");
	cycle(); /* read; nothing to send yet */
	step();  /* q2 queued */
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H1'", NULL), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H1' AND"
	             " state='pending'", NULL),
	          1);
	gwt_inject(m0, p1, "1");
	gwt_inject(m0, p1, "怎么没有下一题？");
	gwt_now = T0 + 90;
	cycle(); /* reads both, then sends q2 */
	step();
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H1' AND"
	             " state='sent' AND sent_at=?1", "1772416890"),
	          1);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H1'", NULL), 1);
	CHECK_INT(q1("SELECT attempts FROM conv WHERE household='H1'", NULL), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613800000001' AND"
	             " state='early' AND campaign=?1", camp_a),
	          2);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H1'", NULL),
	          3); /* intro, q1, q2: nothing re-asked */
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE"
	             " '%\"kind\":\"sms_replied\"%' AND body LIKE '%\"H1\"%'", NULL),
	          3); /* every reply is a reply */
	gwt_now = T0 + 150;
	gwt_inject(m0, p1, "2");
	cycle();
	step();
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H1'", NULL), 2);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613800000001' AND"
	             " state='done'", NULL),
	          2);

	/* ---- A closed; B waits campaign_gap; H2's late "2" is A's ---- */
	{
		ax_store *st;
		char err[256];
		REQUIRE(ax_store_open(tu_path("anxin.db"), 0, &st, err, sizeof err) ==
		        AX_OK);
		REQUIRE(ax_campaign_close(st, camp_a) == AX_OK);
		ax_store_close(st);
	}
	gwt_survey_campaign("满意度测评（二）", "439901101201", T0, T0 + 30 * DAY, 60,
	                    camp_b);
	gwt_now = T0 + 600; /* past the next load (five minutes) */
	step();
	cycle();
	step();
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE campaign=?1 AND status='closed'",
	             camp_a),
	          2);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE campaign=?1", camp_b), 0);
	gwt_now = T0 + 600 + 43200 - 60; /* a minute short of the gap */
	step();
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE campaign=?1", camp_b), 0);
	gwt_now = T0 + DAY;
	step(); /* B starts: intros queued, none sent */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE campaign=?1", camp_b), 2);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE campaign=?1 AND state='sent'",
	             camp_b),
	          0);
	gwt_inject(m0, p2, "2");
	cycle(); /* reads it, then sends B's intros */
	step();
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE campaign=?1 AND"
	             " household='H2' AND state='sent'", camp_b),
	          2);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613800000002' AND"
	             " state='late' AND campaign=?1", camp_a),
	          1);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H2' AND campaign=?1",
	             camp_b),
	          0);
	CHECK_INT(q1("SELECT attempts FROM conv WHERE household='H2' AND campaign=?1",
	             camp_b),
	          0);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H2' AND campaign=?1"
	             " AND answers GLOB '0*'", camp_b),
	          1); /* no answer to B's q1 */

	gw_close(g);
	return check_done();
}
