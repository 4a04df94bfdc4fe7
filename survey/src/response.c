/*
 * response.c -- the response model: answers, show-if, scoring, derived
 * metrics, and the record JSON in both directions.  See response.h for
 * the rules; this file is the only place they are written.
 */
#include "anxin/response.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/clock.h"
#include "anxin/text.h"
#include "anxin_int.h"

static const char *const status_names[] = {"complete", "partial", "abandoned"};
static const char *const channel_names[] = {"kiosk", "sms", "visit"};

const char *ax_resp_status_name(enum ax_resp_status s)
{
	return (unsigned)s < 3 ? status_names[s] : "?";
}

int ax_resp_status_parse(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (strcmp(name, status_names[i]) == 0)
			return i;
	return -1;
}

const char *ax_channel_name(enum ax_channel c)
{
	return (unsigned)c < 3 ? channel_names[c] : "?";
}

int ax_channel_parse(const char *name)
{
	for (int i = 0; name && i < 3; i++)
		if (strcmp(name, channel_names[i]) == 0)
			return i;
	return -1;
}

/* ==== the value ========================================================= */

ax_rc ax_response_init(struct ax_response *r, const struct ax_survey *s)
{
	memset(r, 0, sizeof *r);
	if (!s || s->nquestions < 0 || s->nquestions > AX_RESP_MAX_Q)
		return AX_INVALID;
	for (int i = 0; i < s->nquestions; i++)
		if (s->questions[i].noptions > AX_RESP_MAX_OPT)
			return AX_INVALID;
	r->survey = s;
	return AX_OK;
}

int ax_survey_qindex(const struct ax_survey *s, const char *qid)
{
	for (int i = 0; s && qid && i < s->nquestions; i++)
		if (strcmp(s->questions[i].id, qid) == 0)
			return i;
	return -1;
}

int ax_question_optindex(const struct ax_question *q, const char *code)
{
	for (int k = 0; q && code && k < q->noptions; k++)
		if (strcmp(q->options[k].code, code) == 0)
			return k;
	return -1;
}

static int nq(const struct ax_response *r)
{
	return r->survey ? r->survey->nquestions : 0;
}

/* The bits of q's options whose codes are listed in codes[0..n). */
static uint64_t code_mask(const struct ax_question *q, const char *const *codes,
                         int n)
{
	uint64_t m = 0;
	for (int k = 0; k < n; k++) {
		int o = ax_question_optindex(q, codes[k]);
		if (o >= 0)
			m |= 1ULL << o;
	}
	return m;
}

int ax_response_shown(const struct ax_response *r, int i)
{
	const struct ax_question *q;
	int d;

	if (i < 0 || i >= nq(r) || (r->undrawn >> i & 1))
		return 0;
	q = &r->survey->questions[i];
	if (!q->show_if_question)
		return 1;
	/* content lint makes it an earlier question; anything else hides */
	d = ax_survey_qindex(r->survey, q->show_if_question);
	if (d < 0 || d >= i)
		return 0;
	return (r->sel[d] & code_mask(&r->survey->questions[d], q->show_if_any,
	                              q->nshow_if_any)) != 0;
}

int ax_response_next(const struct ax_response *r, int from)
{
	for (int i = from < 0 ? 0 : from; i < nq(r); i++)
		if (ax_response_shown(r, i))
			return i;
	return -1;
}

int ax_response_prev(const struct ax_response *r, int from)
{
	for (int i = from >= nq(r) ? nq(r) - 1 : from; i >= 0; i--)
		if (ax_response_shown(r, i))
			return i;
	return -1;
}

void ax_response_progress(const struct ax_response *r, int i, int *pos,
                          int *total)
{
	int p = 0, t = 0;
	for (int k = 0; k < nq(r); k++) {
		if (!ax_response_shown(r, k))
			continue;
		t++;
		if (k <= i)
			p = t;
	}
	if (pos)
		*pos = p;
	if (total)
		*total = t;
}

int ax_response_any(const struct ax_response *r)
{
	for (int i = 0; i < nq(r); i++)
		if (r->sel[i])
			return 1;
	return 0;
}

