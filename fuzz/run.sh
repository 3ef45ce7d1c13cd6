#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in build-fuzz/, replays every file in
# fuzz/regressions/<target>/, then fuzzes each target for FUZZ_SECONDS (default 60) on a copy of
# fuzz/corpus/<target> (the committed corpus is never written). Prints executions, time and
# coverage per target; exits non-zero if any replay or fuzzing run crashes, leaks or hangs.
#
#   FUZZ_SECONDS=60     fuzzing time per target
#   FUZZ_TARGETS="idx checkpoint image args"
#   FUZZ_TIMEOUT=30     seconds one input may take before it counts as a hang
#   FUZZ_BUILD=build-fuzz
#   FUZZ_CORPUS_OUT=DIR  keep each target's grown corpus in DIR/<target> (to inspect coverage,
#                       or to pick new seeds: libFuzzer's -merge=1 keeps the ones that add any)
#
# A crash leaves its input in $FUZZ_BUILD/artifacts/<target>/ (cleared when that target next
# runs); copy it into fuzz/regressions/<target>/ to make it a permanent regression test.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_TARGETS=${FUZZ_TARGETS:-"idx checkpoint image args"}
FUZZ_TIMEOUT=${FUZZ_TIMEOUT:-30}
BUILD=${FUZZ_BUILD:-build-fuzz}

echo "fuzz: building in $BUILD"
CC=${FUZZ_CC:-clang} cmake -S . -B "$BUILD" -DFFCNN_FUZZ=ON -DFFCNN_TESTS=OFF -DFFCNN_NATIVE=OFF \
  -DFFCNN_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
targets=()
for t in $FUZZ_TARGETS; do targets+=("fuzz_$t"); done
cmake --build "$BUILD" -j"$(nproc)" --target "${targets[@]}"

work=$(mktemp -d "${TMPDIR:-/tmp}/ffcnn-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT
# The harnesses' per-process scratch files go in here too, so a crashed run leaves none behind.
mkdir -p "$work/tmp"
export TMPDIR="$work/tmp"
# One OpenMP/BLAS thread: the harnesses load with threads = 1 and the runs stay reproducible.
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary=()
for t in $FUZZ_TARGETS; do
  bin="$BUILD/fuzz/fuzz_$t"
  artifacts="$BUILD/artifacts/$t"
  rm -rf "$artifacts" && mkdir -p "$artifacts" "$work/corpus" # this run's crashes only

  # 1. Regressions: each file once (libFuzzer runs the files it is given as arguments).
  regs=()
  if [ -d "fuzz/regressions/$t" ]; then
    while IFS= read -r -d '' f; do regs+=("$f"); done \
      < <(find "fuzz/regressions/$t" -type f ! -name '.*' ! -name README.md -print0 | sort -z)
  fi
  if ((${#regs[@]})); then
    if "$bin" -timeout="$FUZZ_TIMEOUT" "${regs[@]}" >"$work/$t.replay.log" 2>&1; then
      echo "fuzz: $t: ${#regs[@]} regression input(s) pass"
    else
      echo "fuzz: $t: a regression input fails:" >&2
      tail -n 40 "$work/$t.replay.log" >&2
      failed+=("$t (regression)")
    fi
  else
    echo "fuzz: $t: no regression inputs"
  fi

  # 2. Fuzzing, on a scratch copy of the seed corpus.
  echo "fuzz: $t: fuzzing for $FUZZ_SECONDS s"
  cp -r "fuzz/corpus/$t" "$work/corpus/$t"
  log="$work/$t.log"
  set +e
  "$bin" -max_total_time="$FUZZ_SECONDS" -timeout="$FUZZ_TIMEOUT" -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" "$work/corpus/$t" >"$log" 2>&1
  rc=$?
  set -e
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -n 1 || true)
  runs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\1/' <<<"$done_line")
  secs=$(sed -E 's/^Done ([0-9]+) runs in ([0-9]+) second.*/\2/' <<<"$done_line")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[0-9]+[a-zA-Z]*' "$log" | tail -n 1 || true)
  if [ -n "${FUZZ_CORPUS_OUT:-}" ]; then
    mkdir -p "$FUZZ_CORPUS_OUT" && rm -rf "${FUZZ_CORPUS_OUT:?}/$t"
    cp -r "$work/corpus/$t" "$FUZZ_CORPUS_OUT/$t"
  fi
  if [ "$rc" -ne 0 ] || [ -z "$done_line" ]; then
    echo "fuzz: $t: FAILED (exit $rc); log tail:" >&2
    tail -n 60 "$log" >&2
    ls "$artifacts"/* 2>/dev/null | sed 's/^/fuzz:   reproducer: /' >&2 || true
    failed+=("$t")
    [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)
    summary+=("$(printf '%-11s FAILED after %s runs  %s' "$t" "${runs:-?}" "${cov:-}")")
  else
    summary+=("$(printf '%-11s ok  %9s runs in %3s s (%s exec/s)  %s' "$t" "$runs" "$secs" \
      "$((runs / (secs > 0 ? secs : 1)))" "$cov")")
  fi
  echo "fuzz:   ${summary[-1]}"
done

echo "fuzz: summary (${FUZZ_SECONDS} s per target)"
printf 'fuzz:   %s\n' "${summary[@]}"
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $BUILD/artifacts/; add them to fuzz/regressions/)" >&2
  exit 1
fi
