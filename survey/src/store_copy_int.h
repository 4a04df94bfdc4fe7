/*
 * store_copy_int.h -- between store_copy.c (a county's SQLite store into
 * PostgreSQL) and store_merge.c (the same into a database that already
 * holds other counties).
 */
#ifndef AX_STORE_COPY_INT_H
#define AX_STORE_COPY_INT_H

#include "anxin_int.h"
#include "db.h"

#define AX_COPY_MAX_COLS 32

/* Merge the temporary table ax_in (the county's rows of `table`, columns
 * cols) into `table`: new keys inserted, identical rows skipped, a key
 * with other content AX_CONFLICT (message on from).  *inserted: rows
 * inserted. */
ax_rc ax__merge_table(ax_store *from, ax_db *to, const char *table,
                      const char *const *cols, int ncols, long long *inserted);

/* One county's rows of a table as a PostgreSQL condition ("" for the
 * tables kept whole); p its code's first six digits; ancestors: the city
 * and province rows with it (store_copy_out.c). */
void ax__county_filter(const char *table, const char *county, const char *p,
                       int ancestors, char *out, size_t n);
/* 1 when code is a county (level 1) of db, 0 not, -1 on error */
int ax__is_county(ax_db *db, const char *code);

#endif
