/*
 * records_device.c -- records bound to the device that sent them (see
 * ax_importer_set_device in records.h): the device's name, the channels
 * and kinds its kind makes, how it may name a household, the campaign
 * waves it may use and the times it may claim.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/auth.h"
#include "anxin/clock.h"
#include "records_int.h"

void ax_importer_set_device(ax_importer *im, const struct ax_rec_device *dev)
{
	im->has_dev = dev != NULL;
	if (dev)
		im->dev = *dev;
	else
		memset(&im->dev, 0, sizeof im->dev);
}

static int why(char *reason, const char *fmt, ...) AX_PRINTF(2, 3);
static int why(char *reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason, 256, fmt, ap);
	va_end(ap);
	return -1;
}

int ax__dev_fields(const ax_importer *im, const char *device,
                   const char *channel, const char *kind, int names_household,
                   int has_sealed, char *reason)
{
	const struct ax_rec_device *d = &im->dev;
	int kiosk;
	char ex[64];

	if (!im->has_dev)
		return 0;
	kiosk = strcmp(d->kind, "kiosk") == 0;
	if (strcmp(device, d->id) != 0) {
		ax__excerpt(device, ex, sizeof ex);
		return why(reason, "field \"device\": \"%s\" is not the device that "
		           "sent it (%s)", ex, d->id);
	}
	if (strcmp(channel, kiosk ? "kiosk" : "sms") != 0)
		return why(reason, "field \"channel\": a %s sends \"%s\" records, "
		           "not \"%s\"", kiosk ? "kiosk" : "SMS gateway",
		           kiosk ? "kiosk" : "sms", channel);
	if (kind && (kiosk ? strcmp(kind, "kiosk_session") != 0
	                   : strncmp(kind, "sms_", 4) != 0))
		return why(reason, "field \"kind\": a %s does not send \"%s\" "
		           "contacts", kiosk ? "kiosk" : "SMS gateway", kind);
	if (kiosk && names_household)
		return why(reason, "field \"household\": a kiosk links a household "
		           "only by a sealed phone number (household_phone_sealed)");
	if (!kiosk && has_sealed)
		return why(reason, "field \"household_phone_sealed\": only kiosks "
		           "send sealed numbers");
	return 0;
}

int ax__dev_time(const ax_importer *im, const char *field, int64_t t,
                 char *reason)
{
	const struct ax_rec_device *d = &im->dev;
	long long now = (long long)time(NULL);
	/* records import, bound to no device: the same clock-skew allowance */
	long long ahead = im->has_dev ? d->max_ahead : AX_MAX_AHEAD;
	char a[AX_TIME_ISO_LEN], b[AX_TIME_ISO_LEN];

	ax_time_iso(t, a);
	if (im->has_dev && t < d->registered_at - d->max_ahead) {
		ax_time_iso(d->registered_at, b);
		return why(reason, "field \"%s\": %s is before device %s was "
		           "registered (%s)", field, a, d->id, b);
	}
	if (t > now + ahead) {
		ax_time_iso(now, b);
		return why(reason, "field \"%s\": %s is in the future (server time "
		           "%s)", field, a, b);
	}
	return 0;
}

int ax__dev_wave(ax_importer *im, const char *survey, const char *wave,
                 char *reason)
{
	char ex[64];

	if (!im->has_dev || !wave || !*wave ||
	    ax__camp_has_wave(im, wave, survey))
		return 0;
	ax__excerpt(wave, ex, sizeof ex);
	return why(reason, "field \"wave\": \"%s\" is not the wave of a campaign "
	           "of this survey", ex);
}

