"""The same numbers as the command-line tool: same seed, data, settings and thread count give
the same weights (SHA-256), the same metrics and the same accuracies."""
import json

import numpy as np
import pytest

import ffcnn

from conftest import MNIST


def last_json(out):
    return json.loads(out.strip().splitlines()[-1])


def cli_train(cli, out, *flags):
    res = last_json(cli("train", "--data", f"mnist:{MNIST}", "--threads", 1, "--conv", "im2col",
                        "--out", out, "--json", *flags))
    info = last_json(cli("info", "--model", out, "--json"))
    return res, info


def test_weights_hash_equals_cli(cli, small, tmp_path):
    x, y, xv, yv = small
    res, info = cli_train(cli, tmp_path / "cli.ffm", "--preset", "tiny", "--train-limit", 500,
                          "--val-limit", 100, "--epochs", 1)
    net = ffcnn.Net("tiny", threads=1, conv="im2col")
    hist = net.fit(x, y, epochs=1, validation=(xv, yv))
    assert net.weights_sha256 == info["weights_sha256"]
    assert net.data_identity["fingerprint"] == info["data"]["fingerprint"]
    assert net.conv == info["conv"]
    # the metrics file's line of the epoch
    with open(f"{tmp_path / 'cli.ffm'}.metrics.jsonl") as f:
        line = json.loads(f.readline())
    for key in ("epoch", "algo", "net"):
        assert hist[0][key] == line[key]
    for key in ("lr", "classifier_loss", "classifier_acc", "val_acc_linear"):
        assert hist[0][key] == pytest.approx(line[key], rel=1e-5)
    assert hist[0]["layer_loss"][0] is None and line["layer_loss"][0] is None
    assert hist[0]["layer_loss"][1] == pytest.approx(line["layer_loss"][1], rel=1e-5)
    # the final evaluation of ffcnn train (both modes, on the validation images)
    ev = net.evaluate(xv, yv, mode="both")
    assert ev["accuracy_goodness"] == pytest.approx(res["accuracy_goodness"], abs=1e-6)
    assert ev["accuracy_linear"] == pytest.approx(res["accuracy_linear"], abs=1e-6)


def test_short_mnist_fit_same_accuracy_as_cli(cli, mnist, tmp_path):
    (x, y), (xv, yv), _ = mnist
    res, info = cli_train(cli, tmp_path / "cli.ffm", "--preset", "tiny", "--train-limit", 2000,
                          "--val-limit", 500, "--epochs", 2)
    net = ffcnn.Net(ffcnn.Config("tiny", epochs=2), threads=1, conv="im2col")
    hist = net.fit(x[:2000], y[:2000], validation=(xv[:500], yv[:500]))
    assert [m["epoch"] for m in hist] == [1, 2]
    assert net.weights_sha256 == info["weights_sha256"]
    ev = net.evaluate(xv[:500], yv[:500], mode="both")
    assert ev["accuracy_linear"] == pytest.approx(res["accuracy_linear"], abs=1e-6)
    assert ev["accuracy_goodness"] == pytest.approx(res["accuracy_goodness"], abs=1e-6)
    assert hist[-1]["val_acc_linear"] == pytest.approx(res["accuracy_linear"], abs=1e-6)
    assert ev["accuracy_linear"] > 0.5  # it learns


