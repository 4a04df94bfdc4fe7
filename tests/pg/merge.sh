#!/bin/sh
# merge.sh DIR URLFILE SEAL -- two counties moved into one PostgreSQL
# database by `anxin store copy` (ctest pg.store_merge; its own database
# anxin_merge on the `pg` fixture's cluster).  The two counties, the city
# and the province of tests/cases/report/0013-city-province-rollup.case,
# but each county in its own SQLite store, as each county runs today:
# 江州县 (A1-A4) with the province and city rows, 青山县 (B1-B3) with them
# too.  江州县 goes into the empty database, 青山县 is merged in; the
# report from the province down must then be the case's, worked out by
# hand there (copied below).  Also: a second merge of 青山县 writes
# nothing; a third county naming a 户号 already used (A1) is refused whole,
# naming the table and key, with nothing written; 青山县's sealing key is
# kept beside the database's, so a number a 青山县 kiosk sealed before it
# fetched the shared key still finds its household (B3: coverage 1 -> 2 of
# 3).  Then 青山县 leaves (--county): its own rows into a new SQLite store,
# whose report is its row of the case, B3 covered; `store remove` takes
# its rows out of the database, leaving 江州县's figures as the province's
# (by hand), and copied back in, the reports are as before it left.  Each
# county's responses and contacts are in its own partitions, which leave
# with it and come back.  Old code: the merge
# was refused ("copy into an empty database"); --county did not exist.
set -u
DIR=$1
URLFILE=$2
SEAL=$3
A="$ANXIN_BIN/survey/anxin"
CASE="$ANXIN_SOURCE/tests/cases/report/0013-city-province-rollup.case"
. "$ANXIN_SOURCE/tests/e2e/central/tap.sh"

base=$(cat "$URLFILE")
PGOPTIONS="-c client_min_messages=warning" psql -q "$base" \
  -c "DROP DATABASE IF EXISTS anxin_merge" -c "CREATE DATABASE anxin_merge" || exit 1
U="${base%/*}/anxin_merge"

# the case's files
casefile() { awk -v f="$1" '/^--- / { on = ($0 == "--- file " f); next } on' "$CASE"; }
casefile regions.csv > regions.csv
casefile roster.csv > roster.csv
casefile records.jsonl > records.jsonl
casefile pw.txt > pw.txt

# one county's store: the province, the city and COUNTY; its roster rows
# and records (households starting with P)
county() { # county DB COUNTYCODE P
  rm -f "$1"
  { head -n 3 regions.csv; grep "^$2," regions.csv; } > "$1.regions.csv"
  { head -n 1 roster.csv; grep "^$3" roster.csv; } > "$1.roster.csv"
  grep "\"household\": \"$3" records.jsonl > "$1.records.jsonl"
  "$A" regions import -q --db "$1" "$1.regions.csv" &&
    "$A" roster import -q --db "$1" "$1.roster.csv" &&
    "$A" content install -q --db "$1" "$ANXIN_SOURCE/tests/content-v1" > /dev/null &&
    "$A" records import -q --db "$1" "$1.records.jsonl"
}
county a.db 439901000000 A
check "江州县's store" "$?" 0
county b.db 439902000000 B
check "青山县's store" "$?" 0
"$A" user add --db a.db --name jz --role county --scope 439901000000 --password-file pw.txt > /dev/null
"$A" user add --db b.db --name qs --role county --scope 439902000000 --password-file pw.txt > /dev/null
# each county's own sealing key; B3's number sealed as a 青山县 kiosk did
"$SEAL" a.db 13800000001 > /dev/null
sealed=$("$SEAL" b.db 13800000013)
check "two different sealing keys" \
  "$(sqlite3 a.db "SELECT hex(public) FROM keys" | grep -c "$(sqlite3 b.db "SELECT hex(public) FROM keys")")" 0

