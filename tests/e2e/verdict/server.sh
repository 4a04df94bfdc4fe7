#!/bin/sh
# server.sh start|stop DIR -- the fixture of e2e.verdict.*: the roster and
# records of tests/cases/report/0002-csv.case (12 households, 11 regions),
# tests/content-v1, a county user, and the CLI's table, CSV and JSON
# reports written to DIR; anxin-central on 127.0.0.1 (port in DIR/port).
set -eu
. "$(dirname "$0")/../fixture.sh"
if [ "$1" = stop ]; then
  fixture_stop "$2"
fi
A="$ANXIN_BIN/survey/anxin" C="$ANXIN_BIN/central/anxin-central"
rm -rf "$2" && mkdir -p "$2" && cd "$2"
# the case's "--- file NAME" sections, as run_case.sh writes them
awk '/^--- / { out = ($2 == "file") ? $3 : ""; if (out != "") printf "" > out; next }
     out != "" { print >> out }' "$ANXIN_SOURCE/tests/cases/report/0002-csv.case"
"$A" roster import -q --db c.db --county-name 江州县 roster.csv
"$A" content install -q --db c.db "$ANXIN_SOURCE/tests/content-v1"
"$A" records import -q --db c.db records.jsonl
for f in table csv json; do
  "$A" report --db c.db --format "$f" --depth 3 > "report.$f"
done
printf 'county-pass-2026\n' > county.pw
chmod 600 county.pw
"$A" user add --db c.db --name county --role county --scope 439901000000 --password-file county.pw > /dev/null
fixture_run server.out server.log "$C" --db c.db --listen 127.0.0.1:0 --port-file port || exit 1
fixture_wait_port
