/*
 * content.c -- the ax_content object: topics, lookups and accessors.
 *
 * The rest of the content code is split by job: content_parse.c (JSON
 * text into structs), content_lint.c (located diagnostics and checks) and
 * content_json.c (canonical JSON, install into and load from the store).
 */
#include <stdlib.h>
#include <string.h>

#include "content_int.h"

const char *const ax_topics[] = {"family_safety", "anti_drug", "anti_cult",
                                 "anti_pyramid",  "anti_fraud", NULL};
const char *const ax_topic_names[] = {"平安家庭", "禁毒",  "反邪教",
                                      "反传销",   "反诈骗", NULL};

const char *ax_topic_name(const char *topic)
{
	for (int i = 0; ax_topics[i]; i++)
		if (strcmp(ax_topics[i], topic) == 0)
			return ax_topic_names[i];
	return topic;
}

const char *ax_qtype_name(enum ax_qtype t)
{
	switch (t) {
	case AX_Q_SINGLE: return "single";
	case AX_Q_MULTI: return "multi";
	case AX_Q_YESNO: return "yesno";
	case AX_Q_SCALE5: return "scale5";
	case AX_Q_KNOWLEDGE: return "knowledge";
	}
	return "?";
}

/* ---- the object ------------------------------------------------------- */
ax_content *ax__content_new(void)
{
	return calloc(1, sizeof(ax_content));
}

void ax_content_free(ax_content *c)
{
	if (!c)
		return;
	ax__arena_free(&c->arena);
	free(c->packs);
	free(c->surveys);
	free(c);
}

struct ax_pack *ax__content_add_pack(ax_content *c)
{
	if (c->npacks == c->cap_packs) {
		int cap = c->cap_packs ? c->cap_packs * 2 : 8;
		struct ax_pack *p = realloc(c->packs, sizeof *p * (size_t)cap);
		if (!p)
			return NULL;
		c->packs = p;
		c->cap_packs = cap;
	}
	memset(&c->packs[c->npacks], 0, sizeof *c->packs);
	return &c->packs[c->npacks++];
}

struct ax_survey *ax__content_add_survey(ax_content *c)
{
	if (c->nsurveys == c->cap_surveys) {
		int cap = c->cap_surveys ? c->cap_surveys * 2 : 8;
		struct ax_survey *p = realloc(c->surveys, sizeof *p * (size_t)cap);
		if (!p)
			return NULL;
		c->surveys = p;
		c->cap_surveys = cap;
	}
	memset(&c->surveys[c->nsurveys], 0, sizeof *c->surveys);
	return &c->surveys[c->nsurveys++];
}

const struct ax_option *ax_question_option(const struct ax_question *q,
                                           const char *code)
{
	for (int i = 0; i < q->noptions; i++)
		if (q->options[i].code && strcmp(q->options[i].code, code) == 0)
			return &q->options[i];
	return NULL;
}

const struct ax_question *ax_survey_question(const struct ax_survey *s,
                                             const char *qid)
{
	for (int i = 0; i < s->nquestions; i++)
		if (s->questions[i].id && strcmp(s->questions[i].id, qid) == 0)
			return &s->questions[i];
	return NULL;
}

int ax_content_npacks(const ax_content *c) { return c->npacks; }
const struct ax_pack *ax_content_pack(const ax_content *c, int i)
{
	return i >= 0 && i < c->npacks ? &c->packs[i] : NULL;
}
int ax_content_nsurveys(const ax_content *c) { return c->nsurveys; }
const struct ax_survey *ax_content_survey(const ax_content *c, int i)
{
	return i >= 0 && i < c->nsurveys ? &c->surveys[i] : NULL;
}

const struct ax_survey *ax_content_find_survey(const ax_content *c,
                                               const char *id, int version)
{
	const struct ax_survey *best = NULL;
	for (int i = 0; i < c->nsurveys; i++) {
		const struct ax_survey *s = &c->surveys[i];
		if (strcmp(s->id, id) != 0)
			continue;
		if (version > 0 && s->version == version)
			return s;
		if (version <= 0 && (!best || s->version > best->version))
			best = s;
	}
	return best;
}

const struct ax_pack *ax_content_find_pack(const ax_content *c,
                                           const char *id)
{
	const struct ax_pack *best = NULL;
	for (int i = 0; i < c->npacks; i++)
		if (strcmp(c->packs[i].id, id) == 0 &&
		    (!best || c->packs[i].version > best->version))
			best = &c->packs[i];
	return best;
}
