/*
 * clock.h -- times as Anxin writes and reads them: China Standard Time
 * (UTC+8, no daylight saving), the only zone records, logs for residents
 * and reports use.  One place for the offset, so no file adds 8 * 3600
 * on its own.
 *
 * Thread-safety: pure functions.
 */
#ifndef ANXIN_CLOCK_H
#define ANXIN_CLOCK_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AX_CST_OFFSET (8 * 3600) /* seconds east of UTC */
#define AX_TIME_ISO_LEN 32       /* buffer for ax_time_iso */
#define AX_DAY_LEN 11            /* buffer for ax_day_format */

/* "2026-03-01T09:00:00+08:00" for epoch seconds. */
void ax_time_iso(long long epoch, char buf[AX_TIME_ISO_LEN]);
/* Parse an ISO 8601 date and time ("2026-03-01T09:00", seconds and zone
 * optional; no zone means China time); 0 on success, -1 if malformed. */
int ax_time_parse(const char *s, long long *epoch);
/* Day number (days since 1970-01-01) of epoch in China time. */
int ax_cst_day(long long epoch);
/* "2026-03-01" for a day number. */
void ax_day_format(int day, char buf[AX_DAY_LEN]);
/* Parse "YYYY-MM-DD" into a day number; 0 on success, -1 if malformed. */
int ax_day_parse(const char *s, int *day);
/* strftime(fmt) of epoch in China time, whatever the machine's TZ
 * ("%Y-%m-%d %H:%M" for people).  buf gets "" when it does not fit. */
void ax_time_format(long long epoch, const char *fmt, char *buf, size_t n);
/* Seconds since 00:00 China time (0 .. 86399), for quiet hours. */
int ax_cst_second_of_day(long long epoch);
/* Epoch of 00:00 China time of a day number. */
long long ax_day_start(int day);

#ifdef __cplusplus
}
#endif
#endif
