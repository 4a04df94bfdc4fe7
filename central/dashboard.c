/*
 * dashboard.c -- the staff dashboard's handlers (named by the route table
 * in routes.c), login and sessions.
 *
 *   GET  /login, POST /login   user + password (login CSRF cookie + field,
 *                              per-address rate limit: 5 failures in 15
 *                              minutes block the address for 5 minutes)
 *   POST /logout               session CSRF
 *   GET  /                     the user's own region
 *   GET  /region/CODE          dashboard_region.c
 *   GET  /devices              dashboard_lists.c
 *   GET  /grid/CODE/unreached  dashboard_lists.c
 *   GET  /grid/CODE/offline    dashboard_visits.c (visits recorded with no
 *                              signal; its script and service worker at
 *                              /grid/visits.js and /grid/sw.js)
 *   GET  /items/SURVEY         dashboard_items.c (?scope=CODE)
 *   GET  /export/contacts.csv  dashboard_lists.c (入户宣传明细 as CSV)
 *   POST /visit                record a door-to-door visit (session CSRF)
 *   POST /visit/sync           a visit queued on a phone (session CSRF, JSON)
 *   GET  /optouts, POST /optout/restore   dashboard_optout.c
 *
 * Sessions: cookie anxin_session (HttpOnly, SameSite=Strict, Path=/,
 * Max-Age = the server's session TTL).  The reverse proxy in front of the
 * server terminates TLS and adds Secure to Set-Cookie (nginx:
 * proxy_cookie_flags ~ secure); the server itself speaks plain HTTP on
 * 127.0.0.1, where a Secure cookie would never come back.
 *
 * Every state-changing form carries the session's CSRF token (from
 * ax_session_get) and is refused with 403 without it.  SameSite=Strict
 * already keeps other sites' forms from carrying the cookie; the token is
 * the second lock for browsers that ignore SameSite.
 */
#include <arpa/inet.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/funnel.h"
#include "anxin/ledger.h"
#include "dashboard_int.h"
#include "routes.h"

#define SESSION_COOKIE "anxin_session"
#define LOGIN_COOKIE "anxin_login"

/* ========================================================== sessions == */
/* 0 and *u filled when the request carries a live session. */
static int session_of(struct ct_req *r, ax_store *st, struct dash_user *u)
{
	const char *sid = ct_cookie(r, SESSION_COOKIE);

	memset(u, 0, sizeof *u);
	if (!st || !sid || !*sid || strlen(sid) >= AX_TOKEN_MAX)
		return -1;
	return ax_session_get(st, sid, &u->u, u->csrf) == AX_OK ? 0 : -1;
}

/* Constant-time comparison of a submitted token with the expected one. */
static int token_ok(const char *given, const char *want)
{
	size_t n = strlen(want);
	return given && n > 0 && strlen(given) == n &&
	       sodium_memcmp(given, want, n) == 0;
}

static int csrf_ok(struct ct_req *r, const struct dash_user *u)
{
	return token_ok(ct_form(r, "csrf"), u->csrf);
}

/* 1 if s is a region code as URLs carry it: 12 to 20 digits. */
static int is_code(const char *s, size_t n)
{
	if (n < 12 || n > 20)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* A local path safe to redirect to after login: "/" followed by
 * letters, digits, '/', '-' and '_' only (no "//host", no scheme). */
static int safe_next(const char *s)
{
	if (!s || s[0] != '/' || s[1] == '/' || strlen(s) > 200)
		return 0;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '/' || *p == '-' || *p == '_'))
			return 0;
	return 1;
}

static enum MHD_Result to_login(struct ct_req *r)
{
	char loc[256];
	if (safe_next(r->url) && strcmp(r->url, "/") != 0)
		snprintf(loc, sizeof loc, "/login?next=%s", r->url);
	else
		snprintf(loc, sizeof loc, "/login");
	return dash_redirect(r, loc, NULL);
}

/* ===================================================== rate limiting == */
/*
 * The address a login attempt comes from.  Behind the reverse proxy every
 * request comes from 127.0.0.1, so a loopback peer's X-Real-IP (which the
 * proxy sets, replacing whatever the client sent: nginx
 * `proxy_set_header X-Real-IP $remote_addr`) names the client.  From any
 * other peer the header is ignored: it could be forged.
 */
