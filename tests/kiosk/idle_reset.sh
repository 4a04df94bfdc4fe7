#!/bin/sh
# kiosk.idle_reset: a resident walks away mid-survey: 您还在吗？ after 60 s,
# back to attract 10 s later, the session stored as partial with its
# answers, and the next resident starts on question 1 with nothing chosen.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; kiosk_conf "$D"
cat > "$D/s" <<'S'
tap-id start
tap-id survey
tap-id option-1
tap-id option-3
expect-screen question
advance-clock 59
expect-screen question
advance-clock 2
expect-screen idle
tap 10 1000
expect-screen question
advance-clock 61
expect-screen idle
advance-clock 8
expect-screen idle
advance-clock 2
expect-screen attract
tap-id start
tap-id survey
expect-screen question
S
run_kiosk "$D" "$D/s" --shots "$D/shots" || fail "script"
[ "$(q "$D" 'select count(*) from outbox')" = 1 ] || fail "one record expected"
body=$(q "$D" 'select body from outbox')
echo "$body" | grep -q '"status":"partial"' || fail "status: $body"
echo "$body" | grep -q '"answers":{"q1":"1","q2":"3"}' || fail "answers: $body"
# the second resident's session had no answers: no draft, no record left
[ "$(q "$D" 'select count(*) from drafts')" = 0 ] || fail "answers leaked"
echo ok
