/*
 * report.c -- rendering a report as JSON, CSV and a terminal table.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "anxin/content.h"
#include "anxin/csv.h"
#include "anxin/ledger.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin_int.h"

/* by level + 1: -1 province (省), 0 city (市), 1 county .. 4 grid */
static const char *const level_names[] = {"province", "city", "county",
                                          "township", "village", "grid"};
static const char *const level_cn[] = {"省", "市", "县", "乡镇", "村社区", "网格"};

static int level_at(int level) { return level >= -1 && level <= 4 ? level + 1 : 2; }

/* Round to 4 decimals so JSON output is stable across libm versions. */
static double r4(double x) { return (double)(long long)(x * 10000 + 0.5) / 10000; }

/* 说不清 counts are shown when the report has any, or further rates: the
 * output of reports without them stays what it was. */
static int dk_shown(const struct ax_report *r)
{
	if (r->nrates)
		return 1;
	for (int i = 0; i < r->nrows; i++)
		if (r->rows[i].sat_dont_know)
			return 1;
	return 0;
}

/* Some survey's 满意度 is reported apart for its own rule (ratedef.c). */
static int sat_apart(const struct ax_report *r)
{
	for (int k = 0; k < r->nrates; k++)
		if (strncmp(r->rates[k].id, "sat@", 4) == 0)
			return 1;
	return 0;
}

/* Set-aside answers (kind 0 too fast, 1 repeats in one visit, 2 晚到:
 * after their campaign closed) are shown when the report has any. */
static long long aside_n(const struct ax_report_row *w, int kind)
{
	return kind == 2 ? w->set_aside_late : kind ? w->set_aside_repeat
	                                            : w->set_aside;
}

/* The scope's set-aside answers (the rows at depth 0), or, with any_row,
 * 1 when some row has any. */
static long long aside_total(const struct ax_report *r, int repeat,
                             int any_row)
{
	long long n = 0;
	for (int i = 0; i < r->nrows; i++) {
		if (any_row && aside_n(&r->rows[i], repeat))
			return 1;
		if (r->rows[i].depth == 0)
			n += aside_n(&r->rows[i], repeat);
	}
	return any_row ? 0 : n;
}

static int aside_shown(const struct ax_report *r)
{
	return aside_total(r, 0, 1) != 0;
}

static int repeat_shown(const struct ax_report *r)
{
	return aside_total(r, 1, 1) != 0;
}

static int late_shown(const struct ax_report *r)
{
	return aside_total(r, 2, 1) != 0;
}

/* "met": true only when proven (达标); "verdict": the three-state one */
static void verdict_json(json_t *met, json_t *verdict, const char *key,
                         enum ax_verdict v)
{
	json_object_set_new(met, key, json_boolean(v == AX_VERDICT_MET));
	json_object_set_new(verdict, key, json_string(ax_verdict_id(v)));
}

/* The text table's 达标 column: `met` when 达标, ? 样本不足, · 未达标,
 * - 无数据, < hidden */
static const char *verdict_char(enum ax_verdict v, const char *met)
{
	static const char *const c[] = {"-", NULL, "·", "?", "<"};
	return v == AX_VERDICT_MET ? met : c[v];
}

static json_t *rate_json(const struct ax_rate *r)
{
	json_t *o = json_object();
	if (r->suppressed) { /* too few respondents to show: "<5" throughout */
		static const char *const keys[] = {"num", "den", "rate", "low", "high"};
		for (size_t i = 0; i < AX_ARRAY_LEN(keys); i++)
			json_object_set_new(o, keys[i], json_string(AX_SUPPRESSED_TEXT));
		json_object_set_new(o, "small_sample", json_true());
		json_object_set_new(o, "suppressed", json_true());
		return o;
	}
	json_object_set_new(o, "num", json_integer(r->num));
	json_object_set_new(o, "den", json_integer(r->den));
	/* no denominator, no rate: null, never a misleading 0 % */
	json_object_set_new(o, "rate", r->den ? json_real(r4(r->rate)) : json_null());
	if (r->census) { /* a full count: exact, no interval to give */
		json_object_set_new(o, "census", json_true());
		return o;
	}
	json_object_set_new(o, "low", r->den ? json_real(r4(r->low)) : json_null());
	json_object_set_new(o, "high", r->den ? json_real(r4(r->high)) : json_null());
	json_object_set_new(o, "small_sample", json_boolean(r->small_sample));
	return o;
}

