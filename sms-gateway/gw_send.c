/*
 * gw_send.c -- the send layer.  Whatever queued a message (conversation,
 * digest, opt-out confirmation), a modem thread claims it here, and the
 * opt-out list, quiet hours, the per-SIM daily cap and the pace are
 * checked at the claim; a claimed row is sent at most once.  Also the
 * delivery reports, matched to the sends they confirm.
 */
#include <jansson.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/applog.h"
#include "anxin/clock.h"
#include "gw_int.h"

/* ---- queueing ------------------------------------------------------------ */

/*
 * Send classes: the claim takes the lowest class first, oldest first
 * within a class (index queue_prio on (state, prio, id)).  A resident who
 * just answered is waiting for the next question; a new intro or digest
 * waits for nobody, so it never holds up a live conversation, however
 * many of them a campaign queued.  An opt-out confirmation goes before
 * everything: the resident asked us to stop.
 */
static const struct {
	const char *kind;
	int prio;
} classes[] = {
    {"optout_confirm", 0},
    {"question", 1},   /* the next question or a re-ask of a live one */
    {"thanks", 1},     /* the end of a questionnaire the resident just finished */
    {"closed", 1},     /* answers a reply to a closed campaign's question */
    {"reminder", 2},
    {"intro", 3},
    {"digest", 3},
};

int gw__kind_prio(const char *kind)
{
	size_t i;
	for (i = 0; i < sizeof classes / sizeof classes[0]; i++)
		if (strcmp(kind, classes[i].kind) == 0)
			return classes[i].prio;
	return GW_PRIO_LAST;
}

int gw__queue_set_prio(sqlite3 *db)
{
	char sql[512];
	size_t i, used;
	used = (size_t)snprintf(sql, sizeof sql, "UPDATE queue SET prio=CASE kind");
	for (i = 0; i < sizeof classes / sizeof classes[0] && used < sizeof sql; i++)
		used += (size_t)snprintf(sql + used, sizeof sql - used, " WHEN '%s' THEN %d",
		                         classes[i].kind, classes[i].prio);
	if (used < sizeof sql)
		used += (size_t)snprintf(sql + used, sizeof sql - used,
		                         " ELSE %d END WHERE state='pending'", GW_PRIO_LAST);
	if (used >= sizeof sql)
		return -1;
	return gw__exec(db, sql);
}

/* Queue a message; pack (may be NULL) is copied to the row, so the
 * sms_sent and sms_delivered contacts of a digest carry it. */
int gw__enqueue_pack(gw_gateway *g, const char *phone, const char *household,
                     const struct camp *cp, const char *kind,
                     const char *text, const char *pack, long long now)
{
	return gw__enqueue_prio(g, phone, household, cp, kind, gw__kind_prio(kind),
	                        text, pack, now);
}

/*
 * The text as sent: with a signature configured, it goes first, in place
 * of any 【…】 the text starts with (content written before signatures
 * came from configuration), so every message carries the one signature.
 * The queue keeps what was sent: the ledger shows it.
 */
static const char *signed_text(const gw_gateway *g, const char *text,
                               char *buf, size_t n)
{
	static const char open[] = "【", close[] = "】";
	const char *end;
	if (!g->cfg.signature[0])
		return text;
	if (strncmp(text, open, sizeof open - 1) == 0 &&
	    (end = strstr(text, close)) && end - text <= 64)
		text = end + sizeof close - 1;
	snprintf(buf, n, "%s%s", g->cfg.signature, text);
	return buf;
}

