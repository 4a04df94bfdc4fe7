/*
 * campaign_doc.c -- the campaigns document a device receives, decoded
 * once (see campaign.h).  The packs and surveys in it go through the
 * same loader and lint as files on disk, so a device never runs content
 * the central store would refuse.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "anxin/campaign.h"
#include "anxin/records.h"
#include "anxin/sample.h"
#include "anxin/sync.h"
#include "content_int.h"

/* The drawn households of a sampled campaign in the device's scope,
 * sorted for bsearch. */
struct doc_sample {
	char **ids;
	size_t n;
};

struct ax_campaign_doc {
	struct ax_campaign *camps;
	struct doc_sample *samples; /* parallel to camps */
	int n;
	ax_content *content;
	int has_pk;
	unsigned char pk[AX_PUBKEY_BYTES];
};

int ax_campaign_live(const struct ax_campaign *c, long long now)
{
	return !c->closed_at && (!c->starts_at || now >= c->starts_at) &&
	       (!c->ends_at || now < c->ends_at);
}

static void str_field(json_t *o, const char *key, char *dst, size_t n)
{
	const char *v = json_string_value(json_object_get(o, key));
	if (v)
		snprintf(dst, n, "%s", v);
}

static void int_field(json_t *o, const char *key, int *dst)
{
	json_t *v = json_object_get(o, key);
	if (json_is_integer(v))
		*dst = (int)json_integer_value(v);
}

/* The pack ids of a campaign, comma-joined; ids that do not fit are left
 * out (a campaign names a few packs). */
static void packs_field(json_t *o, char *dst, size_t n)
{
	json_t *pl = json_object_get(o, "packs"), *pj;
	size_t used = 0, i;

	dst[0] = '\0';
	json_array_foreach(pl, i, pj) {
		const char *pid = json_string_value(pj);
		int w;
		if (!pid)
			continue;
		w = snprintf(dst + used, n - used, "%s%s", used ? "," : "", pid);
		if (w < 0 || used + (size_t)w >= n) {
			dst[used] = '\0';
			break;
		}
		used += (size_t)w;
	}
}

static void decode_campaign(json_t *o, struct ax_campaign *c)
{
	json_t *kinds = json_object_get(o, "coverage_kinds"), *k;
	size_t i;

	ax_campaign_defaults(c);
	str_field(o, "id", c->id, sizeof c->id);
	str_field(o, "name", c->name, sizeof c->name);
	str_field(o, "survey", c->survey, sizeof c->survey);
	str_field(o, "scope", c->scope, sizeof c->scope);
	str_field(o, "wave", c->wave, sizeof c->wave);
	int_field(o, "survey_version", &c->survey_version);
	int_field(o, "quiet_start", &c->quiet_start);
	int_field(o, "quiet_end", &c->quiet_end);
	int_field(o, "pace_per_min", &c->pace_per_min);
	int_field(o, "daily_cap", &c->daily_cap);
	packs_field(o, c->packs, sizeof c->packs);
	c->starts_at = json_integer_value(json_object_get(o, "starts_at"));
	c->ends_at = json_integer_value(json_object_get(o, "ends_at"));
	if (json_is_array(kinds)) {
		int mask = 0;
		json_array_foreach(kinds, i, k) {
			int bit = json_is_string(k)
			              ? ax_contact_kinds_parse(json_string_value(k))
			              : -1;
			if (bit > 0)
				mask |= bit;
		}
		if (mask)
			c->coverage_kinds = mask;
	}
	if (!c->wave[0])
		snprintf(c->wave, sizeof c->wave, "%s", c->id);
}

static int cmp_id(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sampled campaign's "sample" (sample_n, strata, seed and the drawn
 * households) into c and ds.  A campaign whose sample does not decode
 * keeps sample_n > 0 with no households: a gateway then contacts nobody
 * rather than the whole scope.  0, or -1 when out of memory. */
