/*
 * test_txnguard -- a transaction left open on a gateway connection (a
 * COMMIT that failed and was never rolled back: gw__start_conversations,
 * gw__tick_conversations, record_send and others return on a failed
 * COMMIT without a ROLLBACK) must not hold back every later write: the
 * next pass logs it, rolls it back and goes on.
 *
 * Before the guard: every BEGIN IMMEDIATE of the main connection failed
 * ("cannot start a transaction within a transaction"), gw_step returned
 * an error pass after pass, nothing was started or sent, and what the
 * open transaction held was lost at the next kill.  Here the main
 * connection and the modem's are each left inside a transaction that
 * wrote one row; then one step and one modem cycle: both transactions
 * rolled back (the rows are not in the store), the two households'
 * conversations started and their intros and first questions sent (4
 * rows, worked out from the satisfaction survey: an intro and q1 each).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "gw_int.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101201,439901101201001,13800000002,2\n";

#define T0 1772416800LL /* 2026-03-02 10:00 China time */

int main(void)
{
	struct gw_config cfg;
	gw_gateway *g;
	char m0[300], camp[64], db[600];

	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1,
	              "439901101201", T0, camp, "pace_burst = 60\n");
	snprintf(db, sizeof db, "%s", tu_path("anxin.db"));
	/* left open, each after a write */
	REQUIRE(gw__exec(g->db, "BEGIN IMMEDIATE; INSERT INTO optout(phone, at,"
	                        " source) VALUES('+8613900000001', 1, 'leak-main')") == 0);
	CHECK_INT(sqlite3_get_autocommit(g->db), 0);
	gwt_now = T0;
	CHECK_INT(gw_step(g), AX_OK);
	CHECK_INT(sqlite3_get_autocommit(g->db), 1);
	CHECK_INT(gwt_q1(db, "SELECT COUNT(*) FROM optout WHERE source='leak-main'", NULL), 0);
	CHECK_INT(gwt_q1(db, "SELECT COUNT(*) FROM conv WHERE status='asking'", NULL), 2);
	CHECK_INT(gwt_q1(db, "SELECT COUNT(*) FROM queue WHERE state='pending'", NULL), 4);

	REQUIRE(gw__exec(g->slots[0].db, "BEGIN IMMEDIATE; INSERT INTO optout(phone,"
	                                 " at, source) VALUES('+8613900000002', 1,"
	                                 " 'leak-modem')") == 0);
	gw_modem_cycle(g, 0);
	CHECK_INT(sqlite3_get_autocommit(g->slots[0].db), 1);
	CHECK_INT(gwt_q1(db, "SELECT COUNT(*) FROM optout WHERE source='leak-modem'", NULL), 0);
	CHECK_INT(gwt_q1(db, "SELECT COUNT(*) FROM queue WHERE state='sent'", NULL), 4);
	CHECK_INT(gwt_q1(db, "SELECT COUNT(*) FROM queue WHERE state='sent' AND kind='intro'", NULL), 2);
	gw_close(g);
	tu_cleanup();
	return check_done();
}
