/*
 * demo.c -- deterministic synthetic records (demo, benchmarks).
 *
 * The mix: door-to-door visits and SMS deliveries for a share of the
 * households, survey answers from part of them (knowledge questions right
 * about 85 % of the time, varying by village so some villages miss the
 * 90 % target), and anonymous kiosk answers.
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/demo.h"
#include "anxin/response.h"
#include "anxin/sample.h"
#include "anxin_int.h"
#include "db.h"

struct hh {
	char id[24];
	char grid[24];
	double skill; /* village-level tendency to know the answers */
	double happy; /* village-level tendency to be satisfied */
};

static unsigned long long next(unsigned long long *s)
{
	/* splitmix64: tiny, good enough, identical everywhere */
	unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static double unif(unsigned long long *s) { return (double)(next(s) >> 11) / 9007199254740992.0; }

static void uuid4(unsigned long long *s, char out[37])
{
	unsigned long long a = next(s), b = next(s);
	unsigned char u[16];
	for (int i = 0; i < 8; i++) {
		u[i] = (unsigned char)(a >> (8 * i));
		u[8 + i] = (unsigned char)(b >> (8 * i));
	}
	u[6] = (unsigned char)((u[6] & 0x0F) | 0x40);
	u[8] = (unsigned char)((u[8] & 0x3F) | 0x80);
	snprintf(out, 37,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10],
	         u[11], u[12], u[13], u[14], u[15]);
}

static double village_factor(const char *grid, unsigned salt)
{
	unsigned h = 2166136261u ^ salt;
	for (int i = 0; i < 12 && grid[i]; i++)
		h = (h ^ (unsigned char)grid[i]) * 16777619u;
	return (double)(h % 1000) / 1000.0;
}

/* Draw the answers of one response: knowledge questions right with a
 * village's skill, opinions mostly satisfied; a partial response stops
 * at a random question.  The draws happen in question order, so a seed
 * gives the same answers whatever the model does with them. */
static void draw_answers(struct ax_response *r, const struct hh *h,
                         unsigned long long *rng, int complete)
{
	const struct ax_survey *sv = r->survey;
	int n = sv->nquestions;
	int stop = complete ? n : (int)(unif(rng) * n);

	for (int i = 0; i < stop; i++) {
		const struct ax_question *q = &sv->questions[i];
		int k;
		if (!ax_response_shown(r, i))
			continue;
		if (q->type == AX_Q_KNOWLEDGE) {
			double p = 0.74 + 0.22 * h->skill;
			k = ax_question_optindex(q, q->answer);
			if (!(unif(rng) < p)) {
				int w = (int)(unif(rng) * q->noptions);
				k = w == k ? (w + 1) % q->noptions : w;
			}
			ax_response_set(r, i, 1ULL << k, NULL);
		} else if (q->type == AX_Q_SCALE5 || q->type == AX_Q_SINGLE) {
			/* mostly satisfied; less so in some villages */
			double u = unif(rng), p1 = 0.35 + 0.2 * h->happy,
			       p2 = p1 + 0.35, p3 = p2 + 0.15 + 0.1 * h->happy;
			k = u < p1 ? 0 : u < p2 ? 1 : u < p3 ? 2 : u < 0.985 ? 3 : 4;
			if (k >= q->noptions)
				k = q->noptions - 1;
			ax_response_set(r, i, 1ULL << k, NULL);
		} else if (q->type == AX_Q_YESNO) {
			ax_response_set(r, i, 1ULL << (unif(rng) < 0.82 ? 0 : 1), NULL);
		} else { /* multi */
			uint64_t sel = 0;
			for (k = 0; k < q->noptions; k++)
				if (unif(rng) < 0.4 || (!sel && k == q->noptions - 1))
					sel |= 1ULL << k;
			ax_response_set(r, i, sel, NULL);
		}
	}
}

/* ---- a sampled 测评 -------------------------------------------------------- */

/* An SMS contact of household h at `at`: 0, non-zero to stop. */
static int emit_contact(ax_demo_emit_fn emit, void *ctx, unsigned long long *rng,
                        const char *hh, const char *kind, long long at)
{
	struct ax_contact_meta cm = {0};
	char id[37], *line;
	int stop;

	uuid4(rng, id);
	cm.id = id;
	cm.household = hh;
	cm.channel = AX_CH_SMS;
	cm.kind = kind;
	cm.device = "demo-sms";
	cm.at = at;
	if (!(line = ax_contact_record(&cm)))
		return -1;
	stop = emit(ctx, line, strlen(line));
	free(line);
	return stop;
}

