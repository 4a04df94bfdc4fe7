/*
 * test_optback -- the way back from an opt-out, and a lone "T" with no
 * question open, through libgammu's dummy driver, one modem, a fixed
 * clock moved by hand:
 *
 *   H1 texts TD, then 恢复: the opt-out is withdrawn and confirmed by SMS
 *   (before: 恢复 was ignored and the number stayed opted out for good).
 *   H2 texts 退订; staff withdraw it with gw_restore_number (what
 *   anxin-smsd --restore runs): removed and confirmed; a second time, or
 *   for a number that had not opted out, AX_NOTFOUND; not a number,
 *   AX_INVALID.  H3, in no campaign, texts a lone "T": asked whether it
 *   means 退订, not opted out (before: nothing was sent back).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway.h"
#include "testutil.h"
#include "gwtest.h"

static const char roster_csv[] =
    "户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"
    "H1,439901101000,439901101201,439901101201001,13800000001,2\n"
    "H2,439901101000,439901101201,439901101201001,13800000002,3\n"
    "H3,439901101000,439901101202,439901101202001,13800000003,4\n";

#define T0 1772416800LL /* 2026-03-02 10:00 China time */
#define DAY 86400LL

static struct gw_config cfg;
static gw_gateway *g;
static char m0[300], camp[64];

static long long q1(const char *sql, const char *a)
{
	return gwt_q1(cfg.store, sql, a);
}


#define RESTORED "您已恢复接收平安建设短信，感谢支持。如需退订，请回复“退订”。"

/* 1 when phone is on the opt-out list */
static long long opted(const char *phone)
{
	return q1("SELECT COUNT(*) FROM optout WHERE phone=?1", phone);
}

static long long sent_text(const char *phone, const char *text)
{
	char sql[512];
	snprintf(sql, sizeof sql,
	         "SELECT COUNT(*) FROM queue WHERE phone=?1 AND state='sent' AND"
	         " text='%s'", text);
	return q1(sql, phone);
}

int main(void)
{
	const char *p1 = "+8613800000001", *p2 = "+8613800000002";
	const char *p3 = "+8613800000003";

	g = gwt_setup(&cfg, m0, roster_csv, sizeof roster_csv - 1, "439901101201", T0,
	              camp, "pace_burst = 60\n");
	gwt_round(g, T0);

	/* ---- H1: TD, then 恢复 ---- */
	gwt_inject(m0, p1, "TD");
	gwt_round(g, T0 + 60);
	CHECK_INT(opted(p1), 1);
	CHECK_INT(sent_text(p1, "您已退订，本号码今后不会再收到平安建设短信。如需恢复，"
	                        "请回复“恢复”，或联系村（社区）网格员。"),
	          1);
	gwt_inject(m0, p1, "恢复！");
	gwt_round(g, T0 + 120);
	CHECK_INT(opted(p1), 0);
	CHECK_INT(sent_text(p1, RESTORED), 1);
	CHECK_INT(q1("SELECT COUNT(*) FROM inbox WHERE phone=?1 AND state='done'", p1), 2);

	/* ---- H2: 退订, withdrawn by staff ---- */
	gwt_inject(m0, p2, "退订");
	gwt_round(g, T0 + 180);
	CHECK_INT(opted(p2), 1);
	CHECK_INT(gw_restore_number(g, "138 0000 0002", "第一网格 张三"), AX_OK);
	CHECK_INT(opted(p2), 0);
	CHECK_INT(gw_restore_number(g, "13800000002", "第一网格 张三"), AX_NOTFOUND);
	CHECK_INT(gw_restore_number(g, "13800000003", "第一网格 张三"), AX_NOTFOUND);
	CHECK_INT(gw_restore_number(g, "not a number", "第一网格 张三"), AX_INVALID);
	gwt_round(g, T0 + 240);
	CHECK_INT(sent_text(p2, RESTORED), 1);

	/* ---- H3, no conversation: a lone "T" is asked about ---- */
	gwt_inject(m0, p3, "T");
	gwt_round(g, T0 + 300);
	CHECK_INT(sent_text(p3, "您是要退订吗？如需退订，请回复“退订”两个字；继续答题，"
	                        "请回复选项前的数字。"),
	          1);
	CHECK_INT(opted(p3), 0);
	/* 恢复 from a number that never opted out changes nothing */
	gwt_inject(m0, p3, "恢复");
	gwt_round(g, T0 + 360);
	CHECK_INT(q1("SELECT COUNT(*) FROM queue WHERE phone=?1", p3), 1);

	gw_close(g);
	return check_done();
}
