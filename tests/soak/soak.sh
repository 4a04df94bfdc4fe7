#!/bin/sh
# soak.sh DIR [SECONDS] [SEED] -- the whole platform under random SIGKILLs.
#
# One anxin-central, two SMS gateways (anxin-smsd on libgammu's dummy
# modem, one campaign each, in two villages) with tools/resident_sim
# answering into each modem's inbox, three kiosk device stores fed by
# scripted offscreen sessions, and an `anxin sync --once` loop per device
# store.  gw1 runs the satisfaction survey, gw2 the anti-drug knowledge
# quiz (awareness).  For SECONDS (default 120) a seeded chaos loop
# SIGKILLs one process of each class per round, in a seeded order, each
# when it is mid-work (see "the chaos" below): central while a sync has
# records in flight, a gateway with messages to send or replies to store,
# a sync loop's `anxin sync` while its store has records pending, a kiosk
# mid-session; then restarts it.  Kills per class are printed and must be
# >= 2 each.  Then the chaos stops, anything down is restarted, the SMS
# conversations and the outboxes drain, and:
#   1. every record in every device's outbox (any state) is in the
#      central store exactly once (none missing, none twice, no conflicts)
#      and every outbox record is acknowledged;
#   2. no SMS was sent twice: no queue row sent twice by the modem, no
#      (phone, text) sent twice unless a reply came in between (the
#      documented re-ask after a reply that is not an answer);
#   3. every reply resident_sim injected is stored once in the gateway's
#      inbox (a replay of resident_sim on the final sent log gives the
#      exact multiset of injected replies) and none is left in the modem;
#   4. the respondents, satisfaction, anti-drug awareness and household
#      coverage anxin-central reports equal those recomputed from the
#      devices' own outbox bodies (one counted response per household: the
#      earliest completed, ties by id; awareness from the pack's answer
#      key and the survey's pass share, read from tests/content-v1; coverage:
#      distinct households with a delivered/replied SMS or a kiosk session
#      over the roster's households).  A kiosk's household is sealed to
#      the server's key: the soak resolves it itself, from the number it
#      typed in that session (each session of a kiosk starts in its own
#      second, on a fixed clock: a response's started_at names it; the
#      session's contact carries the same sealed number) and the roster it
#      imported -- not from central's responses.household;
#   5. enough traffic: SMS sent and replies stored, kiosk answers.
# Real binaries, 127.0.0.1 only.  The seed is printed; rerun with it.
set -u
DIR=$1
SECONDS_=${2:-120}
SEED=${3:-$(( $(date +%s) % 100000 ))}
B=${ANXIN_BIN:-$(cd "$(dirname "$0")/../../build" && pwd)}
SRC=${ANXIN_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
A="$B/survey/anxin"
C="$B/central/anxin-central"
GWB="$B/sms-gateway/anxin-smsd"
K="$B/kiosk/anxin-kiosk"
SIM="$B/tools/resident_sim"
COUNTY=439901000000
MAXDELAY=4000
# minimum traffic the run must carry (the CI seed does several times this)
MIN_SMS=${MIN_SMS:-200} MIN_REPLIES=${MIN_REPLIES:-60} MIN_KIOSK=${MIN_KIOSK:-30}
# Every process of a run works in DIR (its cwd).  A run that was killed
# (SIGKILL, a CI job cancelled) cannot stop its children: they went on in
# the removed folder -- a gateway kept reading the new run's modem folder
# and appending to its sent log, by their absolute paths, while committing
# to its own unlinked store (612 sends with no queue row, half the
# replies gone).  So: stop whatever an earlier run left in DIR before
# starting, and this run's processes whenever it ends.
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd -P)
# the pids of the processes working in DIR (or in a removed DIR), not ours
in_dir() {
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = $$ ] && continue
    c=$(readlink "$p/cwd" 2>/dev/null) || continue
    { [ "$c" = "$DIR" ] || [ "$c" = "$DIR (deleted)" ]; } && echo "${p#/proc/}"
  done
}
sweep() {
  cd / || return
  left=$(in_dir)
  [ -n "$left" ] || return 0
  echo "soak: stopping $(echo $left | wc -w) process(es) still working in $DIR: $(for p in $left; do
    printf '%s(%s) ' "$p" "$(tr '\0' ' ' 2>/dev/null < /proc/$p/cmdline | cut -c1-60)"; done)"
  kill -9 $left 2>/dev/null
  sleep 0.5
}
sweep
trap 'rc=$?; trap - EXIT; sweep > /dev/null; exit $rc' EXIT
trap 'exit 143' TERM HUP
trap 'exit 130' INT
rm -rf "$DIR"
mkdir -p "$DIR"
cd "$DIR" || exit 1
echo "soak: seed $SEED, $SECONDS_ s of chaos, in $DIR"
fail=0 n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "not ok $n - $1"; }
check() { if [ "$2" = "$3" ]; then ok "$1"; else bad "$1 (got $2, want $3)"; fi; }
log() { echo "[$(date +%H:%M:%S)] $*" | tee -a chaos.log; }
sq() { sqlite3 -cmd ".timeout 20000" "$@"; }

# the devices: name kind town village
GWS="gw1 gw2"
KIOSKS="k1 k2 k3"
town_of() { case $1 in gw1|k1|k3) echo 439901101000 ;; *) echo 439901102000 ;; esac; }
village_of() { case $1 in gw1|k1) echo 439901101204 ;; gw2|k2) echo 439901102201 ;; k3) echo 439901101001 ;; esac; }

