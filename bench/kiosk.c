/*
 * bench/kiosk.c -- kiosk rendering on the offscreen software renderer at
 * 1080x1920: cold start to first frame, frame time p50/p99 on the busiest
 * screen (a reader page) and on screen changes with first-seen text, peak
 * RSS, idle wakeups per second; against a naive baseline in the same run
 * that re-renders all text through SDL2_ttf every frame.
 *
 * Each mode runs in its own child process (fork), so both start cold
 * (SDL, fonts, page faults) and each gets its own peak RSS.  "Busiest
 * screen" is a forced full redraw of a long reader page (what a change
 * of that screen costs when all its text is cached); "unchanged frame"
 * is the same frame asked for again, which the renderer skips.
 *
 * Everything after the first frame runs in 长辈模式 (the home screen's
 * button: type 1.5x, four tiles a page, larger targets), the heaviest
 * text a resident can ask for.  Narration plays throughout, as 长辈模式
 * does: every page shown starts its
 * Ogg Opus file (the build's content-narrated/ by default), and each
 * measured frame includes feeding the audio queue (kaudio_pump), as the
 * kiosk's loop does.  With no SDL_AUDIODRIVER set the disk driver writes
 * to /dev/null (in real time, like a sound card).
 *
 * Not a test: the goals line says "MISSED" but the exit status is 0.
 *
 *   bench_kiosk [--json] [--standard] [CONTENT_DIR]   (default: content/
 *   of the source; with --json the table goes to stderr and one JSON
 *   object to stdout; --standard stays out of 长辈模式, for comparison)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <anxin/content.h>

#include "audio.h"
#include "bench.h"
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

/* narration: the only effect the bench needs */
static kaudio *au;
static int narrations, narration_errors;

static void play(void *ctx, const char *path)
{
	char err[256];
	(void)ctx;
	if (!path) {
		kaudio_stop(au);
		return;
	}
	narrations++;
	if (kaudio_play(au, path, (long long)ms(), err, sizeof err) != 0) {
		narration_errors++;
		fprintf(stderr, "bench_kiosk: %s\n", err);
	}
}

struct run {
	double first, p50, p99, change_p50, change_p99, same_p50, layout_p50,
	    layout_p99, pump_p50, pump_p99;
	double rss_mb;
	int narrations, narration_errors, playing; /* playing: at the end */
};

