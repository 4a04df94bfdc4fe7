/*
 * test_batch -- one inbox batch in which one message fails (no modem: the
 * replies are committed to the inbox as the modem thread commits
 * them, then one gw_step processes them).
 *
 * process_inbox runs a batch without savepoints and, on the first failure,
 * rolls it back and runs it again with a savepoint per message.  Checked:
 * the failing message is marked 'error' and leaves nothing behind (no
 * answer, no contact, no message queued); every other message of the batch
 * is stored and counted once, its conversation moved on once, its next
 * question queued once; a batch without failures commits whole.
 *
 * The failure is real SQL: a trigger on the store's outbox refuses the
 * contact of household H3.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL

static long long now_v = T0;
static long long clock_fn(void *ctx)
{
	(void)ctx;
	return now_v;
}

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101201,439901101201001,13800000002,2\n"
    "H3,439901101000,439901101201,439901101201001,13800000003,4\n"
    "H4,439901101000,439901101201,439901101201001,13800000004,1\n"
    "H5,439901101000,439901101201,439901101201002,13800000005,2\n";

static sqlite3 *db;

static long long q1(const char *sql)
{
	sqlite3_stmt *q;
	long long v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	} else {
		fprintf(stderr, "sql: %s: %s\n", sql, sqlite3_errmsg(db));
	}
	return v;
}

static void exec_ok(const char *sql)
{
	char *e = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
		fprintf(stderr, "sql: %s: %s\n", sql, e ? e : "?");
		REQUIRE(0);
	}
}

/* one reply "text" from each of households 1..5, committed in one go,
 * after what was queued went out (a reply before its question is not an
 * answer to it) */
static void inject_all(int wave, const char *text)
{
	char sql[300];
	int i;
	snprintf(sql, sizeof sql,
	         "UPDATE queue SET state='sent', sent_at=%lld WHERE state='pending'",
	         now_v - 30);
	exec_ok(sql);
	exec_ok("BEGIN");
	for (i = 1; i <= 5; i++) {
		snprintf(sql, sizeof sql,
		         "INSERT INTO inbox(dedup, modem, phone, smsc_time, received_at,"
		         " parts, text) VALUES('w%d-%d', 'gammu', '+861380000000%d',"
		         " %lld, %lld, 1, '%s')",
		         wave, i, i, now_v, now_v, text);
		exec_ok(sql);
	}
	exec_ok("COMMIT");
}

int main(void)
{
	char err[256];
	struct ax_campaign camp;
	struct gw_config cfg;
	gw_gateway *g;
	ax_store *st;
	int i;

	tu_init();
	st = gwt_store(roster_csv, sizeof roster_csv - 1);
	ax_campaign_defaults(&camp);
	snprintf(camp.name, sizeof camp.name, "满意度测评");
	snprintf(camp.survey, sizeof camp.survey, "satisfaction");
	snprintf(camp.scope, sizeof camp.scope, "439901101201");
	camp.starts_at = T0 - DAY;
	camp.ends_at = T0 + 30 * DAY;
	REQUIRE(ax_campaign_create(st, &camp) == AX_OK);
	ax_store_close(st);

	gw_config_defaults(&cfg);
	snprintf(cfg.store, sizeof cfg.store, "%s", tu_path("anxin.db"));
	snprintf(cfg.device, sizeof cfg.device, "gw-test");
	snprintf(cfg.modems[0].name, sizeof cfg.modems[0].name, "gammu");
	snprintf(cfg.modems[0].device, sizeof cfg.modems[0].device, "%s",
	         tu_path("m0"));
	snprintf(cfg.modems[0].connection, sizeof cfg.modems[0].connection, "none");
	snprintf(cfg.modems[0].model, sizeof cfg.modems[0].model, "dummy");
	cfg.nmodems = 1;
	mkdir(tu_path("m0"), 0755);
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, clock_fn, NULL);
	REQUIRE(sqlite3_open(cfg.store, &db) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);

	for (i = 0; i < 5 && q1("SELECT COUNT(*) FROM conv") < 5; i++)
		CHECK_INT(gw_step(g), AX_OK);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE status='asking' AND qidx=0"), 5);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue"), 10); /* intro + question */

	/* ---- H3's contact is refused: the others go through once ---- */
	exec_ok("CREATE TRIGGER boom BEFORE INSERT ON outbox"
	        " WHEN NEW.body LIKE '%\"household\":\"H3\"%'"
	        " BEGIN SELECT RAISE(ABORT, 'boom'); END");
	now_v += 60;
	inject_all(1, "1");
	CHECK_INT(gw_step(g), AX_OK);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='new'"), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='error'"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='error'"
	             " AND phone='+8613800000003'"),
	          1);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='done'"), 4);
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H3'"), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE qidx=1"), 4);
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%sms_replied%'"), 4);
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%\"H3\"%'"), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue"), 14); /* one question each */
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE household='H3'"), 2);
	for (i = 1; i <= 5; i++) {
		char sql[200];
		snprintf(sql, sizeof sql,
		         "SELECT COUNT(*) FROM queue WHERE household='H%d'", i);
		CHECK_INT(q1(sql), i == 3 ? 2 : 3);
	}

	/* ---- no failure: the whole batch in one go, H3 answers now ---- */
	exec_ok("DROP TRIGGER boom");
	now_v += 60;
	inject_all(2, "2");
	CHECK_INT(gw_step(g), AX_OK);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='new'"), 0);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='error'"), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE state='done'"), 9);
	/* H3's "2" (does not know the patrol) skips q2, show_if q1 = 1 */
	CHECK_INT(q1("SELECT qidx FROM conv WHERE household='H3'"), 2);
	CHECK_INT(q1("SELECT COUNT(*) FROM conv WHERE qidx=2"), 5);
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%sms_replied%'"), 9);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue"), 19);
	/* every contact reached the store's outbox once */
	CHECK_INT(q1("SELECT COUNT(*) FROM outbox WHERE body LIKE '%sms_replied%'"),
	          q1("SELECT COUNT(DISTINCT id) FROM outbox WHERE body LIKE '%sms_replied%'"));

	sqlite3_close(db);
	gw_close(g);
	tu_cleanup();
	return check_done();
}
