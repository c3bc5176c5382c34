#!/usr/bin/env bash
# Runs hnsim's AFL++ fuzz targets (fuzz/README.md).
#   fuzz/fuzz.sh SECONDS [TARGET...]   each target (default: all four) for SECONDS, one after
#                                      the other, from its seed corpus in fuzz/corpus/TARGET;
#                                      findings in fuzz/out/TARGET. Prints afl's figures and
#                                      exits 1 if any target saved a crash (a panic).
# Installs Debian's afl++ and cargo-afl when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/fuzz.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(scenario docker_cli frame run)
if ! cargo afl --version >/dev/null 2>&1; then
  if ! command -v afl-fuzz >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends afl++ >/dev/null
  fi
  cargo install --locked cargo-afl
fi
# cargo-afl links the targets with AFL++'s runtime, which it builds once per rustc into
# ~/.local/share/afl.rs (`cargo afl config --build`); a fresh machine has none yet.
if ! cargo afl build --release --locked; then
  cargo afl config --build --force
  cargo afl build --release --locked
fi
# No UI; this machine's core_pattern and CPU governor are not AFL's business here.
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  AFL_NO_AFFINITY=1 AFL_SKIP_CRASHES=1
status=0
mkdir -p out
for t in "${targets[@]}"; do
  out=out/$t
  rm -rf "$out"
  # -V: stop after that many seconds; -t: 2 s per execution at most (a run of a scenario).
  cargo afl fuzz -V "$secs" -t 2000 -i "corpus/$t" -o "$out" "target/release/$t" >"out-$t.log" 2>&1 || true
  stats=$out/default/fuzzer_stats
  if [ ! -f "$stats" ]; then
    echo "fuzz $t: afl did not start; see fuzz/out-$t.log" >&2
    tail -20 "out-$t.log" >&2
    status=1
    continue
  fi
  get() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
  echo "fuzz $t: execs_done=$(get execs_done) execs_per_sec=$(get execs_per_sec) run_time=$(get run_time)s corpus_count=$(get corpus_count) saved_crashes=$(get saved_crashes) saved_hangs=$(get saved_hangs)"
  # A hang (over 2 s) on a shared machine may be the machine; a crash is a panic.
  if [ "$(get saved_crashes)" != 0 ]; then
    echo "fuzz $t: crashes in fuzz/$out/default/crashes" >&2
    status=1
  fi
done
exit $status
