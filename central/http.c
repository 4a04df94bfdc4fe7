/*
 * http.c -- libmicrohttpd plumbing: per-request state (made on the first
 * callback with its route from routes.c, freed on completion), body
 * accumulation with a size bound, per-thread store handles, and response
 * helpers.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "central.h"
#include "routes.h"

const double ct_buckets[CT_NBUCKETS] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                        0.05,  0.1,    0.25,  0.5,  1.0};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- per-thread stores ------------------------------------------------ */
static __thread ax_store *tls_store;

/* take p out of the array v of n (the caller holds stores_mu) */
static void forget(void *v, int *n, const void *p)
{
	void **a = v;
	for (int i = 0; i < *n; i++)
		if (a[i] == p) {
			a[i] = a[--*n];
			return;
		}
}

/* At the start of a request (access_cb), never inside one, where a
 * handler may hold the store: a thread whose database connection is gone
 * (a PostgreSQL server restarted or failed over) lets its store and the
 * importer made on it go; ct_store opens them again. */
static void store_recheck(struct ct_server *srv)
{
	if (!tls_store || ax_store_alive(tls_store))
		return;
	CT_WARN("store: the connection to the database was lost; reconnecting");
	ct_api_thread_reset(srv); /* its importer lives on this store */
	pthread_mutex_lock(&srv->stores_mu);
	forget(srv->stores, &srv->nstores, tls_store);
	pthread_mutex_unlock(&srv->stores_mu);
	ax_store_close(tls_store);
	tls_store = NULL;
}

ax_store *ct_store(struct ct_server *srv)
{
	char err[512];

	if (tls_store)
		return tls_store;
	if (ax_store_open(srv->db_path, 0, &tls_store, err, sizeof err)) {
		CT_ERROR("store: %s", err);
		return NULL;
	}
	pthread_mutex_lock(&srv->stores_mu);
	if (srv->nstores < (int)(sizeof srv->stores / sizeof srv->stores[0]))
		srv->stores[srv->nstores++] = tls_store;
	pthread_mutex_unlock(&srv->stores_mu);
	return tls_store;
}

/* ---- responses -------------------------------------------------------- */
static enum MHD_Result queue(struct ct_req *r, unsigned status,
                             struct MHD_Response *resp, const char *ctype,
                             const char *const *headers)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (int i = 0; headers && headers[i] && headers[i + 1]; i += 2)
		MHD_add_response_header(resp, headers[i], headers[i + 1]);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result ct_reply_h(struct ct_req *r, unsigned status,
                           const char *ctype, const char *body, size_t len,
                           const char *const *headers)
{
	return queue(r, status,
	             MHD_create_response_from_buffer(len, (void *)body,
	                                             MHD_RESPMEM_MUST_COPY),
	             ctype, headers);
}

enum MHD_Result ct_reply_fd(struct ct_req *r, int fd, const char *ctype,
                            const char *const *headers)
{
	struct stat sb;
	struct MHD_Response *resp;

	if (fstat(fd, &sb) != 0 || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "reading export");
	}
	/* MHD reads the file as the client takes it, and closes it */
	if (!(resp = MHD_create_response_from_fd((uint64_t)sb.st_size, fd))) {
		close(fd);
		return MHD_NO;
	}
	return queue(r, MHD_HTTP_OK, resp, ctype, headers);
}

/* One export at a time: each is a full pass over the records into a
 * temporary file. A request that finds one being made waits for it (two
 * staff downloading the 台账 at once both get it), up to
 * CT_EXPORT_WAIT_S seconds and with at most CT_EXPORT_WAITERS pool threads
 * waiting; past that it is told to retry. */
#define CT_EXPORT_WAIT_S 30
#define CT_EXPORT_WAITERS 2
static enum MHD_Result export_busy(struct ct_req *r)
{
	static const char json[] = "{\"error\":\"another export is being made; "
	                           "retry in a few seconds\"}";
	/* a staff member who clicked a download link: a page in Chinese that
	 * tries again by itself (no script: the dashboard's CSP holds) */
	static const char html[] =
	    "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\">"
	    "<meta name=\"viewport\" content=\"width=device-width\">"
	    "<meta http-equiv=\"refresh\" content=\"10\">"
	    "<title>正在生成另一份台账</title>"
	    "<h1>正在生成另一份台账</h1>"
	    "<p>服务器一次只生成一份台账。本页 10 秒后会自动重试下载；"
	    "也可以稍后再点下载。</p>";
	const char *h[] = {"Retry-After", "10", NULL, NULL};
	const char *accept = ct_header(r, "Accept");

