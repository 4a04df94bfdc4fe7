/*
 * check.h -- a minimal test harness: CHECK keeps going and counts,
 * REQUIRE stops the test.  Each test program prints one line per failed
 * check and exits non-zero if any failed.
 */
#ifndef AX_TEST_CHECK_H
#define AX_TEST_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures, check_count;

#define CHECK(cond)                                                        \
	do {                                                                   \
		check_count++;                                                     \
		if (!(cond)) {                                                     \
			check_failures++;                                              \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__,        \
			        __LINE__, #cond);                                      \
		}                                                                  \
	} while (0)

#define REQUIRE(cond)                                                      \
	do {                                                                   \
		check_count++;                                                     \
		if (!(cond)) {                                                     \
			fprintf(stderr, "%s:%d: required: %s\n", __FILE__, __LINE__,   \
			        #cond);                                                \
			exit(1);                                                       \
		}                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                    \
	do {                                                                   \
		const char *a_ = (a), *b_ = (b);                                   \
		check_count++;                                                     \
		if (!a_ || !b_ || strcmp(a_, b_) != 0) {                           \
			check_failures++;                                              \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n",      \
			        __FILE__, __LINE__, #a, a_ ? a_ : "(null)",            \
			        b_ ? b_ : "(null)");                                   \
		}                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                    \
	do {                                                                   \
		long long a_ = (long long)(a), b_ = (long long)(b);                \
		check_count++;                                                     \
		if (a_ != b_) {                                                    \
			check_failures++;                                              \
			fprintf(stderr, "%s:%d: %s == %lld, expected %lld\n",          \
			        __FILE__, __LINE__, #a, a_, b_);                       \
		}                                                                  \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                              \
	do {                                                                   \
		double a_ = (a), b_ = (b);                                         \
		check_count++;                                                     \
		if (fabs(a_ - b_) > (eps)) {                                       \
			check_failures++;                                              \
			fprintf(stderr, "%s:%d: %s == %.6f, expected %.6f\n",          \
			        __FILE__, __LINE__, #a, a_, b_);                       \
		}                                                                  \
	} while (0)

static inline int check_done(void)
{
	if (check_count == 0) {
		fprintf(stderr, "no checks ran\n");
		return 1;
	}
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures ? 1 : 0;
}

#endif
