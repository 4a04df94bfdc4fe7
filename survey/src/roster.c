/*
 * roster.c -- importing the household roster from CSV.
 *
 * The file is read whole (rosters are a few MB), converted to UTF-8,
 * then fed to libcsv one physical line at a time so that every row knows
 * the line it started on, even when a quoted cell spans lines.
 */
#include <jansson.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/phone.h"
#include "anxin/roster.h"
#include "anxin/text.h"
#include "anxin_int.h"
#include "db.h"

enum col {
	C_ID, C_COUNTY, C_COUNTY_CODE, C_TOWN, C_TOWN_CODE, C_VILLAGE,
	C_VILLAGE_CODE, C_GRID, C_GRID_CODE, C_PHONE, C_MEMBERS, C_HEAD,
	C_ADDRESS, C_NCOLS
};

static const char *const col_field[C_NCOLS] = {
	"household_id", "county", "county_code", "township", "township_code",
	"village", "village_code", "grid", "grid_code", "phone", "members",
	"head", "address",
};

/* Header spellings, compared after normalisation (NFKC, lower case, no
 * spaces, brackets, slashes or underscores). */
static const char *const col_names[C_NCOLS][12] = {
	[C_ID] = {"户号", "户编号", "户编码", "户代码", "家庭编号", "householdid",
	          "household", "hhid", NULL},
	[C_COUNTY] = {"县", "县区", "县市区", "区县", "county", NULL},
	[C_COUNTY_CODE] = {"县代码", "县区代码", "区县代码", "countycode", NULL},
	[C_TOWN] = {"乡镇", "乡镇街道", "街道", "镇", "乡", "township", "town",
	            NULL},
	[C_TOWN_CODE] = {"乡镇代码", "乡镇街道代码", "街道代码", "乡镇编码",
	                 "townshipcode", "towncode", NULL},
	[C_VILLAGE] = {"村", "社区", "村社区", "村居", "行政村", "村委会",
	               "village", "community", NULL},
	[C_VILLAGE_CODE] = {"村代码", "社区代码", "村社区代码", "村居代码",
	                    "村编码", "villagecode", "communitycode", NULL},
	[C_GRID] = {"网格", "网格名称", "所属网格", "grid", "gridname", NULL},
	[C_GRID_CODE] = {"网格代码", "网格编码", "网格编号", "gridcode", NULL},
	[C_PHONE] = {"手机号", "手机", "手机号码", "联系电话", "电话",
	             "联系方式", "电话号码", "phone", "phones", "mobile", NULL},
	[C_MEMBERS] = {"人口", "人数", "家庭人口", "户人口", "家庭人数",
	               "成员数", "在册人口", "members", "membercount", NULL},
	[C_HEAD] = {"户主", "户主姓名", "户主名", "head", "headname",
	            "householdhead", NULL},
	[C_ADDRESS] = {"住址", "地址", "门牌号", "门牌", "家庭住址", "详细地址",
	               "现住址", "address", NULL},
};

/* ---- parse state ------------------------------------------------------ */
/* Why a row was rejected or a value dropped.  The first few rows of each
 * kind are reported one by one; when more rows share it, the rest are
 * said once at the end, with the count, what to do and their lines. */
enum kind {
	K_FIELDS, K_NO_ID, K_ID_LONG, K_DUP, K_NO_REGION, K_GRID_FORM,
	K_GRID_VILLAGE, K_GRID_WIDTH, K_VILLAGE_FORM, K_TOWN_FORM, K_TOWN_IN,
	K_COUNTY_FORM, K_COUNTY_IN, K_NAME_NONE, K_NAME_TWO, K_PHONE, K_MEMBERS, K_NKINDS
};

#define AX_KIND_SHOWN 3  /* rows of one kind reported one by one */
#define AX_KIND_LINES 20 /* line numbers listed in a kind's summary */

struct imp {
	ax_store *st;
	const char *name;
	const struct ax_roster_opts *opts;
	ax_diag_fn diag;
	void *dctx;
	struct ax_roster_stats *stats;

	long row_line;  /* line the current row started on */
	int nf;         /* cells in the current row */
	char **f;       /* its cells (borrowed from the CSV reader) */
	int too_many;
	int header_done;
	int xlsx; /* the file is a workbook: title rows may precede the header */
	int merged_below; /* the row's merged cells go on below it */
	int col[C_NCOLS]; /* column index of each field, -1 absent */
	ax_rc rc;         /* first fatal error */
	int64_t now;
	long kind_n[K_NKINDS];                   /* rows of each kind */
	long kind_line[K_NKINDS][AX_KIND_LINES]; /* lines not shown one by one */

	ax_stmt *s_region, *s_hh_get, *s_hh_ins, *s_hh_upd, *s_ph_get,
	    *s_ph_del, *s_ph_ins, *s_seen, *s_vseen, *s_listed;
	/* the regions the previous row wrote (codes and names) and the grid
	 * whose width it checked: a roster lists a village's households
	 * together, and on PostgreSQL each statement skipped is a round trip
	 * (20,000 households: 20 s, most of it these) */
	char last_regions[1024], last_grid[24];
	/* new households not yet written: many rows a statement (new_flush) */
	struct new_hh *pend;
	int npend, batch; /* batch 0: one statement a row (stores below v12) */
};

/* A household the file adds, waiting for its multi-row insert. */
struct new_hh {
	char id[64], grid[24];
	int members, nphones;
	char *head, *address; /* NULL: none */
	char phones[8][AX_PHONE_MAX];
};
#define NEW_BATCH 128

static const char *fld(struct imp *im, enum col c)
{
	int i = im->col[c];
	if (i < 0 || i >= im->nf)
		return "";
	return im->f[i];
}

/* ---- header ----------------------------------------------------------- */
static int map_override(struct imp *im, const char *normhdr, int idx)
{
	const char *m = im->opts ? im->opts->map : NULL;
	int hit = 0;

	while (m && *m) {
		const char *comma = strchr(m, ','), *eq = strchr(m, '=');
		size_t len = comma ? (size_t)(comma - m) : strlen(m);
		if (eq && eq < m + len) {
			char field[32], hdr[128];
			size_t fl = (size_t)(eq - m), hl = len - fl - 1;
			if (fl < sizeof field && hl < sizeof hdr) {
				memcpy(field, m, fl);
				field[fl] = '\0';
				memcpy(hdr, eq + 1, hl);
				hdr[hl] = '\0';
				char *nh = ax__norm_header(hdr);
				if (nh && strcmp(nh, normhdr) == 0)
					for (int c = 0; c < C_NCOLS; c++)
						if (strcmp(col_field[c], field) == 0) {
							im->col[c] = idx;
							hit = 1;
						}
				free(nh);
			}
		}
		m = comma ? comma + 1 : NULL;
	}
	return hit;
}