static void login_addr(struct ct_req *r, char *out, size_t n)
{
	const char *real = ct_header(r, "X-Real-IP");

	ct_client_addr(r, out, n);
	if ((strcmp(out, "127.0.0.1") == 0 || strcmp(out, "::1") == 0) && real &&
	    *real && strlen(real) < n && strspn(real, "0123456789abcdefABCDEF.:") ==
	                                     strlen(real))
		snprintf(out, n, "%s", real);
}

/* The limiter's key of an address: an IPv6 address by its /64 (one
 * subscriber's whole prefix), an IPv4 address as it is. */
static void addr_key(const char *addr, char *out, size_t n)
{
	struct in6_addr a6;
	char buf[INET6_ADDRSTRLEN];

	if (strchr(addr, ':') && inet_pton(AF_INET6, addr, &a6) == 1) {
		memset(a6.s6_addr + 8, 0, 8);
		inet_ntop(AF_INET6, &a6, buf, sizeof buf);
		snprintf(out, n, "a:%s/64", buf);
	} else {
		snprintf(out, n, "a:%s", addr);
	}
}

/* ============================================================= login == */
static enum MHD_Result login_page(struct ct_req *r, unsigned status,
                                  const char *error, const char *user,
                                  const char *const *extra)
{
	unsigned char raw[32];
	char tok[64], cookie[160];
	const char *next = ct_query(r, "next");
	const char *h[8];
	size_t n = 0;
	struct dpage p;

	if (!next)
		next = ct_form(r, "next");
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(tok, sizeof tok, raw, sizeof raw,
	                  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	snprintf(cookie, sizeof cookie,
	         LOGIN_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/login; "
	                      "Max-Age=1800",
	         tok);
	h[n++] = "Set-Cookie";
	h[n++] = cookie;
	for (int i = 0; extra && extra[i] && extra[i + 1] && n < 6; i += 2) {
		h[n++] = extra[i];
		h[n++] = extra[i + 1];
	}
	h[n] = h[n + 1] = NULL;
	if (dp_open(&p))
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	dp_begin(&p, "登录", NULL, NULL);
	dp_raw(&p, "<div class=\"card\"><h1>工作人员登录</h1>"
	           "<p class=\"note\">网格员、妇联和平安建设工作人员使用。</p>");
	if (error)
		dp_fmt(&p, "<p class=\"msg err\" role=\"alert\">%s</p>", error);
	dp_fmt(&p, "<form method=\"post\" action=\"/login\">"
	           "<input type=\"hidden\" name=\"csrf\" value=\"%s\">",
	       tok);
	if (safe_next(next))
		dp_fmt(&p, "<input type=\"hidden\" name=\"next\" value=\"%s\">", next);
	dp_fmt(&p, "<label>用户名<input name=\"user\" autocomplete=\"username\" "
	           "autocapitalize=\"none\" required value=\"%s\"></label>"
	           "<label>密码<input name=\"password\" type=\"password\" "
	           "autocomplete=\"current-password\" required></label>"
	           "<button class=\"btn\" type=\"submit\">登录</button></form></div>",
	       user ? user : "");
	dp_end(&p);
	return dp_send(r, &p, status, h);
}

/* GET /login */
enum MHD_Result ct_dash_login_page(struct ct_req *r)
{
	struct dash_user u;
	if (session_of(r, ct_store(r->srv), &u) == 0)
		return dash_redirect(r, "/", NULL);
	return login_page(r, MHD_HTTP_OK, NULL, NULL, NULL);
}

/* POST /login: no session yet; the login CSRF cookie and field instead */
enum MHD_Result ct_dash_login(struct ct_req *r)
{
	ax_store *st = ct_store(r->srv);
	const char *user = ct_form(r, "user"), *pw = ct_form(r, "password");
	const char *next = ct_form(r, "next");
	char addr[64], sid[AX_TOKEN_MAX], csrf[AX_TOKEN_MAX], cookie[256];
	char msg[160], retry[16], akey[80], ukey[80];
	long long now = (long long)time(NULL), left;
	struct ax_user u;
	ax_rc rc;

	if (!st)
		return dash_error(r, NULL, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法登录",
		                  "数据库暂时不可用，请稍后再试。");
	if (!token_ok(ct_form(r, "csrf"), ct_cookie(r, LOGIN_COOKIE) ? ct_cookie(r, LOGIN_COOKIE) : ""))
		return login_page(r, MHD_HTTP_FORBIDDEN,
		                  "登录页面已过期，请重新输入用户名和密码。", user, NULL);
	login_addr(r, addr, sizeof addr);
	addr_key(addr, akey, sizeof akey);
	/* the limiter's failures are in the store, shared by every central
	 * process on it (ax_login_note) */
	if ((rc = ax_login_blocked(st, akey, now, &left)))
		goto store_down;
	if (left > 0)
		goto blocked;
	if (!user || !pw || !*user || !*pw)
		return login_page(r, MHD_HTTP_BAD_REQUEST, "请输入用户名和密码。", user,
		                  NULL);
	snprintf(ukey, sizeof ukey, "u:%.60s", user);
	if ((rc = ax_login_blocked(st, ukey, now, &left)))
		goto store_down;
	if (left > 0)
		goto blocked;
	/* each check is an Argon2 hash of 64 MiB on a server thread: at most
	 * CT_PW_CHECKS at once, so a login flood leaves threads for devices */
	if (atomic_fetch_add(&r->srv->pw_checks, 1) >= CT_PW_CHECKS) {
		const char *h[] = {"Retry-After", "2", NULL, NULL};
		atomic_fetch_sub(&r->srv->pw_checks, 1);
		return login_page(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		                  "登录的人太多，请几秒钟后再试。", user, h);
	}
	rc = ax_user_verify(st, user, pw, &u);
	atomic_fetch_sub(&r->srv->pw_checks, 1);
	if (rc == AX_DENIED) {
		long long la, lu;
		CT_WARN("login: failed for a user from %s", addr);
		if ((rc = ax_login_note(st, akey, 0, now, &la)) ||
		    (rc = ax_login_note(st, ukey, 0, now, &lu)))
			goto store_down;
		if ((left = la > lu ? la : lu) > 0)
			goto blocked;
		return login_page(r, MHD_HTTP_UNAUTHORIZED, "用户名或密码不正确。", user,
		                  NULL);
	}
	if (rc || (rc = ax_login_note(st, akey, 1, now, &left)) ||
	    (rc = ax_login_note(st, ukey, 1, now, &left)))
		goto store_down;
	if ((rc = ax_session_create(st, u.name, r->srv->session_ttl, sid, csrf)))
		return dash_error(r, NULL, ct_status_for(rc), "暂时无法登录",
		                  "无法建立会话，请稍后再试。");
	CT_INFO("login: %s from %s", u.name, addr);
	snprintf(cookie, sizeof cookie,
	         SESSION_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/; Max-Age=%d",
	         sid, r->srv->session_ttl);
	{
		const char *h[] = {"Set-Cookie", cookie, "Set-Cookie",
		                   LOGIN_COOKIE "=; HttpOnly; SameSite=Strict; "
		                                "Path=/login; Max-Age=0",
		                   NULL, NULL};
		sodium_memzero(sid, sizeof sid);
		return dash_redirect(r, safe_next(next) ? next : "/", h);
	}
blocked:
	snprintf(msg, sizeof msg,
	         "登录失败次数过多，已暂停登录。请在 %lld 分钟后再试；"
	         "忘记密码请联系本县系统管理员。",
	         (left + 59) / 60);
	snprintf(retry, sizeof retry, "%lld", left);
	{
		const char *h[] = {"Retry-After", retry, NULL, NULL};
		return login_page(r, MHD_HTTP_TOO_MANY_REQUESTS, msg, user, h);
	}
store_down:
	return dash_error(r, NULL, ct_status_for(rc), "暂时无法登录",
	                  "数据库暂时不可用，请稍后再试。");
}

static enum MHD_Result post_logout(struct ct_req *r, ax_store *st,
                                   const struct dash_user *u)
{
	/* whatever page the form was on, the browser drops what the offline
	 * visits page kept (the service worker's copy of the list with masked
	 * phones, 户主 and 住址, and the localStorage queue): Clear-Site-Data
	 * works where a service worker can (HTTPS or localhost) */
	static const char *const h[] = {
		"Set-Cookie",
		SESSION_COOKIE "=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
		"Clear-Site-Data", "\"cache\", \"storage\"",
		NULL, NULL};
	ax_session_delete(st, ct_cookie(r, SESSION_COOKIE));
	CT_INFO("logout: %s", u->u.name);
	return dash_redirect(r, "/login", h);
}

/* ============================================================= visit == */
/* The unreached list to go back to: the grid of the form, with its
 * window when the dates are well-formed. */
static void visit_back(struct ct_req *r, const char *grid, const char *hh,
                       char *out, size_t n)
{
	const char *from = ct_form(r, "from"), *to = ct_form(r, "to");
	const char *back = ct_form(r, "back");
	char code[24];
	size_t len;

	/* back names the list the button was on (a grid or a village) */
	if (back && (len = strlen(back)) > 0 && is_code(back, len) &&
	    len < sizeof code)
		snprintf(code, sizeof code, "%s", back);
	else
		snprintf(code, sizeof code, "%s", grid);
	snprintf(out, n, "/grid/%s/unreached?visited=", code);
	/* household ids are roster ids: keep the safe characters only */
	for (size_t o = strlen(out); hh && *hh && o + 1 < n; hh++)
		if ((*hh >= '0' && *hh <= '9') || (*hh >= 'A' && *hh <= 'Z') ||
		    (*hh >= 'a' && *hh <= 'z') || *hh == '-' || *hh == '_') {
			out[o++] = *hh;
			out[o] = '\0';
		}
	if (dash_is_date(from))
		snprintf(out + strlen(out), n - strlen(out), "&from=%s", from);
	if (dash_is_date(to))
		snprintf(out + strlen(out), n - strlen(out), "&to=%s", to);
}

static enum MHD_Result post_visit(struct ct_req *r, ax_store *st,
                                  const struct dash_user *u)
{
	const char *hh = ct_form(r, "household"), *title;
	const char *pack = ct_form(r, "pack");
	char grid[24], id[37], loc[256], msg[320];
	unsigned status;
	int known;
	ax_rc rc;

	if ((status = dash_visit_check(st, u, hh, grid, &title, msg, sizeof msg)))
		return dash_error(r, u, status, title, "%s", msg);
	if (pack && !*pack)
		pack = NULL; /* no topic chosen */
	/* one of the installed packs, as the list offers them */
	if (pack && (known = dash_pack_known(st, pack)) < 0)
		return dash_error(r, u, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法记录",
		                  "数据库暂时不可用，请稍后再试。");
	if (pack && !known)
		return dash_error(r, u, MHD_HTTP_BAD_REQUEST, "宣传内容有误",
		                  "没有这项宣传内容，请从清单上的选项中选择。");
	if ((rc = ax_visit_record(st, hh, u->u.name, 0, pack, id))) {
		CT_WARN("visit %s by %s: %s", hh, u->u.name, ax_store_errmsg(st));
		return dash_error(r, u, rc == AX_INVALID ? MHD_HTTP_BAD_REQUEST
		                                         : ct_status_for(rc),
		                  "未能记录走访", "户号 %s 的走访没有记录成功，请稍后再试。",
		                  hh);
	}
	CT_INFO("visit %s recorded by %s (%s, pack %s)", hh, u->u.name, id,
	        pack ? pack : "none");
	visit_back(r, grid, hh, loc, sizeof loc);
	/* the list offers to take it back (a wrong tap): its id */
	snprintf(loc + strlen(loc), sizeof loc - strlen(loc), "&vid=%s", id);
	return dash_redirect(r, loc, NULL);
}

/* POST /visit/undo: the user's own visit, within a day, taken back (kept
 * in visits_undone, logged); back to the list. */
static enum MHD_Result post_visit_undo(struct ct_req *r, ax_store *st,
                                       const struct dash_user *u)
{
	const char *id = ct_form(r, "id");
	char hh[64], grid[24], loc[256];
	ax_rc rc;

	if ((rc = ax_visit_undo(st, id, u->u.name, (long long)time(NULL), hh))) {
		CT_WARN("visit undo %s by %s: %s", id ? id : "-", u->u.name,
		        ax_store_errmsg(st));
		return dash_error(r, u, rc == AX_DENIED     ? MHD_HTTP_FORBIDDEN
		                        : rc == AX_NOTFOUND ? MHD_HTTP_NOT_FOUND
		                                            : ct_status_for(rc),
		                  "未能撤销走访", "%s",
		                  rc == AX_DENIED || rc == AX_NOTFOUND
		                      ? ax_store_errmsg(st)
		                      : "数据库暂时不可用，请稍后再试。");
	}
	CT_INFO("visit %s to %s undone by %s (kept in visits_undone)", id, hh,
	        u->u.name);
	if (ax_household_region(st, hh, grid, NULL) != AX_OK)
		snprintf(grid, sizeof grid, "%s", "");
	visit_back(r, grid, NULL, loc, sizeof loc);
	snprintf(loc + strlen(loc), sizeof loc - strlen(loc), "&undone=%s", hh);
	return dash_redirect(r, loc, NULL);
}

/* ============================================================== home == */
/* "/": straight to the user's region; a user with several regions picks
 * one. */
static enum MHD_Result home(struct ct_req *r, ax_store *st,
                            const struct dash_user *u)
{
	const char *s = u->u.scope;
	char loc[64];
	struct dpage p;

	if (!strchr(s, ',')) {
		snprintf(loc, sizeof loc, "/region/%s", s);
		return dash_redirect(r, loc, NULL);
	}
	if (dp_open(&p))
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	dp_begin(&p, "选择区域", u, "region");
	dp_raw(&p, "<h1>选择区域</h1><ul>");
	while (*s) {
		size_t n = strcspn(s, ",");
		char code[32];
		struct ax_region g;
		snprintf(code, sizeof code, "%.*s", (int)(n < 31 ? n : 31), s);
		if (ax_region_get(st, code, &g) == AX_OK)
			dp_fmt(&p, "<li><a href=\"/region/%s\">%s</a> <span class=\"note\">%s</span></li>",
			       g.code, g.name, g.code);
		s += n;
		if (*s == ',')
			s++;
	}
	dp_raw(&p, "</ul>");
	dp_end(&p);
	return dp_send(r, &p, MHD_HTTP_OK, NULL);
}

/* ============================================================ guards == */
/* A page or form behind the login, given the store and the session's
 * user. */
typedef enum MHD_Result (*signed_in_fn)(struct ct_req *r, ax_store *st,
                                        const struct dash_user *u);

/* GET behind the login: 503 without a store, to the login page (coming
 * back here after it) without a session. */
static enum MHD_Result signed_in(struct ct_req *r, signed_in_fn fn)
{
	ax_store *st = ct_store(r->srv);
	struct dash_user u;

	if (!st)
		return dash_error(r, NULL, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法访问",
		                  "数据库暂时不可用，请稍后再试。");
	if (session_of(r, st, &u))
		return to_login(r);
	return fn(r, st, &u);
}

/* POST behind the login: 503 without a store, 403 without a session or
 * without the session's CSRF token (no redirect: the form is lost). */
static enum MHD_Result signed_in_form(struct ct_req *r, signed_in_fn fn)
{
	ax_store *st = ct_store(r->srv);
	struct dash_user u;

	if (!st)
		return dash_error(r, NULL, MHD_HTTP_SERVICE_UNAVAILABLE, "暂时无法访问",
		                  "数据库暂时不可用，请稍后再试。");
	if (session_of(r, st, &u))
		return dash_error(r, NULL, MHD_HTTP_FORBIDDEN, "请先登录",
		                  "登录已过期或尚未登录，请重新登录后再操作。");
	if (!csrf_ok(r, &u))
		return dash_error(r, &u, MHD_HTTP_FORBIDDEN, "请求被拒绝",
		                  "表单校验失败（缺少或错误的安全令牌）。请返回页面刷新后重试。");
	return fn(r, st, &u);
}

/* ============================================================= pages == */
static enum MHD_Result not_found(struct ct_req *r, ax_store *st,
                                 const struct dash_user *u)
{
	(void)st;
	return dash_error(r, u, MHD_HTTP_NOT_FOUND, "页面不存在",
	                  "没有这个页面：%s", r->url);
}

static enum MHD_Result devices(struct ct_req *r, ax_store *st,
                               const struct dash_user *u)
{
	(void)st;
	return dash_devices_page(r, u);
}

static enum MHD_Result search(struct ct_req *r, ax_store *st,
                              const struct dash_user *u)
{
	(void)st;
	return dash_search_page(r, u);
}

static enum MHD_Result contacts_csv(struct ct_req *r, ax_store *st,
                                    const struct dash_user *u)
{
	(void)st;
	return dash_contacts_csv(r, u);
}

/* /region/CODE */
static enum MHD_Result region(struct ct_req *r, ax_store *st,
                              const struct dash_user *u)
{
	const char *code = r->url + strlen("/region/");

	if (!is_code(code, strlen(code)))
		return not_found(r, st, u);
	return dash_region_page(r, u, code);
}

/* /grid/CODE/unreached */
static enum MHD_Result unreached(struct ct_req *r, ax_store *st,
                                 const struct dash_user *u)
{
	const char *start = r->url + strlen("/grid/");
	const char *rest = strchr(start, '/');
	char code[24];

	if (!rest || (strcmp(rest, "/unreached") != 0 &&
	              strcmp(rest, "/unreached.csv") != 0 &&
	              strcmp(rest, "/offline") != 0) ||
	    !is_code(start, (size_t)(rest - start)))
		return not_found(r, st, u);
	snprintf(code, sizeof code, "%.*s", (int)(rest - start), start);
	if (strcmp(rest, "/offline") == 0)
		return dash_offline_page(r, u, code);
	if (strcmp(rest, "/unreached.csv") == 0)
		return dash_unreached_csv(r, u, code);
	return dash_unreached_page(r, u, code);
}

/* /items/SURVEY: survey ids are letters, digits, '-' and '_' */
static enum MHD_Result items(struct ct_req *r, ax_store *st,
                             const struct dash_user *u)
{
	const char *id = r->url + strlen("/items/");
	size_t n = strlen(id);

	if (n == 0 || n >= 64 ||
	    strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	               "0123456789-_") != n)
		return not_found(r, st, u);
	return dash_items_page(r, u, id);
}

