#!/bin/sh
# cluster.sh start|stop STATE -- a throwaway PostgreSQL 15 cluster for the
# tests labelled `pg` (CTest fixture `pg`: pg.cluster.start is its
# FIXTURES_SETUP, pg.cluster.stop its FIXTURES_CLEANUP).
#
# start: initdb refuses to run as root, so when we are root the cluster
#   runs as the unprivileged user `nobody` (setpriv).  Its data folder and
#   its unix socket live in a fresh temporary folder (mktemp -d, mode 700,
#   owned by the cluster's user); the server listens on 127.0.0.1 only, on
#   a free port (tried at random until one binds).  Authentication is
#   `trust` for local and 127.0.0.1 connections: nothing else can reach it.
#   It writes STATE/url (postgresql://anxin@127.0.0.1:PORT/anxin, the URL
#   the tests read) and STATE/dir (the temporary folder).
# stop: pg_ctl stop -m fast, then the temporary folder is removed; fails
#   when the server was not running or did not stop.
#
# PG_BIN overrides the server binaries' folder (default: Debian's
# /usr/lib/postgresql/15/bin).  Exit 77 (skipped) when they are missing.
set -eu
cmd=$1 state=$2
mkdir -p "$state"
state=$(cd "$state" && pwd)
# the cluster's user may not enter the build folder: work from /tmp
cd /tmp
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    "$@"
  fi
}

case $cmd in
start)
  [ -x "$PG_BIN/initdb" ] && [ -x "$PG_BIN/pg_ctl" ] || {
    echo "PostgreSQL server binaries not found in $PG_BIN (apt install postgresql)"
    exit 77
  }
  mkdir -p "$state"
  if [ -s "$state/dir" ] && [ -d "$(cat "$state/dir")" ]; then
    # a previous run's cluster left behind (killed test run): stop it
    old=$(cat "$state/dir")
    as_pg "$PG_BIN/pg_ctl" -D "$old/data" -m immediate stop > /dev/null 2>&1 || true
    rm -rf "$old"
  fi
  rm -f "$state/url" "$state/dir"
  tmp=$(mktemp -d /tmp/anxin-pg.XXXXXX)
  echo "$tmp" > "$state/dir"
  [ "$(id -u)" = 0 ] && chown nobody:nogroup "$tmp"
  as_pg "$PG_BIN/initdb" -D "$tmp/data" -U anxin -E UTF8 --locale=C.UTF-8 \
    --auth=trust > "$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log"; exit 1; }
  cat >> "$tmp/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$tmp'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 40
timezone = 'Asia/Shanghai'
CONF
  started=""
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    port=$(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 ))
    if as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -o "-p $port" -l "$tmp/server.log" \
      -w -t 30 start > /dev/null 2>&1; then
      started=$port
      break
    fi
  done
  [ -n "$started" ] || { echo "PostgreSQL did not start:"; cat "$tmp/server.log"; exit 1; }
  as_pg "$PG_BIN/createdb" -h "$tmp" -p "$started" -U anxin anxin
  echo "postgresql://anxin@127.0.0.1:$started/anxin" > "$state/url"
  echo "PostgreSQL 15 in $tmp, $(cat "$state/url")"
  ;;
stop)
  [ -s "$state/dir" ] || { echo "no cluster was started in $state"; exit 1; }
  tmp=$(cat "$state/dir")
  rc=0
  as_pg "$PG_BIN/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop || rc=1
  [ $rc = 0 ] || cat "$tmp/server.log"
  rm -rf "$tmp"
  rm -f "$state/dir" "$state/url"
  exit $rc
  ;;
*)
  echo "usage: cluster.sh start|stop STATE" >&2
  exit 2
  ;;
esac
