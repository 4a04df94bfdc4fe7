/*
 * gw_outreach.c -- awareness outreach: the SMS digests of a campaign's
 * packs, queued once per household after its survey conversation, one a
 * day at most and no faster than the modems send them.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "gw_int.h"

/* Status of the household's conversation in a campaign; -1 if none. */
static int conv_status(gw_gateway *g, const char *campaign, const char *hh)
{
	sqlite3_stmt *q;
	int st = -1;
	if (!(q = gw__prep(g, g->db, "SELECT status FROM conv WHERE campaign=? AND household=?")))
		return -2;
	sqlite3_bind_text(q, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hh, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		st = gw_conv_status_parse((const char *)sqlite3_column_text(q, 0));
	gw__release(g, g->db, q);
	return st;
}

/* Queue the first digest of cp not yet queued for household h, to phone:
 * 1 if one was, 0 if every digest was queued before, -1 on error. */
static int queue_next_digest(gw_gateway *g, struct camp *cp, const struct hh *h,
                             const char *phone, long long now)
{
	static const char tail[] = "回复TD退订";
	char text[GW_MSG_MAX];
	int d;

	for (d = 0; d < cp->ndigests; d++) {
		const struct digest *dg = &cp->digests[d];
		sqlite3_stmt *q;
		size_t n;
		int rc;
		if (!(q = gw__prep(g, g->db,
		                   "INSERT OR IGNORE INTO digests(campaign, household, pack,"
		                   " digest, phone, queued_at) VALUES(?,?,?,?,?,?)")))
			return -1;
		sqlite3_bind_text(q, 1, cp->c.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, h->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, dg->pack, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, dg->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, phone, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, now);
		rc = sqlite3_step(q);
		gw__release(g, g->db, q);
		if (rc != SQLITE_DONE)
			return -1;
		if (sqlite3_changes(g->db) == 0)
			continue; /* queued before (an earlier pass or run) */
		/* the first message of an outreach-only campaign carries the
		 * opt-out tail; with a survey, the intro already did */
		snprintf(text, sizeof text, "%s", dg->text);
		n = strlen(text);
		if (d == 0 && !cp->c.survey[0] &&
		    !(n >= sizeof tail - 1 && strcmp(text + n - (sizeof tail - 1), tail) == 0))
			snprintf(text + n, sizeof text - n, "%s", tail);
		if (gw__enqueue_pack(g, phone, h->id, cp, "digest", text, dg->pack, now))
			return -1;
		if (!(q = gw__prep(g, g->db,
		                   "UPDATE digests SET queue_id=? WHERE campaign=? AND"
		                   " household=? AND pack=? AND digest=?")))
			return -1;
		sqlite3_bind_int64(q, 1, sqlite3_last_insert_rowid(g->db));
		sqlite3_bind_text(q, 2, cp->c.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, h->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, dg->pack, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, dg->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		gw__release(g, g->db, q);
		return rc == SQLITE_DONE ? 1 : -1;
	}
	return 0;
}

/* When household h may be sent its next digest: the latest send to any
 * of its numbers plus cfg.digest_gap (0: nothing sent yet); LLONG_MAX
 * while a message to one of them waits in the queue; -1 on error. */
static long long digest_due(gw_gateway *g, const struct hh *h)
{
	long long last = 0;
	int p;
	for (p = 0; p < h->nphones; p++) {
		sqlite3_stmt *q;
		long long at, waiting;
		if (!(q = gw__prep(g, g->db,
		                   "SELECT MAX(sent_at), SUM(state IN ('pending','sending'))"
		                   " FROM queue WHERE phone=?")))
			return -1;
		sqlite3_bind_text(q, 1, h->phones[p], -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_ROW) {
			gw__release(g, g->db, q);
			return -1;
		}
		at = sqlite3_column_int64(q, 0);
		waiting = sqlite3_column_int64(q, 1);
		gw__release(g, g->db, q);
		if (waiting)
			return LLONG_MAX;
		if (at > last)
			last = at;
	}
	return last ? last + g->cfg.digest_gap : 0;
}

/* How long a household that cannot have a digest yet is left alone
 * before it is looked at again: its conversation or queue moves on in
 * minutes, and a pass then costs one query per such household. */
#define DIGEST_RECHECK_S 60

/*
 * Awareness outreach: every digest of a campaign's packs queued once per
 * household, to its first phone not opted out.  The digests table is the
 * memory (committed with the queue rows, so a restart never queues a
 * digest twice); the send layer then applies opt-out, quiet hours, pace
 * and the daily cap, and sends each row at most once.
 *
 * Order: digests come AFTER the survey.  For a campaign with a survey a
 * household's digests are queued only once its conversation of that
 * campaign has ended (done or expired; never after an opt-out), and for
 * any campaign never while a conversation of the household is asking.
 * So a bare "2" always answers the open question, a reply to a digest is
 * never taken for an answer, and the digests reinforce what the
 * thank-you explained.
 *
 * Throttled, as intros are: one digest of a household at a time, queued
 * only once nothing else waits for its numbers and cfg.digest_gap (a day)
 * has passed since the last message went to them, so a resident gets one
 * digest a day, the first a day after a quiz's thanks, not the campaign's
 * every digest in the minutes after it; and a campaign's unsent intros
 * and digests together are kept to a few minutes of its pace
 * (gw__new_budget), in its seeded start order, so a township's digests
 * never stand in one block before the intros of households not yet
 * reached.  Cost: one or two indexed queries per household due for a
 * look; one not due (digest_at) costs a comparison.
 */
int gw__queue_digests(gw_gateway *g, long long now)
{
	int i, pos, p, queued = 0;
	const int max_per_pass = 500;

	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < g->ncamps && queued < max_per_pass; i++) {
		struct camp *cp = &g->camps[i];
		int waiting = 0, budget;
		if (cp->all_digested)
			continue;
		if (gw__start_order(cp) || (budget = gw__new_budget(g, cp)) < 0)
			goto fail;
		for (pos = 0; pos < cp->nmembers; pos++) {
			int k = cp->order[pos], rc;
			struct hh *h = &g->hhs[cp->members[k]];
			const char *phone = NULL;
			long long due;
			int exists;
			if (cp->digested[k] || !h->active || h->nphones == 0)
				continue;
			waiting++;
			if (cp->digest_at[k] > now || queued >= max_per_pass || budget <= 0)
				continue;
			if (cp->c.survey[0]) {
				int st = conv_status(g, cp->c.id, h->id);
				if (st == -2)
					goto fail;
				if (st == GW_CONV_OPTED_OUT) {
					cp->digested[k] = 1; /* the resident said stop */
					waiting--;
					continue;
				}
				if (st != GW_CONV_DONE && st != GW_CONV_EXPIRED) {
					cp->digest_at[k] = now + DIGEST_RECHECK_S;
					continue;
				}
			}
			if (gw__household_busy(g, h->id, cp->c.id, 0, &exists)) {
				cp->digest_at[k] = now + DIGEST_RECHECK_S;
				continue;
			}
			if ((due = digest_due(g, h)) < 0)
				goto fail;
			if (due > now) {
				cp->digest_at[k] = due == LLONG_MAX ? now + DIGEST_RECHECK_S : due;
				continue;
			}
			for (p = 0; p < h->nphones && !phone; p++)
				if (!gw__is_opted_out(g, g->db, h->phones[p]))
					phone = h->phones[p];
			rc = phone ? queue_next_digest(g, cp, h, phone, now) : 0;
			if (rc < 0)
				goto fail;
			if (rc == 0) { /* all queued, or every phone opted out */
				cp->digested[k] = 1;
				waiting--;
				continue;
			}
			/* the next one no sooner than a gap after this one goes */
			cp->digest_at[k] = now + (g->cfg.digest_gap > DIGEST_RECHECK_S
			                              ? g->cfg.digest_gap : DIGEST_RECHECK_S);
			queued++;
			budget--;
		}
		if (!waiting)
			cp->all_digested = 1;
	}
	if (gw__commit(g->db))
		goto fail_committed;
	return queued;
fail:
	gw__seterr(g, "queueing digests: %s", sqlite3_errmsg(g->db));
	gw__exec(g->db, "ROLLBACK");
fail_committed:
	g->reload = 1; /* the flags may now be wrong: rebuild them */
	return -1;
}

/* The pack of the latest digest sent to a household: 1 and pack filled,
 * 0 if none was sent, -1 on error. */
int gw__last_digest_pack(gw_gateway *g, const char *hh, char pack[64])
{
	sqlite3_stmt *q;
	int found = 0;
	if (!(q = gw__prep(g, g->db,
	                   "SELECT pack FROM queue WHERE household=? AND kind='digest'"
	                   " AND state IN ('sent', 'unknown') AND pack IS NOT NULL"
	                   " ORDER BY sent_at DESC, id DESC LIMIT 1")))
		return -1;
	sqlite3_bind_text(q, 1, hh, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW) {
		snprintf(pack, 64, "%s", (const char *)sqlite3_column_text(q, 0));
		found = 1;
	}
	gw__release(g, g->db, q);
	return found;
}
