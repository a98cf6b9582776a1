r"""Regularisers: keep the weights small so the network generalises.

* **L2 penalty** (weight decay in the loss): :math:`C = C_0 + \frac{l_2}{2} \sum_W w^2`,
  so :math:`\partial C / \partial w = \partial C_0 / \partial w + l_2 w`.  Only weights,
  not biases, as in Nielsen's ``network2`` (biases do not make a unit more sensitive to its inputs).
* **Max-norm** (Srebro & Shraibman 2005; with dropout, Srivastava et al. 2014):
  after each update, every unit's vector of incoming weights is projected
  back into the ball :math:`\|w_j\| \le c`.  With our layout ``W`` is
  ``(n_in, n_out)``, so unit ``j``'s incoming weights are column ``j``.

Dropout lives in :meth:`steepest.network.Network.forward`, where the masks are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .network import Parameter


def l2_penalty(params: Sequence[Parameter], l2: float) -> float:
    r"""Add :math:`l_2 W` to each weight gradient; return :math:`\frac{l_2}{2} \sum W^2`.

    Call after backpropagation, before the optimizer's step.

    >>> p = Parameter("W", np.array([[1.0, 2.0]]), np.zeros((1, 2)))
    >>> l2_penalty([p], 0.1), p.grad.tolist()
    (0.25, [[0.1, 0.2]])
    """
    if l2 == 0:
        return 0.0
    total = 0.0
    for p in params:
        if p.name == "W":
            total += float(np.vdot(p.value, p.value))  # sum of squares, no temporary
            p.grad += p.value.dtype.type(l2) * p.value
    return 0.5 * l2 * total


def max_norm(params: Sequence[Parameter], c: float) -> None:
    """Rescale each weight column whose L2 norm exceeds ``c`` down to ``c``, in place.

    >>> p = Parameter("W", np.array([[3.0, 0.3], [4.0, 0.4]]), np.zeros((2, 2)))
    >>> max_norm([p], 1.0); p.value.round(3).tolist()
    [[0.6, 0.3], [0.8, 0.4]]
    """
    for p in params:
        if p.name == "W":
            norms = np.sqrt(np.einsum("ij,ij->j", p.value, p.value))  # (n_out,) column norms
            scale = np.minimum(1, c / np.maximum(norms, 1e-12)).astype(p.value.dtype)
            p.value *= scale  # broadcast over rows: column j scaled by scale[j]
