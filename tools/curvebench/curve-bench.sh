#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# What CURVE costs, in the same run: two vetd on loopback TCP serving the
# same ruleset, one plain and one with CURVE, measured by curvebench with
# the same requests; prints each line and the ratios (CURVE / plain).
#   sh tools/curvebench/curve-bench.sh BUILD_DIR BIN_DIR [RULES] [REQUESTS]
B=${1:-build}
BIN=${2:-bin}
RULES=${3:-rules}
REQS=${4:-bench/requests-mixed.jsonl}
N=${CURVE_BENCH_N:-2000}
tmp=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    for p in $pids; do wait "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

mkdir "$tmp/clients"
"$BIN/vetd" keygen "$tmp/server" >/dev/null &&
    "$BIN/vetd" keygen "$tmp/client" >/dev/null &&
    cp "$tmp/client" "$tmp/clients/" || exit 1
root=""
[ "$(id -u)" = 0 ] && root="--allow-root"
"$BIN/vetd" -r "$RULES" -e tcp://127.0.0.1:7491 -a - --reviews - -w 2 $root \
    2>"$tmp/plain.log" &
pids="$pids $!"
"$BIN/vetd" -r "$RULES" -e tcp://127.0.0.1:7492 -a - --reviews - -w 2 $root \
    --curve-secret "$tmp/server_secret" --curve-clients "$tmp/clients" 2>"$tmp/curve.log" &
pids="$pids $!"

# Up when one ping is answered (each with its own keys).
wait_up() {
    i=0
    while [ $i -lt 600 ]; do
        "$BIN/vet" -e "$1" -t 200 ping >/dev/null 2>&1 && return 0
        i=$((i + 1))
    done
    echo "curve-bench: vetd at $1 did not come up"; cat "$tmp"/*.log
    exit 1
}
wait_up tcp://127.0.0.1:7491
VET_SERVER_KEY="$tmp/server" VET_CLIENT_KEY="$tmp/client_secret" wait_up tcp://127.0.0.1:7492

plain=$("$B/tools/curvebench/curvebench" -e tcp://127.0.0.1:7491 -n "$N" "$REQS") || exit 1
curve=$(VET_SERVER_KEY="$tmp/server" VET_CLIENT_KEY="$tmp/client_secret" \
    "$B/tools/curvebench/curvebench" -e tcp://127.0.0.1:7492 -n "$N" "$REQS") || exit 1
echo "plain $plain"
echo "curve $curve"
# field NAME LINE: the number after NAME= in LINE.
field() { echo "$2" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
for k in connect_p50 sync_p50 sync_p99 pipelined; do
    p=$(field $k "$plain")
    c=$(field $k "$curve")
    awk -v k=$k -v p="$p" -v c="$c" 'BEGIN { printf "curve/plain %s: %.2f (%s vs %s)\n", k, c / p, c, p }'
done
