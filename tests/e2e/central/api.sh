#!/bin/sh
# api.sh DIR SEAL -- the device API against a running anxin-central: auth,
# scope, idempotency, bad bodies (each with its status, nothing stored),
# records bound to the device that sent them, sealed numbers that tell
# nothing, roster ETags, campaigns, no reports for devices.  SEAL is the
# helper that seals a number as a kiosk does.
set -u
DIR=$1
SEAL=$2
cd "$DIR"
URL="http://127.0.0.1:$(cat port)"
A="$ANXIN_BIN/survey/anxin"
K=$(cat kiosk.token) S=$(cat smsd.token) R=$(cat revoked.token)
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got $2, want $3)"; fi; }
DB=$(cat db) # c.db, or central's PostgreSQL database (server.sh)
sql() { # sql SQL: one statement on central's store, not through the server
  case $DB in
    postgresql://*) psql -q -At "$DB" -c "$1" ;;
    *) sqlite3 -cmd ".timeout 10000" "$DB" "$1" ;;
  esac
}
count() { sql "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)"; }
post() { # post TOKEN FILE [extra curl args] -> prints status, body in out.json
  tok=$1 f=$2; shift 2
  curl -s -o out.json -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
    -H "Content-Type: application/x-ndjson" "$@" --data-binary "@$f" "$URL/api/v1/records"
}

# a response and a contact for households of 石桥镇 (in kiosk-a's scope)
HH_IN=$(sql "SELECT id FROM households WHERE grid LIKE '439901101%' ORDER BY id LIMIT 1")
HH_OUT=$(sql "SELECT id FROM households WHERE grid LIKE '439901102%' ORDER BY id LIMIT 1")
GRID_IN=$(sql "SELECT grid FROM households WHERE id = '$HH_IN'")
# record times: a few minutes ago (the devices were registered just before)
iso() { TZ=Asia/Shanghai date -d "@$1" +%Y-%m-%dT%H:%M:%S+08:00; }
now=$(date +%s)
T1=$(iso $((now - 240))) T2=$(iso $((now - 60)))
rec() { # rec UUID HOUSEHOLD ANSWER: a response as the SMS gateway sends it
  printf '{"type":"response","id":"%s","survey":"aware-anti-drug","survey_version":1,"channel":"sms","device":"smsd-a","household":"%s","region":"%s","started_at":"%s","completed_at":"%s","status":"complete","answers":{"q1":"%s"}}\n' "$1" "$2" "$GRID_IN" "$T1" "$T2" "$3"
}
rec 11111111-1111-4111-8111-111111111111 "$HH_IN" 1 > one.jsonl
printf '{"type":"contact","id":"22222222-2222-4222-8222-222222222222","household":"%s","channel":"sms","kind":"sms_delivered","pack":"anti-drug","device":"smsd-a","at":"%s"}\n' "$HH_IN" "$T2" >> one.jsonl
before=$(count)

# --- auth ---
check "no token: 401" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/x-ndjson' --data-binary @one.jsonl "$URL/api/v1/records")" 401
check "wrong token: 401" "$(post axk_not-a-real-token-at-all-000000000000 one.jsonl)" 401
check "revoked token: 401" "$(post "$R" one.jsonl)" 401
check "nothing stored by refused requests" "$(count)" "$before"

# --- accept, then idempotent resend, then conflict ---
check "valid batch: 200" "$(post "$S" one.jsonl)" 200
check "both accepted" "$(grep -o '"accepted":[0-9]*' out.json)" '"accepted":2'
check "stored 2" "$(count)" "$((before + 2))"
check "resend: 200" "$(post "$S" one.jsonl)" 200
check "resend is duplicate" "$(grep -o '"duplicate":[0-9]*' out.json)" '"duplicate":2'
check "still 2 stored" "$(count)" "$((before + 2))"
rec 11111111-1111-4111-8111-111111111111 "$HH_IN" 2 > changed.jsonl
check "changed resend: 200" "$(post "$S" changed.jsonl)" 200
check "changed resend is conflict" "$(grep -o '"status":"[a-z]*"' out.json)" '"status":"conflict"'
check "conflict kept for review" "$(sql 'SELECT COUNT(*) FROM conflicts')" 1

# --- scope: out-of-scope record rejected, others in the batch stand ---
rec 33333333-3333-4333-8333-333333333333 "$HH_OUT" 1 > mixed.jsonl
rec 44444444-4444-4444-8444-444444444444 "$HH_IN" 1 >> mixed.jsonl
check "mixed batch: 200" "$(post "$S" mixed.jsonl)" 200
check "out of scope rejected with 403 reason" "$(grep -c '"status":"rejected","reason":"403' out.json)" 1
check "in-scope record of the batch accepted" "$(grep -o '"accepted":[0-9]*' out.json)" '"accepted":1'

