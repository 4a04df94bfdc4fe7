/*
 * content_guess.c -- can a quiz be passed without knowing anything?
 *
 * An awareness rule counts a resident as aware when at least pass_share
 * of its knowledge questions are answered right.  The rate means what an
 * inspection means only if a guesser rarely passes, so for every rule
 * the linter reports (ax__check_guessing):
 *
 *   - the exact probability that a uniform random guesser passes (each
 *     question answered uniformly at random among its options): a NOTE
 *     always, a WARNING above 5 %;
 *   - the score of three tapping strategies -- always the first option,
 *     always the last, always the longest: a NOTE always, a WARNING for
 *     each one that passes;
 *   - when the correct option is the strictly longest in most (more than
 *     half) of the rule's questions, a WARNING on each such question;
 *
 * and for every knowledge question, a WARNING when its correct option
 * carries its own justification (ax__check_justified).  Only a lint
 * (ax_content_lint_dir) runs these: the content stays valid, and the
 * apps that load it are not told.
 *
 * "Passes" is ax__aware_passed, the scorer's own comparison.  Questions
 * hidden by show_if are counted as shown: the guesser is taken to be
 * asked every question of the rule, which is exact for the bundled
 * quizzes (they have no show_if) and says so otherwise.
 *
 * A survey with a "draw" (content_bank.c) is judged as drawn: every
 * draw of its bank equally likely, the pass line on the questions
 * actually shown (ax__guess_drawn); the strategies are scored over the
 * bank and reported as the chance that they pass a drawn quiz, with a
 * warning above 5 %.  With "shuffle", always the first or the last
 * option is a uniform guess, so only the longest is reported.
 *
 * Length is counted in code points, the 字数 of content/README.md (one
 * Chinese character, digit, letter or punctuation mark is 1), not
 * display width; a tie for the longest goes to the first of the tied
 * options, the one a reader meets first.
 */
#include <stdlib.h>
#include <string.h>

#include "anxin/response.h"
#include "anxin/text.h"
#include "content_int.h"

/* ---- options ---------------------------------------------------------- */
int ax__option_len(const char *label)
{
	return label ? (int)ax_utf8_len(label) : 0;
}

int ax__pick_longest(const struct ax_question *q)
{
	int best = 0;

	for (int i = 1; i < q->noptions; i++)
		if (ax__option_len(q->options[i].label) >
		    ax__option_len(q->options[best].label))
			best = i;
	return best;
}

/* Index of the correct option of a knowledge question, or -1. */
static int answer_index(const struct ax_question *q)
{
	for (int i = 0; q->answer && i < q->noptions; i++)
		if (q->options[i].code && strcmp(q->options[i].code, q->answer) == 0)
			return i;
	return -1;
}

/* 1 if the correct option is longer than every other option. */
static int answer_strictly_longest(const struct ax_question *q)
{
	int a = answer_index(q), n;

	if (a < 0)
		return 0;
	n = ax__option_len(q->options[a].label);
	for (int i = 0; i < q->noptions; i++)
		if (i != a && ax__option_len(q->options[i].label) >= n)
			return 0;
	return 1;
}

/* ---- the odds --------------------------------------------------------- */
/*
 * ways[k] counts the answer sheets with exactly k right: a question of m
 * options adds one way to be right and m - 1 to be wrong, so each
 * question is one O(n) step of the convolution, O(n^2) in all.  The
 * counts are exact while the number of sheets (the product of the
 * option counts) fits 64 bits -- 31 questions of 4 options; past that
 * only the probabilities (dp, in doubles) are kept.
 */
int ax__guess_odds(const int *nopts, int n, int need, struct ax__guess *g)
{
	unsigned long long *ways = calloc((size_t)n + 2, sizeof *ways);
	double *dp = calloc((size_t)n + 2, sizeof *dp);
	int exact = 1;

	g->asked = n;
	g->need = need;
	g->ways = g->total = 0;
	g->p = 0;
	if (!ways || !dp) {
		free(ways);
		free(dp);
		return -1;
	}
	ways[0] = 1;
	dp[0] = 1;
	g->total = 1;
	for (int j = 0; j < n; j++) {
		unsigned long long m = (unsigned long long)(nopts[j] > 0 ? nopts[j] : 1);
		if (exact && g->total > ~0ULL / m)
			exact = 0;
		for (int k = j + 1; k >= 0; k--) {
			if (exact)
				ways[k] = ways[k] * (m - 1) + (k ? ways[k - 1] : 0);
			dp[k] = dp[k] * (double)(m - 1) / (double)m +
			        (k ? dp[k - 1] / (double)m : 0);
		}
		if (exact)
			g->total *= m;
	}
	if (exact) {
		for (int k = need < 0 ? 0 : need; k <= n; k++)
			g->ways += ways[k];
		g->p = (double)g->ways / (double)g->total;
	} else {
		g->total = 0;
		for (int k = need < 0 ? 0 : need; k <= n; k++)
			g->p += dp[k];
	}
	free(ways);
	free(dp);
	return 0;
}