static int validate_map(struct imp *im)
{
	const char *m = im->opts ? im->opts->map : NULL;

	while (m && *m) {
		const char *comma = strchr(m, ','), *eq = strchr(m, '=');
		size_t len = comma ? (size_t)(comma - m) : strlen(m);
		int ok = 0;
		if (eq && eq < m + len)
			for (int c = 0; c < C_NCOLS; c++)
				if (strlen(col_field[c]) == (size_t)(eq - m) &&
				    strncmp(col_field[c], m, (size_t)(eq - m)) == 0)
					ok = 1;
		if (!ok) {
			ax__diag(im->diag, im->dctx, AX_SEV_ERROR,
			         "%s: --map entry \"%.*s\" is not FIELD=HEADER with a "
			         "known field",
			         im->name, (int)len, m);
			return -1;
		}
		m = comma ? comma + 1 : NULL;
	}
	return 0;
}

static void do_header(struct imp *im)
{
	for (int c = 0; c < C_NCOLS; c++)
		im->col[c] = -1;
	for (int i = 0; i < im->nf; i++) {
		char *h = ax__norm_header(im->f[i]);
		if (!h) {
			im->rc = AX_NOMEM;
			return;
		}
		if (!map_override(im, h, i))
			for (int c = 0; c < C_NCOLS; c++) {
				if (im->col[c] >= 0)
					continue;
				for (int k = 0; col_names[c][k]; k++)
					if (strcmp(h, col_names[c][k]) == 0) {
						im->col[c] = i;
						break;
					}
			}
		free(h);
	}
	/* a sheet's title row, or the upper row of a two-row header: the
	 * header is further down */
	if ((im->col[C_ID] < 0 || im->merged_below ||
	     (im->col[C_VILLAGE_CODE] < 0 &&
	                           im->col[C_GRID_CODE] < 0 &&
	                           im->col[C_VILLAGE] < 0)) &&
	    im->xlsx && im->row_line < AX_XLSX_TITLE_ROWS)
		return;
	if (im->col[C_ID] < 0) {
		ax__diag(im->diag, im->dctx, AX_SEV_ERROR,
		         "%s:%ld: no household id column (户号/household_id); use "
		         "--map household_id=HEADER",
		         im->name, im->row_line);
		im->rc = AX_INVALID;
	} else if (im->col[C_VILLAGE_CODE] < 0 && im->col[C_GRID_CODE] < 0 &&
	           im->col[C_VILLAGE] < 0) {
		ax__diag(im->diag, im->dctx, AX_SEV_ERROR,
		         "%s:%ld: no region column: need 村（社区）代码/village_code, "
		         "网格代码/grid_code or 村（社区） with a region table",
		         im->name, im->row_line);
		im->rc = AX_INVALID;
	}
	im->header_done = 1;
}

/* ---- one row ---------------------------------------------------------- */
/* Step a prepared write to its end and reset it; -1 (the error on im) on
 * failure. */
static int run(struct imp *im, ax_stmt *s, const char *what)
{
	int src = ax_stmt_step(s);
	ax_stmt_reset(s);
	if (src == AX_DB_ERROR) {
		im->rc = ax__store_dberr(im->st, what);
		return -1;
	}
	return 0;
}

static ax_rc upsert_region(struct imp *im, const char *code, const char *name,
                           int level, const char *parent)
{
	return ax__region_upsert(im->st, im->s_region, code, name, level, parent);
}

static const char *const kind_what[K_NKINDS][2] = {
	[K_FIELDS] = {"too many fields", "check the row's quotes and commas"},
	[K_NO_ID] = {"no household id (户号)", "fill in the 户号 column"},
	[K_ID_LONG] = {"household id too long", "household ids have at most 63 "
	               "bytes"},
	[K_DUP] = {"household id repeated", "give each household one row"},
	[K_NO_REGION] = {"no region code", "fill in 村（社区）代码 or 网格代码"},
	[K_GRID_FORM] = {"grid code not a village code plus digits",
	                 "a grid code is the 12-digit village code followed by "
	                 "1 to 8 digits"},
	[K_GRID_VILLAGE] = {"grid code not inside the row's village",
	                    "a grid code starts with its village's code"},
	[K_GRID_WIDTH] = {"grid code of another length than its village's other "
	                  "grids",
	                  "the grids of one village must extend the village code "
	                  "by the same number of digits (scopes match grid codes "
	                  "by prefix)"},
	[K_VILLAGE_FORM] = {"village code not a 12-digit village code",
	                    "use the 12-digit statistical code of the village"},
	[K_TOWN_FORM] = {"township code neither 9 nor 12 digits of a township",
	                 "use the township's statistical code, 9 digits or 12 "
	                 "ending in 000"},
	[K_TOWN_IN] = {"village not in the township code given",
	               "the village code must start with the township code; "
	               "check that the columns are not swapped or shifted"},
	[K_COUNTY_FORM] = {"county code neither 6 nor 12 digits of a county",
	                   "use the county's statistical code, 6 digits or 12 "
	                   "ending in 000000"},
	[K_COUNTY_IN] = {"village not in the county code given",
	                 "the village code must start with the county code"},
	[K_NAME_NONE] = {"name found in no region of its parent",
	                  "load the county's region table (anxin regions import) "
	                  "or give the codes; anxin region list shows the names "
	                  "known"},
	[K_NAME_TWO] = {"name of two regions", "give the code, or the 乡镇 "
	                "that tells them apart"},
	[K_PHONE] = {"phone number dropped", "phones are 11-digit mobile numbers "
	             "(landlines are kept out); correct them and import again"},
	[K_MEMBERS] = {"member count dropped", "the member count is a number "
	               "from 1 to 99"},
};

static void note(struct imp *im, enum kind k, enum ax_severity sev,
                 const char *tail, const char *fmt, va_list ap)
{
	char msg[512];
	long n = im->kind_n[k]++;

	if (n < AX_KIND_LINES + AX_KIND_SHOWN && n >= AX_KIND_SHOWN)
		im->kind_line[k][n - AX_KIND_SHOWN] = im->row_line;
	if (n >= AX_KIND_SHOWN)
		return;
	vsnprintf(msg, sizeof msg, fmt, ap);
	ax__diag(im->diag, im->dctx, sev, "%s:%ld: %s%s", im->name, im->row_line,
	         msg, tail);
}

static void reject(struct imp *im, enum kind k, const char *fmt, ...)
    AX_PRINTF(3, 4);
static void reject(struct imp *im, enum kind k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	im->stats->rejected++;
	note(im, k, AX_SEV_ERROR, "; row rejected", fmt, ap);
	va_end(ap);
}

static void warn(struct imp *im, enum kind k, const char *fmt, ...)
    AX_PRINTF(3, 4);
static void warn(struct imp *im, enum kind k, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	im->stats->warnings++;
	note(im, k, AX_SEV_WARNING, "", fmt, ap);
	va_end(ap);
}

