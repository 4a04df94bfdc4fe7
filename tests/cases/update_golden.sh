#!/bin/sh
# update_golden.sh CASE ANXIN -- rewrite the expect-stdout section of a
# case with what the program prints now.  A developer tool: read the diff
# (git diff) before committing, a golden file is only as good as its
# review.
set -eu
case_file=$1
ANXIN=$2
export ANXIN TZ=Asia/Shanghai LC_ALL=C.UTF-8
export ANXIN_SOURCE=${ANXIN_SOURCE:-$(cd "$(dirname "$0")/../.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/.case"
awk -v dir="$work" '
  /^--- / { if (out != "") close(out); kind = $2
    if (kind == "file") { out = dir "/" $3; system("mkdir -p \"$(dirname \"" out "\")\""); printf "" > out }
    else if (kind == "end") { out = "" } else { out = dir "/.case/" kind; printf "" > out }
    next }
  out != "" { print >> out }' "$case_file"
(cd "$work" && sh -e .case/run > .case/stdout 2> .case/stderr) || true
awk -v new="$work/.case/stdout" '
  /^--- / { skipping = ($2 == "expect-stdout") ; print
    if (skipping) { while ((getline line < new) > 0) print line }
    next }
  !skipping { print }' "$case_file" > "$work/updated"
cp "$work/updated" "$case_file"
