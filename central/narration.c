/*
 * narration.c -- narration files travel with synced content (issue 18).
 *
 * With --narration DIR (a content folder as `anxin content install` read
 * it: packs/<id>/..., surveys/...), the campaigns document a device
 * receives lists, under "narration", every narration file its packs and
 * surveys name that DIR holds, keyed by its path in DIR, with its size and
 * SHA-256:
 *
 *   "narration": {"packs/anti-cult/narration/p1.opus":
 *                   {"size": 30517, "sha256": "9f2c..."}, ...}
 *
 * and GET /api/v1/narration/<that path> (device token) sends the file.  A
 * file DIR lacks is left out: the device then shows no 朗读 for it.  A
 * file's digest is computed once and kept while the file is unchanged
 * (hashing the bundled 6.4 MB took about 20 ms per document, and the
 * document is asked for once per sync interval per device).
 */
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "central.h"
#include "routes.h"

/* A path under DIR a device may ask for: packs/<id>/... or surveys/...,
 * segments of [A-Za-z0-9._-] not starting with '.', ending in .opus. */
static int safe_path(const char *p)
{
	size_t n = strlen(p);
	int seg_start = 1;
	if ((strncmp(p, "packs/", 6) != 0 && strncmp(p, "surveys/", 8) != 0) || n < 6 ||
	    n > 400 || strcmp(p + n - 5, ".opus") != 0)
		return 0;
	for (const char *c = p; *c; c++) {
		if (seg_start && (*c == '.' || *c == '/'))
			return 0;
		seg_start = *c == '/';
		if (!(*c == '/' || *c == '.' || *c == '_' || *c == '-' ||
		      (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z')))
			return 0;
	}
	return 1;
}

/*
 * Digests already computed, by path and the file's identity (device,
 * inode, size, modification time): a document asked for by every device
 * at every sync hashes only files that changed since, not the whole
 * folder each time.  A file replaced (content installed again) has a new
 * identity and is hashed again.
 */
#define DIGEST_CACHE 512
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct digest_seen {
	char rel[400];
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	char hex[65];
} cache[DIGEST_CACHE];
static unsigned cache_next;

static struct digest_seen *cache_find(const char *rel, const struct stat *sb)
{
	for (unsigned i = 0; i < DIGEST_CACHE; i++) {
		struct digest_seen *c = &cache[i];
		if (c->rel[0] && strcmp(c->rel, rel) == 0 && c->dev == sb->st_dev &&
		    c->ino == sb->st_ino && c->size == sb->st_size &&
		    c->mtime.tv_sec == sb->st_mtim.tv_sec &&
		    c->mtime.tv_nsec == sb->st_mtim.tv_nsec)
			return c;
	}
	return NULL;
}

/* Size and SHA-256 (hex) of DIR/rel, or -1. */
static long long digest(const char *dir, const char *rel, char hex[65])
{
	unsigned char buf[65536], h[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state s;
	char path[1024];
	long long total = 0;
	struct stat sb;
	struct digest_seen *c;
	ssize_t k;
	int fd;
	snprintf(path, sizeof path, "%s/%s", dir, rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return -1;
	}
	pthread_mutex_lock(&cache_mu);
	if ((c = cache_find(rel, &sb))) {
		memcpy(hex, c->hex, 65);
		pthread_mutex_unlock(&cache_mu);
		close(fd);
		return (long long)sb.st_size;
	}
	pthread_mutex_unlock(&cache_mu);
	crypto_hash_sha256_init(&s);
	while ((k = read(fd, buf, sizeof buf)) > 0) {
		crypto_hash_sha256_update(&s, buf, (unsigned long long)k);
		total += k;
	}
	close(fd);
	if (k < 0 || total != (long long)sb.st_size)
		return -1; /* changing under us: left out this time */
	crypto_hash_sha256_final(&s, h);
	sodium_bin2hex(hex, 65, h, sizeof h);
	if (strlen(rel) < sizeof cache[0].rel) {
		pthread_mutex_lock(&cache_mu);
		if (!cache_find(rel, &sb)) {
			c = &cache[cache_next++ % DIGEST_CACHE];
			snprintf(c->rel, sizeof c->rel, "%s", rel);
			c->dev = sb.st_dev;
			c->ino = sb.st_ino;
			c->size = sb.st_size;
			c->mtime = sb.st_mtim;
			memcpy(c->hex, hex, 65);
		}
		pthread_mutex_unlock(&cache_mu);
	}
	return total;
}

/* Add rel (prefix + audio) to the manifest m if DIR holds it. */
static void add_file(json_t *m, const char *dir, const char *prefix, json_t *audio)
{
	char rel[512], hex[65];
	long long n;
	if (!json_is_string(audio))
		return;
	snprintf(rel, sizeof rel, "%s%s", prefix, json_string_value(audio));
	if (!safe_path(rel) || json_object_get(m, rel) || (n = digest(dir, rel, hex)) < 0)
		return;
	json_object_set_new(m, rel, json_pack("{s:I,s:s}", "size", (json_int_t)n, "sha256", hex));
}

/* Every "audio" of the pages and questions of each member of obj. */
static void add_all(json_t *m, const char *dir, json_t *obj, const char *kind)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		char prefix[256];
		static const char *const lists[] = {"pages", "questions"};
		/* a pack's files are in its folder, a survey's own in surveys/ */
		if (strcmp(kind, "packs") == 0)
			snprintf(prefix, sizeof prefix, "packs/%s/", key);
		else
			snprintf(prefix, sizeof prefix, "surveys/");
		for (int l = 0; l < 2; l++) {
			size_t i;
			json_t *e;
			json_array_foreach(json_object_get(v, lists[l]), i, e)
				if (!json_object_get(e, "ref")) /* a ref's file is its pack's */
					add_file(m, dir, prefix, json_object_get(e, "audio"));
		}
	}
}

char *ct_narration_manifest(const char *dir, char *doc)
{
	json_t *root, *m;
	char *out;
	if (!dir || !doc || !(root = json_loads(doc, 0, NULL)))
		return doc;
	if (!(m = json_object())) {
		json_decref(root);
		return doc;
	}
	add_all(m, dir, json_object_get(root, "packs"), "packs");
	add_all(m, dir, json_object_get(root, "surveys"), "surveys");
	json_object_set_new(root, "narration", m);
	out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(root);
	if (!out)
		return doc;
	free(doc);
	return out;
}

/* ---- GET /api/v1/narration/<path> ------------------------------------- */
enum MHD_Result ct_api_narration(struct ct_req *r)
{
	static const char *const hdrs[] = {"Cache-Control", "private, max-age=86400", NULL};
	const char *rel = r->url + strlen("/api/v1/narration/");
	ax_store *st = ct_store(r->srv);
	struct ax_device dev;
	char path[1024];
	struct stat sb;
	int fd;

	if (!st)
		return ct_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "store unavailable");
	switch (ct_bearer(r) ? ax_device_auth(st, ct_bearer(r), &dev) : AX_DENIED) {
	case AX_OK: break;
	case AX_DENIED:
		return ct_reply_error(r, MHD_HTTP_UNAUTHORIZED, "unknown or revoked device token");
	default: return ct_reply_unavailable(r);
	}
	if (!r->srv->narration_dir || !safe_path(rel))
		return ct_reply_error(r, MHD_HTTP_NOT_FOUND, "no such narration file");
	snprintf(path, sizeof path, "%s/%s", r->srv->narration_dir, rel);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return ct_reply_error(r, MHD_HTTP_NOT_FOUND, "no such narration file");
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ct_reply_error(r, MHD_HTTP_NOT_FOUND, "no such narration file");
	}
	return ct_reply_fd(r, fd, "audio/ogg", hdrs);
}
