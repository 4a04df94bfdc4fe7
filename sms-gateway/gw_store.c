/*
 * gw_store.c -- the gateway's tables in the libanxin store file, its
 * connections (each the store's own, ax_store_sqlite) and statement cache,
 * and the small helpers every other gw_*.c uses (errors, clock, UUIDs,
 * crash points).
 *
 * The gateway's tables, beside libanxin's (the outbox above all: a
 * record line is put there in the transaction of the state change that
 * made it)
 *   inbox    every incoming message once (UNIQUE dedup key: sender, SMSC
 *            time, concatenation reference, text hash); state new ->
 *            done | late | unknown (sender not in the roster, for staff)
 *   conv     one conversation per (campaign, household): the flow state
 *   queue    the shared work queue of outgoing messages and, once sent,
 *            the gateway's sent log: pending -> sending -> sent; a row
 *            found in "sending" at start-up becomes "unknown" and is never
 *            sent again (at most once; the reminder covers a lost one)
 *            claimed by send class (prio, gw__kind_prio), then id
 *   optout   numbers never messaged again, checked when a row is claimed
 * *   reports  delivery reports, matched to the latest send with the same
 *            number and message reference
 *   digests  awareness outreach: one row per (campaign, household, pack,
 *            digest) queued, written in the transaction of the queue row,
 *            so a digest is queued once per household whatever restarts
 *   modems   status for staff (--status)
 *   upgraded the old gateway.db files moved in (gw_upgrade.c)
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <uuid/uuid.h>

#include "anxin/applog.h"
#include "anxin/store.h"
#include "gw_int.h"

/* Conversations, keyed by household first and stored in their primary
 * key's b-tree (WITHOUT ROWID): a reply finds its household's rows with
 * one descent and updates them in place, where a rowid table with an
 * index on household took two descents to read and kept that index too
 * (perf, bench/smsd).  By campaign for closing one; by status and due
 * for the scheduling pass. */
#define CONV_COLUMNS                                                           \
	"campaign, household, phone, region, survey, survey_version, wave,"      \
	" response_id, status, qidx, attempts, reminded, started_at, asked_at,"  \
	" reminded_at, updated_at, answers, skipped, due"
#define CONV_TABLE                                                             \
	"CREATE TABLE IF NOT EXISTS conv("                                       \
	" campaign TEXT NOT NULL, household TEXT NOT NULL, phone TEXT NOT NULL," \
	" region TEXT, survey TEXT, survey_version INTEGER, wave TEXT,"          \
	" response_id TEXT NOT NULL, status TEXT NOT NULL, qidx INTEGER,"        \
	" attempts INTEGER, reminded INTEGER, started_at INTEGER,"               \
	" asked_at INTEGER, reminded_at INTEGER, updated_at INTEGER,"            \
	" answers TEXT, skipped TEXT, due INTEGER, shown TEXT,"                 \
	" asked_sent INTEGER NOT NULL DEFAULT 0,"                                 \
	" PRIMARY KEY(household, campaign)) WITHOUT ROWID;"
