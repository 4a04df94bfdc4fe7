/*
 * campaign.h -- campaigns: a survey and/or packs sent to a scope within a
 * window, with quiet hours, pace, a per-SIM daily cap and the contact
 * kinds that count for coverage.  Each campaign is its own survey wave.
 */
#ifndef ANXIN_CAMPAIGN_H
#define ANXIN_CAMPAIGN_H

#include "anxin.h"
#include "auth.h"
#include "content.h"
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
	/* a sampled 测评 (sample.h): households to draw, 0 for a monitoring
	 * campaign (whoever answers); strata AX_STRATA_TOWNSHIP or
	 * AX_STRATA_VILLAGE; the seed of the draw */
	int sample_n;
	int strata;
	long long seed;
};

/* Fill defaults (quiet 21:00–08:00, 10/min, 300/day, AX_CK_DEFAULT). */
void ax_campaign_defaults(struct ax_campaign *c);

/* Validate and store; fills id, wave and survey_version.  With sample_n
 * > 0 the sample is drawn and stored in the same transaction (sample.h);
 * AX_INVALID when the frame has fewer households than sample_n. */
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
/* The same for a device of a kind: a kiosk (gateway 0) learns that a
 * campaign is a sampled 测评 but not which households were drawn; a
 * gateway (1) gets them, to write to those only.  ax_campaigns_json is
 * gateway 1. */
char *ax_campaigns_json_for(ax_store *st, const char *device_scope,
                            long long now, int gateway);

/* 1 when a code of c's scope and a code of `scope` (comma-separated;
 * NULL or "": everywhere) cover one another, either way. */
int ax_campaign_meets(const struct ax_campaign *c, const char *scope);
/* 1 when every code of c's scope is inside `scope` (NULL or "": the
 * whole store): a figure of the campaign's whole scope may be shown to
 * whoever sees `scope`. */
int ax_campaign_within(const struct ax_campaign *c, const char *scope);

/*
 * How long campaign c (stored: its survey version is set) needs at its
 * pace and daily cap on `modems` modems (SIMs; 0 counts as 1): the
 * messages and segments each targeted household is sent to be reached
 * (the intro and first question; an outreach campaign's first digest)
 * and for the whole campaign (every question shown, the thanks, then
 * every digest of its packs), and the days each takes, counting only the
 * minutes outside quiet hours for the pace and the segments for the cap.
 * A gateway sends a household one digest a day at most (smsd's
 * digest_gap, a day by default; with a survey the first a day after the
 * thanks), so the whole takes at least digest_days whatever the modems.
 * Every household is assumed to answer at once: a lower bound when they
 * do not.  too_short: reaching everyone takes longer than the window.
 */
struct ax_campaign_est {
	long long households; /* targeted: with a phone (a sample: drawn) */
	int modems;
	int questions;        /* shown to each household */
	int reach_msgs, reach_segs, whole_msgs, whole_segs; /* per household */
	int send_minutes;     /* a day's minutes outside quiet hours */
	int digests;          /* digests each household is sent */
	double digest_days;   /* one a day: the days the digests need alone */
	double reach_days, whole_days, window_days;
	int too_short;
};
ax_rc ax_campaign_estimate(ax_store *st, const struct ax_campaign *c,
                           int modems, struct ax_campaign_est *e);
/* The median time, in seconds, from the start of an SMS conversation to
 * its completed questionnaire (responses of c's wave by SMS, complete and
 * counted, with both times) in region (NULL: everywhere); *n how many.
 * -1 when there is none. */
ax_rc ax_campaign_median_completion(ax_store *st, const struct ax_campaign *c,
                                    const char *region, long long *median,
                                    long long *n);
/* days as "16.0 <hours>" under a day, else "3.5 <days_unit>". */
void ax_campaign_span(double days, const char *hours, const char *days_unit,
                      char *buf, size_t n);

/* 1 when c runs at `now`: started, not ended (ends_at exclusive; 0 is
 * no bound), not closed. */
int ax_campaign_live(const struct ax_campaign *c, long long now);

/* ---- the campaigns document, decoded once -------------------------------
 * What central serves a device (ax_campaigns_json), read back into
 * values: the campaigns, the packs and surveys they use (validated as
 * content), and the seal key.  Front ends use this; none parses the
 * document's JSON itself. */
typedef struct ax_campaign_doc ax_campaign_doc;

/*
 * Decode a document (text borrowed, len bytes).  A pack or survey in it
 * that does not validate is left out and reported through diag (may be
 * NULL) as "campaigns.json:packs/ID: ..."; a campaign without an id is
 * left out.  AX_INVALID (message in err) only when the text is not a
 * campaigns document at all.  Caller frees with ax_campaign_doc_free.
 */
ax_rc ax_campaign_doc_parse(const char *text, size_t len, ax_diag_fn diag,
                            void *dctx, ax_campaign_doc **out, char *err,
                            size_t errlen);
/* The document of the device's last pull (ax_sync_pull's cache);
 * AX_NOTFOUND when it never pulled. */
ax_rc ax_campaign_doc_cached(ax_store *st, ax_campaign_doc **out);
/* The document a device of `device_scope` would get from this store now. */
ax_rc ax_campaign_doc_from_store(ax_store *st, const char *device_scope,
                                 long long now, ax_campaign_doc **out);
void ax_campaign_doc_free(ax_campaign_doc *d); /* accepts NULL */

int ax_campaign_doc_count(const ax_campaign_doc *d);
/* Campaign i, in the document's order (borrowed from d). */
const struct ax_campaign *ax_campaign_doc_at(const ax_campaign_doc *d, int i);
/* The packs and surveys the campaigns use (borrowed from d). */
const ax_content *ax_campaign_doc_content(const ax_campaign_doc *d);
/* Narration of the document's content from a folder laid out as central
 * serves it (packs/<id>/<audio>, surveys/<audio>; dir borrowed for the
 * call): each pack's folder, and each question's narration folder,
 * become dir's; a page or question whose file dir lacks gets no
 * narration (its audio is dropped).  Returns the number of pages and
 * questions left with narration. */
int ax_campaign_doc_narration(ax_campaign_doc *d, const char *dir);
/* Of a sampled campaign (sample_n > 0) of the document: 1 when household
 * was drawn and is in the device's scope, 0 when not, -1 when campaign
 * `id` is not a sampled campaign of the document. */
int ax_campaign_doc_sampled(const ax_campaign_doc *d, const char *id,
                            const char *household);
/* The store's public key for sealed numbers: 1 and pk filled, or 0. */
int ax_campaign_doc_seal_key(const ax_campaign_doc *d,
                             unsigned char pk[AX_PUBKEY_BYTES]);

#ifdef __cplusplus
}
#endif
#endif
