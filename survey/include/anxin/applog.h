/*
 * applog.h -- the one log format of Anxin's programs (anxin, anxin-central,
 * anxin-kiosk, anxin-smsd):
 *
 *   2026-12-04T05:41:12Z INFO  gateway.c:123: message
 *
 * UTC with Z, so the county's logs from every machine sort on one clock;
 * the level padded to five; the source file and line.  libanxin itself
 * never prints: it logs through ax_set_log, and a program passes
 * ax_applog_lib there to get the same lines.  Mask phone numbers before
 * logging them (ax_phone_mask).
 *
 * Thread-safety: one fprintf per line to stderr (stdio locks the stream);
 * set the level before starting threads.
 */
#ifndef ANXIN_APPLOG_H
#define ANXIN_APPLOG_H

#include "anxin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Lines below min are dropped (default AX_LOG_INFO). */
void ax_applog_level(enum ax_log_level min);
enum ax_log_level ax_applog_min(void);

void ax_applog(enum ax_log_level lvl, const char *file, int line,
               const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* An ax_log_fn for ax_set_log(ax_applog_lib, NULL). */
void ax_applog_lib(void *ctx, enum ax_log_level lvl, const char *file,
                   int line, const char *msg);

#define AX_LOG_D(...) ax_applog(AX_LOG_DEBUG, __FILE__, __LINE__, __VA_ARGS__)
#define AX_LOG_I(...) ax_applog(AX_LOG_INFO, __FILE__, __LINE__, __VA_ARGS__)
#define AX_LOG_W(...) ax_applog(AX_LOG_WARN, __FILE__, __LINE__, __VA_ARGS__)
#define AX_LOG_E(...) ax_applog(AX_LOG_ERROR, __FILE__, __LINE__, __VA_ARGS__)

#ifdef __cplusplus
}
#endif
#endif
