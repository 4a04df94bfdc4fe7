/*
 * test_shuffle -- a quiz bank by SMS (flow.c): a drawn question's SMS is
 * its text and its options' labels numbered 1..n in the order this
 * household is shown them; a reply's digit means the option at that
 * position, a label its own option; the hint, the explanations and the
 * record speak the same order; a conversation keeps its draw through the
 * store's text form (gw_conv.c).  The draw is set by hand so every
 * expectation is worked out here, not by the code under test.
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/content.h"
#include "check.h"
#include "flow.h"
#include "gw_int.h"

#define T0 1772326800LL /* 2026-03-01 09:00 China time */

#include "bank_survey.h"

static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	(void)sev;
	fprintf(stderr, "content: %s\n", msg);
}

/* A conversation on k1 with k1 and k3 drawn, k1 shown C A B (丙 甲 乙),
 * k3 shown D B A C (四 二 一 三). */
static void start(gw_fsurvey *f, struct gw_conv *c)
{
	struct gw_flow_out o;
	gw_flow_start_seeded(f, c, 7, T0, &o);
	c->undrawn = 1ULL << K2 | 1ULL << K4;
	c->ordered = 1ULL << K1 | 1ULL << K3;
	memset(c->order, 0, sizeof c->order);
	c->order[K1][0] = 2, c->order[K1][1] = 0, c->order[K1][2] = 1;
	c->order[K3][0] = 3, c->order[K3][1] = 1, c->order[K3][2] = 0;
	c->order[K3][3] = 2;
	c->qidx = K1;
}

static void reply(gw_fsurvey *f, struct gw_conv *c, const char *t, long long at,
                  struct gw_flow_out *o)
{
	gw_flow_reply(f, c, t, strlen(t), at, o);
}

static void right_by_position(gw_fsurvey *f)
{
	struct gw_conv c;
	struct gw_flow_out o;
	char buf[GW_MSG_MAX], *json;

	start(f, &c);
	CHECK_STR(gw_flow_question_sms(f, &c, K1, buf, sizeof buf),
	          "第一问？回复1丙 2甲 3乙");
	/* not understood: the hint counts the 3 positions */
	reply(f, &c, "9", T0 + 30, &o);
	CHECK(o.invalid);
	CHECK(o.nmsgs == 1 && strstr(o.msgs[0], "1") && strstr(o.msgs[0], "3"));
	/* "3" is the third shown, 乙 (B): right; k2 was not drawn, so k3 next,
	 * in its own order */
	reply(f, &c, "3", T0 + 60, &o);
	CHECK(o.answered);
	CHECK(c.answers[K1] == 1ULL << 1);
	CHECK_INT(c.qidx, K3);
	CHECK_STR(o.msgs[0], "第三问？回复1四 2二 3一 4三");
	/* the reminder repeats it in the same order */
	{
		struct gw_flow_opts op;
		struct gw_flow_out r;
		gw_flow_opts_defaults(&op);
		c.asked_at = T0 + 60;
		gw_flow_tick(f, &c, T0 + 60 + op.remind_after, &op, &r);
		CHECK(r.reminder);
		CHECK_STR(r.msgs[0], "提醒：您还没有回复：第三问？回复1四 2二 3一 4三");
	}
	/* "1" is 四 (D): right */
	reply(f, &c, "1", T0 + 90000, &o);
	CHECK(c.answers[K3] == 1ULL << 3);
	CHECK_INT(c.qidx, Q5);
	reply(f, &c, "1", T0 + 90060, &o);
	CHECK_INT(c.status, GW_CONV_DONE);
	CHECK_INT(o.correct, 2);
	CHECK_INT(o.nknowledge, 2); /* the drawn ones */
	json = gw_flow_response_json(f, &c, "00000000-0000-4000-8000-000000000001",
	                             "gw1", "H1", "439901101201001", "w1",
	                             o.response_status, T0 + 90060);
	REQUIRE(json);
	CHECK(strstr(json, "\"answers\":{\"k1\":\"B\",\"k3\":\"D\",\"q5\":\"1\"}"));
	CHECK(strstr(json, "\"drawn\":[\"k1\",\"k3\"]"));
	CHECK(strstr(json, "\"order\":{\"k1\":[\"C\",\"A\",\"B\"],"
	                   "\"k3\":[\"D\",\"B\",\"A\",\"C\"]}"));
	free(json);
}

static void wrong_and_labels(gw_fsurvey *f)
{
	struct gw_conv c;
	struct gw_flow_out o;

	start(f, &c);
	/* "1" is 丙 (C): wrong */
	reply(f, &c, "1", T0 + 60, &o);
	CHECK(c.answers[K1] == 1ULL << 2);
	/* a label names its own option wherever it stands: 三 is C */
	reply(f, &c, "三", T0 + 120, &o);
	CHECK(c.answers[K3] == 1ULL << 2);
	reply(f, &c, "2", T0 + 180, &o);
	CHECK_INT(c.status, GW_CONV_DONE);
	CHECK_INT(o.correct, 0);
	/* the explanations: question 1 and 2 of the two drawn, the answer by
	 * its words (its number differs from one household to the next) */
	REQUIRE(o.nmsgs == 2);
	CHECK_STR(o.msgs[1], "第1题正确答案是“乙”。看宣传。第2题正确答案是“四”。看宣传。");
}

/* The store's text form of what is shown reads back the same. */
static void stored(gw_fsurvey *f)
{
	struct gw_conv c, back;
	char t[GW_FLOW_MAX_Q * (GW_FLOW_MAX_ORDER + 6) + 24];

	start(f, &c);
	gw__shown_text(&c, t, sizeof t);
	CHECK_STR(t, "ua;0:2010000000000000;2:3102000000000000");
	memset(&back, 0, sizeof back);
	gw__shown_parse(&back, t);
	CHECK(back.undrawn == c.undrawn && back.ordered == c.ordered);
	CHECK(memcmp(back.order, c.order, sizeof c.order) == 0);
	/* nothing drawn, nothing shuffled: no text (the column stays NULL) */
	memset(&back, 0, sizeof back);
	gw__shown_text(&back, t, sizeof t);
	CHECK_STR(t, "");
}

/* Seeded starts: the first question is a drawn one, sent in its order. */
static void seeded(gw_fsurvey *f)
{
	for (unsigned long long seed = 1; seed <= 200; seed++) {
		struct gw_conv c;
		struct gw_flow_out o;
		char buf[GW_MSG_MAX];
		gw_flow_start_seeded(f, &c, seed, T0, &o);
		CHECK_INT(__builtin_popcountll(c.undrawn), 2);
		CHECK(!(c.undrawn >> c.qidx & 1));
		CHECK(c.ordered >> c.qidx & 1);
		CHECK_STR(o.msgs[1], gw_flow_question_sms(f, &c, c.qidx, buf, sizeof buf));
	}
}

int main(void)
{
	ax_content *c = NULL;
	gw_fsurvey *f = NULL;
	int nerr = -1;

	REQUIRE(ax_content_load_text("b.json", "survey", survey_t, diag, NULL,
	                             &nerr, &c) == AX_OK && nerr == 0);
	REQUIRE(gw_fsurvey_new(ax_content_survey(c, 0), &f) == AX_OK);
	right_by_position(f);
	wrong_and_labels(f);
	stored(f);
	seeded(f);
	gw_fsurvey_free(f);
	ax_content_free(c);
	return check_done();
}
