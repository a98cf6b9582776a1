"""Checkers for notebook 1: the perceptron's decision and one step of Rosenblatt's rule.

The lecture's perceptron outputs 1 when ``w . x >= t`` (bias form
``w . x + b >= 0`` with ``b = -t``, so the Heaviside step has ``H(0) = 1``).
With its weights ``w = (1, 6, 3)``, two of the eight situations go at
``t = 9`` and three at ``t = 7``; both checkers test the boundary
``w . x = t`` on purpose.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..perceptron import GAME_INPUTS, GAME_WEIGHTS
from .feedback import CheckResult, Wrong, as_array, call, compare, run_check, unpack


def _decide(w, x, t):
    return (x @ w >= t).astype(float)


def check_decide(fn: Callable) -> CheckResult:
    """Check ``fn(w, x, t)``: 1 where ``w . x >= t``, else 0, for rows ``x`` (N, d) or one x.

    The lecture's table at ``t = 9`` and ``t = 7`` (the situations with
    ``w . x = 9`` and ``w . x = 7`` sit exactly on the threshold), a single
    situation, and random weights with thresholds met exactly.
    """

    def body() -> str:
        w = np.array(GAME_WEIGHTS)
        x = GAME_INPUTS.copy()
        hints = {"matmul": "x holds one situation per row, shape (N, 3): w·x for every row "
                           "at once is x @ w",
                 "axis": "x may be one situation, shape (3,), which has no axis 1: x @ w "
                         "gives w·x for one situation and for rows alike"}
        for t in (9.0, 7.0):
            got, _ = call(fn, w, x, t, names=("w", "x"), hints=hints)
            wx = x @ w
            where = f"the lecture's eight situations at t = {t:g}"
            if got is not None and np.ndim(got) == 0:
                raise Wrong(f"decide at {where} gave one decision, {got!r}, for all eight: x "
                            "holds one situation per row, so return one decision per row "
                            "(x @ w gives every row's w·x; a sum over all of x adds the "
                            "situations together)")
            compare(got, _decide(w, x, t), f"decide at {where}", known=[
                ((wx > t), f"on the threshold the lecture's perceptron goes: output 1 when "
                           f"w·x ≥ t, not only when w·x > t (at t = {t:g} the situation with "
                           f"w·x = {t:g} goes)"),
                ((wx < t), "reversed: the output is 1 (go) when w·x ≥ t, 0 when w·x < t"),
                ((wx <= t), "reversed: the output is 1 (go) when w·x ≥ t, 0 when w·x < t"),
                (wx, "returned w·x itself; the output is 1 where w·x ≥ t and 0 elsewhere"),
                (wx - t, "that is w·x − t (= w·x + b with b = −t); the output is the step "
                         "of it: 1 where it is ≥ 0"),
                ((wx + t >= 0), "that is H(w·x + t): moving the threshold over makes the "
                                "bias b = −t, so the output is H(w·x − t), 1 where w·x ≥ t"),
                (x * w, "multiplied elementwise without adding up: w·x = Σ_i w_i x_i, one "
                        "number per situation"),
            ])
        one = x[4]  # (0, 1, 1): w . x = 9 exactly
        got, _ = call(fn, w, one, 9.0, names=("w", "x"), hints=hints)
        single = as_array(got, "decide for one situation", np.zeros(()))
        if single.size != 1 or float(single.ravel()[0]) != 1.0:
            raise Wrong(f"decide(w, (0, 1, 1), 9) gave {got!r}: one situation in, one decision "
                        "out; w·x = 9 = t, so it goes (1)")
        rng = np.random.default_rng(1)
        w4 = rng.integers(-3, 4, size=4).astype(float)
        x4 = rng.integers(0, 2, size=(12, 4)).astype(float)
        for t in np.unique(x4 @ w4)[::3]:  # thresholds every situation meets exactly
            got, _ = call(fn, w4, x4, float(t), names=("w", "x"), hints=hints)
            compare(got, _decide(w4, x4, t), f"decide with w = {w4.tolist()} at t = {t:g}")
        return ("goes in 2 of the lecture's 8 situations at t = 9 (w·x = 10 and 9) and in 3 at "
                "t = 7 (also w·x = 7); one situation gives one decision; right on random "
                "weights with w·x = t exactly")

    return run_check("decide", body)


def _update(w, b, x, y, lr, fires_at_zero=True):
    s = x @ w + b
    y_hat = 1 if (s >= 0 if fires_at_zero else s > 0) else 0
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)


def _same(got, want) -> bool:
    return all(np.allclose(a, np.asarray(k, dtype=float)) for a, k in zip(got, want))


#: (w, b, x, y, learning rate): each kind of example the rule meets.
UPDATE_CASES = (
    ((1.0, 6.0, 3.0), -9.0, (1.0, 1.0, 1.0), 1, 1.0),  # w.x + b = 1: goes, right
    # Before the boundary cases: here a prediction of w.x + b itself (no step) differs from
    # the ">" rule's, so each mistake is named for what it is.
    ((1.0, 6.0, 3.0), -9.0, (1.0, 0.0, 1.0), 1, 0.5),  # w.x + b = -4: stays, but should go
    ((1.0, 6.0, 3.0), -9.0, (0.0, 1.0, 1.0), 1, 1.0),  # w.x + b = 0: goes (H(0) = 1), right
    ((1.0, 6.0, 3.0), -7.0, (1.0, 1.0, 0.0), 0, 0.5),  # w.x + b = 0: goes, but should not
    ((1.0, 6.0, 3.0), -9.0, (1.0, 0.0, 0.0), 0, 1.0),  # w.x + b = -8: stays, right
    ((0.5, -2.0), 1.0, (3.0, 1.0), 0, 0.25),  # w.x + b = 0.5: goes, but should not
)


def check_rosenblatt_update(fn: Callable) -> CheckResult:
    """Check ``fn(w, b, x, y, learning_rate) = (w', b')``: one step of Rosenblatt's rule.

    ``y_hat = H(w . x + b)`` with ``H(0) = 1``; ``w' = w + eta (y - y_hat) x``,
    ``b' = b + eta (y - y_hat)``.  Six examples: right and wrong predictions
    of both kinds, two of them exactly on the boundary ``w . x + b = 0``.
    """

    def body() -> str:
        for w, b, x, y, lr in UPDATE_CASES:
            w, x = np.array(w), np.array(x)
            want = _update(w, b, x, y, lr)
            got, _ = call(fn, w, b, x, y, lr, names=("w", "b", "x"))
            what = f"rosenblatt_update(w={w.tolist()}, b={b:g}, x={x.tolist()}, y={y}, η={lr:g})"
            arrays = unpack(got, what, ("w", "b"), [want[0], np.float64(want[1])])
            s = x @ w + b
            y_hat = 1 if s >= 0 else 0
            as_threshold = 1 if x @ w >= b else 0
            known = [
                (_update(w, b, x, y, lr, fires_at_zero=False),
                 "at w·x + b = 0 the perceptron outputs 1 (H(0) = 1: the lecture goes when "
                 "w·x ≥ t); predict with H(w·x + b) where H(0) = 1"),
                ((w + lr * (y - s) * x, b + lr * (y - s)),
                 "ŷ is the perceptron's output H(w·x + b), 0 or 1, not w·x + b itself (with "
                 "w·x + b the rule would be Widrow and Hoff's, not Rosenblatt's)"),
                ((w + lr * (y - as_threshold) * x, b + lr * (y - as_threshold)),
                 "b is a bias, added: ŷ = H(w·x + b). Compared with w·x it would be a "
                 "threshold, and the threshold is t = −b"),
                ((w - lr * (y - y_hat) * x, b - lr * (y - y_hat)),
                 "the update goes the wrong way: w ← w + η (y − ŷ) x, b ← b + η (y − ŷ)"),
                ((w + (y - y_hat) * x, b + (y - y_hat)) if lr != 1 else None,
                 "ignored the learning rate η: w ← w + η (y − ŷ) x"),
                ((w + lr * (y - y_hat) * x, b) if y != y_hat else None,
                 "b did not change: the bias learns too, b ← b + η (y − ŷ)"),
                ((w + lr * y * x, b + lr * y) if y == y_hat == 1 else None,
                 "changed w although the prediction was right: the rule moves w only by "
                 "η (y − ŷ), which is 0 for a right answer"),
            ]
            for wrong, message in known:
                if wrong is not None and _same(arrays, wrong) and not _same(arrays, want):
                    raise Wrong(f"{what}: {message}")
            compare(arrays[0], want[0], f"{what}: the new w")
            compare(arrays[1], np.float64(want[1]), f"{what}: the new b")
        return ("right for correct and wrong predictions of both kinds, including two examples "
                "exactly on the boundary w·x + b = 0, where the perceptron goes (H(0) = 1)")

    return run_check("rosenblatt_update", body)
