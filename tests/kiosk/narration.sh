#!/bin/sh
# kiosk.narration.MODE: a page's narration through SDL's disk audio driver
# (SDL_AUDIODRIVER=disk writes the mixed stream, 48 kHz mono s16, to a file,
# in real time).  The fixture narration/tone-4s.opus is a 440 Hz tone of
# 192000 samples at 48 kHz: 4.000 s (opusinfo: "Playback length:
# 0m:04.000s").  The page opens with 朗读 tapped at virtual t=120 ms
# (tap-id: 120 ms press, then 600 ms).
#   play  nothing else happens: 4.0 s of sound (±10 %)
#   next  下一页 released 720 ms after 朗读 (600 ms + 120 ms press): at most
#         720 + 100 ms of sound, and at least 600 ms
#   idle  idle timeout 1 s + countdown 1 s: the reset is 2 s after the last
#         touch (朗读's release): at most 2.0 + 0.1 s of sound, at least 1.5 s
#   mute  quiet hours 20-22 cover the fixed clock (20:53 Asia/Shanghai):
#         the device runs and writes only silence
#   volume  [audio] volume = 40: the tone (a sine of amplitude 8000 as
#         generated, RMS 8000/sqrt(2) = 5657) has a median 10 ms RMS of
#         5657 x 0.40 = 2263 (±10 %: Opus is lossy), where play's default
#         80 % gives 4525 (±10 %)
#   survey  the satisfaction survey's own questions carry the file (in the
#         surveys folder); 朗读 on q1, then an answer 720 ms later shows q2
#         on the same screen: 600..820 ms
#   question  the pack's questions carry the same file; in the quiz, 朗读
#         then an answer 720 ms later (its explanation shows): 600..820 ms
#   staff_volume  staff first turn the volume down 4 times (调小) from 80 %
#         on the staff screen, in a run of its own; the store keeps 40
#         (kiosk_settings); the next run plays at 40 %: RMS 2263 as volume
#   staff_mute  staff tap 静音 in a run of their own; the next run writes
#         only silence
. "$KIOSK_TESTS/lib.sh"
MODE=$1 D=$2
rm -rf "$D"; mkdir -p "$D"
narrated_content "$D/content"
KIOSK_CONTENT="$D/content" kiosk_conf "$D"
case $MODE in
  idle) sed -i 's/^timeout = 60/timeout = 1/; s/^countdown = 10/countdown = 1/' "$D/kiosk.conf" ;;
  mute) printf '[audio]\nquiet_hours = 20-22\n' >> "$D/kiosk.conf" ;;
  volume) printf '[audio]\nvolume = 40\n' >> "$D/kiosk.conf" ;;
esac
# staff_*: staff set the narration on the staff screen first, in a run of
# its own (the corner tapped five times opens the PIN pad)
case $MODE in
  staff_volume|staff_mute)
    {
      i=0; while [ $i -lt 5 ]; do echo "tap 5 5"; i=$((i + 1)); done
      printf '%s\n' "type 2468" "tap-id keypad-ok" "expect-screen staff" "expect-text 80%"
      if [ "$MODE" = staff_mute ]; then
        printf '%s\n' "tap-id mute" "expect-text 取消静音"
      else
        printf '%s\n' "tap-id volume-down" "tap-id volume-down" "tap-id volume-down" \
          "tap-id volume-down" "expect-text 40%"
      fi
      echo "tap-id exit"
    } > "$D/staff"
    run_kiosk "$D" "$D/staff" || fail "staff script"
    [ "$(q "$D" "select value from kiosk_settings where key = 'volume'")" = \
      "$([ "$MODE" = staff_mute ] && echo 80 || echo 40)" ] || fail "volume not kept"
    [ "$(q "$D" "select value from kiosk_settings where key = 'mute'")" = \
      "$([ "$MODE" = staff_mute ] && echo 1 || echo 0)" ] || fail "mute not kept" ;;
esac
{
  echo "tap-id start"
  if [ "$MODE" = survey ]; then
    echo "tap-id survey"
    echo "expect-screen question"
  else
    echo "tap-id tile-anti-cult"
    echo "expect-screen reader"
  fi
  if [ "$MODE" = question ]; then
    for i in 1 2 3 4 5 6 7 8; do echo "tap-id next"; done
    echo "tap-id quiz"
    echo "expect-screen question"
  fi
  echo "tap-id read-aloud"
  case $MODE in
    question) echo "tap-id option-1"; echo "expect-screen explain"; echo "wait 4000" ;;
    survey) echo "tap-id option-1"; echo "expect-screen question"; echo "wait 4000" ;;
    next) echo "tap-id next" ; echo "wait 4000" ;;
    idle) echo "wait 1380"; echo "expect-screen idle"; echo "wait 1000";
          echo "expect-screen attract"; echo "wait 3000" ;;
    *) echo "wait 5000" ;;
  esac
} > "$D/s"
SDL_AUDIODRIVER=disk SDL_DISKAUDIOFILE="$D/out.raw" run_kiosk "$D" "$D/s" || fail "script"
[ -s "$D/out.raw" ] || fail "the disk driver wrote nothing"
# sound: 10 ms windows (480 samples) with RMS above 300 (the tone at the
# default volume 80 % has RMS ~4500; silence is 0)
set -- $(python3 - "$D/out.raw" <<'PY'
import array, math, sys
a = array.array('h'); a.frombytes(open(sys.argv[1], 'rb').read())
if sys.byteorder == 'big': a.byteswap()
n = 0
rms = []
for i in range(0, len(a) - 479, 480):
    r = math.sqrt(sum(x * x for x in a[i:i + 480]) / 480)
    if r > 300:
        n += 1
        rms.append(r)
print(n * 10, int(sorted(rms)[len(rms) // 2]) if rms else 0)
PY
)
ms=$1 rms=$2
echo "$MODE: ${ms} ms of sound in $(($(stat -c %s "$D/out.raw") / 96)) ms written, median RMS $rms"
case $MODE in
  play) [ "$ms" -ge 3600 ] && [ "$ms" -le 4400 ] || fail "expected 4000 ms ±10 %, got $ms"
        [ "$rms" -ge 4073 ] && [ "$rms" -le 4978 ] || fail "expected RMS 4525 ±10 %, got $rms" ;;
  volume|staff_volume) [ "$rms" -ge 2037 ] && [ "$rms" -le 2489 ] || fail "expected RMS 2263 ±10 %, got $rms" ;;
  next|question|survey) [ "$ms" -ge 600 ] && [ "$ms" -le 820 ] || fail "expected 600..820 ms, got $ms" ;;
  idle) [ "$ms" -ge 1500 ] && [ "$ms" -le 2100 ] || fail "expected 1500..2100 ms, got $ms" ;;
  mute|staff_mute) [ "$ms" -eq 0 ] || fail "muted: expected silence, got $ms ms" ;;
esac
echo ok
