#!/bin/sh
# browser.sh DIR SHOTS [visits] -- run browser.js against the fixture's
# server, or with `visits` the offline visits page's test (visits.js).
# The driver, playwright-core, is pinned by package.json and
# package-lock.json beside this script and installed with `npm ci`.
# Exit 77 (skipped -- which fails scripts/test unless allowed) naming what
# is missing: chromium or node/npm on PATH, or the pinned driver when npm
# cannot install it (registry unreachable, ...).
set -u
DIR=$1
SHOTS=$2
HERE=$(cd "$(dirname "$0")" && pwd)
CHROMIUM=$(command -v chromium) ||
  { echo "skipped: missing chromium (not on PATH; scripts/test installs the chromium package)"; exit 77; }
for tool in node npm; do
  command -v $tool > /dev/null ||
    { echo "skipped: missing $tool (not on PATH; scripts/test installs nodejs and npm)"; exit 77; }
done
PW_DIR="$DIR/pw"
export PW_DIR CHROMIUM
want=$(sed -n 's/^ *"playwright-core": *"\(.*\)"$/\1/p' "$HERE/package.json")
have=$(sed -n 's/^ *"version": *"\(.*\)",$/\1/p' "$PW_DIR/node_modules/playwright-core/package.json" 2>/dev/null)
if [ "$have" != "$want" ] || ! cmp -s "$HERE/package-lock.json" "$PW_DIR/package-lock.json"; then
  rm -rf "$PW_DIR"
  mkdir -p "$PW_DIR"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$PW_DIR/"
  if ! (cd "$PW_DIR" && npm ci --no-audit --no-fund --fetch-retries=1 --fetch-timeout=30000) > "$PW_DIR/npm.log" 2>&1; then
    tail -n 5 "$PW_DIR/npm.log"
    echo "skipped: missing playwright-core $want: npm ci from $(npm config get registry) failed (log: $PW_DIR/npm.log)"
    exit 77
  fi
fi
mkdir -p "$SHOTS"
URL="http://127.0.0.1:$(cat "$DIR/port")"
[ "${3:-}" = visits ] || exec node "$HERE/browser.js" "$URL" county "$(cat "$DIR/county.pw")" "$SHOTS"

# visits: the grid worker's offline page (visits.js), then each visit it
# sent counted in the store: one contact per household, under the id the
# phone made
node "$HERE/visits.js" "$URL" grid1 "$(cat "$DIR/grid.pw")" "$(cat "$DIR/county.pw")" "$SHOTS" > "$DIR/visits.out"
rc=$?
cat "$DIR/visits.out"
# the store central serves: c.db, or its PostgreSQL database (DIR/db,
# pg.e2e.dashboard.visits), read directly, not through the server
store_sql() {
  if [ -s "$DIR/db" ]; then psql -q -At "$(cat "$DIR/db")" -c "$1"
  else sqlite3 -cmd ".timeout 5000" "$DIR/c.db" "$1"; fi
}
nv=0
while read -r what hh id; do
  [ "$what" = visit ] || continue
  nv=$((nv + 1))
  got=$(store_sql "SELECT COUNT(*) || ' ' || COALESCE(MAX(id), '') FROM contacts WHERE household = '$hh' AND kind = 'visit' AND device = 'grid1'")
  if [ "$got" = "1 $id" ]; then echo "ok - $hh: one visit stored, id $id"
  else echo "not ok - $hh: stored '$got', want '1 $id'"; rc=1; fi
done < "$DIR/visits.out"
[ $nv = 2 ] || { echo "not ok - $nv visits printed, want 2"; rc=1; }
exit $rc
