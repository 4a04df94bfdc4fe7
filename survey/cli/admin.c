/*
 * admin.c -- `anxin device|user|campaign ...`: the central store's
 * administration commands.  Thin: parse, call libanxin, print.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "anxin/auth.h"
#include "anxin/clock.h"
#include "anxin/campaign.h"
#include "anxin/records.h"
#include "anxin/sample.h"
#include "anxin/store.h"

int cli_admin(const char *cmd, int argc, char **argv);

static ax_store *open_db(const char *db)
{
	ax_store *st;
	char err[512];
	if (!db) {
		fprintf(stderr, "anxin: --db FILE is required\n");
		exit(2);
	}
	if (ax_store_open(db, AX_STORE_CREATE, &st, err, sizeof err)) {
		fprintf(stderr, "anxin: %s\n", err);
		exit(3);
	}
	return st;
}

static void when(long long t, char *buf, size_t n)
{
	if (!t) {
		snprintf(buf, n, "-");
		return;
	}
	ax_time_format(t, "%Y-%m-%d %H:%M", buf, n);
}

/* "YYYY-MM-DD[ HH:MM]" in China time to epoch; -1 if malformed.  A bare
 * date is its first second, or with end_of_day the first second after it:
 * --end 2026-12-31 keeps the whole of the 31st in the campaign. */
static long long parse_when(const char *s, int end_of_day)
{
	long long t;
	int day;
	if (strlen(s) == 16 && s[10] == ' ' && ax_time_parse(s, &t) == 0)
		return t;
	if (ax_day_parse(s, &day) != 0)
		return -1;
	return ax_day_start(end_of_day ? day + 1 : day);
}

static int parse_hhmm(const char *s)
{
	int h, m;
	if (sscanf(s, "%d:%d", &h, &m) != 2 || h < 0 || h > 23 || m < 0 || m > 59)
		return -1;
	return h * 60 + m;
}

static int cmd_device(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'}, {"name", required_argument, 0, 'n'},
		{"kind", required_argument, 0, 'k'}, {"scope", required_argument, 0, 's'},
		{0, 0, 0, 0}};
	const char *db = NULL, *name = NULL, *kind = NULL, *scope = NULL, *sub;
	ax_store *st;
	int c, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: anxin device add|list|revoke --db FILE ...\n");
		return 2;
	}
	sub = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'k': kind = optarg; break;
		case 's': scope = optarg; break;
		default: return 2;
		}
	}
	if (!name && optind < argc)
		name = argv[optind];
	st = open_db(db);
	if (strcmp(sub, "add") == 0) {
		char token[AX_TOKEN_MAX];
		if (!name || !kind || !scope) {
			fprintf(stderr, "usage: anxin device add --db FILE --name NAME "
			                "--kind kiosk|smsd --scope CODE[,CODE]\n");
			rc = 2;
		} else if (ax_device_add(st, name, kind, scope, token)) {
			fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
			rc = 3;
		} else {
			/* the only time the token is shown: only its hash is kept */
			printf("%s\n", token);
			fprintf(stderr, "device %s (%s, scope %s) added; the token above "
			                "is shown once, keep it in the device's token file\n",
			        name, kind, scope);
		}
	} else if (strcmp(sub, "list") == 0) {
		struct ax_device *d;
		int n;
		if (ax_device_list(st, &d, &n)) {
			fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
			rc = 3;
		} else {
			printf("%-20s %-6s %-9s %-17s %-8s %s\n", "name", "kind", "state",
			       "last seen", "backlog", "scope");
			for (int i = 0; i < n; i++) {
				char seen[32], bl[24];
				when(d[i].last_seen, seen, sizeof seen);
				snprintf(bl, sizeof bl, "%lld", d[i].backlog);
				printf("%-20s %-6s %-9s %-17s %-8s %s\n", d[i].id, d[i].kind,
				       d[i].revoked_at ? "revoked" : "active", seen,
				       d[i].backlog < 0 ? "-" : bl, d[i].scope);
			}
			free(d);
		}
	} else if (strcmp(sub, "revoke") == 0) {
		if (!name) {
			fprintf(stderr, "usage: anxin device revoke --db FILE NAME\n");
			rc = 2;
		} else if (ax_device_revoke(st, name)) {
			fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
			rc = 3;
		} else {
			printf("device %s revoked\n", name);
		}
	} else {
		fprintf(stderr, "anxin: unknown device command \"%s\"\n", sub);
		rc = 2;
	}
	ax_store_close(st);
	return rc;
}

