/*
 * content_bank.c -- quiz banks and shuffled options in a survey file:
 *
 *   "draw": N      each respondent is shown N of the survey's knowledge
 *                  questions (its bank), drawn at random; the other
 *                  questions are always shown
 *   "shuffle": true  each knowledge question's options in a random order
 *                  per respondent
 *
 * (content/README.md, 5.2).  Validation, with located errors:
 *
 *   - draw is a whole number from 1 to the number of knowledge questions;
 *   - every awareness rule keeps at least one question in every draw:
 *     with B knowledge questions of which R are the rule's, a draw of N
 *     can miss them all unless N >= B - R + 1, and a respondent shown none
 *     of a topic's questions has no awareness result for it;
 *   - a drawn question has no show_if and no show_if names one (a draw
 *     hiding a question would silently hide what depends on it);
 *   - shuffle is true or false and the survey has knowledge questions;
 *     the SMS the gateway builds for a shuffled question (its text and
 *     the labels numbered in shown order, ax_question_sms_ordered) fits
 *     the question budget.
 *
 * The guessing odds of a drawn quiz are content_guess.c's.
 */
#include <stdio.h>
#include <string.h>

#include "anxin/response.h"
#include "anxin/text.h"
#include "content_int.h"

int ax_survey_nbank(const struct ax_survey *s)
{
	int n = 0;
	for (int i = 0; s && i < s->nquestions; i++)
		n += s->questions[i].type == AX_Q_KNOWLEDGE;
	return n;
}

int ax_question_sms_ordered(const struct ax_question *q,
                            const unsigned char *order, char *buf, size_t n)
{
	size_t k = 0;
	int w;

	if (n == 0)
		return -1;
	buf[0] = '\0';
	w = snprintf(buf, n, "%s回复", q->text ? q->text : "");
	if (w < 0 || (size_t)w >= n)
		return -1;
	k = (size_t)w;
	for (int pos = 0; pos < q->noptions; pos++) {
		int o = order ? order[pos] : pos;
		const char *label =
		    o < q->noptions && q->options[o].label ? q->options[o].label : "";
		w = snprintf(buf + k, n - k, "%s%d%s", pos ? " " : "", pos + 1, label);
		if (w < 0 || (size_t)w >= n - k)
			return -1;
		k += (size_t)w;
	}
	return (int)k;
}

/* The number of knowledge questions among the rule's. */
static int rule_in_bank(const struct ax_survey *s,
                        const struct ax_awareness_rule *r)
{
	int n = 0;
	for (int j = 0; j < r->nquestions; j++) {
		const struct ax_question *q = ax_survey_question(s, r->questions[j]);
		n += q && q->type == AX_Q_KNOWLEDGE;
	}
	return n;
}

static void check_draw(struct ax__lint *L, const struct ax_survey *s, int bank)
{
	char p[256];

	if (bank == 0) {
		ax__lerr(L, "draw", "\"draw\" takes questions from the survey's "
		         "knowledge questions, and it has none");
		return;
	}
	if (s->draw > bank) {
		ax__lerr(L, "draw", "\"draw\" is %d, more than the survey's %d "
		         "knowledge questions", s->draw, bank);
		return;
	}
	for (int k = 0; k < s->nawareness; k++) {
		int r = rule_in_bank(s, &s->awareness[k]);
		if (r > 0 && s->draw < bank - r + 1)
			ax__lerr(L, "draw", "with \"draw\" %d of %d knowledge questions a "
			         "respondent may be shown none of the %d of awareness rule "
			         "%s; draw at least %d", s->draw, bank, r,
			         s->awareness[k].topic ? s->awareness[k].topic : "?",
			         bank - r + 1);
	}
	for (int i = 0; i < s->nquestions; i++) {
		const struct ax_question *q = &s->questions[i];
		if (q->type != AX_Q_KNOWLEDGE)
			continue;
		AX__PATH(p, "questions/%d", i);
		if (q->show_if_question)
			ax__lerr(L, p, "\"%s\" is drawn from the bank and cannot have a "
			         "show_if", q->id ? q->id : "?");
		for (int j = 0; j < s->nquestions; j++)
			if (s->questions[j].show_if_question && q->id &&
			    strcmp(s->questions[j].show_if_question, q->id) == 0)
				ax__lerr(L, p, "\"%s\" is drawn from the bank, so question "
				         "\"%s\" cannot depend on it (show_if)", q->id,
				         s->questions[j].id ? s->questions[j].id : "?");
	}
}

static void check_shuffle(struct ax__lint *L, const struct ax_survey *s,
                          int bank)
{
	char p[256], sms[2048];

	if (bank == 0) {
		ax__lerr(L, "shuffle", "\"shuffle\" orders the options of knowledge "
		         "questions, and the survey has none");
		return;
	}
	for (int i = 0; i < s->nquestions; i++) {
		const struct ax_question *q = &s->questions[i];
		if (q->type != AX_Q_KNOWLEDGE)
			continue;
		AX__PATH(p, "questions/%d", i);
		/* the length does not depend on the order */
		if (ax_question_sms_ordered(q, NULL, sms, sizeof sms) < 0)
			ax__lerr(L, p, "the shuffled SMS of \"%s\" is too long",
			         q->id ? q->id : "?");
		else
			ax__check_sms(L, p, sms, AX_SMS_QUESTION_SEGS, 0);
	}
}

void ax__parse_bank(struct ax__lint *L, json_t *root, struct ax_survey *s)
{
	json_t *d = json_object_get(root, "draw"), *sh = json_object_get(root,
	                                                                  "shuffle");
	int bank = ax_survey_nbank(s);

	if (d) {
		if (!json_is_integer(d) || json_integer_value(d) < 1 ||
		    json_integer_value(d) > AX_RESP_MAX_Q)
			ax__lerr(L, "draw", "\"draw\" must be a whole number of "
			         "questions, 1 or more");
		else
			s->draw = (int)json_integer_value(d);
	}
	if (sh) {
		if (!json_is_boolean(sh))
			ax__lerr(L, "shuffle", "\"shuffle\" must be true or false");
		else
			s->shuffle = json_is_true(sh);
	}
	if (s->draw)
		check_draw(L, s, bank);
	if (s->shuffle)
		check_shuffle(L, s, bank);
}
