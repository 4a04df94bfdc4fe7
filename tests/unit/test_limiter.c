/*
 * test_limiter.c -- the login limiter (survey/src/login_limit.c), its
 * state in the store: two handles on one file stand for two central
 * processes on one store (issue 19).
 *
 * Every expectation follows from the rules (5 failures within 900 s block
 * for 300 s, doubled for each block in a row up to 3600 s; a block that
 * ended more than 900 s ago starts again at 300 s; a success clears the
 * key), worked out on a clock the test sets:
 *
 * - u:grid1 fails at 1000..1003, alternately through the two handles: not
 *   blocked; the 5th failure, at 1004 through the second, blocks for 300
 *   s, and the first handle sees it (300 left at 1004, 1 at 1303, 0 at
 *   1304).  Per process, as before, each would have counted 2 or 3.
 * - Blocks in a row double: 5 more failures at 1304 (the window opened
 *   at 1004 is still open) block for 600 s; 5 at 1904 (the block ended
 *   at 1904) for 1200; 5 at 3104: the window opened at 1904 has passed,
 *   so its count starts again, but the block ended 0 s ago: 2400; 5 at
 *   5504: 4800, capped at 3600, until 9104.  5 at 10005, 901 s after
 *   that block ended: 300 again.
 * - A success clears: a:10.0.0.1 fails 4 times at 2000, logs in at 2001,
 *   fails 4 times at 2002: not blocked; a 5th blocks it for 300.
 * - No key is forgotten while it matters: 300 addresses (the old
 *   per-process table had 256 slots and reused the one whose block ended
 *   first) each fail 5 times, address i at 1000 + i, so it is blocked
 *   until 1300 + i.  At 1200 address 0 still has 100 s, address 299 has
 *   399.  Each row can matter until 900 s after its block ends (2200 +
 *   i); a failure at 2500 drops all 300.
 */
#include "anxin/auth.h"
#include "check.h"
#include "testutil.h"

static ax_store *one, *two;

static long long fail_n(ax_store *st, const char *key, int n, long long now)
{
	long long left = 0;
	for (int k = 0; k < n; k++)
		CHECK_INT(ax_login_note(st, key, 0, now, &left), AX_OK);
	return left;
}

static long long blocked(ax_store *st, const char *key, long long now)
{
	long long left = -1;
	CHECK_INT(ax_login_blocked(st, key, now, &left), AX_OK);
	return left;
}

static void key_of(int i, char out[32])
{
	snprintf(out, 32, "a:10.9.%d.%d", i / 256, i % 256);
}

int main(void)
{
	char key[32];
	long long left;
	sqlite3 *db;

	tu_init();
	REQUIRE(ax_store_open(tu_path("c.db"), AX_STORE_CREATE, &one, NULL, 0) ==
	        AX_OK);
	REQUIRE(ax_store_open(tu_path("c.db"), 0, &two, NULL, 0) == AX_OK);

	/* two processes count one key's failures together */
	for (int k = 0; k < 4; k++)
		CHECK(fail_n(k % 2 ? two : one, "u:grid1", 1, 1000 + k) == 0);
	CHECK(blocked(one, "u:grid1", 1003) == 0);
	CHECK(fail_n(two, "u:grid1", 1, 1004) == 300);
	CHECK(blocked(one, "u:grid1", 1004) == 300);
	CHECK(blocked(one, "u:grid1", 1303) == 1);
	CHECK(blocked(two, "u:grid1", 1304) == 0);

	/* blocks in a row double, up to an hour; a quiet window resets */
	CHECK(fail_n(one, "u:grid1", 4, 1304) == 0);
	CHECK(fail_n(two, "u:grid1", 1, 1304) == 600);
	CHECK(fail_n(one, "u:grid1", 5, 1904) == 1200);
	CHECK(fail_n(two, "u:grid1", 5, 3104) == 2400);
	CHECK(fail_n(one, "u:grid1", 5, 5504) == 3600);
	CHECK(blocked(two, "u:grid1", 9103) == 1);
	CHECK(fail_n(two, "u:grid1", 5, 10005) == 300);

	/* a success clears the key */
	CHECK(fail_n(one, "a:10.0.0.1", 4, 2000) == 0);
	CHECK_INT(ax_login_note(two, "a:10.0.0.1", 1, 2001, &left), AX_OK);
	CHECK(left == 0);
	CHECK(fail_n(one, "a:10.0.0.1", 4, 2002) == 0);
	CHECK(blocked(two, "a:10.0.0.1", 2002) == 0);
	CHECK(fail_n(two, "a:10.0.0.1", 1, 2002) == 300);

	/* 300 keys blocked: none forgotten while it matters */
	for (int i = 0; i < 300; i++) {
		key_of(i, key);
		CHECK(fail_n(i % 2 ? one : two, key, 5, 1000 + i) == 300);
	}
	key_of(0, key);
	CHECK(blocked(one, key, 1200) == 100);
	key_of(299, key);
	CHECK(blocked(two, key, 1200) == 399);
	db = tu_db_open(tu_path("c.db"));
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM login_limits WHERE key LIKE "
	                    "'a:10.9.%%'"),
	          300);
	CHECK(fail_n(one, "a:192.0.2.1", 1, 2500) == 0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM login_limits WHERE key LIKE "
	                    "'a:10.9.%%'"),
	          0);
	sqlite3_close(db);

	ax_store_close(one);
	ax_store_close(two);
	if (check_failures)
		fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
	tu_cleanup();
	return check_failures != 0;
}
