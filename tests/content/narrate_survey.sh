#!/bin/sh
# content.narrate_survey: a survey's own questions (tests/content-v1's
# satisfaction: q1..q6 and overall, no refs) get narration in the surveys
# folder, narration/satisfaction/ID.opus, marked "audio_synthetic": true in
# the survey file; each file's length (opusinfo) fits the question and its
# options (2 to 8 spoken characters a second; scale5 options are the five
# default labels 非常满意 … 非常不满意, written out here by hand); lint passes,
# and names the survey file when a narration file is not Ogg Opus.
set -eu
A=$1 D=$2 SRC=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$D"; mkdir -p "$D/c/surveys"
cp "$SRC/tests/content-v1/surveys/satisfaction.json" "$D/c/surveys/"
"$A" content narrate "$D/c" 2> "$D/narrate.err" || { cat "$D/narrate.err"; fail "narrate"; }
grep -q 'satisfaction: 7 question(s) narrated' "$D/narrate.err" || fail "$(cat "$D/narrate.err")"
python3 - "$D/c/surveys" <<'PY' || fail "satisfaction.json after narrate"
import json, re, subprocess, sys
d = sys.argv[1]
s = json.load(open(d + "/satisfaction.json"))
scale5 = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
assert len(s["questions"]) == 7
for q in s["questions"]:
    assert q["audio"] == "narration/satisfaction/%s.opus" % q["id"], q
    assert q["audio_synthetic"] is True, q
    labels = [o["label"] for o in q["options"]] if "options" in q else scale5
    t = q["text"] + "".join(labels)
    n = sum(1 for c in t if "\u4e00" <= c <= "\u9fff" or (c.isascii() and c.isalnum()))
    out = subprocess.run(["opusinfo", d + "/" + q["audio"]], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"Playback length: (\d+)m:([\d.]+)s", out)
    secs = int(m[1]) * 60 + float(m[2])
    print("%s: %d characters, %.2f s, %.2f a second" % (q["id"], n, secs, n / secs))
    assert 2 <= n / secs <= 8, q["id"]
PY
"$A" content lint "$D/c" || fail "lint after narrate"
echo "not audio" > "$D/c/surveys/narration/satisfaction/q2.opus"
if "$A" content lint "$D/c" 2> "$D/lint.err"; then fail "lint passed"; fi
grep -q 'surveys/satisfaction.json: questions/1/audio "narration/satisfaction/q2.opus": not an Ogg Opus file' "$D/lint.err" ||
  fail "$(cat "$D/lint.err")"
echo ok
