/*
 * dashboard_visits.c -- door-to-door visits recorded on a phone where the
 * signal comes and goes (issue 17).
 *
 *   GET /grid/CODE/offline  the grid's (or village's) unreached households,
 *                           a 记录走访 button each, and beside it the
 *                           宣传内容 handed out (an installed pack or none,
 *                           as on the online list: it counts the visit in
 *                           that pack's 知识宣传入户率)
 *   GET /grid/visits.js     the page's script: a visit tapped is queued in
 *                           localStorage with an id made on the phone (a
 *                           UUID) and sent to POST /visit/sync whenever the
 *                           phone is online; it leaves the queue only when
 *                           central has answered for it
 *   GET /grid/sw.js         a service worker scoped to /grid/ that keeps
 *                           the last copy of the page and the script, so
 *                           the list opens again with no signal
 *   POST /visit/sync        one queued visit (session and CSRF as every
 *                           form), answered in JSON
 *
 * Sent twice (the answer lost on the way back), a visit is stored once:
 * its id is the record's id (ax_visit_record_id), and the same visit
 * within 10 minutes is one visit anyway.  The time is the phone's, moved
 * by the phone's clock error at sending (the `now` it sends beside it).
 * The cached copy holds what the page shows the grid worker (户主, 住址,
 * masked phones) on that phone only, as a printed list would; logging out
 * from this page deletes it and the queue (after sending what it can).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/funnel.h"
#include "anxin/ledger.h"
#include "dashboard_int.h"

/* visits older than this when sent go through the paper form instead */
#define VISIT_MAX_AGE (30 * 86400LL)

/* The page runs its own script (no inline code) and talks to its origin. */
#define VISITS_CSP                                                          \
	"default-src 'none'; script-src 'self'; connect-src 'self'; "       \
	"worker-src 'self'; style-src 'unsafe-inline'; img-src data:; "     \
	"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* ============================================================ script == */
