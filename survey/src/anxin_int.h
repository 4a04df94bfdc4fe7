/*
 * anxin_int.h -- internals shared by libanxin's source files.
 * Nothing here is part of the public API.
 */
#ifndef ANXIN_INT_H
#define ANXIN_INT_H

#include <sqlite3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "anxin/anxin.h"
#include "anxin/clock.h"
#include "anxin/store.h"

#define AX_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#if defined(__GNUC__)
#define AX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define AX_PRINTF(f, a)
#endif

/* ---- logging ---------------------------------------------------------- */
void ax__log(enum ax_log_level lvl, const char *file, int line,
             const char *fmt, ...) AX_PRINTF(4, 5);
#define AX_LOG(lvl, ...) ax__log(lvl, __FILE__, __LINE__, __VA_ARGS__)

/* Format a diagnostic and send it to fn (which may be NULL). */
void ax__diag(ax_diag_fn fn, void *ctx, enum ax_severity sev, const char *fmt,
              ...) AX_PRINTF(4, 5);

/* ---- growable string -------------------------------------------------- */
struct ax_buf {
	char *p;
	size_t len, cap;
	int oom; /* sticky: an append failed */
};
void ax__buf_put(struct ax_buf *b, const char *s, size_t n);
void ax__buf_puts(struct ax_buf *b, const char *s);
void ax__buf_printf(struct ax_buf *b, const char *fmt, ...) AX_PRINTF(2, 3);
/* Hand the string to the caller (NUL-terminated) or NULL on OOM. */
char *ax__buf_take(struct ax_buf *b);
/* Terminal columns of UTF-8 text (CJK characters take two). */
int ax__display_width(const char *s);
/* Append s padded with spaces to w columns, on the left when right. */
void ax__buf_pad(struct ax_buf *b, const char *s, int w, int right);
void ax__buf_free(struct ax_buf *b);

/* ---- arena: many small allocations freed at once ---------------------- */
struct ax_arena_chunk;
struct ax_arena {
	struct ax_arena_chunk *head;
};
void *ax__arena_alloc(struct ax_arena *a, size_t n); /* zeroed */
char *ax__arena_strdup(struct ax_arena *a, const char *s);
void ax__arena_free(struct ax_arena *a);

/* ---- time ------------------------------------------------------------- */
/*
 * Parse ISO 8601 "YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH:MM|+HHMM]" (a space
 * may replace T).  A missing offset means China Standard Time (+08:00):
 * mainland China has one zone and no DST.  Returns 0 on success.
 */
/* A short, printable excerpt of s for messages, "…" when cut, never
 * cutting a UTF-8 sequence. */
void ax__excerpt(const char *s, char *buf, size_t n);

int ax__time_parse(const char *s, int64_t *epoch);
/* Format epoch as "YYYY-MM-DDTHH:MM:SS+08:00" (buf >= 32). */
void ax__time_format(int64_t epoch, char *buf, size_t n);
/* Day number in China Standard Time (days since 1970-01-01 +08:00). */
int ax__cst_day(int64_t epoch);
/* "YYYY-MM-DD" of a CST day number (buf >= 11). */
void ax__day_format(int day, char *buf, size_t n);
/* Parse "YYYY-MM-DD" to a CST day number; 0 ok. */
int ax__day_parse(const char *s, int *day);

/* ---- store internals -------------------------------------------------- */
sqlite3 *ax__store_db(ax_store *st);
/* The store's connection through the statement layer (db.h), and the
 * layer's last error on it as ax_rc with the store's message set. */
struct ax_db;
struct ax_db *ax__store_dbl(ax_store *st);
ax_rc ax__store_dberr(ax_store *st, const char *what);
/* A PostgreSQL store (issue 19): ax__store_db is NULL, only the paths on
 * the statement layer run; the others fail with "not yet on PostgreSQL". */
int ax__store_is_pg(const ax_store *st);
/* Prepare sql on the store's statement layer (either backend), the error
 * on st. */
struct ax_stmt;
ax_rc ax__dprepare(ax_store *st, struct ax_stmt **out, const char *sql);
/* ax__dprepare of b's text, then b freed; AX_NOMEM when b ran out */
ax_rc ax__dprepare_buf(ax_store *st, struct ax_buf *b, struct ax_stmt **out);
/* "col IN ('sms_delivered',…)" of the contact kinds (AX_CK_*; none:
 * "col IN (NULL)", true of nothing) */
