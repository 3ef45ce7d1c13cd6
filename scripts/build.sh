#!/usr/bin/env bash
# Configures and builds ffcnn into build/ (Release); extra arguments go to cmake.
# FFCNN_WERROR=ON makes warnings errors (scripts/test.sh sets it); unset, it is OFF, so a build
# once configured by test.sh does not keep -Werror.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFFCNN_WERROR="${FFCNN_WERROR:-OFF}" "$@" >/dev/null
cmake --build build -j"$(nproc)"
