/*
 * check_conf.c -- checks deploy/kiosk.conf.example and
 * deploy/smsd.conf.example with the same INI reader the programs use
 * (libiniparser), because neither anxin-kiosk nor anxin-smsd has a
 * "check the configuration and exit" mode.
 *
 *   check_conf kiosk|smsd FILE KEYS
 *
 * KEYS lists, one per line, the "section:key" names the program's source
 * reads (tests/deploy/conf.sh extracts them from kiosk/main.c and
 * sms-gateway/config.c, so they follow the code); "%s:key" stands for a
 * key of every [gammu] / [gammuN] modem section.  Checked:
 *   - every key in FILE is one the program reads (a typo is an error, the
 *     program would silently use its default);
 *   - every key the program reads appears in FILE, so the example
 *     documents all of them (for modem keys: in the first [gammu]);
 *   - each value has the type and range the program needs (plain decimal
 *     integers, booleans iniparser understands, HH:MM-HH:MM, https URLs,
 *     a 32-byte base64 key, an argon2 PIN hash, region codes, ...).
 * Exit 0 clean, 1 problems (each on stderr, naming file, section and
 * key), 2 usage or unreadable input.
 */
#include <ctype.h>
#include <iniparser.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_KEYS 128

static const char *file;
static int problems;
static char known[MAX_KEYS][128];
static int nknown;

static void bad(const char *key, const char *fmt, ...)
{
	va_list ap;
	const char *colon = strchr(key, ':');
	fprintf(stderr, "%s: [%.*s] %s: ", file, colon ? (int)(colon - key) : 0, key,
	        colon ? colon + 1 : key);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	problems++;
}

static int is_modem_section(const char *sec)
{
	return strncmp(sec, "gammu", 5) == 0 &&
	       strspn(sec + 5, "0123456789") == strlen(sec + 5);
}

/* Is sec:key read by the program? */
static int is_known(const char *seckey)
{
	const char *colon = strchr(seckey, ':');
	char sec[64];
	if (!colon || (size_t)(colon - seckey) >= sizeof sec)
		return 0;
	snprintf(sec, sizeof sec, "%.*s", (int)(colon - seckey), seckey);
	for (int i = 0; i < nknown; i++) {
		if (strncmp(known[i], "%s:", 3) == 0) {
			if (is_modem_section(sec) && strcmp(known[i] + 3, colon + 1) == 0)
				return 1;
		} else if (strcmp(known[i], seckey) == 0)
			return 1;
	}
	return 0;
}

static const char *str(dictionary *d, const char *key)
{
	return iniparser_getstring(d, key, NULL);
}

/* A plain decimal integer in [lo, hi] (iniparser's getint would take
 * "08" as octal and "10s" as 10 without a word). */
static long num(dictionary *d, const char *key, long lo, long hi)
{
	const char *v = str(d, key);
	char *end;
	long n;
	if (!v)
		return lo;
	if (!*v || strspn(v, "0123456789") != strlen(v) || (v[0] == '0' && v[1])) {
		bad(key, "\"%s\" is not a plain decimal number", v);
		return lo;
	}
	n = strtol(v, &end, 10);
	if (n < lo || n > hi)
		bad(key, "%ld is outside %ld..%ld", n, lo, hi);
	return n;
}

static void boolean(dictionary *d, const char *key)
{
	static const char *const ok[] = {"yes", "no", "true", "false", "1", "0",
	                                 "y", "n", "t", "f"};
	const char *v = str(d, key);
	if (!v)
		return;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		if (strcasecmp(v, ok[i]) == 0)
			return;
	bad(key, "\"%s\" is not yes/no", v);
}

static void required(dictionary *d, const char *key)
{
	const char *v = str(d, key);
	if (!v || !*v)
		bad(key, "required, and empty");
}

static void url(dictionary *d, const char *key)
{
	const char *v = str(d, key);
	if (!v || !*v)
		return;
	if (strncmp(v, "https://", 8) != 0 || !v[8] || strchr(v, ' '))
		bad(key, "\"%s\": the server is reached through nginx with TLS: "
		         "https://HOST", v);
	else if (v[strlen(v) - 1] == '/')
		bad(key, "\"%s\": no trailing slash (paths are appended)", v);
}

static void name(dictionary *d, const char *key)
{
	const char *v = str(d, key);
	if (!v)
		return;
	if (!*v || strlen(v) > 63 ||
	    strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
	        strlen(v))
		bad(key, "\"%s\": a device name is 1-63 letters, digits, . _ -", v);
}

static int hhmm(const char *s, int n)
{
	return n == 5 && isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]) &&
	       s[2] == ':' && isdigit((unsigned char)s[3]) &&
	       isdigit((unsigned char)s[4]) && (s[0] - '0') * 10 + (s[1] - '0') <= 24 &&
	       s[3] <= '5';
}

