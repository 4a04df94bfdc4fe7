/*
 * test_roster.c -- importing the household roster CSV: broken rows and
 * their located messages, CRLF and BOM, quoted cells spanning lines,
 * GBK, idempotent re-import, deactivating households that left, header
 * spellings and --map.  Stored values are read back with SQLite directly.
 */
#include <iconv.h>

#include "anxin/ledger.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "anxin/text.h"
#include "testutil.h"

/* A roster as Excel writes it (BOM, CRLF) with deliberately broken rows.
 * Line numbers are on the right; line 10's quoted grid name holds a comma
 * and a newline, so the row ends on line 11. */
static const char roster_v1[] =
	"\xEF\xBB\xBF"
	"户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码,联系电话,人口\r\n" /* 1 */
	"H001,城关街道,439901001000,府前社区,439901001001,第一网格,439901001001001,13800138000,4\r\n" /* 2 */
	"H002,城关街道,439901001000,府前社区,439901001001,第一网格,439901001001001,+86 139 0013 9000;13700137000,3\r\n" /* 3 */
	",城关街道,439901001000,府前社区,439901001001,第一网格,439901001001001,13800138001,2\r\n" /* 4: no id */
	"H004,城关街道,439901001000,府前社区,,第一网格,,13800138002,2\r\n" /* 5: no region */
	"H005,城关街道,439901001000,柳村,439901002001,第一网格,,13800138003,2\r\n" /* 6: village not in township */
	"H001,城关街道,439901001000,府前社区,439901001001,第一网格,439901001001001,13800138000,4\r\n" /* 7: duplicate */
	"H007,城关街道,439901001000,府前社区,439901001001,第二网格,439901001001002,1380000,2\r\n" /* 8: bad phone */
	"H008,城关街道,439901001000,府前社区,439901001001,第二网格,439901001001002,15012345678,abc\r\n" /* 9: bad members */
	"H009,城关街道,439901001000,府前社区,439901001001,\"第三网格, 东区\n新楼\",439901001001003,150 0000 1111,0\r\n" /* 10-11 */
	"H010,河西镇,439901002000,柳村,439901002001,柳村一格,439901002001001,23800138000,5\r\n" /* 12: bad phone */
	"H011,河西镇,439901002000,柳村,439901002001,,,,1\r\n" /* 13: village only */
	",,,,,,,,\r\n" /* 14: empty, not a row */
	"H012,城关街道,439901001000,府前社区,439901001001,第一网格,439901002001001,13800138004,2\r\n"; /* 15 */

/* The same villages a month later: H008 moved away, H001 has a new member,
 * H002's phones are listed the other way round, H007's row has a typo in
 * its village code, 柳村 is not in the file. */
static const char roster_v2[] =
	"户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码,联系电话,人口\r\n"
	"H001,城关街道,439901001000,府前社区,439901001001,第一网格,439901001001001,13800138000,5\r\n"
	"H002,城关街道,439901001000,府前社区,439901001001,第一网格,439901001001001,13700137000，+86 139 0013 9000,3\r\n"
	"H007,城关街道,439901001000,府前社区,43990100100,第二网格,,1380000,2\r\n"
	"H009,城关街道,439901001000,府前社区,439901001001,\"第三网格, 东区\n新楼\",439901001001003,150 0000 1111,0\r\n";

/* What every import of roster_v1 must report, in order. */
static const struct {
	int sev;
	const char *msg;
} v1_diags[] = {
	{AX_SEV_ERROR, "roster.csv:4: no household id (户号); row rejected"},
	{AX_SEV_ERROR, "roster.csv:5: no region (村（社区）代码 or 网格代码); row rejected"},
	{AX_SEV_ERROR, "roster.csv:6: village 439901002001 is not in township 439901001000; row rejected"},
	{AX_SEV_ERROR, "roster.csv:7: household id H001 already appears on line 2; row rejected"},
	{AX_SEV_WARNING, "roster.csv:8: phone \"1380000\" is not an 11-digit mobile number; household kept without it"},
	{AX_SEV_WARNING, "roster.csv:9: member count \"abc\" is not a number from 1 to 99; household kept without it"},
	{AX_SEV_WARNING, "roster.csv:10: member count \"0\" is not a number from 1 to 99; household kept without it"},
	{AX_SEV_WARNING, "roster.csv:12: phone \"23800138000\" is not a mobile number (must start 13-19); household kept without it"},
	{AX_SEV_ERROR, "roster.csv:15: grid code 439901002001001 is not inside village 439901001001; row rejected"},
};
#define N_V1_DIAGS ((int)(sizeof v1_diags / sizeof v1_diags[0]))

