/*
 * funnel.c -- campaign funnels and the region/household look-ups of the
 * staff dashboard.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "anxin/auth.h"
#include "anxin/clock.h"
#include "anxin/funnel.h"
#include "anxin/records.h"
#include "anxin_int.h"
#include "db.h"
#include "ratedef_int.h"

/* Households of a region are those whose grid code starts with the
 * region's significant prefix (province 2 digits, city 4, county 6,
 * township 9, village 12, grid all), as ax_region_covers decides.  As a range on households.grid
 * that is [prefix, prefix with its last digit + 1), which the
 * households_grid index serves. */
static int prefix_range(const char *code, char lo[24], char hi[24])
{
	return ax__code_range(code, ax__region_prefix_len(code), lo, hi);
}

ax_rc ax_funnel_build(ax_store *st, const struct ax_campaign *c,
                      const char *region, struct ax_funnel *out)
{
	/* One row per grid: the campaign's scope is a list of codes, checked
	 * per grid in C (a few hundred grids) rather than spelled in SQL.
	 * Each household gets its evidence flags once; the stages are then
	 * cumulative (any later stage implies the earlier ones).  A reply is
	 * an sms_replied contact or an answer; an SMS response record alone
	 * is not one: gateways before gw_flow_close wrote an "abandoned" record for
	 * every household that never replied.  An answer is an SMS response
	 * with at least one question answered (partial or complete).  The
	 * households are the roster as it stood for the campaign
	 * (AX__CAMPAIGN_ROSTER): active at some time in its window.  The flags
	 * are EXISTS: integers on SQLite, booleans on PostgreSQL, which sums
	 * neither a boolean nor `AND` of integers, so each stage is a CASE. */
#define STAGE(cond) "SUM(CASE WHEN " cond " THEN 1 ELSE 0 END)"
	/* a closed campaign's figures freeze: evidence that arrived after its
	 * close (?7; no limit while open) is 晚到, counted apart (lat).
	 * Counted responses never are late (the importer sets those aside). */
#define ARRIVED(t) "(" t ".received_at IS NULL OR " t ".received_at <= ?7)"
	static const char sql[] =
	    "SELECT grid, COUNT(*), " STAGE("ph") ", "
	    STAGE("ph AND (snt OR dlv OR rpl OR ans OR cmp)") ", "
	    STAGE("ph AND (dlv OR rpl OR ans OR cmp)") ", "
	    STAGE("ph AND (rpl OR ans OR cmp)") ", " STAGE("ph AND (ans OR cmp)")
	    ", " STAGE("ph AND cmp") ", " STAGE("cany") ", " STAGE("lat") " "
	    "FROM (SELECT h.grid, "
	    "EXISTS(SELECT 1 FROM household_phones p WHERE p.household = h.id) AS ph, "
	    "EXISTS(SELECT 1 FROM contacts c WHERE c.household = h.id AND c.kind = "
	    "'sms_sent' AND c.at >= ?1 AND c.at < ?2 "
	    "AND " ARRIVED("c") ") AS snt, "
	    "EXISTS(SELECT 1 FROM contacts c WHERE c.household = h.id AND c.kind = "
	    "'sms_delivered' AND c.at >= ?1 AND c.at < ?2 "
	    "AND " ARRIVED("c") ") AS dlv, "
	    "EXISTS(SELECT 1 FROM contacts c WHERE c.household = h.id AND c.kind = "
	    "'sms_replied' AND c.at >= ?1 AND c.at < ?2 "
	    "AND " ARRIVED("c") ") AS rpl, "
	    "EXISTS(SELECT 1 FROM responses r WHERE r.household = h.id AND r.survey "
	    "= ?3 AND r.wave = ?4 AND r.channel = 'sms' AND r.status IN ('partial', "
	    "'complete') AND " ARRIVED("r") ") AS ans, "
	    "EXISTS(SELECT 1 FROM responses r WHERE r.household = h.id AND r.survey "
	    "= ?3 AND r.wave = ?4 AND r.channel = 'sms' AND r.counted = 1 AND r.status "
	    "= 'complete') AS cmp, "
	    "EXISTS(SELECT 1 FROM responses r WHERE r.household = h.id AND r.survey "
	    "= ?3 AND r.wave = ?4 AND r.counted = 1 AND r.status = 'complete') AS cany, "
	    "EXISTS(SELECT 1 FROM responses r WHERE r.household = h.id AND r.survey "
	    "= ?3 AND r.wave = ?4 AND r.received_at > ?7) AS lat "
	    "FROM (" AX__CAMPAIGN_ROSTER("p.grid >= ?5 AND p.grid < ?6") ") h) f "
	    "GROUP BY grid";
#undef STAGE
#undef ARRIVED
	ax_stmt *s;
	char lo[24], hi[24];
	int src;
	ax_rc rc;

	memset(out, 0, sizeof *out);
	if (!region) {
		/* the whole scope: every household, filtered per grid below */
		snprintf(lo, sizeof lo, "0");
		snprintf(hi, sizeof hi, ":");
	} else if (prefix_range(region, lo, hi)) {
		ax__store_seterr(st, "funnel: \"%s\" is not a region code", region);
		return AX_NOTFOUND;
	}
	if ((rc = ax__dprepare(st, &s, sql)))
		return rc;
	ax_stmt_bind_int64(s, 1, c->starts_at);
	ax_stmt_bind_int64(s, 2, c->ends_at);
	/* outreach-only campaigns: no survey, so nothing can match */
	ax_stmt_bind_text(s, 3, c->survey);
	ax_stmt_bind_text(s, 4, c->wave);
	ax_stmt_bind_text(s, 5, lo);
	ax_stmt_bind_text(s, 6, hi);
	ax_stmt_bind_int64(s, 7, c->closed_at > 0 ? c->closed_at : INT64_MAX);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		const char *grid = ax_stmt_text(s, 0);
		if (!grid || !ax_scope_covers(c->scope, grid))
			continue;
		out->households += ax_stmt_int64(s, 1);
		out->targeted += ax_stmt_int64(s, 2);
		out->sent += ax_stmt_int64(s, 3);
		out->delivered += ax_stmt_int64(s, 4);
		out->replied += ax_stmt_int64(s, 5);
		out->answered += ax_stmt_int64(s, 6);
		out->completed += ax_stmt_int64(s, 7);
		out->completed_any += ax_stmt_int64(s, 8);
		out->late += ax_stmt_int64(s, 9);
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "funnel");
	ax_stmt_finalize(s);
	if (rc) {
		memset(out, 0, sizeof *out);
		return rc;
	}
	if (!c->survey[0])
		out->answered = out->completed = out->completed_any = 0;
	return AX_OK;
}

