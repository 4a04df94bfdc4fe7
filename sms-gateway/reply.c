/*
 * reply.c -- the SMS reply parser.  Pure: no I/O, no globals written, no
 * locale.  See reply.h for what it accepts and why it refuses to guess.
 *
 * How it works (one pass, no allocation per reply):
 *
 *   1. utf8proc decomposes the reply into a stack buffer of code points
 *      with compatibility mapping, case folding and default ignorables
 *      stripped, then recomposes (NFKC_Casefold).  "１" "①" "Ａ" become
 *      "1" "1" "a"; "⑴" becomes "(1)".  Phrases were normalised the same
 *      way when the matcher was built, so both sides compare as code
 *      points.
 *   2. Opt-out: the reply with every separator removed is made only of
 *      opt-out words.
 *   3. A lexer walks the code points.  At each position the longest
 *      phrase wins (option labels and keys, built-in yes/no words, filler
 *      words, joiners such as 和), then ASCII digit runs, ASCII letter
 *      runs, Chinese numeral runs, negation characters, and anything
 *      else is "unknown".  Separators (Unicode P*, S*, Z*, C*: punctuation,
 *      emoji, spaces, controls) end a clause.
 *   4. A clause that names options must hold nothing unknown and no
 *      stray negation; a clause that names none is a comment and is
 *      ignored unless it holds a negation.  The options of all clauses
 *      are merged; a single-choice question needs exactly one.
 *
 * Cost: O(reply length x phrases) code-point comparisons; the phrase
 * table is small (labels + keys + ~40 built-in words) and the first code
 * point is compared before anything else.
 */
#include "reply.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- tables ------------------------------------------------------------ */

