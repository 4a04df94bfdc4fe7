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

#endif
