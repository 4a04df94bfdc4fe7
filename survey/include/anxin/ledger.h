/*
 * ledger.h -- the 台账 (ledgers) staff show at inspections: every outreach
 * contact, every response, the households not yet reached, and recording
 * door-to-door visits (one at a time or from a paper list in CSV).
 *
 * All listings are limited to a scope (region codes, as in a staff user's
 * or device's scope: ax_scope_covers semantics) and a time window in China
 * time.  Rows are handed to a callback one at a time, so a county-wide
 * ledger of a million contacts costs memory for one row, not a million.
 *
 * Strings in the row structs are borrowed: valid only during the callback.
 * One store handle per thread (see store.h); these functions only read,
 * except ax_visit_record and ax_visits_import_*.
 */
#ifndef ANXIN_LEDGER_H
#define ANXIN_LEDGER_H

#include "anxin.h"
#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What to list.  Every field may be left 0/NULL. */
struct ax_ledger_query {
	/* Comma-separated region codes (county, township, village or grid);
	 * a row is listed when any of them covers its region, by code prefix
	 * as ax_scope_covers decides.  NULL or "": the whole store.  A code
	 * that is not a known region is AX_NOTFOUND (message on the store). */
	const char *scope;
	const char *from;    /* YYYY-MM-DD inclusive, China time; NULL: open */
	const char *to;      /* YYYY-MM-DD inclusive; NULL: open */
	const char *channel; /* kiosk|sms|visit: contacts and responses of
	                        that channel only; NULL: all */
	const char *survey;  /* responses only: this survey id; NULL: all */
	const char *wave;    /* responses only: this wave; NULL: all */
	int contact_kinds;   /* AX_CK_* mask; what 0 means is per function */
	/* contacts only: the kinds that count for 宣传入户率 (AX_CK_*), by
	 * which each listed row is judged (ax_ledger_contact.count);
	 * 0: AX_CK_DEFAULT, as the report counts by default */
	int coverage_kinds;
};

/* Chinese labels for tables and exports (static strings; an unknown
 * value is returned as given). */
/* sms_sent 短信已发送, sms_delivered 短信已送达, sms_replied 短信已回复,
 * kiosk_session 一体机, visit 入户走访 */
const char *ax_ledger_kind_label(const char *kind);
/* sms 短信, kiosk 一体机, visit 入户走访 */
const char *ax_ledger_channel_label(const char *channel);
/* complete 完成, partial 部分作答, abandoned 中途放弃 */
const char *ax_ledger_status_label(const char *status);

/* ---- outreach contacts ------------------------------------------------ */
/*
 * Whether a listed contact is the one that counts its household as
 * reached (宣传入户率), and if not, why -- so a detail sheet reconciles
 * with its summary: the rows marked AX_CONTACT_COUNTED are exactly the
 * households `ax_report_build` counts as reached for the same scope,
 * window and kinds, one row each.  First reason that applies:
 *   AX_CONTACT_INACTIVE   注销: the household is deactivated (not in the
 *                         denominator, so none of its contacts counts)
 *   AX_CONTACT_SENT_ONLY  仅发送未送达: an SMS sent, no delivery proven
 *   AX_CONTACT_KIND       类型不计: a kind the report does not count
 *   AX_CONTACT_REPEAT     重复: an earlier listed contact already counts
 *                         the household (oldest first, ties by id)
 *   AX_CONTACT_COUNTED    计入
 */
enum ax_contact_count {
	AX_CONTACT_COUNTED,
	AX_CONTACT_REPEAT,
	AX_CONTACT_INACTIVE,
	AX_CONTACT_SENT_ONLY,
	AX_CONTACT_KIND
};
/* 计入 / 不计入（重复，该户已计入） / 不计入（注销） / 不计入（仅发送未送达）
 * / 不计入（类型不计）; static strings */
const char *ax_ledger_count_label(enum ax_contact_count c);

struct ax_ledger_contact {
	const char *id;        /* record UUID: the proof of this contact */
	const char *household; /* household id */
	const char *grid;      /* region code the household belongs to */
	const char *grid_name; /* NULL when the household has no grid (its
	                          region is a village) */
	const char *village_name;  /* 村/社区; NULL if unknown */
	const char *township_name; /* 乡镇/街道; NULL if unknown */
	const char *channel;       /* sms | kiosk | visit */
	const char *channel_label;
	const char *kind;          /* sms_sent … visit */
	const char *kind_label;    /* 短信已发送 … 入户走访 */
	const char *pack;          /* pack id, or NULL */
	const char *pack_title;    /* title of its newest installed version;
	                              NULL if none or not installed */
	long long at;              /* epoch seconds */
	const char *device;        /* device id, or the visitor for visits */
	enum ax_contact_count count; /* by q->coverage_kinds, among the rows
	                              * listed (see above) */
};

