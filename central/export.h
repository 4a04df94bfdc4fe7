/*
 * export.h -- the 台账 (ledger) as staff take it to an inspection: an XLSX
 * workbook (libxlsxwriter) and the contacts as CSV for Excel.
 *
 * Both read libanxin's query layer only (ax_report_build and the ledger
 * listings of anxin/ledger.h), so they show what `anxin report` and the
 * dashboard show.  Not thread-safe per store handle (one handle per
 * thread, as everywhere).
 */
#ifndef ANXIN_CENTRAL_EXPORT_H
#define ANXIN_CENTRAL_EXPORT_H

#include <stddef.h>
#include <stdio.h>

#include "anxin/metrics.h"
#include "anxin/store.h"

/*
 * Write the ledger workbook to `path` (borrowed; created or replaced):
 *   汇总          one row per region of the report (opts->scope and the
 *                 levels below it to opts->depth): households, reached,
 *                 宣传入户率 with its 95 % Wilson interval, respondents,
 *                 知晓率 per topic, 满意度 and mean score (each with its
 *                 interval and n), 达标 flags; rates as numbers in "0.0%",
 *                 empty cells when the denominator is 0, small samples
 *                 (n < 30) in grey italics; notes below the table.
 *   入户宣传明细  every outreach contact of the scope in the window (every
 *                 kind, sms_sent included), oldest first; 时间 is an Excel
 *                 date-time in China time.  More than Excel's 1,048,575
 *                 rows continue on sheets "入户宣传明细(2)", … at the end.
 *   问卷结果      every response of the scope in the window, filtered by
 *                 opts->survey, wave and channel, with its answers -- for
 *                 the county role only: with opts->suppress_below set (a
 *                 viewer below it) the 答案 cells say so instead, and
 *                 汇总's answer-based cells under it read "<5".
 *   抽样测评      only when a sampled 测评 campaign (of opts->survey, if
 *                 set) lies inside the scope: each estimate weighted beside
 *                 unweighted, the dispositions and RR1 (sample.h).
 * Each sheet has a bold, frozen header row, column widths and an
 * autofilter.  Rows stream to temporary files (libxlsxwriter's
 * constant-memory mode), so memory stays flat for a county's ledger.
 *
 * opts (borrowed) may be NULL: the county, depth 0, all time.
 * Returns 0 on success; otherwise an ax_rc code (AX_NOTFOUND unknown
 * scope, AX_INVALID bad dates or channel, AX_IO the file could not be
 * written, AX_NOMEM, store errors) with a message in err (errlen bytes,
 * always NUL-terminated when errlen > 0).  On failure `path` is left as
 * it was when the failure came before writing started.
 */
int ax_export_xlsx(ax_store *st, const struct ax_report_opts *opts,
                   const char *path, char *err, size_t errlen);

/*
 * The contacts of 入户宣传明细 as CSV for the dashboard's download: UTF-8
 * with a BOM (so Excel reads it as UTF-8), CRLF line ends, the same
 * columns; 时间 as "YYYY-MM-DD HH:MM:SS" China time.  Uses opts->scope,
 * from and to.  A value that Excel would run as a formula (starting with
 * = + - @) is prefixed with a single quote.
 * Returns a NUL-terminated string the caller frees with free(), and its
 * length in *len (may be NULL); NULL on failure with a message in err.
 */
char *ax_export_contacts_csv(ax_store *st, const struct ax_report_opts *opts,
                             size_t *len, char *err, size_t errlen);
/* The same CSV written to f (borrowed); 0, or an ax_rc with err. */
int ax_export_contacts_csv_to(ax_store *st, const struct ax_report_opts *opts,
                              FILE *f, char *err, size_t errlen);

#endif
