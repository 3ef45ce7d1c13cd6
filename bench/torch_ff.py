#!/usr/bin/env python3
"""PyTorch anchor for ffcnn's speed: Forward-Forward training of a CNN.

The same training step and goodness inference as ffcnn (docs/method.md
sections 2-6), written the way the paper's authors would run it: idiomatic PyTorch,
nn.Conv2d with "same" padding, autograd, one torch.optim.Adam over all trained
parameters, one optimizer step per batch.

Per training step, batch of B images x with labels y:
  positives = (1-K) x + K L_y, negatives = (1-K) x + K L_y' (y' != y, uniform),
  neutral   = (1-K) x + K mean_c(L_c),    L_c = 0.5 (1 + cos(2 pi (ky i + kx j) / 28)), set 1.
  Positives and negatives go through the network as one batch of 2B. Each layer:
  z = a / (sqrt(mean(a^2 over C,H,W)) + 1e-8); y = relu(conv(z)); G = sum(y^2);
  the next layer gets y.detach(). Layers 2..L: BCE-with-logits(G - C*H*W, 1 for pos, 0 for
  neg), mean over 2B. Layer 1 is not trained (requires_grad False, run under no_grad).
  The neutral batch runs under no_grad; a bias-free, zero-initialised nn.Linear(D, 10) on the
  concatenated RMS-normalised outputs of layers 2..L is trained with cross-entropy.
  Total loss = sum of layer losses + CE; one backward; one Adam step.
Goodness inference: all 10 labels superimposed (10 n samples in one forward, no_grad),
score = sum over layers 2..L of G, argmax.

Usage:
  /usr/bin/python3 bench/torch_ff.py --filters 32 --kernel 5 --steps 20 --json
  /usr/bin/python3 bench/torch_ff.py --check        # correctness: tiny net learns MNIST
"""

import argparse
import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

IMG = 28
K_DEFAULT = 0.35
# Set 1 label modes (ky, kx) for classes 0..9 (docs/method.md section 2).
SET1 = [(0, 6), (2, 0), (0, 4), (0, 2), (6, 0), (4, 0), (1, -1), (2, -2), (2, 2), (1, 1)]


def label_patterns(size=IMG, modes=SET1):
    """(10, 1, size, size) float32 tensor of L_c[i][j] = 0.5 (1 + cos(2 pi (ky i + kx j)/size))."""
    i = torch.arange(size, dtype=torch.float64).view(size, 1)
    j = torch.arange(size, dtype=torch.float64).view(1, size)
    pats = [0.5 * (1.0 + torch.cos(2.0 * math.pi * (ky * i + kx * j) / size)) for ky, kx in modes]
    return torch.stack(pats).unsqueeze(1).float()


def rms_norm(a):
    """Per-sample RMS normalisation over all C*H*W values; no mean subtraction, no parameters."""
    return a / (a.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-8)


class FFCNN(nn.Module):
    def __init__(self, filters, kernel, layers, in_ch=1, size=IMG, train_first=False):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv2d(in_ch if l == 0 else filters, filters, kernel, stride=1, padding=kernel // 2, bias=True)
            for l in range(layers))
        # PyTorch's default Conv2d init is U(+-1/sqrt(fan_in)) for weights and bias (docs/method.md s3).
        self.train_first = train_first
        if not train_first:
            for p in self.convs[0].parameters():
                p.requires_grad_(False)
        self.theta = float(filters * size * size)  # threshold = N = C*H*W
        self.feat_dim = (layers - 1) * filters * size * size
        self.classifier = nn.Linear(self.feat_dim, 10, bias=False)
        nn.init.zeros_(self.classifier.weight)

    def layer(self, l, a):
        return F.relu(self.convs[l](rms_norm(a)))

    def ff_losses(self, x, targets):
        """x: (2B,1,H,W) positives then negatives. Returns (list of layer losses, list of G)."""
        a = x
        losses, goods = [], []
        for l in range(len(self.convs)):
            if l == 0 and not self.train_first:
                with torch.no_grad():
                    a = self.layer(0, a)
                continue
            y = self.layer(l, a)
            g = y.pow(2).sum(dim=(1, 2, 3))
            losses.append(F.binary_cross_entropy_with_logits(g - self.theta, targets))
            goods.append(g.detach())
            a = y.detach()
        return losses, goods

    @torch.no_grad()
    def features(self, x):
        """Concatenated RMS-normalised outputs of layers 2..L (the classifier's input)."""
        a, feats = x, []
        for l in range(len(self.convs)):
            a = self.layer(l, a)
            if l >= 1:
                feats.append(rms_norm(a).flatten(1))
        return torch.cat(feats, dim=1)

    @torch.no_grad()
    def goodness(self, x):
        """Sum over layers 2..L of G for each sample of x."""
        a = x
        score = torch.zeros(x.shape[0])
        for l in range(len(self.convs)):
            a = self.layer(l, a)
            if l >= 1:
                score += a.pow(2).sum(dim=(1, 2, 3))
        return score


