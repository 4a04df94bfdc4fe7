/*
 * narrate.c -- a pack's narration (see narrate.h).  Synthesis: espeak-ng's
 * Mandarin voice (cmn), 22,050 Hz mono, encoded by libopusenc at 16 kbit/s
 * (speech; about 2 KB a second).  The pack's pack.json is edited as text
 * (two keys added to each narrated page, its layout kept), and the edit is
 * checked by parsing it back before it replaces the file.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <espeak-ng/speak_lib.h>
#include <jansson.h>
#include <opus/opusenc.h>
#include <opusfile.h>

#include "narrate.h"

#define NARRATE_BITRATE 16000
#define NARRATE_RATE 210 /* espeak-ng's rate setting */
#define NARRATE_TAG "ANXIN_NARRATION"
#define NARRATE_TAG_VALUE "synthetic espeak-ng cmn"

/* ---- text ------------------------------------------------------------- */
/* What a page's narration says: its title, then its body. */
static void page_text(const struct ax_page *pg, char *out, size_t n)
{
	snprintf(out, n, "%s。%s", pg->title ? pg->title : "", pg->body ? pg->body : "");
}

/* What a question's narration says: the question, then each option. */
static void question_text(const struct ax_question *q, char *out, size_t n)
{
	size_t k = (size_t)snprintf(out, n, "%s", q->text ? q->text : "");
	for (int i = 0; i < q->noptions && k < n; i++)
		k += (size_t)snprintf(out + k, n - k, "。%s", q->options[i].label);
}

/* The narrated items of a pack: its pages, then its questions. */
struct item {
	const char *id, *title, *audio;
	int synthetic;
	char text[4096];
};

static void set_item(struct item *it, const char *id, const char *title,
                     const char *audio, int synthetic)
{
	it->id = id, it->title = title, it->audio = audio, it->synthetic = synthetic;
}

static int pack_items(const struct ax_pack *pk, struct item *it, int max)
{
	int n = 0;
	for (int i = 0; i < pk->npages && n < max; i++, n++) {
		const struct ax_page *pg = &pk->pages[i];
		set_item(&it[n], pg->id, pg->title, pg->audio, pg->audio_synthetic);
		page_text(pg, it[n].text, sizeof it[n].text);
	}
	for (int i = 0; i < pk->nquestions && n < max; i++, n++) {
		const struct ax_question *q = &pk->questions[i];
		set_item(&it[n], q->id, q->text, q->audio, q->audio_synthetic);
		question_text(q, it[n].text, sizeof it[n].text);
	}
	return n;
}

/* "pages/3" or "questions/0" for item k of pk. */
static void item_where(const struct ax_pack *pk, int k, char *out, size_t n)
{
	if (k < pk->npages)
		snprintf(out, n, "pages/%d", k);
	else
		snprintf(out, n, "questions/%d", k - pk->npages);
}

/* Characters spoken: Han, digits and letters (UTF-8); punctuation and
 * spaces are not counted. */
static int spoken_chars(const char *s)
{
	int n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		if (len == 3 && p[1] && p[2])
			c = (c & 0x0F) << 12 | (p[1] & 0x3Fu) << 6 | (p[2] & 0x3Fu);
		if ((c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
		    (c < 0x80 && ((c | 0x20) - 'a' < 26 || c - '0' < 10)) ||
		    (c >= 0xFF10 && c <= 0xFF19))
			n++;
		for (int i = 0; i < len && *p; i++)
			p++;
	}
	return n;
}

/* ---- synthesis -------------------------------------------------------- */
static struct {
	short *s;
	size_t n, cap;
	int failed;
} pcm;

static int on_samples(short *wav, int n, espeak_EVENT *ev)
{
	(void)ev;
	if (!wav || n <= 0)
		return 0;
	if (pcm.n + (size_t)n > pcm.cap) {
		size_t cap = (pcm.n + (size_t)n) * 2;
		short *s = realloc(pcm.s, cap * sizeof *s);
		if (!s) {
			pcm.failed = 1;
			return 1;
		}
		pcm.s = s, pcm.cap = cap;
	}
	memcpy(pcm.s + pcm.n, wav, (size_t)n * sizeof *wav);
	pcm.n += (size_t)n;
	return 0;
}

