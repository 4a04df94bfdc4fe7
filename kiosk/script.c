/*
 * script.c -- the scripted test driver (see script.h).  Each command is a
 * function of the runner and its argument, found in a table; a command
 * returns 0 to go on or 1 to stop the script (after logging why).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <anxin/sync.h>

#include "script.h"

/* ==== the runner ======================================================== */
struct runner {
	struct app *a;
	struct kui_frame *f;
	const char *path, *shots;
	const char *line; /* the command line being run, for messages */
	int ln;
	int problems; /* frames with clipped text */
	int dirty;    /* the UI said the screen changed since the last redraw */
};

static int check_frame(struct app *a, struct kui_frame *f, int drawn_bad,
                       const char *where)
{
	char why[256];
	int bad = kui_frame_check(f, why, sizeof why);
	if (bad)
		LOG(L_ERROR, "%s: %d text line(s) clipped: %s", where, bad, why);
	if (drawn_bad)
		LOG(L_ERROR, "%s: %d text line(s) rendered wider than laid out", where,
		    drawn_bad);
	return bad + drawn_bad;
}

static void redraw(struct runner *rn)
{
	kui_layout(rn->a->ui, rn->f);
	rn->problems += check_frame(rn->a, rn->f, krender_frame(rn->a->r, rn->f), "frame") ? 1 : 0;
	rn->dirty = 0;
}

/* Advance the virtual clock by ms in steps, firing the UI's deadlines. */
static void advance(struct runner *rn, long long ms)
{
	struct app *a = rn->a;
	long long end = a->virt_ms + ms;
	while (a->virt_ms < end) {
		long long d = kui_deadline(a->ui), r = app_store_deadline(a);
		struct kui_event ev = {KUI_EV_TICK, 0, 0, 0};
		long long was = a->virt_ms;
		if (r >= 0 && (d < 0 || r < d))
			d = r;
		a->virt_ms = d > a->virt_ms && d < end ? d : end;
		/* narration is fed in 20 ms steps of the virtual clock */
		if (a->au && kaudio_playing(a->au) && a->virt_ms - was > 20)
			a->virt_ms = was + 20;
		ev.now = a->virt_ms;
		if (kui_handle(a->ui, &ev))
			rn->dirty = 1;
		if (app_store_retry(a, 0))
			rn->dirty = 1;
		if (a->au && kaudio_pump(a->au, a->virt_ms))
			kaudio_settle(a->au, KAUDIO_LEAD_MS);
	}
}

static void send(struct runner *rn, enum kui_ev_kind k, int x, int y)
{
	struct kui_event ev = {k, x, y, app_now_ms(rn->a)};
	if (kui_handle(rn->a->ui, &ev))
		rn->dirty = 1;
}

/* Press at x,y, hold for `hold` ms, release, then let `after` ms pass
 * (0: no time passes). */
static void tap_at(struct runner *rn, int x, int y, long long hold, long long after)
{
	send(rn, KUI_EV_DOWN, x, y);
	advance(rn, hold);
	send(rn, KUI_EV_UP, x, y);
	advance(rn, after);
}

/* Lay the screen out and find widget id; its centre in *x, *y.  Returns
 * its index in rn->f, or -1. */
static int find_widget(struct runner *rn, const char *id, int *x, int *y)
{
	int w;
	kui_layout(rn->a->ui, rn->f);
	w = kui_frame_find(rn->f, id);
	if (w >= 0) {
		*x = rn->f->widgets[w].box.x + rn->f->widgets[w].box.w / 2;
		*y = rn->f->widgets[w].box.y + rn->f->widgets[w].box.h / 2;
	}
	return w;
}

/* ==== commands: input ==================================================== */
static int cmd_tap_id(struct runner *rn, const char *arg)
{
	int x = 0, y = 0, w = find_widget(rn, arg, &x, &y);
	if (w < 0 || !rn->f->widgets[w].enabled) {
		LOG(L_ERROR, "%s:%d: no %s widget \"%s\" on screen %s", rn->path, rn->ln,
		    w < 0 ? "such" : "enabled", arg,
		    kui_screen_name(kui_current(rn->a->ui)));
		return 1;
	}
	tap_at(rn, x, y, 120, 600); /* a person's pace between taps */
	return 0;
}

