/*
 * login_limit.c -- the dashboard's login limiter, its state in the store
 * (table login_limits, schema v14): two central processes on one store
 * (behind the bundled nginx site) count the same failures, so guessing a
 * password through both is no faster than through one (issue 19).
 *
 * One row per key ("a:ADDR", "u:NAME"), through the statement layer
 * (db.h), so on SQLite and PostgreSQL alike.  A failure reads and writes
 * its row in one write transaction holding the key's lock
 * (AX_SQL_LOCK_KEY: PostgreSQL runs transactions side by side), so
 * failures noted at once by several processes all count.  A row can no longer matter once its window and a
 * window after its block have passed (stale_at): then the next failure of
 * any key deletes it, through the stale_at index, and the table holds only
 * the keys of the last quarter of an hour or so.  Each failure costs one
 * small write transaction; a failed login already costs an Argon2 hash.
 */
#include <string.h>

#include "anxin/auth.h"
#include "anxin_int.h"
#include "db.h"

/* Step a prepared statement: its one row's first column into *v when
 * v is not NULL (left alone when there is no row); finalized. */
static ax_rc step_one(ax_store *st, ax_stmt *s, long long *v)
{
	int src = ax_stmt_step(s);
	ax_rc rc = AX_OK;

	if (src == AX_DB_ROW && v)
		*v = ax_stmt_int64(s, 0);
	else if (src != AX_DB_ROW && src != AX_DB_DONE)
		rc = ax__store_dberr(st, "login_limits");
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_login_blocked(ax_store *st, const char *key, long long now,
                       long long *left)
{
	long long until = 0;
	ax_stmt *s;
	ax_rc rc;

	*left = 0;
	if ((rc = ax__dprepare(st, &s, "SELECT blocked_until FROM login_limits "
	                               "WHERE key = ?")))
		return rc;
	ax_stmt_bind_text(s, 1, key);
	if ((rc = step_one(st, s, &until)))
		return rc;
	if (until > now)
		*left = until - now;
	return AX_OK;
}

struct fails {
	long long fails, blocks, first, blocked_until;
};

/* The key's row (zeros, first = now, when it has none). */
static ax_rc read_row(ax_store *st, const char *key, long long now,
                      struct fails *f)
{
	ax_stmt *s;
	int src;
	ax_rc rc;

	memset(f, 0, sizeof *f);
	f->first = now;
	if ((rc = ax__dprepare(st, &s,
	                       "SELECT fails, blocks, first, blocked_until FROM "
	                       "login_limits WHERE key = ?")))
		return rc;
	ax_stmt_bind_text(s, 1, key);
	src = ax_stmt_step(s);
	if (src == AX_DB_ROW) {
		f->fails = ax_stmt_int64(s, 0);
		f->blocks = ax_stmt_int64(s, 1);
		f->first = ax_stmt_int64(s, 2);
		f->blocked_until = ax_stmt_int64(s, 3);
	}
	rc = src == AX_DB_ROW || src == AX_DB_DONE
	         ? AX_OK
	         : ax__store_dberr(st, "login_limits");
	ax_stmt_finalize(s);
	return rc;
}

/* One more failure on f; the seconds it now blocks for (0: none). */
static long long count_failure(struct fails *f, long long now)
{
	long long left = 0;

	if (now - f->first > AX_LOGIN_WINDOW && f->blocked_until <= now) {
		/* the window passed: its failures are forgotten, and a block
		 * that ended a window ago no longer doubles the next */
		f->fails = 0;
		f->first = now;
		if (now - f->blocked_until > AX_LOGIN_WINDOW)
			f->blocks = 0;
	}
	if (++f->fails >= AX_LOGIN_MAX_FAILS) {
		left = (long long)AX_LOGIN_BLOCK << (f->blocks < 4 ? f->blocks : 4);
		if (left > AX_LOGIN_BLOCK_MAX)
			left = AX_LOGIN_BLOCK_MAX;
		f->blocked_until = now + left;
		f->blocks++;
		f->fails = 0;
		f->first = now;
	}
	return left;
}

static ax_rc write_row(ax_store *st, const char *key, const struct fails *f)
{
	long long last = f->first > f->blocked_until ? f->first : f->blocked_until;
	ax_stmt *s;
	ax_rc rc;

	if ((rc = ax__dprepare(st, &s,
	                       "INSERT INTO login_limits(key, fails, blocks, first,"
	                       " blocked_until, stale_at) VALUES(?, ?, ?, ?, ?, ?)"
	                       " ON CONFLICT(key) DO UPDATE SET fails ="
	                       " excluded.fails, blocks = excluded.blocks, first ="
	                       " excluded.first, blocked_until ="
	                       " excluded.blocked_until, stale_at = excluded.stale_at")))
		return rc;
	ax_stmt_bind_text(s, 1, key);
	ax_stmt_bind_int64(s, 2, f->fails);
	ax_stmt_bind_int64(s, 3, f->blocks);
	ax_stmt_bind_int64(s, 4, f->first);
	ax_stmt_bind_int64(s, 5, f->blocked_until);
	ax_stmt_bind_int64(s, 6, last + AX_LOGIN_WINDOW);
	return step_one(st, s, NULL);
}

/* Run `sql` with ? bound to text t, or to the integer n when t is NULL. */
static ax_rc exec_one(ax_store *st, const char *sql, const char *t,
                      long long n)
{
	ax_stmt *s;
	ax_rc rc;

	if ((rc = ax__dprepare(st, &s, sql)))
		return rc;
	if (t)
		ax_stmt_bind_text(s, 1, t);
	else
		ax_stmt_bind_int64(s, 1, n);
	return step_one(st, s, NULL);
}

ax_rc ax_login_note(ax_store *st, const char *key, int ok, long long now,
                    long long *left)
{
	const char *lock = ax_db_sql(ax__store_dbl(st), AX_SQL_LOCK_KEY);
	char lkey[128];
	struct fails f;
	ax_rc rc;

	*left = 0;
	snprintf(lkey, sizeof lkey, "login:%s", key);
	if ((rc = ax_store_begin(st)))
		return rc;
	if ((rc = exec_one(st, lock, lkey, 0)))
		goto done;
	if (ok) {
		rc = exec_one(st, "DELETE FROM login_limits WHERE key = ?", key, 0);
	} else if (!(rc = read_row(st, key, now, &f))) {
		*left = count_failure(&f, now);
		if (!(rc = write_row(st, key, &f)))
			rc = exec_one(st, "DELETE FROM login_limits WHERE stale_at < ?",
			              NULL, now);
	}
done:
	if (!rc)
		rc = ax_store_commit(st);
	if (rc) {
		*left = 0;
		ax_store_rollback(st);
	}
	return rc;
}
