#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# scale.sh -- does vetd stay fast when the registry grows? Load time, memory and
# fuzzy-path latency (bench_scale) on the default ruleset and on synthetic
# registries of SCALE_BASE and SCALE_NAMES names (bench/gen_registry: names drawn
# from the token statistics of the real lists); then vetd serving the largest
# while it reloads it. Prints the figures, their ratios to the baselines of the
# same run (the default ruleset, the SCALE_BASE registry, the exact path, the
# latency before the reload) and the issue's targets beside them: reported,
# never asserted. A request that fails or gets no reply during the reload
# fails the run (that is a correctness check, not a timing).
#
# usage: bench/scale.sh BUILD_DIR BIN_DIR
#   needs BUILD_DIR/bench/{bench_scale,gen_registry,loadgen} and BIN_DIR/vetd.
# environment (defaults): SCALE_NAMES (1000000; 0 skips this benchmark),
#   SCALE_BASE (100000; 0: no middle size), SCALE_QUERIES (2000 a set),
#   SCALE_ROUNDS (5), SCALE_RELOAD (1; 0 skips the daemon part), SCALE_SEED (1),
#   VET_DATA (../shared/data), VERBOSE (0: 1 prints every loadgen line).
# The synthetic rulesets are written under BUILD_DIR/bench-scale/ (not in git).
set -eu
# vetd refuses to serve as root unless told (docs/SECURITY.md).
ROOT_OK=""
[ "$(id -u)" = 0 ] && ROOT_OK="--allow-root"

