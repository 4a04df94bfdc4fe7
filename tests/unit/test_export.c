/*
 * test_export.c -- the ledger workbook (XLSX) and the contacts CSV of
 * central/export.c.
 *
 * A small store (3 grids, 5 households, bundled content, a few records
 * through ax_importer) is exported; the workbook must be a valid zip
 * with the three sheets, whose XML holds the Chinese headers, the
 * household ids, Excel date-times in China time, frozen header rows and
 * autofilters, and empty cells where a rate has no denominator.  The XML
 * is read with `unzip -p` (exit 77, skipped, when unzip is missing).
 *
 * Eight anonymous 群众安全感和满意度测评 (safety-ceping) answers in 柳村一格
 * bring its further rates and 说不清 answers; their figures are counted by
 * hand from the record lines (table at safety[] below), not by the code
 * under test, and must reach 汇总's 安全感 ... columns.
 *
 * Strings are inline in each sheet's XML (t="inlineStr"), not in
 * xl/sharedStrings.xml: the export runs in libxlsxwriter's constant-
 * memory mode so a county's ledger never sits in memory whole.
 */
#include <sys/stat.h>

#include "anxin/content.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/store.h"
#include "export.h"
#include "testutil.h"
#include "../pg/pgtest.h"

#define T1 "439901001000"
#define T2 "439901002000"
#define V1 "439901001001"
#define V2 "439901002001"
#define G1 "439901001001001"
#define G2 "439901001001002"
#define G3 "439901002001001"

static const char roster[] =
	"户号,乡镇,乡镇代码,村（社区）,村（社区）代码,网格,网格代码,联系电话,人口\n"
	"H1,城关街道," T1 ",府前社区," V1 ",第一网格," G1 ",13800138001,3\n"
	"H2,城关街道," T1 ",府前社区," V1 ",第一网格," G1 ",13800138002,2\n"
	"H3,城关街道," T1 ",府前社区," V1 ",第二网格," G2 ",13800138003,4\n"
	"H4,河西镇," T2 ",柳村," V2 ",柳村一格," G3 ",13800138004,1\n"
	"H5,河西镇," T2 ",柳村," V2 ",柳村一格," G3 ",13800138005,2\n";

#define RIGHT "{\"q1\":\"2\",\"q2\":\"1\",\"q3\":\"2\",\"q4\":\"3\",\"q5\":\"4\"}"
static const char *const records[] = {
	"{\"type\":\"contact\",\"id\":\"c0000000-0000-4000-8000-000000000001\","
	"\"household\":\"H1\",\"channel\":\"sms\",\"kind\":\"sms_delivered\","
	"\"pack\":\"anti-drug\",\"device\":\"dev-1\",\"at\":\"2026-11-01T09:00:30+08:00\"}",
	"{\"type\":\"contact\",\"id\":\"c0000000-0000-4000-8000-000000000002\","
	"\"household\":\"H2\",\"channel\":\"sms\",\"kind\":\"sms_sent\","
	"\"pack\":\"anti-drug\",\"device\":\"dev-1\",\"at\":\"2026-11-01T09:01:00+08:00\"}",
	"{\"type\":\"contact\",\"id\":\"c0000000-0000-4000-8000-000000000003\","
	"\"household\":\"H3\",\"channel\":\"kiosk\",\"kind\":\"kiosk_session\","
	"\"pack\":\"anti-fraud\",\"device\":\"kiosk-1\",\"at\":\"2026-11-02T10:00:00+08:00\"}",
	/* a device name Excel would run as a formula */
	"{\"type\":\"contact\",\"id\":\"c0000000-0000-4000-8000-000000000004\","
	"\"household\":\"H4\",\"channel\":\"visit\",\"kind\":\"visit\","
	"\"device\":\"=HYPERLINK(1)\",\"at\":\"2026-11-03T15:00:00+08:00\"}",
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000001\","
	"\"survey\":\"aware-anti-drug\",\"survey_version\":1,\"channel\":\"sms\","
	"\"device\":\"gw-1\",\"household\":\"H1\",\"started_at\":"
	"\"2026-11-02T09:50:00+08:00\",\"completed_at\":\"2026-11-02T10:00:00+08:00\","
	"\"status\":\"complete\",\"answers\":" RIGHT "}",
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000002\","
	"\"survey\":\"aware-anti-drug\",\"survey_version\":1,\"channel\":\"kiosk\","
	"\"device\":\"kiosk-1\",\"household\":\"H1\",\"started_at\":"
	"\"2026-11-03T09:50:00+08:00\",\"completed_at\":\"2026-11-03T10:00:00+08:00\","
	"\"status\":\"complete\",\"answers\":" RIGHT "}",
	"{\"type\":\"response\",\"id\":\"e0000000-0000-4000-8000-000000000003\","
	"\"survey\":\"aware-anti-drug\",\"survey_version\":1,\"channel\":\"kiosk\","
	"\"device\":\"kiosk-1\",\"household\":null,\"region\":\"" G1 "\","
	"\"started_at\":\"2026-11-03T11:50:00+08:00\",\"completed_at\":"
	"\"2026-11-03T12:00:00+08:00\",\"status\":\"complete\",\"answers\":" RIGHT "}",
};

