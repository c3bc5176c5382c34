#!/usr/bin/env bash
# Issue 13's flatness: the echo rate at 1,024 containers against the rate at 64, each the
# median of R runs of `hnsim bench bridge-echo` (the goal is at least 0.90).
#   BIN=target/release/hnsim R=11 K=2000 benches/flatness.sh
set -euo pipefail
BIN=${BIN:-target/release/hnsim}; R=${R:-11}; K=${K:-2000}
median_rate() {
  for _ in $(seq "$R"); do
    "$BIN" bench bridge-echo --hosts "$1" --packets "$K" | sed -nE 's/.*echoes_per_s=([0-9.]+).*/\1/p'
  done | sort -g | awk '{v[NR]=$1} END {if (NR == 0) exit 1; print v[int((NR+1)/2)]}'
}
low=$(median_rate 64); high=$(median_rate 1024)
awk -v a="$low" -v b="$high" 'BEGIN {printf "64: %.0f echoes/s  1024: %.0f echoes/s  flatness %.3f\n", a, b, b/a}'
