/*
 * test_wrap.c -- golden cases of the Chinese line breaker.
 *
 * A case file (tests/kiosk/wrap/NNNN-name.case):
 *   width N            line width in units (CJK = 2, ASCII = 1)
 *   --- input          the text (newlines inside are hard breaks; the
 *   ...                 last newline before --- expected is not part of it)
 *   --- expected       one output line per line
 * Also checks the invariants on every case: no line wider than N unless it
 * is one character, no line starts with closing or ends with opening
 * punctuation unless the breaker had no choice.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/wrap.h"

static int adv(void *ctx, uint32_t cp)
{
	return cp < 0x80 ? 1 : 2;
}

int main(int argc, char **argv)
{
	FILE *f;
	char buf[8192], input[4096] = "", expected[4096] = "", got[8192] = "";
	int width = 0, sec = 0, fails = 0;
	struct kwrap_line lines[128];
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: test_wrap CASE\n");
		return 2;
	}
	f = fopen(argv[1], "r");
	if (!f) {
		perror(argv[1]);
		return 2;
	}
	while (fgets(buf, sizeof buf, f)) {
		if (strncmp(buf, "width ", 6) == 0 && sec == 0)
			width = atoi(buf + 6);
		else if (strcmp(buf, "--- input\n") == 0)
			sec = 1;
		else if (strcmp(buf, "--- expected\n") == 0)
			sec = 2;
		else if (sec == 1)
			strncat(input, buf, sizeof input - strlen(input) - 1);
		else if (sec == 2)
			strncat(expected, buf, sizeof expected - strlen(expected) - 1);
	}
	fclose(f);
	if (input[0] && input[strlen(input) - 1] == '\n')
		input[strlen(input) - 1] = 0;
	n = kwrap_break(input, strlen(input), width, adv, NULL, lines, 128);
	for (int i = 0; i < n && i < 128; i++) {
		size_t k = 0, nchars = 0;
		uint32_t first = 0, last = 0;
		while (k < lines[i].len) {
			uint32_t cp = kwrap_utf8_next(input + lines[i].off, lines[i].len, &k);
			if (!nchars)
				first = cp;
			last = cp;
			nchars++;
		}
		strncat(got, input + lines[i].off, lines[i].len);
		strcat(got, "\n");
		if (lines[i].width > width && nchars > 1) {
			fprintf(stderr, "line %d is %d wide (max %d)\n", i + 1, lines[i].width,
			        width);
			fails++;
		}
		if (i > 0 && kwrap_no_start(first) && nchars > 1 &&
		    input[lines[i].off - 1] != '\n') {
			fprintf(stderr, "line %d starts with closing punctuation\n", i + 1);
			fails++;
		}
		if (i + 1 < n && kwrap_no_end(last) && nchars > 1) {
			fprintf(stderr, "line %d ends with opening punctuation\n", i + 1);
			fails++;
		}
	}
	if (strcmp(got, expected) != 0) {
		fprintf(stderr, "%s: wrong lines\n--- expected\n%s--- got\n%s", argv[1],
		        expected, got);
		fails++;
	}
	return fails ? 1 : 0;
}
