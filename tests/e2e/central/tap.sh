# tap.sh -- sourced by this folder's stand-alone tests (graceful.sh,
# sync_kill.sh, parallel.sh): a fresh work folder DIR as the current
# directory, TAP-style ok/bad/check lines, and tap_end's summary and
# exit status.
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR" || exit 1
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got $2, want $3)"; fi; }
# tap_stop PID NAME: the teardown of a server this test started: SIGTERM,
# and its exit status must be 0 (a crash or a sanitizer exit fails)
tap_stop() {
  kill -TERM "$1"
  wait "$1"
  check "$2 exits 0 after SIGTERM" $? 0
}
# the store every test starts from: the demo roster and the bundled content
tap_store() {
  "$A" roster import -q --db c.db --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
  "$A" content install -q --db c.db "$ANXIN_SOURCE/tests/content-v1"
}
# tap_pg_copy URLFILE NAME: c.db copied into a fresh database NAME of the
# `pg` fixture's cluster (its URL in URLFILE); its URL in $DB
tap_pg_copy() {
  tap_db "$1" "$2"
  "$A" store copy --from c.db --to "$DB" > copy.txt 2>&1
  check "the county copied to PostgreSQL" "$?" 0
}
# tap_db [URLFILE NAME]: the store a test builds from nothing -- c.db, or
# with a URLFILE a fresh empty database NAME of the `pg` fixture's cluster;
# its --db argument in $DB; tap_sql SQL runs one statement on it
tap_db() {
  DB=c.db
  [ $# -ge 2 ] || return 0
  base=$(cat "$1")
  PGOPTIONS="-c client_min_messages=warning" psql -q "$base" \
    -c "DROP DATABASE IF EXISTS $2" -c "CREATE DATABASE $2" || exit 1
  DB="${base%/*}/$2"
}
# tap_roster: the demo roster (江州县, 20,000 households) into $DB; on
# PostgreSQL imported into c.db and moved with `store copy` (2 s), as the
# import's row-by-row inserts take 10 s there
tap_roster() {
  "$A" roster import -q --db c.db --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
  [ "$DB" = c.db ] || "$A" store copy --from c.db --to "$DB" > copy.txt || exit 1
}
tap_sql() {
  case $DB in
    postgresql://*) psql -q -At "$DB" -c "$1" ;;
    *) sqlite3 -cmd ".timeout 5000" "$DB" "$1" ;;
  esac
}
# tap_demo_parts COUNT PER SEED DEVICE: the store, COUNT demo records
# as DEVICE sends them in all.jsonl, split into part.0, part.1 ... of PER
tap_demo_parts() {
  tap_store
  "$A" records demo --db c.db --count "$1" --seed "$3" --device "$4" > all.jsonl
  split -l "$2" -d -a 1 all.jsonl part.
}
# respondents_by_hand FILE: the counted respondents of the records in
# FILE, by hand: the earliest complete response per household, survey and
# wave (no campaign: one wave); the demo writes every time in +08:00, so
# the text order is the time order
respondents_by_hand() {
  grep '"type":"response"' "$1" | grep '"status":"complete"' |
    sed 's/.*"completed_at":"\([^"]*\)".*"household":"\([^"]*\)".*"id":"\([^"]*\)".*"survey":"\([^"]*\)".*/\2|\4 \1 \3/' |
    sort | awk '{ if ($1 != last) n++; last = $1 } END { print n }'
}
# tap_login URL JAR USER PASSWORD [X-Real-IP]: a dashboard login, its
# status (303 in, 401 refused, 429 blocked) printed
tap_login() {
  rm -f "$2"
  curl -s -c "$2" -o "$2.page" "$1/login"
  t=$(grep -o 'name="csrf" value="[^"]*"' "$2.page" | head -n 1 | sed 's/.*value="//; s/"$//')
  curl -s -b "$2" -c "$2" -o /dev/null -w '%{http_code}' ${5:+-H "X-Real-IP: $5"} \
    --data-urlencode "csrf=$t" --data-urlencode "user=$3" --data-urlencode "password=$4" "$1/login"
}
tap_end() {
  echo "$((n - fail)) passed, $fail failed"
  [ $fail = 0 ]
}
