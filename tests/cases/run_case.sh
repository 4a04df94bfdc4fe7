#!/bin/sh
# run_case.sh CASE ANXIN -- run one golden case.
#
# A case file is a list of sections, each starting with a line
#   --- file PATH        the lines that follow are written to PATH
#   --- run              shell commands; $ANXIN is the anxin binary
#   --- expect-stdout    exact stdout of the run section
#   --- expect-stderr    exact stderr of the run section
#   --- expect-exit      exit status of the last command (default 0)
# Lines before the first section are a description.  Commands run in a
# fresh temporary folder, with TZ=Asia/Shanghai.  A section ending in a
# line "--- end" allows trailing blank lines in files.
set -u
case_file=$1
ANXIN=$2
export ANXIN TZ=Asia/Shanghai LC_ALL=C.UTF-8
# MKXLSX (set by ctest): writes a workbook from text, see tests/tools/mkxlsx.c
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# split the case into files under $work/.case/
mkdir -p "$work/.case"
awk -v dir="$work" '
  /^--- / {
    if (out != "") close(out)
    kind = $2
    if (kind == "file") { out = dir "/" $3; system("mkdir -p \"$(dirname \"" out "\")\""); printf "" > out }
    else if (kind == "end") { out = "" }
    else { out = dir "/.case/" kind; printf "" > out }
    next
  }
  out != "" { print >> out }
' "$case_file"

cd "$work" || exit 2
[ -f .case/run ] || { echo "$case_file: no --- run section" >&2; exit 2; }
sh -e .case/run > .case/stdout 2> .case/stderr
rc=$?
want_rc=0
[ -f .case/expect-exit ] && want_rc=$(tr -d ' \n' < .case/expect-exit)
fail=0
if [ "$rc" != "$want_rc" ]; then
  echo "exit status $rc, expected $want_rc" >&2
  fail=1
fi
for s in stdout stderr; do
  if [ -f ".case/expect-$s" ]; then
    if ! diff -u ".case/expect-$s" ".case/$s" >&2; then
      echo "$s differs (--- expected, +++ actual)" >&2
      fail=1
    fi
  fi
done
if [ $fail = 1 ]; then
  echo "--- stderr was:" >&2
  cat .case/stderr >&2
fi
exit $fail