/* espeak-ng ready with the cmn voice: its sample rate, or -1. */
static int tts_open(void)
{
	int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, 0);
	if (rate <= 0) {
		fprintf(stderr, "espeak-ng: cannot start (espeak-ng-data installed?)\n");
		return -1;
	}
	espeak_SetSynthCallback(on_samples);
	if (espeak_SetVoiceByName("cmn") != EE_OK) {
		fprintf(stderr, "espeak-ng: no Mandarin voice \"cmn\"\n");
		return -1;
	}
	/* the voice's default (175) speaks 2.2 to 2.7 characters a second on
	 * the bundled packs, slower than a person reading aloud */
	espeak_SetParameter(espeakRATE, NARRATE_RATE, 0);
	return rate;
}

/* Speak text and encode it to path (written whole or not at all). */
static int synth_file(const char *text, const char *title, int rate,
                      const char *path)
{
	char tmp[1100];
	int err = 0, rc = -1;
	OggOpusComments *cm;
	OggOpusEnc *enc;

	pcm.n = 0;
	pcm.failed = 0;
	if (espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0,
	                 espeakCHARS_UTF8, NULL, NULL) != EE_OK ||
	    espeak_Synchronize() != EE_OK || pcm.failed || pcm.n == 0) {
		fprintf(stderr, "%s: espeak-ng produced no audio\n", path);
		return -1;
	}
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	cm = ope_comments_create();
	if (!cm)
		return -1;
	ope_comments_add(cm, "TITLE", title);
	ope_comments_add(cm, NARRATE_TAG, NARRATE_TAG_VALUE);
	enc = ope_encoder_create_file(tmp, cm, rate, 1, 0, &err);
	if (enc) {
		ope_encoder_ctl(enc, OPUS_SET_BITRATE(NARRATE_BITRATE));
		ope_encoder_ctl(enc, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
		if (ope_encoder_write(enc, pcm.s, (int)pcm.n) == OPE_OK &&
		    ope_encoder_drain(enc) == OPE_OK)
			rc = 0;
		ope_encoder_destroy(enc);
	}
	ope_comments_destroy(cm);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -1;
	if (rc != 0) {
		fprintf(stderr, "%s: cannot write the Opus file (%s)\n", path,
		        enc ? strerror(errno) : ope_strerror(err));
		remove(tmp);
	}
	return rc;
}

/* ---- pack.json, edited as text ----------------------------------------- */
/* Offsets of '{' and '}' of the objects in the top-level array key.
 * Returns their number, or -1 if the text is not shaped as expected. */
static int find_items(const char *t, const char *key, size_t *start,
                      size_t *end, int max)
{
	int depth = 0, in_pages = 0, n = 0, key_pages = 0;
	size_t klen = strlen(key);
	for (size_t i = 0; t[i]; i++) {
		char c = t[i];
		if (c == '"') {
			size_t b = ++i;
			while (t[i] && t[i] != '"')
				i += t[i] == '\\' && t[i + 1] ? 2 : 1;
			if (!t[i])
				return -1;
			if (depth == 1)
				key_pages = i - b == klen && strncmp(t + b, key, klen) == 0;
		} else if (c == '{' || c == '[') {
			if (depth == 1 && c == '[' && key_pages)
				in_pages = 1;
			if (in_pages && depth == 2 && c == '{') {
				if (n >= max)
					return -1;
				start[n] = i;
			}
			depth++;
		} else if (c == '}' || c == ']') {
			depth--;
			if (in_pages && depth == 2 && c == '}')
				end[n++] = i;
			if (in_pages && depth == 1)
				return n;
		} else if (c == ',' && depth == 1)
			key_pages = 0;
	}
	return -1;
}