int gw__enqueue_prio(gw_gateway *g, const char *phone, const char *household,
                     const struct camp *cp, const char *kind, int prio,
                     const char *text, const char *pack, long long now)
{
	sqlite3_stmt *q;
	char sbuf[GW_MSG_MAX + 64];
	int rc;

	text = signed_text(g, text, sbuf, sizeof sbuf);
	if (!(q = gw__prep(g, g->db, "INSERT INTO queue(phone, household, campaign, kind, text,"
	                           " created_at, quiet_start, quiet_end, pace, cap, pack, prio)"
	                           " VALUES(?,?,?,?,?,?,?,?,?,?,?,?)")))
		return -1;
	if (pack)
		sqlite3_bind_text(q, 11, pack, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, household, -1, SQLITE_STATIC);
	if (cp)
		sqlite3_bind_text(q, 3, cp->c.id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, text, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, now);
	sqlite3_bind_int(q, 7, cp ? cp->c.quiet_start : g->cfg.quiet_start);
	sqlite3_bind_int(q, 8, cp ? cp->c.quiet_end : g->cfg.quiet_end);
	sqlite3_bind_int(q, 9, cp && cp->c.pace_per_min > 0 ? cp->c.pace_per_min
	                                                    : g->cfg.pace_per_min);
	sqlite3_bind_int(q, 10, cp && cp->c.daily_cap > 0 ? cp->c.daily_cap
	                                                  : g->cfg.daily_cap);
	sqlite3_bind_int(q, 12, prio);
	rc = sqlite3_step(q);
	gw__release(g, g->db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gw__enqueue(gw_gateway *g, const char *phone, const char *household,
                const struct camp *cp, const char *kind, const char *text,
                long long now)
{
	return gw__enqueue_pack(g, phone, household, cp, kind, text, NULL, now);
}

int gw__is_opted_out(gw_gateway *g, sqlite3 *db, const char *phone)
{
	sqlite3_stmt *q;
	int r = 0;
	if (!(q = gw__prep(g, db, "SELECT 1 FROM optout WHERE phone = ?")))
		return 1; /* when in doubt, do not message */
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	r = sqlite3_step(q) == SQLITE_ROW;
	gw__release(g, db, q);
	return r;
}

int gw__add_optout(gw_gateway *g, sqlite3 *db, const char *phone,
                   const char *source, long long now)
{
	sqlite3_stmt *q;
	int rc, n;
	if (!(q = gw__prep(g, db, "INSERT OR IGNORE INTO optout(phone, at, source)"
	                           " VALUES(?,?,?)")))
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	sqlite3_bind_text(q, 3, source, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	n = sqlite3_changes(db);
	gw__release(g, db, q);
	if (rc != SQLITE_DONE)
		return -1;
	/* shared with the county's other gateways through central */
	return n ? gw__optout_event(g, phone, 0, source, now) : 0;
}

int gw__restore_optout(gw_gateway *g, const char *phone, const char *household,
                       const char *source, long long now)
{
	sqlite3_stmt *q;
	int rc, n;
	if (!(q = gw__prep(g, g->db, "DELETE FROM optout WHERE phone = ?")))
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	n = sqlite3_changes(g->db);
	gw__release(g, g->db, q);
	if (rc != SQLITE_DONE)
		return -1;
	if (n == 0)
		return 0;
	/* the number's tail only: the log is read by more people than the
	 * roster */
	AX_LOG_I("opt-out of ...%s withdrawn (%s)",
	         strlen(phone) > 4 ? phone + strlen(phone) - 4 : phone, source);
	return gw__optout_event(g, phone, 1, source, now) ||
	               gw__enqueue(g, phone, household, NULL, "optout_confirm",
	                   gw_flow_restore_text, now)
	           ? -1
	           : 1;
}

int gw__match_reports(gw_gateway *g, long long now)
{
	sqlite3_stmt *q, *m;
	int rc = 0;

	(void)now;
	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(g->db,
	                       "SELECT id, phone, ref, status, at FROM reports"
	                       " WHERE matched = 0",
	                       -1, &q, NULL) != SQLITE_OK) {
		gw__exec(g->db, "ROLLBACK");
		return -1;
	}
	if (sqlite3_prepare_v2(g->db,
	                       "SELECT id, household, pack FROM queue WHERE phone=?"
	                       " AND ref=? AND state='sent' AND delivered_at IS NULL"
	                       " ORDER BY sent_at DESC, id DESC LIMIT 1",
	                       -1, &m, NULL) != SQLITE_OK) {
		sqlite3_finalize(q);
		gw__exec(g->db, "ROLLBACK");
		return -1;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		long long rid = sqlite3_column_int64(q, 0), at = sqlite3_column_int64(q, 4);
		/* delivered by the time the report was read: a report time past
		 * now is a zone-less SMSC clock (libgammu's dummy driver writes
		 * local time as UTC), and central refuses future record times */
		if (at > now)
			at = now;
		int status = sqlite3_column_int(q, 3), matched = 2;
		char sql[160];
		sqlite3_reset(m);
		sqlite3_bind_text(m, 1, (const char *)sqlite3_column_text(q, 1), -1,
		                  SQLITE_TRANSIENT);
		sqlite3_bind_int(m, 2, sqlite3_column_int(q, 2));
		if (sqlite3_step(m) == SQLITE_ROW) {
			long long qid = sqlite3_column_int64(m, 0);
			matched = 1;
			if (status == 0) {
				char hh[64], pack[64];
				snprintf(hh, sizeof hh, "%s",
				         sqlite3_column_text(m, 1) ? (const char *)sqlite3_column_text(m, 1) : "");
				snprintf(pack, sizeof pack, "%s",
				         sqlite3_column_text(m, 2) ? (const char *)sqlite3_column_text(m, 2) : "");
				if (gw__record_contact(g, g->st, hh, "sms_delivered",
				                        pack[0] ? pack : NULL, at ? at : now))
					rc = -1;
				snprintf(sql, sizeof sql,
				         "UPDATE queue SET delivered_at=%lld WHERE id=%lld",
				         at ? at : now, qid);
				if (gw__exec(g->db, sql))
					rc = -1;
			} else if (status >= 0x40) {
				/* the network gave up (TP-Status 0x40..0x7F): the
				 * household's next number (gw_phones.c) */
				snprintf(sql, sizeof sql,
				         "UPDATE queue SET error='bounced (report %d)' WHERE"
				         " id=%lld",
				         status, qid);
				if (gw__exec(g->db, sql) || gw__note_failed(g->db, qid))
					rc = -1;
			}
		}
		snprintf(sql, sizeof sql, "UPDATE reports SET matched=%d WHERE id=%lld",
		         matched, rid);
		if (gw__exec(g->db, sql))
			rc = -1;
	}
	sqlite3_finalize(q);
	sqlite3_finalize(m);
	if (rc) {
		gw__exec(g->db, "ROLLBACK");
		return -1;
	}
	return gw__commit(g->db);
}

/* ---- claiming and sending (modem threads) -------------------------------- */

static int in_quiet(long long now, int qs, int qe)
{
	int m = ax_cst_second_of_day(now) / 60;
	if (qs == qe)
		return 0;
	return qs < qe ? (m >= qs && m < qe) : (m >= qs || m < qe);
}

struct claimed {
	long long id, claimed_at;
	int segs; /* SMS segments the text takes (gw__segments) */
	char phone[64], household[64], campaign[64], pack[64], kind[24];
	char *text;
};

int gw__segments(const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	long long units = 0, septets = 0;
	int ascii = 1;
	for (; *p; p++) {
		if (*p >= 0x80)
			ascii = 0;
		if ((*p & 0xc0) != 0x80) /* a code point starts */
			units += (*p & 0xf8) == 0xf0 ? 2 : 1; /* a surrogate pair */
		septets += *p < 0x80 && strchr("[]{}\\~^|", *p) ? 2 : 1;
	}
	/* libgammu sends GSM-7 when every character has a septet (ASCII
	 * here, a little wider in fact), else UCS-2 */
	if (ascii)
		return septets <= 160 ? 1 : (int)((septets + 152) / 153);
	return units <= 70 ? 1 : (int)((units + 66) / 67);
}

static void counts_load(struct slot *s, long long now)
{
	const char *modem = s->g->cfg.modems[s->index].name;
	sqlite3_stmt *q;

	s->day = ax_cst_day(now);
	/* in segments, as operators count: parts sent, or what the text
	 * takes when the send was not recorded (crash) */
	s->day_sent = -1;
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT parts, text FROM queue WHERE modem=?1 AND"
	                       " sent_day=?2 AND state IN ('sending','sent','unknown',"
	                       " 'quarantined')",
	                       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, modem, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, s->day);
		s->day_sent = 0;
		while (sqlite3_step(q) == SQLITE_ROW)
			s->day_sent += sqlite3_column_int(q, 0) > 0
			                   ? sqlite3_column_int(q, 0)
			                   : gw__segments((const char *)sqlite3_column_text(q, 1));
		sqlite3_finalize(q);
	}
	memset(s->win, 0, sizeof s->win);
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT claimed_at, COUNT(*) FROM queue WHERE modem=?1"
	                       " AND claimed_at > ?2 GROUP BY claimed_at",
	                       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, modem, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, now - 60);
		while (sqlite3_step(q) == SQLITE_ROW) {
			long long t = sqlite3_column_int64(q, 0);
			int k = (int)(((t % 60) + 60) % 60);
			if (s->win[k].sec != t) { /* a later second wins the bucket */
				if (s->win[k].n && s->win[k].sec > t)
					continue;
				s->win[k].sec = t;
				s->win[k].n = 0;
			}
			s->win[k].n += sqlite3_column_int(q, 1);
		}
		sqlite3_finalize(q);
	}
	s->last_now = now;
	s->counts_loaded = s->day_sent >= 0;
}

