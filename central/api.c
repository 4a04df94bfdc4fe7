/*
 * api.c -- the device API (records ingest, roster slice, campaigns), the
 * report API, /healthz and /metrics.
 *
 * Ingest is all or nothing per request: the body is checked whole (type,
 * encoding, UTF-8, one JSON object per line) before anything is written,
 * then every record is imported in one transaction and the per-record
 * results are sent only after COMMIT.  A device that never sees the reply
 * resends; ids make that harmless.
 */
#include <fcntl.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anxin/campaign.h"
#include "anxin/clock.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/sync.h"
#include "anxin/text.h"
#include "body.h"
#include "central.h"
#include "export.h"
#include "routes.h"

/* ---- auth ------------------------------------------------------------- */
/* The device behind the bearer token, or reply 401 and return -1. */
/* A gateway's send backlog (X-Anxin-Queue, sync.h), kept for the device
 * page; a malformed one is ignored (the sync still counts). */
static ax_rc device_queue(struct ct_req *r, ax_store *st, const char *id)
{
	const char *q = ct_header(r, "X-Anxin-Queue");
	if (!q || !ax_sync_queue_valid(q))
		return AX_OK;
	return ax_device_queue_set(st, id, q);
}

static int device_auth(struct ct_req *r, ax_store *st, struct ax_device *d,
                       enum MHD_Result *ret)
{
	const char *tok = ct_bearer(r);
	if (!tok) {
		*ret = ct_reply_error(r, MHD_HTTP_UNAUTHORIZED,
		                      "missing \"Authorization: Bearer TOKEN\"");
		return -1;
	}
	switch (ax_device_auth(st, tok, d)) {
	case AX_OK: return 0;
	case AX_DENIED:
		*ret = ct_reply_error(r, MHD_HTTP_UNAUTHORIZED,
		                      "unknown or revoked device token");
		return -1;
	default: /* the store failed: the token may be good, try again */
		CT_ERROR("device token check: %s", ax_store_errmsg(st));
		*ret = ct_reply_unavailable(r);
		return -1;
	}
}

/* First callback of a device route (routes.c: device): the token, and
 * for the records route the body's type, before any of it is read. */
int ct_api_device_early(struct ct_req *r, enum MHD_Result *ret)
{
	ax_store *st = ct_store(r->srv);
	const char *ctype, *cenc;

	if (!st) {
		*ret = ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		                      "store unavailable");
		return -1;
	}
	if (device_auth(r, st, &r->dev, ret))
		return -1;
	ctype = ct_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ctype || (strncmp(ctype, "application/x-ndjson", 20) != 0 &&
	               strncmp(ctype, "application/jsonl", 17) != 0)) {
		*ret = ct_reply_error(r, MHD_HTTP_BAD_REQUEST,
		                      "Content-Type must be application/x-ndjson "
		                      "(JSON lines), not %s",
		                      ctype ? ctype : "missing");
		return -1;
	}
	cenc = ct_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING);
	if (cenc && strcmp(cenc, "identity") != 0 && strcmp(cenc, "gzip") != 0) {
		*ret = ct_reply_error(r, MHD_HTTP_BAD_REQUEST,
		                      "Content-Encoding %s is not supported (gzip is)",
		                      cenc);
		return -1;
	}
	return 0;
}

/* ---- POST /api/v1/records --------------------------------------------- */
struct scope_ctx {
	const struct ax_device *dev;
};

static int scope_check(void *ctx, const char *type, const char *household,
                       const char *region, char *reason)
{
	const struct scope_ctx *sc = ctx;
	(void)type;
	if (ax_scope_covers(sc->dev->scope, region))
		return 0;
	snprintf(reason, 256, "403: %s %s is outside device %s's scope (%s)",
	         household ? "household" : "region", household ? household : region,
	         sc->dev->id, sc->dev->scope);
	return 1;
}

/*
 * Sealed numbers a device may have opened per China day (--max-unseal):
 * a kiosk links a few dozen households a day; a stolen token used to
 * test the roster's numbers one by one runs out.  The budget is counted
 * in the store by the importer (ax_rec_device.max_unseal), so every
 * central process on one store shares it and a restart does not reset
 * it.  Past it a number stays sealed (the answer is kept, anonymous).
 * Here only the log: a burst (20 in a minute) and the end of the budget,
 * each once per device and minute or day in this process.
 */
