/*
 * store.c -- opening the SQLite store and migrating its schema.
 *
 * The schema version lives in PRAGMA user_version.  Each migration is one
 * SQL script applied in its own transaction, so a crash mid-upgrade leaves
 * the file at the previous version, never half-way.
 */
#include <stdlib.h>
#include <string.h>

#include "anxin_int.h"
#include "db.h"
#include "store_pg.h"

struct ax_store {
	sqlite3 *db;
	char *path;
	char errmsg[512];
	/* statements on hot paths, prepared once per handle (ax__cached) */
	sqlite3_stmt *cache[AX__STMT_N];
	/* the same connection through the statement layer (db.h), for the
	 * code that speaks both stores' SQL (ax__store_dbl) */
	ax_db *dbl;
	int pg; /* a PostgreSQL store: dbl only, db is NULL */
};

/* ---- schema ------------------------------------------------------------
 * v1: roster, content, responses and contacts; rates computed by scanning
 *     responses.
 * v2: pre-aggregated counts (tally) so a county report reads thousands of
 *     rows instead of every response; server receive time beside device
 *     time; topic results folded into the response row.
 * v3: devices, users, sessions, campaigns, the store key pair; a device's
 *     outbox and sync state (every store can be a device store).
 * v4: all-time totals (tally_total) beside the per-day tally.
 * v5: ingest cost: tally keyed by day first (the date-window index it
 *     needed was a second copy of the whole key); the unused index on
 *     responses(received_at) dropped.
 * v6: the household index carries `counted`, so finding a household's
 *     counted response reads one row, not every answer it ever gave.
 * v7: drafts: a device's responses in progress (draft.h).
 * v8: the outbox's state check without an IN list (no ephemeral table
 *     per insert).
 * v9: sampled 测评 campaigns: the draw (size, strata, seed) on the
 *     campaign, each stratum's frame and sample size, and who was drawn
 *     with which inclusion probability (sample.h).
 * v10-v12: 户主 and 住址; opt-out events; phones in the roster's order.
 * v13: 市 (level 0) and 省 (level -1) rows above the county (issue 19).
 * v14: the roster's history (issue 17).
 * v15: the login limiter's state (issue 19).
 * v16: visits undone by who recorded them (issue 14).
 * v17: opt-out events numbered in arrival order (seq; issue 19).
 * v18: the counted responses' covering index (reports at 10 M records).
 * v19: each household's first and last contact of each kind
 *      (household_reach), kept by triggers on contacts.
 */
