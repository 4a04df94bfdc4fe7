/* dashboard.c -- placeholder until the dashboard lands (same session). */
#include "central.h"

int ct_dash_wants_form(struct ct_req *r) { (void)r; return 0; }
enum MHD_Result ct_dash_get(struct ct_req *r)
{
	return ct_reply_error(r, MHD_HTTP_NOT_FOUND, "no such path: %s", r->url);
}
enum MHD_Result ct_dash_post(struct ct_req *r)
{
	return ct_reply_error(r, MHD_HTTP_NOT_FOUND, "no such path: %s", r->url);
}
#include <stdio.h>
#include "export.h"
__attribute__((weak)) int ax_export_xlsx(ax_store *st, const struct ax_report_opts *opts,
                   const char *path, char *err, size_t errlen)
{
	(void)st; (void)opts; (void)path;
	snprintf(err, errlen, "XLSX export is not built yet");
	return -1;
}
