#!/bin/sh
# kiosk.store_back DIR: the store comes back while a resident is answering.
# Once the periodic retry finds it writable, the open session's draft is on
# disk again and every later answer is saved there before the next screen,
# as on a healthy store: a kill -9 after the store came back loses nothing.
#   1. the store (a 4 MB tmpfs) fills up in the middle of a survey begun on
#      disk; it is emptied, the retry runs, the resident answers on, and
#      the kiosk is killed on the link screen;
#   2. the kiosk starts on a read-only store and a survey begins in memory;
#      the store is remounted rw, the retry runs, the resident answers on,
#      and the kiosk is killed.
# After each restart the killed session is queued with every answer, those
# given after the store came back included.
# Needs root (mounts); exits 77 (skipped) otherwise.
. "$KIOSK_TESTS/lib.sh"
set +e
D=$1
rm -rf "$D"
mkdir -p "$D/fs"
mount -t tmpfs -o size=4m tmpfs "$D/fs" 2>/dev/null || {
  echo "cannot mount a tmpfs (not root?): skipped"; exit 77; }
trap 'umount "$D/fs" 2>/dev/null' EXIT
kiosk_conf "$D"
sed -i "s#^store = kiosk.db#store = fs/kiosk.db\nhold_sessions = 3\nstore_retry = 30#" "$D/kiosk.conf"
db() { sqlite3 -cmd ".timeout 5000" "$D/fs/kiosk.db" "$1"; }

# killed RC N OPT: the script ran up to its kill9 (exit status RC); after
# a restart the outbox holds N responses, the last one with q1 = 1 and
# option OPT for every other question
killed() {
  [ "$1" -ne 0 ] || fail "part $2: the kiosk was not killed"
  printf 'expect-screen attract\nexpect-store ok\nexpect-held 0\n' > "$D/restart"
  run_kiosk "$D" "$D/restart" 2>> "$D/kiosk.log" || { cat "$D/kiosk.log" >&2; fail "part $2: restart"; }
  [ "$(db "select count(*) from drafts")" = 0 ] || fail "part $2: a draft left"
  [ "$(db "select count(*) from outbox")" = "$2" ] || fail "part $2: outbox: $(db 'select count(*) from outbox'), want $2"
  n=$3
  want="\"answers\":{\"overall\":\"$n\",\"q1\":\"1\",\"q2\":\"$n\",\"q3\":\"$n\",\"q4\":\"$n\",\"q5\":\"$n\",\"q6\":\"$n\"}"
  got=$(db "select body from outbox order by rowid desc limit 1")
  echo "$got" | grep -q "$want" ||
    fail "part $2: the answers given after the store came back are lost: $(echo "$got" | grep -o '"answers":{[^}]*}')"
}

# ---- 1: full in the middle of a survey begun on disk ----------------------
cat > "$D/s1" <<S
tap-id start
tap-id survey
expect-screen question
tap-id option-1
tap-id option-2
tap-id option-2
sh dd if=/dev/zero of=$D/fs/filler bs=4k 2>/dev/null; true
tap-id option-2
expect-store full
expect-held 1
sh rm $D/fs/filler
advance-clock 31
expect-store ok
tap-id option-2
tap-id option-2
tap-id option-2
expect-screen link
kill9
S
run_kiosk "$D" "$D/s1" 2> "$D/kiosk.log"
killed $? 1 2

# ---- 2: a survey begun in memory on a read-only store ----------------------
mount -o remount,ro "$D/fs" || fail "remount read-only"
cat > "$D/s2" <<S
expect-store read-only
tap-id start
tap-id survey
expect-screen question
tap-id option-1
tap-id option-3
expect-held 1
sh mount -o remount,rw $D/fs
advance-clock 31
expect-store ok
tap-id option-3
tap-id option-3
tap-id option-3
tap-id option-3
tap-id option-3
expect-screen link
kill9
S
run_kiosk "$D" "$D/s2" 2>> "$D/kiosk.log"
killed $? 2 3
[ "$(db 'PRAGMA integrity_check')" = ok ] || fail "integrity"
echo ok
