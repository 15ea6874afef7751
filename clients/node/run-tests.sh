#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs the Node client's tests (node --test) against a real vetd and prints
# one closing "N passed, N failed"; exits non-zero on a failure or when no
# test ran. Run from the repository root after `npm ci` in clients/node:
#   sh clients/node/run-tests.sh
# $VETD_BIN (default: the repository's bin/vetd) may be relative to the
# current directory.
here=$(cd "$(dirname "$0")" && pwd)
if [ -n "$VETD_BIN" ]; then
    case "$VETD_BIN" in /*) ;; *) VETD_BIN="$(pwd)/$VETD_BIN" ;; esac
    export VETD_BIN
fi

if [ ! -d "$here/node_modules/zeromq" ]; then
    echo "clients/node: the zeromq package is not installed: run 'npm ci' in clients/node"
    echo "0 passed, 1 failed"
    exit 1
fi

out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Each test bounds its own waits; this bounds the whole run all the same.
(cd "$here" && timeout 900 node --test --test-reporter=tap test/*.test.js) > "$out" 2>&1
rc=$?
cat "$out"
passed=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$out" | tail -1)
failed=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$out" | tail -1)
cancelled=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$out" | tail -1)
passed=${passed:-0}
failed=$((${failed:-0} + ${cancelled:-0}))
# A crash or a timeout of the runner itself leaves no count: one failure.
if [ $rc -ne 0 ] && [ $failed -eq 0 ]; then
    failed=1
fi
if [ $passed -eq 0 ] && [ $failed -eq 0 ]; then
    echo "clients/node: no test ran"
    failed=1
fi
echo "$passed passed, $failed failed"
[ $rc -eq 0 ] && [ $failed -eq 0 ]