int ax__guess_rule(const struct ax_survey *s,
                   const struct ax_awareness_rule *r, struct ax__guess *g)
{
	int *nopts = calloc((size_t)r->nquestions + 1, sizeof *nopts);
	int n = 0, need, rc;
	int picks[AX__NPICKS];
	int nlongest = 0, hidden = 0;

	memset(g, 0, sizeof *g);
	if (!nopts)
		return -1;
	for (int j = 0; j < r->nquestions; j++) {
		const struct ax_question *q = ax_survey_question(s, r->questions[j]);
		int a;
		if (!q || q->noptions < 1)
			continue;
		nopts[n++] = q->noptions;
		a = answer_index(q);
		picks[AX__PICK_FIRST] = 0;
		picks[AX__PICK_LAST] = q->noptions - 1;
		picks[AX__PICK_LONGEST] = ax__pick_longest(q);
		for (int k = 0; k < AX__NPICKS; k++)
			g->score[k] += picks[k] == a;
		nlongest += answer_strictly_longest(q);
		hidden |= q->show_if_question != NULL;
	}
	/* the fewest right answers that pass; `asked` always passes when
	 * pass_share <= 1, which the parser enforces */
	for (need = 0; need < n && !ax__aware_passed(need, n, r->pass_share);
	     need++)
		;
	rc = ax__guess_odds(nopts, n, need, g);
	g->nlongest = nlongest;
	g->show_if = hidden;
	free(nopts);
	return rc;
}

/* ---- drawn quizzes ---------------------------------------------------- */
/* C(n, k) in a double (n <= 64 here: exact to 53 bits, close beyond). */
static double choose(int n, int k)
{
	double c = 1;
	if (k < 0 || k > n)
		return 0;
	for (int i = 1; i <= k; i++)
		c = c * (double)(n - k + i) / (double)i;
	return c;
}

/*
 * The probability of passing rule r when a draw of N questions is taken
 * uniformly from the B knowledge questions of s, of which the rule has
 * R, and each of the rule's questions j is answered right with
 * probability pr[j].  f[c][k] sums, over the c-subsets S of the rule's
 * questions, the probability of exactly k right on S; a c-subset comes
 * with C(B - R, N - c) ways to fill the rest of the draw, of C(B, N)
 * draws, and passes with k >= need(c) (ax__aware_passed on the c shown).
 * O(R N^2).  -1 when out of memory.
 */
double ax__guess_drawn(const double *pr, int nr, int bank, int draw,
                       double pass_share)
{
	int cmax = nr < draw ? nr : draw, w = cmax + 1;
	double *f = calloc((size_t)w * (size_t)w, sizeof *f), p = 0;

	if (!f)
		return -1;
	f[0] = 1;
	for (int j = 0; j < nr; j++)
		for (int c = (j + 1 < cmax ? j + 1 : cmax); c >= 1; c--)
			for (int k = c; k >= 0; k--)
				f[c * w + k] += f[(c - 1) * w + k] * (1 - pr[j]) +
				                (k ? f[(c - 1) * w + k - 1] * pr[j] : 0);
	for (int c = 1; c <= cmax; c++) {
		double wt = choose(bank - nr, draw - c) / choose(bank, draw);
		for (int k = 0; k <= c; k++)
			if (ax__aware_passed(k, c, pass_share))
				p += wt * f[c * w + k];
	}
	free(f);
	return p;
}

static const char *const pick_names[AX__NPICKS] = {"first", "last",
                                                   "longest"};

/* Notes and warnings for rule r of a survey with a draw: the random
 * guesser and each strategy over the bank, as pass probabilities of the
 * drawn quiz. */
