"""Checkers for notebook 7: each layer's gradients, and the whole backward pass.

Every gradient is compared with steepest's own backpropagation
(:class:`steepest.network.Dense`, :meth:`steepest.network.Network.backward`)
and with central differences, so a right answer is right twice over.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .. import activations as act
from ..gradcheck import numerical_gradient
from ..losses import NLL
from ..network import Dense, Network
from . import solutions
from .feedback import CheckResult, Wrong, call, compare, run_check, unpack

#: Batch size in the checks: different from every layer size, so that a
#: transposed matrix shows up as a wrong shape.
N = 4

BIAS_HINTS = {
    "grad_b2": "dL/db2 = sum over the examples of the output error delta, one number per output",
    "grad_b1": "dL/db1 = sum over the examples of dL/dz, one number per hidden unit",
}


def _numeric(loss: Callable[[], float], *arrays: np.ndarray) -> list[np.ndarray]:
    return [numerical_gradient(loss, a) for a in arrays]


def check_output_layer_grads(fn: Callable) -> CheckResult:
    """Check ``fn(h, W2, delta) = (dL/dW2, dL/db2, dL/dh)`` for ``f = h W2 + b2``.

    ``delta`` is ``dL/df`` (N, K).  Compared with :meth:`Dense.backward_z` and
    with central differences of ``L = sum(delta * (h W2 + b2))``, for a square
    3 -> 3 layer (where ``W2`` and ``W2.T`` fit alike, so using the wrong one
    is named) and a 5 -> 3 one.
    """

    def body() -> str:
        for n_hidden in (3, 5):
            rng = np.random.default_rng(3)
            h, W2 = rng.random((N, n_hidden)), rng.normal(size=(n_hidden, 3))  # (4, n), (n, 3)
            b2 = rng.normal(size=3)
            delta = rng.normal(size=(N, 3))
            layer = Dense(n_hidden, 3, "identity", rng, dtype=np.float64)
            layer.W.value[...], layer.b.value[...], layer.x = W2, b2, h
            grad_h = layer.backward_z(delta).copy()
            want = [layer.W.grad.copy(), layer.b.grad.copy(), grad_h]
            hv, Wv, bv = h.copy(), W2.copy(), b2.copy()
            numeric = _numeric(lambda: float(np.sum(delta * (hv @ Wv + bv))), Wv, bv, hv)  # noqa: B023
            got, _ = call(fn, h, W2, delta, names=("h", "W2", "delta"))
            what = f"output_layer_grads ({n_hidden} -> 3)"
            arrays = unpack(got, what, ("grad_W2", "grad_b2", "grad_h"), want, BIAS_HINTS)
            known = [
                [(delta.T @ h, "transposed: dL/dW2 = h.T @ delta has W2's shape (n_hidden, K)"),
                 (h.T @ delta / N, "divided by N: the 1/N is already inside delta")],
                [(delta.mean(axis=0), "averaged over the examples: the 1/N is already inside "
                                      "delta, so sum over the rows (axis=0)"),
                 (delta, "not summed: one gradient per bias, so sum delta over the rows "
                         "(axis=0)"),
                 (delta.sum(axis=1), "summed over the outputs (axis=1); sum over the examples "
                                     "(axis=0)")],
                [(delta @ W2, "multiplied by W2; the error goes back through W2.T")]
                if n_hidden == 3 else [],
            ]
            for name, a, w, num, k in zip(("grad_W2", "grad_b2", "grad_h"), arrays, want,
                                          numeric, known):
                compare(a, w, f"{what}: {name}", n=N, known=k)
                if np.max(np.abs(a - num)) > 1e-6:  # cannot happen when it matches steepest
                    raise Wrong(f"{what}: {name} differs from central differences")
        return ("dL/dW2, dL/db2 and dL/dh match steepest's Dense.backward_z and central "
                "differences, for a 3 -> 3 and a 5 -> 3 layer")

    return run_check("output_layer_grads", body)


def check_hidden_layer_grads(fn: Callable) -> CheckResult:
    """Check ``fn(x, h, grad_h) = (dL/dW1, dL/db1)`` for ``h = sigmoid(x W1 + b1)``.

    Compared with steepest's sigmoid layer (:meth:`Dense.backward`) and with
    central differences of ``L = sum(grad_h * sigmoid(x W1 + b1))``, for a
    square 3 -> 3 layer and a 6 -> 3 one.
    """

    def body() -> str:
        for n_in in (3, 6):
            rng = np.random.default_rng(4)
            x, W1, b1 = rng.random((N, n_in)), rng.normal(size=(n_in, 3)) * 2, rng.normal(size=3)
            grad_h = rng.normal(size=(N, 3))
            layer = Dense(n_in, 3, "sigmoid", rng, dtype=np.float64)
            layer.W.value[...], layer.b.value[...] = W1, b1
            h = layer.forward(x).copy()
            layer.backward(grad_h)
            want = [layer.W.grad.copy(), layer.b.grad.copy()]
            xv, Wv, bv = x.copy(), W1.copy(), b1.copy()
            numeric = _numeric(lambda: float(np.sum(grad_h * act.sigmoid(xv @ Wv + bv))), Wv, bv)  # noqa: B023
            got, _ = call(fn, x, h, grad_h, names=("x", "h", "grad_h"))
            what = f"hidden_layer_grads ({n_in} -> 3)"
            arrays = unpack(got, what, ("grad_W1", "grad_b1"), want, BIAS_HINTS)
            wrong_z = {
                "applied sigma' to h, but h is already sigma(z): sigma'(z) = h (1 - h)":
                    grad_h * act.sigmoid_prime(h),
                "missing the factor (1 - h): sigma'(z) = h (1 - h)": grad_h * h,
                "missing the factor h: sigma'(z) = h (1 - h)": grad_h * (1 - h),
                "forgot dL/dh: the chain rule multiplies sigma'(z) by it": h * (1 - h),
                "skipped the sigmoid: dL/dz = dL/dh * h (1 - h) before the weights": grad_h,
            }
            compare(arrays[0], want[0], f"{what}: grad_W1", n=N, known=[
                (x.T @ gz, message) for message, gz in wrong_z.items()] + [
                ((grad_h * h * (1 - h)).T @ x, "transposed: dL/dW1 = x.T @ dL/dz has W1's shape")])
            compare(arrays[1], want[1], f"{what}: grad_b1", n=N, known=[
                (gz.sum(axis=0), message) for message, gz in wrong_z.items()] + [
                ((grad_h * h * (1 - h)).mean(axis=0), "averaged over the examples: sum them "
                                                      "(the 1/N is already inside dL/dh)")])
            for name, a, num in zip(("grad_W1", "grad_b1"), arrays, numeric):
                if np.max(np.abs(a - num)) > 1e-6:  # cannot happen when it matches steepest
                    raise Wrong(f"{what}: {name} differs from central differences")
        return ("dL/dW1 and dL/db1 match steepest's sigmoid layer and central differences, for "
                "a 3 -> 3 and a 6 -> 3 layer")

    return run_check("hidden_layer_grads", body)


def _backward_case(sizes, n: int, seed: int):
    rng = np.random.default_rng(seed)
    params = solutions.init_network(sizes, rng)
    x, y = rng.random((n, sizes[0])), rng.integers(0, sizes[-1], size=n)
    net = Network(sizes, rng=rng, dtype=np.float64)
    net.set_weights(params)
    o = net.forward(x).copy()
    h = net.layers[0].a.copy()
    net.backward(NLL.delta(o, y))
    return params, x, y, h, o, [p.grad.copy() for p in net.parameters()]


def check_backward(fn: Callable) -> CheckResult:
    """Check ``fn(params, x, y, h, o) = [dL/dW1, dL/db1, dL/dW2, dL/db2]``.

    The whole backward pass of the mean NLL, given the forward pass's ``h``
    and ``o``, compared with :meth:`steepest.network.Network.backward` for the
    lecture's 784-15-10 on 8 examples, and with central differences of the
    loss for every parameter of a 6-5-4 network.
    """

    def body() -> str:
        names = ("grad_W1", "grad_b1", "grad_W2", "grad_b2")
        for sizes in ((6, 5, 4), (784, 15, 10)):
            params, x, y, h, o, want = _backward_case(sizes, 8, seed=5)
            copies = [p.copy() for p in params]
            got, _ = call(fn, copies, x, y, h, o, names=("params", "x", "y", "h", "o"))
            what = f"backward for a {sizes[0]}-{sizes[1]}-{sizes[2]} network"
            arrays = unpack(got, what, names, want, BIAS_HINTS)
            grad_h = NLL.delta(o, y) @ params[2].T  # what the hidden layer receives
            no_sigmoid = [x.T @ grad_h, grad_h.sum(axis=0)]  # with sigma' left out
            for i, (name, a, w) in enumerate(zip(names, arrays, want)):
                known = [(no_sigmoid[i], "went back through the sigmoid without its "
                                         "derivative: dL/dz = dL/dh * h (1 - h)")] if i < 2 else []
                compare(a, w, f"{what}: {name}", n=len(x), known=known)
            if sizes[0] == 6:  # every parameter against central differences
                net = Network(sizes, rng=np.random.default_rng(0), dtype=np.float64)
                net.set_weights(params)
                values = [p.value for p in net.parameters()]
                numeric = _numeric(lambda: NLL.value(net.forward(x), y), *values)  # noqa: B023
                gap = max(float(np.max(np.abs(a - g))) for a, g in zip(arrays, numeric))
        return (f"all four gradients match steepest's Network.backward for 784-15-10 and "
                f"central differences for every parameter of a 6-5-4 network (largest gap "
                f"{gap:.1e})")

    return run_check("backward", body)
