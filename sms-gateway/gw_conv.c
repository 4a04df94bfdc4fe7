/*
 * gw_conv.c -- conversations in the store (table conv): the flow's state read and
 * written as rows of `conv`, conversations started for the households of
 * active campaigns, reminders and expiry (the flow's tick), and what one
 * flow step produced written in the caller's transaction.
 */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "gw_int.h"

/* A conversation's draw and option order: libsodium's randombytes (the
 * kernel's CSPRNG). */
static unsigned long long conv_seed(void)
{
	unsigned long long seed;
	randombytes_buf(&seed, sizeof seed);
	return seed;
}

/* Lower-case hex of v, no leading zeros ("0" for 0): n chars written. */
static size_t hex_u64(unsigned long long v, char *out)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0, i;
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* The answers as "h,h,...", each in hex (what answers_parse reads), and
 * the skipped flags as '0'/'1'.  By hand: snprintf("%llx") per answer was
 * about a fifth of writing a conversation (perf). */
static void answers_text(const struct gw_conv *c, char *a, size_t an, char *s,
                         size_t sn)
{
	size_t used = 0;
	int i;
	for (i = 0; i < GW_FLOW_MAX_Q && used + 20 < an; i++) {
		if (i)
			a[used++] = ',';
		used += hex_u64(c->answers[i], a + used);
	}
	a[used] = '\0';
	for (i = 0; i < GW_FLOW_MAX_Q && i + 1 < (int)sn; i++)
		s[i] = c->skipped[i] ? '1' : '0';
	s[i] = '\0';
}

static void answers_parse(struct gw_conv *c, const char *a, const char *s)
{
	int i = 0;
	while (a && *a && i < GW_FLOW_MAX_Q) {
		char *end;
		c->answers[i++] = strtoull(a, &end, 16);
		a = *end == ',' ? end + 1 : end;
		if (end == a && *a != '\0')
			break;
	}
	for (i = 0; s && s[i] && i < GW_FLOW_MAX_Q; i++)
		c->skipped[i] = s[i] == '1';
}

void gw__shown_text(const struct gw_conv *c, char *t, size_t n)
{
	size_t used;
	t[0] = '\0';
	if (!c->undrawn && !c->ordered)
		return;
	t[0] = 'u';
	used = 1 + hex_u64(c->undrawn, t + 1);
	t[used] = '\0';
	for (int i = 0; i < GW_FLOW_MAX_Q; i++) {
		int w;
		if (!(c->ordered >> i & 1))
			continue;
		w = snprintf(t + used, n - used, ";%d:", i);
		if (w < 0 || (size_t)w + GW_FLOW_MAX_ORDER + 1 >= n - used)
			break;
		used += (size_t)w;
		for (int k = 0; k < GW_FLOW_MAX_ORDER; k++)
			t[used++] = "0123456789abcdef"[c->order[i][k] & 15];
		t[used] = '\0';
	}
}

void gw__shown_parse(struct gw_conv *c, const char *t)
{
	char *end;
	if (!t || t[0] != 'u')
		return;
	c->undrawn = strtoull(t + 1, &end, 16);
	while (*end == ';') {
		long i = strtol(end + 1, &end, 10);
		if (*end != ':' || i < 0 || i >= GW_FLOW_MAX_Q)
			return;
		end++;
		for (int k = 0; k < GW_FLOW_MAX_ORDER && end[k] && end[k] != ';'; k++)
			c->order[i][k] = (unsigned char)(end[k] <= '9' ? end[k] - '0'
			                                               : end[k] - 'a' + 10);
		c->ordered |= 1ULL << i;
		end += strcspn(end, ";");
	}
}

/* Column i's text into buf of n bytes, cut to fit ("" for NULL).  By
 * hand, and through sqlite3_column_blob: snprintf per column, and
 * sqlite3_column_text's NUL terminator (a text read from a row has none:
 * each call allocated and copied it), were a third of reading a
 * conversation (perf). */
static void col_text(sqlite3_stmt *q, int i, char *buf, size_t n)
{
	const void *t = sqlite3_column_blob(q, i);
	size_t len = t ? (size_t)sqlite3_column_bytes(q, i) : 0;
	if (len >= n)
		len = n - 1;
	if (len)
		memcpy(buf, t, len);
	buf[len] = '\0';
}