static kui *make_ui(krender *r, ax_content *c, struct kui_frame *f)
{
	const struct ax_pack *packs[KUI_MAX_PACKS];
	struct kui_config kc;
	struct kui_metrics m = krender_metrics(r);
	int n = ax_content_npacks(c);
	for (int i = 0; i < n && i < KUI_MAX_PACKS; i++)
		packs[i] = ax_content_pack(c, i);
	struct kui_host host;
	kui *u;
	memset(&host, 0, sizeof host);
	host.play = play;
	kui_config_defaults(&kc);
	(void)f;
	u = kui_new(&kc, &host, &m, 1080, 1920, packs, n, NULL, NULL, 0, 0);
	if (u)
		kui_set_narrate_auto(u, 1);
	return u;
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

/* Open pack tile id from the home screen, turning 长辈模式's tile pages. */
static void open_tile(kui *u, struct kui_frame *f, const char *id, long long *now)
{
	for (int k = 0; k < KUI_MAX_PACKS; k++) {
		kui_layout(u, f);
		if (kui_frame_find(f, id) >= 0) {
			tap(u, f, id, now);
			return;
		}
		tap(u, f, "more", now);
	}
}

static int standard; /* --standard: stay out of 长辈模式 (a comparison) */

static int run(ax_content *c, int cache, struct run *out)
{
	struct krender_opts o = {1080, 1920, 0, "offscreen", NULL, 0, cache, 0};
	char err[256];
	double t0 = ms(), pumpt[FRAMES], t[FRAMES], ch[64], same[FRAMES], lay[FRAMES];
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
	au = kaudio_new();
	u = make_ui(r, c, f);
	kui_layout(u, f);
	krender_frame(r, f);
	out->first = ms() - t0;
	/* the busiest screen: a long reader page */
	tap(u, f, "start", &now);
	if (!standard)
		tap(u, f, "elder", &now);
	if (kui_elder(u) == standard) {
		fprintf(stderr, "bench_kiosk: the mode did not change\n");
		kaudio_free(au);
		kui_free(u);
		krender_free(r);
		free(f);
		return -1;
	}
	open_tile(u, f, "tile-family-safety", &now);
	for (int i = 0; i < FRAMES; i++) {
		double a = ms(), b;
		kaudio_pump(au, (long long)a);
		b = ms();
		pumpt[i] = b - a;
		kui_layout(u, f);
		lay[i] = ms() - b;
		krender_invalidate(r); /* a full redraw, not a skipped one */
		krender_frame(r, f);
		t[i] = ms() - a;
	}
	for (int i = 0; i < FRAMES; i++) {
		double a = ms();
		kaudio_pump(au, (long long)a);
		kui_layout(u, f);
		krender_frame(r, f);
		same[i] = ms() - a;
	}
	/* screen changes: each page's text is seen for the first time */
	for (int p = 0; p < ax_content_npacks(c) && nch < 64; p++) {
		char id[64];
		tap(u, f, "home", &now);
		snprintf(id, sizeof id, "tile-%s", ax_content_pack(c, p)->id);
		open_tile(u, f, id, &now);
		for (int k = 0; k < 6 && nch < 64; k++) {
			double a;
			tap(u, f, "next", &now);
			a = ms();
			kaudio_pump(au, (long long)a);
			kui_layout(u, f);
			krender_frame(r, f);
			ch[nch++] = ms() - a;
		}
	}
	qsort(pumpt, FRAMES, sizeof pumpt[0], cmp);
	out->pump_p50 = pumpt[FRAMES / 2];
	out->pump_p99 = pumpt[FRAMES * 99 / 100];
	qsort(t, FRAMES, sizeof t[0], cmp);
	qsort(same, FRAMES, sizeof same[0], cmp);
	qsort(lay, FRAMES, sizeof lay[0], cmp);
	out->same_p50 = same[FRAMES / 2];
	out->layout_p50 = lay[FRAMES / 2];
	out->layout_p99 = lay[FRAMES * 99 / 100];
	qsort(ch, (size_t)nch, sizeof ch[0], cmp);
	out->p50 = t[FRAMES / 2];
	out->p99 = t[FRAMES * 99 / 100];
	out->change_p50 = ch[nch / 2];
	out->change_p99 = ch[nch * 99 / 100];
	out->playing = kaudio_playing(au);
	out->narrations = narrations;
	out->narration_errors = narration_errors;
	kaudio_free(au);
	kui_free(u);
	krender_free(r);
	free(f);
	return 0;
}

/* Run one mode in a child process: cold start and its own peak RSS. */
static int run_child(ax_content *c, int cache, struct run *out)
{
	int fd[2], st, wst;
	pid_t pid;
	if (pipe(fd))
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct rusage ru;
		struct run r;
		int rc;
		close(fd[0]);
		memset(&r, 0, sizeof r);
		rc = run(c, cache, &r);
		getrusage(RUSAGE_SELF, &ru);
		r.rss_mb = ru.ru_maxrss / 1024.0;
		if (rc == 0 && write(fd[1], &r, sizeof r) != (ssize_t)sizeof r)
			rc = -1;
		_exit(rc ? 1 : 0);
	}
	close(fd[1]);
	st = read(fd[0], out, sizeof *out) == (ssize_t)sizeof *out ? 0 : -1;
	close(fd[0]);
	if (waitpid(pid, &wst, 0) < 0)
		st = -1;
	return st;
}

static void print_json(const struct run *cached, const struct run *naive)
{
	struct bench_json j = {stdout, 0, {1}};
	const struct run *r[2] = {cached, naive};
	static const char *const names[2] = {"figures", "baselines"};

	bench_json_open(&j, NULL);
	bench_json_num(&j, "n", FRAMES, 6);
	/* figures: the cached renderer; baselines: the naive one (all text
	 * through SDL2_ttf every frame), same keys */
	for (int k = 0; k < 2; k++) {
		bench_json_open(&j, names[k]);
		if (k == 1)
			bench_json_str(&j, "what", "naive renderer: all text through SDL2_ttf every frame");
		bench_json_num(&j, "first_frame_ms", r[k]->first, 4);
		bench_json_num(&j, "busiest_p50_ms", r[k]->p50, 4);
		bench_json_num(&j, "busiest_p99_ms", r[k]->p99, 4);
		bench_json_num(&j, "unchanged_p50_ms", r[k]->same_p50, 4);
		bench_json_num(&j, "change_p50_ms", r[k]->change_p50, 4);
		bench_json_num(&j, "change_p99_ms", r[k]->change_p99, 4);
		bench_json_num(&j, "peak_rss_mb", r[k]->rss_mb, 4);
		bench_json_num(&j, "narration_feed_p99_ms", r[k]->pump_p99, 4);
		bench_json_num(&j, "narrations_started", r[k]->narrations, 6);
		bench_json_num(&j, "narration_errors", r[k]->narration_errors, 6);
		if (k == 0) {
			bench_json_num(&j, "layout_p50_ms", r[k]->layout_p50, 4);
			bench_json_num(&j, "layout_p99_ms", r[k]->layout_p99, 4);
		}
		bench_json_close(&j);
	}
	/* ratios: naive time / cached time (how many times faster) */
	bench_json_open(&j, "ratios");
	bench_json_num(&j, "first_frame_naive_vs_cached", naive->first / cached->first, 4);
	bench_json_num(&j, "busiest_p50_naive_vs_cached", naive->p50 / cached->p50, 4);
	bench_json_num(&j, "busiest_p99_naive_vs_cached", naive->p99 / cached->p99, 4);
	bench_json_num(&j, "change_p50_naive_vs_cached",
	               naive->change_p50 / cached->change_p50, 4);
	bench_json_num(&j, "change_p99_naive_vs_cached",
	               naive->change_p99 / cached->change_p99, 4);
	bench_json_close(&j);
	bench_json_open(&j, "goals");
	bench_json_num(&j, "first_frame_ms", 500, 3);
	bench_json_num(&j, "busiest_p99_ms", 16, 3);
	bench_json_num(&j, "change_p99_ms", 16, 3);
	bench_json_num(&j, "peak_rss_mb", 80, 3);
	bench_json_close(&j);
	bench_json_close(&j);
}

