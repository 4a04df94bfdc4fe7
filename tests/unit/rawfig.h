/*
 * rawfig.h -- figures worked out from raw JSON record lines alone, not from
 * the product's derived columns: which response counts (README's rule),
 * respondents per survey, satisfied / answered.  Shared by unit.ingest and
 * the ingest checks run on both store backends (tests/pg/test_ingest_db.c).
 */
#ifndef AX_RAWFIG_H
#define AX_RAWFIG_H

#include <jansson.h>

#include "anxin/demo.h"
#include "testutil.h"

/* `count` demo records of the store's households from 2026-09-21 over
 * `days` days (reach 0.9) into L. */
static inline void demo_lines(ax_store *st, unsigned long long seed,
                              long count, int days, struct tu_lines *L)
{
	struct ax_demo_opts o = {0};
	o.seed = seed;
	o.count = count;
	o.start = 1790000000; /* 2026-09-21 */
	o.days = days;
	o.reach = 0.9;
	REQUIRE(ax_demo_records(st, &o, tu_collect, L) == AX_OK);
	CHECK_INT(L->n, count);
}

/* ---- figures from the raw records ------------------------------------ */

/* One complete response as its JSON line says. */
struct raw_resp {
	char key[160];      /* household|survey|wave; "" for no household */
	char completed[40]; /* ISO 8601, all +08:00: compared as text */
	char id[40];
	char survey[64];
	char overall[8];    /* the satisfaction survey's overall answer, or "" */
};

struct raw_figures {
	long complete;       /* complete responses */
	long counted;        /* of them, counted */
	long displaced;      /* complete, not counted: a household's later one */
	long sat_counted;    /* counted responses of survey "satisfaction" */
	long sat_answered;   /* ... that answered overall */
	long sat_satisfied;  /* ... with 1 非常满意, 2 满意 or 3 基本满意 */
	long partial;        /* not complete: never counted */
};

static inline int raw_cmp(const void *a, const void *b)
{
	const struct raw_resp *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (!c)
		c = strcmp(x->completed, y->completed);
	return c ? c : strcmp(x->id, y->id);
}

static inline const char *jstr(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

/* The counting rule of README: one household counts once per survey and
 * wave, its earliest completed response (ties: the smaller id); a
 * response without a household always counts; partial ones never. */
static inline struct raw_figures raw_figures(const struct tu_lines *L)
{
	struct raw_figures f = {0};
	struct raw_resp *r = calloc((size_t)L->n + 1, sizeof *r);
	long n = 0;

	REQUIRE(r != NULL);
	for (long i = 0; i < L->n; i++) {
		json_t *o = json_loadb(L->v[i], L->len[i], 0, NULL);
		REQUIRE(o != NULL);
		if (strcmp(jstr(o, "type"), "response") == 0) {
			if (strcmp(jstr(o, "status"), "complete") != 0) {
				f.partial++;
			} else {
				struct raw_resp *x = &r[n++];
				const char *hh = jstr(o, "household");
				if (hh[0])
					snprintf(x->key, sizeof x->key, "%s|%s|%s", hh,
					         jstr(o, "survey"), jstr(o, "wave"));
				snprintf(x->completed, sizeof x->completed, "%s",
				         jstr(o, "completed_at"));
				/* text order is time order only in one offset */
				CHECK(strstr(x->completed, "+08:00") != NULL);
				snprintf(x->id, sizeof x->id, "%s", jstr(o, "id"));
				snprintf(x->survey, sizeof x->survey, "%s", jstr(o, "survey"));
				snprintf(x->overall, sizeof x->overall, "%s",
				         jstr(json_object_get(o, "answers"), "overall"));
			}
		}
		json_decref(o);
	}
	qsort(r, (size_t)n, sizeof *r, raw_cmp);
	for (long i = 0; i < n; i++) {
		f.complete++;
		if (r[i].key[0] && i > 0 && strcmp(r[i].key, r[i - 1].key) == 0) {
			f.displaced++;
			continue;
		}
		f.counted++;
		if (strcmp(r[i].survey, "satisfaction") == 0) {
			f.sat_counted++;
			if (r[i].overall[0]) {
				f.sat_answered++;
				f.sat_satisfied += strchr("123", r[i].overall[0]) != NULL &&
				                   r[i].overall[1] == '\0';
			}
		}
	}
	free(r);
	return f;
}

#endif
