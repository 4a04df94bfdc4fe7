# daemon_lib.sh -- sourced by the e2e scripts that run the real anxin-smsd
# on libgammu's dummy driver (e2e_smsd.sh, e2e_upgrade.sh,
# e2e_store_replaced.sh, e2e_lock.sh).  Needs $T (the test's folder) and $CLI.

# $T/roster.csv: households E1 and E2, one number each, in 439901101201
smsd_roster() {
	cat > "$T/roster.csv" <<CSV
户号,乡镇代码,村（社区）代码,网格代码,联系电话,人口
E1,439901101000,439901101201,439901101201001,13800000011,3
E2,439901101000,439901101201,439901101201001,13800000012,2
CSV
}

# a store at $1 with tests/content-v1, that roster and one satisfaction
# campaign over March 2026
smsd_store() {
	"$CLI" init --db "$1" >/dev/null
	"$CLI" content install --db "$1" "$ANXIN_SOURCE/tests/content-v1" >/dev/null
	"$CLI" roster import --db "$1" "$T/roster.csv" >/dev/null
	"$CLI" campaign create --db "$1" --name e2e --survey satisfaction \
		--scope 439901101201 --start 2026-03-01 --end 2026-04-01 >/dev/null
}

# $T/smsd.conf: the dummy modem in $T/m0, the store $T/anxin.db, the clock
# read from $T/clock, the sent log $T/sent.jsonl; more [smsd] lines as
# arguments
smsd_conf() {
	{
		printf '[gammu]\nconnection = none\nmodel = dummy\ndevice = %s\n\n' "$T/m0"
		printf '[smsd]\nstore = %s\n' "$T/anxin.db"
		for line in "$@"; do printf '%s\n' "$line"; done
		printf 'device_id = gw-e2e\npoll_ms = 200\npace_burst = 60\n'
		printf 'clock_file = %s\nsent_log = %s\n' "$T/clock" "$T/sent.jsonl"
	} > "$T/smsd.conf"
}

# E1's reply "1" at 2026-03-02 10:05, as the dummy modem stores it (UCS-2
# hex), in $T/m0/sms/1/1
smsd_reply_e1() {
	cat > "$T/m0/sms/1/1" <<SMS
[SMSBackup000]
SMSC = "+8613800100500"
State = UnRead
Number = "+8613800000011"
Text00 = 0031
Coding = Unicode_No_Compression
Folder = 1
Length = 1
Class = -1
PDU = Deliver
DateTime = 20260302T100500
SMS
}

# the test's folder in $T, removed at exit with the daemon $PID if any
smsd_tmp() {
	T=$(mktemp -d "/tmp/anxin-e2e-$1-XXXXXX")
	PID=
	trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; rm -rf "$T"' EXIT
}

# messages in $T/sent.jsonl (0 before the first)
smsd_lines() { if [ -f "$T/sent.jsonl" ]; then wc -l < "$T/sent.jsonl"; else echo 0; fi; }

# the store $T/anxin.db (smsd_roster, smsd_store), the clock at 2026-03-02
# 10:00 China time and smsd_conf; the daemon $SMSD started in the
# background ($PID, its log $T/log; through $SMSD_WRAP when set, e.g.
# setsid) and waited for until it has sent an intro and the first
# question to each household (4); `fail` otherwise
smsd_daemon_up() {
	smsd_roster
	smsd_store "$T/anxin.db"
	echo 1772416800 > "$T/clock"
	mkdir -p "$T/m0"
	smsd_conf
	${SMSD_WRAP:-} "$SMSD" --config "$T/smsd.conf" 2> "$T/log" &
	PID=$!
	i=0
	while [ "$(smsd_lines)" -lt 4 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	[ "$(smsd_lines)" -eq 4 ] || fail "the daemon sent $(smsd_lines) messages, expected 4"
}
