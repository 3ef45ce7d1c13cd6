#!/usr/bin/env bash
# ffcnn train --dist data under mpirun -np 2 (a build with FFCNN_MPI=ON): the model equals the
# single-process one (bit for bit against --chunk of half the batch, whose chunks are the two
# processes' parts summed in the same order; to float rounding against whole batches, by
# weights_diff), BP too; rank 0 alone prints and writes; a killed rank ends the job within
# seconds with a message, its last checkpoint intact, and --resume under mpirun repeats the
# uninterrupted run bit for bit; processes started unalike stop with a message; a bad --dist
# value is a one-line error.
# usage: test_mpi.sh FFCNN DATA WEIGHTS_DIFF [MPIEXEC]
source "$(dirname "$0")/lib.sh" "$1" "$2"
DIFF=$3
MPIEXEC=${4:-mpirun}
# root in containers and CI; more processes than cores; no ptrace-based single copy (refused
# in containers, and it prints warnings)
MPI1=("$MPIEXEC" --oversubscribe --allow-run-as-root)
MPI=("${MPI1[@]}" -np 2)
export OMPI_MCA_btl_vader_single_copy_mechanism=none
RUN=(--data "mnist:$DATA" --preset tiny --train-limit 1000 --val-limit 200 --epochs 1 --threads 1
     --conv im2col --seed 3)
sha() { "$FFCNN" info --model "$1" --json | tail -n 1 | sed -n 's/.*"weights_sha256":"\([0-9a-f]*\)".*/\1/p'; }
# a metrics line without its timings
stats() { sed 's/"seconds":[^,]*,"train_seconds":[^,]*,"images_per_s":[^,]*,//' "$1.metrics.jsonl"; }

# Data-parallel FF: batch 50, each process 25 images.
"$FFCNN" train "${RUN[@]}" --out "$tmp/one.ffm" >/dev/null 2>&1
"$FFCNN" train "${RUN[@]}" --chunk 25 --out "$tmp/one25.ffm" >/dev/null 2>&1
"${MPI[@]}" "$FFCNN" train "${RUN[@]}" --dist data --out "$tmp/two.ffm" >"$tmp/two.out" 2>"$tmp/two.err"
check '[ $? = 0 ] && [ -n "$(sha "$tmp/two.ffm")" ]' "mpirun -np 2 train --dist data runs"
check '[ "$(sha "$tmp/two.ffm")" = "$(sha "$tmp/one25.ffm")" ]' "2 processes = 1 process with --chunk 25, bit for bit"
check '"$DIFF" "$tmp/one.ffm" "$tmp/two.ffm" 1e-5 >"$tmp/diff.txt"' "2 processes = 1 process to 1e-5 ($(cat "$tmp/diff.txt" 2>/dev/null))"
check '[ "$(stats "$tmp/two.ffm")" = "$(stats "$tmp/one25.ffm")" ]' "the metrics line is the whole batch's (summed over the processes)"
check '[ "$(grep -c "^validation accuracy (linear)" "$tmp/two.out")" = 1 ]' "rank 0 alone prints the result"
check '[ "$(grep -c "^ffcnn " "$tmp/two.err")" = 1 ] && grep -q "distributed: --dist data on 2 processes" "$tmp/two.err"' "rank 0 alone prints the configuration"
check '[ "$(ls "$tmp" | grep -c "two.ffm.tmp")" = 0 ]' "no temporary model files are left"
"${MPI1[@]}" -np 1 "$FFCNN" train "${RUN[@]}" --dist data --out "$tmp/np1.ffm" >/dev/null 2>&1
check '[ "$(sha "$tmp/np1.ffm")" = "$(sha "$tmp/one.ffm")" ]' "--dist data on 1 process = no --dist, bit for bit"

# Backprop: the same hook.
"$FFCNN" train "${RUN[@]}" --algo bp --out "$tmp/bp1.ffm" >/dev/null 2>&1
"${MPI[@]}" "$FFCNN" train "${RUN[@]}" --algo bp --dist data --out "$tmp/bp2.ffm" >/dev/null 2>&1
check '"$DIFF" "$tmp/bp1.ffm" "$tmp/bp2.ffm" 1e-5 >"$tmp/diff.txt"' "BP: 2 processes = 1 process to 1e-5 ($(cat "$tmp/diff.txt" 2>/dev/null))"

