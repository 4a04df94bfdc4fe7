/*
 * gw_status.c -- anxin-smsd --status: per modem, queue, inbox,
 * conversations, delivery, outreach and the store's outbox, read from
 * connections gw_open_status opened read-only; and gw_restore_number,
 * staff withdrawing a number's opt-out.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/phone.h"
#include "anxin/clock.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "gw_int.h"

/* The backlog by send class (gw__kind_prio) and how long it needs: at
 * the gateway's pace on every modem, and in days at the daily cap in
 * segments (quiet hours left out: a lower bound). */
/* Pending messages by class into n, their count and (when segs is not
 * NULL) segments; -1 on a store error. */
static int backlog_count(gw_gateway *g, long long n[GW_PRIO_LAST + 1],
                         long long *total, long long *segs)
{
	sqlite3_stmt *q;
	int k;
	memset(n, 0, (GW_PRIO_LAST + 1) * sizeof *n);
	*total = 0;
	if (segs)
		*segs = 0;
	if (sqlite3_prepare_v2(g->db, segs ? "SELECT prio, text FROM queue WHERE"
	                                     " state='pending'"
	                                   : "SELECT prio, NULL FROM queue WHERE"
	                                     " state='pending'",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		k = sqlite3_column_int(q, 0);
		k = k < 0 ? 0 : k > GW_PRIO_LAST ? GW_PRIO_LAST : k;
		n[k]++;
		(*total)++;
		if (segs)
			*segs += gw__segments((const char *)sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	return 0;
}

/* Minutes to send total messages at the pace on every modem. */
static long long drain_min(gw_gateway *g, long long total)
{
	long long per = (long long)g->cfg.pace_per_min *
	                (g->cfg.nmodems > 0 ? g->cfg.nmodems : 1);
	return per > 0 ? (total + per - 1) / per : 0;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return x < y ? -1 : x > y;
}

/* The median of the first column of sql's rows (NULL rows skipped): how
 * many into *n; -1 when none. */
static long long median_of(gw_gateway *g, const char *sql, long long *n)
{
	sqlite3_stmt *q;
	long long *v = NULL, m = -1;
	long long cap = 0;
	*n = 0;
	if (sqlite3_prepare_v2(g->db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (sqlite3_column_type(q, 0) == SQLITE_NULL)
			continue;
		if (*n == cap) {
			long long *nv = realloc(v, (size_t)(cap ? cap * 2 : 256) * sizeof *v);
			if (!nv)
				break;
			v = nv;
			cap = cap ? cap * 2 : 256;
		}
		v[(*n)++] = sqlite3_column_int64(q, 0);
	}
	sqlite3_finalize(q);
	if (*n) {
		qsort(v, (size_t)*n, sizeof *v, cmp_ll);
		m = v[*n / 2];
	}
	free(v);
	return m;
}

/* The wait from a reply (the last 10,000 answered) to the next message
 * sent to its number: a median over this query's rows. */
static const char reply_wait_sql[] =
    "SELECT (SELECT MIN(q.sent_at) FROM queue q WHERE q.phone = i.phone AND"
    " q.state IN ('sent','unknown') AND q.sent_at >= i.received_at)"
    " - i.received_at FROM inbox i WHERE i.state = 'done' AND i.household"
    " IS NOT NULL ORDER BY i.id DESC LIMIT 10000";

void gw__report_queue(gw_gateway *g, long long now)
{
	long long n[GW_PRIO_LAST + 1], total, waits, wait;
	char text[64];
	int len;

	if (g->queue_at && now >= g->queue_at && now - g->queue_at < 60)
		return;
	g->queue_at = now;
	if (backlog_count(g, n, &total, NULL))
		return;
	len = snprintf(text, sizeof text, "%lld,%lld,%lld,%lld;%lld", n[0], n[1], n[2],
	               n[3], drain_min(g, total));
	/* and the median wait from a reply to the next message, with how many
	 * replies it is of, when there is any (central has no per-message
	 * times): about 10 ms for 10,000 replies, once a minute at most */
	wait = median_of(g, reply_wait_sql, &waits);
	if (waits > 0 && len > 0 && (size_t)len < sizeof text)
		snprintf(text + len, sizeof text - (size_t)len, ";%lld,%lld", wait, waits);
	if (strcmp(text, g->queue_report) == 0)
		return;
	if (ax_sync_set_queue(g->st, text) == AX_OK)
		snprintf(g->queue_report, sizeof g->queue_report, "%s", text);
}

static void backlog_print(gw_gateway *g, FILE *out)
{
	static const char *const names[GW_PRIO_LAST + 1] = {
	    "opt-out confirmations", "questions", "reminders", "intros/digests"};
	long long n[GW_PRIO_LAST + 1], total, segs;
	int modems = g->cfg.nmodems > 0 ? g->cfg.nmodems : 1, k;
	if (backlog_count(g, n, &total, &segs))
		return;
	fprintf(out, "backlog:");
	for (k = 0; k <= GW_PRIO_LAST; k++)
		fprintf(out, "%s %lld %s", k ? "," : "", n[k], names[k]);
	fprintf(out, "; %lld segments: about %lld min at %d/min on %d modem(s),"
	             " %.1f day(s) at %d a SIM a day\n",
	        segs, drain_min(g, total), g->cfg.pace_per_min, modems,
	        (double)segs / ((double)g->cfg.daily_cap * modems), g->cfg.daily_cap);
}

/* How long residents wait, from the gateway's own rows: a reply (the
 * last 10,000 answered) to the next message sent to its number, and a
 * conversation's start to its completion. */
static void waits_print(gw_gateway *g, FILE *out)
{
	long long n1, n2;
	long long m1 = median_of(g, reply_wait_sql, &n1);
	long long m2 = median_of(g,
	                         "SELECT updated_at - started_at FROM conv WHERE"
	                         " status = 'done'",
	                         &n2);
	char a[32] = "-", b[32] = "-"; /* no sample: no median (was -1 s) */
	if (n1)
		snprintf(a, sizeof a, "%lld s", m1);
	if (n2)
		snprintf(b, sizeof b, "%lld s", m2);
	fprintf(out, "waits: reply -> next message median %s (%lld replies);"
	             " start -> completion median %s (%lld completed)\n",
	        a, n1, b, n2);
}

ax_rc gw_status_print(gw_gateway *g, FILE *out)
{
	sqlite3_stmt *q;
	long long now = gw_now(g);
	int day = ax_cst_day(now), i;
	struct ax_outbox_status os;

	fprintf(out, "%-10s %-9s %6s %10s %10s  %s\n", "modem", "state", "signal",
	        "sent today", "recv today", "last error");
	for (i = 0; i < g->cfg.nmodems; i++) {
		const char *name = g->cfg.modems[i].name;
		int connected = 0, signal = -1;
		char last[256] = "";
		long long sent, recv;
		if (sqlite3_prepare_v2(g->db,
		                       "SELECT connected, signal, last_error FROM modems"
		                       " WHERE name=?",
		                       -1, &q, NULL) == SQLITE_OK) {
			sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW) {
				connected = sqlite3_column_int(q, 0);
				signal = sqlite3_column_int(q, 1);
				snprintf(last, sizeof last, "%s",
				         sqlite3_column_text(q, 2) ? (const char *)sqlite3_column_text(q, 2) : "");
			}
			sqlite3_finalize(q);
		}
		sent = gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE modem=?1 AND"
		                         " sent_day=?2 AND state IN ('sent','unknown')",
		                  name, day);
		recv = gw__count1(g->db, "SELECT COUNT(*) FROM inbox WHERE modem=?1 AND"
		                         " received_at >= ?2",
		                  name, ax_day_start(day));
		fprintf(out, "%-10s %-9s %5d%% %10lld %10lld  %s\n", name,
		        connected ? "connected" : "down", signal, sent, recv, last);
	}
	backlog_print(g, out);
	waits_print(g, out);
	fprintf(out, "queue: %lld pending, %lld blocked by opt-out, %lld unknown\n",
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE state='pending' AND ?1 IS NOT ?2", "", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE state='blocked' AND ?1 IS NOT ?2", "", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE state='unknown' AND ?1 IS NOT ?2", "", 0));
	gw__quarantine_print(g, out);
	fprintf(out, "inbox: %lld from unknown senders, %lld from shared numbers with"
	             " no open conversation, %lld late replies, %lld before"
	             " their question went out; opt-outs: %lld\n",
	        gw__count1(g->db, "SELECT COUNT(*) FROM inbox WHERE state=?1 AND ?2=0", "unknown", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM inbox WHERE state=?1 AND ?2=0", "ambiguous", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM inbox WHERE state=?1 AND ?2=0", "late", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM inbox WHERE state=?1 AND ?2=0", "early", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM optout WHERE ?1 IS NOT ?2", "", 0));
	fprintf(out, "conversations: %lld asking, %lld done, %lld expired, %lld opted out,"
	             " %lld closed with their campaign\n",
	        gw__count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "asking", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "done", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "expired", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "opted_out", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM conv WHERE status=?1 AND ?2=0", "closed", 0));
	fprintf(out, "delivery: %lld sent, %lld delivered, %lld sent but unconfirmed\n",
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE state=?1 AND ?2=0", "sent", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE state=?1 AND ?2=0 AND delivered_at IS NOT NULL", "sent", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE state=?1 AND ?2=0 AND delivered_at IS NULL", "sent", 0));
	fprintf(out, "outreach: %lld digests queued, %lld sent (%lld delivered, %lld"
	             " unconfirmed), %lld blocked by opt-out\n",
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0", "digest", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state='sent'", "digest", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state='sent' AND delivered_at IS NOT NULL", "digest", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state IN ('sent','unknown') AND delivered_at IS NULL", "digest", 0),
	        gw__count1(g->db, "SELECT COUNT(*) FROM queue WHERE kind=?1 AND ?2=0 AND state='blocked'", "digest", 0));
	if (ax_outbox_status(g->st, &os) == AX_OK)
		fprintf(out, "outbox: %ld pending, %ld sent%s%s\n", os.pending, os.sent,
		        os.last_error[0] ? "; last error: " : "", os.last_error);
	return AX_OK;
}

ax_rc gw_restore_number(gw_gateway *g, const char *number, const char *who)
{
	char phone[AX_PHONE_MAX], src[160];
	int rc;
	if (ax_phone_normalize(number, phone, NULL) != AX_OK) {
		gw__seterr(g, "\"%s\" is not a phone number", number);
		return AX_INVALID;
	}
	snprintf(src, sizeof src, "staff: %s", who && *who ? who : "?");
	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return AX_IO;
	rc = gw__restore_optout(g, phone, NULL, src, gw_now(g));
	if (rc < 0 || gw__exec(g->db, "COMMIT")) {
		gw__seterr(g, "restoring %s: %s", phone, sqlite3_errmsg(g->db));
		gw__exec(g->db, "ROLLBACK");
		return AX_IO;
	}
	return rc ? AX_OK : AX_NOTFOUND;
}
