/*
 * routes.h -- anxin-central's one route table: every method and path the
 * server answers, device API and dashboard alike, and the handler that
 * answers it (libmicrohttpd's post_example style).  http.c looks a
 * request up here on its first callback and calls the handler once the
 * body is in; handlers live in api.c and dashboard.c.
 */
#ifndef ANXIN_CENTRAL_ROUTES_H
#define ANXIN_CENTRAL_ROUTES_H

#include "central.h"

typedef enum MHD_Result (*ct_handler)(struct ct_req *r);

enum ct_match {
	CT_EXACT,  /* the URL is the path */
	CT_PREFIX, /* the URL starts with the path; the handler reads the rest */
};

struct ct_route {
	const char *method, *path;
	enum ct_match match;
	enum ct_route_kind kind; /* its series in /metrics */
	int form; /* body is an urlencoded form, decoded for ct_form() */
	ct_handler fn;
	int device; /* a device token is checked on the first callback,
	             * before any of the body is read (ct_req.dev) */
};

/*
 * The first route of the table whose method and path match (the table
 * is ordered: exact paths and longer prefixes before the catch-alls), or
 * NULL.  On NULL, *wrong_method is 1 when an API path is known under
 * another method (answer 405), else 0 (answer 404).  The table is static:
 * the result is never freed and is safe to share across threads.
 */
const struct ct_route *ct_route_find(const char *method, const char *url,
                                     int *wrong_method);

/* ---- handlers (api.c) --------------------------------------------------- */
/* First callback of a device route: 0 to go on and read the body (the
 * device in r->dev), or -1 with *ret the refusal already queued. */
int ct_api_device_early(struct ct_req *r, enum MHD_Result *ret);
enum MHD_Result ct_api_health(struct ct_req *r);
enum MHD_Result ct_api_metrics(struct ct_req *r);
enum MHD_Result ct_api_records(struct ct_req *r);
enum MHD_Result ct_api_roster(struct ct_req *r);
enum MHD_Result ct_api_campaigns(struct ct_req *r);
enum MHD_Result ct_api_report(struct ct_req *r);
/* narration.c: GET /api/v1/narration/<path>, and the campaigns
 * document's "narration" list (doc, transferred, is returned or freed
 * and replaced; NULL dir: returned as is) */
enum MHD_Result ct_api_narration(struct ct_req *r);
char *ct_narration_manifest(const char *dir, char *doc);

/* ---- handlers (dashboard.c) ------------------------------------------- */
enum MHD_Result ct_dash_login_page(struct ct_req *r);   /* GET /login */
enum MHD_Result ct_dash_login(struct ct_req *r);        /* POST /login */
enum MHD_Result ct_dash_logout(struct ct_req *r);       /* POST /logout */
enum MHD_Result ct_dash_visit(struct ct_req *r);        /* POST /visit */
enum MHD_Result ct_dash_visit_sync(struct ct_req *r);   /* POST /visit/sync */
enum MHD_Result ct_dash_visit_undo(struct ct_req *r);   /* POST /visit/undo */
/* dashboard_visits.c: the offline visits page's script and worker */
enum MHD_Result ct_dash_visits_js(struct ct_req *r);    /* GET /grid/visits.js */
enum MHD_Result ct_dash_visits_sw(struct ct_req *r);    /* GET /grid/sw.js */
enum MHD_Result ct_dash_favicon(struct ct_req *r);      /* GET /favicon.ico */
enum MHD_Result ct_dash_home(struct ct_req *r);         /* GET / */
enum MHD_Result ct_dash_devices(struct ct_req *r);      /* GET /devices */
enum MHD_Result ct_dash_search(struct ct_req *r);       /* GET /search?q= */
enum MHD_Result ct_dash_optouts(struct ct_req *r);      /* GET /optouts */
enum MHD_Result ct_dash_optout_restore(struct ct_req *r); /* POST /optout/restore */
enum MHD_Result ct_dash_contacts_csv(struct ct_req *r); /* GET /export/contacts.csv */
enum MHD_Result ct_dash_region(struct ct_req *r);       /* GET /region/CODE */
enum MHD_Result ct_dash_unreached(struct ct_req *r);    /* GET /grid/CODE/unreached */
enum MHD_Result ct_dash_items(struct ct_req *r);        /* GET /items/SURVEY */
/* Any other path: the dashboard's 404 page (GET behind the login). */
enum MHD_Result ct_dash_no_page(struct ct_req *r);
enum MHD_Result ct_dash_no_form(struct ct_req *r);

#endif
