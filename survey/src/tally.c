/*
 * tally.c -- the counts behind every rate: per region, survey, wave,
 * channel and day, the sums of the counted responses' results, gathered
 * in memory during an import batch and upserted at commit in the same
 * transaction (so reports never scan responses), once per key, many rows
 * per statement (one round trip each on PostgreSQL).
 */
#include <stdlib.h>
#include <string.h>

#include "records_int.h"

static unsigned hash_key(const char *k, int day)
{
	unsigned h = 2166136261u ^ (unsigned)day;
	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 16777619u;
	return h;
}

/* Double the bucket array once entries outnumber buckets. */
static int tally_grow(ax_importer *im)
{
	size_t n = im->tbn ? im->tbn * 2 : 1024;
	struct tally **tb = calloc(n, sizeof *tb);
	if (!tb)
		return -1;
	for (struct tally *t = im->tall; t; t = t->all) {
		t->next = tb[t->hash & (n - 1)];
		tb[t->hash & (n - 1)] = t;
	}
	free(im->tb);
	im->tb = tb;
	im->tbn = n;
	return 0;
}

/* Append s and a separator to key[*k]; -1 when it does not fit. */
static int key_part(char *key, size_t *k, size_t cap, const char *s, int last)
{
	size_t n = strlen(s);
	if (*k + n + 1 >= cap)
		return -1;
	memcpy(key + *k, s, n);
	*k += n;
	key[(*k)++] = last ? '\0' : '\x1f';
	return 0;
}

static int tally_add(ax_importer *im, const char *region, const char *survey,
                     const char *wave, const char *channel, int day,
                     const char *metric, long long den, long long num,
                     double score)
{
	char key[512];
	size_t k = 0;
	unsigned h;
	struct tally *t;

	if (key_part(key, &k, sizeof key, region, 0) ||
	    key_part(key, &k, sizeof key, survey, 0) ||
	    key_part(key, &k, sizeof key, wave, 0) ||
	    key_part(key, &k, sizeof key, channel, 0) ||
	    key_part(key, &k, sizeof key, metric, 1))
		return -1; /* parts are length-checked long before: cannot happen */
	h = hash_key(key, day);
	if (im->tcount >= im->tbn && tally_grow(im))
		return -1;
	for (t = im->tb[h & (im->tbn - 1)]; t; t = t->next)
		if (t->hash == h && t->day == day && strcmp(t->key, key) == 0)
			break;
	if (!t) {
		t = calloc(1, sizeof *t + k);
		if (!t)
			return -1;
		memcpy(t->key, key, k);
		t->day = day;
		t->hash = h;
		t->next = im->tb[h & (im->tbn - 1)];
		im->tb[h & (im->tbn - 1)] = t;
		t->all = im->tall;
		im->tall = t;
		im->tcount++;
	}
	t->den += den;
	t->num += num;
	t->score += score;
	if (day != TOTAL_DAY) /* every delta also counts in the all-time total */
		return tally_add(im, region, survey, wave, channel, TOTAL_DAY, metric,
		                 den, num, score);
	return 0;
}

/* Drop every entry; O(entries), not O(buckets). */
void ax__tally_clear(ax_importer *im)
{
	struct tally *t = im->tall, *n;
	for (; t; t = n) {
		n = t->all;
		im->tb[t->hash & (im->tbn - 1)] = NULL;
		free(t);
	}
	im->tall = NULL;
	im->tcount = 0;
}

/* Per-day entries in the order of tally's key (day first), then the
 * all-time totals in tally_total's: upserts in key order walk each B-tree
 * once from left to right instead of seeking at random.  \x1f sorts below
 * every character a key part may hold, so comparing the joined keys
 * compares the parts one by one. */
static int tally_cmp(const void *a, const void *b)
{
	const struct tally *x = *(const struct tally *const *)a,
	                   *y = *(const struct tally *const *)b;
	int xt = x->day == TOTAL_DAY, yt = y->day == TOTAL_DAY;
	if (xt != yt)
		return xt - yt;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return strcmp(x->key, y->key);
}