"$A" store copy --from a.db --to "$U" > a.txt 2>&1
check "江州县 into the empty database: exit 0" "$?" 0
"$A" store copy --from b.db --to "$U" > b.txt 2> b.err
check "青山县 merged in: exit 0" "$?" 0
check "  its 3 households, 4 responses and 1 contact written" \
  "$(awk '$1 == "households" || $1 == "responses" || $1 == "contacts" { printf "%s=%s ", $1, $2 }' b.txt)" \
  "households=3 responses=4 contacts=1 "
check "  the province and city rows already there: only its county, town and village" \
  "$(awk '$1 == "regions" { print $2 }' b.txt)" 3
check "  the packs both installed: kept once" "$(awk '$1 == "packs" { print $2 }' b.txt)" 0
check "  both counties' staff" "$(psql -At "$U" -c "SELECT string_agg(name, ' ' ORDER BY name) FROM users")" "jz qs"

# the report from the top, as worked out by hand in the case
cat > want.csv <<'EOF'
430000000000,南江省,省,7,3,3,7,0.4286,8,2,3,0.6667,0.2077,0.9385,是,3,5,0.6000,0.2307,0.8824,是,3.000,未达标,样本不足,未达标
439900000000,江州市,市,7,3,3,7,0.4286,8,2,3,0.6667,0.2077,0.9385,是,3,5,0.6000,0.2307,0.8824,是,3.000,未达标,样本不足,未达标
439901000000,江州县,县,4,2,2,4,0.5000,4,1,2,0.5000,0.0945,0.9055,是,1,2,0.5000,0.0945,0.9055,是,3.500,未达标,样本不足,样本不足
439902000000,青山县,县,3,1,1,3,0.3333,4,1,1,1.0000,0.2065,1.0000,是,2,3,0.6667,0.2077,0.9385,是,2.667,未达标,样本不足,样本不足
EOF
"$A" report --db "$U" --format csv --depth 2 | tail -c +4 | tr -d '\r' | tail -n +2 > got.csv
check "the report from the province down: the case's, by hand" "$(diff want.csv got.csv && echo same)" same

# the counts of every table, to tell a copy that wrote nothing
counts() {
  psql -At "$U" -c "SELECT (SELECT COUNT(*) FROM regions), (SELECT COUNT(*) FROM households),
    (SELECT COUNT(*) FROM household_periods), (SELECT COUNT(*) FROM household_phones),
    (SELECT COUNT(*) FROM packs), (SELECT COUNT(*) FROM surveys), (SELECT COUNT(*) FROM responses),
    (SELECT COUNT(*) FROM contacts), (SELECT COUNT(*) FROM tally), (SELECT COUNT(*) FROM tally_total),
    (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM keys)"
}
before=$(counts)
check "  7 households, their 7 stretches, 8 responses, 3 contacts, 2 keys" \
  "$(echo "$before" | cut -d'|' -f2,3,7,8,12)" "7|7|8|3|2"
# each county's records in its own partitions (store_pg.c migration 11):
# 4 responses each (b.txt: 青山县's 4 of the 8), contacts 2 and 1
parts() {
  psql -At "$U" -c "SELECT (SELECT COUNT(*) FROM responses_c439901),
    (SELECT COUNT(*) FROM responses_c439902), (SELECT COUNT(*) FROM contacts_c439901),
    (SELECT COUNT(*) FROM contacts_c439902),
    (SELECT COUNT(*) FROM responses_default) + (SELECT COUNT(*) FROM contacts_default)"
}
check "  responses 4 and 4, contacts 2 and 1 in the counties' partitions, none in DEFAULT" \
  "$(parts)" "4|4|2|1|0"
"$A" store copy --from b.db --to "$U" > b2.txt 2>&1
check "青山县 again: exit 0" "$?" 0
check "  wrote nothing" "$(awk '{ s += $2 } END { print s }' b2.txt)" 0
check "  every table as it was" "$(counts)" "$before"
# a contact kept under another region on one side (its household's grid
# when each side stored it: a household that moved) is the same contact
sqlite3 b.db "UPDATE contacts SET region = '439902001000'"
"$A" store copy --from b.db --to "$U" > b3.txt 2> b3.err
check "青山县 again, its contacts' region changed: exit 0, nothing written" \
  "$?:$(awk '{ s += $2 } END { print s }' b3.txt)" "0:0"

