/*
 * records_pending.c -- a batch's new records written at its end, many rows
 * a statement (issue 19: on PostgreSQL every statement is a round trip,
 * and one INSERT a record was most of a batch's time).
 *
 * A record is queued here only when the prefetch (records_prefetch.c) read
 * whether its id is stored, after taking the locks of the households the
 * batch names: the importer then knows its outcome (new, or the same or
 * other content as the stored row) without asking, and queues the new
 * row.  Anything that must see the responses and contacts as they are
 * (an id the prefetch did not read, a household it did not lock, a
 * counted response taken back) flushes the queue first (records.c), so
 * the store never disagrees with what the importer decided.
 *
 * The flush is INSERT ... ON CONFLICT DO NOTHING (the id's own table
 * skips a stored id: records_sql.c) and checks that every row went in.
 * A row that did not was stored by another server between the prefetch
 * and the flush: only possible for a record no household
 * lock covers (an anonymous answer, a sealed number).  Its outcome was
 * decided as new and its counts are in the batch's tallies, so the whole
 * batch fails with AX_BUSY (503 to a device, which sends it again and
 * then gets duplicates): nothing double counted, nothing lost.
 */
#include <stdlib.h>
#include <string.h>

#include "records_int.h"

static const char *const pend_head[AX__PEND_N] = {
	/* the columns of ?1..?18 of records_sql.c's S_INS_RESP, in order */
	"INSERT INTO responses(id, survey, survey_version, wave, channel, "
	"device, household, region, started_at, completed_at, status, day, "
	"sat, score, body, received_at, topics, counted) VALUES",
	/* ?1..?10 of S_INS_CONTACT; visits_undone was read by the prefetch */
	"INSERT INTO contacts(id, household, channel, kind, pack, device, at, "
	"body, received_at, region) VALUES",
};
static const int pend_width[AX__PEND_N] = {18, 10};

void ax__vals_bind(ax_stmt *s, int first, const struct ax__val *v, int n)
{
	for (int k = 0; k < n; k++) {
		switch (v[k].type) {
		case 'i': ax_stmt_bind_int64(s, first + k, v[k].i); break;
		case 'd': ax_stmt_bind_double(s, first + k, v[k].d); break;
		case 't': ax_stmt_bind_text(s, first + k, v[k].s); break;
		default: ax_stmt_bind_null(s, first + k);
		}
	}
}

int ax__pend_add(ax_importer *im, int table, const struct ax__val *v)
{
	struct ax__pend *p = &im->pend[table];
	int w = pend_width[table];

	if (p->n + (size_t)w > p->cap) {
		size_t nc = p->cap ? p->cap * 2 : (size_t)w * 256;
		struct ax__val *nv = realloc(p->v, nc * sizeof *nv);
		if (!nv)
			return -1;
		p->v = nv;
		p->cap = nc;
	}
	for (int k = 0; k < w; k++) {
		struct ax__val *d = &p->v[p->n + (size_t)k];
		*d = v[k];
		if (d->type == 't' && !(d->s = strdup(v[k].s))) {
			while (k--)
				if (p->v[p->n + (size_t)k].type == 't')
					free(p->v[p->n + (size_t)k].s);
			return -1;
		}
	}
	p->n += (size_t)w;
	return 0;
}

static void clear_table(struct ax__pend *p)
{
	for (size_t k = 0; k < p->n; k++)
		if (p->v[k].type == 't')
			free(p->v[k].s);
	p->n = 0;
}

void ax__pend_clear(ax_importer *im)
{
	for (int t = 0; t < AX__PEND_N; t++)
		clear_table(&im->pend[t]);
}

void ax__pend_free(ax_importer *im)
{
	ax__pend_clear(im);
	for (int t = 0; t < AX__PEND_N; t++) {
		free(im->pend[t].v);
		im->pend[t].v = NULL;
		im->pend[t].cap = 0;
	}
}

struct pend_ctx {
	const struct ax__pend *p;
	int table, width;
};

/* head, then rows of (?, ... width of them), then ON CONFLICT; malloc'd */
static char *pend_sql(const void *ctx, int rows)
{
	const struct pend_ctx *c = ctx;
	const char *head = pend_head[c->table];
	return ax__values_sql(head, strlen(head), rows, c->width,
	                      " ON CONFLICT DO NOTHING");
}

static void pend_bind(ax_stmt *s, int r, size_t i, const void *ctx)
{
	const struct pend_ctx *c = ctx;
	ax__vals_bind(s, r * c->width + 1, &c->p->v[i * (size_t)c->width],
	              c->width);
}

ax_rc ax__pend_flush(ax_importer *im)
{
	for (int t = 0; t < AX__PEND_N; t++) {
		struct ax__pend *p = &im->pend[t];
		struct pend_ctx pc = {p, t, pend_width[t]};
		size_t rows = p->n / (size_t)pend_width[t];
		long long wrote = 0;
		struct ax__chunks c = {.stmts = im->tm[9 + t], .sql = pend_sql,
		                       .bind = pend_bind, .ctx = &pc,
		                       .what = t ? "contacts" : "responses",
		                       .changes = &wrote};
		ax_rc rc;

		if (!rows)
			continue;
		if ((rc = ax__chunks_run(im, &c, rows)))
			return rc;
		if (wrote != (long long)rows) {
			ax__store_seterr(im->st,
			                 "%lld of this batch's %s were stored by another "
			                 "server while it was imported; nothing of the "
			                 "batch was stored, send it again",
			                 (long long)rows - wrote, c.what);
			return AX_BUSY;
		}
		clear_table(p);
	}
	return AX_OK;
}
