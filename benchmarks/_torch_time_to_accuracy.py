"""PyTorch side of bench_time_to_accuracy.py; runs in its own process.

Reads the recipe as JSON on stdin and prints one JSON list of
``{"epoch", "seconds", "test_accuracy"}``, training the way the steepest side
does: the same initial weights (copied from a steepest ``Network`` built with
the same seed), the same per-epoch permutations (``numpy.random.default_rng``),
``torch.optim.Adam`` with the same hyperparameters, ``cross_entropy`` (mean NLL
of the softmax), ``loss.item()`` per batch like steepest, the test set scored
outside the clock after each epoch.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from _torch_train import build  # the same weights as steepest's Network(seed 0), copied
from steepest.datasets import mnist


def main() -> None:
    r = json.load(sys.stdin)
    torch.set_num_threads(r["threads"])
    (x, y), (xt, yt) = mnist.load_data()
    x_all = torch.from_numpy(x.reshape(len(x), -1).astype(np.float32) / np.float32(255))
    y_all = torch.from_numpy(y.astype(np.int64))
    x_test = torch.from_numpy(xt.reshape(len(xt), -1).astype(np.float32) / np.float32(255))
    y_test = torch.from_numpy(yt.astype(np.int64))
    assert r["seed"] == 0, "build() copies the weights of a Network made with seed 0"
    model = build(r)
    opt = torch.optim.Adam(model.parameters(), lr=r["learning_rate"], betas=(0.9, 0.999),
                           eps=1e-8)
    rng = np.random.default_rng(r["seed"])
    b, clock, epochs = r["batch_size"], 0.0, []
    for epoch in range(1, r["max_epochs"] + 1):
        perm = torch.from_numpy(rng.permutation(len(x_all)))
        t0 = time.perf_counter()
        xs, ys = x_all[perm], y_all[perm]  # the shuffle is on the clock, as for steepest
        for start in range(0, xs.shape[0], b):
            loss = F.cross_entropy(model(xs[start : start + b]), ys[start : start + b])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            loss.item()
        clock += time.perf_counter() - t0
        with torch.no_grad():
            acc = float((model(x_test).argmax(1) == y_test).float().mean())
        epochs.append({"epoch": epoch, "seconds": clock, "test_accuracy": acc})
        if acc >= r["target"]:
            break
    json.dump(epochs, sys.stdout)


if __name__ == "__main__":
    main()
