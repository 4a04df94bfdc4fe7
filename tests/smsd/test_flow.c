/*
 * test_flow -- the conversation engine with a fixed clock, on the bundled
 * surveys: a full questionnaire with show_if, invalid -> re-ask -> skip,
 * reminder and expiry, opt-out mid-survey, late replies, the quiz score
 * and its explanations, and the record lines.
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/clock.h"
#include "anxin/content.h"
#include "check.h"
#include "flow.h"

#define T0 1772326800LL /* 2026-03-01 09:00 China time */

static ax_content *content;

static gw_fsurvey *load(const char *id)
{
	const struct ax_survey *s = ax_content_find_survey(content, id, 0);
	gw_fsurvey *f = NULL;
	REQUIRE(s != NULL);
	REQUIRE(gw_fsurvey_new(s, &f) == AX_OK);
	return f;
}

static void reply(gw_fsurvey *f, struct gw_conv *c, const char *t, long long now,
                  struct gw_flow_out *o)
{
	gw_flow_reply(f, c, t, strlen(t), now, o);
}

static int ends_with(const char *s, const char *end)
{
	size_t a = strlen(s), b = strlen(end);
	return a >= b && strcmp(s + a - b, end) == 0;
}

static void full_questionnaire(void)
{
	gw_fsurvey *f = load("satisfaction");
	const struct ax_survey *s = gw_fsurvey_survey(f);
	struct gw_conv c;
	struct gw_flow_out o;
	char *json;

	gw_flow_start(f, &c, T0, &o);
	CHECK_INT(o.nmsgs, 2);
	CHECK(ends_with(o.msgs[0], "回复TD退订"));
	CHECK_STR(o.msgs[1], s->questions[0].sms);
	CHECK_INT(c.qidx, 0);

	reply(f, &c, "知道！", T0 + 60, &o);
	CHECK(o.answered && o.replied);
	CHECK_INT(c.qidx, 1); /* q2 is shown: q1 was 知道 */
	reply(f, &c, "２", T0 + 120, &o);
	CHECK_INT(c.qidx, 2);
	reply(f, &c, "非常满意", T0 + 180, &o);
	reply(f, &c, "我选3", T0 + 240, &o);
	reply(f, &c, "A.", T0 + 300, &o);
	reply(f, &c, "比较安全", T0 + 360, &o);
	CHECK_INT(c.qidx, 6);
	CHECK(!o.response);
	reply(f, &c, "满意", T0 + 420, &o);
	CHECK_INT(c.status, GW_CONV_DONE);
	CHECK(o.response);
	CHECK_STR(o.response_status, "complete");
	CHECK_INT(o.nmsgs, 1);
	CHECK_STR(o.msgs[0], s->sms_thanks);
	CHECK_INT(o.nknowledge, 0);

	json = gw_flow_response_json(f, &c, "00000000-0000-4000-8000-000000000001",
	                             "gw1", "H1", "439901101201001", "w1",
	                             o.response_status, T0 + 420);
	REQUIRE(json != NULL);
	CHECK(strstr(json, "\"answers\":{\"overall\":\"2\",\"q1\":\"1\",\"q2\":\"2\","
	                   "\"q3\":\"1\",\"q4\":\"3\",\"q5\":\"1\",\"q6\":\"2\"}") != NULL);
	CHECK(strstr(json, "\"channel\":\"sms\"") != NULL);
	CHECK(strstr(json, "\"started_at\":\"2026-03-01T09:00:00+08:00\"") != NULL);
	CHECK(strstr(json, "\"completed_at\":\"2026-03-01T09:07:00+08:00\"") != NULL);
	CHECK(strstr(json, "\"household\":\"H1\"") != NULL);
	free(json);

	/* after the end a reply is late: kept for staff, changes nothing */
	reply(f, &c, "1", T0 + 500, &o);
	CHECK(o.late && o.replied && !o.answered);
	CHECK_INT(o.nmsgs, 0);
	gw_fsurvey_free(f);
}