static pthread_mutex_t unseal_mu = PTHREAD_MUTEX_INITIALIZER;
static struct unseal_use {
	char dev[64];
	int day, warned;
	long long win_start;
	int win_count, burst_warned;
} unseal_tab[256];

static void on_unseal(void *ctx, const char *device, long long today,
                      int opened)
{
	const struct ct_server *srv = ctx;
	long long now = (long long)time(NULL);
	int day = ax_cst_day(now);
	struct unseal_use *u = NULL, *oldest = &unseal_tab[0];

	pthread_mutex_lock(&unseal_mu);
	for (size_t i = 0; i < sizeof unseal_tab / sizeof unseal_tab[0]; i++) {
		if (strcmp(unseal_tab[i].dev, device) == 0) {
			u = &unseal_tab[i];
			break;
		}
		if (unseal_tab[i].day < oldest->day)
			oldest = &unseal_tab[i];
	}
	if (!u) {
		u = oldest;
		memset(u, 0, sizeof *u);
		snprintf(u->dev, sizeof u->dev, "%s", device);
	}
	if (u->day != day) {
		u->day = day;
		u->warned = 0;
	}
	if (now - u->win_start >= 60) {
		u->win_start = now;
		u->win_count = 0;
		u->burst_warned = 0;
	}
	if (opened)
		u->win_count++;
	if (u->win_count > 20 && !u->burst_warned) {
		u->burst_warned = 1;
		CT_WARN("device %s opened %d sealed phone numbers within a minute "
		        "(a kiosk links a few a day): check the device",
		        device, u->win_count);
	}
	if (!opened && !u->warned) {
		u->warned = 1;
		CT_WARN("device %s reached its %d sealed phone numbers for today "
		        "(%lld opened); further ones stay anonymous until tomorrow",
		        device, srv->max_unseal, today);
	}
	pthread_mutex_unlock(&unseal_mu);
}

/* This thread's importer, made on first use, with the store's keys for
 * sealed phone numbers.  Lives as long as the thread (and its store). */
static __thread ax_importer *tls_importer;

static ax_importer *thread_importer(struct ct_server *srv, ax_store *st,
                                    ax_rc *rc)
{
	if (tls_importer)
		return tls_importer;
	if ((*rc = ax_importer_new(st, &tls_importer)))
		return NULL;
	ct_register_importer(srv, tls_importer);
	/* every key a sealed number may come in: the store's and those of
	 * counties merged in (no key: numbers stay closed, answers anonymous) */
	(void)ax_importer_use_store_keys(tls_importer, st);
	return tls_importer;
}

void ct_api_thread_reset(struct ct_server *srv)
{
	if (!tls_importer)
		return;
	ct_unregister_importer(srv, tls_importer);
	ax_importer_free(tls_importer);
	tls_importer = NULL;
}

/* Bind the importer to the request's device: scope, name, kind, times. */
static void bind_device(struct ct_req *r, ax_importer *im,
                        struct scope_ctx *sc)
{
	struct ax_rec_device rd;
	const char *dt = ct_header(r, "X-Anxin-Device-Time");
	/* a device clock more than 5 minutes off is corrected for */
	long long skew = dt ? atoll(dt) - (long long)time(NULL) : 0;

	if (!dt || atoll(dt) <= 0 || (skew > -300 && skew < 300))
		skew = 0;
	ax_importer_set_clock_skew(im, skew);
	if (skew)
		CT_WARN("device %s clock is %+lld s off; record times corrected",
		        r->dev.id, skew);
	sc->dev = &r->dev;
	ax_importer_set_check(im, scope_check, sc);
	memset(&rd, 0, sizeof rd);
	snprintf(rd.id, sizeof rd.id, "%s", r->dev.id);
	snprintf(rd.kind, sizeof rd.kind, "%s", r->dev.kind);
	rd.registered_at = r->dev.created_at;
	rd.max_ahead = AX_MAX_AHEAD;
	rd.max_unseal = r->srv->max_unseal;
	rd.on_unseal = on_unseal;
	rd.ctx = r->srv;
	rd.online = 1;
	ax_importer_set_device(im, &rd);
}

