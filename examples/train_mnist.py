"""Forward-Forward training on MNIST from Python, notebook style: load the data as numpy arrays,
train, look at the per-epoch metrics, evaluate, predict, and plot the training curves.

    python3 examples/train_mnist.py                      # the default preset, 12 epochs
    python3 examples/train_mnist.py --preset tiny --train-limit 2000 --val-limit 500 --no-plot

Each cell below can be pasted into a notebook as it is. Build the package first (README,
"Python"): pip install --no-build-isolation ./python, or scripts/test_python.sh's in-tree build.
"""
import argparse
import os
import sys

import numpy as np

import ffcnn

# ---- settings (a notebook would set these directly) ----
parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--data", default=None, help="MNIST folder (default: data/mnist)")
parser.add_argument("--preset", default="default", help="default | paper | cifar10 | tiny")
parser.add_argument("--epochs", type=int, default=None, help="epochs (default: the preset's)")
parser.add_argument("--train-limit", type=int, default=None, help="first N training images")
parser.add_argument("--val-limit", type=int, default=None, help="first N validation images")
parser.add_argument("--test-limit", type=int, default=None, help="first N test images")
parser.add_argument("--threads", type=int, default=None, help="worker threads (all cores)")
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--out", default=None, help="save the model (and the curves' PNG) here")
parser.add_argument("--no-plot", action="store_true", help="skip the matplotlib figure")
args = parser.parse_args()

# ---- the data: uint8 arrays (N, 1, 28, 28) and labels (N,) ----
data = ffcnn.datasets.mnist(args.data)
x, y = data.train
xv, yv = data.val
xt, yt = data.test
x, y = x[:args.train_limit], y[:args.train_limit]
xv, yv = xv[:args.val_limit], yv[:args.val_limit]
xt, yt = xt[:args.test_limit], yt[:args.test_limit]
print(f"train {x.shape}, validation {xv.shape}, test {xt.shape}")

# ---- the network ----
config = ffcnn.Config(args.preset, seed=args.seed)
net = ffcnn.Net(config, threads=args.threads)
print(config)


# ---- training: one dict of metrics per epoch ----
def report(m):
    print(f"epoch {m['epoch']}: lr {m['lr']:.2g}, {m['seconds']:.1f} s, classifier acc "
          f"{m['classifier_acc']:.4f}, validation acc (linear) {m['val_acc_linear']:.4f}")


history = net.fit(x, y, epochs=args.epochs, validation=(xv, yv), callback=report)
try:
    import pandas as pd  # optional: a table of the metrics
    print(pd.DataFrame(history)[["epoch", "lr", "seconds", "classifier_acc", "val_acc_linear"]])
except ImportError:
    pass

# ---- evaluation and prediction ----
res = net.evaluate(xt, yt, mode="both")
print(f"test accuracy: goodness {res['accuracy_goodness']:.4f}, linear {res['accuracy_linear']:.4f}")
print("confusion matrix (goodness; rows true, columns predicted):")
print(res["confusion_goodness"])
print("first test images: predicted", net.predict(xt[:10]), "true", yt[:10])
maps = net.cam(xt[0], int(yt[0]))
print(f"class activation maps of test image 0 for class {yt[0]}: {[m.shape for m in maps]}")
print(f"weights sha256 {net.weights_sha256}")
if args.out:
    net.save(args.out)
    print(f"model saved to {args.out} (ffcnn eval --model {args.out} reads it)")

# ---- the curves (matplotlib, when installed) ----
if args.no_plot:
    sys.exit(0)
try:
    import matplotlib
    if not os.environ.get("DISPLAY"):
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no figure (apt-get install python3-matplotlib)")
    sys.exit(0)
epochs = [m["epoch"] for m in history]
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
losses = np.array([[v if v is not None else np.nan for v in m["layer_loss"]] for m in history])
for layer in range(losses.shape[1]):
    if not np.all(np.isnan(losses[:, layer])):
        ax1.plot(epochs, losses[:, layer], marker="o", label=f"layer {layer + 1}")
ax1.set(xlabel="epoch", ylabel="FF loss (BCE)", title="per-layer loss")
ax1.legend()
ax2.plot(epochs, [m["classifier_acc"] for m in history], marker="o", label="train (head)")
ax2.plot(epochs, [m["val_acc_linear"] for m in history], marker="o", label="validation (linear)")
ax2.set(xlabel="epoch", ylabel="accuracy", title="accuracy")
ax2.legend()
fig.tight_layout()
png = (args.out or "mnist") + ".curves.png"
fig.savefig(png, dpi=100)
print(f"curves written to {png}")
if os.environ.get("DISPLAY"):
    plt.show()