static const char *const migrations[] = {
	/* v1 */
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE regions("
	"  code TEXT PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  level INTEGER NOT NULL CHECK(level BETWEEN 1 AND 4),"
	"  parent TEXT REFERENCES regions(code));"
	"CREATE INDEX regions_parent ON regions(parent);"
	"CREATE TABLE households("
	"  id TEXT PRIMARY KEY,"
	"  grid TEXT NOT NULL REFERENCES regions(code),"
	"  members INTEGER,"
	"  active INTEGER NOT NULL DEFAULT 1,"
	"  updated_at INTEGER NOT NULL);"
	"CREATE INDEX households_grid ON households(grid, active);"
	"CREATE TABLE household_phones("
	"  household TEXT NOT NULL REFERENCES households(id) ON DELETE CASCADE,"
	"  phone TEXT NOT NULL,"
	"  PRIMARY KEY(household, phone)) WITHOUT ROWID;"
	"CREATE INDEX household_phones_phone ON household_phones(phone);"
	"CREATE TABLE packs("
	"  id TEXT NOT NULL, version INTEGER NOT NULL, topic TEXT NOT NULL,"
	"  title TEXT NOT NULL, json TEXT NOT NULL, installed_at INTEGER NOT NULL,"
	"  PRIMARY KEY(id, version));"
	"CREATE TABLE surveys("
	"  id TEXT NOT NULL, version INTEGER NOT NULL, title TEXT NOT NULL,"
	"  json TEXT NOT NULL, installed_at INTEGER NOT NULL,"
	"  PRIMARY KEY(id, version));"
	"CREATE TABLE responses("
	"  id TEXT PRIMARY KEY,"
	"  survey TEXT NOT NULL, survey_version INTEGER NOT NULL,"
	"  wave TEXT NOT NULL, channel TEXT NOT NULL, device TEXT NOT NULL,"
	"  household TEXT REFERENCES households(id),"
	"  region TEXT NOT NULL REFERENCES regions(code),"
	"  started_at INTEGER, completed_at INTEGER, status TEXT NOT NULL,"
	"  counted INTEGER NOT NULL DEFAULT 0,"
	"  day INTEGER, sat INTEGER, score REAL,"
	"  body TEXT NOT NULL);"
	"CREATE INDEX responses_household ON responses(household, survey, wave)"
	"  WHERE household IS NOT NULL;"
	"CREATE TABLE response_topics("
	"  response TEXT NOT NULL REFERENCES responses(id),"
	"  topic TEXT NOT NULL, passed INTEGER NOT NULL,"
	"  PRIMARY KEY(response, topic)) WITHOUT ROWID;"
	"CREATE TABLE contacts("
	"  id TEXT PRIMARY KEY,"
	"  household TEXT NOT NULL REFERENCES households(id),"
	"  channel TEXT NOT NULL, kind TEXT NOT NULL, pack TEXT,"
	"  device TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL);"
	"CREATE INDEX contacts_reach ON contacts(household, kind, at);"
	"CREATE TABLE conflicts("
	"  seq INTEGER PRIMARY KEY, id TEXT NOT NULL, type TEXT NOT NULL,"
	"  body TEXT NOT NULL, source TEXT, received_at INTEGER NOT NULL);",

	/* v2 */
	"ALTER TABLE responses ADD COLUMN received_at INTEGER;"
	"ALTER TABLE responses ADD COLUMN topics TEXT;"
	"ALTER TABLE contacts ADD COLUMN received_at INTEGER;"
	"CREATE TABLE tally("
	"  region TEXT NOT NULL, survey TEXT NOT NULL, wave TEXT NOT NULL,"
	"  channel TEXT NOT NULL, day INTEGER NOT NULL, metric TEXT NOT NULL,"
	"  den INTEGER NOT NULL DEFAULT 0, num INTEGER NOT NULL DEFAULT 0,"
	"  score REAL NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(region, survey, wave, channel, day, metric)) WITHOUT ROWID;"
	"INSERT INTO tally SELECT region, survey, wave, channel, day, 'resp',"
	"  COUNT(*), COUNT(*), 0 FROM responses WHERE counted GROUP BY 1,2,3,4,5;"
	"INSERT INTO tally SELECT r.region, r.survey, r.wave, r.channel, r.day,"
	"  'aw:' || t.topic, COUNT(*), SUM(t.passed), 0"
	"  FROM responses r JOIN response_topics t ON t.response = r.id"
	"  WHERE r.counted GROUP BY 1,2,3,4,5,6;"
	"INSERT INTO tally SELECT region, survey, wave, channel, day, 'sat',"
	"  COUNT(*), SUM(sat), SUM(score) FROM responses"
	"  WHERE counted AND sat IS NOT NULL GROUP BY 1,2,3,4,5;"
	/* per-topic results move into the response row ("topic:1,topic:0"):
	 * one B-tree insert per response instead of one per topic */
	"UPDATE responses SET topics = (SELECT group_concat(topic || ':' || passed,"
	"  ',') FROM response_topics WHERE response = responses.id);"
	"DROP TABLE response_topics;",

	/* v3: devices, users and sessions, campaigns, the store key pair, and
	 * a device's outbox and sync state */
	"CREATE TABLE devices("
	"  id TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK(kind IN ('kiosk','smsd')),"
	"  scope TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL, revoked_at INTEGER, last_seen INTEGER,"
	"  backlog INTEGER);"
	"CREATE TABLE users("
	"  name TEXT PRIMARY KEY, pw_hash TEXT NOT NULL,"
	"  role TEXT NOT NULL CHECK(role IN ('county','township','grid')),"
	"  scope TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  disabled INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE sessions("
	"  id_hash TEXT PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),"
	"  csrf TEXT NOT NULL, created_at INTEGER NOT NULL,"
	"  expires_at INTEGER NOT NULL);"
	"CREATE TABLE campaigns("
	"  id TEXT PRIMARY KEY, name TEXT NOT NULL, survey TEXT,"
	"  survey_version INTEGER, packs TEXT NOT NULL DEFAULT '',"
	"  scope TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL,"
	"  quiet_start INTEGER NOT NULL DEFAULT 1260,"
	"  quiet_end INTEGER NOT NULL DEFAULT 480,"
	"  pace_per_min INTEGER NOT NULL DEFAULT 10,"
	"  daily_cap INTEGER NOT NULL DEFAULT 300,"
	"  coverage_kinds TEXT NOT NULL, wave TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL, closed_at INTEGER, json TEXT);"
	"CREATE TABLE keys(name TEXT PRIMARY KEY, public BLOB NOT NULL, secret BLOB);"
	"CREATE TABLE outbox("
	"  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK(state IN ('pending','sent','conflict','rejected')),"
	"  attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, acked_at INTEGER);"
	"CREATE INDEX outbox_pending ON outbox(state, seq);"
	"CREATE TABLE sync_state(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE INDEX contacts_at ON contacts(at);"
	"CREATE INDEX responses_received ON responses(received_at);",

	/* v4: all-time totals beside the per-day tally, so the usual report
	 * (no date window) reads a few thousand rows, not one per response */
	"CREATE TABLE tally_total("
	"  region TEXT NOT NULL, survey TEXT NOT NULL, wave TEXT NOT NULL,"
	"  channel TEXT NOT NULL, metric TEXT NOT NULL,"
	"  den INTEGER NOT NULL DEFAULT 0, num INTEGER NOT NULL DEFAULT 0,"
	"  score REAL NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(region, survey, wave, channel, metric)) WITHOUT ROWID;"
	"INSERT INTO tally_total SELECT region, survey, wave, channel, metric,"
	"  SUM(den), SUM(num), SUM(score) FROM tally GROUP BY 1,2,3,4,5;"
	"CREATE INDEX tally_day ON tally(day);",

	/* v5: every counted response upserts a few per-day tally rows.  Keyed
	 * (region, …, day) with an index on day, each row was two random
	 * B-tree writes of the same six columns; keyed by day first it is one,
	 * and a date-window report reads a range of the key.  No query reads
	 * responses by received_at: its index only cost a write per record. */
	"CREATE TABLE tally5("
	"  day INTEGER NOT NULL, region TEXT NOT NULL, survey TEXT NOT NULL,"
	"  wave TEXT NOT NULL, channel TEXT NOT NULL, metric TEXT NOT NULL,"
	"  den INTEGER NOT NULL DEFAULT 0, num INTEGER NOT NULL DEFAULT 0,"
	"  score REAL NOT NULL DEFAULT 0,"
	"  PRIMARY KEY(day, region, survey, wave, channel, metric)) WITHOUT ROWID;"
	"INSERT INTO tally5 SELECT day, region, survey, wave, channel, metric, den,"
	"  num, score FROM tally ORDER BY day, region, survey, wave, channel, metric;"
	"DROP TABLE tally;"
	"ALTER TABLE tally5 RENAME TO tally;"
	"DROP INDEX responses_received;",

	/* v6: every complete response with a household looks up the counted
	 * one of its (household, survey, wave).  Without `counted` in the
	 * index that read every earlier answer's row (a household answering
	 * by SMS, at a kiosk and on a visit has many), each a random page at
	 * a million records; with it, the index alone says which row. */
	"DROP INDEX responses_household;"
	"CREATE INDEX responses_household ON responses(household, survey, wave,"
	"  counted) WHERE household IS NOT NULL;",

	/* v7: responses in progress on a device (draft.h): the answers so far
	 * in the record format, finished into the outbox in one transaction */
	"CREATE TABLE drafts("
	"  id TEXT PRIMARY KEY, survey TEXT NOT NULL,"
	"  survey_version INTEGER NOT NULL, channel TEXT NOT NULL,"
	"  device TEXT NOT NULL, household TEXT, phone_sealed TEXT, region TEXT,"
	"  wave TEXT, pack TEXT, fast INTEGER NOT NULL DEFAULT 0,"
	"  started_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,"
	"  answers TEXT NOT NULL DEFAULT '{}');",

	/* v8: the outbox's state check written with = and OR.  As IN ('…',
	 * …) SQLite builds an ephemeral table for the list on every insert
	 * (EXPLAIN: OpenEphemeral), about a fifth of putting a line; a device
	 * puts one per answer, an SMS gateway one per reply.  SQLite cannot
	 * alter a CHECK, so the table is rebuilt with its rows and index. */
	"CREATE TABLE outbox8("
	"  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending'"
	"    CHECK(state = 'pending' OR state = 'sent' OR state = 'conflict' OR"
	"          state = 'rejected'),"
	"  attempts INTEGER NOT NULL DEFAULT 0, reason TEXT, acked_at INTEGER);"
	"INSERT INTO outbox8 SELECT seq, id, body, created_at, state, attempts,"
	"  reason, acked_at FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox8 RENAME TO outbox;"
	"CREATE INDEX outbox_pending ON outbox(state, seq);",

	/* v9: a sampled 测评 campaign's draw.  The frame size of every stratum
	 * is kept (also of one that drew nobody): the weights need it, and the
	 * households not drawn are not stored. */
	"ALTER TABLE campaigns ADD COLUMN sample_n INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE campaigns ADD COLUMN strata TEXT;"
	"ALTER TABLE campaigns ADD COLUMN seed INTEGER;"
	"CREATE TABLE campaign_strata("
	"  campaign TEXT NOT NULL REFERENCES campaigns(id),"
	"  stratum TEXT NOT NULL, frame INTEGER NOT NULL, sample INTEGER NOT NULL,"
	"  PRIMARY KEY(campaign, stratum)) WITHOUT ROWID;"
	"CREATE TABLE campaign_sample("
	"  campaign TEXT NOT NULL REFERENCES campaigns(id),"
	"  household TEXT NOT NULL, stratum TEXT NOT NULL, prob REAL NOT NULL,"
	"  PRIMARY KEY(campaign, household)) WITHOUT ROWID;",

	/* v10: the roster's optional 户主 (head of household) and 住址 (the
	 * door): shown to the grid's own worker, masked above, never sent to
	 * devices (ax_roster_slice_json leaves them out). */
	("ALTER TABLE households ADD COLUMN head TEXT;"
	 "ALTER TABLE households ADD COLUMN address TEXT;"),

	/* v11: opt-outs (退订) and their withdrawals as records, from every
	 * gateway and the dashboard (optout.c): a number's state is its
	 * latest event (by time, then arrival), served to the county's
	 * gateways in their roster slices. */
	("CREATE TABLE optout_events("
	 "  id TEXT PRIMARY KEY, phone TEXT NOT NULL,"
	 "  action TEXT NOT NULL CHECK(action = 'optout' OR action = 'restore'),"
	 "  device TEXT NOT NULL, by_user TEXT, source TEXT, at INTEGER NOT NULL,"
	 "  body TEXT NOT NULL, received_at INTEGER NOT NULL);"
	 "CREATE INDEX optout_events_phone ON optout_events(phone, at);"),

	/* v12: a household's phones in the roster's order (pos from 0): the
	 * first listed is the one an SMS survey asks first.  Rows of older
	 * imports keep pos NULL (sorted by number, as before) until the
	 * roster is imported again. */
	"ALTER TABLE household_phones ADD COLUMN pos INTEGER;",

	/* v13: a city (市, level 0) and a province (省, level -1) above the
	 * county, so one store holds many counties under their city and
	 * province (issue 19; ax__region_rank gives a code's level).  SQLite
	 * cannot alter a CHECK: the table is rebuilt (SQLite's documented
	 * twelve steps), which needs foreign keys off while the old table is
	 * dropped -- see fk_off_migration.  The rows are copied unchanged, so
	 * every reference to them still holds. */
	("CREATE TABLE regions13("
	 "  code TEXT PRIMARY KEY,"
	 "  name TEXT NOT NULL,"
	 "  level INTEGER NOT NULL CHECK(level BETWEEN -1 AND 4),"
	 "  parent TEXT REFERENCES regions(code));"
	 "INSERT INTO regions13 SELECT code, name, level, parent FROM regions;"
	 "DROP TABLE regions;"
	 "ALTER TABLE regions13 RENAME TO regions;"
	 "CREATE INDEX regions_parent ON regions(parent);"),

	/* v14: the roster's history (issue 17): each stretch of time a
	 * household was active in a grid, [active_from, active_to) epoch
	 * seconds, active_to NULL while it lasts.  Triggers keep it on every
	 * write to households (an insert opens a stretch; a move or a
	 * deactivation closes it, a move or a reactivation opens the next),
	 * so a campaign's denominator is the roster as it stood for it
	 * (AX__CAMPAIGN_ROSTER).  Households already stored have no known
	 * start: their stretch starts at 0, and an inactive one's ends at
	 * its last update. */
	("CREATE TABLE household_periods("
	 "  household TEXT NOT NULL, grid TEXT NOT NULL,"
	 "  active_from INTEGER NOT NULL, active_to INTEGER);"
	 "CREATE INDEX household_periods_hh ON household_periods(household, "
	 "active_from);"
	 "CREATE INDEX household_periods_grid ON household_periods(grid);"
	 "INSERT INTO household_periods SELECT id, grid, 0, CASE WHEN active "
	 "THEN NULL ELSE updated_at END FROM households;"
	 "CREATE TRIGGER household_periods_ins AFTER INSERT ON households "
	 "WHEN NEW.active BEGIN "
	 "INSERT INTO household_periods VALUES(NEW.id, NEW.grid, NEW.updated_at, "
	 "NULL); END;"
	 "CREATE TRIGGER household_periods_upd AFTER UPDATE OF grid, active ON "
	 "households WHEN OLD.active IS NOT NEW.active OR OLD.grid IS NOT "
	 "NEW.grid BEGIN "
	 "UPDATE household_periods SET active_to = NEW.updated_at WHERE "
	 "household = NEW.id AND active_to IS NULL;"
	 "INSERT INTO household_periods SELECT NEW.id, NEW.grid, NEW.updated_at, "
	 "NULL WHERE NEW.active; END;"),
	/* v15: the login limiter's failures per address and account
	 * (login_limit.c), in the store so that several central processes on
	 * one store share them; stale_at (when the row can no longer matter)
	 * lets each failure drop the dead rows through an index. */
	("CREATE TABLE login_limits("
	 "  key TEXT PRIMARY KEY, fails INTEGER NOT NULL, blocks INTEGER NOT NULL,"
	 "  first INTEGER NOT NULL, blocked_until INTEGER NOT NULL,"
	 "  stale_at INTEGER NOT NULL);"
	 "CREATE INDEX login_limits_stale ON login_limits(stale_at);"),
	/* v16: a visit undone by the user who recorded it, within a day
	 * (ax_visit_undo): moved here whole from contacts, with who undid it
	 * and when -- kept and logged, never silently deleted, and a record
	 * import of the same id finds it (a duplicate, not stored again) */
	("CREATE TABLE visits_undone("
	 "  id TEXT PRIMARY KEY, household TEXT NOT NULL, pack TEXT,"
	 "  recorded_by TEXT NOT NULL, at INTEGER NOT NULL, received_at INTEGER,"
	 "  body TEXT NOT NULL, undone_by TEXT NOT NULL,"
	 "  undone_at INTEGER NOT NULL);"),
	/* v17: a number's latest opt-out event is the last by time, then by
	 * arrival.  Arrival was SQLite's rowid, which PostgreSQL has not:
	 * seq is the arrival order on both (here the rowid, set by a trigger
	 * when an insert leaves it out -- the importer does -- and kept when a
	 * copy from PostgreSQL brings its own; there an identity column).
	 * Existing events keep their rowid order. */
	("ALTER TABLE optout_events ADD COLUMN seq INTEGER;"
	 "UPDATE optout_events SET seq = rowid;"
	 "CREATE TRIGGER optout_events_seq AFTER INSERT ON optout_events"
	 "  WHEN NEW.seq IS NULL BEGIN"
	 "  UPDATE optout_events SET seq = NEW.rowid WHERE rowid = NEW.rowid;"
	 "  END;"
	 "DROP INDEX optout_events_phone;"
	 "CREATE INDEX optout_events_phone ON optout_events(phone, at, seq);"),
	/* v18: the counted responses with a household, covering all a report
	 * reads of them (metrics.c once_per_period): at 10 M records a county
	 * report read every counted response's row for its day and channel,
	 * 1.3 s of 1.8 s; with this index 0.07 s.  Partial: only counted rows,
	 * a few per household and survey, so small and cheap to keep. */
	("CREATE INDEX responses_counted ON responses(household, survey, wave,"
	 "  day, channel, completed_at, id, region, sat, score, topics)"
	 "  WHERE counted = 1 AND household IS NOT NULL;"),
	/* v19: a household's first and last contact of each kind.  A report's
	 * 入户率 asked of every household whether it has a contact in the
	 * window: one probe of contacts_reach each, at 10 M records 240 ms
	 * of a 280 ms county report on PostgreSQL (a deep index, every probe
	 * a cache miss).  With these rows a window open at either end is
	 * answered from them alone (metrics.c add_reached): reached when
	 * first_at or last_at is in it, not when both lie on one side, and
	 * only a household contacted both before and after it needs the
	 * probe.  Triggers keep the rows on every write to contacts (the
	 * importer, visits undone, copies and merges, a county removed);
	 * contacts are never updated.  A deleted contact at the first or
	 * last time has its row recomputed from those left. */
	("CREATE TABLE household_reach("
	 "  household TEXT NOT NULL, kind TEXT NOT NULL,"
	 "  first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,"
	 "  PRIMARY KEY(household, kind)) WITHOUT ROWID;"
	 "INSERT INTO household_reach SELECT household, kind, MIN(at), MAX(at)"
	 "  FROM contacts GROUP BY household, kind;"
	 "CREATE TRIGGER household_reach_ins AFTER INSERT ON contacts BEGIN"
	 "  INSERT INTO household_reach VALUES(NEW.household, NEW.kind, NEW.at,"
	 "    NEW.at) ON CONFLICT(household, kind) DO UPDATE SET"
	 "    first_at = min(first_at, excluded.first_at),"
	 "    last_at = max(last_at, excluded.last_at)"
	 "    WHERE excluded.first_at < first_at OR excluded.last_at > last_at;"
	 "  END;"
	 "CREATE TRIGGER household_reach_del AFTER DELETE ON contacts BEGIN"
	 "  DELETE FROM household_reach WHERE household = OLD.household AND"
	 "    kind = OLD.kind AND (first_at = OLD.at OR last_at = OLD.at);"
	 "  INSERT INTO household_reach SELECT household, kind, MIN(at), MAX(at)"
	 "    FROM contacts WHERE household = OLD.household AND kind = OLD.kind"
	 "    AND NOT EXISTS (SELECT 1 FROM household_reach WHERE household ="
	 "    OLD.household AND kind = OLD.kind) GROUP BY household, kind;"
	 "  END;"),
	/* v20: a contact's region, its household's grid when it was stored
	 * (the importer writes it).  On PostgreSQL, contacts and responses
	 * are partitioned by county on their region (store_pg.c migration
	 * 11); here a county is its own file, and the column keeps the two
	 * stores' tables alike (a copy moves it either way).  Contacts
	 * stored before have their household's grid of today. */
	("ALTER TABLE contacts ADD COLUMN region TEXT;"
	 "UPDATE contacts SET region = (SELECT grid FROM households h"
	 "  WHERE h.id = contacts.household);"),
};

/* Migrations that rebuild a table others reference (v13 regions): run
 * with PRAGMA foreign_keys off (it cannot change inside a transaction),
 * the rebuilt table's own references checked (foreign_key_check) before
 * their commit.  Not every table's: a store with an old dangling row
 * elsewhere would never migrate, and the rebuild copies rows unchanged. */
static const char *fk_off_migration(int to)
{
	return to == 13 ? "regions" : NULL;
}

int ax__store_migrations_count(void) { return (int)AX_ARRAY_LEN(migrations); }

sqlite3 *ax__store_db(ax_store *st) { return st->db; }

ax_db *ax__store_dbl(ax_store *st) { return st->dbl; }

ax_rc ax__store_dberr(ax_store *st, const char *what)
{
	ax__store_seterr(st, "%s: %s", what, ax_db_errmsg(st->dbl));
	switch (ax_db_errclass(st->dbl)) {
	case AX_DB_ENOMEM: return AX_NOMEM;
	case AX_DB_EBUSY: return AX_BUSY;
	case AX_DB_EFULL: return AX_FULL;
	case AX_DB_EREADONLY: return AX_READONLY;
	case AX_DB_EIO: return AX_IO;
	case AX_DB_ECONSTRAINT: return AX_CONFLICT;
	default: return AX_ERROR;
	}
}

struct sqlite3 *ax_store_sqlite(ax_store *st) { return st->db; }

int ax_store_alive(ax_store *st) { return !st->pg || ax_db_alive(st->dbl); }

const char *ax_store_errmsg(const ax_store *st)
{
	return st ? st->errmsg : "no store";
}

const char *ax_store_path(const ax_store *st) { return st->path; }

void ax__store_seterr(ax_store *st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(st->errmsg, sizeof st->errmsg, fmt, ap);
	va_end(ap);
}

ax_rc ax__store_sqlerr(ax_store *st, int src, const char *what)
{
	int prim = src & 0xFF;

	ax__store_seterr(st, "%s: %s", what, sqlite3_errmsg(st->db));
	switch (prim) {
	case SQLITE_NOMEM: return AX_NOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return AX_BUSY;
	case SQLITE_FULL: return AX_FULL;
	case SQLITE_READONLY: return AX_READONLY;
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN: return AX_IO;
	case SQLITE_CONSTRAINT: return AX_CONFLICT;
	default: return AX_ERROR;
	}
}

/* what a path not yet ported to the statement layer says on PostgreSQL */
static ax_rc not_on_pg(ax_store *st)
{
	ax__store_seterr(st, "not yet on PostgreSQL (issue 19): this operation "
	                     "still needs a SQLite store");
	return AX_ERROR;
}

ax_rc ax__cached(ax_store *st, enum ax__stmt which, const char *sql,
                 sqlite3_stmt **out)
{
	int src;
	if (st->pg) {
		*out = NULL;
		return not_on_pg(st);
	}
	if (!st->cache[which]) {
		src = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
		                         &st->cache[which], NULL);
		if (src != SQLITE_OK) {
			*out = NULL;
			return ax__store_sqlerr(st, src, "prepare");
		}
	}
	sqlite3_reset(st->cache[which]);
	sqlite3_clear_bindings(st->cache[which]);
	*out = st->cache[which];
	return AX_OK;
}

