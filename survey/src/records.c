/*
 * records.c -- validating and importing records (responses and outreach
 * contacts), exactly once, with the counts behind every rate kept up to
 * date in the same transaction.
 *
 * Invariants kept here (DESIGN.md "Nothing counts twice"):
 *   - a record id is stored once; a resend is a duplicate, a changed
 *     resend a conflict kept aside;
 *   - per household, survey and wave exactly one complete response is
 *     `counted`: the earliest by completion time (ties by id), whatever
 *     the order records arrive in;
 *   - tally holds, per region, survey, wave, channel and day, the sums
 *     of the counted responses' results, so reports never scan responses.
 *     Deltas are gathered in memory during a batch and written at commit,
 *     in the same transaction.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uuid/uuid.h>

#include <sodium.h>

#include "anxin/auth.h"
#include "anxin/content.h"
#include "anxin/phone.h"
#include "anxin/records.h"
#include "anxin/response.h"
#include "anxin/roster.h"
#include "anxin/text.h"
#include "anxin_int.h"
#include "records_int.h"

const char *ax_rec_result_name(enum ax_rec_result r)
{
	switch (r) {
	case AX_REC_ACCEPTED: return "accepted";
	case AX_REC_DUPLICATE: return "duplicate";
	case AX_REC_CONFLICT: return "conflict";
	case AX_REC_REJECTED: return "rejected";
	}
	return "?";
}

static const char *const kind_names[] = {"sms_sent", "sms_delivered",
                                         "sms_replied", "kiosk_session",
                                         "visit"};

const char *ax_contact_kind_name(int bit)
{
	for (int i = 0; i < 5; i++)
		if (bit == 1 << i)
			return kind_names[i];
	return NULL;
}

void ax__buf_kinds_in(struct ax_buf *b, int kinds, const char *col)
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

int ax_contact_kinds_parse(const char *list)
{
	int mask = 0;
	const char *p = list;

	while (p && *p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		int hit = 0;
		for (int i = 0; i < 5; i++)
			if (strlen(kind_names[i]) == n && strncmp(kind_names[i], p, n) == 0) {
				mask |= 1 << i;
				hit = 1;
			}
		if (!hit)
			return -1;
		p = c ? c + 1 : NULL;
	}
	return mask;
}



/* Changes whenever a survey version is installed. */
static void surveys_fingerprint(ax_importer *im, char out[64])
{
	ax_stmt *s = im->t[S_SURVEYS_FP];
	out[0] = '\0';
	ax_stmt_reset(s);
	if (ax_stmt_step(s) == AX_DB_ROW)
		snprintf(out, 64, "%lld:%lld:%lld", (long long)ax_stmt_int64(s, 0),
		         (long long)ax_stmt_int64(s, 1), (long long)ax_stmt_int64(s, 2));
	ax_stmt_reset(s);
}


/* ---- importer lifecycle ----------------------------------------------- */
/* A SQLite store opened at an older version (tests build old files with
 * ax__store_open_at): before v20 contacts have no region, before v16
 * there is no visits_undone. */
static const char *const before_v20[S_NSTMT] = {
	[S_INS_CONTACT] =
	    "INSERT INTO contacts(id, household, channel, kind, pack, "
	    "device, at, body, received_at) SELECT ?1, ?2, ?3, ?4, ?5, ?6, "
	    "CAST(?7 AS BIGINT), ?8, CAST(?9 AS BIGINT) WHERE NOT EXISTS (SELECT 1 "
	    "FROM visits_undone WHERE id = ?1) ON CONFLICT(id) DO NOTHING",
};
static const char *const before_v16[S_NSTMT] = {
	[S_INS_CONTACT] =
	    "INSERT INTO contacts(id, household, channel, kind, pack, "
	    "device, at, body, received_at) VALUES(?,?,?,?,?,?,?,?,?) "
	    "ON CONFLICT(id) DO NOTHING",
	[S_GET_CONTACT] = "SELECT body FROM contacts WHERE id = ?",
	/* no campaign counts as closed: nothing arrives late */
	[S_CAMPAIGNS] = "SELECT survey, wave, scope, starts_at, ends_at, NULL "
	                "FROM campaigns",
};

static ax_rc prepare_stmt(ax_importer *im, int i)
{
	ax_db *db = ax__store_dbl(im->st);
	const char *sql = i == S_LOCK_HH ? ax_db_sql(db, AX_SQL_LOCK_KEY) : ax__importer_sql(i);
	if (!ax__store_is_pg(im->st)) {
		int v = ax_store_schema_version(im->st);
		if (before_v20[i] && v < 20)
			sql = before_v20[i];
		if (before_v16[i] && v < 16)
			sql = before_v16[i];
	}
	if (im->t[i] || ax_db_prepare(db, sql, &im->t[i]) == AX_DB_OK)
		return AX_OK;
	return ax__store_dberr(im->st, "prepare");
}

ax_rc ax_importer_new(ax_store *st, ax_importer **out)
{
	ax_importer *im = calloc(1, sizeof *im);
	ax_rc rc;

	*out = NULL;
	if (!im)
		return AX_NOMEM;
	im->st = st;
	im->hmgen = 1;
	/* the opt-out statements when the first opt-out comes: a store
	 * opened below v11 (tests of old files) imports responses too; the
	 * tally upserts are tally.c's, several rows at a time, made from
	 * S_TALLY's and S_TALLY_TOTAL's text */
	for (int i = 0; i < S_NSTMT; i++)
		if ((i < S_INS_OPTOUT || i > S_PHONE_HH) && i != S_TALLY &&
		    i != S_TALLY_TOTAL && (rc = prepare_stmt(im, i)))
			goto fail;
	surveys_fingerprint(im, im->surveys_fp);
	if ((rc = ax_content_load_store(st, &im->surveys)))
		goto fail;
	*out = im;
	return AX_OK;
fail:
	ax_importer_free(im);
	return rc;
}

