"""PyTorch side of bench_training.py; runs in its own process (torch's threads and
allocator must not share a process with the NumPy run it is compared with).

Reads a JSON spec on stdin -- ``{"cases": [...], "threads": [1, 2], "repeats": 5,
"budget": 20}``,
each case as bench_training.Case plus ``samples`` -- and prints one JSON list:
per case ``{"best": {"1": seconds, "2": seconds}, "loss": ..., "version": ...}``.

"The same way" as steepest.training.train:

* the same first ``samples`` MNIST training images, scaled to [0, 1], as one
  float32 tensor (the conversion is done once, outside the timer);
* the same initial weights: a steepest Network is built with the same seed and
  init scheme and its arrays copied in (``W`` transposed: torch stores (out, in));
* each epoch: a fresh permutation, then contiguous mini-batches sliced from the
  shuffled tensors (the shuffle itself is done before the timer starts -- a
  small advantage to PyTorch; no DataLoader);
* per batch: forward, ``cross_entropy`` (mean NLL of the softmax), backward,
  ``torch.optim.SGD`` step with the same learning rate, and ``loss.item()`` like
  steepest's per-batch loss;
* ``torch.set_num_threads(t)`` for each thread count, alternated; best of up to
  ``repeats`` epochs (fewer once ``budget`` seconds are spent).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from steepest.datasets import mnist
from steepest.network import Network


def build(case: dict) -> torch.nn.Sequential:
    net = Network(case["sizes"], case["activation"], case["init"], rng=np.random.default_rng(0))
    modules: list[torch.nn.Module] = []
    for i, layer in enumerate(net.layers):
        linear = torch.nn.Linear(layer.n_in, layer.n_out)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(layer.W.value.T.copy()))  # (out, in)
            linear.bias.copy_(torch.from_numpy(layer.b.value))
        modules.append(linear)
        if i < len(net.layers) - 1:
            modules.append(torch.nn.Sigmoid() if layer.activation == "sigmoid" else torch.nn.ReLU())
    return torch.nn.Sequential(*modules)  # logits; softmax is inside cross_entropy


def epoch(model, opt, xs: torch.Tensor, ys: torch.Tensor, batch_size: int) -> float:
    total = 0.0
    for start in range(0, xs.shape[0], batch_size):
        xb, yb = xs[start : start + batch_size], ys[start : start + batch_size]
        loss = F.cross_entropy(model(xb), yb)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * xb.shape[0]
    return total / xs.shape[0]


def _set_threads(t: int) -> None:
    if t:  # 0: leave torch's default
        torch.set_num_threads(t)


def main() -> None:
    spec = json.load(sys.stdin)
    (x, y), _ = mnist.load_data()
    out = []
    for case in spec["cases"]:
        n, b = case["samples"], case["batch_size"]
        x_all = torch.from_numpy(x[:n].reshape(n, -1).astype(np.float32) / np.float32(255))
        y_all = torch.from_numpy(y[:n].astype(np.int64))
        gen = torch.Generator().manual_seed(2)
        runs = {}
        for t in spec["threads"]:
            _set_threads(t)
            model = build(case)
            opt = torch.optim.SGD(model.parameters(), lr=case["learning_rate"])
            epoch(model, opt, x_all[: 4 * b], y_all[: 4 * b], b)  # warm-up, not timed
            runs[t] = (model, opt, [])
        loss = None
        for _ in range(spec["repeats"]):
            for t, (model, opt, times) in runs.items():  # alternated, as for steepest
                if sum(times) > spec["budget"]:  # as for steepest: don't wait on a slow one
                    continue
                _set_threads(t)
                perm = torch.randperm(n, generator=gen)
                xs, ys = x_all[perm], y_all[perm]  # shuffled before the timer
                t0 = time.perf_counter()
                loss = epoch(model, opt, xs, ys, b)
                times.append(time.perf_counter() - t0)
        best = {str(t): min(times) for t, (_, _, times) in runs.items()}
        out.append({"best": best, "loss": loss, "version": torch.__version__})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
