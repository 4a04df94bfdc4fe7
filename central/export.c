/*
 * export.c -- the ledger workbook (XLSX, libxlsxwriter) and the contacts
 * CSV.  Everything comes from libanxin's query layer: the report for
 * 汇总, the ledger listings for the detail sheets.  汇总 carries the
 * further rates a survey defines (安全感 ...) the way it carries 满意度,
 * and the 说不清 answers left out of their denominators, in the order of
 * `anxin report --format csv`.
 *
 * Memory: the workbook runs in libxlsxwriter's constant-memory mode, which
 * writes each finished row to a temporary file, so a county's million
 * contacts cost one row of memory, not a million cells.  The price: rows
 * must be written in order (they are) and strings are stored inline in
 * each sheet rather than in xl/sharedStrings.xml.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "anxin/clock.h"
#include "anxin/content.h"
#include "anxin/csv.h"
#include "anxin/ledger.h"
#include "anxin/records.h"
#include "anxin/sample.h"
#include "export.h"


static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static ax_rc from_lxw(lxw_error e)
{
	switch (e) {
	case LXW_NO_ERROR: return AX_OK;
	case LXW_ERROR_MEMORY_MALLOC_FAILED: return AX_NOMEM;
	case LXW_ERROR_CREATING_XLSX_FILE:
	case LXW_ERROR_CREATING_TMPFILE:
	case LXW_ERROR_READING_TMPFILE:
	case LXW_ERROR_ZIP_FILE_OPERATION:
	case LXW_ERROR_ZIP_PARAMETER_ERROR:
	case LXW_ERROR_ZIP_BAD_ZIP_FILE:
	case LXW_ERROR_ZIP_INTERNAL_ERROR:
	case LXW_ERROR_ZIP_FILE_ADD:
	case LXW_ERROR_ZIP_CLOSE: return AX_IO;
	default: return AX_ERROR;
	}
}

/* ---- workbook state --------------------------------------------------- */
/* 汇总's widest: 7 + 4 per topic + 6 for 满意度 + 5 per rate + 3 + 1 per
 * rate's 达标 + 2 for --pack = 178 with AX_MAX_TOPICS and AX_MAX_RATES at
 * 16, under this bound */
#define MAX_COLS (22 + 4 * AX_MAX_TOPICS + 6 * AX_MAX_RATES)

struct column {
	const char *title;
	double width; /* Excel character units; a Chinese character is ~2 */
};

struct sheet {
	lxw_worksheet *ws;
	const char *name;
	const struct column *cols;
	int ncols, part;
	lxw_row_t row; /* next row to write */
};

struct xl {
	lxw_workbook *wb;
	lxw_format *head, *pct, *pct_small, *score, *score_small, *when, *note,
	    *indent[5];
	lxw_error err;      /* first failed call, sticky */
	lxw_row_t max_rows; /* rows per sheet, header included */
	char header[512];   /* every sheet's printed page header, "" none */
};

static void keep(struct xl *x, lxw_error e)
{
	if (e && !x->err)
		x->err = e;
}

static void cell_str(struct xl *x, struct sheet *s, int c, const char *v,
                     lxw_format *f)
{
	if (v && *v) /* no value, no cell: filters show (空白) */
		keep(x, worksheet_write_string(s->ws, s->row, (lxw_col_t)c, v, f));
}

static void cell_num(struct xl *x, struct sheet *s, int c, double v,
                     lxw_format *f)
{
	keep(x, worksheet_write_number(s->ws, s->row, (lxw_col_t)c, v, f));
}

/* An Excel date-time showing China time. */
static void cell_time(struct xl *x, struct sheet *s, int c, long long at)
{
	keep(x, worksheet_write_unixtime(s->ws, s->row, (lxw_col_t)c,
	                                 (int64_t)at + AX_CST_OFFSET, x->when));
}

/* Rate, lower and upper bound in three cells; nothing when den is 0. */
static void cell_rate(struct xl *x, struct sheet *s, int c,
                      const struct ax_rate *r)
{
	lxw_format *f = r->small_sample ? x->pct_small : x->pct;

	if (r->suppressed) { /* too few respondents for this viewer */
		for (int i = 0; i < 3; i++)
			cell_str(x, s, c + i, AX_SUPPRESSED_TEXT, NULL);
		return;
	}
	if (!r->den)
		return;
	cell_num(x, s, c, r->rate, f);
	cell_num(x, s, c + 1, r->low, f);
	cell_num(x, s, c + 2, r->high, f);
}

/* A full count (coverage): its rate alone, exact, so no interval and
 * never the small-sample look; nothing when den is 0. */
static void cell_census(struct xl *x, struct sheet *s, int c,
                        const struct ax_rate *r)
{
	if (r->den)
		cell_num(x, s, c, r->rate, x->pct);
}

/* A count that belongs to rate r: "<5" when r is suppressed. */
static void cell_count(struct xl *x, struct sheet *s, int c,
                       const struct ax_rate *r, long long n)
{
	if (r->suppressed)
		cell_str(x, s, c, AX_SUPPRESSED_TEXT, NULL);
	else
		cell_num(x, s, c, (double)n, NULL);
}

