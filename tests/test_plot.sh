#!/usr/bin/env bash
# ffcnn plot on hand-made metrics files: the three-panel figure (loss and discrimination accuracy
# per layer, validation accuracy), --panels val, --metric (the test split's accuracy), the image
# sizes, and bad files and flags (one line naming the file and line, or the flag; exit 2; no
# PNG). Needs no data set.
# Usage: test_plot.sh FFCNN [PNG_CHECK] (tests/png_check.c: "W H COLOURS" of a PNG).
source "$(dirname "$0")/lib.sh" "$1"
PNG_CHECK="${2:-}"



# plot_ok OUT_NEEDLE PNG W H -- ARGS: exit 0, the summary line, a W x H PNG that is not blank
plot_ok() {
  local needle=$1 png=$2 w=$3 h=$4; shift 5
  local out status
  out=$("$FFCNN" plot "$@" --out "$png" 2>&1); status=$?
  check '[ $status = 0 ] && [ "$out" = "plot written to $png ($needle)" ] && png_ok "$png" $w $h' \
    "plot $* -> status $status, '$out' (wanted '$needle', ${w}x$h): $([ -n "$PNG_CHECK" ] && "$PNG_CHECK" "$png")"
}

# ff_line EPOCH SECONDS LOSS2 LOSS3 DISC2 DISC3 VAL: an FF epoch of 3 conv layers, layer 1 untrained
ff_line() {
  printf '{"epoch":%s,"algo":"ff","net":"c8k3 c8k3 c8k3","lr":0.001,"seconds":2,"train_seconds":%s,"images_per_s":500,' "$1" "$2"
  printf '"layer_loss":[null,%s,%s],"layer_disc_acc":[null,%s,%s],"classifier_loss":0.9,"classifier_acc":0.7,"val_acc_linear":%s}\n' "$3" "$4" "$5" "$6" "$7"
}
A="$tmp/a.ffm.metrics.jsonl" B="$tmp/b.ffm.metrics.jsonl" BP="$tmp/bp.ffm.metrics.jsonl"
{ ff_line 1 2 0.69 0.70 0.55 0.52 0.61; ff_line 2 4 0.52 0.60 0.71 0.64 0.78; ff_line 3 6 0.40 0.47 0.83 0.77 0.85; } > "$A"
{ ff_line 1 3 0.66 0.69 0.58 0.51 0.66; ff_line 2 6.5 0.45 0.58 0.77 0.69 0.81; } > "$B"
printf '{"epoch":%d,"algo":"bp","train_seconds":%s,"layer_loss":null,"layer_disc_acc":null,"classifier_loss":%s,"val_acc_linear":%s}\n' \
  1 1.5 0.7 0.89 2 3.1 0.2 0.93 3 4.4 0.1 0.95 > "$BP"

# The default: three panels, 1200x900 (4:3); one row when the width is twice the height.
plot_ok "3 runs, 8 points" "$tmp/all.png" 1200 900 -- "$A" "$B" "$BP" --title "FF vs BP"
plot_ok "3 runs, 8 points" "$tmp/row.png" 1500 500 -- "$A" "$B" "$BP" --x epoch --width 1500 --height=500
plot_ok "2 runs, 5 points" "$tmp/w.png" 640 480 -- "$A" "$B" --width 640
plot_ok "2 runs, 5 points" "$tmp/h.png" 400 300 -- "$A" "$B" --height 300 --panels all
check '! cmp -s "$tmp/all.png" "$tmp/row.png"' "the one-row layout differs from the grid"
# --panels val: the validation plot alone, 800x600 by default; the same when no run has layer metrics.
plot_ok "3 runs, 8 points" "$tmp/val.png" 800 600 -- "$A" "$B" "$BP" --panels val
plot_ok "1 run, 3 points" "$tmp/bp.png" 800 600 -- "$BP"
printf '{"epoch":1,"train_seconds":1,"val_acc_linear":0.5}\n' > "$tmp/old.metrics.jsonl"
plot_ok "1 run, 1 point" "$tmp/old.png" 800 600 -- "$tmp/old.metrics.jsonl" --x epoch
"$FFCNN" plot "$BP" --panels val --out "$tmp/bpval.png" >/dev/null
check 'cmp -s "$tmp/bp.png" "$tmp/bpval.png"' "BP alone: the same figure as with --panels val"
# A run without validation set: its layer curves only; nothing to plot with --panels val.
{ ff_line 1 2 0.69 0.70 0.55 0.52 null; ff_line 2 4 0.52 0.60 0.71 0.64 null; } > "$tmp/noval.metrics.jsonl"
plot_ok "2 runs, 3 points" "$tmp/noval.png" 1200 900 -- "$A" "$tmp/noval.metrics.jsonl"
expect_error 2 "$tmp/noval.metrics.jsonl: no plottable point" -- plot "$tmp/noval.metrics.jsonl" --panels val --out "$tmp/x.png"
# The metrics files that ffcnn train writes: BP's layer arrays are empty, a layer may be null.
printf '{"epoch":1,"algo":"bp","layer_loss":[],"layer_disc_acc":[],"train_seconds":1,"val_acc_linear":0.9}\n' > "$tmp/bp0.metrics.jsonl"
printf '{"epoch":1,"layer_loss":[null,null],"layer_disc_acc":[null,0.6],"train_seconds":1,"val_acc_linear":0.9}\n' > "$tmp/part.metrics.jsonl"
plot_ok "2 runs, 2 points" "$tmp/mixed.png" 1200 900 -- "$tmp/bp0.metrics.jsonl" "$tmp/part.metrics.jsonl"

