/*
 * session.c -- kiosk sessions as libanxin drafts, see session.h.
 *
 * Durability.  One connection: libanxin's store handle, synchronous=FULL
 * (WAL).  A session is a draft (draft.h): begun when the resident starts,
 * saved after each answer (committed before the next screen shows), and
 * finished -- response record, kiosk_session contact, draft deleted,
 * kiosk_ended row -- in one transaction opened here with ax_store_begin,
 * which the draft's savepoints join.  No "queued" flag and no second
 * pass: the finish happened or it did not.
 *
 * The kiosk's one table of its own, kiosk_ended, lives on the same
 * connection (ax_store_sqlite) so its row commits with the records.
 */
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <uuid/uuid.h>

#include <anxin/applog.h>
#include <anxin/draft.h>

#define MAX_SURVEY_SETS 4
#define KEEP_ENDED_S (40 * 86400) /* kiosk_ended rows older are pruned */

/* A session memory holds while the store fails: fixed size, so holding
 * never needs an allocation that could fail mid-session. */
struct held {
	struct ax_draft d;
	enum ax_resp_status status;
	long long ended;
};

struct ksess {
	ax_store *st; /* NULL while a failing store is closed */
	char path[512], device[64], region[32];
	char err[256];
	int last; /* storage class of the last failure (AX_FULL ...), or 0 */
	const ax_content *surveys[MAX_SURVEY_SETS];
	int nsurveys;
	/* the open session: always in memory, so it can move there at any
	 * answer */
	struct ax_draft cur;
	int open;
	int cur_disk; /* its draft was begun on disk */
	int cur_mem;  /* its later writes go to memory only */
	/* a finish of it failed, not for the storage (a lock held past the
	 * busy timeout): the session stays open with the link, pack and fast
	 * flag that finish set in cur, and the status it asked for */
	int fin_failed;
	enum ax_resp_status fin_status;
	/* a failing store (see session.h) */
	int down; /* 0, or the storage class of the first failure */
	char why[256];
	struct held *held; /* ended sessions waiting, oldest first */
	int nheld, hold_max;
	int need_recover; /* ksess_recover could not run on the store yet */
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS kiosk_ended("
    " id TEXT PRIMARY KEY, status TEXT NOT NULL, ended_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS kiosk_ended_at ON kiosk_ended(ended_at);"
    "CREATE TABLE IF NOT EXISTS kiosk_settings("
    " key TEXT PRIMARY KEY, value INTEGER NOT NULL);";

/* ==== failures ========================================================== */
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

/* A libanxin call on the store failed with rc: s->err and s->last. */
static int fail_ax(ksess *s, const char *what, ax_rc rc)
{
	sqlite3 *db = s->st ? ax_store_sqlite(s->st) : NULL;
	int eno = db ? sqlite3_system_errno(db) : 0, cls = 0;
	snprintf(s->err, sizeof s->err, "%s: %s%s%s%s", what,
	         s->st ? ax_store_errmsg(s->st) : ax_rc_str(rc), eno ? " (" : "",
	         eno ? strerror(eno) : "", eno ? ")" : "");
	if (rc == AX_FULL || rc == AX_READONLY)
		cls = (int)rc;
	else if (rc == AX_IO)
		cls = eno == EROFS ? AX_READONLY : eno == ENOSPC ? AX_FULL : AX_IO;
	else if (db)
		cls = storage_class(sqlite3_extended_errcode(db), eno);
	s->last = cls ? probe(s, cls) : 0;
	return -1;
}

/* A raw SQLite call on the kiosk's own table failed with src. */
static int fail_sql(ksess *s, const char *what, int src)
{
	sqlite3 *db = ax_store_sqlite(s->st);
	int eno = sqlite3_system_errno(db), cls = storage_class(src, eno);
	snprintf(s->err, sizeof s->err, "%s: %s%s%s%s", what, sqlite3_errmsg(db),
	         eno ? " (" : "", eno ? strerror(eno) : "", eno ? ")" : "");
	s->last = cls ? probe(s, cls) : 0;
	return -1;
}

static int closed(ksess *s)
{
	snprintf(s->err, sizeof s->err, "the store is closed: %s", s->why);
	s->last = s->down ? s->down : AX_IO;
	return -1;
}

/* ==== open and close ==================================================== */
/* Open the store on s->path; 0 or -1 with s->err and s->last. */
static int open_store(ksess *s, int create)
{
	char e[256] = "";
	ax_rc arc = ax_store_open(s->path, create ? AX_STORE_CREATE : 0, &s->st, e,
	                          sizeof e);
	int src;
	if (arc != AX_OK) {
		snprintf(s->err, sizeof s->err, "%s", e);
		/* whatever it is (a missing file: an unmounted file system), a
		 * store that cannot be opened is a failing store */
		s->last = probe(s, arc == AX_FULL || arc == AX_READONLY ? (int)arc : AX_IO);
		return -1;
	}
	src = sqlite3_exec(ax_store_sqlite(s->st), schema, NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		fail_sql(s, s->path, src);
		if (!s->last)
			s->last = probe(s, AX_IO);
		ax_store_close(s->st);
		s->st = NULL;
		return -1;
	}
	return 0;
}

/* Close the store: no file of it stays open. */
static void close_store(ksess *s)
{
	ax_store_close(s->st);
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
	struct held *h;
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

void ksess_set_surveys(ksess *s, const ax_content *const *c, int n)
{
	s->nsurveys = 0;
	for (int i = 0; i < n && s->nsurveys < MAX_SURVEY_SETS; i++)
		if (c[i])
			s->surveys[s->nsurveys++] = c[i];
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
	return s->open;
}

/* ==== a session ========================================================= */
int ksess_begin(ksess *s, const struct ax_survey *sv, const char *wave,
                long long now)
{
	struct ax_draft *d = &s->cur;
	uuid_t u;
	ax_rc rc;
	if (s->open && ksess_finish(s, AX_RESP_ABANDONED, NULL, NULL, 0, now))
		s->open = 0; /* its draft, if any, waits for the next start */
	/* memory is full: the store may be back before the next retry */
	if (s->down && s->nheld >= s->hold_max && ksess_flush(s, NULL) != 0)
		return KSESS_PAUSED;
	sodium_memzero(d, sizeof *d);
	if (ax_response_init(&d->r, sv) != AX_OK) {
		snprintf(s->err, sizeof s->err,
		         "survey %s: more questions or options than a response holds",
		         sv ? sv->id : "(none)");
		s->last = 0;
		return -1;
	}
	uuid_generate_random(u);
	uuid_unparse_lower(u, d->id);
	d->channel = AX_CH_KIOSK;
	snprintf(d->device, sizeof d->device, "%s", s->device);
	snprintf(d->region, sizeof d->region, "%s", s->region);
	snprintf(d->wave, sizeof d->wave, "%s", wave ? wave : "");
	d->started_at = d->updated_at = now;
	s->cur_disk = 0;
	s->cur_mem = s->down != 0;
	s->fin_failed = 0;
	if (!s->down) {
		if ((rc = ax_draft_begin(s->st, d)) == AX_OK)
			s->cur_disk = 1;
		else if (fail_ax(s, "begin", rc), s->last) {
			go_down(s);
			s->cur_mem = 1;
		} else
			return -1;
	}
	s->open = 1;
	return 0;
}

int ksess_answer(ksess *s, const struct ax_response *r, long long now)
{
	ax_rc rc;
	if (!s->open || r->survey != s->cur.r.survey) {
		snprintf(s->err, sizeof s->err, "%s",
		         s->open ? "answers to another survey" : "no open session");
		s->last = 0;
		return -1;
	}
	s->cur.r = *r; /* the answers and what was shown (draw, option order) */
	s->cur.updated_at = now;
	if (s->cur_mem)
		return 0;
	if ((rc = ax_draft_save(s->st, &s->cur)) == AX_OK)
		return 0;
	fail_ax(s, "answer", rc);
	if (!s->last)
		return -1;
	/* from now on this session lives in memory */
	go_down(s);
	s->cur_mem = 1;
	return 0;
}

/* Count a finished session for the staff screen (in the caller's
 * transaction) and prune what no screen shows any more. */
static int count_ended(ksess *s, const char *id, enum ax_resp_status st,
                       long long ended)
{
	sqlite3 *db = ax_store_sqlite(s->st);
	sqlite3_stmt *q = NULL;
	int src = sqlite3_prepare_v2(db,
	                             "INSERT OR IGNORE INTO kiosk_ended(id, status, "
	                             "ended_at) VALUES(?, ?, ?)",
	                             -1, &q, NULL);
	if (src == SQLITE_OK) {
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, ax_resp_status_name(st), -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, ended);
		src = sqlite3_step(q);
		sqlite3_finalize(q);
		q = NULL;
		if (src == SQLITE_DONE)
			src = sqlite3_prepare_v2(db, "DELETE FROM kiosk_ended WHERE ended_at < ?",
			                         -1, &q, NULL);
	}
	if (src == SQLITE_OK) {
		sqlite3_bind_int64(q, 1, ended - KEEP_ENDED_S);
		src = sqlite3_step(q);
	}
	sqlite3_finalize(q);
	return src == SQLITE_DONE ? 0 : fail_sql(s, "kiosk_ended", src);
}

/*
 * Finish draft d (ended at `ended`) inside the caller's transaction: its
 * records into the outbox, the draft row (if any) deleted, the session
 * counted.  A conflict on the response id can only be a record an older
 * build queued before a crash (see upgrade): that one stands and the
 * session counts as queued.
 */
static int finish_in_tx(ksess *s, struct ax_draft *d, enum ax_resp_status st,
                        long long ended)
{
	ax_rc rc;
	int queued = 0;
	d->updated_at = ended;
	rc = ax_draft_finish(s->st, d, st, st == AX_RESP_COMPLETE ? ended : 0,
	                     AX_DRAFT_KIOSK_CONTACT, &queued);
	if (rc == AX_CONFLICT)
		rc = ax_draft_discard(s->st, d->id), queued = 1;
	if (rc != AX_OK)
		return fail_ax(s, "finish", rc);
	/* counted as the record says (a fully answered session is complete) */
	return queued ? count_ended(s, d->id, ax_draft_status(d, st), ended) : 0;
}

/* finish_in_tx in a transaction of its own. */
static int write_finish(ksess *s, struct ax_draft *d, enum ax_resp_status st,
                        long long ended)
{
	ax_rc rc;
	if (!s->st)
		return closed(s);
	if ((rc = ax_store_begin(s->st)) != AX_OK)
		return fail_ax(s, "finish", rc);
	if (finish_in_tx(s, d, st, ended))
		goto fail;
	if ((rc = ax_store_commit(s->st)) != AX_OK) {
		fail_ax(s, "finish", rc);
		goto fail;
	}
	return 0;
fail:
	ax_store_rollback(s->st);
	return -1;
}

int ksess_finish(ksess *s, enum ax_resp_status stat, const char *sealed,
                 const char *pack, int marks, long long now)
{
	struct ax_draft *d = &s->cur;
	if (!s->open)
		return 0;
	s->open = 0;
	if (s->fin_failed && stat == AX_RESP_ABANDONED) {
		/* the kiosk ends (idle reset, exit, next begin) a session the
		 * resident had ended when the finish failed: as they ended it */
		stat = s->fin_status;
	} else {
		if (sealed && strlen(sealed) >= sizeof d->phone_sealed) {
			snprintf(s->err, sizeof s->err, "sealed number too long");
			s->last = 0;
			sealed = NULL; /* the response itself is not lost for it */
		}
		snprintf(d->phone_sealed, sizeof d->phone_sealed, "%s", sealed ? sealed : "");
		snprintf(d->pack, sizeof d->pack, "%s", pack ? pack : "");
		d->fast = (marks & KSESS_FAST) != 0;
		d->repeat = (marks & KSESS_REPEAT) != 0;
	}
	s->fin_failed = 0;
	if (!s->cur_mem) {
		if (write_finish(s, d, stat, now) == 0) {
			sodium_memzero(d, sizeof *d);
			return 0;
		}
		if (!s->last) {
			/* not the storage: another connection held the write lock
			 * past the busy timeout (the sync thread, the anxin CLI).
			 * The transaction rolled back; the session stays open and
			 * whole, its draft on disk, for the UI's retry (the resident
			 * taps again) or the kiosk ending it.  A crash meanwhile
			 * leaves the draft: the next start finishes it (abandoned). */
			s->open = 1;
			s->fin_failed = 1;
			s->fin_status = stat;
			return -1;
		}
		go_down(s);
	}
	/* held in memory until the store takes it */
	if (!s->cur_disk && !ax_response_any(&d->r)) {
		sodium_memzero(d, sizeof *d);
		return 0; /* nothing answered, nothing on disk: nothing to keep */
	}
	/* begin keeps nheld < hold_max for a session begun while failing; one
	 * begun on disk started with nothing held */
	if (s->nheld >= s->hold_max) {
		snprintf(s->err, sizeof s->err, "memory for held sessions is full");
		sodium_memzero(d, sizeof *d);
		return -1;
	}
	s->held[s->nheld].d = *d;
	s->held[s->nheld].status = stat;
	s->held[s->nheld].ended = now;
	s->nheld++;
	sodium_memzero(d, sizeof *d);
	s->cur_mem = 0;
	return 0;
}

/* ==== recovery ============================================================ */
/* The survey id v`version` among the surveys set, or NULL. */
static const struct ax_survey *find_survey(const ksess *s, const char *id,
                                           int version)
{
	for (int i = 0; i < s->nsurveys; i++) {
		const struct ax_survey *sv = ax_content_find_survey(s->surveys[i], id, version);
		if (sv && sv->version == version)
			return sv;
	}
	return NULL;
}

/* An old session's answer (a JSON string, or an array of strings) as
 * codes joined by ','; 0, or -1 if it is neither. */
static int old_codes(const char *value, char *out, size_t n)
{
	json_t *v = json_loads(value, JSON_DECODE_ANY, NULL);
	int rc = 0;
	out[0] = 0;
	if (json_is_string(v))
		snprintf(out, n, "%s", json_string_value(v));
	else if (json_is_array(v))
		for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
			const char *c = json_string_value(json_array_get(v, i));
			size_t l = strlen(out);
			if (!c || l + strlen(c) + 2 > n)
				rc = -1;
			else
				snprintf(out + l, n - l, "%s%s", l ? "," : "", c);
		}
	else
		rc = -1;
	json_decref(v);
	return rc;
}

/* Read an old session's answers into d->r, in question order (show-if
 * only looks back, so setting them in order withdraws nothing the old
 * build kept).  0, or -1 when one is not an answer of this survey. */
static int old_answers(ksess *s, struct ax_draft *d)
{
	sqlite3_stmt *q = NULL;
	char codes[AX_RESP_MAX_Q][256];
	int rc = 0, src;
	memset(codes, 0, sizeof codes);
	src = sqlite3_prepare_v2(ax_store_sqlite(s->st),
	                         "SELECT qid, value FROM kiosk_answers WHERE session = ?",
	                         -1, &q, NULL);
	if (src != SQLITE_OK)
		return fail_sql(s, "kiosk_answers", src);
	sqlite3_bind_text(q, 1, d->id, -1, SQLITE_STATIC);
	while (rc == 0 && (src = sqlite3_step(q)) == SQLITE_ROW) {
		int i = ax_survey_qindex(d->r.survey, (const char *)sqlite3_column_text(q, 0));
		if (i < 0 || old_codes((const char *)sqlite3_column_text(q, 1), codes[i],
		                       sizeof codes[i]))
			rc = 1;
	}
	sqlite3_finalize(q);
	for (int i = 0; rc == 0 && i < d->r.survey->nquestions; i++)
		if (codes[i][0] && ax_response_set_codes(&d->r, i, codes[i], NULL) != AX_OK)
			rc = 1;
	if (rc == 0 && src != SQLITE_DONE)
		return fail_sql(s, "kiosk_answers", src);
	if (rc)
		snprintf(s->err, sizeof s->err, "session %s: an answer is not one of "
		         "survey %s v%d", d->id, d->r.survey->id, d->r.survey->version);
	return rc ? 1 : 0;
}

/*
 * Finish one unqueued session of an older build (row of the query in
 * upgrade) and mark it queued.  0 done, 1 kept (its survey is not
 * installed or its answers do not read), -1 the store failed.
 */
static int upgrade_one(ksess *s, sqlite3_stmt *row, int *n)
{
	struct ax_draft d;
	const char *sid = (const char *)sqlite3_column_text(row, 1);
	int st, rc;
	memset(&d, 0, sizeof d);
	snprintf(d.id, sizeof d.id, "%s", (const char *)sqlite3_column_text(row, 0));
	if (ax_response_init(&d.r, find_survey(s, sid, sqlite3_column_int(row, 2)))) {
		AX_LOG_W("upgrade: session %s: survey %s v%d is not installed: kept "
		         "until it is", d.id, sid, sqlite3_column_int(row, 2));
		return 1;
	}
	if ((rc = old_answers(s, &d)) != 0) {
		if (rc > 0)
			AX_LOG_W("upgrade: %s: kept", s->err);
		return rc;
	}
	d.channel = AX_CH_KIOSK;
	snprintf(d.device, sizeof d.device, "%s", s->device);
	snprintf(d.region, sizeof d.region, "%s", s->region);
#define COL(i) (sqlite3_column_text(row, i) ? (const char *)sqlite3_column_text(row, i) : "")
	snprintf(d.wave, sizeof d.wave, "%s", COL(3));
	d.started_at = sqlite3_column_int64(row, 4);
	st = ax_resp_status_parse(COL(6));
	snprintf(d.phone_sealed, sizeof d.phone_sealed, "%s", COL(7));
	d.fast = sqlite3_column_int(row, 8);
	snprintf(d.pack, sizeof d.pack, "%s", COL(9));
#undef COL
	rc = finish_in_tx(s, &d, st < 0 ? AX_RESP_ABANDONED : (enum ax_resp_status)st,
	                  sqlite3_column_int64(row, 5));
	if (rc == 0) {
		sqlite3_stmt *q = NULL;
		int src = sqlite3_prepare_v2(ax_store_sqlite(s->st),
		                             "UPDATE kiosk_sessions SET queued = 1 WHERE id = ?",
		                             -1, &q, NULL);
		if (src == SQLITE_OK) {
			sqlite3_bind_text(q, 1, d.id, -1, SQLITE_STATIC);
			src = sqlite3_step(q);
		}
		sqlite3_finalize(q);
		if (src != SQLITE_DONE)
			rc = fail_sql(s, "upgrade", src);
	}
	sodium_memzero(&d, sizeof d);
	if (rc)
		return -1;
	(*n)++;
	return 0;
}

/* Stores of the first kiosk build have no kiosk_sessions.pack. */
static const char *pack_column(sqlite3 *db)
{
	sqlite3_stmt *q;
	int have = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info('kiosk_sessions') "
	                           "WHERE name = 'pack'", -1, &q, NULL) == SQLITE_OK) {
		have = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	return have ? "pack" : "NULL";
}

