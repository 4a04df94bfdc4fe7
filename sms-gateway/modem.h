/*
 * modem.h -- one GSM modem through libgammu.  modem.c is the only file
 * of the gateway that includes gammu.h: the rest sees UTF-8 strings,
 * E.164-ish numbers and epoch seconds.
 *
 * Order of work on incoming messages (DESIGN.md "No answer is lost"):
 * read every inbox part, link the parts of each message, decode to UTF-8,
 * hand the messages to the caller, let it commit them all at once, and
 * delete their parts from the modem only when it says they are committed.
 * A crash anywhere
 * before the delete leaves the message on the modem to be read again;
 * the caller's dedup key makes the second read harmless.
 *
 * Thread-safety: one gw_modem per thread; different modems may be used
 * from different threads at once (one GSM_StateMachine each).
 */
#ifndef ANXIN_GW_MODEM_H
#define ANXIN_GW_MODEM_H

#include <stdatomic.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A [gammu] / [gammuN] section of the configuration. */
struct gw_modem_cfg {
	char name[64];       /* section name: "gammu", "gammu1" ... */
	char device[512];    /* device = /dev/ttyUSB0, or a folder for dummy */
	char connection[64]; /* connection = at115200, none ... */
	char model[50];      /* model = dummy, or "" */
	int part_timeout;    /* seconds to wait for missing parts, default 600 */
	int send_timeout;    /* seconds to wait for the send status, default 60 */
	int hang_timeout;    /* seconds without progress before the modem's
	                      * process is killed (modem_proc.c), default
	                      * send_timeout + 60 */
};

struct gw_incoming {
	char phone[64];      /* sender as the network gave it (UTF-8) */
	long long smsc_time; /* SMSC time stamp, epoch seconds, 0: unknown */
	int concat_ref;      /* concatenation reference, -1: single part */
	int parts, total;    /* parts read, parts announced (total >= parts) */
	const char *text;    /* UTF-8, borrowed for the callback's duration */
};

struct gw_status_report {
	char phone[64];
	int ref;          /* message reference of the send it confirms */
	int status;       /* GSM delivery status: 0 delivered, else failure */
	long long at;     /* discharge time, epoch seconds */
};

/* Return 0 once the message is written (in the caller's open transaction),
 * non-zero to keep it on the modem for another try. */
typedef int (*gw_incoming_fn)(void *ctx, const struct gw_incoming *in);
typedef int (*gw_report_fn)(void *ctx, const struct gw_status_report *r);
/* Make everything the two callbacks accepted in this read durable: 0 once
 * committed (then, and only then, it is deleted from the modem). */
typedef int (*gw_commit_fn)(void *ctx);

typedef struct gw_modem gw_modem;

/* Allocate (does not connect).  NULL on allocation failure.  cfg copied. */
gw_modem *gw_modem_new(const struct gw_modem_cfg *cfg);
void gw_modem_free(gw_modem *m); /* disconnects; accepts NULL */

/* Connect; 0 on success, else -1 with a message in err. */
int gw_modem_connect(gw_modem *m, char *err, size_t errlen);
void gw_modem_disconnect(gw_modem *m);
int gw_modem_connected(const gw_modem *m);

/*
 * Read the inbox once (at most 2000 parts and reports, 100 parts of
 * multipart messages): every status report
 * goes to `rep`, every complete message (or one whose missing parts waited
 * part_timeout) to `in`; then `commit` is called once, when at least one
 * callback was, and only if it returns 0 is whatever a callback accepted
 * deleted from the modem.  One commit per read, not per message: the
 * caller's fsync is paid once however many replies arrived.  `now` is the
 * caller's clock (for the part timeout).  *nread (may be NULL) gets the
 * number of messages handed over and deleted.  0 on success, -1 on a
 * modem error or a failed commit (err filled): the caller reconnects.
 */
int gw_modem_poll(gw_modem *m, gw_incoming_fn in, gw_report_fn rep,
                  gw_commit_fn commit, void *ctx, long long now, int *nread,
                  char *err, size_t errlen);

/*
 * The incomplete multipart messages the modem waits for, kept by the
 * caller across processes (anxin-smsd --once starts afresh each run and
 * would otherwise never time one out): gw_modem_waiting gives the i-th
 * (key borrowed until the next poll, when it was first seen) and 0 past
 * the last; gw_modem_set_waiting tells a new gw_modem about one.
 */
int gw_modem_waiting(const gw_modem *m, int i, const char **key,
                     long long *first_seen);
void gw_modem_set_waiting(gw_modem *m, const char *key, long long first_seen);