/* One result of the reply. */
static void add_result(json_t *results, long line,
                       const struct ax_rec_outcome *oc)
{
	json_t *e = json_object();
	json_object_set_new(e, "line", json_integer(line));
	json_object_set_new(e, "id", oc->id[0] ? json_string(oc->id) : json_null());
	json_object_set_new(e, "status", json_string(ax_rec_result_name(oc->result)));
	if (oc->reason[0])
		json_object_set_new(e, "reason", json_string(oc->reason));
	if (oc->result == AX_REC_REJECTED && oc->retry)
		json_object_set_new(e, "retry", json_true());
	json_array_append_new(results, e);
}

enum MHD_Result ct_api_records(struct ct_req *r)
{
	struct ct_server *srv = r->srv;
	ax_store *st = ct_store(srv);
	struct scope_ctx sc;
	const char *cenc = ct_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING);
	struct ct_body body;
	json_t *results = NULL, *reply, *obj;
	ax_importer *im = NULL;
	long long counts[4] = {0};
	struct rec_line {
		json_t *obj;
		long line;
	} *recs = NULL;
	size_t nrec = 0, caprec = 0;
	int importing = 0;
	enum MHD_Result ret;
	char *out, err[300], source[96], first_reject[300] = "";
	int status;
	ax_rc rc;

	if (!st)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable");
	/* the whole body's checks first (size, encoding, UTF-8, records) */
	status = ct_body_open(&body, r->body ? r->body : "", r->len,
	                      cenc && strcmp(cenc, "gzip") == 0, srv->max_inflated,
	                      srv->max_records, err, sizeof err);
	if (status)
		return ct_reply_error(r, (unsigned)status, "%s", err);

	/* one transaction for the batch, on this thread's long-lived importer
	 * (prepared statements and surveys are kept between requests); the
	 * records are parsed and imported one at a time, and a line that is
	 * not a JSON object rolls the whole batch back */
	if (!(im = thread_importer(srv, st, &rc))) {
		ret = ct_reply_error(r, ct_status_for(rc), "%s", ax_store_errmsg(st));
		goto done;
	}
	bind_device(r, im, &sc);
	snprintf(source, sizeof source, "device:%s", r->dev.id);
	results = json_array();
	atomic_fetch_add(&srv->batches_importing, 1);
	importing = 1;
	/* every record read first (the body's limits bound them), so the
	 * importer can read what they need from the store in a few
	 * statements (ax_importer_prefetch) */
	while ((status = ct_body_next(&body, &obj, err, sizeof err)) == 1) {
		if (nrec == caprec) {
			size_t nc = caprec ? caprec * 2 : 64;
			struct rec_line *v = realloc(recs, nc * sizeof *v);
			if (!v) {
				json_decref(obj);
				ret = ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE,
				                     "out of memory");
				goto done;
			}
			recs = v;
			caprec = nc;
		}
		recs[nrec].obj = obj;
		recs[nrec++].line = body.lineno;
	}
	if (status) {
		ret = ct_reply_error(r, (unsigned)status, "%s", err);
		goto done;
	}
	if ((rc = ax_importer_begin(im)))
		goto store_fail;
	{
		json_t **objs = malloc((nrec ? nrec : 1) * sizeof *objs);
		for (size_t i = 0; objs && i < nrec; i++)
			objs[i] = recs[i].obj;
		rc = objs ? ax_importer_prefetch(im, objs, nrec) : AX_OK;
		free(objs);
		if (rc)
			goto store_fail;
	}
	for (size_t i = 0; i < nrec; i++) {
		struct ax_rec_outcome oc;
		if ((rc = ax_importer_json(im, recs[i].obj, source, &oc)))
			goto store_fail;
		counts[oc.result]++;
		if (oc.result == AX_REC_REJECTED && counts[AX_REC_REJECTED] == 1)
			snprintf(first_reject, sizeof first_reject, "line %ld: %s",
			         recs[i].line, oc.reason);
		add_result(results, recs[i].line, &oc);
	}
	{
		/* in the batch's transaction: one commit (one fsync) per batch */
		const char *bl = ct_header(r, "X-Anxin-Backlog");
		if ((rc = ax_device_seen(st, r->dev.id, bl ? atoll(bl) : -1)) ||
		    (rc = device_queue(r, st, r->dev.id)))
			goto store_fail;
	}
	if ((rc = ax_importer_commit(im)))
		goto store_fail;
	if (counts[AX_REC_REJECTED])
		CT_WARN("device %s: %lld of %zu records rejected (first, %s)",
		        r->dev.id, counts[AX_REC_REJECTED], body.n, first_reject);
	atomic_fetch_add(&srv->rec_accepted, counts[AX_REC_ACCEPTED]);
	atomic_fetch_add(&srv->rec_duplicate, counts[AX_REC_DUPLICATE]);
	atomic_fetch_add(&srv->rec_conflict, counts[AX_REC_CONFLICT]);
	atomic_fetch_add(&srv->rec_rejected, counts[AX_REC_REJECTED]);
	reply = json_object();
	json_object_set_new(reply, "results", results);
	results = NULL;
	json_object_set_new(reply, "accepted", json_integer(counts[AX_REC_ACCEPTED]));
	json_object_set_new(reply, "duplicate", json_integer(counts[AX_REC_DUPLICATE]));
	json_object_set_new(reply, "conflict", json_integer(counts[AX_REC_CONFLICT]));
	json_object_set_new(reply, "rejected", json_integer(counts[AX_REC_REJECTED]));
	out = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	ret = out ? ct_reply_json(r, MHD_HTTP_OK, out)
	          : ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	free(out);
	goto done;

