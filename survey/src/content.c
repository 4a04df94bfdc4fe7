/*
 * content.c -- loading and linting content packs and surveys.
 *
 * Files are parsed with jansson.  jansson reports positions for syntax
 * errors only, so semantic errors ("answer names no option") are located
 * by re-scanning the already-valid text for the JSON path of the value
 * (locate()): a small read-only walker, not a second JSON parser.
 *
 * Everything a loaded ax_content points to lives in its arena.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "anxin/content.h"
#include "anxin/text.h"
#include "anxin_int.h"

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

struct ax_content {
	struct ax_arena arena;
	struct ax_pack *packs;
	int npacks, cap_packs;
	struct ax_survey *surveys;
	int nsurveys, cap_surveys;
};

/* ---- locating a JSON path in source text ------------------------------ */
struct scan {
	const char *s;
};

static void skip_ws(struct scan *sc)
{
	while (*sc->s == ' ' || *sc->s == '\t' || *sc->s == '\n' || *sc->s == '\r')
		sc->s++;
}

/* Skip a string starting at '"'; copy up to n-1 raw bytes into out. */
static void skip_string(struct scan *sc, char *out, size_t n)
{
	size_t k = 0;
	sc->s++;
	while (*sc->s && *sc->s != '"') {
		if (*sc->s == '\\' && sc->s[1]) {
			if (out && k + 1 < n)
				out[k++] = sc->s[1] == 'u' ? '?' : sc->s[1];
			sc->s += 2;
			continue;
		}
		if (out && k + 1 < n)
			out[k++] = *sc->s;
		sc->s++;
	}
	if (*sc->s)
		sc->s++;
	if (out)
		out[k] = '\0';
}

static void skip_value(struct scan *sc);

static void skip_container(struct scan *sc, char close)
{
	sc->s++;
	for (;;) {
		skip_ws(sc);
		if (!*sc->s || *sc->s == close) {
			if (*sc->s)
				sc->s++;
			return;
		}
		if (*sc->s == ',' || *sc->s == ':') {
			sc->s++;
			continue;
		}
		skip_value(sc);
	}
}

static void skip_value(struct scan *sc)
{
	skip_ws(sc);
	if (*sc->s == '"')
		skip_string(sc, NULL, 0);
	else if (*sc->s == '{')
		skip_container(sc, '}');
	else if (*sc->s == '[')
		skip_container(sc, ']');
	else
		while (*sc->s && !strchr(",}] \t\r\n", *sc->s))
			sc->s++;
}

/*
 * Find the value at `path` ("questions/3/answer"; numeric parts index
 * arrays).  When the last part is an object key, the key's own position
 * is returned, which is where an editor should put the cursor.
 */
static const char *locate(const char *text, const char *path)
{
	struct scan sc = {text};
	char part[128];

	while (path && *path) {
		const char *slash = strchr(path, '/');
		size_t n = slash ? (size_t)(slash - path) : strlen(path);
		int last = !slash;
		if (n >= sizeof part)
			return NULL;
		memcpy(part, path, n);
		part[n] = '\0';
		path = slash ? slash + 1 : NULL;
		skip_ws(&sc);
		if (*sc.s == '{') {
			int found = 0;
			sc.s++;
			for (;;) {
				char key[128];
				const char *kpos;
				skip_ws(&sc);
				if (*sc.s != '"')
					return NULL;
				kpos = sc.s;
				skip_string(&sc, key, sizeof key);
				skip_ws(&sc);
				if (*sc.s == ':')
					sc.s++;
				if (strcmp(key, part) == 0) {
					if (last)
						return kpos;
					found = 1;
					break;
				}
				skip_value(&sc);
				skip_ws(&sc);
				if (*sc.s == ',')
					sc.s++;
				else
					return NULL;
			}
			if (!found)
				return NULL;
		} else if (*sc.s == '[') {
			char *end;
			long idx = strtol(part, &end, 10);
			if (*end || idx < 0)
				return NULL;
			sc.s++;
			for (long i = 0; i < idx; i++) {
				skip_value(&sc);
				skip_ws(&sc);
				if (*sc.s != ',')
					return NULL;
				sc.s++;
			}
			skip_ws(&sc);
			if (last)
				return sc.s;
		} else {
			return NULL;
		}
	}
	skip_ws(&sc);
	return sc.s;
}

/* ---- lint context ----------------------------------------------------- */
struct lint {
	const char *file;
	const char *text;
	ax_diag_fn diag;
	void *dctx;
	int nerrors;
	struct ax_arena *arena;
};

static void position(const struct lint *L, const char *path, int *line,
                     int *col)
{
	const char *at = L->text ? locate(L->text, path) : NULL;
	*line = 1;
	*col = 1;
	if (!at)
		return;
	for (const char *p = L->text; p < at; p++) {
		if (*p == '\n') {
			(*line)++;
			*col = 1;
		} else if (((unsigned char)*p & 0xC0) != 0x80) {
			(*col)++; /* columns count characters, as editors do */
		}
	}
}

static void lerr(struct lint *L, const char *path, const char *fmt, ...)
    AX_PRINTF(3, 4);
static void lerr(struct lint *L, const char *path, const char *fmt, ...)
{
	char msg[768];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	position(L, path, &line, &col);
	L->nerrors++;
	ax__diag(L->diag, L->dctx, AX_SEV_ERROR, "%s:%d:%d: %s", L->file, line,
	         col, msg);
}

