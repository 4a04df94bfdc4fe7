/*
 * dashboard_campaigns.c -- the region page's campaigns
 * (dashboard_region.c): the funnel of each campaign open in the region,
 * with its estimate of the days left at its pace, and the campaigns that
 * ended there.  Every number comes from ax_funnel_build.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/funnel.h"
#include "dashboard_int.h"

/* =========================================================== funnel == */
/* 1 if any code of the campaign's scope overlaps region `code`. */
int dash_campaign_touches(const struct ax_campaign *c, const char *code)
{
	const char *s = c->scope;
	while (*s) {
		size_t n = strcspn(s, ",");
		char one[32];
		snprintf(one, sizeof one, "%.*s", (int)(n < 31 ? n : 31), s);
		if (ax_region_covers(one, code) || ax_region_covers(code, one))
			return 1;
		s += n;
		if (*s == ',')
			s++;
	}
	return 0;
}

static void funnel_row(struct dpage *p, const char *label, long long v,
                       long long top, long long prev)
{
	double share = top > 0 ? (double)v / (double)top * 100 : 0;

	dp_fmt(p, "<div class=\"lab\">%s</div><svg role=\"img\" aria-label=\"%s %lld 户\">"
	          "<rect x=\"0\" y=\"3\" width=\"100%%\" height=\"18\" fill=\"#ececec\"/>"
	          "<rect x=\"0\" y=\"3\" width=\"%.2f%%\" height=\"18\" fill=\"#0b3d91\"/></svg>"
	          "<div class=\"val\">%lld 户 <small>%.1f%%",
	       label, label, v, share, v, share);
	if (prev >= 0 && prev != top)
		dp_fmt(p, "，上一步的 %.0f%%", prev > 0 ? (double)v / (double)prev * 100 : 0);
	dp_raw(p, "</small></div>");
}

/* "16.0 小时" under a day, else "3.5 天". */
static void est_span(double days, char *buf, size_t n)
{
	ax_campaign_span(days, "小时", "天", buf, n);
}

/* How long the campaign needs on the county's SMS gateways that serve
 * it (each counted as one modem), and a warning when its window is too
 * short (ax_campaign_estimate). */
static void estimate(struct dpage *p, ax_store *st, const struct ax_campaign *c)
{
	struct ax_device *d = NULL;
	struct ax_campaign_est e;
	int nd = 0, gws = 0;
	char reach[32], whole[32], window[32];

	if (ax_device_list(st, &d, &nd) == AX_OK)
		for (int k = 0; k < nd; k++)
			gws += strcmp(d[k].kind, "smsd") == 0 && !d[k].revoked_at &&
			       ax_campaign_meets(c, d[k].scope);
	ax_free(d);
	if (ax_campaign_estimate(st, c, gws, &e) || !e.households || !e.reach_msgs)
		return;
	est_span(e.reach_days, reach, sizeof reach);
	est_span(e.whole_days, whole, sizeof whole);
	est_span(e.window_days, window, sizeof window);
	dp_fmt(p, "<p class=\"note\">预计：按 %d 台短信网关、每台每分钟 %d 条、每天免打扰时段外 %d 分钟、"
	          "每卡每天 %d 段计，%lld 户都收到第一条（每户 %d 条短信）%s %s%s；",
	       e.modems, c->pace_per_min, e.send_minutes, c->daily_cap, e.households,
	       e.reach_msgs, c->survey[0] ? "至少需" : "约需", reach,
	       c->survey[0] ? "（居民作答后的下一题也占每日上限，答的人越多越久）" : "");
	if (c->survey[0] && e.digests)
		dp_fmt(p, "人人当即作答时，整份问卷（%d 题）和之后的 %d 条宣传短信（每户每天至多一条）"
		          "全部发完约需 %s。</p>",
		       e.questions, e.digests, whole);
	else if (c->survey[0])
		dp_fmt(p, "人人当即作答时，整份问卷（%d 题）全部发完约需 %s。</p>", e.questions,
		       whole);
	else
		dp_fmt(p, "全部 %d 条宣传短信（每户每天至多一条）发完约需 %s。</p>", e.digests,
		       whole);
	if (e.too_short)
		dp_fmt(p, "<p class=\"msg err\" role=\"alert\">活动时间只有 %s，不够发到每一户"
		          "（约需 %s）：请延长活动、增加短信网关，或在运营商允许的范围内提高发送速度和每日上限。</p>",
		       window, reach);
}