/* Create a sheet with its header row: bold, frozen, widths set. */
static void sheet_open(struct xl *x, struct sheet *s)
{
	char name[64];

	if (s->part > 1)
		snprintf(name, sizeof name, "%s(%d)", s->name, s->part);
	else
		snprintf(name, sizeof name, "%s", s->name);
	s->ws = workbook_add_worksheet(x->wb, name);
	if (!s->ws) {
		keep(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
		return;
	}
	s->row = 0;
	for (int i = 0; i < s->ncols; i++) {
		keep(x, worksheet_set_column(s->ws, (lxw_col_t)i, (lxw_col_t)i,
		                             s->cols[i].width, NULL));
		cell_str(x, s, i, s->cols[i].title, x->head);
	}
	worksheet_freeze_panes(s->ws, 1, 0);
	/* the campaign and the generation time on every printed page */
	if (x->header[0])
		keep(x, worksheet_set_header(s->ws, x->header));
	s->row = 1;
}

/* Filter buttons over the header and the data rows written so far.
 * Call it while the last data row is the current one: rows before it are
 * already flushed to the temporary file. */
static void sheet_close(struct xl *x, struct sheet *s)
{
	if (s->ws)
		keep(x, worksheet_autofilter(s->ws, 0, 0,
		                             s->row > 1 ? s->row - 1 : 1,
		                             (lxw_col_t)(s->ncols - 1)));
}

/* Start the next row; a full sheet continues on a new one at the end. */
static void sheet_row(struct xl *x, struct sheet *s)
{
	if (s->row < x->max_rows)
		return;
	sheet_close(x, s);
	s->part++;
	sheet_open(x, s);
}

static lxw_format *fmt(struct xl *x)
{
	lxw_format *f = workbook_add_format(x->wb);
	if (!f)
		keep(x, LXW_ERROR_MEMORY_MALLOC_FAILED);
	return f;
}

static void formats(struct xl *x)
{
	if ((x->head = fmt(x))) {
		format_set_bold(x->head);
		format_set_bg_color(x->head, 0xDDEBF7);
		format_set_border(x->head, LXW_BORDER_THIN);
		format_set_text_wrap(x->head);
		format_set_align(x->head, LXW_ALIGN_VERTICAL_CENTER);
	}
	if ((x->pct = fmt(x)))
		format_set_num_format(x->pct, "0.0%");
	if ((x->pct_small = fmt(x))) {
		format_set_num_format(x->pct_small, "0.0%");
		format_set_italic(x->pct_small);
		format_set_font_color(x->pct_small, 0x808080);
	}
	if ((x->score = fmt(x)))
		format_set_num_format(x->score, "0.00");
	if ((x->score_small = fmt(x))) {
		format_set_num_format(x->score_small, "0.00");
		format_set_italic(x->score_small);
		format_set_font_color(x->score_small, 0x808080);
	}
	if ((x->when = fmt(x)))
		format_set_num_format(x->when, "yyyy-mm-dd hh:mm:ss");
	if ((x->note = fmt(x)))
		format_set_italic(x->note);
	for (int d = 0; d < 5; d++)
		if ((x->indent[d] = fmt(x)))
			format_set_indent(x->indent[d], (uint8_t)d);
}

/* ---- 汇总 ------------------------------------------------------------- */
/* by level + 1: -1 province (省), 0 city (市), 1 county .. 4 grid */
static const char *const level_cn[] = {"省", "市", "县", "乡镇", "村社区", "网格"};

/* 说不清 columns appear when the report has further rates or anyone
 * answered 说不清 to 满意度 (the library's rule for its CSV), so older
 * workbooks keep their columns where they were. */
static int dk_shown(const struct ax_report *rep)
{
	if (rep->nrates)
		return 1;
	for (int i = 0; i < rep->nrows; i++)
		if (rep->rows[i].sat_dont_know)
			return 1;
	return 0;
}

/* "90%", "87.5%" */
static void pct_text(double t, char *buf, size_t n)
{
	double pc = t * 100, whole = (double)(long long)(pc + 0.5);

	if (pc - whole > -0.05 && pc - whole < 0.05)
		snprintf(buf, n, "%.0f%%", pc);
	else
		snprintf(buf, n, "%.1f%%", pc);
}

/* "短信已送达、短信已回复、一体机、入户走访" */
static void kinds_text(int kinds, char *buf, size_t n)
{
	size_t k = 0;

	buf[0] = '\0';
	for (int bit = 1; bit <= AX_CK_VISIT && k < n; bit <<= 1)
		if (kinds & bit)
			k += (size_t)snprintf(buf + k, n - k, "%s%s", k ? "、" : "",
			                      ax_ledger_kind_label(ax_contact_kind_name(bit)));
}

static void write_summary(struct xl *x, const struct ax_report *rep)
{
	struct column cols[MAX_COLS];
	char titles[MAX_COLS][96], kinds[160], line[1024], ta[16], ts[16];
	struct sheet s = {0};
	int n = 0, c, dk = dk_shown(rep);

#define COL(t, w)                                                        \
	do {                                                                 \
		snprintf(titles[n], sizeof titles[n], "%s", (t));                \
		cols[n].title = titles[n];                                       \
		cols[n].width = (w);                                             \
		n++;                                                             \
	} while (0)
	COL("代码", 17);
	COL("名称", 18);
	COL("层级", 7);
	COL("户数", 8);
	COL("已覆盖户", 9);
	COL("宣传入户率", 11);
	COL("答卷数", 8);
	for (int k = 0; k < rep->ntopics; k++) {
		char t[64];
		const char *name = ax_topic_name(rep->topics[k]);
		snprintf(t, sizeof t, "知晓率(%s)", name);
		COL(t, 13);
		snprintf(t, sizeof t, "知晓率(%s)下限", name);
		COL(t, 13);
		snprintf(t, sizeof t, "知晓率(%s)上限", name);
		COL(t, 13);
		snprintf(t, sizeof t, "知晓率(%s)人数", name);
		COL(t, 13);
	}
	COL("满意度", 9);
	COL("满意度下限", 11);
	COL("满意度上限", 11);
	COL("满意度人数", 11);
	COL("满意度平均分", 13);
	if (dk)
		COL("满意度说不清", 13);
	for (int k = 0; k < rep->nrates; k++) {
		char t[96];
		const char *name = rep->rates[k].name;
		COL(name, 11);
		snprintf(t, sizeof t, "%s下限", name);
		COL(t, 13);
		snprintf(t, sizeof t, "%s上限", name);
		COL(t, 13);
		snprintf(t, sizeof t, "%s人数", name);
		COL(t, 13);
		snprintf(t, sizeof t, "%s说不清", name);
		COL(t, 13);
	}
	COL("入户率达标", 11);
	COL("知晓率达标", 11);
	COL("满意度达标", 11);
	for (int k = 0; k < rep->nrates; k++) {
		char t[96];
		snprintf(t, sizeof t, "%s达标", rep->rates[k].name);
		COL(t, 13);
	}
	if (rep->pack[0]) { /* 平安家庭 §6: that pack's contacts only */
		char t[96];
		snprintf(t, sizeof t, "知识宣传入户率(%.60s)", rep->pack);
		COL(t, 16);
		snprintf(t, sizeof t, "已覆盖户(%.60s)", rep->pack);
		COL(t, 13);
	}
#undef COL

	s.name = "汇总";
	s.cols = cols;
	s.ncols = n;
	s.part = 1;
	sheet_open(x, &s);
	if (x->err)
		return;
	for (int i = 0; i < rep->nrows; i++) {
		const struct ax_report_row *w = &rep->rows[i];
		int d = w->depth < 0 ? 0 : w->depth > 4 ? 4 : w->depth;
		cell_str(x, &s, 0, w->code, NULL);
		cell_str(x, &s, 1, w->name, x->indent[d]);
		cell_str(x, &s, 2, level_cn[w->level >= -1 && w->level <= 4 ? w->level + 1 : 2],
		         NULL);
		cell_num(x, &s, 3, (double)w->households, NULL);
		cell_num(x, &s, 4, (double)w->reached, NULL);
		cell_census(x, &s, 5, &w->coverage);
		cell_num(x, &s, 6, (double)w->respondents, NULL);
		c = 7;
		for (int k = 0; k < rep->ntopics; k++, c += 4) {
			cell_rate(x, &s, c, &w->awareness[k]);
			cell_count(x, &s, c + 3, &w->awareness[k], w->awareness[k].den);
		}
		cell_rate(x, &s, c, &w->satisfaction);
		cell_count(x, &s, c + 3, &w->satisfaction, w->satisfaction.den);
		if (w->satisfaction.suppressed)
			cell_str(x, &s, c + 4, AX_SUPPRESSED_TEXT, NULL);
		else if (w->satisfaction.den)
			cell_num(x, &s, c + 4, w->mean_score,
			         w->satisfaction.small_sample ? x->score_small : x->score);
		c += 5;
		if (dk)
			cell_count(x, &s, c++, &w->satisfaction, w->sat_dont_know);
		for (int k = 0; k < rep->nrates; k++, c += 5) {
			cell_rate(x, &s, c, &w->rates[k]);
			cell_count(x, &s, c + 3, &w->rates[k], w->rates[k].den);
			cell_count(x, &s, c + 4, &w->rates[k], w->rates_dont_know[k]);
		}
		cell_str(x, &s, c, ax_verdict_label(w->verdict_coverage), NULL);
		cell_str(x, &s, c + 1, ax_verdict_label(w->verdict_awareness), NULL);
		cell_str(x, &s, c + 2, ax_verdict_label(w->verdict_satisfaction), NULL);
		for (int k = 0; k < rep->nrates; k++)
			cell_str(x, &s, c + 3 + k, ax_verdict_label(w->verdict_rates[k]), NULL);
		if (rep->pack[0]) {
			cell_census(x, &s, c + 3 + rep->nrates, &w->coverage_pack);
			cell_num(x, &s, c + 4 + rep->nrates, (double)w->reached_pack, NULL);
		}
		s.row++;
	}
	/* the filter covers the table, not the notes; set it while the last
	 * data row is still the current one (constant-memory mode refuses
	 * ranges over rows already flushed) */
	sheet_close(x, &s);
	s.row++; /* a blank row, then the notes */
	cell_str(x, &s, 0,
	         "注：宣传入户率按花名册全数统计（每户都算，不是抽样），没有区间；"
	         "知晓率、满意度等来自答卷，区间为95%威尔逊（Wilson）置信区间；"
	         "分母n<30为样本不足，比率以灰色斜体显示，仅供参考；分母为0时比率留空。",
	         x->note);
	s.row++;
	if (rep->channel[0]) {
		snprintf(line, sizeof line,
		         "渠道“%s”：宣传入户率只计经这个渠道联系到的户，未覆盖户清单同样只看这个渠道。",
		         ax_ledger_channel_label(rep->channel));
		cell_str(x, &s, 0, line, x->note);
		s.row++;
	}
	if (rep->suppress_below) {
		snprintf(line, sizeof line,
		         "“%s”：答题不足 %d 人，比率和人数不显示，以免看出个人的回答。",
		         AX_SUPPRESSED_TEXT, rep->suppress_below);
		cell_str(x, &s, 0, line, x->note);
		s.row++;
	}
	kinds_text(rep->contact_kinds, kinds, sizeof kinds);
	pct_text(rep->target_awareness, ta, sizeof ta);
	pct_text(rep->target_satisfaction, ts, sizeof ts);
	snprintf(line, sizeof line,
	         "宣传入户率 = 时间范围内有有效接触（%s）的在册户 ÷ 在册户，"
	         "目标100%%；知晓率目标≥%s，满意度目标≥%s。",
	         kinds, ta, ts);
	cell_str(x, &s, 0, line, x->note);
	s.row++;
	cell_str(x, &s, 0,
	         "答卷数、知晓率、满意度：每户每份问卷在所选时间内只计一次"
	         "（最早完成的一份），不论答在哪一轮。",
	         x->note);
	s.row++;
	if (dk) {
		size_t len = (size_t)snprintf(line, sizeof line, "%s",
		                              "“说不清”的回答单独计数，不计入该项分母");
		for (int k = 0; k < rep->nrates && len < sizeof line; k++) {
			char t[16];
			pct_text(rep->rates[k].target, t, sizeof t);
			len += (size_t)snprintf(line + len, sizeof line - len, "%s%s目标≥%s",
			                        k ? "，" : "；", rep->rates[k].name, t);
		}
		if (len < sizeof line)
			snprintf(line + len, sizeof line - len, "。");
		cell_str(x, &s, 0, line, x->note);
		s.row++;
	}
	snprintf(line, sizeof line,
	         "范围：%s %s；时间：%s 至 %s；问卷：%s；渠道：%s。"
	         "本表为日常监测：一体机和短信答卷为自愿参与，是内部监测，不等同于"
	         "正式测评；抽样测评的答卷不在其中，另列加权估计。",
	         rep->scope, rep->nrows ? rep->rows[0].name : "",
	         rep->from[0] ? rep->from : "开始", rep->to[0] ? rep->to : "今天",
	         rep->survey[0] ? rep->survey : "全部",
	         rep->channel[0] ? ax_ledger_channel_label(rep->channel) : "全部");
	cell_str(x, &s, 0, line, x->note);
}

/* ---- 入户宣传明细 ------------------------------------------------------- */
/* 计入: whether the row is the one that counts its household in 汇总's
 * 已覆盖户, or why not (ax_ledger_count_label) */
static const struct column contact_cols[] = {
	{"户号", 14},   {"网格", 14},     {"村社区", 14}, {"乡镇", 12},
	{"渠道", 9},    {"类型", 11},     {"宣传内容", 16}, {"时间", 19},
	{"计入", 26},   {"设备", 14},     {"记录编号", 38},
};

struct contacts_ctx {
	struct xl *x;
	struct sheet s;
	long long n[AX_CONTACT_KIND + 1]; /* rows by ax_contact_count */
};

static ax_rc on_contact(void *ctx, const struct ax_ledger_contact *c)
{
	struct contacts_ctx *cc = ctx;
	struct xl *x = cc->x;
	struct sheet *s = &cc->s;

	sheet_row(x, s);
	cell_str(x, s, 0, c->household, NULL);
	cell_str(x, s, 1, c->grid_name, NULL);
	cell_str(x, s, 2, c->village_name, NULL);
	cell_str(x, s, 3, c->township_name, NULL);
	cell_str(x, s, 4, c->channel_label, NULL);
	cell_str(x, s, 5, c->kind_label, NULL);
	cell_str(x, s, 6, c->pack_title ? c->pack_title : c->pack, NULL);
	cell_time(x, s, 7, c->at);
	cell_str(x, s, 8, ax_ledger_count_label(c->count), NULL);
	cell_str(x, s, 9, c->device, NULL);
	cell_str(x, s, 10, c->id, NULL);
	cc->n[c->count]++;
	s->row++;
	return x->err ? from_lxw(x->err) : AX_OK;
}

/* After the rows: the totals by 计入, which reconcile with 汇总's first
 * row (计入 rows = 已覆盖户), and when the sheet was made. */
static void contacts_note(struct xl *x, struct contacts_ctx *cc)
{
	struct sheet *s = &cc->s;
	long long total = 0;
	char line[512], now[32];

	for (int i = 0; i <= AX_CONTACT_KIND; i++)
		total += cc->n[i];
	ax_time_format((long long)time(NULL), "%Y-%m-%d %H:%M:%S", now, sizeof now);
	s->row++; /* a blank row, then the note */
	snprintf(line, sizeof line,
	         "合计 %lld 条：计入 %lld 条（每户一条，即“汇总”第一行的已覆盖户）；"
	         "不计入：重复 %lld 条，注销 %lld 条，仅发送未送达 %lld 条，"
	         "类型不计 %lld 条。生成时间 %s（北京时间）。",
	         total, cc->n[AX_CONTACT_COUNTED], cc->n[AX_CONTACT_REPEAT],
	         cc->n[AX_CONTACT_INACTIVE], cc->n[AX_CONTACT_SENT_ONLY],
	         cc->n[AX_CONTACT_KIND], now);
	cell_str(x, s, 0, line, x->note);
	s->row++;
}

/* ---- 问卷结果 ----------------------------------------------------------- */
static const struct column response_cols[] = {
	{"户号", 14},      {"网格", 14},     {"村社区", 14},   {"乡镇", 12},
	{"区域代码", 17},  {"问卷名称", 22}, {"问卷", 18},     {"版本", 6},
	{"轮次", 14},      {"渠道", 9},      {"状态", 10},     {"计入", 10},
	{"开始时间", 19},  {"完成时间", 19}, {"设备", 14},     {"答案", 48},
	{"记录编号", 38},
};

struct responses_ctx {
	struct xl *x;
	struct sheet s;
	int hide_answers; /* viewer below the county role */
};

static ax_rc on_response(void *ctx, const struct ax_ledger_response *r)
{
	struct responses_ctx *rc = ctx;
	struct xl *x = rc->x;
	struct sheet *s = &rc->s;

	sheet_row(x, s);
	cell_str(x, s, 0, r->household, NULL);
	cell_str(x, s, 1, r->grid_name, NULL);
	cell_str(x, s, 2, r->village_name, NULL);
	cell_str(x, s, 3, r->township_name, NULL);
	cell_str(x, s, 4, r->region, NULL);
	cell_str(x, s, 5, r->survey_title, NULL);
	cell_str(x, s, 6, r->survey, NULL);
	cell_num(x, s, 7, r->survey_version, NULL);
	cell_str(x, s, 8, r->wave, NULL);
	cell_str(x, s, 9, r->channel_label, NULL);
	cell_str(x, s, 10, r->status_label, NULL);
	cell_str(x, s, 11, r->counted ? "计入" : r->duplicate ? "重复(不计)" : "不计入",
	         NULL);
	cell_time(x, s, 12, r->started_at);
	if (r->has_completed)
		cell_time(x, s, 13, r->completed_at);
	cell_str(x, s, 14, r->device, NULL);
	/* per-household answers only for the county role (DESIGN: answers
	 * stay confidential); that the household answered is coverage */
	cell_str(x, s, 15, rc->hide_answers ? "（个人回答仅县级可见）" : r->answers,
	         NULL);
	cell_str(x, s, 16, r->id, NULL);
	s->row++;
	return x->err ? from_lxw(x->err) : AX_OK;
}

/* ---- 未达标清单 --------------------------------------------------------- */
static const struct column below_cols[] = {
	{"代码", 17},     {"名称", 18},       {"层级", 9},        {"户数", 8},
	{"已覆盖户", 9},  {"未覆盖户", 9},    {"宣传入户率", 11}, {"入户率达标", 11},
	{"知晓率达标", 11}, {"满意度达标", 11},
};

/* A county's or township's (level 1, 2) villages and grids 未达标 on some
 * rate, lowest coverage first: the same rows as the dashboard's list
 * (ax_report_below), all of them. */
static ax_rc write_below(struct xl *x, ax_store *st,
                         const struct ax_report_opts *asked, int level)
{
	struct ax_report_opts o = *asked;
	struct ax_report *rep = NULL;
	struct sheet s = {NULL, "未达标清单", below_cols,
	                  (int)(sizeof below_cols / sizeof below_cols[0]), 1, 0};
	int *idx, n;
	ax_rc rc;

	if (level < 1 || level > 2)
		return AX_OK;
	o.depth = 4 - level;
	o.pack = NULL;
	if ((rc = ax_report_build(st, &o, &rep)))
		return rc;
	if (!(idx = malloc(sizeof *idx * (size_t)(rep->nrows ? rep->nrows : 1)))) {
		ax_report_free(rep);
		return AX_NOMEM;
	}
	n = ax_report_below(rep, 3, idx);
	sheet_open(x, &s);
	for (int k = 0; k < n && !x->err; k++) {
		const struct ax_report_row *w = &rep->rows[idx[k]];
		cell_str(x, &s, 0, w->code, NULL);
		cell_str(x, &s, 1, w->name, NULL);
		cell_str(x, &s, 2, w->level == 3 ? "村社区" : "网格", NULL);
		cell_num(x, &s, 3, (double)w->households, NULL);
		cell_num(x, &s, 4, (double)w->reached, NULL);
		cell_num(x, &s, 5, (double)(w->households - w->reached), NULL);
		cell_census(x, &s, 6, &w->coverage);
		cell_str(x, &s, 7, ax_verdict_label(w->verdict_coverage), NULL);
		cell_str(x, &s, 8, ax_verdict_label(w->verdict_awareness), NULL);
		cell_str(x, &s, 9, ax_verdict_label(w->verdict_satisfaction), NULL);
		s.row++;
	}
	sheet_close(x, &s);
	s.row++;
	cell_str(x, &s, 0,
	         n ? "任一项“未达标”即列出（宣传入户率低于100%，或知晓率、满意度确定低于"
	             "目标；样本不足的不算未达标），按宣传入户率从低到高；"
	             "未覆盖户的名单见仪表盘各村、网格的“未覆盖户清单”。"
	           : "没有未达标的村（社区）或网格。",
	         x->note);
	free(idx);
	ax_report_free(rep);
	return AX_OK;
}

/* ---- the workbook ----------------------------------------------------- */
/* Fail early, with the system's reason, when path cannot be written:
 * libxlsxwriter would find out only at workbook_close, after all the
 * work, and print its own message to stderr.  *created tells whether
 * the check made the file (so a later failure removes it again). */
static ax_rc check_writable(const char *path, int *created, char *err,
                            size_t errlen)
{
	struct stat sb;
	int existed = stat(path, &sb) == 0;
	FILE *f = fopen(path, "ab"); /* creates, never truncates */

	*created = 0;
	if (!f) {
		seterr(err, errlen, "%s: cannot write: %s", path, strerror(errno));
		return AX_IO;
	}
	fclose(f);
	*created = !existed;
	return AX_OK;
}

/* A listing stopped: a cell write failed (our callback's code) or the
 * store did. */
static void listing_error(const struct xl *x, ax_store *st, const char *path,
                          char *err, size_t errlen)
{
	if (x->err)
		seterr(err, errlen, "%s: %s", path, lxw_strerror(x->err));
	else
		seterr(err, errlen, "%s", ax_store_errmsg(st));
}

/* ---- 抽样测评 ----------------------------------------------------------- */
static const struct column sampled_cols[] = {
	{"活动", 22}, {"问卷", 14}, {"活动范围", 14}, {"指标", 14},
	{"加权估计", 10}, {"加权下限", 10}, {"加权上限", 10}, {"标准误", 9},
	{"有效样本量", 10}, {"未加权", 9}, {"未加权下限", 10}, {"未加权上限", 10},
	{"未加权分子", 10}, {"未加权分母", 10}, {"说不清", 8}, {"达标线", 8},
	{"达标", 6}, {"抽中户", 8}, {"完成", 7}, {"部分作答", 9},
	{"拒答/退订", 9}, {"送达未回复", 10}, {"未确认送达", 10},
	{"应答率RR1", 10}, {"接触率", 9},
};

static void sampled_rows(struct xl *x, struct sheet *s,
                         const struct ax_sample_report *r)
{
	const struct ax_dispositions *d = &r->disp;
	for (int k = 0; k < r->nest; k++) {
		const struct ax_estimate *e = &r->est[k];
		sheet_row(x, s);
		cell_str(x, s, 0, r->c.name, NULL);
		cell_str(x, s, 1, r->c.survey, NULL);
		cell_str(x, s, 2, r->c.scope, NULL);
		cell_str(x, s, 3, e->name, NULL);
		if (e->unweighted.suppressed) {
			for (int c = 4; c <= 8; c++)
				cell_str(x, s, c, AX_SUPPRESSED_TEXT, NULL);
			cell_rate(x, s, 9, &e->unweighted);
		} else if (e->unweighted.den) {
			cell_num(x, s, 4, e->est, x->pct);
			cell_num(x, s, 5, e->low, x->pct);
			cell_num(x, s, 6, e->high, x->pct);
			cell_num(x, s, 7, e->se, x->pct);
			cell_num(x, s, 8, e->n_eff, x->score);
			cell_rate(x, s, 9, &e->unweighted);
			cell_str(x, s, 16, ax_verdict_label(ax_estimate_verdict(e)), NULL);
		}
		cell_count(x, s, 12, &e->unweighted, e->unweighted.num);
		cell_count(x, s, 13, &e->unweighted, e->unweighted.den);
		cell_count(x, s, 14, &e->unweighted, e->dont_know);
		cell_num(x, s, 15, e->target, x->pct);
		cell_num(x, s, 17, (double)d->drawn, NULL);
		cell_num(x, s, 18, (double)d->complete, NULL);
		cell_num(x, s, 19, (double)d->partial, NULL);
		cell_num(x, s, 20, (double)d->refused, NULL);
		cell_num(x, s, 21, (double)d->noncontact, NULL);
		cell_num(x, s, 22, (double)d->unknown, NULL);
		cell_num(x, s, 23, d->rr1, x->pct);
		cell_num(x, s, 24, d->contact_rate, x->pct);
		s->row++;
	}
}

/* The sheet 抽样测评 (sample.h), only when a sampled campaign of the
 * report's survey (or any, without one) lies inside its scope (an
 * estimate of a whole township is not in a grid's ledger): one row per
 * estimate, weighted beside unweighted, with the campaign's dispositions
 * and RR1.  Its figures are in no cell of 汇总 (日常监测). */
static ax_rc write_sampled(struct xl *x, ax_store *st,
                           const struct ax_report_opts *o)
{
	struct ax_sample_report **v = NULL;
	struct sheet s = {NULL, "抽样测评", sampled_cols,
	                  (int)(sizeof sampled_cols / sizeof sampled_cols[0]), 1, 0};
	int n = 0, open = 0;
	ax_rc rc;

	if ((rc = ax_sample_reports(st, &v, &n)))
		return rc;
	for (int i = 0; i < n; i++) {
		if (ax_campaign_within(&v[i]->c, o->scope) &&
		    (!o->survey || strcmp(o->survey, v[i]->c.survey) == 0)) {
			if (!open++)
				sheet_open(x, &s);
			ax_sample_report_suppress(v[i], o->suppress_below);
			sampled_rows(x, &s, v[i]);
		}
		ax_sample_report_free(v[i]);
	}
	free(v);
	if (open) {
		sheet_close(x, &s);
		s.row++;
		cell_str(x, &s, 0,
		         "注：抽样测评按分层随机抽样加权估计（权重=层内户数÷完成户数），"
		         "区间为按有效样本量计算的95%威尔逊区间；应答率为AAPOR RR1。"
		         "与“汇总”表的日常监测（自愿作答）数字来源不同，不相加。",
		         x->note);
	}
	return AX_OK;
}

int ax_export_xlsx(ax_store *st, const struct ax_report_opts *opts,
                   const char *path, char *err, size_t errlen)
{
	static const struct ax_report_opts none;
	lxw_workbook_options wo = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
	struct ax_ledger_query q = {0};
	struct ax_report *rep = NULL;
	struct xl x = {0};
	struct contacts_ctx cc = {0};
	struct responses_ctx rc_ = {0};
	struct ax_campaign_view cv;
	lxw_error e;
	int created = 0;
	ax_rc rc;

	seterr(err, errlen, "%s", "");
	if (!opts)
		opts = &none;
	/* one campaign's 台账: the detail sheets list its window, wave and
	 * kinds, as its 汇总 counts them */
	if ((rc = ax_report_campaign_view(st, opts, &cv))) {
		seterr(err, errlen, "%s", ax_store_errmsg(st));
		return (int)rc;
	}
	if (opts->campaign) {
		char now[32], closed[32] = "";
		ax_time_format((long long)time(NULL), "%Y-%m-%d %H:%M", now, sizeof now);
		if (cv.c.closed_at > 0)
			ax_time_format(cv.c.closed_at, "%Y-%m-%d %H:%M", closed, sizeof closed);
		/* libxlsxwriter's header codes: &L left, &C centre, &R right; a
		 * literal & is &&, and a name never holds one here */
		snprintf(x.header, sizeof x.header,
		         "&L活动：%s（%s 至 %s；%s%s%s）&R生成时间 %s（北京时间）",
		         strchr(cv.c.name, '&') ? "（名称含&，略）" : cv.c.name,
		         cv.o.from, cv.o.to, closed[0] ? "已于 " : "进行中",
		         closed, closed[0] ? " 关闭，数字已冻结" : "", now);
	}
	if ((rc = ax_report_build(st, opts, &rep))) {
		seterr(err, errlen, "%s", ax_store_errmsg(st));
		return (int)rc;
	}
	if ((rc = check_writable(path, &created, err, errlen)))
		goto fail;
	x.max_rows = LXW_ROW_MAX;
	x.wb = workbook_new_opt(path, &wo);
	if (!x.wb) {
		seterr(err, errlen, "%s: cannot start the workbook", path);
		rc = AX_NOMEM;
		goto fail;
	}
	formats(&x);
	/* the three sheets (and 抽样测评) first, so continuation sheets come
	 * after them */
	write_summary(&x, rep);
	cc.x = rc_.x = &x;
	rc_.hide_answers = opts->suppress_below > 0;
	cc.s = (struct sheet){NULL, "入户宣传明细", contact_cols,
	                      (int)(sizeof contact_cols / sizeof contact_cols[0]),
	                      1, 0};
	sheet_open(&x, &cc.s);
	rc_.s = (struct sheet){NULL, "问卷结果", response_cols,
	                       (int)(sizeof response_cols / sizeof response_cols[0]),
	                       1, 0};
	sheet_open(&x, &rc_.s);
	if ((rc = write_sampled(&x, st, opts)) ||
	    (rc = write_below(&x, st, opts, rep->nrows ? rep->rows[0].level : 0))) {
		seterr(err, errlen, "%s", ax_store_errmsg(st));
		goto fail;
	}
	if (x.err) {
		rc = from_lxw(x.err);
		seterr(err, errlen, "%s: %s", path, lxw_strerror(x.err));
		goto fail;
	}

	q.scope = cv.o.scope;
	q.from = cv.o.from;
	q.to = cv.o.to;
	/* the ledger lists every contact, whatever counts for coverage, and
	 * says of each whether it does (计入) */
	q.coverage_kinds = cv.o.contact_kinds;
	if ((rc = ax_ledger_contacts(st, &q, on_contact, &cc))) {
		listing_error(&x, st, path, err, errlen);
		goto fail;
	}
	sheet_close(&x, &cc.s);
	contacts_note(&x, &cc);
	q.survey = cv.o.survey;
	q.wave = cv.o.wave;
	q.channel = cv.o.channel;
	if ((rc = ax_ledger_responses(st, &q, on_response, &rc_))) {
		listing_error(&x, st, path, err, errlen);
		goto fail;
	}
	sheet_close(&x, &rc_.s);
	if (x.err) {
		rc = from_lxw(x.err);
		seterr(err, errlen, "%s: %s", path, lxw_strerror(x.err));
		goto fail;
	}
	ax_report_free(rep);
	/* writes the file; frees the workbook whatever happens */
	e = workbook_close(x.wb);
	if (e) {
		seterr(err, errlen, "%s: %s", path, lxw_strerror(e));
		if (created)
			unlink(path);
		return (int)from_lxw(e);
	}
	return AX_OK;

fail:
	if (x.wb)
		lxw_workbook_free(x.wb); /* nothing was written to path */
	if (created)
		unlink(path);
	ax_report_free(rep);
	return (int)(rc ? rc : AX_ERROR);
}

/* ---- contacts as CSV -------------------------------------------------- */
static ax_rc on_csv_contact(void *ctx, const struct ax_ledger_contact *c)
{
	FILE *f = ctx;
	char when[32];

	ax_time_format(c->at, "%Y-%m-%d %H:%M:%S", when, sizeof when);
	ax_csv_cell(f, c->household, 0);
	ax_csv_cell(f, c->grid_name, 0);
	ax_csv_cell(f, c->village_name, 0);
	ax_csv_cell(f, c->township_name, 0);
	ax_csv_cell(f, c->channel_label, 0);
	ax_csv_cell(f, c->kind_label, 0);
	ax_csv_cell(f, c->pack_title ? c->pack_title : c->pack, 0);
	ax_csv_cell(f, when, 0);
	ax_csv_cell(f, ax_ledger_count_label(c->count), 0);
	ax_csv_cell(f, c->device, 0);
	ax_csv_cell(f, c->id, 1);
	return ferror(f) ? AX_NOMEM : AX_OK;
}

int ax_export_contacts_csv_to(ax_store *st, const struct ax_report_opts *opts,
                              FILE *f, char *err, size_t errlen)
{
	struct ax_ledger_query q = {0};
	struct ax_campaign_view cv;
	ax_rc rc;

	seterr(err, errlen, "%s", "");
	if (opts) {
		/* a campaign's: its window and kinds where the request names none,
		 * as its 台账 lists them */
		if ((rc = ax_report_campaign_view(st, opts, &cv))) {
			seterr(err, errlen, "%s", ax_store_errmsg(st));
			return (int)rc;
		}
		q.scope = cv.o.scope;
		q.from = cv.o.from;
		q.to = cv.o.to;
		q.coverage_kinds = cv.o.contact_kinds;
	}
	fputs("\xEF\xBB\xBF", f); /* Excel needs the BOM to read UTF-8 */
	for (size_t i = 0; i < sizeof contact_cols / sizeof contact_cols[0]; i++)
		ax_csv_cell(f, contact_cols[i].title,
		          i + 1 == sizeof contact_cols / sizeof contact_cols[0]);
	rc = ax_ledger_contacts(st, &q, on_csv_contact, f);
	if (rc)
		seterr(err, errlen, "%s",
		       rc == AX_NOMEM ? "out of memory" : ax_store_errmsg(st));
	else if (fflush(f) != 0 || ferror(f)) {
		seterr(err, errlen, "cannot write the CSV");
		rc = AX_IO;
	}
	return rc;
}

char *ax_export_contacts_csv(ax_store *st, const struct ax_report_opts *opts,
                             size_t *len, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f;
	int rc;

	if (len)
		*len = 0;
	if (!(f = open_memstream(&buf, &n))) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	rc = ax_export_contacts_csv_to(st, opts, f, err, errlen);
	if (fclose(f) != 0 && !rc) {
		seterr(err, errlen, "out of memory");
		rc = AX_NOMEM;
	}
	if (rc) {
		free(buf);
		return NULL;
	}
	if (len)
		*len = n;
	return buf;
}
