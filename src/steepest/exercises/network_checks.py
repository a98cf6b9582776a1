"""Checkers for notebooks 4 and 5: a layer's forward pass, parameter counts, backpropagation."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import activations as act
from ..gradcheck import numerical_gradient
from ..losses import NLL, one_hot
from ..network import Dense, Network
from .feedback import CheckResult, Wrong, as_array, call, compare, run_check

#: Shapes of the test batch: N examples, n_in inputs, n_out units (all different,
#: so a transposed matrix shows up as a wrong shape).
N, N_IN, N_OUT = 4, 5, 3


def _batch(seed: int, n_in: int = N_IN, n_out: int = N_OUT):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(N, n_in)), rng.normal(size=(n_in, n_out)), rng.normal(size=n_out)


def check_layer_forward(fn: Callable) -> CheckResult:
    """Check ``fn(x, W, b) = sigmoid(x W + b)`` for a batch ``x`` (N, n_in).

    Compared with :meth:`steepest.network.Dense.forward` given the same ``W``
    and ``b``, for a square layer (where a transposed ``W`` still fits, so
    using it is named) and for one with n_in != n_out.
    """

    def body() -> str:
        # Square first: there W.T has W's shape, so using it is named, not a shape error.
        for n_in in (N_OUT, N_IN):
            x, W, b = _batch(1, n_in)
            layer = Dense(n_in, N_OUT, "sigmoid", np.random.default_rng(0), dtype=np.float64)
            layer.W.value[...], layer.b.value[...] = W, b
            want = layer.forward(x).copy()
            z = x @ W + b
            got, _ = call(fn, x, W, b, names=("x", "W", "b"), hints={
                "broadcast": "b has one entry per unit, shape (n_out,): x @ W + b adds it to "
                             "every row as it is"})
            known = [
                (z, "forgot the activation: that is z = x W + b; the layer outputs sigmoid(z)"),
                (act.sigmoid(x @ W), "forgot the bias: sigmoid(x W + b)"),
                (act.sigmoid(x @ W) + b, "added b after the sigmoid; it goes inside: "
                                         "sigmoid(x W + b)"),
                (act.softmax(z), "applied softmax; this hidden layer uses sigmoid"),
            ]
            if n_in == N_OUT:
                known.append((act.sigmoid(x @ W.T + b), "used W.T: rows are examples, so the "
                              "layer is x @ W with W of shape (n_in, n_out)"))
            compare(got, want, f"layer_forward for x {x.shape}, W {W.shape}", known=known)
        return ("matches steepest.network.Dense.forward for a (4, 3) batch through a square "
                "3 -> 3 layer and a (4, 5) batch through a 5 -> 3 one")

    return run_check("layer_forward", body)


#: Networks whose parameters the count is checked on.
COUNT_SIZES = ((784, 15, 10), (784, 800, 800, 10), (3, 2), (2, 5, 4, 3))


def check_count_parameters(fn: Callable[[Sequence[int]], int]) -> CheckResult:
    """Check ``fn(sizes)``: the number of weights and biases of ``Network(sizes)``.

    Compared with :meth:`steepest.network.Network.num_parameters` for the
    lecture's 784-15-10 and three other shapes.
    """

    def body() -> str:
        for sizes in COUNT_SIZES:
            want = Network(sizes, rng=np.random.default_rng(0)).num_parameters()
            got, _ = call(fn, sizes, names=("sizes",))
            if isinstance(got, bool) or not isinstance(got, (int, np.integer, float)):
                raise Wrong(f"count_parameters({sizes}) returned {got!r}; expected a number")
            if got == want:
                continue
            pairs = list(zip(sizes[:-1], sizes[1:]))
            weights = sum(a * b for a, b in pairs)
            mistakes = {
                weights: "counted the weights only: every unit after the input also has a bias",
                weights + sum(sizes[:-1]): "one bias per input; a layer has one bias per unit "
                                           "it computes (n_out, not n_in)",
                weights + sum(sizes): "gave the input layer biases too: its "
                                      f"{sizes[0]} entries are the inputs, not units",
            }
            raise Wrong(f"count_parameters({sizes}) is {got:,}, expected {want:,}: "
                        + mistakes.get(got, "count n_in * n_out weights and n_out biases "
                                            "for each layer"))
        return ("matches Network.num_parameters() for 784-15-10 (11,935), 784-800-800-10 "
                "(1,276,810) and two small networks")

    return run_check("count_parameters", body)


def _nll_case():
    rng = np.random.default_rng(2)
    f = rng.normal(size=(N, N_OUT)) * 2
    return f, act.softmax(f), np.array([0, 2, 1, 2])


def check_nll_delta(fn: Callable) -> CheckResult:
    """Check ``fn(o, y) = dL/df = (o - onehot(y)) / N`` of the mean negative log-likelihood.

    Compared with :meth:`steepest.losses.NLL.delta` and with central
    differences of :meth:`~steepest.losses.NLL.value` with respect to the
    logits ``f`` (``o = softmax(f)``).
    """

    def body() -> str:
        f, o, y = _nll_case()
        want = NLL.delta(o, y)
        fv = f.copy()
        numeric = numerical_gradient(lambda: NLL.value(act.softmax(fv), y), fv)
        got, _ = call(fn, o, y, names=("o", "y"), hints={
            "broadcast": "y holds N integer labels, shape (N,): turn them into one-hot rows "
                         "(N, K) first, e.g. np.eye(K)[y]"})
        y_hot = one_hot(y, N_OUT, np.float64)
        compare(got, want, "nll_delta(o, y)", n=N, known=[
            (-y_hot / o / N, "that is dL/do, the gradient before the softmax; dL/df goes "
                             "through the softmax too, and is (o - onehot(y)) / N"),
            (o / N, "forgot to subtract the one-hot labels: (o - onehot(y)) / N"),
            ((o - y[:, None]) / N, "subtracted the label numbers y from every column: turn y "
                                   "into one-hot rows first (np.eye(K)[y])"),
        ])
        gap = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - numeric)))
        return (f"matches steepest.losses.NLL.delta and central differences of the loss with "
                f"respect to the logits (largest gap {gap:.1e})")

    return run_check("nll_delta", body)


def _numeric_layer_grads(x, W, b, grad_z):
    """Central differences of L = sum(grad_z * (x W + b)), whose dL/dz is grad_z."""
    x, W, b = x.copy(), W.copy(), b.copy()

    def loss() -> float:
        return float(np.sum(grad_z * (x @ W + b)))

    return [numerical_gradient(loss, v) for v in (W, b, x)]


def check_layer_backward(fn: Callable) -> CheckResult:
    """Check ``fn(x, W, grad_z) = (dL/dW, dL/db, dL/dx)`` for ``z = x W + b``.

    Compared with :meth:`steepest.network.Dense.backward_z` and with central
    differences, for a square 3 -> 3 layer and a 5 -> 3 one.
    """

    def body() -> str:
        for n_in in (N_OUT, N_IN):  # square first, as in check_layer_forward
            x, W, b = _batch(3, n_in)
            grad_z = np.random.default_rng(4).normal(size=(N, N_OUT))
            layer = Dense(n_in, N_OUT, "identity", np.random.default_rng(0), dtype=np.float64)
            layer.W.value[...], layer.b.value[...], layer.x = W, b, x
            grad_x = layer.backward_z(grad_z).copy()
            want = [layer.W.grad.copy(), layer.b.grad.copy(), grad_x]
            numeric = _numeric_layer_grads(x, W, b, grad_z)
            got, _ = call(fn, x, W, grad_z, names=("x", "W", "grad_z"))
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise Wrong("return three arrays, (grad_W, grad_b, grad_x); got "
                            + (f"{len(got)} values" if isinstance(got, (tuple, list))
                               else type(got).__name__))
            known = [
                [],
                [(grad_z.mean(axis=0), "averaged over the examples: the 1/N is already inside "
                                       "dL/dz (the loss's delta), so sum over the rows"),
                 (grad_z, "not summed: one gradient per bias, so sum dL/dz over the rows "
                          "(axis=0)"),
                 (grad_z.sum(axis=1), "summed over the units (axis=1); sum over the examples "
                                      "(axis=0)")],
                [(grad_z @ W, "multiplied by W; the gradient goes back through W.T")]
                if n_in == N_OUT else [],
            ]
            for name, g, w, num, k in zip(("grad_W", "grad_b", "grad_x"), got, want, numeric,
                                          known):
                compare(g, w, f"{name} (layer {n_in} -> {N_OUT})", n=N, known=k)
                gap = float(np.max(np.abs(as_array(g, name, w) - num)))
                if gap > 1e-6:  # cannot happen when it matches steepest; checked all the same
                    raise Wrong(f"{name} differs from central differences by {gap:.3g}")
        return ("grad_W, grad_b and grad_x match steepest.network.Dense.backward_z and "
                "central differences, for a 3 -> 3 and a 5 -> 3 layer")

    return run_check("layer_backward", body)


def check_sigmoid_backward(fn: Callable) -> CheckResult:
    """Check ``fn(grad_h, h) = dL/dz`` through a sigmoid layer ``h = sigma(z)``.

    Compared with ``grad_h * steepest.activations.sigmoid_prime(z)`` and with
    central differences of ``L = sum(grad_h * sigma(z))`` with respect to ``z``.
    """

    def body() -> str:
        rng = np.random.default_rng(5)
        z = rng.normal(size=(N, N_OUT)) * 2
        grad_h = rng.normal(size=(N, N_OUT))
        h = act.sigmoid(z)
        want = grad_h * act.sigmoid_prime(z)
        zv = z.copy()
        numeric = numerical_gradient(lambda: float(np.sum(grad_h * act.sigmoid(zv))), zv)
        got, _ = call(fn, grad_h, h, names=("grad_h", "h"))
        compare(got, want, "sigmoid_backward(grad_h, h)", known=[
            (grad_h * act.sigmoid_prime(h), "applied sigma' to h, but h is already sigma(z): "
                                            "sigma'(z) = h (1 - h)"),
            (grad_h * h, "missing the factor (1 - h): sigma'(z) = h (1 - h)"),
            (grad_h * (1 - h), "missing the factor h: sigma'(z) = h (1 - h)"),
            (h * (1 - h), "forgot dL/dh: the chain rule multiplies it by sigma'(z)"),
        ])
        gap = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - numeric)))
        return (f"matches grad_h * sigmoid_prime(z) and central differences with respect to z "
                f"(largest gap {gap:.1e})")

    return run_check("sigmoid_backward", body)