/* Everything the roster stored, as one string, to compare two stores. */
static char *dump(const char *path)
{
	sqlite3 *db = tu_db_open(path);
	char *s = malloc(8192);
	REQUIRE(s != NULL);
	snprintf(s, 8192, "%s\n%s\n%s",
	         tu_q(db, "SELECT group_concat(x, '|') FROM (SELECT id || ',' || "
	                  "grid || ',' || ifnull(members, '-') || ',' || active AS x "
	                  "FROM households ORDER BY id)"),
	         tu_q(db, "SELECT group_concat(x, '|') FROM (SELECT household || "
	                  "',' || phone AS x FROM household_phones ORDER BY 1)"),
	         tu_q(db, "SELECT group_concat(x, '|') FROM (SELECT code || ',' || "
	                  "name || ',' || level || ',' || ifnull(parent, '-') AS x "
	                  "FROM regions ORDER BY code)"));
	sqlite3_close(db);
	return s;
}

static ax_store *new_store(const char *name)
{
	ax_store *st = NULL;
	char err[256] = "";
	if (ax_store_open(tu_path(name), AX_STORE_CREATE, &st, err, sizeof err))
		fprintf(stderr, "store: %s\n", err);
	REQUIRE(st != NULL);
	return st;
}

static char *to_gbk(const char *utf8, size_t len, size_t *outlen)
{
	iconv_t cd = iconv_open("GBK", "UTF-8");
	size_t cap = len * 2 + 16, il = len, ol = cap;
	char *out = malloc(cap), *ip = (char *)utf8, *op = out;

	REQUIRE(cd != (iconv_t)-1 && out != NULL);
	REQUIRE(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	*outlen = cap - ol;
	return out;
}

static void check_v1_stats(const struct ax_roster_stats *s)
{
	CHECK_INT(s->rows, 12);
	CHECK_INT(s->inserted, 7);
	CHECK_INT(s->updated, 0);
	CHECK_INT(s->unchanged, 0);
	CHECK_INT(s->rejected, 5);
	CHECK_INT(s->warnings, 4);
	CHECK_INT(s->deactivated, 0);
	CHECK_INT(s->phones, 5);
}

/* ---- the broken file, in UTF-8 ---------------------------------------- */
static void test_utf8(const char *csv)
{
	struct ax_roster_opts opts = {.display_name = "roster.csv",
	                              .county_name = "江州县"};
	struct ax_roster_stats s;
	struct tu_diag d = {0};
	ax_store *st = new_store("utf8.db");
	char hh[64];
	sqlite3 *db;

	CHECK_INT(ax_roster_import_csv(st, csv, &opts, tu_diag_fn, &d, &s), AX_OK);
	check_v1_stats(&s);
	CHECK_STR(s.encoding, "UTF-8 (BOM)");
	CHECK_INT(d.n, N_V1_DIAGS);
	for (int i = 0; i < N_V1_DIAGS && i < d.n; i++) {
		CHECK_STR(d.msg[i], v1_diags[i].msg);
		CHECK_INT(d.sev[i], v1_diags[i].sev);
	}
	if (d.n != N_V1_DIAGS)
		tu_diag_dump(&d);
	tu_diag_clear(&d);

	/* lookups through the library */
	CHECK_INT(ax_roster_find_phone(st, "+8613800138000", hh), AX_OK);
	CHECK_STR(hh, "H001");
	CHECK_INT(ax_roster_find_phone(st, "+8613700137000", hh), AX_OK);
	CHECK_STR(hh, "H002");
	CHECK_INT(ax_roster_find_phone(st, "+8613800138001", hh), AX_NOTFOUND);

	/* what was stored, read directly */
	db = tu_db_open(tu_path("utf8.db"));
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM households"), 7);
	CHECK_STR(tu_q(db, "SELECT group_concat(id, ',') FROM (SELECT id FROM "
	                   "households ORDER BY id)"),
	          "H001,H002,H007,H008,H009,H010,H011");
	CHECK_STR(tu_q(db, "SELECT grid FROM households WHERE id='H001'"),
	          "439901001001001");
	CHECK_STR(tu_q(db, "SELECT members FROM households WHERE id='H001'"), "4");
	CHECK_STR(tu_q(db, "SELECT members FROM households WHERE id='H002'"), "3");
	CHECK_STR(tu_q(db, "SELECT members FROM households WHERE id='H008'"), "NULL");
	CHECK_STR(tu_q(db, "SELECT members FROM households WHERE id='H009'"), "NULL");
	CHECK_STR(tu_q(db, "SELECT members FROM households WHERE id='H010'"), "5");
	CHECK_STR(tu_q(db, "SELECT grid FROM households WHERE id='H009'"),
	          "439901001001003");
	CHECK_STR(tu_q(db, "SELECT grid FROM households WHERE id='H011'"),
	          "439901002001");
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM households WHERE active=1"), 7);
	/* phones: normalised, split, bad ones dropped */
	CHECK_STR(tu_q(db, "SELECT group_concat(phone, ',') FROM (SELECT phone "
	                   "FROM household_phones WHERE household='H002' ORDER BY "
	                   "phone)"),
	          "+8613700137000,+8613900139000");
	CHECK_STR(tu_q(db, "SELECT phone FROM household_phones WHERE household='H001'"),
	          "+8613800138000");
	CHECK_STR(tu_q(db, "SELECT phone FROM household_phones WHERE household='H009'"),
	          "+8615000001111");
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM household_phones WHERE "
	                    "household IN ('H007','H010','H011')"),
	          0);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM household_phones"), 5);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM household_phones WHERE phone "
	                    "NOT LIKE '+86%%'"),
	          0);
	/* the region tree: rejected rows created nothing */
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM regions"), 9);
	CHECK_STR(tu_q(db, "SELECT name || '/' || level FROM regions WHERE "
	                   "code='439901000000'"),
	          "江州县/1");
	CHECK_STR(tu_q(db, "SELECT name || '/' || parent FROM regions WHERE "
	                   "code='439901002000'"),
	          "河西镇/439901000000");
	CHECK_STR(tu_q(db, "SELECT name || '/' || parent FROM regions WHERE "
	                   "code='439901002001'"),
	          "柳村/439901002000");
	CHECK_STR(tu_q(db, "SELECT name FROM regions WHERE code='439901001001003'"),
	          "第三网格, 东区\n新楼");
	CHECK_STR(tu_q(db, "SELECT level || '/' || parent FROM regions WHERE "
	                   "code='439901001001003'"),
	          "4/439901001001");
	sqlite3_close(db);

	/* re-import: nothing changes */
	{
		char *before = dump(tu_path("utf8.db")), *after;
		CHECK_INT(ax_roster_import_csv(st, csv, &opts, tu_diag_fn, &d, &s),
		          AX_OK);
		CHECK_INT(s.rows, 12);
		CHECK_INT(s.inserted, 0);
		CHECK_INT(s.updated, 0);
		CHECK_INT(s.unchanged, 7);
		CHECK_INT(s.rejected, 5);
		CHECK_INT(s.warnings, 4);
		CHECK_INT(d.n, N_V1_DIAGS);
		tu_diag_clear(&d);
		after = dump(tu_path("utf8.db"));
		CHECK_STR(after, before);
		free(before);
		free(after);
	}

	/* a month later: H008 left; 柳村 is not in this file and keeps its
	 * households */
	{
		const char *v2 = tu_path("roster-v2.csv");
		struct ax_roster_opts o2 = opts;
		o2.deactivate_missing = 1;
		tu_write(v2, roster_v2, sizeof roster_v2 - 1);
		CHECK_INT(ax_roster_import_csv(st, v2, &o2, tu_diag_fn, &d, &s), AX_OK);
		CHECK_STR(s.encoding, "UTF-8");
		CHECK_INT(s.rows, 4);
		CHECK_INT(s.inserted, 0);
		/* H001; H002 lists its numbers the other way round, and the
		 * first listed is the one an SMS survey asks first */
		CHECK_INT(s.updated, 2);
		CHECK_INT(s.unchanged, 1); /* H009 */
		CHECK_INT(s.rejected, 1);  /* H007 */
		CHECK_INT(s.warnings, 1);  /* H009's member count */
		CHECK_INT(s.deactivated, 1);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "roster.csv:4: ", "43990100100");
		tu_diag_clear(&d);
		db = tu_db_open(tu_path("utf8.db"));
		/* only H008 left; H007's row was rejected, its household is
		 * untouched: a typo must not shrink the coverage denominator */
		CHECK_STR(tu_q(db, "SELECT group_concat(id, ',') FROM (SELECT id FROM "
		                   "households WHERE active=0 ORDER BY id)"),
		          "H008");
		CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM households WHERE active=1"), 6);
		CHECK_STR(tu_q(db, "SELECT members FROM households WHERE id='H001'"), "5");
		CHECK_STR(tu_q(db, "SELECT grid || '/' || members FROM households "
		                   "WHERE id='H007'"),
		          "439901001001002/2");
		CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM household_phones WHERE "
		                    "household='H002'"),
		          2);
		sqlite3_close(db);
		CHECK_INT(ax_roster_find_phone(st, "+8615012345678", hh), AX_NOTFOUND);

		/* importing v1 again brings H008 back, H001 to 4 members and
		 * H002's numbers to their first order */
		CHECK_INT(ax_roster_import_csv(st, csv, &opts, tu_diag_fn, &d, &s),
		          AX_OK);
		CHECK_INT(s.updated, 3);
		CHECK_INT(s.unchanged, 4);
		tu_diag_clear(&d);
		db = tu_db_open(tu_path("utf8.db"));
		CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM households WHERE active=1"), 7);
		CHECK_STR(tu_q(db, "SELECT members FROM households WHERE id='H001'"), "4");
		sqlite3_close(db);
		CHECK_INT(ax_roster_find_phone(st, "+8615012345678", hh), AX_OK);
		CHECK_STR(hh, "H008");
	}
	ax_store_close(st);
}

