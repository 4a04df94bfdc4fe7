/*
 * anxin-smsd -- the SMS gateway daemon.
 *
 *   anxin-smsd --config smsd.conf            run until SIGTERM / SIGINT
 *   anxin-smsd --config smsd.conf --status   per-modem status for staff
 *   anxin-smsd --config smsd.conf --once     one pass of everything (tests,
 *                                            cron-style operation)
 *   anxin-smsd --config smsd.conf --parse --survey ID --question QID TEXT
 *                                            what the parser makes of a reply
 *   anxin-smsd --config smsd.conf --restore NUMBER --by NAME
 *                                            withdraw a number's opt-out (the
 *                                            resident asked staff), logged
 *                                            (for staff asking why a reply
 *                                            was rejected)
 *   anxin-smsd --config smsd.conf --release ID --by NAME
 *                                            release quarantined message #ID
 *                                            (--status lists them)
 *
 * SIGTERM lets the current send finish, then every thread exits and the
 * outbox is pushed once more (when a central server is set).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/applog.h"
#include "anxin/content.h"
#include "anxin/store.h"
#include "gateway.h"

/* set by the signal handler, read by every thread (lock-free: safe in a
 * handler) */
static atomic_int stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int usage(void)
{
	fprintf(stderr, "usage: anxin-smsd --config smsd.conf [--status | --once |\n"
	                "       --parse --survey ID[@VERSION] --question QID TEXT |\n"
	                "       --restore NUMBER --by NAME | --release ID --by NAME]\n");
	return 2;
}

/* Print the parser's verdict on one reply, from the surveys installed in
 * the gateway's store. */
static int parse_one(const struct gw_config *cfg, const char *survey,
                     const char *qid, const char *text)
{
	ax_store *st = NULL;
	ax_content *c = NULL;
	const struct ax_survey *s;
	const struct ax_question *q;
	gw_matcher *m = NULL;
	struct gw_reply r;
	char err[256], id[64], out[256], hint[128];
	const char *at = strchr(survey, '@');
	int version = at ? atoi(at + 1) : 0, rc = 1;

	snprintf(id, sizeof id, "%.*s", at ? (int)(at - survey) : (int)strlen(survey),
	         survey);
	if (ax_store_open(cfg->store, AX_STORE_READONLY, &st, err, sizeof err) != AX_OK ||
	    ax_content_load_store(st, &c) != AX_OK) {
		fprintf(stderr, "anxin-smsd: %s\n", st ? ax_store_errmsg(st) : err);
		goto done;
	}
	s = ax_content_find_survey(c, id, version);
	q = s ? ax_survey_question(s, qid) : NULL;
	if (!q) {
		fprintf(stderr, "anxin-smsd: no question \"%s\" in survey \"%s\"\n", qid,
		        survey);
		goto done;
	}
	if (gw_matcher_new(q, &m) != AX_OK) {
		fprintf(stderr, "anxin-smsd: question \"%s\" cannot be parsed\n", qid);
		goto done;
	}
	gw_reply_parse(m, text, strlen(text), &r);
	gw_reply_format(q, &r, out, sizeof out);
	printf("%s\n", out);
	if (r.kind == GW_REPLY_INVALID) {
		gw_reply_hint(q, hint, sizeof hint);
		printf("hint sent: %s\n", hint);
	}
	rc = 0;
done:
	gw_matcher_free(m);
	ax_content_free(c);
	ax_store_close(st);
	return rc;
}