class Trainer:
    def __init__(self, net, lr, K=K_DEFAULT):
        self.net = net
        self.K = K
        self.L = label_patterns()
        self.L_neutral = self.L.mean(dim=0, keepdim=True)
        self.opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad],
                                    lr=lr, betas=(0.9, 0.999), eps=1e-8)

    def step(self, x, y):
        """One FF training step on images x (B,1,28,28) in [0,1] with labels y (B,)."""
        B, K = x.shape[0], self.K
        yneg = (y + torch.randint(1, 10, (B,))) % 10  # uniform over the 9 wrong classes
        pos = (1 - K) * x + K * self.L[y]
        neg = (1 - K) * x + K * self.L[yneg]
        neu = (1 - K) * x + K * self.L_neutral
        targets = torch.cat([torch.ones(B), torch.zeros(B)])
        losses, goods = self.net.ff_losses(torch.cat([pos, neg]), targets)
        feats = self.net.features(neu)
        ce = F.cross_entropy(self.net.classifier(feats), y)
        total = sum(losses) + ce
        self.opt.zero_grad(set_to_none=True)
        total.backward()
        self.opt.step()
        return losses, goods, ce

    @torch.no_grad()
    def predict_goodness(self, x):
        n, K = x.shape[0], self.K
        xs = ((1 - K) * x.unsqueeze(1) + K * self.L.unsqueeze(0)).reshape(n * 10, *x.shape[1:])
        return self.net.goodness(xs).view(n, 10).argmax(dim=1)

    @torch.no_grad()
    def predict_linear(self, x):
        neu = (1 - self.K) * x + self.K * self.L_neutral
        return self.net.classifier(self.net.features(neu)).argmax(dim=1)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


# ----------------------------------------------------------------------------------- data
def read_idx(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    t = torch.frombuffer(bytearray(data[4 + 4 * ndim:]), dtype=torch.uint8)
    return t.view(*dims)


def load_mnist(root):
    xi = os.path.join(root, "train-images-idx3-ubyte")
    yi = os.path.join(root, "train-labels-idx1-ubyte")
    if not (os.path.exists(xi) and os.path.exists(yi)):
        return None
    x = read_idx(xi).float().div_(255.0).unsqueeze(1)  # (60000,1,28,28)
    y = read_idx(yi).long()
    return x, y


def synthetic_task(n, seed):
    """Structured stand-in for MNIST: 10 smooth random prototypes, random shift, noise."""
    g = torch.Generator().manual_seed(seed)
    protos = F.interpolate(torch.rand(10, 1, 7, 7, generator=g), size=(IMG, IMG), mode="bilinear",
                           align_corners=False)
    protos = (protos - protos.amin(dim=(2, 3), keepdim=True)) / (protos.amax(dim=(2, 3), keepdim=True)
                                                                - protos.amin(dim=(2, 3), keepdim=True))
    y = torch.randint(0, 10, (n,), generator=g)
    x = protos[y]
    shifts = torch.randint(-2, 3, (n, 2), generator=g)
    x = torch.stack([torch.roll(x[i], (int(shifts[i, 0]), int(shifts[i, 1])), dims=(1, 2)) for i in range(n)])
    x = (x + 0.25 * torch.randn(x.shape, generator=g)).clamp_(0, 1)
    return x, y


# ----------------------------------------------------------------------------------- modes
def run_bench(args):
    torch.manual_seed(args.seed)
    net = FFCNN(args.filters, args.kernel, args.layers)
    tr = Trainer(net, args.lr)
    B = args.batch
    # A small pool of random MNIST-shaped batches (uint8 values / 255, random labels).
    pool = 8
    xs = torch.randint(0, 256, (pool, B, 1, IMG, IMG), dtype=torch.uint8).float().div_(255.0)
    ys = torch.randint(0, 10, (pool, B))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, network {args.layers} x "
          f"{args.filters} filters {args.kernel}x{args.kernel}, batch {B}, lr {args.lr}", flush=True)

    for s in range(args.warmup):
        tr.step(xs[s % pool], ys[s % pool])
    t0 = time.perf_counter()
    for s in range(args.steps):
        losses, _, ce = tr.step(xs[s % pool], ys[s % pool])
    t_train = time.perf_counter() - t0
    train_ips = args.steps * B / t_train if args.steps > 0 else 0.0
    train_rss = peak_rss_mb()  # training alone, before inference
    print(f"train: {args.steps} steps x {B} images in {t_train:.3f} s: {train_ips:.2f} images/s "
          f"({1e3 * t_train / max(args.steps, 1):.1f} ms/step)", flush=True)

    ib = 20  # images per inference forward (200 samples)
    nb = max(1, math.ceil(args.infer_images / ib))
    xi = torch.randint(0, 256, (ib, 1, IMG, IMG), dtype=torch.uint8).float().div_(255.0)
    tr.predict_goodness(xi)  # warm-up forward
    t0 = time.perf_counter()
    for _ in range(nb):
        tr.predict_goodness(xi)
    t_inf = time.perf_counter() - t0
    n_inf = nb * ib
    infer_ips = n_inf / t_inf
    print(f"goodness inference: {n_inf} images ({10 * ib} samples per forward) in {t_inf:.3f} s: "
          f"{infer_ips:.2f} images/s", flush=True)
    rss = peak_rss_mb()
    print(f"peak RSS: {rss:.1f} MB", flush=True)
    if args.json:
        print(json.dumps({
            "impl": "pytorch",
            "train_images_per_s": round(train_ips, 4),
            "infer_goodness_images_per_s": round(infer_ips, 4),
            "peak_rss_mb": round(rss, 2),
            "train_peak_rss_mb": round(train_rss, 2),
            "filters": args.filters, "kernel": args.kernel, "layers": args.layers,
            "batch": B, "threads": torch.get_num_threads(), "steps": args.steps,
            "warmup": args.warmup, "infer_images": n_inf, "lr": args.lr,
            "train_seconds": round(t_train, 4), "infer_seconds": round(t_inf, 4),
            "torch_version": torch.__version__,
        }), flush=True)


