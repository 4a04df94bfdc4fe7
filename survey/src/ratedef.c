/*
 * ratedef.c -- which counts may be summed into one rate.
 *
 * A rate is identified by its definition: the question's scale (option
 * codes and labels), the options that count as positive (satisfied,
 * safe, aware ...) and those left out of the denominator (说不清).  Two
 * surveys' counts are added into one figure only when those are
 * identical; otherwise each survey's figure is reported apart, under its
 * own name.  satisfaction.json counting 基本满意 as satisfied and
 * safety-ceping.json not counting it are two different rates: summed,
 * they gave the county a 满意度 that neither survey measured.
 *
 * The county's headline 满意度 is the rate of the survey it designated
 * as its official 测评 wording (ax_official_survey_set; the store's meta
 * table), summed with surveys whose rule is identical to it.  Without a
 * designation it is the one rule every survey with satisfaction answers
 * shares, and none when they differ.  The further rates (安全感 ...) of one id follow the
 * same rule: the designated survey's definition, else that of the last
 * installed survey defining the id, keeps the plain id.
 *
 * Definitions are read from the latest installed version of each survey.
 * Cost: one content load and O(surveys x rates) string compares per
 * report.
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/content.h"
#include "anxin/metrics.h"
#include "anxin_int.h"
#include "db.h"
#include "ratedef_int.h"

/* ---- the designation ---------------------------------------------------- */
ax_rc ax_official_survey_get(ax_store *st, char out[AX_SURVEY_ID_MAX])
{
	ax_stmt *s;
	ax_rc rc;
	int src;

	out[0] = '\0';
	if ((rc = ax__dprepare(st, &s, "SELECT value FROM meta WHERE key = "
	                               "'official_survey'")))
		return rc;
	src = ax_stmt_step(s);
	if (src == AX_DB_ROW)
		snprintf(out, AX_SURVEY_ID_MAX, "%s", ax_stmt_text(s, 0));
	rc = src == AX_DB_ROW || src == AX_DB_DONE
	         ? AX_OK
	         : ax__store_dberr(st, "official survey");
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_official_survey_set(ax_store *st, const char *id)
{
	ax_content *c = NULL;
	const struct ax_survey *sv;
	ax_stmt *s;
	ax_rc rc;
	int src;

	if (!id || !*id) {
		if ((rc = ax__dprepare(st, &s, "DELETE FROM meta WHERE key = "
		                               "'official_survey'")))
			return rc;
	} else {
		if ((rc = ax_content_load_store(st, &c)))
			return rc;
		sv = ax_content_find_survey(c, id, 0);
		if (!sv || !sv->sat_question) {
			ax__store_seterr(st, sv ? "survey \"%s\" has no satisfaction rule "
			                          "(metrics.satisfaction)"
			                        : "survey \"%s\" is not installed",
			                 id);
			ax_content_free(c);
			return AX_INVALID;
		}
		ax_content_free(c);
		if ((rc = ax__dprepare(st, &s, "INSERT INTO meta(key, value) "
		                               "VALUES('official_survey', ?1) ON "
		                               "CONFLICT(key) DO UPDATE SET value = "
		                               "excluded.value")))
			return rc;
		ax_stmt_bind_text(s, 1, id);
	}
	src = ax_stmt_step(s);
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "official survey");
	ax_stmt_finalize(s);
	return rc;
}

/* ---- signatures ----------------------------------------------------------- */
static int has_code(const char *const *v, int n, const char *code)
{
	for (int i = 0; i < n; i++)
		if (strcmp(v[i], code) == 0)
			return 1;
	return 0;
}

/* What a rule on question qid means, as text: type, then every option
 * as code=label and its role (+ positive, ? don't know, - other).
 * Equal texts, equal definitions. */
static void signature(const struct ax_survey *sv, const char *qid,
                      const char *const *pos, int npos,
                      const char *const *dk, int ndk, struct ax_buf *b)
{
	const struct ax_question *q = ax_survey_question(sv, qid);

	if (!q) {
		ax__buf_printf(b, "?%s/%s", sv->id, qid); /* unique: never merged */
		return;
	}
	ax__buf_printf(b, "%s", ax_qtype_name(q->type));
	for (int i = 0; i < q->noptions; i++) {
		const struct ax_option *o = &q->options[i];
		ax__buf_printf(b, "|%s=%s%c", o->code, o->label,
		               has_code(pos, npos, o->code)  ? '+'
		               : has_code(dk, ndk, o->code) ? '?'
		                                            : '-');
	}
}

