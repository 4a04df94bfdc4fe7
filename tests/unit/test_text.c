/*
 * test_text.c -- encoding detection and conversion (UTF-8, BOM, GBK),
 * UTF-8 validation and SMS segment budgets.
 *
 * Expected bytes are written out by hand (GBK 户 = BB A7, 号 = BA C5,
 * 乡 = CF E7, 镇 = D5 F2, as in the GB 2312 code chart) and checked
 * against glibc's iconv as a second, independent source.
 */
#include <iconv.h>

#include "anxin/text.h"
#include "check.h"

/* "户号,乡镇" in UTF-8 and in GBK */
static const char hdr_utf8[] = "\xE6\x88\xB7\xE5\x8F\xB7,\xE4\xB9\xA1\xE9\x95\x87";
static const char hdr_gbk[] = "\xBB\xA7\xBA\xC5,\xCF\xE7\xD5\xF2";

/* Repeat a UTF-8 string n times into a static buffer. */
static const char *rep(const char *s, int n)
{
	static char buf[4096];
	size_t k = strlen(s), len = 0;

	REQUIRE(k * (size_t)n < sizeof buf);
	for (int i = 0; i < n; i++, len += k)
		memcpy(buf + len, s, k);
	buf[len] = '\0';
	return buf;
}

static void check_iconv_agrees(void)
{
	iconv_t cd = iconv_open("GBK", "UTF-8");
	char in[64], out[64], *ip = in, *op = out;
	size_t il = strlen(hdr_utf8), ol = sizeof out;

	REQUIRE(cd != (iconv_t)-1);
	memcpy(in, hdr_utf8, il + 1);
	CHECK(iconv(cd, &ip, &il, &op, &ol) != (size_t)-1);
	iconv_close(cd);
	CHECK_INT(sizeof out - ol, strlen(hdr_gbk));
	CHECK(memcmp(out, hdr_gbk, strlen(hdr_gbk)) == 0);
}

static void check_detect(void)
{
	char bom[64];
	char *out = NULL;
	size_t outlen = 0;
	enum ax_encoding enc = AX_ENC_UNKNOWN;

	snprintf(bom, sizeof bom, "\xEF\xBB\xBF%s", hdr_utf8);

	CHECK_INT(ax_text_detect("household,phone", 15), AX_ENC_UTF8);
	CHECK_INT(ax_text_detect(hdr_utf8, strlen(hdr_utf8)), AX_ENC_UTF8);
	CHECK_INT(ax_text_detect(bom, strlen(bom)), AX_ENC_UTF8_BOM);
	CHECK_INT(ax_text_detect(hdr_gbk, strlen(hdr_gbk)), AX_ENC_GBK);
	CHECK_INT(ax_text_detect("\xFF\xFE\xFD", 3), AX_ENC_UNKNOWN);
	/* a BOM followed by GBK bytes is neither */
	CHECK_INT(ax_text_detect("\xEF\xBB\xBF\xBB\xA7", 5), AX_ENC_UNKNOWN);
	CHECK_STR(ax_encoding_name(AX_ENC_GBK), "GBK");
	CHECK_STR(ax_encoding_name(AX_ENC_UTF8_BOM), "UTF-8 (BOM)");

	/* UTF-8 without BOM: copied as is */
	CHECK_INT(ax_text_to_utf8(hdr_utf8, strlen(hdr_utf8), &out, &outlen, &enc),
	          AX_OK);
	CHECK_STR(out, hdr_utf8);
	CHECK_INT(outlen, strlen(hdr_utf8));
	CHECK_INT(enc, AX_ENC_UTF8);
	ax_free(out);

	/* with BOM: the BOM is dropped */
	out = NULL;
	CHECK_INT(ax_text_to_utf8(bom, strlen(bom), &out, &outlen, &enc), AX_OK);
	CHECK_STR(out, hdr_utf8);
	CHECK_INT(outlen, strlen(hdr_utf8));
	CHECK_INT(enc, AX_ENC_UTF8_BOM);
	ax_free(out);

	/* GBK: converted */
	out = NULL;
	CHECK_INT(ax_text_to_utf8(hdr_gbk, strlen(hdr_gbk), &out, &outlen, &enc),
	          AX_OK);
	CHECK_STR(out, hdr_utf8);
	CHECK_INT(outlen, strlen(hdr_utf8));
	CHECK_INT(enc, AX_ENC_GBK);
	ax_free(out);

	/* invalid in both: refused, nothing allocated */
	out = (char *)"sentinel";
	enc = AX_ENC_UTF8;
	CHECK_INT(ax_text_to_utf8("\xFF\xFE\xFD", 3, &out, &outlen, &enc),
	          AX_INVALID);
	CHECK(out == NULL);
	CHECK_INT(enc, AX_ENC_UNKNOWN);
	/* a GBK lead byte cut off at the end */
	CHECK_INT(ax_text_to_utf8("\xBB\xA7\xBA", 3, &out, &outlen, NULL),
	          AX_INVALID);
	/* a NUL is not text */
	CHECK_INT(ax_text_to_utf8("a\0b", 3, &out, &outlen, NULL), AX_INVALID);
	CHECK(out == NULL);
}

