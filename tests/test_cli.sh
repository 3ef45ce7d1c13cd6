#!/usr/bin/env bash
# End-to-end tests of the ffcnn command line: bad input gives one line naming the flag or file
# and exit 2; a short real MNIST run trains, saves, evaluates and prints JSON.
source "$(dirname "$0")/lib.sh" "$@"
PNG_CHECK="${3:-}" # tests/png_check.c: "W H COLOURS" of a PNG

expect_error 2 "no command given" --
expect_error 2 "not a command" -- frobnicate
expect_error 2 "--filters: 'abc' is not an integer" -- train --filters abc
expect_error 2 "--filters: 0 is out of range" -- train --filters 0
expect_error 2 "--kernel: 4 must be odd" -- train --kernel 4
expect_error 2 "--lr: 'nan' is not finite" -- train --lr nan
expect_error 2 "--lr: -1 is out of range" -- train --lr -1
expect_error 2 "--label-k: 1.5 is out of range" -- train --label-k 1.5
expect_error 2 "--label-set: 3 is out of range" -- train --label-set 3
expect_error 2 "--label-set: 'bogus' is not 1, 2, fourier, onehot or morph" -- train --label-set bogus
expect_error 2 "--train-from: 5 must be in 1..3" -- train --train-from 5
expect_error 2 "--batch: 'x' is not an integer" -- train --batch x
expect_error 2 "--seed: '-3' is not a non-negative integer" -- train --seed -3
expect_error 2 "--seed: ' -1' is not a non-negative integer" -- train --seed " -1"
expect_error 2 "--layers: ' 3' is not an integer" -- train --layers " 3"
expect_error 2 "--lr: ' 0.1' is not a number" -- train --lr " 0.1"
expect_error 2 "--epochs: needs a value" -- train --epochs
expect_error 2 "--bogus: unknown option for train (see ffcnn train --help)" -- train --bogus 1
expect_error 2 "--bogus: unknown option for train (see ffcnn train --help)" -- train --bogus
expect_error 2 "--bogus: unknown option for eval (see ffcnn eval --help)" -- eval --bogus=3
expect_error 2 "--resume: unknown option for bench" -- bench --resume x.ffm
expect_error 2 "stray: unexpected argument" -- train stray
expect_error 2 "an empty argument: not a flag, nor a file name" -- train ""
expect_error 2 "an empty argument" -- predict --model x ""
expect_error 2 "--filters: 'abc' is not an integer" -- train --filters=abc
expect_error 2 "--json: takes no value" -- train --json=1
expect_error 2 "--out: needs a value" -- train --out
# --net: the layer list; each bad entry is one line naming it, exit 2
expect_error 2 "--net and --filters: give one or the other" -- train --net c8k3 --filters 8
expect_error 2 "--net and --kernel: give one or the other" -- bench --kernel=3 --net=c8k3
expect_error 2 "--net: layer 1: 0 filters is out of range" -- train --net c0k3
expect_error 2 "--net: layer 1: kernel 4" -- train --net c8k4
expect_error 2 "--net: 'x3' is not a layer" -- train --net "c8k3 x3"
expect_error 2 "--net: the first layer must be a conv layer" -- train --net p1
expect_error 2 "--net: layer 2: pooling size 1 is out of range" -- train --net c8k3,p1
expect_error 2 "--net: no layers" -- train --net "# nothing"
expect_error 2 "--train-from: 3 must be in 1..2" -- train --net "c8k3 p2 c8k3" --train-from 3
expect_error 2 "--net @$tmp/none.net: cannot open" -- train --net "@$tmp/none.net"
printf 'c8k3 # first\nq2\n' > "$tmp/bad.net"
expect_error 2 "--net @$tmp/bad.net: 'q2' is not a layer" -- train --net "@$tmp/bad.net"
# --resume: the model file holds the configuration; every configuration flag is refused
expect_error 2 "--classifier-lr: cannot be changed with --resume" -- train --resume x.ffm --classifier-lr 1e-3
expect_error 2 "--net: cannot be changed with --resume" -- train --net c8k3 --resume x.ffm
expect_error 2 "--preset: cannot be changed with --resume" -- train --resume=x.ffm --preset=tiny
expect_error 2 "--preset: unknown preset 'quick' (default, paper, fast, cifar10, tiny)" -- train --preset quick
expect_error 2 "--data: 'cifar' is not mnist, fashion, cifar10" -- train --data cifar
expect_error 2 "$tmp/nowhere/train-images-idx3-ubyte: cannot open" -- train --data "mnist:$tmp/nowhere"
expect_error 2 "--conv: 'fft,foo' is not auto, im2col, fft or a comma-separated list" -- train --conv fft,foo
expect_error 2 "--conv: 'fft,' is not auto" -- train --conv fft,
expect_error 2 "--conv: 2 paths for a network of 3 conv layers" -- bench --conv fft,fft --steps 1
# --algo bp: the flags that only FF has are refused, in either order
expect_error 2 "--algo: 'xyz' is not ff or bp" -- train --algo xyz
for flag in "--train-from 2" "--label-k 0.5" "--classifier-lr 0.01" "--label-set 2"; do
  expect_error 2 "${flag%% *}: applies to --algo ff only" -- train --algo bp $flag
  expect_error 2 "${flag%% *}: applies to --algo ff only" -- bench $flag --algo=bp
