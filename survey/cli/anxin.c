/*
 * anxin -- the admin command line: thin argument parsing over libanxin.
 *
 * Exit status: 0 done; 1 done, but some input was rejected (named on
 * stderr, everything else kept); 2 usage error; 3 failure (nothing
 * changed).
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "anxin/anxin.h"
#include "anxin/applog.h"
#include "anxin/clock.h"
#include "anxin/content.h"
#include "anxin/demo.h"
#include "anxin/items.h"
#include "anxin/ledger.h"
#include "anxin/metrics.h"
#include "anxin/records.h"
#include "anxin/roster.h"
#include "anxin/sample.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "anxin/text.h"

#include "narrate.h"

int cli_admin(const char *cmd, int argc, char **argv); /* admin.c */
int cli_store(int argc, char **argv, int quiet);        /* store_cmd.c */

enum { EXIT_DONE = 0, EXIT_REJECTS = 1, EXIT_USAGE = 2, EXIT_FAIL = 3 };

static const char *prog = "anxin";
static int quiet;

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: anxin COMMAND [options]\n"
	        "\n"
	        "  init            --db FILE                      create or upgrade a store\n"
	        "  store copy      --from FILE --to postgresql://URL  a county's store into\n"
	        "                  PostgreSQL: an empty database (schema created, every table),\n"
	        "                  or one holding other counties (merged: rows already there\n"
	        "                  kept, a key there with other content stops the copy)\n"
	        "  store copy      --from postgresql://URL --to NEW-FILE [--county CODE]\n"
	        "                  the way back: the database, or one county of it, into a\n"
	        "                  new SQLite store\n"
	        "  store remove    --db postgresql://URL --county CODE  a county's rows out of\n"
	        "                  the shared database (after copying it out), one transaction\n"
	        "  content lint    [--review] DIR                 check packs and surveys (--review: and\n"
	        "                                                 what a reviewer checks before publishing)\n"
	        "  content narrate DIR                            synthesise narration (espeak-ng cmn) for\n"
	        "                                                 every page without audio\n"
	        "  content install --db FILE DIR                  lint, then load them into the store\n"
	        "  content official --db FILE [ID|none]           the survey whose 满意度 is the\n"
	        "                  headline one (the county's official 测评 wording); others\n"
	        "                  with a different rule are reported apart, never summed\n"
	        "  content stats   --db FILE --survey ID[@VER] [--scope CODE]\n"
	        "                  [--format table|csv|json]      item analysis of a quiz: facility,\n"
	        "                  discrimination and option shares per knowledge question\n"
	        "  roster import   --db FILE [--map F=H,...] [--county-name NAME]\n"
	        "                  [--deactivate-missing] [--sheet NAME] ROSTER.csv|.xlsx\n"
	        "  regions import  --db FILE [--county-name NAME] [--sheet NAME] TABLE.csv|.xlsx\n"
	        "                  the county's townships and villages (代码, 名称), so\n"
	        "                  rosters may name 乡镇 and 村 without codes\n"
	        "  region list     --db FILE [--scope CODE]       codes, names, households\n"
	        "  records import  --db FILE RECORDS.jsonl\n"
	        "  records queue   --db DEVICE.db RECORDS.jsonl   put records in a device's outbox\n"
	        "  records demo    --db FILE [--count N] [--seed N] [--start YYYY-MM-DD]\n"
	        "                  [--days N] [--reach 0.97]      write synthetic records to stdout\n"
	        "                  [--campaign ID]  a sampled 测评's answers from its sample only\n"
	        "                  [--device NAME]                (as SMS gateway NAME sends them)\n"
	        "  records export  --db FILE [--all] OUT.jsonl    pending (or all) outbox records\n"
	        "                  for a USB stick; they stay pending until acknowledged\n"
	        "  visits import   --db FILE [--device NAME] [--sheet NAME] VISITS.csv|.xlsx\n"
	        "                  door-to-door visits recorded on paper\n"
	        "  report          --db FILE [--scope CODE] [--survey ID] [--wave W]\n"
	        "                  [--channel kiosk|sms|visit] [--from DATE] [--to DATE]\n"
	        "                  [--kinds sms_delivered,sms_replied,kiosk_session,visit]\n"
	        "                  [--depth N] [--format table|csv|json]\n"
	        "                  [--pack ID,...]  beside coverage, the 知识宣传入户率 of\n"
	        "                  contacts carrying those packs only (平安家庭 §6)\n"
	        "                  日常监测: every wave but sampled 测评 campaigns'\n"
	        "  report          --db FILE --campaign ID [--format table|csv|json]\n"
	        "                  one campaign's figures: its scope, window, wave, coverage\n"
	        "                  kinds and roster as it stood (frozen once closed, 晚到 apart);\n"
	        "                  a sampled 测评 campaign: RR1, contact rate, weighted\n"
	        "                  estimates with intervals beside the unweighted rates\n"
	        "  device add|list|revoke --db FILE [--name N --kind kiosk|smsd --scope CODES]\n"
	        "  user add        --db FILE --name N --role county|township|grid --scope CODE\n"
	        "                  [--password-file F]            (a grid user's scope: villages or grids)\n"
	        "  user add        --db FILE --name N --reset      a new password only; sessions end\n"
	        "  user list       --db FILE\n"
	        "  user disable|logout --db FILE --name N         no more login / end its sessions\n"
	        "  campaign create --db FILE --name N [--survey ID[@VER]] [--packs A,B]\n"
	        "                  --scope CODES [--start DATE] [--end DATE (inclusive)] [--quiet 21:00-08:00]\n"
	        "                  [--pace N] [--daily-cap N] [--kinds K,...] [--modems N]\n"
	        "                  (prints how long it needs on N modems, and warns when\n"
	        "                  its window is too short)\n"
	        "                  [--sample N --strata township|village --seed S]\n"
	        "  campaign list|show|close --db FILE [--all] [ID]\n"
	        "  sync            --db FILE --server URL --token-file F [--once] [--pull]\n"
	        "                  [--batch N] [--scope CODES] [--interval SECONDS]\n"
	        "                  [--retry-base S]  (a record rejected for now: again after S, 2S, 4S...)\n"
	        "                  push the outbox (and pull campaigns, rosters of CODES)\n"
	        "  version\n"
	        "\n"
	        "Exit status: 0 done, 1 some input rejected (listed on stderr), 2 usage,\n"
	        "3 failure.\n");
}

