/*
 * dashboard_items.c -- GET /items/SURVEY?scope=CODE: the item analysis of
 * a quiz in a county or township (items.h): per question the share who
 * answered right, the discrimination index and how answers spread over
 * the options, with the library's flags.
 *
 * County and township staff only, and only for a county or township:
 * the figures are aggregates, but over the few households of a village
 * or grid an option share could name a household's answer.
 */
#include <string.h>

#include "anxin/content.h"
#include "anxin/funnel.h"
#include "anxin/items.h"
#include "dashboard_int.h"

/* ========================================================== table == */
static void flags_cell(struct dpage *p, int flags)
{
	dp_raw(p, "<td class=\"l\">");
	if (!flags)
		dp_raw(p, "—");
	for (int bit = 1; bit <= AX_ITEM_LOW_DISCRIMINATION; bit <<= 1)
		if (flags & bit)
			dp_fmt(p, "<span class=\"badge b-bad\">%s</span> ",
			       ax_item_flag_label(bit));
	dp_raw(p, "</td>");
}

static void items_table(struct dpage *p, const struct ax_items *it)
{
	dp_raw(p, "<div class=\"tbl\"><table><thead><tr>"
	          "<th scope=\"col\">题号</th><th class=\"l\" scope=\"col\">题目</th>"
	          "<th scope=\"col\">答题人数</th>"
	          "<th scope=\"col\">通过率<br><small>答对/答题</small></th>"
	          "<th scope=\"col\">区分度<br><small>高分组−低分组</small></th>"
	          "<th class=\"l\" scope=\"col\">提示</th></tr></thead><tbody>");
	for (int k = 0; k < it->nitems; k++) {
		const struct ax_item *x = &it->items[k];
		dp_fmt(p, "<tr id=\"item-%s\"><td>%s</td><td class=\"l\">%s</td><td>%lld</td>",
		       x->id, x->id, x->text, x->n);
		if (x->n > 0) {
			dp_fmt(p, "<td><span class=\"r\">%.1f%%</span>"
			          "<span class=\"ci\">%lld/%lld</span></td>",
			       x->facility * 100, x->right, x->n);
			dp_fmt(p, "<td><span class=\"r\">%.2f</span>"
			          "<span class=\"ci\">高 %lld/%d · 低 %lld/%d</span></td>",
			       x->discrimination, x->upper_right, x->n_group, x->lower_right,
			       x->n_group);
		} else {
			dp_raw(p, "<td>—<span class=\"ci\">尚无答题</span></td><td>—</td>");
		}
		flags_cell(p, x->flags);
		dp_raw(p, "</tr>");
	}
	dp_raw(p, "</tbody></table></div>");
}

/* ======================================================== options == */
/* One bar per option, the answer key in green, the distractors grey. */
static void option_charts(struct dpage *p, const struct ax_items *it)
{
	dp_raw(p, "<h2>选项分布</h2><div class=\"chart\"><div class=\"legend\">"
	          "<span><i class=\"sw\" style=\"background:#0a6b2e\"></i>正确答案</span>"
	          "<span><i class=\"sw\" style=\"background:#8c8c8c\"></i>错误选项</span>"
	          "</div><div class=\"bars\">");
	for (int k = 0; k < it->nitems; k++) {
		const struct ax_item *x = &it->items[k];
		dp_fmt(p, "<div class=\"grp\">%s %s</div>", x->id, x->text);
		for (int o = 0; o < x->noptions; o++) {
			const struct ax_item_option *op = &x->options[o];
			double w = x->n > 0 ? op->share * 100 : 0;
			dp_fmt(p, "<div class=\"lab\" title=\"%s\">%s %s%s</div>"
			          "<svg role=\"img\" aria-label=\"%s %.1f%%\">"
			          "<rect x=\"0\" y=\"3\" width=\"100%%\" height=\"18\" fill=\"#ececec\"/>"
			          "<rect class=\"%s\" x=\"0\" y=\"5\" width=\"%.2f%%\" height=\"14\"/>"
			          "</svg><div class=\"val\">",
			       op->label ? op->label : "", op->code, op->label ? op->label : "",
			       op->correct ? " ✓" : "", op->code, w,
			       op->correct ? "bar-ok" : "bar-small", w);
			if (x->n > 0)
				dp_fmt(p, "%.1f%% <small>%lld 人</small>", w, op->chosen);
			else
				dp_raw(p, "无数据");
			dp_raw(p, "</div>");
		}
	}
	dp_raw(p, "</div></div>");
}

