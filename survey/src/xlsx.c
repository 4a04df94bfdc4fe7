/*
 * xlsx.c -- the rows of one sheet of an .xlsx workbook, handed to the
 * same row callback as CSV rows (roster, region table, paper visits).
 *
 * libzip reads the zip container and expat the XML parts: both are
 * Debian-packaged, long maintained and fuzzed (OSS-Fuzz), and expat's
 * streaming parser keeps a 20,000-row sheet out of memory as a tree.
 * Shared strings, inline strings and numbers stored as numbers are read;
 * a whole number (a phone or a code typed as a number) is printed as an
 * integer, never with an exponent.  Merged cells give their value to
 * every cell of the range, so a header cell merged over two rows or two
 * columns names each column it covers.
 */
#include <expat.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>

#include "anxin_int.h"

#define XLSX_MAX_PART (64u << 20) /* an unzipped part larger is refused */

struct xbuf {
	char *p;
	size_t len, cap;
};

static void xb_put(struct xbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			abort();
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* ---- zip ---------------------------------------------------------------- */
static char *read_part(zip_t *z, const char *name, size_t *len)
{
	zip_stat_t zs;
	zip_file_t *f;
	char *buf;
	zip_int64_t n;

	if (zip_stat(z, name, 0, &zs) || !(zs.valid & ZIP_STAT_SIZE) ||
	    zs.size > XLSX_MAX_PART)
		return NULL;
	if (!(f = zip_fopen(z, name, 0)))
		return NULL;
	buf = malloc(zs.size + 1);
	n = buf ? zip_fread(f, buf, zs.size) : -1;
	zip_fclose(f);
	if (n < 0 || (zip_uint64_t)n != zs.size) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static int parse_xml(const char *text, size_t len, void *ud,
                     XML_StartElementHandler start, XML_EndElementHandler end,
                     XML_CharacterDataHandler chars)
{
	XML_Parser p = XML_ParserCreate("UTF-8");
	int ok;

	if (!p)
		return -1;
	XML_SetUserData(p, ud);
	XML_SetElementHandler(p, start, end);
	if (chars)
		XML_SetCharacterDataHandler(p, chars);
	ok = XML_Parse(p, text, (int)len, 1) == XML_STATUS_OK;
	XML_ParserFree(p);
	return ok ? 0 : -1;
}

/* Element name without its namespace prefix. */
static const char *local(const char *n)
{
	const char *c = strrchr(n, ':');
	return c ? c + 1 : n;
}

static const char *attr(const char **a, const char *name)
{
	for (; a && a[0]; a += 2)
		if (strcmp(local(a[0]), name) == 0)
			return a[1];
	return NULL;
}

/* ---- workbook: which part is the sheet ------------------------------- */
struct wb {
	const char *want; /* sheet name, NULL for the first */
	char rid[64], found[256], first[256];
	int nsheets;
};

static void wb_start(void *ud, const char *n, const char **a)
{
	struct wb *w = ud;
	const char *name = attr(a, "name"), *id = attr(a, "id");

	if (strcmp(local(n), "sheet") != 0 || !name || !id)
		return;
	if (w->nsheets++ == 0)
		snprintf(w->first, sizeof w->first, "%s", name);
	if (!w->rid[0] && (!w->want || strcmp(w->want, name) == 0)) {
		snprintf(w->rid, sizeof w->rid, "%s", id);
		snprintf(w->found, sizeof w->found, "%s", name);
	}
}

static void no_end(void *ud, const char *n)
{
	(void)ud;
	(void)n;
}

struct rels {
	const char *rid;
	char target[256];
};

static void rels_start(void *ud, const char *n, const char **a)
{
	struct rels *r = ud;
	const char *id = attr(a, "Id"), *t = attr(a, "Target");

	if (strcmp(local(n), "Relationship") == 0 && id && t &&
	    strcmp(id, r->rid) == 0) {
		if (t[0] == '/')
			snprintf(r->target, sizeof r->target, "%s", t + 1);
		else
			snprintf(r->target, sizeof r->target, "xl/%s", t);
	}
}

/* ---- shared strings ----------------------------------------------------- */
struct sst {
	char **s;
	size_t n, cap;
	struct xbuf cur;
	int in_t, in_rph;
};

static void sst_start(void *ud, const char *n, const char **a)
{
	struct sst *s = ud;
	const char *l = local(n);
	(void)a;
	if (strcmp(l, "si") == 0)
		s->cur.len = 0, xb_put(&s->cur, "", 0);
	else if (strcmp(l, "rPh") == 0)
		s->in_rph = 1; /* phonetic guide: not the cell's text */
	else if (strcmp(l, "t") == 0)
		s->in_t = 1;
}

static void sst_end(void *ud, const char *n)
{
	struct sst *s = ud;
	const char *l = local(n);
	if (strcmp(l, "t") == 0)
		s->in_t = 0;
	else if (strcmp(l, "rPh") == 0)
		s->in_rph = 0;
	else if (strcmp(l, "si") == 0) {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 256;
			char **p = realloc(s->s, s->cap * sizeof *p);
			if (!p)
				abort();
			s->s = p;
		}
		s->s[s->n++] = strdup(s->cur.p ? s->cur.p : "");
	}
}

static void sst_chars(void *ud, const char *t, int len)
{
	struct sst *s = ud;
	if (s->in_t && !s->in_rph)
		xb_put(&s->cur, t, (size_t)len);
}

/* ---- the sheet ---------------------------------------------------------- */
struct merge {
	int r1, c1, r2, c2;
};

struct sheet {
	const struct sst *sst;
	/* cells of every row, kept until the end for merged ranges */
	struct xrow {
		long line;
		int nf;
		char **f;
	} *rows;
	size_t nrows, caprows;
	struct merge *m;
	size_t nm, capm;
	/* the cell being read */
	int col, next_col, in_v, in_t;
	char type[16];
	struct xbuf val;
	int bad_index;
};

/* "B12" -> column 1 (0-based), row 12; -1 when malformed. */
static int cell_ref(const char *r, int *col, long *row)
{
	int c = 0, nl = 0;
	for (; *r >= 'A' && *r <= 'Z'; r++, nl++)
		c = c * 26 + (*r - 'A' + 1);
	if (!nl || nl > 3)
		return -1;
	*col = c - 1;
	*row = strtol(r, NULL, 10);
	return *row > 0 ? 0 : -1;
}

static struct xrow *cur_row(struct sheet *sh)
{
	return sh->nrows ? &sh->rows[sh->nrows - 1] : NULL;
}

static void set_cell(struct xrow *r, int col, const char *v)
{
	if (col >= AX_CSV_MAX_FIELDS * 4)
		return;
	if (col >= r->nf) {
		char **f = realloc(r->f, (size_t)(col + 1) * sizeof *f);
		if (!f)
			abort();
		for (int i = r->nf; i <= col; i++)
			f[i] = NULL;
		r->f = f;
		r->nf = col + 1;
	}
	free(r->f[col]);
	r->f[col] = strdup(v);
}

static void sh_start(void *ud, const char *n, const char **a)
{
	struct sheet *sh = ud;
	const char *l = local(n), *r = attr(a, "r");

	if (strcmp(l, "row") == 0) {
		if (sh->nrows == sh->caprows) {
			sh->caprows = sh->caprows ? sh->caprows * 2 : 1024;
			struct xrow *p = realloc(sh->rows, sh->caprows * sizeof *p);
			if (!p)
				abort();
			sh->rows = p;
		}
		struct xrow *prev = cur_row(sh);
		struct xrow *x = &sh->rows[sh->nrows++];
		x->line = r ? strtol(r, NULL, 10) : (prev ? prev->line + 1 : 1);
		x->nf = 0;
		x->f = NULL;
		sh->next_col = 0;
	} else if (strcmp(l, "c") == 0) {
		long row;
		const char *t = attr(a, "t");
		if (!r || cell_ref(r, &sh->col, &row))
			sh->col = sh->next_col;
		sh->next_col = sh->col + 1;
		snprintf(sh->type, sizeof sh->type, "%s", t ? t : "n");
		sh->val.len = 0;
		xb_put(&sh->val, "", 0);
	} else if (strcmp(l, "v") == 0) {
		sh->in_v = 1;
	} else if (strcmp(l, "t") == 0) {
		sh->in_t = 1; /* inline string */
	} else if (strcmp(l, "mergeCell") == 0 && (r = attr(a, "ref"))) {
		char a1[16] = "", *colon;
		struct merge m;
		long r1, r2;
		snprintf(a1, sizeof a1, "%s", r);
		colon = strchr(a1, ':');
		if (!colon)
			return;
		*colon = '\0';
		if (cell_ref(a1, &m.c1, &r1) || cell_ref(colon + 1, &m.c2, &r2))
			return;
		m.r1 = (int)r1;
		m.r2 = (int)r2;
		if (sh->nm == sh->capm) {
			sh->capm = sh->capm ? sh->capm * 2 : 16;
			struct merge *p = realloc(sh->m, sh->capm * sizeof *p);
			if (!p)
				abort();
			sh->m = p;
		}
		sh->m[sh->nm++] = m;
	}
}

/* A number as the cell shows it: whole numbers (phones, codes) as
 * integers, never 1.38E+10. */
static void number_text(const char *v, char *out, size_t n)
{
	char *end;
	double d = strtod(v, &end);

	if (end == v || *end)
		snprintf(out, n, "%s", v);
	else if (d == floor(d) && fabs(d) < 1e15)
		snprintf(out, n, "%.0f", d);
	else
		snprintf(out, n, "%.15g", d);
}

static void sh_end(void *ud, const char *n)
{
	struct sheet *sh = ud;
	const char *l = local(n);
	struct xrow *r = cur_row(sh);

	if (strcmp(l, "v") == 0)
		sh->in_v = 0;
	else if (strcmp(l, "t") == 0)
		sh->in_t = 0;
	else if (strcmp(l, "c") == 0 && r) {
		const char *v = sh->val.p ? sh->val.p : "";
		char num[64];
		if (strcmp(sh->type, "s") == 0) {
			char *end;
			long i = strtol(v, &end, 10);
			if (end == v || i < 0 || (size_t)i >= sh->sst->n) {
				sh->bad_index = 1;
				v = "";
			} else
				v = sh->sst->s[i];
		} else if (strcmp(sh->type, "n") == 0 && *v) {
			number_text(v, num, sizeof num);
			v = num;
		}
		while (*v == ' ' || *v == '\t')
			v++;
		if (*v) {
			size_t k = strlen(v);
			char *t = strdup(v);
			while (k && (t[k - 1] == ' ' || t[k - 1] == '\t' ||
			             t[k - 1] == '\r' || t[k - 1] == '\n'))
				t[--k] = '\0';
			set_cell(r, sh->col, t);
			free(t);
		}
	}
}

static void sh_chars(void *ud, const char *t, int len)
{
	struct sheet *sh = ud;
	if (sh->in_v || sh->in_t)
		xb_put(&sh->val, t, (size_t)len);
}

/* Every cell of a merged range takes the range's top-left value. */
static void fill_merges(struct sheet *sh)
{
	for (size_t k = 0; k < sh->nm; k++) {
		const struct merge *m = &sh->m[k];
		const char *v = NULL;
		for (size_t i = 0; i < sh->nrows && !v; i++)
			if (sh->rows[i].line == m->r1 && m->c1 < sh->rows[i].nf)
				v = sh->rows[i].f[m->c1];
		if (!v)
			continue;
		char *copy = strdup(v);
		for (size_t i = 0; i < sh->nrows; i++)
			if (sh->rows[i].line >= m->r1 && sh->rows[i].line <= m->r2)
				for (int c = m->c1;
				     c <= m->c2 && c < AX_CSV_MAX_FIELDS * 4; c++)
					set_cell(&sh->rows[i], c, copy);
		free(copy);
	}
}

ax_rc ax__xlsx_rows(const char *name, const char *buf, size_t len,
                    const char *sheet, ax__csv_row_fn fn, void *ctx,
                    ax_diag_fn diag, void *dctx)
{
	zip_source_t *src;
	zip_t *z = NULL;
	zip_error_t ze;
	struct wb w = {0};
	struct rels rl = {0};
	struct sst sst = {0};
	struct sheet sh = {0};
	char *part = NULL;
	size_t plen = 0;
	ax_rc rc = AX_INVALID;

	zip_error_init(&ze);
	if ((src = zip_source_buffer_create(buf, len, 0, &ze)))
		z = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (!z) {
		if (src)
			zip_source_free(src);
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: not a readable .xlsx "
		         "workbook (%s)", name, zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return AX_INVALID;
	}
	zip_error_fini(&ze);
	w.want = sheet && *sheet ? sheet : NULL;
	if (!(part = read_part(z, "xl/workbook.xml", &plen)) ||
	    parse_xml(part, plen, &w, wb_start, no_end, NULL)) {
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: no workbook part "
		         "(xl/workbook.xml); save it from Excel as .xlsx", name);
		goto done;
	}
	if (!w.rid[0]) {
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: no sheet named \"%s\" "
		         "(the first is \"%s\")", name, w.want ? w.want : "",
		         w.first);
		goto done;
	}
	free(part);
	rl.rid = w.rid;
	if (!(part = read_part(z, "xl/_rels/workbook.xml.rels", &plen)) ||
	    parse_xml(part, plen, &rl, rels_start, no_end, NULL) ||
	    !rl.target[0]) {
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: sheet \"%s\" has no part",
		         name, w.found);
		goto done;
	}
	free(part);
	if ((part = read_part(z, "xl/sharedStrings.xml", &plen)) &&
	    parse_xml(part, plen, &sst, sst_start, sst_end, sst_chars)) {
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: its shared strings are "
		         "not well-formed XML", name);
		goto done;
	}
	free(part);
	sh.sst = &sst;
	if (!(part = read_part(z, rl.target, &plen)) ||
	    parse_xml(part, plen, &sh, sh_start, sh_end, sh_chars)) {
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: sheet \"%s\" (%s) is "
		         "missing or not well-formed XML", name, w.found,
		         rl.target);
		goto done;
	}
	if (sh.bad_index)
		ax__diag(diag, dctx, AX_SEV_WARNING, "%s: some cells name a shared "
		         "string the workbook lacks; read as empty", name);
	fill_merges(&sh);
	rc = AX_OK;
	for (size_t i = 0; i < sh.nrows; i++) {
		struct xrow *x = &sh.rows[i];
		struct ax__csv_row row = {x->line, x->nf, x->f, 0, 0};
		for (size_t k = 0; k < sh.nm; k++)
			row.merged_below |= sh.m[k].r1 <= x->line &&
			                    x->line < sh.m[k].r2;
		if (x->nf > AX_CSV_MAX_FIELDS) {
			row.nf = AX_CSV_MAX_FIELDS;
			row.too_many = 1;
		}
		for (int c = 0; c < row.nf; c++)
			if (!x->f[c])
				x->f[c] = strdup("");
		if (fn(ctx, &row))
			break;
	}
done:
	free(part);
	for (size_t i = 0; i < sst.n; i++)
		free(sst.s[i]);
	free(sst.s);
	free(sst.cur.p);
	for (size_t i = 0; i < sh.nrows; i++) {
		for (int c = 0; c < sh.rows[i].nf; c++)
			free(sh.rows[i].f[c]);
		free(sh.rows[i].f);
	}
	free(sh.rows);
	free(sh.m);
	free(sh.val.p);
	zip_discard(z);
	return rc;
}

int ax__is_xlsx(const char *buf, size_t len)
{
	return len >= 4 && memcmp(buf, "PK\003\004", 4) == 0;
}
