/*
 * body.c -- whole-body checks of a records upload (see body.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "anxin/text.h"
#include "body.h"

/* Inflate a gzip stream, refusing to grow past max. */
static int gunzip(const char *in, size_t inlen, size_t max, char **out,
                  size_t *outlen, const char **why)
{
	z_stream z;
	size_t cap = inlen * 4 + 1024;
	char *buf;
	int zr;

	memset(&z, 0, sizeof z);
	if (cap > max + 1)
		cap = max + 1;
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		*why = "zlib init failed";
		return -1;
	}
	if (!(buf = malloc(cap + 1))) {
		inflateEnd(&z);
		*why = "out of memory";
		return -1;
	}
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)inlen;
	for (;;) {
		z.next_out = (Bytef *)buf + z.total_out;
		z.avail_out = (uInt)(cap - z.total_out);
		zr = inflate(&z, Z_NO_FLUSH);
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK && zr != Z_BUF_ERROR) {
			*why = "gzip body is corrupt";
			goto fail;
		}
		if (z.avail_in == 0 && z.avail_out > 0) {
			*why = "gzip body is truncated";
			goto fail;
		}
		if (z.total_out >= max) {
			*why = "inflated body is over the limit";
			goto fail;
		}
		if (z.avail_out == 0) {
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *p = realloc(buf, ncap + 1);
			if (!p) {
				*why = "out of memory";
				goto fail;
			}
			buf = p;
			cap = ncap;
		}
	}
	*outlen = z.total_out;
	buf[*outlen] = '\0';
	*out = buf;
	inflateEnd(&z);
	return 0;
fail:
	free(buf);
	inflateEnd(&z);
	return -1;
}

void ct_body_free(struct ct_body *b)
{
	for (size_t i = 0; i < b->n; i++)
		json_decref(b->objs[i]);
	free(b->objs);
	free(b->lines);
	memset(b, 0, sizeof *b);
}

int ct_body_parse(const char *data, size_t len, int gzip, size_t max_inflated,
                  struct ct_body *out, char *err, size_t errlen)
{
	const char *text = data;
	char *inflated = NULL;
	size_t cap = 0, bad;
	long lineno = 0;
	int status = 0;

	memset(out, 0, sizeof *out);
	if (gzip) {
		const char *why = "gzip";
		if (gunzip(data, len, max_inflated, &inflated, &len, &why)) {
			snprintf(err, errlen, "%s", why);
			return strstr(why, "limit") ? 413 : strstr(why, "memory") ? 503 : 400;
		}
		text = inflated;
	}
	/* UTF-8 in one pass; the line of the first bad byte is named */
	bad = ax_utf8_valid_prefix(text, len);
	if (bad < len) {
		long line = 1;
		for (size_t i = 0; i < bad; i++)
			line += text[i] == '\n';
		snprintf(err, errlen, "line %ld: not valid UTF-8", line);
		status = 400;
		goto done;
	}
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, l = end - pos;
		json_error_t jerr;
		json_t *o;
		lineno++;
		if (l && text[pos + l - 1] == '\r')
			l--;
		if (l == 0) {
			pos = end + 1;
			continue;
		}
		o = json_loadb(text + pos, l, JSON_REJECT_DUPLICATES, &jerr);
		if (!o || !json_is_object(o)) {
			snprintf(err, errlen, "line %ld: %s", lineno,
			         o ? "a record is a JSON object" : jerr.text);
			json_decref(o);
			status = 400;
			goto done;
		}
		if (out->n == cap) {
			size_t ncap = cap ? cap * 2 : 256;
			json_t **no = realloc(out->objs, sizeof *no * ncap);
			long *nl2;
			if (no)
				out->objs = no;
			nl2 = no ? realloc(out->lines, sizeof *nl2 * ncap) : NULL;
			if (!no || !nl2) {
				json_decref(o);
				snprintf(err, errlen, "out of memory");
				status = 503;
				goto done;
			}
			out->lines = nl2;
			cap = ncap;
		}
		out->lines[out->n] = lineno;
		out->objs[out->n++] = o;
		pos = end + 1;
	}
	if (out->n == 0) {
		snprintf(err, errlen, "line 1: no records in body");
		status = 400;
	}
done:
	if (status)
		ct_body_free(out);
	free(inflated);
	return status;
}
