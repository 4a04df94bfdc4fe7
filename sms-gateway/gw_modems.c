/*
 * gw_modems.c -- one cycle of a modem thread: (re)connect with backoff,
 * read the inbox once, send what the send layer lets go, and keep the
 * modem's status row for --status.  Runs in modem i's thread, on its own
 * handle on the store file (s->st, s->db).
 */
#include <sqlite3.h>
#include <stdio.h>

#include "anxin/applog.h"
#include "gw_int.h"

static void modem_status(struct slot *s, long long now)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT OR REPLACE INTO modems(name, connected, signal,"
	                       " last_error, updated_at) VALUES(?,?,?,?,?)",
	                       -1, &q, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(q, 1, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 2, gw_mproc_connected(s->m));
	sqlite3_bind_int(q, 3, s->signal);
	sqlite3_bind_text(q, 4, s->last_error, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, now);
	sqlite3_step(q);
	sqlite3_finalize(q);
}

/* Connect when the modem is down and its backoff is over: 1 connected,
 * 0 still waiting, -1 the connection failed (backoff doubled). */
static int slot_connect(struct slot *s, long long now)
{
	gw_gateway *g = s->g;
	char err[256];

	if (gw_mproc_connected(s->m))
		return 1;
	if (now < s->next_try && s->next_try - now <= g->cfg.max_backoff)
		return 0;
	if (!s->quarantine_loaded && gw__quarantine_load(s) == 0)
		s->quarantine_loaded = 1;
	if (gw_mproc_connect(s->m, err, sizeof err)) {
		/* back off: 5 s, 10 s, 20 s ... max_backoff */
		s->backoff = s->backoff ? s->backoff * 2 : 5;
		if (s->backoff > g->cfg.max_backoff)
			s->backoff = g->cfg.max_backoff;
		s->next_try = now + s->backoff;
		snprintf(s->last_error, sizeof s->last_error, "%s", err);
		modem_status(s, now);
		return -1;
	}
	s->backoff = 0;
	/* the quarantined locations handed over are deleted by now */
	if (s->quarantine_loaded && gw__quarantine_deleted(s, now))
		AX_LOG_W("%s: quarantine: %s", g->cfg.modems[s->index].name,
		         sqlite3_errmsg(s->db));
	s->signal = gw_mproc_signal(s->m);
	s->signal_at = now;
	modem_status(s, now);
	return 1;
}

/* The modem's waiting multipart messages from the store (once), and back
 * to it after a read: the part timeout counts from when a part was first
 * read, also across anxin-smsd --once runs.  0, or -1. */
static int waiting_load(struct slot *s)
{
	const char *modem = s->g->cfg.modems[s->index].name;
	sqlite3_stmt *q;
	if (s->waiting_loaded)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT key, first_seen FROM parts_waiting"
	                              " WHERE modem=?",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, modem, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW) {
		gw_mproc_set_waiting(s->m, (const char *)sqlite3_column_text(q, 0),
		                     sqlite3_column_int64(q, 1));
		s->nwaiting_stored++;
	}
	sqlite3_finalize(q);
	s->waiting_loaded = 1;
	return 0;
}

static int waiting_store(struct slot *s)
{
	const char *modem = s->g->cfg.modems[s->index].name, *key;
	sqlite3_stmt *q = NULL;
	long long first;
	int i, n = 0;
	while (gw_mproc_waiting(s->m, n, &key, &first))
		n++;
	if (n == 0 && s->nwaiting_stored == 0)
		return 0;
	if (gw__exec(s->db, "BEGIN IMMEDIATE"))
		return -1;
	if (sqlite3_prepare_v2(s->db, "DELETE FROM parts_waiting WHERE modem=?", -1,
	                       &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(q, 1, modem, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO parts_waiting(modem,"
	                              " key, first_seen) VALUES(?,?,?)",
	                       -1, &q, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; gw_mproc_waiting(s->m, i, &key, &first); i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, modem, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, first);
		if (sqlite3_step(q) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(q);
	if (gw__commit(s->db))
		return -1;
	s->nwaiting_stored = n;
	return 0;
fail:
	sqlite3_finalize(q);
	gw__exec(s->db, "ROLLBACK");
	return -1;
}

/* Read the inbox once into the store (gw_inbox.c's callbacks): 0, or -1
 * with err filled and the read's open transaction rolled back. */
static int slot_read(struct slot *s, long long now, char *err, size_t errlen)
{
	int nread = 0, loc;
	char why[160];

	if (waiting_load(s)) {
		snprintf(err, errlen, "parts_waiting: %s", sqlite3_errmsg(s->db));
		return -1;
	}
	if (gw_mproc_poll(s->m, gw__on_incoming, gw__on_report, gw__on_commit, s,
	                  now, &nread, err, errlen) == 0) {
		if (waiting_store(s))
			snprintf(s->last_error, sizeof s->last_error,
			         "parts_waiting: %s", sqlite3_errmsg(s->db));
		return 0;
	}
	if (s->in_txn) { /* the read failed before its commit */
		gw__exec(s->db, "ROLLBACK");
		s->in_txn = 0;
	}
	/* the modem's process was lost on one stored message: kept aside,
	 * then deleted unread by the next process */
	if (gw_mproc_fault(s->m, &loc, why, sizeof why)) {
		AX_LOG_E("%s: the message at location %d quarantined: the modem's"
		         " process %s reading it", s->g->cfg.modems[s->index].name,
		         loc, why);
		if (gw__quarantine_read(s, loc, why, now))
			AX_LOG_E("%s: quarantine: %s", s->g->cfg.modems[s->index].name,
			         sqlite3_errmsg(s->db));
	}
	return -1;
}

/* A read or a send failed: the error kept for --status and the modem
 * dropped, for the next cycle to reconnect. */
static ax_rc slot_failed(struct slot *s, const char *err, long long now)
{
	int lost = gw_mproc_losses(s->m);
	snprintf(s->last_error, sizeof s->last_error, "%s", err);
	gw_mproc_disconnect(s->m);
	if (lost > 0) {
		/* its process died or hung: a new one after 1 s, 2 s, 4 s ... */
		AX_LOG_E("%s: %s", s->g->cfg.modems[s->index].name, err);
		s->backoff = lost > 7 ? 128 : 1 << (lost - 1);
		if (s->backoff > s->g->cfg.max_backoff)
			s->backoff = s->g->cfg.max_backoff;
		s->next_try = now + s->backoff;
	}
	modem_status(s, now);
	return AX_IO;
}

ax_rc gw_modem_cycle(gw_gateway *g, int i)
{
	struct slot *s = &g->slots[i];
	long long now = gw_now(g);
	char err[256];
	int up;

	/* nothing read into a store nobody reads (the reply would then be
	 * deleted from the modem), nothing sent: gw_run stops */
	if (gw__store_lost(g)) {
		if (g->stop)
			atomic_store(g->stop, 1);
		return AX_IO;
	}
	gw__txn_guard(g, s->db, g->cfg.modems[i].name);
	up = slot_connect(s, now);
	if (up <= 0)
		return up == 0 ? AX_OK : AX_IO;
	if (slot_read(s, now, err, sizeof err))
		return slot_failed(s, err, now);
	if (gw__send_due(s, &now, err, sizeof err))
		return slot_failed(s, err, now);
	if (now - s->signal_at >= 60) {
		s->signal = gw_mproc_signal(s->m);
		s->signal_at = now;
		modem_status(s, now);
	}
	return AX_OK;
}
