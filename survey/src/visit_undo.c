/*
 * visit_undo.c -- a visit taken back by the user who recorded it, within
 * a day (issue 14): a wrong tap, the wrong household.  The visit's row
 * moves whole from contacts to visits_undone (store v16) with who undid
 * it and when, in one transaction: kept and logged, never silently
 * deleted, and no longer counted anywhere (coverage reads contacts).  A
 * record import of the same id afterwards finds it there: a duplicate,
 * not stored again (records.c).  Through the statement layer: SQLite and
 * PostgreSQL alike.
 */
#include <string.h>

#include "anxin/ledger.h"
#include "anxin_int.h"
#include "db.h"

/* Run one statement: text ?1 ?2 ?3 (NULL: not bound) and ?4 (0: not
 * bound); no rows. */
static ax_rc run(ax_store *st, const char *sql, const char *a, const char *b,
                 const char *c, long long n)
{
	ax_stmt *s;
	ax_rc rc;
	int src;

	if ((rc = ax__dprepare(st, &s, sql)))
		return rc;
	ax_stmt_bind_text(s, 1, a);
	if (b)
		ax_stmt_bind_text(s, 2, b);
	if (c)
		ax_stmt_bind_text(s, 3, c);
	if (n)
		ax_stmt_bind_int64(s, 4, n);
	src = ax_stmt_step(s);
	ax_stmt_finalize(s);
	return src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "visit undo");
}

ax_rc ax_visit_undo(ax_store *st, const char *id, const char *user,
                    long long now, char household[64])
{
	ax_stmt *s;
	char by[128] = "";
	long long received = 0;
	int src, found = 0;
	ax_rc rc;

	household[0] = '\0';
	if (!id || !user || strlen(id) > 64) {
		ax__store_seterr(st, "visit undo: an id and a user are needed");
		return AX_INVALID;
	}
	if ((rc = ax_store_begin(st)))
		return rc;
	if ((rc = ax__dprepare(st, &s, "SELECT household, device, received_at FROM "
	                               "contacts WHERE id = ? AND kind = 'visit'")))
		goto fail;
	ax_stmt_bind_text(s, 1, id);
	if ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		found = 1;
		snprintf(household, 64, "%s", ax_stmt_text(s, 0));
		snprintf(by, sizeof by, "%s", ax_stmt_text(s, 1));
		received = ax_stmt_is_null(s, 2) ? 0 : ax_stmt_int64(s, 2);
	}
	ax_stmt_finalize(s);
	if (src != AX_DB_ROW && src != AX_DB_DONE) {
		rc = ax__store_dberr(st, "contacts");
		goto fail;
	}
	if (!found) {
		ax__store_seterr(st, "没有这次走访记录（可能已经撤销）。");
		rc = AX_NOTFOUND;
		goto fail;
	}
	if (strcmp(by, user) != 0) {
		ax__store_seterr(st, "只有记录这次走访的人可以撤销。");
		rc = AX_DENIED;
		goto fail;
	}
	if (received <= 0 || now - received > 86400) {
		ax__store_seterr(st, "走访记录超过一天，不能再撤销；如有错误请联系县里的管理员。");
		rc = AX_DENIED;
		goto fail;
	}
	if ((rc = run(st, "INSERT INTO visits_undone(id, household, pack, "
	                  "recorded_by, at, received_at, body, undone_by, undone_at) "
	                  "SELECT id, household, pack, device, at, received_at, body, "
	                  "?2, CAST(?4 AS BIGINT) FROM contacts WHERE id = ?1", id,
	                  user, NULL, now)) ||
	    (rc = run(st, "DELETE FROM contacts WHERE id = ?", id, NULL, NULL, 0)))
		goto fail;
	return ax_store_commit(st);
fail:
	ax_store_rollback(st);
	return rc;
}
