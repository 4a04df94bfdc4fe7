/*
 * test_time.c -- ISO 8601 parsing, China Standard Time day numbers and
 * their formatting (internal ax__ helpers from anxin_int.h).
 *
 * Expected epochs were computed outside the library while writing the
 * test, with coreutils and python3:
 *   TZ=UTC date -d '2026-11-20T02:15:00Z' +%s              -> 1795140900
 *   TZ=UTC date -d '2026-11-20T15:59:59Z' +%s              -> 1795190399
 *   python3: datetime(2024,2,29,tzinfo=utc).timestamp()    -> 1709164800
 *   python3: datetime(2000,2,29,tzinfo=utc).timestamp()    -> 951782400
 *   python3: (date(2026,11,20) - date(1970,1,1)).days      -> 20777
 *   python3: (date(2000,2,29) - date(1970,1,1)).days       -> 11016
 *   python3: (date(9999,12,31) - date(1970,1,1)).days      -> 2932896
 */
#include <stdint.h>

#include "anxin_int.h"
#include "check.h"

#define T_1015_CST 1795140900LL /* 2026-11-20 10:15:00 +08:00 */
#define DAY_1120 20777          /* 2026-11-20 */

static void parses(const char *s, long long want)
{
	int64_t t = -12345;
	CHECK_INT(ax__time_parse(s, &t), 0);
	CHECK_INT(t, want);
}

static void rejects(const char *s)
{
	int64_t t = -12345;
	int rc = ax__time_parse(s, &t);
	if (rc == 0)
		fprintf(stderr, "accepted \"%s\"\n", s ? s : "(null)");
	CHECK(rc != 0);
	CHECK_INT(t, -12345); /* untouched on failure */
}

int main(void)
{
	char buf[64];
	int day = -1;

	/* one instant, three spellings */
	parses("2026-11-20T10:15:00+08:00", T_1015_CST);
	parses("2026-11-20T02:15:00Z", T_1015_CST);
	parses("2026-11-20 10:15:00", T_1015_CST); /* no offset: China time */
	/* more spellings of the same instant */
	parses("2026-11-20T10:15+08:00", T_1015_CST);
	parses("2026-11-20T10:15", T_1015_CST);
	parses("2026-11-20T10:15:00+0800", T_1015_CST);
	parses("2026-11-20T10:15:00+08", T_1015_CST);
	parses("2026-11-19T21:15:00-05:00", T_1015_CST);
	parses("2026-11-20T02:15:00z", T_1015_CST);
	/* fractional seconds are accepted and dropped */
	parses("2026-11-20T10:15:00.999+08:00", T_1015_CST);
	parses("2026-11-20T02:15:00,5Z", T_1015_CST);
	parses("2026-11-20T02:15:00.123456789Z", T_1015_CST);
	/* seconds matter */
	parses("2026-11-20T02:15:59Z", T_1015_CST + 59);
	/* leap days */
	parses("2024-02-29T00:00:00Z", 1709164800LL);
	parses("2000-02-29T00:00:00Z", 951782400LL);
	/* the epoch in China time */
	parses("1970-01-01T00:00:00+08:00", -28800);

	rejects("2026-02-30T00:00:00Z"); /* no such day */
	rejects("2026-13-01T00:00Z");    /* no such month */
	rejects("2026-00-10T00:00Z");
	rejects("2025-02-29T00:00:00Z"); /* not a leap year */
	rejects("2100-02-29T00:00:00Z"); /* centuries are not, unless /400 */
	rejects("2026-11-20T24:00:00Z");
	rejects("2026-11-20T10:60:00Z");
	rejects("2026-11-20T10:15:61Z");
	rejects("yesterday");
	rejects("");
	rejects(NULL);
	rejects("2026-11-20");           /* a date is not a time */
	rejects("2026-11-20X10:15:00Z");
	rejects("2026-11-20T10:15:00.Z"); /* a point with no digits */
	rejects("2026-11-20T10:15:00+08:00 junk");
	rejects("2026-11-20T10:15:00+8:00");
	rejects("2026-11-20T10:15:00+08:0");
	rejects("2026-11-20T10:15:00+");
	rejects("2026-11-20T10:15:00+15:00"); /* no such zone */
	rejects("2026-11-20T10:15:0");
	rejects("2026-1-20T10:15:00Z");

	/* formatting is always China time, and parses back */
	ax__time_format(T_1015_CST, buf, sizeof buf);
	CHECK_STR(buf, "2026-11-20T10:15:00+08:00");
	ax__time_format(-28800, buf, sizeof buf);
	CHECK_STR(buf, "1970-01-01T00:00:00+08:00");
	ax__time_format(-28801, buf, sizeof buf);
	CHECK_STR(buf, "1969-12-31T23:59:59+08:00");
	for (int64_t t = 1700000000; t < 1700000000 + 400 * 86400LL; t += 86400 / 7 + 13) {
		int64_t back = 0;
		ax__time_format(t, buf, sizeof buf);
		if (ax__time_parse(buf, &back) || back != t) {
			CHECK_INT(back, t);
			break;
		}
	}

	/* CST days: the day ends at 16:00 UTC */
	{
		int64_t a, b, c;
		REQUIRE(ax__time_parse("2026-11-20T23:59:59+08:00", &a) == 0);
		REQUIRE(ax__time_parse("2026-11-20T16:00:00Z", &b) == 0);
		REQUIRE(ax__time_parse("2026-11-20T00:00:00+08:00", &c) == 0);
		CHECK_INT(a, 1795190399LL);
		CHECK_INT(b, a + 1);
		CHECK_INT(ax__cst_day(a), DAY_1120);
		CHECK_INT(ax__cst_day(b), DAY_1120 + 1);
		CHECK(ax__cst_day(a) != ax__cst_day(b));
		CHECK_INT(ax__cst_day(c), DAY_1120);
		CHECK_INT(ax__cst_day(c - 1), DAY_1120 - 1);
	}
	CHECK_INT(ax__cst_day(-28800), 0);
	CHECK_INT(ax__cst_day(-28801), -1); /* floors, not truncates */
	CHECK_INT(ax__cst_day(0), 0);

	/* day numbers as dates */
	ax__day_format(DAY_1120, buf, sizeof buf);
	CHECK_STR(buf, "2026-11-20");
	ax__day_format(11016, buf, sizeof buf);
	CHECK_STR(buf, "2000-02-29");
	ax__day_format(0, buf, sizeof buf);
	CHECK_STR(buf, "1970-01-01");
	ax__day_format(-1, buf, sizeof buf);
	CHECK_STR(buf, "1969-12-31");
	ax__day_format(2932896, buf, sizeof buf);
	CHECK_STR(buf, "9999-12-31");
	CHECK_INT(ax__day_parse("2026-11-20", &day), 0);
	CHECK_INT(day, DAY_1120);
	CHECK_INT(ax__day_parse("2000-02-29", &day), 0);
	CHECK_INT(day, 11016);
	CHECK(ax__day_parse("2026-02-29", &day) != 0);
	CHECK(ax__day_parse("2026-11-20T00:00", &day) != 0);
	CHECK(ax__day_parse("20261120", &day) != 0);
	CHECK(ax__day_parse(NULL, &day) != 0);
	/* round trip over 30 years of days */
	{
		int bad = 0;
		for (int d = 0; d < 366 * 30 && !bad; d++) {
			int back = -1;
			ax__day_format(d, buf, sizeof buf);
			if (ax__day_parse(buf, &back) || back != d) {
				CHECK_INT(back, d);
				bad = 1;
			}
		}
		CHECK(!bad);
	}
	return check_done();
}
