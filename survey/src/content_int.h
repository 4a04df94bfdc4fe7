/*
 * content_int.h -- internals shared by the content files:
 *
 *   content.c        the ax_content object, topic names, lookups
 *   content_parse.c  JSON text into packs and surveys (load_dir, load_text)
 *   content_lint.c   located diagnostics, checked accessors, cross-checks
 *   content_bank.c   quiz banks: draw and shuffle
 *   content_guess.c  can a quiz be passed by guessing? (odds, strategies)
 *   content_json.c   canonical JSON; install into and load from the store
 *   content_review.c the reviewer's checklist, SMS as sent, 您
 *
 * Nothing here is part of the public API.
 */
#ifndef ANXIN_CONTENT_INT_H
#define ANXIN_CONTENT_INT_H

#include <jansson.h>

#include "anxin/content.h"
#include "anxin_int.h"

/* Packs and surveys in load order; every string they point to lives in
 * the arena, so one ax_content_free releases everything. */
struct ax_content {
	struct ax_arena arena;
	struct ax_pack *packs;
	int npacks, cap_packs;
	struct ax_survey *surveys;
	int nsurveys, cap_surveys;
	/* also report what weakens valid content as warnings and notes
	 * (AX__LINT_* bits): guessable quizzes (ax_content_lint_dir), and
	 * what a reviewer checks before publishing (ax_content_review_dir);
	 * never in the apps' loads */
	int lint;
};

#define AX__LINT_GUESS 1  /* guessing odds, self-justifying options */
#define AX__LINT_REVIEW 2 /* checklist, SMS as sent, 您 (content_review.c) */

/* ==== the object (content.c) =========================================== */
ax_content *ax__content_new(void); /* empty; NULL when out of memory */

/* A zeroed slot at the end of the list (owned by c; moves on the next
 * add), or NULL when out of memory. */
struct ax_pack *ax__content_add_pack(ax_content *c);
struct ax_survey *ax__content_add_survey(ax_content *c);

/* ==== parsing (content_parse.c) ========================================= */
/*
 * Parse one file's text as a "pack" or a "survey" and add it to c if it
 * has no errors; `file` names it in diagnostics, `dir` is a pack's folder
 * or a survey's (media paths are checked in it), or NULL.  Surveys resolve their refs
 * against the packs already in c.  Returns the number of errors reported.
 */
int ax__content_load_one(ax_content *c, const char *file, const char *kind,
                         const char *text, const char *dir, ax_diag_fn diag,
                         void *dctx);

/* ==== lint (content_lint.c) ============================================= */
/* One file being parsed: where its diagnostics go and how many errors it
 * had.  text is the whole (valid) JSON, re-scanned to locate a path. */
struct ax__lint {
	const char *file;
	const char *text;
	ax_diag_fn diag;
	void *dctx;
	int nerrors;
	struct ax_arena *arena; /* strings read by the accessors go here */
	int lint;               /* c->lint of the content being loaded */
};

/* A JSON path into buf ("questions/3/answer"), as ax__lerr takes it. */
#define AX__PATH(buf, ...) snprintf(buf, sizeof buf, __VA_ARGS__)

/* Report an error at the JSON value `path` ("" is the root) as
 * "file:line:col: message" and count it. */
void ax__lerr(struct ax__lint *L, const char *path, const char *fmt, ...)
    AX_PRINTF(3, 4);
/* The same, as a warning or a note: reported, not counted; the file is
 * still loaded. */
void ax__lwarn(struct ax__lint *L, const char *path, const char *fmt, ...)
    AX_PRINTF(3, 4);
void ax__lnote(struct ax__lint *L, const char *path, const char *fmt, ...)
    AX_PRINTF(3, 4);

/* Report fields of obj not in `allowed` (NULL-terminated). */
void ax__check_fields(struct ax__lint *L, json_t *obj, const char *path,
                      const char *const *allowed);

/* Checked accessors: the field `key` of obj, or NULL (0) after reporting
 * why not.  A missing field is an error only when required.  Strings are
 * copied into L->arena; the array is borrowed from obj. */
const char *ax__get_str(struct ax__lint *L, json_t *obj, const char *path,
                        const char *key, int required);
int ax__get_version(struct ax__lint *L, json_t *obj, const char *path);
json_t *ax__get_array(struct ax__lint *L, json_t *obj, const char *path,
                      const char *key, int required);

