/*
 * gwtest.h -- helpers shared by the gateway's end-to-end tests (after
 * testutil.h): replies dropped into libgammu's dummy modem inbox as
 * smsbackup files, the way the modem stores them (UTF-8 text as UCS-2BE
 * hex), and one-value queries on the gateway's store opened read-only.
 *
 * Header-only, everything static, as testutil.h: each test is one program.
 */
#ifndef AX_GW_TEST_H
#define AX_GW_TEST_H

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anxin/campaign.h"
#include "anxin/content.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "check.h"
#include "gateway.h"

/* A roster of two households in one grid of 439901101201, H1 on
 * 13800000001 and H2 on 13800000002. */
#define GWT_ROSTER2                                                            \
	"户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口\n"                    \
	"H1,439901101000,439901101201,439901101201001,13800000001,3\n"          \
	"H2,439901101000,439901101201,439901101201001,13800000002,2\n"

/* The gateway's clock in these tests: moved by hand (gw_set_clock). */
static long long gwt_now;
static inline long long gwt_clock(void *ctx)
{
	(void)ctx;
	return gwt_now;
}

/* The test's store (tu_path("anxin.db"), created) with the bundled
 * content ($ANXIN_SOURCE/content) and the roster csv (len bytes):
 * returned open, for the test to add campaigns. */
static inline ax_store *gwt_store(const char *csv, size_t len)
{
	ax_store *st;
	ax_content *c;
	char err[256], path[600];
	int nerr = 0;
	const char *src = getenv("ANXIN_SOURCE");
	REQUIRE(ax_store_open(tu_path("anxin.db"), AX_STORE_CREATE, &st, err,
	                      sizeof err) == AX_OK);
	snprintf(path, sizeof path, "%s/tests/content-v1", src ? src : ".");
	REQUIRE(ax_content_load_dir(path, NULL, NULL, &nerr, &c) == AX_OK);
	REQUIRE(ax_content_install(st, c, NULL) == AX_OK);
	ax_content_free(c);
	REQUIRE(ax_roster_import_mem(st, "roster.csv", csv, len, NULL, NULL, NULL,
	                             NULL) == AX_OK);
	return st;
}

/* A campaign of the satisfaction survey over scope, pace a minute (0: the
 * gateway's), created in the test's store: its id into id. */
static inline void gwt_survey_campaign(const char *name, const char *scope,
                                       long long from, long long to, int pace,
                                       char id[64])
{
	ax_store *st;
	struct ax_campaign camp;
	char err[256];
	REQUIRE(ax_store_open(tu_path("anxin.db"), 0, &st, err, sizeof err) == AX_OK);
	ax_campaign_defaults(&camp);
	snprintf(camp.name, sizeof camp.name, "%s", name);
	snprintf(camp.survey, sizeof camp.survey, "satisfaction");
	snprintf(camp.scope, sizeof camp.scope, "%s", scope);
	camp.starts_at = from;
	camp.ends_at = to;
	camp.pace_per_min = pace;
	REQUIRE(ax_campaign_create(st, &camp) == AX_OK);
	snprintf(id, 64, "%s", camp.id);
	ax_store_close(st);
}

/* UTF-8 to UCS-2 code units (UTF-16, as phones send it): how many. */
static inline int gwt_ucs2(const char *s, unsigned short *out, int cap)
{
	const unsigned char *p = (const unsigned char *)s;
	int n = 0;
	while (*p && n < cap) {
		unsigned c;
		if (*p < 0x80)
			c = *p++;
		else if ((*p & 0xe0) == 0xc0) {
			c = (unsigned)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
			p += 2;
		} else if ((*p & 0xf0) == 0xe0) {
			c = (unsigned)(p[0] & 0x0f) << 12 | (unsigned)(p[1] & 0x3f) << 6 |
			    (p[2] & 0x3f);
			p += 3;
		} else { /* outside the BMP: a surrogate pair, as phones send it */
			c = (unsigned)(p[0] & 0x07) << 18 | (unsigned)(p[1] & 0x3f) << 12 |
			    (unsigned)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
			p += 4;
			c -= 0x10000;
			if (n + 1 < cap)
				out[n++] = (unsigned short)(0xd800 | c >> 10);
			c = 0xdc00 | (c & 0x3ff);
		}
		out[n++] = (unsigned short)c;
	}
	return n;
}

