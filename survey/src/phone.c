/*
 * phone.c -- normalising Chinese mobile numbers to E.164.
 *
 * Full-width digits and signs (as typed with a Chinese IME) are folded
 * with utf8proc's NFKC, not a hand-written table.
 */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "anxin/phone.h"
#include "anxin_int.h"

ax_rc ax_phone_normalize(const char *in, char out[AX_PHONE_MAX],
                         const char **why)
{
	utf8proc_uint8_t *norm = NULL;
	char digits[32];
	size_t nd = 0;
	int plus = 0;
	const char *reason = NULL;

	out[0] = '\0';
	if (!in || !*in) {
		reason = "empty";
		goto fail;
	}
	if (utf8proc_map((const utf8proc_uint8_t *)in, 0, &norm,
	                 UTF8PROC_NULLTERM | UTF8PROC_STABLE |
	                     UTF8PROC_COMPAT | UTF8PROC_COMPOSE) < 0) {
		reason = "not valid UTF-8";
		goto fail;
	}
	for (const char *p = (const char *)norm; *p; p++) {
		char c = *p;
		if (c >= '0' && c <= '9') {
			if (nd + 1 >= sizeof digits) {
				reason = "too many digits";
				goto fail;
			}
			digits[nd++] = c;
		} else if (c == '+' && nd == 0 && !plus) {
			plus = 1;
		} else if (c == ' ' || c == '-' || c == '(' || c == ')' ||
		           c == '.' || c == '\t') {
			continue;
		} else {
			reason = "contains characters that are not digits";
			goto fail;
		}
	}
	digits[nd] = '\0';
	{
		const char *d = digits;
		if (nd == 13 && strncmp(d, "86", 2) == 0) {
			d += 2;
			nd -= 2;
		} else if (nd == 15 && strncmp(d, "0086", 4) == 0 && !plus) {
			d += 4;
			nd -= 4;
		} else if (plus) {
			reason = "is not a +86 number";
			goto fail;
		}
		if (nd != 11) {
			reason = "is not an 11-digit mobile number";
			goto fail;
		}
		if (d[0] != '1' || d[1] < '3' || d[1] > '9') {
			reason = "is not a mobile number (must start 13-19)";
			goto fail;
		}
		memcpy(out, "+86", 3);
		memcpy(out + 3, d, 12);
	}
	free(norm);
	return AX_OK;
fail:
	free(norm);
	out[0] = '\0';
	if (why)
		*why = reason;
	return AX_INVALID;
}

void ax_phone_mask(const char *e164, char out[AX_PHONE_MAX])
{
	if (!e164 || strlen(e164) != 14 || strncmp(e164, "+86", 3) != 0) {
		strcpy(out, "****");
		return;
	}
	memcpy(out, e164 + 3, 3);
	memcpy(out + 3, "****", 4);
	memcpy(out + 7, e164 + 10, 4);
	out[11] = '\0';
}
