/*
 * flow.h -- the SMS conversation engine (pure: no I/O, no clock, no
 * randomness).  One conversation per household phone and survey wave:
 *
 *   start:  intro (ends with "回复TD退订") + first shown question
 *   reply:  valid   -> answer stored, next shown question (or thanks)
 *           invalid -> once: the hint and the question again;
 *                      twice: the question is skipped, next one
 *           opt-out -> confirmation; the caller adds the number to the
 *                      permanent opt-out list
 *           a lone "T" or "取消" -> asked whether it means 退订; the
 *                      conversation is left as it was
 *   tick:   no reply for remind_after -> one reminder (the question again)
 *           no reply for expire_after after the reminder -> expired
 *   close:  the campaign ended or was withdrawn -> closed, nothing sent
 *
 * A conversation that ends without the household ever replying (expired
 * or closed) writes no response record: it is not a response.  One that
 * ends with answers writes "partial" (or "complete"); one with replies
 * but no valid answer, "abandoned".
 *   end:    thanks + quiz score + the explanation of every missed
 *           knowledge answer (the survey teaches)
 *
 * Exactly one question is open at a time, so a bare "2" is never
 * ambiguous.  Every function is (state, input, now) -> (new state,
 * outgoing messages, records to write) in struct gw_flow_out; the caller
 * commits the new state, the records and the queued messages in one
 * transaction.
 *
 * Thread-safety: a gw_fsurvey is immutable once built and may be shared;
 * conversations are plain values.
 */
#ifndef ANXIN_GW_FLOW_H
#define ANXIN_GW_FLOW_H

#include "anxin/content.h"
#include "reply.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GW_FLOW_MAX_Q 32    /* questions per survey the engine handles */
#define GW_FLOW_MAX_MSGS 6  /* messages one step may send */
#define GW_MSG_MAX 1024     /* bytes per message (UTF-8) */
#define GW_FLOW_MAX_ORDER 16 /* options of a shuffled question */

enum gw_conv_status {
	GW_CONV_ASKING = 0, /* waiting for the answer to question qidx */
	GW_CONV_DONE,       /* thanks sent */
	GW_CONV_EXPIRED,    /* no reply after the reminder */
	GW_CONV_OPTED_OUT,  /* the resident sent 退订/TD */
	GW_CONV_CLOSED,     /* its campaign ended or was withdrawn while open */
};
const char *gw_conv_status_name(enum gw_conv_status s);
/* Parse a name back; -1 if unknown. */
int gw_conv_status_parse(const char *name);

/* A conversation: a plain value, stored by the caller between steps. */
struct gw_conv {
	enum gw_conv_status status;
	int qidx;          /* index of the open question */
	int attempts;      /* invalid replies to the open question */
	int reminded;      /* the reminder for the open question went out */
	long long started_at, asked_at, reminded_at, updated_at;
	unsigned long long answers[GW_FLOW_MAX_Q]; /* option bits, 0: none */
	unsigned char skipped[GW_FLOW_MAX_Q];
	/* what this household is shown (survey "draw" and "shuffle"), drawn
	 * at the start and kept with the conversation: bank questions left
	 * out (bits by question), questions whose options go out in the
	 * order order[i] (option indices; the SMS numbers them 1..n in that
	 * order and a reply's digit k means order[i][k-1]) */
	unsigned long long undrawn, ordered;
	unsigned char order[GW_FLOW_MAX_Q][GW_FLOW_MAX_ORDER];
};

struct gw_flow_opts {
	long long remind_after; /* seconds, default 24 h */
	long long expire_after; /* seconds after the reminder, default 72 h */
};
void gw_flow_opts_defaults(struct gw_flow_opts *o);

/* What one step produced. */
struct gw_flow_out {
	int nmsgs;
	char msgs[GW_FLOW_MAX_MSGS][GW_MSG_MAX];
	int replied;   /* an inbound message from the household: sms_replied */
	int late;      /* a reply to no open question: keep it for staff */
	int optout;    /* add the number to the permanent opt-out list */
	int optout_ask; /* a lone "T"/"取消": asked whether it means 退订 */
	int reminder;  /* the message is the reminder (gw_flow_tick) */
	int thanks;    /* the messages close a finished questionnaire */
	int response;  /* write the response record now (conversation ended) */
	const char *response_status; /* "complete", "partial", "abandoned" */
	int answered;  /* a valid answer was stored in this step */
	int invalid;   /* the reply was not understood */
	int correct, nknowledge; /* quiz score when the conversation ended */
};