# ---- the central store --------------------------------------------------
"$A" init --db c.db > /dev/null
"$A" roster import -q --db c.db --county-name 江州县 "$SRC/content/demo/jiangzhou-roster.csv"
"$A" content install -q --db c.db "$SRC/tests/content-v1"
today=$(TZ=Asia/Shanghai date +%Y-%m-%d)
end=$(TZ=Asia/Shanghai date -d '+30 days' +%Y-%m-%d)
for d in $GWS $KIOSKS; do
  mkdir -p "$d"
  kind=kiosk; case $d in gw*) kind=smsd ;; esac
  "$A" device add --db c.db --name "soak-$d" --kind $kind --scope "$(town_of $d)" > "$d/token" 2>/dev/null
  chmod 600 "$d/token"
done
survey_of() { case $1 in gw2) echo aware-anti-drug ;; *) echo satisfaction ;; esac; }
for g in $GWS; do
  "$A" campaign create --db c.db --name "soak-$g" --survey "$(survey_of $g)" \
    --scope "$(village_of $g)${SOAK_CAMPAIGN_GRID:-}" --start "$today" --end "$end" --quiet 00:00-00:00 \
    --pace 600 --daily-cap 5000 > "$g/campaign.id" || { echo "campaign create failed"; exit 1; }
done

# SOAK_CAMPAIGN_GRID (e.g. 001): each gateway's campaign covers that grid
# of its village only, not the whole village: fewer conversations, a
# shorter drain (soak.platform.pg).
# SOAK_PG_URLFILE (soak.platform.pg): the county set up above is moved
# into a fresh database of the `pg` fixture's cluster (anxin store copy)
# and central runs on it; the checks read a snapshot of it taken after
# the drain (anxin store copy back into a new file), CDB below.
DB=c.db CDB=c.db
if [ -n "${SOAK_PG_URLFILE:-}" ]; then
  pgbase=$(cat "$SOAK_PG_URLFILE")
  PGOPTIONS="-c client_min_messages=warning" psql -q "$pgbase" \
    -c "DROP DATABASE IF EXISTS anxin_soak" -c "CREATE DATABASE anxin_soak" || exit 1
  DB="${pgbase%/*}/anxin_soak"
  "$A" store copy --from c.db --to "$DB" > /dev/null || { echo "store copy failed"; exit 1; }
  echo "soak: central on PostgreSQL ($DB)"
fi

start_central() {
  rm -f port
  "$C" --db "$DB" --listen "127.0.0.1:${1:-0}" --port-file port >> central.log 2>&1 < /dev/null &
  echo $! > central.pid
  for _ in $(seq 1 100); do
    [ -s port ] && curl -fs "http://127.0.0.1:$(cat port)/healthz" > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "central did not start" >&2
  return 1
}
start_central || exit 1
PORT=$(cat port)
URL="http://127.0.0.1:$PORT"
SEAL=$(curl -fs -H "Authorization: Bearer $(cat k1/token)" "$URL/api/v1/campaigns" |
  sed -n 's/.*"seal_public_key": *"\([^"]*\)".*/\1/p')

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
bgpids=""

# ---- two SMS gateways, each on its own dummy modem ---------------------
i=0
for g in $GWS; do
  i=$((i + 1))
  mkdir -p "$g/modem"
  "$A" init --db "$g/anxin.db" > /dev/null
  "$A" sync --once --pull -q --db "$g/anxin.db" --server "$URL" --token-file "$g/token" \
    --scope "$(village_of $g)" > "$g/sync.log" 2>&1 || { echo "$g: pull failed"; exit 1; }
  cat > "$g/smsd.conf" <<CONF
[gammu]
connection = none
model = dummy
device = $DIR/$g/modem

[smsd]
store = $DIR/$g/anxin.db
device_id = soak-$g
quiet_hours = 00:00-00:00
pace_per_min = 600
daily_cap = 5000
poll_ms = 500
sent_log = $DIR/$g/sent.jsonl
sent_log_numbers = full
scope = $(village_of $g)
CONF
done
start_gw() {
  "$GWB" --config "$1/smsd.conf" >> "$1/smsd.log" 2>&1 < /dev/null &
  echo $! > "$1/smsd.pid"
}
i=0
for g in $GWS; do
  i=$((i + 1))
  start_gw $g
  for _ in $(seq 1 50); do [ -d "$g/modem/sms/1" ] && break; sleep 0.1; done
  "$SIM" --sent-log "$g/sent.jsonl" --inbox "$g/modem/sms/1" --seed $((SEED + i)) \
    --max-delay-ms $MAXDELAY >> "$g/residents.log" 2>&1 < /dev/null &
  echo $! > "$g/sim.pid"
  bgpids="$bgpids $!"
done

# ---- the sync loops: one `anxin sync --once` after another per store -----
store_of() { case $1 in gw*) echo "$1/anxin.db" ;; *) echo "$1/kiosk.db" ;; esac; }
for d in $GWS $KIOSKS; do
  ( while [ ! -f stop.sync ]; do
      if [ -f "$(store_of $d)" ]; then
        "$A" sync --once -q --db "$(store_of $d)" --server "$URL" --token-file "$d/token" \
          --batch 50 >> "$d/sync.log" 2>&1 < /dev/null &
        echo $! > "$d/sync.pid"
        wait $!
        rm -f "$d/sync.pid"
      fi
      sleep 0.5
    done ) &
  bgpids="$bgpids $!"