ax_rc ax_trend_weeks(ax_store *st, const char *region, const char *survey,
                     const char *channel, const char *to, int nweeks,
                     struct ax_trend_week *out)
{
	/* 日常监测 only, as ax_report_build without a wave: a sampled 测评
	 * campaign's answers are never summed into the monitoring trend.
	 * tally is keyed (day, region, …): one seek per day of the window
	 * into the region's range, instead of reading every region's rows of
	 * those weeks (the whole county's, for a grid's trend) */
	static const char fmt[] =
	    "WITH RECURSIVE d(day) AS (SELECT CAST(?3 AS INTEGER) UNION ALL "
	    "SELECT day + 1 FROM d WHERE day < ?4) SELECT t.day, t.metric, "
	    "SUM(t.den), SUM(t.num), t.survey FROM d "
	    "CROSS JOIN tally t WHERE t.day = d.day AND t.region >= ?1 AND t.region "
	    "< ?2 AND (CAST(?5 AS TEXT) IS NULL OR t.survey = ?5) AND "
	    "(CAST(?6 AS TEXT) IS NULL OR t.channel = ?6) AND %s "
	    "GROUP BY t.day, t.survey, t.metric";
	struct ax__defs defs;
	struct ax_region g;
	ax_stmt *s;
	char lo[24], hi[24], sql[700];
	int end, first, src;
	ax_rc rc;