#define NORM_OPTS                                                           \
	(UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT |                 \
	 UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

/* Phrase kinds beside option indexes (>= 0). */
#define PH_FILLER (-1) /* 我选, 第, 个, 吧 …: carries no meaning */
#define PH_JOIN (-2)   /* 和, 与, 及 …: separates list items */

/* Words read as "yes" (option 1) and "no" (option 2) of a yes/no question,
 * beside the question's own labels and keys (which take precedence). */
static const char *const yes_words[] = {
	"是", "是的", "对", "对的", "有", "有的", "知道", "了解", "清楚",
	"晓得", "yes", "y", "ok", "嗯", "恩", NULL,
};
static const char *const no_words[] = {
	"否", "不", "不是", "不对", "没", "没有", "无", "不知道", "不了解",
	"不清楚", "不晓得", "没听说", "没听说过", "no", "n", NULL,
};
/* Filler: prefixes, suffixes and particles around an answer. */
static const char *const fillers[] = {
	"我选择", "我选", "选择", "选", "我的答案是", "答案是", "答案", "答",
	"回复", "我回复", "我觉得", "我认为", "觉得", "认为", "应该是",
	"应该", "就是", "是", "第", "个", "项", "号", "条", "吧", "啊", "呀",
	"哦", "噢", "呢", "嘛", "了", "的", "啦", "哈", "我", "都", "还",
	"很", "挺", "蛮", "比较", "算", "还算", "非常", "十分", "特别",
	"谢谢", "好的", "收到", "您好", "你好", NULL,
};
static const char *const joiners[] = {"和", "与", "及", "以及", "跟",
                                      "还有", "或", "或者", NULL};
/* How residents rate in words on the usual satisfaction scale: extra
 * phrases for options labelled exactly so ("好" is 满意, "可以" 基本满意;
 * "好的" stays an acknowledgement, a longer filler). */
static const struct {
	const char *label;
	const char *words[6];
} scale_words[] = {
	{"非常满意", {"非常好", "特别好", "太好了", NULL}},
	{"满意", {"好", "很好", "挺好", "蛮好", "不错", NULL}},
	{"基本满意", {"可以", "还好", "凑合", "过得去", NULL}},
	{"不满意", {"不好", "不太好", "不行", "差", NULL}},
	{"非常不满意", {"很差", "非常差", "太差了", "很不好", NULL}},
};

/* Ways of saying stop that opt out wherever they stand in a reply ("我要
 * 退订", "2 退订": the 退订 is honoured, "不要再发了"), unless 退订 is
 * negated or undone ("不退订", "取消退订"). */
static const char *const stop_phrases[] = {
	"退订", "拒收", "不要再发", "别再发", "不要发了", "别发了", "不要给我发",
	"别给我发", "不再接收", "取消订阅", "勿打扰", "别打扰", "不要打扰", NULL};
/* Words that undo a 退订 right after them. */
static const char *const stop_undo[] = {"不", "别", "没", "不要", "取消", "勿",
                                        NULL};
/* Whole replies, once polite words are dropped, that opt out ("回复TD"). */
static const char *const stop_alone[] = {"td", "stop", "unsubscribe", NULL};
/* Whole replies that may mean stop or may be a slip ("T", "取消"): the
 * resident is asked to confirm instead (a stray letter must not end all
 * contact for good). */
static const char *const stop_maybe[] = {"t", "取消", NULL};
/* Polite words around a stop word. */
static const char *const stop_polite[] = {
	"我要", "我想", "麻烦", "帮我", "请", "回复", "谢谢", "了", "吧", "啦",
	"要", "我", "please", "pls", NULL};
/* The whole reply asking to be messaged again (gw_reply_is_restore). */
static const char *const restore_words[] = {"恢复",     "订阅",     "恢复订阅",
                                            "重新订阅", "取消退订", "恢复接收",
                                            NULL};
/* Characters that negate what follows when not part of a phrase. */
static const char negations[] = "不没沒未别別非无無否莫勿";
/* Chinese numerals: each character and its value (10 for 十/拾). */
static const char numerals[] = "〇零一二两兩三四五六七八九十壹贰貳叁參叄肆伍陆陸柒捌玖拾";
static const signed char numeral_vals[] = {0, 0, 1, 2, 2, 2, 3, 4, 5, 6, 7,
                                           8, 9, 10, 1, 2, 2, 3, 3, 3, 4,
                                           5, 6, 6, 7, 8, 9, 10};

/* ---- matcher ----------------------------------------------------------- */

struct phrase {
	const int32_t *cp;
	int len;
	int opt;     /* option index, PH_FILLER or PH_JOIN */
	int had_sep; /* written with punctuation: "诈骗，马上挂电话" */
};

#define MAX_CODE 8
#define MAX_SMALL 32

struct gw_matcher {
	enum ax_qtype type;
	int multi;
	int nopt;
	int codes_numeric; /* every code is digits */
	int codes_alpha;   /* every code is one letter */
	int32_t code[GW_REPLY_MAX_OPTIONS][MAX_CODE];
	int codelen[GW_REPLY_MAX_OPTIONS];
	struct phrase *ph; /* longest first; options before filler */
	int nph;
	int32_t *pool;
	int32_t neg[16];
	int nneg;
	int32_t num[32];
	int nnum;
};

/* Normalise UTF-8 into code points; -1 on invalid UTF-8 or overflow. */
static int normalize(const char *s, size_t len, int32_t *out, int cap)
{
	utf8proc_ssize_t n;

	if (len == 0)
		return 0;
	n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len,
	                       out, cap, (utf8proc_option_t)NORM_OPTS);
	if (n < 0 || n > cap)
		return -1;
	n = utf8proc_normalize_utf32(out, n, (utf8proc_option_t)NORM_OPTS);
	return n < 0 ? -1 : (int)n;
}

/* normalize() of a reply into out[GW_REPLY_MAX_CP], remembering the last
 * one of this thread: the gateway asks of each reply whether it is a
 * restore, an opt-out and what it answers, and each of those normalised
 * it again (perf: NFKC two to four times a reply, a twentieth of
 * processing one).  Same result as normalize(); replies of up to
 * CACHE_BYTES bytes are remembered (a few in a thousand are longer). */
#define CACHE_BYTES 256
static _Thread_local struct {
	char text[CACHE_BYTES];
	size_t len; /* 0: nothing remembered */
	int n;
	int32_t cp[GW_REPLY_MAX_CP];
} last_norm;

static int normalize_reply(const char *s, size_t len, int32_t *out)
{
	int n;
	if (len > 0 && len == last_norm.len && memcmp(s, last_norm.text, len) == 0) {
		if (last_norm.n > 0)
			memcpy(out, last_norm.cp, (size_t)last_norm.n * sizeof *out);
		return last_norm.n;
	}
	n = normalize(s, len, out, GW_REPLY_MAX_CP);
	last_norm.len = 0;
	if (len > 0 && len <= CACHE_BYTES) {
		memcpy(last_norm.text, s, len);
		if (n > 0)
			memcpy(last_norm.cp, out, (size_t)n * sizeof *out);
		last_norm.n = n;
		last_norm.len = len;
	}
	return n;
}

