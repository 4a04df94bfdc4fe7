#!/bin/sh
# declared.sh FLAVOUR -- the names of the tests the source tree declares for
# a build flavour (r release, a ASan+UBSan, f fuzz, t ThreadSanitizer), one
# a line, sorted: tests/declared.txt's names for that flavour, and one test
# per file of the globbed folders (unit tests, golden cases, kiosk line
# breaking cases) in release and ASan builds.
set -eu
fl=$1
T=$(cd "$(dirname "$0")" && pwd)
{
  grep -v '^#' "$T/declared.txt" | awk -v f="$fl" 'NF == 2 && index($1, f) { print $2 }'
  case $fl in r|a)
    for f in "$T"/unit/test_*.c; do n=${f##*/test_}; echo "unit.${n%.c}"; done
    (cd "$T/cases" && find . -name '*.case') | sed 's|^\./||; s|\.case$||; s|/|.|g; s|^|case.|'
    for f in "$T"/kiosk/wrap/*.case; do n=${f##*/}; echo "kiosk.wrap.${n%.case}"; done
    ;;
  esac
} | sort