/* A count that belongs to rate r: "<5" when r is suppressed. */
static json_t *count_json(const struct ax_rate *r, long long n)
{
	return r->suppressed ? json_string(AX_SUPPRESSED_TEXT) : json_integer(n);
}

char *ax_report_json(const struct ax_report *r)
{
	json_t *root = json_object(), *rows = json_array(), *q = json_object(),
	       *kinds = json_array(), *targets = json_object();
	char *s;

	json_object_set_new(q, "scope", json_string(r->scope));
	json_object_set_new(q, "survey", r->survey[0] ? json_string(r->survey) : json_null());
	json_object_set_new(q, "channel", r->channel[0] ? json_string(r->channel) : json_null());
	json_object_set_new(q, "from", r->from[0] ? json_string(r->from) : json_null());
	json_object_set_new(q, "to", r->to[0] ? json_string(r->to) : json_null());
	for (int bit = 1; bit <= AX_CK_VISIT; bit <<= 1)
		if (r->contact_kinds & bit)
			json_array_append_new(kinds, json_string(ax_contact_kind_name(bit)));
	json_object_set_new(q, "coverage_kinds", kinds);
	if (r->suppress_below)
		json_object_set_new(q, "suppress_below", json_integer(r->suppress_below));
	json_object_set_new(root, "query", q);
	if (r->campaign_id[0]) {
		char at[32] = "";
		if (r->campaign_closed_at > 0)
			ax__time_format(r->campaign_closed_at, at, sizeof at);
		json_object_set_new(root, "campaign",
		                    json_pack("{s:s,s:s,s:o}", "id", r->campaign_id,
		                              "name", r->campaign_name, "closed_at",
		                              at[0] ? json_string(at) : json_null()));
	}
	/* which kind of figure this is (metrics.h ax_report.sampled) */
	json_object_set_new(root, "kind", json_string(r->sampled ? "sampled_unweighted"
	                                                         : "monitoring"));
	json_object_set_new(root, "label", json_string(r->sampled ? "抽样测评（未加权）"
	                                                          : "日常监测"));
	json_object_set_new(targets, "coverage", json_real(AX_TARGET_COVERAGE));
	json_object_set_new(targets, "awareness", json_real(r->target_awareness));
	json_object_set_new(targets, "satisfaction",
	                    json_real(r->target_satisfaction));
	json_object_set_new(root, "targets", targets);
	/* whose rule the satisfaction figures follow; null: no survey's, and
	 * each survey's 满意度 is among the rates ("sat@ID") */
	json_object_set_new(root, "satisfaction_survey",
	                    r->sat_survey[0] ? json_string(r->sat_survey) : json_null());
	if (r->nrates) {
		json_t *rates = json_array();
		for (int k = 0; k < r->nrates; k++) {
			json_t *x = json_object();
			json_object_set_new(x, "id", json_string(r->rates[k].id));
			json_object_set_new(x, "name", json_string(r->rates[k].name));
			json_object_set_new(x, "target", json_real(r->rates[k].target));
			json_array_append_new(rates, x);
		}
		json_object_set_new(root, "rates", rates);
	}

	for (int i = 0; i < r->nrows; i++) {
		const struct ax_report_row *w = &r->rows[i];
		json_t *o = json_object(), *aw = json_object(), *sat, *met = json_object(),
		       *verdict = json_object(),
		       *ch = json_object();
		json_object_set_new(o, "code", json_string(w->code));
		json_object_set_new(o, "name", json_string(w->name));
		json_object_set_new(o, "level", json_string(level_names[level_at(w->level)]));
		json_object_set_new(o, "depth", json_integer(w->depth));
		json_object_set_new(o, "households", json_integer(w->households));
		json_object_set_new(o, "reached", json_integer(w->reached));
		json_object_set_new(o, "coverage", rate_json(&w->coverage));
		if (r->pack[0]) {
			json_object_set_new(o, "reached_pack",
			                    json_integer(w->reached_pack));
			json_object_set_new(o, "coverage_pack",
			                    rate_json(&w->coverage_pack));
		}
		json_object_set_new(o, "respondents", json_integer(w->respondents));
		for (int c = 0; c < AX_NCHANNELS; c++)
			json_object_set_new(ch, ax_channels[c],
			                    json_integer(w->respondents_by_channel[c]));
		json_object_set_new(o, "respondents_by_channel", ch);
		if (aside_shown(r))
			json_object_set_new(o, "set_aside", json_integer(w->set_aside));
		if (repeat_shown(r))
			json_object_set_new(o, "set_aside_repeat",
			                    json_integer(w->set_aside_repeat));
		if (late_shown(r))
			json_object_set_new(o, "set_aside_late",
			                    json_integer(w->set_aside_late));
		for (int k = 0; k < r->ntopics; k++)
			json_object_set_new(aw, r->topics[k], rate_json(&w->awareness[k]));
		json_object_set_new(o, "awareness", aw);
		sat = rate_json(&w->satisfaction);
		json_object_set_new(sat, "mean_score",
		                    w->satisfaction.suppressed
		                        ? json_string(AX_SUPPRESSED_TEXT)
		                    : w->satisfaction.den ? json_real(r4(w->mean_score))
		                                          : json_null());
		if (dk_shown(r))
			json_object_set_new(sat, "dont_know",
			                    count_json(&w->satisfaction, w->sat_dont_know));
		json_object_set_new(o, "satisfaction", sat);
		if (r->nrates) {
			json_t *rates = json_object(), *mr = json_object();
			json_t *vr = json_object();
			for (int k = 0; k < r->nrates; k++) {
				json_t *x = rate_json(&w->rates[k]);
				json_object_set_new(x, "dont_know",
				                    count_json(&w->rates[k], w->rates_dont_know[k]));
				json_object_set_new(rates, r->rates[k].id, x);
				json_object_set_new(mr, r->rates[k].id,
				                    json_boolean(w->verdict_rates[k] == AX_VERDICT_MET));
				json_object_set_new(vr, r->rates[k].id,
				                    json_string(ax_verdict_id(w->verdict_rates[k])));
			}
			json_object_set_new(o, "rates", rates);
			json_object_set_new(met, "rates", mr);
			json_object_set_new(verdict, "rates", vr);
		}
		verdict_json(met, verdict, "coverage", w->verdict_coverage);
		verdict_json(met, verdict, "awareness", w->verdict_awareness);
		verdict_json(met, verdict, "satisfaction", w->verdict_satisfaction);
		json_object_set_new(o, "met", met);
		json_object_set_new(o, "verdict", verdict);
		json_array_append_new(rows, o);
	}
	json_object_set_new(root, "rows", rows);
	s = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
	json_decref(root);
	return s;
}