/* Once per kind with more rows than were reported one by one. */
static void summarise_kinds(struct imp *im)
{
	for (int k = 0; k < K_NKINDS; k++) {
		long n = im->kind_n[k], more = n - AX_KIND_SHOWN;
		struct ax_buf b = {0};
		if (more <= 0)
			continue;
		for (long i = 0; i < more && i < AX_KIND_LINES; i++)
			ax__buf_printf(&b, "%s%ld", i ? ", " : "", im->kind_line[k][i]);
		if (more > AX_KIND_LINES)
			ax__buf_printf(&b, " and %ld more", more - AX_KIND_LINES);
		ax__diag(im->diag, im->dctx,
		         k >= K_PHONE ? AX_SEV_WARNING : AX_SEV_ERROR,
		         "%s: %ld rows in all %s: %s (the first %d above); %s; "
		         "the other lines: %s",
		         im->name, n, k >= K_PHONE ? "warned" : "rejected",
		         kind_what[k][0], AX_KIND_SHOWN, kind_what[k][1],
		         b.p ? b.p : "");
		ax__buf_free(&b);
	}
}

/* Split a phone cell on the separators people use between numbers. */
static int split_phones(struct imp *im, const char *cell, char out[][AX_PHONE_MAX],
                        int max)
{
	static const char *const seps[] = {";", ",", "/", "|", "\n", "；", "，",
	                                   "、", "／"};
	int n = 0;
	const char *p = cell;

	while (*p) {
		const char *end = p + strlen(p);
		size_t seplen = 0;
		for (size_t i = 0; i < AX_ARRAY_LEN(seps); i++) {
			const char *q = strstr(p, seps[i]);
			if (q && q < end) {
				end = q;
				seplen = strlen(seps[i]);
			}
		}
		char part[128];
		size_t len = (size_t)(end - p);
		if (len >= sizeof part)
			len = sizeof part - 1;
		memcpy(part, p, len);
		part[len] = '\0';
		/* trim */
		char *b = part, *e = part + strlen(part);
		while (*b == ' ' || *b == '\t')
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			*--e = '\0';
		if (*b) {
			const char *why = NULL;
			char norm[AX_PHONE_MAX];
			if (ax_phone_normalize(b, norm, &why) != AX_OK) {
				warn(im, K_PHONE, "phone \"%s\" %s; household kept without it", b,
				     why);
			} else if (n < max) {
				int dup = 0;
				for (int i = 0; i < n; i++)
					dup |= strcmp(out[i], norm) == 0;
				if (!dup)
					strcpy(out[n++], norm);
			}
		}
		p = *end ? end + seplen : end;
	}
	return n;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* A row of empty cells (Excel leaves them at the end) is no row. */
static int row_is_blank(const struct imp *im)
{
	int empty = 1;
	for (int i = 0; i < im->nf; i++)
		empty &= im->f[i][0] == '\0';
	return empty;
}

/* The file still lists this household even if the row is rejected later:
 * deactivate_missing must leave it alone (a typo in a code must not drop a
 * household from the coverage denominator).  -1 on a store error. */
static int mark_listed(struct imp *im, const char *id)
{
	ax_stmt_bind_text(im->s_listed, 1, id);
	return run(im, im->s_listed, "roster_listed");
}

/* The region codes of a row, checked against each other. */
struct row_region {
	const char *gcode;  /* grid code, "" when none */
	const char *vcode;  /* village code, from the grid code if not given */
	const char *region; /* the household's region: grid, else village */
	char vbuf[16], tbuf[16], cbuf[16]; /* derived village, township, county */
};

/* The county or township code of a row in its 12-digit form: `digits`
 * the short form's length (6 or 9), `level` the level a 12-digit code
 * must be.  0 when the cell is empty, -1 when it is not such a code. */
static int full_code(const char *cell, size_t digits, int level,
                     char out[16])
{
	size_t n = strlen(cell);

	out[0] = '\0';
	if (!n)
		return 0;
	if (!all_digits(cell) || (n != digits && n != 12))
		return -1;
	memcpy(out, cell, n);
	memset(out + n, '0', 12 - n);
	out[12] = '\0';
	return ax__region_level_of(out) == level ? 0 : -1;
}

/* A grid code whose village already has grids of another length: scopes
 * and slices match grid codes by prefix, so widths must not mix.  -1
 * when the row is rejected. */
static int check_grid_width(struct imp *im, const struct row_region *rr)
{
	ax_stmt *s;
	int bad = 0;

	if (ax__dprepare(im->st, &s,
	                 "SELECT code FROM regions WHERE parent = ?1 AND level = 4"
	                 " AND length(code) <> length(?2) ORDER BY code LIMIT 1"))
		return 0;
	ax_stmt_bind_text(s, 1, rr->vcode);
	ax_stmt_bind_text(s, 2, rr->gcode);
	if (ax_stmt_step(s) == AX_DB_ROW) {
		const char *other = ax_stmt_text(s, 0);
		reject(im, K_GRID_WIDTH,
		       "grid code %s extends village %s by %zu digits, its grid %s "
		       "by %zu",
		       rr->gcode, rr->vcode, strlen(rr->gcode) - 12, other,
		       strlen(other) - 12);
		bad = -1;
	}
	ax_stmt_finalize(s);
	return bad;
}

/* Whether a name lookup found exactly one region; else the row is
 * rejected (or the import stops on a store error) and -1. */
static int one_found(struct imp *im, int n, const char *what,
                     const char *name, const char *parent, const char *other,
                     const char *code)
{
	if (n < 0) {
		im->rc = AX_IO;
		return -1;
	}
	if (n == 0)
		reject(im, K_NAME_NONE, "%s \"%s\" is no %s of %s in the region "
		       "table", what, name, what, *parent ? parent : "the county");
	else if (n > 1)
		reject(im, K_NAME_TWO, "%s \"%s\" is both %s and %s; give its code",
		       what, name, code, other);
	return n == 1 ? 0 : -1;
}

/* The village of a row naming 乡镇 and 村 without codes, looked up by
 * name within its township (within the county when the township is not
 * given); -1 when the row is rejected. */
static int by_name(struct imp *im, struct row_region *rr, const char *tfull,
                   const char *cfull)
{
	const char *town = fld(im, C_TOWN), *vil = fld(im, C_VILLAGE);
	char tcode[16], other[16];

	snprintf(tcode, sizeof tcode, "%s", tfull);
	if (!*tcode && *town &&
	    one_found(im, ax__region_by_name(im->st, 2, town, cfull, tcode, other),
	              "township", town, cfull, other, tcode))
		return -1;
	if (one_found(im, ax__region_by_name(im->st, 3, vil, tcode, rr->vbuf,
	                                     other),
	              "village", vil, tcode, other, rr->vbuf))
		return -1;
	rr->vcode = rr->vbuf;
	return 0;
}

/* Fill rr from the row's codes; -1 when the row is rejected. */
static int resolve_region(struct imp *im, struct row_region *rr)
{
	const char *tcode = fld(im, C_TOWN_CODE), *ccode = fld(im, C_COUNTY_CODE);
	char tfull[16], cfull[16];

	rr->gcode = fld(im, C_GRID_CODE);
	rr->vcode = fld(im, C_VILLAGE_CODE);
	if (full_code(tcode, 9, 2, tfull)) {
		reject(im, K_TOWN_FORM,
		       "township code \"%s\" is neither 9 digits nor 12 ending in 000",
		       tcode);
		return -1;
	}
	if (full_code(ccode, 6, 1, cfull)) {
		reject(im, K_COUNTY_FORM,
		       "county code \"%s\" is neither 6 digits nor 12 ending in "
		       "000000",
		       ccode);
		return -1;
	}
	if (*rr->gcode) {
		if (!all_digits(rr->gcode) || ax__region_level_of(rr->gcode) != 4) {
			reject(im, K_GRID_FORM,
			       "grid code \"%s\" is not a village code plus digits",
			       rr->gcode);
			return -1;
		}
		if (*rr->vcode &&
		    strncmp(rr->gcode, rr->vcode, strlen(rr->vcode)) != 0) {
			reject(im, K_GRID_VILLAGE,
			       "grid code %s is not inside village %s", rr->gcode,
			       rr->vcode);
			return -1;
		}
		memcpy(rr->vbuf, rr->gcode, 12);
		rr->vbuf[12] = '\0';
		if (!*rr->vcode)
			rr->vcode = rr->vbuf;
	}
	/* names are looked up only in a file without code columns, so that
	 * no row's fate depends on names earlier rows gave */
	if (im->col[C_VILLAGE_CODE] < 0 && im->col[C_GRID_CODE] < 0 &&
	    *fld(im, C_VILLAGE) && by_name(im, rr, tfull, cfull))
		return -1;
	if (!*rr->vcode) {
		reject(im, K_NO_REGION, "no region (村（社区）代码 or 网格代码)");
		return -1;
	}
	if (ax__region_level_of(rr->vcode) != 3) {
		reject(im, K_VILLAGE_FORM,
		       "village code \"%s\" is not a 12-digit village code",
		       rr->vcode);
		return -1;
	}
	memcpy(rr->tbuf, rr->vcode, 9);
	strcpy(rr->tbuf + 9, "000");
	if (*tfull && strcmp(tfull, rr->tbuf) != 0) {
		reject(im, K_TOWN_IN, "village %s is not in township %s", rr->vcode,
		       tcode);
		return -1;
	}
	memcpy(rr->cbuf, rr->vcode, 6);
	strcpy(rr->cbuf + 6, "000000");
	if (*cfull && strcmp(cfull, rr->cbuf) != 0) {
		reject(im, K_COUNTY_IN, "village %s is not in county %s", rr->vcode,
		       ccode);
		return -1;
	}
	/* the previous row's grid passed, and nothing was added since */
	if (*rr->gcode && strcmp(rr->gcode, im->last_grid) != 0) {
		if (check_grid_width(im, rr))
			return -1;
		snprintf(im->last_grid, sizeof im->last_grid, "%s", rr->gcode);
	}
	rr->region = *rr->gcode ? rr->gcode : rr->vcode;
	return 0;
}

/* The member count, or -1 (with a warning when the cell is not empty). */
static int read_members(struct imp *im)
{
	const char *mem = fld(im, C_MEMBERS);
	char *end;
	long v;

	if (!*mem)
		return -1;
	v = strtol(mem, &end, 10);
	if (end == mem || *end || v < 1 || v > 99) {
		warn(im, K_MEMBERS, "member count \"%s\" is not a number from 1 to 99; "
		         "household kept without it",
		     mem);
		return -1;
	}
	return (int)v;
}

/* Note the id as seen on this line; -1 when it already appeared in the
 * file (the row is rejected) or on a store error. */
static int check_duplicate(struct imp *im, const char *id)
{
	ax_stmt *s = im->s_seen;

	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_int64(s, 2, im->row_line);
	if (run(im, s, "roster_seen"))
		return -1;
	/* ON CONFLICT DO NOTHING: no row written is a second sight (a
	 * constraint error would end a PostgreSQL transaction) */
	if (ax_stmt_changes(s) == 0) {
		ax_stmt *q;
		long first = 0;
		if (ax__dprepare(im->st, &q,
		                 "SELECT line FROM roster_seen WHERE id = ?") == AX_OK) {
			ax_stmt_bind_text(q, 1, id);
			if (ax_stmt_step(q) == AX_DB_ROW)
				first = (long)ax_stmt_int64(q, 0);
			ax_stmt_finalize(q);
		}
		reject(im, K_DUP, "household id %s already appears on line %ld", id, first);
		return -1;
	}
	return 0;
}

/* County, township, village and grid, top-down, and the village noted as
 * present in this file. */
static ax_rc upsert_regions(struct imp *im, const struct row_region *rr)
{
	const char *county = *fld(im, C_COUNTY)
	                         ? fld(im, C_COUNTY)
	                         : (im->opts ? im->opts->county_name : NULL);
	char key[sizeof im->last_regions];
	ax_rc rc;

	/* the same codes and names as the previous row: written already */
	snprintf(key, sizeof key, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s",
	         rr->cbuf, county ? county : "", rr->tbuf, fld(im, C_TOWN),
	         rr->vcode, fld(im, C_VILLAGE), rr->gcode, fld(im, C_GRID));
	if (strcmp(key, im->last_regions) == 0)
		return AX_OK;
	im->last_regions[0] = '\0';
	if ((rc = upsert_region(im, rr->cbuf, county, 1, NULL)) ||
	    (rc = upsert_region(im, rr->tbuf, fld(im, C_TOWN), 2, rr->cbuf)) ||
	    (rc = upsert_region(im, rr->vcode, fld(im, C_VILLAGE), 3, rr->tbuf)) ||
	    (*rr->gcode &&
	     (rc = upsert_region(im, rr->gcode, fld(im, C_GRID), 4, rr->vcode))))
		return rc;
	ax_stmt_bind_text(im->s_vseen, 1, rr->vcode);
	if (run(im, im->s_vseen, "roster_villages"))
		return im->rc;
	if (strlen(key) < sizeof key - 1) /* cut short: never matched */
		memcpy(im->last_regions, key, strlen(key) + 1);
	return AX_OK;
}

/* Whether the stored household exists (*exists) and differs from the row
 * in region, members or being active. */
static int household_changed(struct imp *im, const char *id,
                             const char *region, int members, int *exists)
{
	ax_stmt *s = im->s_hh_get;
	int changed = 0;

	*exists = 0;
	ax_stmt_bind_text(s, 1, id);
	if (ax_stmt_step(s) == AX_DB_ROW) {
		*exists = 1;
		const char *g = ax_stmt_text(s, 0);
		int m = ax_stmt_is_null(s, 1) ? -1 : (int)ax_stmt_int64(s, 1);
		int act = (int)ax_stmt_int64(s, 2);
		changed = strcmp(g, region) != 0 || m != members || !act;
		/* 户主 and 住址 when the file has the column (else kept) */
		for (int k = 0; k < 2; k++) {
			enum col c = k ? C_ADDRESS : C_HEAD;
			const char *old = ax_stmt_text(s, 3 + k);
			if (im->col[c] >= 0)
				changed |= strcmp(old ? old : "", fld(im, c)) != 0;
		}
	}
	ax_stmt_reset(s);
	return changed;
}

/* Whether the stored phones are the row's, in the row's order (the first
 * listed is the one an SMS survey asks first). */
static int phones_same(struct imp *im, const char *id,
                       char phones[][AX_PHONE_MAX], int nphones)
{
	ax_stmt *s = im->s_ph_get;
	char *old[16], *neu[8];
	int nold = 0, same;

	ax_stmt_bind_text(s, 1, id);
	while (ax_stmt_step(s) == AX_DB_ROW && nold < 16)
		old[nold++] = strdup(ax_stmt_text(s, 0));
	ax_stmt_reset(s);
	for (int i = 0; i < nphones; i++)
		neu[i] = phones[i];
	same = nold == nphones;
	for (int i = 0; same && i < nphones; i++)
		same = old[i] && strcmp(old[i], neu[i]) == 0;
	for (int i = 0; i < nold; i++)
		free(old[i]);
	return same;
}

/* Insert the household, or update it (exists); -1 on a store error. */
static int write_household(struct imp *im, const char *id, const char *region,
                           int members, int exists)
{
	ax_stmt *s = exists ? im->s_hh_upd : im->s_hh_ins;

	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_text(s, 2, region);
	if (members > 0)
		ax_stmt_bind_int64(s, 3, members);
	else
		ax_stmt_bind_null(s, 3);
	ax_stmt_bind_int64(s, 4, im->now);
	for (int k = 0; k < 2; k++) {
		enum col c = k ? C_ADDRESS : C_HEAD;
		ax_stmt_bind_text(s, 5 + k, *fld(im, c) ? fld(im, c) : NULL);
		if (exists)
			ax_stmt_bind_int64(s, 7 + k, im->col[c] >= 0);
	}
	return run(im, s, "household");
}

/* Replace the household's phones with the row's (a new household has
 * none to delete); -1 on a store error. */
static int write_phones(struct imp *im, const char *id,
                        char phones[][AX_PHONE_MAX], int nphones, int exists)
{
	ax_stmt_bind_text(im->s_ph_del, 1, id);
	if (exists && run(im, im->s_ph_del, "phone"))
		return -1;
	for (int i = 0; i < nphones; i++) {
		ax_stmt *s = im->s_ph_ins;
		ax_stmt_bind_text(s, 1, id);
		ax_stmt_bind_text(s, 2, phones[i]);
		/* no ?3 below v12 (SQLite tests' old stores): ignored */
		ax_stmt_bind_int64(s, 3, i);
		if (run(im, s, "phone"))
			return -1;
	}
	return 0;
}

/* Write the pending new households and then their phones, NEW_BATCH
 * rows a statement.  -1 on a store error (im->rc set). */
static int new_flush(struct imp *im)
{
	static const char hh_head[] = "INSERT INTO households(id, grid, members,"
	                              " active, updated_at, head, address) VALUES";
	static const char ph_head[] = "INSERT INTO household_phones(household,"
	                              " phone, pos) VALUES";
	int nph = 0, rc = 0;
	for (int pass = 0; pass < 2 && !rc; pass++) {
		int rows = pass ? nph : im->npend;
		char *sql;
		ax_stmt *s = NULL;
		int b = 0;
		if (!rows)
			continue;
		sql = pass ? ax__values_sql(ph_head, sizeof ph_head - 1, rows, 3, "")
		           : ax__values_sql(hh_head, sizeof hh_head - 1, rows, 7, "");
		if (!sql || ax__dprepare(im->st, &s, sql)) {
			im->rc = sql ? ax__store_dberr(im->st, "household") : AX_NOMEM;
			free(sql);
			return -1;
		}
		free(sql);
		for (int i = 0; i < im->npend; i++) {
			const struct new_hh *h = &im->pend[i];
			if (!pass) {
				ax_stmt_bind_text(s, ++b, h->id);
				ax_stmt_bind_text(s, ++b, h->grid);
				if (h->members > 0)
					ax_stmt_bind_int64(s, ++b, h->members);
				else
					ax_stmt_bind_null(s, ++b);
				ax_stmt_bind_int64(s, ++b, 1);
				ax_stmt_bind_int64(s, ++b, im->now);
				ax_stmt_bind_text(s, ++b, h->head);
				ax_stmt_bind_text(s, ++b, h->address);
				nph += h->nphones;
			} else {
				for (int k = 0; k < h->nphones; k++) {
					ax_stmt_bind_text(s, ++b, h->id);
					ax_stmt_bind_text(s, ++b, h->phones[k]);
					ax_stmt_bind_int64(s, ++b, k);
				}
			}
		}
		rc = run(im, s, pass ? "phone" : "household");
		ax_stmt_finalize(s);
	}
	for (int i = 0; i < im->npend; i++) {
		free(im->pend[i].head);
		free(im->pend[i].address);
	}
	im->npend = 0;
	return rc;
}

/* A new household into the batch (written by new_flush); -1 on no memory
 * or a store error. */
static int new_add(struct imp *im, const char *id, const char *region,
                   int members, char phones[][AX_PHONE_MAX], int nphones)
{
	struct new_hh *h;
	if (!im->pend && !(im->pend = calloc(NEW_BATCH, sizeof *im->pend))) {
		im->rc = AX_NOMEM;
		return -1;
	}
	h = &im->pend[im->npend++];
	snprintf(h->id, sizeof h->id, "%s", id);
	snprintf(h->grid, sizeof h->grid, "%s", region);
	h->members = members;
	h->head = *fld(im, C_HEAD) ? strdup(fld(im, C_HEAD)) : NULL;
	h->address = *fld(im, C_ADDRESS) ? strdup(fld(im, C_ADDRESS)) : NULL;
	h->nphones = nphones;
	for (int k = 0; k < nphones; k++)
		memcpy(h->phones[k], phones[k], AX_PHONE_MAX);
	if ((*fld(im, C_HEAD) && !h->head) || (*fld(im, C_ADDRESS) && !h->address)) {
		im->rc = AX_NOMEM;
		return -1;
	}
	return im->npend == NEW_BATCH ? new_flush(im) : 0;
}

/* The household as the row gives it: written only when new or changed,
 * and counted as inserted, updated or unchanged. */
static void store_household(struct imp *im, const char *id,
                            const char *region, int members,
                            char phones[][AX_PHONE_MAX], int nphones)
{
	int exists, changed, same;

	changed = household_changed(im, id, region, members, &exists);
	if (!exists && im->batch) {
		if (new_add(im, id, region, members, phones, nphones))
			return;
		im->stats->phones += nphones;
		im->stats->inserted++;
		return;
	}
	/* a household not stored has no phones stored (they reference it) */
	same = exists ? phones_same(im, id, phones, nphones) : nphones == 0;
	if (!same)
		changed = 1;
	if ((!exists || changed) &&
	    write_household(im, id, region, members, exists))
		return;
	if (!same && write_phones(im, id, phones, nphones, exists))
		return;
	im->stats->phones += nphones;
	if (!exists)
		im->stats->inserted++;
	else if (changed)
		im->stats->updated++;
	else
		im->stats->unchanged++;
}

static void do_row(struct imp *im)
{
	const char *id = fld(im, C_ID);
	struct row_region rr;
	char phones[8][AX_PHONE_MAX];
	int nphones = 0, members;
	ax_rc rc;

	im->stats->rows++;
	if (im->too_many) {
		reject(im, K_FIELDS, "more than %d fields", AX_CSV_MAX_FIELDS);
		return;
	}
	if (row_is_blank(im)) {
		im->stats->rows--;
		return;
	}
	if (!*id) {
		reject(im, K_NO_ID, "no household id (户号)");
		return;
	}
	if (strlen(id) > 63 || !ax_utf8_valid(id, strlen(id))) {
		reject(im, K_ID_LONG, "household id \"%.40s\" is too long", id);
		return;
	}
	if (mark_listed(im, id) || resolve_region(im, &rr))
		return;
	members = read_members(im);
	if (im->col[C_PHONE] >= 0)
		nphones = split_phones(im, fld(im, C_PHONE), phones, 8);
	if (check_duplicate(im, id))
		return;
	if ((rc = upsert_regions(im, &rr))) {
		im->rc = rc;
		return;
	}
	store_household(im, id, rr.region, members, phones, nphones);
}

static int on_row(void *ctx, const struct ax__csv_row *row)
{
	struct imp *im = ctx;

	im->row_line = row->line;
	im->nf = row->nf;
	im->f = row->f;
	im->too_many = row->too_many;
	im->merged_below = row->merged_below;
	if (!im->header_done)
		do_header(im);
	else
		do_row(im);
	im->nf = 0;
	im->f = NULL;
	return im->rc != AX_OK;
}

/* A number of the file's households listed for other active households
 * too (a son's number for his parents): a warning each, as the SMS
 * gateway asks one of them at a time and cannot tell whose a reply is
 * when none is being asked. */
static void warn_shared_phones(struct imp *im)
{
	ax_stmt *s;
	struct ax_buf hhs = {0};
	char phone[AX_PHONE_MAX] = "";
	int n = 0, k = 0, src;

	/* the households of each such number, grouped here (group_concat
	 * and string_agg: the two stores spell it differently) */
	if (ax__dprepare(im->st, &s,
	                 "SELECT p.phone, p.household FROM household_phones p"
	                 " JOIN households h ON h.id = p.household AND h.active = 1"
	                 " WHERE p.phone IN (SELECT q.phone FROM household_phones q"
	                 " JOIN households h2 ON h2.id = q.household AND"
	                 " h2.active = 1 WHERE q.phone IN (SELECT phone FROM"
	                 " household_phones WHERE household IN (SELECT id FROM"
	                 " roster_listed)) GROUP BY q.phone HAVING COUNT(*) > 1)"
	                 " ORDER BY p.phone, p.household"))
		return;
	do {
		src = ax_stmt_step(s);
		if (k && (src != AX_DB_ROW || strcmp(ax_stmt_text(s, 0), phone))) {
			if (n++ < 20)
				ax__diag(im->diag, im->dctx, AX_SEV_WARNING,
				         "%s: phone %s is listed for %d households (%s): "
				         "SMS surveys ask one of them at a time, and a reply "
				         "when none is being asked is credited to none",
				         im->name, phone, k, hhs.p ? hhs.p : "");
			k = 0;
			hhs.len = 0;
		}
		if (src == AX_DB_ROW) {
			snprintf(phone, sizeof phone, "%s", ax_stmt_text(s, 0));
			ax__buf_printf(&hhs, "%s%s", k++ ? ", " : "", ax_stmt_text(s, 1));
		}
	} while (src == AX_DB_ROW);
	free(ax__buf_take(&hhs));
	if (n > 20)
		ax__diag(im->diag, im->dctx, AX_SEV_WARNING,
		         "%s: %d more phones listed for several households", im->name,
		         n - 20);
	im->stats->shared_phones = n;
	ax_stmt_finalize(s);
}

/* ---- driver ----------------------------------------------------------- */
static const char *const import_sql[] = {
	ax__region_upsert_sql,
	"SELECT grid, members, active, head, address FROM households WHERE "
	"id = ?",
	"INSERT INTO households(id, grid, members, active, updated_at, head, "
	"address) VALUES(?1, ?2, ?3, 1, ?4, ?5, ?6)",
	"UPDATE households SET grid = ?2, members = ?3, active = 1, "
	"updated_at = ?4, head = CASE WHEN ?7 = 1 THEN ?5 ELSE head END, "
	"address = CASE WHEN ?8 = 1 THEN ?6 ELSE address END WHERE id = ?1",
	"SELECT phone FROM household_phones WHERE household = ? ORDER BY pos, "
	"phone",
	"DELETE FROM household_phones WHERE household = ?",
	"INSERT INTO household_phones(household, phone, pos) VALUES(?, ?, ?)",
	"INSERT INTO roster_seen(id, line) VALUES(?, ?) ON CONFLICT(id) DO "
	"NOTHING",
	"INSERT INTO roster_villages(code) VALUES(?) ON CONFLICT(code) DO NOTHING",
	"INSERT INTO roster_listed(id) VALUES(?) ON CONFLICT(id) DO NOTHING",
};

/* The household statements on a store opened below v10 (tests build old
 * stores to migrate): no 户主 or 住址 there. */
static const char *const import_sql_v9[] = {
	"SELECT grid, members, active FROM households WHERE id = ?",
	"INSERT INTO households(id, grid, members, active, updated_at) "
	"VALUES(?1, ?2, ?3, 1, ?4)",
	"UPDATE households SET grid = ?2, members = ?3, active = 1, "
	"updated_at = ?4 WHERE id = ?1",
};

/* The phone statements on a store opened below v12: no position. */
static const char *const import_sql_v11[] = {
	"SELECT phone FROM household_phones WHERE household = ? ORDER BY phone",
	"DELETE FROM household_phones WHERE household = ?",
	"INSERT INTO household_phones(household, phone) VALUES(?, ?)",
};

static const char *import_stmt(ax_store *st, size_t i)
{
	/* a PostgreSQL store's schema is always the current one's twin (its
	 * own migrations are numbered apart) */
	int v = ax__store_is_pg(st) ? AX_SCHEMA_VERSION : ax_store_schema_version(st);
	if (i >= 1 && i <= 3 && v < 10)
		return import_sql_v9[i - 1];
	if (i >= 4 && i <= 6 && v < 12)
		return import_sql_v11[i - 4];
	return import_sql[i];
}

/* Whether the store has no household yet and keeps the roster's history
 * (stores opened below v14 by tests have none). */
static int first_roster(ax_store *st)
{
	ax_stmt *s;
	int empty = 0;

	if ((!ax__store_is_pg(st) && ax_store_schema_version(st) < 14) ||
	    ax__dprepare(st, &s, "SELECT COUNT(*) FROM (SELECT 1 FROM households"
	                         " LIMIT 1) AS one"))
		return 0;
	if (ax_stmt_step(s) == AX_DB_ROW)
		empty = ax_stmt_int64(s, 0) == 0;
	ax_stmt_finalize(s);
	return empty;
}

ax_rc ax_roster_import_mem(ax_store *st, const char *name, const char *buf,
                           size_t len, const struct ax_roster_opts *opts,
                           ax_diag_fn diag, void *diag_ctx,
                           struct ax_roster_stats *stats)
{
	struct ax_roster_stats dummy;
	struct imp im;
	enum ax_encoding enc;
	char *text = NULL;
	size_t tlen = 0;
	ax_stmt **stmts[] = {&im.s_region, &im.s_hh_get, &im.s_hh_ins,
	                          &im.s_hh_upd, &im.s_ph_get, &im.s_ph_del,
	                          &im.s_ph_ins, &im.s_seen,   &im.s_vseen,
	                          &im.s_listed};
	int in_tx = 0, first = 0;
	ax_rc rc;

	memset(&im, 0, sizeof im);
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	im.st = st;
	im.name = opts && opts->display_name ? opts->display_name : name;
	im.opts = opts;
	im.diag = diag;
	im.dctx = diag_ctx;
	im.stats = stats;
	im.now = (int64_t)time(NULL);

	if (validate_map(&im))
		return AX_INVALID;
	im.xlsx = ax__is_xlsx(buf, len);
	if (im.xlsx) {
		snprintf(stats->encoding, sizeof stats->encoding, "XLSX");
		goto begin;
	}
	rc = ax_text_to_utf8(buf, len, &text, &tlen, &enc);
	if (rc == AX_INVALID) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR,
		         "%s: encoding is neither UTF-8 nor GBK; save it from Excel "
		         "as \"CSV UTF-8\"",
		         im.name);
		ax__store_seterr(st, "%s: unknown encoding", im.name);
		return rc;
	}
	if (rc)
		return rc;
	snprintf(stats->encoding, sizeof stats->encoding, "%s",
	         ax_encoding_name(enc));
