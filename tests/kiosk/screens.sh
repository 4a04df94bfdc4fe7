#!/bin/sh
# kiosk.screens: every screen at 1080x1920, 1920x1080 and 1280x800, saved
# as PNG; the kiosk exits 3 if any text line leaves the screen or its box
# (laid out or as rendered).
. "$KIOSK_TESTS/lib.sh"
# the bundled content: its texts must fit every screen
KIOSK_CONTENT=$ANXIN_SOURCE/content
D=$1; rm -rf "$D"
for size in 1080x1920 1920x1080 1280x800; do
  W=${size%x*} H=${size#*x}
  export W H
  kiosk_conf "$D/$size"
  cat > "$D/$size/s" <<'S'
shot attract
wait 7000
shot attract-2
tap-id start
shot home
tap-id tile-family-safety
shot reader
tap-id next
tap-id next
tap-id next
shot reader-4
tap-id home
tap-id tile-anti-fraud
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
shot reader-last
tap-id quiz
shot quiz
tap-id option-2
expect-screen explain
shot explain-wrong
tap-id next
tap-id option-1
shot explain-right
tap-id home
shot exit-confirm
tap-id exit-yes
tap-id survey
tap-id option-1
shot question-scale5
tap-id option-1
tap-id option-1
tap-id option-1
tap-id option-1
tap-id option-1
tap-id option-1
shot link
type 139
shot link-typing
type 12345678
tap-id keypad-ok
shot thanks
advance-clock 30
tap 5 5
tap 5 5
tap 5 5
tap 5 5
tap 5 5
expect-screen pin
type 1111
tap-id keypad-ok
shot pin-wrong
type 2468
tap-id keypad-ok
expect-screen staff
shot staff
tap-id exit
tap-id start
tap-id survey
advance-clock 63
expect-screen idle
shot idle
S
  run_kiosk "$D/$size" "$D/$size/s" --shots "$D/$size/shots" || fail "$size"
  n=$(ls "$D/$size/shots" | wc -l)
  [ "$n" -ge 16 ] || fail "$size: only $n screenshots"
done
echo ok
