/*
 * records_prefetch.c -- what a batch's records need from the store, read
 * many rows a statement: on PostgreSQL every statement is a round trip,
 * and an importer asking one question a record spends its time waiting.
 * ax__chunks_run is the loop (tally.c's upserts use it too);
 * ax_importer_prefetch reads the grids of the households a batch names
 * into the transaction's memo (records.c), where the records find them.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "records_int.h"

ax_rc ax__chunks_run(ax_importer *im, const struct ax__chunks *c, size_t n)
{
	static const int rows_of[4] = AX__CHUNK_ROWS;
	size_t done = 0;

	for (int j = 0; j < 4; j++) {
		size_t rows = (size_t)rows_of[j];
		for (; n - done >= rows; done += rows) {
			ax_stmt **s = &c->stmts[j];
			int src;
			if (!*s) {
				char *sql = c->sql(c->ctx, (int)rows);
				ax_rc rc = sql ? ax__dprepare(im->st, s, sql) : AX_NOMEM;
				free(sql);
				if (rc)
					return rc;
			}
			ax_stmt_reset(*s);
			for (size_t r = 0; r < rows; r++)
				c->bind(*s, (int)r, done + r, c->ctx);
			while ((src = ax_stmt_step(*s)) == AX_DB_ROW)
				if (c->row)
					c->row(*s, c->ctx);
			ax_stmt_reset(*s);
			if (src != AX_DB_DONE)
				return ax__store_dberr(im->st, c->what);
		}
	}
	return AX_OK;
}

/* SELECT id, grid FROM households WHERE id IN (?, ... rows of them) */
static char *hh_sql(const void *ctx, int rows)
{
	static const char head[] = "SELECT id, grid FROM households WHERE id IN (";
	char *sql = malloc(sizeof head + 2 * (size_t)rows + 1), *o;
	(void)ctx;
	if (!sql)
		return NULL;
	o = sql + sizeof head - 1;
	memcpy(sql, head, sizeof head - 1);
	for (int r = 0; r < rows; r++) {
		*o++ = r ? ',' : '?';
		if (r)
			*o++ = '?';
	}
	strcpy(o, ")");
	return sql;
}

struct hh_ids {
	ax_importer *im;
	const char **v;
};

static void hh_bind(ax_stmt *s, int r, size_t i, const void *ctx)
{
	ax_stmt_bind_text(s, r + 1, ((const struct hh_ids *)ctx)->v[i]);
}

static void hh_row(ax_stmt *s, void *ctx)
{
	const char *id = ax_stmt_text(s, 0), *grid = ax_stmt_text(s, 1);
	if (id && grid)
		ax__hh_memo_put(((struct hh_ids *)ctx)->im, id, grid);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

ax_rc ax_importer_prefetch(ax_importer *im, json_t *const *objs, size_t n)
{
	struct hh_ids ids = {im, NULL};
	size_t k = 0, u = 0;
	ax_rc rc;

	if (!im->in_tx || !n)
		return AX_OK;
	if (!(ids.v = malloc(n * sizeof *ids.v)))
		return AX_NOMEM;
	/* the households named (as validation will take them: a string of
	 * 1 to 63 bytes) and not yet remembered, each once, in order */
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_object_get(objs[i], "household");
		const char *v = json_string_value(h);
		if (v && *v && json_string_length(h) < 64 && !ax__hh_memo_has(im, v))
			ids.v[k++] = v;
	}
	qsort(ids.v, k, sizeof *ids.v, str_cmp);
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(ids.v[u - 1], ids.v[i]))
			ids.v[u++] = ids.v[i];
	{
		struct ax__chunks c = {
			.stmts = im->tm[2], .sql = hh_sql, .bind = hh_bind,
			.row = hh_row, .ctx = &ids, .what = "households",
		};
		rc = ax__chunks_run(im, &c, u);
	}
	free(ids.v);
	return rc;
}
