#!/bin/sh
# pgserve.sh DIR PGURLFILE -- anxin-central serving a county from
# PostgreSQL (issue 19): a county file (demo roster, test content, 600
# demo records, a county user, a gateway) copied with `anxin store copy`
# into a database of its own (anxin_serve) on the `pg` fixture's cluster,
# and the server started on its URL.  It answers /healthz, takes a staff
# login (session in the database), draws the county's region page, takes
# the gateway's last 300 records over HTTP, and its JSON report's county
# respondents equal a count by hand from all 900; the XLSX 台账 and the
# contacts CSV come from the database (one CSV line per contact there),
# and so does a grid's 未覆盖户清单.
# A sampled campaign created on the database with
# `anxin campaign create --db postgresql://` (50 households by township)
# reaches the gateway with its 50 drawn households, and the county's
# region page shows its response rate
# (0 of 50 drawn) beside a monitoring campaign's funnel over the roster's
# households (counted from the file); once closed (`anxin campaign
# close`) the gateway no longer gets it.  The same campaign created in
# the county's SQLite file prints the same estimate and draws the same
# households; the demo's answers from the drawn households (generated on
# PostgreSQL) give the same `report --campaign` on both.  Content on the database: the
# same folder again installs no new version, a survey's version 2 one,
# version 2 again with another title is refused (exit 3, saying why, no
# row changed); `content official` designates a survey there.  The server exits 0 on SIGTERM.
set -u
DIR=$1
PGURL=$2
. "$(dirname "$0")/tap.sh"
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
tap_store
"$A" records demo --db c.db --count 900 --seed 8 --device gw1 > all.jsonl
head -n 600 all.jsonl > first.jsonl
tail -n 300 all.jsonl > rest.jsonl
"$A" records import -q --db c.db first.jsonl
echo county-pass-1 > pw
"$A" user add --db c.db --name boss --role county --scope 439901000000 --password-file pw > /dev/null
"$A" device add --db c.db --name gw1 --kind smsd --scope 439901000000 > tok 2> /dev/null
sqlite3 c.db "UPDATE devices SET created_at = 0"
tap_pg_copy "$PGURL" anxin_serve

"$C" --db "$DB" --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && break; sleep 0.1; done
U="http://127.0.0.1:$(cat port)"
check "/healthz on PostgreSQL" "$(curl -s -o /dev/null -w '%{http_code}' "$U/healthz")" 200

curl -s -c jar -o login.html "$U/login"
csrf=$(grep -o 'name="csrf" value="[^"]*"' login.html | sed 's/.*value="//; s/"$//')
check "login: redirected home" \
  "$(curl -s -b jar -c jar -o /dev/null -w '%{http_code}' -d "csrf=$csrf&user=boss&password=county-pass-1" "$U/login")" 303
check "  a session in the database" "$(psql -At "$DB" -c 'SELECT COUNT(*) FROM sessions')" 1
check "the county's region page" \
  "$(curl -s -b jar -o region.html -w '%{http_code}' "$U/region/439901000000")" 200
check "  names the county" "$(grep -c '江州县' region.html | awk '{ print ($1 > 0) }')" 1

# the last 300 records sent by the gateway over HTTP
code=$(curl -s -o post.json -w '%{http_code}' -X POST -H "Authorization: Bearer $(head -n 1 tok)" \
  -H "Content-Type: application/x-ndjson" --data-binary @rest.jsonl "$U/api/v1/records")
check "the gateway's batch taken" "$code" 200
check "  its 300 records accepted" "$(grep -o '"accepted":[0-9]*' post.json | cut -d: -f2)" 300
curl -s -b jar -o report.json "$U/api/v1/report?scope=439901000000"
check "the report's county respondents equal the count by hand" \
  "$(grep -o '"respondents": *[0-9]*' report.json | head -n 1 | grep -o '[0-9]*$')" \
  "$(respondents_by_hand all.jsonl)"
check "the XLSX 台账 from PostgreSQL: 200" \
  "$(curl -s -b jar -o ledger.xlsx -w '%{http_code}' "$U/api/v1/report?scope=439901000000&format=xlsx")" 200
check "  with its 入户宣传明细 sheet" "$(unzip -p ledger.xlsx xl/workbook.xml | grep -c '入户宣传明细')" 1
check "the contacts CSV from PostgreSQL: 200" \
  "$(curl -s -b jar -o contacts.csv -w '%{http_code}' "$U/export/contacts.csv?scope=439901000000")" 200
check "  one line per contact of the county's households (+ header)" "$(grep -c . contacts.csv)" \
  "$(( $(psql -At "$DB" -c 'SELECT COUNT(*) FROM contacts c JOIN households h ON h.id = c.household') + 1 ))"
check "a grid's 未覆盖户清单 from PostgreSQL: 200" \
  "$(curl -s -b jar -o un.html -w '%{http_code}' "$U/grid/439901101001001/unreached")" 200
check "  titled, phones masked" "$(grep -c '未覆盖户清单' un.html | awk '{ print ($1 > 0) }')$(grep -c '1[3-9][0-9]\*\*\*\*[0-9]\{4\}' un.html | awk '{ print ($1 > 0) }')" 11

