/*
 * test_optout.c -- a number's opt-out state is its latest event by time,
 * then by arrival (optout_events.seq, schema v17 / PostgreSQL migration 7),
 * and the roster slice a gateway gets with them, on either backend: run
 * as unit.optout (SQLite) and pg.optout (argv[1]: the `pg` fixture's URL
 * file, the county copied there first).
 *
 * Roster: H1 (石桥镇 grid 439901101201001) 13800138001, H2 (盘古乡 grid
 * 439901102201001) 13800138002, H3 (石桥镇) 13800138003.  Events, in the
 * order they arrive, T = 2026-11-20 10:00:00 +08:00:
 *   1  H1's number  optout   T        (gateway)
 *   2  H1's number  restore  T        the same second, arrived after 1
 *   3  H2's number  restore  T+60
 *   4  H2's number  optout   T+30     arrived after 3, but earlier in time
 *   5  H3's number  optout   T+10
 * By hand: latest of 13800138001 = event 2 (restore: a tie in time goes to
 * the later arrival), of 13800138002 = event 3 (restore, T+60), of
 * 13800138003 = event 5 (optout).  Newest first: 002 (T+60), 003 (T+10),
 * 001 (T).  Opted out now: 003 only; in 盘古乡 (439901102000): 002 only.
 * Then staff restore 003 (now, by "staff1"): nobody is opted out, and 003
 * leads the list, restored by staff1.  Restoring 001 again is AX_NOTFOUND
 * (it is not opted out).
 *
 * 石桥镇's slice (before the staff restore), by hand: H1, H3, H4 in id
 * order, H4's phones in the roster's order (not by number), and the
 * opt-outs of its numbers newest first: 003 out at T+10, 001 restored at
 * T; H2's number is 盘古乡's.  A village's slice holds the same.
 *
 * The migration (SQLite only): a v16 file whose two events for one number
 * share their second and whose ids sort against their arrival keeps the
 * arrival order through v17 (seq = rowid): the later arrival wins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/optout.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "check.h"
#include "testutil.h"
#include "../pg/pgtest.h"

#define T 1795140000LL /* 2026-11-20T10:00:00+08:00 */

static void event(ax_store *st, const char *id, const char *phone,
                  int restore, long long at)
{
	struct ax_rec_outcome out;
	char *line = ax_optout_record(id, phone, restore, "gw1", NULL, "reply", at);
	REQUIRE(line);
	CHECK_INT(ax__import_one(st, line, "test", &out), AX_OK);
	CHECK_INT(out.result, AX_REC_ACCEPTED);
	if (out.result != AX_REC_ACCEPTED)
		fprintf(stderr, "%s: %s\n", id, out.reason);
	free(line);
}

static void migration(void)
{
	ax_store *st;
	struct ax_optout *v;
	int n;
	const char *roster = "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
	                     "M1,439901101000,439901101201,439901101201001,13900139001,2\n";

	REQUIRE(ax__store_open_at(tu_path("old.db"), AX_STORE_CREATE, 16, &st,
	                          NULL, 0) == AX_OK);
	CHECK_INT(ax_store_schema_version(st), 16);
	REQUIRE(ax_roster_import_mem(st, "m.csv", roster, strlen(roster), NULL,
	                             NULL, NULL, NULL) == AX_OK);
	/* the restore arrives second; its id sorts first */
	REQUIRE(ax__exec(st, "INSERT INTO optout_events(id, phone, action, device,"
	                     " at, body, received_at) VALUES('ffffffff-0000-4000-8000-"
	                     "000000000001', '+8613900139001', 'optout', 'gw1', 1000,"
	                     " '{}', 1000);"
	                     "INSERT INTO optout_events(id, phone, action, device,"
	                     " at, body, received_at) VALUES('00000000-0000-4000-8000-"
	                     "000000000002', '+8613900139001', 'restore', 'gw1', 1000,"
	                     " '{}', 1000)") == AX_OK);
	ax_store_close(st);
	REQUIRE(ax_store_open(tu_path("old.db"), 0, &st, NULL, 0) == AX_OK);
	CHECK_INT(ax_store_schema_version(st), AX_SCHEMA_VERSION);
	REQUIRE(ax_optout_list(st, NULL, 1, 0, &v, &n) == AX_OK);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_INT(v[0].restored, 1);
	free(v);
	ax_store_close(st);
}