/* The upsert of `rows` rows into tally or tally_total, the table of the
 * entries ctx: the single-row statement's text (S_TALLY, S_TALLY_TOTAL)
 * with its VALUES repeated, numbered in order; malloc'd, NULL on no
 * memory. */
static char *tally_sql(const void *ctx, int rows)
{
	int tot = ((struct tally *const *)ctx)[0]->day == TOTAL_DAY;
	const char *one = ax__importer_sql(tot ? S_TALLY_TOTAL : S_TALLY);
	const char *values = strstr(one, "VALUES("), *conflict = strstr(one, ") ON CONFLICT");
	int ncols = tot ? 8 : 9;
	return ax__values_sql(one, (size_t)(values - one) + 6, rows, ncols,
	                      conflict + 1);
}

/* Bind entry v[i] (ctx: the entries) as row r of an upsert into tally or
 * tally_total. */
static void tally_bind(ax_stmt *s, int r, size_t i, const void *ctx)
{
	const struct tally *t = ((struct tally *const *)ctx)[i];
	int tot = t->day == TOTAL_DAY, b = r * (tot ? 8 : 9);
	char buf[512], *parts[5];
	int np = 0;

	snprintf(buf, sizeof buf, "%s", t->key);
	parts[np++] = buf;
	for (char *p = buf; *p && np < 5; p++)
		if (*p == '\x1f') {
			*p = '\0';
			parts[np++] = p + 1;
		}
	for (int k = 0; k < 4; k++)
		ax_stmt_bind_text(s, ++b, parts[k]);
	if (!tot)
		ax_stmt_bind_int64(s, ++b, t->day);
	ax_stmt_bind_text(s, ++b, parts[4]);
	ax_stmt_bind_int64(s, ++b, t->den);
	ax_stmt_bind_int64(s, ++b, t->num);
	ax_stmt_bind_double(s, ++b, t->score);
}

/* Upsert v[0..n) (all of one table, distinct keys), many rows a
 * statement. */
static ax_rc tally_upsert(ax_importer *im, struct tally **v, size_t n)
{
	int tot = n && v[0]->day == TOTAL_DAY;
	struct ax__chunks c = {
		.stmts = im->tm[tot], .sql = tally_sql, .bind = tally_bind,
		.ctx = v, .what = "tally",
	};
	return n ? ax__chunks_run(im, &c, n) : AX_OK;
}

ax_rc ax__tally_flush(ax_importer *im)
{
	struct tally **v;
	size_t n = 0, days = 0;
	ax_rc rc;

	if (!im->tcount)
		return AX_OK;
	if (!(v = malloc(im->tcount * sizeof *v)))
		return AX_NOMEM;
	for (struct tally *t = im->tall; t; t = t->all)
		if (t->den || t->num || t->score != 0)
			v[n++] = t;
	qsort(v, n, sizeof *v, tally_cmp);
	while (days < n && v[days]->day != TOTAL_DAY)
		days++;
	rc = tally_upsert(im, v, days);
	if (rc == AX_OK)
		rc = tally_upsert(im, v + days, n - days);
	free(v);
	if (rc == AX_OK)
		ax__tally_clear(im);
	return rc;
}

/* Each metric of a counted response, signed: resp; aw:TOPIC (den asked,
 * num passed); sat (den answered, num satisfied, score); satdk (answered
 * 说不清); r:ID (den answered, num positive) and dk:ID (answered
 * don't-know) for each further rate. */
