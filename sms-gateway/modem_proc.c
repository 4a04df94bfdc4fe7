/*
 * modem_proc.c -- a modem in a process of its own (modem_proc.h).
 *
 * Frames, both ways: a header (payload length, type) and a payload that
 * is a struct below, sometimes followed by text.  Parent and child are
 * one program (fork, no exec), so structs go as they are.
 *
 *   parent -> child               child -> parent
 *   F_SETWAIT wait_item           F_HELLO result (after connecting; then
 *   F_DELETE  int location                one F_RESULT per F_DELETE)
 *   F_POLL    poll_req            F_IN     in_msg + text   (answered F_ACK)
 *   F_ACK     int                 F_REP    gw_status_report (F_ACK)
 *   F_SEND    send_req + text     F_COMMIT (answered F_ACK)
 *   F_SIGNAL                      F_DONE   result + wait_item[n]
 *   F_QUIT                        F_RESULT result
 *
 * The child closes every inherited descriptor but its socket (the
 * store, STORE.lock), so it holds nothing of the gateway's, and ends on
 * F_QUIT, on end of file (the gateway is gone) or when the thread that
 * started it ends (PR_SET_PDEATHSIG), not on SIGTERM or SIGINT.  It never
 * touches the store.
 *
 * For tests, ANXIN_SMSD_MODEM_FAULT=abort:WHAT (or hang:WHAT) makes the
 * child abort() (or stop answering) when asked to send to a number or a
 * text containing WHAT, as libgammu would on a bad exchange with the
 * modem; several, separated by commas.
 */
#include "modem_proc.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum {
	F_SETWAIT = 1, F_DELETE, F_POLL, F_ACK, F_SEND, F_SIGNAL, F_QUIT,
	F_HELLO, F_IN, F_REP, F_COMMIT, F_DONE, F_RESULT
};

#define MAX_WAIT 128
#define MAX_FORGET 32
#define MAX_FRAME (1 << 20)

struct hdr {
	uint32_t len, type;
};
struct wait_item {
	char key[96];
	long long first_seen;
};
struct poll_req {
	long long now;
	int probe_after; /* >= 0: gw_modem_probe after it first */
};
struct in_msg {
	char phone[64];
	long long smsc_time;
	int concat_ref, parts, total;
};
struct send_req {
	char phone[64];
};
struct result {
	int rc, a, b, c; /* poll: nread; send: ref, parts, sent_parts;
	                  * signal: percent; done: a = waiting items */
	char err[256];
};

struct gw_mproc {
	struct gw_modem_cfg cfg;
	pid_t pid, owner;
	int fd;
	struct gw_modem_watch *w; /* shared with the child */
	int probe_after;          /* -1, or where the next poll probes from */
	int next_loc, next_lost;  /* lost that many times in a row reading
	                           * the message after next_loc */
	int fault_loc;            /* > 0: lost on this location, not yet told */
	char fault_why[160];
	int losses;
	int forget[MAX_FORGET], nforget;
	struct wait_item wait[MAX_WAIT];
	int nwait;
	char *buf; /* the last frame read */
	size_t cap;
};

/* ---- frames ---------------------------------------------------------- */

/* One send (wr) or read, EINTR retried: bytes moved, -1 on an error or
 * at end of file. */
static ssize_t io_step(int fd, char *c, size_t n, int wr)
{
	ssize_t k;
	do
		k = wr ? send(fd, c, n, MSG_NOSIGNAL) : read(fd, c, n);
	while (k < 0 && errno == EINTR);
	return k > 0 ? k : -1;
}

static int write_all(int fd, const void *p, size_t n)
{
	char *c = (char *)p;
	for (ssize_t k; n > 0; c += k, n -= (size_t)k)
		if ((k = io_step(fd, c, n, 1)) < 0)
			return -1;
	return 0;
}

static int send_frame(int fd, uint32_t type, const void *a, size_t alen,
                      const void *b, size_t blen)
{
	struct hdr h = {(uint32_t)(alen + blen), type};
	if (write_all(fd, &h, sizeof h) || (alen && write_all(fd, a, alen)) ||
	    (blen && write_all(fd, b, blen)))
		return -1;
	return 0;
}

/* Read n bytes; timeout_s > 0: give up (-2) when the watch shows no
 * progress for that long; -1 at end of file or on an error. */
