/*
 * records_prefetch.c -- what a batch's records need from the store, read
 * many rows a statement: on PostgreSQL every statement is a round trip,
 * and an importer asking one question a record spends its time waiting.
 * ax__chunks_run is the loop (tally.c's upserts use it too);
 * ax_importer_prefetch reads the grids of the households a batch names
 * into the transaction's memo (records.c), where the records find them,
 * then takes their locks (AX_SQL_LOCK_EXPR, in id order) and reads their
 * counted responses into the counted memo here: a response of a known
 * household then neither locks nor asks which response counts, and the
 * importer keeps the memo as it counts one (ax__cmemo_set).  The locks are
 * held to the end of the transaction, so no other server changes what the
 * memo says; on SQLite the batch's write lock does the same (and SQLite
 * has no prefetch: a lookup there is a call, not a round trip).  Last it
 * reads which of the batch's record ids are stored, with their bodies
 * (ax__idmemo): a record it read is decided without asking and, when new,
 * written at commit with the others (records_pending.c).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

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
			if (c->changes && src == AX_DB_DONE)
				*c->changes += ax_stmt_changes(*s);
			ax_stmt_reset(*s);
			if (src != AX_DB_DONE)
				return ax__store_dberr(im->st, c->what);
		}
	}
	return AX_OK;
}

/* head, then rows ? separated by commas, then ")"; malloc'd */
static char *in_sql(const char *head, int rows)
{
	size_t h = strlen(head);
	char *sql = malloc(h + 2 * (size_t)rows + 2), *o;
	if (!sql)
		return NULL;
	memcpy(sql, head, h);
	o = sql + h;
	for (int r = 0; r < rows; r++) {
		if (r)
			*o++ = ',';
		*o++ = '?';
	}
	strcpy(o, ")");
	return sql;
}

char *ax__values_sql(const char *head, size_t headlen, int rows, int width,
                     const char *tail)
{
	size_t t = strlen(tail);
	char *sql = malloc(headlen + (size_t)rows * (2 * (size_t)width + 3) + t + 1);
	char *o = sql;
	if (!sql)
		return NULL;
	memcpy(o, head, headlen);
	o += headlen;
	for (int r = 0; r < rows; r++) {
		*o++ = r ? ',' : ' ';
		*o++ = '(';
		for (int k = 0; k < width; k++) {
			if (k)
				*o++ = ',';
			*o++ = '?';
		}
		*o++ = ')';
	}
	memcpy(o, tail, t + 1);
	return sql;
}

static char *hh_sql(const void *ctx, int rows)
{
	(void)ctx;
	return in_sql("SELECT id, grid FROM households WHERE id IN (", rows);
}

