/*
 * visits_import.c -- a paper list of door-to-door visits (CSV or XLSX,
 * UTF-8 or GBK) into visit contacts through the record importer: each
 * row checked and named by line and field, a visit already imported
 * found again by its name-based UUID, the rest of the file kept when a
 * row is rejected.  One visit at a time: ledger.c (ax_visit_record).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>
#include <uuid/uuid.h>

#include "anxin/auth.h"
#include "anxin/content.h"
#include "anxin/ledger.h"
#include "anxin/records.h"
#include "anxin/text.h"
#include "anxin_int.h"
#include "db.h"

/* ---- visits from CSV: columns ----------------------------------------- */
enum vcol { V_HH, V_DATE, V_VISITOR, V_PACK, V_NCOLS };

/* Header spellings after normalisation (NFKC, case fold, no spaces,
 * brackets, slashes or underscores), as the roster matches them. */
static const char *const vcol_names[V_NCOLS][12] = {
	[V_HH] = {"户号", "户编号", "户编码", "户代码", "家庭编号", "householdid",
	          "household", "hhid", NULL},
	[V_DATE] = {"走访日期", "日期", "date", "走访时间", "入户日期", "入户时间",
	            "时间", "visitdate", "visitedat", "datetime", "at", NULL},
	[V_VISITOR] = {"走访人", "走访人员", "入户人员", "走访干部", "工作人员",
	               "网格员", "visitor", "visitedby", NULL},
	[V_PACK] = {"宣传内容", "宣传资料", "宣传包", "内容", "pack", "packid",
	            "content", NULL},
};

/* ---- visits from CSV: parse state ------------------------------------- */
struct pack_ref {
	char *id, *title, *topic;
};

struct vimp {
	ax_store *st;
	const char *name;
	const char *device; /* for rows without a visitor */
	ax_diag_fn diag;
	void *dctx;
	struct ax_visits_stats *stats;
	ax_importer *im;
	int64_t now;

	struct pack_ref *packs;
	int npacks;
	struct ax_arena arena;

	long row_line;
	int nf, too_many, header_done;
	int xlsx, merged_below; /* a workbook: title rows before the header */
	char **f; /* cells of the current row, borrowed from the CSV reader */
	int col[V_NCOLS];
	ax_rc rc; /* first fatal error */
	ax_stmt *s_seen_ins, *s_seen_get;
	ax_stmt *s_active; /* the household's roster state */
};

static const char *vfld(struct vimp *v, enum vcol c)
{
	int i = v->col[c];
	return i < 0 || i >= v->nf ? "" : v->f[i];
}

static void vreject(struct vimp *v, const char *fmt, ...) AX_PRINTF(2, 3);
static void vreject(struct vimp *v, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	v->stats->rejected++;
	ax__diag(v->diag, v->dctx, AX_SEV_ERROR, "%s:%ld: %s; row rejected",
	         v->name, v->row_line, msg);
}

static void vheader(struct vimp *v)
{
	for (int c = 0; c < V_NCOLS; c++)
		v->col[c] = -1;
	for (int i = 0; i < v->nf; i++) {
		char *h = ax__norm_header(v->f[i]);
		if (!h) {
			v->rc = AX_NOMEM;
			return;
		}
		for (int c = 0; c < V_NCOLS; c++) {
			if (v->col[c] >= 0)
				continue;
			for (int k = 0; vcol_names[c][k]; k++)
				if (strcmp(h, vcol_names[c][k]) == 0) {
					v->col[c] = i;
					break;
				}
		}
		free(h);
	}
	if ((v->col[V_HH] < 0 || v->col[V_DATE] < 0 || v->merged_below) &&
	    v->xlsx && v->row_line < AX_XLSX_TITLE_ROWS)
		return; /* a sheet's title row; the header is further down */
	if (v->col[V_HH] < 0) {
		ax__diag(v->diag, v->dctx, AX_SEV_ERROR,
		         "%s:%ld: no household id column (户号/household_id)", v->name,
		         v->row_line);
		ax__store_seterr(v->st, "%s: no household id column", v->name);
		v->rc = AX_INVALID;
	} else if (v->col[V_DATE] < 0) {
		ax__diag(v->diag, v->dctx, AX_SEV_ERROR,
		         "%s:%ld: no visit date column (走访日期/日期/date)", v->name,
		         v->row_line);
		ax__store_seterr(v->st, "%s: no visit date column", v->name);
		v->rc = AX_INVALID;
	}
	v->header_done = 1;
}