done
expect_error 2 "--algo: cannot be changed with --resume" -- train --resume x.ffm --algo bp
expect_error 2 "--algo: unknown option for eval" -- eval --model x --algo bp
# --augment: none | shift[:P] | shift-flip[:P] | flip, P 1..8; a configuration flag
expect_error 2 "--augment: 'bogus' is not none, shift[:P], shift-flip[:P] or flip" -- train --augment bogus
expect_error 2 "--augment: 'shift:9' needs a shift P of 1..8" -- train --augment shift:9
expect_error 2 "--augment: 'shift:0' needs a shift P of 1..8" -- bench --augment=shift:0
expect_error 2 "--augment: 'shift-flip:x' needs a shift P of 1..8" -- train --augment shift-flip:x
expect_error 2 "--augment: 'flip:2' is not none" -- train --augment flip:2
expect_error 2 "--augment: needs a value" -- train --augment
expect_error 2 "--augment: cannot be changed with --resume" -- train --resume x.ffm --augment flip
expect_error 2 "--augment: unknown option for eval" -- eval --model x --augment flip
FFCNN_KERNELS=avx1024 expect_error 2 "FFCNN_KERNELS: kernels 'avx1024'" -- version
check 'FFCNN_KERNELS=generic "$FFCNN" version | grep -qx "kernels: generic"' "FFCNN_KERNELS=generic is honoured and reported"
check '"$FFCNN" --version | grep -q "^blas: OpenBLAS, "' "--version prints the kernels and OpenBLAS's"
# --dist: a build without MPI (the default) says so in one line; the MPI build's own tests are
# test_mpi.sh. eval's --dist layers is refused in either build.
if "$FFCNN" version | grep -q "^distributed: none"; then
  for mode in data layers; do
    expect_error 2 "--dist $mode: this ffcnn was built without MPI (configure with -DFFCNN_MPI=ON" -- train --dist $mode
  done
  expect_error 2 "--dist data: this ffcnn was built without MPI" -- eval --model x --dist data
else
  check '"$FFCNN" version | grep -q "^distributed: MPI"' "ffcnn version says whether it runs --dist"
fi
expect_error 2 "--dist layers: the layer pipeline is for training" -- eval --model x --dist layers
expect_error 2 "--model: required" -- eval
expect_error 2 "$tmp/none.ffm: cannot open" -- eval --model "$tmp/none.ffm"
expect_error 2 "--split: 'train' is not val, test or all" -- eval --model x --split train
expect_error 2 "--mode: 'all' is not goodness, linear, both" -- eval --model x --mode all
printf 'not a model' > "$tmp/junk.ffm"
expect_error 2 "$tmp/junk.ffm: too short" -- eval --model "$tmp/junk.ffm"
head -c 5000 "$DATA/train-images-idx3-ubyte" > "$tmp/train-images-idx3-ubyte"
cp "$DATA/train-labels-idx1-ubyte" "$tmp/"
expect_error 2 "header promises" -- train --data "mnist:$tmp"

for cmd in train eval bench info plot; do
  if "$FFCNN" $cmd --help | grep -q "usage: ffcnn $cmd"; then ok; else bad "$cmd --help"; fi
  check '[ "$("$FFCNN" help $cmd)" = "$("$FFCNN" $cmd -h)" ]' "ffcnn help $cmd = ffcnn $cmd -h"
done
for args in help --help -h; do
  check '"$FFCNN" $args | grep -q "^usage: ffcnn <command>"' "ffcnn $args prints the usage, exit 0"
done
for args in version --version; do
  check '"$FFCNN" $args | grep -q "^ffcnn [0-9]*\.[0-9]*\.[0-9]*$"' "ffcnn $args prints the version, exit 0"
done
expect_error 2 "'frob' is not a command" -- help frob
# --help: one line per flag from the flag table, with the default preset's values
"$FFCNN" train --help > "$tmp/help"
check 'grep -q "^\* --filters C  *filters per conv layer (default 16)$" "$tmp/help"' "train --help: --filters and its default"
check 'grep -q "^\* --net SPEC" "$tmp/help" && grep -q "(default c16k5 c16k5 c16k5)$" "$tmp/help"' "train --help: --net and the default list"
check 'grep -q "^\* --classifier-lr X .*(default 0.0001)$" "$tmp/help"' "train --help: --classifier-lr marked as configuration"
check 'grep -q "^  --train-limit N .*(default all)$" "$tmp/help"' "train --help: --train-limit"
check '! "$FFCNN" bench --help | grep -q -- "--resume"' "bench --help has no --resume"
check 'grep -q "^\* --augment A " "$tmp/help" && grep -q "evaluation never augments (default none)$" "$tmp/help"' "train --help: --augment, default none"
check '"$FFCNN" bench --help | grep -q "^  --augment A "' "bench --help: --augment"

# --net with pooling and growing widths trains; @FILE gives the same list, comments and all.
"$FFCNN" train --net "c8k3 p2 c16k3" --data "mnist:$DATA" --train-limit 200 --val-limit 100 \
  --epochs 1 --threads 2 --out "$tmp/pool.ffm" >"$tmp/pool.out" 2>"$tmp/pool.log"