/*
 * safety-ceping, anonymous at the kiosk in 柳村一格 (G3), by hand:
 *   S  q safety   q patrol   q patrol_sat   q overall (满意度)
 *   1  1 很安全    1 知道     1 很满意        1 很满意 (5)
 *   2  2 安全      1          6 说不清        2 满意   (4)
 *   3  6 说不清    2 不知道   -               6 说不清
 *   4  4 不太安全  1          2 满意          3 基本满意 (3)
 *   5  3 基本安全  2          -               1 很满意 (5)
 *   6  6 说不清    1          4 不太满意      4 不太满意 (2)
 *   7  6 说不清    2          -               6 说不清
 *   8  2 安全      1          1 很满意        2 满意   (4)
 *
 *   安全感 (1-3 positive, 6 说不清): den S1 S2 S4 S5 S8 = 5, num S1 S2 S5
 *     S8 = 4: 0.8; 说不清 S3 S6 S7 = 3.  Wilson 95 %, z = 1.959964:
 *     centre (0.8 + z²/10) / (1 + z²/5) = 0.669655, half
 *     z·sqrt(0.8·0.2/5 + z²/100) / (1 + z²/5) = 0.294120, so
 *     [0.375535, 0.963776]; n < 30 and 0.8 < 0.9: not met (否).
 *   满意度 (1-2, 6 说不清): den 6, num S1 S2 S5 S8 = 4; 说不清 S3 S7 = 2;
 *     mean (5+4+3+5+2+4)/6 = 3.8333.
 *   巡逻队满意度: answered S1 S2 S4 S6 S8, S2 说不清: num 3 / den 4 = 0.75,
 *     说不清 1.   巡逻队知晓率: 5/8 = 0.625, 说不清 0.
 */
#define SAFE(n, a)                                                       \
	"{\"type\":\"response\",\"id\":\"5afe0000-0000-4000-8000-00000000000" #n \
	"\",\"survey\":\"safety-ceping\",\"survey_version\":1,\"channel\":"   \
	"\"kiosk\",\"device\":\"kiosk-2\",\"household\":null,\"region\":\"" G3  \
	"\",\"started_at\":\"2026-11-05T10:0" #n ":00+08:00\",\"completed_at\":" \
	"\"2026-11-05T10:0" #n ":50+08:00\",\"status\":\"complete\",\"answers\":" \
	a "}"
