/*
 * metrics.h -- the rates, computed honestly (DESIGN.md "Rates done
 * honestly"): every rate carries numerator, denominator, a 95 % Wilson
 * interval and a small-sample flag; counts are summed up the region tree
 * (grid > village > township > county), never averaged.
 *
 * The report is the one query layer that the CLI, the dashboard and the
 * exports all read.
 */
#ifndef ANXIN_METRICS_H
#define ANXIN_METRICS_H

#include "anxin.h"
#include "campaign.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AX_SMALL_SAMPLE 30       /* n below this is flagged */
#define AX_TARGET_COVERAGE 1.0   /* 宣传入户率 100 % */
#define AX_TARGET_AWARENESS 0.9  /* 知晓率 ≥ 90 % */
#define AX_TARGET_SATISFACTION 0.9 /* 满意度 ≥ 90 % */

struct ax_rate {
	long long num, den;
	double rate;       /* num/den, 0 when den is 0 */
	double low, high;  /* 95 % Wilson score interval */
	int small_sample;  /* den < AX_SMALL_SAMPLE */
	/* fewer respondents than the viewer may see (ax_rate_suppress):
	 * num, den, rate and interval are 0, every output shows "<5" */
	int suppressed;
	/* a full count, not a sample (宣传入户率 counts every roster
	 * household): exact, so low = high = rate, never small_sample, and
	 * no output prints an interval or a small-sample mark for it */
	int census;
};

/* Fill r from num/den (num <= den). */
void ax_rate_make(struct ax_rate *r, long long num, long long den);
/* Fill r as a full count (census set; see above). */
void ax_rate_census(struct ax_rate *r, long long num, long long den);

/*
 * Answers stay confidential: below the county role, an answer-based
 * cell (awareness, satisfaction, 安全感 ...) counting fewer than
 * AX_SUPPRESS_BELOW respondents is not shown, only "<5" -- with one or
 * two answers in a grid, the rate would tell who answered what.
 * Coverage (who was reached) is never suppressed: grid workers need it.
 */
#define AX_SUPPRESS_BELOW 5
#define AX_SUPPRESSED_TEXT "<5"
/* Suppress r when `respondents` (those who answered the question,
 * 说不清 included) is positive and under `below` (0: never).  Returns 1
 * when it did: the numbers are zeroed, not merely hidden, so an output
 * that forgets the flag still leaks nothing. */
int ax_rate_suppress(struct ax_rate *r, long long respondents, int below);

/*
 * The one verdict of a rate against its target, used by every output
 * (report table/CSV/JSON, dashboard, XLSX):
 *   AX_VERDICT_NONE        den = 0: nothing to judge
 *   AX_VERDICT_MET         rate >= target (and, for a sample, den >= 30)
 *   AX_VERDICT_UNMET       rate < target, or a small sample whose whole
 *                          95 % interval lies below the target
 *   AX_VERDICT_SMALL       a sample with den < 30 whose interval still
 *                          reaches the target: neither proven met nor
 *                          proven short ("样本不足")
 *   AX_VERDICT_SUPPRESSED  the rate is hidden from the viewer ("<5")
 * `census` is 1 for coverage: the roster counts every household, so a
 * small grid's coverage is exact and never 样本不足.
 */
enum ax_verdict {
	AX_VERDICT_NONE,
	AX_VERDICT_MET,
	AX_VERDICT_UNMET,
	AX_VERDICT_SMALL,
	AX_VERDICT_SUPPRESSED
};
enum ax_verdict ax_verdict_of(const struct ax_rate *r, double target,
                              int census);
/* Several rates judged together (知晓率 over every topic): 未达标 when
 * any is, else hidden when any is, else 样本不足 when any is or has no
 * answers, else 达标; NONE when n is 0 or none has answers. */
enum ax_verdict ax_verdict_all(const enum ax_verdict *v, int n);
/* 无数据 / 达标 / 未达标 / 样本不足 / <5 */
const char *ax_verdict_label(enum ax_verdict v);
/* "none" / "met" / "unmet" / "small" / "suppressed" (JSON) */
const char *ax_verdict_id(enum ax_verdict v);

