/*
 * sample_est.c -- the report of a sampled 测评 campaign: AAPOR
 * dispositions from the records, and design-weighted ratio estimates
 * with Taylor-linearised variances and Wilson intervals on the effective
 * sample size (sample.h states each formula).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/content.h"
#include "anxin/sample.h"
#include "anxin_int.h"
#include "db.h"
#include "records_int.h"

/* ---- the estimator --------------------------------------------------------- */

void ax_sample_estimate(const struct ax_stratum *strata, int nstrata,
                        const struct ax_sample_obs *obs, int nobs,
                        struct ax_estimate *out)
{
	double Y = 0, X = 0, V = 0, R;
	long long ny = 0, nx = 0;

	out->single_strata = 0;
	for (int h = 0; h < nstrata; h++) {
		long long r = 0;
		double w;
		for (int i = 0; i < nobs; i++)
			r += obs[i].stratum == h;
		if (!r)
			continue;
		w = (double)strata[h].frame / (double)r; /* N_h / r_h */
		for (int i = 0; i < nobs; i++)
			if (obs[i].stratum == h) {
				Y += w * obs[i].y;
				X += w * obs[i].x;
			}
	}
	for (int i = 0; i < nobs; i++) {
		ny += obs[i].y;
		nx += obs[i].x;
	}
	ax_rate_make(&out->unweighted, ny, nx);
	out->est = R = X > 0 ? Y / X : 0;
	for (int h = 0; X > 0 && h < nstrata; h++) {
		long long r = 0;
		double zbar = 0, ss = 0, N = (double)strata[h].frame;
		for (int i = 0; i < nobs; i++)
			if (obs[i].stratum == h) {
				zbar += obs[i].y - R * obs[i].x;
				r++;
			}
		if (r == 1)
			out->single_strata++;
		if (r < 2)
			continue;
		zbar /= (double)r;
		for (int i = 0; i < nobs; i++)
			if (obs[i].stratum == h) {
				double d = obs[i].y - R * obs[i].x - zbar;
				ss += d * d;
			}
		V += N * N * (1 - (double)r / N) * (ss / (double)(r - 1)) / (double)r;
	}
	if (X > 0)
		V /= X * X;
	out->se = sqrt(V);
	if (R > 0 && R < 1 && V > 0) {
		out->n_eff = R * (1 - R) / V;
		out->deff = V / (R * (1 - R) / (double)nx);
	} else {
		out->n_eff = (double)nx;
		out->deff = 0;
	}
	ax__wilson_p(R, out->n_eff, &out->low, &out->high);
	if (X > 0 && R >= 1)
		out->high = 1;
	if (R <= 0)
		out->low = 0;
}

/* ---- from the store ------------------------------------------------------- */

/* One respondent's results, as its response row stores them. */
struct resp {
	int stratum;
	int has_sat, sat, sat_dk;
	struct ax_derived d;
	char names[AX__RESULT_NAMES][40];
};

static ax_rc find_campaign(ax_store *st, const char *id, struct ax_campaign *c)
{
	struct ax_campaign *v;
	int n, found = 0;
	ax_rc rc;

	if ((rc = ax_campaign_list(st, 0, 0, &v, &n)))
		return rc;
	for (int i = 0; i < n && !found; i++)
		if (strcmp(v[i].id, id) == 0) {
			*c = v[i];
			found = 1;
		}
	free(v);
	if (!found || c->sample_n <= 0) {
		ax__store_seterr(st, "\"%s\" is not a sampled campaign", id);
		return AX_NOTFOUND;
	}
	return AX_OK;
}

static int stratum_index(const struct ax_sample_report *r, const char *code)
{
	for (int h = 0; h < r->nstrata; h++)
		if (strcmp(r->strata[h].code, code) == 0)
			return h;
	return -1;
}

/*
 * Classify every drawn household (sample.h: the first class that
 * applies) and collect the respondents' results.  One statement, run
 * once per household, probing the responses_household and contacts_reach
 * indexes.
 */
static ax_rc dispositions(ax_store *st, struct ax_sample_report *r,
                          struct resp **out, int *nresp)
{
	static const char sql[] =
	    "SELECT (SELECT COALESCE(CAST(sat AS TEXT), '-') || '|' || "
	    "COALESCE(topics, '') FROM responses WHERE household = ?1 AND "
	    "survey = ?2 AND wave = ?3 AND counted = 1 AND status = 'complete' "
	    "LIMIT 1), NULL, "
	    "EXISTS(SELECT 1 FROM responses WHERE household = ?1 AND survey = ?2 "
	    "AND wave = ?3 AND status IN ('partial', 'complete')), "
	    "EXISTS(SELECT 1 FROM contacts WHERE household = ?1 AND kind = "
	    "'sms_replied' AND at >= ?4 AND at < ?5), "
	    "EXISTS(SELECT 1 FROM contacts WHERE household = ?1 AND kind = "
	    "'sms_delivered' AND at >= ?4 AND at < ?5)";
	struct ax_sample_unit *u;
	struct resp *v = NULL;
	ax_stmt *s;
	struct ax_dispositions *dp = &r->disp;
	int n, src = AX_DB_DONE;
	ax_rc rc;

