/*
 * render_sdl.c -- draw kiosk frames with SDL2 + SDL2_ttf (see render.h).
 * The only file of the kiosk that includes SDL.
 *
 * Costs (software renderer, 1080x1920, measured with bench/kiosk):
 *  - a cached text line is one hash probe and one SDL_RenderCopy (an
 *    alpha blit of its box); a miss rasterises the whole line through
 *    FreeType (milliseconds for a long CJK line);
 *  - the text cache is a chained hash table (O(1) lookup) threaded on an
 *    LRU list, so eviction past the byte budget is O(1) per texture;
 *  - opaque rectangles are filled with blending off: with SDL_BLENDMODE_
 *    BLEND the software renderer blends every pixel even at alpha 255,
 *    which made the full-screen background alone cost milliseconds;
 *  - the font file is mapped once and every size reads it from memory:
 *    through a file RWops FreeType seeks and reads for each new glyph;
 *  - a frame identical to the one on screen (same commands, same texts)
 *    is not drawn again: the software renderer keeps the last frame in
 *    the window surface.  krender_invalidate forces the next redraw
 *    (window exposed, or a benchmark of full redraws).
 */
#include "render.h"

#include <SDL.h>
#include <SDL_ttf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "kpng.h"

#define MAX_FONTS 40
#define MAX_TEX 1024
#define TEX_BUCKETS 2048 /* power of two, 2x MAX_TEX: chains stay ~1 long */
#define ADV_SLOTS 8192

struct font {
	int size;
	TTF_Font *f;
	unsigned long used;
};

/* A cached text line.  Slots live in a fixed array and are linked by
 * index: `chain` within a hash bucket, `newer`/`older` on the LRU list
 * (head = most recently used), or `chain` on the free list. */
struct tex {
	uint64_t hash;
	char *text;
	int size;
	uint32_t color;
	SDL_Texture *t;
	int w, h;
	size_t bytes;
	int chain, newer, older;
};

struct adv {
	uint32_t cp;
	int size, adv;
};

struct krender {
	SDL_Window *win;
	SDL_Renderer *ren;
	int w, h, cache;
	char font_path[512];
	int font_index;
	struct font fonts[MAX_FONTS];
	struct tex tex[MAX_TEX];
	int bucket[TEX_BUCKETS]; /* first slot of each chain, -1 none */
	int mru, lru, free_slot; /* LRU ends and free list, -1 none */
	int ntex;
	size_t bytes, budget;
	unsigned long clock;
	/* the font file, mapped once (NULL: opened by path) */
	void *font_map;
	size_t font_len;
	/* the frame on screen, to skip identical redraws */
	uint64_t shown;
	int shown_bad, have_shown;
	struct adv advs[ADV_SLOTS];
	SDL_FingerID finger;
	int finger_down;
	Uint32 ev_ticks; /* SDL_GetTicks() stamp of the last event */
	struct krender_stats st;
};

const char *krender_find_font(int *index)
{
	static const char *const cands[] = {
	    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
	    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
	};
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++)
		if (access(cands[i], R_OK) == 0) {
			/* Noto CJK .ttc: face 2 is Simplified Chinese (SC) */
			*index = strstr(cands[i], "NotoSansCJK-Regular.ttc") ? 2 : 0;
			return cands[i];
		}
	return NULL;
}

static TTF_Font *font(krender *r, int size)
{
	int lru = 0;
	r->clock++;
	for (int i = 0; i < MAX_FONTS; i++) {
		if (r->fonts[i].f && r->fonts[i].size == size) {
			r->fonts[i].used = r->clock;
			return r->fonts[i].f;
		}
		if (!r->fonts[i].f || r->fonts[i].used < r->fonts[lru].used)
			lru = i;
		if (!r->fonts[i].f)
			break;
	}
	if (r->fonts[lru].f)
		TTF_CloseFont(r->fonts[lru].f);
	if (r->font_map) {
		/* each font needs its own stream position: one RWops each */
		SDL_RWops *rw = SDL_RWFromConstMem(r->font_map, (int)r->font_len);
		r->fonts[lru].f = rw ? TTF_OpenFontIndexRW(rw, 1, size, r->font_index) : NULL;
	} else
		r->fonts[lru].f = TTF_OpenFontIndex(r->font_path, size, r->font_index);
	r->fonts[lru].size = size;
	r->fonts[lru].used = r->clock;
	return r->fonts[lru].f;
}

