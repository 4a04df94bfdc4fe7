/*
 * test_funnel -- ax_funnel_build on records written by hand, the figures
 * counted by hand (below), not by the code under test.
 *
 * Campaign: survey satisfaction, wave W1, scope village 439901101201,
 * window [2026-03-01, 2026-04-01) China time.  Households:
 *
 *   H1 phone  sent, delivered, replied, SMS complete      all stages
 *   H2 phone  sent, replied, SMS partial (q1, q2)          .. answered
 *   H3 phone  sent; an SMS "abandoned" record, no reply    sent only (an old
 *             gateway wrote one for every household that never replied)
 *   H4 phone  sent, delivered, replied; SMS "abandoned"    .. replied
 *             (replied, nothing understood)
 *   H5 none   a complete kiosk response                    completed_any
 *   H6 phone  nothing                                      targeted
 *   H7 phone  sent; replied on 2026-02-27, before the window  sent only
 *   H8 phone  village 202 (outside the scope): everything  not counted
 *
 *   households 7 (H1-H7), targeted 6 (not H5), sent 5 (H1 H2 H3 H4 H7),
 *   delivered 3 (H1; H2 and H4 by their replies), replied 3 (H1 H2 H4),
 *   answered 2 (H1 H2), completed 1 (H1), completed_any 2 (H1 H5).
 *
 * Before the fix replied and delivered were 4 (H3's abandoned record
 * counted as a reply) and there was no answered stage.
 *
 * Then the roster changes, long after the campaign closed (roster2,
 * imported now, missing households deactivated): H2 moves to village
 * 202, H6 leaves (deactivated), H9 (phone) joins grid 201002.  The
 * closed campaign's figures are the roster as it stood in March: all
 * the same as above (H2 counted in grid 201001, H6 counted, H9 not).
 * Before the roster kept its history they became households 6 (H1 H3
 * H4 H5 H7 H9), targeted 5, sent 4.  A campaign starting tomorrow sees
 * the new roster: households 6 (H1 H3 H4 H5 H7 H9), targeted 5, sent 0.
 *
 * The 12-week trend (ax_trend_weeks) over the same records, to Sunday
 * 2026-03-08 in 2 weeks: 2026-02-23..03-01 (ISO week 9) has nothing; 03-02..
 * 03-08 (week 10) has the counted complete answers of 03-05 -- village
 * 201: H1 (sms) and H5 (kiosk), the township also H8 (village 202): 2
 * and 3 respondents, every one satisfied (overall 1: the satisfaction
 * survey counts 1-3), sms only 1 and 2 (H1; H1 H8), kiosk only H5.
 *
 * Cumulative 宣传入户率 by week (ax_coverage_weeks), the same 2 weeks,
 * default kinds (delivered, replied, kiosk, visit; never sms_sent):
 * village 201 has 7 active households; week 9 reached H7 (replied 02-27),
 * week 10 adds H1 (delivered 03-02), H2 (replied 03-03), H4 (delivered
 * 03-02): 1 then 4 of 7.  H3 was only sent to, H5 answered at a kiosk
 * with no contact, H6 nothing.  The township (8) adds H8 (delivered
 * 03-02): 1 then 5.  From 2026-03-01 on, H7's reply is before the start:
 * 0 then 3 of 7.  sms_sent alone counted: H1-H4 and H7 from 03-02
 * (H7's sent is 03-02): 0 then 5 of 7.
 *
 * `test_funnel` runs on a SQLite file (unit.funnel); `test_funnel
 * URLFILE` (pg.funnel, issue 19) builds the same file and reads the
 * figures from PostgreSQL: the file copied into a database of its own
 * on the `pg` fixture's cluster (anxin store copy); roster2 is imported
 * there, its history written by PostgreSQL's triggers (migration 8).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/funnel.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "testutil.h"
#include "../pg/pgtest.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101201,439901101201001,13800000002,2\n"
    "H3,439901101000,439901101201,439901101201001,13800000003,4\n"
    "H4,439901101000,439901101201,439901101201002,13800000004,1\n"
    "H5,439901101000,439901101201,439901101201002,,2\n"
    "H6,439901101000,439901101201,439901101201002,13800000006,2\n"
    "H7,439901101000,439901101201,439901101201002,13800000007,2\n"
    "H8,439901101000,439901101202,439901101202001,13800000008,2\n";

static const char roster2[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101202,439901101202001,13800000002,2\n"
    "H3,439901101000,439901101201,439901101201001,13800000003,4\n"
    "H4,439901101000,439901101201,439901101201002,13800000004,1\n"
    "H5,439901101000,439901101201,439901101201002,,2\n"
    "H7,439901101000,439901101201,439901101201002,13800000007,2\n"
    "H8,439901101000,439901101202,439901101202001,13800000008,2\n"
    "H9,439901101000,439901101201,439901101201002,13800000009,5\n";

#define CONTACT(n, hh, kind, day)                                             \
	"{\"type\":\"contact\",\"id\":\"c0000000-0000-4000-8000-0000000000" n   \
	"\",\"household\":\"" hh "\",\"channel\":\"sms\",\"kind\":\"" kind     \
	"\",\"pack\":null,\"device\":\"gw-1\",\"at\":\"2026-" day              \
	"T10:00:00+08:00\"}"
#define RESPONSE(n, hh, channel, status, answers)                             \
	"{\"type\":\"response\",\"id\":\"d0000000-0000-4000-8000-0000000000" n  \
	"\",\"survey\":\"satisfaction\",\"survey_version\":1,\"wave\":\"W1\","  \
	"\"channel\":\"" channel "\",\"device\":\"gw-1\",\"household\":\"" hh  \
	"\",\"started_at\":\"2026-03-05T09:00:00+08:00\",\"completed_at\":"    \
	"\"2026-03-05T10:00:00+08:00\",\"status\":\"" status "\",\"answers\":" \
	answers "}"
#define FULL                                                                   \
	"{\"q1\":\"2\",\"q3\":\"1\",\"q4\":\"2\",\"q5\":\"1\",\"q6\":\"1\","   \
	"\"overall\":\"1\"}"

static const char *const records[] = {
	CONTACT("01", "H1", "sms_sent", "03-02"),
	CONTACT("02", "H1", "sms_delivered", "03-02"),
	CONTACT("03", "H1", "sms_replied", "03-02"),
	RESPONSE("01", "H1", "sms", "complete", FULL),
	CONTACT("04", "H2", "sms_sent", "03-02"),
	CONTACT("05", "H2", "sms_replied", "03-03"),
	RESPONSE("02", "H2", "sms", "partial", "{\"q1\":\"1\",\"q2\":\"2\"}"),
	CONTACT("06", "H3", "sms_sent", "03-02"),
	RESPONSE("03", "H3", "sms", "abandoned", "{}"),
	CONTACT("07", "H4", "sms_sent", "03-02"),
	CONTACT("08", "H4", "sms_delivered", "03-02"),
	CONTACT("09", "H4", "sms_replied", "03-04"),
	RESPONSE("04", "H4", "sms", "abandoned", "{}"),
	RESPONSE("05", "H5", "kiosk", "complete", FULL),
	CONTACT("10", "H7", "sms_sent", "03-02"),
	CONTACT("11", "H7", "sms_replied", "02-27"),
	CONTACT("12", "H8", "sms_sent", "03-02"),
	CONTACT("13", "H8", "sms_delivered", "03-02"),
	CONTACT("14", "H8", "sms_replied", "03-02"),
	RESPONSE("06", "H8", "sms", "complete", FULL),
};

/* the March campaign's figures over its whole scope, by hand (above) */
static void check_march(const struct ax_funnel *f)
{
	CHECK_INT(f->households, 7);
	CHECK_INT(f->targeted, 6);
	CHECK_INT(f->sent, 5);
	CHECK_INT(f->delivered, 3);
	CHECK_INT(f->replied, 3);
	CHECK_INT(f->answered, 2);
	CHECK_INT(f->completed, 1);
	CHECK_INT(f->completed_any, 2);
}

