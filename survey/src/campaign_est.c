/*
 * campaign_est.c -- how long a campaign needs to reach its households
 * (campaign.h, ax_campaign_estimate): the SMS it sends each household, in
 * messages and in segments (what the daily cap counts), against the
 * modems' pace outside quiet hours and the per-SIM daily cap.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/auth.h"
#include "anxin/campaign.h"
#include "anxin/funnel.h"
#include "anxin/text.h"
#include "anxin_int.h"
#include "db.h"

/* What a gateway appends to an intro that lacks it (sms-gateway/flow.c). */
#define OPTOUT_TAIL "回复TD退订"

static int segs(const char *text)
{
	return text && *text ? ax_sms_segments(text, NULL, NULL) : 0;
}

/* The question as an SMS (its options as written). */
static int question_segs(const struct ax_question *q)
{
	char buf[1024];
	if (q->type == AX_Q_KNOWLEDGE && ax_question_sms_ordered(q, NULL, buf,
	                                                         sizeof buf) > 0)
		return segs(buf);
	return segs(q->sms ? q->sms : q->text);
}

/* A survey's messages to a household: reach (intro and first question)
 * and whole (every question it is shown, and the thanks). */
static void survey_load(const struct ax_survey *s, struct ax_campaign_est *e)
{
	char intro[1024];
	int shown = 0, nknow = 0, kseg = 0;

	const char *in = s->sms_intro ? s->sms_intro : "";
	size_t a = strlen(in), b = strlen(OPTOUT_TAIL);
	int tail = a >= b && strcmp(in + a - b, OPTOUT_TAIL) == 0;

	snprintf(intro, sizeof intro, "%s%s%s", in, tail ? "" : a ? "。" : "",
	         tail ? "" : OPTOUT_TAIL);
	e->reach_msgs = 1;
	e->reach_segs = segs(intro);
	e->whole_msgs = 1;
	e->whole_segs = e->reach_segs;
	for (int i = 0; i < s->nquestions; i++) {
		const struct ax_question *q = &s->questions[i];
		int n = question_segs(q);
		if (q->type == AX_Q_KNOWLEDGE && s->draw > 0) {
			nknow++; /* a bank: `draw` of them, at their mean length */
			kseg += n;
			continue;
		}
		if (!shown++) {
			e->reach_msgs++;
			e->reach_segs += n;
		}
		e->whole_msgs++;
		e->whole_segs += n;
	}
	if (nknow) {
		int d = s->draw < nknow ? s->draw : nknow;
		if (!shown) {
			e->reach_msgs++;
			e->reach_segs += (kseg + nknow - 1) / nknow;
		}
		e->whole_msgs += d;
		e->whole_segs += (kseg * d + nknow - 1) / nknow;
		shown += d;
	}
	e->questions = shown;
	if (s->sms_thanks && *s->sms_thanks) {
		e->whole_msgs++;
		e->whole_segs += segs(s->sms_thanks);
	}
}

/* The days between two digests to one household: smsd's default
 * digest_gap (sms-gateway/config.c). */
#define DIGEST_GAP_DAYS 1.0

/* Every digest of the packs, once, after the survey if there is one; an
 * outreach campaign reaches a household with its first (which carries
 * the opt-out tail, as the gateway adds it). */
static void packs_load(const ax_content *ct, const char *packs, int survey,
                       struct ax_campaign_est *e)
{
	char list[256], *save = NULL;
	snprintf(list, sizeof list, "%s", packs);
	for (char *id = strtok_r(list, ",", &save); id; id = strtok_r(NULL, ",", &save)) {
		const struct ax_pack *p = ax_content_find_pack(ct, id);
		for (int k = 0; p && k < p->ndigests; k++) {
			int n = segs(p->digests[k].text);
			if (!survey && !e->reach_msgs) {
				char first[1024];
				const char *t = p->digests[k].text;
				size_t a = strlen(t), b = strlen(OPTOUT_TAIL);
				snprintf(first, sizeof first, "%s%s", t,
				         a >= b && strcmp(t + a - b, OPTOUT_TAIL) == 0 ? ""
				                                                       : OPTOUT_TAIL);
				n = segs(first);
				e->reach_msgs = 1;
				e->reach_segs = n;
			}
			e->whole_msgs++;
			e->whole_segs += n;
			e->digests++;
		}
	}
	/* one a day: with a survey the first a day after the thanks, else
	 * the first at once */
	if (e->digests)
		e->digest_days = DIGEST_GAP_DAYS * (survey ? e->digests : e->digests - 1);
}

