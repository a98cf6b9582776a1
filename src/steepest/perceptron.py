r"""Rosenblatt's perceptron: a weighted vote and a threshold.

A perceptron with weights :math:`w` and threshold :math:`t` outputs

.. math::

    \begin{cases} 1 & \text{if } w \cdot x \ge t \\ 0 & \text{if } w \cdot x < t \end{cases}

Adding a bias instead of comparing with a threshold gives the *bias form*: with
:math:`b = -t` the perceptron outputs :math:`H(w \cdot x + b)`, where :math:`H` is the
Heaviside step with :math:`H(0) = 1` (:func:`steepest.activations.step`), so the
two forms agree exactly, also on the boundary :math:`w \cdot x = t`.

The lecture's example, "go to the Oilers game?": three yes/no questions,
x = (Are the tickets cheap?  Do I have the time to go?  Do I care about the
team they're playing?) -- the lecture's table heads them "Ticket Prices",
"Availability" (having the time to go) and "Interest" -- with weights
w = (1, 6, 3): "I don't care much about price, but I do care about my
availability and interest".  With threshold 9 "I'll only go if I'm both
available and interested" (w . x = 10 and 9 go); with threshold 7 "I'll also
go if the tickets are cheap and I'm available" (w . x = 7 goes too).

>>> p = Perceptron([1, 6, 3], threshold=9)
>>> [int(p.net_input(x)) for x in GAME_INPUTS]
[10, 1, 7, 4, 9, 0, 3, 6]
>>> p.predict(GAME_INPUTS).tolist()
[1, 0, 0, 0, 1, 0, 0, 0]
>>> Perceptron([1, 6, 3], threshold=7).predict(GAME_INPUTS).tolist()
[1, 0, 1, 0, 1, 0, 0, 0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .activations import step

#: The lecture's eight situations, in the lecture's order:
#: (tickets cheap?, time to go?, care about the opponent?), 1 for yes.
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
#: The lecture's three questions, one per input, and a short column label for each.
GAME_QUESTIONS = (
    "Are the tickets cheap?",
    "Do I have the time to go?",
    "Do I care about the team they're playing?",
)
GAME_FEATURES = ("cheap", "time", "care")
GAME_WEIGHTS = (1.0, 6.0, 3.0)
GAME_THRESHOLDS = (9.0, 7.0)


class Perceptron:
    """A single perceptron, in threshold form or bias form.

    Parameters
    ----------
    weights : Sequence[float]
        one weight per input.
    threshold : float or None
        output 1 when ``w . x >= threshold``.  Give this or ``bias``.
    bias : float or None
        output 1 when ``w . x + bias >= 0``; the same as ``threshold = -bias``.

    Examples
    --------
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
        """``H(w . x + b)``: 1 where ``w . x >= t``, else 0 (as ints).

        >>> Perceptron([1, 6, 3], threshold=9).predict([[0, 1, 1], [1, 1, 0]]).tolist()
        [1, 0]

        (w . x = 9 = t goes; w . x = 7 < 9 stays.)
        """
        return step(self.net_input(x) + self.bias).astype(int)


def game_table(weights=GAME_WEIGHTS, thresholds=GAME_THRESHOLDS) -> list[dict]:
    """The lecture's table: each input, ``w . x`` and the decision at each threshold.

    Returns
    -------
    list[dict]
        One dict per row of :data:`GAME_INPUTS` with keys ``x`` (tuple of 0/1),
        ``wx`` (float) and ``go`` (a list of 0/1, one per threshold).

    Examples
    --------
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
    r"""Rosenblatt's learning rule.

    This is ours: the lecture names Rosenblatt only as the perceptron's
    inventor and chooses its weights by hand.

    Start from :math:`w = 0`, :math:`b = 0`.  For each example, in turn, with the
    perceptron's own prediction :math:`\hat y = H(w \cdot x + b)` (:math:`H(0) = 1`, so
    at first every example is predicted 1):

    .. math::

        w \leftarrow w + \eta (y - \hat y) x, \qquad b \leftarrow b + \eta (y - \hat y)

    Nothing changes for a correct answer.  If the data are linearly separable
    the rule stops making mistakes after finitely many updates (Novikoff's
    theorem; its proof needs only that a mistake has ``(2y - 1)(w . x + b) <= 0``,
    which holds with ``H(0) = 1`` too).  The perceptron returned predicts with
    the same ``H``, so a converged one classifies every example right.  XOR is
    not separable, so instead of looping forever we stop after ``max_epochs``
    and report ``converged=False``.

    Parameters
    ----------
    x : array_like, shape (N, d)
        inputs.
    y : array_like, shape (N,)
        targets, each 0 or 1.
    learning_rate : float
        eta > 0.
    max_epochs : int
        passes over the data before giving up.
    rng : np.random.Generator or None
        if given, the order of the examples is shuffled each epoch.

    Examples
    --------
    >>> X = [[0, 0], [0, 1], [1, 0], [1, 1]]
    >>> learn(X, [0, 0, 0, 1]).converged    # AND
    True
    >>> learn(X, [0, 1, 1, 0], max_epochs=50).converged  # XOR
    False
    """
    x, y = _checked_examples(x, y, learning_rate)
    w = np.zeros(x.shape[1])
    b = 0.0
    mistakes: list[int] = []
    for _ in range(max_epochs):
        order = rng.permutation(len(x)) if rng is not None else range(len(x))
        b, errors = _rosenblatt_pass(x, y, w, b, order, learning_rate)
        mistakes.append(errors)
        if errors == 0:
            break
    return LearnResult(Perceptron(w, bias=b), mistakes[-1] == 0, len(mistakes), mistakes)


def _checked_examples(x, y, learning_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """``x`` as floats ``(N, d)`` and ``y`` ``(N,)`` of 0s and 1s, or a ValueError."""
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
    return x, y


def _rosenblatt_pass(x: np.ndarray, y: np.ndarray, w: np.ndarray, b: float, order,
                     learning_rate: float) -> tuple[float, int]:
    """One pass of the rule over the examples in ``order``: ``w`` is updated in place.

    Returns the new ``b`` and the number of mistakes (updates) made.
    """
    errors = 0
    for i in order:
        y_hat = int(step(x[i] @ w + b))  # H(0) = 1, as in Perceptron.predict
        update = learning_rate * (y[i] - y_hat)
        if update:
            w += update * x[i]
            b += update
            errors += 1
    return b, errors
