#!/bin/sh
# e2e.smsd.lock -- one anxin-smsd per store: with the daemon running on
# the store, a second daemon and a manual --once each exit 1 at once,
# naming the pid holding STORE.lock, and send nothing; --status still
# reads.  After the daemon stops, --once runs again.
#
# usage: e2e_lock.sh ANXIN_SMSD ANXIN_CLI
set -eu
SMSD=$1
CLI=$2
. "$(dirname "$0")/daemon_lib.sh"
smsd_tmp lock
fail() { echo "FAIL: $*" >&2; [ -f "$T/log" ] && sed 's/^/  log: /' "$T/log" >&2; exit 1; }

smsd_daemon_up

# a second daemon and a --once: exit 1 (timeout's 124 if one kept running)
for mode in daemon once; do
	arg=; [ $mode = once ] && arg=--once
	rc=0
	timeout 10 "$SMSD" --config "$T/smsd.conf" $arg 2> "$T/second" || rc=$?
	[ "$rc" -eq 1 ] || fail "second $mode: exit $rc, expected 1: $(cat "$T/second")"
	grep -q "in use by another anxin-smsd (pid $PID; lock $T/anxin.db.lock)" "$T/second" ||
		fail "second $mode: no message naming pid $PID: $(cat "$T/second")"
done
[ "$(smsd_lines)" -eq 4 ] || fail "$(smsd_lines) messages sent, expected still 4"
"$SMSD" --config "$T/smsd.conf" --status > "$T/status" || fail "--status while the daemon runs"
grep -q '^gammu ' "$T/status" || fail "--status does not list the modem"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" -eq 0 ] || fail "the daemon exited $rc on SIGTERM, expected 0"
# the lock goes with the process: a --once now runs
"$SMSD" --config "$T/smsd.conf" --once 2> "$T/second" ||
	fail "--once after the daemon stopped: $(cat "$T/second")"
echo "e2e.smsd.lock: ok"
