#!/bin/sh
# export_stop.sh DIR -- SIGTERM while one export (the XLSX 台账) is being
# made and two more requests wait for it: the export in flight finishes
# (200 and a workbook), the waiters are answered 503 at once -- a browser
# with a Chinese page that retries by itself, an API client with JSON --
# instead of each making a whole export of its own after the signal, and
# the server exits 0.
set -u
DIR=$1
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
. "$(dirname "$0")/tap.sh"

tap_store
"$A" records demo --db c.db --count 150000 --seed 3 --device d1 > r.jsonl
"$A" records import -q --db c.db r.jsonl
printf 'county-pass-2026\n' > pw
chmod 600 pw
"$A" user add --db c.db --name county --role county --scope 439901000000 --password-file pw > /dev/null
"$C" --db c.db --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)"
check "county logs in" "$(tap_login "$URL" jar county county-pass-2026)" 303
X="$URL/api/v1/report?format=xlsx&depth=4"
gauge() { curl -fs "$URL/metrics" | sed -n "s/^anxin_exports{state=\"$1\"} //p"; }
# until the server's gauges say so: no bet on how long an export takes.
# Should the export end before both waiters were seen (a slow poll on a
# loaded machine), everything is tried again.
seen=0
for try in 1 2 3; do
  rm -f a.code b.code c.code
  curl -s -b jar -o a.xlsx -w '%{http_code}' "$X" > a.code &
  ca=$!
  for _ in $(seq 1 2000); do [ "$(gauge making)" = 1 ] && break; [ -s a.code ] && break; sleep 0.005; done
  curl -s -b jar -H 'Accept: text/html,application/xhtml+xml' -D b.head -o b.body -w '%{http_code}' "$X" > b.code &
  cb=$!
  curl -s -b jar -D c.head -o c.body -w '%{http_code}' "$X" > c.code &
  cc=$!
  for _ in $(seq 1 2000); do
    if [ "$(gauge waiting)" = 2 ] && [ "$(gauge making)" = 1 ]; then seen=1; break; fi
    [ -s a.code ] && break
    sleep 0.005
  done
  [ $seen = 1 ] && break
  wait $ca $cb $cc
  echo "# try $try: the export ended before both waiters were seen"
done
check "an export in progress and two requests waiting before SIGTERM" "$seen" 1
t0=$(date +%s)
kill -TERM $pid
wait $cb $cc
t1=$(date +%s)
wait $ca
wait $pid
rc=$?
echo "# codes: export $(cat a.code), browser $(cat b.code), API $(cat c.code); waiters answered $((t1 - t0)) s after SIGTERM"
check "server exits 0 after SIGTERM" $rc 0
check "the export in flight answered 200" "$(cat a.code)" 200
check "and is a workbook (zip)" "$(head -c 2 a.xlsx)" PK
check "the browser waiting is answered 503" "$(cat b.code)" 503
check "with a page in Chinese" "$(grep -c '正在生成另一份台账' b.body)" 1
check "that reloads itself" "$(grep -c 'http-equiv="refresh"' b.body)" 1
check "and Retry-After" "$(grep -ci '^retry-after: 10' b.head)" 1
check "the API client waiting is answered 503" "$(cat c.code)" 503
check "in JSON" "$(grep -ci '^content-type: application/json' c.head)" 1
check "the waiters were answered within 5 s of SIGTERM" "$([ $((t1 - t0)) -le 5 ] && echo yes || echo "no ($((t1 - t0)) s)")" yes
tap_end
