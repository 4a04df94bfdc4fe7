/*
 * content_json.c -- the canonical JSON of packs and surveys, and the
 * content in the store.
 *
 * The canonical form (compact, sorted keys, defaults filled in, refs
 * resolved) is what is installed and compared: installing the same
 * version twice is a no-op only if the bytes are equal.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "content_int.h"
#include "db.h"

/* ---- canonical JSON --------------------------------------------------- */
static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *question_to_json(const struct ax_question *q)
{
	json_t *o = json_object(), *opts = json_array();

	json_object_set_new(o, "id", json_string(q->id));
	json_object_set_new(o, "type", json_string(ax_qtype_name(q->type)));
	json_object_set_new(o, "text", json_string(q->text));
	json_object_set_new(o, "sms", json_string(q->sms));
	for (int i = 0; i < q->noptions; i++) {
		const struct ax_option *op = &q->options[i];
		json_t *oo = json_object(), *keys = json_array();
		json_object_set_new(oo, "code", json_string(op->code));
		json_object_set_new(oo, "label", json_string(op->label));
		for (int k = 0; k < op->nkeys; k++)
			json_array_append_new(keys, json_string(op->keys[k]));
		if (op->nkeys)
			json_object_set_new(oo, "keys", keys);
		else
			json_decref(keys);
		if (op->has_score)
			json_object_set_new(oo, "score", json_real(op->score));
		json_array_append_new(opts, oo);
	}
	json_object_set_new(o, "options", opts);
	if (q->type == AX_Q_KNOWLEDGE) {
		json_object_set_new(o, "answer", json_string(q->answer));
		json_object_set_new(o, "explanation", json_string(q->explanation));
		json_object_set_new(o, "topic", json_string(q->topic));
	}
	if (q->show_if_question) {
		json_t *si = json_object(), *any = json_array();
		json_object_set_new(si, "question", json_string(q->show_if_question));
		for (int k = 0; k < q->nshow_if_any; k++)
			json_array_append_new(any, json_string(q->show_if_any[k]));
		json_object_set_new(si, "any_of", any);
		json_object_set_new(o, "show_if", si);
	}
	return o;
}

static json_t *codes_json(const char *const *codes, int n)
{
	json_t *a = json_array();
	for (int k = 0; a && k < n; k++)
		json_array_append_new(a, json_string(codes[k]));
	return a;
}

static json_t *survey_to_json(const struct ax_survey *s)
{
	json_t *o = json_object(), *qs = json_array(), *m = json_object();

	json_object_set_new(o, "id", json_string(s->id));
	json_object_set_new(o, "version", json_integer(s->version));
	json_object_set_new(o, "title", json_string(s->title));
	if (s->intro)
		json_object_set_new(o, "intro", json_string(s->intro));
	json_object_set_new(o, "sms_intro", json_string(s->sms_intro));
	json_object_set_new(o, "sms_thanks", json_string(s->sms_thanks));
	for (int i = 0; i < s->nquestions; i++)
		json_array_append_new(qs, question_to_json(&s->questions[i]));
	json_object_set_new(o, "questions", qs);
	if (s->nawareness) {
		json_t *aw = json_array();
		for (int i = 0; i < s->nawareness; i++) {
			json_t *r = json_object(), *q = json_array();
			json_object_set_new(r, "topic", json_string(s->awareness[i].topic));
			for (int k = 0; k < s->awareness[i].nquestions; k++)
				json_array_append_new(
				    q, json_string(s->awareness[i].questions[k]));
			json_object_set_new(r, "questions", q);
			json_object_set_new(r, "pass_share",
			                    json_real(s->awareness[i].pass_share));
			if (s->awareness[i].target > 0)
				json_object_set_new(r, "target",
				                    json_real(s->awareness[i].target));
			json_array_append_new(aw, r);
		}
		json_object_set_new(m, "awareness", aw);
	}
	if (s->sat_question) {
		json_t *sat = json_object(), *codes = json_array();
		json_object_set_new(sat, "question", json_string(s->sat_question));
		for (int k = 0; k < s->nsatisfied; k++)
			json_array_append_new(codes, json_string(s->satisfied[k]));
		json_object_set_new(sat, "satisfied", codes);
		if (s->nsat_dont_know)
			json_object_set_new(sat, "dont_know",
			                    codes_json(s->sat_dont_know, s->nsat_dont_know));
		if (s->sat_target > 0)
			json_object_set_new(sat, "target", json_real(s->sat_target));
		json_object_set_new(m, "satisfaction", sat);
	}
	/* only when defined: the canonical JSON of older surveys is unchanged */
	if (s->nrates) {
		json_t *arr = json_array();
		for (int i = 0; i < s->nrates; i++) {
			const struct ax_rate_rule *rr = &s->rates[i];
			json_t *r = json_object();
			json_object_set_new(r, "id", json_string(rr->id));
			json_object_set_new(r, "name", json_string(rr->name));
			json_object_set_new(r, "question", json_string(rr->question));
			json_object_set_new(r, "positive",
			                    codes_json(rr->positive, rr->npositive));
			if (rr->ndont_know)
				json_object_set_new(r, "dont_know",
				                    codes_json(rr->dont_know, rr->ndont_know));
			json_object_set_new(r, "target", json_real(rr->target));
			json_array_append_new(arr, r);
		}
		json_object_set_new(m, "rates", arr);
	}
	json_object_set_new(o, "metrics", m);
	/* only when set: the canonical JSON of older surveys is unchanged */
	if (s->draw)
		json_object_set_new(o, "draw", json_integer(s->draw));
	if (s->shuffle)
		json_object_set_new(o, "shuffle", json_true());
	return o;
}