# A rank killed (SIGKILL) after the first checkpoint: the job ends within seconds with a
# message, the checkpoint is intact, and resuming it under mpirun gives the uninterrupted run.
LONG=(--data "mnist:$DATA" --preset tiny --train-limit 10000 --val-limit 0 --epochs 2 --threads 1
      --conv im2col --seed 5 --final-eval none)
"${MPI[@]}" "$FFCNN" train "${LONG[@]}" --dist data --out "$tmp/ref.ffm" >/dev/null 2>&1
"${MPI[@]}" "$FFCNN" train "${LONG[@]}" --dist data --checkpoint-every 20s --out "$tmp/k.ffm" \
  >/dev/null 2>"$tmp/k.err" &
job=$!
for _ in $(seq 600); do [ -f "$tmp/k.ffm" ] && break; sleep 0.05; done
victim=$(ps -o pid= --ppid "$job" | tail -n 1 | tr -d ' ')
if [ -n "$victim" ] && [ -f "$tmp/k.ffm" ]; then
  kill -9 "$victim"
  t0=$(date +%s%N)
  wait "$job"; status=$?
  took=$(( ($(date +%s%N) - t0) / 1000000 ))
  check '[ "$status" != 0 ]' "a killed rank: the job fails (status $status)"
  check '[ "$took" -lt 10000 ]' "a killed rank: the job ends within 10 s (took $took ms)"
  check 'grep -Eqi "signal 9|killed" "$tmp/k.err"' "a killed rank: a message says so ($(head -c 300 "$tmp/k.err" | tr '\n' ' '))"
  check '"$FFCNN" info --model "$tmp/k.ffm" >/dev/null 2>&1' "a killed rank: the last checkpoint is intact"
  "${MPI[@]}" "$FFCNN" train --resume "$tmp/k.ffm" --data "mnist:$DATA" --dist data --threads 1 --conv im2col \
    --final-eval none >/dev/null 2>"$tmp/r.err"
  check '[ "$(sha "$tmp/k.ffm")" = "$(sha "$tmp/ref.ffm")" ]' "--resume under mpirun = the uninterrupted run, bit for bit"
else
  kill "$job" 2>/dev/null; wait "$job"
  bad "the run to kill wrote no checkpoint or has no processes"
fi

# SIGTERM to rank 1 alone: every process stops at the same step, rank 0 saves and says so
# (exit 143), and the resumed run equals the uninterrupted one.
"${MPI[@]}" "$FFCNN" train "${LONG[@]}" --dist data --out "$tmp/s.ffm" >/dev/null 2>"$tmp/s.err" &
job=$!
for _ in $(seq 600); do grep -q "^distributed:" "$tmp/s.err" 2>/dev/null && break; sleep 0.05; done
sleep 1
victim=$(ps -o pid= --ppid "$job" | tail -n 1 | tr -d ' ')
[ -n "$victim" ] && kill -TERM "$victim"
wait "$job"; status=$?
check '[ "$status" = 143 ] && grep -q "terminated (SIGTERM) at epoch .*model saved to" "$tmp/s.err"' "SIGTERM to rank 1: rank 0 saves the model (status $status)"
"${MPI[@]}" "$FFCNN" train --resume "$tmp/s.ffm" --data "mnist:$DATA" --dist data --threads 1 --conv im2col \
  --final-eval none >/dev/null 2>&1
check '[ "$(sha "$tmp/s.ffm")" = "$(sha "$tmp/ref.ffm")" ]' "SIGTERM, then --resume under mpirun = the uninterrupted run, bit for bit"

# Processes started unalike (another network on rank 1): every one stops with a message.
t0=$(date +%s)
"${MPI1[@]}" -np 1 "$FFCNN" train "${RUN[@]}" --dist data \
  --out "$tmp/u.ffm" : -np 1 "$FFCNN" train "${RUN[@]}" --filters 4 --dist data --out "$tmp/u.ffm" \
  >/dev/null 2>"$tmp/u.err"
status=$?
check '[ "$status" != 0 ] && [ $(( $(date +%s) - t0 )) -lt 30 ]' "processes started unalike stop (status $status)"
check 'grep -q "rank 1 has another model" "$tmp/u.err"' "processes started unalike: the message names rank 1"
check '[ ! -e "$tmp/u.ffm" ]' "processes started unalike: no model written"

# A bad --dist value: a one-line error (no MPI needed).
expect_error 2 "--dist: 'ring' is not none, data or layers" -- train "${RUN[@]}" --dist ring

summary
