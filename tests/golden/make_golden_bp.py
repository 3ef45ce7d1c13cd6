#!/usr/bin/python3
"""Writes tests/golden/bp_step.bin: two plain-backpropagation training steps computed with
PyTorch, as an independent reference for ffcnn's `--algo bp` (the C golden test).

The model is written here from its description, not from the C code: every conv layer sees its
input RMS-normalised per sample, z = a / (sqrt(mean(a^2) over C,H,W) + 1e-8), then
y = relu(F.conv2d(z, w, b, padding=k//2)); a pooling entry pS is F.max_pool2d(a, S). The head is
feat = rmsnorm(last output) flattened per sample (C,H,W order), logits = feat @ Wc.T (no bias),
loss = F.cross_entropy (mean over the batch). Autograd through everything, one torch.optim.Adam
over all parameters (w1, b1, w2, b2, Wc) with betas (0.9, 0.999), eps 1e-8.
Everything is float32 on the CPU, one thread. Run it with Debian's python3-torch:

    /usr/bin/python3 tests/golden/make_golden_bp.py          # writes tests/golden/bp_step.bin

File format (the same as ff_step.bin): b"FFGOLD1\\n", then records until EOF, all little-endian:
    uint32 name_len, name bytes (no NUL), uint32 ndim, uint32 dims[ndim], float32 data[prod(dims)]

Case: input 1 x 12 x 12, network "c4k3 p2 c5k3" (conv 4 filters 3x3, max-pool 2, conv 5
filters 3x3), so the head has N = 5*6*6 = 180 inputs; B = 3, labels [3, 7, 1], Adam lr 1e-2.
Images are random uint8 pixels ("pixels", the raw values as floats) read as pixel/255 ("x",
float32 division). Convs start from PyTorch's Conv2d default U(+-1/sqrt(C_in*k*k)) for w and b;
Wc starts from randn * 0.05 (not zero, so step 1 already sends gradient into the convs).
Step 1 records the forward (y1, p1, y2, feat, logits, loss), the gradients and the parameters
after the update; step 2 runs on the same batch and records its loss (before the update) and
the parameters after it. The script asserts that 20-80 % of y1 and y2 are positive and that no
pooling window's maximum is a tie between positive values (the routing of the gradient through
max_pool2d is then unambiguous; an all-zero window sends its gradient into a ReLU that is off),
that every channel is on somewhere and off somewhere, and that every gradient entry is far
from 0 (Adam's first update is about lr * sign(g), so a sign decided by rounding noise would
make the step-1 parameters differ by 2 lr). dwc is exactly 0 in the columns whose feature is 0
for all three samples.
"""
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ffgold import write  # noqa: E402
import torch.nn.functional as F

torch.manual_seed(20240612)
torch.set_num_threads(1)
DT = torch.float32

