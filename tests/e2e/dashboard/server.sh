#!/bin/sh
# server.sh start|stop DIR -- the CTest fixture of the dashboard e2e tests.
# start: a store with the 江州县 demo roster, the bundled content, 3000
# synthetic records over the last 40 days, a campaign in 石桥镇 with SMS
# contacts and SMS answers of its wave, eight hand-written safety-ceping
# answers (safety.jsonl), a sampled 测评 campaign with two answers, a
# county user and a grid user, three
# kiosks (one registered now and never seen: 未联系; one registered 2
# days ago and never seen: 失联), served by anxin-central on 127.0.0.1 (a
# free port, written to DIR/port).
set -eu
cmd=$1
DIR=$2
. "$(dirname "$0")/../fixture.sh"
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
case $cmd in
start)
  rm -rf "$DIR"
  mkdir -p "$DIR"
  cd "$DIR"
  "$A" roster import -q --db c.db --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
  "$A" content install -q --db c.db "$ANXIN_SOURCE/tests/content-v1"
  "$A" records demo --db c.db --count 3000 --seed 20151 --start "$(date -d '-40 days' +%F)" --days 40 > demo.jsonl
  "$A" records import -q --db c.db demo.jsonl
  # a campaign in 石桥镇 (439901101000): its SMS contacts and the SMS
  # answers of its wave feed the funnel
  "$A" campaign create --db c.db --id camp-e2e --name "秋季平安家庭满意度调查" \
    --survey satisfaction --packs family-safety --scope 439901101000 \
    --start "$(date -d '-30 days' +%F)" --end "$(date -d '+30 days' +%F)" > /dev/null
  "$A" records demo --db c.db --count 6000 --seed 7 --start "$(date -d '-25 days' +%F)" --days 25 > more.jsonl
  grep '"type":"response"' more.jsonl | grep '"survey":"satisfaction"' | grep '"channel":"sms"' |
    sed 's/^{/{"wave":"camp-e2e",/' > wave.jsonl
  grep '"type":"contact"' more.jsonl | grep '"channel":"sms"' >> wave.jsonl
  "$A" records import -q --db c.db wave.jsonl
  # eight hand-written 群众安全感和满意度测评 answers in 第一网格 on
  # 2021-06-15, long before the demo's window: http.sh checks the page's
  # 安全感 and 说不清 figures against a count by hand (see there)
  "$A" records import -q --db c.db "$ANXIN_SOURCE/tests/e2e/dashboard/safety.jsonl"
  # a sampled 测评 in 石桥镇: 60 households by village, seed 11; the first
  # two drawn households answer it (http.sh: RR1 2/60)
  "$A" campaign create --db c.db --id camp-ceping --name "石桥镇群众安全感抽样测评" \
    --survey safety-ceping --scope 439901101000 --start "$(date -d '-10 days' +%F)" \
    --end "$(date -d '+20 days' +%F)" --sample 60 --strata village --seed 11 > /dev/null
  "$A" campaign show --db c.db camp-ceping | awk -F '\t' 'NF == 3 && $1 != "household" { print $1 }' |
    head -n 2 | awk -v at="$(date -d '-1 day' +%FT%T+08:00)" '{
      printf "{\"type\":\"response\",\"id\":\"5a3c0000-0000-4000-8000-00000000000%d\",", NR
      printf "\"survey\":\"safety-ceping\",\"survey_version\":1,\"wave\":\"camp-ceping\",\"channel\":\"sms\","
      printf "\"device\":\"smsd-e2e\",\"household\":\"%s\",\"started_at\":\"%s\",\"completed_at\":\"%s\",", $1, at, at
      printf "\"status\":\"complete\",\"answers\":{\"safety\":\"2\",\"patrol\":\"2\",\"overall\":\"1\"}}\n" }' > ceping.jsonl
  "$A" records import -q --db c.db ceping.jsonl
  printf 'county-pass-2026\n' > county.pw
  printf 'grid-pass-2026\n' > grid.pw
  chmod 600 ./*.pw
  "$A" user add --db c.db --name county --role county --scope 439901000000 --password-file county.pw > /dev/null
  # 石桥镇 › 石桥社区 › 第一网格
  "$A" user add --db c.db --name grid1 --role grid --scope 439901101001001 --password-file grid.pw > /dev/null
  "$A" device add --db c.db --name kiosk-sq --kind kiosk --scope 439901101000 > kiosk.token 2>/dev/null
  "$A" device add --db c.db --name kiosk-silent --kind kiosk --scope 439901101001 > /dev/null 2>&1
  # registered two days ago and never heard from since (http.sh: 失联)
  "$A" device add --db c.db --name kiosk-stale --kind kiosk --scope 439901101001 > /dev/null 2>&1
  sqlite3 c.db "UPDATE devices SET created_at = created_at - 2 * 86400 WHERE id = 'kiosk-stale'"
  chmod 600 kiosk.token
  # DASH_PG_URLFILE (pg.e2e.dashboard.*): the store set up above moved
  # into a fresh database of the `pg` fixture's cluster; its URL in db
  DB=c.db
  if [ -n "${DASH_PG_URLFILE:-}" ]; then
    base=$(cat "$DASH_PG_URLFILE")
    PGOPTIONS="-c client_min_messages=warning" psql -q "$base" \
      -c "DROP DATABASE IF EXISTS anxin_dash" -c "CREATE DATABASE anxin_dash"
    DB="${base%/*}/anxin_dash"
    "$A" store copy --from c.db --to "$DB" > /dev/null
    echo "$DB" > db
  fi
  fixture_run server.out server.log "$C" --db "$DB" --listen 127.0.0.1:0 --port-file port || exit 1
  for _ in $(seq 1 100); do
    if [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null; then
      # kiosk-sq checks in (last seen now); kiosk-silent never does
      curl -fs -o /dev/null -H "Authorization: Bearer $(head -n 1 kiosk.token)" \
        "http://127.0.0.1:$(cat port)/api/v1/campaigns"
      exit 0
    fi
    sleep 0.1
  done
  echo "server did not start" >&2
  cat server.log >&2
  exit 1
  ;;
stop)
  fixture_stop "$DIR"
  ;;
esac