static void footnote(struct dpage *p)
{
	dp_fmt(p, "<h2>怎么读这些数字</h2><ul class=\"note\">"
	          "<li>只统计计数的完整答卷（每户每次活动一份）；本题没出现或没作答的不计入答题人数。</li>"
	          "<li>通过率 = 答对人数 ÷ 答题人数。接近 100%% 的题大家早已知道，"
	          "可以换成更需要宣传的内容；很低的题先核对答案是否有误，再看宣传包有没有讲到。</li>"
	          "<li>区分度：按整份问答的得分排队（同分按答卷编号），取得分最高的 27%% 和最低的 27%%，"
	          "两组答对比例之差。越接近 1，越能分出懂与不懂；低于 0.2 说明这题分不出来。</li>"
	          "<li>提示要有足够人数才给出：无人答错、无人答对需答题 ≥%d 人；"
	          "无人选的错误选项需 ≥%d 人；区分度低需 ≥%d 人。</li>"
	          "<li>本页只显示汇总数字，不显示任何一户的答案。</li></ul>",
	       AX_ITEM_FLAG_MIN_N_FACILITY, AX_ITEM_FLAG_MIN_N_DISTRACTOR,
	       AX_ITEM_FLAG_MIN_N_DISCRIMINATION);
}

/* ============================================================= page == */
/* The scope asked for, or the user's own when it is one region. */
static const char *scope_of(struct ct_req *r, const struct dash_user *u)
{
	const char *s = ct_query(r, "scope");
	if (s && *s)
		return s;
	return strchr(u->u.scope, ',') ? NULL : u->u.scope;
}

enum MHD_Result dash_items_page(struct ct_req *r, const struct dash_user *u,
                                const char *survey)
{
	ax_store *st = ct_store(r->srv);
	const char *scope = scope_of(r, u);
	struct ax_items *it = NULL;
	struct ax_region g;
	struct dpage p;
	char sub[256];
	ax_rc rc;

	if (u->u.role != AX_ROLE_COUNTY && u->u.role != AX_ROLE_TOWNSHIP)
		return dash_error(r, u, MHD_HTTP_FORBIDDEN, "无权查看",
		                  "题目分析只对县级和乡镇工作人员开放。");
	if (!scope || strlen(scope) >= sizeof g.code)
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "请选择区域",
		                  "请从区域页面进入题目分析。");
	if (!ax_scope_covers(u->u.scope, scope))
		return dash_error(r, u, MHD_HTTP_FORBIDDEN, "无权查看",
		                  "区域 %s 不在您负责的范围内。", scope);
	rc = ax_region_get(st, scope, &g);
	if (rc == AX_NOTFOUND)
		return dash_error(r, u, MHD_HTTP_NOT_FOUND, "区域不存在",
		                  "没有代码为 %s 的区域。", scope);
	if (rc)
		return dash_error(r, u, ct_status_for(rc), "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	if (g.level > 2)
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "请选择县或乡镇",
		                  "题目分析按县或乡镇统计：村和网格的户数太少，"
		                  "选项比例可能看出某一户的答案。");
	rc = ax_items_build(st, survey, 0, scope, &it);
	if (rc == AX_NOTFOUND || rc == AX_INVALID)
		return dash_error(r, u, MHD_HTTP_NOT_FOUND, "没有这份问答",
		                  "没有已安装的知识问答 %s。", survey);
	if (rc)
		return dash_error(r, u, ct_status_for(rc), "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	if (dp_open(&p)) {
		ax_items_free(it);
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	dp_begin(&p, it->title, u, "region");
	dp_raw(&p, "<div class=\"wide\">");
	dp_fmt(&p, "<nav class=\"crumbs\" aria-label=\"返回\"><a href=\"/region/%s\">%s</a> › 题目分析</nav>",
	       g.code, g.name);
	dp_fmt(&p, "<h1>题目分析：%s <small class=\"note\">%s 第%d版</small></h1>",
	       it->title, it->survey, it->version);
	if (it->respondents > 0)
		snprintf(sub, sizeof sub, "平均得分 %.2f / %lld", it->mean_score,
		         it->max_score);
	else
		snprintf(sub, sizeof sub, "尚无答卷");
	dp_fmt(&p, "<p class=\"note\">%s · %s · 答卷 %lld 份 · %s</p>", g.name,
	       g.code, it->respondents, sub);
	if (it->respondents > 0 && it->respondents < AX_SMALL_SAMPLE)
		dp_raw(&p, "<p class=\"msg err\">答卷少于 30 份：比例和区分度波动很大，仅供参考。</p>");
	if (u->u.role != AX_ROLE_COUNTY && it->respondents > 0 &&
	    it->respondents < AX_SUPPRESS_BELOW) {
		/* a handful of answers would show whose answer was which */
		dp_fmt(&p, "<p class=\"msg\">答卷不足 %d 份（%s）：题目数字不显示，"
		          "以免看出个人的回答。</p>", AX_SUPPRESS_BELOW, AX_SUPPRESSED_TEXT);
	} else {
		items_table(&p, it);
		option_charts(&p, it);
	}
	footnote(&p);
	dp_raw(&p, "</div>");
	dp_end(&p);
	ax_items_free(it);
	return dp_send(r, &p, MHD_HTTP_OK, NULL);
}
