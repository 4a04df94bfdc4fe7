/*
 * ledger.c -- the 台账: listings of contacts, responses and households not
 * yet reached, and recording door-to-door visits (one, or a paper list in
 * CSV) through the record importer.
 *
 * Listings stream rows to a callback straight from one SQLite statement:
 * memory is one row whatever the county's size.  Scopes become index
 * range conditions: region codes are all digits, so "code starts with P"
 * is `code >= P AND code < P || ':'` (':' sorts right after '9'), which
 * the households(grid) index can serve, unlike substr().
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utf8proc.h>
#include <uuid/uuid.h>

#include "anxin/auth.h"
#include "anxin/content.h"
#include "anxin/ledger.h"
#include "anxin/phone.h"
#include "anxin/records.h"
#include "anxin/response.h"
#include "anxin/text.h"
#include "anxin_int.h"
#include "db.h"

/* ---- labels ----------------------------------------------------------- */
static const char *const kind_labels[][2] = {
	{"sms_sent", "短信已发送"},        {"sms_delivered", "短信已送达"},
	{"sms_replied", "短信已回复"},     {"kiosk_session", "一体机"},
	{"visit", "入户走访"},
};
static const char *const channel_labels[][2] = {
	{"sms", "短信"}, {"kiosk", "一体机"}, {"visit", "入户走访"}};
static const char *const status_labels[][2] = {
	{"complete", "完成"}, {"partial", "部分作答"}, {"abandoned", "中途放弃"}};

static const char *label(const char *const (*tab)[2], size_t n, const char *v)
{
	if (!v)
		return "";
	for (size_t i = 0; i < n; i++)
		if (strcmp(tab[i][0], v) == 0)
			return tab[i][1];
	return v;
}

const char *ax_ledger_kind_label(const char *kind)
{
	return label(kind_labels, AX_ARRAY_LEN(kind_labels), kind);
}

const char *ax_ledger_channel_label(const char *channel)
{
	return label(channel_labels, AX_ARRAY_LEN(channel_labels), channel);
}

const char *ax_ledger_status_label(const char *status)
{
	return label(status_labels, AX_ARRAY_LEN(status_labels), status);
}

const char *ax_ledger_count_label(enum ax_contact_count c)
{
	static const char *const l[] = {"计入", "不计入（重复，该户已计入）",
	                                "不计入（注销）", "不计入（仅发送未送达）",
	                                "不计入（类型不计）"};
	return (unsigned)c < AX_ARRAY_LEN(l) ? l[c] : "";
}

/* ---- query pieces ----------------------------------------------------- */
#define MAX_SCOPE_CODES 32
#define SCOPE_PARAM0 10 /* scope bounds are bound from ?10 on */

struct window {
	int64_t from, to; /* [from, to) epoch seconds */
};

struct scope {
	int n;
	char lo[MAX_SCOPE_CODES][24], hi[MAX_SCOPE_CODES][24];
};

static const struct ax_ledger_query no_query;

/* China day d spans [d*86400 - 8h, (d+1)*86400 - 8h), as in metrics.c. */
static ax_rc window_make(ax_store *st, const struct ax_ledger_query *q,
                         struct window *w)
{
	int from_day = -1000000, to_day = 1000000;

	if (q->from && ax__day_parse(q->from, &from_day)) {
		ax__store_seterr(st, "from \"%s\" is not a date YYYY-MM-DD", q->from);
		return AX_INVALID;
	}
	if (q->to && ax__day_parse(q->to, &to_day)) {
		ax__store_seterr(st, "to \"%s\" is not a date YYYY-MM-DD", q->to);
		return AX_INVALID;
	}
	w->from = (int64_t)ax_day_start(from_day);
	w->to = (int64_t)ax_day_start(to_day + 1);
	return AX_OK;
}

static ax_rc check_channel(ax_store *st, const char *channel)
{
	if (channel && strcmp(channel, "kiosk") && strcmp(channel, "sms") &&
	    strcmp(channel, "visit")) {
		ax__store_seterr(st, "channel \"%s\" is not kiosk, sms or visit",
		                 channel);
		return AX_INVALID;
	}
	return AX_OK;
}

/* Split a scope list into code-prefix ranges; every code must be a known
 * region (ax_region_covers: a code covers itself and the codes that
 * extend its significant prefix: 6, 9, 12 digits, or all of a grid's). */
static ax_rc scope_parse(ax_store *st, const char *list, struct scope *sc)
{
	ax_stmt *s = NULL;
	const char *p = list;
	ax_rc rc;

	sc->n = 0;
	if (!list || !*list)
		return AX_OK;
	if ((rc = ax__dprepare(st, &s, "SELECT 1 FROM regions WHERE code = ?")))
		return rc;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		char code[24];
		size_t keep;

		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n == 0 || n >= sizeof code) {
			ax__store_seterr(st, "scope \"%s\": \"%.*s\" is not a region code",
			                 list, (int)(n < 40 ? n : 40), p);
			rc = AX_INVALID;
			goto done;
		}
		memcpy(code, p, n);
		code[n] = '\0';
		/* province 2 digits, city 4, county 6 .. grid all */
		if (!(keep = ax__region_prefix_len(code))) {
			ax__store_seterr(st, "scope: \"%s\" is not a region code", code);
			rc = AX_INVALID;
			goto done;
		}
		ax_stmt_reset(s);
		ax_stmt_bind_text(s, 1, code);
		if (ax_stmt_step(s) != AX_DB_ROW) {
			ax__store_seterr(st, "scope %s is not a known region code", code);
			rc = AX_NOTFOUND;
			goto done;
		}
		if (sc->n == MAX_SCOPE_CODES) {
			ax__store_seterr(st, "scope lists more than %d codes",
			                 MAX_SCOPE_CODES);
			rc = AX_INVALID;
			goto done;
		}
		memcpy(sc->lo[sc->n], code, keep);
		sc->lo[sc->n][keep] = '\0';
		memcpy(sc->hi[sc->n], code, keep);
		sc->hi[sc->n][keep] = ':';
		sc->hi[sc->n][keep + 1] = '\0';
		sc->n++;
		p = comma ? comma + 1 : NULL;
	}
	rc = AX_OK;