static json_t *pack_to_json(const struct ax_pack *pk)
{
	json_t *o = json_object(), *a;

	json_object_set_new(o, "id", json_string(pk->id));
	json_object_set_new(o, "version", json_integer(pk->version));
	json_object_set_new(o, "topic", json_string(pk->topic));
	json_object_set_new(o, "title", json_string(pk->title));
	if (pk->summary)
		json_object_set_new(o, "summary", json_string(pk->summary));
	a = json_array();
	for (int i = 0; i < pk->nsources; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "title", str_or_null(pk->sources[i].title));
		if (pk->sources[i].detail)
			json_object_set_new(e, "detail", json_string(pk->sources[i].detail));
		if (pk->sources[i].url)
			json_object_set_new(e, "url", json_string(pk->sources[i].url));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "sources", a);
	a = json_array();
	for (int i = 0; i < pk->nhotlines; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "number", str_or_null(pk->hotlines[i].number));
		json_object_set_new(e, "label", str_or_null(pk->hotlines[i].label));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "hotlines", a);
	a = json_array();
	for (int i = 0; i < pk->npages; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "id", str_or_null(pk->pages[i].id));
		json_object_set_new(e, "title", str_or_null(pk->pages[i].title));
		json_object_set_new(e, "body", str_or_null(pk->pages[i].body));
		if (pk->pages[i].image)
			json_object_set_new(e, "image", json_string(pk->pages[i].image));
		if (pk->pages[i].audio)
			json_object_set_new(e, "audio", json_string(pk->pages[i].audio));
		if (pk->pages[i].audio_synthetic)
			json_object_set_new(e, "audio_synthetic", json_true());
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "pages", a);
	a = json_array();
	for (int i = 0; i < pk->ndigests; i++) {
		json_t *e = json_object();
		json_object_set_new(e, "id", str_or_null(pk->digests[i].id));
		json_object_set_new(e, "text", str_or_null(pk->digests[i].text));
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "sms", a);
	a = json_array();
	for (int i = 0; i < pk->nquestions; i++) {
		json_t *q = question_to_json(&pk->questions[i]);
		json_object_del(q, "type");
		json_object_del(q, "topic");
		json_array_append_new(a, q);
	}
	json_object_set_new(o, "questions", a);
	return o;
}

/* Compact, keys sorted: the same content always gives the same bytes. */
static char *dump_canonical(struct ax_arena *a, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	char *r = s ? ax__arena_strdup(a, s) : NULL;
	free(s);
	json_decref(j);
	return r;
}

char *ax__pack_json(struct ax_arena *a, const struct ax_pack *pk)
{
	return dump_canonical(a, pack_to_json(pk));
}

char *ax__survey_json(struct ax_arena *a, const struct ax_survey *s)
{
	return dump_canonical(a, survey_to_json(s));
}

