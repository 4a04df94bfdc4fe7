/*
 * sample.c -- drawing a sampled 测评 campaign's households and reading the
 * draw back (sample.h has the design: frame, strata, allocation,
 * permanent random numbers).
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/auth.h"
#include "anxin/campaign.h"
#include "anxin/sample.h"
#include "anxin_int.h"
#include "db.h"

int ax_strata_parse(const char *name)
{
	if (name && strcmp(name, "township") == 0)
		return AX_STRATA_TOWNSHIP;
	if (name && strcmp(name, "village") == 0)
		return AX_STRATA_VILLAGE;
	return -1;
}

const char *ax_strata_name(int strata)
{
	return strata == AX_STRATA_TOWNSHIP  ? "township"
	       : strata == AX_STRATA_VILLAGE ? "village"
	                                     : "";
}

/* ---- the draw ------------------------------------------------------------ */

/* a step result beside the statement layer's: out of memory mid-read */
#define NOMEM (-2)

struct frame_hh {
	char id[64];
	char stratum[24];
	unsigned long long key; /* permanent random number */
};

static unsigned long long fnv1a64(const char *s)
{
	unsigned long long h = 14695981039346656037ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static unsigned long long splitmix64(unsigned long long z)
{
	z += 0x9E3779B97F4A7C15ULL;
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* The stratum of a grid (or village) code: cut to the township's 9 or the
 * village's 12 digits, padded to 12 with zeros. */
static void stratum_of(const char *grid, int strata, char out[24])
{
	size_t keep = strata == AX_STRATA_TOWNSHIP ? 9 : 12;
	snprintf(out, 24, "%.*s%.*s", (int)keep, grid,
	         (int)(12 - (strlen(grid) < keep ? strlen(grid) : keep)),
	         "000000000000");
}

static int cmp_frame(const void *a, const void *b)
{
	const struct frame_hh *x = a, *y = b;
	int c = strcmp(x->stratum, y->stratum);
	if (c)
		return c;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return strcmp(x->id, y->id);
}

/* Strata in the order their leftover units go: largest fractional part
 * of n N_h / N first (compared exactly as the remainders of n N_h mod
 * N), then the larger frame, then the lower code. */
struct alloc {
	const char *code;
	long long frame, sample, rem;
	int first; /* index of its first household in the sorted frame */
};

static int cmp_alloc(const void *a, const void *b)
{
	const struct alloc *x = a, *y = b;
	if (x->rem != y->rem)
		return x->rem > y->rem ? -1 : 1;
	if (x->frame != y->frame)
		return x->frame > y->frame ? -1 : 1;
	return strcmp(x->code, y->code);
}

static ax_rc read_frame(ax_store *st, const struct ax_campaign *c,
                        struct frame_hh **out, long long *n)
{
	ax_stmt *s;
	struct frame_hh *v = NULL;
	long long cap = 0;
	int src;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__dprepare(st, &s,
	                       "SELECT h.id, h.grid FROM households h WHERE h.active "
	                       "= 1 AND EXISTS(SELECT 1 FROM household_phones p WHERE "
	                       "p.household = h.id)")))
		return rc;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		const char *id = ax_stmt_text(s, 0);
		const char *grid = ax_stmt_text(s, 1);
		struct frame_hh *f;
		if (!ax_scope_covers(c->scope, grid))
			continue;
		if (*n == cap) {
			struct frame_hh *nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 1024));
			if (!nv) {
				src = NOMEM;
				break;
			}
			v = nv;
		}
		f = &v[(*n)++];
		snprintf(f->id, sizeof f->id, "%s", id);
		stratum_of(grid, c->strata, f->stratum);
		f->key = splitmix64((unsigned long long)c->seed ^ fnv1a64(f->id));
	}
	rc = src == AX_DB_DONE ? AX_OK : src == NOMEM ? AX_NOMEM : ax__store_dberr(st, "frame");
	ax_stmt_finalize(s);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	qsort(v, (size_t)*n, sizeof *v, cmp_frame);
	*out = v;
	return AX_OK;
}

static ax_rc store_draw(ax_store *st, const struct ax_campaign *c,
                        const struct frame_hh *f, const struct alloc *a,
                        int na)
{
	ax_stmt *ss = NULL, *su = NULL;
	ax_rc rc;
	int src = AX_DB_DONE;

	if ((rc = ax__dprepare(st, &ss, "INSERT INTO campaign_strata(campaign, "
	                                "stratum, frame, sample) VALUES(?,?,?,?)")) ||
	    (rc = ax__dprepare(st, &su, "INSERT INTO campaign_sample(campaign, "
	                                "household, stratum, prob) VALUES(?,?,?,?)")))
		goto done;
	for (int h = 0; h < na && src == AX_DB_DONE; h++) {
		ax_stmt_reset(ss);
		ax_stmt_bind_text(ss, 1, c->id);
		ax_stmt_bind_text(ss, 2, a[h].code);
		ax_stmt_bind_int64(ss, 3, a[h].frame);
		ax_stmt_bind_int64(ss, 4, a[h].sample);
		src = ax_stmt_step(ss);
		for (long long k = 0; k < a[h].sample && src == AX_DB_DONE; k++) {
			const struct frame_hh *x = &f[a[h].first + k];
			ax_stmt_reset(su);
			ax_stmt_bind_text(su, 1, c->id);
			ax_stmt_bind_text(su, 2, x->id);
			ax_stmt_bind_text(su, 3, x->stratum);
			ax_stmt_bind_double(su, 4, (double)a[h].sample / (double)a[h].frame);
			src = ax_stmt_step(su);
		}
	}
	if (src != AX_DB_DONE)
		rc = ax__store_dberr(st, "sample");
done:
	ax_stmt_finalize(ss);
	ax_stmt_finalize(su);
	return rc;
}

