/*
 * gw_int.h -- internals shared by the files of the gateway (gateway.c,
 * gw_*.c); not a public header.  gateway.h has the transaction design.
 *
 *   gw_store.c     the gateway's tables in the store file: schema,
 *                  connections, statement cache, clock, UUIDs, crash
 *                  points, small SQL helpers
 *   gw_upgrade.c   an old deployment's gateway.db moved into the store
 *   gw_campaign.c  campaigns, surveys, packs and roster slices (load, lookup)
 *   gw_conv.c      conversations in SQL: start, tick, close those of a
 *                  campaign that ended, apply a flow step
 *   gw_outreach.c  awareness digests, queued once per household
 *   gw_inbox.c     incoming messages: written by the modem threads,
 *                  processed through the flow by gw_step
 *   gw_send.c      the send layer: queue, opt-out, quiet hours, pace, cap,
 *                  delivery reports
 *   gw_records.c   record lines put in the store's outbox; push to central
 *   gw_modems.c    one cycle of a modem thread (connect, read, send)
 *   gw_quarantine.c  messages the modem's process was lost on
 *   gw_status.c    --status
 *   gateway.c      open, close, gw_step, gw_run
 *
 * Cross-file names are gw__name; everything else is static in its file.
 * Unless said otherwise a function runs in gw_step's thread on g->db; one
 * taking a slot (or a `db` that may be a slot's) runs in that modem's
 * thread.
 */
#ifndef ANXIN_GW_INT_H
#define ANXIN_GW_INT_H

#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/types.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/phone.h"
#include "anxin/store.h"
#include "gateway.h"
#include "modem_proc.h"

/* ---- state --------------------------------------------------------------- */

struct hh {
	char id[64];
	char grid[32];
	char phones[4][AX_PHONE_MAX];
	int nphones;
	int active;
};

struct phone_ix {
	char phone[AX_PHONE_MAX];
	int hh;
};

/* One SMS digest of a pack (struct ax_pack's digests); strings borrowed
 * from a campaigns document of gw_gateway.docs, kept until the next load. */
struct digest {
	const char *pack, *id, *text;
};

struct camp {
	struct ax_campaign c;
	gw_fsurvey *fs; /* NULL: outreach only */
	int *members;   /* indexes into hhs */
	int nmembers;
	unsigned char *started; /* members[i] has a conversation (cache) */
	int all_started;        /* nothing left to start */
	int *order;     /* members' indexes in start order (gw_conv.c), or NULL */
	int start_from; /* order[0 .. start_from) are all started */
	struct digest *digests; /* of every pack of the campaign, in order */
	int ndigests;
	unsigned char *digested; /* members[i] has every digest queued (cache) */
	long long *digest_at; /* members[i] not looked at again before (cache) */
	int all_digested;
};

struct slot {
	gw_gateway *g;
	int index;
	gw_mproc *m; /* the modem, in its own process */
	ax_store *st; /* this thread's handle on the store file */
	sqlite3 *db;  /* its connection (ax_store_sqlite) */
	long long next_try;
	int backoff;
	int signal;
	long long signal_at;
	char last_error[256];
	/* the modem's waiting multipart messages: loaded from parts_waiting
	 * once, written back after each read that changed them */
	int waiting_loaded, nwaiting_stored;
	/* the quarantined locations still on the modem were handed to m */
	int quarantine_loaded;
	/* one transaction per inbox read (gw__on_incoming .. gw__on_commit) */
	int in_txn;
	sqlite3_stmt *ins_inbox, *ins_report;
	/* The send layer's counts for this modem, kept in memory: counting
	 * them in SQL on every claim cost O(messages sent today), quadratic
	 * over a busy day.  Exact because only this modem's thread claims for
	 * it; loaded from the queue on first use, when the China-time day
	 * changes and when the clock goes back. */
	int counts_loaded;
	int day;             /* ax_cst_day of day_sent */
	long long day_sent;  /* claimed today: sending, sent or unknown */
	long long last_now;
	struct {
		long long sec;
		int n;
	} win[60];           /* claims per clock second, by sec % 60 */
};

