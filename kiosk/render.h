/*
 * render.h -- the SDL2 renderer of kiosk draw commands (render_sdl.c and
 * audio_sdl.c are the files that include SDL).  Rendered text is cached
 * as textures keyed by (string, size, colour), least recently used
 * evicted past a byte budget: CJK rasterising is slow and SDL2_ttf caches
 * few glyphs.
 */
#ifndef KIOSK_RENDER_H
#define KIOSK_RENDER_H

#include "ui/ui.h"

typedef struct krender krender;

struct krender_opts {
	int w, h;
	int fullscreen;
	const char *video;     /* SDL video driver ("offscreen") or NULL */
	const char *font;      /* font file; NULL: found automatically */
	int font_index;        /* face in a .ttc */
	int cache;             /* 0: re-render all text every frame (baseline) */
	size_t cache_bytes;    /* texture budget, default 48 MiB */
};

/* The first font found among the Debian CJK fonts, or NULL. */
const char *krender_find_font(int *index);

krender *krender_new(const struct krender_opts *o, char *err, size_t errlen);
void krender_free(krender *r);

/* Text metrics from the renderer's font (advance cache included). */
struct kui_metrics krender_metrics(krender *r);

/* Draw a frame and present it.  Returns the number of text lines whose
 * rendered width is larger than their laid-out box (clipping risk).  A
 * frame identical to the one on screen is not drawn again (cache on). */
int krender_frame(krender *r, const struct kui_frame *f);

/* Forget what is on screen: the next krender_frame draws in full. */
void krender_invalidate(krender *r);

/* Save the last presented frame as PNG.  0 or -1. */
int krender_shot(krender *r, const char *path);

/* Pixels of the last presented frame inside box whose colour is within
 * tol (per channel) of color: a test's look at what was drawn.  -1 on
 * error. */
long krender_ink(krender *r, struct kui_rect box, uint32_t color, int tol);

/*
 * Wait up to timeout_ms (-1: forever) for input; translate it.  Returns 1
 * with *ev filled (now is left to the caller), 2 when the window must be
 * redrawn (exposed, resized), 0 on timeout or an event of no interest,
 * -1 when the app should quit.  Touch is handled through
 * SDL_FINGER* and real mouse through SDL_MOUSE*; synthesised events in
 * either direction are switched off and ignored.
 */
int krender_wait(krender *r, int timeout_ms, struct kui_event *ev);
/* How long ago (ms) the last event krender_wait returned happened: a
 * touch queued while the app was busy (a slow store write) is older
 * than the moment it is handled, and the UI must know which screen it
 * was aimed at. */
long long krender_event_age(const krender *r);

struct krender_stats {
	long text_hits, text_misses, evictions;
	size_t cache_bytes;
	int textures;
};
void krender_stats(const krender *r, struct krender_stats *out);

#endif
