/*
 * outbox.c -- the outbox and the sync schedule: everything of sync that
 * lives in the store (no network, no libcurl).
 *
 * Invariants (DESIGN.md "Reliability promises"):
 *   - an outbox row leaves `pending` only inside the transaction that
 *     applies a 200 reply naming it; nothing else changes a state, and no
 *     row is ever deleted;
 *   - each push walks the queue with a cursor (seq > last seq sent), so a
 *     record the server leaves out of its reply is not resent in a tight
 *     loop: it waits for the next push;
 *   - failures only touch sync_state (error, failure count, next attempt).
 *
 * Costs: building a batch reads at most `batch` rows through the
 * (state, seq) index.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anxin/response.h"
#include "anxin/sync.h"
#include "db.h"
#include "sync_int.h"

#define BACKOFF_BASE_DEFAULT 15
#define BACKOFF_MAX_DEFAULT 1800

/* ==== sync_state ======================================================= */
ax_rc ax__sync_state_get(ax_store *st, const char *key, char **out)
{
	ax_stmt *s;
	ax_rc rc;
	int src;

	*out = NULL;
	if ((rc = ax__dprepare(st, &s, "SELECT value FROM sync_state WHERE key = ?")))
		return rc;
	ax_stmt_bind_text(s, 1, key);
	src = ax_stmt_step(s);
	if (src == AX_DB_ROW && !ax_stmt_is_null(s, 0)) {
		const char *v = ax_stmt_text(s, 0);
		if (!v || !(*out = strdup(v))) {
			ax_stmt_finalize(s);
			ax__store_seterr(st, "out of memory");
			return AX_NOMEM;
		}
	} else if (src == AX_DB_ERROR) {
		rc = ax__store_dberr(st, "sync_state");
	}
	ax_stmt_finalize(s);
	return rc;
}

/* value NULL deletes the key. */
ax_rc ax__sync_state_set(ax_store *st, const char *key, const char *value)
{
	ax_stmt *s;
	ax_rc rc;
	int src;

	rc = ax__dprepare(st, &s,
	                  value ? "INSERT INTO sync_state(key, value) VALUES(?1, ?2) "
	                          "ON CONFLICT(key) DO UPDATE SET value = ?2"
	                        : "DELETE FROM sync_state WHERE key = ?1");
	if (rc)
		return rc;
	ax_stmt_bind_text(s, 1, key);
	if (value)
		ax_stmt_bind_text(s, 2, value);
	src = ax_stmt_step(s);
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "sync_state");
	ax_stmt_finalize(s);
	return rc;
}

static ax_rc state_set_ll(ax_store *st, const char *key, long long v)
{
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", v);
	return ax__sync_state_set(st, key, buf);
}

/* 0 when missing or unreadable. */
static long long state_get_ll(ax_store *st, const char *key)
{
	char *v = NULL;
	long long n = 0;
	if (ax__sync_state_get(st, key, &v) == AX_OK && v)
		n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

ax_rc ax_sync_cached(ax_store *st, const char *key, char **out)
{
	ax_rc rc;

	*out = NULL;
	if (!key) {
		ax__store_seterr(st, "no key");
		return AX_INVALID;
	}
	if ((rc = ax__sync_state_get(st, key, out)))
		return rc;
	if (!*out) {
		ax__store_seterr(st, "nothing cached as \"%s\" (not pulled yet?)", key);
		return AX_NOTFOUND;
	}
	return AX_OK;
}

/* ==== outbox =========================================================== */
/* The insert of a checked line; the repeat of a queued id is AX_OK when
 * its body is the same, else AX_CONFLICT. */
static ax_rc outbox_insert(ax_store *st, const char *id, const char *body)
{
	sqlite3_stmt *s = NULL;
	ax_rc rc = AX_OK;
	int src;

	if ((rc = ax__cached(st, AX__STMT_OUTBOX_PUT,
	                     "INSERT INTO outbox(id, body, created_at) "
	                     "VALUES(?1, ?2, ?3) ON CONFLICT(id) DO NOTHING", &s)))
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	if ((src = sqlite3_step(s)) != SQLITE_DONE)
		rc = ax__store_sqlerr(st, src, "outbox");
	sqlite3_reset(s); /* the handle's: not finalized */
	s = NULL;
	if (rc || sqlite3_changes(ax__store_db(st)) > 0)
		return rc;

	/* already queued: the same body is a harmless repeat */
	if ((rc = ax__prepare(st, &s, "SELECT body FROM outbox WHERE id = ?")))
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src != SQLITE_ROW) {
		rc = ax__store_sqlerr(st, src, "outbox");
		goto fail;
	}
	if (strcmp((const char *)sqlite3_column_text(s, 0), body) != 0) {
		ax__store_seterr(st, "outbox: record %s is already queued with "
		                     "different content", id);
		rc = AX_CONFLICT;
	}
fail:
	sqlite3_finalize(s);
	return rc;
}