void ax_importer_free(ax_importer *im)
{
	if (!im)
		return;
	if (im->in_tx)
		ax_importer_rollback(im);
	for (int i = 0; i < S_NSTMT; i++)
		ax_stmt_finalize(im->t[i]);
	for (size_t i = 0; i < AX_ARRAY_LEN(im->tm); i++)
		for (int j = 0; j < 4; j++)
			ax_stmt_finalize(im->tm[i][j]);
	ax__cmemo_clear(im);
	ax__pend_free(im);
	free(im->cm);
	ax_content_free(im->surveys);
	ax__tally_clear(im);
	ax__camps_clear(im);
	free(im->tb);
	free(im->hm);
	free(im);
}

void ax_importer_set_check(ax_importer *im, ax_record_check_fn fn, void *ctx)
{
	im->check = fn;
	im->check_ctx = ctx;
}

void ax_importer_set_unseal(ax_importer *im, const unsigned char pk[32],
                            const unsigned char sk[32])
{
	memcpy(im->pk[0], pk, 32);
	memcpy(im->sk[0], sk, 32);
	im->unseal = 1;
}

ax_rc ax_importer_use_store_keys(ax_importer *im, ax_store *st)
{
	unsigned char pk[32], sk[32], zero[32] = {0};
	ax_stmt *s;
	ax_rc rc;
	int src;

	im->unseal = 0;
	if ((rc = ax_store_keypair(st, pk, sk)))
		return rc;
	if (memcmp(sk, zero, 32) != 0)
		ax_importer_set_unseal(im, pk, sk);
	sodium_memzero(sk, sizeof sk);
	if ((rc = ax__dprepare(st, &s, "SELECT public, secret FROM keys WHERE name"
	                               " LIKE 'seal.%' ORDER BY name")))
		return rc;
	while ((src = ax_stmt_step(s)) == AX_DB_ROW && im->unseal < AX_UNSEAL_KEYS) {
		if (ax_stmt_blob(s, 0, im->pk[im->unseal], 32) == 32 &&
		    ax_stmt_blob(s, 1, im->sk[im->unseal], 32) == 32)
			im->unseal++;
	}
	rc = src == AX_DB_ERROR ? ax__store_dberr(st, "keys") : AX_OK;
	ax_stmt_finalize(s);
	return rc;
}

void ax_importer_set_clock_skew(ax_importer *im, long long device_minus_server)
{
	im->skew = device_minus_server;
}

void ax_importer_set_received_at(ax_importer *im, long long epoch)
{
	im->received_at = epoch;
	im->fixed_received = epoch != 0;
}

ax_rc ax_importer_begin(ax_importer *im)
{
	char fp[64];
	ax_rc rc;

	/* a long-lived importer (a server thread) sees newly installed
	 * surveys: reload them when the surveys table changed */
	surveys_fingerprint(im, fp);
	if (strcmp(fp, im->surveys_fp) != 0) {
		ax_content *c;
		if ((rc = ax_content_load_store(im->st, &c)))
			return rc;
		ax_content_free(im->surveys);
		im->surveys = c;
		memcpy(im->surveys_fp, fp, sizeof fp);
	}
	ax__hh_memo_clear(im); /* the roster may have changed between batches */
	ax__camps_clear(im); /* and the campaigns */
	ax__cmemo_clear(im);
	ax__pend_clear(im);
	rc = ax_store_begin(im->st);
	if (rc == AX_OK)
		im->in_tx = 1;
	if (!im->fixed_received)
		im->received_at = (long long)time(NULL);
	ax__tally_clear(im);
	return rc;
}

ax_rc ax_importer_commit(ax_importer *im)
{
	ax_rc rc;

	if (!im->in_tx)
		return AX_OK;
	if ((rc = ax__pend_flush(im)) || (rc = ax__tally_flush(im)) ||
	    (rc = ax_store_commit(im->st))) {
		ax_importer_rollback(im);
		return rc;
	}
	im->in_tx = 0;
	ax__hh_memo_clear(im);
	ax__camps_clear(im);
	ax__cmemo_clear(im);
	return AX_OK;
}

void ax_importer_rollback(ax_importer *im)
{
	ax_db_rollback(ax__store_dbl(im->st));
	im->in_tx = 0;
	ax__hh_memo_clear(im);
	ax__camps_clear(im);
	ax__cmemo_clear(im);
	ax__pend_clear(im);
	ax__tally_clear(im);
}

/* ---- validation helpers ----------------------------------------------- */
struct rec {
	struct ax_rec_outcome *out;
};

static int reject(struct ax_rec_outcome *out, const char *fmt, ...)
    AX_PRINTF(2, 3);
static int reject(struct ax_rec_outcome *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof out->reason, fmt, ap);
	va_end(ap);
	out->result = AX_REC_REJECTED;
	return -1;
}


/* Required (or optional) string field of bounded length. */
static int want_str(json_t *o, const char *key, int required, size_t max,
                    const char **val, struct ax_rec_outcome *out)
{
	json_t *v = json_object_get(o, key);
	*val = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return reject(out, "missing field \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return reject(out, "field \"%s\" must be a string", key);
	if (json_string_length(v) == 0 || json_string_length(v) > max)
		return reject(out, "field \"%s\" must be 1 to %zu bytes", key, max);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return reject(out, "field \"%s\" contains a NUL character", key);
	*val = json_string_value(v);
	return 0;
}

static int want_enum(json_t *o, const char *key, const char *const *names,
                     int n, int *idx, struct ax_rec_outcome *out)
{
	const char *v;
	char ex[64];
	if (want_str(o, key, 1, 32, &v, out))
		return -1;
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], v) == 0) {
			*idx = i;
			return 0;
		}
	ax__excerpt(v, ex, sizeof ex);
	return reject(out, "field \"%s\": \"%s\" is not one of the allowed values",
	              key, ex);
}

