/*
 * dashboard_int.h -- internals shared by the staff dashboard's files:
 *
 *   dashboard.c         the handlers routes.c names, with their guards
 *                       (session, CSRF); login/logout, sessions, rate
 *                       limiting, POST /visit
 *   dashboard_html.c    the page builder (escape-by-default formatting),
 *                       the page shell with its inline CSS, error pages
 *   dashboard_region.c  GET /region/CODE: table, bar charts, weekly trend,
 *                       campaign funnels, filters, downloads
 *   dashboard_lists.c   GET /devices, GET /grid/CODE/unreached and the
 *                       contacts CSV download
 *   dashboard_items.c   GET /items/SURVEY?scope=CODE: a quiz's item
 *                       analysis (county and township staff)
 *   dashboard_sample.c  the 抽样测评 section of a region page
 *   dashboard_visits.c  GET /grid/CODE/offline: visits recorded with no
 *                       signal, queued on the phone, POST /visit/sync
 *
 * Pages are server-rendered HTML in Simplified Chinese with no external
 * asset and no script: everything (CSS, SVG charts) is inline, so a page
 * saved to a file renders the same and prints the same.  The one
 * exception is the offline visits page, whose own script and service
 * worker are files of this origin (its CSP says so).
 */
#ifndef ANXIN_CENTRAL_DASHBOARD_INT_H
#define ANXIN_CENTRAL_DASHBOARD_INT_H

#include <stdio.h>

#include "anxin/auth.h"
#include "anxin/metrics.h"
#include "central.h"

/* ---- the logged-in user ------------------------------------------------ */
struct dash_user {
	struct ax_user u;
	char csrf[AX_TOKEN_MAX]; /* the session's CSRF token */
};

/* ---- page builder ----------------------------------------------------- */
/*
 * A page under construction: an open_memstream buffer.  Writes never
 * fail visibly; a failed stream is noticed once, in dp_send.
 */
struct dpage {
	FILE *f;
	char *buf;
	size_t len;
};

int dp_open(struct dpage *p);
/* Free the page's buffer without sending it (NULL-safe). */
void dp_discard(struct dpage *p);

/*
 * printf that HTML-escapes every %s argument (escape by default: a
 * dynamic string cannot reach the page unescaped through dp_fmt).
 * Numbers are formatted as printf does.  Literal HTML goes in the
 * format string; pre-built trusted HTML through dp_raw.
 */