static const char *const safety[] = {
	SAFE(1, "{\"safety\":\"1\",\"patrol\":\"1\",\"patrol_sat\":\"1\",\"overall\":\"1\"}"),
	SAFE(2, "{\"safety\":\"2\",\"patrol\":\"1\",\"patrol_sat\":\"6\",\"overall\":\"2\"}"),
	SAFE(3, "{\"safety\":\"6\",\"patrol\":\"2\",\"overall\":\"6\"}"),
	SAFE(4, "{\"safety\":\"4\",\"patrol\":\"1\",\"patrol_sat\":\"2\",\"overall\":\"3\"}"),
	SAFE(5, "{\"safety\":\"3\",\"patrol\":\"2\",\"overall\":\"1\"}"),
	SAFE(6, "{\"safety\":\"6\",\"patrol\":\"1\",\"patrol_sat\":\"4\",\"overall\":\"4\"}"),
	SAFE(7, "{\"safety\":\"6\",\"patrol\":\"2\",\"overall\":\"6\"}"),
	SAFE(8, "{\"safety\":\"2\",\"patrol\":\"1\",\"patrol_sat\":\"1\",\"overall\":\"2\"}"),
};

static ax_store *st;
static ax_store *seed; /* the SQLite store: st itself, or st's source */

static void import_lines(ax_importer *im, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ax_rec_outcome out;
		REQUIRE(ax_importer_line(im, lines[i], strlen(lines[i]), "test",
		                         &out) == AX_OK);
		if (out.result != AX_REC_ACCEPTED)
			fprintf(stderr, "record %zu: %s\n", i, out.reason);
		CHECK_INT(out.result, AX_REC_ACCEPTED);
	}
}

/* urlfile: NULL on SQLite, else the pg fixture's (the store copied there
 * once the data is in) */
static void setup(const char *urlfile)
{
	char err[256] = "", dir[512];
	const char *src = getenv("ANXIN_SOURCE");
	struct tu_diag d = {0};
	ax_importer *im = NULL;
	ax_content *c = NULL;
	int nerr = -1;

	REQUIRE(src != NULL);
	if (ax_store_open(tu_path("store.db"), AX_STORE_CREATE, &seed, err,
	                  sizeof err))
		fprintf(stderr, "%s\n", err);
	REQUIRE(seed != NULL);
	REQUIRE(ax_roster_import_mem(seed, "roster.csv", roster, sizeof roster - 1,
	                             NULL, tu_diag_fn, &d, NULL) == AX_OK);
	CHECK_INT(d.n, 0);
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src);
	REQUIRE(ax_content_load_dir(dir, tu_diag_fn, &d, &nerr, &c) == AX_OK);
	CHECK_INT(nerr, 0);
	REQUIRE(ax_content_install(seed, c, NULL) == AX_OK);
	ax_content_free(c);
	tu_diag_clear(&d);

	REQUIRE(ax_importer_new(seed, &im) == AX_OK);
	REQUIRE(ax_importer_begin(im) == AX_OK);
	import_lines(im, records, sizeof records / sizeof records[0]);
	import_lines(im, safety, sizeof safety / sizeof safety[0]);
	REQUIRE(ax_importer_commit(im) == AX_OK);
	ax_importer_free(im);
	st = pgt_store(seed, urlfile, "anxin_export");
}

/* ---- reading the zip -------------------------------------------------- */
/* Output of a shell command (caller frees); NULL if it failed. */
static char *run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *run(const char *fmt, ...)
{
	char cmd[1024], *buf = NULL;
	size_t len = 0, cap = 0, n;
	va_list ap;
	FILE *p;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	REQUIRE((p = popen(cmd, "r")) != NULL);
	do {
		if (len + 4097 > cap) {
			cap = cap ? cap * 2 : 65536;
			REQUIRE((buf = realloc(buf, cap)) != NULL);
		}
		n = fread(buf + len, 1, cap - len - 1, p);
		len += n;
	} while (n > 0);
	buf[len] = '\0';
	if (pclose(p) != 0) {
		fprintf(stderr, "command failed: %s\n", cmd);
		free(buf);
		return NULL;
	}
	return buf;
}

