"""The numpy user's API: configuration, fit, evaluate, predict, scores, CAMs, save and load,
data sets, interruption and the GIL."""
import gzip
import os
import signal
import struct
import threading
import time

import numpy as np
import pytest

import ffcnn


# ---- configuration ----

def test_presets_and_settings():
    assert set(ffcnn.presets()) == {"default", "paper", "fast", "cifar10", "tiny"}
    f = ffcnn.Config("fast")  # the CLI's --preset fast (src/config.c)
    assert (f.net, f.ff_loss, f.goodness, f.ff_temperature, f.epochs) == (
        "c20k5 p2 c40k5 p2 c80k3", "cwc", "mean", 0.25, 30)
    d = ffcnn.Config()
    assert d.net == "c16k5 c16k5 c16k5" and d.epochs == 12 and d.input_shape == (1, 28, 28)
    assert ffcnn.Config.preset("paper").net == "c128k7 c128k7 c128k7"
    c = ffcnn.Config("tiny", net="c4k3 p2 c6k5", batch=10, lr=0.01, seed=7, augment="shift:2",
                     label_set="onehot", label_k=0.5)
    assert (c.net, c.batch, c.lr, c.seed, c.augment, c.label_set, c.label_k) == (
        "c4k3 p2 c6k5", 10, 0.01, 7, "shift:2", "onehot", 0.5)
    assert c.layers == 2
    u = ffcnn.Config("tiny", layers=3, filters=5)
    assert u.net == "c5k3 c5k3 c5k3"
    assert ffcnn.Config(**c.to_dict()) == c
    r = c.replace(batch=20)
    assert r.batch == 20 and r.net == c.net and c.batch == 10
    assert c.replace(layers=3).net == "c4k3 c4k3 c4k3"
    # other class counts take the Fourier set of the lowest modes, as ffcnn train
    assert ffcnn.Config(classes=5).label_set == "fourier"
    assert ffcnn.Config(classes=5, label_set="onehot").label_set == "onehot"
    assert ffcnn.Config("tiny", epochs=10).lr_at_epoch(9) == pytest.approx(0.0004)
    bp = ffcnn.Config("tiny", algo="bp")
    assert bp.algo == "bp" and "label_set" not in bp.to_dict()
    assert "Config(net='c8k3 c8k3'" in repr(ffcnn.Config("tiny"))


def test_ff_variant_settings():
    d = ffcnn.Config("tiny")
    assert (d.ff_loss, d.goodness, d.ff_temperature, d.negatives) == ("bce", "sum", 1.0, "random")
    assert d.paper_objective and d.to_dict()["ff_loss"] == "bce"
    c = ffcnn.Config("tiny", ff_loss="symba", goodness="mean", ff_temperature=0.25,
                     negatives="hard")
    assert (c.ff_loss, c.goodness, c.ff_temperature, c.negatives) == ("symba", "mean", 0.25, "hard")
    assert not c.paper_objective
    assert ffcnn.Config(**c.to_dict()) == c and c.replace(batch=20).negatives == "hard"
    assert "ff_loss='symba', goodness='mean', ff_temperature=0.25, negatives='hard'" in repr(c)
    # T = 1 is the paper's (the library's 0): the same configuration either way
    assert ffcnn.Config("tiny", ff_temperature=1) == d
    assert ffcnn.Config("tiny", ff_temperature=3).ff_temperature == 3.0
    assert not ffcnn.Config("tiny", ff_temperature=3).paper_objective
    # FF only: a backprop configuration has no such settings, and replace drops them
    bp = c.replace(algo="bp")
    assert bp.algo == "bp" and "ff_loss" not in bp.to_dict()


def test_net_from_preset_name_dict_and_config():
    assert ffcnn.Net("tiny", threads=1).config == ffcnn.Config("tiny")
    assert ffcnn.Net({"net": "c4k3 c4k3", "epochs": 2}, threads=1).config.net == "c4k3 c4k3"
    net = ffcnn.Net(threads=1)
    assert net.config == ffcnn.Config() and net.threads == 1 and net.chunk == 64
    assert net.epochs_done == 0 and net.val_accuracy is None
    net.threads, net.chunk = 2, 16
    assert (net.threads, net.chunk) == (2, 16)


# ---- training, evaluation, prediction ----

