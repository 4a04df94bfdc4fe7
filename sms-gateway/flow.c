/*
 * flow.c -- the SMS conversation engine.  Pure: every function maps
 * (survey, conversation, input, now) to (conversation, messages, records)
 * and touches nothing else.  See flow.h for the conversation rules.
 */
#include "flow.h"

#include <anxin/clock.h>
#include <anxin/response.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char gw_flow_optout_text[] =
    "您已退订，本号码今后不会再收到平安建设短信。如需恢复，请回复“恢复”，或联系村（社区）网格员。";

const char gw_flow_optout_ask_text[] =
    "您是要退订吗？如需退订，请回复“退订”两个字；继续答题，请回复选项前的数字。";

const char gw_flow_closed_text[] = "本次调查已结束，感谢您的关注。";

const char gw_flow_restore_text[] =
    "您已恢复接收平安建设短信，感谢支持。如需退订，请回复“退订”。";

#define GW_OPTOUT_TAIL "回复TD退订"

static const char *const status_names[] = {"asking", "done", "expired",
                                           "opted_out", "closed"};
#define NSTATUS (int)(sizeof status_names / sizeof status_names[0])

const char *gw_conv_status_name(enum gw_conv_status s)
{
	return (unsigned)s < (unsigned)NSTATUS ? status_names[s] : "?";
}

int gw_conv_status_parse(const char *name)
{
	int i;
	for (i = 0; i < NSTATUS; i++)
		if (name && strcmp(name, status_names[i]) == 0)
			return i;
	return -1;
}

void gw_flow_opts_defaults(struct gw_flow_opts *o)
{
	o->remind_after = 24 * 3600;
	o->expire_after = 72 * 3600;
}

/* ---- survey ------------------------------------------------------------ */

struct gw_fsurvey {
	const struct ax_survey *s;
	gw_matcher *m[GW_FLOW_MAX_Q];
};

ax_rc gw_fsurvey_new(const struct ax_survey *s, gw_fsurvey **out)
{
	gw_fsurvey *f;
	int i;
	ax_rc rc;

	struct ax_response probe;

	*out = NULL;
	if (!s || s->nquestions <= 0 || s->nquestions > GW_FLOW_MAX_Q ||
	    ax_response_init(&probe, s) != AX_OK)
		return AX_INVALID;
	f = calloc(1, sizeof *f);
	if (!f)
		return AX_NOMEM;
	f->s = s;
	for (i = 0; s->shuffle && i < s->nquestions; i++)
		if (s->questions[i].type == AX_Q_KNOWLEDGE &&
		    s->questions[i].noptions > GW_FLOW_MAX_ORDER) {
			free(f);
			return AX_INVALID;
		}
	for (i = 0; i < s->nquestions; i++) {
		rc = gw_matcher_new(&s->questions[i], &f->m[i]);
		if (rc != AX_OK) {
			gw_fsurvey_free(f);
			return rc;
		}
	}
	*out = f;
	return AX_OK;
}

void gw_fsurvey_free(gw_fsurvey *f)
{
	int i;
	if (!f)
		return;
	for (i = 0; i < GW_FLOW_MAX_Q; i++)
		gw_matcher_free(f->m[i]);
	free(f);
}

const struct ax_survey *gw_fsurvey_survey(const gw_fsurvey *f) { return f->s; }

const gw_matcher *gw_fsurvey_matcher(const gw_fsurvey *f, int i)
{
	return i >= 0 && i < f->s->nquestions ? f->m[i] : NULL;
}

/* ---- helpers ----------------------------------------------------------- */

static void out_reset(struct gw_flow_out *out)
{
	memset(out, 0, sizeof *out);
}

static void say(struct gw_flow_out *out, const char *a, const char *b)
{
	if (out->nmsgs >= GW_FLOW_MAX_MSGS)
		return;
	snprintf(out->msgs[out->nmsgs++], GW_MSG_MAX, "%s%s", a ? a : "",
	         b ? b : "");
}

/* The conversation's answers as the library's response value (the same
 * option bits), so show-if and scoring are libanxin's. */
static void as_response(const struct ax_survey *s, const struct gw_conv *c,
                        struct ax_response *r)
{
	ax_response_init(r, s); /* gw_fsurvey_new checked the size */
	memcpy(r->sel, c->answers, sizeof c->answers);
	r->undrawn = c->undrawn;
	r->ordered = c->ordered;
	for (int i = 0; c->ordered && i < GW_FLOW_MAX_Q; i++)
		if (c->ordered >> i & 1)
			memcpy(r->order[i], c->order[i], GW_FLOW_MAX_ORDER);
}