static int read_all(int fd, void *p, size_t n, struct gw_modem_watch *w,
                    int timeout_s)
{
	char *c = p;
	unsigned beat = w ? atomic_load(&w->beat) : 0;
	struct timespec last, t;
	clock_gettime(CLOCK_MONOTONIC, &last);
	while (n > 0) {
		ssize_t k;
		if (timeout_s > 0) {
			struct pollfd pf = {fd, POLLIN, 0};
			int r = poll(&pf, 1, 200);
			if (r < 0 && errno != EINTR)
				return -1;
			if (r <= 0) {
				unsigned now_beat = atomic_load(&w->beat);
				clock_gettime(CLOCK_MONOTONIC, &t);
				if (now_beat != beat) {
					beat = now_beat;
					last = t;
				} else if (t.tv_sec - last.tv_sec >= timeout_s) {
					return -2;
				}
				continue;
			}
		}
		if ((k = io_step(fd, c, n, 0)) < 0)
			return -1;
		c += k;
		n -= (size_t)k;
	}
	return 0;
}

/* One frame into *buf (grown as needed, NUL-terminated): its type, or -1
 * (gone), -2 (no progress for timeout_s), -3 (a frame too large). */
static int recv_frame(int fd, char **buf, size_t *cap, size_t *len,
                      struct gw_modem_watch *w, int timeout_s)
{
	struct hdr h;
	int r = read_all(fd, &h, sizeof h, w, timeout_s);
	if (r)
		return r;
	if (h.len > MAX_FRAME)
		return -3;
	if (h.len + 1 > *cap) {
		char *nb = realloc(*buf, h.len + 1);
		if (!nb)
			return -3;
		*buf = nb;
		*cap = h.len + 1;
	}
	if ((r = read_all(fd, *buf, h.len, w, timeout_s)))
		return r;
	(*buf)[h.len] = '\0';
	*len = h.len;
	return (int)h.type;
}

/* ---- the child ------------------------------------------------------- */

struct child {
	int fd;
	gw_modem *m;
	char *buf;
	size_t cap, len;
};

static void child_fault_hook(const char *phone, const char *text)
{
	const char *env = getenv("ANXIN_SMSD_MODEM_FAULT");
	char spec[256], *tok, *save = NULL, *what;
	if (!env)
		return;
	snprintf(spec, sizeof spec, "%s", env);
	for (tok = strtok_r(spec, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!(what = strchr(tok, ':')) || !*++what ||
		    (!strstr(phone, what) && !strstr(text, what)))
			continue;
		if (strncmp(tok, "abort:", 6) == 0)
			abort();
		if (strncmp(tok, "hang:", 5) == 0)
			for (;;)
				pause();
	}
}

static int child_ack(struct child *c)
{
	int t = recv_frame(c->fd, &c->buf, &c->cap, &c->len, NULL, 0);
	int v;
	if (t != F_ACK || c->len < sizeof v)
		_exit(0); /* the gateway is gone, or out of step */
	memcpy(&v, c->buf, sizeof v);
	return v;
}

static int child_in(void *ctx, const struct gw_incoming *in)
{
	struct child *c = ctx;
	struct in_msg m;
	memset(&m, 0, sizeof m);
	snprintf(m.phone, sizeof m.phone, "%s", in->phone);
	m.smsc_time = in->smsc_time;
	m.concat_ref = in->concat_ref;
	m.parts = in->parts;
	m.total = in->total;
	if (send_frame(c->fd, F_IN, &m, sizeof m, in->text, strlen(in->text)))
		_exit(0);
	return child_ack(c);
}

static int child_rep(void *ctx, const struct gw_status_report *r)
{
	struct child *c = ctx;
	if (send_frame(c->fd, F_REP, r, sizeof *r, NULL, 0))
		_exit(0);
	return child_ack(c);
}

static int child_commit(void *ctx)
{
	struct child *c = ctx;
	if (send_frame(c->fd, F_COMMIT, NULL, 0, NULL, 0))
		_exit(0);
	return child_ack(c);
}

