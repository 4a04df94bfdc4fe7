#!/bin/sh
# e2e.smsd.optout_sync -- opt-outs as records shared by a county's
# gateways: gateway A takes a 退订 and pushes it; central keeps it and
# serves it in the roster slice; gateway B (a replacement: a fresh store)
# pulls and never texts that number, and says so in its optout table;
# a county user restores the number on the dashboard (who and when kept
# and shown under 最近恢复), and both gateways lift it at their next pull.
# Old code: A put no record in its outbox (central had no optout_events
# table) and B texted the opted-out number on its first run.
#
# usage: e2e_optout.sh (ANXIN_BIN, ANXIN_SOURCE from ctest)
set -eu
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
SMSD="$ANXIN_BIN/sms-gateway/anxin-smsd"
export TZ=Asia/Shanghai LC_ALL=C.UTF-8
T=$(mktemp -d /tmp/anxin-e2e-optout-XXXXXX)
CPID=
cleanup() {
	[ -n "$CPID" ] && { kill -TERM "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null; } || true
	if [ -n "${AX_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT
fail() {
	echo "FAIL: $*" >&2
	for f in server.log a/smsd.log b/smsd.log a/sync.log b/sync.log; do
		[ -f "$T/$f" ] && { echo "--- tail $f" >&2; tail -n 8 "$T/$f" >&2; }
	done
	exit 1
}
q() { sqlite3 -cmd ".timeout 10000" "$@"; }
cd "$T"
COUNTY=439901000000
cat > roster.csv <<CSV
户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口
O1,439901101000,439901101201,439901101201001,13800000021,3
O2,439901101000,439901101201,439901101201001,13800000022,2
O3,439901101000,439901101201,439901101201001,13800000023,2
CSV
"$A" roster import -q --db central.db --county-name 江州县 roster.csv
"$A" content install -q --db central.db "$ANXIN_SOURCE/tests/content-v1"
"$A" device add --db central.db --name gw-a --kind smsd --scope $COUNTY > a.token 2>/dev/null
"$A" device add --db central.db --name gw-b --kind smsd --scope $COUNTY > b.token 2>/dev/null
chmod 600 a.token b.token
printf 'county-pass-2026\n' > county.pw
"$A" user add --db central.db --name county --role county --scope $COUNTY \
	--password-file county.pw > /dev/null
NOW=$(date +%s)
CLOCK=$((NOW - 3600)) # the gateways' clock: an hour ago
q central.db "UPDATE devices SET created_at = $((CLOCK - 86400))" > /dev/null
"$A" campaign create --db central.db --name 退订同步 --survey satisfaction \
	--scope 439901101201 --start "$(date -d @$((CLOCK - 86400)) +%Y-%m-%d)" \
	--end "$(date -d @$((NOW + 30 * 86400)) +%Y-%m-%d)" --quiet 00:00-00:00 > /dev/null
"$C" --db central.db --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
CPID=$!
. "$ANXIN_SOURCE/tests/e2e/fixture.sh"
fixture_wait_port || fail "central did not start"
URL="http://127.0.0.1:$(cat port)"

# gw NAME: a store, a dummy modem and a config; sync_gw NAME [--pull]
gw() {
	mkdir -p "$1/modem"
	"$A" init --db "$1/anxin.db" > /dev/null
	echo $CLOCK > "$1/clock"
	cat > "$1/smsd.conf" <<CONF
[gammu]
connection = none
model = dummy
device = $T/$1/modem

[smsd]
store = $T/$1/anxin.db
device_id = gw-$1
quiet_hours = 00:00-00:00
pace_burst = 60
clock_file = $T/$1/clock
sent_log = $T/$1/sent.jsonl
sent_log_numbers = full
scope = $COUNTY
CONF
	touch "$1/sent.jsonl"
}
sync_gw() {
	"$A" sync --once -q $2 --db "$1/anxin.db" --server "$URL" --token-file "$1.token" \
		--scope $COUNTY >> "$1/sync.log" 2>&1 || fail "sync $1 $2"
}
once() { "$SMSD" --config "$1/smsd.conf" --once >> "$1/smsd.log" 2>&1 || fail "$1 --once"; }
sent_to() { grep -c "\"+86$2\"" "$1/sent.jsonl" || true; }

# --- gateway A: intros out, O1 texts 我要退订, A confirms and pushes
gw a
sync_gw a --pull
once a
[ "$(sent_to a 13800000021)" -ge 1 ] || fail "A sent nothing to O1: $(cat a/sent.jsonl)"
echo $((CLOCK + 300)) > a/clock
mkdir -p a/modem/sms/1
cat > a/modem/sms/1/1 <<SMS
[SMSBackup000]
SMSC = "+8613800100500"
State = UnRead
Number = "+8613800000021"
Text00 = 6211898190008BA2
Coding = Unicode_No_Compression
Folder = 1
Length = 4
Class = -1
PDU = Deliver
DateTime = $(date -d @$((CLOCK + 300)) +%Y%m%dT%H%M%S)
SMS
once a
[ "$(q a/anxin.db "SELECT source FROM optout WHERE phone = '+8613800000021'")" = reply ] ||
	fail "A did not take the opt-out: $(q a/anxin.db 'SELECT * FROM optout')"
[ "$(q a/anxin.db "SELECT COUNT(*) FROM outbox WHERE body LIKE '%\"type\":\"optout\"%'")" -eq 1 ] ||
	fail "A put no optout record in its outbox"
sync_gw a ""
[ "$(q central.db "SELECT action || ' ' || device || ' ' || source || ' ' || at FROM optout_events")" = \
  "optout gw-a reply $((CLOCK + 300))" ] ||
	fail "central: $(q central.db 'SELECT * FROM optout_events')"

# --- gateway B, a replacement with a fresh store: never texts O1
gw b
sync_gw b --pull
once b
[ "$(sent_to b 13800000022)" -ge 1 ] && [ "$(sent_to b 13800000023)" -ge 1 ] ||
	fail "B did not reach O2 and O3: $(cat b/sent.jsonl)"
[ "$(sent_to b 13800000021)" -eq 0 ] || fail "B texted the opted-out O1: $(grep 13800000021 b/sent.jsonl)"
[ "$(q b/anxin.db "SELECT source FROM optout WHERE phone = '+8613800000021'")" = central ] ||
	fail "B's optout table: $(q b/anxin.db 'SELECT * FROM optout')"
# B took nothing itself: it sends no record back
[ "$(q b/anxin.db "SELECT COUNT(*) FROM outbox WHERE body LIKE '%\"type\":\"optout\"%'")" -eq 0 ] ||
	fail "B echoed the opt-out as its own record"

# --- the dashboard: the county user sees 138****0021 of O1 and restores it
csrf_of() { grep -o 'name="csrf" value="[^"]*"' "$1" | head -n 1 | sed 's/.*value="//; s/"$//'; }
curl -s -c jar -o login.html "$URL/login"
[ "$(curl -s -b jar -c jar -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf_of login.html)" \
	--data-urlencode user=county --data-urlencode password=county-pass-2026 "$URL/login")" = 303 ] ||
	fail "login"
[ "$(curl -s -b jar -o optouts.html -w '%{http_code}' "$URL/optouts")" = 200 ] || fail "GET /optouts"
grep -q '138\*\*\*\*0021' optouts.html || fail "/optouts does not list O1's number"
grep -q '13800000021' optouts.html && fail "/optouts shows the full number"
grep -q '1 个号码已退订' optouts.html || fail "/optouts count: $(grep -o '[0-9]* 个号码已退订' optouts.html)"
[ "$(curl -s -b jar -o r1.html -w '%{http_code}' --data-urlencode household=O1 --data-urlencode tail=0021 \
	--data-urlencode csrf=wrong "$URL/optout/restore")" = 403 ] || fail "restore without the CSRF token"
[ "$(curl -s -b jar -o r2.html -w '%{http_code}' --data-urlencode household=O2 --data-urlencode tail=0022 \
	--data-urlencode "csrf=$(csrf_of optouts.html)" "$URL/optout/restore")" = 404 ] ||
	fail "restoring a number that never opted out"
[ "$(curl -s -b jar -o r3.html -w '%{http_code}' --data-urlencode household=O1 --data-urlencode tail=0021 \
	--data-urlencode "csrf=$(csrf_of optouts.html)" "$URL/optout/restore")" = 303 ] || fail "restore: $(cat r3.html)"
[ "$(q central.db "SELECT action || ' ' || device || ' ' || by_user || ' ' || source FROM optout_events ORDER BY rowid DESC LIMIT 1")" = \
  "restore dashboard county staff" ] || fail "central after the restore: $(q central.db 'SELECT * FROM optout_events')"
curl -s -b jar -o optouts2.html "$URL/optouts"
grep -q '0 个号码已退订' optouts2.html || fail "/optouts after the restore still lists it"
sed -n '/最近恢复/,$p' optouts2.html | grep -q '138\*\*\*\*0021.*county' ||
	fail "最近恢复 does not say who restored O1"
grep -q "optout of O1 ...0021 restored by county" server.log || fail "no log line of the restore"
# --- both gateways lift it at their next pull and load
sync_gw a --pull
sync_gw b --pull
once a
once b
[ "$(q a/anxin.db "SELECT COUNT(*) FROM optout")" -eq 0 ] || fail "A still has O1 opted out"
[ "$(q b/anxin.db "SELECT COUNT(*) FROM optout")" -eq 0 ] || fail "B still has O1 opted out"
# the device page: each gateway's send backlog as its last sync reported
# it.  B's last report is from its first --once, taken before its modem
# sent: O2's and O3's intro and first question (O1 opted out), 4 new
# intros, at 10/min 1 minute
[ "$(q central.db "SELECT value FROM sync_state WHERE key = 'queue.gw-b'")" = "0,0,0,4;1" ] ||
	fail "central has no send backlog of gw-b: $(q central.db "SELECT * FROM sync_state WHERE key LIKE 'queue.%'")"
curl -s -b jar -o devices.html "$URL/devices"
grep -q '待发短信' devices.html || fail "/devices has no 待发短信 column"
grep -q '4 条<span class="ci">退订确认 0 · 下一题 0 · 提醒 0 · 开场/宣传 4；按发送速度约 1 分钟发完' devices.html ||
	fail "/devices does not show gw-b's backlog"
# a report with the gateway's median wait from a reply to the next
# message (";W,N", e2e.smsd.queuereport makes one): 95 s over 12 replies
# reads 1 分 35 秒 (the report as stored, the way central keeps it)
q central.db "UPDATE sync_state SET value = '0,1,0,0;1;95,12' WHERE key = 'queue.gw-b'" >/dev/null
curl -s -b jar -o devices2.html "$URL/devices"
grep -q '1 条<span class="ci">退订确认 0 · 下一题 1 · 提醒 0 · 开场/宣传 0；按发送速度约 1 分钟发完；居民回复到下一条短信发出，中位数 1 分 35 秒（最近 12 条回复）' devices2.html ||
	fail "/devices does not show gw-b's reply -> next message median"

# central stops cleanly on SIGTERM (issue 16: not only killed at cleanup)
rc=0
kill -TERM "$CPID"
wait "$CPID" || rc=$?
CPID=
[ "$rc" -eq 0 ] || fail "anxin-central exited $rc on SIGTERM, expected 0"

echo "e2e.smsd.optout_sync: ok"
