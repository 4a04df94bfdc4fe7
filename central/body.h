/*
 * body.h -- a records body, checked as a whole and then read one record
 * at a time: optional gzip (bounded inflation), UTF-8, a bounded number
 * of lines, each one JSON object.  Pure (no HTTP, no store), so it can be
 * fuzzed.  Only one record is ever parsed at a time: a body's memory is
 * its text (at most max_inflated bytes) plus one JSON object.
 */
#ifndef ANXIN_CENTRAL_BODY_H
#define ANXIN_CENTRAL_BODY_H

#include <jansson.h>
#include <stddef.h>

struct ct_body {
	const char *text; /* the (inflated) body */
	size_t len, pos;
	char *inflated;   /* owned, when gzip */
	long lineno;      /* of the last record read */
	size_t n;         /* non-empty lines (records) */
};

/*
 * Open data[0..len) (borrowed; must outlive the body).  gzip: the data
 * is a gzip stream, which may inflate to at most max_inflated bytes.
 * Checks UTF-8 and counts the records, at most max_records.  Returns 0,
 * or an HTTP status (400, 413, 503) with a message naming the line in
 * err; on failure nothing needs freeing.
 */
int ct_body_open(struct ct_body *b, const char *data, size_t len, int gzip,
                 size_t max_inflated, size_t max_records, char *err,
                 size_t errlen);
/*
 * The next record: 1 and *obj (a new reference) with its 1-based line in
 * b->lineno; 0 at the end; or 400 with "line N: why" in err when a line
 * is not a JSON object.
 */
int ct_body_next(struct ct_body *b, json_t **obj, char *err, size_t errlen);
void ct_body_close(struct ct_body *b);

#endif
