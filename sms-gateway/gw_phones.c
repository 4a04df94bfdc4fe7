/*
 * gw_phones.c -- a household's next number when its first fails.  A
 * conversation starts on the household's first listed number that has
 * not opted out (gw__start_conversations).  When a message of it to that
 * number fails for good (three attempts) or its delivery report says the
 * network gave up (TP-Status 0x40 and above: permanent errors, or
 * temporary ones the SMSC stopped retrying), and nobody of the household
 * has replied since the start, the conversation moves to the next listed
 * number not opted out: its unsent messages with it, the failed or
 * bounced ones queued again for the new number.  A household with no
 * next number is left as it is (it expires as before).
 *
 * A number that simply never answers moves the same way: when its
 * conversation would expire (the reminder went out expire_after ago, the
 * whole reminder schedule spent) and nobody of the household has replied,
 * the next listed number is asked from the start, with its own reminder
 * schedule (gw__phone_unanswered, from the tick).  Only when the last
 * number has had its turn does the conversation expire.
 *
 * phone_failed holds what the send layer and the report matcher noted;
 * gw__phone_fallback empties it each step, so the step costs nothing
 * while nothing fails.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "anxin/applog.h"
#include "gw_int.h"

int gw__note_failed(sqlite3 *db, long long queue_id)
{
	sqlite3_stmt *q;
	int rc;
	if (sqlite3_prepare_v2(db,
	                       "INSERT OR IGNORE INTO phone_failed(household, campaign,"
	                       " phone) SELECT household, campaign, phone FROM queue"
	                       " WHERE id = ? AND household IS NOT NULL AND campaign"
	                       " IS NOT NULL AND (state = 'failed' OR error LIKE"
	                       " 'bounced%')",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, queue_id);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The number after `phone` in the household's list that has not opted
 * out, into next; 0 found. */
static int next_phone(gw_gateway *g, const char *hh, const char *phone,
                      long long now, char next[AX_PHONE_MAX])
{
	int ix = gw__find_hh(g, hh), p, after = 0;
	if (ix < 0)
		return -1;
	for (p = 0; p < g->hhs[ix].nphones; p++) {
		const char *n = g->hhs[ix].phones[p];
		if (after && !gw__is_opted_out(g, g->db, n) &&
		    !gw__phone_busy(g, n, now)) {
			snprintf(next, AX_PHONE_MAX, "%s", n);
			return 0;
		}
		after |= strcmp(n, phone) == 0;
	}
	return -1;
}

/* ?6: the number never answered (its messages are sent again delivered
 * or not, and the new number gets the whole reminder schedule) */
#define MOVED                                                                  \
	"household = ?2 AND campaign = ?3 AND phone = ?5 AND kind IN ('intro',"  \
	" 'question') AND (delivered_at IS NULL OR ?6) AND state IN ('sent',"    \
	" 'unknown', 'failed') AND (error IS NULL OR error NOT LIKE"              \
	" '%moved to the next%')"
static const char *const move_sql[] = {
	/* the intro and question that went out (or failed) undelivered, again
	 * for the new number: nobody has replied, so nothing else was sent */
	"INSERT INTO queue(phone, household, campaign, pack, kind, text,"
	" created_at, quiet_start, quiet_end, pace, cap, prio) SELECT ?1,"
	" household, campaign, pack, kind, text, ?4, quiet_start, quiet_end,"
	" pace, cap, prio FROM queue WHERE " MOVED " ORDER BY id",
	"UPDATE queue SET error = COALESCE(error || ' ', '') || 'moved to the"
	" next number' WHERE " MOVED " AND ?1 IS NOT NULL AND ?4 IS NOT NULL",
	/* what has not gone out yet goes to the new number */
	"UPDATE queue SET phone = ?1 WHERE household = ?2 AND campaign = ?3 AND"
	" phone = ?5 AND state = 'pending' AND ?4 IS NOT NULL",
	"UPDATE conv SET phone = ?1, updated_at = ?4, asked_sent = 0,"
	" reminded = CASE WHEN ?6 THEN 0 ELSE reminded END, reminded_at ="
	" CASE WHEN ?6 THEN NULL ELSE reminded_at END, due = CASE WHEN ?6 THEN 0"
	" ELSE due END WHERE household = ?2 AND campaign = ?3 AND phone = ?5",
};

