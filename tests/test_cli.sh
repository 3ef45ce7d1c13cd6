#!/usr/bin/env bash
# End-to-end tests of the ffcnn command line: bad input gives one line naming the flag or file
# and exit 2; a short real MNIST run trains, saves, evaluates and prints JSON.
source "$(dirname "$0")/lib.sh" "$@"

# expect_error STATUS NEEDLE -- ARGS: exit status and a one-line message containing NEEDLE
expect_error() {
  local want=$1 needle=$2; shift 3
  local out status
  out=$("$FFCNN" "$@" 2>&1 >/dev/null); status=$?
  if [ "$status" = "$want" ] && [ "$(printf '%s\n' "$out" | wc -l)" = 1 ] && [[ "$out" == *"$needle"* ]]; then ok
  else bad "ffcnn $* -> status $status, message '$out' (wanted $want, '$needle')"; fi
}

expect_error 2 "no command given" --
expect_error 2 "not a command" -- frobnicate
expect_error 2 "--filters: 'abc' is not an integer" -- train --filters abc
expect_error 2 "--filters: 0 is out of range" -- train --filters 0
expect_error 2 "--kernel: 4 must be odd" -- train --kernel 4
expect_error 2 "--lr: 'nan' is not finite" -- train --lr nan
expect_error 2 "--lr: -1 is out of range" -- train --lr -1
expect_error 2 "--label-k: 1.5 is out of range" -- train --label-k 1.5
expect_error 2 "--label-set: 3 is out of range" -- train --label-set 3
expect_error 2 "--train-from: 5 must be in 1..3" -- train --train-from 5
expect_error 2 "--batch: 'x' is not an integer" -- train --batch x
expect_error 2 "--seed: '-3' is not a non-negative integer" -- train --seed -3
expect_error 2 "--seed: ' -1' is not a non-negative integer" -- train --seed " -1"
expect_error 2 "--layers: ' 3' is not an integer" -- train --layers " 3"
expect_error 2 "--lr: ' 0.1' is not a number" -- train --lr " 0.1"
expect_error 2 "--epochs: needs a value" -- train --epochs
expect_error 2 "--bogus: unknown option" -- train --bogus 1
expect_error 2 "--preset: unknown preset 'fast'" -- train --preset fast
expect_error 2 "--data: 'cifar' is not mnist or fashion" -- train --data cifar
expect_error 2 "$tmp/nowhere/train-images-idx3-ubyte: cannot open" -- train --data "mnist:$tmp/nowhere"
expect_error 2 "--conv: 'fft,foo' is not auto, im2col, fft or a comma-separated list" -- train --conv fft,foo
expect_error 2 "--conv: 'fft,' is not auto" -- train --conv fft,
expect_error 2 "--conv: 2 paths for a network of 3 layers" -- bench --conv fft,fft --steps 1
FFCNN_KERNELS=avx1024 expect_error 2 "FFCNN_KERNELS: kernels 'avx1024'" -- version
check 'FFCNN_KERNELS=generic "$FFCNN" version | grep -qx "kernels: generic"' "FFCNN_KERNELS=generic is honoured and reported"
check '"$FFCNN" --version | grep -q "^blas: OpenBLAS, "' "--version prints the kernels and OpenBLAS's"
expect_error 2 "--model: required" -- eval
expect_error 2 "$tmp/none.ffm: cannot open" -- eval --model "$tmp/none.ffm"
expect_error 2 "--split: 'train' is not val or test" -- eval --model x --split train
expect_error 2 "--mode: 'all' is not goodness, linear, both" -- eval --model x --mode all
printf 'not a model' > "$tmp/junk.ffm"
expect_error 2 "$tmp/junk.ffm: too short" -- eval --model "$tmp/junk.ffm"
head -c 5000 "$DATA/train-images-idx3-ubyte" > "$tmp/train-images-idx3-ubyte"
cp "$DATA/train-labels-idx1-ubyte" "$tmp/"
expect_error 2 "header promises" -- train --data "mnist:$tmp"

for cmd in train eval; do
  if "$FFCNN" $cmd --help | grep -q "usage: ffcnn $cmd"; then ok; else bad "$cmd --help"; fi
done

# A short real run: 2000 MNIST images, tiny network; the linear head must learn something.
out=$("$FFCNN" train --preset tiny --data "mnist:$DATA" --train-limit 2000 --val-limit 1000 \
      --threads 2 --out "$tmp/m.ffm" --json 2>"$tmp/log")
status=$?
json=$(printf '%s\n' "$out" | tail -n 1)
if [ $status = 0 ] && [ -s "$tmp/m.ffm" ]; then ok; else bad "train run: status $status"; cat "$tmp/log" >&2; fi
for key in split accuracy_goodness accuracy_linear images_per_s seconds; do
  if [[ "$json" == *"\"$key\":"* ]]; then ok; else bad "train JSON lacks $key: $json"; fi
done
lin=$(printf '%s' "$json" | sed -n 's/.*"accuracy_linear":\([0-9.]*\).*/\1/p')
if awk -v a="$lin" 'BEGIN { exit !(a > 0.5) }'; then ok; else bad "linear val accuracy $lin <= 0.5"; fi
if grep -q "layer 2: loss" "$tmp/log" && grep -q "discrimination acc" "$tmp/log"; then ok
else bad "per-epoch layer metrics missing from the log"; fi

out=$("$FFCNN" eval --model "$tmp/m.ffm" --data "mnist:$DATA" --split test --eval-limit 500 --json)
json=$(printf '%s\n' "$out" | tail -n 1)
if [[ "$json" == *'"split":"test"'* && "$json" == *'"n":500'* ]]; then ok; else bad "eval JSON: $json"; fi
if printf '%s\n' "$out" | grep -q "confusion matrix (goodness)"; then ok; else bad "no confusion matrix"; fi
# the confusion matrix rows add up to the images evaluated
total=$(printf '%s\n' "$out" | sed -n '/confusion matrix (linear)/,+10p' | tail -n 10 | awk '{for(i=1;i<=NF;i++) s+=$i} END {print s}')
if [ "$total" = 500 ]; then ok; else bad "linear confusion matrix sums to $total"; fi

summary