void ax__buf_kinds_in(struct ax_buf *b, int kinds, const char *col);
/* Statements without parameters on either backend, the error on st. */
ax_rc ax__dexec(ax_store *st, const char *sql);
/* Statements a handle keeps prepared (one per use, same SQL each time). */
enum ax__stmt { AX__STMT_OUTBOX_PUT, AX__STMT_N };
/* The cached statement `which` (prepared from sql the first time), reset
 * and unbound; owned by the handle: reset it after use, never finalize. */
ax_rc ax__cached(ax_store *st, enum ax__stmt which, const char *sql,
                 sqlite3_stmt **out);
void ax__store_seterr(ax_store *st, const char *fmt, ...) AX_PRINTF(2, 3);
/* Map a SQLite result code to ax_rc and record sqlite3_errmsg. */
ax_rc ax__store_sqlerr(ax_store *st, int src, const char *what);
/* records.c: one record made here (a fresh random id) imported in a
 * batch of its own: AX_OK committed, AX_INVALID not accepted (the
 * reason in out), or the store's error. */
struct ax_rec_outcome;
ax_rc ax__import_one(ax_store *st, const char *line, const char *source,
                     struct ax_rec_outcome *out);
/* optout.c: the latest opt-out state of the numbers of scope's
 * households, [{"phone","at","out"}] for a roster slice (NULL on error). */
struct json_t;
struct json_t *ax__optouts_slice(ax_store *st, const char *scope);
/* Prepare a statement, recording errors on st. */
ax_rc ax__prepare(ax_store *st, sqlite3_stmt **stmt, const char *sql);
ax_rc ax__exec(ax_store *st, const char *sql);
int ax__store_migrations_count(void);
/* Records per transaction of ax_records_import_file (50,000; tests make
 * it small to cross batch boundaries with few records). */
extern long ax__import_batch;
ax_rc ax__store_migrate(ax_store *st, int target);
/* Open without migrating past `target` (tests build old files with it). */
ax_rc ax__store_open_at(const char *path, int flags, int target,
                        ax_store **out, char *errbuf, size_t errlen);

/* ---- CSV rows (csvrows.c) --------------------------------------------- */
#define AX_CSV_MAX_FIELDS 64
struct ax__csv_row {
	long line;    /* physical line the row starts on */
	int nf;       /* cells kept (at most AX_CSV_MAX_FIELDS) */
	char **f;     /* trimmed cells, borrowed for the callback */
	int too_many; /* the row had more cells than that */
	int merged_below; /* xlsx: a merged cell of this row goes on below (the
	                   * upper row of a two-row header); 0 in CSV */
};
/* Called for every row, the header included; non-zero stops reading. */
typedef int (*ax__csv_row_fn)(void *ctx, const struct ax__csv_row *row);
/* Read UTF-8 CSV text row by row.  Syntax errors are reported through
 * diag as "name:line: …" (AX_INVALID); a quote left open at the end is
 * reported and sets *unterminated. */
ax_rc ax__csv_rows(const char *name, const char *text, size_t len,
                   ax__csv_row_fn fn, void *ctx, ax_diag_fn diag, void *dctx,
                   int *unterminated);
/* A header cell for matching: NFKC, case-folded, without spaces, brackets,
 * slashes, underscores or quotes.  Caller frees. */
char *ax__norm_header(const char *s);

/* ---- XLSX rows (xlsx.c) ----------------------------------------------- */
/* Rows above this one without the header's columns are a sheet's title
 * rows (merged across the columns), skipped while looking for the header. */
#define AX_XLSX_TITLE_ROWS 10
/* Whether the bytes are a zip (an .xlsx workbook). */
int ax__is_xlsx(const char *buf, size_t len);
/* The rows of the workbook's sheet (the first when sheet is NULL) through
 * the CSV row callback, line = the sheet's row number; rows with no cell
 * are not passed.  AX_INVALID (reported through diag) when the workbook
 * or sheet cannot be read. */
ax_rc ax__xlsx_rows(const char *name, const char *buf, size_t len,
                    const char *sheet, ax__csv_row_fn fn, void *ctx,
                    ax_diag_fn diag, void *dctx);

/* ---- region codes ----------------------------------------------------- */
/* regions.c: the region upsert every import uses (?1 code, ?2 name, ?3
 * level, ?4 parent, ?5 name given: a code-only upsert keeps the name). */