/* Read a password from --password-file, or the terminal without echo. */
static int read_password(const char *file, char *buf, size_t n)
{
	FILE *f = file ? fopen(file, "r") : NULL;
	struct termios old, quiet;
	int tty = !file && isatty(0);

	if (file && !f) {
		perror(file);
		return -1;
	}
	if (!file) {
		f = stdin;
		if (tty) {
			fprintf(stderr, "password: ");
			tcgetattr(0, &old);
			quiet = old;
			quiet.c_lflag &= ~(tcflag_t)ECHO;
			tcsetattr(0, TCSANOW, &quiet);
		}
	}
	if (!fgets(buf, (int)n, f))
		buf[0] = '\0';
	if (tty) {
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stderr);
	}
	if (file)
		fclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* `user list`: every user, its role, scope, state and live sessions. */
static int list_users(ax_store *st)
{
	struct ax_user_row *u;
	int n;
	if (ax_user_list(st, &u, &n)) {
		fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
		return 3;
	}
	printf("%-20s %-9s %-8s %-8s %s\n", "user", "role", "state", "sessions",
	       "scope");
	for (int i = 0; i < n; i++)
		printf("%-20s %-9s %-8s %-8d %s\n", u[i].name, u[i].role,
		       u[i].disabled ? "disabled" : "active", u[i].sessions, u[i].scope);
	ax_free(u);
	return 0;
}

static int cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'}, {"name", required_argument, 0, 'n'},
		{"role", required_argument, 0, 'r'}, {"scope", required_argument, 0, 's'},
		{"password-file", required_argument, 0, 'p'}, {"reset", no_argument, 0, 'R'},
		{0, 0, 0, 0}};
	const char *db = NULL, *name = NULL, *role = NULL, *scope = NULL, *pwf = NULL;
	const char *sub = argc >= 2 ? argv[1] : "";
	char pw[256];
	ax_store *st;
	ax_rc arc;
	int c, reset = 0, rc = 0;

	if (strcmp(sub, "add") && strcmp(sub, "list") && strcmp(sub, "disable") &&
	    strcmp(sub, "logout")) {
		fprintf(stderr, "usage: anxin user add --db FILE --name NAME --role "
		                "county|township|grid --scope CODE [--password-file F]\n"
		                "       anxin user add --db FILE --name NAME --reset "
		                "[--password-file F]   (new password; sessions end)\n"
		                "       anxin user list --db FILE\n"
		                "       anxin user disable|logout --db FILE --name NAME\n");
		return 2;
	}
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': name = optarg; break;
		case 'r': role = optarg; break;
		case 's': scope = optarg; break;
		case 'p': pwf = optarg; break;
		case 'R': reset = 1; break;
		default: return 2;
		}
	}
	if (strcmp(sub, "list") == 0) {
		st = open_db(db);
		rc = list_users(st);
		ax_store_close(st);
		return rc;
	}
	if (!name || (!strcmp(sub, "add") && !reset && (!role || !scope))) {
		fprintf(stderr, "anxin user %s: --name%s %s required\n", sub,
		        strcmp(sub, "add") || reset ? "" : ", --role and --scope",
		        strcmp(sub, "add") || reset ? "is" : "are");
		return 2;
	}
	if (reset && (role || scope)) {
		fprintf(stderr, "anxin user add --reset changes the password only: "
		                "leave out --role and --scope\n");
		return 2;
	}
	if (!strcmp(sub, "add") && read_password(pwf, pw, sizeof pw))
		return 3;
	st = open_db(db);
	if (!strcmp(sub, "disable"))
		arc = ax_user_disable(st, name);
	else if (!strcmp(sub, "logout"))
		arc = ax_user_logout(st, name);
	else if (reset)
		arc = ax_user_set_password(st, name, pw);
	else
		arc = ax_user_add(st, name, pw, role, scope, 0);
	if (arc) {
		fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
		rc = 3;
	} else if (!strcmp(sub, "add") && !reset) {
		printf("user %s (%s, scope %s) added\n", name, role, scope);
	} else {
		printf("user %s: %s; sessions ended\n", name,
		       reset ? "password changed" : !strcmp(sub, "disable")
		       ? "disabled" : "logged out");
	}
	memset(pw, 0, sizeof pw);
	ax_store_close(st);
	return rc;
}

