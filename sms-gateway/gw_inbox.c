/*
 * gw_inbox.c -- incoming messages.  A modem thread writes what it reads
 * (messages and delivery reports) in one transaction per read, committed
 * before the modem deletes anything; gw_step then takes the new messages
 * through the flow in batches.
 */
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/phone.h"
#include "gw_int.h"

/* The household's conversation a reply belongs to: the one asking, else
 * the latest started; *prev (campaign, may be NULL): the latest started
 * one that is not asking ("" if none).  A household has a conversation
 * per campaign, a handful at most: chosen here rather than with ORDER BY,
 * whose sorter cost SQLite a temporary b-tree opened and closed per reply
 * (perf). */
static int load_conv_for(gw_gateway *g, const char *hh, struct convrow *r,
                         char prev[64])
{
	sqlite3_stmt *q;
	struct convrow c;
	long long prev_at = -1;
	int found = 0;
	if (!(q = gw__prep(g, g->db,
	                   "SELECT " CONV_COLS " FROM conv WHERE household = ?")))
		return -1;
	sqlite3_bind_text(q, 1, hh, -1, SQLITE_STATIC);
	if (prev)
		prev[0] = '\0';
	while (sqlite3_step(q) == SQLITE_ROW) {
		gw__read_conv(q, &c);
		if (prev && c.c.status != GW_CONV_ASKING && c.c.started_at > prev_at) {
			prev_at = c.c.started_at;
			snprintf(prev, 64, "%s", c.campaign);
		}
		if (!found ||
		    (c.c.status == GW_CONV_ASKING) > (r->c.status == GW_CONV_ASKING) ||
		    ((c.c.status == GW_CONV_ASKING) == (r->c.status == GW_CONV_ASKING) &&
		     c.c.started_at > r->c.started_at)) {
			*r = c;
			found = 1;
		}
	}
	gw__release(g, g->db, q);
	return found;
}