ax_rc ax__prepare(ax_store *st, sqlite3_stmt **stmt, const char *sql)
{
	if (st->pg) {
		*stmt = NULL;
		return not_on_pg(st);
	}
	int src = sqlite3_prepare_v2(st->db, sql, -1, stmt, NULL);
	if (src != SQLITE_OK)
		return ax__store_sqlerr(st, src, "prepare");
	return AX_OK;
}

ax_rc ax__exec(ax_store *st, const char *sql)
{
	if (st->pg)
		return not_on_pg(st);
	int src = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (src != SQLITE_OK)
		return ax__store_sqlerr(st, src, "exec");
	return AX_OK;
}

int ax_store_schema_version(ax_store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (st->pg) /* store_pg.c's own numbering (meta schema_version) */
		return ax__pg_migrations_count();

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL))
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* PRAGMA foreign_key_check(table): AX_CONFLICT naming the first row that
 * references nothing (a table rebuilt with foreign keys off). */
static ax_rc fk_check(ax_store *st, const char *table)
{
	char sql[64];
	sqlite3_stmt *s;
	ax_rc rc;
	int src;

	snprintf(sql, sizeof sql, "PRAGMA foreign_key_check(\"%s\")", table);
	if ((rc = ax__prepare(st, &s, sql)))
		return rc;
	src = sqlite3_step(s);
	if (src == SQLITE_ROW) {
		ax__store_seterr(st, "table %s row %lld references a missing %s",
		                 (const char *)sqlite3_column_text(s, 0),
		                 (long long)sqlite3_column_int64(s, 1),
		                 (const char *)sqlite3_column_text(s, 2));
		rc = AX_CONFLICT;
	} else if (src != SQLITE_DONE) {
		rc = ax__store_sqlerr(st, src, "foreign_key_check");
	}
	sqlite3_finalize(s);
	return rc;
}

