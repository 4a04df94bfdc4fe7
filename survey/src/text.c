/*
 * text.c -- encoding detection (UTF-8 / GBK), conversion through iconv,
 * and SMS segment budgets.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/text.h"
#include "anxin_int.h"

const char *ax_encoding_name(enum ax_encoding enc)
{
	switch (enc) {
	case AX_ENC_UTF8: return "UTF-8";
	case AX_ENC_UTF8_BOM: return "UTF-8 (BOM)";
	case AX_ENC_GBK: return "GBK";
	case AX_ENC_UNKNOWN: break;
	}
	return "unknown";
}

/* Decode one code point; returns its length or 0 if malformed. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	uint32_t c;
	size_t len;

	if (n == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		c = s[0] & 0x1F;
		len = 2;
	} else if ((s[0] & 0xF0) == 0xE0) {
		c = s[0] & 0x0F;
		len = 3;
	} else if ((s[0] & 0xF8) == 0xF0) {
		c = s[0] & 0x07;
		len = 4;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	/* reject overlongs, surrogates and values past U+10FFFF */
	if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) ||
	    (len == 4 && c < 0x10000) || c > 0x10FFFF ||
	    (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return len;
}

size_t ax_utf8_valid_prefix(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		size_t k = utf8_decode(s + i, len - i, &cp);
		if (!k)
			break;
		i += k;
	}
	return i;
}

int ax_utf8_valid(const char *buf, size_t len)
{
	const unsigned char *s = (const unsigned char *)buf;
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		size_t k = utf8_decode(s + i, len - i, &cp);
		if (!k)
			return 0;
		i += k;
	}
	return 1;
}

size_t ax_utf8_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

static int has_bom(const char *buf, size_t len)
{
	return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0;
}

/* Convert from GB18030 (a superset of GBK and GB2312) to UTF-8. */
static ax_rc from_gbk(const char *buf, size_t len, char **out, size_t *outlen)
{
	iconv_t cd = iconv_open("UTF-8", "GB18030");
	size_t cap = len * 3 / 2 + 16, inleft = len, outleft;
	char *in = (char *)buf, *res, *op;

	if (cd == (iconv_t)-1)
		return AX_ERROR;
	res = malloc(cap + 1);
	if (!res) {
		iconv_close(cd);
		return AX_NOMEM;
	}
	op = res;
	outleft = cap;
	while (inleft > 0) {
		if (iconv(cd, &in, &inleft, &op, &outleft) != (size_t)-1)
			continue;
		if (errno == E2BIG) {
			size_t used = (size_t)(op - res);
			char *p = realloc(res, cap * 2 + 1);
			if (!p) {
				free(res);
				iconv_close(cd);
				return AX_NOMEM;
			}
			res = p;
			op = res + used;
			outleft += cap;
			cap *= 2;
			continue;
		}
		free(res);
		iconv_close(cd);
		return AX_INVALID;
	}
	iconv_close(cd);
	*op = '\0';
	*out = res;
	*outlen = (size_t)(op - res);
	return AX_OK;
}

enum ax_encoding ax_text_detect(const char *buf, size_t len)
{
	char *tmp;
	size_t tlen;

	if (has_bom(buf, len))
		return ax_utf8_valid(buf + 3, len - 3) ? AX_ENC_UTF8_BOM
		                                       : AX_ENC_UNKNOWN;
	if (ax_utf8_valid(buf, len))
		return AX_ENC_UTF8;
	if (from_gbk(buf, len, &tmp, &tlen) == AX_OK) {
		free(tmp);
		return AX_ENC_GBK;
	}
	return AX_ENC_UNKNOWN;
}

ax_rc ax_text_to_utf8(const char *buf, size_t len, char **out, size_t *outlen,
                      enum ax_encoding *enc)
{
	enum ax_encoding e = AX_ENC_UNKNOWN;
	ax_rc rc;

	*out = NULL;
	if (has_bom(buf, len)) {
		if (!ax_utf8_valid(buf + 3, len - 3))
			goto fail;
		e = AX_ENC_UTF8_BOM;
		buf += 3;
		len -= 3;
	} else if (ax_utf8_valid(buf, len)) {
		e = AX_ENC_UTF8;
	} else {
		rc = from_gbk(buf, len, out, outlen);
		if (rc == AX_NOMEM)
			return rc;
		if (rc != AX_OK)
			goto fail;
		/* a NUL inside text is not text */
		if (strlen(*out) != *outlen) {
			free(*out);
			*out = NULL;
			goto fail;
		}
		if (enc)
			*enc = AX_ENC_GBK;
		return AX_OK;
	}
	if (memchr(buf, '\0', len))
		goto fail;
	*out = malloc(len + 1);
	if (!*out)
		return AX_NOMEM;
	memcpy(*out, buf, len);
	(*out)[len] = '\0';
	*outlen = len;
	if (enc)
		*enc = e;
	return AX_OK;
fail:
	if (enc)
		*enc = AX_ENC_UNKNOWN;
	return AX_INVALID;
}

