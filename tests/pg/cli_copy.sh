#!/bin/sh
# cli_copy.sh DIR URLFILE -- `anxin store copy` from the command line, on
# the `pg` fixture's cluster (ctest pg.cli_copy; its own database
# anxin_cli): the demo county (20,000 households: the roster file's lines
# but its header) and 300 demo records copied, the rows printed per table
# and read back with psql; central's sync_state (a device's queue report
# and unseal count, two rows put in by hand) copied too; copied back into
# a new SQLite file, every table's rows and the report the same as the county's; a second copy
# back refused (exit 3, says why), a second copy in writes nothing (merged);
# without --to, usage (exit 2); `init` opens a postgresql:// URL, and the
# county's roster imported there again changes nothing.
set -u
DIR=$1
URLFILE=$2
A="$ANXIN_BIN/survey/anxin"
. "$ANXIN_SOURCE/tests/e2e/central/tap.sh"

base=$(cat "$URLFILE")
PGOPTIONS="-c client_min_messages=warning" psql -q "$base" -c "DROP DATABASE IF EXISTS anxin_cli" -c "CREATE DATABASE anxin_cli" || exit 1
U="${base%/*}/anxin_cli"

tap_store
hh=$(($(wc -l < "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv") - 1))
"$A" records demo --db c.db --count 300 --seed 5 --start 2026-09-01 --days 20 > r.jsonl
"$A" records import -q --db c.db r.jsonl
check "300 records imported" "$?" 0
sqlite3 c.db "INSERT INTO sync_state(key, value) VALUES('queue.dev-cli', '3 待发送'), ('unseal.dev-cli.20260905', '2')"

"$A" store copy --from c.db --to "$U" > out.txt 2> err.txt
check "store copy: exit 0" "$?" 0
check "  printed the households" "$(awk '$1 == "households" { print $2 }' out.txt)" "$hh"
check "  responses and contacts: the 300 records" \
  "$(awk '$1 == "responses" || $1 == "contacts" { s += $2 } END { print s }' out.txt)" 300
check "  PostgreSQL holds the households" "$(psql -At "$U" -c 'SELECT COUNT(*) FROM households')" "$hh"
check "  and the records" \
  "$(psql -At "$U" -c 'SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)')" 300
check "  and sync_state's rows" \
  "$(psql -At "$U" -c "SELECT string_agg(key || '=' || value, ' ' ORDER BY key) FROM sync_state WHERE key LIKE '%dev-cli%'")" \
  "queue.dev-cli=3 待发送 unseal.dev-cli.20260905=2"

# the way back: the database into a new SQLite file, row for row the
# county it came from (each table's rows compared both ways with EXCEPT,
# which tells 1 from '1' and from 1.0 only by value: typeof checked too)
"$A" store copy --from "$U" --to back.db > back.txt 2> backerr.txt
check "store copy back to SQLite: exit 0" "$?" 0
check "  printed the households" "$(awk '$1 == "households" { print $2 }' back.txt)" "$hh"
diffs=""
for t in meta regions households household_periods household_phones packs surveys \
    responses contacts conflicts tally tally_total devices users sessions campaigns \
    campaign_strata campaign_sample keys optout_events sync_state; do
  w=""
  [ "$t" = meta ] && w=" WHERE key <> 'schema_version'"
  d=$(sqlite3 back.db "ATTACH 'c.db' AS c; SELECT (SELECT COUNT(*) FROM (SELECT * FROM c.$t$w EXCEPT SELECT * FROM main.$t)) + (SELECT COUNT(*) FROM (SELECT * FROM main.$t EXCEPT SELECT * FROM c.$t$w)) + abs((SELECT COUNT(*) FROM c.$t$w) - (SELECT COUNT(*) FROM main.$t))")
  [ "$d" = 0 ] || diffs="$diffs $t:$d"
done
check "  every central table's rows identical to the county's" "${diffs:-none}" none
check "  numbers stay numbers (responses.score, tally.den by type)" \
  "$(sqlite3 back.db "SELECT group_concat(DISTINCT typeof(score)) FROM responses WHERE score IS NOT NULL; SELECT group_concat(DISTINCT typeof(den)) FROM tally")" \
  "$(sqlite3 c.db "SELECT group_concat(DISTINCT typeof(score)) FROM responses WHERE score IS NOT NULL; SELECT group_concat(DISTINCT typeof(den)) FROM tally")"
check "  the same report" "$("$A" report --db back.db --format csv --depth 3 | md5sum)" \
  "$("$A" report --db c.db --format csv --depth 3 | md5sum)"
"$A" store copy --from "$U" --to back.db > /dev/null 2> backerr2.txt
check "a second copy back into that file: exit 3" "$?" 3
check "  says why" "$(grep -c 'copy into a new file' backerr2.txt)" 1

# the same county again: merged (store_merge.c), every row already there
"$A" store copy --from c.db --to "$U" > out2.txt 2> err2.txt
check "a second copy: exit 0" "$?" 0
check "  wrote no row" "$(awk '{ s += $2 } END { print s }' out2.txt)" 0
check "  the households and records as they were" \
  "$(psql -At "$U" -c 'SELECT (SELECT COUNT(*) FROM households), (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts), (SELECT COUNT(*) FROM household_periods)')" \
  "$hh|300|$(sqlite3 c.db 'SELECT COUNT(*) FROM household_periods')"

"$A" store copy --from c.db > /dev/null 2>&1
check "no --to: usage, exit 2" "$?" 2