/*
 * Convert an older build's kiosk_sessions/kiosk_answers once, in one
 * transaction: queued
 * sessions are counted, unqueued ones (an open one as abandoned, ended
 * at its last answer) finished into the outbox, and the tables dropped
 * unless a session had to be kept.
 */
static int upgrade(ksess *s, int *n)
{
	sqlite3 *db = ax_store_sqlite(s->st);
	sqlite3_stmt *q = NULL;
	char sql[768];
	int kept = 0, src, rc = -1, have;
	ax_rc arc;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' "
	                           "AND name = 'kiosk_sessions'", -1, &q, NULL) != SQLITE_OK)
		return fail_sql(s, "upgrade", sqlite3_errcode(db));
	have = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	q = NULL;
	if (!have)
		return 0;
	if ((arc = ax_store_begin(s->st)) != AX_OK)
		return fail_ax(s, "upgrade", arc);
	src = sqlite3_exec(db,
	                   "INSERT OR IGNORE INTO kiosk_ended(id, status, ended_at) "
	                   "SELECT id, status, ended_at FROM kiosk_sessions WHERE "
	                   "queued = 1 AND status IS NOT NULL AND ended_at IS NOT NULL",
	                   NULL, NULL, NULL);
	snprintf(sql, sizeof sql,
	         "SELECT id, survey, survey_version, wave, started_at, coalesce(ended_at,"
	         " (SELECT max(at) FROM kiosk_answers WHERE session = s.id), started_at),"
	         " status, sealed, fast, %s FROM kiosk_sessions s WHERE queued = 0"
	         " ORDER BY started_at, id", pack_column(db));
	if (src == SQLITE_OK)
		src = sqlite3_prepare_v2(db, sql, -1, &q, NULL);
	if (src != SQLITE_OK) {
		fail_sql(s, "upgrade", src);
		goto done;
	}
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		int r = upgrade_one(s, q, n);
		if (r < 0)
			goto done;
		kept += r;
	}
	if (src != SQLITE_DONE) {
		fail_sql(s, "upgrade", src);
		goto done;
	}
	sqlite3_finalize(q);
	q = NULL;
	src = kept ? sqlite3_exec(db, "DELETE FROM kiosk_answers WHERE session IN "
	                              "(SELECT id FROM kiosk_sessions WHERE queued = 1);"
	                              "DELETE FROM kiosk_sessions WHERE queued = 1",
	                          NULL, NULL, NULL)
	           : sqlite3_exec(db, "DROP TABLE kiosk_answers; DROP TABLE kiosk_sessions",
	                          NULL, NULL, NULL);
	if (src != SQLITE_OK) {
		fail_sql(s, "upgrade", src);
		goto done;
	}
	if ((arc = ax_store_commit(s->st)) != AX_OK) {
		fail_ax(s, "upgrade", arc);
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(q);
	if (rc)
		ax_store_rollback(s->st);
	return rc;
}

