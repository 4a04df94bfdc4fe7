/*
 * dashboard_lists.c -- the two list pages:
 *
 *   GET /devices               kiosks and SMS gateways in the user's
 *                              scope, with a red 失联 mark when one has
 *                              not been heard from for 24 hours
 *   GET /grid/CODE/unreached   未覆盖户清单: the active households of a
 *                              grid (or village) with no qualifying
 *                              contact yet, printable, each with a
 *                              one-tap "记录入户走访" button
 *   GET /export/contacts.csv?scope=CODE[&from=&to=][&campaign=ID]
 *                              the 入户宣传明细 of a region as CSV for
 *                              Excel (export.c)
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anxin/csv.h"
#include "anxin/funnel.h"
#include "anxin/ledger.h"
#include "dashboard_int.h"
#include "export.h"

#define LOST_AFTER (24 * 3600) /* a device silent this long is 失联 */

/* 1 if some code of list a and some code of list b overlap (one covers
 * the other). */
static int scopes_overlap(const char *a, const char *b)
{
	while (*a) {
		size_t n = strcspn(a, ",");
		char one[32];
		snprintf(one, sizeof one, "%.*s", (int)(n < 31 ? n : 31), a);
		if (ax_scope_covers(b, one))
			return 1;
		for (const char *q = b; *q;) {
			size_t m = strcspn(q, ",");
			char two[32];
			snprintf(two, sizeof two, "%.*s", (int)(m < 31 ? m : 31), q);
			if (ax_region_covers(one, two))
				return 1;
			q += m;
			if (*q == ',')
				q++;
		}
		a += n;
		if (*a == ',')
			a++;
	}
	return 0;
}

/* "3 小时前" */
static void ago(long long secs, char *out, size_t n)
{
	if (secs < 60)
		snprintf(out, n, "刚刚");
	else if (secs < 3600)
		snprintf(out, n, "%lld 分钟前", secs / 60);
	else if (secs < 48 * 3600)
		snprintf(out, n, "%lld 小时前", secs / 3600);
	else
		snprintf(out, n, "%lld 天前", secs / 86400);
}

/* ========================================================== devices == */
enum dev_state { DEV_LOST, DEV_NEW, DEV_OK, DEV_REVOKED, DEV_NSTATES };

static enum dev_state dev_state(const struct ax_device *d, long long now)
{
	if (d->revoked_at)
		return DEV_REVOKED;
	/* registered and not synced yet: 未联系, not an alarm, for as long
	 * as a working device may stay silent */
	if (!d->last_seen)
		return now - d->created_at > LOST_AFTER ? DEV_LOST : DEV_NEW;
	if (now - d->last_seen > LOST_AFTER)
		return DEV_LOST;
	return DEV_OK;
}

static void scope_names(struct dpage *p, ax_store *st, const char *scope)
{
	const char *s = scope;
	while (*s) {
		size_t n = strcspn(s, ",");
		char code[32];
		struct ax_region g;
		snprintf(code, sizeof code, "%.*s", (int)(n < 31 ? n : 31), s);
		if (s != scope)
			dp_raw(p, "、");
		if (ax_region_get(st, code, &g) == AX_OK)
			dp_fmt(p, "%s", g.name);
		else
			dp_fmt(p, "%s", code);
		s += n;
		if (*s == ',')
			s++;
	}
}

/* A gateway's send backlog as it last reported it ("C,Q,R,I;M", sync.h):
 * by class, and the minutes to send it at its pace; and the median wait
 * from a resident's reply to the next message (";W,N") when reported. */
