/*
 * fuzz_store.h -- one store per fuzzing process, put back to its start-up
 * state before every input.
 *
 * Opening a store builds its whole schema (and a fixture roster): done per
 * input, that is nearly all a target's time (~3,000 executions per run).
 * Instead a target builds its store once, fz_snapshot() copies it into a
 * second in-memory database, and fz_reset() copies it back with SQLite's
 * backup API before each input: a page copy of a few dozen pages, so
 * inputs still never see each other's rows.  Header-only: each target is
 * its own program.
 */
#ifndef AX_FUZZ_STORE_H
#define AX_FUZZ_STORE_H

#include <sqlite3.h>
#include <stdlib.h>

#include "anxin/store.h"
#include "anxin_int.h"

static sqlite3 *fz_template;

/* copy src's "main" into dst's "main"; aborts on any failure */
static void fz_copy(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");

	if (!b || sqlite3_backup_step(b, -1) != SQLITE_DONE ||
	    sqlite3_backup_finish(b) != SQLITE_OK)
		abort();
}

/* Remember st as it is now (call once, after building the fixture). */
static void fz_snapshot(ax_store *st)
{
	if (sqlite3_open(":memory:", &fz_template) != SQLITE_OK)
		abort();
	fz_copy(fz_template, ax__store_db(st));
}

/* Put st back to what fz_snapshot saw. */
static void fz_reset(ax_store *st)
{
	fz_copy(ax__store_db(st), fz_template);
}

#endif