/* One migration step from *v (read again under the write lock: another
 * process opening the same file -- anxin-smsd and anxin sync at boot after
 * an upgrade -- may have migrated it while we waited).  STEP_AGAIN when
 * that version needs foreign keys set otherwise than fk_off. */
enum { STEP_APPLIED, STEP_DONE, STEP_AGAIN, STEP_FAILED };

static int migrate_step(ax_store *st, int *v, int target,
                        const char *fk_off, ax_rc *rc)
{
	char sql[64];

	if ((*rc = ax__exec(st, "BEGIN IMMEDIATE")))
		return STEP_FAILED;
	if ((*v = ax_store_schema_version(st)) < 0) {
		*rc = ax__store_sqlerr(st, sqlite3_errcode(st->db), "user_version");
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return STEP_FAILED;
	}
	if (*v >= target || fk_off_migration(*v + 1) != fk_off) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return *v >= target ? STEP_DONE : STEP_AGAIN;
	}
	if ((*rc = ax__exec(st, migrations[*v])) ||
	    (fk_off && (*rc = fk_check(st, fk_off)))) {
		char keep[512];
		memcpy(keep, st->errmsg, sizeof keep);
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		ax__store_seterr(st, "migration to v%d: %s", *v + 1, keep);
		return STEP_FAILED;
	}
	snprintf(sql, sizeof sql, "PRAGMA user_version = %d", *v + 1);
	if ((*rc = ax__exec(st, sql)) || (*rc = ax__exec(st, "COMMIT"))) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return STEP_FAILED;
	}
	AX_LOG(AX_LOG_INFO, "%s: schema migrated to v%d", st->path, *v + 1);
	return STEP_APPLIED;
}