begin:
	if ((rc = ax__dexec(st, "CREATE TEMP TABLE IF NOT EXISTS roster_seen("
	                       "id TEXT PRIMARY KEY, line INTEGER);"
	                       "CREATE TEMP TABLE IF NOT EXISTS roster_villages("
	                       "code TEXT PRIMARY KEY);"
	                       "CREATE TEMP TABLE IF NOT EXISTS roster_listed("
	                       "id TEXT PRIMARY KEY);"
	                       "DELETE FROM roster_seen;"
	                       "DELETE FROM roster_villages;"
	                       "DELETE FROM roster_listed;")))
		goto done;
	for (size_t i = 0; i < AX_ARRAY_LEN(stmts); i++)
		*stmts[i] = NULL;
	for (size_t i = 0; i < AX_ARRAY_LEN(stmts); i++)
		if ((rc = ax__dprepare(st, stmts[i], import_stmt(st, i))))
			goto done;
	if ((rc = ax_store_begin(st)))
		goto done;
	in_tx = 1;
	first = first_roster(st);
	/* new households many a statement, where the columns are today's */
	im.batch = ax__store_is_pg(st) || ax_store_schema_version(st) >= 12;

	if (im.xlsx) {
		rc = ax__xlsx_rows(im.name, buf, len, opts ? opts->sheet : NULL,
		                   on_row, &im, diag, diag_ctx);
		if (rc) {
			ax__store_seterr(st, "the workbook cannot be read");
			goto done;
		}
	} else {
		int unterminated;
		rc = ax__csv_rows(im.name, text, tlen, on_row, &im, diag, diag_ctx,
		                  &unterminated);
		if (rc)
			goto done;
		/* the row a quote left open is a row read, and rejected */
		stats->rows += unterminated;
		stats->rejected += unterminated;
	}
	if (!im.rc && im.npend)
		new_flush(&im);
	summarise_kinds(&im);
	if (im.rc) {
		rc = im.rc;
		goto done;
	}
	if (!im.header_done && im.xlsx) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR,
		         "%s: no header row (户号 and 村（社区）代码 or 网格代码) in the "
		         "first %d rows of the sheet; name the roster's sheet with "
		         "--sheet NAME",
		         im.name, AX_XLSX_TITLE_ROWS);
		ax__store_seterr(st, "no header row");
		rc = AX_INVALID;
		goto done;
	}
	if (!im.header_done) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR, "%s: file is empty", im.name);
		rc = AX_INVALID;
		goto done;
	}
	if (opts && opts->deactivate_missing) {
		char sql[320];
		ax_stmt *d;
		snprintf(sql, sizeof sql,
		         "UPDATE households SET active = 0, updated_at = %s WHERE "
		         "active = 1 AND substr(grid, 1, 12) IN (SELECT code FROM "
		         "roster_villages) AND id NOT IN (SELECT id FROM "
		         "roster_listed)",
		         ax_db_sql(ax__store_dbl(st), AX_SQL_NOW_EPOCH));
		if ((rc = ax__dprepare(st, &d, sql)))
			goto done;
		if (ax_stmt_step(d) == AX_DB_ERROR)
			rc = ax__store_dberr(st, "households");
		stats->deactivated = (long)ax_stmt_changes(d);
		ax_stmt_finalize(d);
		if (rc)
			goto done;
	}
	/* a county new to a store holding its city goes under it */
	if ((rc = ax__regions_link(st)))
		goto done;
	/* the first roster stands for the county as it has always been: its
	 * households are on the roster of campaigns entered afterwards for
	 * earlier dates; later imports date their changes (store.c v14) */
	if (first && (rc = ax__dexec(st, "UPDATE household_periods SET "
	                                 "active_from = 0")))
		goto done;
	rc = ax_store_commit(st);
	if (rc == AX_OK) {
		in_tx = 0;
		warn_shared_phones(&im);
	}