/* Separator: punctuation, symbols (emoji), spaces, controls, unassigned. */
static int is_sep(int32_t c)
{
	switch (utf8proc_category(c)) {
	case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL:
	case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF: case UTF8PROC_CATEGORY_PO:
	case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC:
	case UTF8PROC_CATEGORY_SK: case UTF8PROC_CATEGORY_SO:
	case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF:
	case UTF8PROC_CATEGORY_CS: case UTF8PROC_CATEGORY_CO:
	case UTF8PROC_CATEGORY_CN:
		return 1;
	default:
		return 0;
	}
}

static int is_mark(int32_t c)
{
	utf8proc_category_t k = utf8proc_category(c);
	return k == UTF8PROC_CATEGORY_MN || k == UTF8PROC_CATEGORY_MC ||
	       k == UTF8PROC_CATEGORY_ME;
}

static int is_digit(int32_t c) { return c >= '0' && c <= '9'; }
static int is_alpha(int32_t c) { return c >= 'a' && c <= 'z'; }

/* Decode a short static UTF-8 string into cps without normalising. */
static int decode_small(const char *s, int32_t *out, int cap)
{
	int n = 0;
	const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
	utf8proc_int32_t c;

	while (*p && n < cap) {
		utf8proc_ssize_t k = utf8proc_iterate(p, -1, &c);
		if (k <= 0)
			break;
		out[n++] = c;
		p += k;
	}
	return n;
}

/* Phrase list under construction. */
struct build {
	struct phrase *ph;
	int n, cap;
	int32_t *pool;
	size_t pool_used, pool_cap;
};

static int same_cps(const int32_t *a, int alen, const int32_t *b, int blen)
{
	return alen == blen && memcmp(a, b, (size_t)alen * sizeof *a) == 0;
}

/* Add a phrase.  A phrase already present for the same option is skipped;
 * present for another option, the first one stays (survey labels and keys
 * are added first, so they beat built-in words) -- unless both come from
 * the survey itself, where the phrase is ambiguous and is dropped. */
static int add_phrase(struct build *b, const char *utf8, int opt, int from_survey)
{
	int32_t tmp[GW_REPLY_MAX_CP];
	int n = normalize(utf8, strlen(utf8), tmp, GW_REPLY_MAX_CP);
	int i, k = 0, had_sep;

	if (n < 0)
		return 0;
	/* phrases compare separator-free: "诈骗，马上挂电话" -> "诈骗马上挂电话" */
	for (i = 0; i < n; i++)
		if (!is_sep(tmp[i]) && !is_mark(tmp[i]))
			tmp[k++] = tmp[i];
	had_sep = k != n;
	n = k;
	if (n == 0)
		return 0;
	for (i = 0; i < b->n; i++) {
		if (!same_cps(b->ph[i].cp, b->ph[i].len, tmp, n))
			continue;
		if (from_survey && b->ph[i].opt >= 0 && b->ph[i].opt != opt)
			b->ph[i].opt = PH_FILLER - 100; /* ambiguous: never matches */
		return 0;
	}
	if (b->n == b->cap) {
		int nc = b->cap ? b->cap * 2 : 64;
		struct phrase *np = realloc(b->ph, (size_t)nc * sizeof *np);
		if (!np)
			return -1;
		b->ph = np;
		b->cap = nc;
	}
	if (b->pool_used + (size_t)n > b->pool_cap) {
		/* the pool is not reallocated: pointers into it are kept, so
		 * it was sized for every phrase up front */
		return -1;
	}
	memcpy(b->pool + b->pool_used, tmp, (size_t)n * sizeof *tmp);
	b->ph[b->n].cp = b->pool + b->pool_used;
	b->ph[b->n].len = n;
	b->ph[b->n].opt = opt;
	b->ph[b->n].had_sep = had_sep;
	b->n++;
	b->pool_used += (size_t)n;
	return 0;
}

static int add_list(struct build *b, const char *const *words, int opt)
{
	for (; *words; words++)
		if (add_phrase(b, *words, opt, 0) < 0)
			return -1;
	return 0;
}

/* Longest first; equal lengths keep insertion order (options first). */
static int cmp_phrase(const void *a, const void *b)
{
	const struct phrase *x = a, *y = b;
	if (x->len != y->len)
		return y->len - x->len;
	return x->cp < y->cp ? -1 : x->cp > y->cp;
}

