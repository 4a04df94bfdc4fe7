#!/bin/sh
# kiosk.narration_sync: narration travels with synced content (issue 18),
# on real HTTP: anxin-central on 127.0.0.1 with --narration (the fixture
# content with narration/tone-4s.opus, a 4.000 s tone, on the anti-cult
# pack's first two pages and its questions and on the satisfaction
# survey's own questions); a kiosk with no content folder, only what it
# syncs.
#  1. the kiosk's first pull (anxin sync) brings the campaigns document;
#     the kiosk starts on it with no narration fetched: the page has no
#     朗读.  Its `sync` pulls again and fetches the files the document
#     lists, checked against their size and SHA-256.
#  2. the next start has 朗读 (the drawn speaker) on the page, and it
#     plays 4.0 s (±10 %) through SDL's disk driver; the survey's own file,
#     removed from central's folder before the document was made, is not
#     listed: the survey's question has no 朗读.
#  3. a local copy damaged on the kiosk's disk is fetched again at the
#     next sync (and then matches central's file byte for byte).
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; mkdir -p "$D/central"
A="$ANXIN_BIN/survey/anxin"
narrated_content "$D/content"
cd "$D/central"
. "$ANXIN_SOURCE/tests/e2e/fixture.sh"
"$A" roster import -q --db c.db --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
"$A" content install -q --db c.db "$D/content"
rm "$D/content/surveys/tone-4s.opus" # gone from central's folder: listed by no document
"$A" device add --db c.db --name kiosk-a --kind kiosk --scope 439901101000 > kiosk.token 2>/dev/null
chmod 600 kiosk.token
"$A" campaign create --db c.db --id camp-n --name 反邪教宣传 --survey satisfaction \
  --packs anti-cult --scope 439901101000 --start "$(date -d '-1 days' +%F)" \
  --end "$(date -d '+30 days' +%F)" > /dev/null
fixture_run server.log server.log "$ANXIN_BIN/central/anxin-central" --db c.db \
  --listen 127.0.0.1:0 --port-file port --narration "$D/content" || fail "central"
fixture_wait_port || fail "central did not start"
url="http://127.0.0.1:$(cat port)"
stop_central() { (fixture_stop "$D/central") > /dev/null 2>&1 || true; }
trap stop_central EXIT
cd "$D"
# the document lists the pack's file with its size and digest, not the
# removed one
curl -fs -H "Authorization: Bearer $(cat central/kiosk.token)" "$url/api/v1/campaigns" > doc.json
sum=$(sha256sum "$D/content/packs/anti-cult/tone-4s.opus" | cut -d' ' -f1)
size=$(stat -c %s "$D/content/packs/anti-cult/tone-4s.opus")
python3 - doc.json "$sum" "$size" <<'PY' || fail "campaigns document: $(head -c 300 doc.json)"
import json, sys
n = json.load(open(sys.argv[1]))["narration"]
assert n == {"packs/anti-cult/tone-4s.opus": {"sha256": sys.argv[2], "size": int(sys.argv[3])}}, n
PY
# no token, no file; no path out of the folder
[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/narration/packs/anti-cult/tone-4s.opus")" = 401 ] ||
  fail "a file without a token"
[ "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat central/kiosk.token)" \
  "$url/api/v1/narration/packs/../../content/packs/anti-cult/tone-4s.opus")" = 404 ] || fail "a path out"
CENTRAL_LINES="url = $url
token_file = $D/central/kiosk.token" kiosk_conf "$D/k"
sed -i 's/^content = .*/content =/' "$D/k/kiosk.conf"
"$A" init --db "$D/k/kiosk.db" > /dev/null
"$A" sync --db "$D/k/kiosk.db" --server "$url" --token-file "$D/central/kiosk.token" --once --pull \
  > "$D/pull.log" 2>&1 || fail "first pull: $(cat "$D/pull.log")"
printf '%s\n' "tap-id start" "tap-id tile-anti-cult" "expect-screen reader" \
  "expect-no-text 朗读" "sync" > "$D/s1"
run_kiosk "$D/k" "$D/s1" 2> "$D/k1.log" || { cat "$D/k1.log" >&2; fail "run 1"; }
cmp "$D/k/narration/packs/anti-cult/tone-4s.opus" "$D/content/packs/anti-cult/tone-4s.opus" ||
  fail "the file was not fetched whole"
[ ! -e "$D/k/narration/surveys/tone-4s.opus" ] || fail "an unlisted file fetched"
printf '%s\n' "tap-id start" "tap-id tile-anti-cult" "expect-icon read-aloud" "tap-id read-aloud" \
  "wait 5000" "tap-id home" "tap-id survey" "expect-screen question" "expect-no-text 朗读" > "$D/s2"
SDL_AUDIODRIVER=disk SDL_DISKAUDIOFILE="$D/out.raw" run_kiosk "$D/k" "$D/s2" 2> "$D/k2.log" ||
  { cat "$D/k2.log" >&2; fail "run 2"; }
ms=$(python3 - "$D/out.raw" <<'PY'
import array, math, sys
a = array.array('h'); a.frombytes(open(sys.argv[1], 'rb').read())
if sys.byteorder == 'big': a.byteswap()
print(sum(10 for i in range(0, len(a) - 479, 480)
          if math.sqrt(sum(x * x for x in a[i:i + 480]) / 480) > 300))
PY
)
[ "$ms" -ge 3600 ] && [ "$ms" -le 4400 ] || fail "expected 4000 ms of narration ±10 %, got $ms"
# 3. a damaged copy is fetched again
printf 'not opus' > "$D/k/narration/packs/anti-cult/tone-4s.opus"
printf '%s\n' "sync" > "$D/s3"
run_kiosk "$D/k" "$D/s3" 2> "$D/k3.log" || { cat "$D/k3.log" >&2; fail "run 3"; }
cmp "$D/k/narration/packs/anti-cult/tone-4s.opus" "$D/content/packs/anti-cult/tone-4s.opus" ||
  fail "the damaged copy was not fetched again"
grep -q "narration: 1 file(s) fetched, 0 not" "$D/k3.log" || fail "$(cat "$D/k3.log")"
# 4. central keeps a file's digest while the file is unchanged: content
#    installed again (the file replaced, or rewritten in place with the
#    same size) is listed with its new digest
doc_lists() { # doc_lists FILE: the document lists FILE's size and digest
  curl -fs -H "Authorization: Bearer $(cat central/kiosk.token)" "$url/api/v1/campaigns" > doc.json
  python3 - doc.json "$(sha256sum "$1" | cut -d' ' -f1)" "$(stat -c %s "$1")" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))["narration"]["packs/anti-cult/tone-4s.opus"]
assert n == {"sha256": sys.argv[2], "size": int(sys.argv[3])}, n
PY
}
F="$D/content/packs/anti-cult/tone-4s.opus"
{ cat "$F"; printf 'x'; } > "$F.new" && mv "$F.new" "$F"
doc_lists "$F" || fail "a replaced file listed with its old digest"
python3 - "$F" <<'PY'
import os, sys
b = bytearray(open(sys.argv[1], 'rb').read()); b[-1] ^= 0xff
open(sys.argv[1], 'r+b').write(b)
PY
doc_lists "$F" || fail "a file rewritten in place listed with its old digest"
echo "ok: $ms ms of synced narration"
