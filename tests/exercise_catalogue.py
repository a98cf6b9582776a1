"""What learners write: for each exercise, typical wrong answers and other right ones.

``WRONG[name]`` lists ``(what the learner wrote, a piece of the message that names the
mistake)``; ``RIGHT[name]`` lists ``(what it is, another correct way to write it)``.  The tests
in test_exercises.py run every entry through its checker.  ``np``-only code, as a learner
writes it; ``sig`` and ``softmax`` stand for the learner's (correct) notebook-2 functions.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from steepest import activations as act
from steepest.exercises import solutions as S

sig = act.sigmoid


def softmax(z):
    return act.softmax(z, axis=1)


# -- helpers that build a wrong answer from the right one ------------------------------------


def _replace(fn, index, new):
    """``fn`` with its ``index``-th result replaced by ``new(*args)``."""

    def wrong(*args):
        got = list(fn(*args))
        got[index] = new(*args)
        return tuple(got)

    return wrong


def _reorder(fn, order):
    def wrong(*args):
        got = fn(*args)
        return type(got)(got[i] for i in order)

    return wrong


def _onehot(o, y):
    return np.eye(o.shape[1])[y]


# -- the perceptron ----------------------------------------------------------------------


def _update_strict(w, b, x, y, lr):  # H(0) = 0: the ">" rule
    y_hat = 1 if x @ w + b > 0 else 0
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)


def _update_sign(w, b, x, y, lr):
    y_hat = 1 if x @ w + b >= 0 else 0
    return w + lr * (y_hat - y) * x, b + lr * (y_hat - y)


def _update_no_rate(w, b, x, y, lr):
    y_hat = 1 if x @ w + b >= 0 else 0
    return w + (y - y_hat) * x, b + (y - y_hat)


def _update_no_bias(w, b, x, y, lr):
    y_hat = 1 if x @ w + b >= 0 else 0
    return w + lr * (y - y_hat) * x, b


def _update_always(w, b, x, y, lr):
    return w + lr * y * x, b + lr * y


def _update_in_place(w, b, x, y, lr):
    y_hat = 1 if x @ w + b >= 0 else 0
    w += lr * (y - y_hat) * x
    return w, b + lr * (y - y_hat)


def _update_numpy_step(w, b, x, y, lr):  # np.heaviside(z, 1) is H with H(0) = 1
    y_hat = np.heaviside(x @ w + b, 1.0)
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)


def _decide_if(w, x, t):
    return 1 if x @ w >= t else 0


def _update_raw(w, b, x, y, lr):  # Widrow and Hoff's rule: no step
    y_hat = x @ w + b
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)


def _update_threshold(w, b, x, y, lr):  # b compared with w.x, as if it were t
    y_hat = 1 if x @ w >= b else 0
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)


def _one_hot_columns(y, k):
    out = np.zeros((len(y), k))
    out[:, y] = 1
    return out


def _one_hot_rows(y, k):
    out = np.zeros((len(y), k))
    out[y] = 1
    return out


# -- the activations ---------------------------------------------------------------------


def _sigmoid_where(z):
    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))


def _sigmoid_by_parts(z):
    out = np.empty_like(z, dtype=float)
    pos = z >= 0
    out[pos] = 1 / (1 + np.exp(-z[pos]))
    out[~pos] = np.exp(z[~pos]) / (1 + np.exp(z[~pos]))
    return out


def _sigmoid_prime_naive(z):
    s = 1 / (1 + np.exp(-z))
    return s * (1 - s)


def _softmax_global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)


def _softmax_in_place(z):
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _softmax_column_max(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softmax_logsumexp(z):
    m = z.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(z - m).sum(axis=1, keepdims=True))
    return np.exp(z - lse)


# -- the network -------------------------------------------------------------------------


def _init(shape_w1=None, bias=None, draw=None, order=None):
    def init(sizes, rng):
        n_in, n_h, n_out = sizes
        d = draw or (lambda shape: rng.standard_normal(shape))
        W1 = d(shape_w1((n_in, n_h)) if shape_w1 else (n_in, n_h))
        b1 = bias(n_h) if bias else d(n_h)
        W2 = d(shape_w1((n_h, n_out)) if shape_w1 else (n_h, n_out))
        b2 = bias(n_out) if bias else d(n_out)
        params = [W1, b1, W2, b2]
        return [params[i] for i in order] if order else params

    return init


def _init_global(sizes, rng):
    n_in, n_h, n_out = sizes
    return [np.random.randn(n_in, n_h), np.random.randn(n_h), np.random.randn(n_h, n_out),
            np.random.randn(n_out)]


def _init_with_normal(sizes, rng):
    n_in, n_h, n_out = sizes
    return [rng.normal(0, 1, (n_in, n_h)), rng.normal(0, 1, n_h), rng.normal(0, 1, (n_h, n_out)),
            rng.normal(0, 1, n_out)]


def _forward(hidden=None, output=None):
    def forward(params, x):
        W1, b1, W2, b2 = params
        h = hidden(x, W1, b1) if hidden else sig(x @ W1 + b1)
        return h, output(h, W2, b2) if output else softmax(h @ W2 + b2)

    return forward


# -- the loss and its delta --------------------------------------------------------------


def _delta_in_place(o, y):
    o[np.arange(len(y)), y] -= 1
    o /= len(y)
    return o


# -- backpropagation ---------------------------------------------------------------------


def _backward_no_mean(params, x, y, h, o):
    W1, b1, W2, b2 = params
    delta = o - _onehot(o, y)  # no 1/N
    grad_W2, grad_b2, grad_h = S.output_layer_grads(h, W2, delta)
    grad_W1, grad_b1 = S.hidden_layer_grads(x, h, grad_h)
    return [grad_W1, grad_b1, grad_W2, grad_b2]


def _backward_no_sigmoid(params, x, y, h, o):
    W1, b1, W2, b2 = params
    grad_W2, grad_b2, grad_h = S.output_layer_grads(h, W2, S.nll_delta(o, y))
    return [x.T @ grad_h, grad_h.sum(axis=0), grad_W2, grad_b2]


# -- training ----------------------------------------------------------------------------


def _epoch(order=None, skip_last=False, whole=False, assign=True):
    def train_epoch(params, x, y, learning_rate, batch_size, rng):
        idx = order(len(x), rng) if order else rng.permutation(len(x))
        stop = len(x) - len(x) % batch_size if skip_last else len(x)
        step = len(x) if whole else batch_size
        for start in range(0, stop, step):
            batch = idx[start:start + step]
            h, o = S.forward(params, x[batch])
            grads = S.backward(params, x[batch], y[batch], h, o)
            new = [S.sgd_step(p, g, learning_rate) for p, g in zip(params, grads)]
            if assign:
                params = new
        return params

    return train_epoch


def _epoch_in_place(params, x, y, learning_rate, batch_size, rng):
    order = rng.permutation(len(x))
    for start in range(0, len(x), batch_size):
        batch = order[start:start + batch_size]
        h, o = S.forward(params, x[batch])
        for p, g in zip(params, S.backward(params, x[batch], y[batch], h, o)):
            p -= learning_rate * g
    return params


#: exercise -> [(the learner's wrong answer, a piece of the message that names the mistake)]
WRONG = {
    "decide": [
        (lambda w, x, t: (x @ w > t).astype(int), "on the threshold the lecture's perceptron goes"),
        (lambda w, x, t: (x @ w < t).astype(int), "reversed"),
        (lambda w, x, t: x @ w, "returned w·x itself"),
        (lambda w, x, t: x @ w - t, "that is w·x − t"),
        (lambda w, x, t: x * w, "multiplied elementwise without adding up"),
        (_decide_if, "an `if` (or and/or) on a whole array"),
        (lambda w, x, t: (w @ x >= t).astype(int), "w·x for every row at once is x @ w"),
        (lambda w, x, t: int((x * w).sum() >= t), "gave one decision"),
        (lambda w, x, t: ((x * w).sum(axis=1) >= t).astype(int), "which has no axis 1"),
        (lambda w, x, t: np.heaviside(x @ w + t, 1), "that is H(w·x + t)"),
    ],
    "rosenblatt_update": [
        (_update_strict, "at w·x + b = 0 the perceptron outputs 1 (H(0) = 1"),
        (_update_sign, "the update goes the wrong way"),
        (_update_no_rate, "ignored the learning rate"),
        (_update_no_bias, "b did not change"),
        (_update_always, "changed w although the prediction was right"),
        (_update_in_place, "changed its input w in place"),
        (lambda w, b, x, y, lr: S.rosenblatt_update(w, b, x, y, lr)[0], "should return 2 things"),
        (_update_raw, "not w·x + b itself"),
        (_update_threshold, "b is a bias, added"),
    ],
    "sigmoid": [
        (lambda z: 1 / (1 + np.exp(-z)), "overflows at large inputs"),
        (_sigmoid_where, "np.where computes both of its branches"),
        (lambda z: 1 / (1 + np.exp(z)), "that is 1 / (1 + e^z) = sigma(-z)"),
        (lambda z: 1 + np.exp(-z), "that is 1 + e^-z"),
        (lambda z: np.tanh(z), "that is tanh(z)"),
        (lambda z: None, "forget `return`"),
        (lambda z: sig(np.abs(z)), "that is sigma(|z|)"),
        (lambda z: 1 / (1 + math.exp(-z)), "math.exp takes one number"),
    ],
    "sigmoid_prime": [
        (lambda z: sig(z), "that is sigma(z) itself"),
        (lambda z: z * (1 - z), "that is z (1 - z)"),
        (lambda z: sig(z) * (1 - z), "that is sigma(z) (1 - z)"),
        (lambda z: z * (1 - sig(z)), "that is z (1 - sigma(z))"),
        (lambda z: -sig(z) * (1 - sig(z)), "wrong sign"),
        (lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "unstable at large inputs"),
        (_sigmoid_prime_naive, "NumPy warned"),
        (lambda z: float(np.mean(sig(z) * (1 - sig(z)))), "wrong shape"),
        (lambda z: None, "forget `return`"),
        (lambda z: 1 - sig(z), "that is 1 - sigma(z)"),
    ],
    "softmax": [
        (lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), "unstable at large inputs"),
        (_softmax_global_max, "largest entry of the whole batch"),
        (lambda z: act.softmax(z, axis=0), "normalise along axis=1"),
        (lambda z: np.exp(z) / np.exp(z).sum(), "sum over the whole batch"),
        (lambda z: np.exp(z - z.max(axis=1)), "keepdims=True"),
        (lambda z: np.exp(z - z.max(axis=1, keepdims=True)), "not normalised"),
        (_softmax_in_place, "changed its input z in place"),
        (lambda z: act.softmax(z).T, "transposed"),
        (lambda z: act.log_softmax(z), "that is log(softmax(z))"),
        (_softmax_column_max, "subtracted each column's maximum"),
    ],
    "one_hot": [
        (lambda y, k: np.eye(10)[y], "has 10 columns whatever k is"),
        (lambda y, k: np.eye(y.max() + 1)[y], "you took K from the labels"),
        (lambda y, k: np.eye(k)[y - 1], "off by one"),
        (lambda y, k: 1 - np.eye(k)[y], "ones and zeros swapped"),
        (lambda y, k: np.eye(k)[y].T, "transposed"),
        (lambda y, k: np.eye(len(y), k), "that is the identity matrix"),
        (_one_hot_columns, "every row has a 1 in each label's column"),
        (_one_hot_rows, "out[y] picks whole rows by label"),
    ],
    "init_network": [
        (_init(shape_w1=lambda s: s[::-1]), "the lecture's 15 x 784"),
        (_init(bias=np.zeros), "b1 is all zeros"),
        (_init(bias=lambda n: np.zeros((n, 1))), "a column as in the lecture"),
        (_init(order=[0, 2, 1, 3]), "in the wrong order"),
        (_init_global, "two calls with np.random.default_rng(0) gave different weights"),
        (lambda sizes, rng: [p / np.sqrt(sizes[0]) if i % 2 == 0 else p for i, p in
                             enumerate(S.init_network(sizes, rng))], "scaled initialisation"),
        (lambda sizes, rng: [rng.random(p.shape) for p in S.init_network(sizes, rng)],
         "rng.random draws uniformly"),
        (lambda sizes, rng: [rng.uniform(-3 ** 0.5, 3 ** 0.5, p.shape)
                             for p in S.init_network(sizes, rng)], "of the values lie in (-1, 1)"),
        (lambda sizes, rng: [0.1 * p for p in S.init_network(sizes, rng)],
         "standard deviation 0.100"),
        (lambda sizes, rng: S.init_network(sizes, np.random.default_rng(0)),
         "seeds 0 and 1 gave the same weights"),
    ],
    "count_parameters": [
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), "counted the weights only"),
        (lambda s: sum(a * b + a for a, b in zip(s[:-1], s[1:])), "one bias per input"),
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])) + sum(s), "input layer biases"),
        (lambda s: str(S.count_parameters(s)), "expected a number"),
        (lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:])) + 1, "count n_in * n_out"),
    ],
    "forward": [
        (_forward(hidden=lambda x, W, b: x @ W + b), "h is z = x W1 + b1"),
        (_forward(output=lambda h, W, b: h @ W + b), "o is the logits"),
        (_forward(output=lambda h, W, b: sig(h @ W + b)), "the output layer uses softmax"),
        (_forward(hidden=lambda x, W, b: sig(x @ W)), "forgot the bias b1"),
        (_forward(hidden=lambda x, W, b: sig(x @ W.T + b)), "used W1.T"),
        (_forward(output=lambda h, W, b: act.softmax(h @ W + b, axis=0)), "along each row"),
        (_forward(hidden=lambda x, W, b: 1 / (1 + np.exp(-(x @ W + b)))), "overflows"),
        (lambda params, x: S.forward(params, x)[1], "should return 2 things"),
        (lambda params, x: S.forward(params, x)[::-1], "in the wrong order"),
    ],
    "nll": [
        (lambda o, y: -np.sum(np.log(o[np.arange(len(y)), y])), "missing the 1/N"),
        (lambda o, y: np.mean(np.log(o[np.arange(len(y)), y])), "the loss is minus the log"),
        (lambda o, y: -np.mean(np.log10(o[np.arange(len(y)), y])), "used log10"),
        (lambda o, y: -np.log(o[np.arange(len(y)), y]), "one loss per example"),
        (lambda o, y: -np.mean(np.log(o[:, y])), "picks an (N, N) block"),
        (lambda o, y: -np.mean(np.log(o)), "over all K outputs"),
        (lambda o, y: -np.mean(_onehot(o, y) * np.log(o)), "divides by N K"),
        (lambda o, y: -np.mean(o[np.arange(len(y)), y]), "forgot the log"),
    ],
    "valley_gradient": [
        (lambda a, b: (a / 10, 4 * b), "that is v1/10"),
        (lambda a, b: (a / 5, 2 * b), "that is 2 v2"),
        (lambda a, b: (4 * b, a / 5), "swapped"),
        (lambda a, b: (-a / 5, -4 * b), "dC/dv1 has the wrong sign"),
        (lambda a, b: a**2 / 10 + 2 * b**2, "two components"),
        (lambda a, b: (a**2 / 5, 4 * b), "kept the square"),
        (lambda a, b: (a / 5, 8 * b), "dC/dv2 is off by a constant factor: 2 times"),
    ],
    "sgd_step": [
        (lambda v, g, lr: v + lr * g, "went uphill"),
        (lambda v, g, lr: v - g, "ignored the learning rate"),
        (lambda v, g, lr: v - lr, "subtracted lambda alone"),
        (lambda v, g, lr: -lr * g, "returned the step"),
        (lambda v, g, lr: v - g / lr, "divided by lambda"),
        (lambda v, g, lr: v.__isub__(lr * g), "changed its input v in place"),
    ],
    "nll_delta": [
        (lambda o, y: o - _onehot(o, y), "missing the 1/N"),
        (lambda o, y: (_onehot(o, y) - o) / len(y), "wrong sign"),
        (lambda o, y: (o - _onehot(o, y)) / len(y) ** 2, "divided by N = 5 once too often"),
        (lambda o, y: -_onehot(o, y) / o / len(y), "that is dL/do"),
        (lambda o, y: o / len(y), "forgot to subtract the one-hot labels"),
        (lambda o, y: (o - y[:, None]) / len(y), "subtracted the label numbers"),
        (lambda o, y: (o - y) / len(y), "turn them into one-hot rows"),
        (lambda o, y: (o - np.eye(10)[y]) / len(y), "take K from o.shape[1], not 10"),
        (lambda o, y: (o - 1) / len(y), "subtracted 1 everywhere"),
        (_delta_in_place, "changed its input o in place"),
        (lambda o, y: ((o - _onehot(o, y)) / len(y)).T, "transposed"),
    ],
    "output_layer_grads": [
        (_replace(S.output_layer_grads, 0, lambda h, W, d: d.T @ h), "transposed"),
        (_replace(S.output_layer_grads, 0, lambda h, W, d: h.T @ d / len(h)),
         "divided by N: the 1/N is already inside delta"),
        (_replace(S.output_layer_grads, 1, lambda h, W, d: d.mean(axis=0)), "averaged"),
        (_replace(S.output_layer_grads, 1, lambda h, W, d: d), "not summed"),
        (_replace(S.output_layer_grads, 1, lambda h, W, d: d.sum(axis=1)), "over the outputs"),
        (_replace(S.output_layer_grads, 2, lambda h, W, d: d @ W), "multiplied by W2"),
        (_replace(S.output_layer_grads, 2, lambda h, W, d: -(d @ W.T)), "wrong sign"),
        (_replace(S.output_layer_grads, 1, lambda h, W, d: None), "grad_b2 is None"),
        (_replace(S.output_layer_grads, 1, lambda h, W, d: np.zeros(d.shape[1])),
         "grad_b2 is all zeros"),
        (_reorder(S.output_layer_grads, (1, 0, 2)), "in the wrong order"),
        (lambda h, W, d: S.output_layer_grads(h, W, d)[:2], "returned 2 values"),
    ],
    "hidden_layer_grads": [
        (lambda x, h, gh: S.hidden_layer_grads(x, act.sigmoid(h), gh), "applied sigma' to h"),
        (lambda x, h, gh: (x.T @ (gh * h), (gh * h).sum(axis=0)), "missing the factor (1 - h)"),
        (lambda x, h, gh: (x.T @ (gh * (1 - h)), (gh * (1 - h)).sum(axis=0)),
         "missing the factor h"),
        (lambda x, h, gh: (x.T @ (h * (1 - h)), (h * (1 - h)).sum(axis=0)), "forgot dL/dh"),
        (lambda x, h, gh: (x.T @ gh, gh.sum(axis=0)), "skipped the sigmoid"),
        (_replace(S.hidden_layer_grads, 0, lambda x, h, gh: (gh * h * (1 - h)).T @ x),
         "transposed"),
        (_replace(S.hidden_layer_grads, 1, lambda x, h, gh: (gh * h * (1 - h)).mean(axis=0)),
         "averaged over the examples"),
        (_reorder(S.hidden_layer_grads, (1, 0)), "in the wrong order"),
        (_replace(S.hidden_layer_grads, 1, lambda x, h, gh: None), "grad_b1 is None"),
    ],
    "backward": [
        (_reorder(S.backward, (2, 3, 0, 1)), "in the wrong order"),
        (_backward_no_mean, "missing the 1/N"),
        (_backward_no_sigmoid, "without its derivative"),
        (_replace(S.backward, 1, lambda p, x, y, h, o: np.zeros(p[1].shape)),
         "grad_b1 is all zeros"),
        (_replace(S.backward, 3, lambda p, x, y, h, o: None), "grad_b2 is None"),
        (lambda p, x, y, h, o: S.backward(p, x, y, h, o)[:3], "returned 3 values"),
        (lambda p, x, y, h, o: [-g for g in S.backward(p, x, y, h, o)], "wrong sign"),
    ],
    "train_epoch": [
        (_epoch(order=lambda n, rng: np.arange(n)), "did not shuffle"),
        (_epoch(skip_last=True), "skipped the last 2 examples"),
        (_epoch(whole=True), "took one step on all the examples at once"),
        (_epoch(order=lambda n, rng: np.random.permutation(n)),
         "two epochs from the same rng seed ended with different weights"),
        (_epoch(assign=False), "the weights did not change"),
        (lambda params, x, y, lr, bs, rng: None, "returned None"),
    ],
}

#: exercise -> [(what it is, another right answer the checker must accept)]
RIGHT = {
    "decide": [
        ("np.where", lambda w, x, t: np.where(x @ w >= t, 1, 0)),
        ("booleans", lambda w, x, t: x @ w >= t),
        ("bias form with np.heaviside", lambda w, x, t: np.heaviside(x @ w - t, 1)),
        ("np.dot", lambda w, x, t: (np.dot(x, w) >= t) * 1),
    ],
    "rosenblatt_update": [
        ("np.heaviside(z, 1)", _update_numpy_step),
    ],
    "sigmoid": [
        ("split by sign, masks", _sigmoid_by_parts),
        ("scipy.special.expit", special.expit),
        ("tanh identity", lambda z: 0.5 * (1 + np.tanh(z / 2))),
        ("exp(-logaddexp(0, -z))", lambda z: np.exp(-np.logaddexp(0, -z))),
    ],
    "sigmoid_prime": [
        ("steepest's sigmoid", lambda z: sig(z) * (1 - sig(z))),
        ("sigma - sigma²", lambda z: sig(z) - sig(z) ** 2),
        ("expit", lambda z: special.expit(z) * special.expit(-z)),
        ("via tanh", lambda z: (1 - np.tanh(z / 2) ** 2) / 4),
    ],
    "softmax": [
        ("log-sum-exp", _softmax_logsumexp),
        ("scipy.special.softmax", lambda z: special.softmax(z, axis=1)),
        ("exp of log_softmax", lambda z: np.exp(z - special.logsumexp(z, axis=1, keepdims=True))),
        ("max over axis -1", lambda z: np.exp(z - z.max(-1, keepdims=True))
         / np.exp(z - z.max(-1, keepdims=True)).sum(-1, keepdims=True)),
    ],
    "one_hot": [
        ("np.eye", lambda y, k: np.eye(k)[y]),
        ("comparison", lambda y, k: (y[:, None] == np.arange(k)).astype(float)),
        ("booleans", lambda y, k: y[:, None] == np.arange(k)),
        ("integers", lambda y, k: np.eye(k, dtype=int)[y]),
        ("Python lists", lambda y, k: [[1.0 if j == label else 0.0 for j in range(k)]
                                       for label in y]),
    ],
    "init_network": [
        ("rng.normal(0, 1, shape)", _init_with_normal),
        ("rng.standard_normal", S.init_network),
    ],
    "count_parameters": [
        ("a loop", lambda s: sum(s[i] * s[i + 1] + s[i + 1] for i in range(len(s) - 1))),
        ("numpy", lambda s: int(np.sum(np.array(s[:-1]) * np.array(s[1:]) + np.array(s[1:])))),
    ],
    "forward": [
        ("steepest's activations", lambda p, x: (act.sigmoid(x @ p[0] + p[1]),
                                                  act.softmax(act.sigmoid(x @ p[0] + p[1]) @ p[2]
                                                              + p[3]))),
        ("a list", lambda p, x: list(S.forward(p, x))),
        ("np.dot", lambda p, x: S.forward(p, x)),
    ],
    "nll": [
        ("the lecture's -y . log o",
         lambda o, y: np.mean(-(_onehot(o, y) * np.log(o)).sum(axis=1))),
        ("take_along_axis", lambda o, y: -np.log(np.take_along_axis(o, y[:, None], 1)).mean()),
        ("a float", lambda o, y: float(-np.log(o[range(len(y)), y]).sum() / len(y))),
    ],
    "valley_gradient": [
        ("an array", lambda a, b: np.array([a / 5, 4 * b])),
        ("a list", lambda a, b: [2 * a / 10, 4 * b]),
    ],
    "sgd_step": [
        ("np.subtract", lambda v, g, lr: np.subtract(v, lr * g)),
        ("copy then subtract", lambda v, g, lr: v.copy().__isub__(lr * g)),
    ],
    "nll_delta": [
        ("subtract 1 at the label", lambda o, y: _delta_in_place(o.copy(), y)),
        ("one-hot by comparison", lambda o, y: (o - (y[:, None] == np.arange(o.shape[1])))
         / len(y)),
    ],
    "output_layer_grads": [
        ("einsum", lambda h, W, d: (np.einsum("ni,nk->ik", h, d), d.sum(0), d @ W.T)),
        ("a list", lambda h, W, d: list(S.output_layer_grads(h, W, d))),
    ],
    "hidden_layer_grads": [
        ("sigmoid' from steepest", lambda x, h, gh: (x.T @ (gh * h * (1 - h)),
                                                      np.sum(gh * h * (1 - h), axis=0))),
    ],
    "backward": [
        ("a tuple", lambda p, x, y, h, o: tuple(S.backward(p, x, y, h, o))),
        ("in one function", lambda p, x, y, h, o: _backward_inline(p, x, y, h, o)),
    ],
    "train_epoch": [
        ("in place", _epoch_in_place),
        ("rng.shuffle", _epoch(order=lambda n, rng: _shuffled(n, rng))),
    ],
}


def _shuffled(n, rng):
    order = np.arange(n)
    rng.shuffle(order)  # the same draws as rng.permutation(n)
    return order


def _backward_inline(params, x, y, h, o):
    W1, b1, W2, b2 = params
    delta = (o - np.eye(o.shape[1])[y]) / len(y)
    grad_z = (delta @ W2.T) * h * (1 - h)
    return [x.T @ grad_z, grad_z.sum(0), h.T @ delta, delta.sum(0)]