# a third county whose roster uses a 户号 another county uses
{ head -n 3 regions.csv; echo "439903000000,白水县"; } > c.regions.csv
printf '户号,县,乡镇,乡镇代码,村（社区）,村（社区）代码,联系电话\nA1,白水县,白水镇,439903001000,白水村,439903001001,13800000021\n' > c.roster.csv
"$A" regions import -q --db c.db c.regions.csv
"$A" roster import -q --db c.db c.roster.csv
"$A" store copy --from c.db --to "$U" > c.txt 2> c.err
check "白水县 naming 户号 A1 too: refused, exit 3" "$?" 3
check "  says which table and key" "$(grep -c 'households: A1 is already in the database with other content' c.err)" 1
check "  nothing of it written" "$(counts)" "$before"

# 青山县's key kept beside the database's own
check "the database's key stays 江州县's" \
  "$(psql -At "$U" -c "SELECT encode(public, 'hex') FROM keys WHERE name = 'seal'")" \
  "$(sqlite3 a.db "SELECT lower(hex(public)) FROM keys WHERE name = 'seal'")"
check "青山县's kept as seal.<its md5>" \
  "$(psql -At "$U" -c "SELECT name FROM keys WHERE name <> 'seal'")" \
  "seal.$(sqlite3 b.db "SELECT hex(public) FROM keys" | xxd -r -p | md5sum | cut -c1-32)"
printf '{"type":"contact","id":"c9000000-0000-4000-8000-000000000001","household_phone_sealed":"%s","channel":"kiosk","kind":"kiosk_session","pack":"anti-drug","device":"kiosk-qs","at":"2025-03-06T10:00:00+08:00"}\n' "$sealed" > sealed.jsonl
"$A" records import -q --db "$U" sealed.jsonl
check "a contact sealed with 青山县's old key: imported" "$?" 0
check "  stored in 青山县's partition (the importer gives it B3's grid)" "$(parts)" "4|4|2|2|0"
check "  and found B3: 青山县 covers 2 of 3" \
  "$("$A" report --db "$U" --scope 439900000000 --depth 1 --format csv | tr -d '\r' | grep '^439902000000' | cut -d, -f1-5)" \
  "439902000000,青山县,县,3,2"
# 青山县 leaves: its rows only, into a new SQLite store of its own
"$A" store copy --from "$U" --to qs.db --county 439902000000 > qs.txt 2> qs.err
check "青山县 copied out on its own (--county): exit 0" "$?" 0
check "  its province, city, county, town and village; its 3 households" \
  "$(sqlite3 qs.db "SELECT (SELECT group_concat(code, ' ') FROM (SELECT code FROM regions ORDER BY code)), (SELECT group_concat(id, ' ') FROM (SELECT id FROM households ORDER BY id))")" \
  "430000000000 439900000000 439902000000 439902001000 439902001001|B1 B2 B3"
check "  its 4 responses, 2 contacts (the sealed one too), its staff, both keys" \
  "$(sqlite3 qs.db "SELECT (SELECT COUNT(*) FROM responses), (SELECT COUNT(*) FROM contacts), (SELECT group_concat(name) FROM users), (SELECT COUNT(*) FROM keys)")" \
  "4|2|qs|2"
check "  nothing of 江州县's" \
  "$(sqlite3 qs.db "SELECT (SELECT COUNT(*) FROM tally WHERE region LIKE '439901%') + (SELECT COUNT(*) FROM tally_total WHERE region LIKE '439901%') + (SELECT COUNT(*) FROM responses WHERE region LIKE '439901%')")" 0
