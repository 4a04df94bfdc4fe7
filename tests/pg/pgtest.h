/*
 * pgtest.h -- for the tests on the `pg` fixture's cluster: a database of
 * the test's own, so tests running at once never meet each other's tables.
 */
#ifndef AX_PGTEST_H
#define AX_PGTEST_H

#include "anxin/store.h"
#include "anxin_int.h"
#include "db.h"
#include "check.h"

/* The URL of a fresh database NAME (dropped first) on the cluster whose
 * URL is in the file urlfile (tests/pg/cluster.sh writes it). */
static inline void pgt_own_db(const char *urlfile, const char *name, char *url,
                              size_t n)
{
	char err[512], sql[128];
	ax_db *db;
	FILE *f = fopen(urlfile, "r");
	REQUIRE(f && fgets(url, (int)n, f));
	fclose(f);
	url[strcspn(url, "\n")] = '\0';
	REQUIRE(ax_db_open(url, &db, err, sizeof err) == AX_DB_OK);
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	REQUIRE(ax_db_exec(db, sql) == AX_DB_OK);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	REQUIRE(ax_db_exec(db, sql) == AX_DB_OK);
	ax_db_close(db);
	char *slash = strrchr(url, '/');
	REQUIRE(slash);
	snprintf(slash + 1, n - (size_t)(slash + 1 - url), "%s", name);
}

/* The store under test of a test that runs on either backend: `seed`
 * itself when urlfile is NULL (SQLite), else a copy of it (anxin store
 * copy) in a fresh database NAME on the fixture's cluster, opened. */
static inline ax_store *pgt_store(ax_store *seed, const char *urlfile,
                                  const char *name)
{
	char url[512], err[512] = "";
	ax_store *st = NULL;
	if (!urlfile) {
		REQUIRE(!ax__store_is_pg(seed));
		return seed;
	}
	pgt_own_db(urlfile, name, url, sizeof url);
	REQUIRE(ax_store_copy_pg(seed, url, NULL, NULL) == AX_OK);
	if (ax_store_open(url, AX_STORE_CREATE, &st, err, sizeof err) != AX_OK) {
		fprintf(stderr, "%s\n", err);
		REQUIRE(0);
	}
	REQUIRE(ax__store_is_pg(st));
	return st;
}

#endif
