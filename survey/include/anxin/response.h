/*
 * response.h -- a survey response as libanxin owns it, from its first
 * answer to its record.
 *
 * Every front end (kiosk UI and session, SMS flow engine, paper visits,
 * the demo generator, the resident simulator) and the importer use this
 * one model, so a kiosk, a gateway and the central store can never
 * disagree about which questions were shown, which answers are right or
 * what a response counts for.
 *
 * The value: struct ax_response holds, for each question of its survey
 * (by index), the set of chosen options as bits by option index (bit k =
 * q->options[k]).  0 means unanswered.  It is a plain value: copy it,
 * keep it in a conversation row, compare it with memcmp.
 *
 * The rules, in one place:
 *  - show-if: a question with show_if is shown when the earlier question
 *    it names was answered with one of the listed codes (for a multiple
 *    choice: any chosen option is listed).  Changing an answer withdraws
 *    later answers whose questions are no longer shown, in order, so a
 *    chain of conditions stays consistent.
 *  - knowledge scoring: a shown knowledge question with an answer key is
 *    right when exactly the key was chosen.  An unanswered shown question
 *    counts as not known.
 *  - a quiz bank (survey "draw"): a knowledge question left out of the
 *    respondent's draw is not shown, like one show-if hides;
 *  - awareness per topic (the survey's awareness rules): of the rule's
 *    questions that are shown, the share answered right reaches the pass
 *    share (compared in integers, so 0.6 x 5 is exactly 3): with a draw,
 *    right >= ceil(pass_share x drawn).
 *  - shuffled options: shown in the order the value records; answers and
 *    scoring are by option, whatever its position.
 *  - satisfaction: the survey's satisfaction question answered; satisfied
 *    when the code is one of the survey's satisfied codes; its score is
 *    the option's score.  An answer listed as don't-know (说不清) is
 *    counted as such and is in no denominator.
 *  - further rates (安全感, patrol team ...): the same on their question:
 *    positive / answered, don't-know apart.
 *
 * Thread-safety: functions touch only their arguments; the survey is
 * read, never written.
 */
#ifndef ANXIN_RESPONSE_H
#define ANXIN_RESPONSE_H

#include <stdint.h>

#include "anxin.h"
#include "content.h"

