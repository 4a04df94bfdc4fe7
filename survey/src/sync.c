/*
 * sync.c -- the sync client: push and pull over HTTP (libcurl, zlib).
 *
 * The queue, the effect of a push reply on it and the retry schedule
 * live in outbox.c (with the queue's invariants); this file talks to the
 * server and keeps what a pull brings (campaigns, roster slices).
 *
 * Costs: a push holds a batch body twice in memory (plain and gzip), so
 * a batch costs about 1.5 x max_bytes.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#include "anxin/content.h"
#include "anxin/sync.h"
#include "sync_int.h"

#define TIMEOUT_DEFAULT 30
#define CONNECT_TIMEOUT_DEFAULT 5
/* Replies larger than this are refused: a roster slice of a whole county
 * (~200k households with phones) is about 30 MB. */
#define REPLY_MAX ((size_t)64 * 1024 * 1024)

/* ==== HTTP ============================================================= */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;

static void curl_init_once(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

struct http {
	CURL *h;
	const struct ax_sync_opts *o;
	const char *base; /* opts.url without trailing '/' */
	size_t base_len;
	struct ax_buf reply;
	int reply_too_big;
	char etag[256];
	long long retry_after;
	char curl_err[CURL_ERROR_SIZE];
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct http *H = ctx;
	size_t len = size * n;

	if (H->reply.len + len > REPLY_MAX) {
		H->reply_too_big = 1;
		return 0; /* curl aborts with CURLE_WRITE_ERROR */
	}
	ax__buf_put(&H->reply, p, len);
	return H->reply.oom ? 0 : len;
}

/* Keeps ETag and Retry-After of the final response (a 100 Continue or
 * other interim response starts a new set of headers). */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct http *H = ctx;
	size_t len = size * n, k;
	const char *v;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		H->etag[0] = '\0';
		H->retry_after = 0;
		return len;
	}
	if (len > 5 && strncasecmp(p, "ETag:", 5) == 0)
		k = 5;
	else if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0)
		k = 12;
	else
		return len;
	v = p + k;
	while (v < p + len && (*v == ' ' || *v == '\t'))
		v++;
	n = (size_t)(p + len - v);
	while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
		n--;
	if (k == 5) {
		if (n < sizeof H->etag) {
			memcpy(H->etag, v, n);
			H->etag[n] = '\0';
		}
	} else if (n && n < 10 && strspn(v, "0123456789") >= n) {
		/* delta-seconds only; an HTTP-date is left to the backoff */
		H->retry_after = strtoll(v, NULL, 10);
	}
	return len;
}

static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c,
                       curl_off_t d)
{
	const struct ax_sync_opts *o = ctx;
	(void)a, (void)b, (void)c, (void)d;
	return o->cancel && *o->cancel;
}

static int cancelled(const struct ax_sync_opts *o)
{
	return o->cancel && *o->cancel;
}

/* Checks options shared by push and pull; message in err. */
static ax_rc check_opts(const struct ax_sync_opts *o, char *err, size_t n)
{
	if (!o || !o->url ||
	    (strncmp(o->url, "http://", 7) && strncmp(o->url, "https://", 8))) {
		snprintf(err, n, "the server URL must start with http:// or https://");
		return AX_INVALID;
	}
	if (!o->token || !*o->token || strlen(o->token) > 512) {
		snprintf(err, n, "no device token");
		return AX_INVALID;
	}
	for (const char *p = o->token; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(err, n, "the device token contains spaces or control "
			                 "characters");
			return AX_INVALID;
		}
	return AX_OK;
}

