# ffcnn predict, cam, labels and eval --confusion-png on MNIST and a small trained model: the
# user's image files give exactly the scores of the data set image they hold, bad images are
# refused with one line, and every picture is a readable, non-blank PNG.
# usage: test_pictures.sh FFCNN DATA PNG_CHECK
source "$(dirname "$0")/lib.sh"
PNG_CHECK="$3"

"$FFCNN" train --preset tiny --data "mnist:$DATA" --train-limit 2000 --val-limit 0 --epochs 2 \
  --threads 2 --out "$tmp/m.ffm" >/dev/null 2>&1 || bad "training the test model failed"
"$FFCNN" train --algo bp --net "c4k3 p2 c8k3" --data "mnist:$DATA" --train-limit 1000 --val-limit 0 \
  --epochs 1 --threads 2 --out "$tmp/bp.ffm" >/dev/null 2>&1 || bad "training the bp test model failed"
M=(--model "$tmp/m.ffm" --threads 2)

# scores JSON: the "class" and "scores" of a predict --json line
scores() { sed -n 's/.*"class":\([0-9]*\).*"scores":\(\[[^]]*\]\).*/\1 \2/p'; }

# Test image 0 as a PGM made here straight from the IDX file (no ffcnn code involved), the same
# inverted (dark ink on white) and enlarged 2x (each pixel a 2x2 block).
IDX="$DATA/t10k-images-idx3-ubyte"; [ -f "$IDX" ] || IDX="$IDX.gz"
zcat -f "$IDX" | head -c $((16 + 784)) | tail -c 784 > "$tmp/t0.raw"
{ printf 'P5\n# MNIST test image 0\n28 28\n255\n'; cat "$tmp/t0.raw"; } > "$tmp/t0.pgm"
{ printf 'P5\n28 28\n255\n'; perl -0777 -pe '$_ = join "", map { chr(255 - ord) } split //' "$tmp/t0.raw"; } > "$tmp/t0-inv.pgm"
{ printf 'P5\n56 56\n255\n'; perl -0777 -ne 'for my $r (0..27) { my $row = join "", map { $_ x 2 } split //, substr($_, 28 * $r, 28); print $row x 2 }' "$tmp/t0.raw"; } > "$tmp/t0-big.pgm"

for mode in goodness linear; do
  ref=$("$FFCNN" predict "${M[@]}" --index 0 --split test --data "mnist:$DATA" --mode $mode --json --save-input "$tmp/t0.png" 2>/dev/null | scores)
  check '[ -n "$ref" ]' "predict --index 0 --mode $mode printed a class and scores"
  for f in t0.png t0.pgm t0-inv.pgm; do
    got=$("$FFCNN" predict "${M[@]}" "$tmp/$f" --mode $mode --json | scores)
    check '[ "$got" = "$ref" ]' "predict $f --mode $mode: the scores of test image 0 ('$got' vs '$ref')"
  done
  got=$("$FFCNN" predict "${M[@]}" "$tmp/t0-big.pgm" --fit stretch --mode $mode --json | scores)
  check '[ "$got" = "$ref" ]' "predict 56x56 --fit stretch --mode $mode: the 28x28 image's scores ('$got' vs '$ref')"
done
check 'cmp -s <(tail -c 784 "$tmp/t0.pgm") <("$PNG_CHECK" --grey "$tmp/t0.png")' "--save-input: the PNG holds test image 0's pixels"
out=$("$FFCNN" predict "${M[@]}" "$tmp/t0-inv.pgm" --json)
check '[[ "$out" == *"\"inverted\":true"* ]]' "--invert auto inverts dark ink on white: $out"
out=$("$FFCNN" predict "${M[@]}" "$tmp/t0-inv.pgm" --invert no --json | scores)
check '[ "$out" != "$ref" ]' "--invert no keeps the image as it is (other scores)"

# predict's classes against eval's accuracy on the same 20 test images, both inferences.
for mode in goodness linear; do
  hits=0
  labels=$(zcat -f "$DATA/t10k-labels-idx1-ubyte"* 2>/dev/null | head -c 28 | tail -c 20 | od -An -tu1 -v)
  read -r -a L <<< "$(echo $labels)"
  for i in $(seq 0 19); do
    c=$("$FFCNN" predict "${M[@]}" --index $i --split test --data "mnist:$DATA" --mode $mode --json | scores | cut -d' ' -f1)
    [ "$c" = "${L[$i]}" ] && hits=$((hits + 1))
  done
  acc=$("$FFCNN" eval "${M[@]}" --split test --data "mnist:$DATA" --eval-limit 20 --mode $mode --json | sed -n "s/.*\"accuracy_$mode\":\([0-9.]*\).*/\1/p")
  check 'awk -v a="$acc" -v h=$hits "BEGIN { exit !(a * 20 > h - 0.5 && a * 20 < h + 0.5) }"' \
    "predict --mode $mode gets $hits of 20 test images right, eval says accuracy $acc"
done

# Several files at once, text output; a bp model predicts by probability.
out=$("$FFCNN" predict "${M[@]}" "$tmp/t0.pgm" "$tmp/t0.png")
check '[ "$(grep -c ": class " <<< "$out")" = 2 ]' "predict two files: two results: $out"
out=$("$FFCNN" predict --model "$tmp/bp.ffm" "$tmp/t0.pgm" --json)
check '[[ "$out" == *"\"mode\":\"probability\""* ]]' "a bp model predicts with its head's probabilities: $out"