int ax_response_complete(const struct ax_response *r)
{
	if (!nq(r))
		return 0;
	for (int i = 0; i < nq(r); i++)
		if (!r->sel[i] && ax_response_shown(r, i))
			return 0;
	return 1;
}

static int popcount(uint64_t x)
{
	int n = 0;
	for (; x; x &= x - 1)
		n++;
	return n;
}

/* Is sel a valid answer to q (0 aside)? */
static int valid_sel(const struct ax_question *q, uint64_t sel)
{
	uint64_t all = q->noptions >= 64 ? ~0ULL : (1ULL << q->noptions) - 1;
	if (sel & ~all)
		return 0;
	return q->type == AX_Q_MULTI ? sel != 0 : popcount(sel) == 1;
}

ax_rc ax_response_set(struct ax_response *r, int i, uint64_t sel,
                      uint64_t *withdrawn)
{
	uint64_t gone = 0;

	if (withdrawn)
		*withdrawn = 0;
	if (i < 0 || i >= nq(r))
		return AX_INVALID;
	if (sel && !valid_sel(&r->survey->questions[i], sel))
		return AX_INVALID;
	r->sel[i] = sel;
	/* in order, so a withdrawn answer hides what depended on it too */
	for (int k = i + 1; k < nq(r); k++)
		if (r->sel[k] && !ax_response_shown(r, k)) {
			r->sel[k] = 0;
			gone |= 1ULL << k;
		}
	if (withdrawn)
		*withdrawn = gone;
	return AX_OK;
}

ax_rc ax_response_set_codes(struct ax_response *r, int i, const char *codes,
                            uint64_t *withdrawn)
{
	const struct ax_question *q;
	uint64_t sel = 0;
	const char *p = codes;

	if (withdrawn)
		*withdrawn = 0;
	if (i < 0 || i >= nq(r))
		return AX_INVALID;
	q = &r->survey->questions[i];
	while (p && *p) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		char code[64];
		int o;
		if (l == 0 || l >= sizeof code)
			return AX_INVALID;
		memcpy(code, p, l);
		code[l] = '\0';
		o = ax_question_optindex(q, code);
		if (o < 0 || (sel >> o & 1))
			return AX_INVALID;
		sel |= 1ULL << o;
		if (e && !e[1])
			return AX_INVALID; /* a trailing comma */
		p = e ? e + 1 : NULL;
	}
	return ax_response_set(r, i, sel, withdrawn);
}

int ax_response_codes(const struct ax_response *r, int i, char *buf, size_t n)
{
	const struct ax_question *q;
	size_t k = 0;

	if (n == 0)
		return -1;
	buf[0] = '\0';
	if (i < 0 || i >= nq(r))
		return 0;
	q = &r->survey->questions[i];
	for (int o = 0; o < q->noptions; o++) {
		size_t l;
		if (!(r->sel[i] >> o & 1))
			continue;
		l = strlen(q->options[o].code);
		if (k + l + (k ? 1 : 0) >= n)
			return -1;
		if (k)
			buf[k++] = ',';
		memcpy(buf + k, q->options[o].code, l + 1);
		k += l;
	}
	return (int)k;
}

int ax_response_single(const struct ax_response *r, int i)
{
	if (i < 0 || i >= nq(r) || popcount(r->sel[i]) != 1)
		return -1;
	for (int o = 0; o < 64; o++)
		if (r->sel[i] >> o & 1)
			return o;
	return -1;
}

/* ==== scoring =========================================================== */

int ax_response_correct(const struct ax_response *r, int i)
{
	const struct ax_question *q;
	int key;

	if (i < 0 || i >= nq(r))
		return -1;
	q = &r->survey->questions[i];
	if (q->type != AX_Q_KNOWLEDGE || !q->answer || !ax_response_shown(r, i))
		return -1;
	key = ax_question_optindex(q, q->answer);
	return key >= 0 && r->sel[i] == 1ULL << key;
}

