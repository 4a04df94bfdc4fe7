/*
 * bank_survey.h -- the small quiz bank of unit.bank and unit.smsd.shuffle:
 * k1 甲/乙/丙 (answer B), k2 对/错 (A), k3 一/二/三/四 (D), k4 是/否 (B),
 * all anti_fraud knowledge questions, and q5, a yes/no question outside
 * the bank; draw 2 of the 4, shuffle, pass_share 0.5 (1 of 2 right).
 */
#ifndef AX_TEST_BANK_SURVEY_H
#define AX_TEST_BANK_SURVEY_H

#define K(id, text, opts, ans)                                              \
	"{\"id\": \"" id "\", \"type\": \"knowledge\", \"text\": \"" text "\","  \
	" \"sms\": \"" text "\", \"answer\": \"" ans "\", \"topic\": "           \
	"\"anti_fraud\", \"explanation\": \"看宣传。\", \"options\": [" opts "]}"
#define O(c, l) "{\"code\": \"" c "\", \"label\": \"" l "\"}"
static const char survey_t[] =
    "{\"id\": \"b\", \"version\": 1, \"title\": \"题库\","
    " \"sms_intro\": \"【江州县综治办】您好！回复TD退订\","
    " \"sms_thanks\": \"【江州县综治办】谢谢！\", \"draw\": 2, \"shuffle\": true,"
    " \"questions\": ["
    K("k1", "第一问？", O("A", "甲") "," O("B", "乙") "," O("C", "丙"), "B") ","
    K("k2", "第二问？", O("A", "对") "," O("B", "错"), "A") ","
    K("k3", "第三问？", O("A", "一") "," O("B", "二") "," O("C", "三") ","
                        O("D", "四"), "D") ","
    K("k4", "第四问？", O("A", "是") "," O("B", "否"), "B") ","
    "  {\"id\": \"q5\", \"type\": \"yesno\", \"text\": \"去过吗？\","
    "   \"sms\": \"去过吗？回复1是 2否\"}"
    " ],"
    " \"metrics\": {\"awareness\": [{\"topic\": \"anti_fraud\", \"questions\":"
    " [\"k1\", \"k2\", \"k3\", \"k4\"], \"pass_share\": 0.5}]}}";

enum { K1, K2, K3, K4, Q5 };

#endif
