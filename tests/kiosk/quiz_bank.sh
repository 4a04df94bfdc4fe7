#!/bin/sh
# kiosk.quiz_bank: the anti-drug quiz as a bank with a draw and shuffled
# options (draw 3 of its 5, shuffle): each session shows 3 questions, each
# with its options in the session's own order; the record says which were
# drawn and in what order the options stood, and "option-1" (the first
# shown) is recorded as the option that stood first.  The quiz taken twice
# in one visit (no idle reset in between) keeps both records, the second
# flagged "repeat"; after 70 s without input a third run is a new visit.
# Imported centrally: awareness counts 2 respondents, 1 set aside as a
# repeat.
. "$KIOSK_TESTS/lib.sh"
D=$1; rm -rf "$D"; kiosk_conf "$D"
cp -r "$ANXIN_SOURCE/tests/content-v1" "$D/content"
sed -i 's/"version": 1,/"version": 1, "draw": 3, "shuffle": true,/' \
  "$D/content/surveys/aware-anti-drug.json"
sed -i "s#^content = .*#content = $D/content#" "$D/kiosk.conf"
run() { # one quiz run: the pack's 8 pages, 3 questions answered with the
         # first option shown, 25 s before the last (not "fast")
  printf 'tap-id %s\n' start tile-anti-drug
  for p in 1 2 3 4 5 6 7 8; do echo "tap-id next"; done
  echo "tap-id quiz"
  for k in 1 2 3; do
    [ $k = 3 ] && echo "wait 25000"
    printf '%s\n' "expect-screen question" "tap-id option-1" \
      "expect-screen explain" "tap-id next"
  done
  printf '%s\n' "expect-screen link" "tap-id skip" "expect-screen thanks" \
    "wait 2000" "tap-id done" "expect-screen attract"
}
{ run; run; echo "advance-clock 70"; run; } > "$D/s"
run_kiosk "$D" "$D/s" || fail "script"
rec() { q "$D" "select body from outbox where body like '%aware-anti-drug%' order by seq limit 1 offset $1"; }
[ "$(q "$D" "select count(*) from outbox where body like '%aware-anti-drug%'")" = 3 ] || fail "three quiz records expected"
for i in 0 1 2; do
  b=$(rec $i)
  echo "$b" | grep -q '"status":"complete"' || fail "record $i: $b"
  # 3 drawn of q1..q5, each with its order and answered with the first shown
  [ "$(sqlite3 :memory: "select json_array_length(json_extract('$b', '\$.drawn'))")" = 3 ] || fail "drawn: $b"
  n=$(sqlite3 :memory: "select count(*) from json_each(json_extract('$b', '\$.drawn')) d where json_extract('$b', '\$.answers.' || d.value) = json_extract('$b', '\$.order.' || d.value || '[0]') and json_array_length(json_extract('$b', '\$.order.' || d.value)) >= 3")
  [ "$n" = 3 ] || fail "record $i: option-1 is not the first shown option: $b"
  [ "$(sqlite3 :memory: "select count(*) from json_each(json_extract('$b', '\$.answers'))")" = 3 ] || fail "answers: $b"
done
rec 0 | grep -q '"flags"' && fail "first run flagged: $(rec 0)"
rec 1 | grep -q '"flags":\["repeat"\]' || fail "repeat not flagged: $(rec 1)"
rec 2 | grep -q '"flags"' && fail "a new visit flagged: $(rec 2)"
# the three sessions did not all draw and order alike (a fixed order would
# repeat: 3 of 5 drawn and 3-4 options each, the chance all three agree is
# far below 1e-6)
[ "$(q "$D" "select count(distinct json_extract(body, '\$.order')) from outbox where body like '%aware-anti-drug%'")" -ge 2 ] || fail "every session shown the same"
# central: the repeat is kept and set aside, the other two counted
A="$ANXIN_BIN/survey/anxin"
$A init --db "$D/c.db" >/dev/null
$A roster import --db "$D/c.db" --county-name 江州县 "$ANXIN_SOURCE/content/demo/jiangzhou-roster.csv" >/dev/null
$A content install --db "$D/c.db" "$D/content" >/dev/null
q "$D" 'select body from outbox' > "$D/lines.jsonl"
$A records import --db "$D/c.db" "$D/lines.jsonl" >/dev/null 2>&1 || fail "import"
[ "$(sqlite3 "$D/c.db" "select count(*) from responses where survey = 'aware-anti-drug'")" = 3 ] || fail "records not all kept"
$A report --db "$D/c.db" --survey aware-anti-drug --format json > "$D/r.json"
[ "$(sqlite3 :memory: "select json_extract(readfile('$D/r.json'), '\$.rows[0].awareness.anti_drug.den')")" = 2 ] || fail "awareness den: $(cat "$D/r.json")"
[ "$(sqlite3 :memory: "select json_extract(readfile('$D/r.json'), '\$.rows[0].set_aside_repeat')")" = 1 ] || fail "repeat set aside: $(cat "$D/r.json")"
$A report --db "$D/c.db" --survey aware-anti-drug | grep -q '另有 1 份答卷是同一次使用中重复作答' || fail "table note"
echo ok
