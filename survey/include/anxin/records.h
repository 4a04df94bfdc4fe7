/*
 * records.h -- the record exchange format (one JSON object per line) and
 * importing records into a store.
 *
 *   {"type":"response","id":UUID,"survey":ID,"survey_version":N,
 *    "channel":"kiosk|sms|visit","device":ID,"household":ID|null,
 *    "region":CODE,"started_at":ISO8601,"completed_at":ISO8601|null,
 *    "status":"complete|partial|abandoned","answers":{QID: CODE|[CODE,…]},
 *    "wave":ID (optional), "flags":["fast",…] (optional, kept for review),
 *    "household_phone_sealed":BASE64 (optional, kiosks: see below),
 *    "drawn":[QID,…] (a survey with a draw: the questions drawn),
 *    "order":{QID:[CODE,…]} (shuffled options: the order shown)}
 *   {"type":"contact","id":UUID,"household":ID,"channel":"sms|kiosk|visit",
 *    "kind":"sms_sent|sms_delivered|sms_replied|kiosk_session|visit",
 *    "pack":ID|null,"device":ID,"at":ISO8601}
 *   (a kiosk_session contact may name its household by
 *    "household_phone_sealed" instead of "household")
 *
 * Unknown fields are ignored so older stores read newer records.  Records
 * are idempotent by id: the same id with the same content is accepted
 * again as a duplicate; the same id with different content is a conflict,
 * kept aside in the store for review and never counted.
 */
#ifndef ANXIN_RECORDS_H
#define ANXIN_RECORDS_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ax_rec_result {
	AX_REC_ACCEPTED = 0, /* stored now */
	AX_REC_DUPLICATE,    /* same id, same content: already stored */
	AX_REC_CONFLICT,     /* same id, different content: kept aside */
	AX_REC_REJECTED,     /* invalid: see reason */
};
const char *ax_rec_result_name(enum ax_rec_result r);

struct ax_rec_outcome {
	enum ax_rec_result result;
	char id[64];      /* record id when one could be read, else "" */
	char reason[256]; /* why it was rejected or conflicted, else "" */
	int retry;        /* rejected for now only (survey not installed yet,
	                   * household not yet on the roster, outside a scope
	                   * that may be corrected): the sender may try later */
};

/* Contact kinds as a bit set (for coverage rules). */
enum ax_contact_kind {
	AX_CK_SMS_SENT = 1 << 0,
	AX_CK_SMS_DELIVERED = 1 << 1,
	AX_CK_SMS_REPLIED = 1 << 2,
	AX_CK_KIOSK_SESSION = 1 << 3,
	AX_CK_VISIT = 1 << 4,
};
/* DESIGN.md default: a send the network never confirmed is no proof. */
#define AX_CK_DEFAULT                                                   \
	(AX_CK_SMS_DELIVERED | AX_CK_SMS_REPLIED | AX_CK_KIOSK_SESSION |    \
	 AX_CK_VISIT)
/* Parse "sms_delivered,visit" into a mask; -1 on an unknown name. */
int ax_contact_kinds_parse(const char *list);
/* Name of one kind bit, or NULL. */
const char *ax_contact_kind_name(int bit);

/*
 * An importer holds prepared statements and the installed surveys.
 * Use: ax_importer_new, then ax_importer_begin, any number of
 * ax_importer_line, then ax_importer_commit (or _rollback): a batch is
 * applied whole or not at all.  One importer per thread.
 */
typedef struct ax_importer ax_importer;

ax_rc ax_importer_new(ax_store *st, ax_importer **out);
void ax_importer_free(ax_importer *im);
ax_rc ax_importer_begin(ax_importer *im);
ax_rc ax_importer_commit(ax_importer *im);
void ax_importer_rollback(ax_importer *im);

/*
 * Import one JSON line (borrowed, need not be NUL-terminated).  `source`
 * (borrowed, may be NULL) names where it came from for the conflicts
 * table.  Fills *out.  Returns AX_OK when the line got an outcome
 * (including rejected); an error return means the store failed and the
 * batch must be rolled back.
 */
ax_rc ax_importer_line(ax_importer *im, const char *line, size_t len,
                       const char *source, struct ax_rec_outcome *out);

/*
 * Same as ax_importer_line for a record already parsed by the caller
 * (a jansson object, borrowed), so a server that must check a whole body
 * parses each line once.
 */
struct json_t;
ax_rc ax_importer_json(ax_importer *im, struct json_t *obj, const char *source,
                       struct ax_rec_outcome *out);
/* Optional, after ax_importer_begin: the records the transaction is about
 * to import (n of them, any order), so the importer reads what they need
 * -- the households' grids -- in a few statements instead of one a record
 * (a round trip each on PostgreSQL; nothing is done on SQLite, where a
 * lookup costs no round trip).  The outcome of every record is the same
 * with or without it; AX_OK, or the store's error. */
ax_rc ax_importer_prefetch(ax_importer *im, struct json_t *const *objs,
                           size_t n);

