#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make bench: the micro-benchmarks, on the real lists in ../shared/data
# (or $VET_DATA). Each prints medians and ratios to a baseline measured
# in the same run; nothing is asserted.   usage: bench/run.sh BUILD BIN
# FORMS_MIN: timed requests per set of bench_forms (default 20000); SCALE_*:
# see bench/scale.sh (SCALE_NAMES=0 skips the 1,000,000-name registry).
set -e
B=${1:-build}
BIN=${2:-bin}
DATA=${VET_DATA:-../shared/data}
if [ ! -d "$DATA/ofac_sdn" ]; then
    echo "bench: $DATA/ofac_sdn not found (set VET_DATA to the shared data directory)" >&2
    exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "== matching (bench_match)"
"$B/bench/bench_match" "$DATA"
echo
echo "== screening a whole request (bench_screen): rules/ + OFAC SDN"
cp -R rules/. "$tmp/"
rm -rf "$tmp/tests"
# The whole SDN list, individuals, vessels and aircraft included (20,000+
# names), in place of the curated subset rules/ carries.
"$BIN/vet-import" --all --format ofac-sdn "$DATA/ofac_sdn/sdn.csv" "$DATA/ofac_sdn/alt.csv" \
    "$DATA/ofac_sdn/add.csv" > "$tmp/registry/us-sdn.cfg" 2>/dev/null
"$B/bench/bench_screen" "$tmp"
echo
echo "== the real-world forms (bench_forms): $B/rules-full, tools/eval/realworld.tsv"
# make bench builds the full ruleset first (make rules-full).
if [ ! -d "$B/rules-full/registry" ]; then
    echo "bench: $B/rules-full not found (make rules-full builds it)" >&2
    exit 1
fi
"$B/bench/bench_forms" "$B/rules-full" tools/eval/realworld.tsv ${FORMS_MIN:+"$FORMS_MIN"}
echo
echo "== scale (bench/scale.sh): load, memory and fuzzy-path latency as the registry grows"
# SCALE_NAMES=0 skips it; SCALE_NAMES=N, SCALE_BASE=N change the sizes.
sh bench/scale.sh "$B" "$BIN"