static const char visits_js[] =
    "/* visits.js -- the offline visits page (central/dashboard_visits.c) */\n"
    "(function () {\n"
    "  'use strict';\n"
    "  var root = document.getElementById('visits');\n"
    "  if (!root) return;\n"
    "  var grid = root.dataset.grid, csrf = root.dataset.csrf;\n"
    "  var KEY = 'anxin-visits:' + grid, DONE = 'anxin-visits-done:' + grid;\n"
    "  var line = document.getElementById('sync'), errs = document.getElementById('errs');\n"
    "  var busy = false;\n"
    "  function load(k) { try { return JSON.parse(localStorage.getItem(k) || '[]'); } catch (e) { return []; } }\n"
    "  function save(k, v) { localStorage.setItem(k, JSON.stringify(v)); }\n"
    "  function now() { return Math.floor(Date.now() / 1000); }\n"
    "  function uuid() {\n"
    "    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();\n"
    "    var b = crypto.getRandomValues(new Uint8Array(16)), h = '';\n"
    "    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;\n"
    "    for (var i = 0; i < 16; i++)\n"
    "      h += (b[i] + 256).toString(16).slice(1) + (i === 3 || i === 5 || i === 7 || i === 9 ? '-' : '');\n"
    "    return h;\n"
    "  }\n"
    "  function note(text) { var li = document.createElement('li'); li.textContent = text; errs.appendChild(li); }\n"
    "  function show() {\n"
    "    var q = load(KEY), done = load(DONE);\n"
    "    root.querySelectorAll('li[data-hh]').forEach(function (li) {\n"
    "      var hh = li.dataset.hh;\n"
    "      var mine = q.filter(function (v) { return v.household === hh; })[0];\n"
    "      var queued = !!mine;\n"
    "      var sent = !queued && done.indexOf(hh) >= 0;\n"
    "      li.querySelector('.st').textContent = queued ? '已记录，待上传' : sent ? '已上传' : '';\n"
    "      li.className = queued ? 'v queued' : sent ? 'v sent' : 'v';\n"
    "      li.querySelector('button').disabled = queued || sent;\n"
    "      var sel = li.querySelector('select');\n"
    "      if (sel) { /* the topic it was recorded with, fixed */\n"
    "        if (mine) sel.value = mine.pack || '';\n"
    "        sel.disabled = queued || sent;\n"
    "      }\n"
    "    });\n"
    "    line.textContent = (navigator.onLine ? '在线' : '离线') + '：' + (q.length ?\n"
    "      q.length + ' 条走访待上传' + (navigator.onLine ? '' : '，联网后自动上传') : '走访都已上传');\n"
    "    root.dataset.pending = String(q.length);\n"
    "  }\n"
    "  function record(hh, pack) {\n"
    "    var q = load(KEY);\n"
    "    if (!hh || q.some(function (v) { return v.household === hh; })) return;\n"
    "    q.push({ id: uuid(), household: hh, pack: pack || '', at: now() });\n"
    "    save(KEY, q);\n"
    "    show();\n"
    "    sync();\n"
    "  }\n"
    "  function settle(v, sent) {\n"
    "    save(KEY, load(KEY).filter(function (w) { return w.id !== v.id; }));\n"
    "    if (sent) { var d = load(DONE); d.push(v.household); save(DONE, d.slice(-1000)); }\n"
    "  }\n"
    "  async function sync() {\n"
    "    if (busy || !navigator.onLine) return;\n"
    "    busy = true;\n"
    "    try {\n"
    "      for (var v of load(KEY)) {\n"
    "        var res;\n"
    "        try {\n"
    "          res = await fetch('/visit/sync', { method: 'POST', credentials: 'same-origin',\n"
    "            body: new URLSearchParams({ csrf: csrf, id: v.id, household: v.household,\n"
    "                                        pack: v.pack || '', at: String(v.at),\n"
    "                                        now: String(now()) }) });\n"
    "        } catch (e) { break; } /* no network: the next chance */\n"
    "        if (res.ok) { settle(v, true); continue; }\n"
    "        if ([400, 404, 409, 422].indexOf(res.status) >= 0) { /* never storable */\n"
    "          var why = await res.json().catch(function () { return {}; });\n"
    "          settle(v, false);\n"
    "          note('户号 ' + v.household + ' 的走访未能上传：' + (why.error || res.status));\n"
    "          continue;\n"
    "        }\n"
    "        if (res.status === 403)\n"
    "          note('登录已过期：请重新登录并打开本页，待上传的走访会自动上传。');\n"
    "        break;\n"
    "      }\n"
    "    } finally { busy = false; show(); }\n"
    "  }\n"
    "  /* logging out leaves nothing of the list on the phone: the queue\n"
    "   * goes first when it can, and is given up only when asked */\n"
    "  var out = document.querySelector('form[action=\"/logout\"]');\n"
    "  if (out) out.addEventListener('submit', async function (e) {\n"
    "    e.preventDefault();\n"
    "    await sync();\n"
    "    var left = load(KEY).length;\n"
    "    if (left && !confirm('还有 ' + left + ' 条走访没有上传，退出后会丢失。仍要退出吗？')) return;\n"
    "    localStorage.removeItem(KEY);\n"
    "    localStorage.removeItem(DONE);\n"
    "    if (self.caches) await caches.delete('anxin-visits-1').catch(function () {});\n"
    "    out.submit();\n"
    "  });\n"
    "  root.addEventListener('submit', function (e) {\n"
    "    e.preventDefault();\n"
    "    var pk = e.target.querySelector('select[name=pack]');\n"
    "    record(e.target.querySelector('input[name=household]').value, pk ? pk.value : '');\n"
    "  });\n"
    "  window.addEventListener('online', sync);\n"
    "  window.addEventListener('offline', show);\n"
    "  setInterval(sync, 20000);\n"
    "  show();\n"
    "  sync();\n"
    "  if ('serviceWorker' in navigator)\n"
    "    navigator.serviceWorker.register('/grid/sw.js', { scope: '/grid/' }).then(function () {\n"
    "      return navigator.serviceWorker.ready;\n"
    "    }).then(function () {\n"
    "      /* this copy was loaded before the worker ran: keep one now */\n"
    "      return caches.open('anxin-visits-1').then(function (c) { return c.add(location.pathname); });\n"
    "    }).catch(function () {});\n"
    "})();\n";

