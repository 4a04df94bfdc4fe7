/*
 * items.c -- item analysis of a quiz (items.h): facility, discrimination
 * and option shares per scored knowledge question, and their renderings.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "anxin/auth.h"
#include "anxin/content.h"
#include "anxin/csv.h"
#include "anxin/funnel.h"
#include "anxin/items.h"
#include "anxin/response.h"
#include "anxin_int.h"
#include "db.h"

/* "0.1234", or an empty cell (not 0) when nobody answered. */
static void share_cell(char *buf, size_t n, long long answered, double v)
{
	if (answered)
		snprintf(buf, n, "%.4f", v);
	else if (n)
		buf[0] = '\0';
}

static const struct {
	int bit;
	const char *name, *label;
} flag_names[] = {
	{AX_ITEM_NOBODY_FAILS, "nobody_fails", "无人答错"},
	{AX_ITEM_EVERYBODY_FAILS, "everybody_fails", "无人答对"},
	{AX_ITEM_DEAD_DISTRACTOR, "dead_distractor", "有无人选的错误选项"},
	{AX_ITEM_LOW_DISCRIMINATION, "low_discrimination", "区分度低"},
};

const char *ax_item_flag_label(int bit)
{
	for (size_t i = 0; i < AX_ARRAY_LEN(flag_names); i++)
		if (flag_names[i].bit == bit)
			return flag_names[i].label;
	return NULL;
}

const char *ax_item_flag_name(int bit)
{
	for (size_t i = 0; i < AX_ARRAY_LEN(flag_names); i++)
		if (flag_names[i].bit == bit)
			return flag_names[i].name;
	return NULL;
}

/* ==================================================== respondents == */
/*
 * What the analysis keeps of one respondent: its total score and its
 * place in response-id order (rows are read ORDER BY id), so sorting
 * (score, seq) is the documented (score, id) order without keeping ids.
 * Its answers live in the flat cells array, q per respondent.
 */
struct resp {
	int score;
	long seq;
};

/* A cell: the chosen option's index, or one of these. */
enum { CELL_HIDDEN = -1, CELL_UNANSWERED = -2 };

struct sample {
	struct resp *r;
	signed char *opt;     /* r_count x q: option index or CELL_* */
	unsigned char *right; /* r_count x q: 1 if answered right */
	long n, cap;
	int q;
};

static int sample_grow(struct sample *s)
{
	long cap = s->cap ? s->cap * 2 : 256;
	struct resp *r = realloc(s->r, sizeof *r * (size_t)cap);
	signed char *o;
	unsigned char *g;

	if (!r)
		return -1;
	s->r = r;
	if (!(o = realloc(s->opt, (size_t)cap * (size_t)s->q)))
		return -1;
	s->opt = o;
	if (!(g = realloc(s->right, (size_t)cap * (size_t)s->q)))
		return -1;
	s->right = g;
	s->cap = cap;
	return 0;
}

static void sample_free(struct sample *s)
{
	free(s->r);
	free(s->opt);
	free(s->right);
}

