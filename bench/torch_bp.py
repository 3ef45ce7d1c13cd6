#!/usr/bin/env python3
"""PyTorch anchor for ffcnn's backpropagation baseline (ffcnn train --algo bp).

The same model and training step as ffcnn's BP, written the idiomatic PyTorch way: nn.Conv2d
with "same" padding, autograd through the whole network, one torch.optim.Adam over all
parameters, one optimizer step per batch.

Model, images x (B,C,H,W) in [0,1] with no label in the input:
  conv layer cFkK:  z = a / (sqrt(mean(a^2 over C,H,W)) + 1e-8);  y = relu(conv(z)), F filters
                    KxK, stride 1, padding K//2, with bias (PyTorch's default init,
                    U(+-1/sqrt(C_in K K)) for weights and bias);
  pooling pS:       y = max_pool2d(a, S);
  head:             feat = rmsnorm(last output) flattened per sample (C,H,W order);
                    logits = feat @ Wc^T, Wc (10, N) zero-initialised, no bias;
  loss:             cross_entropy(logits, labels), mean over the batch; backward; Adam step.
Inference: forward + argmax of the logits, no_grad, in chunks of the batch size.

The benchmark network is a uniform stack of --layers conv layers (--filters, --kernel), no
pooling, on synthetic MNIST-shaped images (1x28x28, random uint8 / 255) with random labels;
--net "c4k3 p2 c5k3" gives any other network.

Usage:
  /usr/bin/python3 bench/torch_bp.py --filters 32 --kernel 5 --steps 20 --json
"""

import argparse
import json
import math
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

IMG = 28
CLASSES = 10


def rms_norm(a):
    """Per-sample RMS normalisation over all C*H*W values; no mean subtraction, no parameters."""
    return a / (a.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-8)


def parse_net(spec):
    """'c4k3 p2 c5k3' -> [('c', 4, 3), ('p', 2), ('c', 5, 3)]."""
    entries = []
    for tok in spec.split():
        t = tok.lower()
        try:
            if t.startswith("c") and "k" in t:
                f, k = t[1:].split("k")
                entries.append(("c", int(f), int(k)))
            elif t.startswith("p"):
                entries.append(("p", int(t[1:])))
            else:
                raise ValueError
        except ValueError:
            raise SystemExit(f"bad network entry {tok!r} (want cFkK or pS)")
    if not entries:
        raise SystemExit("empty network")
    for e in entries:
        if e[0] == "c" and (e[1] < 1 or e[2] < 1 or e[2] % 2 != 1):
            raise SystemExit(f"bad conv entry c{e[1]}k{e[2]} (filters >= 1, odd kernel)")
        if e[0] == "p" and e[1] < 1:
            raise SystemExit(f"bad pooling entry p{e[1]}")
    return entries


