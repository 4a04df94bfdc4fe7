/*
 * test_dummy -- the gateway end to end against libgammu's real dummy
 * driver (connection = none, model = dummy, device = a folder), two
 * modems, a fixed clock:
 *
 *   quiet hours hold the first messages until 08:00; pace spreads them
 *   over both modems; a full questionnaire with messy replies; a 3-part
 *   Chinese reply whose last part arrives later; a duplicated incoming
 *   message stored once; invalid -> re-ask -> skip; opt-out mid-survey
 *   and the send layer refusing a later message to that number; reminder
 *   and expiry; an unknown sender kept for staff; a "part 0" header and two
 *   senders sharing a reference (libgammu guards); a delivery report; the
 *   records in the store's outbox; kill -9 between commit and delete and
 *   between send and record (nothing lost, doubled or re-sent).
 *
 * Replies are injected as smsbackup files into <modem>/sms/1/, written
 * here (hex UCS-2BE, one file per part, UDH for multipart); outgoing
 * messages are asserted from the gateway's own sent log (its queue, in
 * the store).
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "anxin/text.h"
#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL


static struct gw_config cfg;
static gw_gateway *g;
static char m0[300], m1[300];

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101201,439901101201001,13800000002,2\n"
    "H3,439901101000,439901101201,439901101201001,13800000003,4\n"
    "H4,439901101000,439901101201,439901101201001,13800000004,1\n"
    "H5,439901101000,439901101201,439901101201002,,2\n";

/* ---- injecting messages ---------------------------------------------------- */

static int stamp_no;
static const char *next_stamp(void)
{
	static char b[32];
	snprintf(b, sizeof b, "20260302T10%02d%02d", stamp_no / 60 % 60, stamp_no % 60);
	stamp_no++;
	return b;
}

static void inject(const char *dir, const char *number, const char *text)
{
	unsigned short u[1024];
	int n = gwt_ucs2(text, u, 1024);
	gwt_write_part(dir, number, next_stamp(), u, n, 0, 1, 1);
}

static void inject_report(const char *dir, const char *number, int ref)
{
	char path[400];
	unsigned short num[32];
	int nn = gwt_ucs2(number, num, 32), loc = gwt_next_location(dir);
	FILE *f;
	snprintf(path, sizeof path, "%s/sms/1/%d", dir, loc);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, "[SMSBackup000]\nSMSC = \"+8613800100500\"\nState = UnRead\n"
	           "Number = \"%s\"\n", number);
	gwt_hexline(f, "NumberUnicode", num, nn);
	fprintf(f, "Coding = Default_No_Compression\nFolder = 1\nLength = 0\n"
	           "Class = -1\nPDU = Status_Report\nMessageReference = %d\n"
	           "DeliveryStatus = 0\nDateTime = 20260303T090000\n"
	           "SMSCDateTime = 20260303T090000\n", ref);
	fclose(f);
}