def test_fit_returns_metrics(tiny_net, small):
    x, y, xv, yv = small
    m = tiny_net.history[0]
    assert m["epoch"] == 1 and m["net"] == "c8k3 c8k3" and m["algo"] == "ff"
    assert set(m) >= {"lr", "seconds", "train_seconds", "images_per_s", "layer_loss",
                      "layer_disc_acc", "classifier_loss", "classifier_acc", "val_acc_linear"}
    assert m["layer_loss"][0] is None and m["layer_loss"][1] > 0  # layer 1 is not trained
    assert tiny_net.val_accuracy == m["val_acc_linear"]
    assert tiny_net.fit(x, y) == []  # the schedule is done: nothing left to train


def test_predict_agrees_with_evaluate(tiny_net, mnist):
    _, _, (xt, yt) = mnist
    x, y = xt[:12], yt[:12]
    for mode in ("goodness", "linear"):
        ev = tiny_net.evaluate(x, y, mode=mode)
        pred = tiny_net.predict(x, mode=mode)
        assert pred.dtype == np.int64 and pred.shape == (12,)
        assert ev["accuracy"] == pytest.approx(np.mean(pred == y))
        conf = ev["confusion_" + mode]
        assert conf.shape == (10, 10) and conf.sum() == 12
        for t, p in zip(y, pred):
            assert conf[t, p] > 0
        s = tiny_net.scores(x, mode=mode)
        assert s.shape == (12, 10) and s.dtype == np.float64
        assert (np.argmax(s, axis=1) == pred).all()
    assert np.allclose(tiny_net.scores(x, mode="linear").sum(axis=1), 1.0)
    assert (tiny_net.predict(x) == tiny_net.predict(x, mode="goodness")).all()  # FF default
    both = tiny_net.evaluate(x, y, mode="both")
    assert both["accuracy"] == both["accuracy_goodness"] and both["accuracy_linear"] is not None
    assert tiny_net.predict(x[:0]).shape == (0,)


def test_score_from(small, mnist):
    """score_from=2 drops layer 1 from goodness inference (docs/method.md §6): scores fall by
    layer 1's goodness, None restores them; a layer that is not trained is refused."""
    x, y, xv, yv = small
    net = ffcnn.Net(ffcnn.Config("tiny", train_from=1), threads=1, conv="im2col")
    net.fit(x, y)
    xt = mnist[2][0][:20]
    every = net.scores(xt, mode="goodness")
    net.score_from = 2
    later = net.scores(xt, mode="goodness")
    assert net.score_from == 2 and (later < every).all() and (later > 0).all()
    net.score_from = None
    assert (net.scores(xt, mode="goodness") == every).all()
    with pytest.raises(ValueError, match="3 is not one of the 2 conv layers"):
        net.score_from = 3
    late = ffcnn.Net("tiny", threads=1)
    with pytest.raises(ValueError, match="layer 1 is not trained"):
        late.score_from = 1
    assert late.score_from is None


def test_cam_identity(tiny_net, mnist):
    _, _, (xt, yt) = mnist
    maps, logits = tiny_net.cam(xt[0], 3, return_logits=True)
    assert isinstance(maps, list) and [m.shape for m in maps] == [(28, 28)]
    assert maps[0].dtype == np.float32
    assert sum(float(m.sum(dtype=np.float64)) for m in maps) == pytest.approx(float(logits[3]),
                                                                             rel=1e-4, abs=1e-4)
    assert len(tiny_net.cam(xt[0][0])) == 1  # (H, W) for a one-channel network
    default, logits = tiny_net.cam(xt[0], return_logits=True)  # the head's prediction
    assert np.array_equal(default[0], tiny_net.cam(xt[0], int(np.argmax(logits)))[0])


def test_float_and_int_inputs_equal_uint8(small):
    x, y, _, _ = small
    ref = ffcnn.Net("tiny", threads=1, conv="im2col")
    ref.fit(x[:100], y[:100])
    for xx, yy in ((x[:100] / 255.0, y[:100].astype(np.int64)),
                   ((x[:100] / 255.0).astype(np.float32), y[:100]),
                   (x[:100].astype(np.int32)[:, 0], y[:100].astype(np.int16))):
        net = ffcnn.Net("tiny", threads=1, conv="im2col")
        net.fit(xx, yy)
        assert net.weights_sha256 == ref.weights_sha256