static void show_if_and_skip(void)
{
	gw_fsurvey *f = load("satisfaction");
	const struct ax_survey *s = gw_fsurvey_survey(f);
	struct gw_conv c;
	struct gw_flow_out o;

	gw_flow_start(f, &c, T0, &o);
	reply(f, &c, "不知道", T0 + 10, &o);
	CHECK_INT(c.qidx, 2); /* q2 hidden */
	CHECK_STR(o.msgs[0], s->questions[2].sms);

	reply(f, &c, "满意度不高", T0 + 20, &o);
	CHECK(o.invalid);
	CHECK_INT(c.qidx, 2);
	CHECK_INT(o.nmsgs, 1);
	CHECK(strstr(o.msgs[0], "请回复数字1-5") != NULL);
	reply(f, &c, "7", T0 + 30, &o);
	CHECK(o.invalid);
	CHECK_INT(c.qidx, 3); /* skipped after the second invalid reply */
	CHECK(c.skipped[2]);
	CHECK(c.answers[2] == 0);
	CHECK(strncmp(o.msgs[0], "本题跳过。", strlen("本题跳过。")) == 0);
	/* the next question gets its own re-ask */
	reply(f, &c, "?", T0 + 40, &o);
	CHECK_INT(c.qidx, 3);
	CHECK_INT(c.attempts, 1);
	reply(f, &c, "4", T0 + 50, &o);
	CHECK_INT(c.qidx, 4);
	CHECK(c.answers[3] == 1ULL << 3);
	gw_fsurvey_free(f);
}

static void reminder_and_expiry(void)
{
	gw_fsurvey *f = load("satisfaction");
	struct gw_conv c;
	struct gw_flow_out o;
	struct gw_flow_opts opts;

	gw_flow_opts_defaults(&opts);
	gw_flow_start(f, &c, T0, &o);
	reply(f, &c, "1", T0 + 60, &o);
	CHECK_INT(gw_flow_next_due(&c, &opts), T0 + 60 + 24 * 3600);
	gw_flow_tick(f, &c, T0 + 60 + 24 * 3600 - 1, &opts, &o);
	CHECK_INT(o.nmsgs, 0);
	gw_flow_tick(f, &c, T0 + 60 + 24 * 3600, &opts, &o);
	CHECK_INT(o.nmsgs, 1);
	CHECK(strncmp(o.msgs[0], "提醒：", strlen("提醒：")) == 0);
	CHECK(c.reminded);
	/* only one reminder */
	gw_flow_tick(f, &c, T0 + 60 + 48 * 3600, &opts, &o);
	CHECK_INT(o.nmsgs, 0);
	CHECK_INT(c.status, GW_CONV_ASKING);
	gw_flow_tick(f, &c, T0 + 60 + 96 * 3600 - 1, &opts, &o);
	CHECK_INT(c.status, GW_CONV_ASKING);
	gw_flow_tick(f, &c, T0 + 60 + 96 * 3600, &opts, &o);
	CHECK_INT(c.status, GW_CONV_EXPIRED);
	CHECK(o.response);
	CHECK_STR(o.response_status, "partial");
	CHECK_INT(o.nmsgs, 0);
	CHECK_INT(gw_flow_next_due(&c, &opts), 0);

	/* never replied: expired with no response record (it used to write
	 * an "abandoned" one, counted as a reply by the funnel) */
	gw_flow_start(f, &c, T0, &o);
	gw_flow_tick(f, &c, T0 + 24 * 3600, &opts, &o);
	gw_flow_tick(f, &c, T0 + 96 * 3600, &opts, &o);
	CHECK_INT(c.status, GW_CONV_EXPIRED);
	CHECK(!o.response);

	/* replied, but nothing understood: abandoned */
	gw_flow_start(f, &c, T0, &o);
	reply(f, &c, "啥", T0 + 60, &o);
	CHECK(o.invalid);
	gw_flow_tick(f, &c, T0 + 60 + 24 * 3600, &opts, &o);
	gw_flow_tick(f, &c, T0 + 60 + 96 * 3600, &opts, &o);
	CHECK_INT(c.status, GW_CONV_EXPIRED);
	CHECK(o.response);
	CHECK_STR(o.response_status, "abandoned");

	/* a reply after the reminder is still taken */
	gw_flow_start(f, &c, T0, &o);
	gw_flow_tick(f, &c, T0 + 24 * 3600, &opts, &o);
	reply(f, &c, "1", T0 + 30 * 3600, &o);
	CHECK(o.answered);
	CHECK(!c.reminded);
	gw_fsurvey_free(f);
}

