"""Fixtures of the Python package's tests: the repository, MNIST (data/mnist, as the CLI reads
it), the command-line tool (build/ffcnn, or $FFCNN_CLI) and small slices of the data."""
import os
import subprocess

import pytest

import ffcnn

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MNIST = os.environ.get("FFCNN_MNIST", os.path.join(ROOT, "data", "mnist"))


@pytest.fixture(scope="session")
def root():
    return ROOT


@pytest.fixture(scope="session")
def mnist_dir():
    if not os.path.exists(os.path.join(MNIST, "train-labels-idx1-ubyte")) and not os.path.exists(
            os.path.join(MNIST, "train-labels-idx1-ubyte.gz")):
        pytest.skip(f"no MNIST in {MNIST} (bash scripts/setup.sh fetches it)")
    return MNIST


@pytest.fixture(scope="session")
def mnist(mnist_dir):
    return ffcnn.datasets.mnist(mnist_dir)


@pytest.fixture(scope="session")
def small(mnist):
    """The tiny runs' data: the first 500 training and 100 validation images."""
    (x, y), (xv, yv), _ = mnist
    return x[:500], y[:500], xv[:100], yv[:100]


@pytest.fixture(scope="session")
def cli():
    """Runs the ffcnn tool (built from the same sources: scripts/build.sh); its stdout."""
    exe = os.environ.get("FFCNN_CLI", os.path.join(ROOT, "build", "ffcnn"))
    if not os.access(exe, os.X_OK):
        pytest.skip(f"no ffcnn tool at {exe} (bash scripts/build.sh, or set FFCNN_CLI)")

    def run(*args, cwd=ROOT):
        r = subprocess.run([exe, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, f"ffcnn {' '.join(map(str, args))}: {r.stderr}"
        return r.stdout

    return run


@pytest.fixture(scope="session")
def tiny_net(small):
    """A tiny network trained one epoch on the small data (the CLI's reference run)."""
    x, y, xv, yv = small
    net = ffcnn.Net("tiny", threads=1, conv="im2col")
    net.fit(x, y, validation=(xv, yv))
    return net