# --- records bound to the device that sent them (each rejected, with the
#     field named; nothing stored) ---
before=$(count)
r1() { # r1 UUID CHANNEL DEVICE HOUSEHOLD-JSON STARTED COMPLETED [WAVE]
  printf '{"type":"response","id":"%s","survey":"aware-anti-drug","survey_version":1,"channel":"%s","device":"%s","household":%s,"region":"%s","started_at":"%s","completed_at":"%s","status":"complete","answers":{"q1":"1"}%s}\n' "$1" "$2" "$3" "$4" "$GRID_IN" "$5" "$6" "${7:+,\"wave\":\"$7\"}"
}
c1() { # c1 UUID CHANNEL KIND DEVICE HOUSEHOLD AT
  printf '{"type":"contact","id":"%s","household":"%s","channel":"%s","kind":"%s","pack":null,"device":"%s","at":"%s"}\n' "$1" "$5" "$2" "$3" "$4" "$6"
}
reason() { # reason LINE: the reason the reply gives for that line
  jq -r ".results[] | select(.line == $1) | .reason" out.json
}
r1 b0000001-0000-4000-8000-000000000001 sms kiosk-a "\"$HH_IN\"" "$T1" "$T2" > forged.jsonl
check "SMS gateway sending as kiosk-a: 200" "$(post "$S" forged.jsonl)" 200
check "  rejected: device is not the sender" "$(reason 1)" 'field "device": "kiosk-a" is not the device that sent it (smsd-a)'
r1 b0000002-0000-4000-8000-000000000002 sms kiosk-a null "$T1" "$T2" > k.jsonl
c1 b0000003-0000-4000-8000-000000000003 sms sms_delivered kiosk-a "$HH_IN" "$T2" >> k.jsonl
c1 b0000004-0000-4000-8000-000000000004 visit visit kiosk-a "$HH_IN" "$T2" >> k.jsonl
r1 b0000005-0000-4000-8000-000000000005 kiosk kiosk-a "\"$HH_IN\"" "$T1" "$T2" >> k.jsonl
c1 b0000006-0000-4000-8000-000000000006 kiosk kiosk_session kiosk-a "$HH_IN" "$T2" >> k.jsonl
r1 b0000007-0000-4000-8000-000000000007 kiosk kiosk-a null "$T1" "$T2" made-up-wave >> k.jsonl
r1 b0000008-0000-4000-8000-000000000008 kiosk kiosk-a null 2020-01-01T10:00:00+08:00 2020-01-01T10:04:00+08:00 >> k.jsonl
r1 b0000009-0000-4000-8000-000000000009 kiosk kiosk-a null "$T1" "$(iso $((now + 86400)))" >> k.jsonl
check "kiosk batch of forged fields: 200" "$(post "$K" k.jsonl)" 200
check "  all 8 rejected" "$(grep -o '"rejected":[0-9]*' out.json)" '"rejected":8'
check "  an SMS response from a kiosk" "$(reason 1)" 'field "channel": a kiosk sends "kiosk" records, not "sms"'
check "  an sms_delivered contact from a kiosk" "$(reason 2)" 'field "channel": a kiosk sends "kiosk" records, not "sms"'
check "  a visit from a kiosk" "$(reason 3)" 'field "channel": a kiosk sends "kiosk" records, not "visit"'
check "  a kiosk naming a household" "$(reason 4)" 'field "household": a kiosk links a household only by a sealed phone number (household_phone_sealed)'
check "  a kiosk contact naming a household" "$(reason 5)" 'field "household": a kiosk links a household only by a sealed phone number (household_phone_sealed)'
check "  a wave no campaign has" "$(reason 6)" 'field "wave": "made-up-wave" is not the wave of a campaign of this survey'
check "  a time before the device was registered" "$(reason 7 | cut -c1-60)" 'field "started_at": 2020-01-01T10:00:00+08:00 is before devi'
check "  a time in the future" "$(reason 8 | cut -c1-22)" 'field "completed_at": '
check "  names it as in the future" "$(reason 8 | grep -c 'is in the future')" 1
check "  nothing stored" "$(count)" "$before"
check "device names are letters, digits, . _ - only" "$("$A" device add --db "$DB" --name 'k"} 1' --kind kiosk --scope 439901101000 2>&1 > /dev/null | grep -c 'A-Z a-z 0-9 . _ -')" 1

