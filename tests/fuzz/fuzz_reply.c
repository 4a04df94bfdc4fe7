/*
 * fuzz_reply -- the SMS reply parser (outside input: anything a phone
 * can send).  The first byte picks one of five questions (scale, yes/no,
 * twelve-option multiple choice, letter codes, labels with punctuation);
 * the rest is the reply.  Beyond "no crash, no UB", the verdict must be
 * coherent: an answer names options that exist, one of them for a
 * single-choice question, and opt-out agrees with gw_reply_is_optout.
 * Round trip: an answer, written back as its options' codes separated by
 * spaces (as a resident who reads the question would), parses to the
 * same choices.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reply.h"

static const char *const k_sat1[] = {"很满意", "十分满意", NULL};
static const char *const k_sat4[] = {"不太满意", NULL};
static const char *const k_no[] = {"否", "没有", "不清楚", NULL};
static const char *const codes12[] = {"1", "2", "3", "4", "5", "6",
                                      "7", "8", "9", "10", "11", "12"};

static struct ax_option sat[5], yn[2], multi[12], abcd[4], punct[3];
static struct ax_question qs[5];
static gw_matcher *m[5];

static void setup(void)
{
	static const char *const sat_labels[] = {"非常满意", "满意", "基本满意",
	                                         "不满意", "非常不满意"};
	static const char *const abcd_labels[] = {"一人", "两人", "三到四人",
	                                          "五人以上"};
	static const char *const punct_labels[] = {"诈骗，马上挂电话",
	                                           "配合调查，赶快转账",
	                                           "先转一半试试"};
	static const char *const letters[] = {"A", "B", "C", "D"};
	int i;

	for (i = 0; i < 5; i++) {
		sat[i].code = codes12[i];
		sat[i].label = sat_labels[i];
	}
	sat[0].keys = k_sat1;
	sat[0].nkeys = 2;
	sat[3].keys = k_sat4;
	sat[3].nkeys = 1;
	qs[0].type = AX_Q_SCALE5;
	qs[0].options = sat;
	qs[0].noptions = 5;

	yn[0].code = "1";
	yn[0].label = "知道";
	yn[1].code = "2";
	yn[1].label = "不知道";
	yn[1].keys = k_no;
	yn[1].nkeys = 3;
	qs[1].type = AX_Q_YESNO;
	qs[1].options = yn;
	qs[1].noptions = 2;

	for (i = 0; i < 12; i++) {
		multi[i].code = codes12[i];
		multi[i].label = "";
	}
	qs[2].type = AX_Q_MULTI;
	qs[2].options = multi;
	qs[2].noptions = 12;

	for (i = 0; i < 4; i++) {
		abcd[i].code = letters[i];
		abcd[i].label = abcd_labels[i];
	}
	qs[3].type = AX_Q_SINGLE;
	qs[3].options = abcd;
	qs[3].noptions = 4;

	for (i = 0; i < 3; i++) {
		punct[i].code = codes12[i];
		punct[i].label = punct_labels[i];
	}
	qs[4].type = AX_Q_KNOWLEDGE;
	qs[4].options = punct;
	qs[4].noptions = 3;

	for (i = 0; i < 5; i++)
		if (gw_matcher_new(&qs[i], &m[i]) != AX_OK)
			abort();
}

/* the answer r to question k, as codes, parses back to r's choices */
static void round_trip(int k, const struct gw_reply *r)
{
	struct gw_reply again;
	char text[64];
	size_t len = 0;

	for (int i = 0; i < qs[k].noptions; i++)
		if (r->choices & (1ull << i))
			len += (size_t)snprintf(text + len, sizeof text - len, "%s%s",
			                        len ? " " : "", qs[k].options[i].code);
	gw_reply_parse(m[k], text, len, &again);
	if (again.kind != GW_REPLY_ANSWER || again.choices != r->choices)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gw_reply r;
	char out[256];
	int k;

	if (!m[0])
		setup();
	if (size < 1)
		return 0;
	k = data[0] % 5;
	gw_reply_parse(m[k], (const char *)data + 1, size - 1, &r);
	gw_reply_format(&qs[k], &r, out, sizeof out);
	if ((r.kind == GW_REPLY_OPTOUT) !=
	    gw_reply_is_optout((const char *)data + 1, size - 1))
		abort();
	if (r.kind == GW_REPLY_ANSWER) {
		if (r.choices == 0 || r.nchoices < 1 ||
		    (r.choices >> qs[k].noptions) != 0)
			abort();
		if (qs[k].type != AX_Q_MULTI && r.nchoices != 1)
			abort();
		round_trip(k, &r);
	} else if (r.choices != 0) {
		abort();
	}
	if (r.kind == GW_REPLY_INVALID && (!r.why || !*r.why))
		abort();
	return 0;
}
