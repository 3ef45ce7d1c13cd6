#!/usr/bin/env bash
# Faults a long training run meets: SIGKILL then --resume (bit-identical weights), SIGINT and
# SIGTERM (checkpoint, exit 130 / 143), a full disk (/dev/full, a file-size limit: the previous
# model survives), a NaN (stops, names layer and step, keeps the last good model), and the
# same seed giving the same bits.
source "$(dirname "$0")/lib.sh" "$@"

# Paths forced: under --conv auto they are measured, and same-seed runs agree bit for bit
# only on the same paths (the auto checks below).
RUN=(--data "mnist:$DATA" --filters 8 --kernel 5 --train-limit 600 --val-limit 0 --epochs 4
     --final-eval none --threads 2 --seed 7 --conv im2col,fft,fft)
sha() { "$FFCNN" info --model "$1" --json | tail -n 1 | sed -n 's/.*"weights_sha256":"\([0-9a-f]*\)".*/\1/p'; }
field() { "$FFCNN" info --model "$1" --json 2>/dev/null | tail -n 1 | sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p"; }

"$FFCNN" train "${RUN[@]}" --out "$tmp/ref.ffm" >/dev/null 2>&1
ref=$(sha "$tmp/ref.ffm")
check '[ ${#ref} = 64 ]' "reference run has a weight hash"
"$FFCNN" train "${RUN[@]}" --out "$tmp/again.ffm" >/dev/null 2>&1
check '[ "$(sha "$tmp/again.ffm")" = "$ref" ]' "same seed, same threads -> same weights"
"$FFCNN" train "${RUN[@]}" --epochs 1 --conv fft --out "$tmp/fft1.ffm" >/dev/null 2>&1
"$FFCNN" train "${RUN[@]}" --epochs 1 --conv fft --out "$tmp/fft2.ffm" >/dev/null 2>&1
check '[ "$(sha "$tmp/fft1.ffm")" = "$(sha "$tmp/fft2.ffm")" ]' "FFT path: same seed -> same weights"
conv() { "$FFCNN" info --model "$1" --json | tail -n 1 | sed -n 's/.*"conv":\[\([a-z0-9,"]*\)\].*/\1/p' | tr -d '"'; }
check '[ "$(conv "$tmp/fft1.ffm")" = "fft,fft,fft" ]' "forced paths are recorded in the model"

# --conv auto: the measured paths are printed and recorded; forcing them repeats the run bit for
# bit, and a resumed run keeps them.
AUTO=("${RUN[@]:0:${#RUN[@]}-2}")
"$FFCNN" train "${AUTO[@]}" --epochs 1 --out "$tmp/auto.ffm" >/dev/null 2>"$tmp/auto.err"
measured=$(conv "$tmp/auto.ffm")
check 'echo "$measured" | grep -Eq "^(im2col|fft),(im2col|fft),(im2col|fft)$"' "auto records its paths ($measured)"
check 'grep -q "repeat with: --conv $measured" "$tmp/auto.err"' "auto prints the --conv that repeats it"
check 'grep -Eq "layer 2 (im2col|fft) \(im2col [0-9.]+ ms, fft [0-9.]+ ms\)" "$tmp/auto.err"' "auto prints the times it measured"
"$FFCNN" train "${AUTO[@]}" --epochs 1 --conv "$measured" --out "$tmp/forced.ffm" >/dev/null 2>&1
check '[ "$(sha "$tmp/forced.ffm")" = "$(sha "$tmp/auto.ffm")" ]' "auto's paths forced -> the same weights"

# Start a run that checkpoints every 2 steps; wait for its first checkpoint; stop it with $1.
start_and_stop() {
  local sig=$1 out=$2
  rm -f "$out"
  "$FFCNN" train "${RUN[@]}" --checkpoint-every 2s --out "$out" >"$tmp/out.log" 2>"$tmp/err.log" &
  local pid=$! waited=0
  until [ -n "$(field "$out" epochs_done)" ] || [ $waited -ge 600 ]; do sleep 0.02; waited=$((waited + 1)); done
  kill -"$sig" $pid
  wait $pid 2>/dev/null
  status=$?
}

start_and_stop KILL "$tmp/killed.ffm"
done_epochs=$(field "$tmp/killed.ffm" epochs_done)
check '[ $status = 137 ] && [ "$done_epochs" -lt 4 ]' "SIGKILL landed mid-run (status $status, epochs $done_epochs)"
check '! ls "$tmp"/killed.ffm.tmp.* >/dev/null 2>&1 || true' "no torn file replaces the model"
# Other images under the same name and limits: the model's fingerprint of its training set
# refuses them (one pixel of the first image changed).
cp "$tmp/killed.ffm" "$tmp/killed2.ffm"
mkdir "$tmp/other"
cp "$DATA/train-images-idx3-ubyte" "$tmp/other/"
ln -s "$(cd "$DATA" && pwd)/train-labels-idx1-ubyte" "$tmp/other/"
printf '\377' | dd of="$tmp/other/train-images-idx3-ubyte" bs=1 seek=300 conv=notrunc 2>/dev/null
out=$("$FFCNN" train --resume "$tmp/killed2.ffm" --data "mnist:$tmp/other" --final-eval none --threads 2 2>&1 >/dev/null); status=$?
check '[ $status = 2 ] && [[ "$out" == *"differ from the ones this model was trained on"* ]]' "--resume on other images refused: $out"
check 'cmp -s "$tmp/killed.ffm" "$tmp/killed2.ffm"' "the refused resume leaves the model as it was"
# --train-limit and --val-limit come from the model's data identity
"$FFCNN" train --resume "$tmp/killed.ffm" --data "mnist:$DATA" --final-eval none --threads 2 \
  >/dev/null 2>"$tmp/resume.log"
check '[ "$(sha "$tmp/killed.ffm")" = "$ref" ]' "SIGKILL + --resume gives bit-identical weights"
check 'grep -q "(600 train / 0 val images" "$tmp/resume.log"' "--resume takes --train-limit and --val-limit from the model"

for sig in INT TERM; do
  start_and_stop $sig "$tmp/sig.ffm"
  want=$([ $sig = INT ] && echo 130 || echo 143)
  check '[ $status = $want ]' "SIG$sig exits $want (got $status)"
  check 'grep -q "resume with: ffcnn train --resume $tmp/sig.ffm" "$tmp/err.log"' "SIG$sig message says how to resume"
  "$FFCNN" train --resume "$tmp/sig.ffm" --data "mnist:$DATA" --train-limit 600 --val-limit 0 \
    --final-eval none --threads 2 >/dev/null 2>&1
  check '[ "$(sha "$tmp/sig.ffm")" = "$ref" ]' "SIG$sig + --resume gives bit-identical weights"
done

# An auto run stopped mid-way resumes on the paths it recorded, without measuring again.
SAVED=("${RUN[@]}"); RUN=("${AUTO[@]}")
start_and_stop KILL "$tmp/autok.ffm"
RUN=("${SAVED[@]}")
measured=$(conv "$tmp/autok.ffm")
"$FFCNN" train --resume "$tmp/autok.ffm" --data "mnist:$DATA" --train-limit 600 --val-limit 0 \
  --final-eval none --threads 2 >/dev/null 2>"$tmp/resume.err"
check '[ -n "$measured" ] && [ "$(conv "$tmp/autok.ffm")" = "$measured" ]' "a resumed auto run keeps the recorded paths ($measured)"
check '! grep -q " ms, fft " "$tmp/resume.err"' "a resumed run measures nothing"

for flag in "--filters 16" "--classifier-lr 1e-3" "--net c8k5" "--epochs=5"; do
  out=$("$FFCNN" train --resume "$tmp/ref.ffm" $flag 2>&1); status=$?
  check '[ $status = 2 ] && [[ "$out" == "ffcnn: ${flag%%[ =]*}: cannot be changed with --resume"* ]]' "$flag refused with --resume: $out"
done

# Full disks: /dev/full, and a file-size limit while a good model is already in place.
out=$("$FFCNN" train --preset tiny --data "mnist:$DATA" --train-limit 100 --val-limit 0 --out /dev/full 2>&1 >/dev/null | tail -n 1); status=$?
check '[[ "$out" == *"/dev/full: cannot write the model (No space left on device)"* ]]' "/dev/full reported: $out"
check '[ -c /dev/full ]' "/dev/full is still a device"
check '[ ! -e /dev/full.metrics.jsonl ]' "no metrics file made in /dev beside a device model"
cp "$tmp/ref.ffm" "$tmp/keep.ffm"
( trap '' XFSZ; ulimit -f 8; exec "$FFCNN" train "${RUN[@]}" --epochs 1 --out "$tmp/keep.ffm" ) >/dev/null 2>"$tmp/fsz.log"
status=$?
check '[ $status = 2 ] && grep -q "keep.ffm: cannot write the model (File too large)" "$tmp/fsz.log"' "write failure reported (status $status): $(tail -n 1 "$tmp/fsz.log")"
check 'cmp -s "$tmp/keep.ffm" "$tmp/ref.ffm"' "previous model intact after a failed write"
check '[ -z "$(ls "$tmp"/keep.ffm.tmp.* 2>/dev/null)" ]' "no temporary file left behind"

# A NaN / Inf from an absurd learning rate stops training and keeps the last good model.
cp "$tmp/ref.ffm" "$tmp/nan.ffm"
out=$("$FFCNN" train "${RUN[@]}" --lr 1e30 --out "$tmp/nan.ffm" 2>&1 >/dev/null | tail -n 1); status=$?
check '[[ "$out" == *"layer "*" at step "* ]] && [[ "$out" == *"NaN"* || "$out" == *"inf"* ]]' "numerical fault names layer and step: $out"
check 'cmp -s "$tmp/nan.ffm" "$tmp/ref.ffm"' "numerical fault leaves the previous model intact"

summary
