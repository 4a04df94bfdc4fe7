/*
 * draft.c -- responses in progress in the device store (see draft.h).
 *
 * One row per draft in table `drafts` (schema v7); the answers are the
 * record format's "answers" object, so a draft reads back through the
 * same validation as an imported record.  Every call is one savepoint:
 * inside the caller's transaction it commits with it, alone it commits
 * by itself.  Low volume (a kiosk's taps), so statements are prepared
 * per call.
 */
#include "anxin/draft.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#include "anxin/sync.h"
#include "anxin_int.h"

static ax_rc sp_begin(ax_store *st) { return ax__exec(st, "SAVEPOINT ax_draft"); }

static ax_rc sp_end(ax_store *st, ax_rc rc)
{
	if (rc == AX_OK) {
		ax_rc c = ax__exec(st, "RELEASE ax_draft");
		if (c == AX_OK)
			return AX_OK;
		rc = c;
	}
	/* keep the first error's message */
	sqlite3_exec(ax__store_db(st), "ROLLBACK TO ax_draft; RELEASE ax_draft",
	             NULL, NULL, NULL);
	return rc;
}

static void bind_opt(sqlite3_stmt *s, int i, const char *v)
{
	if (v && *v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

static void copy_col(sqlite3_stmt *s, int i, char *dst, size_t n)
{
	const unsigned char *v = sqlite3_column_text(s, i);
	snprintf(dst, n, "%s", v ? (const char *)v : "");
}

/* The answers column: the record's "answers" object, or, for a survey
 * with a draw or shuffled options, {"answers": {...}, "drawn": [...],
 * "order": {...}} (an answer is never an object, so the two read apart
 * without a schema change). */
static char *answers_text(const struct ax_draft *d)
{
	json_t *a = ax_response_answers_json(&d->r);
	char *t;

	if (a && (d->r.survey->draw || d->r.survey->shuffle)) {
		json_t *w = json_object();
		if (!w || json_object_set_new(w, "answers", a) ||
		    ax_response_shown_to_json(&d->r, w)) {
			json_decref(w);
			return NULL;
		}
		a = w;
	}
	t = a ? json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(a);
	return t;
}

/* Run one write statement with the draft's columns bound by name. */
static ax_rc write_row(ax_store *st, const char *sql, const struct ax_draft *d,
                       int expect_change)
{
	sqlite3_stmt *s = NULL;
	char *ans = answers_text(d);
	ax_rc rc;
	int src;

	if (!ans)
		return AX_NOMEM;
	if ((rc = ax__prepare(st, &s, sql))) {
		free(ans);
		return rc;
	}
	sqlite3_bind_text(s, sqlite3_bind_parameter_index(s, ":id"), d->id, -1,
	                  SQLITE_STATIC);
#define BIND_TEXT(name, v) do { int i_ = sqlite3_bind_parameter_index(s, name); \
		if (i_) bind_opt(s, i_, v); } while (0)
#define BIND_INT(name, v) do { int i_ = sqlite3_bind_parameter_index(s, name); \
		if (i_) sqlite3_bind_int64(s, i_, v); } while (0)
	BIND_TEXT(":survey", d->r.survey->id);
	BIND_INT(":version", d->r.survey->version);
	BIND_TEXT(":channel", ax_channel_name(d->channel));
	BIND_TEXT(":device", d->device);
	BIND_TEXT(":household", d->household);
	BIND_TEXT(":sealed", d->phone_sealed);
	BIND_TEXT(":region", d->region);
	BIND_TEXT(":wave", d->wave);
	BIND_TEXT(":pack", d->pack);
	/* the fast column holds both marks: 1 fast, 2 repeat */
	BIND_INT(":fast", (d->fast ? 1 : 0) | (d->repeat ? 2 : 0));
	BIND_INT(":started", d->started_at);
	BIND_INT(":updated", d->updated_at);
	BIND_TEXT(":answers", ans);
#undef BIND_TEXT
#undef BIND_INT
	src = sqlite3_step(s);
	if (src != SQLITE_DONE)
		rc = ax__store_sqlerr(st, src, "drafts");
	else if (expect_change && sqlite3_changes(ax__store_db(st)) == 0) {
		ax__store_seterr(st, "draft %s: not stored (finished or discarded)",
		                 d->id);
		rc = AX_NOTFOUND;
	}
	sqlite3_finalize(s);
	free(ans);
	return rc;
}