/* The drawn households of campaign c through its window: sent, then
 * delivered or not, replied or not, a partial or complete SMS response
 * of its survey in its wave (the shares in demo.h). */
static ax_rc sampled_records(ax_store *st, const struct ax_campaign *c,
                             const struct ax_survey *x, const struct hh *hh,
                             int nhh, unsigned long long *rng,
                             ax_demo_emit_fn emit, void *ctx)
{
	struct ax_sample_unit *u;
	int nu, stop = 0;
	ax_rc rc;

	if ((rc = ax_sample_units(st, c->id, &u, &nu)))
		return rc;
	for (int i = 0; i < nu && !stop; i++) {
		const struct hh *h = NULL;
		double r = unif(rng);
		long long at = c->starts_at + 3600 +
		               (long long)(unif(rng) * (double)(c->ends_at - c->starts_at) * 0.5);
		for (int k = 0; k < nhh && !h; k++) /* a few thousand: fine for a demo */
			if (strcmp(hh[k].id, u[i].household) == 0)
				h = &hh[k];
		if (!h)
			continue;
		stop = emit_contact(emit, ctx, rng, h->id, "sms_sent", at);
		if (!stop && r >= 0.08)
			stop = emit_contact(emit, ctx, rng, h->id, "sms_delivered", at + 20);
		if (!stop && r >= 0.30)
			stop = emit_contact(emit, ctx, rng, h->id, "sms_replied", at + 3600);
		if (!stop && r >= 0.36) {
			struct ax_response_meta m = {0};
			struct ax_response resp;
			char id[37], *line;
			uuid4(rng, id);
			m.id = id;
			m.channel = AX_CH_SMS;
			m.device = "demo-sms";
			m.household = h->id;
			m.wave = c->wave;
			m.status = r >= 0.42 ? AX_RESP_COMPLETE : AX_RESP_PARTIAL;
			m.started_at = at + 3600;
			m.completed_at = at + 3600 + 600 + (long long)(unif(rng) * 7200);
			if ((rc = ax_response_init(&resp, x)))
				break;
			draw_answers(&resp, h, rng, r >= 0.42);
			if (!(line = ax_response_record(&resp, &m))) {
				rc = AX_NOMEM;
				break;
			}
			stop = emit(ctx, line, strlen(line));
			free(line);
		}
		if (stop < 0)
			rc = AX_NOMEM;
	}
	free(u);
	return rc;
}

/* Campaign `id` if it is a sampled one, with its survey: 0, or -1 with
 * the store's message set. */
static int find_sampled(ax_store *st, const ax_content *content,
                        const char *id, struct ax_campaign *out,
                        const struct ax_survey **sv)
{
	struct ax_campaign *v;
	int n, found = 0;
	if (ax_campaign_list(st, 0, 0, &v, &n))
		return -1;
	for (int i = 0; i < n && !found; i++)
		if (strcmp(v[i].id, id) == 0 && v[i].sample_n > 0) {
			*out = v[i];
			found = 1;
		}
	free(v);
	*sv = found ? ax_content_find_survey(content, out->survey, out->survey_version)
	            : NULL;
	if (!*sv) {
		ax__store_seterr(st, "\"%s\" is not a sampled campaign with an "
		                     "installed survey", id);
		return -1;
	}
	return 0;
}