/* The campaign closes under open conversations: closed, silently; a
 * record of what was answered, none for a household that never replied. */
static void close_campaign(void)
{
	gw_fsurvey *f = load("satisfaction");
	struct gw_conv c;
	struct gw_flow_out o;
	struct gw_flow_opts opts;

	gw_flow_opts_defaults(&opts);
	gw_flow_start(f, &c, T0, &o);
	reply(f, &c, "1", T0 + 60, &o);
	reply(f, &c, "2", T0 + 120, &o);
	CHECK_INT(c.status, GW_CONV_ASKING);
	gw_flow_close(f, &c, T0 + 180, &o);
	CHECK_INT(c.status, GW_CONV_CLOSED);
	CHECK_INT(o.nmsgs, 0);
	CHECK(o.response);
	CHECK_STR(o.response_status, "partial");
	CHECK_INT(gw_flow_next_due(&c, &opts), 0);
	/* closing twice, or a reply after: nothing more */
	gw_flow_close(f, &c, T0 + 240, &o);
	CHECK(!o.response);
	reply(f, &c, "3", T0 + 300, &o);
	CHECK(o.late && !o.answered);

	gw_flow_start(f, &c, T0, &o);
	gw_flow_close(f, &c, T0 + 60, &o);
	CHECK_INT(c.status, GW_CONV_CLOSED);
	CHECK(!o.response);
	CHECK_INT(o.nmsgs, 0);
	CHECK_STR(gw_conv_status_name(GW_CONV_CLOSED), "closed");
	CHECK_INT(gw_conv_status_parse("closed"), GW_CONV_CLOSED);
	gw_fsurvey_free(f);
}

static void optout(void)
{
	gw_fsurvey *f = load("satisfaction");
	struct gw_conv c;
	struct gw_flow_out o;

	gw_flow_start(f, &c, T0, &o);
	reply(f, &c, "1", T0 + 10, &o);
	/* a lone "T" asks; the open question (q2) stays open, unanswered,
	 * with no attempt used */
	reply(f, &c, "T", T0 + 15, &o);
	CHECK(o.optout_ask && !o.optout && !o.invalid && !o.answered);
	CHECK_INT(o.nmsgs, 1);
	CHECK_STR(o.msgs[0], gw_flow_optout_ask_text);
	CHECK_INT(c.status, GW_CONV_ASKING);
	CHECK_INT(c.qidx, 1);
	CHECK_INT(c.attempts, 0);
	reply(f, &c, "2", T0 + 20, &o);
	CHECK(o.answered);
	reply(f, &c, "ＴＤ", T0 + 30, &o);
	CHECK(o.optout);
	CHECK_INT(c.status, GW_CONV_OPTED_OUT);
	CHECK(o.response);
	CHECK_STR(o.response_status, "partial");
	CHECK_INT(o.nmsgs, 1);
	CHECK_STR(o.msgs[0], gw_flow_optout_text);
	reply(f, &c, "3", T0 + 40, &o);
	CHECK(o.late && !o.answered && o.nmsgs == 0);
	/* a second 退订 is confirmed again but writes no second response */
	reply(f, &c, "退订", T0 + 50, &o);
	CHECK(o.optout && !o.response);
	gw_fsurvey_free(f);
}

