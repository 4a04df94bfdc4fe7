#!/bin/sh
# kiosk.walkthrough: a resident reads a pack, takes the satisfaction survey
# (with 上一题 and a changed answer, a slid-off tap that must not count),
# links a household by number; then a knowledge quiz with explanations.
# The store must hold exactly what was tapped, the number only sealed; the
# link queues a kiosk_session contact for the pack read, with the response;
# a quiz finished faster than min_seconds is kept with "flags":["fast"].
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
[ "$(q "$D" 'select count(*) from outbox')" = 2 ] || fail "a response and a contact expected"
body=$(q "$D" "select body from outbox where body like '{\"answers\"%'")
echo "$body" | grep -q '"answers":{"overall":"2","q1":"1","q2":"2","q3":"3","q4":"1","q5":"2","q6":"1"}' || fail "answers: $body"
echo "$body" | grep -q '"status":"complete"' || fail "status: $body"
echo "$body" | grep -q '"household_phone_sealed":"' || fail "no sealed phone: $body"
echo "$body" | grep -q -e '"flags"' -e 'kiosk_fast' && fail "30 s survey flagged fast: $body"
# the contact: same sealed box, the pack read before the survey, no household
contact=$(q "$D" "select body from outbox where body like '%\"type\":\"contact\"%'")
echo "$contact" | grep -q '"channel":"kiosk".*"kind":"kiosk_session","pack":"anti-fraud"' || fail "contact: $contact"
echo "$contact" | grep -q '"household"' && fail "the kiosk cannot know the household: $contact"
sealed() { sed -n 's/.*"household_phone_sealed":"\([^"]*\)".*/\1/p'; }
[ "$(echo "$contact" | sealed)" = "$(echo "$body" | sealed)" ] || fail "contact and response name different numbers"
# both were queued with the draft deleted and the session counted, in one
# transaction
[ "$(q "$D" 'select count(*) from drafts')" = 0 ] || fail "draft left after the finish"
[ "$(q "$D" "select count(*) from kiosk_ended where status = 'complete'")" = 1 ] || fail "session not counted"
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
[ "$(q "$D" 'select count(*) from outbox')" = 3 ] || fail "three records expected"
quiz=$(q "$D" "select body from outbox where body like '%aware-anti-drug%'")
echo "$quiz" | grep -q '"status":"complete"' || fail "quiz record"
echo "$quiz" | grep -q 'sealed' && fail "skip must not link"
# about 10 s from first question to the end, under min_seconds = 20
echo "$quiz" | grep -q '"flags":\["fast"\]' || fail "quick quiz not flagged: $quiz"
echo "$quiz" | grep -q 'kiosk_fast' && fail "old kiosk_fast field: $quiz"
echo ok
