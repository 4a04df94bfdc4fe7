#!/bin/sh
# disk.sh DIR -- anxin-central on a store whose disk fills up, then turns
# read-only: the server answers 507 / 503 instead of losing anything; every
# batch it acknowledged is stored whole, every refused batch not at all,
# and once space is back the refused batch goes through.  Needs root (a
# small tmpfs); exits 77 (skipped) otherwise.
set -u
DIR=$1
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
rm -rf "$DIR"
mkdir -p "$DIR/fs"
cd "$DIR" || exit 1
if ! mount -t tmpfs -o size=24m tmpfs fs 2>/dev/null; then
  echo "cannot mount a tmpfs (not root?): skipped"
  exit 77
fi
trap 'kill $(cat pid 2>/dev/null) 2>/dev/null; sleep 0.3; umount fs 2>/dev/null' EXIT
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got $2, want $3)"; fi; }

# a township's roster keeps the store small
head -1 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv" > roster.csv
grep ',439901101000,' "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv" >> roster.csv
"$A" roster import -q --db fs/c.db --county-name 江州县 roster.csv
"$A" content install -q --db fs/c.db "$ANXIN_SOURCE/content"
"$A" device add --db fs/c.db --name smsd-t --kind smsd --scope 439901101000 > tok 2>/dev/null
"$A" records demo --db fs/c.db --count 30000 --seed 5 > all.jsonl
split -l 1000 -d -a 3 all.jsonl batch.
"$C" --db fs/c.db --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
echo $! > pid
for _ in $(seq 1 100); do [ -s port ] && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)"
post() {
  curl -s -o out.json -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat tok)" \
    -H "Content-Type: application/x-ndjson" --data-binary "@$1" "$URL/api/v1/records"
}
stored() { sqlite3 -cmd ".timeout 5000" fs/c.db "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)"; }

# fill the disk but a little
avail=$(df -k fs | awk 'NR==2 {print $4}')
dd if=/dev/zero of=fs/filler bs=1k count=$((avail - 1200)) 2>/dev/null
acked=0 refused=""
for b in batch.*; do
  code=$(post "$b")
  if [ "$code" = 200 ]; then
    acked=$((acked + $(grep -o '"accepted":[0-9]*' out.json | cut -d: -f2)))
  else
    refused=$b
    break
  fi
done
check "a full disk is answered 507" "${code:-none}" 507
grep -q "nothing of this batch was stored" out.json && ok "  and says nothing was stored" || bad "  and says nothing was stored"
check "every acknowledged record is stored, nothing of the refused batch" "$(stored)" "$acked"
check "server still answers health checks" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200

# read-only: writes refused with 503 (a batch of duplicates writes nothing
# and is rightly answered 200, so send new records), reads still served
mount -o remount,ro fs
code=$(post "$refused")
case $code in 503|507) ok "read-only store is answered $code" ;; *) bad "read-only store answered $code, want 503" ;; esac
check "report still served from a read-only store" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat tok)" "$URL/api/v1/report?scope=439901101000")" 200
mount -o remount,rw fs

# space back: the refused batch goes through, nothing doubled
rm -f fs/filler
code=$(post "$refused")
check "after freeing space the refused batch is accepted" "$code" 200
got=$(grep -o '"accepted":[0-9]*' out.json | cut -d: -f2)
check "all of it new" "$got" "$(grep -c . "$refused")"
check "stored = acknowledged" "$(stored)" "$((acked + got))"
check "integrity" "$(sqlite3 -cmd '.timeout 5000' fs/c.db 'PRAGMA integrity_check')" ok
echo "$((n - fail)) passed, $fail failed"
[ $fail = 0 ]
