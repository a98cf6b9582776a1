"""Checkers for notebook 6: the valley's gradient and one step of gradient descent."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..descent import SURFACES, descend
from ..network import Parameter
from ..optimizers import SGD
from .feedback import CheckResult, Wrong, call, compare, run_check

#: Points of the valley C = v1^2/10 + 2 v2^2 where the gradient is checked.
POINTS = np.array([[-5.0, 2.0], [3.0, -1.0], [0.5, 0.25], [0.0, 0.0], [-2.0, -3.0]])

EPS = 1e-6


def check_valley_gradient(fn: Callable[[float, float], tuple[float, float]]) -> CheckResult:
    """Check ``fn(v1, v2) = (dC/dv1, dC/dv2)`` for the valley ``C = v1²/10 + 2 v2²``.

    Compared with :data:`steepest.descent.SURFACES` ``["valley"].grad`` and with
    central differences of its cost, at five points.
    """

    def body() -> str:
        valley = SURFACES["valley"]
        want = np.array([valley.grad(*p) for p in POINTS])
        numeric = np.array([
            [(valley.cost(a + EPS, b) - valley.cost(a - EPS, b)) / (2 * EPS),
             (valley.cost(a, b + EPS) - valley.cost(a, b - EPS)) / (2 * EPS)]
            for a, b in POINTS])
        rows = []
        for a, b in POINTS:
            got, _ = call(fn, float(a), float(b), names=("v1", "v2"))
            if got is None:
                raise Wrong("valley_gradient returned None: did you forget `return`?")
            if np.shape(got) != (2,):
                raise Wrong(f"valley_gradient({a:g}, {b:g}) returned {got!r}; the gradient "
                            "has two components: return (dC/dv1, dC/dv2)")
            rows.append(np.asarray(got, dtype=np.float64))
        got = np.array(rows)  # (points, 2)
        v1, v2 = POINTS[:, 0], POINTS[:, 1]
        if np.allclose(got, want[:, ::-1]) and not np.allclose(got, want):
            raise Wrong("the two components are swapped: return (dC/dv1, dC/dv2)")
        compare(got[:, 0], want[:, 0], "dC/dv1", known=[
            (v1 / 10, "that is v1/10: the derivative of v1²/10 is 2 v1 / 10 = v1/5"),
            (v1**2 / 5, "kept the square: d(v1²)/dv1 = 2 v1"),
        ])
        compare(got[:, 1], want[:, 1], "dC/dv2", known=[
            (2 * v2, "that is 2 v2: the derivative of 2 v2² is 4 v2"),
            (4 * v2**2, "kept the square: d(v2²)/dv2 = 2 v2"),
        ])
        gap = float(np.max(np.abs(got - numeric)))
        return (f"matches steepest.descent's valley gradient and central differences of C at "
                f"{len(POINTS)} points (largest gap {gap:.1e})")

    return run_check("valley_gradient", body)


def check_sgd_step(fn: Callable[[np.ndarray, np.ndarray, float], np.ndarray]) -> CheckResult:
    """Check ``fn(v, grad, learning_rate) = v - learning_rate * grad``, leaving ``v`` alone.

    Compared with :class:`steepest.optimizers.SGD` on a copy of ``v``, and on
    the valley with :func:`steepest.descent.descend`'s first step, for three
    learning rates and for a (3, 2) weight matrix.
    """

    def body() -> str:
        valley = SURFACES["valley"]
        start = np.array([-5.0, 2.0])
        grad = np.array(valley.grad(*start))
        matrix = np.random.default_rng(6).normal(size=(2, 3, 2))
        cases = [(start, grad, lr) for lr in (0.02, 0.2, 0.55)] + [(matrix[0], matrix[1], 0.1)]
        for v, g, lr in cases:
            p = Parameter("v", v.copy(), g.copy())
            SGD([p], learning_rate=lr).step()
            want = p.value
            got, _ = call(fn, v, g, lr, names=("v", "grad"))
            compare(got, want, f"sgd_step with learning rate {lr:g}", known=[
                (v + lr * g, "went uphill: v + lambda grad C; gradient descent subtracts the "
                             "gradient, v - lambda grad C"),
                (v - g, "ignored the learning rate: v - lambda grad C"),
                (v - lr, "subtracted lambda alone; the step is lambda times the gradient"),
                (-lr * g, "returned the step -lambda grad C, not the new point v - lambda grad C"),
                (v - g / lr, "divided by lambda; multiply: v - lambda grad C"),
            ])
            if v is start:
                path = descend(valley, tuple(start), lr, steps=1)
                if not np.allclose(got, path.points[1]):  # cannot differ from SGD's; checked
                    raise Wrong(f"sgd_step differs from steepest.descent.descend at lr {lr:g}")
        path = descend(valley, tuple(start), 0.02, steps=1)
        predicted, actual = path.predicted_changes[0], path.costs[1] - path.costs[0]
        return ("matches steepest.optimizers.SGD and steepest.descent.descend; from (-5, 2) "
                f"with lambda = 0.02, C changes by {actual:.4f} against the first-order "
                f"estimate grad C . dv = {predicted:.4f}")

    return run_check("sgd_step", body)
