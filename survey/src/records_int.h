/*
 * records_int.h -- the importer's state, shared by records.c (validating
 * and storing records) and tally.c (the counts behind every rate).
 */
#ifndef ANXIN_RECORDS_INT_H
#define ANXIN_RECORDS_INT_H

#include "anxin/records.h"
#include "anxin/response.h"
#include "anxin_int.h"
#include "db.h"

/* ---- tally deltas -----------------------------------------------------
 * A hash table of (key, day) -> sums that grows with the batch: a file
 * import of 50,000 records gathers ~90,000 entries, so a fixed table
 * would turn every lookup into a walk of a long chain. */
struct tally {
	struct tally *next; /* same bucket */
	struct tally *all;  /* every entry, for flushing and clearing */
	unsigned hash;
	long long den, num;
	double score;
	int day;
	char key[]; /* region \x1f survey \x1f wave \x1f channel \x1f metric */
};

enum {
	S_INS_RESP, S_GET_RESP, S_HH, S_REGION, S_COUNTED,
	S_SET_COUNTED, S_INS_CONTACT, S_GET_CONTACT,
	S_INS_CONFLICT, S_CAMPAIGNS,
	S_INS_OPTOUT, S_GET_OPTOUT, S_PHONE_HH, S_TALLY, S_TALLY_TOTAL,
	S_SURVEYS_FP, S_LOCK_HH, S_NSTMT
	/* all through the statement layer (db.h): the same on SQLite and
	 * PostgreSQL */
};

/* statement i of the importer (NULL past the last), for the test that
 * prepares them on PostgreSQL */
const char *ax__importer_sql(int i);

/* The day of tally entries that go to tally_total (all days). */
#define TOTAL_DAY (-2147483647)

/* A bound value of a statement: 'n' NULL, 'i' integer, 'd' double, 't'
 * text (records_pending.c) */
struct ax__val {
	char type;
	int64_t i;
	double d;
	char *s;
};
/* rows queued for one table: n values, the table's width a row */
struct ax__pend {
	struct ax__val *v;
	size_t n, cap;
};
enum { AX__PEND_RESP, AX__PEND_CONTACT, AX__PEND_N };

struct hh_memo;
struct ax_camp;
struct ax_importer {
	ax_store *st;
	ax_content *surveys;
	struct ax_stmt *t[S_NSTMT];
	/* tally upserts of AX__CHUNK_ROWS[j] rows at once, per table (0 tally,
	 * 1 tally_total), and household lookups of as many ids (2), prepared
	 * on first use */
	struct ax_stmt *tm[11][4]; /* 3: household locks, 4: counted
	                           * responses, 5: regions, 6-8: stored
	                           * response, contact and undone-visit ids,
	                           * 9-10: queued responses and contacts */
	struct ax__pend pend[AX__PEND_N]; /* records_pending.c */
	/* households the batch named, locked, their counted responses read
	 * (records_prefetch.c): a hash table, cmn buckets */
	struct ax__cmemo **cm, *call;
	size_t cmn, cmcount;
	struct tally **tb;   /* tally buckets, tbn of them (a power of two) */
	size_t tbn, tcount;
	struct tally *tall;  /* every tally entry */
	int in_tx;
	long long received_at;
	int fixed_received;
	ax_record_check_fn check;
	void *check_ctx;
	int unseal;          /* key pairs to open sealed numbers with */
	unsigned char pk[AX_UNSEAL_KEYS][32], sk[AX_UNSEAL_KEYS][32];
	char surveys_fp[64]; /* which installed surveys are loaded */
	long long skew;      /* device clock minus server clock, seconds */
	struct hh_memo *hm;  /* households looked up in this transaction */
	size_t hmn, hmcount; /* slots (a power of two), entries */
	unsigned hmgen;      /* entries of other generations are empty slots */
	struct ax_camp *camps; /* the campaigns, read once per transaction */
	size_t ncamps;
	int camps_loaded;
	int has_dev;         /* records are bound to dev (records_device.c) */
	struct ax_rec_device dev;
};

/* ---- records_device.c: records bound to the device that sent them ------
 * Each returns 0, or -1 with the reason in reason[256]. */
/* device name, channel/kind for the device's kind, household naming */
int ax__dev_fields(const ax_importer *im, const char *device,
                   const char *channel, const char *kind, int names_household,
                   int has_sealed, char *reason);
/* a record time (server clock) within registration .. now + max_ahead */
int ax__dev_time(const ax_importer *im, const char *field, int64_t t,
                 char *reason);
/* the wave is a campaign's of this survey */
int ax__dev_wave(ax_importer *im, const char *survey, const char *wave,
                 char *reason);
/* may one more sealed number be opened (the device's daily budget,
 * counted in the store): 1 yes (counted), 0 no or on a store error */
int ax__dev_may_unseal(ax_importer *im);
/* A file import's record names device `name`: bind the importer to it
 * when it is registered (devs, n: the store's devices), unbind it when
 * not; -1 with the reason when it is revoked. */
struct ax_device;
int ax__dev_bind_named(ax_importer *im, const struct ax_device *devs, int n,
                       const char *name, char *reason);

/* ---- records_prefetch.c: many rows a statement --------------------------
 * n items with the fewest statements: as many of AX__CHUNK_ROWS's largest
 * as fit, then the smaller ones (the last is 1).  Statement j (of rows[j]
 * rows) is stmts[j], made from sql(ctx, rows) on first use; bind(s, r, i,
 * ctx) binds item i as the statement's row r; row(s, ctx), when not NULL,
 * reads each result row.  AX_OK, or the store's error (what names it). */