/* ---- the same file in GBK --------------------------------------------- */
static void test_gbk(void)
{
	const char *csv = tu_path("roster-gbk.csv");
	struct ax_roster_opts opts = {.county_name = "江州县"};
	struct ax_roster_stats s;
	struct tu_diag d = {0};
	size_t glen;
	/* Excel's GBK files have no BOM */
	char *gbk = to_gbk(roster_v1 + 3, sizeof roster_v1 - 4, &glen);
	ax_store *st = new_store("gbk.db");
	char *a, *b;

	CHECK(!ax_utf8_valid(gbk, glen)); /* really not UTF-8 */
	tu_write(csv, gbk, glen);
	free(gbk);
	CHECK_INT(ax_roster_import_csv(st, csv, &opts, tu_diag_fn, &d, &s), AX_OK);
	check_v1_stats(&s);
	CHECK_STR(s.encoding, "GBK");
	/* same messages, named by the path this time */
	CHECK_INT(d.n, N_V1_DIAGS);
	for (int i = 0; i < N_V1_DIAGS && i < d.n; i++) {
		char want[512];
		snprintf(want, sizeof want, "%s%s", csv,
		         v1_diags[i].msg + strlen("roster.csv"));
		CHECK_STR(d.msg[i], want);
	}
	tu_diag_clear(&d);
	ax_store_close(st);
	a = dump(tu_path("utf8.db"));
	b = dump(tu_path("gbk.db"));
	CHECK(strlen(a) > 100);
	CHECK_STR(b, a);
	free(a);
	free(b);
}

