/*
 * records_memo.c -- the importer's memory of the households a
 * transaction has looked up (records.c asks it for each record's grid).
 */
#include <stdlib.h>
#include <string.h>

#include "anxin_int.h"
#include "records_int.h"

/* ---- households seen in this transaction ------------------------------
 * Every record names its household and each needs its grid; a batch of a
 * file import names most of the roster several times.  Remembered only
 * within one transaction, which holds the write lock, so the roster cannot
 * change underneath; cleared at every begin, commit and rollback (by
 * bumping the generation: O(1), no sweep of the table). */
static unsigned hh_hash(const char *s)
{
	unsigned h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

struct hh_memo *ax__hh_memo_find(ax_importer *im, const char *hh)
{
	unsigned h;
	if (!im->hmcount)
		return NULL;
	h = hh_hash(hh);
	for (size_t i = h & (im->hmn - 1);; i = (i + 1) & (im->hmn - 1)) {
		struct hh_memo *m = &im->hm[i];
		if (m->gen != im->hmgen)
			return NULL;
		if (m->hash == h && strcmp(m->id, hh) == 0)
			return m;
	}
}

static void hh_memo_slot(struct hh_memo *tab, size_t n, unsigned gen,
                         const struct hh_memo *e)
{
	size_t i = e->hash & (n - 1);
	while (tab[i].gen == gen)
		i = (i + 1) & (n - 1);
	tab[i] = *e;
}

static void hh_memo_put(ax_importer *im, const char *hh, const char *grid)
{
	struct hh_memo e;
	if (strlen(hh) >= sizeof e.id || strlen(grid) >= sizeof e.grid)
		return;
	if ((im->hmcount + 1) * 4 > im->hmn * 3) { /* keep the load under 3/4 */
		size_t n = im->hmn ? im->hmn * 2 : 1024;
		struct hh_memo *tab = calloc(n, sizeof *tab); /* gen 0: empty */
		if (!tab)
			return;
		for (size_t i = 0; i < im->hmn; i++)
			if (im->hm[i].gen == im->hmgen)
				hh_memo_slot(tab, n, im->hmgen, &im->hm[i]);
		free(im->hm);
		im->hm = tab;
		im->hmn = n;
	}
	memset(&e, 0, sizeof e);
	e.gen = im->hmgen;
	e.hash = hh_hash(hh);
	strcpy(e.id, hh);
	strcpy(e.grid, grid);
	hh_memo_slot(im->hm, im->hmn, im->hmgen, &e);
	im->hmcount++;
}

void ax__hh_memo_put(ax_importer *im, const char *hh, const char *grid)
{
	hh_memo_put(im, hh, grid);
}

int ax__hh_memo_has(ax_importer *im, const char *hh)
{
	return ax__hh_memo_find(im, hh) != NULL;
}

void ax__hh_memo_clear(ax_importer *im)
{
	im->hmcount = 0;
	if (++im->hmgen == 0) { /* wrapped: generation 0 means empty */
		if (im->hm)
			memset(im->hm, 0, im->hmn * sizeof *im->hm);
		im->hmgen = 1;
	}
}