/* The 95 % Wilson score interval of num/den; [0,0] when den is 0. */
void ax_wilson(long long num, long long den, double *low, double *high);

#define AX_SURVEY_ID_MAX 64

/*
 * The survey whose 满意度 is the headline one (the county's official 测评
 * wording): surveys define satisfaction differently (which options count
 * as satisfied, whether 说不清 is left out), and differently defined rates
 * are never summed.  A report over all surveys gives as 满意度 the
 * designated survey's rate, summed with surveys whose rule is identical;
 * every other survey's 满意度 is a rate of its own ("sat@ID", named
 * 满意度（问卷名称）).  Without a designation the headline exists only
 * when every survey with satisfaction answers defines it the same way.
 * set: id NULL or "" clears it; AX_INVALID when the survey is not
 * installed or has no satisfaction rule.  get: "" when none.
 */
ax_rc ax_official_survey_set(ax_store *st, const char *id);
ax_rc ax_official_survey_get(ax_store *st, char out[AX_SURVEY_ID_MAX]);

#define AX_MAX_TOPICS 16
#define AX_MAX_RATES 16 /* further rates a report shows (安全感 ...) */

/* A further rate as the surveys define it (content.h ax_rate_rule). */
struct ax_rate_info {
	char id[32];
	char name[64];  /* the id when no installed survey names it */
	double target;  /* 0 < target <= 1 */
	int has_dont_know; /* its question has a 说不清 option to count apart */
};
#define AX_NCHANNELS 3 /* kiosk, sms, visit */

struct ax_report_row {
	char code[24];
	char name[128];
	int level; /* -1 province, 0 city, 1 county, 2 township, 3 village, 4 grid */
	int depth; /* 0 for the scope itself */
	long long households, reached;
	struct ax_rate coverage;
	/* with ax_report_opts.pack: households reached by a contact carrying
	 * one of those packs, and its coverage (平安家庭 知识宣传入户率) */
	long long reached_pack;
	struct ax_rate coverage_pack;
	long long respondents;
	long long respondents_by_channel[AX_NCHANNELS];
	long long set_aside; /* complete but too fast to have been read: kept,
	                      * not in respondents or any rate */
	long long set_aside_repeat; /* complete, but the same survey again in
	                             * one kiosk visit: kept, not counted */
	long long set_aside_late; /* complete, but its campaign was closed
	                           * before it arrived (晚到): kept, not
	                           * counted, so closed figures stay */
	struct ax_rate awareness[AX_MAX_TOPICS]; /* indexed like report topics */
	struct ax_rate satisfaction;
	long long sat_dont_know; /* answered 说不清: in no denominator; 0 when
	                          * satisfaction is suppressed */
	double mean_score; /* mean of the satisfaction question's scores */
	enum ax_verdict verdict_coverage, verdict_awareness, verdict_satisfaction;
	struct ax_rate rates[AX_MAX_RATES];      /* indexed like report rates */
	long long rates_dont_know[AX_MAX_RATES]; /* left out of rates[k].den */
	enum ax_verdict verdict_rates[AX_MAX_RATES];
};

struct ax_report {
	int nrows;
	struct ax_report_row *rows;
	int ntopics;
	char topics[AX_MAX_TOPICS][32]; /* topic ids with any answers */
	int nrates;
	struct ax_rate_info rates[AX_MAX_RATES]; /* rates with any answers */
	/* the targets the rows were judged by: the survey's own rules when the
	 * report is of one survey that sets them, else the county defaults */
	double target_awareness, target_satisfaction;
	/* the survey whose rule defines satisfaction (with those sharing it
	 * exactly); "" when no installed survey's rule is the headline one
	 * (ax_official_survey_set): then each survey's 满意度 is a rate */
	char sat_survey[AX_SURVEY_ID_MAX];
	/* what was asked, for headers */
	char scope[24], survey[64], channel[16], from[11], to[11];
	char pack[256]; /* the packs of coverage_pack, "" when not asked */
	int contact_kinds;
	/* 0: 日常监测, the answers of whoever answered (every wave but those of
	 * sampled 测评 campaigns); 1: the wave asked for is a sampled 测评
	 * campaign's and the rates are its unweighted ones (sample.h has the
	 * weighted estimates) */
	int sampled;
	int suppress_below; /* as asked: cells under it show "<5" */
	/* with ax_report_opts.campaign: its id and name, and when it was
	 * closed (0: open; its figures are frozen once closed) */
	char campaign_id[64], campaign_name[128];
	long long campaign_closed_at;
};

