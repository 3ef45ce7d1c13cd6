#!/usr/bin/env bash
# ffcnn sweep: a grid of tiny MNIST runs; every figure in results.csv checked against ffcnn eval
# on the run's model; no run done twice; a stopped sweep resumes its stopped run to the same
# weights as an unstopped one; the plot; every bad spec, flag and table.
# usage: test_sweep.sh FFCNN MNIST_DIR PNG_CHECK
source "$(dirname "$0")/lib.sh" "$1" "${2:-../data/mnist}"
PNG_CHECK="${3:-}"
cd "$tmp" || exit 1

cat > k.spec << EOF
# two label intensities, two seeds
data = mnist:$DATA
preset = tiny
train-limit = 300   # a comment after the values
val-limit = 100
label-k = 0.2 0.5
seed = 1 2
threads = 1
test = yes
eval-limit = 500    # the test evaluation: the first 500 test images
EOF
out=$("$FFCNN" sweep k.spec --dry-run)
check '[ "$(grep -c " to run " <<< "$out")" = 4 ] && [ ! -e k.runs ]' "dry run: 4 runs to run, nothing written: $out"
"$FFCNN" sweep k.spec > sweep1.out 2>&1; status=$?
check '[ $status = 0 ] && [ "$(wc -l < k.runs/results.csv)" = 5 ]' "4 runs, a header and 4 rows (status $status): $(tail -n 3 sweep1.out)"
check '[ "$(head -n 1 k.runs/results.csv)" = "run,data,preset,train-limit,val-limit,label-k,seed,threads,eval-limit,status,val_goodness,val_linear,test_goodness,test_linear,epochs_done,train_seconds,images_per_s" ]' \
  "the header: $(head -n 1 k.runs/results.csv)"
