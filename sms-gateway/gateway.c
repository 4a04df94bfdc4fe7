/*
 * gateway.c -- the daemon's core (see gateway.h for the transaction
 * design, gw_int.h for where each part lives): open and close, one
 * scheduling pass (gw_step) and the threads of gw_run.  No libgammu here:
 * modems are reached through modem.h.
 */
#include "gateway.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "anxin/applog.h"
#include "anxin/store.h"
#include "gw_int.h"

/* 1 when the gateway's tables are in db (anxin-smsd has run on it). */
static int has_gateway_tables(sqlite3 *db)
{
	sqlite3_stmt *q;
	int found = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE name='queue'",
	                       -1, &q, NULL) != SQLITE_OK)
		return 0;
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

/* ---- open, close --------------------------------------------------------- */

/* Tests driving the daemon from outside: the clock is a number in a file.
 * A test moves it with `echo T > file`, which truncates before it writes:
 * a read in between finds the file empty.  The clock then stays where it
 * was; it never falls back to the wall clock (months after the test's
 * campaign: its conversations were closed, a reply read then came "late",
 * and e2e.smsd.poison failed about once in 40 runs on a busy machine).
 * The wall clock only before the file has ever been read. */
static long long file_clock(void *ctx)
{
	gw_gateway *g = ctx;
	FILE *f = fopen(g->cfg.clock_file, "r");
	long long t = 0;
	if (f) {
		if (fscanf(f, "%lld", &t) != 1)
			t = 0;
		fclose(f);
	}
	if (t > 0) {
		atomic_store(&g->file_clock_last, t);
		return t;
	}
	t = atomic_load(&g->file_clock_last);
	return t > 0 ? t : (long long)time(NULL);
}

/* A gateway with its configuration and clock, nothing opened yet. */
static gw_gateway *gw_alloc(const struct gw_config *cfg)
{
	gw_gateway *g = calloc(1, sizeof *g);
	if (g)
		g->lock_fd = -1;
	if (!g)
		return NULL;
	g->cfg = *cfg;
	pthread_mutex_init(&g->log_mu, NULL);
	if (cfg->clock_file[0])
		gw_set_clock(g, file_clock, g);
	else
		gw_set_clock(g, NULL, NULL);
	return g;
}

/*
 * One gateway process per store: two (a service and a manual --once)
 * would each claim, recover and send from the same queue.  The lock is
 * flock() on a separate file STORE.lock holding the owner's pid, never on
 * the SQLite file (closing any other fd on that file drops SQLite's own
 * POSIX locks).  The kernel releases it when the process ends, however
 * it ends; the file stays.  0, or -1 with err filled.
 */
static int lock_store(gw_gateway *g, const char *store, char *err, size_t errlen)
{
	char path[4096 + 8], pid[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "%s.lock", store);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int busy = errno == EWOULDBLOCK;
		n = busy ? pread(fd, pid, sizeof pid - 1, 0) : 0;
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		if (busy)
			snprintf(err, errlen,
			         "%s is in use by another anxin-smsd (pid %s; lock %s):"
			         " one gateway process per store; stop that one first",
			         store, pid[0] ? pid : "unknown", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n)
		AX_LOG_W("%s: cannot write the pid: %s", path, strerror(errno));
	g->lock_fd = fd;
	return 0;
}

ax_rc gw_open(const struct gw_config *cfg, gw_gateway **out, char *err,
              size_t errlen)
{
	gw_gateway *g;
	int i;

	*out = NULL;
	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium failed to initialise");
		return AX_ERROR;
	}
	if (!(g = gw_alloc(cfg))) {
		snprintf(err, errlen, "out of memory");
		return AX_NOMEM;
	}
	if (lock_store(g, cfg->store, err, errlen) ||
	    gw__open_store(cfg->store, &g->st, err, errlen) != AX_OK)
		goto fail;
	g->db = ax_store_sqlite(g->st);
	{
		/* which file it is: gw__store_lost compares the path with it */
		struct stat sb;
		if (stat(cfg->store, &sb) != 0) {
			snprintf(err, errlen, "%s: %s", cfg->store, strerror(errno));
			goto fail;
		}
		g->store_dev = sb.st_dev;
		g->store_ino = sb.st_ino;
	}
	if (gw__upgrade(g)) {
		snprintf(err, errlen, "%s", g->err);
		goto fail;
	}
	/* a message claimed but never recorded may have gone out: never
	 * again, and recorded as a send whose outcome is unknown */
	if (gw__recover_sending(g)) {
		snprintf(err, errlen, "recovering interrupted sends: %s",
		         sqlite3_errmsg(g->db));
		goto fail;
	}
	for (i = 0; i < cfg->nmodems; i++) {
		struct slot *s = &g->slots[i];
		s->g = g;
		s->index = i;
		s->signal = -1;
		s->m = gw_mproc_new(&cfg->modems[i]);
		if (!s->m) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		/* each modem thread its own handle on the same file (WAL) */
		if (gw__open_store(cfg->store, &s->st, err, errlen) != AX_OK)
			goto fail;
		s->db = ax_store_sqlite(s->st);
	}
	*out = g;
	return AX_OK;
fail:
	gw_close(g);
	return AX_ERROR;
}

