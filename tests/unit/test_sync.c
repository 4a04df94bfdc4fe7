/*
 * test_sync.c -- the outbox and the sync client without a server:
 * idempotent puts and conflicts, status counts, batching by count and
 * bytes, applying a server reply, the backoff schedule (fixed clock and a
 * fixed "random" jitter), export of pending lines, applying a campaigns
 * document, and the network error path against a closed port on
 * 127.0.0.1 (connection refused: a transient error that marks nothing).
 *
 * The end-to-end test against anxin-central lives in tests/e2e.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "anxin/content.h"
#include "anxin/response.h"
#include "anxin/store.h"
#include "anxin/sync.h"
#include "sync_int.h"
#include "testutil.h"

static ax_store *st;
static sqlite3 *db; /* the same file, read-only, for checking */

#define NOW 1790000000LL /* 2026-09-22, a fixed clock */

static const char *uid(int n)
{
	static char bufs[8][40];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0], "b0000000-0000-4000-8000-%012d", n);
	return b;
}

/* A contact line of a known shape: every body is the same length. */
static const char *body(int n)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, sizeof bufs[0],
	         "{\"type\":\"contact\",\"id\":\"%s\",\"household\":\"H%04d\","
	         "\"channel\":\"visit\",\"kind\":\"visit\",\"pack\":null,"
	         "\"device\":\"dev-1\",\"at\":\"2026-11-20T06:00:00+08:00\"}",
	         uid(n), n);
	return b;
}

static long count_state(const char *state)
{
	return (long)tu_qi(db, "SELECT COUNT(*) FROM outbox WHERE state = '%s'",
	                   state);
}

static void reset_outbox(void)
{
	REQUIRE(ax__exec(st, "DELETE FROM outbox; DELETE FROM sync_state") == AX_OK);
}

static void put_range(int from, int to)
{
	for (int i = from; i <= to; i++)
		REQUIRE(ax_outbox_put(st, uid(i), body(i)) == AX_OK);
}

/* ---- outbox ----------------------------------------------------------- */
static void test_put(void)
{
	char other[512];

	reset_outbox();
	CHECK_INT(ax_outbox_put(st, uid(1), body(1)), AX_OK);
	CHECK_INT(ax_outbox_put(st, uid(1), body(1)), AX_OK); /* idempotent */
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox"), 1);
	CHECK_STR(tu_q(db, "SELECT state FROM outbox WHERE id = '%s'", uid(1)),
	          "pending");

	/* same id, different body: refused, the stored record untouched */
	snprintf(other, sizeof other, "%s", body(1));
	memcpy(strstr(other, "H0001"), "H0002", 5);
	CHECK_INT(ax_outbox_put(st, uid(1), other), AX_CONFLICT);
	CHECK(strstr(ax_store_errmsg(st), uid(1)) != NULL);
	CHECK_STR(tu_q(db, "SELECT body FROM outbox WHERE id = '%s'", uid(1)),
	          body(1));

	/* bodies that could never be sent or acknowledged */
	CHECK_INT(ax_outbox_put(st, uid(2), "{\"id\":\"x\"}"), AX_INVALID);
	CHECK(strstr(ax_store_errmsg(st), "differs") != NULL);
	CHECK_INT(ax_outbox_put(st, uid(2), "not json"), AX_INVALID);
	CHECK_INT(ax_outbox_put(st, uid(2), "[1]"), AX_INVALID);
	snprintf(other, sizeof other, "{\"id\":\"%s\",\n\"x\":1}", uid(2));
	CHECK_INT(ax_outbox_put(st, uid(2), other), AX_INVALID);
	CHECK(strstr(ax_store_errmsg(st), "one line") != NULL);
	/* the server refuses a whole batch over duplicate keys */
	snprintf(other, sizeof other, "{\"id\":\"%s\",\"x\":1,\"x\":2}", uid(2));
	CHECK_INT(ax_outbox_put(st, uid(2), other), AX_INVALID);
	CHECK_INT(ax_outbox_put(st, "", body(2)), AX_INVALID);
	CHECK_INT(ax_outbox_put(st, uid(2), NULL), AX_INVALID);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox"), 1);

	/* inside the caller's transaction: rolled back with it */
	REQUIRE(ax__exec(st, "BEGIN IMMEDIATE") == AX_OK);
	CHECK_INT(ax_outbox_put(st, uid(3), body(3)), AX_OK);
	REQUIRE(ax__exec(st, "ROLLBACK") == AX_OK);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox WHERE id = '%s'", uid(3)), 0);
	REQUIRE(ax__exec(st, "BEGIN IMMEDIATE") == AX_OK);
	CHECK_INT(ax_outbox_put(st, uid(3), body(3)), AX_OK);
	REQUIRE(ax__exec(st, "COMMIT") == AX_OK);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox WHERE id = '%s'", uid(3)), 1);
}

