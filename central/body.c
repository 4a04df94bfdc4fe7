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

void ct_body_close(struct ct_body *b)
{
	free(b->inflated);
	memset(b, 0, sizeof *b);
}

int ct_body_open(struct ct_body *b, const char *data, size_t len, int gzip,
                 size_t max_inflated, size_t max_records, char *err,
                 size_t errlen)
{
	size_t bad;

	memset(b, 0, sizeof *b);
	b->text = data;
	if (gzip) {
		const char *why = "gzip";
		if (gunzip(data, len, max_inflated, &b->inflated, &len, &why)) {
			if (strstr(why, "limit"))
				snprintf(err, errlen, "inflated body is over the limit of "
				         "%zu bytes", max_inflated);
			else
				snprintf(err, errlen, "%s", why);
			return strstr(why, "limit") ? 413 : strstr(why, "memory") ? 503 : 400;
		}
		b->text = b->inflated;
	}
	b->len = len;
	/* UTF-8 in one pass; the line of the first bad byte is named */
	bad = ax_utf8_valid_prefix(b->text, len);
	if (bad < len) {
		long line = 1;
		for (size_t i = 0; i < bad; i++)
			line += b->text[i] == '\n';
		snprintf(err, errlen, "line %ld: not valid UTF-8", line);
		ct_body_close(b);
		return 400;
	}
	/* count the records before reading any */
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(b->text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - b->text) : len, l = end - pos;
		if (l && b->text[pos + l - 1] == '\r')
			l--;
		if (l && ++b->n > max_records) {
			snprintf(err, errlen, "more than %zu records in one request "
			         "(send smaller batches)", max_records);
			ct_body_close(b);
			return 413;
		}
		pos = end + 1;
	}
	if (b->n == 0) {
		snprintf(err, errlen, "line 1: no records in body");
		ct_body_close(b);
		return 400;
	}
	return 0;
}

int ct_body_next(struct ct_body *b, json_t **obj, char *err, size_t errlen)
{
	*obj = NULL;
	while (b->pos < b->len) {
		const char *nl = memchr(b->text + b->pos, '\n', b->len - b->pos);
		size_t end = nl ? (size_t)(nl - b->text) : b->len, l = end - b->pos;
		const char *line = b->text + b->pos;
		json_error_t jerr;
		json_t *o;

		b->lineno++;
		b->pos = end + 1;
		if (l && line[l - 1] == '\r')
			l--;
		if (l == 0)
			continue;
		o = json_loadb(line, l, JSON_REJECT_DUPLICATES, &jerr);
		if (!o || !json_is_object(o)) {
			snprintf(err, errlen, "line %ld: %s", b->lineno,
			         o ? "a record is a JSON object" : jerr.text);
			json_decref(o);
			return 400;
		}
		*obj = o;
		return 1;
	}
	return 0;
}
