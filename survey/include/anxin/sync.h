/*
 * sync.h -- a device's outbox and its sync client (DESIGN.md "Flows" 3).
 *
 * Every record a device writes (a response, an outreach contact) is put in
 * the outbox of its own store, in the same transaction as the answer
 * itself.  The sync client pushes pending records, oldest first, in
 * gzip-compressed NDJSON batches to POST URL/api/v1/records, and pulls the
 * device's campaigns (and, for SMS gateways, roster slices) from the
 * central server.
 *
 * Promises kept here:
 *   - a record is marked sent only after the server acknowledged it by id
 *     (accepted or duplicate); a record is never deleted;
 *   - any failure (network, HTTP status, malformed reply) marks nothing:
 *     the batch is simply sent again later, and the server's idempotence
 *     by record id makes the resend harmless;
 *   - after a transient failure the next attempt waits
 *     min(base * 2^failures, max) seconds with full jitter; the schedule
 *     lives in the store (table sync_state), so it survives restarts.
 *
 * Keys of sync_state written here (values are text):
 *   sync.failures, sync.next_attempt, sync.last_error, sync.last_error_at,
 *   sync.permanent, push.last_success, pull.last_success,
 *   campaigns.json, campaigns.etag     the last campaigns document, raw
 *   roster.CODE.json, roster.CODE.etag  the last roster slice of CODE, raw
 *
 * Thread-safety: like the store, one handle per thread.  The push and
 * pull functions block for up to opts.timeout seconds per request.
 */
#ifndef ANXIN_SYNC_H
#define ANXIN_SYNC_H

#include <signal.h>

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- outbox ----------------------------------------------------------- */

/*
 * Queue one record line for the server.  `id` and `body` are borrowed
 * (copied into the store).  `body` must be one JSON object on one line
 * whose "id" member equals `id` (AX_INVALID otherwise, message on the
 * handle).  Idempotent by id: putting the same id with the same body again
 * is AX_OK and changes nothing; the same id with a different body is
 * AX_CONFLICT and the stored record is left as it was.
 *
 * Does not BEGIN or COMMIT: callers put the record inside the transaction
 * that writes the answer, so both are committed or neither is.
 */
ax_rc ax_outbox_put(ax_store *st, const char *id, const char *body);

/*
 * Queue the contact record libanxin builds from m (ax_contact_record in
 * response.h; m and its strings borrowed), as ax_outbox_put would, without
 * parsing the line back: it is libanxin's own.  AX_INVALID when m->id is
 * not 1 to 63 bytes or a string is not UTF-8; AX_CONFLICT as above.
 * Does not BEGIN or COMMIT.
 */
struct ax_contact_meta;
ax_rc ax_outbox_put_contact(ax_store *st, const struct ax_contact_meta *m);

struct ax_outbox_status {
	long pending, sent, conflict, rejected;
	long long oldest_pending; /* created_at of the oldest pending, 0: none */
	long long last_push;      /* last push the server answered, 0: never */
	long long last_pull;      /* last successful pull, 0: never */
	long long next_attempt;   /* earliest time for the next try, 0: now */
	int failures;             /* consecutive failed attempts */
	int permanent;            /* the last error will not go away by retrying */
	long long last_error_at;  /* 0: no error since the last success */
	char last_error[256];     /* "" when the last attempt succeeded */
};

/* Counts of the outbox by state and the sync schedule.  Fills *out. */
ax_rc ax_outbox_status(ax_store *st, struct ax_outbox_status *out);

/*
 * Write outbox record bodies, one per line in queue order, to `path`
 * (borrowed) atomically: PATH.tmp is written, fsync'ed and renamed over
 * PATH, so a pulled USB stick never holds half a file.  With all == 0 only
 * pending records are written, else every record.  Exported records stay
 * pending: only a server acknowledgement marks them sent.  *written (may be
 * NULL) gets the number of lines.  `anxin records import` reads the file.
 */
ax_rc ax_outbox_export(ax_store *st, const char *path, int all, long *written);

/* ---- sync client ------------------------------------------------------ */

/* Zero in any numeric field means its default. */
struct ax_sync_opts {
	const char *url;   /* server base URL, "http://127.0.0.1:8080" (borrowed) */
	const char *token; /* device bearer token (borrowed) */
	int batch;         /* records per request, default 500 */
	size_t max_bytes;  /* uncompressed bytes per request, default 1 MiB */
	int timeout;       /* seconds per request in all, default 30 */
	int connect_timeout; /* seconds to connect, default 5 */
	int backoff_base;  /* seconds, default 15 */
	int backoff_max;   /* seconds, default 1800 */
	int retry_base;    /* seconds before a record the server rejected for
	                    * now only is sent again, doubling per attempt (at
	                    * most 6 h), default 60 */
	/* Region codes, comma-separated, whose roster slices ax_sync_pull
	 * fetches (SMS gateways only; NULL or "" for kiosks).  Borrowed. */
	const char *scope;
	/* Set non-zero (e.g. from a signal handler) to abandon the current
	 * request soon; nothing is marked.  May be NULL.  Borrowed. */
	const volatile sig_atomic_t *cancel;
};