/* A contact put from its values: the same line ax_outbox_put would take
 * from ax_contact_record, idempotent the same way. */
static void test_put_contact(void)
{
	struct ax_contact_meta m = {0};
	char *line;

	reset_outbox();
	m.id = uid(7);
	m.household = "H0007";
	m.channel = AX_CH_SMS;
	m.kind = "sms_replied";
	m.device = "gw-1";
	m.at = 1772416800;
	CHECK_INT(ax_outbox_put_contact(st, &m), AX_OK);
	CHECK_INT(ax_outbox_put_contact(st, &m), AX_OK); /* idempotent */
	line = ax_contact_record(&m);
	REQUIRE(line != NULL);
	CHECK_STR(tu_q(db, "SELECT body FROM outbox WHERE id = '%s'", uid(7)), line);
	CHECK_INT(ax_outbox_put(st, uid(7), line), AX_OK);
	free(line);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox"), 1);
	m.kind = "sms_sent"; /* the same id, another line */
	CHECK_INT(ax_outbox_put_contact(st, &m), AX_CONFLICT);
	m.id = "";
	CHECK_INT(ax_outbox_put_contact(st, &m), AX_INVALID);
	m.id = uid(8);
	m.household = "H\xff"; /* not UTF-8 */
	CHECK_INT(ax_outbox_put_contact(st, &m), AX_INVALID);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox"), 1);
}

/* ---- batches ---------------------------------------------------------- */
static void test_batches(void)
{
	struct ax__batch b;
	size_t line = strlen(body(1)) + 1; /* every line is this long */
	char expect[4096] = "";

	reset_outbox();
	REQUIRE(ax__sync_build_batch(st, 0, 500, 1 << 20, &b) == AX_OK);
	CHECK_INT(b.n, 0);
	CHECK(b.body == NULL);
	ax__batch_free(&b);

	put_range(1, 10);
	/* by count: 4, then the next 4 after the cursor, then the last 2 */
	REQUIRE(ax__sync_build_batch(st, 0, 4, 1 << 20, &b) == AX_OK);
	CHECK_INT(b.n, 4);
	CHECK_STR(b.id[0], uid(1));
	CHECK_STR(b.id[3], uid(4));
	CHECK(b.seq[0] < b.seq[1] && b.seq[2] < b.seq[3]);
	for (int i = 1; i <= 4; i++) {
		strcat(expect, body(i));
		strcat(expect, "\n");
	}
	CHECK_INT(b.len, 4 * line);
	CHECK_STR(b.body, expect);
	long long after = b.seq[3];
	ax__batch_free(&b);
	REQUIRE(ax__sync_build_batch(st, after, 4, 1 << 20, &b) == AX_OK);
	CHECK_INT(b.n, 4);
	CHECK_STR(b.id[0], uid(5));
	after = b.seq[3];
	ax__batch_free(&b);
	REQUIRE(ax__sync_build_batch(st, after, 4, 1 << 20, &b) == AX_OK);
	CHECK_INT(b.n, 2);
	CHECK_STR(b.id[1], uid(10));
	ax__batch_free(&b);

	/* by bytes: exactly 3 lines fit, a byte less and only 2 */
	REQUIRE(ax__sync_build_batch(st, 0, 500, 3 * line, &b) == AX_OK);
	CHECK_INT(b.n, 3);
	CHECK_INT(b.len, 3 * line);
	ax__batch_free(&b);
	REQUIRE(ax__sync_build_batch(st, 0, 500, 3 * line - 1, &b) == AX_OK);
	CHECK_INT(b.n, 2);
	ax__batch_free(&b);
	/* a record larger than the cap still goes, alone */
	REQUIRE(ax__sync_build_batch(st, 0, 500, 10, &b) == AX_OK);
	CHECK_INT(b.n, 1);
	CHECK_INT(b.len, line);
	ax__batch_free(&b);

	/* only pending records are batched */
	REQUIRE(ax__exec(st, "UPDATE outbox SET state = 'sent' WHERE seq <= "
	                     "(SELECT seq FROM outbox ORDER BY seq LIMIT 1 OFFSET 4)")
	        == AX_OK);
	REQUIRE(ax__sync_build_batch(st, 0, 500, 1 << 20, &b) == AX_OK);
	CHECK_INT(b.n, 5);
	CHECK_STR(b.id[0], uid(6));
	ax__batch_free(&b);
}

