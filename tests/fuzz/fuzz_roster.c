/*
 * fuzz_roster -- the roster CSV importer (encoding detection, libcsv,
 * header mapping, phone normalisation) on an in-memory store built once
 * per process (fuzz_store.h).
 *
 * Invariant (idempotence): the same file imported a second time inserts
 * nothing, rejects the same rows, and leaves every household, grid,
 * member count, active flag and phone as the first import left them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/roster.h"
#include "fuzz_store.h"

static ax_store *st;

static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	if (!msg || !msg[0])
		abort(); /* every message names something */
}

/* A digest of the roster's rows (not of updated_at): FNV-1a over a dump. */
static uint64_t roster_digest(void)
{
	static const char sql[] =
	    "SELECT h.id, h.grid, IFNULL(h.members, -1), h.active, "
	    " (SELECT group_concat(phone, ',') FROM (SELECT phone FROM household_phones "
	    "   WHERE household = h.id ORDER BY phone)) FROM households h ORDER BY h.id";
	sqlite3_stmt *q;
	uint64_t h = 14695981039346656037u;

	if (sqlite3_prepare_v2(ax__store_db(st), sql, -1, &q, NULL) != SQLITE_OK)
		abort();
	while (sqlite3_step(q) == SQLITE_ROW)
		for (int c = 0; c < 5; c++) {
			const unsigned char *t = sqlite3_column_text(q, c);
			for (; t && *t; t++)
				h = (h ^ *t) * 1099511628211u;
			h = (h ^ 0x1f) * 1099511628211u;
		}
	sqlite3_finalize(q);
	return h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_roster_stats s1, s2;
	uint64_t d1;

	if (!st) {
		if (ax_store_open(":memory:", AX_STORE_CREATE, &st, NULL, 0))
			abort();
		fz_snapshot(st);
	}
	fz_reset(st);
	memset(&s1, 0, sizeof s1);
	if (ax_roster_import_mem(st, "fuzz.csv", (const char *)data, size, NULL,
	                         diag, NULL, &s1) != AX_OK)
		return 0; /* refused whole: nothing to import twice */
	if (s1.inserted + s1.updated + s1.unchanged + s1.rejected > s1.rows)
		abort();
	d1 = roster_digest();
	memset(&s2, 0, sizeof s2);
	if (ax_roster_import_mem(st, "fuzz.csv", (const char *)data, size, NULL,
	                         diag, NULL, &s2) != AX_OK)
		abort(); /* accepted once, must be accepted again */
	if (s2.inserted != 0 || s2.rejected != s1.rejected || s2.rows != s1.rows ||
	    roster_digest() != d1)
		abort();
	return 0;
}
