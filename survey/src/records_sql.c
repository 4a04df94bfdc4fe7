/*
 * records_sql.c -- the importer's statements (records.c prepares them
 * once per importer; pg.importer_sql prepares each on PostgreSQL).
 */
#include <stddef.h>

#include "anxin_int.h"
#include "records_int.h"

/* The importer's statements, in the SQL both stores speak (db.h): ON
 * CONFLICT with its target and the table named in the SET, no INSERT OR
 * IGNORE; pg.importer_sql prepares each on PostgreSQL's schema.  A new
 * response or contact is ON CONFLICT DO NOTHING without a target: on
 * PostgreSQL their tables are partitioned by region (store_pg.c,
 * migration 11), their keys (id, region), and the id alone is unique in
 * response_ids / contact_ids, whose trigger skips a row whose id is
 * there -- as the key on id skips it on SQLite. */
static const char *const stmt_sql[S_NSTMT] = {
	[S_INS_RESP] =
	    "INSERT INTO responses(id, survey, survey_version, wave, "
	    "channel, device, household, region, started_at, completed_at, "
	    "status, counted, day, sat, score, body, received_at, topics) "
	    "VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?18,?12,?13,?14,?15,?16,?17) "
	    "ON CONFLICT DO NOTHING",
	[S_GET_RESP] = "SELECT body FROM responses WHERE id = ?",
	[S_HH] = "SELECT grid FROM households WHERE id = ?",
	[S_REGION] = "SELECT level FROM regions WHERE code = ?",
	[S_COUNTED] =
	    "SELECT id, completed_at, region, channel, day, sat, score, topics FROM "
	    "responses WHERE household = ? AND survey = ? AND wave = ? AND "
	    "counted = 1",
	[S_SET_COUNTED] = "UPDATE responses SET counted = ? WHERE id = ?",
	/* never back in once undone (visits_undone, v16) */
	[S_INS_CONTACT] =
	    "INSERT INTO contacts(id, household, channel, kind, pack, "
	    "device, at, body, received_at, region) SELECT ?1, ?2, ?3, ?4, ?5, "
	    "?6, CAST(?7 AS BIGINT), ?8, CAST(?9 AS BIGINT), ?10 WHERE NOT EXISTS "
	    "(SELECT 1 FROM visits_undone WHERE id = ?1) ON CONFLICT DO NOTHING",
	/* a visit undone (visits_undone) is found too: sent again, it is a
	 * duplicate, never stored back */
	[S_GET_CONTACT] = "SELECT body FROM contacts WHERE id = ?1 UNION ALL "
	                  "SELECT body FROM visits_undone WHERE id = ?1",
	[S_INS_CONFLICT] =
	    "INSERT INTO conflicts(id, type, body, source, received_at) "
	    "VALUES(?,?,?,?,?)",
	[S_TALLY] =
	    "INSERT INTO tally(region, survey, wave, channel, day, metric, den, "
	    "num, score) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(day, region, "
	    "survey, wave, channel, metric) DO UPDATE SET "
	    "den = tally.den + excluded.den, num = tally.num + excluded.num, "
	    "score = tally.score + excluded.score",
	[S_TALLY_TOTAL] =
	    "INSERT INTO tally_total(region, survey, wave, channel, metric, den, "
	    "num, score) VALUES(?1,?2,?3,?4,?6,?7,?8,?9) ON CONFLICT(region, "
	    "survey, wave, channel, metric) DO UPDATE SET "
	    "den = tally_total.den + excluded.den, "
	    "num = tally_total.num + excluded.num, "
	    "score = tally_total.score + excluded.score",
	/* every campaign, once per transaction (records_camp.c) */
	[S_CAMPAIGNS] = "SELECT survey, wave, scope, starts_at, ends_at, closed_at "
	                "FROM campaigns",
	[S_INS_OPTOUT] =
	    "INSERT INTO optout_events(id, phone, action, device, "
	    "by_user, source, at, body, received_at) VALUES(?,?,?,?,?,?,?,?,?) "
	    "ON CONFLICT(id) DO NOTHING",
	[S_GET_OPTOUT] = "SELECT body FROM optout_events WHERE id = ?",
	[S_PHONE_HH] =
	    "SELECT h.id, h.grid FROM household_phones p JOIN households h ON "
	    "h.id = p.household WHERE p.phone = ? ORDER BY h.id",
	/* changes whenever a survey version is installed (no rowid on
	 * PostgreSQL: the count, the latest install and the texts' size) */
	[S_SURVEYS_FP] =
	    "SELECT COUNT(*), COALESCE(MAX(installed_at), 0), "
	    "COALESCE(SUM(LENGTH(json)), 0) FROM surveys",
};



const char *ax__importer_sql(int i)
{
	return i >= 0 && i < S_NSTMT ? stmt_sql[i] : NULL;
}