/* Days for `households` × (msgs, segs) at the campaign's pace and cap. */
static double days_for(const struct ax_campaign *c, int modems, long long hh,
                       int msgs, int segments, int send_min)
{
	double by_pace = 0, by_cap = 0;
	if (c->pace_per_min > 0 && send_min > 0)
		by_pace = (double)hh * msgs / ((double)modems * c->pace_per_min * send_min);
	if (c->daily_cap > 0)
		by_cap = (double)hh * segments / ((double)modems * c->daily_cap);
	return by_pace > by_cap ? by_pace : by_cap;
}

ax_rc ax_campaign_median_completion(ax_store *st, const struct ax_campaign *c,
                                    const char *region, long long *median,
                                    long long *n)
{
	ax_stmt *s;
	long long *v = NULL, cap = 0;
	ax_rc rc;
	int src;

	*median = -1;
	*n = 0;
	if ((rc = ax__dprepare(st, &s,
	                       "SELECT completed_at - started_at, region FROM responses"
	                       " WHERE wave = ?1 AND channel = 'sms' AND status ="
	                       " 'complete' AND counted = 1 AND started_at IS NOT NULL"
	                       " AND completed_at IS NOT NULL ORDER BY 1")))
		return rc;
	ax_stmt_bind_text(s, 1, c->wave);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		const char *r = ax_stmt_text(s, 1);
		if (region && *region && (!r || !ax_region_covers(region, r)))
			continue;
		if (*n == cap) {
			long long *nv = realloc(v, (size_t)(cap ? cap * 2 : 64) * sizeof *v);
			if (!nv) {
				free(v);
				ax_stmt_finalize(s);
				ax__store_seterr(st, "out of memory");
				return AX_NOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 64;
		}
		v[(*n)++] = ax_stmt_int64(s, 0);
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "responses");
	ax_stmt_finalize(s);
	if (rc) {
		free(v);
		*n = 0;
		return rc;
	}
	/* the upper middle of an even count, as anxin-smsd --status */
	if (*n)
		*median = v[*n / 2];
	free(v);
	return AX_OK;
}

void ax_campaign_span(double days, const char *hours, const char *days_unit,
                      char *buf, size_t n)
{
	if (days < 1)
		snprintf(buf, n, "%.1f %s", days * 24, hours);
	else
		snprintf(buf, n, "%.1f %s", days, days_unit);
}

ax_rc ax_campaign_estimate(ax_store *st, const struct ax_campaign *c,
                           int modems, struct ax_campaign_est *e)
{
	ax_content *ct = NULL;
	struct ax_funnel fu;
	int quiet;
	ax_rc rc;

	memset(e, 0, sizeof *e);
	e->modems = modems > 0 ? modems : 1;
	if ((rc = ax_funnel_build(st, c, NULL, &fu)))
		return rc;
	e->households = c->sample_n > 0 && c->sample_n < fu.targeted ? c->sample_n
	                                                              : fu.targeted;
	if ((rc = ax_content_load_store(st, &ct)))
		return rc;
	if (c->survey[0]) {
		const struct ax_survey *s =
		    ax_content_find_survey(ct, c->survey, c->survey_version);
		if (s)
			survey_load(s, e);
	}
	if (c->packs[0])
		packs_load(ct, c->packs, c->survey[0] != 0, e);
	ax_content_free(ct);
	quiet = (c->quiet_end - c->quiet_start + 1440) % 1440;
	e->send_minutes = 1440 - quiet;
	e->reach_days = days_for(c, e->modems, e->households, e->reach_msgs,
	                         e->reach_segs, e->send_minutes);
	e->whole_days = days_for(c, e->modems, e->households, e->whole_msgs,
	                         e->whole_segs, e->send_minutes);
	if (e->whole_days < e->digest_days)
		e->whole_days = e->digest_days;
	e->window_days = c->ends_at > c->starts_at
	                     ? (double)(c->ends_at - c->starts_at) / 86400.0
	                     : 0;
	e->too_short = e->window_days > 0 && e->reach_days > e->window_days;
	return AX_OK;
}
