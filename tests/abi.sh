#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The layers' contracts, checked on the built objects:
#  - each shared library exports exactly the functions its public header
#    marks VET_API (libvetengine: include/vet_engine.h; libvet: vet.h);
#  - no object of the engine or of lib/ references ZeroMQ or creates a
#    thread (the engine is (ruleset, request) -> result; the daemon owns
#    sockets and threads).
# Prints "N passed, N failed".   usage: tests/abi.sh BUILD_DIR
B=${1:-build}
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); echo "ok: $1"; }
ko() { failed=$((failed + 1)); echo "FAILED: $1"; }

# exports LIB HEADER: the dynamic symbol table against the header.
exports() {
    sed -n 's/^VET_API [^(]*[ *]\(vet_[a-z0-9_]*\)(.*/\1/p' "$2" | sort > "$tmp/want"
    nm -D --defined-only "$1" | awk '$2 ~ /^[TDBR]$/ && $3 !~ /^(_edata|_end|__bss_start)$/ {print $3}' \
        | sort > "$tmp/have"
    if [ ! -s "$tmp/want" ]; then
        ko "$2 declares no VET_API function"
    elif cmp -s "$tmp/want" "$tmp/have"; then
        ok "$(basename "$1") exports the $(wc -l < "$tmp/want") functions of $(basename "$2")"
    else
        ko "$(basename "$1") exports differ from $(basename "$2") (< header, > library):"
        diff "$tmp/want" "$tmp/have" | grep '^[<>]'
    fi
}
exports "$B/libvetengine.so" include/vet_engine.h
exports "$B/libvet.so" include/vet.h

# refs PATTERN WHAT: no engine or lib object has an undefined PATTERN.
refs() {
    objs=$(find "$B/engine" "$B/lib" -name '*.o' | sort)
    if [ -z "$objs" ]; then
        ko "no engine objects under $B"
        return
    fi
    hits=$(for o in $objs; do nm -u "$o" | awk -v o="$o" -v p="$1" '$2 ~ p {print o ": " $2}'; done)
    if [ -z "$hits" ]; then
        ok "no engine or lib object references $2"
    else
        ko "engine objects reference $2:"
        echo "$hits"
    fi
}
refs '^zmq_' "ZeroMQ (zmq_*)"
refs '^pthread_create' "thread creation (pthread_create)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
