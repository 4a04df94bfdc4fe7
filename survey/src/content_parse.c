/*
 * content_parse.c -- packs and surveys from JSON text into their structs.
 *
 * Every field is read through the checked accessors of content_lint.c, so
 * one pass both fills the structs and reports every problem with its
 * line and column.  A file with any error is not added to the content.
 * Everything a loaded ax_content points to lives in its arena.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "anxin/response.h"
#include "anxin/text.h"
#include "content_int.h"

/* ---- options and questions -------------------------------------------- */
struct default_opt {
	const char *code, *label;
	double score;
	const char *keys[6];
};
static const struct default_opt scale5_defaults[] = {
	{"1", "非常满意", 5, {"很满意", "十分满意", "特别满意", NULL}},
	{"2", "满意", 4, {"挺满意", "比较满意", NULL}},
	{"3", "基本满意", 3, {"还可以", "还行", "一般", NULL}},
	{"4", "不满意", 2, {"不太满意", NULL}},
	{"5", "非常不满意", 1, {"很不满意", "十分不满意", "极不满意", NULL}},
};
static const struct default_opt yesno_defaults[] = {
	{"1", "是", 0, {"对", "有", "知道", "了解", "是的", NULL}},
	{"2", "否", 0, {"不是", "没有", "不知道", "不了解", "不对", NULL}},
};

static void fill_defaults(struct ax__lint *L, struct ax_question *q,
                          const struct default_opt *d, int n)
{
	struct ax_option *o = ax__arena_alloc(L->arena, sizeof *o * (size_t)n);
	if (!o)
		return;
	for (int i = 0; i < n; i++) {
		const char **keys;
		int nk = 0;
		while (d[i].keys[nk])
			nk++;
		keys = ax__arena_alloc(L->arena, sizeof *keys * (size_t)(nk + 1));
		for (int k = 0; keys && k < nk; k++)
			keys[k] = d[i].keys[k];
		o[i].code = d[i].code;
		o[i].label = d[i].label;
		o[i].keys = keys;
		o[i].nkeys = keys ? nk : 0;
		o[i].score = d[i].score;
		o[i].has_score = d[i].score > 0;
	}
	q->options = o;
	q->noptions = n;
}

static const char *const option_fields[] = {"code", "label", "keys", "score",
                                            NULL};

static void parse_options(struct ax__lint *L, json_t *arr, const char *path,
                          struct ax_question *q)
{
	size_t n = json_array_size(arr), i;
	struct ax_option *o;
	char p[256], pp[300];

	if (n < 2 || n > 9) {
		ax__lerr(L, path, "a question needs 2 to 9 options, not %zu", n);
		if (n == 0)
			return;
	}
	o = ax__arena_alloc(L->arena, sizeof *o * n);
	if (!o)
		return;
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i), *keys, *score;
		AX__PATH(p, "%s/%zu", path, i);
		if (!json_is_object(e)) {
			ax__lerr(L, p, "an option must be an object {\"code\", \"label\"}");
			continue;
		}
		ax__check_fields(L, e, p, option_fields);
		o[i].code = ax__get_str(L, e, p, "code", 1);
		o[i].label = ax__get_str(L, e, p, "label", 1);
		if (o[i].code && (strlen(o[i].code) > 8 || strchr(o[i].code, ',')))
			ax__lerr(L, p, "option code \"%s\" must be short (a digit or "
			         "letter) and contain no comma", o[i].code);
		for (size_t k = 0; k < i; k++)
			if (o[i].code && o[k].code && strcmp(o[i].code, o[k].code) == 0)
				ax__lerr(L, p, "duplicate option code \"%s\"", o[i].code);
		if ((keys = json_object_get(e, "keys"))) {
			AX__PATH(pp, "%s/keys", p);
			if (!json_is_array(keys)) {
				ax__lerr(L, pp, "\"keys\" must be an array of strings");
			} else {
				size_t nk = json_array_size(keys);
				const char **kv =
				    ax__arena_alloc(L->arena, sizeof *kv * (nk + 1));
				for (size_t k = 0; kv && k < nk; k++) {
					json_t *kk = json_array_get(keys, k);
					if (!json_is_string(kk) || !json_string_length(kk)) {
						AX__PATH(pp, "%s/keys/%zu", p, k);
						ax__lerr(L, pp, "a reply key must be a non-empty string");
						continue;
					}
					kv[o[i].nkeys++] =
					    ax__arena_strdup(L->arena, json_string_value(kk));
				}
				o[i].keys = kv;
			}
		}
		if ((score = json_object_get(e, "score"))) {
			if (!json_is_number(score)) {
				AX__PATH(pp, "%s/score", p);
				ax__lerr(L, pp, "\"score\" must be a number");
			} else {
				o[i].score = json_number_value(score);
				o[i].has_score = 1;
			}
		}
	}
	q->options = o;
	q->noptions = (int)n;
}

static const char *const knowledge_fields[] = {
	"id",  "text", "options", "answer", "explanation", "sms", "audio",
	"audio_synthetic", NULL};

/* A knowledge question as written in a pack. */
static void parse_knowledge(struct ax__lint *L, json_t *e, const char *path,
                            const char *topic, struct ax_question *q)
{
	json_t *opts;
	char p[256];

	ax__check_fields(L, e, path, knowledge_fields);
	q->type = AX_Q_KNOWLEDGE;
	q->id = ax__get_str(L, e, path, "id", 1);
	q->text = ax__get_str(L, e, path, "text", 1);
	q->answer = ax__get_str(L, e, path, "answer", 1);
	q->explanation = ax__get_str(L, e, path, "explanation", 1);
	q->sms = ax__get_str(L, e, path, "sms", 1);
	q->topic = topic;
	if ((opts = ax__get_array(L, e, path, "options", 1))) {
		AX__PATH(p, "%s/options", path);
		parse_options(L, opts, p, q);
	}
	if (q->answer && q->options && !ax_question_option(q, q->answer)) {
		AX__PATH(p, "%s/answer", path);
		ax__lerr(L, p, "answer \"%s\" names no option of question %s", q->answer,
		         q->id ? q->id : "?");
	} else if (q->answer && q->options && L->lint) {
		ax__check_justified(L, q, path);
	}
	AX__PATH(p, "%s/sms", path);
	ax__check_sms(L, p, q->sms, AX_SMS_QUESTION_SEGS, 0);
}

