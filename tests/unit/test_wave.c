/*
 * test_wave.c -- a response without a wave (a kiosk that had not synced
 * its campaigns yet) belongs to the one campaign of its survey whose
 * scope and window cover it, so a household answering by SMS and at a
 * kiosk still counts once per campaign; with no covering campaign the
 * wave stays empty.
 *
 * A period report across waves counts each household once per survey
 * (issue 14), whatever waves it answered in: A1 answered without a wave
 * on 11-01 (4444, before the campaign) and in the campaign's wave on
 * 11-21 (1111): both are counted in their waves, and before the fix the
 * county's report over all time said 3 respondents, 满意度 3/3.  By hand:
 *   all time, all waves: A1 once (4444, the earlier), B1 once: 2, 2/2;
 *     石桥镇 (A1 only) 1
 *   the campaign's wave alone: 1111: 1
 *   2026-11-15 .. 2026-11-30: 1111 and 3333: 2 (A1 once anyway)
 *   .. 2026-11-10: 4444: 1
 *
 * A closed campaign's figures freeze (issue 14): after the campaign is
 * closed, a complete answer in its wave by A2 (in its scope, no answer
 * before) arrives.  It is kept (accepted), set aside as 晚到 (the report's
 * set_aside_late 1), and counted nowhere: the wave's respondents stay 1
 * and all time's 2 (before the fix 2 and 3); the funnel over the closed
 * campaign: 2 households, completed_any 1 (A1), late 1 (A2).
 *
 * A campaign's coverage kinds are its own: an outreach campaign in 石桥镇
 * over the same window counting sms_sent, and one sms_sent contact to A1
 * on 11-25: that campaign's report reaches 1 of its 2 households (A3
 * joined later), the survey campaign's (default kinds: a send is no
 * proof) 0.
 *
 * `test_wave URLFILE` (pg.wave, issue 19): the same on PostgreSQL, the
 * county's file (roster) copied there, the content, the campaign and
 * the answers put in there.
 */
#include "../pg/pgtest.h"

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/funnel.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "check.h"
#include "testutil.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "A1,439901101000,439901101201,439901101201001,13800138001,3\n"
    "A2,439901101000,439901101201,439901101201001,13800138003,4\n"
    "B1,439901102000,439901102201,439901102201001,13800138002,2\n";

static int import(ax_importer *im, const char *id, const char *hh,
                  const char *wave, const char *done)
{
	char l[1024];
	struct ax_rec_outcome out;
	snprintf(l, sizeof l,
	         "{\"type\":\"response\",\"id\":\"%s\",\"survey\":\"satisfaction\","
	         "\"survey_version\":1,\"channel\":\"kiosk\",\"device\":\"k1\","
	         "\"household\":\"%s\",%s%s%s\"started_at\":\"%s\","
	         "\"completed_at\":\"%s\",\"status\":\"complete\","
	         "\"answers\":{\"overall\":\"1\"}}",
	         id, hh, wave ? "\"wave\":\"" : "", wave ? wave : "", wave ? "\"," : "",
	         done, done);
	if (ax_importer_line(im, l, strlen(l), NULL, &out) != AX_OK)
		return -1;
	return (int)out.result;
}

/* The report's first row: respondents, or (sat) 满意度's den and num,
 * which must then be equal (every answer here is satisfied). */
static long long respondents(ax_store *st, const char *scope, const char *wave,
                             const char *from, const char *to, int sat)
{
	struct ax_report_opts o = {.scope = scope, .wave = wave, .from = from,
	                           .to = to};
	struct ax_report_row row = tu_report_row0(st, &o);

	if (sat)
		CHECK_INT(row.satisfaction.num, row.satisfaction.den);
	return sat ? row.satisfaction.den : row.respondents;
}

/* the first column of the one row of sql (its %s the wave) as text */
static const char *q(ax_store *st, const char *fmt, const char *wave)
{
	static char out[256];
	char sql[512];
	ax_stmt *s;
	snprintf(sql, sizeof sql, fmt, wave);
	REQUIRE(ax__dprepare(st, &s, sql) == AX_OK);
	REQUIRE(ax_stmt_step(s) == AX_DB_ROW);
	snprintf(out, sizeof out, "%s", ax_stmt_text(s, 0));
	ax_stmt_finalize(s);
	return out;
}

