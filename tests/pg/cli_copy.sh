#!/bin/sh
# cli_copy.sh DIR URLFILE -- `anxin store copy` from the command line, on
# the `pg` fixture's cluster (ctest pg.cli_copy; its own database
# anxin_cli): the demo county (20,000 households: the roster file's lines
# but its header) and 300 demo records copied, the rows printed per table
# and read back with psql; a second copy refused (exit 3, says why);
# without --to, usage (exit 2); `init` opens a postgresql:// URL, a command
# not yet ported to PostgreSQL (roster import) is refused, saying so.
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

"$A" store copy --from c.db --to "$U" > out.txt 2> err.txt
check "store copy: exit 0" "$?" 0
check "  printed the households" "$(awk '$1 == "households" { print $2 }' out.txt)" "$hh"
check "  responses and contacts: the 300 records" \
  "$(awk '$1 == "responses" || $1 == "contacts" { s += $2 } END { print s }' out.txt)" 300
check "  PostgreSQL holds the households" "$(psql -At "$U" -c 'SELECT COUNT(*) FROM households')" "$hh"
check "  and the records" \
  "$(psql -At "$U" -c 'SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)')" 300

"$A" store copy --from c.db --to "$U" > out2.txt 2> err2.txt
check "a second copy: exit 3" "$?" 3
check "  says why" "$(grep -c 'copy into an empty database' err2.txt)" 1

"$A" store copy --from c.db > /dev/null 2>&1
check "no --to: usage, exit 2" "$?" 2

"$A" init --db "$U" > init.txt 2>&1
check "init --db postgresql://: opens it (exit 0)" "$?" 0
"$A" roster import --db "$U" "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv" > roster.txt 2>&1
check "roster import --db postgresql://: refused (exit 3)" "$?" 3
check "  says why" "$(grep -c 'not yet on PostgreSQL' roster.txt)" 1
tap_end
