/*
 * main.c -- anxin-kiosk: configuration, content, the resident's session
 * in the store, background sync and the event-driven main loop; scripted
 * headless runs (--script) are script.c's.
 *
 *   anxin-kiosk --config kiosk.conf [--video offscreen] [--script FILE]
 *               [--shots DIR] [--clock-fixed EPOCH] [--size WxH]
 *   anxin-kiosk --hash-pin PIN      print a PIN hash for [staff] pin_hash
 *
 * The loop sleeps in SDL_WaitEventTimeout until input or the UI's next
 * deadline (slide change, idle countdown): no frame is drawn unless the
 * state changed, so an idle kiosk wakes a few times a minute.
 */
#include <iniparser/iniparser.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <anxin/anxin.h>
#include <anxin/auth.h>
#include <anxin/clock.h>
#include <anxin/content.h>
#include <anxin/phone.h>
#include <anxin/sync.h>

#include "app.h"
#include "script.h"

/* ==== configuration ==================================================== */
/* Read a small secret file.  Like ssh with a private key, and as `anxin
 * sync` does, refuse it when others may read or change it: a device token
 * lets anyone push records as this kiosk.  -2 for a file too open. */
static int read_secret(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	struct stat sb;
	size_t n;
	if (!f)
		return -1;
	if (fstat(fileno(f), &sb) == 0 && (sb.st_mode & 077)) {
		LOG(L_ERROR,
		    "%s: permissions %04o are too open: the device token must not be "
		    "accessible by others (chmod 600 %s)",
		    path, (unsigned)(sb.st_mode & 07777), path);
		fclose(f);
		return -2;
	}
	n = fread(out, 1, cap - 1, f);
	fclose(f);
	out[n] = 0;
	while (n && (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		out[--n] = 0;
	return 0;
}

static int decode_pk(const char *b64, unsigned char pk[AX_PUBKEY_BYTES])
{
	size_t n = 0;
	return sodium_base642bin(pk, AX_PUBKEY_BYTES, b64, strlen(b64), NULL, &n,
	                         NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	               n == AX_PUBKEY_BYTES
	           ? 0
	           : -1;
}

/* Relative paths in the config are relative to the config file. */
static void rel(char *out, size_t cap, const char *base, const char *v)
{
	const char *slash = strrchr(base, '/');
	if (!v[0] || v[0] == '/' || !slash)
		snprintf(out, cap, "%s", v);
	else
		snprintf(out, cap, "%.*s/%s", (int)(slash - base), base, v);
}

static int load_config(const char *path, struct config *c)
{
	dictionary *d = iniparser_load(path);
	const char *v;
	memset(c, 0, sizeof *c);
	if (!d) {
		LOG(L_ERROR, "%s: cannot read the configuration", path);
		return -1;
	}
	snprintf(c->device, sizeof c->device, "%s",
	         iniparser_getstring(d, "kiosk:device", "kiosk"));
	snprintf(c->region, sizeof c->region, "%s",
	         iniparser_getstring(d, "kiosk:region", ""));
	rel(c->store, sizeof c->store, path,
	    iniparser_getstring(d, "kiosk:store", "kiosk.db"));
	rel(c->content, sizeof c->content, path,
	    iniparser_getstring(d, "kiosk:content", ""));
	snprintf(c->survey, sizeof c->survey, "%s",
	         iniparser_getstring(d, "kiosk:survey", "satisfaction"));
	c->min_seconds = iniparser_getint(d, "kiosk:min_seconds", 20);
	c->hold_max = iniparser_getint(d, "kiosk:hold_sessions", 20);
	c->retry_s = iniparser_getint(d, "kiosk:store_retry", 30);
	if (c->retry_s < 1)
		c->retry_s = 1;
	snprintf(c->url, sizeof c->url, "%s", iniparser_getstring(d, "central:url", ""));
	v = iniparser_getstring(d, "central:token_file", "");
	if (v[0]) {
		char p[512];
		rel(p, sizeof p, path, v);
		int rs = read_secret(p, c->token, sizeof c->token);
		if (rs == -2) {
			iniparser_freedict(d);
			return -1;
		}
		if (rs)
			LOG(L_WARN, "%s: cannot read the token file %s", path, p);
	}
	c->sync_interval = iniparser_getint(d, "central:sync_interval", 300);
	v = iniparser_getstring(d, "central:seal_public_key", "");
	if (v[0]) {
		if (decode_pk(v, c->pk)) {
			LOG(L_ERROR, "%s: [central] seal_public_key is not a base64 key", path);
			iniparser_freedict(d);
			return -1;
		}
		c->have_pk = 1;
	}
	snprintf(c->pin_hash, sizeof c->pin_hash, "%s",
	         iniparser_getstring(d, "staff:pin_hash", ""));
	c->idle = iniparser_getint(d, "idle:timeout", 60);
	c->countdown = iniparser_getint(d, "idle:countdown", 10);
	c->width = iniparser_getint(d, "screen:width", 1080);
	c->height = iniparser_getint(d, "screen:height", 1920);
	c->dpi = iniparser_getint(d, "screen:dpi", 0); /* 0: the UI's default */
	c->fullscreen = iniparser_getboolean(d, "screen:fullscreen", 0);
	rel(c->font, sizeof c->font, path, iniparser_getstring(d, "screen:font", ""));
	c->volume = iniparser_getint(d, "audio:volume", 80);
	v = iniparser_getstring(d, "audio:quiet_hours", "");
	c->quiet_from = c->quiet_to = -1;
	if (v[0] && (sscanf(v, "%d-%d", &c->quiet_from, &c->quiet_to) != 2 ||
	             c->quiet_from < 0 || c->quiet_from > 23 || c->quiet_to < 0 ||
	             c->quiet_to > 23)) {
		LOG(L_ERROR, "%s: [audio] quiet_hours \"%s\": expected two hours "
		             "0-23 as FROM-TO, e.g. 12-14 or 21-7", path, v);
		iniparser_freedict(d);
		return -1;
	}
	if (c->volume < 0 || c->volume > 100) {
		LOG(L_ERROR, "%s: [audio] volume %d: expected 0 to 100", path, c->volume);
		iniparser_freedict(d);
		return -1;
	}
	iniparser_freedict(d);
	if (!c->region[0]) {
		LOG(L_ERROR, "%s: [kiosk] region (the village or grid code where the "
		             "kiosk stands) is required", path);
		return -1;
	}
	return 0;
}

/* ==== content: a folder, or the synced campaigns ======================= */
static void diag(void *ctx, enum ax_severity sev, const char *msg)
{
	LOG(sev == AX_SEV_ERROR ? L_ERROR : L_WARN, "%s", msg);
}

static void index_content(struct content *ct, const ax_content *c)
{
	for (int i = 0; i < ax_content_npacks(c) && ct->npacks < KUI_MAX_PACKS; i++)
		ct->packs[ct->npacks++] = ax_content_pack(c, i);
	for (int i = 0; i < ax_content_nsurveys(c) && ct->nsurveys < MAX_CONTENT; i++)
		ct->surveys[ct->nsurveys++] = ax_content_survey(c, i);
}

/* https, or http to this machine itself. */
static int trusted_url(const char *url)
{
	static const char *const ok[] = {"https://", "http://127.0.0.1",
	                                 "http://localhost", "http://[::1]"};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strncasecmp(url, ok[i], strlen(ok[i])) == 0 &&
		    (i == 0 || strchr(":/", url[strlen(ok[i])]) != NULL ||
		     url[strlen(ok[i])] == '\0'))
			return 1;
	return 0;
}

/* The synced campaigns document, decoded by libanxin: its packs and
 * surveys, the seal key and the first monitoring campaign's survey and
 * wave. */
static int load_campaigns(struct content *ct, ax_store *st, struct config *cfg)
{
	char *text = NULL, err[256];
	const struct ax_campaign *c0;
	if (!st || ax_sync_cached(st, "campaigns.json", &text) != AX_OK || !text)
		return -1;
	if (ax_campaign_doc_parse(text, strlen(text), diag, NULL, &ct->doc, err,
	                          sizeof err) != AX_OK) {
		LOG(L_WARN, "cached campaigns.json: %s", err);
		ax_free(text);
		return -1;
	}
	ax_free(text);
	/* the key a number is sealed with: from the configuration, or from
	 * the synced document only over https (or on this machine), where no
	 * one on the way can put in a key of their own */
	if (!cfg->have_pk && trusted_url(cfg->url) &&
	    ax_campaign_doc_seal_key(ct->doc, cfg->pk))
		cfg->have_pk = 1;
	else if (!cfg->have_pk && cfg->url[0] && !trusted_url(cfg->url) &&
	         !cfg->warned_url) {
		cfg->warned_url = 1;
		LOG(L_ERROR, "%s is plain http: household linking stays off until "
		             "[central] seal_public_key is configured", cfg->url);
	}
	/* the first monitoring campaign: a sampled 测评's wave is for its
	 * drawn households only, never for whoever walks up to a kiosk */
	c0 = NULL;
	for (int i = 0; !c0 && i < ax_campaign_doc_count(ct->doc); i++)
		if (ax_campaign_doc_at(ct->doc, i)->sample_n <= 0)
			c0 = ax_campaign_doc_at(ct->doc, i);
	if (c0 && c0->survey[0])
		snprintf(cfg->survey, sizeof cfg->survey, "%s", c0->survey);
	if (c0 && c0->wave[0])
		snprintf(ct->wave, sizeof ct->wave, "%s", c0->wave);
	{ /* its narration, as fetched after the pulls (narration.c) */
		char dir[600];
		app_narration_dir(cfg, dir, sizeof dir);
		LOG(L_INFO, "narration of synced content: %d page(s) and question(s) "
		    "narrated from %s", ax_campaign_doc_narration(ct->doc, dir), dir);
	}
	ct->c[ct->n++] = ax_campaign_doc_content(ct->doc);
	index_content(ct, ax_campaign_doc_content(ct->doc));
	return 0;
}

static int load_content(struct content *ct, ax_store *st, struct config *cfg)
{
	int nerr = 0;
	memset(ct, 0, sizeof *ct);
	if (cfg->content[0]) {
		if (ax_content_load_dir(cfg->content, diag, NULL, &nerr, &ct->dir) != AX_OK ||
		    !ct->dir)
			return -1;
		ct->c[ct->n++] = ct->dir;
		index_content(ct, ct->dir);
	}
	/* the synced document also carries the seal key and the wave */
	load_campaigns(ct, st, cfg);
	return ct->npacks || ct->nsurveys ? 0 : -1;
}

static void free_content(struct content *ct)
{
	ax_content_free(ct->dir);
	ax_campaign_doc_free(ct->doc);
	memset(ct, 0, sizeof *ct);
}

/* ==== the app: host of the UI =========================================== */
long long app_now_ms(struct app *a)
{
	struct timespec ts;
	if (a->fixed)
		return a->virt_ms;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long wall(struct app *a)
{
	return a->fixed ? a->fixed_epoch + a->virt_ms / 1000 : (long long)time(NULL);
}

/* ==== a failing store ==================================================== */
const char *app_down_name(int down)
{
	return down == AX_FULL ? "full" : down == AX_READONLY ? "read-only"
	                                                       : "failing";
}

/* Log what changed in the store's health and tell the UI.  Returns 1 if
 * the screen must be redrawn. */
static int store_update(struct app *a)
{
	struct ksess_health h, *o = &a->health;
	struct kui_storage ks;
	ksess_health(a->ks, &h);
	if (h.down && !o->down) {
		LOG(L_ERROR,
		    "store %s (%s): residents' answers are held in memory, at most %d "
		    "sessions, and are LOST on power-off; retrying every %d s",
		    app_down_name(h.down), h.why, h.hold_max, a->cfg.retry_s);
		a->next_retry = app_now_ms(a) + a->cfg.retry_s * 1000LL;
	}
	if (h.held != o->held && h.held > 0)
		LOG(h.held >= h.hold_max ? L_ERROR : L_WARN,
		    "store %s: %d session(s) held in memory only (bound %d)%s",
		    app_down_name(h.down ? h.down : o->down), h.held, h.hold_max,
		    h.held >= h.hold_max ? ": new surveys are refused (暂停服务)" : "");
	if (!h.down && o->down)
		LOG(L_INFO, "store writable again: the held sessions are on disk");
	*o = h;
	ks.state = h.down == AX_FULL       ? KUI_STORE_FULL
	           : h.down == AX_READONLY ? KUI_STORE_READONLY
	           : h.down                ? KUI_STORE_FAILED
	                                   : KUI_STORE_OK;
	ks.held = h.held;
	ks.hold_max = h.hold_max;
	ks.retry_s = a->cfg.retry_s;
	return a->ui ? kui_set_storage(a->ui, &ks) : 0;
}

/* Try to write what memory holds (forced, or when the retry is due).
 * Returns 1 if the screen must be redrawn. */
int app_store_retry(struct app *a, int force)
{
	int written = 0;
	struct timespec t0, t1;
	if (!a->health.down && a->health.held == 0)
		return 0;
	if (!force && app_now_ms(a) < a->next_retry)
		return 0;
	a->next_retry = app_now_ms(a) + a->cfg.retry_s * 1000LL;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ksess_flush(a->ks, &written);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (written)
		LOG(L_INFO, "store: %d held session(s) written in %.1f ms", written,
		    (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return store_update(a);
}

/* The next retry (ms) while the store fails, else -1. */
long long app_store_deadline(const struct app *a)
{
	return a->health.down ? a->next_retry : -1;
}

static int h_begin(void *ctx, const struct ax_survey *s)
{
	struct app *a = ctx;
	int rc = ksess_begin(a->ks, s, a->ct.wave[0] ? a->ct.wave : NULL, wall(a));
	store_update(a);
	if (rc == KSESS_PAUSED) {
		LOG(L_ERROR, "begin: %d session(s) held in memory, the bound: 暂停服务",
		    a->health.held);
		return KUI_BEGIN_PAUSED;
	}
	if (rc) {
		LOG(L_ERROR, "begin: %s", ksess_errmsg(a->ks));
		return -1;
	}
	a->cur = s;
	a->started = wall(a);
	LOG(L_INFO, "session started: %s v%d", s->id, s->version);
	return 0;
}

/* The whole response is saved as the session's draft: the withdrawn
 * answers are simply absent from it. */
static int h_answer(void *ctx, const struct ax_response *r, int qi,
                    uint64_t withdrawn)
{
	struct app *a = ctx;
	int rc;
	(void)withdrawn;
	if (!a->cur || r->survey != a->cur)
		return -1;
	rc = ksess_answer(a->ks, r, wall(a));
	store_update(a);
	if (rc)
		LOG(L_ERROR, "answer %s: %s", r->survey->questions[qi].id,
		    ksess_errmsg(a->ks));
	return rc;
}

static void h_stats(void *ctx, struct kui_stats *out);

static int h_finish(void *ctx, enum kui_status st, const char *phone)
{
	struct app *a = ctx;
	char sealed[128] = "";
	int fast, repeat, rc;
	if (phone && (!a->cfg.have_pk || ax_seal_phone(a->cfg.pk, phone, sealed) != AX_OK)) {
		LOG(L_ERROR, "cannot seal the household number");
		return -1;
	}
	fast = st == KUI_COMPLETE && wall(a) - a->started < a->cfg.min_seconds;
	repeat = a->ui && kui_session_repeat(a->ui);
	/* a linked household is credited with a kiosk_session contact */
	rc = ksess_finish(a->ks, (enum ax_resp_status)st, sealed[0] ? sealed : NULL,
	                  sealed[0] && a->ui ? kui_session_pack(a->ui) : NULL,
	                  (fast ? KSESS_FAST : 0) | (repeat ? KSESS_REPEAT : 0),
	                  wall(a));
	store_update(a);
	if (rc)
		LOG(L_ERROR, "finish: %s", ksess_errmsg(a->ks));
	else
		LOG(L_INFO, "session ended: %s%s%s%s",
		    st == KUI_COMPLETE ? "complete" : st == KUI_PARTIAL ? "partial" : "abandoned",
		    sealed[0] ? ", household linked (sealed)" : "", fast ? ", flagged fast" : "",
		    repeat ? ", a repeat in this visit" : "");
	sodium_memzero(sealed, sizeof sealed);
	if (!ksess_active(a->ks)) /* else kept open for the resident's retry */
		a->cur = NULL;
	if (ksess_store(a->ks)) { /* figures staff see if the store fails */
		struct kui_stats ks;
		h_stats(a, &ks);
	}
	return rc;
}

static int h_can_link(void *ctx)
{
	return ((struct app *)ctx)->cfg.have_pk;
}

static int h_normalize(void *ctx, const char *digits, char out[24])
{
	char n[AX_PHONE_MAX];
	if (ax_phone_normalize(digits, n, NULL) != AX_OK)
		return -1;
	snprintf(out, 24, "%s", n);
	sodium_memzero(n, sizeof n);
	return 0;
}

static int h_check_pin(void *ctx, const char *pin)
{
	struct app *a = ctx;
	return a->cfg.pin_hash[0] &&
	       crypto_pwhash_str_verify(a->cfg.pin_hash, pin, strlen(pin)) == 0;
}

/* The last sync error for staff, in Chinese with the next retry (the
 * raw error, often curl's English, is in the log). */
static void sync_error_text(const struct ax_outbox_status *os, char *out,
                            size_t cap)
{
	char t[32];
	if (os->permanent) {
		snprintf(out, cap, "同步被服务器拒绝，请联系管理员（记录已保存在本机）");
		return;
	}
	if (os->next_attempt > 0) {
		ax_time_format(os->next_attempt, "%H:%M", t, sizeof t);
		snprintf(out, cap, "连不上服务器，记录已保存在本机，%s 自动重试", t);
	} else
		snprintf(out, cap, "连不上服务器，记录已保存在本机，稍后自动重试");
}

/* 1 during the configured quiet hours (local time): narration is muted. */
static int quiet_now(struct app *a)
{
	time_t t = (time_t)wall(a);
	struct tm tm;
	int f = a->cfg.quiet_from, to = a->cfg.quiet_to, h;
	if (f < 0)
		return 0;
	localtime_r(&t, &tm);
	h = tm.tm_hour;
	return f <= to ? h >= f && h < to : h >= f || h < to;
}

static void h_stats(void *ctx, struct kui_stats *out)
{
	struct app *a = ctx;
	struct ksess_counts c;
	struct ax_outbox_status os;
	long long day = ax_day_start(ax_cst_day(wall(a)));
	/* a failing store is closed: staff see the last figures it gave */
	if (!ksess_store(a->ks)) {
		*out = a->last_stats;
		out->volume = a->volume;
		out->mute = a->mute;
		out->quiet = quiet_now(a);
		return;
	}
	memset(out, 0, sizeof *out);
	if (ksess_counts(a->ks, day, &c) == 0) {
		out->today_complete = c.complete;
		out->today_partial = c.partial;
		out->today_abandoned = c.abandoned;
	}
	if (ksess_store(a->ks) && ax_outbox_status(ksess_store(a->ks), &os) == AX_OK) {
		out->pending = os.pending;
		out->last_sync = os.last_push;
		if (os.last_error[0])
			sync_error_text(&os, out->sync_error, sizeof out->sync_error);
	}
	out->volume = a->volume;
	out->mute = a->mute;
	out->quiet = quiet_now(a);
	a->last_stats = *out;
}

/* One push and pull on a store handle; returns 0 or -1. */
int app_sync_once(struct app *a, ax_store *st)
{
	struct ax_sync_opts o;
	struct ax_sync_result r;
	struct ax_sync_pull_result p;
	ax_rc rc;
	memset(&o, 0, sizeof o);
	o.url = a->cfg.url;
	o.token = a->cfg.token;
	o.cancel = &a->cancel;
	rc = ax_sync_push(st, &o, &r);
	if (rc) {
		LOG(L_WARN, "push: %s", r.error);
		return -1;
	}
	LOG(L_INFO, "push: %ld accepted, %ld duplicate, %ld rejected, %ld pending",
	    r.accepted, r.duplicate, r.rejected, r.pending);
	if (ax_sync_pull(st, &o, &p) != AX_OK)
		LOG(L_WARN, "pull: %s", p.error);
	else { /* the narration the document lists (used from the next start) */
		char dir[600];
		app_narration_sync(a, st, dir, sizeof dir);
	}
	return 0;
}

/* The sync thread opens the store for each round and closes it after:
 * between rounds it holds no file of the store open, so a file system
 * that went read-only can be unmounted and repaired while the kiosk runs
 * (the UI side closes its own handles too, see session.h). */
static void *sync_main(void *arg)
{
	struct app *a = arg;
	char err[256];
	pthread_mutex_lock(&a->mu);
	while (!a->sync_stop) {
		struct timespec ts;
		int wake = a->sync_wake;
		ax_store *st = NULL;
		a->sync_wake = 0;
		pthread_mutex_unlock(&a->mu);
		if (ax_store_open(a->cfg.store, 0, &st, err, sizeof err) != AX_OK)
			LOG(L_WARN, "sync: %s", err);
		else if (wake || ax_sync_due(st, (long long)time(NULL)))
			app_sync_once(a, st);
		ax_store_close(st);
		pthread_mutex_lock(&a->mu);
		if (a->sync_stop || a->sync_wake)
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += a->cfg.sync_interval > 0 ? a->cfg.sync_interval : 300;
		pthread_cond_timedwait(&a->cv, &a->mu, &ts);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

static void h_sync_now(void *ctx)
{
	struct app *a = ctx;
	/* staff pressed 立即同步: first try to write what memory holds */
	app_store_retry(a, 1);
	if (!a->cfg.url[0])
		return;
	if (!a->sync_started) {
		/* scripted runs: synchronously, so the test sees the result */
		if (ksess_store(a->ks))
			app_sync_once(a, ksess_store(a->ks));
		return;
	}
	pthread_mutex_lock(&a->mu);
	a->sync_wake = 1;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

static void h_play(void *ctx, const char *path)
{
	struct app *a = ctx;
	char err[512];
	if (!path) {
		if (a->au)
			kaudio_stop(a->au);
		return;
	}
	if (!a->au && !(a->au = kaudio_new()))
		return;
	kaudio_set_volume(a->au, a->volume);
	kaudio_set_mute(a->au, a->mute || quiet_now(a));
	if (kaudio_play(a->au, path, app_now_ms(a), err, sizeof err) != 0)
		LOG(L_WARN, "narration: %s", err);
	else
		LOG(L_INFO, "narration: %s%s", path,
		    a->mute ? " (muted by staff)" : quiet_now(a) ? " (quiet hours: muted)" : "");
}

/* Staff set the narration's volume and mute: applied at once (to what
 * plays, from its next decoded samples) and kept in the store. */
static void h_set_audio(void *ctx, int volume, int mute)
{
	struct app *a = ctx;
	a->volume = volume;
	a->mute = mute != 0;
	if (a->au) {
		kaudio_set_volume(a->au, a->volume);
		kaudio_set_mute(a->au, a->mute || quiet_now(a));
	}
	if (ksess_set_setting(a->ks, "volume", a->volume) ||
	    ksess_set_setting(a->ks, "mute", a->mute))
		LOG(L_WARN, "narration volume %d%%%s: not kept after a restart: %s", a->volume,
		    a->mute ? ", muted" : "", ksess_errmsg(a->ks));
	else
		LOG(L_INFO, "staff: narration volume %d%%%s", a->volume, a->mute ? ", muted" : "");
}

/* The narration as staff last set it, else [audio] volume, unmuted. */
static void load_audio(struct app *a)
{
	int v;
	a->volume = a->cfg.volume;
	a->mute = 0;
	if (ksess_setting(a->ks, "volume", &v) == 0 && v >= 0 && v <= 100)
		a->volume = v;
	if (ksess_setting(a->ks, "mute", &v) == 0)
		a->mute = v != 0;
}

/* The draw and option order of a session: libsodium's randombytes (the
 * kernel's getrandom), never the fixed test clock. */
static uint64_t h_seed(void *ctx)
{
	uint64_t seed;
	(void)ctx;
	randombytes_buf(&seed, sizeof seed);
	return seed;
}

/* ==== main loop ========================================================== */
static volatile sig_atomic_t quit;
static void on_signal(int sig)
{
	quit = 1;
}

static int run_loop(struct app *a)
{
	struct kui_frame *f = malloc(sizeof *f);
	int dirty = 1;
	if (!f)
		return 1;
	while (!quit) {
		struct kui_event ev;
		long long d, now;
		int timeout, got;
		if (dirty) {
			kui_layout(a->ui, f);
			krender_frame(a->r, f);
			kui_presented(a->ui, app_now_ms(a));
			dirty = 0;
		}
		now = app_now_ms(a);
		d = kui_deadline(a->ui);
		if (app_store_deadline(a) >= 0 && (d < 0 || app_store_deadline(a) < d))
			d = app_store_deadline(a);
		timeout = d < 0 ? 60000 : d <= now ? 0 : (int)(d - now > 60000 ? 60000 : d - now);
		if (a->au && kaudio_playing(a->au) && timeout > 20)
			timeout = 20; /* keep the narration's queue fed */
		got = krender_wait(a->r, timeout, &ev);
		if (got < 0)
			break;
		if (got == 2)
			dirty = 1;
		/* a touch is stamped with when it happened, not when handled */
		ev.now = app_now_ms(a) - (got == 1 ? krender_event_age(a->r) : 0);
		if (got != 1) {
			ev.kind = KUI_EV_TICK;
			ev.x = ev.y = 0;
		}
		if (kui_handle(a->ui, &ev))
			dirty = 1;
		if (app_store_retry(a, 0))
			dirty = 1;
		if (a->au)
			kaudio_pump(a->au, app_now_ms(a));
	}
	free(f);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: anxin-kiosk --config FILE [--video DRIVER] [--script FILE]\n"
	        "                   [--shots DIR] [--clock-fixed EPOCH] [--size WxH]\n"
	        "       anxin-kiosk --hash-pin PIN\n");
}

struct args {
	const char *config, *video, *script, *shots;
	int sw, sh; /* --size, 0 none */
};

/* Read the command line into o (and the fixed clock into a).  Returns -1
 * to go on, or the exit status (--hash-pin, usage). */
static int parse_args(int argc, char **argv, struct app *a, struct args *o)
{
	for (int i = 1; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(k, "--hash-pin") == 0 && v) {
			char h[crypto_pwhash_STRBYTES];
			if (crypto_pwhash_str(h, v, strlen(v), crypto_pwhash_OPSLIMIT_INTERACTIVE,
			                      crypto_pwhash_MEMLIMIT_INTERACTIVE))
				return 1;
			printf("%s\n", h);
			return 0;
		} else if (strcmp(k, "--config") == 0 && v)
			o->config = v, i++;
		else if (strcmp(k, "--video") == 0 && v)
			o->video = v, i++;
		else if (strcmp(k, "--script") == 0 && v)
			o->script = v, i++;
		else if (strcmp(k, "--shots") == 0 && v)
			o->shots = v, i++;
		else if (strcmp(k, "--clock-fixed") == 0 && v)
			a->fixed = 1, a->fixed_epoch = atoll(v), i++;
		else if (strcmp(k, "--size") == 0 && v) {
			if (sscanf(v, "%dx%d", &o->sw, &o->sh) != 2)
				return usage(), 2;
			i++;
		} else if (strcmp(k, "--verbose") == 0)
			ax_applog_level(AX_LOG_DEBUG);
		else
			return usage(), 2;
	}
	if (!o->config)
		return usage(), 2;
	return -1;
}

/* Open the store.  Returns 0 or -1. */
static int open_store(struct app *a)
{
	char err[512];
	if (ksess_open(a->cfg.store, a->cfg.device, a->cfg.region, &a->ks, err, sizeof err)) {
		LOG(L_ERROR, "store: %s", err);
		return -1;
	}
	ksess_set_hold_max(a->ks, a->cfg.hold_max);
	load_audio(a);
	store_update(a); /* a store on a full or read-only disk: say so now */
	return 0;
}

/* Finish what a crash (or an older build's tables) left, with the
 * surveys of the content loaded, before anyone else sees the screen (on a
 * failing store: when it is back, see ksess_flush). */
static void recover(struct app *a)
{
	int recovered = 0;
	ksess_set_surveys(a->ks, (const ax_content *const *)a->ct.c, a->ct.n);
	if (ksess_recover(a->ks, &recovered))
		LOG(L_ERROR, "recover: %s", ksess_errmsg(a->ks));
	else if (recovered)
		LOG(L_INFO, "recovered %d unfinished session(s)", recovered);
	store_update(a);
}

/* Load the content, open the renderer and build the UI over them.
 * Returns 0 or -1 (logged). */
static int start_ui(struct app *a, const char *video)
{
	struct krender_opts ro;
	struct kui_config kc;
	struct kui_host host = {a,         h_begin,      h_answer,    h_finish,
	                        h_can_link, h_normalize, h_check_pin, h_stats,
	                        h_sync_now, h_play,   h_seed,      h_set_audio};
	struct kui_metrics m;
	const struct ax_survey *main_survey = NULL, *quizzes[KUI_MAX_PACKS];
	int nq = 0;
	char err[512];

	if (load_content(&a->ct, ksess_store(a->ks), &a->cfg)) {
		LOG(L_ERROR, "no content: set [kiosk] content or sync campaigns first");
		return -1;
	}
	recover(a);
	for (int i = 0; i < a->ct.nsurveys; i++) {
		const struct ax_survey *s = a->ct.surveys[i];
		if (strcmp(s->id, a->cfg.survey) == 0 &&
		    (!main_survey || s->version > main_survey->version))
			main_survey = s;
		if (strncmp(s->id, "aware-", 6) == 0 && nq < KUI_MAX_PACKS)
			quizzes[nq++] = s;
	}
	memset(&ro, 0, sizeof ro);
	ro.w = a->cfg.width;
	ro.h = a->cfg.height;
	ro.fullscreen = a->cfg.fullscreen;
	ro.video = video;
	ro.font = a->cfg.font[0] ? a->cfg.font : NULL;
	ro.cache = 1;
	a->r = krender_new(&ro, err, sizeof err);
	if (!a->r) {
		LOG(L_ERROR, "%s", err);
		return -1;
	}
	kui_config_defaults(&kc);
	kc.idle_ms = a->cfg.idle * 1000;
	kc.countdown_ms = a->cfg.countdown * 1000;
	if (a->cfg.dpi > 0)
		kc.dpi = a->cfg.dpi;
	m = krender_metrics(a->r);
	/* kui_new copies the host and the metrics */
	a->ui = kui_new(&kc, &host, &m, a->cfg.width, a->cfg.height, a->ct.packs,
	                a->ct.npacks, main_survey, quizzes, nq, app_now_ms(a));
	return a->ui ? 0 : -1;
}

/* The main loop with the background sync thread, until a signal. */
static int serve(struct app *a)
{
	int rc;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (a->cfg.url[0] && a->cfg.token[0] &&
	    pthread_create(&a->sync_thread, NULL, sync_main, a) == 0)
		a->sync_started = 1;
	rc = run_loop(a);
	if (a->sync_started) {
		pthread_mutex_lock(&a->mu);
		a->sync_stop = 1;
		a->cancel = 1;
		pthread_cond_signal(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->sync_thread, NULL);
	}
	return rc;
}

/* Before exit: end a session still open, write what memory holds. */
static void stop(struct app *a)
{
	/* a resident mid-survey when we are stopped: keep what they said */
	if (ksess_active(a->ks))
		ksess_finish(a->ks, AX_RESP_ABANDONED, NULL, NULL, 0, wall(a));
	/* last chance for what memory holds; say plainly what is lost */
	if (a->ks) {
		store_update(a);
		if (a->health.held > 0 && ksess_flush(a->ks, NULL) != 0) {
			store_update(a);
			LOG(L_ERROR, "exit: the store is still %s: %d session(s) held in "
			             "memory are lost",
			    app_down_name(a->health.down), a->health.held);
		}
	}
}

int main(int argc, char **argv)
{
	static struct app a;
	struct args o = {NULL, NULL, NULL, NULL, 0, 0};
	int rc;

	if (sodium_init() < 0)
		return 1;
	rc = parse_args(argc, argv, &a, &o);
	if (rc >= 0)
		return rc;
	ax_set_log(ax_applog_lib, NULL);
	if (load_config(o.config, &a.cfg))
		return 1;
	if (o.sw > 0)
		a.cfg.width = o.sw, a.cfg.height = o.sh;
	if (o.shots)
		mkdir(o.shots, 0777);
	if (open_store(&a))
		return 1;
	rc = 0;
	if (start_ui(&a, o.video)) {
		rc = 1;
		goto done;
	}
	store_update(&a);
	pthread_mutex_init(&a.mu, NULL);
	pthread_cond_init(&a.cv, NULL);
	rc = o.script ? kscript_run(&a, o.script, o.shots) : serve(&a);
	stop(&a);
	if (o.script && a.au) /* a test's disk audio: let the device play it out */
		kaudio_drain(a.au, 15000);
done:
	kaudio_free(a.au);
	kui_free(a.ui);
	krender_free(a.r);
	free_content(&a.ct);
	ksess_close(a.ks);
	return rc;
}