/*
 * The pace, spread over the minute: at most `pace` claims in any 60
 * seconds, and at most burst + pace * (k - 1) / 60 in any k seconds
 * (burst: the share of pace_burst_s seconds, by default 6, a tenth of the
 * minute's; at least 1).  The minute's share
 * alone let every claim of a minute go in its first second and nothing
 * for the next 59: a resident who answered then waited up to a minute for
 * the next question, seven times per questionnaire (the demo, at 120 a
 * minute, completed none in two minutes).  1 when a claim may go now.
 */
static int pace_allows(struct slot *s, long long now, int pace)
{
	long long cnt = 0, limit;
	int burst = (int)(((long long)pace * s->g->cfg.pace_burst_s + 59) / 60), k;
	if (pace <= 0)
		return 1;
	for (k = 1; k <= 60; k++) {
		long long t = now - k + 1; /* the k-th second back, now the first */
		int b = (int)(((t % 60) + 60) % 60);
		if (s->win[b].sec == t)
			cnt += s->win[b].n;
		limit = k == 60 ? pace : burst + (long long)pace * (k - 1) / 60;
		if (limit > pace)
			limit = pace;
		if (cnt >= limit)
			return 0;
	}
	return 1;
}

/* delta +1: a claim at time t of segs segments; -1: that claim given
 * back unsent. */
