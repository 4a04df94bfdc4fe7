#!/bin/sh
# browser.sh DIR SHOTS -- run browser.js against the fixture's server.
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
exec node "$HERE/browser.js" "http://127.0.0.1:$(cat "$DIR/port")" county "$(cat "$DIR/county.pw")" "$SHOTS"
