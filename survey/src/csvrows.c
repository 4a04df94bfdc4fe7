/*
 * csvrows.c -- CSV as Excel writes it, row by row, for the importers
 * (roster, paper visits).
 *
 * libcsv does the parsing (quoted cells, embedded commas and newlines,
 * CRLF).  The text is fed one physical line at a time so every row knows
 * the line it started on, even when a quoted cell spans lines; cells are
 * trimmed of ASCII and ideographic (U+3000) spaces.
 */
#include <csv.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "anxin_int.h"

struct reader {
	ax__csv_row_fn fn;
	void *ctx;
	long line;
	struct ax__csv_row row;
	char *f[AX_CSV_MAX_FIELDS];
	int stop;
	ax_rc rc;
};

static void reset(struct reader *r)
{
	for (int i = 0; i < r->row.nf; i++) {
		free(r->f[i]);
		r->f[i] = NULL;
	}
	r->row.nf = 0;
	r->row.too_many = 0;
}

/* Trim ASCII blanks and ideographic spaces (U+3000) in place. */
static void trim(char *s, size_t len)
{
	char *b = s, *e = s + len;

	for (;;) {
		if (b < e && (*b == ' ' || *b == '\t'))
			b++;
		else if (e - b >= 3 && memcmp(b, "\xE3\x80\x80", 3) == 0)
			b += 3;
		else
			break;
	}
	for (;;) {
		if (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		else if (e - b >= 3 && memcmp(e - 3, "\xE3\x80\x80", 3) == 0)
			e -= 3;
		else
			break;
	}
	memmove(s, b, (size_t)(e - b));
	s[e - b] = '\0';
}

static void on_field(void *data, size_t len, void *ctx)
{
	struct reader *r = ctx;
	char *s;

	if (r->stop)
		return;
	if (r->row.nf == 0) {
		/* the row began as many lines up as its first cell has newlines */
		long nl = 0;
		for (size_t i = 0; i < len; i++)
			nl += ((char *)data)[i] == '\n';
		r->row.line = r->line - nl;
	}
	if (r->row.nf >= AX_CSV_MAX_FIELDS) {
		r->row.too_many = 1;
		return;
	}
	if (!(s = malloc(len + 1))) {
		r->rc = AX_NOMEM;
		r->stop = 1;
		return;
	}
	memcpy(s, data, len);
	s[len] = '\0';
	trim(s, len);
	r->f[r->row.nf++] = s;
}

static void on_row(int term, void *ctx)
{
	struct reader *r = ctx;

	(void)term;
	if (!r->stop) {
		r->row.f = r->f;
		if (r->fn(r->ctx, &r->row))
			r->stop = 1;
	}
	reset(r);
	/* the next row starts on a later line; its first field's end pins it
	 * exactly, but a quote left open in that field never ends */
	r->row.line = r->line + 1;
}

ax_rc ax__csv_rows(const char *name, const char *text, size_t len,
                   ax__csv_row_fn fn, void *ctx, ax_diag_fn diag, void *dctx,
                   int *unterminated)
{
	struct csv_parser p;
	struct reader r;
	const char *q = text, *end = text + len;
	ax_rc rc = AX_OK;

	memset(&r, 0, sizeof r);
	r.fn = fn;
	r.ctx = ctx;
	r.line = 1;
	r.row.line = 1;
	*unterminated = 0;
	if (csv_init(&p, CSV_APPEND_NULL) != 0)
		return AX_NOMEM;
	csv_set_space_func(&p, NULL);
	while (q < end && !r.stop) {
		const char *nl = memchr(q, '\n', (size_t)(end - q));
		size_t n = nl ? (size_t)(nl - q) + 1 : (size_t)(end - q);
		if (csv_parse(&p, q, n, on_field, on_row, &r) != n) {
			ax__diag(diag, dctx, AX_SEV_ERROR, "%s:%ld: %s", name, r.line,
			         csv_strerror(csv_error(&p)));
			rc = AX_INVALID;
			goto done;
		}
		q += n;
		if (nl)
			r.line++;
	}
	/* Strict only at the end: a quote left open there swallowed the rows
	 * after it; report that instead of importing one huge cell.  (Strict
	 * parsing throughout would make one stray quote fail the file.) */
	csv_set_opts(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI);
	if (!r.stop && csv_fini(&p, on_field, on_row, &r) != 0) {
		ax__diag(diag, dctx, AX_SEV_ERROR,
		         "%s:%ld: unterminated quoted field at end of file", name,
		         r.row.line);
		*unterminated = 1;
	}
	rc = r.rc;
done:
	reset(&r);
	csv_free(&p);
	return rc;
}

char *ax__norm_header(const char *s)
{
	utf8proc_uint8_t *n = NULL;
	char *o;

	if (utf8proc_map((const utf8proc_uint8_t *)s, 0, &n,
	                 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
	                     UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD) < 0)
		return strdup(s);
	o = (char *)n;
	for (const char *p = (char *)n; *p; p++)
		if (!strchr(" \t()/_-[]\"'", *p))
			*o++ = *p;
	*o = '\0';
	return (char *)n;
}
