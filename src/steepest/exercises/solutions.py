"""Reference solutions to the notebooks' "Your turn" exercises.

Each is written the way the notebook asks for it -- small, readable NumPy --
and each passes its checker in :mod:`steepest.exercises` (the test suite runs
every checker on these, and the notebooks run with these filled in).
``steepest.exercises.solution("softmax")`` gives one's source text.
"""

from __future__ import annotations

import numpy as np

from ..activations import sigmoid

# ---------------------------------------------------------------------------
# Notebook 2: activation functions


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z)), with steepest's stable sigmoid."""
    s = sigmoid(z)
    return s * (1 - s)


def softmax(z: np.ndarray) -> np.ndarray:
    """Each row of z (one example) turned into probabilities that sum to 1."""
    shifted = z - z.max(axis=1, keepdims=True)  # every exponent <= 0: nothing overflows
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------
# Notebook 4: the network


def layer_forward(x: np.ndarray, W: np.ndarray, b: np.ndarray) -> np.ndarray:
    """A sigmoid layer for a batch: x (N, n_in), W (n_in, n_out), b (n_out,) -> (N, n_out)."""
    return sigmoid(x @ W + b)


def count_parameters(sizes) -> int:
    """Weights and biases of a fully connected network with these layer sizes."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


# ---------------------------------------------------------------------------
# Notebook 5: loss and backpropagation


def nll_delta(o: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/df = (o - onehot(y)) / N for softmax outputs o (N, K) and labels y (N,)."""
    n, k = o.shape
    onehot = np.eye(k)[y]  # row n is 1 at column y[n]
    return (o - onehot) / n


def layer_backward(x: np.ndarray, W: np.ndarray, grad_z: np.ndarray):
    """From dL/dz (N, n_out) of z = x W + b: (dL/dW, dL/db, dL/dx)."""
    grad_W = x.T @ grad_z  # (n_in, N) @ (N, n_out)
    grad_b = grad_z.sum(axis=0)  # one per unit: summed over the examples
    grad_x = grad_z @ W.T  # (N, n_out) @ (n_out, n_in)
    return grad_W, grad_b, grad_x


def sigmoid_backward(grad_h: np.ndarray, h: np.ndarray) -> np.ndarray:
    """dL/dz from dL/dh through h = sigma(z): sigma'(z) = h (1 - h)."""
    return grad_h * h * (1 - h)


# ---------------------------------------------------------------------------
# Notebook 6: gradient descent


def valley_gradient(v1: float, v2: float) -> tuple[float, float]:
    """The gradient of C(v1, v2) = v1**2 / 10 + 2 v2**2."""
    return v1 / 5, 4 * v2


def sgd_step(v: np.ndarray, grad: np.ndarray, learning_rate: float) -> np.ndarray:
    """One step of gradient descent, v <- v - lambda grad C: the new v."""
    return v - learning_rate * grad
