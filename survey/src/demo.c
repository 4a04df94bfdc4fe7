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

#include "anxin/content.h"
#include "anxin/demo.h"
#include "anxin_int.h"

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

static int shown(const struct ax_question *q, const char *const *ans,
                 const struct ax_survey *sv)
{
	if (!q->show_if_question)
		return 1;
	for (int i = 0; i < sv->nquestions; i++)
		if (strcmp(sv->questions[i].id, q->show_if_question) == 0 && ans[i])
			for (int k = 0; k < q->nshow_if_any; k++)
				if (strcmp(ans[i], q->show_if_any[k]) == 0)
					return 1;
	return 0;
}

static void answers_json(struct ax_buf *b, const struct ax_survey *sv,
                         const struct hh *h, unsigned long long *rng,
                         int complete)
{
	const char *ans[64] = {0};
	int n = sv->nquestions < 64 ? sv->nquestions : 64;
	int stop = complete ? n : (int)(unif(rng) * n);
	int first = 1;

	ax__buf_puts(b, "{");
	for (int i = 0; i < stop; i++) {
		const struct ax_question *q = &sv->questions[i];
		if (!shown(q, ans, sv))
			continue;
		if (q->type == AX_Q_KNOWLEDGE) {
			double p = 0.74 + 0.22 * h->skill;
			if (unif(rng) < p)
				ans[i] = q->answer;
			else {
				int k = (int)(unif(rng) * q->noptions);
				if (strcmp(q->options[k].code, q->answer) == 0)
					k = (k + 1) % q->noptions;
				ans[i] = q->options[k].code;
			}
		} else if (q->type == AX_Q_SCALE5 || q->type == AX_Q_SINGLE) {
			/* mostly satisfied; less so in some villages */
			double u = unif(rng), p1 = 0.35 + 0.2 * h->happy,
			       p2 = p1 + 0.35, p3 = p2 + 0.15 + 0.1 * h->happy;
			int k = u < p1 ? 0 : u < p2 ? 1 : u < p3 ? 2 : u < 0.985 ? 3 : 4;
			if (k >= q->noptions)
				k = q->noptions - 1;
			ans[i] = q->options[k].code;
		} else if (q->type == AX_Q_YESNO) {
			ans[i] = q->options[unif(rng) < 0.82 ? 0 : 1].code;
		} else { /* multi */
			ax__buf_printf(b, "%s\"%s\":[", first ? "" : ",", q->id);
			int any = 0;
			for (int k = 0; k < q->noptions; k++)
				if (unif(rng) < 0.4 || (!any && k == q->noptions - 1)) {
					ax__buf_printf(b, "%s\"%s\"", any ? "," : "",
					               q->options[k].code);
					any = 1;
				}
			ax__buf_puts(b, "]");
			first = 0;
			continue;
		}
		ax__buf_printf(b, "%s\"%s\":\"%s\"", first ? "" : ",", q->id, ans[i]);
		first = 0;
	}
	ax__buf_puts(b, "}");
}