void gw__read_conv(sqlite3_stmt *q, struct convrow *r)
{
	char status[16], answers[GW_FLOW_MAX_Q * 20], skipped[GW_FLOW_MAX_Q + 1];
	char shown[GW_FLOW_MAX_Q * (GW_FLOW_MAX_ORDER + 6) + 24];
	memset(r, 0, sizeof *r);
#define COL(i, f) col_text(q, i, r->f, sizeof r->f)
	COL(0, campaign);
	COL(1, household);
	COL(2, phone);
	COL(3, region);
	COL(4, wave);
	COL(5, response_id);
#undef COL
	col_text(q, 6, status, sizeof status);
	r->c.status = gw_conv_status_parse(status);
	if ((int)r->c.status < 0)
		r->c.status = GW_CONV_EXPIRED;
	r->c.qidx = sqlite3_column_int(q, 7);
	r->c.attempts = sqlite3_column_int(q, 8);
	r->c.reminded = sqlite3_column_int(q, 9);
	r->c.started_at = sqlite3_column_int64(q, 10);
	r->c.asked_at = sqlite3_column_int64(q, 11);
	r->c.reminded_at = sqlite3_column_int64(q, 12);
	r->c.updated_at = sqlite3_column_int64(q, 13);
	col_text(q, 14, answers, sizeof answers);
	col_text(q, 15, skipped, sizeof skipped);
	answers_parse(&r->c, answers, skipped);
	col_text(q, 16, shown, sizeof shown);
	gw__shown_parse(&r->c, shown);
	r->asked_sent = sqlite3_column_int(q, 17);
	r->due = sqlite3_column_int64(q, 18);
	r->status_read = r->c.status;
}

/* queued: the step queued messages, so its question has not gone out
 * (asked_sent 0 until gw_send.c records the send) */
