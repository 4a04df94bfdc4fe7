/*
 * routes.c -- the route table: every request goes from http.c straight
 * to one handler here, API and dashboard pages alike.
 */
#include <string.h>

#include "routes.h"

/*
 * First match wins.  The two "/" prefixes at the end are the dashboard's
 * catch-alls: any other GET or POST gets its 404 page (a GET only after
 * the login, like every page), so a wrong GET or POST on an API path is a
 * dashboard 404 too.  Only other methods reach the 404/405 of http.c.
 */
static const struct ct_route routes[] = {
	/* device and report API, monitoring */
	{"GET", "/healthz", CT_EXACT, CT_R_API, 0, ct_api_health, 0},
	{"GET", "/metrics", CT_EXACT, CT_R_API, 0, ct_api_metrics, 0},
	{"POST", "/api/v1/records", CT_EXACT, CT_R_RECORDS, 0, ct_api_records, 1},
	{"GET", "/api/v1/roster", CT_EXACT, CT_R_API, 0, ct_api_roster, 0},
	{"GET", "/api/v1/campaigns", CT_EXACT, CT_R_API, 0, ct_api_campaigns, 0},
	{"GET", "/api/v1/narration/", CT_PREFIX, CT_R_API, 0, ct_api_narration, 0},
	{"GET", "/api/v1/report", CT_EXACT, CT_R_REPORT, 0, ct_api_report, 0},
	/* staff dashboard */
	{"GET", "/login", CT_EXACT, CT_R_PAGE, 0, ct_dash_login_page, 0},
	{"POST", "/login", CT_EXACT, CT_R_PAGE, 1, ct_dash_login, 0},
	{"POST", "/logout", CT_EXACT, CT_R_PAGE, 1, ct_dash_logout, 0},
	{"POST", "/visit", CT_EXACT, CT_R_PAGE, 1, ct_dash_visit, 0},
	{"POST", "/visit/sync", CT_EXACT, CT_R_PAGE, 1, ct_dash_visit_sync, 0},
	{"POST", "/visit/undo", CT_EXACT, CT_R_PAGE, 1, ct_dash_visit_undo, 0},
	{"POST", "/optout/restore", CT_EXACT, CT_R_PAGE, 1, ct_dash_optout_restore, 0},
	{"GET", "/favicon.ico", CT_EXACT, CT_R_PAGE, 0, ct_dash_favicon, 0},
	{"GET", "/", CT_EXACT, CT_R_PAGE, 0, ct_dash_home, 0},
	{"GET", "/devices", CT_EXACT, CT_R_PAGE, 0, ct_dash_devices, 0},
	{"GET", "/search", CT_EXACT, CT_R_PAGE, 0, ct_dash_search, 0},
	{"GET", "/optouts", CT_EXACT, CT_R_PAGE, 0, ct_dash_optouts, 0},
	{"GET", "/export/contacts.csv", CT_EXACT, CT_R_PAGE, 0, ct_dash_contacts_csv, 0},
	{"GET", "/region/", CT_PREFIX, CT_R_PAGE, 0, ct_dash_region, 0},
	{"GET", "/grid/visits.js", CT_EXACT, CT_R_PAGE, 0, ct_dash_visits_js, 0},
	{"GET", "/grid/sw.js", CT_EXACT, CT_R_PAGE, 0, ct_dash_visits_sw, 0},
	{"GET", "/grid/", CT_PREFIX, CT_R_PAGE, 0, ct_dash_unreached, 0},
	{"GET", "/items/", CT_PREFIX, CT_R_PAGE, 0, ct_dash_items, 0},
	{"GET", "/", CT_PREFIX, CT_R_PAGE, 0, ct_dash_no_page, 0},
	{"POST", "/", CT_PREFIX, CT_R_PAGE, 0, ct_dash_no_form, 0},
};

const struct ct_route *ct_route_find(const char *method, const char *url,
                                     int *wrong_method)
{
	int api_path = 0;

	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		const struct ct_route *rt = &routes[i];
		int match = rt->match == CT_PREFIX
		                ? strncmp(url, rt->path, strlen(rt->path)) == 0
		                : strcmp(url, rt->path) == 0;
		if (!match)
			continue;
		if (strcmp(method, rt->method) == 0) {
			*wrong_method = 0;
			return rt;
		}
		/* dashboard paths never answered 405: an unknown method there
		 * is an unknown path */
		if (rt->match == CT_EXACT && rt->kind != CT_R_PAGE)
			api_path = 1;
	}
	*wrong_method = api_path;
	return NULL;
}
