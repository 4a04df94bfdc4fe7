/*
 * wrap.h -- Chinese-aware line breaking (kinsoku shori), a pure function.
 *
 * Rules (GB/T 15834 practice, as in JIS X 4051 "kinsoku"):
 *   - a line may break between any two CJK characters;
 *   - Latin words and numbers ("96110", "WiFi") are never split unless a
 *     single word is wider than the line;
 *   - no line starts with closing punctuation (，。！？、；：」』）》” …);
 *   - no line ends with opening punctuation (「『（《“ …);
 *   - '\n' is a hard break; spaces at a soft break are dropped.
 * When a rule cannot be kept (a line of one unbreakable run), the line is
 * cut where it overflows: text never leaves its box.
 */
#ifndef KIOSK_WRAP_H
#define KIOSK_WRAP_H

#include <stddef.h>
#include <stdint.h>

/* Advance width of one code point, in pixels (or any unit). */
typedef int (*kwrap_advance_fn)(void *ctx, uint32_t cp);

struct kwrap_line {
	size_t off, len; /* byte range of the line in the input */
	int width;       /* sum of advances */
};

/* 1 if cp may not start a line / may not end a line. */
int kwrap_no_start(uint32_t cp);
int kwrap_no_end(uint32_t cp);

/*
 * Decode one UTF-8 code point at s[*i] (advancing *i); invalid bytes
 * decode as U+FFFD one byte at a time.
 */
uint32_t kwrap_utf8_next(const char *s, size_t len, size_t *i);

/*
 * Break text (borrowed, `len` bytes) into lines no wider than max_width.
 * Writes at most maxlines lines to `lines` and returns the number of lines
 * the text needs (which may exceed maxlines: the caller then knows it does
 * not fit).  Never fails; an empty text has 0 lines.
 */
int kwrap_break(const char *text, size_t len, int max_width,
                kwrap_advance_fn advance, void *ctx, struct kwrap_line *lines,
                int maxlines);

#endif