store_fail:
	ax_importer_rollback(im);
	CT_WARN("ingest from %s failed, batch rolled back: %s", r->dev.id,
	        ax_store_errmsg(st));
	ret = ct_reply_error(r, ct_status_for(rc),
	                     "store failure, nothing of this batch was stored: %s",
	                     ax_store_errmsg(st));
done:
	if (importing)
		atomic_fetch_sub(&srv->batches_importing, 1);
	json_decref(results);
	for (size_t i = 0; i < nrec; i++)
		json_decref(recs[i].obj);
	free(recs);
	if (im) {
		ax_importer_set_check(im, NULL, NULL);
		ax_importer_set_device(im, NULL);
	}
	ct_body_close(&body);
	return ret;
}

/* ---- ETags ------------------------------------------------------------ */
static void etag_of(const char *data, size_t len, char out[48])
{
	unsigned char h[16];
	char hex[33];
	crypto_generichash(h, sizeof h, (const unsigned char *)data, len, NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(out, 48, "\"%s\"", hex);
}

static enum MHD_Result reply_etag(struct ct_req *r, const char *body,
                                  const char *etag)
{
	const char *inm = ct_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *h[] = {"ETag", etag, NULL, NULL};
	if (inm && strcmp(inm, etag) == 0)
		return ct_reply_h(r, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, h);
	return ct_reply_h(r, MHD_HTTP_OK, "application/json; charset=utf-8", body,
	                  strlen(body), h);
}

/* ---- GET /api/v1/roster?scope=CODE ------------------------------------ */
enum MHD_Result ct_api_roster(struct ct_req *r)
{
	ax_store *st = ct_store(r->srv);
	struct ax_device dev;
	const char *scope = ct_query(r, "scope");
	enum MHD_Result ret;
	char etag[48], key[160], *out;
	ax_rc rc;

	if (!st)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable");
	if (device_auth(r, st, &dev, &ret))
		return ret;
	if (strcmp(dev.kind, "smsd") != 0)
		return ct_reply_error(r, MHD_HTTP_FORBIDDEN,
		                      "kiosks get no roster (phones are sealed at the kiosk)");
	if (!scope || !*scope)
		return ct_reply_error(r, MHD_HTTP_BAD_REQUEST, "scope=CODE is required");
	if (!ax_scope_covers(dev.scope, scope))
		return ct_reply_error(r, MHD_HTTP_FORBIDDEN,
		                      "scope %s is outside this device's scope (%s)", scope,
		                      dev.scope);
	ax_device_seen(st, dev.id, -1);
	device_queue(r, st, dev.id);
	/* a cheap fingerprint first: an unchanged roster costs one small query */
	if ((rc = ax_roster_fingerprint(st, scope, key)))
		return ct_reply_error(r, ct_status_for(rc), "%s", ax_store_errmsg(st));
	etag_of(key, strlen(key), etag);
	{
		const char *inm = ct_header(r, MHD_HTTP_HEADER_IF_NONE_MATCH);
		if (inm && strcmp(inm, etag) == 0) {
			const char *h[] = {"ETag", etag, NULL, NULL};
			return ct_reply_h(r, MHD_HTTP_NOT_MODIFIED, NULL, "", 0, h);
		}
	}
	if (!(out = ax_roster_slice_json(st, scope)))
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", ax_store_errmsg(st));
	ret = reply_etag(r, out, etag);
	free(out);
	return ret;
}

/* ---- GET /api/v1/campaigns -------------------------------------------- */
enum MHD_Result ct_api_campaigns(struct ct_req *r)
{
	ax_store *st = ct_store(r->srv);
	struct ax_device dev;
	enum MHD_Result ret;
	char etag[48], *out;

	if (!st)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable");
	if (device_auth(r, st, &dev, &ret))
		return ret;
	ax_device_seen(st, dev.id, -1);
	device_queue(r, st, dev.id);
	/* a kiosk is not told which households a sampled 测评 drew */
	out = ax_campaigns_json_for(st, dev.scope, (long long)time(NULL),
	                            strcmp(dev.kind, "smsd") == 0);
	if (out && strcmp(dev.kind, "smsd") != 0) /* narration: kiosks only */
		out = ct_narration_manifest(r->srv->narration_dir, out);
	if (!out)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", ax_store_errmsg(st));
	etag_of(out, strlen(out), etag);
	ret = reply_etag(r, out, etag);
	free(out);
	return ret;
}

/* ---- GET /api/v1/report ----------------------------------------------- */
/* Who may read: a dashboard session; returns the scope it may see and
 * whether the user is below the county role (and so sees no per-household
 * answers and no cell under 5 respondents), or replies 401 (403 to a
 * device token: no device needs a report, and the XLSX ledger names
 * households, their contacts and their answers). */
int ct_viewer_scope(struct ct_req *r, ax_store *st, char scope[AX_SCOPE_MAX],
                    int *below_county, enum MHD_Result *ret)
{
	struct ax_user u;
	char csrf[AX_TOKEN_MAX];
	const char *sid = ct_cookie(r, "anxin_session");

	*below_county = 1;
	if (sid && ax_session_get(st, sid, &u, csrf) == AX_OK) {
		snprintf(scope, AX_SCOPE_MAX, "%s", u.scope);
		*below_county = u.role != AX_ROLE_COUNTY;
		return 0;
	}
	if (ct_bearer(r)) {
		*ret = ct_reply_error(r, MHD_HTTP_FORBIDDEN,
		                      "reports are for staff: log in to the "
		                      "dashboard (device tokens get none)");
		return -1;
	}
	*ret = ct_reply_error(r, MHD_HTTP_UNAUTHORIZED, "log in to read reports");
	return -1;
}

enum MHD_Result ct_api_report(struct ct_req *r)
{
	ax_store *st = ct_store(r->srv);
	struct ax_report_opts o = {0};
	struct ax_report *rep;
	char scope[AX_SCOPE_MAX], first[32];
	const char *fmt = ct_query(r, "format"), *depth = ct_query(r, "depth");
	int below;
	enum MHD_Result ret;
	char *out;
	ax_rc rc;

	if (!st)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable");
	if (ct_viewer_scope(r, st, scope, &below, &ret))
		return ret;
	o.suppress_below = below ? AX_SUPPRESS_BELOW : 0;
	o.scope = ct_query(r, "scope");
	if (!o.scope || !*o.scope) {
		/* a campaign's report starts at its scope when the viewer may
		 * see it; else at the viewer's first region */
		struct ax_campaign_view cv;
		struct ax_report_opts co = {.campaign = ct_query(r, "campaign")};
		if (co.campaign && *co.campaign &&
		    ax_report_campaign_view(st, &co, &cv) == AX_OK && cv.o.scope &&
		    ax_scope_covers(scope, cv.o.scope))
			snprintf(first, sizeof first, "%s", cv.o.scope);
		else
			snprintf(first, sizeof first, "%.*s", (int)strcspn(scope, ","), scope);
		o.scope = first;
	}
	if (!ax_scope_covers(scope, o.scope))
		return ct_reply_error(r, MHD_HTTP_FORBIDDEN,
		                      "scope %s is outside what you may see (%s)", o.scope,
		                      scope);
	o.survey = ct_query(r, "survey");
	if (o.survey && !*o.survey)
		o.survey = NULL;
	/* ?pack=family-safety: also the 知识宣传入户率 of that pack's contacts */
	o.pack = ct_query(r, "pack");
	if (o.pack && !*o.pack)
		o.pack = NULL;
	o.wave = ct_query(r, "wave"); /* a campaign's wave; absent: 日常监测 */
	if (o.wave && !*o.wave)
		o.wave = NULL;
	/* ?campaign=ID: that campaign's own figures (scope, window, wave,
	 * kinds, roster then; frozen once closed) */
	o.campaign = ct_query(r, "campaign");
	if (o.campaign && !*o.campaign)
		o.campaign = NULL;
	o.channel = ct_query(r, "channel");
	if (o.channel && !*o.channel)
		o.channel = NULL;
	o.from = ct_query(r, "from");
	o.to = ct_query(r, "to");
	o.depth = depth ? atoi(depth) : 1;
	if (o.depth < 0 || o.depth > 4)
		return ct_reply_error(r, MHD_HTTP_BAD_REQUEST, "depth must be 0 to 4");
	if (!fmt)
		fmt = "json";
	if (strcmp(fmt, "xlsx") == 0) {
		char path[] = "/tmp/anxin-report-XXXXXX", err[256];
		const char *h[] = {"Content-Disposition",
		                   "attachment; filename=\"anxin-ledger.xlsx\"", NULL,
		                   NULL};
		int fd, xr;
		if (ct_export_begin(r, &ret))
			return ret;
		if ((fd = mkstemp(path)) < 0) {
			ct_export_end(r);
			return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "temp file");
		}
		close(fd);
		xr = ax_export_xlsx(st, &o, path, err, sizeof err);
		fd = xr ? -1 : open(path, O_RDONLY | O_CLOEXEC);
		unlink(path); /* the open fd keeps the file until it is sent */
		ct_export_end(r);
		if (xr)
			return ct_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", err);
		if (fd < 0)
			return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "reading export");
		return ct_reply_fd(r, fd,
		                   "application/vnd.openxmlformats-officedocument."
		                   "spreadsheetml.sheet",
		                   h);
	}

	if (strcmp(fmt, "json") && strcmp(fmt, "csv"))
		return ct_reply_error(r, MHD_HTTP_BAD_REQUEST, "format must be json, csv or xlsx");
	if ((rc = ax_report_build(st, &o, &rep)))
		return ct_reply_error(r, rc == AX_INVALID || rc == AX_NOTFOUND
		                             ? MHD_HTTP_BAD_REQUEST
		                             : ct_status_for(rc),
		                      "%s", ax_store_errmsg(st));
	out = strcmp(fmt, "csv") == 0 ? ax_report_csv(rep) : ax_report_json(rep);
	ax_report_free(rep);
	if (!out)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "out of memory");
	if (strcmp(fmt, "csv") == 0) {
		const char *h[] = {"Content-Disposition",
		                   "attachment; filename=\"anxin-report.csv\"", NULL, NULL};
		ret = ct_reply_h(r, MHD_HTTP_OK, "text/csv; charset=utf-8", out,
		                 strlen(out), h);
	} else {
		ret = ct_reply_json(r, MHD_HTTP_OK, out);
	}
	free(out);
	return ret;
}