static void check_drawn(struct ax__lint *L, const struct ax_survey *s,
                        const struct ax_awareness_rule *r, const char *p,
                        const char *name)
{
	double pr[AX__NPICKS + 1][AX_RESP_MAX_Q], odds[AX__NPICKS + 1];
	int right[AX__NPICKS] = {0}, nr = 0, bank = ax_survey_nbank(s);
	int first = s->shuffle ? AX__PICK_LONGEST : 0;

	for (int j = 0; j < r->nquestions && nr < AX_RESP_MAX_Q; j++) {
		const struct ax_question *q = ax_survey_question(s, r->questions[j]);
		int a, picks[AX__NPICKS];
		if (!q || q->noptions < 1)
			continue;
		a = answer_index(q);
		picks[AX__PICK_FIRST] = 0;
		picks[AX__PICK_LAST] = q->noptions - 1;
		picks[AX__PICK_LONGEST] = ax__pick_longest(q);
		for (int k = 0; k < AX__NPICKS; k++) {
			pr[k][nr] = picks[k] == a;
			right[k] += picks[k] == a;
		}
		pr[AX__NPICKS][nr] = 1.0 / q->noptions;
		nr++;
	}
	for (int k = 0; k <= AX__NPICKS; k++)
		odds[k] = ax__guess_drawn(pr[k], nr, bank, s->draw, r->pass_share);
	ax__lnote(L, p, "%s: %d of %d questions drawn: a random guesser passes "
	          "with probability %.1f %%", name, s->draw, bank,
	          100 * odds[AX__NPICKS]);
	ax__lnote(L, p, "%s: over the bank of %d, always tapping the longest "
	          "option is right in %d, passing a drawn quiz with probability "
	          "%.1f %%%s", name, nr, right[AX__PICK_LONGEST],
	          100 * odds[AX__PICK_LONGEST],
	          s->shuffle ? " (options are shuffled: the first and the last are "
	                       "a guess)" : "");
	if (!s->shuffle)
		ax__lnote(L, p, "%s: over the bank of %d, always tapping the first "
		          "option is right in %d (passes %.1f %%), the last in %d "
		          "(passes %.1f %%)", name, nr, right[AX__PICK_FIRST],
		          100 * odds[AX__PICK_FIRST], right[AX__PICK_LAST],
		          100 * odds[AX__PICK_LAST]);
	if (odds[AX__NPICKS] > 0.05)
		ax__lwarn(L, p, "%s: a random guesser passes %.1f %% of the time, more "
		          "than 5 %%: draw more questions, add options, or raise "
		          "pass_share", name, 100 * odds[AX__NPICKS]);
	for (int k = first; k < AX__NPICKS; k++)
		if (odds[k] > 0.05)
			ax__lwarn(L, p, "%s: always tapping the %s option passes a drawn "
			          "quiz %.1f %% of the time (right in %d of the bank's %d)",
			          name, pick_names[k], 100 * odds[k], right[k], nr);
}

/* ---- diagnostics ------------------------------------------------------ */

