/*
 * gw_quarantine.c -- messages the modem's process was lost on
 * (modem_proc.h): a stored message it crashed or hung reading, a queued
 * message it crashed or hung sending.  Each is kept in table quarantine
 * for staff (--status) and never handed to libgammu again by itself: a
 * stored one is deleted from the modem unread, after its row is
 * committed; a queued one waits in state 'quarantined' until staff
 * release it (anxin-smsd --release ID --by NAME) to be sent again.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/clock.h"
#include "gw_int.h"

/* The smsbackup file of a flat location of libgammu's dummy driver
 * (device/sms/FOLDER/PLACE; folder * 10000 + place), at most 64 KB:
 * read as bytes, never decoded.  NULL when not the dummy driver or not
 * there. */
static char *dummy_file(const struct gw_modem_cfg *m, int location, size_t *n)
{
	char path[600];
	char *buf;
	FILE *f;

	*n = 0;
	if (strcmp(m->model, "dummy") != 0 || location < 10000)
		return NULL;
	snprintf(path, sizeof path, "%s/sms/%d/%d", m->device, location / 10000,
	         location % 10000);
	if (!(f = fopen(path, "rb")))
		return NULL;
	buf = malloc(65536);
	if (buf)
		*n = fread(buf, 1, 65536, f);
	fclose(f);
	return buf;
}

int gw__quarantine_read(struct slot *s, int location, const char *why,
                        long long now)
{
	const struct gw_modem_cfg *m = &s->g->cfg.modems[s->index];
	sqlite3_stmt *q = NULL;
	size_t n;
	char *raw = dummy_file(m, location, &n);
	int rc = -1;

	/* one row per location still on the modem */
	if (sqlite3_prepare_v2(s->db,
	                       "INSERT INTO quarantine(modem, kind, location, at,"
	                       " reason, raw) SELECT ?1, 'read', ?2, ?3, ?4, ?5"
	                       " WHERE NOT EXISTS (SELECT 1 FROM quarantine WHERE"
	                       " modem=?1 AND kind='read' AND location=?2 AND"
	                       " deleted_at IS NULL)",
	                       -1, &q, NULL) == SQLITE_OK) {
		sqlite3_bind_text(q, 1, m->name, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, location);
		sqlite3_bind_int64(q, 3, now);
		sqlite3_bind_text(q, 4, why, -1, SQLITE_STATIC);
		if (raw)
			sqlite3_bind_blob(q, 5, raw, (int)n, SQLITE_STATIC);
		rc = sqlite3_step(q) == SQLITE_DONE ? 0 : -1;
	}
	sqlite3_finalize(q);
	free(raw);
	/* committed (autocommit): only now may it leave the modem */
	if (rc == 0)
		gw_mproc_forget(s->m, location);
	return rc;
}