/* Read 1..max digits; returns the count read (0: none). */
static int read_num(const char **p, int max, int *out)
{
	int n = 0, val = 0;

	while (n < max && **p >= '0' && **p <= '9') {
		val = val * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = val;
	return n;
}

static int eat(const char **p, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/*
 * A visit time as people write it: "2025-03-05", "2025/3/5",
 * "2025.3.5", "2025年3月5日", each optionally followed by " 14:30" or
 * "T14:30:00"; full-width digits and colons are folded first (NFKC).
 * China time.  Fills iso ("YYYY-MM-DDTHH:MM:SS+08:00") and the epoch.
 */
static int parse_visit_time(const char *cell, char iso[32], int64_t *epoch)
{
	utf8proc_uint8_t *n = NULL;
	const char *p;
	int y, mo, d, h = 0, mi = 0, sec = 0, ok = 0;
	char *end;
	double serial = strtod(cell, &end);

	/* a date cell of a workbook: days since 1899-12-30 (Excel's serial
	 * date), China time; 36526 is 2000-01-01, 73051 2100-01-01 */
	if (end != cell && !*end && serial >= 36526 && serial < 73051) {
		*epoch = (int64_t)((serial - 25569) * 86400 + 0.5) - 8 * 3600;
		ax__time_format(*epoch, iso, 32);
		return 0;
	}

	if (utf8proc_map((const utf8proc_uint8_t *)cell, 0, &n,
	                 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
	                     UTF8PROC_COMPOSE) < 0)
		return -1;
	p = (const char *)n;
	if (read_num(&p, 4, &y) != 4)
		goto done;
	if (eat(&p, "年")) {
		if (!read_num(&p, 2, &mo) || !eat(&p, "月") || !read_num(&p, 2, &d))
			goto done;
		eat(&p, "日");
	} else {
		char sep = *p;
		if (sep != '-' && sep != '/' && sep != '.')
			goto done;
		p++;
		if (!read_num(&p, 2, &mo) || *p++ != sep || !read_num(&p, 2, &d))
			goto done;
	}
	if (*p == ' ' || *p == 'T') {
		while (*p == ' ' || *p == 'T')
			p++;
		if (!read_num(&p, 2, &h) || !eat(&p, ":") || read_num(&p, 2, &mi) != 2)
			goto done;
		if (eat(&p, ":") && read_num(&p, 2, &sec) != 2)
			goto done;
	}
	if (*p || y < 2000)
		goto done;
	snprintf(iso, 32, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, mo, d, h, mi,
	         sec);
	/* ax__time_parse checks month lengths, leap years and ranges */
	ok = ax__time_parse(iso, epoch) == 0;
done:
	free(n);
	return ok ? 0 : -1;
}

/* An installed pack by id, title, or topic name when only one pack has
 * that topic; NULL if none. */
static const char *resolve_pack(struct vimp *v, const char *cell)
{
	const char *hit = NULL;
	int nhits = 0;

	for (int i = 0; i < v->npacks; i++)
		if (strcmp(v->packs[i].id, cell) == 0)
			return v->packs[i].id;
	for (int i = 0; i < v->npacks; i++)
		if (strcmp(v->packs[i].title, cell) == 0)
			return v->packs[i].id;
	for (int i = 0; i < v->npacks; i++)
		if (strcmp(ax_topic_name(v->packs[i].topic), cell) == 0) {
			hit = v->packs[i].id;
			nhits++;
		}
	return nhits == 1 ? hit : NULL;
}

/* Line of an earlier row with the same visit id, or 0 (and remember this
 * one).  -1 on a store error (v->rc set). */
static long seen_before(struct vimp *v, const char *id)
{
	ax_stmt *s = v->s_seen_ins;
	long first = 0;
	int src, inserted;

	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_int64(s, 2, v->row_line);
	src = ax_stmt_step(s);
	inserted = src == AX_DB_DONE && ax_stmt_changes(s) == 1;
	ax_stmt_reset(s);
	if (src != AX_DB_DONE) {
		v->rc = ax__store_dberr(v->st, "visits_seen");
		return -1;
	}
	if (inserted) /* ON CONFLICT DO NOTHING wrote nothing: seen before */
		return 0;
	s = v->s_seen_get;
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, id);
	if (ax_stmt_step(s) == AX_DB_ROW)
		first = (long)ax_stmt_int64(s, 0);
	ax_stmt_reset(s);
	return first;
}

/* 1 when the roster holds hh as deactivated (注销) */
static int deactivated(struct vimp *v, const char *hh)
{
	ax_stmt *s = v->s_active;
	int off;

	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, hh);
	off = ax_stmt_step(s) == AX_DB_ROW && (int)ax_stmt_int64(s, 0) == 0;
	ax_stmt_reset(s);
	return off;
}