static void diag_print(void *ctx, enum ax_severity sev, const char *msg)
{
	long *counts = ctx;
	if (counts)
		counts[sev]++;
	if (quiet && sev != AX_SEV_ERROR)
		return;
	fprintf(stderr, "%s\n", msg);
}

/* Options shared by the subcommands. */
struct args {
	const char *db, *map, *county, *scope, *survey, *wave, *channel, *from,
	    *to, *kinds, *format, *start, *device, *campaign, *sheet,
	    *pack;
	int deactivate, depth, days;
	long count;
	unsigned long long seed;
	double reach;
	/* sync, records export */
	const char *server, *token_file;
	int once, pull, all, batch, interval, retry_base;
	int review; /* content lint --review */
	char **rest;
	int nrest;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},
		{"map", required_argument, 0, 'm'},
		{"county-name", required_argument, 0, 'C'},
		{"deactivate-missing", no_argument, 0, 'D'},
		{"sheet", required_argument, 0, 'W'},
		{"pack", required_argument, 0, 'K'},
		{"scope", required_argument, 0, 's'},
		{"survey", required_argument, 0, 'S'},
		{"wave", required_argument, 0, 'w'},
		{"channel", required_argument, 0, 'c'},
		{"from", required_argument, 0, 'f'},
		{"to", required_argument, 0, 't'},
		{"kinds", required_argument, 0, 'k'},
		{"depth", required_argument, 0, 'n'},
		{"format", required_argument, 0, 'F'},
		{"count", required_argument, 0, 'N'},
		{"seed", required_argument, 0, 'r'},
		{"start", required_argument, 0, 'b'},
		{"days", required_argument, 0, 'y'},
		{"reach", required_argument, 0, 'R'},
		{"device", required_argument, 0, 'E'},
		{"campaign", required_argument, 0, 'G'},
		{"server", required_argument, 0, 'U'},
		{"token-file", required_argument, 0, 'T'},
		{"once", no_argument, 0, 'O'},
		{"pull", no_argument, 0, 'P'},
		{"all", no_argument, 0, 'A'},
		{"batch", required_argument, 0, 'B'},
		{"interval", required_argument, 0, 'I'},
		{"retry-base", required_argument, 0, 'Y'},
		{"quiet", no_argument, 0, 'q'},
		{"review", no_argument, 0, 'V'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	int c;

	memset(a, 0, sizeof *a);
	a->depth = 1;
	a->format = "table";
	a->count = 10000;
	a->seed = 20151;
	a->days = 30;
	a->interval = 60;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
		char *end = NULL;
		switch (c) {
		case 'd': a->db = optarg; break;
		case 'm': a->map = optarg; break;
		case 'C': a->county = optarg; break;
		case 'D': a->deactivate = 1; break;
		case 'W': a->sheet = optarg; break;
		case 'K': a->pack = optarg; break;
		case 's': a->scope = optarg; break;
		case 'S': a->survey = optarg; break;
		case 'w': a->wave = optarg; break;
		case 'c': a->channel = optarg; break;
		case 'f': a->from = optarg; break;
		case 't': a->to = optarg; break;
		case 'k': a->kinds = optarg; break;
		case 'F': a->format = optarg; break;
		case 'b': a->start = optarg; break;
		case 'E': a->device = optarg; break;
		case 'G': a->campaign = optarg; break;
		case 'U': a->server = optarg; break;
		case 'T': a->token_file = optarg; break;
		case 'O': a->once = 1; break;
		case 'P': a->pull = 1; break;
		case 'A': a->all = 1; break;
		case 'B':
			a->batch = (int)strtol(optarg, &end, 10);
			if (*end || a->batch < 1 || a->batch > 100000) {
				fprintf(stderr, "%s: --batch must be 1 to 100000\n", prog);
				return -1;
			}
			break;
		case 'Y':
			a->retry_base = (int)strtol(optarg, &end, 10);
			if (*end || a->retry_base < 1) {
				fprintf(stderr, "%s: --retry-base must be at least 1 second\n", prog);
				return -1;
			}
			break;
		case 'I':
			a->interval = (int)strtol(optarg, &end, 10);
			if (*end || a->interval < 1) {
				fprintf(stderr, "%s: --interval must be at least 1 second\n", prog);
				return -1;
			}
			break;
		case 'q': quiet = 1; break;
		case 'V': a->review = 1; break;
		case 'n':
			a->depth = (int)strtol(optarg, &end, 10);
			if (*end || a->depth < 0 || a->depth > 4) {
				fprintf(stderr, "%s: --depth must be 0 to 4\n", prog);
				return -1;
			}
			break;
		case 'N':
			a->count = strtol(optarg, &end, 10);
			if (*end || a->count < 0) {
				fprintf(stderr, "%s: --count must be a number\n", prog);
				return -1;
			}
			break;
		case 'r': a->seed = strtoull(optarg, &end, 10); break;
		case 'y':
			a->days = (int)strtol(optarg, &end, 10);
			if (*end || a->days < 1) {
				fprintf(stderr, "%s: --days must be at least 1\n", prog);
				return -1;
			}
			break;
		case 'R':
			a->reach = strtod(optarg, &end);
			if (*end || a->reach <= 0 || a->reach > 1) {
				fprintf(stderr, "%s: --reach must be in (0, 1]\n", prog);
				return -1;
			}
			break;
		case 'h': usage(stdout); exit(EXIT_DONE);
		default: return -1;
		}
	}
	a->rest = argv + optind;
	a->nrest = argc - optind;
	return 0;
}

