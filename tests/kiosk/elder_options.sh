#!/bin/sh
# kiosk.elder_options: 长辈模式's option labels stay at their full size
# (issue 18; unit.kui_elder checks the size of every bundled question's
# labels): a second question (上一题 below it) of two or three lines with
# six long options, at the three
# sizes with the clipping check on every frame.  On the landscape panels
# its six options do not fit below it at full size (at 1280x800, S = 800:
# a label of 8 characters at 63 px, 504 px, takes two lines in a third of
# the width, and the 235 px left between the question and 上一题 hold two
# rows of 90 px; 1920x1080 likewise), so they come four cells a page, the
# last being 更多选项 1/2; in portrait all six show at once.  The sixth option, on the second page, answers the
# question.  ELDER_SHOTS=DIR copies the 1280x800 screenshots there (for
# docs/).
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; mkdir -p "$D"
cp -r "$ANXIN_SOURCE/content" "$D/content"
python3 - "$D/content/surveys/satisfaction.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
q = s["questions"][1]  # after q1 知道: 上一题 takes the bottom row
q["text"] = "丈夫经常打骂、恐吓妻子，邻居听见了也不敢管，您觉得下面哪种说法对？"
labels = ["夫妻吵架外人别管", "这是家暴可以报警", "没打伤就不算家暴",
          "打伤了才能报警", "可以找妇联求助", "说不清"]
q["type"] = "single"
q["options"] = [{"code": str(i + 1), "label": l} for i, l in enumerate(labels)]
q["sms"] = q["text"] + "回复" + " ".join("%d%s" % (i + 1, l) for i, l in enumerate(labels))
json.dump(s, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
for size in 1080x1920 1920x1080 1280x800; do
  W=${size%x*} H=${size#*x} KIOSK_CONTENT="$D/content" kiosk_conf "$D/$size"
  {
    printf '%s\n' "tap-id start" "tap-id elder" "tap-id survey" "tap-id option-1" \
      "expect-text 第 2 题" "shot elder-options"
    if [ "$size" != 1080x1920 ]; then
      printf '%s\n' "expect-text 更多选项 1/2" "expect-no-text 说不清" "tap-id options-more" \
        "expect-text 更多选项 2/2" "expect-text 说不清" "shot elder-options-2"
    else
      printf '%s\n' "expect-no-text 更多选项" "expect-text 说不清"
    fi
    printf '%s\n' "tap-id option-6" "expect-screen question" "expect-text 第 3 题"
  } > "$D/$size/s"
  run_kiosk "$D/$size" "$D/$size/s" --shots "$D/$size/shots" || fail "$size"
  q "$D/$size" "select body from outbox" | grep -q '"answers":{"q1":"1","q2":"6"}' ||
    fail "$size: q2 not answered 6: $(q "$D/$size" "select body from outbox")"
  if [ -n "${ELDER_SHOTS:-}" ] && [ "$size" = 1280x800 ]; then
    for n in options options-2; do cp "$D/$size/shots/elder-$n.png" "$ELDER_SHOTS/kiosk-elder-$n-$size.png"; done
  fi
done
echo ok
