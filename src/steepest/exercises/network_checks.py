"""Checkers for notebook 4: N(0, 1) initialisation, parameter counts, the whole forward pass."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import activations as act
from ..network import Network
from . import solutions
from .feedback import CheckResult, Wrong, as_array, call, compare, run_check, unpack

LECTURE = (784, 15, 10)
NAMES = ("W1", "b1", "W2", "b2")


def _shapes(sizes) -> list[tuple[int, ...]]:
    n_in, n_hidden, n_out = sizes
    return [(n_in, n_hidden), (n_hidden,), (n_hidden, n_out), (n_out,)]


def _params(got: object, sizes) -> list[np.ndarray]:
    """The learner's ``[W1, b1, W2, b2]``, with the lecture's shapes named when used."""
    if not isinstance(got, (list, tuple)) or len(got) != 4:
        raise Wrong(f"init_network({sizes}, rng) should return a list of four arrays, "
                    f"[W1, b1, W2, b2]; got {type(got).__name__}"
                    + (f" of length {len(got)}" if isinstance(got, (list, tuple)) else ""))
    arrays = []
    for name, g, shape in zip(NAMES, got, _shapes(sizes)):
        a = as_array(g, name, np.zeros(shape))
        if a.shape != shape:
            if a.shape == shape[::-1] and len(shape) == 2:
                raise Wrong(f"{name} has shape {a.shape}, the lecture's {shape[1]} x {shape[0]} "
                            f"matrix for column vectors; here rows are examples, so {name} is "
                            f"{shape} (the lecture's matrix transposed) and a layer is x @ {name}")
            if a.shape == (shape[0], 1):
                raise Wrong(f"{name} has shape {a.shape}, a column as in the lecture; here it "
                            f"is {shape}, so that x @ W + {name} adds it to every row")
            order = [s for s in _shapes(sizes)]
            if sorted(map(str, (np.shape(x) for x in got))) == sorted(map(str, order)):
                raise Wrong(f"init_network returns the arrays in the wrong order (shapes "
                            f"{[np.shape(x) for x in got]}); return [W1, b1, W2, b2] with shapes "
                            f"{order}")
            raise Wrong(f"{name} has shape {a.shape}; for sizes {sizes} it is {shape}")
        arrays.append(a)
    return arrays


def _distribution(values: np.ndarray, W1: np.ndarray) -> None:
    """Raise :class:`Wrong` unless ``values`` look like draws from N(0, 1)."""
    mean, std = float(values.mean()), float(values.std())
    inside = float(np.mean(np.abs(values) < 1))  # 0.683 for N(0, 1)
    n_in = W1.shape[0]
    if abs(float(W1.std()) - 1 / np.sqrt(n_in)) < 0.2 / np.sqrt(n_in):
        std = float(W1.std())
        raise Wrong(f"the weights have standard deviation {std:.4f} = 1/sqrt({n_in}): that is the "
                    "scaled initialisation (our choice in ladder rung 2), but the lecture draws "
                    "every weight and bias from N(0, 1)")
    if values.min() >= 0 and abs(mean - 0.5) < 0.05:
        raise Wrong(f"every value is in [0, 1), mean {mean:.3f}: rng.random draws uniformly; "
                    "N(0, 1) is rng.standard_normal(shape) (or rng.normal(0, 1, shape))")
    if abs(mean) > 0.05 or abs(std - 1) > 0.05:
        raise Wrong(f"the weights and biases have mean {mean:.3f} and standard deviation "
                    f"{std:.3f}; N(0, 1) has mean 0 and standard deviation 1")
    if abs(inside - 0.683) > 0.03:
        raise Wrong(f"mean 0 and standard deviation 1, but {inside:.1%} of the values lie in "
                    "(-1, 1), where a normal distribution puts 68.3%: draw from N(0, 1) "
                    "(rng.standard_normal), not another distribution")


def check_init_network(fn: Callable) -> CheckResult:
    """Check ``fn(sizes, rng) = [W1, b1, W2, b2]``, every entry drawn from N(0, 1) by ``rng``.

    Shapes for the lecture's 784-15-10 and for 5-4-3 (rows are examples:
    ``W1`` is ``(784, 15)``); the 11,935 values' mean, standard deviation and
    share within one standard deviation; biases drawn too (the lecture draws
    "all of our weights and bias" from N(0, 1)); and the same seed giving the
    same weights, another seed others.
    """

    def body() -> str:
        for sizes in (LECTURE, (5, 4, 3)):
            got, _ = call(fn, sizes, np.random.default_rng(0), names=("sizes",))
            params = _params(got, sizes)
        params = _params(call(fn, LECTURE, np.random.default_rng(0), names=("sizes",))[0], LECTURE)
        for name, p in zip(NAMES, params):
            if not p.any():
                raise Wrong(f"{name} is all zeros: the lecture draws all the weights and biases "
                            "from N(0, 1)")
        _distribution(np.concatenate([p.ravel() for p in params]), params[0])
        again = _params(call(fn, LECTURE, np.random.default_rng(0), names=("sizes",))[0], LECTURE)
        if not all(np.array_equal(a, b) for a, b in zip(params, again)):
            raise Wrong("two calls with np.random.default_rng(0) gave different weights: draw "
                        "every number from the rng you are given (rng.standard_normal), not "
                        "from np.random, so that the same seed gives the same network")
        other = _params(call(fn, LECTURE, np.random.default_rng(1), names=("sizes",))[0], LECTURE)
        if all(np.array_equal(a, b) for a, b in zip(params, other)):
            raise Wrong("seeds 0 and 1 gave the same weights: draw them from the rng argument")
        net = Network(LECTURE, rng=np.random.default_rng(0), dtype=np.float64)
        same = all(np.array_equal(a, b) for a, b in zip(params, net.get_weights()))
        return ("shapes (784, 15), (15,), (15, 10), (10,) and the same for 5-4-3; 11,935 values "
                "with mean 0 and standard deviation 1, biases included; same seed, same weights"
                + (" -- the very numbers steepest's Network draws from the same seed"
                   if same else ""))

    return run_check("init_network", body)


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


def _forward_case(sizes, n: int, scale: float, seed: int):
    rng = np.random.default_rng(seed)
    params = solutions.init_network(sizes, rng)
    x = rng.random((n, sizes[0])) * scale  # pixels in [0, 1] (times scale)
    net = Network(sizes, rng=rng, dtype=np.float64)
    net.set_weights(params)
    o = net.forward(x).copy()
    return params, x, net.layers[0].a.copy(), o


def check_forward(fn: Callable) -> CheckResult:
    """Check ``fn(params, x) = (h, o)``: the lecture's forward pass for a batch ``x`` (N, n_in).

    ``h = sigmoid(x W1 + b1)`` and ``o = softmax(h W2 + b2)``, compared with
    :meth:`steepest.network.Network.forward` holding the same weights: a
    square 6-6-6 network (where a transposed matrix still fits, so using one
    is named), the lecture's 784-15-10 on pixels in [0, 1], and the same with
    pixels times 60, where ``|z|`` reaches hundreds and a textbook sigmoid or
    softmax overflows.
    """

    def body() -> str:
        for sizes, scale, large in (((6, 6, 6), 1.0, ""), (LECTURE, 1.0, ""),
                                    (LECTURE, 60.0, "pixels times 60, so |z| reaches hundreds")):
            params, x, h, o = _forward_case(sizes, 5, scale, seed=7)
            W1, b1, W2, b2 = params
            copies = [p.copy() for p in params]
            got, caught = call(fn, copies, x, names=("params", "x"))
            if not all(np.array_equal(a, b) for a, b in zip(copies, params)):
                raise Wrong("forward changed the weights in params: it only reads them")
            what = f"forward for a {sizes[0]}-{sizes[1]}-{sizes[2]} network"
            got_h, got_o = unpack(got, what, ("h", "o"), [h, o])
            z, f = x @ W1 + b1, h @ W2 + b2
            square = sizes[0] == sizes[1] == sizes[2]  # W.T fits too: name using it
            compare(got_h, h, f"{what}: h", large=large, known=[
                (z, "h is z = x W1 + b1: apply the sigmoid, h = sigmoid(z)"),
                (act.sigmoid(x @ W1), "h: forgot the bias b1, h = sigmoid(x W1 + b1)"),
                (act.softmax(z), "h: the hidden layer uses the sigmoid, not softmax"),
            ] + ([(act.sigmoid(x @ W1.T + b1), "h: used W1.T; rows are examples, so the layer "
                                               "is x @ W1 with W1 of shape (n_in, n_hidden)")]
                 if square else []))
            compare(got_o, o, f"{what}: o", large=large, known=[
                (f, "o is the logits f = h W2 + b2: apply softmax so that each row is "
                    "probabilities summing to 1"),
                (act.sigmoid(f), "o: the output layer uses softmax, not the sigmoid (each row "
                                 "must sum to 1)"),
                (act.softmax(f, axis=0), "o: softmax along each row (axis=1), one example per "
                                         "row"),
                (act.softmax(h @ W2), "o: forgot the bias b2, o = softmax(h W2 + b2)"),
            ] + ([(act.softmax(h @ W2.T + b2), "o: used W2.T; the layer is h @ W2")]
                 if square else []))
            if large and caught:
                raise Wrong(f"{what}: overflows at large inputs ({large}): NumPy warned "
                            f"{caught[0]!r}. Use your stable sigmoid and softmax from notebook 2")
        return ("h and o match steepest's Network.forward for a square 6-6-6 network and for "
                "784-15-10, and stay finite and quiet where |z| reaches hundreds")

    return run_check("forward", body)
