/*
 * test_parts -- the part timeout of a multipart reply runs across
 * anxin-smsd --once runs (each a new process: a new gateway here), through
 * libgammu's dummy driver:
 *
 *   part 1 of 2 from H1 is read at 10:00 by one run and kept waiting; a
 *   run at 10:05 still waits; a run at 10:10:01 (part_timeout 600 s after
 *   the part was first read) hands it over as a one-part message and
 *   deletes it from the modem.  Before, the wait lived in the process:
 *   every --once run saw the part for the first time and it never came.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,2\n";

#define T0 1772416800LL /* 2026-03-02 10:00 China time */

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300], camp[64];

/* one anxin-smsd --once at t: a gateway opened, a step, a modem cycle, a
 * step, closed */
static void once_at(long long t)
{
	char err[256];
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
	gwt_now = t;
	gw_step(g);
	gw_modem_cycle(g, 0);
	gw_step(g);
	gw_close(g);
}

int main(void)
{
	unsigned short u[64];
	int n;

	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1, "439901101201", T0,
	              camp, "");
	gw_modem_cycle(g, 0); /* the driver makes its folders */
	gw_close(g);
	n = gwt_ucs2("我觉得治安还可以，就是晚上路灯", u, 64);
	gwt_write_part(m0, "+8613800000001", "20260302T095959", u, n, 7, 2, 1);

	once_at(T0);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM inbox", NULL), 0);
	CHECK_INT(gwt_q1(cfg.store, "SELECT first_seen FROM parts_waiting", NULL), T0);
	once_at(T0 + 300);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM inbox", NULL), 0);
	CHECK_INT(gwt_q1(cfg.store, "SELECT first_seen FROM parts_waiting", NULL), T0);
	once_at(T0 + 601);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM inbox WHERE parts=1 AND"
	                            " phone='+8613800000001'", NULL),
	          1);
	CHECK_INT(gwt_q1(cfg.store, "SELECT COUNT(*) FROM parts_waiting", NULL), 0);
	CHECK_INT(gwt_next_location(m0), 1); /* deleted from the modem */
	return check_done();
}
