#!/usr/bin/env bash
# ffcnn train --dist data under mpirun -np 2 (a build with FFCNN_MPI=ON): the model equals the
# single-process one (bit for bit against --chunk of half the batch, whose chunks are the two
# processes' parts summed in the same order; to float rounding against whole batches, by
# weights_diff), BP and --ff-loss cwc too; rank 0 alone prints and writes; a killed rank ends the job within
# seconds with a message, its last checkpoint intact, and --resume under mpirun repeats the
# uninterrupted run bit for bit; processes started unalike stop with a message. The layer
# pipeline (--dist layers) on 2 and 3 processes gives the single-process model bit for bit,
# refuses more processes than trained layers, survives a killed rank and SIGTERM likewise.
# eval --dist data equals one process's evaluation. A bad --dist value is a one-line error. A
# message of the wrong size, or gradients of different lengths, end every rank within seconds
# with a message naming the ranks and sizes (tests/mpi_messages.c, the CLI's MPI transport).
# usage: test_mpi.sh FFCNN DATA WEIGHTS_DIFF [MPIEXEC [MPI_MESSAGES]]
source "$(dirname "$0")/lib.sh" "$1" "$2"
DIFF=$3
MPIEXEC=${4:-mpirun}
MESSAGES=${5:-}
# root in containers and CI; more processes than cores; no ptrace-based single copy (refused
# in containers, and it prints warnings)
MPI1=("$MPIEXEC" --oversubscribe --allow-run-as-root)
MPI=("${MPI1[@]}" -np 2)
export OMPI_MCA_btl_vader_single_copy_mechanism=none
RUN=(--data "mnist:$DATA" --preset tiny --train-limit 1000 --val-limit 200 --epochs 1 --threads 1
     --conv im2col --seed 3)
# term_rank1 ERR WAIT CMD...: runs CMD (an mpirun) in the background with stderr to ERR, waits
# until it has started and WAIT seconds more, sends SIGTERM to its last process (rank 1), and
# sets $status to the job's exit status.
term_rank1() {
  local err=$1 pause=$2 job victim
  shift 2
  "$@" >/dev/null 2>"$err" &
  job=$!
  for _ in $(seq 600); do grep -q "^distributed:" "$err" 2>/dev/null && break; sleep 0.05; done
  sleep "$pause"
  victim=$(ps -o pid= --ppid "$job" | tail -n 1 | tr -d ' ')
  [ -n "$victim" ] && kill -TERM "$victim"
  wait "$job"; status=$?
}
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

# The channel-wise competitive objective (--ff-loss cwc: one plain copy per image, per-channel
# gradient coefficients): the same identity as the paper's objective.
CW=(--data "mnist:$DATA" --net "c10k3 p2 c10k3" --ff-loss cwc --goodness mean --ff-temperature 0.25
    --train-from 1 --train-limit 500 --val-limit 100 --epochs 1 --threads 1 --conv im2col --seed 3
    --final-eval none)
"$FFCNN" train "${CW[@]}" --chunk 25 --out "$tmp/cw1.ffm" >/dev/null 2>&1
"${MPI[@]}" "$FFCNN" train "${CW[@]}" --dist data --out "$tmp/cw2.ffm" >/dev/null 2>&1
check '[ -n "$(sha "$tmp/cw2.ffm")" ] && [ "$(sha "$tmp/cw2.ffm")" = "$(sha "$tmp/cw1.ffm")" ]' "cwc: 2 processes = 1 process with --chunk 25, bit for bit"

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
term_rank1 "$tmp/s.err" 1 "${MPI[@]}" "$FFCNN" train "${LONG[@]}" --dist data --out "$tmp/s.ffm"
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

# ---- The layer pipeline (--dist layers): 3 conv layers, 2 trained, so 2 stages. Paths im2col,
# fft, fft: the stage boundary falls between two FFT layers whose spectra one process shares.
PIPE=(--data "mnist:$DATA" --net "c8k3 c8k3 c8k3" --train-from 2 --train-limit 500 --val-limit 200
      --epochs 2 --threads 1 --conv im2col,fft,fft --seed 3)
