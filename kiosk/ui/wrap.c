/*
 * wrap.c -- Chinese line breaking, see wrap.h.
 *
 * Greedy, one pass: O(n) advances per text.  A break opportunity sits
 * between two code points when neither side belongs to a Latin word and
 * the kinsoku rules allow it; when a line overflows we go back to the last
 * opportunity on it.
 */
#include "wrap.h"

/* Closing punctuation: never at the start of a line. */
static const uint32_t no_start[] = {
	0xFF0C /* ， */, 0x3002 /* 。 */, 0xFF01 /* ！ */, 0xFF1F /* ？ */,
	0x3001 /* 、 */, 0xFF1B /* ； */, 0xFF1A /* ： */, 0x300D /* 」 */,
	0x300F /* 』 */, 0xFF09 /* ） */, 0x300B /* 》 */, 0x3009 /* 〉 */,
	0x201D /* ” */, 0x2019 /* ’ */, 0x3011 /* 】 */, 0x3015 /* 〕 */,
	0xFF3D /* ］ */, 0xFF5D /* ｝ */, 0x2026 /* … */, 0x2014 /* — */,
	0xFF05 /* ％ */, 0x00B7 /* · */, 0x30FB /* ・ */, 0x3005 /* 々 */,
	0x309D, 0x309E, 0x30FC /* ー */, 0xFF5E /* ～ */,
	',', '.', '!', '?', ';', ':', ')', ']', '}', '%',
};
/* Opening punctuation: never at the end of a line. */
static const uint32_t no_end[] = {
	0x300C /* 「 */, 0x300E /* 『 */, 0xFF08 /* （ */, 0x300A /* 《 */,
	0x3008 /* 〈 */, 0x201C /* “ */, 0x2018 /* ‘ */, 0x3010 /* 【 */,
	0x3014 /* 〔 */, 0xFF3B /* ［ */, 0xFF5B /* ｛ */, '(', '[', '{',
};

static int in(const uint32_t *set, size_t n, uint32_t cp)
{
	for (size_t i = 0; i < n; i++)
		if (set[i] == cp)
			return 1;
	return 0;
}

int kwrap_no_start(uint32_t cp)
{
	return in(no_start, sizeof no_start / sizeof no_start[0], cp);
}

int kwrap_no_end(uint32_t cp)
{
	return in(no_end, sizeof no_end / sizeof no_end[0], cp);
}

uint32_t kwrap_utf8_next(const char *s, size_t len, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	size_t left = len - *i;
	uint32_t cp;
	int n;

	if (p[0] < 0x80) {
		*i += 1;
		return p[0];
	}
	if ((p[0] & 0xE0) == 0xC0) {
		cp = p[0] & 0x1F;
		n = 1;
	} else if ((p[0] & 0xF0) == 0xE0) {
		cp = p[0] & 0x0F;
		n = 2;
	} else if ((p[0] & 0xF8) == 0xF0) {
		cp = p[0] & 0x07;
		n = 3;
	} else {
		*i += 1;
		return 0xFFFD;
	}
	if ((size_t)n >= left) {
		*i += 1;
		return 0xFFFD;
	}
	for (int k = 1; k <= n; k++) {
		if ((p[k] & 0xC0) != 0x80) {
			*i += 1;
			return 0xFFFD;
		}
		cp = (cp << 6) | (p[k] & 0x3F);
	}
	*i += (size_t)n + 1;
	return cp;
}

/* Part of a Latin word or number: no break inside a run of these. */
static int wordish(uint32_t cp)
{
	return (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z') ||
	       (cp >= 'a' && cp <= 'z') || (cp >= 0xFF10 && cp <= 0xFF19) ||
	       (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A) ||
	       (cp >= 0xC0 && cp < 0x250) || cp == '-' || cp == '_' || cp == '@' ||
	       cp == '/' || cp == '+' || cp == '*' || cp == '#' || cp == '\'' ||
	       cp == '&' || cp == '=';
}

/* May a line break between a and b? */
static int can_break(uint32_t a, uint32_t b)
{
	if (kwrap_no_start(b) || kwrap_no_end(a))
		return 0;
	if (b == ' ')
		return 0; /* break after the space run instead */
	if (a == ' ')
		return 1;
	if (wordish(a) && wordish(b))
		return 0;
	/* "3." "5%" "word," are handled by no_start; "(x" by no_end */
	return 1;
}

static void emit(struct kwrap_line *lines, int maxlines, int n,
                 const char *text, size_t off, size_t end, int width,
                 kwrap_advance_fn advance, void *ctx)
{
	/* trailing spaces never count and are never drawn */
	while (end > off && text[end - 1] == ' ') {
		width -= advance(ctx, ' ');
		end--;
	}
	if (n < maxlines) {
		lines[n].off = off;
		lines[n].len = end - off;
		lines[n].width = width;
	}
}

int kwrap_break(const char *text, size_t len, int max_width,
                kwrap_advance_fn advance, void *ctx, struct kwrap_line *lines,
                int maxlines)
{
	int n = 0;
	size_t i = 0;

	if (!text || len == 0)
		return 0;
	while (i < len) {
		size_t start, brk = 0;
		int width = 0, brk_width = 0;
		uint32_t prev = 0;
		int have_prev = 0;

		/* no spaces at the start of a continued line */
		while (i < len && text[i] == ' ')
			i++;
		if (i >= len)
			break;
		start = i;
		for (;;) {
			size_t here = i;
			uint32_t cp;
			int adv;

			if (i >= len) {
				emit(lines, maxlines, n++, text, start, len, width, advance,
				     ctx);
				return n;
			}
			cp = kwrap_utf8_next(text, len, &i);
			if (cp == '\n') {
				emit(lines, maxlines, n++, text, start, here, width, advance,
				     ctx);
				break; /* i is after the newline */
			}
			if (have_prev && can_break(prev, cp)) {
				brk = here;
				brk_width = width;
			}
			adv = advance(ctx, cp);
			if (width + adv > max_width && here > start && cp != ' ') {
				if (brk > start) {
					emit(lines, maxlines, n++, text, start, brk, brk_width,
					     advance, ctx);
					i = brk;
				} else {
					/* one unbreakable run: cut it; keep a closing mark
					 * with its character when that still fits */
					emit(lines, maxlines, n++, text, start, here, width,
					     advance, ctx);
					i = here;
				}
				break;
			}
			width += adv;
			prev = cp;
			have_prev = 1;
		}
	}
	return n;
}
