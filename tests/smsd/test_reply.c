/*
 * test_reply -- unit tests of the reply parser beyond the golden file:
 * two-digit codes, the hint, the opt-out test, limits, locale
 * independence and keys that two options share.
 */
#include <locale.h>
#include <string.h>

#include "check.h"
#include "reply.h"

static const char *parse(const struct ax_question *q, const char *text)
{
	static char buf[256];
	gw_matcher *m = NULL;
	struct gw_reply r;

	REQUIRE(gw_matcher_new(q, &m) == AX_OK);
	gw_reply_parse(m, text, strlen(text), &r);
	gw_reply_format(q, &r, buf, sizeof buf);
	gw_matcher_free(m);
	if (strncmp(buf, "invalid", 7) == 0)
		buf[7] = '\0';
	return buf;
}

int main(void)
{
	static const char *const codes[] = {"1", "2", "3", "4", "5", "6",
	                                    "7", "8", "9", "10", "11", "12"};
	struct ax_option o12[12], ab[2], yn[2], dup[2];
	static const char *const k_same[] = {"一样", NULL};
	struct ax_question q12 = {0}, qab = {0}, qyn = {0}, qdup = {0};
	char hint[128], big[8192];
	int i;

	/* the parser must not care about the locale */
	setlocale(LC_ALL, "C");

	memset(o12, 0, sizeof o12);
	for (i = 0; i < 12; i++) {
		o12[i].code = codes[i];
		o12[i].label = "";
	}
	q12.id = "g";
	q12.type = AX_Q_SINGLE;
	q12.options = o12;
	q12.noptions = 12;
	CHECK_STR(parse(&q12, "12"), "12");
	CHECK_STR(parse(&q12, "１０"), "10");
	CHECK_STR(parse(&q12, "⑪"), "11");
	CHECK_STR(parse(&q12, "十二"), "12");
	CHECK_STR(parse(&q12, "拾壹"), "11");
	CHECK_STR(parse(&q12, "第十个"), "10");
	CHECK_STR(parse(&q12, "13"), "invalid");
	CHECK_STR(parse(&q12, "二十"), "invalid");
	CHECK_STR(parse(&q12, "l"), "12"); /* letters are positions */
	q12.type = AX_Q_MULTI;
	CHECK_STR(parse(&q12, "12"), "12"); /* an existing code wins */
	CHECK_STR(parse(&q12, "1,2"), "1,2");
	CHECK_STR(parse(&q12, "123"), "1,2,3");
	gw_reply_hint(&q12, hint, sizeof hint);
	CHECK_STR(hint, "请回复数字1-12，可多选，如1,2");

	memset(ab, 0, sizeof ab);
	ab[0].code = "A";
	ab[0].label = "同意";
	ab[1].code = "B";
	ab[1].label = "不同意";
	qab.type = AX_Q_SINGLE;
	qab.options = ab;
	qab.noptions = 2;
	CHECK_STR(parse(&qab, "不同意"), "B");
	CHECK_STR(parse(&qab, "同意"), "A");
	CHECK_STR(parse(&qab, "ｂ"), "B");
	gw_reply_hint(&qab, hint, sizeof hint);
	CHECK_STR(hint, "请回复A-B");

	memset(yn, 0, sizeof yn);
	yn[0].code = "1";
	yn[0].label = "是";
	yn[1].code = "2";
	yn[1].label = "否";
	qyn.type = AX_Q_YESNO;
	qyn.options = yn;
	qyn.noptions = 2;
	gw_reply_hint(&qyn, hint, sizeof hint);
	CHECK_STR(hint, "请回复数字1或2");
	CHECK_STR(parse(&qyn, "不知道"), "2");
	CHECK_STR(parse(&qyn, "知道"), "1");

	/* a key two options share is ambiguous: it matches neither */
	memset(dup, 0, sizeof dup);
	dup[0].code = "1";
	dup[0].label = "甲";
	dup[0].keys = k_same;
	dup[0].nkeys = 1;
	dup[1].code = "2";
	dup[1].label = "乙";
	dup[1].keys = k_same;
	dup[1].nkeys = 1;
	qdup.type = AX_Q_SINGLE;
	qdup.options = dup;
	qdup.noptions = 2;
	CHECK_STR(parse(&qdup, "一样"), "invalid");
	CHECK_STR(parse(&qdup, "甲"), "1");

	/* opt-out alone, any width and case */
	CHECK(gw_reply_is_optout("ＴＤ", strlen("ＴＤ")));
	CHECK(gw_reply_is_optout(" Stop! ", 7));
	CHECK(gw_reply_is_optout("退订", strlen("退订")));
	CHECK(gw_reply_is_optout("我要退订", strlen("我要退订")));
	CHECK(gw_reply_is_optout("2 退订", strlen("2 退订")));
	CHECK(!gw_reply_is_optout("取消退订", strlen("取消退订")));
	/* a lone letter asks first */
	CHECK(!gw_reply_is_optout("T", 1));
	CHECK(gw_reply_optout_ask("T", 1));
	CHECK(gw_reply_optout_ask("取消。", strlen("取消。")));
	CHECK(!gw_reply_optout_ask("TD", 2));
	CHECK(!gw_reply_is_optout("", 0));
	CHECK(!gw_reply_is_optout("1", 1));

	/* limits: a huge reply and broken UTF-8 are invalid, never a crash */
	memset(big, '1', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK_STR(parse(&q12, big), "invalid");
	CHECK_STR(parse(&q12, "\xe4\xb8"), "invalid");
	CHECK_STR(parse(&q12, "\xc0\xaf"), "invalid");

	/* bad questions are refused */
	{
		gw_matcher *m = (gw_matcher *)1;
		struct ax_question none = {0};
		CHECK(gw_matcher_new(&none, &m) == AX_INVALID);
		CHECK(m == NULL);
		gw_matcher_free(NULL);
	}
	return check_done();
}
