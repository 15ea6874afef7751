#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs every test of vetd and prints one closing "N passed, N failed".
#   tests/run.sh BUILD_DIR BIN_DIR
# Each CMocka binary reports its own summary; the ruleset cases report
# theirs through `vetd --test`. $VALGRIND, when set, prefixes each run.
B=${1:-build}
BIN=${2:-bin}
export VETD_BIN="$BIN/vetd"
export VET_BIN="$BIN/vet"
export VET_IMPORT_BIN="$BIN/vet-import"
export VET_TESTS_DIR="tests"
passed=0
failed=0
status=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

count() {   # adds the CMocka summary of $out to the totals
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
}

count_summary() {   # adds the "N passed, N failed" line of $out; $1 = exit code
    p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$out" | tail -1)
    f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$out" | tail -1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$1" -ne 0 ]; then
        status=1
        # A run that died before its summary still counts as a failure.
        [ "${f:-0}" -gt 0 ] || failed=$((failed + 1))
    fi
}

for t in "$B"/tests/unit/test_* "$B"/tests/integration/test_*; do
    case "$t" in *.o|*.d) continue ;; esac
    [ -x "$t" ] || continue
    echo "== $(basename "$t")"
    $VALGRIND "$t" > "$out" 2>&1
    rc=$?
    cat "$out"
    count
    if [ $rc -ne 0 ]; then
        status=1
        # A crash or a valgrind error prints no FAILED line: count it.
        grep -q '^\[  FAILED  \]' "$out" || failed=$((failed + 1))
    fi
done

# The house format: every C file as .clang-format has it (one test).
echo "== format: make format-check"
if make --no-print-directory -s format-check > "$out" 2>&1; then
    cat "$out"; passed=$((passed + 1))
else
    head -40 "$out"; failed=$((failed + 1)); status=1
fi

# The licence: every source file names it (SPDX) in its first lines.
echo "== licence: SPDX-License-Identifier in every source file"
missing=$(git ls-files '*.c' '*.h' '*.py' '*.js' '*.mjs' '*.ts' '*.sh' '*.mk' Makefile 2>/dev/null |
    grep -v -e '^rules/' -e '^tests/fixtures/' -e '^docs/' -e 'node_modules/' |
    while read -r f; do head -3 "$f" | grep -q 'SPDX-License-Identifier: Apache-2.0' || echo "$f"; done)
if [ -z "$missing" ]; then
    echo "every source file carries SPDX-License-Identifier: Apache-2.0"; passed=$((passed + 1))
else
    echo "no SPDX-License-Identifier in:"; echo "$missing" | head -20; failed=$((failed + 1)); status=1
fi

# The layers' contracts on the built objects (exports, no ZeroMQ or
# threads in the engine): tests/abi.sh, "N passed, N failed".
echo "== layers: tests/abi.sh"
sh tests/abi.sh "$B" > "$out" 2>&1
rc=$?
cat "$out"
count_summary $rc

# make install staged and moved, the installed programs, libvet through
# pkg-config and the Python package run: tests/install.sh (docs/DEPLOY.md).
echo "== install: tests/install.sh"; sh tests/install.sh "$B" "$BIN" > "$out" 2>&1; rc=$?; cat "$out"; count_summary $rc

for target in proto expr ruleset norm; do
    echo "== fuzz corpus replay: $target"
    if $VALGRIND "$B/fuzz/replay_$target" fuzz/corpus/$target/* > "$out" 2>&1; then
        cat "$out"; passed=$((passed + 1))
    else
        cat "$out"; failed=$((failed + 1)); status=1
    fi
done

for dir in rules tests/fixtures/rulesets/good tests/fixtures/rulesets/people; do
    echo "== vetd --test -r $dir"
    $VALGRIND "$BIN/vetd" --test -r "$dir" > "$out" 2>&1
    rc=$?
    cat "$out"
    count_summary $rc
done

# Fault injection: `vetd --check` with each allocation failed in turn
# must fail cleanly or print what a clean run prints (tests/fault/run.sh,
# "N passed, N failed"). Thousands of runs: never under $VALGRIND.
echo "== fault injection: tests/fault/run.sh"
sh tests/fault/run.sh "$B" "$BIN" > "$out" 2>&1
rc=$?
cat "$out"
count_summary $rc

# The Python and Node clients' suites, against real daemons; each ends
# with its own "N passed, N failed".
for suite in clients/python/run-tests.sh clients/node/run-tests.sh; do
    echo "== $suite"
    VETD_BIN="$BIN/vetd" sh "$suite" > "$out" 2>&1
    rc=$?
    cat "$out"
    count_summary $rc
done

echo
echo "$passed passed, $failed failed"
exit $status