int main(int argc, char **argv)
{
	const char *config = NULL, *survey = NULL, *question = NULL, *text = NULL;
	const char *restore = NULL, *by = NULL, *release = NULL;
	int status = 0, once = 0, parse = 0, i;
	struct gw_config cfg;
	gw_gateway *g = NULL;
	char err[512];
	struct sigaction sa;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else if (strcmp(argv[i], "--status") == 0)
			status = 1;
		else if (strcmp(argv[i], "--once") == 0)
			once = 1;
		else if (strcmp(argv[i], "--parse") == 0)
			parse = 1;
		else if (strcmp(argv[i], "--survey") == 0 && i + 1 < argc)
			survey = argv[++i];
		else if (strcmp(argv[i], "--question") == 0 && i + 1 < argc)
			question = argv[++i];
		else if (strcmp(argv[i], "--restore") == 0 && i + 1 < argc)
			restore = argv[++i];
		else if (strcmp(argv[i], "--release") == 0 && i + 1 < argc)
			release = argv[++i];
		else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc)
			by = argv[++i];
		else if (parse && !text && argv[i][0] != '-')
			text = argv[i];
		else
			return usage();
	}
	if (!config)
		return usage();
	ax_set_log(ax_applog_lib, NULL);
	gw_config_defaults(&cfg);
	if (gw_config_load(config, &cfg, err, sizeof err) != AX_OK) {
		fprintf(stderr, "anxin-smsd: %s\n", err);
		return 1;
	}
	if (parse) {
		if (!survey || !question || !text)
			return usage();
		return parse_one(&cfg, survey, question, text);
	}
	if (status) {
		/* read-only: a wrong path must not leave an empty store behind,
		 * and a running daemon's state must not be touched */
		if (gw_open_status(&cfg, &g, err, sizeof err) != AX_OK) {
			fprintf(stderr, "anxin-smsd: %s\n", err);
			return 1;
		}
		gw_status_print(g, stdout);
		gw_close(g);
		return 0;
	}
	if (gw_open(&cfg, &g, err, sizeof err) != AX_OK) {
		fprintf(stderr, "anxin-smsd: %s\n", err);
		return 1;
	}
	if (restore) {
		/* who asked is logged: the grid worker the opt-out
		 * confirmation names */
		ax_rc rc = by && *by ? gw_restore_number(g, restore, by) : AX_INVALID;
		if (!by || !*by)
			fprintf(stderr, "anxin-smsd: --restore needs --by NAME (who asked)\n");
		else if (rc == AX_NOTFOUND)
			fprintf(stderr, "anxin-smsd: %s had not opted out\n", restore);
		else if (rc != AX_OK)
			fprintf(stderr, "anxin-smsd: %s\n", gw_errmsg(g));
		else
			printf("%s: opt-out withdrawn; the confirmation goes out with the"
			       " next send\n", restore);
		gw_close(g);
		return rc == AX_OK ? 0 : 1;
	}
	if (release) {
		char *end;
		long long id = strtoll(release, &end, 10);
		ax_rc rc = AX_INVALID;
		if (!by || !*by || *end || id <= 0)
			fprintf(stderr, "anxin-smsd: --release needs a number from --status"
			                " and --by NAME (who released it)\n");
		else if ((rc = gw_release_quarantined(g, id, by)) == AX_NOTFOUND)
			fprintf(stderr, "anxin-smsd: no quarantined message #%lld\n", id);
		else if (rc != AX_OK)
			fprintf(stderr, "anxin-smsd: %s\n", gw_errmsg(g));
		else
			printf("#%lld released by %s\n", id, by);
		gw_close(g);
		return rc == AX_OK ? 0 : 1;
	}
	if (once) {
		int rc = gw_step(g) == AX_OK ? 0 : 1;
		for (i = 0; i < cfg.nmodems; i++)
			if (gw_modem_cycle(g, i) != AX_OK)
				rc = 1;
		if (gw_step(g) != AX_OK)
			rc = 1;
		if (rc)
			AX_LOG_E("%s", gw_errmsg(g));
		gw_close(g);
		return rc;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	AX_LOG_I("anxin-smsd: %d modem(s), store %s", cfg.nmodems, cfg.store);
	if (gw_run(g, &stop) != AX_OK) {
		AX_LOG_E("anxin-smsd: stopped: %s is not the store it opened",
		         cfg.store);
		gw_close(g);
		return 1;
	}
	AX_LOG_I("anxin-smsd: stopped");
	gw_close(g);
	return 0;
}
