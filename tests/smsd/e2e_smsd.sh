#!/bin/sh
# e2e.smsd.daemon -- the real anxin-smsd binary against libgammu's dummy
# driver, under LANG=C (no locale-dependent conversion may turn Chinese
# into "??"): --once sends the intros, the daemon answers an injected
# reply, SIGTERM stops it cleanly (exit 0), --status reports the modem.
#
# usage: e2e_smsd.sh ANXIN_SMSD ANXIN_CLI
set -eu
SMSD=$1
CLI=$2
unset LANG LANGUAGE
export LC_ALL=C
. "$(dirname "$0")/daemon_lib.sh"
smsd_tmp smsd
fail() { echo "FAIL: $*" >&2; exit 1; }

smsd_roster
smsd_store "$T/anxin.db"
# --end is inclusive: 2026-03-01 00:00 to 2026-04-02 00:00 China time
# (1772294400 is 2026-02-28T16:00:00Z; 32 days of March and April 1st later)
[ "$(sqlite3 "$T/anxin.db" "SELECT starts_at || ' ' || ends_at FROM campaigns")" = \
  "1772294400 1775059200" ] || fail "campaign window: $(sqlite3 "$T/anxin.db" \
  "SELECT starts_at, ends_at FROM campaigns")"
"$CLI" campaign list --db "$T/anxin.db" --all | grep -q "2026-03-01 00:00 – 2026-04-01 23:59" ||
	fail "campaign list does not show the last day: $("$CLI" campaign list --db "$T/anxin.db" --all)"
echo 1772416800 > "$T/clock"   # 2026-03-02 10:00 China time
mkdir -p "$T/m0"
smsd_conf

"$SMSD" --config "$T/smsd.conf" --once || fail "--once"
n=$(wc -l < "$T/sent.jsonl")
[ "$n" -eq 4 ] || fail "--once sent $n messages, expected 4"
grep -q '回复TD退订' "$T/sent.jsonl" || fail "Chinese text mangled under LC_ALL=C"
# the sent log names a number by its last four digits (issue 15)
grep -q '"phone":"138\*\*\*\*0011"' "$T/sent.jsonl" || fail "sent log: no masked number: $(head -n 1 "$T/sent.jsonl")"
! grep -q '13800000011' "$T/sent.jsonl" || fail "sent log: a whole number: $(grep 13800000011 "$T/sent.jsonl" | head -n 1)"

"$SMSD" --config "$T/smsd.conf" 2> "$T/log" &
PID=$!
sleep 1
# five minutes later (a reply read in the second its question went out is
# not an answer to it), a reply "1" (知道) from E1, as the modem stores it
# (UCS-2 hex)
echo 1772417100 > "$T/clock"
smsd_reply_e1
i=0
while [ "$(wc -l < "$T/sent.jsonl")" -lt 5 ] && [ $i -lt 100 ]; do
	sleep 0.1; i=$((i + 1))
done
[ "$(wc -l < "$T/sent.jsonl")" -eq 5 ] || fail "no next question after the reply"
tail -n 1 "$T/sent.jsonl" | grep -q '治安巡逻工作' || fail "wrong next question"
[ ! -e "$T/m0/sms/1/1" ] || fail "the reply was not deleted from the modem"
kill -TERM "$PID"
wait "$PID" || fail "anxin-smsd did not exit cleanly on SIGTERM"
PID=
grep -q stopped "$T/log" || fail "no clean stop in the log"

"$SMSD" --config "$T/smsd.conf" --status > "$T/status" || fail "--status"
grep -q '^gammu ' "$T/status" || fail "--status does not list the modem"
grep -q 'conversations: 2 asking' "$T/status" || fail "--status: conversations"
# the backlog by send class adds up to the queue's pending rows
pend=$(sqlite3 "$T/anxin.db" "SELECT COUNT(*) FROM queue WHERE state = 'pending'")
sum=$(sed -n 's/^backlog: \([0-9]*\) opt-out confirmations, \([0-9]*\) questions, \([0-9]*\) reminders, \([0-9]*\) intros\/digests;.*/\1 + \2 + \3 + \4/p' "$T/status")
[ -n "$sum" ] && [ $(($sum)) -eq "$pend" ] || fail "--status backlog: $(grep backlog "$T/status") vs $pend pending"
# E1's reply was read at 10:05 and its next question sent in that cycle:
# one reply, 0 s; nobody has completed
grep -q '^waits: reply -> next message median 0 s (1 replies); start -> completion median - (0 completed)$' "$T/status" ||
	fail "--status waits: $(grep waits "$T/status")"
out=$("$SMSD" --config "$T/smsd.conf" --parse --survey satisfaction --question q3 "我选３")
[ "$out" = "3" ] || fail "--parse said \"$out\""
"$SMSD" --config "$T/smsd.conf" --parse --survey satisfaction --question q3 "不是很满意" |
	grep -q '请回复数字1-5' || fail "--parse: no hint for an invalid reply"
echo "e2e.smsd.daemon: ok"
