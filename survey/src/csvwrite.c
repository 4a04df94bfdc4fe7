/*
 * csvwrite.c -- the CSV writer (see csv.h for the cell rule).
 */
#include "anxin/csv.h"

#include <string.h>

static int formula_start(const char *s)
{
	return *s && strchr("=+-@\t\r", *s) != NULL;
}

int ax_csv_cell_to(ax_csv_put_fn put, void *ctx, const char *s)
{
	const char *run;
	int rc;

	if (!s)
		s = "";
	if (!formula_start(s) && !strpbrk(s, ",\"\r\n"))
		return *s ? put(ctx, s, strlen(s)) : 0;
	if ((rc = put(ctx, "\"", 1)))
		return rc;
	if (formula_start(s) && (rc = put(ctx, "'", 1)))
		return rc;
	for (run = s; *s; s++)
		if (*s == '"') {
			/* the run up to and including the quote, then the quote again */
			if ((rc = put(ctx, run, (size_t)(s - run) + 1)) ||
			    (rc = put(ctx, "\"", 1)))
				return rc;
			run = s + 1;
		}
	if (s > run && (rc = put(ctx, run, (size_t)(s - run))))
		return rc;
	return put(ctx, "\"", 1);
}

static int put_file(void *ctx, const char *s, size_t n)
{
	return fwrite(s, 1, n, (FILE *)ctx) == n ? 0 : -1;
}

int ax_csv_cell(FILE *f, const char *s, int last)
{
	if (ax_csv_cell_to(put_file, f, s))
		return -1;
	return put_file(f, last ? "\r\n" : ",", last ? 2 : 1);
}

int ax_csv_row(FILE *f, const char *const *cells, int n)
{
	for (int i = 0; i < n; i++)
		if (ax_csv_cell(f, cells[i], i == n - 1))
			return -1;
	return 0;
}
