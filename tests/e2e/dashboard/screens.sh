#!/bin/sh
# screens.sh DIR SHOTS -- the dashboard's pages rendered by headless
# Chromium into SHOTS/*.png, desktop (1280x1600) and phone (390x844).
#
# Chromium cannot be handed a session cookie on its command line, so the
# logged-in pages are fetched with curl (with the cookie) and saved; every
# asset is inline (CSS, SVG; no script), so the saved file renders exactly
# as served, and Chromium screenshots it from file://.  The login page is
# screenshotted straight from the server.  Chromium's DOM dump checks that
# the pages it rendered carry their content.
#
# Exit 77 (skipped) when chromium is not on PATH.  Only 127.0.0.1 is
# ever contacted: background networking is off and every other host name
# resolves to nothing.
set -u
DIR=$1
SHOTS=$2
CHROMIUM=$(command -v chromium) || {
  echo "skipped: missing chromium (not on PATH; scripts/test installs the chromium package)"
  exit 77
}
URL="http://127.0.0.1:$(cat "$DIR/port")"
mkdir -p "$SHOTS"
rm -f "$SHOTS"/*.png "$SHOTS"/*.html
cd "$DIR"
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }

chrome() { # chrome ARGS... (a fresh profile each run)
  prof=$(mktemp -d)
  timeout 90 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic \
    --no-first-run --disable-background-networking --disable-component-update \
    --disable-sync --disable-breakpad --hide-scrollbars --lang=zh-CN \
    --host-resolver-rules="MAP * ~NOTFOUND, EXCLUDE 127.0.0.1" \
    --user-data-dir="$prof" "$@" 2>> chromium.log
  rc=$?
  rm -rf "$prof"
  return $rc
}

# width and height of a PNG (its IHDR), as "WxH"
png_size() {
  od -An -tu1 -j16 -N8 "$1" | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }'
}

# An empty page at each size, for comparison: a rendered page compresses
# to well over twice the bytes of a blank one.
printf '<!DOCTYPE html><html><body></body></html>' > blank.html
blank_bytes() { # blank_bytes WxH
  f="blank-$1.png"
  [ -s "$f" ] || chrome --screenshot="$DIR/$f" --window-size="$1" "file://$DIR/blank.html" > /dev/null
  wc -c < "$f" 2>/dev/null || echo 0
}

shot() { # shot NAME WxH URL
  out="$SHOTS/$1.png"
  chrome --screenshot="$out" --window-size="$2" "$3" > /dev/null
  if [ -s "$out" ] && [ "$(head -c 4 "$out" | tail -c 3)" = PNG ] &&
     [ "$(png_size "$out")" = "$(echo "$2" | tr , x)" ] &&
     [ "$(wc -c < "$out")" -gt $((2 * $(blank_bytes "$2"))) ]; then
    ok "screenshot $1 ($2)"
  else
    bad "screenshot $1 ($2) missing, wrong size or blank"
  fi
}

dom_has() { # dom_has WHAT URL TEXT
  if chrome --dump-dom "$2" | grep -q -- "$3"; then ok "$1"; else bad "$1 ('$3' not in the DOM)"; fi
}

csrf_of() { grep -o 'name="csrf" value="[^"]*"' "$1" | head -n 1 | sed 's/.*value="//; s/"$//'; }
login() { # login JAR USER PASSWORD
  rm -f "$1"
  curl -s -c "$1" -o "$1.page" "$URL/login"
  curl -s -b "$1" -c "$1" -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(csrf_of "$1.page")" \
    --data-urlencode "user=$2" --data-urlencode "password=$3" "$URL/login"
}
save() { # save JAR PATH NAME: the page as served, for file://
  code=$(curl -s -b "$1" -o "$SHOTS/$3.html" -w '%{http_code}' "$URL$2")
  if [ "$code" = 200 ]; then ok "fetched $2 as $3.html"; else bad "fetch $2: $code"; fi
}

[ "$(login shots-county.jar county county-pass-2026)" = 303 ] && ok "county login" || bad "county login"
[ "$(login shots-grid.jar grid1 grid-pass-2026)" = 303 ] && ok "grid login" || bad "grid login"
save shots-county.jar /region/439901000000 county
save shots-county.jar /region/439901101000 township
save shots-county.jar /region/439901101001 village
save shots-county.jar /devices devices
save shots-grid.jar /region/439901101001001 grid
save shots-grid.jar /grid/439901101001001/unreached unreached

# what Chromium builds from them
dom_has "login page renders (live)" "$URL/login" "工作人员登录"
dom_has "county page renders from file" "file://$SHOTS/county.html" "江州县"
dom_has "  with its bar charts" "file://$SHOTS/county.html" '<rect class="bar-'
dom_has "unreached list renders from file" "file://$SHOTS/unreached.html" "记录入户走访"

shot login 1280,1600 "$URL/login"
for p in county township village grid unreached devices; do
  shot "$p" 1280,1600 "file://$SHOTS/$p.html"
done
shot login-phone 390,844 "$URL/login"
for p in county grid unreached devices; do
  shot "$p-phone" 390,844 "file://$SHOTS/$p.html"
done

echo "screenshots in $SHOTS"
echo "$((n - fail)) passed, $fail failed"
[ $fail = 0 ]
