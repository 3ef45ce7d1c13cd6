#!/usr/bin/env bash
# The test suite from nothing: set up, build, run every test (ctest; it runs the kernel, golden
# and training tests again on each lower instruction set's kernels); the Python package's
# pytest suite; then the same tests in an
# AVX2 build without -march=native (what an AVX2 machine or a distribution package runs: the
# kernels chosen at run time, nothing else above x86-64-v3); then in a separate
# AddressSanitizer + UndefinedBehaviorSanitizer build; then each libFuzzer target (fuzz/)
# replays its regression inputs and fuzzes for FUZZ_SECONDS (default 60).
# A build with Open MPI (-DFFCNN_MPI=ON) runs the distributed-training tests under mpirun.
# FFCNN_SKIP_AVX2=1 / FFCNN_SKIP_SANITIZERS=1 / FFCNN_SKIP_FUZZ=1 / FFCNN_SKIP_MPI=1 skip those
# stages.
# Every build here treats compiler warnings as errors (FFCNN_WERROR=ON).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${FFCNN_SKIP_MPI:-0}" != 1 ]; then bash scripts/setup.sh --mpi; else bash scripts/setup.sh; fi
FFCNN_WERROR=ON bash scripts/build.sh

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
# The Python package (python/): built in the tree, its pytest suite (tests/python) against
# build/ffcnn.
log=$(mktemp)
bash scripts/test_python.sh | tee "$log"
passed=$((passed + $(sed -n 's/^\([0-9]*\) passed.*/\1/p' "$log" | tail -n 1)))
rm -f "$log"
# Distributed training (ffcnn train --dist data, Open MPI): a build with -DFFCNN_MPI=ON and its
# tests under mpirun -np 2 (ctest -L mpi).
if [ "${FFCNN_SKIP_MPI:-0}" != 1 ]; then
  cmake -S . -B build-mpi -DCMAKE_BUILD_TYPE=Release -DFFCNN_MPI=ON -DFFCNN_WERROR=ON >/dev/null
  cmake --build build-mpi -j"$(nproc)"
  log=$(mktemp)
  (cd build-mpi && ctest -L mpi --output-on-failure) | tee "$log"
  passed=$((passed + $(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\).*/\1/p' "$log")))
  rm -f "$log"
fi
if [ "${FFCNN_SKIP_AVX2:-0}" != 1 ]; then
  if grep -qw avx2 /proc/cpuinfo && grep -qw fma /proc/cpuinfo; then
    cmake -S . -B build-avx2 -DCMAKE_BUILD_TYPE=Release -DFFCNN_NATIVE=OFF \
      -DCMAKE_C_FLAGS=-march=x86-64-v3 -DFFCNN_TESTS=ON -DFFCNN_WERROR=ON >/dev/null
    cmake --build build-avx2 -j"$(nproc)"
    run_ctest build-avx2
  else
    echo "test.sh: this CPU has no AVX2; the AVX2 build is not run"
  fi
fi
if [ "${FFCNN_SKIP_SANITIZERS:-0}" != 1 ]; then
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DFFCNN_SANITIZE=ON -DFFCNN_WERROR=ON >/dev/null
  cmake --build build-asan -j"$(nproc)"
  run_ctest build-asan
fi
if [ "${FFCNN_SKIP_FUZZ:-0}" != 1 ]; then
  bash fuzz/run.sh
  passed=$((passed + $(echo ${FUZZ_TARGETS:-idx checkpoint image args} | wc -w)))
fi
echo "summary: $passed passed, 0 failed"
