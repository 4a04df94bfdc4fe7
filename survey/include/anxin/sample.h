/*
 * sample.h -- sampled 测评 campaigns: a stratified random sample of the
 * active households with a mobile number, drawn reproducibly when the
 * campaign is created and stored with each household's stratum and
 * inclusion probability; and the report of such a campaign: AAPOR
 * dispositions, response rate RR1, contact rate, and the design-weighted
 * estimate of every rate with its interval beside the unweighted one.
 *
 * The draw (ax_campaign_create with sample_n > 0):
 *  - frame: active households of the campaign's scope with at least one
 *    phone number (the roster keeps only mobile numbers), in strata by
 *    township or village (the household's grid code cut to 9 or 12
 *    digits);
 *  - allocation: proportional, n_h = n N_h / N, rounded by largest
 *    remainder: every stratum gets floor(n N_h / N), and the units left
 *    go one each to the strata with the largest fractional parts (ties:
 *    the larger frame, then the lower stratum code).  A stratum whose
 *    share rounds to 0 draws nobody; its frame size is still stored;
 *  - selection: simple random sampling without replacement inside each
 *    stratum by permanent random numbers: each household gets the key
 *    splitmix64(seed XOR FNV-1a-64(household id)) and the n_h smallest
 *    keys are drawn.  Same seed and same roster give the same sample,
 *    whatever order the store returns rows in;
 *  - inclusion probability pi_h = n_h / N_h.
 *
 * The estimator (ax_sample_report_build), written out in docs/ and in
 * tests/unit/test_sample.c with a worked example:
 *  - respondents are the sampled households with a counted complete
 *    response of the campaign's survey and wave (partial ones count for
 *    the dispositions, not the estimates);
 *  - weight of a respondent of stratum h: w_h = 1/pi_h x n_h/r_h =
 *    N_h / r_h (the design weight, adjusted for non-response inside the
 *    stratum; r_h respondents of n_h drawn);
 *  - a rate is a ratio R = sum w y / sum w x (y: counts as positive, x:
 *    in the denominator, i.e. answered and not 说不清);
 *  - variance by Taylor linearisation for a stratified ratio, respondents
 *    of a stratum taken as a simple random sample of its frame:
 *    V = 1/X^2 sum_h N_h^2 (1 - r_h/N_h) s_h^2 / r_h, s_h^2 the sample
 *    variance of z = y - R x in stratum h (a stratum with one respondent
 *    adds nothing and is counted in `single_strata`);
 *  - interval: Wilson's 95 % score interval with the effective sample
 *    size n_eff = R(1-R)/V (Korn and Graubard's idea for a proportion
 *    from a complex sample); when R is 0 or 1, or V is 0, n_eff is the
 *    unweighted denominator, so a sample of 12 "all satisfied" is never
 *    read as a proven 100 %.
 *
 * Not thread-safe per store handle (see store.h).
 */
#ifndef ANXIN_SAMPLE_H
#define ANXIN_SAMPLE_H

#include "anxin.h"
#include "campaign.h"
#include "metrics.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Strata: the region level households are grouped by. */
#define AX_STRATA_TOWNSHIP 2
#define AX_STRATA_VILLAGE 3

/* "township" -> AX_STRATA_TOWNSHIP, "village" -> AX_STRATA_VILLAGE, else
 * -1.  Names back (static strings; "" for anything else). */
int ax_strata_parse(const char *name);
const char *ax_strata_name(int strata);

/* One stratum of a draw. */
struct ax_stratum {
	char code[24];    /* region code of the township or village */
	char name[128];   /* its name from the region table */
	long long frame;  /* N_h: households of the frame in it */
	long long sample; /* n_h: drawn */
	long long complete; /* r_h: drawn with a counted complete response
	                     * (filled by ax_sample_report_build only) */
};

/* One drawn household. */
struct ax_sample_unit {
	char household[64];
	char stratum[24];
	double prob; /* inclusion probability n_h / N_h */
};

/* The strata of campaign `id` (borrowed), in code order; caller frees
 * *out with ax_free.  AX_NOTFOUND when the campaign was not sampled. */
ax_rc ax_sample_strata(ax_store *st, const char *id, struct ax_stratum **out,
                       int *n);
/* The drawn households, by stratum then household id; caller frees. */
ax_rc ax_sample_units(ax_store *st, const char *id,
                      struct ax_sample_unit **out, int *n);
/* 1 when household was drawn for campaign id, 0 when not, -1 when the
 * campaign is not a sampled one (or on error). */
int ax_sample_has(ax_store *st, const char *id, const char *household);

