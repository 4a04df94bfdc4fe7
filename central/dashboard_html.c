/*
 * dashboard_html.c -- the dashboard's page builder: escape-by-default
 * formatting into an open_memstream buffer, the page shell with its
 * inline CSS (screen, phone and print), error pages, badges and China
 * time.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/clock.h"
#include "dashboard_int.h"

/* ============================================================ builder == */
int dp_open(struct dpage *p)
{
	p->buf = NULL;
	p->len = 0;
	p->f = open_memstream(&p->buf, &p->len);
	return p->f ? 0 : -1;
}

void dp_discard(struct dpage *p)
{
	if (!p)
		return;
	if (p->f)
		fclose(p->f);
	free(p->buf);
	p->f = NULL;
	p->buf = NULL;
}

void dash_html_escape(FILE *f, const char *s)
{
	if (!s)
		return;
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

void dp_raw(struct dpage *p, const char *html)
{
	fputs(html, p->f);
}

void dp_url(struct dpage *p, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
		    c == '~')
			fputc(c, p->f);
		else
			fprintf(p->f, "%%%c%c", hex[c >> 4], hex[c & 15]);
	}
}

/*
 * dp_fmt walks the format itself: literal runs are copied, each
 * conversion is handed to fprintf alone with its one argument, except
 * %s, whose argument is escaped.  Supported: flags, width and precision
 * (digits or *), length hh h l ll z, conversions d i u x X c f e g s %
 * (a precision on %s is ignored: it could cut a UTF-8 sequence).
 * The printf format attribute on the prototype keeps the compiler
 * checking argument types.
 */
void dp_fmt(struct dpage *p, const char *fmt, ...)
{
	va_list ap;
	const char *q = fmt;

	va_start(ap, fmt);
	while (*q) {
		char spec[32];
		size_t n = 0;
		int lng = 0; /* 0 int, 1 long, 2 long long, 3 size_t */
		const char *lit = strchr(q, '%');
		if (!lit) {
			fputs(q, p->f);
			break;
		}
		fwrite(q, 1, (size_t)(lit - q), p->f);
		q = lit + 1;
		if (*q == '%') {
			fputc('%', p->f);
			q++;
			continue;
		}
		spec[n++] = '%';
		while (*q && strchr("-+ #0", *q) && n < 8)
			spec[n++] = *q++;
		/* width and precision: a * takes an int argument, written in */
		for (int part = 0; part < 2; part++) {
			if (part == 1) {
				if (*q != '.')
					break;
				spec[n++] = *q++;
			}
			if (*q == '*') {
				n += (size_t)snprintf(spec + n, sizeof spec - n, "%d",
				                      va_arg(ap, int));
				q++;
			} else {
				while (*q >= '0' && *q <= '9' && n < 24)
					spec[n++] = *q++;
			}
		}
		while (*q == 'h' || *q == 'l' || *q == 'z') {
			if (*q == 'l')
				lng++;
			else if (*q == 'z')
				lng = 3;
			spec[n++] = *q++;
		}
		if (!*q)
			break;
		spec[n++] = *q;
		spec[n] = '\0';
		switch (*q++) {
		case 's': dash_html_escape(p->f, va_arg(ap, const char *)); break;
		case 'f':
		case 'e':
		case 'g': fprintf(p->f, spec, va_arg(ap, double)); break;
		case 'c': fprintf(p->f, spec, va_arg(ap, int)); break;
		case 'd':
		case 'i':
		case 'u':
		case 'x':
		case 'X':
			if (lng == 3)
				fprintf(p->f, spec, va_arg(ap, size_t));
			else if (lng == 2)
				fprintf(p->f, spec, va_arg(ap, long long));
			else if (lng == 1)
				fprintf(p->f, spec, va_arg(ap, long));
			else
				fprintf(p->f, spec, va_arg(ap, int));
			break;
		default: break; /* unsupported: dropped (the compiler warns) */
		}
	}
	va_end(ap);
}

/* ============================================================= shell == */
/* High contrast (body text #111 on white, ≥ 7:1), big touch targets
 * (44 px), tables that scroll sideways on a phone with the region name
 * kept in view, and a print style without navigation or buttons. */