/* ---- other header spellings ------------------------------------------- */
static void test_headers(void)
{
	struct ax_roster_stats s;
	struct tu_diag d = {0};
	ax_store *st = new_store("headers.db");
	sqlite3 *db;
	static const char english[] =
		"Members,Phone,village_code,Household_ID,grid_code\n"
		"3,13800138000,439901001001,E001,439901001001001\n"
		"2,,439901001001,E002,\n";
	static const char custom[] =
		"户主编号,村（社区）代码,手机号\n"
		"M001,439901002001,139-0013-9000\n"
		"M002,439901002001,13800138000\n"; /* E001's number too */
	struct ax_roster_opts map = {.map = "household_id=户主编号"};
	struct ax_roster_opts badmap = {.map = "hhid=户主编号"};

	tu_write(tu_path("english.csv"), english, sizeof english - 1);
	CHECK_INT(ax_roster_import_csv(st, tu_path("english.csv"), NULL,
	                               tu_diag_fn, &d, &s),
	          AX_OK);
	CHECK_INT(s.rows, 2);
	CHECK_INT(s.inserted, 2);
	CHECK_INT(s.rejected, 0);
	CHECK_INT(s.warnings, 0);
	CHECK_INT(d.n, 0);
	tu_diag_clear(&d);

	/* a header the library does not know: refused, with a hint */
	tu_write(tu_path("custom.csv"), custom, sizeof custom - 1);
	CHECK_INT(ax_roster_import_csv(st, tu_path("custom.csv"), NULL, tu_diag_fn,
	                               &d, &s),
	          AX_INVALID);
	{
		char prefix[300];
		snprintf(prefix, sizeof prefix, "%s:1: no household id column",
		         tu_path("custom.csv"));
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, prefix, "--map");
	}
	tu_diag_clear(&d);
	/* a map entry that names no field */
	CHECK_INT(ax_roster_import_csv(st, tu_path("custom.csv"), &badmap,
	                               tu_diag_fn, &d, &s),
	          AX_INVALID);
	CHECK_INT(d.n, 1);
	if (d.n)
		CHECK(strstr(d.msg[0], "\"hhid=户主编号\"") != NULL);
	tu_diag_clear(&d);
	/* with the map it imports */
	CHECK_INT(ax_roster_import_csv(st, tu_path("custom.csv"), &map, tu_diag_fn,
	                               &d, &s),
	          AX_OK);
	CHECK_INT(s.inserted, 2);
	CHECK_INT(s.phones, 2);
	/* M002 lists E001's number: warned about (test_shared_phone) */
	CHECK_INT(d.n, 1);
	TU_CHECK_DIAG(&d, AX_SEV_WARNING, "", "+8613800138000 is listed for 2 households (E001, M002)");
	tu_diag_clear(&d);
	/* a number two households share names neither */
	{
		char hh[64] = "x";
		CHECK_INT(ax_roster_find_phone(st, "+8613800138000", hh), AX_CONFLICT);
		CHECK_STR(hh, "");
		CHECK_INT(ax_roster_find_phone(st, "+8613900139000", hh), AX_OK);
		CHECK_STR(hh, "M001");
	}
	ax_store_close(st);

	db = tu_db_open(tu_path("headers.db"));
	CHECK_STR(tu_q(db, "SELECT grid || '/' || members FROM households WHERE "
	                   "id='E001'"),
	          "439901001001001/3");
	CHECK_STR(tu_q(db, "SELECT grid || '/' || members FROM households WHERE "
	                   "id='E002'"),
	          "439901001001/2");
	CHECK_STR(tu_q(db, "SELECT phone FROM household_phones WHERE household='E001'"),
	          "+8613800138000");
	CHECK_STR(tu_q(db, "SELECT grid FROM households WHERE id='M001'"),
	          "439901002001");
	CHECK_STR(tu_q(db, "SELECT phone FROM household_phones WHERE household='M001'"),
	          "+8613900139000");
	/* the township and county were derived from the village code */
	CHECK_STR(tu_q(db, "SELECT parent FROM regions WHERE code='439901002001'"),
	          "439901002000");
	CHECK_STR(tu_q(db, "SELECT parent FROM regions WHERE code='439901002000'"),
	          "439901000000");
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM households"), 4);
	sqlite3_close(db);
}

