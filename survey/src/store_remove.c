/*
 * store_remove.c -- `anxin store remove --db postgresql://… --county CODE`
 * (issue 19): the last step of a county leaving the shared database,
 * after `anxin store copy --from postgresql://… --to county.db --county
 * CODE` has put its rows into a file of its own.  Every row of the county
 * that copy would take (ax__county_filter), but the city and province
 * above it and what all counties share (packs, surveys, keys, meta), is
 * deleted in one transaction, children before parents, so the other
 * counties' rows and reports are untouched and a failure removes nothing.
 * The county's responses are read from its own partition; its empty
 * partitions are dropped at the end.
 */
#include <stdio.h>
#include <string.h>

#include "anxin/store.h"
#include "anxin_int.h"
#include "db.h"
#include "store_copy_int.h"
#include "store_pg.h"

ax_rc ax_store_remove_county(ax_store *st, const char *county,
                             ax_store_copy_fn fn, void *ctx)
{
	const char *tables[40], *where;
	char p[8] = "", f[1024], sql[1200];
	ax_db *db = ax__store_dbl(st);
	size_t nt = 0;
	ax_rc rc = AX_OK;

	if (ax_db_kind_of(db) != AX_DB_PG) {
		ax__store_seterr(st, "store remove works on a PostgreSQL database "
		                     "holding several counties (a county's own file is "
		                     "the county)");
		return AX_INVALID;
	}
	if (!county || strlen(county) != 12 || strspn(county, "0123456789") != 12 ||
	    ax__is_county(db, county) != 1) {
		ax__store_seterr(st, "%s: not a county of the database (a 12-digit "
		                     "code of level 县)", county ? county : "");
		return AX_NOTFOUND;
	}
	memcpy(p, county, 6);
	while (nt < sizeof tables / sizeof tables[0] &&
	       (tables[nt] = ax__copy_table(nt, &where)))
		nt++;
	if (ax_db_begin(db) != AX_DB_OK) {
		ax__store_seterr(st, "%s", ax_db_errmsg(db));
		return AX_ERROR;
	}
	/* children first: the copy's order (parents first) backwards */
	while (rc == AX_OK && nt-- > 0) {
		ax_stmt *s = NULL;
		ax__county_filter(tables[nt], county, p, 0, f, sizeof f);
		if (!f[0])
			continue; /* shared by every county */
		snprintf(sql, sizeof sql, "DELETE FROM \"%s\" WHERE %s", tables[nt], f);
		if (ax_db_prepare(db, sql, &s) != AX_DB_OK ||
		    ax_stmt_step(s) != AX_DB_DONE) {
			ax__store_seterr(st, "%s: %s", tables[nt], ax_db_errmsg(db));
			rc = AX_ERROR;
		} else if (fn) {
			fn(ctx, tables[nt], (long long)ax_stmt_changes(s));
		}
		if (s)
			ax_stmt_finalize(s);
	}
	/* the county's partitions (store_pg.c migration 11), empty now, go
	 * too; one still holding contacts of a household that has moved to
	 * another county since stays, its rows that county's */
	for (int t = 0; rc == AX_OK && t < 2; t++) {
		const char *tab = t ? "contacts" : "responses";
		/* nested: PL/pgSQL plans one condition whole, and a missing
		 * table in it is an error, not false */
		snprintf(sql, sizeof sql,
		         "DO $$ BEGIN IF to_regclass('%s_c%s') IS NOT NULL THEN"
		         " IF NOT EXISTS (SELECT 1 FROM %s_c%s) THEN"
		         " DROP TABLE %s_c%s; END IF; END IF; END $$",
		         tab, p, tab, p, tab, p);
		if (ax_db_exec(db, sql) != AX_DB_OK) {
			ax__store_seterr(st, "%s_c%s: %s", tab, p, ax_db_errmsg(db));
			rc = AX_ERROR;
		}
	}
	if (rc == AX_OK && ax_db_commit(db) != AX_DB_OK) {
		ax__store_seterr(st, "commit: %s", ax_db_errmsg(db));
		rc = AX_ERROR;
	}
	if (rc != AX_OK)
		ax_db_rollback(db);
	return rc;
}
