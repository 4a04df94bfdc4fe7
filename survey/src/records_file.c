/*
 * records_file.c -- records as lines of text: one line
 * (ax_importer_line, ax__import_one) and a JSON-lines file
 * (ax_records_import_file), in batches of ax__import_batch records a
 * transaction, each line bound to the registered device it names.
 * Validation and storage are records.c's (ax_importer_json).
 */
#include <jansson.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin/auth.h"
#include "anxin/records.h"
#include "anxin/text.h"
#include "anxin_int.h"
#include "records_int.h"

/* the outcome rejected, with its reason */
static void reject(struct ax_rec_outcome *out, const char *fmt, ...)
    AX_PRINTF(2, 3);
static void reject(struct ax_rec_outcome *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof out->reason, fmt, ap);
	va_end(ap);
	out->result = AX_REC_REJECTED;
}

ax_rc ax__import_one(ax_store *st, const char *line, const char *source,
                     struct ax_rec_outcome *out)
{
	ax_importer *im = NULL;
	ax_rc rc;

	memset(out, 0, sizeof *out);
	if ((rc = ax_importer_new(st, &im)) || (rc = ax_importer_begin(im)) ||
	    (rc = ax_importer_line(im, line, strlen(line), source, out)))
		goto done;
	/* a fresh random id is never a duplicate: this is a rejection */
	if (out->result != AX_REC_ACCEPTED)
		rc = AX_INVALID;
	else
		rc = ax_importer_commit(im);
done:
	ax_importer_free(im); /* rolls back an open batch */
	return rc;
}

/* One line as JSON, or NULL with the outcome rejected. */
static json_t *parse_line(const char *line, size_t len,
                          struct ax_rec_outcome *out)
{
	json_error_t err;
	json_t *o;

	memset(out, 0, sizeof *out);
	if (!ax_utf8_valid(line, len)) {
		reject(out, "not valid UTF-8");
		return NULL;
	}
	if (!(o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err)))
		reject(out, "not JSON: %s (column %d)", err.text, err.column);
	return o;
}

ax_rc ax_importer_line(ax_importer *im, const char *line, size_t len,
                       const char *source, struct ax_rec_outcome *out)
{
	json_t *o = parse_line(line, len, out);
	ax_rc rc;

	if (!o)
		return AX_OK;
	rc = ax_importer_json(im, o, source, out);
	json_decref(o);
	return rc;
}

/* A line of a file: bound to the registered device it names, if any. */
static ax_rc file_line(ax_importer *im, const struct ax_device *devs,
                       int ndev, const char *line, size_t len,
                       const char *source, struct ax_rec_outcome *out)
{
	json_t *o = parse_line(line, len, out), *d;
	char reason[256];
	ax_rc rc;

	if (!o)
		return AX_OK;
	d = json_object_get(o, "device");
	if (ax__dev_bind_named(im, devs, ndev, json_is_string(d) ?
	                       json_string_value(d) : NULL, reason)) {
		json_t *id = json_object_get(o, "id");
		snprintf(out->id, sizeof out->id, "%s",
		         json_is_string(id) ? json_string_value(id) : "");
		reject(out, "%s", reason);
		json_decref(o);
		return AX_OK;
	}
	rc = ax_importer_json(im, o, source, out);
	json_decref(o);
	return rc;
}

/* ---- files ------------------------------------------------------------ */
/* Records per transaction of a file import.  Each commit writes every page
 * the batch dirtied to the WAL, and random keys (record ids, households)
 * dirty pages all over their indexes, so bigger batches write each page
 * fewer times.  A failure loses nothing: the file is imported again,
 * idempotently by id. */
long ax__import_batch = 50000;
/* On PostgreSQL each household a transaction names holds an advisory lock
 * to its end (records_prefetch.c), and the server's lock table holds
 * max_locks_per_transaction (64 by default) times its connections: a
 * batch of 50,000 records naming 20,000 households failed at once with
 * "out of shared memory".  1,000 records name at most 1,000. */
#define AX_PG_IMPORT_BATCH 1000

ax_rc ax_records_import_file(ax_store *st, const char *path, ax_diag_fn diag,
                             void *diag_ctx, struct ax_records_stats *stats)
{
	struct ax_records_stats dummy, committed = {0};
	ax_importer *im = NULL;
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lineno = 0, in_batch = 0;
	struct ax_device *devs = NULL;
	int ndev = 0;
	ax_rc rc;

	if (!stats)
		stats = &dummy;
	memset(stats, 0, sizeof *stats);
	if (!(f = fopen(path, "rb"))) {
		ax__store_seterr(st, "%s: cannot open", path);
		ax__diag(diag, diag_ctx, AX_SEV_ERROR, "%s: cannot open", path);
		return AX_IO;
	}
	if ((rc = ax_importer_new(st, &im)) ||
	    (rc = ax_device_list(st, &devs, &ndev)))
		goto done;
	/* a file carried from a kiosk may hold sealed phone numbers */
	(void)ax_importer_use_store_keys(im, st);
	if ((rc = ax_importer_begin(im)))
		goto done;
	while ((n = getline(&line, &cap, f)) >= 0) {
		struct ax_rec_outcome out;
		size_t len = (size_t)n;
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (lineno == 1 && len >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
			memmove(line, line + 3, len - 3);
			len -= 3;
		}
		if (len == 0)
			continue;
		stats->lines++;
		if ((rc = file_line(im, devs, ndev, line, len, path, &out)))
			goto done;
		switch (out.result) {
		case AX_REC_ACCEPTED: stats->accepted++; break;
		case AX_REC_DUPLICATE: stats->duplicate++; break;
		case AX_REC_CONFLICT:
			stats->conflict++;
			ax__diag(diag, diag_ctx, AX_SEV_WARNING, "%s:%ld: conflict: %s",
			         path, lineno, out.reason);
			break;
		case AX_REC_REJECTED:
			stats->rejected++;
			ax__diag(diag, diag_ctx, AX_SEV_ERROR, "%s:%ld: %s%s%s", path,
			         lineno, out.id[0] ? out.id : "", out.id[0] ? ": " : "",
			         out.reason);
			break;
		}
		if (++in_batch >= (ax__store_is_pg(st) ? AX_PG_IMPORT_BATCH
		                                        : ax__import_batch)) {
			if ((rc = ax_importer_commit(im)))
				goto done;
			committed = *stats;
			if ((rc = ax_importer_begin(im)))
				goto done;
			in_batch = 0;
		}
	}
	rc = ax_importer_commit(im);
done:
	if (rc && im)
		ax_importer_rollback(im);
	if (rc)
		*stats = committed; /* what is stored: the committed batches */
	ax_importer_free(im);
	ax_free(devs);
	free(line);
	fclose(f);
	return rc;
}