static char *member(const char *zip, const char *name)
{
	char *s = run("unzip -p '%s' '%s'", zip, name);
	REQUIRE(s != NULL);
	return s;
}

#define HAS(hay, needle)                                                     \
	do {                                                                     \
		check_count++;                                                       \
		if (!strstr((hay), (needle))) {                                      \
			check_failures++;                                                \
			fprintf(stderr, "%s:%d: missing \"%s\"\n", __FILE__, __LINE__,  \
			        (needle));                                               \
		}                                                                    \
	} while (0)
#define HASNT(hay, needle)                                                   \
	do {                                                                     \
		check_count++;                                                       \
		if (strstr((hay), (needle))) {                                       \
			check_failures++;                                                \
			fprintf(stderr, "%s:%d: unexpected \"%s\"\n", __FILE__,         \
			        __LINE__, (needle));                                     \
		}                                                                    \
	} while (0)

/* ---- the workbook ----------------------------------------------------- */
static void test_xlsx(void)
{
	struct ax_report_opts o = {0};
	char err[256] = "x", head[4] = {0};
	const char *path = tu_path("ledger.xlsx");
	char *list, *wb, *s1, *s2, *s3, *styles;
	FILE *f;

	o.depth = 4;
	CHECK_INT(ax_export_xlsx(st, &o, path, err, sizeof err), 0);
	CHECK_STR(err, "");
	REQUIRE((f = fopen(path, "rb")) != NULL);
	CHECK(fread(head, 1, 4, f) == 4 && memcmp(head, "PK\x03\x04", 4) == 0);
	fclose(f);
	list = run("unzip -Z1 '%s'", path);
	REQUIRE(list != NULL);
	HAS(list, "xl/worksheets/sheet1.xml\n");
	HAS(list, "xl/worksheets/sheet2.xml\n");
	HAS(list, "xl/worksheets/sheet3.xml\n");
	HAS(list, "xl/worksheets/sheet4.xml\n"); /* 未达标清单 */
	HASNT(list, "xl/worksheets/sheet5.xml");
	free(list);
	/* 未达标清单, by hand: coverage 第一网格 1/2 (H1 of H1 H2), 柳村 and
	 * 柳村一格 1/2 (H4 of H4 H5), 府前社区 2/3; 第二网格 1/1 is met and
	 * has no answers.  Lowest first, ties by code. */
	s1 = member(path, "xl/worksheets/sheet4.xml");
	HASNT(s1, ">" G2 "<");
	CHECK(strstr(s1, ">" G1 "<") && strstr(s1, ">" G1 "<") < strstr(s1, ">" V2 "<") &&
	      strstr(s1, ">" V2 "<") < strstr(s1, ">" G3 "<") &&
	      strstr(s1, ">" G3 "<") < strstr(s1, ">" V1 "<"));
	free(s1);
	list = run("unzip -tq '%s'", path); /* every member's CRC checks */
	CHECK(list != NULL);
	free(list);

	wb = member(path, "xl/workbook.xml");
	HAS(wb, "name=\"汇总\"");
	HAS(wb, "name=\"入户宣传明细\"");
	HAS(wb, "name=\"问卷结果\"");
	/* the autofilters are defined names */
	HAS(wb, "_xlnm._FilterDatabase");
	free(wb);
	styles = member(path, "xl/styles.xml");
	HAS(styles, "formatCode=\"0.0%\"");
	HAS(styles, "formatCode=\"yyyy-mm-dd hh:mm:ss\"");
	free(styles);

	/* 汇总: county, 城关街道, 府前社区, 第一网格, 第二网格, 河西镇, 柳村,
	 * 柳村一格 on rows 2-9; column H is 知晓率(禁毒) (coverage, a full
	 * count, has no interval columns) */
	s1 = member(path, "xl/worksheets/sheet1.xml");
	HAS(s1, "t=\"inlineStr\"");
	HAS(s1, ">代码<");
	HAS(s1, ">宣传入户率<");
	HASNT(s1, ">入户率下限<");
	HASNT(s1, ">入户率上限<");
	HAS(s1, ">知晓率(禁毒)<");
	HAS(s1, ">满意度平均分<");
	HAS(s1, ">第二网格<");
	HAS(s1, "95%威尔逊");
	HAS(s1, "样本不足");
	HAS(s1, "<pane ySplit=\"1\"");
	HAS(s1, "<autoFilter ref=\"A1:");
	HAS(s1, "<c r=\"H2\"");  /* county: 3 of 3 aware */
	HAS(s1, "<c r=\"H5\"");  /* 第一网格 */
	HASNT(s1, "<c r=\"H6\""); /* 第二网格: nobody answered, no rate */
	HAS(s1, "<c r=\"F6\"");  /* but its coverage is 1 of 1 */
	HAS(s1, "<c r=\"G6\"><v>0</v></c>"); /* 答卷数 0 */
	HAS(s1, "<cols>");
	HAS(s1, "<c r=\"E2\"><v>3</v></c>"); /* county 已覆盖户: H1 H3 H4 */
	free(s1);

	/* 入户宣传明细: all four contacts, oldest first */
	s2 = member(path, "xl/worksheets/sheet2.xml");
	HAS(s2, ">户号<");
	HAS(s2, ">宣传内容<");
	HAS(s2, ">记录编号<");
	HAS(s2, ">H1<");
	HAS(s2, ">H2<");
	HAS(s2, ">H3<");
	HAS(s2, ">H4<");
	HASNT(s2, ">H5<");
	HAS(s2, ">短信已送达<");
	HAS(s2, ">短信已发送<");
	HAS(s2, ">一体机<");
	HAS(s2, ">入户走访<");
	HAS(s2, ">禁毒<");
	HAS(s2, ">反电信网络诈骗<");
	HAS(s2, ">=HYPERLINK(1)<"); /* a string, never a formula */
	HASNT(s2, "<f>");
	/* 2026-11-01 09:00:30 China time as an Excel serial date */
	HAS(s2, "<v>46327.375347222");
	HAS(s2, "<pane ySplit=\"1\"");
	HAS(s2, "<autoFilter ref=\"A1:K5\"/>");
	/* 计入 by hand: H1 delivered, H3 kiosk, H4 visit count; H2's send
	 * alone does not -- 3 rows, 汇总's 已覆盖户 for the county (E2) */
	HAS(s2, ">计入<");
	HAS(s2, ">不计入（仅发送未送达）<");
	HAS(s2, "合计 4 条：计入 3 条");
	HAS(s2, "<cols>");
	CHECK(strstr(s2, ">H1<") < strstr(s2, ">H2<") &&
	      strstr(s2, ">H2<") < strstr(s2, ">H3<") &&
	      strstr(s2, ">H3<") < strstr(s2, ">H4<"));
	free(s2);

	/* 问卷结果 */
	s3 = member(path, "xl/worksheets/sheet3.xml");
	HAS(s3, ">答案<");
	HAS(s3, ">匿名<");
	HAS(s3, ">q1=2; q2=1; q3=2; q4=3; q5=4<");
	HAS(s3, ">计入<");
	HAS(s3, ">重复(不计)<");
	HAS(s3, "<autoFilter ref=\"A1:Q12\"/>"); /* 3 + 8 safety-ceping */
	free(s3);

	/* a township's ledger: its contacts only */
	o.scope = T1;
	o.depth = 1;
	CHECK_INT(ax_export_xlsx(st, &o, path, err, sizeof err), 0);
	s2 = member(path, "xl/worksheets/sheet2.xml");
	HAS(s2, ">H3<");
	HASNT(s2, ">H4<");
	free(s2);
	s1 = member(path, "xl/worksheets/sheet1.xml");
	HAS(s1, ">城关街道<");
	HAS(s1, ">府前社区<");
	HASNT(s1, ">第一网格<"); /* depth 1 */
	free(s1);

	/* no options: the county, all time */
	CHECK_INT(ax_export_xlsx(st, NULL, path, err, sizeof err), 0);
}

