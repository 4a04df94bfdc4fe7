#!/bin/sh
# replica.sh DIR -- failover to a streaming replica loses no acknowledged
# record (issue 19, docs/operations.md 2.7).  A primary and a standby
# PostgreSQL 15 cluster of this test's own (pg_basebackup -R, synchronous
# replication: the primary names the standby in synchronous_standby_names,
# so a commit returns once the standby has its WAL), both on 127.0.0.1 as
# in tests/pg/cluster.sh.  The county is copied in; anxin-central runs on
# the multi-host URL the guide gives (primary,standby with
# target_session_attrs=read-write).  Two batches are acknowledged; the
# primary is then killed (pg_ctl stop -m immediate: a crash, nothing
# flushed on the way out) and the standby promoted.  The same central
# process, not restarted, takes the next batches once the standby is the
# primary: its connections to the dead server are reopened on the URL,
# which finds the promoted one.  Every batch resent in full is all
# duplicates (nothing acknowledged was lost, nothing counted twice), the
# new ones are accepted, and the counted respondents equal a count by
# hand from the records sent.
set -u
NB=4 PER=500
DIR=$1
. "$(dirname "$0")/tap.sh"
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
[ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL server binaries not found in $PG_BIN"; exit 1; }
WORK=$(pwd)
tap_demo_parts $((NB * PER)) $PER 43 gw1
"$A" device add --db c.db --name gw1 --kind smsd --scope 439901000000 > tok 2>/dev/null
sqlite3 c.db "UPDATE devices SET created_at = 0"

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"
  else
    "$@"
  fi
}
T=$(mktemp -d /tmp/anxin-pgrep.XXXXXX)
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$T"
cleanup() {
  for d in primary standby; do
    [ -d "$T/$d" ] && as_pg "$PG_BIN/pg_ctl" -D "$T/$d" -m immediate stop > /dev/null 2>&1
  done
  rm -rf "$T"
}
trap cleanup EXIT
free_port() { echo $(( 20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000 )); }
start() { # start NAME: the cluster in $T/NAME on a free port, its port in $T/NAME.port
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    p=$(free_port)
    if as_pg "$PG_BIN/pg_ctl" -D "$T/$1" -o "-p $p" -l "$T/$1.log" -w -t 30 start > /dev/null 2>&1; then
      echo "$p" > "$T/$1.port"
      return 0
    fi
  done
  cat "$T/$1.log"
  return 1
}
cd /tmp
as_pg "$PG_BIN/initdb" -D "$T/primary" -U anxin -E UTF8 --locale=C.UTF-8 --auth=trust > "$T/initdb.log" 2>&1 ||
  { cat "$T/initdb.log"; exit 1; }
cat >> "$T/primary/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$T'
fsync = off
full_page_writes = off
max_connections = 40
max_wal_senders = 4
wal_level = replica
timezone = 'Asia/Shanghai'
CONF
start primary || exit 1
P1=$(cat "$T/primary.port")
as_pg "$PG_BIN/createdb" -h "$T" -p "$P1" -U anxin anxin
# the standby: a base backup of the primary, -R writes standby.signal and
# primary_conninfo; cluster_name is the name it reports to the primary
as_pg "$PG_BIN/pg_basebackup" -h "$T" -p "$P1" -U anxin -D "$T/standby" -R -X stream --checkpoint=fast > "$T/basebackup.log" 2>&1 ||
  { cat "$T/basebackup.log"; exit 1; }
echo "cluster_name = 'anxin_standby'" >> "$T/standby/postgresql.conf"
start standby || exit 1
P2=$(cat "$T/standby.port")
cd "$WORK"
PSQL1="psql -At -h 127.0.0.1 -p $P1 -U anxin anxin"
PSQL2="psql -At -h 127.0.0.1 -p $P2 -U anxin anxin"
$PSQL1 -q -c "ALTER SYSTEM SET synchronous_standby_names = 'anxin_standby'" -c "SELECT pg_reload_conf()" > /dev/null
for _ in $(seq 1 100); do
  [ "$($PSQL1 -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'anxin_standby'")" = sync ] && break
  sleep 0.1