static inline void gwt_hex(FILE *f, const char *s)
{
	unsigned short u[512];
	int i, n = gwt_ucs2(s, u, 512);
	for (i = 0; i < n; i++)
		fprintf(f, "%04X", u[i]);
}

/* A new smsbackup file from number in modem folder dir's inbox
 * (dir/sms/1), at its first free location, its header written up to the
 * number: the caller writes the rest and closes it. */
static inline FILE *gwt_new_part(const char *dir, const char *number)
{
	char path[600];
	FILE *f = NULL;
	int i;
	for (i = 1; i < 100000 && !f; i++) {
		snprintf(path, sizeof path, "%s/sms/1/%d", dir, i);
		if (access(path, F_OK) != 0)
			f = fopen(path, "w");
	}
	REQUIRE(f != NULL);
	fprintf(f, "[SMSBackup000]\nSMSC = \"+8613800100500\"\nState = UnRead\n"
	           "Number = \"%s\"\nNumberUnicode = ",
	        number);
	gwt_hex(f, number);
	fprintf(f, "\n");
	return f;
}

static inline int gwt_next_location(const char *dir)
{
	char path[400];
	int i;
	for (i = 1; i < 10000; i++) {
		snprintf(path, sizeof path, "%s/sms/1/%d", dir, i);
		if (access(path, F_OK) != 0)
			return i;
	}
	return -1;
}

static inline void gwt_hexline(FILE *f, const char *key, const unsigned short *u, int n)
{
	int i;
	fprintf(f, "%s = ", key);
	for (i = 0; i < n; i++)
		fprintf(f, "%04X", u[i]);
	fprintf(f, "\n");
}

/* One part file of a message from number in dir's inbox, n UCS-2 units;
 * stamp: "20260302T100500"; total > 1: part index of total, reference
 * ref (a concatenation UDH). */
static inline void gwt_write_part(const char *dir, const char *number, const char *stamp,
                       const unsigned short *u, int n, int ref, int total,
                       int index)
{
	char path[400];
	unsigned short num[32];
	int nn = gwt_ucs2(number, num, 32), loc = gwt_next_location(dir), k, line = 0;
	FILE *f;

	REQUIRE(loc > 0);
	snprintf(path, sizeof path, "%s/sms/1/%d", dir, loc);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fprintf(f, "[SMSBackup000]\n");
	fprintf(f, "SMSC = \"+8613800100500\"\n");
	fprintf(f, "State = UnRead\n");
	fprintf(f, "Number = \"%s\"\n", number);
	gwt_hexline(f, "NumberUnicode", num, nn);
	fprintf(f, "Name = \"\"\n");
	for (k = 0; k < n; k += 50) {
		char key[16];
		snprintf(key, sizeof key, "Text%02d", line++);
		gwt_hexline(f, key, u + k, n - k < 50 ? n - k : 50);
	}
	fprintf(f, "Coding = Unicode_No_Compression\n");
	fprintf(f, "Folder = 1\n");
	fprintf(f, "Length = %d\n", n);
	fprintf(f, "Class = -1\n");
	fprintf(f, "ReplySMSC = False\n");
	fprintf(f, "RejectDuplicates = False\n");
	fprintf(f, "ReplaceMessage = 0\n");
	fprintf(f, "MessageReference = 0\n");
	fprintf(f, "PDU = Deliver\n");
	fprintf(f, "DateTime = %s\n", stamp);
	if (total > 1)
		fprintf(f, "UDH = 050003%02X%02X%02X\n", ref, total, index);
	fclose(f);
}

/* A text message from number into modem folder dir's inbox.  The SMSC
 * time is distinct per message (it is part of the inbox's dedup key). */
