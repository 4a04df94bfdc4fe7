/*
 * fuzz_visits -- the paper-visits CSV importer (encoding, libcsv, dates,
 * headers) over a small fixed roster.  The store is built once per
 * process and put back before each input (fuzz_store.h), so inputs never
 * see each other's visits.
 *
 * Invariant (idempotence): the same file imported a second time stores
 * nothing new -- every visit it accepted the first time is a duplicate --
 * and rejects the same rows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/ledger.h"
#include "anxin/roster.h"
#include "fuzz_store.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800138000,3\n"
    "H2,439901101000,439901101202,439901101202001,13900139000,2\n";

static ax_store *st;

static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	if (!msg || !msg[0])
		abort(); /* every message names something */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ax_visits_stats s1, s2;

	if (!st) {
		if (ax_store_open(":memory:", AX_STORE_CREATE, &st, NULL, 0) ||
		    ax_roster_import_mem(st, "r.csv", roster, sizeof roster - 1, NULL,
		                         NULL, NULL, NULL))
			abort();
		fz_snapshot(st);
	}
	fz_reset(st);
	memset(&s1, 0, sizeof s1);
	if (ax_visits_import_mem(st, "fuzz.csv", (const char *)data, size, NULL,
	                         diag, NULL, &s1) != AX_OK)
		return 0;
	if (s1.accepted + s1.duplicate + s1.conflict + s1.rejected > s1.rows)
		abort();
	memset(&s2, 0, sizeof s2);
	if (ax_visits_import_mem(st, "fuzz.csv", (const char *)data, size, NULL,
	                         diag, NULL, &s2) != AX_OK)
		abort();
	if (s2.accepted != 0 || s2.rejected != s1.rejected ||
	    s2.duplicate < s1.accepted)
		abort();
	return 0;
}