/* A stratum that drew fewer than 2 households gives its estimates no
 * variance part (sample.h): say so, the draw stays. */
static void warn_thin_strata(ax_store *st, const char *id)
{
	struct ax_stratum *sx;
	int ns;
	if (ax_sample_strata(st, id, &sx, &ns))
		return;
	for (int h = 0; h < ns; h++)
		if (sx[h].sample < 2)
			fprintf(stderr, "anxin: warning: stratum %s (%s) drew %lld of %lld "
			                "households: fewer than 2, its variance is not "
			                "estimated; a larger --sample or --strata township "
			                "avoids it\n",
			        sx[h].code, sx[h].name, sx[h].sample, sx[h].frame);
	free(sx);
}

/* "2.4 h" under a day, else "3.5 days". */
static void span(double days, char *buf, size_t n)
{
	ax_campaign_span(days, "h", "days", buf, n);
}

/* After create, on stderr (stdout is the id): how long the campaign needs
 * at its pace, quiet hours and cap on `modems`, and a warning when its
 * window is too short to reach every household. */
static void print_estimate(ax_store *st, const struct ax_campaign *c, int modems)
{
	struct ax_campaign_est e;
	char reach[32], whole[32], window[32];

	if (ax_campaign_estimate(st, c, modems, &e) || !e.households || !e.reach_msgs)
		return;
	span(e.reach_days, reach, sizeof reach);
	span(e.whole_days, whole, sizeof whole);
	span(e.window_days, window, sizeof window);
	/* with a survey, residents' answers take their next questions out of
	 * the same daily cap first: the first messages alone are a floor (a
	 * village walk at the defaults reached 85 of 167 households in the
	 * 1.1 days this said before) */
	fprintf(stderr, "anxin: estimate: %lld households with a phone; %d modem(s) at "
	                "%d/min for %d min a day outside quiet hours, %d segments/SIM/day: "
	                "reaching every household (%d messages, %d segments each) takes "
	                "%s %s%s; ",
	        e.households, e.modems, c->pace_per_min, e.send_minutes, c->daily_cap,
	        e.reach_msgs, e.reach_segs, c->survey[0] ? "at least" : "about", reach,
	        c->survey[0] ? " (answers' next questions share the daily cap)" : "");
	if (c->survey[0] && e.digests)
		fprintf(stderr, "the whole questionnaire (%d questions) and then %d digests "
		                "one a day (%d messages, %d segments each) about %s if "
		                "everyone answers at once\n",
		        e.questions, e.digests, e.whole_msgs, e.whole_segs, whole);
	else if (c->survey[0])
		fprintf(stderr, "the whole questionnaire (%d questions; %d messages, %d "
		                "segments each) about %s if everyone answers at once\n",
		        e.questions, e.whole_msgs, e.whole_segs, whole);
	else
		fprintf(stderr, "every digest, one a day (%d messages, %d segments each), "
		                "about %s\n",
		        e.whole_msgs, e.whole_segs, whole);
	if (e.too_short)
		fprintf(stderr, "anxin: warning: the campaign runs %s but needs about %s to "
		                "reach every household: a later --end, more modems "
		                "(--modems), or a higher --pace/--daily-cap within the "
		                "operator's limits\n",
		        window, reach);
}

/* `campaign show ID`: the campaign, and for a sampled one its strata and
 * every drawn household with its stratum and inclusion probability. */