done:
	ax_stmt_finalize(s);
	return rc;
}

/* " AND (col >= ?10 AND col < ?11 OR …)" */
static void scope_sql(struct ax_buf *b, const struct scope *sc, const char *col)
{
	if (!sc->n)
		return;
	ax__buf_puts(b, " AND (");
	for (int i = 0; i < sc->n; i++)
		ax__buf_printf(b, "%s(%s >= ?%d AND %s < ?%d)", i ? " OR " : "", col,
		               SCOPE_PARAM0 + 2 * i, col, SCOPE_PARAM0 + 2 * i + 1);
	ax__buf_puts(b, ")");
}

static void scope_bind(ax_stmt *s, const struct scope *sc)
{
	for (int i = 0; i < sc->n; i++) {
		ax_stmt_bind_text(s, SCOPE_PARAM0 + 2 * i, sc->lo[i]);
		ax_stmt_bind_text(s, SCOPE_PARAM0 + 2 * i + 1, sc->hi[i]);
	}
}

/* "col IN ('sms_delivered',…)"; kind names are constants. */
static void kinds_in(struct ax_buf *b, int kinds, const char *col)
{
	int first = 1;

	ax__buf_printf(b, "%s IN (", col);
	for (int bit = 1; bit <= AX_CK_VISIT; bit <<= 1)
		if (kinds & bit) {
			ax__buf_printf(b, "%s'%s'", first ? "" : ",",
			               ax_contact_kind_name(bit));
			first = 0;
		}
	if (first)
		ax__buf_puts(b, "NULL");
	ax__buf_puts(b, ")");
}

/* " AND col IN (…)" */
static void kinds_sql(struct ax_buf *b, int kinds, const char *col)
{
	ax__buf_puts(b, " AND ");
	kinds_in(b, kinds, col);
}

/* The household's region names, for a region code column `col`. */
#define REGION_JOINS(col)                                                     \
	" LEFT JOIN regions g ON g.code = " col " AND g.level = 4"               \
	" LEFT JOIN regions v ON v.code = substr(" col ", 1, 12) AND v.level = 3" \
	" LEFT JOIN regions t ON t.code = substr(" col ", 1, 9) || '000'"         \
	" AND t.level = 2"

static const char *col_text(ax_stmt *s, int i)
{
	return ax_stmt_text(s, i);
}

static ax_rc prepare_buf(ax_store *st, struct ax_buf *b, ax_stmt **s)
{
	ax_rc rc;

	*s = NULL;
	if (b->oom) {
		ax__buf_free(b);
		return AX_NOMEM;
	}
	rc = ax__dprepare(st, s, b->p);
	ax__buf_free(b);
	return rc;
}

/* Empty b for reuse, keeping its memory; b->p is "" afterwards. */
static void buf_clear(struct ax_buf *b)
{
	b->len = 0;
	if (b->p)
		b->p[0] = '\0';
	else
		ax__buf_put(b, "", 0);
}

static ax_rc step_error(ax_store *st, int src, const char *what)
{
	return src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, what);
}

/* ---- contacts --------------------------------------------------------- */
/* The row's 计入 (ledger.h ax_contact_count); rank is its place among
 * its household's listed contacts of a counting kind. */
static enum ax_contact_count contact_count(const char *kind, int cov,
                                           int active, long long rank)
{
	int bit = ax_contact_kinds_parse(kind);

	if (!active)
		return AX_CONTACT_INACTIVE;
	if (bit <= 0 || !(cov & bit))
		return bit == AX_CK_SMS_SENT ? AX_CONTACT_SENT_ONLY : AX_CONTACT_KIND;
	return rank == 1 ? AX_CONTACT_COUNTED : AX_CONTACT_REPEAT;
}

ax_rc ax_ledger_contacts(ax_store *st, const struct ax_ledger_query *q,
                         ax_ledger_contact_fn fn, void *ctx)
{
	struct ax_buf b = {0};
	struct window w;
	struct scope sc;
	ax_stmt *s = NULL;
	int src, cov;
	ax_rc rc;

	if (!q)
		q = &no_query;
	cov = q->coverage_kinds ? q->coverage_kinds : AX_CK_DEFAULT;
	if ((rc = window_make(st, q, &w)) || (rc = check_channel(st, q->channel)) ||
	    (rc = scope_parse(st, q->scope, &sc)))
		return rc;
	/* 12, 13: active, and the row's rank among its household's listed
	 * contacts of a counting kind (1: the one that counts it) */
	ax__buf_puts(&b, "SELECT c.id, c.household, h.grid, g.name, v.name, "
	                 "t.name, c.channel, c.kind, c.pack, (SELECT title FROM "
	                 "packs p WHERE p.id = c.pack ORDER BY p.version DESC "
	                 "LIMIT 1), c.at, c.device, h.active, ROW_NUMBER() OVER "
	                 "(PARTITION BY c.household, ");
	kinds_in(&b, cov, "c.kind");
	ax__buf_puts(&b, " ORDER BY c.at, c.id) FROM contacts c JOIN households "
	                 "h ON h.id = c.household");
	ax__buf_puts(&b, REGION_JOINS("h.grid"));
	ax__buf_puts(&b, " WHERE c.at >= ?1 AND c.at < ?2 AND (CAST(?3 AS TEXT) IS NULL OR "
	                 "c.channel = ?3)");
	if (q->contact_kinds)
		kinds_sql(&b, q->contact_kinds, "c.kind");
	scope_sql(&b, &sc, "h.grid");
	ax__buf_puts(&b, " ORDER BY c.at, c.id");
	if ((rc = prepare_buf(st, &b, &s)))
		return rc;
	ax_stmt_bind_int64(s, 1, w.from);
	ax_stmt_bind_int64(s, 2, w.to);
	if (q->channel)
		ax_stmt_bind_text(s, 3, q->channel);
	scope_bind(s, &sc);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_ledger_contact r;
		r.id = col_text(s, 0);
		r.household = col_text(s, 1);
		r.grid = col_text(s, 2);
		r.grid_name = col_text(s, 3);
		r.village_name = col_text(s, 4);
		r.township_name = col_text(s, 5);
		r.channel = col_text(s, 6);
		r.channel_label = ax_ledger_channel_label(r.channel);
		r.kind = col_text(s, 7);
		r.kind_label = ax_ledger_kind_label(r.kind);
		r.pack = col_text(s, 8);
		r.pack_title = col_text(s, 9);
		r.at = ax_stmt_int64(s, 10);
		r.device = col_text(s, 11);
		r.count = contact_count(r.kind, cov, (int)ax_stmt_int64(s, 12),
		                        ax_stmt_int64(s, 13));
		if ((rc = fn(ctx, &r)))
			goto done;
	}
	rc = step_error(st, src, "contacts ledger");
