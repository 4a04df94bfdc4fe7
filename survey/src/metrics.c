/*
 * metrics.c -- Wilson intervals and the report query layer.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/auth.h"
#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin_int.h"
#include "db.h"
#include "ratedef_int.h"
#include "records_int.h"

const char *const ax_channels[AX_NCHANNELS] = {"kiosk", "sms", "visit"};

/* A tally row's wave is not a sampled campaign's (?3 is the wave asked
 * for: when set, it alone decides).  A store older than v9 has no sampled
 * campaigns (and no column to ask): migration tests read such files. */
static const char *not_sampled(ax_store *st)
{
	return ax__store_is_pg(st) || ax_store_schema_version(st) >= 9
	           ? "(CAST(?3 AS TEXT) IS NOT NULL OR wave NOT IN (SELECT wave "
	             "FROM campaigns WHERE sample_n > 0))"
	           : "1 = 1";
}

/* the counted responses' index (v18) for a pass over them, named where the
 * planner cannot tell it is the cheaper (SQLite without statistics) */
static const char *counted_index(ax_store *st)
{
	return ax__store_is_pg(st) || ax_store_schema_version(st) >= 18
	           ? ax_db_sql(ax__store_dbl(st), AX_SQL_COUNTED_INDEX)
	           : "";
}

void ax__wilson_p(double p, double n, double *low, double *high)
{
	const double z = 1.959963984540054; /* 97.5th percentile of N(0,1) */
	double denom, centre, half;

	if (n <= 0) {
		*low = *high = 0;
		return;
	}
	denom = 1 + z * z / n;
	centre = (p + z * z / (2 * n)) / denom;
	half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom;
	*low = centre - half < 0 ? 0 : centre - half;
	*high = centre + half > 1 ? 1 : centre + half;
}

void ax_wilson(long long num, long long den, double *low, double *high)
{
	if (den <= 0) {
		*low = *high = 0;
		return;
	}
	ax__wilson_p((double)num / (double)den, (double)den, low, high);
	/* exact at the edges (rounding can leave 0.99999…) */
	if (num == den)
		*high = 1;
	if (num == 0)
		*low = 0;
}

void ax_rate_make(struct ax_rate *r, long long num, long long den)
{
	r->num = num;
	r->den = den;
	r->rate = den > 0 ? (double)num / (double)den : 0;
	ax_wilson(num, den, &r->low, &r->high);
	r->small_sample = den < AX_SMALL_SAMPLE;
	r->suppressed = 0; /* ax_rate_suppress hides it for a viewer */
	r->census = 0;
}

void ax_rate_census(struct ax_rate *r, long long num, long long den)
{
	ax_rate_make(r, num, den);
	r->low = r->high = r->rate; /* nothing sampled, nothing to bound */
	r->small_sample = 0;
	r->census = 1;
}

enum ax_verdict ax_verdict_of(const struct ax_rate *r, double target,
                              int census)
{
	const double eps = 1e-12;

	if (r->suppressed)
		return AX_VERDICT_SUPPRESSED;
	if (r->den <= 0)
		return AX_VERDICT_NONE;
	if (census || !r->small_sample)
		return r->rate >= target - eps ? AX_VERDICT_MET : AX_VERDICT_UNMET;
	/* a small sample: met only on its face, unmet beyond doubt only when
	 * even the top of its interval falls short */
	return r->high < target - eps ? AX_VERDICT_UNMET : AX_VERDICT_SMALL;
}

enum ax_verdict ax_verdict_all(const enum ax_verdict *v, int n)
{
	int unmet = 0, hidden = 0, small = 0, none = 0;

	for (int i = 0; i < n; i++) {
		unmet += v[i] == AX_VERDICT_UNMET;
		hidden += v[i] == AX_VERDICT_SUPPRESSED;
		small += v[i] == AX_VERDICT_SMALL;
		none += v[i] == AX_VERDICT_NONE;
	}
	if (none == n)
		return AX_VERDICT_NONE;
	if (unmet)
		return AX_VERDICT_UNMET;
	if (hidden)
		return AX_VERDICT_SUPPRESSED;
	return small || none ? AX_VERDICT_SMALL : AX_VERDICT_MET;
}

const char *ax_verdict_label(enum ax_verdict v)
{
	static const char *const l[] = {"无数据", "达标", "未达标", "样本不足",
	                                AX_SUPPRESSED_TEXT};
	return (unsigned)v < sizeof l / sizeof *l ? l[v] : "";
}

const char *ax_verdict_id(enum ax_verdict v)
{
	static const char *const l[] = {"none", "met", "unmet", "small",
	                                "suppressed"};
	return (unsigned)v < sizeof l / sizeof *l ? l[v] : "";
}

/* Hide r: zeroed, not merely flagged, so an output that forgets the flag
 * still leaks nothing. */
static void conceal(struct ax_rate *r)
{
	memset(r, 0, sizeof *r);
	r->small_sample = 1;
	r->suppressed = 1;
}

int ax_rate_suppress(struct ax_rate *r, long long respondents, int below)
{
	if (respondents <= 0 || respondents >= below)
		return 0;
	conceal(r);
	return 1;
}

/* ---- building --------------------------------------------------------- */
struct acc {
	long long households, reached, reached_pack, resp, by_channel[AX_NCHANNELS];
	long long aw_den[AX_MAX_TOPICS], aw_num[AX_MAX_TOPICS];
	long long sat_den, sat_num, sat_dk, fast, repeat, late;
	double score;
	long long rate_den[AX_MAX_RATES], rate_num[AX_MAX_RATES];
	long long rate_dk[AX_MAX_RATES];
};

struct region {
	char code[24];
	char name[128];
	int level;
	int parent; /* index or -1 */
	struct acc a;
	/* answer-based cells hidden from this viewer, bit per CELL_* index
	 * (suppress_tree) */
	unsigned long long hidden;
};

/* The answer-based cells of a region: awareness per topic, satisfaction,
 * then the further rates. */
#define CELL_SAT AX_MAX_TOPICS
#define CELL_RATE(k) (AX_MAX_TOPICS + 1 + (k))
#define NCELLS (AX_MAX_TOPICS + 1 + AX_MAX_RATES)

struct tree {
	struct region *r;
	int n;
};

static int cmp_region(const void *a, const void *b)
{
	return strcmp(((const struct region *)a)->code,
	              ((const struct region *)b)->code);
}