static int show_campaign(ax_store *st, const char *id)
{
	struct ax_campaign *v, *c = NULL;
	struct ax_stratum *sx;
	struct ax_sample_unit *u;
	int n, ns, nu;
	char a[32], b[32];

	if (!id) {
		fprintf(stderr, "usage: anxin campaign show --db FILE ID\n");
		return 2;
	}
	if (ax_campaign_list(st, 0, 0, &v, &n)) {
		fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
		return 3;
	}
	for (int i = 0; i < n && !c; i++)
		if (strcmp(v[i].id, id) == 0)
			c = &v[i];
	if (!c) {
		fprintf(stderr, "anxin: no campaign \"%s\"\n", id);
		free(v);
		return 3;
	}
	when(c->starts_at, a, sizeof a);
	when(c->ends_at - (ax_cst_second_of_day(c->ends_at) ? 0 : 60), b, sizeof b);
	printf("campaign %s  %s\n  survey %s@%d  packs %s  scope %s\n  %s – %s%s\n"
	       "  wave %s\n",
	       c->id, c->name, c->survey[0] ? c->survey : "-", c->survey_version,
	       c->packs[0] ? c->packs : "-", c->scope, a, b,
	       c->closed_at ? "  (closed)" : "", c->wave);
	if (c->sample_n <= 0) {
		printf("  日常监测: whoever answers\n");
		free(v);
		return 0;
	}
	printf("  抽样测评: %d households, strata %s, seed %lld\n", c->sample_n,
	       ax_strata_name(c->strata), c->seed);
	if (ax_sample_strata(st, id, &sx, &ns) || ax_sample_units(st, id, &u, &nu)) {
		fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
		free(v);
		return 3;
	}
	printf("stratum\tname\tframe\tdrawn\tprobability\n");
	for (int h = 0; h < ns; h++)
		printf("%s\t%s\t%lld\t%lld\t%.6f\n", sx[h].code, sx[h].name,
		       sx[h].frame, sx[h].sample,
		       (double)sx[h].sample / (double)sx[h].frame);
	printf("household\tstratum\tprobability\n");
	for (int i = 0; i < nu; i++)
		printf("%s\t%s\t%.6f\n", u[i].household, u[i].stratum, u[i].prob);
	free(sx);
	free(u);
	free(v);
	return 0;
}