done:
	ax_stmt_finalize(s);
	return rc;
}

/* ---- responses -------------------------------------------------------- */
/* Append one answer value: "2" or "1,3". */
static void answer_value(struct ax_buf *b, json_t *v)
{
	if (json_is_string(v)) {
		ax__buf_puts(b, json_string_value(v));
	} else if (json_is_array(v)) {
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x) {
			if (i)
				ax__buf_puts(b, ",");
			if (json_is_string(x))
				ax__buf_puts(b, json_string_value(x));
		}
	}
}

/* "q1=2; q2=1,3" from a stored body, in the survey's question order
 * (answers to questions the survey does not know, if any, after). */
static void answers_text(struct ax_buf *b, const char *body,
                         const struct ax_survey *sv)
{
	json_t *o = json_loads(body, 0, NULL), *answers, *v;
	const char *qid;
	int n = 0;

	if (!o)
		return;
	answers = json_object_get(o, "answers");
	if (json_is_object(answers)) {
		for (int i = 0; sv && i < sv->nquestions; i++) {
			v = json_object_get(answers, sv->questions[i].id);
			if (!v)
				continue;
			ax__buf_printf(b, "%s%s=", n++ ? "; " : "", sv->questions[i].id);
			answer_value(b, v);
		}
		json_object_foreach(answers, qid, v) {
			if (sv && ax_survey_question(sv, qid))
				continue;
			ax__buf_printf(b, "%s%s=", n++ ? "; " : "", qid);
			answer_value(b, v);
		}
	}
	json_decref(o);
}

/* When a response happened: completed, else started (partial ones). */
#define RESP_TIME "coalesce(r.completed_at, r.started_at, 0)"

ax_rc ax_ledger_responses(ax_store *st, const struct ax_ledger_query *q,
                          ax_ledger_response_fn fn, void *ctx)
{
	struct ax_buf b = {0}, ans = {0};
	struct window w;
	struct scope sc;
	ax_stmt *s = NULL;
	ax_content *surveys = NULL;
	int src;
	ax_rc rc;

	if (!q)
		q = &no_query;
	if ((rc = window_make(st, q, &w)) || (rc = check_channel(st, q->channel)) ||
	    (rc = scope_parse(st, q->scope, &sc)))
		return rc;
	if ((rc = ax_content_load_store(st, &surveys)))
		return rc;
	ax__buf_puts(&b, "SELECT r.id, r.household, r.region, rg.name, g.name, "
	                 "v.name, t.name, r.survey, r.survey_version, s.title, "
	                 "r.wave, r.channel, r.status, r.counted, r.started_at, "
	                 "r.completed_at, r.device, r.body FROM responses r "
	                 "LEFT JOIN regions rg ON rg.code = r.region "
	                 "LEFT JOIN surveys s ON s.id = r.survey AND "
	                 "s.version = r.survey_version");
	ax__buf_puts(&b, REGION_JOINS("r.region"));
	ax__buf_puts(&b, " WHERE " RESP_TIME " >= ?1 AND " RESP_TIME " < ?2 AND "
	                 "(CAST(?3 AS TEXT) IS NULL OR r.channel = ?3) AND (CAST(?4 AS TEXT) IS NULL OR "
	                 "r.survey = ?4) AND (CAST(?5 AS TEXT) IS NULL OR r.wave = ?5)");
	scope_sql(&b, &sc, "r.region");
	ax__buf_puts(&b, " ORDER BY " RESP_TIME ", r.id");
	if ((rc = prepare_buf(st, &b, &s)))
		goto done;
	ax_stmt_bind_int64(s, 1, w.from);
	ax_stmt_bind_int64(s, 2, w.to);
	if (q->channel)
		ax_stmt_bind_text(s, 3, q->channel);
	if (q->survey)
		ax_stmt_bind_text(s, 4, q->survey);
	if (q->wave)
		ax_stmt_bind_text(s, 5, q->wave);
	scope_bind(s, &sc);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_ledger_response r;
		const struct ax_survey *sv;

		r.id = col_text(s, 0);
		r.anonymous = ax_stmt_is_null(s, 1);
		r.household = r.anonymous ? "匿名" : col_text(s, 1);
		r.region = col_text(s, 2);
		r.region_name = col_text(s, 3);
		r.grid_name = col_text(s, 4);
		r.village_name = col_text(s, 5);
		r.township_name = col_text(s, 6);
		r.survey = col_text(s, 7);
		r.survey_version = (int)ax_stmt_int64(s, 8);
		r.survey_title = col_text(s, 9);
		r.wave = col_text(s, 10);
		r.channel = col_text(s, 11);
		r.channel_label = ax_ledger_channel_label(r.channel);
		r.status = col_text(s, 12);
		r.status_label = ax_ledger_status_label(r.status);
		r.counted = (int)ax_stmt_int64(s, 13) != 0;
		r.duplicate = !r.counted && strcmp(r.status, "complete") == 0;
		r.started_at = ax_stmt_int64(s, 14);
		r.has_completed = !ax_stmt_is_null(s, 15);
		r.completed_at = r.has_completed ? ax_stmt_int64(s, 15) : 0;
		r.device = col_text(s, 16);
		sv = ax_content_find_survey(surveys, r.survey, r.survey_version);
		if (sv && sv->version != r.survey_version)
			sv = NULL;
		buf_clear(&ans);
		answers_text(&ans, col_text(s, 17), sv);
		if (ans.oom) {
			rc = AX_NOMEM;
			goto done;
		}
		r.answers = ans.p;
		if ((rc = fn(ctx, &r)))
			goto done;
	}
	rc = step_error(st, src, "responses ledger");
