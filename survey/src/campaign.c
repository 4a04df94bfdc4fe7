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
#include "db.h"

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
	ax_stmt *s;
	int found;
	if (ax__dprepare(st, &s, sql))
		return 0;
	ax_stmt_bind_text(s, 1, a);
	if (b)
		ax_stmt_bind_int64(s, 2, b);
	found = ax_stmt_step(s) == AX_DB_ROW;
	ax_stmt_finalize(s);
	return found;
}

/* A campaign and its sample are one commit.  Inside a caller's
 * transaction that is a savepoint; outside one, a transaction of its own
 * (PostgreSQL takes a SAVEPOINT only in a transaction block). */
static ax_rc txn_begin(ax_store *st, int *outer)
{
	*outer = !ax_db_in_txn(ax__store_dbl(st));
	if (*outer)
		return ax_store_begin(st);
	return ax_db_exec(ax__store_dbl(st), "SAVEPOINT campaign_create") ==
	               AX_DB_OK
	           ? AX_OK
	           : ax__store_dberr(st, "savepoint");
}

static ax_rc txn_end(ax_store *st, int outer, ax_rc rc)
{
	ax_db *db = ax__store_dbl(st);
	if (rc == AX_OK)
		return outer ? ax_store_commit(st)
		       : ax_db_exec(db, "RELEASE campaign_create") == AX_DB_OK
		           ? AX_OK
		           : ax__store_dberr(st, "release");
	/* keep the message of the failure, not of the rollback */
	char msg[512];
	snprintf(msg, sizeof msg, "%s", ax_store_errmsg(st));
	if (outer) {
		ax_store_rollback(st);
	} else {
		ax_db_exec(db, "ROLLBACK TO campaign_create");
		ax_db_exec(db, "RELEASE campaign_create");
	}
	ax__store_seterr(st, "%s", msg);
	return rc;
}

static ax_rc insert_campaign(ax_store *st, struct ax_campaign *c);

ax_rc ax_campaign_create(ax_store *st, struct ax_campaign *c)
{
	ax_stmt *s;
	ax_rc rc;
	int outer;

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
			if (ax__dprepare(st, &s, "SELECT MAX(version) FROM surveys WHERE id = ?"))
				return AX_ERROR;
			ax_stmt_bind_text(s, 1, c->survey);
			if (ax_stmt_step(s) == AX_DB_ROW)
				c->survey_version = (int)ax_stmt_int64(s, 0);
			ax_stmt_finalize(s);
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
	if ((rc = txn_begin(st, &outer)))
		return rc;
	if ((rc = insert_campaign(st, c)) == AX_OK && c->sample_n > 0)
		rc = ax__sample_draw(st, c);
	return txn_end(st, outer, rc);
}

static ax_rc insert_campaign(ax_store *st, struct ax_campaign *c)
{
	ax_stmt *s;
	int src;
	ax_rc rc;

	if ((rc = ax__dprepare(st, &s,
	                      "INSERT INTO campaigns(id, name, survey, survey_version, "
	                      "packs, scope, starts_at, ends_at, quiet_start, "
	                      "quiet_end, pace_per_min, daily_cap, coverage_kinds, "
	                      "wave, created_at, sample_n, strata, seed) "
	                      "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")))
		return rc;
	ax_stmt_bind_text(s, 1, c->id);
	ax_stmt_bind_text(s, 2, c->name);
	if (c->survey[0]) {
		ax_stmt_bind_text(s, 3, c->survey);
		ax_stmt_bind_int64(s, 4, c->survey_version);
	} else {
		ax_stmt_bind_null(s, 3);
		ax_stmt_bind_null(s, 4);
	}
	ax_stmt_bind_text(s, 5, c->packs);
	ax_stmt_bind_text(s, 6, c->scope);
	ax_stmt_bind_int64(s, 7, c->starts_at);
	ax_stmt_bind_int64(s, 8, c->ends_at);
	ax_stmt_bind_int64(s, 9, c->quiet_start);
	ax_stmt_bind_int64(s, 10, c->quiet_end);
	ax_stmt_bind_int64(s, 11, c->pace_per_min);
	ax_stmt_bind_int64(s, 12, c->daily_cap);
	{
		char kinds[128] = "";
		for (int bit = 1; bit <= AX_CK_VISIT; bit <<= 1)
			if (c->coverage_kinds & bit) {
				if (kinds[0])
					strcat(kinds, ",");
				strcat(kinds, ax_contact_kind_name(bit));
			}
		ax_stmt_bind_text(s, 13, kinds);
	}
	ax_stmt_bind_text(s, 14, c->wave);
	ax_stmt_bind_int64(s, 15, c->created_at);
	ax_stmt_bind_int64(s, 16, c->sample_n);
	if (c->sample_n > 0) {
		ax_stmt_bind_text(s, 17, ax_strata_name(c->strata));
		ax_stmt_bind_int64(s, 18, c->seed);
	} else {
		ax_stmt_bind_null(s, 17);
		ax_stmt_bind_null(s, 18);
	}
	src = ax_stmt_step(s);
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "campaign");
	ax_stmt_finalize(s);
	if (src != AX_DB_DONE) {
		if (rc == AX_CONFLICT)
			ax__store_seterr(st, "campaign \"%s\" already exists", c->id);
		return rc;
	}
	return AX_OK;
}