static ax_store *open_store(const char *db, int create)
{
	ax_store *st;
	char err[512];

	if (!db) {
		fprintf(stderr, "%s: --db FILE is required\n", prog);
		exit(EXIT_USAGE);
	}
	if (ax_store_open(db, create ? AX_STORE_CREATE : 0, &st, err, sizeof err)) {
		fprintf(stderr, "%s: %s\n", prog, err);
		exit(EXIT_FAIL);
	}
	return st;
}

/* ---- commands --------------------------------------------------------- */
static int cmd_init(struct args *a)
{
	ax_store *st = open_store(a->db, 1);
	printf("%s: schema v%d\n", a->db, ax_store_schema_version(st));
	ax_store_close(st);
	return EXIT_DONE;
}

static int cmd_content_lint(struct args *a)
{
	ax_content *c = NULL;
	int nerr = 0;
	long counts[3] = {0}; /* by severity */

	if (a->nrest != 1) {
		fprintf(stderr, "usage: anxin content lint [--review] DIR\n");
		return EXIT_USAGE;
	}
	if ((a->review ? ax_content_review_dir : ax_content_lint_dir)(
	        a->rest[0], diag_print, counts, &nerr, &c)) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_FAIL;
	}
	cli_narration_lint(c, &nerr);
	/* warnings (a guessable quiz …) are reported, not failed on */
	if (!quiet && counts[AX_SEV_WARNING])
		fprintf(stderr, "%s: %d packs, %d surveys, %d errors, %ld warnings\n",
		        a->rest[0], ax_content_npacks(c), ax_content_nsurveys(c), nerr,
		        counts[AX_SEV_WARNING]);
	else if (!quiet)
		fprintf(stderr, "%s: %d packs, %d surveys, %d errors\n", a->rest[0],
		        ax_content_npacks(c), ax_content_nsurveys(c), nerr);
	ax_content_free(c);
	return nerr ? EXIT_REJECTS : EXIT_DONE;
}

/* Show, set or clear (none) the official survey. */
static int cmd_content_official(struct args *a)
{
	char id[AX_SURVEY_ID_MAX];
	ax_store *st;
	ax_rc rc;

	if (a->nrest > 1) {
		fprintf(stderr, "usage: anxin content official --db FILE [ID|none]\n");
		return EXIT_USAGE;
	}
	st = open_store(a->db, 0);
	if (a->nrest == 1)
		rc = ax_official_survey_set(st, strcmp(a->rest[0], "none") == 0
		                                    ? NULL
		                                    : a->rest[0]);
	else
		rc = ax_official_survey_get(st, id);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
	else if (a->nrest == 0)
		printf("%s\n", id[0] ? id : "none");
	ax_store_close(st);
	return rc ? EXIT_FAIL : EXIT_DONE;
}

