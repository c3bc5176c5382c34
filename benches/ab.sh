#!/usr/bin/env bash
# Two hnsim binaries side by side on one machine: runs `bench bridge-echo` with each in turn,
# N times, and prints the min, median and max of `wall_s` for each.
#   OLD=path/to/old/hnsim NEW=target/release/hnsim N=5 H=256 P=2000 benches/ab.sh
set -euo pipefail
N=${N:-10}; H=${H:-256}; P=${P:-1000}
NEW=${NEW:-target/release/hnsim}; OLD=${OLD:?OLD=path to the binary to compare with}
for _ in $(seq "$N"); do
  "$OLD" bench bridge-echo --hosts "$H" --packets "$P" | sed -E 's/.*wall_s=([0-9.]+).*/old \1/'
  "$NEW" bench bridge-echo --hosts "$H" --packets "$P" | sed -E 's/.*wall_s=([0-9.]+).*/new \1/'
done | sort -k1,1 -k2n | awk '{n[$1]++; v[$1,n[$1]]=$2}
  END {for (k in n) {m=int((n[k]+1)/2); print k, "min", v[k,1], "median", v[k,m], "max", v[k,n[k]]}}'
