/*
 * fuzz_body -- the HTTP records body checks of anxin-central (gzip with a
 * bounded inflation, UTF-8, a bounded number of records, one JSON object
 * per line, read one at a time).  The first byte picks plain or gzip.
 *
 * Invariants: an opened body yields 1 to max_records records, each a JSON
 * object on a line >= 1, or stops at a line with 400 and a reason; every
 * refusal says why.  Round trip: a plain body, gzipped with zlib and read
 * as gzip, gives the same records on the same lines and ends the same.
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

#define MAXREC 1000

/* Read the whole body: the records' count, and the end status (0 or 400).
 * With other (a gzip reading of the same text) read alongside, every
 * record and line must be the same in both. */
static int read_all(struct ct_body *b, struct ct_body *other, size_t *n)
{
	json_t *o, *p;
	char err[300], err2[300];
	int st, st2;

	*n = 0;
	while ((st = ct_body_next(b, &o, err, sizeof err)) == 1) {
		if (!json_is_object(o) || b->lineno < 1)
			abort();
		if (other) {
			if (ct_body_next(other, &p, err2, sizeof err2) != 1 ||
			    other->lineno != b->lineno || !json_equal(o, p))
				abort();
			json_decref(p);
		}
		json_decref(o);
		(*n)++;
	}
	if (st != 0 && (st != 400 || !err[0]))
		abort();
	if (other && (st2 = ct_body_next(other, &p, err2, sizeof err2)) != st)
		abort();
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ct_body b, g;
	unsigned char *gz;
	size_t gzlen, n;
	char err[300];
	int status;

	if (size < 1)
		return 0;
	err[0] = '\0';
	status = ct_body_open(&b, (const char *)data + 1, size - 1, data[0] & 1,
	                      1 << 20, MAXREC, err, sizeof err);
	if (status == 0) {
		if (b.n == 0 || b.n > MAXREC)
			abort(); /* success means 1 to max_records records */
		if ((data[0] & 1) == 0) {
			if (gzip_mem((const char *)data + 1, size - 1, &gz, &gzlen) ||
			    ct_body_open(&g, (const char *)gz, gzlen, 1, 1 << 20, MAXREC,
			                 err, sizeof err) != 0 || g.n != b.n)
				abort();
			status = read_all(&b, &g, &n);
			ct_body_close(&g);
			free(gz);
		} else {
			status = read_all(&b, NULL, &n);
		}
		if (n > b.n || (status == 0 && n != b.n))
			abort();
		ct_body_close(&b);
	} else if (status != 400 && status != 413 && status != 503) {
		abort();
	} else if (!err[0]) {
		abort(); /* every refusal says why */
	}
	return 0;
}