done:
	ax_stmt_finalize(s);
	ax__buf_free(&ans);
	ax_content_free(surveys);
	return rc;
}

/* ---- households not reached ------------------------------------------- */
void ax_name_mask(const char *name, char *out, size_t n)
{
	size_t len = strlen(name), first = 0, last = len, o = 0;
	long chars = 0;

	if (!n)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < len; i++)
		chars += ((unsigned char)name[i] & 0xC0) != 0x80;
	if (!chars)
		return;
	/* the first character's bytes, and where the last one starts */
	do
		first++;
	while (first < len && ((unsigned char)name[first] & 0xC0) == 0x80);
	do
		last--;
	while (last > 0 && ((unsigned char)name[last] & 0xC0) == 0x80);
	if (first + 1 > n)
		return;
	memcpy(out, name, first);
	o = first;
	for (long k = 1; k < (chars > 2 ? chars - 1 : chars) && o + 1 < n; k++)
		out[o++] = '*';
	if (chars > 2 && o + (len - last) < n) {
		memcpy(out + o, name + last, len - last);
		o += len - last;
	}
	out[o] = '\0';
}

/* "+8613800000001,+86139…" -> "138****0001, 139****…"; returns count. */
static int mask_phones(struct ax_buf *b, const char *list)
{
	int n = 0;

	while (list && *list) {
		const char *comma = strchr(list, ',');
		size_t len = comma ? (size_t)(comma - list) : strlen(list);
		char one[64], masked[AX_PHONE_MAX];
		if (len < sizeof one) {
			memcpy(one, list, len);
			one[len] = '\0';
			ax_phone_mask(one, masked);
			ax__buf_printf(b, "%s%s", n++ ? ", " : "", masked);
		}
		list = comma ? comma + 1 : NULL;
	}
	return n;
}

/* The columns household_rows reads; the phones joined (group_concat,
 * string_agg) in the order of SQLite's key, by number, on both stores. */
static void hh_columns(ax_store *st, struct ax_buf *b)
{
	ax__buf_printf(b, "SELECT h.id, h.grid, g.name, v.name, t.name, "
	               "h.members, (SELECT %s(phone, ',') FROM (SELECT phone "
	               "FROM household_phones WHERE household = h.id ORDER BY "
	               "phone) hp), h.head, h.address FROM households h"
	               REGION_JOINS("h.grid"),
	               ax_db_sql(ax__store_dbl(st), AX_SQL_GROUP_CONCAT));
}

/* Each row of s (hh_columns) to fn, phones masked; only those under
 * scope when given, at most limit (0: all). */
static ax_rc household_rows(ax_store *st, ax_stmt *s, const char *scope,
                            int limit, ax_ledger_household_fn fn, void *ctx,
                            const char *what)
{
	struct ax_buf ph = {0};
	int src, n = 0;
	ax_rc rc = AX_OK;

	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_ledger_household r;
		r.id = col_text(s, 0);
		r.grid = col_text(s, 1);
		if (scope && !ax_scope_covers(scope, r.grid))
			continue;
		if (limit && n++ >= limit)
			break;
		r.grid_name = col_text(s, 2);
		r.village_name = col_text(s, 3);
		r.township_name = col_text(s, 4);
		r.members = ax_stmt_is_null(s, 5)
		                ? -1
		                : (int)ax_stmt_int64(s, 5);
		buf_clear(&ph);
		r.nphones = mask_phones(&ph, col_text(s, 6));
		if (ph.oom) {
			rc = AX_NOMEM;
			goto done;
		}
		r.phones = ph.p;
		r.head = ax_stmt_text(s, 7);
		r.address = ax_stmt_text(s, 8);
		if ((rc = fn(ctx, &r)))
			goto done;
	}
	if (src != AX_DB_ROW)
		rc = step_error(st, src, what);
done:
	ax__buf_free(&ph);
	return rc;
}

