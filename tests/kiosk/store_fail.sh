#!/bin/sh
# store_fail.sh full|readonly|boot-readonly DIR -- the kiosk on a store
# that fails under it:
#   full      the store on a 4 MB tmpfs that a filler file fills up;
#   readonly  the store on ext4 (a loop file, errors=remount-ro) that the
#             kernel forces read-only (trigger_fs_error) while the kiosk has
#             it open: a plain `mount -o remount,ro` is refused while files
#             are open for writing, a real error is not.  Staff repair it
#             with umount, e2fsck and mount while the kiosk keeps running,
#             which only works because the kiosk lets go of the store;
#   boot-readonly  the kiosk starts on a store whose tmpfs is read-only
#             (remounted so between two runs), until staff remount it rw.
# In the first two the store breaks in the middle of a resident's survey.
# Residents keep being served: their answers are held in memory (bound 3
# sessions), staff see an alert, residents a small dot; at the bound a new
# survey gets 暂停服务, nothing is dropped.  The held answers are not on
# disk while it fails; once it is writable again (periodic retry) every one
# lands exactly once, in order, and the alert clears.
# Needs root (mounts); exits 77 (skipped) otherwise.
. "$KIOSK_TESTS/lib.sh"
set +e
MODE=$1 D=$2
rm -rf "$D"
mkdir -p "$D/fs"
case $MODE in
full)
  mount -t tmpfs -o size=4m tmpfs "$D/fs" 2>/dev/null || {
    echo "cannot mount a tmpfs (not root?): skipped"; exit 77; }
  BREAK="dd if=/dev/zero of=$D/fs/filler bs=4k 2>/dev/null; true"
  REPAIR="rm $D/fs/filler"
  DOWN=full ;;
readonly)
  truncate -s 16M "$D/img" && mkfs.ext4 -q -F "$D/img" 2>/dev/null &&
    mount -o loop,errors=remount-ro "$D/img" "$D/fs" 2>/dev/null || {
    echo "cannot mount an ext4 loop file (not root, no loop device?): skipped"; exit 77; }
  dev=$(basename "$(findmnt -n -o SOURCE "$D/fs")")
  [ -w "/sys/fs/ext4/$dev/trigger_fs_error" ] || {
    umount "$D/fs"; echo "no /sys/fs/ext4/$dev/trigger_fs_error: skipped"; exit 77; }
  BREAK="echo kiosk-test > /sys/fs/ext4/$dev/trigger_fs_error"
  # the kiosk holds no file open: staff can unmount, check and remount
  REPAIR="umount $D/fs && { e2fsck -fy $D/img > $D/fsck.log 2>&1; mount -o loop,errors=remount-ro $D/img $D/fs; }"
  DOWN=read-only
  # and the layouts of a landscape screen (the run fails on clipped text)
  W=1280 H=800; export W H ;;
boot-readonly)
  mount -t tmpfs -o size=4m tmpfs "$D/fs" 2>/dev/null || {
    echo "cannot mount a tmpfs (not root?): skipped"; exit 77; }
  REPAIR="mount -o remount,rw $D/fs"
  DOWN=read-only ;;
*) echo "usage: store_fail.sh full|readonly|boot-readonly DIR" >&2; exit 2 ;;
esac
trap 'umount "$D/fs" 2>/dev/null' EXIT
kiosk_conf "$D"
sed -i "s#^store = kiosk.db#store = fs/kiosk.db\nhold_sessions = 3\nstore_retry = 30#" "$D/kiosk.conf"

# resident N [PHONE] [BREAK]: the satisfaction survey, yes to q1 and
# option N for every other question; links PHONE's household ("" none,
# skips the link); with BREAK, the store breaks after the third answer
resident() {
  echo "expect-screen attract"
  echo "tap-id start"
  echo "tap-id survey"
  echo "expect-screen question"
  echo "tap-id option-1"
  for i in 1 2 3 4 5 6; do
    echo "tap-id option-$1"
    [ $i = 2 ] && [ -n "${3:-}" ] && echo "sh $3"
  done
  echo "expect-screen link"
  if [ -n "${2:-}" ]; then echo "type $2"; echo "tap-id keypad-ok"; else echo "tap-id skip"; fi
  echo "expect-screen thanks"
  echo "wait 2000"
  echo "tap-id done"
}
staff() {
  for _ in 1 2 3 4 5; do echo "tap 10 10"; done
  echo "expect-screen pin"
  echo "type 2468"
  echo "tap-id keypad-ok"
  echo "expect-screen staff"
}
# what a copy of the store says (the kiosk has closed it: a consistent copy)
snap() {
  echo "sh rm -rf $D/snap && mkdir $D/snap && cp $D/fs/kiosk.db $D/fs/kiosk.db-wal $D/snap/ 2>/dev/null; sqlite3 $D/snap/kiosk.db \"select (select count(*) from outbox), (select count(*) from drafts), (select count(*) from drafts, json_each(drafts.answers))\" > $D/$1"
}