static void check_utf8_valid(void)
{
	CHECK(ax_utf8_valid("", 0));
	CHECK(ax_utf8_valid("abc", 3));
	CHECK(ax_utf8_valid(hdr_utf8, strlen(hdr_utf8)));
	CHECK(ax_utf8_valid("\xF0\x9F\x98\x80", 4));  /* U+1F600 */
	CHECK(ax_utf8_valid("\xF4\x8F\xBF\xBF", 4));  /* U+10FFFF, the last */
	CHECK(ax_utf8_valid("\xEE\x80\x80", 3));      /* U+E000, after surrogates */
	CHECK(!ax_utf8_valid("\xC0\xAF", 2));         /* overlong '/' */
	CHECK(!ax_utf8_valid("\xC1\xBF", 2));         /* overlong U+7F */
	CHECK(!ax_utf8_valid("\xE0\x80\xAF", 3));     /* overlong, 3 bytes */
	CHECK(!ax_utf8_valid("\xF0\x80\x80\xAF", 4)); /* overlong, 4 bytes */
	CHECK(!ax_utf8_valid("\xED\xA0\x80", 3));     /* surrogate U+D800 */
	CHECK(!ax_utf8_valid("\xED\xBF\xBF", 3));     /* surrogate U+DFFF */
	CHECK(!ax_utf8_valid("\xF4\x90\x80\x80", 4)); /* U+110000 */
	CHECK(!ax_utf8_valid("\xE6\x88", 2));         /* truncated 户 */
	CHECK(!ax_utf8_valid("a\xF0\x9F\x98", 4));    /* truncated emoji */
	CHECK(!ax_utf8_valid("\x80", 1));             /* lone continuation */
	CHECK(!ax_utf8_valid("\xE6\x41\xB7", 3));     /* bad continuation */
	CHECK(!ax_utf8_valid("\xFF", 1));
	/* the length bounds the check: a valid prefix of a bad buffer */
	CHECK(ax_utf8_valid("ab\xFF", 2));
	CHECK_INT(ax_utf8_len(hdr_utf8), 5);
	CHECK_INT(ax_utf8_len("\xF0\x9F\x98\x80x"), 2);
}