ax_rc ax_ledger_unreached(ax_store *st, const struct ax_ledger_query *q,
                          ax_ledger_household_fn fn, void *ctx)
{
	struct ax_buf b = {0};
	struct window w;
	struct scope sc;
	ax_stmt *s = NULL;
	ax_rc rc;

	if (!q)
		q = &no_query;
	if ((rc = window_make(st, q, &w)) || (rc = check_channel(st, q->channel)) ||
	    (rc = scope_parse(st, q->scope, &sc)))
		return rc;
	/* the same test as the coverage numerator in metrics.c, negated:
	 * one contacts_reach index probe per household */
	hh_columns(st, &b);
	ax__buf_puts(&b, " WHERE h.active = 1 AND NOT EXISTS (SELECT 1 FROM contacts "
	                 "c WHERE c.household = h.id");
	kinds_sql(&b, q->contact_kinds ? q->contact_kinds : AX_CK_DEFAULT, "c.kind");
	ax__buf_puts(&b, " AND c.at >= ?1 AND c.at < ?2 AND (CAST(?3 AS TEXT) IS NULL OR "
	                 "c.channel = ?3))");
	scope_sql(&b, &sc, "h.grid");
	ax__buf_puts(&b, " ORDER BY h.grid, h.id");
	if ((rc = prepare_buf(st, &b, &s)))
		return rc;
	ax_stmt_bind_int64(s, 1, w.from);
	ax_stmt_bind_int64(s, 2, w.to);
	if (q->channel)
		ax_stmt_bind_text(s, 3, q->channel);
	scope_bind(s, &sc);
	rc = household_rows(st, s, NULL, 0, fn, ctx, "unreached households");
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_household_search(ax_store *st, const char *scope, const char *q,
                          int limit, ax_ledger_household_fn fn, void *ctx)
{
	struct ax_buf b = {0};
	ax_stmt *s;
	ax_rc rc;

	if (!q || !*q)
		return AX_OK;
	hh_columns(st, &b);
	ax__buf_puts(&b, " WHERE h.active = 1 AND (h.id = ?1 OR h.head = ?1 OR "
	                 "(length(?1) >= 2 AND h.head LIKE ?1 || '%' ESCAPE '\\') "
	                 "OR (length(?1) = 4 AND EXISTS (SELECT 1 FROM "
	                 "household_phones p WHERE p.household = h.id AND "
	                 "substr(p.phone, length(p.phone) - 3) = ?1))) ORDER BY "
	                 "h.grid, h.id LIMIT 2000");
	if ((rc = prepare_buf(st, &b, &s)))
		return rc;
	ax_stmt_bind_text(s, 1, q);
	rc = household_rows(st, s, scope, limit, fn, ctx, "household search");
	ax_stmt_finalize(s);
	return rc;
}

/* ---- recording visits -------------------------------------------------- */
/* Namespace of name-based visit UUIDs (RFC 4122 §4.3).  Never change it:
 * re-imports find earlier visits by the UUIDs it produced. */
static const char visit_ns[] = "4bc27e00-ed7e-4c3e-855e-d8b18ad246ab";

/* The record line of a visit contact; caller frees.  NULL on OOM. */
static char *visit_line(const char *id, const char *household,
                        const char *device, long long at, const char *pack)
{
	struct ax_contact_meta c = {0};
	c.id = id;
	c.household = household;
	c.channel = AX_CH_VISIT;
	c.kind = "visit";
	c.pack = pack;
	c.device = device;
	c.at = at;
	return ax_contact_record(&c);
}

/* The id of a visit the same user recorded at the same household with
 * the same pack within AX_VISIT_SAME_SECS of `at` (a double tap, a resent
 * form) into id, *found set when there is one. */
static ax_rc same_visit(ax_store *st, const char *household, const char *who,
                        long long at, const char *pack, char id[37], int *found)
{
	ax_stmt *s;
	ax_rc rc;

	*found = 0;
	if ((rc = ax__dprepare(st, &s, "SELECT id FROM contacts WHERE household = ?1"
	                        " AND kind = 'visit' AND device = ?2 AND pack IS NOT"
	                        " DISTINCT FROM ?3"
	                        " AND at BETWEEN ?4 AND ?5"
	                        " ORDER BY abs(at - ?6) LIMIT 1")))
		return rc;
	ax_stmt_bind_text(s, 1, household);
	ax_stmt_bind_text(s, 2, who);
	if (pack)
		ax_stmt_bind_text(s, 3, pack);
	/* the bounds computed here: PostgreSQL types ?4 - ?5 by neither */
	ax_stmt_bind_int64(s, 4, at - AX_VISIT_SAME_SECS);
	ax_stmt_bind_int64(s, 5, at + AX_VISIT_SAME_SECS);
	ax_stmt_bind_int64(s, 6, at);
	if (ax_stmt_step(s) == AX_DB_ROW && col_text(s, 0)) {
		snprintf(id, 37, "%s", col_text(s, 0));
		*found = 1;
	}
	ax_stmt_finalize(s);
	return AX_OK;
}

ax_rc ax_visit_record(ax_store *st, const char *household,
                      const char *device_or_user, long long at,
                      const char *pack_or_null, char id_out[37])
{
	return ax_visit_record_id(st, NULL, household, device_or_user, at,
	                          pack_or_null, id_out, NULL);
}

ax_rc ax_visit_record_id(ax_store *st, const char *given_id,
                         const char *household, const char *device_or_user,
                         long long at, const char *pack_or_null,
                         char id_out[37], int *stored)
{
	struct ax_rec_outcome out;
	char id[37];
	char *line = NULL;
	uuid_t u;
	int found;
	ax_rc rc;

	if (id_out)
		id_out[0] = '\0';
	if (stored)
		*stored = 0;
	if (!household || !device_or_user ||
	    !ax_utf8_valid(household, strlen(household)) ||
	    !ax_utf8_valid(device_or_user, strlen(device_or_user)) ||
	    (pack_or_null && !ax_utf8_valid(pack_or_null, strlen(pack_or_null)))) {
		ax__store_seterr(st, "visit: household, device and pack must be "
		                     "UTF-8 text");
		return AX_INVALID;
	}
	if (given_id && (strlen(given_id) != 36 || uuid_parse(given_id, u))) {
		ax__store_seterr(st, "visit: id \"%.40s\" is not a UUID", given_id);
		return AX_INVALID;
	}
	if (at <= 0)
		at = (long long)time(NULL);
	if ((rc = same_visit(st, household, device_or_user, at, pack_or_null, id,
	                     &found)))
		return rc;
	if (found) { /* the same visit: nothing new */
		if (id_out)
			memcpy(id_out, id, sizeof id);
		return AX_OK;
	}
	if (!given_id)
		uuid_generate_random(u);
	uuid_unparse_lower(u, id);
	line = visit_line(id, household, device_or_user, at, pack_or_null);
	if (!line)
		return AX_NOMEM;
	rc = ax__import_one(st, line, "visit", &out);
	/* a given id sent again: stored before, nothing new */
	if (rc == AX_INVALID && given_id && out.result == AX_REC_DUPLICATE)
		rc = AX_OK;
	else if (rc == AX_OK && stored)
		*stored = 1;
	if (rc == AX_INVALID)
		ax__store_seterr(st, "visit to household %s: %s", household,
		                 out.reason[0] ? out.reason : "not stored");
	if (!rc && id_out)
		memcpy(id_out, id, sizeof id);
	free(line);
	return rc;
}

/* ---- visits from CSV: columns ----------------------------------------- */
enum vcol { V_HH, V_DATE, V_VISITOR, V_PACK, V_NCOLS };

/* Header spellings after normalisation (NFKC, case fold, no spaces,
 * brackets, slashes or underscores), as the roster matches them. */
static const char *const vcol_names[V_NCOLS][12] = {
	[V_HH] = {"户号", "户编号", "户编码", "户代码", "家庭编号", "householdid",
	          "household", "hhid", NULL},
	[V_DATE] = {"走访日期", "日期", "date", "走访时间", "入户日期", "入户时间",
	            "时间", "visitdate", "visitedat", "datetime", "at", NULL},
	[V_VISITOR] = {"走访人", "走访人员", "入户人员", "走访干部", "工作人员",
	               "网格员", "visitor", "visitedby", NULL},
	[V_PACK] = {"宣传内容", "宣传资料", "宣传包", "内容", "pack", "packid",
	            "content", NULL},
};

/* ---- visits from CSV: parse state ------------------------------------- */
struct pack_ref {
	char *id, *title, *topic;
};

struct vimp {
	ax_store *st;
	const char *name;
	const char *device; /* for rows without a visitor */
	ax_diag_fn diag;
	void *dctx;
	struct ax_visits_stats *stats;
	ax_importer *im;
	int64_t now;

	struct pack_ref *packs;
	int npacks;
	struct ax_arena arena;

	long row_line;
	int nf, too_many, header_done;
	int xlsx, merged_below; /* a workbook: title rows before the header */
	char **f; /* cells of the current row, borrowed from the CSV reader */
	int col[V_NCOLS];
	ax_rc rc; /* first fatal error */
	ax_stmt *s_seen_ins, *s_seen_get;
	ax_stmt *s_active; /* the household's roster state */
};

static const char *vfld(struct vimp *v, enum vcol c)
{
	int i = v->col[c];
	return i < 0 || i >= v->nf ? "" : v->f[i];
}

static void vreject(struct vimp *v, const char *fmt, ...) AX_PRINTF(2, 3);
static void vreject(struct vimp *v, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	v->stats->rejected++;
	ax__diag(v->diag, v->dctx, AX_SEV_ERROR, "%s:%ld: %s; row rejected",
	         v->name, v->row_line, msg);
}

static void vheader(struct vimp *v)
{
	for (int c = 0; c < V_NCOLS; c++)
		v->col[c] = -1;
	for (int i = 0; i < v->nf; i++) {
		char *h = ax__norm_header(v->f[i]);
		if (!h) {
			v->rc = AX_NOMEM;
			return;
		}
		for (int c = 0; c < V_NCOLS; c++) {
			if (v->col[c] >= 0)
				continue;
			for (int k = 0; vcol_names[c][k]; k++)
				if (strcmp(h, vcol_names[c][k]) == 0) {
					v->col[c] = i;
					break;
				}
		}
		free(h);
	}
	if ((v->col[V_HH] < 0 || v->col[V_DATE] < 0 || v->merged_below) &&
	    v->xlsx && v->row_line < AX_XLSX_TITLE_ROWS)
		return; /* a sheet's title row; the header is further down */
	if (v->col[V_HH] < 0) {
		ax__diag(v->diag, v->dctx, AX_SEV_ERROR,
		         "%s:%ld: no household id column (户号/household_id)", v->name,
		         v->row_line);
		ax__store_seterr(v->st, "%s: no household id column", v->name);
		v->rc = AX_INVALID;
	} else if (v->col[V_DATE] < 0) {
		ax__diag(v->diag, v->dctx, AX_SEV_ERROR,
		         "%s:%ld: no visit date column (走访日期/日期/date)", v->name,
		         v->row_line);
		ax__store_seterr(v->st, "%s: no visit date column", v->name);
		v->rc = AX_INVALID;
	}
	v->header_done = 1;
}

/* Read 1..max digits; returns the count read (0: none). */
static int read_num(const char **p, int max, int *out)
{
	int n = 0, val = 0;

	while (n < max && **p >= '0' && **p <= '9') {
		val = val * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	*out = val;
	return n;
}

static int eat(const char **p, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*p, lit, n) != 0)
		return 0;
	*p += n;
	return 1;
}