int gw__quarantine_load(struct slot *s)
{
	sqlite3_stmt *q;
	if (sqlite3_prepare_v2(s->db, "SELECT location FROM quarantine WHERE"
	                              " modem=? AND kind='read' AND deleted_at IS NULL",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW)
		gw_mproc_forget(s->m, sqlite3_column_int(q, 0));
	sqlite3_finalize(q);
	return 0;
}

int gw__quarantine_deleted(struct slot *s, long long now)
{
	sqlite3_stmt *q;
	int rc;
	if (sqlite3_prepare_v2(s->db, "UPDATE quarantine SET deleted_at=? WHERE"
	                              " modem=? AND kind='read' AND deleted_at IS NULL",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_text(q, 2, s->g->cfg.modems[s->index].name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* sql on db with ?1 = a (text), ?2 = id, ?3 = t: 0, or -1. */
static int exec3(sqlite3 *db, const char *sql, const char *a, long long id,
                 long long t)
{
	sqlite3_stmt *q;
	int rc;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, id);
	sqlite3_bind_int64(q, 3, t);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gw__quarantine_send(struct slot *s, long long id, const char *why,
                        long long now)
{
	const char *modem = s->g->cfg.modems[s->index].name;
	sqlite3_stmt *q = NULL;

	if (gw__exec(s->db, "BEGIN IMMEDIATE"))
		return -1;
	if (exec3(s->db, "UPDATE queue SET state='quarantined', error=?1 WHERE id=?2",
	          why, id, now))
		goto fail;
	if (sqlite3_prepare_v2(s->db, "INSERT INTO quarantine(modem, kind, queue_id,"
	                              " at, reason) VALUES(?, 'send', ?, ?, ?)",
	                       -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(q, 1, modem, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, id);
	sqlite3_bind_int64(q, 3, now);
	sqlite3_bind_text(q, 4, why, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(q);
	return gw__commit(s->db);
fail:
	sqlite3_finalize(q);
	gw__exec(s->db, "ROLLBACK");
	return -1;
}

void gw__quarantine_print(gw_gateway *g, FILE *out)
{
	sqlite3_stmt *q;
	int n = 0;
	if (sqlite3_prepare_v2(
	        g->db,
	        "SELECT x.id, x.modem, x.kind, x.location, x.at, x.reason,"
	        " x.deleted_at, q.phone, q.kind, length(x.raw) FROM quarantine x"
	        " LEFT JOIN queue q ON q.id = x.queue_id WHERE x.released_at IS NULL"
	        " ORDER BY x.id",
	        -1, &q, NULL) != SQLITE_OK)
		return; /* a store from before the table */
	while (sqlite3_step(q) == SQLITE_ROW) {
		char when[32];
		ax_time_format(sqlite3_column_int64(q, 4), "%Y-%m-%d %H:%M", when,
		               sizeof when);
		if (n++ == 0)
			fprintf(out, "quarantined (anxin-smsd --release ID --by NAME):\n");
		if (strcmp((const char *)sqlite3_column_text(q, 2), "send") == 0) {
			const char *phone = (const char *)sqlite3_column_text(q, 7);
			size_t pl = phone ? strlen(phone) : 0;
			fprintf(out, "  #%lld %s %s send (%s) to ...%s: %s\n",
			        sqlite3_column_int64(q, 0), when, sqlite3_column_text(q, 1),
			        sqlite3_column_text(q, 8) ? (const char *)sqlite3_column_text(q, 8)
			                                  : "?",
			        pl > 4 ? phone + pl - 4 : "?", sqlite3_column_text(q, 5));
		} else {
			fprintf(out, "  #%lld %s %s stored message at location %d (%s,"
			             " %d bytes kept): %s\n",
			        sqlite3_column_int64(q, 0), when, sqlite3_column_text(q, 1),
			        sqlite3_column_int(q, 3),
			        sqlite3_column_type(q, 6) == SQLITE_NULL ? "still on the modem"
			                                                 : "deleted from the modem",
			        sqlite3_column_int(q, 9), sqlite3_column_text(q, 5));
		}
	}
	sqlite3_finalize(q);
}

ax_rc gw_release_quarantined(gw_gateway *g, long long id, const char *who)
{
	long long now = gw_now(g);
	int changed;

	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return AX_IO;
	if (exec3(g->db, "UPDATE quarantine SET released_at=?3, released_by=?1"
	                 " WHERE id=?2 AND released_at IS NULL",
	          who, id, now))
		goto fail;
	changed = sqlite3_changes(g->db);
	/* a send goes back to the queue, its attempts counted afresh */
	if (changed &&
	    exec3(g->db, "UPDATE queue SET state='pending', attempts=0, modem=NULL,"
	                 " claimed_at=NULL, sent_day=NULL, error=NULL WHERE"
	                 " state='quarantined' AND id=(SELECT queue_id FROM"
	                 " quarantine WHERE id=?2 AND kind='send') AND ?1 = ?1"
	                 " AND ?3 = ?3",
	          who, id, now))
		goto fail;
	if (gw__commit(g->db)) {
		gw__seterr(g, "releasing #%lld: %s", id, sqlite3_errmsg(g->db));
		return AX_IO;
	}
	return changed ? AX_OK : AX_NOTFOUND;
fail:
	gw__seterr(g, "releasing #%lld: %s", id, sqlite3_errmsg(g->db));
	gw__exec(g->db, "ROLLBACK");
	return AX_IO;
}