static size_t text_budget(const struct ax_question *q)
{
	size_t t = 4096; /* built-in words */
	int i, k;
	for (i = 0; i < q->noptions; i++) {
		t += strlen(q->options[i].label ? q->options[i].label : "") + 1;
		for (k = 0; k < q->options[i].nkeys; k++)
			t += strlen(q->options[i].keys[k]) + 1;
	}
	return t * 4; /* NFKC can expand (a ligature becomes 3 letters) */
}

ax_rc gw_matcher_new(const struct ax_question *q, gw_matcher **out)
{
	gw_matcher *m = NULL;
	struct build b = {0};
	int i, k;

	*out = NULL;
	if (!q || q->noptions <= 0 || q->noptions > GW_REPLY_MAX_OPTIONS)
		return AX_INVALID;
	m = calloc(1, sizeof *m);
	if (!m)
		return AX_NOMEM;
	m->type = q->type;
	m->multi = q->type == AX_Q_MULTI;
	m->nopt = q->noptions;
	m->codes_numeric = m->codes_alpha = 1;
	for (i = 0; i < q->noptions; i++) {
		const char *code = q->options[i].code ? q->options[i].code : "";
		int n = normalize(code, strlen(code), m->code[i], MAX_CODE);
		if (n < 0)
			n = 0;
		m->codelen[i] = n;
		if (n != 1 || !is_alpha(m->code[i][0]))
			m->codes_alpha = 0;
		for (k = 0; k < n; k++)
			if (!is_digit(m->code[i][k]))
				m->codes_numeric = 0;
		if (n == 0)
			m->codes_numeric = 0;
	}

	b.pool_cap = text_budget(q);
	b.pool = malloc(b.pool_cap * sizeof *b.pool);
	if (!b.pool)
		goto nomem;
	for (i = 0; i < q->noptions; i++) {
		const struct ax_option *o = &q->options[i];
		if (o->label && add_phrase(&b, o->label, i, 1) < 0)
			goto nomem;
		for (k = 0; k < o->nkeys; k++)
			if (add_phrase(&b, o->keys[k], i, 1) < 0)
				goto nomem;
	}
	if (q->type == AX_Q_SCALE5 || q->type == AX_Q_SINGLE)
		for (i = 0; i < q->noptions; i++)
			for (k = 0; k < (int)(sizeof scale_words / sizeof scale_words[0]); k++)
				if (q->options[i].label &&
				    strcmp(q->options[i].label, scale_words[k].label) == 0 &&
				    add_list(&b, scale_words[k].words, i) < 0)
					goto nomem;
	if (q->type == AX_Q_YESNO && q->noptions == 2) {
		if (add_list(&b, yes_words, 0) < 0 || add_list(&b, no_words, 1) < 0)
			goto nomem;
	}
	if (add_list(&b, fillers, PH_FILLER) < 0 ||
	    add_list(&b, joiners, PH_JOIN) < 0)
		goto nomem;
	qsort(b.ph, (size_t)b.n, sizeof *b.ph, cmp_phrase);
	m->ph = b.ph;
	m->nph = b.n;
	m->pool = b.pool;

	m->nneg = decode_small(negations, m->neg, 16);
	m->nnum = decode_small(numerals, m->num, 32);
	*out = m;
	return AX_OK;
nomem:
	free(b.ph);
	free(b.pool);
	free(m);
	return AX_NOMEM;
}

void gw_matcher_free(gw_matcher *m)
{
	if (!m)
		return;
	free(m->ph);
	free(m->pool);
	free(m);
}

/* ---- opt-out ----------------------------------------------------------- */

/* The stop word lists, normalised once (NFKC, case-folded). */
#define STOP_MAX 16
struct wordlist {
	int32_t w[STOP_MAX][MAX_SMALL];
	int len[STOP_MAX];
	int n;
};
static struct {
	struct wordlist phrases, undo, alone, maybe, polite, restore;
} stop;
static pthread_once_t stop_once = PTHREAD_ONCE_INIT;

static void load_list(struct wordlist *l, const char *const *words)
{
	for (l->n = 0; words[l->n] && l->n < STOP_MAX; l->n++)
		l->len[l->n] = normalize(words[l->n], strlen(words[l->n]), l->w[l->n],
		                         MAX_SMALL);
}

static void stop_init(void)
{
	load_list(&stop.phrases, stop_phrases);
	load_list(&stop.undo, stop_undo);
	load_list(&stop.alone, stop_alone);
	load_list(&stop.maybe, stop_maybe);
	load_list(&stop.polite, stop_polite);
	load_list(&stop.restore, restore_words);
}

