#!/bin/sh
# sync_kill.sh DIR -- a device syncs 10,000 records to anxin-central while
# the server is SIGKILLed mid-stream (three times, at seeded moments) and
# restarted; the device retries; at the end the central store holds
# exactly 10,000 records, none twice, and the device has every record
# marked sent.  Real server, real sync client, 127.0.0.1 only.
set -u
DIR=$1
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
N=10000
. "$(dirname "$0")/tap.sh"

tap_store
"$A" device add --db c.db --name smsd-county --kind smsd --scope 439901000000 > tok 2>/dev/null
# registered before the weeks of history it sends
sqlite3 c.db "UPDATE devices SET created_at = 0"
chmod 600 tok
"$A" records demo --db c.db --count $N --seed 4242 --device smsd-county > recs.jsonl
"$A" init --db dev.db > /dev/null
"$A" records queue -q --db dev.db recs.jsonl
pending() { sqlite3 -cmd ".timeout 10000" dev.db "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"; }
check "device queued $N" "$(pending)" $N

start() { # start [PORT]
  rm -f port
  "$C" --db c.db --listen "127.0.0.1:${1:-0}" --port-file port >> server.log 2>&1 < /dev/null &
  echo $! > pid
  for _ in $(seq 1 100); do
    [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && return 0
    sleep 0.1
  done
  echo "server did not start" >&2
  return 1
}
start || exit 1
PORT=$(cat port)
URL="http://127.0.0.1:$PORT"

# the device: sync attempts one after another, as its daemon would
(
  for _ in $(seq 1 600); do
    [ "$(pending)" = 0 ] && exit 0
    "$A" sync --once --db dev.db --server "$URL" --token-file tok --batch 250 >> sync.log 2>&1 &
    echo $! > sync.pid
    wait $!
    rm -f sync.pid
    sleep 0.05
  done
) &
syncer=$!

# the chaos: kill -9 the server at three seeded points of the stream
kills=0
for at in 8500 5200 1700; do
  for _ in $(seq 1 400); do
    [ "$(pending)" -le $at ] && break
    sleep 0.05
  done
  # the kill must land mid-stream: records pending, the device's sync
  # process running (a batch on its way or being acknowledged)
  before=$(pending)
  busy=$( [ -s sync.pid ] && kill -0 "$(cat sync.pid)" 2>/dev/null && echo 1 || echo 0)
  kill -9 "$(cat pid)" 2>/dev/null && kills=$((kills + 1))
  wait "$(cat pid)" 2>/dev/null
  echo "killed the server with $before pending (sync running: $busy)" >> chaos.log
  echo "$before $busy" >> kills
  sleep 0.5
  start "$PORT" || { bad "restart on port $PORT"; break; }
done
check "server killed 3 times" $kills 3
# each kill with records still pending, fewer each time (the stream moved
# on), the first after some were acknowledged: kills mid-stream, not
# before it started or after it ended
check "every kill with records pending" "$(awk '$1 <= 0' kills | wc -l)" 0
check "the first kill after the stream started" "$(awk 'NR == 1 { print ($1 < N) }' N=$N kills)" 1
check "fewer pending at each kill" "$(awk 'NR > 1 && $1 >= prev { bad++ } { prev = $1 } END { print bad + 0 }' kills)" 0
check "the device was syncing at 2 of 3 kills or more" "$(awk '$2 == 1' kills | wc -l | awk '{ print ($1 >= 2) }')" 1
wait $syncer
check "device has nothing pending" "$(pending)" 0
check "device marked every record sent" "$(sqlite3 dev.db "SELECT COUNT(*) FROM outbox WHERE state = 'sent'")" $N
kill "$(cat pid)"
wait "$(cat pid)" 2>/dev/null
stored=$(sqlite3 c.db "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)")
check "central holds exactly $N records" "$stored" $N
check "no conflicts" "$(sqlite3 c.db 'SELECT COUNT(*) FROM conflicts')" 0
distinct=$(sqlite3 c.db "SELECT COUNT(*) FROM (SELECT id FROM responses UNION SELECT id FROM contacts)")
check "every stored id distinct" "$distinct" $N
# the resends after each kill came back as duplicates, never counted twice
check "central integrity" "$(sqlite3 c.db 'PRAGMA integrity_check')" ok
# counted responses in the tally equal the counted rows
check "tally matches counted responses" \
  "$(sqlite3 c.db "SELECT SUM(den) FROM tally_total WHERE metric = 'resp'")" \
  "$(sqlite3 c.db 'SELECT COUNT(*) FROM responses WHERE counted')"
cat chaos.log
tap_end
