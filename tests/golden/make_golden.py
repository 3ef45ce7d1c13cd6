#!/usr/bin/python3
"""Writes tests/golden/ff_step.bin: one (and a second) Forward-Forward training step computed
with plain PyTorch, as an independent reference for tests/test_golden.c.

The method (docs/method.md sections 2-6) is written here from the description, not from the C code:
F.conv2d with padding k//2, autograd for every gradient, torch.optim.Adam with default betas/eps.
Everything is float32 on the CPU. Run it with Debian's python3-torch:

    /usr/bin/python3 tests/golden/make_golden.py            # writes tests/golden/ff_step.bin

File format: b"FFGOLD1\\n", then records until EOF, all little-endian:
    uint32 name_len, name bytes (no NUL), uint32 ndim, uint32 dims[ndim], float32 data[prod(dims)]

Case (the brief of the test): layers=3, filters=4, kernel=3, channels=1, 28x28, Fourier label
set 1, K=0.35, train_from=2 (layer 1 never trained), B=3, Adam lr 1e-3, betas (0.9, 0.999),
eps 1e-8. The classifier starts from small random normal * 0.01 weights ("wc0") instead of zeros
so that its logits, loss and gradient are not trivial.

With the framework-default init the goodness of every sample is far below theta = N = 3136, so
every BCE logit G - theta is about -2600 and saturated: the sigmoid is exactly 0 or 1 in float
and the negatives contribute no gradient at all. A second case, records prefixed "hot.", takes
the same weights with layer 2 scaled so that positive sample 0 sits just above its threshold
(G - theta = +2) and layer 3 scaled so that negative sample 0 sits just below (G - theta = -1.5).
Scaling w and b of a layer by s scales its ReLU output by s, so the later layers (whose inputs
are RMS-normalised) and the classifier see the same features; only the conv records of the
trained layers are stored for it.
"""
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ffgold import write  # noqa: E402
import torch.nn.functional as F

torch.manual_seed(20240607)
torch.set_num_threads(1)
DT = torch.float32

LAYERS, FILTERS, KSIZE, CHANNELS, H, W = 3, 4, 3, 1, 28, 28
K = 0.35
TRAIN_FROM = 2  # 1-based: layers 2 and 3 are trained
B = 3
LR = 1e-3
CLASSES = 10
THETA = float(FILTERS * H * W)  # N = C*H*W of a layer's output
SET1 = [(0, 6), (2, 0), (0, 4), (0, 2), (6, 0), (4, 0), (1, -1), (2, -2), (2, 2), (1, 1)]


def label_patterns():
    """L_c[i][j] = 0.5 (1 + cos(2 pi (ky i + kx j) / 28)); computed in float64, stored float32."""
    i = torch.arange(H, dtype=torch.float64).view(H, 1)
    j = torch.arange(W, dtype=torch.float64).view(1, W)
    pats = [0.5 * (1.0 + torch.cos(2.0 * math.pi * (ky * i + kx * j) / H)) for ky, kx in SET1]
    L = torch.stack(pats).to(DT)  # [10, H, W]
    return L, L.mean(dim=0)  # classes, neutral = mean of the ten


def rmsnorm(a):
    """a / (sqrt(mean(a^2) over each sample's C*H*W) + 1e-8)."""
    return a / (a.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-8)