static int by_score_then_id(const void *a, const void *b)
{
	const struct resp *x = a, *y = b;
	if (x->score != y->score)
		return x->score < y->score ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * Read the counted complete responses of sv in scope into s.  qi lists
 * the survey indices of the scored questions.
 */
static ax_rc read_sample(ax_store *st, const struct ax_survey *sv,
                         const char *scope, const int *qi, struct sample *s)
{
	static const char sql[] =
	    "SELECT id, region, body FROM responses WHERE survey = ?1 AND "
	    "survey_version = ?2 AND status = 'complete' AND counted = 1 "
	    "ORDER BY id";
	ax_stmt *stmt;
	int src;
	ax_rc rc;

	if ((rc = ax__dprepare(st, &stmt, sql)))
		return rc;
	ax_stmt_bind_text(stmt, 1, sv->id);
	ax_stmt_bind_int64(stmt, 2, sv->version);
	while ((src = ax_stmt_step(stmt)) == AX_DB_ROW) {
		const char *region = ax_stmt_text(stmt, 1);
		const char *body = ax_stmt_text(stmt, 2);
		struct ax_response r;
		struct ax_score sc;
		json_t *o;
		char why[160];
		ax_rc jr;

		if (scope && (!region || !ax_region_covers(scope, region)))
			continue;
		if (!body || !(o = json_loads(body, 0, NULL))) {
			AX_LOG(AX_LOG_WARN, "items: a stored response of %s does not parse",
			       sv->id);
			continue;
		}
		ax_response_init(&r, sv);
		jr = ax_response_from_json(&r, sv, json_object_get(o, "answers"), why,
		                           sizeof why);
		if (jr == AX_OK) /* a question not drawn is hidden, as scored */
			jr = ax_response_shown_from_json(&r, o, why, sizeof why);
		json_decref(o);
		if (jr != AX_OK) {
			/* import validated it against this very survey version */
			AX_LOG(AX_LOG_WARN, "items: a stored response of %s no longer "
			                    "reads: %s", sv->id, why);
			continue;
		}
		if (s->n == s->cap && sample_grow(s)) {
			ax_stmt_finalize(stmt);
			ax__store_seterr(st, "items: out of memory");
			return AX_NOMEM;
		}
		ax_response_score(&r, &sc);
		s->r[s->n].score = sc.right;
		s->r[s->n].seq = s->n;
		for (int k = 0; k < s->q; k++) {
			size_t at = (size_t)s->n * (size_t)s->q + (size_t)k;
			int opt = ax_response_single(&r, qi[k]);
			if (!ax_response_shown(&r, qi[k]))
				s->opt[at] = CELL_HIDDEN;
			else
				s->opt[at] = (signed char)(opt >= 0 ? opt : CELL_UNANSWERED);
			s->right[at] = ax_response_correct(&r, qi[k]) == 1;
		}
		s->n++;
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "items");
	ax_stmt_finalize(stmt);
	return rc;
}

/* ======================================================= analysis == */
/*
 * Figures of question k.  order holds the respondents' indices sorted by
 * (score, id).  The groups are found by walking the order from each end
 * and taking the first n_group who answered the question: the same split
 * as sorting the question's own respondents.
 */
static void analyse(const struct sample *s, const long *order, int k,
                    struct ax_item *it)
{
	long g;

	for (long i = 0; i < s->n; i++) {
		size_t at = (size_t)i * (size_t)s->q + (size_t)k;
		int opt = s->opt[at];
		if (opt == CELL_HIDDEN)
			continue;
		it->shown++;
		if (opt < 0)
			continue;
		it->n++;
		it->right += s->right[at];
		if (opt < it->noptions)
			it->options[opt].chosen++;
	}
	if (it->n == 0)
		return;
	it->facility = (double)it->right / (double)it->n;
	for (int o = 0; o < it->noptions; o++)
		it->options[o].share = (double)it->options[o].chosen / (double)it->n;
	g = (27 * it->n + 50) / 100; /* round(0.27 n), halves up, in integers */
	if (g < 1)
		g = 1;
	it->n_group = (int)g;
	for (int up = 0; up <= 1; up++) {
		long taken = 0, right = 0;
		for (long j = 0; j < s->n && taken < g; j++) {
			long i = order[up ? s->n - 1 - j : j];
			size_t at = (size_t)i * (size_t)s->q + (size_t)k;
			if (s->opt[at] < 0)
				continue;
			taken++;
			right += s->right[at];
		}
		if (up)
			it->upper_right = right;
		else
			it->lower_right = right;
	}
	it->discrimination =
	    (double)(it->upper_right - it->lower_right) / (double)it->n_group;

	if (it->n >= AX_ITEM_FLAG_MIN_N_FACILITY && it->right == it->n)
		it->flags |= AX_ITEM_NOBODY_FAILS;
	if (it->n >= AX_ITEM_FLAG_MIN_N_FACILITY && it->right == 0)
		it->flags |= AX_ITEM_EVERYBODY_FAILS;
	if (it->n >= AX_ITEM_FLAG_MIN_N_DISTRACTOR)
		for (int o = 0; o < it->noptions; o++)
			if (!it->options[o].correct && it->options[o].chosen == 0)
				it->flags |= AX_ITEM_DEAD_DISTRACTOR;
	if (it->n >= AX_ITEM_FLAG_MIN_N_DISCRIMINATION &&
	    it->discrimination < AX_ITEM_LOW_DISCRIMINATION_BELOW)
		it->flags |= AX_ITEM_LOW_DISCRIMINATION;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The result's skeleton: questions and options copied from the survey. */
static struct ax_items *skeleton(const struct ax_survey *sv, const int *qi,
                                 int q)
{
	struct ax_items *it = calloc(1, sizeof *it);

	if (!it || !(it->items = calloc((size_t)q, sizeof *it->items)))
		goto fail;
	snprintf(it->survey, sizeof it->survey, "%s", sv->id);
	it->version = sv->version;
	if (!(it->title = strdup(sv->title ? sv->title : sv->id)))
		goto fail;
	it->nitems = q;
	it->max_score = q;
	for (int k = 0; k < q; k++) {
		const struct ax_question *qq = &sv->questions[qi[k]];
		struct ax_item *x = &it->items[k];
		if (!(x->id = strdup(qq->id)) || !(x->text = strdup(qq->text ? qq->text : "")) ||
		    (qq->topic && !(x->topic = strdup(qq->topic))))
			goto fail;
		if (!(x->options = calloc((size_t)qq->noptions, sizeof *x->options)))
			goto fail;
		x->noptions = qq->noptions;
		for (int o = 0; o < qq->noptions; o++) {
			struct ax_item_option *op = &x->options[o];
			if (!(op->code = strdup(qq->options[o].code)) ||
			    !(op->label = dup_or_null(qq->options[o].label)))
				goto fail;
			op->correct = strcmp(qq->options[o].code, qq->answer) == 0;
		}
	}
	return it;
fail:
	ax_items_free(it);
	return NULL;
}

ax_rc ax_items_build(ax_store *st, const char *survey_id, int version_or_0,
                     const char *scope_or_NULL, struct ax_items **out)
{
	struct sample s = {0};
	struct ax_region g;
	struct ax_items *it = NULL;
	const struct ax_survey *sv;
	ax_content *c = NULL;
	int qi[AX_RESP_MAX_Q], q = 0;
	long *order = NULL;
	long long total = 0;
	ax_rc rc;

	*out = NULL;
	if (!survey_id || !*survey_id || version_or_0 < 0) {
		ax__store_seterr(st, "items: a survey id (and a version >= 0) is needed");
		return AX_INVALID;
	}
	if (scope_or_NULL && (rc = ax_region_get(st, scope_or_NULL, &g)))
		return rc;
	if ((rc = ax_content_load_store(st, &c)))
		return rc;
	sv = ax_content_find_survey(c, survey_id, version_or_0);
	if (!sv) {
		if (version_or_0)
			ax__store_seterr(st, "survey %s@%d is not installed", survey_id,
			                 version_or_0);
		else
			ax__store_seterr(st, "survey %s is not installed", survey_id);
		rc = AX_NOTFOUND;
		goto fail;
	}
	for (int i = 0; i < sv->nquestions && q < AX_RESP_MAX_Q; i++)
		if (sv->questions[i].type == AX_Q_KNOWLEDGE && sv->questions[i].answer)
			qi[q++] = i;
	if (!q) {
		ax__store_seterr(st, "survey %s@%d has no knowledge question with an "
		                     "answer: nothing to analyse", sv->id, sv->version);
		rc = AX_INVALID;
		goto fail;
	}
	s.q = q;
	if ((rc = read_sample(st, sv, scope_or_NULL, qi, &s)))
		goto fail;
	if (!(it = skeleton(sv, qi, q)) ||
	    (s.n && !(order = malloc(sizeof *order * (size_t)s.n)))) {
		ax__store_seterr(st, "items: out of memory");
		rc = AX_NOMEM;
		goto fail;
	}
	if (scope_or_NULL) {
		snprintf(it->scope, sizeof it->scope, "%s", g.code);
		snprintf(it->scope_name, sizeof it->scope_name, "%s", g.name);
	}
	/* sort the respondents, then remember who sits where */
	qsort(s.r, (size_t)s.n, sizeof *s.r, by_score_then_id);
	for (long i = 0; i < s.n; i++) {
		order[i] = s.r[i].seq;
		total += s.r[i].score;
	}
	it->respondents = s.n;
	it->mean_score = s.n ? (double)total / (double)s.n : 0;
	for (int k = 0; k < q; k++)
		analyse(&s, order, k, &it->items[k]);
	free(order);
	sample_free(&s);
	ax_content_free(c);
	*out = it;
	return AX_OK;
fail:
	free(order);
	sample_free(&s);
	ax_items_free(it);
	ax_content_free(c);
	return rc;
}

void ax_items_free(struct ax_items *it)
{
	if (!it)
		return;
	for (int k = 0; it->items && k < it->nitems; k++) {
		struct ax_item *x = &it->items[k];
		for (int o = 0; x->options && o < x->noptions; o++) {
			free(x->options[o].code);
			free(x->options[o].label);
		}
		free(x->options);
		free(x->id);
		free(x->text);
		free(x->topic);
	}
	free(it->items);
	free(it->title);
	free(it);
}

/* ========================================================== JSON == */
/* Round to 4 decimals so output is stable across libm versions. */
static double r4(double x)
{
	return (double)(long long)(x * 10000 + (x < 0 ? -0.5 : 0.5)) / 10000;
}

static json_t *flags_json(int flags)
{
	json_t *a = json_array();
	for (size_t i = 0; i < AX_ARRAY_LEN(flag_names); i++)
		if (flags & flag_names[i].bit)
			json_array_append_new(a, json_string(flag_names[i].name));
	return a;
}

char *ax_items_json(const struct ax_items *it)
{
	json_t *root = json_object(), *items = json_array();
	char *s;

	json_object_set_new(root, "survey", json_string(it->survey));
	json_object_set_new(root, "version", json_integer(it->version));
	json_object_set_new(root, "title", json_string(it->title));
	json_object_set_new(root, "scope", it->scope[0] ? json_string(it->scope) : json_null());
	json_object_set_new(root, "scope_name",
	                    it->scope[0] ? json_string(it->scope_name) : json_null());
	json_object_set_new(root, "respondents", json_integer(it->respondents));
	json_object_set_new(root, "max_score", json_integer(it->max_score));
	json_object_set_new(root, "mean_score",
	                    it->respondents ? json_real(r4(it->mean_score)) : json_null());
	for (int k = 0; k < it->nitems; k++) {
		const struct ax_item *x = &it->items[k];
		json_t *o = json_object(), *opts = json_array();
		int has = x->n > 0;
		json_object_set_new(o, "id", json_string(x->id));
		json_object_set_new(o, "text", json_string(x->text));
		json_object_set_new(o, "topic", x->topic ? json_string(x->topic) : json_null());
		json_object_set_new(o, "shown", json_integer(x->shown));
		json_object_set_new(o, "n", json_integer(x->n));
		json_object_set_new(o, "right", json_integer(x->right));
		/* no answers, no rate: null, never a misleading 0 */
		json_object_set_new(o, "facility", has ? json_real(r4(x->facility)) : json_null());
		json_object_set_new(o, "n_group", json_integer(x->n_group));
		json_object_set_new(o, "upper_right", json_integer(x->upper_right));
		json_object_set_new(o, "lower_right", json_integer(x->lower_right));
		json_object_set_new(o, "discrimination",
		                    has ? json_real(r4(x->discrimination)) : json_null());
		for (int p = 0; p < x->noptions; p++) {
			const struct ax_item_option *op = &x->options[p];
			json_t *oo = json_object();
			json_object_set_new(oo, "code", json_string(op->code));
			json_object_set_new(oo, "label", op->label ? json_string(op->label) : json_null());
			json_object_set_new(oo, "correct", json_boolean(op->correct));
			json_object_set_new(oo, "chosen", json_integer(op->chosen));
			json_object_set_new(oo, "share", has ? json_real(r4(op->share)) : json_null());
			json_array_append_new(opts, oo);
		}
		json_object_set_new(o, "options", opts);
		json_object_set_new(o, "flags", flags_json(x->flags));
		json_array_append_new(items, o);
	}
	json_object_set_new(root, "items", items);
	s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	return s;
}

/* =========================================================== CSV == */
static int put_buf(void *ctx, const char *s, size_t n)
{
	ax__buf_put(ctx, s, n);
	return 0;
}

/* A cell, then "," or the row's end. */
static void cell(struct ax_buf *b, const char *s, int last)
{
	ax_csv_cell_to(put_buf, b, s);
	ax__buf_puts(b, last ? "\r\n" : ",");
}

static void flags_text(int flags, char *out, size_t n)
{
	out[0] = '\0';
	for (size_t i = 0; i < AX_ARRAY_LEN(flag_names); i++)
		if (flags & flag_names[i].bit)
			snprintf(out + strlen(out), n - strlen(out), "%s%s",
			         out[0] ? "；" : "", flag_names[i].label);
}

char *ax_items_csv(const struct ax_items *it)
{
	static const char *const head[] = {
	    "题号", "题目", "专题", "看到本题人数", "答题人数", "答对人数", "通过率",
	    "分组人数", "高分组答对", "低分组答对", "区分度", "提示", "选项",
	    "选项内容", "正确答案", "选择人数", "选择比例"};
	struct ax_buf b = {0};
	const int nh = (int)AX_ARRAY_LEN(head);

	ax__buf_puts(&b, "\xEF\xBB\xBF"); /* Excel needs the BOM to see UTF-8 */
	for (int i = 0; i < nh; i++)
		cell(&b, head[i], i == nh - 1);
	for (int k = 0; k < it->nitems; k++) {
		const struct ax_item *x = &it->items[k];
		char v[10][32], fl[160];
		flags_text(x->flags, fl, sizeof fl);
		snprintf(v[0], sizeof v[0], "%lld", x->shown);
		snprintf(v[1], sizeof v[1], "%lld", x->n);
		snprintf(v[2], sizeof v[2], "%lld", x->right);
		/* empty cells, not 0, when nobody answered */
		share_cell(v[3], sizeof v[3], x->n, x->facility);
		snprintf(v[4], sizeof v[4], "%d", x->n_group);
		snprintf(v[5], sizeof v[5], "%lld", x->upper_right);
		snprintf(v[6], sizeof v[6], "%lld", x->lower_right);
		share_cell(v[7], sizeof v[7], x->n, x->discrimination);
		for (int p = 0; p < x->noptions; p++) {
			const struct ax_item_option *op = &x->options[p];
			cell(&b, x->id, 0);
			cell(&b, x->text, 0);
			cell(&b, x->topic ? ax_topic_name(x->topic) : "", 0);
			for (int i = 0; i < 8; i++)
				cell(&b, v[i], 0);
			cell(&b, fl, 0);
			cell(&b, op->code, 0);
			cell(&b, op->label, 0);
			cell(&b, op->correct ? "是" : "否", 0);
			snprintf(v[8], sizeof v[8], "%lld", op->chosen);
			share_cell(v[9], sizeof v[9], x->n, op->share);
			cell(&b, v[8], 0);
			cell(&b, v[9], 1);
		}
	}
	return ax__buf_take(&b);
}

/* ========================================================= table == */

char *ax_items_table(const struct ax_items *it)
{
	struct ax_buf b = {0};
	int idw = 4;
	char v[64];

	for (int k = 0; k < it->nitems; k++)
		if (ax__display_width(it->items[k].id) > idw)
			idw = ax__display_width(it->items[k].id);
	ax__buf_printf(&b, "问卷: %s（%s 第%d版）  范围: %s  答卷: %lld", it->title,
	               it->survey, it->version,
	               it->scope[0] ? it->scope_name : "全部", it->respondents);
	if (it->respondents)
		ax__buf_printf(&b, "  平均得分: %.2f/%lld", it->mean_score, it->max_score);
	ax__buf_puts(&b, "\n");
	ax__buf_pad(&b, "题号", idw, 0);
	ax__buf_pad(&b, "答题", 7, 1);
	ax__buf_pad(&b, "答对", 7, 1);
	ax__buf_pad(&b, "通过率", 9, 1);
	ax__buf_pad(&b, "区分度", 8, 1);
	ax__buf_puts(&b, "  选项分布（✓ 正确答案）\n");
	for (int k = 0; k < it->nitems; k++) {
		const struct ax_item *x = &it->items[k];
		char fl[160];
		ax__buf_pad(&b, x->id, idw, 0);
		snprintf(v, sizeof v, "%lld", x->n);
		ax__buf_pad(&b, v, 7, 1);
		snprintf(v, sizeof v, "%lld", x->right);
		ax__buf_pad(&b, v, 7, 1);
		if (x->n)
			snprintf(v, sizeof v, "%.1f%%", x->facility * 100);
		else
			snprintf(v, sizeof v, "—");
		ax__buf_pad(&b, v, 9, 1);
		if (x->n)
			snprintf(v, sizeof v, "%.2f", x->discrimination);
		else
			snprintf(v, sizeof v, "—");
		ax__buf_pad(&b, v, 8, 1);
		ax__buf_puts(&b, " ");
		for (int p = 0; p < x->noptions; p++) {
			const struct ax_item_option *op = &x->options[p];
			if (x->n)
				ax__buf_printf(&b, " %s%s %.1f%%", op->code,
				               op->correct ? "✓" : "", op->share * 100);
			else
				ax__buf_printf(&b, " %s%s —", op->code, op->correct ? "✓" : "");
		}
		flags_text(x->flags, fl, sizeof fl);
		if (fl[0])
			ax__buf_printf(&b, "  ⚠ %s", fl);
		ax__buf_printf(&b, "\n%*s  %s\n", idw, "", x->text);
	}
	ax__buf_printf(&b,
	               "\n通过率 = 答对人数/答题人数。区分度 = 总分最高的 27%% 答题人中"
	               "答对的比例 − 总分最低的 27%% 中答对的比例（同分按答卷编号排）。\n"
	               "提示: 无人答错、无人答对需答题 ≥%d 人; 无人选的错误选项需 ≥%d 人;"
	               " 区分度低（<%.1f）需 ≥%d 人。\n",
	               AX_ITEM_FLAG_MIN_N_FACILITY, AX_ITEM_FLAG_MIN_N_DISTRACTOR,
	               AX_ITEM_LOW_DISCRIMINATION_BELOW, AX_ITEM_FLAG_MIN_N_DISCRIMINATION);
	return ax__buf_take(&b);
}