static int want_time(json_t *o, const char *key, int required, int64_t *t,
                     int *present, struct ax_rec_outcome *out)
{
	const char *v;
	char ex[64];
	*present = 0;
	if (want_str(o, key, required, 40, &v, out))
		return -1;
	if (!v)
		return 0;
	if (ax__time_parse(v, t)) {
		ax__excerpt(v, ex, sizeof ex);
		return reject(out, "field \"%s\": \"%s\" is not an ISO 8601 time", key,
		              ex);
	}
	*present = 1;
	return 0;
}

static int check_id(json_t *o, struct ax_rec_outcome *out)
{
	const char *v;
	uuid_t u;
	char ex[64];

	if (want_str(o, "id", 1, 63, &v, out))
		return -1;
	if (uuid_parse(v, u) != 0) {
		ax__excerpt(v, ex, sizeof ex);
		return reject(out, "field \"id\": \"%s\" is not a UUID", ex);
	}
	uuid_unparse_lower(u, out->id);
	return 0;
}

/* Build the canonical body: known fields only, sorted, compact. */
static char *canonical(json_t *o, const char *const *fields, int n,
                       const char *id)
{
	json_t *c = json_object();
	char *s;

	for (int i = 0; i < n; i++) {
		json_t *v = json_object_get(o, fields[i]);
		if (v && !json_is_null(v))
			json_object_set(c, fields[i], v);
	}
	json_object_set_new(c, "id", json_string(id));
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
	return s;
}

/* A record whose id is stored: a duplicate when same (its body is the
 * stored one), else a conflict, kept for review. */
static ax_rc stored_outcome(ax_importer *im, int same, const char *type,
                            const char *id, const char *body,
                            const char *source, struct ax_rec_outcome *out)
{
	ax_stmt *s;
	int src;

	if (same) {
		out->result = AX_REC_DUPLICATE;
		return AX_OK;
	}
	out->result = AX_REC_CONFLICT;
	snprintf(out->reason, sizeof out->reason,
	         "id %s was already stored with different content; kept for review",
	         id);
	s = im->t[S_INS_CONFLICT];
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, id);
	ax_stmt_bind_text(s, 2, type);
	ax_stmt_bind_text(s, 3, body);
	ax_stmt_bind_text(s, 4, source);
	ax_stmt_bind_int64(s, 5, im->received_at);
	src = ax_stmt_step(s);
	ax_stmt_reset(s);
	if (src != AX_DB_DONE)
		return ax__store_dberr(im->st, "conflicts");
	return AX_OK;
}

/* Compare with the stored body; records a conflict when different. */
static ax_rc existing(ax_importer *im, int getstmt, const char *type,
                      const char *id, const char *body, const char *source,
                      struct ax_rec_outcome *out)
{
	ax_stmt *s = im->t[getstmt];
	int same = 0, found = 0, src;

	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, id);
	if ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		found = 1;
		same = strcmp(ax_stmt_text(s, 0), body) == 0;
	}
	ax_stmt_reset(s);
	if (src == AX_DB_ERROR)
		return ax__store_dberr(im->st, "stored record");
	if (!found) {
		ax__store_seterr(im->st, "record vanished");
		return AX_ERROR;
	}
	return stored_outcome(im, same, type, id, body, source, out);
}

/* Whether the record is written at the batch's end (records_pending.c):
 * when the prefetch read whether its id is stored (1, *known its stored
 * or queued body, NULL new).  Else (0) the queue is written first, so
 * the statements the record runs see every row the batch stored. */
static int queued_or_flush(ax_importer *im, int table, const char *id,
                           const char **known, ax_rc *rc)
{
	*rc = AX_OK;
	if (ax__idmemo(im, table, id, known))
		return 1;
	*rc = ax__pend_flush(im);
	return 0;
}

/* Queue a new record's row (vals, in its insert's parameter order) and
 * remember its body for a later record of the batch with its id. */
static ax_rc queue_row(ax_importer *im, int table, const char *id,
                       const struct ax__val *vals, const char *body)
{
	if (ax__pend_add(im, table, vals) ||
	    ax__idmemo_set(im, table, id, body))
		return AX_NOMEM;
	return AX_OK;
}

/* Step the bound insert `ins` (ON CONFLICT DO NOTHING) of record out->id:
 * accepted when it wrote a row, else compared with the stored one
 * (`get`): a duplicate or a conflict. */
static ax_rc insert_new(ax_importer *im, int ins, int get, const char *type,
                        const char *body, const char *source,
                        struct ax_rec_outcome *out)
{
	ax_stmt *s = im->t[ins];
	int src = ax_stmt_step(s);
	ax_stmt_reset(s);
	if (src != AX_DB_DONE)
		return ax__store_dberr(im->st, type);
	if (ax_stmt_changes(s) == 0)
		return existing(im, get, type, out->id, body, source, out);
	out->result = AX_REC_ACCEPTED;
	return AX_OK;
}

/* Household's grid into grid[64]; 0 found. */
static int household_grid(ax_importer *im, const char *hh, char grid[64])
{
	ax_stmt *s = im->t[S_HH];
	int found = 0;
	struct hh_memo *m;

	if ((m = ax__hh_memo_find(im, hh))) {
		memcpy(grid, m->grid, 64);
		return 0;
	}
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, hh);
	if (ax_stmt_step(s) == AX_DB_ROW) {
		snprintf(grid, 64, "%s", ax_stmt_text(s, 0));
		found = 1;
	}
	ax_stmt_reset(s);
	if (found)
		ax__hh_memo_put(im, hh, grid); /* out of memory: just not remembered */
	return found ? 0 : -1;
}

static int region_exists(ax_importer *im, const char *code)
{
	ax_stmt *s = im->t[S_REGION];
	int found;
	if (ax__cmemo_region(im, code))
		return 1; /* read by ax_importer_prefetch */
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, code);
	found = ax_stmt_step(s) == AX_DB_ROW;
	ax_stmt_reset(s);
	return found;
}