/* Add "audio" and "audio_synthetic" to the objects of the array key
 * ("pages", "questions") marked in files[] (NULL: leave), keeping the
 * text's layout; check the result parses to the same pack with those keys
 * added; write it over path.  0 or -1. */
static int edit_pack(const char *path, const char *key,
                     const char *const *files, int npages)
{
	json_error_t je;
	json_t *want = json_load_file(path, 0, &je), *got = NULL, *pages;
	FILE *fp = fopen(path, "rb");
	char *t = NULL, *out = NULL, tmp[1100];
	size_t start[64], end[64], len = 0, o = 0;
	int n, rc = -1;
	long sz;

	if (!want || !fp || fseek(fp, 0, SEEK_END) || (sz = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) || !(t = calloc(1, (size_t)sz + 1)) ||
	    fread(t, 1, (size_t)sz, fp) != (size_t)sz)
		goto out;
	len = (size_t)sz;
	n = find_items(t, key, start, end, 64);
	pages = json_object_get(want, key);
	if (n != npages || (int)json_array_size(pages) != npages)
		goto out;
	out = malloc(len + (size_t)npages * 1200 + 1);
	if (!out)
		goto out;
	for (int i = 0, from = 0; i <= npages; i++) {
		size_t upto = i < npages ? end[i] : len, j, k;
		char sep[64] = " ";
		if (i < npages && files[i]) {
			/* after the page's last value; the separator of its keys */
			for (j = upto; j > start[i] && strchr(" \t\r\n", t[j - 1]); j--)
				;
			for (k = start[i] + 1; k < end[i] && strchr(" \t\r\n", t[k]); k++)
				;
			if (k - start[i] - 1 > 0 && k - start[i] - 1 < sizeof sep)
				snprintf(sep, sizeof sep, "%.*s", (int)(k - start[i] - 1),
				         t + start[i] + 1);
			memcpy(out + o, t + from, j - (size_t)from);
			o += j - (size_t)from;
			o += (size_t)sprintf(out + o, ",%s\"audio\": \"%s\",%s\"audio_synthetic\": true",
			                     sep, files[i], sep);
			from = (int)j;
			json_object_set_new(json_array_get(pages, (size_t)i), "audio",
			                    json_string(files[i]));
			json_object_set_new(json_array_get(pages, (size_t)i),
			                    "audio_synthetic", json_true());
		}
		if (i == npages) {
			memcpy(out + o, t + from, len - (size_t)from);
			o += len - (size_t)from;
		}
	}
	got = json_loadb(out, o, 0, &je);
	if (!got || !json_equal(got, want))
		goto out;
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	fclose(fp);
	fp = fopen(tmp, "wb");
	if (fp && fwrite(out, 1, o, fp) == o && fclose(fp) == 0) {
		fp = NULL;
		rc = rename(tmp, path);
	}
out:
	if (fp)
		fclose(fp);
	if (rc != 0)
		fprintf(stderr, "%s: cannot add the narration to this file (its "
		                "\"%s\" are not a plain array of objects?)\n", path, key);
	json_decref(want);
	json_decref(got);
	free(t);
	free(out);
	return rc;
}

/* ---- narrate ---------------------------------------------------------- */
static int safe_id(const char *id)
{
	if (!id || !id[0])
		return 0;
	for (const char *p = id; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		            "0123456789_-", *p))
			return 0;
	return 1;
}

static int marked(const char *const *mark, int n)
{
	for (int i = 0; i < n; i++)
		if (mark[i])
			return 1;
	return 0;
}

