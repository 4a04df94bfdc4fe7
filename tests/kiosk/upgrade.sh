#!/bin/sh
# kiosk.upgrade: a store of an older kiosk build (kiosk_sessions and
# kiosk_answers, written by hand here as that build left them) loses
# nothing: on open, a finished session not yet queued goes into the outbox
# with its household contact, one left open by a crash as partial, one
# already queued is only counted; the old tables are dropped; a second
# start adds nothing.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; kiosk_conf "$D"
printf 'expect-screen attract\n' > "$D/s"
run_kiosk "$D" "$D/s" || fail "first start"
A=0b6c2c3e-2f0c-4d7e-9a51-3f1d2b7c9e01 B=0b6c2c3e-2f0c-4d7e-9a51-3f1d2b7c9e02
C=0b6c2c3e-2f0c-4d7e-9a51-3f1d2b7c9e03
SEALED=c2VhbGVkLWJ5LWFuLW9sZGVyLWJ1aWxk
q "$D" "
CREATE TABLE kiosk_sessions(id TEXT PRIMARY KEY, survey TEXT NOT NULL,
 survey_version INTEGER NOT NULL, wave TEXT, started_at INTEGER NOT NULL,
 ended_at INTEGER, status TEXT, sealed TEXT, fast INTEGER NOT NULL DEFAULT 0,
 queued INTEGER NOT NULL DEFAULT 0, pack TEXT);
CREATE TABLE kiosk_answers(session TEXT NOT NULL REFERENCES kiosk_sessions(id),
 qid TEXT NOT NULL, value TEXT NOT NULL, at INTEGER NOT NULL,
 PRIMARY KEY(session, qid));
INSERT INTO kiosk_sessions VALUES
 ('$A', 'satisfaction', 1, NULL, 1714990000, 1714990060, 'complete', '$SEALED', 0, 0, 'anti-fraud'),
 ('$B', 'satisfaction', 1, NULL, 1714991000, NULL, NULL, NULL, 0, 0, NULL),
 ('$C', 'satisfaction', 1, NULL, 1714992000, 1714992050, 'complete', NULL, 0, 1, NULL);
INSERT INTO kiosk_answers VALUES
 ('$A', 'q1', '\"1\"', 1714990010), ('$A', 'q2', '\"2\"', 1714990020),
 ('$A', 'q3', '\"3\"', 1714990030), ('$A', 'q4', '\"4\"', 1714990040),
 ('$A', 'q5', '\"5\"', 1714990045), ('$A', 'q6', '\"1\"', 1714990050),
 ('$A', 'overall', '\"2\"', 1714990055),
 ('$B', 'q1', '\"2\"', 1714991010), ('$B', 'q3', '\"4\"', 1714991020),
 ('$C', 'q1', '\"1\"', 1714992010);"
run_kiosk "$D" "$D/s" || fail "start on the old store"
[ "$(q "$D" 'select count(*) from outbox')" = 3 ] || fail "outbox: $(q "$D" 'select body from outbox')"
a=$(q "$D" "select body from outbox where id = '$A'")
echo "$a" | grep -q '"answers":{"overall":"2","q1":"1","q2":"2","q3":"3","q4":"4","q5":"5","q6":"1"}' || fail "A: $a"
echo "$a" | grep -q '"status":"complete"' || fail "A status: $a"
echo "$a" | grep -q "\"household_phone_sealed\":\"$SEALED\"" || fail "A link: $a"
echo "$a" | grep -q '"started_at":"2024-05-06T18:06:40+08:00"' || fail "A started: $a"
echo "$a" | grep -q '"completed_at":"2024-05-06T18:07:40+08:00"' || fail "A completed: $a"
c=$(q "$D" "select body from outbox where body like '%\"kind\":\"kiosk_session\"%'")
echo "$c" | grep -q "\"pack\":\"anti-fraud\"" || fail "A's contact: $c"
echo "$c" | grep -q "\"household_phone_sealed\":\"$SEALED\"" || fail "A's contact: $c"
b=$(q "$D" "select body from outbox where id = '$B'")
echo "$b" | grep -q '"answers":{"q1":"2","q3":"4"}' || fail "B: $b"
echo "$b" | grep -q '"status":"partial"' || fail "B status: $b"
[ "$(q "$D" "select count(*) from outbox where id = '$C'")" = 0 ] || fail "C was queued before"
[ "$(q "$D" "select count(*) from sqlite_master where name in ('kiosk_sessions', 'kiosk_answers')")" = 0 ] || fail "old tables left"
[ "$(q "$D" "select group_concat(status, ',') from (select status from kiosk_ended order by id)")" = complete,partial,complete ] ||
  fail "counted: $(q "$D" 'select * from kiosk_ended')"
run_kiosk "$D" "$D/s" || fail "second start"
[ "$(q "$D" 'select count(*) from outbox')" = 3 ] || fail "a second start added records"
echo ok
