#!/usr/bin/python3
"""torch_mlp.py: Akrout et al.'s MLP protocol in PyTorch (CPU), the peer of
`synalign compare` for bench/train.

ALGORITHMS.md 3c: 784-500-10, sigmoid everywhere, sigmoid cross-entropy
(output delta = a - y), inputs / 255, no shuffling, batch 128 (the last,
partial batch is used too, as synalign does), W, b and B ~ N(0, 1/(fan_in +
fan_out)), SGD W -= lr * mean over the batch of delta h^T (biases alike).
bp / fa / wm / kp as in ALGORITHMS.md 3a-3b and learn/fb_*.c: the backward
pass is written out (no autograd) so that the feedback matrix is explicit;
weight mirror: one epoch's worth of mirror steps before training, then one
per layer after each step, noise 0.1 * (U(0,1) - 0.5), eta_m 0.01, summed
over the batch; Kolen-Pollack: B takes W's step (decay 1).

Prints one JSON object per epoch and algorithm on stdout:
{"algo", "epoch", "test_accuracy" (%), "train_seconds" (wall),
"train_cpu_seconds" (CPU time of the process), "angle" [deg]}.
SPDX-License-Identifier: MIT
"""
import argparse
import gzip
import json
import math
import os
import struct
import sys
import time

import torch

LR = {"bp": 0.2, "fa": 0.2, "wm": 0.05, "kp": 0.3}


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    body = data[4 + 4 * ndim:]
    if len(body) != math.prod(dims):
        sys.exit(f"{path}: {len(body)} data bytes, header says "
                 f"{math.prod(dims)}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def find(root, name):
    for cand in (os.path.join(root, name), os.path.join(root, name[:-3])):
        if os.path.exists(cand):
            return cand
    sys.exit(f"{root}: {name} not found (run tools/get-data)")


def load(root, task):
    d = os.path.join(root, task)
    out = []
    for split in ("train", "t10k"):
        x = read_idx(find(d, f"{split}-images-idx3-ubyte.gz"))
        y = read_idx(find(d, f"{split}-labels-idx1-ubyte.gz"))
        out.append((x.reshape(x.shape[0], -1).float() / 255.0, y.long()))
    return out


def angle(a, b):
    a = a.double().flatten()
    b = b.double().flatten()
    c = torch.dot(a, b) / (a.norm() * b.norm())
    return math.degrees(math.acos(max(-1.0, min(1.0, c.item()))))


def run(algo, data, epochs, batch, seed, sizes):
    (xtr, ytr), (xte, yte) = data
    g = torch.Generator().manual_seed(seed)
    W, b, Bt = [None], [None], [None]
    for l in range(1, len(sizes)):
        fi, fo = sizes[l - 1], sizes[l]
        sd = math.sqrt(1.0 / (fi + fo))
        W.append(torch.randn(fo, fi, generator=g) * sd)
        b.append(torch.randn(fo, generator=g) * sd)
        # B is stored in W's shape (B^T), as synalign does.
        Bt.append(torch.randn(fo, fi, generator=g) * sd)
    L = len(sizes) - 1
    lr = LR[algo]
    n = xtr.shape[0]
    eye = torch.eye(sizes[-1])

    def mirror():
        for l in range(1, L + 1):
            x = 0.1 * (torch.rand(batch, sizes[l - 1], generator=g) - 0.5)
            yv = torch.sigmoid(x @ W[l].t() + b[l])
            Bt[l].add_(0.01 * (yv.t() @ x))

    if algo == "wm":
        for _ in range(n // batch):
            mirror()
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        c0 = time.process_time()
        for s in range(0, n, batch):
            x = xtr[s:s + batch]
            bs = x.shape[0]
            hs = [x]
            for l in range(1, L + 1):
                hs.append(torch.sigmoid(hs[-1] @ W[l].t() + b[l]))
            d = hs[L] - eye[ytr[s:s + batch]]
            ds = [None] * (L + 1)
            ds[L] = d
            for l in range(L, 1, -1):
                F = W[l] if algo == "bp" else Bt[l]
                h = hs[l - 1]
                ds[l - 1] = (ds[l] @ F) * h * (1 - h)
            for l in range(1, L + 1):
                step = (ds[l].t() @ hs[l - 1]) * (-lr / bs)
                W[l].add_(step)
                b[l].add_(ds[l].sum(0) * (-lr / bs))
                if algo == "kp":
                    Bt[l].add_(step)
            if algo == "wm":
                mirror()
        secs = time.perf_counter() - t0
        cpu = time.process_time() - c0
        with torch.no_grad():
            h = xte
            for l in range(1, L + 1):
                h = torch.sigmoid(h @ W[l].t() + b[l])
            acc = 100.0 * (h.argmax(1) == yte).float().mean().item()
        ang = [0.0 if algo == "bp" else angle(W[l], Bt[l])
               for l in range(1, L + 1)]
        print(json.dumps({"algo": algo, "epoch": epoch,
                          "test_accuracy": acc, "train_seconds": secs,
                          "train_cpu_seconds": cpu,
                          "angle": ang}), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", default="mnist",
                    choices=["mnist", "fashion-mnist"])
    ap.add_argument("--algos", default="bp,fa,wm,kp")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=None,
                    help="torch intra-op threads (default: torch's own "
                         "choice; BLAS threads follow OPENBLAS_NUM_THREADS)")
    ap.add_argument("--data", default=None,
                    help="dataset root (default $SYNALIGN_DATA, ./data, "
                         "../shared/data)")
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.set_grad_enabled(False)
    here = os.path.dirname(os.path.abspath(__file__))
    repo = os.path.dirname(os.path.dirname(here))
    roots = [a.data] if a.data else [
        os.environ.get("SYNALIGN_DATA"), "data", os.path.join(repo, "data"),
        os.path.join(repo, "..", "shared", "data")]
    root = next((r for r in roots if r and os.path.isdir(
        os.path.join(r, a.task))), None)
    if root is None:
        sys.exit(f"{a.task} data not found in {roots}; run tools/get-data")
    data = load(root, a.task)
    for algo in a.algos.split(","):
        if algo not in LR:
            sys.exit(f"unknown algorithm {algo} (bp, fa, wm, kp)")
        run(algo, data, a.epochs, a.batch, a.seed, [784, 500, 10])


if __name__ == "__main__":
    main()
