#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# daemon.sh -- the daemon benchmark: vetd and a bare ZeroMQ echo server, driven
# by the same load generator in the same run, rounds alternating; prints the
# medians and the ratios to the echo baseline. Targets are reported, never
# asserted; a missing reply (or an error reply) fails the run loudly.
#
# usage: bench/daemon.sh BUILD_DIR BIN_DIR
#   needs BUILD_DIR/bench/loadgen, BUILD_DIR/bench/echo and BIN_DIR/vetd.
# environment (defaults): ROUNDS (5), N_PIPE (100000), N_SYNC (20000),
#   INFLIGHT (256), WORKERS (vetd's own default), REQUESTS
#   (bench/requests-exact.jsonl), RULES (rules/ next to bench/), VERBOSE (0:
#   1 prints every loadgen result line).
set -eu
# vetd refuses to serve as root unless told (docs/SECURITY.md).
ROOT_OK=""
[ "$(id -u)" = 0 ] && ROOT_OK="--allow-root"

if [ $# -ne 2 ]; then
    echo "usage: bench/daemon.sh BUILD_DIR BIN_DIR" >&2
    exit 2
fi
B=$1
BIN=$2
here=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME="daemon bench"
. "$here/lib.sh"
N_PIPE=${N_PIPE:-100000}
N_SYNC=${N_SYNC:-20000}
ECHO=$B/bench/echo
bench_common "$ECHO"

tmp=$(mktemp -d /tmp/vetd-bench.XXXXXX)
pids=""

cleanup() {
    for p in $pids; do
        stop "$p" || true
    done
    pids=""
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
    echo "daemon bench: FAILED: $*" >&2
    for log in "$tmp"/echo.log "$tmp"/vetd.log; do
        if [ -s "$log" ]; then
            echo "--- last lines of $(basename "$log")" >&2
            tail -n 20 "$log" >&2
        fi
    done
    exit 1
}

random_port() {
    v=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
    echo $((20000 + v % 40000))
}

# launch NAME: starts the echo server or vetd on a free loopback port and
# waits until it answers a request; sets ep_NAME and pid_NAME. A server that
# dies with "in use" on its log lost the port: another one is tried.
launch() {
    name=$1
    try=0
    while [ $try -lt 10 ]; do
        try=$((try + 1))
        ep=tcp://127.0.0.1:$(random_port)
        case $name in
        echo) "$ECHO" "$ep" >"$tmp/echo.log" 2>&1 & ;;
        echopad) "$ECHO" -p "$PAD" "$ep" >"$tmp/echopad.log" 2>&1 & ;;
        vetd) "$VETD" -r "$RULES" -e "$ep" -a - ${WORKERS:+-w "$WORKERS"} $ROOT_OK >"$tmp/vetd.log" 2>&1 & ;;
        esac
        pid=$!
        pids="$pids $pid"
        n=0
        while [ $n -lt 100 ] && alive "$pid"; do
            if "$LOADGEN" -e "$ep" -n 1 -w 0 -t 0.1 "$REQUESTS" >/dev/null 2>&1; then
                eval "ep_$name=\$ep; pid_$name=\$pid"
                return 0
            fi
            n=$((n + 1))
        done
        if alive "$pid"; then
            fail "$name at $ep did not answer within 10 s"
        fi
        wait "$pid" 2>/dev/null || true
        pids=$(echo "$pids" | sed "s/ $pid\$//; s/ $pid / /")
        grep -qi 'in use' "$tmp/$name.log" || fail "$name did not start at $ep"
    done
    fail "$name: no free port found in 10 tries"
}

# field NAME LINE: the value of NAME=VALUE in a loadgen result line, unit dropped.
field() {
    echo "$2" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"
}

# measure NAME MODE LOADGEN-ARGS...: one loadgen run against server NAME;
# appends rate / p50 / p99 to $tmp/NAME.MODE.{rate,p50,p99}.
measure() {
    name=$1
    mode=$2
    shift 2
    eval "ep=\$ep_$name; pid=\$pid_$name"
    st=0
    out=$("$LOADGEN" -e "$ep" "$@" "$REQUESTS" 2>"$tmp/loadgen.err") || st=$?
    [ "$VERBOSE" = 1 ] && echo "  $name $out"
    if [ $st -ne 0 ]; then
        cat "$tmp/loadgen.err" >&2
        fail "$name $mode: loadgen exited $st (missing replies?): $out"
    fi
    alive "$pid" || fail "$name died during the $mode run"
    errors=$(field errors "$out")
    [ "$errors" = 0 ] || fail "$name $mode: $errors error replies: $out"
    field rate "$out" >>"$tmp/$name.$mode.rate"
    field p50 "$out" >>"$tmp/$name.$mode.p50"
    field p99 "$out" >>"$tmp/$name.$mode.p99"
}