#define CONV_INDEXES                                                           \
	"DROP INDEX IF EXISTS conv_household;"                                   \
	"DROP INDEX IF EXISTS conv_hh;"                                          \
	"CREATE INDEX IF NOT EXISTS conv_campaign ON conv(campaign);"            \
	"CREATE INDEX IF NOT EXISTS conv_due ON conv(status, due);"              \
	"CREATE INDEX IF NOT EXISTS conv_phone ON conv(phone);"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS inbox("
    " id INTEGER PRIMARY KEY, dedup TEXT NOT NULL UNIQUE, modem TEXT,"
    " phone TEXT NOT NULL, smsc_time INTEGER, received_at INTEGER NOT NULL,"
    " parts INTEGER, text TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new',"
    " household TEXT, seen INTEGER NOT NULL DEFAULT 1, campaign TEXT);"
    /* partial indexes: a row leaves them when its state moves on, and a
     * queue row enters queue_claimed only when a modem claims it, so
     * processing a reply (inbox row done, next question queued) writes
     * fewer index entries (perf: each is a random b-tree write) */
    "DROP INDEX IF EXISTS inbox_state;"
    "CREATE INDEX IF NOT EXISTS inbox_new ON inbox(id) WHERE state='new';"
    CONV_TABLE CONV_INDEXES
    "CREATE TABLE IF NOT EXISTS queue("
    " id INTEGER PRIMARY KEY, phone TEXT NOT NULL, household TEXT,"
    " campaign TEXT, pack TEXT, kind TEXT NOT NULL, text TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, not_before INTEGER NOT NULL DEFAULT 0,"
    " quiet_start INTEGER, quiet_end INTEGER, pace INTEGER, cap INTEGER,"
    " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER DEFAULT 0,"
    " modem TEXT, claimed_at INTEGER, sent_day INTEGER, sent_at INTEGER,"
    " ref INTEGER, parts INTEGER, delivered_at INTEGER, error TEXT,"
    " prio INTEGER NOT NULL DEFAULT 3);"
    "DROP INDEX IF EXISTS queue_state;"
    "CREATE INDEX IF NOT EXISTS queue_phone ON queue(phone, state);"
    /* the intros and digests not yet sent, counted per campaign before
     * queueing more (gw__new_budget): a few minutes' worth at most */
    "DROP INDEX IF EXISTS queue_intros;"
    "CREATE INDEX IF NOT EXISTS queue_new ON queue(campaign)"
    " WHERE kind IN ('intro','digest') AND state IN ('pending','sending');"
    "DROP INDEX IF EXISTS queue_modem;"
    "CREATE INDEX IF NOT EXISTS queue_claimed ON queue(modem, claimed_at)"
    " WHERE modem IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS optout("
    " phone TEXT PRIMARY KEY, at INTEGER, source TEXT);"
    "CREATE TABLE IF NOT EXISTS optout_seen("
    " phone TEXT PRIMARY KEY, at INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS phone_failed("
    " household TEXT NOT NULL, campaign TEXT NOT NULL, phone TEXT NOT NULL,"
    " PRIMARY KEY(household, campaign, phone)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS reports("
    " id INTEGER PRIMARY KEY, dedup TEXT UNIQUE, modem TEXT, phone TEXT,"
    " ref INTEGER, status INTEGER, at INTEGER, matched INTEGER DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS digests("
    " campaign TEXT NOT NULL, household TEXT NOT NULL, pack TEXT NOT NULL,"
    " digest TEXT NOT NULL, phone TEXT NOT NULL, queue_id INTEGER,"
    " queued_at INTEGER, PRIMARY KEY(campaign, household, pack, digest));"
    "DROP INDEX IF EXISTS queue_digest;"
    "CREATE INDEX IF NOT EXISTS queue_digests ON queue(household, state)"
    " WHERE kind='digest';"
    "CREATE TABLE IF NOT EXISTS modems("
    " name TEXT PRIMARY KEY, connected INTEGER, signal INTEGER,"
    " last_error TEXT, updated_at INTEGER);"
    /* multipart messages waiting for missing parts, per modem, with when
     * they were first read: the part timeout runs across --once runs */
    "CREATE TABLE IF NOT EXISTS parts_waiting("
    " modem TEXT NOT NULL, key TEXT NOT NULL, first_seen INTEGER NOT NULL,"
    " PRIMARY KEY(modem, key));"
    /* stored messages and sends the modem's process was lost on
     * (gw_quarantine.c): kind 'read' (location, the smsbackup file when
     * the modem is the dummy driver, deleted_at once off the modem) or
     * 'send' (queue_id, that row's state 'quarantined') */
    "CREATE TABLE IF NOT EXISTS quarantine("
    " id INTEGER PRIMARY KEY, modem TEXT NOT NULL, kind TEXT NOT NULL,"
    " location INTEGER, queue_id INTEGER, at INTEGER NOT NULL, reason TEXT,"
    " raw BLOB, deleted_at INTEGER, released_at INTEGER, released_by TEXT);"
    "CREATE TABLE IF NOT EXISTS upgraded("
    " file TEXT PRIMARY KEY, at INTEGER);"
    "CREATE VIEW IF NOT EXISTS sent_log AS SELECT id, phone, household,"
    " campaign, kind, text, modem, sent_at, ref, parts FROM queue"
    " WHERE state IN ('sent', 'unknown');";

/* Columns added after a table was first shipped: a store made by an
 * older gateway gets them at open (CREATE TABLE IF NOT EXISTS leaves its
 * tables as they were), then the indexes over them. */
/* 1 if table has the column, 0 if not, -1 on an error. */
static int has_column(sqlite3 *db, const char *table, const char *col)
{
	sqlite3_stmt *q;
	int has;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1)"
	                           " WHERE name=?2",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, col, -1, SQLITE_STATIC);
	has = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return has;
}