void ax_response_score(const struct ax_response *r, struct ax_score *out)
{
	memset(out, 0, sizeof *out);
	for (int i = 0; i < nq(r); i++) {
		int c = ax_response_correct(r, i);
		if (c < 0)
			continue;
		out->shown++;
		out->answered += r->sel[i] != 0;
		out->right += c;
	}
}

/* 1 if code is one of the n codes. */
static int listed(const char *const *codes, int n, const char *code)
{
	for (int k = 0; k < n; k++)
		if (strcmp(codes[k], code) == 0)
			return 1;
	return 0;
}

int ax__aware_passed(int right, int asked, double pass_share)
{
	/* integer comparison avoids 0.6 * 5 = 2.9999… surprises */
	return (double)right * 1000000.0 >=
	       pass_share * 1000000.0 * (double)asked - 0.5;
}

void ax_response_derive(const struct ax_response *r, struct ax_derived *d)
{
	const struct ax_survey *sv = r->survey;

	memset(d, 0, sizeof *d);
	if (!sv)
		return;
	for (int k = 0; k < sv->nawareness && d->ntopics < AX_RESP_MAX_TOPICS;
	     k++) {
		const struct ax_awareness_rule *rule = &sv->awareness[k];
		int asked = 0, right = 0;
		for (int j = 0; j < rule->nquestions; j++) {
			int i = ax_survey_qindex(sv, rule->questions[j]);
			if (i < 0 || !ax_response_shown(r, i))
				continue;
			asked++; /* an unanswered knowledge question counts as not known */
			right += ax_response_correct(r, i) == 1;
		}
		if (!asked)
			continue;
		d->topic[d->ntopics] = rule->topic;
		d->passed[d->ntopics] = ax__aware_passed(right, asked, rule->pass_share);
		d->ntopics++;
	}
	if (sv->sat_question) {
		int i = ax_survey_qindex(sv, sv->sat_question), o;
		o = ax_response_single(r, i);
		if (o >= 0 && listed(sv->sat_dont_know, sv->nsat_dont_know,
		                     sv->questions[i].options[o].code)) {
			d->sat_dont_know = 1;
		} else if (o >= 0) {
			const struct ax_option *opt = &sv->questions[i].options[o];
			d->has_sat = 1;
			d->sat = listed(sv->satisfied, sv->nsatisfied, opt->code);
			d->score = opt->has_score ? opt->score : 0;
		}
	}
	for (int k = 0; k < sv->nrates && d->nrates < AX_RESP_MAX_RATES; k++) {
		const struct ax_rate_rule *rr = &sv->rates[k];
		int i = ax_survey_qindex(sv, rr->question);
		int o = ax_response_single(r, i);
		const char *code = o >= 0 ? sv->questions[i].options[o].code : NULL;
		d->rate[d->nrates] = rr->id;
		d->rate_state[d->nrates] =
		    !code ? 0
		    : listed(rr->dont_know, rr->ndont_know, code) ? 3
		    : listed(rr->positive, rr->npositive, code)   ? 2
		                                                  : 1;
		d->nrates++;
	}
}

/* ==== JSON ============================================================== */

json_t *ax_response_answers_json(const struct ax_response *r)
{
	json_t *ans = json_object();

	for (int i = 0; ans && i < nq(r); i++) {
		const struct ax_question *q = &r->survey->questions[i];
		json_t *v;
		if (!r->sel[i])
			continue;
		if (q->type == AX_Q_MULTI) {
			v = json_array();
			for (int o = 0; v && o < q->noptions; o++)
				if ((r->sel[i] >> o & 1) &&
				    json_array_append_new(v, json_string(q->options[o].code))) {
					json_decref(v);
					v = NULL;
				}
		} else {
			int o = ax_response_single(r, i);
			v = o >= 0 ? json_string(q->options[o].code) : NULL;
		}
		if (!v || json_object_set_new(ans, q->id, v)) {
			json_decref(ans);
			return NULL;
		}
	}
	return ans;
}