/* ---- replies ---------------------------------------------------------- */
static void test_reply(void)
{
	struct ax_sync_result r;
	struct ax__batch b;
	struct ax_outbox_status s;
	char reply[4096];

	reset_outbox();
	put_range(1, 7);
	REQUIRE(ax__sync_build_batch(st, 0, 6, 1 << 20, &b) == AX_OK);
	REQUIRE(b.n == 6);

	/* malformed replies mark nothing */
	memset(&r, 0, sizeof r);
	CHECK_INT(ax__sync_apply_reply(st, &b, "<html>", 6, NOW, &r), AX_INVALID);
	CHECK_INT(ax__sync_apply_reply(st, &b, "{\"ok\":1}", 8, NOW, &r), AX_INVALID);
	CHECK(strstr(ax_store_errmsg(st), "results") != NULL);
	snprintf(reply, sizeof reply,
	         "{\"results\":[{\"line\":1,\"id\":\"%s\",\"status\":\"accepted\"},"
	         "{\"line\":2,\"id\":\"%s\",\"status\":\"stored\"}]}",
	         uid(1), uid(2));
	CHECK_INT(ax__sync_apply_reply(st, &b, reply, strlen(reply), NOW, &r),
	          AX_INVALID);
	CHECK_INT(count_state("pending"), 7);
	CHECK_INT(r.accepted + r.duplicate + r.conflict + r.rejected, 0);

	/* lines 1-4 answered (4 without a readable id), 5 missing, 6 answered
	 * out of order; id 7 is not in this batch and id 99 is unknown */
	snprintf(reply, sizeof reply,
	         "{\"results\":["
	         "{\"line\":6,\"id\":\"%s\",\"status\":\"accepted\"},"
	         "{\"line\":1,\"id\":\"%s\",\"status\":\"accepted\"},"
	         "{\"line\":2,\"id\":\"%s\",\"status\":\"duplicate\"},"
	         "{\"line\":3,\"id\":\"%s\",\"status\":\"conflict\","
	         "\"reason\":\"same id, different content\"},"
	         "{\"line\":4,\"id\":null,\"status\":\"rejected\","
	         "\"reason\":\"line 4: household H0004 is not in the roster\"},"
	         "{\"line\":7,\"id\":\"%s\",\"status\":\"accepted\"},"
	         "{\"line\":9,\"id\":\"%s\",\"status\":\"accepted\"},"
	         "{\"line\":5,\"id\":null,\"status\":\"accepted\"}],"
	         "\"accepted\":2,\"duplicate\":1,\"conflict\":1,\"rejected\":1}",
	         uid(6), uid(1), uid(2), uid(3), uid(7), uid(99));
	memset(&r, 0, sizeof r);
	CHECK_INT(ax__sync_apply_reply(st, &b, reply, strlen(reply), NOW, &r), AX_OK);
	CHECK_INT(r.accepted, 2);
	CHECK_INT(r.duplicate, 1);
	CHECK_INT(r.conflict, 1);
	CHECK_INT(r.rejected, 1);
	CHECK_INT(r.unanswered, 1);
	CHECK_STR(tu_q(db, "SELECT state FROM outbox WHERE id = '%s'", uid(1)), "sent");
	CHECK_INT(tu_qi(db, "SELECT acked_at FROM outbox WHERE id = '%s'", uid(1)), NOW);
	CHECK_STR(tu_q(db, "SELECT state FROM outbox WHERE id = '%s'", uid(2)), "sent");
	CHECK_STR(tu_q(db, "SELECT state || ': ' || reason FROM outbox WHERE id = "
	               "'%s'", uid(3)), "conflict: same id, different content");
	CHECK_STR(tu_q(db, "SELECT state || ': ' || reason FROM outbox WHERE id = "
	               "'%s'", uid(4)),
	          "rejected: line 4: household H0004 is not in the roster");
	/* an acknowledgement without an id acknowledges nothing */
	CHECK_STR(tu_q(db, "SELECT state FROM outbox WHERE id = '%s'", uid(5)), "pending");
	CHECK_STR(tu_q(db, "SELECT state FROM outbox WHERE id = '%s'", uid(6)), "sent");
	/* not in the batch: the server cannot have received it */
	CHECK_STR(tu_q(db, "SELECT state FROM outbox WHERE id = '%s'", uid(7)), "pending");

	/* the same reply again changes nothing: those rows left pending */
	memset(&r, 0, sizeof r);
	CHECK_INT(ax__sync_apply_reply(st, &b, reply, strlen(reply), NOW + 5, &r), AX_OK);
	CHECK_INT(r.accepted + r.duplicate + r.conflict + r.rejected, 0);
	CHECK_INT(tu_qi(db, "SELECT acked_at FROM outbox WHERE id = '%s'", uid(1)), NOW);
	ax__batch_free(&b);

	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.pending, 2);
	CHECK_INT(s.sent, 3);
	CHECK_INT(s.conflict, 1);
	CHECK_INT(s.rejected, 1);
	CHECK(s.oldest_pending > 0);
	CHECK_INT(s.failures, 0);
	CHECK_STR(s.last_error, "");
}