static int cmd_campaign(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'}, {"name", required_argument, 0, 'n'},
		{"survey", required_argument, 0, 'S'}, {"packs", required_argument, 0, 'P'},
		{"scope", required_argument, 0, 's'}, {"start", required_argument, 0, 'b'},
		{"end", required_argument, 0, 'e'}, {"quiet", required_argument, 0, 'q'},
		{"pace", required_argument, 0, 'p'}, {"daily-cap", required_argument, 0, 'c'},
		{"kinds", required_argument, 0, 'k'}, {"id", required_argument, 0, 'i'},
		{"all", no_argument, 0, 'a'}, {"sample", required_argument, 0, 'N'},
		{"strata", required_argument, 0, 'T'}, {"seed", required_argument, 0, 'E'},
		{"modems", required_argument, 0, 'M'}, {0, 0, 0, 0}};
	struct ax_campaign cm;
	const char *db = NULL, *sub;
	ax_store *st;
	int c, rc = 0, all = 0, have_seed = 0, modems = 1;

	if (argc < 2) {
		fprintf(stderr, "usage: anxin campaign create|list|show|close --db FILE ...\n");
		return 2;
	}
	sub = argv[1];
	ax_campaign_defaults(&cm);
	cm.starts_at = (long long)time(NULL);
	cm.ends_at = cm.starts_at + 30 * 86400;
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'n': snprintf(cm.name, sizeof cm.name, "%s", optarg); break;
		case 'S': {
			const char *at = strchr(optarg, '@');
			snprintf(cm.survey, sizeof cm.survey, "%.*s",
			         at ? (int)(at - optarg) : (int)strlen(optarg), optarg);
			cm.survey_version = at ? atoi(at + 1) : 0;
			break;
		}
		case 'P': snprintf(cm.packs, sizeof cm.packs, "%s", optarg); break;
		case 's': snprintf(cm.scope, sizeof cm.scope, "%s", optarg); break;
		case 'i': snprintf(cm.id, sizeof cm.id, "%s", optarg); break;
		case 'b':
		case 'e': {
			long long t = parse_when(optarg, c == 'e');
			if (t < 0) {
				fprintf(stderr, "anxin: --%s must be YYYY-MM-DD[ HH:MM]\n",
				        c == 'b' ? "start" : "end");
				return 2;
			}
			if (c == 'b')
				cm.starts_at = t;
			else
				cm.ends_at = t;
			break;
		}
		case 'q': {
			const char *dash = strchr(optarg, '-');
			if (!dash || (cm.quiet_start = parse_hhmm(optarg)) < 0 ||
			    (cm.quiet_end = parse_hhmm(dash + 1)) < 0) {
				fprintf(stderr, "anxin: --quiet must be HH:MM-HH:MM\n");
				return 2;
			}
			break;
		}
		case 'p': cm.pace_per_min = atoi(optarg); break;
		case 'c': cm.daily_cap = atoi(optarg); break;
		case 'k':
			cm.coverage_kinds = ax_contact_kinds_parse(optarg);
			if (cm.coverage_kinds <= 0) {
				fprintf(stderr, "anxin: --kinds: sms_sent, sms_delivered, "
				                "sms_replied, kiosk_session, visit\n");
				return 2;
			}
			break;
		case 'a': all = 1; break;
		case 'M':
			if ((modems = atoi(optarg)) < 1 || modems > 1000) {
				fprintf(stderr, "anxin: --modems must be 1 to 1000 (SIMs sending)\n");
				return 2;
			}
			break;
		case 'N': {
			char *end = NULL;
			long n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 10000000) {
				fprintf(stderr, "anxin: --sample must be a number of households "
				                "above 0\n");
				return 2;
			}
			cm.sample_n = (int)n;
			break;
		}
		case 'T':
			if ((cm.strata = ax_strata_parse(optarg)) < 0) {
				fprintf(stderr, "anxin: --strata must be township or village\n");
				return 2;
			}
			break;
		case 'E': {
			char *end = NULL;
			cm.seed = strtoll(optarg, &end, 10);
			if (*end || !*optarg) {
				fprintf(stderr, "anxin: --seed must be a whole number\n");
				return 2;
			}
			have_seed = 1;
			break;
		}
		default: return 2;
		}
	}
	if (cm.sample_n && (!cm.strata || !have_seed)) {
		/* a draw nobody can repeat is no 测评: the seed is asked for */
		fprintf(stderr, "anxin: --sample needs --strata township|village and "
		                "--seed S\n");
		return 2;
	}
	if (!cm.sample_n && (cm.strata || have_seed)) {
		fprintf(stderr, "anxin: --strata and --seed go with --sample N\n");
		return 2;
	}
	st = open_db(db);
	if (strcmp(sub, "show") == 0) {
		rc = show_campaign(st, cm.id[0] ? cm.id : (optind < argc ? argv[optind] : NULL));
	} else if (strcmp(sub, "create") == 0) {
		if (ax_campaign_create(st, &cm)) {
			fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
			rc = 3;
		} else {
			printf("%s\n", cm.id);
			if (cm.sample_n > 0)
				warn_thin_strata(st, cm.id);
			print_estimate(st, &cm, modems);
		}
	} else if (strcmp(sub, "list") == 0) {
		struct ax_campaign *v;
		int n;
		if (ax_campaign_list(st, !all, (long long)time(NULL), &v, &n)) {
			fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
			rc = 3;
		} else {
			for (int i = 0; i < n; i++) {
				char a[32], b[32];
				when(v[i].starts_at, a, sizeof a);
				/* the end is exclusive: a campaign to the 31st shows
				 * 23:59 of the 31st, not 00:00 of the 1st */
				when(v[i].ends_at -
				         (ax_cst_second_of_day(v[i].ends_at) ? 0 : 60),
				     b, sizeof b);
				printf("%s  %s  %s%s%s%s  scope %s  %s – %s  quiet %02d:%02d-%02d:%02d"
				       "  %d/min  %d/SIM/day%s%s\n",
				       v[i].id, v[i].name, v[i].survey[0] ? "survey " : "",
				       v[i].survey, v[i].packs[0] ? " packs " : "", v[i].packs,
				       v[i].scope, a, b, v[i].quiet_start / 60,
				       v[i].quiet_start % 60, v[i].quiet_end / 60,
				       v[i].quiet_end % 60, v[i].pace_per_min, v[i].daily_cap,
				       v[i].sample_n > 0 ? "  抽样测评" : "",
				       v[i].closed_at ? "  (closed)" : "");
			}
			free(v);
		}
	} else if (strcmp(sub, "close") == 0) {
		const char *id = cm.id[0] ? cm.id : (optind < argc ? argv[optind] : NULL);
		if (!id) {
			fprintf(stderr, "usage: anxin campaign close --db FILE ID\n");
			rc = 2;
		} else if (ax_campaign_close(st, id)) {
			fprintf(stderr, "anxin: %s\n", ax_store_errmsg(st));
			rc = 3;
		} else {
			printf("campaign %s closed\n", id);
		}
	} else {
		fprintf(stderr, "anxin: unknown campaign command \"%s\"\n", sub);
		rc = 2;
	}
	ax_store_close(st);
	return rc;
}

int cli_admin(const char *cmd, int argc, char **argv)
{
	if (strcmp(cmd, "device") == 0)
		return cmd_device(argc, argv);
	if (strcmp(cmd, "user") == 0)
		return cmd_user(argc, argv);
	if (strcmp(cmd, "campaign") == 0)
		return cmd_campaign(argc, argv);
	return -1;
}
