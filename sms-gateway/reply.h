/*
 * reply.h -- the SMS reply parser (pure: no I/O, no globals, no locale).
 *
 * A reply to one question ("１", "一", "A.", "满意！", "不满意", "我选2",
 * "1,3", "退订") is normalised with utf8proc (NFKC + case fold, default
 * ignorables dropped: full-width and circled digits become ASCII) and
 * then read as a list of tokens: option codes (1/2/3, A/B/C), Chinese
 * numerals (一二三, 壹贰叁, 十二), option labels and the survey's reply
 * keys, built-in yes/no words for yes/no questions, filler words
 * ("我选", "第", "个", "吧") and separators.  Phrases are matched longest
 * first, so 不满意 is never read as 满意 and 不知道 never as 知道.
 *
 * Anything the parser cannot attribute with certainty is INVALID, never
 * guessed: two different options for a single-choice question, a code
 * out of range, a negation (不/没/未…) it did not consume as part of a
 * phrase, unknown words next to the answer.  A comment in a separate
 * clause ("2，谢谢你们") is ignored when it holds no negation.
 *
 * Opt-out words (退订, TD, T, STOP, 取消, alone, any case or width) win
 * over everything, including an option coded "T".
 *
 * Thread-safety: a matcher is immutable after gw_matcher_new and may be
 * shared by any number of threads.
 */
#ifndef ANXIN_GW_REPLY_H
#define ANXIN_GW_REPLY_H

#include <stddef.h>

#include "anxin/anxin.h"
#include "anxin/content.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest reply read, in code points after normalisation (an SMS of 10
 * concatenated UCS-2 parts is 670); longer replies are INVALID. */
#define GW_REPLY_MAX_CP 1024
/* Options per question the parser handles (bit set in a 64-bit word). */
#define GW_REPLY_MAX_OPTIONS 64

enum gw_reply_kind {
	GW_REPLY_ANSWER = 0, /* choices holds at least one option */
	GW_REPLY_OPTOUT,     /* the sender asked never to be messaged again */
	GW_REPLY_INVALID,    /* nothing certain: re-ask or skip */
	GW_REPLY_OPTOUT_ASK, /* a lone "T" or "取消": may be a stop, may be a
	                      * slip; ask before opting out */
};

struct gw_reply {
	enum gw_reply_kind kind;
	unsigned long long choices; /* bit i: options[i] of the question */
	int nchoices;
	const char *why; /* static English reason when INVALID, else "" */
};

typedef struct gw_matcher gw_matcher;

/*
 * Compile the phrases of one question (borrowed; it must outlive the
 * matcher only during this call: everything needed is copied).  On
 * failure *out is NULL: AX_NOMEM, or AX_INVALID for a question with more
 * than GW_REPLY_MAX_OPTIONS options.
 */
ax_rc gw_matcher_new(const struct ax_question *q, gw_matcher **out);
void gw_matcher_free(gw_matcher *m); /* accepts NULL */

/*
 * Parse one reply (borrowed, `len` bytes, need not be NUL-terminated,
 * need not be valid UTF-8: invalid bytes make the reply INVALID).
 * Allocates nothing.  Fills *out.
 */
void gw_reply_parse(const gw_matcher *m, const char *text, size_t len,
                    struct gw_reply *out);

/*
 * 1 if the text asks to stop (question-independent): 退订 anywhere unless
 * undone ("不退订", "取消退订"), 拒收, 不要再发, 别发, 勿打扰 ..., or TD /
 * STOP alone with polite words ("回复TD", "我要退订了").  An answer with a
 * 退订 ("2 退订") is a stop.
 */
int gw_reply_is_optout(const char *text, size_t len);
/* 1 if the text is a lone "T" or "取消": ask whether it means stop. */
int gw_reply_optout_ask(const char *text, size_t len);
/* 1 if the whole text asks to be messaged again after an opt-out: 恢复,
 * 订阅, 恢复订阅, 重新订阅, 取消退订, 恢复接收. */
int gw_reply_is_restore(const char *text, size_t len);

/*
 * The hint sent with a re-ask, in Chinese: "请回复数字1-5",
 * "请回复1或2", "请回复A-D中的一个或几个，如A,C".  Always NUL-terminated;
 * returns the length it needed (as snprintf).
 */
int gw_reply_hint(const struct ax_question *q, char *buf, size_t n);

/*
 * The outcome as text for logs, tests and `anxin sms parse`: the chosen
 * codes joined with ",", "optout", or "invalid: why".  As snprintf.
 */
int gw_reply_format(const struct ax_question *q, const struct gw_reply *r,
                    char *buf, size_t n);

#ifdef __cplusplus
}
#endif
#endif