static int files_in(const char *dir)
{
	char path[400];
	int i, n = 0;
	for (i = 1; i < 200; i++) {
		snprintf(path, sizeof path, "%s/sms/1/%d", dir, i);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* ---- the gateway's own sent log ------------------------------------------------- */

static sqlite3 *gdb(void)
{
	sqlite3 *db;
	REQUIRE(sqlite3_open_v2(cfg.store, &db, SQLITE_OPEN_READONLY, NULL) ==
	        SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	return db;
}

static long long q1(const char *sql)
{
	return gwt_q1(cfg.store, sql, NULL);
}

/* Texts sent to a number, in order, joined by "\n" (static buffer). */
static const char *sent_to(const char *phone)
{
	static char buf[16384];
	sqlite3 *db = gdb();
	sqlite3_stmt *q;
	size_t used = 0;
	buf[0] = '\0';
	REQUIRE(sqlite3_prepare_v2(db,
	                           "SELECT text FROM sent_log WHERE phone=? ORDER BY id",
	                           -1, &q, NULL) == SQLITE_OK);
	sqlite3_bind_text(q, 1, phone, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW && used < sizeof buf - 1024)
		used += (size_t)snprintf(buf + used, sizeof buf - used, "%s\n",
		                         sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	sqlite3_close(db);
	return buf;
}

static int count_sent(const char *phone)
{
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT COUNT(*) FROM sent_log WHERE phone='%s'",
	         phone);
	return (int)q1(sql);
}

static const char *last_sent(const char *phone)
{
	const char *all = sent_to(phone);
	static char last[4096];
	const char *p = all, *start = all;
	size_t n = strlen(all);
	if (n == 0)
		return "";
	for (p = all; p < all + n - 1; p++)
		if (*p == '\n')
			start = p + 1;
	snprintf(last, sizeof last, "%.*s", (int)(all + n - 1 - start), start);
	return last;
}

/* ---- driving the gateway ---------------------------------------------------------- */

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

/* step, both modems, step: a reply in, the next question out */
static void round_trip(void)
{
	if (gw_step(g) != AX_OK)
		fprintf(stderr, "step: %s\n", gw_errmsg(g));
	gw_modem_cycle(g, 0);
	gw_modem_cycle(g, 1);
	if (gw_step(g) != AX_OK)
		fprintf(stderr, "step: %s\n", gw_errmsg(g));
	gw_modem_cycle(g, 0);
	gw_modem_cycle(g, 1);
}

static void reply(const char *modem_dir, const char *phone, const char *text)
{
	inject(modem_dir, phone, text);
	gwt_now += 60;
	round_trip();
}

/* Lines of file path that contain part. */
static long long count_lines(const char *path, const char *part)
{
	char buf[4096];
	long long n = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(buf, sizeof buf, f))
		n += strstr(buf, part) != NULL;
	fclose(f);
	return n;
}

static int ends_with(const char *s, const char *e)
{
	size_t a = strlen(s), b = strlen(e);
	return a >= b && strcmp(s + a - b, e) == 0;
}

static void setup(void)
{
	ax_store *st;
	struct ax_campaign camp;
	char err[256];
	FILE *f;

	tu_init();
	snprintf(m0, sizeof m0, "%s", tu_path("m0"));
	snprintf(m1, sizeof m1, "%s", tu_path("m1"));
	mkdir(m0, 0755);
	mkdir(m1, 0755);
	st = gwt_store(roster_csv, sizeof roster_csv - 1);
	ax_campaign_defaults(&camp);
	snprintf(camp.name, sizeof camp.name, "满意度测评");
	snprintf(camp.survey, sizeof camp.survey, "satisfaction");
	snprintf(camp.scope, sizeof camp.scope, "439901101201");
	camp.starts_at = T0 - DAY;
	camp.ends_at = T0 + 30 * DAY;
	camp.pace_per_min = 4;
	REQUIRE(ax_campaign_create(st, &camp) == AX_OK);
	ax_store_close(st);

	/* the configuration as staff write it, read by the real loader */
	f = fopen(tu_path("smsd.conf"), "w");
	REQUIRE(f != NULL);
	fprintf(f, "[gammu]\nconnection = none\nmodel = dummy\ndevice = %s\n\n"
	           "[gammu1]\nconnection = none\nmodel = dummy\ndevice = %s\n\n"
	           "[smsd]\nstore = %s\ndevice_id = gw-test\npoll_ms = 100\n"
	           "part_timeout = 600\nsent_log = %s\n"
	           /* rounds a minute apart on a fixed clock: the minute's
	            * share at once (the spread is e2e.smsd.sendprio's) */
	           "pace_burst = 60\n",
	        m0, m1, tu_path("anxin.db"), tu_path("sent.jsonl"));
	fclose(f);
	gw_config_defaults(&cfg);
	REQUIRE(gw_config_load(tu_path("smsd.conf"), &cfg, err, sizeof err) == AX_OK);
	CHECK_INT(cfg.nmodems, 2);
	CHECK_STR(cfg.gateway_db, tu_path("gateway.db"));
}

/* A 150-character comment: three UCS-2 parts (67 + 67 + 16). */
static void long_reply(char *out, size_t n)
{
	static const char piece[] = "感谢村里治安巡逻队每天晚上巡逻，我们住得很安心。";
	size_t used = (size_t)snprintf(out, n, "2，");
	while (used + sizeof piece < n && ax_utf8_len(out) < 150)
		used += (size_t)snprintf(out + used, n - used, "%s", piece);
}

int main(void)
{
	const char *p1 = "+8613800000001", *p2 = "+8613800000002";
	const char *p3 = "+8613800000003", *p4 = "+8613800000004";
	char longtext[2048];
	int i;

	setup();
	gwt_now = T0 - 13 * 3600; /* 2026-03-01 21:00: quiet hours */
	gw_start();

	/* ---- quiet hours: conversations start, nothing is sent ---- */
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM conv"), 4); /* H5 has no phone */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='pending'"), 8);
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log"), 0);
	gwt_now = T0 - 2 * 3600 - 60; /* 07:59 */
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log"), 0);

	/* ---- 08:00: sent, paced (4 a minute per modem) over both modems ---- */
	gwt_now = T0 - 2 * 3600;
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log"), 8);
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log WHERE modem='gammu'"), 4);
	CHECK_INT(q1("SELECT COUNT(*) FROM sent_log WHERE modem='gammu1'"), 4);
	CHECK(strstr(sent_to(p1), "回复TD退订\n") != NULL);
	CHECK(ends_with(last_sent(p1), "回复1知道 2不知道"));
	gwt_now = T0;

	/* ---- H1: a full questionnaire with messy replies ---- */
	reply(m0, p1, "知道！");
	CHECK(ends_with(last_sent(p1), "4不满意 5非常不满意"));
	CHECK(strstr(last_sent(p1), "治安巡逻工作") != NULL); /* q2 shown */
	reply(m1, p1, "２");                                   /* other modem */
	reply(m0, p1, "非常满意");
	/* a duplicated incoming message: the modem delivers it twice */
	inject(m0, p1, "我选3");
	stamp_no--;
	inject(m0, p1, "我选3");
	gwt_now += 60;
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE text='我选3'"), 1);
	CHECK_INT(q1("SELECT seen FROM inbox WHERE text='我选3'"), 2);
	CHECK_INT(files_in(m0), 0);
	CHECK(strstr(last_sent(p1), "禁毒") != NULL); /* q5, asked once */
	CHECK_INT(count_sent(p1), 6);
	reply(m0, p1, "A.");
	CHECK(strstr(last_sent(p1), "感觉安全吗") != NULL);

	/* a 3-part Chinese reply; the last part arrives a cycle later */
	long_reply(longtext, sizeof longtext);
	{
		unsigned short u[1024];
		int n = gwt_ucs2(longtext, u, 1024);
		const char *st = next_stamp();
		CHECK(n > 134 && n <= 201);
		gwt_write_part(m0, p1, st, u, 67, 0x42, 3, 1);
		gwt_write_part(m0, p1, st, u + 67, 67, 0x42, 3, 2);
		gwt_now += 60;
		round_trip();
		CHECK_INT(files_in(m0), 2); /* waiting for part 3 */
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE parts=3"), 0);
		gwt_write_part(m0, p1, st, u + 134, n - 134, 0x42, 3, 3);
		gwt_now += 60;
		round_trip();
		CHECK_INT(files_in(m0), 0);
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE parts=3"), 1);
	}
	{
		sqlite3 *db = gdb();
		sqlite3_stmt *q;
		REQUIRE(sqlite3_prepare_v2(db, "SELECT text FROM inbox WHERE parts=3",
		                           -1, &q, NULL) == SQLITE_OK);
		REQUIRE(sqlite3_step(q) == SQLITE_ROW);
		CHECK_STR((const char *)sqlite3_column_text(q, 0), longtext);
		sqlite3_finalize(q);
		sqlite3_close(db);
	}
	CHECK(strstr(last_sent(p1), "总体上") != NULL); /* "2，感谢…" answered q6 */
	reply(m1, p1, "满意😊");
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H1' AND status='done'"), 1);
	CHECK(strstr(last_sent(p1), "感谢您的评价") != NULL);
	/* the thanks is logged as what it is (kind thanks), not as one more
	 * question (before: kind question, so the first check fails) */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H1' AND"
	             " kind='thanks' AND state='sent' AND text LIKE '%感谢您的评价%'"),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H1' AND"
	             " kind='question' AND text LIKE '%感谢您的评价%'"),
	          0);

	/* ---- H2: invalid -> re-ask with a hint -> skipped ---- */
	reply(m0, p2, "知道");
	reply(m0, p2, "这个怎么说呢"); /* invalid (还不错吧 is 满意 now) */
	CHECK(strstr(last_sent(p2), "请回复数字1-5") != NULL);
	reply(m0, p2, "9");
	CHECK(strncmp(last_sent(p2), "本题跳过。", strlen("本题跳过。")) == 0);

	/* ---- H3: opt-out mid-survey; the send layer refuses it afterwards ---- */
	reply(m1, p3, "1");
	reply(m1, p3, "ＴＤ");
	CHECK(strstr(last_sent(p3), "您已退订") != NULL);
	CHECK_INT(q1("SELECT COUNT(*) FROM optout WHERE phone='+8613800000003'"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H3' AND status='opted_out'"), 1);
	i = count_sent(p3);
	{
		sqlite3 *db;
		REQUIRE(sqlite3_open(cfg.store, &db) == SQLITE_OK);
		sqlite3_busy_timeout(db, 5000);
		CHECK(sqlite3_exec(db, "INSERT INTO queue(phone, household, kind, text,"
		                       " created_at, quiet_start, quiet_end, pace, cap)"
		                       " VALUES('+8613800000003','H3','digest','x',0,0,0,100,100)",
		                       NULL, NULL, NULL) == SQLITE_OK);
		sqlite3_close(db);
	}
	round_trip();
	CHECK_INT(count_sent(p3), i);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone='+8613800000003' AND state='blocked'"), 1);

	/* ---- unknown sender: stored for staff, never attributed ---- */
	reply(m0, "+8613999999999", "我想咨询一下");
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='unknown' AND household IS NULL"), 1);
	CHECK_INT(count_sent("+8613999999999"), 0);

	/* ---- libgammu 1.42 guards (fuzz.smsbackup found them) ---- */
	{
		unsigned short u[256];
		int n;
		const char *st;
		/* "part 0" of 2: GSM_LinkSMS alone never returns on it; the
		 * part is stored as a message of its own */
		n = gwt_ucs2("零号分段", u, 256);
		alarm(60);
		gwt_write_part(m0, "+8613999999998", next_stamp(), u, n, 0x17, 2, 0);
		round_trip();
		alarm(0);
		CHECK_INT(files_in(m0), 0);
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613999999998'"
		             " AND text='零号分段' AND state='unknown'"), 1);
		/* two senders, the same reference and part count: linked per
		 * sender, not joined under the first one's number */
		st = next_stamp();
		n = gwt_ucs2("甲的第一段", u, 256);
		gwt_write_part(m0, "+8613999999997", st, u, n, 0x33, 2, 1);
		n = gwt_ucs2("乙的第二段", u, 256); /* B's part 2 before A's */
		gwt_write_part(m0, "+8613999999996", st, u, n, 0x33, 2, 2);
		n = gwt_ucs2("乙的第一段", u, 256);
		gwt_write_part(m0, "+8613999999996", st, u, n, 0x33, 2, 1);
		n = gwt_ucs2("甲的第二段", u, 256);
		gwt_write_part(m0, "+8613999999997", st, u, n, 0x33, 2, 2);
		round_trip();
		CHECK_INT(files_in(m0), 0);
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613999999997'"
		             " AND text='甲的第一段甲的第二段' AND parts=2"), 1);
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone='+8613999999996'"
		             " AND text='乙的第一段乙的第二段' AND parts=2"), 1);
	}

	/* ---- a delivery report for H1's last message ---- */
	inject_report(m1, p1, 255);
	round_trip();
	CHECK_INT(q1("SELECT COUNT(*) FROM reports WHERE matched=1"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%sms_delivered%'"), 1);

	/* ---- H4 never answers: reminder after 24 h, expiry 72 h later ---- */
	{
		long long asked = q1("SELECT asked_at FROM conv WHERE household='H4'");
		gwt_now = asked + DAY - 1;
		round_trip();
		CHECK_INT(count_sent(p4), 2);
		gwt_now = asked + DAY;
		round_trip();
		CHECK_INT(count_sent(p4), 3);
		CHECK(strncmp(last_sent(p4), "提醒：", strlen("提醒：")) == 0);
		gwt_now = asked + DAY + 3 * DAY;
		round_trip();
		CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE household='H4' AND status='expired'"), 1);
		CHECK_INT(count_sent(p4), 3);
	}
	gw_stop();

	/* ---- records reached the store's outbox ---- */
	{
		ax_store *st;
		struct ax_outbox_status os;
		char err[256], line[8192];
		FILE *f;
		int responses = 0, complete = 0, sent = 0, replied = 0, h4 = 0;
		REQUIRE(ax_store_open(tu_path("anxin.db"), 0, &st, err, sizeof err) == AX_OK);
		REQUIRE(ax_outbox_status(st, &os) == AX_OK);
		/* nothing pushed (no central): every record is pending */
		CHECK_INT(os.pending, q1("SELECT COUNT(*) FROM outbox"));
		REQUIRE(ax_outbox_export(st, tu_path("outbox.jsonl"), 1, NULL) == AX_OK);
		ax_store_close(st);
		f = fopen(tu_path("outbox.jsonl"), "r");
		REQUIRE(f != NULL);
		while (fgets(line, sizeof line, f)) {
			if (strstr(line, "\"type\":\"response\"")) {
				responses++;
				h4 += strstr(line, "\"household\":\"H4\"") != NULL;
				if (strstr(line, "\"household\":\"H1\"")) {
					complete++;
					CHECK(strstr(line, "\"answers\":{\"overall\":\"2\",\"q1\":\"1\","
					                   "\"q2\":\"2\",\"q3\":\"1\",\"q4\":\"3\","
					                   "\"q5\":\"1\",\"q6\":\"2\"}") != NULL);
					CHECK(strstr(line, "\"status\":\"complete\"") != NULL);
					CHECK(strstr(line, "\"region\":\"439901101201001\"") != NULL);
				}
			}
			sent += strstr(line, "sms_sent") != NULL;
			replied += strstr(line, "sms_replied") != NULL;
		}
		fclose(f);
		/* H1 complete, H3 partial; H4 never replied: no response (it
		 * used to get an "abandoned" one) */
		CHECK_INT(responses, 2);
		CHECK_INT(h4, 0);
		CHECK_INT(complete, 1);
		CHECK_INT(sent, (int)q1("SELECT COUNT(*) FROM sent_log WHERE household IS NOT NULL"));
		CHECK(replied >= 12);
	}

	/* ---- kill -9 between commit and delete ---- */
	{
		pid_t pid;
		int status;
		long long before = q1("SELECT COUNT(*) FROM inbox");
		inject(m0, p2, "2");
		pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			setenv("ANXIN_SMSD_CRASH", "after_commit", 1);
			gw_start();
			gw_modem_cycle(g, 0);
			_exit(3); /* not reached: the crash point kills us */
		}
		REQUIRE(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		CHECK_INT(files_in(m0), 1); /* committed, not deleted */
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox"), before + 1);
		gw_start();
		round_trip(); /* read again: deduplicated, deleted, answered once */
		CHECK_INT(files_in(m0), 0);
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox"), before + 1);
		CHECK_INT(q1("SELECT seen FROM inbox ORDER BY id DESC LIMIT 1"), 2);
		CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='new'"), 0);
		gw_stop();
	}

	/* ---- kill -9 between send and record: never sent again ---- */
	{
		pid_t pid;
		int status;
		long long sends, contacts, lines;
		gwt_now += 60;
		inject(m0, p2, "3"); /* answers H2's question: the next one is queued */
		gw_start();
		gw_step(g);
		gw_modem_cycle(g, 0); /* reads the reply; pace lets it send too */
		gw_step(g);
		gw_stop();
		sends = q1("SELECT COUNT(*) FROM sent_log");
		contacts = q1("SELECT COUNT(*) FROM outbox WHERE body LIKE"
		              " '%\"kind\":\"sms_sent\"%'");
		CHECK(q1("SELECT COUNT(*) FROM queue WHERE state='pending'") >= 1);
		pid = fork();
		REQUIRE(pid >= 0);
		if (pid == 0) {
			setenv("ANXIN_SMSD_CRASH", "after_send", 1);
			gwt_now += 120;
			gw_start();
			gw_modem_cycle(g, 1);
			_exit(3);
		}
		REQUIRE(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
		CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='sending'"), 1);
		gwt_now += 120;
		lines = count_lines(tu_path("sent.jsonl"), "\"state\":\"unknown\"");
		gw_start(); /* the interrupted send becomes 'unknown' */
		CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='sending'"), 0);
		CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='unknown'"), 1);
		/* with what a send gets: its sms_sent contact and its sent-log
		 * line, marked unknown (before: neither) */
		CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE"
		             " '%\"kind\":\"sms_sent\"%'"),
		          contacts + 1);
		CHECK_INT(count_lines(tu_path("sent.jsonl"), "\"state\":\"unknown\""),
		          lines + 1);
		round_trip();
		CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE state='unknown'"), 1);
		CHECK_INT(q1("SELECT COUNT(*) FROM sent_log"), sends + 1);
		/* the status page for staff */
		CHECK(gw_status_print(g, stdout) == AX_OK);
		gw_stop();
	}
	return check_done();
}
