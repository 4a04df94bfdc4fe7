/*
 * ledger.c -- the 台账: listings of contacts, responses and households not
 * yet reached, and recording a door-to-door visit through the record
 * importer (a paper list of them: visits_import.c).
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

/* " AND col IN (…)" */
static void kinds_sql(struct ax_buf *b, int kinds, const char *col)
{
	ax__buf_puts(b, " AND ");
	ax__buf_kinds_in(b, kinds, col);
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
	ax__buf_kinds_in(&b, cov, "c.kind");
	ax__buf_puts(&b, " ORDER BY c.at, c.id) FROM contacts c JOIN households "
	                 "h ON h.id = c.household");
	ax__buf_puts(&b, REGION_JOINS("h.grid"));
	ax__buf_puts(&b, " WHERE c.at >= ?1 AND c.at < ?2 AND (CAST(?3 AS TEXT) IS NULL OR "
	                 "c.channel = ?3)");
	if (q->contact_kinds)
		kinds_sql(&b, q->contact_kinds, "c.kind");
	scope_sql(&b, &sc, "h.grid");
	ax__buf_puts(&b, " ORDER BY c.at, c.id");
	if ((rc = ax__dprepare_buf(st, &b, &s)))
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
	if ((rc = ax__dprepare_buf(st, &b, &s)))
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
	if ((rc = ax__dprepare_buf(st, &b, &s)))
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
	if ((rc = ax__dprepare_buf(st, &b, &s)))
		return rc;
	ax_stmt_bind_text(s, 1, q);
	rc = household_rows(st, s, scope, limit, fn, ctx, "household search");
	ax_stmt_finalize(s);
	return rc;
}

/* ---- recording visits -------------------------------------------------- */
/* Namespace of name-based visit UUIDs (RFC 4122 §4.3).  Never change it:
 * re-imports find earlier visits by the UUIDs it produced. */
const char ax__visit_ns[] = "4bc27e00-ed7e-4c3e-855e-d8b18ad246ab";

/* The record line of a visit contact; caller frees.  NULL on OOM. */
char *ax__visit_line(const char *id, const char *household,
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
	line = ax__visit_line(id, household, device_or_user, at, pack_or_null);
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
