"""ffcnn: Forward-Forward training of convolutional networks, from Python and numpy.

The numbers are the C library's (libffcnn, the library `ffcnn train` runs): a network trained
here with the same settings, seed, data and thread count has the same weights, bit for bit, as
one trained by the command-line tool (compare `Net.weights_sha256` with `ffcnn info`).

    import ffcnn
    (x, y), (xv, yv), (xt, yt) = ffcnn.datasets.mnist("data/mnist")
    net = ffcnn.Net(ffcnn.Config("default", epochs=2), threads=2)
    history = net.fit(x[:5000], y[:5000], validation=(xv[:1000], yv[:1000]))
    print(net.evaluate(xt, yt)["accuracy"], net.predict(xt[:5]))
    net.save("model.ffm")            # ffcnn eval --model model.ffm reads it, and ffcnn.load

Images are numpy arrays of shape (N, C, H, W) or (N, H, W): uint8 pixels as the library stores
them, other integers in 0..255, or floats in [0, 1] (stored as round(255 x)); labels are
integers in 0..classes-1. Arrays that are not C-contiguous (slices with a step, transposes) and
dtypes other than uint8 are copied; NaN, values out of range, wrong shapes raise ValueError, an
unsupported dtype DTypeError (a TypeError and a ValueError).

Errors carry the library's one-line message: ValueError for bad settings, shapes or data,
OSError for files that cannot be read or written (FileNotFoundError for a missing one),
FormatError (an OSError and a ValueError) for a malformed file, MemoryError, NumericError when
training meets NaN or Inf. Training and evaluation run with the GIL released, on `threads`
OpenMP threads; Ctrl-C stops training after the current step, with the network intact
(KeyboardInterrupt is raised; fit() again resumes where it stopped).
"""
import os
import subprocess
import sys
import warnings

import numpy as np