void dash_funnels(struct dpage *p, ax_store *st, const ax_content *content,
                    const char *code)
{
	struct ax_campaign *v = NULL;
	int n = 0, shown = 0;
	char a[20], b[20];

	dp_raw(p, "<h2>进行中的活动：短信漏斗 <span class=\"tag\">日常监测</span></h2>");
	if (ax_campaign_list(st, 1, (long long)time(NULL), &v, &n)) {
		dp_raw(p, "<p class=\"msg err\">暂时无法读取活动。</p>");
		return;
	}
	for (int i = 0; i < n; i++) {
		struct ax_funnel fu;
		/* a sampled 测评 has its own section (dashboard_sample.c) */
		if (v[i].sample_n > 0 || !dash_campaign_touches(&v[i], code) ||
		    ax_funnel_build(st, &v[i], code, &fu) != AX_OK)
			continue;
		shown++;
		dash_cst_time(v[i].starts_at, a, sizeof a);
		dash_cst_time(v[i].ends_at, b, sizeof b);
		dp_fmt(p, "<h3>%s</h3><p class=\"note\">%s%s%s%s · %s 至 %s · 本区域内 %lld 户，目标户指其中留有手机号码的户</p>",
		       v[i].name, v[i].survey[0] ? "问卷：" : "仅宣传",
		       v[i].survey[0] ? dash_survey_title(content, v[i].survey) : "",
		       v[i].packs[0] ? " · 宣传包：" : "", v[i].packs, a, b, fu.households);
		dp_raw(p, "<div class=\"chart funnel\"><div class=\"bars\">");
		funnel_row(p, "目标户", fu.targeted, fu.targeted, -1);
		funnel_row(p, "已发送", fu.sent, fu.targeted, fu.targeted);
		funnel_row(p, "已送达", fu.delivered, fu.targeted, fu.sent);
		funnel_row(p, "已回复", fu.replied, fu.targeted, fu.delivered);
		if (v[i].survey[0]) {
			funnel_row(p, "已答题", fu.answered, fu.targeted, fu.replied);
			funnel_row(p, "短信完成问卷", fu.completed, fu.targeted, fu.answered);
		}
		dp_raw(p, "</div>");
		if (v[i].survey[0])
			dp_fmt(p, "<p class=\"note\">所有渠道（一体机、短信、入户）完成本次问卷共 %lld 户。"
			          "回复率 %.1f%%：短信和一体机的答卷是自愿作答，满意度仅作内部监测，"
			          "不等同于统计部门的正式测评。</p>",
			       fu.completed_any,
			       fu.targeted > 0 ? (double)fu.replied / (double)fu.targeted * 100 : 0);
		if (v[i].survey[0]) {
			long long med, nmed;
			if (ax_campaign_median_completion(st, &v[i], code, &med, &nmed) == AX_OK &&
			    nmed > 0)
				dp_fmt(p, "<p class=\"note\">短信问卷从开场到答完用时中位数 %lld 分 %lld 秒"
				          "（%lld 份）。</p>",
				       med / 60, med % 60, nmed);
		}
		estimate(p, st, &v[i]);
		dp_raw(p, "</div>");
	}
	ax_free(v);
	if (!shown)
		dp_raw(p, "<p class=\"note\">本区域暂无进行中的活动。</p>");
}

/* Campaigns that ended (closed, or past their end date), newest first,
 * at most 10, with their final funnel: a closed campaign's figures are
 * frozen at its close and what arrived later is counted apart (晚到). */
void dash_ended_campaigns(struct dpage *p, ax_store *st, const char *code)
{
	struct ax_campaign *v = NULL;
	long long now = (long long)time(NULL);
	int n = 0, shown = 0;

	if (ax_campaign_list(st, 0, now, &v, &n))
		return;
	for (int i = n - 1; i >= 0 && shown < 10; i--) {
		struct ax_funnel fu;
		char a[20], b[20], c[20];
		int closed = v[i].closed_at > 0;
		if (v[i].sample_n > 0 || (!closed && v[i].ends_at > now) ||
		    !dash_campaign_touches(&v[i], code) ||
		    ax_funnel_build(st, &v[i], code, &fu) != AX_OK)
			continue;
		if (!shown++)
			dp_raw(p, "<h2>已结束的活动：最终数字</h2><div class=\"tbl\"><table><thead><tr>"
			          "<th class=\"l\">活动</th><th class=\"l\">时间</th><th class=\"l\">状态</th>"
			          "<th>目标户</th><th>已送达</th><th>已回复</th><th>完成问卷<br>"
			          "<small>所有渠道</small></th><th>晚到<br><small>关闭后收到，"
			          "不计入</small></th><th>本次活动台账</th></tr></thead><tbody>");
		dash_cst_time(v[i].starts_at, a, sizeof a);
		dash_cst_time(v[i].ends_at, b, sizeof b);
		if (closed)
			dash_cst_time(v[i].closed_at, c, sizeof c);
		dp_fmt(p, "<tr><td class=\"l\">%s</td><td class=\"l\">%s 至 %s</td>"
		          "<td class=\"l\">%s%s</td><td>%lld</td><td>%lld</td><td>%lld</td>",
		       v[i].name, a, b, closed ? "已关闭，数字已冻结：" : "已到期、未关闭：晚到的记录仍会计入",
		       closed ? c : "", fu.targeted, fu.delivered, fu.replied);
		if (v[i].survey[0])
			dp_fmt(p, "<td>%lld</td>", fu.completed_any);
		else
			dp_raw(p, "<td>—</td>");
		dp_fmt(p, "<td>%lld 户</td><td><a href=\"/api/v1/report?campaign=%s&amp;"
		          "scope=%s&amp;depth=4&amp;format=xlsx\">XLSX</a></td></tr>",
		       fu.late, v[i].id, code);
	}
	if (shown)
		dp_raw(p, "</tbody></table></div>");
	ax_free(v);
}
