/*
 * anxin.h -- common definitions of libanxin: result codes, diagnostics,
 * logging.  Every public header of the library includes this one.
 *
 * Conventions (see STYLE.md):
 *   - every exported symbol starts with ax_;
 *   - functions return ax_rc, 0 is success;
 *   - handles keep a detailed message (ax_store_errmsg);
 *   - input problems are reported through an ax_diag_fn with a location,
 *     e.g. "roster.csv:57: phone \"1380000\" is not a mobile number".
 */
#ifndef ANXIN_ANXIN_H
#define ANXIN_ANXIN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AX_VERSION "0.1.0"

typedef enum ax_rc {
	AX_OK = 0,
	AX_ERROR,    /* generic failure, see the handle's message */
	AX_NOMEM,    /* allocation failed */
	AX_IO,       /* file or network I/O failed */
	AX_INVALID,  /* input did not validate */
	AX_NOTFOUND, /* the named thing does not exist */
	AX_CONFLICT, /* same id, different content */
	AX_DENIED,   /* not allowed (auth, scope) */
	AX_BUSY,     /* database locked; retry later */
	AX_FULL,     /* disk full */
	AX_READONLY, /* store is read-only */
} ax_rc;

/* Static English name of a result code ("invalid input", ...). */
const char *ax_rc_str(ax_rc rc);

/* Severity of a diagnostic. */
enum ax_severity {
	AX_SEV_ERROR = 0,   /* the item was rejected */
	AX_SEV_WARNING = 1, /* the item was kept, a value was dropped */
	AX_SEV_NOTE = 2,    /* informational */
};

/*
 * Diagnostic sink for input problems.  `msg` is a complete line without
 * a trailing newline, already prefixed with its location ("file:line: ").
 * `msg` is borrowed: copy it if you keep it.
 */
typedef void (*ax_diag_fn)(void *ctx, enum ax_severity sev, const char *msg);

/* Log levels for the library's own log callback. */
enum ax_log_level { AX_LOG_DEBUG, AX_LOG_INFO, AX_LOG_WARN, AX_LOG_ERROR };

/*
 * The library never prints.  Apps may install a log callback; by default
 * log lines are discarded.  Not thread-safe: set it once at start-up.
 * `msg` is borrowed.
 */
typedef void (*ax_log_fn)(void *ctx, enum ax_log_level lvl, const char *file,
                          int line, const char *msg);
void ax_set_log(ax_log_fn fn, void *ctx);

/* Free memory returned by libanxin functions documented as "caller frees". */
void ax_free(void *p);

#ifdef __cplusplus
}
#endif
#endif