/* ---- /healthz and /metrics -------------------------------------------- */
enum MHD_Result ct_api_health(struct ct_req *r)
{
	ax_store *st = ct_store(r->srv);
	char body[128];
	if (!st)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable");
	snprintf(body, sizeof body, "{\"status\":\"ok\",\"schema\":%d}",
	         ax_store_schema_version(st));
	return ct_reply_json(r, MHD_HTTP_OK, body);
}

static const char *const kind_label[CT_R_N] = {"records", "report", "api", "page"};

static int loopback(const char *a)
{
	return strncmp(a, "127.", 4) == 0 || strcmp(a, "::1") == 0 ||
	       strncmp(a, "::ffff:127.", 11) == 0;
}

/*
 * /metrics names every device and how long each has been silent: it is
 * for the monitoring agent on the server itself.  Behind the reverse
 * proxy every peer is 127.0.0.1, so a loopback peer's X-Real-IP (nginx
 * sets it, replacing whatever the client sent: deploy/nginx-anxin.conf)
 * is the client, and it must be loopback too.  A proxy whose /metrics
 * location forgot its `allow 127.0.0.1; deny all;` stays closed.
 */
static int local_client(struct ct_req *r)
{
	char addr[64];
	const char *real = ct_header(r, "X-Real-IP");

	ct_client_addr(r, addr, sizeof addr);
	if (!loopback(addr))
		return 0;
	return !real || !*real || loopback(real);
}