/* ---- backoff ---------------------------------------------------------- */
static uint32_t rnd_top(uint32_t upper) { return upper - 1; }
static uint32_t rnd_zero(uint32_t upper) { (void)upper; return 0; }

static void test_backoff(void)
{
	struct ax_sync_opts o = {0};
	struct ax_outbox_status s;
	static const long long caps[] = {10, 20, 40, 80, 100, 100};
	char err[256];

	reset_outbox();
	CHECK_INT(ax__sync_backoff_cap(1, 15, 1800), 15);
	CHECK_INT(ax__sync_backoff_cap(2, 15, 1800), 30);
	CHECK_INT(ax__sync_backoff_cap(8, 15, 1800), 1800);
	CHECK_INT(ax__sync_backoff_cap(1000000, 15, 1800), 1800);

	o.backoff_base = 10;
	o.backoff_max = 100;
	CHECK_INT(ax_sync_due(st, NOW), 1);
	ax__sync_set_random(rnd_top); /* the longest wait jitter allows */
	for (int i = 0; i < 6; i++) {
		long long t = NOW + i * 1000;
		long long next = ax__sync_record_failure(st, &o, t, "boom", 0, 0);
		CHECK_INT(next, t + caps[i]);
		CHECK_INT(ax_sync_due(st, next - 1), 0);
		CHECK_INT(ax_sync_due(st, next), 1);
	}
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.failures, 6);
	CHECK_STR(s.last_error, "boom");
	CHECK_INT(s.last_error_at, NOW + 5000);
	CHECK_INT(s.permanent, 0);

	/* the schedule survives a restart */
	ax_store_close(st);
	REQUIRE(ax_store_open(tu_path("dev.db"), 0, &st, err, sizeof err) == AX_OK);
	CHECK_INT(ax_sync_due(st, NOW + 5000 + 99), 0);

	/* success resets it */
	CHECK_INT(ax__sync_record_success(st, "push", NOW + 6000), AX_OK);
	CHECK_INT(ax_sync_due(st, NOW), 1);
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.failures, 0);
	CHECK_STR(s.last_error, "");
	CHECK_INT(s.last_push, NOW + 6000);
	CHECK_INT(s.next_attempt, 0);

	/* full jitter reaches down to one second */
	ax__sync_set_random(rnd_zero);
	CHECK_INT(ax__sync_record_failure(st, &o, NOW, "x", 0, 0), NOW + 1);
	CHECK_INT(ax__sync_record_failure(st, &o, NOW, "x", 0, 0), NOW + 1);
	/* Retry-After is honoured (up to max); permanent errors wait max */
	CHECK_INT(ax__sync_record_failure(st, &o, NOW, "x", 0, 60), NOW + 60);
	CHECK_INT(ax__sync_record_failure(st, &o, NOW, "x", 0, 999), NOW + 100);
	CHECK_INT(ax__sync_record_failure(st, &o, NOW, "401", 1, 0), NOW + 100);
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.permanent, 1);
	CHECK_INT(s.failures, 5);

	/* the real generator stays inside [1, cap] */
	ax__sync_set_random(NULL);
	ax__sync_record_success(st, "push", NOW);
	for (int i = 0; i < 4; i++) {
		long long next = ax__sync_record_failure(st, &o, NOW, "x", 0, 0);
		CHECK(next >= NOW + 1 && next <= NOW + caps[i]);
	}
	ax__sync_record_success(st, "push", NOW);
}