static int m_advance(void *ctx, uint32_t cp, int size)
{
	krender *r = ctx;
	unsigned slot = (cp * 2654435761u ^ (unsigned)size * 40503u) % ADV_SLOTS;
	struct adv *a = &r->advs[slot];
	int adv = 0;
	TTF_Font *f;
	if (a->size == size && a->cp == cp)
		return a->adv;
	f = font(r, size);
	if (!f || TTF_GlyphMetrics32(f, cp, NULL, NULL, NULL, NULL, &adv) != 0)
		adv = size;
	a->cp = cp;
	a->size = size;
	a->adv = adv;
	return adv;
}

static int m_line_height(void *ctx, int size)
{
	krender *r = ctx;
	TTF_Font *f = font(r, size);
	return f ? TTF_FontHeight(f) : size * 5 / 4;
}

struct kui_metrics krender_metrics(krender *r)
{
	struct kui_metrics m = {m_advance, m_line_height, r};
	return m;
}

/* Map the font file read-only; on failure fonts are opened by path. */
static void map_font(krender *r)
{
	struct stat sb;
	int fd = open(r->font_path, O_RDONLY | O_CLOEXEC);
	void *p;
	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && sb.st_size > 0 && sb.st_size < (1 << 30)) {
		p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p != MAP_FAILED) {
			r->font_map = p;
			r->font_len = (size_t)sb.st_size;
		}
	}
	close(fd);
}

krender *krender_new(const struct krender_opts *o, char *err, size_t errlen)
{
	krender *r = calloc(1, sizeof *r);
	const char *fp = o->font;
	int idx = o->font_index;
	Uint32 flags = 0;
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (!fp)
		fp = krender_find_font(&idx);
	if (!fp) {
		snprintf(err, errlen, "no CJK font found: install fonts-wqy-microhei "
		                      "or fonts-noto-cjk, or set [screen] font");
		goto fail;
	}
	snprintf(r->font_path, sizeof r->font_path, "%s", fp);
	r->font_index = idx;
	map_font(r);
	r->mru = r->lru = r->free_slot = -1;
	for (int i = 0; i < TEX_BUCKETS; i++)
		r->bucket[i] = -1;
	for (int i = MAX_TEX - 1; i >= 0; i--) {
		r->tex[i].chain = r->free_slot;
		r->free_slot = i;
	}
	r->w = o->w;
	r->h = o->h;
	r->cache = o->cache;
	r->budget = o->cache_bytes ? o->cache_bytes : 16u << 20;
	if (o->video)
		SDL_SetHint(SDL_HINT_VIDEODRIVER, o->video);
	/* offscreen: draw straight into the window surface; otherwise SDL
	 * copies each frame through a GL texture (llvmpipe), 4x slower */
	if (o->video && strcmp(o->video, "offscreen") == 0)
		SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
	/* One input path: touches do not make mouse events and the mouse does
	 * not make touches, so nothing is counted twice. */
	SDL_SetHint(SDL_HINT_TOUCH_MOUSE_EVENTS, "0");
	SDL_SetHint(SDL_HINT_MOUSE_TOUCH_EVENTS, "0");
	SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "1");
	if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0 || TTF_Init() != 0) {
		snprintf(err, errlen, "SDL: %s", SDL_GetError());
		goto fail;
	}
	if (o->fullscreen)
		flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
	r->win = SDL_CreateWindow("安心", SDL_WINDOWPOS_CENTERED,
	                          SDL_WINDOWPOS_CENTERED, o->w, o->h, flags);
	if (!r->win) {
		snprintf(err, errlen, "SDL window: %s", SDL_GetError());
		goto fail;
	}
	/* no vsync: the offscreen driver has none, and we draw on change only */
	if (o->video && strcmp(o->video, "offscreen") == 0)
		r->ren = SDL_CreateRenderer(r->win, -1, SDL_RENDERER_SOFTWARE);
	else {
		r->ren = SDL_CreateRenderer(r->win, -1, SDL_RENDERER_ACCELERATED);
		if (!r->ren)
			r->ren = SDL_CreateRenderer(r->win, -1, SDL_RENDERER_SOFTWARE);
	}
	if (!r->ren) {
		snprintf(err, errlen, "SDL renderer: %s", SDL_GetError());
		goto fail;
	}
	if (o->fullscreen)
		SDL_GetRendererOutputSize(r->ren, &r->w, &r->h);
	SDL_SetRenderDrawBlendMode(r->ren, SDL_BLENDMODE_BLEND);
	if (!font(r, 32)) {
		snprintf(err, errlen, "%s: %s", r->font_path, TTF_GetError());
		goto fail;
	}
	SDL_ShowCursor(o->fullscreen ? SDL_DISABLE : SDL_ENABLE);
	return r;
