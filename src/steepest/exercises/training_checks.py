"""Checker for notebook 8: one epoch of mini-batch gradient descent."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..datasets import mnist
from ..losses import NLL
from ..network import Network
from ..optimizers import SGD
from . import solutions
from .feedback import CheckResult, Wrong, call, compare, run_check, unpack

SIZES = (784, 15, 10)
NAMES = ("W1", "b1", "W2", "b2")


def reference_steps(params: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray,
                    learning_rate: float, batches: Sequence[np.ndarray]) -> list[np.ndarray]:
    """``params`` after one SGD step per batch of row indices, by steepest's own Network."""
    net = Network(SIZES, rng=np.random.default_rng(0), dtype=np.float64)
    net.set_weights(params)
    sgd = SGD(net.parameters(), learning_rate=learning_rate)
    for batch in batches:
        o = net.forward(x[batch])
        net.backward(NLL.delta(o, y[batch]))
        sgd.step()
    return net.get_weights()


def _split(order: np.ndarray, batch_size: int) -> list[np.ndarray]:
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def _close(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> bool:
    return all(np.allclose(i, j, rtol=1e-6, atol=1e-9) for i, j in zip(a, b))


def _same_batches(a: Sequence[np.ndarray], b: Sequence[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(i, j) for i, j in zip(a, b))


def _data(n: int):
    (x_train, y_train), _ = mnist.load_data()
    return x_train[:n].reshape(n, 784) / 255.0, y_train[:n].astype(np.int64)


def check_train_epoch(fn: Callable) -> CheckResult:
    """Check ``fn(params, x, y, learning_rate, batch_size, rng)``: one epoch of mini-batch SGD.

    The epoch visits the examples in the order ``rng.permutation(len(x))``, in
    batches of ``batch_size`` (the last one smaller when ``batch_size`` does not
    divide ``len(x)``), and takes one step ``v <- v - lambda grad L`` per batch
    with the batch's mean loss.  Compared with the same steps taken by
    steepest's :class:`~steepest.network.Network` and
    :class:`~steepest.optimizers.SGD`, for 50 MNIST images in batches of 16
    (16 + 16 + 16 + 2) and of 64 (one batch).
    """

    def body() -> str:
        x, y = _data(50)
        start = solutions.init_network(SIZES, np.random.default_rng(3))
        for batch_size, lr in ((16, 0.5), (64, 1.0)):
            results = []
            for _ in range(2):  # twice with the same seed: the same epoch
                copies = [p.copy() for p in start]
                got, _ = call(fn, copies, x, y, lr, batch_size, np.random.default_rng(4),
                              names=("params", "x", "y"))
                if got is None:
                    raise Wrong("train_epoch returned None: return the new params")
                results.append(got)
            what = f"train_epoch on 50 examples in batches of {batch_size}"
            order = np.random.default_rng(4).permutation(len(x))
            want = reference_steps(start, x, y, lr, _split(order, batch_size))
            first, second = (unpack(r, what, NAMES, want) for r in results)
            if not all(np.array_equal(a, b) for a, b in zip(first, second)):
                raise Wrong(f"{what}: two epochs from the same rng seed ended with different "
                            "weights: shuffle with the rng you are given, "
                            "order = rng.permutation(len(x)), not np.random")
            if all(np.array_equal(a, b) for a, b in zip(first, start)):
                raise Wrong(f"{what}: the weights did not change: keep what sgd_step returns "
                            "(params = [sgd_step(p, g, learning_rate) for ...])")
            known = {
                "did not shuffle: visit the examples in a new order every epoch, "
                "order = rng.permutation(len(x))": _split(np.arange(len(x)), batch_size),
                f"skipped the last {len(x) % batch_size} examples: when batch_size does not "
                "divide N, the last batch is smaller (order[48:64] is the last 2)":
                    _split(order, batch_size)[:len(x) // batch_size],
                "took one step on all the examples at once: take one step per batch of "
                "batch_size examples": [order],
            }
            for message, batches in known.items():
                if _same_batches(batches, _split(order, batch_size)):
                    continue  # with this batch size the mistake changes nothing
                wrong = reference_steps(start, x, y, lr, batches)
                if _close(first, wrong) and not _close(first, want):
                    raise Wrong(f"{what}: {message}")
            for name, a, w in zip(NAMES, first, want):
                compare(a, w, f"{what}: {name} after the epoch")
        return ("the same weights as steepest's Network and SGD after an epoch of 50 MNIST "
                "images in shuffled batches of 16 (the last one 2) and of 64; the same seed "
                "gives the same epoch")

    return run_check("train_epoch", body)