/*
 * Apply migrations until the file is at `target`.  Each step runs in an
 * IMMEDIATE transaction together with its user_version bump.
 */
ax_rc ax__store_migrate(ax_store *st, int target)
{
	int v = ax_store_schema_version(st);
	ax_rc rc = AX_OK;

	if (v < 0)
		return ax__store_sqlerr(st, sqlite3_errcode(st->db), "user_version");
	if (v > (int)AX_ARRAY_LEN(migrations)) {
		ax__store_seterr(st,
		                 "%s: schema version %d is newer than this build "
		                 "(%d); upgrade Anxin",
		                 st->path, v, (int)AX_ARRAY_LEN(migrations));
		return AX_INVALID;
	}
	for (; v < target; v++) {
		const char *fk_off = fk_off_migration(v + 1);
		int step;
		if (fk_off && (rc = ax__exec(st, "PRAGMA foreign_keys=OFF")))
			return rc;
		step = migrate_step(st, &v, target, fk_off, &rc);
		if (fk_off)
			sqlite3_exec(st->db, "PRAGMA foreign_keys=ON", NULL, NULL, NULL);
		if (step == STEP_FAILED)
			return rc;
		if (step == STEP_DONE)
			break;
		if (step == STEP_AGAIN)
			v--; /* v is another process's: take it with its own pragma */
	}
	return AX_OK;
}