static int migrate(sqlite3 *db)
{
	sqlite3_stmt *q;
	int has_prio = 0, old_conv, has_shown;
	/* one writer at a time: every thread's connection runs this at open */
	if (gw__exec(db, "BEGIN IMMEDIATE"))
		return -1;
	if ((has_prio = has_column(db, "queue", "prio")) < 0)
		goto fail;
	if (!has_prio &&
	    (gw__exec(db, "ALTER TABLE queue ADD COLUMN prio INTEGER NOT NULL"
	                  " DEFAULT 3") ||
	     gw__queue_set_prio(db)))
		goto fail;
	/* conv as a rowid table keyed (campaign, household), as gateways
	 * before the WITHOUT ROWID layout made it: rebuilt with its rows */
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type='table'"
	                           " AND name='conv' AND sql NOT LIKE '%WITHOUT ROWID%'",
	                       -1, &q, NULL) != SQLITE_OK)
		goto fail;
	old_conv = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	if (old_conv &&
	    gw__exec(db, "ALTER TABLE conv RENAME TO conv_old;"
	                 "DROP INDEX IF EXISTS conv_campaign;"
	                 "DROP INDEX IF EXISTS conv_due;" CONV_TABLE
	                 "INSERT INTO conv(" CONV_COLUMNS ") SELECT " CONV_COLUMNS
	                 " FROM conv_old;"
	                 "DROP TABLE conv_old;" CONV_INDEXES))
		goto fail;
	/* what a conversation shows (draw, option order): a column of newer
	 * gateways, added after any rebuild above */
	if ((has_shown = has_column(db, "conv", "shown")) < 0)
		goto fail;
	if (!has_shown && gw__exec(db, "ALTER TABLE conv ADD COLUMN shown TEXT"))
		goto fail;
	/* whether the open question went out (gw_send.c): 0 on the rows of
	 * an older store, whose replies gw_inbox.c checks against the queue */
	if ((has_shown = has_column(db, "conv", "asked_sent")) < 0)
		goto fail;
	if (!has_shown && gw__exec(db, "ALTER TABLE conv ADD COLUMN asked_sent"
	                               " INTEGER NOT NULL DEFAULT 0"))
		goto fail;
	/* the claim's order: pending rows by class, then oldest */
	if (gw__exec(db, "CREATE INDEX IF NOT EXISTS queue_prio ON"
	                 " queue(state, prio, id)"))
		goto fail;
	return gw__commit(db);
fail:
	gw__exec(db, "ROLLBACK");
	return -1;
}

/* ---- errors and clock ---------------------------------------------------- */

void gw__seterr(gw_gateway *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(g->err, sizeof g->err, fmt, ap);
	va_end(ap);
}

const char *gw_errmsg(gw_gateway *g) { return g->err; }

