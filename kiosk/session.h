/*
 * session.h -- a resident's session in the kiosk's store, as a libanxin
 * draft (draft.h) on the store's one connection.
 *
 * ksess_begin begins a draft; every ksess_answer saves the whole response
 * (committed, synchronous=FULL, before the next screen shows); ksess_finish
 * puts the response record and, when the resident linked a household, the
 * kiosk_session contact naming it by the same sealed number into the
 * outbox, deletes the draft and counts the session for the staff screen,
 * in ONE transaction.  A crash leaves the draft or the records, never
 * both: ksess_recover finishes drafts a killed process left (abandoned).
 *
 * Staff figures (ksess_counts) come from the kiosk's own table
 * kiosk_ended(id, status, ended_at), written in the finish's transaction
 * (insert-or-ignore by response id, so a retried finish counts once; rows
 * older than 40 days are pruned).  Counting the outbox instead would read
 * libanxin's table and parse every record, and pushed lines may go.
 *
 * Stores of older kiosk builds kept sessions in kiosk_sessions and
 * kiosk_answers; ksess_recover converts them once: finished sessions not
 * yet queued (and one left open, as abandoned) are finished into the
 * outbox, queued ones counted, and the old tables dropped, in one
 * transaction (a session whose survey is not installed stays, and the old
 * tables with it, until it is).
 *
 * When the disk is full, read-only or failing (AX_FULL, AX_READONLY,
 * AX_IO), the resident is still served: the session goes on in memory (a
 * copy of the open draft is always kept there) and, once ended, waits in
 * a FIFO of at most `hold_max` drafts.  The store is closed at the first
 * such failure, so a kiosk whose file system went read-only holds no file
 * open on it and staff can unmount, check and remount it without stopping
 * the kiosk.  ksess_flush() reopens the store and finishes the held
 * drafts in order, each in one transaction: exactly once, since the
 * outbox is idempotent by id; then it writes the open session's draft
 * (begun, if it never reached the disk), whose later answers are saved
 * on disk again, as on a healthy store.  What is held only in memory is lost on
 * power-off or exit; with the FIFO full, ksess_begin refuses new sessions
 * (KSESS_PAUSED) instead of dropping anything.
 */
#ifndef KIOSK_SESSION_H
#define KIOSK_SESSION_H

#include <anxin/content.h>
#include <anxin/response.h>
#include <anxin/store.h>

typedef struct ksess ksess;

struct ksess_counts {
	long complete, partial, abandoned;
};

/* Open the store at path (created if missing) for device/region
 * (copied).  On failure *out is NULL and err says why. */
int ksess_open(const char *path, const char *device, const char *region,
               ksess **out, char *err, size_t errlen);
void ksess_close(ksess *s);
/* The libanxin store handle (borrowed), NULL while a failing store is
 * closed. */
ax_store *ksess_store(ksess *s);
/* The content whose surveys drafts and old sessions are read with
 * (borrowed: it outlives s; n at most 4).  Set before ksess_recover. */
void ksess_set_surveys(ksess *s, const ax_content *const *c, int n);

/* Start a session on survey sv (borrowed: outlives the session); `wave`
 * may be NULL.  `now` is epoch seconds.  Returns 0 (on disk, or in memory
 * when the store is failing), KSESS_PAUSED when the store is failing and
 * hold_max sessions already wait in memory, or -1 on another error. */
#define KSESS_PAUSED 1
int ksess_begin(ksess *s, const struct ax_survey *sv, const char *wave,
                long long now);
/* Save the session's answers: r (borrowed) is the whole response, of the
 * session's survey. */
int ksess_answer(ksess *s, const struct ax_response *r, long long now);
/* End the current session and queue its records.  `sealed` (may be NULL,
 * copied) is the sealed household phone: with it a kiosk_session contact
 * is queued too, crediting that household with `pack` (may be NULL,
 * copied: the pack the resident read, or the survey's topic pack).
 * `marks` (KSESS_FAST | KSESS_REPEAT, or 0) flags the record: KSESS_FAST
 * a suspiciously quick one ("flags":["fast"]), KSESS_REPEAT a survey
 * already completed in the same visit ("flags":["repeat"]); both are
 * kept and counted nowhere.  A session without answers is dropped, not queued.  Returns 0,
 * or -1 when it could not be written and not for the storage (another
 * connection held the write lock past the busy timeout): the session then
 * stays open and whole, its draft on disk, for a retry; a later finish as
 * AX_RESP_ABANDONED (the kiosk ending it: idle, exit, the next begin)
 * finishes it with this call's status, link, pack and flag. */
#define KSESS_FAST 1
#define KSESS_REPEAT 2
int ksess_finish(ksess *s, enum ax_resp_status st, const char *sealed,
                 const char *pack, int marks, long long now);
/* 1 while a session is open. */
int ksess_active(const ksess *s);

/* Convert an older build's session tables, and finish drafts a killed
 * process left open (as abandoned).  *recovered gets their number. */
int ksess_recover(ksess *s, int *recovered);

/* Sessions ended since `since` (epoch seconds) by status. */
int ksess_counts(ksess *s, long long since, struct ksess_counts *out);

/* ---- a failing store ------------------------------------------------ */
/* Sessions the store may hold in memory while it is failing (default 20;
 * at least 1).  Each costs about 6 KB (the
 * response with its drawn questions and option orders). */
void ksess_set_hold_max(ksess *s, int n);

struct ksess_health {
	int down;      /* 0 writable; else AX_FULL, AX_READONLY or AX_IO */
	int held;      /* sessions held only in memory, the open one included */
	int hold_max;  /* the bound on held */
	char why[256]; /* the store's message for the first failure, or "" */
};
void ksess_health(const ksess *s, struct ksess_health *out);

/* Reopen a failing store, finish the held sessions in order and write the
 * open session's draft.  Returns 0 when the store is writable and nothing
 * is held any more (the open session's answers are saved on disk from
 * now on), -1 if it still fails (see ksess_health).  *written (may be
 * NULL) gets the number of ended sessions written. */
int ksess_flush(ksess *s, int *written);

/* ---- staff settings ------------------------------------------------- */
/* A setting staff changed on the kiosk (the narration's "volume" 0-100,
 * "mute" 0/1), kept in the store's kiosk_settings table so it outlives a
 * restart.  ksess_setting: 0 with *out set, 1 when never set, -1 on an
 * error (a failing store: the setting then lasts until exit). */
int ksess_setting(ksess *s, const char *key, int *out);
int ksess_set_setting(ksess *s, const char *key, int value);

/* Last error text (borrowed). */
const char *ksess_errmsg(const ksess *s);

#endif
