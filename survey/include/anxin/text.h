/*
 * text.h -- encodings and SMS length budgets.
 *
 * Staff files arrive as UTF-8 (with or without BOM) or GBK (Excel on a
 * Chinese Windows saves "CSV" in GBK).  Everything inside Anxin is UTF-8.
 */
#ifndef ANXIN_TEXT_H
#define ANXIN_TEXT_H

#include "anxin.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ax_encoding {
	AX_ENC_UTF8 = 0, /* valid UTF-8, no BOM (plain ASCII is reported here) */
	AX_ENC_UTF8_BOM, /* valid UTF-8 after an EF BB BF mark */
	AX_ENC_GBK,      /* not UTF-8, but converts cleanly from GBK (GB18030) */
	AX_ENC_UNKNOWN,  /* neither */
};

/* Name for messages: "UTF-8", "UTF-8 (BOM)", "GBK", "unknown". */
const char *ax_encoding_name(enum ax_encoding enc);

/* 1 if buf[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
int ax_utf8_valid(const char *buf, size_t len);

/* Length of the longest well-formed UTF-8 prefix of buf[0..len): the
 * offset of the first bad byte, or len.  One pass. */
size_t ax_utf8_valid_prefix(const char *buf, size_t len);

/* Number of code points in a valid UTF-8 string. */
size_t ax_utf8_len(const char *s);

/* Detect the encoding of a file's bytes. */
enum ax_encoding ax_text_detect(const char *buf, size_t len);

/*
 * Convert buf to UTF-8 without BOM, detecting the encoding.  On success
 * *out is a NUL-terminated malloc'd string the caller frees with
 * ax_free(), *outlen its length, *enc what was detected.  GBK input is
 * converted with iconv (GB18030, a superset of GBK).  Returns AX_INVALID
 * for an unknown encoding.
 */
ax_rc ax_text_to_utf8(const char *buf, size_t len, char **out, size_t *outlen,
                      enum ax_encoding *enc);

/*
 * SMS length of a UTF-8 text as a GSM modem sends it: GSM-7 when every
 * character is in the GSM 03.38 default alphabet (160 single, 153 per
 * part), else UCS-2 (70 single, 67 per part).  Returns the number of
 * segments; *units (may be NULL) gets the length in that alphabet's units
 * and *ucs2 whether UCS-2 is needed.
 */
int ax_sms_segments(const char *utf8, int *units, int *ucs2);

#ifdef __cplusplus
}
#endif
#endif