/* ---- the definitions ---------------------------------------------------- */
static struct ax__def *def_add(struct ax__defs *d)
{
	if (d->n == d->cap) {
		int cap = d->cap ? d->cap * 2 : 32;
		struct ax__def *v = realloc(d->v, sizeof *v * (size_t)cap);
		if (!v)
			return NULL;
		d->v = v;
		d->cap = cap;
	}
	memset(&d->v[d->n], 0, sizeof d->v[0]);
	return &d->v[d->n++];
}

void ax__defs_free(struct ax__defs *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++)
		free(d->v[i].sig);
	free(d->v);
	ax_content_free(d->content);
	memset(d, 0, sizeof *d);
}

/* One definition of each (latest survey, rule). */
static ax_rc collect(const ax_content *c, struct ax__defs *d)
{
	for (int i = 0; i < ax_content_nsurveys(c); i++) {
		const struct ax_survey *sv = ax_content_survey(c, i);
		if (ax_content_find_survey(c, sv->id, 0) != sv)
			continue; /* an older version */
		for (int j = -1; j < sv->nrates; j++) {
			struct ax_buf b = {0};
			struct ax__def *e;
			if (j < 0 && !sv->sat_question)
				continue;
			if (j < 0)
				signature(sv, sv->sat_question, sv->satisfied, sv->nsatisfied,
				          sv->sat_dont_know, sv->nsat_dont_know, &b);
			else
				signature(sv, sv->rates[j].question, sv->rates[j].positive,
				          sv->rates[j].npositive, sv->rates[j].dont_know,
				          sv->rates[j].ndont_know, &b);
			if (b.oom || !(e = def_add(d))) {
				ax__buf_free(&b);
				return AX_NOMEM;
			}
			e->sig = ax__buf_take(&b);
			if (!e->sig)
				return AX_NOMEM;
			snprintf(e->survey, sizeof e->survey, "%s", sv->id);
			snprintf(e->rate, sizeof e->rate, "%s", j < 0 ? "" : sv->rates[j].id);
			e->sv = sv;
			e->rule = j;
			e->order = i * AX_MAX_RATES + (j < 0 ? 0 : j);
		}
	}
	return AX_OK;
}

/* The definition every other of the same rate is compared with. */
static const struct ax__def *canonical(const struct ax__defs *d,
                                       const char *rate)
{
	const struct ax__def *last = NULL;
	const char *sig = NULL;

	for (int i = 0; i < d->n; i++) {
		if (strcmp(d->v[i].rate, rate) != 0)
			continue;
		if (d->official[0] && strcmp(d->v[i].survey, d->official) == 0)
			return &d->v[i];
		last = &d->v[i];
	}
	if (rate[0] || d->official[0])
		/* a designation that defines no such rate: the last survey's */
		return rate[0] ? last : NULL;
	/* no designation: satisfaction has a headline only when every survey
	 * with satisfaction answers defines it the same way */
	last = NULL;
	for (int i = 0; i < d->n; i++)
		if (!d->v[i].rate[0] && d->v[i].answered) {
			if (sig && strcmp(sig, d->v[i].sig) != 0)
				return NULL;
			sig = d->v[i].sig;
			last = &d->v[i];
		}
	return last;
}

/* Mark the satisfaction rules of surveys with any satisfaction answers
 * (all time, all regions: the headline does not change with a filter);
 * one answered survey that is not installed leaves no headline. */