#define PATH(buf, ...) snprintf(buf, sizeof buf, __VA_ARGS__)

/* Report fields not in `allowed` (NULL-terminated). */
static void check_fields(struct lint *L, json_t *obj, const char *path,
                         const char *const *allowed)
{
	const char *key;
	json_t *v;
	char p[256];

	json_object_foreach(obj, key, v) {
		int ok = 0;
		for (int i = 0; allowed[i]; i++)
			ok |= strcmp(allowed[i], key) == 0;
		if (!ok) {
			struct ax_buf b = {0};
			for (int i = 0; allowed[i]; i++)
				ax__buf_printf(&b, "%s%s", i ? ", " : "", allowed[i]);
			PATH(p, "%s%s%s", path, *path ? "/" : "", key);
			lerr(L, p, "unknown field \"%s\" (allowed: %s)", key,
			     b.p ? b.p : "");
			ax__buf_free(&b);
		}
	}
}

static const char *get_str(struct lint *L, json_t *obj, const char *path,
                           const char *key, int required)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	PATH(p, "%s%s%s", path, *path ? "/" : "", key);
	if (!v) {
		if (required)
			lerr(L, path, "missing required field \"%s\"", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		lerr(L, p, "\"%s\" must be a string", key);
		return NULL;
	}
	if (required && json_string_length(v) == 0) {
		lerr(L, p, "\"%s\" must not be empty", key);
		return NULL;
	}
	return ax__arena_strdup(L->arena, json_string_value(v));
}

static int get_version(struct lint *L, json_t *obj, const char *path)
{
	json_t *v = json_object_get(obj, "version");
	char p[256];

	PATH(p, "%s%sversion", path, *path ? "/" : "");
	if (!v) {
		lerr(L, path, "missing required field \"version\"");
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 1000000) {
		lerr(L, p, "\"version\" must be a whole number from 1 up");
		return 0;
	}
	return (int)json_integer_value(v);
}

static json_t *get_array(struct lint *L, json_t *obj, const char *path,
                         const char *key, int required)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	PATH(p, "%s%s%s", path, *path ? "/" : "", key);
	if (!v) {
		if (required)
			lerr(L, path, "missing required field \"%s\"", key);
		return NULL;
	}
	if (!json_is_array(v)) {
		lerr(L, p, "\"%s\" must be an array", key);
		return NULL;
	}
	return v;
}

