"""Every error is a Python exception carrying the library's one-line message (ValueError for
settings, shapes and data, OSError for files), never a crash."""
import struct
import zlib

import numpy as np
import pytest

import ffcnn


# ---- settings ----

@pytest.mark.parametrize("settings, message", [
    ({"bogus": 1}, "bogus: unknown setting"),
    ({"batch": 0}, "batch"),
    ({"batch": "10"}, "batch: '10' is not an integer"),
    ({"batch": True}, "batch"),
    ({"lr": float("nan")}, "lr: nan is not a finite number"),
    ({"lr": -1.0}, "lr"),
    ({"net": "c3k4"}, "odd"),
    ({"net": "zz"}, "zz"),
    ({"net": 3}, "net"),
    ({"net": "c4k3", "layers": 2}, "give one or the other"),
    ({"kernel": 4}, "--kernel: 4 must be odd"),
    ({"algo": "sgd"}, "algo: 'sgd' is not ff or bp"),
    ({"algo": "bp", "label_set": "1"}, "label_set: applies to algo 'ff' only"),
    ({"label_set": "7"}, "label_set: '7' is not"),
    ({"label_k": 1.5}, "label"),
    ({"augment": "spin"}, "--augment"),
    ({"augment": 4}, "augment"),
    ({"seed": -1}, "seed: -1 is out of range"),
    ({"classes": 1}, "classes"),
    ({"classes": 101}, "classes"),
    ({"classes": 5, "label_set": "1"}, "10 classes"),
    ({"train_from": 4}, "--train-from"),
    ({"ff_loss": "hinge"}, "--ff-loss: 'hinge' is not bce, symba, ce or cwc"),
    ({"ff_loss": 1}, "ff_loss: 1 is not bce, symba, ce or cwc"),
    ({"ff_loss": "cwc"}, "--ff-loss cwc: conv layer 2 has 8 filters, not a multiple of the 10"),
    ({"goodness": "max"}, "--goodness: 'max' is not sum or mean"),
    ({"goodness": None}, "goodness: None is not sum or mean"),
    ({"negatives": "easy"}, "--negatives: 'easy' is not random or hard"),
    ({"negatives": True}, "negatives: True is not random or hard"),
    ({"ff_temperature": 0}, "ff_temperature: 0 is out of range"),
    ({"ff_temperature": -1.0}, "ff_temperature: -1 is out of range"),
    ({"ff_temperature": 2e6}, "ff_temperature: 2e\\+06 is out of range"),
    ({"ff_temperature": float("nan")}, "ff_temperature: nan is not a finite number"),
    ({"ff_temperature": "1"}, "ff_temperature: '1' is not a number"),
    ({"algo": "bp", "ff_loss": "symba"}, "ff_loss: applies to algo 'ff' only"),
    ({"algo": "bp", "ff_temperature": 2.0}, "ff_temperature: applies to algo 'ff' only"),
])
def test_bad_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        ffcnn.Config("tiny", **settings)


def test_bad_preset_and_net_arguments():
    with pytest.raises(ValueError, match="unknown preset 'huge'"):
        ffcnn.Config("huge")
    with pytest.raises(ValueError, match="unknown preset"):
        ffcnn.Net("huge")
    with pytest.raises(TypeError):
        ffcnn.Net(42)
    with pytest.raises(ValueError, match="threads"):
        ffcnn.Net("tiny", threads=0)
    with pytest.raises(ValueError, match="chunk"):
        ffcnn.Net("tiny", threads=1, chunk=0)
    with pytest.raises(ValueError, match="conv: 'gpu'"):
        ffcnn.Net("tiny", threads=1, conv="gpu")
    with pytest.raises(ValueError):
        ffcnn.Net("tiny", threads=1, conv="im2col,fft,fft")  # 3 paths, 2 layers


# ---- arrays ----

@pytest.fixture(scope="module")
def net(small):
    x, y, _, _ = small
    n = ffcnn.Net("tiny", threads=1)
    n.fit(x[:50], y[:50])
    return n


@pytest.mark.parametrize("bad", [
    np.zeros((2, 28, 28), dtype=np.complex64),
    np.array([[["a"] * 28] * 28] * 2),
    np.zeros((2, 28, 28), dtype=bool),
    np.zeros((2, 28, 28), dtype=object),
])
def test_wrong_dtype(net, bad):
    with pytest.raises(ffcnn.DTypeError, match="dtype"):
        net.predict(bad)
    assert issubclass(ffcnn.DTypeError, ValueError) and issubclass(ffcnn.DTypeError, TypeError)