int main(int argc, char **argv)
{
	const char *src = getenv("ANXIN_SOURCE");
	char dir[1024];
	struct ax_campaign c;
	ax_store *seed, *st;
	ax_content *ct;
	ax_importer *im;
	int nerr;

	tu_init();
	REQUIRE(ax_store_open(tu_path("c.db"), AX_STORE_CREATE, &seed, NULL, 0) ==
	        AX_OK);
	REQUIRE(ax_roster_import_mem(seed, "r.csv", roster, sizeof roster - 1, NULL,
	                             NULL, NULL, NULL) == AX_OK);
	st = pgt_store(seed, argc > 1 ? argv[1] : NULL, "anxin_wave");
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src ? src : ".");
	REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &ct) == AX_OK && !nerr);
	REQUIRE(ax_content_install(st, ct, NULL) == AX_OK);
	ax_content_free(ct);
	ax_campaign_defaults(&c);
	snprintf(c.name, sizeof c.name, "石桥镇满意度");
	snprintf(c.survey, sizeof c.survey, "satisfaction");
	snprintf(c.scope, sizeof c.scope, "439901101000");
	c.starts_at = 1795104000; /* 2026-11-20 China time */
	c.ends_at = c.starts_at + 30 * 86400;
	REQUIRE(ax_campaign_create(st, &c) == AX_OK);

	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	/* by SMS, in the campaign's wave */
	CHECK_INT(import(im, "11111111-1111-4111-8111-111111111111", "A1", c.wave,
	                 "2026-11-21T10:00:00+08:00"), AX_REC_ACCEPTED);
	/* later at a kiosk that had not synced: no wave given */
	CHECK_INT(import(im, "22222222-2222-4222-8222-222222222222", "A1", NULL,
	                 "2026-11-22T10:00:00+08:00"), AX_REC_ACCEPTED);
	/* a household outside the campaign's scope, no wave */
	CHECK_INT(import(im, "33333333-3333-4333-8333-333333333333", "B1", NULL,
	                 "2026-11-22T10:00:00+08:00"), AX_REC_ACCEPTED);
	/* before the campaign's window, no wave */
	CHECK_INT(import(im, "44444444-4444-4444-8444-444444444444", "A1", NULL,
	                 "2026-11-01T10:00:00+08:00"), AX_REC_ACCEPTED);
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
	CHECK_INT(respondents(st, NULL, NULL, NULL, NULL, 0), 2);
	CHECK_INT(respondents(st, NULL, NULL, NULL, NULL, 1), 2); /* 满意度 den */
	CHECK_INT(respondents(st, "439901101000", NULL, NULL, NULL, 0), 1);
	CHECK_INT(respondents(st, NULL, c.wave, NULL, NULL, 0), 1);
	CHECK_INT(respondents(st, NULL, NULL, "2026-11-15", "2026-11-30", 0), 2);
	CHECK_INT(respondents(st, NULL, NULL, NULL, "2026-11-10", 0), 1);

	/* flags as CASE: PostgreSQL's comparisons are booleans */
	CHECK_STR(q(st, "SELECT CASE WHEN wave = '%s' THEN 1 ELSE 0 END FROM "
	                "responses WHERE id LIKE '2222%%'", c.wave), "1");
	/* the household counts once in the campaign */
	CHECK_STR(q(st, "SELECT counted FROM responses WHERE id LIKE '2222%%'", ""), "0");
	CHECK_STR(q(st, "SELECT counted FROM responses WHERE id LIKE '1111%%'", ""), "1");
	CHECK_STR(q(st, "SELECT wave || '|' || counted FROM responses WHERE id LIKE '3333%%'", ""), "|1");
	CHECK_STR(q(st, "SELECT wave || '|' || counted FROM responses WHERE id LIKE '4444%%'", ""), "|1");
	/* the stored body is what the device sent: no wave added */
	CHECK_STR(q(st, "SELECT CASE WHEN body LIKE '%%wave%%' THEN 1 ELSE 0 END "
	                "FROM responses WHERE id LIKE '2222%%'", ""), "0");

	/* closed, then an answer in its wave arrives: 晚到 */
	REQUIRE(ax_campaign_close(st, c.id) == AX_OK);
	c.closed_at = atoll(q(st, "SELECT closed_at FROM campaigns WHERE wave = '%s'",
	                      c.wave));
	REQUIRE(c.closed_at > 0);
	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	ax_importer_set_received_at(im, c.closed_at + 60);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	CHECK_INT(import(im, "55555555-5555-4555-8555-555555555555", "A2", c.wave,
	                 "2026-11-23T10:00:00+08:00"), AX_REC_ACCEPTED);
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
	CHECK_STR(q(st, "SELECT counted FROM responses WHERE id LIKE '5555%%'", ""), "0");
	CHECK_INT(respondents(st, NULL, c.wave, NULL, NULL, 0), 1);
	CHECK_INT(respondents(st, NULL, NULL, NULL, NULL, 0), 2);
	{
		struct ax_report_opts o = {.wave = c.wave};
		struct ax_report_row row = tu_report_row0(st, &o);
		struct ax_funnel f;
		CHECK_INT(row.set_aside_late, 1);
		REQUIRE(ax_funnel_build(st, &c, NULL, &f) == AX_OK);
		CHECK_INT(f.households, 2);
		CHECK_INT(f.completed_any, 1);
		CHECK_INT(f.late, 1);
	}
	/* the campaign's own report: its scope (石桥镇: A1 A2), its wave (A1's
	 * answer; A2's is late), the roster as it stood: A3 joins the
	 * township after the close and is not among its households */
	{
		struct ax_report_opts o = {.campaign = c.id};
		struct ax_report_row row = tu_report_row0(st, &o);
		CHECK_INT(row.households, 2);
		CHECK_INT(row.respondents, 1);
		CHECK_INT(row.set_aside_late, 1);
		if (st == seed) { /* the roster import is not on PostgreSQL yet */
			static const char more[] =
			    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
			    "A3,439901101000,439901101201,439901101201001,13800138004,1\n";
			REQUIRE(ax_roster_import_mem(st, "r2.csv", more, sizeof more - 1,
			                             NULL, NULL, NULL, NULL) == AX_OK);
			row = tu_report_row0(st, &o);
			CHECK_INT(row.households, 2);
			/* --wave alone: the campaign's roster too (the old
			 * report counted today's 3) */
			o.campaign = NULL;
			o.wave = c.wave;
			row = tu_report_row0(st, &o);
			CHECK_INT(row.households, 2);
			CHECK_INT(row.respondents, 1);
			o.wave = NULL;
			o.scope = "439901101000";
			row = tu_report_row0(st, &o);
			CHECK_INT(row.households, 3); /* today's roster */
		}
	}
	{
		static const char sent[] =
		    "{\"type\":\"contact\",\"id\":\"66666666-6666-4666-8666-666666666666\","
		    "\"household\":\"A1\",\"channel\":\"sms\",\"kind\":\"sms_sent\","
		    "\"pack\":null,\"device\":\"gw-1\",\"at\":\"2026-11-25T10:00:00+08:00\"}";
		struct ax_campaign c2;
		struct ax_rec_outcome out;
		struct ax_report_opts o = {0};
		ax_campaign_defaults(&c2);
		snprintf(c2.name, sizeof c2.name, "石桥镇短信宣传");
		snprintf(c2.scope, sizeof c2.scope, "439901101000");
		c2.starts_at = c.starts_at;
		c2.ends_at = c.closed_at; /* the window the first one had */
		c2.coverage_kinds = AX_CK_SMS_SENT;
		snprintf(c2.packs, sizeof c2.packs, "anti-drug");
		if (ax_campaign_create(st, &c2) != AX_OK)
			fprintf(stderr, "campaign: %s\n", ax_store_errmsg(st));
		REQUIRE(c2.id[0]);
		REQUIRE(ax_importer_new(st, &im) == AX_OK);
		REQUIRE(ax_importer_begin(im) == AX_OK);
		REQUIRE(ax_importer_line(im, sent, strlen(sent), NULL, &out) == AX_OK);
		CHECK_INT(out.result, AX_REC_ACCEPTED);
		REQUIRE(ax_importer_commit(im) == AX_OK);
		ax_importer_free(im);
		o.campaign = c2.id;
		CHECK_INT(tu_report_row0(st, &o).households, 2);
		CHECK_INT(tu_report_row0(st, &o).reached, 1);
		o.campaign = c.id;
		CHECK_INT(tu_report_row0(st, &o).reached, 0);
	}
	ax_store_close(st);
	if (st != seed)
		ax_store_close(seed);
	return check_done();
}
