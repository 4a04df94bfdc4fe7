/*
 * session.c -- kiosk sessions in the store, see session.h.
 *
 * Durability.  The kiosk wants every answer on disk before the next
 * screen shows.  libanxin opens its store with synchronous=FULL (WAL), and
 * the kiosk's own tables are written through a second connection, also
 * synchronous=FULL: libanxin's public API has no way to write the kiosk's
 * tables through the ax_store handle (only ax_store_begin/commit/rollback
 * around its own writes), and a raw connection writing libanxin's outbox
 * table would bypass its API.
 *
 * What the two connections still give: the records of a session are put
 * in the outbox in ONE store transaction (ax_store_begin .. commit), and
 * the session is marked queued afterwards on the FULL connection.  Both
 * connections append to the same WAL file, and the FULL commit fsyncs
 * that file, so the outbox frames written just before are on disk when
 * ksess_finish returns.  A crash between the two commits leaves the
 * session unmarked; ksess_recover rebuilds the same bytes and
 * ax_outbox_put accepts them again as a no-op.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <uuid/uuid.h>

#include <anxin/sync.h>

/* A session as memory holds it: the open one always (so it can move to
 * memory at any answer), ended ones while the store is failing.  Fixed
 * sizes: holding never needs an allocation that could fail mid-session. */
#define MAX_ANSWERS 64
struct mem_answer {
	char qid[64];
	char value[192]; /* JSON text; "" = withdrawn (delete the row) */
	long long at;
};
struct mem_sess {
	char id[40], survey[64], wave[64], sealed[160], pack[64];
	int version, has_wave, has_sealed, has_pack, fast;
	enum ksess_status status;
	long long started, ended;
	struct mem_answer a[MAX_ANSWERS];
	int na;
};

struct ksess {
	ax_store *st; /* both NULL while a failing store is closed */
	sqlite3 *db;
	char path[512], device[64], region[32];
	char cur[40]; /* open session id, "" none */
	char err[256];
	int last;     /* storage class of the last failure (AX_FULL ...), or 0 */
	/* a failing store (see session.h) */
	int down;              /* 0, or the storage class of the first failure */
	char why[256];
	struct mem_sess cur_m; /* the open session */
	int cur_disk;          /* its row is on disk */
	int cur_mem;           /* its later writes go to memory only */
	struct mem_sess *held; /* ended sessions waiting, oldest first */
	int nheld, hold_max;
	int need_recover;      /* opened failing: ksess_recover not run yet */
};

