#!/bin/sh
# server.sh start|stop DIR [PGURLFILE] -- the CTest fixture of the central
# e2e tests: a store with the demo roster, the bundled content and
# devices, served by anxin-central on 127.0.0.1 (a free port, written to
# DIR/port).  With PGURLFILE (the `pg` fixture's URL) the store is copied
# into a fresh database anxin_api of that cluster and served from there;
# the store's --db argument is in DIR/db either way.
set -eu
cmd=$1
DIR=$2
. "$(dirname "$0")/../fixture.sh"
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
case $cmd in
start)
  rm -rf "$DIR"
  mkdir -p "$DIR"
  cd "$DIR"
  "$A" roster import -q --db c.db --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
  "$A" content install -q --db c.db "$ANXIN_SOURCE/tests/content-v1"
  # 石桥镇 (439901101000) devices; one revoked
  "$A" device add --db c.db --name kiosk-a --kind kiosk --scope 439901101000 > kiosk.token 2>/dev/null
  "$A" device add --db c.db --name smsd-a --kind smsd --scope 439901101000 > smsd.token 2>/dev/null
  "$A" device add --db c.db --name kiosk-old --kind kiosk --scope 439901101000 > revoked.token 2>/dev/null
  "$A" device revoke --db c.db kiosk-old > /dev/null
  "$A" device add --db c.db --name county-sync --kind smsd --scope 439901000000 > county.token 2>/dev/null
  chmod 600 ./*.token
  db=c.db
  if [ $# -ge 3 ]; then
    base=$(cat "$3")
    PGOPTIONS="-c client_min_messages=warning" psql -q "$base" \
      -c "DROP DATABASE IF EXISTS anxin_api" -c "CREATE DATABASE anxin_api"
    db="${base%/*}/anxin_api"
    "$A" store copy --from c.db --to "$db" > copy.txt
  fi
  echo "$db" > db
  fixture_run server.log server.log "$C" --db "$db" --listen 127.0.0.1:0 --port-file port --max-body 8388608 || exit 1
  fixture_wait_port
  ;;
stop)
  fixture_stop "$DIR"
  ;;
esac
