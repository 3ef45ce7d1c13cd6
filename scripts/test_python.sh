#!/usr/bin/env bash
# The Python package's tests: builds the package in the tree, without installing it (libffcnn
# as position-independent code into build-py/, the package with its extension into
# build-py/python), then runs its pytest suite (tests/python) against it and against the
# command-line tool in build/ (built by scripts/build.sh when missing). Extra arguments go to
# pytest. PYTHON names the interpreter (default: python3 when it has numpy and pytest, else
# Debian's /usr/bin/python3, which python3-numpy and python3-pytest serve).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c "import numpy, pytest" 2>/dev/null; then PYTHON=/usr/bin/python3; fi
[ -x build/ffcnn ] || bash scripts/build.sh
(cd python && FFCNN_WERROR="${FFCNN_WERROR:-ON}" "$PYTHON" setup.py -q build \
  --build-base ../build-py/setuptools --build-lib ../build-py/python)
PYTHONPATH="$PWD/build-py/python" "$PYTHON" -m pytest -q tests/python "$@"
