/*
 * optout.h -- opt-outs (退订) as records.  A gateway that takes a 退订 (or
 * its withdrawal, 恢复/订阅) puts an "optout" record in its outbox; central
 * keeps every event (optout_events: who, when, from where) and serves
 * each number's latest state to the county's gateways in their roster
 * slices ("optouts"), so every gateway honours it.  Staff restore a number
 * on the dashboard, which is an event too (by = the user).
 */
#ifndef ANXIN_OPTOUT_H
#define ANXIN_OPTOUT_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The record line (malloc'd, NULL when out of memory) of an opt-out
 * (restore 0) or its withdrawal (restore 1) of phone (E.164), taken by
 * device at `at`; by (staff user) and source (how: "reply", "staff", ...)
 * may be NULL. */
char *ax_optout_record(const char *id, const char *phone, int restore,
                       const char *device, const char *by, const char *source,
                       long long at);

/* A number's current opt-out in the store's records. */
struct ax_optout {
	char phone[32];
	char household[64]; /* the first household listing it */
	char grid[32];
	char device[64];    /* who took the latest event */
	char by[64];        /* the staff user of a restore ("" otherwise) */
	int restored;       /* the latest event is a restore */
	long long at;
};

/* Numbers whose latest event is in `scope` (a household listing the
 * number is there), newest first: opted out (restored 0) and, when
 * `restores`, also those restored, at most max (0: no limit).  *out is
 * malloc'd (free with ax_free). */
ax_rc ax_optout_list(ax_store *st, const char *scope, int restores, int max,
                     struct ax_optout **out, int *n);

/* Staff restore a number (E.164) on the dashboard: a "restore" record by
 * user, device "dashboard", now.  AX_NOTFOUND when the number is not
 * opted out. */
ax_rc ax_optout_restore(ax_store *st, const char *phone, const char *user,
                        char id_out[37]);

#ifdef __cplusplus
}
#endif
#endif