	*out = NULL;
	*nresp = 0;
	if ((rc = ax_sample_units(st, r->c.id, &u, &n)))
		return rc;
	if (!(v = calloc((size_t)(n ? n : 1), sizeof *v))) {
		free(u);
		return AX_NOMEM;
	}
	if ((rc = ax__dprepare(st, &s, sql))) {
		free(u);
		free(v);
		return rc;
	}
	for (int i = 0; i < n; i++) {
		const char *res;
		ax_stmt_reset(s);
		ax_stmt_bind_text(s, 1, u[i].household);
		ax_stmt_bind_text(s, 2, r->c.survey);
		ax_stmt_bind_text(s, 3, r->c.wave);
		ax_stmt_bind_int64(s, 4, r->c.starts_at);
		ax_stmt_bind_int64(s, 5, r->c.ends_at);
		if ((src = ax_stmt_step(s)) != AX_DB_ROW)
			break;
		src = AX_DB_DONE;
		dp->drawn++;
		/* "SAT|TOPICS" of the counted complete response: SAT 1, 0 or
		 * '-' (not answered or 说不清), TOPICS as ax__topics_format */
		res = ax_stmt_text(s, 0);
		if (res) {
			struct resp *x = &v[(*nresp)++];
			int h = stratum_index(r, u[i].stratum);
			dp->complete++;
			x->stratum = h;
			if (h >= 0)
				r->strata[h].complete++;
			x->has_sat = res[0] == '0' || res[0] == '1';
			x->sat = res[0] == '1';
			ax__topics_parse(strchr(res, '|') + 1, &x->d, x->names);
			x->sat_dk = x->d.sat_dont_know;
		} else if (ax_stmt_int64(s, 2)) {
			dp->partial++;
		} else if (ax_stmt_int64(s, 3)) {
			dp->refused++;
		} else if (ax_stmt_int64(s, 4)) {
			dp->noncontact++;
		} else {
			dp->unknown++;
		}
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "dispositions");
	ax_stmt_finalize(s);
	free(u);
	if (rc) {
		free(v);
		*nresp = 0;
		return rc;
	}
	if (dp->drawn) {
		dp->rr1 = (double)dp->complete / (double)dp->drawn;
		dp->contact_rate =
		    (double)(dp->complete + dp->partial + dp->refused) / (double)dp->drawn;
	}
	*out = v;
	return AX_OK;
}

/* y and x of respondent x for estimate e ("sat", "aw:TOPIC" or a rate
 * id); returns 1 when the respondent answered 说不清 to it. */
static int observe(const struct resp *x, const char *e, struct ax_sample_obs *o)
{
	o->stratum = x->stratum;
	o->y = o->x = 0;
	if (strcmp(e, "sat") == 0) {
		o->x = x->has_sat;
		o->y = x->has_sat && x->sat;
		return x->sat_dk;
	}
	if (strncmp(e, "aw:", 3) == 0) {
		for (int i = 0; i < x->d.ntopics; i++)
			if (strcmp(x->d.topic[i], e + 3) == 0) {
				o->x = 1;
				o->y = x->d.passed[i] != 0;
			}
		return 0;
	}
	for (int i = 0; i < x->d.nrates; i++)
		if (strcmp(x->d.rate[i], e) == 0) {
			int state = x->d.rate_state[i];
			o->x = state == 1 || state == 2;
			o->y = state == 2;
			return state == 3;
		}
	return 0;
}

static void add_estimate(struct ax_sample_report *r, const struct resp *v,
                         int nv, struct ax_sample_obs *obs, const char *id,
                         const char *name, double target)
{
	struct ax_estimate *e;
	long long dk = 0;

	if (r->nest >= AX_SAMPLE_MAX_EST)
		return;
	e = &r->est[r->nest++];
	memset(e, 0, sizeof *e);
	snprintf(e->id, sizeof e->id, "%s", id);
	snprintf(e->name, sizeof e->name, "%s", name);
	e->target = target > 0 ? target : AX_TARGET_SATISFACTION;
	for (int i = 0; i < nv; i++)
		dk += observe(&v[i], id, &obs[i]);
	e->dont_know = dk;
	ax_sample_estimate(r->strata, r->nstrata, obs, nv, e);
	e->met = ax_estimate_verdict(e) == AX_VERDICT_MET;
}

