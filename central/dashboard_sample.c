/*
 * dashboard_sample.c -- the 抽样测评 section of a region page: for each
 * sampled 测评 campaign whose scope meets the region, its response rate
 * (AAPOR RR1), contact rate and dispositions, and the design-weighted
 * estimate of every rate with its interval beside the unweighted rate
 * (sample.h).  These figures are never added to the 日常监测 ones above
 * them: the report leaves sampled waves out (metrics.h).
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/funnel.h"
#include "anxin/sample.h"
#include "dashboard_int.h"

/* Campaigns shown at most: the newest first. */
#define SAMPLED_SHOWN 3

static void estimate_row(struct dpage *p, const struct ax_estimate *e)
{
	enum dash_badge b;

	dp_fmt(p, "<tr><th scope=\"row\">%s <span class=\"tag\">抽样测评</span></th>",
	       e->name);
	if (e->unweighted.suppressed) { /* too few answers for this viewer */
		dp_raw(p, "<td>&lt;5</td><td>&lt;5</td><td>&lt;5</td><td>—</td></tr>");
		return;
	}
	if (!e->unweighted.den) {
		dp_raw(p, "<td>—</td><td>—</td><td>—</td><td>—</td></tr>");
		return;
	}
	/* the badge of the weighted estimate: the verdict every export of
	 * the campaign prints (ax_estimate_verdict) */
	b = dash_badge_verdict(ax_estimate_verdict(e));
	dp_fmt(p, "<td class=\"num\">%.1f%% <small>[%.1f–%.1f]</small> "
	          "<span class=\"badge b-%s\">%s</span></td>",
	       e->est * 100, e->low * 100, e->high * 100, dash_badge_class(b),
	       dash_badge_label(b));
	dp_fmt(p, "<td class=\"num\">%.1f%% <small>[%.1f–%.1f] · %lld/%lld</small></td>",
	       e->unweighted.rate * 100, e->unweighted.low * 100,
	       e->unweighted.high * 100, e->unweighted.num, e->unweighted.den);
	dp_fmt(p, "<td class=\"num\">%lld</td><td class=\"num\">%.1f</td></tr>",
	       e->dont_know, e->n_eff);
}

static void one_campaign(struct dpage *p, ax_store *st,
                         const struct ax_sample_report *r)
{
	const struct ax_dispositions *d = &r->disp;
	struct ax_region g;
	char a[20], b[20];

	dash_cst_time(r->c.starts_at, a, sizeof a);
	dash_cst_time(r->c.ends_at, b, sizeof b);
	dp_fmt(p, "<h3>%s <span class=\"tag\">抽样测评</span></h3>"
	          "<p class=\"note\">%s 至 %s · 从活动范围内留有手机号码的户中按%s分层"
	          "随机抽取 %d 户（种子 %lld），只向抽中的户发送问卷和提醒。</p>",
	       r->c.name, a, b,
	       r->c.strata == AX_STRATA_TOWNSHIP ? "乡镇" : "村（社区）",
	       r->c.sample_n, r->c.seed);
	dp_raw(p, "<div class=\"kpis\">");
	dp_fmt(p, "<div class=\"kpi\"><div class=\"k\">应答率 RR1</div><div class=\"v\">"
	          "%.1f%%</div><div class=\"s\">完成 %lld / 抽中 %lld 户</div></div>",
	       d->rr1 * 100, d->complete, d->drawn);
	dp_fmt(p, "<div class=\"kpi\"><div class=\"k\">接触率</div><div class=\"v\">"
	          "%.1f%%</div><div class=\"s\">有回复的户 %lld / %lld</div></div>",
	       d->contact_rate * 100, d->complete + d->partial + d->refused, d->drawn);
	dp_raw(p, "</div>");
	dp_fmt(p, "<p class=\"note\">完成 %lld · 部分作答 %lld · 回复但未作答或退订 %lld · "
	          "已送达未回复 %lld · 未确认送达 %lld（按 AAPOR 标准，未确认送达的户"
	          "也计入分母）。</p>",
	       d->complete, d->partial, d->refused, d->noncontact, d->unknown);
	dp_raw(p, "<div class=\"tbl\"><table><thead><tr><th scope=\"col\">指标</th>"
	          "<th scope=\"col\">加权估计 [95% 区间]</th>"
	          "<th scope=\"col\">未加权（仅供对照）</th>"
	          "<th scope=\"col\">说不清</th><th scope=\"col\">有效样本量</th>"
	          "</tr></thead><tbody>");
	for (int k = 0; k < r->nest; k++)
		estimate_row(p, &r->est[k]);
	dp_raw(p, "</tbody></table></div>");
	/* a scope of one region by its name, a list by its codes */
	dp_fmt(p, "<p class=\"note\">估计的是整个活动范围（%s）的比率，不是本页区域单独的"
	          "比率；各层按“层内户数 ÷ 完成户数”加权。</p>",
	       ax_region_get(st, r->c.scope, &g) == AX_OK ? g.name : r->c.scope);
}

void dash_sampled(struct dpage *p, ax_store *st, const char *code,
                  const char *survey, const char *viewer, int below)
{
	struct ax_sample_report **v = NULL;
	int n = 0, shown = 0;

	if (ax_sample_reports(st, &v, &n)) {
		dp_raw(p, "<h2>抽样测评</h2><p class=\"msg err\">暂时无法读取抽样测评。</p>");
		return;
	}
	for (int i = 0; i < n; i++) {
		if (shown < SAMPLED_SHOWN && ax_campaign_meets(&v[i]->c, code) &&
		    ax_campaign_within(&v[i]->c, viewer) &&
		    (!survey || strcmp(survey, v[i]->c.survey) == 0)) {
			if (!shown++)
				dp_raw(p, "<h2>抽样测评</h2>");
			ax_sample_report_suppress(v[i], below);
			one_campaign(p, st, v[i]);
		}
		ax_sample_report_free(v[i]);
	}
	free(v);
}
