/*
 * central.h -- internals shared by anxin-central's files: server state,
 * per-request state, response and request helpers (http.c), logging.
 * The route table and the handlers it names are in routes.h.
 */
#ifndef ANXIN_CENTRAL_H
#define ANXIN_CENTRAL_H

#include "anxin/applog.h"
#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>

#include "anxin/anxin.h"
#include "anxin/auth.h"
#include "anxin/records.h"
#include "anxin/store.h"

/* Password checks (Argon2, 64 MiB each) running at once, at most. */
#define CT_PW_CHECKS 2

/* Latency histogram buckets (seconds), Prometheus style. */
#define CT_NBUCKETS 10
extern const double ct_buckets[CT_NBUCKETS];

enum ct_route_kind { CT_R_RECORDS, CT_R_REPORT, CT_R_API, CT_R_PAGE, CT_R_N };

struct ct_server {
	const char *db_path;
	const char *narration_dir; /* --narration: narration files (narration.c) */
	size_t max_body;        /* bytes on the wire */
	size_t max_inflated;    /* bytes after gunzip */
	size_t max_records;     /* records per request */
	int max_unseal;         /* sealed numbers a device may open a day */
	size_t max_buffered;    /* body bytes held by all requests at once */
	atomic_llong buffered;  /* body bytes held now */
	int session_ttl;        /* seconds */
	struct MHD_Daemon *mhd;

	/* counters for /metrics (updated from worker threads) */
	atomic_llong rec_accepted, rec_duplicate, rec_conflict, rec_rejected;
	atomic_llong requests[CT_R_N];
	atomic_llong hist[CT_R_N][CT_NBUCKETS + 1]; /* last = +Inf */
	atomic_llong hist_sum_us[CT_R_N];
	/* record batches between their transaction's begin and its end: a
	 * gauge in /metrics, and named in the shutdown log line */
	atomic_int batches_importing;

	atomic_int pw_checks; /* password checks running now */
	atomic_int exporting; /* an export (XLSX, CSV) is being made */
	atomic_int export_waiters; /* requests waiting for it (http.c) */
	atomic_int stopping; /* SIGTERM/SIGINT taken: waiters stop waiting */

	/* stores opened by worker threads, closed at shutdown */
	pthread_mutex_t stores_mu;
	ax_store *stores[64];
	struct ax_importer *importers[64];
	int nstores, nimporters;
};

/* Start the daemon on addr (borrowed) with a pool of `threads` threads;
 * NULL on failure. */
struct MHD_Daemon *ct_start(struct ct_server *srv, const struct sockaddr *addr,
                            unsigned threads);
/* Keep a thread's importer so shutdown can free it before the stores. */
void ct_register_importer(struct ct_server *srv, struct ax_importer *im);
/* ... and let it go (the thread frees it: its store is being replaced) */
void ct_unregister_importer(struct ct_server *srv, struct ax_importer *im);
/* api.c: free the calling thread's importer, made on a store that is
 * being replaced (ct_store after a lost connection) */
void ct_api_thread_reset(struct ct_server *srv);
/* Free the importers and close every thread's store (after the daemon
 * has stopped). */
void ct_close_stores(struct ct_server *srv);

struct ct_route;

/* Per-request state: made on the first callback, freed when the request
 * completes (MHD_OPTION_NOTIFY_COMPLETED). */
struct ct_req {
	struct ct_server *srv;
	struct MHD_Connection *conn;
	const char *method, *url;
	char *body;
	size_t len, cap;
	int too_big;    /* 1: answered at once (413, 401, 404...); 2: 413
	                 * after the upload; 3: 503 after it (server busy) */
	size_t dropped; /* bytes discarded past the limit */
	double t0;
	const struct ct_route *route; /* NULL: answered 404 or 405 */
	int wrong_method;             /* with no route: 405, not 404 */
	enum ct_route_kind kind;
	struct ax_device dev;         /* the device of a route->device route */
	struct MHD_PostProcessor *pp; /* dashboard forms */
	char *form[16][2];            /* decoded form fields */
	int nform;
};

/* The calling thread's store handle, opened on first use, and opened
 * again by the next request after its connection was lost (a PostgreSQL
 * server restarted or failed over: a multi-host URL then finds the new
 * primary); NULL while the store cannot be opened (answer 503). */
ax_store *ct_store(struct ct_server *srv);

/* ---- responses (all copy their body) ----------------------------------- */
enum MHD_Result ct_reply(struct ct_req *r, unsigned status, const char *ctype,
                         const char *body, size_t len);
enum MHD_Result ct_reply_json(struct ct_req *r, unsigned status,
                              const char *json);
/* {"error": msg} with the given status. */
enum MHD_Result ct_reply_error(struct ct_req *r, unsigned status,
                               const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* 503 with Retry-After: the store failed (a lost database connection,
 * reopened on the next request): a device sends again, nothing is lost */
enum MHD_Result ct_reply_unavailable(struct ct_req *r);
/* Like ct_reply but with extra headers ("Name: value" pairs, NULL-ended). */
enum MHD_Result ct_reply_h(struct ct_req *r, unsigned status,
                           const char *ctype, const char *body, size_t len,
                           const char *const *headers);
/* 200 with the whole file fd (taken: closed by the response), read from
 * its start as the client takes it -- an export is never held in memory. */
enum MHD_Result ct_reply_fd(struct ct_req *r, int fd, const char *ctype,
                            const char *const *headers);
/* At most one export is made at a time: 0 when this request may make one
 * (call ct_export_end after), else -1 with 503 + Retry-After queued (a
 * Chinese page that reloads itself for a browser, JSON otherwise).  A
 * request waits for an export in progress, but not once the server is
 * stopping. */
int ct_export_begin(struct ct_req *r, enum MHD_Result *ret);
void ct_export_end(struct ct_req *r);

/* ---- request helpers --------------------------------------------------- */
const char *ct_header(struct ct_req *r, const char *name);
const char *ct_query(struct ct_req *r, const char *name);
const char *ct_cookie(struct ct_req *r, const char *name);
const char *ct_form(struct ct_req *r, const char *name);
/* The bearer token of the Authorization header, or NULL. */
const char *ct_bearer(struct ct_req *r);
/* Client address as text (for rate limiting and logs). */
void ct_client_addr(struct ct_req *r, char *out, size_t n);
/* Map an ax_rc from the store to an HTTP status (503 busy, 507 full...). */
unsigned ct_status_for(ax_rc rc);

/* Logging with level, file and line (rxi/log.c style). */
/* Log lines in the programs' one format (applog.h). */
#define CT_INFO(...) AX_LOG_I(__VA_ARGS__)
#define CT_WARN(...) AX_LOG_W(__VA_ARGS__)
#define CT_ERROR(...) AX_LOG_E(__VA_ARGS__)

#endif