static int cmd_content_install(struct args *a)
{
	ax_content *c = NULL;
	ax_store *st;
	int nerr = 0, added = 0;
	ax_rc rc;

	if (a->nrest != 1) {
		fprintf(stderr, "usage: anxin content install --db FILE DIR\n");
		return EXIT_USAGE;
	}
	if (ax_content_load_dir(a->rest[0], diag_print, NULL, &nerr, &c))
		return EXIT_FAIL;
	if (nerr) {
		fprintf(stderr, "%s: %d errors; nothing installed\n", a->rest[0], nerr);
		ax_content_free(c);
		return EXIT_FAIL;
	}
	st = open_store(a->db, 1);
	rc = ax_content_install(st, c, &added);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
	else if (!quiet)
		printf("installed %d packs and %d surveys (%d new versions)\n",
		       ax_content_npacks(c), ax_content_nsurveys(c), added);
	ax_store_close(st);
	ax_content_free(c);
	return rc ? EXIT_FAIL : EXIT_DONE;
}

/* The store of an import command taking one file, or NULL after its
 * usage line (the command returns EXIT_USAGE). */
static ax_store *import_store(struct args *a, const char *usage_line)
{
	if (a->nrest != 1) {
		fprintf(stderr, "usage: anxin %s\n", usage_line);
		return NULL;
	}
	return open_store(a->db, 1);
}

static int cmd_roster_import(struct args *a)
{
	struct ax_roster_opts o = {a->map, a->county, a->deactivate, NULL,
	                          a->sheet};
	struct ax_roster_stats s;
	ax_store *st;
	ax_rc rc;

	if (!(st = import_store(a, "roster import --db FILE ROSTER.csv")))
		return EXIT_USAGE;
	rc = ax_roster_import_csv(st, a->rest[0], &o, diag_print, NULL, &s);
	if (rc) {
		fprintf(stderr, "%s: %s: nothing imported (%s)\n", prog, a->rest[0],
		        ax_store_errmsg(st));
		ax_store_close(st);
		return rc == AX_INVALID ? EXIT_FAIL : EXIT_FAIL;
	}
	if (!quiet)
		printf("%s (%s): %ld rows: %ld new, %ld updated, %ld unchanged, "
		       "%ld rejected, %ld warnings, %ld deactivated; %ld phones\n",
		       a->rest[0], s.encoding, s.rows, s.inserted, s.updated,
		       s.unchanged, s.rejected, s.warnings, s.deactivated, s.phones);
	ax_store_close(st);
	return s.rejected ? EXIT_REJECTS : EXIT_DONE;
}

static int cmd_regions_import(struct args *a)
{
	struct ax_regions_stats s;
	ax_store *st;
	ax_rc rc;

	if (!(st = import_store(a, "regions import --db FILE TABLE.csv")))
		return EXIT_USAGE;
	rc = ax_regions_import_file(st, a->rest[0], a->county, a->sheet,
	                            diag_print, NULL, &s);
	if (rc) {
		fprintf(stderr, "%s: %s: nothing imported (%s)\n", prog, a->rest[0],
		        ax_store_errmsg(st));
		ax_store_close(st);
		return EXIT_FAIL;
	}
	if (!quiet)
		printf("%s (%s): %ld rows: %ld province/city, %ld county, %ld "
		       "townships, %ld villages, %ld rejected\n",
		       a->rest[0], s.encoding, s.rows, s.above, s.by_level[0],
		       s.by_level[1], s.by_level[2], s.rejected);
	ax_store_close(st);
	return s.rejected ? EXIT_REJECTS : EXIT_DONE;
}

static int cmd_region_list(struct args *a)
{
	ax_store *st = open_store(a->db, 0);
	char *text = ax_regions_list_text(st, a->scope);

	if (!text) {
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
		ax_store_close(st);
		return EXIT_FAIL;
	}
	fputs(text, stdout);
	free(text);
	ax_store_close(st);
	return EXIT_DONE;
}

static int cmd_records_import(struct args *a)
{
	struct ax_records_stats s;
	ax_store *st;
	ax_rc rc;

	if (!(st = import_store(a, "records import --db FILE RECORDS.jsonl")))
		return EXIT_USAGE;
	rc = ax_records_import_file(st, a->rest[0], diag_print, NULL, &s);
	if (rc) {
		fprintf(stderr, "%s: %s: %s (records before the failing batch are "
		        "kept; run again to finish)\n", prog, a->rest[0],
		        ax_store_errmsg(st));
		ax_store_close(st);
		return EXIT_FAIL;
	}
	if (!quiet)
		printf("%s: %ld records: %ld accepted, %ld duplicate, %ld conflict, "
		       "%ld rejected\n", a->rest[0], s.lines, s.accepted, s.duplicate,
		       s.conflict, s.rejected);
	ax_store_close(st);
	return s.rejected || s.conflict ? EXIT_REJECTS : EXIT_DONE;
}

