"""The notebook-style example trains, evaluates and predicts (run without its plotting part)."""
import os
import subprocess
import sys

import ffcnn


def test_example_script(root, mnist_dir, tmp_path):
    out = tmp_path / "example.ffm"
    env = dict(os.environ)  # the ffcnn imported here, wherever it is
    package_dir = os.path.dirname(os.path.dirname(os.path.abspath(ffcnn.__file__)))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_dir, env.get("PYTHONPATH")]))
    r = subprocess.run([sys.executable, os.path.join(root, "examples", "train_mnist.py"),
                        "--data", mnist_dir, "--preset", "tiny", "--epochs", "2",
                        "--train-limit", "1000", "--val-limit", "200", "--test-limit", "200",
                        "--threads", "1", "--out", str(out), "--no-plot"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    assert "epoch 2:" in r.stdout and "test accuracy: goodness" in r.stdout
    assert "first test images: predicted" in r.stdout
    net = ffcnn.load(out, threads=1)
    assert net.epochs_done == 2 and net.weights_sha256 in r.stdout
    assert not list(tmp_path.glob("*.png"))  # --no-plot