ax_rc ax_demo_records(ax_store *st, const struct ax_demo_opts *o,
                      ax_demo_emit_fn emit, void *ctx)
{
	unsigned long long rng = o->seed ? o->seed : 1;
	struct hh *hh = NULL;
	int nhh = 0, cap = 0, nsv = 0;
	const struct ax_survey *sv[64];
	ax_content *c = NULL;
	sqlite3_stmt *s;
	struct ax_buf b = {0};
	long long span = (long long)(o->days > 0 ? o->days : 30) * 86400;
	ax_rc rc;

	if ((rc = ax_content_load_store(st, &c)))
		return rc;
	for (int i = 0; i < ax_content_nsurveys(c) && nsv < 64; i++) {
		const struct ax_survey *x = ax_content_survey(c, i);
		if (ax_content_find_survey(c, x->id, 0) == x)
			sv[nsv++] = x; /* latest version of each */
	}
	if (!nsv) {
		ax__store_seterr(st, "no surveys installed (run `anxin content "
		                     "install`)");
		rc = AX_NOTFOUND;
		goto done;
	}
	if ((rc = ax__prepare(st, &s, "SELECT id, grid FROM households WHERE "
	                              "active ORDER BY id")))
		goto done;
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (nhh == cap) {
			struct hh *n = realloc(hh, sizeof *n * (size_t)(cap = cap ? cap * 2 : 1024));
			if (!n) {
				sqlite3_finalize(s);
				rc = AX_NOMEM;
				goto done;
			}
			hh = n;
		}
		snprintf(hh[nhh].id, sizeof hh[nhh].id, "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(hh[nhh].grid, sizeof hh[nhh].grid, "%s", (const char *)sqlite3_column_text(s, 1));
		hh[nhh].skill = village_factor(hh[nhh].grid, 1);
		hh[nhh].happy = village_factor(hh[nhh].grid, 2);
		nhh++;
	}
	sqlite3_finalize(s);
	if (!nhh) {
		ax__store_seterr(st, "no households (import a roster first)");
		rc = AX_NOTFOUND;
		goto done;
	}

	for (long i = 0; i < o->count; i++) {
		char id[37], t0[32], t1[32];
		double u = unif(&rng);
		/* households beyond `reach` of the roster are never contacted */
		long reachable = (long)(nhh * (o->reach > 0 ? o->reach : 0.97));
		const struct hh *h = &hh[(long)(unif(&rng) * (double)(reachable ? reachable : 1))];
		long long at = o->start + (long long)(unif(&rng) * (double)span);

		b.len = 0;
		uuid4(&rng, id);
		ax__time_format(at, t0, sizeof t0);
		if (u < 0.35) {
			static const char *const kinds[] = {"visit", "sms_delivered",
			                                    "sms_sent", "kiosk_session"};
			static const char *const chans[] = {"visit", "sms", "sms", "kiosk"};
			int k = (int)(unif(&rng) * 4);
			ax__buf_printf(&b,
			               "{\"type\":\"contact\",\"id\":\"%s\",\"household\":"
			               "\"%s\",\"channel\":\"%s\",\"kind\":\"%s\",\"pack\":"
			               "\"family-safety\",\"device\":\"demo-%s\",\"at\":\"%s\"}",
			               id, h->id, chans[k], kinds[k], chans[k], t0);
		} else {
			const struct ax_survey *x = sv[(int)(unif(&rng) * nsv)];
			int anon = u > 0.85, complete = unif(&rng) < 0.95;
			const char *chan = anon ? "kiosk" : (unif(&rng) < 0.6 ? "sms" : "visit");
			ax__time_format(at + 60 + (long long)(unif(&rng) * 600), t1, sizeof t1);
			ax__buf_printf(&b,
			               "{\"type\":\"response\",\"id\":\"%s\",\"survey\":\"%s\","
			               "\"survey_version\":%d,\"channel\":\"%s\",\"device\":"
			               "\"demo-%s\",",
			               id, x->id, x->version, chan, chan);
			if (anon)
				ax__buf_printf(&b, "\"household\":null,\"region\":\"%s\",", h->grid);
			else
				ax__buf_printf(&b, "\"household\":\"%s\",", h->id);
			if (complete)
				ax__buf_printf(&b, "\"started_at\":\"%s\",\"completed_at\":\"%s\","
				               "\"status\":\"complete\",\"answers\":", t0, t1);
			else
				ax__buf_printf(&b, "\"started_at\":\"%s\",\"completed_at\":null,"
				               "\"status\":\"%s\",\"answers\":", t0,
				               anon ? "abandoned" : "partial");
			answers_json(&b, x, h, &rng, complete);
			ax__buf_puts(&b, "}");
		}
		if (b.oom) {
			rc = AX_NOMEM;
			goto done;
		}
		if (emit(ctx, b.p, b.len))
			break;
	}
done:
	ax__buf_free(&b);
	free(hh);
	ax_content_free(c);
	return rc;
}
