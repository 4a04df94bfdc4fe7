#!/bin/sh
# http.sh DIR -- the staff dashboard over HTTP (curl) against the running
# fixture: login with its CSRF cookie, session cookie flags, drill-down
# county > township > village > grid, escaping, scopes (a grid user gets
# 403 elsewhere), 404s, downloads (XLSX is a zip with 3 sheets, and
# 抽样测评 when a sampled campaign meets the scope), the
# unreached list with masked phones, recording a visit (CSRF or 403),
# devices (失联), a quiz's item analysis (figure checked against the
# stored records; grid workers refused), logout, and login rate limiting.
# TAP-like output.
set -u
DIR=$1
cd "$DIR"
URL="http://127.0.0.1:$(cat port)"
# the store central serves: c.db, or on PostgreSQL (pg.e2e.dashboard.http)
# the URL server.sh wrote; the raw rows the checks count are read with
# sqlite3, there from a snapshot of the database taken at that moment
# (anxin store copy into a new file), so every expectation still comes
# from the stored rows, never from the pages under test
DB=$(cat db 2>/dev/null || echo c.db)
# A snapshot is taken anew only when the tables the checks read changed
# since the last one: each table's row count and the sum of a 64-bit hash
# of every row's text (no sort) -- the same figures, the same rows in the
# snapshot.  A copy is ~1-2 s, the figures a few tens of ms.
SNAP_TABLES="responses contacts households household_phones visits_undone campaigns"
snap_hash() {
  q=""
  for t in $SNAP_TABLES; do
    q="$q${q:+ || ':' || }(SELECT COUNT(*) || '.' || COALESCE(SUM(hashtextextended(x::text, 0)::numeric), 0) FROM $t x)"
  done
  PGOPTIONS="-c client_min_messages=warning" psql -q -At "$DB" -c "SELECT $q"
}
sqlite_c() {
  shift
  if [ "$DB" = c.db ]; then
    sqlite3 c.db "$@"
  else
    for t in $(echo "$*" | grep -oE '(FROM|JOIN) [a-z_]+' | cut -d' ' -f2); do
      case " $SNAP_TABLES " in
        *" $t "*) ;;
        *) echo "http.sh: table $t is not in SNAP_TABLES: the snapshot would not follow it" >&2; return 1 ;;
      esac
    done
    h=$(snap_hash) || return 1
    if [ ! -s snapshot.db ] || [ "$h" != "$(cat snapshot.hash 2>/dev/null)" ]; then
      rm -f snapshot.db snapshot.hash
      "$ANXIN_BIN/survey/anxin" store copy --from "$DB" --to snapshot.db > /dev/null || return 1
      echo "$h" > snapshot.hash
    fi
    sqlite3 snapshot.db "$@"
  fi
}
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got '$2', want '$3')"; fi; }
has() { if grep -q -- "$3" "$2"; then ok "$1"; else bad "$1 ('$3' not in $2)"; fi; }
hasnt() { if grep -q -- "$3" "$2"; then bad "$1 ('$3' found in $2)"; else ok "$1"; fi; }

# get JAR PATH OUT -> status (headers in OUT.h)
get() { curl -s -b "$1" -D "$3.h" -o "$3" -w '%{http_code}' "$URL$2"; }
# the hidden csrf field of a saved page
csrf_of() { grep -o 'name="csrf" value="[^"]*"' "$1" | head -n 1 | sed 's/.*value="//; s/"$//'; }
# login JAR USER PASSWORD [X-Real-IP] -> status of the POST (headers in JAR.h)
login() {
  rm -f "$1"
  curl -s -c "$1" -o "$1.page" "$URL/login"
  t=$(csrf_of "$1.page")
  curl -s -b "$1" -c "$1" -D "$1.h" -o "$1.out" -w '%{http_code}' \
    ${4:+-H "X-Real-IP: $4"} --data-urlencode "csrf=$t" \
    --data-urlencode "user=$2" --data-urlencode "password=$3" "$URL/login"
}
location() { grep -i '^location:' "$1" | tr -d '\r' | sed 's/^[Ll]ocation: *//'; }

# --- login ---
check "login page: 200" "$(get none /login login.html)" 200
has "  in Chinese" login.html "工作人员登录"
has "  sets the login CSRF cookie" login.html.h "anxin_login="
has "  with a CSRF field" login.html 'name="csrf"'
check "not logged in: / redirects" "$(get none / anon.html)" 303
check "  to the login page" "$(location anon.html.h)" "/login"
check "login without the CSRF field: 403" "$(curl -s -o nocsrf.html -w '%{http_code}' --data-urlencode user=county --data-urlencode password=county-pass-2026 "$URL/login")" 403
check "wrong password: 401" "$(login wrong.jar county not-the-password)" 401
has "  says so in Chinese" wrong.jar.out "用户名或密码不正确"
check "county login: 303" "$(login county.jar county county-pass-2026)" 303
cookie=$(grep -i '^set-cookie: anxin_session=' county.jar.h | tr -d '\r')
case $cookie in *HttpOnly*) ok "session cookie HttpOnly" ;; *) bad "session cookie HttpOnly ($cookie)" ;; esac
case $cookie in *SameSite=Strict*) ok "session cookie SameSite=Strict" ;; *) bad "SameSite ($cookie)" ;; esac
case $cookie in *"Path=/;"*) ok "session cookie Path=/" ;; *) bad "Path ($cookie)" ;; esac
case $cookie in *Max-Age=28800*) ok "session cookie expires with the session TTL" ;; *) bad "Max-Age ($cookie)" ;; esac
check "/ goes to the user's region" "$(get county.jar / home.html)" 303
check "  the county" "$(location home.html.h)" "/region/439901000000"