ax_rc ax_response_from_json(struct ax_response *r, const struct ax_survey *s,
                            const json_t *answers, char *why, size_t whylen)
{
	const char *qid;
	json_t *v;
	char ex[64], ex2[64];

	if (why && whylen)
		why[0] = '\0';
	if (ax_response_init(r, s) != AX_OK) {
		snprintf(why, whylen, "survey has more than %d questions or options",
		         AX_RESP_MAX_Q);
		return AX_INVALID;
	}
	if (!json_is_object(answers)) {
		snprintf(why, whylen, "field \"answers\" must be an object");
		return AX_INVALID;
	}
	/* jansson's iteration macro wants a non-const object; it is only read */
	json_object_foreach((json_t *)answers, qid, v) {
		int i = ax_survey_qindex(s, qid);
		const struct ax_question *q;
		uint64_t sel = 0;

		ax__excerpt(qid, ex, sizeof ex);
		if (i < 0) {
			snprintf(why, whylen,
			         "answers.%s: survey %s v%d has no such question", ex,
			         s->id, s->version);
			return AX_INVALID;
		}
		q = &s->questions[i];
		if (q->type == AX_Q_MULTI) {
			size_t k;
			json_t *x;
			if (!json_is_array(v) || json_array_size(v) == 0) {
				snprintf(why, whylen, "answers.%s: a multiple-choice answer "
				         "is a non-empty array of option codes", ex);
				return AX_INVALID;
			}
			json_array_foreach(v, k, x) {
				int o = json_is_string(x)
				            ? ax_question_optindex(q, json_string_value(x))
				            : -1;
				if (o < 0) {
					snprintf(why, whylen, "answers.%s: item %zu is not an "
					         "option code of this question", ex, k);
					return AX_INVALID;
				}
				if (sel >> o & 1) {
					snprintf(why, whylen, "answers.%s: option repeated", ex);
					return AX_INVALID;
				}
				sel |= 1ULL << o;
			}
		} else {
			int o;
			if (!json_is_string(v)) {
				snprintf(why, whylen, "answers.%s: answer must be an option "
				         "code string", ex);
				return AX_INVALID;
			}
			o = ax_question_optindex(q, json_string_value(v));
			if (o < 0) {
				ax__excerpt(json_string_value(v), ex2, sizeof ex2);
				snprintf(why, whylen, "answers.%s: \"%s\" is not an option "
				         "of this question", ex, ex2);
				return AX_INVALID;
			}
			sel = 1ULL << o;
		}
		/* set directly: a record keeps what it says, hidden answers too */
		r->sel[i] = sel;
	}
	return AX_OK;
}

static int set_str(json_t *o, const char *key, const char *v)
{
	return json_object_set_new(o, key, json_string(v));
}

static int set_time(json_t *o, const char *key, long long t)
{
	char buf[AX_TIME_ISO_LEN];
	ax_time_iso(t, buf);
	return set_str(o, key, buf);
}

static char *dump(json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(o);
	return s;
}

char *ax_response_record(const struct ax_response *r,
                         const struct ax_response_meta *m)
{
	json_t *o = json_object(), *ans = ax_response_answers_json(r);
	int bad;

	if (!o || !ans || !r->survey) {
		json_decref(o);
		json_decref(ans);
		return NULL;
	}
	bad = set_str(o, "type", "response") || set_str(o, "id", m->id) ||
	      set_str(o, "survey", r->survey->id) ||
	      json_object_set_new(o, "survey_version",
	                          json_integer(r->survey->version)) ||
	      set_str(o, "channel", ax_channel_name(m->channel)) ||
	      set_str(o, "device", m->device) ||
	      json_object_set_new(o, "household", m->household
	                                              ? json_string(m->household)
	                                              : json_null()) ||
	      set_time(o, "started_at", m->started_at) ||
	      (m->status == AX_RESP_COMPLETE
	           ? set_time(o, "completed_at", m->completed_at)
	           : json_object_set_new(o, "completed_at", json_null())) ||
	      set_str(o, "status", ax_resp_status_name(m->status)) ||
	      json_object_set_new(o, "answers", ans);
	ans = NULL;
	if (!bad && m->region && *m->region)
		bad = set_str(o, "region", m->region);
	if (!bad && m->wave && *m->wave)
		bad = set_str(o, "wave", m->wave);
	if (!bad && m->phone_sealed)
		bad = set_str(o, "household_phone_sealed", m->phone_sealed);
	if (!bad)
		bad = ax_response_shown_to_json(r, o) != 0;
	if (!bad && m->nflags > 0) {
		json_t *fl = json_array();
		for (int k = 0; fl && k < m->nflags; k++)
			if (json_array_append_new(fl, json_string(m->flags[k])))
				break;
		bad = !fl || json_object_set_new(o, "flags", fl);
	}
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return dump(o);
}