done:
	if (in_tx)
		ax_store_rollback(st);
	for (size_t i = 0; i < AX_ARRAY_LEN(stmts); i++)
		ax_stmt_finalize(*stmts[i]);
	for (int i = 0; i < im.npend; i++) {
		free(im.pend[i].head);
		free(im.pend[i].address);
	}
	free(im.pend);
	free(text);
	return rc;
}

ax_rc ax_roster_import_csv(ax_store *st, const char *path,
                           const struct ax_roster_opts *opts, ax_diag_fn diag,
                           void *diag_ctx, struct ax_roster_stats *stats)
{
	char *buf;
	size_t len;
	ax_rc rc = ax__read_file(st, path, diag, diag_ctx, &buf, &len);

	if (rc)
		return rc;
	rc = ax_roster_import_mem(st, path, buf, len, opts, diag, diag_ctx,
	                          stats);
	free(buf);
	return rc;
}

ax_rc ax_roster_find_phone(ax_store *st, const char *e164, char out[64])
{
	ax_stmt *s;
	int n = 0, src;

	out[0] = '\0';
	if (ax_db_prepare(ax__store_dbl(st),
	                  "SELECT p.household FROM household_phones p JOIN "
	                  "households h ON h.id = p.household WHERE p.phone = "
	                  "? AND h.active = 1 LIMIT 2",
	                  &s) != AX_DB_OK)
		return ax__store_dberr(st, "prepare");
	ax_stmt_bind_text(s, 1, e164);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		if (n++ == 0)
			snprintf(out, 64, "%s", ax_stmt_text(s, 0));
	}
	ax_stmt_finalize(s);
	if (src != AX_DB_DONE) {
		out[0] = '\0';
		return ax__store_dberr(st, "household_phones");
	}
	if (n == 0)
		return AX_NOTFOUND;
	if (n > 1) {
		out[0] = '\0';
		return AX_CONFLICT;
	}
	return AX_OK;
}

