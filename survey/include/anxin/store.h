/*
 * store.h -- the local store: one SQLite file (WAL, foreign keys on,
 * schema versioned with in-place migrations).  Every device and the
 * central server keep their data in one.
 */
#ifndef ANXIN_STORE_H
#define ANXIN_STORE_H

#include "anxin.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ax_store ax_store;

/* Schema version this build writes; older files are migrated on open. */
#define AX_SCHEMA_VERSION 20

enum ax_store_flags {
	AX_STORE_CREATE = 1,   /* create the file if missing */
	AX_STORE_READONLY = 2, /* open read-only; no migration is attempted */
};

/*
 * Open (and if needed create and migrate) the store at `path` (copied).
 * On failure *out is NULL; if `errbuf` is non-NULL a message is written
 * there (at most errlen bytes).  One handle per thread.
 */
ax_rc ax_store_open(const char *path, int flags, ax_store **out, char *errbuf,
                    size_t errlen);

/* Close the store; accepts NULL. */
void ax_store_close(ax_store *st);

/* 0 when the store's connection is gone for good (a PostgreSQL server
 * that went away: after a failover every statement fails until the
 * handle is closed and the store opened again, which finds the new
 * primary through a multi-host URL); 1 otherwise, always for SQLite. */
int ax_store_alive(ax_store *st);

/* Detailed message of the last failure on this handle (borrowed). */
const char *ax_store_errmsg(const ax_store *st);

/* Schema version of the open file (after migration). */
int ax_store_schema_version(ax_store *st);

/*
 * Transactions for callers that write several things atomically (a kiosk
 * answer and its outbox line): BEGIN IMMEDIATE / COMMIT / ROLLBACK.
 * ax_store_rollback accepts a store with no transaction open.
 */
ax_rc ax_store_begin(ax_store *st);
ax_rc ax_store_commit(ax_store *st);
void ax_store_rollback(ax_store *st);

/*
 * The store's own SQLite connection (borrowed: never close it), for an
 * app's own tables (the kiosk's sessions, the gateway's conversations)
 * written in the same transactions as libanxin's rows, so an app state
 * change and its outbox line cost one commit.  Apps must not write
 * libanxin's tables through it.
 */
struct sqlite3;
struct sqlite3 *ax_store_sqlite(ax_store *st);

/*
 * Copy a county's store into a PostgreSQL database (url postgresql://…):
 * its schema created or upgraded, then every central table row for row in
 * one transaction (device tables stay behind).  A database that already
 * holds regions or responses (other counties) is merged into
 * (store_merge.c): rows new to it go in, rows already there identical are
 * kept, and a key already there with other content (a 户号, device or
 * login two counties share) is AX_CONFLICT, the message on `from` naming
 * the table and key, nothing written.  fn, when not NULL, hears each
 * table and the rows written to it.
 */
typedef void (*ax_store_copy_fn)(void *ctx, const char *table, long long rows);
ax_rc ax_store_copy_pg(ax_store *from, const char *url, ax_store_copy_fn fn,
                       void *ctx);

/*
 * The way back: every central table of the PostgreSQL database at `url`
 * (borrowed) into `to`, a SQLite store that holds no regions or responses
 * yet, row for row, read in one snapshot and written in one transaction
 * (AX_CONFLICT when `to` is not empty; the message on `to`).  A county
 * leaving the shared database, or a backup as a file.
 */
ax_rc ax_store_copy_from_pg(ax_store *to, const char *url,
                            ax_store_copy_fn fn, void *ctx);
/* The same with one county's rows only (county: its 12-digit code; its
 * regions with the city and province above, households, records, tallies,
 * devices, staff, campaigns, opt-outs; every pack, survey and key).
 * AX_NOTFOUND when the database has no such county. */
ax_rc ax_store_copy_county_from_pg(ax_store *to, const char *url,
                                   const char *county, ax_store_copy_fn fn,
                                   void *ctx);

/* The last step of a county leaving: every row of it that
 * ax_store_copy_county_from_pg takes, but the city and province above it
 * and the packs, surveys and keys all counties share, deleted from the
 * PostgreSQL store st in one transaction (fn hears each table and the rows
 * deleted).  AX_NOTFOUND when st has no such county, AX_INVALID on a
 * SQLite store. */
ax_rc ax_store_remove_county(ax_store *st, const char *county,
                             ax_store_copy_fn fn, void *ctx);

/* Path the store was opened with (borrowed). */
const char *ax_store_path(const ax_store *st);

#ifdef __cplusplus
}
#endif
#endif
