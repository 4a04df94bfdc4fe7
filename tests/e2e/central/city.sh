#!/bin/sh
# city.sh DIR [PGURLFILE] -- the dashboard of a city's staff (issue 19): a province
# 南江省 over a city 江州市 over two counties, 江州县 and 青山县 (the
# region table and roster of case.report.0013, 4 + 3 households), a
# county-role user scoped to the city and one scoped to 江州县.  The city
# user's home goes to the city's page, which names both counties and
# their households (4 and 3, by hand) and labels itself 市; each county's
# page opens for it; the 江州县 user's home stays at its county, and the
# city's and 青山县's pages are 403 for it.  Old code: the region table's
# city row was skipped, so the city user could not even be added.  With
# PGURLFILE the store is a fresh database anxin_city of the `pg` cluster.
set -u
DIR=$1
. "$(dirname "$0")/tap.sh"
tap_db ${2:+"$2" anxin_city}
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
printf '统计用区划代码,名称\n430000000000,南江省\n439900000000,江州市\n439901000000,江州县\n439902000000,青山县\n' > regions.csv
{
  echo '户号,县,乡镇,乡镇代码,村（社区）,村（社区）代码,联系电话'
  for i in 1 2 3 4; do echo "A$i,江州县,城关街道,439901001000,府前社区,439901001001,1380000000$i"; done
  for i in 1 2 3; do echo "B$i,青山县,青山镇,439902001000,青山村,439902001001,1380000001$i"; done
} > roster.csv
"$A" regions import -q --db "$DB" regions.csv
"$A" roster import -q --db "$DB" roster.csv
echo city-pass-one > pw
"$A" user add --db "$DB" --name city --role county --scope 439900000000 --password-file pw > /dev/null
check "a user scoped to the city" "$?" 0
"$A" user add --db "$DB" --name jz --role county --scope 439901000000 --password-file pw > /dev/null
"$C" --db "$DB" --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)"
get() { curl -s -b "$1" -o "$3" -w '%{http_code} %{redirect_url}' "$URL$2"; }
check "the city user logs in" "$(tap_login "$URL" city.jar city city-pass-one)" 303
check "  home: the city's page" "$(get city.jar / home.html)" "303 $URL/region/439900000000"
check "  the city's page" "$(get city.jar /region/439900000000 city.html)" "200 "
check "  labelled 市" "$(grep -c '江州市 <small class="note">市 · 439900000000' city.html)" 1
check "  links both counties" \
  "$(grep -o 'href="/region/43990[12]000000"' city.html | sort -u | tr -d '\n')" \
  'href="/region/439901000000"href="/region/439902000000"'
check "  with their households (4 and 3) and the city's 7" \
  "$(grep -o '<td class="name">[^<]*\(<[^>]*>\)\{0,2\}[^<]*</[a-z]*>\(</td>\)\?<td>[0-9]*</td>' city.html |
     sed 's/<[^>]*>/ /g' | tr -d '\n' | tr -s ' ')" \
  ' 江州市 （合计） 7 江州县 4 青山县 3 '
check "  青山县's page opens for it" "$(get city.jar /region/439902000000 q.html)" "200 "
check "the 江州县 user logs in" "$(tap_login "$URL" jz.jar jz city-pass-one)" 303
check "  home: its county" "$(get jz.jar / h2.html)" "303 $URL/region/439901000000"
check "  the city's page: 403" "$(get jz.jar /region/439900000000 x.html)" "403 "
check "  青山县's page: 403" "$(get jz.jar /region/439902000000 y.html)" "403 "
tap_stop "$pid" "anxin-central"
tap_end
