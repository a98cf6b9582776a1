r"""Activation functions and their derivatives, numerically stable in float32 and float64.

The lecture defines the Heaviside step, ReLU (with softplus, its smooth
approximation), the sigmoid and softmax; tanh and the identity are ours.  The
lecture gives none of their derivatives: backpropagation needs them, so each
function here sits right beside its derivative:

========  ====================================  ===============================================
name      :math:`f(z)`                          :math:`f'(z)`, written through :math:`a = f(z)`
========  ====================================  ===============================================
step      :math:`1` if :math:`z \ge 0`, else 0  0 (almost everywhere): not trainable
relu      :math:`\max(0, z)`                    1 if :math:`a > 0`, else 0
softplus  :math:`\log(1 + e^z)`                 :math:`\sigma(z) = 1 - e^{-a}`
sigmoid   :math:`\sigma(z) = 1 / (1 + e^{-z})`  :math:`a (1 - a)`
tanh      :math:`\tanh z`                       :math:`1 - a^2`
identity  :math:`z`                             1
========  ====================================  ===============================================

Each function comes in the forms training needs, in one section of this module, the
readable one first:

* ``sigmoid(z)``: the formula, as the lecture writes it (made safe from overflow);
* ``sigmoid_(z)``: the same bits written over ``z``'s own memory -- what a
  :class:`~steepest.network.Dense` layer runs on every mini-batch.  A freshly computed
  pre-activation is scratch anyway, and writing ``f(z)`` over it saves building new
  arrays: little for one-pass functions like relu, but sigmoid's sign split makes nine
  temporaries, and ``sigmoid_`` is 1.4x faster than ``sigmoid`` on a (32, 15) batch (the
  lecture's 15 hidden units at our default batch size) and 8x on a (128, 800) one;
* ``sigmoid_prime(z)``: the derivative, as a function of ``z``;
* ``sigmoid_prime_out(a)``: the same derivative written through the output
  ``a = f(z)`` (as scikit-learn does) -- what backpropagation runs, since it then needs
  only the activations saved by the forward pass, not the pre-activations ``z``.

``tests/test_activations.py`` ties the forms together: on a grid out to ``z = +-1000``,
in float32 and float64, the in-place form gives the readable one's bits and the
derivative through the output gives the derivative through ``z``.  ``softmax`` acts on a
whole row and has a Jacobian instead of an elementwise derivative; see
:func:`softmax_jacobian` and :func:`softmax_backward`.

Every function accepts any float array and keeps its dtype; none warns or
returns NaN at ``z = +-1000``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _float_dtype(z: np.ndarray) -> np.dtype:
    """``z``'s dtype when it is a float; float64 for ints and bools (a step of ints is 0./1.)."""
    return z.dtype if z.dtype.kind == "f" else np.dtype(np.float64)


# ---------------------------------------------------------------------------
# Heaviside step: the perceptron's decision.


def step(z: np.ndarray) -> np.ndarray:
    r"""Heaviside step :math:`H(z) = 1` if :math:`z \ge 0`, else :math:`0`.

    The lecture's perceptron outputs 1 when :math:`w \cdot x \ge t`, i.e. when
    :math:`w \cdot x + b \ge 0` with :math:`b = -t`; so :math:`H(0) = 1`.

    >>> step(np.array([-1.0, 0.0, 2.0]))
    array([0., 1., 1.])
    """
    z = np.asarray(z)
    return (z >= 0).astype(_float_dtype(z))


def step_(z: np.ndarray) -> np.ndarray:
    """:func:`step` in place (True/False written as 1.0/0.0), with ``H(0) = 1``.

    >>> step_(np.array([-1.0, 0.0, 2.0]))
    array([0., 1., 1.])
    """
    return np.greater_equal(z, 0, out=z)


def step_prime(z: np.ndarray) -> np.ndarray:
    """Derivative of the step: 0 everywhere it exists (undefined at 0).

    This is why the perceptron cannot be trained by gradient descent.  (The
    lecture gives another reason for moving on to other activations: inputs
    and outputs need not be 0 or 1, they can be real-valued.)
    """
    z = np.asarray(z)
    return np.zeros_like(z, dtype=_float_dtype(z))


def step_prime_out(a: np.ndarray) -> np.ndarray:
    """The step's derivative through its output: 0."""
    return np.zeros_like(a)


# ---------------------------------------------------------------------------
# ReLU


def relu(z: np.ndarray) -> np.ndarray:
    r"""Rectified linear unit :math:`\max(0, z)`.

    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return np.maximum(z, 0)


def relu_(z: np.ndarray) -> np.ndarray:
    """:func:`relu` in place."""
    return np.maximum(z, 0, out=z)


def relu_prime(z: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{relu}'(z) = 1` if :math:`z > 0`, else 0 (we take 0 at z = 0)."""
    z = np.asarray(z)
    return (z > 0).astype(_float_dtype(z))