#ifdef __cplusplus
extern "C" {
#endif

#define AX_RESP_MAX_Q 64      /* questions per survey */
#define AX_RESP_MAX_OPT 64    /* options per question */
#define AX_RESP_MAX_TOPICS 16 /* awareness rules per survey */
#define AX_RESP_MAX_RATES 16  /* further rates per survey */

enum ax_resp_status {
	AX_RESP_COMPLETE = 0,
	AX_RESP_PARTIAL,
	AX_RESP_ABANDONED,
};
/* "complete", "partial", "abandoned"; "?" for anything else. */
const char *ax_resp_status_name(enum ax_resp_status s);
/* Parse a name back; -1 if unknown. */
int ax_resp_status_parse(const char *name);

enum ax_channel { AX_CH_KIOSK = 0, AX_CH_SMS, AX_CH_VISIT };
/* "kiosk", "sms", "visit"; "?" for anything else. */
const char *ax_channel_name(enum ax_channel c);
/* Parse a name back; -1 if unknown. */
int ax_channel_parse(const char *name);

struct ax_response {
	const struct ax_survey *survey; /* borrowed: outlives the value */
	uint64_t sel[AX_RESP_MAX_Q];    /* option bits per question, 0 none */
	/* What this respondent was shown (survey "draw" and "shuffle"; all
	 * zero without them, as ax_response_init leaves it):
	 *  - undrawn: bank questions left out of the draw (bit i = question
	 *    i), never shown, so never scored: awareness counts the drawn;
	 *  - ordered: questions whose options were shown in the order
	 *    order[i] (option indices, position 0 first); the others in the
	 *    order written.  Answers stay option bits: scoring is by option,
	 *    never by position. */
	uint64_t undrawn;
	uint64_t ordered;
	unsigned char order[AX_RESP_MAX_Q][AX_RESP_MAX_OPT];
};

/*
 * Start an empty response to survey s (borrowed).  AX_INVALID (and r
 * emptied, survey NULL) when s is NULL or has more questions or options
 * than the value holds; content lint keeps such surveys out of stores.
 */
ax_rc ax_response_init(struct ax_response *r, const struct ax_survey *s);

/* Index of question qid in s, or -1. */
int ax_survey_qindex(const struct ax_survey *s, const char *qid);
/* Index of option code in q, or -1. */
int ax_question_optindex(const struct ax_question *q, const char *code);

/* 1 if question i is shown given the answers so far, else 0. */
int ax_response_shown(const struct ax_response *r, int i);
/* The first shown question at index >= from, or -1 when none is left. */
int ax_response_next(const struct ax_response *r, int from);
/* The last shown question at index <= from, or -1. */
int ax_response_prev(const struct ax_response *r, int from);
/* Position (1-based) of question i among the shown ones, and how many are
 * shown now (either pointer may be NULL). */
void ax_response_progress(const struct ax_response *r, int i, int *pos,
                          int *total);
/* 1 if any question has an answer. */
int ax_response_any(const struct ax_response *r);
/* 1 if every question shown (as show-if shows them now) has an answer:
 * the response is complete whatever happened after its last question. */
int ax_response_complete(const struct ax_response *r);

/*
 * Answer question i with the option set sel (0 withdraws the answer).
 * A single-choice, yes/no, scale or knowledge question takes exactly one
 * option, a multiple choice one or more, all within the question's
 * options; anything else is AX_INVALID and changes nothing.  Later
 * answers whose questions are no longer shown are withdrawn; *withdrawn
 * (may be NULL) gets their indices as bits.
 */
ax_rc ax_response_set(struct ax_response *r, int i, uint64_t sel,
                      uint64_t *withdrawn);
/* The same with option codes ("2", or "1,3" for a multiple choice;
 * NULL or "" withdraws).  AX_INVALID for an unknown or repeated code. */
ax_rc ax_response_set_codes(struct ax_response *r, int i, const char *codes,
                            uint64_t *withdrawn);
/* The answer to question i as codes in option order, joined by ','
 * ("" when unanswered).  Returns the length, or -1 if it did not fit. */
int ax_response_codes(const struct ax_response *r, int i, char *buf,
                      size_t n);
/* Option index of a single answer to question i, -1 when unanswered or
 * when several options are chosen. */
int ax_response_single(const struct ax_response *r, int i);

/*
 * Knowledge: 1 when question i is a shown knowledge question with an
 * answer key answered exactly right, 0 when it is one and was answered
 * wrong or not at all, -1 when it is no scored knowledge question or is
 * not shown.
 */
int ax_response_correct(const struct ax_response *r, int i);

struct ax_score {
	int right;    /* shown knowledge questions answered right */
	int answered; /* shown knowledge questions answered */
	int shown;    /* shown knowledge questions */
};
void ax_response_score(const struct ax_response *r, struct ax_score *out);

/* What a complete response counts for (see the rules above). */
struct ax_derived {
	int ntopics;
	const char *topic[AX_RESP_MAX_TOPICS]; /* borrowed from the survey */
	int passed[AX_RESP_MAX_TOPICS];
	int has_sat, sat; /* satisfaction answered / counts as satisfied */
	double score;     /* the satisfaction option's score, 0 if none */
	int sat_dont_know; /* answered 说不清: not in has_sat */
	int nrates;        /* the survey's further rates, in its order */
	const char *rate[AX_RESP_MAX_RATES]; /* rule ids, borrowed */
	/* 0 not answered, 1 answered and not positive, 2 positive, 3 don't
	 * know */
	int rate_state[AX_RESP_MAX_RATES];
};
void ax_response_derive(const struct ax_response *r, struct ax_derived *out);

/* ---- what was shown: the draw and the option order --------------------- */
/*
 * Draw the survey's quiz for one respondent from `seed` (take it from a
 * good random source: getrandom): `draw` of its knowledge questions,
 * each set of them equally likely, the others marked undrawn; with
 * `shuffle`, each drawn knowledge question's options in a uniformly
 * random order.  Nothing happens without draw and shuffle.  The same
 * seed gives the same draw.  Answers already given to undrawn questions
 * are withdrawn.
 */
void ax_response_draw(struct ax_response *r, uint64_t seed);
/* 0 when question i was left out of this respondent's draw, else 1. */
int ax_response_drawn(const struct ax_response *r, int i);
/* Option index shown at position pos (0-based) of question i; -1 out of
 * range.  Positions are the option order unless the question is ordered. */
int ax_response_option_at(const struct ax_response *r, int i, int pos);
/* Position (0-based) at which option o of question i was shown, or -1. */
int ax_response_option_pos(const struct ax_response *r, int i, int o);

/* ---- JSON ------------------------------------------------------------- */
struct json_t;

/*
 * Put what was shown into a record object `rec`: "drawn", the ids of the
 * drawn questions in survey order (only for a survey with a draw), and
 * "order", question id -> option codes in shown order (only ordered
 * questions).  0, or -1 when out of memory.
 */
int ax_response_shown_to_json(const struct ax_response *r, struct json_t *rec);

/*
 * Read "drawn" and "order" of a record object `rec` (borrowed) into r,
 * after ax_response_from_json read its answers.  AX_INVALID with a
 * located reason in why ("drawn.2: \"q9\" is no knowledge question of
 * survey s v2"; "order.q3: ..."; "answers.q4: question was not drawn")
 * for: a draw that is missing, has the wrong number of questions, names
 * something else than a knowledge question or one twice, or is given for
 * a survey without one; an order that is not the question's options each
 * once, is given for a question that is not a shuffled knowledge
 * question or was not drawn, or is missing for a shown one; an answer to
 * a question not drawn.
 */
ax_rc ax_response_shown_from_json(struct ax_response *r,
                                  const struct json_t *rec, char *why,
                                  size_t whylen);

/*
 * The "answers" object of the record format (records.h): question id ->
 * option code, or an array of codes in option order for a multiple
 * choice.  New reference; NULL when out of memory.
 */
struct json_t *ax_response_answers_json(const struct ax_response *r);

/*
 * Read an "answers" object (borrowed) into r for survey s.  On an
 * invalid value returns AX_INVALID with a located reason in why
 * ("answers.q3: \"7\" is not an option of this question"); r then holds
 * the answers read so far.  Answers are taken as given: one to a
 * question its conditions hide is kept (and never scored).
 */
ax_rc ax_response_from_json(struct ax_response *r, const struct ax_survey *s,
                            const struct json_t *answers, char *why,
                            size_t whylen);

/* The envelope of a response record (all strings borrowed). */
struct ax_response_meta {
	const char *id;           /* UUID, required */
	enum ax_channel channel;
	const char *device;       /* required */
	const char *household;    /* NULL: anonymous */
	const char *phone_sealed; /* kiosk: sealed typed number, or NULL */
	const char *region;       /* NULL or "": left out */
	const char *wave;         /* NULL or "": left out */
	enum ax_resp_status status;
	long long started_at;     /* epoch seconds */
	long long completed_at;   /* written only for a complete response */
	const char *const *flags; /* e.g. "fast"; nflags of them */
	int nflags;
};

/*
 * The response record line (one JSON object, sorted keys, no newline) as
 * records.h defines it; times in China time.  Returns a malloc'd string
 * the caller frees with free() or ax_free(), NULL when out of memory.
 */
char *ax_response_record(const struct ax_response *r,
                         const struct ax_response_meta *m);

/* An outreach contact record (records.h), strings borrowed. */
struct ax_contact_meta {
	const char *id;           /* UUID */
	const char *household;    /* NULL only with phone_sealed */
	const char *phone_sealed; /* kiosk link by sealed number, or NULL */
	enum ax_channel channel;
	const char *kind;         /* "sms_sent", "sms_delivered", ... */
	const char *pack;         /* NULL or "": null */
	const char *device;
	long long at;
};
/* The contact record line; malloc'd, caller frees; NULL on no memory. */
char *ax_contact_record(const struct ax_contact_meta *m);

#ifdef __cplusplus
}
#endif
#endif