static const char *const status_names[] = {"complete", "partial", "abandoned"};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS kiosk_sessions("
    " id TEXT PRIMARY KEY, survey TEXT NOT NULL, survey_version INTEGER NOT "
    "NULL, wave TEXT, started_at INTEGER NOT NULL, ended_at INTEGER,"
    " status TEXT, sealed TEXT, fast INTEGER NOT NULL DEFAULT 0,"
    " queued INTEGER NOT NULL DEFAULT 0, pack TEXT);"
    "CREATE TABLE IF NOT EXISTS kiosk_answers("
    " session TEXT NOT NULL REFERENCES kiosk_sessions(id), qid TEXT NOT NULL,"
    " value TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY(session, qid));";

/* The storage class of a failed SQLite call: AX_FULL, AX_READONLY, AX_IO,
 * or 0 for anything else (a bug, a busy lock).  A file system that went
 * read-only under an open file gives SQLITE_IOERR with errno EROFS. */
static int storage_class(int rc, int eno)
{
	switch (rc & 0xff) {
	case SQLITE_FULL: return AX_FULL;
	case SQLITE_READONLY: return AX_READONLY;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return eno == EROFS ? AX_READONLY : eno == ENOSPC ? AX_FULL : AX_IO;
	default: return 0;
	}
}

/* An I/O error says little (SQLite reports the errno of its last system
 * call, often not the one that failed): ask the file system holding the
 * store whether it is read-only or out of space. */
static int probe(const ksess *s, int cls)
{
	char dir[512];
	char *slash;
	struct statvfs v;
	int fd;
	if (cls != AX_IO)
		return cls;
	snprintf(dir, sizeof dir, "%s", s->path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		slash[slash == dir] = 0;
	if (statvfs(dir, &v) == 0) {
		if (v.f_flag & ST_RDONLY)
			return AX_READONLY;
		if (v.f_bavail == 0)
			return AX_FULL;
	}
	/* a file system the kernel forced read-only after an error (ext4
	 * errors=remount-ro) still looks read-write to statvfs; opening the
	 * store for writing tells */
	fd = open(s->path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	else if (errno == EROFS)
		return AX_READONLY;
	return cls;
}

static int fail(ksess *s, const char *what)
{
	if (s->db && sqlite3_system_errno(s->db))
		snprintf(s->err, sizeof s->err, "%s: %s (%s)", what,
		         sqlite3_errmsg(s->db), strerror(sqlite3_system_errno(s->db)));
	else
		snprintf(s->err, sizeof s->err, "%s: %s", what,
		         s->db ? sqlite3_errmsg(s->db) : "no database");
	s->last = s->db ? probe(s, storage_class(sqlite3_extended_errcode(s->db),
	                                         sqlite3_system_errno(s->db)))
	                : AX_IO;
	return -1;
}

/* The same for a libanxin call that failed with rc. */
static int fail_ax(ksess *s, const char *what, ax_rc rc)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what,
	         s->st ? ax_store_errmsg(s->st) : ax_rc_str(rc));
	s->last = rc == AX_FULL || rc == AX_READONLY || rc == AX_IO ? probe(s, (int)rc) : 0;
	return -1;
}

static void iso(long long t, char out[32])
{
	/* China Standard Time has no DST: UTC+8 always */
	long long l = t + 8 * 3600, d = l / 86400, sec = l % 86400;
	long long z, era, doe, yoe, doy, mp, dd, mm, yy;
	if (sec < 0) {
		sec += 86400;
		d--;
	}
	z = d + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	dd = doy - (153 * mp + 2) / 5 + 1;
	mm = mp < 10 ? mp + 3 : mp - 9;
	yy = yoe + era * 400 + (mm <= 2);
	snprintf(out, 32, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld+08:00", yy, mm,
	         dd, sec / 3600, sec % 3600 / 60, sec % 60);
}

/* Stores of the first kiosk build have no kiosk_sessions.pack. */
static int add_pack_column(sqlite3 *db)
{
	sqlite3_stmt *st;
	int have = 0, rc;
	rc = sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('kiosk_sessions') "
	                            "WHERE name = 'pack'",
	                        -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	have = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	if (have)
		return SQLITE_OK;
	return sqlite3_exec(db, "ALTER TABLE kiosk_sessions ADD COLUMN pack TEXT", NULL,
	                    NULL, NULL);
}

/* Open both connections on s->path; 0 or -1 with s->err and s->last. */
static int open_store(ksess *s, int create)
{
	char e[256] = "";
	ax_rc arc = ax_store_open(s->path, create ? AX_STORE_CREATE : 0, &s->st, e,
	                          sizeof e);
	int rc;
	if (arc != AX_OK) {
		snprintf(s->err, sizeof s->err, "%s", e);
		/* whatever it is (a missing file: an unmounted file system), a
		 * store that cannot be opened is a failing store */
		s->last = probe(s, arc == AX_FULL || arc == AX_READONLY ? (int)arc : AX_IO);
		return -1;
	}
	rc = sqlite3_open_v2(s->path, &s->db, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(s->db, 5000);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
		                  NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(s->db, schema, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = add_pack_column(s->db);
	if (rc != SQLITE_OK) {
		snprintf(s->err, sizeof s->err, "%s: %s", s->path,
		         s->db ? sqlite3_errmsg(s->db) : "cannot open");
		s->last = storage_class(s->db ? sqlite3_extended_errcode(s->db) : rc,
		                        s->db ? sqlite3_system_errno(s->db) : 0);
		s->last = probe(s, s->last ? s->last : AX_IO);
		return -1;
	}
	return 0;
}

/* Close both connections: no file of the store stays open. */
static void close_store(ksess *s)
{
	sqlite3_close_v2(s->db);
	ax_store_close(s->st);
	s->db = NULL;
	s->st = NULL;
}

/* The first failure of a failing store: remember why, close it. */
static void go_down(ksess *s)
{
	if (!s->down) {
		s->down = s->last ? s->last : AX_IO;
		snprintf(s->why, sizeof s->why, "%s", s->err);
	}
	close_store(s);
}

int ksess_open(const char *path, const char *device, const char *region,
               ksess **out, char *err, size_t errlen)
{
	ksess *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(s->path, sizeof s->path, "%s", path);
	snprintf(s->device, sizeof s->device, "%s", device);
	snprintf(s->region, sizeof s->region, "%s", region);
	if (open_store(s, 1)) {
		/* a store that exists on a full or read-only file system: the
		 * kiosk starts failing, serving from memory; anything else (no
		 * such folder, not a database) is for whoever configured it */
		if ((s->last != AX_FULL && s->last != AX_READONLY) || access(path, F_OK)) {
			snprintf(err, errlen, "%s", s->err);
			goto fail;
		}
		go_down(s);
		s->need_recover = 1;
	}
	ksess_set_hold_max(s, 20);
	if (!s->held) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	ksess_close(s);
	return -1;
}

void ksess_close(ksess *s)
{
	if (!s)
		return;
	close_store(s);
	if (s->held) /* sealed numbers, answers: not left in freed memory */
		sodium_memzero(s->held, (size_t)s->hold_max * sizeof *s->held);
	free(s->held);
	sodium_memzero(s, sizeof *s);
	free(s);
}

void ksess_set_hold_max(ksess *s, int n)
{
	struct mem_sess *h;
	if (n < 1)
		n = 1;
	if (n < s->nheld)
		n = s->nheld;
	h = calloc((size_t)n, sizeof *h);
	if (!h)
		return; /* keeps the old bound */
	if (s->held) {
		memcpy(h, s->held, (size_t)s->nheld * sizeof *h);
		sodium_memzero(s->held, (size_t)s->hold_max * sizeof *s->held);
		free(s->held);
	}
	s->held = h;
	s->hold_max = n;
}

ax_store *ksess_store(ksess *s)
{
	return s->st;
}

const char *ksess_errmsg(const ksess *s)
{
	return s->err;
}

int ksess_active(const ksess *s)
{
	return s->cur[0] != 0;
}

/* Run one statement with text/int parameters: "t" text (NULL -> null),
 * "i" long long.  Returns 0 or -1. */
static int exec(ksess *s, const char *sql, const char *types, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;
	if (!s->db) {
		snprintf(s->err, sizeof s->err, "the store is closed: %s", s->why);
		s->last = s->down ? s->down : AX_IO;
		return -1;
	}
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(s, "prepare");
	va_start(ap, types);
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't') {
			const char *v = va_arg(ap, const char *);
			if (v)
				sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
			else
				sqlite3_bind_null(st, i + 1);
		} else
			sqlite3_bind_int64(st, i + 1, va_arg(ap, long long));
	}
	va_end(ap);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, "write");
}

