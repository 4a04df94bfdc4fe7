/*
 * test_items.c -- item analysis of the bundled quiz aware-anti-drug@1
 * (keys q1 = 2, q2 = 1, q3 = 2, q4 = 3, q5 = 4: content/packs/anti-drug)
 * against figures worked out by hand below, never by the code under test.
 *
 * 石桥镇 (439901101000): twelve counted complete responses R01..R12 (ids
 * sort in that order).  R12 left q5 unanswered.
 *
 *        q1 q2 q3 q4 q5   right        score
 *   R01   2  1  2  3  4   1 1 1 1 1    5
 *   R02   2  1  2  3  4   1 1 1 1 1    5
 *   R03   2  1  2  3  1   1 1 1 1 0    4
 *   R04   2  1  2  1  4   1 1 1 0 1    4
 *   R05   2  1  3  3  4   1 1 0 1 1    4
 *   R06   2  2  2  3  2   1 0 1 1 0    3
 *   R07   1  1  2  2  4   0 1 1 0 1    3
 *   R08   2  3  1  3  3   1 0 0 1 0    2
 *   R09   3  1  2  1  1   0 1 1 0 0    2
 *   R10   2  2  3  3  2   1 0 0 1 0    2
 *   R11   1  3  2  1  1   0 0 1 0 0    1
 *   R12   3  2  1  2  -   0 0 0 0 -    0
 *
 * Not counted, so never in any figure: a later answer of R01's household
 * (all wrong; the earlier one counts) and a partial response.
 *
 * Ascending (score, id): R12 R11 R08 R09 R10 R06 R07 R03 R04 R05 R01 R02.
 * n = 12 (q5: 11), n_group = round(0.27 x 12) = round(3.24) = 3
 * (q5: round(2.97) = 3).  Lower group = the first 3 who answered, upper =
 * the last 3: q1-q4 lower R12 R11 R08, upper R05 R01 R02; q5 lower R11 R08
 * R09 (R12 did not answer it), upper R05 R01 R02.  R08 (a tie at score 2)
 * and R05 (a tie at 4) are in the groups by their ids: q1 and q3 would
 * change with the other tie order.
 *
 *        n  right facility  upper lower  D = (u-l)/3   options (chosen/n)
 *   q1  12   8    8/12        3     1     2/3          1: 2  2: 8  3: 2
 *   q2  12   7    7/12        3     0     1            1: 7  2: 3  3: 2
 *   q3  12   8    8/12        2     1     1/3          1: 2  2: 8  3: 2
 *   q4  12   7    7/12        3     1     2/3          1: 3  2: 2  3: 7
 *   q5  11   5    5/11        3     0     1            1: 3  2: 2  3: 1  4: 5
 *   (q5 shown to 12.)  Mean score 35/12.  No flag: n < 20 and nobody
 *   fails or passes a whole question.
 *
 * 盘古乡 (439901102000): twenty counted responses P01..P20 (ids after
 * R12), each 2 1 2 3 1: score 4.  q1-q4: 20/20 right, nobody fails, and
 * their wrong options are picked by nobody (n = 20): dead distractors;
 * q5: 0/20 right, everybody fails, options 2 and 3 picked by nobody.
 * Discrimination 0 but n < 30: not flagged.
 *
 * The whole store (32 respondents): ascending (score, id) R12 R11 R08 R09
 * R10 R06 R07 | R03 R04 R05 P01..P20 (score 4) | R01 R02.
 *   q1: n 32, right 8 + 20 = 28, n_group round(8.64) = 9.  Lower 9: R12 R11
 *       R08 R09 R10 R06 R07 R03 R04 -> right 0+0+1+0+1+1+0+1+1 = 5; upper
 *       9: R02 R01 P20..P14 -> 9.  D = 4/9.
 *   q5: n 31, right 5, n_group round(8.37) = 8.  Lower 8 (R12 skipped):
 *       R11 R08 R09 R10 R06 R07 R03 R04 -> 0+0+0+0+0+1+0+1 = 2; upper 8:
 *       R02 R01 P20..P15 -> 2.  D = 0 with n >= 30: low discrimination.
 *       Options 1: 3 + 20 = 23, 2: 2, 3: 1, 4: 5, so no dead distractor.
 *
 * `test_items URLFILE` (pg.items, issue 19) runs the same on PostgreSQL:
 * the county's file (the roster) copied into a database of its own on
 * the `pg` fixture's cluster, the content installed and the answers
 * imported there.
 */