static const char *sms_of(const struct ax_survey *s, const struct gw_conv *c,
                          int i, char *buf, size_t n)
{
	const struct ax_question *q = &s->questions[i];

	if (i < 0 || i >= GW_FLOW_MAX_Q || !(c->ordered >> i & 1))
		snprintf(buf, n, "%s", q->sms ? q->sms : q->text);
	else /* too long: lint refuses such a survey; sent cut if it comes */
		ax_question_sms_ordered(q, c->order[i], buf, n);
	return buf;
}

const char *gw_flow_question_sms(const gw_fsurvey *f, const struct gw_conv *c,
                                 int i, char *buf, size_t n)
{
	return sms_of(f->s, c, i, buf, n);
}

/* For an ordered question, the question as it was shown: its options in
 * shown order, coded "1".."n", so the parser reads a digit as a position
 * (labels and keys still name their option).  Fills q and opts. */
static void shown_question(const struct ax_question *orig,
                           const struct gw_conv *c, int i,
                           struct ax_question *q, struct ax_option *opts)
{
	static const char *const codes[GW_FLOW_MAX_ORDER] = {
	    "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13",
	    "14", "15", "16"};
	*q = *orig;
	q->answer = NULL;
	for (int k = 0; k < orig->noptions && k < GW_FLOW_MAX_ORDER; k++) {
		opts[k] = orig->options[c->order[i][k]];
		opts[k].code = codes[k];
	}
	q->options = opts;
}

/* Parse a reply to question i into option bits by option index (an
 * ordered question's positions mapped back through its order). */
static void parse_reply(const gw_fsurvey *f, const struct gw_conv *c, int i,
                        const char *text, size_t len, struct gw_reply *r)
{
	struct ax_question q;
	struct ax_option opts[GW_FLOW_MAX_ORDER];
	gw_matcher *m = NULL;
	unsigned long long bits = 0;

	if (!(c->ordered >> i & 1)) {
		gw_reply_parse(f->m[i], text, len, r);
		return;
	}
	shown_question(&f->s->questions[i], c, i, &q, opts);
	if (gw_matcher_new(&q, &m) != AX_OK) {
		memset(r, 0, sizeof *r);
		r->kind = GW_REPLY_INVALID;
		r->why = "out of memory";
		return;
	}
	gw_reply_parse(m, text, len, r);
	gw_matcher_free(m);
	for (int k = 0; k < q.noptions; k++)
		if (r->choices >> k & 1)
			bits |= 1ULL << c->order[i][k];
	r->choices = bits;
}

/* The re-ask hint of question i, in the numbering it was shown with. */
static void reply_hint(const gw_fsurvey *f, const struct gw_conv *c, int i,
                       char *buf, size_t n)
{
	struct ax_question q;
	struct ax_option opts[GW_FLOW_MAX_ORDER];

	if (c->ordered >> i & 1) {
		shown_question(&f->s->questions[i], c, i, &q, opts);
		gw_reply_hint(&q, buf, n);
	} else {
		gw_reply_hint(&f->s->questions[i], buf, n);
	}
}

static int next_shown(const struct ax_survey *s, const struct gw_conv *c,
                      int from)
{
	struct ax_response r;
	as_response(s, c, &r);
	return ax_response_next(&r, from);
}

static void ask(const struct ax_survey *s, struct gw_conv *c, int i,
                long long now, struct gw_flow_out *out, const char *prefix)
{
	c->qidx = i;
	c->attempts = 0;
	c->reminded = 0;
	char buf[GW_MSG_MAX];
	c->asked_at = now;
	say(out, prefix, sms_of(s, c, i, buf, sizeof buf));
}

/* 1 when the household ever replied to this conversation: an answer
 * kept, a question skipped after two replies not understood, or one such
 * reply to the open question.  (A lone "T" answered with the opt-out
 * question leaves no trace: it counts as no reply here.) */
static int heard_from(const struct ax_survey *s, const struct gw_conv *c)
{
	int i;
	if (c->attempts)
		return 1;
	for (i = 0; i < s->nquestions && i < GW_FLOW_MAX_Q; i++)
		if (c->answers[i] || c->skipped[i])
			return 1;
	return 0;
}

/* The response record of a conversation that ended: "complete",
 * "partial" (something answered) or "abandoned" (replies, no answer).
 * A household that never replied gets none unless `replied` says this
 * step is its reply (an opt-out): no answer was given, so a record would
 * only count a non-response as a response (the funnel's "replied"). */