check '[ $? = 0 ] && grep -q "(1 epoch," "$tmp/pool.out"' "--net c8k3 p2 c16k3 trains: $(tail -n 1 "$tmp/pool.log")"
check 'grep -q "network: c8k3 p2 c16k3 on 1x28x28, .*, layer 2 trained" "$tmp/pool.log"' "pooling network described"
check 'grep -q "layer 2: loss" "$tmp/pool.log"' "per-epoch metrics of conv layer 2"
printf '# a small net\nc8k3   # 8 filters\np2, c16k3\n' > "$tmp/small.net"
"$FFCNN" train --net "@$tmp/small.net" --data "mnist:$DATA" --train-limit 100 --val-limit 0 \
  --epochs 0 --threads 2 --out "$tmp/file.ffm" >/dev/null 2>&1
check '"$FFCNN" info --model "$tmp/file.ffm" | grep -q "^network: c8k3 p2 c16k3 (2 conv layers)"' "--net @FILE reads the list"

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
check 'grep -q "layer 2 trained" "$tmp/log" && grep -q "1 epoch," "$tmp/log"' "singular wording in the log"

# info: the whole configuration and the data identity, also as JSON
"$FFCNN" info --model "$tmp/m.ffm" >"$tmp/info"
check 'grep -q "^network: c8k3 c8k3 (2 conv layers) on 1x28x28 images, 10 classes$" "$tmp/info"' "info: layer list and shape"
check 'grep -q "classifier lr 0.0001" "$tmp/info"' "info: classifier lr"
check 'grep -qx "algorithm: ff (Forward-Forward)" "$tmp/info"' "info: algorithm ff"
check 'grep -Eq "^data: mnist, train limit 2000, val limit 1000, fingerprint [0-9a-f]{64}$" "$tmp/info"' "info: data identity"
json=$("$FFCNN" info --model="$tmp/m.ffm" --json | tail -n 1)
for key in '"net":"c8k3 c8k3"' '"algo":"ff"' '"classes":10' '"classifier_lr":0.0001' '"label_k":0.35' '"conv_layers":2' \
           '"data":{"name":"mnist","train_limit":2000,"val_limit":1000,"fingerprint":"' '"conv":["'; do
  if [[ "$json" == *"$key"* ]]; then ok; else bad "info JSON lacks $key: $json"; fi
done
check 'grep -qx "augmentation: none" "$tmp/info" && [[ "$json" == *"\"augment\":\"none\",\"augment_pad\":0,\"augment_flip\":0,"* ]]' "info: no augmentation"
# --augment: shown by train, saved, shown by info (text and JSON)
"$FFCNN" train --preset tiny --augment shift-flip:2 --data "mnist:$DATA" --train-limit 200 --val-limit 100 \
  --epochs 1 --threads 2 --out "$tmp/aug.ffm" >/dev/null 2>"$tmp/aug.log"; status=$?
check '[ $status = 0 ] && grep -q "^schedule: .*, seed 1, augment shift-flip:2, 2 threads$" "$tmp/aug.log"' "train --augment shift-flip:2: $(tail -n 1 "$tmp/aug.log")"
check '"$FFCNN" info --model "$tmp/aug.ffm" | grep -qx "augmentation: shift-flip:2 (training images only)"' "info: the augmentation"
# --label-set morph: trains, saved as label kind 5, shown by info, evaluated, drawn by labels
"$FFCNN" train --preset tiny --label-set morph --data "mnist:$DATA" --train-limit 200 --val-limit 100 \
  --epochs 1 --threads 2 --out "$tmp/morph.ffm" >/dev/null 2>"$tmp/morph.log"; status=$?
check '[ $status = 0 ] && grep -q "morph" "$tmp/morph.log"' "train --label-set morph: $(tail -n 1 "$tmp/morph.log")"
check '"$FFCNN" info --model "$tmp/morph.ffm" | grep -q "^labels: set morph, K=0.35;"' "info: label set morph"
check '"$FFCNN" info --model "$tmp/morph.ffm" --json | tail -n 1 | grep -q "\"label_set\":\"morph\""' "info JSON: label set morph"
check '"$FFCNN" eval --model "$tmp/morph.ffm" --data "mnist:$DATA" --eval-limit 50 --threads 2 >/dev/null' "eval of a morph model"
check '"$FFCNN" train --help | grep -q "| morph (a dilation or erosion"' "train --help: --label-set morph"
# --score-from: m.ffm is trained from layer 2, so scoring from 2 is its default; layer 1 and a
# layer past the last are refused; a backprop model has no goodness to score.
ev() { "$FFCNN" eval --model "$tmp/m.ffm" --data "mnist:$DATA" --eval-limit 200 --threads 2 --json "$@" | tail -n 1 | grep -o '"accuracy_goodness":[0-9.]*'; }
check '[ "$(ev --score-from 2)" = "$(ev)" ] && [ -n "$(ev)" ]' "eval --score-from 2 of a model trained from layer 2 = eval: $(ev --score-from 2)"
expect_error 2 "--score-from: layer 1 is not trained (training starts at layer 2)" -- eval --model "$tmp/m.ffm" --data "mnist:$DATA" --score-from 1
expect_error 2 "--score-from: 3 is not one of the 2 conv layers" -- eval --model "$tmp/m.ffm" --data "mnist:$DATA" --score-from 3
expect_error 2 "--score-from: 0 is out of range" -- predict --model "$tmp/m.ffm" --score-from 0 --index 0
rm -f "$tmp/morph.png"
check '"$FFCNN" labels --label-set morph --data "mnist:$DATA" --out "$tmp/morph.png" >/dev/null && [ -s "$tmp/morph.png" ] && [ "$(head -c 8 "$tmp/morph.png" | od -An -tx1 | tr -d " ")" = 89504e470d0a1a0a ]' "labels --label-set morph writes a PNG"
check '"$FFCNN" labels --model "$tmp/morph.ffm" --data "mnist:$DATA" --out "$tmp/morph-m.png" >/dev/null && [ -s "$tmp/morph-m.png" ]' "labels --model of a morph model"
check '"$FFCNN" info --model "$tmp/aug.ffm" --json | tail -n 1 | grep -qF "\"augment\":\"shift-flip:2\",\"augment_pad\":2,\"augment_flip\":1,"' "info --json: the augmentation"
cp "$tmp/m.ffm" "$tmp/q\"b\\s.ffm"
check '"$FFCNN" info --model "$tmp/q\"b\\s.ffm" --json | tail -n 1 | grep -qF "q\\\"b\\\\s.ffm\","' "JSON strings are escaped"