int main(int argc, char **argv)
{
	const char *dir = CONTENT_DIR;
	ax_content *c = NULL;
	struct run cached, naive;
	int nerr = 0, json = 0;
	FILE *tab;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			json = 1;
		else if (!strcmp(argv[i], "--standard"))
			standard = 1;
		else if (argv[i][0] != '-')
			dir = argv[i];
		else {
			fprintf(stderr, "usage: bench_kiosk [--json] [--standard] [CONTENT_DIR]\n");
			return 2;
		}
	}
	tab = json ? stderr : stdout;
	if (!getenv("SDL_AUDIODRIVER")) {
		setenv("SDL_AUDIODRIVER", "disk", 1);
		setenv("SDL_DISKAUDIOFILE", "/dev/null", 1);
	}

	if (ax_content_load_dir(dir, NULL, NULL, &nerr, &c) != AX_OK || !c) {
		fprintf(stderr, "bench_kiosk: cannot load %s\n", dir);
		return 1;
	}
	if (run_child(c, 0, &naive) || run_child(c, 1, &cached)) {
		fprintf(stderr, "bench_kiosk: a run failed\n");
		return 1;
	}
	fprintf(tab, "kiosk 1080x1920 offscreen software renderer, %s, %d frames, one process per mode\n",
	       standard ? "standard mode" : "长辈模式", FRAMES);
	fprintf(tab, "%-34s %10s %10s %8s\n", "", "cached", "naive", "ratio");
	fprintf(tab, "%-34s %8.1fms %8.1fms %7.2fx\n", "cold start to first frame", cached.first,
	       naive.first, naive.first / cached.first);
	fprintf(tab, "%-34s %8.2fms %8.2fms %7.2fx\n", "busiest screen p50 (full redraw)",
	       cached.p50, naive.p50, naive.p50 / cached.p50);
	fprintf(tab, "%-34s %8.2fms %8.2fms %7.2fx\n", "busiest screen p99 (full redraw)",
	       cached.p99, naive.p99, naive.p99 / cached.p99);
	fprintf(tab, "%-34s %8.2fms %8.2fms\n", "  of which layout p50 / p99", cached.layout_p50,
	       cached.layout_p99);
	fprintf(tab, "%-34s %8.2fms %8.2fms\n", "  of which narration feed p50 / p99",
	        cached.pump_p50, cached.pump_p99);
	fprintf(tab, "%-34s %8.3fms %8.2fms\n", "unchanged frame p50 (skipped)", cached.same_p50,
	       naive.same_p50);
	fprintf(tab, "%-34s %8.2fms %8.2fms %7.2fx\n", "screen change p50 (new text)",
	       cached.change_p50, naive.change_p50, naive.change_p50 / cached.change_p50);
	fprintf(tab, "%-34s %8.2fms %8.2fms %7.2fx\n", "screen change p99 (new text)",
	       cached.change_p99, naive.change_p99, naive.change_p99 / cached.change_p99);
	fprintf(tab, "%-34s %8.1fMB %8.1fMB   (goal < 80)\n", "peak RSS", cached.rss_mb,
	       naive.rss_mb);
	fprintf(tab, "narration: %d files started (%d failed), still playing at the end: %s\n",
	        cached.narrations, cached.narration_errors, cached.playing ? "yes" : "no");
	fprintf(tab, "idle wakeups: attract %.2f/s (one per %d ms slide), other screens "
	       "1 per idle timeout; the loop sleeps in SDL_WaitEventTimeout\n",
	       1000.0 / 7000, 7000);
	fprintf(tab, "goals: narration playing: %s; first frame < 500 ms: %s; p99 < 16 ms: %s; "
	       "RSS < 80 MB: %s; cached faster than naive: %s\n",
	       cached.narrations == 0 ? "none (no audio in this content)"
	       : !cached.narration_errors && cached.playing ? "met" : "MISSED",
	       cached.first < 500 ? "met" : "MISSED",
	       cached.p99 < 16 && cached.change_p99 < 16 ? "met" : "MISSED",
	       cached.rss_mb < 80 ? "met" : "MISSED",
	       cached.p50 < naive.p50 && cached.change_p50 <= naive.change_p50 ? "yes" : "NO");
	if (json)
		print_json(&cached, &naive);
	ax_content_free(c);
	return 0;
}