fail:
	krender_free(r);
	return NULL;
}

/* ---- text cache: hash chains + LRU list, all O(1) -------------------- */
static void lru_unlink(krender *r, int i)
{
	struct tex *e = &r->tex[i];
	if (e->newer >= 0)
		r->tex[e->newer].older = e->older;
	else
		r->mru = e->older;
	if (e->older >= 0)
		r->tex[e->older].newer = e->newer;
	else
		r->lru = e->newer;
}

static void lru_push(krender *r, int i)
{
	struct tex *e = &r->tex[i];
	e->newer = -1;
	e->older = r->mru;
	if (r->mru >= 0)
		r->tex[r->mru].newer = i;
	r->mru = i;
	if (r->lru < 0)
		r->lru = i;
}

/* Remove slot i from the cache and put it on the free list. */
static void drop_tex(krender *r, int i)
{
	struct tex *e = &r->tex[i];
	int *p = &r->bucket[e->hash & (TEX_BUCKETS - 1)];
	while (*p != i)
		p = &r->tex[*p].chain;
	*p = e->chain;
	lru_unlink(r, i);
	SDL_DestroyTexture(e->t);
	free(e->text);
	r->bytes -= e->bytes;
	r->ntex--;
	memset(e, 0, sizeof *e);
	e->chain = r->free_slot;
	r->free_slot = i;
}

void krender_free(krender *r)
{
	if (!r)
		return;
	while (r->lru >= 0)
		drop_tex(r, r->lru);
	if (r->font_map)
		munmap(r->font_map, r->font_len);
	for (int i = 0; i < MAX_FONTS; i++)
		if (r->fonts[i].f)
			TTF_CloseFont(r->fonts[i].f);
	if (r->ren)
		SDL_DestroyRenderer(r->ren);
	if (r->win)
		SDL_DestroyWindow(r->win);
	if (TTF_WasInit())
		TTF_Quit();
	SDL_Quit();
	free(r);
}

static uint64_t hash(const char *s, int size, uint32_t color)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h = (h ^ (uint64_t)size) * 1099511628211ull;
	return (h ^ color) * 1099511628211ull;
}

static SDL_Texture *render_text(krender *r, const char *t, int size,
                                uint32_t color, int *w, int *h)
{
	SDL_Color c = {(Uint8)(color >> 16), (Uint8)(color >> 8), (Uint8)color,
	               (Uint8)(color >> 24)};
	TTF_Font *f = font(r, size);
	SDL_Surface *s;
	SDL_Texture *tx;
	if (!f)
		return NULL;
	s = TTF_RenderUTF8_Blended(f, t, c);
	if (!s)
		return NULL;
	tx = SDL_CreateTextureFromSurface(r->ren, s);
	*w = s->w;
	*h = s->h;
	SDL_FreeSurface(s);
	return tx;
}

