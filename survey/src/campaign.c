/*
 * campaign.c -- campaigns and what devices receive of them.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include "anxin/campaign.h"
#include "anxin/records.h"
#include "anxin/sample.h"
#include "anxin_int.h"

void ax_campaign_defaults(struct ax_campaign *c)
{
	memset(c, 0, sizeof *c);
	c->quiet_start = 21 * 60;
	c->quiet_end = 8 * 60;
	c->pace_per_min = 10;
	c->daily_cap = 300;
	c->coverage_kinds = AX_CK_DEFAULT;
}

static int exists(ax_store *st, const char *sql, const char *a, int b)
{
	sqlite3_stmt *s;
	int found;
	if (ax__prepare(st, &s, sql))
		return 0;
	sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_int(s, 2, b);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return found;
}

static ax_rc insert_campaign(ax_store *st, struct ax_campaign *c);

ax_rc ax_campaign_create(ax_store *st, struct ax_campaign *c)
{
	sqlite3_stmt *s;
	ax_rc rc;

	if (!c->name[0]) {
		ax__store_seterr(st, "a campaign needs a name");
		return AX_INVALID;
	}
	if (!c->survey[0] && !c->packs[0]) {
		ax__store_seterr(st, "a campaign needs a survey and/or packs");
		return AX_INVALID;
	}
	if (c->ends_at <= c->starts_at) {
		ax__store_seterr(st, "the campaign window ends before it starts");
		return AX_INVALID;
	}
	if (c->quiet_start < 0 || c->quiet_start >= 1440 || c->quiet_end < 0 ||
	    c->quiet_end >= 1440 || c->pace_per_min < 1 || c->daily_cap < 1 ||
	    !c->coverage_kinds) {
		ax__store_seterr(st, "quiet hours, pace, daily cap or coverage kinds "
		                     "out of range");
		return AX_INVALID;
	}
	if (c->sample_n < 0 || (c->sample_n > 0 && (!c->survey[0] ||
	                        ax_strata_name(c->strata)[0] == '\0'))) {
		ax__store_seterr(st, "a sampled campaign needs a survey, a sample "
		                     "size above 0 and strata township or village");
		return AX_INVALID;
	}
	if (c->survey[0]) {
		if (!c->survey_version) {
			if (ax__prepare(st, &s, "SELECT MAX(version) FROM surveys WHERE id = ?"))
				return AX_ERROR;
			sqlite3_bind_text(s, 1, c->survey, -1, SQLITE_STATIC);
			if (sqlite3_step(s) == SQLITE_ROW)
				c->survey_version = sqlite3_column_int(s, 0);
			sqlite3_finalize(s);
		}
		if (!exists(st, "SELECT 1 FROM surveys WHERE id = ? AND version = ?",
		            c->survey, c->survey_version)) {
			ax__store_seterr(st, "survey \"%s\" is not installed", c->survey);
			return AX_INVALID;
		}
	}
	{
		char buf[256], *save = NULL;
		snprintf(buf, sizeof buf, "%s", c->packs);
		for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
			if (!exists(st, "SELECT 1 FROM packs WHERE id = ?", p, 0)) {
				ax__store_seterr(st, "pack \"%s\" is not installed", p);
				return AX_INVALID;
			}
	}
	{
		char buf[AX_SCOPE_MAX], *save = NULL;
		snprintf(buf, sizeof buf, "%s", c->scope);
		if (!buf[0]) {
			ax__store_seterr(st, "a campaign needs a scope");
			return AX_INVALID;
		}
		for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
			if (!exists(st, "SELECT 1 FROM regions WHERE code = ?", p, 0)) {
				ax__store_seterr(st, "scope code \"%s\" is not a known region", p);
				return AX_INVALID;
			}
	}
	if (!c->id[0]) {
		uuid_t u;
		uuid_generate_random(u);
		uuid_unparse_lower(u, c->id);
	}
	if (!c->wave[0])
		snprintf(c->wave, sizeof c->wave, "%s", c->id);
	c->created_at = (long long)time(NULL);
	/* the campaign and its sample are one commit: a draw that fails
	 * leaves no campaign behind */
	if ((rc = ax__exec(st, "SAVEPOINT campaign_create")))
		return rc;
	if ((rc = insert_campaign(st, c)) == AX_OK && c->sample_n > 0)
		rc = ax__sample_draw(st, c);
	if (rc == AX_OK)
		return ax__exec(st, "RELEASE campaign_create");
	{
		/* keep the message of the failure, not of the rollback */
		char msg[512];
		snprintf(msg, sizeof msg, "%s", ax_store_errmsg(st));
		ax__exec(st, "ROLLBACK TO campaign_create");
		ax__exec(st, "RELEASE campaign_create");
		ax__store_seterr(st, "%s", msg);
	}
	return rc;
}

