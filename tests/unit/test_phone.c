/*
 * test_phone.c -- ax_phone_normalize and ax_phone_mask.
 *
 * Every accepted spelling must come out as the same E.164 number; every
 * rejected one must fail with a reason and leave the output empty.
 */
#include "anxin/phone.h"
#include "check.h"

static void accepts(const char *in, const char *want)
{
	char out[AX_PHONE_MAX];
	const char *why = "untouched";

	memset(out, 'x', sizeof out);
	CHECK_INT(ax_phone_normalize(in, out, &why), AX_OK);
	CHECK_STR(out, want);
}

static void rejects(const char *in)
{
	char out[AX_PHONE_MAX];
	const char *why = NULL;

	memset(out, 'x', sizeof out);
	CHECK_INT(ax_phone_normalize(in, out, &why), AX_INVALID);
	CHECK(why != NULL && why[0] != '\0');
	CHECK_STR(out, "");
	CHECK_INT(ax_phone_normalize(in, out, NULL), AX_INVALID); /* why NULL */
}

int main(void)
{
	const char *want = "+8613800138000";
	char out[AX_PHONE_MAX];

	/* the spellings staff type */
	accepts("13800138000", want);
	accepts("+86 138 0013 8000", want);
	accepts("86-13800138000", want);
	accepts("0086 13800138000", want);
	accepts("138-0013-8000", want);
	accepts("8613800138000", want);
	/* full-width digits and plus, as a Chinese IME types them */
	accepts("\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90"
	        "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90"
	        "\xEF\xBC\x90", /* １３８００１３８０００ */
	        want);
	accepts("\xEF\xBC\x8B\xEF\xBC\x98\xEF\xBC\x96" /* ＋８６ */
	        "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90"
	        "\xEF\xBC\x91\xEF\xBC\x93\xEF\xBC\x98\xEF\xBC\x90\xEF\xBC\x90"
	        "\xEF\xBC\x90",
	        want);
	/* other mobile prefixes 13-19 */
	accepts("19912345678", "+8619912345678");
	accepts("(150) 1234.5678", "+8615012345678");

	/* not mainland mobile numbers */
	rejects("1380000");        /* too short */
	rejects("23800138000");    /* does not start with 1 */
	rejects("12800138000");    /* 12 is no mobile prefix */
	rejects("11800138000");    /* nor 11 */
	rejects("+1 4155550100");  /* another country */
	rejects("abc");
	rejects("");
	rejects("138001380001");   /* 12 digits */
	rejects("1380013800a");
	rejects("+86 1380013800"); /* +86 and only 10 digits */
	rejects("\xFF\xFE");       /* not UTF-8 */
	{
		const char *why = NULL;
		CHECK_INT(ax_phone_normalize(NULL, out, &why), AX_INVALID);
		CHECK(why != NULL);
	}

	/* masking for logs */
	ax_phone_mask("+8613800138000", out);
	CHECK_STR(out, "138****8000");
	ax_phone_mask("+8619912345678", out);
	CHECK_STR(out, "199****5678");
	ax_phone_mask("13800138000", out); /* not E.164: nothing leaks */
	CHECK_STR(out, "****");
	ax_phone_mask("abc", out);
	CHECK_STR(out, "****");
	ax_phone_mask(NULL, out);
	CHECK_STR(out, "****");
	return check_done();
}