struct hh_ids {
	ax_importer *im;
	const char **v;
	int failed; /* no memory for the counted memo */
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

/* ---- the counted memo --------------------------------------------------
 * Keyed by household (marker 1: known), by household, survey and wave
 * (marker 0: its counted response), by region code (3: it exists) and by
 * record id (4 + AX__PEND_RESP or AX__PEND_CONTACT: whether it is stored,
 * body its stored or queued body). */
struct ax__cmemo {
	struct ax__cmemo *next, *all;
	unsigned hash;
	int marker;
	char hh[64], survey[64], wave[64];
	struct ax__counted_row row;
	char *body;
};
#define ID_MARKER 4

static unsigned cm_hash(const char *hh, const char *survey, const char *wave)
{
	unsigned h = 2166136261u;
	const char *k[3] = {hh, survey, wave};
	for (int i = 0; i < 3; i++) {
		for (const char *p = k[i] ? k[i] : ""; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
		h = (h ^ 0xffu) * 16777619u;
	}
	return h;
}

void ax__cmemo_clear(ax_importer *im)
{
	struct ax__cmemo *e = im->call, *n;
	for (; e; e = n) {
		n = e->all;
		im->cm[e->hash & (im->cmn - 1)] = NULL;
		free(e->row.topics);
		free(e->body);
		free(e);
	}
	im->call = NULL;
	im->cmcount = 0;
}

static struct ax__cmemo *cm_find(ax_importer *im, int marker, const char *hh,
                                 const char *survey, const char *wave)
{
	unsigned h;
	if (!im->cmcount)
		return NULL;
	h = cm_hash(hh, marker ? NULL : survey, marker ? NULL : wave);
	for (struct ax__cmemo *e = im->cm[h & (im->cmn - 1)]; e; e = e->next)
		if (e->hash == h && e->marker == marker && !strcmp(e->hh, hh) &&
		    (marker || (!strcmp(e->survey, survey) && !strcmp(e->wave, wave))))
			return e;
	return NULL;
}

/* the entry, added when missing; NULL on no memory or a key too long */
static struct ax__cmemo *cm_put(ax_importer *im, int marker, const char *hh,
                                const char *survey, const char *wave)
{
	struct ax__cmemo *e = cm_find(im, marker, hh, survey, wave);
	if (e)
		return e;
	if (strlen(hh) >= sizeof e->hh ||
	    (!marker && (strlen(survey) >= sizeof e->survey ||
	                 strlen(wave) >= sizeof e->wave)))
		return NULL;
	/* a batch's households and their waves: a few thousand entries */
	if (!im->cm && !(im->cm = calloc(im->cmn = 4096, sizeof *im->cm)))
		return NULL;
	if (!(e = calloc(1, sizeof *e)))
		return NULL;
	e->marker = marker;
	strcpy(e->hh, hh);
	if (!marker) {
		strcpy(e->survey, survey);
		strcpy(e->wave, wave);
	}
	e->hash = cm_hash(hh, marker ? NULL : survey, marker ? NULL : wave);
	e->next = im->cm[e->hash & (im->cmn - 1)];
	im->cm[e->hash & (im->cmn - 1)] = e;
	e->all = im->call;
	im->call = e;
	im->cmcount++;
	return e;
}

int ax__cmemo_known(ax_importer *im, const char *hh)
{
	return cm_find(im, 1, hh, NULL, NULL) != NULL;
}

const struct ax__counted_row *ax__cmemo_get(ax_importer *im, const char *hh,
                                            const char *survey,
                                            const char *wave)
{
	struct ax__cmemo *e = cm_find(im, 0, hh, survey, wave);
	return e ? &e->row : NULL;
}

void ax__cmemo_set(ax_importer *im, const char *hh, const char *survey,
                   const char *wave, const struct ax__counted_row *row)
{
	struct ax__cmemo *e = cm_put(im, 0, hh, survey, wave);
	char *t = row->topics ? strdup(row->topics) : NULL;
	if (!e || (row->topics && !t)) {
		struct ax__cmemo *m = cm_find(im, 1, hh, NULL, NULL);
		free(t);
		if (m) /* forgotten: the next record asks the store */
			m->marker = 2;
		return;
	}
	free(e->row.topics);
	e->row = *row;
	e->row.topics = t;
}

/* SELECT lock(?), lock(?), ... (rows of them) */
static char *lock_sql(const void *ctx, int rows)
{
	const struct hh_ids *ids = ctx;
	const char *x = ax_db_sql(ax__store_dbl(ids->im->st), AX_SQL_LOCK_EXPR);
	size_t n = strlen(x) + 2;
	char *sql = malloc(8 + n * (size_t)rows), *o;
	if (!sql)
		return NULL;
	o = sql + sprintf(sql, "SELECT ");
	for (int r = 0; r < rows; r++)
		o += sprintf(o, "%s%s", r ? ", " : "", x);
	return sql;
}

/* the counted responses of rows households */
static char *counted_sql(const void *ctx, int rows)
{
	(void)ctx;
	return in_sql("SELECT household, survey, wave, id, completed_at, region, "
	              "channel, day, sat, score, topics FROM responses WHERE "
	              "counted = 1 AND household IN (", rows);
}

static void counted_row(ax_stmt *s, void *ctx)
{
	struct hh_ids *ids = ctx;
	struct ax__counted_row r;
	struct ax__cmemo *e;
	const char *hh = ax_stmt_text(s, 0), *sv = ax_stmt_text(s, 1),
	           *w = ax_stmt_text(s, 2);
	if (!hh || !sv || !w || ids->failed)
		return;
	memset(&r, 0, sizeof r);
	snprintf(r.id, sizeof r.id, "%s", ax_stmt_text(s, 3));
	r.completed = ax_stmt_int64(s, 4);
	snprintf(r.region, sizeof r.region, "%s", ax_stmt_text(s, 5));
	snprintf(r.channel, sizeof r.channel, "%s", ax_stmt_text(s, 6));
	r.day = (int)ax_stmt_int64(s, 7);
	r.has_sat = !ax_stmt_is_null(s, 8);
	r.sat = (int)ax_stmt_int64(s, 8);
	r.score = ax_stmt_double(s, 9);
	if (ax_stmt_text(s, 10) && !(r.topics = strdup(ax_stmt_text(s, 10)))) {
		ids->failed = 1;
		return;
	}
	if (!(e = cm_put(ids->im, 0, hh, sv, w))) {
		free(r.topics);
		ids->failed = 1;
		return;
	}
	free(e->row.topics);
	e->row = r;
}

/* The strings the records hold under key (1 to 63 bytes) that have no
 * entry `marker` yet, each once, in order, into v; how many. */
static size_t collect(ax_importer *im, json_t *const *objs, size_t n,
                      const char *key, int marker, const char **v)
{
	size_t k = 0, u = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *h = json_object_get(objs[i], key);
		const char *x = json_string_value(h);
		if (x && *x && json_string_length(h) < 64 &&
		    !cm_find(im, marker, x, NULL, NULL))
			v[k++] = x;
	}
	qsort(v, k, sizeof *v, str_cmp);
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(v[u - 1], v[i]))
			v[u++] = v[i];
	return u;
}