int ax__dev_may_unseal(ax_importer *im)
{
	char key[96];
	long long today = 0;
	ax_stmt *s;
	int ok, src;

	if (!im->has_dev)
		return 1;
	if (im->dev.max_unseal <= 0) {
		if (im->dev.on_unseal)
			im->dev.on_unseal(im->dev.ctx, im->dev.id, 0, 1);
		return 1;
	}
	/* one row per device and China day; the increment happens only under
	 * the budget (the upsert's WHERE), atomically on either backend */
	snprintf(key, sizeof key, "unseal.%s.%d", im->dev.id,
	         ax_cst_day((long long)time(NULL)));
	if (ax__dprepare(im->st, &s,
	                 "INSERT INTO sync_state(key, value) VALUES(?, '1') "
	                 "ON CONFLICT(key) DO UPDATE SET value = CAST(CAST("
	                 "sync_state.value AS INTEGER) + 1 AS TEXT) WHERE CAST("
	                 "sync_state.value AS INTEGER) < ? RETURNING value"))
		return 0;
	ax_stmt_bind_text(s, 1, key);
	ax_stmt_bind_int64(s, 2, im->dev.max_unseal);
	src = ax_stmt_step(s);
	ok = src == AX_DB_ROW;
	today = ok ? atoll(ax_stmt_text(s, 0)) : im->dev.max_unseal;
	while (src == AX_DB_ROW)
		src = ax_stmt_step(s);
	ax_stmt_finalize(s);
	if (src != AX_DB_DONE)
		return 0;
	if (ok && today == 1) {
		/* the device's first today: its rows of earlier days go */
		char prefix[96];
		snprintf(prefix, sizeof prefix, "unseal.%s.", im->dev.id);
		if (!ax__dprepare(im->st, &s, "DELETE FROM sync_state WHERE "
		                              "substr(key, 1, CAST(? AS INTEGER)) = ? AND "
		                              "key <> ?")) {
			ax_stmt_bind_int64(s, 1, (int64_t)strlen(prefix));
			ax_stmt_bind_text(s, 2, prefix);
			ax_stmt_bind_text(s, 3, key);
			src = ax_stmt_step(s);
			ax_stmt_finalize(s);
			if (src != AX_DB_DONE)
				return 0; /* the store's error fails the batch */
		}
	}
	if (im->dev.on_unseal)
		im->dev.on_unseal(im->dev.ctx, im->dev.id, today, ok);
	return ok;
}

/* The bound device's scope, for a file import (ax_importer_set_check). */
static int scope_check(void *ctx, const char *type, const char *household,
                       const char *region, char *reason)
{
	const ax_importer *im = ctx;
	char ex[64];
	(void)type;
	if (!im->has_dev || !im->dev.scope[0] ||
	    ax_scope_covers(im->dev.scope, region))
		return 0;
	ax__excerpt(household ? household : region, ex, sizeof ex);
	return why(reason, "403: %s %s is outside device %s's scope (%s)",
	           household ? "household" : "region", ex, im->dev.id,
	           im->dev.scope);
}

int ax__dev_bind_named(ax_importer *im, const struct ax_device *devs, int n,
                       const char *name, char *reason)
{
	const struct ax_device *d = NULL;
	struct ax_rec_device rd;
	char when[AX_TIME_ISO_LEN];

	for (int i = 0; name && i < n; i++)
		if (strcmp(devs[i].id, name) == 0)
			d = &devs[i];
	if (!d) {
		ax_importer_set_device(im, NULL);
		ax_importer_set_check(im, NULL, NULL);
		return 0;
	}
	if (d->revoked_at) {
		ax_time_iso(d->revoked_at, when);
		return why(reason, "device %s was revoked (%s): its records are "
		           "refused, on a USB stick too", d->id, when);
	}
	memset(&rd, 0, sizeof rd);
	snprintf(rd.id, sizeof rd.id, "%s", d->id);
	snprintf(rd.kind, sizeof rd.kind, "%s", d->kind);
	snprintf(rd.scope, sizeof rd.scope, "%s", d->scope);
	rd.registered_at = d->created_at;
	rd.max_ahead = AX_MAX_AHEAD;
	ax_importer_set_device(im, &rd);
	ax_importer_set_check(im, scope_check, im);
	return 0;
}