/* ---- packs ------------------------------------------------------------ */
static const char *const pack_fields[] = {
	"id",    "version", "topic", "title",     "summary", "sources",
	"hotlines", "pages", "sms",  "questions", "review", NULL};
static const char *const page_fields[] = {"id", "title", "body", "image",
                                          "audio", "audio_synthetic", NULL};
static const char *const source_fields[] = {"title", "detail", "url", NULL};
static const char *const hotline_fields[] = {"number", "label", NULL};
static const char *const digest_fields[] = {"id", "text", NULL};

static void parse_sources(struct ax__lint *L, json_t *arr, struct ax_pack *pk)
{
	size_t n = json_array_size(arr);
	struct ax_source *s = ax__arena_alloc(L->arena, sizeof *s * (n + 1));
	char p[256];

	if (n == 0)
		ax__lerr(L, "sources", "cite at least one law or source");
	for (size_t i = 0; s && i < n; i++) {
		json_t *e = json_array_get(arr, i);
		AX__PATH(p, "sources/%zu", i);
		if (!json_is_object(e)) {
			ax__lerr(L, p, "a source must be an object {\"title\", \"detail\"}");
			continue;
		}
		ax__check_fields(L, e, p, source_fields);
		s[i].title = ax__get_str(L, e, p, "title", 1);
		s[i].detail = ax__get_str(L, e, p, "detail", 0);
		s[i].url = ax__get_str(L, e, p, "url", 0);
	}
	pk->sources = s;
	pk->nsources = (int)n;
}

static void parse_hotlines(struct ax__lint *L, json_t *arr, struct ax_pack *pk)
{
	size_t n = json_array_size(arr);
	struct ax_hotline *h = ax__arena_alloc(L->arena, sizeof *h * (n + 1));
	char p[256];

	for (size_t i = 0; h && i < n; i++) {
		json_t *e = json_array_get(arr, i);
		AX__PATH(p, "hotlines/%zu", i);
		if (!json_is_object(e)) {
			ax__lerr(L, p, "a hotline must be an object {\"number\", \"label\"}");
			continue;
		}
		ax__check_fields(L, e, p, hotline_fields);
		h[i].number = ax__get_str(L, e, p, "number", 1);
		h[i].label = ax__get_str(L, e, p, "label", 1);
	}
	pk->hotlines = h;
	pk->nhotlines = (int)n;
}

/* A page's image and audio: relative to the pack folder, and present
 * there (not checked without a folder, as for text from the store). */
static void check_media(struct ax__lint *L, const char *p, const char *dir,
                        const char *image, const char *audio)
{
	for (int m = 0; m < 2; m++) {
		const char *f = m ? audio : image;
		struct stat sb;
		char full[1024];
		if (!f || !dir)
			continue;
		if (f[0] == '/' || strstr(f, "..")) {
			AX__PATH(full, "%s/%s", p, m ? "audio" : "image");
			ax__lerr(L, full, "media path \"%s\" must be relative to the "
			         "pack folder", f);
			continue;
		}
		snprintf(full, sizeof full, "%s/%s", dir, f);
		if (stat(full, &sb) != 0) {
			AX__PATH(full, "%s/%s", p, m ? "audio" : "image");
			ax__lerr(L, full, "media file \"%s\" does not exist", f);
		}
	}
}

/* "audio_synthetic": true marks a page's narration as synthesised (anxin
 * content narrate); a county's recording replaces the file and drops it. */
static int synthetic_flag(struct ax__lint *L, json_t *e, const char *p,
                          const char *audio)
{
	json_t *v = json_object_get(e, "audio_synthetic");
	char full[300];
	if (!v)
		return 0;
	AX__PATH(full, "%s/audio_synthetic", p);
	if (!json_is_boolean(v))
		ax__lerr(L, full, "must be true or false");
	else if (!audio)
		ax__lerr(L, full, "marks an \"audio\" file, and this page has none");
	return json_is_true(v);
}

static void parse_pages(struct ax__lint *L, json_t *arr, const char *dir,
                        struct ax_pack *pk)
{
	size_t n = json_array_size(arr);
	struct ax_page *pg = ax__arena_alloc(L->arena, sizeof *pg * (n + 1));
	const char **seen = ax__arena_alloc(L->arena, sizeof *seen * (n + 1));
	char p[256], ip[300];

	if (n < 6 || n > 12)
		ax__lerr(L, "pages", "a pack has 6 to 12 pages, this one has %zu", n);
	for (size_t i = 0; pg && seen && i < n; i++) {
		json_t *e = json_array_get(arr, i);
		AX__PATH(p, "pages/%zu", i);
		if (!json_is_object(e)) {
			ax__lerr(L, p, "a page must be an object {\"id\", \"title\", \"body\"}");
			continue;
		}
		ax__check_fields(L, e, p, page_fields);
		pg[i].id = ax__get_str(L, e, p, "id", 1);
		pg[i].title = ax__get_str(L, e, p, "title", 1);
		pg[i].body = ax__get_str(L, e, p, "body", 1);
		pg[i].image = ax__get_str(L, e, p, "image", 0);
		pg[i].audio = ax__get_str(L, e, p, "audio", 0);
		pg[i].audio_synthetic = synthetic_flag(L, e, p, pg[i].audio);
		AX__PATH(ip, "%s/id", p);
		ax__count_dups(L, ip, "page", pg[i].id, seen, (int)i);
		seen[i] = pg[i].id;
		check_media(L, p, dir, pg[i].image, pg[i].audio);
	}
	pk->pages = pg;
	pk->npages = (int)n;
}

