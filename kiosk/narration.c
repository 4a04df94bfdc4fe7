/*
 * narration.c -- narration files of synced content (issue 18; central's
 * side is central/narration.c).  The campaigns document lists, under
 * "narration", each file by its path in central's content folder with
 * its size and SHA-256; after each pull the kiosk brings its folder
 * (NARRATION_DIR beside the store) in line: a file missing, or not of
 * that size and digest, is fetched (GET /api/v1/narration/<path>) into a
 * temporary file, checked, and renamed into place.  A file that cannot
 * be fetched or does not match stays away: its page shows no 朗读 (the
 * content loads with ax_campaign_doc_narration).  Costs: every listed
 * file is hashed once per pull (6.4 MB for the bundled packs, ~20 ms).
 */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <anxin/sync.h>

#include "app.h"

/* 1 if path has this size and SHA-256 (hex). */
static int matches(const char *path, long long size, const char *hex)
{
	unsigned char buf[65536], h[crypto_hash_sha256_BYTES];
	char got[65];
	crypto_hash_sha256_state s;
	long long n = 0;
	size_t k;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	crypto_hash_sha256_init(&s);
	while ((k = fread(buf, 1, sizeof buf, f)) > 0) {
		crypto_hash_sha256_update(&s, buf, k);
		n += (long long)k;
	}
	fclose(f);
	crypto_hash_sha256_final(&s, h);
	sodium_bin2hex(got, sizeof got, h, sizeof h);
	return n == size && strcmp(got, hex) == 0;
}

/* mkdir -p of path's folder. */
static void make_dirs(const char *path)
{
	char d[1024];
	snprintf(d, sizeof d, "%s", path);
	for (char *p = d + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			mkdir(d, 0755);
			*p = '/';
		}
}

/* The kiosk is stopping (a->cancel): abort the transfer. */
static int on_progress(void *cancel, curl_off_t dt, curl_off_t dn, curl_off_t ut,
                       curl_off_t un)
{
	return *(volatile sig_atomic_t *)cancel != 0;
}

static size_t to_file(void *p, size_t sz, size_t n, void *f)
{
	return fwrite(p, sz, n, f);
}

/* GET url into path (a fresh file); 0, or -1 with err. */
static int fetch(CURL *h, const char *url, const char *token, const char *path,
                 char *err, size_t errlen)
{
	struct curl_slist *hdr = NULL;
	char auth[AX_TOKEN_MAX + 32];
	long status = 0;
	CURLcode rc;
	FILE *f = fopen(path, "wb");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
	hdr = curl_slist_append(NULL, auth);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_file);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, f);
	rc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	if (fclose(f) != 0 && rc == CURLE_OK)
		rc = CURLE_WRITE_ERROR;
	if (rc != CURLE_OK || status != 200) {
		snprintf(err, errlen, "GET %s: %s", url,
		         rc != CURLE_OK ? curl_easy_strerror(rc) : status == 404 ? "404 not found"
		                                                                  : "refused");
		return -1;
	}
	return 0;
}

int app_narration_sync(struct app *a, ax_store *st, char *dir, size_t dirlen)
{
	char *text = NULL, err[512];
	json_t *root, *m, *v;
	const char *rel;
	int got = 0, bad = 0;
	CURL *h;
	app_narration_dir(&a->cfg, dir, dirlen);
	if (ax_sync_cached(st, "campaigns.json", &text) != AX_OK || !text)
		return 0;
	root = json_loads(text, 0, NULL);
	ax_free(text);
	m = json_object_get(root, "narration");
	if (!json_is_object(m) || !(h = curl_easy_init())) {
		json_decref(root);
		return 0;
	}
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, (void *)&a->cancel);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	json_object_foreach(m, rel, v) {
		long long size = (long long)json_integer_value(json_object_get(v, "size"));
		const char *hex = json_string_value(json_object_get(v, "sha256"));
		char path[1024], tmp[1100], url[1400];
		if (a->cancel)
			break;
		if (!hex || strstr(rel, "..") || rel[0] == '/')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, rel);
		if (matches(path, size, hex))
			continue;
		snprintf(tmp, sizeof tmp, "%s.part", path);
		snprintf(url, sizeof url, "%s/api/v1/narration/%s", a->cfg.url, rel);
		make_dirs(path);
		err[0] = 0;
		if (fetch(h, url, a->cfg.token, tmp, err, sizeof err) == 0) {
			if (!matches(tmp, size, hex))
				snprintf(err, sizeof err, "size or SHA-256 not as listed");
			else if (rename(tmp, path) != 0)
				snprintf(err, sizeof err, "%s: %s", path, strerror(errno));
		}
		if (!err[0]) {
			got++;
			continue;
		}
		LOG(L_WARN, "narration %s: %s: no 朗读 for it", rel, err);
		unlink(tmp);
		unlink(path); /* a stale copy must not play */
		bad++;
	}
	curl_easy_cleanup(h);
	json_decref(root);
	if (got || bad)
		LOG(L_INFO, "narration: %d file(s) fetched, %d not", got, bad);
	return got;
}

void app_narration_dir(const struct config *c, char *dir, size_t dirlen)
{
	const char *slash = strrchr(c->store, '/');
	if (slash)
		snprintf(dir, dirlen, "%.*s/narration", (int)(slash - c->store), c->store);
	else
		snprintf(dir, dirlen, "narration");
}
