#!/usr/bin/env bash
# Instructions of one bridge-echo run, the simulation alone (not the set-up of the containers
# nor the process around it), counted by callgrind: the same binary, sizes and seed give the
# same count on any machine, busy or not, so a change can be measured to a fraction of a
# percent where timing cannot (README, Performance).
#   BIN=target/release/hnsim H=256 K=100 benches/callgrind.sh        (OUT=file keeps the profile)
# Prints the bench line and `instructions=N`; fails if valgrind counted nothing, as when the
# function it counts (`BridgeEcho::run`, never inlined for this) was renamed.
set -euo pipefail
BIN=${BIN:-target/release/hnsim}; H=${H:-256}; K=${K:-100}
if [ -z "${OUT:-}" ]; then
  OUT=$(mktemp)
  trap 'rm -f "$OUT"' EXIT
fi
if ! log=$(valgrind --tool=callgrind --callgrind-out-file="$OUT" \
  --toggle-collect='sim_core::sim::bench::BridgeEcho::run' \
  "$BIN" bench bridge-echo --hosts "$H" --packets "$K" 2>&1); then
  # valgrind's and hnsim's own words say why (no valgrind, no such binary, a bench error).
  echo "$log" >&2
  echo "callgrind.sh: the run under valgrind failed (BIN=$BIN H=$H K=$K)" >&2
  exit 1
fi
echo "$log" | grep '^hosts='
n=$(echo "$log" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
if [ -z "$n" ] || [ "$n" -eq 0 ]; then
  echo "callgrind counted no instructions in BridgeEcho::run" >&2
  exit 1
fi
echo "instructions=$n"