ax_rc gw_open_status(const struct gw_config *cfg, gw_gateway **out, char *err,
                     size_t errlen)
{
	gw_gateway *g;
	char aerr[256];

	*out = NULL;
	if (!(g = gw_alloc(cfg))) {
		snprintf(err, errlen, "out of memory");
		return AX_NOMEM;
	}
	if (ax_store_open(cfg->store, AX_STORE_READONLY, &g->st, aerr, sizeof aerr) !=
	    AX_OK) {
		snprintf(err, errlen, "%s ([smsd] store; --status creates nothing)", aerr);
		goto fail;
	}
	g->db = ax_store_sqlite(g->st);
	if (!has_gateway_tables(g->db)) {
		/* an upgrade not yet started: the old file still holds them */
		g->db = NULL;
		g->own_db = 1;
		if (access(cfg->gateway_db, F_OK) != 0 ||
		    sqlite3_open_v2(cfg->gateway_db, &g->db, SQLITE_OPEN_READONLY,
		                    NULL) != SQLITE_OK) {
			snprintf(err, errlen,
			         "%s: no gateway tables ([smsd] store; --status creates "
			         "nothing: has anxin-smsd run with this configuration?)",
			         cfg->store);
			goto fail;
		}
	}
	sqlite3_busy_timeout(g->db, 5000);
	*out = g;
	return AX_OK;
fail:
	gw_close(g);
	return AX_ERROR;
}

void gw_close(gw_gateway *g)
{
	int i;
	if (!g)
		return;
	for (i = 0; i < GW_MAX_MODEMS; i++) {
		gw_mproc_free(g->slots[i].m);
		sqlite3_finalize(g->slots[i].ins_inbox);
		sqlite3_finalize(g->slots[i].ins_report);
		ax_store_close(g->slots[i].st);
	}
	gw__free_loaded(g);
	for (i = 0; i < g->ncache; i++)
		sqlite3_finalize(g->cache[i].st);
	if (g->own_db)
		sqlite3_close(g->db);
	ax_store_close(g->st);
	if (g->lock_fd >= 0)
		close(g->lock_fd); /* last: the store is closed by now */
	pthread_mutex_destroy(&g->log_mu);
	free(g);
}

/* ---- scheduling pass ----------------------------------------------------- */

ax_rc gw_step(gw_gateway *g)
{
	long long now = gw_now(g);
	int failed = 0, i;

	if (gw__store_lost(g)) {
		gw__seterr(g, "%s: not the store this gateway opened", g->cfg.store);
		return AX_IO;
	}
	gw__txn_guard(g, g->db, "scheduling pass");
	/* a campaign whose window just ended: reload now, so its open
	 * conversations are closed rather than answered for five minutes */
	for (i = 0; i < g->ncamps && !g->reload; i++)
		if (!ax_campaign_live(&g->camps[i].c, now))
			g->reload = 1;
	if (g->reload || !g->loaded_at || now - g->loaded_at >= 300 ||
	    now < g->loaded_at) {
		ax_rc rc = gw__load(g);
		if (rc != AX_OK)
			return rc;
		if (gw__close_conversations(g, now) < 0)
			failed = 1;
	}
	if (gw__start_conversations(g, now) < 0)
		failed = 1;
	if (gw__queue_digests(g, now) < 0)
		failed = 1;
	if (gw__process_inbox(g, now))
		failed = 1;
	if (gw__match_reports(g, now))
		failed = 1;
	if (gw__phone_fallback(g, now))
		failed = 1;
	if (gw__tick_conversations(g, now))
		failed = 1;
	gw__report_queue(g, now);
	gw__push_central(g, now);
	return failed ? AX_ERROR : AX_OK;
}

/* ---- run ----------------------------------------------------------------- */

struct runarg {
	gw_gateway *g;
	int i;
	atomic_int *stop;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void *modem_thread(void *p)
{
	struct runarg *a = p;
	while (!atomic_load(a->stop)) {
		gw_modem_cycle(a->g, a->i);
		/* a short pause in pieces, so SIGTERM is seen quickly */
		for (int k = 0; k < a->g->cfg.poll_ms / 100 && !atomic_load(a->stop); k++)
			sleep_ms(100);
	}
	gw_mproc_disconnect(a->g->slots[a->i].m);
	return NULL;
}

ax_rc gw_run(gw_gateway *g, atomic_int *stop)
{
	pthread_t th[GW_MAX_MODEMS];
	struct runarg args[GW_MAX_MODEMS];
	int i, n = 0;

	g->stop = stop;
	for (i = 0; i < g->cfg.nmodems; i++) {
		args[i].g = g;
		args[i].i = i;
		args[i].stop = stop;
		if (pthread_create(&th[i], NULL, modem_thread, &args[i]) != 0)
			break;
		n++;
	}
	while (!atomic_load(stop)) {
		if (gw__store_lost(g)) {
			atomic_store(stop, 1);
			break;
		}
		gw_step(g);
		for (int k = 0; k < g->cfg.poll_ms / 100 && !atomic_load(stop); k++)
			sleep_ms(100);
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	if (gw__store_lost(g))
		return AX_IO;
	gw_step(g); /* push what the last sends recorded */
	return AX_OK;
}