static const char sw_js[] =
    "/* sw.js -- keeps the offline visits page (central/dashboard_visits.c):\n"
    " * network first, the last good copy when there is no network */\n"
    "var CACHE = 'anxin-visits-1';\n"
    "self.addEventListener('install', function (e) {\n"
    "  e.waitUntil(caches.open(CACHE).then(function (c) { return c.add('/grid/visits.js'); })\n"
    "    .then(function () { return self.skipWaiting(); }));\n"
    "});\n"
    "self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });\n"
    "self.addEventListener('fetch', function (e) {\n"
    "  var u = new URL(e.request.url);\n"
    "  if (e.request.method !== 'GET' || u.origin !== self.location.origin ||\n"
    "      !(/^\\/grid\\/[0-9]+\\/offline$/.test(u.pathname) || u.pathname === '/grid/visits.js'))\n"
    "    return;\n"
    "  e.respondWith(fetch(e.request).then(function (res) {\n"
    "    if (res.ok && !res.redirected) {\n"
    "      var copy = res.clone();\n"
    "      caches.open(CACHE).then(function (c) { return c.put(u.pathname, copy); });\n"
    "    }\n"
    "    return res;\n"
    "  }, function () {\n"
    "    return caches.match(u.pathname).then(function (hit) {\n"
    "      return hit || new Response('没有网络，本机也没有保存过这个清单：请联网后打开一次。',\n"
    "        { status: 503, headers: { 'Content-Type': 'text/plain; charset=utf-8' } });\n"
    "    });\n"
    "  }));\n"
    "});\n";

enum MHD_Result ct_dash_visits_js(struct ct_req *r)
{
	return ct_reply(r, MHD_HTTP_OK, "text/javascript; charset=utf-8",
	                visits_js, sizeof visits_js - 1);
}

enum MHD_Result ct_dash_visits_sw(struct ct_req *r)
{
	return ct_reply(r, MHD_HTTP_OK, "text/javascript; charset=utf-8", sw_js,
	                sizeof sw_js - 1);
}

/* ============================================================= check == */
unsigned dash_visit_check(ax_store *st, const struct dash_user *u,
                          const char *hh, char grid[24], const char **title,
                          char *msg, size_t n)
{
	int active = 0;
	ax_rc rc;

	if (!hh || !*hh) {
		*title = "缺少户号";
		snprintf(msg, n, "请从未覆盖户清单上点击“记录入户走访”。");
		return MHD_HTTP_BAD_REQUEST;
	}
	rc = ax_household_region(st, hh, grid, &active);
	if (rc == AX_NOTFOUND) {
		*title = "找不到该户";
		snprintf(msg, n, "户号 %.64s 不在花名册中。", hh);
		return MHD_HTTP_NOT_FOUND;
	}
	if (rc) {
		*title = "暂时无法记录";
		snprintf(msg, n, "数据库暂时不可用，请稍后再试。");
		return ct_status_for(rc);
	}
	if (!ax_scope_covers(u->u.scope, grid)) {
		*title = "无权操作";
		snprintf(msg, n, "户号 %.64s 不在您负责的区域内。", hh);
		return MHD_HTTP_FORBIDDEN;
	}
	if (!active) {
		*title = "该户已注销";
		snprintf(msg, n, "户号 %.64s 在花名册中已标为注销，不能记录走访。", hh);
		return MHD_HTTP_CONFLICT;
	}
	return 0;
}

