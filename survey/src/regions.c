/*
 * regions.c -- the county's table of townships and villages (code and
 * name, from the statistical division code list), region names looked up
 * for rosters that give names without codes, and the region list.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/roster.h"
#include "anxin/text.h"
#include "anxin_int.h"
#include "db.h"

/* Names given win; a code-only upsert never overwrites a real name with
 * the code.  No parent given (a county, a city, a province) keeps the one
 * linked (ax__regions_link): a county's roster never unlinks it from its
 * city.  ?1 code, ?2 name, ?3 level, ?4 parent, ?5 name given. */
const char ax__region_upsert_sql[] =
	"INSERT INTO regions(code, name, level, parent) VALUES(?1, ?2, ?3, ?4) "
	"ON CONFLICT(code) DO UPDATE SET name = CASE WHEN ?5 = 1 THEN "
	"excluded.name ELSE regions.name END, parent = COALESCE(excluded.parent, "
	"regions.parent) WHERE (?5 = 1 AND regions.name IS DISTINCT FROM "
	"excluded.name) OR (excluded.parent IS NOT NULL AND regions.parent IS "
	"DISTINCT FROM excluded.parent)";

/* Counties under their city and cities under their province, where the
 * store has that city or province (codes say which: ax__region_rank); a
 * region without one stays at the top.  Run after every import that may
 * add a region above the county or a county. */
ax_rc ax__regions_link(ax_store *st)
{
	return ax__dexec(st, AX_SQL_REGIONS_LINK);
}

ax_rc ax__region_upsert(ax_store *st, ax_stmt *s, const char *code,
                        const char *name, int level, const char *parent)
{
	int src;

	ax_stmt_bind_text(s, 1, code);
	ax_stmt_bind_text(s, 2, name && *name ? name : code);
	ax_stmt_bind_int64(s, 3, level);
	ax_stmt_bind_text(s, 4, parent); /* NULL binds NULL */
	ax_stmt_bind_int64(s, 5, name && *name);
	src = ax_stmt_step(s);
	ax_stmt_reset(s);
	if (src == AX_DB_ERROR)
		return ax__store_dberr(st, "region");
	return AX_OK;
}

ax_rc ax__read_file(ax_store *st, const char *path, ax_diag_fn diag,
                    void *dctx, char **out, size_t *outlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;

	*out = NULL;
	*outlen = 0;
	if (!f) {
		ax__store_seterr(st, "%s: cannot open: %s", path, strerror(errno));
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: cannot open: %s", path,
		         strerror(errno));
		return AX_IO;
	}
	for (;;) {
		if (len + 1 >= cap) {
			char *p = realloc(buf, cap ? cap * 2 : 1 << 16);
			if (!p) {
				free(buf);
				fclose(f);
				return AX_NOMEM;
			}
			buf = p;
			cap = cap ? cap * 2 : 1 << 16;
		}
		size_t n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		ax__store_seterr(st, "%s: read error", path);
		return AX_IO;
	}
	fclose(f);
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return AX_OK;
}

/* A code of the table in its 12-digit form: 6 digits are a county, 9 a
 * township.  Its rank (ax__region_rank: -1 province, 0 city, 1 county ..
 * 3 village), -2 when it is no division code. */
static int table_code(const char *cell, char out[16])
{
	size_t n = strlen(cell);

	for (size_t i = 0; i < n; i++)
		if (cell[i] < '0' || cell[i] > '9')
			return -2;
	if (n != 6 && n != 9 && n != 12)
		return -2;
	memcpy(out, cell, n);
	memset(out + n, '0', 12 - n);
	out[12] = '\0';
	return ax__region_rank(out);
}

static const char *const code_names[] = {
	"代码", "区划代码", "统计用区划代码", "行政区划代码", "统计代码",
	"code", "regioncode", NULL};
static const char *const name_names[] = {
	"名称", "区划名称", "单位名称", "行政区划名称", "name", "regionname",
	NULL};

struct rimp {
	ax_store *st;
	const char *name, *county_name;
	ax_diag_fn diag;
	void *dctx;
	struct ax_regions_stats *stats;
	struct ax_stmt *up;
	int ccol, ncol, header_done, xlsx;
	char county[16]; /* the table's first county, county_name's */
	ax_rc rc;
};

static int find_col(const struct ax__csv_row *row, const char *const *names)
{
	int found = -1;
	for (int i = 0; i < row->nf && found < 0; i++) {
		char *h = ax__norm_header(row->f[i]);
		for (int k = 0; h && names[k]; k++)
			if (strcmp(h, names[k]) == 0)
				found = i;
		free(h);
	}
	return found;
}

