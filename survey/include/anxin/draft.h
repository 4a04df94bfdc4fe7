/*
 * draft.h -- a response in progress, durable in the device's store.
 *
 * A front end (the kiosk) begins a draft when a resident starts, saves it
 * after every answer (committed before the next screen shows), and
 * finishes it: the finished record and any companion records (the
 * kiosk_session contact) go into the outbox and the draft is deleted, in
 * ONE transaction.  So a crash at any point leaves either the draft (and
 * the answers given so far) or the outbox lines, never both, never
 * neither: no second connection, no "queued" flag, no recovery pass that
 * must guess.
 *
 * Every function runs inside a savepoint, so it joins a transaction the
 * caller opened with ax_store_begin (the caller's commit is then the one
 * commit) or commits by itself.
 *
 * Thread-safety: as the store handle (one thread at a time).
 */
#ifndef ANXIN_DRAFT_H
#define ANXIN_DRAFT_H

#include "anxin.h"
#include "content.h"
#include "response.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AX_DRAFT_SEALED_MAX 256 /* base64 of a sealed phone number */

struct ax_draft {
	struct ax_response r;   /* the survey and the answers so far */
	char id[40];            /* the response UUID */
	enum ax_channel channel;
	char device[64];
	char household[64];     /* "" anonymous */
	char phone_sealed[AX_DRAFT_SEALED_MAX]; /* "" none */
	char region[24];        /* "" none */
	char wave[64];          /* "" none */
	char pack[64];          /* the pack a contact credits, "" none */
	int fast;               /* flag "fast" on the record (kept for review) */
	int repeat;             /* flag "repeat": the survey again in the same
	                         * kiosk visit (kept, counted once) */
	long long started_at, updated_at;
};

/*
 * Store a new draft (d borrowed; d->r.survey set, id unique).
 * AX_CONFLICT when a draft with that id exists.
 */
ax_rc ax_draft_begin(ax_store *st, const struct ax_draft *d);

/* Write the draft's answers, link, flags and updated_at.  AX_NOTFOUND
 * when no such draft is stored (it was finished or discarded). */
ax_rc ax_draft_save(ax_store *st, const struct ax_draft *d);

/*
 * Read the draft `id` into *out; its survey is looked up in `surveys`
 * (borrowed; it must outlive *out).  AX_NOTFOUND when there is none;
 * AX_INVALID when its survey is not in `surveys` or its answers no
 * longer validate (message in ax_store_errmsg).
 */
ax_rc ax_draft_load(ax_store *st, const ax_content *surveys, const char *id,
                    struct ax_draft *out);

/* Ids of every stored draft, oldest first: fn(ctx, id) for each; a
 * non-zero return stops.  For a front end's start-up. */
ax_rc ax_draft_list(ax_store *st, int (*fn)(void *ctx, const char *id),
                    void *ctx);

enum ax_draft_contact {
	AX_DRAFT_NO_CONTACT = 0,
	AX_DRAFT_KIOSK_CONTACT, /* a kiosk_session contact when linked */
};

/*
 * The status a finish records: complete when every shown question is
 * answered, whatever the front end says (a resident who answered all and
 * walked away at the optional phone screen, or whose session timed out
 * on the thank-you screen, answered completely); else partial when
 * something was answered (an abandoned claim stays abandoned only for an
 * empty draft, which queues nothing).
 */
enum ax_resp_status ax_draft_status(const struct ax_draft *d,
                                    enum ax_resp_status asked);

/*
 * Finish: put the response record (status as ax_draft_status decides;
 * completed_at for a complete one, the last save when the caller passes
 * 0) and, with AX_DRAFT_KIOSK_CONTACT and a household link (household
 * or sealed number), the kiosk_session contact (id derived from the
 * response id, at = completed_at or updated_at) in the outbox, and
 * delete the draft, in one transaction.  A draft without any answer
 * writes nothing and is deleted; *queued (may be NULL) says whether a
 * record was queued.
 */
ax_rc ax_draft_finish(ax_store *st, const struct ax_draft *d,
                      enum ax_resp_status status, long long completed_at,
                      enum ax_draft_contact contact, int *queued);

/* Delete a draft without a record. */
ax_rc ax_draft_discard(ax_store *st, const char *id);

/* The id of the kiosk_session contact a finished draft `id` queues: a
 * name-based UUID (RFC 4122 v5) in the response id's namespace, so a
 * finish retried after a crash queues the same contact. */
void ax_draft_contact_id(const char *id, char out[40]);

#ifdef __cplusplus
}
#endif
#endif