static void child_poll(struct child *c, const struct poll_req *q)
{
	struct result r;
	struct wait_item *items = NULL;
	const char *key;
	long long first;
	int n = 0, found;

	memset(&r, 0, sizeof r);
	if (q->probe_after >= 0 &&
	    gw_modem_probe(c->m, q->probe_after, &found, r.err, sizeof r.err))
		r.rc = -1;
	if (!r.rc)
		r.rc = gw_modem_poll(c->m, child_in, child_rep, child_commit, c, q->now,
		                     &r.a, r.err, sizeof r.err);
	while (gw_modem_waiting(c->m, n, &key, &first))
		n++;
	if (n && (items = calloc((size_t)n, sizeof *items)))
		for (int i = 0; i < n && gw_modem_waiting(c->m, i, &key, &first); i++) {
			snprintf(items[i].key, sizeof items[i].key, "%s", key);
			items[i].first_seen = first;
		}
	r.b = items ? n : 0;
	if (send_frame(c->fd, F_DONE, &r, sizeof r, items,
	               (size_t)r.b * sizeof *items))
		_exit(0);
	free(items);
}

static void child_send(struct child *c)
{
	struct send_req q;
	struct result r;
	const char *text = c->buf + sizeof q;

	memcpy(&q, c->buf, sizeof q);
	memset(&r, 0, sizeof r);
	child_fault_hook(q.phone, text);
	r.rc = gw_modem_send(c->m, q.phone, text, &r.a, &r.b, &r.c, r.err,
	                     sizeof r.err);
	if (send_frame(c->fd, F_RESULT, &r, sizeof r, NULL, 0))
		_exit(0);
}

static void child_main(int fd, const struct gw_modem_cfg *cfg,
                       struct gw_modem_watch *w)
{
	struct child c = {fd, NULL, NULL, 0, 0};
	struct result r;
	int t;

	memset(&r, 0, sizeof r);
	if (!(c.m = gw_modem_new(cfg))) {
		r.rc = -1;
		snprintf(r.err, sizeof r.err, "out of memory");
	} else {
		gw_modem_set_watch(c.m, w);
		r.rc = gw_modem_connect(c.m, r.err, sizeof r.err);
	}
	if (send_frame(fd, F_HELLO, &r, sizeof r, NULL, 0) || r.rc)
		_exit(0);
	while ((t = recv_frame(fd, &c.buf, &c.cap, &c.len, NULL, 0)) > 0) {
		memset(&r, 0, sizeof r);
		if (t == F_SETWAIT && c.len >= sizeof(struct wait_item)) {
			struct wait_item it;
			memcpy(&it, c.buf, sizeof it);
			it.key[sizeof it.key - 1] = '\0';
			gw_modem_set_waiting(c.m, it.key, it.first_seen);
			continue;
		}
		if (t == F_DELETE && c.len >= sizeof(int)) {
			int loc;
			memcpy(&loc, c.buf, sizeof loc);
			r.rc = gw_modem_delete_at(c.m, loc, r.err, sizeof r.err);
		} else if (t == F_POLL && c.len >= sizeof(struct poll_req)) {
			struct poll_req q;
			memcpy(&q, c.buf, sizeof q);
			child_poll(&c, &q);
			continue;
		} else if (t == F_SEND && c.len >= sizeof(struct send_req)) {
			child_send(&c);
			continue;
		} else if (t == F_SIGNAL) {
			r.a = gw_modem_signal(c.m);
		} else {
			break; /* F_QUIT, or out of step */
		}
		if (send_frame(fd, F_RESULT, &r, sizeof r, NULL, 0))
			break;
	}
	gw_modem_disconnect(c.m);
	_exit(0);
}

/* ---- the parent ------------------------------------------------------ */

gw_mproc *gw_mproc_new(const struct gw_modem_cfg *cfg)
{
	gw_mproc *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->cfg = *cfg;
	if (p->cfg.send_timeout <= 0)
		p->cfg.send_timeout = 60;
	if (p->cfg.hang_timeout <= 0)
		p->cfg.hang_timeout = p->cfg.send_timeout + 60;
	p->fd = -1;
	p->probe_after = -1;
	p->w = mmap(NULL, sizeof *p->w, PROT_READ | PROT_WRITE,
	            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p->w == MAP_FAILED) {
		free(p);
		return NULL;
	}
	memset(p->w, 0, sizeof *p->w);
	return p;
}

/* The process's state as this process sees it: in a forked copy of the
 * gateway, the parent's child is not ours (forget it, do not close it
 * from under the parent beyond our own descriptor). */
static void check_owner(gw_mproc *p)
{
	if (p->fd >= 0 && p->owner != getpid()) {
		close(p->fd);
		p->fd = -1;
		p->pid = 0;
	}
}