static void rreject(struct rimp *ri, long line, const char *msg,
                    const char *code)
{
	ri->stats->rejected++;
	ax__diag(ri->diag, ri->dctx, AX_SEV_ERROR, "%s:%ld: %s \"%s\"%s; row "
	         "rejected", ri->name, line, "code", code, msg);
}

static void region_row(struct rimp *ri, const struct ax__csv_row *row)
{
	const char *code = ri->ccol < row->nf ? row->f[ri->ccol] : "";
	const char *nm = ri->ncol < row->nf ? row->f[ri->ncol] : "";
	char full[16], town[16], county[16];
	int level;

	if (!*code && !*nm)
		return; /* an empty row */
	ri->stats->rows++;
	level = table_code(code, full);
	if (level < -1) {
		rreject(ri, row->line, " is not a division code (6, 9 or 12 digits)",
		        code);
		return;
	}
	if (!*nm) {
		rreject(ri, row->line, " has no name (名称)", code);
		return;
	}
	if (level < 1) {
		/* 省 and 市: linked to each other and to their counties at the
		 * end (ax__regions_link), whatever order the table lists them */
		if ((ri->rc = ax__region_upsert(ri->st, ri->up, full, nm, level,
		                                NULL)))
			return;
		ri->stats->above++;
		return;
	}
	snprintf(county, sizeof county, "%.6s000000", full);
	if (!*ri->county)
		snprintf(ri->county, sizeof ri->county, "%s", county);
	snprintf(town, sizeof town, "%.9s000", full);
	/* parents first, by code only (names they have or get stay) */
	if ((ri->rc = ax__region_upsert(
	         ri->st, ri->up, county,
	         level == 1 ? nm
	                    : strcmp(county, ri->county) == 0 ? ri->county_name
	                                                      : NULL,
	         1, NULL)) ||
	    (level == 3 &&
	     (ri->rc = ax__region_upsert(ri->st, ri->up, town, NULL, 2,
	                                 county))) ||
	    (level > 1 &&
	     (ri->rc = ax__region_upsert(ri->st, ri->up, full, nm, level,
	                                 level == 2 ? county : town))))
		return;
	ri->stats->by_level[level - 1]++;
}

static int region_on_row(void *ctx, const struct ax__csv_row *row)
{
	struct rimp *ri = ctx;

	if (ri->header_done) {
		region_row(ri, row);
		return ri->rc != AX_OK;
	}
	ri->ccol = find_col(row, code_names);
	ri->ncol = find_col(row, name_names);
	/* a sheet's title rows (merged across) come before its header */
	if ((ri->ccol < 0 || ri->ncol < 0) && ri->xlsx &&
	    row->line < AX_XLSX_TITLE_ROWS)
		return 0;
	ri->header_done = 1;
	if (ri->ccol < 0 || ri->ncol < 0) {
		ax__diag(ri->diag, ri->dctx, AX_SEV_ERROR,
		         "%s:%ld: need a code column (代码/统计用区划代码/code) and a "
		         "name column (名称/name)",
		         ri->name, row->line);
		ri->rc = AX_INVALID;
	}
	return ri->rc != AX_OK;
}

ax_rc ax_regions_import_file(ax_store *st, const char *path,
                             const char *county_name, const char *sheet,
                             ax_diag_fn diag, void *dctx,
                             struct ax_regions_stats *stats)
{
	struct rimp ri;
	char *buf = NULL, *text = NULL;
	size_t len, tlen;
	enum ax_encoding enc;
	int unterminated = 0;
	ax_rc rc;

