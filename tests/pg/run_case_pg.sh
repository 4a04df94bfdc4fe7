#!/bin/sh
# run_case_pg.sh CASE ANXIN URLFILE DBNAME -- a golden case (run_case.sh)
# on PostgreSQL: the same run section, expected output and exit, with the
# case's store moved into a database DBNAME of its own on the `pg`
# fixture's cluster (its URL in URLFILE).
#
# The case's `anxin` is a wrapper: a command that sets a county up
# (init, roster, regions, content, user, device) runs on the case's SQLite
# file while nothing else has touched it; the first other command copies
# the file into the fresh database (anxin store copy) and it and every
# later command get `--db URL` instead of `--db FILE`.  So a case whose
# setup comes first runs its campaigns, imports and reports on
# PostgreSQL, and prints what the SQLite run printed -- what the case
# expects, worked out by hand.  The case's own sqlite3 queries on its
# store read a snapshot of the database (below).
set -u
CASE=$1
ANXIN_REAL=$2
base=$(cat "$3")
DBNAME=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
PGOPTIONS="-c client_min_messages=warning" psql -q "$base" \
  -c "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" || exit 1

cat > "$work/anxin" <<EOF
#!/bin/sh
# a case's anxin, its store on PostgreSQL after the set-up (run_case_pg.sh)
real='$ANXIN_REAL'
url='${base%/*}/$DBNAME'
moved='$work/moved'
EOF
cat >> "$work/anxin" <<'EOF'
file=
prev=
for a in "$@"; do
  [ "$prev" = --db ] && file=$a
  prev=$a
done
case "$1" in init|roster|regions|content|user|device) setup=1 ;; *) setup=0 ;; esac
if [ -z "$file" ] || { [ $setup = 1 ] && [ ! -e "$moved" ]; }; then
  exec "$real" "$@"
fi
if [ ! -e "$moved" ]; then
  "$real" store copy --from "$file" --to "$url" > /dev/null || exit 99
  printf '%s\n' "$file" > "$moved"
fi
n=$#
prev=
while [ $n -gt 0 ]; do
  a=$1
  shift
  n=$((n - 1))
  [ "$prev" = --db ] && a=$url
  set -- "$@" "$a"
  prev=$a
done
exec "$real" "$@"
EOF
chmod +x "$work/anxin"

# The case's sqlite3, for a case that reads its store's raw rows: once
# the store has moved, the same query on a snapshot of the database taken
# just then (anxin store copy --from URL --to a new file), so the rows the
# case expects, worked out by hand, are checked against PostgreSQL's.
mkdir "$work/bin"
real_sqlite3=$(command -v sqlite3)
cat > "$work/bin/sqlite3" <<EOF
#!/bin/sh
real='$real_sqlite3'
real_anxin='$ANXIN_REAL'
url='${base%/*}/$DBNAME'
moved='$work/moved'
snap='$work/snap.db'
EOF
cat >> "$work/bin/sqlite3" <<'EOF'
if [ -e "$moved" ] && [ "$1" = "$(cat "$moved")" ]; then
  shift
  rm -f "$snap"
  "$real_anxin" store copy --from "$url" --to "$snap" > /dev/null || exit 99
  exec "$real" "$snap" "$@"
fi
exec "$real" "$@"
EOF
chmod +x "$work/bin/sqlite3"
PATH="$work/bin:$PATH" sh "$(dirname "$0")/../cases/run_case.sh" "$CASE" "$work/anxin"
rc=$?
[ -e "$work/moved" ] || { echo "the case never reached PostgreSQL" >&2; rc=1; }
exit $rc