struct ax_report_opts {
	const char *scope;   /* region code; NULL: the top region (province, else
	                        city, else county; the first by code) */
	const char *survey;  /* survey id; NULL: all surveys */
	/* wave; NULL: all waves but sampled 测评 ones.  A campaign's wave
	 * also takes its households from the campaign's roster during its
	 * window within its scope, and their coverage from contacts (of the
	 * kinds given) in that window received before its close; answers
	 * stay filtered by the window, survey and scope given */
	const char *wave;
	const char *channel; /* kiosk|sms|visit; NULL: all */
	const char *from;    /* YYYY-MM-DD inclusive, China time; NULL: open */
	const char *to;      /* YYYY-MM-DD inclusive; NULL: open */
	int depth;           /* levels below the scope to list (0 = scope only) */
	int contact_kinds;   /* qualifying contact kinds; 0: AX_CK_DEFAULT */
	/* packs (comma list, at most 8) whose contacts alone are also counted
	 * as coverage_pack, beside the all-packs coverage; NULL: not asked */
	const char *pack;
	/* answer-based cells with fewer respondents are suppressed
	 * (ax_rate_suppress): AX_SUPPRESS_BELOW for viewers below the county
	 * role, 0 for the county */
	int suppress_below;
	/* A campaign (its id or wave): every figure for it alone -- its wave,
	 * its survey, its window (from/to when not given), its coverage kinds
	 * (when contact_kinds is 0), its scope (the report's scope when not
	 * given and the campaign names one region; households outside its
	 * scope are left out), and the roster as it stood during the window
	 * (household_periods), so a later roster import does not move the
	 * figures.  Once the campaign is closed, contacts received after the
	 * close are left out (its late answers never count: the importer sets
	 * them aside as 晚到).  NULL: none. */
	const char *campaign;
};

/* The options ax_report_build uses for in->campaign: in with the
 * campaign's wave, survey, window, kinds and scope filled where in leaves
 * them open (v->o; v->c the campaign, its end the close when it closed
 * early), so exports list the same records as the report (the ledger's
 * detail sheets).  Without in->campaign, v->o is *in.  AX_INVALID for an
 * unknown campaign (message on the store).  v->o points into v. */
struct ax_campaign_view {
	struct ax_report_opts o;
	struct ax_campaign c;
	char from[16], to[16], scope[AX_SCOPE_MAX];
};
ax_rc ax_report_campaign_view(ax_store *st, const struct ax_report_opts *in,
                              struct ax_campaign_view *v);

/* Names of channels, indexed like respondents_by_channel. */
extern const char *const ax_channels[AX_NCHANNELS];

/*
 * Build the report.  Reads pre-aggregated counts (tally) and the roster;
 * cost is O(regions + households + tally rows in the window), not
 * O(responses).  Caller frees with ax_report_free().  AX_NOTFOUND when
 * the scope is not a known region (message on the store).
 */
ax_rc ax_report_build(ax_store *st, const struct ax_report_opts *opts,
                      struct ax_report **out);
void ax_report_free(struct ax_report *r);

/*
 * The county's question "which villages and grids are below target?":
 * the rows of level >= min_level (3: villages and grids, 4: grids) that
 * are 未达标 (AX_VERDICT_UNMET) on coverage, awareness, satisfaction or a
 * further rate, lowest coverage first (then by code).  Build r with the
 * depth that reaches those levels.  idx (borrowed, room for r->nrows)
 * gets the row indices; returns how many.
 */
int ax_report_below(const struct ax_report *r, int min_level, int *idx);

/* Render the report; caller frees the string with ax_free(). */
char *ax_report_json(const struct ax_report *r);  /* {"rows":[…],…} */
char *ax_report_csv(const struct ax_report *r);   /* UTF-8 with BOM, for Excel */
char *ax_report_table(const struct ax_report *r); /* terminal, aligned */

#ifdef __cplusplus
}
#endif
#endif
