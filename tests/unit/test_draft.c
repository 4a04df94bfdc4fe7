/*
 * unit.draft -- responses in progress in the store (draft.h): begin, save
 * after each answer, read back, finish into the outbox with the
 * kiosk_session contact in one transaction, a finish rolled back with
 * the caller's transaction leaves the draft whole, and an empty draft
 * queues nothing.  Expected lines are written out by hand.
 */
#include <jansson.h>

#include "anxin/draft.h"
#include "anxin/store.h"
#include "check.h"
#include "testutil.h"

static const char survey_d[] =
    "{\"id\": \"d\", \"version\": 2, \"title\": \"草稿测试\","
    " \"sms_intro\": \"【江州县综治办】您好！回复TD退订\","
    " \"sms_thanks\": \"【江州县综治办】谢谢！\","
    " \"questions\": ["
    "  {\"id\": \"q1\", \"type\": \"yesno\", \"text\": \"知道吗？\","
    "   \"sms\": \"知道吗？回复1知道 2不知道\", \"options\": ["
    "    {\"code\": \"1\", \"label\": \"知道\"}, {\"code\": \"2\", \"label\": \"不知道\"}]},"
    "  {\"id\": \"overall\", \"type\": \"scale5\", \"text\": \"满意吗？\","
    "   \"sms\": \"满意吗？回复1非常满意 2满意 3基本满意 4不满意 5非常不满意\"}"
    " ], \"metrics\": {\"satisfaction\": {\"question\": \"overall\"}}}";

#define T0 1772326800LL /* 2026-03-01T09:00:00+08:00 */

static int count_cb(void *ctx, const char *id)
{
	(void)id;
	(*(int *)ctx)++;
	return 0;
}

