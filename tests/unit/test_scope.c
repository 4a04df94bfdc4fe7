/*
 * test_scope.c -- ax_region_covers and ax_scope_covers above the county
 * (issue 19): a city (市, 4 digits + eight 0s) covers its counties and
 * everything under them, a province (省, 2 digits + ten 0s) its cities;
 * nothing covers what is above it.  Expectations from the GB/T 2260
 * code rules, by hand.  Old code: a city or province scope covered
 * nothing (its prefix was 0).
 */
#include "anxin/auth.h"
#include "check.h"

int main(void)
{
	/* 江州市 4399, its counties 439901 and 439902 */
	CHECK(ax_region_covers("439900000000", "439901000000"));
	CHECK(ax_region_covers("439900000000", "439902000000"));
	CHECK(ax_region_covers("439900000000", "439901101201001"));
	CHECK(ax_region_covers("439900000000", "439900000000"));
	CHECK(!ax_region_covers("439900000000", "439801000000"));
	CHECK(!ax_region_covers("439900000000", "440101000000"));
	/* the province 43 */
	CHECK(ax_region_covers("430000000000", "439900000000"));
	CHECK(ax_region_covers("430000000000", "439902101000"));
	CHECK(!ax_region_covers("430000000000", "440100000000"));
	/* nothing covers what is above it */
	CHECK(!ax_region_covers("439901000000", "439900000000"));
	CHECK(!ax_region_covers("439900000000", "430000000000"));
	CHECK(!ax_region_covers("439901101000", "439901000000"));
	/* no division code: covers and is covered by nothing */
	CHECK(!ax_region_covers("000000000000", "439901000000"));
	CHECK(!ax_region_covers("430000000000", "4399"));
	/* as before at the county and below */
	CHECK(ax_region_covers("439901000000", "439901101201001"));
	CHECK(ax_region_covers("439901101000", "439901101201"));
	CHECK(!ax_region_covers("439901101000", "439901102201"));
	/* a scope list naming a city and a county of another city */
	CHECK(ax_scope_covers("439900000000,440101000000", "439902101201"));
	CHECK(ax_scope_covers("439900000000,440101000000", "440101102000"));
	CHECK(!ax_scope_covers("439900000000,440101000000", "440102000000"));

	if (check_failures)
		fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
	return check_failures != 0;
}
