/*
 * test_limiter.c -- the login limiter of central/dashboard.c: its 256
 * slots never stop counting.
 *
 * Every expectation follows from the rules (5 failures block for 300 s,
 * the first block of a key; a full table reuses the slot with the oldest
 * first failure that is not blocked, and when every slot is blocked the
 * one whose block ends first), worked out on a clock the test sets:
 *
 * - 256 addresses fail 5 times each, address i at second 1000 + i, so
 *   address i is blocked until 1300 + i.  At second 1200 every slot is
 *   blocked.  A 257th address then fails 5 times: it takes the slot of
 *   address 0 (block ending first, at 1300), and its 5th failure blocks
 *   it for 300 s.  Address 0 is forgotten (0 s left); address 1 still
 *   has 1301 - 1200 = 101 s.  Before eviction the 257th address found no
 *   slot and was never blocked: ct_login_note returned 0.
 * - A table full of unblocked keys (one failure each, key i at second
 *   5000 + i): a new key takes the slot of key 0 (the oldest first
 *   failure), so key 1 keeps its count (4 more failures block it) and
 *   key 0 starts again (4 more do not).
 */
#include <pthread.h>
#include <string.h>

#include "central.h"
#include "check.h"

static struct ct_server srv;

static void key_of(int i, char out[32])
{
	snprintf(out, 32, "a:10.0.%d.%d", i / 256, i % 256);
}

static long long fail_n(const char *key, int n, long long now)
{
	long long left = 0;
	for (int k = 0; k < n; k++)
		left = ct_login_note(&srv, key, 0, now);
	return left;
}

int main(void)
{
	char key[32];
	long long left;

	pthread_mutex_init(&srv.login_mu, NULL);

	/* every slot blocked: the block ending first is reused */
	for (int i = 0; i < 256; i++) {
		key_of(i, key);
		CHECK(fail_n(key, 5, 1000 + i) == 300);
	}
	key_of(255, key);
	CHECK(ct_login_blocked(&srv, key, 1200) == 1555 - 1200);
	CHECK(fail_n("a:192.0.2.1", 4, 1200) == 0);
	left = ct_login_note(&srv, "a:192.0.2.1", 0, 1200);
	CHECK(left == 300);
	CHECK(ct_login_blocked(&srv, "a:192.0.2.1", 1200) == 300);
	key_of(0, key);
	CHECK(ct_login_blocked(&srv, key, 1200) == 0);
	key_of(1, key);
	CHECK(ct_login_blocked(&srv, key, 1200) == 101);

	/* every slot counting, none blocked: the oldest first failure goes */
	memset(srv.login_fail, 0, sizeof srv.login_fail);
	for (int i = 0; i < 256; i++) {
		key_of(i, key);
		CHECK(fail_n(key, 1, 5000 + i) == 0);
	}
	CHECK(fail_n("a:192.0.2.2", 1, 5300) == 0);
	key_of(1, key);
	CHECK(fail_n(key, 4, 5300) == 300);
	key_of(0, key);
	CHECK(fail_n(key, 4, 5300) == 0);
	CHECK(ct_login_blocked(&srv, key, 5300) == 0);

	if (check_failures)
		fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
	return check_failures != 0;
}
