#!/bin/sh
# kiosk.walkthrough: a resident reads a pack, takes the satisfaction survey
# (with 上一题 and a changed answer, a slid-off tap that must not count),
# links a household by number; then a knowledge quiz with explanations.
# The store must hold exactly what was tapped, the number only sealed.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; kiosk_conf "$D"
cat > "$D/s1" <<'S'
expect-screen attract
tap-id start
expect-screen home
tap-id tile-anti-fraud
expect-screen reader
swipe left
tap-id next
tap-id prev
tap-id home
tap-id survey
expect-screen question
press-slide option-2
expect-screen question
tap-id option-1
tap-id option-2
tap-id option-1
tap-id prev
tap-id option-3
tap-id option-1
tap-id option-2
tap-id option-1
expect-screen question
wait 25000
tap-id option-2
expect-screen link
type 1380013800
tap-id keypad-del
type 00
tap-id keypad-ok
expect-screen thanks
S
run_kiosk "$D" "$D/s1" || fail "script 1"
[ "$(q "$D" 'select count(*) from outbox')" = 1 ] || fail "one record expected"
body=$(q "$D" 'select body from outbox')
echo "$body" | grep -q '"answers":{"overall":"2","q1":"1","q2":"2","q3":"3","q4":"1","q5":"2","q6":"1"}' || fail "answers: $body"
echo "$body" | grep -q '"status":"complete"' || fail "status: $body"
echo "$body" | grep -q '"household_phone_sealed":"' || fail "no sealed phone: $body"
echo "$body" | grep -q 'kiosk_fast' && fail "30 s survey flagged fast: $body"
# the number never reaches the file
if grep -a -q -e 13800138000 -e 1380013800 "$D"/kiosk.db*; then fail "plain number in the store"; fi

# quiz: knowledge questions show the answer and explanation; score shown
cat > "$D/s2" <<'S'
tap-id start
tap-id tile-anti-drug
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id quiz
expect-screen question
tap-id option-1
expect-screen explain
tap-id next
tap-id option-2
expect-screen explain
tap-id next
tap-id option-1
tap-id next
tap-id option-1
tap-id next
tap-id option-1
tap-id next
expect-screen link
tap-id skip
expect-screen thanks
wait 2000
tap-id done
expect-screen attract
S
run_kiosk "$D" "$D/s2" || fail "script 2"
[ "$(q "$D" 'select count(*) from outbox')" = 2 ] || fail "two records expected"
q "$D" "select body from outbox where body like '%aware-anti-drug%'" | grep -q '"status":"complete"' || fail "quiz record"
q "$D" "select body from outbox where body like '%aware-anti-drug%'" | grep -q 'sealed' && fail "skip must not link"
echo ok