/*
 * A kiosk resident links a household by typing their number, which the
 * kiosk seals at once for the central store.  Open it, resolve it to a
 * household (written into the record as "household") and drop the sealed
 * field so the number never reaches the stored body.  Returns 1 when a
 * household was found; an unknown number leaves the record anonymous.
 */
/* 1 when one of the importer's keys opens sealed into phone */
static int unseal_any(ax_importer *im, const char *sealed, char *phone,
                      size_t len)
{
	for (int k = 0; k < im->unseal; k++)
		if (ax_unseal_phone(im->pk[k], im->sk[k], sealed, phone, len) == AX_OK)
			return 1;
	return 0;
}

static int unseal_household(ax_importer *im, json_t *o, char resolved[64])
{
	json_t *v = json_object_get(o, "household_phone_sealed");
	char phone[64], norm[AX_PHONE_MAX];
	int found = 0;

	if (!json_is_string(v))
		return 0;
	if (im->unseal && ax__dev_may_unseal(im) &&
	    unseal_any(im, json_string_value(v), phone, sizeof phone) &&
	    ax_phone_normalize(phone, norm, NULL) == AX_OK &&
	    ax_roster_find_phone(im->st, norm, resolved) == AX_OK) {
		json_object_set_new(o, "household", json_string(resolved));
		found = 1;
	}
	sodium_memzero(phone, sizeof phone);
	sodium_memzero(norm, sizeof norm);
	json_object_del(o, "household_phone_sealed");
	return found;
}

/*
 * The wave of the single campaign of `survey` whose window holds `at` and
 * whose scope covers the record's place (the household's grid, else the
 * region given).  0 when none or several do (no guess).
 */
static int campaign_wave(ax_importer *im, const char *survey, const char *hh,
                         const char *region, int64_t at, char out[64])
{
	char place[64];

	if (hh) {
		if (household_grid(im, hh, place))
			return 0;
	} else if (region) {
		snprintf(place, sizeof place, "%s", region);
	} else {
		return 0;
	}
	return ax__camp_wave(im, survey, place, at, out);
}

/* ---- responses -------------------------------------------------------- */
static const char *const channels[] = {"kiosk", "sms", "visit"};
static const char *const statuses[] = {"complete", "partial", "abandoned"};
static const char *const response_fields[] = {
	"type",   "survey",    "survey_version", "channel", "device",
	"household", "region", "started_at",     "completed_at",
	"status", "answers",   "wave",           "flags",   "drawn",
	"order"};


static ax_rc set_counted(ax_importer *im, const char *id, int v)
{
	ax_stmt *s = im->t[S_SET_COUNTED];
	int src;
	ax_stmt_reset(s);
	ax_stmt_bind_int64(s, 1, v);
	ax_stmt_bind_text(s, 2, id);
	src = ax_stmt_step(s);
	ax_stmt_reset(s);
	return src == AX_DB_DONE ? AX_OK : ax__store_dberr(im->st, "counted");
}


/* Hold the household's lock until the transaction ends (AX_SQL_LOCK_KEY). */
static ax_rc lock_household(ax_importer *im, const char *hh)
{
	ax_stmt *s = im->t[S_LOCK_HH];
	int src;
	if (ax__cmemo_known(im, hh))
		return AX_OK; /* locked by ax_importer_prefetch */
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, hh);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW)
		;
	ax_stmt_reset(s);
	return src == AX_DB_DONE ? AX_OK : ax__store_dberr(im->st, "household lock");
}

/* The household's counted response for (survey, wave), if any. */
struct counted {
	int found;
	char id[64], region[64], channel[16];
	int64_t completed;
	int day;
	struct ax_derived d;
	char topics[AX__RESULT_NAMES][40];
};

static void find_counted(ax_importer *im, const char *hh, const char *survey,
                         const char *wave, struct counted *c)
{
	ax_stmt *s = im->t[S_COUNTED];

	memset(c, 0, sizeof *c);
	if (ax__cmemo_known(im, hh)) { /* read by ax_importer_prefetch */
		const struct ax__counted_row *m = ax__cmemo_get(im, hh, survey, wave);
		if (m) {
			c->found = 1;
			memcpy(c->id, m->id, sizeof c->id);
			c->completed = m->completed;
			memcpy(c->region, m->region, sizeof c->region);
			memcpy(c->channel, m->channel, sizeof c->channel);
			c->day = m->day;
			c->d.has_sat = m->has_sat;
			c->d.sat = m->sat;
			c->d.score = m->score;
			ax__topics_parse(m->topics, &c->d, c->topics);
		}
		return;
	}
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, hh);
	ax_stmt_bind_text(s, 2, survey);
	ax_stmt_bind_text(s, 3, wave);
	if (ax_stmt_step(s) == AX_DB_ROW) {
		c->found = 1;
		snprintf(c->id, sizeof c->id, "%s", ax_stmt_text(s, 0));
		c->completed = ax_stmt_int64(s, 1);
		snprintf(c->region, sizeof c->region, "%s", ax_stmt_text(s, 2));
		snprintf(c->channel, sizeof c->channel, "%s", ax_stmt_text(s, 3));
		c->day = (int)ax_stmt_int64(s, 4);
		c->d.has_sat = !ax_stmt_is_null(s, 5);
		c->d.sat = (int)ax_stmt_int64(s, 5);
		c->d.score = ax_stmt_double(s, 6);
		ax__topics_parse(ax_stmt_text(s, 7), &c->d, c->topics);
	}
	ax_stmt_reset(s);
}

/* A response record as read and resolved, before it is stored. */
struct resp {
	const char *survey, *device, *hh, *region_in, *wave;
	int chan, status, has_completed;
	int sealed; /* carried a sealed number (opened or not) */
	int fast; /* flagged "fast": read too quickly to count (kept, set aside) */
	int repeat; /* flagged "repeat": the same survey again in one kiosk
	             * visit (kept, set aside: the visit's first counts) */
	int64_t started, completed;
	const struct ax_survey *sv;
	struct ax_response answers;
	char region[64];     /* where it counts: the household's grid or region_in */
	char resolved[64];   /* household resolved from a sealed number */
	char derived_wave[64];
};

