/*
 * optout.c -- opt-outs (退订) as records (optout.h): the record line, a
 * number's latest state, the list of a scope (the dashboard's page and
 * the roster slices of gateways) and the staff's restore.  The import of
 * a record is records.c's (import_optout).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "anxin/auth.h"
#include "anxin/clock.h"
#include "anxin/optout.h"
#include "anxin/records.h"
#include "anxin_int.h"
#include "db.h"

char *ax_optout_record(const char *id, const char *phone, int restore,
                       const char *device, const char *by, const char *source,
                       long long at)
{
	json_t *o = json_object();
	char iso[AX_TIME_ISO_LEN];
	char *s;

	ax_time_iso(at, iso);
	json_object_set_new(o, "id", json_string(id));
	json_object_set_new(o, "type", json_string("optout"));
	json_object_set_new(o, "action", json_string(restore ? "restore" : "optout"));
	json_object_set_new(o, "phone", json_string(phone));
	json_object_set_new(o, "device", json_string(device));
	if (by && *by)
		json_object_set_new(o, "by", json_string(by));
	if (source && *source)
		json_object_set_new(o, "source", json_string(source));
	json_object_set_new(o, "at", json_string(iso));
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return s;
}

/* Every number's latest event (by time, then arrival: seq, schema v17)
 * with each household listing it, newest first: phone, action, device,
 * by_user, at, household, grid.  Both stores' SQL (db.h). */
#define LATEST_SQL                                                             \
	"SELECT e.phone, e.action, e.device, e.by_user, e.at, h.id, h.grid "     \
	"FROM optout_events e JOIN household_phones p ON p.phone = e.phone "     \
	"JOIN households h ON h.id = p.household WHERE e.seq = (SELECT "         \
	"e2.seq FROM optout_events e2 WHERE e2.phone = e.phone ORDER BY "        \
	"e2.at DESC, e2.seq DESC LIMIT 1) ORDER BY e.at DESC, e.phone, h.id"

static void cpy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

ax_rc ax_optout_list(ax_store *st, const char *scope, int restores, int max,
                     struct ax_optout **out, int *n)
{
	ax_stmt *s;
	struct ax_optout *v = NULL;
	int cap = 0, src;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__dprepare(st, &s, LATEST_SQL)))
		return rc;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW && (max <= 0 || *n < max)) {
		const char *phone = ax_stmt_text(s, 0);
		const char *grid = ax_stmt_text(s, 6);
		int restored = strcmp(ax_stmt_text(s, 1), "restore") == 0;
		struct ax_optout *o;

		if ((restored && !restores) ||
		    (scope && *scope && !ax_scope_covers(scope, grid)) ||
		    (*n > 0 && strcmp(v[*n - 1].phone, phone) == 0))
			continue; /* one line a number: its first household in scope */
		if (*n == cap) {
			struct ax_optout *nv;
			cap = cap ? cap * 2 : 16;
			if (!(nv = realloc(v, (size_t)cap * sizeof *nv))) {
				free(v);
				ax_stmt_finalize(s);
				ax__store_seterr(st, "out of memory");
				return AX_NOMEM;
			}
			v = nv;
		}
		o = &v[(*n)++];
		memset(o, 0, sizeof *o);
		cpy(o->phone, sizeof o->phone, phone);
		o->restored = restored;
		cpy(o->device, sizeof o->device, ax_stmt_text(s, 2));
		cpy(o->by, sizeof o->by, ax_stmt_text(s, 3));
		o->at = ax_stmt_int64(s, 4);
		cpy(o->household, sizeof o->household, ax_stmt_text(s, 5));
		cpy(o->grid, sizeof o->grid, grid);
	}
	if (src == AX_DB_ERROR)
		rc = ax__store_dberr(st, "optout_events");
	ax_stmt_finalize(s);
	if (rc) {
		free(v);
		return rc;
	}
	*out = v;
	return AX_OK;
}

json_t *ax__optouts_slice(ax_store *st, const char *scope)
{
	struct ax_optout *v;
	json_t *arr;
	int n;

	if (ax_optout_list(st, scope, 1, 0, &v, &n))
		return NULL;
	arr = json_array();
	for (int i = 0; arr && i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "phone", json_string(v[i].phone));
		json_object_set_new(o, "at", json_integer(v[i].at));
		json_object_set_new(o, "out", json_boolean(!v[i].restored));
		json_array_append_new(arr, o);
	}
	free(v);
	return arr;
}

ax_rc ax_optout_restore(ax_store *st, const char *phone, const char *user,
                        char id_out[37])
{
	struct ax_optout *v;
	struct ax_rec_outcome out;
	char id[37], *line = NULL;
	int n, found = 0;
	uuid_t u;
	ax_rc rc;

	if (id_out)
		id_out[0] = '\0';
	if ((rc = ax_optout_list(st, NULL, 0, 0, &v, &n)))
		return rc;
	for (int i = 0; i < n; i++)
		found |= strcmp(v[i].phone, phone) == 0;
	free(v);
	if (!found) {
		ax__store_seterr(st, "the number has not opted out");
		return AX_NOTFOUND;
	}
	uuid_generate_random(u);
	uuid_unparse_lower(u, id);
	if (!(line = ax_optout_record(id, phone, 1, "dashboard", user, "staff",
	                              (long long)time(NULL))))
		return AX_NOMEM;
	rc = ax__import_one(st, line, "dashboard", &out);
	if (rc == AX_INVALID)
		ax__store_seterr(st, "restore: %s",
		                 out.reason[0] ? out.reason : "not stored");
	if (!rc && id_out)
		memcpy(id_out, id, sizeof id);
	free(line);
	return rc;
}
