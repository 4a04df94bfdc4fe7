/*
 * applog.c -- the programs' log lines (see applog.h).
 */
#include "anxin/applog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static enum ax_log_level min_level = AX_LOG_INFO;

void ax_applog_level(enum ax_log_level min) { min_level = min; }
enum ax_log_level ax_applog_min(void) { return min_level; }

static void emit(enum ax_log_level lvl, const char *file, int line,
                 const char *msg)
{
	static const char *const names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;
	const char *base = file ? strrchr(file, '/') : NULL;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "%s %-5s %s:%d: %s\n", ts, names[(unsigned)lvl & 3],
	        base ? base + 1 : file ? file : "?", line, msg);
}

void ax_applog(enum ax_log_level lvl, const char *file, int line,
               const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	if (lvl < min_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	emit(lvl, file, line, msg);
}

void ax_applog_lib(void *ctx, enum ax_log_level lvl, const char *file,
                   int line, const char *msg)
{
	(void)ctx;
	if (lvl >= min_level)
		emit(lvl, file, line, msg);
}