ax_rc ax_draft_begin(ax_store *st, const struct ax_draft *d)
{
	if (!d->r.survey || !d->id[0] || !d->device[0]) {
		ax__store_seterr(st, "draft: needs a survey, an id and a device");
		return AX_INVALID;
	}
	return write_row(st,
	                 "INSERT INTO drafts(id, survey, survey_version, channel, "
	                 "device, household, phone_sealed, region, wave, pack, fast, "
	                 "started_at, updated_at, answers) VALUES(:id, :survey, "
	                 ":version, :channel, :device, :household, :sealed, :region, "
	                 ":wave, :pack, :fast, :started, :updated, :answers)",
	                 d, 0);
}

ax_rc ax_draft_save(ax_store *st, const struct ax_draft *d)
{
	return write_row(st,
	                 "UPDATE drafts SET household = :household, phone_sealed = "
	                 ":sealed, pack = :pack, fast = :fast, updated_at = :updated, "
	                 "answers = :answers WHERE id = :id",
	                 d, 1);
}

ax_rc ax_draft_load(ax_store *st, const ax_content *surveys, const char *id,
                    struct ax_draft *out)
{
	sqlite3_stmt *s = NULL;
	const struct ax_survey *sv;
	json_t *ans = NULL;
	char why[256];
	ax_rc rc;
	int src;

	memset(out, 0, sizeof *out);
	if ((rc = ax__prepare(st, &s,
	                      "SELECT survey, survey_version, channel, device, "
	                      "household, phone_sealed, region, wave, pack, fast, "
	                      "started_at, updated_at, answers FROM drafts WHERE "
	                      "id = ?")))
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	if (src != SQLITE_ROW) {
		rc = src == SQLITE_DONE ? AX_NOTFOUND : ax__store_sqlerr(st, src, "drafts");
		if (rc == AX_NOTFOUND)
			ax__store_seterr(st, "draft %s: not stored", id);
		goto done;
	}
	snprintf(out->id, sizeof out->id, "%s", id);
	sv = ax_content_find_survey(surveys, (const char *)sqlite3_column_text(s, 0),
	                            sqlite3_column_int(s, 1));
	if (!sv || sv->version != sqlite3_column_int(s, 1)) {
		ax__store_seterr(st, "draft %s: survey %s v%d is not installed", id,
		                 (const char *)sqlite3_column_text(s, 0),
		                 sqlite3_column_int(s, 1));
		rc = AX_INVALID;
		goto done;
	}
	out->channel = (enum ax_channel)ax_channel_parse(
	    (const char *)sqlite3_column_text(s, 2));
	copy_col(s, 3, out->device, sizeof out->device);
	copy_col(s, 4, out->household, sizeof out->household);
	copy_col(s, 5, out->phone_sealed, sizeof out->phone_sealed);
	copy_col(s, 6, out->region, sizeof out->region);
	copy_col(s, 7, out->wave, sizeof out->wave);
	copy_col(s, 8, out->pack, sizeof out->pack);
	out->fast = sqlite3_column_int(s, 9) & 1;
	out->repeat = (sqlite3_column_int(s, 9) & 2) != 0;
	out->started_at = sqlite3_column_int64(s, 10);
	out->updated_at = sqlite3_column_int64(s, 11);
	ans = json_loads((const char *)sqlite3_column_text(s, 12), 0, NULL);
	if (json_is_object(json_object_get(ans, "answers"))
	        ? ax_response_from_json(&out->r, sv, json_object_get(ans, "answers"),
	                                why, sizeof why) != AX_OK ||
	              ax_response_shown_from_json(&out->r, ans, why,
	                                          sizeof why) != AX_OK
	        : ax_response_from_json(&out->r, sv, ans, why, sizeof why) !=
	              AX_OK) {
		ax__store_seterr(st, "draft %s: %s", id, why);
		rc = AX_INVALID;
	}
done:
	json_decref(ans);
	sqlite3_finalize(s);
	return rc;
}

