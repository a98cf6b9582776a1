"""Reference solutions to the course's "Your turn" exercises.

Each is written the way its notebook asks for it -- small, readable NumPy that
uses only what the learner has written before it (``forward`` calls this
module's ``sigmoid`` and ``softmax``, ``backward`` its ``nll_delta`` and the
two layers' gradients) -- and each passes its checker (the test suite runs
every checker on these, and every notebook with these filled in).
``steepest.exercises.solution("softmax")`` gives one's source text.

Notation: rows are examples.  ``x`` is ``(N, 784)``; ``W1`` is ``(784, 15)``,
the transpose of the lecture's 15 x 784 matrix ``W``, so a layer is
``x @ W1 + b1`` for a whole batch at once.
"""

from __future__ import annotations

import numpy as np

# ---------------------------------------------------------------------------
# Notebook 1: the perceptron


def decide(w: np.ndarray, x: np.ndarray, t: float) -> np.ndarray:
    """The perceptron's output: 1 where w . x >= t, else 0 (x is one row or many)."""
    return (x @ w >= t).astype(int)


def rosenblatt_update(w: np.ndarray, b: float, x: np.ndarray, y: int, learning_rate: float):
    """One step of Rosenblatt's rule for the example (x, y): the new (w, b)."""
    y_hat = 1 if x @ w + b >= 0 else 0  # H(w . x + b), with H(0) = 1
    w_new = w + learning_rate * (y - y_hat) * x  # nothing changes when y_hat == y
    b_new = b + learning_rate * (y - y_hat)
    return w_new, b_new


# ---------------------------------------------------------------------------
# Notebook 2: activation functions


def sigmoid(z: np.ndarray) -> np.ndarray:
    """sigma(z) = 1 / (1 + e^-z), computed so that no exp ever overflows."""
    e = np.exp(-np.abs(z))  # in (0, 1]
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """sigma'(z) = sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    return s * (1 - s)


def softmax(z: np.ndarray) -> np.ndarray:
    """Each row of z (one example) turned into probabilities that sum to 1."""
    shifted = z - z.max(axis=1, keepdims=True)  # every exponent <= 0: nothing overflows
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


# ---------------------------------------------------------------------------
# Notebook 3: MNIST


def one_hot(y: np.ndarray, k: int = 10) -> np.ndarray:
    """Labels y (N,) as rows of K zeros with a 1 in column y[n]: shape (N, K)."""
    out = np.zeros((len(y), k))
    out[np.arange(len(y)), y] = 1
    return out


# ---------------------------------------------------------------------------
# Notebook 4: the network


def init_network(sizes, rng: np.random.Generator) -> list[np.ndarray]:
    """[W1, b1, W2, b2] for sizes (n_in, n_hidden, n_out), every entry from N(0, 1)."""
    n_in, n_hidden, n_out = sizes
    W1 = rng.standard_normal((n_in, n_hidden))  # (784, 15): the lecture's W, transposed
    b1 = rng.standard_normal(n_hidden)  # (15,)
    W2 = rng.standard_normal((n_hidden, n_out))  # (15, 10): the lecture's W-hat, transposed
    b2 = rng.standard_normal(n_out)  # (10,)
    return [W1, b1, W2, b2]


def count_parameters(sizes) -> int:
    """Weights and biases of a fully connected network with these layer sizes."""
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def forward(params: list[np.ndarray], x: np.ndarray):
    """The hidden activations h (N, 15) and the probabilities o (N, 10) for x (N, 784)."""
    W1, b1, W2, b2 = params
    h = sigmoid(x @ W1 + b1)  # (N, 784) @ (784, 15) + (15,) -> (N, 15)
    o = softmax(h @ W2 + b2)  # (N, 15) @ (15, 10) + (10,) -> (N, 10)
    return h, o


# ---------------------------------------------------------------------------
# Notebook 5: the loss


def nll(o: np.ndarray, y: np.ndarray) -> float:
    """L = -(1/N) sum_n log o[n, y_n]: the mean negative log-likelihood."""
    n = len(y)
    return -np.mean(np.log(o[np.arange(n), y]))


# ---------------------------------------------------------------------------
# Notebook 6: gradient descent


def valley_gradient(v1: float, v2: float) -> tuple[float, float]:
    """The gradient of C(v1, v2) = v1**2 / 10 + 2 v2**2."""
    return v1 / 5, 4 * v2


def sgd_step(v: np.ndarray, grad: np.ndarray, learning_rate: float) -> np.ndarray:
    """One step of gradient descent, v <- v - lambda grad C: the new v."""
    return v - learning_rate * grad


# ---------------------------------------------------------------------------
# Notebook 7: backpropagation


def nll_delta(o: np.ndarray, y: np.ndarray) -> np.ndarray:
    """dL/df = (o - onehot(y)) / N for softmax outputs o (N, K) and labels y (N,)."""
    n, k = o.shape
    return (o - one_hot(y, k)) / n


def output_layer_grads(h: np.ndarray, W2: np.ndarray, delta: np.ndarray):
    """From delta = dL/df (N, 10) of f = h W2 + b2: (dL/dW2, dL/db2, dL/dh)."""
    grad_W2 = h.T @ delta  # (15, N) @ (N, 10) -> (15, 10)
    grad_b2 = delta.sum(axis=0)  # (10,): summed over the examples
    grad_h = delta @ W2.T  # (N, 10) @ (10, 15) -> (N, 15)
    return grad_W2, grad_b2, grad_h


def hidden_layer_grads(x: np.ndarray, h: np.ndarray, grad_h: np.ndarray):
    """From dL/dh (N, 15) of h = sigma(x W1 + b1): (dL/dW1, dL/db1)."""
    grad_z = grad_h * h * (1 - h)  # through the sigmoid: sigma'(z) = h (1 - h)
    grad_W1 = x.T @ grad_z  # (784, N) @ (N, 15) -> (784, 15)
    grad_b1 = grad_z.sum(axis=0)  # (15,)
    return grad_W1, grad_b1


def backward(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, h: np.ndarray,
             o: np.ndarray) -> list[np.ndarray]:
    """[dL/dW1, dL/db1, dL/dW2, dL/db2] for the batch (x, y), given forward's h and o."""
    W1, b1, W2, b2 = params
    delta = nll_delta(o, y)
    grad_W2, grad_b2, grad_h = output_layer_grads(h, W2, delta)
    grad_W1, grad_b1 = hidden_layer_grads(x, h, grad_h)
    return [grad_W1, grad_b1, grad_W2, grad_b2]


# ---------------------------------------------------------------------------
# Notebook 8: training


def train_epoch(params: list[np.ndarray], x: np.ndarray, y: np.ndarray, learning_rate: float,
                batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """One pass over (x, y) in shuffled mini-batches, one SGD step each: the new params."""
    order = rng.permutation(len(x))  # a new order every epoch
    for start in range(0, len(x), batch_size):
        batch = order[start:start + batch_size]  # the last batch may be smaller
        h, o = forward(params, x[batch])
        grads = backward(params, x[batch], y[batch], h, o)
        params = [sgd_step(p, g, learning_rate) for p, g in zip(params, grads)]
    return params
