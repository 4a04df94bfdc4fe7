/*
 * test_bundled.c -- the bundled quizzes measure knowledge, and the
 * bundled SMS texts fit (issue 13; content/README.md 第八、九节).
 *
 * Worked out here from the questions themselves, not by the linter
 * (content_guess.c, content_review.c), for every awareness rule of every
 * bundled survey:
 *   - each topic's bank (its knowledge questions over all bundled packs)
 *     has at least 12 questions, and so has each awareness rule;
 *   - always tapping the longest option (a tie counted as the guesser's
 *     luck: the answer among the longest) fails every quiz, whichever
 *     questions a draw shows: its hits in the whole rule are fewer than
 *     the right answers needed; so do always the first and always the
 *     last, unless the survey shuffles the options (then a position is
 *     a random guess, bounded below);
 *   - a uniform random guesser passes with probability under 5 %, on the
 *     most guessable questions a draw could show (fewest options);
 *   - every explanation names its source: a 《law》 or an official body
 *     the pack's sources list.
 * And for every SMS text, as the gateway sends it (signature of up to
 * AX_SMS_SIGNATURE_MAX, plus what it adds): digests in one segment of
 * 70 with the opt-out tail (6), questions in two of 67 with a
 * reminder's prefix (10), intros in two, thanks with the score (12);
 * none carries a 【signature】 of its own.
 *
 * The hand figure it is checked against: 8 shown questions of 4 options,
 * 5 right to pass (0.6 x 8 = 4.8): C(8,5) 3^3 + C(8,6) 3^2 + C(8,7) 3 + 1
 * = 1512 + 252 + 24 + 1 = 1789 of 4^8 = 65536 answer sheets, 2.73 %.
 *
 * Usage: test_bundled [DIR] (default $ANXIN_SOURCE/content); on the old
 * content (tests/content-v1) it fails.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/content.h"
#include "check.h"

/* Characters (UCS-2 units: every character here is in the BMP). */
static int units(const char *s)
{
	int n = 0;
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c & 0xC0) != 0x80)
			n += c >= 0xF0 ? 2 : 1;
	}
	return n;
}

