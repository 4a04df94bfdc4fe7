/*
 * gw_upgrade.c -- an old deployment's gateway.db moved into the store.
 *
 * Before the gateway's tables lived in the store file they were in a
 * second SQLite file (config key gateway_db, default gateway.db beside the
 * store) with a `journal` of record lines that a forwarder copied into the
 * store's outbox.  On open, when that file is still there, one store
 * transaction copies its tables into the store (the columns both schemas
 * have; ids kept, so digests.queue_id still names its queue row) and puts
 * every journal line not yet forwarded into the outbox (ax_outbox_put is
 * idempotent by id: a line forwarded just before a crash is not doubled),
 * and marks the file upgraded (table upgraded).  Only after that commit
 * is the file renamed to gateway.db.migrated: a crash before the rename
 * finds the mark and only renames.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anxin/applog.h"
#include "anxin/store.h"
#include "gw_int.h"

/* the tables of gateway.db that carry over (journal goes to the outbox) */
static const char *const tables[] = {"inbox",   "conv",   "queue", "optout",
                                     "reports", "digests", "modems"};

/* 1 when schema `db` has table t. */
static int has_table(sqlite3 *db, const char *schema, const char *t)
{
	char sql[160];
	sqlite3_stmt *q;
	int found = 0;
	snprintf(sql, sizeof sql,
	         "SELECT 1 FROM %s.sqlite_master WHERE type='table' AND name=?",
	         schema);
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(q, 1, t, -1, SQLITE_STATIC);
	found = sqlite3_step(q) == SQLITE_ROW;
	sqlite3_finalize(q);
	return found;
}

/* INSERT OR IGNORE INTO main.t SELECT the columns main.t and old.t both
 * have (an older gateway.db may lack a later column: its default then). */
static int copy_table(sqlite3 *db, const char *t)
{
	char sql[4096], cols[1024] = "";
	sqlite3_stmt *q;
	size_t used = 0;
	int rc;

	snprintf(sql, sizeof sql,
	         "SELECT m.name FROM pragma_table_info(?1, 'main') m"
	         " JOIN pragma_table_info(?1, 'old') o USING(name) ORDER BY m.cid");
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, t, -1, SQLITE_STATIC);
	while (sqlite3_step(q) == SQLITE_ROW && used + 80 < sizeof cols)
		used += (size_t)snprintf(cols + used, sizeof cols - used, "%s\"%s\"",
		                         used ? "," : "", sqlite3_column_text(q, 0));
	sqlite3_finalize(q);
	if (!used)
		return 0;
	snprintf(sql, sizeof sql,
	         "INSERT OR IGNORE INTO main.%s(%s) SELECT %s FROM old.%s", t, cols,
	         cols, t);
	rc = gw__exec(db, sql);
	return rc;
}

/* Unforwarded journal lines into the outbox: lines put, or -1. */
static int put_journal(gw_gateway *g)
{
	sqlite3_stmt *q;
	int n = 0;
	if (!has_table(g->db, "old", "journal"))
		return 0;
	if (sqlite3_prepare_v2(g->db,
	                       "SELECT id, body FROM old.journal WHERE forwarded=0"
	                       " ORDER BY seq",
	                       -1, &q, NULL) != SQLITE_OK)
		return -1;
	while (sqlite3_step(q) == SQLITE_ROW) {
		if (gw__record(g, g->st, (const char *)sqlite3_column_text(q, 0),
		               (const char *)sqlite3_column_text(q, 1))) {
			sqlite3_finalize(q);
			return -1;
		}
		n++;
	}
	sqlite3_finalize(q);
	return n;
}

/* 1 when the store has the mark of path's upgrade, 0 not, -1 error. */
static int upgraded(sqlite3 *db, const char *path)
{
	sqlite3_stmt *q;
	int rc;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM main.upgraded WHERE file=?", -1,
	                       &q, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* The copy, in one store transaction on the attached file. */
static int copy_all(gw_gateway *g, int *lines)
{
	sqlite3_stmt *q;
	size_t i;
	int rc;

	if (gw__exec(g->db, "BEGIN IMMEDIATE"))
		return -1;
	for (i = 0; i < sizeof tables / sizeof tables[0]; i++)
		if (has_table(g->db, "old", tables[i]) && copy_table(g->db, tables[i]))
			goto fail;
	/* an old file's queue has no send classes: the copied rows get theirs */
	if (gw__queue_set_prio(g->db))
		goto fail;
	if ((*lines = put_journal(g)) < 0)
		goto fail;
	if (sqlite3_prepare_v2(g->db,
	                       "INSERT OR REPLACE INTO main.upgraded(file, at)"
	                       " VALUES(?, ?)",
	                       -1, &q, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_bind_text(q, 1, g->cfg.gateway_db, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, gw_now(g));
	rc = sqlite3_step(q);
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE || gw__exec(g->db, "COMMIT"))
		goto fail;
	return 0;
fail:
	if (!g->err[0])
		gw__seterr(g, "%s: upgrade: %s", g->cfg.gateway_db, sqlite3_errmsg(g->db));
	gw__exec(g->db, "ROLLBACK");
	return -1;
}

/* path -> path.migrated, with its WAL and shared memory files if any. */
static int rename_old(gw_gateway *g)
{
	static const char *const sfx[] = {"-wal", "-shm", ""};
	char from[600], to[600];
	size_t i;
	for (i = 0; i < sizeof sfx / sizeof sfx[0]; i++) {
		snprintf(from, sizeof from, "%s%s", g->cfg.gateway_db, sfx[i]);
		snprintf(to, sizeof to, "%s.migrated%s", g->cfg.gateway_db, sfx[i]);
		if (access(from, F_OK) == 0 && rename(from, to) != 0) {
			gw__seterr(g, "%s: cannot rename to %s after the upgrade", from, to);
			return -1;
		}
	}
	return 0;
}

int gw__upgrade(gw_gateway *g)
{
	sqlite3_stmt *q;
	int done, lines = 0, rc;

	if (!g->cfg.gateway_db[0] || access(g->cfg.gateway_db, F_OK) != 0)
		return 0;
	if ((done = upgraded(g->db, g->cfg.gateway_db)) < 0) {
		gw__seterr(g, "%s: %s", g->cfg.store, sqlite3_errmsg(g->db));
		return -1;
	}
	if (!done) {
		/* ATTACH is refused inside a transaction: attach, then begin */
		if (sqlite3_prepare_v2(g->db, "ATTACH ? AS old", -1, &q, NULL) != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_text(q, 1, g->cfg.gateway_db, -1, SQLITE_STATIC);
		rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			goto sqlfail;
		rc = copy_all(g, &lines);
		/* the last connection to the old file checkpoints its WAL into it */
		gw__exec(g->db, "DETACH old");
		if (rc)
			return -1;
		AX_LOG_I("%s moved into the store %s (%d journal lines put in the "
		         "outbox)", g->cfg.gateway_db, g->cfg.store, lines);
	}
	return rename_old(g);
sqlfail:
	gw__seterr(g, "%s: upgrade: %s", g->cfg.gateway_db, sqlite3_errmsg(g->db));
	return -1;
}