#define AX_SYNC_BATCH_DEFAULT 500
#define AX_SYNC_MAX_BYTES_DEFAULT (1024 * 1024)

struct ax_sync_result {
	int http_status;   /* status of the last request, 0: no answer */
	int requests;      /* requests the server answered with 200 */
	long accepted, duplicate; /* marked sent */
	long conflict, rejected;  /* marked so, reason kept in the outbox */
	long deferred;     /* rejected for now only: pending, retried later */
	long unanswered;   /* sent but missing from the reply: still pending */
	long oversize;     /* refused by the server (413) even alone: pending */
	long pending;      /* pending after the push */
	int permanent;     /* the error will not go away by retrying (401/403) */
	int cancelled;     /* stopped through opts.cancel */
	long long next_attempt; /* after a failure: when to try again */
	char error[256];   /* what went wrong, "" on success */
};

/*
 * Push pending records oldest first until none is left (or an error).
 * Each request carries at most opts.batch records and opts.max_bytes
 * uncompressed bytes (but always at least one record), gzip-compressed,
 * with the pending count in X-Anxin-Backlog.  A 413 reply halves the
 * batch and retries.  Each record is sent at most once per call, so
 * records the server leaves out of its reply wait for the next call.
 *
 * Returns AX_OK when every request was answered (see *res for counts);
 * AX_DENIED for 401/403 (res->permanent, a new token is needed); AX_IO for
 * network errors and other HTTP statuses; AX_INVALID for a malformed
 * reply; AX_ERROR when cancelled; store errors as they are.  Any failure
 * except a cancel is recorded in sync_state and schedules the next attempt
 * (res->next_attempt); success resets the schedule.  The message is in
 * res->error and on the handle.  `res` may be NULL.
 */
ax_rc ax_sync_push(ax_store *st, const struct ax_sync_opts *opts,
                   struct ax_sync_result *res);

/* 1 if the schedule allows an attempt at `now` (epoch seconds), else 0.
 * A store that cannot be read says 1. */
int ax_sync_due(ax_store *st, long long now);

struct ax_sync_pull_result {
	int http_status;       /* status of the last request, 0: no answer */
	int campaigns_changed; /* 1: a new campaigns document was stored */
	int ncampaigns;        /* campaigns in a new document, -1: no new one */
	int surveys_added;     /* survey versions newly installed */
	int rosters_changed, rosters_unchanged;
	int permanent, cancelled;
	long long next_attempt;
	char error[256];
};

/*
 * Pull GET URL/api/v1/campaigns (If-None-Match with the stored ETag; 304
 * keeps the stored document).  A new document is checked, its surveys are
 * installed (ax_content_install) so the device can validate its records,
 * and only then are the raw document and its ETag stored as
 * "campaigns.json" / "campaigns.etag": a document whose survey does not
 * load or conflicts with an installed version is not stored.
 * Then, for each code of opts.scope, GET URL/api/v1/roster?scope=CODE the
 * same way, kept raw as "roster.CODE.json" / "roster.CODE.etag" (no
 * household rows are written).  Errors and the schedule as for
 * ax_sync_push (a 403 for a roster code outside the device's scope is
 * permanent).  Packs stay in the cached document; only surveys are
 * installed.  Not inside a transaction of the caller's: installing
 * surveys commits.  `res` may be NULL.
 */
ax_rc ax_sync_pull(ax_store *st, const struct ax_sync_opts *opts,
                   struct ax_sync_pull_result *res);

/*
 * A cached document from sync_state ("campaigns.json",
 * "roster.CODE.json", an ETag, ...).  *out gets a copy the caller frees
 * with ax_free(); AX_NOTFOUND (and *out NULL) if there is none.
 */
ax_rc ax_sync_cached(ax_store *st, const char *key, char **out);

/*
 * What an SMS gateway still has to send, as it reports it at every sync
 * (header X-Anxin-Queue): "C,Q,R,I;M" -- opt-out confirmations, next
 * questions, reminders, intros and digests pending, and M minutes to send
 * them at its pace on its modems; then, once it has answered replies,
 * ";W,N": the median seconds W from a reply to the next message sent to
 * its number, over its last N replies.  The gateway sets it (NULL clears it);
 * push and pull send it.  At most AX_QUEUE_MAX - 1 bytes of digits , ; .
 */
#define AX_QUEUE_MAX 64
ax_rc ax_sync_set_queue(ax_store *st, const char *text);
/* 1 when text is such a report. */
int ax_sync_queue_valid(const char *text);

#ifdef __cplusplus
}
#endif
#endif