static const char css[] =
    ":root{--ink:#111;--muted:#3d3d3d;--line:#767676;--pri:#0b3d91;"
    "--ok:#0a6b2e;--bad:#b00020;--small:#4a4a4a;--band:#eef1f6}"
    "*{box-sizing:border-box}"
    "html{-webkit-text-size-adjust:100%}"
    "body{margin:0;color:var(--ink);background:#fff;font:16px/1.5 \"Noto Sans "
    "CJK SC\",\"Source Han Sans SC\",\"WenQuanYi Micro Hei\",\"Microsoft "
    "YaHei\",\"PingFang SC\",sans-serif;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}"
    "a{color:var(--pri)}"
    "a:focus,button:focus,input:focus,select:focus{outline:3px solid #f5a300;"
    "outline-offset:1px}"
    ".top{background:var(--pri);color:#fff;padding:.4rem 1rem;display:flex;"
    "flex-wrap:wrap;align-items:center;gap:.25rem 1rem}"
    ".brand{font-weight:700;font-size:1.15rem;margin-right:auto}"
    ".brand small{font-weight:400;font-size:.85rem;margin-left:.4rem}"
    ".top nav{display:flex;flex-wrap:wrap;gap:.25rem;align-items:center}"
    ".top nav a,.top nav button{color:#fff;background:none;border:2px solid "
    "transparent;font:inherit;padding:0 .6rem;min-height:44px;line-height:40px;"
    "border-radius:4px;text-decoration:none;cursor:pointer}"
    ".top nav a.on{background:#fff;color:var(--pri)}"
    ".top nav button{border-color:#fff}"
    ".who{font-size:.9rem}"
    "main{padding:.75rem 1rem 2rem;max-width:1400px;margin:0 auto}"
    "h1{font-size:1.5rem;margin:.25rem 0}"
    "h2{font-size:1.2rem;margin:1.75rem 0 .5rem;padding-bottom:.2rem;"
    "border-bottom:2px solid var(--ink)}"
    "h3{font-size:1.05rem;margin:1rem 0 .25rem}"
    ".crumbs{font-size:.95rem;margin:.25rem 0}"
    ".crumbs a{display:inline-block;padding:.3rem 0}"
    ".note{color:var(--muted);font-size:.9rem;margin:.25rem 0}"
    ".msg{border:2px solid var(--ok);background:#e9f5ee;padding:.6rem .8rem;"
    "margin:.5rem 0;font-weight:600}"
    ".msg.err{border-color:var(--bad);background:#fdecee}"
    /* separate borders: collapsed ones stay behind a sticky cell */
    ".tbl{overflow-x:auto;-webkit-overflow-scrolling:touch}"
    "table{border-collapse:separate;border-spacing:0;width:100%;font-size:.95rem;"
    "border-top:1px solid var(--line);border-left:1px solid var(--line)}"
    "th,td{border:0;border-right:1px solid #a8a8a8;border-bottom:1px solid "
    "#a8a8a8;padding:.35rem .5rem;text-align:right;vertical-align:top;"
    "white-space:nowrap}"
    "th{background:var(--band);text-align:center;font-weight:700}"
    "th.l,td.l{text-align:left}"
    "td.name,th.name{text-align:left;position:sticky;left:0;background:#fff;"
    "z-index:1;border-right:2px solid var(--line);box-shadow:inset 0 -1px #a8a8a8}"
    "th.name{background:var(--band)}"
    "tr.self td{background:#e6eefa;font-weight:600}"
    "tr.self td.name{background:#e6eefa}"
    "td .r{font-weight:700;font-size:1.05rem}"
    "td .ci{display:block;font-size:.8rem;color:var(--muted);font-weight:400}"
    ".badge{display:inline-block;margin-left:.3rem;padding:0 .35rem;"
    "border:2px solid;border-radius:3px;font-size:.8rem;font-weight:700;"
    "line-height:1.4;vertical-align:1px}"
    ".tag{display:inline-block;padding:0 .3rem;border:1px solid currentColor;"
    "border-radius:3px;font-size:.75rem;font-weight:400;vertical-align:2px}"
    ".b-ok{color:#fff;background:var(--ok);border-color:var(--ok)}"
    ".b-bad{color:#fff;background:var(--bad);border-color:var(--bad)}"
    ".b-small{color:var(--small);background:#fff;border-color:var(--small);"
    "border-style:dashed}"
    ".b-none{color:var(--muted);background:#fff;border-color:#a8a8a8}"
    ".bar-ok{fill:var(--ok)}.bar-bad{fill:var(--bad)}"
    ".bar-small{fill:#8c8c8c}.bar-none{fill:none}"
    ".legend{display:flex;flex-wrap:wrap;gap:.25rem 1rem;font-size:.85rem;"
    "margin:.25rem 0}"
    ".sw{display:inline-block;width:.9em;height:.9em;margin-right:.25rem;"
    "vertical-align:-.1em;border:1px solid var(--ink)}"
    ".chart{border:1px solid var(--line);padding:.5rem .75rem;margin:.5rem 0}"
    ".bars{display:grid;grid-template-columns:minmax(6em,11em) 1fr 9.5em;"
    "column-gap:.6rem;align-items:center}"
    ".bars .lab{text-align:right;font-size:.9rem;overflow:hidden;"
    "text-overflow:ellipsis;white-space:nowrap}"
    ".bars .grp{grid-column:1/-1;font-weight:700;margin-top:.5rem;"
    "border-top:1px solid #ccc;padding-top:.2rem}"
    ".bars .val{font-size:.85rem;white-space:nowrap}"
    ".bars svg{display:block;width:100%;height:24px}"
    ".bars svg.axis{height:18px}"
    ".trend svg{display:block;width:100%;height:248px}"
    ".funnel{max-width:900px}"
    ".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));"
    "gap:.6rem;margin:.75rem 0}"
    ".kpi{border:2px solid var(--ink);border-radius:6px;padding:.5rem .75rem}"
    ".kpi .k{font-weight:700;font-size:.95rem}"
    ".kpi .v{font-size:1.8rem;font-weight:700;line-height:1.3}"
    ".kpi .v .badge{font-size:.85rem;vertical-align:6px}"
    ".kpi .s{font-size:.85rem;color:var(--muted)}"
    "form.filter{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:flex-end;"
    "background:var(--band);padding:.6rem .8rem;border:1px solid var(--line)}"
    "label{display:flex;flex-direction:column;font-size:.9rem;font-weight:600}"
    "input,select{font:inherit;min-height:44px;padding:.3rem .5rem;border:2px "
    "solid var(--ink);border-radius:4px;background:#fff;color:var(--ink)}"
    ".btn{display:inline-block;font:inherit;font-weight:700;min-height:44px;"
    "padding:.45rem 1rem;border:2px solid var(--pri);border-radius:4px;"
    "background:var(--pri);color:#fff;text-decoration:none;cursor:pointer}"
    ".btn.alt{background:#fff;color:var(--pri)}"
    ".dl{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}"
    ".lost{color:#fff;background:var(--bad);font-weight:700;padding:0 .4rem;"
    "border-radius:3px}"
    ".card{max-width:24rem;margin:2rem auto;border:2px solid var(--ink);"
    "padding:1.25rem;border-radius:6px}"
    ".card label{margin:.75rem 0}"
    ".card .btn{width:100%;margin-top:.75rem;font-size:1.1rem}"
    "td form{margin:0}"
    ".sign{min-width:9em;display:none}"
    "@media (max-width:640px){main{padding:.5rem .5rem 2rem}"
    "h1{font-size:1.3rem}"
    ".bars{grid-template-columns:5.5em 1fr 4.2em;column-gap:.35rem}"
    ".bars .val small{display:none}"
    ".wk-odd,.cnt{display:none}"
    ".brand small{display:none}"
    ".top{padding:.25rem .5rem}.top nav a,.top nav button{padding:0 .45rem}"
    ".kpi{padding:.4rem .5rem}.kpi .v{font-size:1.45rem}"
    /* the unreached list as cards: the button stays in reach of a thumb */
    "table.hh{border:0}table.hh thead{display:none}"
    "table.hh tr{display:grid;grid-template-columns:1fr auto;column-gap:.5rem;"
    "align-items:center;padding:.5rem .25rem;border-bottom:2px solid var(--line)}"
    "table.hh td{border:0;padding:0;text-align:left;white-space:normal}"
    "table.hh td.seq{display:none}"
    "table.hh td.hid{grid-column:1;grid-row:1;font-size:1.1rem}"
    "table.hh td.head{grid-column:1;grid-row:2}"
    "table.hh td.head::before{content:\"户主 \"}"
    "table.hh td.addr{grid-column:1;grid-row:3}"
    "table.hh td.addr::before{content:\"住址 \"}"
    "table.hh td.g{grid-column:1;grid-row:4}"
    "table.hh td.mem{grid-column:1;grid-row:5}"
    "table.hh td.mem::before{content:\"人口 \"}"
    "table.hh td.tel{grid-column:1;grid-row:6}"
    "table.hh td.tel::before{content:\"电话 \"}"
    "table.hh td.act{grid-column:2;grid-row:1/7}}"
    ".sigline{display:none}" /* the visit sheet's signature line: print only */
    /* print: A4, the wide rates table on landscape pages */
    "@page{size:A4;margin:12mm}@page wide{size:A4 landscape;margin:10mm}"
    "@media print{.top nav,.noprint,form.filter,.dl,td form,th.act,td.act"
    "{display:none!important}"
    ".wide{page:wide}"
    ".top{background:#fff;color:#000;border-bottom:2px solid #000;padding:0}"
    "body{font-size:10pt}main{padding:0;max-width:none}"
    ".tbl{overflow:visible}table{font-size:8.5pt}th,td{padding:2px 4px}"
    "th{white-space:normal}td .r{font-size:9pt}.badge{font-size:7pt;padding:0 2px;"
    "margin-left:2px;border-width:1px}td .ci{font-size:7.5pt}"
    ".kpi .v{font-size:16pt}"
    "td.name,th.name{position:static}"
    "a{color:inherit;text-decoration:none}"
    "h2{break-after:avoid}tr,.chart{break-inside:avoid}"
    ".sign{display:table-cell}.sigline{display:block}}";

