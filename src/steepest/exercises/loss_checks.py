"""Checkers for the loss: its value (notebook 5) and its delta dL/df (notebook 7)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import activations as act
from ..gradcheck import numerical_gradient
from ..losses import NLL, one_hot
from .feedback import CheckResult, Wrong, as_array, call, compare, run_check


def _case(n: int, k: int, seed: int):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=(n, k)) * 2
    y = rng.integers(0, k, size=n)
    return f, act.softmax(f), y


def check_nll(fn: Callable) -> CheckResult:
    """Check ``fn(o, y) = L = -(1/N) sum_n log o[n, y_n]``, one number for the batch.

    Compared with :meth:`steepest.losses.NLL.value` for 4 examples of 3
    classes and 6 of 10, and for an example whose right class has probability
    1e-300 (still finite: -log 1e-300 = 690.8).
    """

    def body() -> str:
        _, tiny, labels = _case(6, 10, seed=1)
        tiny[0] = 1e-300
        tiny[0, labels[0] + 1 if labels[0] < 9 else 0] = 1 - 9e-300  # o_y = 1e-300
        for o, y in (_case(4, 3, seed=0)[1:], (tiny, labels)):
            n, k = o.shape
            want = np.float64(NLL.value(o, y))
            got, _ = call(fn, o, y, names=("o", "y"), hints={
                "broadcast": "y holds N integer labels, shape (N,): pick o[np.arange(N), y]"})
            what = f"nll for {n} examples of {k} classes"
            value = as_array(got, what, want)
            picked = o[np.arange(n), y]
            if value.shape == (n,):
                raise Wrong(f"{what} returned one loss per example, shape {value.shape}; L is "
                            "their mean: -(1/N) sum_n log o[n, y_n], one number")
            block = -np.mean(np.log(o[:, y]))  # what o[:, y] gives
            if value.shape == (n, n) or (value.size == 1 and np.isclose(value.item(), block)
                                         and not np.isclose(value.item(), want)):
                raise Wrong(f"{what}: o[:, y] picks an (N, N) block (every row's entries at "
                            "every label); o[np.arange(N), y] picks one entry per row")
            if value.size != 1:
                raise Wrong(f"{what} has shape {value.shape}: the loss of a batch is one number")
            with np.errstate(divide="ignore"):
                compare(value.reshape(()), want, what, n=n, known=[
                    (-np.mean(np.log10(picked)), "used log10; the lecture's log is the natural "
                                                 "log, np.log"),
                    (-np.mean(np.log(o)), "averaged -log o over all K outputs of each example; "
                                          "only the true class's o[n, y_n] counts"),
                    (-np.mean(one_hot(y, k, np.float64) * np.log(o)),
                     "np.mean over the (N, K) array divides by N K; sum over the classes "
                     "first (-y . log o is one number per example), then average over N"),
                    (np.mean(np.log(picked)), "the loss is minus the log: L = -log o_y, "
                                              "positive, 0 only when o_y = 1"),
                    (-np.mean(picked), "forgot the log: L = -log o_y"),
                ])
        return ("matches steepest.losses.NLL.value for 4 examples of 3 classes and 6 of 10, "
                "one of them with o_y = 1e-300")

    return run_check("nll", body)


def check_nll_delta(fn: Callable) -> CheckResult:
    """Check ``fn(o, y) = dL/df = (o - onehot(y)) / N`` of the mean negative log-likelihood.

    Compared with :meth:`steepest.losses.NLL.delta` and with central
    differences of :meth:`~steepest.losses.NLL.value` with respect to the
    logits ``f`` (``o = softmax(f)``), for 5 examples of MNIST's 10 classes,
    then 4 examples of 3 classes: K comes from ``o``, not from MNIST.
    """

    def body() -> str:
        gap = 0.0
        for n, k in ((5, 10), (4, 3)):
            f, o, y = _case(n, k, seed=2)
            want = NLL.delta(o, y)
            fv = f.copy()
            numeric = numerical_gradient(lambda: NLL.value(act.softmax(fv), y), fv)  # noqa: B023
            hint = ("y holds N integer labels, shape (N,): turn them into one-hot rows (N, K) "
                    "first" if k == 10 else
                    f"your one-hot rows do not have K = o.shape[1] columns (o here is {o.shape}, "
                    "K = 3 classes): take K from o.shape[1], not 10")
            got, _ = call(fn, o, y, names=("o", "y"), hints={"broadcast": hint})
            y_hot = one_hot(y, k, np.float64)
            compare(got, want, f"nll_delta for {n} examples of {k} classes", n=n, known=[
                (-y_hot / o / n, "that is dL/do, the gradient before the softmax; dL/df goes "
                                 "through the softmax too, and is (o - onehot(y)) / N"),
                (o / n, "forgot to subtract the one-hot labels: (o - onehot(y)) / N"),
                ((o - y[:, None]) / n, "subtracted the label numbers y from every column: turn y "
                                       "into one-hot rows first"),
                ((o - 1) / n, "subtracted 1 everywhere: only the true class gets -1 (that is "
                              "the case i = j; for i != j, dL/df_i = o_i)"),
            ])
            gap = max(gap, float(np.max(np.abs(as_array(got, "nll_delta", want) - numeric))))
        return (f"matches steepest.losses.NLL.delta and central differences of the loss with "
                f"respect to the logits, for 10 classes and for 3 (largest gap {gap:.1e})")

    return run_check("nll_delta", body)