/* Index of the word of l that c[p..n) starts with (the longest), or -1. */
static int starts_with(const struct wordlist *l, const int32_t *c, int p, int n)
{
	int best = -1;
	for (int i = 0; i < l->n; i++)
		if (l->len[i] > 0 && l->len[i] <= n - p && l->w[i][0] == c[p] &&
		    memcmp(c + p, l->w[i], (size_t)l->len[i] * sizeof *c) == 0 &&
		    (best < 0 || l->len[i] > l->len[best]))
			best = i;
	return best;
}

/* 1 if a word of l ends exactly at c[end). */
static int ends_with(const struct wordlist *l, const int32_t *c, int end)
{
	for (int i = 0; i < l->n; i++)
		if (l->len[i] > 0 && l->len[i] <= end &&
		    memcmp(c + end - l->len[i], l->w[i],
		           (size_t)l->len[i] * sizeof *c) == 0)
			return 1;
	return 0;
}

/* c[0..n) with polite words dropped, all of it one word of l? */
static int alone_in(const struct wordlist *l, const int32_t *c, int n)
{
	int p = 0, hit = 0, k;
	while (p < n) {
		if ((k = starts_with(l, c, p, n)) >= 0 && !hit) {
			p += l->len[k];
			hit = 1;
		} else if ((k = starts_with(&stop.polite, c, p, n)) >= 0) {
			p += stop.polite.len[k];
		} else {
			return 0;
		}
	}
	return hit;
}

enum { STOP_NO, STOP_YES, STOP_ASK };

/* What a separator-free, normalised reply says about stopping. */
static int stop_class(const int32_t *c, int n)
{
	pthread_once(&stop_once, stop_init);
	if (n <= 0)
		return STOP_NO;
	for (int p = 0; p < n; p++) {
		int k = starts_with(&stop.phrases, c, p, n);
		/* phrase 0 is 退订: "不退订", "取消退订" undo it */
		if (k > 0 || (k == 0 && !ends_with(&stop.undo, c, p)))
			return STOP_YES;
	}
	if (alone_in(&stop.alone, c, n))
		return STOP_YES;
	if (alone_in(&stop.maybe, c, n))
		return STOP_ASK;
	return STOP_NO;
}

static int compact(const int32_t *cp, int n, int32_t *out)
{
	int i, k = 0;
	for (i = 0; i < n; i++)
		if (!is_sep(cp[i]) && !is_mark(cp[i]))
			out[k++] = cp[i];
	return k;
}

static int stop_of_text(const char *text, size_t len)
{
	int32_t cp[GW_REPLY_MAX_CP];
	int n = normalize_reply(text, len, cp);
	if (n <= 0)
		return STOP_NO;
	return stop_class(cp, compact(cp, n, cp));
}

int gw_reply_is_optout(const char *text, size_t len)
{
	return stop_of_text(text, len) == STOP_YES;
}

int gw_reply_optout_ask(const char *text, size_t len)
{
	return stop_of_text(text, len) == STOP_ASK;
}

/* The way back from an opt-out: the whole reply (spaces and punctuation
 * aside) is one of these. */
int gw_reply_is_restore(const char *text, size_t len)
{
	const struct wordlist *l = &stop.restore;
	int32_t cp[GW_REPLY_MAX_CP];
	int n = normalize_reply(text, len, cp);
	if (n <= 0)
		return 0;
	pthread_once(&stop_once, stop_init);
	n = compact(cp, n, cp);
	for (int i = 0; i < l->n; i++)
		if (l->len[i] > 0 && same_cps(cp, n, l->w[i], l->len[i]))
			return 1;
	return 0;
}

/* ---- resolving codes ---------------------------------------------------- */

static int numeral_value(const gw_matcher *m, int32_t c)
{
	int i;
	for (i = 0; i < m->nnum; i++)
		if (m->num[i] == c)
			return numeral_vals[i];
	return -1;
}

static int is_neg(const gw_matcher *m, int32_t c)
{
	int i;
	for (i = 0; i < m->nneg; i++)
		if (m->neg[i] == c)
			return 1;
	return 0;
}

/* Option whose code equals cps, or -1. */
static int find_code(const gw_matcher *m, const int32_t *c, int n)
{
	int i;
	for (i = 0; i < m->nopt; i++)
		if (same_cps(m->code[i], m->codelen[i], c, n))
			return i;
	return -1;
}

/* Option for a number the resident typed (digits or Chinese numerals):
 * its code when codes are numbers, its position when codes are letters. */