class BPCNN(nn.Module):
    def __init__(self, entries, in_ch=1, size=IMG):
        super().__init__()
        self.entries = entries
        self.convs = nn.ModuleList()
        c, h, w = in_ch, size, size
        for e in entries:
            if e[0] == "c":
                # PyTorch's default Conv2d init: U(+-1/sqrt(fan_in)) for weights and bias.
                self.convs.append(nn.Conv2d(c, e[1], e[2], stride=1, padding=e[2] // 2, bias=True))
                c = e[1]
            else:
                h, w = h // e[1], w // e[1]
                if h < 1 or w < 1:
                    raise SystemExit("pooling shrinks the image below 1x1")
        self.feat_dim = c * h * w
        self.classifier = nn.Linear(self.feat_dim, CLASSES, bias=False)
        nn.init.zeros_(self.classifier.weight)

    def forward(self, x):
        a, ci = x, 0
        for e in self.entries:
            if e[0] == "c":
                a = F.relu(self.convs[ci](rms_norm(a)))
                ci += 1
            else:
                a = F.max_pool2d(a, e[1])
        return self.classifier(rms_norm(a).flatten(1))


class Trainer:
    def __init__(self, net, lr):
        self.net = net
        self.opt = torch.optim.Adam(net.parameters(), lr=lr, betas=(0.9, 0.999), eps=1e-8)

    def step(self, x, y):
        """One BP training step on images x (B,1,28,28) in [0,1] with labels y (B,)."""
        self.opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(self.net(x), y)
        loss.backward()
        self.opt.step()
        return loss.detach()

    @torch.no_grad()
    def predict(self, x):
        return self.net(x).argmax(dim=1)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def run_bench(args, entries, net_str):
    torch.manual_seed(args.seed)
    net = BPCNN(entries)
    tr = Trainer(net, args.lr)
    B = args.batch
    # A small pool of random MNIST-shaped batches (uint8 values / 255, random labels).
    pool = 8
    xs = torch.randint(0, 256, (pool, B, 1, IMG, IMG), dtype=torch.uint8).float().div_(255.0)
    ys = torch.randint(0, CLASSES, (pool, B))
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, BP network \"{net_str}\" "
          f"(head {net.feat_dim} -> {CLASSES}), batch {B}, lr {args.lr}", flush=True)

    for s in range(args.warmup):
        tr.step(xs[s % pool], ys[s % pool])
    t0 = time.perf_counter()
    loss = None
    for s in range(args.steps):
        loss = tr.step(xs[s % pool], ys[s % pool])
    t_train = time.perf_counter() - t0
    train_ips = args.steps * B / t_train if args.steps > 0 else 0.0
    train_rss = peak_rss_mb()
    print(f"train: {args.steps} steps x {B} images in {t_train:.3f} s: {train_ips:.2f} images/s "
          f"({1e3 * t_train / max(args.steps, 1):.1f} ms/step)"
          + (f", last loss {float(loss):.4f}" if loss is not None else ""), flush=True)
    print(f"peak RSS after training: {train_rss:.1f} MB", flush=True)

    ib = B  # images per inference forward
    nb = max(1, math.ceil(args.infer_images / ib))
    xi = torch.randint(0, 256, (ib, 1, IMG, IMG), dtype=torch.uint8).float().div_(255.0)
    tr.predict(xi)  # warm-up forward
    t0 = time.perf_counter()
    for _ in range(nb):
        tr.predict(xi)
    t_inf = time.perf_counter() - t0
    n_inf = nb * ib
    infer_ips = n_inf / t_inf
    print(f"inference: {n_inf} images ({ib} per forward) in {t_inf:.3f} s: {infer_ips:.2f} images/s",
          flush=True)
    rss = peak_rss_mb()
    print(f"peak RSS: {rss:.1f} MB", flush=True)
    if args.json:
        print(json.dumps({
            "impl": "pytorch", "algo": "bp", "net": net_str,
            "train_images_per_s": round(train_ips, 4),
            "infer_images_per_s": round(infer_ips, 4),
            "train_peak_rss_mb": round(train_rss, 2),
            "peak_rss_mb": round(rss, 2),
            "filters": None if args.net else args.filters, "kernel": None if args.net else args.kernel,
            "layers": sum(e[0] == "c" for e in entries),
            "batch": B, "threads": torch.get_num_threads(), "steps": args.steps,
            "warmup": args.warmup, "infer_images": n_inf, "lr": args.lr,
            "train_seconds": round(t_train, 4), "infer_seconds": round(t_inf, 4),
            "torch_version": torch.__version__,
        }), flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--filters", type=int, default=128, help="filters per layer")
    ap.add_argument("--kernel", type=int, default=7, help="kernel size k (odd)")
    ap.add_argument("--layers", type=int, default=3, help="conv layers in the uniform stack")
    ap.add_argument("--net", default=None,
                    help='network as entries, e.g. "c4k3 p2 c5k3" (overrides --filters/--kernel/--layers)')
    ap.add_argument("--batch", type=int, default=50, help="images per step")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10, help="timed training steps")
    ap.add_argument("--warmup", type=int, default=2, help="untimed training steps first")
    ap.add_argument("--infer-images", type=int, default=200, help="images for timed inference")
    ap.add_argument("--lr", type=float, default=1e-3, help="Adam learning rate")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--json", action="store_true", help="last line: one JSON object")
    args = ap.parse_args(argv)
    if args.net is None:
        if args.kernel % 2 != 1:
            ap.error("--kernel must be odd (same padding k//2)")
        if args.layers < 1 or args.filters < 1:
            ap.error("--layers and --filters must be >= 1")
        net_str = " ".join([f"c{args.filters}k{args.kernel}"] * args.layers)
    else:
        net_str = " ".join(args.net.split())
    entries = parse_net(net_str)
    if args.batch < 1 or args.steps < 0 or args.warmup < 0 or args.infer_images < 1:
        ap.error("--batch and --infer-images must be >= 1, --steps and --warmup >= 0")
    torch.set_num_threads(args.threads)
    run_bench(args, entries, net_str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
