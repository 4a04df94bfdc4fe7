/*
 * gw_campaign.c -- what gw_step works from, reloaded every five minutes
 * (or on gw_reload): the active campaigns (the store's and central's
 * cached document, decoded by libanxin: ax_campaign_doc), their surveys
 * and pack digests, and the households of their scopes from the cached
 * roster slices, with a phone index.
 */
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/auth.h"
#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/sample.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "gw_int.h"

static int cmp_ix(const void *a, const void *b)
{
	return strcmp(((const struct phone_ix *)a)->phone,
	              ((const struct phone_ix *)b)->phone);
}

/* ---- households by id ----------------------------------------------------
 * Open addressing over g->hhs, a power-of-two table at most half full:
 * a linear scan per household of a slice made every load quadratic in
 * the roster (100,000 households: most of bench_smsd's start phase). */
static unsigned hh_hash(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static int find_hh(gw_gateway *g, const char *id)
{
	unsigned mask = (unsigned)g->hh_nslots - 1, i;
	if (!g->hh_nslots)
		return -1;
	for (i = hh_hash(id) & mask; g->hh_slots[i] >= 0; i = (i + 1) & mask)
		if (strcmp(g->hhs[g->hh_slots[i]].id, id) == 0)
			return g->hh_slots[i];
	return -1;
}

static void hh_slot_put(gw_gateway *g, int ix)
{
	unsigned mask = (unsigned)g->hh_nslots - 1, i;
	for (i = hh_hash(g->hhs[ix].id) & mask; g->hh_slots[i] >= 0; i = (i + 1) & mask)
		;
	g->hh_slots[i] = ix;
}

/* A new, zeroed household at the end of g->hhs with id, indexed: its
 * index, or -1 when out of memory. */
static int add_hh(gw_gateway *g, const char *id)
{
	int ix;
	if (g->nhh == g->hh_cap) {
		int cap = g->hh_cap ? g->hh_cap * 2 : 256;
		struct hh *n = realloc(g->hhs, (size_t)cap * sizeof *n);
		if (!n)
			return -1;
		g->hhs = n;
		g->hh_cap = cap;
	}
	if ((g->nhh + 1) * 2 > g->hh_nslots) {
		int n = g->hh_nslots ? g->hh_nslots * 2 : 512, k;
		int *slots = malloc((size_t)n * sizeof *slots);
		if (!slots)
			return -1;
		free(g->hh_slots);
		g->hh_slots = slots;
		g->hh_nslots = n;
		for (k = 0; k < n; k++)
			slots[k] = -1;
		for (k = 0; k < g->nhh; k++)
			hh_slot_put(g, k);
	}
	ix = g->nhh++;
	memset(&g->hhs[ix], 0, sizeof g->hhs[ix]);
	snprintf(g->hhs[ix].id, sizeof g->hhs[ix].id, "%s", id);
	hh_slot_put(g, ix);
	return ix;
}

/*
 * The cached roster slice of a region that covers `code`, when the slice
 * of `code` itself was never pulled: a gateway whose sync pulls the
 * county (or its township) still reaches the households of a campaign
 * scoped to one of its townships or villages.  Region codes are 12 digits
 * (province 2, prefecture 2, county 2, township 3, village 3; grids extend
 * a village's): the ancestors are the code cut at 12, 9, 6, 4 and 2 digits
 * and padded with zeros.  Returns `code` (to filter the slice's households
 * by) with *text set, or NULL.
 */
static const char *covering_slice(gw_gateway *g, const char *code, char **text)
{
	static const size_t cuts[] = {12, 9, 6, 4, 2};
	size_t len = strlen(code), i;

	*text = NULL;
	for (i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
		char anc[32], key[128];
		if (len < 12 || cuts[i] >= len)
			continue;
		snprintf(anc, sizeof anc, "%.*s%.*s", (int)cuts[i], code,
		         (int)(12 - (cuts[i] < 12 ? cuts[i] : 12)), "000000000000");
		if (strcmp(anc, code) == 0 || !ax_region_covers(anc, code))
			continue;
		snprintf(key, sizeof key, "roster.%s.json", anc);
		if (ax_sync_cached(g->st, key, text) == AX_OK && *text)
			return code;
	}
	return NULL;
}

static int add_slice(gw_gateway *g, struct camp *cp, const char *text,
                     const char *within)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je), *arr, *h;
	size_t i, k;

	if (!doc)
		return -1;
	arr = json_object_get(doc, "households");
	json_array_foreach(arr, i, h)
	{
		const char *id = json_string_value(json_object_get(h, "id"));
		json_t *phones = json_object_get(h, "phones"), *p;
		const char *grid = json_string_value(json_object_get(h, "grid"));
		int ix;
		if (!id)
			continue;
		if (within && (!grid || !ax_region_covers(within, grid)))
			continue;
		ix = find_hh(g, id);
		if (ix < 0) {
			int *mm;
			if ((ix = add_hh(g, id)) < 0)
				goto nomem;
			snprintf(g->hhs[ix].grid, sizeof g->hhs[ix].grid, "%s",
			         json_string_value(json_object_get(h, "grid"))
			             ? json_string_value(json_object_get(h, "grid"))
			             : "");
			g->hhs[ix].active = !json_is_false(json_object_get(h, "active"));
			json_array_foreach(phones, k, p)
			{
				if (json_is_string(p) && g->hhs[ix].nphones < 4)
					snprintf(g->hhs[ix].phones[g->hhs[ix].nphones++],
					         AX_PHONE_MAX, "%s", json_string_value(p));
			}
			mm = realloc(cp->members, (size_t)(cp->nmembers + 1) * sizeof *mm);
			if (!mm)
				goto nomem;
			cp->members = mm;
			cp->members[cp->nmembers++] = ix;
		} else {
			int j, dup = 0;
			for (j = 0; j < cp->nmembers; j++)
				dup |= cp->members[j] == ix;
			if (!dup) {
				int *mm = realloc(cp->members,
				                  (size_t)(cp->nmembers + 1) * sizeof *mm);
				if (!mm)
					goto nomem;
				cp->members = mm;
				cp->members[cp->nmembers++] = ix;
			}
		}
	}
	json_decref(doc);
	return 0;