/* ---- contact lines by hand ---------------------------------------------
 * A contact record is a few strings, and the gateway writes one per SMS
 * sent, delivered and replied: built here in the very bytes jansson's
 * JSON_COMPACT | JSON_SORT_KEYS dump makes (keys in strcmp order, strings
 * escaped as jansson escapes them, invalid UTF-8 refused as json_string
 * refuses it), without its object, hash table and sort, which were a
 * seventh of processing a reply (perf, bench_smsd). */
struct jbuf {
	char *p;
	size_t n, cap;
	int bad;
};

static void jb_raw(struct jbuf *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 256) + n;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->bad = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

#define jb_lit(b, lit) jb_raw((b), (lit), sizeof(lit) - 1)

/* "key":"value" (with a leading comma unless first); NULL or invalid
 * UTF-8 marks the buffer bad, as json_string would fail. */
static void jb_field(struct jbuf *b, const char *key, const char *v)
{
	const char *run;
	size_t len;
	if (!v || !ax_utf8_valid(v, strlen(v))) {
		b->bad = 1;
		return;
	}
	jb_raw(b, b->n > 1 ? ",\"" : "\"", b->n > 1 ? 2 : 1);
	jb_raw(b, key, strlen(key));
	jb_lit(b, "\":\"");
	for (run = v; *v; v++) {
		unsigned char c = (unsigned char)*v;
		char esc[8];
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		jb_raw(b, run, (size_t)(v - run));
		switch (c) {
		case '"': len = (size_t)snprintf(esc, sizeof esc, "\\\""); break;
		case '\\': len = (size_t)snprintf(esc, sizeof esc, "\\\\"); break;
		case '\b': len = (size_t)snprintf(esc, sizeof esc, "\\b"); break;
		case '\f': len = (size_t)snprintf(esc, sizeof esc, "\\f"); break;
		case '\n': len = (size_t)snprintf(esc, sizeof esc, "\\n"); break;
		case '\r': len = (size_t)snprintf(esc, sizeof esc, "\\r"); break;
		case '\t': len = (size_t)snprintf(esc, sizeof esc, "\\t"); break;
		default: len = (size_t)snprintf(esc, sizeof esc, "\\u%04X", c); break;
		}
		jb_raw(b, esc, len);
		run = v + 1;
	}
	jb_raw(b, run, (size_t)(v - run));
	jb_raw(b, "\"", 1);
}

char *ax_contact_record(const struct ax_contact_meta *m)
{
	struct jbuf b = {0};
	char at[AX_TIME_ISO_LEN];

	ax_time_iso(m->at, at);
	jb_raw(&b, "{", 1);
	jb_field(&b, "at", at);
	jb_field(&b, "channel", ax_channel_name(m->channel));
	jb_field(&b, "device", m->device);
	if (m->household)
		jb_field(&b, "household", m->household);
	if (m->phone_sealed)
		jb_field(&b, "household_phone_sealed", m->phone_sealed);
	jb_field(&b, "id", m->id);
	jb_field(&b, "kind", m->kind);
	if (m->pack && *m->pack)
		jb_field(&b, "pack", m->pack);
	else
		jb_lit(&b, ",\"pack\":null");
	jb_lit(&b, ",\"type\":\"contact\"}");
	if (b.bad) {
		free(b.p);
		return NULL;
	}
	return b.p;
}