# The second baseline pads each echoed reply to the mean size of vetd's
# replies to the same requests (vetd answers ~8x more bytes than it gets).
if [ -z "${PAD:-}" ]; then
    total=0; count=0
    while IFS= read -r line; do
        n=$(printf '%s' "$line" | "$VETD" --screen -r "$RULES" | wc -c)
        total=$((total + n)); count=$((count + 1))
    done <"$REQUESTS"
    PAD=$((total / count))
fi

launch echo
launch echopad
launch vetd
[ "$VERBOSE" = 1 ] && echo "echo at $ep_echo, vetd at $ep_vetd"

r=0
while [ $r -lt "$ROUNDS" ]; do
    r=$((r + 1))
    measure echo pipe -n "$N_PIPE" -c "$INFLIGHT"
    measure echopad pipe -n "$N_PIPE" -c "$INFLIGHT"
    measure vetd pipe -n "$N_PIPE" -c "$INFLIGHT"
    measure echo sync -s -n "$N_SYNC"
    measure echopad sync -s -n "$N_SYNC"
    measure vetd sync -s -n "$N_SYNC"
done

# Stop both now, so an unclean vetd exit fails the run.
for name in echo echopad vetd; do
    eval "pid=\$pid_$name"
    st=0
    stop "$pid" || st=$?
    pids=$(echo "$pids" | sed "s/ $pid\$//; s/ $pid / /")
    [ $st -eq 0 ] || fail "$name exited $st on SIGTERM"
done

e_rate=$(median "$tmp/echo.pipe.rate")
p_rate=$(median "$tmp/echopad.pipe.rate")
v_rate=$(median "$tmp/vetd.pipe.rate")
e_p50=$(median "$tmp/echo.sync.p50")
p_p50=$(median "$tmp/echopad.sync.p50")
v_p50=$(median "$tmp/vetd.sync.p50")
e_p99=$(median "$tmp/echo.sync.p99")
p_p99=$(median "$tmp/echopad.sync.p99")
v_p99=$(median "$tmp/vetd.sync.p99")

echo "daemon bench (median of $ROUNDS rounds, $N_PIPE requests pipelined ($INFLIGHT in flight), $N_SYNC sync, tcp loopback, $(basename "$REQUESTS"))"
awk -v er="$e_rate" -v pr="$p_rate" -v vr="$v_rate" -v e50="$e_p50" -v p50="$p_p50" \
    -v v50="$v_p50" -v e99="$e_p99" -v p99="$p_p99" -v v99="$v_p99" -v pad="$PAD" 'BEGIN {
    printf "  echo            pipelined %7.0f msg/s   sync p50 %5.0f us p99 %5.0f us\n", er, e50, e99
    printf "  echo, %5d B   pipelined %7.0f msg/s   sync p50 %5.0f us p99 %5.0f us\n", pad, pr, p50, p99
    printf "  vetd            pipelined %7.0f msg/s   sync p50 %5.0f us p99 %5.0f us\n", vr, v50, v99
    tr = er > 0 ? vr / er : 0; lr = e99 > 0 ? v99 / e99 : 0
    tp = pr > 0 ? vr / pr : 0; lp = p99 > 0 ? v99 / p99 : 0
    printf "  vs echo:              throughput %.2f (target >= 0.40: %s), sync p99 %.2f (target <= 2: %s)\n",
        tr, (tr >= 0.40 ? "met" : "MISSED"), lr, (lr <= 2 ? "met" : "MISSED")
    printf "  vs reply-sized echo:  throughput %.2f (target >= 0.40: %s), sync p99 %.2f (target <= 2: %s)\n",
        tp, (tp >= 0.40 ? "met" : "MISSED"), lp, (lp <= 2 ? "met" : "MISSED")
}'
