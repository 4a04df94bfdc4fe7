/*
 * dashboard_region.c -- GET /region/CODE: one region and its children.
 *
 *   headline cards, the rates table (coverage, awareness per topic,
 *   satisfaction with its mean score, the further rates a survey defines
 *   such as 安全感, each with its 95 % interval and a badge against its own
 *   target, and the 说不清 answers left out of each denominator), bar
 *   charts per child with target lines and interval whiskers,
 *   a 12-week trend, the funnel of each active campaign in the region
 *   (dashboard_campaigns.c),
 *   filters (survey, channel, window) and the report downloads.
 *
 * Every number comes from the library's query layer (ax_report_build,
 * ax_funnel_build): the page, `anxin report` and the exports agree, and
 * so do the targets: the report's own (a survey's rules, else the county
 * defaults), never constants of this file, coverage's 100 % aside.
 *
 * Names of further rates come from content: they reach the page through
 * dp_fmt's %s, which escapes them.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/funnel.h"
#include "dashboard_int.h"

#define TREND_WEEKS 12
/* AX_SUPPRESSED_TEXT ("<5") as HTML, for dp_raw */
#define SUPPRESSED_HTML "&lt;5"

/* The filters of the page, validated; NULL when not set. */
struct filters {
	const char *survey, *channel, *from, *to;
	const char *pack; /* an id's characters only; checked installed later */
	const char *campaign; /* a campaign's id: its own figures (metrics.h) */
	char qs[512]; /* "?survey=…&amp;…" for links, HTML-safe; "" if none */
};

/* by level + 1: -1 province (省), 0 city (市), 1 county .. 4 grid */
static const char *const level_names[] = {"省", "市", "县", "乡镇/街道", "村/社区", "网格"};
static const char *const channel_labels[] = {"一体机", "短信", "入户走访"};

static const char *channel_label(const char *channel)
{
	for (int i = 0; channel && i < AX_NCHANNELS; i++)
		if (strcmp(channel, ax_channels[i]) == 0)
			return channel_labels[i];
	return "全部";
}

static const char *level_name(int level)
{
	return level >= -1 && level <= 4 ? level_names[level + 1] : "";
}

/* A target as the page writes it: "90%", "87.5%"; buf >= 16. */
static const char *target_text(double t, char *buf, size_t n)
{
	double pc = t * 100;
	if (pc - (double)(long long)(pc + 0.5) > -0.05 &&
	    pc - (double)(long long)(pc + 0.5) < 0.05)
		snprintf(buf, n, "%.0f%%", pc);
	else
		snprintf(buf, n, "%.1f%%", pc);
	return buf;
}

/*
 * Whether 说不清 counts are shown: when the report has further rates or
 * anyone answered 说不清 to 满意度 -- the library's rule for its CSV and
 * table, so a page without them looks as it did.
 */
static int dk_shown(const struct ax_report *rep)
{
	if (rep->nrates)
		return 1;
	for (int i = 0; i < rep->nrows; i++)
		if (rep->rows[i].sat_dont_know)
			return 1;
	return 0;
}