#include <jansson.h>

#include "anxin/content.h"
#include "anxin/items.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "check.h"
#include "testutil.h"
#include "../pg/pgtest.h"

#define EPS 1e-9

static void import(ax_importer *im, const char *id, const char *hh,
                   const char *status, const char *done, const char *ans)
{
	static const char *const q[] = {"q1", "q2", "q3", "q4", "q5"};
	char l[2048], a[256] = "";
	struct ax_rec_outcome out;

	for (int i = 0; i < 5; i++)
		if (ans[i] != '-')
			snprintf(a + strlen(a), sizeof a - strlen(a), "%s\"%s\":\"%c\"",
			         a[0] ? "," : "", q[i], ans[i]);
	snprintf(l, sizeof l,
	         "{\"type\":\"response\",\"id\":\"%s\",\"survey\":\"aware-anti-drug\","
	         "\"survey_version\":1,\"channel\":\"kiosk\",\"device\":\"k1\","
	         "\"household\":\"%s\",\"started_at\":\"%s\",\"completed_at\":%s%s%s,"
	         "\"status\":\"%s\",\"answers\":{%s}}",
	         id, hh, done, strcmp(status, "complete") ? "" : "\"",
	         strcmp(status, "complete") ? "null" : done,
	         strcmp(status, "complete") ? "" : "\"", status, a);
	REQUIRE(ax_importer_line(im, l, strlen(l), NULL, &out) == AX_OK);
	if (out.result != AX_REC_ACCEPTED)
		fprintf(stderr, "%s: %s\n", id, out.reason);
	CHECK_INT(out.result, AX_REC_ACCEPTED);
}

static const struct ax_item *item(const struct ax_items *it, const char *id)
{
	for (int k = 0; k < it->nitems; k++)
		if (strcmp(it->items[k].id, id) == 0)
			return &it->items[k];
	fprintf(stderr, "no item %s\n", id);
	exit(1);
}

/* n, right, facility, groups, discrimination, option counts, flags */
static void check_item(const struct ax_items *it, const char *id, long long n,
                       long long right, int g, long long up, long long lo,
                       double d, const long long *chosen, int flags)
{
	const struct ax_item *x = item(it, id);

	fprintf(stderr, "  %s\n", id);
	CHECK_INT(x->n, n);
	CHECK_INT(x->right, right);
	CHECK_NEAR(x->facility, (double)right / (double)n, EPS);
	CHECK_INT(x->n_group, g);
	CHECK_INT(x->upper_right, up);
	CHECK_INT(x->lower_right, lo);
	CHECK_NEAR(x->discrimination, d, EPS);
	for (int o = 0; o < x->noptions; o++) {
		CHECK_INT(x->options[o].chosen, chosen[o]);
		CHECK_NEAR(x->options[o].share, (double)chosen[o] / (double)n, EPS);
	}
	CHECK_INT(x->flags, flags);
}