/*
 * A visit time as people write it: "2025-03-05", "2025/3/5",
 * "2025.3.5", "2025年3月5日", each optionally followed by " 14:30" or
 * "T14:30:00"; full-width digits and colons are folded first (NFKC).
 * China time.  Fills iso ("YYYY-MM-DDTHH:MM:SS+08:00") and the epoch.
 */
static int parse_visit_time(const char *cell, char iso[32], int64_t *epoch)
{
	utf8proc_uint8_t *n = NULL;
	const char *p;
	int y, mo, d, h = 0, mi = 0, sec = 0, ok = 0;
	char *end;
	double serial = strtod(cell, &end);

	/* a date cell of a workbook: days since 1899-12-30 (Excel's serial
	 * date), China time; 36526 is 2000-01-01, 73051 2100-01-01 */
	if (end != cell && !*end && serial >= 36526 && serial < 73051) {
		*epoch = (int64_t)((serial - 25569) * 86400 + 0.5) - 8 * 3600;
		ax__time_format(*epoch, iso, 32);
		return 0;
	}

	if (utf8proc_map((const utf8proc_uint8_t *)cell, 0, &n,
	                 UTF8PROC_NULLTERM | UTF8PROC_STABLE | UTF8PROC_COMPAT |
	                     UTF8PROC_COMPOSE) < 0)
		return -1;
	p = (const char *)n;
	if (read_num(&p, 4, &y) != 4)
		goto done;
	if (eat(&p, "年")) {
		if (!read_num(&p, 2, &mo) || !eat(&p, "月") || !read_num(&p, 2, &d))
			goto done;
		eat(&p, "日");
	} else {
		char sep = *p;
		if (sep != '-' && sep != '/' && sep != '.')
			goto done;
		p++;
		if (!read_num(&p, 2, &mo) || *p++ != sep || !read_num(&p, 2, &d))
			goto done;
	}
	if (*p == ' ' || *p == 'T') {
		while (*p == ' ' || *p == 'T')
			p++;
		if (!read_num(&p, 2, &h) || !eat(&p, ":") || read_num(&p, 2, &mi) != 2)
			goto done;
		if (eat(&p, ":") && read_num(&p, 2, &sec) != 2)
			goto done;
	}
	if (*p || y < 2000)
		goto done;
	snprintf(iso, 32, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, mo, d, h, mi,
	         sec);
	/* ax__time_parse checks month lengths, leap years and ranges */
	ok = ax__time_parse(iso, epoch) == 0;
done:
	free(n);
	return ok ? 0 : -1;
}

/* An installed pack by id, title, or topic name when only one pack has
 * that topic; NULL if none. */