/* ---- CSV -------------------------------------------------------------- */
static int put_buf(void *ctx, const char *s, size_t n)
{
	ax__buf_put(ctx, s, n);
	return 0;
}

static void csv_field(struct ax_buf *b, const char *s)
{
	ax_csv_cell_to(put_buf, b, s);
}

static void csv_rate(struct ax_buf *b, const struct ax_rate *r)
{
	if (r->census) /* numerator, denominator, rate: no interval, no mark */
		ax__buf_printf(b, r->den ? ",%lld,%lld,%.4f" : ",%lld,%lld,", r->num,
		               r->den, r->rate);
	else if (r->suppressed)
		ax__buf_puts(b, "," AX_SUPPRESSED_TEXT "," AX_SUPPRESSED_TEXT "," AX_SUPPRESSED_TEXT
		                   "," AX_SUPPRESSED_TEXT "," AX_SUPPRESSED_TEXT ",是");
	else if (!r->den) /* empty cells, not 0 %, when nobody answered */
		ax__buf_printf(b, ",%lld,0,,,,是", r->num);
	else
		ax__buf_printf(b, ",%lld,%lld,%.4f,%.4f,%.4f,%s", r->num, r->den,
		               r->rate, r->low, r->high, r->small_sample ? "是" : "否");
}

