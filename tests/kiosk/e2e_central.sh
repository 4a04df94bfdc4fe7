#!/bin/sh
# kiosk.e2e_central: the kiosk fetches nothing but the store's public key
# from a real anxin-central (fixture kiosk_central, 127.0.0.1), a resident
# links household JZ006221 by typing its number, the kiosk pushes its
# outbox with `sync`, and the central store resolves the sealed number to
# that household, keeping no number in the record.
. "$KIOSK_TESTS/lib.sh"
KD=$1 D=$2
rm -rf "$D"
port=$(cat "$KD/port")
url="http://127.0.0.1:$port"
SEAL_KEY=$(curl -fs -H "Authorization: Bearer $(cat "$KD/kiosk.token")" "$url/api/v1/campaigns" |
  sed -n 's/.*"seal_public_key": *"\([^"]*\)".*/\1/p')
[ -n "$SEAL_KEY" ] || fail "no seal_public_key from $url"
export SEAL_KEY
CENTRAL_LINES="url = $url
token_file = $KD/kiosk.token"
export CENTRAL_LINES
kiosk_conf "$D"
line=$(grep '^JZ006221,' "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv")
phone=$(echo "$line" | cut -d, -f8)
[ -n "$phone" ] || fail "no phone for JZ006221"
cat > "$D/s" <<S
tap-id start
tap-id survey
tap-id option-1
tap-id option-1
tap-id option-2
tap-id option-1
tap-id option-1
tap-id option-1
wait 20000
tap-id option-1
expect-screen link
type $phone
tap-id keypad-ok
expect-screen thanks
sync
S
run_kiosk "$D" "$D/s" || fail "script"
id=$(q "$D" "select id from outbox")
[ "$(q "$D" "select state from outbox")" = sent ] || fail "record not marked sent"
got=$(sqlite3 "$KD/c.db" "select household from responses where id = '$id'")
[ "$got" = JZ006221 ] || fail "central resolved '$got', want JZ006221 (record $id)"
if sqlite3 "$KD/c.db" "select body from responses where id = '$id'" | grep -q -e "$phone" -e sealed; then
  fail "the central body keeps the number or the sealed box"
fi
echo ok