int main(int argc, char **argv)
{
	/* the table above, row by row */
	static const char *const rows[12] = {
	    "21234", "21234", "21231", "21214", "21334", "22232",
	    "11224", "23133", "31211", "22332", "13211", "3212-"};
	char roster[4096] = "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n";
	char id[64], hh[16], dir[1024];
	const char *src = getenv("ANXIN_SOURCE");
	struct ax_items *it = NULL;
	ax_importer *im;
	ax_content *ct;
	ax_store *seed, *st;
	int nerr;

	tu_init();
	for (int i = 1; i <= 12; i++)
		snprintf(roster + strlen(roster), sizeof roster - strlen(roster),
		         "R%02d,439901101000,439901101201,439901101201001,138001380%02d,2\n",
		         i, i);
	for (int i = 1; i <= 20; i++)
		snprintf(roster + strlen(roster), sizeof roster - strlen(roster),
		         "P%02d,439901102000,439901102201,439901102201001,139001390%02d,2\n",
		         i, i);
	REQUIRE(ax_store_open(tu_path("c.db"), AX_STORE_CREATE, &seed, NULL, 0) == AX_OK);
	REQUIRE(ax_roster_import_mem(seed, "r.csv", roster, strlen(roster), NULL,
	                             NULL, NULL, NULL) == AX_OK);
	/* on PostgreSQL (pg.items: argv[1] the cluster's URL file) the
	 * county's file copied there; the content and answers go in there */
	st = pgt_store(seed, argc > 1 ? argv[1] : NULL, "anxin_items");
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src ? src : ".");
	REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &ct) == AX_OK && !nerr);
	REQUIRE(ax_content_install(st, ct, NULL) == AX_OK);
	ax_content_free(ct);

	REQUIRE(ax_importer_new(st, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	for (int i = 1; i <= 12; i++) {
		snprintf(id, sizeof id, "00000000-0000-4000-8000-0000000000%02d", i);
		snprintf(hh, sizeof hh, "R%02d", i);
		import(im, id, hh, "complete", "2026-11-21T10:00:00+08:00", rows[i - 1]);
	}
	for (int i = 1; i <= 20; i++) {
		snprintf(id, sizeof id, "00000000-0000-4000-8000-0000000001%02d", i);
		snprintf(hh, sizeof hh, "P%02d", i);
		import(im, id, hh, "complete", "2026-11-21T11:00:00+08:00", "21231");
	}
	/* R01 again, later and all wrong: the earlier answer is the counted one */
	import(im, "00000000-0000-4000-8000-000000000201", "R01", "complete",
	       "2026-11-22T10:00:00+08:00", "13111");
	/* a partial response never counts */
	import(im, "00000000-0000-4000-8000-000000000202", "R02", "partial",
	       "2026-11-22T10:00:00+08:00", "13---");
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);

	/* ---- 石桥镇: the table ---- */
	REQUIRE(ax_items_build(st, "aware-anti-drug", 0, "439901101000", &it) == AX_OK);
	CHECK_STR(it->survey, "aware-anti-drug");
	CHECK_INT(it->version, 1);
	CHECK_STR(it->scope, "439901101000");
	CHECK_INT(it->respondents, 12);
	CHECK_INT(it->max_score, 5);
	CHECK_NEAR(it->mean_score, 35.0 / 12, EPS);
	REQUIRE(it->nitems == 5);
	{
		const long long c1[] = {2, 8, 2}, c2[] = {7, 3, 2}, c3[] = {2, 8, 2},
		                c4[] = {3, 2, 7}, c5[] = {3, 2, 1, 5};
		check_item(it, "q1", 12, 8, 3, 3, 1, 2.0 / 3, c1, 0);
		check_item(it, "q2", 12, 7, 3, 3, 0, 1.0, c2, 0);
		check_item(it, "q3", 12, 8, 3, 2, 1, 1.0 / 3, c3, 0);
		check_item(it, "q4", 12, 7, 3, 3, 1, 2.0 / 3, c4, 0);
		check_item(it, "q5", 11, 5, 3, 3, 0, 1.0, c5, 0);
	}
	CHECK_INT(item(it, "q5")->shown, 12);
	CHECK_INT(item(it, "q1")->shown, 12);
	CHECK_INT(item(it, "q1")->options[1].correct, 1);
	CHECK_INT(item(it, "q1")->options[0].correct, 0);
	CHECK_INT(item(it, "q5")->options[3].correct, 1);
	CHECK_STR(item(it, "q1")->options[1].label, "K粉");
	CHECK_STR(item(it, "q1")->topic, "anti_drug");
	{
		/* the renderings carry the same figures */
		char *js = ax_items_json(it), *csv = ax_items_csv(it),
		     *tab = ax_items_table(it);
		json_t *o;
		REQUIRE(js && csv && tab);
		REQUIRE((o = json_loads(js, 0, NULL)));
		CHECK_INT(json_integer_value(json_object_get(o, "respondents")), 12);
		CHECK_NEAR(json_real_value(json_object_get(
		               json_array_get(json_object_get(o, "items"), 2),
		               "discrimination")), 0.3333, EPS);
		json_decref(o);
		CHECK(strncmp(csv, "\xEF\xBB\xBF题号,题目,",
		              strlen("\xEF\xBB\xBF题号,题目,")) == 0);
		/* q5, option 4 (the key): 5 of 11 */
		CHECK(strstr(csv, ",12,11,5,0.4545,3,3,0,1.0000,,4,110,是,5,0.4545\r\n") != NULL);
		CHECK(strstr(tab, "答卷: 12") != NULL);
		ax_free(js);
		ax_free(csv);
		ax_free(tab);
	}
	ax_items_free(it);

	/* ---- 盘古乡: flags ---- */
	REQUIRE(ax_items_build(st, "aware-anti-drug", 1, "439901102000", &it) == AX_OK);
	CHECK_INT(it->respondents, 20);
	CHECK_NEAR(it->mean_score, 4.0, EPS);
	{
		const long long c1[] = {0, 20, 0}, c4[] = {0, 0, 20}, c5[] = {20, 0, 0, 0};
		check_item(it, "q1", 20, 20, 5, 5, 5, 0, c1,
		           AX_ITEM_NOBODY_FAILS | AX_ITEM_DEAD_DISTRACTOR);
		check_item(it, "q4", 20, 20, 5, 5, 5, 0, c4,
		           AX_ITEM_NOBODY_FAILS | AX_ITEM_DEAD_DISTRACTOR);
		check_item(it, "q5", 20, 0, 5, 0, 0, 0, c5,
		           AX_ITEM_EVERYBODY_FAILS | AX_ITEM_DEAD_DISTRACTOR);
	}
	ax_items_free(it);

	/* ---- the whole store ---- */
	REQUIRE(ax_items_build(st, "aware-anti-drug", 0, NULL, &it) == AX_OK);
	CHECK_STR(it->scope, "");
	CHECK_INT(it->respondents, 32);
	{
		const long long c1[] = {2, 28, 2}, c5[] = {23, 2, 1, 5};
		check_item(it, "q1", 32, 28, 9, 9, 5, 4.0 / 9, c1, 0);
		check_item(it, "q5", 31, 5, 8, 2, 2, 0, c5, AX_ITEM_LOW_DISCRIMINATION);
	}
	ax_items_free(it);

	/* ---- refusals: *out stays NULL, the store says why ---- */
	it = (struct ax_items *)1;
	CHECK_INT(ax_items_build(st, "no-such-quiz", 0, NULL, &it), AX_NOTFOUND);
	CHECK(it == NULL);
	CHECK_INT(ax_items_build(st, "aware-anti-drug", 9, NULL, &it), AX_NOTFOUND);
	CHECK(strstr(ax_store_errmsg(st), "aware-anti-drug@9") != NULL);
	CHECK_INT(ax_items_build(st, "aware-anti-drug", 0, "439901999000", &it),
	          AX_NOTFOUND);
	CHECK_INT(ax_items_build(st, "satisfaction", 0, NULL, &it), AX_INVALID);
	CHECK(it == NULL);
	ax_items_free(NULL);
	ax_store_close(st);
	if (st != seed)
		ax_store_close(seed);
	return check_done();
}
