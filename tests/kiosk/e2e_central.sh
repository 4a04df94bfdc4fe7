#!/bin/sh
# kiosk.e2e_central: the kiosk fetches nothing but the store's public key
# from a real anxin-central (fixture kiosk_central, 127.0.0.1), a resident
# reads the anti-fraud pack, answers the survey and links household
# JZ006221 by typing its number; a second resident rushes through a quiz.
# The kiosk pushes its outbox with `sync`, and the central store
#  - resolves the sealed number of the response to that household, keeping
#    no number in the record;
#  - credits the household with the kiosk_session contact queued with it:
#    `anxin report` counts one more household reached in its grid;
#  - keeps the quick quiz's "flags":["fast"] in the stored body.
. "$KIOSK_TESTS/lib.sh"
KD=$1 D=$2
rm -rf "$D"
port=$(cat "$KD/port")
# the scripted kiosk's clock runs in 2024, and central refuses record times
# before a device's registration: this kiosk was registered before then
sqlite3 -cmd ".timeout 5000" "$KD/c.db" "UPDATE devices SET created_at = 0 WHERE id = 'kiosk-a'"
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
grid=$(echo "$line" | cut -d, -f7)
[ -n "$phone" ] && [ -n "$grid" ] || fail "no phone or grid for JZ006221"
reached() {
  "$ANXIN_BIN/survey/anxin" report --db "$KD/c.db" --scope "$grid" --depth 0 --format json |
    sed -n 's/^ *"reached": *\([0-9]*\).*/\1/p'
}
before=$(reached)
[ -n "$before" ] || fail "no coverage row for grid $grid"
cat > "$D/s" <<S
tap-id start
tap-id tile-anti-fraud
tap-id next
tap-id home
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
wait 2000
tap-id done
tap-id start
tap-id tile-anti-drug
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id next
tap-id quiz
tap-id option-1
tap-id next
tap-id option-2
tap-id next
tap-id option-1
tap-id next
tap-id option-1
tap-id next
tap-id option-1
tap-id next
expect-screen link
tap-id skip
expect-screen thanks
sync
S
run_kiosk "$D" "$D/s" || fail "script"
[ "$(q "$D" "select count(*) from outbox")" = 3 ] || fail "want 2 responses and 1 contact in the outbox"
[ "$(q "$D" "select count(*) from outbox where state <> 'sent'")" = 0 ] || fail "records not marked sent"
id=$(q "$D" "select id from outbox where body like '%\"survey\":\"satisfaction\"%'")
cid=$(q "$D" "select id from outbox where body like '%\"type\":\"contact\"%'")
quiz=$(q "$D" "select id from outbox where body like '%\"survey\":\"aware-anti-drug\"%'")
got=$(sqlite3 "$KD/c.db" "select household from responses where id = '$id'")
[ "$got" = JZ006221 ] || fail "central resolved '$got', want JZ006221 (record $id)"
got=$(sqlite3 "$KD/c.db" "select household || ' ' || channel || ' ' || kind || ' ' || pack from contacts where id = '$cid'")
[ "$got" = "JZ006221 kiosk kiosk_session anti-fraud" ] || fail "central contact $cid: '$got'"
for t in responses contacts; do
  if sqlite3 "$KD/c.db" "select body from $t where id in ('$id', '$cid')" | grep -q -e "$phone" -e sealed; then
    fail "the central $t body keeps the number or the sealed box"
  fi
done
after=$(reached)
[ "$after" -eq $((before + 1)) ] || fail "grid $grid reached $before -> $after, want +1"
body=$(sqlite3 "$KD/c.db" "select body from responses where id = '$quiz'")
echo "$body" | grep -q '"flags":\["fast"\]' || fail "central quiz body lost the fast flag: $body"
sqlite3 "$KD/c.db" "select body from responses where id = '$id'" | grep -q '"flags"' && fail "a 30 s survey flagged fast"
echo ok