def test_non_contiguous_arrays_are_copied(tiny_net, mnist):
    _, _, (xt, yt) = mnist
    step = xt[:40:2]  # a view with a step
    assert not step.flags.c_contiguous
    assert (tiny_net.scores(step) == tiny_net.scores(np.ascontiguousarray(step))).all()
    fortran = np.asfortranarray(xt[:5])
    assert (tiny_net.predict(fortran) == tiny_net.predict(xt[:5])).all()
    ev = tiny_net.evaluate(step, yt[:40:2])
    assert ev["n"] == 20


def test_input_shape_from_data_and_classes(small):
    x, y, _, _ = small
    crop = x[:60, :, 2:26, 4:24]  # a fresh network takes the data's shape, as ffcnn train
    net = ffcnn.Net("tiny", threads=1)
    net.fit(crop, y[:60] % 3, epochs=1)
    assert net.input_shape == (1, 24, 20) and net.classes == 10
    five = ffcnn.Net(ffcnn.Config("tiny", classes=5), threads=1)
    five.fit(np.repeat(x[:50], 3, axis=1), y[:50] % 5)
    assert five.input_shape == (3, 28, 28) and five.scores(np.repeat(x[:2], 3, axis=1)).shape == (2, 5)
    assert five.config.label_set == "fourier"


def test_backprop_model(small):
    x, y, xv, yv = small
    net = ffcnn.Net(ffcnn.Config("tiny", algo="bp"), threads=1)
    hist = net.fit(x[:200], y[:200], validation=(xv, yv))
    assert hist[0]["algo"] == "bp" and hist[0]["layer_loss"] == []
    ev = net.evaluate(xv, yv)  # linear, the default for backprop
    assert ev["mode"] == "linear" and ev["accuracy"] == ev["accuracy_linear"]
    with pytest.raises(ValueError, match="goodness"):
        net.evaluate(xv, yv, mode="goodness")


def test_callback_and_checkpoint(small, tmp_path):
    x, y, _, _ = small
    seen = []
    net = ffcnn.Net(ffcnn.Config("tiny", epochs=3), threads=1)
    hist = net.fit(x[:100], y[:100], callback=lambda m: seen.append(m["epoch"]) or m["epoch"] == 2,
                   checkpoint=tmp_path / "ck.ffm")
    assert seen == [1, 2] and len(hist) == 2 and net.epochs_done == 2
    assert ffcnn.load(tmp_path / "ck.ffm", threads=1).weights_sha256 == net.weights_sha256
    with pytest.raises(ValueError, match="schedule"):
        net.fit(x[:100], y[:100], epochs=5)
    net.fit(x[:100], y[:100])
    assert net.epochs_done == 3 and len(net.history) == 3


# ---- files ----

def test_save_load_round_trip(tiny_net, mnist, tmp_path):
    _, (xv, yv), (xt, _) = mnist
    path = tmp_path / "m.ffm"
    tiny_net.class_names = [f"digit {k}" for k in range(10)]
    try:
        tiny_net.save(path)
        back = ffcnn.load(str(path), threads=1)
        assert back.weights_sha256 == tiny_net.weights_sha256
        assert back.config == tiny_net.config and back.epochs_done == 1
        assert back.class_names == [f"digit {k}" for k in range(10)]
        assert back.conv == ["im2col", "im2col"] and back.val_accuracy == tiny_net.val_accuracy
        assert back.data_identity == tiny_net.data_identity
        assert (back.scores(xt[:20]) == tiny_net.scores(xt[:20])).all()
        assert back.evaluate(xv[:50], yv[:50]) ["accuracy"] == \
            tiny_net.evaluate(xv[:50], yv[:50])["accuracy"]
        assert "epoch 1/1" in repr(back)
    finally:
        tiny_net.class_names = None
    assert tiny_net.class_names is None