int ksess_begin(ksess *s, const char *survey, int version, const char *wave,
                long long now)
{
	uuid_t u;
	char id[40];
	struct mem_sess *m = &s->cur_m;
	if (s->cur[0])
		ksess_finish(s, KSESS_ABANDONED, NULL, NULL, 0, now);
	/* memory is full: the store may be back before the next retry */
	if (s->down && s->nheld >= s->hold_max && ksess_flush(s, NULL) != 0)
		return KSESS_PAUSED;
	uuid_generate_random(u);
	uuid_unparse_lower(u, id);
	memset(m, 0, sizeof *m);
	snprintf(m->id, sizeof m->id, "%s", id);
	snprintf(m->survey, sizeof m->survey, "%s", survey);
	m->version = version;
	if (wave) {
		snprintf(m->wave, sizeof m->wave, "%s", wave);
		m->has_wave = 1;
	}
	m->started = now;
	s->cur_disk = 0;
	s->cur_mem = s->down != 0;
	if (!s->down) {
		if (exec(s,
		         "INSERT INTO kiosk_sessions(id, survey, survey_version, wave, "
		         "started_at) VALUES(?, ?, ?, ?, ?)",
		         "ttiti", id, survey, (long long)version, wave, now) == 0)
			s->cur_disk = 1;
		else if (s->last) {
			go_down(s);
			s->cur_mem = 1;
		} else
			return -1;
	}
	snprintf(s->cur, sizeof s->cur, "%s", id);
	return 0;
}

