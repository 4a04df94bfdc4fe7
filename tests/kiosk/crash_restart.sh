#!/bin/sh
# kiosk.crash_restart: kill -9 in the middle of a survey; on restart the
# committed answers are queued once as a partial response (answers left mid-way); a second
# restart adds nothing.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; kiosk_conf "$D"
cat > "$D/s1" <<'S'
tap-id start
tap-id survey
tap-id option-1
tap-id option-2
tap-id option-4
kill9
S
rc=0; run_kiosk "$D" "$D/s1" 2>/dev/null || rc=$?
[ "$rc" -ne 0 ] || fail "the kiosk was not killed"
[ "$(q "$D" 'select count(*) from outbox')" = 0 ] || fail "nothing is queued before restart"
# the draft holds the three committed answers
[ "$(q "$D" 'select count(*) from drafts, json_each(drafts.answers)')" = 3 ] || fail "three committed answers"
printf 'expect-screen attract\n' > "$D/s2"
run_kiosk "$D" "$D/s2" || fail "restart"
[ "$(q "$D" 'select count(*) from outbox')" = 1 ] || fail "one record after restart"
[ "$(q "$D" 'select count(*) from drafts')" = 0 ] || fail "the draft is finished"
q "$D" 'select body from outbox' | grep -q '"answers":{"q1":"1","q2":"2","q3":"4"}.*"status":"partial"' || fail "$(q "$D" 'select body from outbox')"
run_kiosk "$D" "$D/s2" || fail "restart 2"
[ "$(q "$D" 'select count(*) from outbox')" = 1 ] || fail "duplicated after second restart"
echo ok