static char *region_sql(const void *ctx, int rows)
{
	(void)ctx;
	return in_sql("SELECT code FROM regions WHERE code IN (", rows);
}

static void region_row(ax_stmt *s, void *ctx)
{
	const char *code = ax_stmt_text(s, 0);
	if (code)
		cm_put(((struct hh_ids *)ctx)->im, 3, code, NULL, NULL);
}

int ax__cmemo_region(ax_importer *im, const char *code)
{
	return cm_find(im, 3, code, NULL, NULL) != NULL;
}

int ax__idmemo(ax_importer *im, int table, const char *id, const char **body)
{
	struct ax__cmemo *e = cm_find(im, ID_MARKER + table, id, NULL, NULL);
	if (!e)
		return 0;
	*body = e->body;
	return 1;
}

int ax__idmemo_set(ax_importer *im, int table, const char *id,
                   const char *body)
{
	struct ax__cmemo *e = cm_find(im, ID_MARKER + table, id, NULL, NULL);
	char *b = strdup(body);
	if (!e || !b) {
		free(b);
		return -1;
	}
	free(e->body);
	e->body = b;
	return 0;
}

/* The ids (canonical: a UUID in lower case, as records.c stores it) of the
 * records of type, not yet known, each once, sorted, into v (buf holds
 * their text); how many. */
static size_t collect_ids(ax_importer *im, json_t *const *objs, size_t n,
                          const char *type, int table, char (*buf)[40],
                          const char **v)
{
	size_t k = 0, u = 0;
	for (size_t i = 0; i < n; i++) {
		const char *t = json_string_value(json_object_get(objs[i], "type"));
		json_t *h = json_object_get(objs[i], "id");
		const char *x = json_string_value(h);
		uuid_t uu;
		if (!t || strcmp(t, type) || !x || json_string_length(h) >= 64 ||
		    uuid_parse(x, uu))
			continue;
		uuid_unparse_lower(uu, buf[k]);
		if (!cm_find(im, ID_MARKER + table, buf[k], NULL, NULL)) {
			v[k] = buf[k];
			k++;
		}
	}
	qsort(v, k, sizeof *v, str_cmp);
	for (size_t i = 0; i < k; i++)
		if (!u || strcmp(v[u - 1], v[i]))
			v[u++] = v[i];
	return u;
}

struct id_read {
	ax_importer *im;
	const char **v;
	int table, failed;
};

static void id_bind(ax_stmt *s, int r, size_t i, const void *ctx)
{
	ax_stmt_bind_text(s, r + 1, ((const struct id_read *)ctx)->v[i]);
}

static char *resp_id_sql(const void *ctx, int rows)
{
	(void)ctx;
	return in_sql("SELECT id, body FROM responses WHERE id IN (", rows);
}

static char *contact_id_sql(const void *ctx, int rows)
{
	(void)ctx;
	return in_sql("SELECT id, body FROM contacts WHERE id IN (", rows);
}

static char *undone_id_sql(const void *ctx, int rows)
{
	(void)ctx;
	return in_sql("SELECT id, body FROM visits_undone WHERE id IN (", rows);
}