nomem:
	json_decref(doc);
	return -1;
}

void gw__free_loaded(gw_gateway *g)
{
	int i;
	for (i = 0; i < g->ncamps; i++) {
		gw_fsurvey_free(g->camps[i].fs);
		free(g->camps[i].members);
		free(g->camps[i].started);
		free(g->camps[i].order);
		free(g->camps[i].digests);
		free(g->camps[i].digested);
		free(g->camps[i].digest_at);
	}
	for (i = 0; i < g->ndocs; i++)
		ax_campaign_doc_free(g->docs[i]);
	free(g->docs);
	g->docs = NULL;
	g->ndocs = 0;
	free(g->camps);
	g->camps = NULL;
	g->ncamps = 0;
	free(g->hhs);
	g->hhs = NULL;
	g->nhh = g->hh_cap = 0;
	free(g->hh_slots);
	g->hh_slots = NULL;
	g->hh_nslots = 0;
	free(g->ix);
	g->ix = NULL;
	g->nix = 0;
	ax_content_free(g->content);
	g->content = NULL;
}

/* Keep d (transferred) in g->docs until the next load: 0, or -1 (d freed). */
static int keep_doc(gw_gateway *g, ax_campaign_doc *d)
{
	ax_campaign_doc **nd = realloc(g->docs, (size_t)(g->ndocs + 1) * sizeof *nd);
	if (!nd) {
		ax_campaign_doc_free(d);
		return -1;
	}
	g->docs = nd;
	g->docs[g->ndocs++] = d;
	return 0;
}

/* Campaigns of the central server's cached document (ax_sync_pull) that
 * run now and are not in the list yet.  Its packs stay in g->docs[0]
 * (NULL when the gateway never pulled: no central). */