/* ---- roster slices for gateways --------------------------------------- */
/* Significant prefix of a scope code (province 2, city 4, county 6,
 * township 9, else all): a device may serve a whole city. */
/* The households of a device's scope: grid codes in [lo, hi), the
 * scope's significant prefix (the whole text when it is no region code,
 * as before: then it matches its own code only). */
static int scope_range(const char *scope, char lo[24], char hi[24])
{
	size_t n = ax__region_prefix_len(scope);
	if (!*scope) { /* no scope: every household, as before */
		lo[0] = '\0';
		snprintf(hi, 24, "~");
		return 0;
	}
	return ax__code_range(scope, n ? n : strlen(scope), lo, hi);
}

ax_rc ax_roster_fingerprint(ax_store *st, const char *scope, char out[160])
{
	char lo[24], hi[24];
	ax_stmt *s;
	ax_rc rc;
	int src;

	out[0] = '\0';
	if (scope_range(scope, lo, hi)) {
		ax__store_seterr(st, "roster: \"%s\" is not a scope", scope);
		return AX_INVALID;
	}
	if ((rc = ax__dprepare(st, &s,
	                       "SELECT COUNT(*), COALESCE(MAX(h.updated_at), 0), "
	                       "COALESCE(SUM(h.active), 0), (SELECT COUNT(*) FROM "
	                       "household_phones p JOIN households h2 ON h2.id = "
	                       "p.household WHERE h2.grid >= ?1 AND h2.grid < ?2), "
	                       "(SELECT COUNT(*) FROM optout_events) FROM "
	                       "households h WHERE h.grid >= ?1 AND h.grid < ?2")))
		return rc;
	ax_stmt_bind_text(s, 1, lo);
	ax_stmt_bind_text(s, 2, hi);
	if ((src = ax_stmt_step(s)) == AX_DB_ROW)
		snprintf(out, 160, "%s:%lld:%lld:%lld:%lld:%lld", scope,
		         (long long)ax_stmt_int64(s, 0), (long long)ax_stmt_int64(s, 1),
		         (long long)ax_stmt_int64(s, 2), (long long)ax_stmt_int64(s, 3),
		         (long long)ax_stmt_int64(s, 4));
	else if (src == AX_DB_ERROR)
		rc = ax__store_dberr(st, "households");
	ax_stmt_finalize(s);
	return rc;
}