	memset(&ri, 0, sizeof ri);
	memset(stats, 0, sizeof *stats);
	ri.st = st;
	ri.name = path;
	ri.county_name = county_name;
	ri.diag = diag;
	ri.dctx = dctx;
	ri.stats = stats;
	if ((rc = ax__read_file(st, path, diag, dctx, &buf, &len)))
		return rc;
	if (ax__is_xlsx(buf, len)) {
		snprintf(stats->encoding, sizeof stats->encoding, "XLSX");
		ri.xlsx = 1;
		if ((rc = ax__dprepare(st, &ri.up, ax__region_upsert_sql)) ||
		    (rc = ax_store_begin(st)))
			goto done;
		rc = ax__xlsx_rows(path, buf, len, sheet, region_on_row, &ri, diag,
		                   dctx);
		if (rc)
			ax__store_seterr(st, "the workbook cannot be read");
		goto finish;
	}
	rc = ax_text_to_utf8(buf, len, &text, &tlen, &enc);
	if (rc == AX_INVALID) {
		ax__diag(diag, dctx, AX_SEV_ERROR,
		         "%s: encoding is neither UTF-8 nor GBK; save it from Excel "
		         "as \"CSV UTF-8\"",
		         path);
		ax__store_seterr(st, "%s: unknown encoding", path);
	}
	if (rc) {
		free(buf);
		return rc;
	}
	snprintf(stats->encoding, sizeof stats->encoding, "%s",
	         ax_encoding_name(enc));
	if ((rc = ax__dprepare(st, &ri.up, ax__region_upsert_sql)))
		goto done;
	if ((rc = ax_store_begin(st)))
		goto done;
	rc = ax__csv_rows(path, text, tlen, region_on_row, &ri, diag, dctx,
	                  &unterminated);
	stats->rows += unterminated;
	stats->rejected += unterminated;
finish:
	if (!rc && ri.rc)
		rc = ri.rc;
	if (!rc && !ri.header_done) {
		ax__diag(diag, dctx, AX_SEV_ERROR, "%s: file is empty", path);
		rc = AX_INVALID;
	}
	if (!rc && ri.rc == AX_OK && !(rc = ax__regions_link(st)))
		rc = ax_store_commit(st);
	if (rc)
		ax_store_rollback(st);
done:
	ax_stmt_finalize(ri.up);
	free(text);
	free(buf);
	return rc;
}

int ax__region_by_name(ax_store *st, int level, const char *name,
                       const char *parent, char code[16], char other[16])
{
	ax_stmt *s;
	int n = 0, src;

	code[0] = other[0] = '\0';
	if (ax__dprepare(st, &s,
	                 "SELECT code FROM regions WHERE level = ?1 AND name = ?2"
	                 " AND (CAST(?3 AS TEXT) IS NULL OR parent = ?3) ORDER BY"
	                 " code LIMIT 2"))
		return -1;
	ax_stmt_bind_int64(s, 1, level);
	ax_stmt_bind_text(s, 2, name);
	ax_stmt_bind_text(s, 3, parent && *parent ? parent : NULL);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW)
		snprintf(n++ ? other : code, 16, "%s", ax_stmt_text(s, 0));
	ax_stmt_finalize(s);
	return src == AX_DB_ERROR ? -1 : n;
}

char *ax_regions_list_text(ax_store *st, const char *scope)
{
	static const char *const lv[] = {"省", "市", "县", "乡镇", "村（社区）",
	                                 "网格"};
	struct ax_buf b = {0};
	char lo[24] = "", hi[24] = "~";
	ax_stmt *s;
	int top = 9, src;

	/* codes sort as the tree: a region's code comes right before its
	 * children's (they extend it, or replace its trailing zeros); a
	 * region's households are those whose grid starts with its
	 * significant prefix (ax__region_prefix_len) */
#define PREFIX "CASE level WHEN -1 THEN 2 WHEN 0 THEN 4 WHEN 1 THEN 6 WHEN 2" \
	           " THEN 9 ELSE length(code) END"
	if (scope && *scope) {
		size_t n = ax__region_prefix_len(scope);
		if (ax__code_range(scope, n ? n : strlen(scope), lo, hi)) {
			ax__store_seterr(st, "regions: \"%s\" is not a scope", scope);
			return NULL;
		}
	}
	if (ax__dprepare(st, &s,
	                 "SELECT code, name, level, (SELECT COUNT(*) FROM"
	                 " households h WHERE h.active = 1 AND substr(h.grid, 1, "
	                 PREFIX ") = substr(code, 1, " PREFIX ")) FROM"
	                 " regions WHERE code >= ?1 AND code < ?2 ORDER BY code"))
		return NULL;
#undef PREFIX
	ax_stmt_bind_text(s, 1, lo);
	ax_stmt_bind_text(s, 2, hi);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		int level = (int)ax_stmt_int64(s, 2), depth;
		if (top > level)
			top = level; /* the first row is the listing's top */
		depth = level - top;
		ax__buf_printf(&b, "%*s%s  %s  %s  %lld 户\n", depth * 2, "",
		               ax_stmt_text(s, 0), ax_stmt_text(s, 1),
		               level >= -1 && level <= 4 ? lv[level + 1] : "?",
		               (long long)ax_stmt_int64(s, 3));
	}
	ax_stmt_finalize(s);
	if (src == AX_DB_ERROR) {
		ax__store_dberr(st, "regions");
		free(ax__buf_take(&b));
		return NULL;
	}
	if (!b.p)
		ax__buf_puts(&b, "");
	return ax__buf_take(&b);
}
