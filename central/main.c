/*
 * anxin-central -- the county's central store on HTTP: record ingest from
 * kiosks and SMS gateways, roster slices and campaigns for devices, the
 * report API and the staff dashboard.
 *
 *   anxin-central --db FILE [--listen 127.0.0.1:8080] [--threads 4]
 *                 [--max-body BYTES] [--max-inflated BYTES]
 *                 [--max-records N] [--max-buffered BYTES] [--max-unseal N]
 *                 [--port-file FILE] [--stop-timeout S]
 *
 * Limits: a body on the wire (--max-body, 4 MiB), a gzip body inflated
 * (--max-inflated, 4 MiB; a device sends at most 1 MiB of 500 records),
 * records in one request (--max-records, 2000), and body bytes held by
 * all connections together (--max-buffered, 64 MiB; past it an upload is
 * answered 503 with Retry-After), sealed phone numbers a device may have
 * opened a day (--max-unseal, 300; past it they stay anonymous).
 *
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish (each
 * batch commits whole or not at all), then exit.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "anxin/auth.h"
#include "central.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: anxin-central --db FILE [--listen HOST:PORT] [--threads N]\n"
	           "                     [--max-body BYTES] [--max-inflated BYTES]\n"
	           "                     [--max-records N] [--max-buffered BYTES]\n"
	           "                     [--max-unseal N]\n"
	           "                     [--port-file FILE]\n"
	           "                     [--stop-timeout SECONDS]\n"
	           "                     [--narration CONTENT_DIR]\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"db", required_argument, 0, 'd'},
		{"listen", required_argument, 0, 'l'},
		{"threads", required_argument, 0, 't'},
		{"max-body", required_argument, 0, 'm'},
		{"max-inflated", required_argument, 0, 'i'},
		{"max-records", required_argument, 0, 'r'},
		{"max-buffered", required_argument, 0, 'b'},
		{"max-unseal", required_argument, 0, 'u'},
		{"port-file", required_argument, 0, 'p'},
		{"stop-timeout", required_argument, 0, 's'},
		{"narration", required_argument, 0, 'n'},
		{"help", no_argument, 0, 'h'},
		{0, 0, 0, 0},
	};
	static struct ct_server srv;
	const char *listen = "127.0.0.1:8080", *port_file = NULL;
	unsigned threads = 4;
	int stop_timeout = 25; /* seconds; below systemd's TimeoutStopSec=30 */
	struct sockaddr_in addr;
	char host[64], err[512];
	const char *colon;
	sigset_t sigs;
	ax_store *st;
	int c, sig;

	srv.max_body = 4u << 20;
	srv.max_inflated = 4u << 20;
	srv.max_records = 2000;
	srv.max_buffered = 64u << 20;
	srv.max_unseal = 300;
	srv.session_ttl = 8 * 3600;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': srv.db_path = optarg; break;
		case 'l': listen = optarg; break;
		case 't': threads = (unsigned)atoi(optarg); break;
		case 'm': srv.max_body = (size_t)strtoull(optarg, NULL, 10); break;
		case 'i': srv.max_inflated = (size_t)strtoull(optarg, NULL, 10); break;
		case 'r': srv.max_records = (size_t)strtoull(optarg, NULL, 10); break;
		case 'b': srv.max_buffered = (size_t)strtoull(optarg, NULL, 10); break;
		case 'u': srv.max_unseal = atoi(optarg); break;
		case 'p': port_file = optarg; break;
		case 's': stop_timeout = atoi(optarg); break;
		case 'n': srv.narration_dir = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!srv.db_path || threads < 1 || threads > 64 || srv.max_body < 1024 ||
	    srv.max_inflated < 1024 || srv.max_records < 1 || srv.max_unseal < 0 ||
	    srv.max_buffered <= srv.max_body) {
		usage(stderr);
		return 2;
	}
	ax_set_log(ax_applog_lib, NULL);
	pthread_mutex_init(&srv.stores_mu, NULL);

	/* migrate and make the key pair once, before any worker opens it */
	if (ax_store_open(srv.db_path, AX_STORE_CREATE, &st, err, sizeof err)) {
		fprintf(stderr, "anxin-central: %s\n", err);
		return 3;
	}
	{
		unsigned char pk[32], sk[32];
		if (ax_store_keypair(st, pk, sk)) {
			fprintf(stderr, "anxin-central: keys: %s\n", ax_store_errmsg(st));
			return 3;
		}
	}
	ax_store_close(st);

	colon = strrchr(listen, ':');
	memset(&addr, 0, sizeof addr);
	addr.sin_family = AF_INET;
	if (!colon || (size_t)(colon - listen) >= sizeof host) {
		fprintf(stderr, "anxin-central: --listen must be HOST:PORT\n");
		return 2;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	addr.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		fprintf(stderr, "anxin-central: %s is not an IPv4 address\n", host);
		return 2;
	}

	/* workers inherit this mask: only the main thread takes the signals */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	srv.mhd = ct_start(&srv, (struct sockaddr *)&addr, threads);
	if (!srv.mhd) {
		fprintf(stderr, "anxin-central: cannot listen on %s\n", listen);
		return 3;
	}
	{
		const union MHD_DaemonInfo *di =
		    MHD_get_daemon_info(srv.mhd, MHD_DAEMON_INFO_BIND_PORT);
		unsigned port = di ? di->port : 0;
		CT_INFO("listening on http://%s:%u (db %s, %u threads)", host, port,
		        srv.db_path, threads);
		if (port_file) {
			char tmp[4096];
			FILE *f;
			snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
			if ((f = fopen(tmp, "w"))) {
				fprintf(f, "%u\n", port);
				fclose(f);
				rename(tmp, port_file);
			}
		}
	}
	sigwait(&sigs, &sig);
	atomic_store(&srv.stopping, 1);
	CT_INFO("signal %d: finishing requests in flight (%d record batches "
	        "importing)", sig, atomic_load(&srv.batches_importing));
	MHD_quiesce_daemon(srv.mhd);
	/* requests in flight finish and get their reply; a batch is committed
	 * whole or not at all, so even past the timeout nothing is half-written */
	for (int i = 0; i < stop_timeout * 10; i++) {
		const union MHD_DaemonInfo *di =
		    MHD_get_daemon_info(srv.mhd, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (!di || di->num_connections == 0)
			break;
		usleep(100 * 1000);
	}
	MHD_stop_daemon(srv.mhd);
	ct_close_stores(&srv);
	CT_INFO("stopped");
	return 0;
}
