"""Data sets as numpy arrays, read by the library's own readers (the images `ffcnn train`
trains on): images uint8 (N, C, H, W), labels uint8 (N,).

    (x, y), (xv, yv), (xt, yt) = ffcnn.datasets.mnist("data/mnist")
"""
import collections
import os

import numpy as np

from . import _ffcnn

Splits = collections.namedtuple("Splits", ["train", "val", "test"])
Splits.__doc__ = "The train, val and test splits, each an (images, labels) pair."

_SPLITS = {"train": 0, "val": 1, "test": 2}


def _arrays(t):
    pixels, labels, n, c, h, w = t
    return (np.frombuffer(pixels, dtype=np.uint8).reshape(n, c, h, w),
            np.frombuffer(labels, dtype=np.uint8))


def _missing(e, path):
    if type(e) is OSError and not os.path.exists(path):
        return FileNotFoundError(str(e))
    return e


def default_dir(name="mnist"):
    """Where `ffcnn train --data NAME` looks: $FFCNN_DATA/NAME, else data/NAME under the
    current folder (scripts/setup.sh puts MNIST in the repository's data/mnist)."""
    root = os.environ.get("FFCNN_DATA")
    return os.path.join(root if root else "data", name)


def mnist(dir=None, split=None):
    """MNIST (or a set of the same layout, as Fashion-MNIST) from the IDX files in dir
    (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
    t10k-labels-idx1-ubyte, each plain or .gz), split as `ffcnn train` splits it: train = the
    first 50,000 training images, val = the last 10,000, test = the 10,000 test images.

    split None gives Splits(train, val, test) of (x, y) pairs; "train", "val" or "test" one
    (x, y) pair. x is uint8 (N, 1, 28, 28), y uint8 (N,). dir defaults to default_dir("mnist").
    The first N images of a split (x[:N], y[:N]) are what --train-limit N and --val-limit N
    keep. OSError (FileNotFoundError) when a file is missing, FormatError when malformed."""
    dir = os.fspath(default_dir("mnist") if dir is None else dir)
    if split is not None and split not in _SPLITS:
        raise ValueError(f"split: {split!r} is not train, val or test")
    names = [split] if split else list(_SPLITS)
    out = []
    for name in names:
        try:
            out.append(_arrays(_ffcnn.load_split(dir, _SPLITS[name])))
        except OSError as e:
            raise _missing(e, dir) from None
    return out[0] if split else Splits(*out)


def fashion_mnist(dir=None, split=None):
    """Fashion-MNIST, as mnist() (default folder: Debian's dataset-fashion-mnist,
    /usr/share/datasets/fashion-mnist, as `ffcnn train --data fashion`)."""
    if dir is None:
        dir = os.environ.get("FFCNN_DATA")
        dir = os.path.join(dir, "fashion") if dir else "/usr/share/datasets/fashion-mnist"
    return mnist(dir, split)


def idx(images_path, labels_path):
    """One IDX image file and its IDX label file (plain or gzip'd) as (x, y)."""
    try:
        return _arrays(_ffcnn.load_idx(os.fspath(images_path), os.fspath(labels_path)))
    except OSError as e:
        raise _missing(e, images_path if not os.path.exists(images_path) else labels_path) from None


def cifar10(dir=None, test=False):
    """CIFAR-10's binary version from dir (data_batch_1.bin ... data_batch_5.bin, or
    test_batch.bin when test; plain or .gz) as (x, y), x uint8 (N, 3, 32, 32). `ffcnn train
    --data cifar10` holds out 5,000 of the training images for validation, stratified by
    class (not reproduced here)."""
    dir = os.fspath(default_dir("cifar10") if dir is None else dir)
    try:
        return _arrays(_ffcnn.load_cifar10(dir, bool(test)))
    except OSError as e:
        raise _missing(e, dir) from None