static void parse_digests(struct ax__lint *L, json_t *arr, struct ax_pack *pk)
{
	size_t n = json_array_size(arr);
	struct ax_digest *d = ax__arena_alloc(L->arena, sizeof *d * (n + 1));
	const char **seen = ax__arena_alloc(L->arena, sizeof *seen * (n + 1));
	char p[256], ip[300];

	if (n < 2 || n > 4)
		ax__lerr(L, "sms", "a pack has 2 to 4 SMS digests, this one has %zu",
		         n);
	for (size_t i = 0; d && seen && i < n; i++) {
		json_t *e = json_array_get(arr, i);
		AX__PATH(p, "sms/%zu", i);
		if (!json_is_object(e)) {
			ax__lerr(L, p, "a digest must be an object {\"id\", \"text\"}");
			continue;
		}
		ax__check_fields(L, e, p, digest_fields);
		d[i].id = ax__get_str(L, e, p, "id", 1);
		d[i].text = ax__get_str(L, e, p, "text", 1);
		AX__PATH(ip, "%s/id", p);
		ax__count_dups(L, ip, "digest", d[i].id, seen, (int)i);
		seen[i] = d[i].id;
		AX__PATH(p, "sms/%zu/text", i);
		ax__check_sms(L, p, d[i].text, 1, AX_SMS_DIGEST_MAX);
	}
	pk->digests = d;
	pk->ndigests = (int)n;
}

static void parse_pack_questions(struct ax__lint *L, json_t *arr,
                                 struct ax_pack *pk)
{
	size_t n = json_array_size(arr);
	struct ax_question *q = ax__arena_alloc(L->arena, sizeof *q * (n + 1));
	const char **seen = ax__arena_alloc(L->arena, sizeof *seen * (n + 1));
	char p[256], ip[300];

	if (n < 5)
		ax__lerr(L, "questions",
		         "a pack has at least 5 knowledge questions, this one has %zu",
		         n);
	for (size_t i = 0; q && seen && i < n; i++) {
		json_t *e = json_array_get(arr, i);
		AX__PATH(p, "questions/%zu", i);
		if (!json_is_object(e)) {
			ax__lerr(L, p, "a question must be an object");
			continue;
		}
		parse_knowledge(L, e, p, pk->topic, &q[i]);
		q[i].audio = ax__get_str(L, e, p, "audio", 0);
		q[i].audio_synthetic = synthetic_flag(L, e, p, q[i].audio);
		q[i].audio_dir = pk->dir;
		check_media(L, p, pk->dir, NULL, q[i].audio);
		AX__PATH(ip, "%s/id", p);
		ax__count_dups(L, ip, "question", q[i].id, seen, (int)i);
		seen[i] = q[i].id;
	}
	pk->questions = q;
	pk->nquestions = (int)n;
}

static void parse_pack(struct ax__lint *L, json_t *root, const char *dir,
                       struct ax_pack *pk)
{
	json_t *arr;

	if (!json_is_object(root)) {
		ax__lerr(L, "", "a pack must be a JSON object");
		return;
	}
	ax__check_fields(L, root, "", pack_fields);
	ax__check_review(L, root);
	ax__check_texts(L, root, 1);
	pk->id = ax__get_str(L, root, "", "id", 1);
	pk->version = ax__get_version(L, root, "");
	pk->topic = ax__get_str(L, root, "", "topic", 1);
	pk->title = ax__get_str(L, root, "", "title", 1);
	pk->summary = ax__get_str(L, root, "", "summary", 0);
	pk->dir = ax__arena_strdup(L->arena, dir);
	if (pk->id && !ax__valid_id(pk->id))
		ax__lerr(L, "id", "pack id \"%s\" may use only a-z, 0-9, - and _",
		         pk->id);
	if (pk->topic && !ax__is_topic(pk->topic)) {
		struct ax_buf b = {0};
		for (int i = 0; ax_topics[i]; i++)
			ax__buf_printf(&b, "%s%s", i ? ", " : "", ax_topics[i]);
		ax__lerr(L, "topic", "unknown topic \"%s\" (topics: %s)", pk->topic,
		         b.p ? b.p : "");
		ax__buf_free(&b);
	}
	if ((arr = ax__get_array(L, root, "", "sources", 1)))
		parse_sources(L, arr, pk);
	if ((arr = ax__get_array(L, root, "", "hotlines", 0)))
		parse_hotlines(L, arr, pk);
	if ((arr = ax__get_array(L, root, "", "pages", 1)))
		parse_pages(L, arr, dir, pk);
	if ((arr = ax__get_array(L, root, "", "sms", 1)))
		parse_digests(L, arr, pk);
	if ((arr = ax__get_array(L, root, "", "questions", 1)))
		parse_pack_questions(L, arr, pk);
}

/* ---- surveys ---------------------------------------------------------- */
static const char *const survey_fields[] = {
	"id",         "version",   "title",   "intro", "sms_intro",
	"sms_thanks", "questions", "metrics",   "draw",  "shuffle",
	NULL};
static const char *const question_fields[] = {
	"id",     "type",        "text",  "sms",     "options",
	"answer", "explanation", "topic", "show_if", "audio",
	"audio_synthetic", NULL};
static const char *const ref_fields[] = {"id", "ref", "show_if", NULL};
static const char *const showif_fields[] = {"question", "any_of", NULL};
static const char *const metrics_fields[] = {"awareness", "satisfaction",
                                             "rates", NULL};
static const char *const aw_fields[] = {"topic", "questions", "pass_share",
                                        "target", NULL};
static const char *const sat_fields[] = {"question", "satisfied", "dont_know",
                                         "target", NULL};
static const char *const rate_fields[] = {"id",        "name",   "question",
                                          "positive",  "dont_know", "target",
                                          NULL};