/* ============================================================== sync == */
/* {"id": …, "stored": …} or {"error": …} */
static enum MHD_Result sync_reply(struct ct_req *r, unsigned status,
                                  const char *id, int stored, const char *error)
{
	json_t *o = error ? json_pack("{s:s}", "error", error)
	                  : json_pack("{s:s,s:b}", "id", id, "stored", stored);
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	enum MHD_Result ret;

	json_decref(o);
	if (!s)
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	ret = ct_reply_json(r, status, s);
	free(s);
	return ret;
}

/* a whole decimal number of seconds, or -1 */
static long long seconds(const char *s)
{
	char *end;
	long long v;

	if (!s || !*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 12)
		return -1;
	v = strtoll(s, &end, 10);
	return *end ? -1 : v;
}

enum MHD_Result dash_visit_sync(struct ct_req *r, ax_store *st,
                                const struct dash_user *u)
{
	const char *hh = ct_form(r, "household"), *id = ct_form(r, "id");
	const char *pack = ct_form(r, "pack");
	long long at = seconds(ct_form(r, "at")), sent = seconds(ct_form(r, "now"));
	long long now = (long long)time(NULL);
	char grid[24], msg[320], out[37];
	const char *title;
	unsigned status;
	int stored = 0, known;
	ax_rc rc;

	if (!id || !*id || at <= 0 || sent <= 0)
		return sync_reply(r, MHD_HTTP_BAD_REQUEST, NULL, 0,
		                  "走访记录不完整：缺少编号或时间。");
	if (strlen(id) != 36)
		return sync_reply(r, MHD_HTTP_BAD_REQUEST, NULL, 0,
		                  "走访编号格式不对：请刷新本页后重新记录。");
	if ((status = dash_visit_check(st, u, hh, grid, &title, msg, sizeof msg)))
		return sync_reply(r, status, NULL, 0, msg);
	if (pack && !*pack)
		pack = NULL; /* no topic chosen */
	if (pack && (known = dash_pack_known(st, pack)) < 0)
		return sync_reply(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, 0,
		                  "数据库暂时不可用，稍后自动重试。");
	if (pack && !known) {
		snprintf(msg, sizeof msg, "户号 %.64s 的走访没有记录：没有“%.64s”这项宣传"
		         "内容，请刷新本页后重新记录。", hh, pack);
		return sync_reply(r, MHD_HTTP_BAD_REQUEST, NULL, 0, msg);
	}
	/* the phone's clock may be off: its error now is its error then */
	at += now - sent;
	if (at > now)
		at = now;
	if (at < now - VISIT_MAX_AGE)
		return sync_reply(r, 422, NULL, 0,
		                  "走访时间在 30 天以前：请改用走访登记表由县级导入。");
	rc = ax_visit_record_id(st, id, hh, u->u.name, at, pack, out, &stored);
	if (rc == AX_INVALID) {
		CT_WARN("visit %s by %s (sync): %s", hh, u->u.name, ax_store_errmsg(st));
		snprintf(msg, sizeof msg, "户号 %.64s 的走访没有记录：%.200s", hh,
		         ax_store_errmsg(st));
		return sync_reply(r, MHD_HTTP_BAD_REQUEST, NULL, 0, msg);
	}
	if (rc)
		return sync_reply(r, ct_status_for(rc), NULL, 0,
		                  "数据库暂时不可用，稍后自动重试。");
	CT_INFO("visit %s by %s sent from a phone (%s, pack %s, %s)", hh, u->u.name,
	        out, pack ? pack : "none", stored ? "stored" : "already stored");
	return sync_reply(r, MHD_HTTP_OK, out, stored, NULL);
}

/* ============================================================== page == */
struct offline_ctx {
	struct dpage *p;
	const struct dash_user *u;
	const char *code;
	long n;
	const ax_content *content; /* the installed packs, or NULL */
};