static const char *resolve_pack(struct vimp *v, const char *cell)
{
	const char *hit = NULL;
	int nhits = 0;

	for (int i = 0; i < v->npacks; i++)
		if (strcmp(v->packs[i].id, cell) == 0)
			return v->packs[i].id;
	for (int i = 0; i < v->npacks; i++)
		if (strcmp(v->packs[i].title, cell) == 0)
			return v->packs[i].id;
	for (int i = 0; i < v->npacks; i++)
		if (strcmp(ax_topic_name(v->packs[i].topic), cell) == 0) {
			hit = v->packs[i].id;
			nhits++;
		}
	return nhits == 1 ? hit : NULL;
}

/* Line of an earlier row with the same visit id, or 0 (and remember this
 * one).  -1 on a store error (v->rc set). */
static long seen_before(struct vimp *v, const char *id)
{
	ax_stmt *s = v->s_seen_ins;
	long first = 0;
	int src, inserted;

	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_int64(s, 2, v->row_line);
	src = ax_stmt_step(s);
	inserted = src == AX_DB_DONE && ax_stmt_changes(s) == 1;
	ax_stmt_reset(s);
	if (src != AX_DB_DONE) {
		v->rc = ax__store_dberr(v->st, "visits_seen");
		return -1;
	}
	if (inserted) /* ON CONFLICT DO NOTHING wrote nothing: seen before */
		return 0;
	s = v->s_seen_get;
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, id);
	if (ax_stmt_step(s) == AX_DB_ROW)
		first = (long)ax_stmt_int64(s, 0);
	ax_stmt_reset(s);
	return first;
}

/* 1 when the roster holds hh as deactivated (注销) */
static int deactivated(struct vimp *v, const char *hh)
{
	ax_stmt *s = v->s_active;
	int off;

	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, hh);
	off = ax_stmt_step(s) == AX_DB_ROW && (int)ax_stmt_int64(s, 0) == 0;
	ax_stmt_reset(s);
	return off;
}

static void vrow(struct vimp *v)
{
	const char *hh = vfld(v, V_HH), *date = vfld(v, V_DATE),
	           *visitor = vfld(v, V_VISITOR), *pack_cell = vfld(v, V_PACK);
	const char *pack = NULL, *device;
	char iso[32], id[37], *name = NULL, *line = NULL;
	struct ax_rec_outcome out;
	int64_t at;
	long first;
	uuid_t ns, u;
	ax_rc rc;

	v->stats->rows++;
	if (v->too_many) {
		vreject(v, "more than %d fields", AX_CSV_MAX_FIELDS);
		return;
	}
	{
		int empty = 1;
		for (int i = 0; i < v->nf; i++)
			empty &= v->f[i][0] == '\0';
		if (empty) { /* Excel's trailing rows of empty cells */
			v->stats->rows--;
			return;
		}
	}
	if (!*hh) {
		vreject(v, "no household id (户号)");
		return;
	}
	if (strlen(hh) > 63) {
		vreject(v, "household id \"%.40s\" is too long", hh);
		return;
	}
	if (!*date && !*visitor && !*pack_cell) {
		/* a row of the visit template not filled in: not visited */
		v->stats->rows--;
		return;
	}
	if (!*date) {
		vreject(v, "no visit date (走访日期)");
		return;
	}
	if (parse_visit_time(date, iso, &at)) {
		vreject(v, "date \"%.40s\" is not a date (YYYY-MM-DD or YYYY/MM/DD, "
		           "optionally HH:MM)",
		        date);
		return;
	}
	if (at > v->now + AX_MAX_AHEAD) {
		vreject(v, "date \"%.40s\" is in the future", date);
		return;
	}
	if (strlen(visitor) > 64) {
		vreject(v, "visitor (走访人) \"%.40s\" is longer than 64 bytes",
		        visitor);
		return;
	}
	if (*pack_cell && !(pack = resolve_pack(v, pack_cell))) {
		vreject(v, "pack (宣传内容) \"%.40s\" is not the id or title of an installed "
		           "pack",
		        pack_cell);
		return;
	}
	if (deactivated(v, hh)) {
		/* the dashboard refuses these too: 注销 households count nowhere */
		vreject(v, "household %s is deactivated (注销) in the roster", hh);
		return;
	}
	device = *visitor ? visitor : v->device;

	/* the visit's identity: household, time as normalised, visitor */
	if (asprintf(&name, "visit\x1f%s\x1f%s\x1f%s", hh, iso, visitor) < 0) {
		v->rc = AX_NOMEM;
		return;
	}
	uuid_parse(visit_ns, ns);
	uuid_generate_sha1(u, ns, name, strlen(name));
	free(name);
	uuid_unparse_lower(u, id);

	if ((first = seen_before(v, id)) != 0) {
		if (first > 0) {
			v->stats->duplicate++;
			ax__diag(v->diag, v->dctx, AX_SEV_WARNING,
			         "%s:%ld: same visit as line %ld (household, date, "
			         "visitor); counted once",
			         v->name, v->row_line, first);
		}
		return;
	}
	if (!(line = visit_line(id, hh, device, at, pack))) {
		v->rc = AX_NOMEM;
		return;
	}
	rc = ax_importer_line(v->im, line, strlen(line), v->name, &out);
	free(line);
	if (rc) {
		v->rc = rc;
		return;
	}
	switch (out.result) {
	case AX_REC_ACCEPTED: v->stats->accepted++; break;
	case AX_REC_DUPLICATE: v->stats->duplicate++; break;
	case AX_REC_CONFLICT:
		v->stats->conflict++;
		ax__diag(v->diag, v->dctx, AX_SEV_WARNING, "%s:%ld: conflict: %s",
		         v->name, v->row_line, out.reason);
		break;
	case AX_REC_REJECTED: vreject(v, "%s", out.reason); break;
	}
}

static int von_row(void *ctx, const struct ax__csv_row *row)
{
	struct vimp *v = ctx;

	v->row_line = row->line;
	v->nf = row->nf;
	v->f = row->f;
	v->too_many = row->too_many;
	v->merged_below = row->merged_below;
	if (!v->header_done)
		vheader(v);
	else
		vrow(v);
	v->nf = 0;
	v->f = NULL;
	return v->rc != AX_OK;
}