/* Record an answer (NULL: withdrawn) in the open session's copy. */
static int remember(ksess *s, const char *qid, const char *value_json,
                    long long now)
{
	struct mem_sess *m = &s->cur_m;
	struct mem_answer *a = NULL;
	if (strlen(qid) >= sizeof m->a[0].qid ||
	    (value_json && (!value_json[0] || strlen(value_json) >= sizeof m->a[0].value))) {
		snprintf(s->err, sizeof s->err, "answer %s: too long to hold", qid);
		return -1;
	}
	for (int i = 0; i < m->na; i++)
		if (strcmp(m->a[i].qid, qid) == 0)
			a = &m->a[i];
	if (!a) {
		if (m->na == MAX_ANSWERS) {
			snprintf(s->err, sizeof s->err, "answer %s: more than %d questions",
			         qid, MAX_ANSWERS);
			return -1;
		}
		a = &m->a[m->na++];
		snprintf(a->qid, sizeof a->qid, "%s", qid);
	}
	snprintf(a->value, sizeof a->value, "%s", value_json ? value_json : "");
	a->at = now;
	return 0;
}

int ksess_answer(ksess *s, const char *qid, const char *value_json,
                 long long now)
{
	int rc;
	if (!s->cur[0]) {
		snprintf(s->err, sizeof s->err, "no open session");
		return -1;
	}
	if (remember(s, qid, value_json, now))
		return -1;
	if (s->cur_mem)
		return 0;
	if (!value_json)
		rc = exec(s, "DELETE FROM kiosk_answers WHERE session = ? AND qid = ?",
		          "tt", s->cur, qid);
	else
		rc = exec(s,
		          "INSERT INTO kiosk_answers(session, qid, value, at) "
		          "VALUES(?, ?, ?, ?) ON CONFLICT(session, qid) DO UPDATE SET "
		          "value = excluded.value, at = excluded.at",
		          "ttti", s->cur, qid, value_json, now);
	if (rc && s->last) {
		/* from now on this session lives in memory */
		go_down(s);
		s->cur_mem = 1;
		return 0;
	}
	return rc;
}

/* The contact's id: a name-based UUID (SHA-1) under the session's id, so
 * rebuilding it after a crash gives the same id and the same bytes. */
static void contact_id(const char *session, char out[40])
{
	uuid_t ns, u;
	static const char name[] = "kiosk_session";
	if (uuid_parse(session, ns) != 0)
		memset(ns, 0, sizeof ns);
	uuid_generate_sha1(u, ns, name, sizeof name - 1);
	uuid_unparse_lower(u, out);
}

/* Put one record in the outbox; 0 or -1 with the store's message.  A
 * conflict (same id, other bytes) can only be a record an older build
 * queued for this session before a crash: the queued one stands, as
 * ax_outbox_put keeps it, and the session counts as queued. */
static int put(ksess *s, const char *id, json_t *rec)
{
	char *body = json_dumps(rec, JSON_COMPACT | JSON_SORT_KEYS);
	int rc = 0;
	ax_rc arc;
	if (!body) {
		snprintf(s->err, sizeof s->err, "out of memory");
		return -1;
	}
	arc = ax_outbox_put(s->st, id, body);
	if (arc != AX_OK && arc != AX_CONFLICT)
		rc = fail_ax(s, "outbox", arc);
	free(body);
	return rc;
}

/*
 * Build the records of a finished session and put them in the outbox in
 * one store transaction, then mark the session queued (see the banner on
 * durability).  Deterministic: the same rows give the same bytes.
 *   response: answers, status, "flags":["fast"] when flagged,
 *             "household_phone_sealed" when linked;
 *   contact:  only when linked: kind kiosk_session, channel kiosk, the
 *             pack (or null), the same sealed number, at = ended_at.
 */