/* Fields, survey, flags and answers of a response; 0, or -1 rejected. */
static int read_response(ax_importer *im, json_t *o, struct resp *p,
                         struct ax_rec_outcome *out)
{
	const char *body_wave;
	int has_started;
	json_t *ver, *fl, *x;
	char ex[64];
	size_t i;

	if (want_str(o, "survey", 1, 48, &p->survey, out) ||
	    want_enum(o, "channel", channels, 3, &p->chan, out) ||
	    want_str(o, "device", 1, 64, &p->device, out) ||
	    want_str(o, "household", 0, 63, &p->hh, out) ||
	    want_str(o, "region", 0, 20, &p->region_in, out) ||
	    want_enum(o, "status", statuses, 3, &p->status, out) ||
	    want_time(o, "started_at", 1, &p->started, &has_started, out) ||
	    want_time(o, "completed_at", p->status == 0, &p->completed,
	              &p->has_completed, out) ||
	    want_str(o, "wave", 0, 48, &body_wave, out))
		return -1;
	/* bound to the sending device: final reasons before any retryable */
	if (ax__dev_fields(im, p->device, channels[p->chan], NULL, p->hh != NULL,
	                   json_object_get(o, "household_phone_sealed") != NULL,
	                   out->reason)) {
		out->result = AX_REC_REJECTED;
		return -1;
	}
	ver = json_object_get(o, "survey_version");
	if (!json_is_integer(ver) || json_integer_value(ver) < 1 ||
	    json_integer_value(ver) > 1000000)
		return reject(out, "field \"survey_version\" must be a whole number "
		                   "from 1 up");
	p->sv = ax_content_find_survey(im->surveys, p->survey,
	                               (int)json_integer_value(ver));
	if (!p->sv || p->sv->version != (int)json_integer_value(ver)) {
		ax__excerpt(p->survey, ex, sizeof ex);
		out->retry = 1; /* it may be installed later */
		return reject(out, "survey \"%s\" version %d is not installed in this "
		                   "store", ex, (int)json_integer_value(ver));
	}
	fl = json_object_get(o, "flags");
	if (fl && !json_is_null(fl)) {
		if (!json_is_array(fl) || json_array_size(fl) > 8)
			return reject(out, "field \"flags\" must be an array of up to 8 "
			                   "words");
		json_array_foreach(fl, i, x) {
			if (!json_is_string(x) || json_string_length(x) == 0 ||
			    json_string_length(x) > 32)
				return reject(out, "field \"flags\": item %zu must be a word "
				                   "of 1 to 32 bytes", i);
			if (strcmp(json_string_value(x), "fast") == 0)
				p->fast = 1;
			if (strcmp(json_string_value(x), "repeat") == 0)
				p->repeat = 1;
		}
	}
	if (!json_object_get(o, "answers"))
		return reject(out, "missing field \"answers\"");
	if (ax_response_from_json(&p->answers, p->sv, json_object_get(o, "answers"),
	                          out->reason, sizeof out->reason) != AX_OK ||
	    ax_response_shown_from_json(&p->answers, o, out->reason,
	                                sizeof out->reason) != AX_OK) {
		out->result = AX_REC_REJECTED;
		return -1;
	}
	if (p->has_completed && p->completed < p->started - 300)
		return reject(out, "completed_at is before started_at");
	if (ax__dev_wave(im, p->survey, body_wave, out->reason) ||
	    ax__dev_time(im, "started_at", p->started - im->skew, out->reason) ||
	    (p->has_completed &&
	     ax__dev_time(im, "completed_at", p->completed - im->skew, out->reason))) {
		out->result = AX_REC_REJECTED;
		return -1;
	}
	/* A record without a wave (a kiosk that had not synced its campaigns
	 * yet) belongs to the one campaign of its survey whose scope and window
	 * cover it, so a household still counts once per campaign. */
	if (!body_wave &&
	    campaign_wave(im, p->survey, p->hh, p->region_in,
	                  p->has_completed ? p->completed : p->started,
	                  p->derived_wave))
		body_wave = p->derived_wave;
	p->wave = body_wave ? body_wave : "";
	/* on the server's clock from here on (the body keeps the device's) */
	p->started -= im->skew;
	p->completed -= im->skew;
	return 0;
}

/* The region an anonymous response (or one with a sealed number) was
 * given in: known, and one the device may credit.  0, or -1 rejected. */
static int place_region(ax_importer *im, struct resp *p,
                        struct ax_rec_outcome *out)
{
	char ex[64];

	if (!p->region_in)
		return reject(out, "an anonymous response needs \"region\" (the "
		                   "grid or village code where it was given; a "
		                   "sealed number too)");
	/* retryable from here: the roster and scopes may change */
	if (!region_exists(im, p->region_in)) {
		ax__excerpt(p->region_in, ex, sizeof ex);
		out->retry = 1;
		return reject(out, "region \"%s\" is not a known region code", ex);
	}
	snprintf(p->region, sizeof p->region, "%s", p->region_in);
	if (im->check &&
	    im->check(im->check_ctx, "response", NULL, p->region, out->reason)) {
		out->result = AX_REC_REJECTED;
		out->retry = 1;
		return -1;
	}
	return 0;
}

/* Where the response counts: the household (from the record or a sealed
 * number) and its grid, or the anonymous region; the device check.  0, or
 * -1 rejected.  A sealed number is opened last, once everything else
 * passed, and whatever it names the outcome is the same: its household
 * when the device may credit it, else the answer stays anonymous at the
 * region it was given in (a visitor from another township, a number not
 * on the roster). */
static int place_response(ax_importer *im, json_t *o, struct resp *p,
                          struct ax_rec_outcome *out)
{
	char ex[64], grid[64], scratch[256];