/* ---- files that cannot be imported at all ----------------------------- */
static void test_unreadable(void)
{
	struct ax_roster_stats s;
	struct tu_diag d = {0};
	ax_store *st = new_store("bad.db");
	sqlite3 *db;

	CHECK_INT(ax_roster_import_csv(st, tu_path("missing.csv"), NULL,
	                               tu_diag_fn, &d, &s),
	          AX_IO);
	tu_diag_clear(&d);
	CHECK_INT(ax_roster_import_mem(st, "junk.csv", "\xFF\xFE\xFD\n", 4, NULL,
	                               tu_diag_fn, &d, &s),
	          AX_INVALID);
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "junk.csv: encoding", "neither UTF-8 nor GBK");
	tu_diag_clear(&d);
	CHECK_INT(ax_roster_import_mem(st, "empty.csv", "", 0, NULL, tu_diag_fn, &d,
	                               &s),
	          AX_INVALID);
	TU_CHECK_DIAG(&d, AX_SEV_ERROR, "empty.csv: ", "empty");
	tu_diag_clear(&d);
	/* a good row before an unterminated quote is still kept */
	{
		static const char t[] = "户号,村（社区）代码\nX1,439901001001\nX2,\"4399";
		CHECK_INT(ax_roster_import_mem(st, "open.csv", t, sizeof t - 1, NULL,
		                               tu_diag_fn, &d, &s),
		          AX_OK);
		CHECK_INT(s.inserted, 1);
		CHECK_INT(s.rejected, 1);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "open.csv:3: ", "unterminated");
		CHECK_INT(d.n, 1);
		tu_diag_clear(&d);
	}
	/* a quote opened and never closed swallows the rest of the file: that
	 * is reported where the row began, not imported as one huge cell */
	{
		static const char t[] = "户号,村（社区）代码,网格\r\n"
		                        "X3,439901001001,\"第一\r\n"
		                        "X4,439901001001,a\r\n"
		                        "X5,439901001001,b\r\n";
		CHECK_INT(ax_roster_import_mem(st, "swallow.csv", t, sizeof t - 1,
		                               NULL, tu_diag_fn, &d, &s),
		          AX_OK);
		CHECK_INT(s.inserted, 0);
		CHECK_INT(s.rejected, 1);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "swallow.csv:2: ", "unterminated");
		CHECK_INT(d.n, 1);
		tu_diag_clear(&d);
	}
	/* the same with the quote in a row's first cell */
	{
		static const char t[] = "户号,村（社区）代码\nX6,439901001001\n\"X7,1\nX8,2\n";
		CHECK_INT(ax_roster_import_mem(st, "first.csv", t, sizeof t - 1, NULL,
		                               tu_diag_fn, &d, &s),
		          AX_OK);
		CHECK_INT(s.inserted, 1);
		CHECK_INT(s.rejected, 1);
		TU_CHECK_DIAG(&d, AX_SEV_ERROR, "first.csv:3: ", "unterminated");
		tu_diag_clear(&d);
	}
	ax_store_close(st);
	db = tu_db_open(tu_path("bad.db"));
	CHECK_STR(tu_q(db, "SELECT group_concat(id) FROM (SELECT id FROM "
	                   "households ORDER BY id)"),
	          "X1,X6");
	sqlite3_close(db);
}

