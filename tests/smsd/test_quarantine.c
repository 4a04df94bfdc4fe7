/*
 * test_quarantine -- libgammu in a process of its own (modem_proc.h), on
 * libgammu's real dummy driver: a crash or a hang in libgammu costs the
 * modem's process, never the gateway, and the one message it was on is
 * quarantined, not lost and not retried for ever.
 *
 *   sends: the modem's process abort()s on every send to Q2's number
 *   (ANXIN_SMSD_MODEM_FAULT=abort:...), then hangs on Q3's
 *   (hang:..., hang_timeout = 2 s): each such message is quarantined
 *   once, everything else is sent once, the process is restarted with
 *   backoff;
 *   reads: two stored messages that crash libgammu 1.42's smsbackup
 *   reader (tests/fuzz/corpus/smsbackup/crash-short-number and
 *   crash-short-smsc, SIGSEGV inside GSM_GetNextSMS) between four good
 *   replies: each poisoned location is quarantined once with its bytes,
 *   deleted from the modem unread, and every good reply stored once;
 *   --status lists them; a released send goes out once.
 *
 * With libgammu in the gateway's own process (before modem_proc.c) the
 * first poisoned read kills this test with SIGSEGV, and the abort hook
 * does not exist: nothing is quarantined.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

#define T0 1772416800LL /* 2026-03-02 10:00 China time */

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "Q1,439901101000,439901101201,439901101201003,13900000011,3\n"
    "Q2,439901101000,439901101201,439901101201003,13900000012,2\n"
    "Q3,439901101000,439901101201,439901101201003,13900000013,4\n"
    "Q4,439901101000,439901101201,439901101201003,13900000014,1\n"
    "Q5,439901101000,439901101201,439901101201003,13900000015,2\n";

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300];

static long long q1(const char *sql) { return gwt_q1(cfg.store, sql, NULL); }

/* sql's one value is v (sql named when it is not). */
static void want(const char *sql, long long v)
{
	long long got = q1(sql);
	if (got != v)
		fprintf(stderr, "%s: %lld, expected %lld\n", sql, got, v);
	CHECK(got == v);
}

/* The modem's cycle n times, the clock a minute on each time (past any
 * restart backoff), a gateway step after each. */
static void cycles(int n)
{
	for (int i = 0; i < n; i++) {
		gwt_now += 60;
		gw_modem_cycle(g, 0);
		gw_step(g);
	}
}

static int files_in(void)
{
	char path[400];
	int n = 0;
	for (int i = 1; i < 100; i++) {
		snprintf(path, sizeof path, "%s/sms/1/%d", m0, i);
		n += access(path, F_OK) == 0;
	}
	return n;
}

/* A reproducer from the fuzz corpus (its first byte picks the fuzzer's
 * mode; the rest is the file) at the inbox's next location: its size. */
static long poison(const char *name)
{
	char path[600], to[400];
	FILE *in, *out;
	long n = 0;
	int c;
	snprintf(path, sizeof path, "%s/tests/fuzz/corpus/smsbackup/%s",
	         getenv("ANXIN_SOURCE"), name);
	snprintf(to, sizeof to, "%s/sms/1/%d", m0, gwt_next_location(m0));
	in = fopen(path, "rb");
	out = fopen(to, "wb");
	REQUIRE(in && out);
	fgetc(in);
	while ((c = fgetc(in)) != EOF) {
		fputc(c, out);
		n++;
	}
	fclose(in);
	fclose(out);
	return n;
}

static void setup(void)
{
	char err[256], camp[64];
	FILE *f;

	tu_init();
	snprintf(m0, sizeof m0, "%s", tu_path("m0"));
	mkdir(m0, 0755);
	ax_store_close(gwt_store(roster_csv, sizeof roster_csv - 1));
	gwt_survey_campaign("满意度测评", "439901101201", T0 - 86400,
	                    T0 + 30 * 86400, 60, camp);
	f = fopen(tu_path("smsd.conf"), "w");
	REQUIRE(f != NULL);
	fprintf(f, "[gammu]\nconnection = none\nmodel = dummy\ndevice = %s\n"
	           "send_timeout = 1\nhang_timeout = 2\n\n"
	           "[smsd]\nstore = %s\ndevice_id = gw-test\npoll_ms = 100\n"
	           "pace_burst = 60\n",
	        m0, tu_path("anxin.db"));
	fclose(f);
	gw_config_defaults(&cfg);
	REQUIRE(gw_config_load(tu_path("smsd.conf"), &cfg, err, sizeof err) == AX_OK);
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
	gwt_now = T0;
}