static int find_region(const struct tree *t, const char *code)
{
	int lo = 0, hi = t->n - 1;
	while (lo <= hi) {
		int mid = (lo + hi) / 2, c = strcmp(t->r[mid].code, code);
		if (c == 0)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

/* After the last row: AX_OK when the statement ran to its end, else the
 * store's error; finalized either way. */
static ax_rc finish(ax_store *st, ax_stmt *s)
{
	ax_rc rc = AX_OK;
	if (ax_db_errclass(ax__store_dbl(st)) != AX_DB_ENONE)
		rc = ax__store_dberr(st, "report");
	ax_stmt_finalize(s);
	return rc;
}

static ax_rc load_tree(ax_store *st, struct tree *t)
{
	ax_stmt *s;
	char (*parents)[24] = NULL;
	int cap = 0;
	ax_rc rc;

	t->r = NULL;
	t->n = 0;
	if ((rc = ax__dprepare(st, &s, "SELECT code, name, level, parent FROM regions")))
		return rc;
	while (ax_stmt_step(s) == AX_DB_ROW) {
		if (t->n == cap) {
			cap = cap ? cap * 2 : 256;
			struct region *nr = realloc(t->r, sizeof *nr * (size_t)cap);
			char(*np)[24] = realloc(parents, sizeof *np * (size_t)cap);
			if (!nr || !np) {
				free(nr ? nr : t->r);
				free(np ? np : parents);
				t->r = NULL;
				ax_stmt_finalize(s);
				return AX_NOMEM;
			}
			t->r = nr;
			parents = np;
		}
		struct region *g = &t->r[t->n];
		memset(g, 0, sizeof *g);
		snprintf(g->code, sizeof g->code, "%s", ax_stmt_text(s, 0));
		snprintf(g->name, sizeof g->name, "%s", ax_stmt_text(s, 1));
		g->level = (int)ax_stmt_int64(s, 2);
		/* stash the parent code in name's tail? no: keep a side array */
		snprintf(parents[t->n], 24, "%s",
		         ax_stmt_is_null(s, 3) ? "" : ax_stmt_text(s, 3));
		t->n++;
	}
	ax_stmt_finalize(s);
	/* sort with parents alongside: sort an index, then resolve */
	{
		struct region *tmp = malloc(sizeof *tmp * (size_t)(t->n ? t->n : 1));
		int *idx = malloc(sizeof *idx * (size_t)(t->n ? t->n : 1));
		if (!tmp || !idx) {
			free(tmp);
			free(idx);
			free(parents);
			return AX_NOMEM;
		}
		/* record parent codes in a copy keyed by code, sort, look up */
		for (int i = 0; i < t->n; i++)
			tmp[i] = t->r[i];
		qsort(t->r, (size_t)t->n, sizeof *t->r, cmp_region);
		for (int i = 0; i < t->n; i++)
			t->r[i].parent = -1;
		for (int i = 0; i < t->n; i++) {
			int me = find_region(t, tmp[i].code);
			if (me >= 0 && parents[i][0])
				t->r[me].parent = find_region(t, parents[i]);
		}
		free(tmp);
		free(idx);
	}
	free(parents);
	return AX_OK;
}

/* Add a delta to a region and all its ancestors. */
#define ROLLUP(t, i, field, v)                                  \
	do {                                                        \
		for (int k_ = (i), g_ = 0; k_ >= 0 && g_ < 8;           \
		     k_ = (t)->r[k_].parent, g_++)                      \
			(t)->r[k_].a.field += (v);                          \
	} while (0)

static int topic_index(struct ax_report *rep, const char *topic)
{
	for (int i = 0; i < rep->ntopics; i++)
		if (strcmp(rep->topics[i], topic) == 0)
			return i;
	if (rep->ntopics == AX_MAX_TOPICS)
		return -1;
	snprintf(rep->topics[rep->ntopics], sizeof rep->topics[0], "%s", topic);
	return rep->ntopics++;
}

static int rate_index(struct ax_report *rep, const char *id)
{
	for (int i = 0; i < rep->nrates; i++)
		if (strcmp(rep->rates[i].id, id) == 0)
			return i;
	if (rep->nrates == AX_MAX_RATES)
		return -1;
	snprintf(rep->rates[rep->nrates].id, sizeof rep->rates[0].id, "%s", id);
	return rep->nrates++;
}

static int is_ancestor_or_self(const struct tree *t, int anc, int i, int *depth)
{
	int d = 0;
	for (; i >= 0 && d < 8; i = t->r[i].parent, d++)
		if (i == anc) {
			*depth = d;
			return 1;
		}
	return 0;
}

static int cmp_topics(const void *a, const void *b)
{
	/* known topics in their canonical order, others after by name */
	const char *x = a, *y = b;
	int ix = 99, iy = 99;
	for (int i = 0; ax_topics[i]; i++) {
		if (strcmp(ax_topics[i], x) == 0)
			ix = i;
		if (strcmp(ax_topics[i], y) == 0)
			iy = i;
	}
	return ix != iy ? ix - iy : strcmp(x, y);
}

/* Check the options; the window as days (unbounded when not given). */
/* 1 when `sql` (one ? parameter) finds a row for v, 0 when not, -1 on
 * a store error (its message set) */
static int found(ax_store *st, const char *sql, const char *v)
{
	ax_stmt *s;
	int rc;

	if (ax__dprepare(st, &s, sql))
		return -1;
	ax_stmt_bind_text(s, 1, v);
	rc = ax_stmt_step(s);
	if (rc == AX_DB_ERROR)
		ax__store_dberr(st, "report");
	ax_stmt_finalize(s);
	return rc == AX_DB_ROW ? 1 : rc == AX_DB_DONE ? 0 : -1;
}

/* The filter, checked before anything is counted: a date that is not
 * one, a window that ends before it starts, a survey or wave the store
 * has never seen are errors, never a report of zeros.  The messages name
 * the filter, not a CLI flag: the API and the dashboard show them too. */
static ax_rc check_report_opts(ax_store *st, const struct ax_report_opts *o,
                               int *from_day, int *to_day)
{
	int f;

	if (o->from && ax__day_parse(o->from, from_day)) {
		ax__store_seterr(st, "from \"%s\" is not a date YYYY-MM-DD", o->from);
		return AX_INVALID;
	}
	if (o->to && ax__day_parse(o->to, to_day)) {
		ax__store_seterr(st, "to \"%s\" is not a date YYYY-MM-DD", o->to);
		return AX_INVALID;
	}
	if (o->from && o->to && *from_day > *to_day) {
		ax__store_seterr(st, "from %s is after to %s: the window holds no day "
		                     "(dates reversed?)", o->from, o->to);
		return AX_INVALID;
	}
	if (o->channel) {
		int ok = 0;
		for (int i = 0; i < AX_NCHANNELS; i++)
			ok |= strcmp(ax_channels[i], o->channel) == 0;
		if (!ok) {
			ax__store_seterr(st, "channel \"%s\" is not kiosk, sms or visit",
			                 o->channel);
			return AX_INVALID;
		}
	}
	if (o->survey &&
	    (f = found(st, "SELECT 1 FROM surveys WHERE id = ?1 UNION ALL "
	                   "SELECT 1 FROM responses WHERE survey = ?1", o->survey)) <= 0) {
		if (f == 0)
			ax__store_seterr(st, "survey \"%s\" is not installed and no "
			                     "answer carries it", o->survey);
		return f == 0 ? AX_INVALID : AX_ERROR;
	}
	/* "" is the answers given outside any campaign */
	if (o->wave && *o->wave &&
	    (f = found(st, "SELECT 1 FROM campaigns WHERE wave = ?1 OR id = ?1 "
	                   "UNION ALL SELECT 1 FROM responses WHERE wave = ?1",
	               o->wave)) <= 0) {
		if (f == 0)
			ax__store_seterr(st, "wave \"%s\" is no campaign's and no answer "
			                     "carries it", o->wave);
		return f == 0 ? AX_INVALID : AX_ERROR;
	}
	return AX_OK;
}

/* The region the report is about: the one asked, else the top of the
 * tree (the lowest level: a province, else a city, else a county), the
 * first by code when there are several. */
static ax_rc find_scope(ax_store *st, const struct tree *t, const char *code,
                        int *scope)
{
	*scope = -1;
	if (code) {
		*scope = find_region(t, code);
		if (*scope < 0) {
			ax__store_seterr(st, "scope %s is not a known region code", code);
			return AX_NOTFOUND;
		}
		return AX_OK;
	}
	for (int i = 0; i < t->n; i++)
		if (t->r[i].level <= 1 &&
		    (*scope < 0 || t->r[i].level < t->r[*scope].level))
			*scope = i;
	if (*scope >= 0)
		return AX_OK;
	ax__store_seterr(st, "the store has no roster yet (import one "
	                     "with `anxin roster import`)");
	return AX_NOTFOUND;
}

/* The campaign's households (AX__CAMPAIGN_ROSTER), or the active ones;
 * ?1 ?2 the campaign's window. */
#define HH_ROSTER(camp)                                                      \
	((camp) ? "(" AX__CAMPAIGN_ROSTER("1 = 1") ")"                          \
	        : "(SELECT id, grid FROM households WHERE active = 1)")

/* A grid's row, or -1 when it is not in the tree or outside camp's scope */
static int grid_row(const struct tree *t, const struct ax_campaign *camp,
                    const char *grid)
{
	if (camp && (!grid || !ax_scope_covers(camp->scope, grid)))
		return -1;
	return find_region(t, grid);
}

/* Active households (a campaign's: its roster then, within its scope) per
 * region, rolled up. */
static ax_rc add_households(ax_store *st, struct tree *t,
                            const struct ax_campaign *camp)
{
	char sql[1024];
	ax_stmt *s;
	ax_rc rc;

	snprintf(sql, sizeof sql, "SELECT h.grid, COUNT(*) FROM %s h GROUP BY "
	                          "h.grid", HH_ROSTER(camp));
	if ((rc = ax__dprepare(st, &s, sql)))
		return rc;
	if (camp) {
		ax_stmt_bind_int64(s, 1, camp->starts_at);
		ax_stmt_bind_int64(s, 2, camp->ends_at);
	}
	while (ax_stmt_step(s) == AX_DB_ROW) {
		int i = grid_row(t, camp, ax_stmt_text(s, 0));
		if (i >= 0)
			ROLLUP(t, i, households, ax_stmt_int64(s, 1));
	}
	return finish(st, s);
}

/* Reached: active households with a contact of `kinds` in the window.
 * One index probe per household and kind (contacts_reach).  With packs
 * (a comma list, at most 8), only contacts carrying one of them count,
 * into reached_pack (平安家庭 知识宣传入户率).
 *
 * A window open at one end (all time, or up to today and beyond: every
 * report that runs to the present, a campaign still running) with no
 * channel, pack or close to filter by is answered from household_reach
 * (store.c v19): a household is reached when its first or last contact
 * of a kind lies in the window, not when both lie on one side of it, and
 * only one contacted both before and after it is probed.  At 10 M
 * records on PostgreSQL that is 45 ms where the probes took 240 ms.  A
 * window inside the past would make most households that exception (and
 * the probe through the summary is slower than the plain one), so it is
 * probed as before. */
static ax_rc add_reached(ax_store *st, struct tree *t, int kinds, int from_day,
                         int to_day, const char *packs, const char *channel,
                         const struct ax_campaign *camp)
{
	char pk[8][64];
	int npk = 0, pk0 = channel ? 5 : 4;
	struct ax_buf b = {0};
	ax_stmt *s;
	int summary;
	int64_t from = camp ? camp->starts_at : (int64_t)ax_day_start(from_day),
	        to = camp ? camp->ends_at : (int64_t)ax_day_start(to_day + 1);
	ax_rc rc;

	/* (a SQLite file older than v19, which migration tests read, has
	 * no household_reach) */
	summary = !channel && !packs && !(camp && camp->closed_at > 0) &&
	          (from <= 0 || to > (int64_t)time(NULL) + 86400) &&
	          (ax__store_is_pg(st) || ax_store_schema_version(st) >= 19);
	/* ?1 ?2 the window (a campaign's: its own, in seconds), ?3 the
	 * campaign's close (contacts received later are 晚到), ?4 the
	 * channel when filtered (reached through it, as the 未覆盖户清单
	 * lists the households it has not reached), then the packs */
	ax__buf_printf(&b, "SELECT h.grid, COUNT(*) FROM %s h WHERE EXISTS (SELECT "
	                   "1 FROM %s WHERE %s.household = h.id AND ",
	               HH_ROSTER(camp),
	               summary ? "household_reach r" : "contacts c",
	               summary ? "r" : "c");
	ax__buf_kinds_in(&b, kinds, summary ? "r.kind" : "c.kind");
	if (summary)
		ax__buf_puts(&b, " AND r.first_at < ?2 AND r.last_at >= ?1 AND "
		                 "(r.first_at >= ?1 OR r.last_at < ?2 OR EXISTS ("
		                 "SELECT 1 FROM contacts c WHERE c.household = "
		                 "r.household AND c.kind = r.kind AND c.at >= ?1 AND "
		                 "c.at < ?2)) AND CAST(?3 AS BIGINT) IS NOT NULL");
	else /* without a close nothing is 晚到: no term on received_at, so
	      * the probe per household is the index's alone (contacts_reach),
	      * no row read -- at 10 M records on PostgreSQL 340 ms of a report */
		ax__buf_puts(&b, camp && camp->closed_at > 0
	                     ? " AND c.at >= ?1 AND c.at < ?2 AND (c.received_at "
	                       "IS NULL OR c.received_at <= ?3)"
	                     : " AND c.at >= ?1 AND c.at < ?2 AND CAST(?3 AS "
	                       "BIGINT) IS NOT NULL");
	if (channel)
		ax__buf_puts(&b, " AND c.channel = ?4");
	for (const char *p = packs; p && *p && npk < 8;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n && n < sizeof pk[0]) {
			memcpy(pk[npk], p, n);
			pk[npk][n] = '\0';
			ax__buf_printf(&b, "%s?%d", npk ? "," : " AND c.pack IN (", npk + pk0);
			npk++;
		}
		p = comma ? comma + 1 : NULL;
	}
	if (packs && !npk)
		ax__buf_puts(&b, " AND 1 = 0");
	ax__buf_puts(&b, npk ? ")) GROUP BY h.grid" : ") GROUP BY h.grid");
	if ((rc = ax__dprepare_buf(st, &b, &s)))
		return rc;
	/* day d in China time spans [d*86400 - 8h, (d+1)*86400 - 8h) */
	ax_stmt_bind_int64(s, 1, from);
	ax_stmt_bind_int64(s, 2, to);
	ax_stmt_bind_int64(s, 3, camp && camp->closed_at > 0 ? camp->closed_at
	                                                      : INT64_MAX);
	if (channel)
		ax_stmt_bind_text(s, 4, channel);
	for (int k = 0; k < npk; k++)
		ax_stmt_bind_text(s, pk0 + k, pk[k]);
	while (ax_stmt_step(s) == AX_DB_ROW) {
		int i = grid_row(t, camp, ax_stmt_text(s, 0));
		if (i >= 0 && packs)
			ROLLUP(t, i, reached_pack, ax_stmt_int64(s, 1));
		else if (i >= 0)
			ROLLUP(t, i, reached, ax_stmt_int64(s, 1));
	}
	return finish(st, s);
}

/* Satisfaction or a further rate (rate "" for satisfaction) of one
 * survey: into the headline 满意度 or the report rate its definition
 * reports under (ratedef.c), never into a differently defined one. */
static void add_rate(struct tree *t, int i, struct ax_report *rep,
                     const struct ax__defs *defs, const char *survey,
                     const char *rate, int dk, long long den, long long num,
                     double score)
{
	char key[96];
	int ri;

	if (ax__defs_key(defs, survey, rate, key, sizeof key)) {
		if (dk) {
			ROLLUP(t, i, sat_dk, den);
		} else {
			ROLLUP(t, i, sat_den, den);
			ROLLUP(t, i, sat_num, num);
			ROLLUP(t, i, score, score);
		}
		return;
	}
	if ((ri = rate_index(rep, key)) < 0)
		return;
	if (dk) {
		ROLLUP(t, i, rate_dk[ri], den);
	} else {
		ROLLUP(t, i, rate_den[ri], den);
		ROLLUP(t, i, rate_num[ri], num);
	}
}

/* Prepare sql with the report's filter bound: ?1 survey, ?2 channel,
 * ?3 wave (NULL: not_sampled's every monitoring wave), ?4..?5 days.  A
 * NULL test is written CAST(?N AS TEXT) IS NULL: PostgreSQL cannot type
 * a bare `$1 IS NULL`. */
static ax_rc prepare_filtered(ax_store *st, ax_stmt **s, const char *sql,
                              const struct ax_report_opts *o, const char *wave,
                              int from_day, int to_day)
{
	ax_rc rc;

	if ((rc = ax__dprepare(st, s, sql)))
		return rc;
	ax_stmt_bind_text(*s, 1, o->survey); /* NULL: every survey */
	ax_stmt_bind_text(*s, 2, o->channel);
	ax_stmt_bind_text(*s, 3, wave);
	ax_stmt_bind_int64(*s, 4, from_day);
	ax_stmt_bind_int64(*s, 5, to_day);
	return AX_OK;
}

/* One tally metric of a survey's answers into region i (den, num and
 * score may be negative: a count taken back). */
static void add_metric(struct tree *t, int i, struct ax_report *rep,
                       const struct ax__defs *defs, const char *survey,
                       const char *metric, const char *chan, long long den,
                       long long num, double score)
{
	if (strcmp(metric, "resp") == 0) {
		ROLLUP(t, i, resp, den);
		for (int c = 0; c < AX_NCHANNELS; c++)
			if (strcmp(chan, ax_channels[c]) == 0)
				ROLLUP(t, i, by_channel[c], den);
	} else if (strcmp(metric, "sat") == 0 || strcmp(metric, "satdk") == 0) {
		add_rate(t, i, rep, defs, survey, "", metric[3] == 'd', den, num,
		         score);
	} else if (strcmp(metric, "fast") == 0) {
		ROLLUP(t, i, fast, den);
	} else if (strcmp(metric, "repeat") == 0) {
		ROLLUP(t, i, repeat, den);
	} else if (strcmp(metric, "late") == 0) {
		ROLLUP(t, i, late, den);
	} else if (strncmp(metric, "r:", 2) == 0 ||
	           strncmp(metric, "dk:", 3) == 0) {
		int dk = metric[0] == 'd';
		add_rate(t, i, rep, defs, survey, metric + (dk ? 3 : 2), dk, den,
		         num, 0);
	} else if (strncmp(metric, "aw:", 3) == 0) {
		int ti = topic_index(rep, metric + 3);
		if (ti < 0)
			return;
		ROLLUP(t, i, aw_den[ti], den);
		ROLLUP(t, i, aw_num[ti], num);
	}
}

/* Respondents, satisfaction and awareness from the pre-aggregated tally;
 * topics are added to rep as they are met.  Without a wave asked for,
 * the waves of sampled 测评 campaigns are left out: a report is 日常监测
 * (whoever answered) and never mixes in the sample's answers, which have
 * their own weighted report (sample.h).  Asked for by its wave, a
 * sampled campaign's answers come unweighted, marked rep->sampled. */
static ax_rc add_answers(ax_store *st, struct tree *t, struct ax_report *rep,
                         const struct ax_report_opts *o,
                         const struct ax__defs *defs, int from_day, int to_day)
{
	ax_stmt *s;
	char sql[1024];
	ax_rc rc;

	/* no date window: the all-time totals, a few rows per region */
	if (!o->from && !o->to)
		snprintf(sql, sizeof sql,
		         "SELECT region, metric, channel, SUM(den), SUM(num), SUM(score), "
		         "survey FROM tally_total WHERE (CAST(?1 AS TEXT) IS NULL OR "
		         "survey = ?1) AND (CAST(?2 AS TEXT) IS NULL OR channel = ?2) AND "
		         "(CAST(?3 AS TEXT) IS NULL OR wave = ?3) AND ?4 <= ?5 AND %s "
		         "GROUP BY region, survey, metric, channel",
		         not_sampled(st));
	else
		snprintf(sql, sizeof sql,
		         "SELECT region, metric, channel, SUM(den), SUM(num), SUM(score), "
		         "survey FROM tally WHERE (CAST(?1 AS TEXT) IS NULL OR survey = "
		         "?1) AND (CAST(?2 AS TEXT) IS NULL OR channel = ?2) AND (CAST(?3 "
		         "AS TEXT) IS NULL OR wave = ?3) AND day BETWEEN ?4 AND ?5 AND %s "
		         "GROUP BY region, survey, metric, channel",
		         not_sampled(st));
	if ((rc = prepare_filtered(st, &s, sql, o, o->wave, from_day, to_day)))
		return rc;
	while (ax_stmt_step(s) == AX_DB_ROW) {
		int i = find_region(t, ax_stmt_text(s, 0));
		if (i >= 0)
			add_metric(t, i, rep, defs, ax_stmt_text(s, 6), ax_stmt_text(s, 1),
			           ax_stmt_text(s, 2), ax_stmt_int64(s, 3),
			           ax_stmt_int64(s, 4), ax_stmt_double(s, 5));
	}
	return finish(st, s);
}

/* ---- once per period ------------------------------------------------- */
struct take_back {
	struct tree *t;
	int i;
	struct ax_report *rep;
	const struct ax__defs *defs;
	const char *survey, *chan;
};

static int take_back_metric(void *ctx, const char *metric, long long den,
                            long long num, double score)
{
	struct take_back *b = ctx;
	add_metric(b->t, b->i, b->rep, b->defs, b->survey, metric, b->chan, den,
	           num, score);
	return 0;
}

/*
 * A period report counts each household once per survey, whatever waves
 * it answered in.  The importer counts the earliest complete response
 * per household, survey and wave, so a household that answered without a
 * wave and again in a campaign's wave is in the tally twice.  Across
 * waves (no wave asked), take back every counted response of a household
 * that has an earlier counted one (completion time, then id) of the same
 * survey in another wave within the same filter: its results, kept in
 * its row, go through the importer's own mapping (ax__derived_metrics)
 * with sign -1.  Cost: a pass over the window's counted responses with a
 * household, grouped, and an index probe (responses_household) for each of
 * those in a household and survey answered in two waves, on top of the
 * tally read.
 */
static ax_rc once_per_period(ax_store *st, struct tree *t, struct ax_report *rep,
                             const struct ax_report_opts *o,
                             const struct ax__defs *defs, int from_day,
                             int to_day)
{
	ax_stmt *s;
	char sql[2400];
	ax_rc rc;

	if (o->wave)
		return AX_OK; /* one wave: once per household already */
	/* no survey has counted responses in two waves (the all-time tally:
	 * a superset of any filter's): nothing to take back, and the pass
	 * below reads every counted response (250 ms of a county report on
	 * PostgreSQL at 10 M records with 日常监测 only) */
	if ((rc = ax__dprepare(st, &s,
	                       "SELECT COUNT(*) FROM (SELECT survey FROM "
	                       "(SELECT survey, wave FROM tally_total WHERE "
	                       "metric = 'resp' GROUP BY survey, wave HAVING "
	                       "SUM(den) > 0) w GROUP BY survey HAVING "
	                       "COUNT(*) > 1) x")))
		return rc;
	{
		int src = ax_stmt_step(s);
		long long n = src == AX_DB_ROW ? ax_stmt_int64(s, 0) : -1;
		rc = n < 0 ? ax__store_dberr(st, "tally_total") : AX_OK;
		ax_stmt_finalize(s);
		if (rc || n == 0)
			return rc;
	}
	/* m: the households and surveys with counted responses in two waves
	 * or more within the filter, the only ones a take-back can concern:
	 * one pass over the counted responses, where probing each of them
	 * (the EXISTS) took 1.3 s of a 1.8 s county report at 10 M records
	 * (20,000 households, ~70 responses each a survey) */
	snprintf(sql, sizeof sql,
	         "WITH m AS (SELECT household, survey FROM responses %s WHERE "
	         "counted = 1 AND household IS NOT NULL AND (CAST(?1 AS TEXT) IS "
	         "NULL OR survey = ?1) AND (CAST(?2 AS TEXT) IS NULL OR channel = "
	         "?2) AND day BETWEEN ?4 AND ?5 AND %s GROUP BY household, survey "
	         "HAVING MIN(wave) <> MAX(wave)) "
	         "SELECT r.region, r.survey, r.channel, r.sat, r.score, r.topics "
	         "FROM m JOIN responses r ON r.household = m.household AND "
	         "r.survey = m.survey WHERE r.counted = 1 AND r.household IS NOT "
	         "NULL "
	         "AND (CAST(?1 AS TEXT) IS NULL OR r.survey = ?1) AND "
	         "(CAST(?2 AS TEXT) IS NULL OR r.channel = ?2) "
	         "AND r.day BETWEEN ?4 AND ?5 AND %s AND EXISTS (SELECT 1 FROM "
	         "responses e WHERE e.household = r.household AND e.survey = "
	         "r.survey AND e.wave <> r.wave AND e.counted = 1 AND (CAST(?2 AS "
	         "TEXT) IS NULL OR e.channel = ?2) AND e.day BETWEEN ?4 AND ?5 AND "
	         "%s AND "
	         "(e.completed_at < r.completed_at OR (e.completed_at = "
	         "r.completed_at AND e.id < r.id)))",
	         counted_index(st), not_sampled(st), not_sampled(st),
	         not_sampled(st));
	if ((rc = prepare_filtered(st, &s, sql, o, NULL, from_day, to_day)))
		return rc;
	while (ax_stmt_step(s) == AX_DB_ROW) {
		struct ax_derived d = {0};
		char names[AX__RESULT_NAMES][40];
		struct take_back b = {t, find_region(t, ax_stmt_text(s, 0)), rep, defs,
		                      ax_stmt_text(s, 1), ax_stmt_text(s, 2)};
		if (b.i < 0)
			continue;
		d.has_sat = !ax_stmt_is_null(s, 3);
		d.sat = (int)ax_stmt_int64(s, 3);
		d.score = ax_stmt_double(s, 4);
		ax__topics_parse(ax_stmt_text(s, 5), &d, names);
		ax__derived_metrics(&d, -1, take_back_metric, &b);
	}
	return finish(st, s);
}

/* Order topics canonically, remapping the accumulators. */
static void sort_topics(struct ax_report *rep, struct tree *t)
{
	char old[AX_MAX_TOPICS][32];
	int map[AX_MAX_TOPICS];

	memcpy(old, rep->topics, sizeof old);
	qsort(rep->topics, (size_t)rep->ntopics, sizeof rep->topics[0], cmp_topics);
	for (int k = 0; k < rep->ntopics; k++)
		for (int j = 0; j < rep->ntopics; j++)
			if (strcmp(old[k], rep->topics[j]) == 0)
				map[k] = j;
	for (int i = 0; i < t->n; i++) {
		long long den[AX_MAX_TOPICS] = {0}, num[AX_MAX_TOPICS] = {0};
		for (int k = 0; k < rep->ntopics; k++) {
			den[map[k]] = t->r[i].a.aw_den[k];
			num[map[k]] = t->r[i].a.aw_num[k];
		}
		memcpy(t->r[i].a.aw_den, den, sizeof den);
		memcpy(t->r[i].a.aw_num, num, sizeof num);
	}
}

/* Respondents behind cell c of a region (说不清 included). */
static long long cell_n(const struct acc *a, int c)
{
	if (c < CELL_SAT)
		return a->aw_den[c];
	if (c == CELL_SAT)
		return a->sat_den + a->sat_dk;
	c -= CELL_RATE(0);
	return a->rate_den[c] + a->rate_dk[c];
}

/*
 * Below the county role, which answer-based cells are hidden.  Primary:
 * fewer than `below` respondents.  Complementary: a parent's figure is the
 * sum of its children's (and of answers given at the parent itself, such
 * as a kiosk's anonymous ones in a village), so one hidden child among
 * shown siblings could be worked out by subtraction; the smallest shown
 * sibling is hidden with it.  Likewise a hidden region whose children are
 * all shown would be their sum: its smallest child is hidden too.
 * Repeated until nothing changes (cells are only ever added).  Applies to
 * the whole tree, since other pages show other rows.  Differences between
 * two reports with different filters (windows, channels) are not covered.
 * Cost: O(regions x cells) per round, a few rounds.
 */
static void suppress_tree(struct tree *t, int below)
{
	int *kid = NULL, *next = NULL, changed;

	if (below <= 0 || t->n <= 0)
		return;
	kid = malloc(sizeof *kid * (size_t)t->n);
	next = malloc(sizeof *next * (size_t)t->n);
	for (int i = 0; i < t->n; i++)
		for (int c = 0; c < NCELLS; c++) {
			long long n = cell_n(&t->r[i].a, c);
			if (n > 0 && n < below)
				t->r[i].hidden |= 1ULL << c;
		}
	if (!kid || !next) { /* out of memory: primary suppression only */
		free(kid);
		free(next);
		return;
	}
	for (int i = 0; i < t->n; i++)
		kid[i] = -1;
	for (int i = t->n - 1; i >= 0; i--) {
		int p = t->r[i].parent;
		next[i] = p >= 0 ? kid[p] : -1;
		if (p >= 0)
			kid[p] = i;
	}
	do {
		changed = 0;
		for (int p = 0; p < t->n; p++)
			for (int c = 0; c < NCELLS; c++) {
				unsigned long long bit = 1ULL << c;
				long long own = cell_n(&t->r[p].a, c);
				int hidden = 0, shown = -1, kids = 0;
				for (int j = kid[p]; j >= 0; j = next[j]) {
					long long n = cell_n(&t->r[j].a, c);
					if (n <= 0)
						continue;
					kids++;
					own -= n;
					if (t->r[j].hidden & bit)
						hidden++;
					else if (shown < 0 || n < cell_n(&t->r[shown].a, c))
						shown = j;
				}
				if (!kids || own != 0 || shown < 0)
					continue;
				if (hidden == ((t->r[p].hidden & bit) ? 0 : 1)) {
					t->r[shown].hidden |= bit;
					changed = 1;
				}
			}
	} while (changed);
	free(kid);
	free(next);
}

/* Below the county role: the cells suppress_tree hid show nothing but
 * "<5" (metrics.h). */
static void suppress_row(struct ax_report_row *row, const struct region *g,
                         const struct ax_report *rep)
{
	for (int k = 0; k < rep->ntopics; k++)
		if (g->hidden & 1ULL << k)
			conceal(&row->awareness[k]);
	if (g->hidden & 1ULL << CELL_SAT) {
		conceal(&row->satisfaction);
		row->sat_dont_know = 0;
		row->mean_score = 0;
	}
	for (int k = 0; k < rep->nrates; k++)
		if (g->hidden & 1ULL << CELL_RATE(k)) {
			conceal(&row->rates[k]);
			row->rates_dont_know[k] = 0;
		}
}

/* The row's verdicts, after suppression: one function for every output. */
static void judge_row(struct ax_report_row *row, const struct ax_report *rep)
{
	enum ax_verdict aw[AX_MAX_TOPICS];

	row->verdict_coverage = ax_verdict_of(&row->coverage, AX_TARGET_COVERAGE, 1);
	for (int k = 0; k < rep->ntopics; k++)
		aw[k] = ax_verdict_of(&row->awareness[k], rep->target_awareness, 0);
	row->verdict_awareness = ax_verdict_all(aw, rep->ntopics);
	row->verdict_satisfaction =
	    ax_verdict_of(&row->satisfaction, rep->target_satisfaction, 0);
	for (int k = 0; k < rep->nrates; k++)
		row->verdict_rates[k] =
		    ax_verdict_of(&row->rates[k], rep->rates[k].target, 0);
}

/* One report row from a region's totals: rates and targets met. */
static void fill_row(struct ax_report_row *row, const struct region *g,
                     int depth, const struct ax_report *rep)
{
	int ntopics = rep->ntopics;
	snprintf(row->code, sizeof row->code, "%s", g->code);
	snprintf(row->name, sizeof row->name, "%s", g->name);
	row->level = g->level;
	row->depth = depth;
	row->households = g->a.households;
	row->reached = g->a.reached;
	ax_rate_census(&row->coverage, g->a.reached, g->a.households);
	row->reached_pack = g->a.reached_pack;
	ax_rate_census(&row->coverage_pack, g->a.reached_pack, g->a.households);
	row->respondents = g->a.resp;
	memcpy(row->respondents_by_channel, g->a.by_channel,
	       sizeof row->respondents_by_channel);
	for (int k = 0; k < ntopics; k++)
		ax_rate_make(&row->awareness[k], g->a.aw_num[k], g->a.aw_den[k]);
	ax_rate_make(&row->satisfaction, g->a.sat_num, g->a.sat_den);
	row->mean_score = g->a.sat_den ? g->a.score / (double)g->a.sat_den : 0;
	row->sat_dont_know = g->a.sat_dk;
	row->set_aside = g->a.fast;
	row->set_aside_repeat = g->a.repeat;
	row->set_aside_late = g->a.late;
	for (int k = 0; k < rep->nrates; k++) {
		ax_rate_make(&row->rates[k], g->a.rate_num[k], g->a.rate_den[k]);
		row->rates_dont_know[k] = g->a.rate_dk[k];
	}
	suppress_row(row, g, rep);
	judge_row(row, rep);
}

/* Names and targets from the installed surveys' rules: the survey asked
 * for, else the last survey version in (id, version) order that defines
 * the rate; a rate kept apart for its own definition ("id@survey") from
 * ratedef.c.  The headline 满意度's target is its defining survey's. */
static void rule_info(struct ax_report *rep, const struct ax_report_opts *o,
                      const struct ax__defs *defs, int order[AX_MAX_RATES])
{
	const ax_content *c = defs->content;
	const struct ax_survey *head = NULL;

	/* rates no installed survey defines go last, by id */
	for (int k = 0; k < AX_MAX_RATES; k++)
		order[k] = 1 << 30;

	rep->target_awareness = AX_TARGET_AWARENESS;
	rep->target_satisfaction = AX_TARGET_SATISFACTION;
	for (int k = 0; k < rep->nrates; k++) {
		/* id (32) fits name (64); memcpy: GCC 12's -Wrestrict takes the
		 * two members of one element for overlapping snprintf buffers */
		memcpy(rep->rates[k].name, rep->rates[k].id, sizeof rep->rates[k].id);
		rep->rates[k].target = AX_TARGET_SATISFACTION;
		rep->rates[k].has_dont_know = 1; /* unknown rule: show what came */
	}
	if (!c)
		return; /* defaults then */
	if (o->survey) {
		const struct ax_survey *sv = ax_content_find_survey(c, o->survey, 0);
		head = sv;
		for (int i = 0; sv && i < sv->nawareness; i++)
			if (sv->awareness[i].target > 0)
				rep->target_awareness = sv->awareness[i].target;
	} else if (defs->headline) {
		head = defs->headline->sv;
	}
	if (head && head->sat_target > 0)
		rep->target_satisfaction = head->sat_target;
	if (head && head->sat_question)
		snprintf(rep->sat_survey, sizeof rep->sat_survey, "%s", head->id);
	for (int k = 0; k < rep->nrates; k++) {
		int found = 0;
		if (ax__defs_info(defs, rep->rates[k].id, &rep->rates[k], &order[k]) == 0)
			continue;
		for (int i = ax_content_nsurveys(c) - 1; i >= 0 && !found; i--) {
			const struct ax_survey *sv = ax_content_survey(c, i);
			if (o->survey && strcmp(sv->id, o->survey) != 0)
				continue;
			for (int j = 0; j < sv->nrates && !found; j++)
				if (strcmp(sv->rates[j].id, rep->rates[k].id) == 0) {
					snprintf(rep->rates[k].name, sizeof rep->rates[0].name,
					         "%s", sv->rates[j].name);
					rep->rates[k].target = sv->rates[j].target;
					rep->rates[k].has_dont_know = sv->rates[j].ndont_know > 0;
					order[k] = i * AX_MAX_RATES + j;
					found = 1;
				}
		}
	}
}

/* Rates in the order their survey lists them (they were met in the order
 * of the stored counts), remapping the accumulators as sort_topics does. */
static void sort_rates(struct ax_report *rep, struct tree *t,
                       const int order[AX_MAX_RATES])
{
	int idx[AX_MAX_RATES], n = rep->nrates;
	struct ax_rate_info info[AX_MAX_RATES];

	for (int k = 0; k < n; k++)
		idx[k] = k;
	for (int a = 1; a < n; a++) /* insertion sort: a handful of rates */
		for (int b = a; b > 0; b--) {
			int x = idx[b - 1], y = idx[b];
			if (order[x] < order[y] ||
			    (order[x] == order[y] &&
			     strcmp(rep->rates[x].id, rep->rates[y].id) <= 0))
				break;
			idx[b - 1] = y;
			idx[b] = x;
		}
	memcpy(info, rep->rates, sizeof info);
	for (int k = 0; k < n; k++)
		rep->rates[k] = info[idx[k]];
	for (int i = 0; i < t->n; i++) {
		struct acc *g = &t->r[i].a, old = *g;
		for (int k = 0; k < n; k++) {
			g->rate_den[k] = old.rate_den[idx[k]];
			g->rate_num[k] = old.rate_num[idx[k]];
			g->rate_dk[k] = old.rate_dk[idx[k]];
		}
	}
}

static ax_rc wave_sampled(ax_store *st, const char *wave, int *sampled)
{
	ax_stmt *s;
	ax_rc rc;
	*sampled = 0;
	if (!ax__store_is_pg(st) && ax_store_schema_version(st) < 9)
		return AX_OK;
	if ((rc = ax__dprepare(st, &s, "SELECT COUNT(*) FROM campaigns WHERE "
	                               "wave = ? AND sample_n > 0")))
		return rc;
	ax_stmt_bind_text(s, 1, wave);
	*sampled = ax_stmt_step(s) == AX_DB_ROW && ax_stmt_int64(s, 0) > 0;
	ax_stmt_finalize(s);
	return AX_OK;
}

/* The campaign named by id or wave (report opts.campaign). */
static ax_rc report_campaign(ax_store *st, const char *name,
                             struct ax_campaign *out, int quiet)
{
	struct ax_campaign *v = NULL;
	int n = 0;
	ax_rc rc;

	if ((rc = ax_campaign_list(st, 0, 0, &v, &n)))
		return rc;
	for (int i = 0; i < n; i++)
		if (strcmp(v[i].id, name) == 0 || strcmp(v[i].wave, name) == 0) {
			*out = v[i];
			ax_free(v);
			/* closed early: it ended then */
			if (out->closed_at > 0 && out->closed_at < out->ends_at)
				out->ends_at = out->closed_at;
			return AX_OK;
		}
	ax_free(v);
	if (quiet)
		return AX_NOTFOUND;
	ax__store_seterr(st, "campaign \"%s\" is not known (anxin campaign list "
	                     "shows the campaigns)", name);
	return AX_INVALID;
}

ax_rc ax_report_campaign_view(ax_store *st, const struct ax_report_opts *in,
                              struct ax_campaign_view *v)
{
	struct ax_campaign *c = &v->c;
	ax_rc rc;

	memset(v, 0, sizeof *v);
	v->o = *in;
	if (!in->campaign)
		return AX_OK;
	if ((rc = report_campaign(st, in->campaign, c, 0)))
		return rc;
	v->o.wave = c->wave;
	if (!v->o.survey && c->survey[0])
		v->o.survey = c->survey;
	if (!v->o.contact_kinds)
		v->o.contact_kinds = c->coverage_kinds;
	if (!v->o.scope && !strchr(c->scope, ',')) {
		snprintf(v->scope, sizeof v->scope, "%s", c->scope);
		v->o.scope = v->scope;
	}
	if (!v->o.from) {
		ax__day_format(ax__cst_day(c->starts_at), v->from, sizeof v->from);
		v->o.from = v->from;
	}
	if (!v->o.to) {
		ax__day_format(ax__cst_day(c->ends_at - 1 > c->starts_at ? c->ends_at - 1
		                                                         : c->starts_at),
		               v->to, sizeof v->to);
		v->o.to = v->to;
	}
	return AX_OK;
}

ax_rc ax_report_build(ax_store *st, const struct ax_report_opts *o,
                      struct ax_report **out)
{
	struct ax_report_opts defaults = {0};
	struct ax__defs defs = {0};
	struct ax_report *rep;
	struct tree t = {0};
	struct ax_campaign_view cv;
	const struct ax_campaign *cp = NULL;
	int scope = -1, from_day = -1000000, to_day = 1000000, kinds;
	int order[AX_MAX_RATES];
	ax_rc rc;

	*out = NULL;
	if (!o)
		o = &defaults;
	if (o->campaign) {
		if ((rc = ax_report_campaign_view(st, o, &cv)))
			return rc;
		cp = &cv.c;
		o = &cv.o;
	} else if (o->wave && *o->wave) {
		/* a campaign's wave: its households are those of its roster
		 * during its window, within its scope (a later roster update
		 * leaves them as they were), reached before its close */
		rc = report_campaign(st, o->wave, &cv.c, 1);
		if (rc == AX_OK)
			cp = &cv.c;
		else if (rc != AX_NOTFOUND)
			return rc;
	}
	kinds = o->contact_kinds ? o->contact_kinds : AX_CK_DEFAULT;
	if ((rc = check_report_opts(st, o, &from_day, &to_day)))
		return rc;
	rep = calloc(1, sizeof *rep);
	if (!rep)
		return AX_NOMEM;
	rep->suppress_below = o->suppress_below;
	if ((rc = load_tree(st, &t)) ||
	    (rc = find_scope(st, &t, o->scope, &scope)) ||
	    (rc = add_households(st, &t, cp)) ||
	    (rc = add_reached(st, &t, kinds, from_day, to_day, NULL, o->channel,
	                          cp)) ||
	    (o->pack && *o->pack &&
	     (rc = add_reached(st, &t, kinds, from_day, to_day, o->pack, o->channel,
	                          cp))) ||
	    (rc = ax__defs_load(st, o->survey, &defs)) ||
	    (rc = add_answers(st, &t, rep, o, &defs, from_day, to_day)) ||
	    (rc = once_per_period(st, &t, rep, o, &defs, from_day, to_day)))
		goto fail;
	sort_topics(rep, &t);
	rule_info(rep, o, &defs, order);
	sort_rates(rep, &t, order);
	suppress_tree(&t, o->suppress_below);
	ax__defs_free(&defs);

	/* rows: the scope and its descendants to the depth asked, in code
	 * order (codes sort parents before children) */
	rep->rows = calloc((size_t)(t.n ? t.n : 1), sizeof *rep->rows);
	if (!rep->rows) {
		rc = AX_NOMEM;
		goto fail;
	}
	for (int i = 0; i < t.n; i++) {
		int d;
		if (!is_ancestor_or_self(&t, scope, i, &d) || d > o->depth)
			continue;
		fill_row(&rep->rows[rep->nrows++], &t.r[i], d, rep);
	}
	/* parents before children, siblings by code: a DFS order, because a
	 * child's code always extends or sorts after its parent's prefix */
	snprintf(rep->scope, sizeof rep->scope, "%s", t.r[scope].code);
	if (cp) {
		snprintf(rep->campaign_id, sizeof rep->campaign_id, "%s", cp->id);
		snprintf(rep->campaign_name, sizeof rep->campaign_name, "%s", cp->name);
		rep->campaign_closed_at = cp->closed_at;
	}
	snprintf(rep->survey, sizeof rep->survey, "%s", o->survey ? o->survey : "");
	snprintf(rep->channel, sizeof rep->channel, "%s", o->channel ? o->channel : "");
	snprintf(rep->pack, sizeof rep->pack, "%s", o->pack ? o->pack : "");
	snprintf(rep->from, sizeof rep->from, "%s", o->from ? o->from : "");
	snprintf(rep->to, sizeof rep->to, "%s", o->to ? o->to : "");
	rep->contact_kinds = kinds;
	if (o->wave && (rc = wave_sampled(st, o->wave, &rep->sampled)))
		goto fail;
	free(t.r);
	*out = rep;
	return AX_OK;
fail:
	ax__defs_free(&defs);
	free(t.r);
	ax_report_free(rep);
	return rc;
}

void ax_report_free(struct ax_report *r)
{
	if (!r)
		return;
	free(r->rows);
	free(r);
}

/* ---- below target ----------------------------------------------------- */
static int row_below(const struct ax_report *r, const struct ax_report_row *w)
{
	if (w->verdict_coverage == AX_VERDICT_UNMET ||
	    w->verdict_awareness == AX_VERDICT_UNMET ||
	    w->verdict_satisfaction == AX_VERDICT_UNMET)
		return 1;
	for (int k = 0; k < r->nrates; k++)
		if (w->verdict_rates[k] == AX_VERDICT_UNMET)
			return 1;
	return 0;
}

int ax_report_below(const struct ax_report *r, int min_level, int *idx)
{
	int n = 0;

	for (int i = 0; i < r->nrows; i++)
		if (r->rows[i].level >= min_level && row_below(r, &r->rows[i]))
			idx[n++] = i;
	/* insertion sort: a county has a few hundred villages and grids */
	for (int i = 1; i < n; i++) {
		int v = idx[i], j = i;
		const struct ax_report_row *a = &r->rows[v];
		while (j > 0) {
			const struct ax_report_row *b = &r->rows[idx[j - 1]];
			/* cross-multiplied: exact, and 0 households sorts first */
			long long lhs = a->reached * b->households,
			          rhs = b->reached * a->households;
			if (lhs > rhs || (lhs == rhs && strcmp(a->code, b->code) >= 0))
				break;
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = v;
	}
	return n;
}