/* weeks 9 and 10 of 2026 in `region`, for the satisfaction survey */
static void check_trend(ax_store *st, const char *region, const char *channel,
                        long long want)
{
	struct ax_trend_week w[2];
	if (ax_trend_weeks(st, region, "satisfaction", channel, "2026-03-08", 2,
	                   w) != AX_OK) {
		fprintf(stderr, "trend: %s\n", ax_store_errmsg(st));
		REQUIRE(0);
	}
	CHECK_STR(w[0].from, "2026-02-23");
	CHECK_STR(w[1].to, "2026-03-08");
	CHECK_INT(w[0].isoweek, 9);
	CHECK_INT(w[1].isoweek, 10);
	CHECK_INT(w[0].respondents, 0);
	CHECK_INT(w[1].respondents, want);
	CHECK_INT(w[1].sat_den, want);
	CHECK_INT(w[1].sat_num, want);
}

static void check_cov(ax_store *st, const char *region, int kinds,
                      const char *from, long long hh, long long w9,
                      long long w10)
{
	long long n = -1, r[2] = {-1, -1};
	if (ax_coverage_weeks(st, region, kinds, from, "2026-03-08", 2, NULL, &n, r) !=
	    AX_OK) {
		fprintf(stderr, "coverage: %s\n", ax_store_errmsg(st));
		REQUIRE(0);
	}
	CHECK_INT(n, hh);
	CHECK_INT(r[0], w9);
	CHECK_INT(r[1], w10);
}