/* ============================================ handlers of the routes == */
/* Named by routes.c; each says which guard stands before its page
 * (GET and POST /login are with the login above). */
enum MHD_Result ct_dash_logout(struct ct_req *r)
{
	return signed_in_form(r, post_logout);
}

enum MHD_Result ct_dash_visit(struct ct_req *r)
{
	return signed_in_form(r, post_visit);
}

enum MHD_Result ct_dash_visit_sync(struct ct_req *r)
{
	return signed_in_form(r, dash_visit_sync);
}

enum MHD_Result ct_dash_visit_undo(struct ct_req *r)
{
	return signed_in_form(r, post_visit_undo);
}

enum MHD_Result ct_dash_optout_restore(struct ct_req *r)
{
	return signed_in_form(r, dash_optout_restore);
}

static enum MHD_Result optouts(struct ct_req *r, ax_store *st,
                               const struct dash_user *u)
{
	(void)st;
	return dash_optouts_page(r, u);
}

enum MHD_Result ct_dash_optouts(struct ct_req *r)
{
	return signed_in(r, optouts);
}

enum MHD_Result ct_dash_favicon(struct ct_req *r)
{
	return ct_reply(r, MHD_HTTP_NO_CONTENT, NULL, "", 0);
}

enum MHD_Result ct_dash_home(struct ct_req *r)
{
	return signed_in(r, home);
}

enum MHD_Result ct_dash_devices(struct ct_req *r)
{
	return signed_in(r, devices);
}

enum MHD_Result ct_dash_search(struct ct_req *r)
{
	return signed_in(r, search);
}

enum MHD_Result ct_dash_contacts_csv(struct ct_req *r)
{
	return signed_in(r, contacts_csv);
}

enum MHD_Result ct_dash_region(struct ct_req *r)
{
	return signed_in(r, region);
}

enum MHD_Result ct_dash_unreached(struct ct_req *r)
{
	return signed_in(r, unreached);
}

enum MHD_Result ct_dash_items(struct ct_req *r)
{
	return signed_in(r, items);
}

enum MHD_Result ct_dash_no_page(struct ct_req *r)
{
	return signed_in(r, not_found);
}

/* No session check: the 404 needs no user (and gave none before). */
enum MHD_Result ct_dash_no_form(struct ct_req *r)
{
	return dash_error(r, NULL, MHD_HTTP_NOT_FOUND, "页面不存在",
	                  "没有这个页面：%s", r->url);
}
