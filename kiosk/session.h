/*
 * session.h -- a resident's session in the kiosk's own store.
 *
 * Two tables of the kiosk (kiosk_sessions, kiosk_answers) live in the same
 * SQLite file as libanxin's store, written through a second connection
 * with synchronous=FULL: each answer is durable before the next screen
 * shows.  (Why two connections: libanxin's public API has no way to
 * write the kiosk's own tables through its handle; see session.c.)
 *
 * When a session ends its records are built from those rows alone (so
 * building them twice gives the same bytes): the response and, when the
 * resident linked a household, a kiosk_session contact naming it by the
 * same sealed number.  Both go into the outbox in one store transaction;
 * ax_outbox_put is idempotent by id, which makes the end -> queue -> mark
 * sequence safe to repeat after a crash at any point: ksess_recover()
 * finishes what a killed process left.
 *
 * When the disk is full, read-only or failing (SQLITE_FULL, SQLITE_READONLY,
 * SQLITE_IOERR, EROFS), the resident is still served: the session goes on
 * in memory (a copy of every session is kept there while it is open) and,
 * once ended, waits in a FIFO of at most `hold_max` sessions.  Both store
 * connections are closed at the first such failure, so a kiosk whose
 * file system went read-only holds no file open on it and staff can
 * unmount, check and remount it without stopping the kiosk.
 * ksess_flush() reopens the store and writes the held sessions in order,
 * each in one FULL-sync transaction, then queues them: exactly once, since
 * the rows are upserted by session id and the outbox is idempotent by id.
 * What is held only in memory is lost on power-off or exit; with the FIFO
 * full, ksess_begin refuses new sessions (KSESS_PAUSED) instead of
 * dropping anything.
 */
#ifndef KIOSK_SESSION_H
#define KIOSK_SESSION_H

#include <anxin/store.h>

typedef struct ksess ksess;

enum ksess_status { KSESS_COMPLETE, KSESS_PARTIAL, KSESS_ABANDONED };

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

/* Start a session; `wave` may be NULL.  `now` is epoch seconds.  Returns
 * 0 (on disk, or in memory when the store is failing), KSESS_PAUSED when
 * the store is failing and hold_max sessions already wait in memory, or
 * -1 on another error. */
#define KSESS_PAUSED 1
int ksess_begin(ksess *s, const char *survey, int version, const char *wave,
                long long now);
/* Store one answer: value_json is a JSON string or array of strings
 * (borrowed), NULL deletes the answer. */
int ksess_answer(ksess *s, const char *qid, const char *value_json,
                 long long now);
/* End the current session and queue its records.  `sealed` (may be NULL,
 * copied) is the sealed household phone: with it a kiosk_session contact
 * is queued too, crediting that household with `pack` (may be NULL,
 * copied: the pack the resident read, or the survey's topic pack).
 * `fast` marks a suspiciously quick one ("flags":["fast"], kept for
 * review).  A session without answers is dropped, not queued. */
int ksess_finish(ksess *s, enum ksess_status st, const char *sealed,
                 const char *pack, int fast, long long now);
/* 1 while a session is open. */
int ksess_active(const ksess *s);

/* Finish sessions a killed process left open (as abandoned) and queue
 * finished ones that were not queued.  *recovered gets their number. */
int ksess_recover(ksess *s, int *recovered);

/* Sessions ended since `since` (epoch seconds) by status. */
int ksess_counts(ksess *s, long long since, struct ksess_counts *out);

/* ---- a failing store ------------------------------------------------ */
/* Sessions the store may hold in memory while it is failing (default 20;
 * at least 1).  Each costs about 20 KB. */
void ksess_set_hold_max(ksess *s, int n);

struct ksess_health {
	int down;      /* 0 writable; else AX_FULL, AX_READONLY or AX_IO */
	int held;      /* sessions held only in memory, the open one included */
	int hold_max;  /* the bound on held */
	char why[256]; /* the store's message for the first failure, or "" */
};
void ksess_health(const ksess *s, struct ksess_health *out);

/* Reopen a failing store and write the held sessions in order.  Returns 0
 * when the store is writable and nothing is held any more, -1 if it still
 * fails (see ksess_health).  *written (may be NULL) gets the number of
 * sessions written. */
int ksess_flush(ksess *s, int *written);

/* Last error text (borrowed). */
const char *ksess_errmsg(const ksess *s);

#endif