/* The survey's metrics in its own order: satisfaction, further rates,
 * awareness topics. */
static ax_rc estimates(ax_store *st, struct ax_sample_report *r,
                       const struct resp *v, int nv)
{
	ax_content *c = NULL;
	const struct ax_survey *sv;
	struct ax_sample_obs *obs;
	ax_rc rc;

	if ((rc = ax_content_load_store(st, &c)))
		return rc == AX_INVALID ? AX_OK : rc;
	sv = ax_content_find_survey(c, r->c.survey, r->c.survey_version);
	if (!(obs = calloc((size_t)(nv ? nv : 1), sizeof *obs))) {
		ax_content_free(c);
		return AX_NOMEM;
	}
	if (sv && sv->sat_question)
		add_estimate(r, v, nv, obs, "sat", "满意度", sv->sat_target);
	for (int k = 0; sv && k < sv->nrates; k++)
		add_estimate(r, v, nv, obs, sv->rates[k].id, sv->rates[k].name,
		             sv->rates[k].target);
	for (int k = 0; sv && k < sv->nawareness; k++) {
		char id[40], name[64];
		snprintf(id, sizeof id, "aw:%s", sv->awareness[k].topic);
		snprintf(name, sizeof name, "知晓率·%s",
		         ax_topic_name(sv->awareness[k].topic));
		add_estimate(r, v, nv, obs, id, name,
		             sv->awareness[k].target > 0 ? sv->awareness[k].target
		                                         : AX_TARGET_AWARENESS);
	}
	free(obs);
	ax_content_free(c);
	return AX_OK;
}

ax_rc ax_sample_report_build(ax_store *st, const char *id,
                             struct ax_sample_report **out)
{
	struct ax_sample_report *r;
	struct resp *v = NULL;
	int nv = 0;
	ax_rc rc;

	*out = NULL;
	if (!(r = calloc(1, sizeof *r)))
		return AX_NOMEM;
	if ((rc = find_campaign(st, id, &r->c)) ||
	    (rc = ax_sample_strata(st, id, &r->strata, &r->nstrata)))
		goto fail;
	r->strata_level = r->c.strata;
	if ((rc = dispositions(st, r, &v, &nv)) || (rc = estimates(st, r, v, nv)))
		goto fail;
	free(v);
	*out = r;
	return AX_OK;
fail:
	free(v);
	ax_sample_report_free(r);
	return rc;
}

void ax_sample_report_free(struct ax_sample_report *r)
{
	if (!r)
		return;
	free(r->strata);
	free(r);
}

void ax_sample_report_suppress(struct ax_sample_report *r, int below)
{
	for (int k = 0; k < r->nest; k++) {
		struct ax_estimate *e = &r->est[k];
		if (!ax_rate_suppress(&e->unweighted, e->unweighted.den + e->dont_know,
		                      below))
			continue;
		e->est = e->se = e->low = e->high = e->n_eff = e->deff = 0;
		e->dont_know = 0;
		e->met = 0;
	}
}

ax_rc ax_sample_reports(ax_store *st, struct ax_sample_report ***out, int *n)
{
	struct ax_campaign *v;
	struct ax_sample_report **list;
	int nc;
	ax_rc rc;

	*out = NULL;
	*n = 0;
	if ((rc = ax_campaign_list(st, 0, 0, &v, &nc)))
		return rc;
	if (!(list = calloc((size_t)(nc ? nc : 1), sizeof *list))) {
		free(v);
		return AX_NOMEM;
	}
	/* ax_campaign_list is oldest first */
	for (int i = nc - 1; i >= 0; i--) {
		if (v[i].sample_n <= 0)
			continue;
		if ((rc = ax_sample_report_build(st, v[i].id, &list[*n]))) {
			for (int k = 0; k < *n; k++)
				ax_sample_report_free(list[k]);
			free(list);
			free(v);
			*n = 0;
			return rc;
		}
		(*n)++;
	}
	free(v);
	*out = list;
	return AX_OK;
}

enum ax_verdict ax_estimate_verdict(const struct ax_estimate *e)
{
	/* the weighted estimate and its interval, judged like any rate:
	 * a small sample is 达标 only when proven (ax_verdict_of) */
	struct ax_rate r = e->unweighted;

	r.rate = e->est;
	r.low = e->low;
	r.high = e->high;
	return ax_verdict_of(&r, e->target, 0);
}