static int option_for_number(const gw_matcher *m, int v)
{
	int32_t d[12];
	int n = 0, i;
	char buf[12];

	if (v < 0)
		return -1;
	if (m->codes_alpha)
		return v >= 1 && v <= m->nopt ? v - 1 : -1;
	snprintf(buf, sizeof buf, "%d", v);
	for (i = 0; buf[i]; i++)
		d[n++] = buf[i];
	return find_code(m, d, n);
}

/* Option for one letter: its code when codes are letters, its position
 * (a = first) when codes are numbers. */
static int option_for_letter(const gw_matcher *m, int32_t c)
{
	int i = find_code(m, &c, 1);
	if (i >= 0)
		return i;
	if (m->codes_numeric && c - 'a' < m->nopt)
		return c - 'a';
	return -1;
}

/* ---- parse ------------------------------------------------------------- */

struct clause {
	unsigned long long opts;
	int answers;  /* answer tokens */
	int unknown;  /* characters not understood */
	int neg;      /* stray negations */
	const char *err;
};

static void add_opt(struct clause *c, int opt, const char *why)
{
	if (opt < 0) {
		if (!c->err)
			c->err = why;
		return;
	}
	c->opts |= 1ULL << opt;
}

/* A run of ASCII digits. */
static void take_digits(const gw_matcher *m, struct clause *c,
                        const int32_t *d, int n)
{
	int i, v = 0;

	c->answers++;
	i = find_code(m, d, n);
	if (i >= 0) {
		add_opt(c, i, NULL);
		return;
	}
	if (n > 1 && m->multi) { /* "135": a list of one-digit codes */
		for (i = 0; i < n; i++)
			add_opt(c, option_for_number(m, d[i] - '0'), "code out of range");
		return;
	}
	if (n > 6) {
		add_opt(c, -1, "code out of range");
		return;
	}
	for (i = 0; i < n; i++)
		v = v * 10 + (d[i] - '0');
	add_opt(c, option_for_number(m, v), "code out of range");
}

/* A run of ASCII letters that no phrase matched. */
static void take_letters(const gw_matcher *m, struct clause *c,
                         const int32_t *s, int n)
{
	int i;

	c->answers++;
	i = find_code(m, s, n);
	if (i >= 0) {
		add_opt(c, i, NULL);
		return;
	}
	if (n > 1 && !m->multi) {
		add_opt(c, -1, "letters not understood");
		return;
	}
	for (i = 0; i < n; i++)
		add_opt(c, option_for_letter(m, s[i]), "letter out of range");
}

/* A run of Chinese numerals: 三, 十, 十二, 二十, 二十三, or a list 一三五
 * (multiple choice only). */
static void take_numerals(const gw_matcher *m, struct clause *c,
                          const int *v, int n)
{
	int i, ten = -1, tens = 0;

	c->answers++;
	for (i = 0; i < n; i++)
		if (v[i] == 10) {
			ten = i;
			tens++;
		}
	if (tens > 1) {
		add_opt(c, -1, "numeral not understood");
		return;
	}
	if (ten >= 0) { /* [a]十[b] */
		int hi = ten == 1 ? v[0] : 1, lo = ten + 1 < n ? v[ten + 1] : 0;
		if (ten > 1 || ten + 2 < n || hi == 0) {
			add_opt(c, -1, "numeral not understood");
			return;
		}
		add_opt(c, option_for_number(m, hi * 10 + lo), "code out of range");
		return;
	}
	if (n == 1) {
		add_opt(c, option_for_number(m, v[0]), "code out of range");
		return;
	}
	if (!m->multi) {
		add_opt(c, -1, "several numbers for one answer");
		return;
	}
	for (i = 0; i < n; i++)
		add_opt(c, option_for_number(m, v[i]), "code out of range");
}

/* Longest phrase starting at p, or NULL.  A phrase ending in an ASCII
 * letter or digit must not be followed by one of the same class ("no" is
 * not read out of "not", "1" not out of "12"). */
static const struct phrase *match_at(const gw_matcher *m, const int32_t *cp,
                                     int n, int p)
{
	int i;
	for (i = 0; i < m->nph; i++) {
		const struct phrase *ph = &m->ph[i];
		int32_t last, next;
		if (ph->len > n - p || ph->cp[0] != cp[p] || ph->opt < PH_JOIN)
			continue;
		if (memcmp(ph->cp, cp + p, (size_t)ph->len * sizeof *cp) != 0)
			continue;
		if (p + ph->len < n) {
			last = ph->cp[ph->len - 1];
			next = cp[p + ph->len];
			if ((is_alpha(last) && is_alpha(next)) ||
			    (is_digit(last) && is_digit(next)))
				continue;
		}
		return ph;
	}
	return NULL;
}