# --resume takes the data set and limits from the model; given ones must match
expect_error 2 "--train-limit 500: $tmp/m.ffm was trained on the first 2000 training images" -- \
  train --resume "$tmp/m.ffm" --data "mnist:$DATA" --train-limit 500
expect_error 2 "--val-limit 0: $tmp/m.ffm was validated on the first 1000 validation images" -- \
  train --resume "$tmp/m.ffm" --data "mnist:$DATA" --val-limit 0
expect_error 2 "--data fashion: $tmp/m.ffm was trained on mnist" -- \
  train --resume "$tmp/m.ffm" --data "fashion:$DATA"

# A data set that is not there: the reason, and where to point ffcnn (issue 16, item 4). The
# default data/mnist is relative to the current folder (tests/ has none).
expect_error 2 "validation split (the last 10000 training images): data/mnist/train-images-idx3-ubyte: cannot open (No such file or directory); MNIST is read from data/mnist under the current folder" -- \
  eval --model "$tmp/m.ffm"
FFCNN_DATA="$tmp/none" expect_error 2 "$tmp/none/mnist/t10k-images-idx3-ubyte: cannot open (No such file or directory); MNIST is read from \$FFCNN_DATA/mnist" -- \
  eval --model "$tmp/m.ffm" --split test
expect_error 2 "cannot open (No such file or directory); --data mnist:DIR names the folder of the IDX files" -- \
  eval --model "$tmp/m.ffm" --data "mnist:$tmp/nowhere"
# Evaluating on another data set than the model's: a warning line first (item 6)
mkdir -p "$tmp/other"
for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
  [ -e "$DATA/$f" ] && ln -s "$DATA/$f" "$tmp/other/$f"
  [ -e "$DATA/$f.gz" ] && ln -s "$DATA/$f.gz" "$tmp/other/$f.gz"
done
"$FFCNN" eval --model "$tmp/m.ffm" --data "fashion:$tmp/other" --split test --eval-limit 50 >/dev/null 2>"$tmp/warn"
check 'grep -q "^ffcnn: warning: $tmp/m.ffm was trained on mnist, evaluated here on fashion$" "$tmp/warn"' "eval warns about other data"
# Model files get the mode any new file would (the umask), not mkstemp's 0600 (item 7)
(umask 022; "$FFCNN" train --preset tiny --data "mnist:$DATA" --train-limit 100 --val-limit 0 \
  --threads 2 --out "$tmp/mode.ffm" >/dev/null 2>&1)
check '[ "$(stat -c %a "$tmp/mode.ffm")" = 644 ]' "model file mode 644 under umask 022"
(umask 077; rm -f "$tmp/mode.ffm"; "$FFCNN" train --preset tiny --data "mnist:$DATA" --train-limit 100 \
  --val-limit 0 --threads 2 --out "$tmp/mode.ffm" >/dev/null 2>&1)
check '[ "$(stat -c %a "$tmp/mode.ffm")" = 600 ]' "model file mode 600 under umask 077"

out=$("$FFCNN" eval --model "$tmp/m.ffm" --data "mnist:$DATA" --split test --eval-limit 500 --json)
json=$(printf '%s\n' "$out" | tail -n 1)
if [[ "$json" == *'"algo":"ff"'* && "$json" == *'"split":"test"'* && "$json" == *'"n":500'* ]]; then ok; else bad "eval JSON: $json"; fi
if printf '%s\n' "$out" | grep -q "confusion matrix (goodness)"; then ok; else bad "no confusion matrix"; fi
# the confusion matrix rows add up to the images evaluated
total=$(printf '%s\n' "$out" | sed -n '/confusion matrix (linear)/,+10p' | tail -n 10 | awk '{for(i=1;i<=NF;i++) s+=$i} END {print s}')
if [ "$total" = 500 ]; then ok; else bad "linear confusion matrix sums to $total"; fi

# The backprop baseline (--algo bp): no goodness anywhere, the linear head only.
BP=(--algo bp --preset tiny --data "mnist:$DATA" --train-limit 200 --val-limit 100 --epochs 2 --threads 2)
expect_error 2 "--final-eval goodness: a backprop model has no goodness" -- \
  train "${BP[@]}" --final-eval goodness --out "$tmp/bp-goodness.ffm"