/* P(at least need right) for n questions of k[i] options, guessed. */
static double p_pass(const int *k, int n, int need)
{
	double p[65] = {1};
	for (int i = 0; i < n; i++)
		for (int r = i + 1; r >= 0; r--)
			p[r] = p[r] * (1 - 1.0 / k[i]) + (r ? p[r - 1] / k[i] : 0);
	double s = 0;
	for (int r = need; r <= n; r++)
		s += p[r];
	return s;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Does the explanation of a question of pack pk name one of its sources:
 * a 《title》 in a source's title, or the official body a source title
 * names (its short form as residents read it)? */
static int names_source(const struct ax_pack *pk, const char *ex)
{
	static const char *const bodies[][2] = {
	    {"两高解释", "最高人民法院、最高人民检察院"},
	    {"全国人大常委会", "全国人民代表大会常务委员会"},
	    {"国家反诈中心", "国家反诈中心"},
	    {"教育部", "教育部"},
	};
	const char *a = ex, *b;
	while ((a = strstr(a, "《")) && (b = strstr(a, "》"))) {
		char name[256]; /* 刑法 of 《刑法》: 《中华人民共和国刑法》 names it */
		size_t n = (size_t)(b - a) - strlen("《");
		if (n < sizeof name) {
			memcpy(name, a + strlen("《"), n);
			name[n] = '\0';
			for (int i = 0; i < pk->nsources; i++)
				if (strstr(pk->sources[i].title, name))
					return 1;
		}
		a = b;
	}
	for (size_t j = 0; j < sizeof bodies / sizeof bodies[0]; j++)
		if (strstr(ex, bodies[j][0]))
			for (int i = 0; i < pk->nsources; i++)
				if (strstr(pk->sources[i].title, bodies[j][1]))
					return 1;
	return 0;
}

static void check_sms(const char *what, const char *id, const char *text,
                      int extra, int limit)
{
	int n = units(text);
	check_count++;
	if (n + AX_SMS_SIGNATURE_MAX + extra > limit) {
		check_failures++;
		fprintf(stderr, "%s %s: %d characters + signature %d + %d > %d\n",
		        what, id, n, AX_SMS_SIGNATURE_MAX, extra, limit);
	}
	if (text && strstr(text, "【")) {
		check_failures++;
		fprintf(stderr, "%s %s carries its own 【signature】\n", what, id);
	}
}

static void check_rule(const struct ax_survey *s,
                       const struct ax_awareness_rule *r)
{
	int nopt[64], hit[3] = {0}, n = 0;
	const char *names[3] = {"first", "last", "longest"};

	for (int j = 0; j < r->nquestions && n < 64; j++) {
		const struct ax_question *q = ax_survey_question(s, r->questions[j]);
		int a = -1, longest = 0;
		REQUIRE(q && q->type == AX_Q_KNOWLEDGE);
		for (int o = 0; o < q->noptions; o++) {
			if (strcmp(q->options[o].code, q->answer) == 0)
				a = o;
			if (units(q->options[o].label) > longest)
				longest = units(q->options[o].label);
		}
		REQUIRE(a >= 0);
		hit[0] += a == 0;
		hit[1] += a == q->noptions - 1;
		hit[2] += units(q->options[a].label) == longest;
		nopt[n++] = q->noptions;
	}
	/* what a respondent is shown: the draw, or all of the rule (every
	 * bundled survey's knowledge questions are its one rule's) */
	int shown = s->draw && s->draw < n ? s->draw : n;
	int need = (int)ceil(r->pass_share * shown - 1e-9);
	qsort(nopt, (size_t)n, sizeof nopt[0], cmp_int);
	double p = p_pass(nopt, shown, need);
	printf("%-20s %-13s bank %2d shown %d need %d: guesser %.2f %%, first %d "
	       "last %d longest %d\n",
	       s->id, r->topic, n, shown, need, 100 * p, hit[0], hit[1], hit[2]);
	CHECK(n >= 12);
	CHECK(p < 0.05);
	for (int k = s->shuffle ? 2 : 0; k < 3; k++) {
		int best = hit[k] < shown ? hit[k] : shown; /* the luckiest draw */
		check_count++;
		if (best >= need) {
			check_failures++;
			fprintf(stderr, "%s: always the %s option scores %d of %d "
			        "(%d pass)\n", s->id, names[k], best, shown, need);
		}
	}
}

int main(int argc, char **argv)
{
	const char *src = getenv("ANXIN_SOURCE");
	char dir[1024];
	ax_content *c = NULL;
	int nerr = 0, bank[16] = {0};

	{ /* the hand figure above */
		int four[8] = {4, 4, 4, 4, 4, 4, 4, 4};
		CHECK_NEAR(p_pass(four, 8, 5), 1789.0 / 65536, 1e-12);
	}
	if (argc > 1)
		snprintf(dir, sizeof dir, "%s", argv[1]);
	else
		snprintf(dir, sizeof dir, "%s/content", src ? src : ".");
	REQUIRE(ax_content_load_dir(dir, NULL, NULL, &nerr, &c) == AX_OK);
	CHECK_INT(nerr, 0);

	for (int i = 0; i < ax_content_npacks(c); i++) {
		const struct ax_pack *pk = ax_content_pack(c, i);
		for (int t = 0; ax_topics[t]; t++)
			if (strcmp(ax_topics[t], pk->topic) == 0)
				bank[t] += pk->nquestions;
		for (int d = 0; d < pk->ndigests; d++)
			check_sms(pk->id, pk->digests[d].id, pk->digests[d].text, 6, 70);
		for (int k = 0; k < pk->nquestions; k++) {
			const struct ax_question *q = &pk->questions[k];
			check_sms(pk->id, q->id, q->sms, 10, 134);
			check_count++;
			if (!names_source(pk, q->explanation)) {
				check_failures++;
				fprintf(stderr, "%s/%s: the explanation names no source of "
				        "the pack: %s\n", pk->id, q->id, q->explanation);
			}
		}
	}
	for (int t = 0; ax_topics[t]; t++) {
		printf("topic %-13s bank %d\n", ax_topics[t], bank[t]);
		CHECK(bank[t] >= 12);
	}
	for (int i = 0; i < ax_content_nsurveys(c); i++) {
		const struct ax_survey *s = ax_content_survey(c, i);
		check_sms(s->id, "sms_intro", s->sms_intro, 0, 134);
		check_sms(s->id, "sms_thanks", s->sms_thanks, 12, 134);
		for (int k = 0; k < s->nquestions; k++)
			if (!s->questions[k].ref)
				check_sms(s->id, s->questions[k].id, s->questions[k].sms,
				          10, 134);
		for (int a = 0; a < s->nawareness; a++)
			check_rule(s, &s->awareness[a]);
	}
	ax_content_free(c);
	printf("%d checks, %d failed\n", check_count, check_failures);
	return check_failures != 0;
}