done

# ---- kiosks: residents walk up one after another (scripted, offscreen) --
# the roster's numbers of exactly one household, and number -> household
# (cells with several numbers are left out: those numbers are not typed)
cut -d, -f1,8 "$SRC/content/demo/jiangzhou-roster.csv" | tail -n +2 | tr -d '\r' |
  awk -F, '$2 != "" && $2 !~ /[;；\/、 -]/ { n[$2]++; h[$2] = $1 }
    END { for (p in n) if (n[p] == 1) print p "|" h[p] }' | sort > phone.map
cut -d'|' -f1 phone.map > unique.phones
: > sessions.all
for k in $KIOSKS; do
  mkdir -p "$k/shots"
  cat > "$k/kiosk.conf" <<CONF
[kiosk]
device = soak-$k
region = $(village_of $k)
store = $DIR/$k/kiosk.db
content = $SRC/tests/content-v1
survey = satisfaction
min_seconds = 3

[central]
url = $URL
token_file = $DIR/$k/token
sync_interval = 30
seal_public_key = $SEAL

[idle]
timeout = 60
countdown = 10

[screen]
width = 540
height = 960
fullscreen = no
CONF
  # numbers of one household each (see phone.map below)
  grep ",$(village_of $k)," "$SRC/content/demo/jiangzhou-roster.csv" | cut -d, -f8 |
    grep -v '[;；/、 -]' | grep . | grep -Fxf unique.phones | head -100 > "$k/phones"
  ( n=0 off=$(cksum "$k/kiosk.conf" | cut -c1-3) last=0
    np=$(wc -l < "$k/phones")
    while [ ! -f stop.kiosk ]; do
      n=$((n + 1))
      m=$((n + off))
      a=$(( (m * 7) % 2 + 1 ))
      phone=$(sed -n "$(( (m * 37) % np + 1 ))p" "$k/phones")
      {
        echo "tap-id start"
        echo "tap-id survey"
        echo "tap-id option-$a"
        echo "wait 600"
        if [ $a = 1 ]; then echo "tap-id option-$(( m % 3 + 1 ))"; echo "wait 600"; fi
        for q in 3 4 5 6; do echo "tap-id option-$(( (m * q + q) % 5 % 3 + 1 ))"; echo "wait 600"; done
        echo "tap-id option-$(( (m * 13 + n) % 5 + 1 ))"
        echo "wait 600"
        echo "expect-screen link"
        if [ $((m % 3)) != 1 ] && [ -n "$phone" ]; then
          echo "type $phone"
          echo "tap-id keypad-ok"
        else
          echo "tap-id skip"
        fi
        echo "wait 2500"
        echo "tap-id done"
        [ $((m % 4)) = 0 ] && echo "sync"
      } > "$k/resident.kscript"
      # each session of this kiosk starts in a second of its own, on a
      # clock fixed there: its response's started_at says which session
      # made it, and so which number it typed (central refuses times more
      # than 5 minutes ahead: no clock of our own making)
      while [ "$(date +%s)" -le "$last" ]; do sleep 0.1; done
      last=$(date +%s)
      linked=""
      grep -q '^type ' "$k/resident.kscript" && linked=$phone
      echo "soak-$k|$last|$linked" >> sessions.all
      "$K" --config "$k/kiosk.conf" --video offscreen --clock-fixed "$last" \
        --script "$k/resident.kscript" >> "$k/kiosk.log" 2>&1 < /dev/null &
      echo $! > "$k/kiosk.pid"
      wait $!
      rm -f "$k/kiosk.pid"
      sleep 0.3
    done ) &
  echo $! > "$k/loop.pid"
  bgpids="$bgpids $!"
done

# ---- the chaos ------------------------------------------------------------
# Rounds: each round kills one process of every class, in a seeded order
# (an instance of the class picked by the seed), each at a moment it is
# mid-work -- the loop waits up to 20 s for that, polling:
#   central  some sync's `anxin sync` is running and its store has records
#            pending (a batch on its way, in the server or being acked)
#   gw       the gateway has queued messages to send or replies waiting in
#            its modem or its inbox
#   sync     that store's `anxin sync` is running with records pending
#   kiosk    the kiosk process is up: a resident is in the middle of a session
# A target that never got busy in 20 s is a miss (printed); the checks
# want >= 2 kills of every class.
pending_of() { sq "$(store_of $1)" "SELECT COUNT(*) FROM outbox WHERE state = 'pending'" 2>/dev/null || echo 0; }
gw_work() {
  w=$(ls "$1/modem/sms/1" 2>/dev/null | wc -l)
  echo $((w + $(sq "$1/anxin.db" "SELECT (SELECT COUNT(*) FROM queue WHERE state IN ('pending','sending'))
    + (SELECT COUNT(*) FROM inbox WHERE state = 'new')" 2>/dev/null || echo 0)))
}
# busy TARGET: prints what work it is in the middle of, fails when idle
busy() {
  case $1 in
    central)
      alive central.pid || return 1
      for d in $GWS $KIOSKS; do
        if alive "$d/sync.pid"; then
          p=$(pending_of $d)
          [ "$p" -gt 0 ] && { echo "sync:$d in flight, $p pending"; return 0; }
        fi
      done
      return 1 ;;
    gw*)
      alive "$1/smsd.pid" || return 1
      w=$(gw_work $1)
      [ "$w" -gt 0 ] && { echo "$w messages to send or store"; return 0; }
      return 1 ;;
    sync:*)
      d=${1#sync:}
      alive "$d/sync.pid" || return 1
      p=$(pending_of $d)
      [ "$p" -gt 0 ] && { echo "$p pending"; return 0; }
      return 1 ;;
    kiosk:*)
      alive "${1#kiosk:}/kiosk.pid" && { echo "session $(wc -l < "${1#kiosk:}/resident.kscript")-line script running"; return 0; }
      return 1 ;;
  esac
}
pidfile_of() {
  case $1 in
    central) echo central.pid ;;
    gw*) echo "$1/smsd.pid" ;;
    sync:*) echo "${1#sync:}/sync.pid" ;;
    kiosk:*) echo "${1#kiosk:}/kiosk.pid" ;;
  esac
}
awk -v s="$SEED" 'BEGIN { srand(s); split("central gw sync kiosk", c, " ")
  for (r = 0; r < 500; r++) {
    for (i = 4; i > 1; i--) { j = 1 + int(rand() * i); t = c[i]; c[i] = c[j]; c[j] = t }
    for (i = 1; i <= 4; i++) {
      if (c[i] == "central") t = "central"
      else if (c[i] == "gw") t = "gw" (1 + int(rand() * 2))
      else if (c[i] == "sync") { split("gw1 gw2 k1 k2 k3", d, " "); t = "sync:" d[1 + int(rand() * 5)] }
      else t = "kiosk:k" (1 + int(rand() * 3))
      printf "%s %.1f %.1f\n", t, 0.5 + rand() * 1.5, 0.2 + rand() * 1.5
    }
  } }' > chaos.plan
