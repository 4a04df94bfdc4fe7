#!/bin/sh
# twoproc.sh DIR [PGURLFILE] -- two anxin-central processes on one store
# (SQLite; with PGURLFILE, the `pg` fixture's cluster: a database of its
# own, anxin_twoproc, seeded with `anxin store copy`), on
# two ports, take the same device's batches and so the same households'
# answers at the same time: each of 8 batches (500 records) is posted to
# both at once (two clients, one per server, in the same order), each
# resending a batch answered 503 as anxin sync does.  Then every batch is answered 200 by
# both, each record is accepted once in all (the other post finds it a
# duplicate), none is a conflict, the store holds each once, and the
# counted respondents equal a count by hand from the records sent (no
# double count across processes, no loss).  Sessions, device last-seen
# and the login limiter are in the store: 4 wrong passwords for one
# account through server a and a 5th through b block the account on
# both (429); per process, b had counted one failure and said 401.
# So is a device's budget of sealed numbers (--max-unseal 3): a kiosk
# posting four roster numbers, two through each server, links three
# households (per process, each had its own 3 and linked all four).
set -u
NB=8 PER=500
DIR=$1
PGURL=${2:-}
. "$(dirname "$0")/tap.sh"
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
tap_demo_parts $((NB * PER)) $PER 41 gw1
"$A" device add --db c.db --name gw1 --kind smsd --scope 439901000000 > tok 2>/dev/null
sqlite3 c.db "UPDATE devices SET created_at = 0"
echo staff-pass-one > pw
"$A" device add --db c.db --name kiosk1 --kind kiosk --scope 439901000000 > ktok 2>/dev/null
sqlite3 c.db "UPDATE devices SET created_at = 0 WHERE id = 'kiosk1'"
SEAL="$ANXIN_BIN/tests/e2e/central/e2e_seal"
# four numbers each on one active household only, sealed for this store
# as a kiosk seals what a resident types, one contact each
PHONES=$(sqlite3 c.db "SELECT p.phone FROM household_phones p JOIN households h ON h.id = p.household WHERE h.active GROUP BY p.phone HAVING COUNT(*) = 1 ORDER BY p.phone LIMIT 4")
now=$(date +%s)
AT=$(TZ=Asia/Shanghai date -d "@$((now - 30))" +%Y-%m-%dT%H:%M:%S+08:00)
i=0
for ph in $PHONES; do
  i=$((i + 1))
  printf '{"type":"contact","id":"5ea1ed00-0000-4000-8000-00000000000%d","household_phone_sealed":"%s","channel":"kiosk","kind":"kiosk_session","pack":"anti-drug","device":"kiosk1","at":"%s"}\n' \
    "$i" "$("$SEAL" c.db "$ph")" "$AT" > "sealed.$i"
done
"$A" user add --db c.db --name staff --role county --scope 439901000000 --password-file pw > /dev/null
DB=c.db
q() { sqlite3 c.db "$1"; }
if [ -n "$PGURL" ]; then
  tap_pg_copy "$PGURL" anxin_twoproc
  q() { psql -At "$DB" -c "$1"; }
fi
for s in a b; do
  "$C" --db "$DB" --listen 127.0.0.1:0 --port-file "port.$s" --threads 4 --max-unseal 3 > "server.$s.log" 2>&1 < /dev/null &
  echo $! > "pid.$s"
done
for s in a b; do
  for _ in $(seq 1 100); do [ -s "port.$s" ] && curl -fs "http://127.0.0.1:$(cat "port.$s")/healthz" > /dev/null && break; sleep 0.1; done
done
check "two servers on two ports" "$([ "$(cat port.a)" != "$(cat port.b)" ] && echo yes)" yes
post() { # post SERVER PARTS...: each part until it is not answered 503
  s=$1; shift
  for i in "$@"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      curl -s -o "out.$s.$i" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat tok)" \
        -H "Content-Type: application/x-ndjson" --data-binary "@part.$i" \
        "http://127.0.0.1:$(cat "port.$s")/api/v1/records" > "code.$s.$i"
      [ "$(cat "code.$s.$i")" = 503 ] || break
      echo "$s $i" >> resent
      sleep 0.3
    done
  done
}
post a $(seq 0 $((NB - 1))) &
ca=$!
post b $(seq 0 $((NB - 1))) &
cb=$!
wait $ca
wait $cb
echo "# batches resent after a 503: $(wc -l < resent 2>/dev/null || echo 0)"
check "every batch answered 200 by both" "$(cat code.* | tr -d '\n')" "$(printf '200%.0s' $(seq 1 $((2 * NB))))"
sum() { cat out.* | grep -o "\"$1\":[0-9]*" | cut -d: -f2 | awk '{ s += $1 } END { print s + 0 }'; }
check "each record accepted once over both servers" "$(sum accepted)" $((NB * PER))
check "  and a duplicate on the other" "$(sum duplicate)" $((NB * PER))
check "  no conflict" "$(sum conflict)" 0
UA="http://127.0.0.1:$(cat port.a)" UB="http://127.0.0.1:$(cat port.b)"
for i in 1 2 3 4; do
  check "wrong password $i for staff through server a: 401" "$(tap_login "$UA" j staff wrong-$i 10.2.0.$i)" 401
done
check "a 5th through server b, from a 5th address: 429" "$(tap_login "$UB" j staff wrong-5 10.2.0.5)" 429
check "  then staff's right password through a, from a new address: 429" \
  "$(tap_login "$UA" j staff staff-pass-one 10.2.0.9)" 429
check "  another account through a from that address: 401, not blocked" \
  "$(tap_login "$UA" j nobody wrong 10.2.0.9)" 401
for i in 1 2 3 4; do
  s=a; [ $i -gt 2 ] && s=b
  curl -s -o "sealed.$i.out" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat ktok)" \
    -H "Content-Type: application/x-ndjson" --data-binary "@sealed.$i" \
    "http://127.0.0.1:$(cat "port.$s")/api/v1/records" > "sealed.$i.code"
done
check "four sealed numbers, two through each server: all answered 200 accepted" \
  "$(cat sealed.?.code)$(cat sealed.?.out | grep -o '"accepted":1' | wc -l)" 2002002002004
check "  three households linked (the budget of 3 is the store's, not each process's)" \
  "$(q "SELECT COUNT(*) FROM contacts WHERE device = 'kiosk1'")" 3
check "  the 4th number stayed sealed and server b said the budget was reached" \
  "$(grep -c 'kiosk1 reached its 3 sealed phone numbers for today (3 opened)' server.b.log)" 1
for s in a b; do
  tap_stop "$(cat "pid.$s")" "server $s"
done
check "every record stored once" \
  "$(q "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts WHERE device <> 'kiosk1')")" $((NB * PER))
check "counted respondents equal the count by hand" \
  "$(q "SELECT SUM(den) FROM tally_total WHERE metric = 'resp'")" "$(respondents_by_hand all.jsonl)"
check "  each counted response its household's earliest" \
  "$(q "SELECT COUNT(*) FROM responses r WHERE counted = 1 AND household IS NOT NULL AND EXISTS (SELECT 1 FROM responses e WHERE e.household = r.household AND e.survey = r.survey AND e.wave = r.wave AND e.status = 'complete' AND (e.completed_at < r.completed_at OR (e.completed_at = r.completed_at AND e.id < r.id)))")" 0
check "the device's last batch seen once, in the store" \
  "$(q "SELECT CASE WHEN last_seen > 0 THEN 1 ELSE 0 END FROM devices WHERE id = 'gw1'")" 1
tap_end
