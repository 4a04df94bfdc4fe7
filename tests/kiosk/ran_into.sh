#!/bin/sh
# kiosk.ran_into.MODE: what residents and staff ran into (issue 18), each
# tried as they would on the fixture's satisfaction survey (q1 是/否, q2
# shown only after 是, then q3-q6 and overall: 6 or 7 questions):
#   double_tap     a slow double tap (450 ms) answers one question only
#   phone_stray    ... and types no stray digit on the number pad after
#                  the last question
#   count          the count says 共约 7 题 before q1 is answered and stays
#                  7 after 是 (it said 共 6 题, then 共 7 题)
#   exit_confirm   退出 on a question asks 确定退出问卷吗？ first
#   overlay_phone  a part-typed number is hidden under 您还在吗？ at once
#   pin_lockout    wrong PINs lock staff out 30 s, 1, 2, 4, then at most
#                  5 min; 10 min without a wrong PIN halves the next one
#   sync_offline   立即同步 with the server unreachable: Chinese, with the
#                  next retry time, no raw curl English
. "$KIOSK_TESTS/lib.sh"
M=$1; D=$2; rm -rf "$D"
case $M in sync_offline) CENTRAL_LINES="url = http://127.0.0.1:9
token_file = device.token" ;; esac
kiosk_conf "$D"
[ "$M" = sync_offline ] && echo 0123456789abcdef > "$D/device.token" && chmod 600 "$D/device.token"
# answer q1 with option $1, then q3..q6 (and q2 when shown) with option-1
to_overall() {
  echo "tap-id start"; echo "tap-id survey"; echo "tap-id option-$1"
  [ "$1" = 1 ] && echo "tap-id option-1"
  for _ in 3 4 5 6; do echo "tap-id option-1"; done
  echo "expect-text 第 $([ "$1" = 1 ] && echo 7 || echo 6) 题"
}
pin_round() { # three wrong PINs, then the lockout it shows
  for _ in 1 2 3 4 5; do echo "tap 10 10"; done
  echo "expect-screen pin"
  for _ in 1 2 3; do echo "type 1111"; echo "tap-id keypad-ok"; done
  echo "expect-text 请 $1 秒后再试"
}
case $M in
double_tap) cat > "$D/s" <<'S'
tap-id start
tap-id survey
double-tap option-1 450
expect-screen question
expect-text 第 2 题
S
;;
phone_stray) { to_overall 2; cat <<'S'; } > "$D/s"
double-tap option-3 450
expect-screen link
expect-text 请输入11位手机号
S
;;
count) cat > "$D/s" <<'S'
tap-id start
tap-id survey
expect-text 第 1 题 / 共约 7 题
tap-id option-1
expect-text 第 2 题 / 共 7 题
S
;;
exit_confirm) cat > "$D/s" <<'S'
tap-id start
tap-id survey
tap-id option-1
tap-id home
expect-screen question
expect-text 确定退出问卷吗？
tap-id exit-no
expect-screen question
expect-no-text 确定退出问卷吗？
expect-text 第 2 题
tap-id home
tap-id exit-yes
expect-screen home
S
;;
overlay_phone) { to_overall 2; cat <<'S'; } > "$D/s"
tap-id option-3
expect-screen link
type 1380013
expect-text 138 0013
advance-clock 60
expect-screen idle
expect-no-text 138
expect-no-text 0013
tap 10 1000
expect-screen link
expect-text 138 0013
S
;;
pin_lockout) {
  pin_round "0 分 30"; echo "advance-clock 31"
  pin_round "1 分 00"; echo "advance-clock 61"
  pin_round "2 分 00"; echo "advance-clock 121"
  pin_round "4 分 00"; echo "advance-clock 241"
  pin_round "5 分 00"; echo "advance-clock 301"
  pin_round "5 分 00"; echo "advance-clock 301"
  # 10 min since the last wrong PIN (301 s of them passed): halved once
  echo "advance-clock 300"
  pin_round "2 分 30"; echo "advance-clock 151"
  # a right PIN still opens the staff screen
  for _ in 1 2 3 4 5; do echo "tap 10 10"; done
  echo "type 2468"; echo "tap-id keypad-ok"; echo "expect-screen staff"
} > "$D/s"
;;
sync_offline) cat > "$D/s" <<'S'
tap 10 10
tap 10 10
tap 10 10
tap 10 10
tap 10 10
type 2468
tap-id keypad-ok
expect-screen staff
tap-id sync-now
expect-text 连不上服务器，记录已保存在本机，
expect-text 自动重试
expect-no-text curl
expect-no-text Couldn
expect-no-text connect
S
;;
*) fail "unknown mode $M" ;;
esac
run_kiosk "$D" "$D/s" --shots "$D/shots" || fail "script"
case $M in
exit_confirm)
  body=$(q "$D" 'select body from outbox')
  echo "$body" | grep -q '"status":"partial"' || fail "status: $body"
  echo "$body" | grep -q '"answers":{"q1":"1"}' || fail "answers: $body" ;;
esac
echo ok