static int cached_campaigns(gw_gateway *g, struct ax_campaign **list, int *n,
                            long long now)
{
	ax_campaign_doc *d = NULL;
	int i, k;

	if (ax_campaign_doc_cached(g->st, &d) != AX_OK)
		d = NULL; /* never pulled, or a document that does not decode */
	if (keep_doc(g, d))
		return -1;
	for (i = 0; d && i < ax_campaign_doc_count(d); i++) {
		const struct ax_campaign *c = ax_campaign_doc_at(d, i);
		struct ax_campaign *nl;
		int dup = 0;
		for (k = 0; k < *n; k++)
			dup |= strcmp((*list)[k].id, c->id) == 0;
		if (dup || !ax_campaign_live(c, now))
			continue;
		nl = realloc(*list, (size_t)(*n + 1) * sizeof *nl);
		if (!nl)
			return -1;
		*list = nl;
		(*list)[(*n)++] = *c;
	}
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Which members of each campaign already have a conversation: one query
 * per campaign at load, so a pass does not ask SQLite about every
 * household of the scope again (O(households) queries per pass). */
static int mark_started(gw_gateway *g)
{
	int i, k;
	for (i = 0; i < g->ncamps; i++) {
		struct camp *cp = &g->camps[i];
		sqlite3_stmt *q;
		char **ids = NULL;
		int n = 0, cap = 0;
		cp->started = calloc((size_t)(cp->nmembers ? cp->nmembers : 1), 1);
		if (!cp->started)
			return -1;
		if (sqlite3_prepare_v2(g->db, "SELECT household FROM conv WHERE campaign=?",
		                       -1, &q, NULL) != SQLITE_OK)
			return -1;
		sqlite3_bind_text(q, 1, cp->c.id, -1, SQLITE_STATIC);
		while (sqlite3_step(q) == SQLITE_ROW) {
			if (n == cap) {
				char **ni;
				cap = cap ? cap * 2 : 256;
				ni = realloc(ids, (size_t)cap * sizeof *ni);
				if (!ni)
					break;
				ids = ni;
			}
			ids[n] = strdup((const char *)sqlite3_column_text(q, 0));
			if (!ids[n])
				break;
			n++;
		}
		sqlite3_finalize(q);
		if (n)
			qsort(ids, (size_t)n, sizeof *ids, cmp_str);
		for (k = 0; k < cp->nmembers; k++) {
			const char *id = g->hhs[cp->members[k]].id;
			cp->started[k] =
			    n && bsearch(&id, ids, (size_t)n, sizeof *ids, cmp_str) != NULL;
		}
		for (k = 0; k < n; k++)
			free(ids[k]);
		free(ids);
	}
	return 0;
}

/* Pack pid in the loaded documents, or NULL. */
static const struct ax_pack *find_pack(gw_gateway *g, const char *pid)
{
	int i;
	for (i = 0; i < g->ndocs; i++) {
		const struct ax_pack *p =
		    g->docs[i] ? ax_content_find_pack(ax_campaign_doc_content(g->docs[i]),
		                                      pid)
		               : NULL;
		if (p)
			return p;
	}
	return NULL;
}

/*
 * The digests of a campaign's packs, in the campaign's pack order.  A
 * pack comes from central's cached campaigns document, else from the
 * document the store itself would serve for the campaign's scope
 * (ax_campaign_doc_from_store: the installed packs), decoded once per
 * campaign that needs it.  A pack found in neither is skipped until a
 * reload finds it (its households are not marked done).
 * Returns 0, 1 when a pack was missing, -1 on allocation failure.
 */
static int load_digests(gw_gateway *g, struct camp *cp, long long now)
{
	char buf[sizeof cp->c.packs], *save = NULL, *pid;
	int tried_store = 0, missing = 0, k;

	snprintf(buf, sizeof buf, "%s", cp->c.packs);
	for (pid = strtok_r(buf, ",", &save); pid; pid = strtok_r(NULL, ",", &save)) {
		const struct ax_pack *pack = find_pack(g, pid);
		if (!pack && !tried_store) {
			ax_campaign_doc *d = NULL;
			tried_store = 1;
			if (ax_campaign_doc_from_store(g->st, cp->c.scope, now, &d) == AX_OK &&
			    keep_doc(g, d))
				return -1;
			pack = find_pack(g, pid);
		}
		if (!pack) {
			missing = 1;
			continue;
		}
		for (k = 0; k < pack->ndigests; k++) {
			const struct ax_digest *dg = &pack->digests[k];
			struct digest *nd;
			if (!dg->id || !dg->text || !*dg->text)
				continue;
			nd = realloc(cp->digests, (size_t)(cp->ndigests + 1) * sizeof *nd);
			if (!nd)
				return -1;
			cp->digests = nd;
			nd[cp->ndigests].pack = pack->id;
			nd[cp->ndigests].id = dg->id;
			nd[cp->ndigests++].text = dg->text;
		}
	}
	return missing;
}

/* Which members already have every digest of their campaign queued: one
 * query per campaign with packs, as mark_started. */
static int mark_digested(gw_gateway *g)
{
	int i, k;
	for (i = 0; i < g->ncamps; i++) {
		struct camp *cp = &g->camps[i];
		sqlite3_stmt *q;
		cp->digested = calloc((size_t)(cp->nmembers ? cp->nmembers : 1), 1);
		cp->digest_at = calloc((size_t)(cp->nmembers ? cp->nmembers : 1),
		                       sizeof *cp->digest_at);
		if (!cp->digested || !cp->digest_at)
			return -1;
		if (!cp->ndigests) {
			cp->all_digested = 1;
			continue;
		}
		if (sqlite3_prepare_v2(g->db,
		                       "SELECT COUNT(*) FROM digests WHERE campaign=?"
		                       " AND household=?",
		                       -1, &q, NULL) != SQLITE_OK)
			return -1;
		for (k = 0; k < cp->nmembers; k++) {
			sqlite3_reset(q);
			sqlite3_bind_text(q, 1, cp->c.id, -1, SQLITE_STATIC);
			sqlite3_bind_text(q, 2, g->hhs[cp->members[k]].id, -1, SQLITE_STATIC);
			if (sqlite3_step(q) == SQLITE_ROW)
				cp->digested[k] = sqlite3_column_int(q, 0) >= cp->ndigests;
		}
		sqlite3_finalize(q);
	}
	return 0;
}

/* A sampled 测评 campaign reaches only its drawn households: the other
 * members of its scope are dropped.  The draw comes from central's
 * document, else from the store the campaign was created in; a household
 * neither names is not contacted (never the whole scope by mistake). */
static void keep_sampled(gw_gateway *g, struct camp *cp)
{
	const ax_campaign_doc *d = g->ndocs ? g->docs[0] : NULL;
	int k, kept = 0;

	for (k = 0; k < cp->nmembers; k++) {
		const char *id = g->hhs[cp->members[k]].id;
		int in = ax_campaign_doc_sampled(d, cp->c.id, id);
		if (in < 0)
			in = ax_sample_has(g->st, cp->c.id, id);
		if (in > 0)
			cp->members[kept++] = cp->members[k];
	}
	cp->nmembers = kept;
}

ax_rc gw__load(gw_gateway *g)
{
	struct ax_campaign *list = NULL;
	long long now = gw_now(g);
	int n = 0, i, k, nerr = 0;
	ax_rc rc;

	(void)nerr;
	gw__free_loaded(g);
	rc = ax_content_load_store(g->st, &g->content);
	if (rc != AX_OK) {
		gw__seterr(g, "loading surveys: %s", ax_store_errmsg(g->st));
		return rc;
	}
	rc = ax_campaign_list(g->st, 1, now, &list, &n);
	if (rc != AX_OK) {
		gw__seterr(g, "loading campaigns: %s", ax_store_errmsg(g->st));
		return rc;
	}
	if (cached_campaigns(g, &list, &n, now)) {
		ax_free(list);
		return AX_NOMEM;
	}
	g->camps = calloc((size_t)(n ? n : 1), sizeof *g->camps);
	if (!g->camps) {
		ax_free(list);
		return AX_NOMEM;
	}
	for (i = 0; i < n; i++) {
		struct camp *cp = &g->camps[g->ncamps++];
		char scope[AX_SCOPE_MAX], *save = NULL, *code;
		cp->c = list[i];
		if (cp->c.survey[0]) {
			const struct ax_survey *s = ax_content_find_survey(
			    g->content, cp->c.survey, cp->c.survey_version);
			if (!s || gw_fsurvey_new(s, &cp->fs) != AX_OK)
				cp->fs = NULL;
		}
		if (cp->c.packs[0] && load_digests(g, cp, now) < 0) {
			ax_free(list);
			return AX_NOMEM;
		}
		snprintf(scope, sizeof scope, "%s", cp->c.scope);
		for (code = strtok_r(scope, ",", &save); code;
		     code = strtok_r(NULL, ",", &save)) {
			char key[128], *text = NULL;
			const char *within = NULL;
			snprintf(key, sizeof key, "roster.%s.json", code);
			if (ax_sync_cached(g->st, key, &text) != AX_OK || !text)
				within = covering_slice(g, code, &text);
			if (!text)
				text = ax_roster_slice_json(g->st, code);
			if (text && add_slice(g, cp, text, within) < 0) {
				ax_free(text);
				ax_free(list);
				return AX_NOMEM;
			}
			ax_free(text);
		}
		if (cp->c.sample_n > 0)
			keep_sampled(g, cp);
	}
	/* free() is what ax_free() does: libanxin allocates with malloc */
	ax_free(list);
	for (i = 0; i < g->nhh; i++)
		g->nix += g->hhs[i].nphones;
	g->ix = calloc((size_t)(g->nix ? g->nix : 1), sizeof *g->ix);
	if (!g->ix)
		return AX_NOMEM;
	g->nix = 0;
	for (i = 0; i < g->nhh; i++)
		for (k = 0; k < g->hhs[i].nphones; k++) {
			snprintf(g->ix[g->nix].phone, AX_PHONE_MAX, "%s", g->hhs[i].phones[k]);
			g->ix[g->nix++].hh = i;
		}
	qsort(g->ix, (size_t)g->nix, sizeof *g->ix, cmp_ix);
	if (mark_started(g) < 0 || mark_digested(g) < 0)
		return AX_NOMEM;
	gw__optouts_sync(g); /* the county's opt-outs, from central */
	g->loaded_at = now;
	g->reload = 0;
	return AX_OK;
}

void gw_reload(gw_gateway *g) { g->reload = 1; }

int gw__find_hh(gw_gateway *g, const char *id) { return find_hh(g, id); }

/* Households of a number: the loaded slices, else the store's roster.
 * A number may be listed for several households (a son's number for his
 * parents too): how many (2 meaning "more than one" from the store), hh
 * and grid of the first. */
int gw__lookup_phone(gw_gateway *g, const char *phone, char hh[64],
                     char grid[32])
{
	struct phone_ix key, *f;
	ax_rc rc;
	snprintf(key.phone, sizeof key.phone, "%s", phone);
	f = g->nix ? bsearch(&key, g->ix, (size_t)g->nix, sizeof *g->ix, cmp_ix)
	           : NULL;
	if (f) {
		struct phone_ix *a = f, *b = f;
		while (a > g->ix && strcmp(a[-1].phone, phone) == 0)
			a--;
		while (b + 1 < g->ix + g->nix && strcmp(b[1].phone, phone) == 0)
			b++;
		snprintf(hh, 64, "%s", g->hhs[a->hh].id);
		snprintf(grid, 32, "%s", g->hhs[a->hh].grid);
		return (int)(b - a) + 1;
	}
	rc = ax_roster_find_phone(g->st, phone, hh);
	if (rc == AX_CONFLICT)
		return 2;
	if (rc == AX_OK) {
		int ix = find_hh(g, hh);
		snprintf(grid, 32, "%s", ix >= 0 ? g->hhs[ix].grid : "");
		return 1;
	}
	return 0;
}

struct camp *gw__find_camp(gw_gateway *g, const char *id)
{
	int i;
	for (i = 0; i < g->ncamps; i++)
		if (strcmp(g->camps[i].c.id, id) == 0)
			return &g->camps[i];
	return NULL;
}
