/*
 * records_camp.c -- the campaigns the importer asks about for every
 * response (which campaign's wave a record without one belongs to, whether
 * a wave is a campaign's of the survey, whether its campaign closed before
 * the record arrived), read once per transaction and answered from memory:
 * on PostgreSQL each of those questions was a round trip per record.  A
 * county has tens of campaigns a year, a province some thousands: a few
 * rows per batch, never the responses.
 *
 * Read at the first question of a transaction and forgotten at its end
 * (ax__camps_clear at begin, commit and rollback), so a campaign created
 * or closed between two batches is seen by the next.  On SQLite nothing
 * else writes while the batch holds the write lock; on PostgreSQL a
 * campaign another server creates or closes during a batch is seen by the
 * next batch, as if this one had run just before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/auth.h"
#include "records_int.h"

struct ax_camp {
	char *survey, *wave, *scope;
	int has_survey, closed_set; /* survey, closed_at not NULL */
	int64_t starts, ends, closed;
};

void ax__camps_clear(ax_importer *im)
{
	for (size_t i = 0; i < im->ncamps; i++)
		free(im->camps[i].survey); /* wave and scope share its block */
	free(im->camps);
	im->camps = NULL;
	im->ncamps = 0;
	im->camps_loaded = 0;
}

/* 0 loaded (or already), -1 on a store error or no memory */
static int camps_load(ax_importer *im)
{
	ax_stmt *s = im->t[S_CAMPAIGNS];
	size_t cap = 0;
	int src;

	if (im->camps_loaded)
		return 0;
	ax_stmt_reset(s);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		const char *sv = ax_stmt_text(s, 0), *w = ax_stmt_text(s, 1),
		           *sc = ax_stmt_text(s, 2);
		size_t a = strlen(sv ? sv : "") + 1, b = strlen(w) + 1, c = strlen(sc) + 1;
		struct ax_camp *e;
		if (im->ncamps == cap) {
			size_t n = cap ? cap * 2 : 16;
			struct ax_camp *v = realloc(im->camps, n * sizeof *v);
			if (!v)
				break;
			im->camps = v;
			cap = n;
		}
		e = &im->camps[im->ncamps];
		if (!(e->survey = malloc(a + b + c)))
			break;
		im->ncamps++;
		memcpy(e->survey, sv ? sv : "", a);
		e->wave = memcpy(e->survey + a, w, b);
		e->scope = memcpy(e->wave + b, sc, c);
		e->starts = ax_stmt_int64(s, 3);
		e->ends = ax_stmt_int64(s, 4);
		e->has_survey = sv != NULL;
		e->closed_set = !ax_stmt_is_null(s, 5);
		e->closed = ax_stmt_int64(s, 5);
	}
	ax_stmt_reset(s);
	if (src != AX_DB_DONE) {
		ax__camps_clear(im);
		return -1;
	}
	im->camps_loaded = 1;
	return 0;
}

int ax__camp_wave(ax_importer *im, const char *survey, const char *place,
                  int64_t at, char out[64])
{
	int found = 0;
	if (camps_load(im))
		return 0;
	for (size_t i = 0; i < im->ncamps; i++) {
		const struct ax_camp *c = &im->camps[i];
		if (!c->has_survey || strcmp(c->survey, survey) || c->starts > at || c->ends <= at ||
		    !ax_scope_covers(c->scope, place))
			continue;
		if (found++)
			break;
		snprintf(out, 64, "%s", c->wave);
	}
	return found == 1;
}

int ax__camp_has_wave(ax_importer *im, const char *wave, const char *survey)
{
	if (camps_load(im))
		return 0;
	for (size_t i = 0; i < im->ncamps; i++)
		if (!strcmp(im->camps[i].wave, wave) && im->camps[i].has_survey &&
		    !strcmp(im->camps[i].survey, survey))
			return 1;
	return 0;
}

int ax__camp_closed_before(ax_importer *im, const char *wave, int64_t t)
{
	if (camps_load(im))
		return -1;
	for (size_t i = 0; i < im->ncamps; i++)
		if (!strcmp(im->camps[i].wave, wave) && im->camps[i].closed_set &&
		    im->camps[i].closed < t)
			return 1;
	return 0;
}
