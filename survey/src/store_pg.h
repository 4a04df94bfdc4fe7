/*
 * store_pg.h -- central's schema on PostgreSQL (store_pg.c).  Internal.
 */
#ifndef AX_STORE_PG_H
#define AX_STORE_PG_H

#include <stddef.h>

#include "db.h"

int ax__pg_migrations_count(void);
/* Bring the database's schema to this program's version (*version set);
 * AX_DB_OK, or AX_DB_ERROR with err saying why (a newer schema included). */
int ax__pg_migrate(ax_db *db, int *version, char *err, size_t errlen);
/* The same, stopping at version `to` (tests: a database as an older
 * program left it, with rows, then migrated on). */
int ax__pg_migrate_to(ax_db *db, int to, int *version, char *err,
                      size_t errlen);

/* The central tables `anxin store copy` moves, in a safe order (parents
 * first) and the WHERE/ORDER tail to read each with; NULL past the last
 * (store_copy.c). */
const char *ax__copy_table(size_t i, const char **where);

#endif
