#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Fault injection for the ruleset loader: `vetd --check -r DIR` with its
# k-th allocation failed (tests/fault/fault.c), for every k of a clean
# run, must either fail cleanly (exit 1..127 with a message on stderr)
# or print exactly what the clean run printed. Ends with "N passed, N failed".
#   tests/fault/run.sh BUILD_DIR BIN_DIR            the fixture (every k), rules/ (a stride),
#                                                   and the fixture's libconfig allocations with
#                                                   vetd's faults blocked
#   tests/fault/run.sh BUILD_DIR BIN_DIR DIR SECS   one ruleset, about SECS seconds
# Every point runs the real program, so the time is the clean run's time
# times the number of points, over $VET_FAULT_JOBS parallel runs (default:
# the cores, at most 4). When that would exceed the budget the points are
# every S-th allocation (S printed), starting at 1. $VET_FAULT_LOG, if
# set, is a file that gets every point's result line.
#
# libconfig 1.5 (Debian 12) dereferences some of its allocations without
# checking them (lib/libconfig.c, scanctx.c, strbuf.c): config_init's root
# setting; config_setting_create's setting, its list and the list's
# realloc (__config_list_add); strbuf_append's realloc of a string being
# scanned; scanctx_take_string's strdup("") for an empty string, which
# strbuf_append then reads; and the flex scanner that
# libconfig_yylex_init_extra fails to allocate. vetd leaves such a fault
# by the guard of engine/load/cfgread.c, which turns it into an out-of-memory
# error; a crash that still happens inside libconfig (a program without
# the guard) is counted as "libconfig crash (known)", and its allocation
# numbers are printed, only if the shim saw both the failed allocation's
# caller and the innermost frame of the crash that is not libc (nor a
# sanitizer's interceptor) in libconfig.so; any other crash is a failure.
# The flex scanner's other buffers exit(2) with "out of dynamic memory in
# ..." (YY_FATAL_ERROR): a clean error here, fatal to a daemon. The
# allocations libconfig does not dereference (a setting's name, a
# string's value) it drops silently and still returns success: the loader
# refuses such a tree (cfgread_complete in engine/load/cfgread.c).
B=${1:-build}
BIN=${2:-bin}
case "$B" in /*) ;; *) B="$PWD/$B" ;; esac
SHIM="$B/tests/libfault.so"
VETD="$BIN/vetd"
JOBS=${VET_FAULT_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$JOBS" -gt 4 ] && JOBS=4
[ "$JOBS" -lt 1 ] && JOBS=1
tmp=$(mktemp -d /tmp/vet-fault-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
# libconfig's own leaks on the error paths it takes after a failed
# allocation (a sanitizer build checks for leaks at exit).
printf 'leak:libconfig.so\n' > "$tmp/lsan.supp"
export LSAN_OPTIONS="suppressions=$tmp/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
export ASAN_OPTIONS="verify_asan_link_order=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
# ICU and OpenCC (the matcher's transliteration and Chinese folding,
# engine/match/script.c) are not failed: ICU 72 dereferences some of its
# own failed allocations (measured: TransliteratorParser's destructor in
# Transliterator::createFromRules), and OpenCC's C API lets std::bad_alloc
# escape, which ends the process (std::terminate). Neither can be made
# safe from C. vetd builds their transforms once per process (script_shared),
# so what remains exposed is the first load at start-up and the
# transliteration of a reload's non-Latin names; every allocation of our
# own code, and libconfig's, is still failed, point by point.
export VET_FAULT_SKIP="libicu,libopencc,libstdc++"

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# One point: runs the check with allocation $1 failed in worker dir $2;
# prints "k verdict [detail]" where verdict is same, error, known or a
# failure in capitals.
point() {
    k=$1
    w=$2
    rm -f "$w/rep"
    VET_FAULT_AT=$k VET_FAULT_REPORT="$w/rep" LD_PRELOAD="$SHIM" \
        $WRAP "$VETD" --check -r "$dir" > "$w/out" 2> "$w/err"
    rc=$?
    if grep -q 'Sanitizer\|runtime error' "$w/err"; then
        echo "$k SANITIZER $(grep -m1 'Sanitizer\|runtime error' "$w/err")"
    elif [ $rc -eq 0 ]; then
        if cmp -s "$w/out" "$tmp/clean.out" && cmp -s "$w/err" "$tmp/clean.err"; then
            echo "$k same"
        else
            echo "$k WRONG-OK $(head -c 300 "$w/out" | tr '\n' ' ')"
        fi
    elif [ $rc -ge 128 ]; then
        caller=$(sed -n 's/^fail .* caller \([^+]*\)+.*/\1/p' "$w/rep")
        frame=$(sed -n 's/^crash [0-9]* at //p' "$w/rep" | tr ' ' '\n' \
                | grep -v 'libc\.so\|libasan\.so\|libubsan\.so' | head -1 | sed 's/+.*//')
        case "$caller $frame" in
        *libconfig.so*' '*libconfig.so*) echo "$k known" ;;
        *) echo "$k CRASH rc=$rc allocation by ${caller:-?}, crashed in ${frame:-?}" ;;
        esac
    elif [ -s "$w/err" ]; then
        echo "$k error"
    else
        echo "$k SILENT-ERROR rc=$rc"
    fi
}

