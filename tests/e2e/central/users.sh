#!/bin/sh
# users.sh DIR [PGURLFILE] -- staff accounts: `user add --reset` changes the password
# only (role, scope and a disabled flag stay; a mistyped name creates no
# user) and ends the user's sessions; `user list|disable|logout`; a role
# and scope that do not fit each other are refused; a form over the
# field limits is answered 413 (it hung until the connection timeout);
# /devices lists the devices of the viewer's scope only; the login
# limiter counts per account and per IPv6 /64; at most 2 password checks
# run at once.  With PGURLFILE (the `pg` fixture's URL) the store is a
# fresh database anxin_users of that cluster instead of c.db.
set -u
DIR=$1
A="$ANXIN_BIN/survey/anxin"
C="$ANXIN_BIN/central/anxin-central"
. "$(dirname "$0")/tap.sh"
tap_db ${2:+"$2" anxin_users}

tap_roster
printf 'town-pass-one\n' > one.pw
printf 'town-pass-two\n' > two.pw
printf 'grid-pass-one\n' > grid.pw
chmod 600 ./*.pw
"$A" user add --db "$DB" --name town1 --role township --scope 439901101000 --password-file one.pw > /dev/null
"$A" user add --db "$DB" --name grid1 --role grid --scope 439901101001001 --password-file grid.pw > /dev/null
"$A" user add --db "$DB" --name grid2 --role grid --scope 439901101000 --password-file grid.pw > bad.out 2>&1
check "a grid user with a township scope: refused" "$?" 3
check "  says why" "$(cat bad.out)" 'anxin: scope code "439901101000" is a township: a grid user'"'"'s scope lists villages or grids'
# /devices by the viewer's scope, whatever the role: a county-role user
# made before role and scope were checked, scoped to 洪山镇 (102), does not
# see 石桥镇's (101) kiosk
"$A" device add --db "$DB" --name kiosk-101 --kind kiosk --scope 439901101000 > /dev/null 2>&1
"$A" device add --db "$DB" --name kiosk-102 --kind kiosk --scope 439901102000 > /dev/null 2>&1
tap_sql "INSERT INTO users(name, pw_hash, role, scope, created_at) SELECT 'old-county', pw_hash, 'county', '439901102000', 0 FROM users WHERE name = 'town1'"
"$C" --db "$DB" --listen 127.0.0.1:0 --port-file port > server.log 2>&1 < /dev/null &
pid=$!
for _ in $(seq 1 100); do [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null && break; sleep 0.1; done
URL="http://127.0.0.1:$(cat port)"
login() { tap_login "$URL" "$@"; } # login JAR USER PASSWORD [X-Real-IP] -> status
report() { curl -s -o /dev/null -w '%{http_code}' -b "$1" "$URL/api/v1/report?scope=${2:-439901101000}"; }
users() { "$A" user list --db "$DB" | awk -v u="$1" '$1 == u { print $2, $3, $5 }'; }

check "town1 logs in" "$(login t.jar town1 town-pass-one)" 303
check "  and reads its report" "$(report t.jar)" 200
"$A" user add --db "$DB" --name town1 --reset --password-file two.pw > reset.out
check "reset: says so" "$(cat reset.out)" "user town1: password changed; sessions ended"
check "  the old session is over" "$(report t.jar)" 401
check "  role and scope unchanged" "$(users town1)" "township active 439901101000"
check "  the old password fails" "$(login t.jar town1 town-pass-one)" 401
check "  the new one works" "$(login t.jar town1 town-pass-two)" 303
"$A" user add --db "$DB" --name tonw1 --reset --password-file two.pw > typo.out 2>&1
check "reset of a mistyped name: refused" "$?" 3
check "  creates no user" "$(tap_sql "SELECT COUNT(*) FROM users WHERE name LIKE 't%'")" 1
"$A" user add --db "$DB" --name town1 --reset --role county --scope 439901000000 --password-file two.pw > /dev/null 2>&1
check "reset with a role and scope: refused (usage)" "$?" 2
check "  role and scope still unchanged" "$(users town1)" "township active 439901101000"
check "grid1 logs in" "$(login g.jar grid1 grid-pass-one)" 303
"$A" user logout --db "$DB" --name grid1 > /dev/null
check "logout ends grid1's session" "$(report g.jar 439901101001001)" 401
"$A" user disable --db "$DB" --name town1 > /dev/null
check "disable ends town1's session" "$(report t.jar)" 401
check "  and its logins" "$(login t.jar town1 town-pass-two)" 401
"$A" user add --db "$DB" --name town1 --reset --password-file one.pw > /dev/null
check "a reset does not re-enable a disabled user" "$(users town1)" "township disabled 439901101000"
check "  nor lets it in" "$(login t.jar town1 town-pass-one)" 401
check "old-county logs in" "$(login oc.jar old-county town-pass-one)" 303
curl -s -b oc.jar -o devices.html "$URL/devices"
check "  /devices lists its township's kiosk" "$(grep -c 'kiosk-102' devices.html)" 1
check "  and not another township's" "$(grep -c 'kiosk-101' devices.html)" 0
# the bound on password checks (2 at once, each an Argon2 hash of 64 MiB):
# 12 logins sent at once, from 12 addresses for 12 names (no limiter
# block), on the server's 4 threads; those beyond 2 checks running are
# answered 503 with Retry-After: 2 at once, the others 401.  Without the
# bound all 12 were 401.
for i in $(seq 1 12); do
  rm -f "cap$i.jar"; curl -s -c "cap$i.jar" -o "cap$i.page" "$URL/login"
done
capids=
for i in $(seq 1 12); do
  t=$(grep -o 'name="csrf" value="[^"]*"' "cap$i.page" | head -n 1 | sed 's/.*value="//; s/"$//')
  curl -s -b "cap$i.jar" -D "cap$i.head" -o /dev/null -w '%{http_code}\n' -H "X-Real-IP: 10.2.0.$i" \
    --data-urlencode "csrf=$t" --data-urlencode "user=cap$i" --data-urlencode "password=wrong" "$URL/login" > "cap$i.code" &
  capids="$capids $!"
done
for p in $capids; do wait "$p"; done
cat cap*.code | sort | uniq -c | sed 's/^ *//' > cap.codes
check "12 logins at once: each 401 or 503" "$(cat cap*.code | grep -cv '^401$\|^503$')" 0
check "  some beyond the bound: 503" "$(grep -c ' 503$' cap.codes)" 1
check "  and some checked: 401" "$(grep -c ' 401$' cap.codes)" 1
check "  every 503 says Retry-After: 2" "$(grep -l '^HTTP/1.1 503' cap*.head | xargs -r grep -Lai '^Retry-After: 2' | wc -l)" 0
# the login limiter: an account guessed at from many addresses, and an
# IPv6 subscriber's whole /64, are blocked after 5 failures
for i in 1 2 3 4; do login x.jar grid1 wrong-$i 10.1.0.$i > /dev/null; done
check "5th wrong password for grid1, from a 5th address: 429" "$(login x.jar grid1 wrong-5 10.1.0.5)" 429
check "  then grid1's right password from a new address: 429" "$(login x.jar grid1 grid-pass-one 10.1.0.9)" 429
check "  another account from that address: not blocked" "$(login x.jar nobody wrong 10.1.0.9)" 401
for i in 1 2 3 4; do login x.jar "nobody$i" wrong 2001:db8:1:2::$i > /dev/null; done
check "5th failure from one IPv6 /64: 429" "$(login x.jar nobody5 wrong 2001:db8:1:2::5)" 429
check "  another address of that /64: 429" "$(login x.jar nobody6 wrong 2001:db8:1:2:ffff::99)" 429
check "  the next /64: not blocked" "$(login x.jar nobody7 wrong 2001:db8:1:3::1)" 401
big=$(head -c 5000 /dev/zero | tr '\0' a)
check "a login form with a 5,000-byte field: 413 at once" "$(curl -s -m 10 -o /dev/null -w '%{http_code}' --data-urlencode "user=$big" --data-urlencode "password=x" "$URL/login")" 413
tap_stop $pid "anxin-central"
tap_end
