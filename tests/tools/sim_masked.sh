#!/bin/sh
# tools.resident_sim.masked -- a simulated resident cannot answer a masked
# number (the sent log masks them unless sent_log_numbers = full, 9179fa5):
# resident_sim must stop with exit 2 naming the file, line and setting, not
# run on as a village that never replies (the demo did, from 9179fa5 on:
# 126 sent, 0 replied in its first two minutes).
# usage: sim_masked.sh RESIDENT_SIM
set -u
SIM=$1
T=$(mktemp -d /tmp/anxin-sim-masked-XXXXXX)
trap 'rm -rf "$T"' EXIT
mkdir "$T/inbox"
printf '%s\n' '{"at":"2026-12-05T08:00:00+08:00","phone":"+8613800138000","kind":"intro","ref":1,"parts":1,"text":"回复1知道 2不知道"}' \
	'{"at":"2026-12-05T08:00:01+08:00","phone":"138****8001","kind":"intro","ref":2,"parts":1,"text":"回复1知道 2不知道"}' > "$T/sent.jsonl"
rc=0
"$SIM" --sent-log "$T/sent.jsonl" --inbox "$T/inbox" --seed 1 --once 2> "$T/err" || rc=$?
cat "$T/err"
[ "$rc" -eq 2 ] || { echo "FAIL: exit $rc, expected 2"; exit 1; }
grep -q "sent.jsonl:2: phone \"138\*\*\*\*8001\" is masked; run the gateway with sent_log_numbers = full" "$T/err" ||
	{ echo "FAIL: no message naming line 2 and sent_log_numbers"; exit 1; }
echo "ok: masked number refused at line 2"