/* Collects draft ids for finish_left. */
struct ids {
	char (*v)[40];
	int n, cap, oom;
};
static int collect(void *ctx, const char *id)
{
	struct ids *l = ctx;
	if (l->n == l->cap) {
		int cap = l->cap ? 2 * l->cap : 16;
		void *v = realloc(l->v, (size_t)cap * sizeof *l->v);
		if (!v)
			return l->oom = 1;
		l->v = v;
		l->cap = cap;
	}
	snprintf(l->v[l->n++], sizeof l->v[0], "%s", id);
	return 0;
}

/* Finish, as abandoned at their last save, the drafts a killed process
 * left.  One whose survey is not installed stays until it is. */
static int finish_left(ksess *s, int *n)
{
	struct ids l = {NULL, 0, 0, 0};
	struct ax_draft d;
	ax_rc rc = ax_draft_list(s->st, collect, &l);
	int ret = -1;
	if (rc != AX_OK || l.oom) {
		if (l.oom)
			snprintf(s->err, sizeof s->err, "out of memory"), s->last = 0;
		else
			fail_ax(s, "drafts", rc);
		goto done;
	}
	for (int i = 0; i < l.n; i++) {
		if (s->open && strcmp(l.v[i], s->cur.id) == 0)
			continue; /* the resident at the screen now */
		rc = AX_INVALID;
		for (int k = 0; k < s->nsurveys && rc == AX_INVALID; k++)
			rc = ax_draft_load(s->st, s->surveys[k], l.v[i], &d);
		if (rc == AX_INVALID) {
			AX_LOG_W("recover: %s: kept until its survey is installed",
			         s->st ? ax_store_errmsg(s->st) : l.v[i]);
			continue;
		}
		if (rc == AX_NOTFOUND)
			continue;
		if (rc != AX_OK) {
			fail_ax(s, "drafts", rc);
			goto done;
		}
		int w = write_finish(s, &d, AX_RESP_ABANDONED, d.updated_at);
		sodium_memzero(&d, sizeof d);
		if (w)
			goto done;
		(*n)++;
	}
	ret = 0;
done:
	free(l.v);
	return ret;
}

