/*
 * content.h -- awareness content packs and surveys (the format is
 * documented in content/README.md), their loader and linter, and
 * installing them into a store.
 *
 * All structures are read-only views owned by the ax_content (or
 * ax_survey_set) that produced them; they live until it is freed.
 */
#ifndef ANXIN_CONTENT_H
#define ANXIN_CONTENT_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Budgets, in UCS-2 units (one Chinese character = one unit). */
#define AX_SMS_DIGEST_MAX 70   /* a digest is one SMS segment */
#define AX_SMS_QUESTION_SEGS 2 /* question / intro / thanks: two segments */
/* The gateway's signature (【江州县平安办】), put before every message it
 * sends, is at most this long; content budgets leave room for it. */
#define AX_SMS_SIGNATURE_MAX 10

enum ax_qtype {
	AX_Q_SINGLE,    /* one option */
	AX_Q_MULTI,     /* several options */
	AX_Q_YESNO,     /* 1 是 / 2 否 */
	AX_Q_SCALE5,    /* 1 非常满意 … 5 非常不满意 */
	AX_Q_KNOWLEDGE, /* one option, with a correct answer */
};
const char *ax_qtype_name(enum ax_qtype t);

struct ax_option {
	const char *code;  /* "1", "A" … */
	const char *label; /* 满意 */
	const char *const *keys; /* extra reply words, NULL-terminated */
	int nkeys;
	double score;     /* for mean scores; 0 when has_score is 0 */
	int has_score;
};

struct ax_question {
	const char *id;
	enum ax_qtype type;
	const char *text;        /* kiosk wording */
	const char *sms;         /* SMS wording */
	const struct ax_option *options;
	int noptions;
	const char *answer;      /* knowledge: correct option code */
	const char *explanation; /* knowledge: shown after answering */
	const char *topic;       /* knowledge: topic it measures */
	const char *ref;         /* "pack/question" it was copied from, or NULL */
	const char *show_if_question; /* NULL: always shown */
	const char *const *show_if_any;
	int nshow_if_any;
	/* narration: a file in audio_dir, the pack's folder for a pack's
	 * knowledge questions (and their refs), the surveys folder for a
	 * survey's own questions; NULL: none known, as from the store */
	const char *audio, *audio_dir;
	int audio_synthetic;
};

struct ax_awareness_rule {
	const char *topic;
	const char *const *questions;
	int nquestions;
	double pass_share; /* default 0.6 */
	double target;     /* 知晓率 target; 0: the county default (90 %) */
};

/*
 * A further rate a survey defines on one question (安全感, the 平安村 §4
 * patrol team's 知晓率 and 满意度 ...): respondents who chose a positive
 * option / respondents who answered it, leaving out those who chose a
 * dont_know option (说不清, 不了解), who are counted and shown as their
 * own share.
 */
struct ax_rate_rule {
	const char *id;   /* a-z 0-9 _ -, unique in the survey ("safety") */
	const char *name; /* what the report calls it ("安全感") */
	const char *question;
	const char *const *positive;
	int npositive;
	const char *const *dont_know;
	int ndont_know;
	double target; /* 0 < target <= 1 */
};

struct ax_survey {
	const char *id;
	int version;
	const char *title, *intro, *sms_intro, *sms_thanks;
	const struct ax_question *questions;
	int nquestions;
	const struct ax_awareness_rule *awareness;
	int nawareness;
	const char *sat_question; /* NULL: no satisfaction rule */
	const char *const *satisfied;
	int nsatisfied;
	const char *const *sat_dont_know; /* 说不清: out of the denominator */
	int nsat_dont_know;
	double sat_target; /* 0: the county default (90 %) */
	const struct ax_rate_rule *rates;
	int nrates;
	/* A quiz bank (content/README.md 5.x): each respondent is shown `draw`
	 * of the survey's knowledge questions, drawn at random (0: all of
	 * them); with `shuffle`, each knowledge question's options in a
	 * random order per respondent.  What was shown is in the response
	 * (response.h: ax_response_draw). */
	int draw;
	int shuffle;
	const char *path; /* file it came from, or NULL */
	/* The survey with refs resolved and defaults filled in, as compact
	 * JSON with sorted keys: what stores and devices exchange. */
	const char *json;
};

struct ax_page {
	const char *id, *title, *body, *image, *audio;
	int audio_synthetic; /* the audio was synthesised (anxin content narrate) */
};
struct ax_digest {
	const char *id, *text;
};
struct ax_source {
	const char *title, *detail, *url;
};
struct ax_hotline {
	const char *number, *label;
};