/* One number on two households (a son's number for his parents): kept on
 * both, with a warning naming the number and the households; a number on
 * one household only is not warned about, nor a household gone inactive. */
static void test_shared_phone(void)
{
	struct ax_roster_stats s;
	struct tu_diag d = {0};
	ax_store *st = new_store("shared.db");
	static const char t[] =
	    "户号,村（社区）代码,联系电话\n"
	    "S1,439901001001,13800000009\n"
	    "S2,439901001001,13800000001；13800000009\n"
	    "S3,439901001001,13800000002\n";
	CHECK_INT(ax_roster_import_mem(st, "shared.csv", t, sizeof t - 1, NULL,
	                               tu_diag_fn, &d, &s),
	          AX_OK);
	CHECK_INT(s.inserted, 3);
	CHECK_INT(s.phones, 4);
	CHECK_INT(s.shared_phones, 1);
	TU_CHECK_DIAG(&d, AX_SEV_WARNING, "shared.csv: phone +8613800000009 ",
	              "2 households (S1, S2)");
	CHECK_INT(d.n, 1);
	tu_diag_clear(&d);
	ax_store_close(st);
}

/* 户主 and 住址 stay on the server: a device's roster slice names
 * neither; and the mask roles above the grid see. */
static void test_head_private(void)
{
	struct ax_roster_stats s;
	ax_store *st = new_store("head.db");
	char masked[64], *slice;
	static const char t[] = "户号,村（社区）代码,户主,住址,联系电话\n"
	                        "P1,439901001001,王建国,东街1组3号,13800000001\n";
	CHECK_INT(ax_roster_import_mem(st, "head.csv", t, sizeof t - 1, NULL,
	                               NULL, NULL, &s),
	          AX_OK);
	CHECK_INT(s.inserted, 1);
	slice = ax_roster_slice_json(st, "439901001001");
	REQUIRE(slice != NULL);
	CHECK_INT(strstr(slice, "\"P1\"") != NULL, 1);
	CHECK_INT(strstr(slice, "王建国") != NULL, 0);
	CHECK_INT(strstr(slice, "东街") != NULL, 0);
	free(slice);
	ax_store_close(st);

	ax_name_mask("张三明", masked, sizeof masked);
	CHECK_STR(masked, "张*明");
	ax_name_mask("张三", masked, sizeof masked);
	CHECK_STR(masked, "张*");
	ax_name_mask("欧阳志明", masked, sizeof masked);
	CHECK_STR(masked, "欧**明");
	ax_name_mask("", masked, sizeof masked);
	CHECK_STR(masked, "");
}