static int cmd_visits_import(struct args *a)
{
	struct ax_visits_opts o = {a->device, NULL, a->sheet};
	struct ax_visits_stats s;
	ax_store *st;
	ax_rc rc;

	if (a->nrest != 1) {
		fprintf(stderr, "usage: anxin visits import --db FILE [--device NAME] "
		        "VISITS.csv\n");
		return EXIT_USAGE;
	}
	st = open_store(a->db, 0);
	rc = ax_visits_import_csv(st, a->rest[0], &o, diag_print, NULL, &s);
	if (rc) {
		fprintf(stderr, "%s: %s: nothing imported (%s)\n", prog, a->rest[0],
		        ax_store_errmsg(st));
		ax_store_close(st);
		return EXIT_FAIL;
	}
	if (!quiet)
		printf("%s (%s): %ld rows: %ld accepted, %ld duplicate, %ld conflict, "
		       "%ld rejected\n", a->rest[0], s.encoding, s.rows, s.accepted,
		       s.duplicate, s.conflict, s.rejected);
	ax_store_close(st);
	return s.rejected || s.conflict ? EXIT_REJECTS : EXIT_DONE;
}

static int emit_line(void *ctx, const char *line, size_t len)
{
	FILE *f = ctx;
	return fwrite(line, 1, len, f) != len || fputc('\n', f) == EOF;
}

static int cmd_records_demo(struct args *a)
{
	struct ax_demo_opts o = {0};
	ax_store *st = open_store(a->db, 0);
	ax_rc rc;

	o.seed = a->seed;
	o.count = a->count;
	o.days = a->days;
	o.reach = a->reach;
	o.sampled = a->campaign;
	o.device = a->device;
	if (a->start) {
		int day;
		if (ax_day_parse(a->start, &day)) {
			fprintf(stderr, "%s: --start must be YYYY-MM-DD\n", prog);
			ax_store_close(st);
			return EXIT_USAGE;
		}
		o.start = ax_day_start(day);
	} else {
		/* with a device: all of it over an hour ago, so no record lies
		 * past the server's now (a device's records may not) */
		o.start = (long long)time(NULL) - (long long)a->days * 86400 -
		          (a->device ? 3600 : 0);
	}
	rc = ax_demo_records(st, &o, emit_line, stdout);
	if (rc)
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
	ax_store_close(st);
	return rc ? EXIT_FAIL : EXIT_DONE;
}

/* Print a rendered report (taken; NULL when rendering ran out of
 * memory), JSON with a final newline. */
static int print_output(const struct args *a, char *out)
{
	if (!out)
		return EXIT_FAIL;
	fputs(out, stdout);
	if (strcmp(a->format, "json") == 0)
		fputc('\n', stdout);
	ax_free(out);
	return EXIT_DONE;
}

/* `report --campaign ID`: a sampled 测评 campaign's own report. */
static int sampled_report(struct args *a)
{
	struct ax_sample_report *r;
	ax_store *st = open_store(a->db, 0);
	char *out;

	if (ax_sample_report_build(st, a->campaign, &r)) {
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
		ax_store_close(st);
		return EXIT_FAIL;
	}
	out = strcmp(a->format, "json") == 0   ? ax_sample_report_json(r)
	      : strcmp(a->format, "csv") == 0 ? ax_sample_report_csv(r)
	                                      : ax_sample_report_table(r);
	ax_sample_report_free(r);
	ax_store_close(st);
	return print_output(a, out);
}

static int cmd_report(struct args *a)
{
	struct ax_report_opts o = {0};
	struct ax_report *r;
	ax_store *st;
	char *out;
	ax_rc rc;

	o.scope = a->scope;
	o.survey = a->survey;
	o.wave = a->wave;
	o.channel = a->channel;
	o.from = a->from;
	o.to = a->to;
	o.depth = a->depth;
	o.pack = a->pack;
	if (a->kinds) {
		o.contact_kinds = ax_contact_kinds_parse(a->kinds);
		if (o.contact_kinds <= 0) {
			fprintf(stderr, "%s: --kinds: use sms_sent, sms_delivered, "
			        "sms_replied, kiosk_session, visit\n", prog);
			return EXIT_USAGE;
		}
	}
	if (strcmp(a->format, "table") && strcmp(a->format, "csv") &&
	    strcmp(a->format, "json")) {
		fprintf(stderr, "%s: --format must be table, csv or json\n", prog);
		return EXIT_USAGE;
	}
	st = open_store(a->db, 0);
	if (a->campaign) {
		/* a sampled 测评 has its own report; any other campaign the
		 * figures of its scope, window, wave and kinds */
		struct ax_campaign *v = NULL;
		int n = 0, sampled = 0;
		if (ax_campaign_list(st, 0, 0, &v, &n) == AX_OK)
			for (int i = 0; i < n; i++)
				if (!strcmp(v[i].id, a->campaign) || !strcmp(v[i].wave, a->campaign))
					sampled = v[i].sample_n > 0;
		ax_free(v);
		if (sampled) {
			ax_store_close(st);
			return sampled_report(a);
		}
		o.campaign = a->campaign;
	}
	rc = ax_report_build(st, &o, &r);
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
		ax_store_close(st);
		return rc == AX_INVALID ? EXIT_USAGE : EXIT_FAIL;
	}
	out = strcmp(a->format, "json") == 0   ? ax_report_json(r)
	      : strcmp(a->format, "csv") == 0 ? ax_report_csv(r)
	                                      : ax_report_table(r);
	ax_report_free(r);
	ax_store_close(st);
	return print_output(a, out);
}