static void counts_add(struct slot *s, long long t, int delta, int segs)
{
	int k = (int)(((t % 60) + 60) % 60);
	if (ax_cst_day(t) == s->day)
		s->day_sent += delta * segs;
	if (s->win[k].sec != t) {
		if (delta < 0)
			return; /* that second has left the window */
		s->win[k].sec = t;
		s->win[k].n = 0;
	}
	s->win[k].n += delta;
}

/*
 * The send layer: pick the message this modem may send now, by send class
 * then oldest first (gw__kind_prio).  The
 * opt-out list, quiet hours, the per-SIM daily cap and the pace are all
 * checked here, whatever queued the message.  Returns 1 with *c filled
 * (row now "sending"), 0 if nothing may go now, -1 on error.
 */
static int claim(struct slot *s, long long now, struct claimed *c)
{
	sqlite3 *db = s->db;
	const char *modem = s->g->cfg.modems[s->index].name;
	sqlite3_stmt *q;
	int got = 0, stop = 0, nclaimed = 0;

	if (!s->counts_loaded || ax_cst_day(now) != s->day || now < s->last_now)
		counts_load(s, now);
	if (!s->counts_loaded)
		return -1;
	s->last_now = now;
	if (gw__exec(db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(
	        db,
	        "SELECT id, phone, household, campaign, pack, kind, text,"
	        " quiet_start, quiet_end, pace, cap FROM queue q"
	        " WHERE state='pending' AND not_before <= ?1 AND NOT EXISTS"
	        " (SELECT 1 FROM queue p WHERE p.phone = q.phone AND p.id < q.id"
	        "  AND p.state IN ('pending', 'sending'))"
	        " ORDER BY prio, id LIMIT 64",
	        -1, &q, NULL) != SQLITE_OK) {
		gw__exec(db, "ROLLBACK");
		return -1;
	}
	sqlite3_bind_int64(q, 1, now);
	while (!got && !stop && sqlite3_step(q) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(q, 0);
		const char *phone = (const char *)sqlite3_column_text(q, 1);
		const char *kind = (const char *)sqlite3_column_text(q, 5);
		int qs = sqlite3_column_int(q, 7), qe = sqlite3_column_int(q, 8);
		int pace = sqlite3_column_int(q, 9), cap = sqlite3_column_int(q, 10);
		char sql[256];

		if (strcmp(kind, "optout_confirm") != 0 && gw__is_opted_out(s->g, db, phone)) {
			snprintf(sql, sizeof sql,
			         "UPDATE queue SET state='blocked', error='opted out'"
			         " WHERE id=%lld", id);
			gw__exec(db, sql);
			continue;
		}
		if (in_quiet(now, qs, qe))
			continue;
		/* the cap in segments, as operators count: a long message
		 * that does not fit lets a shorter one by */
		if (cap > 0 &&
		    s->day_sent + gw__segments((const char *)sqlite3_column_text(q, 6)) > cap)
			continue;
		if (!pace_allows(s, now, pace)) {
			stop = 1; /* the modem has had its share for now */
			break;
		}
		snprintf(sql, sizeof sql,
		         "UPDATE queue SET state='sending', modem='%s', claimed_at=%lld,"
		         " sent_day=%d WHERE id=%lld AND state='pending'",
		         modem, now, ax_cst_day(now), id);
		if (gw__exec(db, sql))
			break;
		nclaimed++;
		memset(c, 0, sizeof *c);
		c->id = id;
		c->claimed_at = now;
		snprintf(c->phone, sizeof c->phone, "%s", phone);
#define TXT(i, f)                                                              \
	snprintf(c->f, sizeof c->f, "%s",                                         \
	         sqlite3_column_text(q, i) ? (const char *)sqlite3_column_text(q, i) \
	                                   : "")
		TXT(2, household);
		TXT(3, campaign);
		TXT(4, pack);
		TXT(5, kind);
#undef TXT
		c->text = strdup((const char *)sqlite3_column_text(q, 6));
		c->segs = gw__segments((const char *)sqlite3_column_text(q, 6));
		got = c->text != NULL;
	}
	sqlite3_finalize(q);
	if (gw__commit(db)) {
		free(got ? c->text : NULL);
		return -1;
	}
	while (nclaimed-- > 0)
		counts_add(s, now, +1, c->segs);
	return got;
}

/* state: NULL for a send the modem confirmed, else written on the line
 * ("unknown": interrupted, it may have gone out) */
static void sent_log_append(gw_gateway *g, const struct claimed *c,
                            const char *modem, long long now, int ref, int parts,
                            const char *state)
{
	FILE *f;
	char t[AX_TIME_ISO_LEN], masked[AX_PHONE_MAX];
	if (!g->cfg.sent_log[0])
		return;
	ax_time_iso(now, t);
	/* a plain-text ledger read by more people than the roster: the
	 * number's last four digits (ax_phone_mask) unless a test rig asks */
	ax_phone_mask(c->phone, masked);
	pthread_mutex_lock(&g->log_mu);
	f = fopen(g->cfg.sent_log, "a");
	if (f) {
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:i,s:s}", "at", t, "modem",
		                      modem, "phone",
		                      g->cfg.sent_log_full ? c->phone : masked, "kind", c->kind, "ref",
		                      ref, "parts", parts, "text", c->text);
		char *line;
		if (o && state)
			json_object_set_new(o, "state", json_string(state));
		line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		if (line)
			fprintf(f, "%s\n", line);
		free(line);
		json_decref(o);
		fclose(f);
	}
	pthread_mutex_unlock(&g->log_mu);
}

