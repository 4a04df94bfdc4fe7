/*
 * dashboard_below.c -- the county's (or a township's) list of villages
 * and grids below target (issue 14, the 妇联's question: "which villages
 * and grids are below 100 %, and which households must we still
 * visit?"): every one that is 未达标 on some rate, lowest coverage first,
 * each linked to its page and its 未覆盖户清单.  The rows and their order
 * come from the library (ax_report_below), as in the XLSX 未达标清单.
 */
#include <stdlib.h>

#include "dashboard_int.h"

#define BELOW_SHOWN 100 /* rows on the page; the XLSX lists them all */

static void verdict_cell(struct dpage *p, enum ax_verdict v)
{
	enum dash_badge b = dash_badge_verdict(v);
	dp_fmt(p, "<td><span class=\"badge %s\">%s</span></td>", dash_badge_class(b),
	       dash_badge_label(b));
}

void dash_below(struct dpage *p, ax_store *st, const struct ax_report_opts *asked,
                int level, const char *qs)
{
	struct ax_report_opts o = *asked;
	struct ax_report *rep = NULL;
	int *idx = NULL, n;

	if (level < 1 || level > 2)
		return; /* a village's page lists its grids already */
	o.depth = 4 - level;
	o.pack = NULL;
	if (ax_report_build(st, &o, &rep) ||
	    !(idx = malloc(sizeof *idx * (size_t)(rep->nrows ? rep->nrows : 1)))) {
		dp_raw(p, "<h2>未达标的村（社区）和网格</h2>"
		          "<p class=\"msg err\">暂时无法列出。</p>");
		ax_report_free(rep);
		return;
	}
	n = ax_report_below(rep, 3, idx);
	dp_fmt(p, "<h2 id=\"below\">未达标的村（社区）和网格（%d 个） "
	          "<span class=\"tag\">日常监测</span></h2>", n);
	if (!n) {
		dp_raw(p, "<p class=\"note\">没有未达标的村（社区）或网格。</p>");
		goto done;
	}
	dp_raw(p, "<p class=\"note\">任一项“未达标”即列出（宣传入户率低于 100%，"
	          "或知晓率、满意度确定低于目标；样本不足的不算未达标），"
	          "按宣传入户率从低到高。</p><div class=\"tbl\"><table class=\"below\">"
	          "<thead><tr><th class=\"name\" scope=\"col\">区域</th>"
	          "<th scope=\"col\">层级</th><th scope=\"col\">宣传入户率</th>"
	          "<th scope=\"col\">未覆盖户</th><th scope=\"col\">入户率</th>"
	          "<th scope=\"col\">知晓率</th><th scope=\"col\">满意度</th>"
	          "</tr></thead><tbody>");
	for (int k = 0; k < n && k < BELOW_SHOWN; k++) {
		const struct ax_report_row *w = &rep->rows[idx[k]];
		dp_fmt(p, "<tr><td class=\"name\"><a href=\"/region/%s", w->code);
		dp_raw(p, qs);
		dp_fmt(p, "\">%s</a></td><td>%s</td>", w->name,
		       w->level == 3 ? "村（社区）" : "网格");
		if (w->households > 0)
			dp_fmt(p, "<td>%.1f%% <small>%lld/%lld 户</small></td>",
			       w->coverage.rate * 100, w->reached, w->households);
		else
			dp_raw(p, "<td>—</td>");
		if (w->households > w->reached) {
			dp_fmt(p, "<td><a href=\"/grid/%s/unreached", w->code);
			dp_raw(p, qs);
			dp_fmt(p, "\">%lld 户</a></td>", w->households - w->reached);
		} else {
			dp_raw(p, "<td>0</td>");
		}
		verdict_cell(p, w->verdict_coverage);
		verdict_cell(p, w->verdict_awareness);
		verdict_cell(p, w->verdict_satisfaction);
		dp_raw(p, "</tr>");
	}
	dp_raw(p, "</tbody></table></div>");
	if (n > BELOW_SHOWN)
		dp_fmt(p, "<p class=\"note\">只显示前 %d 个；全部见下载的台账（XLSX）"
		          "“未达标清单”。</p>", BELOW_SHOWN);
done:
	free(idx);
	ax_report_free(rep);
}