static int queue(ksess *s, const char *id)
{
	sqlite3_stmt *st = NULL;
	json_t *rec = NULL, *answers = NULL, *contact = NULL;
	char t[32], cid[40];
	int rc = -1, n = 0, in_tx = 0;
	ax_rc arc;

	if (!s->db)
		return exec(s, "", ""); /* the store is closed: fails with why */

	if (sqlite3_prepare_v2(s->db,
	                       "SELECT survey, survey_version, wave, started_at, "
	                       "ended_at, status, sealed, fast, pack FROM "
	                       "kiosk_sessions WHERE id = ?",
	                       -1, &st, NULL) != SQLITE_OK)
		return fail(s, "prepare");
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		fail(s, "read session");
		goto done;
	}
	rec = json_object();
	answers = json_object();
	if (!rec || !answers)
		goto oom;
	json_object_set_new(rec, "type", json_string("response"));
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "survey",
	                    json_string((const char *)sqlite3_column_text(st, 0)));
	json_object_set_new(rec, "survey_version",
	                    json_integer(sqlite3_column_int(st, 1)));
	if (sqlite3_column_type(st, 2) != SQLITE_NULL)
		json_object_set_new(rec, "wave",
		                    json_string((const char *)sqlite3_column_text(st, 2)));
	json_object_set_new(rec, "channel", json_string("kiosk"));
	json_object_set_new(rec, "device", json_string(s->device));
	json_object_set_new(rec, "region", json_string(s->region));
	iso(sqlite3_column_int64(st, 3), t);
	json_object_set_new(rec, "started_at", json_string(t));
	iso(sqlite3_column_int64(st, 4), t); /* t: ended_at from here on */
	if (strcmp((const char *)sqlite3_column_text(st, 5), "complete") == 0)
		json_object_set_new(rec, "completed_at", json_string(t));
	json_object_set_new(rec, "status",
	                    json_string((const char *)sqlite3_column_text(st, 5)));
	if (sqlite3_column_int(st, 7)) {
		json_t *fl = json_array();
		if (!fl || json_array_append_new(fl, json_string("fast")) ||
		    json_object_set_new(rec, "flags", fl))
			goto oom;
	}
	if (sqlite3_column_type(st, 6) != SQLITE_NULL) {
		const char *sealed = (const char *)sqlite3_column_text(st, 6);
		json_object_set_new(rec, "household_phone_sealed", json_string(sealed));
		contact = json_object();
		if (!contact)
			goto oom;
		contact_id(id, cid);
		json_object_set_new(contact, "type", json_string("contact"));
		json_object_set_new(contact, "id", json_string(cid));
		json_object_set_new(contact, "household_phone_sealed", json_string(sealed));
		json_object_set_new(contact, "channel", json_string("kiosk"));
		json_object_set_new(contact, "kind", json_string("kiosk_session"));
		json_object_set_new(contact, "pack",
		                    sqlite3_column_type(st, 8) == SQLITE_NULL
		                        ? json_null()
		                        : json_string((const char *)sqlite3_column_text(st, 8)));
		json_object_set_new(contact, "device", json_string(s->device));
		json_object_set_new(contact, "at", json_string(t));
	}
	sqlite3_finalize(st);
	st = NULL;

	if (sqlite3_prepare_v2(s->db,
	                       "SELECT qid, value FROM kiosk_answers WHERE session = ? "
	                       "ORDER BY qid",
	                       -1, &st, NULL) != SQLITE_OK) {
		fail(s, "prepare");
		goto done;
	}
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		json_t *v = json_loads((const char *)sqlite3_column_text(st, 1),
		                       JSON_DECODE_ANY, NULL);
		if (v) {
			json_object_set_new(answers, (const char *)sqlite3_column_text(st, 0), v);
			n++;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	json_object_set(rec, "answers", answers);
	if (n == 0) {
		/* nothing was answered: nothing to report (and no link: the
		 * household step comes after the last answer) */
		rc = exec(s, "DELETE FROM kiosk_sessions WHERE id = ?", "t", id);
		goto done;
	}
	if ((arc = ax_store_begin(s->st)) != AX_OK) {
		fail_ax(s, "outbox", arc);
		goto done;
	}
	in_tx = 1;
	if (put(s, id, rec) || (contact && put(s, cid, contact)))
		goto done;
	if ((arc = ax_store_commit(s->st)) != AX_OK) {
		fail_ax(s, "outbox", arc);
		goto done;
	}
	in_tx = 0;
	rc = exec(s, "UPDATE kiosk_sessions SET queued = 1 WHERE id = ?", "t", id);
	goto done;
oom:
	snprintf(s->err, sizeof s->err, "out of memory");
done:
	if (in_tx)
		ax_store_rollback(s->st);
	sqlite3_finalize(st);
	json_decref(answers);
	json_decref(rec);
	json_decref(contact);
	return rc;
}

