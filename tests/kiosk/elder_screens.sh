#!/bin/sh
# kiosk.elder_screens: 长辈模式 (issue 18) at the three screen sizes: every
# screen a resident reaches in it passes the clipping check (the runner
# fails on any clipped frame), the home shows four tiles a page, and the
# mode ends with the session (the next resident sees 长辈模式 off).
# ELDER_SHOTS=DIR also copies the screenshots there (for docs/).
. "$KIOSK_TESTS/lib.sh"
# the bundled content: its texts must fit every screen
KIOSK_CONTENT=$ANXIN_SOURCE/content
D=$1; rm -rf "$D"
for size in 1080x1920 1920x1080 1280x800; do
  W=${size%x*} H=${size#*x} kiosk_conf "$D/$size"
  rep() { i=0; while [ $i -lt "$1" ]; do echo "$2"; i=$((i + 1)); done; }
  {
    printf '%s\n' "tap-id start" "tap-id elder" "expect-text 标准模式" "shot elder-home" \
      "tap-id more" "shot elder-home-2" "tap-id more" "tap-id tile-anti-fraud" \
      "shot elder-reader"
    rep 11 "tap-id next" # the pack's 12 pages
    printf '%s\n' "shot elder-reader-last" "tap-id quiz" "shot elder-quiz" \
      "tap-id option-2" "shot elder-explain" "tap-id home" "shot elder-exit-confirm" \
      "tap-id exit-yes" "tap-id survey" "tap-id option-1" "shot elder-question"
    rep 6 "tap-id option-1" # the rest of the survey
    printf '%s\n' "type 139" "shot elder-link" "type 12345678" "tap-id keypad-ok" \
      "shot elder-thanks" "advance-clock 30" "expect-screen attract" "tap-id start" \
      "expect-text 长辈模式" "expect-no-text 标准模式"
  } > "$D/$size/s"
  run_kiosk "$D/$size" "$D/$size/s" --shots "$D/$size/shots" || fail "$size"
  if [ -n "${ELDER_SHOTS:-}" ]; then
    for n in home question; do cp "$D/$size/shots/elder-$n.png" "$ELDER_SHOTS/kiosk-elder-$n-$size.png"; done
  fi
done
echo ok