int gw_mproc_connected(const gw_mproc *p)
{
	return p && p->fd >= 0 && p->owner == getpid();
}

static void describe_end(int status, char *out, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(out, n, "killed by signal %d (%s)", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status))
		snprintf(out, n, "exited with status %d", WEXITSTATUS(status));
	else
		snprintf(out, n, "ended");
}

/* The child is gone (r -1) or shows no progress (r -2, -3): kill and reap
 * it, note which message it was on, err: what happened. */
static void lost(gw_mproc *p, int r, const char *doing, char *err,
                 size_t errlen)
{
	int status = 0, phase = atomic_load(&p->w->phase),
	    loc = atomic_load(&p->w->location);
	char how[128];

	if (r != -1)
		kill(p->pid, SIGKILL);
	close(p->fd);
	p->fd = -1;
	while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
	if (r == -2)
		snprintf(how, sizeof how, "no progress for %d s (killed)",
		         p->cfg.hang_timeout);
	else if (r == -3)
		snprintf(how, sizeof how, "sent a frame out of step (killed)");
	else
		describe_end(status, how, sizeof how);
	p->losses++;
	snprintf(err, errlen, "the modem's process %s while %s", how, doing);
	if (phase == GW_WATCH_NEXT) {
		int found = atomic_load(&p->w->found);
		p->next_lost = p->next_lost && p->next_loc == loc ? p->next_lost + 1 : 1;
		p->next_loc = loc;
		snprintf(err + strlen(err), errlen - strlen(err),
		         " (reading the message after location %d)", loc);
		if (p->next_lost >= 3 && found > loc) {
			/* the probe read the message after loc without a crash,
			 * three reads in a row died on it: a message that crashes
			 * libgammu only as GSM_GetNextSMS reads it */
			p->probe_after = -1;
			p->next_lost = 0;
			p->fault_loc = found;
			snprintf(p->fault_why, sizeof p->fault_why,
			         "%s (3 times in a row, after location %d)", how, loc);
		} else {
			/* the next read probes the messages after loc one by one */
			p->probe_after = loc;
		}
	} else if (phase == GW_WATCH_PROBE || phase == GW_WATCH_DECODE) {
		p->probe_after = -1;
		p->next_lost = 0;
		p->fault_loc = loc;
		snprintf(p->fault_why, sizeof p->fault_why, "%s", how);
		snprintf(err + strlen(err), errlen - strlen(err),
		         " (reading location %d)", loc);
	}
	atomic_store(&p->w->phase, GW_WATCH_IDLE);
}

/* A request's answer of type `want` into p->buf (len bytes at least):
 * 0, or -1 with the child lost (err filled). */
static int expect(gw_mproc *p, int want, size_t len, const char *doing,
                  char *err, size_t errlen)
{
	size_t got = 0;
	int t = recv_frame(p->fd, &p->buf, &p->cap, &got, p->w,
	                   p->cfg.hang_timeout);
	if (t == want && got >= len)
		return 0;
	lost(p, t < 0 ? t : -3, doing, err, errlen);
	return -1;
}

int gw_mproc_connect(gw_mproc *p, char *err, size_t errlen)
{
	int sv[2], i;
	struct result r;
	pid_t pid, parent;

	check_owner(p);
	gw_mproc_disconnect(p);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	atomic_store(&p->w->phase, GW_WATCH_IDLE);
	parent = getpid();
	pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* a crash in libgammu ends the child as the kernel ends it:
		 * not through a sanitizer's report of the gateway's build */
		static const int deadly[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
		for (i = 0; i < (int)(sizeof deadly / sizeof deadly[0]); i++)
			signal(deadly[i], SIG_DFL);
		/* stopping is the gateway's to do (F_QUIT, end of file): the
		 * SIGTERM systemd sends the whole service, or a terminal's
		 * SIGINT, must not end a send half way and have it taken for
		 * a crash (quarantined) */
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent) /* the gateway went before prctl */
			_exit(0);
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		close_range(4, ~0U, 0);
		child_main(3, &p->cfg, p->w);
	}
	close(sv[1]);
	p->fd = sv[0];
	p->pid = pid;
	p->owner = getpid();
	if (expect(p, F_HELLO, sizeof r, "connecting", err, errlen))
		return -1;
	memcpy(&r, p->buf, sizeof r);
	if (r.rc) {
		snprintf(err, errlen, "%s", r.err);
		gw_mproc_disconnect(p);
		return -1;
	}
	/* quarantined locations, deleted unread before anything is read */
	for (i = 0; i < p->nforget; i++) {
		if (send_frame(p->fd, F_DELETE, &p->forget[i], sizeof p->forget[i],
		               NULL, 0) ||
		    expect(p, F_RESULT, sizeof r, "deleting a quarantined message",
		           err, errlen)) {
			if (p->fd >= 0)
				lost(p, -3, "deleting a quarantined message", err, errlen);
			return -1;
		}
		memcpy(&r, p->buf, sizeof r);
		if (r.rc) {
			snprintf(err, errlen, "location %d: %s", p->forget[i], r.err);
			gw_mproc_disconnect(p);
			return -1;
		}
	}
	p->nforget = 0;
	for (i = 0; i < p->nwait; i++)
		if (send_frame(p->fd, F_SETWAIT, &p->wait[i], sizeof p->wait[i], NULL,
		               0)) {
			lost(p, -3, "starting", err, errlen);
			return -1;
		}
	return 0;
}