static ax_rc http_open(struct http *H, const struct ax_sync_opts *o)
{
	long timeout = o->timeout > 0 ? o->timeout : TIMEOUT_DEFAULT;
	long ctimeout = o->connect_timeout > 0 ? o->connect_timeout
	                                       : CONNECT_TIMEOUT_DEFAULT;

	memset(H, 0, sizeof *H);
	H->o = o;
	H->base = o->url;
	H->base_len = strlen(o->url);
	while (H->base_len && H->base[H->base_len - 1] == '/')
		H->base_len--;
	pthread_once(&curl_once, curl_init_once);
	if (curl_init_rc != CURLE_OK || !(H->h = curl_easy_init()))
		return AX_NOMEM;
	curl_easy_setopt(H->h, CURLOPT_NOSIGNAL, 1L); /* thread-safe timeouts */
	curl_easy_setopt(H->h, CURLOPT_CONNECTTIMEOUT, ctimeout);
	curl_easy_setopt(H->h, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(H->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(H->h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(H->h, CURLOPT_USERAGENT, "anxin/" AX_VERSION);
	curl_easy_setopt(H->h, CURLOPT_ERRORBUFFER, H->curl_err);
	curl_easy_setopt(H->h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(H->h, CURLOPT_WRITEDATA, H);
	curl_easy_setopt(H->h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(H->h, CURLOPT_HEADERDATA, H);
	curl_easy_setopt(H->h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(H->h, CURLOPT_XFERINFODATA, (void *)o);
	curl_easy_setopt(H->h, CURLOPT_NOPROGRESS, 0L);
	return AX_OK;
}

static void http_close(struct http *H)
{
	curl_easy_cleanup(H->h);
	ax__buf_free(&H->reply);
}

/* Outcome of one request, as the schedule sees it. */
enum outcome { OK_ANSWER, FAIL_TRANSIENT, FAIL_PERMANENT, FAIL_CANCELLED };

/*
 * One request to base + path.  `post` NULL makes a GET.  `extra` headers
 * (borrowed) are added to the bearer token.  On return *status is the
 * HTTP status (0 if none) and H->reply holds the body.  Any failure to
 * get an answer is described in err.
 */
static enum outcome http_do(struct http *H, const char *path,
                            struct curl_slist *extra, const void *post,
                            size_t post_len, long *status, char *err,
                            size_t errlen)
{
	struct ax_buf url = {0}, auth = {0};
	struct curl_slist *hdrs = NULL, *h;
	enum outcome out = FAIL_TRANSIENT;
	CURLcode cc;

	*status = 0;
	ax__buf_free(&H->reply);
	H->reply_too_big = 0;
	H->etag[0] = '\0';
	H->retry_after = 0;
	H->curl_err[0] = '\0';
	ax__buf_put(&url, H->base, H->base_len);
	ax__buf_puts(&url, path);
	ax__buf_printf(&auth, "Authorization: Bearer %s", H->o->token);
	if (url.oom || auth.oom || !(hdrs = curl_slist_append(NULL, auth.p))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (const struct curl_slist *e = extra; e; e = e->next) {
		if (!(h = curl_slist_append(hdrs, e->data))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		hdrs = h;
	}
	curl_easy_setopt(H->h, CURLOPT_URL, url.p);
	curl_easy_setopt(H->h, CURLOPT_HTTPHEADER, hdrs);
	if (post) {
		curl_easy_setopt(H->h, CURLOPT_POST, 1L);
		curl_easy_setopt(H->h, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(H->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post_len);
	} else {
		curl_easy_setopt(H->h, CURLOPT_HTTPGET, 1L);
	}
	cc = curl_easy_perform(H->h);
	curl_easy_setopt(H->h, CURLOPT_HTTPHEADER, NULL);
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		snprintf(err, errlen, "%s %s: cancelled", post ? "POST" : "GET", url.p);
		out = FAIL_CANCELLED;
		goto fail;
	}
	if (cc != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", post ? "POST" : "GET", url.p,
		         H->reply_too_big ? "reply larger than 64 MiB"
		         : H->curl_err[0] ? H->curl_err
		                          : curl_easy_strerror(cc));
		goto fail;
	}
	curl_easy_getinfo(H->h, CURLINFO_RESPONSE_CODE, status);
	if (H->reply.oom) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	out = OK_ANSWER;
fail:
	curl_slist_free_all(hdrs);
	ax__buf_free(&url);
	ax__buf_free(&auth);
	return out;
}

/* Describe a reply status other than the expected ones; returns the
 * outcome (401/403 are permanent: retrying cannot fix a refused token). */
static enum outcome http_status_error(struct http *H, const char *what,
                                      long status, char *err, size_t errlen)
{
	char snippet[121];
	size_t k = 0;

	/* a printable excerpt of the body: servers say why in it */
	for (size_t i = 0; H->reply.p && i < H->reply.len && k < sizeof snippet - 1; i++) {
		unsigned char c = (unsigned char)H->reply.p[i];
		snippet[k++] = c < ' ' || c == 0x7f ? ' ' : (char)c;
	}
	snippet[k] = '\0';
	if (status == 401) {
		snprintf(err, errlen, "%s: the server does not accept the device "
		         "token (HTTP 401%s%s): check the token file or register the "
		         "device again", what, k ? ": " : "", snippet);
		return FAIL_PERMANENT;
	}
	if (status == 403) {
		snprintf(err, errlen, "%s: the server refused this device (HTTP 403"
		         "%s%s): check its token and scope", what, k ? ": " : "",
		         snippet);
		return FAIL_PERMANENT;
	}
	snprintf(err, errlen, "%s: server answered HTTP %ld%s%s", what, status,
	         k ? ": " : "", snippet);
	return FAIL_TRANSIENT;
}

/* ==== push ============================================================= */
static ax_rc gzip_body(const char *in, size_t n, unsigned char **out,
                       size_t *out_len)
{
	z_stream z;
	unsigned char *buf = NULL;
	uLong bound;

	*out = NULL;
	*out_len = 0;
	if (n > UINT_MAX)
		return AX_INVALID;
	memset(&z, 0, sizeof z);
	/* 15 + 16: a gzip wrapper, as Content-Encoding: gzip means */
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK)
		return AX_NOMEM;
	bound = deflateBound(&z, (uLong)n);
	if (!(buf = malloc(bound))) {
		deflateEnd(&z);
		return AX_NOMEM;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)n;
	z.next_out = buf;
	z.avail_out = (uInt)bound;
	if (deflate(&z, Z_FINISH) != Z_STREAM_END) {
		deflateEnd(&z);
		free(buf);
		return AX_ERROR;
	}
	*out_len = z.total_out;
	*out = buf;
	deflateEnd(&z);
	return AX_OK;
}

/* Map an outcome to the schedule and the caller's result code. */
static ax_rc settle(ax_store *st, const struct ax_sync_opts *o,
                    enum outcome out, ax_rc fail_rc, const char *err,
                    long long retry_after, int *permanent, int *was_cancelled,
                    long long *next)
{
	if (out == FAIL_CANCELLED) {
		*was_cancelled = 1;
		ax__store_seterr(st, "%s", err);
		return AX_ERROR;
	}
	*permanent = out == FAIL_PERMANENT;
	*next = ax__sync_record_failure(st, o, (long long)time(NULL), err,
	                                *permanent, retry_after);
	ax__store_seterr(st, "%s", err);
	/* not a warning: the caller gets err and reports it */
	AX_LOG(AX_LOG_INFO, "next attempt at %lld: %s", *next, err);
	return *permanent ? AX_DENIED : fail_rc;
}

#define QUEUE_KEY "device.queue"

int ax_sync_queue_valid(const char *text)
{
	size_t n = strlen(text);
	if (n == 0 || n >= AX_QUEUE_MAX)
		return 0;
	return strspn(text, "0123456789,;.") == n;
}

ax_rc ax_sync_set_queue(ax_store *st, const char *text)
{
	if (text && !ax_sync_queue_valid(text)) {
		ax__store_seterr(st, "queue report \"%.20s\": digits , ; . only", text);
		return AX_INVALID;
	}
	return ax__sync_state_set(st, QUEUE_KEY, text);
}

/* Append "X-Anxin-Queue: ..." to *hdrs when the device set one: 0, or -1
 * when out of memory. */
static int queue_header(ax_store *st, struct curl_slist **hdrs)
{
	char *q = NULL, line[AX_QUEUE_MAX + 32];
	struct curl_slist *h;
	if (ax__sync_state_get(st, QUEUE_KEY, &q) != AX_OK || !q)
		return 0;
	snprintf(line, sizeof line, "X-Anxin-Queue: %s", q);
	free(q);
	if (!(h = curl_slist_append(*hdrs, line)))
		return -1;
	*hdrs = h;
	return 0;
}

ax_rc ax_sync_push(ax_store *st, const struct ax_sync_opts *o,
                   struct ax_sync_result *res)
{
	struct ax_sync_result local;
	struct ax__batch b = {0};
	struct http H = {0};
	unsigned char *gz = NULL;
	size_t gz_len, max_bytes;
	long long after = 0, retry_after = 0;
	int limit;
	enum outcome out = OK_ANSWER;
	ax_rc rc, fail_rc = AX_IO;
	char err[256] = "";

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	if ((rc = check_opts(o, err, sizeof err))) {
		ax__store_seterr(st, "%s", err);
		snprintf(res->error, sizeof res->error, "%s", err);
		return rc;
	}
	limit = o->batch > 0 ? o->batch : AX_SYNC_BATCH_DEFAULT;
	max_bytes = o->max_bytes > 0 ? o->max_bytes : AX_SYNC_MAX_BYTES_DEFAULT;
	if ((rc = http_open(&H, o))) {
		snprintf(err, sizeof err, "cannot start libcurl");
		goto fail;
	}
	for (;;) {
		struct curl_slist *hdrs = NULL, *h;
		char backlog[64], device_time[64];
		long status;

		if (cancelled(o)) {
			snprintf(err, sizeof err, "push cancelled");
			out = FAIL_CANCELLED;
			break;
		}
		if ((rc = ax__sync_build_batch(st, after, limit, max_bytes, &b)))
			goto fail;
		if (b.n == 0)
			break;
		b.retry_base = o->retry_base;
		if ((rc = gzip_body(b.body, b.len, &gz, &gz_len))) {
			snprintf(err, sizeof err, "cannot compress a batch of %zu bytes",
			         b.len);
			goto fail;
		}
		if ((rc = ax__outbox_count_attempt(st, &b)))
			goto fail;
		snprintf(backlog, sizeof backlog, "X-Anxin-Backlog: %ld",
		         ax__outbox_pending(st));
		/* our clock, so the server can see and undo a skew in the
		 * records' times (a kiosk whose clock is days wrong) */
		snprintf(device_time, sizeof device_time, "X-Anxin-Device-Time: %lld",
		         (long long)time(NULL));
		/* no Expect: 100-continue; a 413 is answered after the upload */
		if (!(hdrs = curl_slist_append(NULL, "Content-Type: application/x-ndjson")) ||
		    !(h = curl_slist_append(hdrs, "Content-Encoding: gzip")) ||
		    !(h = curl_slist_append(hdrs, "Accept: application/json")) ||
		    !(h = curl_slist_append(hdrs, "Expect:")) ||
		    !(h = curl_slist_append(hdrs, backlog)) ||
		    !(h = curl_slist_append(hdrs, device_time)) ||
		    queue_header(st, &hdrs)) {
			curl_slist_free_all(hdrs);
			rc = AX_NOMEM;
			snprintf(err, sizeof err, "out of memory");
			goto fail;
		}
		out = http_do(&H, "/api/v1/records", hdrs, gz, gz_len, &status, err,
		              sizeof err);
		curl_slist_free_all(hdrs);
		free(gz);
		gz = NULL;
		res->http_status = (int)status;
		retry_after = H.retry_after;
		if (out != OK_ANSWER)
			break;
		AX_LOG(AX_LOG_INFO, "pushed %d records (%zu bytes, %zu gzip): HTTP %ld",
		       b.n, b.len, gz_len, status);
		if (status == 413) {
			if (b.n > 1) {
				limit = b.n / 2;
			} else {
				/* even alone it is too large: leave it pending and go on,
				 * so one record cannot hold up every later one */
				res->oversize++;
				after = b.seq[0];
				AX_LOG(AX_LOG_WARN, "record %s (%zu bytes) is larger than the "
				       "server accepts; left pending", b.id[0], b.len);
			}
			ax__batch_free(&b);
			continue;
		}
		if (status != 200) {
			out = http_status_error(&H, "POST /api/v1/records", status, err,
			                        sizeof err);
			break;
		}
		rc = ax__sync_apply_reply(st, &b, H.reply.p, H.reply.len,
		                          (long long)time(NULL), res);
		if (rc == AX_INVALID) {
			snprintf(err, sizeof err, "POST /api/v1/records: %s",
			         ax_store_errmsg(st));
			out = FAIL_TRANSIENT;
			fail_rc = AX_INVALID;
			break;
		}
		if (rc)
			goto fail;
		res->requests++;
		after = b.seq[b.n - 1];
		ax__batch_free(&b);
	}
	if (out != OK_ANSWER)
		rc = settle(st, o, out, fail_rc, err, retry_after, &res->permanent,
		            &res->cancelled, &res->next_attempt);
	else if (res->requests)
		rc = ax__sync_record_success(st, "push", (long long)time(NULL));
	if (!rc && res->oversize)
		snprintf(res->error, sizeof res->error,
		         "%ld record(s) larger than the server accepts left pending",
		         res->oversize);
fail:
	if (rc && err[0])
		ax__store_seterr(st, "%s", err);
	if (rc && !res->error[0])
		snprintf(res->error, sizeof res->error, "%s", ax_store_errmsg(st));
	res->pending = ax__outbox_pending(st);
	free(gz);
	ax__batch_free(&b);
	http_close(&H);
	return rc;
}

/* ==== pull ============================================================= */
static void first_diag(void *ctx, enum ax_severity sev, const char *msg)
{
	char *buf = ctx;
	if (sev == AX_SEV_ERROR && !buf[0])
		snprintf(buf, 256, "%s", msg);
}

ax_rc ax__sync_apply_campaigns(ax_store *st, const char *text, size_t len,
                               const char *etag, int *surveys_added,
                               int *ncampaigns)
{
	json_error_t je;
	json_t *root, *camps, *surveys, *v;
	const char *key;
	ax_content **loaded = NULL;
	size_t nsurveys, k = 0;
	char *copy = NULL;
	int added = 0;
	ax_rc rc = AX_OK;

	if (surveys_added)
		*surveys_added = 0;
	root = json_loadb(text, len, 0, &je);
	camps = json_object_get(root, "campaigns");
	surveys = json_object_get(root, "surveys");
	if (!json_is_array(camps) || (surveys && !json_is_object(surveys))) {
		ax__store_seterr(st, "malformed campaigns document: %s",
		                 !root ? je.text
		                       : "expected {\"campaigns\":[…],\"surveys\":{…}}");
		json_decref(root);
		return AX_INVALID;
	}
	/* load every survey first: one that does not validate stops it all */
	nsurveys = json_object_size(surveys);
	if (nsurveys && !(loaded = calloc(nsurveys, sizeof *loaded))) {
		rc = AX_NOMEM;
		ax__store_seterr(st, "out of memory");
		goto fail;
	}
	json_object_foreach(surveys, key, v) {
		const struct ax_survey *s;
		char name[160], first[256] = "", *sj;
		int nerr = 0;
		ax_rc lrc;

		snprintf(name, sizeof name, "campaigns.json:surveys/%s", key);
		if (!(sj = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS))) {
			rc = AX_NOMEM;
			ax__store_seterr(st, "out of memory");
			goto fail;
		}
		lrc = ax_content_load_text(name, "survey", sj, first_diag, first, &nerr,
		                           &loaded[k]);
		free(sj);
		if (lrc) {
			rc = lrc;
			ax__store_seterr(st, "%s: %s", name, ax_rc_str(lrc));
			goto fail;
		}
		k++;
		s = ax_content_nsurveys(loaded[k - 1]) == 1
		        ? ax_content_survey(loaded[k - 1], 0)
		        : NULL;
		if (nerr || !s) {
			ax__store_seterr(st, "%s", first[0] ? first : name);
			rc = AX_INVALID;
			goto fail;
		}
		snprintf(name, sizeof name, "%s@%d", s->id, s->version);
		if (strcmp(name, key) != 0) {
			ax__store_seterr(st, "campaigns.json: survey \"%s\" is keyed "
			                 "\"%s\"", name, key);
			rc = AX_INVALID;
			goto fail;
		}
	}
	for (size_t i = 0; i < k; i++) {
		int n = 0;
		if ((rc = ax_content_install(st, loaded[i], &n)))
			goto fail;
		added += n;
	}
	if (!(copy = malloc(len + 1))) {
		rc = AX_NOMEM;
		ax__store_seterr(st, "out of memory");
		goto fail;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if ((rc = ax__exec(st, "SAVEPOINT campaigns")))
		goto fail;
	if ((rc = ax__sync_state_set(st, "campaigns.json", copy)) ||
	    (rc = ax__sync_state_set(st, "campaigns.etag",
	                             etag && *etag ? etag : NULL))) {
		ax__exec(st, "ROLLBACK TO campaigns");
		ax__exec(st, "RELEASE campaigns");
		goto fail;
	}
	if ((rc = ax__exec(st, "RELEASE campaigns")))
		goto fail;
	if (surveys_added)
		*surveys_added = added;
	if (ncampaigns)
		*ncampaigns = (int)json_array_size(camps);
fail:
	for (size_t i = 0; i < k; i++)
		ax_content_free(loaded[i]);
	free(loaded);
	free(copy);
	json_decref(root);
	return rc;
}

/* Check a roster slice and keep it raw under roster.CODE.*. */
static ax_rc apply_roster(ax_store *st, const char *code, const char *text,
                          size_t len, const char *etag)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, 0, &je);
	const char *scope = json_string_value(json_object_get(root, "scope"));
	char key[96], *copy = NULL;
	ax_rc rc;

	if (!json_is_array(json_object_get(root, "households")) || !scope ||
	    strcmp(scope, code) != 0) {
		ax__store_seterr(st, "malformed roster of %s: %s", code,
		                 !root ? je.text
		                       : "expected {\"scope\":CODE,\"households\":[…]} "
		                         "for the code asked");
		json_decref(root);
		return AX_INVALID;
	}
	json_decref(root);
	if (!(copy = malloc(len + 1))) {
		ax__store_seterr(st, "out of memory");
		return AX_NOMEM;
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	if ((rc = ax__exec(st, "SAVEPOINT roster"))) {
		free(copy);
		return rc;
	}
	snprintf(key, sizeof key, "roster.%s.json", code);
	rc = ax__sync_state_set(st, key, copy);
	snprintf(key, sizeof key, "roster.%s.etag", code);
	if (!rc)
		rc = ax__sync_state_set(st, key, etag && *etag ? etag : NULL);
	if (rc)
		ax__exec(st, "ROLLBACK TO roster");
	ax__exec(st, "RELEASE roster");
	free(copy);
	return rc;
}

/*
 * GET path with If-None-Match from etag_key (only when doc_key holds a
 * document, else a lost document could never come back).  *changed: 1 on
 * 200, 0 on 304.  On 200 the reply is in H->reply and the ETag in H->etag.
 */
static enum outcome conditional_get(ax_store *st, struct http *H,
                                    const char *path, const char *doc_key,
                                    const char *etag_key, long *status,
                                    int *changed, char *err, size_t errlen)
{
	struct curl_slist *hdrs = NULL, *h;
	struct ax_buf inm = {0};
	char *etag = NULL, *doc = NULL, backlog[64];
	enum outcome out;

	*changed = 0;
	if (ax__sync_state_get(st, etag_key, &etag) == AX_OK && etag &&
	    ax__sync_state_get(st, doc_key, &doc) == AX_OK && doc)
		ax__buf_printf(&inm, "If-None-Match: %s", etag);
	free(etag);
	free(doc);
	snprintf(backlog, sizeof backlog, "X-Anxin-Backlog: %ld",
	         ax__outbox_pending(st));
	if (inm.oom || !(hdrs = curl_slist_append(NULL, "Accept: application/json")) ||
	    !(h = curl_slist_append(hdrs, backlog)) ||
	    (inm.p && !(h = curl_slist_append(hdrs, inm.p))) ||
	    queue_header(st, &hdrs)) {
		curl_slist_free_all(hdrs);
		ax__buf_free(&inm);
		snprintf(err, errlen, "out of memory");
		return FAIL_TRANSIENT;
	}
	out = http_do(H, path, hdrs, NULL, 0, status, err, errlen);
	curl_slist_free_all(hdrs);
	ax__buf_free(&inm);
	if (out != OK_ANSWER)
		return out;
	if (*status == 304)
		return OK_ANSWER;
	if (*status != 200) {
		char what[160];
		snprintf(what, sizeof what, "GET %s", path);
		return http_status_error(H, what, *status, err, errlen);
	}
	*changed = 1;
	return OK_ANSWER;
}

ax_rc ax_sync_pull(ax_store *st, const struct ax_sync_opts *o,
                   struct ax_sync_pull_result *res)
{
	struct ax_sync_pull_result local;
	struct http H = {0};
	enum outcome out = OK_ANSWER;
	ax_rc rc, fail_rc = AX_IO;
	long status = 0;
	int changed;
	char err[256] = "";

	if (!res)
		res = &local;
	memset(res, 0, sizeof *res);
	res->ncampaigns = -1;
	if ((rc = check_opts(o, err, sizeof err))) {
		ax__store_seterr(st, "%s", err);
		snprintf(res->error, sizeof res->error, "%s", err);
		return rc;
	}
	if ((rc = http_open(&H, o))) {
		snprintf(err, sizeof err, "cannot start libcurl");
		goto fail;
	}

	out = conditional_get(st, &H, "/api/v1/campaigns", "campaigns.json",
	                      "campaigns.etag", &status, &changed, err, sizeof err);
	res->http_status = (int)status;
	if (out != OK_ANSWER)
		goto fail;
	if (changed) {
		rc = ax__sync_apply_campaigns(st, H.reply.p ? H.reply.p : "",
		                              H.reply.len, H.etag, &res->surveys_added,
		                              &res->ncampaigns);
		if (rc == AX_INVALID || rc == AX_CONFLICT) {
			/* what the server sent is wrong, not the device: keep the old
			 * document and try again later */
			snprintf(err, sizeof err, "GET /api/v1/campaigns: %s",
			         ax_store_errmsg(st));
			out = FAIL_TRANSIENT;
			fail_rc = rc;
			goto fail;
		}
		if (rc)
			goto fail;
		res->campaigns_changed = 1;
	}

	/* roster slices, one per scope code (SMS gateways) */
	for (const char *p = o->scope; p && *p;) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		char code[32], path[96], doc_key[96], etag_key[96], *esc;

		if (n == 0 || n >= sizeof code) {
			snprintf(err, sizeof err, "scope: \"%.*s\" is not a region code",
			         (int)(n < 40 ? n : 40), p);
			rc = AX_INVALID;
			goto fail;
		}
		memcpy(code, p, n);
		code[n] = '\0';
		p = c ? c + 1 : NULL;
		if (!(esc = curl_easy_escape(H.h, code, 0))) {
			snprintf(err, sizeof err, "out of memory");
			rc = AX_NOMEM;
			goto fail;
		}
		snprintf(path, sizeof path, "/api/v1/roster?scope=%s", esc);
		curl_free(esc);
		snprintf(doc_key, sizeof doc_key, "roster.%s.json", code);
		snprintf(etag_key, sizeof etag_key, "roster.%s.etag", code);
		if (cancelled(o)) {
			snprintf(err, sizeof err, "pull cancelled");
			out = FAIL_CANCELLED;
			goto fail;
		}
		out = conditional_get(st, &H, path, doc_key, etag_key, &status,
		                      &changed, err, sizeof err);
		res->http_status = (int)status;
		if (out != OK_ANSWER)
			goto fail;
		if (!changed) {
			res->rosters_unchanged++;
			continue;
		}
		rc = apply_roster(st, code, H.reply.p ? H.reply.p : "", H.reply.len,
		                  H.etag);
		if (rc == AX_INVALID) {
			snprintf(err, sizeof err, "GET %s: %s", path, ax_store_errmsg(st));
			out = FAIL_TRANSIENT;
			fail_rc = rc;
			goto fail;
		}
		if (rc)
			goto fail;
		res->rosters_changed++;
	}
	rc = ax__sync_record_success(st, "pull", (long long)time(NULL));
fail:
	if (out != OK_ANSWER)
		rc = settle(st, o, out, fail_rc, err, H.retry_after, &res->permanent,
		            &res->cancelled, &res->next_attempt);
	else if (rc && err[0])
		ax__store_seterr(st, "%s", err);
	if (rc)
		snprintf(res->error, sizeof res->error, "%s", ax_store_errmsg(st));
	http_close(&H);
	return rc;
}
