r"""Check backpropagation against central finite differences.

For a parameter :math:`v` and loss :math:`L`, the central difference

.. math::

    \frac{\partial L}{\partial v}
    \approx \frac{L(v + \varepsilon) - L(v - \varepsilon)}{2 \varepsilon}

has error :math:`O(\varepsilon^2)`, so in float64 with eps ~ 1e-6 it agrees with a correct
hand-derived gradient to about 1e-9 relative.  A wrong derivative shows up
as a relative error near 1.

We compare whole arrays:
:math:`\mathrm{rel} = \|g_\mathrm{backprop} - g_\mathrm{numeric}\| /
(\|g_\mathrm{backprop}\| + \|g_\mathrm{numeric}\|)`
(0 when both vanish), which is not fooled by single tiny entries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .losses import nll
from .network import Network


def numerical_gradient(f: Callable[[], float], v: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central-difference gradient of ``f()`` with respect to array ``v``, perturbed in place.

    ``v`` is restored exactly after each probe.
    """
    grad = np.zeros_like(v, dtype=np.float64)
    flat, gflat = v.reshape(-1), grad.reshape(-1)  # views: writes reach v
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        plus = f()
        flat[i] = old - eps
        minus = f()
        flat[i] = old
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """``||a - b|| / (||a|| + ||b||)``, or 0 when both are zero."""
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


@dataclass
class GradCheck:
    """One parameter's comparison."""

    name: str  # e.g. "W1" (layer 1's weights)
    shape: tuple[int, ...]
    max_abs_grad: float  # largest |dL/dv| from backprop
    max_abs_diff: float  # largest |backprop - numeric|
    relative_error: float

    def ok(self, tol: float = 1e-6) -> bool:
        return self.relative_error < tol


def check_network(
    network: Network, x: np.ndarray, y: np.ndarray, eps: float = 1e-6
) -> list[GradCheck]:
    """Compare backprop's gradient of the mean NLL with central differences, per parameter.

    Use a float64 network: float32 round-off (1e-7) divided by 2 eps swamps
    the comparison.

    Parameters
    ----------
    network : Network
        the model (``dtype=np.float64`` recommended).
    x : ndarray
        inputs (N, n_in).
    y : ndarray
        labels (N,).
    eps : float
        the finite-difference step.

    Returns
    -------
    list[GradCheck]
        One :class:`GradCheck` per parameter, named ``W1, b1, W2, b2, ...``
        (layers numbered from 1: ``W1, b1`` are the lecture's ``W, b``,
        ``W2, b2`` its ``Ŵ, b̂``, each ``W`` transposed).
    """
    x = np.asarray(x, dtype=network.dtype)
    o = network.forward(x)
    _, delta = nll(o, y)
    network.backward(delta)
    analytic = [p.grad.copy() for p in network.parameters()]

    def loss() -> float:
        return nll(network.forward(x), y)[0]

    results = []
    for k, (p, g) in enumerate(zip(network.parameters(), analytic)):
        numeric = numerical_gradient(loss, p.value, eps)
        results.append(
            GradCheck(
                name=f"{p.name}{k // 2 + 1}",
                shape=p.value.shape,
                max_abs_grad=float(np.abs(g).max()),
                max_abs_diff=float(np.abs(g - numeric).max()),
                relative_error=relative_error(g, numeric),
            )
        )
    return results
