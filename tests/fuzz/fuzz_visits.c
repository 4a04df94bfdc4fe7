/*
 * fuzz_visits -- the paper-visits CSV importer (encoding, libcsv, dates,
 * headers) over a small fixed roster.  Each input runs on a fresh
 * in-memory store, so runs do not influence each other.
 */
#include <stdint.h>
#include <stdlib.h>

#include "anxin/ledger.h"
#include "anxin/roster.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800138000,3\n"
    "H2,439901101000,439901101202,439901101202001,13900139000,2\n";

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
	struct ax_visits_stats s;

	if (ax_store_open(":memory:", AX_STORE_CREATE, &st, NULL, 0) ||
	    ax_roster_import_mem(st, "r.csv", roster, sizeof roster - 1, NULL, NULL,
	                         NULL, NULL))
		abort();
	ax_visits_import_mem(st, "fuzz.csv", (const char *)data, size, NULL, diag,
	                     NULL, &s);
	ax_store_close(st);
	return 0;
}
