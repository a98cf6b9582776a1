"""Optimizers: rules that move parameters against their gradients.

An optimizer takes the flat list of :class:`~steepest.network.Parameter` once
and updates each ``value`` in place from its ``grad`` on every :meth:`step`.
Backpropagation *overwrites* the gradients (it does not accumulate them), so
there is no ``zero_grad``.  Any per-parameter state lives in lists indexed like
the parameters, never keyed by layer name.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .network import Parameter


def _check_lr(learning_rate: float) -> float:
    lr = float(learning_rate)
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"learning_rate must be a positive number, got {learning_rate!r}")
    return lr


class SGD:
    """Plain (mini-batch) gradient descent, the lecture's rule.

    ``v <- v - lambda * grad C(v)``

    applied to every weight and bias, with ``lambda`` the learning rate and
    ``grad C`` the gradient of the mini-batch loss.

    Args:
        params: the parameters to update, e.g. ``network.parameters()``.
        learning_rate: ``lambda > 0``.

    >>> from steepest.network import Parameter
    >>> p = Parameter("v", np.array([1.0, 2.0]), np.array([0.5, -1.0]))
    >>> SGD([p], learning_rate=0.1).step()
    >>> p.value.tolist()
    [0.95, 2.1]
    """

    def __init__(self, params: Sequence[Parameter], learning_rate: float = 0.1) -> None:
        self.params = list(params)
        self.learning_rate = _check_lr(learning_rate)

    def step(self) -> None:
        lr = self.learning_rate
        for p in self.params:
            # In place: the network's arrays are updated, no new arrays bound.
            p.value -= p.value.dtype.type(lr) * p.grad

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays needed to resume (none for plain SGD)."""
        return {}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        return None