static int cmd_tap(struct runner *rn, const char *arg)
{
	int x, y;
	if (sscanf(arg, "%d %d", &x, &y) != 2) {
		LOG(L_ERROR, "%s:%d: unknown command \"%s\"", rn->path, rn->ln, rn->line);
		return 1;
	}
	tap_at(rn, x, y, 80, 150);
	return 0;
}

/* press a widget, slide off it, release: must not act */
static int cmd_press_slide(struct runner *rn, const char *arg)
{
	int x = 0, y = 0, w = find_widget(rn, arg, &x, &y);
	if (w < 0) {
		LOG(L_ERROR, "%s:%d: no widget \"%s\"", rn->path, rn->ln, arg);
		return 1;
	}
	send(rn, KUI_EV_DOWN, x, y);
	send(rn, KUI_EV_MOVE, x, y + rn->f->widgets[w].box.h);
	send(rn, KUI_EV_MOVE, x, y);
	send(rn, KUI_EV_UP, x, y);
	advance(rn, 600);
	return 0;
}

static int cmd_swipe(struct runner *rn, const char *arg)
{
	const struct config *c = &rn->a->cfg;
	int x, y, x2, y2;
	if (sscanf(arg, "%d %d %d %d", &x, &y, &x2, &y2) != 4) {
		int left = strcmp(arg, "left") == 0;
		y = y2 = c->height / 2;
		x = left ? c->width * 8 / 10 : c->width * 2 / 10;
		x2 = left ? c->width * 2 / 10 : c->width * 8 / 10;
	}
	send(rn, KUI_EV_DOWN, x, y);
	for (int i = 1; i <= 8; i++)
		send(rn, KUI_EV_MOVE, x + (x2 - x) * i / 8, y + (y2 - y) * i / 8);
	send(rn, KUI_EV_UP, x2, y2);
	advance(rn, 400);
	return 0;
}

/* double-tap ID MS: two quick taps on where widget ID is now, MS ms
 * apart (press to press, each held 80 ms): what a hurried or shaky
 * finger does */
static int cmd_double_tap(struct runner *rn, const char *arg)
{
	char id[32];
	long long gap;
	int x = 0, y = 0;
	if (sscanf(arg, "%31s %lld", id, &gap) != 2 || gap < 80 ||
	    find_widget(rn, id, &x, &y) < 0) {
		LOG(L_ERROR, "%s:%d: double-tap needs a widget on screen and a gap >= 80 ms",
		    rn->path, rn->ln);
		return 1;
	}
	tap_at(rn, x, y, 80, gap - 80);
	tap_at(rn, x, y, 80, 600);
	return 0;
}

/* tap keypad-D for each digit */
static int cmd_type(struct runner *rn, const char *arg)
{
	for (const char *p = arg; *p; p++) {
		char id[16];
		int x = 0, y = 0;
		snprintf(id, sizeof id, "keypad-%c", *p);
		if (find_widget(rn, id, &x, &y) < 0) {
			LOG(L_ERROR, "%s:%d: no key %c", rn->path, rn->ln, *p);
			return 1;
		}
		tap_at(rn, x, y, 0, 300);
	}
	return 0;
}

/* ==== commands: time, screens, the world ================================= */
static int cmd_wait(struct runner *rn, const char *arg)
{
	advance(rn, atoll(arg));
	return 0;
}

static int cmd_advance_clock(struct runner *rn, const char *arg)
{
	advance(rn, atoll(arg) * 1000);
	return 0;
}