static long long sys_clock(void *ctx)
{
	(void)ctx;
	return (long long)time(NULL);
}

void gw_set_clock(gw_gateway *g, gw_clock_fn fn, void *ctx)
{
	g->clock = fn ? fn : sys_clock;
	g->clock_ctx = ctx;
}

long long gw_now(gw_gateway *g) { return g->clock(g->clock_ctx); }

/* ---- UUIDs, crash points, SQL -------------------------------------------- */

/* A random (version 4) UUID.  The bytes come from a per-thread pool
 * filled by libsodium (the kernel's CSPRNG) 64 UUIDs at a time:
 * uuid_generate_random() made a getrandom() call and several getpid/
 * getuid calls per UUID, about 15 % of the CPU of a batch of replies
 * (perf; every reply records a contact, every start a response id). */
static _Thread_local unsigned char uuid_pool[64 * 16];
static _Thread_local int uuid_left;
static pthread_once_t uuid_once = PTHREAD_ONCE_INIT;

/* A forked child must not hand out the UUIDs its parent will: it starts
 * with an empty pool (only the forking thread lives on in the child). */
static void uuid_forked(void) { uuid_left = 0; }
static void uuid_atfork(void) { pthread_atfork(NULL, NULL, uuid_forked); }

void gw__new_uuid(char out[37])
{
	int left;
	uuid_t u;
	pthread_once(&uuid_once, uuid_atfork);
	left = uuid_left;
	if (left == 0) {
		randombytes_buf(uuid_pool, sizeof uuid_pool);
		left = 64;
	}
	uuid_left = --left;
	memcpy(u, uuid_pool + left * 16, 16);
	sodium_memzero(uuid_pool + left * 16, 16);
	{
		/* version 7 (RFC 9562): the first 48 bits are the Unix time in
		 * milliseconds, the other 74 random.  Ids made one after another
		 * sort together, so the outbox's unique index takes each new
		 * record at its right-hand edge instead of at a random page
		 * (perf: a random id cost the reply path a cache miss and, as
		 * the outbox grew, page splits all over the index). */
		struct timespec ts;
		unsigned long long ms;
		clock_gettime(CLOCK_REALTIME, &ts);
		ms = (unsigned long long)ts.tv_sec * 1000ULL +
		     (unsigned long long)ts.tv_nsec / 1000000ULL;
		for (int i = 0; i < 6; i++)
			u[i] = (unsigned char)(ms >> (40 - 8 * i));
	}
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x70); /* version 7 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 9562 variant */
	uuid_unparse_lower(u, out);
}

/* Crash points for the kill -9 tests: ANXIN_SMSD_CRASH=after_commit makes
 * the process SIGKILL itself right after an inbox commit, before the
 * delete; after_send right after a send, before it is recorded. */
void gw__crash_point(const char *name)
{
	const char *want = getenv("ANXIN_SMSD_CRASH");
	if (want && strcmp(want, name) == 0)
		raise(SIGKILL);
}

/* A statement for `sql` (a string literal) on db: cached for the main
 * connection (one thread), prepared afresh for a modem thread's.  Give it
 * back with release().  NULL on failure. */
sqlite3_stmt *gw__prep(gw_gateway *g, sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int i;
	if (db == g->db)
		for (i = 0; i < g->ncache; i++)
			if (g->cache[i].sql == sql) {
				sqlite3_reset(g->cache[i].st);
				sqlite3_clear_bindings(g->cache[i].st);
				return g->cache[i].st;
			}
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	if (db == g->db && g->ncache < (int)(sizeof g->cache / sizeof g->cache[0])) {
		g->cache[g->ncache].sql = sql;
		g->cache[g->ncache++].st = st;
	}
	return st;
}

void gw__release(gw_gateway *g, sqlite3 *db, sqlite3_stmt *st)
{
	int i;
	if (db == g->db)
		for (i = 0; i < g->ncache; i++)
			if (g->cache[i].st == st) {
				sqlite3_reset(st);
				return;
			}
	sqlite3_finalize(st);
}

