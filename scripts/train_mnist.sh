#!/usr/bin/env bash
# The main job from nothing: set up, build, train the default preset on MNIST (50k train /
# 10k validation), then evaluate on the 10k test images both ways (goodness and linear).
# Extra arguments go to `ffcnn train` (e.g. --preset paper, --epochs 5).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
mkdir -p runs
start=$(date +%s)
./build/ffcnn train --out runs/mnist.ffm --final-eval none "$@"
./build/ffcnn eval --model runs/mnist.ffm --split test --mode both
echo "train + test evaluation: $(( $(date +%s) - start )) s wall"