@pytest.mark.parametrize("shape, message", [
    ((28, 28), r"\(N, C, H, W\) or \(N, H, W\)"),
    ((1, 1, 1, 28, 28), r"\(N, C, H, W\)"),
    ((2, 1, 28, 27), "28x27 but the network expects 1x28x28"),
    ((2, 3, 28, 28), "3x28x28 but the network expects 1x28x28"),
    ((2, 28, 28, 1), "channels last"),
    ((2, 1, 0, 28), "1x0x28 but"),
])
def test_wrong_shape(net, shape, message):
    with pytest.raises(ValueError, match=message):
        net.scores(np.zeros(shape, np.uint8))


def test_nan_and_values_out_of_range(net, small):
    x, y, _, _ = small
    f = x[:5] / 255.0
    f[3, 0, 5, 5] = np.nan
    with pytest.raises(ValueError, match="NaN in image 3"):
        net.predict(f)
    with pytest.raises(ValueError, match="NaN"):
        ffcnn.Net("tiny", threads=1).fit(f, y[:5])
    for bad, message in ((1.5, r"\[0, 1\]"), (-0.1, r"\[0, 1\]"), (np.inf, r"\[0, 1\]")):
        g = x[:5] / 255.0
        g[0, 0, 0, 0] = bad
        with pytest.raises(ValueError, match=message):
            net.predict(g)
    for bad in (256, -1):
        i = x[:5].astype(np.int32)
        i[1, 0, 2, 2] = bad
        with pytest.raises(ValueError, match="0..255"):
            net.predict(i)


def test_bad_labels(net, small):
    x, y, _, _ = small
    with pytest.raises(ValueError, match="label 10 of image 2 is not in 0..9"):
        net.evaluate(x[:5], np.array([1, 2, 10, 3, 4]))
    with pytest.raises(ValueError, match="label -1"):
        net.evaluate(x[:5], np.array([1, 2, -1, 3, 4]))
    with pytest.raises(ValueError, match="5 labels expected"):
        net.evaluate(x[:5], y[:4])
    with pytest.raises(ValueError, match="5 labels expected"):
        net.evaluate(x[:5], y[:10].reshape(5, 2))
    with pytest.raises(ffcnn.DTypeError, match="labels of dtype float64"):
        net.evaluate(x[:5], y[:5].astype(np.float64))
    with pytest.raises(ValueError, match="label 12 of image 0"):
        ffcnn.Net("tiny", threads=1).fit(x[:5], np.full(5, 12))


def test_bad_fit_arguments(small):
    x, y, xv, yv = small
    fresh = ffcnn.Net("tiny", threads=1)
    with pytest.raises(ValueError, match="no training images"):
        fresh.fit(x[:0], y[:0])
    with pytest.raises(ValueError, match="empty side"):
        fresh.fit(np.zeros((2, 1, 0, 28), np.uint8), y[:2])
    with pytest.raises(ValueError, match="validation: an \\(x, y\\) pair"):
        fresh.fit(x[:5], y[:5], validation=xv)
    with pytest.raises(ValueError, match="validation x"):
        fresh.fit(x[:5], y[:5], validation=(xv[:, :, :20], yv))
    with pytest.raises(TypeError, match="callback"):
        fresh.fit(x[:5], y[:5], callback=3)
    with pytest.raises(ValueError, match="epochs"):
        fresh.fit(x[:5], y[:5], epochs=-1)
    shaped = ffcnn.Net(ffcnn.Config("tiny", height=20, width=20), threads=1)
    with pytest.raises(ValueError, match="28x28 but the network expects 1x20x20"):
        shaped.fit(x[:5], y[:5])  # an explicit input shape is kept
    assert fresh.epochs_done == 0