static int set_inbox_campaign(gw_gateway *g, sqlite3 *db, long long id,
                              const char *state, const char *hh,
                              const char *campaign)
{
	sqlite3_stmt *q;
	int rc;
	if (!(q = gw__prep(g, db, "UPDATE inbox SET state=?, household=?,"
	                          " campaign=? WHERE id=?")))
		return -1;
	sqlite3_bind_text(q, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hh, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, id);
	rc = sqlite3_step(q);
	gw__release(g, db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int set_inbox(gw_gateway *g, sqlite3 *db, long long id,
                     const char *state, const char *hh)
{
	return set_inbox_campaign(g, db, id, state, hh, NULL);
}

/*
 * A reply whose latest conversation was closed with its campaign: kept
 * for that campaign (inbox.campaign, state late, an sms_replied
 * contact), never taken as an answer to anything else, and answered
 * once per conversation with gw_flow_closed_text.  An opt-out is
 * honoured as ever.
 */
static int closed_reply(gw_gateway *g, long long id, const char *phone,
                        const char *hh, const struct convrow *r,
                        const char *text, long long now)
{
	int optout = gw_reply_is_optout(text, strlen(text));
	struct camp gone;
	long long told;

	memset(&gone, 0, sizeof gone);
	ax_campaign_defaults(&gone.c);
	snprintf(gone.c.id, sizeof gone.c.id, "%s", r->campaign);
	if (gw__record_contact(g, g->st, hh, "sms_replied", NULL, now))
		return -1;
	if (optout)
		return gw__add_optout(g, g->db, phone, "reply", now) ||
		               gw__enqueue(g, phone, hh, NULL, "optout_confirm",
		                           gw_flow_optout_text, now) ||
		               set_inbox_campaign(g, g->db, id, "done", hh, r->campaign)
		           ? -1
		           : 0;
	{
		/* told already: once per conversation, whatever they send */
		sqlite3_stmt *q = gw__prep(g, g->db,
		                           "SELECT COUNT(*) FROM queue WHERE household=?"
		                           " AND kind='closed' AND campaign=?");
		if (!q)
			return -1;
		sqlite3_bind_text(q, 1, hh, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, r->campaign, -1, SQLITE_STATIC);
		told = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
		gw__release(g, g->db, q);
	}
	if (told < 0 ||
	    (told == 0 &&
	     gw__enqueue(g, phone, hh, &gone, "closed", gw_flow_closed_text, now)))
		return -1;
	return set_inbox_campaign(g, g->db, id, "late", hh, r->campaign);
}

/*
 * Whether the open question of an asking conversation had gone out when
 * a reply came (received: when the gateway read it): 1 it had, 0 not yet
 * (its message still queued, or sent after the reply came or in the same
 * second), -1 on error.
 * A question re-asked after a reply not understood (attempts) or
 * reminded had gone out before.  *any_sent: something of the
 * conversation went out before the reply (else the reply was to an
 * earlier campaign).
 */
static int question_was_sent(gw_gateway *g, const struct convrow *r,
                             long long received, int *any_sent)
{
	sqlite3_stmt *q;
	int pending;
	*any_sent = 1;
	if (r->c.attempts || r->c.reminded)
		return 1;
	/* went out with nothing of its step left queued, asked_at the second
	 * it did (gw_send.c): what the query below would find, without it */
	if (r->asked_sent && received > r->c.asked_at)
		return 1;
	if (!(q = gw__prep(g, g->db,
	                   "SELECT COUNT(*) FILTER (WHERE state IN ('pending','sending')"
	                   " AND kind IN ('intro','question')), COUNT(*) FILTER"
	                   " (WHERE state IN ('sent','unknown') AND sent_at < ?3)"
	                   " FROM queue WHERE phone=?1 AND campaign=?2")))
		return -1;
	sqlite3_bind_text(q, 1, r->phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->campaign, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, received);
	if (sqlite3_step(q) != SQLITE_ROW) {
		gw__release(g, g->db, q);
		return -1;
	}
	pending = sqlite3_column_int(q, 0) > 0;
	*any_sent = sqlite3_column_int(q, 1) > 0;
	gw__release(g, g->db, q);
	/* in the second it went out: nobody reads and answers a question
	 * that fast, and the modem reads before it sends in a cycle */
	return !pending && received > r->c.asked_at;
}

/* The household whose conversation on phone is asking: 1 (hh filled),
 * 0 none, -1 on error.  One at most (gw__phone_busy). */
static int asking_on_phone(gw_gateway *g, const char *phone, char hh[64])
{
	sqlite3_stmt *q;
	int found;
	if (!(q = gw__prep(g, g->db, "SELECT household FROM conv WHERE phone=?"
	                             " AND status='asking' LIMIT 1")))
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	if (found)
		snprintf(hh, 64, "%s", (const char *)sqlite3_column_text(q, 0));
	gw__release(g, g->db, q);
	return found;
}

/* One committed inbox message -> the flow, inside the caller's
 * transaction (gw__process_inbox: one per batch, a savepoint per message). */
static int handle_inbox(gw_gateway *g, long long id, const char *phone,
                        const char *text, long long received, long long now)
{
	char hh[64], grid[32], prev[64];
	struct convrow r;
	struct gw_flow_out o;
	struct camp *cp = NULL;
	char pack[64] = "";
	int found, dig = 0, nhh, other;

	nhh = gw__lookup_phone(g, phone, hh, grid);
	/* the way back: an opted-out number that texts 恢复 (or 订阅 ...) */
	if (gw_reply_is_restore(text, strlen(text)) &&
	    gw__is_opted_out(g, g->db, phone)) {
		if (gw__restore_optout(g, phone, nhh == 1 ? hh : NULL, "reply", now) < 0 ||
		    set_inbox(g, g->db, id, "done", nhh == 1 ? hh : NULL))
			goto fail;
		return 0;
	}
	if (nhh <= 0) {
		/* never attributed; an opt-out is still honoured */
		if (gw_reply_is_optout(text, strlen(text)) &&
		    gw__add_optout(g, g->db, phone, "unknown sender", now))
			goto fail;
		if (set_inbox(g, g->db, id, "unknown", NULL))
			goto fail;
		return 0;
	}
	/* A number listed for several households: the reply goes to the
	 * conversation open on it; with none open it is nobody's (kept as
	 * ambiguous, credited to no household), an opt-out honoured. */
	if (nhh > 1 && (found = asking_on_phone(g, phone, hh)) <= 0) {
		if (found < 0)
			goto fail;
		if (gw_reply_is_optout(text, strlen(text)) &&
		    (gw__add_optout(g, g->db, phone, "reply", now) ||
		     gw__enqueue(g, phone, NULL, NULL, "optout_confirm",
		                 gw_flow_optout_text, now)))
			goto fail;
		if (set_inbox(g, g->db, id, "ambiguous", NULL))
			goto fail;
		return 0;
	}
	found = load_conv_for(g, hh, &r, prev);
	if (found < 0)
		goto fail;
	/* a household's other number never answers the question this one
	 * was asked: its reply is kept and counted, as one to no question */
	other = found > 0 && r.c.status == GW_CONV_ASKING &&
	        strcmp(r.phone, phone) != 0;
	if (found)
		cp = gw__find_camp(g, r.campaign);
	if (found && !cp && r.c.status == GW_CONV_CLOSED) {
		if (closed_reply(g, id, phone, hh, &r, text, now))
			goto fail;
		return 0;
	}
	/* no question is open: a reply to the latest digest, if one went */
	if ((!found || !cp || !cp->fs || r.c.status != GW_CONV_ASKING || other) &&
	    (dig = gw__last_digest_pack(g, hh, pack)) < 0)
		goto fail;
	if (!found || !cp || !cp->fs || dig || other) {
		int optout = gw_reply_is_optout(text, strlen(text));
		/* an opt-out answering a digest is honoured, not counted as a
		 * reply to it */
		if (!(dig && optout) &&
		    gw__record_contact(g, g->st, hh, "sms_replied", dig ? pack : NULL, now))
			goto fail;
		if (optout) {
			if (gw__add_optout(g, g->db, phone, "reply", now) ||
			    gw__enqueue(g, phone, hh, NULL, "optout_confirm",
			                gw_flow_optout_text, now))
				goto fail;
		} else if (gw_reply_optout_ask(text, strlen(text)) &&
		           gw__enqueue(g, phone, hh, NULL, "question",
		                       gw_flow_optout_ask_text, now)) {
			/* a lone "T" with no question open: asked, as in a
			 * conversation, never taken for a stop */
			goto fail;
		}
		if (set_inbox_campaign(g, g->db, id, optout ? "done" : "late", hh,
		                       found ? r.campaign : NULL))
			goto fail;
		return 0;
	}
	/* A reply that came before the open question went out answers
	 * something earlier: a resent answer, a comment on it, or a reply to
	 * the previous campaign.  Kept (state early, or late for an earlier
	 * campaign) and counted as a reply, never taken as the answer to a
	 * question the resident had not seen.  An opt-out is honoured. */
	if (!gw_reply_is_optout(text, strlen(text))) {
		int any_sent, sent = question_was_sent(g, &r, received, &any_sent);
		if (sent < 0)
			goto fail;
		if (!sent) {
			int earlier = !any_sent && prev[0];
			if (gw__record_contact(g, g->st, hh, "sms_replied", NULL, now) ||
			    set_inbox_campaign(g, g->db, id, earlier ? "late" : "early", hh,
			                       earlier ? prev : r.campaign))
				goto fail;
			return 0;
		}
	}
	gw_flow_reply(cp->fs, &r.c, text, strlen(text), now, &o);
	if (gw__apply_out(g, &r, cp, &o, now, 0) ||
	    set_inbox_campaign(g, g->db, id, o.late ? "late" : "done", hh,
	                       r.campaign))
		goto fail;
	return 0;
fail:
	gw__seterr(g, "inbox message %lld: %s", id, sqlite3_errmsg(g->db));
	return -1;
}

struct inbox_item {
	long long id, received;
	char phone[64];
	char *text;
};

/* One transaction for a batch of inbox messages.  With savepoints, a
 * message that fails is rolled back alone and marked 'error'.  Without
 * (the fast pass: a savepoint per message cost about a fifth of the batch,
 * its sub-journal copying every page a message first touches), the first
 * failure rolls the whole batch back and returns 1, for the caller to
 * run it again with savepoints.  0 committed, -1 failed. */
static int inbox_batch(gw_gateway *g, const struct inbox_item *items, int n,
                       long long now, int savepoints)
{
	int i;
	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < n; i++) {
		if (!savepoints) {
			if (handle_inbox(g, items[i].id, items[i].phone, items[i].text,
			                 items[i].received, now)) {
				gw__exec(g->db, "ROLLBACK");
				return 1;
			}
			continue;
		}
		gw__exec_cached(g, "SAVEPOINT msg");
		if (handle_inbox(g, items[i].id, items[i].phone, items[i].text,
		                 items[i].received, now)) {
			gw__exec_cached(g, "ROLLBACK TO msg");
			set_inbox(g, g->db, items[i].id, "error", NULL);
		}
		gw__exec_cached(g, "RELEASE msg");
	}
	return gw__commit(g->db);
}

int gw__process_inbox(gw_gateway *g, long long now)
{
	sqlite3_stmt *q;
	struct inbox_item *items = NULL;
	int n = 0, cap = 0, i, rc = 0;

	if (sqlite3_prepare_v2(g->db,
	                       "SELECT id, phone, text, received_at FROM inbox"
	                       " WHERE state='new'"
	                       " ORDER BY id LIMIT 5000",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			struct inbox_item *ni;
			cap = cap ? cap * 2 : 64;
			ni = realloc(items, (size_t)cap * sizeof *ni);
			if (!ni)
				break;
			items = ni;
		}
		const void *phone = sqlite3_column_blob(q, 1), *text;
		size_t plen = phone ? (size_t)sqlite3_column_bytes(q, 1) : 0, tlen;
		items[n].id = sqlite3_column_int64(q, 0);
		items[n].received = sqlite3_column_int64(q, 3);
		/* copied by length: sqlite3_column_text would first copy each
		 * to add its terminator (perf) */
		if (plen >= sizeof items[n].phone)
			plen = sizeof items[n].phone - 1;
		if (plen)
			memcpy(items[n].phone, phone, plen);
		items[n].phone[plen] = '\0';
		text = sqlite3_column_blob(q, 2);
		tlen = text ? (size_t)sqlite3_column_bytes(q, 2) : 0;
		if (!(items[n].text = malloc(tlen + 1)))
			break;
		if (tlen)
			memcpy(items[n].text, text, tlen);
		items[n].text[tlen] = '\0';
		n++;
	}
	sqlite3_finalize(q);
	/* One transaction for the batch (an fsync per message would cap the
	 * gateway at a few hundred replies a second); one message that fails
	 * is marked and the others go on (inbox_batch's second pass).  Until
	 * the batch commits every message stays 'new' in the inbox: a crash
	 * loses nothing. */
	if (n) {
		rc = inbox_batch(g, items, n, now, 0);
		if (rc == 1)
			rc = inbox_batch(g, items, n, now, 1);
	}
	for (i = 0; i < n; i++)
		free(items[i].text);
	free(items);
	return rc;
}

/* ---- written by the modem threads ---------------------------------------- */

static void norm_phone(const char *in, char out[64])
{
	char e[AX_PHONE_MAX];
	if (ax_phone_normalize(in, e, NULL) == AX_OK)
		snprintf(out, 64, "%s", e);
	else
		snprintf(out, 64, "%s", in);
}

/* The modem thread's transaction for one inbox read: opened by the first
 * message or report, committed by gw__on_commit before anything is deleted. */
static int slot_begin(struct slot *s)
{
	if (s->in_txn)
		return 0;
	if (gw__exec(s->db, "BEGIN IMMEDIATE"))
		return -1;
	s->in_txn = 1;
	return 0;
}

int gw__on_commit(void *ctx)
{
	struct slot *s = ctx;
	if (!s->in_txn)
		return 0;
	s->in_txn = 0;
	if (gw__commit(s->db))
		return -1;
	gw__crash_point("after_commit");
	return 0;
}

int gw__on_incoming(void *ctx, const struct gw_incoming *in)
{
	struct slot *s = ctx;
	unsigned char hash[16];
	char dedup[256], hex[33], phone[64];
	sqlite3_stmt *q;
	int rc;

	norm_phone(in->phone, phone);
	crypto_generichash(hash, sizeof hash, (const unsigned char *)in->text,
	                   strlen(in->text), NULL, 0);
	sodium_bin2hex(hex, sizeof hex, hash, sizeof hash);
	snprintf(dedup, sizeof dedup, "%s|%lld|%d|%s", phone, in->smsc_time,
	         in->concat_ref, hex);
	if (slot_begin(s))
		return -1;
	if (!s->ins_inbox &&
	    sqlite3_prepare_v2(s->db,
	                       "INSERT INTO inbox(dedup, modem, phone, smsc_time,"
	                       " received_at, parts, text) VALUES(?,?,?,?,?,?,?)"
	                       " ON CONFLICT(dedup) DO UPDATE SET seen = seen + 1",
	                       -1, &s->ins_inbox, NULL) != SQLITE_OK)
		return -1;
	q = s->ins_inbox;
	sqlite3_bind_text(q, 1, dedup, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, in->smsc_time);
	sqlite3_bind_int64(q, 5, gw_now(s->g));
	sqlite3_bind_int(q, 6, in->parts);
	sqlite3_bind_text(q, 7, in->text, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gw__on_report(void *ctx, const struct gw_status_report *r)
{
	struct slot *s = ctx;
	char dedup[160], phone[64];
	sqlite3_stmt *q;
	int rc;

	norm_phone(r->phone, phone);
	snprintf(dedup, sizeof dedup, "%s|%d|%lld|%d", phone, r->ref, r->at,
	         r->status);
	if (slot_begin(s))
		return -1;
	if (!s->ins_report &&
	    sqlite3_prepare_v2(s->db,
	                       "INSERT OR IGNORE INTO reports(dedup, modem, phone, ref,"
	                       " status, at) VALUES(?,?,?,?,?,?)",
	                       -1, &s->ins_report, NULL) != SQLITE_OK)
		return -1;
	q = s->ins_report;
	sqlite3_bind_text(q, 1, dedup, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 4, r->ref);
	sqlite3_bind_int(q, 5, r->status);
	sqlite3_bind_int64(q, 6, r->at);
	rc = sqlite3_step(q);
	sqlite3_reset(q);
	return rc == SQLITE_DONE ? 0 : -1;
}
