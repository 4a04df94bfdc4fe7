#!/bin/sh
# merge.sh BUILD [SECONDS] [NAME...] -- grow and minimise the fuzz corpora
# kept in the repo (tests/fuzz/corpus/NAME): run each target (built in
# BUILD, a -DAX_FUZZ=ON build) for SECONDS (default 300) from its corpus
# into a scratch folder, then merge the old corpus and the new inputs with
# libFuzzer's -merge=1 into a fresh folder (only inputs that add coverage
# are kept) and put that in place.  Files with a name (not the 40-hex
# SHA-1 libFuzzer gives) are regression inputs and seeds kept as they are.
# Commit the result.
set -eu
build=$1
secs=${2:-300}
shift 2 || shift $#
src=$(cd "$(dirname "$0")" && pwd)
names=${*:-$(ls "$src/corpus")}
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ANXIN_SOURCE="$src/../.."
for n in $names; do
  bin=$(find "$build" -name "fuzz_$n" -type f -perm -u+x | head -n 1)
  [ -n "$bin" ] || { echo "fuzz_$n not built in $build" >&2; exit 1; }
  # the input bound of tests/CMakeLists.txt's ax_fuzz() calls
  case $n in roster|visits) ml=600 ;; *) ml=0 ;; esac
  grown=$(mktemp -d) min=$(mktemp -d)
  cp "$src/corpus/$n"/* "$grown/"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=$ml "$grown" > "$grown.log" 2>&1 ||
    { tail -n 30 "$grown.log"; echo "fuzz_$n failed: input kept in $grown" >&2; exit 1; }
  "$bin" -merge=1 -max_len=$ml "$min" "$src/corpus/$n" "$grown" > "$min.log" 2>&1 || { cat "$min.log"; exit 1; }
  before=$(ls "$src/corpus/$n" | wc -l)
  find "$src/corpus/$n" -type f | grep -E '/[0-9a-f]{40}$' | xargs -r rm -f
  cp -n "$min"/* "$src/corpus/$n/"
  echo "$n: $before -> $(ls "$src/corpus/$n" | wc -l) files, $(du -sk "$src/corpus/$n" | cut -f1) KiB"
  rm -rf "$grown" "$min" "$grown.log" "$min.log"
done