int gw__exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

int gw__commit(sqlite3 *db)
{
	if (!gw__exec(db, "COMMIT"))
		return 0;
	/* a failed COMMIT (SQLITE_BUSY, a full disk) leaves the transaction
	 * open: end it here, or it holds back every later write */
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int gw__store_lost(gw_gateway *g)
{
	struct stat sb;
	int removed = 0;
	if (atomic_load(&g->store_lost))
		return 1;
	if (stat(g->cfg.store, &sb) == 0) {
		if (sb.st_dev == g->store_dev && sb.st_ino == g->store_ino)
			return 0;
	} else if (errno == ENOENT || errno == ENOTDIR) {
		removed = 1;
	} else {
		return 0; /* cannot tell (EACCES, EIO): the next pass asks again */
	}
	if (!atomic_exchange(&g->store_lost, 1))
		AX_LOG_E("%s is no longer the store this gateway opened (%s): "
		         "stopping, so that nothing goes out that the store does not "
		         "keep; start anxin-smsd again on the store there now",
		         g->cfg.store, removed ? "removed" : "replaced by another file");
	return 1;
}

int gw__txn_guard(gw_gateway *g, sqlite3 *db, const char *where)
{
	if (sqlite3_get_autocommit(db))
		return 0;
	AX_LOG_E("%s: a transaction was left open on the store; rolled back",
	         where);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	if (db == g->db)
		g->reload = 1; /* the in-memory flags may name rows rolled back */
	return 1;
}

/* exec() through the main connection's statement cache: for the
 * statements run once per message (savepoints), where parsing the SQL
 * again each time cost more than running it. */
int gw__exec_cached(gw_gateway *g, const char *sql)
{
	sqlite3_stmt *st = gw__prep(g, g->db, sql);
	int rc;
	if (!st)
		return -1;
	rc = sqlite3_step(st);
	gw__release(g, g->db, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

ax_rc gw__open_store(const char *path, ax_store **out, char *err,
                     size_t errlen)
{
	sqlite3 *db;
	ax_rc rc;

	*out = NULL;
	rc = ax_store_open(path, AX_STORE_CREATE, out, err, errlen);
	if (rc != AX_OK)
		return rc;
	db = ax_store_sqlite(*out);
	/* the store already keeps WAL, synchronous=FULL (a commit is on disk
	 * before a modem delete) and a 64 MB page cache (a batch of replies
	 * touches random pages of the queue, conv and outbox indexes, UUID
	 * keys: with SQLite's 2 MB default a batch spilled dirty pages to the
	 * WAL before its commit).  temp_store=MEMORY keeps the sub-journal of
	 * gw__process_inbox's savepoint per message in memory: on SQLite's
	 * default (a temp file past 64 KB) the first pages of every message
	 * were pwrite()n to that file, about a third of the inbound cost
	 * (perf).  30 s of busy wait: the modem threads and gw_step share
	 * the file's one write lock, and a batch of replies holds it a while */
	sqlite3_busy_timeout(db, 30000);
	if (gw__exec(db, "PRAGMA temp_store=MEMORY") || gw__exec(db, schema) ||
	    /* inbox.campaign came later: the campaign a reply was kept for */
	    (gw__count1(db, "SELECT COUNT(*) FROM pragma_table_info('inbox')"
	                    " WHERE name=?1 AND ?2=0", "campaign", 0) == 0 &&
	     gw__exec(db, "ALTER TABLE inbox ADD COLUMN campaign TEXT")) ||
	    migrate(db)) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		ax_store_close(*out);
		*out = NULL;
		return AX_IO;
	}
	return AX_OK;
}

long long gw__count1(sqlite3 *db, const char *sql, const char *a,
                     long long b)
{
	sqlite3_stmt *q;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, b);
	if (sqlite3_step(q) == SQLITE_ROW)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}