def consistency_checks(net, tr, x, y):
    """Cheap exact checks of the pieces against direct re-computations from docs/method.md."""
    B, K = x.shape[0], tr.K
    # Labels: set-1 formula at a few pixels.
    for c, (ky, kx) in enumerate(SET1):
        for i, j in ((0, 0), (3, 5), (27, 11)):
            ref = 0.5 * (1 + math.cos(2 * math.pi * (ky * i + kx * j) / IMG))
            assert abs(tr.L[c, 0, i, j].item() - ref) < 1e-6
    # Layer loss = mean over 2B of softplus(-(G-theta)) (positives), softplus(G-theta) (negatives).
    yneg = (y + 1) % 10
    xb = torch.cat([(1 - K) * x + K * tr.L[y], (1 - K) * x + K * tr.L[yneg]])
    losses, goods = net.ff_losses(xb, torch.cat([torch.ones(B), torch.zeros(B)]))
    a, l_ref = xb.double(), []
    for l, conv in enumerate(net.convs):
        z = a / (a.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-8)
        a = F.relu(F.conv2d(z, conv.weight.double(), conv.bias.double(), padding=conv.kernel_size[0] // 2))
        if l >= 1:
            g = a.pow(2).sum(dim=(1, 2, 3)) - net.theta
            l_ref.append(torch.cat([F.softplus(-g[:B]), F.softplus(g[B:])]).mean().item())
    for l, (lv, rv) in enumerate(zip(losses, l_ref)):
        assert abs(lv.item() - rv) <= 1e-3 * max(1.0, abs(rv)), (l, lv.item(), rv)
    # Locality: layer l's gradient comes from layer l's loss alone (inputs detached).
    for l in range(len(losses)):
        gs = torch.autograd.grad(sum(losses), net.convs[l + 1].weight, retain_graph=True)[0]
        gl = torch.autograd.grad(losses[l], net.convs[l + 1].weight, retain_graph=True)[0]
        assert torch.allclose(gs, gl), l
    # Goodness inference in one 10n-sample forward = per-label forwards.
    pred = tr.predict_goodness(x[:4])
    scores = torch.stack([net.goodness((1 - K) * x[:4] + K * tr.L[c]) for c in range(10)], dim=1)
    assert torch.equal(pred, scores.argmax(dim=1))
    print("consistency: labels, layer BCE (vs float64 softplus form), gradient locality, "
          "batched goodness inference: OK", flush=True)


def run_check(args):
    torch.manual_seed(args.seed)
    data = load_mnist(args.data)
    B, held = args.batch, 500
    if data is not None:
        x, y = data
        src = f"MNIST ({args.data})"
        xtr, ytr = x[:50000], y[:50000]
        xte, yte = x[50000:50000 + held], y[50000:50000 + held]  # from the validation split
    else:
        src = "synthetic (10 smooth prototypes + shift + noise)"
        x, y = synthetic_task(args.steps * B + held, args.seed)
        xtr, ytr, xte, yte = x[held:], y[held:], x[:held], y[:held]
    net = FFCNN(args.filters, args.kernel, args.layers)
    tr = Trainer(net, args.lr)
    print(f"check: torch {torch.__version__}, threads {torch.get_num_threads()}, data {src}, network "
          f"{args.layers} x {args.filters} filters {args.kernel}x{args.kernel}, batch {B}, lr {args.lr}, "
          f"{args.steps} steps", flush=True)
    w1 = net.convs[0].weight.detach().clone()

    def evaluate(tag):
        g = (tr.predict_goodness(xte) == yte).float().mean().item()
        lin = (tr.predict_linear(xte) == yte).float().mean().item()
        print(f"{tag}: held-out {held} images: linear classifier {100 * lin:.2f} %, "
              f"goodness {100 * g:.2f} %", flush=True)
        return lin, g

    consistency_checks(net, tr, xtr[:B], ytr[:B])
    evaluate("before training")
    perm = torch.randperm(xtr.shape[0])
    nl = args.layers - 1
    acc_l = [0.0] * nl
    acc_d = [0.0] * nl
    acc_ce, acc_n = 0.0, 0
    every = max(1, args.steps // 10)
    t0 = time.perf_counter()
    for s in range(args.steps):
        idx = perm[(s * B) % (xtr.shape[0] - B):][:B]
        losses, goods, ce = tr.step(xtr[idx], ytr[idx])
        for l in range(nl):
            acc_l[l] += losses[l].item()
            g = goods[l] - net.theta
            acc_d[l] += torch.cat([(g[:B] > 0), (g[B:] < 0)]).float().mean().item()
        acc_ce += ce.item()
        acc_n += 1
        if (s + 1) % every == 0 or s + 1 == args.steps:
            ls = " / ".join(f"{v / acc_n:9.2f}" for v in acc_l)
            ds = " / ".join(f"{v / acc_n:.3f}" for v in acc_d)
            print(f"step {s + 1:5d}: BCE layers 2..{args.layers}: {ls}   discrimination acc: {ds}   "
                  f"classifier CE: {acc_ce / acc_n:.4f}", flush=True)
            acc_l, acc_d, acc_ce, acc_n = [0.0] * nl, [0.0] * nl, 0.0, 0
    dt = time.perf_counter() - t0
    lin, g = evaluate(f"after {args.steps} steps ({dt:.1f} s)")
    unchanged = torch.equal(w1, net.convs[0].weight)
    print(f"layer 1 weights unchanged: {unchanged}", flush=True)
    ok = unchanged and lin > 0.5
    print("CHECK " + ("PASSED" if ok else "FAILED") + " (layer 1 frozen, linear classifier > 50 %)", flush=True)
    if args.json:
        print(json.dumps({"check": ok, "linear_accuracy": lin, "goodness_accuracy": g,
                          "layer1_unchanged": unchanged, "data": src, "steps": args.steps}), flush=True)
    return 0 if ok else 1


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--filters", type=int, default=None, help="filters per layer (bench 128, check 8)")
    ap.add_argument("--kernel", type=int, default=None, help="kernel size k (bench 7, check 3)")
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--batch", type=int, default=50, help="images per step (B positives + B negatives)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=None, help="timed training steps (bench 10, check 100)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed training steps first")
    ap.add_argument("--infer-images", type=int, default=200, help="images for timed goodness inference")
    ap.add_argument("--lr", type=float, default=None, help="Adam learning rate (bench 5e-5, check 1e-3)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="last line: one JSON object")
    ap.add_argument("--check", action="store_true", help="correctness check: train a tiny net, report accuracy")
    ap.add_argument("--data", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mnist"),
                    help="MNIST directory for --check (falls back to a synthetic task)")
    args = ap.parse_args(argv)
    d = dict(filters=8, kernel=3, steps=100, lr=1e-3) if args.check else dict(filters=128, kernel=7, steps=10, lr=5e-5)
    for k, v in d.items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.kernel % 2 != 1:
        ap.error("--kernel must be odd (same padding k//2)")
    if args.layers < 2:
        ap.error("--layers must be >= 2 (layer 1 is not trained)")
    torch.set_num_threads(args.threads)
    if args.check:
        return run_check(args)
    run_bench(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
