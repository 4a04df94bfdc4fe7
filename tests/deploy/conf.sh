#!/bin/sh
# deploy.kiosk_conf / deploy.smsd_conf -- the example configurations are
# read by the real programs, and by check_conf (the same libiniparser) for
# what the programs would accept silently: unknown keys, undocumented keys,
# values out of range.
#
#   conf.sh kiosk|smsd SOURCE_DIR WORK_DIR CHECK_CONF [PROGRAM]
#
# 1. The keys the program reads are taken from its source (kiosk/main.c,
#    sms-gateway/config.c: every "section:key" literal), so a key added or
#    renamed in the code and not in the example fails here.
# 2. check_conf: every key in the example is read by the program, every key
#    the program reads is in the example, every value is sane.
# 3. The program itself, when built (neither has a check-only flag):
#    - anxin-kiosk: the example with its paths moved to a scratch folder,
#      the configuration loads, the store opens, the content loads, the
#      first screen renders at the configured size;
#    - anxin-smsd --status on the example with store paths moved: the
#      gateway's own parser accepts it and opens its stores (--status never
#      opens the modem).
set -eu
what=$1 src=$2 work=$3 check=$4 prog=${5:-}
rm -rf "$work"
mkdir -p "$work"
case $what in
kiosk) example=$src/deploy/kiosk.conf.example code=$src/kiosk/main.c ;;
smsd) example=$src/deploy/smsd.conf.example code=$src/sms-gateway/config.c ;;
*) echo "usage: conf.sh kiosk|smsd SOURCE WORK CHECK_CONF [PROGRAM]" >&2; exit 2 ;;
esac
[ -f "$example" ] || { echo "FAIL: $example is missing" >&2; exit 1; }

grep -o '"[a-z_%]*:[a-z_]*"' "$code" | tr -d '"' | sort -u > "$work/keys"
echo "keys read by $(basename "$code"): $(tr '\n' ' ' < "$work/keys")"
"$check" "$what" "$example" "$work/keys"

if [ -z "$prog" ] || [ ! -x "$prog" ]; then
	echo "note: anxin-$what is not built; the example was checked by check_conf only"
	echo "deploy.${what}_conf: all checks passed"
	exit 0
fi
if command -v timeout > /dev/null 2>&1; then
	run() { timeout 60 "$@"; }
else
	run() { "$@"; }
fi

if [ "$what" = kiosk ]; then
	# paths to the scratch folder; the repo's content as the content folder
	sed -e "s#^content = .*#content = $src/content#" \
	    -e "s#^token_file = .*#token_file = kiosk.token#" \
	    "$example" > "$work/kiosk.conf"
	echo "0123456789abcdef" > "$work/kiosk.token"
	chmod 600 "$work/kiosk.token"
	printf 'expect-screen attract\nshot first\n' > "$work/first.script"
	rc=0
	run "$prog" --config "$work/kiosk.conf" --video offscreen --clock-fixed 1715000000 \
		--script "$work/first.script" --shots "$work/shots" > "$work/kiosk.log" 2>&1 || rc=$?
	if [ $rc -ne 0 ] || [ ! -s "$work/shots/first.png" ] || [ ! -s "$work/kiosk.db" ]; then
		cat "$work/kiosk.log" >&2
		echo "FAIL: anxin-kiosk with deploy/kiosk.conf.example: exit $rc" >&2
		exit 1
	fi
	if grep -E '^(WARN|ERROR)' "$work/kiosk.log" >&2; then
		echo "FAIL: anxin-kiosk warns about deploy/kiosk.conf.example" >&2
		exit 1
	fi
	echo "ok: anxin-kiosk loads the example, opens kiosk.db beside it and renders the attract screen"
else
	sed -e "s#^store = .*#store = $work/anxin.db#" \
	    -e "s#^gateway_db = .*#gateway_db = $work/gateway.db#" \
	    "$example" > "$work/smsd.conf"
	# --status opens the stores read-only: where none exists it fails,
	# naming the store, and leaves nothing behind
	rc=0
	run "$prog" --config "$work/smsd.conf" --status > /dev/null 2> "$work/smsd.log" || rc=$?
	if [ $rc -eq 0 ] || ! grep -q "$work/anxin.db" "$work/smsd.log" ||
	    [ -e "$work/anxin.db" ] || [ -e "$work/gateway.db" ]; then
		cat "$work/smsd.log" >&2
		echo "FAIL: anxin-smsd --status on missing stores: exit $rc, or it made one" >&2
		exit 1
	fi
	# the daemon makes its stores (--once: the example's modem is not
	# there, so that pass ends in an error after they are made)
	run "$prog" --config "$work/smsd.conf" --once > /dev/null 2>&1 || true
	rc=0
	run "$prog" --config "$work/smsd.conf" --status > "$work/status.out" 2> "$work/smsd.log" || rc=$?
	if [ $rc -ne 0 ]; then
		cat "$work/smsd.log" >&2
		echo "FAIL: anxin-smsd --status with deploy/smsd.conf.example: exit $rc" >&2
		exit 1
	fi
	cat "$work/status.out"
	nmodem=$(grep -c '^\[gammu[0-9]*\]' "$example")
	nrows=$(grep -c '^gammu[0-9]* ' "$work/status.out" || true)
	if [ "$nrows" -ne "$nmodem" ]; then
		echo "FAIL: anxin-smsd --status lists $nrows modem(s), the example has $nmodem" >&2
		exit 1
	fi
	# the gateway's tables live in the store; gateway_db only names an
	# old deployment's file to move in, never one to make
	[ -s "$work/anxin.db" ] || { echo "FAIL: no store made" >&2; exit 1; }
	[ ! -e "$work/gateway.db" ] || { echo "FAIL: a gateway.db was made" >&2; exit 1; }
	echo "ok: anxin-smsd accepts the example and opens its store ($nmodem modem(s))"
fi
echo "deploy.${what}_conf: all checks passed"