ax_rc ax_outbox_put(ax_store *st, const char *id, const char *body)
{
	json_error_t je;
	json_t *j, *jid;

	if (!id || !*id || strlen(id) >= 64) {
		ax__store_seterr(st, "outbox: a record needs an id of 1 to 63 bytes");
		return AX_INVALID;
	}
	if (!body || strpbrk(body, "\r\n")) {
		ax__store_seterr(st, "outbox: record %s: %s", id,
		                 body ? "the body must be one line" : "no body");
		return AX_INVALID;
	}
	/* The server names records by the id inside the body, and refuses a
	 * whole batch over one line it cannot parse (duplicate keys included):
	 * such a record would block the queue forever, so it is refused here,
	 * while the caller can still tell the user. */
	j = json_loads(body, JSON_REJECT_DUPLICATES, &je);
	jid = json_object_get(j, "id");
	if (!json_is_object(j) || !json_is_string(jid) ||
	    strcmp(json_string_value(jid), id) != 0) {
		ax__store_seterr(st, "outbox: record %s: %s", id,
		                 !j                   ? je.text
		                 : !json_is_object(j) ? "the body is not a JSON object"
		                                      : "the body's \"id\" differs");
		json_decref(j);
		return AX_INVALID;
	}
	json_decref(j);
	return outbox_insert(st, id, body);
}

ax_rc ax_outbox_put_contact(ax_store *st, const struct ax_contact_meta *m)
{
	char *body;
	ax_rc rc;

	if (!m->id || !*m->id || strlen(m->id) >= 64) {
		ax__store_seterr(st, "outbox: a record needs an id of 1 to 63 bytes");
		return AX_INVALID;
	}
	/* ax_contact_record's compact dump is one line, an object, with m->id
	 * as its "id" and no duplicate key: parsing it back, as
	 * ax_outbox_put does with a line from outside, cost the gateway a
	 * seventh of processing a reply (perf) */
	if (!(body = ax_contact_record(m))) {
		ax__store_seterr(st, "outbox: contact %s: no memory or invalid UTF-8",
		                 m->id);
		return AX_INVALID;
	}
	rc = outbox_insert(st, m->id, body);
	free(body);
	return rc;
}

ax_rc ax_outbox_status(ax_store *st, struct ax_outbox_status *out)
{
	sqlite3_stmt *s;
	char *err = NULL;
	ax_rc rc;
	int src;

	memset(out, 0, sizeof *out);
	if ((rc = ax__prepare(st, &s, "SELECT state, COUNT(*) FROM outbox "
	                              "GROUP BY state")))
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(s, 0);
		long n = (long)sqlite3_column_int64(s, 1);
		if (strcmp(state, "pending") == 0)
			out->pending = n;
		else if (strcmp(state, "sent") == 0)
			out->sent = n;
		else if (strcmp(state, "conflict") == 0)
			out->conflict = n;
		else if (strcmp(state, "rejected") == 0)
			out->rejected = n;
	}
	if (src != SQLITE_DONE)
		rc = ax__store_sqlerr(st, src, "outbox");
	sqlite3_finalize(s);
	if (rc)
		return rc;
	if ((rc = ax__prepare(st, &s, "SELECT created_at FROM outbox WHERE state "
	                              "= 'pending' ORDER BY seq LIMIT 1")))
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW)
		out->oldest_pending = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);

	out->last_push = state_get_ll(st, "push.last_success");
	out->last_pull = state_get_ll(st, "pull.last_success");
	out->next_attempt = state_get_ll(st, "sync.next_attempt");
	out->failures = (int)state_get_ll(st, "sync.failures");
	out->permanent = (int)state_get_ll(st, "sync.permanent");
	out->last_error_at = state_get_ll(st, "sync.last_error_at");
	if ((rc = ax__sync_state_get(st, "sync.last_error", &err)))
		return rc;
	snprintf(out->last_error, sizeof out->last_error, "%s", err ? err : "");
	free(err);
	return AX_OK;
}