static void check_kiosk(dictionary *d)
{
	const char *v;
	long timeout;

	name(d, "kiosk:device");
	required(d, "kiosk:region");
	v = str(d, "kiosk:region");
	if (v && *v && (strlen(v) < 12 || strlen(v) > 20 || strspn(v, "0123456789") != strlen(v)))
		bad("kiosk:region", "\"%s\" is not a 12-digit village code or a grid "
		                    "code extending one", v);
	v = str(d, "kiosk:store");
	if (v && !*v)
		bad("kiosk:store", "empty: the kiosk needs its own store file");
	v = str(d, "kiosk:survey");
	if (v && !*v)
		bad("kiosk:survey", "empty: name the satisfaction survey's id");
	num(d, "kiosk:min_seconds", 0, 3600);
	url(d, "central:url");
	v = str(d, "central:url");
	if (v && *v) {
		const char *t = str(d, "central:token_file");
		if (!t || !*t)
			bad("central:token_file", "a [central] url needs a token file");
	}
	num(d, "central:sync_interval", 10, 86400);
	v = str(d, "central:seal_public_key");
	if (v && *v) {
		unsigned char pk[64];
		size_t n = 0;
		if (sodium_base642bin(pk, sizeof pk, v, strlen(v), NULL, &n, NULL,
		                      sodium_base64_VARIANT_ORIGINAL) || n != 32)
			bad("central:seal_public_key", "not a base64 32-byte public key");
	}
	v = str(d, "staff:pin_hash");
	if (v && *v && strncmp(v, "$argon2", 7) != 0)
		bad("staff:pin_hash", "not a hash from anxin-kiosk --hash-pin PIN");
	timeout = num(d, "idle:timeout", 10, 3600);
	num(d, "idle:countdown", 1, timeout);
	num(d, "screen:width", 320, 8192);
	num(d, "screen:height", 320, 8192);
	boolean(d, "screen:fullscreen");
}

static void check_smsd(dictionary *d)
{
	int nsec = iniparser_getnsec(d), nmodems = 0;
	char key[160], devices[16][256];
	const char *v;
	long remind;

	for (int i = 0; i < nsec; i++) {
		const char *sec = iniparser_getsecname(d, i);
		const char *conn, *model;
		long send;
		if (!sec || !is_modem_section(sec))
			continue;
		if (nmodems == 16) {
			snprintf(key, sizeof key, "%s:device", sec);
			bad(key, "at most 16 modems");
			break;
		}
		snprintf(key, sizeof key, "%s:model", sec);
		model = iniparser_getstring(d, key, "");
		snprintf(key, sizeof key, "%s:device", sec);
		v = iniparser_getstring(d, key, "");
		if (!*v)
			bad(key, "required: the modem's serial port");
		else if (strcmp(model, "dummy") != 0 && strncmp(v, "/dev/", 5) != 0)
			bad(key, "\"%s\" is not a /dev/ path", v);
		for (int k = 0; k < nmodems; k++)
			if (*v && strcmp(devices[k], v) == 0)
				bad(key, "\"%s\" is already the device of another modem", v);
		snprintf(devices[nmodems++], sizeof devices[0], "%s", v);
		snprintf(key, sizeof key, "%s:connection", sec);
		conn = iniparser_getstring(d, key, "at");
		if (!(strncmp(conn, "at", 2) == 0 && strspn(conn + 2, "0123456789") == strlen(conn + 2)) &&
		    strcmp(conn, "none") != 0)
			bad(key, "\"%s\": a GSM modem is at, at19200, at115200 ...", conn);
		if (*model && strcmp(model, "dummy") != 0 && strcmp(model, "at") != 0)
			bad(key, "model \"%s\": leave empty (gammu detects it)", model);
		snprintf(key, sizeof key, "%s:part_timeout", sec);
		num(d, key, 1, 86400);
		snprintf(key, sizeof key, "%s:send_timeout", sec);
		send = str(d, key) ? num(d, key, 1, 600) : 60;
		snprintf(key, sizeof key, "%s:hang_timeout", sec);
		if (str(d, key) && num(d, key, 2, 3600) <= send)
			bad(key, "must be longer than send_timeout (a send in progress"
			         " would be taken for a hang)");
	}
	if (!nmodems)
		bad("gammu:device", "no [gammu] section: at least one modem");
	required(d, "smsd:store");
	v = str(d, "smsd:store");
	if (v && *v && v[0] != '/')
		bad("smsd:store", "\"%s\": use an absolute path (the service's "
		                  "working directory is /)", v);
	v = str(d, "smsd:gateway_db");
	if (v && *v && v[0] != '/')
		bad("smsd:gateway_db", "\"%s\": use an absolute path", v);
	name(d, "smsd:device_id");
	v = str(d, "smsd:quiet_hours");
	if (v && *v) {
		const char *dash = strchr(v, '-');
		if (!dash || !hhmm(v, (int)(dash - v)) || !hhmm(dash + 1, (int)strlen(dash + 1)))
			bad("smsd:quiet_hours", "\"%s\" is not HH:MM-HH:MM", v);
	}
	num(d, "smsd:pace_per_min", 1, 60);
	num(d, "smsd:pace_burst", 1, 60);
	num(d, "smsd:campaign_gap", 0, 30 * 86400);
	num(d, "smsd:daily_cap", 1, 2000);
	remind = num(d, "smsd:remind_after", 60, 30 * 86400);
	if (str(d, "smsd:expire_after") && num(d, "smsd:expire_after", 60, 90 * 86400) <= remind)
		bad("smsd:expire_after", "must be longer than remind_after, or the "
		                         "reminder is never sent");
	num(d, "smsd:poll_ms", 100, 60000);
	num(d, "smsd:max_backoff", 5, 3600);
	v = str(d, "smsd:clock_file");
	if (v && *v)
		bad("smsd:clock_file", "tests only: a production gateway must use the "
		                       "real clock");
	url(d, "smsd:central_url");
	v = str(d, "smsd:central_url");
	if (v && *v && !*iniparser_getstring(d, "smsd:token", ""))
		bad("smsd:token", "central_url is set without a token");
}

