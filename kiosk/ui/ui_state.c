/*
 * ui_state.c -- the kiosk UI's state machine (see ui.h, ui_int.h): events,
 * transitions, timers (slides, idle prompt, countdown, PIN lockout), the
 * staff gesture and the public entry points.  The answers are a struct
 * ax_response: show-if, next/prev, scoring and withdrawal are libanxin's
 * (response.h), the same rules the gateway and central apply.  Layout lives in ui_screens.c; hit tests lay the
 * current screen out into u->scratch.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_int.h"

/* ==== names and defaults ================================================ */
const char *kui_screen_name(enum kui_screen s)
{
	static const char *const names[] = {"attract", "home",  "reader",
	                                    "question", "explain", "link",
	                                    "thanks",  "pin",   "staff",
	                                    "paused"};
	return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

void kui_config_defaults(struct kui_config *c)
{
	c->idle_ms = 60000;
	c->countdown_ms = 10000;
	c->slide_ms = 7000;
	c->lock_ms = 2000;
	c->settle_ms = 550;
	c->thanks_ms = 20000;
	c->pin_max_tries = 3;
	c->pin_lock_ms = 30000;
	c->pin_lock_max_ms = 300000;
	c->pin_decay_ms = 600000;
	c->title = "安心 · 平安宣传";
	c->dpi = 150;
}

/* ==== helpers ========================================================= */
const struct ax_survey *kui__quiz_of(const kui *u, const struct ax_pack *p)
{
	char want[80];
	snprintf(want, sizeof want, "aware-%s", p->id);
	for (int i = 0; i < u->nquizzes; i++)
		if (strcmp(u->quizzes[i]->id, want) == 0)
			return u->quizzes[i];
	/* a pack of a topic whose quiz bank is another pack's (赌博, 防盗抢,
	 * 防隐患 are 平安家庭's): the quiz that measures the pack's topic */
	for (int i = 0; p->topic && i < u->nquizzes; i++)
		for (int k = 0; k < u->quizzes[i]->nawareness; k++)
			if (strcmp(u->quizzes[i]->awareness[k].topic, p->topic) == 0)
				return u->quizzes[i];
	return NULL;
}

/* ==== state machine ==================================================== */
static void wipe(volatile char *p, size_t n)
{
	/* not memset: the compiler may not drop stores to a volatile */
	for (size_t i = 0; i < n; i++)
		p[i] = 0;
}

/* Forget everything about the current resident. */
static void clear_session(kui *u)
{
	u->sv = NULL;
	u->qi = 0;
	wipe((char *)&u->r, sizeof u->r);
	u->multi = 0;
	u->repeat = 0;
	wipe(u->digits, sizeof u->digits);
	u->link_error = 0;
	u->error[0] = 0;
}

static void end_session(kui *u, enum kui_status st)
{
	if (u->sv && u->host.finish)
		u->host.finish(u->host.ctx, st, NULL);
	clear_session(u);
}

/* Narration: stop what plays (file NULL), or play a file of a folder. */
static void narrate(kui *u, const char *dir, const char *file)
{
	char path[1024];
	if (!u->host.play)
		return;
	if (!file) {
		u->host.play(u->host.ctx, NULL);
		return;
	}
	snprintf(path, sizeof path, "%s%s%s", dir ? dir : "", dir ? "/" : "", file);
	u->host.play(u->host.ctx, path);
}

/* What is on screen changed: a press that began before acts on nothing. */
static void shown(kui *u)
{
	u->seq++;
	u->shown_at = u->now;
}

/* A new question or the number pad: a slow double tap's second touch,
 * aimed at what was there before, must not act on it. */
static void settle(kui *u)
{
	if (u->lock_until < u->now + u->cfg.settle_ms)
		u->lock_until = u->now + u->cfg.settle_ms;
}

/* A page or question comes on screen: what played stops; it narrates
 * itself when the session asked for that (长辈模式). */
static void page_shown(kui *u)
{
	const struct ax_pack *p = u->packs[u->pack];
	const char *a = p->pages[u->page].audio;
	shown(u);
	narrate(u, p->dir, u->narrate_auto && a ? a : NULL);
}

static void question_shown(kui *u)
{
	const struct ax_question *q = &u->sv->questions[u->qi];
	u->opt_page = 0;
	narrate(u, q->audio_dir,
	        u->narrate_auto && q->audio && q->audio_dir ? q->audio : NULL);
}

static void go(kui *u, enum kui_screen s)
{
	if (u->screen != s) {
		narrate(u, NULL, NULL);
		shown(u);
	}
	if (s == KUI_QUESTION || s == KUI_EXPLAIN || s == KUI_LINK)
		settle(u);
	u->confirm_exit = 0;
	u->screen = s;
	u->error[0] = 0;
	if (s == KUI_ATTRACT) {
		u->slide_at = u->now;
		u->pin[0] = 0;
	}
}

static void reset(kui *u, enum kui_status st)
{
	end_session(u, st);
	u->read_pack = -1;
	u->right = u->asked = 0;
	u->pin_msg = 0;
	wipe(u->pin, sizeof u->pin);
	u->narrate_auto = 0;
	u->elder = 0;
	u->home_page = 0;
	narrate(u, NULL, NULL);
	go(u, KUI_ATTRACT);
}

static void start_survey(kui *u, const struct ax_survey *s)
{
	clear_session(u);
	if (!s)
		return;
	if (u->host.begin) {
		int rc = u->host.begin(u->host.ctx, s);
		if (rc == KUI_BEGIN_PAUSED) {
			go(u, KUI_PAUSED);
			return;
		}
		if (rc != 0) {
			snprintf(u->error, sizeof u->error, "暂时无法开始问卷，请联系工作人员");
			return;
		}
	}
	u->sv = s;
	if (ax_response_init(&u->r, s) != AX_OK) {
		/* more questions or options than a response holds: lint keeps
		 * such surveys out of the content */
		end_session(u, KUI_ABANDONED);
		snprintf(u->error, sizeof u->error, "暂时无法开始问卷，请联系工作人员");
		return;
	}
	/* this respondent's draw and option order, kept for the session */
	if (u->host.seed && (s->draw || s->shuffle))
		ax_response_draw(&u->r, u->host.seed(u->host.ctx));
	for (int k = 0; k < u->nvisit_done; k++)
		u->repeat |= u->visit_done[k] == s;
	u->qi = ax_response_next(&u->r, 0);
	if (u->qi < 0) {
		end_session(u, KUI_ABANDONED);
		go(u, KUI_HOME);
		return;
	}
	go(u, KUI_QUESTION);
	question_shown(u);
}

static void survey_done(kui *u)
{
	struct ax_score sc;
	if (!u->repeat && u->nvisit_done < (int)(sizeof u->visit_done /
	                                         sizeof u->visit_done[0]))
		u->visit_done[u->nvisit_done++] = u->sv;
	ax_response_score(&u->r, &sc);
	u->right = sc.right;
	u->asked = sc.answered;
	if (u->host.can_link && u->host.can_link(u->host.ctx)) {
		wipe(u->digits, sizeof u->digits);
		u->link_error = 0;
		go(u, KUI_LINK);
		return;
	}
	if (u->host.finish && u->host.finish(u->host.ctx, KUI_COMPLETE, NULL)) {
		snprintf(u->error, sizeof u->error, "保存失败，请联系工作人员");
		return;
	}
	clear_session(u);
	u->lock_until = u->now + u->cfg.lock_ms;
	u->thanks_at = u->now;
	go(u, KUI_THANKS);
}

/* Show question i, with a multiple choice's committed options to edit. */
static void show_question(kui *u, int i)
{
	u->qi = i;
	u->multi = u->sv->questions[i].type == AX_Q_MULTI ? u->r.sel[i] : 0;
	shown(u);
	go(u, KUI_QUESTION);
	question_shown(u);
}

static void next_question(kui *u)
{
	int i = ax_response_next(&u->r, u->qi + 1);
	if (i < 0)
		survey_done(u);
	else
		show_question(u, i);
}

static void prev_question(kui *u)
{
	/* show-if only looks back, so every shown question before this one
	 * was on screen already */
	int i = u->qi > 0 ? ax_response_prev(&u->r, u->qi - 1) : -1;
	if (i >= 0)
		show_question(u, i);
}

/* Commit sel as the answer to question qi (later answers it hides are
 * withdrawn); the screen changes only if the host stored it. */
static int commit(kui *u, uint64_t sel)
{
	struct ax_response next = u->r;
	uint64_t withdrawn = 0;
	if (ax_response_set(&next, u->qi, sel, &withdrawn) != AX_OK ||
	    (u->host.answer &&
	     u->host.answer(u->host.ctx, &next, u->qi, withdrawn) != 0)) {
		snprintf(u->error, sizeof u->error, "保存失败，请再点一次");
		wipe((char *)&next, sizeof next);
		return -1;
	}
	u->r = next;
	wipe((char *)&next, sizeof next);
	u->error[0] = 0;
	return 0;
}

static void link_confirm(kui *u)
{
	char norm[24];
	if (!u->host.normalize_phone ||
	    u->host.normalize_phone(u->host.ctx, u->digits, norm) != 0) {
		u->link_error = 1;
		return;
	}
	if (u->host.finish && u->host.finish(u->host.ctx, KUI_COMPLETE, norm)) {
		wipe(norm, sizeof norm);
		snprintf(u->error, sizeof u->error, "保存失败，请联系工作人员");
		return;
	}
	wipe(norm, sizeof norm);
	clear_session(u);
	u->lock_until = u->now + u->cfg.lock_ms;
	u->thanks_at = u->now;
	go(u, KUI_THANKS);
}

static void pin_confirm(kui *u)
{
	int ok;
	if (u->now < u->pin_lock_until || strlen(u->pin) < 4)
		return;
	ok = u->host.check_pin && u->host.check_pin(u->host.ctx, u->pin);
	wipe(u->pin, sizeof u->pin);
	if (ok) {
		u->pin_fails = 0;
		u->pin_msg = 0;
		u->pin_lock_ms = u->cfg.pin_lock_ms;
		if (u->host.stats)
			u->host.stats(u->host.ctx, &u->stats);
		go(u, KUI_STAFF);
		return;
	}
	u->pin_msg = 1;
	/* each pin_decay_ms without a wrong PIN halves the next lockout back
	 * towards the first, and forgets the tries */
	if (u->pin_last_fail && u->cfg.pin_decay_ms > 0)
		for (long long t = u->pin_last_fail + u->cfg.pin_decay_ms; t <= u->now;
		     t += u->cfg.pin_decay_ms) {
			u->pin_fails = 0;
			if (u->pin_lock_ms / 2 < u->cfg.pin_lock_ms) {
				u->pin_lock_ms = u->cfg.pin_lock_ms;
				break;
			}
			u->pin_lock_ms /= 2;
		}
	u->pin_last_fail = u->now;
	if (++u->pin_fails >= u->cfg.pin_max_tries) {
		/* each lockout doubles, up to pin_lock_max_ms; survives leaving
		 * the pad */
		u->pin_lock_until = u->now + u->pin_lock_ms;
		u->pin_lock_ms = u->pin_lock_ms > u->cfg.pin_lock_max_ms / 2
		                     ? u->cfg.pin_lock_max_ms
		                     : u->pin_lock_ms * 2;
		u->pin_fails = 0;
		u->pin_msg = 0;
	}
}

static void key_digit(char *buf, size_t cap, size_t max, const char *k)
{
	size_t n = strlen(buf);
	if (strcmp(k, "del") == 0) {
		if (n)
			buf[n - 1] = 0;
	} else if (n < max && n + 1 < cap && k[0] >= '0' && k[0] <= '9' && !k[1]) {
		buf[n] = k[0];
		buf[n + 1] = 0;
	}
}

static void activate(kui *u, const char *id)
{
	if (u->confirm_exit) { /* 确定退出吗？ over the question */
		if (strcmp(id, "exit-yes") == 0) {
			end_session(u, KUI_PARTIAL);
			go(u, KUI_HOME);
		} else if (strcmp(id, "exit-no") == 0) {
			u->confirm_exit = 0;
			shown(u);
		}
		return;
	}
	switch (u->screen) {
	case KUI_ATTRACT:
		go(u, KUI_HOME);
		break;
	case KUI_HOME:
		if (strncmp(id, "tile-", 5) == 0) {
			for (int i = 0; i < u->npacks; i++)
				if (strcmp(u->packs[i]->id, id + 5) == 0 && u->packs[i]->npages) {
					u->pack = i;
					u->page = 0;
					u->read_pack = i;
					go(u, KUI_READER);
					page_shown(u);
				}
		} else if (strcmp(id, "survey") == 0)
			start_survey(u, u->main_survey);
		else if (strcmp(id, "elder") == 0) {
			/* 长辈模式: larger type, higher contrast, fewer tiles, larger
			 * targets; pages and questions narrate themselves */
			u->elder = !u->elder;
			u->narrate_auto = u->elder;
			u->home_page = 0;
			shown(u);
		} else if (strcmp(id, "more") == 0) {
			int per = kui__home_per_page(u);
			u->home_page = (u->home_page + 1) * per < u->npacks ? u->home_page + 1 : 0;
			shown(u);
		}
		break;
	case KUI_READER: {
		const struct ax_pack *p = u->packs[u->pack];
		if (strcmp(id, "home") == 0 || strcmp(id, "done") == 0)
			go(u, KUI_HOME);
		else if (strcmp(id, "next") == 0 && u->page + 1 < p->npages) {
			u->page++;
			page_shown(u);
		} else if (strcmp(id, "prev") == 0 && u->page > 0) {
			u->page--;
			page_shown(u);
		} else if (strcmp(id, "quiz") == 0)
			start_survey(u, kui__quiz_of(u, p));
		else if (strcmp(id, "read-aloud") == 0)
			narrate(u, p->dir, p->pages[u->page].audio);
		break;
	}
	case KUI_QUESTION: {
		const struct ax_question *q = &u->sv->questions[u->qi];
		if (strcmp(id, "home") == 0) {
			u->confirm_exit = 1;
			shown(u);
		} else if (strcmp(id, "prev") == 0)
			prev_question(u);
		else if (strcmp(id, "read-aloud") == 0 && q->audio && q->audio_dir)
			narrate(u, q->audio_dir, q->audio);
		else if (strcmp(id, "options-more") == 0) {
			/* 长辈模式's next page of options: like a new question, a
			 * second tap of a double tap must not choose one of them */
			u->opt_page++;
			shown(u);
			settle(u);
		} else if (strncmp(id, "option-", 7) == 0) {
			/* option-N is the N-th shown: its option by the order */
			int k = ax_response_option_at(&u->r, u->qi, atoi(id + 7) - 1);
			if (k < 0)
				break;
			if (q->type == AX_Q_MULTI) {
				u->multi ^= (uint64_t)1 << k;
				break;
			}
			if (commit(u, (uint64_t)1 << k))
				break;
			if (q->type == AX_Q_KNOWLEDGE && q->answer)
				go(u, KUI_EXPLAIN);
			else
				next_question(u);
		} else if (strcmp(id, "next") == 0 && q->type == AX_Q_MULTI &&
		           u->multi) {
			if (commit(u, u->multi) == 0)
				next_question(u);
		}
		break;
	}
	case KUI_EXPLAIN:
		if (strcmp(id, "home") == 0) {
			u->confirm_exit = 1;
			shown(u);
		} else if (strcmp(id, "next") == 0)
			next_question(u);
		break;
	case KUI_LINK:
		if (strncmp(id, "keypad-", 7) == 0) {
			if (strcmp(id + 7, "ok") == 0)
				link_confirm(u);
			else {
				key_digit(u->digits, sizeof u->digits, 11, id + 7);
				u->link_error = 0;
			}
		} else if (strcmp(id, "skip") == 0) {
			if (u->host.finish && u->host.finish(u->host.ctx, KUI_COMPLETE, NULL))
				break;
			clear_session(u);
			u->lock_until = u->now + u->cfg.lock_ms;
			u->thanks_at = u->now;
			go(u, KUI_THANKS);
		}
		break;
	case KUI_THANKS:
		if (strcmp(id, "done") == 0)
			reset(u, KUI_ABANDONED);
		break;
	case KUI_PIN:
		if (strncmp(id, "keypad-", 7) == 0) {
			if (strcmp(id + 7, "ok") == 0)
				pin_confirm(u);
			else
				key_digit(u->pin, sizeof u->pin, 8, id + 7);
		} else if (strcmp(id, "cancel") == 0) {
			wipe(u->pin, sizeof u->pin);
			go(u, KUI_ATTRACT);
		}
		break;
	case KUI_STAFF:
		if (strcmp(id, "sync-now") == 0) {
			if (u->host.sync_now)
				u->host.sync_now(u->host.ctx);
			if (u->host.stats)
				u->host.stats(u->host.ctx, &u->stats);
		} else if (strcmp(id, "exit") == 0)
			go(u, KUI_ATTRACT);
		else if (u->host.set_audio &&
		         (strcmp(id, "volume-down") == 0 || strcmp(id, "volume-up") == 0 ||
		          strcmp(id, "mute") == 0)) {
			/* narration volume in steps of 10, and mute: the host keeps
			 * them (in the store) and applies them at once */
			int v = u->stats.volume + (strcmp(id, "volume-up") == 0 ? 10 : 0) -
			        (strcmp(id, "volume-down") == 0 ? 10 : 0);
			u->host.set_audio(u->host.ctx, v < 0 ? 0 : v > 100 ? 100 : v,
			                  strcmp(id, "mute") == 0 ? !u->stats.mute : u->stats.mute);
			if (u->host.stats)
				u->host.stats(u->host.ctx, &u->stats);
		}
		break;
	case KUI_PAUSED:
		if (strcmp(id, "done") == 0 || strcmp(id, "home") == 0)
			go(u, KUI_HOME);
		break;
	}
}

/* ==== events and timers ================================================ */
static int hit(const struct kui_frame *f, int x, int y)
{
	/* last drawn is on top */
	for (int i = f->nwidgets - 1; i >= 0; i--) {
		const struct kui_rect *r = &f->widgets[i].box;
		if (f->widgets[i].enabled && x >= r->x && y >= r->y && x < r->x + r->w &&
		    y < r->y + r->h)
			return i;
	}
	return -1;
}

/* Five taps in the top-left corner within 3 s open the PIN pad. */
static int corner_gesture(kui *u, int x, int y)
{
	int zone = S(u) / 9;
	if (x >= zone || y >= zone) {
		u->ncorner = 0;
		return 0;
	}
	if (u->ncorner == 5) {
		memmove(u->corner, u->corner + 1, 4 * sizeof u->corner[0]);
		u->ncorner = 4;
	}
	u->corner[u->ncorner++] = u->now;
	if (u->ncorner == 5 && u->now - u->corner[0] <= 3000) {
		u->ncorner = 0;
		return 1;
	}
	return 0;
}

static int tick(kui *u)
{
	int changed = 0;
	if (u->screen == KUI_ATTRACT) {
		if (u->now - u->slide_at >= u->cfg.slide_ms) {
			long long k = (u->now - u->slide_at) / u->cfg.slide_ms;
			u->slide += (int)k;
			u->slide_at += k * u->cfg.slide_ms;
			changed = 1;
		}
		return changed;
	}
	if (u->screen == KUI_THANKS) {
		if (u->now - u->thanks_at >= u->cfg.thanks_ms) {
			reset(u, KUI_ABANDONED);
			return 1;
		}
		return u->now >= u->lock_until && u->now - 1000 < u->lock_until;
	}
	if (!u->idle_prompt && u->now - u->last_input >= u->cfg.idle_ms) {
		u->idle_prompt = 1;
		u->prompt_at = u->last_input + u->cfg.idle_ms;
		changed = 1;
	}
	if (u->idle_prompt) {
		if (u->now - u->prompt_at >= u->cfg.countdown_ms) {
			u->idle_prompt = 0;
			reset(u, KUI_ABANDONED);
		}
		changed = 1; /* the countdown moved */
	}
	if (u->screen == KUI_PIN && u->pin_lock_until &&
	    u->now < u->pin_lock_until + 1000)
		changed = 1;
	return changed;
}

int kui_handle(kui *u, const struct kui_event *ev)
{
	int w, early = ev->now < u->shown_at; /* began before the screen showed */
	if (ev->now > u->now)
		u->now = ev->now;
	if (ev->kind == KUI_EV_TICK)
		return tick(u);
	tick(u);
	/* idle_ms without input ends a visit (an idle reset, or the kiosk
	 * standing quiet before the next resident); 您还在吗？ answered does
	 * not */
	if (u->now - u->last_input >= u->cfg.idle_ms && !u->idle_prompt)
		u->nvisit_done = 0;
	u->last_input = u->now;
	if (u->idle_prompt) {
		/* any touch answers 您还在吗？ and is consumed */
		if (ev->kind == KUI_EV_DOWN)
			u->idle_prompt = 0;
		u->pressing = 0;
		u->pressed[0] = 0;
		return 1;
	}
	switch (ev->kind) {
	case KUI_EV_DOWN:
		if ((u->screen == KUI_ATTRACT || u->screen == KUI_HOME) &&
		    corner_gesture(u, ev->x, ev->y)) {
			u->pressing = 0;
			wipe(u->pin, sizeof u->pin);
			u->pin_msg = 0;
			go(u, KUI_PIN);
			return 1;
		}
		u->pressing = 1;
		u->press_x = ev->x;
		u->press_y = ev->y;
		u->pressed[0] = 0;
		u->press_seq = u->seq;
		if (u->now < u->lock_until || early)
			return 0;
		kui_layout(u, &u->scratch);
		w = hit(&u->scratch, ev->x, ev->y);
		if (w >= 0)
			snprintf(u->pressed, sizeof u->pressed, "%s", u->scratch.widgets[w].id);
		return 0;
	case KUI_EV_MOVE:
		if (u->pressing && u->pressed[0]) {
			kui_layout(u, &u->scratch);
			w = hit(&u->scratch, ev->x, ev->y);
			if (w < 0 || strcmp(u->scratch.widgets[w].id, u->pressed) != 0)
				u->pressed[0] = 0; /* slid off: cancelled */
		}
		return 0;
	case KUI_EV_UP: {
		int dx = ev->x - u->press_x, dy = ev->y - u->press_y;
		char id[32];
		if (!u->pressing)
			return 0;
		u->pressing = 0;
		snprintf(id, sizeof id, "%s", u->pressed);
		u->pressed[0] = 0;
		if (u->now < u->lock_until)
			return 0;
		if (u->press_seq != u->seq)
			return 0; /* the screen changed under the finger */
		if (id[0]) {
			kui_layout(u, &u->scratch);
			w = hit(&u->scratch, ev->x, ev->y);
			if (w >= 0 && strcmp(u->scratch.widgets[w].id, id) == 0) {
				activate(u, id);
				return 1;
			}
		}
		if (u->screen == KUI_READER && abs(dx) > S(u) / 7 && abs(dx) > 2 * abs(dy)) {
			const struct ax_pack *p = u->packs[u->pack];
			if (dx < 0 && u->page + 1 < p->npages)
				u->page++;
			else if (dx > 0 && u->page > 0)
				u->page--;
			else
				return 1;
			page_shown(u);
			return 1;
		}
		return 0;
	}
	default:
		return 0;
	}
}

/* ==== public entry points =============================================== */
long long kui_deadline(const kui *u)
{
	long long d = -1;
#define EARLIER(t)                                                          \
	do {                                                                    \
		long long t_ = (t);                                                 \
		if (d < 0 || t_ < d)                                                \
			d = t_;                                                         \
	} while (0)
	if (u->screen == KUI_ATTRACT) {
		EARLIER(u->slide_at + u->cfg.slide_ms);
		return d;
	}
	if (u->screen == KUI_THANKS) {
		EARLIER(u->thanks_at + u->cfg.thanks_ms);
		if (u->lock_until > u->now)
			EARLIER(u->lock_until);
		return d;
	}
	if (u->idle_prompt) {
		/* redraw each second of the countdown */
		long long el = u->now - u->prompt_at;
		EARLIER(u->prompt_at + (el / 1000 + 1) * 1000);
		EARLIER(u->prompt_at + u->cfg.countdown_ms);
	} else
		EARLIER(u->last_input + u->cfg.idle_ms);
	if (u->screen == KUI_PIN && u->pin_lock_until > u->now)
		EARLIER(u->now + 1000 - (u->pin_lock_until - u->now) % 1000);
	if (u->lock_until > u->now)
		EARLIER(u->lock_until);
	return d;
#undef EARLIER
}

enum kui_screen kui_current(const kui *u)
{
	return u->screen;
}

int kui_idle_prompt(const kui *u)
{
	return u->idle_prompt;
}

void kui_presented(kui *u, long long now)
{
	if (u->presented_seq == u->seq)
		return;
	u->presented_seq = u->seq;
	if (now > u->shown_at)
		u->shown_at = now;
}

void kui_resize(kui *u, int w, int h)
{
	u->w = w;
	u->h = h;
}

int kui_elder(const kui *u)
{
	return u->elder;
}

int kui_session_repeat(const kui *u)
{
	return u->sv && u->repeat;
}

const char *kui_session_pack(const kui *u)
{
	const struct ax_survey *sv = u->sv;
	if (u->read_pack >= 0 && u->read_pack < u->npacks)
		return u->packs[u->read_pack]->id;
	if (!sv)
		return NULL;
	for (int i = 0; i < u->npacks; i++)
		if (kui__quiz_of(u, u->packs[i]) == sv)
			return u->packs[i]->id;
	/* a survey measuring awareness of one topic: that topic's pack */
	if (sv->nawareness == 1)
		for (int i = 0; i < u->npacks; i++)
			if (u->packs[i]->topic && sv->awareness[0].topic &&
			    strcmp(u->packs[i]->topic, sv->awareness[0].topic) == 0)
				return u->packs[i]->id;
	return NULL;
}

int kui_set_storage(kui *u, const struct kui_storage *st)
{
	int changed = memcmp(&u->storage, st, sizeof *st) != 0;
	u->storage = *st;
	return changed;
}

void kui_score(const kui *u, int *right, int *asked)
{
	*right = u->right;
	*asked = u->asked;
}

kui *kui_new(const struct kui_config *cfg, const struct kui_host *host,
             const struct kui_metrics *m, int w, int h,
             const struct ax_pack *const *packs, int npacks,
             const struct ax_survey *main_survey,
             const struct ax_survey *const *quizzes, int nquizzes,
             long long now)
{
	kui *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->cfg = *cfg;
	u->host = *host;
	u->m = *m;
	u->w = w;
	u->h = h;
	for (int i = 0; i < npacks && i < KUI_MAX_PACKS; i++)
		u->packs[u->npacks++] = packs[i];
	for (int i = 0; i < nquizzes && i < KUI_MAX_PACKS; i++)
		u->quizzes[u->nquizzes++] = quizzes[i];
	u->main_survey = main_survey;
	u->now = u->last_input = now;
	u->pin_lock_ms = cfg->pin_lock_ms;
	u->read_pack = -1;
	go(u, KUI_ATTRACT);
	return u;
}

void kui_free(kui *u)
{
	if (!u)
		return;
	wipe((char *)u, sizeof *u);
	free(u);
}

/* Jump to a screen with representative state, for screenshots of screens
 * a script cannot easily reach in every size.  Returns 0 or -1. */
void kui_set_narrate_auto(kui *u, int on)
{
	u->narrate_auto = on != 0;
}

int kui_debug_goto(kui *u, const char *screen, long long now)
{
	u->now = u->last_input = now;
	u->idle_prompt = 0;
	if (strcmp(screen, "idle") == 0) {
		u->idle_prompt = 1;
		u->prompt_at = now - 3000;
		return 0;
	}
	for (int s = KUI_ATTRACT; s <= KUI_PAUSED; s++)
		if (strcmp(kui_screen_name((enum kui_screen)s), screen) == 0) {
			if ((s == KUI_QUESTION || s == KUI_EXPLAIN) && !u->sv)
				return -1;
			if (s == KUI_STAFF && u->host.stats)
				u->host.stats(u->host.ctx, &u->stats);
			go(u, (enum kui_screen)s);
			return 0;
		}
	return -1;
}