/*
 * At open: a message claimed but never recorded (the process died between
 * the claim and record_send) may have gone out, so it is never sent again
 * (state unknown), and it gets what a send gets: its sms_sent contact
 * (at the claim's time) in the same transaction, then its sent-log line,
 * marked "state":"unknown".  A crash between that commit and the line
 * loses the line (the queue row and the contact stay).  0, or -1.
 */
int gw__recover_sending(gw_gateway *g)
{
	sqlite3_stmt *q;
	struct claimed *cs = NULL;
	char (*modem)[64] = NULL;
	int n = 0, cap = 0, i, rc = 0;

	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(g->db, "SELECT id, claimed_at, phone, household, pack,"
	                              " kind, text, modem FROM queue WHERE"
	                              " state='sending'",
	                       -1, &q, NULL) != SQLITE_OK) {
		gw__exec(g->db, "ROLLBACK");
		return -1;
	}
	while (rc == 0 && sqlite3_step(q) == SQLITE_ROW) {
		struct claimed *c;
		if (n == cap) {
			int nc = cap ? cap * 2 : 8;
			struct claimed *ncs = realloc(cs, (size_t)nc * sizeof *ncs);
			char(*nm)[64] = ncs ? realloc(modem, (size_t)nc * sizeof *nm) : NULL;
			if (ncs)
				cs = ncs;
			if (!nm) {
				rc = -1;
				break;
			}
			modem = nm;
			cap = nc;
		}
		c = &cs[n];
		memset(c, 0, sizeof *c);
		c->id = sqlite3_column_int64(q, 0);
		c->claimed_at = sqlite3_column_int64(q, 1);
#define TXT(i, f)                                                              \
	snprintf(f, sizeof f, "%s",                                               \
	         sqlite3_column_text(q, i) ? (const char *)sqlite3_column_text(q, i) \
	                                   : "")
		TXT(2, c->phone);
		TXT(3, c->household);
		TXT(4, c->pack);
		TXT(5, c->kind);
		TXT(7, modem[n]);
#undef TXT
		c->text = strdup(sqlite3_column_text(q, 6) ? (const char *)sqlite3_column_text(q, 6) : "");
		n++;
		if (!c->text ||
		    gw__record_contact(g, g->st, c->household, "sms_sent",
		                       c->pack[0] ? c->pack : NULL, c->claimed_at))
			rc = -1;
	}
	sqlite3_finalize(q);
	if (rc || gw__exec(g->db, "UPDATE queue SET state='unknown', error='interrupted"
	                          " while sending' WHERE state='sending'") ||
	    gw__exec(g->db, "COMMIT")) {
		gw__exec(g->db, "ROLLBACK");
		rc = -1;
	}
	for (i = 0; i < n; i++) {
		if (!rc)
			sent_log_append(g, &cs[i], modem[i], cs[i].claimed_at, -1, 0, "unknown");
		free(cs[i].text);
	}
	free(cs);
	free(modem);
	return rc;
}

