#!/usr/bin/env bash
# The test suite from nothing: set up, build, run every test (ctest); then the same tests in a
# separate AddressSanitizer + UndefinedBehaviorSanitizer build; then each libFuzzer target
# (fuzz/) replays its regression inputs and fuzzes for FUZZ_SECONDS (default 60).
# FFCNN_SKIP_SANITIZERS=1 / FFCNN_SKIP_FUZZ=1 skip those stages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh

passed=0
# Runs ctest in build dir $1 and adds its test count to $passed (set -e stops on any failure).
run_ctest() {
  local log
  log=$(mktemp)
  (cd "$1" && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j2) | tee "$log"
  passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$log")))
  rm -f "$log"
}

run_ctest build
if [ "${FFCNN_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFFCNN_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$(nproc)"
  run_ctest build-asan
fi
if [ "${FFCNN_SKIP_FUZZ:-0}" != 1 ]; then
  bash fuzz/run.sh
  passed=$((passed + $(echo ${FUZZ_TARGETS:-idx checkpoint args} | wc -w)))
fi
echo "summary: $passed passed, 0 failed"
