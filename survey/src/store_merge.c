/*
 * store_merge.c -- a county's rows merged into a PostgreSQL database that
 * already holds other counties (`anxin store copy --from county.db --to
 * postgresql://…` when the database is not empty; issue 19).
 *
 * Each table's rows are first copied (COPY) into a temporary table of the
 * same columns, ax_in, then merged by one rule: a row whose key is not in
 * the database goes in; a row whose key is there with the very same
 * content is skipped (the province and city above the county, a pack both
 * installed, a record a device had already sent to the shared server, a
 * second run of the same copy); a row whose key is there with other
 * content stops the whole copy, which rolls back, naming the table and
 * the key (two counties using one 户号, device name or staff login).
 * Exceptions, each for a reason:
 * - responses and contacts are keyed by id, unique in response_ids and
 *   contact_ids (their tables' own keys hold the partition column);
 * - conflicts and optout_events take new arrival numbers (seq) after
 *   the database's own, in the county's order; conflicts has no key but
 *   its number, so a conflict already there in every other column is the
 *   same conflict;
 * - household_periods has no key: an identical stretch is skipped, and
 *   the stretches the roster triggers (migration 8) wrote for the
 *   households this copy inserted are replaced by the county's own;
 * - packs and surveys: the same id and version with the same text is the
 *   same pack, whenever each side installed it (installed_at: the
 *   database's kept);
 * - regions: a county store's county has no parent when its store never
 *   held the city; it takes the one the database gives it, and counties
 *   and cities new to the database are linked under theirs as a region
 *   import links them (AX_SQL_REGIONS_LINK);
 * - keys: the county's sealing key, when the database has another, is
 *   kept as 'seal.' and its public key's digest, so that a number a kiosk
 *   sealed with it before it fetched the shared key still opens
 *   (ax_importer_use_store_keys).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anxin_int.h"
#include "db.h"
#include "store_copy_int.h"

#define SQL_MAX 8192

struct sqlbuf {
	char s[SQL_MAX];
	size_t n;
	int over;
};

static void add(struct sqlbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void add(struct sqlbuf *b, const char *fmt, ...)
{
	va_list ap;
	int k;
	if (b->over)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof b->s - b->n)
		b->over = 1;
	else
		b->n += (size_t)k;
}

/* The primary key's columns of `table`, in key order; 0 if none. */
static int pk_columns(ax_db *db, const char *table, char out[][64], int max)
{
	char sql[512];
	ax_stmt *s;
	int n = 0;
	snprintf(sql, sizeof sql,
	         "SELECT a.attname FROM pg_index i"
	         " JOIN LATERAL unnest(i.indkey) WITH ORDINALITY k(attnum, ord)"
	         " ON true JOIN pg_attribute a ON a.attrelid = i.indrelid"
	         " AND a.attnum = k.attnum"
	         " WHERE i.indrelid = '\"%s\"'::regclass AND i.indisprimary"
	         " ORDER BY k.ord",
	         table);
	if (ax_db_prepare(db, sql, &s) != AX_DB_OK)
		return -1;
	while (n < max && ax_stmt_step(s) == AX_DB_ROW)
		snprintf(out[n++], 64, "%s", ax_stmt_text(s, 0));
	ax_stmt_finalize(s);
	return n;
}

static int is_seq_table(const char *table)
{
	return !strcmp(table, "conflicts") || !strcmp(table, "optout_events");
}

/* "n.a = o.a AND n.b = o.b" over the key, NULL-safe when nullsafe */
static void match(struct sqlbuf *b, char key[][64], int nkey, int nullsafe)
{
	for (int i = 0; i < nkey; i++)
		add(b, "%sn.\"%s\" %s o.\"%s\"", i ? " AND " : "", key[i],
		    nullsafe ? "IS NOT DISTINCT FROM" : "=", key[i]);
}