	if (accept && strstr(accept, "text/html"))
		return ct_reply_h(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		                  "text/html; charset=utf-8", html, sizeof html - 1, h);
	return ct_reply_h(r, MHD_HTTP_SERVICE_UNAVAILABLE,
	                  "application/json; charset=utf-8", json, sizeof json - 1,
	                  h);
}

int ct_export_begin(struct ct_req *r, enum MHD_Result *ret)
{
	const struct timespec tick = {0, 50 * 1000 * 1000};
	int i;

	if (!atomic_exchange(&r->srv->exporting, 1))
		return 0;
	if (atomic_fetch_add(&r->srv->export_waiters, 1) < CT_EXPORT_WAITERS) {
		/* a stopping server answers its waiters at once: they would
		 * otherwise hold the shutdown for a whole export of their own */
		for (i = 0; i < CT_EXPORT_WAIT_S * 20 &&
		            !atomic_load(&r->srv->stopping); i++) {
			nanosleep(&tick, NULL);
			if (atomic_load(&r->srv->stopping))
				break;
			if (!atomic_exchange(&r->srv->exporting, 1)) {
				atomic_fetch_sub(&r->srv->export_waiters, 1);
				return 0;
			}
		}
	}
	atomic_fetch_sub(&r->srv->export_waiters, 1);
	*ret = export_busy(r);
	return -1;
}

void ct_export_end(struct ct_req *r)
{
	atomic_store(&r->srv->exporting, 0);
}

enum MHD_Result ct_reply(struct ct_req *r, unsigned status, const char *ctype,
                         const char *body, size_t len)
{
	return ct_reply_h(r, status, ctype, body, len, NULL);
}

enum MHD_Result ct_reply_json(struct ct_req *r, unsigned status,
                              const char *json)
{
	return ct_reply(r, status, "application/json; charset=utf-8", json,
	                strlen(json));
}

enum MHD_Result ct_reply_unavailable(struct ct_req *r)
{
	static const char json[] = "{\"error\":\"the store is unavailable; "
	                           "retry later\"}";
	const char *h[] = {"Retry-After", "5", NULL, NULL};
	return ct_reply_h(r, MHD_HTTP_SERVICE_UNAVAILABLE,
	                  "application/json; charset=utf-8", json, sizeof json - 1,
	                  h);
}

enum MHD_Result ct_reply_error(struct ct_req *r, unsigned status,
                               const char *fmt, ...)
{
	char msg[512], body[1200], *o = body;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* JSON-escape the message by hand: it is ours and short */
	o += sprintf(o, "{\"error\":\"");
	for (const char *p = msg; *p && o < body + sizeof body - 8; p++) {
		if (*p == '"' || *p == '\\')
			*o++ = '\\';
		if ((unsigned char)*p < 0x20) {
			o += sprintf(o, "\\u%04x", (unsigned char)*p);
			continue;
		}
		*o++ = *p;
	}
	strcpy(o, "\"}");
	return ct_reply_json(r, status, body);
}

unsigned ct_status_for(ax_rc rc)
{
	switch (rc) {
	case AX_OK: return MHD_HTTP_OK;
	case AX_INVALID: return MHD_HTTP_BAD_REQUEST;
	case AX_NOTFOUND: return MHD_HTTP_NOT_FOUND;
	case AX_DENIED: return MHD_HTTP_FORBIDDEN;
	case AX_CONFLICT: return MHD_HTTP_CONFLICT;
	case AX_FULL: return MHD_HTTP_INSUFFICIENT_STORAGE; /* 507 */
	case AX_BUSY:
	case AX_READONLY:
	case AX_IO:
	default: return MHD_HTTP_SERVICE_UNAVAILABLE; /* 503: retry later */
	}
}

/* ---- request helpers -------------------------------------------------- */
const char *ct_header(struct ct_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *ct_query(struct ct_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *ct_cookie(struct ct_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

const char *ct_form(struct ct_req *r, const char *name)
{
	for (int i = 0; i < r->nform; i++)
		if (strcmp(r->form[i][0], name) == 0)
			return r->form[i][1];
	return NULL;
}

const char *ct_bearer(struct ct_req *r)
{
	const char *h = ct_header(r, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

void ct_client_addr(struct ct_req *r, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "?");
	if (!ci || !ci->client_addr)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)ci->client_addr)->sin_addr,
		          out, (socklen_t)n);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
		          &((struct sockaddr_in6 *)ci->client_addr)->sin6_addr, out,
		          (socklen_t)n);
}