static void end_response(const struct ax_survey *s, struct gw_conv *c,
                         struct gw_flow_out *out, int complete, int replied)
{
	struct ax_response r;
	as_response(s, c, &r);
	if (!complete && !replied && !heard_from(s, c))
		return;
	out->response = 1;
	out->response_status =
	    complete ? "complete" : ax_response_any(&r) ? "partial" : "abandoned";
}

/* Thanks, the quiz score, and what each missed knowledge answer teaches.
 * Explanations are packed into messages of at most ~3 segments. */
static void finish(const struct ax_survey *s, struct gw_conv *c, long long now,
                   struct gw_flow_out *out)
{
	char buf[GW_MSG_MAX];
	struct ax_response r;
	struct ax_score sc;
	int i, len = 0;

	c->status = GW_CONV_DONE;
	c->updated_at = now;
	out->thanks = 1;
	as_response(s, c, &r);
	ax_response_score(&r, &sc);
	out->correct = sc.right;
	out->nknowledge = sc.shown;
	if (out->nknowledge) {
		snprintf(buf, sizeof buf, "您答对了%d/%d题。", out->correct,
		         out->nknowledge);
		say(out, s->sms_thanks, buf);
	} else {
		say(out, s->sms_thanks, NULL);
	}
	buf[0] = '\0';
	for (i = 0; i < s->nquestions; i++) {
		const struct ax_question *q = &s->questions[i];
		const char *label = "";
		char item[600];
		int a, n, pos = i + 1;
		if (ax_response_correct(&r, i) != 0)
			continue; /* right, or no scored knowledge question */
		if ((a = ax_question_optindex(q, q->answer)) < 0)
			continue;
		label = q->options[a].label ? q->options[a].label : "";
		/* the answer by its words in quotes, not "4" + "110" run
		 * together into a phone number ("第5题答案：4110。") */
		/* numbered as the resident got them: a draw or a show-if
		 * leaves questions out */
		ax_response_progress(&r, i, &pos, NULL);
		n = snprintf(item, sizeof item, "第%d题正确答案是“%s”。%s", pos,
		             label, q->explanation ? q->explanation : "");
		if (n < 0 || (size_t)n >= sizeof item)
			continue;
		/* ~3 UCS-2 segments of Chinese are 600 bytes of UTF-8 */
		if (len && len + n > 600) {
			say(out, buf, NULL);
			buf[0] = '\0';
			len = 0;
		}
		memcpy(buf + len, item, (size_t)n + 1);
		len += n;
	}
	if (len)
		say(out, buf, NULL);
	end_response(s, c, out, 1, 1);
}

/* Move past question qidx to the next shown one, or finish. */
static void advance(const struct ax_survey *s, struct gw_conv *c, long long now,
                    struct gw_flow_out *out, const char *prefix)
{
	int next = next_shown(s, c, c->qidx + 1);
	if (next < 0)
		finish(s, c, now, out);
	else
		ask(s, c, next, now, out, prefix);
}

/* ---- steps ------------------------------------------------------------- */

void gw_flow_start(const gw_fsurvey *f, struct gw_conv *c, long long now,
                   struct gw_flow_out *out)
{
	gw_flow_start_seeded(f, c, 0, now, out);
}

void gw_flow_start_seeded(const gw_fsurvey *f, struct gw_conv *c,
                          unsigned long long seed, long long now,
                          struct gw_flow_out *out)
{
	const struct ax_survey *s = f->s;
	int first;

	out_reset(out);
	memset(c, 0, sizeof *c);
	c->started_at = c->updated_at = now;
	if (s->draw || s->shuffle) {
		struct ax_response r;
		ax_response_init(&r, s);
		ax_response_draw(&r, seed);
		c->undrawn = r.undrawn;
		c->ordered = r.ordered;
		for (int i = 0; i < s->nquestions && i < GW_FLOW_MAX_Q; i++)
			if (r.ordered >> i & 1)
				memcpy(c->order[i], r.order[i], GW_FLOW_MAX_ORDER);
	}
	first = next_shown(s, c, 0);
	/* every first message ends with how to opt out, whatever the survey
	 * author wrote */
	{
		const char *intro = s->sms_intro ? s->sms_intro : "";
		size_t a = strlen(intro), b = strlen(GW_OPTOUT_TAIL);
		if (a >= b && strcmp(intro + a - b, GW_OPTOUT_TAIL) == 0)
			say(out, intro, NULL);
		else
			say(out, intro, a ? "。" GW_OPTOUT_TAIL : GW_OPTOUT_TAIL);
	}
	if (first < 0) {
		finish(s, c, now, out);
		return;
	}
	ask(s, c, first, now, out, NULL);
}

