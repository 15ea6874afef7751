# SPDX-License-Identifier: Apache-2.0
# lib.sh -- what the benchmark scripts share: watching and stopping the
# processes they start, and medians. Sourced; $BENCH_NAME prefixes messages.

# True while process $1 runs (a zombie, exited but not yet waited for, is gone).
alive() {
    s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
    case $s in Z*) return 1 ;; esac
    return 0
}

# SIGTERM, up to 10 s to exit cleanly, then SIGKILL. Returns its exit status.
stop() {
    kill -TERM "$1" 2>/dev/null || true
    n=0
    while alive "$1" && [ $n -lt 100 ]; do
        sleep 0.1
        n=$((n + 1))
    done
    if alive "$1"; then
        echo "$BENCH_NAME: process $1 ignored SIGTERM for 10 s, killing it" >&2
        kill -KILL "$1" 2>/dev/null || true
    fi
    st=0
    wait "$1" 2>/dev/null || st=$?
    return $st
}

# The median of the numbers in file $1, one per line.
median() {
    sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# The settings both daemon benchmarks share, from the environment (see
# each script's header), and the checks that their inputs exist:
#   bench_common TOOL...   (each TOOL must be an executable file)
bench_common() {
    ROUNDS=${ROUNDS:-5}
    INFLIGHT=${INFLIGHT:-256}
    WORKERS=${WORKERS:-}
    REQUESTS=${REQUESTS:-$here/requests-exact.jsonl}
    RULES=${RULES:-$here/../rules}
    VERBOSE=${VERBOSE:-0}
    LOADGEN=$B/bench/loadgen
    VETD=$BIN/vetd
    for f in "$LOADGEN" "$VETD" "$@"; do
        [ -x "$f" ] || { echo "$BENCH_NAME: $f not found (build it first)" >&2; exit 1; }
    done
    [ -r "$REQUESTS" ] || { echo "$BENCH_NAME: $REQUESTS not readable" >&2; exit 1; }
    [ -d "$RULES" ] || { echo "$BENCH_NAME: $RULES: no ruleset directory" >&2; exit 1; }
}