	if (!p->hh && json_is_string(json_object_get(o, "household_phone_sealed"))) {
		p->sealed = 1;
		if (place_region(im, p, out))
			return -1;
		if (unseal_household(im, o, p->resolved) &&
		    !household_grid(im, p->resolved, grid) &&
		    !(im->check && im->check(im->check_ctx, "response", p->resolved,
		                             grid, scratch))) {
			p->hh = p->resolved;
			snprintf(p->region, sizeof p->region, "%s", grid);
		} else {
			json_object_del(o, "household");
		}
		return 0;
	}
	if (!p->hh)
		return place_region(im, p, out);
	out->retry = 1; /* a rejection below may not be final */
	if (household_grid(im, p->hh, p->region)) {
		ax__excerpt(p->hh, ex, sizeof ex);
		return reject(out, "household \"%s\" is not in the roster", ex);
	}
	if (im->check &&
	    im->check(im->check_ctx, "response", p->hh, p->region, out->reason)) {
		out->result = AX_REC_REJECTED;
		return -1;
	}
	out->retry = 0;
	return 0;
}

#define VT(x) {(x) ? 't' : 'n', 0, 0, (char *)(x)}
#define VI(x) {'i', (x), 0, NULL}
#define VN {'n', 0, 0, NULL}

/* The row of a response: S_INS_RESP's ?1..?18 (topics: a buffer of the
 * caller's, as long as v is used). */
static void response_vals(ax_importer *im, const struct resp *p,
                          const struct ax_derived *d, const char *id,
                          const char *body, int counted, char topics[1024],
                          struct ax__val v[18])
{
	const struct ax__val r[18] = {
		VT(id), VT(p->survey), VI(p->sv->version), VT(p->wave),
		VT(channels[p->chan]), VT(p->device),
		VT(p->hh), /* NULL: no household */
		VT(p->region), VI(p->started),
		p->has_completed ? (struct ax__val)VI(p->completed)
		                 : (struct ax__val)VN,
		VT(statuses[p->status]),
		p->status == 0 ? (struct ax__val)VI(ax__cst_day(p->completed))
		               : (struct ax__val)VN,
		d->has_sat ? (struct ax__val)VI(d->sat) : (struct ax__val)VN,
		d->has_sat ? (struct ax__val){'d', 0, d->score, NULL}
		           : (struct ax__val)VN,
		VT(body), VI(im->received_at), VN, VI(counted)};
	ax__topics_format(d, topics, 1024);
	memcpy(v, r, sizeof r);
	v[16] = (struct ax__val)VT(topics[0] ? topics : NULL);
}

static int insert_response(ax_importer *im, const struct ax__val v[18])
{
	ax_stmt *s = im->t[S_INS_RESP];
	int src;

	ax_stmt_reset(s);
	ax__vals_bind(s, 1, v, 18);
	src = ax_stmt_step(s);
	ax_stmt_reset(s);
	return src;
}

/* 1 when the response's wave is a campaign's that was closed before the
 * record arrived (晚到): kept, set aside, never counted, so a closed
 * campaign's figures do not move; 0 not; -1 on a store error. */
static int arrived_late(ax_importer *im, const struct resp *p)
{
	if (!p->wave || !*p->wave)
		return 0; /* 日常监测: no campaign to close */
	return ax__camp_closed_before(im, p->wave, im->received_at);
}

/* The response now counted for its household, survey and wave, as its
 * row holds it (insert_response), for the next of the batch. */
static void remember_counted(ax_importer *im, const struct resp *p,
                             const struct ax_derived *d, const char *id)
{
	struct ax__counted_row r;
	char topics[1024];

	memset(&r, 0, sizeof r);
	snprintf(r.id, sizeof r.id, "%s", id);
	snprintf(r.region, sizeof r.region, "%s", p->region);
	snprintf(r.channel, sizeof r.channel, "%s", channels[p->chan]);
	r.completed = p->completed;
	r.day = ax__cst_day(p->completed);
	r.has_sat = d->has_sat;
	r.sat = d->has_sat ? d->sat : 0;
	r.score = d->has_sat ? d->score : 0;
	ax__topics_format(d, topics, sizeof topics);
	r.topics = topics[0] ? topics : NULL;
	ax__cmemo_set(im, p->hh, p->survey, p->wave, &r);
}

static ax_rc import_response(ax_importer *im, json_t *o, const char *source,
                             struct ax_rec_outcome *out)
{
	struct resp *p;
	struct ax_derived d;
	struct counted old;
	struct ax__val v[18];
	int counted = 0, displace = 0, late, src, queued = 0;
	char *body = NULL, topics[1024];
	const char *known = NULL;
	ax_rc rc = AX_OK;