# Worker $1 of $JOBS: points first+$1*stride, stepping JOBS*stride.
worker() {
    w="$tmp/w$1"
    mkdir -p "$w"
    k=$((1 + $1 * stride))
    while [ $k -le "$total" ]; do
        point $k "$w"
        k=$((k + JOBS * stride))
    done > "$w/results"
}

# Runs every point of ruleset $1 within about $2 seconds.
run_dir() {
    dir=$1
    budget_ms=$(($2 * 1000))
    echo "== fault injection: vetd --check -r $dir${WRAP:+ ($WHAT)}"
    rm -f "$tmp/clean.rep"
    t0=$(now_ms)
    VET_FAULT_REPORT="$tmp/clean.rep" LD_PRELOAD="$SHIM" \
        $WRAP "$VETD" --check -r "$dir" > "$tmp/clean.out" 2> "$tmp/clean.err"
    rc=$?
    t1=$(now_ms)
    total=$(sed -n 's/^count \([0-9]*\) .*/\1/p' "$tmp/clean.rep" 2>/dev/null)
    if [ $rc -ne 0 ] || [ -z "$total" ]; then
        echo "the clean run failed (exit $rc) or the shim did not report:"
        cat "$tmp/clean.out" "$tmp/clean.err"
        failed=$((failed + 1))
        return
    fi
    cat "$tmp/clean.out"
    ms=$((t1 - t0 + 1))
    stride=$(( (total * ms + budget_ms * JOBS - 1) / (budget_ms * JOBS) ))
    [ $stride -lt 1 ] && stride=1
    i=0
    while [ $i -lt "$JOBS" ]; do
        worker $i &
        i=$((i + 1))
    done
    wait
    cat "$tmp"/w*/results | sort -n > "$tmp/all"
    rm -rf "$tmp"/w*
    [ -n "$VET_FAULT_LOG" ] && sed "s|^|$dir |" "$tmp/all" >> "$VET_FAULT_LOG"
    n=$(wc -l < "$tmp/all")
    same=$(grep -c ' same$' "$tmp/all")
    errs=$(grep -c ' error$' "$tmp/all")
    known=$(grep -c ' known$' "$tmp/all")
    bad=$((n - same - errs - known))
    echo "$total allocations in a clean run ($ms ms); stride $stride (allocations 1, 1+stride, ...): $n points"
    echo "  clean error: $errs, same result: $same, libconfig crash (known): $known, failures: $bad" \
         "(wrong ok: $(grep -c ' WRONG-OK' "$tmp/all"), crash: $(grep -c ' CRASH' "$tmp/all")," \
         "silent error: $(grep -c ' SILENT-ERROR' "$tmp/all"), sanitizer: $(grep -c ' SANITIZER' "$tmp/all"))"
    if [ $known -gt 0 ]; then
        echo "  libconfig crashes at allocations: $(grep ' known$' "$tmp/all" | cut -d' ' -f1 | tr '\n' ' ' | cut -c1-400)"
    fi
    grep -v ' same$\| error$\| known$' "$tmp/all" | head -20 | sed 's/^/  FAIL at allocation /'
    # One test per ruleset, however many points it ran: the total of
    # `make test` counts tests, not injection points.
    if [ $bad -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

if [ ! -f "$SHIM" ] || [ ! -x "$VETD" ]; then
    echo "fault: $SHIM or $VETD missing"
    echo "0 passed, 1 failed"
    exit 1
fi
if [ $# -ge 3 ]; then
    run_dir "$3" "${4:-20}"
else
    run_dir tests/fixtures/rulesets/good 30
    run_dir rules 15
    # A program may load a ruleset on a thread that blocks every signal
    # (vetd's runner threads convert registry files; an embedder's own
    # threads): a blocked SIGSEGV kills the process without calling any
    # handler, so cfgread.c's guard unblocks it for libconfig's call.
    # vetd keeps the mask it is started with: started with SIGSEGV and
    # SIGBUS blocked, its loads must still turn libconfig's faults into
    # errors. Only libconfig's allocations are failed here.
    printf '%s\n' 'import os, signal, sys' \
        'signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGSEGV, signal.SIGBUS})' \
        'os.execv(sys.argv[1], sys.argv[1:])' > "$tmp/blocked.py"
    WRAP="/usr/bin/python3 $tmp/blocked.py"
    WHAT="SIGSEGV and SIGBUS blocked, libconfig's allocations"
    export VET_FAULT_OBJ=libconfig
    run_dir tests/fixtures/rulesets/good 15
    unset VET_FAULT_OBJ WRAP WHAT
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
