/*
 * resident_sim -- simulated households answering SMS questionnaires, for
 * the demo and soak runs: reads what anxin-smsd sent (its sent log, JSON
 * lines) and drops replies into libgammu's dummy modem inbox the way real
 * people write them: late, messy ("１", "二", "我选3", "A.", "满意！"),
 * sometimes gibberish, sometimes 退订, sometimes never.
 *
 *   resident_sim --sent-log FILE --inbox DIR [--seed N] [--once]
 *                [--max-delay-ms N] [--clock-file FILE]
 *
 * Deterministic per (seed, phone): each number has a fixed persona.  Most
 * sends also get a delivery report (status report files), some never do,
 * as on real networks.
 * Replies are smsbackup files (UCS-2BE hex, PDU = Deliver), one per
 * message, at the first free location of DIR.
 */
#include <errno.h>
#include <iconv.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static unsigned long long mix(unsigned long long z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static unsigned long long hash_str(const char *s, unsigned long long seed)
{
	unsigned long long h = seed * 0x9E3779B97F4A7C15ULL + 1;
	for (; *s; s++)
		h = mix(h ^ (unsigned char)*s);
	return h;
}

struct pending {
	long long due_ms;
	char phone[32];
	char text[128];
	int report_ref; /* >= 0: a delivery report for this reference */
};

static struct pending queue[4096];
static int nqueue;

/* Where the next inbox file goes: the first free location at or after the
 * last one written.  Probing from 1 for every file made writing a wave of
 * n files O(n^2) stat calls; going on from the last one also keeps a
 * resident's replies in the order they were written (the dummy driver
 * reads by location).  Back to 1 when the end is reached. */