static int cmd_shot(struct runner *rn, const char *arg)
{
	char p[2048];
	redraw(rn);
	if (!rn->shots)
		return 0;
	snprintf(p, sizeof p, "%s/%s.png", rn->shots, arg);
	if (krender_shot(rn->a->r, p)) {
		LOG(L_ERROR, "%s:%d: cannot write %s", rn->path, rn->ln, p);
		return 1;
	}
	return 0;
}

static int cmd_expect_screen(struct runner *rn, const char *arg)
{
	kui *ui = rn->a->ui;
	const char *cur = kui_idle_prompt(ui) ? "idle" : kui_screen_name(kui_current(ui));
	if (strcmp(cur, arg) != 0) {
		LOG(L_ERROR, "%s:%d: expected screen %s, on %s", rn->path, rn->ln, arg, cur);
		return 1;
	}
	return 0;
}

/* expect-text / expect-no-text TEXT: a line on screen contains TEXT */
static int text_on_screen(struct runner *rn, const char *t)
{
	kui_layout(rn->a->ui, rn->f);
	for (int i = 0; i < rn->f->ncmds; i++)
		if (rn->f->cmds[i].kind == KUI_CMD_TEXT && strstr(rn->f->cmds[i].text, t))
			return 1;
	return 0;
}

static int cmd_expect_text(struct runner *rn, const char *arg)
{
	if (!text_on_screen(rn, arg)) {
		LOG(L_ERROR, "%s:%d: no text \"%s\" on screen", rn->path, rn->ln, arg);
		return 1;
	}
	return 0;
}

static int cmd_expect_no_text(struct runner *rn, const char *arg)
{
	if (text_on_screen(rn, arg)) {
		LOG(L_ERROR, "%s:%d: text \"%s\" is on screen", rn->path, rn->ln, arg);
		return 1;
	}
	return 0;
}

/* expect-icon ID: widget ID carries an icon, and the rendered frame shows
 * it: the pixels of its colour cover 20-33 % of its square.  The speaker
 * (render_sdl.c draw_speaker, in fractions of the side d) covers by hand
 * 0.22 x 0.30 (box) + 0.22 x (0.30 + 0.70) / 2 (cone) + 1.745 rad x
 * (0.24 + 0.40) x 0.08 (the two waves at their mean radii) = 0.066 +
 * 0.110 + 0.089 = 0.265 of d x d; a missing-glyph box or nothing at all
 * is far outside. */
static int cmd_expect_icon(struct runner *rn, const char *arg)
{
	int x, y, w = find_widget(rn, arg, &x, &y);
	const struct kui_cmd *ic = NULL;
	long ink, area;
	for (int i = 0; w >= 0 && i < rn->f->ncmds; i++)
		if (rn->f->cmds[i].kind == KUI_CMD_ICON && rn->f->cmds[i].widget == w)
			ic = &rn->f->cmds[i];
	if (!ic) {
		LOG(L_ERROR, "%s:%d: no icon on widget \"%s\"", rn->path, rn->ln, arg);
		return 1;
	}
	krender_invalidate(rn->a->r);
	redraw(rn);
	ink = krender_ink(rn->a->r, ic->box, ic->color, 8);
	area = (long)ic->box.w * ic->box.h;
	if (ink < area * 20 / 100 || ink > area * 33 / 100) {
		LOG(L_ERROR, "%s:%d: icon of \"%s\" at %d,%d %dx%d: %ld of %ld pixels drawn, "
		    "expected 20-33 %%", rn->path, rn->ln, arg, ic->box.x, ic->box.y, ic->box.w,
		    ic->box.h, ink, area);
		return 1;
	}
	return 0;
}

static int cmd_goto(struct runner *rn, const char *arg)
{
	if (kui_debug_goto(rn->a->ui, arg, app_now_ms(rn->a))) {
		LOG(L_ERROR, "%s:%d: cannot go to %s", rn->path, rn->ln, arg);
		return 1;
	}
	rn->dirty = 1;
	return 0;
}

