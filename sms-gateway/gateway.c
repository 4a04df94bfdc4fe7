/*
 * gateway.c -- the daemon's core (see gateway.h for the transaction
 * design).  No libgammu here: modems are reached through modem.h.
 *
 * gateway.db tables
 *   inbox    every incoming message once (UNIQUE dedup key: sender, SMSC
 *            time, concatenation reference, text hash); state new ->
 *            done | late | unknown (sender not in the roster, for staff)
 *   conv     one conversation per (campaign, household): the flow state
 *   queue    the shared work queue of outgoing messages and, once sent,
 *            the gateway's sent log: pending -> sending -> sent; a row
 *            found in "sending" at start-up becomes "unknown" and is never
 *            sent again (at most once; the reminder covers a lost one)
 *   optout   numbers never messaged again, checked when a row is claimed
 *   journal  record lines (responses, contacts) not yet in the store's
 *            outbox, written in the transaction of the state change
 *   reports  delivery reports, matched to the latest send with the same
 *            number and message reference
 *   digests  awareness outreach: one row per (campaign, household, pack,
 *            digest) queued, written in the transaction of the queue row,
 *            so a digest is queued once per household whatever restarts
 *   modems   status for staff (--status)
 */
#include "gateway.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include "anxin/auth.h"
#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/phone.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin/sync.h"

/* ---- state ---------------------------------------------------------------- */

struct hh {
	char id[64];
	char grid[32];
	char phones[4][AX_PHONE_MAX];
	int nphones;
	int active;
};

struct phone_ix {
	char phone[AX_PHONE_MAX];
	int hh;
};

/* One SMS digest of a pack ("sms":[{"id","text"}]); strings borrowed from
 * gw_gateway.packs, which lives until the next load. */
struct digest {
	const char *pack, *id, *text;
};

struct camp {
	struct ax_campaign c;
	gw_fsurvey *fs; /* NULL: outreach only */
	int *members;   /* indexes into hhs */
	int nmembers;
	unsigned char *started; /* members[i] has a conversation (cache) */
	int all_started;        /* nothing left to start */
	struct digest *digests; /* of every pack of the campaign, in order */
	int ndigests;
	unsigned char *digested; /* members[i] has every digest queued (cache) */
	int all_digested;
};

struct slot {
	gw_gateway *g;
	int index;
	gw_modem *m;
	sqlite3 *db;
	long long next_try;
	int backoff;
	int signal;
	long long signal_at;
	char last_error[256];
	/* one transaction per inbox read (on_incoming .. on_commit) */
	int in_txn;
	sqlite3_stmt *ins_inbox, *ins_report;
	/* The send layer's counts for this modem, kept in memory: counting
	 * them in SQL on every claim cost O(messages sent today), quadratic
	 * over a busy day.  Exact because only this modem's thread claims for
	 * it; loaded from gateway.db on first use, when the China-time day
	 * changes and when the clock goes back. */
	int counts_loaded;
	int day;             /* cst_day of day_sent */
	long long day_sent;  /* claimed today: sending, sent or unknown */
	long long last_now;
	struct {
		long long sec;
		int n;
	} win[60];           /* claims per clock second, by sec % 60 */
};

