#!/bin/sh
# content.narrate: anxin content narrate on one pack (tests/content-v1's
# anti-cult, 9 pages, 7 questions) whose page p1 already has a recording,
# then lint.
#  - p1's recording is left alone and not marked synthetic; p2..p9 get
#    narration/pN.opus and questions k1..k7 narration/q-kN.opus, marked
#    "audio_synthetic": true (15 files); a second run adds nothing and
#    leaves pack.json byte for byte.
#  - each synthesised file's length (opusinfo, not the code under test)
#    fits its text (a page: title and body; a question: its text and
#    options): 2 to 8 spoken characters a second.
#  - lint: the "recording" is kiosk/narration/tone-4s.opus (4.000 s) and p1
#    says 5 + 54 = 59 Han characters (什么是邪教; the body counted by hand,
#    clause by clause 6+5+4+8+5+4+4+6+12): 14.75 a second, an error; a file
#    that is not Ogg Opus is an error.
set -eu
A=$1 D=$2 SRC=$3
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$D"; mkdir -p "$D/c/packs" "$D/c/surveys"
cp -r "$SRC/tests/content-v1/packs/anti-cult" "$D/c/packs/"
cp "$SRC/tests/content-v1/surveys/aware-anti-cult.json" "$D/c/surveys/"
P=$D/c/packs/anti-cult
mkdir "$P/recorded"
cp "$SRC/tests/kiosk/narration/tone-4s.opus" "$P/recorded/p1.opus"
python3 - "$P/pack.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
p["pages"][0]["audio"] = "recorded/p1.opus"
json.dump(p, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
"$A" content narrate "$D/c" 2> "$D/narrate.err" || { cat "$D/narrate.err"; fail "narrate"; }
grep -q 'anti-cult: 15 page(s) and question(s) narrated' "$D/narrate.err" || fail "$(cat "$D/narrate.err")"
python3 - "$P" <<'PY' || fail "pack.json after narrate"
import json, os, re, subprocess, sys
d = sys.argv[1]
p = json.load(open(d + "/pack.json"))
pg = p["pages"]
assert pg[0]["audio"] == "recorded/p1.opus" and "audio_synthetic" not in pg[0], pg[0]
assert not os.path.exists(d + "/narration/p1.opus")
def check(g, name, t):
    assert g["audio"] == name and g["audio_synthetic"] is True, g
    out = subprocess.run(["opusinfo", d + "/" + g["audio"]], capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"Playback length: (\d+)m:([\d.]+)s", out)
    secs = int(m[1]) * 60 + float(m[2])
    n = sum(1 for c in t if "\u4e00" <= c <= "\u9fff" or (c.isascii() and c.isalnum()))
    print("%s: %d characters, %.2f s, %.2f a second" % (g["id"], n, secs, n / secs))
    assert 2 <= n / secs <= 8, g["id"]
for i, g in enumerate(pg[1:], 2):
    check(g, "narration/p%d.opus" % i, g["title"] + g["body"])
qs = p["questions"]
assert len(qs) == 7
for q in qs:
    check(q, "narration/q-%s.opus" % q["id"], q["text"] + "".join(o["label"] for o in q["options"]))
PY
cp "$P/pack.json" "$D/pack.json.1"
"$A" content narrate "$D/c" 2> "$D/narrate2.err" || fail "second narrate"
grep -q 'anti-cult: 0 page(s) and question(s) narrated' "$D/narrate2.err" || fail "$(cat "$D/narrate2.err")"
cmp "$P/pack.json" "$D/pack.json.1" || fail "a second run changed pack.json"
# lint: one error, the 4 s "recording" of a 59-character page
if "$A" content lint "$D/c" 2> "$D/lint.err"; then fail "lint passed"; fi
cat "$D/lint.err"
[ "$(grep -c 'pages/[0-9]*/audio' "$D/lint.err")" = 1 ] || fail "one narration error expected"
grep -q 'pages/0/audio "recorded/p1.opus": 4.0 s for 59 characters .*14.8 a second' "$D/lint.err" ||
  fail "p1's rate"
# a file that is not Ogg Opus
echo "not audio" > "$P/narration/p2.opus"
if "$A" content lint "$D/c" 2> "$D/lint2.err"; then fail "lint passed"; fi
grep -q 'pages/1/audio "narration/p2.opus": not an Ogg Opus file' "$D/lint2.err" ||
  fail "$(cat "$D/lint2.err")"
echo ok