/*
 * Optional: called for every valid record before it is stored; return
 * non-zero and fill reason (256 bytes) to reject it (the central server
 * uses it for device scopes).  `type` is "response" or "contact",
 * `household` may be NULL, `region` is the region the record counts in.
 */
typedef int (*ax_record_check_fn)(void *ctx, const char *type,
                                  const char *household, const char *region,
                                  char *reason);
void ax_importer_set_check(ax_importer *im, ax_record_check_fn fn, void *ctx);

/*
 * The sending device's clock minus the server's, in seconds (the central
 * server learns it from the sync request).  Record times are stored
 * corrected by it, so a kiosk whose clock is days wrong neither lands its
 * answers in the wrong campaign window nor in the wrong week of a trend;
 * the body keeps the device's own times.  0 (default): no correction.
 */
void ax_importer_set_clock_skew(ax_importer *im, long long device_minus_server);

/* Server receive time for records imported from now on (0 = now). */
void ax_importer_set_received_at(ax_importer *im, long long epoch);

/*
 * Central store only: open "household_phone_sealed" (a sealed box of the
 * number a resident typed at a kiosk) with the store's key pair, resolve
 * it to a household and store the household id, never the number.  An
 * unknown number leaves the answer anonymous.  Keys are copied.
 */
void ax_importer_set_unseal(ax_importer *im, const unsigned char pk[32],
                            const unsigned char sk[32]);

/*
 * The same with every sealing key the store holds: its own ('seal') and
 * those of counties merged into it (`anxin store copy` into a database
 * that held another key: 'seal.' and a digest), whose kiosks may still
 * seal with their old key until they fetch the shared one.  At most
 * AX_UNSEAL_KEYS; the store's own key is made if it has none.
 */
#define AX_UNSEAL_KEYS 8
ax_rc ax_importer_use_store_keys(ax_importer *im, ax_store *st);

/*
 * Bind the records that follow to the device that sent them (the central
 * server, from the request's token; a file import, from the devices
 * table).  With a device bound, a record is rejected, with a reason that
 * names the field, when:
 *   - its "device" is not this device;
 *   - its channel/kind is not one this kind of device makes (a kiosk:
 *     responses on "kiosk", kiosk_session contacts; an SMS gateway:
 *     responses on "sms", sms_sent/sms_delivered/sms_replied contacts);
 *   - a kiosk names a household ("household"): kiosks link households
 *     only through a sealed number; an SMS gateway sends no sealed number;
 *   - its "wave" is not the wave of a campaign of its survey;
 *   - a time (after the clock-skew correction) lies before the device's
 *     registration or more than max_ahead seconds past now.
 * A record with a sealed number is checked whole before the number is
 * opened, and its outcome does not depend on whether the number is a
 * roster number: "accepted" (new, a resend or a conflict kept for review
 * alike), and a contact whose number names no household of the device's
 * scope is simply not stored.  With max_unseal, the device may open that
 * many sealed numbers per China day; the count is kept in the store
 * (sync_state "unseal.DEVICE.DAY", in the batch's transaction), so every
 * central process on one store shares it and a restart does not reset
 * it.  Past it a number stays unopened (the record is kept as if the
 * number were unknown).  on_unseal (NULL: none) hears each number asked
 * for: the numbers opened today with it, and whether it was opened.
 * `dev` is copied; NULL unbinds.
 */
/* Seconds a record's time may lie past the server's clock (clock skew
 * allowed) on every path: records import, the device API (a device's own
 * max_ahead), visits import.  Later times are refused, never counted. */
#define AX_MAX_AHEAD 300

struct ax_rec_device {
	char id[64];
	char kind[8];            /* "kiosk" or "smsd" */
	long long registered_at; /* epoch; no record time before it */
	long long max_ahead;     /* seconds a record time may lie past now */
	int max_unseal;          /* sealed numbers per China day; 0: no limit */
	void (*on_unseal)(void *ctx, const char *device, long long today,
	                  int opened);
	void *ctx;
	int online;   /* the device itself reads the outcomes (the API):
	               * those of sealed numbers are masked as above */
	char scope[256]; /* when set: records outside it are rejected (a
	                  * file import; the server checks with its own
	                  * ax_importer_set_check) */
};
void ax_importer_set_device(ax_importer *im, const struct ax_rec_device *dev);

struct ax_records_stats {
	long lines, accepted, duplicate, conflict, rejected;
};

/*
 * Import a JSONL file (one transaction per 50,000 lines, so a crash loses
 * nothing already committed and a re-run finishes the job).  Every bad
 * line is reported through diag as "file:line: reason".  On failure,
 * stats count the committed batches only.  A record that names a device
 * registered in the store (a file carried from it on a USB stick) is
 * bound to it as the server binds it (ax_importer_set_device, with the
 * device's scope), and refused when the device is revoked: the USB route
 * lets in nothing the device API would refuse.
 */
ax_rc ax_records_import_file(ax_store *st, const char *path, ax_diag_fn diag,
                             void *diag_ctx, struct ax_records_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
