/*
 * reply_cases -- the golden reply file: every line of replies.txt is
 *
 *   SURVEY/QUESTION <TAB> EXPECTED <TAB> REPLY
 *
 * EXPECTED is the parser's verdict as gw_reply_format prints it without
 * the reason: "2", "1,3", "optout", "optout?" (ask first) or "invalid".  REPLY is the raw text;
 * \t, \n, \\ and \xHH escapes are decoded.  '#' starts a comment line.
 * Surveys come from the bundled content and tests/smsd/content.
 *
 * usage: reply_cases CONTENT_DIR TEST_CONTENT_DIR CASES_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/content.h"
#include "reply.h"

static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	(void)ctx;
	if (sev == AX_SEV_ERROR)
		fprintf(stderr, "%s\n", msg);
}

static size_t unescape(const char *in, char *out)
{
	size_t n = 0;
	while (*in) {
		if (*in == '\\' && in[1]) {
			in++;
			switch (*in) {
			case 't': out[n++] = '\t'; in++; break;
			case 'n': out[n++] = '\n'; in++; break;
			case 'x': {
				unsigned v = 0;
				sscanf(in + 1, "%2x", &v);
				out[n++] = (char)v;
				in += 3;
				break;
			}
			default: out[n++] = *in++; break;
			}
		} else {
			out[n++] = *in++;
		}
	}
	out[n] = '\0';
	return n;
}

static const struct ax_survey *find(ax_content *a, ax_content *b, const char *id)
{
	const struct ax_survey *s = ax_content_find_survey(a, id, 0);
	return s ? s : ax_content_find_survey(b, id, 0);
}

int main(int argc, char **argv)
{
	ax_content *main_c = NULL, *test_c = NULL;
	FILE *f;
	char line[4096], reply[4096], got[512];
	int nerr = 0, lineno = 0, cases = 0, failed = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: reply_cases CONTENT TEST_CONTENT CASES\n");
		return 2;
	}
	if (ax_content_load_dir(argv[1], diag, NULL, &nerr, &main_c) != AX_OK ||
	    nerr || ax_content_load_dir(argv[2], diag, NULL, &nerr, &test_c) != AX_OK ||
	    nerr) {
		fprintf(stderr, "content does not load\n");
		return 1;
	}
	f = fopen(argv[3], "r");
	if (!f) {
		perror(argv[3]);
		return 1;
	}
	while (fgets(line, sizeof line, f)) {
		char *qref, *want, *text, *qid, *nl;
		const struct ax_survey *s;
		const struct ax_question *q;
		gw_matcher *m;
		struct gw_reply r;
		size_t len;

		lineno++;
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		qref = line;
		want = strchr(qref, '\t');
		text = want ? strchr(want + 1, '\t') : NULL;
		if (!text) {
			fprintf(stderr, "%s:%d: needs three tab-separated fields\n",
			        argv[3], lineno);
			failed++;
			continue;
		}
		*want++ = '\0';
		*text++ = '\0';
		qid = strchr(qref, '/');
		if (!qid) {
			fprintf(stderr, "%s:%d: bad question %s\n", argv[3], lineno, qref);
			failed++;
			continue;
		}
		*qid++ = '\0';
		s = find(main_c, test_c, qref);
		q = s ? ax_survey_question(s, qid) : NULL;
		if (!q) {
			fprintf(stderr, "%s:%d: no question %s/%s\n", argv[3], lineno,
			        qref, qid);
			failed++;
			continue;
		}
		len = unescape(text, reply);
		if (gw_matcher_new(q, &m) != AX_OK) {
			fprintf(stderr, "%s:%d: matcher failed\n", argv[3], lineno);
			failed++;
			continue;
		}
		gw_reply_parse(m, reply, len, &r);
		gw_reply_format(q, &r, got, sizeof got);
		cases++;
		if (strncmp(got, want, strlen(want)) != 0 ||
		    ((r.kind == GW_REPLY_ANSWER || r.kind == GW_REPLY_OPTOUT ||
		      r.kind == GW_REPLY_OPTOUT_ASK) && strcmp(got, want) != 0) ||
		    (r.kind != GW_REPLY_ANSWER && strncmp(want, got, strlen(want)) != 0)) {
			fprintf(stderr, "%s:%d: %s/%s \"%s\": got \"%s\", expected \"%s\"\n",
			        argv[3], lineno, qref, qid, text, got, want);
			failed++;
		}
		gw_matcher_free(m);
	}
	fclose(f);
	ax_content_free(main_c);
	ax_content_free(test_c);
	printf("%d cases, %d failed\n", cases, failed);
	if (cases < 300) {
		fprintf(stderr, "the golden file must hold at least 300 cases\n");
		return 1;
	}
	return failed ? 1 : 0;
}
