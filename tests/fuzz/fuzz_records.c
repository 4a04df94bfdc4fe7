/*
 * fuzz_records -- the records JSON-lines parser and importer.  Every
 * input is imported in one batch and rolled back, so the store stays the
 * small fixture made at start-up.
 *
 * Invariant (idempotence): a line the importer accepted, imported again
 * at once, is a duplicate -- never accepted twice, never a conflict with
 * itself.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anxin/content.h"
#include "anxin/records.h"
#include "anxin/roster.h"

static ax_importer *im;

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800138000,3\n"
    "H2,439901101000,439901101202,439901101202001,13900139000,2\n";

static char tmpl[] = "/tmp/anxin-fuzz-records-XXXXXX";

/* the store's folder goes when libFuzzer exits (it left one per run) */
static void cleanup(void)
{
	static const char *const files[] = {"f.db", "f.db-wal", "f.db-shm",
	                                     "f.db-journal"};
	char path[64];
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", tmpl, files[i]);
		unlink(path);
	}
	rmdir(tmpl);
}

static void setup(void)
{
	const char *src = getenv("ANXIN_SOURCE");
	char dir[1024], path[1024];
	ax_store *st;
	ax_content *c;
	int nerr;

	if (!mkdtemp(tmpl))
		abort();
	atexit(cleanup);
	snprintf(path, sizeof path, "%s/f.db", tmpl);
	if (ax_store_open(path, AX_STORE_CREATE, &st, NULL, 0) ||
	    ax_roster_import_mem(st, "r.csv", roster, sizeof roster - 1, NULL, NULL,
	                         NULL, NULL))
		abort();
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src ? src : ".");
	if (ax_content_load_dir(dir, NULL, NULL, &nerr, &c) || nerr ||
	    ax_content_install(st, c, NULL))
		abort();
	ax_content_free(c);
	if (ax_importer_new(st, &im))
		abort();
	/* st stays open for the process lifetime: the importer uses it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct ax_rec_outcome out;

	if (!im)
		setup();
	if (ax_importer_begin(im))
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (ax_importer_line(im, p, len, "fuzz", &out) != 0)
			break;
		if (out.result == AX_REC_REJECTED && out.reason[0] == '\0')
			abort(); /* a rejection must say why */
		if (out.result == AX_REC_ACCEPTED &&
		    (ax_importer_line(im, p, len, "fuzz", &out) != 0 ||
		     out.result != AX_REC_DUPLICATE))
			abort();
		p += len + (nl != NULL);
	}
	ax_importer_rollback(im);
	return 0;
}
