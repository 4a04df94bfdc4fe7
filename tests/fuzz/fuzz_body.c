/*
 * fuzz_body -- the HTTP records body checks of anxin-central (gzip with a
 * bounded inflation, UTF-8, one JSON object per line).  The first byte
 * picks plain or gzip.
 *
 * Invariant (round trip): a plain body that parsed, gzipped with zlib
 * and parsed as gzip, gives the same records on the same lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "body.h"

/* gzip src into a new buffer (*out, *outlen); 0 on success */
static int gzip_mem(const char *src, size_t len, unsigned char **out,
                    size_t *outlen)
{
	z_stream z;
	size_t cap = compressBound((uLong)len) + 64;
	int rc;

	memset(&z, 0, sizeof z);
	if (!(*out = malloc(cap)))
		return -1;
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + 15, 8,
	                 Z_DEFAULT_STRATEGY) != Z_OK) {
		free(*out);
		return -1;
	}
	z.next_in = (unsigned char *)src;
	z.avail_in = (uInt)len;
	z.next_out = *out;
	z.avail_out = (uInt)cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END) {
		free(*out);
		return -1;
	}
	return 0;
}

/* the round trip of a plain body b that parsed from (text, len) */
static void check_gzip_round_trip(const char *text, size_t len,
                                  const struct ct_body *b)
{
	struct ct_body g;
	unsigned char *gz;
	size_t gzlen;
	char err[300];

	if (gzip_mem(text, len, &gz, &gzlen))
		abort();
	if (ct_body_parse((const char *)gz, gzlen, 1, 1 << 20, &g, err,
	                  sizeof err) != 0 || g.n != b->n)
		abort();
	for (size_t i = 0; i < b->n; i++)
		if (g.lines[i] != b->lines[i] || !json_equal(g.objs[i], b->objs[i]))
			abort();
	ct_body_free(&g);
	free(gz);
}

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
		if ((data[0] & 1) == 0)
			check_gzip_round_trip((const char *)data + 1, size - 1, &b);
		ct_body_free(&b);
	} else if (status != 400 && status != 413 && status != 503) {
		abort();
	} else if (!err[0]) {
		abort(); /* every refusal says why */
	}
	return 0;
}