# --- drill-down ---
check "county page: 200" "$(get county.jar /region/439901000000 county.html)" 200
has "  names the county" county.html "江州县"
has "  links its townships" county.html 'href="/region/439901101000"'
has "  coverage column" county.html "宣传入户率"
has "  awareness per topic" county.html "知晓率·禁毒"
has "  satisfaction and mean score" county.html "平均分"
has "  95% intervals as text" county.html "区间 "
has "  badges" county.html "达标"
has "  bar charts (SVG)" county.html "<svg"
# camp-e2e: 2,492 households with a phone in 石桥镇 (awk over the demo
# roster), no SMS gateway registered (counted as one), the defaults: the
# intro and q1 are one segment each, 2 x 2492 / 300 a day = 16.6 days;
# the window (61 days) is long enough to reach
# the median time from start to completion of camp-e2e's SMS
# questionnaires: the middle (upper of two) of the stored responses'
# durations, read from c.db
med=$(sqlite_c c.db "SELECT completed_at - started_at FROM responses WHERE wave = 'camp-e2e' AND channel = 'sms' AND status = 'complete' AND counted ORDER BY 1 LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM responses WHERE wave = 'camp-e2e' AND channel = 'sms' AND status = 'complete' AND counted)")
nmed=$(sqlite_c c.db "SELECT COUNT(*) FROM responses WHERE wave = 'camp-e2e' AND channel = 'sms' AND status = 'complete' AND counted")
has "  the median time to complete by SMS" county.html "用时中位数 $((med / 60)) 分 $((med % 60)) 秒（${nmed} 份）"
# by hand: 2,492 households at 300 one-segment messages a day: the intro
# and first question 2 x 2492 / 300 = 16.6 days; the questionnaire's 9
# messages and the pack's 4 digests (each under 70 characters) 13 x
# 2492 / 300 = 108.0 days (without the digests, 74.8)
has "  the campaign's duration estimate" county.html "2492 户都收到第一条（每户 2 条短信）至少需 16.6 天（居民作答后的下一题也占每日上限，答的人越多越久）；人人当即作答时，整份问卷（7 题）和之后的 4 条宣传短信（每户每天至多一条）全部发完约需 108.0 天。"
has "  weekly trend" county.html "近 12 周趋势"
has "  XLSX download link" county.html '/api/v1/report?scope=439901000000&amp;format=xlsx'
has "  strict CSP (no scripts)" county.html.h "default-src 'none'"
hasnt "  no external assets" county.html 'src="http'
check "county page with ?pack=family-safety: 200" "$(get county.jar '/region/439901000000?pack=family-safety' pack.html)" 200
has "  the 平安家庭 知识宣传入户率 card, by the pack's title" pack.html "知识宣传入户率（平安家庭）"
# the pack picker: every installed pack by title, the one asked selected;
# its column beside 宣传入户率 for each row, the township's figure counted
# here from the stored contacts (active households of 439901101 with a
# qualifying contact carrying family-safety)
has "  the picker on the county page" county.html '<select name="pack"><option value="">全部宣传内容</option>'
has "  lists 平安家庭" county.html '<option value="family-safety">平安家庭</option>'
has "  selected when asked" pack.html '<option value="family-safety" selected>平安家庭</option>'
has "  a column per row" pack.html "知识宣传入户率·平安家庭"
hasnt "  no such column without ?pack" county.html "知识宣传入户率·"
has "  township links keep the pack" pack.html 'href="/region/439901101000?pack=family-safety"'
has "  so does the XLSX link" pack.html 'format=xlsx&amp;pack=family-safety'
pk=$(sqlite_c c.db "SELECT COUNT(*) FROM households h WHERE h.active AND h.grid LIKE '439901101%' AND EXISTS (SELECT 1 FROM contacts c WHERE c.household = h.id AND c.kind IN ('sms_delivered','sms_replied','kiosk_session','visit') AND c.pack = 'family-safety')")
hh=$(sqlite_c c.db "SELECT COUNT(*) FROM households WHERE active AND grid LIKE '439901101%'")
cell=$(python3 -c '
import re, sys
row = re.search(r"<tr><td class=\"name\"><a href=\"/region/439901101000\?[^\"]*\">石桥镇</a></td>(.*?)</tr>", open(sys.argv[1], encoding="utf-8").read()).group(1)
print(re.sub("<[^>]*>", " ", row.split("</td>")[4]).split()[0], re.sub("<[^>]*>", " ", row.split("</td>")[4]).split()[-2])' pack.html 2>&1)
check "  石桥镇's 平安家庭 figure: $pk of $hh households" "$cell" "$(awk -v a="$pk" -v b="$hh" 'BEGIN { printf "%.1f%%", 100 * a / b }') $pk/$hh"
check "an uninstalled pack: 400" "$(get county.jar '/region/439901000000?pack=no-such-pack' nopack.html)" 400
has "  says which" nopack.html "没有安装宣传内容 no-such-pack"
check "a pack that is no id: 400" "$(get county.jar '/region/439901000000?pack=%3Cb%3E' badpack.html)" 400
hasnt "  no such card without ?pack" county.html "知识宣传入户率"
check "report JSON with pack=family-safety: 200" "$(get county.jar '/api/v1/report?scope=439901000000&depth=0&format=json&pack=family-safety' pack.json)" 200
has "  its coverage_pack" pack.json '"coverage_pack"'
check "report XLSX with pack=family-safety: 200" "$(get county.jar '/api/v1/report?scope=439901000000&depth=0&format=xlsx&pack=family-safety' pack.xlsx)" 200
unzip -p pack.xlsx 'xl/*.xml' 'xl/worksheets/*.xml' > pack.xlsx.strings 2>/dev/null
has "  its 知识宣传入户率 column" pack.xlsx.strings "知识宣传入户率(family-safety)"
check "township page: 200" "$(get county.jar /region/439901101000 town.html)" 200
has "  links its villages" town.html 'href="/region/439901101001"'
has "  breadcrumb back to the county" town.html 'href="/region/439901000000"'
has "  campaign funnel" town.html "秋季平安家庭满意度调查"
has "  funnel stages" town.html "短信完成问卷"
has "  funnel: answered stage" town.html "已答题"
# the sampled 测评 (server.sh): 2 of the 60 drawn households answered;
# its own section, never in the 日常监测 figures
has "  monitoring figures labelled 日常监测" town.html '<h2>日常监测 '
has "  sampled 测评 section" town.html '<h3>石桥镇群众安全感抽样测评 <span class="tag">抽样测评</span></h3>'
has "  its RR1: 2 of 60 = 3.3 %" town.html '<div class="k">应答率 RR1</div><div class="v">3.3%</div><div class="s">完成 2 / 抽中 60 户</div>'
has "  weighted 安全感 beside the unweighted 2/2" town.html '100.0% <small>.34.2–100.0. · 2/2</small>'
has "  a note on why the two kinds differ" town.html '从不相加或混在一个数字里'
check "village page: 200" "$(get county.jar /region/439901101001 village.html)" 200
has "  links its grids" village.html 'href="/region/439901101001001"'
has "  links unreached lists" village.html 'href="/grid/439901101001001/unreached'
check "grid page: 200" "$(get county.jar /region/439901101001001 grid.html)" 200
has "  no children" grid.html "无下级区域"
# 群众安全感和满意度测评 on 第一网格 in June 2021: only the eight answers
# of safety.jsonl (anonymous, kiosk).  Counted by hand from its lines:
#   S  安全感 patrol 巡逻队满意度 满意度(overall)
#   1  1      1      1            1
#   2  2      1      6 说不清     2
#   3  6 说不清 2     -            6 说不清
#   4  4      1      2            3
#   5  3      2      -            1
#   6  6 说不清 1     4            4
#   7  6 说不清 2     -            6 说不清
#   8  2      1      1            2
# 安全感 (1-3 positive, 6 说不清): den S1 S2 S4 S5 S8 = 5, num S1 S2 S5 S8
#   = 4 -> 80.0 %, 说不清 3; Wilson 95 % (z 1.95996) [37.6 %, 96.4 %]: below
#   30 answers and the interval reaches the 90 % target -> 样本不足.
# 满意度 (1-2, 6 说不清): den 6, num S1 S2 S5 S8 = 4 -> 66.7 %, 说不清 2.
# 巡逻队满意度: S1 S2 S4 S6 S8 answered, S2 说不清: 3/4 = 75.0 %, 说不清 1.
# 巡逻队知晓率: 5/8 = 62.5 %, interval [30.6 %, 86.3 %] under 90 %: 未达标.
SAFE='/region/439901101001001?survey=safety-ceping&from=2021-06-01&to=2021-06-30'
check "safety-ceping on a grid: 200" "$(get county.jar "$SAFE" safety.html)" 200
has "  安全感 card: 80.0 %, 样本不足" safety.html '<div class="k">安全感</div><div class="v">80.0%<span class="badge b-small">样本不足</span>'
has "  安全感 card: interval, 4/5, 说不清 3" safety.html '<div class="s">区间 37.6–96.4% · 4/5 · 说不清 3 人，不计入分母</div>'
has "  安全感 column with its target" safety.html '<th scope="col" class="rate">安全感<br><small>目标 ≥90%</small></th>'
has "  安全感 cell: 4/5, 说不清 3" safety.html '<span class="r">80.0%</span><span class="badge b-small">样本不足</span><span class="ci">区间 37.6–96.4%</span><span class="ci">4/5</span><span class="ci dk">说不清 3 人</span>'
has "  安全感 bar chart with its 说不清" safety.html '<h2>安全感（目标 ≥90%） <span class="tag">日常监测</span></h2><p class="note dk">第一网格合计：说不清 3 人，不计入分母</p>'
has "  满意度: 4/6 beside its 说不清 2" safety.html '<span class="ci">4/6</span><span class="ci dk">说不清 2 人</span>'
has "  满意度 card: 说不清 2" safety.html '平均分 3.83 · 说不清 2 人，不计入分母'
has "  巡逻队满意度 3/4, 说不清 1" safety.html '<span class="r">75.0%</span><span class="badge b-small">样本不足</span><span class="ci">区间 30.1–95.4%</span><span class="ci">3/4</span><span class="ci dk">说不清 1 人</span>'
has "  巡逻队知晓率 5/8 未达标" safety.html '<div class="k">巡逻队知晓率</div><div class="v">62.5%<span class="badge b-bad">未达标</span>'
check "  its XLSX: 200" "$(get county.jar "/api/v1/report?scope=439901101001001&survey=safety-ceping&from=2021-06-01&to=2021-06-30&format=xlsx" safety.xlsx)" 200
unzip -p safety.xlsx xl/worksheets/sheet1.xml > safety.sheet1.xml 2>/dev/null
# the 汇总 column headed 安全感, then its cells in row 2 (the grid)
col() { grep -o "<c r=\"[A-Z]*1\" [^>]*><is><t>$1</t></is></c>" safety.sheet1.xml | sed 's/<c r="\([A-Z]*\)1".*/\1/'; }
cell() { grep -o "<c r=\"$1\"[^>]*>\(<v>[^<]*</v>\|<is><t>[^<]*</t></is>\)</c>" safety.sheet1.xml | sed 's/.*<[vt]>\([^<]*\)<\/[vt]>.*/\1/'; }
C=$(col 安全感)
check "  XLSX 汇总 has a 安全感 column" "${C:+yes}" yes
check "  安全感 = 4/5" "$(cell "${C:-none}2")" 0.8
check "  安全感下限 (Wilson by hand: 0.37553463)" "$(cell "$(col 安全感下限)2" | cut -c1-8)" 0.375534
check "  安全感人数 (the denominator)" "$(cell "$(col 安全感人数)2")" 5
check "  安全感说不清" "$(cell "$(col 安全感说不清)2")" 3
check "  安全感达标: the card's 样本不足" "$(cell "$(col 安全感达标)2")" 样本不足
check "  满意度说不清" "$(cell "$(col 满意度说不清)2")" 2
# a survey without rates or 说不清 answers: the page as it always was
check "satisfaction survey only: 200" "$(get county.jar '/region/439901101000?survey=satisfaction' nosafe.html)" 200
hasnt "  no rate columns" nosafe.html 'class="rate"'
hasnt "  no 说不清 counts" nosafe.html '说不清'
check "filtered page: 200" "$(get county.jar '/region/439901101000?channel=sms&from=2020-01-01' filt.html)" 200
has "  filter kept in links" filt.html 'href="/region/439901101001?channel=sms&amp;from=2020-01-01"'
has "  footnote: coverage through that channel only" filt.html '按渠道（短信）筛选时，宣传入户率只计经这个渠道联系到的户'
check "bad channel: 400" "$(get county.jar '/region/439901101000?channel=fax' badf.html)" 400
# a survey not installed is a 400 naming it (issue 14: no page of zeros)
check "escaping: 400 (no such survey)" "$(get county.jar '/region/439901000000?survey=%3Cscript%3Ealert(1)%3C/script%3E' esc.html)" 400
has "  the value is escaped" esc.html "&lt;script&gt;alert(1)&lt;/script&gt;"
hasnt "  never raw" esc.html "<script>alert"
# the trend's weekly numbers are the report's for that week (and sms)
for q in "" "&channel=sms"; do
  get county.jar "/region/439901101000?x=1$q" trend.html > /dev/null
  wk=$(grep -o '<tr><td class="l">[0-9-]* 至 [0-9-]*（第[0-9]*周）</td><td>[0-9]*</td>' trend.html | tail -n 2 | head -n 1)
  F=$(echo "$wk" | sed 's/.*"l">\([0-9-]*\) 至.*/\1/')
  T=$(echo "$wk" | sed 's/.* 至 \([0-9-]*\)（.*/\1/')
  R=$(echo "$wk" | sed 's/.*<td>\([0-9]*\)<\/td>$/\1/')
  curl -s -b county.jar -o week.json "$URL/api/v1/report?scope=439901101000&depth=0&from=$F&to=$T$q"
  check "trend week $F$q: respondents as the report" "${R:-none}" "$(grep -o '"respondents": *[0-9]*' week.json | head -n 1 | grep -o '[0-9]*$')"
done
# cumulative 宣传入户率 by week (issue 14): from a start date, each week's
# figure counts the township's active households with a qualifying
# contact from that date to the week's Sunday, counted here from the rows
cov_by_hand() { # cov_by_hand FROM TO: "reached/households 户"
  lo=$(date -d "$1 00:00 +0800" +%s) hi=$(( $(date -d "$2 00:00 +0800" +%s) + 86400 ))
  echo "$(sqlite_c c.db "SELECT COUNT(*) FROM households h WHERE h.active AND h.grid LIKE '439901101%' AND EXISTS (SELECT 1 FROM contacts c WHERE c.household = h.id AND c.kind IN ('sms_delivered','sms_replied','kiosk_session','visit') AND c.at >= $lo AND c.at < $hi)")/$(sqlite_c c.db "SELECT COUNT(*) FROM households WHERE active AND grid LIKE '439901101%'") 户"
}
cov_of_week() { # cov_of_week PAGE MONDAY: the page's cumulative figure of that week
  grep -o "<tr><td class=\"l\">$2 至 .*" "$1" | sed 's/<\/tr>.*//' | grep -o '[0-9]*/[0-9]* 户' | tail -n 1
}
get county.jar "/region/439901101000" cov0.html > /dev/null
weeks=$(grep -o '<tr><td class="l">[0-9-]* 至 [0-9-]*（第' cov0.html | sed 's/.*"l">\([0-9-]*\) 至 \([0-9-]*\)（.*/\1 \2/')
W1=$(echo "$weeks" | head -n 1 | cut -d' ' -f1)
for wk in "$(echo "$weeks" | sed -n 11p)" "$(echo "$weeks" | sed -n 12p)"; do
  M=${wk% *} S=${wk#* }
  check "coverage to $S, counted from the chart's first Monday $W1: $(cov_by_hand "$W1" "$S")" "$(cov_of_week cov0.html "$M")" "$(cov_by_hand "$W1" "$S")"
done
M=$(echo "$weeks" | sed -n 10p | cut -d' ' -f1)
get county.jar "/region/439901101000?from=$M" cov1.html > /dev/null
for k in 10 11 12; do
  wk=$(echo "$weeks" | sed -n ${k}p); S=${wk#* }
  check "coverage to $S, counted from $M: $(cov_by_hand "$M" "$S")" "$(cov_of_week cov1.html "${wk% *}")" "$(cov_by_hand "$M" "$S")"
done
M9=$(echo "$weeks" | sed -n 9p | cut -d' ' -f1)
check "  no figure for a week that ended before the start" "$(cov_of_week cov1.html "$M9")" ""
# one campaign's own figures (issue 14): ?campaign= gives its scope (石桥镇),
# its window and wave and the roster of its window; counted here from the
# rows (the campaign is open: nothing is late)
curl -s -b county.jar -o camp.json "$URL/api/v1/report?campaign=camp-e2e&depth=0"
jv() { python3 -c "import json,sys; d=json.load(open('camp.json')); print(eval(sys.argv[1]))" "$1"; }
CS=$(sqlite_c c.db "SELECT starts_at FROM campaigns WHERE id = 'camp-e2e'")
CE=$(sqlite_c c.db "SELECT ends_at FROM campaigns WHERE id = 'camp-e2e'")
check "campaign report: named, its window" "$(jv "d['campaign']['name'], d['query']['from'], d['query']['to']")" \
  "('秋季平安家庭满意度调查', '$(TZ=Asia/Shanghai date -d "@$CS" +%F)', '$(TZ=Asia/Shanghai date -d "@$((CE - 1))" +%F)')"
check "  its scope's households" "$(jv "d['rows'][0]['code'], d['rows'][0]['households']")" \
  "('439901101000', $(sqlite_c c.db "SELECT COUNT(*) FROM households WHERE active AND grid LIKE '439901101%'"))"
check "  reached in its window" "$(jv "d['rows'][0]['reached']")" \
  "$(sqlite_c c.db "SELECT COUNT(*) FROM households h WHERE h.active AND h.grid LIKE '439901101%' AND EXISTS (SELECT 1 FROM contacts c WHERE c.household = h.id AND c.kind IN ('sms_delivered','sms_replied','kiosk_session','visit') AND c.at >= $CS AND c.at < $CE)")"
check "  respondents: its wave's counted answers in its scope" "$(jv "d['rows'][0]['respondents']")" \
  "$(sqlite_c c.db "SELECT COUNT(*) FROM responses WHERE wave = 'camp-e2e' AND counted = 1 AND status = 'complete' AND region LIKE '439901101%' AND completed_at >= $CS AND completed_at < $CE")"
# ... and on the region page: the 活动 selector, the same figures
check "region page for the campaign: 200" "$(get county.jar "/region/439901101000?campaign=camp-e2e" campr.html)" 200
has "  offers the campaign in its selector, selected" campr.html '<option value="camp-e2e" selected>秋季平安家庭满意度调查</option>'
has "  says whose figures these are" campr.html "活动「秋季平安家庭满意度调查」：按这次活动的范围"
has "  the township's reached households as the campaign report" campr.html "$(jv "d['rows'][0]['reached']")/$(jv "d['rows'][0]['households']") 户"
has "  its downloads carry the campaign" campr.html "campaign=camp-e2e"
# its trend's coverage line is the campaign's (its roster, scope and
# window): this week's point is the headline figure (the campaign is open
# and runs past this week)
has "  its trend's coverage line names the campaign's households" campr.html "宣传入户率（本活动的户，自"
check "  this week's cumulative coverage in its trend: the campaign's" \
  "$(cov_of_week campr.html "$(grep -o '<tr><td class="l">[0-9-]* 至 [0-9-]*（第' campr.html | tail -n 1 | sed 's/.*"l">\([0-9-]*\) 至.*/\1/')")" \
  "$(jv "d['rows'][0]['reached']")/$(jv "d['rows'][0]['households']") 户"
check "  an unknown campaign: 400" "$(get county.jar "/region/439901101000?campaign=nope" campbad.html)" 400
curl -s -b county.jar -o camp.xlsx "$URL/api/v1/report?campaign=camp-e2e&format=xlsx"
check "  its 台账: the campaign's name on every sheet's page header" \
  "$(python3 -c "import zipfile; z=zipfile.ZipFile('camp.xlsx'); s=[n for n in z.namelist() if n.startswith('xl/worksheets/sheet')]; print(len(s) > 2 and all('活动：秋季平安家庭满意度调查' in z.read(n).decode() for n in s))")" True
# its contacts CSV (the region page's download carries the campaign): the
# contacts of the campaign's days only (from its first day to its last,
# China time), counted here from the rows
check "  its contacts CSV: 200" "$(get county.jar '/export/contacts.csv?scope=439901101000&campaign=camp-e2e' campc.csv)" 200
CLO=$(( CS - (CS + 28800) % 86400 )) CHI=$(( (CE - 1) - (CE - 1 + 28800) % 86400 + 86400 ))
check "  its contacts CSV: the township's contacts of the campaign's days (+ header)" "$(grep -c . campc.csv)" \
  "$(( $(sqlite_c c.db "SELECT COUNT(*) FROM contacts c JOIN households h ON h.id = c.household WHERE h.grid LIKE '439901101%' AND c.at >= $CLO AND c.at < $CHI") + 1 ))"
check "  an unknown campaign's contacts CSV: 400" "$(get county.jar '/export/contacts.csv?scope=439901101000&campaign=nope' campc400.csv)" 400
check "an unknown campaign: 400 naming it" "$(curl -s -b county.jar -o bad.json -w '%{http_code}' "$URL/api/v1/report?campaign=nope")$(grep -c 'campaign \\"nope\\" is not known' bad.json)" 4001
# the funnel narrows stage by stage
f=$(grep -o 'aria-label="[^"]* [0-9]* 户"' town.html | grep -o '[0-9]* 户' | tr -d ' 户' | tr '\n' ' ')
check "funnel has 6 stages (answered: new)" "$(echo $f | wc -w)" 6
echo "$f" | awk '{ for (i = 2; i <= NF; i++) if ($i > $(i-1)) exit 1 }' && ok "  each stage within the one before ($f)" || bad "  funnel grows: $f"
check "  targeted = township households with a phone" "$(echo $f | cut -d' ' -f1)" "$(sqlite_c c.db "SELECT COUNT(*) FROM households h WHERE h.active AND h.grid LIKE '439901101%' AND EXISTS (SELECT 1 FROM household_phones p WHERE p.household = h.id)")"
# --- item analysis of a quiz (linked beside the awareness figures) ---
has "township page links the quiz's item analysis" town.html 'href="/items/aware-anti-drug?scope=439901101000"'
check "item analysis: 200" "$(get county.jar '/items/aware-anti-drug?scope=439901101000' items.html)" 200
has "  names the quiz" items.html "题目分析：禁毒知识问答"
# q1 (key 2, never hidden): right/answered of the counted complete answers,
# counted here from the stored records, not by the library
q1=$(sqlite_c c.db "SELECT SUM(json_extract(body, '$.answers.q1') = '2') || '/' || COUNT(json_extract(body, '$.answers.q1')) FROM responses WHERE survey = 'aware-anti-drug' AND survey_version = 1 AND status = 'complete' AND counted = 1 AND region LIKE '439901101%'")
check "  q1 right/answered as the stored records say" "$(grep -o '<tr id="item-q1">.*' items.html | grep -o '<span class="ci">[0-9]*/[0-9]*</span>' | head -n 1 | grep -o '[0-9][0-9]*/[0-9][0-9]*')" "$q1"
hasnt "  no household id on the page" items.html "$(sqlite_c c.db "SELECT household FROM responses WHERE survey = 'aware-anti-drug' AND counted = 1 AND household IS NOT NULL AND region LIKE '439901101%' LIMIT 1")"
check "item analysis of a village: 400" "$(get county.jar '/items/aware-anti-drug?scope=439901101001' items400.html)" 400
check "item analysis of a survey without a quiz: 404" "$(get county.jar '/items/satisfaction?scope=439901101000' items404.html)" 404
check "item analysis of an unknown survey: 404" "$(get county.jar '/items/no-such-quiz?scope=439901101000' items404b.html)" 404
check "unknown region: 404" "$(get county.jar /region/439901999999 nf.html)" 404
has "  friendly Chinese page" nf.html "区域不存在"
check "unknown page: 404" "$(get county.jar /nowhere nf2.html)" 404

# --- downloads (the API takes the session cookie) ---
check "XLSX: 200" "$(get county.jar '/api/v1/report?scope=439901101000&format=xlsx' ledger.xlsx)" 200
check "  is a zip" "$(head -c 2 ledger.xlsx)" "PK"
check "  with 3 sheets, 抽样测评 and 未达标清单" "$(unzip -l ledger.xlsx 2>/dev/null | grep -c 'xl/worksheets/sheet[0-9]*\.xml')" 5
unzip -p ledger.xlsx xl/workbook.xml > ledger.workbook.xml 2>/dev/null
has "  the 4th is 抽样测评" ledger.workbook.xml '<sheet name="抽样测评" sheetId="4"'
unzip -p ledger.xlsx xl/worksheets/sheet4.xml > ledger.sheet4.xml 2>/dev/null
has "  its RR1 2/60 (X2)" ledger.sheet4.xml '<c r="X2" s="[0-9]*"><v>0.0333333'
check "XLSX of the satisfaction survey: no 抽样测评" "$(get county.jar '/api/v1/report?scope=439901101000&survey=satisfaction&format=xlsx' ledger2.xlsx)" 200
check "  3 sheets and 未达标清单" "$(unzip -l ledger2.xlsx 2>/dev/null | grep -c 'xl/worksheets/sheet[0-9]*\.xml')" 4
check "CSV: 200" "$(get county.jar '/api/v1/report?scope=439901101000&format=csv' rep.csv)" 200
has "  names the township" rep.csv "石桥镇"
check "contacts CSV: 200" "$(get county.jar '/export/contacts.csv?scope=439901101000' contacts.csv)" 200
check "  starts with the BOM for Excel" "$(head -c 3 contacts.csv | od -An -tx1 | tr -d ' ')" "efbbbf"
check "  one line per contact of the township (+ header)" "$(grep -c . contacts.csv)" "$(( $(sqlite_c c.db "SELECT COUNT(*) FROM contacts c JOIN households h ON h.id = c.household WHERE h.grid LIKE '439901101%'") + 1 ))"

# --- devices ---
check "devices: 200" "$(get county.jar /devices dev.html)" 200
# a device registered a minute ago that never synced is 未联系, not 失联
# (issue 14: old main marked it 失联 at once); registered 2 days ago and
# still silent, it is 失联
has "  the new silent kiosk is 未联系" dev.html 'kiosk-silent</td><td class="l">未联系</td>'
has "  the old silent kiosk is marked 失联" dev.html 'kiosk-stale</td><td class="l"><span class="lost">失联'
has "  the working kiosk is 正常" dev.html 'kiosk-sq</td><td class="l">正常'

# --- a grid worker ---
check "grid login: 303" "$(login grid.jar grid1 grid-pass-2026)" 303
check "/ goes to the grid" "$(get grid.jar / ghome.html) $(location ghome.html.h)" "303 /region/439901101001001"
check "own grid: 200" "$(get grid.jar /region/439901101001001 g.html)" 200
hasnt "  no township-wide 抽样测评 estimate for a grid worker" g.html '<h2>抽样测评</h2>'
check "another township: 403" "$(get grid.jar /region/439901102000 g403.html)" 403
has "  friendly Chinese page" g403.html "无权查看"
check "own township (above the grid): 403" "$(get grid.jar /region/439901101000 g403b.html)" 403
check "item analysis for a grid worker: 403" "$(get grid.jar '/items/aware-anti-drug?scope=439901101000' g403d.html)" 403
hasnt "  no item analysis link on the grid page" g.html 'href="/items/'
check "another grid's unreached list: 403" "$(get grid.jar /grid/439901101001002/unreached g403c.html)" 403
check "XLSX of another township: 403" "$(get grid.jar '/api/v1/report?scope=439901102000&format=xlsx' g403.xlsx)" 403
check "contacts CSV of another township: 403" "$(get grid.jar '/export/contacts.csv?scope=439901102000' g403.csv)" 403
check "unreached list: 200" "$(get grid.jar /grid/439901101001001/unreached un.html)" 200
has "  title" un.html "未覆盖户清单"
has "  phones masked" un.html '1[3-9][0-9]\*\*\*\*[0-9][0-9][0-9][0-9]'
hasnt "  no full phone number" un.html '1[3-9][0-9]\{9\}'
has "  a visit button" un.html "记录入户走访"
has "  户主 in full for the grid's worker" un.html '<td class="l head">[^<*—]*</td>'
has "  the printed sheet's signature line" un.html "走访人（签字）"
has "  住址 for the grid's worker" un.html '<td class="l addr">[^<]*组[0-9]*号</td>'
check "the county's view of the same list: 200" "$(get county.jar /grid/439901101001001/unreached cun.html)" 200
has "  户主 masked for the county" cun.html '<td class="l head">[^<]*\*</td>\|<td class="l head">[^<]*\*[^<]</td>'
hasnt "  no 户主 in full for the county" cun.html '<td class="l head">[^<*—]*</td>'
hasnt "  no 住址 for the county" cun.html '组[0-9]*号'
HH=$(grep -o 'name="household" value="[^"]*"' un.html | head -n 1 | sed 's/.*value="//; s/"$//')
T=$(csrf_of un.html)
visits() { sqlite_c c.db "SELECT COUNT(*) FROM contacts WHERE household = '$HH' AND kind = 'visit' AND device = 'grid1' AND pack IS NULL"; }  # without a topic
check "visit without CSRF: 403" "$(curl -s -b grid.jar -o v1.html -w '%{http_code}' --data-urlencode "household=$HH" "$URL/visit")" 403
check "visit with a wrong CSRF: 403" "$(curl -s -b grid.jar -o v2.html -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode csrf=not-the-token "$URL/visit")" 403
check "  nothing recorded" "$(visits)" 0
check "visit with CSRF: 303" "$(curl -s -b grid.jar -D v3.h -o v3.html -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode "csrf=$T" --data-urlencode back=439901101001001 "$URL/visit")" 303
check "  back to the list with a note" "$(location v3.h | sed 's/&vid=[0-9a-f-]*$//')" "/grid/439901101001001/unreached?visited=$HH"
check "  recorded once, attributed to the user" "$(visits)" 1
check "list after the visit: 200" "$(get grid.jar "/grid/439901101001001/unreached?visited=$HH" un2.html)" 200
# the visit's topic, chosen from the installed packs (issue 14): stored
# with the visit, so it counts in that pack's 知识宣传入户率
has "  each visit button offers the packs" un.html '<select name="pack" aria-label="宣传内容">'
has "  among them 平安家庭" un.html '<option value="family-safety">'
packed() { sqlite_c c.db "SELECT COUNT(*) FROM contacts WHERE household = '$HH' AND kind = 'visit' AND device = 'grid1' AND pack = '$1'"; }
check "visit with a topic: 303" "$(curl -s -b grid.jar -D v6.h -o v6.html -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode "csrf=$T" --data-urlencode pack=family-safety "$URL/visit")" 303
check "  stored with its pack" "$(packed family-safety)" 1
# a wrong tap taken back (issue 14): by who recorded it, within a day;
# the row is kept in visits_undone, never silently deleted
VID=$(location v6.h | sed -n 's/.*&vid=\([0-9a-f-]*\)$/\1/p')
check "  the list after it offers to undo that visit" "$(get grid.jar "$(location v6.h)" un3.html)$(grep -c "name=\"id\" value=\"$VID\"" un3.html)" 2001
check "undo by another user: 403" "$(curl -s -b county.jar -o u1.html -w '%{http_code}' --data-urlencode "id=$VID" --data-urlencode "csrf=$(csrf_of county.html)" "$URL/visit/undo")" 403
has "  says only who recorded it may" u1.html "只有记录这次走访的人可以撤销"
check "  still counted" "$(packed family-safety)" 1
check "undo by who recorded it: 303" "$(curl -s -b grid.jar -D u2.h -o u2.html -w '%{http_code}' --data-urlencode "id=$VID" --data-urlencode "csrf=$T" --data-urlencode back=439901101001001 "$URL/visit/undo")" 303
check "  back to the list, saying so" "$(location u2.h)" "/grid/439901101001001/unreached?visited=&undone=$HH"
check "  no longer a contact" "$(packed family-safety)" 0
check "  kept in visits_undone, with who and the pack" "$(sqlite_c c.db "SELECT household || ' ' || recorded_by || ' ' || undone_by || ' ' || pack FROM visits_undone WHERE id = '$VID'")" "$HH grid1 grid1 family-safety"
check "undo again: 404" "$(curl -s -b grid.jar -o u3.html -w '%{http_code}' --data-urlencode "id=$VID" --data-urlencode "csrf=$T" "$URL/visit/undo")" 404
sqlite_c c.db "SELECT body FROM visits_undone WHERE id = '$VID'" > undone.jsonl
check "  its record imported again: a duplicate, not stored back" "$("$ANXIN_BIN/survey/anxin" records import --db "$DB" undone.jsonl 2>&1)$(packed family-safety)" "undone.jsonl: 1 records: 0 accepted, 1 duplicate, 0 conflict, 0 rejected0"
check "visit with a pack not installed: 400" "$(curl -s -b grid.jar -o v7.html -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode "csrf=$T" --data-urlencode pack=no-such-pack "$URL/visit")" 400
check "  nothing stored" "$(packed no-such-pack)" 0
has "  success note" un2.html "已记录户号 $HH 的入户走访"
check "  the household left the list" "$(grep -c "name=\"household\" value=\"$HH\"" un2.html)" 0
OUT=$(sqlite_c c.db "SELECT id FROM households WHERE grid LIKE '439901102%' AND active LIMIT 1")
check "visit outside the user's scope: 403" "$(curl -s -b grid.jar -o v4.html -w '%{http_code}' --data-urlencode "household=$OUT" --data-urlencode "csrf=$T" "$URL/visit")" 403
check "county user's CSRF token does not work for the grid user" "$(curl -s -b grid.jar -o v5.html -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode "csrf=$(csrf_of county.html)" "$URL/visit")" 403
# the offline visits page (e2e.dashboard.visits drives it in Chromium):
# its own policy lets in this origin's script, nothing inline; a queued
# visit needs the session's CSRF token and a household in scope
check "offline visits page: 200" "$(get grid.jar /grid/439901101001001/offline off.html)" 200
has "  scripts of this origin only" off.html.h "script-src 'self'; connect-src 'self'; worker-src 'self';"
has "  its script" off.html '<script src="/grid/visits.js"></script>'
check "  the script: 200" "$(get none /grid/visits.js off.js)" 200
has "  as JavaScript" off.js.h "Content-Type: text/javascript"
check "a queued visit without CSRF: 403" "$(curl -s -b grid.jar -o s1.out -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode id=5a3c0000-0000-4000-8000-0000000000aa --data-urlencode at=1 --data-urlencode now=1 "$URL/visit/sync")" 403
check "a queued visit outside the user's scope: 403" "$(curl -s -b grid.jar -o s2.out -w '%{http_code}' --data-urlencode "household=$OUT" --data-urlencode "csrf=$T" --data-urlencode id=5a3c0000-0000-4000-8000-0000000000ab --data-urlencode "at=$(date +%s)" --data-urlencode "now=$(date +%s)" "$URL/visit/sync")" 403
has "  says why, in JSON" s2.out "\"error\":\"户号 $OUT 不在您负责的区域内。\""
check "a queued visit 40 days old: 422" "$(curl -s -b grid.jar -o s3.out -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode "csrf=$T" --data-urlencode id=5a3c0000-0000-4000-8000-0000000000ac --data-urlencode "at=$(($(date +%s) - 40 * 86400))" --data-urlencode "now=$(date +%s)" "$URL/visit/sync")" 422
check "a queued visit naming a pack not installed: 400" "$(curl -s -b grid.jar -o s4.out -w '%{http_code}' --data-urlencode "household=$HH" --data-urlencode "csrf=$T" --data-urlencode id=5a3c0000-0000-4000-8000-0000000000ad --data-urlencode pack=no-such-pack --data-urlencode "at=$(date +%s)" --data-urlencode "now=$(date +%s)" "$URL/visit/sync")" 400
has "  says which, in JSON" s4.out "没有“no-such-pack”这项宣传内容"
check "  nothing more recorded" "$(visits)" 1
has "the offline page offers the 宣传内容 on each row" off.html 'select name="pack" aria-label="宣传内容"'

# --- logout ---
check "logout without CSRF: 403" "$(curl -s -b grid.jar -o lo1.html -w '%{http_code}' -X POST "$URL/logout")" 403
check "logout: 303" "$(curl -s -b grid.jar -D lo2.h -o lo2.html -w '%{http_code}' --data-urlencode "csrf=$T" "$URL/logout")" 303
check "  to the login page" "$(location lo2.h)" "/login"
check "  the old session is gone" "$(get grid.jar /region/439901101001001 lo3.html)" 303

# --- rate limiting (per client address: X-Real-IP from the local proxy;
#     an unknown account, so the per-account limit -- users.sh -- does not
#     block county for the tests that follow on this server) ---
for i in 1 2 3 4; do
  check "bad login $i from 10.9.9.9: 401" "$(login rl.jar rl-nobody wrong-$i 10.9.9.9)" 401
done
check "5th bad login: 429" "$(login rl.jar rl-nobody wrong-5 10.9.9.9)" 429
check "then even the right password: 429" "$(login rl.jar county county-pass-2026 10.9.9.9)" 429
has "  with a clear Chinese message" rl.jar.out "登录失败次数过多"
has "  and Retry-After" rl.jar.h "Retry-After: "
check "another address still logs in: 303" "$(login rl2.jar county county-pass-2026 10.9.9.10)" 303

# --- the paper round trip: the unreached list as a visit template, one
#     row filled in, taken back by anxin visits import ---
check "grid login again: 303" "$(login tpl.jar grid1 grid-pass-2026 10.9.9.20)" 303
check "visit template CSV: 200" "$(get tpl.jar /grid/439901101001001/unreached.csv tpl.csv)" 200
has "  its header" tpl.csv "户号,网格,户主,住址,联系电话,走访日期,走访人,宣传内容,签字"
has "  户主 in full for the grid's worker" tpl.csv '^JZ[0-9]*,[^,]*,[^,*]*,[^,]*组[0-9]*号,'
check "another grid's template: 403" "$(get tpl.jar /grid/439901101001002/unreached.csv tpl403.csv)" 403
TH=$(sed -n 2p tpl.csv | cut -d, -f1)
sed '2s/,,,,\r$/,2026-11-20,网格员甲,family-safety,\r/' tpl.csv > filled.csv
check "  the filled-in copy imports: 1 visit, the untouched rows skipped" \
  "$("$ANXIN_BIN/survey/anxin" visits import --db "$DB" filled.csv 2>&1)" \
  "filled.csv (UTF-8 (BOM)): 1 rows: 1 accepted, 0 duplicate, 0 conflict, 0 rejected"
check "  stored as a visit of $TH" "$(sqlite_c c.db "SELECT COUNT(*) FROM contacts WHERE household = '$TH' AND kind = 'visit' AND device = '网格员甲' AND pack = 'family-safety'")" 1

# --- household search, within the user's scope ---
check "search by household id: 200" "$(get tpl.jar "/search?q=$TH" s1.html)" 200
has "  finds it" s1.html ">$TH<"
has "  户主 in full for the grid's worker" s1.html '<td class="l head">[^<*—]*</td>'
check "search for another township's household: 200" "$(get tpl.jar "/search?q=JZ000001" s2.html)" 200
hasnt "  not shown" s2.html ">JZ000001<"
has "  says none found" s2.html "没有找到"
P4=$(sqlite_c c.db "SELECT p.household || ' ' || substr(p.phone, -4) FROM household_phones p JOIN households h ON h.id = p.household WHERE h.grid = '439901101001001' AND h.active ORDER BY p.household LIMIT 1")
check "search by a phone's last four digits: 200" "$(get tpl.jar "/search?q=${P4#* }" s3.html)" 200
has "  finds ${P4% *}" s3.html ">${P4% *}<"
check "the county searches the same id: 200" "$(get rl2.jar "/search?q=$TH" s4.html)" 200
has "  户主 masked for the county" s4.html '<td class="l head">[^<]*\*'

echo "$((n - fail)) passed, $fail failed"
[ $fail = 0 ]