"$FFCNN" train "${PIPE[@]}" --out "$tmp/p1.ffm" >"$tmp/p1.out" 2>/dev/null
"${MPI[@]}" "$FFCNN" train "${PIPE[@]}" --dist layers --out "$tmp/p2.ffm" >"$tmp/p2.out" 2>"$tmp/p2.err"
check '[ $? = 0 ] && [ -n "$(sha "$tmp/p2.ffm")" ]' "mpirun -np 2 train --dist layers runs ($(tail -n 3 "$tmp/p2.err" | tr '\n' ' '))"
check '[ "$(sha "$tmp/p2.ffm")" = "$(sha "$tmp/p1.ffm")" ]' "the pipeline on 2 processes = 1 process, bit for bit"
check '[ "$(stats "$tmp/p2.ffm")" = "$(stats "$tmp/p1.ffm")" ]' "the pipeline's metrics lines are the single process's"
check '[ "$(grep "^validation accuracy" "$tmp/p2.out")" = "$(grep "^validation accuracy" "$tmp/p1.out")" ] && [ "$(grep -c "^validation accuracy (linear)" "$tmp/p2.out")" = 1 ]' "the pipeline's final accuracy (evaluated by both processes) is the single process's, printed once"
check 'grep -q "^distributed: --dist layers on 2 processes, 1 thread each; stages: layers 1-2 on rank 0; layer 3 on rank 1$" "$tmp/p2.err"' "the stages are named"
check '[ "$(grep -c "pipeline stage 2 (rank 1, layer 3): 10 batches, busy .* waiting" "$tmp/p2.err")" = 2 ]' "each epoch gives each stage's busy and waiting time"
# 3 stages: pooling in a stage, features for the head from stage 1, chunks of 20 images,
# augmentation and a last batch of 10.
P3=(--data "mnist:$DATA" --net "c8k3 c8k3 p2 c8k3 c8k3" --train-limit 310 --val-limit 0 --epochs 1
    --threads 1 --conv im2col --chunk 20 --augment shift:2 --final-eval none --seed 4)
"$FFCNN" train "${P3[@]}" --out "$tmp/q1.ffm" >/dev/null 2>&1
"${MPI1[@]}" -np 3 "$FFCNN" train "${P3[@]}" --dist layers --out "$tmp/q3.ffm" >/dev/null 2>"$tmp/q3.err"
check '[ -n "$(sha "$tmp/q3.ffm")" ] && [ "$(sha "$tmp/q3.ffm")" = "$(sha "$tmp/q1.ffm")" ]' "the pipeline on 3 processes (pooling, chunks, augmentation) = 1 process, bit for bit"
# Refused: more processes than trained layers; step checkpoints.
"${MPI1[@]}" -np 3 "$FFCNN" train "${PIPE[@]}" --dist layers --out "$tmp/r3.ffm" >/dev/null 2>"$tmp/r3.err"
status=$?
check '[ "$status" != 0 ] && grep -q "^ffcnn: --dist layers on 3 processes: layer pipeline: 3 stages for 2 trained conv layers: each stage trains at least one, so 2 stages at most" "$tmp/r3.err" && [ ! -e "$tmp/r3.ffm" ]' "3 processes for 2 trained layers: refused with a message (status $status)"
"${MPI[@]}" "$FFCNN" train "${PIPE[@]}" --dist layers --checkpoint-every 5s --out "$tmp/r4.ffm" >/dev/null 2>"$tmp/r4.err"
check '[ $? != 0 ] && grep -q "^ffcnn: --checkpoint-every 5s: the layer pipeline (--dist layers) saves at the end of epochs only" "$tmp/r4.err"' "--checkpoint-every Ns under the pipeline: refused"

# The pipeline: a killed rank ends the job within seconds, the epoch's checkpoint intact, and
# resuming it (at the epoch boundary) under the pipeline gives the single-process run; SIGTERM
# to rank 1 stops both stages at one step, rank 0 saves, and resuming mid-epoch gives it too.
PL=(--data "mnist:$DATA" --net "c8k3 c8k3 c8k3" --train-limit 4000 --val-limit 0 --epochs 2
    --threads 1 --conv im2col --seed 5 --final-eval none)
"$FFCNN" train "${PL[@]}" --out "$tmp/pref.ffm" >/dev/null 2>&1
"${MPI[@]}" "$FFCNN" train "${PL[@]}" --dist layers --out "$tmp/pk.ffm" >/dev/null 2>"$tmp/pk.err" &
job=$!
for _ in $(seq 600); do [ -f "$tmp/pk.ffm" ] && break; sleep 0.05; done
victim=$(ps -o pid= --ppid "$job" | tail -n 1 | tr -d ' ')
if [ -n "$victim" ] && [ -f "$tmp/pk.ffm" ]; then
  kill -9 "$victim"
  t0=$(date +%s%N)
  wait "$job"; status=$?
  took=$(( ($(date +%s%N) - t0) / 1000000 ))
  check '[ "$status" != 0 ] && [ "$took" -lt 10000 ]' "pipeline, a killed rank: the job fails within 10 s (status $status, $took ms)"
  check 'grep -Eqi "signal 9|killed" "$tmp/pk.err"' "pipeline, a killed rank: a message says so"
  check '"$FFCNN" info --model "$tmp/pk.ffm" | grep -q "^position: 1 epoch done, step 0 "' "pipeline, a killed rank: the epoch's checkpoint is intact ($("$FFCNN" info --model "$tmp/pk.ffm" 2>&1 | grep position))"
  "${MPI[@]}" "$FFCNN" train --resume "$tmp/pk.ffm" --data "mnist:$DATA" --dist layers --threads 1 \
    --conv im2col --final-eval none >/dev/null 2>&1
  check '[ "$(sha "$tmp/pk.ffm")" = "$(sha "$tmp/pref.ffm")" ]' "pipeline: --resume after a killed rank = the single-process run, bit for bit"