def forward(inp, params):
    """inp [N,1,H,W]; returns per layer (y, G), each layer's input detached."""
    out, a = [], inp
    for w, b in params:
        z = rmsnorm(a.detach())
        y = F.relu(F.conv2d(z, w, b, padding=KSIZE // 2))
        out.append((y, y.pow(2).sum(dim=(1, 2, 3))))
        a = y.detach()
    return out


def overlay(x, pattern):
    return (1.0 - K) * x + K * pattern


def init_conv(cin, cout):
    bound = 1.0 / math.sqrt(cin * KSIZE * KSIZE)
    w = torch.empty(cout, cin, KSIZE, KSIZE, dtype=DT).uniform_(-bound, bound)
    b = torch.empty(cout, dtype=DT).uniform_(-bound, bound)
    return w, b


class Step:
    """Network state plus the batch; step() does one FF + classifier update."""

    def __init__(self, convs, wc, x, labels, neg, L, neutral):
        self.params = [(w.clone().requires_grad_(l >= TRAIN_FROM - 1), b.clone().requires_grad_(
            l >= TRAIN_FROM - 1)) for l, (w, b) in enumerate(convs)]
        self.wc = wc.clone().requires_grad_(True)
        trained = [p for l, wb in enumerate(self.params) if l >= TRAIN_FROM - 1 for p in wb]
        self.opt = torch.optim.Adam(trained + [self.wc], lr=LR, betas=(0.9, 0.999), eps=1e-8)
        self.labels = labels
        pos = overlay(x, L[labels])
        negs = overlay(x, L[neg])
        neu = overlay(x, neutral.expand_as(x))
        self.batch = torch.cat([pos, negs, neu]).unsqueeze(1)  # [3B,1,H,W]
        self.target = torch.cat([torch.ones(B, dtype=DT), torch.zeros(B, dtype=DT)])

    def losses(self):
        outs = forward(self.batch, self.params)
        layer_losses = {}
        for l in range(TRAIN_FROM - 1, LAYERS):
            G = outs[l][1][: 2 * B]
            layer_losses[l] = F.binary_cross_entropy_with_logits(G - THETA, self.target)
        feats = torch.cat([rmsnorm(outs[l][0][2 * B:].detach()).reshape(B, -1)
                           for l in range(TRAIN_FROM - 1, LAYERS)], dim=1)
        logits = feats @ self.wc.t()
        ce = F.cross_entropy(logits, self.labels)
        return outs, layer_losses, logits, ce

    def step(self):
        self.opt.zero_grad()
        outs, layer_losses, logits, ce = self.losses()
        total = sum(layer_losses.values()) + ce
        total.backward()
        grads = {}
        for l in range(TRAIN_FROM - 1, LAYERS):
            grads[f"gw{l + 1}"] = self.params[l][0].grad.detach().clone()
            grads[f"gb{l + 1}"] = self.params[l][1].grad.detach().clone()
        grads["gwc"] = self.wc.grad.detach().clone()
        self.opt.step()
        return outs, layer_losses, logits, ce, grads


def goodness_scores(x, convs, L):
    """score[b][c] = sum over trained layers of G with label c superimposed, initial weights."""
    scores = torch.zeros(B, CLASSES, dtype=DT)
    with torch.no_grad():
        for c in range(CLASSES):
            outs = forward(overlay(x, L[c].expand_as(x)).unsqueeze(1), convs)
            scores[:, c] = sum(outs[l][1] for l in range(TRAIN_FROM - 1, LAYERS))
    return scores


def run_case(records, prefix, convs, wc, x, labels, neg, L, neutral, classifier_records):
    def put(name, t):
        records.append((prefix + name, t.detach().to(DT).clone().contiguous()))  # a copy: Adam updates in place

    for l, (w, b) in enumerate(convs):
        put(f"w{l + 1}", w)
        put(f"b{l + 1}", b)
    st = Step(convs, wc, x, labels, neg, L, neutral)
    outs, layer_losses, logits, ce, grads = st.step()
    for l in range(LAYERS):
        put(f"G{l + 1}", outs[l][1][: 2 * B])
    for l, loss in layer_losses.items():
        put(f"loss{l + 1}", loss.reshape(1))
    if classifier_records:
        put("logits", logits)
        put("ce", ce.reshape(1))
    for name, g in grads.items():
        if classifier_records or not name.startswith("gwc"):
            put(name, g)
    for s in (1, 2):
        if s == 2:
            st.step()
        for l in range(TRAIN_FROM - 1, LAYERS):
            put(f"w{l + 1}_{s}", st.params[l][0])
            put(f"b{l + 1}_{s}", st.params[l][1])
        if classifier_records:
            put(f"wc_{s}", st.wc)
    if classifier_records:
        put("scores", goodness_scores(x, convs, L))
    return outs


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "ff_step.bin")
    L, neutral = label_patterns()
    images = torch.randint(0, 256, (B, H, W), dtype=torch.uint8)
    labels = torch.randint(0, CLASSES, (B,))
    neg = (labels + torch.randint(1, CLASSES, (B,))) % CLASSES  # uniform over the nine others
    assert bool((neg != labels).all())
    convs = [init_conv(CHANNELS if l == 0 else FILTERS, FILTERS) for l in range(LAYERS)]
    D = (LAYERS - TRAIN_FROM + 1) * FILTERS * H * W
    wc0 = torch.randn(CLASSES, D, dtype=DT) * 0.01
    x = images.to(DT) / 255.0  # float32 division, as the pixels are read

    records = [("images", images.to(DT)), ("labels", labels.to(DT)), ("neg_labels", neg.to(DT)),
               ("wc0", wc0)]
    outs = run_case(records, "", convs, wc0, x, labels, neg, L, neutral, True)

    # The "hot" case: scale layer 2 so positive 0 is at theta + 2, layer 3 so negative 0 is at
    # theta - 1.5 (G scales with s^2 because y = relu(s * conv) = s * y).
    hot = [(w.clone(), b.clone()) for w, b in convs]
    for l, sample, margin in ((1, 0, 2.0), (2, B, -1.5)):
        s = math.sqrt((THETA + margin) / float(outs[l][1][sample]))
        hot[l] = (hot[l][0] * s, hot[l][1] * s)
    hot_outs = run_case(records, "hot.", hot, wc0, x, labels, neg, L, neutral, False)
    for l, sample in ((1, 0), (2, B)):
        logit = float(hot_outs[l][1][sample]) - THETA
        assert abs(logit) < 4.0, f"hot case: layer {l + 1} logit {logit} not near threshold"
        print(f"hot case: layer {l + 1} sample {sample}: G - theta = {logit:.4f}")

    write(out_path, records)
    size = os.path.getsize(out_path)
    for name, t in records:
        if t.numel() <= 12:
            print(f"{name:12s} {list(t.shape)} {t.flatten().tolist()}")
        else:
            print(f"{name:12s} {list(t.shape)} max|.| {float(t.abs().max()):.6g}")
    print(f"wrote {out_path}: {len(records)} records, {size} bytes")


if __name__ == "__main__":
    main()
