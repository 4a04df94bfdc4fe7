/*
 * body.h -- checking a records body as a whole before anything is
 * written: optional gzip (bounded inflation), UTF-8, one JSON object per
 * line.  Pure (no HTTP, no store), so it can be fuzzed.
 */
#ifndef ANXIN_CENTRAL_BODY_H
#define ANXIN_CENTRAL_BODY_H

#include <jansson.h>
#include <stddef.h>

struct ct_body {
	json_t **objs; /* one per non-empty line, owned */
	long *lines;   /* their 1-based line numbers */
	size_t n;
};

/*
 * Parse data[0..len) (borrowed).  gzip: the data is a gzip stream, which
 * may inflate to at most max_inflated bytes.  Returns 0 and fills out, or
 * an HTTP status (400, 413, 503) with a message naming the line in err.
 * On failure out is empty.  Free with ct_body_free.
 */
int ct_body_parse(const char *data, size_t len, int gzip, size_t max_inflated,
                  struct ct_body *out, char *err, size_t errlen);
void ct_body_free(struct ct_body *b);

#endif