static inline void gwt_inject(const char *dir, const char *number,
                              const char *text)
{
	static int stamp;
	unsigned short u[512];
	FILE *f = gwt_new_part(dir, number);
	fprintf(f, "Name = \"\"\nText00 = ");
	gwt_hex(f, text);
	fprintf(f, "\nCoding = Unicode_No_Compression\nFolder = 1\nLength = %d\n"
	           "Class = -1\nReplySMSC = False\nRejectDuplicates = False\n"
	           "ReplaceMessage = 0\nMessageReference = 0\nPDU = Deliver\n"
	           "DateTime = 202603%02dT%02d%02d%02d\n",
	        gwt_ucs2(text, u, 512), 2 + stamp / 86400, stamp / 3600 % 24,
	        stamp / 60 % 60, stamp % 60);
	stamp++;
	fclose(f);
}

/* A delivery report from number for message reference ref into modem
 * folder dir's inbox: TP-Status status (0 delivered, 0x40.. failed). */
static inline void gwt_inject_report(const char *dir, const char *number,
                                     int ref, int status)
{
	FILE *f = gwt_new_part(dir, number);
	fprintf(f, "Coding = Default_No_Compression\nFolder = 1\nLength = 0\n"
	           "Class = -1\nPDU = Status_Report\nMessageReference = %d\n"
	           "DeliveryStatus = %d\nDateTime = 20260303T090000\n"
	           "SMSCDateTime = 20260303T090000\n",
	        ref, status);
	fclose(f);
}

/* cfg loaded from a smsd.conf written in the test's folder: one dummy
 * modem in folder m0, the store tu_path("anxin.db"), device gw-test, and
 * the [smsd] lines extra ("" for none). */
static inline void gwt_config(struct gw_config *cfg, const char *m0,
                              const char *extra)
{
	char err[256];
	FILE *f = fopen(tu_path("smsd.conf"), "w");
	REQUIRE(f != NULL);
	fprintf(f, "[gammu]\nconnection = none\nmodel = dummy\ndevice = %s\n\n"
	           "[smsd]\nstore = %s\ndevice_id = gw-test\npoll_ms = 100\n%s",
	        m0, tu_path("anxin.db"), extra);
	fclose(f);
	gw_config_defaults(cfg);
	REQUIRE(gw_config_load(tu_path("smsd.conf"), cfg, err, sizeof err) == AX_OK);
}

/* The usual start of a test: the scratch folder, modem folder m0 (300
 * bytes), the store with the roster csv, a satisfaction campaign over
 * scope at 60 a minute from a day before t0 for 30 days (its id into
 * camp), smsd.conf with extra, the gateway opened on gwt_clock. */
static inline gw_gateway *gwt_setup(struct gw_config *cfg, char *m0,
                                    const char *csv, size_t len,
                                    const char *scope, long long t0,
                                    char camp[64], const char *extra)
{
	gw_gateway *g;
	char err[256];
	tu_init();
	snprintf(m0, 300, "%s", tu_path("m0"));
	mkdir(m0, 0755);
	ax_store_close(gwt_store(csv, len));
	gwt_survey_campaign("满意度测评", scope, t0 - 86400, t0 + 30 * 86400, 60,
	                    camp);
	gwt_config(cfg, m0, extra);
	REQUIRE(gw_open(cfg, &g, err, sizeof err) == AX_OK);
	gw_set_clock(g, gwt_clock, NULL);
	gwt_now = t0;
	return g;
}

/* At t: twice the gateway's step and modem 0's cycle, so the replies the
 * modem holds are read, processed, and what they queued is sent. */
static inline void gwt_round(gw_gateway *g, long long t)
{
	int k;
	gwt_now = t;
	for (k = 0; k < 2; k++) {
		if (gw_step(g) != AX_OK)
			fprintf(stderr, "step: %s\n", gw_errmsg(g));
		gw_modem_cycle(g, 0);
	}
}

/* The first column of the first row of sql on the store at path, with ?1
 * bound to a (when not NULL); -1 when there is no row. */
static inline long long gwt_q1(const char *path, const char *sql, const char *a)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	long long v = -1;
	REQUIRE(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) == SQLITE_OK) {
		if (a)
			sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
		if (sqlite3_step(q) == SQLITE_ROW)
			v = sqlite3_column_int64(q, 0);
		sqlite3_finalize(q);
	} else {
		fprintf(stderr, "sql: %s: %s\n", sql, sqlite3_errmsg(db));
	}
	sqlite3_close(db);
	return v;
}

#endif