else
  kill "$job" 2>/dev/null; wait "$job"
  bad "the pipeline run to kill wrote no checkpoint or has no processes"
fi
term_rank1 "$tmp/ps.err" 0.5 "${MPI[@]}" "$FFCNN" train "${PL[@]}" --dist layers --out "$tmp/ps.ffm"
check '[ "$status" = 143 ] && grep -q "terminated (SIGTERM) at epoch .*--dist layers$" "$tmp/ps.err"' "pipeline, SIGTERM to rank 1: rank 0 saves the model (status $status)"
"${MPI[@]}" "$FFCNN" train --resume "$tmp/ps.ffm" --data "mnist:$DATA" --dist layers --threads 1 \
  --conv im2col --final-eval none >/dev/null 2>&1
check '[ "$(sha "$tmp/ps.ffm")" = "$(sha "$tmp/pref.ffm")" ]' "pipeline: SIGTERM, then --resume = the single-process run, bit for bit"

# Distributed evaluation: 1001 test images over 3 processes give one process's accuracies and
# confusion matrices.
EV=(eval --model "$tmp/p1.ffm" --data "mnist:$DATA" --split test --eval-limit 1001 --threads 1)
"$FFCNN" "${EV[@]}" >"$tmp/e1.out" 2>/dev/null
"${MPI1[@]}" -np 3 "$FFCNN" "${EV[@]}" --dist data >"$tmp/e3.out" 2>/dev/null
check '[ -s "$tmp/e3.out" ] && [ "$(grep -v "img/s" "$tmp/e1.out")" = "$(grep -v "img/s" "$tmp/e3.out")" ]' "eval --dist data on 3 processes = 1 process (accuracies, confusion matrices)"
check '[ "$(grep -c "^accuracy (goodness)" "$tmp/e3.out")" = 1 ]' "eval --dist data: rank 0 alone prints"

# The transport's size checks (tests/mpi_messages.c): a message shorter or longer than expected,
# or gradients of different lengths, end both ranks within seconds with the message; the rank
# that did not fail waits in a sum until the abort ends it. Matching sizes arrive intact.
if [ -n "$MESSAGES" ]; then
  msg_case() { # CASE: runs it; sets $status, $secs, and the output in $tmp/m.out, $tmp/m.err
    local t0
    t0=$(date +%s)
    timeout 60 "${MPI[@]}" "$MESSAGES" "$1" >"$tmp/m.out" 2>"$tmp/m.err"
    status=$? secs=$(($(date +%s) - t0))
  }
  msg_case ok
  check '[ "$status" = 0 ] && grep -q "^ok: 2$" "$tmp/m.out"' "matching message sizes: the bytes arrive intact (status $status)"
  msg_case short
  check '[ "$status" != 0 ] && [ "$status" != 124 ] && [ "$secs" -lt 10 ]' "a message shorter than expected ends both ranks within seconds (status $status, $secs s)"
  check 'grep -q "^ffcnn: --dist layers: rank 1: the message from rank 0 (tag 5) has 80 bytes, expected 100: the processes are out of step$" "$tmp/m.err"' "a short message: the line names both ranks and both sizes"
  msg_case long
  check '[ "$status" != 0 ] && [ "$status" != 124 ] && [ "$secs" -lt 10 ]' "a message longer than expected ends both ranks within seconds (status $status, $secs s)"
  check 'grep -q "^ffcnn: --dist layers: rank 1: the message from rank 0 (tag 5) is larger than the 100 bytes expected" "$tmp/m.err"' "a long message: the line names both ranks and the size, nothing truncated silently"
  msg_case allreduce
  check '[ "$status" != 0 ] && [ "$status" != 124 ] && [ "$secs" -lt 10 ]' "gradients of different lengths end both ranks within seconds (status $status, $secs s)"
  check 'grep -q "^ffcnn: --dist data: rank [01]: the processes. gradients differ in size (10 to 11 floats" "$tmp/m.err"' "gradients of different lengths: the line gives both sizes"
fi

# A bad --dist value: a one-line error (no MPI needed).
expect_error 2 "--dist: 'ring' is not none, data or layers" -- train "${RUN[@]}" --dist ring

summary