void ax__check_guessing(struct ax__lint *L, const struct ax_survey *s)
{
	char p[256], name[160];

	for (int k = 0; k < s->nawareness; k++) {
		const struct ax_awareness_rule *r = &s->awareness[k];
		struct ax__guess g;

		if (ax__guess_rule(s, r, &g) || g.asked == 0)
			continue;
		AX__PATH(p, "metrics/awareness/%d", k);
		if (s->nawareness > 1)
			snprintf(name, sizeof name, "%s (%s)", s->id ? s->id : "?",
			         r->topic ? r->topic : "?");
		else
			snprintf(name, sizeof name, "%s", s->id ? s->id : "?");
		if (s->draw)
			; /* check_drawn says it for the drawn quiz */
		else if (g.total)
			ax__lnote(L, p, "%s: a random guesser passes with probability "
			          "%.1f %% (%llu of %llu answer sheets have %d or more of "
			          "%d right)%s",
			          name, 100 * g.p, g.ways, g.total, g.need, g.asked,
			          g.show_if ? "; questions hidden by show_if counted as "
			                      "shown" : "");
		else
			ax__lnote(L, p, "%s: a random guesser passes with probability "
			          "%.1f %% (%d or more of %d right)%s",
			          name, 100 * g.p, g.need, g.asked,
			          g.show_if ? "; questions hidden by show_if counted as "
			                      "shown" : "");
		if (s->draw) {
			check_drawn(L, s, r, p, name);
		} else {
			if (s->shuffle)
				ax__lnote(L, p, "%s: always tapping the longest option scores "
				          "%d of %d; %d right pass (options are shuffled: the "
				          "first and the last are a guess)",
				          name, g.score[AX__PICK_LONGEST], g.asked, g.need);
			else
				ax__lnote(L, p, "%s: always tapping the first option scores "
				          "%d of %d, the last %d, the longest %d; %d right pass",
				          name, g.score[AX__PICK_FIRST], g.asked,
				          g.score[AX__PICK_LAST], g.score[AX__PICK_LONGEST],
				          g.need);
			if (g.p > 0.05)
				ax__lwarn(L, p, "%s: a random guesser passes %.1f %% of the "
				          "time, more than 5 %%: add questions or options, or "
				          "raise pass_share", name, 100 * g.p);
			for (int i = s->shuffle ? AX__PICK_LONGEST : 0; i < AX__NPICKS; i++)
				if (g.score[i] >= g.need)
					ax__lwarn(L, p, "%s: always tapping the %s option scores "
					          "%d of %d and passes (%d needed)",
					          name, pick_names[i], g.score[i], g.asked, g.need);
		}
		if (2 * g.nlongest <= g.asked)
			continue;
		for (int j = 0; j < r->nquestions; j++) {
			int i = -1, a;
			for (int x = 0; x < s->nquestions; x++)
				if (s->questions[x].id &&
				    strcmp(s->questions[x].id, r->questions[j]) == 0)
					i = x;
			if (i < 0 || !answer_strictly_longest(&s->questions[i]))
				continue;
			a = answer_index(&s->questions[i]);
			AX__PATH(p, "questions/%d", i);
			ax__lwarn(L, p, "%s%s%s%s: the correct option \"%s\" is the longest, "
			          "as in %d of the %d questions of %s: a guesser learns to "
			          "tap the longest",
			          s->questions[i].id, s->questions[i].ref ? " (" : "",
			          s->questions[i].ref ? s->questions[i].ref : "",
			          s->questions[i].ref ? ")" : "",
			          s->questions[i].options[a].label, g.nlongest, g.asked,
			          name);
		}
	}
}

/*
 * The heuristic: the correct option explains itself when its label has
 * a clause giving a reason or an instruction -- 因为, 由于, 以免 or 否则
 * anywhere, or a comma (，or ,) followed by 要, 应 or 须 -- or when it
 * is more than 1.5 times as long as the mean of the other options.
 */
void ax__check_justified(struct ax__lint *L, const struct ax_question *q,
                         const char *path)
{
	static const char *const words[] = {"因为", "由于", "以免", "否则"};
	static const char *const commas[] = {"，", ","};
	static const char *const modals[] = {"要", "应", "须"};
	const char *label, *why = NULL;
	char clause[32], p[300];
	int a = answer_index(q), len, others = 0;

	if (a < 0 || q->noptions < 2 || !(label = q->options[a].label))
		return;
	for (size_t i = 0; !why && i < AX_ARRAY_LEN(words); i++)
		if (strstr(label, words[i])) {
			snprintf(clause, sizeof clause, "%s", words[i]);
			why = clause;
		}
	for (size_t i = 0; !why && i < AX_ARRAY_LEN(commas); i++)
		for (size_t k = 0; !why && k < AX_ARRAY_LEN(modals); k++) {
			snprintf(clause, sizeof clause, "%s%s", commas[i], modals[k]);
			if (strstr(label, clause))
				why = clause;
		}
	AX__PATH(p, "%s/options/%d/label", path, a);
	if (why) {
		ax__lwarn(L, p, "the correct option \"%s\" of %s gives its own reason "
		          "(\"%s\"): a guesser picks the option that explains itself; "
		          "put the reason in \"explanation\"",
		          label, q->id ? q->id : "?", why);
		return;
	}
	len = ax__option_len(label);
	for (int i = 0; i < q->noptions; i++)
		if (i != a)
			others += ax__option_len(q->options[i].label);
	/* len > 1.5 * others / (n - 1), in integers */
	if (2 * len * (q->noptions - 1) > 3 * others)
		ax__lwarn(L, p, "the correct option \"%s\" of %s is %d characters, more "
		          "than 1.5 times the other options' mean of %.1f: a guesser "
		          "picks the option that explains itself",
		          label, q->id ? q->id : "?", len,
		          (double)others / (q->noptions - 1));
}