def _fast_blas():
    """As `ffcnn` (the CLI) does at start: when OpenBLAS does not know this CPU and would fall
    back to slow kernels, set OPENBLAS_CORETYPE to the kernels it can run, which OpenBLAS reads
    only when it loads. Learned from a child process that loads the extension (this one must
    not load OpenBLAS before the variable is set). Training then runs the same sgemm kernels,
    and gives the same bits, as the CLI. A set OPENBLAS_CORETYPE is left alone."""
    if "OPENBLAS_CORETYPE" in os.environ or os.environ.get("FFCNN_BLAS_PROBE") == "0":
        return
    import importlib.util
    spec = importlib.util.find_spec("ffcnn._ffcnn")
    if spec is None or not spec.origin:
        return
    code = ("import importlib.util as u, sys\n"
            "s = u.spec_from_file_location('_ffcnn', sys.argv[1])\n"
            "m = u.module_from_spec(s)\n"
            "s.loader.exec_module(m)\n"
            "print(m.blas_better_core() or '')\n")
    try:
        r = subprocess.run([sys.executable, "-S", "-c", code, spec.origin], capture_output=True,
                           text=True, timeout=60, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    except (OSError, subprocess.SubprocessError):
        return
    core = r.stdout.strip()
    if r.returncode == 0 and core.isalnum():
        os.environ["OPENBLAS_CORETYPE"] = core


_fast_blas()

from . import _arrays, _ffcnn, datasets  # noqa: E402 (after OPENBLAS_CORETYPE is set)
from ._arrays import DTypeError  # noqa: E402
from ._ffcnn import FormatError, NumericError  # noqa: E402

if _ffcnn.blas_better_core():
    warnings.warn(f"ffcnn: OpenBLAS runs its slow {_ffcnn.blas_core()} kernels on this CPU (it was "
                  "loaded before ffcnn could set OPENBLAS_CORETYPE): training is slower and its "
                  "bits differ from `ffcnn train`'s; set OPENBLAS_CORETYPE="
                  f"{_ffcnn.blas_better_core()} before starting Python", RuntimeWarning)

__version__ = _ffcnn.VERSION
__all__ = ["Config", "Net", "load", "presets", "kernels", "blas_core", "label_image", "datasets",
           "DTypeError", "FormatError", "NumericError", "MAX_CLASSES"]

MAX_CLASSES = _ffcnn.MAX_CLASSES
_PRESETS = ("default", "paper", "fast", "cifar10", "tiny")
_LABEL_SETS = {1: "1", 2: "2", 3: "onehot", 4: "fourier", 5: "morph"}
_LABEL_KINDS = {v: k for k, v in _LABEL_SETS.items()}
_ALGOS = {0: "ff", 1: "bp"}
_MODES = {"goodness": 1, "linear": 2, "both": 3}
_CONV = {"auto": 0, "im2col": 1, "fft": 2}
_VARIANTS = ("ff_loss", "goodness", "negatives")  # named FF variants (docs/method.md §13)
_FF_ONLY = ("label_set", "label_k", "train_from", "classifier_lr", "ff_loss", "goodness",
            "ff_temperature", "negatives")
_UNIFORM = ("layers", "filters", "kernel")
_SETTINGS = ("net", "layers", "filters", "kernel", "algo", "label_set", "label_k", "train_from",
             "batch", "epochs", "lr", "classifier_lr", "ff_loss", "goodness", "ff_temperature",
             "negatives", "seed", "augment", "classes", "channels", "height", "width")
_TEMPERATURE = (1e-6, 1e6)  # ff_temperature's range (the paper's: 1)


def presets():
    """The names of the presets: default, paper, fast, cifar10, tiny (docs/method.md, README)."""
    return _PRESETS


def kernels():
    """The instruction set of the library's hot kernels in use (avx512, avx2 or generic)."""
    return _ffcnn.kernels()


def blas_core():
    """The OpenBLAS kernels in use (its core name, e.g. Haswell, SkylakeX, Cooperlake)."""
    return _ffcnn.blas_core()


def _f32(v):
    """A float32 setting as the shortest float that gives it back."""
    return float(str(np.float32(v)))


def _int(name, v, lo=None, hi=None):
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
        raise ValueError(f"{name}: {v!r} is not an integer")
    v = int(v)
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ValueError(f"{name}: {v} is out of range {lo}..{hi}")
    return v


def _num(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name}: {v!r} is not a number")
    v = float(v)
    if v != v or v in (float("inf"), float("-inf")):
        raise ValueError(f"{name}: {v} is not a finite number")
    return v


class Config:
    """The settings of a network and its training schedule (the library's ffcnn_config).

    Config(preset="default", **settings) starts from a preset (see presets(); "tiny" trains in
    seconds) and applies the settings, named as `ffcnn train`'s flags:

      net           layer list, e.g. "c32k7 c64k7 p2 c128k7" (cFkK conv, pS max pooling)
      layers, filters, kernel   a uniform stack instead (not with net)
      algo          "ff" (Forward-Forward) or "bp" (the backprop baseline)
      label_set     "1", "2" (the paper's sets, 10 classes), "fourier", "onehot", "morph"
      label_k       label intensity in (0, 1)
      train_from    first trained conv layer, 1-based
      batch, epochs, lr, classifier_lr (0: lr's), seed
      ff_loss       FF objective (docs/method.md §13): "bce" (the paper's: each sample's logit
                    against its target), "symba" (softplus(-(l+ - l-)) on each image's
                    positive and negative copies: ranks the true label first, no threshold),
                    "ce" (every label written on the image, cross-entropy over their
                    goodness: what goodness inference ranks; K + 1 copies of each image) or
                    "cwc" (no label: each trained layer's filters in one group per class,
                    cross-entropy over the groups' goodness; one copy of each image; filters
                    a multiple of the classes; label_set, label_k and negatives unused)
      goodness      "sum" (the paper's: sum of squares, theta = N) or "mean" (divided by the
                    layer's N outputs, theta = 1); goodness inference sums the same per layer
      ff_temperature  T in 1e-6..1e6: the logit is (G - theta) / T (the paper's: 1)
      negatives     "random" (the paper's: a wrong label drawn uniformly) or "hard" (drawn from
                    the linear head's softmax over the wrong labels, on the neutral image)
      augment       "none", "flip", "shift[:P]", "shift-flip[:P]"
      classes       class count (2..100); other than 10 and no label_set: "fourier"
      channels, height, width   input shape; a fresh Net takes it from the data it is fitted to
                    unless given here

    label_set, label_k, train_from, classifier_lr and the FF variants (ff_loss, goodness,
    ff_temperature, negatives) apply to algo "ff" only. A model that uses a variant is saved as
    model format version 6 (docs/checkpoint-format.md), which builds before it do not read.

    A bad setting raises ValueError with the library's message. Read settings as attributes
    (cfg.batch, cfg.net, cfg.input_shape); cfg.replace(**changes) gives a new Config;
    cfg.to_dict() the settings (Config(**cfg.to_dict()) is the same configuration).
    """

    def __init__(self, preset="default", **settings):
        if not isinstance(preset, str):
            raise ValueError(f"preset: {preset!r} is not a preset name ({', '.join(_PRESETS)})")
        unknown = sorted(set(settings) - set(_SETTINGS))
        if unknown:
            raise ValueError(f"{unknown[0]}: unknown setting (known: {', '.join(_SETTINGS)})")
        c = _ffcnn.preset(preset)
        s = dict(settings)
        if "net" in s and any(k in s for k in _UNIFORM):
            k = next(k for k in _UNIFORM if k in s)
            raise ValueError(f"net and {k}: give one or the other (layers, filters and kernel "
                             "describe a uniform stack, net any layer list)")
        if "net" in s:
            if not isinstance(s["net"], str):
                raise ValueError(f"net: {s['net']!r} is not a layer list such as 'c16k5 c16k5'")
            c["layers"] = _ffcnn.parse_net(s["net"])
        if any(k in s for k in _UNIFORM):
            convs = [layer for layer in c["layers"] if layer[0] == 1]
            c["layers"] = _ffcnn.uniform(
                _int("layers", s.get("layers", len(convs)), 1, _ffcnn.MAX_LAYERS),
                _int("filters", s.get("filters", convs[0][1]), 1, 4096),
                _int("kernel", s.get("kernel", convs[0][2]), 1, 31))
        if "algo" in s:
            if s["algo"] not in ("ff", "bp"):
                raise ValueError(f"algo: {s['algo']!r} is not ff or bp")
            c["algo"] = 0 if s["algo"] == "ff" else 1
        if c["algo"] == 1:
            given = [k for k in _FF_ONLY if k in s]
            if given:
                raise ValueError(f"{given[0]}: applies to algo 'ff' only (a backprop network "
                                 "has no label in its input, trains every layer and its head at lr)")
        if "label_set" in s:
            v = str(s["label_set"])
            if v not in _LABEL_KINDS:
                raise ValueError(f"label_set: {s['label_set']!r} is not 1, 2, fourier, onehot "
                                 "or morph")
            c["label_kind"] = _LABEL_KINDS[v]
        for k in ("label_k", "lr", "classifier_lr"):
            if k in s:
                c[k] = float(np.float32(_num(k, s[k])))  # the library's float
        for k in ("train_from", "batch", "epochs", "classes", "channels", "height", "width"):
            if k in s:
                c[k] = _int(k, s[k], 0, 2**31 - 1)
        if "seed" in s:
            c["seed"] = _int("seed", s["seed"], 0, 2**64 - 1)
        for k in _VARIANTS:
            if k in s:
                if not isinstance(s[k], str):
                    known = [_ffcnn.variant_name(k, v) for v in range(4)]
                    known = [n for n in known if n != "unknown"]
                    names = ", ".join(known[:-1]) + " or " + known[-1]
                    raise ValueError(f"{k}: {s[k]!r} is not {names}")
                c[k] = _ffcnn.parse_variant(k, s[k])  # the library's message names the flag
        if "ff_temperature" in s:
            t = _num("ff_temperature", s["ff_temperature"])
            if not _TEMPERATURE[0] <= t <= _TEMPERATURE[1]:
                raise ValueError(f"ff_temperature: {t:g} is out of range 1e-6..1e6 (the "
                                 "paper's is 1)")
            t = float(np.float32(t))
            c["ff_temperature"] = 0.0 if t == 1.0 else t  # the library's 0: the paper's 1
        if "augment" in s:
            if not isinstance(s["augment"], str):
                raise ValueError(f"augment: {s['augment']!r} is not none, flip, shift[:P] or "
                                 "shift-flip[:P]")
            c["augment_pad"], c["augment_flip"] = _ffcnn.parse_augment(s["augment"])
        # As ffcnn train: the paper's label sets are for 10 classes; another count takes the
        # Fourier set of the K lowest modes unless a label set was given.
        if "label_set" not in s and c["classes"] != 10 and c["label_kind"] in (1, 2):
            c["label_kind"] = 4
        _ffcnn.validate(c)
        self._c = c
        self._preset = preset
        self._settings = s

    @classmethod
    def preset(cls, name, **settings):
        """The preset `name` with settings applied: Config(name, **settings)."""
        return cls(name, **settings)

    @classmethod
    def _from_c(cls, c):
        self = cls.__new__(cls)
        self._c = dict(c)
        if self._c["ff_temperature"] == 1.0:  # the same objective as the library's 0
            self._c["ff_temperature"] = 0.0
        self._preset = "default"
        self._settings = self.to_dict()
        return self

    def replace(self, **changes):
        """A new Config: these settings, with `changes` applied (net replaces the uniform
        stack's settings, and the reverse)."""
        s = dict(self._settings)
        if "net" in changes:
            for k in _UNIFORM:
                s.pop(k, None)
        if any(k in changes for k in _UNIFORM):
            s.pop("net", None)
            convs = [layer for layer in self._c["layers"] if layer[0] == 1]
            s.setdefault("layers", len(convs))
            s.setdefault("filters", convs[0][1])
            s.setdefault("kernel", convs[0][2])
        s.update(changes)
        if s.get("algo") == "bp":
            for k in _FF_ONLY:
                if k not in changes:
                    s.pop(k, None)
        return Config(self._preset, **s)

    def to_dict(self):
        """The settings, by name (a backprop configuration leaves out the FF-only ones)."""
        c = self._c
        d = {"net": self.net, "algo": self.algo}
        if c["algo"] == 0:
            d.update(label_set=self.label_set, label_k=self.label_k, train_from=self.train_from)
        d.update(batch=self.batch, epochs=self.epochs, lr=self.lr)
        if c["algo"] == 0:
            d.update(classifier_lr=self.classifier_lr, ff_loss=self.ff_loss,
                     goodness=self.goodness, ff_temperature=self.ff_temperature,
                     negatives=self.negatives)
        d.update(seed=self.seed, augment=self.augment, classes=self.classes,
                 channels=self.channels, height=self.height, width=self.width)
        return d

    # The settings, read as attributes.
    net = property(lambda self: _ffcnn.format_net(self._c), doc="the layer list")
    layers = property(lambda self: sum(1 for layer in self._c["layers"] if layer[0] == 1),
                      doc="the number of conv (FF) layers")
    algo = property(lambda self: _ALGOS[self._c["algo"]])
    label_set = property(lambda self: _LABEL_SETS.get(self._c["label_kind"], "?"))
    label_k = property(lambda self: _f32(self._c["label_k"]))
    train_from = property(lambda self: self._c["train_from"])
    batch = property(lambda self: self._c["batch"])
    epochs = property(lambda self: self._c["epochs"])
    lr = property(lambda self: _f32(self._c["lr"]))
    classifier_lr = property(lambda self: _f32(self._c["classifier_lr"]))
    seed = property(lambda self: self._c["seed"])
    ff_loss = property(lambda self: _ffcnn.variant_name("ff_loss", self._c["ff_loss"]),
                       doc='the FF loss: "bce" (the paper\'s), "symba", "ce" or "cwc"')
    goodness = property(lambda self: _ffcnn.variant_name("goodness", self._c["goodness"]),
                        doc='the goodness: "sum" (the paper\'s) or "mean"')
    ff_temperature = property(lambda self: _f32(self._c["ff_temperature"] or 1.0),
                              doc="T of the logit (G - theta) / T (the paper's: 1)")
    negatives = property(lambda self: _ffcnn.variant_name("negatives", self._c["negatives"]),
                         doc='the negative labels: "random" (the paper\'s) or "hard"')
    paper_objective = property(lambda self: _ffcnn.is_paper_objective(self._c),
                               doc="True when no FF variant is in use (the paper's objective)")
    augment = property(lambda self: _ffcnn.format_augment(self._c["augment_pad"],
                                                          self._c["augment_flip"]))
    classes = property(lambda self: self._c["classes"])
    channels = property(lambda self: self._c["channels"])
    height = property(lambda self: self._c["height"])
    width = property(lambda self: self._c["width"])
    input_shape = property(lambda self: (self._c["channels"], self._c["height"], self._c["width"]),
                           doc="(channels, height, width)")

    def lr_at_epoch(self, epoch):
        """The learning rate of 0-based epoch `epoch` (constant, then a linear cool-down in the
        second half)."""
        return _f32(_ffcnn.lr_at_epoch(self._c, _int("epoch", epoch, 0)))

    def __eq__(self, other):
        return isinstance(other, Config) and self._c == other._c

    def __repr__(self):
        return "Config(" + ", ".join(f"{k}={v!r}" for k, v in self.to_dict().items()) + ")"


def _threads(threads):
    if threads is None:
        return os.cpu_count() or 1
    return _int("threads", threads, 1, 1024)


def _conv_paths(conv):
    given = conv
    if isinstance(conv, str):
        conv = conv.split(",")
    try:
        paths = [_CONV[p] for p in conv]
    except (KeyError, TypeError):
        raise ValueError(f"conv: {given!r} is not auto, im2col, fft or a list of them, one per "
                         "conv layer") from None
    if not 1 <= len(paths) <= _ffcnn.MAX_LAYERS:
        raise ValueError(f"conv: {len(paths)} paths given")
    return paths


def _missing_file(e, path):
    """An OSError of the library for a file that does not exist, as FileNotFoundError."""
    if type(e) is OSError and not os.path.exists(path):
        return FileNotFoundError(str(e))
    return e


class Net:
    """A network, fresh from a Config or loaded by ffcnn.load (the library's ffcnn_net).

    Net(config=None, *, threads=None, chunk=None, conv="auto"): config a Config, a preset name
    or a dict of settings (None: the default preset). threads: OpenMP worker threads (default
    all cores, as `ffcnn train`); the same seed and data give the same bits at the same thread
    count. chunk: FF images per chunk of a batch (memory; default 64). conv: "auto" (time both
    convolution paths, keep the faster), "im2col", "fft", or one per conv layer
    ("im2col,fft"); for bit-identical runs force a path (auto may choose differently).

    A fresh network takes its input shape (and the epochs given to fit) from its first fit, as
    `ffcnn train` takes them from its data and flags.
    """

    def __init__(self, config=None, *, threads=None, chunk=None, conv="auto"):
        if config is None:
            config = Config()
        elif isinstance(config, str):
            config = Config(config)
        elif isinstance(config, dict):
            config = Config(**config)
        elif not isinstance(config, Config):
            raise TypeError(f"config: a Config, a preset name or a dict, not {type(config).__name__}")
        self._threads = _threads(threads)
        self._chunk = _ffcnn.DEFAULT_CHUNK if chunk is None else _int("chunk", chunk, 1, 65536)
        self._conv = _conv_paths(conv)
        self._given = config
        self._net = _ffcnn.Net(config._c, self._threads)
        self._setup()
        self._fresh = True
        self.history = []  # every epoch's metrics, in order, over all fit() calls
        self._train_seconds = 0.0

    @classmethod
    def _wrap(cls, cnet, threads, chunk, conv):
        self = cls.__new__(cls)
        self._threads, self._chunk, self._conv = threads, chunk, conv
        self._net = cnet
        self._given = Config._from_c(cnet.config())
        self._setup()
        self._fresh = False
        self.history = []
        self._train_seconds = 0.0
        return self

    def _setup(self):
        self._score_from = None  # a new network sums every trained layer
        self._net.set_chunk(self._chunk)
        self._net.set_conv(self._conv)

    # ---- what the network is ----

    @property
    def config(self):
        """The network's Config (the file's, for a loaded model)."""
        return Config._from_c(self._net.config())

    classes = property(lambda self: self._net.config()["classes"], doc="the class count")
    input_shape = property(lambda self: Config._from_c(self._net.config()).input_shape,
                           doc="(channels, height, width) of the images it takes")
    epochs_done = property(lambda self: self._net.state()["epochs_done"],
                           doc="epochs completed (of config.epochs)")
    step_in_epoch = property(lambda self: self._net.state()["step_in_epoch"],
                             doc="steps done in the unfinished epoch (the resume point)")
    weights_sha256 = property(lambda self: self._net.state()["weights_sha256"],
                              doc="SHA-256 of the parameters, as `ffcnn info` prints it")
    conv = property(lambda self: self._net.conv_paths(),
                    doc="the convolution path of each conv layer (settled by the first epoch)")
    data_identity = property(lambda self: self._net.data_identity(),
                             doc="the training data's name, limits and SHA-256 fingerprint")

    @property
    def val_accuracy(self):
        """The linear head's validation accuracy after the last epoch (None without one)."""
        v = self._net.state()["last_val_accuracy"]
        return None if v < 0 else v

    @property
    def threads(self):
        """OpenMP worker threads of training and evaluation."""
        return self._threads

    @threads.setter
    def threads(self, n):
        self._net.set_threads(_threads(n))
        self._threads = _threads(n)

    @property
    def chunk(self):
        """FF images per chunk of a batch (memory; results differ only by float rounding)."""
        return self._net.chunk()

    @chunk.setter
    def chunk(self, n):
        self._net.set_chunk(_int("chunk", n, 1, 65536))
        self._chunk = n

    @property
    def score_from(self):
        """The first conv layer (1-based) whose goodness goodness inference sums; None: every
        trained layer. 2 is the paper's rule for a model trained from layer 1. Not saved."""
        return self._score_from

    @score_from.setter
    def score_from(self, layer):
        self._net.set_score_from(0 if layer is None else _int("score_from", layer, 1, 64))
        self._score_from = layer

    @property
    def class_names(self):
        """The classes' names saved with the model (a list of str), or None."""
        return self._net.class_names()

    @class_names.setter
    def class_names(self, names):
        self._net.set_class_names(None if names is None else [str(n) for n in names])

    def set_data_name(self, name, train_limit=-1, val_limit=-1):
        """Records the data set's name (and the limits used) in the model, as `ffcnn train`
        does ("mnist", "fashion"): `ffcnn train --resume` and `ffcnn eval` read it."""
        self._net.set_data_identity(str(name), _int("train_limit", train_limit, -1),
                                    _int("val_limit", val_limit, -1))

    # ---- training ----

    def _mode(self, mode, allow_both):
        if mode is None:
            return 2 if self._net.config()["algo"] == 1 else 1
        if mode not in _MODES or (mode == "both" and not allow_both):
            choices = "goodness, linear or both" if allow_both else "goodness or linear"
            raise ValueError(f"mode: {mode!r} is not {choices}")
        return _MODES[mode]

    def _rebuild(self, config):
        self._net = _ffcnn.Net(config._c, self._threads)
        self._given = config
        self._setup()

    def fit(self, x, y, epochs=None, validation=None, callback=None, checkpoint=None):
        """Trains the network on images x with labels y; returns the metrics of each epoch
        trained, a list of dicts (pandas.DataFrame(net.fit(...)) tabulates them).

        epochs: the schedule's length (the learning rate cools down over its second half).
        A fresh network takes it (default: its config's); a trained or loaded one continues its
        own schedule from where it stopped, and refuses another length. validation: (x, y)
        on which the linear head is evaluated after each epoch (val_acc_linear). callback:
        called with each epoch's metrics; returning True stops training after that epoch.
        checkpoint: a model file saved after every epoch and on Ctrl-C.

        Each dict holds epoch (1-based), algo, net, lr, seconds, train_seconds (this network's
        training time so far), images_per_s, layer_loss and layer_disc_acc (per conv layer,
        None for untrained ones), classifier_loss, classifier_acc and val_acc_linear (None
        without validation): the keys of `ffcnn train`'s MODEL.metrics.jsonl.

        Ctrl-C stops training after the current step and raises KeyboardInterrupt; the network
        is intact (and saved to checkpoint), and fit() again continues the epoch. (Signals
        reach the main thread only: a fit() in another thread is stopped by net.stop().) With the same
        settings, seed, data, thread count and conv paths as `ffcnn train` the weights are the
        same bits (the CLI's MNIST val split is ffcnn.datasets.mnist's val).
        """
        cfg = Config._from_c(self._net.config())
        if epochs is not None:
            epochs = _int("epochs", epochs, 0, 1000000)
        if self._fresh:
            x = _arrays.images(x, "x")
            changes = {}
            shape_given = any(k in self._given._settings for k in ("channels", "height", "width"))
            if tuple(x.shape[1:]) != cfg.input_shape and not shape_given:
                changes.update(zip(("channels", "height", "width"), x.shape[1:]))
            if epochs is not None and epochs != cfg.epochs:
                changes["epochs"] = epochs
            if changes:
                self._rebuild(self._given.replace(**changes))
                cfg = Config._from_c(self._net.config())
            x = _arrays.images(x, "x", shape=cfg.input_shape)
        else:
            if epochs is not None and epochs != cfg.epochs:
                raise ValueError(f"epochs={epochs}: this network's schedule is {cfg.epochs} "
                                 f"epochs and it has trained {self.epochs_done} (leave epochs out "
                                 "to continue it; the schedule is fixed once training starts)")
            x = _arrays.images(x, "x", shape=cfg.input_shape)
        y = _arrays.labels(y, x.shape[0], cfg.classes, "y")
        if len(x) == 0:
            raise ValueError("x: no training images")
        xv = yv = None
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise ValueError("validation: an (x, y) pair of arrays")
            xv = _arrays.images(validation[0], "validation x", shape=cfg.input_shape)
            yv = _arrays.labels(validation[1], xv.shape[0], cfg.classes, "validation y")
        if callback is not None and not callable(callback):
            raise TypeError("callback: a function of one epoch's metrics")
        C, H, W = cfg.input_shape
        trained = []
        self._net.request_stop(False)
        while self._net.state()["epochs_done"] < cfg.epochs:
            try:
                st = self._net.train_epoch(x, y, C, H, W, xv, yv)
            except KeyboardInterrupt:
                self._fresh = False
                if checkpoint is not None:
                    self.save(checkpoint)
                raise
            finally:
                s = self._net.state()
                self._fresh = self._fresh and s["epochs_done"] == 0 and s["step_in_epoch"] == 0
            self._fresh = False
            if st is None:  # stop() from another thread
                break
            self._train_seconds += st["seconds"]
            st["train_seconds"] = self._train_seconds
            trained.append(st)
            self.history.append(st)
            if checkpoint is not None:
                self.save(checkpoint)
            if callback is not None and callback(dict(st)) is True:
                break
        return trained

    def stop(self):
        """Asks a fit() running in another thread to stop after its current step (the network
        is then intact, and fit() returns the epochs completed; fit() again continues). Ctrl-C
        does this for a fit() in the main thread."""
        self._net.request_stop(True)

    # ---- inference ----

    def _images(self, x, name="x"):
        return _arrays.images(x, name, shape=self.input_shape)

    def evaluate(self, x, y, mode=None):
        """Accuracy on images x with labels y: a dict with accuracy (the mode's; for "both",
        goodness's, or a backprop model's linear one), accuracy_goodness and accuracy_linear
        (None when not evaluated), confusion_goodness and confusion_linear ((classes, classes)
        int arrays, [true, predicted], or None), n, classes, seconds, images_per_s.

        mode: "goodness" (argmax over labels of the goodness summed over the trained layers),
        "linear" (the linear head) or "both"; default goodness, linear for a backprop model
        (which has no goodness), as predict."""
        m = self._mode(mode, allow_both=True)
        x = self._images(x)
        y = _arrays.labels(y, x.shape[0], self.classes, "y")
        if len(x) == 0:
            raise ValueError("x: no images to evaluate")
        r = self._net.evaluate(x, y, *x.shape[1:], m)
        for k in ("confusion_goodness", "confusion_linear"):
            if r[k] is not None:
                r[k] = np.array(r[k], dtype=np.int64)
        r["mode"] = {1: "goodness", 2: "linear", 3: "both"}[m]
        g = r["accuracy_goodness"]
        r["accuracy"] = g if g is not None and m != 2 else r["accuracy_linear"]
        return r

    def scores(self, x, mode=None):
        """Per-image scores of every class, an (N, classes) float64 array: "goodness" (the
        goodness summed over the trained layers under each label) or "linear" (the head's
        softmax probabilities); default as evaluate. The predicted class is the largest."""
        m = self._mode(mode, allow_both=False)
        x = self._images(x)
        out = np.empty((x.shape[0], self.classes), dtype=np.float64)
        if len(x):
            self._net.scores(x, *x.shape[1:], m, out)
        return out

    def predict(self, x, mode=None):
        """The predicted class of each image, an int64 array (the first on ties, as
        evaluate)."""
        return np.argmax(self.scores(x, mode), axis=1).astype(np.int64)

    def cam(self, image, cls=None, return_logits=False):
        """The class activation maps of one image for class cls (default: the head's
        prediction): a list of 2-D float32 arrays, one per layer the linear head reads (FF:
        every trained conv layer; backprop: the last), each of that layer's output size. The
        sum of all their pixels is the head's logit for cls. image: (C, H, W), or (H, W) for
        one channel. return_logits=True also returns every class's logit."""
        x = _arrays.images(image, "image", shape=self.input_shape, single=True)
        layers, total = self._net.cam_layers()
        maps = np.empty(total, dtype=np.float32)
        logits = np.empty(self.classes, dtype=np.float32)
        if cls is None:
            self._net.cam(x, *x.shape[1:], 0, 0, maps, logits)
            cls = int(np.argmax(logits))
        elif isinstance(cls, bool) or not isinstance(cls, (int, np.integer)):
            raise ValueError(f"cls: {cls!r} is not a class number")
        self._net.cam(x, *x.shape[1:], 0, int(cls), maps, logits)
        out = [maps[off:off + h * w].reshape(h, w).copy() for _, h, w, off in layers]
        return (out, logits) if return_logits else out

    # ---- files ----

    def save(self, path):
        """Writes the model file (docs/checkpoint-format.md): `ffcnn eval`, `ffcnn info`,
        `ffcnn train --resume` and ffcnn.load read it. OSError when it cannot be written."""
        try:
            self._net.save(os.fspath(path))
        except OSError as e:
            raise _missing_file(e, os.path.dirname(os.fspath(path)) or ".") from None

    def __repr__(self):
        s = self._net.state()
        return (f"<ffcnn.Net {self.config.net} on {'x'.join(map(str, self.input_shape))}, "
                f"{self.classes} classes, epoch {s['epochs_done']}/{self.config.epochs}>")


def load(path, threads=None, chunk=None, conv="auto"):
    """Reads a model file written by Net.save or `ffcnn train`. threads, chunk, conv as for
    Net (conv "auto" keeps the file's paths). FileNotFoundError, OSError or FormatError."""
    threads = _threads(threads)
    chunk = _ffcnn.DEFAULT_CHUNK if chunk is None else _int("chunk", chunk, 1, 65536)
    try:
        cnet = _ffcnn.load(os.fspath(path), threads)
    except OSError as e:
        raise _missing_file(e, path) from None
    return Net._wrap(cnet, threads, chunk, _conv_paths(conv))


def label_image(config, label, image=None):
    """The network's input for `label` (0..classes-1, or classes for the neutral label): the
    labelled image (uint8 (C, H, W) or (H, W)) when image is given, else the label pattern
    alone; a float32 (C, H, W) array. config: a Config or a Net."""
    if isinstance(config, Net):
        config = config.config
    out = np.empty(config.input_shape, dtype=np.float32)
    img = None
    if image is not None:
        img = _arrays.images(image, "image", shape=config.input_shape, single=True)
    _ffcnn.label_image(config._c, _int("label", label, 0), img, out)
    return out