# --metric test_goodness|test_linear: the test split's accuracy (ffcnn train --eval-test-every N
# writes it on some epochs' lines) in the accuracy panel; lines without it are skipped. AT is A
# with test fields on epochs 1 and 3, BT is B with them on epoch 2 (test_acc_goodness null there).
mkdir "$tmp/t"
AT="$tmp/t/a.ffm.metrics.jsonl" BT="$tmp/t/b.ffm.metrics.jsonl"
sed -e '1s/}$/,"test_acc_goodness":0.58,"test_acc_linear":0.63}/' \
  -e '3s/}$/,"test_acc_goodness":0.81,"test_acc_linear":0.86}/' "$A" > "$AT"
sed -e '2s/}$/,"test_acc_goodness":null,"test_acc_linear":0.8}/' "$B" > "$BT"
plot_ok "1 run, 2 points" "$tmp/tg.png" 1200 900 -- "$AT" --metric test_goodness
plot_ok "1 run, 3 points" "$tmp/tv.png" 1200 900 -- "$AT"
plot_ok "2 runs, 3 points" "$tmp/tl.png" 1200 900 -- "$AT" "$BT" --metric test_linear
plot_ok "2 runs, 3 points" "$tmp/tlval.png" 800 600 -- "$AT" "$BT" --metric=test_linear --panels val --x epoch
plot_ok "1 run, 2 points" "$tmp/tgval.png" 800 600 -- "$AT" --panels val --x epoch --metric test_goodness
"$FFCNN" plot "$AT" --panels val --x epoch --out "$tmp/tvval.png" >/dev/null
check '! cmp -s "$tmp/tg.png" "$tmp/tv.png"' "--metric test_goodness: not the val_linear figure"
check '! cmp -s "$tmp/tg.png" "$tmp/tl.png" && ! cmp -s "$tmp/tgval.png" "$tmp/tvval.png"' \
  "--metric test_goodness, test_linear and val_linear: three figures"
# val_linear, the default, is today's figure: the flag changes no byte, nor do the test fields.
"$FFCNN" plot "$A" "$B" "$BP" --title "FF vs BP" --metric val_linear --out "$tmp/allv.png" >/dev/null
"$FFCNN" plot "$A" "$B" "$BP" --panels val --metric val_linear --out "$tmp/valv.png" >/dev/null
"$FFCNN" plot "$A" --out "$tmp/a.png" >/dev/null
check 'cmp -s "$tmp/all.png" "$tmp/allv.png" && cmp -s "$tmp/val.png" "$tmp/valv.png"' \
  "--metric val_linear: the figure without the flag, byte for byte"
check 'cmp -s "$tmp/a.png" "$tmp/tv.png"' "test fields change nothing in the val_linear figure"
# A file without the metric on any line (absent or null): one line naming it and the metric.
NOTEST="no line has test_acc_goodness (--metric test_goodness); ffcnn train --eval-test-every N records it"
expect_error 2 "ffcnn: $A: $NOTEST" -- plot "$AT" "$A" --metric test_goodness --out "$tmp/x.png"
expect_error 2 "ffcnn: $A, $BT: $NOTEST" -- plot "$A" "$AT" "$BT" --metric test_goodness --panels val --out "$tmp/x.png"
expect_error 2 "ffcnn: $BP: no line has test_acc_linear (--metric test_linear); ffcnn train --eval-test-every N" -- plot "$BP" --metric test_linear --out "$tmp/x.png"
# Bad test values (whatever --metric): one line naming the file, the line and the field.
bad_test() { # NAME FIELD VALUE: A's first line, then a line with FIELD VALUE
  { head -n 1 "$A"; printf '{"epoch":2,"train_seconds":4,"val_acc_linear":0.7,"%s":%s}\n' "$2" "$3"; } > "$tmp/$1.metrics.jsonl"
}
bad_test tg15 test_acc_goodness 1.5
bad_test tgneg test_acc_goodness -0.25
bad_test tltext test_acc_linear '"0.9"'
bad_test tlarray test_acc_linear '[0.9]'
expect_error 2 "ffcnn: $tmp/tg15.metrics.jsonl line 2: \"test_acc_goodness\" 1.5 is not in [0, 1]" -- plot "$tmp/tg15.metrics.jsonl" --metric test_goodness --out "$tmp/x.png"
expect_error 2 "ffcnn: $tmp/tg15.metrics.jsonl line 2: \"test_acc_goodness\" 1.5 is not in [0, 1]" -- plot "$A" "$tmp/tg15.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "ffcnn: $tmp/tgneg.metrics.jsonl line 2: \"test_acc_goodness\" -0.25 is not in [0, 1]" -- plot "$tmp/tgneg.metrics.jsonl" --metric test_linear --out "$tmp/x.png"
expect_error 2 "ffcnn: $tmp/tltext.metrics.jsonl line 2: \"test_acc_linear\" is not a number or null" -- plot "$tmp/tltext.metrics.jsonl" --metric test_linear --out "$tmp/x.png"
expect_error 2 "ffcnn: $tmp/tlarray.metrics.jsonl line 2: \"test_acc_linear\" is not a number or null" -- plot "$tmp/tlarray.metrics.jsonl" --panels val --out "$tmp/x.png"