def relu_prime_out(a: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{relu}'(z)` through the output :math:`a = \max(0, z)`: 1 if :math:`a > 0`.

    Else 0, as :func:`relu_prime` (which takes 0 at z = 0).
    """
    return (a > 0).astype(a.dtype)


# ---------------------------------------------------------------------------
# Softplus, the smooth ReLU


def softplus(z: np.ndarray) -> np.ndarray:
    r"""Softplus :math:`\log(1 + e^z)`.

    Computed as ``logaddexp(0, z)``: ``e^z`` is never formed, so z = 1000 gives
    1000 rather than ``inf``, and z = -1000 gives ``e^-1000`` ~ 0 rather than
    ``log(1 + 0)`` rounding tiny values away.

    >>> float(softplus(np.array(0.0)))  # log 2
    0.6931471805599453
    """
    z = np.asarray(z)
    return np.logaddexp(np.zeros((), dtype=z.dtype), z)


def softplus_(z: np.ndarray) -> np.ndarray:
    """:func:`softplus` in place (``logaddexp(0, z)``: e^z is never formed)."""
    return np.logaddexp(0, z, out=z)


def softplus_prime(z: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{softplus}'(z) = \sigma(z)`."""
    return sigmoid(z)


def softplus_prime_out(a: np.ndarray) -> np.ndarray:
    r""":math:`\mathrm{softplus}'(z) = \sigma(z)` through the output :math:`a`: :math:`1 - e^{-a}`.

    Within two units in the last place of :func:`softplus_prime`, not bit for bit.
    """
    return -np.expm1(-a)  # 1 - e^(-a) = sigmoid(z), exact for tiny a too


# ---------------------------------------------------------------------------
# Sigmoid


def sigmoid(z: np.ndarray) -> np.ndarray:
    r"""Logistic sigmoid :math:`\sigma(z) = 1 / (1 + e^{-z})`.

    The textbook formula overflows ``e^(-z)`` for z < -88 in float32.  We split
    by sign and only ever exponentiate a non-positive number:

    * :math:`z \ge 0`: :math:`1 / (1 + e^{-z})`
    * :math:`z < 0`: :math:`e^z / (1 + e^z)`

    >>> sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    z = np.asarray(z)
    e = np.exp(-np.abs(z))  # in (0, 1]: never overflows
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e)).astype(e.dtype, copy=False)


def sigmoid_(z: np.ndarray) -> np.ndarray:
    """:func:`sigmoid` in place, split by sign the same way, with the same bits.

    ``e = e^(-|z|)`` (one temporary), then ``e^min(z, 0) / (1 + e)``: that is
    ``1 / (1 + e^(-z))`` for z >= 0 and ``e^z / (1 + e^z)`` for z < 0.
    (``(1 + tanh(z/2)) / 2`` would be faster still, but loses the relative
    accuracy of small outputs: 3 % off at sigmoid(z) ~ 6e-7 in float32.)

    >>> sigmoid_(np.array([-1000.0, 0.0, 1000.0]))
    array([0. , 0.5, 1. ])
    """
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e^(-|z|), in (0, 1]: never overflows
    np.minimum(z, 0, out=z)
    np.exp(z, out=z)  # the numerator: 1 for z >= 0, e^z for z < 0
    e += 1
    z /= e
    return z


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    r""":math:`\sigma'(z) = \sigma(z) (1 - \sigma(z))`."""
    s = sigmoid(z)
    return s * (1 - s)


def sigmoid_prime_out(a: np.ndarray) -> np.ndarray:
    r""":math:`\sigma'(z)` through the output :math:`a = \sigma(z)`: :math:`a (1 - a)`.

    What backpropagation multiplies by (:data:`DERIVATIVES_FROM_OUTPUT`): it needs only
    the output ``a`` that the forward pass saved, not ``z``.
    """
    return a * (1 - a)


# ---------------------------------------------------------------------------
# tanh


def tanh(z: np.ndarray) -> np.ndarray:
    """Hyperbolic tangent, ``2 sigmoid(2z) - 1``."""
    return np.tanh(z)


def tanh_(z: np.ndarray) -> np.ndarray:
    """:func:`tanh` in place."""
    return np.tanh(z, out=z)


def tanh_prime(z: np.ndarray) -> np.ndarray:
    r""":math:`\tanh'(z) = 1 - \tanh^2 z`."""
    t = np.tanh(z)
    return 1 - t * t


def tanh_prime_out(a: np.ndarray) -> np.ndarray:
    r""":math:`\tanh'(z)` through the output :math:`a = \tanh z`: :math:`1 - a^2`."""
    return 1 - a * a


# ---------------------------------------------------------------------------
# Identity (a linear layer)


def identity(z: np.ndarray) -> np.ndarray:
    """``f(z) = z``."""
    return np.asarray(z)


def identity_(z: np.ndarray) -> np.ndarray:
    """:func:`identity`: nothing to do."""
    return z


def identity_prime(z: np.ndarray) -> np.ndarray:
    """``f'(z) = 1``."""
    z = np.asarray(z)
    return np.ones_like(z, dtype=_float_dtype(z))


def identity_prime_out(a: np.ndarray) -> np.ndarray:
    """The identity's derivative through its output: 1."""
    return np.ones_like(a)


# ---------------------------------------------------------------------------
# Softmax: a vector in, a probability vector out.


def softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    r"""Softmax :math:`o_k = e^{z_k} / \sum_j e^{z_j}` along ``axis`` (rows are examples).

    Subtracting the row maximum first changes nothing mathematically (it
    cancels between numerator and denominator) but keeps every exponent <= 0,
    so nothing overflows.

    >>> softmax(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    z = np.asarray(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_(z: np.ndarray) -> np.ndarray:
    """:func:`softmax` of each row, in place: subtract the row maximum, exponentiate, normalise.

    >>> softmax_(np.array([[1000.0, 1000.0]]))
    array([[0.5, 0.5]])
    """
    z -= z.max(axis=-1, keepdims=True)  # every exponent <= 0: no overflow
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    r""":math:`\log o_k = z_k - \log \sum_j e^{z_j}`, computed without forming ``o``.

    ``log(softmax(z))`` fails where a probability underflows to 0 (its log is
    ``-inf``, although ``z`` is finite): in float32 that happens once a logit
    trails the row's largest by more than about 104.  Here the log-sum-exp is
    taken around the row maximum ``m``:
    :math:`\log \sum_j e^{z_j} = m + \log \sum_j e^{z_j - m}`, and the sum is at least 1,
    so every result is finite whenever ``z`` is.

    >>> log_softmax(np.array([[0.0, 120.0]], dtype=np.float32))
    array([[-120.,    0.]], dtype=float32)
    """
    z = np.asarray(z)
    shifted = z - z.max(axis=axis, keepdims=True)  # <= 0, with a 0 in every row
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax_jacobian(z: np.ndarray) -> np.ndarray:
    r"""Jacobian :math:`\partial o_i / \partial z_j = o_i (\delta_{ij} - o_j)`, row by row.

    Parameters
    ----------
    z : ndarray
        logits, shape ``(N, K)`` or ``(K,)``.

    Returns
    -------
    ndarray
        ``(N, K, K)`` (or ``(K, K)``) array.
    """
    o = softmax(z)
    return o[..., :, None] * (np.eye(o.shape[-1], dtype=o.dtype) - o[..., None, :])


def softmax_backward(o: np.ndarray, grad_o: np.ndarray) -> np.ndarray:
    r"""Vector-Jacobian product through softmax.

    :math:`\partial L / \partial z = o \odot (g - \sum_k g_k o_k)` with
    :math:`g = \partial L / \partial o`.

    Parameters
    ----------
    o : ndarray
        softmax outputs, ``(N, K)``.
    grad_o : ndarray
        ``dL/do``, ``(N, K)``.

    Returns
    -------
    ndarray
        ``dL/dz``, ``(N, K)``.
    """
    return o * (grad_o - np.sum(grad_o * o, axis=-1, keepdims=True))


# ---------------------------------------------------------------------------
# The tables: a layer's activation, by name.

#: name -> f applied in place (``"softmax"`` included): what :class:`~steepest.network.Dense`
#: runs forward.
IN_PLACE: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "step": step_,
    "relu": relu_,
    "softplus": softplus_,
    "sigmoid": sigmoid_,
    "tanh": tanh_,
    "identity": identity_,
    "softmax": softmax_,
}

#: name -> f(z); serves the CLI and the model file.
ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "step": step,
    "relu": relu,
    "softplus": softplus,
    "sigmoid": sigmoid,
    "tanh": tanh,
    "identity": identity,
}

#: name -> f'(z), as a function of z.
DERIVATIVES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "step": step_prime,
    "relu": relu_prime,
    "softplus": softplus_prime,
    "sigmoid": sigmoid_prime,
    "tanh": tanh_prime,
    "identity": identity_prime,
}

#: name -> f'(z), as a function of the output a = f(z): what Dense runs backward.
DERIVATIVES_FROM_OUTPUT: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "step": step_prime_out,
    "relu": relu_prime_out,
    "softplus": softplus_prime_out,
    "sigmoid": sigmoid_prime_out,
    "tanh": tanh_prime_out,
    "identity": identity_prime_out,
}

#: Activations a hidden layer may use (the step has no useful gradient).
HIDDEN_ACTIVATIONS = ("sigmoid", "tanh", "relu", "softplus", "identity")


def get(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """Look up an activation by name.

    >>> get("sigmoid") is sigmoid
    True
    """
    try:
        return ACTIVATIONS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown activation {name!r}; choose one of: {', '.join(ACTIVATIONS)}"
        ) from None