/* For tests: the first octet of each part's SMS-SUBMIT TPDU exactly as
 * gw_modem_send hands the parts to libgammu (TP-SRR, a delivery report
 * request, is bit 0x20).  Fills up to max octets; returns the number of
 * parts, or -1 when the text cannot be encoded. */
int gw_modem_submit_octets(const char *phone, const char *text,
                           unsigned char *first, int max);

/*
 * Send one UTF-8 text (borrowed) to `phone` as a multipart SMS (GSM-7 or
 * UCS-2 as needed).  Waits for the network's status of every part.
 * *ref gets the message reference of the last part (-1 if none came),
 * *parts the number of parts.  0 on success, -1 on failure (err filled;
 * *sent_parts tells how many parts went out before it failed, so the
 * caller never sends the message again if any part did).
 */
int gw_modem_send(gw_modem *m, const char *phone, const char *text, int *ref,
                  int *parts, int *sent_parts, char *err, size_t errlen);

/* Signal strength in percent, -1 if unknown. */
int gw_modem_signal(gw_modem *m);

/*
 * Where the modem's I/O is, in memory shared with the gateway when the
 * modem runs in a process of its own (modem_proc.c): written before each
 * step into libgammu, so that when libgammu crashes or hangs the gateway
 * knows which stored message it was reading.  Locations are libgammu's
 * flat ones, as GSM_GetNextSMS gives them (dummy driver: folder * 10000 +
 * place in the folder).
 */
enum {
	GW_WATCH_IDLE,
	GW_WATCH_NEXT,   /* GSM_GetNextSMS: the message after `location` (0:
	                  * the first) */
	GW_WATCH_PROBE,  /* GSM_GetSMS of `location` itself */
	GW_WATCH_DECODE, /* decoding the message whose first part is there */
	GW_WATCH_SEND    /* sending */
};
struct gw_modem_watch {
	atomic_int phase;
	atomic_int location;
	atomic_uint beat; /* bumped at every step: the process is alive */
	atomic_int found; /* gw_modem_probe: the location it read, or 0 */
};
/* Report progress to w (NULL: nowhere).  w must outlive m's use. */
void gw_modem_set_watch(gw_modem *m, struct gw_modem_watch *w);

/* The highest flat location gw_modem_probe tries (dummy: 5 folders). */
#define GW_MODEM_PROBE_MAX 60000
/*
 * Read the stored messages after flat location `after` one location at a
 * time (GSM_GetSMS), noting each in the watch before reading it, until one
 * is read: *found gets its location, or 0 when there is none up to
 * GW_MODEM_PROBE_MAX.  What it reads is dropped (the next poll reads it
 * again).  Run after a crash in GSM_GetNextSMS to find the one message
 * the crash came from.  0, or -1 (err filled).
 *
 * For tests, with a watch set (in the modem's own process) and
 * ANXIN_SMSD_MODEM_FAULT=abort-read:NUMBER, gw_modem_poll abort()s right
 * after GSM_GetNextSMS returns a message from a sender containing NUMBER:
 * a crash that GSM_GetSMS (the probe) does not reproduce.
 */
int gw_modem_probe(gw_modem *m, int after, int *found, char *err,
                   size_t errlen);
/* Delete the message at a flat location without reading it: 0 (also when
 * it is gone already), or -1 (err filled). */
int gw_modem_delete_at(gw_modem *m, int location, char *err, size_t errlen);

#ifdef __gammu_gammu_h
/* For modem.c and tests that include gammu.h (tests/fuzz/fuzz_smsbackup.c):
 * the UTF-8 text of one message linked by GSM_LinkSMS, decoded as
 * gw_modem_poll decodes it.  g borrowed; the result is the caller's to
 * free(); NULL when out of memory. */
char *gw__modem_group_text(GSM_MultiSMSMessage *g);
/* Guards against libgammu 1.42 bugs, applied by gw_modem_poll to every
 * part it reads (see modem.c; fuzz.smsbackup drives them):
 * gw__modem_guard_part terminates and bounds a part's number fields and
 * drops a "part 0" concatenation header (1 when it did);
 * gw__modem_link is GSM_LinkSMS one sender at a time (linked: room for
 * n + 1 pointers, NULL-terminated, groups allocated by libgammu). */
int gw__modem_guard_part(GSM_SMSMessage *m);
GSM_Error gw__modem_link(GSM_MultiSMSMessage **all, int n,
                         GSM_MultiSMSMessage **linked);
#endif

#ifdef __cplusplus
}
#endif
#endif
