/*
 * gw_outreach.c -- awareness outreach: the SMS digests of a campaign's
 * packs, queued once per household after its survey conversation.
 */
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

/* Queue the digests of cp not yet queued for household h, to phone. */
static int queue_household_digests(gw_gateway *g, struct camp *cp,
                                   const struct hh *h, const char *phone,
                                   long long now)
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
		if (rc != SQLITE_DONE)
			return -1;
	}
	return 0;
}

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
 * thank-you explained.  Cost: one indexed query per waiting household per
 * pass, as gw__start_conversations.
 */
int gw__queue_digests(gw_gateway *g, long long now)
{
	int i, k, p, queued = 0;
	const int max_per_pass = 500;

	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < g->ncamps && queued < max_per_pass; i++) {
		struct camp *cp = &g->camps[i];
		int waiting = 0;
		if (cp->all_digested)
			continue;
		for (k = 0; k < cp->nmembers && queued < max_per_pass; k++) {
			struct hh *h = &g->hhs[cp->members[k]];
			const char *phone = NULL;
			int exists;
			if (cp->digested[k] || !h->active || h->nphones == 0)
				continue;
			if (cp->c.survey[0]) {
				int st = conv_status(g, cp->c.id, h->id);
				if (st == -2)
					goto fail;
				if (st == GW_CONV_OPTED_OUT) {
					cp->digested[k] = 1; /* the resident said stop */
					continue;
				}
				if (st != GW_CONV_DONE && st != GW_CONV_EXPIRED) {
					waiting++;
					continue;
				}
			}
			if (gw__household_busy(g, h->id, cp->c.id, 0, &exists)) {
				waiting++;
				continue;
			}
			for (p = 0; p < h->nphones && !phone; p++)
				if (!gw__is_opted_out(g, g->db, h->phones[p]))
					phone = h->phones[p];
			if (phone && queue_household_digests(g, cp, h, phone, now))
				goto fail;
			cp->digested[k] = 1; /* every phone opted out: nothing, ever */
			queued++;
		}
		if (k == cp->nmembers && !waiting)
			cp->all_digested = 1;
	}
	if (gw__exec(g->db, "COMMIT"))
		goto fail; /* rolled back there */
	return queued;
fail:
	gw__seterr(g, "queueing digests: %s", sqlite3_errmsg(g->db));
	gw__exec(g->db, "ROLLBACK");
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