def test_bad_modes_and_cam_arguments(net, small):
    x, y, _, _ = small
    with pytest.raises(ValueError, match="mode: 'best' is not goodness, linear or both"):
        net.evaluate(x[:5], y[:5], mode="best")
    with pytest.raises(ValueError, match="mode: 'both' is not goodness or linear"):
        net.scores(x[:5], mode="both")
    with pytest.raises(ValueError, match="class 10 is not in 0..9"):
        net.cam(x[0], 10)
    with pytest.raises(ValueError, match="cls"):
        net.cam(x[0], "3")
    with pytest.raises(ValueError, match="one image"):
        net.cam(x[:2], 3)
    with pytest.raises(ValueError, match="no images"):
        net.evaluate(x[:0], y[:0])


# ---- files ----

def test_file_errors(net, tmp_path, small):
    with pytest.raises(FileNotFoundError, match="cannot open"):
        ffcnn.load(tmp_path / "missing.ffm")
    bad = tmp_path / "bad.ffm"
    bad.write_bytes(b"not a model" * 20)
    with pytest.raises(ffcnn.FormatError, match="bad.ffm: not an ffcnn model") as e:
        ffcnn.load(bad)
    assert isinstance(e.value, OSError) and isinstance(e.value, ValueError)
    good = tmp_path / "good.ffm"
    net.save(good)
    cut = tmp_path / "cut.ffm"
    cut.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ffcnn.FormatError, match="cut.ffm"):
        ffcnn.load(cut)
    with pytest.raises(OSError, match="not a regular file"):
        ffcnn.load(tmp_path)
    with pytest.raises(OSError, match="missing-dir"):
        net.save(tmp_path / "missing-dir" / "m.ffm")
    with pytest.raises(OSError):
        net.save(tmp_path)  # a directory
    with pytest.raises(FileNotFoundError):
        ffcnn.datasets.mnist(tmp_path / "nowhere")
    with pytest.raises(OSError):
        ffcnn.datasets.mnist(tmp_path)  # a folder without the files
    with pytest.raises(ValueError, match="split: 'dev'"):
        ffcnn.datasets.mnist(tmp_path, split="dev")
    (tmp_path / "i").write_bytes(b"\0\0\x08\x03" + b"\0" * 3)
    (tmp_path / "l").write_bytes(b"\0\0\x08\x01\0\0\0\0")
    with pytest.raises(ffcnn.FormatError):
        ffcnn.datasets.idx(tmp_path / "i", tmp_path / "l")
    # a loaded model refuses other training images (it would silently differ from a resumed run)
    x, y, _, _ = small
    half = ffcnn.Net(ffcnn.Config("tiny", epochs=2), threads=1)
    half.fit(x[:50], y[:50], callback=lambda m: True)
    half.save(good)
    again = ffcnn.load(good, threads=1)
    with pytest.raises(ValueError, match="differ from the ones this model was trained on"):
        again.fit(x[100:150], y[100:150])


def test_bad_variant_fields_in_model(tmp_path):
    """A version-6 file's FF variant fields are validated on load, naming the flag."""
    net = ffcnn.Net(ffcnn.Config("tiny", ff_temperature=2.0), threads=1)
    net.save(tmp_path / "v6.ffm")
    good = (tmp_path / "v6.ffm").read_bytes()
    assert struct.unpack_from("<I", good, 8)[0] == 6
    for fmt, offset, value, message in (("<i", 416, 4, "--ff-loss: 4 is not bce"),
                                        ("<i", 416, 3, "--ff-loss cwc: conv layer 2 has 8"),
                                        ("<i", 420, -1, "--goodness: -1 is not sum"),
                                        ("<f", 424, float("nan"), "--ff-temperature: nan"),
                                        ("<f", 424, -2.0, "--ff-temperature: -2"),
                                        ("<i", 428, 7, "--negatives: 7 is not random")):
        b = bytearray(good)
        struct.pack_into(fmt, b, offset, value)
        struct.pack_into("<I", b, len(b) - 4, zlib.crc32(bytes(b[8:-4])))
        bad = tmp_path / "bad.ffm"
        bad.write_bytes(bytes(b))
        with pytest.raises(ffcnn.FormatError, match=f"bad configuration in model \\({message}"):
            ffcnn.load(bad, threads=1)


def test_numeric_error(small):
    x, y, _, _ = small
    net = ffcnn.Net(ffcnn.Config("tiny", lr=1e30), threads=1)
    with pytest.raises(ffcnn.NumericError, match="inf|nan|NaN"):
        net.fit(x[:200], y[:200])
    assert issubclass(ffcnn.NumericError, FloatingPointError)