ax_rc ax_campaign_close(ax_store *st, const char *id)
{
	ax_stmt *s;
	int64_t changed;
	ax_rc rc;
	if ((rc = ax__dprepare(st, &s, "UPDATE campaigns SET closed_at = ? WHERE id "
	                               "= ? AND closed_at IS NULL")))
		return rc;
	ax_stmt_bind_int64(s, 1, (int64_t)time(NULL));
	ax_stmt_bind_text(s, 2, id);
	if (ax_stmt_step(s) != AX_DB_DONE) {
		rc = ax__store_dberr(st, "campaign close");
		ax_stmt_finalize(s);
		return rc;
	}
	changed = ax_stmt_changes(s);
	ax_stmt_finalize(s);
	if (!changed) {
		ax__store_seterr(st, "no open campaign \"%s\"", id);
		return AX_NOTFOUND;
	}
	return AX_OK;
}

ax_rc ax_campaign_list(ax_store *st, int active_only, long long now,
                       struct ax_campaign **out, int *n)
{
	ax_stmt *s;
	struct ax_campaign *v = NULL;
	int cap = 0, src;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__dprepare(st, &s,
	                      "SELECT id, name, survey, survey_version, packs, scope, "
	                      "starts_at, ends_at, quiet_start, quiet_end, "
	                      "pace_per_min, daily_cap, coverage_kinds, wave, "
	                      "created_at, closed_at, sample_n, strata, seed FROM "
	                      "campaigns WHERE ?1 = 0 OR "
	                      "(closed_at IS NULL AND starts_at <= ?2 AND ends_at > "
	                      "?2) ORDER BY created_at, id")))
		return rc;
	ax_stmt_bind_int64(s, 1, active_only);
	ax_stmt_bind_int64(s, 2, now);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_campaign *c;
		if (*n == cap) {
			struct ax_campaign *nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 8));
			if (!nv) {
				free(v);
				ax_stmt_finalize(s);
				*n = 0;
				return AX_NOMEM;
			}
			v = nv;
		}
		c = &v[(*n)++];
		memset(c, 0, sizeof *c);
#define COL(i) (ax_stmt_is_null(s, i) ? "" : ax_stmt_text(s, i))
		snprintf(c->id, sizeof c->id, "%s", COL(0));
		snprintf(c->name, sizeof c->name, "%s", COL(1));
		snprintf(c->survey, sizeof c->survey, "%s", COL(2));
		c->survey_version = (int)ax_stmt_int64(s, 3);
		snprintf(c->packs, sizeof c->packs, "%s", COL(4));
		snprintf(c->scope, sizeof c->scope, "%s", COL(5));
		c->starts_at = ax_stmt_int64(s, 6);
		c->ends_at = ax_stmt_int64(s, 7);
		c->quiet_start = (int)ax_stmt_int64(s, 8);
		c->quiet_end = (int)ax_stmt_int64(s, 9);
		c->pace_per_min = (int)ax_stmt_int64(s, 10);
		c->daily_cap = (int)ax_stmt_int64(s, 11);
		c->coverage_kinds = ax_contact_kinds_parse(COL(12));
		snprintf(c->wave, sizeof c->wave, "%s", COL(13));
		c->created_at = ax_stmt_int64(s, 14);
		c->closed_at = ax_stmt_int64(s, 15);
		c->sample_n = (int)ax_stmt_int64(s, 16);
		c->strata = c->sample_n > 0 ? ax_strata_parse(COL(17)) : 0;
		c->seed = ax_stmt_int64(s, 18);
#undef COL
	}
	if (src != AX_DB_DONE) {
		rc = ax__store_dberr(st, "campaigns");
		ax_stmt_finalize(s);
		free(v);
		*n = 0;
		return rc;
	}
	ax_stmt_finalize(s);
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
	ax_stmt *s;
	json_t *j = NULL;
	if (ax__dprepare(st, &s, sql))
		return NULL;
	ax_stmt_bind_text(s, 1, id);
	if (v)
		ax_stmt_bind_int64(s, 2, v);
	if (ax_stmt_step(s) == AX_DB_ROW)
		j = json_loads(ax_stmt_text(s, 0), 0, NULL);
	ax_stmt_finalize(s);
	return j;
}

/* A sampled campaign's draw as a device needs it: the households drawn
 * in the device's scope (sorted, so a device can search them; none when
 * device_scope is NULL: a kiosk), the size, strata and seed.  A gateway
 * contacts only these.  0, or -1 on error. */
static int add_sample(ax_store *st, json_t *o, const struct ax_campaign *c,
                      const char *device_scope)
{
	ax_stmt *s;
	json_t *smp = json_object(), *ids = json_array();
	int src = AX_DB_DONE;

	if (!device_scope)
		goto done;
	if (ax__dprepare(st, &s, "SELECT x.household, h.grid FROM campaign_sample x "
	                        "JOIN households h ON h.id = x.household WHERE "
	                        "x.campaign = ? ORDER BY x.household")) {
		json_decref(smp);
		json_decref(ids);
		return -1;
	}
	ax_stmt_bind_text(s, 1, c->id);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW)
		if (ax_scope_covers(device_scope, ax_stmt_text(s, 1)))
			json_array_append_new(ids, json_string(ax_stmt_text(s, 0)));
	if (src != AX_DB_DONE)
		ax__store_dberr(st, "campaign sample");
	ax_stmt_finalize(s);
	if (src != AX_DB_DONE) {
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
