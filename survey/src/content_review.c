/*
 * content_review.c -- what a county reviewer checks in a pack or survey
 * before it goes out (content/README.md, 第九节):
 *
 *   - the pack's "review" checklist: one note per item (facts, tone,
 *     religion, offices, hotlines, quiz) saying what was checked.  An
 *     unknown item or a note that is not text is an error; an item not
 *     ticked is a lint warning;
 *   - every SMS text as the gateway sends it: the gateway puts its
 *     configured signature (【江州县平安办】, at most AX_SMS_SIGNATURE_MAX
 *     characters) before every message, so a signature in the content
 *     would be a second one (warning), and each text must leave room for
 *     the signature and for what the gateway adds to it: the opt-out tail
 *     of a first digest, the "提醒：您还没有回复：" of a reminder, the score
 *     after the thanks (warning when it does not);
 *   - one form of address: 您, never 你 (warning).
 *
 * The warnings are `anxin content lint --review`'s (AX__LINT_REVIEW):
 * the apps load content that only misses them, and plain lint (and its
 * golden cases) stays about validity and guessing.
 */
#include <jansson.h>
#include <string.h>

#include "anxin/text.h"
#include "content_int.h"

const char *const ax__review_items[] = {"facts",   "tone", "religion",
                                        "offices", "hotlines", "quiz", NULL};

void ax__check_review(struct ax__lint *L, json_t *root)
{
	json_t *rv = json_object_get(root, "review"), *v;
	const char *key;
	char p[256];
	int i;

	if (rv && !json_is_object(rv)) {
		ax__lerr(L, "review", "\"review\" must be an object of notes, one "
		         "per checklist item");
		return;
	}
	if (rv)
		ax__check_fields(L, rv, "review", ax__review_items);
	json_object_foreach(rv, key, v) {
		AX__PATH(p, "review/%s", key);
		if (!json_is_string(v) || json_string_length(v) == 0)
			ax__lerr(L, p, "review item \"%s\" must be a note (text) of "
			         "what was checked", key);
	}
	if (!(L->lint & AX__LINT_REVIEW))
		return;
	{
		struct ax_buf b = {0};
		for (i = 0; ax__review_items[i]; i++)
			if (!json_object_get(rv, ax__review_items[i]))
				ax__buf_printf(&b, "%s%s", b.p ? ", " : "",
				               ax__review_items[i]);
		if (b.p)
			ax__lwarn(L, rv ? "review" : "", "review items not ticked: %s "
			          "(check each, content/README.md 第九节, and say in "
			          "\"review\" what was checked)", b.p);
		ax__buf_free(&b);
	}
}

/* ---- SMS as sent, and the form of address ----------------------------- */
enum sms_kind { SMS_NONE, SMS_DIGEST, SMS_QUESTION, SMS_INTRO, SMS_THANKS };

/* What the gateway adds to a text of each kind besides the signature,
 * in characters, and the segments it must fit (sms-gateway/flow.c,
 * gw_outreach.c). */
static const struct {
	int extra, limit;
	const char *what;
} budget[] = {
	[SMS_DIGEST] = {6, AX_SMS_DIGEST_MAX, "the opt-out tail 回复TD退订 of a first digest"},
	[SMS_QUESTION] = {10, 2 * 67, "a reminder's 提醒：您还没有回复："},
	[SMS_INTRO] = {0, 2 * 67, "nothing"},
	[SMS_THANKS] = {12, 2 * 67, "the score 您答对了12/12题。"},
};

/* The kind of SMS text at a JSON path of a pack or survey, if it is one:
 * "sms/N/text" of a pack, "questions/N/sms", "sms_intro", "sms_thanks". */
static enum sms_kind sms_kind(int pack, const char *path)
{
	const char *last = strrchr(path, '/');
	last = last ? last + 1 : path;
	if (pack && strncmp(path, "sms/", 4) == 0 && strcmp(last, "text") == 0)
		return SMS_DIGEST;
	if (strncmp(path, "questions/", 10) == 0 && strcmp(last, "sms") == 0)
		return SMS_QUESTION;
	if (!pack && strcmp(path, "sms_intro") == 0)
		return SMS_INTRO;
	if (!pack && strcmp(path, "sms_thanks") == 0)
		return SMS_THANKS;
	return SMS_NONE;
}

static void check_text(struct ax__lint *L, int pack, const char *path,
                       const char *s)
{
	enum sms_kind k = sms_kind(pack, path);
	int units, ucs2;

	if (strstr(s, "你"))
		ax__lwarn(L, path, "\"你\" in a text residents read: address them "
		          "as \"您\" throughout");
	if (k == SMS_NONE)
		return;
	if (strstr(s, "【"))
		ax__lwarn(L, path, "a 【signature】 in the text: the gateway signs "
		          "every message with its configured one; leave it out");
	ax_sms_segments(s, &units, &ucs2);
	if (units + AX_SMS_SIGNATURE_MAX + budget[k].extra > budget[k].limit)
		ax__lwarn(L, path, "SMS text is %d characters; with a signature "
		          "of up to %d and %s (%d) it needs more than %d: "
		          "shorten it by %d",
		          units, AX_SMS_SIGNATURE_MAX, budget[k].what,
		          budget[k].extra, budget[k].limit,
		          units + AX_SMS_SIGNATURE_MAX + budget[k].extra -
		              budget[k].limit);
}

static void walk(struct ax__lint *L, int pack, json_t *v, char *path,
                 size_t n, size_t len)
{
	const char *key;
	json_t *e;
	size_t i;

	if (json_is_string(v)) {
		check_text(L, pack, path, json_string_value(v));
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, e) {
			if (!len && strcmp(key, "review") == 0)
				continue; /* notes for reviewers, not residents */
			if ((size_t)snprintf(path + len, n - len, "%s%s", len ? "/" : "",
			                     key) < n - len)
				walk(L, pack, e, path, n, strlen(path));
			path[len] = '\0';
		}
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, e) {
			if ((size_t)snprintf(path + len, n - len, "%s%zu", len ? "/" : "",
			                     i) < n - len)
				walk(L, pack, e, path, n, strlen(path));
			path[len] = '\0';
		}
	}
}

void ax__check_texts(struct ax__lint *L, json_t *root, int pack)
{
	char path[256] = "";

	if ((L->lint & AX__LINT_REVIEW) && json_is_object(root))
		walk(L, pack, root, path, sizeof path, 0);
}
