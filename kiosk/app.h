/*
 * app.h -- what main.c (configuration, content, the UI's host, the store's
 * health, sync, the main loop) shares with script.c (the scripted test
 * driver).  Internal to anxin-kiosk: nothing here is a library API.
 */
#ifndef KIOSK_APP_H
#define KIOSK_APP_H

#include <pthread.h>
#include <signal.h>

#include <anxin/anxin.h>
#include <anxin/applog.h>
#include <anxin/auth.h>
#include <anxin/campaign.h>
#include <anxin/content.h>

#include "audio.h"
#include "render.h"
#include "session.h"
#include "ui/ui.h"

/* ==== logging: the one format of Anxin's programs (applog.h) ============ */
enum { L_DEBUG = AX_LOG_DEBUG, L_INFO = AX_LOG_INFO, L_WARN = AX_LOG_WARN,
       L_ERROR = AX_LOG_ERROR };
#define LOG(lvl, ...) ax_applog((enum ax_log_level)(lvl), __FILE__, __LINE__, __VA_ARGS__)

/* ==== configuration ==================================================== */
struct config {
	char device[64], region[32], store[512], content[512], survey[64];
	char url[256], token[AX_TOKEN_MAX + 8], pin_hash[256], font[512];
	unsigned char pk[AX_PUBKEY_BYTES];
	int have_pk;
	int warned_url; /* said once: plain http, no configured seal key */
	int min_seconds, idle, countdown, width, height, fullscreen, sync_interval;
	int dpi; /* [screen] dpi: the panel's pixels per inch, 0 unknown */
	int hold_max, retry_s; /* a failing store: sessions held, retry period */
	int volume;                /* [audio] volume, 0-100 */
	int quiet_from, quiet_to;  /* [audio] quiet_hours FROM-TO (-1: none) */
};

/* ==== content: a folder, or the synced campaigns ======================= */
#define MAX_CONTENT 32
struct content {
	ax_content *dir;      /* [kiosk] content, or NULL */
	ax_campaign_doc *doc; /* the synced campaigns document, or NULL */
	const ax_content *c[2]; /* the two above that are loaded (borrowed) */
	int n;
	const struct ax_pack *packs[KUI_MAX_PACKS];
	int npacks;
	const struct ax_survey *surveys[MAX_CONTENT];
	int nsurveys;
	char wave[64];
};

/* ==== the app: host of the UI =========================================== */
struct app {
	struct config cfg;
	struct content ct;
	ksess *ks;
	krender *r;
	kaudio *au; /* narration, opened on first use */
	/* narration as staff set it (kept in the store; [audio] volume until
	 * they do): volume 0-100, mute 0/1 */
	int volume, mute;
	kui *ui;
	const struct ax_survey *cur;
	long long started;
	/* clock: fixed (tests) or real */
	int fixed;
	long long fixed_epoch, virt_ms;
	/* background sync */
	pthread_t sync_thread;
	int sync_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int sync_wake, sync_stop;
	volatile sig_atomic_t cancel;
	char sync_error[128];
	long long last_sync;
	/* a failing store: the health last reported, the next retry (ms) */
	struct ksess_health health;
	long long next_retry;
	struct kui_stats last_stats;
};

/* Milliseconds on the app's clock: monotonic, or virtual under
 * --clock-fixed (scripts advance a->virt_ms). */
long long app_now_ms(struct app *a);
/* "full", "read-only" or "failing" for a ksess_health.down code. */
const char *app_down_name(int down);
/* Try to write the sessions memory holds (forced, or when the retry is
 * due).  Returns 1 if the screen must be redrawn. */
int app_store_retry(struct app *a, int force);
/* The next retry (ms) while the store fails, else -1. */
long long app_store_deadline(const struct app *a);
/* Narration of synced content (narration.c): the folder it is kept in
 * (NARRATION beside the store); and, after a pull, fetch into it what the
 * cached campaigns document lists and the folder lacks or holds
 * otherwise (size, SHA-256).  Returns the files fetched. */
void app_narration_dir(const struct config *c, char *dir, size_t dirlen);
int app_narration_sync(struct app *a, ax_store *st, char *dir, size_t dirlen);
/* One push and pull on a store handle (borrowed); returns 0 or -1. */
int app_sync_once(struct app *a, ax_store *st);

#endif