/* fsync the folder holding `path`, so a rename survives power loss. */
static int fsync_dir_of(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, r;

	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else if (slash == path)
		snprintf(dir, sizeof dir, "/");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY)) < 0)
		return -1;
	r = fsync(fd);
	close(fd);
	/* some file systems (vfat on a USB stick) refuse fsync on a folder */
	return r < 0 && errno != EINVAL ? -1 : 0;
}

static ax_rc io_error(ax_store *st, const char *path, int err)
{
	ax__store_seterr(st, "%s: %s", path, strerror(err));
	return err == ENOSPC ? AX_FULL : AX_IO;
}

ax_rc ax_outbox_export(ax_store *st, const char *path, int all, long *written)
{
	sqlite3_stmt *s = NULL;
	struct ax_buf tmp = {0};
	FILE *f = NULL;
	long n = 0;
	int fd = -1, src, renamed = 0;
	ax_rc rc;

	if (written)
		*written = 0;
	ax__buf_printf(&tmp, "%s.tmp", path);
	if (tmp.oom) {
		ax__store_seterr(st, "out of memory");
		return AX_NOMEM;
	}
	if ((rc = ax__prepare(st, &s,
	                      all ? "SELECT body FROM outbox ORDER BY seq"
	                          : "SELECT body FROM outbox WHERE state = "
	                            "'pending' ORDER BY seq")))
		goto fail;
	fd = open(tmp.p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		rc = io_error(st, tmp.p, errno);
		goto fail;
	}
	fd = -1; /* owned by f now */
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const unsigned char *body = sqlite3_column_text(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 0);
		if (fwrite(body, 1, len, f) != len || fputc('\n', f) == EOF) {
			rc = io_error(st, tmp.p, errno);
			goto fail;
		}
		n++;
	}
	if (src != SQLITE_DONE) {
		rc = ax__store_sqlerr(st, src, "outbox");
		goto fail;
	}
	if (fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = io_error(st, tmp.p, errno);
		goto fail;
	}
	src = fclose(f);
	f = NULL;
	if (src != 0 || rename(tmp.p, path) != 0) {
		rc = io_error(st, tmp.p, errno);
		goto fail;
	}
	renamed = 1;
	if (written)
		*written = n;
	if (fsync_dir_of(path) != 0) {
		/* the file is complete and in place; only its durability across a
		 * power cut is in doubt */
		ax__store_seterr(st, "%s: sync of its folder failed: %s", path,
		                 strerror(errno));
		rc = AX_IO;
	}
fail:
	if (f)
		fclose(f);
	if (fd >= 0)
		close(fd);
	if (rc && !renamed)
		unlink(tmp.p);
	sqlite3_finalize(s);
	ax__buf_free(&tmp);
	return rc;
}

/* ==== batches ========================================================== */
void ax__batch_free(struct ax__batch *b)
{
	if (!b)
		return;
	for (int i = 0; i < b->n; i++)
		free(b->id[i]);
	free(b->id);
	free(b->seq);
	free(b->body);
	memset(b, 0, sizeof *b);
}