/* ---- export ----------------------------------------------------------- */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	static char buf[65536];
	size_t n;
	REQUIRE(f != NULL);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_export(void)
{
	char expect[8192] = "";
	struct stat sb;
	long n = -1;

	reset_outbox();
	put_range(1, 5);
	REQUIRE(ax__exec(st, "UPDATE outbox SET state = 'sent' WHERE id IN "
	                     "('b0000000-0000-4000-8000-000000000002',"
	                     " 'b0000000-0000-4000-8000-000000000004')") == AX_OK);
	CHECK_INT(ax_outbox_export(st, tu_path("usb.jsonl"), 0, &n), AX_OK);
	CHECK_INT(n, 3);
	for (int i = 1; i <= 5; i += 2) {
		strcat(expect, body(i));
		strcat(expect, "\n");
	}
	CHECK_STR(slurp(tu_path("usb.jsonl")), expect);
	CHECK(stat(tu_path("usb.jsonl.tmp"), &sb) != 0);
	/* exported records stay pending: only the server's ack marks them */
	CHECK_INT(count_state("pending"), 3);

	CHECK_INT(ax_outbox_export(st, tu_path("all.jsonl"), 1, &n), AX_OK);
	CHECK_INT(n, 5);
	expect[0] = '\0';
	for (int i = 1; i <= 5; i++) {
		strcat(expect, body(i));
		strcat(expect, "\n");
	}
	CHECK_STR(slurp(tu_path("all.jsonl")), expect);

	/* nothing pending: an empty file, still written */
	REQUIRE(ax__exec(st, "UPDATE outbox SET state = 'sent'") == AX_OK);
	CHECK_INT(ax_outbox_export(st, tu_path("usb.jsonl"), 0, &n), AX_OK);
	CHECK_INT(n, 0);
	CHECK_STR(slurp(tu_path("usb.jsonl")), "");

	/* an unwritable place: an error naming it, no file left behind */
	CHECK_INT(ax_outbox_export(st, tu_path("no/such/dir/out.jsonl"), 0, &n),
	          AX_IO);
	CHECK(strstr(ax_store_errmsg(st), "no/such/dir/out.jsonl.tmp") != NULL);
}

