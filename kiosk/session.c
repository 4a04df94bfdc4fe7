/*
 * session.c -- kiosk sessions in the store, see session.h.
 *
 * Durability.  libanxin opens its store with synchronous=NORMAL (WAL):
 * durable across a crash of the process, not across power loss.  The
 * kiosk wants every answer on disk before the next screen shows, so its
 * own tables are written through a second connection with
 * synchronous=FULL.  One connection for everything would need either a
 * public way to set the store's synchronous mode or to write the kiosk's
 * tables through the ax_store handle; libanxin has neither (only
 * ax_store_begin/commit/rollback around its own writes), and a raw
 * connection writing libanxin's outbox table would bypass its API.
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

#include <jansson.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include <anxin/sync.h>

struct ksess {
	ax_store *st;
	sqlite3 *db;
	char device[64], region[32];
	char cur[40]; /* open session id, "" none */
	char err[256];
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

static int fail(ksess *s, const char *what)
{
	snprintf(s->err, sizeof s->err, "%s: %s", what,
	         s->db ? sqlite3_errmsg(s->db) : "no database");
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

int ksess_open(const char *path, const char *device, const char *region,
               ksess **out, char *err, size_t errlen)
{
	ksess *s = calloc(1, sizeof *s);
	char e[256] = "";
	*out = NULL;
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (ax_store_open(path, AX_STORE_CREATE, &s->st, e, sizeof e) != AX_OK) {
		snprintf(err, errlen, "%s", e);
		goto fail;
	}
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(s->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
	                 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    add_pack_column(s->db) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		         s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	snprintf(s->device, sizeof s->device, "%s", device);
	snprintf(s->region, sizeof s->region, "%s", region);
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
	sqlite3_close(s->db);
	ax_store_close(s->st);
	free(s);
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
	if (s->cur[0])
		ksess_finish(s, KSESS_ABANDONED, NULL, NULL, 0, now);
	uuid_generate_random(u);
	uuid_unparse_lower(u, id);
	if (exec(s,
	         "INSERT INTO kiosk_sessions(id, survey, survey_version, wave, "
	         "started_at) VALUES(?, ?, ?, ?, ?)",
	         "ttiti", id, survey, (long long)version, wave, now))
		return -1;
	snprintf(s->cur, sizeof s->cur, "%s", id);
	return 0;
}

int ksess_answer(ksess *s, const char *qid, const char *value_json,
                 long long now)
{
	if (!s->cur[0]) {
		snprintf(s->err, sizeof s->err, "no open session");
		return -1;
	}
	if (!value_json)
		return exec(s, "DELETE FROM kiosk_answers WHERE session = ? AND qid = ?",
		            "tt", s->cur, qid);
	return exec(s,
	            "INSERT INTO kiosk_answers(session, qid, value, at) "
	            "VALUES(?, ?, ?, ?) ON CONFLICT(session, qid) DO UPDATE SET "
	            "value = excluded.value, at = excluded.at",
	            "ttti", s->cur, qid, value_json, now);
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
	if (arc != AX_OK && arc != AX_CONFLICT) {
		snprintf(s->err, sizeof s->err, "outbox: %s", ax_store_errmsg(s->st));
		rc = -1;
	}
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
	if (ax_store_begin(s->st) != AX_OK) {
		snprintf(s->err, sizeof s->err, "outbox: %s", ax_store_errmsg(s->st));
		goto done;
	}
	in_tx = 1;
	if (put(s, id, rec) || (contact && put(s, cid, contact)))
		goto done;
	if (ax_store_commit(s->st) != AX_OK) {
		snprintf(s->err, sizeof s->err, "outbox: %s", ax_store_errmsg(s->st));
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

int ksess_finish(ksess *s, enum ksess_status stat, const char *sealed,
                 const char *pack, int fast, long long now)
{
	char id[40];
	if (!s->cur[0])
		return 0;
	snprintf(id, sizeof id, "%s", s->cur);
	s->cur[0] = 0;
	if (exec(s,
	         "UPDATE kiosk_sessions SET ended_at = ?, status = ?, sealed = ?, "
	         "pack = ?, fast = ? WHERE id = ? AND status IS NULL",
	         "itttit", now, status_names[stat], sealed, pack, (long long)fast,
	         id))
		return -1;
	return queue(s, id);
}

int ksess_recover(ksess *s, int *recovered)
{
	sqlite3_stmt *st;
	char ids[64][40];
	int n = 0, rc = 0;
	*recovered = 0;
	/* a session left open ends when its last answer was given */
	if (exec(s,
	         "UPDATE kiosk_sessions SET status = 'abandoned', ended_at = "
	         "coalesce((SELECT max(at) FROM kiosk_answers WHERE session = id), "
	         "started_at) WHERE status IS NULL",
	         ""))
		return -1;
	for (;;) {
		n = 0;
		if (sqlite3_prepare_v2(s->db,
		                       "SELECT id FROM kiosk_sessions WHERE queued = 0 "
		                       "LIMIT 64",
		                       -1, &st, NULL) != SQLITE_OK)
			return fail(s, "prepare");
		while (n < 64 && sqlite3_step(st) == SQLITE_ROW)
			snprintf(ids[n++], sizeof ids[0], "%s",
			         (const char *)sqlite3_column_text(st, 0));
		sqlite3_finalize(st);
		if (n == 0)
			break;
		for (int i = 0; i < n; i++) {
			if (queue(s, ids[i]))
				return -1;
			(*recovered)++;
		}
	}
	return rc;
}

int ksess_counts(ksess *s, long long since, struct ksess_counts *out)
{
	sqlite3_stmt *st;
	memset(out, 0, sizeof *out);
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