int main(int argc, char **argv)
{
	dictionary *d;
	FILE *kf;
	char line[128];
	int nsec;

	if (argc != 4 || (strcmp(argv[1], "kiosk") != 0 && strcmp(argv[1], "smsd") != 0)) {
		fprintf(stderr, "usage: check_conf kiosk|smsd FILE KEYS\n");
		return 2;
	}
	if (sodium_init() < 0)
		return 2;
	file = argv[2];
	if (!(kf = fopen(argv[3], "r"))) {
		perror(argv[3]);
		return 2;
	}
	while (fgets(line, sizeof line, kf) && nknown < MAX_KEYS) {
		line[strcspn(line, "\r\n")] = 0;
		if (line[0])
			snprintf(known[nknown++], sizeof known[0], "%s", line);
	}
	fclose(kf);
	if (nknown < 5) {
		fprintf(stderr, "%s: only %d keys: the extraction from the source failed\n",
		        argv[3], nknown);
		return 2;
	}
	if (!(d = iniparser_load(file))) {
		fprintf(stderr, "%s: iniparser cannot read it\n", file);
		return 2;
	}

	/* 1. every key in the file is read by the program */
	nsec = iniparser_getnsec(d);
	for (int i = 0; i < nsec; i++) {
		const char *sec = iniparser_getsecname(d, i);
		int nk = iniparser_getsecnkeys(d, sec);
		const char **keys = nk > 0 ? calloc((size_t)nk, sizeof *keys) : NULL;
		int any = 0;
		if (nk > 0 && (!keys || !iniparser_getseckeys(d, sec, keys))) {
			free(keys);
			continue;
		}
		for (int k = 0; k < nk; k++) {
			if (!is_known(keys[k]))
				bad(keys[k], "%s does not read this key (a typo?)",
				    strcmp(argv[1], "kiosk") == 0 ? "anxin-kiosk" : "anxin-smsd");
			any = 1;
		}
		if (!any) {
			int known_sec = 0;
			for (int k = 0; k < nknown; k++)
				known_sec |= strncmp(known[k], sec, strlen(sec)) == 0 &&
				             known[k][strlen(sec)] == ':';
			if (!known_sec && !is_modem_section(sec)) {
				snprintf(line, sizeof line, "%s:", sec);
				bad(line, "section not read by the program");
			}
		}
		free(keys);
	}
	/* 2. every key the program reads is documented in the example */
	for (int k = 0; k < nknown; k++) {
		char key[160];
		if (strncmp(known[k], "%s:", 3) == 0)
			snprintf(key, sizeof key, "gammu:%s", known[k] + 3);
		else
			snprintf(key, sizeof key, "%s", known[k]);
		if (!iniparser_find_entry(d, key))
			bad(key, "read by the program but missing from the example");
	}
	/* 3. values */
	if (strcmp(argv[1], "kiosk") == 0)
		check_kiosk(d);
	else
		check_smsd(d);
	iniparser_freedict(d);
	if (problems) {
		fprintf(stderr, "%s: %d problem(s)\n", file, problems);
		return 1;
	}
	printf("%s: %d keys known to the program, all documented, values sane\n", file,
	       nknown);
	return 0;
}
