/*
 * bench/kiosk.c -- kiosk rendering on the offscreen software renderer at
 * 1080x1920: cold start to first frame, frame time p50/p99 on the busiest
 * screen (a reader page) and on screen changes with first-seen text, peak
 * RSS, idle wakeups per second; against a naive baseline in the same run
 * that re-renders all text through SDL2_ttf every frame.
 *
 *   bench_kiosk [CONTENT_DIR]      (default: ../content from the source)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <anxin/content.h>

#include "render.h"
#include "ui/ui.h"

#define FRAMES 120

static double ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static struct kui_host host; /* no effects needed */

struct run {
	double first, p50, p99, change_p50, change_p99;
};

static kui *make_ui(krender *r, ax_content *c, struct kui_frame *f)
{
	const struct ax_pack *packs[KUI_MAX_PACKS];
	struct kui_config kc;
	struct kui_metrics m = krender_metrics(r);
	int n = ax_content_npacks(c);
	for (int i = 0; i < n && i < KUI_MAX_PACKS; i++)
		packs[i] = ax_content_pack(c, i);
	kui_config_defaults(&kc);
	(void)f;
	return kui_new(&kc, &host, &m, 1080, 1920, packs, n, NULL, NULL, 0, 0);
}

static void tap(kui *u, struct kui_frame *f, const char *id, long long *now)
{
	int w;
	struct kui_event e;
	kui_layout(u, f);
	w = kui_frame_find(f, id);
	if (w < 0)
		return;
	e.x = f->widgets[w].box.x + f->widgets[w].box.w / 2;
	e.y = f->widgets[w].box.y + f->widgets[w].box.h / 2;
	e.kind = KUI_EV_DOWN;
	e.now = *now += 100;
	kui_handle(u, &e);
	e.kind = KUI_EV_UP;
	e.now = *now += 100;
	kui_handle(u, &e);
}

static int run(ax_content *c, int cache, struct run *out)
{
	struct krender_opts o = {1080, 1920, 0, "offscreen", NULL, 0, cache, 0};
	char err[256];
	double t0 = ms(), t[FRAMES], ch[64];
	struct kui_frame *f = malloc(sizeof *f);
	krender *r;
	kui *u;
	long long now = 0;
	int nch = 0;

	r = krender_new(&o, err, sizeof err);
	if (!r || !f) {
		fprintf(stderr, "bench_kiosk: %s\n", err);
		free(f);
		return -1;
	}
	u = make_ui(r, c, f);
	kui_layout(u, f);
	krender_frame(r, f);
	out->first = ms() - t0;
	/* the busiest screen: a long reader page */
	tap(u, f, "start", &now);
	tap(u, f, "tile-family-safety", &now);
	for (int i = 0; i < FRAMES; i++) {
		double a = ms();
		kui_layout(u, f);
		krender_frame(r, f);
		t[i] = ms() - a;
	}
	/* screen changes: each page's text is seen for the first time */
	for (int p = 0; p < ax_content_npacks(c) && nch < 64; p++) {
		char id[64];
		tap(u, f, "home", &now);
		snprintf(id, sizeof id, "tile-%s", ax_content_pack(c, p)->id);
		tap(u, f, id, &now);
		for (int k = 0; k < 6 && nch < 64; k++) {
			double a;
			tap(u, f, "next", &now);
			a = ms();
			kui_layout(u, f);
			krender_frame(r, f);
			ch[nch++] = ms() - a;
		}
	}
	qsort(t, FRAMES, sizeof t[0], cmp);
	qsort(ch, (size_t)nch, sizeof ch[0], cmp);
	out->p50 = t[FRAMES / 2];
	out->p99 = t[FRAMES * 99 / 100];
	out->change_p50 = ch[nch / 2];
	out->change_p99 = ch[nch * 99 / 100];
	kui_free(u);
	krender_free(r);
	free(f);
	return 0;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : CONTENT_DIR;
	ax_content *c = NULL;
	struct run cached, naive;
	struct rusage ru;
	int nerr = 0;

	if (ax_content_load_dir(dir, NULL, NULL, &nerr, &c) != AX_OK || !c) {
		fprintf(stderr, "bench_kiosk: cannot load %s\n", dir);
		return 1;
	}
	if (run(c, 1, &cached) || run(c, 0, &naive))
		return 1;
	getrusage(RUSAGE_SELF, &ru);
	printf("kiosk 1080x1920 offscreen software renderer, %d frames\n", FRAMES);
	printf("%-34s %10s %10s %8s\n", "", "cached", "naive", "ratio");
	printf("%-34s %8.1fms %8.1fms %7.2fx\n", "cold start to first frame", cached.first,
	       naive.first, naive.first / cached.first);
	printf("%-34s %8.2fms %8.2fms %7.2fx\n", "busiest screen p50", cached.p50,
	       naive.p50, naive.p50 / cached.p50);
	printf("%-34s %8.2fms %8.2fms %7.2fx\n", "busiest screen p99", cached.p99,
	       naive.p99, naive.p99 / cached.p99);
	printf("%-34s %8.2fms %8.2fms %7.2fx\n", "screen change p50 (new text)",
	       cached.change_p50, naive.change_p50, naive.change_p50 / cached.change_p50);
	printf("%-34s %8.2fms %8.2fms %7.2fx\n", "screen change p99 (new text)",
	       cached.change_p99, naive.change_p99, naive.change_p99 / cached.change_p99);
	printf("peak RSS %.1f MB (goal < 80)\n", ru.ru_maxrss / 1024.0);
	printf("idle wakeups: attract %.2f/s (one per %d ms slide), other screens "
	       "1 per idle timeout; the loop sleeps in SDL_WaitEventTimeout\n",
	       1000.0 / 7000, 7000);
	printf("goals: first frame < 500 ms: %s; p99 < 16 ms: %s\n",
	       cached.first < 500 ? "met" : "MISSED", cached.p99 < 16 ? "met" : "MISSED");
	ax_content_free(c);
	return 0;
}