static int move(gw_gateway *g, const char *hh, const char *camp,
                const char *from, const char *to, long long now, int silent)
{
	for (size_t i = 0; i < sizeof move_sql / sizeof move_sql[0]; i++) {
		sqlite3_stmt *q;
		int rc;
		if (sqlite3_prepare_v2(g->db, move_sql[i], -1, &q, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(q, 1, to, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, hh, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, camp, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, now);
		sqlite3_bind_text(q, 5, from, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 6, silent);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return -1;
	}
	AX_LOG_I("household %s: ...%s %s, asking ...%s", hh,
	         strlen(from) > 4 ? from + strlen(from) - 4 : from,
	         silent ? "never answered" : "failed",
	         strlen(to) > 4 ? to + strlen(to) - 4 : to);
	return 0;
}

int gw__phone_fallback(gw_gateway *g, long long now)
{
	sqlite3_stmt *q;
	int rc = 0, none;

	/* nothing failed (the usual step): no transaction, no write */
	if (!(q = gw__prep(g, g->db, "SELECT 1 FROM phone_failed LIMIT 1")))
		return -1;
	none = sqlite3_step(q) != SQLITE_ROW;
	gw__release(g, g->db, q);
	if (none)
		return 0;
	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(
	        g->db,
	        "SELECT f.household, f.campaign, f.phone FROM phone_failed f JOIN"
	        " conv c ON c.household = f.household AND c.campaign = f.campaign"
	        " AND c.phone = f.phone AND c.status = 'asking' WHERE NOT EXISTS"
	        " (SELECT 1 FROM inbox i WHERE i.household = c.household AND"
	        " i.received_at >= c.started_at)",
	        -1, &q, NULL) != SQLITE_OK) {
		gw__exec(g->db, "ROLLBACK");
		return -1;
	}
	while (!rc && sqlite3_step(q) == SQLITE_ROW) {
		char hh[64], camp[64], from[AX_PHONE_MAX], to[AX_PHONE_MAX];
		snprintf(hh, sizeof hh, "%s", (const char *)sqlite3_column_text(q, 0));
		snprintf(camp, sizeof camp, "%s", (const char *)sqlite3_column_text(q, 1));
		snprintf(from, sizeof from, "%s", (const char *)sqlite3_column_text(q, 2));
		if (next_phone(g, hh, from, now, to) == 0)
			rc = move(g, hh, camp, from, to, now, 0);
	}
	sqlite3_finalize(q);
	if (!rc && gw__exec(g->db, "DELETE FROM phone_failed"))
		rc = -1;
	if (rc) {
		gw__exec(g->db, "ROLLBACK");
		return -1;
	}
	return gw__commit(g->db);
}

int gw__phone_unanswered(gw_gateway *g, const struct convrow *r,
                         const struct gw_flow_opts *opts, long long now)
{
	sqlite3_stmt *q;
	char to[AX_PHONE_MAX];
	int replied;
	if (r->c.status != GW_CONV_ASKING || !r->c.reminded ||
	    now - r->c.reminded_at < opts->expire_after)
		return 0; /* not about to expire */
	if (!(q = gw__prep(g, g->db, "SELECT 1 FROM inbox WHERE household = ?1 AND"
	                             " received_at >= ?2 LIMIT 1")))
		return -1;
	sqlite3_bind_text(q, 1, r->household, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, r->c.started_at);
	replied = sqlite3_step(q) == SQLITE_ROW;
	gw__release(g, g->db, q);
	if (replied || next_phone(g, r->household, r->phone, now, to))
		return 0;
	return move(g, r->household, r->campaign, r->phone, to, now, 1) ? -1 : 1;
}