static int cmd_sync(struct runner *rn, const char *arg)
{
	struct app *a = rn->a;
	if (!a->cfg.url[0] || !ksess_store(a->ks) || app_sync_once(a, ksess_store(a->ks))) {
		LOG(L_ERROR, "%s:%d: sync failed", rn->path, rn->ln);
		return 1;
	}
	return 0;
}

/* a test's hook into the world: fill a disk, remount it */
static int cmd_sh(struct runner *rn, const char *arg)
{
	int st;
	fflush(NULL);
	st = system(arg);
	if (st != 0) {
		LOG(L_ERROR, "%s:%d: \"%s\" failed (%d)", rn->path, rn->ln, arg, st);
		return 1;
	}
	return 0;
}

static int cmd_expect_held(struct runner *rn, const char *arg)
{
	if (rn->a->health.held != atoi(arg)) {
		LOG(L_ERROR, "%s:%d: expected %s session(s) held in memory, %d are",
		    rn->path, rn->ln, arg, rn->a->health.held);
		return 1;
	}
	return 0;
}

static int cmd_expect_store(struct runner *rn, const char *arg)
{
	int down = rn->a->health.down;
	const char *cur = down ? app_down_name(down) : "ok";
	if (strcmp(cur, arg) != 0) {
		LOG(L_ERROR, "%s:%d: expected the store %s, it is %s", rn->path, rn->ln,
		    arg, cur);
		return 1;
	}
	return 0;
}

static int cmd_kill9(struct runner *rn, const char *arg)
{
	fflush(NULL);
	raise(SIGKILL);
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct runner *rn, const char *arg);
} commands[] = {
    {"tap-id", cmd_tap_id},
    {"tap", cmd_tap},
    {"press-slide", cmd_press_slide},
    {"swipe", cmd_swipe},
    {"type", cmd_type},
    {"double-tap", cmd_double_tap},
    {"expect-text", cmd_expect_text},
    {"expect-no-text", cmd_expect_no_text},
    {"expect-icon", cmd_expect_icon},
    {"wait", cmd_wait},
    {"advance-clock", cmd_advance_clock},
    {"shot", cmd_shot},
    {"expect-screen", cmd_expect_screen},
    {"goto", cmd_goto},
    {"sync", cmd_sync},
    {"sh", cmd_sh},
    {"expect-held", cmd_expect_held},
    {"expect-store", cmd_expect_store},
    {"kill9", cmd_kill9},
};

/* ==== the script ========================================================= */
/* Run one line (comments and blank lines skipped).  Returns 0 or 1. */
static int run_line(struct runner *rn, char *line)
{
	char cmd[32] = "", arg[1000] = "";
	line[strcspn(line, "\r\n")] = 0;
	if (!line[0] || line[0] == '#')
		return 0;
	sscanf(line, "%31s %999[^\n]", cmd, arg);
	rn->line = line;
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(cmd, commands[i].name) == 0) {
			if (commands[i].run(rn, arg))
				return 1;
			if (rn->dirty)
				redraw(rn);
			return 0;
		}
	LOG(L_ERROR, "%s:%d: unknown command \"%s\"", rn->path, rn->ln, line);
	return 1;
}

int kscript_run(struct app *a, const char *path, const char *shots)
{
	FILE *fp = fopen(path, "r");
	char line[1024];
	int rc = 0;
	struct runner rn = {a, malloc(sizeof(struct kui_frame)), path, shots, "", 0, 0, 1};
	if (!fp || !rn.f) {
		LOG(L_ERROR, "%s: %s", path, fp ? "out of memory" : strerror(errno));
		if (fp)
			fclose(fp);
		free(rn.f);
		return 1;
	}
	redraw(&rn);
	while (!rc && fgets(line, sizeof line, fp)) {
		rn.ln++;
		rc = run_line(&rn, line);
	}
	fclose(fp);
	free(rn.f);
	if (!rc && rn.problems) {
		LOG(L_ERROR, "%s: %d frame(s) with clipped text", path, rn.problems);
		rc = 3;
	}
	return rc;
}
