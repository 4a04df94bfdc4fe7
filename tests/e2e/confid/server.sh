#!/bin/sh
# server.sh start|stop DIR -- the CTest fixture of e2e.confid.*: a store
# with the 江州县 demo roster, the bundled content (safety-ceping named
# the official 测评 survey), synthetic records over the last 40 days
# (demo.jsonl), a campaign of safety-ceping in 石桥镇 with SMS contacts and
# SMS answers of its wave (wave.jsonl), twelve answers with 说不清
# (dontknow.jsonl), a county, a township (石桥镇) and a
# grid user (石桥社区 第一网格), served by anxin-central on 127.0.0.1 (a
# free port, in DIR/port).  The record files stay in DIR: the checks
# compute every figure from them, not from the store.
set -eu
cmd=$1
DIR=$2
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
. "$(dirname "$0")/../fixture.sh"
case $cmd in
start)
  rm -rf "$DIR"
  mkdir -p "$DIR"
  cd "$DIR"
  "$A" roster import -q --db c.db --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv"
  "$A" content install -q --db c.db "$ANXIN_SOURCE/content"
  "$A" content official --db c.db safety-ceping
  "$A" records demo --db c.db --count 4000 --seed 1212 --start "$(date -d '-40 days' +%F)" --days 40 > demo.jsonl
  "$A" records import -q --db c.db demo.jsonl
  start=$(date -d '-30 days' +%F) end=$(date -d '+30 days' +%F)
  "$A" campaign create --db c.db --id camp-cf --name "石桥镇安全感测评" \
    --survey safety-ceping --scope 439901101000 --start "$start" --end "$end" > /dev/null
  echo "camp-cf safety-ceping 439901101000 $start $end" > campaign
  "$A" records demo --db c.db --count 6000 --seed 99 --start "$(date -d '-25 days' +%F)" --days 25 > more.jsonl
  grep '"type":"response"' more.jsonl | grep '"survey":"safety-ceping"' | grep '"channel":"sms"' |
    sed 's/^{/{"wave":"camp-cf",/' > wave.jsonl
  grep '"type":"contact"' more.jsonl | grep '"channel":"sms"' >> wave.jsonl
  "$A" records import -q --db c.db wave.jsonl
  # twelve anonymous kiosk answers with 说不清 (6) in 石桥社区 grids 2 and 3
  # (grid 1 keeps fewer than 5 answers for e2e.confid.roles), ten
  # days ago: the synthetic records never say 说不清
  d=$(date -d '-10 days' +%F)
  # the bundled survey's version (the answers fit every version so far)
  v=$(sed -n 's/^  "version": \([0-9]*\),$/\1/p' "$ANXIN_SOURCE/content/surveys/safety-ceping.json")
  i=0
  for a in 6,1,6,6 6,2,,6 1,1,6,2 6,1,1,6 3,1,6,1 6,2,,3 2,1,2,6 6,1,6,6 \
           4,1,5,6 6,1,3,1 5,2,,6 6,1,6,2; do
    i=$((i + 1))
    IFS=, read -r sf pa ps ov <<ANS
$a
ANS
    ans="\"safety\":\"$sf\",\"patrol\":\"$pa\"${ps:+,\"patrol_sat\":\"$ps\"},\"overall\":\"$ov\""
    printf '{"type":"response","id":"d0c70000-0000-4000-8000-%012d","survey":"safety-ceping","survey_version":%s,"channel":"kiosk","device":"kiosk-cf","household":null,"region":"43990110100100%d","started_at":"%sT10:%02d:00+08:00","completed_at":"%sT10:%02d:30+08:00","status":"complete","answers":{%s}}\n' \
      "$i" "$v" $((i % 2 + 2)) "$d" "$i" "$d" "$i" "$ans"
  done > dontknow.jsonl
  "$A" records import -q --db c.db dontknow.jsonl
  # the filter the consistency check reads the three outputs with
  echo "$(date -d '-32 days' +%F) $(date -d '-3 days' +%F)" > window
  for u in county:county:439901000000 town:township:439901101000 grid1:grid:439901101001001; do
    name=${u%%:*} rest=${u#*:}
    printf '%s-pass-2026\n' "$name" > "$name.pw"
    chmod 600 "$name.pw"
    "$A" user add --db c.db --name "$name" --role "${rest%%:*}" --scope "${rest#*:}" \
      --password-file "$name.pw" > /dev/null
  done
  # (no ulimit -v: the ASan flavour runs this fixture too, and its shadow
  # memory needs far more address space; nothing here inflates a body)
  fixture_run server.out server.log "$C" --db c.db --listen 127.0.0.1:0 --port-file port || exit 1
  fixture_wait_port || exit 1
  ;;
stop)
  # its exit status checked (issue 16): 0, and no sanitizer report
  fixture_stop "$DIR"
  ;;
esac