void dp_fmt(struct dpage *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Trusted text, written as is. */
void dp_raw(struct dpage *p, const char *html);
/* The one HTML escaper: & < > " ' become entities. */
void dash_html_escape(FILE *f, const char *s);
/* Percent-encode for a URL query value (RFC 3986 unreserved kept). */
void dp_url(struct dpage *p, const char *s);

/*
 * Page shell: doctype, inline CSS, the top bar (user, role, navigation
 * and the logout form with the session's CSRF token).  u may be NULL
 * (login page, errors before login).  `active` names the nav item.
 */
void dp_begin(struct dpage *p, const char *title, const struct dash_user *u,
              const char *active);
void dp_end(struct dpage *p);
/* Send the page as text/html with the dashboard's security headers plus
 * `headers` ("Name", "value" pairs, NULL-ended; may be NULL; a
 * Content-Security-Policy there replaces the dashboard's).  Frees it. */
enum MHD_Result dp_send(struct ct_req *r, struct dpage *p, unsigned status,
                        const char *const *headers);

/* A friendly Chinese error page with the given status. */
enum MHD_Result dash_error(struct ct_req *r, const struct dash_user *u,
                           unsigned status, const char *title,
                           const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* 303 See Other to a local path (Location is ours, never user input). */
enum MHD_Result dash_redirect(struct ct_req *r, const char *location,
                              const char *const *headers);

/* ---- rates and time ---------------------------------------------------- */
/* The badge of a rate against its target: the library's one verdict
 * (ax_verdict_of in metrics.h), so the page and every export agree. */
enum dash_badge {
	DASH_NODATA = AX_VERDICT_NONE,
	DASH_MET = AX_VERDICT_MET,
	DASH_UNMET = AX_VERDICT_UNMET,
	DASH_SMALL = AX_VERDICT_SMALL
};
enum dash_badge dash_badge_of(const struct ax_rate *r, double target,
                              int census);
/* a verdict already made (a report row's verdict_*): hidden → no data */
enum dash_badge dash_badge_verdict(enum ax_verdict v);
const char *dash_badge_label(enum dash_badge b); /* 达标 … */
const char *dash_badge_class(enum dash_badge b); /* CSS class */

/* "2026-11-20 10:05" in China time (UTC+8, no DST), buf >= 20. */
void dash_cst_time(long long epoch, char *buf, size_t n);
/* Today (now + offset days) as YYYY-MM-DD China time, buf >= 11. */
void dash_cst_date(long long epoch, char *buf, size_t n);
/* 1 if s is a plausible YYYY-MM-DD (the library validates the date). */
int dash_is_date(const char *s);

/* A role's Chinese name: 县级 / 乡镇 / 网格. */
const char *dash_role_label(enum ax_role r);

/* ---- sampled 测评 -------------------------------------------------------- */
/* The 抽样测评 section: sampled campaigns meeting region `code` whose
 * whole scope is inside the viewer's scope list, of `survey` only unless
 * it is NULL; estimates with fewer than `below` respondents shown as
 * "<5" (0: all shown). */
void dash_sampled(struct dpage *p, ax_store *st, const char *code,
                  const char *survey, const char *viewer, int below);

/* ---- below target ------------------------------------------------------ */
/* On a county's or township's page (level 1 or 2): its villages and grids
 * 未达标 on some rate, lowest coverage first (ax_report_below), for the
 * filter `asked` (its scope; depth and pack are set here); qs: the
 * page's query string ("" or "?…"), kept on the links. */
void dash_below(struct dpage *p, ax_store *st, const struct ax_report_opts *asked,
                int level, const char *qs);

/* ---- pages ------------------------------------------------------------- */
enum MHD_Result dash_region_page(struct ct_req *r, const struct dash_user *u,
                                 const char *code);
enum MHD_Result dash_devices_page(struct ct_req *r, const struct dash_user *u);
/* /search?q=: households of the user's scope by id, 户主 or a phone's
 * last four digits (户主 masked above the grid role). */
enum MHD_Result dash_search_page(struct ct_req *r, const struct dash_user *u);
/* The same list as a visit template (户号 … 走访日期, 走访人, 宣传内容 to
 * fill in) that `anxin visits import` takes back. */
enum MHD_Result dash_unreached_csv(struct ct_req *r, const struct dash_user *u,
                                   const char *code);
/* The village or grid `code` of a list page, in u's scope: 0 with it in
 * g, else -1 with the error page queued in *ret. */
struct ax_region;
int dash_list_region(struct ct_req *r, const struct dash_user *u,
                     const char *code, struct ax_region *g,
                     enum MHD_Result *ret);
enum MHD_Result dash_unreached_page(struct ct_req *r, const struct dash_user *u,
                                    const char *code);
enum MHD_Result dash_contacts_csv(struct ct_req *r, const struct dash_user *u);
/* dashboard_visits.c: the grid worker's offline visits page
 * (/grid/CODE/offline), its script and service worker, and the queued
 * visits it sends (POST /visit/sync, JSON) */
enum MHD_Result dash_offline_page(struct ct_req *r, const struct dash_user *u,
                                  const char *code);
struct ax_store;
enum MHD_Result dash_visit_sync(struct ct_req *r, struct ax_store *st,
                                const struct dash_user *u);
/* Whether u may record a visit at household hh: 0 (its grid in grid),
 * else an HTTP status with a title and a message in Chinese. */
unsigned dash_visit_check(struct ax_store *st, const struct dash_user *u,
                          const char *hh, char grid[24], const char **title,
                          char *msg, size_t n);
/* What was handed out or explained at a door: a select of the installed
 * packs (name "pack", none chosen by default); nothing without packs
 * (dashboard_lists.c). */
void dash_visit_pack_select(struct dpage *p, const ax_content *c);
/* Whether pack is the id of an installed pack (1), not (0), or the store
 * could not say (-1). */
int dash_pack_known(struct ax_store *st, const char *pack);
/* dashboard_optout.c: 退订号码 and its 恢复接收 form */
enum MHD_Result dash_optouts_page(struct ct_req *r, const struct dash_user *u);
struct ax_store;
enum MHD_Result dash_optout_restore(struct ct_req *r, struct ax_store *st,
                                    const struct dash_user *u);
/* survey is a checked survey id (letters, digits, '-', '_'). */
enum MHD_Result dash_items_page(struct ct_req *r, const struct dash_user *u,
                                const char *survey);

/* the region page's campaigns (dashboard_campaigns.c) and what they
 * share with it (dashboard_region.c) */
struct ax_campaign;
int dash_campaign_touches(const struct ax_campaign *c, const char *code);
void dash_funnels(struct dpage *p, ax_store *st, const ax_content *content,
                  const char *code);
void dash_ended_campaigns(struct dpage *p, ax_store *st, const char *code);
const char *dash_survey_title(const ax_content *c, const char *id);

#endif