static void quiz(void)
{
	gw_fsurvey *f = load("aware-anti-fraud");
	const struct ax_survey *s = gw_fsurvey_survey(f);
	struct gw_conv c;
	struct gw_flow_out o;
	char wrong[8];
	int i;

	gw_flow_start(f, &c, T0, &o);
	for (i = 0; i < s->nquestions; i++) {
		const struct ax_question *q = &s->questions[i];
		CHECK_INT(c.qidx, i);
		if (i == 1) { /* one wrong answer */
			snprintf(wrong, sizeof wrong, "%s",
			         strcmp(q->answer, "1") == 0 ? "2" : "1");
			reply(f, &c, wrong, T0 + 10 * (i + 1), &o);
		} else if (i == 3) { /* one skipped */
			reply(f, &c, "x", T0 + 10 * (i + 1), &o);
			reply(f, &c, "y", T0 + 10 * (i + 1), &o);
		} else {
			reply(f, &c, q->answer, T0 + 10 * (i + 1), &o);
		}
	}
	CHECK_INT(c.status, GW_CONV_DONE);
	CHECK_INT(o.correct, s->nquestions - 2);
	CHECK_INT(o.nknowledge, s->nquestions);
	CHECK_INT(o.nmsgs, 2);
	{
		char want[64];
		snprintf(want, sizeof want, "您答对了%d/%d题。", s->nquestions - 2,
		         s->nquestions);
		CHECK(ends_with(o.msgs[0], want));
	}
	CHECK(strstr(o.msgs[1], "第2题正确答案是“") != NULL);
	CHECK(strstr(o.msgs[1], s->questions[1].explanation) != NULL);
	CHECK(strstr(o.msgs[1], "第4题正确答案是“") != NULL);
	CHECK(strstr(o.msgs[1], "第1题正确答案") == NULL);
	CHECK_STR(o.response_status, "complete");
	gw_fsurvey_free(f);
}

/* The answer line names the answer by its words in quotes: aware-anti-drug
 * v1 q5 is "打哪个电话举报", right option 4 "110", which came out as
 * "第5题答案：4110。", a phone number.  All five answered "1": q1 (right
 * 2), q3 (2), q4 (3), q5 (4) wrong, q2 right (tests/content-v1). */
static void answer_line(void)
{
	gw_fsurvey *f = load("aware-anti-drug");
	struct gw_conv c;
	struct gw_flow_out o;
	int i;

	gw_flow_start(f, &c, T0, &o);
	for (i = 0; i < 5; i++)
		reply(f, &c, "1", T0 + 10 * (i + 1), &o);
	CHECK_INT(c.status, GW_CONV_DONE);
	CHECK_INT(o.correct, 1);
	REQUIRE(o.nmsgs == 2);
	CHECK(strstr(o.msgs[1], "第5题正确答案是“110”。") != NULL);
	CHECK(strstr(o.msgs[1], "4110") == NULL);
	CHECK(strstr(o.msgs[1], "第1题正确答案是“K粉”。") != NULL);
	CHECK(strstr(o.msgs[1], "第2题") == NULL);
	gw_fsurvey_free(f);
}

/* The answer line numbers a question as the resident got it: with q1
 * answered 2 (否), k1 is hidden by its show_if, so k2 was the 2nd question
 * sent, not the 3rd (the old line said "第3题"). */
