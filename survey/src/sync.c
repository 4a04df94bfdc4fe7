/*
 * sync.c -- the outbox and the sync client (libcurl, zlib).
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
 * (state, seq) index; the body is held twice in memory (plain and gzip),
 * so a batch costs about 1.5 x max_bytes.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "anxin/content.h"
#include "anxin/sync.h"
#include "sync_int.h"

#define BACKOFF_BASE_DEFAULT 15
#define BACKOFF_MAX_DEFAULT 1800
#define TIMEOUT_DEFAULT 30
#define CONNECT_TIMEOUT_DEFAULT 5
/* Replies larger than this are refused: a roster slice of a whole county
 * (~200k households with phones) is about 30 MB. */
#define REPLY_MAX ((size_t)64 * 1024 * 1024)

/* ==== sync_state ======================================================= */
ax_rc ax__sync_state_get(ax_store *st, const char *key, char **out)
{
	sqlite3_stmt *s;
	ax_rc rc;
	int src;

	*out = NULL;
	if ((rc = ax__prepare(st, &s, "SELECT value FROM sync_state WHERE key = ?")))
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
		const char *v = (const char *)sqlite3_column_text(s, 0);
		if (!v || !(*out = strdup(v))) {
			sqlite3_finalize(s);
			ax__store_seterr(st, "out of memory");
			return AX_NOMEM;
		}
	} else if (src != SQLITE_ROW && src != SQLITE_DONE) {
		rc = ax__store_sqlerr(st, src, "sync_state");
	}
	sqlite3_finalize(s);
	return rc;
}

/* value NULL deletes the key. */
ax_rc ax__sync_state_set(ax_store *st, const char *key, const char *value)
{
	sqlite3_stmt *s;
	ax_rc rc;
	int src;

	rc = ax__prepare(st, &s,
	                 value ? "INSERT INTO sync_state(key, value) VALUES(?1, ?2) "
	                         "ON CONFLICT(key) DO UPDATE SET value = ?2"
	                       : "DELETE FROM sync_state WHERE key = ?1");
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (value)
		sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	sqlite3_finalize(s);
	if (src != SQLITE_DONE)
		return ax__store_sqlerr(st, src, "sync_state");
	return AX_OK;
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
ax_rc ax_outbox_put(ax_store *st, const char *id, const char *body)
{
	sqlite3_stmt *s = NULL;
	json_error_t je;
	json_t *j, *jid;
	ax_rc rc = AX_OK;
	int src;

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

	if ((rc = ax__prepare(st, &s,
	                      "INSERT INTO outbox(id, body, created_at) "
	                      "VALUES(?1, ?2, ?3) ON CONFLICT(id) DO NOTHING")))
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)time(NULL));
	if ((src = sqlite3_step(s)) != SQLITE_DONE)
		rc = ax__store_sqlerr(st, src, "outbox");
	sqlite3_finalize(s);
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
	if ((rc = ax__prepare(st, &s, "SELECT seq, id, body FROM outbox WHERE "
	                              "state = 'pending' AND seq > ?1 ORDER BY "
	                              "seq LIMIT ?2")))
		goto fail;
	sqlite3_bind_int64(s, 1, after_seq);
	sqlite3_bind_int(s, 2, max_records);
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
	sqlite3_stmt *s = NULL;
	size_t nres, i;
	long counts[4] = {0}, marked = 0;
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
	                              "'pending'")))
		goto fail;
	for (i = 0; i < nres; i++) {
		const struct mark *m = &marks[i];
		int src;
		if (m->idx < 0 || done[m->idx])
			continue;
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
	if ((rc = ax__exec(st, "COMMIT")))
		goto fail;
	in_tx = 0;
	if (res) {
		res->accepted += counts[R_ACCEPTED];
		res->duplicate += counts[R_DUPLICATE];
		res->conflict += counts[R_CONFLICT];
		res->rejected += counts[R_REJECTED];
		res->unanswered += b->n - marked;
	}
fail:
	sqlite3_finalize(s);
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

/* ==== HTTP ============================================================= */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

struct http {
	CURL *h;
	const struct ax_sync_opts *o;
	const char *base; /* opts.url without trailing '/' */
	size_t base_len;
	struct ax_buf reply;
	int reply_too_big;
	char etag[256];
	long long retry_after;
	char curl_err[CURL_ERROR_SIZE];
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct http *H = ctx;
	size_t len = size * n;

	if (H->reply.len + len > REPLY_MAX) {
		H->reply_too_big = 1;
		return 0; /* curl aborts with CURLE_WRITE_ERROR */
	}
	ax__buf_put(&H->reply, p, len);
	return H->reply.oom ? 0 : len;
}

/* Keeps ETag and Retry-After of the final response (a 100 Continue or
 * other interim response starts a new set of headers). */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct http *H = ctx;
	size_t len = size * n, k;
	const char *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		H->etag[0] = '\0';
		H->retry_after = 0;
		return len;
	}
	if (len > 5 && strncasecmp(p, "ETag:", 5) == 0)
		k = 5;
	else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		k = 12;
	else
		return len;
	v = p + k;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
	n = (size_t)(p + len - v);
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (k == 5) {
		if (n < sizeof H->etag) {
			memcpy(H->etag, v, n);
			H->etag[n] = '\0';
		}
	} else if (n && n < 10 && strspn(v, "0123456789") >= n) {
		/* delta-seconds only; an HTTP-date is left to the backoff */
		H->retry_after = strtoll(v, NULL, 10);
	}
	return len;
}