static int parse_qtype(const char *s, enum ax_qtype *t)
{
	static const char *const names[] = {"single", "multi", "yesno", "scale5",
	                                    "knowledge"};
	for (int i = 0; i < 5; i++)
		if (strcmp(s, names[i]) == 0) {
			*t = (enum ax_qtype)i;
			return 0;
		}
	return -1;
}

static const struct ax_question *find_ref(const ax_content *c,
                                          const char *ref)
{
	const char *slash = strchr(ref, '/');
	if (!slash || !c)
		return NULL;
	for (int i = 0; i < c->npacks; i++) {
		const struct ax_pack *pk = &c->packs[i];
		if (!pk->id || strlen(pk->id) != (size_t)(slash - ref) ||
		    strncmp(pk->id, ref, (size_t)(slash - ref)) != 0)
			continue;
		for (int k = 0; k < pk->nquestions; k++)
			if (pk->questions[k].id &&
			    strcmp(pk->questions[k].id, slash + 1) == 0)
				return &pk->questions[k];
	}
	return NULL;
}

static void parse_show_if(struct ax__lint *L, json_t *e, const char *path,
                          struct ax_question *q)
{
	json_t *si = json_object_get(e, "show_if"), *any;
	char p[256];

	if (!si)
		return;
	AX__PATH(p, "%s/show_if", path);
	if (!json_is_object(si)) {
		ax__lerr(L, p, "\"show_if\" must be {\"question\": ID, \"any_of\": [codes]}");
		return;
	}
	ax__check_fields(L, si, p, showif_fields);
	q->show_if_question = ax__get_str(L, si, p, "question", 1);
	if ((any = ax__get_array(L, si, p, "any_of", 1))) {
		size_t n = json_array_size(any);
		const char **v = ax__arena_alloc(L->arena, sizeof *v * (n + 1));
		if (n == 0)
			ax__lerr(L, p, "\"any_of\" must list at least one option code");
		for (size_t i = 0; v && i < n; i++) {
			json_t *x = json_array_get(any, i);
			if (!json_is_string(x)) {
				char pp[300];
				AX__PATH(pp, "%s/any_of/%zu", p, i);
				ax__lerr(L, pp, "option codes are strings");
				continue;
			}
			v[q->nshow_if_any++] =
			    ax__arena_strdup(L->arena, json_string_value(x));
		}
		q->show_if_any = v;
	}
}

static void parse_question(struct ax__lint *L, const ax_content *c, json_t *e,
                           const char *path, const char *dir,
                           struct ax_question *q)
{
	json_t *opts;
	const char *type, *ref;
	char p[256];

	ref = json_is_string(json_object_get(e, "ref"))
	          ? json_string_value(json_object_get(e, "ref"))
	          : NULL;
	if (ref) {
		const struct ax_question *src = find_ref(c, ref);
		ax__check_fields(L, e, path, ref_fields);
		q->id = ax__get_str(L, e, path, "id", 1);
		q->ref = ax__arena_strdup(L->arena, ref);
		parse_show_if(L, e, path, q);
		if (!src) {
			AX__PATH(p, "%s/ref", path);
			ax__lerr(L, p, "ref \"%s\" names no pack question (PACK_ID/QUESTION_ID)",
			         ref);
			q->type = AX_Q_KNOWLEDGE;
			return;
		}
		q->type = src->type;
		q->text = src->text;
		q->sms = src->sms;
		q->options = src->options;
		q->noptions = src->noptions;
		q->answer = src->answer;
		q->explanation = src->explanation;
		q->topic = src->topic;
		q->audio = src->audio;
		q->audio_dir = src->audio_dir;
		q->audio_synthetic = src->audio_synthetic;
		return;
	}
	ax__check_fields(L, e, path, question_fields);
	q->id = ax__get_str(L, e, path, "id", 1);
	q->text = ax__get_str(L, e, path, "text", 1);
	q->sms = ax__get_str(L, e, path, "sms", 1);
	/* narration: a file in the surveys folder (none known without one) */
	q->audio = ax__get_str(L, e, path, "audio", 0);
	q->audio_synthetic = synthetic_flag(L, e, path, q->audio);
	q->audio_dir = dir && q->audio ? ax__arena_strdup(L->arena, dir) : NULL;
	check_media(L, path, dir, NULL, q->audio);
	type = ax__get_str(L, e, path, "type", 1);
	if (type && parse_qtype(type, &q->type)) {
		AX__PATH(p, "%s/type", path);
		ax__lerr(L, p, "unknown question type \"%s\" (single, multi, yesno, "
		         "scale5, knowledge)", type);
		q->type = AX_Q_SCALE5; /* options optional: no follow-on errors */
	}
	parse_show_if(L, e, path, q);
	AX__PATH(p, "%s/sms", path);
	ax__check_sms(L, p, q->sms, AX_SMS_QUESTION_SEGS, 0);
	if ((opts = ax__get_array(L, e, path, "options",
	                          q->type != AX_Q_SCALE5 && q->type != AX_Q_YESNO))) {
		AX__PATH(p, "%s/options", path);
		parse_options(L, opts, p, q);
	} else if (q->type == AX_Q_SCALE5) {
		fill_defaults(L, q, scale5_defaults, 5);
	} else if (q->type == AX_Q_YESNO) {
		fill_defaults(L, q, yesno_defaults, 2);
	}
	if (q->type == AX_Q_KNOWLEDGE) {
		q->answer = ax__get_str(L, e, path, "answer", 1);
		q->explanation = ax__get_str(L, e, path, "explanation", 1);
		q->topic = ax__get_str(L, e, path, "topic", 1);
		if (q->topic && !ax__is_topic(q->topic)) {
			AX__PATH(p, "%s/topic", path);
			ax__lerr(L, p, "unknown topic \"%s\"", q->topic);
		}
		if (q->answer && q->options && !ax_question_option(q, q->answer)) {
			AX__PATH(p, "%s/answer", path);
			ax__lerr(L, p, "answer \"%s\" names no option of question %s",
			         q->answer, q->id ? q->id : "?");
		} else if (q->answer && q->options && L->lint) {
			ax__check_justified(L, q, path);
		}
	} else {
		static const char *const only_knowledge[] = {"answer", "explanation",
		                                             "topic"};
		for (size_t i = 0; i < 3; i++)
			if (json_object_get(e, only_knowledge[i])) {
				AX__PATH(p, "%s/%s", path, only_knowledge[i]);
				ax__lerr(L, p, "\"%s\" belongs only to knowledge questions",
				         only_knowledge[i]);
			}
	}
}