static ax_rc insert_campaign(ax_store *st, struct ax_campaign *c)
{
	sqlite3_stmt *s;
	int src;
	ax_rc rc;

	if ((rc = ax__prepare(st, &s,
	                      "INSERT INTO campaigns(id, name, survey, survey_version, "
	                      "packs, scope, starts_at, ends_at, quiet_start, "
	                      "quiet_end, pace_per_min, daily_cap, coverage_kinds, "
	                      "wave, created_at, sample_n, strata, seed) "
	                      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")))
		return rc;
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, c->name, -1, SQLITE_STATIC);
	if (c->survey[0]) {
		sqlite3_bind_text(s, 3, c->survey, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 4, c->survey_version);
	}
	sqlite3_bind_text(s, 5, c->packs, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, c->scope, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, c->starts_at);
	sqlite3_bind_int64(s, 8, c->ends_at);
	sqlite3_bind_int(s, 9, c->quiet_start);
	sqlite3_bind_int(s, 10, c->quiet_end);
	sqlite3_bind_int(s, 11, c->pace_per_min);
	sqlite3_bind_int(s, 12, c->daily_cap);
	{
		char kinds[128] = "";
		for (int bit = 1; bit <= AX_CK_VISIT; bit <<= 1)
			if (c->coverage_kinds & bit) {
				if (kinds[0])
					strcat(kinds, ",");
				strcat(kinds, ax_contact_kind_name(bit));
			}
		sqlite3_bind_text(s, 13, kinds, -1, SQLITE_TRANSIENT);
	}
	sqlite3_bind_text(s, 14, c->wave, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 15, c->created_at);
	sqlite3_bind_int(s, 16, c->sample_n);
	if (c->sample_n > 0) {
		sqlite3_bind_text(s, 17, ax_strata_name(c->strata), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 18, c->seed);
	}
	src = sqlite3_step(s);
	sqlite3_finalize(s);
	if (src != SQLITE_DONE) {
		rc = ax__store_sqlerr(st, src, "campaign");
		if (rc == AX_CONFLICT)
			ax__store_seterr(st, "campaign \"%s\" already exists", c->id);
		return rc;
	}
	return AX_OK;
}

ax_rc ax_campaign_close(ax_store *st, const char *id)
{
	sqlite3_stmt *s;
	ax_rc rc;
	if ((rc = ax__prepare(st, &s, "UPDATE campaigns SET closed_at = ? WHERE id "
	                              "= ? AND closed_at IS NULL")))
		return rc;
	sqlite3_bind_int64(s, 1, (sqlite3_int64)time(NULL));
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	sqlite3_step(s);
	sqlite3_finalize(s);
	if (!sqlite3_changes(ax__store_db(st))) {
		ax__store_seterr(st, "no open campaign \"%s\"", id);
		return AX_NOTFOUND;
	}
	return AX_OK;
}

ax_rc ax_campaign_list(ax_store *st, int active_only, long long now,
                       struct ax_campaign **out, int *n)
{
	sqlite3_stmt *s;
	struct ax_campaign *v = NULL;
	int cap = 0;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__prepare(st, &s,
	                      "SELECT id, name, survey, survey_version, packs, scope, "
	                      "starts_at, ends_at, quiet_start, quiet_end, "
	                      "pace_per_min, daily_cap, coverage_kinds, wave, "
	                      "created_at, closed_at, sample_n, strata, seed FROM "
	                      "campaigns WHERE NOT ?1 OR "
	                      "(closed_at IS NULL AND starts_at <= ?2 AND ends_at > "
	                      "?2) ORDER BY created_at, id")))
		return rc;
	sqlite3_bind_int(s, 1, active_only);
	sqlite3_bind_int64(s, 2, now);
	while (sqlite3_step(s) == SQLITE_ROW) {
		struct ax_campaign *c;
		if (*n == cap) {
			struct ax_campaign *nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 8));
			if (!nv) {
				free(v);
				sqlite3_finalize(s);
				*n = 0;
				return AX_NOMEM;
			}
			v = nv;
		}
		c = &v[(*n)++];
		memset(c, 0, sizeof *c);