# a records file naming more households than the server's lock table
# holds (the fixture's: 64 locks a transaction x 40 connections = 2,560),
# imported into PostgreSQL: it went in as one 50,000-record transaction,
# one advisory lock a household, and failed with "out of shared memory"
"$A" records demo --db c.db --count 6000 --seed 8 --start 2026-10-01 --days 20 > r6k.jsonl
check "  6,000 records name more than 2,560 households" \
  "$(grep -o '"household":"[^"]*"' r6k.jsonl | sort -u | wc -l | awk '{ print ($1 > 2560) }')" 1
"$A" records import --db "$U" r6k.jsonl > r6k.txt 2>&1
check "records import of them into PostgreSQL: exit 0, all accepted" "$?$(cat r6k.txt)" \
  "0r6k.jsonl: 6000 records: 6000 accepted, 0 duplicate, 0 conflict, 0 rejected"

"$A" init --db "$U" > init.txt 2>&1
check "init --db postgresql://: opens it (exit 0)" "$?" 0
"$A" roster import --db "$U" "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv" > roster.txt 2>&1
check "roster import --db postgresql://: the county's own roster again (exit 0)" "$?" 0
check "  every household unchanged" "$(grep -o '20000 rows: 0 new, 0 updated, 20000 unchanged, 0 rejected' roster.txt)" \
  "20000 rows: 0 new, 0 updated, 20000 unchanged, 0 rejected"
"$A" device add --db "$U" --name k9 --kind kiosk --scope 439901000000 > k9.tok 2> k9.err
check "device add on PostgreSQL: exit 0, a kiosk token" "$?$(grep -c '^axk_' k9.tok)" 01
"$A" device add --db "$U" --name k9 --kind kiosk --scope 439901000000 > /dev/null 2> k9b.err
check "  the same name again: refused (exit 3), says so" "$?$(grep -c 'already exists' k9b.err)" 31
"$A" device revoke --db "$U" --name k9 > /dev/null 2>&1
check "  revoked (exit 0)" "$?" 0
"$A" device revoke --db "$U" --name k9 > /dev/null 2> k9c.err
check "  a second revoke: no active device (exit 3)" "$?$(grep -c 'no active device' k9c.err)" 31
check "  listed as revoked" "$("$A" device list --db "$U" | awk '$1 == "k9" { print $3 }')" revoked
echo staff-pass-9 > pw9
"$A" user add --db "$U" --name u9 --role township --scope 439901000000 --password-file pw9 > /dev/null 2> u9.err
check "user add on PostgreSQL: a township user at the county refused (exit 3)" \
  "$?$(grep -c 'is a county' u9.err)" 31
"$A" user add --db "$U" --name u9 --role county --scope 439901000000 --password-file pw9 > /dev/null 2>&1
check "  a county user added (exit 0)" "$?" 0
"$A" user disable --db "$U" --name u9 > /dev/null 2>&1
check "  disabled (exit 0)" "$?" 0
check "  listed disabled" "$("$A" user list --db "$U" | awk '$1 == "u9" { print $3 }')" disabled
"$A" user disable --db "$U" --name nobody > /dev/null 2>&1
check "  an unknown user: exit 3" "$?" 3
check "  the roster's history as it was (a stretch each, none written)" \
  "$(psql -At "$U" -c "SELECT COUNT(*) FROM household_periods")" "$(sqlite3 c.db "SELECT COUNT(*) FROM household_periods")"

# the roster imported straight into an empty PostgreSQL database (new
# households go in 128 rows a statement): every household, phone (in the
# file's order) and stretch of history against the file itself (the demo
# roster quotes nothing and fills every grid code: awk splits it, its CRLF
# line ends dropped)
PGOPTIONS="-c client_min_messages=warning" psql -q "$base" -c "DROP DATABASE IF EXISTS anxin_cli2" -c "CREATE DATABASE anxin_cli2" || exit 1
U2="${base%/*}/anxin_cli2"
R="$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
"$A" roster import --db "$U2" --county-name 江州县 "$R" > roster2.txt 2>&1
check "roster import into an empty PostgreSQL database: exit 0, every household new" \
  "$?$(grep -o '20000 rows: 20000 new, 0 updated, 0 unchanged, 0 rejected, 0 warnings' roster2.txt)" \
  "020000 rows: 20000 new, 0 updated, 0 unchanged, 0 rejected, 0 warnings"
psql -At "$U2" -c "SELECT id || '|' || grid || '|' || members || '|' || active || '|' || head || '|' || address FROM households" | LC_ALL=C sort > pg.hh
awk -F, 'NR > 1 { sub(/\r$/, ""); print $1 "|" $7 "|" $9 "|1|" $10 "|" $11 }' "$R" | LC_ALL=C sort > csv.hh
check "  households: id, grid, members, active, 户主, 住址 as the file's $(wc -l < csv.hh)" \
  "$(cmp -s pg.hh csv.hh && wc -l < pg.hh)" "$(wc -l < csv.hh)"
# phones: the last 11 digits of each, split where the importer splits, in order
psql -At "$U2" -c "SELECT household || '|' || right(phone, 11) || '|' || pos FROM household_phones" | LC_ALL=C sort > pg.ph
awk -F, 'function d(x) { gsub(/[^0-9]/, "", x); return substr(x, length(x) - 10) }
  NR > 1 && $8 != "" { n = split($8, p, /;|\/|\||；|，|、|／/); for (i = 1; i <= n; i++) print $1 "|" d(p[i]) "|" i - 1 }' "$R" | LC_ALL=C sort > csv.ph
check "  phones, in the file's order: $(wc -l < csv.ph)" "$(cmp -s pg.ph csv.ph && wc -l < pg.ph)" "$(wc -l < csv.ph)"
check "  a stretch of history each, from the start (the first roster)" \
  "$(psql -At "$U2" -c "SELECT COUNT(DISTINCT household) || ' ' || SUM(CASE WHEN active_from = 0 AND active_to IS NULL THEN 1 ELSE 0 END) FROM household_periods")" \
  "20000 20000"
tap_end