ax_rc ax__sample_draw(ax_store *st, const struct ax_campaign *c)
{
	struct frame_hh *f;
	struct alloc *a = NULL;
	long long n, given = 0;
	int na = 0;
	ax_rc rc;

	if ((rc = read_frame(st, c, &f, &n)))
		return rc;
	if (n < c->sample_n) {
		ax__store_seterr(st, "sample: the scope has %lld active households with "
		                     "a phone number, fewer than the %d to draw",
		                 n, c->sample_n);
		free(f);
		return AX_INVALID;
	}
	for (long long i = 0; i < n; i++)
		if (!i || strcmp(f[i].stratum, f[i - 1].stratum) != 0)
			na++;
	if (!(a = calloc((size_t)(na ? na : 1), sizeof *a))) {
		free(f);
		return AX_NOMEM;
	}
	na = 0;
	for (long long i = 0; i < n; i++) {
		if (!i || strcmp(f[i].stratum, f[i - 1].stratum) != 0) {
			a[na].code = f[i].stratum;
			a[na++].first = (int)i;
		}
		a[na - 1].frame++;
	}
	/* proportional allocation, largest remainder, in exact integers */
	for (int h = 0; h < na; h++) {
		a[h].sample = (long long)c->sample_n * a[h].frame / n;
		a[h].rem = (long long)c->sample_n * a[h].frame % n;
		given += a[h].sample;
	}
	qsort(a, (size_t)na, sizeof *a, cmp_alloc);
	for (int h = 0; given < c->sample_n; h++, given++)
		a[h].sample++;
	rc = store_draw(st, c, f, a, na);
	free(a);
	free(f);
	return rc;
}

/* ---- reading it back ------------------------------------------------------ */

ax_rc ax_sample_strata(ax_store *st, const char *id, struct ax_stratum **out,
                       int *n)
{
	ax_stmt *s;
	struct ax_stratum *v = NULL;
	int cap = 0, src;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__dprepare(st, &s, "SELECT x.stratum, COALESCE(r.name, x.stratum), "
	                               "x.frame, x.sample FROM campaign_strata x "
	                               "LEFT JOIN regions r ON r.code = x.stratum "
	                               "WHERE x.campaign = ? ORDER BY x.stratum")))
		return rc;
	ax_stmt_bind_text(s, 1, id);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_stratum *x;
		if (*n == cap) {
			struct ax_stratum *nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 16));
			if (!nv) {
				src = NOMEM;
				break;
			}
			v = nv;
		}
		x = &v[(*n)++];
		memset(x, 0, sizeof *x);
		snprintf(x->code, sizeof x->code, "%s", ax_stmt_text(s, 0));
		snprintf(x->name, sizeof x->name, "%s", ax_stmt_text(s, 1));
		x->frame = ax_stmt_int64(s, 2);
		x->sample = ax_stmt_int64(s, 3);
	}
	rc = src == AX_DB_DONE ? AX_OK : src == NOMEM ? AX_NOMEM : ax__store_dberr(st, "strata");
	ax_stmt_finalize(s);
	if (rc || !*n) {
		free(v);
		*n = 0;
		if (!rc) {
			ax__store_seterr(st, "campaign \"%s\" is not a sampled campaign", id);
			return AX_NOTFOUND;
		}
		return rc;
	}
	*out = v;
	return AX_OK;
}

ax_rc ax_sample_units(ax_store *st, const char *id, struct ax_sample_unit **out,
                      int *n)
{
	ax_stmt *s;
	struct ax_sample_unit *v = NULL;
	int cap = 0, src;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax__dprepare(st, &s, "SELECT household, stratum, prob FROM "
	                               "campaign_sample WHERE campaign = ? ORDER BY "
	                               "stratum, household")))
		return rc;
	ax_stmt_bind_text(s, 1, id);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_sample_unit *u;
		if (*n == cap) {
			struct ax_sample_unit *nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 256));
			if (!nv) {
				src = NOMEM;
				break;
			}
			v = nv;
		}
		u = &v[(*n)++];
		snprintf(u->household, sizeof u->household, "%s", ax_stmt_text(s, 0));
		snprintf(u->stratum, sizeof u->stratum, "%s", ax_stmt_text(s, 1));
		u->prob = ax_stmt_double(s, 2);
	}
	rc = src == AX_DB_DONE ? AX_OK : src == NOMEM ? AX_NOMEM : ax__store_dberr(st, "sample");
	ax_stmt_finalize(s);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return AX_OK;
}

int ax_sample_has(ax_store *st, const char *id, const char *household)
{
	ax_stmt *s;
	int r = -1;
	if (ax__dprepare(st, &s, "SELECT sample_n, (SELECT COUNT(*) FROM "
	                         "campaign_sample WHERE campaign = ?1 AND household "
	                         "= ?2) FROM campaigns WHERE id = ?1"))
		return -1;
	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_text(s, 2, household);
	if (ax_stmt_step(s) == AX_DB_ROW && ax_stmt_int64(s, 0) > 0)
		r = ax_stmt_int64(s, 1) > 0;
	ax_stmt_finalize(s);
	return r;
}
