/*
 * content_lint.c -- located diagnostics and the checks on content.
 *
 * Files are parsed with jansson.  jansson reports positions for syntax
 * errors only, so semantic errors ("answer names no option") are located
 * by re-scanning the already-valid text for the JSON path of the value
 * (locate()): a small read-only walker, not a second JSON parser.
 *
 * The checked accessors (ax__get_str and friends) read a field and report
 * what is wrong with it in one step, so the parser never reads a value
 * the linter has not seen.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/text.h"
#include "content_int.h"

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

/* ---- reporting -------------------------------------------------------- */
static void position(const struct ax__lint *L, const char *path, int *line,
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

static void report(struct ax__lint *L, enum ax_severity sev, const char *path,
                   const char *fmt, va_list ap)
{
	char msg[768];
	int line, col;

	vsnprintf(msg, sizeof msg, fmt, ap);
	position(L, path, &line, &col);
	/* "warning: " and "note: " as compilers write them: the CLI prints
	 * the text unchanged, and an error is anything without a word */
	ax__diag(L->diag, L->dctx, sev, "%s:%d:%d: %s%s", L->file, line, col,
	         sev == AX_SEV_WARNING ? "warning: "
	         : sev == AX_SEV_NOTE  ? "note: "
	                               : "",
	         msg);
}

void ax__lerr(struct ax__lint *L, const char *path, const char *fmt, ...)
{
	va_list ap;

	L->nerrors++;
	va_start(ap, fmt);
	report(L, AX_SEV_ERROR, path, fmt, ap);
	va_end(ap);
}

void ax__lwarn(struct ax__lint *L, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(L, AX_SEV_WARNING, path, fmt, ap);
	va_end(ap);
}

void ax__lnote(struct ax__lint *L, const char *path, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(L, AX_SEV_NOTE, path, fmt, ap);
	va_end(ap);
}

/* ---- checked accessors ----------------------------------------------- */
/* Report fields not in `allowed` (NULL-terminated). */
void ax__check_fields(struct ax__lint *L, json_t *obj, const char *path,
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
			AX__PATH(p, "%s%s%s", path, *path ? "/" : "", key);
			ax__lerr(L, p, "unknown field \"%s\" (allowed: %s)", key,
			         b.p ? b.p : "");
			ax__buf_free(&b);
		}
	}
}

const char *ax__get_str(struct ax__lint *L, json_t *obj, const char *path,
                        const char *key, int required)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	AX__PATH(p, "%s%s%s", path, *path ? "/" : "", key);
	if (!v) {
		if (required)
			ax__lerr(L, path, "missing required field \"%s\"", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		ax__lerr(L, p, "\"%s\" must be a string", key);
		return NULL;
	}
	if (required && json_string_length(v) == 0) {
		ax__lerr(L, p, "\"%s\" must not be empty", key);
		return NULL;
	}
	return ax__arena_strdup(L->arena, json_string_value(v));
}

int ax__get_version(struct ax__lint *L, json_t *obj, const char *path)
{
	json_t *v = json_object_get(obj, "version");
	char p[256];

	AX__PATH(p, "%s%sversion", path, *path ? "/" : "");
	if (!v) {
		ax__lerr(L, path, "missing required field \"version\"");
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 1 ||
	    json_integer_value(v) > 1000000) {
		ax__lerr(L, p, "\"version\" must be a whole number from 1 up");
		return 0;
	}
	return (int)json_integer_value(v);
}

json_t *ax__get_array(struct ax__lint *L, json_t *obj, const char *path,
                      const char *key, int required)
{
	json_t *v = json_object_get(obj, key);
	char p[256];

	AX__PATH(p, "%s%s%s", path, *path ? "/" : "", key);
	if (!v) {
		if (required)
			ax__lerr(L, path, "missing required field \"%s\"", key);
		return NULL;
	}
	if (!json_is_array(v)) {
		ax__lerr(L, p, "\"%s\" must be an array", key);
		return NULL;
	}
	return v;
}