ax_rc ax_demo_records(ax_store *st, const struct ax_demo_opts *o,
                      ax_demo_emit_fn emit, void *ctx)
{
	unsigned long long rng = o->seed ? o->seed : 1;
	struct hh *hh = NULL;
	int nhh = 0, cap = 0, nsv = 0;
	const struct ax_survey *sv[64];
	ax_content *c = NULL;
	ax_stmt *s;
	long long span = (long long)(o->days > 0 ? o->days : 30) * 86400;
	struct ax_campaign camp;
	const struct ax_survey *sampled_sv = NULL;
	int stopped = 0, src;
	ax_rc rc;

	if ((rc = ax_content_load_store(st, &c)))
		return rc;
	if (o->sampled && find_sampled(st, c, o->sampled, &camp, &sampled_sv)) {
		rc = AX_NOTFOUND;
		goto done;
	}
	for (int i = 0; i < ax_content_nsurveys(c) && nsv < 64; i++) {
		const struct ax_survey *x = ax_content_survey(c, i);
		/* the 测评's survey is answered by its sample only */
		if (sampled_sv && strcmp(x->id, sampled_sv->id) == 0)
			continue;
		if (ax_content_find_survey(c, x->id, 0) == x)
			sv[nsv++] = x; /* latest version of each */
	}
	if (!nsv) {
		ax__store_seterr(st, "no surveys installed (run `anxin content "
		                     "install`)");
		rc = AX_NOTFOUND;
		goto done;
	}
	if ((rc = ax__dprepare(st, &s, "SELECT id, grid FROM households WHERE "
	                               "active = 1 ORDER BY id")))
		goto done;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		if (nhh == cap) {
			struct hh *n = realloc(hh, sizeof *n * (size_t)(cap = cap ? cap * 2 : 1024));
			if (!n) {
				ax_stmt_finalize(s);
				rc = AX_NOMEM;
				goto done;
			}
			hh = n;
		}
		snprintf(hh[nhh].id, sizeof hh[nhh].id, "%s", ax_stmt_text(s, 0));
		snprintf(hh[nhh].grid, sizeof hh[nhh].grid, "%s", ax_stmt_text(s, 1));
		hh[nhh].skill = village_factor(hh[nhh].grid, 1);
		hh[nhh].happy = village_factor(hh[nhh].grid, 2);
		nhh++;
	}
	if (src != AX_DB_DONE)
		rc = ax__store_dberr(st, "households");
	ax_stmt_finalize(s);
	if (rc)
		goto done;
	if (!nhh) {
		ax__store_seterr(st, "no households (import a roster first)");
		rc = AX_NOTFOUND;
		goto done;
	}

	for (long i = 0; i < o->count; i++) {
		char id[37], dev[16];
		double u = unif(&rng);
		/* households beyond `reach` of the roster are never contacted */
		long reachable = (long)(nhh * (o->reach > 0 ? o->reach : 0.97));
		const struct hh *h = &hh[(long)(unif(&rng) * (double)(reachable ? reachable : 1))];
		long long at = o->start + (long long)(unif(&rng) * (double)span);
		char *line;
		int stop;

		uuid4(&rng, id);
		if (u < 0.35) {
			static const char *const kinds[] = {"visit", "sms_delivered",
			                                    "sms_sent", "kiosk_session"};
			static const enum ax_channel chans[] = {AX_CH_VISIT, AX_CH_SMS,
			                                        AX_CH_SMS, AX_CH_KIOSK};
			int k = (int)(unif(&rng) * 4);
			struct ax_contact_meta cm = {0};
			snprintf(dev, sizeof dev, "demo-%s", ax_channel_name(chans[k]));
			cm.id = id;
			cm.household = h->id;
			cm.channel = o->device ? AX_CH_SMS : chans[k];
			cm.kind = o->device && chans[k] != AX_CH_SMS ? "sms_delivered"
			                                             : kinds[k];
			cm.pack = "family-safety";
			cm.device = o->device ? o->device : dev;
			cm.at = at;
			line = ax_contact_record(&cm);
		} else {
			const struct ax_survey *x = sv[(int)(unif(&rng) * nsv)];
			int anon = u > 0.85, complete = unif(&rng) < 0.95;
			enum ax_channel chan =
			    anon ? AX_CH_KIOSK : (unif(&rng) < 0.6 ? AX_CH_SMS : AX_CH_VISIT);
			struct ax_response_meta m = {0};
			struct ax_response r;
			snprintf(dev, sizeof dev, "demo-%s", ax_channel_name(chan));
			m.id = id;
			m.channel = o->device ? AX_CH_SMS : chan;
			m.device = o->device ? o->device : dev;
			m.household = anon ? NULL : h->id;
			m.region = anon ? h->grid : NULL;
			m.status = complete ? AX_RESP_COMPLETE
			                    : anon ? AX_RESP_ABANDONED : AX_RESP_PARTIAL;
			m.started_at = at;
			m.completed_at = at + 60 + (long long)(unif(&rng) * 600);
			if ((rc = ax_response_init(&r, x)))
				goto done;
			/* a quiz bank: this respondent's draw and option order,
			 * seeded from the generator's state without advancing it
			 * (the answers of surveys without a bank stay the same) */
			ax_response_draw(&r, (uint64_t)rng ^ (uint64_t)i);
			draw_answers(&r, h, &rng, complete);
			line = ax_response_record(&r, &m);
		}
		if (!line) {
			rc = AX_NOMEM;
			goto done;
		}
		stop = emit(ctx, line, strlen(line));
		free(line);
		if (stop) {
			stopped = 1;
			break;
		}
	}
	if (sampled_sv && !stopped)
		rc = sampled_records(st, &camp, sampled_sv, hh, nhh, &rng, emit, ctx);
done:
	free(hh);
	ax_content_free(c);
	return rc;
}