static int record_send(struct slot *s, const struct claimed *c, int ok,
                       int sent_parts, int ref, int parts, const char *err,
                       long long now)
{
	sqlite3 *db = s->db;
	sqlite3_stmt *q;
	int rc;

	if (gw__exec(db, "BEGIN IMMEDIATE"))
		return -1;
	if (ok || sent_parts > 0) {
		rc = sqlite3_prepare_v2(db,
		                        "UPDATE queue SET state=?, sent_at=?, ref=?, parts=?,"
		                        " error=? WHERE id=?",
		                        -1, &q, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(q, 1, ok ? "sent" : "unknown", -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, now);
		sqlite3_bind_int(q, 3, ref);
		sqlite3_bind_int(q, 4, parts);
		sqlite3_bind_text(q, 5, ok ? NULL : err, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, c->id);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			goto fail;
		if (gw__record_contact(s->g, s->st, c->household, "sms_sent",
		                        c->pack[0] ? c->pack : NULL, now))
			goto fail;
		if (strcmp(c->kind, "question") == 0 || strcmp(c->kind, "intro") == 0 ||
		    strcmp(c->kind, "reminder") == 0) {
			/* The reminder and expiry clocks run from when the message
			 * really went out (gw_flow_tick reads asked_at / reminded_at),
			 * not from when the flow queued it: from the last message of
			 * the step (an intro is followed by its question), and only
			 * for the state that queued it (reminded tells which). */
			int rem = strcmp(c->kind, "reminder") == 0;
			rc = sqlite3_prepare_v2(
			    db,
			    rem ? "UPDATE conv SET reminded_at=?1, due=?1 + ?2"
			          " WHERE campaign=?3 AND household=?4 AND status='asking'"
			          " AND reminded=1 AND reminded_at <= ?1 AND NOT EXISTS"
			          " (SELECT 1 FROM queue p WHERE p.phone=?5 AND p.state IN"
			          " ('pending','sending') AND p.campaign=?3 AND p.kind IN"
			          " ('intro','question','reminder'))"
			        : "UPDATE conv SET asked_at=?1, due=?1 + ?2,"
			          " asked_sent=(phone=?5) WHERE campaign=?3 AND household=?4 AND status='asking'"
			          " AND reminded=0 AND asked_at <= ?1 AND NOT EXISTS"
			          " (SELECT 1 FROM queue p WHERE p.phone=?5 AND p.state IN"
			          " ('pending','sending') AND p.campaign=?3 AND p.kind IN"
			          " ('intro','question','reminder'))",
			    -1, &q, NULL);
			if (rc != SQLITE_OK)
				goto fail;
			sqlite3_bind_int64(q, 1, now);
			sqlite3_bind_int64(q, 2, rem ? s->g->cfg.flow.expire_after
			                             : s->g->cfg.flow.remind_after);
			sqlite3_bind_text(q, 3, c->campaign, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 4, c->household, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 5, c->phone, -1, SQLITE_STATIC);
			rc = sqlite3_step(q);
			sqlite3_finalize(q);
			if (rc != SQLITE_DONE)
				goto fail;
		}
	} else {
		/* nothing went out: it may be tried again, three times at most */
		rc = sqlite3_prepare_v2(db,
		                        "UPDATE queue SET state=CASE WHEN attempts>=2 THEN"
		                        " 'failed' ELSE 'pending' END, attempts=attempts+1,"
		                        " modem=NULL, claimed_at=NULL, sent_day=NULL,"
		                        " error=? WHERE id=?",
		                        -1, &q, NULL);
		if (rc != SQLITE_OK)
			goto fail;
		sqlite3_bind_text(q, 1, err, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, c->id);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		/* failed for good: the household's next number (gw_phones.c) */
		if (rc != SQLITE_DONE || gw__note_failed(db, c->id))
			goto fail;
	}
	return gw__commit(db);
fail:
	gw__exec(db, "ROLLBACK");
	return -1;
}

/* Then send what the send layer lets go, until receive_frequency seconds
 * have passed (gammu-smsd's ReceiveFrequency): the inbox is read once per
 * cycle, not before every few sends, because on some drivers a read costs
 * more than many sends (libgammu's dummy driver opens 5 x 10000 files per
 * read). */
int gw__send_due(struct slot *s, long long *now, char *err, size_t errlen)
{
	gw_gateway *g = s->g;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int tries = 0;; tries++) {
		struct claimed c;
		int ref, parts, sent_parts, r;
		long long ms;
		if (g->stop && atomic_load(g->stop))
			break;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1000LL + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		/* at least one send per cycle: receive_frequency = 0 reads the
		 * inbox between every two sends, as in gammu-smsd */
		if (tries > 0 && ms >= g->cfg.receive_frequency_ms)
			break;
		*now = gw_now(g);
		if (gw__store_lost(g))
			break; /* a send its store would not keep */
		r = claim(s, *now, &c);
		if (r <= 0)
			break;
		r = gw_mproc_send(s->m, c.phone, c.text, &ref, &parts, &sent_parts, err,
		                  errlen);
		gw__crash_point("after_send");
		if (r == GW_MPROC_LOST) {
			/* its process died or hung on this message: set aside for
			 * staff, never tried again by itself (the cap keeps it
			 * counted: parts of it may have gone out) */
			AX_LOG_E("%s: queue message %lld quarantined: %s",
			         g->cfg.modems[s->index].name, c.id, err);
			if (gw__quarantine_send(s, c.id, err, *now))
				AX_LOG_E("%s: quarantine: %s", g->cfg.modems[s->index].name,
				         sqlite3_errmsg(s->db));
			free(c.text);
			return -1;
		}
		if (record_send(s, &c, r == 0, sent_parts, ref, parts, err, *now) == 0) {
			if (r == 0)
				sent_log_append(g, &c, g->cfg.modems[s->index].name, *now, ref,
				                parts, NULL);
			else if (sent_parts == 0) /* given back to the queue */
				counts_add(s, c.claimed_at, -1, c.segs);
		}
		free(c.text);
		if (r)
			return -1;
	}
	return 0;
}
