#!/bin/sh
# deploy.backup -- deploy/anxin-backup, the script anxin-backup.service runs,
# on a real store while another process writes to it, and the restore
# procedure of docs/operations.md.
#
#   backup.sh SOURCE_DIR WORK_DIR ANXIN
#
# - the copy is taken while `anxin records import` commits a batch: the
#   copy's report equals the store's report either before or after that
#   batch (a consistent snapshot, never half a batch), passes quick_check,
#   has the store's schema version and is mode 600;
# - restore as documented (replace the file, remove stale -wal/-shm) gives
#   a store that opens and reports exactly what the copy held;
# - copies older than ANXIN_BACKUP_KEEP days are removed, newer ones kept;
# - a missing store is exit 3 and leaves no copy; a bad KEEP is exit 2.
# Exit 77 (skipped) without the sqlite3 command-line program.
set -eu
src=$1 work=$2 anxin=$3
script=$src/deploy/anxin-backup
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v sqlite3 > /dev/null 2>&1 || { echo "skip: sqlite3 is not installed"; exit 77; }
rm -rf "$work"
mkdir -p "$work/backups"
db=$work/central.db
report() { "$anxin" report --db "$1" --depth 2 --format csv; }

"$anxin" init --db "$db" > /dev/null
"$anxin" roster import --db "$db" --county-name 江州县 "$src/content/demo/jiangzhou-roster.csv" > /dev/null 2>&1
"$anxin" content install --db "$db" "$src/content" > /dev/null
"$anxin" records demo --db "$db" --count 300 --seed 11 > "$work/a.jsonl"
"$anxin" records demo --db "$db" --count 20000 --seed 12 --start 2026-03-01 > "$work/b.jsonl"
"$anxin" records import --db "$db" "$work/a.jsonl" > /dev/null 2>&1
report "$db" > "$work/before.csv"

# a writer commits 20,000 records while the backup runs
"$anxin" records import --db "$db" "$work/b.jsonl" > "$work/import.log" 2>&1 &
writer=$!
ANXIN_BACKUP_KEEP=14 sh "$script" "$db" "$work/backups" > "$work/backup.log" 2>&1 || {
	cat "$work/backup.log" >&2; wait $writer || true; fail "anxin-backup failed"; }
wait $writer || fail "the concurrent import failed: $(cat "$work/import.log")"
report "$db" > "$work/after.csv"
cat "$work/backup.log"
cmp -s "$work/before.csv" "$work/after.csv" && fail "the second batch changed nothing: the test proves nothing"

set -- "$work"/backups/central-*.db
[ $# -eq 1 ] && [ -f "$1" ] || fail "expected one copy, found: $*"
copy=$1
ls "$work"/backups/*.part > /dev/null 2>&1 && fail "a .part file was left behind"
mode=$(stat -c %a "$copy")
[ "$mode" = 600 ] || fail "$copy has mode $mode, not 600 (it holds phone numbers and keys)"
[ "$(sqlite3 "$copy" 'PRAGMA quick_check;')" = ok ] || fail "$copy fails quick_check"
[ "$(sqlite3 "$copy" 'PRAGMA user_version;')" = "$(sqlite3 "$db" 'PRAGMA user_version;')" ] ||
	fail "the copy's schema version differs from the store's"
report "$copy" > "$work/copy.csv"
if cmp -s "$work/copy.csv" "$work/before.csv"; then
	echo "ok: the copy is the store before the concurrent batch"
elif cmp -s "$work/copy.csv" "$work/after.csv"; then
	echo "ok: the copy is the store after the concurrent batch"
else
	diff "$work/before.csv" "$work/copy.csv" | head -20 >&2
	fail "the copy is neither before nor after the batch: not a consistent snapshot"
fi

# restore as the guide says: service stopped, file replaced, -wal/-shm removed
cp "$copy" "$db.new"
mv "$db.new" "$db"
rm -f "$db-wal" "$db-shm"
"$anxin" init --db "$db" > /dev/null || fail "the restored store does not open"
report "$db" > "$work/restored.csv"
cmp -s "$work/restored.csv" "$work/copy.csv" || fail "the restored store reports differently from the copy"
echo "ok: restore (replace, remove -wal/-shm) gives back exactly the copy"

# retention
touch -d '20 days ago' "$work/backups/central-20000101-000000.db"
touch -d '2 days ago' "$work/backups/central-20000102-000000.db"
ANXIN_BACKUP_KEEP=14 sh "$script" "$db" "$work/backups" > "$work/backup2.log" 2>&1 ||
	fail "second backup failed: $(cat "$work/backup2.log")"
[ ! -e "$work/backups/central-20000101-000000.db" ] || fail "a 20-day-old copy was kept with KEEP=14"
[ -e "$work/backups/central-20000102-000000.db" ] || fail "a 2-day-old copy was removed with KEEP=14"
echo "ok: copies older than ANXIN_BACKUP_KEEP days are removed, newer ones kept"

# failures
rc=0
sh "$script" "$work/missing.db" "$work/backups" > /dev/null 2>&1 || rc=$?
[ $rc -eq 3 ] || fail "a missing store gave exit $rc, not 3"
ls "$work"/backups/missing-* > /dev/null 2>&1 && fail "a copy of a missing store appeared"
rc=0
ANXIN_BACKUP_KEEP=two sh "$script" "$db" "$work/backups" > /dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] || fail "ANXIN_BACKUP_KEEP=two gave exit $rc, not 2"
echo "ok: a missing store is exit 3 and leaves nothing; a bad KEEP is exit 2"
echo "deploy.backup: all checks passed"