# --- the USB route: `records import` of a file carried from a device
#     applies that device's scope and status, and says per record why ---
before=$(count)
rec 33333333-3333-4333-8333-333333333334 "$HH_OUT" 1 > usb.jsonl
printf '{"type":"response","id":"d0000001-0000-4000-8000-000000000001","survey":"aware-anti-drug","survey_version":1,"channel":"kiosk","device":"kiosk-old","household":null,"region":"%s","started_at":"%s","completed_at":"%s","status":"complete","answers":{"q1":"1"}}\n' "$GRID_IN" "$T1" "$T2" >> usb.jsonl
cat k.jsonl >> usb.jsonl
rec d0000002-0000-4000-8000-000000000002 "$HH_IN" 1 >> usb.jsonl
"$A" records import --db "$DB" usb.jsonl > usb.out 2> usb.err
check "USB import: 11 records, 1 accepted, 10 rejected" "$(cat usb.out)" "usb.jsonl: 11 records: 1 accepted, 0 duplicate, 0 conflict, 10 rejected"
check "  outside the SMS gateway's scope, named on its line" "$(grep -c "^usb.jsonl:1: 33333333-3333-4333-8333-333333333334: 403: household $HH_OUT is outside device smsd-a's scope" usb.err)" 1
check "  the revoked kiosk's record" "$(grep -c '^usb.jsonl:2: d0000001-0000-4000-8000-000000000001: device kiosk-old was revoked' usb.err)" 1
check "  the kiosk's forged fields as the API refused them" "$(grep -c '^usb.jsonl:[3-9]: b00000' usb.err)$(grep -c '^usb.jsonl:10: b0000009.*is in the future' usb.err)" 71
check "  only the good record stored" "$(count)" "$((before + 1))"

# --- a sealed number tells nothing: a known and an unknown number, in
#     otherwise identical records, get identical replies ---
PH_IN=$(sql "SELECT p.phone FROM household_phones p JOIN households h ON h.id = p.household WHERE h.grid = '$GRID_IN' AND h.active <> 0 GROUP BY p.phone HAVING COUNT(*) = 1 ORDER BY p.phone LIMIT 1")
HH_PH=$(sql "SELECT household FROM household_phones WHERE phone = '$PH_IN'")
PH_OUT=$(sql "SELECT p.phone FROM household_phones p JOIN households h ON h.id = p.household WHERE h.grid LIKE '439901102%' AND h.active <> 0 GROUP BY p.phone HAVING COUNT(*) = 1 ORDER BY p.phone LIMIT 1")
PH_NONE=+8613912345678
check "the unknown number is on no household" "$(sql "SELECT COUNT(*) FROM household_phones WHERE phone = '$PH_NONE'")" 0
sealed_pair() { # sealed_pair UUID PHONE: a kiosk_session contact and a response
  sl=$("$SEAL" "$DB" "$2")
  printf '{"type":"contact","id":"%s1","household_phone_sealed":"%s","channel":"kiosk","kind":"kiosk_session","pack":"anti-drug","device":"kiosk-a","at":"%s"}\n' "$1" "$sl" "$T2"
  printf '{"type":"response","id":"%s2","survey":"aware-anti-drug","survey_version":1,"channel":"kiosk","device":"kiosk-a","household":null,"region":"%s","household_phone_sealed":"%s","started_at":"%s","completed_at":"%s","status":"complete","answers":{"q1":"1"}}\n' "$1" "$GRID_IN" "$sl" "$T1" "$T2"
}
reply_of() { # the reply without its record ids
  post "$K" "$1" > /dev/null; sed 's/"id":"[^"]*"/"id":_/g' out.json
}
sealed_pair c0000001-0000-4000-8000-00000000000 "$PH_IN" > known.jsonl
sealed_pair c0000002-0000-4000-8000-00000000000 "$PH_NONE" > unknown.jsonl
sealed_pair c0000003-0000-4000-8000-00000000000 "$PH_OUT" > outside.jsonl
k1=$(reply_of known.jsonl)
check "known number: both accepted" "$k1" '{"results":[{"line":1,"id":_,"status":"accepted"},{"line":2,"id":_,"status":"accepted"}],"accepted":2,"duplicate":0,"conflict":0,"rejected":0}'
check "unknown number: the same reply" "$(reply_of unknown.jsonl)" "$k1"
check "number of a household outside the kiosk's scope: the same reply" "$(reply_of outside.jsonl)" "$k1"
check "resend of the known: the same reply" "$(reply_of known.jsonl)" "$k1"
check "resend of the unknown: the same reply" "$(reply_of unknown.jsonl)" "$k1"
check "  the known number credits its household (contact and answer)" "$(sql "SELECT (SELECT household FROM contacts WHERE id LIKE 'c0000001%') || ' ' || (SELECT household FROM responses WHERE id LIKE 'c0000001%')")" "$HH_PH $HH_PH"
check "  the unknown and the outside: no contact, answers anonymous" "$(sql "SELECT (SELECT COUNT(*) FROM contacts WHERE id LIKE 'c000000_-%' AND id NOT LIKE 'c0000001%') || ' ' || (SELECT COUNT(*) FROM responses WHERE id LIKE 'c000000_-%' AND household IS NULL)")" "0 2"
check "  no number in any stored body" "$(sql "SELECT COUNT(*) FROM responses WHERE body LIKE '%sealed%' OR body LIKE '%${PH_IN#+86}%'")" 0

