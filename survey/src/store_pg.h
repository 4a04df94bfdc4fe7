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

#endif
