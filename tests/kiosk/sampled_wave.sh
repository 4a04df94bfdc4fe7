#!/bin/sh
# kiosk.sampled_wave: the synced campaigns document lists a sampled 测评
# first and a monitoring campaign second (both of the satisfaction
# survey); a resident's answers go into the monitoring campaign's wave,
# never into the 测评's, whose answers are its drawn households' only.
# Before the kiosk skipped sampled campaigns it took the first one's wave.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; kiosk_conf "$D"
"$ANXIN_BIN/survey/anxin" init --db "$D/kiosk.db" > /dev/null
doc='{"campaigns":[{"id":"ceping","name":"测评","wave":"ceping-wave","survey":"satisfaction","survey_version":1,"scope":"439901101000","starts_at":0,"ends_at":4000000000,"packs":[],"coverage_kinds":["visit"],"sample":{"n":1,"strata":"village","seed":1,"households":["JZ006221"]}},{"id":"mon","name":"监测","wave":"mon-wave","survey":"satisfaction","survey_version":1,"scope":"439901101000","starts_at":0,"ends_at":4000000000,"packs":[],"coverage_kinds":["visit"]}],"surveys":{},"packs":{}}'
sqlite3 "$D/kiosk.db" "INSERT INTO sync_state(key, value) VALUES('campaigns.json', '$doc')"
cat > "$D/s" <<'S'
tap-id start
tap-id survey
tap-id option-2
tap-id option-2
expect-screen question
advance-clock 61
advance-clock 10
expect-screen attract
S
run_kiosk "$D" "$D/s" || fail "script"
[ "$(q "$D" 'select count(*) from outbox')" = 1 ] || fail "one record expected"
body=$(q "$D" 'select body from outbox')
echo "$body" | grep -q '"wave":"mon-wave"' || fail "not the monitoring wave: $body"
echo ok