#define COL(i) (sqlite3_column_type(s, i) == SQLITE_NULL ? "" : (const char *)sqlite3_column_text(s, i))
		snprintf(c->id, sizeof c->id, "%s", COL(0));
		snprintf(c->name, sizeof c->name, "%s", COL(1));
		snprintf(c->survey, sizeof c->survey, "%s", COL(2));
		c->survey_version = sqlite3_column_int(s, 3);
		snprintf(c->packs, sizeof c->packs, "%s", COL(4));
		snprintf(c->scope, sizeof c->scope, "%s", COL(5));
		c->starts_at = sqlite3_column_int64(s, 6);
		c->ends_at = sqlite3_column_int64(s, 7);
		c->quiet_start = sqlite3_column_int(s, 8);
		c->quiet_end = sqlite3_column_int(s, 9);
		c->pace_per_min = sqlite3_column_int(s, 10);
		c->daily_cap = sqlite3_column_int(s, 11);
		c->coverage_kinds = ax_contact_kinds_parse(COL(12));
		snprintf(c->wave, sizeof c->wave, "%s", COL(13));
		c->created_at = sqlite3_column_int64(s, 14);
		c->closed_at = sqlite3_column_int64(s, 15);
		c->sample_n = sqlite3_column_int(s, 16);
		c->strata = c->sample_n > 0 ? ax_strata_parse(COL(17)) : 0;
		c->seed = sqlite3_column_int64(s, 18);
#undef COL
	}
	sqlite3_finalize(s);
	*out = v;
	return AX_OK;
}

/* Do two scope lists overlap (one covers a code of the other)? */
static int scopes_meet(const char *a, const char *b)
{
	char buf[AX_SCOPE_MAX], *save = NULL;
	snprintf(buf, sizeof buf, "%s", a);
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (ax_scope_covers(b, p))
			return 1;
	snprintf(buf, sizeof buf, "%s", b);
	for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save))
		if (ax_scope_covers(a, p))
			return 1;
	return 0;
}

int ax_campaign_meets(const struct ax_campaign *c, const char *scope)
{
	return !scope || !*scope || scopes_meet(c->scope, scope);
}

int ax_campaign_within(const struct ax_campaign *c, const char *scope)
{
	char buf[AX_SCOPE_MAX], *save = NULL;
	if (!scope || !*scope)
		return 1;
	snprintf(buf, sizeof buf, "%s", c->scope);
	for (char *q = strtok_r(buf, ",", &save); q; q = strtok_r(NULL, ",", &save))
		if (!ax_scope_covers(scope, q))
			return 0;
	return 1;
}

static json_t *stored_json(ax_store *st, const char *sql, const char *id, int v)
{
	sqlite3_stmt *s;
	json_t *j = NULL;
	if (ax__prepare(st, &s, sql))
		return NULL;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	if (v)
		sqlite3_bind_int(s, 2, v);
	if (sqlite3_step(s) == SQLITE_ROW)
		j = json_loads((const char *)sqlite3_column_text(s, 0), 0, NULL);
	sqlite3_finalize(s);
	return j;
}

/* A sampled campaign's draw as a device needs it: the households drawn
 * in the device's scope (sorted, so a device can search them; none when
 * device_scope is NULL: a kiosk), the size, strata and seed.  A gateway
 * contacts only these.  0, or -1 on error. */
static int add_sample(ax_store *st, json_t *o, const struct ax_campaign *c,
                      const char *device_scope)
{
	sqlite3_stmt *s;
	json_t *smp = json_object(), *ids = json_array();
	int src = SQLITE_DONE;

	if (!device_scope)
		goto done;
	if (ax__prepare(st, &s, "SELECT x.household, h.grid FROM campaign_sample x "
	                        "JOIN households h ON h.id = x.household WHERE "
	                        "x.campaign = ? ORDER BY x.household")) {
		json_decref(smp);
		json_decref(ids);
		return -1;
	}
	sqlite3_bind_text(s, 1, c->id, -1, SQLITE_STATIC);
	while ((src = sqlite3_step(s)) == SQLITE_ROW)
		if (ax_scope_covers(device_scope, (const char *)sqlite3_column_text(s, 1)))
			json_array_append_new(ids, json_string((const char *)
			                                       sqlite3_column_text(s, 0)));
	sqlite3_finalize(s);
	if (src != SQLITE_DONE) {
		json_decref(smp);
		json_decref(ids);
		return -1;
	}
done:
	json_object_set_new(smp, "n", json_integer(c->sample_n));
	json_object_set_new(smp, "strata", json_string(ax_strata_name(c->strata)));
	json_object_set_new(smp, "seed", json_integer(c->seed));
	json_object_set_new(smp, "households", ids);
	json_object_set_new(o, "sample", smp);
	return 0;
}