	if (nweeks < 1 || nweeks > 104) {
		ax__store_seterr(st, "trend: %d weeks is not 1 to 104", nweeks);
		return AX_INVALID;
	}
	if (to && ax__day_parse(to, &end)) {
		ax__store_seterr(st, "trend: \"%s\" is not a date YYYY-MM-DD", to);
		return AX_INVALID;
	}
	if (!to)
		end = ax__cst_day((int64_t)time(NULL));
	if ((rc = ax_region_get(st, region, &g)))
		return rc;
	if (prefix_range(region, lo, hi)) {
		ax__store_seterr(st, "trend: \"%s\" is not a region code", region);
		return AX_NOTFOUND;
	}
	/* day 0 (1970-01-01) was a Thursday: (day + 3) mod 7 is 0 on Mondays */
	first = end - (((end + 3) % 7) + 7) % 7 - 7 * (nweeks - 1);
	memset(out, 0, sizeof *out * (size_t)nweeks);
	for (int i = 0; i < nweeks; i++) {
		time_t t = (time_t)(first + 7 * i) * 86400;
		struct tm tm;
		char w[4];
		ax__day_format(first + 7 * i, out[i].from, sizeof out[i].from);
		ax__day_format(first + 7 * i + 6, out[i].to, sizeof out[i].to);
		gmtime_r(&t, &tm);
		strftime(w, sizeof w, "%V", &tm);
		out[i].isoweek = atoi(w);
	}
	/* which surveys' 满意度 is the headline: one survey's is its own, no
	 * content needed; else the definitions (a content load) */
	memset(&defs, 0, sizeof defs);
	defs.one_survey = 1;
	if (!survey && (rc = ax__defs_load(st, NULL, &defs))) {
		ax__defs_free(&defs);
		return rc;
	}
	/* before v9 there are no sampled campaigns, nor the column to ask
	 * (PostgreSQL's schema starts at v12) */
	snprintf(sql, sizeof sql, fmt,
	         !ax__store_is_pg(st) && ax_store_schema_version(st) < 9
	             ? "1 = 1"
	             : "t.wave NOT IN (SELECT wave FROM campaigns WHERE sample_n > 0)");
	if ((rc = ax__dprepare(st, &s, sql))) {
		ax__defs_free(&defs);
		return rc;
	}
	ax_stmt_bind_text(s, 1, lo);
	ax_stmt_bind_text(s, 2, hi);
	ax_stmt_bind_int64(s, 3, first);
	ax_stmt_bind_int64(s, 4, first + 7 * nweeks - 1);
	ax_stmt_bind_text(s, 5, survey); /* NULL binds NULL */
	ax_stmt_bind_text(s, 6, channel);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		struct ax_trend_week *w = &out[(ax_stmt_int64(s, 0) - first) / 7];
		const char *metric = ax_stmt_text(s, 1);
		long long den = ax_stmt_int64(s, 2), num = ax_stmt_int64(s, 3);
		if (strcmp(metric, "resp") == 0) {
			w->respondents += den;
		} else if (strcmp(metric, "sat") == 0) {
			/* the headline 满意度 only: never a differently defined one */
			if (!ax__defs_headline(&defs, ax_stmt_text(s, 4)))
				continue;
			w->sat_den += den;
			w->sat_num += num;
		} else if (strncmp(metric, "aw:", 3) == 0) {
			w->aw_den += den;
			w->aw_num += num;
		}
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "trend");
	ax_stmt_finalize(s);
	ax__defs_free(&defs);
	return rc;
}

/* A campaign's coverage by week (ax_coverage_weeks with camp): each
 * household of its roster in [lo, hi) and its scope, with its first
 * qualifying contact in [start, end) received by the close. */
