/*
 * demo.h -- synthetic records for the demo and the benchmarks: plausible
 * answers from the installed surveys for the households of the roster,
 * deterministic from a seed.
 */
#ifndef ANXIN_DEMO_H
#define ANXIN_DEMO_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ax_demo_opts {
	unsigned long long seed;
	long count;          /* records to generate */
	long long start;     /* epoch of the first day */
	int days;            /* spread over this many days */
	double reach;        /* share of households to contact, 0..1 */
	/* a sampled 测评 campaign's id (sample.h), or NULL: its survey is then
	 * answered only by its drawn households, in its wave, by SMS within
	 * its window, and never as a self-selected (monitoring) answer.  Of
	 * the drawn households about 8 % are never confirmed delivered, 22 %
	 * get the message and do not reply, 6 % reply without answering, 6 %
	 * stop half-way and the rest complete it.  Without it the records are
	 * what they always were for a seed. */
	const char *sampled;
	const char *device;  /* every record as this SMS gateway sends it
	                      * (channel sms, sms_* contacts); NULL: the
	                      * demo's mix of channels and devices */
};

/* Called once per record with one JSON line (borrowed, no newline).
 * Return non-zero to stop. */
typedef int (*ax_demo_emit_fn)(void *ctx, const char *line, size_t len);

/* Generate records from the roster and surveys installed in st. */
ax_rc ax_demo_records(ax_store *st, const struct ax_demo_opts *opts,
                      ax_demo_emit_fn emit, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