def test_cwc_model(small, tmp_path):
    """ff_loss "cwc" (docs/method.md §13): plain images, one channel group per class; saved as
    ff_loss 3 in a version-6 file, loaded back with the same weights, scores and accuracy."""
    x, y, xv, yv = small
    cfg = ffcnn.Config("tiny", net="c10k3 c10k3", ff_loss="cwc", goodness="mean",
                       ff_temperature=0.5, train_from=1)
    assert cfg.ff_loss == "cwc" and not cfg.paper_objective
    net = ffcnn.Net(cfg, threads=1, conv="im2col")
    net.fit(x[:100], y[:100])
    path = tmp_path / "cwc.ffm"
    net.save(path)
    raw = path.read_bytes()
    assert struct.unpack_from("<II", raw, 8) == (6, 440) and struct.unpack_from("<i", raw, 416) == (3,)
    back = ffcnn.load(path, threads=1)
    assert back.config.ff_loss == "cwc" and back.weights_sha256 == net.weights_sha256
    for mode in ("goodness", "linear"):
        assert back.evaluate(xv, yv, mode=mode)["accuracy"] == net.evaluate(xv, yv, mode=mode)["accuracy"]
    s = back.scores(xv[:5])
    assert s.shape == (5, 10) and (s >= 0).all() and (s.argmax(axis=1) == back.predict(xv[:5])).all()


def test_ff_variant_model_round_trip(small, tmp_path):
    """A model that uses FF variants is written as version 6 (a 440-byte header with the four
    settings at 416) and loads back with the same configuration; one without is version 4."""
    x, y, _, _ = small
    cfg = ffcnn.Config("tiny", ff_loss="symba", goodness="mean", ff_temperature=0.25,
                       negatives="hard")
    net = ffcnn.Net(cfg, threads=1, conv="im2col")
    net.fit(x[:100], y[:100])
    path = tmp_path / "v.ffm"
    net.save(path)
    raw = path.read_bytes()
    assert struct.unpack_from("<II", raw, 8) == (6, 440)
    assert struct.unpack_from("<iifi", raw, 416) == (1, 1, 0.25, 1)
    back = ffcnn.load(path, threads=1)
    assert back.config == net.config and back.config == cfg.replace(channels=1, height=28,
                                                                     width=28)
    c = back.config
    assert (c.ff_loss, c.goodness, c.ff_temperature, c.negatives) == ("symba", "mean", 0.25, "hard")
    assert back.weights_sha256 == net.weights_sha256
    # training continues on the loaded model with its variants
    net2 = ffcnn.Net(cfg.replace(epochs=2), threads=1, conv="im2col")
    net2.fit(x[:100], y[:100], callback=lambda m: True)
    net2.save(path)
    again = ffcnn.load(path, threads=1, conv="im2col")
    again.fit(x[:100], y[:100])
    whole = ffcnn.Net(cfg.replace(epochs=2), threads=1, conv="im2col")
    whole.fit(x[:100], y[:100])
    assert again.weights_sha256 == whole.weights_sha256
    # a single variant is enough for version 6; none gives version 4 as before
    for settings, version in (({"ff_temperature": 2.0}, 6), ({"ff_temperature": 1.0}, 4)):
        n = ffcnn.Net(ffcnn.Config("tiny", **settings), threads=1)
        n.save(tmp_path / "s.ffm")
        assert struct.unpack_from("<I", (tmp_path / "s.ffm").read_bytes(), 8)[0] == version
        assert ffcnn.load(tmp_path / "s.ffm", threads=1).config == n.config


def test_data_name_recorded(small, tmp_path):
    x, y, _, _ = small
    net = ffcnn.Net("tiny", threads=1)
    net.set_data_name("mnist", 100, 0)
    net.fit(x[:100], y[:100])
    net.save(tmp_path / "n.ffm")
    idn = ffcnn.load(tmp_path / "n.ffm", threads=1).data_identity
    assert (idn["name"], idn["train_limit"], idn["val_limit"]) == ("mnist", 100, 0)
    assert len(idn["fingerprint"]) == 64


# ---- data sets ----

def test_mnist_splits(mnist, mnist_dir):
    (x, y), (xv, yv), (xt, yt) = mnist
    assert x.shape == (50000, 1, 28, 28) and xv.shape == (10000, 1, 28, 28)
    assert xt.shape == (10000, 1, 28, 28) and x.dtype == np.uint8 and y.dtype == np.uint8
    assert list(y[:5]) == [5, 0, 4, 1, 9] and y.max() == 9
    assert mnist.val is mnist[1]
    tx, ty = ffcnn.datasets.mnist(mnist_dir, split="test")
    assert (tx == xt).all() and (ty == yt).all()


