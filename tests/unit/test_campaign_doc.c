/*
 * unit.campaign_doc -- the campaigns document decoded once (campaign.h):
 * what a device gets from the store comes back as the same campaign
 * values, with the packs and surveys it uses and the seal key; a
 * malformed document is refused, a broken pack inside one is left out
 * with a located message; ax_content_load_store loads packs too.
 * `test_campaign_doc URLFILE` (pg.campaign_doc, issue 19): the same, the
 * county's file copied into PostgreSQL and the campaign created there.
 */
#include <sodium.h>

#include "anxin/auth.h"
#include "anxin/campaign.h"
#include "anxin/records.h"
#include "check.h"
#include "testutil.h"
#include "../pg/pgtest.h"

static int ndiag;
static char first_diag[512];
static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	if (!ndiag++)
		snprintf(first_diag, sizeof first_diag, "%s", msg);
}

int main(int argc, char **argv)
{
	struct ax_campaign c, *listed = NULL;
	const struct ax_campaign *got;
	ax_campaign_doc *d = NULL;
	ax_content *all = NULL;
	ax_store *seed, *st;
	unsigned char pk[AX_PUBKEY_BYTES], pk2[AX_PUBKEY_BYTES];
	char err[256];
	int n = 0;

	tu_init();
	REQUIRE(ax_store_open(tu_path("c.db"), AX_STORE_CREATE, &seed, NULL, 0) ==
	        AX_OK);
	tu_sample_store(seed, 50);
	st = pgt_store(seed, argc > 1 ? argv[1] : NULL, "anxin_campaign_doc");
	REQUIRE(ax_store_keypair(st, pk, NULL) == AX_OK);

	ax_campaign_defaults(&c);
	snprintf(c.name, sizeof c.name, "石桥镇满意度");
	snprintf(c.survey, sizeof c.survey, "satisfaction");
	snprintf(c.packs, sizeof c.packs, "anti-fraud,family-safety");
	snprintf(c.scope, sizeof c.scope, "439901101000");
	c.starts_at = 1795104000; /* 2026-11-20 China time */
	c.ends_at = c.starts_at + 30 * 86400;
	c.quiet_start = 22 * 60;
	c.quiet_end = 7 * 60 + 30;
	c.pace_per_min = 6;
	c.daily_cap = 200;
	c.coverage_kinds = AX_CK_SMS_REPLIED | AX_CK_VISIT;
	REQUIRE(ax_campaign_create(st, &c) == AX_OK);
	REQUIRE(ax_campaign_list(st, 0, 0, &listed, &n) == AX_OK && n == 1);

	/* a device of the township, during the campaign */
	REQUIRE(ax_campaign_doc_from_store(st, "439901101000", c.starts_at + 60,
	                                   &d) == AX_OK);
	CHECK_INT(ax_campaign_doc_count(d), 1);
	got = ax_campaign_doc_at(d, 0);
	REQUIRE(got);
	CHECK_STR(got->id, listed[0].id);
	CHECK_STR(got->wave, listed[0].wave);
	CHECK_STR(got->name, "石桥镇满意度");
	CHECK_STR(got->survey, "satisfaction");
	CHECK_INT(got->survey_version, 1);
	CHECK_STR(got->packs, "anti-fraud,family-safety");
	CHECK_STR(got->scope, "439901101000");
	CHECK_INT(got->starts_at, 1795104000);
	CHECK_INT(got->ends_at, 1795104000 + 30 * 86400);
	CHECK_INT(got->quiet_start, 1320);
	CHECK_INT(got->quiet_end, 450);
	CHECK_INT(got->pace_per_min, 6);
	CHECK_INT(got->daily_cap, 200);
	CHECK_INT(got->coverage_kinds, AX_CK_SMS_REPLIED | AX_CK_VISIT);
	CHECK_INT(ax_campaign_live(got, c.starts_at + 60), 1);
	CHECK_INT(ax_campaign_live(got, got->ends_at), 0); /* end exclusive */
	CHECK(ax_content_find_survey(ax_campaign_doc_content(d), "satisfaction", 1));
	CHECK(ax_content_find_pack(ax_campaign_doc_content(d), "anti-fraud"));
	CHECK(ax_content_find_pack(ax_campaign_doc_content(d), "family-safety"));
	CHECK_INT(ax_content_npacks(ax_campaign_doc_content(d)), 2);
	CHECK_INT(ax_campaign_doc_seal_key(d, pk2), 1);
	CHECK(memcmp(pk, pk2, sizeof pk) == 0);
	ax_campaign_doc_free(d);

	/* a device of another township gets no campaign */
	REQUIRE(ax_campaign_doc_from_store(st, "439901102000", c.starts_at + 60,
	                                   &d) == AX_OK);
	CHECK_INT(ax_campaign_doc_count(d), 0);
	ax_campaign_doc_free(d);

	/* not a document */
	CHECK_INT(ax_campaign_doc_parse("[1", 2, NULL, NULL, &d, err, sizeof err),
	          AX_INVALID);
	CHECK(d == NULL);
	CHECK(strncmp(err, "not a campaigns document", 24) == 0);
	/* a broken pack is left out and named; the campaign stays */
	{
		static const char doc[] =
		    "{\"campaigns\":[{\"id\":\"c1\",\"packs\":[\"p\"],\"scope\":\"4399\"},"
		    "{\"name\":\"no id\"},{\"id\":\"c1\"}],"
		    "\"packs\":{\"p\":{\"id\":\"p\"}},\"surveys\":{}}";
		REQUIRE(ax_campaign_doc_parse(doc, sizeof doc - 1, diag, NULL, &d, err,
		                              sizeof err) == AX_OK);
		CHECK_INT(ax_campaign_doc_count(d), 1); /* no id, repeated id: out */
		CHECK_STR(ax_campaign_doc_at(d, 0)->wave, "c1");
		CHECK_INT(ax_content_npacks(ax_campaign_doc_content(d)), 0);
		CHECK(ndiag > 0);
		CHECK(strncmp(first_diag, "campaigns.json:packs/p:", 23) == 0);
		CHECK_INT(ax_campaign_doc_seal_key(d, pk2), 0);
		ax_campaign_doc_free(d);
	}

	/* the store's content: five packs and seven surveys are bundled */
	REQUIRE(ax_content_load_store(st, &all) == AX_OK);
	CHECK_INT(ax_content_npacks(all), 5);
	CHECK_INT(ax_content_nsurveys(all), 7);
	ax_content_free(all);

	free(listed);
	ax_store_close(st);
	if (st != seed)
		ax_store_close(seed);
	printf("unit.campaign_doc: %d checks, %d failed\n", check_count,
	       check_failures);
	return check_failures != 0;
}