static void vrow(struct vimp *v)
{
	const char *hh = vfld(v, V_HH), *date = vfld(v, V_DATE),
	           *visitor = vfld(v, V_VISITOR), *pack_cell = vfld(v, V_PACK);
	const char *pack = NULL, *device;
	char iso[32], id[37], *name = NULL, *line = NULL;
	struct ax_rec_outcome out;
	int64_t at;
	long first;
	uuid_t ns, u;
	ax_rc rc;

	v->stats->rows++;
	if (v->too_many) {
		vreject(v, "more than %d fields", AX_CSV_MAX_FIELDS);
		return;
	}
	{
		int empty = 1;
		for (int i = 0; i < v->nf; i++)
			empty &= v->f[i][0] == '\0';
		if (empty) { /* Excel's trailing rows of empty cells */
			v->stats->rows--;
			return;
		}
	}
	if (!*hh) {
		vreject(v, "no household id (户号)");
		return;
	}
	if (strlen(hh) > 63) {
		vreject(v, "household id \"%.40s\" is too long", hh);
		return;
	}
	if (!*date && !*visitor && !*pack_cell) {
		/* a row of the visit template not filled in: not visited */
		v->stats->rows--;
		return;
	}
	if (!*date) {
		vreject(v, "no visit date (走访日期)");
		return;
	}
	if (parse_visit_time(date, iso, &at)) {
		vreject(v, "date \"%.40s\" is not a date (YYYY-MM-DD or YYYY/MM/DD, "
		           "optionally HH:MM)",
		        date);
		return;
	}
	if (at > v->now + AX_MAX_AHEAD) {
		vreject(v, "date \"%.40s\" is in the future", date);
		return;
	}
	if (strlen(visitor) > 64) {
		vreject(v, "visitor (走访人) \"%.40s\" is longer than 64 bytes",
		        visitor);
		return;
	}
	if (*pack_cell && !(pack = resolve_pack(v, pack_cell))) {
		vreject(v, "pack (宣传内容) \"%.40s\" is not the id or title of an installed "
		           "pack",
		        pack_cell);
		return;
	}
	if (deactivated(v, hh)) {
		/* the dashboard refuses these too: 注销 households count nowhere */
		vreject(v, "household %s is deactivated (注销) in the roster", hh);
		return;
	}
	device = *visitor ? visitor : v->device;

	/* the visit's identity: household, time as normalised, visitor */
	if (asprintf(&name, "visit\x1f%s\x1f%s\x1f%s", hh, iso, visitor) < 0) {
		v->rc = AX_NOMEM;
		return;
	}
	uuid_parse(ax__visit_ns, ns);
	uuid_generate_sha1(u, ns, name, strlen(name));
	free(name);
	uuid_unparse_lower(u, id);

	if ((first = seen_before(v, id)) != 0) {
		if (first > 0) {
			v->stats->duplicate++;
			ax__diag(v->diag, v->dctx, AX_SEV_WARNING,
			         "%s:%ld: same visit as line %ld (household, date, "
			         "visitor); counted once",
			         v->name, v->row_line, first);
		}
		return;
	}
	if (!(line = ax__visit_line(id, hh, device, at, pack))) {
		v->rc = AX_NOMEM;
		return;
	}
	rc = ax_importer_line(v->im, line, strlen(line), v->name, &out);
	free(line);
	if (rc) {
		v->rc = rc;
		return;
	}
	switch (out.result) {
	case AX_REC_ACCEPTED: v->stats->accepted++; break;
	case AX_REC_DUPLICATE: v->stats->duplicate++; break;
	case AX_REC_CONFLICT:
		v->stats->conflict++;
		ax__diag(v->diag, v->dctx, AX_SEV_WARNING, "%s:%ld: conflict: %s",
		         v->name, v->row_line, out.reason);
		break;
	case AX_REC_REJECTED: vreject(v, "%s", out.reason); break;
	}
}