# Bad images: one line naming the file, exit 2.
printf 'hello' > "$tmp/text.png"; : > "$tmp/empty.png"; head -c 100 "$tmp/t0.png" > "$tmp/cut.png"
expect_error 2 "$tmp/text.png: not a PNG, JPEG or PGM/PPM image" -- predict "${M[@]}" "$tmp/text.png"
expect_error 2 "$tmp/empty.png: empty file" -- predict "${M[@]}" "$tmp/empty.png"
expect_error 2 "$tmp/cut.png: truncated PNG" -- predict "${M[@]}" "$tmp/cut.png"
expect_error 2 "$tmp/none.png" -- predict "${M[@]}" "$tmp/none.png"
expect_error 2 "$tmp/cut.png: truncated PNG" -- predict "${M[@]}" "$tmp/t0.pgm" "$tmp/cut.png"
expect_error 2 "IMAGE...: no image given" -- predict "${M[@]}"
expect_error 2 "--index: give an image file or --index, not both" -- predict "${M[@]}" "$tmp/t0.pgm" --index 3
expect_error 2 "--index: 10000 is past" -- predict "${M[@]}" --index 10000 --split test --data "mnist:$DATA"
expect_error 2 "--mode: 'both' is for eval" -- predict "${M[@]}" "$tmp/t0.pgm" --mode both
expect_error 2 "--invert: 'maybe' is not auto, yes or no" -- predict "${M[@]}" "$tmp/t0.pgm" --invert maybe
expect_error 2 "--fit: 'crop' is not auto, stretch or digit" -- predict "${M[@]}" "$tmp/t0.pgm" --fit crop
expect_error 2 "no goodness" -- predict --model "$tmp/bp.ffm" "$tmp/t0.pgm" --mode goodness
expect_error 2 "--model: required" -- predict "$tmp/t0.pgm"

# cam: the maps of each class drawn add up to its logit (the CAM identity, here via the CLI).
out=$("$FFCNN" cam "${M[@]}" "$tmp/t0.pgm" --all-classes --out "$tmp/cam.png" --json | tail -n 1)
check 'perl -e '"'"'my $ok = 0; while ($ARGV[0] =~ /"logit":([-0-9.e+]+),"map_sums":\[([^\]]*)\]/g) { my ($z, $s) = ($1, 0); $s += $_ for split /,/, $2; exit 1 if abs($s - $z) > 1e-4 * (1 + abs $z); $ok++ } exit($ok == 10 ? 0 : 1)'"'"' "$out"' \
  "cam --all-classes: 10 classes, each one's map sums add up to its logit: $out"
read -r w h colours < <(png_size "$tmp/cam.png")
check '[ "${w:-0}" -gt 600 ] && [ "${h:-0}" -gt 2000 ] && [ "${colours:-0}" -gt 100 ]' "cam --all-classes: a tall PNG with colour ($w x $h, $colours colours)"
"$FFCNN" cam --model "$tmp/bp.ffm" --index 5 --split test --data "mnist:$DATA" --class 3 --out "$tmp/cam-bp.png" > "$tmp/cam-bp.txt"
check '[ "$(grep -c "^class " "$tmp/cam-bp.txt")" -ge 1 ] && [ "$(png_size "$tmp/cam-bp.png" | cut -d" " -f3)" -gt 100 ]' "cam of a bp model (one map, the last layer)"
expect_error 2 "--out: required" -- cam "${M[@]}" "$tmp/t0.pgm"
expect_error 2 "more than 1 image" -- cam "${M[@]}" "$tmp/t0.pgm" "$tmp/t0.png" --out "$tmp/c.png"
expect_error 2 "--class: 10 is not a class" -- cam "${M[@]}" "$tmp/t0.pgm" --class 10 --out "$tmp/c.png"
expect_error 2 "--class: give --class or --all-classes" -- cam "${M[@]}" "$tmp/t0.pgm" --class 1 --all-classes --out "$tmp/c.png"
expect_error 2 "$tmp/no/such/dir/c.png" -- cam "${M[@]}" "$tmp/t0.pgm" --out "$tmp/no/such/dir/c.png"

# labels: the paper's label figure, from the flags or a model.
out=$("$FFCNN" labels --label-set 2 --label-k 0.5 --data "mnist:$DATA" --index 7 --out "$tmp/labels.png")
read -r w h colours < <(png_size "$tmp/labels.png")
check '[ "$out" = "labels written to $tmp/labels.png" ] && [ "${w:-0}" -gt 1000 ] && [ "${colours:-0}" -gt 50 ]' "labels: a wide grey PNG ($w x $h, $colours colours): $out"
check '"$FFCNN" labels --model "$tmp/m.ffm" --data "mnist:$DATA" --out "$tmp/labels-m.png" >/dev/null' "labels --model"
expect_error 2 "--label-set: the labels are the model's with --model" -- labels --model "$tmp/m.ffm" --label-set 2 --data "mnist:$DATA" --out "$tmp/l.png"
expect_error 2 "a backprop-trained model has no labels" -- labels --model "$tmp/bp.ffm" --data "mnist:$DATA" --out "$tmp/l.png"
expect_error 2 "--out: required" -- labels

# eval --confusion-png
"$FFCNN" eval "${M[@]}" --split test --data "mnist:$DATA" --eval-limit 300 --confusion-png "$tmp/conf.png" >/dev/null 2>"$tmp/conf.log"
read -r w h colours < <(png_size "$tmp/conf.png")
check 'grep -q "confusion matrix (goodness) written to $tmp/conf.png" "$tmp/conf.log" && [ "${colours:-0}" -gt 20 ]' "eval --confusion-png: a heat map ($w x $h, $colours colours)"
expect_error 2 "--confusion-png: $tmp/no/dir/c.png" -- eval "${M[@]}" --split test --data "mnist:$DATA" --eval-limit 10 --confusion-png "$tmp/no/dir/c.png"
summary