int ksess_recover(ksess *s, int *recovered)
{
	*recovered = 0;
	if (!s->st) {
		s->need_recover = 1; /* ksess_flush runs it once the store is back */
		return 0;
	}
	if (upgrade(s, recovered) == 0 && finish_left(s, recovered) == 0) {
		s->need_recover = 0;
		return 0;
	}
	if (s->last) {
		go_down(s);
		s->need_recover = 1;
	}
	return -1;
}

/* ==== a failing store ==================================================== */
/* Write the open session's draft, held in memory while the store failed:
 * begun if it never reached the disk (or recovery took it), else saved.
 * From then on its answers are saved on disk again (cur_mem 0). */
static int write_cur(ksess *s)
{
	ax_rc rc = AX_NOTFOUND;
	if (s->cur_disk)
		rc = ax_draft_save(s->st, &s->cur);
	if (rc == AX_NOTFOUND)
		rc = ax_draft_begin(s->st, &s->cur);
	if (rc != AX_OK)
		return fail_ax(s, "answer", rc);
	s->cur_disk = 1;
	s->cur_mem = 0;
	return 0;
}

int ksess_flush(ksess *s, int *written)
{
	if (written)
		*written = 0;
	if (!s->down && s->nheld == 0)
		return 0;
	/* never create it here: an unmounted file system must not get a new,
	 * empty store in its mount point */
	if (!s->st && open_store(s, 0))
		goto fail;
	/* what a crash left open before a start on a failing store; the
	 * session open now, if any, began in memory, so it is not among them */
	if (s->need_recover) {
		int n = 0;
		if (upgrade(s, &n) || finish_left(s, &n))
			goto fail;
		s->need_recover = 0;
	}
	while (s->nheld > 0) {
		struct held *h = &s->held[0];
		if (write_finish(s, &h->d, h->status, h->ended))
			goto fail;
		/* on disk: memory lets go of it, oldest first */
		memmove(s->held, s->held + 1, (size_t)(s->nheld - 1) * sizeof *s->held);
		s->nheld--;
		sodium_memzero(&s->held[s->nheld], sizeof *s->held);
		if (written)
			(*written)++;
	}
	/* the session open now goes back on disk, and its later answers with
	 * it: left in memory, it would be lost by a crash while the store is
	 * healthy */
	if (s->open && s->cur_mem && write_cur(s))
		goto fail;
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

void ksess_health(const ksess *s, struct ksess_health *out)
{
	memset(out, 0, sizeof *out);
	out->down = s->down;
	out->held = s->nheld + (s->open && s->cur_mem && ax_response_any(&s->cur.r));
	out->hold_max = s->hold_max;
	snprintf(out->why, sizeof out->why, "%s", s->why);
}

int ksess_counts(ksess *s, long long since, struct ksess_counts *out)
{
	sqlite3_stmt *q;
	int src;
	memset(out, 0, sizeof *out);
	if (!s->st)
		return closed(s);
	src = sqlite3_prepare_v2(ax_store_sqlite(s->st),
	                         "SELECT status, count(*) FROM kiosk_ended WHERE "
	                         "ended_at >= ? GROUP BY status",
	                         -1, &q, NULL);
	if (src != SQLITE_OK)
		return fail_sql(s, "kiosk_ended", src);
	sqlite3_bind_int64(q, 1, since);
	while ((src = sqlite3_step(q)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(q, 0);
		long v = (long)sqlite3_column_int64(q, 1);
		if (strcmp(k, "complete") == 0)
			out->complete = v;
		else if (strcmp(k, "partial") == 0)
			out->partial = v;
		else
			out->abandoned = v;
	}
	sqlite3_finalize(q);
	return src == SQLITE_DONE ? 0 : fail_sql(s, "kiosk_ended", src);
}

/* ==== staff settings ===================================================== */
int ksess_setting(ksess *s, const char *key, int *out)
{
	sqlite3_stmt *q;
	int src, rc = 1;
	if (!s->st)
		return closed(s);
	src = sqlite3_prepare_v2(ax_store_sqlite(s->st),
	                         "SELECT value FROM kiosk_settings WHERE key = ?", -1, &q, NULL);
	if (src != SQLITE_OK)
		return fail_sql(s, "kiosk_settings", src);
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	src = sqlite3_step(q);
	if (src == SQLITE_ROW) {
		*out = sqlite3_column_int(q, 0);
		rc = 0;
	}
	sqlite3_finalize(q);
	return src == SQLITE_ROW || src == SQLITE_DONE ? rc : fail_sql(s, "kiosk_settings", src);
}

int ksess_set_setting(ksess *s, const char *key, int value)
{
	sqlite3_stmt *q;
	int src;
	if (!s->st)
		return closed(s);
	src = sqlite3_prepare_v2(ax_store_sqlite(s->st),
	                         "INSERT INTO kiosk_settings(key, value) VALUES(?, ?) "
	                         "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
	                         -1, &q, NULL);
	if (src != SQLITE_OK)
		return fail_sql(s, "kiosk_settings", src);
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, value);
	src = sqlite3_step(q);
	sqlite3_finalize(q);
	return src == SQLITE_DONE ? 0 : fail_sql(s, "kiosk_settings", src);
}
