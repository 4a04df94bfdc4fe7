/*
 * test_outreach -- awareness outreach through libgammu's real dummy
 * driver, one modem, a fixed clock:
 *
 *   an outreach-only campaign with a pack: every household with a phone
 *   gets each digest exactly once (the gateway is restarted mid-way: no
 *   digest queued or sent twice), one a day (digest_gap: on the old code
 *   all four went in four minutes), the first one ends with the opt-out
 *   tail; quiet hours hold them until 08:00; the pace spreads them; a
 *   number that opted out gets none (blocked at the send layer); a
 *   delivery report becomes sms_delivered and a reply sms_replied, both
 *   with the pack id; an opt-out answering a digest is honoured and not
 *   counted as a reply;
 *
 *   a campaign with a survey and a pack: no digest while the household's
 *   conversation is open; the digests follow once it has ended, the
 *   first a day after the last message, then one a day;
 *
 *   the store's outbox holds the sms_sent contacts with the pack id;
 *
 *   one signature on every message: the config's 【江州县平安办】 starts
 *   every queued text, in place of the 【江州平安】 of the digests and the
 *   【江州县综治办】 of the survey texts (tests/content-v1), and no text
 *   has a second 【; a signature that is not one 【name】 of at most 10
 *   characters is refused.  (Without the signature setting the texts went
 *   out with the content's three different ones.)
 *
 * Replies and reports are injected as smsbackup files into <modem>/sms/1/
 * (the same format as test_dummy.c); what was sent is read from the
 * gateway's own queue (in the store).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL


static struct gw_config cfg;
static gw_gateway *g;
static char m0[300];

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101201,439901101201001,13800000002,2\n"
    "H3,439901101000,439901101201,439901101201001,13800000003,4\n"
    "H4,439901101000,439901101201,439901101201001,13800000004,1\n"
    "H5,439901101000,439901101201,439901101201002,,2\n"
    "H6,439901101000,439901101202,439901101202001,13800000006,2\n";

/* ---- injecting messages (smsbackup files, hex UCS-2BE) ------------------ */

static void inject(const char *number, const char *text)
{
	gwt_inject(m0, number, text);
}

static void inject_report(const char *number, int ref)
{
	gwt_inject_report(m0, number, ref, 0);
}

/* ---- reading the gateway's tables ---------------------------------------------------- */

static long long q1(const char *sql)
{
	return gwt_q1(cfg.store, sql, NULL);
}

#define SENT_DIGESTS "SELECT COUNT(*) FROM queue WHERE kind='digest' AND state='sent'"

/* ---- driving the gateway ----------------------------------------------------- */

static void gw_start(void)
{
	char err[512];
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
}

static void gw_stop(void)
{
	gw_close(g);
	g = NULL;
}

static void round_trip(void)
{
	int i;
	for (i = 0; i < 2; i++) {
		if (gw_step(g) != AX_OK)
			fprintf(stderr, "step: %s\n", gw_errmsg(g));
		gw_modem_cycle(g, 0);
	}
	if (gw_step(g) != AX_OK)
		fprintf(stderr, "step: %s\n", gw_errmsg(g));
}

static void setup(void)
{
	ax_store *st;
	struct ax_campaign camp;

	tu_init();
	snprintf(m0, sizeof m0, "%s", tu_path("m0"));
	mkdir(m0, 0755);
	st = gwt_store(roster_csv, sizeof roster_csv - 1);
	/* outreach only: four digests to village 201 */
	ax_campaign_defaults(&camp);
	snprintf(camp.name, sizeof camp.name, "反诈宣传");
	snprintf(camp.packs, sizeof camp.packs, "anti-fraud");
	snprintf(camp.scope, sizeof camp.scope, "439901101201");
	camp.starts_at = T0 - DAY;
	camp.ends_at = T0 + 30 * DAY;
	camp.pace_per_min = 3;
	REQUIRE(ax_campaign_create(st, &camp) == AX_OK);
	/* a survey and a pack: village 202 */
	ax_campaign_defaults(&camp);
	snprintf(camp.name, sizeof camp.name, "满意度测评与禁毒宣传");
	snprintf(camp.survey, sizeof camp.survey, "satisfaction");
	snprintf(camp.packs, sizeof camp.packs, "anti-drug");
	snprintf(camp.scope, sizeof camp.scope, "439901101202");
	camp.starts_at = T0 - DAY;
	camp.ends_at = T0 + 30 * DAY;
	REQUIRE(ax_campaign_create(st, &camp) == AX_OK);
	ax_store_close(st);

	/* rounds a minute apart on a fixed clock: the minute's share at once
	 * (the spread within the minute is e2e.smsd.sendprio's); one signature */
	gwt_config(&cfg, m0, "pace_burst = 60\nsignature = 【江州县平安办】\n");
}