static int cmd_content_stats(struct args *a)
{
	struct ax_items *it;
	const char *at;
	char id[64];
	int version = 0;
	ax_store *st;
	char *out;
	ax_rc rc;

	if (!a->survey || !*a->survey) {
		fprintf(stderr, "usage: anxin content stats --db FILE --survey ID[@VER] "
		        "[--scope CODE] [--format table|csv|json]\n");
		return EXIT_USAGE;
	}
	at = strchr(a->survey, '@');
	if (at) {
		char *end = NULL;
		version = (int)strtol(at + 1, &end, 10);
		if (end == at + 1 || *end || version < 1) {
			fprintf(stderr, "%s: --survey ID@VER: VER must be a version "
			        "number\n", prog);
			return EXIT_USAGE;
		}
	}
	snprintf(id, sizeof id, "%.*s",
	         at ? (int)(at - a->survey) : (int)strlen(a->survey), a->survey);
	if (strcmp(a->format, "table") && strcmp(a->format, "csv") &&
	    strcmp(a->format, "json")) {
		fprintf(stderr, "%s: --format must be table, csv or json\n", prog);
		return EXIT_USAGE;
	}
	st = open_store(a->db, 0);
	rc = ax_items_build(st, id, version, a->scope, &it);
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
		ax_store_close(st);
		return rc == AX_INVALID ? EXIT_USAGE : EXIT_FAIL;
	}
	out = strcmp(a->format, "json") == 0   ? ax_items_json(it)
	      : strcmp(a->format, "csv") == 0 ? ax_items_csv(it)
	                                      : ax_items_table(it);
	if (out) {
		fputs(out, stdout);
		if (strcmp(a->format, "json") == 0)
			fputc('\n', stdout);
	}
	ax_free(out);
	ax_items_free(it);
	ax_store_close(st);
	return out ? EXIT_DONE : EXIT_FAIL;
}

/* ---- sync and records export (device side) ----------------------------- */
static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

/* The device token: first line of a file only its owner can read. */
static int read_token(const char *path, char *out, size_t n)
{
	struct stat sb;
	FILE *f;
	char *p, *e;

	if (!(f = fopen(path, "r")) || fstat(fileno(f), &sb) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (sb.st_mode & 077) {
		fprintf(stderr, "%s: %s: refusing a token file that others can read "
		        "(mode %03o); run: chmod 600 %s\n", prog, path,
		        (unsigned)(sb.st_mode & 0777), path);
		fclose(f);
		return -1;
	}
	if (!fgets(out, (int)n, f))
		out[0] = '\0';
	fclose(f);
	for (p = out; *p == ' ' || *p == '\t'; p++)
		;
	e = p + strlen(p);
	while (e > p && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' ||
	                 e[-1] == '\t'))
		e--;
	*e = '\0';
	memmove(out, p, (size_t)(e - p) + 1);
	if (!out[0]) {
		fprintf(stderr, "%s: %s: no token on its first line\n", prog, path);
		return -1;
	}
	return 0;
}

/* Sleep until `until` (epoch) in one-second steps, so a signal stops it
 * at once. */
static void sleep_until(long long until)
{
	while (!stop_requested && (long long)time(NULL) < until)
		sleep(1);
}