/* The cached texture of a text line, rendering it on a miss. */
static struct tex *text_tex(krender *r, const char *t, int size, uint32_t color)
{
	uint64_t hv = hash(t, size, color);
	int *head = &r->bucket[hv & (TEX_BUCKETS - 1)], i;
	struct tex *e;
	for (i = *head; i >= 0; i = r->tex[i].chain) {
		e = &r->tex[i];
		if (e->hash == hv && e->size == size && e->color == color &&
		    strcmp(e->text, t) == 0) {
			lru_unlink(r, i);
			lru_push(r, i);
			r->st.text_hits++;
			return e;
		}
	}
	r->st.text_misses++;
	/* evict least recently used past the budget or the slot limit; the
	 * current frame's lines are the most recent, so they stay */
	while (r->lru >= 0 && (r->free_slot < 0 || r->bytes > r->budget)) {
		drop_tex(r, r->lru);
		r->st.evictions++;
	}
	i = r->free_slot;
	e = &r->tex[i];
	e->t = render_text(r, t, size, color, &e->w, &e->h);
	if (!e->t)
		return NULL;
	e->text = strdup(t);
	if (!e->text) {
		SDL_DestroyTexture(e->t);
		e->t = NULL;
		return NULL;
	}
	r->free_slot = e->chain;
	e->hash = hv;
	e->size = size;
	e->color = color;
	e->bytes = (size_t)e->w * (size_t)e->h * 4;
	e->chain = *head;
	*head = i;
	lru_push(r, i);
	r->bytes += e->bytes;
	r->ntex++;
	return e;
}

/* Filled rounded rectangle: three rectangles and four small corner fans.
 * The software renderer fills rectangles fast but rasterises geometry
 * slowly, so only the corners go through SDL_RenderGeometry. */
static void fill_round(krender *r, struct kui_rect b, int rad, uint32_t color)
{
	enum { SEG = 8 };
	SDL_Vertex v[4 * (SEG + 2)];
	int idx[4 * SEG * 3], n = 0, k = 0;
	SDL_Color c = {(Uint8)(color >> 16), (Uint8)(color >> 8), (Uint8)color,
	               (Uint8)(color >> 24)};
	SDL_Rect q[3];
	float cx[4], cy[4];
	/* blending only where it shows: see the banner */
	SDL_SetRenderDrawBlendMode(r->ren, c.a == 255 ? SDL_BLENDMODE_NONE
	                                              : SDL_BLENDMODE_BLEND);
	SDL_SetRenderDrawColor(r->ren, c.r, c.g, c.b, c.a);
	if (rad <= 1 || b.w < 2 * rad || b.h < 2 * rad) {
		SDL_Rect all = {b.x, b.y, b.w, b.h};
		SDL_RenderFillRect(r->ren, &all);
		return;
	}
	q[0] = (SDL_Rect){b.x + rad, b.y, b.w - 2 * rad, b.h};
	q[1] = (SDL_Rect){b.x, b.y + rad, rad, b.h - 2 * rad};
	q[2] = (SDL_Rect){b.x + b.w - rad, b.y + rad, rad, b.h - 2 * rad};
	SDL_RenderFillRects(r->ren, q, 3);
	cx[0] = (float)(b.x + b.w - rad), cy[0] = (float)(b.y + b.h - rad);
	cx[1] = (float)(b.x + rad), cy[1] = (float)(b.y + b.h - rad);
	cx[2] = (float)(b.x + rad), cy[2] = (float)(b.y + rad);
	cx[3] = (float)(b.x + b.w - rad), cy[3] = (float)(b.y + rad);
	for (int qd = 0; qd < 4; qd++) {
		int centre = n;
		v[n].position.x = cx[qd];
		v[n].position.y = cy[qd];
		v[n].color = c;
		v[n].tex_coord.x = v[n].tex_coord.y = 0;
		n++;
		for (int s = 0; s <= SEG; s++) {
			double a = (qd * 90.0 + s * 90.0 / SEG) * M_PI / 180.0;
			v[n].position.x = cx[qd] + (float)(cos(a) * rad);
			v[n].position.y = cy[qd] + (float)(sin(a) * rad);
			v[n].color = c;
			v[n].tex_coord.x = v[n].tex_coord.y = 0;
			if (s > 0) {
				idx[k++] = centre;
				idx[k++] = n - 1;
				idx[k++] = n;
			}
			n++;
		}
	}
	SDL_RenderGeometry(r->ren, NULL, v, n, idx, k);
}