static int narrate_pack(const struct ax_pack *pk, int rate, int quiet)
{
	enum { MAX = 128 };
	static struct item it[MAX];
	static char files[MAX][96];
	const char *mark[MAX] = {0};
	char path[1100], where[64];
	int n = pack_items(pk, it, MAX), made = 0, bad = 0;
	snprintf(path, sizeof path, "%s/narration", pk->dir);
	if (mkdir(path, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	for (int k = 0; k < n; k++) {
		if (it[k].audio)
			continue;
		item_where(pk, k, where, sizeof where);
		if (!safe_id(it[k].id)) {
			fprintf(stderr, "%s/pack.json: %s/id \"%s\": only letters, digits, "
			                "'_' and '-' can name a narration file\n",
			        pk->dir, where, it[k].id);
			bad = 1;
			continue;
		}
		snprintf(files[k], sizeof files[k], "narration/%s%s.opus",
		         k < pk->npages ? "" : "q-", it[k].id);
		snprintf(path, sizeof path, "%s/%s", pk->dir, files[k]);
		if (synth_file(it[k].text, it[k].title, rate, path) != 0) {
			bad = 1;
			continue;
		}
		mark[k] = files[k];
		made++;
	}
	snprintf(path, sizeof path, "%s/pack.json", pk->dir);
	if ((marked(mark, pk->npages) &&
	     edit_pack(path, "pages", mark, pk->npages) != 0) ||
	    (marked(mark + pk->npages, n - pk->npages) &&
	     edit_pack(path, "questions", mark + pk->npages, n - pk->npages) != 0))
		return -1;
	if (!quiet)
		fprintf(stderr, "%s: %d page(s) and question(s) narrated\n", pk->id, made);
	return bad ? -1 : 0;
}

/* A survey's own questions (a ref's narration is its pack's): files in
 * narration/SURVEY/ of the surveys folder, marked in the survey file. */
static int narrate_survey(const struct ax_survey *sv, const char *sdir,
                          int rate, int quiet)
{
	enum { MAX = 64 };
	static char files[MAX][160];
	const char *mark[MAX] = {0};
	char path[1300], text[4096];
	int made = 0, bad = 0;
	if (sv->nquestions > MAX)
		return -1;
	if (!safe_id(sv->id)) {
		fprintf(stderr, "%s: id \"%s\": only letters, digits, '_' and '-' can "
		                "name a narration folder\n", sv->path, sv->id);
		return -1;
	}
	for (int k = 0; k < sv->nquestions; k++) {
		const struct ax_question *q = &sv->questions[k];
		if (q->ref || q->audio)
			continue;
		if (!safe_id(q->id)) {
			fprintf(stderr, "%s: questions/%d/id \"%s\": only letters, digits, "
			                "'_' and '-' can name a narration file\n",
			        sv->path, k, q->id);
			bad = 1;
			continue;
		}
		snprintf(path, sizeof path, "%s/narration", sdir);
		mkdir(path, 0777);
		snprintf(path, sizeof path, "%s/narration/%s", sdir, sv->id);
		if (mkdir(path, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "%s: %s\n", path, strerror(errno));
			return -1;
		}
		snprintf(files[k], sizeof files[k], "narration/%s/%s.opus", sv->id, q->id);
		snprintf(path, sizeof path, "%s/%s", sdir, files[k]);
		question_text(q, text, sizeof text);
		if (synth_file(text, q->text, rate, path) != 0) {
			bad = 1;
			continue;
		}
		mark[k] = files[k];
		made++;
	}
	if (marked(mark, sv->nquestions) &&
	    edit_pack(sv->path, "questions", mark, sv->nquestions) != 0)
		return -1;
	if (!quiet)
		fprintf(stderr, "%s: %d question(s) narrated\n", sv->id, made);
	return bad ? -1 : 0;
}

int cli_narrate(const char *dir, int quiet)
{
	ax_content *c = NULL;
	int nerr = 0, rate, bad = 0;
	if (ax_content_load_dir(dir, NULL, NULL, &nerr, &c) || !c) {
		fprintf(stderr, "%s: cannot read the content\n", dir);
		return 3;
	}
	if (nerr) {
		fprintf(stderr, "%s: %d error(s); run anxin content lint %s first\n", dir,
		        nerr, dir);
		ax_content_free(c);
		return 1;
	}
	rate = tts_open();
	if (rate < 0) {
		ax_content_free(c);
		return 3;
	}
	for (int i = 0; i < ax_content_npacks(c); i++) {
		const struct ax_pack *pk = ax_content_pack(c, i);
		if (pk->dir && narrate_pack(pk, rate, quiet) != 0)
			bad = 1;
	}
	for (int i = 0; i < ax_content_nsurveys(c); i++) {
		const struct ax_survey *sv = ax_content_survey(c, i);
		char sdir[1100];
		snprintf(sdir, sizeof sdir, "%s/surveys", dir);
		if (sv->path && narrate_survey(sv, sdir, rate, quiet) != 0)
			bad = 1;
	}
	espeak_Terminate();
	free(pcm.s);
	pcm.s = NULL;
	pcm.cap = 0;
	ax_content_free(c);
	return bad;
}

/* ---- lint ------------------------------------------------------------- */
static void lint_file(const char *dir, const char *file, const char *at,
                      const struct item *it, int *nerr)
{
	char path[1100], where[1200];
	int e = 0, n, chars;
	long long total, decoded = 0;
	float buf[5760];
	OggOpusFile *of;
	double secs, cps;

	snprintf(path, sizeof path, "%s/%s", dir, it->audio);
	snprintf(where, sizeof where, "%s: %s/audio \"%s\"", file, at, it->audio);
	of = op_open_file(path, &e);
	if (!of) {
		fprintf(stderr, "%s: not an Ogg Opus file (opusfile error %d)\n", where, e);
		(*nerr)++;
		return;
	}
	total = op_pcm_total(of, -1);
	while ((n = op_read_float(of, buf, (int)(sizeof buf / sizeof *buf), NULL)) > 0)
		decoded += n;
	if (n < 0 || total <= 0 || decoded != total) {
		fprintf(stderr, "%s: does not decode (opusfile error %d after %lld of "
		                "%lld samples)\n", where, n, decoded, total);
		(*nerr)++;
	} else {
		chars = spoken_chars(it->text);
		secs = (double)total / 48000.0;
		cps = chars / secs;
		if (cps < NARRATE_MIN_CPS || cps > NARRATE_MAX_CPS) {
			fprintf(stderr, "%s: %.1f s for %d characters of its text "
			                "(%.1f a second; plausible: %.0f to %.0f)\n",
			        where, secs, chars, cps, NARRATE_MIN_CPS, NARRATE_MAX_CPS);
			(*nerr)++;
		}
	}
	if (it->synthetic && !opus_tags_query(op_tags(of, -1), NARRATE_TAG, 0))
		fprintf(stderr, "%s: marked audio_synthetic, but the file is not one "
		                "anxin content narrate wrote (a recording? then remove "
		                "\"audio_synthetic\")\n", where);
	op_free(of);
}

void cli_narration_lint(const ax_content *c, int *nerr)
{
	static struct item it[128];
	char file[1100], at[64];
	for (int i = 0; c && i < ax_content_npacks(c); i++) {
		const struct ax_pack *pk = ax_content_pack(c, i);
		int n = pk->dir ? pack_items(pk, it, 128) : 0;
		snprintf(file, sizeof file, "%s/pack.json", pk->dir ? pk->dir : "");
		for (int k = 0; k < n; k++)
			if (it[k].audio) {
				item_where(pk, k, at, sizeof at);
				lint_file(pk->dir, file, at, &it[k], nerr);
			}
	}
	for (int i = 0; c && i < ax_content_nsurveys(c); i++) {
		const struct ax_survey *sv = ax_content_survey(c, i);
		for (int k = 0; k < sv->nquestions; k++) {
			const struct ax_question *q = &sv->questions[k];
			if (q->ref || !q->audio || !q->audio_dir)
				continue;
			set_item(&it[0], q->id, q->text, q->audio, q->audio_synthetic);
			question_text(q, it[0].text, sizeof it[0].text);
			snprintf(at, sizeof at, "questions/%d", k);
			lint_file(q->audio_dir, sv->path, at, &it[0], nerr);
		}
	}
}