int ax__valid_id(const char *s);   /* 1 to 48 of a-z 0-9 - _ */
int ax__is_topic(const char *t);   /* one of ax_topics */

/* Report SMS text over max_segs segments, or over max_units characters
 * when max_units is not 0 (a digest must fit one segment). */
void ax__check_sms(struct ax__lint *L, const char *path, const char *text,
                   int max_segs, int max_units);

/* Report `id` if it is among the first n of `seen`; returns 1 if so. */
int ax__count_dups(struct ax__lint *L, const char *path, const char *what,
                   const char *id, const char *const *seen, int n);

/* show_if of every question of s: an existing, earlier question, its
 * options, and no cycle. */
void ax__check_show_if(struct ax__lint *L, struct ax_survey *s);

/* ==== quiz banks (content_bank.c) ====================================== */
/* "draw" and "shuffle" of survey s (questions and metrics parsed),
 * validated with located errors. */
void ax__parse_bank(struct ax__lint *L, json_t *root, struct ax_survey *s);

/* ==== guessing (content_guess.c) ====================================== */
/* Tapping strategies a guesser may follow, in the order reported. */
enum { AX__PICK_FIRST, AX__PICK_LAST, AX__PICK_LONGEST, AX__NPICKS };

/* What a guesser gets from one awareness rule. */
struct ax__guess {
	int asked; /* the rule's questions, show_if ignored (all shown) */
	int need;  /* fewest right answers that pass (ax__aware_passed) */
	/* answer sheets with `need` or more right, of all sheets; both 0 when
	 * the number of sheets overflows 64 bits (p is then from doubles) */
	unsigned long long ways, total;
	double p;               /* a uniform random guesser passes */
	int score[AX__NPICKS];  /* right answers of each strategy */
	int nlongest;           /* questions whose answer is strictly longest */
	int show_if;            /* some question of the rule has a show_if */
};

/* Option length in code points (字数); 0 for NULL. */
int ax__option_len(const char *label);
/* Index of the longest option of q; a tie goes to the first. */
int ax__pick_longest(const struct ax_question *q);

/* The odds for n questions of nopts[i] options, `need` right to pass:
 * fills asked, need, ways, total, p.  -1 when out of memory. */
int ax__guess_odds(const int *nopts, int n, int need, struct ax__guess *g);
/* Everything in struct ax__guess for rule r of s.  -1 when out of
 * memory. */
int ax__guess_rule(const struct ax_survey *s,
                   const struct ax_awareness_rule *r, struct ax__guess *g);

/* The probability of passing a rule of nr knowledge questions, the j-th
 * answered right with probability pr[j], when `draw` questions are
 * drawn from a bank of `bank` (the rule's and others); -1 when out of
 * memory. */
double ax__guess_drawn(const double *pr, int nr, int bank, int draw,
                       double pass_share);

/* Report, for every awareness rule of s (which parsed without errors),
 * the guesser's odds and strategy scores as notes, and as warnings what
 * makes the quiz guessable (see content_guess.c). */
void ax__check_guessing(struct ax__lint *L, const struct ax_survey *s);
/* Warn when the kiosk or SMS intro of an opinion survey (满意度 or a
 * further rate) does not say how the answers are used (统计, 保密, 不公开
 * or 匿名). */
void ax__check_intro(struct ax__lint *L, const struct ax_survey *s);
/* Warn when the correct option of knowledge question q (at `path`)
 * carries its own justification. */
void ax__check_justified(struct ax__lint *L, const struct ax_question *q,
                         const char *path);

/* ==== review (content_review.c) ======================================== */
/* The checklist items of a pack's "review", NULL-terminated. */
extern const char *const ax__review_items[];
/* A pack's "review" object: errors for unknown items and notes that are
 * not text; with AX__LINT_REVIEW, a warning for items not ticked. */
void ax__check_review(struct ax__lint *L, json_t *root);
/* With AX__LINT_REVIEW, warn on every text of a pack (pack = 1) or
 * survey that says 你, and on SMS texts that carry a 【signature】 or
 * leave no room for the gateway's signature and additions. */
void ax__check_texts(struct ax__lint *L, json_t *root, int pack);

/* ==== canonical JSON (content_json.c) =================================== */
/* Compact JSON with sorted keys, copied into the arena (NULL when out of
 * memory): what is installed and compared. */
char *ax__pack_json(struct ax_arena *a, const struct ax_pack *pk);
char *ax__survey_json(struct ax_arena *a, const struct ax_survey *s);

#endif
