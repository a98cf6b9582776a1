"""Checker for notebook 3: one-hot labels."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..losses import one_hot
from .feedback import CheckResult, Wrong, as_array, call, compare, run_check


def check_one_hot(fn: Callable) -> CheckResult:
    """Check ``fn(y, k) = onehot(y)``: labels ``y`` (N,) as rows (N, K), 1 in column ``y[n]``.

    Compared with :func:`steepest.losses.one_hot` for MNIST's ten digits, for
    a batch that happens to hold no 9 (K must come from ``k``, not from the
    labels), and for K = 3.
    """

    def body() -> str:
        cases = [(np.array([5, 0, 4, 1, 9, 2, 1, 3]), 10),  # the first 8 training labels
                 (np.array([3, 1, 4, 1, 5]), 10),  # no 9 in this batch: still 10 columns
                 (np.array([2, 0, 1, 2]), 3)]
        for y, k in cases:
            want = one_hot(y, k, np.float64)
            got, _ = call(fn, y, k, names=("y",), hints={
                "index": "out[y] picks whole rows by label; row n's 1 goes at (n, y[n]): "
                         "out[np.arange(N), y] = 1"})
            what = f"one_hot({y.tolist()}, {k})"
            arr = as_array(got, what, want)
            if arr.shape == (len(y), 10) != want.shape:
                raise Wrong(f"{what} has 10 columns whatever k is: K is the argument k = {k} "
                            "(MNIST has 10 classes, other data sets other numbers)")
            if arr.shape == (len(y), int(y.max()) + 1) != want.shape:
                raise Wrong(f"{what} has {arr.shape[1]} columns: you took K from the labels "
                            f"(largest + 1), but this batch holds no {k - 1}; K is the "
                            f"argument k = {k}")
            compare(arr, want, what, known=[
                (np.eye(k)[(y - 1) % k], "off by one: digit d goes in column d (columns count "
                                         "from 0), so label 0 is column 0"),
                (1 - want, "ones and zeros swapped: the row is 0 everywhere except a 1 at "
                           "column y[n]"),
                (np.tile(np.isin(np.arange(k), y), (len(y), 1)),
                 "every row has a 1 in each label's column: out[:, y] = 1 sets columns y[0], "
                 "y[1], ... in every row; row n needs a single 1, at column y[n]: "
                 "out[np.arange(N), y] = 1"),
                (np.eye(k)[:len(y)] if len(y) <= k else want, "that is the identity matrix: "
                                                              "row n has its 1 at column y[n], "
                                                              "not at column n"),
            ])
        return ("matches steepest.losses.one_hot for the first 8 MNIST labels, for a batch "
                "without a 9 (still 10 columns), and for K = 3")

    return run_check("one_hot", body)