/* ---- further rates in 汇总 ------------------------------------------ */
/* The column letters of the header cell reading exactly `title` ("" if
 * none): found by name, so the test does not lean on the order the
 * report gives its rates. */
static void col_of(const char *sheet, const char *title, char *out, size_t n)
{
	char needle[160];
	const char *p = sheet, *hit;

	out[0] = '\0';
	snprintf(needle, sizeof needle, "<is><t>%s</t></is>", title);
	while ((hit = strstr(p, needle))) {
		const char *c = hit;
		while (c > sheet && strncmp(c, "<c r=\"", 6) != 0)
			c--;
		c += 6;
		size_t k = strspn(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
		if (c[k] == '1' && c[k + 1] == '"' && k < n) { /* row 1 */
			memcpy(out, c, k);
			out[k] = '\0';
			return;
		}
		p = hit + 1;
	}
}

/* The value of cell col+row: a number's <v> or an inline string; "" if
 * the cell is absent. */
static void cell_of(const char *sheet, const char *col, int row, char *out,
                    size_t n)
{
	char needle[32];
	const char *c, *v, *end;

	out[0] = '\0';
	snprintf(needle, sizeof needle, "<c r=\"%s%d\"", col, row);
	if (!col[0] || !(c = strstr(sheet, needle)))
		return;
	end = strstr(c, "</c>");
	if ((v = strstr(c, "<v>")) && v < end)
		v += 3;
	else if ((v = strstr(c, "<t>")) && v < end)
		v += 3;
	else
		return;
	snprintf(out, n, "%.*s", (int)(strcspn(v, "<")), v);
}

/* The cell under header `title` in row `row`, as text. */
static const char *value(const char *sheet, const char *title, int row)
{
	static char buf[8][64];
	static int next;
	char col[8];
	char *out = buf[next++ % 8];

	col_of(sheet, title, col, sizeof col);
	if (!col[0]) {
		fprintf(stderr, "汇总 has no column %s\n", title);
		snprintf(out, 64, "(no column %s)", title);
		return out;
	}
	cell_of(sheet, col, row, out, 64);
	return out;
}

/* The style index (s="N") of the cell under `title` in row `row`. */
static const char *style(const char *sheet, const char *title, int row)
{
	static char buf[4][16];
	static int next;
	char col[8], needle[32];
	char *out = buf[next++ % 4];
	const char *c, *a;

	out[0] = '\0';
	col_of(sheet, title, col, sizeof col);
	snprintf(needle, sizeof needle, "<c r=\"%s%d\"", col, row);
	if (col[0] && (c = strstr(sheet, needle)) && (a = strstr(c, " s=\"")) &&
	    a < strchr(c, '>'))
		snprintf(out, 16, "%.*s", (int)strcspn(a + 4, "\""), a + 4);
	return out;
}

/* v starts with prefix: a double's 0.375534629... against a hand figure */
#define HAS_PREFIX(v, prefix) CHECK(strncmp((v), (prefix), strlen(prefix)) == 0)

static void test_xlsx_rates(void)
{
	struct ax_report_opts o = {0};
	char err[256] = "x";
	const char *path = tu_path("rates.xlsx");
	char *s1;

	/* 柳村一格 alone, the survey alone: row 2 holds the hand figures */
	o.scope = G3;
	o.survey = "safety-ceping";
	CHECK_INT(ax_export_xlsx(st, &o, path, err, sizeof err), 0);
	CHECK_STR(err, "");
	s1 = member(path, "xl/worksheets/sheet1.xml");
	HAS(s1, ">安全感<");
	CHECK_STR(value(s1, "答卷数", 2), "8");
	CHECK_STR(value(s1, "安全感", 2), "0.8");
	HAS_PREFIX(value(s1, "安全感下限", 2), "0.375534");
	HAS_PREFIX(value(s1, "安全感上限", 2), "0.963775");
	CHECK_STR(value(s1, "安全感人数", 2), "5");
	CHECK_STR(value(s1, "安全感说不清", 2), "3");
	/* 4/5 on five answers, [0.38,0.96] reaches 90 %: the page's 样本不足, not 否 */
	CHECK_STR(value(s1, "安全感达标", 2), "样本不足");
	CHECK_STR(value(s1, "满意度人数", 2), "6");
	CHECK_STR(value(s1, "满意度说不清", 2), "2");
	HAS_PREFIX(value(s1, "满意度平均分", 2), "3.8333");
	CHECK_STR(value(s1, "巡逻队满意度", 2), "0.75");
	CHECK_STR(value(s1, "巡逻队满意度人数", 2), "4");
	CHECK_STR(value(s1, "巡逻队满意度说不清", 2), "1");
	CHECK_STR(value(s1, "巡逻队知晓率", 2), "0.625");
	CHECK_STR(value(s1, "巡逻队知晓率人数", 2), "8");
	CHECK_STR(value(s1, "巡逻队知晓率说不清", 2), "0");
	/* n < 30: grey italic like 满意度's small sample (the same style) */
	CHECK_STR(style(s1, "安全感", 2), style(s1, "满意度", 2));
	CHECK(style(s1, "安全感", 2)[0] != '\0');
	HAS(s1, "“说不清”的回答单独计数，不计入该项分母；");
	HAS(s1, "安全感目标≥90%");
	free(s1);

	/* the county, every survey: 安全感 is still G3's eight answers,
	 * summed up the tree on row 2 */
	o.scope = NULL;
	o.survey = NULL;
	o.depth = 4;
	CHECK_INT(ax_export_xlsx(st, &o, path, err, sizeof err), 0);
	s1 = member(path, "xl/worksheets/sheet1.xml");
	CHECK_STR(value(s1, "安全感", 2), "0.8");
	CHECK_STR(value(s1, "安全感说不清", 2), "3");
	/* 第二网格 (row 6): no safety-ceping answers, no rate, 0 说不清 */
	CHECK_STR(value(s1, "安全感", 6), "");
	CHECK_STR(value(s1, "安全感人数", 6), "0");
	free(s1);
}

static void test_xlsx_errors(void)
{
	struct ax_report_opts o = {0};
	char err[256];
	struct stat sb;

	o.scope = "439901009000";
	CHECK_INT(ax_export_xlsx(st, &o, tu_path("none.xlsx"), err, sizeof err),
	          AX_NOTFOUND);
	HAS(err, "439901009000");
	CHECK(stat(tu_path("none.xlsx"), &sb) != 0); /* nothing written */
	o.scope = NULL;
	o.from = "2026-11-31";
	CHECK_INT(ax_export_xlsx(st, &o, tu_path("none.xlsx"), err, sizeof err),
	          AX_INVALID);
	o.from = NULL;
	CHECK_INT(ax_export_xlsx(st, &o, "/nonexistent-dir/x.xlsx", err, sizeof err),
	          AX_IO);
	HAS(err, "/nonexistent-dir/x.xlsx");
	/* a tiny error buffer is cut, not overrun */
	CHECK(ax_export_xlsx(st, &o, "/nonexistent-dir/x.xlsx", err, 4) != 0);
	CHECK_INT(strlen(err), 3);
}

/* ---- CSV -------------------------------------------------------------- */
static void test_csv(void)
{
	struct ax_report_opts o = {0};
	char err[256] = "x";
	size_t len = 0, lf = 0, crlf = 0;
	char *csv = ax_export_contacts_csv(st, &o, &len, err, sizeof err);

	REQUIRE(csv != NULL);
	CHECK_STR(err, "");
	CHECK_INT(strlen(csv), len);
	CHECK(strncmp(csv, "\xEF\xBB\xBF户号,网格,村社区,乡镇,渠道,类型,宣传内容,"
	                   "时间,计入,设备,记录编号\r\n",
	              strlen("\xEF\xBB\xBF户号,网格,村社区,乡镇,渠道,类型,宣传内容,"
	                     "时间,计入,设备,记录编号\r\n")) == 0);
	HAS(csv, "\r\nH1,第一网格,府前社区,城关街道,短信,短信已送达,禁毒,"
	         "2026-11-01 09:00:30,计入,dev-1,c0000000-0000-4000-8000-000000000001\r\n");
	HAS(csv, "\r\nH2,第一网格,府前社区,城关街道,短信,短信已发送,禁毒,"
	         "2026-11-01 09:01:00,不计入（仅发送未送达）,dev-1,");
	HAS(csv, "\r\nH3,第二网格,府前社区,城关街道,一体机,一体机,反电信网络诈骗,"
	         "2026-11-02 10:00:00,计入,kiosk-1,");
	HAS(csv, ",入户走访,入户走访,,2026-11-03 15:00:00,计入,\"'=HYPERLINK(1)\",");
	for (const char *p = csv; *p; p++) {
		lf += *p == '\n';
		crlf += *p == '\n' && p > csv && p[-1] == '\r';
	}
	CHECK_INT(lf, 5);
	CHECK_INT(crlf, 5);
	free(csv);

	o.scope = G3;
	csv = ax_export_contacts_csv(st, &o, NULL, err, sizeof err);
	REQUIRE(csv != NULL);
	HASNT(csv, "\r\nH1,");
	HAS(csv, "\r\nH4,");
	free(csv);

	o.scope = "12";
	CHECK(ax_export_contacts_csv(st, &o, &len, err, sizeof err) == NULL);
	CHECK(err[0] != '\0');
	CHECK_INT(len, 0);
}

/* ---- the same workbook from both stores ------------------------------ */
/* The workbook's parts under xl/ (every sheet's XML, its strings inline,
 * the styles and sheet names), the generation time left out. */
static char *cells(const char *path)
{
	char *s = run("unzip -p '%s' 'xl/*.xml' "
	              "| sed 's/生成时间 [^（]*（/生成时间 T（/g'", path);
	REQUIRE(s != NULL);
	return s;
}

/* pg.export: the XLSX 台账 from PostgreSQL has the cells of the one from
 * the SQLite store it was copied from, county-wide and for a township */
static void test_same_as_sqlite(void)
{
	struct ax_report_opts o = {0};
	char err[256] = "";
	const char *pp = tu_path("pg.xlsx"), *sp = tu_path("sqlite.xlsx");
	char *a, *b;

	for (int k = 0; k < 2; k++) {
		o.depth = 4;
		o.scope = k ? T1 : NULL;
		CHECK_INT(ax_export_xlsx(st, &o, pp, err, sizeof err), 0);
		CHECK_INT(ax_export_xlsx(seed, &o, sp, err, sizeof err), 0);
		a = cells(pp);
		b = cells(sp);
		CHECK(strlen(b) > 1000);
		CHECK(strstr(b, ">H3<") != NULL);
		CHECK(strcmp(a, b) == 0);
		free(a);
		free(b);
	}
}

/* argv[1]: the pg fixture's URL file (pg.export); none: SQLite */
int main(int argc, char **argv)
{
	if (system("unzip -v > /dev/null 2>&1") != 0) {
		printf("unzip not found: skipped\n");
		return 77;
	}
	tu_init();
	setup(argc > 1 ? argv[1] : NULL);
	test_xlsx();
	test_xlsx_rates();
	test_xlsx_errors();
	test_csv();
	if (st != seed) {
		test_same_as_sqlite();
		ax_store_close(st);
	}
	ax_store_close(seed);
	return check_done();
}
