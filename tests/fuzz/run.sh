#!/bin/sh
# run.sh FUZZER CORPUS SECONDS [MAXLEN [MINRUNS]] -- one bounded libFuzzer run for
# ctest: from a scratch copy of the repo's corpus (which the run does not
# change), for SECONDS, or with MINRUNS until that many executions with
# SECONDS as the cap (saying so when the cap came first); prints the
# executions it made.  Exit status 1 on a crash, leak,
# timeout or sanitizer report -- UB included (libFuzzer's own 77 would read
# as a skip).
set -u
bin=$1 corpus=$2 secs=$3 maxlen=${4:-0} minruns=${5:-0}
runs=-1
[ "$minruns" -gt 0 ] && runs=$minruns
name=$(basename "$bin")
[ -d "$corpus" ] && [ -n "$(ls "$corpus")" ] || { echo "$name: no corpus in $corpus" >&2; exit 1; }
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp "$corpus"/* "$d/"
"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -max_len="$maxlen" -runs="$runs" "$d" > "$d.log" 2>&1
rc=$?
grep -v '^stat::' "$d.log" | tail -n 40
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d.log")
[ "$minruns" -gt 0 ] && [ "${execs:-0}" -lt "$minruns" ] &&
  echo "$name: NOTE: the $secs s cap came before $minruns executions (a loaded machine)"
span="in $secs s"
[ "$minruns" -gt 0 ] && span="(to $minruns, cap $secs s)"
echo "$name: ${execs:-?} executions $span from $(ls "$corpus" | wc -l) corpus files ($(cat "$corpus"/* | wc -c) bytes); exit $rc"
rm -f "$d.log"
[ $rc = 0 ] || exit 1
