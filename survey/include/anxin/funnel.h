/*
 * funnel.h -- a campaign's SMS funnel within a region (targeted > sent >
 * delivered > replied > answered > completed: DESIGN.md "Rates done honestly"), a
 * region's weekly answer trend, and the small region and household
 * look-ups the staff dashboard needs.
 *
 * Read-only queries; one store handle per thread (see store.h).
 */
#ifndef ANXIN_FUNNEL_H
#define ANXIN_FUNNEL_H

#include "anxin.h"
#include "campaign.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Households at each stage.  Every stage counts distinct households and
 * is a subset of the stage before, so each share of `targeted` can be
 * read as "how far the campaign got": evidence of a later stage counts
 * for the earlier ones too (an SMS answer proves the message arrived,
 * even if the gateway lost its delivery report).
 */
struct ax_funnel {
	/* A closed campaign's figures are frozen at its close: contacts and
	 * responses that arrived later are left out of every stage, and the
	 * households with a response that arrived later are counted in late
	 * (晚到, kept, shown apart). */
	long long households; /* active households in region ∩ campaign scope */
	long long targeted;   /* … with at least one phone number */
	long long sent;       /* targeted, with any of the stages below or an
	                         sms_sent contact */
	long long delivered;  /* … with replied or an sms_delivered contact */
	long long replied;    /* … with answered or an sms_replied contact (an
	                         SMS response record alone is not a reply: old
	                         gateways wrote "abandoned" ones for households
	                         that never replied) */
	long long answered;   /* … with completed or an SMS response of the
	                         survey and wave with at least one answer
	                         (partial or complete); 0 for outreach-only */
	/* targeted households whose counted complete response to the
	 * campaign's survey and wave came by SMS (0 for outreach-only) */
	long long completed;
	long long late; /* households with a response received after the close */
	/* households in region ∩ scope with a counted complete response of
	 * the wave on any channel (kiosk, SMS, visit) */
	long long completed_any;
};

/*
 * The funnel of campaign c (borrowed) inside region code `region`
 * (borrowed; NULL: the campaign's whole scope).  Contacts carry no
 * campaign id, so they are attributed by time (the campaign window
 * [starts_at, ends_at)) and place (the campaign's scope); responses by the
 * campaign's survey and wave.  Two campaigns overlapping in time and place
 * therefore share their contacts.
 *
 * Cost: one pass over the region's active households with index probes
 * (contacts_reach, responses_household): O(households in region).
 * AX_NOTFOUND when region is not a region code.
 */
ax_rc ax_funnel_build(ax_store *st, const struct ax_campaign *c,
                      const char *region, struct ax_funnel *out);

/* ---- weekly trend ----------------------------------------------------- */
/* One ISO week (Monday to Sunday, China time) of answers in a region. */
struct ax_trend_week {
	char from[11], to[11]; /* YYYY-MM-DD of its Monday and Sunday */
	int isoweek;           /* ISO 8601 week number */
	long long respondents; /* counted responses */
	/* awareness summed over topics: passes / (respondent, topic) pairs */
	long long aw_num, aw_den;
	/* the headline 满意度 (metrics.h ax_official_survey_set): satisfied /
	 * answered */
	long long sat_num, sat_den;
};

/*
 * The `nweeks` weeks ending with the week that holds `to` (YYYY-MM-DD;
 * NULL: today, China time) for region `region` (borrowed), filtered like
 * ax_report_build (survey, channel: NULL for all; sampled 测评 waves left
 * out, as there without a wave).  out holds nweeks
 * entries, oldest first.  The counts equal those of ax_report_build with
 * from/to set to each week, from one query over the pre-aggregated tally
 * instead of one report per week (which would also recount coverage).
 * AX_NOTFOUND for an unknown region code, AX_INVALID for a bad date or
 * nweeks outside 1..104.
 */
ax_rc ax_trend_weeks(ax_store *st, const char *region, const char *survey,
                     const char *channel, const char *to, int nweeks,
                     struct ax_trend_week *out);

/*
 * 宣传入户率 week by week, cumulative: of region's active households
 * (*households), how many had a qualifying contact (kinds; 0:
 * AX_CK_DEFAULT, as the report counts) from `from` (YYYY-MM-DD; NULL: the
 * Monday of the first week) to the Sunday of each of the `nweeks` weeks
 * ending with the week that holds `to` (NULL: today), into reached[i],
 * oldest first: the figure the report gives for from..that Sunday.  A
 * week that ends before `from` is 0.  One query over the region's
 * households and their contacts (contacts_reach).  AX_NOTFOUND for an
 * unknown region, AX_INVALID for a bad date or nweeks outside 1..104.
 *
 * camp (NULL: none): a campaign's coverage as its report counts it --
 * the households of its roster as it stood for it (store.c v14) within
 * its scope and the region, contacts from its start (or `from`, if later)
 * to its end, none received after its close (晚到); kinds 0 are the
 * campaign's own.  The week holding its last day then shows the
 * campaign's headline coverage, whatever the roster became since.
 */
struct ax_campaign;
ax_rc ax_coverage_weeks(ax_store *st, const char *region, int kinds,
                        const char *from, const char *to, int nweeks,
                        const struct ax_campaign *camp,
                        long long *households, long long *reached);

/* ---- look-ups --------------------------------------------------------- */
/* One region of the tree. */
struct ax_region {
	char code[24];
	char name[128];
	int level;       /* -1 province, 0 city, 1 county .. 4 grid */
	char parent[24]; /* "" for the county */
};

/* Look a region up by code (borrowed); AX_NOTFOUND if unknown. */
ax_rc ax_region_get(ax_store *st, const char *code, struct ax_region *out);

/*
 * The region (grid, or village when the roster gave no grid) of a
 * household and whether it is active.  AX_NOTFOUND if it is not in the
 * roster.  `household` is borrowed; grid gets a copy.
 */
ax_rc ax_household_region(ax_store *st, const char *household, char grid[24],
                          int *active);

#ifdef __cplusplus
}
#endif
#endif
