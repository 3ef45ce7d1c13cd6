#!/usr/bin/env bash
# `cmake --install` puts the library, headers, pkg-config file and CLI in place, and a program
# built from the installed files alone (examples/minimal.c, examples/train.c) links and runs.
set -eu
BUILD="$1" SRC="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$BUILD" --prefix "$tmp/prefix" >/dev/null
for f in bin/ffcnn include/ffcnn.h include/ffcnn_bench.h include/ffcnn_pipeline.h include/ffcnn_version.h; do [ -e "$tmp/prefix/$f" ] || { echo "missing $f"; echo "0 passed, 1 failed"; exit 1; }; done
pc=$(find "$tmp/prefix" -name ffcnn.pc)
export PKG_CONFIG_PATH=$(dirname "$pc")
cc "$SRC/examples/minimal.c" -o "$tmp/minimal" $(pkg-config --cflags --libs --static ffcnn)
out=$("$tmp/minimal")
ver=$("$tmp/prefix/bin/ffcnn" version | sed -n '1s/^ffcnn //p')
[ -n "$ver" ] || { echo "installed CLI does not run"; exit 1; }
# the installed ffcnn_version.h gives the example the CLI's version
[[ "$out" == "ok $ver "* ]] || { echo "example printed: $out"; echo "2 passed, 1 failed"; exit 1; }
# The README's library section (examples/train.c): an error is printed, not ignored; with the
# data it trains a pooled network on a few images and saves it.
# (the plain pkg-config form, as a user types it; minimal.c above used --static)
cc "$SRC/examples/train.c" -o "$tmp/train" $(pkg-config --cflags --libs ffcnn)
if "$tmp/train" /nonexistent 2>"$tmp/err"; then echo "train.c ignored a missing data set"; exit 1; fi
grep -q "^train: /nonexistent/.*cannot open" "$tmp/err" || { echo "train.c said: $(cat "$tmp/err")"; exit 1; }
passed=4
if [ -e "$SRC/data/mnist/train-images-idx3-ubyte" ] || [ -e "$SRC/data/mnist/train-images-idx3-ubyte.gz" ]; then
  (cd "$tmp" && ./train "$SRC/data/mnist" 300 "c4k3 p2 c4k3") >"$tmp/out" 2>&1 ||
    { echo "train.c failed: $(cat "$tmp/out")"; exit 1; }
  grep -q "^validation accuracy: goodness 0\.[0-9]*, linear 0\.[0-9]*$" "$tmp/out" && [ -s "$tmp/model.ffm" ] ||
    { echo "train.c printed: $(cat "$tmp/out")"; exit 1; }
  passed=5
fi
echo "$passed passed, 0 failed"
