/*
 * test_wilson.c -- 95 % Wilson score intervals and ax_rate_make.
 *
 * Expected bounds were computed outside the library, with python3 from
 * the textbook formula (z = 1.959964):
 *   centre = (p + z²/2n) / (1 + z²/n)
 *   half   = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)
 * e.g. 90/100 -> [0.825634, 0.944771], 1/2 -> [0.094531, 0.905469].
 * The first four also match published tables (27/30 -> 0.744-0.965).
 */
#include "anxin/metrics.h"
#include "check.h"

static void wilson(long long num, long long den, double lo, double hi)
{
	double l = -1, h = -1;

	ax_wilson(num, den, &l, &h);
	CHECK_NEAR(l, lo, 0.001);
	CHECK_NEAR(h, hi, 0.001);
	CHECK(l <= h);
	CHECK(l >= 0 && h <= 1);
}

int main(void)
{
	struct ax_rate r;

	wilson(27, 30, 0.744, 0.965);
	wilson(45, 50, 0.786, 0.957);
	wilson(30, 30, 0.886, 1.000);
	wilson(0, 10, 0.000, 0.278);
	wilson(90, 100, 0.825634, 0.944771);
	wilson(1, 2, 0.094531, 0.905469);
	wilson(5, 12, 0.193260, 0.680489);
	wilson(1, 1, 0.206549, 1.000);

	/* the edges are exact, not 0.99999… */
	{
		double l, h;
		ax_wilson(30, 30, &l, &h);
		CHECK(h == 1.0);
		ax_wilson(0, 10, &l, &h);
		CHECK(l == 0.0);
		ax_wilson(0, 0, &l, &h);
		CHECK(l == 0.0 && h == 0.0);
	}

	/* ax_rate_make: rate, interval and the small-sample flag */
	ax_rate_make(&r, 27, 30);
	CHECK_INT(r.num, 27);
	CHECK_INT(r.den, 30);
	CHECK_NEAR(r.rate, 0.9, 1e-12);
	CHECK_NEAR(r.low, 0.743789, 0.0001);
	CHECK_NEAR(r.high, 0.965400, 0.0001);
	CHECK_INT(r.small_sample, 0); /* 30 is enough */

	ax_rate_make(&r, 27, 29);
	CHECK_INT(r.small_sample, 1); /* 29 is not */
	CHECK_NEAR(r.rate, 27.0 / 29.0, 1e-12);

	ax_rate_make(&r, 0, 0);
	CHECK_NEAR(r.rate, 0, 0);
	CHECK_NEAR(r.low, 0, 0);
	CHECK_NEAR(r.high, 0, 0);
	CHECK_INT(r.small_sample, 1);

	ax_rate_make(&r, 90, 100);
	CHECK_NEAR(r.rate, 0.9, 1e-12);
	CHECK_NEAR(r.low, 0.825634, 0.0001);
	CHECK_NEAR(r.high, 0.944771, 0.0001);
	CHECK_INT(r.small_sample, 0);

	ax_rate_make(&r, 1, 2);
	CHECK_NEAR(r.rate, 0.5, 1e-12);
	CHECK_NEAR(r.low, 0.094531, 0.0001);
	CHECK_NEAR(r.high, 0.905469, 0.0001);
	CHECK_INT(r.small_sample, 1);
	return check_done();
}