/* A survey prepared for the engine: one reply matcher per question. */
typedef struct gw_fsurvey gw_fsurvey;

/* Build from a survey (borrowed: it must outlive the gw_fsurvey).
 * AX_INVALID for a survey with more than GW_FLOW_MAX_Q questions or a
 * question the parser cannot read; *out is NULL on failure. */
ax_rc gw_fsurvey_new(const struct ax_survey *s, gw_fsurvey **out);
void gw_fsurvey_free(gw_fsurvey *f); /* accepts NULL */
const struct ax_survey *gw_fsurvey_survey(const gw_fsurvey *f);
/* Matcher of question i (borrowed). */
const gw_matcher *gw_fsurvey_matcher(const gw_fsurvey *f, int i);

/* Start a conversation: intro + first shown question.  For a survey
 * with a draw or shuffled options, `seed` (from a good random source)
 * draws what this household is shown (ax_response_draw);
 * gw_flow_start is gw_flow_start_seeded with seed 0, for surveys
 * without them. */
void gw_flow_start_seeded(const gw_fsurvey *f, struct gw_conv *c,
                          unsigned long long seed, long long now,
                          struct gw_flow_out *out);
void gw_flow_start(const gw_fsurvey *f, struct gw_conv *c, long long now,
                   struct gw_flow_out *out);

/* The SMS of question i as this conversation shows it: the survey's
 * "sms" wording, or for an ordered question its text and the labels
 * numbered in shown order (ax_question_sms_ordered).  Returns buf. */
const char *gw_flow_question_sms(const gw_fsurvey *f, const struct gw_conv *c,
                                 int i, char *buf, size_t n);

/* An inbound message (borrowed, len bytes, any bytes). */
void gw_flow_reply(const gw_fsurvey *f, struct gw_conv *c, const char *text,
                   size_t len, long long now, struct gw_flow_out *out);

/* Time passes: reminder or expiry.  Sends nothing when nothing is due.
 * Both count from c->asked_at / c->reminded_at: the caller sets them to
 * when the question / reminder really went out, not when it was queued. */
void gw_flow_tick(const gw_fsurvey *f, struct gw_conv *c, long long now,
                  const struct gw_flow_opts *opts, struct gw_flow_out *out);

/* The campaign is over (its window ended, or it was withdrawn): an
 * asking conversation becomes closed, with the response record of what
 * was answered (none when the household never replied).  Sends nothing;
 * nothing happens to a conversation that is not asking. */
void gw_flow_close(const gw_fsurvey *f, struct gw_conv *c, long long now,
                   struct gw_flow_out *out);

/* When the next tick can change something (0: never). */
long long gw_flow_next_due(const struct gw_conv *c,
                           const struct gw_flow_opts *opts);

/* The opt-out confirmation (also sent by the caller for a number with no
 * conversation). */
extern const char gw_flow_optout_text[];
/* The question sent back for a lone "T" or "取消". */
extern const char gw_flow_optout_ask_text[];
/* The answer to a reply that comes after its campaign was closed. */
extern const char gw_flow_closed_text[];
/* The confirmation that a number opted out is messaged again. */
extern const char gw_flow_restore_text[];

/*
 * The response record line (one JSON object, no newline) for a
 * conversation that ended with `status`: channel "sms", the household and
 * region (grid) from the roster, answers keyed by question id (codes; an
 * array for multiple choice).  All strings are borrowed.  Returns a
 * malloc'd string the caller frees, NULL on allocation failure.
 */
char *gw_flow_response_json(const gw_fsurvey *f, const struct gw_conv *c,
                            const char *id, const char *device,
                            const char *household, const char *region,
                            const char *wave, const char *status,
                            long long now);

/*
 * A contact record line: kind "sms_sent", "sms_delivered" or
 * "sms_replied"; pack may be NULL.  Caller frees.
 */
char *gw_contact_json(const char *id, const char *household, const char *kind,
                      const char *pack, const char *device, long long at);

#ifdef __cplusplus
}
#endif
#endif