static int decode_sample(json_t *o, struct ax_campaign *c, struct doc_sample *ds)
{
	json_t *smp = json_object_get(o, "sample"), *ids, *h;
	size_t i;

	memset(ds, 0, sizeof *ds);
	if (!json_is_object(smp))
		return 0;
	int_field(smp, "n", &c->sample_n);
	if (c->sample_n <= 0)
		c->sample_n = 1;
	c->strata = ax_strata_parse(json_string_value(json_object_get(smp, "strata")));
	c->seed = json_integer_value(json_object_get(smp, "seed"));
	ids = json_object_get(smp, "households");
	if (!json_array_size(ids))
		return 0;
	if (!(ds->ids = calloc(json_array_size(ids), sizeof *ds->ids)))
		return -1;
	json_array_foreach(ids, i, h) {
		if (!json_is_string(h))
			continue;
		if (!(ds->ids[ds->n] = strdup(json_string_value(h))))
			return -1;
		ds->n++;
	}
	qsort(ds->ids, ds->n, sizeof *ds->ids, cmp_id);
	return 0;
}

static void free_sample(struct doc_sample *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		free(ds->ids[i]);
	free(ds->ids);
	memset(ds, 0, sizeof *ds);
}

/* Load every member of obj as `kind` into d->content. */
static void load_content(ax_campaign_doc *d, json_t *obj, const char *kind,
                         ax_diag_fn diag, void *dctx)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char name[160];
		char *text = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
		snprintf(name, sizeof name, "campaigns.json:%ss/%s", kind, key);
		if (text)
			ax__content_load_one(d->content, name, kind, text, NULL, diag,
			                     dctx);
		free(text);
	}
}

ax_rc ax_campaign_doc_parse(const char *text, size_t len, ax_diag_fn diag,
                            void *dctx, ax_campaign_doc **out, char *err,
                            size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je), *arr, *o, *pk;
	ax_campaign_doc *d;
	size_t i;

	*out = NULL;
	arr = json_is_array(root) ? root : json_object_get(root, "campaigns");
	if (!json_is_array(arr)) {
		snprintf(err, errlen, "not a campaigns document: %s",
		         root ? "expected {\"campaigns\":[...]}" : je.text);
		json_decref(root);
		return AX_INVALID;
	}
	if (!(d = calloc(1, sizeof *d)) || !(d->content = ax__content_new()) ||
	    (json_array_size(arr) &&
	     (!(d->camps = calloc(json_array_size(arr), sizeof *d->camps)) ||
	      !(d->samples = calloc(json_array_size(arr), sizeof *d->samples))))) {
		ax_campaign_doc_free(d);
		json_decref(root);
		snprintf(err, errlen, "out of memory");
		return AX_NOMEM;
	}
	/* packs first: a survey's questions may name them */
	load_content(d, json_object_get(root, "packs"), "pack", diag, dctx);
	load_content(d, json_object_get(root, "surveys"), "survey", diag, dctx);
	json_array_foreach(arr, i, o) {
		struct ax_campaign *c = &d->camps[d->n];
		int dup = 0;
		decode_campaign(o, c);
		if (decode_sample(o, c, &d->samples[d->n])) {
			free_sample(&d->samples[d->n]);
			ax_campaign_doc_free(d);
			json_decref(root);
			snprintf(err, errlen, "out of memory");
			return AX_NOMEM;
		}
		for (int k = 0; k < d->n; k++)
			dup |= strcmp(d->camps[k].id, c->id) == 0;
		if (c->id[0] && !dup)
			d->n++;
		else
			free_sample(&d->samples[d->n]);
	}
	pk = json_object_get(root, "seal_public_key");
	if (json_is_string(pk)) {
		size_t n = 0;
		const char *s = json_string_value(pk);
		d->has_pk = sodium_base642bin(d->pk, sizeof d->pk, s, strlen(s), NULL,
		                              &n, NULL,
		                              sodium_base64_VARIANT_ORIGINAL) == 0 &&
		            n == sizeof d->pk;
	}
	json_decref(root);
	*out = d;
	return AX_OK;
}

ax_rc ax_campaign_doc_cached(ax_store *st, ax_campaign_doc **out)
{
	char *text = NULL, err[256];
	ax_rc rc;

	*out = NULL;
	if ((rc = ax_sync_cached(st, "campaigns.json", &text)) != AX_OK)
		return rc;
	if (!text)
		return AX_NOTFOUND;
	rc = ax_campaign_doc_parse(text, strlen(text), NULL, NULL, out, err,
	                           sizeof err);
	if (rc)
		ax__store_seterr(st, "cached campaigns.json: %s", err);
	ax_free(text);
	return rc;
}