int main(void)
{
	ax_content *c = NULL;
	ax_store *st = NULL;
	struct ax_draft d, back;
	sqlite3 *db;
	char err[256];
	int nerr = 0, queued = -1, n = 0;
	const char *id = "6f1c2a0e-0000-4000-8000-00000000000a";
	char cid[40];

	tu_init();
	REQUIRE(ax_content_load_text("d.json", "survey", survey_d, NULL, NULL,
	                             &nerr, &c) == AX_OK && nerr == 0);
	REQUIRE(ax_store_open(tu_path("k.db"), AX_STORE_CREATE, &st, err, sizeof err) == AX_OK);

	memset(&d, 0, sizeof d);
	REQUIRE(ax_response_init(&d.r, ax_content_find_survey(c, "d", 2)) == AX_OK);
	snprintf(d.id, sizeof d.id, "%s", id);
	d.channel = AX_CH_KIOSK;
	snprintf(d.device, sizeof d.device, "kiosk-1");
	snprintf(d.region, sizeof d.region, "439901101001");
	snprintf(d.wave, sizeof d.wave, "w1");
	snprintf(d.pack, sizeof d.pack, "family-safety");
	d.started_at = d.updated_at = T0;
	CHECK_INT(ax_draft_begin(st, &d), AX_OK);
	CHECK_INT(ax_draft_begin(st, &d), AX_CONFLICT); /* same id twice */

	/* answer q1, saved; read back equal */
	CHECK_INT(ax_response_set_codes(&d.r, 0, "1", NULL), AX_OK);
	d.updated_at = T0 + 20;
	CHECK_INT(ax_draft_save(st, &d), AX_OK);
	CHECK_INT(ax_draft_load(st, c, id, &back), AX_OK);
	CHECK_INT(back.r.sel[0], 1);
	CHECK_INT(back.r.sel[1], 0);
	CHECK_STR(back.wave, "w1");
	CHECK_STR(back.household, "");
	CHECK_INT(back.updated_at, T0 + 20);
	CHECK_INT(ax_draft_list(st, count_cb, &n), AX_OK);
	CHECK_INT(n, 1);

	/* the resident links by a sealed number and answers the last one;
	 * the finish is rolled back with the caller's transaction */
	snprintf(d.phone_sealed, sizeof d.phone_sealed, "c2VhbGVk");
	CHECK_INT(ax_response_set_codes(&d.r, 1, "2", NULL), AX_OK);
	d.updated_at = T0 + 40;
	CHECK_INT(ax_draft_save(st, &d), AX_OK);
	REQUIRE(ax_store_begin(st) == AX_OK);
	CHECK_INT(ax_draft_finish(st, &d, AX_RESP_COMPLETE, T0 + 45,
	                          AX_DRAFT_KIOSK_CONTACT, &queued), AX_OK);
	CHECK_INT(queued, 1);
	ax_store_rollback(st);
	db = tu_db_open(tu_path("k.db"));
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox"), 0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM drafts"), 1);

	/* finished for real: two outbox lines, no draft */
	CHECK_INT(ax_draft_finish(st, &d, AX_RESP_COMPLETE, T0 + 45,
	                          AX_DRAFT_KIOSK_CONTACT, &queued), AX_OK);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM drafts"), 0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox"), 2);
	CHECK_STR(tu_q(db, "SELECT body FROM outbox WHERE id = '%s'", id),
	          "{\"answers\":{\"overall\":\"2\",\"q1\":\"1\"},"
	          "\"channel\":\"kiosk\","
	          "\"completed_at\":\"2026-03-01T09:00:45+08:00\","
	          "\"device\":\"kiosk-1\",\"household\":null,"
	          "\"household_phone_sealed\":\"c2VhbGVk\","
	          "\"id\":\"6f1c2a0e-0000-4000-8000-00000000000a\","
	          "\"region\":\"439901101001\","
	          "\"started_at\":\"2026-03-01T09:00:00+08:00\","
	          "\"status\":\"complete\",\"survey\":\"d\",\"survey_version\":2,"
	          "\"type\":\"response\",\"wave\":\"w1\"}");
	ax_draft_contact_id(id, cid);
	CHECK(strcmp(cid, id) != 0);
	CHECK_STR(tu_q(db, "SELECT body FROM outbox WHERE id = '%s'", cid),
	          tu_q(db, "SELECT '{\"at\":\"2026-03-01T09:00:45+08:00\","
	                   "\"channel\":\"kiosk\",\"device\":\"kiosk-1\","
	                   "\"household_phone_sealed\":\"c2VhbGVk\",\"id\":\"%s\","
	                   "\"kind\":\"kiosk_session\",\"pack\":\"family-safety\","
	                   "\"type\":\"contact\"}'", cid));
	CHECK_INT(ax_draft_save(st, &d), AX_NOTFOUND);
	CHECK_INT(ax_draft_load(st, c, id, &back), AX_NOTFOUND);

	/* every question answered, then the resident walks away at the
	 * optional phone screen: the kiosk says abandoned, the record says
	 * complete, completed at the last save (T0 + 70) */
	snprintf(d.id, sizeof d.id, "6f1c2a0e-0000-4000-8000-00000000000c");
	d.phone_sealed[0] = '\0';
	REQUIRE(ax_response_init(&d.r, d.r.survey) == AX_OK);
	CHECK_INT(ax_draft_begin(st, &d), AX_OK);
	ax_response_set_codes(&d.r, 0, "2", NULL);
	ax_response_set_codes(&d.r, 1, "3", NULL);
	d.updated_at = T0 + 70;
	CHECK_INT(ax_draft_status(&d, AX_RESP_ABANDONED), AX_RESP_COMPLETE);
	CHECK_INT(ax_draft_finish(st, &d, AX_RESP_ABANDONED, 0, AX_DRAFT_KIOSK_CONTACT,
	                          &queued), AX_OK);
	CHECK_STR(tu_q(db, "SELECT json_extract(body, '$.status') || ' ' || "
	                   "json_extract(body, '$.completed_at') FROM outbox WHERE "
	                   "id = '%s'", d.id),
	          "complete 2026-03-01T09:01:10+08:00");
	/* one answer of two, left: partial, not abandoned */
	REQUIRE(ax_response_init(&d.r, d.r.survey) == AX_OK);
	ax_response_set_codes(&d.r, 0, "2", NULL);
	CHECK_INT(ax_draft_status(&d, AX_RESP_ABANDONED), AX_RESP_PARTIAL);
	CHECK_INT(ax_draft_status(&d, AX_RESP_COMPLETE), AX_RESP_PARTIAL);

	/* an abandoned draft with no answer queues nothing */
	snprintf(d.id, sizeof d.id, "6f1c2a0e-0000-4000-8000-00000000000b");
	REQUIRE(ax_response_init(&d.r, d.r.survey) == AX_OK);
	CHECK_INT(ax_draft_begin(st, &d), AX_OK);
	CHECK_INT(ax_draft_finish(st, &d, AX_RESP_ABANDONED, 0,
	                          AX_DRAFT_KIOSK_CONTACT, &queued), AX_OK);
	CHECK_INT(queued, 0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox"), 3);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM drafts"), 0);

	/* schema v8: the outbox keeps its state check, and an insert builds
	 * no ephemeral table for it (it did with CHECK(state IN (...))) */
	{
		sqlite3 *w = ax_store_sqlite(st);
		sqlite3_stmt *q;
		int eph = 0;
		CHECK((sqlite3_exec(w, "INSERT INTO outbox(id, body, created_at, "
		                       "state) VALUES('x', '{}', 1, 'bogus')",
		                    NULL, NULL, NULL) & 0xff) == SQLITE_CONSTRAINT);
		REQUIRE(sqlite3_prepare_v2(w, "EXPLAIN INSERT INTO outbox(id, body, "
		                              "created_at) VALUES('y', '{}', 1) ON "
		                              "CONFLICT(id) DO NOTHING",
		                           -1, &q, NULL) == SQLITE_OK);
		while (sqlite3_step(q) == SQLITE_ROW)
			eph += strcmp((const char *)sqlite3_column_text(q, 1),
			              "OpenEphemeral") == 0;
		sqlite3_finalize(q);
		CHECK_INT(eph, 0);
	}
	sqlite3_close(db);
	ax_store_close(st);
	ax_content_free(c);
	printf("unit.draft: %d checks, %d failed\n", check_count, check_failures);
	return check_failures != 0;
}
