#!/usr/bin/env bash
# A block of side-by-side rounds against ns-3: runs `../shared/anchors/ns3/compare.sh N K 3`
# P times and prints every round's rates and ratio, then the block's median ratio, how many
# rounds reached 100, and each program's median rate (which side moved between two blocks).
# One round at K=100 times an 8 ms hnsim run against a 0.8 s ns-3 run, so a machine's hiccup
# can move it by a third; the block's median is the steadier figure (README, Performance,
# sessions 28 and 29).
#   HNSIM=target/release/hnsim P=5 N=256 K=100 benches/blocks.sh
set -euo pipefail
P=${P:-5}; N=${N:-256}; K=${K:-100}
COMPARE=${COMPARE:-../shared/anchors/ns3/compare.sh}
for _ in $(seq "$P"); do
  bash "$COMPARE" "$N" "$K" 3
done | awk '
  /^ns-3:/  { match($0, /echoes_per_s=[0-9.e+]+/); ns3 = substr($0, RSTART + 13, RLENGTH - 13) }
  /^hnsim:/ { match($0, /echoes_per_s=[0-9.e+]+/); hn = substr($0, RSTART + 13, RLENGTH - 13) }
  /^round/  { r = hn / ns3; v[++n] = r; a[n] = ns3 + 0; b[n] = hn + 0; if (r >= 100) hit++
              printf "ns-3 %.0f  hnsim %.0f  ratio %.1f\n", ns3, hn, r }
  function median(x, k,   i, j, t) {
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
    return (k % 2) ? x[(k + 1) / 2] : (x[k / 2] + x[k / 2 + 1]) / 2
  }
  END { if (n == 0) exit 1
        m = median(v, n)
        printf "block of %d rounds: median %.1f, %d at 100 or more, %.1f to %.1f\n", n, m, hit + 0, v[1], v[n]
        # Which side moved between blocks: the median rate (echoes/s) of each program.
        printf "median rates: ns-3 %.0f, hnsim %.0f echoes/s\n", median(a, n), median(b, n) }'