#define AX__CHUNK_ROWS {256, 32, 4, 1}
struct ax__chunks {
	struct ax_stmt **stmts; /* [4] */
	char *(*sql)(const void *ctx, int rows); /* malloc'd */
	void (*bind)(struct ax_stmt *s, int r, size_t i, const void *ctx);
	void (*row)(struct ax_stmt *s, void *ctx);
	void *ctx;
	const char *what;
	long long *changes; /* when not NULL: rows written, added up */
};
ax_rc ax__chunks_run(ax_importer *im, const struct ax__chunks *c, size_t n);
/* A household's counted response for a survey and wave, as the responses
 * row holds it (records.c's find_counted reads the same). */
struct ax__counted_row {
	char id[64], region[64], channel[16];
	int64_t completed;
	int day, has_sat, sat;
	double score;
	char *topics; /* NULL: none */
};
/* forget what the prefetch read (begin, commit, rollback, free) */
void ax__cmemo_clear(ax_importer *im);
/* 1 when hh was locked and its counted responses read in this
 * transaction: ax__cmemo_get answers for it, no lock to take */
int ax__cmemo_known(ax_importer *im, const char *hh);
/* 1 when the prefetch found region code in the store (0: ask it) */
int ax__cmemo_region(ax_importer *im, const char *code);
/* hh's counted response for (survey, wave), NULL none */
const struct ax__counted_row *ax__cmemo_get(ax_importer *im, const char *hh,
                                            const char *survey,
                                            const char *wave);
/* a known household's newly counted response for (survey, wave); on no
 * memory hh is forgotten (its next record asks the store) */
void ax__cmemo_set(ax_importer *im, const char *hh, const char *survey,
                   const char *wave, const struct ax__counted_row *row);
/* Whether record id is stored in table AX__PEND_RESP (responses) or
 * AX__PEND_CONTACT (contacts and undone visits), as the prefetch read it
 * after the batch's locks, with the rows queued since: 1 known (*body the
 * stored or queued body, NULL none), 0 not read (ask the store). */
int ax__idmemo(ax_importer *im, int table, const char *id, const char **body);
/* a known id now queued with body; -1 when out of memory */
int ax__idmemo_set(ax_importer *im, int table, const char *id,
                   const char *body);

/* ---- records_pending.c: new rows written at the batch's end ------------ */
/* bind v[0..n-1] to parameters first, first + 1, ... */
void ax__vals_bind(struct ax_stmt *s, int first, const struct ax__val *v,
                   int n);
/* queue a row of table (18 values of S_INS_RESP, 9 of S_INS_CONTACT, in
 * parameter order), strings copied; -1 when out of memory */
int ax__pend_add(ax_importer *im, int table, const struct ax__val *v);
/* write the queued rows; AX_BUSY when one was stored meanwhile by another
 * server (the batch must roll back) */
ax_rc ax__pend_flush(ax_importer *im);
void ax__pend_clear(ax_importer *im);
void ax__pend_free(ax_importer *im);

/* remember a household's grid for this transaction (records.c) */
/* households seen in this transaction (records_memo.c) */
struct hh_memo {
	unsigned gen, hash;
	char id[64], grid[64];
};
struct hh_memo *ax__hh_memo_find(ax_importer *im, const char *hh);
void ax__hh_memo_put(ax_importer *im, const char *hh, const char *grid);
int ax__hh_memo_has(ax_importer *im, const char *hh);
void ax__hh_memo_clear(ax_importer *im);

/* ---- records_camp.c: the campaigns, read once per transaction ---------- */
/* forget them (begin, commit, rollback, free) */
void ax__camps_clear(ax_importer *im);
/* the wave of the one campaign of survey whose window holds at and whose
 * scope covers place into out: 1, or 0 when none or several do (or on a
 * store error) */
int ax__camp_wave(ax_importer *im, const char *survey, const char *place,
                  int64_t at, char out[64]);
/* 1 when wave is the wave of a campaign of survey, else 0 */
int ax__camp_has_wave(ax_importer *im, const char *wave, const char *survey);
/* 1 when wave's campaign was closed before t, 0 not, -1 on a store error */
int ax__camp_closed_before(ax_importer *im, const char *wave, int64_t t);

/* ---- tally.c ---------------------------------------------------------- */
/* Drop every gathered delta (rollback, or after a flush). */
void ax__tally_clear(ax_importer *im);
/* Upsert the gathered deltas into tally and tally_total, in key order. */
ax_rc ax__tally_flush(ax_importer *im);
/* Add (sign +1) or remove (-1) a counted response's results; -1 when out
 * of memory. */
int ax__tally_response(ax_importer *im, int sign, const char *region,
                       const char *survey, const char *wave,
                       const char *channel, int day,
                       const struct ax_derived *d);
/* Call fn for each metric a counted response adds to the tally (sign
 * +1) or takes back (-1), with its signed den, num and score; stops at
 * fn's first non-zero return and returns -1.  The one mapping of a
 * response's results to metric names, for the importer and the report. */
typedef int (*ax__metric_fn)(void *ctx, const char *metric, long long den,
                             long long num, double score);
int ax__derived_metrics(const struct ax_derived *d, int sign,
                        ax__metric_fn fn, void *ctx);
/* A complete response set aside, not counted: metric "fast" (flag
 * "fast") or "repeat" (flag "repeat"), den 1.  -1 when out of memory. */
int ax__tally_set_aside(ax_importer *im, const char *region,
                        const char *survey, const char *wave,
                        const char *channel, int day, const char *why);
/* "topic:1,topic:0" for the response row, and back (names copied into
 * store). */
#define AX__RESULT_NAMES (AX_RESP_MAX_TOPICS + AX_RESP_MAX_RATES)
void ax__topics_format(const struct ax_derived *d, char *buf, size_t n);
void ax__topics_parse(const char *s, struct ax_derived *d,
                      char store[AX__RESULT_NAMES][40]);

#endif