check '[ ! -e "$tmp/bp-goodness.ffm" ]' "--algo bp --final-eval goodness refused before training"
out=$("$FFCNN" train "${BP[@]}" --out "$tmp/bp.ffm" --json 2>"$tmp/bp.log"); status=$?
json=$(printf '%s\n' "$out" | tail -n 1)
check '[ $status = 0 ] && [ -s "$tmp/bp.ffm" ]' "train --algo bp writes a model (status $status): $(tail -n 1 "$tmp/bp.log")"
check 'grep -q "network: c8k3 c8k3 on 1x28x28, backprop baseline" "$tmp/bp.log"' "train --algo bp describes the method"
check 'printf "%s\n" "$out" | grep -q "^validation accuracy (linear):" && ! printf "%s\n" "$out" | grep -q "(goodness)"' \
  "train --algo bp reports the linear head only"
check '[[ "$json" == *"\"accuracy_goodness\":null,"* && "$json" == *"\"accuracy_linear\":0"* ]]' "train --algo bp JSON: $json"
"$FFCNN" info --model "$tmp/bp.ffm" >"$tmp/bp.info"
check 'grep -q "^algorithm: bp (" "$tmp/bp.info" && ! grep -q "^labels:" "$tmp/bp.info"' "info: algorithm bp, no label set"
check '"$FFCNN" info --model "$tmp/bp.ffm" --json | tail -n 1 | grep -qF "\"algo\":\"bp\""' "info --json: \"algo\":\"bp\""
out=$("$FFCNN" eval --model "$tmp/bp.ffm" --data "mnist:$DATA" --split test --eval-limit 200 --json); status=$?
json=$(printf '%s\n' "$out" | tail -n 1)
check '[ $status = 0 ] && printf "%s\n" "$out" | grep -q "^accuracy (linear): "' "eval of a bp model: the linear head (status $status)"
check '! printf "%s\n" "$out" | grep -q "(goodness)"' "eval of a bp model: no goodness line"
check '[[ "$json" == *"\"algo\":\"bp\""* && "$json" == *"\"accuracy_goodness\":null,"* && "$json" == *"\"n\":200,"* ]]' \
  "eval --json of a bp model: $json"
check '"$FFCNN" eval --model "$tmp/bp.ffm" --data "mnist:$DATA" --eval-limit 50 --mode linear | grep -q "^accuracy (linear): "' \
  "eval --mode linear of a bp model"
expect_error 2 "no goodness" -- eval --model "$tmp/bp.ffm" --data "mnist:$DATA" --eval-limit 50 --mode goodness
# put_back_to_epoch_1 MODEL: a model of 2 epochs put back one epoch (epochs done, i32 at
# offset 264 of docs/checkpoint-format.md, from 2 to 1; the CRC-32 of bytes 8 .. end-4 redone:
# gzip's trailer holds the same CRC-32, little-endian), so a resumed run has an epoch to train.
put_back_to_epoch_1() {
  local size
  printf '\001\000\000\000' | dd of="$1" bs=1 seek=264 conv=notrunc status=none
  size=$(stat -c %s "$1")
  tail -c +9 "$1" | head -c $((size - 12)) | gzip -c | tail -c 8 | head -c 4 |
    dd of="$1" bs=1 seek=$((size - 4)) conv=notrunc status=none
}
# field LINE KEY: a number's (or null's) text in a metrics line
field() { printf '%s\n' "$1" | sed -n "s/.*\"$2\":\([^],}[]*\).*/\1/p"; }

# --resume: a bp model continues as bp, and appends to its metrics file.
if command -v gzip >/dev/null; then
  cp "$tmp/bp.ffm" "$tmp/bp-resume.ffm"
  head -n 1 "$tmp/bp.ffm.metrics.jsonl" > "$tmp/bp-resume.ffm.metrics.jsonl"
  put_back_to_epoch_1 "$tmp/bp-resume.ffm"
  check '"$FFCNN" info --model "$tmp/bp-resume.ffm" | grep -q "^position: 1 epoch done"' "bp model put back one epoch"
  out=$("$FFCNN" train --resume "$tmp/bp-resume.ffm" --data "mnist:$DATA" --threads 2 2>"$tmp/bp-resume.log"); status=$?
  check '[ $status = 0 ] && grep -q "^resuming $tmp/bp-resume.ffm at epoch 2, step 0$" "$tmp/bp-resume.log"' \
    "--resume of a bp model (status $status): $(tail -n 1 "$tmp/bp-resume.log")"
  check 'grep -q "backprop baseline" "$tmp/bp-resume.log" && grep -q "^epoch 2 done" "$tmp/bp-resume.log"' "the resumed run trains epoch 2 by backprop"
  check 'printf "%s\n" "$out" | grep -q "(2 epochs," && ! printf "%s\n" "$out" | grep -q "(goodness)"' "the resumed run reports the linear head"
  "$FFCNN" info --model "$tmp/bp-resume.ffm" >"$tmp/bp-resume.info"
  check 'grep -q "^algorithm: bp (" "$tmp/bp-resume.info" && grep -q "^position: 2 epochs done" "$tmp/bp-resume.info"' \
    "a resumed bp model stays bp"
  check '! cmp -s "$tmp/bp.ffm" "$tmp/bp-resume.ffm"' "the resumed run changed the weights"
  mapfile -t B < "$tmp/bp-resume.ffm.metrics.jsonl"
  check '[ ${#B[@]} = 2 ] && [ "$(field "${B[1]}" epoch)" = 2 ] && [[ "${B[1]}" == *"\"algo\":\"bp\""*"\"layer_loss\":[],\"layer_disc_acc\":[],"* ]]' \
    "the resumed bp run appends epoch 2 to its metrics file: ${B[*]}"