/* ---- connections ------------------------------------------------------ */
static enum MHD_Result form_iter(void *cls, enum MHD_ValueKind kind,
                                 const char *key, const char *filename,
                                 const char *content_type,
                                 const char *transfer_encoding,
                                 const char *data, uint64_t off, size_t size)
{
	struct ct_req *r = cls;
	(void)kind;
	(void)filename;
	(void)content_type;
	(void)transfer_encoding;
	/* append to an existing field (values may arrive in pieces) */
	for (int i = 0; i < r->nform; i++)
		if (strcmp(r->form[i][0], key) == 0) {
			size_t old = strlen(r->form[i][1]);
			char *p;
			if (old + size > 4096)
				return MHD_NO;
			p = realloc(r->form[i][1], old + size + 1);
			if (!p)
				return MHD_NO;
			memcpy(p + old, data, size);
			p[old + size] = '\0';
			r->form[i][1] = p;
			return MHD_YES;
		}
	if (off != 0 || r->nform >= 16 || size > 4096)
		return MHD_NO;
	r->form[r->nform][0] = strdup(key);
	r->form[r->nform][1] = malloc(size + 1);
	if (!r->form[r->nform][0] || !r->form[r->nform][1])
		return MHD_NO;
	memcpy(r->form[r->nform][1], data, size);
	r->form[r->nform][1][size] = '\0';
	r->nform++;
	return MHD_YES;
}

/* First callback: the per-request state, the route, and whatever can be
 * refused before a byte of the body is read: an unknown path or method, a
 * declared length over the limit, and on a device route the token (and
 * the body's type).  A refused request's body is read and dropped. */
static enum MHD_Result begin_request(struct ct_server *srv,
                                     struct MHD_Connection *conn,
                                     const char *url, const char *method,
                                     void **con_cls)
{
	struct ct_req *r = calloc(1, sizeof *r);
	const char *cl;
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	r->srv = srv;
	r->conn = conn;
	r->method = method;
	r->url = url;
	r->t0 = now_s();
	*con_cls = r;
	r->route = ct_route_find(method, url, &r->wrong_method);
	r->kind = r->route ? r->route->kind : CT_R_API;
	if (!r->route) {
		r->too_big = 1;
		if (r->wrong_method)
			return ct_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED,
			                      "%s is not allowed on %s", method, url);
		return ct_reply_error(r, MHD_HTTP_NOT_FOUND, "no such path: %s", url);
	}
	cl = ct_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > srv->max_body) {
		r->too_big = 1;
		return ct_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
		                      "body of %s bytes is over the limit of %zu",
		                      cl, srv->max_body);
	}
	if (r->route->device && ct_api_device_early(r, &ret)) {
		r->too_big = 1;
		return ret;
	}
	if (r->route->form)
		r->pp = MHD_create_post_processor(conn, 16 * 1024, form_iter, r);
	return MHD_YES;
}

/* Grow r->body to hold `need` bytes within the server-wide budget of
 * buffered bodies; -1 over the budget (nothing held any more), -2 out of
 * memory. */
static int body_reserve(struct ct_req *r, size_t need)
{
	struct ct_server *srv = r->srv;
	size_t cap = r->cap ? r->cap : 64 * 1024;
	char *p;

	if (need <= r->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > srv->max_body + 1)
		cap = srv->max_body + 1;
	if (atomic_fetch_add(&srv->buffered, (long long)(cap - r->cap)) +
	        (long long)(cap - r->cap) > (long long)srv->max_buffered) {
		atomic_fetch_sub(&srv->buffered, (long long)cap);
		free(r->body);
		r->body = NULL;
		r->len = r->cap = 0;
		return -1;
	}
	if (!(p = realloc(r->body, cap))) {
		atomic_fetch_sub(&srv->buffered, (long long)(cap - r->cap));
		return -2;
	}
	r->body = p;
	r->cap = cap;
	return 0;
}

/* A piece of the body: decoded as a form, buffered up to max_body on a
 * route that reads a body, or dropped (over the limit, refused already,
 * a route without a body).  Consumes the whole piece. */
