#!/bin/sh
# api.sh DIR -- the device API against a running anxin-central: auth,
# scope, idempotency, bad bodies (each with its status, nothing stored),
# roster ETags, campaigns.
set -u
DIR=$1
cd "$DIR"
URL="http://127.0.0.1:$(cat port)"
A="$ANXIN_BIN/survey/anxin"
K=$(cat kiosk.token) S=$(cat smsd.token) R=$(cat revoked.token)
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got $2, want $3)"; fi; }
count() { sqlite3 -cmd ".timeout 10000" c.db "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)"; }
post() { # post TOKEN FILE [extra curl args] -> prints status, body in out.json
  tok=$1 f=$2; shift 2
  curl -s -o out.json -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
    -H "Content-Type: application/x-ndjson" "$@" --data-binary "@$f" "$URL/api/v1/records"
}

# a response and a contact for households of 石桥镇 (in kiosk-a's scope)
HH_IN=$(sqlite3 c.db "SELECT id FROM households WHERE grid LIKE '439901101%' ORDER BY id LIMIT 1")
HH_OUT=$(sqlite3 c.db "SELECT id FROM households WHERE grid LIKE '439901102%' ORDER BY id LIMIT 1")
GRID_IN=$(sqlite3 c.db "SELECT grid FROM households WHERE id = '$HH_IN'")
rec() { # rec UUID HOUSEHOLD ANSWER
  printf '{"type":"response","id":"%s","survey":"aware-anti-drug","survey_version":1,"channel":"kiosk","device":"kiosk-a","household":"%s","region":"%s","started_at":"2026-11-20T10:00:00+08:00","completed_at":"2026-11-20T10:04:00+08:00","status":"complete","answers":{"q1":"%s"}}\n' "$1" "$2" "$GRID_IN" "$3"
}
rec 11111111-1111-4111-8111-111111111111 "$HH_IN" 1 > one.jsonl
printf '{"type":"contact","id":"22222222-2222-4222-8222-222222222222","household":"%s","channel":"kiosk","kind":"kiosk_session","pack":"anti-drug","device":"kiosk-a","at":"2026-11-20T10:05:00+08:00"}\n' "$HH_IN" >> one.jsonl
before=$(count)

# --- auth ---
check "no token: 401" "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/x-ndjson' --data-binary @one.jsonl "$URL/api/v1/records")" 401
check "wrong token: 401" "$(post axk_not-a-real-token-at-all-000000000000 one.jsonl)" 401
check "revoked token: 401" "$(post "$R" one.jsonl)" 401
check "nothing stored by refused requests" "$(count)" "$before"

# --- accept, then idempotent resend, then conflict ---
check "valid batch: 200" "$(post "$K" one.jsonl)" 200
check "both accepted" "$(grep -o '"accepted":[0-9]*' out.json)" '"accepted":2'
check "stored 2" "$(count)" "$((before + 2))"
check "resend: 200" "$(post "$K" one.jsonl)" 200
check "resend is duplicate" "$(grep -o '"duplicate":[0-9]*' out.json)" '"duplicate":2'
check "still 2 stored" "$(count)" "$((before + 2))"
rec 11111111-1111-4111-8111-111111111111 "$HH_IN" 2 > changed.jsonl
check "changed resend: 200" "$(post "$K" changed.jsonl)" 200
check "changed resend is conflict" "$(grep -o '"status":"[a-z]*"' out.json)" '"status":"conflict"'
check "conflict kept for review" "$(sqlite3 c.db 'SELECT COUNT(*) FROM conflicts')" 1

# --- scope: out-of-scope record rejected, others in the batch stand ---
rec 33333333-3333-4333-8333-333333333333 "$HH_OUT" 1 > mixed.jsonl
rec 44444444-4444-4444-8444-444444444444 "$HH_IN" 1 >> mixed.jsonl
check "mixed batch: 200" "$(post "$K" mixed.jsonl)" 200
check "out of scope rejected with 403 reason" "$(grep -c '"status":"rejected","reason":"403' out.json)" 1
check "in-scope record of the batch accepted" "$(grep -o '"accepted":[0-9]*' out.json)" '"accepted":1'

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
check "  first line not stored either" "$(sqlite3 c.db "SELECT COUNT(*) FROM responses WHERE id LIKE '77777777%'")" 0
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
check "report in token scope: 200" "$(curl -s -o rep.json -w '%{http_code}' -H "Authorization: Bearer $K" "$URL/api/v1/report?scope=439901101000&depth=1")" 200
check "report out of token scope: 403" "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $K" "$URL/api/v1/report?scope=439901000000")" 403
check "metrics count accepted records" "$(curl -s "$URL/metrics" | grep -c 'anxin_records_total{result="accepted"} 3')" 1
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
printf '{"type":"contact","id":"aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa","household":"%s","channel":"kiosk","kind":"kiosk_session","pack":"anti-drug","device":"kiosk-a","at":"%s"}\n' "$HH_IN" "$T0" > skew.jsonl
check "skewed device: 200" "$(post "$K" skew.jsonl -H "X-Anxin-Device-Time: $ahead")" 200
at=$(sqlite3 -cmd ".timeout 5000" c.db "SELECT at FROM contacts WHERE id LIKE 'aaaaaaaa%'")
d=$((at - now)); [ $d -lt 0 ] && d=$((-d))
if [ $d -lt 120 ]; then ok "stored time corrected to the server's clock"; else bad "stored time off by $d s"; fi
check "body keeps the device's own time" "$(sqlite3 -cmd '.timeout 5000' c.db "SELECT body LIKE '%$T0%' FROM contacts WHERE id LIKE 'aaaaaaaa%'")" 1

# --- logs: UTC ISO-8601 with Z, as anxin-smsd writes them (TZ is Asia/Shanghai here) ---
first=$(head -n 1 server.log)
stamp=${first%% *}
check "log line starts with a UTC time" "$(printf '%s\n' "$first" | grep -cE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z INFO ')" 1
d=$(( $(date -u +%s) - $(date -u -d "$(printf '%s' "$stamp" | tr T ' ' | tr -d Z)" +%s 2>/dev/null || echo 0) ))
if [ $d -ge 0 ] && [ $d -lt 600 ]; then ok "  and that time is now, in UTC"; else bad "  log time $stamp is $d s from now (UTC)"; fi

echo "$((n - fail)) passed, $fail failed"
[ $fail = 0 ]
