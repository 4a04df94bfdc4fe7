/*
 * util.c -- result codes, logging, strings, arena and time helpers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <utf8proc.h>

#include "anxin_int.h"

const char *ax_rc_str(ax_rc rc)
{
	switch (rc) {
	case AX_OK: return "ok";
	case AX_ERROR: return "error";
	case AX_NOMEM: return "out of memory";
	case AX_IO: return "I/O error";
	case AX_INVALID: return "invalid input";
	case AX_NOTFOUND: return "not found";
	case AX_CONFLICT: return "conflict";
	case AX_DENIED: return "denied";
	case AX_BUSY: return "busy";
	case AX_FULL: return "disk full";
	case AX_READONLY: return "read-only";
	}
	return "unknown result";
}

void ax_free(void *p) { free(p); }

/* ---- logging ---------------------------------------------------------- */
static ax_log_fn log_fn;
static void *log_ctx;

void ax_set_log(ax_log_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

void ax__log(enum ax_log_level lvl, const char *file, int line,
             const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_fn(log_ctx, lvl, file, line, msg);
}

void ax__diag(ax_diag_fn fn, void *ctx, enum ax_severity sev, const char *fmt,
              ...)
{
	char msg[1024];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fn(ctx, sev, msg);
}

/* ---- growable string -------------------------------------------------- */
void ax__buf_put(struct ax_buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *p;
		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void ax__buf_puts(struct ax_buf *b, const char *s) { ax__buf_put(b, s, strlen(s)); }

void ax__buf_printf(struct ax_buf *b, const char *fmt, ...)
{
	char small[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = 1;
		return;
	}
	if ((size_t)n < sizeof small) {
		ax__buf_put(b, small, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);
	if (!big) {
		b->oom = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	ax__buf_put(b, big, (size_t)n);
	free(big);
}

char *ax__buf_take(struct ax_buf *b)
{
	char *p;

	if (b->oom) {
		ax__buf_free(b);
		return NULL;
	}
	if (!b->p)
		ax__buf_put(b, "", 0);
	if (b->oom)
		return NULL;
	p = b->p;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}

void ax__buf_free(struct ax_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

/* ---- arena ------------------------------------------------------------ */
struct ax_arena_chunk {
	struct ax_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *ax__arena_alloc(struct ax_arena *a, size_t n)
{
	struct ax_arena_chunk *c = a->head;
	size_t align = sizeof(max_align_t);
	void *p;

	n = (n + align - 1) / align * align;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > 16384 ? n : 16384;
		c = malloc(sizeof *c + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = a->head;
		a->head = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *ax__arena_strdup(struct ax_arena *a, const char *s)
{
	size_t n;
	char *p;

	if (!s)
		return NULL;
	n = strlen(s) + 1;
	p = ax__arena_alloc(a, n);
	if (p)
		memcpy(p, s, n);
	return p;
}

void ax__arena_free(struct ax_arena *a)
{
	struct ax_arena_chunk *c = a->head, *next;

	for (; c; c = next) {
		next = c->next;
		free(c);
	}
	a->head = NULL;
}

/* ---- time ------------------------------------------------------------- */
/* Days from civil date (Howard Hinnant's algorithm): exact for any year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	const int64_t era = (y >= 0 ? y : y - 399) / 400;
	const unsigned yoe = (unsigned)(y - era * 400);
	const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	const unsigned doe = (unsigned)(z - era * 146097);
	const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	const unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

static int month_days(int y, int m)
{
	static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return md[m - 1];
}

int ax__time_parse(const char *s, int64_t *epoch)
{
	int y, mo, d, h, mi, sec = 0, off = AX_CST_OFFSET;
	const char *p;

	if (!s || strlen(s) < 16)
		return -1;
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi))
		return -1;
	p = s + 16;
	if (*p == ':') {
		if (digits(p + 1, 2, &sec))
			return -1;
		p += 3;
		if (*p == '.' || *p == ',') {
			p++;
			if (*p < '0' || *p > '9')
				return -1;
			while (*p >= '0' && *p <= '9')
				p++;
		}
	}
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 ||
	    d > month_days(y, mo) || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*p == 'Z' || *p == 'z') {
		off = 0;
		p++;
	} else if (*p == '+' || *p == '-') {
		int oh, om = 0, sign = *p == '-' ? -1 : 1;
		if (digits(p + 1, 2, &oh))
			return -1;
		p += 3;
		if (*p == ':')
			p++;
		if (*p) {
			if (digits(p, 2, &om))
				return -1;
			p += 2;
		}
		if (oh > 14 || om > 59)
			return -1;
		off = sign * (oh * 3600 + om * 60);
	}
	if (*p)
		return -1;
	*epoch = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	         h * 3600 + mi * 60 + sec - off;
	return 0;
}

void ax__time_format(int64_t epoch, char *buf, size_t n)
{
	int64_t t = epoch + AX_CST_OFFSET;
	int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400;
	int64_t rem = t - day * 86400;
	int y, m, d;

	civil_from_days(day, &y, &m, &d);
	if (n > 25 && y >= 0 && y <= 9999) {
		/* what the snprintf below writes, digit by digit: every record
		 * line has a time, and snprintf was a tenth of making a contact
		 * line (perf, bench/smsd) */
		int v[6] = {y / 100, y % 100, m, d, (int)(rem / 3600),
		            (int)(rem / 60 % 60)};
		/* the character before each pair: none inside the year */
		static const char sep[6] = {0, 0, '-', '-', 'T', ':'};
		char *p = buf;
		for (int i = 0; i < 6; i++) {
			if (sep[i])
				*p++ = sep[i];
			*p++ = (char)('0' + v[i] / 10);
			*p++ = (char)('0' + v[i] % 10);
		}
		*p++ = ':';
		*p++ = (char)('0' + (int)(rem % 60) / 10);
		*p++ = (char)('0' + (int)(rem % 60) % 10);
		memcpy(p, "+08:00", 7);
		return;
	}
	snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d+08:00", y, m, d,
	         (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

int ax__cst_day(int64_t epoch)
{
	int64_t t = epoch + AX_CST_OFFSET;
	return (int)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

void ax__day_format(int day, char *buf, size_t n)
{
	int y, m, d;
	civil_from_days(day, &y, &m, &d);
	snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}

int ax__day_parse(const char *s, int *day)
{
	int y, m, d;
	if (!s || strlen(s) != 10 || digits(s, 4, &y) || s[4] != '-' ||
	    digits(s + 5, 2, &m) || s[7] != '-' || digits(s + 8, 2, &d) || m < 1 ||
	    m > 12 || d < 1 || d > month_days(y, m))
		return -1;
	*day = (int)days_from_civil(y, (unsigned)m, (unsigned)d);
	return 0;
}

/* ---- region codes ----------------------------------------------------- */
int ax__region_level_of(const char *code)
{
	size_t n = strlen(code);

	for (size_t i = 0; i < n; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	if (n > 12 && n <= 20)
		return 4;
	if (n != 12)
		return 0;
	if (strcmp(code + 4, "00000000") == 0)
		return 0; /* province/city: not a level Anxin stores */
	if (strcmp(code + 6, "000000") == 0)
		return 1;
	if (strcmp(code + 9, "000") == 0)
		return 2;
	return 3;
}

/* The rank of a region code, above the county too: -1 a province (2
 * digits + ten 0s), 0 a city (4 digits + eight 0s), else its level (1
 * county .. 4 grid); -2 when it is no division code. */
int ax__region_rank(const char *code)
{
	int lv = ax__region_level_of(code);

	if (lv > 0)
		return lv;
	if (strlen(code) != 12 || strspn(code, "0123456789") != 12 ||
	    strncmp(code, "00", 2) == 0 || strcmp(code + 4, "00000000") != 0)
		return -2;
	return strcmp(code + 2, "0000000000") == 0 ? -1 : 0;
}

/* The significant prefix of a region code (province 2 digits, city 4,
 * county 6, township 9, village 12, grid all), 0 for no division code:
 * the codes under a region are those that start with it. */
size_t ax__region_prefix_len(const char *code)
{
	switch (ax__region_rank(code)) {
	case -1: return 2;
	case 0: return 4;
	case 1: return 6;
	case 2: return 9;
	case 3: return 12;
	case 4: return strlen(code);
	default: return 0;
	}
}

int ax__code_range(const char *code, size_t n, char lo[24], char hi[24])
{
	if (!n || n >= 24 || strlen(code) < n)
		return -1;
	memcpy(lo, code, n);
	lo[n] = '\0';
	memcpy(hi, lo, n + 1);
	hi[n - 1]++;
	return 0;
}

/* ---- clock.h: public China-time helpers --------------------------------- */
void ax_time_iso(long long epoch, char buf[AX_TIME_ISO_LEN])
{
	ax__time_format(epoch, buf, AX_TIME_ISO_LEN);
}

int ax_time_parse(const char *s, long long *epoch)
{
	int64_t t;
	if (!s || ax__time_parse(s, &t))
		return -1;
	*epoch = t;
	return 0;
}

int ax_cst_day(long long epoch) { return ax__cst_day(epoch); }

void ax_day_format(int day, char buf[AX_DAY_LEN])
{
	ax__day_format(day, buf, AX_DAY_LEN);
}

long long ax_day_start(int day)
{
	return (long long)day * 86400 - AX_CST_OFFSET;
}

int ax_day_parse(const char *s, int *day) { return ax__day_parse(s, day); }

void ax_time_format(long long epoch, const char *fmt, char *buf, size_t n)
{
	time_t t = (time_t)(epoch + AX_CST_OFFSET);
	struct tm tm;
	if (!n)
		return;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) && strftime(buf, n, fmt, &tm) == 0)
		buf[0] = '\0';
}

int ax_cst_second_of_day(long long epoch)
{
	long long t = (epoch + AX_CST_OFFSET) % 86400;
	return (int)(t < 0 ? t + 86400 : t);
}

/* A short, printable excerpt of a value for messages. */
void ax__excerpt(const char *s, char *buf, size_t n)
{
	size_t k = 0;
	for (; *s && k + 4 < n; s++)
		buf[k++] = (*s >= 0x20 && *s != 0x7f) || (*s & 0x80) ? *s : '?';
	/* do not cut a UTF-8 sequence in half */
	while (k > 0 && ((unsigned char)buf[k - 1] & 0xC0) == 0x80)
		k--;
	if (k > 0 && ((unsigned char)buf[k - 1] & 0xC0) == 0xC0)
		k--;
	buf[k] = '\0';
	if (*s)
		strcat(buf, "…");
}

/* ---- terminal tables ---------------------------------------------------- */
int ax__display_width(const char *s)
{
	utf8proc_int32_t cp;
	int w = 0;
	utf8proc_ssize_t n;

	while (*s && (n = utf8proc_iterate((const utf8proc_uint8_t *)s, -1, &cp)) > 0) {
		w += utf8proc_charwidth(cp);
		s += n;
	}
	return w;
}

void ax__buf_pad(struct ax_buf *b, const char *s, int w, int right)
{
	int sw = ax__display_width(s);
	if (right)
		for (int i = sw; i < w; i++)
			ax__buf_put(b, " ", 1);
	ax__buf_puts(b, s);
	if (!right)
		for (int i = sw; i < w; i++)
			ax__buf_put(b, " ", 1);
}