char *ax_campaigns_json(ax_store *st, const char *device_scope, long long now)
{
	return ax_campaigns_json_for(st, device_scope, now, 1);
}

char *ax_campaigns_json_for(ax_store *st, const char *device_scope,
                            long long now, int gateway)
{
	struct ax_campaign *v;
	int n;
	json_t *root, *arr, *surveys, *packs;
	unsigned char pk[AX_PUBKEY_BYTES];
	char b64[64];
	char *out;

	if (ax_campaign_list(st, 1, now, &v, &n))
		return NULL;
	root = json_object();
	arr = json_array();
	surveys = json_object();
	packs = json_object();
	for (int i = 0; i < n; i++) {
		struct ax_campaign *c = &v[i];
		json_t *o = json_object(), *pl = json_array(), *kinds = json_array();
		char buf[256], *save = NULL;
		if (!scopes_meet(c->scope, device_scope)) {
			json_decref(o);
			json_decref(pl);
			json_decref(kinds);
			continue;
		}
		json_object_set_new(o, "id", json_string(c->id));
		json_object_set_new(o, "name", json_string(c->name));
		json_object_set_new(o, "wave", json_string(c->wave));
		if (c->survey[0]) {
			char key[96];
			json_object_set_new(o, "survey", json_string(c->survey));
			json_object_set_new(o, "survey_version", json_integer(c->survey_version));
			snprintf(key, sizeof key, "%s@%d", c->survey, c->survey_version);
			if (!json_object_get(surveys, key)) {
				json_t *sj = stored_json(st, "SELECT json FROM surveys WHERE id = ? AND version = ?",
				                         c->survey, c->survey_version);
				if (sj)
					json_object_set_new(surveys, key, sj);
			}
		}
		snprintf(buf, sizeof buf, "%s", c->packs);
		for (char *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
			json_array_append_new(pl, json_string(p));
			if (!json_object_get(packs, p)) {
				json_t *pj = stored_json(st, "SELECT json FROM packs WHERE id = ? "
				                             "ORDER BY version DESC LIMIT 1", p, 0);
				if (pj)
					json_object_set_new(packs, p, pj);
			}
		}
		json_object_set_new(o, "packs", pl);
		json_object_set_new(o, "scope", json_string(c->scope));
		json_object_set_new(o, "starts_at", json_integer(c->starts_at));
		json_object_set_new(o, "ends_at", json_integer(c->ends_at));
		json_object_set_new(o, "quiet_start", json_integer(c->quiet_start));
		json_object_set_new(o, "quiet_end", json_integer(c->quiet_end));
		json_object_set_new(o, "pace_per_min", json_integer(c->pace_per_min));
		json_object_set_new(o, "daily_cap", json_integer(c->daily_cap));
		for (int bit = 1; bit <= AX_CK_VISIT; bit <<= 1)
			if (c->coverage_kinds & bit)
				json_array_append_new(kinds, json_string(ax_contact_kind_name(bit)));
		json_object_set_new(o, "coverage_kinds", kinds);
		if (c->sample_n > 0 && add_sample(st, o, c, gateway ? device_scope : NULL)) {
			json_decref(o);
			json_decref(arr);
			arr = NULL;
			break;
		}
		json_array_append_new(arr, o);
	}
	free(v);
	if (!arr) {
		json_decref(root);
		json_decref(surveys);
		json_decref(packs);
		return NULL;
	}
	json_object_set_new(root, "campaigns", arr);
	json_object_set_new(root, "surveys", surveys);
	json_object_set_new(root, "packs", packs);
	if (ax_store_keypair(st, pk, NULL) == AX_OK) {
		sodium_bin2base64(b64, sizeof b64, pk, sizeof pk, sodium_base64_VARIANT_ORIGINAL);
		json_object_set_new(root, "seal_public_key", json_string(b64));
	}
	out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	return out;
}