	/* the answers value is 512 bytes: off the stack of a server thread */
	if (!(p = calloc(1, sizeof *p)))
		return AX_NOMEM;
	if (read_response(im, o, p, out) || place_response(im, o, p, out))
		goto done;
	body = canonical(o, response_fields, (int)AX_ARRAY_LEN(response_fields),
	                 out->id);
	if (!body) {
		rc = AX_NOMEM;
		goto done;
	}
	memset(&d, 0, sizeof d);
	old.found = 0;
	/* queued when the prefetch read its id and its household (locked,
	 * its counted responses read) */
	if (!p->hh || ax__cmemo_known(im, p->hh))
		queued = queued_or_flush(im, AX__PEND_RESP, out->id, &known, &rc);
	else
		rc = ax__pend_flush(im);
	if (rc)
		goto done;
	if (known) { /* the prefetch read it stored, or the batch holds it */
		rc = stored_outcome(im, strcmp(known, body) == 0, "response",
		                    out->id, body, source, out);
		goto done;
	}
	if ((late = arrived_late(im, p)) < 0) {
		rc = ax__store_dberr(im->st, "campaigns");
		goto done;
	}
	/* answered faster than anyone reads, or after the campaign closed:
	 * kept for review, counted nowhere; the report says how many were
	 * set aside */
	if (p->status == 0 && !p->fast && !p->repeat && !late) {
		ax_response_derive(&p->answers, &d);
		/* One counted response per household, survey and wave: the
		 * earliest completed (ties by id), whatever the arrival order. */
		counted = 1;
		if (p->hh) {
			/* two servers on one PostgreSQL database: one transaction at
			 * a time decides a household's counted response */
			if ((rc = lock_household(im, p->hh)))
				goto done;
			find_counted(im, p->hh, p->survey, p->wave, &old);
			if (old.found) {
				if (old.completed < p->completed ||
				    (old.completed == p->completed &&
				     strcmp(old.id, out->id) <= 0))
					counted = 0;
				else
					displace = 1;
			}
		}
	}
	response_vals(im, p, &d, out->id, body, counted, topics, v);
	if (queued) {
		if ((rc = queue_row(im, AX__PEND_RESP, out->id, v, body)))
			goto done;
	} else {
		if ((src = insert_response(im, v)) != AX_DB_DONE) {
			rc = ax__store_dberr(im->st, "responses");
			goto done;
		}
		if (ax_stmt_changes(im->t[S_INS_RESP]) == 0) {
			rc = existing(im, S_GET_RESP, "response", out->id, body, source,
			              out);
			goto done;
		}
	}
	out->result = AX_REC_ACCEPTED;
	if (p->status == 0 && (p->fast || p->repeat || late) &&
	    ax__tally_set_aside(im, p->region, p->survey, p->wave,
	                        channels[p->chan], ax__cst_day(p->completed),
	                        p->fast ? "fast" : p->repeat ? "repeat" : "late")) {
		rc = AX_NOMEM;
		goto done;
	}
	if (displace) {
		/* the newcomer completed earlier: move the counts over (the one
		 * taken back may be a queued row of this batch) */
		if ((rc = ax__pend_flush(im)) || (rc = set_counted(im, old.id, 0)))
			goto done;
		if (ax__tally_response(im, -1, old.region, p->survey, p->wave,
		                       old.channel, old.day, &old.d)) {
			rc = AX_NOMEM;
			goto done;
		}
	}
	if (counted && p->hh && ax__cmemo_known(im, p->hh))
		remember_counted(im, p, &d, out->id);
	if (counted &&
	    ax__tally_response(im, +1, p->region, p->survey, p->wave,
	                       channels[p->chan], ax__cst_day(p->completed), &d))
		rc = AX_NOMEM;
done:
	/* to a device, a record with a sealed number is accepted whatever the
	 * number named: a resend or conflict would tell a known number from
	 * an unknown one (a conflict is still kept for review) */
	if (!rc && p->sealed && im->has_dev && im->dev.online &&
	    out->result != AX_REC_REJECTED) {
		out->result = AX_REC_ACCEPTED;
		out->reason[0] = '\0';
	}
	free(body);
	free(p);
	return rc;
}

/* ---- contacts --------------------------------------------------------- */
static const char *const contact_channels[] = {"sms", "kiosk", "visit"};
static const char *const contact_fields[] = {"type",   "household", "channel",
                                             "kind",   "pack",      "device",
                                             "at"};

static ax_rc import_contact(ax_importer *im, json_t *o, const char *source,
                            struct ax_rec_outcome *out)
{
	const char *hh, *pack, *device;
	int chan = 0, kind = 0, has_at, sealed;
	int64_t at;
	char grid[64], ex[64], resolved[64], scratch[256];
	char *body;
	ax_stmt *s;
	ax_rc rc;

	/* a kiosk_session contact names its household by a sealed number,
	 * opened only once every other field passed */
	sealed = !json_is_string(json_object_get(o, "household")) &&
	         json_object_get(o, "household_phone_sealed");
	if ((!sealed && want_str(o, "household", 1, 63, &hh, out)) ||
	    want_enum(o, "channel", contact_channels, 3, &chan, out) ||
	    want_enum(o, "kind", kind_names, 5, &kind, out) ||
	    want_str(o, "pack", 0, 48, &pack, out) ||
	    want_str(o, "device", 1, 64, &device, out) ||
	    want_time(o, "at", 1, &at, &has_at, out))
		return AX_OK;
	at -= im->skew; /* on the server's clock; the body keeps the device's */
	if (ax__dev_fields(im, device, contact_channels[chan], kind_names[kind],
	                   !sealed && json_object_get(o, "household"),
	                   json_object_get(o, "household_phone_sealed") != NULL,
	                   out->reason) ||
	    ax__dev_time(im, "at", at, out->reason)) {
		out->result = AX_REC_REJECTED;
		return AX_OK;
	}
	if (sealed) {
		/* the same outcome whatever the number names: a household the
		 * device may credit gets the contact, anything else is dropped */
		if (!unseal_household(im, o, resolved) ||
		    household_grid(im, resolved, grid) ||
		    (im->check &&
		     im->check(im->check_ctx, "contact", resolved, grid, scratch))) {
			if (!im->has_dev || !im->dev.online) {
				reject(out, "the sealed phone number names no household "
				            "this device may credit");
				return AX_OK;
			}
			out->result = AX_REC_ACCEPTED;
			return AX_OK;
		}
		hh = resolved;
	} else {
		out->retry = 1; /* the roster and scopes may change */
		if (household_grid(im, hh, grid)) {
			ax__excerpt(hh, ex, sizeof ex);
			reject(out, "household \"%s\" is not in the roster", ex);
			return AX_OK;
		}
		if (im->check &&
		    im->check(im->check_ctx, "contact", hh, grid, out->reason)) {
			out->result = AX_REC_REJECTED;
			return AX_OK;
		}
		out->retry = 0;
	}
	body = canonical(o, contact_fields, (int)AX_ARRAY_LEN(contact_fields),
	                 out->id);
	if (!body)
		return AX_NOMEM;
	{
		const struct ax__val v[10] = {
			VT(out->id), VT(hh), VT(contact_channels[chan]),
			VT(kind_names[kind]), VT(pack), /* NULL: no pack */
			VT(device), VI(at), VT(body), VI(im->received_at),
			{'t', 0, 0, grid}};
		const char *known = NULL;
		if (queued_or_flush(im, AX__PEND_CONTACT, out->id, &known, &rc)) {
			if (known)
				rc = stored_outcome(im, strcmp(known, body) == 0, "contact",
				                    out->id, body, source, out);
			else if (!(rc = queue_row(im, AX__PEND_CONTACT, out->id, v,
			                          body)))
				out->result = AX_REC_ACCEPTED;
		} else if (!rc) {
			s = im->t[S_INS_CONTACT];
			ax_stmt_reset(s);
			ax__vals_bind(s, 1, v, 10);
			rc = insert_new(im, S_INS_CONTACT, S_GET_CONTACT, "contact", body,
			                source, out);
		}
	}
	free(body);
	if (!rc && sealed && im->has_dev && im->dev.online) {
		out->result = AX_REC_ACCEPTED; /* as for responses */
		out->reason[0] = '\0';
	}
	return rc;
}