static void queue_cell(struct dpage *p, ax_store *st, const struct ax_device *d)
{
	char q[64];
	long long c, qu, rm, in, min, w = -1, nw = 0;
	int got;
	if (strcmp(d->kind, "smsd") != 0 || ax_device_queue_get(st, d->id, q) ||
	    (got = sscanf(q, "%lld,%lld,%lld,%lld;%lld;%lld,%lld", &c, &qu, &rm, &in,
	                  &min, &w, &nw)) < 5) {
		dp_raw(p, "<td class=\"l\">—</td>");
		return;
	}
	dp_fmt(p, "<td class=\"l\">%lld 条<span class=\"ci\">退订确认 %lld · 下一题 %lld · "
	          "提醒 %lld · 开场/宣传 %lld；按发送速度约 %lld 分钟发完",
	       c + qu + rm + in, c, qu, rm, in, min);
	if (got == 7 && w >= 0 && nw > 0)
		dp_fmt(p, "；居民回复到下一条短信发出，中位数 %lld 分 %lld 秒（最近 %lld 条回复）",
		       w / 60, w % 60, nw);
	dp_raw(p, "</span></td>");
}

enum MHD_Result dash_devices_page(struct ct_req *r, const struct dash_user *u)
{
	ax_store *st = ct_store(r->srv);
	struct ax_device *v = NULL;
	long long now = (long long)time(NULL);
	int n = 0, shown = 0, lost = 0;
	struct dpage p;