static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c,
                       curl_off_t d)
{
	const struct ax_sync_opts *o = ctx;
	(void)a, (void)b, (void)c, (void)d;
	return o->cancel && *o->cancel;
}

static int cancelled(const struct ax_sync_opts *o)
{
	return o->cancel && *o->cancel;
}

/* Checks options shared by push and pull; message in err. */
static ax_rc check_opts(const struct ax_sync_opts *o, char *err, size_t n)
{
	if (!o || !o->url ||
	    (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))) {
		snprintf(err, n, "the server URL must start with http:// or https://");
		return AX_INVALID;
	}
	if (!o->token || !*o->token || strlen(o->token) > 512) {
		snprintf(err, n, "no device token");
		return AX_INVALID;
	}
	for (const char *p = o->token; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, n, "the device token contains spaces or control "
			                 "characters");
			return AX_INVALID;
		}
	return AX_OK;
}

static ax_rc http_open(struct http *H, const struct ax_sync_opts *o)
{
	long timeout = o->timeout > 0 ? o->timeout : TIMEOUT_DEFAULT;
	long ctimeout = o->connect_timeout > 0 ? o->connect_timeout
	                                       : CONNECT_TIMEOUT_DEFAULT;

	memset(H, 0, sizeof *H);
	H->o = o;
	H->base = o->url;
	H->base_len = strlen(o->url);
	while (H->base_len && H->base[H->base_len - 1] == '/')
		H->base_len--;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK || !(H->h = curl_easy_init()))
		return AX_NOMEM;
	curl_easy_setopt(H->h, CURLOPT_NOSIGNAL, 1L); /* thread-safe timeouts */
	curl_easy_setopt(H->h, CURLOPT_CONNECTTIMEOUT, ctimeout);
	curl_easy_setopt(H->h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(H->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(H->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(H->h, CURLOPT_USERAGENT, "anxin/" AX_VERSION);
	curl_easy_setopt(H->h, CURLOPT_ERRORBUFFER, H->curl_err);
	curl_easy_setopt(H->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(H->h, CURLOPT_WRITEDATA, H);
	curl_easy_setopt(H->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(H->h, CURLOPT_HEADERDATA, H);
	curl_easy_setopt(H->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(H->h, CURLOPT_XFERINFODATA, (void *)o);
	curl_easy_setopt(H->h, CURLOPT_NOPROGRESS, 0L);
	return AX_OK;
}

static void http_close(struct http *H)
{
	curl_easy_cleanup(H->h);
	ax__buf_free(&H->reply);
}

/* Outcome of one request, as the schedule sees it. */
enum outcome { OK_ANSWER, FAIL_TRANSIENT, FAIL_PERMANENT, FAIL_CANCELLED };

/*
 * One request to base + path.  `post` NULL makes a GET.  `extra` headers
 * (borrowed) are added to the bearer token.  On return *status is the
 * HTTP status (0 if none) and H->reply holds the body.  Any failure to
 * get an answer is described in err.
 */
static enum outcome http_do(struct http *H, const char *path,
                            struct curl_slist *extra, const void *post,
                            size_t post_len, long *status, char *err,
                            size_t errlen)
{
	struct ax_buf url = {0}, auth = {0};
	struct curl_slist *hdrs = NULL, *h;
	enum outcome out = FAIL_TRANSIENT;
	CURLcode cc;

	*status = 0;
	ax__buf_free(&H->reply);
	H->reply_too_big = 0;
	H->etag[0] = '\0';
	H->retry_after = 0;
	H->curl_err[0] = '\0';
	ax__buf_put(&url, H->base, H->base_len);
	ax__buf_puts(&url, path);
	ax__buf_printf(&auth, "Authorization: Bearer %s", H->o->token);
	if (url.oom || auth.oom || !(hdrs = curl_slist_append(NULL, auth.p))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (const struct curl_slist *e = extra; e; e = e->next) {
		if (!(h = curl_slist_append(hdrs, e->data))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		hdrs = h;
	}
	curl_easy_setopt(H->h, CURLOPT_URL, url.p);
	curl_easy_setopt(H->h, CURLOPT_HTTPHEADER, hdrs);
	if (post) {
		curl_easy_setopt(H->h, CURLOPT_POST, 1L);
		curl_easy_setopt(H->h, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(H->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len);
	} else {
		curl_easy_setopt(H->h, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(H->h);
	curl_easy_setopt(H->h, CURLOPT_HTTPHEADER, NULL);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(err, errlen, "%s %s: cancelled", post ? "POST" : "GET", url.p);
		out = FAIL_CANCELLED;
		goto fail;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", post ? "POST" : "GET", url.p,
		         H->reply_too_big ? "reply larger than 64 MiB"
		         : H->curl_err[0] ? H->curl_err
		                          : curl_easy_strerror(cc));
		goto fail;
	}
	curl_easy_getinfo(H->h, CURLINFO_RESPONSE_CODE, status);
	if (H->reply.oom) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	out = OK_ANSWER;
fail:
	curl_slist_free_all(hdrs);
	ax__buf_free(&url);
	ax__buf_free(&auth);
	return out;
}

/* Describe a reply status other than the expected ones; returns the
 * outcome (401/403 are permanent: retrying cannot fix a refused token). */
static enum outcome http_status_error(struct http *H, const char *what,
                                      long status, char *err, size_t errlen)
{
	char snippet[121];
	size_t k = 0;

	/* a printable excerpt of the body: servers say why in it */
	for (size_t i = 0; H->reply.p && i < H->reply.len && k < sizeof snippet - 1; i++) {
		unsigned char c = (unsigned char)H->reply.p[i];
		snippet[k++] = c < ' ' || c == 0x7f ? ' ' : (char)c;
	}
	snippet[k] = '\0';
	if (status == 401) {
		snprintf(err, errlen, "%s: the server does not accept the device "
		         "token (HTTP 401%s%s): check the token file or register the "
		         "device again", what, k ? ": " : "", snippet);
		return FAIL_PERMANENT;
	}
	if (status == 403) {
		snprintf(err, errlen, "%s: the server refused this device (HTTP 403"
		         "%s%s): check its token and scope", what, k ? ": " : "",
		         snippet);
		return FAIL_PERMANENT;
	}
	snprintf(err, errlen, "%s: server answered HTTP %ld%s%s", what, status,
	         k ? ": " : "", snippet);
	return FAIL_TRANSIENT;
}

/* ==== push ============================================================= */
static ax_rc gzip_body(const char *in, size_t n, unsigned char **out,
                       size_t *out_len)
{
	z_stream z;
	unsigned char *buf = NULL;
	uLong bound;

	*out = NULL;
	*out_len = 0;
	if (n > UINT_MAX)
		return AX_INVALID;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip wrapper, as Content-Encoding: gzip means */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return AX_NOMEM;
	bound = deflateBound(&z, (uLong)n);
	if (!(buf = malloc(bound))) {
		deflateEnd(&z);
		return AX_NOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		return AX_ERROR;
	}
	*out_len = z.total_out;
	*out = buf;
	deflateEnd(&z);
	return AX_OK;
}

static long count_pending(ax_store *st)
{
	sqlite3_stmt *s;
	long n = -1;
	if (ax__prepare(st, &s, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = (long)sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return n;
}

static ax_rc count_attempt(ax_store *st, const struct ax__batch *b)
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

/* Map an outcome to the schedule and the caller's result code. */
static ax_rc settle(ax_store *st, const struct ax_sync_opts *o,
                    enum outcome out, ax_rc fail_rc, const char *err,
                    long long retry_after, int *permanent, int *was_cancelled,
                    long long *next)
{
	if (out == FAIL_CANCELLED) {
		*was_cancelled = 1;
		ax__store_seterr(st, "%s", err);
		return AX_ERROR;
	}
	*permanent = out == FAIL_PERMANENT;
	*next = ax__sync_record_failure(st, o, (long long)time(NULL), err,
	                                *permanent, retry_after);
	ax__store_seterr(st, "%s", err);
	/* not a warning: the caller gets err and reports it */
	AX_LOG(AX_LOG_INFO, "next attempt at %lld: %s", *next, err);
	return *permanent ? AX_DENIED : fail_rc;
}

ax_rc ax_sync_push(ax_store *st, const struct ax_sync_opts *o,
                   struct ax_sync_result *res)
{
	struct ax_sync_result local;
	struct ax__batch b = {0};
	struct http H = {0};
	unsigned char *gz = NULL;
	size_t gz_len, max_bytes;
	long long after = 0, retry_after = 0;
	int limit;
	enum outcome out = OK_ANSWER;
	ax_rc rc, fail_rc = AX_IO;
	char err[256] = "";

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	if ((rc = check_opts(o, err, sizeof err))) {
		ax__store_seterr(st, "%s", err);
		snprintf(res->error, sizeof res->error, "%s", err);
		return rc;
	}
	limit = o->batch > 0 ? o->batch : AX_SYNC_BATCH_DEFAULT;
	max_bytes = o->max_bytes > 0 ? o->max_bytes : AX_SYNC_MAX_BYTES_DEFAULT;
	if ((rc = http_open(&H, o))) {
		snprintf(err, sizeof err, "cannot start libcurl");
		goto fail;
	}
	for (;;) {
		struct curl_slist *hdrs = NULL, *h;
		char backlog[64], device_time[64];
		long status;

		if (cancelled(o)) {
			snprintf(err, sizeof err, "push cancelled");
			out = FAIL_CANCELLED;
			break;
		}
		if ((rc = ax__sync_build_batch(st, after, limit, max_bytes, &b)))
			goto fail;
		if (b.n == 0)
			break;
		if ((rc = gzip_body(b.body, b.len, &gz, &gz_len))) {
			snprintf(err, sizeof err, "cannot compress a batch of %zu bytes",
			         b.len);
			goto fail;
		}
		if ((rc = count_attempt(st, &b)))
			goto fail;
		snprintf(backlog, sizeof backlog, "X-Anxin-Backlog: %ld",
		         count_pending(st));
		/* our clock, so the server can see and undo a skew in the
		 * records' times (a kiosk whose clock is days wrong) */
		snprintf(device_time, sizeof device_time, "X-Anxin-Device-Time: %lld",
		         (long long)time(NULL));
		/* no Expect: 100-continue; a 413 is answered after the upload */
		if (!(hdrs = curl_slist_append(NULL, "Content-Type: application/x-ndjson")) ||
		    !(h = curl_slist_append(hdrs, "Content-Encoding: gzip")) ||
		    !(h = curl_slist_append(hdrs, "Accept: application/json")) ||
		    !(h = curl_slist_append(hdrs, "Expect:")) ||
		    !(h = curl_slist_append(hdrs, backlog)) ||
		    !(h = curl_slist_append(hdrs, device_time))) {
			curl_slist_free_all(hdrs);
			rc = AX_NOMEM;
			snprintf(err, sizeof err, "out of memory");
			goto fail;
		}
		out = http_do(&H, "/api/v1/records", hdrs, gz, gz_len, &status, err,
		              sizeof err);
		curl_slist_free_all(hdrs);
		free(gz);
		gz = NULL;
		res->http_status = (int)status;
		retry_after = H.retry_after;
		if (out != OK_ANSWER)
			break;
		AX_LOG(AX_LOG_INFO, "pushed %d records (%zu bytes, %zu gzip): HTTP %ld",
		       b.n, b.len, gz_len, status);
		if (status == 413) {
			if (b.n > 1) {
				limit = b.n / 2;
			} else {
				/* even alone it is too large: leave it pending and go on,
				 * so one record cannot hold up every later one */
				res->oversize++;
				after = b.seq[0];
				AX_LOG(AX_LOG_WARN, "record %s (%zu bytes) is larger than the "
				       "server accepts; left pending", b.id[0], b.len);
			}
			ax__batch_free(&b);
			continue;
		}
		if (status != 200) {
			out = http_status_error(&H, "POST /api/v1/records", status, err,
			                        sizeof err);
			break;
		}
		rc = ax__sync_apply_reply(st, &b, H.reply.p, H.reply.len,
		                          (long long)time(NULL), res);
		if (rc == AX_INVALID) {
			snprintf(err, sizeof err, "POST /api/v1/records: %s",
			         ax_store_errmsg(st));
			out = FAIL_TRANSIENT;
			fail_rc = AX_INVALID;
			break;
		}
		if (rc)
			goto fail;
		res->requests++;
		after = b.seq[b.n - 1];
		ax__batch_free(&b);
	}
	if (out != OK_ANSWER)
		rc = settle(st, o, out, fail_rc, err, retry_after, &res->permanent,
		            &res->cancelled, &res->next_attempt);
	else if (res->requests)
		rc = ax__sync_record_success(st, "push", (long long)time(NULL));
	if (!rc && res->oversize)
		snprintf(res->error, sizeof res->error,
		         "%ld record(s) larger than the server accepts left pending",
		         res->oversize);
fail:
	if (rc && err[0])
		ax__store_seterr(st, "%s", err);
	if (rc && !res->error[0])
		snprintf(res->error, sizeof res->error, "%s", ax_store_errmsg(st));
	res->pending = count_pending(st);
	free(gz);
	ax__batch_free(&b);
	http_close(&H);
	return rc;
}

/* ==== pull ============================================================= */
static void first_diag(void *ctx, enum ax_severity sev, const char *msg)
{
	char *buf = ctx;
	if (sev == AX_SEV_ERROR && !buf[0])
		snprintf(buf, 256, "%s", msg);
}

ax_rc ax__sync_apply_campaigns(ax_store *st, const char *text, size_t len,
                               const char *etag, int *surveys_added,
                               int *ncampaigns)
{
	json_error_t je;
	json_t *root, *camps, *surveys, *v;
	const char *key;
	ax_content **loaded = NULL;
	size_t nsurveys, k = 0;
	char *copy = NULL;
	int added = 0;
	ax_rc rc = AX_OK;

	if (surveys_added)
		*surveys_added = 0;
	root = json_loadb(text, len, 0, &je);
	camps = json_object_get(root, "campaigns");
	surveys = json_object_get(root, "surveys");
	if (!json_is_array(camps) || (surveys && !json_is_object(surveys))) {
		ax__store_seterr(st, "malformed campaigns document: %s",
		                 !root ? je.text
		                       : "expected {\"campaigns\":[…],\"surveys\":{…}}");
		json_decref(root);
		return AX_INVALID;
	}
	/* load every survey first: one that does not validate stops it all */
	nsurveys = json_object_size(surveys);
	if (nsurveys && !(loaded = calloc(nsurveys, sizeof *loaded))) {
		rc = AX_NOMEM;
		ax__store_seterr(st, "out of memory");
		goto fail;
	}
	json_object_foreach(surveys, key, v) {
		const struct ax_survey *s;
		char name[160], first[256] = "", *sj;
		int nerr = 0;
		ax_rc lrc;

		snprintf(name, sizeof name, "campaigns.json:surveys/%s", key);
		if (!(sj = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS))) {
			rc = AX_NOMEM;
			ax__store_seterr(st, "out of memory");
			goto fail;
		}
		lrc = ax_content_load_text(name, "survey", sj, first_diag, first, &nerr,
		                           &loaded[k]);
		free(sj);
		if (lrc) {
			rc = lrc;
			ax__store_seterr(st, "%s: %s", name, ax_rc_str(lrc));
			goto fail;
		}
		k++;
		s = ax_content_nsurveys(loaded[k - 1]) == 1
		        ? ax_content_survey(loaded[k - 1], 0)
		        : NULL;
		if (nerr || !s) {
			ax__store_seterr(st, "%s", first[0] ? first : name);
			rc = AX_INVALID;
			goto fail;
		}
		snprintf(name, sizeof name, "%s@%d", s->id, s->version);
		if (strcmp(name, key) != 0) {
			ax__store_seterr(st, "campaigns.json: survey \"%s\" is keyed "
			                 "\"%s\"", name, key);
			rc = AX_INVALID;
			goto fail;
		}
	}
	for (size_t i = 0; i < k; i++) {
		int n = 0;
		if ((rc = ax_content_install(st, loaded[i], &n)))
			goto fail;
		added += n;
	}
	if (!(copy = malloc(len + 1))) {
		rc = AX_NOMEM;
		ax__store_seterr(st, "out of memory");
		goto fail;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if ((rc = ax__exec(st, "SAVEPOINT campaigns")))
		goto fail;
	if ((rc = ax__sync_state_set(st, "campaigns.json", copy)) ||
	    (rc = ax__sync_state_set(st, "campaigns.etag",
	                             etag && *etag ? etag : NULL))) {
		ax__exec(st, "ROLLBACK TO campaigns");
		ax__exec(st, "RELEASE campaigns");
		goto fail;
	}
	if ((rc = ax__exec(st, "RELEASE campaigns")))
		goto fail;
	if (surveys_added)
		*surveys_added = added;
	if (ncampaigns)
		*ncampaigns = (int)json_array_size(camps);
fail:
	for (size_t i = 0; i < k; i++)
		ax_content_free(loaded[i]);
	free(loaded);
	free(copy);
	json_decref(root);
	return rc;
}

/* Check a roster slice and keep it raw under roster.CODE.*. */
static ax_rc apply_roster(ax_store *st, const char *code, const char *text,
                          size_t len, const char *etag)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	const char *scope = json_string_value(json_object_get(root, "scope"));
	char key[96], *copy = NULL;
	ax_rc rc;

	if (!json_is_array(json_object_get(root, "households")) || !scope ||
	    strcmp(scope, code) != 0) {
		ax__store_seterr(st, "malformed roster of %s: %s", code,
		                 !root ? je.text
		                       : "expected {\"scope\":CODE,\"households\":[…]} "
		                         "for the code asked");
		json_decref(root);
		return AX_INVALID;
	}
	json_decref(root);
	if (!(copy = malloc(len + 1))) {
		ax__store_seterr(st, "out of memory");
		return AX_NOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if ((rc = ax__exec(st, "SAVEPOINT roster"))) {
		free(copy);
		return rc;
	}
	snprintf(key, sizeof key, "roster.%s.json", code);
	rc = ax__sync_state_set(st, key, copy);
	snprintf(key, sizeof key, "roster.%s.etag", code);
	if (!rc)
		rc = ax__sync_state_set(st, key, etag && *etag ? etag : NULL);
	if (rc)
		ax__exec(st, "ROLLBACK TO roster");
	ax__exec(st, "RELEASE roster");
	free(copy);
	return rc;
}

/*
 * GET path with If-None-Match from etag_key (only when doc_key holds a
 * document, else a lost document could never come back).  *changed: 1 on
 * 200, 0 on 304.  On 200 the reply is in H->reply and the ETag in H->etag.
 */
static enum outcome conditional_get(ax_store *st, struct http *H,
                                    const char *path, const char *doc_key,
                                    const char *etag_key, long *status,
                                    int *changed, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL, *h;
	struct ax_buf inm = {0};
	char *etag = NULL, *doc = NULL, backlog[64];
	enum outcome out;

	*changed = 0;
	if (ax__sync_state_get(st, etag_key, &etag) == AX_OK && etag &&
	    ax__sync_state_get(st, doc_key, &doc) == AX_OK && doc)
		ax__buf_printf(&inm, "If-None-Match: %s", etag);
	free(etag);
	free(doc);
	snprintf(backlog, sizeof backlog, "X-Anxin-Backlog: %ld", count_pending(st));
	if (inm.oom || !(hdrs = curl_slist_append(NULL, "Accept: application/json")) ||
	    !(h = curl_slist_append(hdrs, backlog)) ||
	    (inm.p && !(h = curl_slist_append(hdrs, inm.p)))) {
		curl_slist_free_all(hdrs);
		ax__buf_free(&inm);
		snprintf(err, errlen, "out of memory");
		return FAIL_TRANSIENT;
	}
	out = http_do(H, path, hdrs, NULL, 0, status, err, errlen);
	curl_slist_free_all(hdrs);
	ax__buf_free(&inm);
	if (out != OK_ANSWER)
		return out;
	if (*status == 304)
		return OK_ANSWER;
	if (*status != 200) {
		char what[160];
		snprintf(what, sizeof what, "GET %s", path);
		return http_status_error(H, what, *status, err, errlen);
	}
	*changed = 1;
	return OK_ANSWER;
}

ax_rc ax_sync_pull(ax_store *st, const struct ax_sync_opts *o,
                   struct ax_sync_pull_result *res)
{
	struct ax_sync_pull_result local;
	struct http H = {0};
	enum outcome out = OK_ANSWER;
	ax_rc rc, fail_rc = AX_IO;
	long status = 0;
	int changed;
	char err[256] = "";

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	res->ncampaigns = -1;
	if ((rc = check_opts(o, err, sizeof err))) {
		ax__store_seterr(st, "%s", err);
		snprintf(res->error, sizeof res->error, "%s", err);
		return rc;
	}
	if ((rc = http_open(&H, o))) {
		snprintf(err, sizeof err, "cannot start libcurl");
		goto fail;
	}

	out = conditional_get(st, &H, "/api/v1/campaigns", "campaigns.json",
	                      "campaigns.etag", &status, &changed, err, sizeof err);
	res->http_status = (int)status;
	if (out != OK_ANSWER)
		goto fail;
	if (changed) {
		rc = ax__sync_apply_campaigns(st, H.reply.p ? H.reply.p : "",
		                              H.reply.len, H.etag, &res->surveys_added,
		                              &res->ncampaigns);
		if (rc == AX_INVALID || rc == AX_CONFLICT) {
			/* what the server sent is wrong, not the device: keep the old
			 * document and try again later */
			snprintf(err, sizeof err, "GET /api/v1/campaigns: %s",
			         ax_store_errmsg(st));
			out = FAIL_TRANSIENT;
			fail_rc = rc;
			goto fail;
		}
		if (rc)
			goto fail;
		res->campaigns_changed = 1;
	}

	/* roster slices, one per scope code (SMS gateways) */
	for (const char *p = o->scope; p && *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		char code[32], path[96], doc_key[96], etag_key[96], *esc;

		if (n == 0 || n >= sizeof code) {
			snprintf(err, sizeof err, "scope: \"%.*s\" is not a region code",
			         (int)(n < 40 ? n : 40), p);
			rc = AX_INVALID;
			goto fail;
		}
		memcpy(code, p, n);
		code[n] = '\0';
		p = c ? c + 1 : NULL;
		if (!(esc = curl_easy_escape(H.h, code, 0))) {
			snprintf(err, sizeof err, "out of memory");
			rc = AX_NOMEM;
			goto fail;
		}
		snprintf(path, sizeof path, "/api/v1/roster?scope=%s", esc);
		curl_free(esc);
		snprintf(doc_key, sizeof doc_key, "roster.%s.json", code);
		snprintf(etag_key, sizeof etag_key, "roster.%s.etag", code);
		if (cancelled(o)) {
			snprintf(err, sizeof err, "pull cancelled");
			out = FAIL_CANCELLED;
			goto fail;
		}
		out = conditional_get(st, &H, path, doc_key, etag_key, &status,
		                      &changed, err, sizeof err);
		res->http_status = (int)status;
		if (out != OK_ANSWER)
			goto fail;
		if (!changed) {
			res->rosters_unchanged++;
			continue;
		}
		rc = apply_roster(st, code, H.reply.p ? H.reply.p : "", H.reply.len,
		                  H.etag);
		if (rc == AX_INVALID) {
			snprintf(err, sizeof err, "GET %s: %s", path, ax_store_errmsg(st));
			out = FAIL_TRANSIENT;
			fail_rc = rc;
			goto fail;
		}
		if (rc)
			goto fail;
		res->rosters_changed++;
	}
	rc = ax__sync_record_success(st, "pull", (long long)time(NULL));
fail:
	if (out != OK_ANSWER)
		rc = settle(st, o, out, fail_rc, err, H.retry_after, &res->permanent,
		            &res->cancelled, &res->next_attempt);
	else if (rc && err[0])
		ax__store_seterr(st, "%s", err);
	if (rc)
		snprintf(res->error, sizeof res->error, "%s", ax_store_errmsg(st));
	http_close(&H);
	return rc;
}
