#!/bin/sh
# browser.sh DIR SHOTS -- run browser.js against the fixture's server.
# Skipped (77) when Chromium or Node.js is missing, or when playwright-core
# cannot be installed from the npm registry.
set -u
DIR=$1
SHOTS=$2
[ -x /usr/bin/chromium ] || { echo "no /usr/bin/chromium: skipped"; exit 77; }
command -v node > /dev/null && command -v npm > /dev/null || { echo "no node/npm: skipped"; exit 77; }
PW_DIR="$DIR/pw"
export PW_DIR
if [ ! -d "$PW_DIR/node_modules/playwright-core" ]; then
  mkdir -p "$PW_DIR"
  npm install --prefix "$PW_DIR" --no-audit --no-fund --silent playwright-core@1 > "$PW_DIR/npm.log" 2>&1 ||
    { echo "playwright-core could not be installed: skipped"; cat "$PW_DIR/npm.log"; exit 77; }
fi
mkdir -p "$SHOTS"
exec node "$(dirname "$0")/browser.js" "http://127.0.0.1:$(cat "$DIR/port")" county "$(cat "$DIR/county.pw")" "$SHOTS"