/* Return AX_OK to go on; anything else stops the listing, which then
 * returns that code unchanged. */
typedef ax_rc (*ax_ledger_contact_fn)(void *ctx,
                                      const struct ax_ledger_contact *row);

/*
 * Call fn for every outreach contact of a household in the scope, with
 * its time in the window, of the kinds in q->contact_kinds (0: every
 * kind, sms_sent included: a ledger lists all activity, not only what
 * counts for coverage), oldest first (ties by id), each judged against
 * q->coverage_kinds (count).  q may be NULL.
 */
ax_rc ax_ledger_contacts(ax_store *st, const struct ax_ledger_query *q,
                         ax_ledger_contact_fn fn, void *ctx);

/* ---- responses -------------------------------------------------------- */
struct ax_ledger_response {
	const char *id;        /* record UUID */
	const char *household; /* household id, or "匿名" when anonymous */
	int anonymous;
	const char *region;    /* region code the response counts in */
	const char *region_name;
	const char *grid_name, *village_name, *township_name; /* NULL if n/a */
	const char *survey;    /* survey id */
	int survey_version;
	const char *survey_title; /* NULL if that version is not installed */
	const char *wave;
	const char *channel, *channel_label;
	const char *status, *status_label; /* complete|partial|abandoned */
	/* counted: the household's one counted response for this survey and
	 * wave (or a complete anonymous one).  duplicate: complete, but the
	 * household had an earlier complete response, which counts instead. */
	int counted, duplicate;
	long long started_at;
	long long completed_at; /* valid when has_completed */
	int has_completed;
	const char *device;
	/* "q1=2; q2=1,3" in the survey's question order ("" if none) */
	const char *answers;
};

typedef ax_rc (*ax_ledger_response_fn)(void *ctx,
                                       const struct ax_ledger_response *row);

/*
 * Call fn for every response in the scope (by the region it counts in)
 * whose completion time, or start time when it never completed, lies in
 * the window; filtered by q->survey, q->wave and q->channel; oldest
 * first.  q may be NULL.
 */
ax_rc ax_ledger_responses(ax_store *st, const struct ax_ledger_query *q,
                          ax_ledger_response_fn fn, void *ctx);

/* ---- households not yet reached (未覆盖户清单) -------------------------- */
struct ax_ledger_household {
	const char *id;
	const char *grid, *grid_name, *village_name, *township_name;
	int members;        /* -1 when the roster gave none */
	int nphones;
	const char *phones; /* masked, "138****0001, 139****0003"; "" if none */
	const char *head;    /* 户主, NULL when the roster gave none */
	const char *address; /* 住址 (门牌号), NULL when the roster gave none */
};

/* A name as roles above the grid see it: its first and last character
 * with a * for each between (张*明, 欧**明), 张* for two characters;
 * out holds at least 4 bytes per character of name plus one. */
void ax_name_mask(const char *name, char *out, size_t n);

typedef ax_rc (*ax_ledger_household_fn)(void *ctx,
                                        const struct ax_ledger_household *row);

/*
 * Call fn for every ACTIVE household in the scope that has no contact of
 * the qualifying kinds (q->contact_kinds; 0: AX_CK_DEFAULT, as the
 * coverage rate counts) and channel in the window, by grid then id: the
 * list a grid worker takes on the next round of visits.  Phone numbers
 * are masked (ax_phone_mask).  These are exactly the households the
 * coverage rate counts as not reached.
 */
ax_rc ax_ledger_unreached(ax_store *st, const struct ax_ledger_query *q,
                          ax_ledger_household_fn fn, void *ctx);

/*
 * Households found by id, 户主 (whole or its start) or the last four
 * digits of a phone, active, within scope (a user's scope list; NULL: all),
 * at most limit (0: all), by grid then id; phones masked.
 */
ax_rc ax_household_search(ax_store *st, const char *scope, const char *q,
                          int limit, ax_ledger_household_fn fn, void *ctx);