/* ",N", or ",<5" when the rate it belongs to is suppressed */
static void csv_count(struct ax_buf *b, const struct ax_rate *r, long long n)
{
	if (r->suppressed)
		ax__buf_puts(b, "," AX_SUPPRESSED_TEXT);
	else
		ax__buf_printf(b, ",%lld", n);
}

static void csv_rate_header(struct ax_buf *b, const char *name)
{
	ax__buf_printf(b, ",%s分子,%s分母,%s,%s下限,%s上限,%s样本不足", name, name,
	               name, name, name, name);
}

/* The columns of a full count (ax_rate.census): no interval, no mark. */
static void csv_census_header(struct ax_buf *b, const char *name)
{
	ax__buf_printf(b, ",%s分子,%s分母,%s", name, name, name);
}

char *ax_report_csv(const struct ax_report *r)
{
	struct ax_buf b = {0};

	ax__buf_puts(&b, "\xEF\xBB\xBF"); /* Excel needs the BOM to see UTF-8 */
	ax__buf_puts(&b, "代码,名称,层级,户数,已覆盖户");
	csv_census_header(&b, "宣传入户率");
	if (r->pack[0]) {
		char h[300];
		snprintf(h, sizeof h, "知识宣传入户率(%s)", r->pack);
		ax__buf_puts(&b, ",已覆盖户(");
		csv_field(&b, r->pack);
		ax__buf_puts(&b, ")");
		csv_census_header(&b, h);
	}
	ax__buf_puts(&b, ",答卷数");
	if (aside_shown(r))
		ax__buf_puts(&b, ",过快未计入");
	if (repeat_shown(r))
		ax__buf_puts(&b, ",重复作答未计入");
	if (late_shown(r))
		ax__buf_puts(&b, ",晚到未计入");
	for (int k = 0; k < r->ntopics; k++) {
		char name[96];
		snprintf(name, sizeof name, "知晓率(%s)", ax_topic_name(r->topics[k]));
		csv_rate_header(&b, name);
	}
	csv_rate_header(&b, "满意度");
	ax__buf_puts(&b, ",满意度平均分");
	if (dk_shown(r))
		ax__buf_puts(&b, ",满意度说不清");
	for (int k = 0; k < r->nrates; k++) {
		csv_rate_header(&b, r->rates[k].name);
		ax__buf_puts(&b, ",");
		csv_field(&b, r->rates[k].name);
		ax__buf_puts(&b, "说不清");
	}
	ax__buf_puts(&b, ",入户率达标,知晓率达标,满意度达标");
	for (int k = 0; k < r->nrates; k++) {
		ax__buf_puts(&b, ",");
		csv_field(&b, r->rates[k].name);
		ax__buf_puts(&b, "达标");
	}
	ax__buf_puts(&b, "\r\n");
	for (int i = 0; i < r->nrows; i++) {
		const struct ax_report_row *w = &r->rows[i];
		ax__buf_printf(&b, "%s,", w->code);
		csv_field(&b, w->name);
		ax__buf_printf(&b, ",%s,%lld,%lld", level_cn[level_at(w->level)], w->households,
		               w->reached);
		csv_rate(&b, &w->coverage);
		if (r->pack[0]) {
			ax__buf_printf(&b, ",%lld", w->reached_pack);
			csv_rate(&b, &w->coverage_pack);
		}
		ax__buf_printf(&b, ",%lld", w->respondents);
		if (aside_shown(r))
			ax__buf_printf(&b, ",%lld", w->set_aside);
		if (repeat_shown(r))
			ax__buf_printf(&b, ",%lld", w->set_aside_repeat);
		if (late_shown(r))
			ax__buf_printf(&b, ",%lld", w->set_aside_late);
		for (int k = 0; k < r->ntopics; k++)
			csv_rate(&b, &w->awareness[k]);
		csv_rate(&b, &w->satisfaction);
		if (w->satisfaction.suppressed)
			ax__buf_puts(&b, "," AX_SUPPRESSED_TEXT);
		else if (w->satisfaction.den)
			ax__buf_printf(&b, ",%.3f", w->mean_score);
		else
			ax__buf_puts(&b, ",");
		if (dk_shown(r))
			csv_count(&b, &w->satisfaction, w->sat_dont_know);
		for (int k = 0; k < r->nrates; k++) {
			csv_rate(&b, &w->rates[k]);
			csv_count(&b, &w->rates[k], w->rates_dont_know[k]);
		}
		ax__buf_printf(&b, ",%s,%s,%s", ax_verdict_label(w->verdict_coverage),
		               ax_verdict_label(w->verdict_awareness),
		               ax_verdict_label(w->verdict_satisfaction));
		for (int k = 0; k < r->nrates; k++)
			ax__buf_printf(&b, ",%s", ax_verdict_label(w->verdict_rates[k]));
		ax__buf_puts(&b, "\r\n");
	}
	return ax__buf_take(&b);
}

