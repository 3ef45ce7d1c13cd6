#!/usr/bin/env bash
# `cmake --install` puts the library, headers, pkg-config file and CLI in place, and a program
# built from the installed files alone (examples/minimal.c) links and runs.
set -eu
BUILD="$1" SRC="$2"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$BUILD" --prefix "$tmp/prefix" >/dev/null
for f in bin/ffcnn include/ffcnn.h include/ffcnn_version.h; do [ -e "$tmp/prefix/$f" ] || { echo "missing $f"; echo "0 passed, 1 failed"; exit 1; }; done
pc=$(find "$tmp/prefix" -name ffcnn.pc)
export PKG_CONFIG_PATH=$(dirname "$pc")
cc "$SRC/examples/minimal.c" -o "$tmp/minimal" $(pkg-config --cflags --libs --static ffcnn)
out=$("$tmp/minimal")
ver=$("$tmp/prefix/bin/ffcnn" version | sed -n '1s/^ffcnn //p')
[ -n "$ver" ] || { echo "installed CLI does not run"; exit 1; }
# the installed ffcnn_version.h gives the example the CLI's version
[[ "$out" == "ok $ver "* ]] && echo "3 passed, 0 failed" || { echo "example printed: $out"; echo "2 passed, 1 failed"; exit 1; }
