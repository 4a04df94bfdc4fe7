/*
 * gateway.h -- the daemon's core: configuration, the gateway's tables in
 * the libanxin store file, campaigns and conversations, the send layer
 * (quiet hours, pace, per-SIM daily cap, permanent opt-out) and the
 * modem threads.
 *
 * One store, one commit per change: the gateway's tables (inbox, conv,
 * queue, optout, reports, digests, modems) live in the store file and are
 * written on the store's own connection (ax_store_sqlite), so every state
 * change commits, in ONE transaction, the new conversation state, the
 * messages it queues and the record lines it makes (ax_outbox_put).  A
 * crash keeps all of them or none.  An old deployment's gateway.db is
 * moved in on open (gw_upgrade.c).
 *
 * Threads: one per modem (each with its own ax_store handle on the same
 * file, WAL), and the caller's thread for gw_step (campaigns, inbox,
 * ticks, pushing to central).
 */
#ifndef ANXIN_GW_GATEWAY_H
#define ANXIN_GW_GATEWAY_H

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>

#include "anxin/anxin.h"
#include "flow.h"
#include "modem.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_MAX_MODEMS 16

struct gw_config {
	struct gw_modem_cfg modems[GW_MAX_MODEMS];
	int nmodems;
	char store[512];      /* libanxin store file */
	char gateway_db[512]; /* an old deployment's gateway.db, moved into
	                       * the store on open; default: beside it */
	char device[64];      /* device id in records */
	int quiet_start, quiet_end; /* minutes after midnight, China time */
	int pace_per_min, daily_cap; /* defaults when a campaign has none */
	int campaign_gap;     /* seconds from a household's conversation
	                       * ending to the next one starting, 43200 */
	int digest_gap;       /* seconds from any message sent to a household
	                       * to its next digest, 86400: a quiz's thanks
	                       * and explanations are not followed by every
	                       * digest of the campaign in the same minutes */
	int pace_burst_s;     /* the pace's share of this many seconds may go
	                       * at once, default 6 (spread over the minute);
	                       * 60: a minute's share at once */
	struct gw_flow_opts flow;
	int poll_ms;          /* pause between cycles, default 2000 */
	int receive_frequency_ms; /* while sending, read the inbox at least
	                           * this often, default 15000 (gammu-smsd's
	                           * ReceiveFrequency) */
	int max_backoff;      /* seconds between reconnects at most, 300 */
	char clock_file[512]; /* tests: epoch seconds read from this file */
	char sent_log[512];   /* optional: every sent message appended here */
	int sent_log_full;    /* the numbers in it whole (sent_log_numbers =
	                       * full: test rigs whose simulated residents
	                       * read it); else masked, 138****8000 */
	char central_url[256], token[256], scope[256]; /* optional sync */
	/* 【江州县平安办】: put before every message sent, in place of any
	 * 【…】 a text starts with; "" sends texts as written.  At most
	 * AX_SMS_SIGNATURE_MAX characters, the room content leaves for it. */
	char signature[64];
};

/* Defaults, then the file (gammu's INI syntax: [gammu], [gammu1] ... one
 * per modem, [smsd] for the gateway).  Messages name the file and key. */
void gw_config_defaults(struct gw_config *c);
ax_rc gw_config_load(const char *path, struct gw_config *c, char *err,
                     size_t errlen);

typedef struct gw_gateway gw_gateway;

ax_rc gw_open(const struct gw_config *cfg, gw_gateway **out, char *err,
              size_t errlen);
/* For gw_status_print only: the store opened read-only (or, before the
 * first run after an upgrade, the old gateway.db), no modem, nothing
 * created or changed (safe beside a running daemon); a missing store is an
 * error naming its path and key.  cfg copied. */
ax_rc gw_open_status(const struct gw_config *cfg, gw_gateway **out, char *err,
                     size_t errlen);
void gw_close(gw_gateway *g); /* accepts NULL */

/* Clock for quiet hours, pace, reminders (tests inject a fixed one). */
typedef long long (*gw_clock_fn)(void *ctx);
void gw_set_clock(gw_gateway *g, gw_clock_fn fn, void *ctx);
long long gw_now(gw_gateway *g);

/*
 * One scheduling pass in the caller's thread: reload campaigns and the
 * roster when due, start conversations, queue awareness digests (once
 * per household, after its survey conversation of the campaign has
 * ended; see gw_outreach.c), process committed inbox
 * messages, match delivery reports, send reminders and expire, and push
 * the outbox to the central server when one is configured and due.
 */
ax_rc gw_step(gw_gateway *g);

/* Force gw_step to reload campaigns, surveys and roster slices. */
void gw_reload(gw_gateway *g);

/* One pass of modem i: (re)connect with backoff, read the inbox once
 * (committed in one transaction, then deleted from the modem), then send
 * what quiet hours, pace and the daily cap allow until nothing may go or
 * receive_frequency_ms have passed.  Thread: modem i's. */
ax_rc gw_modem_cycle(gw_gateway *g, int i);

/* Run until *stop: a thread per modem, gw_step in the caller's thread.
 * The current send finishes before a thread exits.  *stop is atomic: a
 * signal handler sets it and every thread reads it (a volatile
 * sig_atomic_t read from another thread is a data race).  AX_IO when it
 * stopped because [smsd] store no longer names the file it opened
 * (removed or replaced while it ran: what it committed since went to a
 * file nobody reads, and it would have gone on sending), else AX_OK. */
ax_rc gw_run(gw_gateway *g, atomic_int *stop);

/* Per modem signal, sent/received today, queue depth, last error. */
ax_rc gw_status_print(gw_gateway *g, FILE *out);

/* Staff withdraw a number's opt-out (the resident asked them): removed,
 * logged with who, the confirmation queued.  AX_OK, AX_NOTFOUND when the
 * number had not opted out, AX_INVALID for a number that is not one. */
ax_rc gw_restore_number(gw_gateway *g, const char *number, const char *who);

/* Staff release quarantined message #id (--status lists them): a send
 * goes back to the queue, a stored message read by staff is marked seen;
 * logged with who.  AX_OK, AX_NOTFOUND when there is no such unreleased
 * one. */
ax_rc gw_release_quarantined(gw_gateway *g, long long id, const char *who);

/* Last error of the gateway (borrowed). */
const char *gw_errmsg(gw_gateway *g);

#ifdef __cplusplus
}
#endif
#endif