/* The speaker of 朗读 (KUI_CMD_ICON, KUI_ICON_SPEAKER) in the square b:
 * a box and a cone as four triangles, and two sound waves as arcs of
 * quads, all in one SDL_RenderGeometry.  Coordinates are fractions of the
 * side: the box 0.08-0.30 by 0.35-0.65, the cone out to 0.52 and
 * 0.15-0.85, the waves centred at (0.52, 0.5) with radii 0.20 and 0.36,
 * 0.08 thick, from -50 to 50 degrees. */
static void draw_speaker(krender *r, struct kui_rect b, uint32_t color)
{
	enum { SEG = 10 };
	static const float shape[2][4][2] = {
	    {{0.08f, 0.35f}, {0.30f, 0.35f}, {0.30f, 0.65f}, {0.08f, 0.65f}},
	    {{0.30f, 0.35f}, {0.52f, 0.15f}, {0.52f, 0.85f}, {0.30f, 0.65f}},
	};
	SDL_Vertex v[8 + 2 * 2 * (SEG + 1)];
	int idx[12 + 2 * SEG * 6], n = 0, k = 0;
	SDL_Color c = {(Uint8)(color >> 16), (Uint8)(color >> 8), (Uint8)color,
	               (Uint8)(color >> 24)};
	float d = (float)b.w;
	memset(v, 0, sizeof v);
	for (int q = 0; q < 2; q++) { /* box, cone: two triangles each */
		for (int i = 0; i < 4; i++) {
			v[n + i].position.x = (float)b.x + shape[q][i][0] * d;
			v[n + i].position.y = (float)b.y + shape[q][i][1] * d;
			v[n + i].color = c;
		}
		idx[k++] = n, idx[k++] = n + 1, idx[k++] = n + 2;
		idx[k++] = n, idx[k++] = n + 2, idx[k++] = n + 3;
		n += 4;
	}
	for (int w = 0; w < 2; w++) { /* the waves */
		float rad = (w ? 0.36f : 0.20f) * d, th = 0.08f * d;
		float cx = (float)b.x + 0.52f * d, cy = (float)b.y + 0.5f * d;
		for (int i = 0; i <= SEG; i++) {
			double a = (-50.0 + 100.0 * i / SEG) * M_PI / 180.0;
			v[n].position.x = cx + (float)cos(a) * rad;
			v[n].position.y = cy + (float)sin(a) * rad;
			v[n + 1].position.x = cx + (float)cos(a) * (rad + th);
			v[n + 1].position.y = cy + (float)sin(a) * (rad + th);
			v[n].color = v[n + 1].color = c;
			if (i > 0) {
				idx[k++] = n - 2, idx[k++] = n - 1, idx[k++] = n + 1;
				idx[k++] = n - 2, idx[k++] = n + 1, idx[k++] = n;
			}
			n += 2;
		}
	}
	SDL_SetRenderDrawBlendMode(r->ren, SDL_BLENDMODE_BLEND);
	SDL_RenderGeometry(r->ren, NULL, v, n, idx, k);
}

/* Hash of everything a frame draws (FNV-1a over the commands and their
 * texts): equal hashes mean an identical picture. */
static uint64_t frame_hash(const struct kui_frame *f)
{
	uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(uint32_t)(v)) * 1099511628211ull)
	MIX(f->w);
	MIX(f->h);
	MIX(f->ncmds);
	for (int i = 0; i < f->ncmds; i++) {
		const struct kui_cmd *c = &f->cmds[i];
		MIX(c->kind);
		MIX(c->box.x), MIX(c->box.y), MIX(c->box.w), MIX(c->box.h);
		MIX(c->color), MIX(c->border), MIX(c->radius), MIX(c->size);
		if (c->text)
			for (const char *p = c->text; *p; p++)
				MIX((unsigned char)*p);
		MIX(0x100); /* end of text: "ab","c" differs from "a","bc" */
	}