if [ "$MODE" = boot-readonly ]; then
  resident 1 > "$D/s1"
  run_kiosk "$D" "$D/s1" 2> "$D/kiosk1.log" || { cat "$D/kiosk1.log" >&2; fail "first run"; }
  # no file of the store is open now: a plain remount works
  mount -o remount,ro "$D/fs" || fail "remount read-only"
  {
    echo "expect-store $DOWN"
    staff
    echo "shot staff-boot"
    echo "tap-id exit"
    resident 2
    resident 3 13800138000
    echo "expect-held 2"
    snap while-down
    echo "sh $REPAIR"
    echo "advance-clock 31"
    echo "expect-store ok"
    echo "expect-held 0"
    resident 4
  } > "$D/s"
  N=4 WANT_DOWN="1|0|0" SHOTS=staff-boot
else
  N=5 WANT_DOWN="1|1|3" SHOTS="home-dot paused staff-held staff-alert staff-clear"
{
  resident 1
  # in the middle of resident 2's survey: the rest of it goes to memory
  resident 2 "" "$BREAK"
  staff
  echo "shot staff-held"
  echo "tap-id exit"
  echo "expect-store $DOWN"
  echo "expect-held 1"
  echo "tap-id start"
  echo "shot home-dot"
  echo "goto attract"
  resident 3 13800138000
  resident 4
  echo "expect-held 3"
  # the bound: a fifth resident is told 暂停服务; reading still works
  echo "tap-id start"
  echo "tap-id survey"
  echo "expect-screen paused"
  echo "shot paused"
  echo "tap-id done"
  echo "expect-screen home"
  echo "tap-id tile-anti-fraud"
  echo "expect-screen reader"
  echo "goto attract"
  echo "expect-held 3"
  snap while-down
  staff
  echo "shot staff-alert"
  echo "tap-id exit"
  # a retry while it still fails changes nothing
  echo "advance-clock 31"
  echo "expect-store $DOWN"
  echo "expect-held 3"
  echo "sh $REPAIR"
  echo "advance-clock 31"
  echo "expect-store ok"
  echo "expect-held 0"
  staff
  echo "shot staff-clear"
  echo "tap-id exit"
  resident 5
} > "$D/s"
fi

run_kiosk "$D" "$D/s" --shots "$D/shots" 2> "$D/kiosk.log"
rc=$?
[ $rc = 0 ] || { cat "$D/kiosk.log" >&2; fail "the scripted run failed ($rc)"; }
db() { sqlite3 -cmd ".timeout 5000" "$D/fs/kiosk.db" "$1"; }

# while it failed: resident 1 queued, and resident 2's draft with its
# first three answers, nothing of residents 3 and 4
[ "$(cat "$D/while-down")" = "$WANT_DOWN" ] ||
  fail "on disk while $DOWN: $(cat "$D/while-down") (outbox|drafts|answers), want $WANT_DOWN"
for f in $SHOTS; do
  [ -s "$D/shots/$f.png" ] || fail "no screenshot $f"
done
grep -q "LOST on power-off" "$D/kiosk.log" || fail "no log line about the memory"
[ $N = 4 ] || grep -q "new surveys are refused" "$D/kiosk.log" || fail "no log line at the bound"
grep -q "store writable again" "$D/kiosk.log" || fail "no log line at recovery"

# afterwards: N responses and one contact, each once, in order
[ "$(db "select count(*) from outbox")" = $((N + 1)) ] || fail "outbox: $(db 'select count(*) from outbox'), want $((N + 1))"
[ "$(db "select count(distinct id) from outbox")" = $((N + 1)) ] || fail "a record twice"
[ "$(db "select count(*) from kiosk_ended")" = $N ] || fail "sessions counted"
[ "$(db "select count(*) from drafts")" = 0 ] || fail "drafts left"
for n in $(seq 1 $N); do
  want="\"answers\":{\"overall\":\"$n\",\"q1\":\"1\",\"q2\":\"$n\",\"q3\":\"$n\",\"q4\":\"$n\",\"q5\":\"$n\",\"q6\":\"$n\"}"
  got=$(db "select count(*) from outbox where body like '%$want%' and body like '%\"status\":\"complete\"%'")
  [ "$got" = 1 ] || fail "resident $n: $got response(s) with $want"
done
order=$(db "select group_concat(substr(body, instr(body, '\"overall\":\"') + 11, 1), '') from (select body from outbox where body like '{\"answers\"%' order by rowid)")
[ "$order" = "$(seq -s '' 1 $N)" ] || fail "responses queued in order, got $order"
db "select body from outbox where body like '%\"overall\":\"3\"%'" | grep -q '"household_phone_sealed"' ||
  fail "resident 3's link was lost in memory"
[ "$(db "select count(*) from outbox where body like '%\"kind\":\"kiosk_session\"%'")" = 1 ] || fail "the contact of resident 3"
if grep -a -q 13800138000 "$D"/fs/kiosk.db*; then fail "plain number in the store"; fi
[ "$(db 'PRAGMA integrity_check')" = ok ] || fail "integrity"
echo ok