/* ---- campaigns document ----------------------------------------------- */
static void test_campaigns(void)
{
	const char *src = getenv("ANXIN_SOURCE");
	const struct ax_survey *sat, *drug;
	struct tu_diag d = {0};
	ax_content *c = NULL;
	char dir[512], *doc, *cached = NULL;
	int nerr = 0, added = -1, ncamp = -1;
	size_t cap = 1 << 20;

	REQUIRE(src != NULL);
	snprintf(dir, sizeof dir, "%s/tests/content-v1", src);
	REQUIRE(ax_content_load_dir(dir, tu_diag_fn, &d, &nerr, &c) == AX_OK);
	REQUIRE(nerr == 0);
	sat = ax_content_find_survey(c, "satisfaction", 0);
	drug = ax_content_find_survey(c, "aware-anti-drug", 0);
	REQUIRE(sat && drug);
	REQUIRE((doc = malloc(cap)) != NULL);

	CHECK_INT(ax_sync_cached(st, "campaigns.json", &cached), AX_NOTFOUND);
	CHECK(cached == NULL);

	/* the survey with refs resolved loads without its pack */
	snprintf(doc, cap,
	         "{\"campaigns\":[{\"id\":\"c1\",\"survey\":\"%s\","
	         "\"survey_version\":%d}],\"surveys\":{\"%s@%d\":%s,\"%s@%d\":%s},"
	         "\"packs\":{},\"seal_public_key\":\"AAAA\"}",
	         drug->id, drug->version, sat->id, sat->version, sat->json,
	         drug->id, drug->version, drug->json);
	CHECK_INT(ax__sync_apply_campaigns(st, doc, strlen(doc), "\"v1\"", &added,
	                                   &ncamp), AX_OK);
	CHECK_INT(added, 2);
	CHECK_INT(ncamp, 1);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM surveys"), 2);
	CHECK_INT(ax_sync_cached(st, "campaigns.json", &cached), AX_OK);
	CHECK_STR(cached, doc);
	ax_free(cached);
	CHECK_INT(ax_sync_cached(st, "campaigns.etag", &cached), AX_OK);
	CHECK_STR(cached, "\"v1\"");
	ax_free(cached);
	/* again: nothing new to install */
	CHECK_INT(ax__sync_apply_campaigns(st, doc, strlen(doc), "\"v1\"", &added,
	                                   NULL), AX_OK);
	CHECK_INT(added, 0);

	/* refused documents keep the stored one */
	CHECK_INT(ax__sync_apply_campaigns(st, "{\"campaigns\":{}}", 16, "\"v2\"",
	                                   NULL, NULL), AX_INVALID);
	snprintf(doc, cap, "{\"campaigns\":[],\"surveys\":{\"satisfaction@7\":%s}}",
	         sat->json);
	CHECK_INT(ax__sync_apply_campaigns(st, doc, strlen(doc), "\"v2\"", NULL,
	                                   NULL), AX_INVALID);
	CHECK(strstr(ax_store_errmsg(st), "satisfaction@7") != NULL);
	snprintf(doc, cap, "{\"campaigns\":[],\"surveys\":{\"x@1\":{\"id\":\"x\"}}}");
	CHECK_INT(ax__sync_apply_campaigns(st, doc, strlen(doc), "\"v2\"", NULL,
	                                   NULL), AX_INVALID);
	/* same id and version, different content: a conflict */
	{
		char *changed = strdup(sat->json), *p = strstr(changed, "满意");
		REQUIRE(changed && p);
		memcpy(p, "很好", strlen("很好"));
		snprintf(doc, cap, "{\"campaigns\":[],\"surveys\":{\"satisfaction@%d\":%s}}",
		         sat->version, changed);
		free(changed);
		CHECK_INT(ax__sync_apply_campaigns(st, doc, strlen(doc), "\"v2\"", NULL,
		                                   NULL), AX_CONFLICT);
	}
	CHECK_STR(tu_q(db, "SELECT value FROM sync_state WHERE key = "
	               "'campaigns.etag'"), "\"v1\"");
	free(doc);
	ax_content_free(c);
	tu_diag_clear(&d);
}