ax_rc ax__sync_build_batch(ax_store *st, long long after_seq, int max_records,
                           size_t max_bytes, struct ax__batch *b)
{
	struct ax_buf body = {0};
	sqlite3_stmt *s;
	ax_rc rc;
	int src;

	memset(b, 0, sizeof *b);
	if (max_records < 1)
		max_records = 1;
	b->seq = malloc(sizeof *b->seq * (size_t)max_records);
	b->id = calloc((size_t)max_records, sizeof *b->id);
	if (!b->seq || !b->id) {
		rc = AX_NOMEM;
		ax__store_seterr(st, "out of memory");
		goto fail;
	}
	/* a pending line's acked_at: not before then (a retryable rejection) */
	if ((rc = ax__prepare(st, &s, "SELECT seq, id, body FROM outbox WHERE "
	                              "state = 'pending' AND seq > ?1 AND "
	                              "(acked_at IS NULL OR acked_at <= ?3) "
	                              "ORDER BY seq LIMIT ?2")))
		goto fail;
	sqlite3_bind_int64(s, 1, after_seq);
	sqlite3_bind_int(s, 2, max_records);
	sqlite3_bind_int64(s, 3, (long long)time(NULL));
	while ((src = sqlite3_step(s)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(s, 2);
		size_t len = (size_t)sqlite3_column_bytes(s, 2);
		if (b->n > 0 && body.len + len + 1 > max_bytes)
			break;
		ax__buf_put(&body, text ? text : "", len);
		ax__buf_put(&body, "\n", 1);
		b->seq[b->n] = sqlite3_column_int64(s, 0);
		b->id[b->n] = strdup((const char *)sqlite3_column_text(s, 1));
		if (body.oom || !b->id[b->n]) {
			sqlite3_finalize(s);
			b->n += b->id[b->n] != NULL;
			rc = AX_NOMEM;
			ax__store_seterr(st, "out of memory");
			goto fail;
		}
		b->n++;
	}
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		rc = ax__store_sqlerr(st, src, "outbox");
	sqlite3_finalize(s);
	if (rc)
		goto fail;
	b->len = body.len;
	b->body = body.p; /* NULL when empty */
	return AX_OK;
fail:
	ax__buf_free(&body);
	ax__batch_free(b);
	return rc;
}

/* ==== replies ========================================================== */
enum { R_ACCEPTED, R_DUPLICATE, R_CONFLICT, R_REJECTED };
static const char *const status_names[] = {"accepted", "duplicate", "conflict",
                                           "rejected"};

struct mark {
	int idx;    /* record of the batch, -1: none */
	int status; /* R_* */
	int retry;  /* a rejection for now only */
	const char *reason;
};

/* Index of `id` in the batch, trying line `line` (1-based) first. */
static int batch_find(const struct ax__batch *b, const char *id,
                      json_int_t line)
{
	if (line >= 1 && line <= b->n && strcmp(b->id[line - 1], id) == 0)
		return (int)line - 1;
	for (int i = 0; i < b->n; i++)
		if (strcmp(b->id[i], id) == 0)
			return i;
	return -1;
}

ax_rc ax__sync_apply_reply(ax_store *st, const struct ax__batch *b,
                           const char *text, size_t len, long long now,
                           struct ax_sync_result *res)
{
	json_error_t je;
	json_t *root, *results;
	struct mark *marks = NULL;
	char *done = NULL;
	sqlite3_stmt *s = NULL, *defer = NULL;
	size_t nres, i;
	long counts[4] = {0}, marked = 0, deferred = 0;
	int in_tx = 0;
	ax_rc rc;

	root = json_loadb(text ? text : "", len, 0, &je);
	results = json_object_get(root, "results");
	if (!json_is_array(results)) {
		ax__store_seterr(st, "malformed reply: %s",
		                 !root ? je.text : "no \"results\" array");
		rc = AX_INVALID;
		goto fail;
	}
	/* first check everything, then change anything */
	nres = json_array_size(results);
	marks = calloc(nres ? nres : 1, sizeof *marks);
	done = calloc(b->n ? (size_t)b->n : 1, 1);
	if (!marks || !done) {
		ax__store_seterr(st, "out of memory");
		rc = AX_NOMEM;
		goto fail;
	}
	for (i = 0; i < nres; i++) {
		json_t *e = json_array_get(results, i), *jid, *jline, *jreason;
		const char *status = json_string_value(json_object_get(e, "status"));
		json_int_t line = 0;
		int k;

		for (k = 0; status && k < 4; k++)
			if (strcmp(status, status_names[k]) == 0)
				break;
		jid = json_object_get(e, "id");
		jline = json_object_get(e, "line");
		jreason = json_object_get(e, "reason");
		if (!json_is_object(e) || !status || k == 4 ||
		    (jid && !json_is_string(jid) && !json_is_null(jid)) ||
		    (jline && !json_is_integer(jline)) ||
		    (jreason && !json_is_string(jreason) && !json_is_null(jreason))) {
			ax__store_seterr(st, "malformed reply: results[%zu] is not "
			                 "{\"line\":N,\"id\":ID,\"status\":\"accepted|"
			                 "duplicate|conflict|rejected\",\"reason\":…}", i);
			rc = AX_INVALID;
			goto fail;
		}
		if (jline)
			line = json_integer_value(jline);
		marks[i].status = k;
		marks[i].retry = k == R_REJECTED &&
		                 json_is_true(json_object_get(e, "retry"));
		marks[i].reason = json_string_value(jreason);
		if (json_is_string(jid))
			marks[i].idx = batch_find(b, json_string_value(jid), line);
		else if (k >= R_CONFLICT && line >= 1 && line <= b->n)
			/* the server could not read the id: name it by its line */
			marks[i].idx = (int)line - 1;
		else
			/* an acknowledgement must name the record it acknowledges */
			marks[i].idx = -1;
		if (marks[i].idx < 0)
			AX_LOG(AX_LOG_WARN, "reply result %zu names no record of the "
			       "batch; ignored", i);
	}

	if ((rc = ax__exec(st, "BEGIN IMMEDIATE")))
		goto fail;
	in_tx = 1;
	if ((rc = ax__prepare(st, &s, "UPDATE outbox SET state = ?1, reason = ?2, "
	                              "acked_at = ?3 WHERE seq = ?4 AND state = "
	                              "'pending'")) ||
	    (rc = ax__prepare(st, &defer, "UPDATE outbox SET reason = ?1, "
	                                  "acked_at = ?2 + MIN(?3 << MIN(attempts, "
	                                  "12), 21600) WHERE seq = ?4 AND state = "
	                                  "'pending'")))
		goto fail;
	for (i = 0; i < nres; i++) {
		const struct mark *m = &marks[i];
		int src;
		if (m->idx < 0 || done[m->idx])
			continue;
		if (m->retry) {
			/* pending still; sent again after the backoff */
			sqlite3_reset(defer);
			sqlite3_bind_text(defer, 1, m->reason && *m->reason ? m->reason
			                            : "rejected for now", -1, SQLITE_STATIC);
			sqlite3_bind_int64(defer, 2, now);
			sqlite3_bind_int64(defer, 3, b->retry_base > 0 ? b->retry_base : 60);
			sqlite3_bind_int64(defer, 4, b->seq[m->idx]);
			if ((src = sqlite3_step(defer)) != SQLITE_DONE) {
				rc = ax__store_sqlerr(st, src, "outbox");
				goto fail;
			}
			done[m->idx] = 1;
			deferred += sqlite3_changes(ax__store_db(st)) > 0;
			continue;
		}
		sqlite3_reset(s);
		sqlite3_bind_text(s, 1, m->status <= R_DUPLICATE ? "sent"
		                        : status_names[m->status], -1, SQLITE_STATIC);
		if (m->status >= R_CONFLICT)
			sqlite3_bind_text(s, 2, m->reason && *m->reason ? m->reason
			                        : status_names[m->status], -1,
			                  SQLITE_STATIC);
		else
			sqlite3_bind_null(s, 2);
		sqlite3_bind_int64(s, 3, now);
		sqlite3_bind_int64(s, 4, b->seq[m->idx]);
		if ((src = sqlite3_step(s)) != SQLITE_DONE) {
			rc = ax__store_sqlerr(st, src, "outbox");
			goto fail;
		}
		done[m->idx] = 1;
		if (sqlite3_changes(ax__store_db(st)) > 0) {
			counts[m->status]++;
			marked++;
		}
	}
	sqlite3_finalize(s);
	s = NULL;
	sqlite3_finalize(defer);
	defer = NULL;
	if ((rc = ax__exec(st, "COMMIT")))
		goto fail;
	in_tx = 0;
	if (res) {
		res->accepted += counts[R_ACCEPTED];
		res->duplicate += counts[R_DUPLICATE];
		res->conflict += counts[R_CONFLICT];
		res->rejected += counts[R_REJECTED];
		res->deferred += deferred;
		res->unanswered += b->n - marked - deferred;
	}
fail:
	sqlite3_finalize(s);
	sqlite3_finalize(defer);
	if (in_tx)
		sqlite3_exec(ax__store_db(st), "ROLLBACK", NULL, NULL, NULL);
	free(marks);
	free(done);
	json_decref(root);
	return rc;
}

/* ==== backoff ========================================================== */
static uint32_t (*random_fn)(uint32_t upper);

void ax__sync_set_random(uint32_t (*fn)(uint32_t upper)) { random_fn = fn; }

static uint32_t random_below(uint32_t upper)
{
	if (random_fn)
		return random_fn(upper);
	if (sodium_init() < 0)
		return upper / 2;
	return randombytes_uniform(upper);
}

static void opts_backoff(const struct ax_sync_opts *o, int *base, int *max)
{
	*base = o && o->backoff_base > 0 ? o->backoff_base : BACKOFF_BASE_DEFAULT;
	*max = o && o->backoff_max > 0 ? o->backoff_max : BACKOFF_MAX_DEFAULT;
	if (*max < *base)
		*max = *base;
}

long long ax__sync_backoff_cap(int failures, int base, int max)
{
	long long cap = base < 1 ? 1 : base;
	/* doubling stops at max, long before it could overflow */
	for (int i = 1; i < failures && cap < max; i++)
		cap *= 2;
	if (cap > max)
		cap = max;
	return cap < 1 ? 1 : cap;
}

long long ax__sync_record_failure(ax_store *st, const struct ax_sync_opts *o,
                                  long long now, const char *msg,
                                  int permanent, long long retry_after)
{
	int base, max, failures;
	long long cap, next;

	opts_backoff(o, &base, &max);
	failures = (int)state_get_ll(st, "sync.failures");
	if (failures < 0 || failures > 1000000)
		failures = 0;
	failures++;
	cap = ax__sync_backoff_cap(failures, base, max);
	/* full jitter: devices that lost the network together do not all
	 * come back in the same second */
	next = permanent ? now + max
	                 : now + 1 + (cap > 1 ? random_below((uint32_t)cap) : 0);
	if (retry_after > 0 && now + retry_after > next)
		next = now + (retry_after < max ? retry_after : max);
	/* the store may be the failing part; the caller reports msg anyway */
	if (ax__exec(st, "SAVEPOINT sync_fail") == AX_OK) {
		if (state_set_ll(st, "sync.failures", failures) ||
		    state_set_ll(st, "sync.next_attempt", next) ||
		    ax__sync_state_set(st, "sync.last_error", msg) ||
		    state_set_ll(st, "sync.last_error_at", now) ||
		    state_set_ll(st, "sync.permanent", permanent ? 1 : 0))
			ax__exec(st, "ROLLBACK TO sync_fail");
		ax__exec(st, "RELEASE sync_fail");
	}
	return next;
}

ax_rc ax__sync_record_success(ax_store *st, const char *what, long long now)
{
	char key[32];
	ax_rc rc;

	snprintf(key, sizeof key, "%s.last_success", what);
	if ((rc = ax__exec(st, "SAVEPOINT sync_ok")))
		return rc;
	if ((rc = state_set_ll(st, key, now)) ||
	    (rc = ax__sync_state_set(st, "sync.failures", NULL)) ||
	    (rc = ax__sync_state_set(st, "sync.next_attempt", NULL)) ||
	    (rc = ax__sync_state_set(st, "sync.last_error", NULL)) ||
	    (rc = ax__sync_state_set(st, "sync.last_error_at", NULL)) ||
	    (rc = ax__sync_state_set(st, "sync.permanent", NULL))) {
		ax__exec(st, "ROLLBACK TO sync_ok");
		ax__exec(st, "RELEASE sync_ok");
		return rc;
	}
	return ax__exec(st, "RELEASE sync_ok");
}

int ax_sync_due(ax_store *st, long long now)
{
	return now >= state_get_ll(st, "sync.next_attempt");
}

/* ==== counts for the client ============================================ */
long ax__outbox_pending(ax_store *st)
{
	sqlite3_stmt *s;
	long n = -1;
	if (ax__prepare(st, &s,
	                "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

ax_rc ax__outbox_count_attempt(ax_store *st, const struct ax__batch *b)
{
	sqlite3_stmt *s;
	ax_rc rc;
	int src;

	if ((rc = ax__prepare(st, &s, "UPDATE outbox SET attempts = attempts + 1 "
	                              "WHERE state = 'pending' AND seq BETWEEN ?1 "
	                              "AND ?2")))
		return rc;
	sqlite3_bind_int64(s, 1, b->seq[0]);
	sqlite3_bind_int64(s, 2, b->seq[b->n - 1]);
	src = sqlite3_step(s);
	sqlite3_finalize(s);
	return src == SQLITE_DONE ? AX_OK : ax__store_sqlerr(st, src, "outbox");
}
