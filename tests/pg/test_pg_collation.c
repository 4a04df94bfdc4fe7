/*
 * test_pg_collation.c -- a database that does not compare text in byte
 * order is refused (ctest pg.collation; argv[1] the `pg` fixture's URL
 * file).  The store's region filters are byte ranges ('43990110:' is above
 * every code of 439901101 only in byte order) and its ids sort as SQLite
 * sorts them; on a database made with an ICU en-US collation a county's
 * campaign funnel found no household at all.
 *
 *   - anxin_icu (LOCALE_PROVIDER icu, ICU_LOCALE en-US): ax_store_open
 *     fails, naming the collation and how to create the database, and
 *     creates no table; `anxin store copy` into it fails the same way;
 *   - anxin_bytes (the cluster's C.UTF-8): it opens, and a campaign
 *     funnel over the county of its 3 households counts 3.
 * On the code before the check the ICU database opened (and its funnel
 * counted 0 households).  Skipped (77) when the server has no ICU.
 */
#include "anxin/campaign.h"
#include "anxin/funnel.h"
#include "anxin/roster.h"
#include "pgtest.h"
#include "testutil.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,3\n"
    "H2,439901101000,439901101201,439901101201002,13800000002,2\n"
    "H3,439901102000,439901102201,439901102201001,13800000003,2\n";

static long long tables(const char *url)
{
	char err[512];
	ax_db *db;
	ax_stmt *s;
	long long n = -1;
	REQUIRE(ax_db_open(url, &db, err, sizeof err) == AX_DB_OK);
	REQUIRE(ax_db_prepare(db, "SELECT COUNT(*) FROM pg_tables WHERE "
	                          "schemaname = current_schema()", &s) == AX_DB_OK);
	if (ax_stmt_step(s) == AX_DB_ROW)
		n = ax_stmt_int64(s, 0);
	ax_stmt_finalize(s);
	ax_db_close(db);
	return n;
}

int main(int argc, char **argv)
{
	char url[512], base[512], err[512] = "";
	ax_store *seed, *st = NULL;
	struct ax_campaign c;
	struct ax_funnel f;
	ax_db *db;

	REQUIRE(argc > 1);
	tu_init();
	seed = tu_store_new("c.db", roster, sizeof roster - 1);

	/* a database in an ICU language collation, made beside the cluster's */
	pgt_own_db(argv[1], "anxin_bytes", base, sizeof base);
	REQUIRE(ax_db_open(base, &db, err, sizeof err) == AX_DB_OK);
	ax_db_exec(db, "DROP DATABASE IF EXISTS anxin_icu");
	if (ax_db_exec(db, "CREATE DATABASE anxin_icu TEMPLATE template0 "
	                   "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' "
	                   "LOCALE 'C.UTF-8'") != AX_DB_OK) {
		printf("skipped: no ICU collation here (%s)\n", ax_db_errmsg(db));
		ax_db_close(db);
		ax_store_close(seed);
		return 77;
	}
	ax_db_close(db);
	snprintf(url, sizeof url, "%.*sanxin_icu",
	         (int)(strrchr(base, '/') + 1 - base), base);

	CHECK(ax_store_open(url, AX_STORE_CREATE, &st, err, sizeof err) != AX_OK);
	CHECK(st == NULL);
	CHECK(strstr(err, "collation is not byte order") != NULL);
	CHECK(strstr(err, "C.UTF-8") != NULL);
	CHECK_INT(tables(url), 0);
	CHECK(ax_store_copy_pg(seed, url, NULL, NULL) != AX_OK);
	CHECK(strstr(ax_store_errmsg(seed), "collation is not byte order") != NULL);
	CHECK_INT(tables(url), 0);

	/* the cluster's own C.UTF-8: byte order, opens and counts */
	REQUIRE(ax_store_copy_pg(seed, base, NULL, NULL) == AX_OK);
	REQUIRE(ax_store_open(base, AX_STORE_CREATE, &st, err, sizeof err) == AX_OK);
	ax_campaign_defaults(&c);
	snprintf(c.scope, sizeof c.scope, "439901000000");
	snprintf(c.wave, sizeof c.wave, "W");
	c.starts_at = 0;
	c.ends_at = 4102444800LL; /* 2100 */
	REQUIRE(ax_funnel_build(st, &c, NULL, &f) == AX_OK);
	CHECK_INT(f.households, 3);
	CHECK_INT(f.targeted, 3);
	ax_store_close(st);
	ax_store_close(seed);
	return check_done();
}
