#!/bin/sh
# kiosk.token_perms: a device token file others can read is refused, as
# `anxin sync` refuses it (the kiosk does not start; the error names the
# file and the fix, as ssh does for an open private key); a token file
# only its owner can read is used.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"
CENTRAL_LINES="url = http://127.0.0.1:9/
token_file = device.token" kiosk_conf "$D"
echo 0123456789abcdef > "$D/device.token"
printf 'expect-screen attract\n' > "$D/s"
chmod 644 "$D/device.token"
if run_kiosk "$D" "$D/s" 2> "$D/open.log"; then fail "ran with a 0644 token"; fi
grep -q "device.token: permissions 0644 are too open.*chmod 600" "$D/open.log" ||
  fail "no error for a 0644 token: $(cat "$D/open.log")"
chmod 600 "$D/device.token"
run_kiosk "$D" "$D/s" 2> "$D/closed.log" || fail "run with a 0600 token"
if grep -q "too open" "$D/closed.log"; then fail "error for a 0600 token"; fi
echo ok