/* An optional "target" in (0, 1] of rule e at path p; 0 when absent. */
static double get_target(struct ax__lint *L, json_t *e, const char *p)
{
	json_t *t = json_object_get(e, "target");
	char pp[300];
	if (!t)
		return 0;
	if (!json_is_number(t) || json_number_value(t) <= 0 ||
	    json_number_value(t) > 1) {
		AX__PATH(pp, "%s/target", p);
		ax__lerr(L, pp, "\"target\" must be a number in (0, 1], e.g. 0.9");
		return 0;
	}
	return json_number_value(t);
}

/* Option codes of q listed under key of e (NULL, 0 when absent). */
static const char **get_codes(struct ax__lint *L, json_t *e, const char *p,
                              const char *key, const struct ax_question *q,
                              int required, int *n)
{
	json_t *codes = ax__get_array(L, e, p, key, required);
	const char **v;
	size_t k, nc;

	*n = 0;
	if (!codes)
		return NULL;
	nc = json_array_size(codes);
	v = ax__arena_alloc(L->arena, sizeof *v * (nc + 1));
	for (k = 0; v && k < nc; k++) {
		json_t *x = json_array_get(codes, k);
		char pp[300];
		AX__PATH(pp, "%s/%s/%zu", p, key, k);
		if (!json_is_string(x)) {
			ax__lerr(L, pp, "option codes are strings");
			continue;
		}
		if (q && !ax_question_option(q, json_string_value(x)))
			ax__lerr(L, pp, "\"%s\" is not an option of %s",
			         json_string_value(x), q->id);
		v[(*n)++] = ax__arena_strdup(L->arena, json_string_value(x));
	}
	return v;
}

/* A code listed both as positive and as don't-know makes no rate. */
static void check_disjoint(struct ax__lint *L, const char *p,
                           const char *const *a, int na,
                           const char *const *b, int nb)
{
	for (int i = 0; i < na; i++)
		for (int k = 0; k < nb; k++)
			if (strcmp(a[i], b[k]) == 0)
				ax__lerr(L, p, "option \"%s\" cannot both count and be left "
				         "out as don't-know", a[i]);
}

static void parse_rates(struct ax__lint *L, json_t *m, struct ax_survey *s)
{
	json_t *arr = ax__get_array(L, m, "metrics", "rates", 0);
	struct ax_rate_rule *r;
	size_t n;
	char p[256];

	if (!arr)
		return;
	n = json_array_size(arr);
	r = ax__arena_alloc(L->arena, sizeof *r * (n + 1));
	for (size_t i = 0; r && i < n; i++) {
		json_t *e = json_array_get(arr, i);
		const struct ax_question *q = NULL;
		AX__PATH(p, "metrics/rates/%zu", i);
		if (!json_is_object(e)) {
			ax__lerr(L, p, "a rate rule must be an object");
			continue;
		}
		ax__check_fields(L, e, p, rate_fields);
		r[i].id = ax__get_str(L, e, p, "id", 1);
		r[i].name = ax__get_str(L, e, p, "name", 1);
		r[i].question = ax__get_str(L, e, p, "question", 1);
		if (r[i].id && (!ax__valid_id(r[i].id) || strlen(r[i].id) > 24))
			ax__lerr(L, p, "rate id \"%s\": 1 to 24 of a-z 0-9 - _", r[i].id);
		for (size_t k = 0; k < i; k++)
			if (r[k].id && r[i].id && strcmp(r[k].id, r[i].id) == 0)
				ax__lerr(L, p, "two rates are called \"%s\"", r[i].id);
		if (r[i].question && !(q = ax_survey_question(s, r[i].question)))
			ax__lerr(L, p, "metric rule names question \"%s\", which does "
			         "not exist", r[i].question);
		else if (q && q->type == AX_Q_MULTI)
			ax__lerr(L, p, "a rate is measured by a one-answer question; "
			         "\"%s\" is %s", q->id, ax_qtype_name(q->type));
		r[i].positive = get_codes(L, e, p, "positive", q, 1, &r[i].npositive);
		r[i].dont_know = get_codes(L, e, p, "dont_know", q, 0, &r[i].ndont_know);
		check_disjoint(L, p, r[i].positive, r[i].npositive, r[i].dont_know,
		               r[i].ndont_know);
		if (r[i].positive && !r[i].npositive)
			ax__lerr(L, p, "a rate needs at least one positive option");
		r[i].target = get_target(L, e, p);
		if (!r[i].target)
			r[i].target = 0.9;
	}
	s->rates = r;
	s->nrates = (int)n;
	if (n > AX_RESP_MAX_RATES)
		ax__lerr(L, "metrics/rates", "a survey defines at most %d rates",
		         AX_RESP_MAX_RATES);
}