/*
 * A PostgreSQL store (issue 19): the statement layer's connection only, no
 * sqlite3 handle.  The paths ported to the layer (db.h) run on it; the
 * others meet ax__prepare/ax__exec's "not yet on PostgreSQL" error.
 * The schema is store_pg.c's, migrated on open.
 */
static ax_rc pg_open(ax_store *st, ax_store **out, char *errbuf, size_t errlen)
{
	char err[512];
	int v;

	if (ax_db_open(st->path, &st->dbl, err, sizeof err) != AX_DB_OK ||
	    ax__pg_migrate(st->dbl, &v, err, sizeof err) != AX_DB_OK) {
		if (errbuf)
			snprintf(errbuf, errlen, "%s", err);
		ax_store_close(st);
		return AX_IO;
	}
	st->pg = 1;
	*out = st;
	return AX_OK;
}

int ax__store_is_pg(const ax_store *st) { return st->pg; }

ax_rc ax__dexec(ax_store *st, const char *sql)
{
	return ax_db_exec(st->dbl, sql) == AX_DB_OK ? AX_OK
	                                            : ax__store_dberr(st, "exec");
}

ax_rc ax__dprepare(ax_store *st, ax_stmt **out, const char *sql)
{
	if (ax_db_prepare(st->dbl, sql, out) != AX_DB_OK)
		return ax__store_dberr(st, "prepare");
	return AX_OK;
}

