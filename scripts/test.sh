#!/usr/bin/env bash
# The test suite from nothing: set up, build, run every test (ctest); then the same tests in a
# separate AddressSanitizer + UndefinedBehaviorSanitizer build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd build && ctest --output-on-failure -j2)
if [ "${FFCNN_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFFCNN_SANITIZE=ON >/dev/null
  cmake --build build-asan -j"$(nproc)"
  (cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j2)
fi
# Fuzzing: each libFuzzer target (fuzz/) replays its regression inputs, then runs for
# FUZZ_SECONDS (default 60) in its own clang build (build-fuzz/).
if [ "${FFCNN_SKIP_FUZZ:-0}" != 1 ]; then
  bash fuzz/run.sh
fi