/* The newest version of every installed pack. */
static ax_rc load_packs(struct vimp *v)
{
	ax_stmt *s;
	int cap = 0, src;
	ax_rc rc;

	if ((rc = ax__dprepare(v->st, &s,
	                      "SELECT id, title, topic FROM packs p WHERE version = "
	                      "(SELECT max(version) FROM packs q WHERE q.id = p.id) "
	                      "ORDER BY id")))
		return rc;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		if (v->npacks == cap) {
			struct pack_ref *np;
			cap = cap ? cap * 2 : 16;
			np = ax__arena_alloc(&v->arena, sizeof *np * (size_t)cap);
			if (!np) {
				rc = AX_NOMEM;
				goto done;
			}
			if (v->npacks)
				memcpy(np, v->packs, sizeof *np * (size_t)v->npacks);
			v->packs = np;
		}
		struct pack_ref *pr = &v->packs[v->npacks];
		pr->id = ax__arena_strdup(&v->arena, col_text(s, 0));
		pr->title = ax__arena_strdup(&v->arena, col_text(s, 1));
		pr->topic = ax__arena_strdup(&v->arena, col_text(s, 2));
		if (!pr->id || !pr->title || !pr->topic) {
			rc = AX_NOMEM;
			goto done;
		}
		v->npacks++;
	}
	rc = step_error(v->st, src, "packs");
done:
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_visits_import_mem(ax_store *st, const char *name, const char *buf,
                           size_t len, const struct ax_visits_opts *opts,
                           ax_diag_fn diag, void *diag_ctx,
                           struct ax_visits_stats *stats)
{
	struct ax_visits_stats dummy;
	struct vimp v;
	enum ax_encoding enc;
	char *text = NULL;
	size_t tlen = 0;
	ax_rc rc;

	memset(&v, 0, sizeof v);
	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	v.st = st;
	v.name = opts && opts->display_name ? opts->display_name : name;
	v.device = opts && opts->device && *opts->device ? opts->device : "paper";
	v.diag = diag;
	v.dctx = diag_ctx;
	v.stats = stats;
	v.now = (int64_t)time(NULL);

	if (strlen(v.device) > 64 || !ax_utf8_valid(v.device, strlen(v.device))) {
		ax__store_seterr(st, "device \"%.40s\" must be 1 to 64 bytes of UTF-8",
		                 v.device);
		return AX_INVALID;
	}
	rc = ax__is_xlsx(buf, len) ? AX_OK
	                           : ax_text_to_utf8(buf, len, &text, &tlen, &enc);
	if (!text && rc == AX_OK) {
		snprintf(stats->encoding, sizeof stats->encoding, "XLSX");
		v.xlsx = 1;
	} else if (rc == AX_INVALID) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR,
		         "%s: encoding is neither UTF-8 nor GBK; save it from Excel "
		         "as \"CSV UTF-8\"",
		         v.name);
		ax__store_seterr(st, "%s: unknown encoding", v.name);
		return rc;
	}
	if (rc)
		return rc;
	if (text)
		snprintf(stats->encoding, sizeof stats->encoding, "%s",
		         ax_encoding_name(enc));

	if ((rc = load_packs(&v)) ||
	    (rc = ax__dexec(st, "CREATE TEMP TABLE IF NOT EXISTS visits_seen("
	                       "id TEXT PRIMARY KEY, line INTEGER);"
	                       "DELETE FROM visits_seen;")) ||
	    (rc = ax__dprepare(st, &v.s_seen_ins,
	                      "INSERT INTO visits_seen(id, line) VALUES(?, ?) "
	                      "ON CONFLICT DO NOTHING")) ||
	    (rc = ax__dprepare(st, &v.s_seen_get,
	                      "SELECT line FROM visits_seen WHERE id = ?")) ||
	    (rc = ax__dprepare(st, &v.s_active,
	                      "SELECT active FROM households WHERE id = ?")) ||
	    (rc = ax_importer_new(st, &v.im)) || (rc = ax_importer_begin(v.im)))
		goto done;

	if (!text) {
		rc = ax__xlsx_rows(v.name, buf, len, opts ? opts->sheet : NULL,
		                   von_row, &v, diag, diag_ctx);
		if (rc) {
			ax__store_seterr(st, "the workbook cannot be read");
			goto done;
		}
	} else {
		int unterminated;
		rc = ax__csv_rows(v.name, text, tlen, von_row, &v, diag, diag_ctx,
		                  &unterminated);
		if (rc)
			goto done;
		/* the row a quote left open is a row read, and rejected */
		stats->rows += unterminated;
		stats->rejected += unterminated;
	}
	if (v.rc) {
		rc = v.rc;
		goto done;
	}
	if (!v.header_done) {
		ax__diag(diag, diag_ctx, AX_SEV_ERROR, "%s: file is empty", v.name);
		ax__store_seterr(st, "%s: file is empty", v.name);
		rc = AX_INVALID;
		goto done;
	}
	rc = ax_importer_commit(v.im);
done:
	if (rc) {
		/* nothing of this file is kept */
		memset(stats, 0, sizeof *stats);
		snprintf(stats->encoding, sizeof stats->encoding, "%s",
		         text ? ax_encoding_name(enc) : "");
	}
	ax_importer_free(v.im); /* rolls back an uncommitted batch */
	ax_stmt_finalize(v.s_seen_ins);
	ax_stmt_finalize(v.s_seen_get);
	ax_stmt_finalize(v.s_active);
	ax__arena_free(&v.arena);
	free(text);
	return rc;
}

ax_rc ax_visits_import_csv(ax_store *st, const char *path,
                           const struct ax_visits_opts *opts, ax_diag_fn diag,
                           void *diag_ctx, struct ax_visits_stats *stats)
{
	char *buf;
	size_t len;
	ax_rc rc;

	if (stats)
		memset(stats, 0, sizeof *stats);
	if ((rc = ax__read_file(st, path, diag, diag_ctx, &buf, &len)))
		return rc;
	rc = ax_visits_import_mem(st, path, buf, len, opts, diag, diag_ctx,
	                          stats);
	free(buf);
	return rc;
}