static void invalid(struct gw_reply *out, const char *why)
{
	out->kind = GW_REPLY_INVALID;
	out->choices = 0;
	out->nchoices = 0;
	out->why = why;
}

/* End of a clause: merge it into the answer, or fail the reply. */
static const char *close_clause(struct clause *c, unsigned long long *opts)
{
	const char *err = NULL;
	if (c->answers > 0) {
		if (c->err)
			err = c->err;
		else if (c->neg)
			err = "negation not understood";
		else if (c->unknown)
			err = "words beside the answer not understood";
		else
			*opts |= c->opts;
	} else if (c->neg) {
		err = "negation not understood";
	}
	memset(c, 0, sizeof *c);
	return err;
}

static void parse_whole(const gw_matcher *m, const char *text, size_t len,
                        struct gw_reply *out)
{
	int32_t cp[GW_REPLY_MAX_CP], flat[GW_REPLY_MAX_CP];
	int vals[GW_REPLY_MAX_CP];
	int n, nflat, p, i;
	unsigned long long opts = 0;
	struct clause c = {0};
	const char *err = NULL;

	memset(out, 0, sizeof *out);
	out->why = "";
	n = normalize_reply(text, len, cp);
	if (n < 0) {
		invalid(out, "not UTF-8 or too long");
		return;
	}
	nflat = compact(cp, n, flat);
	if (nflat == 0) {
		invalid(out, "empty");
		return;
	}
	switch (stop_class(flat, nflat)) {
	case STOP_YES:
		out->kind = GW_REPLY_OPTOUT;
		return;
	case STOP_ASK:
		out->kind = GW_REPLY_OPTOUT_ASK;
		return;
	default:
		break;
	}
	/* A whole label written with punctuation, replied with other or no
	 * punctuation ("诈骗 马上挂电话").  Only such labels: "不，满意" must
	 * not become 不满意. */
	for (i = 0; i < m->nph; i++) {
		if (m->ph[i].opt >= 0 && m->ph[i].had_sep &&
		    same_cps(m->ph[i].cp, m->ph[i].len, flat, nflat)) {
			out->kind = GW_REPLY_ANSWER;
			out->choices = 1ULL << m->ph[i].opt;
			out->nchoices = 1;
			return;
		}
	}

	for (p = 0; p < n && !err;) {
		const struct phrase *ph;
		int32_t ch = cp[p];
		int v;

		if (is_mark(ch)) {
			p++;
			continue;
		}
		if (is_sep(ch)) {
			err = close_clause(&c, &opts);
			p++;
			continue;
		}
		ph = match_at(m, cp, n, p);
		if (ph) {
			if (ph->opt >= 0) {
				c.answers++;
				add_opt(&c, ph->opt, NULL);
			}
			p += ph->len;
			continue;
		}
		if (is_digit(ch)) {
			int s = p;
			while (p < n && is_digit(cp[p]))
				p++;
			take_digits(m, &c, cp + s, p - s);
			continue;
		}
		if (is_alpha(ch)) {
			int s = p;
			while (p < n && is_alpha(cp[p]))
				p++;
			take_letters(m, &c, cp + s, p - s);
			continue;
		}
		if ((v = numeral_value(m, ch)) >= 0) {
			int k = 0;
			/* a numeral run stops where a phrase starts ("一般") */
			while (p < n && (v = numeral_value(m, cp[p])) >= 0 &&
			       (k == 0 || !match_at(m, cp, n, p))) {
				vals[k++] = v;
				p++;
			}
			take_numerals(m, &c, vals, k);
			continue;
		}
		if (is_neg(m, ch))
			c.neg++;
		else
			c.unknown++;
		p++;
	}
	if (!err)
		err = close_clause(&c, &opts);
	if (err) {
		invalid(out, err);
		return;
	}
	if (!opts) {
		invalid(out, "no answer found");
		return;
	}
	for (i = 0; i < m->nopt; i++)
		if (opts >> i & 1)
			out->nchoices++;
	if (out->nchoices > 1 && !m->multi) {
		invalid(out, "several options for a single-choice question");
		return;
	}
	out->kind = GW_REPLY_ANSWER;
	out->choices = opts;
}

