#!/bin/sh
# make bench: the micro-benchmarks, on the real lists in ../shared/data
# (or $VET_DATA). Each prints medians and ratios to a baseline measured
# in the same run; nothing is asserted.   usage: bench/run.sh BUILD BIN
set -e
B=${1:-build}
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
/usr/bin/python3 bench/sdn2cfg.py "$DATA" > "$tmp/registry/sdn-bench.cfg"
"$B/bench/bench_screen" "$tmp"