else
  echo "test_cli: gzip not found; the bp --resume checks are skipped" >&2
fi

# Per-epoch metrics beside the model (MODEL.metrics.jsonl), and ffcnn plot.
M="$tmp/ff2.ffm.metrics.jsonl"
printf 'an older run\n' > "$M"
"$FFCNN" train --preset tiny --data "mnist:$DATA" --train-limit 200 --val-limit 100 --epochs 2 \
  --threads 2 --out "$tmp/ff2.ffm" >/dev/null 2>"$tmp/ff2.log"; status=$?
mapfile -t L < "$M"
check '[ $status = 0 ] && [ ${#L[@]} = 2 ]' "train --epochs 2: 2 metrics lines, an older file truncated (status $status): ${L[*]}"
check '[ "$(field "${L[0]}" epoch)" = 1 ] && [ "$(field "${L[1]}" epoch)" = 2 ]' "metrics lines of epochs 1 and 2"
for key in epoch algo net lr seconds train_seconds images_per_s layer_loss layer_disc_acc classifier_loss \
           classifier_acc val_acc_linear; do
  check '[[ "${L[1]}" == *"\"$key\":"* ]]' "metrics line lacks $key: ${L[1]}"
done
check '[[ "${L[0]}" == "{\"epoch\":1,\"algo\":\"ff\",\"net\":\"c8k3 c8k3\","*"\"layer_loss\":[null,"*"],\"layer_disc_acc\":[null,0"* ]]' \
  "metrics: algo, net, and per conv layer (layer 1 untrained: null): ${L[0]}"
check 'awk -v a="$(field "${L[0]}" train_seconds)" -v b="$(field "${L[1]}" train_seconds)" -v s="$(field "${L[1]}" seconds)" \
  "BEGIN { exit !(a > 0 && b > a && (b - a - s)^2 < 1e-12) }"' "train_seconds grow by each epoch's seconds: ${L[*]}"
for l in "${L[@]}"; do
  v=$(field "$l" val_acc_linear)
  check 'awk -v v="$v" "BEGIN { exit !(v ~ /^[0-9.e-]+\$/ && v >= 0 && v <= 1) }"' "val_acc_linear '$v' in [0, 1]"
done
# A resumed run: the epochs its model has done keep their lines (a line of an epoch the model
# lost is dropped), its own epochs are appended, and train_seconds go on from the file's.
if command -v gzip >/dev/null; then
  cp "$tmp/ff2.ffm" "$tmp/ff2r.ffm"
  cp "$M" "$tmp/ff2r.ffm.metrics.jsonl"
  put_back_to_epoch_1 "$tmp/ff2r.ffm"
  "$FFCNN" train --resume "$tmp/ff2r.ffm" --data "mnist:$DATA" --threads 2 >/dev/null 2>"$tmp/ff2r.log"; status=$?
  mapfile -t R < "$tmp/ff2r.ffm.metrics.jsonl"
  check '[ $status = 0 ] && [ ${#R[@]} = 2 ] && [ "${R[0]}" = "${L[0]}" ] && [ "$(field "${R[1]}" epoch)" = 2 ] && [ "${R[1]}" != "${L[1]}" ]' \
    "resume: epoch 1's line kept, epoch 2's trained again (status $status): ${R[*]}"
  check 'awk -v a="$(field "${R[0]}" train_seconds)" -v b="$(field "${R[1]}" train_seconds)" -v s="$(field "${R[1]}" seconds)" \
    "BEGIN { exit !(b > a && (b - a - s)^2 < 1e-12) }"' "resume: train_seconds go on from the file's: ${R[*]}"
  "$FFCNN" train --resume "$tmp/ff2r.ffm" --data "mnist:$DATA" --threads 2 --out "$tmp/ff2o.ffm" >/dev/null 2>&1
  check 'cmp -s "$tmp/ff2r.ffm.metrics.jsonl" "$tmp/ff2o.ffm.metrics.jsonl"' "resume with another --out: the metrics file goes along"
fi
# A metrics file that cannot be written: one warning naming it, and training goes on.
mkdir "$tmp/wr.ffm.metrics.jsonl"
"$FFCNN" train --preset tiny --data "mnist:$DATA" --train-limit 100 --val-limit 0 --epochs 2 --threads 2 \
  --out "$tmp/wr.ffm" >/dev/null 2>"$tmp/wr.log"; status=$?
check '[ $status = 0 ] && [ -s "$tmp/wr.ffm" ] && [ "$(grep -c "^ffcnn: warning: $tmp/wr.ffm.metrics.jsonl: cannot write" "$tmp/wr.log")" = 1 ]' \
  "unwritable metrics file: one warning, training done (status $status): $(grep warning "$tmp/wr.log")"