# open now; the demo spreads its answers over the first half: all past
start=$(date -d '20 days ago' +%F)
end=$(date -d '10 days' +%F)
sampled() { # the sampled campaign, created in store $1
  "$A" campaign create --db "$1" --id pgcamp --name 江州县测评 --survey safety-ceping \
    --scope 439901000000 --sample 50 --strata township --seed 7 --start "$start" --end "$end"
}
sampled "$DB" > camp.txt 2> camperr.txt
check "a sampled campaign created on PostgreSQL" "$?" 0
check "  50 households drawn" \
  "$(psql -At "$DB" -c "SELECT COUNT(*) FROM campaign_sample WHERE campaign = 'pgcamp'")" 50
check "a device's campaigns" \
  "$(curl -s -o camp.json -w '%{http_code}' -H "Authorization: Bearer $(head -n 1 tok)" "$U/api/v1/campaigns")" 200
check "  the campaign with its 50 drawn households" \
  "$(grep -o '"households":\[[^]]*\]' camp.json | tr ',' '\n' | wc -l)" 50
"$A" campaign create --db "$DB" --id pgmon --name 县宣传月 --survey satisfaction \
  --scope 439901000000 > /dev/null 2>&1
check "a monitoring campaign created on PostgreSQL" "$?" 0
curl -s -b jar -o region2.html "$U/region/439901000000"
check "the region page: the sampled campaign's response rate" \
  "$(grep -c '完成 0 / 抽中 50 户' region2.html)" 1
check "  the monitoring campaign's funnel over the roster's households" \
  "$(grep -o '本区域内 [0-9]* 户' region2.html)" \
  "本区域内 $(($(wc -l < "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv") - 1)) 户"
# the same campaign and records in the SQLite file: the same figures
sampled c.db > /dev/null 2> camperr-sl.txt
check "the same campaign in the SQLite file: the same estimate" "$(cat camperr.txt)" "$(cat camperr-sl.txt)"
check "  the same draw" "$("$A" campaign show --db "$DB" pgcamp | md5sum)" \
  "$("$A" campaign show --db c.db pgcamp | md5sum)"
"$A" records import -q --db c.db rest.jsonl
"$A" records demo --db "$DB" --campaign pgcamp --count 400 --seed 9 --start "$start" \
  --days 3 > sampled.jsonl
"$A" records import -q --db "$DB" sampled.jsonl
check "its answers imported on PostgreSQL" "$?" 0
"$A" records import -q --db c.db sampled.jsonl
check "  and into the SQLite file" "$?" 0
"$A" report --db "$DB" --campaign pgcamp --format csv > rep-pg.csv
"$A" report --db c.db --campaign pgcamp --format csv > rep-sl.csv
check "its report on PostgreSQL: completed answers" "$(awk -F, 'NR == 2 { print ($18 > 0) }' rep-pg.csv)" 1
check "  the same report as the SQLite file's" "$(md5sum < rep-pg.csv)" "$(md5sum < rep-sl.csv)"
"$A" campaign close --db "$DB" pgcamp > /dev/null
check "the campaign closed on PostgreSQL" "$?" 0
curl -s -o camp2.json -H "Authorization: Bearer $(head -n 1 tok)" "$U/api/v1/campaigns"
check "  no longer sent to the device" "$(grep -c pgcamp camp2.json)" 0
"$A" campaign list --db "$DB" --all > list.txt
check "  listed as closed, the other open" \
  "$(grep -c '^pgcamp .*(closed)$' list.txt) $(grep -c '^pgmon .*抽样测评' list.txt) $(grep -c '^pgmon ' list.txt)" "1 0 1"
"$A" content install --db "$DB" "$ANXIN_SOURCE/tests/content-v1" > inst.txt
check "content installed again on PostgreSQL: exit 0" "$?" 0
check "  no new version" "$(grep -c '(0 new versions)' inst.txt)" 1
cp -r "$ANXIN_SOURCE/tests/content-v1" v2
sed -i 's/"version": 1,/"version": 2,/' v2/surveys/satisfaction.json
"$A" content install --db "$DB" v2 > inst2.txt
check "a survey's version 2: one new version" "$(grep -c '(1 new versions)' inst2.txt)" 1
check "  in the database" \
  "$(psql -At "$DB" -c "SELECT MAX(version) FROM surveys WHERE id = 'satisfaction'")" 2
sed -i 's/"title": "平安建设群众满意度调查"/"title": "改过的标题"/' v2/surveys/satisfaction.json
"$A" content install --db "$DB" v2 > /dev/null 2> inst3.txt
check "version 2 again with another title: refused (exit 3)" "$?" 3
check "  saying why" "$(grep -c 'already installed with different content' inst3.txt)" 1
check "  the stored title unchanged" \
  "$(psql -At "$DB" -c "SELECT title FROM surveys WHERE id = 'satisfaction' AND version = 2")" \
  平安建设群众满意度调查
"$A" content official --db "$DB" satisfaction > /dev/null
check "content official on PostgreSQL: exit 0" "$?" 0
check "  read back" "$("$A" content official --db "$DB")" satisfaction
tap_stop "$pid" "the server"
tap_end