void gw_flow_reply(const gw_fsurvey *f, struct gw_conv *c, const char *text,
                   size_t len, long long now, struct gw_flow_out *out)
{
	const struct ax_survey *s = f->s;
	struct gw_reply r;
	char hint[128];

	out_reset(out);
	out->replied = 1;
	if (gw_reply_is_optout(text, len)) {
		out->optout = 1;
		say(out, gw_flow_optout_text, NULL);
		if (c->status == GW_CONV_ASKING) {
			c->status = GW_CONV_OPTED_OUT;
			c->updated_at = now;
			end_response(s, c, out, 0, 1);
		}
		return;
	}
	if (gw_reply_optout_ask(text, len)) {
		/* a lone "T" or "取消": ask, and leave the conversation as it was
		 * (no attempt used, nothing answered, nobody opted out) */
		out->optout_ask = 1;
		say(out, gw_flow_optout_ask_text, NULL);
		return;
	}
	if (c->status != GW_CONV_ASKING) {
		out->late = 1;
		return;
	}
	c->updated_at = now;
	parse_reply(f, c, c->qidx, text, len, &r);
	if (r.kind == GW_REPLY_ANSWER) {
		out->answered = 1;
		c->answers[c->qidx] = r.choices;
		c->skipped[c->qidx] = 0;
		advance(s, c, now, out, NULL);
		return;
	}
	out->invalid = 1;
	if (c->attempts == 0) {
		c->attempts = 1;
		c->asked_at = now; /* the re-ask restarts the reminder clock */
		c->reminded = 0;
		reply_hint(f, c, c->qidx, hint, sizeof hint);
		say(out, "没看懂您的回复，", hint);
		return;
	}
	c->skipped[c->qidx] = 1;
	advance(s, c, now, out, "本题跳过。");
}

void gw_flow_tick(const gw_fsurvey *f, struct gw_conv *c, long long now,
                  const struct gw_flow_opts *opts, struct gw_flow_out *out)
{
	const struct ax_survey *s = f->s;

	out_reset(out);
	if (c->status != GW_CONV_ASKING)
		return;
	if (!c->reminded && now - c->asked_at >= opts->remind_after) {
		c->reminded = 1;
		c->reminded_at = now;
		c->updated_at = now;
		out->reminder = 1;
		/* no 【】: the brackets belong to the signature alone */
		char buf[GW_MSG_MAX];
		say(out, "提醒：您还没有回复：",
		    sms_of(s, c, c->qidx, buf, sizeof buf));
		return;
	}
	if (c->reminded && now - c->reminded_at >= opts->expire_after) {
		c->status = GW_CONV_EXPIRED;
		c->updated_at = now;
		end_response(s, c, out, 0, 0);
	}
}

void gw_flow_close(const gw_fsurvey *f, struct gw_conv *c, long long now,
                   struct gw_flow_out *out)
{
	out_reset(out);
	if (c->status != GW_CONV_ASKING)
		return;
	c->status = GW_CONV_CLOSED;
	c->updated_at = now;
	end_response(f->s, c, out, 0, 0);
}

long long gw_flow_next_due(const struct gw_conv *c,
                           const struct gw_flow_opts *opts)
{
	if (c->status != GW_CONV_ASKING)
		return 0;
	return c->reminded ? c->reminded_at + opts->expire_after
	                   : c->asked_at + opts->remind_after;
}

/* ---- records ----------------------------------------------------------- */

char *gw_flow_response_json(const gw_fsurvey *f, const struct gw_conv *c,
                            const char *id, const char *device,
                            const char *household, const char *region,
                            const char *wave, const char *status,
                            long long now)
{
	struct ax_response r;
	struct ax_response_meta m = {0};

	as_response(f->s, c, &r);
	m.id = id;
	m.channel = AX_CH_SMS;
	m.device = device;
	m.household = household;
	m.region = region;
	m.wave = wave;
	m.status = (enum ax_resp_status)ax_resp_status_parse(status);
	m.started_at = c->started_at;
	m.completed_at = now;
	return ax_response_record(&r, &m);
}

char *gw_contact_json(const char *id, const char *household, const char *kind,
                      const char *pack, const char *device, long long at)
{
	struct ax_contact_meta m = {0};
	m.id = id;
	m.household = household;
	m.channel = AX_CH_SMS;
	m.kind = kind;
	m.pack = pack;
	m.device = device;
	m.at = at;
	return ax_contact_record(&m);
}
