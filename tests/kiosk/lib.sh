# lib.sh -- shared set-up of the kiosk's scripted tests (sourced).
# kiosk_conf DIR [extra INI lines]: a config in DIR with the fixture
# content (tests/content-v1; $KIOSK_CONTENT overrides), a fixed region,
# a PIN hash for 2468 and a random seal key.
set -eu
kiosk_conf() {
  d=$1
  mkdir -p "$d"
  [ -f "$d/pin.hash" ] || "$KIOSK" --hash-pin 2468 > "$d/pin.hash"
  key=${SEAL_KEY:-$(head -c 32 /dev/urandom | base64)}
  cat > "$d/kiosk.conf" <<EOC
[kiosk]
device = kiosk-a
region = 439901101001
store = kiosk.db
content = ${KIOSK_CONTENT:-$ANXIN_SOURCE/tests/content-v1}
survey = satisfaction
min_seconds = 20
[central]
seal_public_key = $key
${CENTRAL_LINES:-}
[staff]
pin_hash = $(cat "$d/pin.hash")
[idle]
timeout = 60
countdown = 10
[screen]
width = ${W:-1080}
height = ${H:-1920}
EOC
}
# narrated_content DIR: the fixture content in DIR with the fixture
# narration (narration/tone-4s.opus) on the anti-cult pack's first two
# pages and its questions, and on the satisfaction survey's questions.
narrated_content() {
  cp -r "$ANXIN_SOURCE/tests/content-v1" "$1"
  P="$1/packs/anti-cult"
  cp "$KIOSK_TESTS/narration/tone-4s.opus" "$P/"
  python3 - "$P/pack.json" <<'PY'
import json, sys
p = json.load(open(sys.argv[1]))
for pg in p["pages"][:2] + p["questions"]:
    pg["audio"] = "tone-4s.opus"
json.dump(p, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
  cp "$KIOSK_TESTS/narration/tone-4s.opus" "$1/surveys/"
  python3 - "$1/surveys/satisfaction.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for q in s["questions"]:
    q["audio"] = "tone-4s.opus"
json.dump(s, open(sys.argv[1], "w"), ensure_ascii=False, indent=2)
PY
}
run_kiosk() { # DIR SCRIPT [args]
  d=$1; s=$2; shift 2
  "$KIOSK" --config "$d/kiosk.conf" --video offscreen --clock-fixed 1715000000 --script "$s" "$@"
}
q() { sqlite3 "$1/kiosk.db" "$2"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