struct ax_pack {
	const char *id;
	int version;
	const char *topic, *title, *summary;
	const struct ax_source *sources;
	int nsources;
	const struct ax_hotline *hotlines;
	int nhotlines;
	const struct ax_page *pages;
	int npages;
	const struct ax_digest *digests;
	int ndigests;
	const struct ax_question *questions;
	int nquestions;
	const char *dir;  /* folder of the pack (images, audio), or NULL */
	const char *json; /* compact sorted JSON */
};

typedef struct ax_content ax_content;

/* Topic ids and their Chinese names, NULL-terminated parallel lists. */
extern const char *const ax_topics[];
extern const char *const ax_topic_names[];
/* Chinese name of a topic id, or the id itself if unknown. */
const char *ax_topic_name(const char *topic);

/*
 * Load every pack (DIR/packs/<id>/pack.json) and survey
 * (DIR/surveys/<id>.json) under dir, validating them.  Every problem is
 * reported through diag as "path:line:col: message".  *nerrors (may be
 * NULL) gets the number of errors.  On success *out holds only the files
 * that validated; callers that must not run with broken content check
 * *nerrors.  Caller frees with ax_content_free().
 */
ax_rc ax_content_load_dir(const char *dir, ax_diag_fn diag, void *diag_ctx,
                          int *nerrors, ax_content **out);

/*
 * ax_content_load_dir, and also report as warnings (AX_SEV_WARNING) and
 * notes (AX_SEV_NOTE) what leaves content valid but weak: for every
 * awareness rule the probability that a random guesser passes and the
 * scores of always tapping the first, last or longest option; correct
 * options that are the longest in most of a quiz, or that carry their
 * own justification (content/README.md, 第八节).  Warnings are not
 * counted in *nerrors.  What `anxin content lint` runs.
 */
ax_rc ax_content_lint_dir(const char *dir, ax_diag_fn diag, void *diag_ctx,
                          int *nerrors, ax_content **out);

/*
 * ax_content_lint_dir, and also warn on what a county reviewer would send
 * back (content/README.md, 第九节): a pack whose "review" checklist is
 * not ticked item by item, a 【signature】 in an SMS text (the gateway
 * adds its configured one), an SMS text with no room left for that
 * signature and what the gateway adds, and 你 where residents read 您.
 * What `anxin content lint --review` runs.
 */
ax_rc ax_content_review_dir(const char *dir, ax_diag_fn diag, void *diag_ctx,
                            int *nerrors, ax_content **out);

/* Load one pack or survey text (borrowed) as if it were file `name`;
 * kind is "pack" or "survey".  For fuzzing and tests. */
ax_rc ax_content_load_text(const char *name, const char *kind,
                           const char *text, ax_diag_fn diag, void *diag_ctx,
                           int *nerrors, ax_content **out);

void ax_content_free(ax_content *c);

int ax_content_npacks(const ax_content *c);
const struct ax_pack *ax_content_pack(const ax_content *c, int i);
int ax_content_nsurveys(const ax_content *c);
const struct ax_survey *ax_content_survey(const ax_content *c, int i);
const struct ax_survey *ax_content_find_survey(const ax_content *c,
                                               const char *id, int version);
const struct ax_pack *ax_content_find_pack(const ax_content *c,
                                           const char *id);

/*
 * Store every pack and survey of c in st.  A version already installed
 * with the same content is left alone; the same id and version with
 * different content is refused (AX_CONFLICT, message names it): bump the
 * version instead, so records keep meaning what they meant.
 * *added (may be NULL) gets the number of new versions.
 */
ax_rc ax_content_install(ax_store *st, const ax_content *c, int *added);

/*
 * Load the content installed in a store: the latest version of every
 * pack and every version of every survey.  AX_INVALID (message in
 * ax_store_errmsg) when an installed one no longer loads.  Caller frees
 * with ax_content_free().
 */
ax_rc ax_content_load_store(ax_store *st, ax_content **out);

/* Find a question of a survey by id, or NULL. */
const struct ax_question *ax_survey_question(const struct ax_survey *s,
                                             const char *qid);
/* Find an option of a question by code, or NULL. */
const struct ax_option *ax_question_option(const struct ax_question *q,
                                           const char *code);

/* Number of knowledge questions of s: the bank a draw takes from. */
int ax_survey_nbank(const struct ax_survey *s);

/*
 * The SMS of a knowledge question whose options are shown in the order
 * `order` (option indices, q->noptions of them; NULL: as written): the
 * question's text, then "回复" and the labels numbered 1..n in that order
 * ("吸毒违法吗？回复1违法 2不违法").  A reply's digit k means the option
 * shown at position k.  Returns the length, or -1 when it did not fit
 * (buf then holds a truncated, terminated text).
 */
int ax_question_sms_ordered(const struct ax_question *q,
                            const unsigned char *order, char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
