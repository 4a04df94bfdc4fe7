#!/bin/sh
# kiosk.seal_http: the seal key is not taken from a campaigns document
# synced over plain http from another machine (anyone on the way could put
# in their own key and read every number typed): household linking stays
# off, said once in the log, until [central] seal_public_key is
# configured.  Over http to this machine itself (or https) the synced key
# is used.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"
key=$(head -c 32 /dev/urandom | base64)
doc='{"campaigns":[{"id":"mon","name":"监测","wave":"mon-wave","survey":"satisfaction","survey_version":1,"scope":"439901101000","starts_at":0,"ends_at":4000000000,"packs":[],"coverage_kinds":["visit"]}],"surveys":{},"packs":{},"seal_public_key":"'$key'"}'
printf 'expect-screen attract\n' > "$D.s"
for url in http://192.0.2.1:8080 http://127.0.0.1:9; do
  rm -rf "$D"
  CENTRAL_LINES="url = $url" kiosk_conf "$D"
  sed -i '/^seal_public_key/d' "$D/kiosk.conf"
  "$ANXIN_BIN/survey/anxin" init --db "$D/kiosk.db" > /dev/null
  sqlite3 "$D/kiosk.db" "INSERT INTO sync_state(key, value) VALUES('campaigns.json', '$doc')"
  run_kiosk "$D" "$D.s" 2> "$D.log" || fail "run with $url: $(cat "$D.log")"
  n=$(grep -c "plain http: household linking stays off" "$D.log" || true)
  case $url in
  *192.0.2.1*) [ "$n" = 1 ] || fail "$url: linking not refused once (said $n times): $(cat "$D.log")" ;;
  *) [ "$n" = 0 ] || fail "$url: linking refused for this machine" ;;
  esac
done
echo ok