# --- bad bodies: right status, nothing stored ---
before=$(count)
rec 55555555-5555-4555-8555-555555555555 "$HH_IN" 1 | gzip -c > good.gz
head -c $(( $(wc -c < good.gz) - 12 )) good.gz > trunc.gz
check "truncated gzip: 400" "$(post "$K" trunc.gz -H 'Content-Encoding: gzip')" 400
check "  names the problem" "$(grep -c truncated out.json)" 1
printf '{"type":"contact","id":"66666666-6666-4666-8666-666666666666","household":"\377\376","channel":"kiosk","kind":"visit","device":"k","at":"2026-11-20T10:00:00+08:00"}\n' > badutf8.jsonl
check "invalid UTF-8: 400" "$(post "$K" badutf8.jsonl)" 400
check "  names the line" "$(grep -c 'line 1' out.json)" 1
rec 77777777-7777-4777-8777-777777777777 "$HH_IN" 1 > notjson.jsonl
echo '{"type": "response", "id": ' >> notjson.jsonl
check "second line not JSON: 400" "$(post "$K" notjson.jsonl)" 400
check "  names line 2" "$(grep -c 'line 2' out.json)" 1
check "  first line not stored either" "$(sql "SELECT COUNT(*) FROM responses WHERE id LIKE '77777777%'")" 0
python_free_nest() { i=0; s=""; e=""; while [ $i -lt 1000 ]; do s="$s["; e="$e]"; i=$((i + 1)); done; echo "$s$e"; }
python_free_nest > deep.jsonl
check "JSON nested 1000 deep: 400" "$(post "$K" deep.jsonl)" 400
head -c 100000000 /dev/zero | tr '\0' 'a' > big.jsonl
check "100 MB body: 413" "$(post "$K" big.jsonl)" 413
check "100 MB chunked body: 413" "$(post "$K" big.jsonl -H 'Transfer-Encoding: chunked')" 413
rm -f big.jsonl
check "wrong content type: 400" "$(curl -s -o out.json -w '%{http_code}' -X POST -H "Authorization: Bearer $K" -H 'Content-Type: text/plain' --data-binary @one.jsonl "$URL/api/v1/records")" 400
SQLI="x'; DROP TABLE responses; --"
printf '{"type":"response","id":"88888888-8888-4888-8888-888888888888","survey":"%s","survey_version":1,"channel":"kiosk","device":"%s","household":"%s","region":"%s","started_at":"%s","completed_at":"%s","status":"complete","answers":{"%s":"%s"}}\n' "$SQLI" "$SQLI" "$SQLI" "$SQLI" "$SQLI" "$SQLI" "$SQLI" "$SQLI" > sqli.jsonl
printf '{"type":"contact","id":"99999999-9999-4999-8999-999999999999","household":"%s","channel":"kiosk","kind":"visit","pack":"%s","device":"%s","at":"2026-11-20T10:00:00+08:00"}\n' "$SQLI" "$SQLI" "$SQLI" >> sqli.jsonl
check "SQL metacharacters: 200 with rejections" "$(post "$K" sqli.jsonl)" 200
check "  both rejected" "$(grep -o '"rejected":[0-9]*' out.json)" '"rejected":2'
check "  tables intact, nothing stored" "$(count)" "$before"