/* Both stores' SQL: the households in id order, then their phones in
 * household order and each household's roster order (pos; rows of
 * imports before v12 have none and come first, by number), merged here
 * (no group_concat/string_agg, which the two spell differently). */
char *ax_roster_slice_json(ax_store *st, const char *scope)
{
	char lo[24], hi[24];
	ax_stmt *s = NULL, *p = NULL;
	json_t *root, *arr, *opt;
	char *out;
	int src, psrc = AX_DB_DONE;

	if (scope_range(scope, lo, hi)) {
		ax__store_seterr(st, "roster: \"%s\" is not a scope", scope);
		return NULL;
	}
	if (ax__dprepare(st, &s,
	                 "SELECT h.id, h.grid, h.members, h.active FROM households "
	                 "h WHERE h.grid >= ?1 AND h.grid < ?2 ORDER BY h.id") ||
	    ax__dprepare(st, &p,
	                 "SELECT p.household, p.phone FROM household_phones p "
	                 "JOIN households h ON h.id = p.household WHERE "
	                 "h.grid >= ?1 AND h.grid < ?2 ORDER BY p.household, "
	                 "CASE WHEN p.pos IS NULL THEN 0 ELSE 1 END, p.pos, "
	                 "p.phone")) {
		ax_stmt_finalize(s);
		return NULL;
	}
	ax_stmt_bind_text(s, 1, lo);
	ax_stmt_bind_text(s, 2, hi);
	ax_stmt_bind_text(p, 1, lo);
	ax_stmt_bind_text(p, 2, hi);
	root = json_object();
	arr = json_array();
	psrc = ax_stmt_step(p);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		json_t *h = json_object(), *ph = json_array();
		const char *id = ax_stmt_text(s, 0);
		json_object_set_new(h, "id", json_string(id));
		json_object_set_new(h, "grid", json_string(ax_stmt_text(s, 1)));
		if (!ax_stmt_is_null(s, 2))
			json_object_set_new(h, "members", json_integer(ax_stmt_int64(s, 2)));
		json_object_set_new(h, "active", json_boolean(ax_stmt_int64(s, 3)));
		/* both in byte order of the id: the phones of households
		 * before this one were theirs */
		while (psrc == AX_DB_ROW && strcmp(ax_stmt_text(p, 0), id) < 0)
			psrc = ax_stmt_step(p);
		while (psrc == AX_DB_ROW && strcmp(ax_stmt_text(p, 0), id) == 0) {
			json_array_append_new(ph, json_string(ax_stmt_text(p, 1)));
			psrc = ax_stmt_step(p);
		}
		json_object_set_new(h, "phones", ph);
		json_array_append_new(arr, h);
	}
	if (src == AX_DB_ERROR || psrc == AX_DB_ERROR)
		ax__store_dberr(st, "households");
	ax_stmt_finalize(s);
	ax_stmt_finalize(p);
	if (src == AX_DB_ERROR || psrc == AX_DB_ERROR) {
		json_decref(root);
		json_decref(arr);
		return NULL;
	}
	json_object_set_new(root, "scope", json_string(scope));
	json_object_set_new(root, "households", arr);
	/* every opt-out taken in the county reaches its gateways */
	if (!(opt = ax__optouts_slice(st, scope))) {
		json_decref(root);
		return NULL;
	}
	json_object_set_new(root, "optouts", opt);
	out = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	if (!out)
		ax__store_seterr(st, "out of memory");
	return out;
}