static int next_free(const char *inbox)
{
	static int hint = 1;
	char path[1024];
	struct stat sb;
	int loc, pass;

	for (pass = 0; pass < 2; pass++) {
		for (loc = hint; loc <= 10000; loc++) {
			snprintf(path, sizeof path, "%s/%d", inbox, loc);
			if (stat(path, &sb) != 0) {
				hint = loc + 1;
				return loc;
			}
		}
		hint = 1;
	}
	return -1;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --clock-file: the time a reply or report is stamped with is the number
 * of seconds in that file (the gateway's clock_file) plus one, so a walk
 * with a moved clock gets replies that come just after what they answer.
 * A file caught between `echo T > file`'s truncate and write reads empty:
 * the last good reading then (as the gateway's clock does), never the
 * real time, months away from the walk.  Without it, the real time. */
static const char *clock_file;
static long long clock_last;

static time_t sim_time(void)
{
	FILE *f;
	long long t = 0;
	if (!clock_file)
		return time(NULL);
	if ((f = fopen(clock_file, "r"))) {
		if (fscanf(f, "%lld", &t) != 1)
			t = 0;
		fclose(f);
	}
	if (t > 0)
		clock_last = t;
	else
		t = clock_last > 0 ? clock_last : (long long)time(NULL) - 1;
	return (time_t)(t + 1);
}

/* Write one reply into the dummy modem's inbox (smsbackup format). */
static int write_reply(const char *inbox, const char *phone, const char *text)
{
	char path[1024], tmp[1040], hex[1024], ucs[512];
	iconv_t cd = iconv_open("UCS-2BE", "UTF-8");
	char *in = (char *)text, *out = ucs;
	size_t inl = strlen(text), outl = sizeof ucs, n;
	time_t t = sim_time();
	struct tm tm;
	FILE *f;
	int loc;

	if (cd == (iconv_t)-1)
		return -1;
	if (iconv(cd, &in, &inl, &out, &outl) == (size_t)-1) {
		iconv_close(cd);
		return -1;
	}
	iconv_close(cd);
	n = sizeof ucs - outl;
	for (size_t i = 0; i < n; i++)
		sprintf(hex + 2 * i, "%02X", (unsigned char)ucs[i]);
	hex[2 * n] = '\0';
	if ((loc = next_free(inbox)) < 0)
		return -1;
	localtime_r(&t, &tm);
	snprintf(path, sizeof path, "%s/%d", inbox, loc);
	snprintf(tmp, sizeof tmp, "%s/.%d.tmp", inbox, loc);
	if (!(f = fopen(tmp, "w")))
		return -1;
	fprintf(f, "[SMSBackup000]\nSMSC = \"+8613800100500\"\nState = UnRead\n"
	           "Number = \"%s\"\nText00 = %s\nCoding = Unicode_No_Compression\n"
	           "Folder = 1\nLength = %zu\nClass = -1\nPDU = Deliver\n"
	           "DateTime = %04d%02d%02dT%02d%02d%02d\n",
	        phone, hex, n / 2, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	        tm.tm_hour, tm.tm_min, tm.tm_sec);
	fclose(f);
	return rename(tmp, path);
}

/* UCS-2BE hex of an ASCII string (phone numbers). */
static void ascii_ucs2_hex(const char *s, char *out)
{
	for (; *s; s++, out += 4)
		sprintf(out, "00%02X", (unsigned char)*s);
	*out = '\0';
}

/* A delivery report for a message sent to phone with reference ref, as
 * libgammu's dummy driver reads one back from the inbox. */
static int write_report(const char *inbox, const char *phone, int ref)
{
	char path[1024], tmp[1040], hex[128];
	time_t t = sim_time();
	struct tm tm;
	FILE *f;
	int loc;

	if (strlen(phone) > 24 || (loc = next_free(inbox)) < 0)
		return -1;
	ascii_ucs2_hex(phone, hex);
	localtime_r(&t, &tm);
	snprintf(path, sizeof path, "%s/%d", inbox, loc);
	snprintf(tmp, sizeof tmp, "%s/.%d.tmp", inbox, loc);
	if (!(f = fopen(tmp, "w")))
		return -1;
	fprintf(f, "[SMSBackup000]\nSMSC = \"+8613800100500\"\nState = UnRead\n"
	           "Number = \"%s\"\nNumberUnicode = %s\n"
	           "Coding = Default_No_Compression\nFolder = 1\nLength = 0\n"
	           "Class = -1\nPDU = Status_Report\nMessageReference = %d\n"
	           "DeliveryStatus = 0\nDateTime = %04d%02d%02dT%02d%02d%02d\n"
	           "SMSCDateTime = %04d%02d%02dT%02d%02d%02d\n",
	        phone, hex, ref, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	        tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_year + 1900, tm.tm_mon + 1,
	        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	fclose(f);
	return rename(tmp, path);
}

/* The digits the message offers after "回复" (options), as a string. */
static void options_of(const char *text, char *opts, size_t n)
{
	const char *p = strstr(text, "回复");
	size_t k = 0;
	opts[0] = '\0';
	for (; p && *p && k + 1 < n; p++)
		if (*p >= '1' && *p <= '9' && !strchr(opts, *p)) {
			opts[k++] = *p;
			opts[k] = '\0';
		}
}

/* A messy way to write option digit d. */
static void messy(char d, unsigned long long r, char *out, size_t n)
{
	static const char *const cn[] = {"", "一", "二", "三", "四", "五",
	                                 "六", "七", "八", "九"};
	static const char *const fw[] = {"", "１", "２", "３", "４", "５",
	                                 "６", "７", "８", "９"};
	int i = d - '0';
	switch (r % 9) {
	case 0: snprintf(out, n, "%c", d); break;
	case 1: snprintf(out, n, "%s", fw[i]); break;
	case 2: snprintf(out, n, "%s", cn[i]); break;
	case 3: snprintf(out, n, "我选%c", d); break;
	case 4: snprintf(out, n, "%c.", d); break;
	case 5: snprintf(out, n, "（%c）", d); break;
	case 6: snprintf(out, n, " %c ", d); break;
	case 7: snprintf(out, n, "选%s", cn[i]); break;
	default: snprintf(out, n, "%c，谢谢", d); break;
	}
}

static void decide(const char *phone, const char *kind, const char *text,
                   int ref, unsigned long long seed, int max_delay_ms, long line)
{
	unsigned long long persona = hash_str(phone, seed), r;
	char opts[16], reply[64];

	/* most networks confirm most messages; some reports never come */
	if (ref >= 0 && mix(persona ^ (unsigned long long)line) % 100 < 85 &&
	    nqueue < (int)(sizeof queue / sizeof queue[0])) {
		queue[nqueue].due_ms = now_ms() + (max_delay_ms ? 500 : 0);
		snprintf(queue[nqueue].phone, sizeof queue[0].phone, "%s", phone);
		queue[nqueue].text[0] = '\0';
		queue[nqueue].report_ref = ref;
		nqueue++;
	}

	if (strcmp(kind, "question") && strcmp(kind, "intro") && strcmp(kind, "reask"))
		return;
	if (nqueue == (int)(sizeof queue / sizeof queue[0]))
		return;
	if (persona % 100 < 15)
		return; /* never answers */
	r = mix(persona ^ (unsigned long long)line * 7919);
	options_of(text, opts, sizeof opts);
	/* some opt out at the first message, which may offer no options */
	if (persona % 100 < 19 && strcmp(kind, "intro") == 0)
		snprintf(reply, sizeof reply, "%s", r % 2 ? "TD" : "退订");
	else if (!opts[0])
		return;
	else if (r % 100 < 4)
		snprintf(reply, sizeof reply, "%s", r % 2 ? "好的" : "你们是谁？");
	else
		messy(opts[(r >> 8) % strlen(opts)], r >> 16, reply, sizeof reply);
	/* nobody reads and answers in under two seconds (the gateway takes a
	 * reply read in the second its question went out for an earlier one) */
	queue[nqueue].due_ms = now_ms() + (max_delay_ms > 2000 ? 2000 : max_delay_ms) +
	                       (long long)((r >> 24) % (unsigned)(max_delay_ms > 2000
	                                                                ? max_delay_ms - 2000 + 1
	                                                                : 1));
	snprintf(queue[nqueue].phone, sizeof queue[0].phone, "%s", phone);
	snprintf(queue[nqueue].text, sizeof queue[0].text, "%s", reply);
	queue[nqueue].report_ref = -1;
	nqueue++;
}

int main(int argc, char **argv)
{
	const char *log = NULL, *inbox = NULL;
	unsigned long long seed = 1;
	int once = 0, max_delay_ms = 8000;
	long offset = 0, line = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--sent-log") && i + 1 < argc)
			log = argv[++i];
		else if (!strcmp(argv[i], "--inbox") && i + 1 < argc)
			inbox = argv[++i];
		else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--max-delay-ms") && i + 1 < argc)
			max_delay_ms = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--clock-file") && i + 1 < argc)
			clock_file = argv[++i];
		else if (!strcmp(argv[i], "--once"))
			once = 1, max_delay_ms = 0;
		else {
			fprintf(stderr, "usage: resident_sim --sent-log FILE --inbox DIR "
			                "[--seed N] [--once] [--max-delay-ms N] [--clock-file FILE]\n");
			return 2;
		}
	}
	if (!log || !inbox) {
		fprintf(stderr, "resident_sim: --sent-log and --inbox are required\n");
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	while (!stop) {
		FILE *f = fopen(log, "r");
		if (f) {
			char *buf = NULL;
			size_t cap = 0;
			ssize_t n;
			if (fseek(f, offset, SEEK_SET) == 0)
				while ((n = getline(&buf, &cap, f)) > 0 && buf[n - 1] == '\n') {
					json_t *o = json_loads(buf, 0, NULL);
					const char *ph = json_string_value(json_object_get(o, "phone"));
					offset += n;
					line++;
					if (ph && strchr(ph, '*')) {
						/* nobody can answer a masked number: say so
						 * rather than run on as a village that never
						 * replies */
						fprintf(stderr,
						        "resident_sim: %s:%ld: phone \"%s\" is masked; "
						        "run the gateway with sent_log_numbers = full "
						        "for simulated residents\n",
						        log, line, ph);
						json_decref(o);
						free(buf);
						fclose(f);
						return 2;
					}
					if (o)
						decide(json_string_value(json_object_get(o, "phone"))
						           ? json_string_value(json_object_get(o, "phone")) : "",
						       json_string_value(json_object_get(o, "kind"))
						           ? json_string_value(json_object_get(o, "kind")) : "",
						       json_string_value(json_object_get(o, "text"))
						           ? json_string_value(json_object_get(o, "text")) : "",
						       json_is_integer(json_object_get(o, "ref"))
						           ? (int)json_integer_value(json_object_get(o, "ref")) : -1,
						       seed, max_delay_ms, line);
					json_decref(o);
				}
			free(buf);
			fclose(f);
		}
		for (int i = 0; i < nqueue;) {
			if (queue[i].due_ms <= now_ms()) {
				if (queue[i].report_ref >= 0
				        ? write_report(inbox, queue[i].phone, queue[i].report_ref)
				        : write_reply(inbox, queue[i].phone, queue[i].text))
					fprintf(stderr, "resident_sim: cannot write to %s: %s\n", inbox,
					        strerror(errno));
				queue[i] = queue[--nqueue];
			} else {
				i++;
			}
		}
		if (once && nqueue == 0)
			break;
		usleep(200 * 1000);
	}
	return 0;
}