/* A household's phones in the order the roster lists them (the first is
 * the one an SMS survey asks first), in the store and in a device's
 * slice; the same numbers in another order are a change.  Old code kept
 * them sorted by number (PRIMARY KEY order): 138 before 139 whatever the
 * file said, and the swapped file was "unchanged". */
static void test_phone_order(void)
{
	struct ax_roster_stats s;
	ax_store *st = new_store("order.db");
	sqlite3 *db;
	char *slice;
	static const char t1[] = "户号,村（社区）代码,联系电话\n"
	                         "Q1,439901001001,13900000002；13800000001\n"
	                         "Q2,439901001001,13800000003\n";
	static const char t2[] = "户号,村（社区）代码,联系电话\n"
	                         "Q1,439901001001,13800000001;13900000002\n"
	                         "Q2,439901001001,13800000003\n";
	CHECK_INT(ax_roster_import_mem(st, "order.csv", t1, sizeof t1 - 1, NULL,
	                               NULL, NULL, &s),
	          AX_OK);
	CHECK_INT(s.inserted, 2);
	slice = ax_roster_slice_json(st, "439901001001");
	REQUIRE(slice != NULL);
	CHECK(strstr(slice, "\"phones\":[\"+8613900000002\",\"+8613800000001\"]") !=
	      NULL);
	free(slice);
	db = tu_db_open(ax_store_path(st));
	CHECK_STR(tu_q(db, "SELECT group_concat(phone || '@' || pos, ' ') FROM (SELECT "
	                   "* FROM household_phones WHERE household = 'Q1' ORDER BY "
	                   "pos)"),
	          "+8613900000002@0 +8613800000001@1");
	sqlite3_close(db);
	/* the same numbers the other way round: Q1 updated, Q2 unchanged */
	CHECK_INT(ax_roster_import_mem(st, "order2.csv", t2, sizeof t2 - 1, NULL,
	                               NULL, NULL, &s),
	          AX_OK);
	CHECK_INT(s.updated, 1);
	CHECK_INT(s.unchanged, 1);
	slice = ax_roster_slice_json(st, "439901001001");
	REQUIRE(slice != NULL);
	CHECK(strstr(slice, "\"phones\":[\"+8613800000001\",\"+8613900000002\"]") !=
	      NULL);
	free(slice);
	ax_store_close(st);
}

int main(void)
{
	const char *csv;

	tu_init();
	csv = tu_path("roster.csv");
	tu_write(csv, roster_v1, sizeof roster_v1 - 1);
	test_utf8(csv);
	test_gbk();
	test_headers();
	test_unreadable();
	test_shared_phone();
	test_head_private();
	test_phone_order();
	return check_done();
}