# --- roster slices ---
check "kiosk gets no roster: 403" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $K" "$URL/api/v1/roster?scope=439901101000")" 403
check "smsd roster in scope: 200" "$(curl -s -D h.txt -o roster.json -w '%{http_code}' -H "Authorization: Bearer $S" "$URL/api/v1/roster?scope=439901101000")" 200
ETAG=$(grep -i '^etag:' h.txt | cut -d' ' -f2 | tr -d '\r')
check "roster has households with phones" "$(grep -c '"phones":\["+86' roster.json)" 1
check "unchanged roster: 304" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $S" -H "If-None-Match: $ETAG" "$URL/api/v1/roster?scope=439901101000")" 304
check "roster outside scope: 403" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $S" "$URL/api/v1/roster?scope=439901102000")" 403

# --- campaigns and report ---
check "campaigns: 200" "$(curl -s -o camp.json -w '%{http_code}' -H "Authorization: Bearer $K" "$URL/api/v1/campaigns")" 200
check "campaigns carry the sealing key" "$(grep -c seal_public_key camp.json)" 1
check "report needs auth: 401" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/api/v1/report")" 401
# no device needs a report, and the XLSX ledger names every household
check "report to a kiosk token: 403" "$(curl -s -o rep.json -w '%{http_code}' -H "Authorization: Bearer $K" "$URL/api/v1/report?scope=439901101000&depth=1")" 403
check "  says why" "$(grep -c 'device tokens get none' rep.json)" 1
check "ledger XLSX to an SMS gateway token: 403" "$(curl -s -o rep.json -w '%{http_code}' -H "Authorization: Bearer $S" "$URL/api/v1/report?scope=439901101000&format=xlsx")" 403
check "  nor to a county-wide token" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(cat county.token)" "$URL/api/v1/report?format=csv")" 403
# accepted: 2 (one.jsonl) + 1 (mixed) + 2 each for the five sealed posts
check "metrics count accepted records" "$(curl -s "$URL/metrics" | grep -c 'anxin_records_total{result="accepted"} 13')" 1
# through the proxy (a loopback peer with nginx's X-Real-IP): only the server itself
check "metrics for a client outside, via the proxy: 403" "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Real-IP: 203.0.113.7' "$URL/metrics")" 403
check "  not even with a device token" "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Real-IP: 203.0.113.7' -H "Authorization: Bearer $K" "$URL/metrics")" 403
check "  names no device" "$(curl -s -H 'X-Real-IP: 2001:db8::7' "$URL/metrics" | grep -c 'kiosk-a')" 0
check "metrics for the server itself, via the proxy: 200" "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Real-IP: 127.0.0.1' "$URL/metrics")" 200
check "healthz stays open: 200" "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Real-IP: 203.0.113.7' "$URL/healthz")" 200

# --- clock skew: a kiosk whose clock runs 3 days ahead ---
now=$(date +%s)
ahead=$((now + 259200))
T0=$(TZ=Asia/Shanghai date -d "@$ahead" +%Y-%m-%dT%H:%M:%S+08:00)
printf '{"type":"contact","id":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","household":"%s","channel":"sms","kind":"sms_delivered","pack":"anti-drug","device":"smsd-a","at":"%s"}\n' "$HH_IN" "$T0" > skew.jsonl
check "skewed device: 200" "$(post "$S" skew.jsonl -H "X-Anxin-Device-Time: $ahead")" 200
check "  its record accepted" "$(grep -o '"accepted":[0-9]*' out.json)" '"accepted":1'
at=$(sql "SELECT at FROM contacts WHERE id LIKE 'aaaaaaaa%'")
d=$((at - now)); [ $d -lt 0 ] && d=$((-d))
if [ $d -lt 120 ]; then ok "stored time corrected to the server's clock"; else bad "stored time off by $d s"; fi
check "body keeps the device's own time" "$(sql "SELECT CASE WHEN body LIKE '%$T0%' THEN 1 ELSE 0 END FROM contacts WHERE id LIKE 'aaaaaaaa%'")" 1

# --- logs: UTC ISO-8601 with Z, as anxin-smsd writes them (TZ is Asia/Shanghai here) ---
first=$(head -n 1 server.log)
stamp=${first%% *}
check "log line starts with a UTC time" "$(printf '%s\n' "$first" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z INFO ')" 1
d=$(( $(date -u +%s) - $(date -u -d "$(printf '%s' "$stamp" | tr T ' ' | tr -d Z)" +%s 2>/dev/null || echo 0) ))
if [ $d -ge 0 ] && [ $d -lt 600 ]; then ok "  and that time is now, in UTC"; else bad "  log time $stamp is $d s from now (UTC)"; fi

echo "$((n - fail)) passed, $fail failed"
[ $fail = 0 ]