kills=0
k_central=0 k_gw=0 k_sync=0 k_kiosk=0 missed=""
t0=$(date +%s)
while read -r t pause down; do
  [ $(( $(date +%s) - t0 )) -ge "$SECONDS_" ] && break
  sleep "$pause"
  pf=$(pidfile_of $t)
  hit=0
  tw=$(date +%s)
  while [ $(( $(date +%s) - tw )) -lt 20 ]; do
    if what=$(busy $t) && pid=$(cat "$pf" 2>/dev/null) && kill -9 "$pid" 2>/dev/null; then hit=1; break; fi
    sleep 0.05
  done
  if [ $hit = 0 ]; then
    missed="$missed $t"
    log "($t not busy within 20 s: no kill)"
    continue
  fi
  kills=$((kills + 1))
  case $t in
    central) k_central=$((k_central + 1)) ;;
    gw*) k_gw=$((k_gw + 1)) ;;
    sync:*) k_sync=$((k_sync + 1)) ;;
    kiosk:*) k_kiosk=$((k_kiosk + 1)) ;;
  esac
  log "kill -9 $t (pid $pid; $what)$( [ "$t" = central ] || [ "${t#gw}" != "$t" ] && echo ", restart in ${down}s")"
  case $t in
    central) sleep "$down"; start_central "$PORT" || log "central restart failed" ;;
    gw*) sleep "$down"; start_gw "$t" ;;
  esac
done < chaos.plan
log "chaos over: $kills kills in $(( $(date +%s) - t0 )) s: central $k_central, gateway $k_gw, sync $k_sync, kiosk $k_kiosk${missed:+; not busy in time:$missed}"

# ---- the drain --------------------------------------------------------------
touch stop.kiosk
for k in $KIOSKS; do wait "$(cat $k/loop.pid)" 2>/dev/null; done
alive central.pid || { log "restart central"; start_central "$PORT"; }
for g in $GWS; do alive "$g/smsd.pid" || { log "restart $g"; start_gw $g; }; done
# the SMS side is quiet when no gateway sent anything for a while (longer
# than resident_sim's delay), the modems are empty and nothing is new
sz() { for g in $GWS; do wc -c < "$g/sent.jsonl" 2>/dev/null || echo 0; done | tr '\n' ' '; }
last=$(sz) stable=0 t1=$(date +%s)
while [ $(( $(date +%s) - t1 )) -lt 300 ]; do
  sleep 1
  now=$(sz)
  left=0
  for g in $GWS; do
    left=$((left + $(ls "$g/modem/sms/1" | wc -l) + $(sq "$g/anxin.db" "SELECT COUNT(*) FROM inbox WHERE state = 'new'") ))
    left=$((left + $(sq "$g/anxin.db" "SELECT COUNT(*) FROM queue WHERE state IN ('pending','sending')") ))
  done
  if [ "$now" = "$last" ] && [ $left = 0 ]; then stable=$((stable + 1)); else stable=0; fi
  last=$now
  [ $stable -ge $(( MAXDELAY / 1000 + 6 )) ] && break
done
log "SMS side quiet after $(( $(date +%s) - t1 )) s (stable $stable s)"
# every outbox drains (a gateway's records are in its store's outbox from
# the commit that made them)
pending() {
  p=0
  for d in $GWS $KIOSKS; do p=$((p + $(sq "$(store_of $d)" "SELECT COUNT(*) FROM outbox WHERE state = 'pending'"))); done
  echo $p
}
t1=$(date +%s)
while [ "$(pending)" != 0 ] && [ $(( $(date +%s) - t1 )) -lt 120 ]; do sleep 1; done
log "outboxes drained after $(( $(date +%s) - t1 )) s ($(pending) left)"
touch stop.sync
for g in $GWS; do
  kill -TERM "$(cat $g/smsd.pid)" "$(cat $g/sim.pid)" 2>/dev/null