struct gw_gateway {
	struct gw_config cfg;
	ax_store *st;
	sqlite3 *db;
	ax_content *content;
	struct camp *camps;
	int ncamps;
	struct hh *hhs;
	int nhh;
	struct phone_ix *ix;
	int nix;
	json_t *packs; /* pack id -> pack JSON, for the loaded campaigns */
	long long loaded_at;
	int reload;
	gw_clock_fn clock;
	void *clock_ctx;
	struct slot slots[GW_MAX_MODEMS];
	volatile sig_atomic_t *stop; /* gw_run's: modem threads stop sending */
	pthread_mutex_t log_mu;
	/* prepared statements of the main connection, keyed by the SQL
	 * literal's address: preparing costs more than running them */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[48];
	int ncache;
	char err[512];
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS inbox("
    " id INTEGER PRIMARY KEY, dedup TEXT NOT NULL UNIQUE, modem TEXT,"
    " phone TEXT NOT NULL, smsc_time INTEGER, received_at INTEGER NOT NULL,"
    " parts INTEGER, text TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new',"
    " household TEXT, seen INTEGER NOT NULL DEFAULT 1);"
    "CREATE INDEX IF NOT EXISTS inbox_state ON inbox(state, id);"
    "CREATE TABLE IF NOT EXISTS conv("
    " campaign TEXT NOT NULL, household TEXT NOT NULL, phone TEXT NOT NULL,"
    " region TEXT, survey TEXT, survey_version INTEGER, wave TEXT,"
    " response_id TEXT NOT NULL, status TEXT NOT NULL, qidx INTEGER,"
    " attempts INTEGER, reminded INTEGER, started_at INTEGER,"
    " asked_at INTEGER, reminded_at INTEGER, updated_at INTEGER,"
    " answers TEXT, skipped TEXT, due INTEGER,"
    " PRIMARY KEY(campaign, household));"
    "CREATE INDEX IF NOT EXISTS conv_household ON conv(household, status);"
    "CREATE INDEX IF NOT EXISTS conv_due ON conv(status, due);"
    "CREATE TABLE IF NOT EXISTS queue("
    " id INTEGER PRIMARY KEY, phone TEXT NOT NULL, household TEXT,"
    " campaign TEXT, pack TEXT, kind TEXT NOT NULL, text TEXT NOT NULL,"
    " created_at INTEGER NOT NULL, not_before INTEGER NOT NULL DEFAULT 0,"
    " quiet_start INTEGER, quiet_end INTEGER, pace INTEGER, cap INTEGER,"
    " state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER DEFAULT 0,"
    " modem TEXT, claimed_at INTEGER, sent_day INTEGER, sent_at INTEGER,"
    " ref INTEGER, parts INTEGER, delivered_at INTEGER, error TEXT);"
    "CREATE INDEX IF NOT EXISTS queue_state ON queue(state, id);"
    "CREATE INDEX IF NOT EXISTS queue_phone ON queue(phone, state);"
    "CREATE INDEX IF NOT EXISTS queue_modem ON queue(modem, claimed_at);"
    "CREATE TABLE IF NOT EXISTS optout("
    " phone TEXT PRIMARY KEY, at INTEGER, source TEXT);"
    "CREATE TABLE IF NOT EXISTS journal("
    " seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL,"
    " created_at INTEGER, forwarded INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS journal_fw ON journal(forwarded, seq);"
    "CREATE TABLE IF NOT EXISTS reports("
    " id INTEGER PRIMARY KEY, dedup TEXT UNIQUE, modem TEXT, phone TEXT,"
    " ref INTEGER, status INTEGER, at INTEGER, matched INTEGER DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS digests("
    " campaign TEXT NOT NULL, household TEXT NOT NULL, pack TEXT NOT NULL,"
    " digest TEXT NOT NULL, phone TEXT NOT NULL, queue_id INTEGER,"
    " queued_at INTEGER, PRIMARY KEY(campaign, household, pack, digest));"
    "CREATE INDEX IF NOT EXISTS queue_digest ON queue(household, kind, state);"
    "CREATE TABLE IF NOT EXISTS modems("
    " name TEXT PRIMARY KEY, connected INTEGER, signal INTEGER,"
    " last_error TEXT, updated_at INTEGER);"
    "CREATE VIEW IF NOT EXISTS sent_log AS SELECT id, phone, household,"
    " campaign, kind, text, modem, sent_at, ref, parts FROM queue"
    " WHERE state IN ('sent', 'unknown');";

/* ---- small helpers ---------------------------------------------------------- */

static void seterr(gw_gateway *g, const char *fmt, ...)
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

/* Tests driving the daemon from outside: the clock is a number in a file. */
static long long file_clock(void *ctx)
{
	const char *path = ctx;
	FILE *f = fopen(path, "r");
	long long t = 0;
	if (f) {
		if (fscanf(f, "%lld", &t) != 1)
			t = 0;
		fclose(f);
	}
	return t > 0 ? t : (long long)time(NULL);
}

void gw_set_clock(gw_gateway *g, gw_clock_fn fn, void *ctx)
{
	g->clock = fn ? fn : sys_clock;
	g->clock_ctx = ctx;
}

long long gw_now(gw_gateway *g) { return g->clock(g->clock_ctx); }

static int cst_minute(long long now)
{
	long long t = now + 8 * 3600;
	return (int)(((t % 86400) + 86400) % 86400 / 60);
}

static int cst_day(long long now)
{
	long long t = now + 8 * 3600;
	return (int)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

static int in_quiet(long long now, int qs, int qe)
{
	int m = cst_minute(now);
	if (qs == qe)
		return 0;
	return qs < qe ? (m >= qs && m < qe) : (m >= qs || m < qe);
}

/* A random (version 4) UUID.  The bytes come from a per-thread pool
 * filled by libsodium (the kernel's CSPRNG) 64 UUIDs at a time:
 * uuid_generate_random() made a getrandom() call and several getpid/
 * getuid calls per UUID, about 15 % of the CPU of a batch of replies
 * (perf; every reply journals a contact, every start a response id). */
static _Thread_local unsigned char uuid_pool[64 * 16];
static _Thread_local int uuid_left;
static pthread_once_t uuid_once = PTHREAD_ONCE_INIT;

/* A forked child must not hand out the UUIDs its parent will: it starts
 * with an empty pool (only the forking thread lives on in the child). */
static void uuid_forked(void) { uuid_left = 0; }
static void uuid_atfork(void) { pthread_atfork(NULL, NULL, uuid_forked); }

static void new_uuid(char out[37])
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
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	uuid_unparse_lower(u, out);
}

/* Crash points for the kill -9 tests: ANXIN_SMSD_CRASH=after_commit makes
 * the process SIGKILL itself right after an inbox commit, before the
 * delete; after_send right after a send, before it is recorded. */
static void crash_point(const char *name)
{
	const char *want = getenv("ANXIN_SMSD_CRASH");
	if (want && strcmp(want, name) == 0)
		raise(SIGKILL);
}

/* A statement for `sql` (a string literal) on db: cached for the main
 * connection (one thread), prepared afresh for a modem thread's.  Give it
 * back with release().  NULL on failure. */
static sqlite3_stmt *prep(gw_gateway *g, sqlite3 *db, const char *sql)
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

static void release(gw_gateway *g, sqlite3 *db, sqlite3_stmt *st)
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

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

/* exec() through the main connection's statement cache: for the
 * statements run once per message (savepoints), where parsing the SQL
 * again each time cost more than running it. */
static int exec_cached(gw_gateway *g, const char *sql)
{
	sqlite3_stmt *st = prep(g, g->db, sql);
	int rc;
	if (!st)
		return -1;
	rc = sqlite3_step(st);
	release(g, g->db, st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static sqlite3 *open_db(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, db ? sqlite3_errmsg(db) : "no memory");
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 30000);
	/* durability before a modem delete: FULL syncs the WAL on commit.
	 * 16 MB of page cache: a batch of replies touches random pages of the
	 * queue, conv and journal indexes (UUID keys), and with SQLite's 2 MB
	 * default a batch spilled dirty pages to the WAL before its commit.
	 * temp_store=MEMORY keeps the sub-journal of process_inbox's savepoint
	 * per message in memory: on SQLite's default (a temp file past 64 KB)
	 * the first pages of every message were pwrite()n to that file and it
	 * was never truncated, about a third of the inbound cost (perf) */
	if (exec(db, "PRAGMA synchronous=FULL") ||
	    exec(db, "PRAGMA cache_size=-16384") ||
	    exec(db, "PRAGMA temp_store=MEMORY") || exec(db, schema)) {
		snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static void norm_phone(const char *in, char out[64])
{
	char e[AX_PHONE_MAX];
	if (ax_phone_normalize(in, e, NULL) == AX_OK)
		snprintf(out, 64, "%s", e);
	else
		snprintf(out, 64, "%s", in);
}

/* ---- roster and campaigns ---------------------------------------------------- */

static int cmp_ix(const void *a, const void *b)
{
	return strcmp(((const struct phone_ix *)a)->phone,
	              ((const struct phone_ix *)b)->phone);
}

static int find_hh(gw_gateway *g, const char *id)
{
	int i;
	for (i = 0; i < g->nhh; i++)
		if (strcmp(g->hhs[i].id, id) == 0)
			return i;
	return -1;
}

/*
 * The cached roster slice of a region that covers `code`, when the slice
 * of `code` itself was never pulled: a gateway whose sync pulls the
 * county (or its township) still reaches the households of a campaign
 * scoped to one of its townships or villages.  Region codes are 12 digits
 * (province 2, prefecture 2, county 2, township 3, village 3; grids extend
 * a village's): the ancestors are the code cut at 12, 9, 6, 4 and 2 digits
 * and padded with zeros.  Returns `code` (to filter the slice's households
 * by) with *text set, or NULL.
 */
static const char *covering_slice(gw_gateway *g, const char *code, char **text)
{
	static const size_t cuts[] = {12, 9, 6, 4, 2};
	size_t len = strlen(code), i;

	*text = NULL;
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		char anc[32], key[128];
		if (len < 12 || cuts[i] >= len)
			continue;
		snprintf(anc, sizeof anc, "%.*s%.*s", (int)cuts[i], code,
		         (int)(12 - (cuts[i] < 12 ? cuts[i] : 12)), "000000000000");
		if (strcmp(anc, code) == 0 || !ax_region_covers(anc, code))
			continue;
		snprintf(key, sizeof key, "roster.%s.json", anc);
		if (ax_sync_cached(g->st, key, text) == AX_OK && *text)
			return code;
	}
	return NULL;
}

static int add_slice(gw_gateway *g, struct camp *cp, const char *text,
                     const char *within)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je), *arr, *h;
	size_t i, k;

	if (!doc)
		return -1;
	arr = json_object_get(doc, "households");
	json_array_foreach(arr, i, h)
	{
		const char *id = json_string_value(json_object_get(h, "id"));
		json_t *phones = json_object_get(h, "phones"), *p;
		const char *grid = json_string_value(json_object_get(h, "grid"));
		int ix;
		if (!id)
			continue;
		if (within && (!grid || !ax_region_covers(within, grid)))
			continue;
		ix = find_hh(g, id);
		if (ix < 0) {
			struct hh *n = realloc(g->hhs, (size_t)(g->nhh + 1) * sizeof *n);
			int *mm;
			if (!n)
				goto nomem;
			g->hhs = n;
			ix = g->nhh++;
			memset(&g->hhs[ix], 0, sizeof g->hhs[ix]);
			snprintf(g->hhs[ix].id, sizeof g->hhs[ix].id, "%s", id);
			snprintf(g->hhs[ix].grid, sizeof g->hhs[ix].grid, "%s",
			         json_string_value(json_object_get(h, "grid"))
			             ? json_string_value(json_object_get(h, "grid"))
			             : "");
			g->hhs[ix].active = !json_is_false(json_object_get(h, "active"));
			json_array_foreach(phones, k, p)
			{
				if (json_is_string(p) && g->hhs[ix].nphones < 4)
					snprintf(g->hhs[ix].phones[g->hhs[ix].nphones++],
					         AX_PHONE_MAX, "%s", json_string_value(p));
			}
			mm = realloc(cp->members, (size_t)(cp->nmembers + 1) * sizeof *mm);
			if (!mm)
				goto nomem;
			cp->members = mm;
			cp->members[cp->nmembers++] = ix;
		} else {
			int j, dup = 0;
			for (j = 0; j < cp->nmembers; j++)
				dup |= cp->members[j] == ix;
			if (!dup) {
				int *mm = realloc(cp->members,
				                  (size_t)(cp->nmembers + 1) * sizeof *mm);
				if (!mm)
					goto nomem;
				cp->members = mm;
				cp->members[cp->nmembers++] = ix;
			}
		}
	}
	json_decref(doc);
	return 0;
nomem:
	json_decref(doc);
	return -1;
}

static void free_loaded(gw_gateway *g)
{
	int i;
	for (i = 0; i < g->ncamps; i++) {
		gw_fsurvey_free(g->camps[i].fs);
		free(g->camps[i].members);
		free(g->camps[i].started);
		free(g->camps[i].digests);
		free(g->camps[i].digested);
	}
	json_decref(g->packs);
	g->packs = NULL;
	free(g->camps);
	g->camps = NULL;
	g->ncamps = 0;
	free(g->hhs);
	g->hhs = NULL;
	g->nhh = 0;
	free(g->ix);
	g->ix = NULL;
	g->nix = 0;
	ax_content_free(g->content);
	g->content = NULL;
}

/* Campaigns from the central server's cached document (ax_sync_pull). */
static void cached_campaigns(gw_gateway *g, struct ax_campaign **list, int *n,
                             long long now)
{
	char *text = NULL;
	json_t *doc, *arr, *o;
	size_t i;

	if (ax_sync_cached(g->st, "campaigns.json", &text) != AX_OK || !text)
		return;
	doc = json_loads(text, 0, NULL);
	ax_free(text);
	arr = json_is_array(doc) ? doc : json_object_get(doc, "campaigns");
	/* the packs the campaigns use travel in the same document */
	if (g->packs && json_is_object(json_object_get(doc, "packs")))
		json_object_update_missing(g->packs, json_object_get(doc, "packs"));
	json_array_foreach(arr, i, o)
	{
		struct ax_campaign c, *nl;
		json_t *pl = json_object_get(o, "packs"), *pj;
		size_t used = 0, j;
		const char *id = json_string_value(json_object_get(o, "id"));
		int k, dup = 0;
		if (!id)
			continue;
		for (k = 0; k < *n; k++)
			dup |= strcmp((*list)[k].id, id) == 0;
		if (dup)
			continue;
		ax_campaign_defaults(&c);
		snprintf(c.id, sizeof c.id, "%s", id);
#define S(f)                                                                    \
	if (json_string_value(json_object_get(o, #f)))                              \
	snprintf(c.f, sizeof c.f, "%s", json_string_value(json_object_get(o, #f)))
#define I(f)                                                                    \
	if (json_is_integer(json_object_get(o, #f)))                                \
	c.f = (int)json_integer_value(json_object_get(o, #f))
		S(name);
		S(survey);
		S(scope);
		S(wave);
		I(survey_version);
		I(quiet_start);
		I(quiet_end);
		I(pace_per_min);
		I(daily_cap);
#undef S
#undef I
		json_array_foreach(pl, j, pj)
		{
			const char *pid = json_string_value(pj);
			int w;
			if (!pid)
				continue;
			w = snprintf(c.packs + used, sizeof c.packs - used, "%s%s",
			             used ? "," : "", pid);
			if (w < 0 || used + (size_t)w >= sizeof c.packs) {
				c.packs[used] = '\0'; /* a pack id that does not fit: left out */
				break;
			}
			used += (size_t)w;
		}
		c.starts_at = json_integer_value(json_object_get(o, "starts_at"));
		c.ends_at = json_integer_value(json_object_get(o, "ends_at"));
		if ((c.starts_at && now < c.starts_at) || (c.ends_at && now >= c.ends_at))
			continue;
		nl = realloc(*list, (size_t)(*n + 1) * sizeof *nl);
		if (!nl)
			break;
		*list = nl;
		(*list)[(*n)++] = c;
	}
	json_decref(doc);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Which members of each campaign already have a conversation: one query
 * per campaign at load, so a pass does not ask SQLite about every
 * household of the scope again (O(households) queries per pass). */
static int mark_started(gw_gateway *g)
{
	int i, k;
	for (i = 0; i < g->ncamps; i++) {
		struct camp *cp = &g->camps[i];
		sqlite3_stmt *q;
		char **ids = NULL;
		int n = 0, cap = 0;
		cp->started = calloc((size_t)(cp->nmembers ? cp->nmembers : 1), 1);
		if (!cp->started)
			return -1;
		if (sqlite3_prepare_v2(g->db, "SELECT household FROM conv WHERE campaign=?",
		                       -1, &q, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(q, 1, cp->c.id, -1, SQLITE_STATIC);
		while (sqlite3_step(q) == SQLITE_ROW) {
			if (n == cap) {
				char **ni;
				cap = cap ? cap * 2 : 256;
				ni = realloc(ids, (size_t)cap * sizeof *ni);
				if (!ni)
					break;
				ids = ni;
			}
			ids[n] = strdup((const char *)sqlite3_column_text(q, 0));
			if (!ids[n])
				break;
			n++;
		}
		sqlite3_finalize(q);
		if (n)
			qsort(ids, (size_t)n, sizeof *ids, cmp_str);
		for (k = 0; k < cp->nmembers; k++) {
			const char *id = g->hhs[cp->members[k]].id;
			cp->started[k] =
			    n && bsearch(&id, ids, (size_t)n, sizeof *ids, cmp_str) != NULL;
		}
		for (k = 0; k < n; k++)
			free(ids[k]);
		free(ids);
	}
	return 0;
}

/*
 * The digests of a campaign's packs, in the campaign's pack order.  Pack
 * JSON comes from the cached campaigns document (central's "packs"
 * object, merged into g->packs by cached_campaigns), else from the store:
 * ax_campaigns_json is libanxin's public way to the installed `packs`
 * table and builds the same document shape, so both sources are read by
 * the same few lines of jansson.  A pack found in neither is skipped
 * until a reload finds it (its households are not marked done).
 * Returns 0, 1 when a pack was missing, -1 on allocation failure.
 */
static int load_digests(gw_gateway *g, struct camp *cp, long long now)
{
	char buf[sizeof cp->c.packs], *save = NULL, *pid;
	int tried_store = 0, missing = 0;

	snprintf(buf, sizeof buf, "%s", cp->c.packs);
	for (pid = strtok_r(buf, ",", &save); pid; pid = strtok_r(NULL, ",", &save)) {
		json_t *pack = json_object_get(g->packs, pid), *sms, *d;
		const char *key;
		size_t i;
		if (!pack && !tried_store) {
			char *text = ax_campaigns_json(g->st, cp->c.scope, now);
			json_t *doc = text ? json_loads(text, 0, NULL) : NULL;
			ax_free(text);
			if (json_is_object(json_object_get(doc, "packs")))
				json_object_update_missing(g->packs, json_object_get(doc, "packs"));
			json_decref(doc);
			tried_store = 1;
			pack = json_object_get(g->packs, pid);
		}
		if (!pack) {
			missing = 1;
			continue;
		}
		/* the key's storage lives as long as g->packs */
		key = json_object_iter_key(json_object_iter_at(g->packs, pid));
		sms = json_object_get(pack, "sms");
		json_array_foreach(sms, i, d)
		{
			const char *id = json_string_value(json_object_get(d, "id"));
			const char *text = json_string_value(json_object_get(d, "text"));
			struct digest *nd;
			if (!id || !text || !*text)
				continue;
			nd = realloc(cp->digests, (size_t)(cp->ndigests + 1) * sizeof *nd);
			if (!nd)
				return -1;
			cp->digests = nd;
			nd[cp->ndigests].pack = key;
			nd[cp->ndigests].id = id;
			nd[cp->ndigests++].text = text;
		}
	}
	return missing;
}

/* Which members already have every digest of their campaign queued: one
 * query per campaign with packs, as mark_started. */
static int mark_digested(gw_gateway *g)
{
	int i, k;
	for (i = 0; i < g->ncamps; i++) {
		struct camp *cp = &g->camps[i];
		sqlite3_stmt *q;
		cp->digested = calloc((size_t)(cp->nmembers ? cp->nmembers : 1), 1);
		if (!cp->digested)
			return -1;
		if (!cp->ndigests) {
			cp->all_digested = 1;
			continue;
		}
		if (sqlite3_prepare_v2(g->db,
		                       "SELECT COUNT(*) FROM digests WHERE campaign=?"
		                       " AND household=?",
		                       -1, &q, NULL) != SQLITE_OK)
			return -1;
		for (k = 0; k < cp->nmembers; k++) {
			sqlite3_reset(q);
			sqlite3_bind_text(q, 1, cp->c.id, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, g->hhs[cp->members[k]].id, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW)
				cp->digested[k] = sqlite3_column_int(q, 0) >= cp->ndigests;
		}
		sqlite3_finalize(q);
	}
	return 0;
}

static ax_rc load(gw_gateway *g)
{
	struct ax_campaign *list = NULL;
	long long now = gw_now(g);
	int n = 0, i, k, nerr = 0;
	ax_rc rc;

	(void)nerr;
	free_loaded(g);
	rc = ax_content_load_store(g->st, &g->content);
	if (rc != AX_OK) {
		seterr(g, "loading surveys: %s", ax_store_errmsg(g->st));
		return rc;
	}
	rc = ax_campaign_list(g->st, 1, now, &list, &n);
	if (rc != AX_OK) {
		seterr(g, "loading campaigns: %s", ax_store_errmsg(g->st));
		return rc;
	}
	g->packs = json_object();
	if (!g->packs) {
		ax_free(list);
		return AX_NOMEM;
	}
	cached_campaigns(g, &list, &n, now);
	g->camps = calloc((size_t)(n ? n : 1), sizeof *g->camps);
	if (!g->camps) {
		ax_free(list);
		return AX_NOMEM;
	}
	for (i = 0; i < n; i++) {
		struct camp *cp = &g->camps[g->ncamps++];
		char scope[AX_SCOPE_MAX], *save = NULL, *code;
		cp->c = list[i];
		if (cp->c.survey[0]) {
			const struct ax_survey *s = ax_content_find_survey(
			    g->content, cp->c.survey, cp->c.survey_version);
			if (!s || gw_fsurvey_new(s, &cp->fs) != AX_OK)
				cp->fs = NULL;
		}
		if (cp->c.packs[0] && load_digests(g, cp, now) < 0) {
			ax_free(list);
			return AX_NOMEM;
		}
		snprintf(scope, sizeof scope, "%s", cp->c.scope);
		for (code = strtok_r(scope, ",", &save); code;
		     code = strtok_r(NULL, ",", &save)) {
			char key[128], *text = NULL;
			const char *within = NULL;
			snprintf(key, sizeof key, "roster.%s.json", code);
			if (ax_sync_cached(g->st, key, &text) != AX_OK || !text)
				within = covering_slice(g, code, &text);
			if (!text)
				text = ax_roster_slice_json(g->st, code);
			if (text && add_slice(g, cp, text, within) < 0) {
				ax_free(text);
				ax_free(list);
				return AX_NOMEM;
			}
			ax_free(text);
		}
	}
	/* free() is what ax_free() does: libanxin allocates with malloc */
	ax_free(list);
	for (i = 0; i < g->nhh; i++)
		g->nix += g->hhs[i].nphones;
	g->ix = calloc((size_t)(g->nix ? g->nix : 1), sizeof *g->ix);
	if (!g->ix)
		return AX_NOMEM;
	g->nix = 0;
	for (i = 0; i < g->nhh; i++)
		for (k = 0; k < g->hhs[i].nphones; k++) {
			snprintf(g->ix[g->nix].phone, AX_PHONE_MAX, "%s", g->hhs[i].phones[k]);
			g->ix[g->nix++].hh = i;
		}
	qsort(g->ix, (size_t)g->nix, sizeof *g->ix, cmp_ix);
	if (mark_started(g) < 0 || mark_digested(g) < 0)
		return AX_NOMEM;
	g->loaded_at = now;
	g->reload = 0;
	return AX_OK;
}

void gw_reload(gw_gateway *g) { g->reload = 1; }

/* Household of a number: the loaded slices, else the store's roster. */
static int lookup_phone(gw_gateway *g, const char *phone, char hh[64],
                        char grid[32])
{
	struct phone_ix key, *f;
	snprintf(key.phone, sizeof key.phone, "%s", phone);
	f = g->nix ? bsearch(&key, g->ix, (size_t)g->nix, sizeof *g->ix, cmp_ix)
	           : NULL;
	if (f) {
		snprintf(hh, 64, "%s", g->hhs[f->hh].id);
		snprintf(grid, 32, "%s", g->hhs[f->hh].grid);
		return 0;
	}
	if (ax_roster_find_phone(g->st, phone, hh) == AX_OK) {
		int ix = find_hh(g, hh);
		snprintf(grid, 32, "%s", ix >= 0 ? g->hhs[ix].grid : "");
		return 0;
	}
	return -1;
}

static struct camp *find_camp(gw_gateway *g, const char *id)
{
	int i;
	for (i = 0; i < g->ncamps; i++)
		if (strcmp(g->camps[i].c.id, id) == 0)
			return &g->camps[i];
	return NULL;
}

/* ---- conversations in SQL ---------------------------------------------------- */

struct convrow {
	char campaign[64], household[64], phone[64], region[32], wave[64];
	char response_id[40];
	struct gw_conv c;
};

static void answers_text(const struct gw_conv *c, char *a, size_t an, char *s,
                         size_t sn)
{
	size_t used = 0;
	int i;
	a[0] = '\0';
	for (i = 0; i < GW_FLOW_MAX_Q && used + 20 < an; i++)
		used += (size_t)snprintf(a + used, an - used, "%s%llx", i ? "," : "",
		                         c->answers[i]);
	for (i = 0; i < GW_FLOW_MAX_Q && i + 1 < (int)sn; i++)
		s[i] = c->skipped[i] ? '1' : '0';
	s[i] = '\0';
}

static void answers_parse(struct gw_conv *c, const char *a, const char *s)
{
	int i = 0;
	while (a && *a && i < GW_FLOW_MAX_Q) {
		char *end;
		c->answers[i++] = strtoull(a, &end, 16);
		a = *end == ',' ? end + 1 : end;
		if (end == a && *a != '\0')
			break;
	}
	for (i = 0; s && s[i] && i < GW_FLOW_MAX_Q; i++)
		c->skipped[i] = s[i] == '1';
}

#define CONV_COLS                                                              \
	"campaign, household, phone, region, wave, response_id, status, qidx, "   \
	"attempts, reminded, started_at, asked_at, reminded_at, updated_at, "     \
	"answers, skipped"

static void read_conv(sqlite3_stmt *q, struct convrow *r)
{
	const char *t;
	memset(r, 0, sizeof *r);
#define COL(i, f)                                                              \
	t = (const char *)sqlite3_column_text(q, i);                              \
	snprintf(r->f, sizeof r->f, "%s", t ? t : "")
	COL(0, campaign);
	COL(1, household);
	COL(2, phone);
	COL(3, region);
	COL(4, wave);
	COL(5, response_id);
#undef COL
	r->c.status = gw_conv_status_parse((const char *)sqlite3_column_text(q, 6));
	if ((int)r->c.status < 0)
		r->c.status = GW_CONV_EXPIRED;
	r->c.qidx = sqlite3_column_int(q, 7);
	r->c.attempts = sqlite3_column_int(q, 8);
	r->c.reminded = sqlite3_column_int(q, 9);
	r->c.started_at = sqlite3_column_int64(q, 10);
	r->c.asked_at = sqlite3_column_int64(q, 11);
	r->c.reminded_at = sqlite3_column_int64(q, 12);
	r->c.updated_at = sqlite3_column_int64(q, 13);
	answers_parse(&r->c, (const char *)sqlite3_column_text(q, 14),
	              (const char *)sqlite3_column_text(q, 15));
}

static int write_conv(gw_gateway *g, const struct convrow *r, int insert,
                      const struct camp *cp)
{
	char a[GW_FLOW_MAX_Q * 20], s[GW_FLOW_MAX_Q + 1];
	sqlite3_stmt *q;
	int rc;

	answers_text(&r->c, a, sizeof a, s, sizeof s);
	q = prep(
	    g, g->db,
	    insert ? "INSERT INTO conv(campaign, household, phone, region, wave, "
	             "response_id, status, qidx, attempts, reminded, started_at, "
	             "asked_at, reminded_at, updated_at, answers, skipped, due, "
	             "survey, survey_version) VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,"
	             "?11,?12,?13,?14,?15,?16,?17,?18,?19)"
	           : "UPDATE conv SET status=?7, qidx=?8, attempts=?9, reminded=?10,"
	             " asked_at=?12, reminded_at=?13, updated_at=?14, answers=?15,"
	             " skipped=?16, due=?17 WHERE campaign=?1 AND household=?2");
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, r->campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->household, -1, SQLITE_STATIC);
	if (insert) {
		sqlite3_bind_text(q, 3, r->phone, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, r->region, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, r->wave, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, r->response_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 11, r->c.started_at);
		sqlite3_bind_text(q, 18, cp->c.survey, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 19, cp->c.survey_version);
	}
	sqlite3_bind_text(q, 7, gw_conv_status_name(r->c.status), -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 8, r->c.qidx);
	sqlite3_bind_int(q, 9, r->c.attempts);
	sqlite3_bind_int(q, 10, r->c.reminded);
	sqlite3_bind_int64(q, 12, r->c.asked_at);
	sqlite3_bind_int64(q, 13, r->c.reminded_at);
	sqlite3_bind_int64(q, 14, r->c.updated_at);
	sqlite3_bind_text(q, 15, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 16, s, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(q, 17, gw_flow_next_due(&r->c, &g->cfg.flow));
	rc = sqlite3_step(q);
	release(g, g->db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Queue a message; pack (may be NULL) is copied to the row, so the
 * sms_sent and sms_delivered contacts of a digest carry it. */
static int enqueue_pack(gw_gateway *g, const char *phone, const char *household,
                        const struct camp *cp, const char *kind,
                        const char *text, const char *pack, long long now)
{
	sqlite3_stmt *q;
	int rc;
	if (!(q = prep(g, g->db, "INSERT INTO queue(phone, household, campaign, kind, text,"
	                       " created_at, quiet_start, quiet_end, pace, cap, pack)"
	                       " VALUES(?,?,?,?,?,?,?,?,?,?,?)")))
		return -1;
	if (pack)
		sqlite3_bind_text(q, 11, pack, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, household, -1, SQLITE_STATIC);
	if (cp)
		sqlite3_bind_text(q, 3, cp->c.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, now);
	sqlite3_bind_int(q, 7, cp ? cp->c.quiet_start : g->cfg.quiet_start);
	sqlite3_bind_int(q, 8, cp ? cp->c.quiet_end : g->cfg.quiet_end);
	sqlite3_bind_int(q, 9, cp && cp->c.pace_per_min > 0 ? cp->c.pace_per_min
	                                                    : g->cfg.pace_per_min);
	sqlite3_bind_int(q, 10, cp && cp->c.daily_cap > 0 ? cp->c.daily_cap
	                                                  : g->cfg.daily_cap);
	rc = sqlite3_step(q);
	release(g, g->db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int enqueue(gw_gateway *g, const char *phone, const char *household,
                   const struct camp *cp, const char *kind, const char *text,
                   long long now)
{
	return enqueue_pack(g, phone, household, cp, kind, text, NULL, now);
}

static int journal(gw_gateway *g, sqlite3 *db, const char *id,
                   const char *body, long long now)
{
	sqlite3_stmt *q;
	int rc;
	if (!body)
		return -1;
	if (!(q = prep(g, db, "INSERT OR IGNORE INTO journal(id, body, created_at)"
	                       " VALUES(?,?,?)")))
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	rc = sqlite3_step(q);
	release(g, db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int journal_contact(gw_gateway *g, sqlite3 *db, const char *household,
                           const char *kind, const char *pack, long long at)
{
	char id[37];
	char *body;
	int rc;
	if (!household || !*household)
		return 0;
	new_uuid(id);
	body = gw_contact_json(id, household, kind, pack, g->cfg.device, at);
	rc = journal(g, db, id, body, at);
	free(body);
	return rc;
}

static int is_opted_out(gw_gateway *g, sqlite3 *db, const char *phone)
{
	sqlite3_stmt *q;
	int r = 0;
	if (!(q = prep(g, db, "SELECT 1 FROM optout WHERE phone = ?")))
		return 1; /* when in doubt, do not message */
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	r = sqlite3_step(q) == SQLITE_ROW;
	release(g, db, q);
	return r;
}

static int add_optout(gw_gateway *g, sqlite3 *db, const char *phone,
                      const char *source, long long now)
{
	sqlite3_stmt *q;
	int rc;
	if (!(q = prep(g, db, "INSERT OR IGNORE INTO optout(phone, at, source)"
	                       " VALUES(?,?,?)")))
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_text(q, 3, source, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	release(g, db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Everything one flow step produced, written in the caller's transaction. */
static int apply_out(gw_gateway *g, struct convrow *r, const struct camp *cp,
                     const struct gw_flow_out *o, long long now, int insert)
{
	int i;
	if (write_conv(g, r, insert, cp))
		return -1;
	if (o->optout && add_optout(g, g->db, r->phone, "reply", now))
		return -1;
	for (i = 0; i < o->nmsgs; i++)
		if (enqueue(g, r->phone, r->household, cp,
		            o->optout ? "optout_confirm"
		                      : (insert && i == 0 ? "intro" : "question"),
		            o->msgs[i], now))
			return -1;
	if (o->replied &&
	    journal_contact(g, g->db, r->household, "sms_replied", NULL, now))
		return -1;
	if (o->response && cp->fs) {
		char *body = gw_flow_response_json(cp->fs, &r->c, r->response_id,
		                                   g->cfg.device, r->household, r->region,
		                                   r->wave, o->response_status, now);
		int rc = journal(g, g->db, r->response_id, body, now);
		free(body);
		if (rc)
			return -1;
	}
	return 0;
}

/* ---- scheduling pass ----------------------------------------------------------- */

static int household_busy(gw_gateway *g, const char *hh, const char *campaign,
                          int *exists)
{
	sqlite3_stmt *q;
	int busy = 0;
	*exists = 0;
	if (!(q = prep(g, g->db, "SELECT campaign, status FROM conv WHERE household = ?")))
		return 1;
	sqlite3_bind_text(q, 1, hh, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (strcmp((const char *)sqlite3_column_text(q, 0), campaign) == 0)
			*exists = 1;
		if (strcmp((const char *)sqlite3_column_text(q, 1), "asking") == 0)
			busy = 1;
	}
	release(g, g->db, q);
	return busy;
}

/* Start conversations for households of active campaigns (a few hundred
 * per pass, one transaction). */
static int start_conversations(gw_gateway *g, long long now)
{
	int i, k, started = 0;
	const int max_per_pass = 500;

	if (exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < g->ncamps && started < max_per_pass; i++) {
		struct camp *cp = &g->camps[i];
		int waiting = 0;
		if (!cp->fs || cp->all_started)
			continue;
		for (k = 0; k < cp->nmembers && started < max_per_pass; k++) {
			struct hh *h = &g->hhs[cp->members[k]];
			struct convrow r;
			struct gw_flow_out o;
			int exists, p;
			const char *phone = NULL;
			if (cp->started[k] || !h->active || h->nphones == 0)
				continue;
			if (household_busy(g, h->id, cp->c.id, &exists) || exists) {
				/* busy: asked by another campaign; try again later */
				cp->started[k] = (unsigned char)exists;
				waiting += !exists;
				continue;
			}
			for (p = 0; p < h->nphones && !phone; p++)
				if (!is_opted_out(g, g->db, h->phones[p]))
					phone = h->phones[p];
			if (!phone)
				continue;
			memset(&r, 0, sizeof r);
			snprintf(r.campaign, sizeof r.campaign, "%s", cp->c.id);
			snprintf(r.household, sizeof r.household, "%s", h->id);
			snprintf(r.phone, sizeof r.phone, "%s", phone);
			snprintf(r.region, sizeof r.region, "%s", h->grid);
			snprintf(r.wave, sizeof r.wave, "%s", cp->c.wave);
			new_uuid(r.response_id);
			gw_flow_start(cp->fs, &r.c, now, &o);
			if (apply_out(g, &r, cp, &o, now, 1)) {
				seterr(g, "starting a conversation: %s", sqlite3_errmsg(g->db));
				exec(g->db, "ROLLBACK");
				/* the flags may now be wrong: rebuild them from SQLite */
				g->reload = 1;
				return -1;
			}
			cp->started[k] = 1;
			started++;
		}
		if (k == cp->nmembers && !waiting)
			cp->all_started = 1;
	}
	return exec(g->db, "COMMIT") ? -1 : started;
}

/* Status of the household's conversation in a campaign; -1 if none. */
static int conv_status(gw_gateway *g, const char *campaign, const char *hh)
{
	sqlite3_stmt *q;
	int st = -1;
	if (!(q = prep(g, g->db, "SELECT status FROM conv WHERE campaign=? AND household=?")))
		return -2;
	sqlite3_bind_text(q, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hh, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		st = gw_conv_status_parse((const char *)sqlite3_column_text(q, 0));
	release(g, g->db, q);
	return st;
}

/* Queue the digests of cp not yet queued for household h, to phone. */
static int queue_household_digests(gw_gateway *g, struct camp *cp,
                                   const struct hh *h, const char *phone,
                                   long long now)
{
	static const char tail[] = "回复TD退订";
	char text[GW_MSG_MAX];
	int d;

	for (d = 0; d < cp->ndigests; d++) {
		const struct digest *dg = &cp->digests[d];
		sqlite3_stmt *q;
		size_t n;
		int rc;
		if (!(q = prep(g, g->db,
		               "INSERT OR IGNORE INTO digests(campaign, household, pack,"
		               " digest, phone, queued_at) VALUES(?,?,?,?,?,?)")))
			return -1;
		sqlite3_bind_text(q, 1, cp->c.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, h->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, dg->pack, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, dg->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, phone, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, now);
		rc = sqlite3_step(q);
		release(g, g->db, q);
		if (rc != SQLITE_DONE)
			return -1;
		if (sqlite3_changes(g->db) == 0)
			continue; /* queued before (an earlier pass or run) */
		/* the first message of an outreach-only campaign carries the
		 * opt-out tail; with a survey, the intro already did */
		snprintf(text, sizeof text, "%s", dg->text);
		n = strlen(text);
		if (d == 0 && !cp->c.survey[0] &&
		    !(n >= sizeof tail - 1 && strcmp(text + n - (sizeof tail - 1), tail) == 0))
			snprintf(text + n, sizeof text - n, "%s", tail);
		if (enqueue_pack(g, phone, h->id, cp, "digest", text, dg->pack, now))
			return -1;
		if (!(q = prep(g, g->db,
		               "UPDATE digests SET queue_id=? WHERE campaign=? AND"
		               " household=? AND pack=? AND digest=?")))
			return -1;
		sqlite3_bind_int64(q, 1, sqlite3_last_insert_rowid(g->db));
		sqlite3_bind_text(q, 2, cp->c.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, h->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, dg->pack, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, dg->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		release(g, g->db, q);
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

/*
 * Awareness outreach: every digest of a campaign's packs queued once per
 * household, to its first phone not opted out.  The digests table is the
 * memory (committed with the queue rows, so a restart never queues a
 * digest twice); the send layer then applies opt-out, quiet hours, pace
 * and the daily cap, and sends each row at most once.
 *
 * Order: digests come AFTER the survey.  For a campaign with a survey a
 * household's digests are queued only once its conversation of that
 * campaign has ended (done or expired; never after an opt-out), and for
 * any campaign never while a conversation of the household is asking.
 * So a bare "2" always answers the open question, a reply to a digest is
 * never taken for an answer, and the digests reinforce what the
 * thank-you explained.  Cost: one indexed query per waiting household per
 * pass, as start_conversations.
 */
static int queue_digests(gw_gateway *g, long long now)
{
	int i, k, p, queued = 0;
	const int max_per_pass = 500;

	if (exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < g->ncamps && queued < max_per_pass; i++) {
		struct camp *cp = &g->camps[i];
		int waiting = 0;
		if (cp->all_digested)
			continue;
		for (k = 0; k < cp->nmembers && queued < max_per_pass; k++) {
			struct hh *h = &g->hhs[cp->members[k]];
			const char *phone = NULL;
			int exists;
			if (cp->digested[k] || !h->active || h->nphones == 0)
				continue;
			if (cp->c.survey[0]) {
				int st = conv_status(g, cp->c.id, h->id);
				if (st == -2)
					goto fail;
				if (st == GW_CONV_OPTED_OUT) {
					cp->digested[k] = 1; /* the resident said stop */
					continue;
				}
				if (st != GW_CONV_DONE && st != GW_CONV_EXPIRED) {
					waiting++;
					continue;
				}
			}
			if (household_busy(g, h->id, cp->c.id, &exists)) {
				waiting++;
				continue;
			}
			for (p = 0; p < h->nphones && !phone; p++)
				if (!is_opted_out(g, g->db, h->phones[p]))
					phone = h->phones[p];
			if (phone && queue_household_digests(g, cp, h, phone, now))
				goto fail;
			cp->digested[k] = 1; /* every phone opted out: nothing, ever */
			queued++;
		}
		if (k == cp->nmembers && !waiting)
			cp->all_digested = 1;
	}
	return exec(g->db, "COMMIT") ? -1 : queued;
fail:
	seterr(g, "queueing digests: %s", sqlite3_errmsg(g->db));
	exec(g->db, "ROLLBACK");
	g->reload = 1; /* the flags may now be wrong: rebuild them */
	return -1;
}

/* The pack of the latest digest sent to a household: 1 and pack filled,
 * 0 if none was sent, -1 on error. */
static int last_digest_pack(gw_gateway *g, const char *hh, char pack[64])
{
	sqlite3_stmt *q;
	int found = 0;
	if (!(q = prep(g, g->db,
	               "SELECT pack FROM queue WHERE household=? AND kind='digest'"
	               " AND state IN ('sent', 'unknown') AND pack IS NOT NULL"
	               " ORDER BY sent_at DESC, id DESC LIMIT 1")))
		return -1;
	sqlite3_bind_text(q, 1, hh, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(pack, 64, "%s", (const char *)sqlite3_column_text(q, 0));
		found = 1;
	}
	release(g, g->db, q);
	return found;
}

static int load_conv_for(gw_gateway *g, const char *hh, struct convrow *r)
{
	sqlite3_stmt *q;
	int found = 0;
	if (!(q = prep(g, g->db,
	               "SELECT " CONV_COLS " FROM conv WHERE household = ?"
	               " ORDER BY status = 'asking' DESC, started_at DESC LIMIT 1")))
		return -1;
	sqlite3_bind_text(q, 1, hh, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		read_conv(q, r);
		found = 1;
	}
	release(g, g->db, q);
	return found;
}

static int set_inbox(gw_gateway *g, sqlite3 *db, long long id,
                     const char *state, const char *hh)
{
	sqlite3_stmt *q;
	int rc;
	if (!(q = prep(g, db, "UPDATE inbox SET state=?, household=? WHERE id=?")))
		return -1;
	sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hh, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, id);
	rc = sqlite3_step(q);
	release(g, db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* One committed inbox message -> the flow, inside the caller's
 * transaction (process_inbox: one per batch, a savepoint per message). */
static int handle_inbox(gw_gateway *g, long long id, const char *phone,
                        const char *text, long long now)
{
	char hh[64], grid[32];
	struct convrow r;
	struct gw_flow_out o;
	struct camp *cp = NULL;
	char pack[64] = "";
	int found, dig = 0;

	if (lookup_phone(g, phone, hh, grid) < 0) {
		/* never attributed; an opt-out is still honoured */
		if (gw_reply_is_optout(text, strlen(text)) &&
		    add_optout(g, g->db, phone, "unknown sender", now))
			goto fail;
		if (set_inbox(g, g->db, id, "unknown", NULL))
			goto fail;
		return 0;
	}
	found = load_conv_for(g, hh, &r);
	if (found < 0)
		goto fail;
	if (found)
		cp = find_camp(g, r.campaign);
	/* no question is open: a reply to the latest digest, if one went */
	if ((!found || !cp || !cp->fs || r.c.status != GW_CONV_ASKING) &&
	    (dig = last_digest_pack(g, hh, pack)) < 0)
		goto fail;
	if (!found || !cp || !cp->fs || dig) {
		int optout = gw_reply_is_optout(text, strlen(text));
		/* an opt-out answering a digest is honoured, not counted as a
		 * reply to it */
		if (!(dig && optout) &&
		    journal_contact(g, g->db, hh, "sms_replied", dig ? pack : NULL, now))
			goto fail;
		if (optout) {
			if (add_optout(g, g->db, phone, "reply", now) ||
			    enqueue(g, phone, hh, NULL, "optout_confirm",
			            gw_flow_optout_text, now))
				goto fail;
		}
		if (set_inbox(g, g->db, id, optout ? "done" : "late", hh))
			goto fail;
		return 0;
	}
	/* replies come from any phone of the household; answers go back to it */
	snprintf(r.phone, sizeof r.phone, "%s", phone);
	gw_flow_reply(cp->fs, &r.c, text, strlen(text), now, &o);
	if (apply_out(g, &r, cp, &o, now, 0) ||
	    set_inbox(g, g->db, id, o.late ? "late" : "done", hh))
		goto fail;
	return 0;
fail:
	seterr(g, "inbox message %lld: %s", id, sqlite3_errmsg(g->db));
	return -1;
}

struct inbox_item {
	long long id;
	char phone[64];
	char *text;
};

/* One transaction for a batch of inbox messages.  With savepoints, a
 * message that fails is rolled back alone and marked 'error'.  Without
 * (the fast pass: a savepoint per message cost about a fifth of the batch,
 * its sub-journal copying every page a message first touches), the first
 * failure rolls the whole batch back and returns 1, for the caller to
 * run it again with savepoints.  0 committed, -1 failed. */
static int inbox_batch(gw_gateway *g, const struct inbox_item *items, int n,
                       long long now, int savepoints)
{
	int i;
	if (exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < n; i++) {
		if (!savepoints) {
			if (handle_inbox(g, items[i].id, items[i].phone, items[i].text,
			                 now)) {
				exec(g->db, "ROLLBACK");
				return 1;
			}
			continue;
		}
		exec_cached(g, "SAVEPOINT msg");
		if (handle_inbox(g, items[i].id, items[i].phone, items[i].text, now)) {
			exec_cached(g, "ROLLBACK TO msg");
			set_inbox(g, g->db, items[i].id, "error", NULL);
		}
		exec_cached(g, "RELEASE msg");
	}
	if (exec(g->db, "COMMIT")) {
		exec(g->db, "ROLLBACK");
		return -1;
	}
	return 0;
}

static int process_inbox(gw_gateway *g, long long now)
{
	sqlite3_stmt *q;
	struct inbox_item *items = NULL;
	int n = 0, cap = 0, i, rc = 0;

	if (sqlite3_prepare_v2(g->db,
	                       "SELECT id, phone, text FROM inbox WHERE state='new'"
	                       " ORDER BY id LIMIT 5000",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			struct inbox_item *ni;
			cap = cap ? cap * 2 : 64;
			ni = realloc(items, (size_t)cap * sizeof *ni);
			if (!ni)
				break;
			items = ni;
		}
		items[n].id = sqlite3_column_int64(q, 0);
		snprintf(items[n].phone, 64, "%s", sqlite3_column_text(q, 1));
		items[n].text = strdup((const char *)sqlite3_column_text(q, 2));
		if (!items[n].text)
			break;
		n++;
	}
	sqlite3_finalize(q);
	/* One transaction for the batch (an fsync per message would cap the
	 * gateway at a few hundred replies a second); one message that fails
	 * is marked and the others go on (inbox_batch's second pass).  Until
	 * the batch commits every message stays 'new' in the inbox: a crash
	 * loses nothing. */
	if (n) {
		rc = inbox_batch(g, items, n, now, 0);
		if (rc == 1)
			rc = inbox_batch(g, items, n, now, 1);
	}
	for (i = 0; i < n; i++)
		free(items[i].text);
	free(items);
	return rc;
}

static int tick_conversations(gw_gateway *g, long long now)
{
	sqlite3_stmt *q;
	struct convrow *rows = NULL;
	int n = 0, cap = 0, i;

	if (sqlite3_prepare_v2(g->db,
	                       "SELECT " CONV_COLS " FROM conv WHERE status='asking'"
	                       " AND due > 0 AND due <= ? LIMIT 1000",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			struct convrow *nr;
			cap = cap ? cap * 2 : 64;
			nr = realloc(rows, (size_t)cap * sizeof *nr);
			if (!nr)
				break;
			rows = nr;
		}
		read_conv(q, &rows[n++]);
	}
	sqlite3_finalize(q);
	if (n && exec(g->db, "BEGIN IMMEDIATE")) {
		free(rows);
		return -1;
	}
	for (i = 0; i < n; i++) {
		struct camp *cp = find_camp(g, rows[i].campaign);
		struct gw_flow_out o;
		if (!cp || !cp->fs)
			continue;
		gw_flow_tick(cp->fs, &rows[i].c, now, &g->cfg.flow, &o);
		if (apply_out(g, &rows[i], cp, &o, now, 0)) {
			seterr(g, "tick: %s", sqlite3_errmsg(g->db));
			exec(g->db, "ROLLBACK");
			free(rows);
			return -1;
		}
	}
	free(rows);
	return n ? exec(g->db, "COMMIT") : 0;
}

static int match_reports(gw_gateway *g, long long now)
{
	sqlite3_stmt *q, *m;
	int rc = 0;

	(void)now;
	if (exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(g->db,
	                       "SELECT id, phone, ref, status, at FROM reports"
	                       " WHERE matched = 0",
	                       -1, &q, NULL) != SQLITE_OK) {
		exec(g->db, "ROLLBACK");
		return -1;
	}
	if (sqlite3_prepare_v2(g->db,
	                       "SELECT id, household, pack FROM queue WHERE phone=?"
	                       " AND ref=? AND state='sent' AND delivered_at IS NULL"
	                       " ORDER BY sent_at DESC, id DESC LIMIT 1",
	                       -1, &m, NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		exec(g->db, "ROLLBACK");
		return -1;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		long long rid = sqlite3_column_int64(q, 0), at = sqlite3_column_int64(q, 4);
		int status = sqlite3_column_int(q, 3), matched = 2;
		char sql[160];
		sqlite3_reset(m);
		sqlite3_bind_text(m, 1, (const char *)sqlite3_column_text(q, 1), -1,
		                  SQLITE_TRANSIENT);
		sqlite3_bind_int(m, 2, sqlite3_column_int(q, 2));
		if (sqlite3_step(m) == SQLITE_ROW) {
			long long qid = sqlite3_column_int64(m, 0);
			matched = 1;
			if (status == 0) {
				char hh[64], pack[64];
				snprintf(hh, sizeof hh, "%s",
				         sqlite3_column_text(m, 1) ? (const char *)sqlite3_column_text(m, 1) : "");
				snprintf(pack, sizeof pack, "%s",
				         sqlite3_column_text(m, 2) ? (const char *)sqlite3_column_text(m, 2) : "");
				if (journal_contact(g, g->db, hh, "sms_delivered",
				                    pack[0] ? pack : NULL, at ? at : now))
					rc = -1;
				snprintf(sql, sizeof sql,
				         "UPDATE queue SET delivered_at=%lld WHERE id=%lld",
				         at ? at : now, qid);
				if (exec(g->db, sql))
					rc = -1;
			}
		}
		snprintf(sql, sizeof sql, "UPDATE reports SET matched=%d WHERE id=%lld",
		         matched, rid);
		if (exec(g->db, sql))
			rc = -1;
	}
	sqlite3_finalize(q);
	sqlite3_finalize(m);
	if (rc) {
		exec(g->db, "ROLLBACK");
		return -1;
	}
	return exec(g->db, "COMMIT");
}

/* Journal -> the store's outbox.  Replays are harmless (idempotent by id). */
static int forward_journal(gw_gateway *g)
{
	sqlite3_stmt *q;
	long long last = 0;
	int n = 0;
	ax_rc rc;

	if (sqlite3_prepare_v2(g->db,
	                       "SELECT seq, id, body FROM journal WHERE forwarded=0"
	                       " ORDER BY seq LIMIT 10000",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	rc = ax_store_begin(g->st);
	if (rc != AX_OK) {
		sqlite3_finalize(q);
		seterr(g, "store: %s", ax_store_errmsg(g->st));
		return -1;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		rc = ax_outbox_put(g->st, (const char *)sqlite3_column_text(q, 1),
		                   (const char *)sqlite3_column_text(q, 2));
		if (rc != AX_OK && rc != AX_CONFLICT) {
			seterr(g, "outbox: %s", ax_store_errmsg(g->st));
			sqlite3_finalize(q);
			ax_store_rollback(g->st);
			return -1;
		}
		last = sqlite3_column_int64(q, 0);
		n++;
	}
	sqlite3_finalize(q);
	if (ax_store_commit(g->st) != AX_OK) {
		seterr(g, "store: %s", ax_store_errmsg(g->st));
		ax_store_rollback(g->st);
		return -1;
	}
	if (n) {
		char sql[128];
		snprintf(sql, sizeof sql,
		         "UPDATE journal SET forwarded=1 WHERE forwarded=0 AND seq<=%lld",
		         last);
		if (exec(g->db, sql))
			return -1;
	}
	return n;
}

ax_rc gw_step(gw_gateway *g)
{
	long long now = gw_now(g);
	int failed = 0;

	if (g->reload || !g->loaded_at || now - g->loaded_at >= 300 ||
	    now < g->loaded_at) {
		ax_rc rc = load(g);
		if (rc != AX_OK)
			return rc;
	}
	if (start_conversations(g, now) < 0)
		failed = 1;
	if (queue_digests(g, now) < 0)
		failed = 1;
	if (process_inbox(g, now))
		failed = 1;
	if (match_reports(g, now))
		failed = 1;
	if (tick_conversations(g, now))
		failed = 1;
	if (forward_journal(g) < 0)
		failed = 1;
	if (g->cfg.central_url[0] && ax_sync_due(g->st, now)) {
		struct ax_sync_opts so;
		memset(&so, 0, sizeof so);
		so.url = g->cfg.central_url;
		so.token = g->cfg.token;
		so.scope = g->cfg.scope;
		ax_sync_push(g->st, &so, NULL);
	}
	return failed ? AX_ERROR : AX_OK;
}

/* ---- modem side ------------------------------------------------------------------ */

/* The modem thread's transaction for one inbox read: opened by the first
 * message or report, committed by on_commit before anything is deleted. */
static int slot_begin(struct slot *s)
{
	if (s->in_txn)
		return 0;
	if (exec(s->db, "BEGIN IMMEDIATE"))
		return -1;
	s->in_txn = 1;
	return 0;
}

static int on_commit(void *ctx)
{
	struct slot *s = ctx;
	if (!s->in_txn)
		return 0;
	s->in_txn = 0;
	if (exec(s->db, "COMMIT")) {
		exec(s->db, "ROLLBACK");
		return -1;
	}
	crash_point("after_commit");
	return 0;
}

static int on_incoming(void *ctx, const struct gw_incoming *in)
{
	struct slot *s = ctx;
	unsigned char hash[16];
	char dedup[256], hex[33], phone[64];
	sqlite3_stmt *q;
	int rc;

	norm_phone(in->phone, phone);
	crypto_generichash(hash, sizeof hash, (const unsigned char *)in->text,
	                   strlen(in->text), NULL, 0);
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	snprintf(dedup, sizeof dedup, "%s|%lld|%d|%s", phone, in->smsc_time,
	         in->concat_ref, hex);
	if (slot_begin(s))
		return -1;
	if (!s->ins_inbox &&
	    sqlite3_prepare_v2(s->db,
	                       "INSERT INTO inbox(dedup, modem, phone, smsc_time,"
	                       " received_at, parts, text) VALUES(?,?,?,?,?,?,?)"
	                       " ON CONFLICT(dedup) DO UPDATE SET seen = seen + 1",
	                       -1, &s->ins_inbox, NULL) != SQLITE_OK)
		return -1;
	q = s->ins_inbox;
	sqlite3_bind_text(q, 1, dedup, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, in->smsc_time);
	sqlite3_bind_int64(q, 5, gw_now(s->g));
	sqlite3_bind_int(q, 6, in->parts);
	sqlite3_bind_text(q, 7, in->text, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int on_report(void *ctx, const struct gw_status_report *r)
{
	struct slot *s = ctx;
	char dedup[160], phone[64];
	sqlite3_stmt *q;
	int rc;

	norm_phone(r->phone, phone);
	snprintf(dedup, sizeof dedup, "%s|%d|%lld|%d", phone, r->ref, r->at,
	         r->status);
	if (slot_begin(s))
		return -1;
	if (!s->ins_report &&
	    sqlite3_prepare_v2(s->db,
	                       "INSERT OR IGNORE INTO reports(dedup, modem, phone, ref,"
	                       " status, at) VALUES(?,?,?,?,?,?)",
	                       -1, &s->ins_report, NULL) != SQLITE_OK)
		return -1;
	q = s->ins_report;
	sqlite3_bind_text(q, 1, dedup, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, r->ref);
	sqlite3_bind_int(q, 5, r->status);
	sqlite3_bind_int64(q, 6, r->at);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

struct claimed {
	long long id, claimed_at;
	char phone[64], household[64], campaign[64], pack[64], kind[24];
	char *text;
};

static long long count1(sqlite3 *db, const char *sql, const char *a,
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

static void counts_load(struct slot *s, long long now)
{
	const char *modem = s->g->cfg.modems[s->index].name;
	sqlite3_stmt *q;

	s->day = cst_day(now);
	s->day_sent = count1(s->db,
	                     "SELECT COUNT(*) FROM queue WHERE modem=?1 AND sent_day=?2"
	                     " AND state IN ('sending','sent','unknown')",
	                     modem, s->day);
	memset(s->win, 0, sizeof s->win);
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT claimed_at, COUNT(*) FROM queue WHERE modem=?1"
	                       " AND claimed_at > ?2 GROUP BY claimed_at",
	                       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, modem, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, now - 60);
		while (sqlite3_step(q) == SQLITE_ROW) {
			long long t = sqlite3_column_int64(q, 0);
			int k = (int)(((t % 60) + 60) % 60);
			if (s->win[k].sec != t) { /* a later second wins the bucket */
				if (s->win[k].n && s->win[k].sec > t)
					continue;
				s->win[k].sec = t;
				s->win[k].n = 0;
			}
			s->win[k].n += sqlite3_column_int(q, 1);
		}
		sqlite3_finalize(q);
	}
	s->last_now = now;
	s->counts_loaded = s->day_sent >= 0;
}

/* Claims in the pace window: claimed_at > now - 60, as the SQL was. */
static long long counts_window(struct slot *s, long long now)
{
	long long n = 0;
	int k;
	for (k = 0; k < 60; k++)
		if (s->win[k].n && s->win[k].sec > now - 60)
			n += s->win[k].n;
	return n;
}

/* delta +1: a claim at time t; -1: that claim given back unsent. */
static void counts_add(struct slot *s, long long t, int delta)
{
	int k = (int)(((t % 60) + 60) % 60);
	if (cst_day(t) == s->day)
		s->day_sent += delta;
	if (s->win[k].sec != t) {
		if (delta < 0)
			return; /* that second has left the window */
		s->win[k].sec = t;
		s->win[k].n = 0;
	}
	s->win[k].n += delta;
}

/*
 * The send layer: pick the oldest message this modem may send now.  The
 * opt-out list, quiet hours, the per-SIM daily cap and the pace are all
 * checked here, whatever queued the message.  Returns 1 with *c filled
 * (row now "sending"), 0 if nothing may go now, -1 on error.
 */
static int claim(struct slot *s, long long now, struct claimed *c)
{
	sqlite3 *db = s->db;
	const char *modem = s->g->cfg.modems[s->index].name;
	sqlite3_stmt *q;
	int got = 0, stop = 0, nclaimed = 0;

	if (!s->counts_loaded || cst_day(now) != s->day || now < s->last_now)
		counts_load(s, now);
	if (!s->counts_loaded)
		return -1;
	s->last_now = now;
	if (exec(db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(
	        db,
	        "SELECT id, phone, household, campaign, pack, kind, text,"
	        " quiet_start, quiet_end, pace, cap FROM queue q"
	        " WHERE state='pending' AND not_before <= ?1 AND NOT EXISTS"
	        " (SELECT 1 FROM queue p WHERE p.phone = q.phone AND p.id < q.id"
	        "  AND p.state IN ('pending', 'sending'))"
	        " ORDER BY id LIMIT 64",
	        -1, &q, NULL) != SQLITE_OK) {
		exec(db, "ROLLBACK");
		return -1;
	}
	sqlite3_bind_int64(q, 1, now);
	while (!got && !stop && sqlite3_step(q) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(q, 0);
		const char *phone = (const char *)sqlite3_column_text(q, 1);
		const char *kind = (const char *)sqlite3_column_text(q, 5);
		int qs = sqlite3_column_int(q, 7), qe = sqlite3_column_int(q, 8);
		int pace = sqlite3_column_int(q, 9), cap = sqlite3_column_int(q, 10);
		char sql[256];

		if (strcmp(kind, "optout_confirm") != 0 && is_opted_out(s->g, db, phone)) {
			snprintf(sql, sizeof sql,
			         "UPDATE queue SET state='blocked', error='opted out'"
			         " WHERE id=%lld", id);
			exec(db, sql);
			continue;
		}
		if (in_quiet(now, qs, qe))
			continue;
		if (cap > 0 && s->day_sent >= cap)
			continue;
		if (pace > 0 && counts_window(s, now) >= pace) {
			stop = 1; /* the modem has had its share this minute */
			break;
		}
		snprintf(sql, sizeof sql,
		         "UPDATE queue SET state='sending', modem='%s', claimed_at=%lld,"
		         " sent_day=%d WHERE id=%lld AND state='pending'",
		         modem, now, cst_day(now), id);
		if (exec(db, sql))
			break;
		nclaimed++;
		memset(c, 0, sizeof *c);
		c->id = id;
		c->claimed_at = now;
		snprintf(c->phone, sizeof c->phone, "%s", phone);
#define TXT(i, f)                                                              \
	snprintf(c->f, sizeof c->f, "%s",                                         \
	         sqlite3_column_text(q, i) ? (const char *)sqlite3_column_text(q, i) \
	                                   : "")
		TXT(2, household);
		TXT(3, campaign);
		TXT(4, pack);
		TXT(5, kind);
#undef TXT
		c->text = strdup((const char *)sqlite3_column_text(q, 6));
		got = c->text != NULL;
	}
	sqlite3_finalize(q);
	if (exec(db, "COMMIT")) {
		exec(db, "ROLLBACK");
		free(got ? c->text : NULL);
		return -1;
	}
	while (nclaimed-- > 0)
		counts_add(s, now, +1);
	return got;
}

static void sent_log_append(gw_gateway *g, const struct claimed *c,
                            const char *modem, long long now, int ref, int parts)
{
	FILE *f;
	char t[32];
	if (!g->cfg.sent_log[0])
		return;
	gw_time_iso(now, t);
	pthread_mutex_lock(&g->log_mu);
	f = fopen(g->cfg.sent_log, "a");
	if (f) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s}", "at", t, "modem",
		                      modem, "phone", c->phone, "kind", c->kind, "ref",
		                      ref, "parts", parts, "text", c->text);
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line)
			fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
		fclose(f);
	}
	pthread_mutex_unlock(&g->log_mu);
}

static int record_send(struct slot *s, const struct claimed *c, int ok,
                       int sent_parts, int ref, int parts, const char *err,
                       long long now)
{
	sqlite3 *db = s->db;
	sqlite3_stmt *q;
	int rc;

	if (exec(db, "BEGIN IMMEDIATE"))
		return -1;
	if (ok || sent_parts > 0) {
		rc = sqlite3_prepare_v2(db,
		                        "UPDATE queue SET state=?, sent_at=?, ref=?, parts=?,"
		                        " error=? WHERE id=?",
		                        -1, &q, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(q, 1, ok ? "sent" : "unknown", -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_int(q, 3, ref);
		sqlite3_bind_int(q, 4, parts);
		sqlite3_bind_text(q, 5, ok ? NULL : err, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, c->id);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			goto fail;
		if (journal_contact(s->g, db, c->household, "sms_sent",
		                    c->pack[0] ? c->pack : NULL, now))
			goto fail;
		if (strcmp(c->kind, "question") == 0 || strcmp(c->kind, "intro") == 0) {
			/* the reminder clock runs from when the question really went */
			rc = sqlite3_prepare_v2(
			    db,
			    "UPDATE conv SET asked_at=?1, due=CASE WHEN reminded=0 THEN"
			    " ?1 + ?2 ELSE due END WHERE campaign=?3 AND household=?4"
			    " AND status='asking' AND asked_at < ?1",
			    -1, &q, NULL);
			if (rc != SQLITE_OK)
				goto fail;
			sqlite3_bind_int64(q, 1, now);
			sqlite3_bind_int64(q, 2, s->g->cfg.flow.remind_after);
			sqlite3_bind_text(q, 3, c->campaign, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 4, c->household, -1, SQLITE_STATIC);
			rc = sqlite3_step(q);
			sqlite3_finalize(q);
			if (rc != SQLITE_DONE)
				goto fail;
		}
	} else {
		/* nothing went out: it may be tried again, three times at most */
		rc = sqlite3_prepare_v2(db,
		                        "UPDATE queue SET state=CASE WHEN attempts>=2 THEN"
		                        " 'failed' ELSE 'pending' END, attempts=attempts+1,"
		                        " modem=NULL, claimed_at=NULL, sent_day=NULL,"
		                        " error=? WHERE id=?",
		                        -1, &q, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(q, 1, err, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, c->id);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			goto fail;
	}
	return exec(db, "COMMIT");
fail:
	exec(db, "ROLLBACK");
	return -1;
}

static void modem_status(struct slot *s, long long now)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT OR REPLACE INTO modems(name, connected, signal,"
	                       " last_error, updated_at) VALUES(?,?,?,?,?)",
	                       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, gw_modem_connected(s->m));
	sqlite3_bind_int(q, 3, s->signal);
	sqlite3_bind_text(q, 4, s->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, now);
	sqlite3_step(q);
	sqlite3_finalize(q);
}

ax_rc gw_modem_cycle(gw_gateway *g, int i)
{
	struct slot *s = &g->slots[i];
	long long now = gw_now(g);
	char err[256];
	int nread = 0;
	struct timespec t0, t1;

	if (!gw_modem_connected(s->m)) {
		if (now < s->next_try && s->next_try - now <= g->cfg.max_backoff)
			return AX_OK;
		if (gw_modem_connect(s->m, err, sizeof err)) {
			/* back off: 5 s, 10 s, 20 s ... max_backoff */
			s->backoff = s->backoff ? s->backoff * 2 : 5;
			if (s->backoff > g->cfg.max_backoff)
				s->backoff = g->cfg.max_backoff;
			s->next_try = now + s->backoff;
			snprintf(s->last_error, sizeof s->last_error, "%s", err);
			modem_status(s, now);
			return AX_IO;
		}
		s->backoff = 0;
		s->signal = gw_modem_signal(s->m);
		s->signal_at = now;
		modem_status(s, now);
	}
	if (gw_modem_poll(s->m, on_incoming, on_report, on_commit, s, now, &nread,
	                  err, sizeof err)) {
		if (s->in_txn) { /* the read failed before its commit */
			exec(s->db, "ROLLBACK");
			s->in_txn = 0;
		}
		snprintf(s->last_error, sizeof s->last_error, "%s", err);
		gw_modem_disconnect(s->m);
		modem_status(s, now);
		return AX_IO;
	}
	/* Then send what the send layer lets go, until receive_frequency
	 * seconds have passed (gammu-smsd's ReceiveFrequency): the inbox is
	 * read once per cycle, not before every few sends, because on some
	 * drivers a read costs more than many sends (libgammu's dummy driver
	 * opens 5 x 10000 files per read). */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int tries = 0;; tries++) {
		struct claimed c;
		int ref, parts, sent_parts, r;
		long long ms;
		if (g->stop && *g->stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		/* at least one send per cycle: receive_frequency = 0 reads the
		 * inbox between every two sends, as in gammu-smsd */
		if (tries > 0 && ms >= g->cfg.receive_frequency_ms)
			break;
		now = gw_now(g);
		r = claim(s, now, &c);
		if (r <= 0)
			break;
		r = gw_modem_send(s->m, c.phone, c.text, &ref, &parts, &sent_parts, err,
		                  sizeof err);
		crash_point("after_send");
		if (record_send(s, &c, r == 0, sent_parts, ref, parts, err, now) == 0) {
			if (r == 0)
				sent_log_append(g, &c, g->cfg.modems[i].name, now, ref, parts);
			else if (sent_parts == 0) /* given back to the queue */
				counts_add(s, c.claimed_at, -1);
		}
		free(c.text);
		if (r) {
			snprintf(s->last_error, sizeof s->last_error, "%s", err);
			gw_modem_disconnect(s->m);
			modem_status(s, now);
			return AX_IO;
		}
	}
	if (now - s->signal_at >= 60) {
		s->signal = gw_modem_signal(s->m);
		s->signal_at = now;
		modem_status(s, now);
	}
	return AX_OK;
}

/* ---- open, run, status ------------------------------------------------------------- */

/* A gateway with its configuration and clock, nothing opened yet. */
static gw_gateway *gw_alloc(const struct gw_config *cfg)
{
	gw_gateway *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	g->cfg = *cfg;
	pthread_mutex_init(&g->log_mu, NULL);
	if (cfg->clock_file[0])
		gw_set_clock(g, file_clock, g->cfg.clock_file);
	else
		gw_set_clock(g, NULL, NULL);
	return g;
}

ax_rc gw_open(const struct gw_config *cfg, gw_gateway **out, char *err,
              size_t errlen)
{
	gw_gateway *g;
	char aerr[256];
	int i;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return AX_ERROR;
	}
	if (!(g = gw_alloc(cfg))) {
		snprintf(err, errlen, "out of memory");
		return AX_NOMEM;
	}
	if (ax_store_open(cfg->store, AX_STORE_CREATE, &g->st, aerr, sizeof aerr) !=
	    AX_OK) {
		snprintf(err, errlen, "%s", aerr);
		goto fail;
	}
	g->db = open_db(cfg->gateway_db, err, errlen);
	if (!g->db)
		goto fail;
	/* a message claimed but never recorded may have gone out: never again */
	exec(g->db, "UPDATE queue SET state='unknown', error='interrupted while"
	            " sending' WHERE state='sending'");
	for (i = 0; i < cfg->nmodems; i++) {
		struct slot *s = &g->slots[i];
		s->g = g;
		s->index = i;
		s->signal = -1;
		s->m = gw_modem_new(&cfg->modems[i]);
		s->db = s->m ? open_db(cfg->gateway_db, err, errlen) : NULL;
		if (!s->m || !s->db) {
			if (!s->m)
				snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
	*out = g;
	return AX_OK;
fail:
	gw_close(g);
	return AX_ERROR;
}

ax_rc gw_open_status(const struct gw_config *cfg, gw_gateway **out, char *err,
                     size_t errlen)
{
	gw_gateway *g;
	char aerr[256];

	*out = NULL;
	if (!(g = gw_alloc(cfg))) {
		snprintf(err, errlen, "out of memory");
		return AX_NOMEM;
	}
	if (ax_store_open(cfg->store, AX_STORE_READONLY, &g->st, aerr, sizeof aerr) !=
	    AX_OK) {
		snprintf(err, errlen, "%s ([smsd] store; --status creates nothing)", aerr);
		goto fail;
	}
	if (sqlite3_open_v2(cfg->gateway_db, &g->db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen,
		         "%s: %s ([smsd] gateway_db; --status creates nothing: has "
		         "anxin-smsd run with this configuration?)",
		         cfg->gateway_db, g->db ? sqlite3_errmsg(g->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(g->db, 5000);
	*out = g;
	return AX_OK;
fail:
	gw_close(g);
	return AX_ERROR;
}

void gw_close(gw_gateway *g)
{
	int i;
	if (!g)
		return;
	for (i = 0; i < GW_MAX_MODEMS; i++) {
		gw_modem_free(g->slots[i].m);
		sqlite3_finalize(g->slots[i].ins_inbox);
		sqlite3_finalize(g->slots[i].ins_report);
		sqlite3_close(g->slots[i].db);
	}
	free_loaded(g);
	for (i = 0; i < g->ncache; i++)
		sqlite3_finalize(g->cache[i].st);
	sqlite3_close(g->db);
	ax_store_close(g->st);
	pthread_mutex_destroy(&g->log_mu);
	free(g);
}

struct runarg {
	gw_gateway *g;
	int i;
	volatile sig_atomic_t *stop;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *modem_thread(void *p)
{
	struct runarg *a = p;
	while (!*a->stop) {
		gw_modem_cycle(a->g, a->i);
		/* a short pause in pieces, so SIGTERM is seen quickly */
		for (int k = 0; k < a->g->cfg.poll_ms / 100 && !*a->stop; k++)
			sleep_ms(100);
	}
	gw_modem_disconnect(a->g->slots[a->i].m);
	return NULL;
}

ax_rc gw_run(gw_gateway *g, volatile sig_atomic_t *stop)
{
	pthread_t th[GW_MAX_MODEMS];
	struct runarg args[GW_MAX_MODEMS];
	int i, n = 0;

	g->stop = stop;
	for (i = 0; i < g->cfg.nmodems; i++) {
		args[i].g = g;
		args[i].i = i;
		args[i].stop = stop;
		if (pthread_create(&th[i], NULL, modem_thread, &args[i]) != 0)
			break;
		n++;
	}
	while (!*stop) {
		gw_step(g);
		for (int k = 0; k < g->cfg.poll_ms / 100 && !*stop; k++)
			sleep_ms(100);
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	gw_step(g); /* forward what the last sends journalled */
	return AX_OK;
}

ax_rc gw_status_print(gw_gateway *g, FILE *out)
{
	sqlite3_stmt *q;
	long long now = gw_now(g);
	int day = cst_day(now), i;
	struct ax_outbox_status os;

	fprintf(out, "%-10s %-9s %6s %10s %10s  %s\n", "modem", "state", "signal",
	        "sent today", "recv today", "last error");
	for (i = 0; i < g->cfg.nmodems; i++) {
		const char *name = g->cfg.modems[i].name;
		int connected = 0, signal = -1;
		char last[256] = "";
		long long sent, recv;
		if (sqlite3_prepare_v2(g->db,
		                       "SELECT connected, signal, last_error FROM modems"
		                       " WHERE name=?",
		                       -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW) {
				connected = sqlite3_column_int(q, 0);
				signal = sqlite3_column_int(q, 1);
				snprintf(last, sizeof last, "%s",
				         sqlite3_column_text(q, 2) ? (const char *)sqlite3_column_text(q, 2) : "");
			}
			sqlite3_finalize(q);
		}
		sent = count1(g->db, "SELECT COUNT(*) FROM queue WHERE modem=?1 AND"
		                     " sent_day=?2 AND state IN ('sent','unknown')",
		              name, day);
		recv = count1(g->db, "SELECT COUNT(*) FROM inbox WHERE modem=?1 AND"
		                     " received_at >= ?2",
		              name, (long long)day * 86400 - 8 * 3600);
		fprintf(out, "%-10s %-9s %5d%% %10lld %10lld  %s\n", name,
		        connected ? "connected" : "down", signal, sent, recv, last);
	}
	fprintf(out, "queue: %lld pending, %lld blocked by opt-out, %lld unknown\n",
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE state='pending' AND ?1 IS NOT ?2", "", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE state='blocked' AND ?1 IS NOT ?2", "", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE state='unknown' AND ?1 IS NOT ?2", "", 0));
	fprintf(out, "inbox: %lld from unknown senders, %lld late replies; opt-outs: %lld\n",
	        count1(g->db, "SELECT COUNT(*) FROM inbox WHERE state='unknown' AND ?1 IS NOT ?2", "", 0),
	        count1(g->db, "SELECT COUNT(*) FROM inbox WHERE state='late' AND ?1 IS NOT ?2", "", 0),
	        count1(g->db, "SELECT COUNT(*) FROM optout WHERE ?1 IS NOT ?2", "", 0));
	fprintf(out, "conversations: %lld asking, %lld done, %lld expired, %lld opted out\n",
	        count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "asking", 0),
	        count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "done", 0),
	        count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "expired", 0),
	        count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "opted_out", 0));
	fprintf(out, "delivery: %lld sent, %lld delivered, %lld sent but unconfirmed\n",
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE state=?1 AND ?2=0", "sent", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE state=?1 AND ?2=0 AND delivered_at IS NOT NULL", "sent", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE state=?1 AND ?2=0 AND delivered_at IS NULL", "sent", 0));
	fprintf(out, "outreach: %lld digests queued, %lld sent (%lld delivered, %lld"
	             " unconfirmed), %lld blocked by opt-out\n",
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0", "digest", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state='sent'", "digest", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state='sent' AND delivered_at IS NOT NULL", "digest", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state IN ('sent','unknown') AND delivered_at IS NULL", "digest", 0),
	        count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state='blocked'", "digest", 0));
	if (ax_outbox_status(g->st, &os) == AX_OK)
		fprintf(out, "outbox: %ld pending, %ld sent%s%s\n", os.pending, os.sent,
		        os.last_error[0] ? "; last error: " : "", os.last_error);
	return AX_OK;
}
