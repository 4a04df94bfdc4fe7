/*
 * png.c -- screenshots as PNG through libpng's simplified API.
 */
#include "kpng.h"

#include <png.h>
#include <stdlib.h>
#include <string.h>

int kpng_write(const char *path, int w, int h, const uint32_t *pixels,
               int pitch)
{
	png_image img;
	unsigned char *rgb = malloc((size_t)w * (size_t)h * 3);
	int ok;
	if (!rgb)
		return -1;
	for (int y = 0; y < h; y++) {
		const uint32_t *row = (const uint32_t *)((const char *)pixels + (size_t)y * pitch);
		unsigned char *o = rgb + (size_t)y * w * 3;
		for (int x = 0; x < w; x++) {
			o[3 * x] = (unsigned char)(row[x] >> 16);
			o[3 * x + 1] = (unsigned char)(row[x] >> 8);
			o[3 * x + 2] = (unsigned char)row[x];
		}
	}
	memset(&img, 0, sizeof img);
	img.version = PNG_IMAGE_VERSION;
	img.width = (png_uint_32)w;
	img.height = (png_uint_32)h;
	img.format = PNG_FORMAT_RGB;
	ok = png_image_write_to_file(&img, path, 0, rgb, w * 3, NULL);
	png_image_free(&img);
	free(rgb);
	return ok ? 0 : -1;
}