static void print_stamp(FILE *f)
{
	time_t now = time(NULL);
	struct tm tm;
	char buf[32];
	/* UTC, as anxin-central and anxin-smsd stamp their logs */
	gmtime_r(&now, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s ", buf);
}

/* One attempt: push, then (if asked and the push reached the server)
 * pull; one summary line.  Returns the push's or pull's failure. */
static ax_rc sync_once(ax_store *st, const struct ax_sync_opts *o, int pull,
                       int *permanent, long *refused)
{
	struct ax_sync_result r;
	struct ax_sync_pull_result p = {0};
	ax_rc rc, prc = AX_OK;
	FILE *out;

	rc = ax_sync_push(st, o, &r);
	if (pull && (!rc || r.requests))
		prc = ax_sync_pull(st, o, &p);
	*permanent = r.permanent || p.permanent;
	*refused = r.conflict + r.rejected + r.oversize;
	if (r.cancelled || p.cancelled)
		return AX_ERROR;
	out = rc || prc ? stderr : stdout;
	print_stamp(out);
	if (rc)
		fprintf(out, "push failed: %s; %ld pending", r.error, r.pending);
	else if (!r.requests && !r.pending && !r.oversize)
		fprintf(out, "push: nothing pending");
	else
		fprintf(out, "push: %ld sent (%ld accepted, %ld duplicate), %ld "
		        "conflict, %ld rejected, %ld rejected for now (retried "
		        "later) in %d requests; %ld pending%s%s",
		        r.accepted + r.duplicate, r.accepted, r.duplicate, r.conflict,
		        r.rejected, r.deferred, r.requests, r.pending,
		        r.error[0] ? "; " : "", r.error);
	if (pull && prc)
		fprintf(out, "; pull failed: %s", p.error);
	else if (pull && (!rc || r.requests))
		fprintf(out, "; pull: campaigns %s, %d new surveys, rosters %d "
		        "updated %d unchanged", p.campaigns_changed ? "updated"
		        : "unchanged", p.surveys_added, p.rosters_changed,
		        p.rosters_unchanged);
	if (rc || prc) {
		long long next = r.next_attempt > p.next_attempt ? r.next_attempt
		                                                 : p.next_attempt;
		if (*permanent)
			fprintf(out, "; not retrying: fix the token or the server");
		else if (next)
			fprintf(out, "; next attempt in %lld s",
			        next - (long long)time(NULL));
	}
	fputc('\n', out);
	fflush(out);
	return rc ? rc : prc;
}

static int cmd_sync(struct args *a)
{
	struct ax_sync_opts o = {0};
	struct sigaction sa;
	char token[512];
	ax_store *st;
	ax_rc rc = AX_OK;
	int permanent = 0;
	long refused = 0;

	if (a->nrest != 0 || !a->server) {
		fprintf(stderr, "usage: anxin sync --db FILE --server URL --token-file "
		        "F [--once] [--pull] [--batch N] [--scope CODES] [--interval S]\n"
		        "       [--retry-base S]\n");
		return EXIT_USAGE;
	}
	if (!a->token_file) {
		fprintf(stderr, "%s: --token-file FILE is required\n", prog);
		return EXIT_USAGE;
	}
	if (read_token(a->token_file, token, sizeof token))
		return EXIT_FAIL;
	st = open_store(a->db, 0);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_stop_signal; /* no SA_RESTART: sleeps end at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	o.url = a->server;
	o.token = token;
	o.batch = a->batch;
	o.retry_base = a->retry_base;
	o.scope = a->scope;
	o.cancel = &stop_requested;
	for (;;) {
		struct ax_outbox_status s;
		if (!a->once && !ax_sync_due(st, (long long)time(NULL)) &&
		    ax_outbox_status(st, &s) == AX_OK) {
			sleep_until(s.next_attempt);
			if (stop_requested)
				break;
		}
		rc = sync_once(st, &o, a->pull, &permanent, &refused);
		if (a->once || permanent || stop_requested)
			break;
		/* after a failure the stored schedule decides; if there is none
		 * (the store itself failed), wait an interval all the same */
		if (!rc || ax_sync_due(st, (long long)time(NULL)))
			sleep_until((long long)time(NULL) + a->interval);
		if (stop_requested)
			break;
	}
	ax_store_close(st);
	explicit_bzero(token, sizeof token);
	if (stop_requested) {
		if (!quiet)
			fprintf(stderr, "%s: sync stopped\n", prog);
		return EXIT_DONE;
	}
	if (rc)
		return EXIT_FAIL;
	return refused ? EXIT_REJECTS : EXIT_DONE;
}

/* Queue a JSONL file's records in a device store's outbox (offices that
 * collect answers on paper or another device, and tests). */
static int cmd_records_queue(struct args *a)
{
	ax_store *st;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0, queued = 0, bad = 0, in_tx = 0;
	int rc = EXIT_DONE;

	if (a->nrest != 1) {
		fprintf(stderr, "usage: anxin records queue --db DEVICE.db RECORDS.jsonl\n");
		return EXIT_USAGE;
	}
	if (!(f = fopen(a->rest[0], "rb"))) {
		perror(a->rest[0]);
		return EXIT_FAIL;
	}
	st = open_store(a->db, 1);
	while ((n = getline(&line, &cap, f)) >= 0) {
		json_t *o;
		const char *id;
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		o = json_loads(line, 0, NULL);
		id = o ? json_string_value(json_object_get(o, "id")) : NULL;
		if (!in_tx && ax_store_begin(st)) {
			fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
			json_decref(o);
			rc = EXIT_FAIL;
			break;
		}
		in_tx++;
		if (!id || ax_outbox_put(st, id, line) != AX_OK) {
			fprintf(stderr, "%s:%ld: %s\n", a->rest[0], lineno,
			        id ? ax_store_errmsg(st) : "not a record with an id");
			bad++;
		} else {
			queued++;
		}
		json_decref(o);
		if (in_tx == 1000) {
			if (ax_store_commit(st)) {
				fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
				rc = EXIT_FAIL;
				in_tx = 0;
				break;
			}
			in_tx = 0;
		}
	}
	if (in_tx && ax_store_commit(st)) {
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
		rc = EXIT_FAIL;
	}
	ax_store_rollback(st);
	free(line);
	fclose(f);
	if (!quiet)
		printf("%s: %ld queued, %ld refused\n", a->rest[0], queued, bad);
	ax_store_close(st);
	return rc != EXIT_DONE ? rc : bad ? EXIT_REJECTS : EXIT_DONE;
}

