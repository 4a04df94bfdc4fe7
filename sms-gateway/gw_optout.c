/*
 * gw_optout.c -- opt-outs shared by the county's gateways (optout.h).
 * A 退订 or its withdrawal taken here is an "optout" record in the
 * outbox, in the transaction of the change; central keeps every event
 * and serves each number's latest state in the roster slices it sends
 * ("optouts": [{"phone","at","out"}]), which gw__load applies to the
 * optout table.  optout_seen holds, per number, the time of the latest
 * event applied here (taken here or from central): an older event never
 * undoes a newer one, so a 恢复 taken here is not undone by central's
 * copy of the 退订 before it, and our own 退订 coming back changes
 * nothing.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/applog.h"
#include "anxin/optout.h"
#include "anxin/sync.h"
#include "gw_int.h"

/* The time of the latest event applied for phone, or -1. */
static long long seen_at(gw_gateway *g, const char *phone)
{
	sqlite3_stmt *q = gw__prep(g, g->db, "SELECT at FROM optout_seen WHERE phone = ?");
	long long at = -1;
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		at = sqlite3_column_int64(q, 0);
	gw__release(g, g->db, q);
	return at;
}

static int set_seen(gw_gateway *g, const char *phone, long long at)
{
	sqlite3_stmt *q = gw__prep(g, g->db,
	                           "INSERT INTO optout_seen(phone, at) VALUES(?1, ?2)"
	                           " ON CONFLICT(phone) DO UPDATE SET at = ?2");
	int rc;
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, at);
	rc = sqlite3_step(q);
	gw__release(g, g->db, q);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gw__optout_event(gw_gateway *g, const char *phone, int restore,
                     const char *source, long long now)
{
	char id[37], hh[64], grid[32], *line;
	int rc;

	if (set_seen(g, phone, now))
		return -1;
	/* a number in no household of the roster is nobody's to share (and
	 * central would refuse the record) */
	if (gw__lookup_phone(g, phone, hh, grid) == 0)
		return 0;
	gw__new_uuid(id);
	if (!(line = ax_optout_record(id, phone, restore, g->cfg.device, NULL,
	                              source, now)))
		return -1;
	rc = gw__record(g, g->st, id, line);
	free(line);
	return rc;
}

/* One entry of a slice's "optouts": 1 applied, 0 not newer, -1 error. */
static int apply_one(gw_gateway *g, const char *phone, long long at, int out)
{
	sqlite3_stmt *q;
	int rc;

	if (seen_at(g, phone) >= at)
		return 0;
	q = gw__prep(g, g->db, out ? "INSERT OR IGNORE INTO optout(phone, at, source)"
	                             " VALUES(?1, ?2, 'central')"
	                           : "DELETE FROM optout WHERE phone = ?1");
	if (!q)
		return -1;
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	if (out)
		sqlite3_bind_int64(q, 2, at);
	rc = sqlite3_step(q);
	gw__release(g, g->db, q);
	if (rc != SQLITE_DONE || set_seen(g, phone, at))
		return -1;
	return 1;
}

int gw__optouts_apply(gw_gateway *g, const char *slice)
{
	json_error_t je;
	json_t *doc = json_loads(slice, 0, &je), *arr, *e;
	size_t i;
	int n = 0, r = 0;

	if (!doc)
		return -1;
	arr = json_object_get(doc, "optouts");
	if (json_array_size(arr) && gw__exec_cached(g, "SAVEPOINT optouts")) {
		json_decref(doc);
		return -1;
	}
	json_array_foreach(arr, i, e)
	{
		const char *phone = json_string_value(json_object_get(e, "phone"));
		json_t *at = json_object_get(e, "at");
		if (!phone || !json_is_integer(at))
			continue;
		r = apply_one(g, phone, (long long)json_integer_value(at),
		              json_is_true(json_object_get(e, "out")));
		if (r < 0)
			break;
		n += r;
	}
	if (json_array_size(arr))
		gw__exec_cached(g, r < 0 ? "ROLLBACK TO optouts" : "RELEASE optouts");
	if (r < 0 && json_array_size(arr))
		gw__exec_cached(g, "RELEASE optouts");
	json_decref(doc);
	if (n)
		AX_LOG_I("%d opt-out change(s) from central applied", n);
	return r < 0 ? -1 : n;
}

void gw__optouts_sync(gw_gateway *g)
{
	char scope[sizeof g->cfg.scope], *save = NULL, *code;

	snprintf(scope, sizeof scope, "%s", g->cfg.scope);
	for (code = strtok_r(scope, ",", &save); code;
	     code = strtok_r(NULL, ",", &save)) {
		char key[128], *text = NULL;
		snprintf(key, sizeof key, "roster.%s.json", code);
		if (ax_sync_cached(g->st, key, &text) == AX_OK && text &&
		    gw__optouts_apply(g, text) < 0)
			AX_LOG_W("opt-outs of roster %s not applied: %s", code,
			         sqlite3_errmsg(g->db));
		ax_free(text);
	}
}
