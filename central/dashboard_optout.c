/*
 * dashboard_optout.c -- 退订号码: the numbers of the user's scope that
 * opted out (the county's records, optout.h), each with a 恢复接收 form,
 * and the latest restores with who and when (the audit trail is the
 * store's optout_events: every event keeps its device or user and time).
 *
 *   GET  /optouts          the list
 *   POST /optout/restore   household + the number's last four digits
 *                          (session CSRF); the page never carries a full
 *                          number
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/optout.h"
#include "anxin/phone.h"
#include "dashboard_int.h"

#define OPTOUT_ROWS 500

static const char *tail4(const char *phone)
{
	size_t n = strlen(phone);
	return n > 4 ? phone + n - 4 : phone;
}

static void restore_form(struct dpage *p, const struct dash_user *u,
                         const struct ax_optout *o)
{
	dp_fmt(p, "<td class=\"act\"><form method=\"post\" action=\"/optout/restore\">"
	          "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	          "<input type=\"hidden\" name=\"household\" value=\"%s\">"
	          "<input type=\"hidden\" name=\"tail\" value=\"%s\">"
	          "<button class=\"btn\" type=\"submit\">恢复接收</button>"
	          "</form></td>",
	       u->csrf, o->household, tail4(o->phone));
}

static void row(struct dpage *p, const struct dash_user *u,
                const struct ax_optout *o)
{
	char masked[AX_PHONE_MAX], when[20];
	ax_phone_mask(o->phone, masked);
	dash_cst_time(o->at, when, sizeof when);
	dp_fmt(p, "<tr><td class=\"l tel\">%s</td><td class=\"l\">%s</td>"
	          "<td class=\"l\">%s</td><td class=\"l\">",
	       masked, o->household, when);
	dash_html_escape(p->f, o->restored && o->by[0] ? o->by : o->device);
	dp_raw(p, "</td>");
	if (!o->restored)
		restore_form(p, u, o);
	dp_raw(p, "</tr>");
}

enum MHD_Result dash_optouts_page(struct ct_req *r, const struct dash_user *u)
{
	ax_store *st = ct_store(r->srv);
	struct ax_optout *v = NULL;
	int n = 0, nout = 0;
	struct dpage p;

	if (ax_optout_list(st, u->u.scope, 1, OPTOUT_ROWS, &v, &n))
		return dash_error(r, u, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	for (int i = 0; i < n; i++)
		nout += !v[i].restored;
	if (dp_open(&p)) {
		free(v);
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	dp_begin(&p, "退订号码", u, "devices");
	dp_raw(&p, "<h1>退订号码</h1>");
	dp_fmt(&p, "<p class=\"note\">%d 个号码已退订短信：全县的短信网关都不再向其发送。"
	           "居民回复“恢复”或“订阅”即可恢复；经居民同意后，也可在此恢复接收。"
	           "时间为北京时间。</p>",
	       nout);
	dp_raw(&p, "<div class=\"tbl\"><table><thead><tr><th class=\"l\">号码</th>"
	           "<th class=\"l\">户号</th><th class=\"l\">退订时间</th>"
	           "<th class=\"l\">经由</th><th></th></tr></thead><tbody>");
	for (int i = 0; i < n; i++)
		if (!v[i].restored)
			row(&p, u, &v[i]);
	dp_raw(&p, "</tbody></table></div><h2>最近恢复</h2>"
	           "<div class=\"tbl\"><table><thead><tr><th class=\"l\">号码</th>"
	           "<th class=\"l\">户号</th><th class=\"l\">恢复时间</th>"
	           "<th class=\"l\">操作人</th></tr></thead><tbody>");
	for (int i = 0; i < n; i++)
		if (v[i].restored)
			row(&p, u, &v[i]);
	dp_raw(&p, "</tbody></table></div>");
	dp_end(&p);
	free(v);
	return dp_send(r, &p, MHD_HTTP_OK, NULL);
}

enum MHD_Result dash_optout_restore(struct ct_req *r, ax_store *st,
                                    const struct dash_user *u)
{
	const char *hh = ct_form(r, "household"), *tail = ct_form(r, "tail");
	struct ax_optout *v = NULL, hit;
	int n = 0, found = 0;
	ax_rc rc;

	if (!hh || !*hh || !tail || strlen(tail) != 4)
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "缺少号码",
		                  "请从退订号码列表上点击“恢复接收”。");
	if (ax_optout_list(st, u->u.scope, 0, 0, &v, &n))
		return dash_error(r, u, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法操作",
		                  "数据库暂时不可用，请稍后再试。");
	for (int i = 0; i < n && !found; i++)
		if (strcmp(v[i].household, hh) == 0 &&
		    strcmp(tail4(v[i].phone), tail) == 0) {
			hit = v[i];
			found = 1;
		}
	free(v);
	if (!found)
		return dash_error(r, u, MHD_HTTP_NOT_FOUND, "找不到该退订号码",
		                  "户号 %s 在您负责的区域内没有尾号为 %s 的退订号码。", hh,
		                  tail);
	if ((rc = ax_optout_restore(st, hit.phone, u->u.name, NULL))) {
		CT_WARN("optout restore %s ...%s by %s: %s", hh, tail, u->u.name,
		        ax_store_errmsg(st));
		return dash_error(r, u, ct_status_for(rc), "未能恢复",
		                  "尾号 %s 的号码没有恢复成功，请稍后再试。", tail);
	}
	CT_INFO("optout of %s ...%s restored by %s", hh, tail, u->u.name);
	return dash_redirect(r, "/optouts", NULL);
}