/* ========================================================= filters == */
static int read_filters(struct ct_req *r, struct filters *f)
{
	struct dpage q;
	const char *v;
	int first = 1;

	memset(f, 0, sizeof *f);
	if ((v = ct_query(r, "survey")) && *v && strlen(v) < 64)
		f->survey = v;
	if ((v = ct_query(r, "channel")) && *v) {
		for (int i = 0; i < AX_NCHANNELS; i++)
			if (strcmp(v, ax_channels[i]) == 0)
				f->channel = ax_channels[i];
		if (!f->channel)
			return -1;
	}
	if ((v = ct_query(r, "pack")) && *v) {
		size_t n = strlen(v);
		if (n >= 64 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
		                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") != n)
			return -1;
		f->pack = v;
	}
	if ((v = ct_query(r, "campaign")) && *v) {
		size_t n = strlen(v);
		if (n >= 64 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
		                         "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n)
			return -1;
		f->campaign = v;
	}
	if ((v = ct_query(r, "from")) && *v) {
		if (!dash_is_date(v))
			return -1;
		f->from = v;
	}
	if ((v = ct_query(r, "to")) && *v) {
		if (!dash_is_date(v))
			return -1;
		f->to = v;
	}
	if (dp_open(&q))
		return 0;
	{
		const char *names[] = {"survey", "channel", "pack", "campaign", "from", "to"};
		const char *vals[] = {f->survey, f->channel, f->pack, f->campaign, f->from, f->to};
		for (int i = 0; i < 6; i++) {
			if (!vals[i])
				continue;
			dp_raw(&q, first ? "?" : "&amp;");
			dp_fmt(&q, "%s=", names[i]);
			first = 0;
			dp_url(&q, vals[i]);
		}
	}
	fflush(q.f);
	if (q.buf && q.len < sizeof f->qs)
		memcpy(f->qs, q.buf, q.len + 1);
	dp_discard(&q);
	return 0;
}

/* The title of an installed survey, or its id (c may be NULL). */
const char *dash_survey_title(const ax_content *c, const char *id)
{
	for (int i = 0; c && i < ax_content_nsurveys(c); i++)
		if (strcmp(ax_content_survey(c, i)->id, id) == 0)
			return ax_content_survey(c, i)->title;
	return id;
}

/* The title of an installed pack, or NULL when none has that id. */
static const char *pack_title(const ax_content *c, const char *id)
{
	for (int i = 0; c && id && i < ax_content_npacks(c); i++)
		if (strcmp(ax_content_pack(c, i)->id, id) == 0)
			return ax_content_pack(c, i)->title;
	return NULL;
}

/* 宣传内容: all packs, or one installed pack whose 知识宣传入户率 is shown
 * beside the all-packs figure (平安家庭 §6). */
static void pack_select(struct dpage *p, const ax_content *c,
                        const struct filters *f)
{
	dp_raw(p, "<label>宣传内容<select name=\"pack\">"
	          "<option value=\"\">全部宣传内容</option>");
	for (int i = 0; c && i < ax_content_npacks(c); i++) {
		const struct ax_pack *k = ax_content_pack(c, i);
		if (pack_title(c, k->id) != k->title)
			continue; /* another version of a pack listed already */
		dp_fmt(p, "<option value=\"%s\"%s>%s</option>", k->id,
		       f->pack && strcmp(f->pack, k->id) == 0 ? " selected" : "",
		       k->title);
	}
	dp_raw(p, "</select></label>");
}


/* 活动: 日常监测 (every answer but sampled 测评's), or one campaign's own
 * figures -- its scope, window, wave, kinds, roster then (frozen once
 * closed).  A sampled 测评 has its own section. */
static void campaign_select(struct dpage *p, ax_store *st, const char *code,
                            const struct filters *f)
{
	struct ax_campaign *v = NULL;
	int n = 0;

	if (ax_campaign_list(st, 0, 0, &v, &n) || !n) {
		ax_free(v);
		return;
	}
	dp_raw(p, "<label>活动<select name=\"campaign\"><option value=\"\">"
	          "日常监测（不分活动）</option>");
	for (int i = n - 1; i >= 0; i--) {
		if (v[i].sample_n > 0 || !dash_campaign_touches(&v[i], code))
			continue;
		dp_fmt(p, "<option value=\"%s\"%s>%s%s</option>", v[i].id,
		       f->campaign && strcmp(f->campaign, v[i].id) == 0 ? " selected" : "",
		       v[i].name, v[i].closed_at > 0 ? "（已关闭）" : "");
	}
	dp_raw(p, "</select></label>");
	ax_free(v);
}

static void filter_form(struct dpage *p, ax_store *st, const ax_content *c,
                        const char *code, const struct filters *f)
{

	dp_fmt(p, "<form class=\"filter\" method=\"get\" action=\"/region/%s\">"
	          "<label>问卷<select name=\"survey\"><option value=\"\">全部问卷</option>",
	       code);
	if (c) {
		int n = ax_content_nsurveys(c);
		for (int i = 0; i < n; i++) {
			const struct ax_survey *s = ax_content_survey(c, i);
			int dup = 0;
			for (int j = 0; j < i; j++)
				dup |= strcmp(ax_content_survey(c, j)->id, s->id) == 0;
			if (dup)
				continue;
			dp_fmt(p, "<option value=\"%s\"", s->id);
			if (f->survey && strcmp(f->survey, s->id) == 0)
				dp_raw(p, " selected");
			dp_fmt(p, ">%s</option>", s->title);
		}
	}
	dp_raw(p, "</select></label><label>渠道<select name=\"channel\">"
	          "<option value=\"\">全部渠道</option>");
	for (int i = 0; i < AX_NCHANNELS; i++) {
		dp_fmt(p, "<option value=\"%s\"", ax_channels[i]);
		if (f->channel == ax_channels[i])
			dp_raw(p, " selected");
		dp_fmt(p, ">%s</option>", channel_labels[i]);
	}
	dp_raw(p, "</select></label>");
	pack_select(p, c, f);
	campaign_select(p, st, code, f);
	dp_fmt(p, "<label>开始日期<input type=\"date\" name=\"from\" value=\"%s\"></label>"
	          "<label>结束日期<input type=\"date\" name=\"to\" value=\"%s\"></label>"
	          "<button class=\"btn\" type=\"submit\">筛选</button>",
	       f->from ? f->from : "", f->to ? f->to : "");
	if (f->qs[0])
		dp_fmt(p, "<a class=\"btn alt\" href=\"/region/%s\">清除筛选</a>", code);
	dp_raw(p, "</form>");
}

/* ============================================================ cells == */
static void badge(struct dpage *p, enum dash_badge b)
{
	dp_fmt(p, "<span class=\"badge b-%s\">%s</span>", dash_badge_class(b),
	       dash_badge_label(b));
}

/* A sampled rate: value, badge, then "区间 a–b% · num/den" and, when dk
 * >= 0, the 说不清 answers its denominator leaves out. */
static void rate_cell(struct dpage *p, const struct ax_rate *rt, double target,
                      long long dk)
{
	enum dash_badge b = dash_badge_of(rt, target, 0);

	if (rt->suppressed) { /* too few respondents for this viewer */
		dp_raw(p, "<td><span class=\"r\">" SUPPRESSED_HTML "</span>"
		          "<span class=\"ci\">答题不足 5 人，不显示</span></td>");
		return;
	}
	if (rt->den <= 0) {
		dp_raw(p, "<td><span class=\"r\">—</span>");
		badge(p, b);
		dp_raw(p, "<span class=\"ci\">尚无答卷</span>");
	} else {
		dp_fmt(p, "<td><span class=\"r\">%.1f%%</span>", rt->rate * 100);
		badge(p, b);
		dp_fmt(p, "<span class=\"ci\">区间 %.1f–%.1f%%</span><span class=\"ci\">%lld/%lld</span>",
		       rt->low * 100, rt->high * 100, rt->num, rt->den);
	}
	if (dk >= 0)
		dp_fmt(p, "<span class=\"ci dk\">说不清 %lld 人</span>", dk);
	dp_raw(p, "</td>");
}

/* Coverage is a census of the roster: exact, so no interval. */
/* pack: the pack's 知识宣传入户率 (contacts carrying it) instead of all */
static void coverage_cell(struct dpage *p, const struct ax_report_row *row,
                          int pack)
{
	const struct ax_rate *rt = pack ? &row->coverage_pack : &row->coverage;
	enum dash_badge b = dash_badge_of(rt, AX_TARGET_COVERAGE, 1);

	if (row->households <= 0) {
		dp_raw(p, "<td><span class=\"r\">—</span>");
		badge(p, b);
		dp_raw(p, "<span class=\"ci\">花名册无户</span></td>");
		return;
	}
	dp_fmt(p, "<td><span class=\"r\">%.1f%%</span>", rt->rate * 100);
	badge(p, b);
	dp_fmt(p, "<span class=\"ci\">全数统计</span><span class=\"ci\">%lld/%lld 户</span></td>",
	       pack ? row->reached_pack : row->reached, row->households);
}

/* ============================================================ table == */
/* pack_name: the title of the pack asked for (?pack), or NULL */
static void rates_table(struct dpage *p, const struct ax_report *rep,
                        const struct filters *f, const char *pack_name)
{
	int dk = dk_shown(rep);
	char ta[16], ts[16], tr[16];

	target_text(rep->target_awareness, ta, sizeof ta);
	target_text(rep->target_satisfaction, ts, sizeof ts);
	dp_raw(p, "<div class=\"tbl\"><table><thead><tr>"
	          "<th class=\"name\" scope=\"col\">区域</th><th scope=\"col\">户数</th>"
	          "<th scope=\"col\">已覆盖</th><th scope=\"col\">未覆盖</th>"
	          "<th scope=\"col\">宣传入户率<br><small>目标 100%</small></th>");
	if (pack_name)
		dp_fmt(p, "<th scope=\"col\">知识宣传入户率·%s<br><small>只计带该宣传内容的"
		          "入户</small></th>", pack_name);
	for (int k = 0; k < rep->ntopics; k++)
		dp_fmt(p, "<th scope=\"col\">知晓率·%s<br><small>目标 ≥%s</small></th>",
		       ax_topic_name(rep->topics[k]), ta);
	dp_fmt(p, "<th scope=\"col\">满意度<br><small>目标 ≥%s</small></th>"
	          "<th scope=\"col\">平均分<br><small>满分 5</small></th>",
	       ts);
	for (int k = 0; k < rep->nrates; k++)
		dp_fmt(p, "<th scope=\"col\" class=\"rate\">%s<br><small>目标 ≥%s</small></th>",
		       rep->rates[k].name, target_text(rep->rates[k].target, tr, sizeof tr));
	dp_raw(p, "<th scope=\"col\">答卷</th></tr></thead><tbody>");
	for (int i = 0; i < rep->nrows; i++) {
		const struct ax_report_row *row = &rep->rows[i];
		long long missing = row->households - row->reached;
		if (row->depth == 0)
			dp_fmt(p, "<tr class=\"self\"><td class=\"name\">%s <small>（合计）</small></td>",
			       row->name);
		else {
			dp_fmt(p, "<tr><td class=\"name\"><a href=\"/region/%s", row->code);
			dp_raw(p, f->qs);
			dp_fmt(p, "\">%s</a></td>", row->name);
		}
		dp_fmt(p, "<td>%lld</td><td>%lld</td>", row->households, row->reached);
		if (row->level >= 3 && missing > 0) {
			dp_fmt(p, "<td><a href=\"/grid/%s/unreached", row->code);
			dp_raw(p, f->qs);
			dp_fmt(p, "\" title=\"未覆盖户清单\">%lld</a></td>", missing);
		} else {
			dp_fmt(p, "<td>%lld</td>", missing);
		}
		coverage_cell(p, row, 0);
		if (pack_name)
			coverage_cell(p, row, 1);
		for (int k = 0; k < rep->ntopics; k++)
			rate_cell(p, &row->awareness[k], rep->target_awareness, -1);
		rate_cell(p, &row->satisfaction, rep->target_satisfaction,
		          dk ? row->sat_dont_know : -1);
		if (row->satisfaction.suppressed)
			dp_raw(p, "<td>" SUPPRESSED_HTML "</td>");
		else if (row->satisfaction.den > 0)
			dp_fmt(p, "<td>%.2f</td>", row->mean_score);
		else
			dp_raw(p, "<td>—</td>");
		for (int k = 0; k < rep->nrates; k++)
			rate_cell(p, &row->rates[k], rep->rates[k].target,
			          rep->rates[k].has_dont_know ? row->rates_dont_know[k] : -1);
		dp_fmt(p, "<td>%lld</td></tr>", row->respondents);
	}
	dp_raw(p, "</tbody></table></div>");
	if (dk)
		dp_raw(p, "<p class=\"note\">“说不清”的回答不计入该项的分母（不算满意，也不算不满意）。</p>");
}

/* Some survey's 满意度 is a rate of its own: its rule differs from the
 * headline's (the library never sums them; metrics.h). */
static int sat_apart(const struct ax_report *rep)
{
	for (int k = 0; k < rep->nrates; k++)
		if (strncmp(rep->rates[k].id, "sat@", 4) == 0)
			return 1;
	return 0;
}

/* ===================================================== bar charts == */
/*
 * Charts are HTML grid rows (label | one SVG per bar | value) so the
 * text keeps its size on a phone while the bars stretch; the SVGs use
 * percentage x coordinates, which SVG resolves against the width.
 */
static void bar_axis(struct dpage *p, double target)
{
	dp_raw(p, "<div></div><svg class=\"axis\" aria-hidden=\"true\">"
	          "<text x=\"0\" y=\"13\" font-size=\"12\">0</text>"
	          "<text x=\"50%\" y=\"13\" font-size=\"12\" text-anchor=\"middle\">50%</text>");
	if (target < 0.999)
		dp_fmt(p, "<text x=\"%.1f%%\" y=\"13\" font-size=\"12\" "
		          "text-anchor=\"middle\" font-weight=\"700\">%.0f%%</text>",
		       target * 100, target * 100);
	else
		dp_raw(p, "<text x=\"100%\" y=\"13\" font-size=\"12\" "
		          "text-anchor=\"end\" font-weight=\"700\">100%</text>");
	dp_raw(p, "</svg><div></div>");
}

static void bar_row(struct dpage *p, const char *label, const struct ax_rate *rt,
                    double target, int census)
{
	enum dash_badge b = dash_badge_of(rt, target, census);
	double w = rt->den > 0 ? rt->rate * 100 : 0;

	dp_fmt(p, "<div class=\"lab\" title=\"%s\">%s</div>"
	          "<svg role=\"img\" aria-label=\"%s %.1f%% %s\">",
	       label, label, label, w, dash_badge_label(b));
	/* track, bar, 50 % grid line, 100 % end, target line */
	dp_raw(p, "<rect x=\"0\" y=\"3\" width=\"100%\" height=\"18\" fill=\"#ececec\"/>");
	if (rt->den > 0)
		dp_fmt(p, "<rect class=\"bar-%s\" x=\"0\" y=\"5\" width=\"%.2f%%\" height=\"14\"/>",
		       dash_badge_class(b), w);
	dp_raw(p, "<line x1=\"50%\" x2=\"50%\" y1=\"3\" y2=\"21\" stroke=\"#fff\" stroke-width=\"1\"/>"
	          "<line x1=\"99.8%\" x2=\"99.8%\" y1=\"0\" y2=\"24\" stroke=\"#767676\" stroke-width=\"1\"/>");
	if (target < 0.999)
		dp_fmt(p, "<line x1=\"%.1f%%\" x2=\"%.1f%%\" y1=\"0\" y2=\"24\" stroke=\"#111\" "
		          "stroke-width=\"2\" stroke-dasharray=\"4 3\"/>",
		       target * 100, target * 100);
	else
		dp_raw(p, "<line x1=\"99.6%\" x2=\"99.6%\" y1=\"0\" y2=\"24\" stroke=\"#111\" "
		          "stroke-width=\"2\" stroke-dasharray=\"4 3\"/>");
	if (!census && rt->den > 0) {
		/* the 95 % interval: black whisker on a white halo, readable on
		 * any bar colour */
		double lo = rt->low * 100, hi = rt->high * 100;
		for (int halo = 1; halo >= 0; halo--) {
			const char *col = halo ? "#fff" : "#111";
			int sw = halo ? 5 : 2;
			dp_fmt(p, "<line x1=\"%.2f%%\" x2=\"%.2f%%\" y1=\"12\" y2=\"12\" stroke=\"%s\" stroke-width=\"%d\"/>"
			          "<line x1=\"%.2f%%\" x2=\"%.2f%%\" y1=\"6\" y2=\"18\" stroke=\"%s\" stroke-width=\"%d\"/>"
			          "<line x1=\"%.2f%%\" x2=\"%.2f%%\" y1=\"6\" y2=\"18\" stroke=\"%s\" stroke-width=\"%d\"/>",
			       lo, hi, col, sw, lo, lo, col, sw, hi, hi, col, sw);
		}
	}
	dp_raw(p, "</svg><div class=\"val\">");
	if (rt->suppressed)
		dp_raw(p, SUPPRESSED_HTML);
	else if (rt->den <= 0)
		dp_raw(p, "无数据");
	else if (census)
		dp_fmt(p, "%.1f%% <small>%lld/%lld</small>", w, rt->num, rt->den);
	else
		dp_fmt(p, "%.1f%% <small>[%.0f–%.0f]</small>", w, rt->low * 100,
		       rt->high * 100);
	dp_raw(p, "</div>");
}

static void chart_legend(struct dpage *p, int census)
{
	dp_raw(p, "<div class=\"legend\">"
	          "<span><i class=\"sw\" style=\"background:#0a6b2e\"></i>达标</span>"
	          "<span><i class=\"sw\" style=\"background:#b00020\"></i>未达标</span>");
	if (!census)
		dp_raw(p, "<span><i class=\"sw\" style=\"background:#8c8c8c\"></i>样本不足</span>"
		          "<span>┣━┫ 95% 区间</span>");
	dp_raw(p, "<span>┆ 虚线：目标</span></div>");
}

/* Rows to chart: the children, or the region itself when it has none. */
static void chart_rows(const struct ax_report *rep, int *first, int *last)
{
	*first = 1;
	*last = rep->nrows;
	if (rep->nrows <= 1)
		*first = 0;
}

/* A sampled rate of each charted row against its target: satisfaction
 * when k < 0, else further rate k.  dk_total >= 0 notes the scope's
 * 说不清 answers under the heading. */
static void rate_chart(struct dpage *p, const struct ax_report *rep, int k,
                       const char *name, double target, long long dk_total)
{
	char t[16];
	int a, b;

	chart_rows(rep, &a, &b);
	dp_fmt(p, "<h2>%s（目标 ≥%s） <span class=\"tag\">日常监测</span></h2>", name,
	       target_text(target, t, sizeof t));
	if (dk_total >= 0)
		dp_fmt(p, "<p class=\"note dk\">%s合计：说不清 %lld 人，不计入分母</p>",
		       rep->rows[0].name, dk_total);
	dp_raw(p, "<div class=\"chart\">");
	chart_legend(p, 0);
	dp_raw(p, "<div class=\"bars\">");
	bar_axis(p, target);
	for (int i = a; i < b; i++)
		bar_row(p, rep->rows[i].name,
		        k < 0 ? &rep->rows[i].satisfaction : &rep->rows[i].rates[k],
		        target, 0);
	dp_raw(p, "</div></div>");
}

static void charts(struct dpage *p, const struct ax_report *rep)
{
	const struct ax_report_row *r0 = &rep->rows[0];
	int a, b, dk = dk_shown(rep);
	char t[16];

	chart_rows(rep, &a, &b);
	dp_raw(p, "<h2>宣传入户率（目标 100%） <span class=\"tag\">日常监测</span></h2>"
	          "<div class=\"chart\">");
	chart_legend(p, 1);
	dp_raw(p, "<div class=\"bars\">");
	bar_axis(p, AX_TARGET_COVERAGE);
	for (int i = a; i < b; i++)
		bar_row(p, rep->rows[i].name, &rep->rows[i].coverage, AX_TARGET_COVERAGE, 1);
	dp_raw(p, "</div></div>");

	if (rep->sat_survey[0] || !sat_apart(rep)) /* else all 无数据 */
		rate_chart(p, rep, -1, "满意度", rep->target_satisfaction,
		           dk && !r0->satisfaction.suppressed ? r0->sat_dont_know : -1);
	for (int k = 0; k < rep->nrates; k++)
		rate_chart(p, rep, k, rep->rates[k].name, rep->rates[k].target,
		           rep->rates[k].has_dont_know && !r0->rates[k].suppressed
		               ? r0->rates_dont_know[k]
		               : -1);

	if (rep->ntopics == 0)
		return;
	dp_fmt(p, "<h2>知晓率（目标 ≥%s，按专题） <span class=\"tag\">日常监测</span></h2>"
	          "<div class=\"chart\">",
	       target_text(rep->target_awareness, t, sizeof t));
	chart_legend(p, 0);
	dp_raw(p, "<div class=\"bars\">");
	bar_axis(p, rep->target_awareness);
	for (int i = a; i < b; i++) {
		dp_fmt(p, "<div class=\"grp\">%s</div>", rep->rows[i].name);
		for (int k = 0; k < rep->ntopics; k++)
			bar_row(p, ax_topic_name(rep->topics[k]), &rep->rows[i].awareness[k],
			        rep->target_awareness, 0);
	}
	dp_raw(p, "</div></div>");
}

/* ====================================================== item links == */
/*
 * Beside the awareness figures: each quiz (a survey with scored knowledge
 * questions, latest version) links its item analysis, which says which
 * questions the figures rest on.  County and township staff only, for a
 * county or township (the page refuses the rest: dashboard_items.c).
 */
static void item_links(struct dpage *p, const struct dash_user *u,
                       const ax_content *c, const struct ax_report_row *r0)
{
	int shown = 0;

	if (!c || r0->level > 2 ||
	    (u->u.role != AX_ROLE_COUNTY && u->u.role != AX_ROLE_TOWNSHIP))
		return;
	for (int i = 0; i < ax_content_nsurveys(c); i++) {
		const struct ax_survey *s = ax_content_survey(c, i);
		int quiz = 0;
		if (ax_content_find_survey(c, s->id, 0) != s)
			continue;
		for (int q = 0; q < s->nquestions && !quiz; q++)
			quiz = s->questions[q].type == AX_Q_KNOWLEDGE && s->questions[q].answer;
		if (!quiz)
			continue;
		if (!shown++)
			dp_raw(p, "<p class=\"note noprint\">题目分析（每道题的通过率、区分度和选项分布）：");
		else
			dp_raw(p, " · ");
		dp_fmt(p, "<a href=\"/items/%s?scope=%s\">%s</a>", s->id, r0->code,
		       s->title);
	}
	if (shown)
		dp_raw(p, "</p>");
}

/* ============================================================ trend == */
struct week {
	struct ax_trend_week t;
	struct ax_rate aw, sat;
	struct ax_rate cov; /* 宣传入户率, cumulative to the week's Sunday */
};

/*
 * Twelve ISO weeks (Monday to Sunday, China time) ending with the week of
 * the `to` filter or of today, from one tally query (ax_trend_weeks): the
 * same counts as the report for each week.  The `from` filter does not
 * apply to them (the chart always spans 12 weeks); it is where the
 * cumulative 宣传入户率 starts counting (else the first week's Monday),
 * with the report's contact kinds: each week's point is the report's
 * coverage for from..that Sunday.
 */
static int build_trend(ax_store *st, const char *code, const struct filters *f,
                       int below, int kinds, const struct ax_campaign *camp,
                       struct week w[TREND_WEEKS])
{
	struct ax_trend_week t[TREND_WEEKS];
	long long hh, reached[TREND_WEEKS];

	if (ax_trend_weeks(st, code, f->survey, f->channel, f->to, TREND_WEEKS, t) ||
	    ax_coverage_weeks(st, code, kinds, f->from, f->to, TREND_WEEKS, camp,
	                      &hh, reached))
		return -1;
	for (int i = 0; i < TREND_WEEKS; i++) {
		w[i].t = t[i];
		/* no point for a week that ended before the count started */
		if (!f->from || strcmp(t[i].to, f->from) >= 0)
			ax_rate_census(&w[i].cov, reached[i], hh);
		else
			memset(&w[i].cov, 0, sizeof w[i].cov);
		ax_rate_make(&w[i].aw, t[i].aw_num, t[i].aw_den);
		ax_rate_make(&w[i].sat, t[i].sat_num, t[i].sat_den);
		/* a week of a grid is a small cell too */
		ax_rate_suppress(&w[i].aw, t[i].aw_den, below);
		ax_rate_suppress(&w[i].sat, t[i].sat_den, below);
	}
	return 0;
}

/* The trend is two panels sharing the weeks: rates on top (y 12 for
 * 100 % to 132 for 0 %), answer counts below (bars standing on y 208). */
#define TREND_BAR_BASE 208
#define TREND_BAR_MAX 52

static double ty(double rate)
{
	return 132 - rate * 120;
}

static double tx(int i)
{
	return 9 + (90.0 / TREND_WEEKS) * (i + 0.5);
}

/* which: 0 awareness, 1 satisfaction, 2 coverage (cumulative) */
static const struct ax_rate *week_rate(const struct week *w, int which)
{
	return which == 2 ? &w->cov : which ? &w->sat : &w->aw;
}

static void trend_series(struct dpage *p, const struct week w[TREND_WEEKS],
                         int which, const char *colour)
{
	static const char *const names[] = {"知晓率", "满意度", "宣传入户率（累计）"};
	int prev = -1;
	for (int i = 0; i < TREND_WEEKS; i++) {
		const struct ax_rate *r = week_rate(&w[i], which);
		if (r->den <= 0) {
			prev = -1;
			continue;
		}
		if (prev >= 0) {
			const struct ax_rate *q = week_rate(&w[prev], which);
			dp_fmt(p, "<line x1=\"%.2f%%\" y1=\"%.1f\" x2=\"%.2f%%\" y2=\"%.1f\" "
			          "stroke=\"%s\" stroke-width=\"3\"/>",
			       tx(prev), ty(q->rate), tx(i), ty(r->rate), colour);
		}
		prev = i;
	}
	for (int i = 0; i < TREND_WEEKS; i++) {
		const struct ax_rate *r = week_rate(&w[i], which);
		if (r->den <= 0)
			continue;
		/* hollow: fewer than 30 answers (a census count never is);
		 * coverage a square, told apart without colour */
		if (which == 2)
			dp_fmt(p, "<rect x=\"%.2f%%\" y=\"%.1f\" width=\"9\" height=\"9\" "
			          "transform=\"translate(-4.5 0)\" fill=\"%s\"><title>至 %s %s: "
			          "%.1f%% (%lld/%lld 户)</title></rect>",
			       tx(i), ty(r->rate) - 4.5, colour, w[i].t.to, names[which],
			       r->rate * 100, r->num, r->den);
		else
			dp_fmt(p, "<circle cx=\"%.2f%%\" cy=\"%.1f\" r=\"5\" fill=\"%s\" "
			          "stroke=\"%s\" stroke-width=\"2.5\"><title>%s %s: %.1f%% (%lld/%lld)</title></circle>",
			       tx(i), ty(r->rate), r->small_sample ? "#fff" : colour, colour,
			       w[i].t.from, names[which], r->rate * 100, r->num, r->den);
	}
}

/* A dashed target line across the rate panel, labelled on the axis
 * unless label is 0 (a second target too close to the first to read). */
static void trend_target(struct dpage *p, double target, int label)
{
	char t[16];

	dp_fmt(p, "<line x1=\"9%%\" x2=\"99%%\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#111\" "
	          "stroke-width=\"2\" stroke-dasharray=\"6 4\"/>",
	       ty(target), ty(target));
	if (label)
		dp_fmt(p, "<text x=\"8%%\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\" "
		          "font-weight=\"700\">%s</text>",
		       ty(target) + 8, target_text(target, t, sizeof t));
}

/* ta, ts: the awareness and satisfaction targets of the report. */
static void trend(struct dpage *p, ax_store *st, const char *code,
                  const struct filters *f, const struct ax_report *rep)
{
	double ta = rep->target_awareness, ts = rep->target_satisfaction;
	struct week w[TREND_WEEKS];
	long long max = 0;
	char legend[96], a[16], s[16];

	struct ax_campaign *v = NULL, *camp = NULL;
	int nv = 0, failed, of_camp;

	/* a campaign's page: its coverage line is the campaign's (its roster
	 * as it stood, its scope, its close), ending on the headline figure */
	if (rep->campaign_id[0] && ax_campaign_list(st, 0, 0, &v, &nv) == AX_OK)
		for (int i = 0; i < nv && !camp; i++)
			if (strcmp(v[i].id, rep->campaign_id) == 0)
				camp = &v[i];
	failed = build_trend(st, code, f, rep->suppress_below, rep->contact_kinds,
	                     camp, w);
	of_camp = camp != NULL;
	ax_free(v);
	if (failed) {
		dp_raw(p, "<h2>趋势</h2><p class=\"msg err\">暂时无法计算趋势。</p>");
		return;
	}
	for (int i = 0; i < TREND_WEEKS; i++)
		if (w[i].t.respondents > max)
			max = w[i].t.respondents;
	target_text(ta, a, sizeof a);
	target_text(ts, s, sizeof s);
	if (strcmp(a, s) == 0)
		snprintf(legend, sizeof legend, "┆ 虚线：%s 目标", a);
	else
		snprintf(legend, sizeof legend, "┆ 虚线：目标（知晓率 %s，满意度 %s）", a, s);
	dp_fmt(p, "<h2>近 %d 周趋势 <span class=\"tag\">日常监测</span></h2><div class=\"chart trend\">"
	          "<div class=\"legend\">"
	          "<span><i class=\"sw\" style=\"background:#0a6b2e\"></i>知晓率（各专题合计）</span>"
	          "<span><i class=\"sw\" style=\"background:#6a1b9a\"></i>满意度</span>"
	          "<span><i class=\"sw\" style=\"background:#b35c00\"></i>宣传入户率"
	          "（%s自 %s 起累计，方点，目标 100%%）</span>"
	          "<span>空心点：样本不足 30</span><span>%s</span>"
	          "<span><i class=\"sw\" style=\"background:#c5d5ee\"></i>每周答卷数</span></div>",
	       TREND_WEEKS, of_camp ? "本活动的户，" : "", f->from ? f->from : w[0].t.from,
	       legend);
	dp_raw(p, "<svg role=\"img\" aria-label=\"每周知晓率、满意度、累计宣传入户率和答卷数\">");
	/* rate panel: grid, labels, the targets (one line when they agree) */
	{
		const double ticks[] = {0, 0.5, 1};
		for (int t = 0; t < 3; t++)
			dp_fmt(p, "<line x1=\"9%%\" x2=\"99%%\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#bbb\"/>"
			          "<text x=\"8%%\" y=\"%.1f\" font-size=\"12\" text-anchor=\"end\">%.0f%%</text>",
			       ty(ticks[t]), ty(ticks[t]), ty(ticks[t]) + 4, ticks[t] * 100);
		trend_target(p, 1.0, 0); /* 宣传入户率's 100 %: the top line */
		trend_target(p, ta, 1);
		if (strcmp(a, s) != 0)
			/* 12 px apart at least, or the labels overprint */
			trend_target(p, ts, ty(ts) - ty(ta) >= 12 || ty(ta) - ty(ts) >= 12);
	}
	/* count panel */
	dp_fmt(p, "<line x1=\"9%%\" x2=\"99%%\" y1=\"%d\" y2=\"%d\" stroke=\"#111\"/>"
	          "<text x=\"8%%\" y=\"%d\" font-size=\"12\" text-anchor=\"end\">答卷</text>",
	       TREND_BAR_BASE, TREND_BAR_BASE, TREND_BAR_BASE - 4);
	for (int i = 0; i < TREND_WEEKS; i++) {
		double bw = 90.0 / TREND_WEEKS * 0.6;
		double h = max > 0 ? (double)w[i].t.respondents / (double)max * TREND_BAR_MAX : 0;
		const char *odd = (TREND_WEEKS - 1 - i) % 2 ? " class=\"wk-odd\"" : "";
		if (w[i].t.respondents > 0)
			dp_fmt(p, "<rect x=\"%.2f%%\" y=\"%.1f\" width=\"%.2f%%\" height=\"%.1f\" "
			          "fill=\"#c5d5ee\" stroke=\"#0b3d91\" stroke-width=\"1\"><title>%s–%s 答卷 %lld 份</title></rect>"
			          "<text class=\"cnt\" x=\"%.2f%%\" y=\"%.1f\" font-size=\"11\" "
			          "text-anchor=\"middle\">%lld</text>",
			       tx(i) - bw / 2, TREND_BAR_BASE - h, bw, h, w[i].t.from, w[i].t.to,
			       w[i].t.respondents, tx(i), TREND_BAR_BASE - h - 3, w[i].t.respondents);
		dp_raw(p, "<text");
		dp_raw(p, odd);
		dp_fmt(p, " x=\"%.2f%%\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>",
		       tx(i), TREND_BAR_BASE + 17, w[i].t.from + 5);
		dp_raw(p, "<text");
		dp_raw(p, odd);
		dp_fmt(p, " x=\"%.2f%%\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\" "
		          "fill=\"#3d3d3d\">第%d周</text>",
		       tx(i), TREND_BAR_BASE + 32, w[i].t.isoweek);
	}
	trend_series(p, w, 2, "#b35c00");
	trend_series(p, w, 0, "#0a6b2e");
	trend_series(p, w, 1, "#6a1b9a");
	dp_raw(p, "</svg>");
	/* the numbers behind the chart, for readers and for print */
	dp_raw(p, "<details><summary>查看每周数据</summary><div class=\"tbl\"><table>"
	          "<thead><tr><th class=\"l\">周（周一至周日）</th><th>答卷</th>"
	          "<th>知晓率（合计）</th><th>满意度</th><th>宣传入户率（累计至周日）</th>"
	          "</tr></thead><tbody>");
	for (int i = 0; i < TREND_WEEKS; i++) {
		dp_fmt(p, "<tr><td class=\"l\">%s 至 %s（第%d周）</td><td>%lld</td>",
		       w[i].t.from, w[i].t.to, w[i].t.isoweek, w[i].t.respondents);
		rate_cell(p, &w[i].aw, ta, -1);
		rate_cell(p, &w[i].sat, ts, -1);
		if (w[i].cov.den > 0)
			dp_fmt(p, "<td><span class=\"r\">%.1f%%</span><span class=\"ci\">"
			          "%lld/%lld 户</span></td>",
			       w[i].cov.rate * 100, w[i].cov.num, w[i].cov.den);
		else
			dp_raw(p, "<td><span class=\"r\">—</span></td>");
		dp_raw(p, "</tr>");
	}
	dp_raw(p, "</tbody></table></div></details>");
	if (f->from)
		dp_raw(p, "<p class=\"note\">趋势图固定显示 12 周；开始日期只决定累计宣传入户率"
		          "从哪天起算。</p>");
	else
		dp_raw(p, "<p class=\"note\">累计宣传入户率：自本图第一周周一起，到每周周日为止"
		          "入户宣传过的户数占花名册户数；选开始日期可从活动开始算起。</p>");
	dp_raw(p, "</div>");
}

/* ============================================================ cards == */
/* A headline figure; b < 0: no badge. */
static void card(struct dpage *p, const char *title, const char *value, int b,
                 const char *sub)
{
	dp_fmt(p, "<div class=\"kpi\"><div class=\"k\">%s</div><div class=\"v\">%s", title,
	       value);
	if (b >= 0)
		badge(p, (enum dash_badge)b);
	dp_fmt(p, "</div><div class=\"s\">%s</div></div>", sub);
}

/* " · 说不清 N 人，不计入分母" appended to s when dk >= 0. */
static void dk_note(char *s, size_t n, long long dk)
{
	size_t len = strlen(s);

	if (dk >= 0 && len < n)
		snprintf(s + len, n - len, " · 说不清 %lld 人，不计入分母", dk);
}

/* The card of a sampled rate: value, badge, interval, num/den. */
static void rate_card(struct dpage *p, const char *title, const struct ax_rate *rt,
                      double target, long long dk)
{
	char v[32], s[160];

	snprintf(v, sizeof v, rt->den ? "%.1f%%" : "—", rt->rate * 100);
	if (rt->suppressed) {
		snprintf(v, sizeof v, "%s", AX_SUPPRESSED_TEXT);
		snprintf(s, sizeof s, "答题不足 5 人，不显示");
		dk = -1;
	} else if (rt->den)
		snprintf(s, sizeof s, "区间 %.1f–%.1f%% · %lld/%lld", rt->low * 100,
		         rt->high * 100, rt->num, rt->den);
	else
		snprintf(s, sizeof s, "尚无答卷");
	dk_note(s, sizeof s, dk);
	card(p, title, v, (int)dash_badge_of(rt, target, 0), s);
}

static void cards(struct dpage *p, const struct ax_report *rep,
                  const char *pack_name)
{
	const struct ax_report_row *r0 = &rep->rows[0];
	char v[32], s[160];
	int met = 0, judged = 0;

	dp_raw(p, "<div class=\"kpis\">");
	snprintf(v, sizeof v, r0->households ? "%.1f%%" : "—", r0->coverage.rate * 100);
	snprintf(s, sizeof s, "已覆盖 %lld / %lld 户", r0->reached, r0->households);
	card(p, "宣传入户率", v, (int)dash_badge_of(&r0->coverage, AX_TARGET_COVERAGE, 1), s);
	if (pack_name) {
		char t[300];
		snprintf(t, sizeof t, "知识宣传入户率（%s）", pack_name);
		snprintf(v, sizeof v, r0->households ? "%.1f%%" : "—",
		         r0->coverage_pack.rate * 100);
		snprintf(s, sizeof s, "带该宣传内容覆盖 %lld / %lld 户", r0->reached_pack,
		         r0->households);
		card(p, t, v, (int)dash_badge_of(&r0->coverage_pack,
		                                 AX_TARGET_COVERAGE, 1), s);
	}
	snprintf(v, sizeof v, r0->satisfaction.den ? "%.1f%%" : "—",
	         r0->satisfaction.rate * 100);
	if (r0->satisfaction.suppressed)
		snprintf(v, sizeof v, "%s", AX_SUPPRESSED_TEXT);
	if (r0->satisfaction.suppressed)
		snprintf(s, sizeof s, "答题不足 5 人，不显示");
	else if (r0->satisfaction.den)
		snprintf(s, sizeof s, "区间 %.1f–%.1f%% · 平均分 %.2f",
		         r0->satisfaction.low * 100, r0->satisfaction.high * 100,
		         r0->mean_score);
	else if (!rep->sat_survey[0] && sat_apart(rep))
		snprintf(s, sizeof s, "各问卷口径不同，分别列出，不相加");
	else
		snprintf(s, sizeof s, "尚无答卷");
	dk_note(s, sizeof s, dk_shown(rep) && !r0->satisfaction.suppressed
	                         ? r0->sat_dont_know : -1);
	card(p, "满意度", v, (int)dash_badge_of(&r0->satisfaction, rep->target_satisfaction, 0), s);
	for (int k = 0; k < rep->nrates; k++)
		rate_card(p, rep->rates[k].name, &r0->rates[k], rep->rates[k].target,
		          rep->rates[k].has_dont_know ? r0->rates_dont_know[k] : -1);
	for (int k = 0; k < rep->ntopics; k++) {
		enum dash_badge b = dash_badge_of(&r0->awareness[k], rep->target_awareness, 0);
		judged += b != DASH_NODATA;
		met += b == DASH_MET;
	}
	snprintf(v, sizeof v, "%d / %d", met, rep->ntopics);
	snprintf(s, sizeof s, "知晓率达标的专题（%d 个有答卷）", judged);
	/* the row's one verdict over every topic, as in every export */
	card(p, "知晓率达标专题", v,
	     (int)dash_badge_verdict(r0->verdict_awareness), s);
	snprintf(v, sizeof v, "%lld", r0->respondents);
	snprintf(s, sizeof s, "一体机 %lld · 短信 %lld · 入户 %lld",
	         r0->respondents_by_channel[0], r0->respondents_by_channel[1],
	         r0->respondents_by_channel[2]);
	card(p, "答卷人数", v, -1, s);
	dp_raw(p, "</div>");
}

/* ============================================================= page == */
static void breadcrumbs(struct dpage *p, ax_store *st, const struct dash_user *u,
                        const char *code, const struct filters *f)
{
	struct ax_region chain[6];
	int n = 0;
	char at[24];

	snprintf(at, sizeof at, "%s", code);
	while (n < 6 && at[0] && ax_region_get(st, at, &chain[n]) == AX_OK) {
		snprintf(at, sizeof at, "%s", chain[n].parent);
		n++;
	}
	dp_raw(p, "<nav class=\"crumbs\" aria-label=\"区域层级\">");
	for (int i = n - 1; i >= 1; i--) {
		if (ax_scope_covers(u->u.scope, chain[i].code)) {
			dp_fmt(p, "<a href=\"/region/%s", chain[i].code);
			dp_raw(p, f->qs);
			dp_fmt(p, "\">%s</a> › ", chain[i].name);
		} else {
			dp_fmt(p, "%s › ", chain[i].name);
		}
	}
	dp_raw(p, "</nav>");
}

static void downloads(struct dpage *p, const char *code, const struct filters *f)
{
	static const char *const fmts[][2] = {
		{"xlsx", "下载台账 XLSX（汇总、入户宣传明细、问卷结果）"},
		{"csv", "下载汇总 CSV"},
		{"json", "JSON"},
	};
	dp_raw(p, "<h2>下载</h2><div class=\"dl\">");
	for (int i = 0; i < 3; i++) {
		dp_fmt(p, "<a class=\"btn%s\" href=\"/api/v1/report?scope=%s&amp;format=%s",
		       i ? " alt" : "", code, fmts[i][0]);
		if (f->qs[0]) {
			dp_raw(p, "&amp;");
			dp_raw(p, f->qs + 1);
		}
		dp_fmt(p, "\">%s</a>", fmts[i][1]);
	}
	/* contacts ignore the survey and channel filters: only the window */
	dp_fmt(p, "<a class=\"btn alt\" href=\"/export/contacts.csv?scope=%s", code);
	if (f->from)
		dp_fmt(p, "&amp;from=%s", f->from);
	if (f->to)
		dp_fmt(p, "&amp;to=%s", f->to);
	dp_raw(p, "\">下载入户宣传明细 CSV</a></div>");
}

static void footnote(struct dpage *p, const struct ax_report *rep,
                     const ax_content *c)
{
	dp_raw(p, "<h2>怎么读这些数字</h2><ul class=\"note\">"
	          "<li>宣传入户率按花名册全数统计（每一户都算，不是抽样），"
	          "所以不给区间，差一户即“未达标”。</li>"
	          "<li>知晓率、满意度来自答卷，是抽样：括号里是 95% 置信区间。</li>"
	          "<li>每户每份问卷在所选时间内只计一次（最早完成的一份），"
	          "不论答在哪一轮。</li>"
	          "<li>“样本不足”：答卷少于 30 份，且区间仍够得着目标——"
	          "看起来达标也不能算数，需继续收集答卷；若连区间上限都低于目标，"
	          "即使样本少也判“未达标”。</li>"
	          "<li>上级的数字由下级的户数和答卷数相加得出，从不把百分比平均。</li>");
	if (rep->channel[0])
		dp_fmt(p, "<li>按渠道（%s）筛选时，宣传入户率只计经这个渠道联系到的户，"
		          "未覆盖户清单同样只看这个渠道。</li>",
		       channel_label(rep->channel));
	if (rep->suppress_below)
		dp_raw(p, "<li>“" SUPPRESSED_HTML "”：答题不足 5 人的格子不显示比率和人数，"
		          "以免看出某一户的回答；个人答卷只有县级账号能看。"
		          "覆盖情况（哪些户已宣传到）照常显示。</li>");
	if (dk_shown(rep))
		dp_raw(p, "<li>安全感等测评项和满意度一样来自答卷、给出区间；"
		          "各项按问卷规定的目标判断达标。回答“说不清”的人单独计数，"
		          "不计入分母。</li>");
	if (sat_apart(rep)) {
		if (rep->sat_survey[0])
			dp_fmt(p, "<li>“满意度”按《%s》的口径（哪些选项算满意、“说不清”是否"
			          "计入分母）。口径不同的问卷单列为“满意度（问卷名）”，"
			          "不同口径的数字从不相加。</li>",
			       dash_survey_title(c, rep->sat_survey));
		else
			dp_raw(p, "<li>各问卷的满意度口径不同（哪些选项算满意、“说不清”是否"
			          "计入分母），分别列为“满意度（问卷名）”，不相加；"
			          "县里指定正式测评问卷后，以它为总的满意度。</li>");
	}
	dp_raw(p, "<li>一体机和短信答卷是自愿作答，请结合上方活动漏斗中的回复率阅读。</li>"
	          "<li>“日常监测”是谁愿意答谁答：常来一体机的、愿意回短信的人更多，"
	          "往往比全体居民更满意。“抽样测评”是随机抽中的户、按抽样比例加权"
	          "得出的估计，和统计部门测评的做法一致，并给出应答率。两种数字"
	          "来源不同、结果不同是正常的，从不相加或混在一个数字里；考核对标"
	          "请看抽样测评。</li></ul>");
}

enum MHD_Result dash_region_page(struct ct_req *r, const struct dash_user *u,
                                 const char *code)
{
	ax_store *st = ct_store(r->srv);
	struct ax_report_opts o = {0};
	struct ax_report *rep = NULL;
	ax_content *content = NULL;
	struct filters f;
	struct dpage p;
	const struct ax_report_row *r0;
	const char *pack_name = NULL;
	ax_rc rc;

	if (!ax_scope_covers(u->u.scope, code))
		return dash_error(r, u, MHD_HTTP_FORBIDDEN, "无权查看",
		                  "区域 %s 不在您负责的范围内。", code);
	if (read_filters(r, &f))
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "筛选条件有误",
		                  "渠道应为一体机、短信或入户走访，宣传内容应为已安装内容的编号，"
		                  "日期应为 年-月-日。");
	o.scope = code;
	o.depth = 1;
	/* answers stay confidential below the county role (metrics.h) */
	o.suppress_below = u->u.role == AX_ROLE_COUNTY ? 0 : AX_SUPPRESS_BELOW;
	o.survey = f.survey;
	o.channel = f.channel;
	o.from = f.from;
	o.to = f.to;
	/* ?pack=family-safety: the 知识宣传入户率 of that pack beside it */
	o.pack = f.pack;
	o.campaign = f.campaign;
	rc = ax_report_build(st, &o, &rep);
	if (rc == AX_NOTFOUND)
		return dash_error(r, u, MHD_HTTP_NOT_FOUND, "区域不存在",
		                  "没有代码为 %s 的区域。", code);
	if (rc == AX_INVALID)
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "筛选条件有误",
		                  "请检查筛选条件：日期应为存在的日期（年-月-日），"
		                  "开始日期不晚于结束日期，问卷须已安装。（%s）",
		                  ax_store_errmsg(st));
	if (rc || rep->nrows < 1) {
		ax_report_free(rep);
		return dash_error(r, u, ct_status_for(rc ? rc : AX_ERROR), "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	}
	if (dp_open(&p)) {
		ax_report_free(rep);
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	r0 = &rep->rows[0];
	if (ax_content_load_store(st, &content))
		content = NULL; /* titles fall back to ids */
	if (f.pack && content && !(pack_name = pack_title(content, f.pack))) {
		dp_discard(&p);
		ax_content_free(content);
		ax_report_free(rep);
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "筛选条件有误",
		                  "没有安装宣传内容 %s：请在“宣传内容”中选择已安装的内容。",
		                  f.pack);
	}
	if (f.pack && !pack_name)
		pack_name = f.pack;
	dp_begin(&p, r0->name, u, "region");
	dp_raw(&p, "<div class=\"wide\">");
	breadcrumbs(&p, st, u, code, &f);
	dp_fmt(&p, "<h1>%s <small class=\"note\">%s · %s</small></h1>", r0->name,
	       level_name(r0->level), r0->code);
	dp_fmt(&p, "<p class=\"note\">问卷：%s · 渠道：%s · 时间：%s 至 %s</p>",
	       f.survey ? dash_survey_title(content, f.survey) : "全部", channel_label(f.channel),
	       f.from ? f.from : "开始", f.to ? f.to : "今天");
	filter_form(&p, st, content, code, &f);
	if (rep->campaign_id[0])
		dp_fmt(&p, "<p class=\"msg\" role=\"status\">活动「%s」：按这次活动的范围、"
		           "时间（%s 至 %s）、轮次和计入的宣传方式统计，户数为活动期间花名册上的户。%s</p>",
		       rep->campaign_name, rep->from, rep->to,
		       rep->campaign_closed_at > 0 ? "活动已关闭，数字已冻结；关闭后收到的记录另计为晚到。"
		                                   : "活动未关闭，数字还会随新记录变化。");
	dp_raw(&p, "<h2>日常监测 <small class=\"note\">自愿作答的答卷（一体机、短信、"
	           "入户走访），不含抽样测评</small></h2>");
	cards(&p, rep, pack_name);
	if (r0->level >= 3 && r0->households > r0->reached) {
		dp_fmt(&p, "<p class=\"noprint\"><a class=\"btn\" href=\"/grid/%s/unreached", code);
		dp_raw(&p, f.qs);
		dp_fmt(&p, "\">未覆盖户清单（%lld 户）</a></p>", r0->households - r0->reached);
	}
	dp_fmt(&p, "<h2>%s及%s <span class=\"tag\">日常监测</span></h2>", r0->name,
	       rep->nrows > 1 ? "下级区域" : "（无下级区域）");
	rates_table(&p, rep, &f, pack_name);
	dash_below(&p, st, &o, r0->level, f.qs);
	charts(&p, rep);
	item_links(&p, u, content, r0);
	{
		/* a campaign's coverage is counted from its start */
		struct filters tf = f;
		if (rep->campaign_id[0] && !tf.from && rep->from[0])
			tf.from = rep->from;
		trend(&p, st, code, &tf, rep);
	}
	dash_sampled(&p, st, code, f.survey, u->u.scope, rep->suppress_below);
	dash_funnels(&p, st, content, code);
	dash_ended_campaigns(&p, st, code);
	downloads(&p, code, &f);
	footnote(&p, rep, content);
	dp_raw(&p, "</div>");
	dp_end(&p);
	ax_content_free(content);
	ax_report_free(rep);
	return dp_send(r, &p, MHD_HTTP_OK, NULL);
}
