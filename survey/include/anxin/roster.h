/*
 * roster.h -- regions (county > township > village > grid) and the
 * household roster, imported from the CSV files staff export from Excel.
 */
#ifndef ANXIN_ROSTER_H
#define ANXIN_ROSTER_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ax_roster_opts {
	/* Extra header mapping, "field=表头,field=表头" (borrowed; may be NULL).
	 * Fields: household_id, county, county_code, township, township_code,
	 * village, village_code, grid, grid_code, phone, members. */
	const char *map;
	/* Name of the county when the file has no 县 column (may be NULL). */
	const char *county_name;
	/* Mark households of the villages in this file that the file no
	 * longer lists as inactive (they leave the coverage denominator). */
	int deactivate_missing;
	/* Name used in messages instead of the path (may be NULL). */
	const char *display_name;
	/* The sheet of an .xlsx roster (NULL: the first). */
	const char *sheet;
};

struct ax_roster_stats {
	long rows;        /* data rows read */
	long inserted;    /* new households */
	long updated;     /* households whose grid, members or phones changed */
	long unchanged;   /* households imported again as they were */
	long rejected;    /* rows rejected (no id, no region, bad codes, ...) */
	long warnings;    /* values dropped from kept rows */
	long deactivated; /* households marked inactive */
	long phones;      /* phone numbers stored */
	long shared_phones; /* numbers of the file's households that other
	                     * active households list too (warned about) */
	char encoding[16]; /* "UTF-8", "UTF-8 (BOM)", "GBK" */
};

/*
 * Import a roster CSV (UTF-8 with or without BOM, or GBK; as Excel writes
 * it) into the store, in one transaction.  Rejected rows and dropped
 * values are reported through diag with "file:line: reason"; good rows
 * are always kept.  Re-importing the same file changes nothing.
 * Returns AX_OK even when rows were rejected (see stats); an error
 * return means nothing was imported (unreadable file, unknown encoding,
 * missing required columns, store failure: see ax_store_errmsg).
 */
ax_rc ax_roster_import_csv(ax_store *st, const char *path,
                           const struct ax_roster_opts *opts, ax_diag_fn diag,
                           void *diag_ctx, struct ax_roster_stats *stats);

struct ax_regions_stats {
	long rows;         /* data rows read */
	long by_level[3];  /* counties, townships, villages stored */
	long above;        /* province (省) and city (市) rows stored */
	long rejected;     /* rows rejected */
	char encoding[16];
};

/*
 * Import a table of regions (CSV or XLSX, UTF-8 or GBK: a code column,
 * 代码/统计用区划代码, of 6, 9 or 12 digits, and a name column, 名称), so
 * that rosters naming 乡镇 and 村 without codes resolve them by name
 * within their parent.  A county's table, or a city's or province's with
 * their 市 and 省 rows and many counties: each county is linked under its
 * city and each city under its province when the store has them
 * (ax__regions_link), whichever table brought them.  county_name
 * (borrowed, may be NULL) names the table's first county when its own
 * row does not.  Idempotent.
 */
ax_rc ax_regions_import_file(ax_store *st, const char *path,
                             const char *county_name, const char *sheet,
                             ax_diag_fn diag,
                             void *diag_ctx, struct ax_regions_stats *stats);

/* The regions under scope (all when NULL), one a line, indented by level:
 * "CODE  NAME  LEVEL  N 户" (active households).  Caller frees; NULL on a
 * store error. */
char *ax_regions_list_text(ax_store *st, const char *scope);

/* Same, from bytes in memory (borrowed); `name` is used in messages. */
ax_rc ax_roster_import_mem(ax_store *st, const char *name, const char *buf,
                           size_t len, const struct ax_roster_opts *opts,
                           ax_diag_fn diag, void *diag_ctx,
                           struct ax_roster_stats *stats);

/* Resolve a normalised E.164 phone to its active household id.
 * out must hold 64 bytes.  AX_NOTFOUND if none; AX_CONFLICT if the
 * number belongs to several active households (ambiguous). */
ax_rc ax_roster_find_phone(ax_store *st, const char *e164, char out[64]);

/*
 * A short text that changes whenever the households of a scope (region
 * code) or their phones change: count, latest update, active count.
 * out holds 160 bytes.  Cheap: one indexed aggregate.
 */
ax_rc ax_roster_fingerprint(ax_store *st, const char *scope, char out[160]);

/*
 * The roster slice an SMS gateway receives, as JSON:
 * {"scope":CODE,"households":[{"id","grid","members","active","phones":[…]}]}.
 * Caller frees with ax_free(); NULL on failure (see ax_store_errmsg).
 */
char *ax_roster_slice_json(ax_store *st, const char *scope);

#ifdef __cplusplus
}
#endif
#endif