C_IN, H, W = 1, 12, 12
F1, F2, KSIZE, POOL = 4, 5, 3, 2
B = 3
CLASSES = 10
LABELS = [3, 7, 1]
LR = 1e-2
N_FEAT = F2 * (H // POOL) * (W // POOL)  # 180


def rmsnorm(a):
    """a / (sqrt(mean(a^2) over each sample's C*H*W) + 1e-8)."""
    return a / (a.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt() + 1e-8)


def init_conv(cin, cout):
    bound = 1.0 / math.sqrt(cin * KSIZE * KSIZE)
    w = torch.empty(cout, cin, KSIZE, KSIZE, dtype=DT).uniform_(-bound, bound)
    b = torch.empty(cout, dtype=DT).uniform_(-bound, bound)
    return w, b


def forward(x, w1, b1, w2, b2, wc):
    y1 = F.relu(F.conv2d(rmsnorm(x), w1, b1, padding=KSIZE // 2))
    p1 = F.max_pool2d(y1, POOL)
    y2 = F.relu(F.conv2d(rmsnorm(p1), w2, b2, padding=KSIZE // 2))
    feat = rmsnorm(y2).reshape(x.shape[0], -1)
    logits = feat @ wc.t()
    return y1, p1, y2, feat, logits


def check_pool_ties(y1):
    """No 2x2 window whose positive maximum is tied, or nearly tied, with a second entry."""
    win = y1.unfold(2, POOL, POOL).unfold(3, POOL, POOL).reshape(*y1.shape[:2], H // POOL, W // POOL, -1)
    top = win.sort(dim=-1, descending=True).values
    positive = top[..., 0] > 0
    gap = float((top[..., 0] - top[..., 1])[positive].min())
    assert gap > 1e-5, f"a pooling window's positive maximum is (nearly) tied: gap {gap:.3g}"
    return int((~positive).sum()), int(positive.sum()), gap


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "bp_step.bin")
    pixels = torch.randint(0, 256, (B, C_IN, H, W), dtype=torch.uint8)
    x = pixels.to(DT) / 255.0  # float32 division, as the pixels are read
    labels = torch.tensor(LABELS, dtype=torch.long)
    w1, b1 = init_conv(C_IN, F1)
    w2, b2 = init_conv(F1, F2)
    wc = torch.randn(CLASSES, N_FEAT, dtype=DT) * 0.05

    records = []

    def put(name, t):
        records.append((name, t.detach().to(DT).clone().contiguous()))  # a copy: Adam updates in place

    put("pixels", pixels.to(DT))
    put("x", x)
    put("labels", labels.to(DT))
    for name, t in (("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2), ("wc", wc)):
        put(name, t)

    params = [t.clone().requires_grad_(True) for t in (w1, b1, w2, b2, wc)]
    opt = torch.optim.Adam(params, lr=LR, betas=(0.9, 0.999), eps=1e-8)
    names = ["w1", "b1", "w2", "b2", "wc"]

    # Step 1.
    opt.zero_grad()
    y1, p1, y2, feat, logits = forward(x, *params)
    loss = F.cross_entropy(logits, labels)
    loss.backward()
    frac1 = float((y1 > 0).float().mean())
    frac2 = float((y2 > 0).float().mean())
    print(f"fraction of positive ReLU outputs: y1 {frac1:.4f}, y2 {frac2:.4f}")
    assert 0.2 < frac1 < 0.8 and 0.2 < frac2 < 0.8, "ReLUs (almost) all on or all off"
    for name, y in (("y1", y1), ("y2", y2)):
        ch = (y > 0).float().mean(dim=(0, 2, 3))
        print(f"  per channel of {name}: " + " ".join(f"{v:.3f}" for v in ch.tolist()))
        assert bool(((ch > 0.05) & (ch < 0.95)).all()), f"a channel of {name} is (almost) dead or linear"
    # Adam's first update is lr * g / (|g| + eps), about lr * sign(g): keep every gradient well
    # above float rounding noise so that its sign is the same in any correct implementation.
    # dwc is exactly 0 only in the columns where feat is 0 for all samples (those ReLUs are off).
    for name, p in zip(names[:4], params[:4]):
        gmin = float(p.grad.abs().min())
        print(f"  min |d{name}| {gmin:.3g}")
        assert gmin > 1e-5, f"d{name} has an entry near 0"
    dead = (feat == 0).all(dim=0)
    gwc = params[4].grad
    assert bool((gwc[:, dead] == 0).all())
    print(f"  min |dwc| over the {int((~dead).sum())} live feature columns {float(gwc[:, ~dead].abs().min()):.3g}"
          f" ({int(dead.sum())} columns have feat == 0 for every sample, dwc exactly 0 there)")
    assert float(gwc[:, ~dead].abs().min()) > 1e-5, "dwc has an entry near 0"
    zero_w, pos_w, gap = check_pool_ties(y1.detach())
    print(f"pooling windows: {pos_w} with a positive max (smallest gap to the runner-up {gap:.3g}), "
          f"{zero_w} all zero")
    for name, t in (("y1", y1), ("p1", p1), ("y2", y2), ("feat", feat), ("logits", logits),
                    ("loss", loss.reshape(1))):
        put(name, t)
    for name, p in zip(names, params):
        put("d" + name, p.grad)
    opt.step()
    for name, p in zip(names, params):
        put(name + "_1", p)

    # Step 2, same batch.
    opt.zero_grad()
    *_, logits2 = forward(x, *params)
    loss2 = F.cross_entropy(logits2, labels)
    loss2.backward()
    opt.step()
    put("loss_2", loss2.reshape(1))
    for name, p in zip(names, params):
        put(name + "_2", p)

    # How far the weights moved (so a test tolerance can be judged against it).
    for name, p0 in zip(names, (w1, b1, w2, b2, wc)):
        d1 = float((dict(records)[name + "_1"] - p0).abs().max())
        d2 = float((dict(records)[name + "_2"] - p0).abs().max())
        print(f"{name}: max|step1 - init| {d1:.3g}, max|step2 - init| {d2:.3g}")

    write(out_path, records)
    size = os.path.getsize(out_path)
    for name, t in records:
        if t.numel() <= 12:
            print(f"{name:8s} {list(t.shape)} {t.flatten().tolist()}")
        else:
            print(f"{name:8s} {list(t.shape)} max|.| {float(t.abs().max()):.6g}")
    print(f"wrote {out_path}: {len(records)} records, {size} bytes")
    assert size < 100 * 1024


if __name__ == "__main__":
    main()