	if (ax_device_list(st, &v, &n))
		return dash_error(r, u, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	/* keep the devices this user may see (whatever the role: a county
	 * user sees its own county's), in the order to act on: 失联 first,
	 * then working, then revoked (each by id, as listed) */
	for (int i = 0; i < n; i++)
		if (scopes_overlap(v[i].scope, u->u.scope))
			v[shown++] = v[i];
	for (int i = 0; i < shown; i++)
		lost += dev_state(&v[i], now) == DEV_LOST;
	if (dp_open(&p)) {
		ax_free(v);
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	dp_begin(&p, "设备状态", u, "devices");
	dp_raw(&p, "<h1>设备状态</h1>");
	if (lost)
		dp_fmt(&p, "<p class=\"msg err\" role=\"alert\">%d 台设备超过 24 小时没有联系"
		           "（失联），请到现场检查电源、网络和短信猫。</p>",
		       lost);
	dp_fmt(&p, "<p class=\"note\">共 %d 台设备（一体机和短信网关）。时间为北京时间。"
	           "<a href=\"/optouts\">退订号码</a></p>",
	       shown);
	/* status first: on a phone the 失联 mark must not scroll away */
	dp_raw(&p, "<div class=\"tbl\"><table><thead><tr>"
	           "<th class=\"name\">设备</th><th class=\"l\">状态</th>"
	           "<th class=\"l\">最后联系</th><th>待上传记录</th><th class=\"l\">待发短信</th>"
	           "<th class=\"l\">类型</th>"
	           "<th class=\"l\">服务区域</th></tr></thead><tbody>");
	for (int k = 0; k < DEV_NSTATES * shown; k++) {
		const struct ax_device *d = &v[k % shown];
		enum dev_state s = dev_state(d, now);
		char when[20], rel[32];
		if ((int)s != k / shown)
			continue;
		dp_fmt(&p, "<tr><td class=\"name\">%s</td>", d->id);
		if (s == DEV_LOST)
			dp_raw(&p, "<td class=\"l\"><span class=\"lost\">失联</span></td>");
		else if (s == DEV_NEW)
			dp_raw(&p, "<td class=\"l\">未联系</td>");
		else if (s == DEV_REVOKED)
			dp_raw(&p, "<td class=\"l\">已停用</td>");
		else
			dp_raw(&p, "<td class=\"l\">正常</td>");
		if (d->last_seen) {
			dash_cst_time(d->last_seen, when, sizeof when);
			ago(now - d->last_seen, rel, sizeof rel);
			dp_fmt(&p, "<td class=\"l\">%s<span class=\"ci\">%s</span></td>", rel, when);
		} else {
			dp_raw(&p, "<td class=\"l\">从未联系</td>");
		}
		if (d->backlog >= 0)
			dp_fmt(&p, "<td>%lld</td>", d->backlog);
		else
			dp_raw(&p, "<td>—</td>");
		queue_cell(&p, st, d);
		dp_fmt(&p, "<td class=\"l\">%s</td><td class=\"l\">",
		       strcmp(d->kind, "kiosk") == 0 ? "一体机" : "短信网关");
		scope_names(&p, st, d->scope);
		dp_raw(&p, "</td></tr>");
	}
	if (!shown)
		dp_raw(&p, "<tr><td class=\"l\" colspan=\"7\">您的区域内还没有登记设备。</td></tr>");
	dp_raw(&p, "</tbody></table></div>");
	dp_end(&p);
	ax_free(v);
	return dp_send(r, &p, MHD_HTTP_OK, NULL);
}

/* ======================================================== unreached == */
struct unreached_ctx {
	struct dpage *p;
	const struct dash_user *u;
	const char *code, *from, *to;
	long n;
	const ax_content *content; /* the installed packs, or NULL */
};

/* What was handed out or explained at the door: an installed pack (its
 * 知识宣传入户率 counts the visit), or none. */
void dash_visit_pack_select(struct dpage *p, const ax_content *c)
{
	if (!c || !ax_content_npacks(c))
		return;
	dp_raw(p, "<select name=\"pack\" aria-label=\"宣传内容\">"
	          "<option value=\"\">宣传内容（可不选）</option>");
	for (int i = 0; i < ax_content_npacks(c); i++) {
		const struct ax_pack *k = ax_content_pack(c, i);
		int seen = 0;
		for (int j = 0; j < i; j++) /* one line per pack, its versions apart */
			seen |= strcmp(ax_content_pack(c, j)->id, k->id) == 0;
		if (!seen)
			dp_fmt(p, "<option value=\"%s\">%s</option>", k->id, k->title);
	}
	dp_raw(p, "</select>");
}

int dash_pack_known(ax_store *st, const char *pack)
{
	ax_content *c = NULL;
	int known = 0;

	if (ax_content_load_store(st, &c) != AX_OK)
		return -1;
	for (int i = 0; i < ax_content_npacks(c); i++)
		known |= strcmp(ax_content_pack(c, i)->id, pack) == 0;
	ax_content_free(c);
	return known;
}

static ax_rc unreached_row(void *ctx, const struct ax_ledger_household *h)
{
	struct unreached_ctx *c = ctx;
	struct dpage *p = c->p;

	c->n++;
	dp_fmt(p, "<tr><td class=\"seq\">%ld</td><td class=\"l hid\"><strong>%s</strong></td>"
	          "<td class=\"l g\">%s</td>", c->n,
	       h->id, h->grid_name ? h->grid_name : (h->village_name ? h->village_name : h->grid));
	if (h->members >= 0)
		dp_fmt(p, "<td class=\"mem\">%d</td>", h->members);
	else
		dp_raw(p, "<td class=\"mem\">—</td>");
	{
		/* the grid's own worker sees who lives there and where; roles
		 * above see the name masked and not the door */
		char masked[256];
		int own = c->u->u.role == AX_ROLE_GRID;
		if (h->head && !own)
			ax_name_mask(h->head, masked, sizeof masked);
		dp_fmt(p, "<td class=\"l head\">%s</td><td class=\"l addr\">%s</td>",
		       !h->head ? "—" : own ? h->head : masked,
		       !h->address ? "—" : own ? h->address : "（网格员可见）");
	}
	dp_fmt(p, "<td class=\"l tel\">%s</td><td class=\"sign\"></td>",
	       h->nphones ? h->phones : "无");
	dp_fmt(p, "<td class=\"act\"><form method=\"post\" action=\"/visit\">"
	          "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	          "<input type=\"hidden\" name=\"household\" value=\"%s\">"
	          "<input type=\"hidden\" name=\"back\" value=\"%s\">",
	       c->u->csrf, h->id, c->code);
	if (c->from)
		dp_fmt(p, "<input type=\"hidden\" name=\"from\" value=\"%s\">", c->from);
	if (c->to)
		dp_fmt(p, "<input type=\"hidden\" name=\"to\" value=\"%s\">", c->to);
	dash_visit_pack_select(p, c->content);
	dp_fmt(p, "<button class=\"btn\" type=\"submit\" aria-label=\"记录 %s 入户走访\">"
	          "记录入户走访</button></form></td></tr>",
	       h->id);
	return AX_OK;
}

int dash_list_region(struct ct_req *r, const struct dash_user *u,
                     const char *code, struct ax_region *g,
                     enum MHD_Result *ret)
{
	ax_store *st = ct_store(r->srv);
	ax_rc rc;

	if (!ax_scope_covers(u->u.scope, code)) {
		*ret = dash_error(r, u, MHD_HTTP_FORBIDDEN, "无权查看",
		                  "区域 %s 不在您负责的范围内。", code);
		return -1;
	}
	rc = ax_region_get(st, code, g);
	if (rc == AX_NOTFOUND)
		*ret = dash_error(r, u, MHD_HTTP_NOT_FOUND, "区域不存在",
		                  "没有代码为 %s 的网格或村。", code);
	else if (rc)
		*ret = dash_error(r, u, ct_status_for(rc), "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	else if (g->level < 3)
		*ret = dash_error(r, u, MHD_HTTP_NOT_FOUND, "请选择村或网格",
		                  "未覆盖户清单按村（社区）或网格列出；%s 是%s，"
		                  "请在区域页面进入下面的村或网格。",
		                  g->name, g->level == 1 ? "县" : "乡镇");
	return rc || g->level < 3 ? -1 : 0;
}

enum MHD_Result dash_unreached_page(struct ct_req *r, const struct dash_user *u,
                                    const char *code)
{
	enum MHD_Result ret;
	ax_store *st = ct_store(r->srv);
	struct ax_ledger_query q = {0};
	struct unreached_ctx c = {0};
	struct ax_region g, parent;
	const char *from = ct_query(r, "from"), *to = ct_query(r, "to");
	const char *visited = ct_query(r, "visited");
	const char *vid = ct_query(r, "vid"), *undone = ct_query(r, "undone");
	char today[11], vgrid[24];
	struct dpage p;
	ax_rc rc;

	if (dash_list_region(r, u, code, &g, &ret))
		return ret;
	q.scope = code;
	q.from = dash_is_date(from) ? from : NULL;
	q.to = dash_is_date(to) ? to : NULL;
	if (dp_open(&p))
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	dp_begin(&p, "未覆盖户清单", u, "unreached");
	dp_raw(&p, "<nav class=\"crumbs\" aria-label=\"区域层级\">");
	if (g.parent[0] && ax_region_get(st, g.parent, &parent) == AX_OK &&
	    ax_scope_covers(u->u.scope, parent.code))
		dp_fmt(&p, "<a href=\"/region/%s\">%s</a> › ", parent.code, parent.name);
	dp_fmt(&p, "<a href=\"/region/%s\">%s</a></nav>", g.code, g.name);
	dash_cst_date((long long)time(NULL), today, sizeof today);
	dp_fmt(&p, "<h1>未覆盖户清单 · %s</h1>"
	           "<p class=\"note\">%s（%s）· 宣传时间：%s 至 %s · 打印日期 %s。"
	           "这些户在此期间还没有任何有效的入户宣传记录（短信送达或回复、一体机、入户走访）。"
	           "电话号码已隐去中间四位。</p>",
	       g.name, g.level == 4 ? "网格" : "村/社区", g.code, q.from ? q.from : "开始",
	       q.to ? q.to : "今天", today);
	/* the note only for a household of this list: a crafted link cannot
	 * make the page claim a visit elsewhere */
	if (visited && *visited &&
	    ax_household_region(st, visited, vgrid, NULL) == AX_OK &&
	    ax_region_covers(code, vgrid))
	{
		dp_fmt(&p, "<p class=\"msg\" role=\"status\">已记录户号 %s 的入户走访，"
		           "该户已计入宣传入户率。",
		       visited);
		/* a wrong tap: taken back by the same user within a day; the id
		 * is a UUID (checked here, the store checks the rest) */
		if (vid && strlen(vid) == 36 && strspn(vid, "0123456789abcdef-") == 36)
			dp_fmt(&p, "<form class=\"inline\" method=\"post\" action=\"/visit/undo\">"
			           "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
			           "<input type=\"hidden\" name=\"id\" value=\"%s\">"
			           "<input type=\"hidden\" name=\"back\" value=\"%s\">"
			           "<button class=\"btn\" type=\"submit\">点错了，撤销这次走访</button>"
			           "</form>",
			       u->csrf, vid, code);
		dp_raw(&p, "</p>");
	}
	if (undone && *undone &&
	    ax_household_region(st, undone, vgrid, NULL) == AX_OK &&
	    ax_region_covers(code, vgrid))
		dp_fmt(&p, "<p class=\"msg\" role=\"status\">已撤销户号 %s 的一次走访记录"
		           "（记录保留备查），该户不再因这次走访计入宣传入户率。</p>",
		       undone);
	dp_raw(&p, "<div class=\"tbl\"><table class=\"hh\"><thead><tr><th>序号</th>"
	           "<th class=\"l\">户号</th><th class=\"l\">网格</th><th>人口</th>"
	           "<th class=\"l\">户主</th><th class=\"l\">住址</th>"
	           "<th class=\"l\">联系电话</th><th class=\"sign\">走访日期 / 签字</th>"
	           "<th class=\"act\">操作</th></tr></thead><tbody>");
	c.p = &p;
	c.u = u;
	c.code = code;
	c.from = q.from;
	c.to = q.to;
	ax_content *content = NULL;
	if (ax_content_load_store(st, &content))
		content = NULL; /* no topic to choose: the visit is still recorded */
	c.content = content;
	rc = ax_ledger_unreached(st, &q, unreached_row, &c);
	ax_content_free(content);
	if (rc) {
		dp_discard(&p);
		CT_WARN("unreached %s: %s", code, ax_store_errmsg(st));
		return dash_error(r, u, ct_status_for(rc), "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	}
	if (!c.n)
		dp_raw(&p, "<tr><td class=\"l\" colspan=\"9\">全部户都已覆盖。</td></tr>");
	dp_fmt(&p, "</tbody></table></div><p><strong>共 %ld 户未覆盖。</strong></p>", c.n);
	dp_raw(&p, "<p class=\"sigline\">走访人（签字）：＿＿＿＿＿＿＿＿　　"
	           "走访日期：＿＿＿＿年＿＿月＿＿日</p>");
	dp_fmt(&p, "<p class=\"noprint\"><a class=\"btn\" href=\"/grid/%s/offline\">手机入户走访"
	           "（没有信号也能记录）</a></p>", code);
	dp_fmt(&p, "<p class=\"note\"><a href=\"/grid/%s/unreached.csv\">下载走访登记表（CSV）</a>："
	           "入户后填写走访日期、走访人和宣传内容，由县级用 anxin visits import "
	           "导入，未填日期的行视为未走访。本页可直接打印（A4）。</p>",
	       code);
	dp_end(&p);
	return dp_send(r, &p, MHD_HTTP_OK, NULL);
}

/* =========================================================== search == */
struct search_ctx {
	struct dpage *p;
	int own;
	long n;
};

static ax_rc search_row(void *ctx, const struct ax_ledger_household *h)
{
	struct search_ctx *c = ctx;
	char masked[256];

	if (h->head && !c->own)
		ax_name_mask(h->head, masked, sizeof masked);
	c->n++;
	dp_fmt(c->p, "<tr><td class=\"l hid\"><strong>%s</strong></td>"
	             "<td class=\"l\"><a href=\"/grid/%s/unreached\">%s</a></td>"
	             "<td class=\"l head\">%s</td><td class=\"l addr\">%s</td>"
	             "<td class=\"l tel\">%s</td></tr>",
	       h->id, h->grid, h->grid_name ? h->grid_name : h->grid,
	       !h->head ? "—" : c->own ? h->head : masked,
	       !h->address ? "—" : c->own ? h->address : "（网格员可见）",
	       h->nphones ? h->phones : "无");
	return AX_OK;
}

enum MHD_Result dash_search_page(struct ct_req *r, const struct dash_user *u)
{
	ax_store *st = ct_store(r->srv);
	const char *q = ct_query(r, "q");
	struct search_ctx c = {0};
	struct dpage p;
	ax_rc rc = AX_OK;

	if (dp_open(&p))
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	dp_begin(&p, "查找住户", u, "search");
	dp_fmt(&p, "<h1>查找住户</h1><form method=\"get\" action=\"/search\">"
	           "<label>户号、户主姓名或手机尾号四位 <input name=\"q\" value=\"%s\" "
	           "maxlength=\"40\"></label> <button class=\"btn\" type=\"submit\">"
	           "查找</button></form>",
	       q ? q : "");
	if (q && *q) {
		c.p = &p;
		c.own = u->u.role == AX_ROLE_GRID;
		dp_raw(&p, "<div class=\"tbl\"><table class=\"hh\"><thead><tr>"
		           "<th class=\"l\">户号</th><th class=\"l\">网格</th>"
		           "<th class=\"l\">户主</th><th class=\"l\">住址</th>"
		           "<th class=\"l\">联系电话</th></tr></thead><tbody>");
		rc = ax_household_search(st, u->u.scope, q, 50, search_row, &c);
		if (!c.n)
			dp_raw(&p, "<tr><td class=\"l\" colspan=\"5\">您负责的范围内没有找到。</td></tr>");
		dp_fmt(&p, "</tbody></table></div><p>找到 %ld 户（最多显示 50 户）。</p>", c.n);
	}
	if (rc) {
		dp_discard(&p);
		return dash_error(r, u, ct_status_for(rc), "暂时无法查找",
		                  "数据库暂时不可用，请稍后再试。");
	}
	dp_end(&p);
	return dp_send(r, &p, MHD_HTTP_OK, NULL);
}

/* ================================================ visit template CSV == */
struct template_ctx {
	FILE *f;
	int own; /* the grid's own worker: 户主 and 住址 in full */
};

static ax_rc template_row(void *ctx, const struct ax_ledger_household *h)
{
	struct template_ctx *c = ctx;
	char masked[256];
	const char *cells[9];

	if (h->head && !c->own)
		ax_name_mask(h->head, masked, sizeof masked);
	cells[0] = h->id;
	cells[1] = h->grid_name ? h->grid_name : h->grid;
	cells[2] = !h->head ? "" : c->own ? h->head : masked;
	cells[3] = h->address && c->own ? h->address : "";
	cells[4] = h->phones;
	cells[5] = cells[6] = cells[7] = cells[8] = "";
	return ax_csv_row(c->f, cells, 9) ? AX_IO : AX_OK;
}

enum MHD_Result dash_unreached_csv(struct ct_req *r, const struct dash_user *u,
                                   const char *code)
{
	static const char *const hdr[] = {"户号", "网格", "户主", "住址",
	                                  "联系电话", "走访日期", "走访人",
	                                  "宣传内容", "签字"};
	static const char *const h[] = {
		"Content-Disposition", "attachment; filename=\"visits-template.csv\"",
		NULL, NULL};
	ax_store *st = ct_store(r->srv);
	struct ax_ledger_query q = {0};
	struct template_ctx c = {0};
	char *buf = NULL;
	size_t len = 0;
	enum MHD_Result ret;
	ax_rc rc;

	if (!ax_scope_covers(u->u.scope, code))
		return dash_error(r, u, MHD_HTTP_FORBIDDEN, "无权下载",
		                  "区域 %s 不在您负责的范围内。", code);
	q.scope = code;
	c.own = u->u.role == AX_ROLE_GRID;
	if (!(c.f = open_memstream(&buf, &len)))
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	fputs("\xEF\xBB\xBF", c.f); /* Excel needs the BOM to see UTF-8 */
	ax_csv_row(c.f, hdr, 9);
	rc = ax_ledger_unreached(st, &q, template_row, &c);
	fclose(c.f);
	if (rc) {
		free(buf);
		return dash_error(r, u, ct_status_for(rc), "暂时无法下载",
		                  "数据库暂时不可用，请稍后再试。");
	}
	ret = ct_reply_h(r, MHD_HTTP_OK, "text/csv; charset=utf-8", buf, len, h);
	free(buf);
	return ret;
}

/* ====================================================== contacts CSV == */
enum MHD_Result dash_contacts_csv(struct ct_req *r, const struct dash_user *u)
{
	ax_store *st = ct_store(r->srv);
	struct ax_report_opts o = {0};
	const char *from = ct_query(r, "from"), *to = ct_query(r, "to");
	static const char *const h[] = {
		"Content-Disposition", "attachment; filename=\"anxin-contacts.csv\"",
		NULL, NULL};
	struct ax_region g;
	enum MHD_Result ret;
	char err[256] = "";
	FILE *f;
	int fd, xr;

	o.scope = ct_query(r, "scope");
	if (!o.scope || !*o.scope || !ax_scope_covers(u->u.scope, o.scope))
		return dash_error(r, u, MHD_HTTP_FORBIDDEN, "无权下载",
		                  "请选择您负责范围内的区域。");
	if (ax_region_get(st, o.scope, &g) != AX_OK)
		return dash_error(r, u, MHD_HTTP_NOT_FOUND, "区域不存在",
		                  "没有代码为 %s 的区域。", o.scope);
	if ((from && *from && !dash_is_date(from)) || (to && *to && !dash_is_date(to)))
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "日期有误",
		                  "日期格式应为 年-月-日。");
	o.from = from && *from ? from : NULL;
	o.to = to && *to ? to : NULL;
	/* a campaign's region page links its contacts: its days, its kinds */
	o.campaign = ct_query(r, "campaign");
	if (o.campaign && !*o.campaign)
		o.campaign = NULL;
	if (o.campaign) {
		struct ax_campaign_view cv;
		ax_rc crc = ax_report_campaign_view(st, &o, &cv);
		if (crc == AX_NOTFOUND)
			return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "活动不存在",
			                  "没有这个活动，请从活动列表重新选择。");
		if (crc)
			return dash_error(r, u, ct_status_for(crc), "暂时无法导出",
			                  "数据库暂时不可用，请稍后再试。");
	}
	/* made in an unlinked temporary file, one export at a time, and sent
	 * from it as the client takes it */
	if (ct_export_begin(r, &ret))
		return ret;
	f = tmpfile();
	xr = f ? ax_export_contacts_csv_to(st, &o, f, err, sizeof err) : AX_IO;
	fd = f && !xr ? dup(fileno(f)) : -1;
	if (f)
		fclose(f);
	ct_export_end(r);
	if (fd < 0) {
		CT_WARN("contacts csv %s: %s", o.scope, f ? err : "no temporary file");
		return dash_error(r, u, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法下载",
		                  "生成明细时出错，请稍后再试。");
	}
	return ct_reply_fd(r, fd, "text/csv; charset=utf-8", h);
}