P="$tmp/ff2.ffm.metrics.jsonl"
out=$("$FFCNN" plot "$P" --width 640 "$tmp/ff2r.ffm.metrics.jsonl" --height=480 --title "two runs" --out "$tmp/p.png" 2>&1); status=$?
check '[ $status = 0 ] && [ "$out" = "plot written to $tmp/p.png (2 runs, 4 points)" ]' "plot of two metrics files (status $status): $out"
check 'png_ok "$tmp/p.png" 640 480' "plot: a 640x480 PNG, not blank: $([ -n "$PNG_CHECK" ] && "$PNG_CHECK" "$tmp/p.png")"
printf '{"epoch":1,"train_seconds":1.5,"val_acc_linear":null}\n{"epoch":2, "train_seconds":3, "val_acc_linear":0.5, "x":[{"y":"\\u00e9"}]}\n' > "$tmp/one.metrics.jsonl"
out=$("$FFCNN" plot "$tmp/one.metrics.jsonl" --x epoch --out "$tmp/e.png" 2>&1); status=$?
check '[ $status = 0 ] && [[ "$out" == *"(1 run, 1 point)" ]] && png_ok "$tmp/e.png" 800 600' "plot --x epoch: null points skipped, 800x600 (status $status): $out"
expect_error 2 "METRICS: no metrics file given" -- plot --out "$tmp/x.png"
expect_error 2 "$tmp/none.metrics.jsonl: cannot open (No such file or directory)" -- plot "$P" "$tmp/none.metrics.jsonl" --out "$tmp/x.png"
printf '%s\n' "${L[0]}" "not json" > "$tmp/bad1.metrics.jsonl"
expect_error 2 "$tmp/bad1.metrics.jsonl line 2: not a JSON object" -- plot "$tmp/bad1.metrics.jsonl" --out "$tmp/x.png"
printf '{"epoch":1,"train_seconds":"2","val_acc_linear":0.5}\n' > "$tmp/bad2.metrics.jsonl"
expect_error 2 "$tmp/bad2.metrics.jsonl line 1: \"train_seconds\" is not a number" -- plot "$tmp/bad2.metrics.jsonl" --out "$tmp/x.png"
printf '{"epoch":1,"val_acc_linear":0.5}\n' > "$tmp/bad3.metrics.jsonl"
expect_error 2 "$tmp/bad3.metrics.jsonl line 1: no \"train_seconds\"" -- plot "$tmp/bad3.metrics.jsonl" --out "$tmp/x.png"
printf '{"epoch":1,"train_seconds":2,"val_acc_linear":0.5} {}\n' > "$tmp/bad4.metrics.jsonl"
expect_error 2 "$tmp/bad4.metrics.jsonl line 1: text after the JSON object" -- plot "$tmp/bad4.metrics.jsonl" --out "$tmp/x.png"
printf '{"epoch":1,"train_seconds":2,"val_acc_linear":0x1p-1}\n' > "$tmp/bad5.metrics.jsonl"
expect_error 2 "$tmp/bad5.metrics.jsonl line 1: \"val_acc_linear\" is not a number or null" -- plot "$tmp/bad5.metrics.jsonl" --out "$tmp/x.png"
printf '{"epoch":1,"train_seconds":2,"val_acc_linear":0.5,}\n' > "$tmp/bad6.metrics.jsonl"
expect_error 2 "$tmp/bad6.metrics.jsonl line 1: not a JSON object" -- plot "$tmp/bad6.metrics.jsonl" --out "$tmp/x.png"
printf '{"epoch":1,"train_seconds":2,"val_acc_linear":null}\n' > "$tmp/null.metrics.jsonl"
expect_error 2 "$tmp/null.metrics.jsonl: no plottable point" -- plot "$P" "$tmp/null.metrics.jsonl" --out "$tmp/x.png"
: > "$tmp/empty.metrics.jsonl"
expect_error 2 "$tmp/empty.metrics.jsonl: no plottable point" -- plot "$tmp/empty.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "--out: required" -- plot "$P"
expect_error 2 "--out $tmp/nowhere/x.png: cannot write the PNG" -- plot "$P" --out "$tmp/nowhere/x.png"
expect_error 2 "--x: 'steps' is not time or epoch" -- plot "$P" --out "$tmp/x.png" --x steps
expect_error 2 "--width: 100 is out of range 200..4000" -- plot "$P" --out "$tmp/x.png" --width 100
expect_error 2 "--height: 4001 is out of range 200..4000" -- plot "$P" --out "$tmp/x.png" --height=4001
expect_error 2 "--epochs: unknown option for plot" -- plot "$P" --out "$tmp/x.png" --epochs 2
expect_error 2 "$P: unexpected argument (see ffcnn eval --help)" -- eval --model x "$P"
check '[ ! -e "$tmp/x.png" ]' "no PNG written by a refused plot"