void gw_mproc_disconnect(gw_mproc *p)
{
	struct timespec ts = {0, 10 * 1000000L};
	int status, k;

	if (!p)
		return;
	check_owner(p);
	if (p->fd < 0)
		return;
	send_frame(p->fd, F_QUIT, NULL, 0, NULL, 0);
	close(p->fd);
	p->fd = -1;
	/* up to 2 s to disconnect cleanly, then killed */
	for (k = 0; k < 200 && waitpid(p->pid, &status, WNOHANG) == 0; k++)
		nanosleep(&ts, NULL);
	if (k == 200) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	p->pid = 0;
}

void gw_mproc_free(gw_mproc *p)
{
	if (!p)
		return;
	gw_mproc_disconnect(p);
	munmap(p->w, sizeof *p->w);
	free(p->buf);
	free(p);
}

static int not_connected(gw_mproc *p, char *err, size_t errlen)
{
	check_owner(p);
	if (p->fd >= 0)
		return 0;
	snprintf(err, errlen, "not connected");
	return -1;
}

static int answer(gw_mproc *p, int v, const char *doing, char *err,
                  size_t errlen)
{
	if (send_frame(p->fd, F_ACK, &v, sizeof v, NULL, 0)) {
		lost(p, -1, doing, err, errlen);
		return -1;
	}
	return 0;
}

/* The inbox items of one poll, to the callbacks as they come. */
static int poll_loop(gw_mproc *p, gw_incoming_fn in_fn, gw_report_fn rep_fn,
                     gw_commit_fn commit_fn, void *ctx, struct result *r,
                     char *err, size_t errlen)
{
	for (;;) {
		size_t got = 0;
		int t = recv_frame(p->fd, &p->buf, &p->cap, &got, p->w,
		                   p->cfg.hang_timeout);
		int v;
		if (t == F_IN && got >= sizeof(struct in_msg)) {
			struct in_msg m;
			struct gw_incoming in;
			memcpy(&m, p->buf, sizeof m);
			memset(&in, 0, sizeof in);
			memcpy(in.phone, m.phone, sizeof in.phone);
			in.phone[sizeof in.phone - 1] = '\0';
			in.smsc_time = m.smsc_time;
			in.concat_ref = m.concat_ref;
			in.parts = m.parts;
			in.total = m.total;
			in.text = p->buf + sizeof m;
			v = in_fn(ctx, &in);
		} else if (t == F_REP && got >= sizeof(struct gw_status_report)) {
			struct gw_status_report rp;
			memcpy(&rp, p->buf, sizeof rp);
			rp.phone[sizeof rp.phone - 1] = '\0';
			v = rep_fn ? rep_fn(ctx, &rp) : 1;
		} else if (t == F_COMMIT) {
			v = commit_fn ? commit_fn(ctx) : 0;
		} else if (t == F_DONE && got >= sizeof *r) {
			memcpy(r, p->buf, sizeof *r);
			r->err[sizeof r->err - 1] = '\0';
			if (r->b < 0 || r->b > MAX_WAIT ||
			    got < sizeof *r + (size_t)r->b * sizeof(struct wait_item))
				r->b = 0;
			memcpy(p->wait, p->buf + sizeof *r,
			       (size_t)r->b * sizeof(struct wait_item));
			p->nwait = r->b;
			return 0;
		} else {
			lost(p, t < 0 ? t : -3, "reading the inbox", err, errlen);
			return -1;
		}
		if (answer(p, v, "reading the inbox", err, errlen))
			return -1;
	}
}