/* ---- store ------------------------------------------------------------ */
static ax_rc install_one(ax_store *st, const char *table, const char *id,
                         int version, const char *topic, const char *title,
                         const char *json, int *added)
{
	ax_stmt *s;
	char sql[256];
	ax_rc rc;
	int src;

	snprintf(sql, sizeof sql, "SELECT json FROM %s WHERE id = ? AND version = ?",
	         table);
	if ((rc = ax__dprepare(st, &s, sql)))
		return rc;
	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_int64(s, 2, version);
	if ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		int same = strcmp(ax_stmt_text(s, 0), json) == 0;
		ax_stmt_finalize(s);
		if (same)
			return AX_OK;
		ax__store_seterr(st, "%s \"%s\" version %d is already installed with "
		                 "different content; raise its \"version\"",
		                 strcmp(table, "packs") == 0 ? "pack" : "survey", id,
		                 version);
		return AX_CONFLICT;
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, table);
	ax_stmt_finalize(s);
	if (rc)
		return rc;
	if (strcmp(table, "packs") == 0)
		rc = ax__dprepare(st, &s,
		                  "INSERT INTO packs(id, version, topic, title, json, "
		                  "installed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
	else
		rc = ax__dprepare(st, &s,
		                  "INSERT INTO surveys(id, version, title, json, "
		                  "installed_at) VALUES(?1, ?2, ?4, ?5, ?6)");
	if (rc)
		return rc;
	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_int64(s, 2, version);
	if (topic)
		ax_stmt_bind_text(s, 3, topic);
	ax_stmt_bind_text(s, 4, title);
	ax_stmt_bind_text(s, 5, json);
	ax_stmt_bind_int64(s, 6, (int64_t)time(NULL));
	if (ax_stmt_step(s) != AX_DB_DONE)
		rc = ax__store_dberr(st, table);
	else
		(*added)++;
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_content_install(ax_store *st, const ax_content *c, int *added)
{
	int n = 0;
	ax_rc rc;

	if ((rc = ax_store_begin(st)))
		return rc;
	for (int i = 0; i < c->npacks && !rc; i++)
		rc = install_one(st, "packs", c->packs[i].id, c->packs[i].version,
		                 c->packs[i].topic, c->packs[i].title, c->packs[i].json,
		                 &n);
	for (int i = 0; i < c->nsurveys && !rc; i++)
		rc = install_one(st, "surveys", c->surveys[i].id, c->surveys[i].version,
		                 NULL, c->surveys[i].title, c->surveys[i].json, &n);
	if (rc) {
		ax_store_rollback(st);
		return rc;
	}
	if ((rc = ax_store_commit(st)))
		return rc;
	if (added)
		*added = n;
	return AX_OK;
}

static void collect_diag(void *ctx, enum ax_severity sev, const char *msg)
{
	struct ax_buf *b = ctx;
	(void)sev;
	if (b->len < 400)
		ax__buf_printf(b, "%s; ", msg);
}

/* Load every row of an (id, version, json) query as `kind`; errors are
 * collected into errs.  Returns the number of errors, -1 on a store error. */
static int load_rows(ax_store *st, ax_content *c, const char *sql,
                     const char *kind, struct ax_buf *errs)
{
	ax_stmt *s;
	int nerr = 0, src;

	if (ax_db_prepare(ax__store_dbl(st), sql, &s) != AX_DB_OK) {
		ax__store_dberr(st, "prepare");
		return -1;
	}
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		char name[160];
		snprintf(name, sizeof name, "store:%ss/%s@%d", kind,
		         ax_stmt_text(s, 0), (int)ax_stmt_int64(s, 1));
		nerr += ax__content_load_one(c, name, kind, ax_stmt_text(s, 2), NULL,
		                             collect_diag, errs);
	}
	ax_stmt_finalize(s);
	if (src != AX_DB_DONE) {
		ax__store_dberr(st, kind);
		return -1;
	}
	return nerr;
}

ax_rc ax_content_load_store(ax_store *st, ax_content **out)
{
	ax_content *c = ax__content_new();
	struct ax_buf errs = {0};
	int np, ns = 0;

	*out = NULL;
	if (!c)
		return AX_NOMEM;
	/* the latest version of each pack (a survey keeps its own copy of the
	 * questions it took from a pack), then every survey version */
	np = load_rows(st, c,
	               "SELECT id, version, json FROM packs p WHERE version = "
	               "(SELECT max(version) FROM packs WHERE id = p.id) ORDER BY id",
	               "pack", &errs);
	if (np >= 0)
		ns = load_rows(st, c, "SELECT id, version, json FROM surveys "
		                      "ORDER BY id, version",
		               "survey", &errs);
	if (np < 0 || ns < 0) {
		ax__buf_free(&errs);
		ax_content_free(c);
		return AX_ERROR;
	}
	if (np + ns) {
		ax__store_seterr(st, "installed content does not load: %s",
		                 errs.p ? errs.p : "");
		ax__buf_free(&errs);
		ax_content_free(c);
		return AX_INVALID;
	}
	ax__buf_free(&errs);
	*out = c;
	return AX_OK;
}
