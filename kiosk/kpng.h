/* png.h -- write screenshots with libpng. */
#ifndef KIOSK_PNG_H
#define KIOSK_PNG_H

#include <stdint.h>

/* Write w x h pixels of 0xAARRGGBB (pitch in bytes, borrowed) to path as
 * an RGB PNG.  Returns 0, or -1 with errno-style failure. */
int kpng_write(const char *path, int w, int h, const uint32_t *pixels,
               int pitch);

#endif