static void parse_metrics(struct ax__lint *L, json_t *root, struct ax_survey *s)
{
	json_t *m = json_object_get(root, "metrics"), *aw, *sat;
	char p[256];

	if (!m)
		return;
	if (!json_is_object(m)) {
		ax__lerr(L, "metrics", "\"metrics\" must be an object");
		return;
	}
	ax__check_fields(L, m, "metrics", metrics_fields);
	if ((aw = ax__get_array(L, m, "metrics", "awareness", 0))) {
		size_t n = json_array_size(aw);
		struct ax_awareness_rule *r =
		    ax__arena_alloc(L->arena, sizeof *r * (n + 1));
		for (size_t i = 0; r && i < n; i++) {
			json_t *e = json_array_get(aw, i), *qs, *ps;
			AX__PATH(p, "metrics/awareness/%zu", i);
			if (!json_is_object(e)) {
				ax__lerr(L, p, "an awareness rule must be an object");
				continue;
			}
			ax__check_fields(L, e, p, aw_fields);
			r[i].topic = ax__get_str(L, e, p, "topic", 1);
			r[i].pass_share = 0.6;
			r[i].target = get_target(L, e, p);
			if (r[i].topic && !ax__is_topic(r[i].topic)) {
				char pp[300];
				AX__PATH(pp, "%s/topic", p);
				ax__lerr(L, pp, "unknown topic \"%s\"", r[i].topic);
			}
			for (size_t k = 0; k < i; k++)
				if (r[k].topic && r[i].topic &&
				    strcmp(r[k].topic, r[i].topic) == 0)
					ax__lerr(L, p, "topic \"%s\" has two awareness rules",
					         r[i].topic);
			if ((ps = json_object_get(e, "pass_share"))) {
				if (!json_is_number(ps) || json_number_value(ps) <= 0 ||
				    json_number_value(ps) > 1) {
					char pp[300];
					AX__PATH(pp, "%s/pass_share", p);
					ax__lerr(L, pp, "\"pass_share\" must be a number in (0, 1]");
				} else {
					r[i].pass_share = json_number_value(ps);
				}
			}
			if ((qs = ax__get_array(L, e, p, "questions", 1))) {
				size_t nq = json_array_size(qs);
				const char **v =
				    ax__arena_alloc(L->arena, sizeof *v * (nq + 1));
				if (nq == 0)
					ax__lerr(L, p, "an awareness rule needs questions");
				for (size_t k = 0; v && k < nq; k++) {
					json_t *x = json_array_get(qs, k);
					const struct ax_question *q;
					char pp[300];
					AX__PATH(pp, "%s/questions/%zu", p, k);
					if (!json_is_string(x)) {
						ax__lerr(L, pp, "question ids are strings");
						continue;
					}
					q = ax_survey_question(s, json_string_value(x));
					if (!q)
						ax__lerr(L, pp, "metric rule names question \"%s\", "
						         "which does not exist", json_string_value(x));
					else if (q->type != AX_Q_KNOWLEDGE)
						ax__lerr(L, pp, "awareness is measured by knowledge "
						         "questions; \"%s\" is %s",
						         q->id, ax_qtype_name(q->type));
					else if (r[i].topic && q->topic &&
					         strcmp(q->topic, r[i].topic) != 0)
						ax__lerr(L, pp, "question \"%s\" is about %s, not %s",
						         q->id, q->topic, r[i].topic);
					v[r[i].nquestions++] =
					    ax__arena_strdup(L->arena, json_string_value(x));
				}
				r[i].questions = v;
			}
		}
		s->awareness = r;
		s->nawareness = (int)n;
		if (n > AX_RESP_MAX_TOPICS)
			ax__lerr(L, "metrics/awareness", "a survey has at most %d "
			         "awareness rules", AX_RESP_MAX_TOPICS);
	}
	if ((sat = json_object_get(m, "satisfaction"))) {
		json_t *codes;
		const struct ax_question *q;
		if (!json_is_object(sat)) {
			ax__lerr(L, "metrics/satisfaction",
			         "\"satisfaction\" must be {\"question\", \"satisfied\"}");
			return;
		}
		ax__check_fields(L, sat, "metrics/satisfaction", sat_fields);
		s->sat_question = ax__get_str(L, sat, "metrics/satisfaction", "question", 1);
		s->sat_target = get_target(L, sat, "metrics/satisfaction");
		q = s->sat_question ? ax_survey_question(s, s->sat_question) : NULL;
		if (s->sat_question && !q)
			ax__lerr(L, "metrics/satisfaction/question",
			         "metric rule names question \"%s\", which does not exist",
			         s->sat_question);
		else if (q && q->type != AX_Q_SCALE5 && q->type != AX_Q_SINGLE)
			ax__lerr(L, "metrics/satisfaction/question",
			         "satisfaction is measured by a scale5 or single question; "
			         "\"%s\" is %s", q->id, ax_qtype_name(q->type));
		codes = ax__get_array(L, sat, "metrics/satisfaction", "satisfied", 0);
		if (codes) {
			size_t n = json_array_size(codes);
			const char **v = ax__arena_alloc(L->arena, sizeof *v * (n + 1));
			for (size_t k = 0; v && k < n; k++) {
				json_t *x = json_array_get(codes, k);
				AX__PATH(p, "metrics/satisfaction/satisfied/%zu", k);
				if (!json_is_string(x)) {
					ax__lerr(L, p, "option codes are strings");
					continue;
				}
				if (q && !ax_question_option(q, json_string_value(x)))
					ax__lerr(L, p, "\"%s\" is not an option of %s",
					         json_string_value(x), q->id);
				v[s->nsatisfied++] =
				    ax__arena_strdup(L->arena, json_string_value(x));
			}
			s->satisfied = v;
		} else if (q) {
			/* DESIGN.md default: 非常满意, 满意, 基本满意 */
			static const char *const defaults[] = {"非常满意", "满意",
			                                       "基本满意"};
			const char **v = ax__arena_alloc(L->arena, sizeof *v * 4);
			for (int k = 0; v && k < q->noptions; k++)
				for (int d = 0; d < 3; d++)
					if (strcmp(q->options[k].label, defaults[d]) == 0)
						v[s->nsatisfied++] = q->options[k].code;
			s->satisfied = v;
			if (!s->nsatisfied)
				ax__lerr(L, "metrics/satisfaction",
				         "no option of \"%s\" is labelled 非常满意/满意/基本满意; "
				         "list the satisfied codes in \"satisfied\"", q->id);
		}
		s->sat_dont_know = get_codes(L, sat, "metrics/satisfaction", "dont_know",
		                             q, 0, &s->nsat_dont_know);
		check_disjoint(L, "metrics/satisfaction", s->satisfied, s->nsatisfied,
		               s->sat_dont_know, s->nsat_dont_know);
	}
	parse_rates(L, m, s);
}