#undef MIX
	return h;
}

void krender_invalidate(krender *r)
{
	r->have_shown = 0;
}

int krender_frame(krender *r, const struct kui_frame *f)
{
	int bad = 0;
	int bw = (r->w < r->h ? r->w : r->h) / 300 + 2;
	uint64_t fh = frame_hash(f);
	if (r->cache && r->have_shown && fh == r->shown)
		return r->shown_bad; /* already on screen */
	/* the layout paints the whole background first */
	if (!(f->ncmds > 0 && f->cmds[0].kind == KUI_CMD_RECT && f->cmds[0].box.x <= 0 &&
	      f->cmds[0].box.y <= 0 && f->cmds[0].box.w >= r->w &&
	      f->cmds[0].box.h >= r->h && f->cmds[0].color >> 24 == 0xFF)) {
		SDL_SetRenderDrawColor(r->ren, 0, 0, 0, 255);
		SDL_RenderClear(r->ren);
	}
	for (int i = 0; i < f->ncmds; i++) {
		const struct kui_cmd *c = &f->cmds[i];
		switch (c->kind) {
		case KUI_CMD_RECT:
			if (c->border) {
				fill_round(r, c->box, c->radius, c->border);
				fill_round(r,
				           (struct kui_rect){c->box.x + bw, c->box.y + bw,
				                             c->box.w - 2 * bw, c->box.h - 2 * bw},
				           c->radius > bw ? c->radius - bw : 0, c->color);
			} else
				fill_round(r, c->box, c->radius, c->color);
			break;
		case KUI_CMD_TEXT: {
			SDL_Rect dst;
			if (r->cache) {
				struct tex *t = text_tex(r, c->text, c->size, c->color);
				if (!t)
					break;
				dst = (SDL_Rect){c->box.x, c->box.y, t->w, t->h};
				if (t->w > c->box.w + 2)
					bad++;
				SDL_RenderCopy(r->ren, t->t, NULL, &dst);
			} else {
				int w, h;
				SDL_Texture *t = render_text(r, c->text, c->size, c->color, &w, &h);
				r->st.text_misses++;
				if (!t)
					break;
				dst = (SDL_Rect){c->box.x, c->box.y, w, h};
				if (w > c->box.w + 2)
					bad++;
				SDL_RenderCopy(r->ren, t, NULL, &dst);
				SDL_DestroyTexture(t);
			}
			break;
		}
		case KUI_CMD_ICON:
			if (c->size == KUI_ICON_SPEAKER)
				draw_speaker(r, c->box, c->color);
			break;
		case KUI_CMD_IMAGE: {
			SDL_Surface *s = SDL_LoadBMP(c->text);
			if (s) {
				SDL_Texture *t = SDL_CreateTextureFromSurface(r->ren, s);
				SDL_Rect dst = {c->box.x, c->box.y, c->box.w, c->box.h};
				SDL_RenderCopy(r->ren, t, NULL, &dst);
				SDL_DestroyTexture(t);
				SDL_FreeSurface(s);
			}
			break;
		}
		}
	}
	SDL_RenderPresent(r->ren);
	r->shown = fh;
	r->shown_bad = bad;
	r->have_shown = 1;
	return bad;
}

int krender_shot(krender *r, const char *path)
{
	int w, h, rc;
	uint32_t *px;
	SDL_GetRendererOutputSize(r->ren, &w, &h);
	px = malloc((size_t)w * (size_t)h * 4);
	if (!px)
		return -1;
	/* the software renderer keeps the presented frame readable */
	rc = SDL_RenderReadPixels(r->ren, NULL, SDL_PIXELFORMAT_ARGB8888, px, w * 4);
	if (rc == 0)
		rc = kpng_write(path, w, h, px, w * 4);
	free(px);
	return rc;
}

