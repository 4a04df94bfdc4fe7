#!/bin/sh
# kiosk.content_texts: every page of every bundled pack, and each pack's
# quiz twice (8 questions drawn each time, each answered and explained),
# at 1080x1920, 1920x1080 and 1280x800; the kiosk exits 3 if any text
# line of any frame leaves the screen or its box (laid out or rendered).  A pack whose
# quiz bank is another pack's (anti-gambling, theft-robbery and hazards
# are 平安家庭's) offers that quiz after its last page.  The draw is the
# kiosk's own (random), so each run shows other questions; every page is
# seen every run.
. "$KIOSK_TESTS/lib.sh"
KIOSK_CONTENT=$ANXIN_SOURCE/content
D=$1; rm -rf "$D"
packs=$(ls "$KIOSK_CONTENT/packs")
[ -n "$packs" ] || fail "no packs in $KIOSK_CONTENT"
for size in 1080x1920 1920x1080 1280x800; do
  W=${size%x*} H=${size#*x}
  export W H
  kiosk_conf "$D/$size"
  {
    echo "tap-id start"
    for p in $packs; do
      n=$(grep -c '"id": "p[0-9]*"' "$KIOSK_CONTENT/packs/$p/pack.json")
      for run in 1 2; do # two draws: more of the bank seen
        echo "tap-id tile-$p"
        echo "expect-screen reader"
        i=1; while [ $i -lt "$n" ]; do echo "tap-id next"; i=$((i + 1)); done
        echo "tap-id quiz"
        for k in 1 2 3 4 5 6 7 8; do
          printf '%s\n' "expect-screen question" "tap-id option-$(( (k % 4) + 1 ))" \
            "expect-screen explain" "tap-id next"
        done
        printf '%s\n' "expect-screen link" "tap-id skip" "expect-screen thanks" \
          "wait 2000" "tap-id done" "expect-screen attract" "tap-id start"
      done
    done
  } > "$D/$size/s"
  rc=0; run_kiosk "$D/$size" "$D/$size/s" > "$D/$size/log" 2>&1 || rc=$?
  [ $rc = 0 ] || { tail -20 "$D/$size/log" >&2; fail "$size: exit $rc"; }
done
echo "ok: $(echo $packs | wc -w) packs, every page and a drawn quiz each, at three sizes"
