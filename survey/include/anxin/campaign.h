/*
 * campaign.h -- campaigns: a survey and/or packs sent to a scope within a
 * window, with quiet hours, pace, a per-SIM daily cap and the contact
 * kinds that count for coverage.  Each campaign is its own survey wave.
 */
#ifndef ANXIN_CAMPAIGN_H
#define ANXIN_CAMPAIGN_H

#include "anxin.h"
#include "auth.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

struct ax_campaign {
	char id[64];              /* empty on create: a UUID is made */
	char name[128];
	char survey[64];          /* empty: outreach only */
	int survey_version;       /* 0 on create: the latest installed */
	char packs[256];          /* comma-separated pack ids, may be empty */
	char scope[AX_SCOPE_MAX]; /* comma-separated region codes */
	long long starts_at, ends_at;
	int quiet_start, quiet_end; /* minutes after midnight, China time */
	int pace_per_min;           /* messages per minute per modem */
	int daily_cap;              /* messages per SIM per day */
	int coverage_kinds;         /* AX_CK_* mask */
	char wave[64];              /* empty on create: the campaign id */
	long long created_at, closed_at;
};

/* Fill defaults (quiet 21:00–08:00, 10/min, 300/day, AX_CK_DEFAULT). */
void ax_campaign_defaults(struct ax_campaign *c);

/* Validate and store; fills id, wave and survey_version. */
ax_rc ax_campaign_create(ax_store *st, struct ax_campaign *c);
ax_rc ax_campaign_close(ax_store *st, const char *id);
/* Campaigns (active ones at `now` only, if active_only); caller frees. */
ax_rc ax_campaign_list(ax_store *st, int active_only, long long now,
                       struct ax_campaign **out, int *n);

/*
 * What a device receives: its active campaigns (scope intersecting the
 * device's), with the survey and pack definitions they use and the
 * store's public key for sealed phone numbers.  Caller frees.
 */
char *ax_campaigns_json(ax_store *st, const char *device_scope, long long now);

#ifdef __cplusplus
}
#endif
#endif