static void parse_survey(struct ax__lint *L, const ax_content *c, json_t *root,
                         const char *dir, struct ax_survey *s)
{
	json_t *arr;
	char p[256];

	if (!json_is_object(root)) {
		ax__lerr(L, "", "a survey must be a JSON object");
		return;
	}
	ax__check_fields(L, root, "", survey_fields);
	ax__check_texts(L, root, 0);
	s->id = ax__get_str(L, root, "", "id", 1);
	s->version = ax__get_version(L, root, "");
	s->title = ax__get_str(L, root, "", "title", 1);
	s->intro = ax__get_str(L, root, "", "intro", 0);
	s->sms_intro = ax__get_str(L, root, "", "sms_intro", 1);
	s->sms_thanks = ax__get_str(L, root, "", "sms_thanks", 1);
	if (s->id && !ax__valid_id(s->id))
		ax__lerr(L, "id", "survey id \"%s\" may use only a-z, 0-9, - and _",
		         s->id);
	ax__check_sms(L, "sms_intro", s->sms_intro, AX_SMS_QUESTION_SEGS, 0);
	ax__check_sms(L, "sms_thanks", s->sms_thanks, AX_SMS_QUESTION_SEGS, 0);
	if (s->sms_intro) {
		const char *td = "回复TD退订";
		size_t n = strlen(s->sms_intro), k = strlen(td);
		if (n < k || strcmp(s->sms_intro + n - k, td) != 0)
			ax__lerr(L, "sms_intro", "the first message must end with "
			         "\"回复TD退订\" (how to opt out)");
	}
	if ((arr = ax__get_array(L, root, "", "questions", 1))) {
		size_t n = json_array_size(arr);
		struct ax_question *q = ax__arena_alloc(L->arena, sizeof *q * (n + 1));
		if (n == 0)
			ax__lerr(L, "questions", "a survey needs at least one question");
		if (n > AX_RESP_MAX_Q)
			ax__lerr(L, "questions", "a survey holds at most %d questions, this "
			         "one has %zu", AX_RESP_MAX_Q, n);
		for (size_t i = 0; q && i < n; i++) {
			json_t *e = json_array_get(arr, i);
			AX__PATH(p, "questions/%zu", i);
			if (!json_is_object(e)) {
				ax__lerr(L, p, "a question must be an object");
				continue;
			}
			parse_question(L, c, e, p, dir, &q[i]);
			for (size_t k = 0; k < i; k++)
				if (q[k].id && q[i].id && strcmp(q[k].id, q[i].id) == 0) {
					char ip[300];
					AX__PATH(ip, "%s/id", p);
					ax__lerr(L, ip, "duplicate question id \"%s\"", q[i].id);
					break;
				}
		}
		s->questions = q;
		s->nquestions = (int)n;
	}
	ax__check_show_if(L, s);
	parse_metrics(L, root, s);
	ax__parse_bank(L, root, s);
}

/* ---- loading ---------------------------------------------------------- */
/* Line and column (in characters) of byte offset off. */
static void line_col(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)text[i] & 0xC0) != 0x80) {
			(*col)++;
		}
	}
}

/*
 * Parse text as JSON.  Syntax errors are reported at the start of the
 * offending token (jansson's position is just past it).
 */
static json_t *parse_json(struct ax__lint *L, const char *text)
{
	json_error_t err;
	json_t *root;
	size_t len = strlen(text), bad = 0;
	int line, col;

	bad = ax_utf8_valid_prefix(text, len);
	if (bad < len) {
		line_col(text, bad, &line, &col);
		L->nerrors++;
		ax__diag(L->diag, L->dctx, AX_SEV_ERROR,
		         "%s:%d:%d: file is not valid UTF-8 (save it as UTF-8)",
		         L->file, line, col);
		return NULL;
	}
	root = json_loads(text, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		size_t end = err.position > 0 ? (size_t)err.position : 0, start = end;
		if (end > len)
			end = start = len;
		if (end > 0 && text[end - 1] == '"') {
			/* back to the opening quote of the string token */
			start = end - 1;
			while (start > 0) {
				start--;
				if (text[start] == '"' && (start == 0 || text[start - 1] != '\\'))
					break;
			}
		} else {
			while (start > 0 && strchr("abcdefghijklmnopqrstuvwxyz"
			                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.+-",
			                           text[start - 1]) &&
			       text[start - 1])
				start--;
			if (start == end && start > 0)
				start--; /* a one-character token: { } [ ] , : */
		}
		line_col(text, start, &line, &col);
		L->nerrors++;
		ax__diag(L->diag, L->dctx, AX_SEV_ERROR, "%s:%d:%d: %s", L->file,
		         line, col, err.text);
	}
	return root;
}