def write_idx(folder, prefix, x, y, gz):
    op = gzip.open if gz else open
    suffix = ".gz" if gz else ""
    with op(os.path.join(folder, f"{prefix}-images-idx3-ubyte{suffix}"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(x), 28, 28) + x.tobytes())
    with op(os.path.join(folder, f"{prefix}-labels-idx1-ubyte{suffix}"), "wb") as f:
        f.write(struct.pack(">II", 0x801, len(y)) + y.tobytes())


@pytest.mark.parametrize("gz", [False, True])
def test_idx_plain_and_gzip(mnist, tmp_path, gz):
    _, _, (xt, yt) = mnist
    write_idx(tmp_path, "t10k", xt[:30], yt[:30], gz)
    sfx = ".gz" if gz else ""
    x, y = ffcnn.datasets.idx(tmp_path / f"t10k-images-idx3-ubyte{sfx}",
                              tmp_path / f"t10k-labels-idx1-ubyte{sfx}")
    assert (x == xt[:30]).all() and (y == yt[:30]).all()
    x2, y2 = ffcnn.datasets.mnist(tmp_path, split="test")  # finds NAME or NAME.gz
    assert (x2 == xt[:30]).all() and (y2 == yt[:30]).all()


def test_label_image():
    cfg = ffcnn.Config("tiny")
    pattern = ffcnn.label_image(cfg, 3)
    assert pattern.shape == (1, 28, 28) and pattern.dtype == np.float32
    img = ffcnn.label_image(cfg, 3, np.zeros((28, 28), np.uint8))
    assert img.shape == (1, 28, 28)


# ---- Ctrl-C and the GIL ----

def test_ctrl_c_stops_cleanly_and_resumes_to_the_same_bits(mnist, tmp_path):
    (x, y), _, _ = mnist
    x, y = x[:1500], y[:1500]
    cfg = ffcnn.Config("tiny", epochs=3, batch=25)
    ref = ffcnn.Net(cfg, threads=1, conv="im2col")
    t0 = time.perf_counter()
    ref.fit(x, y)
    took = time.perf_counter() - t0
    net = ffcnn.Net(cfg, threads=1, conv="im2col")
    # Python's own Ctrl-C handler, whatever the test runner inherited: a shell starts background
    # jobs with SIGINT ignored, and Python then installs no handler of its own.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(took / 3, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            net.fit(x, y, checkpoint=tmp_path / "ck.ffm")
            time.sleep(took)  # finished before the signal: it interrupts the sleep
        timer.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    done = (net.epochs_done, net.step_in_epoch)
    assert done < (3, 0)  # stopped before the end, at a step boundary
    saved = ffcnn.load(tmp_path / "ck.ffm", threads=1)
    assert (saved.epochs_done, saved.step_in_epoch) == done
    assert saved.weights_sha256 == net.weights_sha256
    net.fit(x, y)  # continues the interrupted epoch
    saved.fit(x, y)
    assert net.weights_sha256 == saved.weights_sha256 == ref.weights_sha256


def test_gil_released_while_training(mnist):
    (x, y), _, _ = mnist
    net = ffcnn.Net(ffcnn.Config("tiny", epochs=2), threads=1)
    errors, ticks = [], []
    worker = threading.Thread(target=lambda: net.fit(x[:1500], y[:1500]))
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
        try:
            net.weights_sha256  # the same network, busy in the other thread
        except RuntimeError as e:
            errors.append(str(e))
        time.sleep(0.001)
    worker.join()
    assert len(ticks) > 20  # this thread ran while the other trained
    assert errors and "in use by another thread" in errors[0]
    assert net.epochs_done == 2


def test_stop_from_another_thread(mnist):
    (x, y), _, _ = mnist
    net = ffcnn.Net(ffcnn.Config("tiny", epochs=50), threads=1)
    result = []
    worker = threading.Thread(target=lambda: result.append(net.fit(x[:500], y[:500])))
    worker.start()
    while worker.is_alive():  # until it trains (the network is then busy)
        try:
            net.epochs_done
            time.sleep(0.01)
        except RuntimeError:
            break
    net.stop()
    worker.join(timeout=60)
    assert not worker.is_alive() and len(result) == 1
    assert net.epochs_done < 50 and len(result[0]) == net.epochs_done
    net.fit(x[:500], y[:500], callback=lambda m: True)  # continues, one more epoch
    assert len(net.history) == len(result[0]) + 1