static int valid_id(const char *s)
{
	if (!s || !*s || strlen(s) > 48)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static int is_topic(const char *t)
{
	for (int i = 0; ax_topics[i]; i++)
		if (strcmp(ax_topics[i], t) == 0)
			return 1;
	return 0;
}

static void check_sms(struct lint *L, const char *path, const char *text,
                      int max_segs, int max_units)
{
	int units, ucs2, segs;

	if (!text)
		return;
	segs = ax_sms_segments(text, &units, &ucs2);
	if (max_units && units > max_units)
		lerr(L, path, "SMS text is %d characters; at most %d fit in one %s "
		     "segment",
		     units, max_units, ucs2 ? "UCS-2" : "GSM-7");
	else if (segs > max_segs)
		lerr(L, path,
		     "SMS text needs %d segments (%d %s units); the budget is %d",
		     segs, units, ucs2 ? "UCS-2" : "GSM-7", max_segs);
}

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

static void fill_defaults(struct lint *L, struct ax_question *q,
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

static void parse_options(struct lint *L, json_t *arr, const char *path,
                          struct ax_question *q)
{
	size_t n = json_array_size(arr), i;
	struct ax_option *o;
	char p[256], pp[300];

	if (n < 2 || n > 9) {
		lerr(L, path, "a question needs 2 to 9 options, not %zu", n);
		if (n == 0)
			return;
	}
	o = ax__arena_alloc(L->arena, sizeof *o * n);
	if (!o)
		return;
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i), *keys, *score;
		PATH(p, "%s/%zu", path, i);
		if (!json_is_object(e)) {
			lerr(L, p, "an option must be an object {\"code\", \"label\"}");
			continue;
		}
		check_fields(L, e, p, option_fields);
		o[i].code = get_str(L, e, p, "code", 1);
		o[i].label = get_str(L, e, p, "label", 1);
		if (o[i].code && (strlen(o[i].code) > 8 || strchr(o[i].code, ',')))
			lerr(L, p, "option code \"%s\" must be short (a digit or "
			     "letter) and contain no comma", o[i].code);
		for (size_t k = 0; k < i; k++)
			if (o[i].code && o[k].code && strcmp(o[i].code, o[k].code) == 0)
				lerr(L, p, "duplicate option code \"%s\"", o[i].code);
		if ((keys = json_object_get(e, "keys"))) {
			PATH(pp, "%s/keys", p);
			if (!json_is_array(keys)) {
				lerr(L, pp, "\"keys\" must be an array of strings");
			} else {
				size_t nk = json_array_size(keys);
				const char **kv =
				    ax__arena_alloc(L->arena, sizeof *kv * (nk + 1));
				for (size_t k = 0; kv && k < nk; k++) {
					json_t *kk = json_array_get(keys, k);
					if (!json_is_string(kk) || !json_string_length(kk)) {
						PATH(pp, "%s/keys/%zu", p, k);
						lerr(L, pp, "a reply key must be a non-empty string");
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
				PATH(pp, "%s/score", p);
				lerr(L, pp, "\"score\" must be a number");
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
	"id", "text", "options", "answer", "explanation", "sms", NULL};

/* A knowledge question as written in a pack. */
static void parse_knowledge(struct lint *L, json_t *e, const char *path,
                            const char *topic, struct ax_question *q)
{
	json_t *opts;
	char p[256];

	check_fields(L, e, path, knowledge_fields);
	q->type = AX_Q_KNOWLEDGE;
	q->id = get_str(L, e, path, "id", 1);
	q->text = get_str(L, e, path, "text", 1);
	q->answer = get_str(L, e, path, "answer", 1);
	q->explanation = get_str(L, e, path, "explanation", 1);
	q->sms = get_str(L, e, path, "sms", 1);
	q->topic = topic;
	if ((opts = get_array(L, e, path, "options", 1))) {
		PATH(p, "%s/options", path);
		parse_options(L, opts, p, q);
	}
	if (q->answer && q->options && !ax_question_option(q, q->answer)) {
		PATH(p, "%s/answer", path);
		lerr(L, p, "answer \"%s\" names no option of question %s", q->answer,
		     q->id ? q->id : "?");
	}
	PATH(p, "%s/sms", path);
	check_sms(L, p, q->sms, AX_SMS_QUESTION_SEGS, 0);
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

/* ---- packs ------------------------------------------------------------ */
static const char *const pack_fields[] = {
	"id",    "version", "topic", "title",     "summary", "sources",
	"hotlines", "pages", "sms",  "questions", NULL};
static const char *const page_fields[] = {"id", "title", "body", "image",
                                          "audio", NULL};
static const char *const source_fields[] = {"title", "detail", "url", NULL};
static const char *const hotline_fields[] = {"number", "label", NULL};
static const char *const digest_fields[] = {"id", "text", NULL};

static int count_dups(struct lint *L, const char *path, const char *what,
                      const char *id, const char *const *seen, int n)
{
	for (int i = 0; i < n; i++)
		if (seen[i] && id && strcmp(seen[i], id) == 0) {
			lerr(L, path, "duplicate %s id \"%s\"", what, id);
			return 1;
		}
	return 0;
}

static json_t *pack_to_json(const struct ax_pack *pk);

static void parse_pack(struct lint *L, json_t *root, const char *dir,
                       struct ax_pack *pk)
{
	json_t *arr;
	char p[256];

	if (!json_is_object(root)) {
		lerr(L, "", "a pack must be a JSON object");
		return;
	}
	check_fields(L, root, "", pack_fields);
	pk->id = get_str(L, root, "", "id", 1);
	pk->version = get_version(L, root, "");
	pk->topic = get_str(L, root, "", "topic", 1);
	pk->title = get_str(L, root, "", "title", 1);
	pk->summary = get_str(L, root, "", "summary", 0);
	pk->dir = ax__arena_strdup(L->arena, dir);
	if (pk->id && !valid_id(pk->id))
		lerr(L, "id", "pack id \"%s\" may use only a-z, 0-9, - and _",
		     pk->id);
	if (pk->topic && !is_topic(pk->topic)) {
		struct ax_buf b = {0};
		for (int i = 0; ax_topics[i]; i++)
			ax__buf_printf(&b, "%s%s", i ? ", " : "", ax_topics[i]);
		lerr(L, "topic", "unknown topic \"%s\" (topics: %s)", pk->topic,
		     b.p ? b.p : "");
		ax__buf_free(&b);
	}

	if ((arr = get_array(L, root, "", "sources", 1))) {
		size_t n = json_array_size(arr);
		struct ax_source *s = ax__arena_alloc(L->arena, sizeof *s * (n + 1));
		if (n == 0)
			lerr(L, "sources", "cite at least one law or source");
		for (size_t i = 0; s && i < n; i++) {
			json_t *e = json_array_get(arr, i);
			PATH(p, "sources/%zu", i);
			if (!json_is_object(e)) {
				lerr(L, p, "a source must be an object {\"title\", \"detail\"}");
				continue;
			}
			check_fields(L, e, p, source_fields);
			s[i].title = get_str(L, e, p, "title", 1);
			s[i].detail = get_str(L, e, p, "detail", 0);
			s[i].url = get_str(L, e, p, "url", 0);
		}
		pk->sources = s;
		pk->nsources = (int)n;
	}
	if ((arr = get_array(L, root, "", "hotlines", 0))) {
		size_t n = json_array_size(arr);
		struct ax_hotline *h = ax__arena_alloc(L->arena, sizeof *h * (n + 1));
		for (size_t i = 0; h && i < n; i++) {
			json_t *e = json_array_get(arr, i);
			PATH(p, "hotlines/%zu", i);
			if (!json_is_object(e)) {
				lerr(L, p, "a hotline must be an object {\"number\", \"label\"}");
				continue;
			}
			check_fields(L, e, p, hotline_fields);
			h[i].number = get_str(L, e, p, "number", 1);
			h[i].label = get_str(L, e, p, "label", 1);
		}
		pk->hotlines = h;
		pk->nhotlines = (int)n;
	}
	if ((arr = get_array(L, root, "", "pages", 1))) {
		size_t n = json_array_size(arr);
		struct ax_page *pg = ax__arena_alloc(L->arena, sizeof *pg * (n + 1));
		const char **seen = ax__arena_alloc(L->arena, sizeof *seen * (n + 1));
		if (n < 6 || n > 12)
			lerr(L, "pages", "a pack has 6 to 12 pages, this one has %zu", n);
		for (size_t i = 0; pg && seen && i < n; i++) {
			json_t *e = json_array_get(arr, i);
			PATH(p, "pages/%zu", i);
			if (!json_is_object(e)) {
				lerr(L, p, "a page must be an object {\"id\", \"title\", \"body\"}");
				continue;
			}
			check_fields(L, e, p, page_fields);
			pg[i].id = get_str(L, e, p, "id", 1);
			pg[i].title = get_str(L, e, p, "title", 1);
			pg[i].body = get_str(L, e, p, "body", 1);
			pg[i].image = get_str(L, e, p, "image", 0);
			pg[i].audio = get_str(L, e, p, "audio", 0);
			{
				char ip[300];
				PATH(ip, "%s/id", p);
				count_dups(L, ip, "page", pg[i].id, seen, (int)i);
			}
			seen[i] = pg[i].id;
			for (int m = 0; m < 2; m++) {
				const char *f = m ? pg[i].audio : pg[i].image;
				struct stat sb;
				char full[1024];
				if (!f || !dir)
					continue;
				if (f[0] == '/' || strstr(f, "..")) {
					PATH(full, "%s/%s", p, m ? "audio" : "image");
					lerr(L, full, "media path \"%s\" must be relative to the "
					     "pack folder", f);
					continue;
				}
				snprintf(full, sizeof full, "%s/%s", dir, f);
				if (stat(full, &sb) != 0) {
					PATH(full, "%s/%s", p, m ? "audio" : "image");
					lerr(L, full, "media file \"%s\" does not exist", f);
				}
			}
		}
		pk->pages = pg;
		pk->npages = (int)n;
	}
	if ((arr = get_array(L, root, "", "sms", 1))) {
		size_t n = json_array_size(arr);
		struct ax_digest *d = ax__arena_alloc(L->arena, sizeof *d * (n + 1));
		const char **seen = ax__arena_alloc(L->arena, sizeof *seen * (n + 1));
		if (n < 2 || n > 4)
			lerr(L, "sms", "a pack has 2 to 4 SMS digests, this one has %zu",
			     n);
		for (size_t i = 0; d && seen && i < n; i++) {
			json_t *e = json_array_get(arr, i);
			PATH(p, "sms/%zu", i);
			if (!json_is_object(e)) {
				lerr(L, p, "a digest must be an object {\"id\", \"text\"}");
				continue;
			}
			check_fields(L, e, p, digest_fields);
			d[i].id = get_str(L, e, p, "id", 1);
			d[i].text = get_str(L, e, p, "text", 1);
			{
				char ip[300];
				PATH(ip, "%s/id", p);
				count_dups(L, ip, "digest", d[i].id, seen, (int)i);
			}
			seen[i] = d[i].id;
			PATH(p, "sms/%zu/text", i);
			check_sms(L, p, d[i].text, 1, AX_SMS_DIGEST_MAX);
		}
		pk->digests = d;
		pk->ndigests = (int)n;
	}
	if ((arr = get_array(L, root, "", "questions", 1))) {
		size_t n = json_array_size(arr);
		struct ax_question *q = ax__arena_alloc(L->arena, sizeof *q * (n + 1));
		const char **seen = ax__arena_alloc(L->arena, sizeof *seen * (n + 1));
		if (n < 5)
			lerr(L, "questions",
			     "a pack has at least 5 knowledge questions, this one has %zu",
			     n);
		for (size_t i = 0; q && seen && i < n; i++) {
			json_t *e = json_array_get(arr, i);
			PATH(p, "questions/%zu", i);
			if (!json_is_object(e)) {
				lerr(L, p, "a question must be an object");
				continue;
			}
			parse_knowledge(L, e, p, pk->topic, &q[i]);
			{
				char ip[300];
				PATH(ip, "%s/id", p);
				count_dups(L, ip, "question", q[i].id, seen, (int)i);
			}
			seen[i] = q[i].id;
		}
		pk->questions = q;
		pk->nquestions = (int)n;
	}
}

/* ---- surveys ---------------------------------------------------------- */
static const char *const survey_fields[] = {
	"id",         "version",   "title",   "intro", "sms_intro",
	"sms_thanks", "questions", "metrics", NULL};
static const char *const question_fields[] = {
	"id",     "type",        "text",  "sms",     "options",
	"answer", "explanation", "topic", "show_if", NULL};
static const char *const ref_fields[] = {"id", "ref", "show_if", NULL};
static const char *const showif_fields[] = {"question", "any_of", NULL};
static const char *const metrics_fields[] = {"awareness", "satisfaction",
                                             NULL};
static const char *const aw_fields[] = {"topic", "questions", "pass_share",
                                        NULL};
static const char *const sat_fields[] = {"question", "satisfied", NULL};

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

static void parse_show_if(struct lint *L, json_t *e, const char *path,
                          struct ax_question *q)
{
	json_t *si = json_object_get(e, "show_if"), *any;
	char p[256];

	if (!si)
		return;
	PATH(p, "%s/show_if", path);
	if (!json_is_object(si)) {
		lerr(L, p, "\"show_if\" must be {\"question\": ID, \"any_of\": [codes]}");
		return;
	}
	check_fields(L, si, p, showif_fields);
	q->show_if_question = get_str(L, si, p, "question", 1);
	if ((any = get_array(L, si, p, "any_of", 1))) {
		size_t n = json_array_size(any);
		const char **v = ax__arena_alloc(L->arena, sizeof *v * (n + 1));
		if (n == 0)
			lerr(L, p, "\"any_of\" must list at least one option code");
		for (size_t i = 0; v && i < n; i++) {
			json_t *x = json_array_get(any, i);
			if (!json_is_string(x)) {
				char pp[300];
				PATH(pp, "%s/any_of/%zu", p, i);
				lerr(L, pp, "option codes are strings");
				continue;
			}
			v[q->nshow_if_any++] =
			    ax__arena_strdup(L->arena, json_string_value(x));
		}
		q->show_if_any = v;
	}
}

static void parse_question(struct lint *L, const ax_content *c, json_t *e,
                           const char *path, struct ax_question *q)
{
	json_t *opts;
	const char *type, *ref;
	char p[256];

	ref = json_is_string(json_object_get(e, "ref"))
	          ? json_string_value(json_object_get(e, "ref"))
	          : NULL;
	if (ref) {
		const struct ax_question *src = find_ref(c, ref);
		check_fields(L, e, path, ref_fields);
		q->id = get_str(L, e, path, "id", 1);
		q->ref = ax__arena_strdup(L->arena, ref);
		parse_show_if(L, e, path, q);
		if (!src) {
			PATH(p, "%s/ref", path);
			lerr(L, p, "ref \"%s\" names no pack question (PACK_ID/QUESTION_ID)",
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
		return;
	}
	check_fields(L, e, path, question_fields);
	q->id = get_str(L, e, path, "id", 1);
	q->text = get_str(L, e, path, "text", 1);
	q->sms = get_str(L, e, path, "sms", 1);
	type = get_str(L, e, path, "type", 1);
	if (type && parse_qtype(type, &q->type)) {
		PATH(p, "%s/type", path);
		lerr(L, p, "unknown question type \"%s\" (single, multi, yesno, "
		     "scale5, knowledge)", type);
		q->type = AX_Q_SCALE5; /* options optional: no follow-on errors */
	}
	parse_show_if(L, e, path, q);
	PATH(p, "%s/sms", path);
	check_sms(L, p, q->sms, AX_SMS_QUESTION_SEGS, 0);
	if ((opts = get_array(L, e, path, "options",
	                      q->type != AX_Q_SCALE5 && q->type != AX_Q_YESNO))) {
		PATH(p, "%s/options", path);
		parse_options(L, opts, p, q);
	} else if (q->type == AX_Q_SCALE5) {
		fill_defaults(L, q, scale5_defaults, 5);
	} else if (q->type == AX_Q_YESNO) {
		fill_defaults(L, q, yesno_defaults, 2);
	}
	if (q->type == AX_Q_KNOWLEDGE) {
		q->answer = get_str(L, e, path, "answer", 1);
		q->explanation = get_str(L, e, path, "explanation", 1);
		q->topic = get_str(L, e, path, "topic", 1);
		if (q->topic && !is_topic(q->topic)) {
			PATH(p, "%s/topic", path);
			lerr(L, p, "unknown topic \"%s\"", q->topic);
		}
		if (q->answer && q->options && !ax_question_option(q, q->answer)) {
			PATH(p, "%s/answer", path);
			lerr(L, p, "answer \"%s\" names no option of question %s",
			     q->answer, q->id ? q->id : "?");
		}
	} else {
		static const char *const only_knowledge[] = {"answer", "explanation",
		                                             "topic"};
		for (size_t i = 0; i < 3; i++)
			if (json_object_get(e, only_knowledge[i])) {
				PATH(p, "%s/%s", path, only_knowledge[i]);
				lerr(L, p, "\"%s\" belongs only to knowledge questions",
				     only_knowledge[i]);
			}
	}
}

static int qindex(const struct ax_survey *s, const char *id)
{
	for (int i = 0; i < s->nquestions; i++)
		if (s->questions[i].id && id && strcmp(s->questions[i].id, id) == 0)
			return i;
	return -1;
}

/* show_if references: must name an existing earlier question and its
 * options; a chain that returns to its start is reported as a cycle. */
static void check_show_if(struct lint *L, struct ax_survey *s)
{
	char p[256];

	for (int i = 0; i < s->nquestions; i++) {
		const struct ax_question *q = &s->questions[i];
		int j;
		if (!q->show_if_question)
			continue;
		PATH(p, "questions/%d/show_if/question", i);
		j = qindex(s, q->show_if_question);
		if (j < 0) {
			lerr(L, p, "show_if names question \"%s\", which does not exist",
			     q->show_if_question);
			continue;
		}
		/* follow the chain from i; if it comes back to i it is a cycle */
		{
			int k = j, steps = 0, cyc = 0;
			struct ax_buf chain = {0};
			ax__buf_printf(&chain, "%s", q->id ? q->id : "?");
			while (k >= 0 && steps++ <= s->nquestions) {
				ax__buf_printf(&chain, " -> %s",
				               s->questions[k].id ? s->questions[k].id : "?");
				if (k == i) {
					cyc = 1;
					break;
				}
				k = s->questions[k].show_if_question
				        ? qindex(s, s->questions[k].show_if_question)
				        : -1;
			}
			if (cyc) {
				lerr(L, p, "show_if cycle: %s", chain.p ? chain.p : "");
				ax__buf_free(&chain);
				continue;
			}
			ax__buf_free(&chain);
		}
		if (j >= i) {
			lerr(L, p, "show_if names question \"%s\", which is not asked "
			     "before \"%s\"", q->show_if_question, q->id ? q->id : "?");
			continue;
		}
		for (int k = 0; k < q->nshow_if_any; k++)
			if (!ax_question_option(&s->questions[j], q->show_if_any[k])) {
				PATH(p, "questions/%d/show_if/any_of/%d", i, k);
				lerr(L, p, "show_if code \"%s\" is not an option of %s",
				     q->show_if_any[k], q->show_if_question);
			}
	}
}

static void parse_metrics(struct lint *L, json_t *root, struct ax_survey *s)
{
	json_t *m = json_object_get(root, "metrics"), *aw, *sat;
	char p[256];

	if (!m)
		return;
	if (!json_is_object(m)) {
		lerr(L, "metrics", "\"metrics\" must be an object");
		return;
	}
	check_fields(L, m, "metrics", metrics_fields);
	if ((aw = get_array(L, m, "metrics", "awareness", 0))) {
		size_t n = json_array_size(aw);
		struct ax_awareness_rule *r =
		    ax__arena_alloc(L->arena, sizeof *r * (n + 1));
		for (size_t i = 0; r && i < n; i++) {
			json_t *e = json_array_get(aw, i), *qs, *ps;
			PATH(p, "metrics/awareness/%zu", i);
			if (!json_is_object(e)) {
				lerr(L, p, "an awareness rule must be an object");
				continue;
			}
			check_fields(L, e, p, aw_fields);
			r[i].topic = get_str(L, e, p, "topic", 1);
			r[i].pass_share = 0.6;
			if (r[i].topic && !is_topic(r[i].topic)) {
				char pp[300];
				PATH(pp, "%s/topic", p);
				lerr(L, pp, "unknown topic \"%s\"", r[i].topic);
			}
			for (size_t k = 0; k < i; k++)
				if (r[k].topic && r[i].topic &&
				    strcmp(r[k].topic, r[i].topic) == 0)
					lerr(L, p, "topic \"%s\" has two awareness rules",
					     r[i].topic);
			if ((ps = json_object_get(e, "pass_share"))) {
				if (!json_is_number(ps) || json_number_value(ps) <= 0 ||
				    json_number_value(ps) > 1) {
					char pp[300];
					PATH(pp, "%s/pass_share", p);
					lerr(L, pp, "\"pass_share\" must be a number in (0, 1]");
				} else {
					r[i].pass_share = json_number_value(ps);
				}
			}
			if ((qs = get_array(L, e, p, "questions", 1))) {
				size_t nq = json_array_size(qs);
				const char **v =
				    ax__arena_alloc(L->arena, sizeof *v * (nq + 1));
				if (nq == 0)
					lerr(L, p, "an awareness rule needs questions");
				for (size_t k = 0; v && k < nq; k++) {
					json_t *x = json_array_get(qs, k);
					const struct ax_question *q;
					char pp[300];
					PATH(pp, "%s/questions/%zu", p, k);
					if (!json_is_string(x)) {
						lerr(L, pp, "question ids are strings");
						continue;
					}
					q = ax_survey_question(s, json_string_value(x));
					if (!q)
						lerr(L, pp, "metric rule names question \"%s\", "
						     "which does not exist", json_string_value(x));
					else if (q->type != AX_Q_KNOWLEDGE)
						lerr(L, pp, "awareness is measured by knowledge "
						     "questions; \"%s\" is %s",
						     q->id, ax_qtype_name(q->type));
					else if (r[i].topic && q->topic &&
					         strcmp(q->topic, r[i].topic) != 0)
						lerr(L, pp, "question \"%s\" is about %s, not %s",
						     q->id, q->topic, r[i].topic);
					v[r[i].nquestions++] =
					    ax__arena_strdup(L->arena, json_string_value(x));
				}
				r[i].questions = v;
			}
		}
		s->awareness = r;
		s->nawareness = (int)n;
	}
	if ((sat = json_object_get(m, "satisfaction"))) {
		json_t *codes;
		const struct ax_question *q;
		if (!json_is_object(sat)) {
			lerr(L, "metrics/satisfaction",
			     "\"satisfaction\" must be {\"question\", \"satisfied\"}");
			return;
		}
		check_fields(L, sat, "metrics/satisfaction", sat_fields);
		s->sat_question = get_str(L, sat, "metrics/satisfaction", "question", 1);
		q = s->sat_question ? ax_survey_question(s, s->sat_question) : NULL;
		if (s->sat_question && !q)
			lerr(L, "metrics/satisfaction/question",
			     "metric rule names question \"%s\", which does not exist",
			     s->sat_question);
		else if (q && q->type != AX_Q_SCALE5 && q->type != AX_Q_SINGLE)
			lerr(L, "metrics/satisfaction/question",
			     "satisfaction is measured by a scale5 or single question; "
			     "\"%s\" is %s", q->id, ax_qtype_name(q->type));
		codes = get_array(L, sat, "metrics/satisfaction", "satisfied", 0);
		if (codes) {
			size_t n = json_array_size(codes);
			const char **v = ax__arena_alloc(L->arena, sizeof *v * (n + 1));
			for (size_t k = 0; v && k < n; k++) {
				json_t *x = json_array_get(codes, k);
				PATH(p, "metrics/satisfaction/satisfied/%zu", k);
				if (!json_is_string(x)) {
					lerr(L, p, "option codes are strings");
					continue;
				}
				if (q && !ax_question_option(q, json_string_value(x)))
					lerr(L, p, "\"%s\" is not an option of %s",
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
				lerr(L, "metrics/satisfaction",
				     "no option of \"%s\" is labelled 非常满意/满意/基本满意; "
				     "list the satisfied codes in \"satisfied\"", q->id);
		}
	}
}

static void parse_survey(struct lint *L, const ax_content *c, json_t *root,
                         struct ax_survey *s)
{
	json_t *arr;
	char p[256];

	if (!json_is_object(root)) {
		lerr(L, "", "a survey must be a JSON object");
		return;
	}
	check_fields(L, root, "", survey_fields);
	s->id = get_str(L, root, "", "id", 1);
	s->version = get_version(L, root, "");
	s->title = get_str(L, root, "", "title", 1);
	s->intro = get_str(L, root, "", "intro", 0);
	s->sms_intro = get_str(L, root, "", "sms_intro", 1);
	s->sms_thanks = get_str(L, root, "", "sms_thanks", 1);
	if (s->id && !valid_id(s->id))
		lerr(L, "id", "survey id \"%s\" may use only a-z, 0-9, - and _",
		     s->id);
	check_sms(L, "sms_intro", s->sms_intro, AX_SMS_QUESTION_SEGS, 0);
	check_sms(L, "sms_thanks", s->sms_thanks, AX_SMS_QUESTION_SEGS, 0);
	if (s->sms_intro) {
		const char *td = "回复TD退订";
		size_t n = strlen(s->sms_intro), k = strlen(td);
		if (n < k || strcmp(s->sms_intro + n - k, td) != 0)
			lerr(L, "sms_intro", "the first message must end with "
			     "\"回复TD退订\" (how to opt out)");
	}
	if ((arr = get_array(L, root, "", "questions", 1))) {
		size_t n = json_array_size(arr);
		struct ax_question *q = ax__arena_alloc(L->arena, sizeof *q * (n + 1));
		if (n == 0)
			lerr(L, "questions", "a survey needs at least one question");
		for (size_t i = 0; q && i < n; i++) {
			json_t *e = json_array_get(arr, i);
			PATH(p, "questions/%zu", i);
			if (!json_is_object(e)) {
				lerr(L, p, "a question must be an object");
				continue;
			}
			parse_question(L, c, e, p, &q[i]);
			for (size_t k = 0; k < i; k++)
				if (q[k].id && q[i].id && strcmp(q[k].id, q[i].id) == 0) {
					char ip[300];
					PATH(ip, "%s/id", p);
					lerr(L, ip, "duplicate question id \"%s\"", q[i].id);
					break;
				}
		}
		s->questions = q;
		s->nquestions = (int)n;
	}
	check_show_if(L, s);
	parse_metrics(L, root, s);
}

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
		json_object_set_new(m, "satisfaction", sat);
	}
	json_object_set_new(o, "metrics", m);
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

static char *dump_canonical(struct ax_arena *a, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
	char *r = s ? ax__arena_strdup(a, s) : NULL;
	free(s);
	json_decref(j);
	return r;
}

/* ---- loading ---------------------------------------------------------- */
static ax_content *content_new(void)
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

static struct ax_pack *add_pack(ax_content *c)
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

static struct ax_survey *add_survey(ax_content *c)
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

/* Parse text as JSON; syntax errors are reported with jansson's position. */
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
static json_t *parse_json(struct lint *L, const char *text)
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

static int load_one(ax_content *c, const char *file, const char *kind,
                    const char *text, const char *dir, ax_diag_fn diag,
                    void *dctx)
{
	struct lint L;

	/* a BOM, which Notepad writes and nobody sees, is skipped */
	if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
		text += 3;
	L = (struct lint){file, text, diag, dctx, 0, &c->arena};
	json_t *root = parse_json(&L, text);

	if (!root)
		return L.nerrors;
	if (strcmp(kind, "pack") == 0) {
		struct ax_pack pk = {0};
		parse_pack(&L, root, dir, &pk);
		if (pk.id)
			for (int i = 0; i < c->npacks; i++)
				if (strcmp(c->packs[i].id, pk.id) == 0)
					lerr(&L, "id", "duplicate pack id \"%s\" (also in %s)",
					     pk.id, c->packs[i].dir ? c->packs[i].dir : "?");
		if (dir && pk.id) {
			const char *base = strrchr(dir, '/');
			base = base ? base + 1 : dir;
			if (strcmp(base, pk.id) != 0)
				lerr(&L, "id", "pack id \"%s\" differs from its folder "
				     "name \"%s\"", pk.id, base);
		}
		if (!L.nerrors) {
			struct ax_pack *dst = add_pack(c);
			if (dst) {
				*dst = pk;
				dst->json = dump_canonical(&c->arena, pack_to_json(dst));
			}
		}
	} else {
		struct ax_survey s = {0};
		parse_survey(&L, c, root, &s);
		if (s.id)
			for (int i = 0; i < c->nsurveys; i++)
				if (strcmp(c->surveys[i].id, s.id) == 0 &&
				    c->surveys[i].version == s.version)
					lerr(&L, "id", "duplicate survey \"%s\" version %d (also "
					     "in %s)", s.id, s.version,
					     c->surveys[i].path ? c->surveys[i].path : "?");
		if (!L.nerrors) {
			struct ax_survey *dst = add_survey(c);
			if (dst) {
				*dst = s;
				dst->path = ax__arena_strdup(&c->arena, file);
				dst->json = dump_canonical(&c->arena, survey_to_json(dst));
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

ax_rc ax_content_load_dir(const char *dir, ax_diag_fn diag, void *diag_ctx,
                          int *nerrors, ax_content **out)
{
	ax_content *c = content_new();
	char path[2048], sub[2048];
	char **names;
	int n, errs = 0, found = 0;

	*out = NULL;
	if (!c)
		return AX_NOMEM;
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
			errs += load_one(c, path, "pack", text, pdir, diag, diag_ctx);
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
				errs += load_one(c, path, "survey", text, NULL, diag, diag_ctx);
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

ax_rc ax_content_load_text(const char *name, const char *kind,
                           const char *text, ax_diag_fn diag, void *diag_ctx,
                           int *nerrors, ax_content **out)
{
	ax_content *c = content_new();
	int errs;

	*out = NULL;
	if (!c)
		return AX_NOMEM;
	errs = load_one(c, name, kind, text, NULL, diag, diag_ctx);
	if (nerrors)
		*nerrors = errs;
	*out = c;
	return AX_OK;
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

/* ---- store ------------------------------------------------------------ */
static ax_rc install_one(ax_store *st, const char *table, const char *id,
                         int version, const char *topic, const char *title,
                         const char *json, int *added)
{
	sqlite3_stmt *s;
	char sql[256];
	ax_rc rc;

	snprintf(sql, sizeof sql, "SELECT json FROM %s WHERE id = ? AND version = ?",
	         table);
	if ((rc = ax__prepare(st, &s, sql)))
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, version);
	if (sqlite3_step(s) == SQLITE_ROW) {
		int same = strcmp((const char *)sqlite3_column_text(s, 0), json) == 0;
		sqlite3_finalize(s);
		if (same)
			return AX_OK;
		ax__store_seterr(st, "%s \"%s\" version %d is already installed with "
		                 "different content; raise its \"version\"",
		                 strcmp(table, "packs") == 0 ? "pack" : "survey", id,
		                 version);
		return AX_CONFLICT;
	}
	sqlite3_finalize(s);
	if (strcmp(table, "packs") == 0)
		rc = ax__prepare(st, &s,
		                 "INSERT INTO packs(id, version, topic, title, json, "
		                 "installed_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
	else
		rc = ax__prepare(st, &s,
		                 "INSERT INTO surveys(id, version, title, json, "
		                 "installed_at) VALUES(?1, ?2, ?4, ?5, ?6)");
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, version);
	if (topic)
		sqlite3_bind_text(s, 3, topic, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, title, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, json, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 6, (sqlite3_int64)time(NULL));
	if (sqlite3_step(s) != SQLITE_DONE)
		rc = ax__store_sqlerr(st, sqlite3_errcode(ax__store_db(st)), table);
	else
		(*added)++;
	sqlite3_finalize(s);
	return rc;
}

ax_rc ax_content_install(ax_store *st, const ax_content *c, int *added)
{
	int n = 0;
	ax_rc rc;

	if ((rc = ax__exec(st, "BEGIN IMMEDIATE")))
		return rc;
	for (int i = 0; i < c->npacks && !rc; i++)
		rc = install_one(st, "packs", c->packs[i].id, c->packs[i].version,
		                 c->packs[i].topic, c->packs[i].title, c->packs[i].json,
		                 &n);
	for (int i = 0; i < c->nsurveys && !rc; i++)
		rc = install_one(st, "surveys", c->surveys[i].id, c->surveys[i].version,
		                 NULL, c->surveys[i].title, c->surveys[i].json, &n);
	if (rc) {
		sqlite3_exec(ax__store_db(st), "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if ((rc = ax__exec(st, "COMMIT")))
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

ax_rc ax_content_load_store(ax_store *st, ax_content **out)
{
	ax_content *c = content_new();
	sqlite3_stmt *s;
	struct ax_buf errs = {0};
	int nerr = 0;
	ax_rc rc;

	*out = NULL;
	if (!c)
		return AX_NOMEM;
	if ((rc = ax__prepare(st, &s, "SELECT id, version, json FROM surveys "
	                              "ORDER BY id, version"))) {
		ax_content_free(c);
		return rc;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		char name[160];
		snprintf(name, sizeof name, "store:surveys/%s@%d",
		         (const char *)sqlite3_column_text(s, 0),
		         sqlite3_column_int(s, 1));
		nerr += load_one(c, name, "survey",
		                 (const char *)sqlite3_column_text(s, 2), NULL,
		                 collect_diag, &errs);
	}
	sqlite3_finalize(s);
	if (nerr) {
		ax__store_seterr(st, "installed surveys do not load: %s",
		                 errs.p ? errs.p : "");
		ax__buf_free(&errs);
		ax_content_free(c);
		return AX_INVALID;
	}
	ax__buf_free(&errs);
	*out = c;
	return AX_OK;
}