int main(void)
{
	const char *p1 = "+8613800000001", *p2 = "+8613800000002";
	const char *p3 = "+8613800000003", *p4 = "+8613800000004";
	const char *p6 = "+8613800000006";
	int minute, day, restarted = 0;
	long long ndrug;

	setup();
	gwt_now = T0 - 13 * 3600; /* 2026-03-01 21:00: quiet hours */
	gw_start();

	/* ---- queued during quiet hours, nothing sent; H3 opts out first ----
	 * One digest a household at a time (digest_gap, a day): the first of
	 * each of H1..H4 is queued at once (nothing was ever sent to them),
	 * the other three wait for it to go out plus a day. */
	round_trip(); /* the driver makes its folders on connect */
	inject(p3, "TD");
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM digests WHERE pack='anti-fraud'"), 4);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest' AND pack='anti-fraud'"), 4);
	CHECK_INT(q1("SELECT COUNT(*) FROM optout WHERE phone='+8613800000003'"), 1);
	/* H6's conversation is open: its campaign's digests wait */
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H6' AND status='asking'"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM digests WHERE household='H6'"), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='sent'"), 0);
	/* a restart with the digests pending queues none again (H3's is
	 * blocked at once: its number opted out) */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest' AND state='pending'"), 3);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest' AND state='blocked'"), 1);
	gw_stop();
	gw_start();
	restarted = 1;
	gwt_now = T0 - 2 * 3600 - 60; /* 07:59 */
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='sent'"), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest'"), 4);

	/* ---- four mornings from 08:00, three rounds a minute apart ----
	 * Worked by hand.  Day 1, 08:00: the minute's three sends (pace 3
	 * counts every kind) are the opt-out confirmation and H6's intro and
	 * question, of earlier send classes or older; 08:01: the first digests
	 * of H1, H2 and H4 (H3's is blocked: opted out, and it gets no more).
	 * Each next digest is due a day after the last went, 08:01 the next
	 * day, queued and sent in that round (H6's reminder went at 08:00 of
	 * day 2, a minute before, outside the minute's window).  So 3 digests
	 * at 08:01 on each of the four days; before throttling, all 12 went on
	 * day 1 between 08:01 and 08:04. */
	for (day = 0; day < 4; day++) {
		if (day == 2) { /* and a restart between mornings */
			gw_stop();
			gw_start();
		}
		for (minute = 0; minute < 3; minute++) {
			gwt_now = T0 - 2 * 3600 + day * DAY + minute * 60;
			round_trip();
		}
	}
	CHECK(restarted);
	CHECK_INT(q1("SELECT COUNT(*) FROM digests WHERE pack='anti-fraud'"), 13);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest' AND pack='anti-fraud'"), 13);
	/* each household with a phone and no opt-out: each digest exactly once */
	CHECK_INT(q1(SENT_DIGESTS " AND pack='anti-fraud'"), 12);
	CHECK_INT(q1("SELECT COUNT(*) FROM (SELECT household, text FROM queue WHERE"
	             " kind='digest' AND state IN ('sent','unknown','sending')"
	             " GROUP BY household, text HAVING COUNT(*) > 1)"),
	          0);
	CHECK_INT(q1("SELECT COUNT(DISTINCT household) FROM queue WHERE kind='digest'"
	             " AND state='sent'"),
	          3);
	/* quiet hours held them; at 08:00 the minute's three sends were the
	 * opt-out confirmation and H6's intro and question, of earlier send
	 * classes (gw__kind_prio) */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='sent' AND sent_at="
	             "1772409600 AND kind IN ('optout_confirm','intro','question')"),
	          3); /* T0 - 2 h */
	/* one a day: three at 08:01 of each morning, and only then */
	for (day = 0; day < 4; day++) {
		char sql[160];
		snprintf(sql, sizeof sql, SENT_DIGESTS " AND sent_at=%lld",
		         T0 - 2 * 3600 + 60 + day * DAY);
		CHECK_INT(q1(sql), 3);
	}
	CHECK_INT(q1("SELECT COUNT(DISTINCT sent_at) FROM queue WHERE kind='digest'"
	             " AND state='sent'"), 4);
	/* the opted-out number: its one queued digest blocked at the send
	 * layer, no more queued; only the confirmation went */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone='+8613800000003' AND"
	             " kind='digest' AND state='blocked'"),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone='+8613800000003' AND"
	             " kind='digest'"),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log WHERE phone='+8613800000003'"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log WHERE phone='+8613800000003' AND"
	             " kind='optout_confirm'"),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log WHERE phone='+8613800000005'"), 0);
	/* the first digest carries the opt-out tail, the others do not */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest' AND state='sent'"
	             " AND text LIKE '%回复TD退订'"),
	          3);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest' AND state='sent'"
	             " AND text LIKE '%回复TD退订' AND sent_at=1772409660"),
	          3);

	/* ---- a delivery report: sms_delivered with the pack ---- */
	gwt_now += 60;
	inject_report(p1, 255);
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM reports WHERE matched=1"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%\"kind\":\"sms_delivered\"%'"
	             " AND body LIKE '%\"pack\":\"anti-fraud\"%' AND body LIKE '%\"H1\"%'"),
	          1);

	/* ---- a reply to a digest: sms_replied with the pack; TD is not one ---- */
	gwt_now += 60;
	inject(p2, "收到，谢谢提醒");
	inject(p4, "ＴＤ");
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%\"kind\":\"sms_replied\"%'"
	             " AND body LIKE '%\"pack\":\"anti-fraud\"%' AND body LIKE '%\"H2\"%'"),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%\"kind\":\"sms_replied\"%'"
	             " AND body LIKE '%\"H4\"%'"),
	          0);
	CHECK_INT(q1("SELECT COUNT(*) FROM optout WHERE phone='+8613800000004'"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613800000002' AND state='late'"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log WHERE phone='+8613800000004' AND"
	             " kind='optout_confirm'"),
	          1);
	(void)p1;
	(void)p3;

	/* ---- survey + pack: digests follow the conversation's end ----
	 * H6 got its intro and question at 08:00 of day 1 and the reminder at
	 * 08:00 of day 2 (remind_after, a day); it expires expire_after (3
	 * days) after the reminder, at 08:00 of day 5.  Its first anti-drug
	 * digest is then due (a day after the reminder, the last message);
	 * a household whose conversation was still asking at the last look
	 * is looked at again a minute later (DIGEST_RECHECK_S), so it is
	 * queued and sent at 08:01; the other two of the pack's three a day
	 * after each other, 08:01 of days 6 and 7, none at 20:00 of day 5. */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone='+8613800000006' AND"
	             " state='sent'"),
	          3); /* intro, first question, reminder */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone='+8613800000006' AND"
	             " state='sent' AND sent_at=1772496000"),
	          1); /* the reminder: 08:00 of day 2 */
	CHECK_INT(q1("SELECT COUNT(*) FROM digests WHERE household='H6'"), 0);
	gwt_now = T0 - 2 * 3600 + 4 * DAY; /* 08:00 of day 5: expired */
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H6' AND status='expired'"), 1);
	CHECK_INT(q1(SENT_DIGESTS " AND pack='anti-drug'"), 0);
	gwt_now += 60;
	round_trip();
	CHECK_INT(q1(SENT_DIGESTS " AND pack='anti-drug'"), 1);
	gwt_now += 12 * 3600 - 60; /* 20:00 of day 5 */
	round_trip();
	CHECK_INT(q1(SENT_DIGESTS " AND pack='anti-drug'"), 1);
	gwt_now += 12 * 3600 + 60; /* 08:01 of day 6 */
	round_trip();
	gwt_now += DAY;
	round_trip();
	gwt_now += DAY;
	round_trip();
	ndrug = q1("SELECT COUNT(*) FROM digests WHERE household='H6'");
	CHECK_INT(ndrug, 3);
	CHECK_INT(q1(SENT_DIGESTS " AND pack='anti-drug'"), ndrug);
	/* 08:01 of days 5, 6 and 7 */
	CHECK_INT(q1(SENT_DIGESTS " AND pack='anti-drug' AND sent_at IN"
	             " (1772755260, 1772841660, 1772928060)"),
	          3);
	CHECK(q1("SELECT MIN(id) FROM queue WHERE phone='+8613800000006' AND kind='digest'") >
	      q1("SELECT MAX(id) FROM queue WHERE phone='+8613800000006' AND kind<>'digest'"));
	/* the survey's intro carried the opt-out tail: the digests do not */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest' AND pack='anti-drug'"
	             " AND text LIKE '%回复TD退订'"),
	          0);
	(void)p6;
	gw_stop();

	/* ---- a restart queues nothing again; the status page counts them ---- */
	gw_start();
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE kind='digest'"), 13 + ndrug);
	{
		char buf[4096] = "", want[160];
		FILE *f = fopen(tu_path("status.txt"), "w+");
		size_t n;
		REQUIRE(f != NULL);
		CHECK(gw_status_print(g, f) == AX_OK);
		rewind(f);
		n = fread(buf, 1, sizeof buf - 1, f);
		buf[n] = '\0';
		fclose(f);
		snprintf(want, sizeof want,
		         "outreach: %lld digests queued, %lld sent (1 delivered, %lld"
		         " unconfirmed), 1 blocked by opt-out",
		         13 + ndrug, 12 + ndrug, 11 + ndrug);
		CHECK(strstr(buf, want) != NULL);
	}
	gw_stop();

	/* ---- the store's outbox: sms_sent contacts carry the pack id ---- */
	{
		ax_store *st;
		char err[256], line[8192];
		FILE *f;
		int fraud_sent = 0, drug_sent = 0, delivered = 0, replied = 0;
		REQUIRE(ax_store_open(tu_path("anxin.db"), 0, &st, err, sizeof err) == AX_OK);
		REQUIRE(ax_outbox_export(st, tu_path("outbox.jsonl"), 1, NULL) == AX_OK);
		ax_store_close(st);
		f = fopen(tu_path("outbox.jsonl"), "r");
		REQUIRE(f != NULL);
		while (fgets(line, sizeof line, f)) {
			int fraud = strstr(line, "\"pack\":\"anti-fraud\"") != NULL;
			fraud_sent += fraud && strstr(line, "\"kind\":\"sms_sent\"") != NULL;
			drug_sent += strstr(line, "\"pack\":\"anti-drug\"") &&
			             strstr(line, "\"kind\":\"sms_sent\"");
			delivered += fraud && strstr(line, "\"kind\":\"sms_delivered\"") != NULL;
			replied += fraud && strstr(line, "\"kind\":\"sms_replied\"") != NULL;
		}
		fclose(f);
		CHECK_INT(fraud_sent, 12);
		CHECK_INT(drug_sent, (int)ndrug);
		CHECK_INT(delivered, 1);
		CHECK_INT(replied, 1);
	}

	/* ---- one signature: 【江州县平安办】 is 8 characters, so the rest of
	 * the text starts at character 9 ---- */
	CHECK(q1("SELECT COUNT(*) FROM queue WHERE kind='digest'") > 0);
	CHECK(q1("SELECT COUNT(*) FROM queue WHERE kind IN ('intro', 'question')") > 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE text NOT GLOB '【江州县平安办】*'"
	             " OR instr(substr(text, 9), '【') > 0"), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE text GLOB '*江州平安*'"
	             " OR text GLOB '*综治办*'"), 0);
	{
		static const char *const bad[] = {"江州县平安办", "【江州县平安办",
		                                  "【江州县】【平安办】",
		                                  "【江州县社会治安综合治理办公室】"};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			struct gw_config c2;
			char err[512];
			FILE *f = fopen(tu_path("bad.conf"), "w");
			REQUIRE(f != NULL);
			fprintf(f, "[gammu]\nconnection = none\nmodel = dummy\ndevice = %s\n\n"
			           "[smsd]\nstore = %s\nsignature = %s\n",
			        m0, tu_path("anxin.db"), bad[i]);
			fclose(f);
			gw_config_defaults(&c2);
			CHECK_INT(gw_config_load(tu_path("bad.conf"), &c2, err, sizeof err),
			          AX_INVALID);
			CHECK(strstr(err, "signature") != NULL);
		}
	}
	return check_done();
}
