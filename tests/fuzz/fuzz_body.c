/*
 * fuzz_body -- the HTTP records body checks of anxin-central (gzip with a
 * bounded inflation, UTF-8, one JSON object per line).  The first byte
 * picks plain or gzip.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "body.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_body b;
	char err[300];
	int status;

	if (size < 1)
		return 0;
	status = ct_body_parse((const char *)data + 1, size - 1, data[0] & 1,
	                       1 << 20, &b, err, sizeof err);
	if (status == 0) {
		if (b.n == 0)
			abort(); /* success means at least one record */
		for (size_t i = 0; i < b.n; i++)
			if (!json_is_object(b.objs[i]) || b.lines[i] < 1)
				abort();
		ct_body_free(&b);
	} else if (status != 400 && status != 413 && status != 503) {
		abort();
	} else if (!err[0]) {
		abort(); /* every refusal says why */
	}
	return 0;
}