ax_rc ax_campaign_doc_from_store(ax_store *st, const char *device_scope,
                                 long long now, ax_campaign_doc **out)
{
	char *text = ax_campaigns_json(st, device_scope, now), err[256];
	ax_rc rc;

	*out = NULL;
	if (!text)
		return AX_ERROR;
	rc = ax_campaign_doc_parse(text, strlen(text), NULL, NULL, out, err,
	                           sizeof err);
	if (rc)
		ax__store_seterr(st, "campaigns: %s", err);
	ax_free(text);
	return rc;
}

void ax_campaign_doc_free(ax_campaign_doc *d)
{
	if (!d)
		return;
	ax_content_free(d->content);
	for (int i = 0; d->samples && i < d->n; i++)
		free_sample(&d->samples[i]);
	free(d->samples);
	free(d->camps);
	sodium_memzero(d->pk, sizeof d->pk);
	free(d);
}

int ax_campaign_doc_count(const ax_campaign_doc *d) { return d ? d->n : 0; }

const struct ax_campaign *ax_campaign_doc_at(const ax_campaign_doc *d, int i)
{
	return d && i >= 0 && i < d->n ? &d->camps[i] : NULL;
}

const ax_content *ax_campaign_doc_content(const ax_campaign_doc *d)
{
	return d ? d->content : NULL;
}

int ax_campaign_doc_sampled(const ax_campaign_doc *d, const char *id,
                            const char *household)
{
	for (int i = 0; d && i < d->n; i++) {
		const struct doc_sample *ds = &d->samples[i];
		if (strcmp(d->camps[i].id, id) != 0)
			continue;
		if (d->camps[i].sample_n <= 0)
			return -1;
		return ds->n && bsearch(&household, ds->ids, ds->n, sizeof *ds->ids,
		                        cmp_id) != NULL;
	}
	return -1;
}

int ax_campaign_doc_seal_key(const ax_campaign_doc *d,
                             unsigned char pk[AX_PUBKEY_BYTES])
{
	if (!d || !d->has_pk)
		return 0;
	memcpy(pk, d->pk, AX_PUBKEY_BYTES);
	return 1;
}

/* ==== narration from a folder =========================================== */
/* The folder's copy of file (in sub, arena-kept), or NULL if it has none. */
static const char *narration_in(ax_content *c, const char *dir, const char *sub,
                                const char *file, int *found)
{
	char path[1024];
	struct stat sb;
	if (!file)
		return NULL;
	snprintf(path, sizeof path, "%s/%s/%s", dir, sub, file);
	if (strstr(file, "..") || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return NULL;
	(*found)++;
	snprintf(path, sizeof path, "%s/%s", dir, sub);
	return ax__arena_strdup(&c->arena, path);
}

int ax_campaign_doc_narration(ax_campaign_doc *d, const char *dir)
{
	ax_content *c = d ? d->content : NULL;
	int found = 0;
	char sub[256];
	if (!c || !dir)
		return 0;
	/* the content is d's own (ax__content_load_one): its lists may be
	 * written here */
	for (int i = 0; i < c->npacks; i++) {
		struct ax_pack *p = &c->packs[i];
		struct ax_page *pg = (struct ax_page *)p->pages;
		struct ax_question *q = (struct ax_question *)p->questions;
		char full[1024];
		snprintf(sub, sizeof sub, "packs/%s", p->id);
		snprintf(full, sizeof full, "%s/%s", dir, sub);
		p->dir = ax__arena_strdup(&c->arena, full);
		for (int k = 0; k < p->npages; k++)
			if (!narration_in(c, dir, sub, pg[k].audio, &found))
				pg[k].audio = NULL;
		for (int k = 0; k < p->nquestions; k++)
			if (!(q[k].audio_dir = narration_in(c, dir, sub, q[k].audio, &found)))
				q[k].audio = NULL;
	}
	for (int i = 0; i < c->nsurveys; i++) {
		struct ax_question *q = (struct ax_question *)c->surveys[i].questions;
		for (int k = 0; k < c->surveys[i].nquestions; k++) {
			const char *slash = q[k].ref ? strchr(q[k].ref, '/') : NULL;
			if (slash)
				snprintf(sub, sizeof sub, "packs/%.*s", (int)(slash - q[k].ref), q[k].ref);
			else
				snprintf(sub, sizeof sub, "surveys");
			if (!(q[k].audio_dir = narration_in(c, dir, sub, q[k].audio, &found)))
				q[k].audio = NULL;
		}
	}
	return found;
}
