"""Rosenblatt's perceptron: a weighted vote and a threshold.

A perceptron with weights ``w`` and threshold ``t`` outputs

    1  if  w . x > t
    0  otherwise

Moving the threshold to the other side gives the *bias form*: with
``b = -t`` the perceptron outputs ``H(w . x + b)``, where ``H`` is the
Heaviside step with ``H(0) = 0`` (:func:`steepest.activations.step`), so the
two forms agree exactly, also on the boundary ``w . x = t``.

The lecture's example, "go to the game?": three yes/no questions
x = (ticket cheap?, ticket available?, interested?), weights w = (1, 6, 3).
Availability counts most.  With threshold 9 only "all three yes" (w . x = 10)
goes; with threshold 7, "available and interested" (9) goes too.

>>> p = Perceptron([1, 6, 3], threshold=9)
>>> [int(p.net_input(x)) for x in GAME_INPUTS]
[10, 1, 7, 4, 9, 0, 3, 6]
>>> p.predict(GAME_INPUTS).tolist()
[1, 0, 0, 0, 0, 0, 0, 0]
>>> Perceptron([1, 6, 3], threshold=7).predict(GAME_INPUTS).tolist()
[1, 0, 0, 0, 1, 0, 0, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .activations import step

#: The lecture's eight situations, in the lecture's order:
#: (ticket cheap?, ticket available?, interested?)
GAME_INPUTS = np.array(
    [
        [1, 1, 1],
        [1, 0, 0],
        [1, 1, 0],
        [1, 0, 1],
        [0, 1, 1],
        [0, 0, 0],
        [0, 0, 1],
        [0, 1, 0],
    ],
    dtype=np.float64,
)
GAME_FEATURES = ("cheap", "available", "interested")
GAME_WEIGHTS = (1.0, 6.0, 3.0)
GAME_THRESHOLDS = (9.0, 7.0)


class Perceptron:
    """A single perceptron, in threshold form or bias form.

    Args:
        weights: one weight per input.
        threshold: fire when ``w . x > threshold``.  Give this or ``bias``.
        bias: fire when ``w . x + bias > 0``; the same as ``threshold = -bias``.

    >>> Perceptron([1, 1], bias=-1.5).predict([[1, 1], [1, 0]]).tolist()  # AND
    [1, 0]
    """

    def __init__(
        self,
        weights: Sequence[float],
        threshold: float | None = None,
        bias: float | None = None,
    ) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 1 or w.size == 0 or not np.all(np.isfinite(w)):
            raise ValueError(f"weights must be a non-empty list of finite numbers, got {weights!r}")
        if threshold is not None and bias is not None:
            raise ValueError("give threshold or bias, not both (bias = -threshold)")
        if threshold is None:
            threshold = 0.0 if bias is None else -float(bias)
        if not np.isfinite(threshold):
            raise ValueError(f"threshold must be a finite number, got {threshold!r}")
        self.weights = w
        self.threshold = float(threshold)

    @property
    def bias(self) -> float:
        """``b = -t``."""
        return -self.threshold

    def net_input(self, x) -> np.ndarray:
        """The weighted sum ``w . x`` for one input (d,) or many (N, d)."""
        x = np.asarray(x, dtype=np.float64)
        if x.shape[-1] != self.weights.size:
            raise ValueError(
                f"expected {self.weights.size} inputs per example, got shape {x.shape}"
            )
        return x @ self.weights

    def predict(self, x) -> np.ndarray:
        """``H(w . x + b)``: 1 where ``w . x > t``, else 0 (as ints)."""
        return step(self.net_input(x) + self.bias).astype(int)


def game_table(weights=GAME_WEIGHTS, thresholds=GAME_THRESHOLDS) -> list[dict]:
    """The lecture's table: each input, ``w . x`` and the decision at each threshold.

    Returns:
        One dict per row of :data:`GAME_INPUTS` with keys ``x`` (tuple of 0/1),
        ``wx`` (float) and ``go`` (a list of 0/1, one per threshold).

    >>> [row["wx"] for row in game_table()]
    [10.0, 1.0, 7.0, 4.0, 9.0, 0.0, 3.0, 6.0]
    """
    perceptrons = [Perceptron(weights, threshold=t) for t in thresholds]
    wx = perceptrons[0].net_input(GAME_INPUTS) if perceptrons else GAME_INPUTS @ np.asarray(weights)
    decisions = [p.predict(GAME_INPUTS) for p in perceptrons]
    return [
        {
            "x": tuple(int(v) for v in GAME_INPUTS[i]),
            "wx": float(wx[i]),
            "go": [int(d[i]) for d in decisions],
        }
        for i in range(len(GAME_INPUTS))
    ]


@dataclass
class LearnResult:
    """Outcome of :func:`learn`."""

    perceptron: Perceptron
    converged: bool  # True when an epoch made no mistake
    epochs: int  # epochs run
    mistakes: list[int] = field(default_factory=list)  # mistakes per epoch


def learn(
    x,
    y,
    learning_rate: float = 1.0,
    max_epochs: int = 100,
    rng: np.random.Generator | None = None,
) -> LearnResult:
    """Rosenblatt's learning rule.

    For each example, in turn, with prediction ``y_hat = H(w . x + b)``:

        w <- w + eta (y - y_hat) x
        b <- b + eta (y - y_hat)

    Nothing changes for a correct answer.  If the data are linearly separable
    the rule stops making mistakes after finitely many updates (Novikoff's
    theorem).  XOR is not separable, so instead of looping forever we stop
    after ``max_epochs`` and report ``converged=False``.

    Args:
        x: inputs (N, d).
        y: targets (N,), each 0 or 1.
        learning_rate: eta > 0.
        max_epochs: passes over the data before giving up.
        rng: if given, the order of the examples is shuffled each epoch.

    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> learn(X, [0, 0, 0, 1]).converged    # AND
    True
    >>> learn(X, [0, 1, 1, 0], max_epochs=50).converged  # XOR
    False
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError(
            f"expected x of shape (N, d) and y of shape (N,), got {x.shape}, {y.shape}"
        )
    if not np.all((y == 0) | (y == 1)):
        raise ValueError(f"targets must be 0 or 1, got {sorted(set(y.tolist()))!r}")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    w = np.zeros(x.shape[1])
    b = 0.0
    mistakes: list[int] = []
    for _ in range(max_epochs):
        order = rng.permutation(len(x)) if rng is not None else range(len(x))
        errors = 0
        for i in order:
            y_hat = 1 if x[i] @ w + b > 0 else 0
            update = learning_rate * (y[i] - y_hat)
            if update:
                w += update * x[i]
                b += update
                errors += 1
        mistakes.append(errors)
        if errors == 0:
            break
    return LearnResult(Perceptron(w, bias=b), mistakes[-1] == 0, len(mistakes), mistakes)
