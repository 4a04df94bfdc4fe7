/*
 * response_draw.c -- what one respondent was shown: the questions drawn
 * from a survey's quiz bank and the order of each shuffled question's
 * options (response.h), drawn from a seed, and written to / read from
 * the record's "drawn" and "order" fields with located errors.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "anxin/response.h"
#include "anxin_int.h"

/* ---- drawing ---------------------------------------------------------- */
/* splitmix64: a small generator whose every seed gives a full stream */
static uint64_t next64(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n), n >= 1, without modulo bias. */
static int below(uint64_t *s, int n)
{
	uint64_t lim = UINT64_MAX - UINT64_MAX % (uint64_t)n, x;
	do
		x = next64(s);
	while (x >= lim);
	return (int)(x % (uint64_t)n);
}

static int is_bank(const struct ax_survey *sv, int i)
{
	return sv->questions[i].type == AX_Q_KNOWLEDGE;
}

void ax_response_draw(struct ax_response *r, uint64_t seed)
{
	const struct ax_survey *sv = r->survey;
	int bank[AX_RESP_MAX_Q], nb = 0;

	if (!sv)
		return;
	r->undrawn = r->ordered = 0;
	for (int i = 0; i < sv->nquestions; i++)
		if (is_bank(sv, i))
			bank[nb++] = i;
	if (sv->draw > 0 && sv->draw < nb) {
		/* a partial Fisher-Yates: the first `draw` of bank[] are a
		 * uniform random subset */
		for (int k = 0; k < sv->draw; k++) {
			int j = k + below(&seed, nb - k), t = bank[k];
			bank[k] = bank[j];
			bank[j] = t;
		}
		for (int k = sv->draw; k < nb; k++) {
			r->undrawn |= 1ULL << bank[k];
			r->sel[bank[k]] = 0;
		}
	}
	if (!sv->shuffle)
		return;
	for (int i = 0; i < sv->nquestions; i++) {
		int n = sv->questions[i].noptions;
		if (!is_bank(sv, i) || (r->undrawn >> i & 1))
			continue;
		for (int k = 0; k < n; k++)
			r->order[i][k] = (unsigned char)k;
		for (int k = n - 1; k > 0; k--) {
			int j = below(&seed, k + 1);
			unsigned char t = r->order[i][k];
			r->order[i][k] = r->order[i][j];
			r->order[i][j] = t;
		}
		r->ordered |= 1ULL << i;
	}
}

int ax_response_drawn(const struct ax_response *r, int i)
{
	return i >= 0 && i < AX_RESP_MAX_Q && !(r->undrawn >> i & 1);
}

int ax_response_option_at(const struct ax_response *r, int i, int pos)
{
	if (!r->survey || i < 0 || i >= r->survey->nquestions || pos < 0 ||
	    pos >= r->survey->questions[i].noptions)
		return -1;
	return (r->ordered >> i & 1) ? r->order[i][pos] : pos;
}

int ax_response_option_pos(const struct ax_response *r, int i, int o)
{
	for (int pos = 0; r->survey && i >= 0 && i < r->survey->nquestions &&
	                  pos < r->survey->questions[i].noptions;
	     pos++)
		if (ax_response_option_at(r, i, pos) == o)
			return pos;
	return -1;
}

/* ---- JSON ------------------------------------------------------------- */
int ax_response_shown_to_json(const struct ax_response *r, json_t *rec)
{
	const struct ax_survey *sv = r->survey;
	json_t *drawn, *order;

	if (!sv)
		return 0;
	if (sv->draw > 0) {
		if (!(drawn = json_array()) || json_object_set_new(rec, "drawn", drawn))
			return -1;
		for (int i = 0; i < sv->nquestions; i++)
			if (is_bank(sv, i) && ax_response_drawn(r, i) &&
			    json_array_append_new(drawn, json_string(sv->questions[i].id)))
				return -1;
	}
	if (!r->ordered)
		return 0;
	if (!(order = json_object()) || json_object_set_new(rec, "order", order))
		return -1;
	for (int i = 0; i < sv->nquestions; i++) {
		const struct ax_question *q = &sv->questions[i];
		json_t *codes;
		if (!(r->ordered >> i & 1))
			continue;
		if (!(codes = json_array()) || json_object_set_new(order, q->id, codes))
			return -1;
		for (int pos = 0; pos < q->noptions; pos++)
			if (json_array_append_new(
			        codes, json_string(q->options[r->order[i][pos]].code)))
				return -1;
	}
	return 0;
}

#define WHY(...) (snprintf(why, whylen, __VA_ARGS__), AX_INVALID)

