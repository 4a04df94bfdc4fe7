/*
 * gw_forward.c -- the journal: record lines written in the transaction of
 * the state change that made them, then forwarded to the store's outbox
 * (see gateway.h) and pushed to the central server when one is set.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/store.h"
#include "anxin/sync.h"
#include "gw_int.h"

int gw__journal(gw_gateway *g, sqlite3 *db, const char *id,
                const char *body, long long now)
{
	sqlite3_stmt *q;
	int rc;
	if (!body)
		return -1;
	if (!(q = gw__prep(g, db, "INSERT OR IGNORE INTO journal(id, body, created_at)"
	                           " VALUES(?,?,?)")))
		return -1;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, body, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, now);
	rc = sqlite3_step(q);
	gw__release(g, db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gw__journal_contact(gw_gateway *g, sqlite3 *db, const char *household,
                        const char *kind, const char *pack, long long at)
{
	char id[37];
	char *body;
	int rc;
	if (!household || !*household)
		return 0;
	gw__new_uuid(id);
	body = gw_contact_json(id, household, kind, pack, g->cfg.device, at);
	rc = gw__journal(g, db, id, body, at);
	free(body);
	return rc;
}

/* Journal -> the store's outbox.  Replays are harmless (idempotent by id). */
int gw__forward_journal(gw_gateway *g)
{
	sqlite3_stmt *q;
	long long last = 0;
	int n = 0;
	ax_rc rc;

	if (sqlite3_prepare_v2(g->db,
	                       "SELECT seq, id, body FROM journal WHERE forwarded=0"
	                       " ORDER BY seq LIMIT 10000",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	rc = ax_store_begin(g->st);
	if (rc != AX_OK) {
		sqlite3_finalize(q);
		gw__seterr(g, "store: %s", ax_store_errmsg(g->st));
		return -1;
	}
	while (sqlite3_step(q) == SQLITE_ROW) {
		rc = ax_outbox_put(g->st, (const char *)sqlite3_column_text(q, 1),
		                   (const char *)sqlite3_column_text(q, 2));
		if (rc != AX_OK && rc != AX_CONFLICT) {
			gw__seterr(g, "outbox: %s", ax_store_errmsg(g->st));
			sqlite3_finalize(q);
			ax_store_rollback(g->st);
			return -1;
		}
		last = sqlite3_column_int64(q, 0);
		n++;
	}
	sqlite3_finalize(q);
	if (ax_store_commit(g->st) != AX_OK) {
		gw__seterr(g, "store: %s", ax_store_errmsg(g->st));
		ax_store_rollback(g->st);
		return -1;
	}
	if (n) {
		char sql[128];
		snprintf(sql, sizeof sql,
		         "UPDATE journal SET forwarded=1 WHERE forwarded=0 AND seq<=%lld",
		         last);
		if (gw__exec(g->db, sql))
			return -1;
	}
	return n;
}

void gw__push_central(gw_gateway *g, long long now)
{
	if (g->cfg.central_url[0] && ax_sync_due(g->st, now)) {
		struct ax_sync_opts so;
		memset(&so, 0, sizeof so);
		so.url = g->cfg.central_url;
		so.token = g->cfg.token;
		so.scope = g->cfg.scope;
		ax_sync_push(g->st, &so, NULL);
	}
}