static ax_rc offline_row(void *ctx, const struct ax_ledger_household *h)
{
	struct offline_ctx *c = ctx;
	struct dpage *p = c->p;
	char masked[256];
	int own = c->u->u.role == AX_ROLE_GRID;

	c->n++;
	if (h->head && !own)
		ax_name_mask(h->head, masked, sizeof masked);
	dp_fmt(p, "<li class=\"v\" data-hh=\"%s\"><div><strong>%s</strong> %s",
	       h->id, h->id, !h->head ? "" : own ? h->head : masked);
	if (own && h->address)
		dp_fmt(p, " · %s", h->address);
	dp_fmt(p, "<br><small>%s · %s</small></div>"
	          "<form method=\"post\" action=\"/visit\">"
	          "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
	          "<input type=\"hidden\" name=\"household\" value=\"%s\">"
	          "<input type=\"hidden\" name=\"back\" value=\"%s\">",
	       h->grid_name ? h->grid_name : h->grid, h->nphones ? h->phones : "无电话",
	       c->u->csrf, h->id, c->code);
	/* the topic handed out, as on the online list: it counts the visit
	 * in that pack's 知识宣传入户率 */
	dash_visit_pack_select(p, c->content);
	dp_raw(p, "<button class=\"btn\" type=\"submit\">记录走访</button></form>"
	          "<span class=\"st\" role=\"status\"></span></li>");
	return AX_OK;
}

enum MHD_Result dash_offline_page(struct ct_req *r, const struct dash_user *u,
                                  const char *code)
{
	static const char *const headers[] = {"Content-Security-Policy",
	                                      VISITS_CSP, NULL, NULL};
	ax_store *st = ct_store(r->srv);
	struct ax_ledger_query q = {0};
	struct offline_ctx c = {0};
	ax_content *content = NULL;
	struct ax_region g;
	enum MHD_Result ret;
	char when[20];
	struct dpage p;
	ax_rc rc;

	if (dash_list_region(r, u, code, &g, &ret))
		return ret;
	q.scope = code;
	if (dp_open(&p))
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	dp_begin(&p, "入户走访", u, "unreached");
	dash_cst_time((long long)time(NULL), when, sizeof when);
	/* data-rendered tells one rendering of the page from another (a copy
	 * the phone kept from a fresh one) */
	dp_fmt(&p, "<div id=\"visits\" data-grid=\"%s\" data-csrf=\"%s\" "
	           "data-rendered=\"%lld-%08x\" data-pending=\"0\">"
	           "<h1>入户走访 · %s</h1>"
	           "<p class=\"note\">%s 的未覆盖户（%s 更新）。没有信号也可以记录："
	           "记录保存在本机，联网后自动上传，每户只计一次。请先在有信号时打开本页一次。</p>"
	           "<p id=\"sync\" class=\"msg\" role=\"status\">本页需要浏览器运行脚本才能离线记录。</p>"
	           "<ul id=\"errs\" class=\"note\"></ul>"
	           "<style>.vl{list-style:none;padding:0}.vl li{display:flex;flex-wrap:wrap;"
	           "gap:.5em;align-items:center;justify-content:space-between;"
	           "border-bottom:1px solid #ddd;padding:.6em 0}.vl li.queued{background:#fff7e0}"
	           ".vl li.sent{background:#e8f6ea}.vl .st{flex-basis:100%%;color:#555}"
	           ".vl button:disabled{opacity:.4}</style>"
	           "<ul class=\"vl\">",
	       code, u->csrf, (long long)time(NULL), randombytes_random(), g.name,
	       g.name, when);
	c.p = &p;
	c.u = u;
	c.code = code;
	if (ax_content_load_store(st, &content) == AX_OK)
		c.content = content;
	rc = ax_ledger_unreached(st, &q, offline_row, &c);
	ax_content_free(content);
	if (rc) {
		dp_discard(&p);
		CT_WARN("offline visits %s: %s", code, ax_store_errmsg(st));
		return dash_error(r, u, ct_status_for(rc), "暂时无法显示",
		                  "数据库暂时不可用，请稍后再试。");
	}
	dp_fmt(&p, "</ul><p><strong>共 %ld 户未覆盖。</strong></p></div>"
	           "<script src=\"/grid/visits.js\"></script>",
	       c.n);
	dp_end(&p);
	return dp_send(r, &p, MHD_HTTP_OK, headers);
}
