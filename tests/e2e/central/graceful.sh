#!/bin/sh
# graceful.sh DIR -- SIGTERM while a large batch is being ingested: the
# request in flight finishes (200 and every record stored) and the server
# exits 0; never a half-stored batch.
set -u
DIR=$1
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR" || exit 1
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got $2, want $3)"; fi; }

"$A" roster import -q --db c.db --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
"$A" content install -q --db c.db "$ANXIN_SOURCE/content"
"$A" device add --db c.db --name smsd-county --kind smsd --scope 439901000000 > tok 2>/dev/null
"$A" records demo --db c.db --count 20000 --seed 7 > big.jsonl
"$C" --db c.db --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)"
curl -s -o out.json -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat tok)" \
  -H "Content-Type: application/x-ndjson" --data-binary @big.jsonl "$URL/api/v1/records" > code &
client=$!
# ask it to stop while the request is in flight (20,000 records take the
# server a second or more; the reply is not there yet when we signal)
sleep 0.4
inflight=$(wc -c < code)
kill -TERM $pid
wait $client
wait $pid
check "server exits 0 after SIGTERM" $? 0
check "request was in flight at SIGTERM" "$inflight" 0
check "request in flight answered 200" "$(cat code)" 200
stored=$(sqlite3 c.db "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)")
check "the whole batch is stored" "$stored" 20000
check "log says it finished requests in flight" "$(grep -c 'finishing requests in flight' server.log)" 1
echo "$((n - fail)) passed, $fail failed"
[ $fail = 0 ]