static ax_rc read_drawn(struct ax_response *r, const json_t *drawn, char *why,
                        size_t whylen)
{
	const struct ax_survey *sv = r->survey;
	uint64_t seen = 0;
	size_t k;
	json_t *x;
	char ex[64];

	if (!drawn)
		return sv->draw > 0 ? WHY("missing field \"drawn\": survey %s v%d "
		                          "draws %d of its knowledge questions",
		                          sv->id, sv->version, sv->draw)
		                    : AX_OK;
	if (sv->draw <= 0)
		return WHY("drawn: survey %s v%d draws no questions", sv->id,
		           sv->version);
	if (!json_is_array(drawn))
		return WHY("drawn: must be an array of question ids");
	json_array_foreach(drawn, k, x) {
		int i = json_is_string(x) ? ax_survey_qindex(sv, json_string_value(x))
		                          : -1;
		ax__excerpt(json_is_string(x) ? json_string_value(x) : "?", ex,
		            sizeof ex);
		if (i < 0 || !is_bank(sv, i))
			return WHY("drawn.%zu: \"%s\" is no knowledge question of survey "
			           "%s v%d", k, ex, sv->id, sv->version);
		if (seen >> i & 1)
			return WHY("drawn.%zu: \"%s\" is drawn twice", k, ex);
		seen |= 1ULL << i;
	}
	if (json_array_size(drawn) != (size_t)sv->draw)
		return WHY("drawn: survey %s v%d draws %d questions, the record lists "
		           "%zu", sv->id, sv->version, sv->draw, json_array_size(drawn));
	for (int i = 0; i < sv->nquestions; i++)
		if (is_bank(sv, i) && !(seen >> i & 1))
			r->undrawn |= 1ULL << i;
	return AX_OK;
}

static ax_rc read_order(struct ax_response *r, const json_t *order, char *why,
                        size_t whylen)
{
	const struct ax_survey *sv = r->survey;
	const char *qid;
	json_t *v;
	char ex[64];

	if (order && !sv->shuffle)
		return WHY("order: survey %s v%d does not shuffle options", sv->id,
		           sv->version);
	if (order && !json_is_object(order))
		return WHY("order: must be an object of question id -> option codes");
	json_object_foreach((json_t *)order, qid, v) {
		int i = ax_survey_qindex(sv, qid);
		const struct ax_question *q;
		uint64_t seen = 0;
		size_t k;
		json_t *x;

		ax__excerpt(qid, ex, sizeof ex);
		if (i < 0 || !is_bank(sv, i))
			return WHY("order.%s: no knowledge question of survey %s v%d", ex,
			           sv->id, sv->version);
		if (!ax_response_drawn(r, i))
			return WHY("order.%s: question was not drawn", ex);
		q = &sv->questions[i];
		if (!json_is_array(v) || json_array_size(v) != (size_t)q->noptions)
			return WHY("order.%s: must list the question's %d option codes",
			           ex, q->noptions);
		json_array_foreach(v, k, x) {
			int o = json_is_string(x)
			            ? ax_question_optindex(q, json_string_value(x))
			            : -1;
			if (o < 0)
				return WHY("order.%s: item %zu is not an option code of this "
				           "question", ex, k);
			if (seen >> o & 1)
				return WHY("order.%s: option %s listed twice", ex,
				           q->options[o].code);
			seen |= 1ULL << o;
			r->order[i][k] = (unsigned char)o;
		}
		r->ordered |= 1ULL << i;
	}
	for (int i = 0; sv->shuffle && i < sv->nquestions; i++)
		if (is_bank(sv, i) && ax_response_drawn(r, i) && !(r->ordered >> i & 1))
			return WHY("order: missing the order of %s's options (survey %s "
			           "v%d shuffles them)", sv->questions[i].id, sv->id,
			           sv->version);
	return AX_OK;
}

ax_rc ax_response_shown_from_json(struct ax_response *r, const json_t *rec,
                                  char *why, size_t whylen)
{
	ax_rc rc;

	if (why && whylen)
		why[0] = '\0';
	if (!r->survey)
		return AX_INVALID;
	r->undrawn = r->ordered = 0;
	if ((rc = read_drawn(r, json_object_get(rec, "drawn"), why, whylen)) ||
	    (rc = read_order(r, json_object_get(rec, "order"), why, whylen)))
		return rc;
	for (int i = 0; i < r->survey->nquestions; i++)
		if (r->sel[i] && !ax_response_drawn(r, i))
			return WHY("answers.%s: question was not drawn",
			           r->survey->questions[i].id);
	return AX_OK;
}
