#!/bin/sh
# limits.sh DIR -- one request cannot exhaust the server's memory: a gzip
# bomb (~60 KB on the wire, 64 MiB of records inflated) and a body of 5
# million one-record lines are answered 413, and the server's peak RSS
# (VmHWM of /proc/PID/status) stays under 100 MB.  A bad token or an
# unknown path is refused before the body is read.
set -u
DIR=$1
sh "$ANXIN_SOURCE/tests/e2e/central/server.sh" start "$DIR" || exit 1
cd "$DIR" || exit 1
URL="http://127.0.0.1:$(cat port)"
PID=$(cat pid)
S=$(cat smsd.token)
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got $2, want $3)"; fi; }
hwm() { sed -n 's/^VmHWM:[^0-9]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }
post() { # post TOKEN FILE [curl args]
  tok=$1 f=$2; shift 2
  curl -s -o out.json -w '%{http_code}' -X POST -H "Authorization: Bearer $tok" \
    -H "Content-Type: application/x-ndjson" "$@" --data-binary "@$f" "$URL/api/v1/records"
}
count() { sqlite3 -cmd ".timeout 10000" c.db "SELECT (SELECT COUNT(*) FROM responses) + (SELECT COUNT(*) FROM contacts)"; }
before=$(count)
start_kb=$(hwm)
echo "# server VmHWM at start: $start_kb kB"

# 64 MiB of '{}' lines, gzip-compressed
head -c 67108864 /dev/zero | tr '\0' '\n' | sed 's/^/{}/' | head -c 67108864 | gzip -9 -c > bomb.gz
echo "# gzip bomb: $(wc -c < bomb.gz) bytes"
check "gzip bomb: 413" "$(post "$S" bomb.gz -H 'Content-Encoding: gzip')" 413
check "  names the inflated limit" "$(grep -c 'inflated body is over the limit' out.json)" 1
# 5 million lines of a one-field record: 40 MB plain, 60 KB gzip
yes '{"a":1}' | head -n 5000000 | gzip -1 -c > lines.gz
echo "# 5,000,000 lines: $(wc -c < lines.gz) bytes gzip"
check "5,000,000-line body: 413" "$(post "$S" lines.gz -H 'Content-Encoding: gzip')" 413
# just over the records cap, small enough to inflate: counted, not parsed
yes '{"a":1}' | head -n 2001 > many.jsonl
check "2,001 records in one request: 413" "$(post "$S" many.jsonl)" 413
check "  says how many it takes" "$(grep -c 'more than 2000 records' out.json)" 1
check "nothing stored" "$(count)" "$before"
peak=$(hwm)
echo "# server VmHWM after: $peak kB"
if [ "$peak" -lt 102400 ]; then ok "server peak RSS $peak kB < 100 MB"; else bad "server peak RSS $peak kB (>= 100 MB)"; fi

# refused before the body: a bad token, an unknown path, a wrong type
head -c 6000000 /dev/zero | tr '\0' 'a' > big.txt
check "bad token with a 6 MB body: 401" "$(post axk_not-a-real-token-at-all-000000000000 big.txt -H 'Transfer-Encoding: chunked')" 401
check "unknown API path with a body: 404" "$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @big.txt "$URL/api/v1/nothing")" 404
check "wrong content type: 400 before the body" "$(curl -s -o out.json -w '%{http_code}' -X POST -H "Authorization: Bearer $S" -H 'Content-Type: text/plain' --data-binary @big.txt "$URL/api/v1/records")" 400
check "server still answers" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200
rm -f bomb.gz lines.gz big.txt many.jsonl
sh "$ANXIN_SOURCE/tests/e2e/central/server.sh" stop "$DIR"
echo "$((n - fail)) passed, $fail failed"
[ $fail = 0 ]