static int cmd_records_export(struct args *a)
{
	ax_store *st;
	long n = 0;
	ax_rc rc;

	if (a->nrest != 1) {
		fprintf(stderr, "usage: anxin records export --db FILE [--all] "
		        "OUT.jsonl\n");
		return EXIT_USAGE;
	}
	st = open_store(a->db, 0);
	rc = ax_outbox_export(st, a->rest[0], a->all, &n);
	if (rc) {
		fprintf(stderr, "%s: %s\n", prog, ax_store_errmsg(st));
		ax_store_close(st);
		return EXIT_FAIL;
	}
	if (!quiet)
		printf("%s: %ld %srecords written (they stay pending until the server "
		       "acknowledges them)\n", a->rest[0], n, a->all ? "" : "pending ");
	ax_store_close(st);
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	struct args a;
	const char *cmd, *sub = NULL;
	int skip = 2;

	ax_applog_level(getenv("ANXIN_DEBUG") ? AX_LOG_DEBUG : AX_LOG_WARN);
	ax_set_log(ax_applog_lib, NULL);
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("anxin %s\n", AX_VERSION);
		return EXIT_DONE;
	}
	if (strcmp(cmd, "device") == 0 || strcmp(cmd, "user") == 0 ||
	    strcmp(cmd, "campaign") == 0)
		return cli_admin(cmd, argc - 1, argv + 1);
	if (strcmp(cmd, "store") == 0)
		return cli_store(argc - 1, argv + 1, quiet);
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return EXIT_DONE;
	}
	if (strcmp(cmd, "content") == 0 || strcmp(cmd, "roster") == 0 ||
	    strcmp(cmd, "records") == 0 || strcmp(cmd, "visits") == 0 ||
	    strcmp(cmd, "regions") == 0 || strcmp(cmd, "region") == 0) {
		if (argc < 3) {
			usage(stderr);
			return EXIT_USAGE;
		}
		sub = argv[2];
		skip = 3;
	}
	/* getopt sees argv[0] plus the options after the command words */
	argv[skip - 1] = argv[0];
	if (parse_args(argc - skip + 1, argv + skip - 1, &a)) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "sync") == 0)
		return cmd_sync(&a);
	if (strcmp(cmd, "init") == 0)
		return cmd_init(&a);
	if (strcmp(cmd, "report") == 0)
		return cmd_report(&a);
	if (sub && strcmp(cmd, "content") == 0 && strcmp(sub, "lint") == 0)
		return cmd_content_lint(&a);
	if (sub && strcmp(cmd, "content") == 0 && strcmp(sub, "narrate") == 0) {
		if (a.nrest != 1) {
			fprintf(stderr, "usage: anxin content narrate DIR\n");
			return EXIT_USAGE;
		}
		return cli_narrate(a.rest[0], quiet);
	}
	if (sub && strcmp(cmd, "content") == 0 && strcmp(sub, "install") == 0)
		return cmd_content_install(&a);
	if (sub && strcmp(cmd, "content") == 0 && strcmp(sub, "stats") == 0)
		return cmd_content_stats(&a);
	if (sub && strcmp(cmd, "content") == 0 && strcmp(sub, "official") == 0)
		return cmd_content_official(&a);
	if (sub && strcmp(cmd, "roster") == 0 && strcmp(sub, "import") == 0)
		return cmd_roster_import(&a);
	if (sub && strcmp(cmd, "regions") == 0 && strcmp(sub, "import") == 0)
		return cmd_regions_import(&a);
	if (sub && strcmp(cmd, "region") == 0 && strcmp(sub, "list") == 0)
		return cmd_region_list(&a);
	if (sub && strcmp(cmd, "records") == 0 && strcmp(sub, "import") == 0)
		return cmd_records_import(&a);
	if (sub && strcmp(cmd, "records") == 0 && strcmp(sub, "demo") == 0)
		return cmd_records_demo(&a);
	if (sub && strcmp(cmd, "records") == 0 && strcmp(sub, "export") == 0)
		return cmd_records_export(&a);
	if (sub && strcmp(cmd, "records") == 0 && strcmp(sub, "queue") == 0)
		return cmd_records_queue(&a);
	if (sub && strcmp(cmd, "visits") == 0 && strcmp(sub, "import") == 0)
		return cmd_visits_import(&a);
	fprintf(stderr, "%s: unknown command \"%s%s%s\"\n", prog, cmd,
	        sub ? " " : "", sub ? sub : "");
	usage(stderr);
	return EXIT_USAGE;
}
