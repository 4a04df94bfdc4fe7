/*
 * gw_records.c -- record lines (responses, contacts) put straight into
 * the store's outbox with ax_outbox_put, in the transaction of the state
 * change that made them: the conversation, the messages it queues and
 * its records cost one commit, and a crash keeps all or none.  The
 * outbox is pushed to the central server when one is set.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/response.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "gw_int.h"

/* 1 when the outbox holds id (read only: libanxin's table). */
static int in_outbox(ax_store *st, const char *id)
{
	sqlite3_stmt *q;
	int found = 0;
	if (sqlite3_prepare_v2(ax_store_sqlite(st),
	                       "SELECT 1 FROM outbox WHERE id=?", -1, &q, NULL) !=
	    SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

/* ax_outbox_put's rc as 0 or -1.  AX_CONFLICT: the id is in the outbox
 * with another body (a response written again after its conversation
 * moved on); the first line stays (the old journal's INSERT OR IGNORE
 * kept it too).  A constraint failing otherwise (a trigger) is an error. */
static int put_rc(gw_gateway *g, ax_store *st, const char *id, ax_rc rc)
{
	if (rc == AX_CONFLICT && !in_outbox(st, id))
		rc = AX_ERROR;
	if (rc != AX_OK && rc != AX_CONFLICT) {
		if (st == g->st)
			gw__seterr(g, "outbox: %s", ax_store_errmsg(st));
		return -1;
	}
	return 0;
}

int gw__record(gw_gateway *g, ax_store *st, const char *id, const char *body)
{
	if (!body)
		return -1;
	return put_rc(g, st, id, ax_outbox_put(st, id, body));
}

int gw__record_contact(gw_gateway *g, ax_store *st, const char *household,
                       const char *kind, const char *pack, long long at)
{
	struct ax_contact_meta m = {0};
	char id[37];
	if (!household || !*household)
		return 0;
	gw__new_uuid(id);
	m.id = id;
	m.household = household;
	m.channel = AX_CH_SMS;
	m.kind = kind;
	m.pack = pack;
	m.device = g->cfg.device;
	m.at = at;
	/* the line gw_contact_json makes, put without parsing it back */
	return put_rc(g, st, id, ax_outbox_put_contact(st, &m));
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
