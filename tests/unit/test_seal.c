/*
 * test_seal.c -- kiosk household links: a phone sealed for the central
 * store is opened at ingest and resolved to its household; the number
 * never reaches the stored body; a household outside the device's scope
 * leaves the answer anonymous at the kiosk's region instead of losing it.
 */
#include <sodium.h>
#include <sqlite3.h>

#include "anxin/auth.h"
#include "anxin/content.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "check.h"
#include "testutil.h"

static const char roster[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "A1,439901101000,439901101201,439901101201001,13800138001,3\n"
    "B1,439901102000,439901102201,439901102201001,13800138002,2\n";

/* Only township 439901101 (the kiosk's) may be credited. */
static int scope_a(void *ctx, const char *type, const char *hh,
                   const char *region, char *reason)
{
	(void)ctx;
	(void)type;
	(void)hh;
	if (ax_scope_covers("439901101000", region))
		return 0;
	snprintf(reason, 256, "403: outside");
	return 1;
}

static char *line(const char *id, const char *sealed)
{
	static char buf[2048];
	snprintf(buf, sizeof buf,
	         "{\"type\":\"response\",\"id\":\"%s\",\"survey\":\"satisfaction\","
	         "\"survey_version\":1,\"channel\":\"kiosk\",\"device\":\"k1\","
	         "\"household\":null,\"region\":\"439901101201001\","
	         "\"household_phone_sealed\":\"%s\",\"started_at\":"
	         "\"2026-11-20T10:00:00+08:00\",\"completed_at\":"
	         "\"2026-11-20T10:04:00+08:00\",\"status\":\"complete\","
	         "\"answers\":{\"overall\":\"1\"}}",
	         id, sealed);
	return buf;
}

int main(void)
{
	const char *db, *src = getenv("ANXIN_SOURCE");
	char dir[1024], sealed_a[128], sealed_b[128];
	unsigned char pk[32], sk[32];
	struct ax_rec_outcome out;
	ax_store *st;
	ax_content *c;
	ax_importer *im;
	int nerr;

	tu_init();
	REQUIRE(sodium_init() >= 0);
	db = tu_path("c.db");
	REQUIRE(ax_store_open(db, AX_STORE_CREATE, &st, NULL, 0) == AX_OK);
	REQUIRE(ax_roster_import_mem(st, "r.csv", roster, sizeof roster - 1, NULL,
	                             NULL, NULL, NULL) == AX_OK);
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src ? src : "../..");
	REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &c) == AX_OK && !nerr);
	REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
	ax_content_free(c);
	REQUIRE(ax_store_keypair(st, pk, sk) == AX_OK);
	CHECK(ax_seal_phone(pk, "+8613800138001", sealed_a) == AX_OK);
	CHECK(ax_seal_phone(pk, "+8613800138002", sealed_b) == AX_OK);
	CHECK(strcmp(sealed_a, sealed_b) != 0);

	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	ax_importer_set_unseal(im, pk, sk);
	ax_importer_set_check(im, scope_a, NULL);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	/* in scope: resolved to A1 */
	REQUIRE(ax_importer_line(im, line("11111111-1111-4111-8111-111111111111", sealed_a),
	                         strlen(line("11111111-1111-4111-8111-111111111111", sealed_a)),
	                         NULL, &out) == AX_OK);
	CHECK_INT(out.result, AX_REC_ACCEPTED);
	/* a visitor from township 102: kept, anonymous, at the kiosk's grid */
	{
		char *l = line("22222222-2222-4222-8222-222222222222", sealed_b);
		REQUIRE(ax_importer_line(im, l, strlen(l), NULL, &out) == AX_OK);
		CHECK_INT(out.result, AX_REC_ACCEPTED);
		CHECK_STR(out.reason, "");
	}
	/* a resend of the visitor's record is a duplicate, not a conflict */
	{
		char *l = line("22222222-2222-4222-8222-222222222222", sealed_b);
		REQUIRE(ax_importer_line(im, l, strlen(l), NULL, &out) == AX_OK);
		CHECK_INT(out.result, AX_REC_DUPLICATE);
	}
	/* a sealed box that does not open stays anonymous */
	{
		char *l = line("33333333-3333-4333-8333-333333333333", "bm90IGEgc2VhbGVkIGJveA==");
		REQUIRE(ax_importer_line(im, l, strlen(l), NULL, &out) == AX_OK);
		CHECK_INT(out.result, AX_REC_ACCEPTED);
	}
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
	ax_store_close(st);

	{
		sqlite3 *d = tu_db_open(db);
		CHECK_STR(tu_q(d, "SELECT household FROM responses WHERE id LIKE '1111%%'"), "A1");
		CHECK_STR(tu_q(d, "SELECT COALESCE(household, 'anonymous') || ' ' || region "
		                  "FROM responses WHERE id LIKE '2222%%'"),
		          "anonymous 439901101201001");
		CHECK_STR(tu_q(d, "SELECT COUNT(*) FROM responses WHERE body LIKE "
		                  "'%%sealed%%' OR body LIKE '%%13800138%%'"), "0");
		CHECK_STR(tu_q(d, "SELECT COALESCE(household, 'anonymous') FROM responses "
		                  "WHERE id LIKE '3333%%'"), "anonymous");
		sqlite3_close(d);
	}
	return check_done();
}