extern const char ax__region_upsert_sql[];
ax_rc ax__region_upsert(ax_store *st, struct ax_stmt *s, const char *code,
                        const char *name, int level, const char *parent);
/* Regions of `level` named `name` under `parent` (any when NULL or ""):
 * the count found (0, 1 or 2: the first in code, the second in other),
 * -1 on a store error. */
int ax__region_by_name(ax_store *st, int level, const char *name,
                       const char *parent, char code[16], char other[16]);
/* A whole file in memory, NUL-terminated; errors reported through diag. */
ax_rc ax__read_file(ax_store *st, const char *path, ax_diag_fn diag,
                    void *dctx, char **out, size_t *outlen);
/* Level of a region code by its shape: 1 county (…000000), 2 township
 * (…000), 3 village (12 digits), 4 grid (> 12 digits), 0 not a code. */
int ax__region_level_of(const char *code);
int ax__region_rank(const char *code);
ax_rc ax__regions_link(ax_store *st);
/* its statement, portable (store_merge.c runs it on the database merged
 * into): the parent's code is the first 2 + 2 * level digits, zeros after */
#define AX_SQL_REGIONS_LINK                                                    \
	"UPDATE regions SET parent = p.code FROM regions p"                      \
	" WHERE regions.level IN (0, 1) AND regions.parent IS NULL"              \
	" AND p.level = regions.level - 1 AND p.code ="                          \
	" substr(regions.code, 1, 2 + 2 * regions.level) ||"                     \
	" substr('0000000000', 1, 10 - 2 * regions.level)"
size_t ax__region_prefix_len(const char *code);
/* The codes that start with the first n bytes of code, as a byte range
 * [lo, hi) (the last byte + 1: '9' + 1 is ':', above every digit), which
 * an index on the column serves on both stores (a PostgreSQL store
 * compares in byte order, db_pg.c); -1 when n is 0 or too long. */
int ax__code_range(const char *code, size_t n, char lo[24], char hi[24]);

/* A multi-row statement: head's first headlen bytes, then rows of
 * " (?,...,?)" (width each, comma-separated), then tail; malloc'd, NULL
 * on no memory (records_prefetch.c) */
char *ax__values_sql(const char *head, size_t headlen, int rows, int width,
                     const char *tail);

/*
 * The roster as it stood for a campaign (store.c v14): rows (id, grid) of
 * the households active at some time in [?1, ?2) (epoch seconds), each
 * once, in the grid of its last stretch in that window; `where` narrows
 * the stretches (e.g. "p.grid >= ?5 AND p.grid < ?6"; "1" for all).  A
 * household added after the window or removed before it is not there,
 * so a later roster import leaves a closed campaign's denominator as it
 * was.  Zero-length stretches (moved twice in a second) are skipped.
 */
#define AX__CAMPAIGN_ROSTER(where)                                            \
	"SELECT p.household AS id, p.grid AS grid FROM household_periods p "  \
	"WHERE " where " AND p.active_from < ?2 AND (p.active_to IS NULL OR " \
	"(p.active_to > ?1 AND p.active_to > p.active_from)) AND NOT EXISTS " \
	"(SELECT 1 FROM household_periods q WHERE q.household = p.household " \
	"AND q.active_from > p.active_from AND q.active_from < ?2 AND "       \
	"(q.active_to IS NULL OR q.active_to > q.active_from))"

/* ---- rates (metrics.c) ------------------------------------------------- */
/* The 95 % Wilson score interval of a proportion p on n (not necessarily
 * whole: an effective sample size); [0,0] when n <= 0. */
void ax__wilson_p(double p, double n, double *low, double *high);

/* ---- sampled campaigns (sample.c) ------------------------------------- */
struct ax_campaign;
/* Draw and store the sample of campaign c (stored already), inside the
 * caller's transaction: campaign_strata and campaign_sample rows. */
ax_rc ax__sample_draw(ax_store *st, const struct ax_campaign *c);

/* ---- awareness scoring (response.c) ----------------------------------- */
/* 1 if `right` of `asked` knowledge questions pass a rule of pass_share:
 * the one comparison the scorer and the content linter's guessing
 * checks share, so "passes" means the same in both. */
int ax__aware_passed(int right, int asked, double pass_share);

/* a visit contact's record line (ledger.c; caller frees, NULL on OOM) and
 * the namespace of visits' name-based UUIDs (never change it) */
char *ax__visit_line(const char *id, const char *household,
                     const char *device, long long at, const char *pack);
extern const char ax__visit_ns[];

#endif
