#!/bin/sh
# parallel.sh DIR -- anxin-central's worker threads at once: eight devices
# post their batches (2,000 records each, disjoint) at the same time,
# while /metrics, the report API and /healthz are read in a loop; then
# every batch is answered 200 (a device resends a batch answered 503 --
# the store was busy past its timeout, nothing stored -- as anxin sync
# does; the resends are counted), every record is stored once, the counted
# respondents equal a count by hand from the batches, and the server
# stops on SIGTERM with status 0.  Each thread has its own long-lived
# importer (central/api.c): this is the test of the ThreadSanitizer build
# (ctest -L tsan), and runs in the others too.
set -u
DIR=$1
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
NDEV=8 PER=2000
. "$(dirname "$0")/tap.sh"

# records as an SMS gateway sends them, each part under its own device's
# name; the devices registered before the history they send
tap_demo_parts $((NDEV * PER)) $PER 99 devX
for i in $(seq 0 $((NDEV - 1))); do
  "$A" device add --db c.db --name "dev$i" --kind smsd --scope 439901000000 > "tok$i" 2>/dev/null
  sed -i "s/\"device\":\"devX\"/\"device\":\"dev$i\"/" "part.$i"
done
sqlite3 c.db "UPDATE devices SET created_at = 0"
# reports are for staff: a session for the reader
echo 'parallel-test-password' > staff.pw
"$A" user add --db c.db --name staff --role county --scope 439901000000 --password-file staff.pw > /dev/null
"$C" --db c.db --listen 127.0.0.1:0 --port-file port --threads 4 > server.log 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)"
curl -s -c jar -o login.page "$URL/login"
t=$(grep -o 'name="csrf" value="[^"]*"' login.page | head -n 1 | sed 's/.*value="//; s/"$//')
curl -s -b jar -c jar -o /dev/null --data-urlencode "csrf=$t" --data-urlencode "user=staff" \
  --data-urlencode "password=parallel-test-password" "$URL/login"
# readers while the batches are imported
( while [ ! -f done ]; do
    curl -fs -o /dev/null "$URL/metrics"
    curl -fs -o /dev/null -b jar "$URL/api/v1/report?scope=439901000000&depth=1"
    curl -fs -o /dev/null "$URL/healthz"
  done ) &
readers=$!
clients=""
for i in $(seq 0 $((NDEV - 1))); do
  ( for _ in 1 2 3 4 5; do
      curl -s -o "out$i.json" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat "tok$i")" \
        -H "Content-Type: application/x-ndjson" --data-binary "@part.$i" "$URL/api/v1/records" > "code$i"
      [ "$(cat "code$i")" = 503 ] || break
      echo "$i" >> resent
      sleep 0.5
    done ) &
  clients="$clients $!"
done
for c in $clients; do wait "$c"; done
touch done
wait $readers
echo "# batches resent after a 503: $(wc -l < resent 2>/dev/null || echo 0)"
check "every batch answered 200" "$(cat code* | tr -d '\n')" "$(printf '200%.0s' $(seq 1 $NDEV))"
check "every record accepted (once)" "$(cat out*.json | grep -o '"accepted":[0-9]*' | cut -d: -f2 | awk '{ s += $1 } END { print s }')" $((NDEV * PER))
tap_stop $pid "the server"
check "no sanitizer report in the server's log" \
  "$(grep -c -E 'ThreadSanitizer|AddressSanitizer|runtime error:' server.log)" 0
check "every record stored once" \
  "$(sqlite3 c.db "SELECT (SELECT COUNT(DISTINCT id) FROM responses) + (SELECT COUNT(DISTINCT id) FROM contacts)")" $((NDEV * PER))
check "counted respondents equal the count by hand" \
  "$(sqlite3 c.db "SELECT SUM(den) FROM tally_total WHERE metric = 'resp'")" "$(respondents_by_hand all.jsonl)"
tap_end
