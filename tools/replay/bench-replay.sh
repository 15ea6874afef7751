#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# bench-replay.sh -- how fast does vet-replay re-screen an audit log? A
# real vetd serving the ruleset writes the audit records of the real
# request shapes of bench/requests-mixed.jsonl and requests-exact.jsonl
# (sent with `vet batch`); those records are repeated, each with an id of
# its own, to N lines (plus an admin op and an error record every 1000,
# as a real log has); vet-replay then re-screens the log under the same
# ruleset on every core. Prints its report's rate line ("replayed N
# requests in S s: R requests/s") and the wall time; fails loudly if a
# verdict changed (the same ruleset must give the same verdicts) or a
# record was not replayed.
#
# usage: tools/replay/bench-replay.sh BUILD_DIR BIN_DIR
#   needs BIN_DIR/vetd, BIN_DIR/vet and BIN_DIR/vet-replay.
# environment (defaults): N (1000000), RULES (rules/), JOBS (one per core),
#   KEEP (0; 1 keeps the generated log in $TMPDIR and says where).
set -eu
# vetd refuses to serve as root unless told (docs/SECURITY.md).
ROOT_OK=""
[ "$(id -u)" = 0 ] && ROOT_OK="--allow-root"

if [ $# -ne 2 ]; then
    echo "usage: tools/replay/bench-replay.sh BUILD_DIR BIN_DIR" >&2
    exit 2
fi
BIN=$2
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
N=${N:-1000000}
RULES=${RULES:-$top/rules}
JOBS=${JOBS:-}
KEEP=${KEEP:-0}
for f in "$BIN/vetd" "$BIN/vet" "$BIN/vet-replay"; do
    [ -x "$f" ] || { echo "replay bench: $f not found (build it first)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/vetd-bench-replay.XXXXXX)
vetd_pid=""
cleanup() {
    if [ -n "$vetd_pid" ]; then
        kill -TERM "$vetd_pid" 2>/dev/null || true
        wait "$vetd_pid" 2>/dev/null || true
    fi
    [ "$KEEP" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
fail() {
    echo "replay bench: FAILED: $*" >&2
    [ -s "$tmp/vetd.log" ] && tail -n 20 "$tmp/vetd.log" >&2
    exit 1
}

# The seed: the daemon's own audit records of the real request shapes.
ep=ipc://$tmp/vetd.sock
"$BIN/vetd" -r "$RULES" -e "$ep" -a "$tmp/seed.jsonl" $ROOT_OK >"$tmp/vetd.log" 2>&1 &
vetd_pid=$!
n=0
until "$BIN/vet" -e "$ep" -t 200 ping >/dev/null 2>&1; do
    n=$((n + 1))
    [ $n -lt 300 ] || fail "vetd did not start"
    sleep 0.1
done
cat "$top/bench/requests-mixed.jsonl" "$top/bench/requests-exact.jsonl" > "$tmp/shapes.jsonl"
st=0
"$BIN/vet" batch -e "$ep" "$tmp/shapes.jsonl" > /dev/null 2> "$tmp/batch.err" || st=$?
[ $st -lt 64 ] || fail "vet batch exited $st: $(head -c 500 "$tmp/batch.err")"
kill -TERM "$vetd_pid"
wait "$vetd_pid" || fail "vetd exited $?"
vetd_pid=""
grep '"op":"screen"' "$tmp/seed.jsonl" | grep '"verdict":' > "$tmp/screens.jsonl" || true
grep '"op":"ping"' "$tmp/seed.jsonl" | head -n 1 > "$tmp/admin.jsonl" || true
seeds=$(wc -l < "$tmp/screens.jsonl")
[ "$seeds" -gt 0 ] || fail "no screening record in the seed log"

# N records: the seeds in turn, each with its own id; every 1000th an
# admin op or an error record (skipped by the replay, as in a real log).
awk -v n="$N" -v admin="$(cat "$tmp/admin.jsonl")" '
    # Each seed cut once around its "id" members, so that a record costs
    # a join, not a regular expression (a million of those take minutes).
    {
        s = $0; k = 0
        while (match(s, /"id":"[^"]*"/)) {
            part[NR - 1, k++] = substr(s, 1, RSTART - 1)
            s = substr(s, RSTART + RLENGTH)
        }
        part[NR - 1, k] = s; np[NR - 1] = k
    }
    END {
        err = "{\"ts\":\"2026-12-01T00:00:00.000000Z\",\"peer\":\"127.0.0.1\",\"id\":null,\"bytes\":3,\"raw\":\"{,}\",\"error\":{\"code\":\"bad_request\",\"message\":\"invalid JSON at byte 1\"},\"ruleset\":null,\"latency_us\":5}"
        for (k = 0; k < n; k++) {
            if (k % 1000 == 999) { print (k % 2000 == 999 && admin != "") ? admin : err; continue }
            i = k % NR; line = part[i, 0]
            for (j = 1; j <= np[i]; j++)
                line = line "\"id\":\"b-" k "\"" part[i, j]
            print line
        }
    }' "$tmp/screens.jsonl" > "$tmp/audit.jsonl"
bytes=$(wc -c < "$tmp/audit.jsonl")

t0=$(date +%s%N)
st=0
"$BIN/vet-replay" --audit "$tmp/audit.jsonl" --rules "$RULES" ${JOBS:+-j "$JOBS"} \
    > "$tmp/report.txt" 2> "$tmp/replay.err" || st=$?
t1=$(date +%s%N)
[ $st -eq 0 ] || fail "vet-replay exited $st: $(head -c 2000 "$tmp/replay.err") $(head -c 2000 "$tmp/report.txt")"
changed=$(sed -n 's/^verdicts changed *\([0-9]*\).*/\1/p' "$tmp/report.txt")
replayed=$(sed -n 's/^replayed  *\([0-9]*\)  under.*/\1/p' "$tmp/report.txt")
[ "$changed" = 0 ] || fail "$changed verdicts changed under the same ruleset: $(cat "$tmp/report.txt")"
want=$((N - N / 1000))
[ "$replayed" = "$want" ] || fail "replayed $replayed of $want screening records: $(cat "$tmp/report.txt")"
echo "replay bench ($N audit records, $((bytes / 1048576)) MiB, $seeds request shapes, $(basename "$RULES"), ${JOBS:-$(nproc)} threads)"
echo "  $(tail -n 1 "$tmp/report.txt")"
awk -v ns=$((t1 - t0)) 'BEGIN { printf "  wall time with the ruleset load: %.1f s\n", ns / 1e9 }'
[ "$KEEP" = 1 ] && echo "  kept: $tmp/audit.jsonl"
exit 0