/* ---- opt-outs ---------------------------------------------------------
 * {"type":"optout","action":"optout"|"restore","phone":E.164,"device",
 *  "at", optional "by" (the staff user) and "source"}: a number that
 * asked for no more messages (退订), or its way back.  The number must be
 * a roster phone of a household the device may credit. */
static const char *const optout_actions[] = {"optout", "restore"};
static const char *const optout_fields[] = {"type", "action", "phone", "device",
                                            "by",   "source", "at"};

/* 0 when a household listing phone passes the device's scope check, else
 * -1 with the reason. */
static int optout_phone_ok(ax_importer *im, const char *phone,
                           struct ax_rec_outcome *out)
{
	ax_stmt *s = im->t[S_PHONE_HH];
	int any = 0, ok = 0;
	char reason[256] = "";

	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, phone);
	while (!ok && ax_stmt_step(s) == AX_DB_ROW) {
		any = 1;
		ok = !im->check ||
		     !im->check(im->check_ctx, "contact", ax_stmt_text(s, 0),
		                ax_stmt_text(s, 1), reason);
	}
	ax_stmt_reset(s);
	if (ok)
		return 0;
	out->retry = 1; /* the roster and scopes may change */
	if (!any)
		return reject(out, "field \"phone\": the number is no household's in "
		                   "the roster");
	return reject(out, "field \"phone\": %s", reason);
}

static ax_rc import_optout(ax_importer *im, json_t *o, const char *source,
                           struct ax_rec_outcome *out)
{
	const char *phone, *device, *by, *src;
	char norm[AX_PHONE_MAX];
	int action = 0, has_at;
	int64_t at;
	char *body;
	ax_stmt *s;
	ax_rc arc;

	if (want_enum(o, "action", optout_actions, 2, &action, out) ||
	    want_str(o, "phone", 1, 32, &phone, out) ||
	    want_str(o, "device", 1, 64, &device, out) ||
	    want_str(o, "by", 0, 64, &by, out) ||
	    want_str(o, "source", 0, 32, &src, out) ||
	    want_time(o, "at", 1, &at, &has_at, out))
		return AX_OK;
	if (ax_phone_normalize(phone, norm, NULL) != AX_OK ||
	    strcmp(norm, phone) != 0) {
		reject(out, "field \"phone\": not a number in E.164 form");
		return AX_OK;
	}
	at -= im->skew;
	if (ax__dev_fields(im, device, "sms", NULL, 0, 0, out->reason) ||
	    ax__dev_time(im, "at", at, out->reason)) {
		out->result = AX_REC_REJECTED;
		return AX_OK;
	}
	for (int i = S_INS_OPTOUT; i <= S_PHONE_HH; i++)
		if ((arc = prepare_stmt(im, i)))
			return arc;
	if (optout_phone_ok(im, phone, out))
		return AX_OK;
	out->retry = 0;
	body = canonical(o, optout_fields, (int)AX_ARRAY_LEN(optout_fields), out->id);
	if (!body)
		return AX_NOMEM;
	s = im->t[S_INS_OPTOUT];
	ax_stmt_reset(s);
	ax_stmt_bind_text(s, 1, out->id);
	ax_stmt_bind_text(s, 2, phone);
	ax_stmt_bind_text(s, 3, optout_actions[action]);
	ax_stmt_bind_text(s, 4, device);
	/* NULL when absent: a reset keeps the bindings, so a value left
	 * unbound would be the previous opt-out's */
	ax_stmt_bind_text(s, 5, by);
	ax_stmt_bind_text(s, 6, src);
	ax_stmt_bind_int64(s, 7, at);
	ax_stmt_bind_text(s, 8, body);
	ax_stmt_bind_int64(s, 9, im->received_at);
	arc = insert_new(im, S_INS_OPTOUT, S_GET_OPTOUT, "optout", body, source,
	                 out);
	free(body);
	return arc;
}

/* ---- one record ------------------------------------------------------ */
ax_rc ax_importer_json(ax_importer *im, struct json_t *obj, const char *source,
                       struct ax_rec_outcome *out)
{
	json_t *o = obj;
	const char *type;

	memset(out, 0, sizeof *out);
	if (!json_is_object(o)) {
		reject(out, "a record is a JSON object");
		return AX_OK;
	}
	if (check_id(o, out) || want_str(o, "type", 1, 16, &type, out))
		return AX_OK;
	if (strcmp(type, "response") == 0)
		return import_response(im, o, source, out);
	if (strcmp(type, "contact") == 0)
		return import_contact(im, o, source, out);
	if (strcmp(type, "optout") == 0)
		return import_optout(im, o, source, out);
	reject(out, "field \"type\" must be \"response\", \"contact\" or "
	            "\"optout\"");
	return AX_OK;
}