if [ $# -ne 2 ]; then
    echo "usage: bench/scale.sh BUILD_DIR BIN_DIR" >&2
    exit 2
fi
B=$1
BIN=$2
here=$(cd "$(dirname "$0")" && pwd)
BENCH_NAME="scale bench"
. "$here/lib.sh"
SCALE_NAMES=${SCALE_NAMES:-1000000}
SCALE_BASE=${SCALE_BASE:-100000}
SCALE_QUERIES=${SCALE_QUERIES:-2000}
SCALE_ROUNDS=${SCALE_ROUNDS:-5}
SCALE_RELOAD=${SCALE_RELOAD:-1}
SCALE_SEED=${SCALE_SEED:-1}
DATA=${VET_DATA:-../shared/data}
VERBOSE=${VERBOSE:-0}
RULES=$here/../rules
if [ "$SCALE_NAMES" = 0 ]; then
    echo "scale bench: skipped (SCALE_NAMES=0)"
    exit 0
fi
for f in "$B/bench/bench_scale" "$B/bench/gen_registry" "$B/bench/loadgen" "$BIN/vetd"; do
    [ -x "$f" ] || { echo "scale bench: $f not found (build it first)" >&2; exit 1; }
done

work=$B/bench-scale
tmp=$(mktemp -d /tmp/vetd-scale.XXXXXX)
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        stop "$pid" || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

fail() {
    echo "scale bench: FAILED: $*" >&2
    if [ -s "$tmp/vetd.log" ]; then
        echo "--- last lines of vetd.log" >&2
        tail -n 20 "$tmp/vetd.log" >&2
    fi
    exit 1
}

# synth N: the default ruleset plus N synthetic names, in $work/N; same seed,
# same files. Its tests/ is left empty: vetd's reload gate runs it, and
# rules/tests cases, written for rules/ alone, may meet a synthetic
# look-alike (the cases take well under a second to run either way).
synth() {
    d=$work/$1
    rm -rf "$d"
    mkdir -p "$d"
    cp -R "$RULES"/. "$d"/
    rm -rf "$d/tests"
    mkdir "$d/tests"
    "$B/bench/gen_registry" -s "$SCALE_SEED" "$DATA" "$1" "$d/registry" >"$tmp/gen.$1" 2>&1 ||
        { cat "$tmp/gen.$1" >&2; fail "gen_registry $1"; }
    sed 's/^gen_registry: /  generated: /' "$tmp/gen.$1"
}

# run LABEL DIR [ARGS...]: bench_scale on DIR; its RESULT line into $tmp/LABEL.
run() {
    label=$1
    dir=$2
    shift 2
    "$B/bench/bench_scale" -q "$SCALE_QUERIES" -r "$SCALE_ROUNDS" -l "$label" "$@" "$dir" \
        >"$tmp/out.$label" || { cat "$tmp/out.$label"; fail "bench_scale $label"; }
    grep -v '^RESULT ' "$tmp/out.$label"
    grep '^RESULT ' "$tmp/out.$label" | sed 's/^RESULT //' >"$tmp/$label"
}

# val LABEL KEY: a field of a RESULT line.
val() {
    tr ' ' '\n' <"$tmp/$1" | sed -n "s/^$2=//p"
}

echo "-- the default ruleset (rules/)"
run default "$RULES"
sizes="default"
if [ "$SCALE_BASE" != 0 ] && [ "$SCALE_BASE" -lt "$SCALE_NAMES" ]; then
    echo "-- rules/ + $SCALE_BASE synthetic names (bench/gen_registry, seed $SCALE_SEED)"
    synth "$SCALE_BASE"
    run base "$work/$SCALE_BASE"
    sizes="$sizes base"
fi
echo "-- rules/ + $SCALE_NAMES synthetic names"
synth "$SCALE_NAMES"
# -t 2: the index built again in one thread and over two lent to it
# (match_index_new_par), the ratio of the same run.
run full "$work/$SCALE_NAMES" -w "$tmp/requests.jsonl" -t 2
sizes="$sizes full"

echo
echo "scale summary (medians of $SCALE_ROUNDS rounds; targets reported, never asserted)"
echo "  (latencies in us; fuzzy: typos of listed names and innocent look-alikes, split into"
echo "  organisations' and individuals' names; screen: the same names as whole requests)"
printf '  %-8s %8s %7s %8s %8s %9s %9s %9s %9s %9s %9s\n' "" names "load s" "peak MiB" "RSS MiB" \
    "exact p99" "fuzzy p50" "fuzzy p99" "orgs p99" "indiv p99" "scrn p99"
for s in $sizes; do
    printf '  %-8s %8s %7s %8s %8s %9s %9s %9s %9s %9s %9s\n' "$s" "$(val "$s" names)" \
        "$(val "$s" load_s)" "$(val "$s" peak_mb)" "$(val "$s" rss_mb)" "$(val "$s" exact_p99)" \
        "$(val "$s" fuzzy_p50)" "$(val "$s" fuzzy_p99)" "$(val "$s" fuzzy_org_p99)" \
        "$(val "$s" fuzzy_person_p99)" "$(val "$s" screen_p99)"
done
awk -v n0="$(val default names)" -v n1="$(val full names)" -v l0="$(val default load_s)" \
    -v l1="$(val full load_s)" -v m1="$(val full peak_mb)" -v e1="$(val full exact_p50)" \
    -v f0="$(val default fuzzy_p99)" -v f1="$(val full fuzzy_p99)" \
    -v nb="$(val base names 2>/dev/null)" -v lb="$(val base load_s 2>/dev/null)" \
    -v mb="$(val base peak_mb 2>/dev/null)" -v fb="$(val base fuzzy_p99 2>/dev/null)" '
function ratio(a, b) { return b > 0 ? a / b : 0 }
function expo(ya, yb, xa, xb) { return (ya > 0 && yb > 0 && xa > 0 && xb > xa) ? log(yb / ya) / log(xb / xa) : 0 }
BEGIN {
    if (nb != "") {
        printf "  %s -> %s names (x%.1f): load x%.1f (exponent %.2f; 1.00 is linear), peak RSS x%.1f (exponent %.2f), fuzzy p99 x%.1f\n",
            nb, n1, ratio(n1, nb), ratio(l1, lb), expo(lb, l1, nb, n1), ratio(m1, mb), expo(mb, m1, nb, n1), ratio(f1, fb)
    }
    printf "  %s -> %s names (x%.0f): load x%.0f, fuzzy p99 x%.1f the default ruleset'"'"'s; fuzzy p99 x%.0f the exact path'"'"'s p50 at %s\n",
        n0, n1, ratio(n1, n0), ratio(l1, l0), ratio(f1, f0), ratio(f1, e1), n1
    printf "  issue 14 targets at %s names: load %.1f s (< 10 s: %s), peak RSS %.0f MiB (< 1024: %s), fuzzy p99 %.0f us (< 200: %s)\n",
        n1, l1, (l1 < 10 ? "met" : "MISSED"), m1, (m1 < 1024 ? "met" : "MISSED"), f1, (f1 < 200 ? "met" : "MISSED")
}'

if [ "$SCALE_RELOAD" = 0 ]; then
    exit 0
fi

# ---- vetd serving the largest ruleset while it reloads it ----------------
echo
echo "-- vetd on rules/ + $SCALE_NAMES names, reloaded (SIGHUP) while bench/loadgen drives it"
REQUESTS=$tmp/requests.jsonl
ep=ipc://$tmp/vetd.sock
"$BIN/vetd" -r "$work/$SCALE_NAMES" -e "$ep" -a - $ROOT_OK >"$tmp/vetd.log" 2>&1 &
pid=$!
t0=$(date +%s)
until "$B/bench/loadgen" -e "$ep" -n 1 -w 0 -t 1 "$REQUESTS" >/dev/null 2>&1; do
    alive "$pid" || fail "vetd exited while loading"
    [ $(($(date +%s) - t0)) -lt 1800 ] || fail "vetd did not answer within 30 minutes"
    sleep 1
done
start_ms=$(sed -n 's/.*ruleset .* loaded: .*, \([0-9.]*\) ms$/\1/p' "$tmp/vetd.log" | head -1)

# vm FIELD: vetd's VmHWM / VmRSS in MiB.
vm() {
    awk -v f="$1:" '$1 == f { printf "%.0f", $2 / 1024 }' "/proc/$pid/status"
}

# field NAME LINE: the value of NAME=VALUE in a loadgen result line, unit dropped.
field() {
    echo "$2" | sed -n "s/.* $1=\([0-9.]*\).*/\1/p"
}

# drive PHASE: one loadgen run, one request at a time for 2 s; appends its
# p50 / p99 to $tmp/PHASE.{p50,p99} and its counts to $tmp/PHASE.count.
drive() {
    st=0
    out=$("$B/bench/loadgen" -e "$ep" -s -n 10000000 -d 2 -w 50 -t 10 "$REQUESTS" 2>"$tmp/loadgen.err") ||
        st=$?
    [ "$VERBOSE" = 1 ] && echo "  $1: $out"
    sent=$(field sent "$out") replies=$(field replies "$out")
    errors=$(field errors "$out") missing=$(field missing "$out")
    echo "${sent:-0} ${replies:-0} ${errors:-0} ${missing:-0} $st" >>"$tmp/$1.count"
    if [ $st -ne 0 ]; then
        cat "$tmp/loadgen.err" >&2
        echo "scale bench: loadgen exited $st during $1: $out" >&2
        return 0
    fi
    field p50 "$out" >>"$tmp/$1.p50"
    field p99 "$out" >>"$tmp/$1.p99"
}

for i in 1 2 3 4 5; do drive before; done
hwm_before=$(vm VmHWM)
kill -HUP "$pid"
t_hup=$(date +%s)
# Until the log says how the reload ended (or 30 minutes).
while ! grep -q 'ruleset reloaded\|reload failed' "$tmp/vetd.log"; do
    alive "$pid" || fail "vetd died during the reload"
    [ $(($(date +%s) - t_hup)) -lt 1800 ] || fail "the reload did not end within 30 minutes"
    drive during
done
t_done=$(date +%s)
for i in 1 2 3 4 5; do drive after; done
hwm_after=$(vm VmHWM)
rss_after=$(vm VmRSS)
grep -q 'ruleset reloaded' "$tmp/vetd.log" || fail "the reload failed: $(grep 'reload failed\|error' "$tmp/vetd.log" | head -3)"
reload_ms=$(sed -n 's/.*ruleset reloaded: .*, \([0-9.]*\) ms$/\1/p' "$tmp/vetd.log" | head -1)
st=0
stop "$pid" || st=$?
pid=""
[ $st -eq 0 ] || fail "vetd exited $st on SIGTERM"

# totals PHASE: "sent replies errors missing failed-runs" over its runs.
totals() {
    if [ -s "$tmp/$1.count" ]; then
        awk '{ s += $1; r += $2; e += $3; m += $4; f += ($5 != 0) } END { print s + 0, r + 0, e + 0, m + 0, f + 0 }' "$tmp/$1.count"
    else
        echo "0 0 0 0 0"
    fi
}
med() {
    if [ -s "$tmp/$1" ]; then median "$tmp/$1"; else echo 0; fi
}
# During the reload, the worst run matters too.
worst() {
    if [ -s "$tmp/$1" ]; then sort -n "$tmp/$1" | tail -1; else echo 0; fi
}
set -- $(totals during)
d_sent=$1 d_rep=$2 d_err=$3 d_miss=$4 d_fail=$5
set -- $(totals before)
b_sent=$1 b_err=$3 b_miss=$4 b_fail=$5
set -- $(totals after)
a_sent=$1 a_err=$3 a_miss=$4 a_fail=$5
echo "  vetd loaded $SCALE_NAMES + rules/ names at start in $(awk -v m="${start_ms:-0}" 'BEGIN { printf "%.1f", m / 1000 }') s; reloaded them under load in $(awk -v m="${reload_ms:-0}" 'BEGIN { printf "%.1f", m / 1000 }') s (SIGHUP to swap: $((t_done - t_hup)) s)"
echo "  vetd peak RSS $hwm_before MiB before the reload, $hwm_after MiB after it (two rulesets at once while the new one loads); $rss_after MiB resident after"
awk -v bp50="$(med before.p50)" -v bp99="$(med before.p99)" -v dp50="$(med during.p50)" \
    -v dp99="$(med during.p99)" -v dw="$(worst during.p99)" -v ap50="$(med after.p50)" \
    -v ap99="$(med after.p99)" -v bs="$b_sent" -v ds="$d_sent" -v dr="$d_rep" -v as="$a_sent" '
BEGIN {
    printf "  one request at a time (2 s runs): before  p50 %6.0f us  p99 %6.0f us   (%d requests)\n", bp50, bp99, bs
    printf "                                    during  p50 %6.0f us  p99 %6.0f us   (%d requests, %d replies; worst run p99 %.0f us)\n", dp50, dp99, ds, dr, dw
    printf "                                    after   p50 %6.0f us  p99 %6.0f us   (%d requests)\n", ap50, ap99, as
    printf "  during / before: p50 x%.2f, p99 x%.2f (a 2-core machine: the reload thread competes with the workers)\n",
        (bp50 > 0 ? dp50 / bp50 : 0), (bp99 > 0 ? dp99 / bp99 : 0)
}'
bad=$((b_err + b_miss + b_fail + d_err + d_miss + d_fail + a_err + a_miss + a_fail))
if [ "$d_sent" = 0 ]; then
    fail "no request was sent during the reload"
fi
if [ "$bad" != 0 ]; then
    fail "requests failed: before $b_err errors $b_miss missing, during $d_err errors $d_miss missing, after $a_err errors $a_miss missing ($((b_fail + d_fail + a_fail)) loadgen runs failed)"
fi
echo "  reload keeps serving: met ($d_sent requests during the reload, every one answered, none in error)"