# --eval-test-every: the test split's accuracy every N epochs and after the last, in the output
# and the metrics file, equal to eval's on the model; training is the same as without it.
ET=(--preset tiny --data "mnist:$DATA" --train-limit 1000 --val-limit 200 --epochs 3 --threads 2 --conv im2col)
"$FFCNN" train "${ET[@]}" --eval-test-every 2 --out "$tmp/et.ffm" > "$tmp/et.log" 2>&1; status=$?
"$FFCNN" train "${ET[@]}" --out "$tmp/et0.ffm" > /dev/null 2>&1
M="$tmp/et.ffm.metrics.jsonl"
want=$("$FFCNN" eval --model "$tmp/et.ffm" --data "mnist:$DATA" --split test --json | tail -n 1 |
  sed 's/.*"accuracy_goodness":\([0-9.]*\),"accuracy_linear":\([0-9.]*\).*/"test_acc_goodness":\1,"test_acc_linear":\2}/')
check '[ $status = 0 ] && [ "$(grep -c "test (reporting only" "$tmp/et.log")" = 2 ] && ! sed -n 1p "$M" | grep -q test_acc && sed -n 2p "$M" | grep -q "\"test_acc_linear\":0\." && [[ "$(sed -n 3p "$M")" == *"$want" ]]' \
  "--eval-test-every 2 of 3 epochs: epochs 2 and 3, the last = eval's ($want): $(tail -n 1 "$M")"
sha_of() { "$FFCNN" info --model "$1" --json | tail -n 1 | sed 's/.*"weights_sha256":"\([0-9a-f]*\)".*/\1/'; }
check '[ "$(sha_of "$tmp/et.ffm")" = "$(sha_of "$tmp/et0.ffm")" ]' "the test evaluation changes no weight"
expect_error 2 "--eval-test-every: cifar10-jpeg has no test split" -- train --data "cifar10-jpeg:$tmp" --eval-test-every 1 --out "$tmp/x.ffm"
expect_error 2 "--eval-test-every: -1 is out of range" -- train --eval-test-every -1

# --ff-loss cwc (docs/method.md §13): its refusals in one line each; a tiny run on plain images,
# described as such, whose printed goodness accuracy is eval's on the saved model.
expect_error 2 "--ff-loss cwc: conv layer 2 has 16 filters, not a multiple of the 10 classes" -- train --ff-loss cwc --data "mnist:$DATA"
expect_error 2 "--ff-loss cwc: conv layer 1 has 8 filters, not a multiple of the 10 classes" -- train --ff-loss cwc --net c8k3,c10k3 --train-from 1 --data "mnist:$DATA"
expect_error 2 "--negatives: hard has no meaning with --ff-loss cwc, which has no negatives" -- train --ff-loss cwc --net c10k3,c10k3 --negatives hard --data "mnist:$DATA"
expect_error 2 "--ff-loss: applies to --algo ff only" -- train --algo bp --ff-loss cwc
expect_error 2 "--ff-loss: 'cwx' is not bce, symba, ce or cwc" -- train --ff-loss cwx
CW=(--net c10k3,c20k3 --ff-loss cwc --goodness mean --ff-temperature 0.5 --train-from 1 --lr 3e-3
    --data "mnist:$DATA" --train-limit 500 --val-limit 200 --epochs 1 --threads 2)
"$FFCNN" train "${CW[@]}" --out "$tmp/cwc.ffm" --json > "$tmp/cwc.out" 2> "$tmp/cwc.log"; status=$?
acc_of() { tail -n 1 "$1" | grep -o '"accuracy_goodness":[0-9.]*'; }
"$FFCNN" eval --model "$tmp/cwc.ffm" --data "mnist:$DATA" --eval-limit 200 --threads 2 --json > "$tmp/cwc.eval"
check '[ $status = 0 ] && [ -n "$(acc_of "$tmp/cwc.out")" ] && [ "$(acc_of "$tmp/cwc.out")" = "$(acc_of "$tmp/cwc.eval")" ]' \
  "cwc: train's goodness accuracy = eval's on the saved model ($(acc_of "$tmp/cwc.out"), $(acc_of "$tmp/cwc.eval"))"
check 'grep -q "labels: none (cwc), layers 1..2 trained; objective cwc" "$tmp/cwc.log"' "cwc: train's header says the labels are unused"
check '"$FFCNN" info --model "$tmp/cwc.ffm" | grep -q "^labels: none (cwc" && "$FFCNN" info --model "$tmp/cwc.ffm" | grep -q "^objective: loss cwc, goodness mean, temperature 0.5, negatives none"' "info: cwc, no labels"
check '"$FFCNN" info --model "$tmp/cwc.ffm" --json | tail -n 1 | grep -qF "\"label_set\":null,\"label_k\":null," && "$FFCNN" info --model "$tmp/cwc.ffm" --json | tail -n 1 | grep -qF "\"ff_loss\":\"cwc\""' "info --json: cwc, no labels"
check '"$FFCNN" predict --model "$tmp/cwc.ffm" --data "mnist:$DATA" --index 0 > /dev/null' "predict with a cwc model"
check '"$FFCNN" cam --model "$tmp/cwc.ffm" --data "mnist:$DATA" --index 0 --out "$tmp/cwc.png" > /dev/null && [ -s "$tmp/cwc.png" ]' "cam of a cwc model: the linear head's maps on the plain image"
expect_error 2 "--model $tmp/cwc.ffm: a cwc model (--ff-loss cwc) has no labels" -- labels --model "$tmp/cwc.ffm" --data "mnist:$DATA" --out "$tmp/l.png"
check '"$FFCNN" train --help | grep -q "^ *cwc (no label: each layer"' "train --help: --ff-loss cwc"

summary