/* Queue every ended session not yet queued (a crash, or a store that
 * failed between a session's end and its queueing). */
static int queue_pending(ksess *s, int *n)
{
	sqlite3_stmt *st;
	char ids[64][40];
	int k;
	for (;;) {
		k = 0;
		if (sqlite3_prepare_v2(s->db,
		                       "SELECT id FROM kiosk_sessions WHERE queued = 0 "
		                       "AND status IS NOT NULL ORDER BY started_at LIMIT 64",
		                       -1, &st, NULL) != SQLITE_OK)
			return fail(s, "prepare");
		while (k < 64 && sqlite3_step(st) == SQLITE_ROW)
			snprintf(ids[k++], sizeof ids[0], "%s",
			         (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (k == 0)
			return 0;
		for (int i = 0; i < k; i++) {
			if (queue(s, ids[i]))
				return -1;
			if (n)
				(*n)++;
		}
	}
}

/* Write a held session's rows in one transaction: the session (its row
 * may be on disk already, begun before the store failed), every answer
 * (withdrawn ones deleted) and its end. */
static int write_held(ksess *s, const struct mem_sess *m)
{
	if (exec(s, "BEGIN IMMEDIATE", ""))
		return -1;
	if (exec(s,
	         "INSERT INTO kiosk_sessions(id, survey, survey_version, wave, "
	         "started_at) VALUES(?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING",
	         "ttiti", m->id, m->survey, (long long)m->version,
	         m->has_wave ? m->wave : NULL, m->started))
		goto fail;
	for (int i = 0; i < m->na; i++) {
		const struct mem_answer *a = &m->a[i];
		if (a->value[0] ? exec(s,
		                       "INSERT INTO kiosk_answers(session, qid, value, at) "
		                       "VALUES(?, ?, ?, ?) ON CONFLICT(session, qid) DO "
		                       "UPDATE SET value = excluded.value, at = excluded.at",
		                       "ttti", m->id, a->qid, a->value, a->at)
		                : exec(s,
		                       "DELETE FROM kiosk_answers WHERE session = ? AND "
		                       "qid = ?",
		                       "tt", m->id, a->qid))
			goto fail;
	}
	if (exec(s,
	         "UPDATE kiosk_sessions SET ended_at = ?, status = ?, sealed = ?, "
	         "pack = ?, fast = ? WHERE id = ? AND status IS NULL",
	         "itttit", m->ended, status_names[m->status],
	         m->has_sealed ? m->sealed : NULL, m->has_pack ? m->pack : NULL,
	         (long long)m->fast, m->id) ||
	    exec(s, "COMMIT", ""))
		goto fail;
	return 0;
fail:
	if (s->db && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

int ksess_flush(ksess *s, int *written)
{
	if (written)
		*written = 0;
	if (!s->down && s->nheld == 0)
		return 0;
	/* never create it here: an unmounted file system must not get a new,
	 * empty store in its mount point */
	if (!s->db && open_store(s, 0))
		goto fail;
	/* what a crash left open before a start on a failing store; the
	 * session open now, if any, began in memory, so it is not among them */
	if (s->need_recover) {
		int n;
		if (ksess_recover(s, &n))
			goto fail;
		s->need_recover = 0;
	}
	if (queue_pending(s, NULL))
		goto fail;
	while (s->nheld > 0) {
		char id[40];
		if (write_held(s, &s->held[0]))
			goto fail;
		/* on disk: memory lets go of it, oldest first */
		snprintf(id, sizeof id, "%s", s->held[0].id);
		memmove(s->held, s->held + 1, (size_t)(s->nheld - 1) * sizeof *s->held);
		s->nheld--;
		sodium_memzero(&s->held[s->nheld], sizeof *s->held);
		if (written)
			(*written)++;
		if (queue(s, id))
			goto fail; /* on disk, queued by the next flush */
	}
	s->down = 0;
	s->why[0] = 0;
	return 0;
fail:
	/* still failing, maybe differently (full, then read-only) */
	s->down = s->last ? s->last : s->down ? s->down : AX_IO;
	snprintf(s->why, sizeof s->why, "%s", s->err);
	close_store(s);
	return -1;
}

static int has_answers(const struct mem_sess *m)
{
	for (int i = 0; i < m->na; i++)
		if (m->a[i].value[0])
			return 1;
	return 0;
}

int ksess_finish(ksess *s, enum ksess_status stat, const char *sealed,
                 const char *pack, int fast, long long now)
{
	char id[40];
	struct mem_sess *m = &s->cur_m;
	if (!s->cur[0])
		return 0;
	snprintf(id, sizeof id, "%s", s->cur);
	s->cur[0] = 0;
	if (!s->cur_mem) {
		if (exec(s,
		         "UPDATE kiosk_sessions SET ended_at = ?, status = ?, sealed = ?, "
		         "pack = ?, fast = ? WHERE id = ? AND status IS NULL",
		         "itttit", now, status_names[stat], sealed, pack, (long long)fast,
		         id) == 0) {
			if (queue(s, id) == 0)
				return 0;
			if (!s->last)
				return -1;
			/* ended on disk; queued by the next flush */
			go_down(s);
			return 0;
		}
		if (!s->last)
			return -1;
		go_down(s);
	}
	/* held in memory until the store takes it */
	if (!s->cur_disk && !has_answers(m)) {
		sodium_memzero(m, sizeof *m);
		return 0; /* nothing answered, nothing on disk: nothing to keep */
	}
	m->status = stat;
	m->ended = now;
	m->fast = fast;
	if (sealed && strlen(sealed) < sizeof m->sealed) {
		snprintf(m->sealed, sizeof m->sealed, "%s", sealed);
		m->has_sealed = 1;
	}
	if (pack) {
		snprintf(m->pack, sizeof m->pack, "%s", pack);
		m->has_pack = 1;
	}
	/* begin keeps nheld < hold_max for a session begun while failing; one
	 * begun on disk started with nothing held */
	if (s->nheld >= s->hold_max) {
		snprintf(s->err, sizeof s->err, "memory for held sessions is full");
		sodium_memzero(m, sizeof *m);
		return -1;
	}
	s->held[s->nheld++] = *m;
	sodium_memzero(m, sizeof *m);
	s->cur_mem = 0;
	if (!s->down) /* the store came back while this resident answered */
		ksess_flush(s, NULL);
	return 0;
}

int ksess_recover(ksess *s, int *recovered)
{
	*recovered = 0;
	/* a session left open ends when its last answer was given */
	if (exec(s,
	         "UPDATE kiosk_sessions SET status = 'abandoned', ended_at = "
	         "coalesce((SELECT max(at) FROM kiosk_answers WHERE session = id), "
	         "started_at) WHERE status IS NULL",
	         ""))
		return -1;
	return queue_pending(s, recovered);
}

void ksess_health(const ksess *s, struct ksess_health *out)
{
	memset(out, 0, sizeof *out);
	out->down = s->down;
	out->held = s->nheld + (s->cur[0] && s->cur_mem && has_answers(&s->cur_m));
	out->hold_max = s->hold_max;
	snprintf(out->why, sizeof out->why, "%s", s->why);
}

int ksess_counts(ksess *s, long long since, struct ksess_counts *out)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
	if (!s->db)
		return -1;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT status, count(*) FROM kiosk_sessions WHERE "
	                       "ended_at >= ? AND queued = 1 GROUP BY status",
	                       -1, &st, NULL) != SQLITE_OK)
		return fail(s, "prepare");
	sqlite3_bind_int64(st, 1, since);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(st, 0);
		long v = (long)sqlite3_column_int64(st, 1);
		if (strcmp(k, "complete") == 0)
			out->complete = v;
		else if (strcmp(k, "partial") == 0)
			out->partial = v;
		else
			out->abandoned = v;
	}
	sqlite3_finalize(st);
	return 0;
}
