#!/bin/sh
# kiosk.speaker: the 朗读 button shows a drawn speaker (issue 18: no font
# we ship has 🔊, which rendered as nothing or a box).  On a page and a
# quiz question with narration, standard and 长辈模式, at the three sizes:
# the button carries a speaker icon whose pixels in the rendered frame
# cover 20-33 % of its square (the script's expect-icon: 26.5 % by hand),
# beside the word 朗读, and the clipping check passes on every frame.
# SPEAKER_SHOTS=DIR copies the 1280x800 reader there (for docs/).
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; mkdir -p "$D"
narrated_content "$D/content"
for size in 1080x1920 1920x1080 1280x800; do
  W=${size%x*} H=${size#*x} KIOSK_CONTENT="$D/content" kiosk_conf "$D/$size"
  {
    printf '%s\n' "tap-id start" "tap-id tile-anti-cult" "expect-icon read-aloud" \
      "expect-text 朗读" "expect-no-text 🔊" "shot reader"
    i=0; while [ $i -lt 8 ]; do echo "tap-id next"; i=$((i + 1)); done
    printf '%s\n' "tap-id quiz" "expect-screen question" "expect-icon read-aloud" "shot quiz" \
      "tap-id home" "tap-id exit-yes" "tap-id elder" "tap-id more" "tap-id more" \
      "tap-id tile-anti-cult" "expect-icon read-aloud" "shot elder-reader"
  } > "$D/$size/s"
  run_kiosk "$D/$size" "$D/$size/s" --shots "$D/$size/shots" || fail "$size"
  if [ -n "${SPEAKER_SHOTS:-}" ] && [ "$size" = 1280x800 ]; then
    cp "$D/$size/shots/reader.png" "$SPEAKER_SHOTS/kiosk-speaker-1280x800.png"
  fi
done
echo ok