done
for p in $bgpids; do wait "$p" 2>/dev/null; done
for g in $GWS; do wait "$(cat $g/smsd.pid)" 2>/dev/null; done
kill -TERM "$(cat central.pid)" 2>/dev/null
wait "$(cat central.pid)" 2>/dev/null

# ---- the checks -----------------------------------------------------------------
echo "== seed $SEED: $kills kills: central $k_central, gateway $k_gw, sync $k_sync, kiosk $k_kiosk (each mid-work)"
# 0. the chaos hit every process class, at least twice, mid-work
for c in central gw sync kiosk; do
  eval "kc=\$k_$c"
  check "chaos killed $c mid-work at least twice ($kc)" "$([ "$kc" -ge 2 ] && echo yes)" yes
done
# 1. records: every device outbox record in central exactly once
: > outbox.all
for d in $GWS $KIOSKS; do
  sq -separator '|' "$(store_of $d)" "SELECT id, state FROM outbox" | sed "s/^/$d|/" >> outbox.all
done
nrec=$(wc -l < outbox.all)
ok "devices committed $nrec records ($(cut -d'|' -f1 outbox.all | sort | uniq -c | awk '{printf "%s %s ", $2, $1}'))"
check "every outbox record acknowledged" "$(grep -vc '|sent$' outbox.all)" 0
cut -d'|' -f2 outbox.all | sort > ids.dev
check "no id in two outboxes" "$(uniq -d ids.dev | wc -l)" 0
if [ "$DB" != c.db ]; then
  "$A" store copy --from "$DB" --to snapshot.db > /dev/null
  check "PostgreSQL copied to a snapshot to check" "$?" 0
  CDB=snapshot.db
fi
# opt-outs (退订 records, e59ce64) are kept in optout_events
sq "$CDB" "SELECT id FROM responses UNION ALL SELECT id FROM contacts
  UNION ALL SELECT id FROM optout_events" | sort > ids.central
check "no id stored twice centrally" "$(uniq -d ids.central | wc -l)" 0
check "no device record missing centrally" "$(comm -23 ids.dev ids.central | wc -l)" 0
check "nothing central that no device sent" "$(comm -13 ids.dev ids.central | wc -l)" 0
check "no conflicts" "$(sq "$CDB" 'SELECT COUNT(*) FROM conflicts')" 0
check "central integrity" "$(sq "$CDB" 'PRAGMA integrity_check')" ok
check "tally matches counted responses" \
  "$(sq "$CDB" "SELECT COALESCE(SUM(den), 0) FROM tally_total WHERE metric = 'resp'")" \
  "$(sq "$CDB" 'SELECT COUNT(*) FROM responses WHERE counted')"
# each household's first and last contact of each kind (household_reach,
# kept by triggers: on PostgreSQL read there, not in the snapshot, whose
# own triggers rebuilt it) against the contacts, both ways
rq() { if [ "$DB" != c.db ]; then psql -X -Atq "$DB" -c "$1"; else sq c.db "$1"; fi; }
check "household_reach matches the contacts" "$(rq "SELECT (SELECT COUNT(*) FROM
  (SELECT household, kind, MIN(at), MAX(at) FROM contacts GROUP BY 1, 2 EXCEPT
  SELECT household, kind, first_at, last_at FROM household_reach) x) + (SELECT
  COUNT(*) FROM (SELECT household, kind, first_at, last_at FROM household_reach
  EXCEPT SELECT household, kind, MIN(at), MAX(at) FROM contacts GROUP BY 1, 2) y)")" 0

# on PostgreSQL every record is in its county's partition (migration 11:
# the importer gives each contact its household's grid)
if [ "$DB" != c.db ]; then
  check "every response and contact in the county's partition" "$(rq "SELECT
    (SELECT COUNT(*) FROM responses_c439901) || ' ' || (SELECT COUNT(*) FROM
    contacts_c439901) || ' ' || (SELECT COUNT(*) FROM responses_default) || ' ' ||
    (SELECT COUNT(*) FROM contacts_default)")" \
    "$(sq "$CDB" "SELECT (SELECT COUNT(*) FROM responses) || ' ' ||
    (SELECT COUNT(*) FROM contacts) || ' 0 0'")"
  # each stored id once in its table of ids, none else (the tables'
  # id triggers write them, delete them with their rows)
  check "response_ids and contact_ids hold exactly the stored ids" "$(rq "SELECT
    (SELECT COUNT(*) FROM (SELECT id FROM responses EXCEPT SELECT id FROM response_ids) a) +
    (SELECT COUNT(*) FROM (SELECT id FROM response_ids EXCEPT SELECT id FROM responses) b) +
    (SELECT COUNT(*) FROM (SELECT id FROM contacts EXCEPT SELECT id FROM contact_ids) c) +
    (SELECT COUNT(*) FROM (SELECT id FROM contact_ids EXCEPT SELECT id FROM contacts) d)")" 0
fi