ax_rc ax__dprepare_buf(ax_store *st, struct ax_buf *b, ax_stmt **out)
{
	ax_rc rc;

	*out = NULL;
	if (b->oom) {
		ax__buf_free(b);
		return AX_NOMEM;
	}
	rc = ax__dprepare(st, out, b->p);
	ax__buf_free(b);
	return rc;
}

/* Open without migrating past `target` (tests build old files with it). */
ax_rc ax__store_open_at(const char *path, int flags, int target,
                        ax_store **out, char *errbuf, size_t errlen)
{
	ax_store *st;
	int oflags, src;
	ax_rc rc = AX_ERROR;

	*out = NULL;
	st = calloc(1, sizeof *st);
	if (!st || !(st->path = strdup(path))) {
		free(st);
		if (errbuf)
			snprintf(errbuf, errlen, "out of memory");
		return AX_NOMEM;
	}
	if (ax_db_is_pg_url(path))
		return pg_open(st, out, errbuf, errlen);
	oflags = (flags & AX_STORE_READONLY)
	             ? SQLITE_OPEN_READONLY
	             : SQLITE_OPEN_READWRITE |
	                   ((flags & AX_STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	src = sqlite3_open_v2(path, &st->db, oflags | SQLITE_OPEN_NOMUTEX, NULL);
	if (src != SQLITE_OK) {
		rc = ax__store_sqlerr(st, src, path);
		goto fail;
	}
	if (ax_db_wrap_sqlite(st->db, &st->dbl) != AX_DB_OK) {
		rc = AX_NOMEM;
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	if (!(flags & AX_STORE_READONLY)) {
		/* WAL: readers (the dashboard) never block the writer (ingest).
		 * FULL: every commit fsyncs the WAL before it returns.  NORMAL
		 * only survives a crash of the process: on power loss, or when
		 * the kernel turns a failing file system read-only, the last
		 * commits are gone -- and central acknowledges a batch right
		 * after its commit, so the device has already let those records
		 * go (e2e.central.disk_full lost an acknowledged batch that way).
		 * One fsync per transaction; imports batch thousands of records
		 * per transaction. */
		if ((rc = ax__exec(st, "PRAGMA journal_mode=WAL")) ||
		    (rc = ax__exec(st, "PRAGMA synchronous=FULL")) ||
		    (rc = ax__exec(st, "PRAGMA cache_size=-65536")) ||
		    (rc = ax__exec(st, "PRAGMA wal_autocheckpoint=8192")))
			goto fail;
	}
	if ((rc = ax__exec(st, "PRAGMA foreign_keys=ON")))
		goto fail;
	if (!(flags & AX_STORE_READONLY) && (rc = ax__store_migrate(st, target)))
		goto fail;
	if ((flags & AX_STORE_READONLY) &&
	    ax_store_schema_version(st) != (int)AX_ARRAY_LEN(migrations)) {
		ax__store_seterr(st, "%s: schema v%d, this build needs v%d; open it "
		                     "read-write once to migrate",
		                 path, ax_store_schema_version(st),
		                 (int)AX_ARRAY_LEN(migrations));
		rc = AX_INVALID;
		goto fail;
	}
	*out = st;
	return AX_OK;
fail:
	if (errbuf)
		snprintf(errbuf, errlen, "%s", st->errmsg);
	ax_store_close(st);
	return rc;
}

ax_rc ax_store_open(const char *path, int flags, ax_store **out, char *errbuf,
                    size_t errlen)
{
	return ax__store_open_at(path, flags, (int)AX_ARRAY_LEN(migrations), out,
	                         errbuf, errlen);
}

void ax_store_close(ax_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < AX__STMT_N; i++)
		sqlite3_finalize(st->cache[i]);
	ax_db_close(st->dbl);
	if (st->db)
		sqlite3_close_v2(st->db);
	free(st->path);
	free(st);
}

/* Transactions through the statement layer: BEGIN IMMEDIATE on SQLite,
 * BEGIN on PostgreSQL. */
ax_rc ax_store_begin(ax_store *st)
{
	return ax_db_begin(st->dbl) == AX_DB_OK ? AX_OK
	                                        : ax__store_dberr(st, "begin");
}

ax_rc ax_store_commit(ax_store *st)
{
	return ax_db_commit(st->dbl) == AX_DB_OK ? AX_OK
	                                         : ax__store_dberr(st, "commit");
}

void ax_store_rollback(ax_store *st)
{
	if (st->pg)
		ax_db_rollback(st->dbl); /* outside a transaction: a warning only */
	else if (!sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}