int main(void)
{
	long n1, n2;
	long long rel;
	char *status = NULL, err[256];
	size_t slen = 0;
	FILE *mem;

	setup();
	gw_step(g); /* 5 conversations: an intro and a question each queued */
	want("SELECT COUNT(*) FROM queue WHERE state='pending'", 10);

	/* ---- sends: abort on Q2's, hang on Q3's ---- */
	setenv("ANXIN_SMSD_MODEM_FAULT", "abort:13900000012,hang:13900000013", 1);
	cycles(8);
	unsetenv("ANXIN_SMSD_MODEM_FAULT");
	want("SELECT COUNT(*) FROM queue WHERE state='quarantined' AND"
	             " phone LIKE '%13900000012'", 2);
	want("SELECT COUNT(*) FROM queue WHERE state='quarantined' AND"
	             " phone LIKE '%13900000013'", 2);
	want("SELECT COUNT(*) FROM quarantine q JOIN queue u ON"
	             " u.id=q.queue_id WHERE q.kind='send' AND u.phone LIKE"
	             " '%13900000012' AND q.reason LIKE '%killed by signal 6%'", 2);
	want("SELECT COUNT(*) FROM quarantine q JOIN queue u ON"
	             " u.id=q.queue_id WHERE q.kind='send' AND u.phone LIKE"
	             " '%13900000013' AND q.reason LIKE '%no progress for 2 s%'", 2);
	/* everyone else's intro and question sent once, nothing pending */
	want("SELECT COUNT(*) FROM sent_log", 6);
	want("SELECT COUNT(DISTINCT phone) FROM sent_log", 3);
	want("SELECT COUNT(*) FROM queue WHERE state='pending'", 0);
	want("SELECT COUNT(*) FROM quarantine", 4);
	want("SELECT connected FROM modems", 1); /* a new process */

	/* ---- reads: two poisoned messages between four good replies ---- */
	gwt_inject(m0, "+8613900000011", "1");
	n1 = poison("crash-short-number"); /* location 2 */
	gwt_inject(m0, "+8613900000014", "1");
	gwt_inject(m0, "+8613900000015", "2");
	n2 = poison("crash-short-smsc"); /* location 5 */
	gwt_inject(m0, "+8613900000099", "你好");
	CHECK_INT(files_in(), 6);
	cycles(8);
	CHECK_INT(files_in(), 0);
	want("SELECT COUNT(*) FROM inbox", 4);
	want("SELECT COUNT(DISTINCT phone) FROM inbox", 4);
	want("SELECT COUNT(*) FROM inbox WHERE state='new'", 0);
	want("SELECT COUNT(*) FROM quarantine WHERE kind='read'", 2);
	want("SELECT COUNT(*) FROM quarantine WHERE kind='read' AND"
	             " deleted_at IS NOT NULL AND reason LIKE '%killed by signal%'", 2);
	/* the flat locations of sms/1/2 and sms/1/5, with their bytes */
	CHECK_INT(q1("SELECT length(raw) FROM quarantine WHERE location=10002"), n1);
	CHECK_INT(q1("SELECT length(raw) FROM quarantine WHERE location=10005"), n2);
	/* the answers went on: Q1, Q4 and Q5 got their next question */
	want("SELECT COUNT(*) FROM sent_log", 9);
	cycles(3); /* nothing more quarantined, nothing read twice */
	want("SELECT COUNT(*) FROM quarantine", 6);
	want("SELECT COUNT(*) FROM inbox", 4);

	/* ---- staff: --status lists the six, a released send goes out ---- */
	mem = open_memstream(&status, &slen);
	REQUIRE(mem != NULL);
	CHECK(gw_status_print(g, mem) == AX_OK);
	fclose(mem);
	CHECK(strstr(status, "quarantined (anxin-smsd --release ID --by NAME)") != NULL);
	CHECK(strstr(status, "#1 ") != NULL && strstr(status, "#6 ") != NULL);
	CHECK(strstr(status, "stored message at location 10005 (deleted from the"
	                     " modem, 37 bytes kept)") != NULL);
	CHECK(strstr(status, "send (intro) to ...0012") != NULL);
	free(status);
	/* released with the service stopped (one process per store), as
	 * staff run anxin-smsd --release */
	gw_close(g);
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
	rel = q1("SELECT x.id FROM quarantine x JOIN queue u ON u.id=x.queue_id"
	         " WHERE u.phone LIKE '%13900000012' AND u.kind='intro'");
	CHECK(gw_release_quarantined(g, rel, "测试员") == AX_OK);
	CHECK(gw_release_quarantined(g, rel, "测试员") == AX_NOTFOUND);
	cycles(2);
	want("SELECT COUNT(*) FROM sent_log WHERE phone LIKE '%13900000012'", 1);
	want("SELECT COUNT(*) FROM quarantine WHERE released_by='测试员'", 1);
	want("SELECT COUNT(*) FROM quarantine", 6);

	/* ---- a message that crashes only as GSM_GetNextSMS reads it (the
	 * probe's GSM_GetSMS reads it fine): quarantined after three
	 * crashes in a row (ANXIN_SMSD_MODEM_FAULT=abort-read:NUMBER, read by
	 * the modem's processes the gateway starts from now on) ---- */
	gw_close(g);
	setenv("ANXIN_SMSD_MODEM_FAULT", "abort-read:13900000088", 1);
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
	gwt_inject(m0, "+8613900000077", "早上好"); /* location 1 */
	gwt_inject(m0, "+8613900000088", "晚上好"); /* location 2 */
	gwt_inject(m0, "+8613900000066", "中午好"); /* location 3 */
	cycles(6);
	unsetenv("ANXIN_SMSD_MODEM_FAULT");
	CHECK_INT(files_in(), 0);
	want("SELECT COUNT(*) FROM quarantine WHERE kind='read' AND location=10002"
	     " AND deleted_at IS NOT NULL AND reason LIKE '%3 times in a row, after"
	     " location 10001%'", 1);
	want("SELECT COUNT(*) FROM quarantine", 7);
	want("SELECT COUNT(*) FROM inbox WHERE phone LIKE '%139000000_7' OR"
	     " phone LIKE '%139000000_6'", 2);
	want("SELECT COUNT(*) FROM inbox WHERE phone LIKE '%13900000088'", 0);
	gw_close(g);
	return check_done();
}
