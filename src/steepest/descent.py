r"""Gradient descent on a cost of two variables, as the lecture introduces it.

The lecture takes a cost :math:`C(v_1, v_2)` of two variables and derives the
update; it gives no formula for :math:`C`.  The surfaces below (a bowl, a
valley, a saddle, Rosenbrock's function) are ours, chosen to show what
the learning rate does.

For a cost :math:`C(v_1, v_2)` the update is

.. math::

    v \leftarrow v - \lambda \nabla C(v)

and for a small step :math:`\Delta v` the cost changes by
:math:`\Delta C \approx \nabla C \cdot \Delta v`; choosing
:math:`\Delta v = -\lambda \nabla C` makes that :math:`-\lambda \|\nabla C\|^2 \le 0`,
so a small enough step always goes downhill.  Too large a :math:`\lambda` overshoots
the valley floor and, past :math:`2 / (\text{largest curvature})`, diverges.

Each surface below carries its gradient, derived by hand beside the formula.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Surface:
    """A cost ``C(v1, v2)`` with its gradient and a sensible plotting window."""

    name: str
    formula: str
    cost: Callable[[np.ndarray, np.ndarray], np.ndarray]
    grad: Callable[[float, float], tuple[float, float]]
    window: tuple[float, float, float, float]  # v1_min, v1_max, v2_min, v2_max
    start: tuple[float, float]  # a start point that shows the surface's character
    good_lr: float  # a learning rate that descends well from ``start``


#: The example cost surfaces, by name: ``bowl``, ``valley``, ``saddle``, ``rosenbrock``.
SURFACES: dict[str, Surface] = {
    # C = v1^2 + v2^2;  dC/dv1 = 2 v1, dC/dv2 = 2 v2.  Diverges for lambda > 1.
    "bowl": Surface(
        "bowl", "C = v1² + v2²",
        lambda a, b: a**2 + b**2,
        lambda a, b: (2 * a, 2 * b),
        (-3, 3, -3, 3), (2.5, -2.0), 0.1,
    ),
    # C = v1^2 / 10 + 2 v2^2: an elongated valley (curvatures 0.2 and 4).
    # dC/dv1 = v1 / 5, dC/dv2 = 4 v2.  Zig-zags for lambda near 0.5, diverges past 0.5.
    "valley": Surface(
        "valley", "C = v1²/10 + 2 v2²",
        lambda a, b: a**2 / 10 + 2 * b**2,
        lambda a, b: (a / 5, 4 * b),
        (-6, 6, -3, 3), (-5.0, 2.0), 0.2,
    ),
    # C = v1^2 - v2^2: a saddle; dC/dv1 = 2 v1, dC/dv2 = -2 v2.  No minimum:
    # descent slides off along v2 unless it starts exactly on v2 = 0.
    "saddle": Surface(
        "saddle", "C = v1² − v2²",
        lambda a, b: a**2 - b**2,
        lambda a, b: (2 * a, -2 * b),
        (-3, 3, -3, 3), (2.5, 0.05), 0.1,
    ),
    # Rosenbrock: C = (1 - v1)^2 + 100 (v2 - v1^2)^2, minimum at (1, 1) in a
    # curved, flat-bottomed valley.
    # dC/dv1 = -2 (1 - v1) - 400 v1 (v2 - v1^2),  dC/dv2 = 200 (v2 - v1^2).
    "rosenbrock": Surface(
        "rosenbrock", "C = (1 − v1)² + 100 (v2 − v1²)²",
        lambda a, b: (1 - a) ** 2 + 100 * (b - a**2) ** 2,
        lambda a, b: (-2 * (1 - a) - 400 * a * (b - a**2), 200 * (b - a**2)),
        (-2, 2, -1, 3), (-1.5, 2.0), 0.001,
    ),
}


def get_surface(name: str) -> Surface:
    try:
        return SURFACES[name]
    except (KeyError, TypeError):
        choices = ", ".join(SURFACES)
        raise ValueError(f"unknown surface {name!r}; choose one of: {choices}") from None


@dataclass
class DescentPath:
    """The iterates of gradient descent and what happened at each step."""

    points: np.ndarray  # (steps + 1, 2): v at each step, start first
    costs: np.ndarray  # (steps + 1,): C(v) at each step
    predicted_changes: np.ndarray  # (steps,): grad C . Delta v, the first-order estimate
    diverged: bool  # stopped because |v| or C became huge or non-finite


def descend(
    surface: Surface | str,
    start: tuple[float, float],
    learning_rate: float,
    steps: int = 50,
    limit: float = 1e6,
) -> DescentPath:
    r"""Run :math:`v \leftarrow v - \lambda \nabla C(v)` from ``start`` for ``steps`` steps.

    Stops early (``diverged=True``) when ``|v|`` or ``|C|`` passes ``limit``.

    >>> path = descend("bowl", (1.0, 0.0), learning_rate=0.25, steps=2)
    >>> path.points.tolist(), path.costs.tolist()
    ([[1.0, 0.0], [0.5, 0.0], [0.25, 0.0]], [1.0, 0.25, 0.0625])
    """
    s = get_surface(surface) if isinstance(surface, str) else surface
    if not np.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps!r}")
    v = np.array(start, dtype=np.float64)
    if v.shape != (2,) or not np.all(np.isfinite(v)):
        raise ValueError(f"start must be two finite numbers, got {start!r}")
    points, costs, changes = [v.copy()], [float(s.cost(*v))], []
    diverged = False
    for _ in range(steps):
        g = np.array(s.grad(*v))
        dv = -learning_rate * g  # the step
        changes.append(float(g @ dv))  # Delta C ~ grad C . Delta v = -lambda |grad C|^2
        v = v + dv
        c = float(s.cost(*v))
        points.append(v.copy())
        costs.append(c)
        finite = np.all(np.isfinite(v)) and np.isfinite(c)
        if not finite or np.abs(v).max() > limit or abs(c) > limit**2:
            diverged = True
            break
    return DescentPath(np.array(points), np.array(costs), np.array(changes), diverged)
