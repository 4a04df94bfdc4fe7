#!/bin/sh
# deploy.nginx -- deploy/nginx-anxin.conf passes `nginx -t` inside a minimal
# nginx.conf (events + http { include site }), with a throw-away self-signed
# certificate in place of the site's, and carries what anxin-central needs
# from its proxy (X-Real-IP, Secure cookies, a body limit >= --max-body,
# loopback upstream, a rate limit on /login).  Exit 77 (skipped) when nginx or openssl is missing.
#
#   nginx.sh SOURCE_DIR WORK_DIR
set -eu
src=$1 work=$2
site=$src/deploy/nginx-anxin.conf
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# the contract with the server, checked whether or not nginx is here
grep -Eq 'proxy_set_header +X-Real-IP +\$remote_addr;' "$site" || fail "no X-Real-IP \$remote_addr"
grep -Eq 'proxy_cookie_flags +~ +secure;' "$site" || fail "cookies do not get Secure"
grep -Eq 'server +127\.0\.0\.1:8080;' "$site" || fail "upstream is not 127.0.0.1:8080 (anxin-central.service --listen)"
grep -Eq 'listen +443 ssl' "$site" || fail "not listening on 443 with TLS"
grep -Eq 'location += +/login' "$site" && grep -Eq 'limit_req +zone=anxin_login' "$site" ||
	fail "no limit_req on /login (a login flood reaches the server's Argon2 checks)"
body=$(sed -n 's/^ *client_max_body_size \([0-9]*\)m;.*/\1/p' "$site")
maxbody=$(sed -n 's/^ExecStart=.*--max-body \([0-9]*\).*/\1/p' "$src/deploy/anxin-central.service")
if [ -z "$body" ] || [ -z "$maxbody" ] || [ $((body * 1048576)) -lt "$maxbody" ]; then
	fail "client_max_body_size (${body:-?}m) is smaller than anxin-central --max-body (${maxbody:-?})"
fi
[ "$fails" -eq 0 ] && echo "ok: the site carries X-Real-IP, Secure cookies, 443, body limit ${body}m >= --max-body $maxbody"

if ! command -v nginx > /dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
	echo "skip: nginx is not installed (apt-get install nginx-light); nginx -t not run"
	[ "$fails" -eq 0 ] && exit 77 || exit 1
fi
if ! command -v openssl > /dev/null 2>&1; then
	echo "skip: openssl is not installed; nginx -t needs a certificate"
	[ "$fails" -eq 0 ] && exit 77 || exit 1
fi
nginx=$(command -v nginx || echo /usr/sbin/nginx)
rm -rf "$work"
mkdir -p "$work/tls" "$work/tmp" "$work/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=anxin.test \
	-keyout "$work/tls/anxin.key" -out "$work/tls/anxin.crt" > /dev/null 2>&1
sed -e "s#/etc/nginx/tls/#$work/tls/#" -e "s#/var/log/nginx/#$work/logs/#" "$site" > "$work/site.conf"
cat > "$work/nginx.conf" <<EOC
pid $work/nginx.pid;
error_log $work/logs/error.log;
events {}
http {
    client_body_temp_path $work/tmp/body;
    proxy_temp_path $work/tmp/proxy;
    fastcgi_temp_path $work/tmp/fastcgi;
    uwsgi_temp_path $work/tmp/uwsgi;
    scgi_temp_path $work/tmp/scgi;
    access_log off;
    include $work/site.conf;
}
EOC
if out=$("$nginx" -t -p "$work" -e "$work/logs/error.log" -c "$work/nginx.conf" 2>&1); then
	printf '%s\n' "$out"
	if printf '%s\n' "$out" | grep -q '\[warn\]'; then
		fail "nginx -t warns (see above)"
	fi
else
	printf '%s\n' "$out" >&2
	fail "nginx -t rejects deploy/nginx-anxin.conf"
fi
[ "$fails" -eq 0 ] || exit 1
echo "deploy.nginx: all checks passed"
