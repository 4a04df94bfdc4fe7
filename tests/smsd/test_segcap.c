/*
 * test_segcap -- the per-SIM daily cap counts SMS segments, as operators
 * do, through libgammu's dummy driver: with a cap of 3, a 100-character
 * Chinese message (2 segments of UCS-2) and a short one (1) go; a second
 * long one (2 more: 4 > 3) waits for the next day, and goes then.
 * Before, the cap counted messages: all three went, 5 segments.  Also
 * gw__segments' own limits, worked out from the GSM rules by hand.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "gw_int.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H9,439901101000,439901101202,439901101202001,13800000009,2\n";

#define T0 1772416800LL /* 2026-03-02 10:00 China time */

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300], camp[64];

static void queue_text(sqlite3 *db, const char *phone, const char *text)
{
	char *sql = sqlite3_mprintf(
	    "INSERT INTO queue(phone, household, kind, text, created_at, quiet_start,"
	    " quiet_end, pace, cap, prio) VALUES(%Q, NULL, 'digest', %Q, %lld, 0, 0,"
	    " 60, 3, 3)",
	    phone, text, T0);
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK)
		fprintf(stderr, "sql: %s\n", e ? e : "?");
	sqlite3_free(sql);
	sqlite3_free(e);
}

int main(void)
{
	char long_text[400] = "", ascii[200];
	sqlite3 *db;
	int i;

	/* by hand: UCS-2 holds 70 in one segment, 67 a part; GSM-7 160, 153 */
	for (i = 0; i < 100; i++)
		strcat(long_text, "安");
	CHECK_INT(gw__segments(long_text), 2); /* 100 > 70; 100 <= 134 */
	CHECK_INT(gw__segments("您好"), 1);
	memset(ascii, 'a', 160);
	ascii[160] = '\0';
	CHECK_INT(gw__segments(ascii), 1);
	ascii[160] = 'a';
	ascii[161] = '\0';
	CHECK_INT(gw__segments(ascii), 2);

	/* its campaign starts in nine days: nothing of it in the queue */
	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1, "439901101202",
	              T0 + 10 * 86400, camp, "pace_burst = 60\n");
	REQUIRE(sqlite3_open(cfg.store, &db) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	queue_text(db, "+8613800000001", long_text);
	queue_text(db, "+8613800000002", long_text);
	queue_text(db, "+8613800000003", "您好，这是一条短消息。");
	sqlite3_close(db);

	gwt_round(g, T0);
	gwt_round(g, T0 + 60);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE state='sent'", NULL), 2);
	CHECK_INT(gwt_q1(cfg.store, "SELECT SUM(parts) FROM queue WHERE state='sent'", NULL), 3);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE state='pending' AND"
	                            " phone='+8613800000002'", NULL),
	          1);
	/* the next day (China time): it goes */
	gwt_round(g, T0 + 86400);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM queue WHERE state='sent'", NULL), 3);
	gw_close(g);
	return check_done();
}
