/*
 * items.h -- item analysis of a quiz (a survey's scored knowledge
 * questions), as exam platforms report it (Moodle's quiz statistics):
 * how many answered each question, the share who got it right (facility
 * index), whether it tells those who know from those who do not
 * (discrimination index), and how the answers spread over the options.
 * It says which questions teach nothing (everybody knows the answer),
 * which nobody gets right (a wrong key, or a pack that does not teach
 * it) and which distractors fool nobody.
 *
 * Only aggregates leave the library: no per-household answer, id or
 * region is ever in the result.
 *
 * Definitions (the numbers of the CLI, the dashboard and the tests):
 *  - respondents: the complete responses that count (counted = 1, one
 *    per household, survey and wave) to the survey version, in the
 *    scope (a region covers the codes that extend its significant prefix,
 *    as ax_region_covers decides).
 *  - a respondent's total score: the shown knowledge questions answered
 *    right (ax_response_score).
 *  - n of a question: respondents to whom it was shown and who answered
 *    it.  A shown question left unanswered scores as wrong in the total
 *    but is not in the question's n.
 *  - facility: right / n.
 *  - discrimination: of the question's n respondents, sorted by total
 *    score and then by response id (ascending), the last n_group form the
 *    upper group and the first n_group the lower group, n_group =
 *    max(1, round(0.27 n)) with halves rounded up (computed in integers:
 *    (27 n + 50) / 100).  The index is the share right in the upper
 *    group minus the share right in the lower group, in [-1, 1].  Ties in
 *    total score across a group boundary are cut by response id, so the
 *    split is deterministic (and arbitrary among equal scores: a quiz of
 *    few questions has many ties, which is why the flag below waits for
 *    n >= 30).  The question's own answer is part of the total, as in
 *    Kelley's classic index.
 *  - option share: respondents who chose the option / n.
 *
 * Thread-safety: one store handle per thread (store.h); the result is a
 * plain value owned by the caller.
 */
#ifndef ANXIN_ITEMS_H
#define ANXIN_ITEMS_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags of a question; each needs enough answers to mean anything. */
enum ax_item_flag {
	AX_ITEM_NOBODY_FAILS = 1 << 0,     /* facility = 1 with n >= 10 */
	AX_ITEM_EVERYBODY_FAILS = 1 << 1,  /* facility = 0 with n >= 10 */
	AX_ITEM_DEAD_DISTRACTOR = 1 << 2,  /* a wrong option chosen by nobody,
	                                      n >= 20 */
	AX_ITEM_LOW_DISCRIMINATION = 1 << 3, /* discrimination < 0.2, n >= 30 */
};
#define AX_ITEM_FLAG_MIN_N_FACILITY 10
#define AX_ITEM_FLAG_MIN_N_DISTRACTOR 20
#define AX_ITEM_FLAG_MIN_N_DISCRIMINATION 30
#define AX_ITEM_LOW_DISCRIMINATION_BELOW 0.2

/* Chinese label of one flag bit (无人答错 …), NULL for anything else. */
const char *ax_item_flag_label(int bit);
/* Stable English name of one flag bit ("nobody_fails" …), or NULL. */
const char *ax_item_flag_name(int bit);

struct ax_item_option {
	char *code, *label; /* owned by the result */
	int correct;        /* 1 for the answer key */
	long long chosen;   /* respondents in n who chose it */
	double share;       /* chosen / n, 0 when n is 0 */
};

struct ax_item {
	char *id, *text, *topic; /* owned by the result; topic may be NULL */
	long long shown;         /* respondents to whom it was shown */
	long long n;             /* … and who answered it */
	long long right;         /* … right */
	double facility;         /* right / n, 0 when n is 0 */
	int n_group;             /* size of the upper and lower groups, 0 if n = 0 */
	long long upper_right, lower_right; /* right in each group */
	double discrimination; /* (upper_right - lower_right) / n_group */
	int noptions;
	struct ax_item_option *options; /* in the question's option order */
	int flags;                      /* enum ax_item_flag bits */
};

struct ax_items {
	char survey[64];
	int version;      /* the version analysed */
	char *title;      /* the survey's title, owned */
	char scope[24];   /* region code, "" for the whole store */
	char scope_name[128]; /* its name, "" for the whole store */
	long long respondents;
	long long max_score;  /* scored knowledge questions of the survey */
	double mean_score;    /* mean total score, 0 without respondents */
	int nitems;
	struct ax_item *items; /* scored knowledge questions, survey order */
};

/*
 * Analyse survey `survey_id` (borrowed) at `version_or_0` (0: the latest
 * installed version; answers to other versions are left out, their
 * questions may differ) within region `scope_or_NULL` (borrowed; NULL:
 * the whole store).
 *
 * Cost: one pass over the survey version's rows in responses (no index
 * serves a survey, so the table is scanned), parsing each counted
 * complete answer set in scope, then a sort of the respondents:
 * O(R log R + R q) time and O(R q) memory for R respondents and q
 * questions.
 *
 * Returns AX_OK with *out (caller frees with ax_items_free); AX_NOTFOUND
 * when the survey (version) is not installed or the scope is not a known
 * region; AX_INVALID when the survey has no scored knowledge question;
 * AX_NOMEM; a store error.  Messages on the store (ax_store_errmsg).
 * On failure *out is NULL.
 */
ax_rc ax_items_build(ax_store *st, const char *survey_id, int version_or_0,
                     const char *scope_or_NULL, struct ax_items **out);

/* Free a result; accepts NULL. */
void ax_items_free(struct ax_items *it);

/*
 * Render a result; each returns a string the caller frees with ax_free(),
 * NULL when out of memory.
 *   json:  {"survey":…,"items":[{"id":…,"n":…,"facility":…,…}]}, rates
 *          rounded to 4 decimals, null where n is 0;
 *   csv:   UTF-8 with BOM for Excel, one row per option of each question
 *          (the question's figures repeated), Chinese headers, through
 *          the one CSV writer (csv.h);
 *   table: for a terminal, aligned, Chinese headers.
 */
char *ax_items_json(const struct ax_items *it);
char *ax_items_csv(const struct ax_items *it);
char *ax_items_table(const struct ax_items *it);

#ifdef __cplusplus
}
#endif
#endif