struct gw_gateway {
	struct gw_config cfg;
	ax_store *st;
	sqlite3 *db;  /* st's connection (ax_store_sqlite), or for --status
	               * on a store never upgraded: the old gateway.db */
	int own_db;   /* db is that old file's: closed by gw_close */
	int lock_fd;  /* STORE.lock, flock()ed by gw_open; -1 for --status */
	ax_content *content;
	struct camp *camps;
	int ncamps;
	struct hh *hhs;
	int nhh, hh_cap;
	int *hh_slots; /* household id -> index in hhs (gw_campaign.c) */
	int hh_nslots;
	struct phone_ix *ix;
	int nix;
	/* the campaigns documents the loaded campaigns' packs come from: [0]
	 * central's cached one (or NULL), then the store's, decoded when a
	 * campaign's pack is in none before (ax_campaign_doc) */
	ax_campaign_doc **docs;
	int ndocs;
	long long loaded_at;
	int reload;
	/* the send backlog last put in the store for central (gw_status.c) */
	char queue_report[64];
	long long queue_at;
	gw_clock_fn clock;
	void *clock_ctx;
	/* clock_file's last good reading (gateway.c's file_clock) */
	atomic_llong file_clock_last;
	struct slot slots[GW_MAX_MODEMS];
	atomic_int *stop; /* gw_run's: modem threads stop sending */
	/* the store file this gateway opened (gw__store_lost) */
	dev_t store_dev;
	ino_t store_ino;
	atomic_int store_lost;
	pthread_mutex_t log_mu;
	/* prepared statements of the main connection, keyed by the SQL
	 * literal's address: preparing costs more than running them */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[48];
	int ncache;
	char err[512];
};

/* A conversation row (table conv) with the flow's state. */
struct convrow {
	char campaign[64], household[64], phone[64], region[32], wave[64];
	char response_id[40];
	struct gw_conv c;
	/* conv.asked_sent: the open question went out (gw_send.c set asked_at
	 * to when, with nothing of the step still queued on this phone); 0
	 * while a step's messages are queued, and on stores from before the
	 * column (gw_inbox.c then asks the queue) */
	int asked_sent;
	/* conv.status and conv.due as read: a step that leaves the status
	 * and would only move the timer later keeps the row's due, a lower
	 * bound (gw_conv.c: write_conv).  due 0: write the exact due (a new
	 * row, the tick). */
	enum gw_conv_status status_read;
	long long due;
};

#define CONV_COLS                                                              \
	"campaign, household, phone, region, wave, response_id, status, qidx, "   \
	"attempts, reminded, started_at, asked_at, reminded_at, updated_at, "     \
	"answers, skipped, shown, asked_sent, due"
/* how many columns CONV_COLS names: the first one after them */
#define CONV_NCOLS 19

/* What the household is shown (column conv.shown; "" and NULL without a
 * draw or shuffled options): "u" and the undrawn question bits in hex,
 * then for each ordered question ";" its index ":" and its order, one
 * hex digit per position ("ua;0:2010000000000000").  gw_conv.c. */
void gw__shown_text(const struct gw_conv *c, char *t, size_t n);
void gw__shown_parse(struct gw_conv *c, const char *t);

/* ---- gw_store.c ---------------------------------------------------------- */