static int write_conv(gw_gateway *g, const struct convrow *r, int insert,
                      const struct camp *cp, int queued)
{
	char a[GW_FLOW_MAX_Q * 20], s[GW_FLOW_MAX_Q + 1];
	char shown[GW_FLOW_MAX_Q * (GW_FLOW_MAX_ORDER + 6) + 24];
	sqlite3_stmt *q;
	long long due = gw_flow_next_due(&r->c, &g->cfg.flow);
	int rc, keep_due;

	answers_text(&r->c, a, sizeof a, s, sizeof s);
	if (insert)
		gw__shown_text(&r->c, shown, sizeof shown);
	/* A reply that leaves the conversation asking moves its timer later
	 * (asked again now), and gw_send.c sets the exact due when that
	 * question goes out: the row keeps its due, a lower bound.  Writing
	 * status and due moved the row's conv_due entry on every reply, a
	 * delete and an insert in that index (perf: about a quarter of the
	 * update).  The tick that finds a row early writes its exact due
	 * (it reads due 0: gw__tick_conversations).  A due that gets earlier
	 * (asked again after a reminder: from reminded_at + expire_after to
	 * now + remind_after) or a status change is written. */
	keep_due = !insert && r->c.status == r->status_read && r->due > 0 &&
	           due >= r->due;
	q = gw__prep(
	        g, g->db,
	        insert ? "INSERT INTO conv(campaign, household, phone, region, wave, "
	                 "response_id, status, qidx, attempts, reminded, started_at, "
	                 "asked_at, reminded_at, updated_at, answers, skipped, due, "
	                 "survey, survey_version, shown) VALUES(?1,?2,?3,?4,?5,?6,?7,"
	                 "?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"
	               /* by the primary key, which is the table itself:
	                * conv is WITHOUT ROWID (gw_store.c) */
	               : keep_due
	               ? "UPDATE conv SET qidx=?8, attempts=?9, reminded=?10,"
	                 " asked_at=?12, reminded_at=?13, updated_at=?14, answers=?15,"
	                 " skipped=?16, asked_sent=asked_sent AND NOT ?21"
	                 " WHERE household=?2 AND campaign=?1"
	               : "UPDATE conv SET status=?7, qidx=?8, attempts=?9, reminded=?10,"
	                 " asked_at=?12, reminded_at=?13, updated_at=?14, answers=?15,"
	                 " skipped=?16, due=?17, asked_sent=asked_sent AND NOT ?21"
	                 " WHERE household=?2 AND campaign=?1");
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, r->campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, r->household, -1, SQLITE_STATIC);
	if (insert) {
		sqlite3_bind_text(q, 3, r->phone, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, r->region, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, r->wave, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, r->response_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 11, r->c.started_at);
		sqlite3_bind_text(q, 18, cp->c.survey, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 19, cp->c.survey_version);
		/* drawn at the start, never changed: written once */
		if (shown[0])
			sqlite3_bind_text(q, 20, shown, -1, SQLITE_TRANSIENT);
	}
	if (!keep_due)
		sqlite3_bind_text(q, 7, gw_conv_status_name(r->c.status), -1,
		                  SQLITE_STATIC);
	sqlite3_bind_int(q, 8, r->c.qidx);
	sqlite3_bind_int(q, 9, r->c.attempts);
	sqlite3_bind_int(q, 10, r->c.reminded);
	sqlite3_bind_int64(q, 12, r->c.asked_at);
	sqlite3_bind_int64(q, 13, r->c.reminded_at);
	sqlite3_bind_int64(q, 14, r->c.updated_at);
	sqlite3_bind_text(q, 15, a, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(q, 16, s, -1, SQLITE_TRANSIENT);
	if (!keep_due)
		sqlite3_bind_int64(q, 17, due);
	if (!insert)
		sqlite3_bind_int(q, 21, queued);
	rc = sqlite3_step(q);
	gw__release(g, g->db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Everything one flow step produced, written in the caller's transaction. */
int gw__apply_out(gw_gateway *g, struct convrow *r, const struct camp *cp,
                  const struct gw_flow_out *o, long long now, int insert)
{
	int i;
	if (write_conv(g, r, insert, cp, o->nmsgs > 0))
		return -1;
	if (o->optout && gw__add_optout(g, g->db, r->phone, "reply", now))
		return -1;
	for (i = 0; i < o->nmsgs; i++) {
		const char *kind = o->optout          ? "optout_confirm"
		                   : insert && i == 0 ? "intro"
		                   : o->reminder      ? "reminder"
		                   : o->thanks        ? "thanks"
		                                      : "question";
		/* a new conversation's first question goes in the intros' class:
		 * queued with its intro, it would otherwise be older than every
		 * reply's next question queued while the intro waited */
		if (gw__enqueue_prio(g, r->phone, r->household, cp, kind,
		                     gw__kind_prio(insert ? "intro" : kind), o->msgs[i],
		                     NULL, now))
			return -1;
	}
	if (o->replied &&
	    gw__record_contact(g, g->st, r->household, "sms_replied", NULL, now))
		return -1;
	if (o->response && cp->fs) {
		char *body = gw_flow_response_json(cp->fs, &r->c, r->response_id,
		                                   g->cfg.device, r->household, r->region,
		                                   r->wave, o->response_status, now);
		int rc = gw__record(g, g->st, r->response_id, body);
		free(body);
		if (rc)
			return -1;
	}
	return 0;
}

/* ---- scheduling pass ----------------------------------------------------- */

/* A household whose conversation just ended (a quiz's thanks and
 * explanations, say) is not sent the next campaign's intro in the same
 * minutes: its next conversation waits cfg.campaign_gap, and a late reply
 * to the one that ended is not taken for the new one's answer. */
int gw__household_busy(gw_gateway *g, const char *hh, const char *campaign,
                       long long now, int *exists)
{
	sqlite3_stmt *q;
	int busy = 0;
	*exists = 0;
	if (!(q = gw__prep(g, g->db, "SELECT campaign, status, updated_at FROM conv"
	                             " WHERE household = ?")))
		return 1;
	sqlite3_bind_text(q, 1, hh, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		int same = strcmp((const char *)sqlite3_column_text(q, 0), campaign) == 0;
		if (same)
			*exists = 1;
		if (strcmp((const char *)sqlite3_column_text(q, 1), "asking") == 0)
			busy = 1;
		else if (!same && now > 0 &&
		         sqlite3_column_int64(q, 2) + g->cfg.campaign_gap > now)
			busy = 1;
	}
	gw__release(g, g->db, q);
	return busy;
}

int gw__phone_busy(gw_gateway *g, const char *phone, long long now)
{
	sqlite3_stmt *q;
	int busy;
	if (!(q = gw__prep(g, g->db, "SELECT 1 FROM conv WHERE phone=?1 AND"
	                             " (status='asking' OR updated_at + ?2 > ?3)"
	                             " LIMIT 1")))
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, g->cfg.campaign_gap);
	sqlite3_bind_int64(q, 3, now);
	busy = sqlite3_step(q) == SQLITE_ROW;
	gw__release(g, g->db, q);
	return busy;
}

/* ---- starting conversations -------------------------------------------- */

/* How far ahead of the modems conversations are started and digests
 * queued: the unsent intros and digests of a campaign are at most this
 * many seconds of its pace on every modem.  Queued all at once, a
 * township's intros took days to go out, the reminder clocks ran
 * meanwhile, and every later message of the campaign had that backlog to
 * share the modems with. */
#define START_AHEAD_S 180

/* splitmix64: a small reproducible generator for the start order */
static unsigned long long mix64(unsigned long long *x)
{
	unsigned long long z = (*x += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int gw__start_order(struct camp *cp)
{
	unsigned long long seed = 0xcbf29ce484222325ULL;
	const unsigned char *p;
	int i;
	if (cp->order)
		return 0;
	if (!(cp->order = malloc((size_t)(cp->nmembers ? cp->nmembers : 1) * sizeof *cp->order)))
		return -1;
	for (p = (const unsigned char *)cp->c.id; *p; p++)
		seed = (seed ^ *p) * 0x100000001b3ULL;
	for (i = 0; i < cp->nmembers; i++)
		cp->order[i] = i;
	for (i = cp->nmembers - 1; i > 0; i--) {
		int j = (int)(mix64(&seed) % (unsigned long long)(i + 1)), t = cp->order[i];
		cp->order[i] = cp->order[j];
		cp->order[j] = t;
	}
	cp->start_from = 0;
	return 0;
}

int gw__new_budget(gw_gateway *g, const struct camp *cp)
{
	int pace = cp->c.pace_per_min > 0 ? cp->c.pace_per_min : g->cfg.pace_per_min;
	int modems = g->cfg.nmodems > 0 ? g->cfg.nmodems : 1;
	long long ahead, unsent;
	sqlite3_stmt *q;
	if (pace <= 0)
		return INT_MAX;
	ahead = (long long)pace * modems * START_AHEAD_S / 60;
	if (ahead < 1)
		ahead = 1;
	if (!(q = gw__prep(g, g->db, "SELECT COUNT(*) FROM queue INDEXED BY queue_new"
	                             " WHERE campaign=? AND kind IN ('intro','digest')"
	                             " AND state IN ('pending','sending')")))
		return -1;
	sqlite3_bind_text(q, 1, cp->c.id, -1, SQLITE_STATIC);
	unsent = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	gw__release(g, g->db, q);
	if (unsent < 0)
		return -1;
	return unsent >= ahead ? 0 : (int)(ahead - unsent);
}

/* Start conversations for households of active campaigns, in each
 * campaign's start order and no faster than its modems send the intros
 * (gw__new_budget); a few hundred per pass at most, one transaction. */
int gw__start_conversations(gw_gateway *g, long long now)
{
	int i, pos, started = 0;
	const int max_per_pass = 500;

	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < g->ncamps && started < max_per_pass; i++) {
		struct camp *cp = &g->camps[i];
		int waiting = 0, budget;
		if (!cp->fs || cp->all_started)
			continue;
		if (gw__start_order(cp) || (budget = gw__new_budget(g, cp)) < 0) {
			gw__seterr(g, "starting conversations: %s", sqlite3_errmsg(g->db));
			gw__exec(g->db, "ROLLBACK");
			return -1;
		}
		while (cp->start_from < cp->nmembers && cp->started[cp->order[cp->start_from]])
			cp->start_from++;
		for (pos = cp->start_from; pos < cp->nmembers && started < max_per_pass &&
		                           budget > 0;
		     pos++) {
			int k = cp->order[pos];
			struct hh *h = &g->hhs[cp->members[k]];
			struct convrow r;
			struct gw_flow_out o;
			int exists, p;
			const char *phone = NULL;
			if (cp->started[k] || !h->active || h->nphones == 0)
				continue;
			if (gw__household_busy(g, h->id, cp->c.id, now, &exists) || exists) {
				/* busy: asked by another campaign; try again later */
				cp->started[k] = (unsigned char)exists;
				waiting += !exists;
				continue;
			}
			/* its first number that has not opted out; if that number is
			 * in a conversation of another household (a shared phone),
			 * later: one phone, one conversation at a time */
			for (p = 0; p < h->nphones && !phone; p++)
				if (!gw__is_opted_out(g, g->db, h->phones[p]))
					phone = h->phones[p];
			if (!phone)
				continue;
			if (gw__phone_busy(g, phone, now)) {
				waiting++;
				continue;
			}
			memset(&r, 0, sizeof r);
			snprintf(r.campaign, sizeof r.campaign, "%s", cp->c.id);
			snprintf(r.household, sizeof r.household, "%s", h->id);
			snprintf(r.phone, sizeof r.phone, "%s", phone);
			snprintf(r.region, sizeof r.region, "%s", h->grid);
			snprintf(r.wave, sizeof r.wave, "%s", cp->c.wave);
			gw__new_uuid(r.response_id);
			gw_flow_start_seeded(cp->fs, &r.c, conv_seed(), now, &o);
			if (gw__apply_out(g, &r, cp, &o, now, 1)) {
				gw__seterr(g, "starting a conversation: %s", sqlite3_errmsg(g->db));
				gw__exec(g->db, "ROLLBACK");
				/* the flags may now be wrong: rebuild them from SQLite */
				g->reload = 1;
				return -1;
			}
			cp->started[k] = 1;
			started++;
			budget--;
		}
		if (pos == cp->nmembers && !waiting)
			cp->all_started = 1;
	}
	if (gw__commit(g->db)) {
		g->reload = 1; /* the started flags name rows rolled back */
		return -1;
	}
	return started;
}

/* ---- campaigns over ------------------------------------------------------ */

/*
 * Close the asking conversations of every campaign not loaded now: its
 * window is over, or it was closed (the loaded campaigns are exactly the
 * live ones, gw__load).  Left asking, they were never reminded, expired
 * nor recorded, and kept their households busy for every later campaign
 * (gw__household_busy).  The survey comes from the conversation's own
 * row (survey, survey_version) in the loaded content, as the campaign is
 * gone.  Called after each load; cost: one pass over the asking rows
 * (conv_due's prefix), at most every five minutes.
 */
int gw__close_conversations(gw_gateway *g, long long now)
{
	sqlite3_stmt *q;
	struct convrow *rows = NULL;
	char (*survey)[64] = NULL;
	int *version = NULL;
	int n = 0, cap = 0, i, rc = 0;

	if (sqlite3_prepare_v2(g->db,
	                       "SELECT " CONV_COLS ", survey, survey_version FROM conv"
	                       " WHERE status='asking'",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		const char *camp = (const char *)sqlite3_column_text(q, 0);
		const char *sv = (const char *)sqlite3_column_text(q, CONV_NCOLS);
		if (!camp || gw__find_camp(g, camp))
			continue;
		if (n == cap) {
			int nc = cap ? cap * 2 : 64;
			struct convrow *nr = realloc(rows, (size_t)nc * sizeof *nr);
			char(*ns)[64];
			int *nv;
			if (nr)
				rows = nr;
			ns = nr ? realloc(survey, (size_t)nc * sizeof *ns) : NULL;
			if (ns)
				survey = ns;
			nv = ns ? realloc(version, (size_t)nc * sizeof *nv) : NULL;
			if (!nv) {
				rc = -1;
				break;
			}
			version = nv;
			cap = nc;
		}
		gw__read_conv(q, &rows[n]);
		snprintf(survey[n], sizeof survey[n], "%s", sv ? sv : "");
		version[n] = sqlite3_column_int(q, CONV_NCOLS + 1);
		n++;
	}
	sqlite3_finalize(q);
	if (rc || !n)
		goto done;
	if (gw__exec(g->db, "BEGIN IMMEDIATE")) {
		rc = -1;
		goto done;
	}
	for (i = 0; i < n; i++) {
		const struct ax_survey *sv =
		    ax_content_find_survey(g->content, survey[i], version[i]);
		struct camp gone;
		struct gw_flow_out o;
		memset(&gone, 0, sizeof gone);
		ax_campaign_defaults(&gone.c);
		snprintf(gone.c.id, sizeof gone.c.id, "%s", rows[i].campaign);
		/* a survey no longer installed: closed all the same, with no
		 * record (its answers cannot be named without it) */
		if (!sv || gw_fsurvey_new(sv, &gone.fs) != AX_OK)
			gone.fs = NULL;
		if (gone.fs) {
			gw_flow_close(gone.fs, &rows[i].c, now, &o);
		} else {
			memset(&o, 0, sizeof o);
			rows[i].c.status = GW_CONV_CLOSED;
			rows[i].c.updated_at = now;
		}
		rc = gw__apply_out(g, &rows[i], &gone, &o, now, 0);
		gw_fsurvey_free(gone.fs);
		/* its questions not sent yet never go */
		if (!rc) {
			sqlite3_stmt *u = gw__prep(
			    g, g->db,
			    "UPDATE queue SET state='cancelled', error='campaign closed'"
			    " WHERE campaign=?1 AND household=?2 AND state='pending'"
			    " AND kind IN ('intro', 'question', 'reminder')");
			rc = !u;
			if (u) {
				sqlite3_bind_text(u, 1, rows[i].campaign, -1, SQLITE_STATIC);
				sqlite3_bind_text(u, 2, rows[i].household, -1, SQLITE_STATIC);
				rc = sqlite3_step(u) != SQLITE_DONE;
				gw__release(g, g->db, u);
			}
		}
		if (rc) {
			gw__seterr(g, "closing conversations: %s", sqlite3_errmsg(g->db));
			gw__exec(g->db, "ROLLBACK");
			goto done;
		}
	}
	rc = gw__commit(g->db);
done:
	free(rows);
	free(survey);
	free(version);
	return rc ? -1 : n;
}

int gw__tick_conversations(gw_gateway *g, long long now)
{
	sqlite3_stmt *q;
	struct convrow *rows = NULL;
	int n = 0, cap = 0, i;

	/* read in the transaction that writes: a modem thread moves asked_at
	 * when it sends (record_send), and a row read before that commit
	 * would be written back with the queued time */
	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	/* Never due while its message waits in the queue: the reminder and
	 * expiry count from when it went out (record_send sets asked_at and
	 * due then).  Such rows are passed over by an index probe each step
	 * (queue_phone); a message that is never sent (failed, blocked) lets
	 * its conversation be reminded again. */
	if (sqlite3_prepare_v2(g->db,
	                       "SELECT " CONV_COLS " FROM conv WHERE status='asking'"
	                       " AND due > 0 AND due <= ? AND NOT EXISTS"
	                       " (SELECT 1 FROM queue p WHERE p.phone=conv.phone AND"
	                       " p.state IN ('pending','sending') AND"
	                       " p.campaign=conv.campaign AND p.kind IN"
	                       " ('intro','question','reminder')) LIMIT 1000",
	                       -1, &q, NULL) != SQLITE_OK) {
		gw__exec(g->db, "ROLLBACK");
		return -1;
	}
	sqlite3_bind_int64(q, 1, now);
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (n == cap) {
			struct convrow *nr;
			cap = cap ? cap * 2 : 64;
			nr = realloc(rows, (size_t)cap * sizeof *nr);
			if (!nr)
				break;
			rows = nr;
		}
		gw__read_conv(q, &rows[n]);
		/* found by a due that may be a lower bound (write_conv): the
		 * row gets its exact due, or the next pass finds it again */
		rows[n++].due = 0;
	}
	sqlite3_finalize(q);
	for (i = 0; i < n; i++) {
		struct camp *cp = gw__find_camp(g, rows[i].campaign);
		struct gw_flow_out o;
		int moved;
		if (!cp || !cp->fs)
			continue;
		/* a first number that never answered: the next one, not expiry */
		moved = gw__phone_unanswered(g, &rows[i], &g->cfg.flow, now);
		if (!moved)
			gw_flow_tick(cp->fs, &rows[i].c, now, &g->cfg.flow, &o);
		if (moved < 0 || (!moved && gw__apply_out(g, &rows[i], cp, &o, now, 0))) {
			gw__seterr(g, "tick: %s", sqlite3_errmsg(g->db));
			gw__exec(g->db, "ROLLBACK");
			free(rows);
			return -1;
		}
	}
	free(rows);
	return gw__commit(g->db);
}