# its report on its own: 青山县's row of the case, B3 now covered (2 of 3)
"$A" report --db qs.db --scope 439902000000 --depth 0 --format csv | tail -c +4 | tr -d '\r' | tail -n +2 | cut -d, -f1-9 > qs.csv
check "  its report: 3 households, 2 covered, 4 respondents" "$(cat qs.csv)" \
  "439902000000,青山县,县,3,2,2,3,0.6667,4"
check "  the same as the shared database's for 青山县" \
  "$("$A" report --db qs.db --scope 439902000000 --depth 2 --format csv | md5sum)" \
  "$("$A" report --db "$U" --scope 439902000000 --depth 2 --format csv | md5sum)"
"$A" store copy --from "$U" --to x.db --county 439999000000 > /dev/null 2> x.err
check "a county the database does not have: exit 3, says so" \
  "$?$(grep -c 'not a county of the database' x.err)" 31

# ... and its rows go from the shared database: 江州县 alone is left, the
# province's figures now its (worked out from the case: 4 households, 2
# covered, 4 respondents, 禁毒 1 of 2, 满意 1 of 2, mean 3.5)
"$A" report --db "$U" --format csv --depth 2 | tail -c +4 | tr -d '\r' | tail -n +2 > before-remove.csv
"$A" store remove --db "$U" --county 439902000000 > rm.txt 2> rm.err
check "store remove --county 439902000000: exit 0" "$?" 0
check "  its 3 households, 4 responses, 2 contacts and 3 regions deleted" \
  "$(awk '$1 == "households" || $1 == "responses" || $1 == "contacts" || $1 == "regions" { printf "%s=%s ", $1, $2 }' rm.txt)" \
  "contacts=2 responses=4 households=3 regions=3 "
cat > alone.csv <<'EOF'
430000000000,南江省,省,4,2,2,4,0.5000,4,1,2,0.5000,0.0945,0.9055,是,1,2,0.5000,0.0945,0.9055,是,3.500,未达标,样本不足,样本不足
439900000000,江州市,市,4,2,2,4,0.5000,4,1,2,0.5000,0.0945,0.9055,是,1,2,0.5000,0.0945,0.9055,是,3.500,未达标,样本不足,样本不足
439901000000,江州县,县,4,2,2,4,0.5000,4,1,2,0.5000,0.0945,0.9055,是,1,2,0.5000,0.0945,0.9055,是,3.500,未达标,样本不足,样本不足
EOF
"$A" report --db "$U" --format csv --depth 2 | tail -c +4 | tr -d '\r' | tail -n +2 > alone-got.csv
check "  the report: 江州县 alone, by hand" "$(diff alone.csv alone-got.csv && echo same)" same
check "  its partitions dropped, its ids freed (江州县's 4 responses, 2 contacts left)" \
  "$(psql -At "$U" -c "SELECT to_regclass('responses_c439902') IS NULL AND
    to_regclass('contacts_c439902') IS NULL, (SELECT COUNT(*) FROM response_ids),
    (SELECT COUNT(*) FROM contact_ids)")" "t|4|2"
check "  江州县's rows and the shared ones stay (its login, both keys, the packs)" \
  "$(psql -At "$U" -c "SELECT (SELECT string_agg(name, ' ') FROM users), (SELECT COUNT(*) FROM keys), (SELECT COUNT(*) FROM packs), (SELECT COUNT(*) FROM households)")" \
  "jz|2|5|4"
"$A" store remove --db "$U" --county 439902000000 > /dev/null 2> rm2.err
check "  removed again: exit 3, not a county of the database" \
  "$?$(grep -c 'not a county of the database' rm2.err)" 31
# and it comes back from its own file: the reports as before it left
"$A" store copy --from qs.db --to "$U" > back.txt 2>&1
check "青山县 back from its file: exit 0" "$?" 0
"$A" report --db "$U" --format csv --depth 2 | tail -c +4 | tr -d '\r' | tail -n +2 > after-back.csv
check "  the report as before it left" "$(diff before-remove.csv after-back.csv && echo same)" same
check "  its partitions back: 4 responses, 2 contacts (the sealed one too)" "$(parts)" "4|4|2|2|0"
tap_end