const char *dash_role_label(enum ax_role r)
{
	switch (r) {
	case AX_ROLE_COUNTY: return "县级";
	case AX_ROLE_TOWNSHIP: return "乡镇";
	case AX_ROLE_GRID: return "网格";
	}
	return "";
}

static void nav_item(struct dpage *p, const char *href, const char *label,
                     const char *key, const char *active)
{
	dp_fmt(p, "<a href=\"%s\"", href);
	if (active && strcmp(active, key) == 0)
		dp_raw(p, " class=\"on\" aria-current=\"page\"");
	dp_fmt(p, ">%s</a>", label);
}

void dp_begin(struct dpage *p, const char *title, const struct dash_user *u,
              const char *active)
{
	dp_fmt(p, "<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
	          "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
	          "<title>%s · 安心</title><style>",
	       title);
	dp_raw(p, css);
	dp_raw(p, "</style></head><body><header class=\"top\">"
	          "<div class=\"brand\">安心<small>平安创建宣传与满意度监测</small></div>");
	if (u) {
		char first[32];
		snprintf(first, sizeof first, "%.*s", (int)strcspn(u->u.scope, ","),
		         u->u.scope);
		dp_raw(p, "<nav aria-label=\"主菜单\">");
		nav_item(p, "/", "区域概览", "region", active);
		if (u->u.role == AX_ROLE_GRID) {
			char href[64];
			snprintf(href, sizeof href, "/grid/%s/unreached", first);
			nav_item(p, href, "未覆盖户", "unreached", active);
		}
		nav_item(p, "/devices", "设备状态", "devices", active);
		dp_fmt(p, "<span class=\"who\">%s（%s）</span>"
		          "<form method=\"post\" action=\"/logout\" style=\"margin:0\">"
		          "<input type=\"hidden\" name=\"csrf\" value=\"%s\">"
		          "<button type=\"submit\">退出</button></form>",
		       u->u.name, dash_role_label(u->u.role), u->csrf);
		dp_raw(p, "</nav>");
	}
	dp_raw(p, "</header><main>");
}

