/*
 * phone.h -- Chinese mobile numbers.
 */
#ifndef ANXIN_PHONE_H
#define ANXIN_PHONE_H

#include "anxin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "+86" + 11 digits + NUL, with room to spare. */
#define AX_PHONE_MAX 20

/*
 * Normalise a phone number as staff type it ("138 0013 8000",
 * "+86-13800138000", "8613800138000", full-width digits "１３８…") to
 * E.164 ("+8613800138000") and check it is a mainland mobile number
 * (11 digits starting 13-19).  On failure returns AX_INVALID and, when
 * `why` is non-NULL, points it at a static English reason.
 */
ax_rc ax_phone_normalize(const char *in, char out[AX_PHONE_MAX],
                         const char **why);

/* Mask an E.164 number for logs and pages: "+8613800138000" ->
 * "138****8000".  Anything else becomes "****". */
void ax_phone_mask(const char *e164, char out[AX_PHONE_MAX]);

#ifdef __cplusplus
}
#endif
#endif
