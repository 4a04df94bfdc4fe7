#!/bin/sh
# kiosk.finish_busy DIR: a finish that fails for a reason that is not the
# storage -- another connection (the sync thread, an `anxin` CLI) holds the
# store's write lock past the busy timeout -- leaves the session open and
# whole: the resident sees 保存失败 on the link screen and
#   1. taps OK again once the lock is released: the response comes out
#      complete with its household contact, once;
#   2. walks away: the idle reset ends the session as the resident ended
#      it, complete with its contact crediting the pack read, not as
#      abandoned.
# Each blocked finish waits the store's busy timeout (5 s).
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; kiosk_conf "$D"
printf 'expect-screen attract\n' > "$D/s0"
run_kiosk "$D" "$D/s0" 2> "$D/kiosk.log" || fail "first start"

# a second connection holds the write lock from `lock` to `unlock`
lock() {
  echo "sh (sqlite3 $D/kiosk.db 'BEGIN IMMEDIATE' '.shell touch $D/locked' '.shell while [ ! -e $D/release ]; do sleep 0.05; done' 'COMMIT' '.shell rm $D/locked') > $D/holder.log 2>&1 &"
  echo "sh while [ ! -e $D/locked ]; do sleep 0.05; done"
}
unlock() {
  echo "sh touch $D/release; while [ -e $D/locked ]; do sleep 0.05; done; rm $D/release"
}
# resident N PHONE [PACK]: reads PACK (if any), answers (q1 yes, option N
# for the rest), types PHONE on the link screen and taps OK while the
# store is locked
resident() {
  echo "expect-screen attract"
  echo "tap-id start"
  if [ -n "${3:-}" ]; then
    echo "tap-id tile-$3"
    echo "expect-screen reader"
    echo "tap-id home"
  fi
  echo "tap-id survey"
  echo "expect-screen question"
  echo "tap-id option-1"
  for _ in 1 2 3 4 5 6; do echo "tap-id option-$1"; done
  echo "expect-screen link"
  echo "type $2"
  lock
  echo "tap-id keypad-ok"
  echo "expect-screen link"
  unlock
}
{
  resident 2 13800138000
  echo "tap-id keypad-ok"
  echo "expect-screen thanks"
  echo "wait 2000"
  echo "tap-id done"
  # a minute with nobody at the kiosk: resident 3 is a new visit, not a
  # repeat of resident 2's survey
  echo "advance-clock 61"
  resident 3 13900139000 anti-fraud
  echo "advance-clock 90"
  echo "expect-screen attract"
} > "$D/s"
run_kiosk "$D" "$D/s" 2>> "$D/kiosk.log" || { cat "$D/kiosk.log" >&2; fail "the scripted run failed"; }
grep -q "finish: .*locked" "$D/kiosk.log" || fail "no log line about the failed finish"

[ "$(q "$D" 'select count(*) from drafts')" = 0 ] || fail "a draft left"
[ "$(q "$D" 'select count(*) from outbox')" = 4 ] || fail "outbox: $(q "$D" 'select count(*) from outbox'), want 2 responses and 2 contacts"
[ "$(q "$D" 'select count(distinct id) from outbox')" = 4 ] || fail "a record twice"
for n in 2:null 3:'"anti-fraud"'; do
  pack=${n#*:} n=${n%%:*}
  want="\"answers\":{\"overall\":\"$n\",\"q1\":\"1\",\"q2\":\"$n\",\"q3\":\"$n\",\"q4\":\"$n\",\"q5\":\"$n\",\"q6\":\"$n\"}"
  body=$(q "$D" "select body from outbox where body like '%$want%'")
  echo "$body" | grep -q '"status":"complete"' || fail "resident $n: not complete: $body"
  echo "$body" | grep -q '"household_phone_sealed"' || fail "resident $n: the link is lost: $body"
  sealed=$(echo "$body" | sed 's/.*"household_phone_sealed":"\([^"]*\)".*/\1/')
  [ "$(q "$D" "select count(*) from outbox where body like '%\"kind\":\"kiosk_session\"%' and body like '%\"$sealed\"%' and body like '%\"pack\":$pack%'")" = 1 ] ||
    fail "resident $n: the household contact, crediting $pack"
done
# resident 3 finished within min_seconds; the idle reset kept the flag
q "$D" "select body from outbox where body like '%\"overall\":\"3\"%'" | grep -q '"flags":\["fast"\]' ||
  fail "resident 3: the fast flag was lost"

[ "$(q "$D" "select group_concat(status) from kiosk_ended")" = complete,complete ] ||
  fail "sessions counted: $(q "$D" 'select group_concat(status) from kiosk_ended')"
echo ok