int main(int argc, char **argv)
{
	const char *roster = "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
	                     "H1,439901101000,439901101201,439901101201001,13800138001,2\n"
	                     "H2,439901102000,439901102201,439901102201001,13800138002,2\n"
	                     "H3,439901101000,439901101201,439901101201002,13800138003,2\n"
	                     "H4,439901101000,439901101201,439901101201002,13900139004;13800138004,3\n";
	const char *urlfile = argc > 1 ? argv[1] : NULL;
	ax_store *seed, *st;
	struct ax_optout *v;
	char id[37];
	int n;

	tu_init();
	REQUIRE(ax_store_open(tu_path("c.db"), AX_STORE_CREATE, &seed, NULL, 0) == AX_OK);
	REQUIRE(ax_roster_import_mem(seed, "r.csv", roster, strlen(roster), NULL,
	                             NULL, NULL, NULL) == AX_OK);
	st = pgt_store(seed, urlfile, "anxin_optout");

	event(st, "00000000-0000-4000-8000-0000000000e1", "+8613800138001", 0, T);
	event(st, "00000000-0000-4000-8000-0000000000e2", "+8613800138001", 1, T);
	event(st, "00000000-0000-4000-8000-0000000000e3", "+8613800138002", 1, T + 60);
	event(st, "00000000-0000-4000-8000-0000000000e4", "+8613800138002", 0, T + 30);
	event(st, "00000000-0000-4000-8000-0000000000e5", "+8613800138003", 0, T + 10);

	/* every number's latest event, newest first */
	REQUIRE(ax_optout_list(st, NULL, 1, 0, &v, &n) == AX_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(v[0].phone, "+8613800138002");
		CHECK_INT(v[0].restored, 1);
		CHECK_INT(v[0].at, T + 60);
		CHECK_STR(v[0].household, "H2");
		CHECK_STR(v[1].phone, "+8613800138003");
		CHECK_INT(v[1].restored, 0);
		CHECK_STR(v[1].grid, "439901101201002");
		CHECK_STR(v[2].phone, "+8613800138001");
		CHECK_INT(v[2].restored, 1); /* the same second: the later arrival */
		CHECK_STR(v[2].device, "gw1");
	}
	free(v);
	/* opted out now */
	REQUIRE(ax_optout_list(st, NULL, 0, 0, &v, &n) == AX_OK);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(v[0].phone, "+8613800138003");
	free(v);
	/* a township's, with restores */
	REQUIRE(ax_optout_list(st, "439901102000", 1, 0, &v, &n) == AX_OK);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(v[0].phone, "+8613800138002");
	free(v);
	/* the gateway's roster slice */
	{
		static const char want[] =
		    "{\"scope\":\"439901101000\",\"households\":["
		    "{\"id\":\"H1\",\"grid\":\"439901101201001\",\"members\":2,"
		    "\"active\":true,\"phones\":[\"+8613800138001\"]},"
		    "{\"id\":\"H3\",\"grid\":\"439901101201002\",\"members\":2,"
		    "\"active\":true,\"phones\":[\"+8613800138003\"]},"
		    "{\"id\":\"H4\",\"grid\":\"439901101201002\",\"members\":3,"
		    "\"active\":true,\"phones\":[\"+8613900139004\",\"+8613800138004\"]}],"
		    "\"optouts\":[{\"phone\":\"+8613800138003\",\"at\":1795140010,"
		    "\"out\":true},{\"phone\":\"+8613800138001\",\"at\":1795140000,"
		    "\"out\":false}]}";
		char *slice = ax_roster_slice_json(st, "439901101000");
		char fp[160];
		CHECK_STR(slice ? slice : "(null)", want);
		free(slice);
		slice = ax_roster_slice_json(st, "439901101201");
		CHECK(slice && strstr(slice, "\"households\":[{\"id\":\"H1\"") &&
		      strstr(slice, "\"id\":\"H4\"") && !strstr(slice, "\"H2\""));
		free(slice);
		/* the fingerprint: scope, households, latest update, active,
		 * phones, all opt-out events */
		CHECK_INT(ax_roster_fingerprint(st, "439901101000", fp), AX_OK);
		CHECK(strncmp(fp, "439901101000:3:", 15) == 0);
		CHECK(strlen(fp) > 6 && strcmp(fp + strlen(fp) - 6, ":3:4:5") == 0);
	}
	/* at most 2 */
	REQUIRE(ax_optout_list(st, NULL, 1, 2, &v, &n) == AX_OK);
	CHECK_INT(n, 2);
	free(v);

	/* staff restore */
	CHECK_INT(ax_optout_restore(st, "+8613800138001", "staff1", id), AX_NOTFOUND);
	CHECK_INT(ax_optout_restore(st, "+8613800138003", "staff1", id), AX_OK);
	CHECK_INT((int)strlen(id), 36);
	REQUIRE(ax_optout_list(st, NULL, 0, 0, &v, &n) == AX_OK);
	CHECK_INT(n, 0);
	free(v);
	REQUIRE(ax_optout_list(st, NULL, 1, 0, &v, &n) == AX_OK);
	CHECK_INT(n, 3);
	if (n == 3) {
		CHECK_STR(v[0].phone, "+8613800138003");
		CHECK_INT(v[0].restored, 1);
		CHECK_STR(v[0].by, "staff1");
		CHECK_STR(v[0].device, "dashboard");
	}
	free(v);

	if (st != seed)
		ax_store_close(st);
	ax_store_close(seed);
	if (!urlfile)
		migration();
	return check_done();
}