/* ---- terminal table --------------------------------------------------- */

/* "93.1 [90,96]" or "—" for no data; a '*' marks a small sample. */
static void cell(char *out, size_t n, const struct ax_rate *r)
{
	if (r->suppressed)
		snprintf(out, n, "%s", AX_SUPPRESSED_TEXT);
	else if (r->den == 0)
		snprintf(out, n, "—");
	else if (r->census)
		snprintf(out, n, "%5.1f%%", r->rate * 100);
	else
		snprintf(out, n, "%5.1f%% [%.0f,%.0f]%s", r->rate * 100, r->low * 100,
		         r->high * 100, r->small_sample ? "*" : "");
}

char *ax_report_table(const struct ax_report *r)
{
	struct ax_buf b = {0};
	int namew = 8, cw = 18;
	char c[64];

	for (int i = 0; i < r->nrows; i++) {
		int w = ax__display_width(r->rows[i].name) + 2 * r->rows[i].depth;
		if (w > namew)
			namew = w;
	}
	if (r->campaign_id[0]) {
		char at[32] = "";
		if (r->campaign_closed_at > 0)
			ax__time_format(r->campaign_closed_at, at, sizeof at);
		at[10] = at[0] ? ' ' : '\0';
		ax__buf_printf(&b, "活动「%s」%s%.16s%s\n", r->campaign_name,
		               at[0] ? "（已于 " : "（进行中，数字会随新记录变化）",
		               at, at[0] ? " 关闭，数字已冻结，晚到的另计）" : "");
	}
	ax__buf_printf(&b, "%s  问卷: %s  渠道: %s  时间: %s 至 %s\n",
	               r->sampled ? "抽样测评（未加权，加权估计见 --campaign）"
	               : r->campaign_id[0] ? "活动（自愿作答）"
	                                   : "日常监测（自愿作答，不含抽样测评）",
	               r->survey[0] ? r->survey : "全部",
	               r->channel[0] ? r->channel : "全部",
	               r->from[0] ? r->from : "开始", r->to[0] ? r->to : "今天");
	ax__buf_pad(&b, "区域", namew, 0);
	ax__buf_puts(&b, "  ");
	ax__buf_pad(&b, "户数", 7, 1);
	ax__buf_pad(&b, "覆盖户", 8, 1);
	ax__buf_puts(&b, "  ");
	ax__buf_pad(&b, "宣传入户率", cw, 0);
	if (r->pack[0])
		ax__buf_pad(&b, "知识宣传入户率", cw, 0);
	ax__buf_pad(&b, "答卷", 7, 1);
	ax__buf_puts(&b, "  ");
	for (int k = 0; k < r->ntopics; k++) {
		char h[64];
		snprintf(h, sizeof h, "知晓·%s", ax_topic_name(r->topics[k]));
		ax__buf_pad(&b, h, cw, 0);
	}
	ax__buf_pad(&b, "满意度", cw, 0);
	for (int k = 0; k < r->nrates; k++)
		ax__buf_pad(&b, r->rates[k].name, cw, 0);
	ax__buf_puts(&b, "均分  达标\n");
	for (int i = 0; i < r->nrows; i++) {
		const struct ax_report_row *w = &r->rows[i];
		char name[160], num[32];
		snprintf(name, sizeof name, "%*s%s", 2 * w->depth, "", w->name);
		ax__buf_pad(&b, name, namew, 0);
		ax__buf_puts(&b, "  ");
		snprintf(num, sizeof num, "%lld", w->households);
		ax__buf_pad(&b, num, 7, 1);
		snprintf(num, sizeof num, "%lld", w->reached);
		ax__buf_pad(&b, num, 8, 1);
		ax__buf_puts(&b, "  ");
		cell(c, sizeof c, &w->coverage);
		ax__buf_pad(&b, c, cw, 0);
		if (r->pack[0]) {
			cell(c, sizeof c, &w->coverage_pack);
			ax__buf_pad(&b, c, cw, 0);
		}
		snprintf(num, sizeof num, "%lld", w->respondents);
		ax__buf_pad(&b, num, 7, 1);
		ax__buf_puts(&b, "  ");
		for (int k = 0; k < r->ntopics; k++) {
			cell(c, sizeof c, &w->awareness[k]);
			ax__buf_pad(&b, c, cw, 0);
		}
		cell(c, sizeof c, &w->satisfaction);
		ax__buf_pad(&b, c, cw, 0);
		for (int k = 0; k < r->nrates; k++) {
			cell(c, sizeof c, &w->rates[k]);
			ax__buf_pad(&b, c, cw, 0);
		}
		if (w->satisfaction.suppressed)
			ax__buf_puts(&b, "  <5  ");
		else if (w->satisfaction.den)
			ax__buf_printf(&b, "%4.2f  ", w->mean_score);
		else
			ax__buf_puts(&b, "   —  ");
		ax__buf_printf(&b, "%s%s%s\n", verdict_char(w->verdict_coverage, "户"),
		               verdict_char(w->verdict_awareness, "知"),
		               verdict_char(w->verdict_satisfaction, "满"));
	}
	ax__buf_printf(&b, "\n宣传入户率按花名册全数统计, 不是抽样, 没有区间; "
	                   "[低,高] 为答卷比率的95%%威尔逊置信区间; * 样本不足30; "
	                   "达标: 户=入户率100%% 知=各专题知晓率≥%.0f%% 满=满意度≥%.0f%%; "
	                   "? 样本不足(区间仍够得着目标, 不算达标); · 未达标; - 无数据\n",
	               r->target_awareness * 100, r->target_satisfaction * 100);
	if (r->channel[0])
		ax__buf_printf(&b, "渠道“%s”：宣传入户率只计经这个渠道联系到的户"
		                   "（未覆盖户清单同样只看这个渠道）。\n",
		               ax_ledger_channel_label(r->channel));
	ax__buf_puts(&b, "每户每份问卷在所选时间内只计一次（最早完成的一份），"
	                 "不论答在哪一轮。\n");
	if (dk_shown(r))
		ax__buf_puts(&b, "答“说不清/不了解”的不计入分母，另行统计。\n");
	if (r->sat_survey[0] && !r->survey[0] && sat_apart(r))
		ax__buf_printf(&b, "满意度按问卷 %s 的口径；口径不同的问卷另列"
		                   "“满意度（问卷名）”，不相加。\n", r->sat_survey);
	else if (!r->survey[0] && sat_apart(r))
		ax__buf_puts(&b, "各问卷的满意度口径不同，分列为“满意度（问卷名）”，"
		                 "不相加（指定正式测评问卷：anxin content official）。\n");
	if (r->suppress_below)
		ax__buf_printf(&b, "<%d：答题不足 %d 人，不显示（保护个人回答）。\n",
		               r->suppress_below, r->suppress_below);
	if (aside_shown(r))
		ax__buf_printf(&b, "另有 %lld 份答卷作答过快（来不及读题），已保存待查，"
		                   "不计入任何比率。\n", aside_total(r, 0, 0));
	if (repeat_shown(r))
		ax__buf_printf(&b, "另有 %lld 份答卷是同一次使用中重复作答的同一问卷，已保存，"
		                   "只计第一次。\n", aside_total(r, 1, 0));
	if (late_shown(r))
		ax__buf_printf(&b, "另有 %lld 份答卷在所属活动关闭之后才收到（晚到），已保存，"
		                   "不计入任何比率：关闭的活动数字不再变动。\n",
		                   aside_total(r, 2, 0));
	return ax__buf_take(&b);
}
