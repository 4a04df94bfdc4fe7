/*
 * modem_proc.h -- a modem (modem.h) in a process of its own.
 *
 * libgammu decodes what the modem hands it with no bounds checks (issue
 * 15: one malformed SMS overflows its stack), and an AT exchange can hang
 * for good.  So the gateway never calls libgammu itself: gw_mproc_connect
 * forks a child that owns the modem's GSM_StateMachine, and the gateway
 * talks to it over a socketpair in small length-prefixed frames (poll
 * the inbox -> messages, each answered with the caller's verdict, then
 * commit -> deletes; send this text -> result; signal).  The gateway
 * keeps the store and everything durable: a message read is deleted from
 * the modem only after the gateway committed it, as before.
 *
 * A child that dies, or shows no progress for hang_timeout seconds, is
 * killed; the call fails and the next gw_mproc_connect starts a new one.
 * Which message the child was on is known from memory shared with it
 * (struct gw_modem_watch):
 *   - a send: gw_mproc_send returns GW_MPROC_LOST; the caller keeps that
 *     message aside (quarantine) instead of trying it again;
 *   - a read inside GSM_GetNextSMS: only "the message after location L"
 *     is known, so the next poll first reads the locations after L one by
 *     one (gw_modem_probe) with each noted before it is read;
 *   - a crash while reading one known location (that probe) or decoding
 *     it, or three crashes in a row after L while the probe read the
 *     message after L without one (a crash GSM_GetSMS does not
 *     reproduce): gw_mproc_fault gives the location once; the caller records it
 *     (quarantine, committed) and then calls gw_mproc_forget, and the
 *     next child deletes that location without reading it, before
 *     anything else.
 *
 * Same calls and threading as gw_modem: one gw_mproc per thread.  A copy
 * of a gw_mproc in a forked process (tests kill -9 a forked gateway)
 * starts its own child rather than share the parent's.
 */
#ifndef ANXIN_GW_MODEM_PROC_H
#define ANXIN_GW_MODEM_PROC_H

#include <stddef.h>

#include "modem.h"

typedef struct gw_mproc gw_mproc;

/* gw_mproc_send: the modem's process died or hung on this message. */
#define GW_MPROC_LOST (-2)

gw_mproc *gw_mproc_new(const struct gw_modem_cfg *cfg);
void gw_mproc_free(gw_mproc *p); /* disconnects; accepts NULL */

/* Start the modem's process and connect it (then delete the forgotten
 * locations): 0, or -1 with err filled. */
int gw_mproc_connect(gw_mproc *p, char *err, size_t errlen);
/* Ask the process to disconnect and end (killed if it does not). */
void gw_mproc_disconnect(gw_mproc *p);
int gw_mproc_connected(const gw_mproc *p);

/* As gw_modem_poll; the callbacks run in the caller's thread. */
int gw_mproc_poll(gw_mproc *p, gw_incoming_fn in, gw_report_fn rep,
                  gw_commit_fn commit, void *ctx, long long now, int *nread,
                  char *err, size_t errlen);
/* As gw_modem_waiting / gw_modem_set_waiting (kept here, handed to each
 * new process). */
int gw_mproc_waiting(const gw_mproc *p, int i, const char **key,
                     long long *first_seen);
void gw_mproc_set_waiting(gw_mproc *p, const char *key, long long first_seen);
/* As gw_modem_send, or GW_MPROC_LOST (err filled). */
int gw_mproc_send(gw_mproc *p, const char *phone, const char *text, int *ref,
                  int *parts, int *sent_parts, char *err, size_t errlen);
int gw_mproc_signal(gw_mproc *p);

/* After a failed poll: 1 and *location when the process was lost on one
 * known stored message (reported once), else 0.  why: how it ended. */
int gw_mproc_fault(gw_mproc *p, int *location, char *why, size_t whylen);
/* Have the next process delete location unread (at most 32 pending). */
void gw_mproc_forget(gw_mproc *p, int location);
/* How many times a process was lost since the last good poll or send. */
int gw_mproc_losses(const gw_mproc *p);

#endif
