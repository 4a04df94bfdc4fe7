/*
 * fuzz_roster -- the roster CSV importer (encoding detection, libcsv,
 * header mapping, phone normalisation) on an in-memory store.
 */
#include <stdint.h>
#include <stdlib.h>

#include "anxin/roster.h"

static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	if (!msg || !msg[0])
		abort(); /* every message names something */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ax_store *st;
	struct ax_roster_stats s;

	if (ax_store_open(":memory:", AX_STORE_CREATE, &st, NULL, 0))
		abort();
	ax_roster_import_mem(st, "fuzz.csv", (const char *)data, size, NULL, diag,
	                     NULL, &s);
	if (s.inserted + s.updated + s.unchanged + s.rejected > s.rows)
		abort();
	ax_store_close(st);
	return 0;
}