/* Byte offset of the first separator after some text, and its length;
 * -1 when there is none. */
static long first_sep(const char *text, size_t len, int *seplen)
{
	size_t p = 0;
	int seen = 0;
	while (p < len) {
		utf8proc_int32_t c;
		utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)text + p,
		                                      (utf8proc_ssize_t)(len - p), &c);
		if (k <= 0)
			return -1;
		if (is_sep(c) && seen) {
			*seplen = (int)k;
			return (long)p;
		}
		seen |= !is_sep(c) && !is_mark(c);
		p += (size_t)k;
	}
	return -1;
}

void gw_reply_parse(const gw_matcher *m, const char *text, size_t len,
                    struct gw_reply *out)
{
	struct gw_reply head, tail;
	long b;
	int seplen = 0;

	parse_whole(m, text, len, out);
	if (out->kind != GW_REPLY_INVALID)
		return;
	/* "1，我们村晚上没有路灯": an answer, then a comment.  The answer
	 * stands when the rest is a sentence of four characters or more that
	 * says nothing the parser understands and holds no digit ("1，不对，
	 * 是2" is asked again). */
	b = first_sep(text, len, &seplen);
	if (b <= 0)
		return;
	parse_whole(m, text, (size_t)b, &head);
	if (head.kind != GW_REPLY_ANSWER)
		return;
	parse_whole(m, text + b + seplen, len - (size_t)b - (size_t)seplen, &tail);
	if (tail.kind != GW_REPLY_INVALID || strcmp(tail.why, "empty") == 0)
		return;
	for (size_t i = (size_t)b; i < len; i++)
		if (text[i] >= '0' && text[i] <= '9')
			return;
	{
		/* fullwidth and circled digits too (NFKC makes them ASCII); and a
		 * comment is a sentence: a short tail ("1，不", "广播，不知道")
		 * may take the answer back, so it is asked again */
		int32_t cp[GW_REPLY_MAX_CP];
		int n = normalize_reply(text + b, len - (size_t)b, cp);
		for (int i = 0; i < n; i++)
			if (cp[i] >= '0' && cp[i] <= '9')
				return;
		if (compact(cp, n, cp) < 4)
			return;
	}
	*out = head;
}

/* ---- hint and format ---------------------------------------------------- */

/* 1 if codes are "1".."n" in order. */
static int codes_one_to_n(const struct ax_question *q)
{
	int i;
	char buf[12];
	for (i = 0; i < q->noptions; i++) {
		snprintf(buf, sizeof buf, "%d", i + 1);
		if (!q->options[i].code || strcmp(q->options[i].code, buf) != 0)
			return 0;
	}
	return 1;
}

int gw_reply_hint(const struct ax_question *q, char *buf, size_t n)
{
	const char *first, *last;
	const char *many = q->type == AX_Q_MULTI ? "，可多选，如" : "";
	char eg[32] = "";

	if (q->noptions <= 0)
		return snprintf(buf, n, "请回复选项前的数字");
	first = q->options[0].code;
	last = q->options[q->noptions - 1].code;
	if (q->type == AX_Q_MULTI && q->noptions >= 2)
		snprintf(eg, sizeof eg, "%s,%s", first, q->options[1].code);
	if (q->noptions == 2 && codes_one_to_n(q))
		return snprintf(buf, n, "请回复数字1或2%s%s", many, eg);
	if (codes_one_to_n(q))
		return snprintf(buf, n, "请回复数字1-%d%s%s", q->noptions, many, eg);
	return snprintf(buf, n, "请回复%s-%s%s%s", first, last, many, eg);
}

int gw_reply_format(const struct ax_question *q, const struct gw_reply *r,
                    char *buf, size_t n)
{
	size_t used = 0;
	int i, total = 0;

	if (n)
		buf[0] = '\0';
	if (r->kind == GW_REPLY_OPTOUT)
		return snprintf(buf, n, "optout");
	if (r->kind == GW_REPLY_OPTOUT_ASK)
		return snprintf(buf, n, "optout?");
	if (r->kind == GW_REPLY_INVALID)
		return snprintf(buf, n, "invalid: %s", r->why);
	for (i = 0; i < q->noptions && i < GW_REPLY_MAX_OPTIONS; i++) {
		int k;
		if (!(r->choices >> i & 1))
			continue;
		k = snprintf(buf + used, used < n ? n - used : 0, "%s%s",
		             total ? "," : "", q->options[i].code);
		total += k;
		used += (size_t)k;
	}
	return total;
}