# Every row's figures are its model's, as ffcnn eval measures them.
while IFS=, read -r id _ _ _ _ k seed _ _ st vg vl tg tl ep secs ips; do
  [ "$id" = run ] && continue
  ev=$("$FFCNN" eval --model "k.runs/$id.ffm" --data "mnist:$DATA" --split val --eval-limit 100 --json | tail -n 1)
  et=$("$FFCNN" eval --model "k.runs/$id.ffm" --data "mnist:$DATA" --split test --eval-limit 500 --json | tail -n 1)
  want=$(perl -e 'my ($v, $t) = @ARGV; my @a = map { /"accuracy_(?:goodness|linear)":([0-9.]+)/g } ($v, $t);
    printf "%.4f,%.4f,%.4f,%.4f", @a' "$ev" "$et")
  check '[ "$st" = ok ] && [ "$vg,$vl,$tg,$tl" = "$want" ]' "run $id (k $k, seed $seed): $vg,$vl,$tg,$tl = eval's $want"
  info=$("$FFCNN" info --model "k.runs/$id.ffm" --json)
  check '[[ "$info" == *"\"label_k\":$k,"* && "$info" == *"\"seed\":$seed,"* && "$ep" = 1 ]] && perl -e "exit !($secs > 0 && $ips > 0)"' \
    "run $id was trained with its settings, 1 epoch, seconds $secs, img/s $ips"
done < k.runs/results.csv
# Run again: nothing runs, the table is unchanged; a new value runs only its new runs.
cp k.runs/results.csv before.csv
out=$("$FFCNN" sweep k.spec)
check 'cmp -s before.csv k.runs/results.csv && [[ "$out" == *"4 of 4 runs done (0 in this call)"* ]]' "a finished sweep runs nothing: $out"
sed -i 's/^label-k = .*/label-k = 0.2 0.35 0.5/' k.spec
out=$("$FFCNN" sweep k.spec)
check '[[ "$out" == *"6 of 6 runs done (2 in this call)"* ]] && [ "$(grep -c "^r.*,0.35," k.runs/results.csv)" = 2 ] && [ "$(head -n 5 k.runs/results.csv)" = "$(cat before.csv)" ]' \
  "a value added: its 2 runs only, appended: $out"

# Stopped half-way, then started again: the stopped run resumes from its checkpoint and ends
# with the weights of a run never stopped. The conv path is forced: the autotuner times both
# paths, and under CI's parallel tests the two sweeps could choose differently (float order).
cat > stop.spec << EOF
data = mnist:$DATA
preset = tiny
train-limit = 3000
val-limit = 100
epochs = 3
checkpoint-every = 5s
threads = 1
conv = im2col   # both sweeps take one path: a measured choice can differ between them on a busy machine
EOF
"$FFCNN" sweep stop.spec --dir whole > /dev/null 2>&1
"$FFCNN" sweep stop.spec > stop1.out 2> stop1.err &
pid=$!
for _ in $(seq 200); do [ -s stop.runs/results.csv ] && ls stop.runs/*.ffm > /dev/null 2>&1 && break; sleep 0.05; done
sleep 0.3
kill -INT $pid
wait $pid; status=$?
check '[ $status = 130 ] && [ "$(wc -l < stop1.err)" = 1 ] && grep -q "stopped (SIGINT); the finished runs are in stop.runs/results.csv" stop1.err && [ "$(wc -l < stop.runs/results.csv)" = 1 ]' \
  "SIGINT: exit 130, one line, no row (status $status): $(cat stop1.err)"
check '"$FFCNN" sweep stop.spec --dry-run | grep -q " started "' "the stopped run is listed as started"
out=$("$FFCNN" sweep stop.spec)
id=$(tail -n 1 stop.runs/results.csv | cut -d, -f1)
sha() { "$FFCNN" info --model "$1" --json | tail -n 1 | sed 's/.*"weights_sha256":"\([0-9a-f]*\)".*/\1/'; }
check '[[ "$out" == *", resumed;"* ]] && grep -q "^resuming stop.runs/$id.ffm" "stop.runs/$id.log" && [ "$(sha "stop.runs/$id.ffm")" = "$(sha "whole/$id.ffm")" ] && [ "$(tail -n 1 stop.runs/results.csv | cut -d, -f9-13)" = "$(tail -n 1 whole/results.csv | cut -d, -f9-13)" ]' \
  "resumed to the unstopped run's weights and figures: $out"

# The plot: numbers on x, and categories (nets) on x with a line per label-k.
"$FFCNN" sweep k.spec --plot label-k --out k.png --metric val_linear > plot.out; status=$?
check '[ $status = 0 ] && png_ok k.png 960 720 && grep -q "1 line from 6 rows" plot.out' "plot against label-k: $(cat plot.out)"
cat > n.spec << EOF
data = mnist:$DATA
net = c4k3 | c4k3 c4k3
train-from = 1
label-k = 0.2 0.5
train-limit = 200
val-limit = 50
epochs = 1
threads = 1
EOF
"$FFCNN" sweep n.spec > /dev/null 2>&1
out=$("$FFCNN" sweep n.spec --plot net --out n.png --width 800)
check 'png_ok n.png 800 600 && [[ "$out" == *"2 lines from 4 rows"* ]] && grep -q ",c4k3 c4k3," n.runs/results.csv' "plot against net (categories): $out"

# Bad specs: one line naming the spec's line, exit 2, nothing run.
bad_spec() { # NEEDLE SPEC-TEXT
  printf '%s\n' "$2" > bad.spec
  expect_error 2 "$1" -- sweep bad.spec
}
bad_spec "bad.spec:2: 'lrate' is not a flag of ffcnn train or eval" $'epochs = 1\nlrate = 0.1'
bad_spec "bad.spec:1: out: set by the sweep itself" 'out = x.ffm'
bad_spec "bad.spec:1: json: set by the sweep itself" 'json = yes'
bad_spec "bad.spec: --eval-limit: " 'eval-limit = many'
bad_spec "bad.spec:2: seed: given twice (first on line 1)" $'seed = 1\nseed = 2'
bad_spec "bad.spec:1: expected KEY = VALUE" 'seed 1 2'
bad_spec "bad.spec:1: seed: no value" 'seed ='
bad_spec "bad.spec:1: net: an empty value" 'net = c4k3 || c8k3'
bad_spec "bad.spec:1: seed: value '1' given twice" 'seed = 1 2 1'
bad_spec "bad.spec:1: test: 'maybe' is not yes or no" 'test = maybe'
bad_spec "bad.spec:3: the grid has more than 4096 runs" $'seed = '"$(seq -s ' ' 64)"$'\nbatch = '"$(seq -s ' ' 64)"$'\nepochs = 1 2'
bad_spec "bad.spec: --label-k: " 'label-k = 0.2 2'
bad_spec "bad.spec:1: label-k: a value with a comma" 'label-k = 0.2,0.3'
check '[ ! -e bad.runs ]' "a bad spec runs nothing"
expect_error 2 "missing.spec: cannot open" -- sweep missing.spec
expect_error 2 "SPEC: no sweep spec file given" -- sweep
expect_error 2 "--out: required with --plot" -- sweep k.spec --plot label-k
expect_error 2 "--metric: applies to --plot only" -- sweep k.spec --metric val_linear
expect_error 2 "--metric: 'acc' is not val_goodness" -- sweep k.spec --plot seed --metric acc --out x.png
expect_error 2 "--plot lr: not a key of k.spec" -- sweep k.spec --plot lr --out x.png
expect_error 2 "n.runs/results.csv: no finished run has test_linear" -- sweep n.spec --plot net --metric test_linear --out x.png
expect_error 2 "--dry-run: give --plot or --dry-run, not both" -- sweep k.spec --plot seed --out x.png --dry-run
# A table that is not this spec's, or is damaged: named, with its line.
expect_error 2 "k.runs/results.csv:1: its columns are not this spec's" -- sweep n.spec --dir k.runs --dry-run
cp k.runs/results.csv good.csv
sed -i '3s/,ok,0\.[0-9]*,/,ok,1.5,/' k.runs/results.csv
expect_error 2 "k.runs/results.csv:3: val_goodness: '1.5' is not an accuracy" -- sweep k.spec
sed -i '3s/^r[0-9a-f]*,/x,/' k.runs/results.csv
expect_error 2 "k.runs/results.csv:3: 'x' is not a run id" -- sweep k.spec --plot seed --out x.png
cp good.csv k.runs/results.csv
printf 'r0123456789ab,"open\n' >> k.runs/results.csv
expect_error 2 "k.runs/results.csv:8: a malformed CSV line (quotes)" -- sweep k.spec
cp good.csv k.runs/results.csv
# A run that fails on bad input stops the sweep, naming the run and its log; nothing recorded.
printf 'data = mnist:%s\npreset = tiny\ntrain-limit = 100\n' "$tmp/nowhere" > nodata.spec
out=$("$FFCNN" sweep nodata.spec 2>&1 >/dev/null); status=$?
check '[ $status = 2 ] && [[ "$out" == "ffcnn: run r"*": exit 2: ffcnn: "*"nowhere"*"(log nodata.runs/r"*".log)" ]] && [ "$(wc -l < nodata.runs/results.csv)" = 1 ]' \
  "a run's bad input stops the sweep (status $status): $out"
summary
