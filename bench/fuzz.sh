#!/usr/bin/env bash
# bench/fuzz.sh — coverage-guided fuzzing of the libOS's parsers (docs/FUZZING.md): builds the host fuzz binary
# (Tests/Fuzz/fuzz.mk: libFuzzer + AddressSanitizer, the standard library's bounds checks kept) and runs each
# harness for SECONDS, starting from the seed corpus in Tests/Fuzz/corpus and the corpus earlier runs grew in
# .build-fuzz/corpus.
#   bench/fuzz.sh [SECONDS] [HARNESS...]        SECONDS per harness (default 60); all harnesses by default
#   FUZZ_JOBS=N                                  harnesses run N at a time (default 1)
#   FUZZ_SWIFT_OPT=-Onone FUZZ_OUT=DIR           another optimisation level (CI's smoke run: quicker to build, slower
#                                                to run; the bounds checks are on either way), in its own folder
# Prints per harness: inputs run, execs/s, coverage (libFuzzer's `cov:` edges and `ft:` features), corpus size and
# the outcome; a crash, timeout or leak names the saved input (.build-fuzz/findings/) and how to replay it.
# Exits 1 when anything was found, 2 when the build fails or a harness does not exist.
set -uo pipefail
root="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)"
seconds="${1:-60}"
shift $(( $# > 0 ? 1 : 0 ))
out="${FUZZ_OUT:-$root/.build-fuzz}"
jobs="${FUZZ_JOBS:-1}"
opt="${FUZZ_SWIFT_OPT:-}"
case "$seconds" in ''|*[!0-9]*) echo "bench/fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;; esac
case "$jobs" in ''|0|*[!0-9]*) echo "bench/fuzz.sh: FUZZ_JOBS must be a number >= 1, got '$jobs'" >&2; exit 2 ;; esac

cd "$root" || exit 2
if [ $# -gt 0 ]; then
  harnesses=("$@")
else
  mapfile -t harnesses < <(ls "$root/Tests/Fuzz/corpus")
fi
for harness in "${harnesses[@]}"; do
  if [ ! -d "$root/Tests/Fuzz/corpus/$harness" ]; then
    echo "bench/fuzz.sh: no harness '$harness'; the harnesses are: $(ls "$root/Tests/Fuzz/corpus" | tr '\n' ' ')" >&2
    exit 2
  fi
done

mkdir -p "$out"
echo "fuzz: building $out/swiftlet-fuzz"
build_start=$(date +%s)
if ! make -s -f Tests/Fuzz/fuzz.mk OUT="$out" ${opt:+SWIFT_OPT="$opt"} -j"$(nproc)" >"$out/build.log" 2>&1; then
  cat "$out/build.log" >&2
  echo "fuzz: the build failed" >&2
  exit 2
fi
echo "fuzz: built in $(( $(date +%s) - build_start )) s; $seconds s per harness, $jobs at a time"
binary="$out/swiftlet-fuzz"
# The libOS console stays on: a trap's message (Fatal error: ...) lands in the harness's log.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:symbolize=1}"
mkdir -p "$out/logs" "$out/results"

# run_one HARNESS: runs it and writes its result line(s) to $out/results/HARNESS.
run_one() {
  local harness=$1
  local seeds="$root/Tests/Fuzz/corpus/$harness" corpus="$out/corpus/$harness" findings="$out/findings/$harness"
  local log="$out/logs/$harness.log" result="$out/results/$harness" max_len=4096
  mkdir -p "$corpus" "$findings"
  [ "$harness" = interface ] && max_len=16384
  SWIFTLET_FUZZ_TARGET="$harness" "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len="$max_len" -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" "$seeds" >"$log" 2>&1
  local status=$?
  local inputs rate status_line cov ft units outcome artifact="" kind reason
  inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  status_line=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$status_line")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$status_line")
  units=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' <<<"$status_line")
  if [ $status -eq 0 ]; then
    outcome="ok"
  else
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    kind=$(grep -m1 -oE 'ERROR: (libFuzzer: [a-z -]+|AddressSanitizer: [a-z-]+|LeakSanitizer: [a-z ]+)' "$log")
    reason=$(grep -m1 -E 'Fatal error|Precondition failed|abort:' "$log" | cut -c1-160)
    outcome="FOUND ${kind:-exit $status}${reason:+ ($reason)} -> ${artifact:-see $log}"
  fi
  {
    printf '%-15s %10s %9s %7s %7s %8s  %s\n' "$harness" "${inputs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" \
      "${units:-?}" "$outcome"
    if [ $status -ne 0 ] && [ -n "$artifact" ]; then
      echo "    replay: SWIFTLET_FUZZ_TARGET=$harness $binary $artifact   (log: $log)"
    fi
  } >"$result"
  return $(( status == 0 ? 0 : 1 ))
}

printf '%-15s %10s %9s %7s %7s %8s  %s\n' harness inputs "execs/s" cov ft corpus outcome
found=0
running=0
for harness in "${harnesses[@]}"; do
  rm -f "$out/results/$harness"
  if [ "$jobs" -le 1 ]; then
    run_one "$harness" || found=1
    cat "$out/results/$harness"
    continue
  fi
  run_one "$harness" &
  running=$((running + 1))
  if [ $running -ge "$jobs" ]; then
    wait -n || found=1
    running=$((running - 1))
  fi
done
if [ "$jobs" -gt 1 ]; then
  while [ $running -gt 0 ]; do
    wait -n || found=1
    running=$((running - 1))
  done
  for harness in "${harnesses[@]}"; do cat "$out/results/$harness"; done
fi
exit $found
