/*
 * store_cmd.c -- `anxin store copy --from county.db --to postgresql://…`:
 * a county's SQLite store into a PostgreSQL database, empty or holding
 * other counties (issue 19; ax_store_copy_pg), and `--from postgresql://… --to county.db` the way
 * back into a new SQLite file (ax_store_copy_from_pg), all of it or one
 * county's rows (--county CODE: the county leaving).  Prints each
 * table's rows written (a merge: the rows new to the database).  The file is opened as any command opens it (an older
 * schema is migrated first).
 */
#include <stdio.h>
#include <string.h>

#include "anxin/anxin.h"
#include "anxin/store.h"

int cli_store(int argc, char **argv, int quiet);

/* A PostgreSQL URL, as the library reads one (libpq's URI forms). */
static int is_pg(const char *url)
{
	return !strncmp(url, "postgresql://", 13) || !strncmp(url, "postgres://", 11);
}

static void copied(void *ctx, const char *table, long long rows)
{
	if (!*(int *)ctx)
		printf("%-18s %lld\n", table, rows);
}

/* anxin store remove --db postgresql://… --county CODE */
static int store_remove(int argc, char **argv, int quiet)
{
	const char *db = NULL, *county = NULL;
	ax_store *st;
	char err[512];
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db"))
			db = argv[i + 1];
		else if (!strcmp(argv[i], "--county"))
			county = argv[i + 1];
		else
			db = county = NULL, i = argc;
	}
	if (argc % 2 || !db || !county || !is_pg(db)) {
		fprintf(stderr, "usage: anxin store remove --db postgresql://… --county "
		                "CODE\n");
		return 2;
	}
	if (ax_store_open(db, 0, &st, err, sizeof err)) {
		fprintf(stderr, "anxin: %s\n", err);
		return 3;
	}
	ax_rc rc = ax_store_remove_county(st, county, copied, &quiet);
	if (rc)
		fprintf(stderr, "anxin: store remove: %s\n", ax_store_errmsg(st));
	ax_store_close(st);
	return rc ? 3 : 0;
}

int cli_store(int argc, char **argv, int quiet)
{
	const char *from = NULL, *to = NULL, *county = NULL;
	ax_store *st = NULL;
	char err[512];

	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--from"))
			from = argv[i + 1];
		else if (!strcmp(argv[i], "--to"))
			to = argv[i + 1];
		else if (!strcmp(argv[i], "--county"))
			county = argv[i + 1];
		else
			from = to = NULL, i = argc;
	}
	if (argc >= 2 && !strcmp(argv[1], "remove"))
		return store_remove(argc, argv, quiet);
	if (argc < 2 || strcmp(argv[1], "copy") || argc % 2 || !from || !to) {
		fprintf(stderr, "usage: anxin store copy --from FILE --to postgresql://…\n"
		                "       anxin store copy --from postgresql://… --to "
		                "NEW-FILE [--county CODE]\n"
		                "       anxin store remove --db postgresql://… --county "
		                "CODE\n");
		return 2;
	}
	/* the way back: the database into a new SQLite file */
	int back = is_pg(from) && !is_pg(to);
	if (county && !back) {
		fprintf(stderr, "anxin: store copy: --county picks a county of a "
		                "PostgreSQL database (--from postgresql://…)\n");
		return 2;
	}
	if (ax_store_open(back ? to : from, back ? AX_STORE_CREATE : 0, &st, err,
	                  sizeof err)) {
		fprintf(stderr, "anxin: %s\n", err);
		return 3;
	}
	ax_rc rc = back ? ax_store_copy_county_from_pg(st, from, county, copied, &quiet)
	                : ax_store_copy_pg(st, to, copied, &quiet);
	if (rc)
		fprintf(stderr, "anxin: store copy: %s\n", ax_store_errmsg(st));
	ax_store_close(st);
	return rc ? 3 : 0; /* anxin.c's EXIT_FAIL */
}