ax_rc ax_draft_list(ax_store *st, int (*fn)(void *ctx, const char *id),
                    void *ctx)
{
	sqlite3_stmt *s = NULL;
	ax_rc rc;
	int src;

	if ((rc = ax__prepare(st, &s, "SELECT id FROM drafts ORDER BY started_at, "
	                              "id")))
		return rc;
	while ((src = sqlite3_step(s)) == SQLITE_ROW)
		if (fn(ctx, (const char *)sqlite3_column_text(s, 0)))
			break;
	if (src != SQLITE_ROW && src != SQLITE_DONE)
		rc = ax__store_sqlerr(st, src, "drafts");
	sqlite3_finalize(s);
	return rc;
}

void ax_draft_contact_id(const char *id, char out[40])
{
	uuid_t ns, u;
	static const char name[] = "kiosk_session";
	if (uuid_parse(id, ns) != 0)
		memset(ns, 0, sizeof ns);
	uuid_generate_sha1(u, ns, name, sizeof name - 1);
	uuid_unparse_lower(u, out);
}

static ax_rc delete_row(ax_store *st, const char *id)
{
	sqlite3_stmt *s = NULL;
	ax_rc rc;
	int src;
	if ((rc = ax__prepare(st, &s, "DELETE FROM drafts WHERE id = ?")))
		return rc;
	sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
	src = sqlite3_step(s);
	sqlite3_finalize(s);
	return src == SQLITE_DONE ? AX_OK : ax__store_sqlerr(st, src, "drafts");
}

static ax_rc queue_records(ax_store *st, const struct ax_draft *d,
                           enum ax_resp_status status, long long completed_at,
                           enum ax_draft_contact contact)
{
	struct ax_response_meta m = {0};
	const char *flags[2];
	char *line;
	ax_rc rc;

	m.id = d->id;
	m.channel = d->channel;
	m.device = d->device;
	m.household = d->household[0] ? d->household : NULL;
	m.phone_sealed = d->phone_sealed[0] ? d->phone_sealed : NULL;
	m.region = d->region;
	m.wave = d->wave;
	m.status = status;
	m.started_at = d->started_at;
	m.completed_at = completed_at;
	m.flags = flags;
	if (d->fast)
		flags[m.nflags++] = "fast";
	if (d->repeat)
		flags[m.nflags++] = "repeat";
	if (!(line = ax_response_record(&d->r, &m)))
		return AX_NOMEM;
	rc = ax_outbox_put(st, d->id, line);
	free(line);
	if (rc || contact != AX_DRAFT_KIOSK_CONTACT ||
	    (!m.household && !m.phone_sealed))
		return rc;
	{
		struct ax_contact_meta c = {0};
		char cid[40];
		ax_draft_contact_id(d->id, cid);
		c.id = cid;
		c.household = m.household;
		c.phone_sealed = m.phone_sealed;
		c.channel = d->channel;
		c.kind = "kiosk_session";
		c.pack = d->pack;
		c.device = d->device;
		c.at = status == AX_RESP_COMPLETE ? completed_at : d->updated_at;
		if (!(line = ax_contact_record(&c)))
			return AX_NOMEM;
		rc = ax_outbox_put(st, cid, line);
		free(line);
	}
	return rc;
}

enum ax_resp_status ax_draft_status(const struct ax_draft *d,
                                    enum ax_resp_status asked)
{
	if (ax_response_complete(&d->r))
		return AX_RESP_COMPLETE;
	if (asked == AX_RESP_COMPLETE || ax_response_any(&d->r))
		return AX_RESP_PARTIAL; /* a question left: not complete */
	return asked;
}

ax_rc ax_draft_finish(ax_store *st, const struct ax_draft *d,
                      enum ax_resp_status status, long long completed_at,
                      enum ax_draft_contact contact, int *queued)
{
	int any = ax_response_any(&d->r);
	ax_rc rc;

	status = ax_draft_status(d, status);
	if (status == AX_RESP_COMPLETE && completed_at <= 0)
		completed_at = d->updated_at;
	if (queued)
		*queued = 0;
	if ((rc = sp_begin(st)))
		return rc;
	if (any)
		rc = queue_records(st, d, status, completed_at, contact);
	if (!rc)
		rc = delete_row(st, d->id);
	rc = sp_end(st, rc);
	if (!rc && queued)
		*queued = any;
	return rc;
}

ax_rc ax_draft_discard(ax_store *st, const char *id)
{
	return delete_row(st, id);
}
