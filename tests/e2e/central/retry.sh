#!/bin/sh
# retry.sh DIR [PGURLFILE] -- a rejection that may be temporary is not
# final on the device: an SMS gateway pushes a response for a survey
# central has not installed yet; central rejects it "for now" (retry),
# the record stays pending with the reason, is not sent again before its
# backoff, and once the survey is installed the next push after the
# backoff lands it.  A final rejection (a record naming another device)
# is marked rejected at once and never sent again.  With PGURLFILE
# central's store is a fresh database anxin_retry of the `pg` fixture's
# cluster instead of c.db.
set -u
DIR=$1
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
. "$(dirname "$0")/tap.sh"
tap_db ${2:+"$2" anxin_retry}

# central: the roster, no content yet
tap_roster
"$A" device add --db "$DB" --name smsd-r --kind smsd --scope 439901101000 > tok 2>/dev/null
chmod 600 tok
HH=$(tap_sql "SELECT id FROM households WHERE grid LIKE '439901101%' ORDER BY id LIMIT 1")
iso() { TZ=Asia/Shanghai date -d "@$1" +%Y-%m-%dT%H:%M:%S+08:00; }
now=$(date +%s)
rec() { # rec UUID DEVICE
  printf '{"type":"response","id":"%s","survey":"aware-anti-drug","survey_version":1,"channel":"sms","device":"%s","household":"%s","started_at":"%s","completed_at":"%s","status":"complete","answers":{"q1":"1"}}\n' "$1" "$2" "$HH" "$(iso $((now - 120)))" "$(iso $((now - 60)))"
}
rec e0000001-0000-4000-8000-000000000001 smsd-r > recs.jsonl
rec e0000002-0000-4000-8000-000000000002 smsd-other >> recs.jsonl
"$A" init --db dev.db > /dev/null
"$A" records queue -q --db dev.db recs.jsonl
"$C" --db "$DB" --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)"
push() { "$A" sync --once --db dev.db --server "$URL" --token-file tok --retry-base 3 > push.out 2>&1; }
state() { sqlite3 -cmd ".timeout 5000" dev.db "SELECT state FROM outbox WHERE id = '$1'"; }
stored() { tap_sql "SELECT COUNT(*) FROM responses WHERE id = '$1'"; }

push
check "first push: one rejected for now, one rejected" "$(grep -o '[0-9]* rejected, [0-9]* rejected for now' push.out)" "1 rejected, 1 rejected for now"
check "  the survey's record stays pending" "$(state e0000001-0000-4000-8000-000000000001)" pending
check "  with the server's reason" "$(sqlite3 dev.db "SELECT reason FROM outbox WHERE id LIKE 'e0000001%'")" 'survey "aware-anti-drug" version 1 is not installed in this store'
check "  the other device's record is final" "$(state e0000002-0000-4000-8000-000000000002)" rejected
check "  nothing stored at central" "$(stored e0000001-0000-4000-8000-000000000001)" 0
"$A" content install -q --db "$DB" "$ANXIN_SOURCE/tests/content-v1"
push
check "push within the backoff sends nothing" "$(grep -c 'nothing pending\|0 sent' push.out)" 1
check "  still pending" "$(state e0000001-0000-4000-8000-000000000001)" pending
sleep 7 # 3 s << 1 attempt, and a second
push
check "push after the backoff: accepted" "$(grep -o '1 sent (1 accepted' push.out)" "1 sent (1 accepted"
check "  marked sent on the device" "$(state e0000001-0000-4000-8000-000000000001)" sent
check "  stored at central" "$(stored e0000001-0000-4000-8000-000000000001)" 1
check "  the final rejection was not sent again" "$(sqlite3 dev.db "SELECT attempts FROM outbox WHERE id LIKE 'e0000002%'")" 1
tap_stop $pid "anxin-central"
tap_end