# Bad files: one line naming the file and the line.
bad_line() { # NAME LINE: a metrics file of A's first line, then LINE
  { head -n 1 "$A"; printf '%s\n' "$2"; } > "$tmp/$1.metrics.jsonl"
}
V='"epoch":2,"train_seconds":4,"val_acc_linear":0.7'
bad_line comma "{$V,\"layer_loss\":[null,0.5,]}"
bad_line text "{$V,\"layer_loss\":[null,\"0.5\",0.4]}"
bad_line scalar "{$V,\"layer_loss\":0.5}"
bad_line nested "{$V,\"layer_disc_acc\":[[0.5]]}"
bad_line open "{$V,\"layer_disc_acc\":[0.5"
bad_line range "{$V,\"layer_disc_acc\":[null,1.5,0.5]}"
bad_line negative "{$V,\"layer_loss\":[null,-0.5,0.5]}"
bad_line long "{$V,\"layer_loss\":[$(printf '0.5,%.0s' {1..16})0.5]}"
bad_line lengths "{$V,\"layer_loss\":[null,0.5,0.4],\"layer_disc_acc\":[null,0.5]}"
bad_line head "{$V,\"classifier_loss\":\"x\"}"
expect_error 2 "$tmp/comma.metrics.jsonl line 2: \"layer_loss\" is not an array of numbers or nulls" -- plot "$A" "$tmp/comma.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/text.metrics.jsonl line 2: \"layer_loss\" is not an array of numbers or nulls" -- plot "$tmp/text.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/scalar.metrics.jsonl line 2: \"layer_loss\" is not an array of numbers or nulls" -- plot "$tmp/scalar.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/nested.metrics.jsonl line 2: \"layer_disc_acc\" is not an array of numbers or nulls" -- plot "$tmp/nested.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/open.metrics.jsonl line 2: \"layer_disc_acc\" is not an array of numbers or nulls" -- plot "$tmp/open.metrics.jsonl" --panels val --out "$tmp/x.png"
expect_error 2 "$tmp/range.metrics.jsonl line 2: \"layer_disc_acc\" entry 2: 1.5 is not in [0, 1]" -- plot "$tmp/range.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/negative.metrics.jsonl line 2: \"layer_loss\" entry 2: -0.5 is negative" -- plot "$tmp/negative.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/long.metrics.jsonl line 2: \"layer_loss\" has more than 16 entries" -- plot "$tmp/long.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/lengths.metrics.jsonl line 2: \"layer_loss\" has 3 entries, \"layer_disc_acc\" 2" -- plot "$tmp/lengths.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/head.metrics.jsonl line 2: \"classifier_loss\" is not a number or null" -- plot "$tmp/head.metrics.jsonl" --out "$tmp/x.png"
: > "$tmp/empty.metrics.jsonl"
expect_error 2 "$tmp/empty.metrics.jsonl: no plottable point (the file is empty)" -- plot "$A" "$tmp/empty.metrics.jsonl" --out "$tmp/x.png"
expect_error 2 "$tmp/none.metrics.jsonl: cannot open (No such file or directory)" -- plot "$A" "$tmp/none.metrics.jsonl" --out "$tmp/x.png"
# Bad flags: one line naming the flag.
expect_error 2 "--panels: 'both' is not all or val" -- plot "$A" --panels both --out "$tmp/x.png"
expect_error 2 "--panels: needs a value" -- plot "$A" --out "$tmp/x.png" --panels
expect_error 2 "--panels: unknown option for train" -- train --panels val
expect_error 2 "--metric: 'val_goodness' is not val_linear, test_goodness or test_linear" -- plot "$A" --metric val_goodness --out "$tmp/x.png"
expect_error 2 "--metric: 'test' is not val_linear, test_goodness or test_linear" -- plot "$A" --metric test --out "$tmp/x.png"
expect_error 2 "--metric: needs a value" -- plot "$A" --out "$tmp/x.png" --metric
expect_error 2 "--out $tmp/nowhere/x.png: cannot write the PNG" -- plot "$A" --out "$tmp/nowhere/x.png"
check '[ ! -e "$tmp/x.png" ]' "no PNG written by a refused plot"
check '"$FFCNN" plot --help | grep -A1 "^  --panels P " | grep -q "(default all)$"' "plot --help lists --panels"
check '"$FFCNN" plot --help | grep -A4 "^  --metric M " | grep -q "(default val_linear)$"' "plot --help lists --metric"

summary