/* ---- the report of a sampled campaign --------------------------------- */

/*
 * AAPOR final dispositions of the drawn households, from the records
 * (contacts in the campaign window, responses of its survey and wave),
 * each household in the first class that applies:
 *   complete (I)     a counted complete response, any channel
 *   partial (P)      a response with answers that is not that
 *   refused (R)      replied (sms_replied) without answering: refusals,
 *                    退订 and break-offs before the first answer
 *   noncontact (NC)  the message was delivered, no reply
 *   unknown (UH)     no delivery confirmed (not sent yet, sent with no
 *                    delivery report, a dead number): eligibility unknown
 * Every drawn household is in the frame, hence eligible; unknowns are all
 * counted eligible (e = 1), which makes RR1 the most conservative rate:
 *   RR1 = I / (I + P + R + NC + UH)
 *   contact rate CON1 = (I + P + R) / (I + P + R + NC + UH)
 */
struct ax_dispositions {
	long long drawn, complete, partial, refused, noncontact, unknown;
	double rr1, contact_rate;
};

/* A design-weighted estimate beside the unweighted rate. */
struct ax_estimate {
	char id[32];    /* "sat", a further rate's id, or "aw:TOPIC" */
	char name[64];  /* 满意度, 安全感, 知晓率·TOPIC ... */
	double target;
	struct ax_rate unweighted; /* respondents' num/den, Wilson */
	long long dont_know;       /* respondents who answered 说不清 */
	double est;        /* weighted ratio estimate */
	double se;         /* Taylor-linearised standard error */
	double low, high;  /* Wilson interval on n_eff */
	double n_eff;      /* effective sample size used */
	double deff;       /* design effect V / (R(1-R)/n); 0 when undefined */
	int single_strata; /* strata with one respondent: no variance part */
	int met;           /* ax_estimate_verdict is AX_VERDICT_MET */
};

#define AX_SAMPLE_MAX_EST (2 + AX_MAX_RATES + AX_MAX_TOPICS)

struct ax_sample_report {
	struct ax_campaign c;
	int strata_level;
	int nstrata;
	struct ax_stratum *strata;
	struct ax_dispositions disp;
	int nest;
	struct ax_estimate est[AX_SAMPLE_MAX_EST];
};

/* The report of sampled campaign `id` (borrowed).  AX_NOTFOUND when there
 * is no such campaign or it was not sampled.  Cost: O(drawn households)
 * index probes.  Caller frees with ax_sample_report_free. */
ax_rc ax_sample_report_build(ax_store *st, const char *id,
                             struct ax_sample_report **out);
void ax_sample_report_free(struct ax_sample_report *r); /* accepts NULL */

/* For a viewer below the county role (metrics.h ax_rate_suppress): an
 * estimate whose respondents (说不清 included) are fewer than `below` is
 * zeroed and marked unweighted.suppressed.  Dispositions (who was
 * reached) stay.  below 0: nothing changes. */
void ax_sample_report_suppress(struct ax_sample_report *r, int below);

/* Reports of every sampled campaign (closed ones too), newest first;
 * *n may be 0.  Caller frees each with ax_sample_report_free and the
 * array with ax_free. */
ax_rc ax_sample_reports(ax_store *st, struct ax_sample_report ***out, int *n);

/* Render; caller frees with ax_free.  JSON is one object; the table is
 * for a terminal; CSV is UTF-8 with a BOM, one row per estimate. */
char *ax_sample_report_json(const struct ax_sample_report *r);
char *ax_sample_report_table(const struct ax_sample_report *r);
char *ax_sample_report_csv(const struct ax_sample_report *r);

/* The pure estimator, for tests and for callers with their own data: one
 * respondent's stratum index (into strata) and y, x as above. */
struct ax_sample_obs {
	int stratum;
	int y, x;
};
/* strata[h].frame must be set; r_h is the number of observations of
 * stratum h, so every respondent must be passed (x = 0 for one outside
 * the rate's denominator).  Fills every field but id, name, target, met
 * and dont_know. */
void ax_sample_estimate(const struct ax_stratum *strata, int nstrata,
                        const struct ax_sample_obs *obs, int nobs,
                        struct ax_estimate *out);
/* The estimate's 达标 / 未达标 / 样本不足 / <5 / 无数据: the weighted
 * estimate and its interval judged by ax_verdict_of, the one verdict
 * every report, export and page uses. */
enum ax_verdict ax_estimate_verdict(const struct ax_estimate *e);

#ifdef __cplusplus
}
#endif
#endif