/* ---- recording visits ------------------------------------------------- */
/*
 * Record a door-to-door visit as a `visit` contact (channel visit, kind
 * visit) with a fresh random UUID, through the record importer, so it is
 * validated and stored exactly like a record from a device.
 *   household       roster id (borrowed)
 *   device_or_user  who recorded it: a device id or the visitor (borrowed;
 *                   1 to 64 bytes)
 *   at              epoch seconds of the visit; 0: now
 *   pack_or_null    pack id handed out or explained, or NULL
 *   id_out          gets the record's UUID (may be NULL)
 * A visit by the same device_or_user at the same household with the same
 * pack within AX_VISIT_SAME_SECS (10 minutes) of `at` is the same visit
 * (a double tap, a form sent again): nothing is stored and id_out gets
 * the earlier visit's id.
 * Returns AX_OK when stored; AX_INVALID when the importer rejected it
 * (unknown household, …: the reason is ax_store_errmsg); store errors
 * as usual.  Runs its own transaction.
 */
#define AX_VISIT_SAME_SECS 600
ax_rc ax_visit_record(ax_store *st, const char *household,
                      const char *device_or_user, long long at,
                      const char *pack_or_null, char id_out[37]);

/*
 * The same with the visit's id chosen by the phone that recorded it
 * (given_id: a UUID; NULL: a fresh one), so a visit queued offline and
 * sent again after a lost answer is stored once: an id stored before
 * with the same content is AX_OK with nothing new, as is the same visit
 * within AX_VISIT_SAME_SECS.  *stored (may be NULL) is 1 only when this
 * call stored it.  A given id stored with other content is AX_INVALID.
 */
ax_rc ax_visit_record_id(ax_store *st, const char *given_id,
                         const char *household, const char *device_or_user,
                         long long at, const char *pack_or_null,
                         char id_out[37], int *stored);

/*
 * Take back visit `id` (a wrong tap, the wrong household): only `user`,
 * who recorded it (its device), and only within a day of its arrival.
 * The visit moves whole to visits_undone with who undid it and when
 * (kept, never silently deleted) and counts nowhere from then on; a
 * record import of the same id is a duplicate.  household gets the
 * visit's household.  AX_NOTFOUND no such visit (or undone already),
 * AX_DENIED another user's or over a day old (a Chinese message on the
 * store).  Runs its own transaction.
 */
ax_rc ax_visit_undo(ax_store *st, const char *id, const char *user,
                    long long now, char household[64]);

struct ax_visits_opts {
	/* Recorded as the contact's device for rows that name no visitor
	 * (borrowed; NULL: "paper"). */
	const char *device;
	/* Name used in messages instead of the path (may be NULL). */
	const char *display_name;
	/* The sheet of an .xlsx visit list (NULL: the first). */
	const char *sheet;
};

struct ax_visits_stats {
	long rows;      /* data rows read */
	long accepted;  /* visits stored now */
	long duplicate; /* visits already stored (re-import, repeated row) */
	long conflict;  /* same visit stored before with other content */
	long rejected;  /* rows rejected, each named through diag */
	char encoding[16]; /* "UTF-8", "UTF-8 (BOM)", "GBK" */
};

/*
 * Import visits recorded on paper, from CSV as Excel writes it (UTF-8
 * with or without BOM, or GBK).  Columns, by header (Chinese or English,
 * compared like the roster's): 户号/household_id (required),
 * 走访日期/日期/date (required: YYYY-MM-DD, YYYY/M/D or YYYY年M月D日,
 * optionally followed by HH:MM[:SS]; China time), 走访人/visitor
 * (optional; stored as the contact's device, else opts->device),
 * 宣传内容/pack (optional: an installed pack's id or title).
 *
 * Each visit's UUID is derived from (household, visit time, visitor)
 * with a name-based UUID (SHA-1, RFC 4122 v5; the time as normalised, so
 * "2025/3/5" and "2025-03-05" are the same visit), so importing the same
 * file again stores nothing new: every row is a duplicate.  A row
 * repeated within the file is counted once, with a warning naming the
 * first line.  A date without a time is 00:00 China time.  Dates after
 * tomorrow are rejected as typing errors.
 *
 * Bad rows are reported through diag as "file:line: reason; row
 * rejected" and the good rows are kept, all in one transaction.  Returns
 * AX_OK even when rows were rejected (see stats); an error return means
 * nothing was imported (unreadable file, unknown encoding, missing
 * required column, store failure: see ax_store_errmsg).
 */
ax_rc ax_visits_import_csv(ax_store *st, const char *path,
                           const struct ax_visits_opts *opts, ax_diag_fn diag,
                           void *diag_ctx, struct ax_visits_stats *stats);

/* Same, from bytes in memory (borrowed); `name` is used in messages. */
ax_rc ax_visits_import_mem(ax_store *st, const char *name, const char *buf,
                           size_t len, const struct ax_visits_opts *opts,
                           ax_diag_fn diag, void *diag_ctx,
                           struct ax_visits_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