/* Format the gateway's last error (gw_errmsg). */
void gw__seterr(gw_gateway *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A new version 7 UUID (time-ordered, 74 random bits), lower-case text.  Thread-safe (per-thread pool). */
void gw__new_uuid(char out[37]);
/* SIGKILL the process here when ANXIN_SMSD_CRASH names this point. */
void gw__crash_point(const char *name);
/* A statement for the string literal sql on db (cached when db is g->db,
 * whose thread is gw_step's); give it back with gw__release.  NULL on
 * failure. */
sqlite3_stmt *gw__prep(gw_gateway *g, sqlite3 *db, const char *sql);
void gw__release(gw_gateway *g, sqlite3 *db, sqlite3_stmt *st);
/* sqlite3_exec: 0 or -1; gw__exec_cached through g->db's cache. */
int gw__exec(sqlite3 *db, const char *sql);
/* COMMIT on db, rolled back when it fails (never left open): 0 or -1.
 * Every gateway transaction ends through it. */
int gw__commit(sqlite3 *db);
/* 1 (logged once) when [smsd] store no longer names the file this gateway
 * opened: removed, or replaced (a restore, a new store).  Its commits
 * would go to a file nobody reads while it kept sending: the caller
 * stops.  Any thread. */
int gw__store_lost(gw_gateway *g);
/* An open transaction on db at the top of a pass (a COMMIT that failed
 * and was never rolled back, a savepoint left open): logged with `where`
 * and rolled back, so it cannot hold back every later write.  1 if there
 * was one, else 0. */
int gw__txn_guard(gw_gateway *g, sqlite3 *db, const char *where);
int gw__exec_cached(gw_gateway *g, const char *sql);
/* A read-write handle on the store at path (created if missing) with the
 * gateway's tables and pragmas; *out NULL and err filled on failure. */
ax_rc gw__open_store(const char *path, ax_store **out, char *err,
                     size_t errlen);
/* The one integer of sql with ?1 = a, ?2 = b; -1 on error. */
long long gw__count1(sqlite3 *db, const char *sql, const char *a, long long b);

/* ---- gw_campaign.c ------------------------------------------------------- */

/* (Re)load campaigns, surveys, packs and roster slices; g->reload = 0. */
ax_rc gw__load(gw_gateway *g);
/* Free what gw__load made (also from gw_close). */
void gw__free_loaded(gw_gateway *g);
/* How many households list a number (0: not in the roster; 2 may mean
 * more), with the first one's id and grid. */
int gw__lookup_phone(gw_gateway *g, const char *phone, char hh[64],
                     char grid[32]);
/* 1 when a conversation on phone is asking, or one ended less than
 * cfg.campaign_gap before now (one phone, one conversation at a time,
 * whichever household it is listed for); -1 on error. */
int gw__phone_busy(gw_gateway *g, const char *phone, long long now);
/* A loaded campaign by id (borrowed until the next load), or NULL. */
struct camp *gw__find_camp(gw_gateway *g, const char *id);

/* ---- gw_conv.c ----------------------------------------------------------- */

/* A row selected with CONV_COLS into *r. */
void gw__read_conv(sqlite3_stmt *q, struct convrow *r);
/* Write one flow step's result (conversation, opt-out, queued messages,
 * record lines) in the caller's transaction; insert: a new conversation. */
int gw__apply_out(gw_gateway *g, struct convrow *r, const struct camp *cp,
                  const struct gw_flow_out *o, long long now, int insert);
/* 1 when a conversation of hh is asking, or (now > 0) one of another
 * campaign ended less than cfg.campaign_gap before now; *exists: hh has
 * one in campaign. */
int gw__household_busy(gw_gateway *g, const char *hh, const char *campaign,
                       long long now, int *exists);
/* One pass each, in its own transaction: conversations started (count) /
 * reminders sent and conversations expired (0); -1 on error. */
int gw__start_conversations(gw_gateway *g, long long now);
int gw__tick_conversations(gw_gateway *g, long long now);
/* The asking conversations of campaigns no longer loaded (ended or
 * closed) closed, with their partial records, in one transaction: how
 * many, or -1. */
int gw__close_conversations(gw_gateway *g, long long now);
/* The campaign's members in a random order seeded from its id (FNV-1a)
 * into cp->order: the same order on every run and restart, not the
 * roster's (which would reach one grid after another), so the households
 * a partly served campaign has reached are a fair sample.  0, or -1 out
 * of memory. */
int gw__start_order(struct camp *cp);
/* How many more intros and digests cp may queue now (INT_MAX: no pace),
 * -1 on error: its unsent ones are kept to a few minutes of its pace. */
int gw__new_budget(gw_gateway *g, const struct camp *cp);

/* ---- gw_outreach.c ------------------------------------------------------- */

/* One pass of awareness outreach: digests queued, or -1. */
int gw__queue_digests(gw_gateway *g, long long now);
/* Pack of the latest digest sent to hh: 1 (pack filled), 0 none, -1. */
int gw__last_digest_pack(gw_gateway *g, const char *hh, char pack[64]);

/* ---- gw_inbox.c ---------------------------------------------------------- */

/* gw_modem_poll's callbacks (ctx: the modem's struct slot); modem thread. */
int gw__on_incoming(void *ctx, const struct gw_incoming *in);
int gw__on_report(void *ctx, const struct gw_status_report *r);
int gw__on_commit(void *ctx);
/* The committed inbox through the flow: 0, or -1. */
int gw__process_inbox(gw_gateway *g, long long now);

/* ---- gw_send.c ----------------------------------------------------------- */

/* Queue a message in the caller's transaction (cp may be NULL: the
 * gateway's defaults; pack may be NULL).  Strings borrowed. */
int gw__enqueue_pack(gw_gateway *g, const char *phone, const char *household,
                     const struct camp *cp, const char *kind,
                     const char *text, const char *pack, long long now);
/* The send class of a queue row's kind: 0 goes first (gw_send.c has the
 * table); GW_PRIO_LAST for a kind it does not know. */
#define GW_PRIO_LAST 3
int gw__kind_prio(const char *kind);
/* Set prio of every pending row from its kind (a store from before the
 * column, rows copied from an old gateway.db): 0, or -1. */
int gw__queue_set_prio(sqlite3 *db);
/* gw__enqueue_pack in send class prio instead of the kind's. */
int gw__enqueue_prio(gw_gateway *g, const char *phone, const char *household,
                     const struct camp *cp, const char *kind, int prio,
                     const char *text, const char *pack, long long now);
int gw__enqueue(gw_gateway *g, const char *phone, const char *household,
                const struct camp *cp, const char *kind, const char *text,
                long long now);
/* SMS segments a text takes: GSM-7 (160, or 153 a part) when it is
 * ASCII, else UCS-2 (70, or 67 a part).  The daily cap counts these. */
int gw__segments(const char *text);
/* 1 when phone opted out (or on error: when in doubt, do not message). */
int gw__is_opted_out(gw_gateway *g, sqlite3 *db, const char *phone);
int gw__add_optout(gw_gateway *g, sqlite3 *db, const char *phone,
                   const char *source, long long now);
/* A number's opt-out withdrawn (the resident texted 恢复, or staff), in the
 * caller's transaction, logged with source, the confirmation queued:
 * 1 done, 0 the number had not opted out, -1 on error. */
int gw__restore_optout(gw_gateway *g, const char *phone, const char *household,
                       const char *source, long long now);
/* gw_optout.c: an opt-out (restore 0) or its withdrawal (1) taken here,
 * in the caller's transaction: the number's optout_seen time and, when
 * the number is a roster phone, the "optout" record: 0, or -1. */
int gw__optout_event(gw_gateway *g, const char *phone, int restore,
                     const char *source, long long now);
/* Central's opt-out states in a roster slice (its text) applied when
 * newer than what this gateway saw: how many changed, or -1. */
int gw__optouts_apply(gw_gateway *g, const char *slice);
/* gw_status.c: at most once a minute, the send backlog by class and its
 * drain time put in the store (ax_sync_set_queue) when it changed, for
 * the next sync to report to central's device page. */
void gw__report_queue(gw_gateway *g, long long now);
/* gw_phones.c: note queue row id when it failed for good or bounced
 * (in the caller's transaction on db): 0, or -1. */
int gw__note_failed(sqlite3 *db, long long queue_id);
/* Conversations whose number failed before anyone replied move to the
 * household's next listed number (one transaction): 0, or -1. */
int gw__phone_fallback(gw_gateway *g, long long now);
/* Conversation r, due now, is about to expire with nobody of its
 * household having replied: it moves to the next listed number, asked
 * from the start with a reminder schedule of its own (in the caller's
 * transaction).  1 moved, 0 not (it expires), -1 on error. */
int gw__phone_unanswered(gw_gateway *g, const struct convrow *r,
                         const struct gw_flow_opts *opts, long long now);
/* Index of household id in g->hhs, or -1. */
int gw__find_hh(gw_gateway *g, const char *id);
/* gw__optouts_apply on the cached slice of every code of cfg.scope. */
void gw__optouts_sync(gw_gateway *g);
/* At open: messages left 'sending' by a crash become 'unknown' (never
 * sent again) with their sms_sent contact and sent-log line: 0, or -1. */
int gw__recover_sending(gw_gateway *g);
/* Delivery reports matched to their sends, in one transaction: 0, or -1. */
int gw__match_reports(gw_gateway *g, long long now);
/* Modem thread: send what the send layer lets go until
 * receive_frequency_ms have passed; *now follows the clock of each claim.
 * 0, or -1 when a send failed (err filled: the caller reconnects). */
int gw__send_due(struct slot *s, long long *now, char *err, size_t errlen);

/* ---- gw_quarantine.c ----------------------------------------------------- */

/* Modem thread.  The stored message at location the modem's process was
 * lost on reading (why: how it ended) kept in table quarantine, with its
 * smsbackup file when the modem is libgammu's dummy driver, committed;
 * then handed to s->m to be deleted unread.  0, or -1. */
int gw__quarantine_read(struct slot *s, int location, const char *why,
                        long long now);
/* Modem thread, before its first connect: the quarantined locations not
 * yet deleted handed to s->m; after a connect (which deleted them) marked
 * deleted.  0, or -1. */
int gw__quarantine_load(struct slot *s);
int gw__quarantine_deleted(struct slot *s, long long now);
/* Modem thread: queue row id, which the modem's process was lost on
 * sending, set aside (state 'quarantined', never tried again by itself)
 * with a quarantine row, in one transaction.  0, or -1. */
int gw__quarantine_send(struct slot *s, long long id, const char *why,
                        long long now);
/* --status: the quarantined messages staff have not released. */
void gw__quarantine_print(gw_gateway *g, FILE *out);

/* ---- gw_upgrade.c -------------------------------------------------------- */

/* When cfg.gateway_db (an old deployment's file) exists: its tables
 * copied into the store and its unforwarded journal lines put into the
 * outbox, in one store transaction, then the file renamed
 * (gateway.db.migrated).  0 (nothing to do, or done), -1 with g->err. */
int gw__upgrade(gw_gateway *g);

/* ---- gw_records.c -------------------------------------------------------- */

/* A record line (body borrowed; NULL fails) into st's outbox, in the
 * caller's transaction on st (g->st, or a modem thread's s->st). */
int gw__record(gw_gateway *g, ax_store *st, const char *id, const char *body);
/* A contact record of household (none when household is empty). */
int gw__record_contact(gw_gateway *g, ax_store *st, const char *household,
                       const char *kind, const char *pack, long long at);
/* Push the outbox to the central server when one is set and a push is due. */
void gw__push_central(gw_gateway *g, long long now);

#endif
