/*
 * ratedef_int.h -- which counts may be summed into one rate (ratedef.c):
 * a rate is its definition (scale, positive and 说不清 options), and
 * surveys' counts are added only when their definitions are identical.
 */
#ifndef ANXIN_RATEDEF_INT_H
#define ANXIN_RATEDEF_INT_H

#include <stddef.h>

#include "anxin/content.h"
#include "anxin/metrics.h"

/* One rule of the latest installed version of a survey. */
struct ax__def {
	char survey[AX_SURVEY_ID_MAX];
	char rate[32];  /* further rate id; "" for the satisfaction rule */
	char group[AX_SURVEY_ID_MAX]; /* first survey id with this definition */
	char *sig;      /* the definition as text (owned) */
	const struct ax_survey *sv; /* borrowed from ax__defs.content */
	int rule;       /* index in sv->rates; -1 for satisfaction */
	int order;      /* survey and rule order in the content */
	int main;       /* the definition its rate id reports under */
	int answered;   /* satisfaction: the survey has answers to it */
};

struct ax__defs {
	struct ax__def *v;
	int n, cap;
	int one_survey; /* a report of one survey: nothing to keep apart */
	char official[AX_SURVEY_ID_MAX]; /* ax_official_survey_get */
	ax_content *content; /* owned; NULL when the store has none */
	/* the definition of the headline 满意度; NULL when there is none */
	const struct ax__def *headline;
};

/* Read the definitions of the installed surveys; survey: the report's
 * survey filter (NULL: all).  Free with ax__defs_free (also on error). */
ax_rc ax__defs_load(ax_store *st, const char *survey, struct ax__defs *d);
void ax__defs_free(struct ax__defs *d);
const struct ax__def *ax__defs_find(const struct ax__defs *d,
                                    const char *survey, const char *rate);

/*
 * The report key a count of (survey, rate) goes under: rate ("" for
 * satisfaction) when its definition is the one the plain id stands for,
 * else "rate@group" ("sat@group" for satisfaction), a rate of its own.
 * Returns 1 when the count is the headline 满意度.
 */
int ax__defs_key(const struct ax__defs *d, const char *survey,
                 const char *rate, char *key, size_t n);
/* 1 when survey's satisfaction counts in the headline 满意度. */
int ax__defs_headline(const struct ax__defs *d, const char *survey);
/* Name, target and 说不清 of a "rate@group" key, and its place among the
 * report's rates; -1 when key is a plain id. */
int ax__defs_info(const struct ax__defs *d, const char *key,
                  struct ax_rate_info *info, int *order);

#endif