int ax__valid_id(const char *s)
{
	if (!s || !*s || strlen(s) > 48)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

int ax__is_topic(const char *t)
{
	for (int i = 0; ax_topics[i]; i++)
		if (strcmp(ax_topics[i], t) == 0)
			return 1;
	return 0;
}

void ax__check_sms(struct ax__lint *L, const char *path, const char *text,
                   int max_segs, int max_units)
{
	int units, ucs2, segs;

	if (!text)
		return;
	segs = ax_sms_segments(text, &units, &ucs2);
	if (max_units && units > max_units)
		ax__lerr(L, path, "SMS text is %d characters; at most %d fit in one %s "
		         "segment",
		         units, max_units, ucs2 ? "UCS-2" : "GSM-7");
	else if (segs > max_segs)
		ax__lerr(L, path,
		         "SMS text needs %d segments (%d %s units); the budget is %d",
		         segs, units, ucs2 ? "UCS-2" : "GSM-7", max_segs);
}

/* ---- cross-checks ----------------------------------------------------- */
int ax__count_dups(struct ax__lint *L, const char *path, const char *what,
                   const char *id, const char *const *seen, int n)
{
	for (int i = 0; i < n; i++)
		if (seen[i] && id && strcmp(seen[i], id) == 0) {
			ax__lerr(L, path, "duplicate %s id \"%s\"", what, id);
			return 1;
		}
	return 0;
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
void ax__check_show_if(struct ax__lint *L, struct ax_survey *s)
{
	char p[256];

	for (int i = 0; i < s->nquestions; i++) {
		const struct ax_question *q = &s->questions[i];
		int j;
		if (!q->show_if_question)
			continue;
		AX__PATH(p, "questions/%d/show_if/question", i);
		j = qindex(s, q->show_if_question);
		if (j < 0) {
			ax__lerr(L, p, "show_if names question \"%s\", which does not exist",
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
				ax__lerr(L, p, "show_if cycle: %s", chain.p ? chain.p : "");
				ax__buf_free(&chain);
				continue;
			}
			ax__buf_free(&chain);
		}
		if (j >= i) {
			ax__lerr(L, p, "show_if names question \"%s\", which is not asked "
			         "before \"%s\"", q->show_if_question, q->id ? q->id : "?");
			continue;
		}
		for (int k = 0; k < q->nshow_if_any; k++)
			if (!ax_question_option(&s->questions[j], q->show_if_any[k])) {
				AX__PATH(p, "questions/%d/show_if/any_of/%d", i, k);
				ax__lerr(L, p, "show_if code \"%s\" is not an option of %s",
				         q->show_if_any[k], q->show_if_question);
			}
	}
}

/* Words that tell a resident what becomes of the answers. */
static const char *const use_words[] = {"统计", "保密", "不公开", "匿名", NULL};

static int says_use(const char *text)
{
	for (int i = 0; text && use_words[i]; i++)
		if (strstr(text, use_words[i]))
			return 1;
	return 0;
}

void ax__check_intro(struct ax__lint *L, const struct ax_survey *s)
{
	/* residents are told how their opinions are used before they give
	 * them (DESIGN: answers stay confidential): surveys with a 满意度 or a
	 * further rate; a quiz's answers are knowledge, not opinion */
	if (!s->sat_question && !s->nrates)
		return;
	if (s->intro && !says_use(s->intro))
		ax__lwarn(L, "intro", "the intro does not tell residents how their "
		          "answers are used: add a short sentence such as "
		          "\"答案只用于统计，不公开个人回答。\"");
	if (s->sms_intro && !says_use(s->sms_intro))
		ax__lwarn(L, "sms_intro", "the SMS intro does not tell residents how "
		          "their answers are used: add a few words such as "
		          "\"答案只用于统计\"");
}
