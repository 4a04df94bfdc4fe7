/*
 * sync_int.h -- internals shared by outbox.c (the queue and the schedule,
 * in the store) and sync.c (the HTTP client), exposed so unit tests can
 * drive the batching, the reply parser and the backoff schedule without a
 * network and with a fixed clock.  Nothing here is part of the public API.
 */
#ifndef ANXIN_SYNC_INT_H
#define ANXIN_SYNC_INT_H

#include <stdint.h>

#include "anxin/sync.h"
#include "anxin_int.h"

/* One request's worth of pending records, consecutive in queue order. */
struct ax__batch {
	char *body;     /* NDJSON: each record's body and '\n' (owned) */
	size_t len;     /* bytes of body */
	int n;          /* records */
	long long *seq; /* n queue positions (owned) */
	char **id;      /* n record ids (owned) */
	int retry_base; /* seconds before a retryable rejection is sent again
	                 * (doubling with the record's attempts); 0: 60 */
};

/*
 * Collect pending records with seq > after_seq, oldest first, until
 * max_records or until the next one would take the body past max_bytes
 * (the first record is always taken, however large).  b->n == 0 when
 * nothing is pending.  Free with ax__batch_free.
 */
ax_rc ax__sync_build_batch(ax_store *st, long long after_seq, int max_records,
                           size_t max_bytes, struct ax__batch *b);
void ax__batch_free(struct ax__batch *b);

/* Records pending in the outbox, or -1 if the store cannot say. */
long ax__outbox_pending(ax_store *st);

/* Count one more attempt for the pending records of batch b (b->n > 0). */
ax_rc ax__outbox_count_attempt(ax_store *st, const struct ax__batch *b);

/*
 * Apply the server's 200 reply to a batch, in one transaction: each
 * result names a record by id (or, if the id is null, by its 1-based line
 * in the batch); accepted/duplicate mark it sent, conflict/rejected mark it
 * so with the reason, but a rejection the server marks "retry": true
 * (survey not installed yet, household not yet on the roster, scope)
 * leaves it pending, not to be sent again before now + retry_base *
 * 2^attempts (at most 6 h; kept in acked_at) and counted in res->deferred.
 * Only records of `b` still pending change.  A reply
 * that does not parse marks nothing and returns AX_INVALID.  Adds the
 * counts to *res; res->unanswered gets the batch records left pending.
 */
ax_rc ax__sync_apply_reply(ax_store *st, const struct ax__batch *b,
                           const char *text, size_t len, long long now,
                           struct ax_sync_result *res);

/* Ceiling of the delay after `failures` consecutive failures:
 * min(base * 2^(failures-1), max), never less than 1. */
long long ax__sync_backoff_cap(int failures, int base, int max);

/*
 * Record a failed attempt at `now`: failures + 1, next attempt uniform in
 * [now + 1, now + cap] (full jitter; at least now + retry_after, up to max,
 * when the server sent Retry-After), or now + max for a permanent error.
 * Returns the next attempt time.
 */
long long ax__sync_record_failure(ax_store *st, const struct ax_sync_opts *o,
                                  long long now, const char *msg,
                                  int permanent, long long retry_after);

/* Record a successful push or pull ("push" / "pull") at `now`: the
 * failure count, error and schedule are reset. */
ax_rc ax__sync_record_success(ax_store *st, const char *what, long long now);

/* Uniform random integer in [0, upper) used for the jitter; libsodium's
 * randombytes_uniform unless a test installs its own (NULL restores). */
void ax__sync_set_random(uint32_t (*fn)(uint32_t upper));

/* sync_state access.  get: *out is a copy (caller frees) or NULL. */
ax_rc ax__sync_state_get(ax_store *st, const char *key, char **out);
ax_rc ax__sync_state_set(ax_store *st, const char *key, const char *value);

/* Apply a campaigns document (what GET /api/v1/campaigns returned) as a
 * pull does: check, install its surveys, store it with `etag` (may be
 * NULL).  *surveys_added and *ncampaigns may be NULL. */
ax_rc ax__sync_apply_campaigns(ax_store *st, const char *text, size_t len,
                               const char *etag, int *surveys_added,
                               int *ncampaigns);

#endif
