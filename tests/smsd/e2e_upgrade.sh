#!/bin/sh
# e2e.smsd.upgrade -- an old deployment's gateway.db (the gateway's tables
# in a second file, record lines in its journal waiting for the forwarder)
# moved into the store by the real anxin-smsd --once:
#   - the journal line not yet forwarded reaches the outbox exactly once
#     (also when the move is replayed: a crash after its commit, before the
#     rename, leaves the file behind; the store's mark makes that a rename);
#   - the live conversation continues (E1's reply answers its question);
#   - the pending queue row is sent once;
#   - gateway.db is renamed gateway.db.migrated; --status never makes one;
#   - a store whose conv table has the rowid layout of the first single-store
#     gateways (PRIMARY KEY(campaign, household)) gets the WITHOUT ROWID
#     layout with every row and its indexes, and goes on;
#   - conv gets its asked_sent column (0 on old rows: E1's reply is checked
#     against the queue, as before the column).
#
# usage: e2e_upgrade.sh ANXIN_SMSD ANXIN_CLI
set -eu
SMSD=$1
CLI=$2
T=$(mktemp -d /tmp/anxin-e2e-upgrade-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { sqlite3 -cmd '.timeout 5000' "$1" "$2"; }

. "$(dirname "$0")/daemon_lib.sh"
smsd_roster
smsd_store "$T/anxin.db"
CAMP=$(q "$T/anxin.db" "SELECT id FROM campaigns")
NOW=1772416800   # 2026-03-02 10:00 China time
echo $NOW > "$T/clock"
mkdir -p "$T/m0/sms/1"   # the dummy modem's inbox folder
smsd_conf "gateway_db = $T/gateway.db"

# ---- the old layout, as the previous anxin-smsd left it -----------------
q "$T/gateway.db" "PRAGMA journal_mode=WAL;
CREATE TABLE inbox(id INTEGER PRIMARY KEY, dedup TEXT NOT NULL UNIQUE, modem TEXT,
 phone TEXT NOT NULL, smsc_time INTEGER, received_at INTEGER NOT NULL,
 parts INTEGER, text TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new',
 household TEXT, seen INTEGER NOT NULL DEFAULT 1);
CREATE TABLE conv(campaign TEXT NOT NULL, household TEXT NOT NULL, phone TEXT NOT NULL,
 region TEXT, survey TEXT, survey_version INTEGER, wave TEXT,
 response_id TEXT NOT NULL, status TEXT NOT NULL, qidx INTEGER,
 attempts INTEGER, reminded INTEGER, started_at INTEGER,
 asked_at INTEGER, reminded_at INTEGER, updated_at INTEGER,
 answers TEXT, skipped TEXT, due INTEGER, PRIMARY KEY(campaign, household));
CREATE TABLE queue(id INTEGER PRIMARY KEY, phone TEXT NOT NULL, household TEXT,
 campaign TEXT, pack TEXT, kind TEXT NOT NULL, text TEXT NOT NULL,
 created_at INTEGER NOT NULL, not_before INTEGER NOT NULL DEFAULT 0,
 quiet_start INTEGER, quiet_end INTEGER, pace INTEGER, cap INTEGER,
 state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER DEFAULT 0,
 modem TEXT, claimed_at INTEGER, sent_day INTEGER, sent_at INTEGER,
 ref INTEGER, parts INTEGER, delivered_at INTEGER, error TEXT);
CREATE TABLE optout(phone TEXT PRIMARY KEY, at INTEGER, source TEXT);
CREATE TABLE journal(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, body TEXT NOT NULL,
 created_at INTEGER, forwarded INTEGER NOT NULL DEFAULT 0);
CREATE TABLE reports(id INTEGER PRIMARY KEY, dedup TEXT UNIQUE, modem TEXT, phone TEXT,
 ref INTEGER, status INTEGER, at INTEGER, matched INTEGER DEFAULT 0);
CREATE TABLE digests(campaign TEXT NOT NULL, household TEXT NOT NULL, pack TEXT NOT NULL,
 digest TEXT NOT NULL, phone TEXT NOT NULL, queue_id INTEGER,
 queued_at INTEGER, PRIMARY KEY(campaign, household, pack, digest));
CREATE TABLE modems(name TEXT PRIMARY KEY, connected INTEGER, signal INTEGER,
 last_error TEXT, updated_at INTEGER);
INSERT INTO conv VALUES('$CAMP', 'E1', '+8613800000011', '439901101201001',
 'satisfaction', 1, '$CAMP', 'r-e1', 'asking', 0, 1, 0, $((NOW - 600)),
 $((NOW - 600)), 0, $((NOW - 600)), '', '', $((NOW + 86400)));
INSERT INTO queue(id, phone, household, campaign, kind, text, created_at,
 quiet_start, quiet_end, pace, cap, state, modem, sent_day, sent_at)
 VALUES(7, '+8613800000011', 'E1', '$CAMP', 'intro', 'OLD-SENT-INTRO',
 $((NOW - 600)), 0, 0, 100, 100, 'sent', 'gammu', 20514, $((NOW - 590)));
INSERT INTO queue(id, phone, household, campaign, kind, text, created_at,
 quiet_start, quiet_end, pace, cap)
 VALUES(8, '+8613800000011', 'E1', '$CAMP', 'question', 'OLD-PENDING-Q1',
 $((NOW - 600)), 0, 0, 100, 100);
INSERT INTO journal(id, body, created_at, forwarded) VALUES('c-old-fwd',
 '{\"id\":\"c-old-fwd\",\"type\":\"contact\",\"household\":\"E1\",\"kind\":\"sms_sent\"}', $NOW, 1);
INSERT INTO journal(id, body, created_at) VALUES('c-old-unfwd',
 '{\"id\":\"c-old-unfwd\",\"type\":\"contact\",\"household\":\"E1\",\"kind\":\"sms_sent\"}', $NOW);" >/dev/null

# --status before the first run reads the old file, creates nothing
"$SMSD" --config "$T/smsd.conf" --status > "$T/status" || fail "--status before the upgrade"
grep -q 'conversations: 1 asking' "$T/status" || fail "--status: $(cat "$T/status")"
[ -e "$T/gateway.db" ] && [ ! -e "$T/gateway.db.migrated" ] || fail "--status moved files"

# E1 answers the old question "1" (知道), as the modem stores it
smsd_reply_e1
"$SMSD" --config "$T/smsd.conf" --once 2> "$T/log1" || fail "--once: $(cat "$T/log1")"
grep -q 'moved into the store' "$T/log1" || fail "no upgrade line in the log"
[ ! -e "$T/gateway.db" ] && [ -e "$T/gateway.db.migrated" ] || fail "gateway.db not renamed"
S=$T/anxin.db
[ "$(q "$S" "SELECT COUNT(*) FROM outbox WHERE id = 'c-old-unfwd'")" -eq 1 ] ||
	fail "the unforwarded journal line is not in the outbox once"
[ "$(q "$S" "SELECT COUNT(*) FROM outbox WHERE id = 'c-old-fwd'")" -eq 0 ] ||
	fail "a forwarded journal line was put again"
[ "$(q "$S" "SELECT qidx FROM conv WHERE household = 'E1'")" -eq 1 ] ||
	fail "E1's conversation did not take the reply: $(q "$S" "SELECT * FROM conv")"
[ "$(q "$S" "SELECT COUNT(*) FROM conv")" -eq 2 ] || fail "E2 not started beside E1"
[ "$(q "$S" "SELECT COUNT(*) FROM pragma_table_info('conv') WHERE name = 'asked_sent'")" -eq 1 ] ||
	fail "conv has no asked_sent column after the upgrade"
[ "$(grep -c OLD-PENDING-Q1 "$T/sent.jsonl")" -eq 1 ] || fail "the pending row not sent once"
grep -q OLD-SENT-INTRO "$T/sent.jsonl" && fail "an old sent row was sent again"

# a crash after the move's commit, before the rename: the file is back
cp "$T/gateway.db.migrated" "$T/gateway.db"
"$SMSD" --config "$T/smsd.conf" --once 2> "$T/log2" || fail "--once again: $(cat "$T/log2")"
grep -q 'moved into the store' "$T/log2" && fail "the move ran twice"
[ ! -e "$T/gateway.db" ] || fail "gateway.db not renamed on the replay"
[ "$(q "$S" "SELECT COUNT(*) FROM outbox WHERE id = 'c-old-unfwd'")" -eq 1 ] ||
	fail "the journal line doubled"
[ "$(q "$S" "SELECT COUNT(*) FROM queue WHERE text = 'OLD-PENDING-Q1'")" -eq 1 ] ||
	fail "the queue row doubled"
[ "$(grep -c OLD-PENDING-Q1 "$T/sent.jsonl")" -eq 1 ] || fail "the pending row sent twice"
# the conversation goes on: E1's next question went out
[ "$(q "$S" "SELECT COUNT(*) FROM queue WHERE household = 'E1' AND state = 'sent'")" -eq 3 ] ||
	fail "E1's next question not sent: $(q "$S" "SELECT id, kind, state FROM queue")"
"$SMSD" --config "$T/smsd.conf" --status > "$T/status" || fail "--status after"
grep -q 'conversations: 2 asking' "$T/status" || fail "--status after: $(cat "$T/status")"

# ---- conv in the rowid layout of the first single-store gateways --------
E1=$(q "$S" "SELECT campaign, phone, response_id, status, qidx, answers, due FROM conv
 WHERE household = 'E1'")
q "$S" "BEGIN; DROP INDEX IF EXISTS conv_campaign; DROP INDEX IF EXISTS conv_due;
ALTER TABLE conv RENAME TO conv_new;
CREATE TABLE conv(campaign TEXT NOT NULL, household TEXT NOT NULL, phone TEXT NOT NULL,
 region TEXT, survey TEXT, survey_version INTEGER, wave TEXT,
 response_id TEXT NOT NULL, status TEXT NOT NULL, qidx INTEGER,
 attempts INTEGER, reminded INTEGER, started_at INTEGER,
 asked_at INTEGER, reminded_at INTEGER, updated_at INTEGER,
 answers TEXT, skipped TEXT, due INTEGER, PRIMARY KEY(campaign, household));
INSERT INTO conv SELECT campaign, household, phone, region, survey, survey_version,
 wave, response_id, status, qidx, attempts, reminded, started_at, asked_at,
 reminded_at, updated_at, answers, skipped, due FROM conv_new;
DROP TABLE conv_new; CREATE INDEX conv_hh ON conv(household);
CREATE INDEX conv_due ON conv(status, due); COMMIT;" >/dev/null
q "$S" "SELECT sql FROM sqlite_master WHERE name = 'conv'" | grep -q 'WITHOUT ROWID' &&
	fail "the old layout was not made"
"$SMSD" --config "$T/smsd.conf" --once 2> "$T/log3" || fail "--once on the old conv: $(cat "$T/log3")"
q "$S" "SELECT sql FROM sqlite_master WHERE name = 'conv'" | grep -q 'WITHOUT ROWID' ||
	fail "conv not rebuilt: $(q "$S" "SELECT sql FROM sqlite_master WHERE name = 'conv'")"
[ "$(q "$S" "SELECT COUNT(*) FROM conv")" -eq 2 ] || fail "conv rows lost in the rebuild"
[ "$(q "$S" "SELECT campaign, phone, response_id, status, qidx, answers, due FROM conv
 WHERE household = 'E1'")" = "$E1" ] || fail "E1's conversation changed in the rebuild"
[ "$(q "$S" "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master
 WHERE type = 'index' AND tbl_name = 'conv' AND name NOT LIKE 'sqlite_%' ORDER BY name)")" = \
	"conv_campaign conv_due conv_phone" ] || fail "conv's indexes: $(q "$S" "SELECT name FROM sqlite_master WHERE tbl_name = 'conv'")"
[ "$(q "$S" "PRAGMA integrity_check")" = ok ] || fail "integrity_check after the rebuild"
echo "e2e.smsd.upgrade: ok"