static ax_rc mark_answered(ax_store *st, struct ax__defs *d, int *unknown)
{
	ax_stmt *s;
	ax_rc rc;
	int src;

	*unknown = 0;
	if ((rc = ax__dprepare(st, &s, "SELECT DISTINCT survey FROM tally_total "
	                               "WHERE metric IN ('sat', 'satdk') AND den "
	                               "<> 0")))
		return rc;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		const char *id = ax_stmt_text(s, 0);
		struct ax__def *e = (struct ax__def *)ax__defs_find(d, id, "");
		if (e)
			e->answered = 1;
		else
			*unknown = 1;
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "tally");
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax__defs_load(ax_store *st, const char *survey, struct ax__defs *d)
{
	ax_content *c = NULL;
	int unknown = 0;
	ax_rc rc;

	memset(d, 0, sizeof *d);
	d->one_survey = survey != NULL;
	if ((rc = ax_official_survey_get(st, d->official)))
		return rc;
	if ((rc = ax_content_load_store(st, &c)))
		return rc == AX_INVALID ? AX_OK : rc; /* no content: nothing merges */
	d->content = c;
	if ((rc = collect(c, d)))
		return rc;
	if (!d->official[0] && !survey && (rc = mark_answered(st, d, &unknown)))
		return rc;
	for (int i = 0; i < d->n; i++) {
		struct ax__def *e = &d->v[i];
		const struct ax__def *k = canonical(d, e->rate);
		e->main = k && strcmp(k->sig, e->sig) == 0;
	}
	d->headline = unknown ? NULL : canonical(d, "");
	for (int i = 0; i < d->n; i++)
		if (!d->v[i].rate[0])
			d->v[i].main = d->headline && strcmp(d->headline->sig, d->v[i].sig) == 0;
	/* the surveys sharing a definition report under the first's name */
	for (int i = 0; i < d->n; i++) {
		struct ax__def *e = &d->v[i];
		const struct ax__def *first = e;
		for (int j = 0; j < d->n; j++)
			if (strcmp(d->v[j].rate, e->rate) == 0 &&
			    strcmp(d->v[j].sig, e->sig) == 0 &&
			    strcmp(d->v[j].survey, first->survey) < 0)
				first = &d->v[j];
		snprintf(e->group, sizeof e->group, "%s", first->survey);
	}
	return AX_OK;
}

const struct ax__def *ax__defs_find(const struct ax__defs *d,
                                    const char *survey, const char *rate)
{
	for (int i = 0; i < d->n; i++)
		if (strcmp(d->v[i].survey, survey) == 0 &&
		    strcmp(d->v[i].rate, rate) == 0)
			return &d->v[i];
	return NULL;
}

int ax__defs_key(const struct ax__defs *d, const char *survey,
                 const char *rate, char *key, size_t n)
{
	const struct ax__def *e;

	if (d->one_survey) { /* one survey: one definition of each rate */
		snprintf(key, n, "%s", rate);
		return !rate[0];
	}
	e = ax__defs_find(d, survey, rate);
	if (e && e->main) {
		snprintf(key, n, "%s", rate);
		return !rate[0];
	}
	/* its own definition, or a survey no longer installed */
	snprintf(key, n, "%s@%s", rate[0] ? rate : "sat", e ? e->group : survey);
	return 0;
}

int ax__defs_headline(const struct ax__defs *d, const char *survey)
{
	char key[96];
	return ax__defs_key(d, survey, "", key, sizeof key);
}

/* s into buf[n], cut before a character rather than inside one */
static void cut(const char *s, char *buf, size_t n)
{
	size_t k = strlen(s);

	if (k >= n) {
		k = n - 1;
		while (k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80)
			k--;
	}
	memcpy(buf, s, k);
	buf[k] = '\0';
}

int ax__defs_info(const struct ax__defs *d, const char *key,
                  struct ax_rate_info *info, int *order)
{
	const char *at = strchr(key, '@');
	char rate[40];
	char name[256];
	const struct ax__def *e;

	if (!at)
		return -1;
	snprintf(rate, sizeof rate, "%.*s", (int)(at - key), key);
	e = ax__defs_find(d, at + 1, strcmp(rate, "sat") == 0 ? "" : rate);
	if (!e) { /* not installed: say what it is without a name */
		snprintf(name, sizeof name, "%s（%s）",
		         strcmp(rate, "sat") == 0 ? "满意度" : rate, at + 1);
		cut(name, info->name, sizeof info->name);
		info->target = AX_TARGET_SATISFACTION;
		info->has_dont_know = 1;
		*order = (1 << 29) + 1;
		return 0;
	}
	if (e->rule < 0) {
		snprintf(name, sizeof name, "满意度（%.200s）", e->sv->title);
		info->target = e->sv->sat_target > 0 ? e->sv->sat_target
		                                     : AX_TARGET_SATISFACTION;
		info->has_dont_know = e->sv->nsat_dont_know > 0;
	} else {
		const struct ax_rate_rule *rr = &e->sv->rates[e->rule];
		snprintf(name, sizeof name, "%.60s（%.180s）", rr->name, e->sv->title);
		info->target = rr->target;
		info->has_dont_know = rr->ndont_know > 0;
	}
	cut(name, info->name, sizeof info->name);
	/* after the rates of the headline definitions, by survey */
	*order = (1 << 28) + e->order;
	return 0;
}