done
check "the standby streams from the primary, synchronously" \
  "$($PSQL1 -c "SELECT state || ' ' || sync_state FROM pg_stat_replication WHERE application_name = 'anxin_standby'")" "streaming sync"
check "  and is in recovery" "$($PSQL2 -c "SELECT pg_is_in_recovery()")" t
"$A" store copy --from c.db --to "postgresql://anxin@127.0.0.1:$P1/anxin" > copy.txt 2>&1
check "the county copied to the primary" "$?" 0
URL="postgresql://anxin@127.0.0.1:$P1,127.0.0.1:$P2/anxin?target_session_attrs=read-write&connect_timeout=2"
# one server thread: the one connection that took the first batches is
# the one the failover kills.  With two, the batches after it could all
# land on the thread that had never opened the store (a fresh connection,
# nothing to reconnect): all 200 and "central said it reconnected" failed,
# as it did once under ASan (2026-12-05)
"$C" --db "$URL" --listen 127.0.0.1:0 --port-file port --threads 1 > server.log 2>&1 < /dev/null &
PID=$!
for _ in $(seq 1 100); do [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && break; sleep 0.1; done
U="http://127.0.0.1:$(cat port)"
# post TAG PARTS...: each part until it is answered other than 503 (as
# anxin sync resends), at most 60 times 0.5 s
post() {
  tag=$1; shift
  for i in "$@"; do
    for _ in $(seq 1 60); do
      curl -s -m 20 -o "out.$tag.$i" -w '%{http_code}' -X POST -H "Authorization: Bearer $(cat tok)" \
        -H "Content-Type: application/x-ndjson" --data-binary "@part.$i" \
        "$U/api/v1/records" > "code.$tag.$i"
      case $(cat "code.$tag.$i") in 503|000|500) echo "$tag $i $(cat "code.$tag.$i")" >> resent; sleep 0.5 ;; *) break ;; esac
    done
  done
}
field() { grep -o "\"$2\":[0-9]*" "$1" | cut -d: -f2; }
post one 0 1
check "batches 0 and 1 acknowledged by the primary" "$(cat code.one.0 code.one.1 | tr -d '\n')" 200200
check "  all accepted" "$(( $(field out.one.0 accepted) + $(field out.one.1 accepted) ))" $((2 * PER))
as_pg "$PG_BIN/pg_ctl" -D "$T/primary" -m immediate stop > /dev/null 2>&1
check "the primary crashed (stopped, immediate)" "$?" 0
as_pg "$PG_BIN/pg_ctl" -D "$T/standby" -w -t 30 promote > /dev/null 2>&1
check "the standby promoted" "$?" 0
check "  no longer in recovery" "$($PSQL2 -c "SELECT pg_is_in_recovery()")" f
post two 0 1 2 3
check "every batch answered 200 by the same central after the failover" \
  "$(cat code.two.0 code.two.1 code.two.2 code.two.3 | tr -d '\n')" 200200200200
check "  batches 0 and 1 again: all duplicates (nothing acknowledged was lost)" \
  "$(( $(field out.two.0 duplicate) + $(field out.two.1 duplicate) ))" $((2 * PER))
check "  batches 2 and 3: all accepted" \
  "$(( $(field out.two.2 accepted) + $(field out.two.3 accepted) ))" $((2 * PER))
check "  no conflict" "$(cat out.two.* | grep -o '"conflict":[1-9]' | wc -l)" 0
echo "# requests answered 503 or failed during the failover: $(wc -l < resent 2>/dev/null || echo 0)"
tap_stop $PID "anxin-central"
check "central said it reconnected" "$(grep -c 'connection to the database was lost; reconnecting' server.log | awk '{ print ($1 > 0) }')" 1
check "every record stored once on the new primary" \
  "$($PSQL2 -c "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)")" $((NB * PER))
check "counted respondents equal the count by hand" \
  "$($PSQL2 -c "SELECT SUM(den) FROM tally_total WHERE metric = 'resp'")" "$(respondents_by_hand all.jsonl)"
if [ "$fail" -gt 0 ]; then # what the servers said, for a failure seen once
  echo "# server.log:"; tail -n 20 server.log | sed 's/^/#   /'
  for d in primary standby; do echo "# $d:"; tail -n 15 "$T/$d.log" | sed 's/^/#   /'; done
fi
tap_end