int gw_mproc_poll(gw_mproc *p, gw_incoming_fn in_fn, gw_report_fn rep_fn,
                  gw_commit_fn commit_fn, void *ctx, long long now, int *nread,
                  char *err, size_t errlen)
{
	struct poll_req q = {now, p->probe_after};
	struct result r;

	if (nread)
		*nread = 0;
	if (not_connected(p, err, errlen))
		return -1;
	atomic_store(&p->w->found, 0);
	if (send_frame(p->fd, F_POLL, &q, sizeof q, NULL, 0)) {
		lost(p, -1, "reading the inbox", err, errlen);
		return -1;
	}
	if (poll_loop(p, in_fn, rep_fn, commit_fn, ctx, &r, err, errlen))
		return -1;
	p->probe_after = -1; /* the probe passed: nothing to blame */
	p->next_lost = 0;
	if (nread)
		*nread = r.a;
	if (r.rc) {
		snprintf(err, errlen, "%s", r.err);
		return -1;
	}
	p->losses = 0;
	return 0;
}

int gw_mproc_waiting(const gw_mproc *p, int i, const char **key,
                     long long *first_seen)
{
	if (i < 0 || i >= p->nwait)
		return 0;
	*key = p->wait[i].key;
	*first_seen = p->wait[i].first_seen;
	return 1;
}

void gw_mproc_set_waiting(gw_mproc *p, const char *key, long long first_seen)
{
	int i;
	for (i = 0; i < p->nwait; i++)
		if (strcmp(p->wait[i].key, key) == 0)
			break;
	if (i == p->nwait) {
		if (p->nwait == MAX_WAIT)
			return;
		p->nwait++;
		snprintf(p->wait[i].key, sizeof p->wait[i].key, "%s", key);
		p->wait[i].first_seen = first_seen;
	} else if (first_seen < p->wait[i].first_seen) {
		p->wait[i].first_seen = first_seen;
	}
	if (gw_mproc_connected(p))
		send_frame(p->fd, F_SETWAIT, &p->wait[i], sizeof p->wait[i], NULL, 0);
}

int gw_mproc_send(gw_mproc *p, const char *phone, const char *text, int *ref,
                  int *parts, int *sent_parts, char *err, size_t errlen)
{
	struct send_req q;
	struct result r;

	*ref = -1;
	*parts = *sent_parts = 0;
	if (not_connected(p, err, errlen))
		return -1;
	memset(&q, 0, sizeof q);
	snprintf(q.phone, sizeof q.phone, "%s", phone);
	if (send_frame(p->fd, F_SEND, &q, sizeof q, text, strlen(text))) {
		lost(p, -1, "sending", err, errlen);
		return GW_MPROC_LOST;
	}
	if (expect(p, F_RESULT, sizeof r, "sending", err, errlen))
		return GW_MPROC_LOST;
	memcpy(&r, p->buf, sizeof r);
	*ref = r.a;
	*parts = r.b;
	*sent_parts = r.c;
	if (r.rc) {
		snprintf(err, errlen, "%.*s", (int)sizeof r.err, r.err);
		return -1;
	}
	p->losses = 0;
	return 0;
}

int gw_mproc_signal(gw_mproc *p)
{
	struct result r;
	char err[256];
	if (not_connected(p, err, sizeof err) ||
	    send_frame(p->fd, F_SIGNAL, NULL, 0, NULL, 0) ||
	    expect(p, F_RESULT, sizeof r, "reading the signal", err, sizeof err))
		return -1;
	memcpy(&r, p->buf, sizeof r);
	return r.a;
}

int gw_mproc_fault(gw_mproc *p, int *location, char *why, size_t whylen)
{
	if (p->fault_loc <= 0)
		return 0;
	*location = p->fault_loc;
	snprintf(why, whylen, "%s", p->fault_why);
	p->fault_loc = 0;
	return 1;
}

void gw_mproc_forget(gw_mproc *p, int location)
{
	for (int i = 0; i < p->nforget; i++)
		if (p->forget[i] == location)
			return;
	if (p->nforget < MAX_FORGET)
		p->forget[p->nforget++] = location;
}

int gw_mproc_losses(const gw_mproc *p) { return p->losses; }