/* A Prometheus label value: backslash, quote and newline escaped. */
static const char *label(const char *v, char out[160])
{
	char *o = out;
	for (; *v && o < out + 156; v++) {
		if (*v == '\\' || *v == '"' || *v == '\n') {
			*o++ = '\\';
			*o++ = *v == '\n' ? 'n' : *v;
		} else {
			*o++ = *v;
		}
	}
	*o = '\0';
	return out;
}

enum MHD_Result ct_api_metrics(struct ct_req *r)
{
	char lb[160];
	struct ct_server *srv = r->srv;
	ax_store *st = ct_store(srv);
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	enum MHD_Result ret;

	if (!local_client(r))
		return ct_reply_error(r, MHD_HTTP_FORBIDDEN,
		                      "/metrics names every device: it answers "
		                      "clients on the server itself only");
	f = open_memstream(&buf, &n);
	if (!f)
		return MHD_NO;
	fprintf(f, "# HELP anxin_records_total Records received by outcome.\n"
	           "# TYPE anxin_records_total counter\n");
	fprintf(f, "anxin_records_total{result=\"accepted\"} %lld\n",
	        (long long)atomic_load(&srv->rec_accepted));
	fprintf(f, "anxin_records_total{result=\"duplicate\"} %lld\n",
	        (long long)atomic_load(&srv->rec_duplicate));
	fprintf(f, "anxin_records_total{result=\"conflict\"} %lld\n",
	        (long long)atomic_load(&srv->rec_conflict));
	fprintf(f, "anxin_records_total{result=\"rejected\"} %lld\n",
	        (long long)atomic_load(&srv->rec_rejected));
	fprintf(f, "# HELP anxin_batches_importing Record batches being imported now.\n"
	           "# TYPE anxin_batches_importing gauge\n"
	           "anxin_batches_importing %d\n",
	        atomic_load(&srv->batches_importing));
	fprintf(f, "# HELP anxin_exports Exports (XLSX, CSV) being made now, and "
	           "requests waiting for one to finish.\n"
	           "# TYPE anxin_exports gauge\n"
	           "anxin_exports{state=\"making\"} %d\n"
	           "anxin_exports{state=\"waiting\"} %d\n",
	        atomic_load(&srv->exporting), atomic_load(&srv->export_waiters));
	fprintf(f, "# HELP anxin_http_request_duration_seconds Request latency.\n"
	           "# TYPE anxin_http_request_duration_seconds histogram\n");
	for (int k = 0; k < CT_R_N; k++) {
		long long cum = 0;
		for (int b = 0; b <= CT_NBUCKETS; b++) {
			cum += atomic_load(&srv->hist[k][b]);
			if (b < CT_NBUCKETS)
				fprintf(f, "anxin_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %lld\n",
				        kind_label[k], ct_buckets[b], cum);
			else
				fprintf(f, "anxin_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %lld\n",
				        kind_label[k], cum);
		}
		fprintf(f, "anxin_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		        kind_label[k], (double)atomic_load(&srv->hist_sum_us[k]) / 1e6);
		fprintf(f, "anxin_http_request_duration_seconds_count{route=\"%s\"} %lld\n",
		        kind_label[k], cum);
	}
	if (st) {
		/* device names are restricted (ax_device_add); a store from
		 * before that may hold others: label values escaped anyway */
		struct ax_device *d;
		int nd;
		if (ax_device_list(st, &d, &nd) == AX_OK) {
			fprintf(f, "# HELP anxin_device_last_seen_seconds Unix time a device was last seen.\n"
			           "# TYPE anxin_device_last_seen_seconds gauge\n");
			for (int i = 0; i < nd; i++)
				if (!d[i].revoked_at)
					fprintf(f, "anxin_device_last_seen_seconds{device=\"%s\",kind=\"%s\"} %lld\n",
					        label(d[i].id, lb), d[i].kind, d[i].last_seen);
			fprintf(f, "# HELP anxin_device_backlog Records a device reported still to send.\n"
			           "# TYPE anxin_device_backlog gauge\n");
			for (int i = 0; i < nd; i++)
				if (!d[i].revoked_at && d[i].backlog >= 0)
					fprintf(f, "anxin_device_backlog{device=\"%s\"} %lld\n",
					        label(d[i].id, lb), d[i].backlog);
			free(d);
		}
	}
	fclose(f);
	ret = ct_reply(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
	               buf, n);
	free(buf);
	return ret;
}