static int von_row(void *ctx, const struct ax__csv_row *row)
{
	struct vimp *v = ctx;

	v->row_line = row->line;
	v->nf = row->nf;
	v->f = row->f;
	v->too_many = row->too_many;
	v->merged_below = row->merged_below;
	if (!v->header_done)
		vheader(v);
	else
		vrow(v);
	v->nf = 0;
	v->f = NULL;
	return v->rc != AX_OK;
}

/* The newest version of every installed pack. */
static ax_rc load_packs(struct vimp *v)
{
	ax_stmt *s;
	int cap = 0, src;
	ax_rc rc;

	if ((rc = ax__dprepare(v->st, &s,
	                      "SELECT id, title, topic FROM packs p WHERE version = "
	                      "(SELECT max(version) FROM packs q WHERE q.id = p.id) "
	                      "ORDER BY id")))
		return rc;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		if (v->npacks == cap) {
			struct pack_ref *np;
			cap = cap ? cap * 2 : 16;
			np = ax__arena_alloc(&v->arena, sizeof *np * (size_t)cap);
			if (!np) {
				rc = AX_NOMEM;
				goto done;
			}
			if (v->npacks)
				memcpy(np, v->packs, sizeof *np * (size_t)v->npacks);
			v->packs = np;
		}
		struct pack_ref *pr = &v->packs[v->npacks];
		pr->id = ax__arena_strdup(&v->arena, ax_stmt_text(s, 0));
		pr->title = ax__arena_strdup(&v->arena, ax_stmt_text(s, 1));
		pr->topic = ax__arena_strdup(&v->arena, ax_stmt_text(s, 2));
		if (!pr->id || !pr->title || !pr->topic) {
			rc = AX_NOMEM;
			goto done;
		}
		v->npacks++;
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(v->st, "packs");
done:
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_visits_import_mem(ax_store *st, const char *name, const char *buf,
                           size_t len, const struct ax_visits_opts *opts,
                           ax_diag_fn diag, void *diag_ctx,
                           struct ax_visits_stats *stats)
{
	struct ax_visits_stats dummy;
	struct vimp v;
	enum ax_encoding enc;
	char *text = NULL;
	size_t tlen = 0;
	ax_rc rc;

	memset(&v, 0, sizeof v);
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	v.st = st;
	v.name = opts && opts->display_name ? opts->display_name : name;
	v.device = opts && opts->device && *opts->device ? opts->device : "paper";
	v.diag = diag;
	v.dctx = diag_ctx;
	v.stats = stats;
	v.now = (int64_t)time(NULL);

	if (strlen(v.device) > 64 || !ax_utf8_valid(v.device, strlen(v.device))) {
		ax__store_seterr(st, "device \"%.40s\" must be 1 to 64 bytes of UTF-8",
		                 v.device);
		return AX_INVALID;
	}
	rc = ax__is_xlsx(buf, len) ? AX_OK
	                           : ax_text_to_utf8(buf, len, &text, &tlen, &enc);
	if (!text && rc == AX_OK) {
		snprintf(stats->encoding, sizeof stats->encoding, "XLSX");
		v.xlsx = 1;
	} else if (rc == AX_INVALID) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR,
		         "%s: encoding is neither UTF-8 nor GBK; save it from Excel "
		         "as \"CSV UTF-8\"",
		         v.name);
		ax__store_seterr(st, "%s: unknown encoding", v.name);
		return rc;
	}
	if (rc)
		return rc;
	if (text)
		snprintf(stats->encoding, sizeof stats->encoding, "%s",
		         ax_encoding_name(enc));

	if ((rc = load_packs(&v)) ||
	    (rc = ax__dexec(st, "CREATE TEMP TABLE IF NOT EXISTS visits_seen("
	                       "id TEXT PRIMARY KEY, line INTEGER);"
	                       "DELETE FROM visits_seen;")) ||
	    (rc = ax__dprepare(st, &v.s_seen_ins,
	                      "INSERT INTO visits_seen(id, line) VALUES(?, ?) "
	                      "ON CONFLICT DO NOTHING")) ||
	    (rc = ax__dprepare(st, &v.s_seen_get,
	                      "SELECT line FROM visits_seen WHERE id = ?")) ||
	    (rc = ax__dprepare(st, &v.s_active,
	                      "SELECT active FROM households WHERE id = ?")) ||
	    (rc = ax_importer_new(st, &v.im)) || (rc = ax_importer_begin(v.im)))
		goto done;

	if (!text) {
		rc = ax__xlsx_rows(v.name, buf, len, opts ? opts->sheet : NULL,
		                   von_row, &v, diag, diag_ctx);
		if (rc) {
			ax__store_seterr(st, "the workbook cannot be read");
			goto done;
		}
	} else {
		int unterminated;
		rc = ax__csv_rows(v.name, text, tlen, von_row, &v, diag, diag_ctx,
		                  &unterminated);
		if (rc)
			goto done;
		/* the row a quote left open is a row read, and rejected */
		stats->rows += unterminated;
		stats->rejected += unterminated;
	}
	if (v.rc) {
		rc = v.rc;
		goto done;
	}
	if (!v.header_done) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR, "%s: file is empty", v.name);
		ax__store_seterr(st, "%s: file is empty", v.name);
		rc = AX_INVALID;
		goto done;
	}
	rc = ax_importer_commit(v.im);
done:
	if (rc) {
		/* nothing of this file is kept */
		memset(stats, 0, sizeof *stats);
		snprintf(stats->encoding, sizeof stats->encoding, "%s",
		         text ? ax_encoding_name(enc) : "");
	}
	ax_importer_free(v.im); /* rolls back an uncommitted batch */
	ax_stmt_finalize(v.s_seen_ins);
	ax_stmt_finalize(v.s_seen_get);
	ax_stmt_finalize(v.s_active);
	ax__arena_free(&v.arena);
	free(text);
	return rc;
}

ax_rc ax_visits_import_csv(ax_store *st, const char *path,
                           const struct ax_visits_opts *opts, ax_diag_fn diag,
                           void *diag_ctx, struct ax_visits_stats *stats)
{
	char *buf;
	size_t len;
	ax_rc rc;

	if (stats)
		memset(stats, 0, sizeof *stats);
	if ((rc = ax__read_file(st, path, diag, diag_ctx, &buf, &len)))
		return rc;
	rc = ax_visits_import_mem(st, path, buf, len, opts, diag, diag_ctx,
	                          stats);
	free(buf);
	return rc;
}