int ax__content_load_one(ax_content *c, const char *file, const char *kind,
                         const char *text, const char *dir, ax_diag_fn diag,
                         void *dctx)
{
	struct ax__lint L;

	/* a BOM, which Notepad writes and nobody sees, is skipped */
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3;
	L = (struct ax__lint){file, text, diag, dctx, 0, &c->arena, c->lint};
	json_t *root = parse_json(&L, text);

	if (!root)
		return L.nerrors;
	if (strcmp(kind, "pack") == 0) {
		struct ax_pack pk = {0};
		parse_pack(&L, root, dir, &pk);
		if (pk.id)
			for (int i = 0; i < c->npacks; i++)
				if (strcmp(c->packs[i].id, pk.id) == 0)
					ax__lerr(&L, "id", "duplicate pack id \"%s\" (also in %s)",
					         pk.id, c->packs[i].dir ? c->packs[i].dir : "?");
		if (dir && pk.id) {
			const char *base = strrchr(dir, '/');
			base = base ? base + 1 : dir;
			if (strcmp(base, pk.id) != 0)
				ax__lerr(&L, "id", "pack id \"%s\" differs from its folder "
				         "name \"%s\"", pk.id, base);
		}
		if (!L.nerrors) {
			struct ax_pack *dst = ax__content_add_pack(c);
			if (dst) {
				*dst = pk;
				dst->json = ax__pack_json(&c->arena, dst);
			}
		}
	} else {
		struct ax_survey s = {0};
		parse_survey(&L, c, root, dir, &s);
		if (s.id)
			for (int i = 0; i < c->nsurveys; i++)
				if (strcmp(c->surveys[i].id, s.id) == 0 &&
				    c->surveys[i].version == s.version)
					ax__lerr(&L, "id", "duplicate survey \"%s\" version %d (also "
					         "in %s)", s.id, s.version,
					         c->surveys[i].path ? c->surveys[i].path : "?");
		if (!L.nerrors && c->lint) {
			ax__check_intro(&L, &s);
			ax__check_guessing(&L, &s);
		}
		if (!L.nerrors) {
			struct ax_survey *dst = ax__content_add_survey(c);
			if (dst) {
				*dst = s;
				dst->path = ax__arena_strdup(&c->arena, file);
				dst->json = ax__survey_json(&c->arena, dst);
			}
		}
	}
	json_decref(root);
	return L.nerrors;
}

static char *read_file(const char *path, int *err)
{
	FILE *f = fopen(path, "rb");
	struct ax_buf b = {0};
	char chunk[8192];
	size_t n;

	*err = 0;
	if (!f) {
		*err = errno;
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		ax__buf_put(&b, chunk, n);
	fclose(f);
	if (b.oom || memchr(b.p ? b.p : "", '\0', b.len)) {
		ax__buf_free(&b);
		*err = EINVAL;
		return NULL;
	}
	return ax__buf_take(&b);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in a folder (for a stable load and report order). */
static char **list_dir(const char *dir, int *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	int cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			char **nv = realloc(v, sizeof *v * (size_t)(cap = cap ? cap * 2 : 16));
			if (!nv)
				break;
			v = nv;
		}
		v[(*n)++] = strdup(e->d_name);
	}
	closedir(d);
	if (v)
		qsort(v, (size_t)*n, sizeof *v, cmp_names);
	return v;
}

static ax_rc load_dir(const char *dir, int lint, ax_diag_fn diag,
                      void *diag_ctx, int *nerrors, ax_content **out)
{
	ax_content *c = ax__content_new();
	char path[2048], sub[2048];
	char **names;
	int n, errs = 0, found = 0;

	*out = NULL;
	if (!c)
		return AX_NOMEM;
	c->lint = lint;
	/* packs first: surveys refer to their questions */
	snprintf(sub, sizeof sub, "%s/packs", dir);
	names = list_dir(sub, &n);
	for (int i = 0; i < n; i++) {
		char pdir[2048];
		int err;
		char *text;
		snprintf(pdir, sizeof pdir, "%s/%s", sub, names[i]);
		snprintf(path, sizeof path, "%s/pack.json", pdir);
		text = read_file(path, &err);
		if (!text) {
			struct stat sb;
			if (stat(pdir, &sb) == 0 && S_ISDIR(sb.st_mode)) {
				ax__diag(diag, diag_ctx, AX_SEV_ERROR, "%s: %s", path,
				         err == EINVAL ? "not a text file" : strerror(err));
				errs++;
			}
		} else {
			found++;
			errs += ax__content_load_one(c, path, "pack", text, pdir, diag,
			                             diag_ctx);
			free(text);
		}
		free(names[i]);
	}
	free(names);

	snprintf(sub, sizeof sub, "%s/surveys", dir);
	names = list_dir(sub, &n);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(names[i]);
		int err;
		char *text;
		if (len > 5 && strcmp(names[i] + len - 5, ".json") == 0) {
			snprintf(path, sizeof path, "%s/%s", sub, names[i]);
			text = read_file(path, &err);
			if (!text) {
				ax__diag(diag, diag_ctx, AX_SEV_ERROR, "%s: %s", path,
				         err == EINVAL ? "not a text file" : strerror(err));
				errs++;
			} else {
				found++;
				errs += ax__content_load_one(c, path, "survey", text, sub,
				                             diag, diag_ctx);
				free(text);
			}
		}
		free(names[i]);
	}
	free(names);
	if (!found) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR,
		         "%s: no packs/<id>/pack.json or surveys/<id>.json found", dir);
		errs++;
	}
	if (nerrors)
		*nerrors = errs;
	*out = c;
	return AX_OK;
}

ax_rc ax_content_load_dir(const char *dir, ax_diag_fn diag, void *diag_ctx,
                          int *nerrors, ax_content **out)
{
	return load_dir(dir, 0, diag, diag_ctx, nerrors, out);
}

ax_rc ax_content_lint_dir(const char *dir, ax_diag_fn diag, void *diag_ctx,
                          int *nerrors, ax_content **out)
{
	return load_dir(dir, 1, diag, diag_ctx, nerrors, out);
}

ax_rc ax_content_review_dir(const char *dir, ax_diag_fn diag, void *diag_ctx,
                            int *nerrors, ax_content **out)
{
	return load_dir(dir, AX__LINT_GUESS | AX__LINT_REVIEW, diag, diag_ctx,
	                nerrors, out);
}

ax_rc ax_content_load_text(const char *name, const char *kind,
                           const char *text, ax_diag_fn diag, void *diag_ctx,
                           int *nerrors, ax_content **out)
{
	ax_content *c = ax__content_new();
	int errs;

	*out = NULL;
	if (!c)
		return AX_NOMEM;
	errs = ax__content_load_one(c, name, kind, text, NULL, diag, diag_ctx);
	if (nerrors)
		*nerrors = errs;
	*out = c;
	return AX_OK;
}