/*
 * GSM 03.38 default alphabet (basic table) as Unicode, and the extension
 * table whose characters cost two septets.  Hand-written because no
 * Debian library that libanxin may link (libgammu belongs to the gateway
 * alone) exposes it; 128 + 10 entries.
 */
static const uint16_t gsm_basic[128] = {
	'@', 0xA3, '$', 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, '\n', 0xD8,
	0xF8, '\r', 0xC5, 0xE5, 0x394, '_', 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0,
	0x3A8, 0x3A3, 0x398, 0x39E, 0x1B, 0xC6, 0xE6, 0xDF, 0xC9, ' ', '!', '"',
	'#', 0xA4, '%', '&', '\'', '(', ')', '*', '+', ',', '-', '.', '/', '0',
	'1', '2', '3', '4', '5', '6', '7', '8', '9', ':', ';', '<', '=', '>', '?',
	0xA1, 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'I', 'J', 'K', 'L', 'M',
	'N', 'O', 'P', 'Q', 'R', 'S', 'T', 'U', 'V', 'W', 'X', 'Y', 'Z', 0xC4,
	0xD6, 0xD1, 0xDC, 0xA7, 0xBF, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
	'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's', 't', 'u', 'v',
	'w', 'x', 'y', 'z', 0xE4, 0xF6, 0xF1, 0xFC, 0xE0,
};
static const uint16_t gsm_ext[] = {'\f', '^', '{', '}', '\\', '[', '~', ']',
                                    '|', 0x20AC};

static int gsm_cost(uint32_t cp)
{
	if (cp == 0x1B)
		return 0;
	for (size_t i = 0; i < AX_ARRAY_LEN(gsm_basic); i++)
		if (gsm_basic[i] == cp)
			return 1;
	for (size_t i = 0; i < AX_ARRAY_LEN(gsm_ext); i++)
		if (gsm_ext[i] == cp)
			return 2;
	return 0;
}

/*
 * Parts of a concatenated SMS, filled greedily: an escape pair (GSM-7)
 * or a surrogate pair (UCS-2) never straddles two parts -- phones move
 * the whole character on (Android's SmsMessage.fragmentText does) -- so
 * a text can need one part more than units / per_part.  O(n).
 */
static int count_parts(const unsigned char *s, size_t n, int ucs2,
                       int per_part)
{
	int parts = 1, used = 0;
	size_t i = 0;
	uint32_t cp;

	while (i < n) {
		size_t k = utf8_decode(s + i, n - i, &cp);
		int c;
		if (!k) {
			k = 1;
			cp = 0xFFFD;
		}
		i += k;
		c = ucs2 ? (cp > 0xFFFF ? 2 : 1) : gsm_cost(cp);
		if (used + c > per_part) {
			parts++;
			used = 0;
		}
		used += c;
	}
	return parts;
}

int ax_sms_segments(const char *utf8, int *units, int *ucs2)
{
	const unsigned char *s = (const unsigned char *)utf8;
	size_t n = strlen(utf8), i = 0;
	int septets = 0, u16 = 0, need_ucs2 = 0, segs;
	uint32_t cp;

	while (i < n) {
		size_t k = utf8_decode(s + i, n - i, &cp);
		int c;
		if (!k) { /* invalid byte: count it as one UCS-2 unit */
			k = 1;
			cp = 0xFFFD;
		}
		i += k;
		u16 += cp > 0xFFFF ? 2 : 1;
		c = gsm_cost(cp);
		if (!c)
			need_ucs2 = 1;
		septets += c;
	}
	if (need_ucs2)
		segs = u16 <= 70 ? 1 : count_parts(s, n, 1, 67);
	else
		segs = septets <= 160 ? 1 : count_parts(s, n, 0, 153);
	if (n == 0)
		segs = 1;
	if (units)
		*units = need_ucs2 ? u16 : septets;
	if (ucs2)
		*ucs2 = need_ucs2;
	return segs;
}