for g in $GWS; do
  # 2. no SMS sent twice
  sent=$(sq "$g/anxin.db" "SELECT COUNT(*) FROM sent_log")
  lines=$(wc -l < "$g/sent.jsonl")
  ok "$g: $sent messages sent ($lines in its sent log, $(sq "$g/anxin.db" "SELECT COUNT(*) FROM queue WHERE state = 'unknown'") unknown after a kill)"
  check "$g: sent log no longer than the sent rows" "$([ "$lines" -le "$sent" ] && echo yes)" yes
  # the sends the modem made that no queue row records, the first ones:
  # (time, phone, text) from the sent log, phone|text against sent_log
  # (a line of a send interrupted by a kill ends ,"state":"unknown"})
  sed -e 's/,"state":"[a-z]*"}$/}/' \
    -e 's/^{"at":"\([^"]*\)".*"phone":"\([^"]*\)".*"text":"\(.*\)"}$/\2|\3|\1/p' -e d \
    "$g/sent.jsonl" | sort > "$g/sent.logged"
  sq "$g/anxin.db" "SELECT phone || '|' || text FROM sent_log" | sort > "$g/sent.rows"
  cut -d'|' -f1,2 "$g/sent.logged" | comm -23 - "$g/sent.rows" > "$g/sent.unrecorded"
  check "$g: every send in the sent log has its queue row" "$(wc -l < "$g/sent.unrecorded")" 0
  if [ -s "$g/sent.unrecorded" ]; then
    sed 's/$/|/' "$g/sent.unrecorded" > "$g/sent.keys"
    grep -F -f "$g/sent.keys" "$g/sent.logged" | sort -t'|' -k3,3 | head -n 5 |
      awk -F'|' '{ print "   sent, no row for it: " $3 " " $1 " " $2 }'
  fi
  check "$g: no queue row sent twice" "$(sq "$g/anxin.db" "SELECT COUNT(*) FROM (SELECT id FROM sent_log GROUP BY id HAVING COUNT(*) > 1)")" 0
  # the same text to the same phone twice, with no reply from it in between
  dup=$(sq "$g/anxin.db" "SELECT COUNT(*) FROM sent_log a JOIN sent_log b
    ON a.phone = b.phone AND a.text = b.text AND a.id < b.id
    WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.phone = a.phone
      AND i.received_at >= COALESCE(a.sent_at, 0) AND i.received_at <= COALESCE(b.sent_at, 1e18))")
  check "$g: no (phone, text) sent twice without a reply between" "$dup" 0
  [ "$dup" = 0 ] || sq -separator ' ' "$g/anxin.db" "SELECT '   sent twice:', a.id, b.id, a.phone,
      datetime(a.sent_at, 'unixepoch'), datetime(b.sent_at, 'unixepoch'), substr(a.text, 1, 30)
    FROM sent_log a JOIN sent_log b ON a.phone = b.phone AND a.text = b.text AND a.id < b.id
    WHERE NOT EXISTS (SELECT 1 FROM inbox i WHERE i.phone = a.phone
      AND i.received_at >= COALESCE(a.sent_at, 0) AND i.received_at <= COALESCE(b.sent_at, 1e18))
    ORDER BY a.sent_at LIMIT 5"
  check "$g: every conversation has at most one intro" \
    "$(sq "$g/anxin.db" "SELECT COUNT(*) FROM (SELECT phone FROM sent_log WHERE kind = 'intro' GROUP BY phone, campaign HAVING COUNT(*) > 1)")" 0
  # 3. every injected reply stored once, none left in the modem
  mkdir -p "$g/replay"
  "$SIM" --sent-log "$g/sent.jsonl" --inbox "$g/replay" --seed $(( SEED + ${g#gw} )) --once
  # delivery reports are not replies: the gateway matches them to sends
  grep -l '^PDU = Status_Report' "$g"/replay/* 2>/dev/null | xargs -r rm -f
  inj=$(ls "$g/replay" | wc -l)
  for f in "$g"/replay/*; do
    [ -f "$f" ] || continue
    num=$(sed -n 's/^Number = "\(.*\)"$/\1/p' "$f")
    hex=$(sed -n 's/^Text00 = //p' "$f")
    echo "$num|$hex"
  done | sort > "$g/injected"
  sq "$g/anxin.db" "SELECT phone || '|' || upper(hex(CAST(text AS BLOB))) FROM inbox" > "$g/stored.raw"
  # the gateway stores UTF-8: compare on UTF-8 (convert the replay's UCS-2)
  while IFS='|' read -r num hex; do
    printf '%s|' "$num"
    echo "$hex" | xxd -r -p | iconv -f UCS-2BE -t UTF-8 | xxd -p | tr -d '\n' | tr a-f A-F
    echo
  done < "$g/injected" | sed 's/^+86//' | sort > "$g/injected.u8"
  sed 's/^+86//' "$g/stored.raw" | sort > "$g/stored"
  check "$g: every injected reply ($inj) stored, once" "$(sq "$g/anxin.db" "SELECT COUNT(*) FROM inbox")" "$inj"
  check "$g: the stored replies are the injected ones" "$(comm -3 "$g/injected.u8" "$g/stored" | wc -l)" 0
  # the first differences: number and text (UTF-8 hex back to text)
  comm -3 "$g/injected.u8" "$g/stored" | head -n 5 | while IFS='|' read -r num hex; do
    case $num in "$(printf '\t')"*) what="stored, never injected" ;; *) what="injected, not stored" ;; esac
    echo "   $what: $(echo "$num" | tr -d '\t') $(echo "$hex" | xxd -r -p)"
  done
  check "$g: nothing left in the modem inbox" "$(ls "$g/modem/sms/1" | wc -l)" 0
  check "$g: every inbox row handled" "$(sq "$g/anxin.db" "SELECT COUNT(*) FROM inbox WHERE state = 'new'")" 0
done

# 4. the rates central reports == the rates recomputed from the devices'
# own records.  A kiosk record carries no wave: it takes the wave of the
# campaign of its survey covering its region, as the server does.  Which
# response counts, and every rate, is recomputed from the bodies; a kiosk
# household from the number the soak typed in that record's session.
AWS=aware-anti-drug
AWF="$SRC/tests/content-v1/surveys/$AWS.json"
# the answer key of the quiz's scored questions, from the pack it refers to
KEY=$(sqlite3 :memory: "SELECT json_group_object(sq.value ->> 'id', pq.value ->> 'answer')
  FROM json_each(readfile('$AWF'), '\$.questions') sq
  JOIN json_each(readfile('$SRC/tests/content-v1/packs/anti-drug/pack.json'), '\$.questions') pq
    ON sq.value ->> 'ref' = 'anti-drug/' || (pq.value ->> 'id')
  WHERE sq.value ->> 'id' IN (SELECT value FROM json_each(readfile('$AWF'), '\$.metrics.awareness[0].questions'))")
NQ=$(sqlite3 :memory: "SELECT json_array_length(readfile('$AWF'), '\$.metrics.awareness[0].questions')")
SHARE=$(sqlite3 :memory: "SELECT json_extract(readfile('$AWF'), '\$.metrics.awareness[0].pass_share')")
ok "anti-drug answer key $KEY, pass: $SHARE of $NQ"
for d in $GWS $KIOSKS; do
  sq -separator '|' "$(store_of $d)" "SELECT json_extract(body, '\$.id'),
      COALESCE(json_extract(body, '\$.household'), ''),
      json_extract(body, '\$.household_phone_sealed') IS NOT NULL,
      json_extract(body, '\$.region'),
      json_extract(body, '\$.channel'), json_extract(body, '\$.survey'),
      COALESCE(json_extract(body, '\$.wave'), ''),
      strftime('%s', json_extract(body, '\$.completed_at')),
      COALESCE(json_extract(body, '\$.answers.overall'), ''),
      strftime('%s', json_extract(body, '\$.started_at')),
      CASE WHEN json_extract(body, '\$.survey') = '$AWS' THEN
        (SELECT COUNT(*) FROM json_each('$KEY') k
          WHERE json_extract(body, '\$.answers.' || k.key) = k.value) >= $SHARE * $NQ - 1e-9
      ELSE '' END,
      json_extract(body, '\$.device'),
      COALESCE(json_extract(body, '\$.household_phone_sealed'), '')
    FROM outbox WHERE json_extract(body, '\$.type') = 'response'
      AND json_extract(body, '\$.status') = 'complete'"
done > complete.dev
for d in $GWS $KIOSKS; do
  sq -separator '|' "$(store_of $d)" "SELECT COALESCE(json_extract(body, '\$.household'), ''),
      COALESCE(json_extract(body, '\$.household_phone_sealed'), '')
    FROM outbox WHERE json_extract(body, '\$.type') = 'contact'
      AND json_extract(body, '\$.kind') IN ('sms_delivered', 'sms_replied', 'kiosk_session', 'visit')"
done > contacts.dev
# the roster the soak imported: household -> town
cut -d, -f1,3 "$SRC/content/demo/jiangzhou-roster.csv" | tail -n +2 | tr -d '\r' | tr , '|' > households.csv
sq "$CDB" > recomputed.all 2>&1 <<SQL
CREATE TEMP TABLE d0(id, hh, sealed, region, channel, survey, wave, completed INTEGER, overall, started INTEGER, awpass, device, sealedstr);
CREATE TEMP TABLE k0(hh, sealedstr);
CREATE TEMP TABLE sess(device, started INTEGER, phone);
CREATE TEMP TABLE pm(phone, hh);
CREATE TEMP TABLE hht(hh, town);
.separator |
.import complete.dev d0
.import contacts.dev k0
.import sessions.all sess
.import phone.map pm
.import households.csv hht
-- a sealed kiosk answer's household: the number typed in its session (the
-- kiosk's session that started in that second)
CREATE TEMP VIEW unseal AS SELECT s.device, CAST(s.started AS INTEGER) AS started, COALESCE(p.hh, '') AS hh
  FROM sess s LEFT JOIN pm p ON p.phone = s.phone;
CREATE TEMP TABLE d AS SELECT d0.id, CASE WHEN d0.sealed = '1'
    THEN COALESCE((SELECT u.hh FROM unseal u WHERE u.device = d0.device AND u.started = CAST(d0.started AS INTEGER)), '')
    ELSE d0.hh END AS hh, d0.sealedstr, substr(region, 1, 9) || '000' AS town, channel, survey,
  CASE WHEN wave != '' THEN wave ELSE COALESCE((SELECT k.wave FROM campaigns k
    WHERE k.survey = d0.survey AND d0.region LIKE k.scope || '%'), '') END AS wave, CAST(completed AS INTEGER) AS completed, overall, awpass FROM d0;
CREATE TEMP TABLE c0 AS SELECT * FROM d x WHERE x.hh = '' OR NOT EXISTS (
  SELECT 1 FROM d y WHERE y.hh = x.hh AND y.survey = x.survey AND y.wave = x.wave
    AND (y.completed < x.completed OR (y.completed = x.completed AND y.id < x.id)));
-- once a period (metrics.c once_per_period): a household counted in two
-- waves of a survey (a kiosk answer outside the campaign's scope, an SMS
-- answer in it) is one respondent of the report, by its earliest answer
CREATE TEMP TABLE c AS SELECT * FROM c0 x WHERE x.hh = '' OR NOT EXISTS (
  SELECT 1 FROM c0 y WHERE y.hh = x.hh AND y.survey = x.survey AND y.wave <> x.wave
    AND (y.completed < x.completed OR (y.completed = x.completed AND y.id < x.id)));
-- a sealed kiosk contact's household: that of its session's answer, which
-- carries the same sealed number
CREATE TEMP TABLE reach AS SELECT DISTINCT CASE WHEN k0.sealedstr != ''
    THEN COALESCE((SELECT d.hh FROM d WHERE d.sealedstr = k0.sealedstr), '')
    ELSE k0.hh END AS hh FROM k0;
CREATE TEMP TABLE reached AS SELECT h.town, COUNT(*) AS n FROM reach r JOIN hht h ON h.hh = r.hh GROUP BY h.town;
CREATE TEMP TABLE towns AS SELECT town, COUNT(*) AS n FROM hht GROUP BY town;
.separator " "
SELECT '$COUNTY', COUNT(*), SUM(channel = 'kiosk'), SUM(channel = 'sms'),
  SUM(overall IN ('1','2','3')) || '/' || SUM(overall != ''),
  COALESCE(SUM(awpass = '1'), 0) || '/' || COALESCE(SUM(awpass != ''), 0),
  (SELECT SUM(n) FROM reached) || '/' || (SELECT SUM(n) FROM towns) FROM c;
SELECT c.town, COUNT(*), SUM(channel = 'kiosk'), SUM(channel = 'sms'),
  SUM(overall IN ('1','2','3')) || '/' || SUM(overall != ''),
  COALESCE(SUM(awpass = '1'), 0) || '/' || COALESCE(SUM(awpass != ''), 0),
  COALESCE((SELECT n FROM reached r WHERE r.town = c.town), 0) || '/' || (SELECT n FROM towns t WHERE t.town = c.town)
  FROM c GROUP BY c.town ORDER BY c.town;
SELECT 'sealed', COUNT(*), SUM(hh != '') FROM d WHERE id IN (SELECT id FROM d0 WHERE sealed = '1');
SQL
grep -v '^sealed ' recomputed.all > recomputed
sealed=$(sed -n 's/^sealed //p' recomputed.all)
"$A" report --db "$DB" --scope $COUNTY --depth 1 --format json > report.json 2>report.err
# the same figures out of the report's JSON (sqlite3's JSON functions: no
# other tool needed)
sqlite3 :memory: "SELECT json_extract(r.value, '\$.code') || ' ' ||
    json_extract(r.value, '\$.respondents') || ' ' ||
    json_extract(r.value, '\$.respondents_by_channel.kiosk') || ' ' ||
    json_extract(r.value, '\$.respondents_by_channel.sms') || ' ' ||
    json_extract(r.value, '\$.satisfaction.num') || '/' ||
    json_extract(r.value, '\$.satisfaction.den') || ' ' ||
    COALESCE(json_extract(r.value, '\$.awareness.anti_drug.num'), 0) || '/' ||
    COALESCE(json_extract(r.value, '\$.awareness.anti_drug.den'), 0) || ' ' ||
    json_extract(r.value, '\$.coverage.num') || '/' ||
    json_extract(r.value, '\$.coverage.den')
  FROM json_each(readfile('report.json'), '\$.rows') r
  WHERE json_extract(r.value, '\$.respondents') > 0
     OR json_extract(r.value, '\$.depth') = 0" > reported 2>&1
echo "   respondents (all kiosk sms) satisfied/answered anti-drug-aware/quizzed reached/households, central's report:"
sed 's/^/   /' reported
echo "   recomputed from the devices' records:"
sed 's/^/   /' recomputed
check "central's report equals the devices' own records" "$(cat reported)" "$(cat recomputed)"
# the comparison means something only if every rate had data
check "respondents, satisfaction, awareness and coverage all non-zero in the county" \
  "$(head -n 1 recomputed | awk '{ split($5, s, "/"); split($6, a, "/"); split($7, c, "/")
     print ($2 > 0 && s[2] > 0 && a[2] > 0 && c[1] > 0) ? "yes" : "no" }')" yes
# "N M": N complete kiosk answers with a sealed number, M of them resolved
check "sealed kiosk answers resolved to a household by the soak ($sealed)" \
  "$(echo "$sealed" | awk '{ print ($1 > 0 && $2 > 0) ? "yes" : "no" }')" yes

# 5. enough traffic for the checks above to mean something
sms_sent=0 sms_in=0
for g in $GWS; do
  sms_sent=$((sms_sent + $(sq "$g/anxin.db" "SELECT COUNT(*) FROM sent_log")))
  sms_in=$((sms_in + $(sq "$g/anxin.db" "SELECT COUNT(*) FROM inbox")))
done
kiosk_done=$(grep -c '|kiosk|' complete.dev)
check "SMS traffic: >= $MIN_SMS sent ($sms_sent), >= $MIN_REPLIES replies stored ($sms_in)" \
  "$([ $sms_sent -ge $MIN_SMS ] && [ $sms_in -ge $MIN_REPLIES ] && echo yes)" yes
check "kiosk traffic: >= $MIN_KIOSK complete answers ($kiosk_done)" \
  "$([ "$kiosk_done" -ge $MIN_KIOSK ] && echo yes)" yes
cat chaos.log | tail -5
echo "seed $SEED: $((n - fail)) passed, $fail failed"
[ $fail = 0 ]