ax_rc ax__merge_table(ax_store *from, ax_db *to, const char *table,
                      const char *const *cols, int ncols, long long *inserted)
{
	char key[AX_COPY_MAX_COLS][64];
	const char *used[AX_COPY_MAX_COLS];
	int nkey, nused = 0, seq = is_seq_table(table), nullsafe = 0;
	struct sqlbuf b = {.n = 0};
	ax_stmt *s;

	*inserted = 0;
	const char *cmp[AX_COPY_MAX_COLS];
	int ncmp = 0;
	/* the columns inserted: all but an arrival number; compared: those
	 * but when each side installed a pack or survey, and a contact's
	 * region -- where it is kept (its household's grid when each side
	 * stored or migrated it: a household that moved has two), not what
	 * it says */
	int contacts = !strcmp(table, "contacts");
	for (int i = 0; i < ncols; i++)
		if (!(seq && !strcmp(cols[i], "seq"))) {
			used[nused++] = cols[i];
			if (strcmp(cols[i], "installed_at") != 0 &&
			    !(contacts && !strcmp(cols[i], "region")))
				cmp[ncmp++] = cols[i];
		}
	nkey = pk_columns(to, table, key, AX_COPY_MAX_COLS);
	if (nkey < 0) {
		ax__store_seterr(from, "%s: %s", table, ax_db_errmsg(to));
		return AX_ERROR;
	}
	if (nkey == 1 && !strcmp(key[0], "seq"))
		nkey = 0; /* conflicts: no key but its number */
	if (!strcmp(table, "responses") || !strcmp(table, "contacts")) {
		/* keyed (id, region) as partitioned tables must be (contacts
		 * only unique), the id alone unique (store_pg.c migration 11):
		 * a record is its id */
		snprintf(key[0], 64, "id");
		nkey = 1;
	}
	if (nkey == 0) {
		/* no key: the whole row is the key, NULLs equal */
		for (int i = 0; i < nused; i++)
			snprintf(key[i], 64, "%s", used[i]);
		nkey = nused;
		nullsafe = 1;
	}
	if (!strcmp(table, "regions") &&
	    ax_db_exec(to, "UPDATE ax_in n SET parent = o.parent FROM regions o"
	                   " WHERE o.code = n.code AND n.parent IS NULL") != AX_DB_OK)
		goto dberr;
	if (!strcmp(table, "keys") &&
	    ax_db_exec(to, "UPDATE ax_in n SET name = 'seal.' || md5(n.public)"
	                   " WHERE n.name = 'seal' AND EXISTS (SELECT 1 FROM keys o"
	                   " WHERE o.name = 'seal' AND o.public <> n.public)") !=
	            AX_DB_OK)
		goto dberr;
	if (!nullsafe) {
		/* a key already there with other content stops the copy */
		add(&b, "SELECT ");
		for (int i = 0; i < nkey; i++)
			add(&b, "%sn.\"%s\"::text", i ? " || ', ' || " : "", key[i]);
		add(&b, " FROM ax_in n JOIN \"%s\" o ON ", table);
		match(&b, key, nkey, 0);
		add(&b, " WHERE (");
		for (int i = 0; i < ncmp; i++)
			add(&b, "%sn.\"%s\"", i ? ", " : "", cmp[i]);
		add(&b, ") IS DISTINCT FROM (");
		for (int i = 0; i < ncmp; i++)
			add(&b, "%so.\"%s\"", i ? ", " : "", cmp[i]);
		add(&b, ") LIMIT 1");
		if (b.over)
			goto toolong;
		if (ax_db_prepare(to, b.s, &s) != AX_DB_OK)
			goto dberr;
		if (ax_stmt_step(s) == AX_DB_ROW) {
			ax__store_seterr(from,
			                 "%s: %s is already in the database with other "
			                 "content: nothing was copied (two counties may not "
			                 "share it; rename it in one of them first)",
			                 table, ax_stmt_text(s, 0));
			ax_stmt_finalize(s);
			return AX_CONFLICT;
		}
		ax_stmt_finalize(s);
	}
	/* the households new to the database: their trigger-written
	 * stretches are replaced by the county's (household_periods, later) */
	if (!strcmp(table, "households") &&
	    ax_db_exec(to, "INSERT INTO ax_new_hh SELECT n.id FROM ax_in n"
	                   " WHERE NOT EXISTS (SELECT 1 FROM households o"
	                   " WHERE o.id = n.id)") != AX_DB_OK)
		goto dberr;
	if (!strcmp(table, "household_periods") &&
	    ax_db_exec(to, "DELETE FROM household_periods WHERE household IN"
	                   " (SELECT id FROM ax_new_hh)") != AX_DB_OK)
		goto dberr;
	b.n = 0;
	add(&b, "INSERT INTO \"%s\"(", table);
	for (int i = 0; i < nused; i++)
		add(&b, "%s\"%s\"", i ? ", " : "", used[i]);
	add(&b, ") SELECT ");
	for (int i = 0; i < nused; i++)
		add(&b, "%sn.\"%s\"", i ? ", " : "", used[i]);
	add(&b, " FROM ax_in n WHERE NOT EXISTS (SELECT 1 FROM \"%s\" o WHERE ",
	    table);
	match(&b, key, nkey, nullsafe);
	add(&b, ")%s", seq ? " ORDER BY n.seq" : "");
	if (b.over)
		goto toolong;
	if (ax_db_prepare(to, b.s, &s) != AX_DB_OK)
		goto dberr;
	if (ax_stmt_step(s) != AX_DB_DONE) {
		ax_stmt_finalize(s);
		goto dberr;
	}
	*inserted = ax_stmt_changes(s);
	ax_stmt_finalize(s);
	if (!strcmp(table, "regions") && ax_db_exec(to, AX_SQL_REGIONS_LINK) != AX_DB_OK)
		goto dberr;
	return AX_OK;
toolong:
	ax__store_seterr(from, "%s: too many columns to merge", table);
	return AX_ERROR;
dberr:
	ax__store_seterr(from, "%s: %s", table, ax_db_errmsg(to));
	return AX_ERROR;
}