void dp_end(struct dpage *p)
{
	dp_raw(p, "</main></body></html>\n");
}

enum MHD_Result dp_send(struct ct_req *r, struct dpage *p, unsigned status,
                        const char *const *headers)
{
	/* no script, no external anything: the policy can be this tight */
	const char *std[] = {
		"Content-Security-Policy",
		("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
		 "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
		"X-Frame-Options", "DENY",
		"Referrer-Policy", "same-origin",
	};
	const char *h[24];
	size_t n = 0;
	enum MHD_Result ret;

	int own_csp = 0; /* a page with a script gives its own policy */

	for (int i = 0; headers && headers[i] && headers[i + 1]; i += 2)
		own_csp |= strcmp(headers[i], "Content-Security-Policy") == 0;
	for (size_t i = own_csp ? 2 : 0; i < sizeof std / sizeof std[0]; i++)
		h[n++] = std[i];
	for (int i = 0; headers && headers[i] && headers[i + 1] && n < 20; i += 2) {
		h[n++] = headers[i];
		h[n++] = headers[i + 1];
	}
	h[n] = h[n + 1] = NULL;
	if (!p->f || fflush(p->f) != 0 || ferror(p->f)) {
		dp_discard(p);
		return ct_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
	}
	ret = ct_reply_h(r, status, "text/html; charset=utf-8", p->buf, p->len, h);
	dp_discard(p);
	return ret;
}

enum MHD_Result dash_error(struct ct_req *r, const struct dash_user *u,
                           unsigned status, const char *title,
                           const char *fmt, ...)
{
	struct dpage p;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (dp_open(&p))
		return ct_reply_error(r, status, "%s", msg);
	dp_begin(&p, title, u, NULL);
	dp_fmt(&p, "<h1>%s</h1><p class=\"msg err\" role=\"alert\">%s</p>"
	           "<p><a class=\"btn\" href=\"/\">返回首页</a></p>",
	       title, msg);
	dp_end(&p);
	return dp_send(r, &p, status, NULL);
}

enum MHD_Result dash_redirect(struct ct_req *r, const char *location,
                              const char *const *headers)
{
	const char *h[16];
	size_t n = 0;
	static const char body[] = "<!DOCTYPE html><title>跳转</title>";

	h[n++] = "Location";
	h[n++] = location;
	for (int i = 0; headers && headers[i] && headers[i + 1] && n < 14; i += 2) {
		h[n++] = headers[i];
		h[n++] = headers[i + 1];
	}
	h[n] = h[n + 1] = NULL;
	return ct_reply_h(r, MHD_HTTP_SEE_OTHER, "text/html; charset=utf-8", body,
	                  sizeof body - 1, h);
}

/* ============================================================ badges == */
/* the library's verdict (ax_verdict_of), the one every export shows; a
 * hidden rate gets no badge here, the page shows "<5" in its place */
enum dash_badge dash_badge_of(const struct ax_rate *r, double target,
                              int census)
{
	return dash_badge_verdict(ax_verdict_of(r, target, census));
}

enum dash_badge dash_badge_verdict(enum ax_verdict v)
{
	return v == AX_VERDICT_SUPPRESSED ? DASH_NODATA : (enum dash_badge)v;
}

const char *dash_badge_label(enum dash_badge b)
{
	return ax_verdict_label((enum ax_verdict)b);
}

const char *dash_badge_class(enum dash_badge b)
{
	static const char *const c[] = {"none", "ok", "bad", "small"};
	return c[b];
}

/* ============================================================== time == */
/* China Standard Time is UTC+8 all year: no zone database needed, and
 * pages do not depend on the server's TZ. */
void dash_cst_time(long long epoch, char *buf, size_t n)
{
	ax_time_format(epoch, "%Y-%m-%d %H:%M", buf, n);
}

void dash_cst_date(long long epoch, char *buf, size_t n)
{
	ax_time_format(epoch, "%Y-%m-%d", buf, n);
}

int dash_is_date(const char *s)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return 0;
	return 1;
}