static enum MHD_Result take_upload(struct ct_req *r, const char *upload,
                                   size_t *upload_size)
{
	size_t max = r->srv->max_body, n = *upload_size;
	int rc;

	*upload_size = 0;
	if (r->too_big || (!r->pp && !r->route->device)) {
		/* read and drop, so a client still sending can read the
		 * answer; give up on a client that sends far more */
		r->dropped += n;
		return r->dropped > 16 * max ? MHD_NO : MHD_YES;
	}
	if (r->pp) {
		/* a field over its limit: 413 once the upload is in */
		if (MHD_post_process(r->pp, upload, n) != MHD_YES) {
			r->too_big = 2;
			r->dropped = n;
		}
		return MHD_YES;
	}
	if (r->len + n > max) {
		r->too_big = 2;
		r->dropped = n;
		return MHD_YES;
	}
	if ((rc = body_reserve(r, r->len + n + 1)) == -2)
		return MHD_NO;
	if (rc) {
		r->too_big = 3;
		r->dropped = n;
		return MHD_YES;
	}
	memcpy(r->body + r->len, upload, n);
	r->len += n;
	r->body[r->len] = '\0';
	return MHD_YES;
}

/* The body is in: answer through the route, or 413/503. */
static enum MHD_Result finish_request(struct ct_req *r)
{
	static const char busy[] = "{\"error\":\"the server holds too many "
	                           "uploads at once; retry later\"}";
	const char *h[] = {"Retry-After", "5", NULL, NULL};

	if (r->too_big == 2 && r->pp)
		return ct_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
		                      "a form field is over 4096 bytes, or the form "
		                      "has more than 16 fields");
	if (r->too_big == 2)
		return ct_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE,
		                      "body is over the limit of %zu bytes",
		                      r->srv->max_body);
	if (r->too_big == 3)
		return ct_reply_h(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		                  "application/json; charset=utf-8", busy,
		                  sizeof busy - 1, h);
	if (r->too_big)
		return MHD_YES; /* already answered */
	return r->route->fn(r);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *conn,
                                 const char *url, const char *method,
                                 const char *version, const char *upload,
                                 size_t *upload_size, void **con_cls)
{
	(void)version;
	if (!*con_cls) {
		store_recheck(cls);
		return begin_request(cls, conn, url, method, con_cls);
	}
	if (*upload_size)
		return take_upload(*con_cls, upload, upload_size);
	return finish_request(*con_cls);
}

static void completed_cb(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
	struct ct_server *srv = cls;
	struct ct_req *r = *con_cls;
	double dt;
	int b;

	(void)conn;
	(void)toe;
	if (!r)
		return;
	dt = now_s() - r->t0;
	for (b = 0; b < CT_NBUCKETS && dt > ct_buckets[b]; b++)
		;
	atomic_fetch_add(&srv->requests[r->kind], 1);
	atomic_fetch_add(&srv->hist[r->kind][b], 1);
	atomic_fetch_add(&srv->hist_sum_us[r->kind], (long long)(dt * 1e6));
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (int i = 0; i < r->nform; i++) {
		free(r->form[i][0]);
		free(r->form[i][1]);
	}
	if (r->cap)
		atomic_fetch_sub(&srv->buffered, (long long)r->cap);
	free(r->body);
	free(r);
	*con_cls = NULL;
}

static void thread_done_cb(void *cls, struct MHD_Connection *c, void **socket_ctx,
                           enum MHD_ConnectionNotificationCode code)
{
	(void)cls;
	(void)c;
	(void)socket_ctx;
	(void)code;
}

struct MHD_Daemon *ct_start(struct ct_server *srv, const struct sockaddr *addr,
                            unsigned threads)
{
	return MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
	        MHD_USE_ITC |
	        (addr->sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
	    0, NULL, NULL, access_cb, srv, MHD_OPTION_SOCK_ADDR, addr,
	    MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_NOTIFY_COMPLETED,
	    completed_cb, srv, MHD_OPTION_NOTIFY_CONNECTION, thread_done_cb, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)512, MHD_OPTION_END);
}

void ct_register_importer(struct ct_server *srv, struct ax_importer *im)
{
	pthread_mutex_lock(&srv->stores_mu);
	if (srv->nimporters < (int)(sizeof srv->importers / sizeof srv->importers[0]))
		srv->importers[srv->nimporters++] = im;
	pthread_mutex_unlock(&srv->stores_mu);
}

void ct_unregister_importer(struct ct_server *srv, struct ax_importer *im)
{
	pthread_mutex_lock(&srv->stores_mu);
	forget(srv->importers, &srv->nimporters, im);
	pthread_mutex_unlock(&srv->stores_mu);
}

void ct_close_stores(struct ct_server *srv)
{
	pthread_mutex_lock(&srv->stores_mu);
	for (int i = 0; i < srv->nimporters; i++)
		ax_importer_free(srv->importers[i]);
	srv->nimporters = 0;
	for (int i = 0; i < srv->nstores; i++)
		ax_store_close(srv->stores[i]);
	srv->nstores = 0;
	pthread_mutex_unlock(&srv->stores_mu);
}
