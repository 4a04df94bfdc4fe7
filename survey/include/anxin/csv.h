/*
 * csv.h -- the one CSV writer of the project (RFC 4180 as Excel reads it:
 * CRLF rows, UTF-8 cells; the caller writes the BOM when the file is for
 * Excel).  libcsv reads CSV (csvrows.c); its writer quotes every cell and
 * knows nothing of formulas, so the cell rule lives here:
 *
 *  - a cell holding a comma, a quote, CR or LF is quoted, quotes doubled;
 *  - a cell that starts with = + - @, a tab or CR is one Excel or WPS
 *    would run as a formula (a device name "=HYPERLINK(...)" from the
 *    field): it is quoted with a ' first INSIDE the quotes, so the
 *    spreadsheet shows the text and the quoting survives re-saving.
 *
 * Thread-safety: pure functions over their arguments.
 */
#ifndef ANXIN_CSV_H
#define ANXIN_CSV_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Called with each piece of output; returns non-zero to stop. */
typedef int (*ax_csv_put_fn)(void *ctx, const char *s, size_t n);

/* Write one cell (NULL is empty) through put; 0, or put's non-zero. */
int ax_csv_cell_to(ax_csv_put_fn put, void *ctx, const char *s);

/* Write one cell to f, followed by "," or, when last, "\r\n".
 * Returns 0, or -1 when f reports an error. */
int ax_csv_cell(FILE *f, const char *s, int last);

/* Write a whole row of n cells to f; 0 or -1. */
int ax_csv_row(FILE *f, const char *const *cells, int n);

#ifdef __cplusplus
}
#endif
#endif