static void check_sms(void)
{
	const char *zh = "\xE5\xAE\x89"; /* 安 */
	int units = -1, ucs2 = -1;

	/* UCS-2: 70 in one SMS, then 67 per part */
	CHECK_INT(ax_sms_segments(rep(zh, 70), &units, &ucs2), 1);
	CHECK_INT(units, 70);
	CHECK_INT(ucs2, 1);
	CHECK_INT(ax_sms_segments(rep(zh, 71), &units, &ucs2), 2);
	CHECK_INT(units, 71);
	CHECK_INT(ax_sms_segments(rep(zh, 134), NULL, NULL), 2);
	CHECK_INT(ax_sms_segments(rep(zh, 135), NULL, NULL), 3);

	/* GSM-7: 160 in one SMS, then 153 per part */
	CHECK_INT(ax_sms_segments(rep("a", 160), &units, &ucs2), 1);
	CHECK_INT(units, 160);
	CHECK_INT(ucs2, 0);
	CHECK_INT(ax_sms_segments(rep("a", 161), &units, &ucs2), 2);
	CHECK_INT(units, 161);
	CHECK_INT(ax_sms_segments(rep("a", 306), NULL, NULL), 2);
	CHECK_INT(ax_sms_segments(rep("a", 307), NULL, NULL), 3);
	CHECK_INT(ax_sms_segments("", &units, &ucs2), 1);
	CHECK_INT(units, 0);

	/* one Chinese character turns the whole text into UCS-2 */
	CHECK_INT(ax_sms_segments("Reply 1 for yes \xE5\xAE\x89", &units, &ucs2), 1);
	CHECK_INT(ucs2, 1);
	CHECK_INT(units, 17);
	{
		char buf[200];
		snprintf(buf, sizeof buf, "%s%s", rep("a", 70), zh);
		CHECK_INT(ax_sms_segments(buf, &units, &ucs2), 2); /* 71 units */
		CHECK_INT(units, 71);
		CHECK_INT(ucs2, 1);
	}

	/* an emoji is a surrogate pair: two UCS-2 units */
	CHECK_INT(ax_sms_segments("\xF0\x9F\x98\x80", &units, &ucs2), 1);
	CHECK_INT(units, 2);
	CHECK_INT(ucs2, 1);
	{
		char buf[400];
		snprintf(buf, sizeof buf, "%s\xF0\x9F\x98\x80", rep(zh, 69));
		CHECK_INT(ax_sms_segments(buf, &units, NULL), 2); /* 71 units */
		CHECK_INT(units, 71);
	}

	/* '{' is in the extension table: escape + char, two septets */
	CHECK_INT(ax_sms_segments("{", &units, &ucs2), 1);
	CHECK_INT(units, 2);
	CHECK_INT(ucs2, 0);
	CHECK_INT(ax_sms_segments(rep("{", 80), &units, NULL), 1);
	CHECK_INT(units, 160);
	CHECK_INT(ax_sms_segments(rep("{", 81), &units, NULL), 2);
	CHECK_INT(units, 162);
	/* a part never ends half-way through an escape pair or a surrogate
	 * pair (phones move the whole character to the next part): 152 + '{'
	 * + 152 is 306 septets, but the '{' cannot straddle septets 153/154,
	 * so the parts hold 152, then 2 + 151, then 1 */
	{
		char buf[1024];
		snprintf(buf, sizeof buf, "%s{", rep("a", 152));
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s",
		         rep("a", 152));
		CHECK_INT(ax_sms_segments(buf, &units, &ucs2), 3);
		CHECK_INT(units, 306);
		CHECK_INT(ucs2, 0);
		/* one septet less and it fits: 152 + '{' + 151 = 153 + 152 */
		buf[strlen(buf) - 1] = '\0';
		CHECK_INT(ax_sms_segments(buf, &units, NULL), 2);
		/* 66 + emoji + 66 is 134 units: 66 | emoji + 65 | 1 */
		snprintf(buf, sizeof buf, "%s\xF0\x9F\x98\x80", rep(zh, 66));
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s",
		         rep(zh, 66));
		CHECK_INT(ax_sms_segments(buf, &units, &ucs2), 3);
		CHECK_INT(units, 134);
		/* the emoji one place earlier fits: 65 + emoji | 67 */
		snprintf(buf, sizeof buf, "%s\xF0\x9F\x98\x80", rep(zh, 65));
		snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s",
		         rep(zh, 67));
		CHECK_INT(ax_sms_segments(buf, &units, NULL), 2);
		CHECK_INT(units, 134);
	}
	/* € is in the extension table too; £ and é are basic */
	CHECK_INT(ax_sms_segments("\xE2\x82\xAC\xC2\xA3\xC3\xA9", &units, &ucs2), 1);
	CHECK_INT(units, 4);
	CHECK_INT(ucs2, 0);
}

int main(void)
{
	check_iconv_agrees();
	check_detect();
	check_utf8_valid();
	check_sms();
	return check_done();
}
