/*
 * test_sampled -- a sampled 测评 campaign through the gateway on
 * libgammu's dummy driver, one modem, a fixed clock: the campaign draws 4
 * of the 10 households of village 201 (strata village, seed 5: H07 H08
 * H09 H10 by the keys of sample.h, computed with an independent script),
 * and the gateway sends its intro to those 4 only, then, nobody having
 * replied after remind_after (30 minutes here), one reminder to each of
 * the 4 and to no one else.  The 6 others are never written to: before
 * keep_sampled (gw_campaign.c) the gateway started all 10.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/sample.h"
#include "anxin/store.h"
#include "gateway.h"
#include "testutil.h"

#define T0 1772416800LL /* 2026-03-02 10:00 China time */

static long long now_v;
static long long clock_fn(void *ctx)
{
	(void)ctx;
	return now_v;
}

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H01,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H02,439901101000,439901101201,439901101201001,13800000002,2\n"
    "H03,439901101000,439901101201,439901101201001,13800000003,4\n"
    "H04,439901101000,439901101201,439901101201001,13800000004,1\n"
    "H05,439901101000,439901101201,439901101201001,13800000005,2\n"
    "H06,439901101000,439901101201,439901101201002,13800000006,2\n"
    "H07,439901101000,439901101201,439901101201002,13800000007,2\n"
    "H08,439901101000,439901101201,439901101201002,13800000008,2\n"
    "H09,439901101000,439901101201,439901101201002,13800000009,2\n"
    "H10,439901101000,439901101201,439901101201002,13800000010,2\n";

/* The store with content, roster and the sampled campaign "ceping". */
static void make_store(const char *path)
{
	struct ax_campaign c;
	ax_content *content;
	ax_store *st;
	char err[256], dir[600];
	int nerr = 0;
	const char *src = getenv("ANXIN_SOURCE");

	REQUIRE(ax_store_open(path, AX_STORE_CREATE, &st, err, sizeof err) == AX_OK);
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src ? src : ".");
	REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &content) == AX_OK);
	REQUIRE(ax_content_install(st, content, NULL) == AX_OK);
	ax_content_free(content);
	REQUIRE(ax_roster_import_mem(st, "roster.csv", roster_csv,
	                             sizeof roster_csv - 1, NULL, NULL, NULL,
	                             NULL) == AX_OK);
	ax_campaign_defaults(&c);
	snprintf(c.id, sizeof c.id, "ceping");
	snprintf(c.name, sizeof c.name, "测评");
	snprintf(c.survey, sizeof c.survey, "safety-ceping");
	snprintf(c.scope, sizeof c.scope, "439901101201");
	c.starts_at = T0 - 3600;
	c.ends_at = T0 + 30 * 86400LL;
	c.pace_per_min = 60;
	c.sample_n = 4;
	c.strata = AX_STRATA_VILLAGE;
	c.seed = 5;
	REQUIRE(ax_campaign_create(st, &c) == AX_OK);
	ax_store_close(st);
}

int main(void)
{
	struct gw_config cfg;
	gw_gateway *g;
	sqlite3 *db;
	char err[512], m0[300];
	const char *store;
	FILE *f;

	tu_init();
	store = tu_path("anxin.db");
	snprintf(m0, sizeof m0, "%s", tu_path("m0"));
	mkdir(m0, 0755);
	make_store(store);
	REQUIRE((f = fopen(tu_path("smsd.conf"), "w")) != NULL);
	fprintf(f, "[gammu]\nconnection = none\nmodel = dummy\ndevice = %s\n\n"
	           "[smsd]\nstore = %s\ndevice_id = gw-test\npoll_ms = 100\n"
	           "remind_after = 1800\n",
	        m0, store);
	fclose(f);
	gw_config_defaults(&cfg);
	REQUIRE(gw_config_load(tu_path("smsd.conf"), &cfg, err, sizeof err) == AX_OK);
	REQUIRE(gw_open(&cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, clock_fn, NULL);

	/* 45 minutes, a step and a modem cycle each: the intros, then the
	 * reminders 30 minutes after them */
	for (now_v = T0; now_v < T0 + 45 * 60; now_v += 60) {
		if (gw_step(g) != AX_OK)
			fprintf(stderr, "step: %s\n", gw_errmsg(g));
		gw_modem_cycle(g, 0);
	}
	gw_step(g);
	gw_close(g);

	db = tu_db_open(store);
	CHECK_STR(tu_q(db, "SELECT group_concat(household, ' ') FROM (SELECT "
	                   "household FROM campaign_sample WHERE campaign = "
	                   "'ceping' ORDER BY household)"),
	          "H07 H08 H09 H10");
	CHECK_STR(tu_q(db, "SELECT group_concat(household, ' ') FROM (SELECT "
	                   "household FROM conv WHERE campaign = 'ceping' ORDER "
	                   "BY household)"),
	          "H07 H08 H09 H10");
	CHECK_STR(tu_q(db, "SELECT group_concat(household, ' ') FROM (SELECT "
	                   "DISTINCT household FROM sent_log WHERE campaign = "
	                   "'ceping' AND kind = 'intro' ORDER BY household)"),
	          "H07 H08 H09 H10");
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM sent_log WHERE campaign = "
	                    "'ceping' AND kind = 'reminder'"),
	          4);
	/* not one message of any kind to a household not drawn */
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM queue WHERE household NOT IN "
	                    "('H07', 'H08', 'H09', 'H10')"),
	          0);
	sqlite3_close(db);
	return check_done();
}