int main(int argc, char **argv)
{
	char err[256] = "", dir[512];
	const char *src = getenv("ANXIN_SOURCE");
	const char *pg = argc > 1 ? argv[1] : NULL; /* the cluster's URL file */
	struct tu_diag d = {0};
	struct ax_campaign c;
	struct ax_funnel f;
	ax_content *content = NULL;
	ax_store *seed = NULL, *st;
	int nerr = -1;

	tu_init();
	REQUIRE(src != NULL);
	REQUIRE(ax_store_open(tu_path("store.db"), AX_STORE_CREATE, &seed, err,
	                      sizeof err) == AX_OK);
	REQUIRE(ax_roster_import_mem(seed, "roster.csv", roster, sizeof roster - 1,
	                             NULL, tu_diag_fn, &d, NULL) == AX_OK);
	CHECK_INT(d.n, 0);
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src);
	REQUIRE(ax_content_load_dir(dir, tu_diag_fn, &d, &nerr, &content) == AX_OK);
	REQUIRE(ax_content_install(seed, content, NULL) == AX_OK);
	ax_content_free(content);
	tu_import_lines(seed, records, sizeof records / sizeof records[0]);
	st = pgt_store(seed, pg, "anxin_funnel");

	ax_campaign_defaults(&c);
	snprintf(c.survey, sizeof c.survey, "satisfaction");
	snprintf(c.wave, sizeof c.wave, "W1");
	snprintf(c.scope, sizeof c.scope, "439901101201");
	c.starts_at = 1772294400LL; /* 2026-03-01 00:00 China time */
	c.ends_at = 1774972800LL;   /* 2026-04-01 00:00 */
	REQUIRE(ax_funnel_build(st, &c, NULL, &f) == AX_OK);
	check_march(&f);
	check_trend(st, "439901101201", NULL, 2);
	check_trend(st, "439901101000", NULL, 3);
	check_trend(st, "439901101201", "sms", 1);
	check_trend(st, "439901101000", "sms", 2);
	check_trend(st, "439901101000", "kiosk", 1);
	check_cov(st, "439901101201", 0, NULL, 7, 1, 4);
	check_cov(st, "439901101000", 0, NULL, 8, 1, 5);
	check_cov(st, "439901101201", 0, "2026-03-01", 7, 0, 3);
	check_cov(st, "439901101201", AX_CK_SMS_SENT, NULL, 7, 0, 5);
	{
		long long n, r[2];
		CHECK_INT(ax_coverage_weeks(st, "439901101201", 0, "2026-13-01",
		                            NULL, 2, NULL, &n, r), AX_INVALID);
		CHECK_INT(ax_coverage_weeks(st, "439901109999", 0, NULL, NULL, 2, NULL,
		                            &n, r), AX_NOTFOUND);
	}

	/* one grid: H4 H5 H6 H7 */
	REQUIRE(ax_funnel_build(st, &c, "439901101201002", &f) == AX_OK);
	CHECK_INT(f.households, 4);
	CHECK_INT(f.targeted, 3);
	CHECK_INT(f.sent, 2);
	CHECK_INT(f.replied, 1);
	CHECK_INT(f.answered, 0);
	CHECK_INT(f.completed_any, 1);

	/* outreach only: no answered or completed stage */
	c.survey[0] = '\0';
	REQUIRE(ax_funnel_build(st, &c, NULL, &f) == AX_OK);
	CHECK_INT(f.replied, 3); /* the sms_replied contacts: H1 H2 H4 */
	CHECK_INT(f.answered, 0);
	CHECK_INT(f.completed, 0);

	/* the roster changes after the campaign closed: its figures stay */
	{
		struct ax_roster_opts ro = {0};
		struct ax_roster_stats rs;
		ro.deactivate_missing = 1;
		REQUIRE(ax_roster_import_mem(st, "roster2.csv", roster2,
		                             sizeof roster2 - 1, &ro, tu_diag_fn, &d,
		                             &rs) == AX_OK);
		CHECK_INT(rs.deactivated, 1); /* H6 */
		CHECK_INT(rs.inserted, 1);    /* H9 */
	}
	snprintf(c.survey, sizeof c.survey, "satisfaction");
	REQUIRE(ax_funnel_build(st, &c, NULL, &f) == AX_OK);
	check_march(&f);
	/* H2 still in its March grid: H1 H2 H3 */
	REQUIRE(ax_funnel_build(st, &c, "439901101201001", &f) == AX_OK);
	CHECK_INT(f.households, 3);
	CHECK_INT(f.sent, 3);
	/* the campaign's coverage by week (its dashboard trend) after the
	 * roster changed: its March roster (H1-H7 in village 201, H6 still
	 * counted, H9 not), contacts from its start 03-01: week 9 nothing
	 * (H7's reply of 02-27 is before it), week 10 H1 H2 H4: 0 then 3 of
	 * 7.  The township: only the campaign's scope (village 201), not H8.
	 * Today's roster gave 6 households and 0 then 2 (H2 moved away). */
	{
		long long n = -1, r[2] = {-1, -1};
		const char *regions[] = {"439901101201", "439901101000"};
		for (int k = 0; k < 2; k++) {
			CHECK_INT(ax_coverage_weeks(st, regions[k], 0, NULL, "2026-03-08",
			                            2, &c, &n, r), AX_OK);
			CHECK_INT(n, 7);
			CHECK_INT(r[0], 0);
			CHECK_INT(r[1], 3);
		}
		CHECK_INT(ax_coverage_weeks(st, "439901101201", 0, NULL, "2026-03-08",
		                            2, NULL, &n, r), AX_OK);
		CHECK_INT(n, 6);
		/* one grid: H4 H5 H6 H7, H4 delivered 03-02 */
		CHECK_INT(ax_coverage_weeks(st, "439901101201002", 0, NULL,
		                            "2026-03-08", 2, &c, &n, r), AX_OK);
		CHECK_INT(n, 4);
		CHECK_INT(r[1], 1);
		/* closed on 03-31: every contact here was received when this
		 * test imported it, after the close: all 晚到, none counted */
		c.closed_at = 1774886400LL; /* 2026-03-31 00:00 */
		CHECK_INT(ax_coverage_weeks(st, "439901101201", 0, NULL, "2026-03-08",
		                            2, &c, &n, r), AX_OK);
		CHECK_INT(n, 7);
		CHECK_INT(r[1], 0);
		c.closed_at = 0;
	}
	/* a campaign from tomorrow (its own wave): the roster as it is now */
	snprintf(c.wave, sizeof c.wave, "W2");
	c.starts_at = (long long)time(NULL) + 86400;
	c.ends_at = c.starts_at + 30 * 86400;
	REQUIRE(ax_funnel_build(st, &c, NULL, &f) == AX_OK);
	CHECK_INT(f.households, 6);
	CHECK_INT(f.targeted, 5);
	CHECK_INT(f.sent, 0);
	ax_store_close(st);
	if (pg)
		ax_store_close(seed);
	return check_done();
}
