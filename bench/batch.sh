#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# batch.sh -- does `vet batch` keep pace with the daemon? One vetd, driven
# in the same run, rounds alternating, by bench/loadgen's pipelined mode and
# by `vet batch` over the same requests (bench/requests-exact.jsonl repeated
# to N lines, output written to a file); prints the medians and the ratio
# batch/loadgen (target >= 0.80). Targets are reported, never asserted; a
# failed run (missing replies, a record in error) fails loudly.
#
# usage: bench/batch.sh BUILD_DIR BIN_DIR
#   needs BUILD_DIR/bench/loadgen, BIN_DIR/vetd and BIN_DIR/vet.
# environment (defaults): ROUNDS (5), N (100000), INFLIGHT (256), WORKERS
#   (vetd's own default), REQUESTS (bench/requests-exact.jsonl), RULES
#   (rules/ next to bench/), VET (BIN_DIR/vet), OUT (a file in a temporary
#   directory; /dev/null leaves out the cost of storing 1.7 KB per reply),
#   VERBOSE (0).
set -eu
# vetd refuses to serve as root unless told (docs/SECURITY.md).
ROOT_OK=""
[ "$(id -u)" = 0 ] && ROOT_OK="--allow-root"

if [ $# -ne 2 ]; then
    echo "usage: bench/batch.sh BUILD_DIR BIN_DIR" >&2
    exit 2
fi
B=$1
BIN=$2
here=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME="batch bench"
. "$here/lib.sh"
N=${N:-100000}
VET=${VET:-$BIN/vet}
OUT=${OUT:-}
bench_common "$VET"

tmp=$(mktemp -d /tmp/vetd-bench-batch.XXXXXX)
vetd_pid=""

cleanup() {
    [ -n "$vetd_pid" ] && { stop "$vetd_pid" || true; }
    vetd_pid=""
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
    echo "batch bench: FAILED: $*" >&2
    [ -s "$tmp/vetd.log" ] && tail -n 20 "$tmp/vetd.log" >&2
    exit 1
}

# The same requests for both: the file repeated to N lines.
reps=$(( (N + $(wc -l < "$REQUESTS") - 1) / $(wc -l < "$REQUESTS") ))
i=0
while [ $i -lt "$reps" ]; do cat "$REQUESTS"; i=$((i + 1)); done | head -n "$N" > "$tmp/in.jsonl"

ep=ipc://$tmp/vetd.sock
"$VETD" -r "$RULES" -e "$ep" -a - ${WORKERS:+-w "$WORKERS"} $ROOT_OK >"$tmp/vetd.log" 2>&1 &
vetd_pid=$!
n=0
until "$LOADGEN" -e "$ep" -n 1 -w 0 -t 0.1 "$REQUESTS" >/dev/null 2>&1; do
    n=$((n + 1))
    alive "$vetd_pid" && [ $n -lt 100 ] || fail "vetd did not start"
done

now_ns() { date +%s%N; }

r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    st=0
    out=$("$LOADGEN" -e "$ep" -n "$N" -c "$INFLIGHT" "$REQUESTS" 2>"$tmp/loadgen.err") || st=$?
    [ "$VERBOSE" = 1 ] && echo "  round $r $out"
    [ $st -eq 0 ] || fail "loadgen exited $st: $out $(cat "$tmp/loadgen.err")"
    echo "$out" | sed -n 's/.* rate=\([0-9.]*\).*/\1/p' >>"$tmp/loadgen.rate"

    t0=$(now_ns)
    st=0
    "$VET" batch -e "$ep" --inflight "$INFLIGHT" "$tmp/in.jsonl" >"${OUT:-$tmp/out.jsonl}" 2>"$tmp/vet.err" || st=$?
    t1=$(now_ns)
    # Verdicts exit 0, 10 or 20; 64 and above mean a record failed.
    [ $st -lt 64 ] || fail "vet batch exited $st: $(head -c 500 "$tmp/vet.err")"
    if [ -z "$OUT" ]; then
        lines=$(wc -l < "$tmp/out.jsonl")
        [ "$lines" -eq "$N" ] || fail "vet batch wrote $lines lines for $N records"
    fi
    rate=$(awk -v n="$N" -v ns=$((t1 - t0)) 'BEGIN { printf "%.0f", n / (ns / 1e9) }')
    [ "$VERBOSE" = 1 ] && echo "  round $r vet batch: $N records in $(( (t1 - t0) / 1000000 )) ms, $rate/s"
    echo "$rate" >>"$tmp/batch.rate"
    alive "$vetd_pid" || fail "vetd died"
done

l=$(median "$tmp/loadgen.rate")
b=$(median "$tmp/batch.rate")
echo "batch bench (median of $ROUNDS rounds, $N requests, $INFLIGHT in flight, ipc, $(basename "$REQUESTS"), output to ${OUT:-a file})"
awk -v l="$l" -v b="$b" 'BEGIN {
    printf "  loadgen pipelined  %7.0f msg/s\n", l
    printf "  vet batch          %7.0f records/s (whole run: start, read, write)\n", b
    r = l > 0 ? b / l : 0
    printf "  batch/loadgen      %.2f (target >= 0.80: %s)\n", r, (r >= 0.80 ? "met" : "MISSED")
}'