int ax__derived_metrics(const struct ax_derived *d, int sign,
                        ax__metric_fn fn, void *ctx)
{
	char metric[64];
	if (fn(ctx, "resp", sign, sign, 0))
		return -1;
	for (int i = 0; i < d->ntopics; i++) {
		snprintf(metric, sizeof metric, "aw:%s", d->topic[i]);
		if (fn(ctx, metric, sign, sign * d->passed[i], 0))
			return -1;
	}
	if (d->has_sat && fn(ctx, "sat", sign, sign * d->sat, sign * d->score))
		return -1;
	if (d->sat_dont_know && fn(ctx, "satdk", sign, 0, 0))
		return -1;
	for (int i = 0; i < d->nrates; i++) {
		int st = d->rate_state[i];
		if (st == 1 || st == 2) {
			snprintf(metric, sizeof metric, "r:%s", d->rate[i]);
			if (fn(ctx, metric, sign, st == 2 ? sign : 0, 0))
				return -1;
		} else if (st == 3) {
			snprintf(metric, sizeof metric, "dk:%s", d->rate[i]);
			if (fn(ctx, metric, sign, 0, 0))
				return -1;
		}
	}
	return 0;
}

struct tally_at {
	ax_importer *im;
	const char *region, *survey, *wave, *channel;
	int day;
};

static int tally_metric(void *ctx, const char *metric, long long den,
                        long long num, double score)
{
	struct tally_at *a = ctx;
	return tally_add(a->im, a->region, a->survey, a->wave, a->channel, a->day,
	                 metric, den, num, score);
}

/* Add (sign +1) or remove (-1) a counted response's results. */
int ax__tally_response(ax_importer *im, int sign, const char *region,
                       const char *survey, const char *wave,
                       const char *channel, int day,
                       const struct ax_derived *d)
{
	struct tally_at a = {im, region, survey, wave, channel, day};
	return ax__derived_metrics(d, sign, tally_metric, &a);
}

int ax__tally_set_aside(ax_importer *im, const char *region,
                        const char *survey, const char *wave,
                        const char *channel, int day, const char *why)
{
	return tally_add(im, region, survey, wave, channel, day, why, 1, 0, 0);
}

/* The results a counted response carries in its row, so a later, earlier
 * completed response can take its counts back: "topic:1,topic:0" for
 * awareness, "#rate:2" for a further rate's state, "!satdk:1" for a
 * 说不清 satisfaction answer.  "" when there is nothing. */
void ax__topics_format(const struct ax_derived *d, char *buf, size_t n)
{
	size_t k = 0;
	buf[0] = '\0';
	for (int i = 0; i < d->ntopics && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s%s:%d", k ? "," : "",
		                      d->topic[i], d->passed[i]);
	for (int i = 0; i < d->nrates && k < n; i++)
		k += (size_t)snprintf(buf + k, n - k, "%s#%s:%d", k ? "," : "",
		                      d->rate[i], d->rate_state[i]);
	if (d->sat_dont_know && k < n)
		snprintf(buf + k, n - k, "%s!satdk:1", k ? "," : "");
}

/* Parse topics_format's output into d, with names copied into store. */
void ax__topics_parse(const char *s, struct ax_derived *d,
                      char store[AX__RESULT_NAMES][40])
{
	int used = 0;
	while (s && *s && used < AX__RESULT_NAMES) {
		const char *colon = strchr(s, ':'), *comma = strchr(s, ',');
		if (!colon || (comma && comma < colon))
			break;
		if (*s == '!') {
			d->sat_dont_know = colon[1] == '1';
		} else if (*s == '#') {
			if (d->nrates < AX_RESP_MAX_RATES) {
				snprintf(store[used], 40, "%.*s", (int)(colon - s - 1), s + 1);
				d->rate[d->nrates] = store[used++];
				d->rate_state[d->nrates++] = colon[1] - '0';
			}
		} else if (d->ntopics < AX_RESP_MAX_TOPICS) {
			snprintf(store[used], 40, "%.*s", (int)(colon - s), s);
			d->topic[d->ntopics] = store[used++];
			d->passed[d->ntopics++] = colon[1] == '1';
		}
		s = comma ? comma + 1 : NULL;
	}
}
