/*
 * fuzz_content -- the pack and survey loader/linter.  The first byte
 * picks pack or survey; the rest is the file text.
 *
 * Invariant (idempotence): what loaded installs into a store, and
 * installing it a second time adds no version and is no conflict.  The
 * store is built once per process and put back before each input
 * (fuzz_store.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/content.h"
#include "fuzz_store.h"

static ax_store *st;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ax_content *c;
	char *text;
	int nerr;

	if (size < 1)
		return 0;
	if (!st) {
		if (ax_store_open(":memory:", AX_STORE_CREATE, &st, NULL, 0))
			abort();
		fz_snapshot(st);
	}
	text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (ax_content_load_text("fuzz.json", (data[0] & 1) ? "pack" : "survey",
	                         text, NULL, NULL, &nerr, &c) == 0) {
		/* what loaded must have validated */
		if (nerr == 0 && ax_content_npacks(c) + ax_content_nsurveys(c) != 1)
			abort();
		if (nerr == 0) {
			int added = -1;
			fz_reset(st);
			if (ax_content_install(st, c, &added) == AX_OK &&
			    (ax_content_install(st, c, &added) != AX_OK || added != 0))
				abort();
		}
		ax_content_free(c);
	}
	free(text);
	return 0;
}