def test_cli_reads_python_model_and_back(cli, tiny_net, mnist, tmp_path):
    _, (xv, yv), (xt, yt) = mnist
    path = tmp_path / "py.ffm"
    tiny_net.save(path)
    info = last_json(cli("info", "--model", path, "--json"))
    assert info["weights_sha256"] == tiny_net.weights_sha256
    assert info["net"] == "c8k3 c8k3" and info["epochs_done"] == 1
    out = last_json(cli("eval", "--model", path, "--data", f"mnist:{MNIST}", "--split", "test",
                        "--eval-limit", 200, "--threads", 1, "--json"))
    ev = tiny_net.evaluate(xt[:200], yt[:200], mode="both")
    assert ev["accuracy_goodness"] == pytest.approx(out["accuracy_goodness"], abs=1e-6)
    assert ev["accuracy_linear"] == pytest.approx(out["accuracy_linear"], abs=1e-6)
    # ffcnn predict on a handful of test images agrees with Net.predict
    pred, scores = tiny_net.predict(xt[:3]), tiny_net.scores(xt[:3])
    for i in range(3):
        text = cli("predict", "--model", path, "--data", f"mnist:{MNIST}", "--split", "test",
                   "--index", i, "--threads", 1, "--json")
        line = last_json(text)
        assert line["class"] == pred[i] and line["mode"] == "goodness"
        assert np.allclose(line["scores"], scores[i], rtol=1e-6)


def test_stop_save_load_resume_equals_cli(cli, small, tmp_path):
    """A 2-epoch run stopped after epoch 1, saved and loaded, continues to the same bits as the
    CLI's uninterrupted run."""
    x, y, xv, yv = small
    flags = ("--preset", "tiny", "--train-limit", 500, "--val-limit", 100, "--epochs", 2)
    _, full = cli_train(cli, tmp_path / "full.ffm", *flags)
    net = ffcnn.Net(ffcnn.Config("tiny", epochs=2), threads=1, conv="im2col")
    net.fit(x, y, validation=(xv, yv), callback=lambda m: True)  # stop after epoch 1
    assert net.epochs_done == 1
    path = tmp_path / "py-half.ffm"
    net.save(path)
    again = ffcnn.load(path, threads=1)
    again.fit(x, y, validation=(xv, yv))
    assert again.epochs_done == 2
    assert again.weights_sha256 == full["weights_sha256"]


VARIANT = dict(ff_loss="symba", goodness="mean", ff_temperature=0.25, negatives="hard")
VARIANT_FLAGS = ("--ff-loss", "symba", "--goodness", "mean", "--ff-temperature", 0.25,
                 "--negatives", "hard")


def test_ff_variants_weights_hash_equals_cli(cli, small, tmp_path):
    """The FF variants (docs/method.md §13) train to the same bits as ffcnn train with the same
    flags, and the model file (version 6) carries them both ways."""
    x, y, xv, yv = small
    res, info = cli_train(cli, tmp_path / "cli.ffm", "--preset", "tiny", "--train-limit", 500,
                          "--val-limit", 100, "--epochs", 1, *VARIANT_FLAGS)
    net = ffcnn.Net(ffcnn.Config("tiny", **VARIANT), threads=1, conv="im2col")
    hist = net.fit(x, y, epochs=1, validation=(xv, yv))
    assert net.weights_sha256 == info["weights_sha256"]
    assert net.conv == info["conv"]
    assert (info["ff_loss"], info["goodness"], info["ff_temperature"], info["negatives"]) == (
        "symba", "mean", 0.25, "hard")
    with open(f"{tmp_path / 'cli.ffm'}.metrics.jsonl") as f:
        line = json.loads(f.readline())
    for key in ("lr", "classifier_loss", "classifier_acc", "val_acc_linear"):
        assert hist[0][key] == pytest.approx(line[key], rel=1e-5)
    assert hist[0]["layer_loss"][1] == pytest.approx(line["layer_loss"][1], rel=1e-5)
    ev = net.evaluate(xv, yv, mode="both")
    assert ev["accuracy_goodness"] == pytest.approx(res["accuracy_goodness"], abs=1e-6)
    assert ev["accuracy_linear"] == pytest.approx(res["accuracy_linear"], abs=1e-6)
    # the CLI's model in Python, and Python's in the CLI
    back = ffcnn.load(tmp_path / "cli.ffm", threads=1)
    assert back.config == net.config and back.weights_sha256 == net.weights_sha256
    net.save(tmp_path / "py.ffm")
    assert last_json(cli("info", "--model", tmp_path / "py.ffm", "--json"))["weights_sha256"] == \
        info["weights_sha256"]