/* ---- network errors --------------------------------------------------- */
/* A port on 127.0.0.1 nobody listens on: bound once, then closed. */
static int closed_port(void)
{
	struct sockaddr_in a = {0};
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	REQUIRE(fd >= 0);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	REQUIRE(bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void test_network_error(void)
{
	struct ax_sync_opts o = {0};
	struct ax_sync_result r;
	struct ax_sync_pull_result pr;
	struct ax_outbox_status s;
	volatile sig_atomic_t stop = 0;
	char url[64];
	long long before = (long long)time(NULL);

	reset_outbox();
	put_range(1, 12);
	snprintf(url, sizeof url, "http://127.0.0.1:%d/", closed_port());
	o.url = url;
	o.token = "test-token";
	o.batch = 5;
	o.backoff_base = 30;
	o.backoff_max = 600;
	o.cancel = &stop;

	CHECK_INT(ax_sync_push(st, &o, &r), AX_IO);
	CHECK_INT(r.http_status, 0);
	CHECK_INT(r.permanent, 0);
	CHECK_INT(r.pending, 12);
	CHECK_INT(r.accepted + r.duplicate + r.conflict + r.rejected, 0);
	CHECK(strstr(r.error, "127.0.0.1") != NULL);
	CHECK(strstr(ax_store_errmsg(st), "127.0.0.1") != NULL);
	CHECK(r.next_attempt >= before + 1 && r.next_attempt <= (long long)time(NULL) + 30);
	CHECK_INT(count_state("pending"), 12);
	CHECK_INT(tu_qi(db, "SELECT COUNT(*) FROM outbox WHERE acked_at IS NOT NULL"), 0);
	/* the first batch was tried once; the rest never left */
	CHECK_INT(tu_qi(db, "SELECT SUM(attempts) FROM outbox"), 5);
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.failures, 1);
	CHECK_INT(s.last_push, 0);
	CHECK(strstr(s.last_error, "127.0.0.1") != NULL);
	CHECK_INT(ax_sync_due(st, before), 0);

	CHECK_INT(ax_sync_push(st, &o, &r), AX_IO);
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.failures, 2);

	o.scope = "439901001001";
	CHECK_INT(ax_sync_pull(st, &o, &pr), AX_IO);
	CHECK_INT(pr.http_status, 0);
	CHECK_INT(pr.campaigns_changed, 0);
	CHECK(strstr(pr.error, "/api/v1/campaigns") != NULL);
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.failures, 3);
	CHECK_INT(s.last_pull, 0);

	/* a cancel stops before anything is sent and is no failure */
	stop = 1;
	CHECK_INT(ax_sync_push(st, &o, &r), AX_ERROR);
	CHECK_INT(r.cancelled, 1);
	CHECK_INT(ax_sync_pull(st, &o, &pr), AX_ERROR);
	CHECK_INT(pr.cancelled, 1);
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.failures, 3);
	CHECK_INT(tu_qi(db, "SELECT SUM(attempts) FROM outbox"), 10);
	stop = 0;

	/* configuration mistakes are refused before any request */
	o.url = "ftp://127.0.0.1/";
	CHECK_INT(ax_sync_push(st, &o, &r), AX_INVALID);
	o.url = url;
	o.token = "two words";
	CHECK_INT(ax_sync_push(st, &o, &r), AX_INVALID);
	o.token = NULL;
	CHECK_INT(ax_sync_pull(st, &o, &pr), AX_INVALID);
	REQUIRE(ax_outbox_status(st, &s) == AX_OK);
	CHECK_INT(s.failures, 3);

	/* nothing pending: no request at all, the schedule is left alone */
	reset_outbox();
	o.token = "test-token";
	CHECK_INT(ax_sync_push(st, &o, &r), AX_OK);
	CHECK_INT(r.requests, 0);
	CHECK_INT(r.pending, 0);
}

int main(void)
{
	char err[512];

	tu_init();
	REQUIRE(ax_store_open(tu_path("dev.db"), AX_STORE_CREATE, &st, err,
	                      sizeof err) == AX_OK);
	db = tu_db_open(tu_path("dev.db"));
	test_put();
	test_put_contact();
	test_batches();
	test_reply();
	test_backoff();
	test_export();
	test_campaigns();
	test_network_error();
	sqlite3_close(db);
	ax_store_close(st);
	return check_done();
}