static void id_row(ax_stmt *s, void *ctx)
{
	struct id_read *r = ctx;
	const char *id = ax_stmt_text(s, 0), *body = ax_stmt_text(s, 1);
	struct ax__cmemo *e;
	if (!id || !body || r->failed)
		return;
	if (!(e = cm_put(r->im, ID_MARKER + r->table, id, NULL, NULL)) ||
	    (!e->body && !(e->body = strdup(body))))
		r->failed = 1;
}

/* Read which of the batch's records of table are stored (after the
 * locks: a record of a locked household cannot be stored by another
 * server before this transaction ends); each id read becomes known.
 * -1 when out of memory (nothing known: every record asks the store). */
static ax_rc read_ids(ax_importer *im, json_t *const *objs, size_t n,
                      int table, int *failed)
{
	char (*buf)[40] = malloc(n * sizeof *buf);
	const char **v = malloc(n * sizeof *v);
	struct id_read r = {im, v, table, 0};
	size_t u;
	ax_rc rc = AX_OK;

	if (!buf || !v) {
		*failed = 1;
		goto done;
	}
	u = collect_ids(im, objs, n, table ? "contact" : "response", table, buf, v);
	{
		struct ax__chunks c[2] = {
			{.stmts = im->tm[6 + table], .sql = table ? contact_id_sql
			                                          : resp_id_sql,
			 .bind = id_bind, .row = id_row, .ctx = &r,
			 .what = table ? "stored contacts" : "stored responses"},
			{.stmts = im->tm[8], .sql = undone_id_sql, .bind = id_bind,
			 .row = id_row, .ctx = &r, .what = "undone visits"},
		};
		for (int i = 0; i < (table ? 2 : 1) && !rc; i++)
			rc = ax__chunks_run(im, &c[i], u);
	}
	for (size_t i = 0; !rc && !r.failed && i < u; i++)
		if (!cm_put(im, ID_MARKER + table, v[i], NULL, NULL))
			r.failed = 1;
	if (r.failed)
		*failed = 1;
done:
	free(buf);
	free(v);
	return rc;
}

ax_rc ax_importer_prefetch(ax_importer *im, json_t *const *objs, size_t n)
{
	struct hh_ids ids = {im, NULL, 0}, rg = {im, NULL, 0};
	size_t u, ur;
	ax_rc rc = AX_OK;

	/* on SQLite a lookup is a call into the library, not a round trip:
	 * nothing to save (bench/central on SQLite, 20,000 records, was a
	 * few per cent slower with it) */
	if (!im->in_tx || !n || !ax__store_is_pg(im->st))
		return AX_OK;
	if (!(ids.v = malloc(n * sizeof *ids.v)) || !(rg.v = malloc(n * sizeof *rg.v))) {
		free(ids.v);
		return AX_NOMEM;
	}
	/* the households named (as validation will take them: a string of
	 * 1 to 63 bytes) and not yet known; the regions anonymous answers
	 * name (entries 3: the code exists) */
	u = collect(im, objs, n, "household", 1, ids.v);
	ur = collect(im, objs, n, "region", 3, rg.v);
	{
		struct ax__chunks c[4] = {
			{.stmts = im->tm[2], .sql = hh_sql, .bind = hh_bind,
			 .row = hh_row, .ctx = &ids, .what = "households"},
			{.stmts = im->tm[3], .sql = lock_sql, .bind = hh_bind,
			 .ctx = &ids, .what = "household locks"},
			{.stmts = im->tm[4], .sql = counted_sql, .bind = hh_bind,
			 .row = counted_row, .ctx = &ids, .what = "counted responses"},
			{.stmts = im->tm[5], .sql = region_sql, .bind = hh_bind,
			 .row = region_row, .ctx = &rg, .what = "regions"},
		};
		for (int i = 0; i < 4 && !rc; i++)
			rc = ax__chunks_run(im, &c[i], i < 3 ? u : ur);
	}
	/* known from here: locked, their counted responses read */
	for (size_t i = 0; !rc && !ids.failed && i < u; i++)
		if (!cm_put(im, 1, ids.v[i], NULL, NULL))
			ids.failed = 1;
	/* then which records are stored: the new ones are queued and
	 * written at the end (records_pending.c) */
	for (int t = 0; t < AX__PEND_N && !rc && !ids.failed; t++)
		rc = read_ids(im, objs, n, t, &ids.failed);
	if (ids.failed || rc) /* no memory: every record asks the store */
		ax__cmemo_clear(im);
	free(ids.v);
	free(rg.v);
	return rc;
}
