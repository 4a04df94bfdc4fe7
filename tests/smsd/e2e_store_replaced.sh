#!/bin/sh
# e2e.smsd.store_replaced -- the store file replaced under a running
# anxin-smsd (a backup restored, or a store made anew where the old one
# was, as a test harness that starts again in the same folder does) must
# stop that gateway at once: its commits would go to the old, unlinked
# file that nobody reads, while it went on reading the modem (deleting
# the replies it took) and sending.  That is how soak.platform once saw
# 612 sends with no queue row and half the residents' replies missing: a
# gateway left running by an earlier run in the same folder kept answering
# replies meant for the new one.
#
# The daemon sends its intros, the store is replaced (mv, -wal and -shm
# removed, as a restore does), a reply arrives: it must stay in the modem,
# nothing more may be sent, and the daemon must exit 1 saying why.  Then a
# gateway on the new store takes the reply.
#
# usage: e2e_store_replaced.sh ANXIN_SMSD ANXIN_CLI
set -eu
SMSD=$1
CLI=$2
. "$(dirname "$0")/daemon_lib.sh"
smsd_tmp replaced
fail() { echo "FAIL: $*" >&2; [ -f "$T/log" ] && sed 's/^/  log: /' "$T/log" >&2; exit 1; }

smsd_daemon_up

# the store replaced while the daemon runs
smsd_store "$T/new.db"
mv "$T/new.db" "$T/anxin.db"
rm -f "$T/anxin.db-wal" "$T/anxin.db-shm"
# five minutes later, E1 answers "1" (the modem's UCS-2 hex)
echo 1772417100 > "$T/clock"
smsd_reply_e1
# the old gateway stops within a few polls (the old code answered within
# one, 0.2 s, and ran on)
i=0
while kill -0 "$PID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$PID" 2>/dev/null; then
	fail "anxin-smsd still runs 5 s after its store was replaced ($(smsd_lines) sent)"
fi
rc=0
wait "$PID" || rc=$?
PID=
[ "$rc" -eq 1 ] || fail "anxin-smsd exited $rc, expected 1"
grep -q 'is no longer the store this gateway opened (replaced by another file)' "$T/log" ||
	fail "the log does not say why it stopped"
[ "$(smsd_lines)" -eq 4 ] || fail "$(smsd_lines) messages sent, expected still 4 (nothing after the replacement)"
[ -e "$T/m0/sms/1/1" ] || fail "the reply was taken off the modem into the replaced store"

# a gateway on the store now there takes the reply (E1 has no
# conversation in it yet: the reply is kept for staff as from no
# conversation, or answered after the intros it starts now)
"$SMSD" --config "$T/smsd.conf" --once 2> "$T/log2" || fail "--once on the new store: $(cat "$T/log2")"
[ ! -e "$T/m0/sms/1/1" ] || fail "the new store's gateway left the reply in the modem"
[ "$(sqlite3 "$T/anxin.db" "SELECT COUNT(*) FROM inbox WHERE phone LIKE '%13800000011'")" -eq 1 ] ||
	fail "the reply is not in the new store's inbox"
echo "e2e.smsd.store_replaced: ok"