static ax_rc camp_weeks(ax_store *st, const struct ax_campaign *camp,
                        int kinds, const char *lo, const char *hi,
                        int64_t start, int64_t end, int first, int nweeks,
                        long long *households, long long *reached)
{
	struct ax_buf b = {0};
	ax_stmt *s;
	int src;
	ax_rc rc;

	ax__buf_puts(&b, "SELECT h.grid, (SELECT MIN(c.at) FROM contacts c WHERE "
	                 "c.household = h.id AND c.at >= ?5 AND c.at < ?6 AND "
	                 "(c.received_at IS NULL OR c.received_at <= ?7) AND ");
	ax__buf_kinds_in(&b, kinds, "c.kind");
	ax__buf_puts(&b, ") FROM (" AX__CAMPAIGN_ROSTER("p.grid >= ?3 AND p.grid < ?4")
	                 ") h");
	if ((rc = ax__dprepare_buf(st, &b, &s)))
		return rc;
	ax_stmt_bind_int64(s, 1, camp->starts_at);
	ax_stmt_bind_int64(s, 2, camp->ends_at);
	ax_stmt_bind_text(s, 3, lo);
	ax_stmt_bind_text(s, 4, hi);
	ax_stmt_bind_int64(s, 5, start);
	ax_stmt_bind_int64(s, 6, end);
	ax_stmt_bind_int64(s, 7, camp->closed_at > 0 ? camp->closed_at : INT64_MAX);
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		int day;
		if (!ax_scope_covers(camp->scope, ax_stmt_text(s, 0)))
			continue;
		(*households)++;
		if (ax_stmt_is_null(s, 1))
			continue;
		day = ax__cst_day(ax_stmt_int64(s, 1));
		for (int i = day < first ? 0 : (day - first) / 7; i < nweeks; i++)
			reached[i]++;
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "coverage");
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_coverage_weeks(ax_store *st, const char *region, int kinds,
                        const char *from, const char *to, int nweeks,
                        const struct ax_campaign *camp,
                        long long *households, long long *reached)
{
	struct ax_buf b = {0};
	struct ax_region g;
	ax_stmt *s;
	char lo[24], hi[24];
	int end, first, start, src;
	ax_rc rc;

	*households = 0;
	if (nweeks < 1 || nweeks > 104) {
		ax__store_seterr(st, "coverage: %d weeks is not 1 to 104", nweeks);
		return AX_INVALID;
	}
	if ((to && ax__day_parse(to, &end)) || (from && ax__day_parse(from, &start))) {
		ax__store_seterr(st, "coverage: \"%s\" is not a date YYYY-MM-DD",
		                 to && ax__day_parse(to, &end) ? to : from);
		return AX_INVALID;
	}
	if (!to)
		end = ax__cst_day((int64_t)time(NULL));
	if ((rc = ax_region_get(st, region, &g)))
		return rc;
	if (prefix_range(region, lo, hi)) {
		ax__store_seterr(st, "coverage: \"%s\" is not a region code", region);
		return AX_NOTFOUND;
	}
	/* the Monday of the first week, as ax_trend_weeks */
	first = end - (((end + 3) % 7) + 7) % 7 - 7 * (nweeks - 1);
	if (!from)
		start = first;
	memset(reached, 0, sizeof *reached * (size_t)nweeks);
	if (!kinds)
		kinds = camp && camp->coverage_kinds ? camp->coverage_kinds
		                                     : AX_CK_DEFAULT;
	if (camp) {
		/* from the campaign's start, or `from` when later */
		int64_t t0 = from ? (int64_t)ax_day_start(start) : camp->starts_at,
		        t1 = (int64_t)ax_day_start(first + 7 * nweeks);
		return camp_weeks(st, camp, kinds, lo, hi,
		                  t0 > camp->starts_at ? t0 : camp->starts_at,
		                  t1 < camp->ends_at ? t1 : camp->ends_at, first,
		                  nweeks, households, reached);
	}
	if ((rc = ax__dprepare(st, &s, "SELECT COUNT(*) FROM households WHERE "
	                               "active = 1 AND grid >= ? AND grid < ?")))
		return rc;
	ax_stmt_bind_text(s, 1, lo);
	ax_stmt_bind_text(s, 2, hi);
	if ((src = ax_stmt_step(s)) == AX_DB_ROW)
		*households = ax_stmt_int64(s, 0);
	ax_stmt_finalize(s);
	if (src != AX_DB_ROW)
		return ax__store_dberr(st, "coverage");
	/* each household's first qualifying contact from `start` on: probes
	 * of contacts_reach (household, kind, at) per household of the
	 * region, not a scan of the window's contacts (a grid of 113
	 * households among 20,000: 35 -> 0.7 ms; the county 43 ms) */
	ax__buf_puts(&b, "SELECT f FROM (SELECT (SELECT MIN(c.at) FROM contacts c "
	                 "WHERE c.household = h.id AND c.at >= ?3 AND c.at < ?4 AND ");
	ax__buf_kinds_in(&b, kinds, "c.kind");
	ax__buf_puts(&b, ") AS f FROM households h WHERE h.active = 1 AND h.grid "
	                 ">= ?1 AND h.grid < ?2) x WHERE f IS NOT NULL");
	if ((rc = ax__dprepare_buf(st, &b, &s)))
		return rc;
	ax_stmt_bind_text(s, 1, lo);
	ax_stmt_bind_text(s, 2, hi);
	ax_stmt_bind_int64(s, 3, (int64_t)ax_day_start(start));
	ax_stmt_bind_int64(s, 4, (int64_t)ax_day_start(first + 7 * nweeks));
	while ((src = ax_stmt_step(s)) == AX_DB_ROW) {
		int day = ax__cst_day(ax_stmt_int64(s, 0));
		/* counted in its week and every later one */
		for (int i = day < first ? 0 : (day - first) / 7; i < nweeks; i++)
			reached[i]++;
	}
	rc = src == AX_DB_DONE ? AX_OK : ax__store_dberr(st, "coverage");
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_region_get(ax_store *st, const char *code, struct ax_region *out)
{
	ax_stmt *s;
	int src;
	ax_rc rc;

	memset(out, 0, sizeof *out);
	if ((rc = ax__dprepare(st, &s, "SELECT code, name, level, parent FROM "
	                               "regions WHERE code = ?")))
		return rc;
	ax_stmt_bind_text(s, 1, code);
	src = ax_stmt_step(s);
	if (src == AX_DB_ROW) {
		const char *p = ax_stmt_text(s, 3);
		snprintf(out->code, sizeof out->code, "%s", ax_stmt_text(s, 0));
		snprintf(out->name, sizeof out->name, "%s", ax_stmt_text(s, 1));
		out->level = (int)ax_stmt_int64(s, 2);
		snprintf(out->parent, sizeof out->parent, "%s", p ? p : "");
		rc = AX_OK;
	} else if (src == AX_DB_DONE) {
		ax__store_seterr(st, "region %s is not a known region code", code);
		rc = AX_NOTFOUND;
	} else {
		rc = ax__store_dberr(st, "region");
	}
	ax_stmt_finalize(s);
	return rc;
}

ax_rc ax_household_region(ax_store *st, const char *household, char grid[24],
                          int *active)
{
	ax_stmt *s;
	int src;
	ax_rc rc;

	grid[0] = '\0';
	if ((rc = ax__dprepare(st, &s, "SELECT grid, active FROM households "
	                               "WHERE id = ?")))
		return rc;
	ax_stmt_bind_text(s, 1, household);
	src = ax_stmt_step(s);
	if (src == AX_DB_ROW) {
		snprintf(grid, 24, "%s", ax_stmt_text(s, 0));
		if (active)
			*active = (int)ax_stmt_int64(s, 1);
		rc = AX_OK;
	} else if (src == AX_DB_DONE) {
		ax__store_seterr(st, "household %s is not in the roster", household);
		rc = AX_NOTFOUND;
	} else {
		rc = ax__store_dberr(st, "household");
	}
	ax_stmt_finalize(s);
	return rc;
}