static void answer_numbered_as_sent(void)
{
	static const char text[] =
	    "{\"id\": \"n\", \"version\": 1, \"title\": \"t\","
	    " \"sms_intro\": \"您好！回复TD退订\", \"sms_thanks\": \"谢谢！\","
	    " \"questions\": ["
	    "  {\"id\": \"q1\", \"type\": \"yesno\", \"text\": \"去过吗？\","
	    "   \"sms\": \"去过吗？回复1是 2否\"},"
	    "  {\"id\": \"k1\", \"type\": \"knowledge\", \"topic\": \"anti_drug\","
	    "   \"text\": \"甲？\", \"sms\": \"甲？回复1对 2错\", \"answer\": \"1\","
	    "   \"explanation\": \"甲对。\", \"options\": [{\"code\": \"1\", \"label\": \"对\"},"
	    "   {\"code\": \"2\", \"label\": \"错\"}],"
	    "   \"show_if\": {\"question\": \"q1\", \"any_of\": [\"1\"]}},"
	    "  {\"id\": \"k2\", \"type\": \"knowledge\", \"topic\": \"anti_drug\","
	    "   \"text\": \"乙？\", \"sms\": \"乙？回复1对 2错\", \"answer\": \"2\","
	    "   \"explanation\": \"乙错。\", \"options\": [{\"code\": \"1\", \"label\": \"对\"},"
	    "   {\"code\": \"2\", \"label\": \"错\"}]}],"
	    " \"metrics\": {\"awareness\": [{\"topic\": \"anti_drug\","
	    "   \"questions\": [\"k1\", \"k2\"], \"pass_share\": 0.5}]}}";
	ax_content *c = NULL;
	gw_fsurvey *f = NULL;
	struct gw_conv cv;
	struct gw_flow_out o;
	int nerr = 0;

	REQUIRE(ax_content_load_text("n.json", "survey", text, NULL, NULL, &nerr,
	                             &c) == AX_OK);
	REQUIRE(nerr == 0 && ax_content_nsurveys(c) == 1);
	REQUIRE(gw_fsurvey_new(ax_content_survey(c, 0), &f) == AX_OK);
	gw_flow_start(f, &cv, T0, &o);
	reply(f, &cv, "2", T0 + 10, &o); /* q1: 否, k1 hidden */
	reply(f, &cv, "1", T0 + 20, &o); /* k2: wrong */
	CHECK_INT(cv.status, GW_CONV_DONE);
	REQUIRE(o.nmsgs == 2);
	CHECK(strstr(o.msgs[1], "第2题正确答案是“错”。乙错。") != NULL);
	CHECK(strstr(o.msgs[1], "第3题") == NULL);
	gw_fsurvey_free(f);
	ax_content_free(c);
}

static void names(void)
{
	CHECK_STR(gw_conv_status_name(GW_CONV_OPTED_OUT), "opted_out");
	CHECK_INT(gw_conv_status_parse("expired"), GW_CONV_EXPIRED);
	CHECK_INT(gw_conv_status_parse("nope"), -1);
	{
		char t[AX_TIME_ISO_LEN], *j;
		ax_time_iso(0, t);
		CHECK_STR(t, "1970-01-01T08:00:00+08:00");
		j = gw_contact_json("id1", "H1", "sms_sent", NULL, "gw1", T0);
		CHECK_STR(j, "{\"at\":\"2026-03-01T09:00:00+08:00\",\"channel\":\"sms\","
		             "\"device\":\"gw1\",\"household\":\"H1\",\"id\":\"id1\","
		             "\"kind\":\"sms_sent\",\"pack\":null,\"type\":\"contact\"}");
		free(j);
	}
}

int main(void)
{
	char path[1024];
	const char *src = getenv("ANXIN_SOURCE");
	int nerr = 0;

	snprintf(path, sizeof path, "%s/tests/content-v1", src ? src : ".");
	REQUIRE(ax_content_load_dir(path, NULL, NULL, &nerr, &content) == AX_OK);
	REQUIRE(nerr == 0);
	full_questionnaire();
	show_if_and_skip();
	reminder_and_expiry();
	close_campaign();
	optout();
	quiz();
	answer_line();
	answer_numbered_as_sent();
	names();
	ax_content_free(content);
	return check_done();
}