long krender_ink(krender *r, struct kui_rect box, uint32_t color, int tol)
{
	SDL_Rect a = {box.x, box.y, box.w, box.h};
	uint32_t *px;
	long n = 0;
	if (box.w <= 0 || box.h <= 0 || !(px = malloc((size_t)box.w * (size_t)box.h * 4)))
		return -1;
	if (SDL_RenderReadPixels(r->ren, &a, SDL_PIXELFORMAT_ARGB8888, px, box.w * 4) != 0) {
		free(px);
		return -1;
	}
	for (long i = 0; i < (long)box.w * box.h; i++) {
		int dr = (int)(px[i] >> 16 & 0xFF) - (int)(color >> 16 & 0xFF);
		int dg = (int)(px[i] >> 8 & 0xFF) - (int)(color >> 8 & 0xFF);
		int db = (int)(px[i] & 0xFF) - (int)(color & 0xFF);
		n += abs(dr) <= tol && abs(dg) <= tol && abs(db) <= tol;
	}
	free(px);
	return n;
}

int krender_wait(krender *r, int timeout_ms, struct kui_event *ev)
{
	SDL_Event e;
	int got = timeout_ms < 0 ? SDL_WaitEvent(&e) : SDL_WaitEventTimeout(&e, timeout_ms);
	if (!got)
		return 0;
	r->ev_ticks = e.common.timestamp;
	switch (e.type) {
	case SDL_QUIT:
		return -1;
	case SDL_WINDOWEVENT:
		/* the window system lost our pixels: the next frame is drawn
		 * in full (the caller redraws on a 2 return) */
		if (e.window.event == SDL_WINDOWEVENT_EXPOSED ||
		    e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
			r->have_shown = 0;
			return 2;
		}
		return 0;
	case SDL_KEYDOWN:
		return e.key.keysym.sym == SDLK_ESCAPE && (e.key.keysym.mod & KMOD_CTRL)
		           ? -1
		           : 0;
	case SDL_FINGERDOWN:
		if (r->finger_down)
			return 0; /* a second finger: ignored */
		r->finger_down = 1;
		r->finger = e.tfinger.fingerId;
		ev->kind = KUI_EV_DOWN;
		break;
	case SDL_FINGERMOTION:
	case SDL_FINGERUP:
		if (!r->finger_down || e.tfinger.fingerId != r->finger)
			return 0;
		ev->kind = e.type == SDL_FINGERUP ? KUI_EV_UP : KUI_EV_MOVE;
		if (e.type == SDL_FINGERUP)
			r->finger_down = 0;
		break;
	case SDL_MOUSEBUTTONDOWN:
	case SDL_MOUSEBUTTONUP:
		if (e.button.which == SDL_TOUCH_MOUSEID || e.button.button != SDL_BUTTON_LEFT)
			return 0;
		ev->kind = e.type == SDL_MOUSEBUTTONDOWN ? KUI_EV_DOWN : KUI_EV_UP;
		ev->x = e.button.x;
		ev->y = e.button.y;
		return 1;
	case SDL_MOUSEMOTION:
		if (e.motion.which == SDL_TOUCH_MOUSEID || !(e.motion.state & SDL_BUTTON_LMASK))
			return 0;
		ev->kind = KUI_EV_MOVE;
		ev->x = e.motion.x;
		ev->y = e.motion.y;
		return 1;
	default:
		return 0;
	}
	ev->x = (int)(e.tfinger.x * (float)r->w);
	ev->y = (int)(e.tfinger.y * (float)r->h);
	return 1;
}


void krender_stats(const krender *r, struct krender_stats *out)
{
	*out = r->st;
	out->cache_bytes = r->bytes;
	out->textures = r->ntex;
}

long long krender_event_age(const krender *r)
{
	Uint32 now = SDL_GetTicks();
	/* a stamp from the future (none expected) counts as now */
	return r->ev_ticks && now - r->ev_ticks < 60000 ? (long long)(now - r->ev_ticks) : 0;
}
