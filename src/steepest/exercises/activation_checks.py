"""Checkers for notebook 2: a stable sigmoid, its derivative and a stable softmax."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from .. import activations as act
from .feedback import CheckResult, Wrong, call, compare, no_warnings, run_check

#: float32 answers computed another right way (e.g. exp(z - logsumexp(z))) differ from
#: steepest's in the last digits: compare them at float32's precision.
FLOAT32_TOL = {"rtol": 1e-4, "atol": 1e-7}

#: Step of the central differences (float64: error ~ EPS**2 + 1e-16 / EPS ~ 1e-10).
EPS = 1e-6

#: Inputs far out on both sides, where textbook formulas overflow.
LARGE_Z = np.array([-1000.0, -100.0, -50.0, -1.0, 0.0, 1.0, 50.0, 100.0, 1000.0])


def central_difference(f: Callable[[np.ndarray], np.ndarray], z: np.ndarray) -> np.ndarray:
    """``(f(z + eps) - f(z - eps)) / 2 eps`` elementwise: f' for an elementwise f."""
    return (f(z + EPS) - f(z - EPS)) / (2 * EPS)


def _grid_and_large(fn: Callable, reference: Callable, what: str) -> list[tuple[list[str], str]]:
    """``fn`` against ``reference`` on a (3, 4) array and at ``z = ±1000`` in float64 and float32.

    Returns, for each of the two large inputs, the warnings ``fn`` raised and
    where (a value that came out right may still have overflowed on the way).
    """
    grid = np.linspace(-8, 8, 161)[:12].reshape(3, 4)
    got, _ = call(fn, grid, names=("z",))
    compare(got, reference(grid), f"{what} of a (3, 4) array")
    warned = []
    for dtype in (np.float64, np.float32):
        big = LARGE_Z.astype(dtype)
        got, caught = call(fn, big, names=("z",))
        where = f"z = ±1000 in {np.dtype(dtype).name}"
        compare(got, reference(big).astype(np.float64), f"{what}(z)", large=where)
        warned.append((caught, where))
    return warned


def _source(fn: Callable) -> str:
    """The learner's source code, where Python can find it ("" where it cannot)."""
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return ""


def check_sigmoid(fn: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check ``fn(z) = 1 / (1 + e^-z)``, elementwise, without overflow at ``z = ±1000``.

    Compared with :func:`steepest.activations.sigmoid` on 161 points in
    [-8, 8], on a 2-D array, and at ``z = ±1000`` in float64 and float32, where
    the textbook formula's ``e^1000`` overflows (NumPy warns; in a network the
    warning becomes a NaN as soon as something is multiplied by it).
    """

    def body() -> str:
        z = np.linspace(-8, 8, 161)
        got, _ = call(fn, z, names=("z",), hints=SCALAR_HINT)
        compare(got, act.sigmoid(z), "sigmoid(z)", known=[
            (act.sigmoid(-z), "that is 1 / (1 + e^z) = sigma(-z) = 1 - sigma(z): the "
                              "exponent is -z"),
            (1 + np.exp(-z), "that is 1 + e^-z: sigma is one over it"),
            (np.tanh(z), "that is tanh(z), which runs from -1 to 1; sigma runs from 0 to 1"),
            (act.sigmoid(np.abs(z)), "that is sigma(|z|): right for z >= 0, but for z < 0 the "
                                     "stable form has e on top: e / (1 + e), with e = e^-|z|"),
        ])
        for caught, where in _grid_and_large(fn, act.sigmoid, "sigmoid"):
            if caught:
                why = ("np.where computes both of its branches for every z, so e^1000 was "
                       "computed anyway" if "where" in _source(fn) else "e^1000 is inf")
                raise Wrong(f"sigmoid(z) overflows at large inputs ({where}): NumPy warned "
                            f"{caught[0]!r}. The values came out right, but {why}: only ever "
                            "exponentiate -|z|, since for z < 0, sigma(z) = e^z / (1 + e^z)")
        return ("matches steepest.activations.sigmoid on 161 points in [-8, 8] and on a "
                "(3, 4) array; finite and quiet at z = ±1000 in float64 and float32")

    return run_check("sigmoid", body)


def check_sigmoid_prime(fn: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check ``fn(z) = sigma'(z)``, elementwise, for any array ``z``.

    Compared with :func:`steepest.activations.sigmoid_prime` and with central
    differences of :func:`steepest.activations.sigmoid` on 161 points in
    [-8, 8], on a 2-D array, and at ``z = ±1000`` in float64 and float32.
    """

    def body() -> str:
        z = np.linspace(-8, 8, 161)
        want = act.sigmoid_prime(z)
        numeric = central_difference(act.sigmoid, z)
        s = act.sigmoid(z)
        got, _ = call(fn, z, names=("z",))
        compare(got, want, "sigmoid_prime(z)", known=[
            (s, "that is sigma(z) itself; its derivative is sigma(z) (1 - sigma(z))"),
            (z * (1 - z), "that is z (1 - z): the derivative is sigma(z) (1 - sigma(z)); "
                          "a (1 - a) holds for the output a = sigma(z), not for z"),
            (s * (1 - z), "that is sigma(z) (1 - z): both factors are sigma, "
                          "sigma(z) (1 - sigma(z))"),
            (z * (1 - s), "that is z (1 - sigma(z)): both factors are sigma, "
                          "sigma(z) (1 - sigma(z))"),
            (s * (1 + s), "that is sigma (1 + sigma); the derivative is sigma (1 - sigma)"),
            (1 - s, "that is 1 - sigma(z); multiply by sigma(z) too"),
        ])
        gap = float(np.max(np.abs(np.asarray(got, dtype=np.float64) - numeric)))
        if gap > 1e-6:  # cannot happen when it matches steepest, whose own test this is too
            raise Wrong(f"sigmoid_prime(z) differs from central differences by {gap:.3g}")
        for caught, where in _grid_and_large(fn, act.sigmoid_prime, "sigmoid_prime"):
            no_warnings(caught, "sigmoid_prime(z)", where)
        return (f"matches steepest.activations.sigmoid_prime on 161 points in [-8, 8] and "
                f"central differences of sigmoid to {gap:.1e}; keeps the shape of a 2-D "
                "array; finite and quiet at z = ±1000 in float64 and float32")

    return run_check("sigmoid_prime", body)


#: What a TypeError from math.exp means in an elementwise function.
SCALAR_HINT = {"scalar": "math.exp takes one number: np.exp works on every entry of the "
                         "array z at once"}

#: What a broadcasting error means in a softmax.
ROW_HINT = {"broadcast": "a row's maximum or sum has shape (N,); keep it as (N, 1) with "
                         "keepdims=True so that it lines up with z (N, K)"}


def check_softmax(fn: Callable[[np.ndarray], np.ndarray]) -> CheckResult:
    """Check ``fn(z)``: the softmax of each row of ``z`` (N, K), stable at large inputs.

    Compared with :func:`steepest.activations.softmax` on random logits, on
    rows of ±1000 (and 10,000) in float64 and float32, and on a batch whose
    rows are far apart.  The input must come back unchanged.
    """

    def body() -> str:
        z = np.random.default_rng(0).normal(size=(4, 3)) * 2
        e = np.exp(z)
        shifted = np.exp(z - z.max(axis=1, keepdims=True))
        by_column = np.exp(z - z.max(axis=0, keepdims=True))
        got, _ = call(fn, z, names=("z",), hints=ROW_HINT)
        compare(got, act.softmax(z), "softmax(z)", known=[
            (act.softmax(z, axis=0), "each column sums to 1, but each row is one example: "
                                     "normalise along axis=1"),
            (e / e.sum(), "divided by the sum over the whole batch: each row (one example) "
                          "must sum to 1 on its own (sum along axis=1, keepdims=True)"),
            (e, "exponentiated but not normalised: divide by each row's sum"),
            (np.exp(z - z.max(axis=1, keepdims=True)), "exponentiated but not normalised: "
                                                       "divide by each row's sum"),
            (act.log_softmax(z), "that is log(softmax(z)); softmax is its exp"),
            (shifted / shifted.sum(), "divided by the sum over the whole batch: each row (one "
                                      "example) must sum to 1 on its own (sum along axis=1, "
                                      "keepdims=True)"),
            (by_column / by_column.sum(axis=1, keepdims=True),
             "subtracted each column's maximum (axis=0): the constant must be the same across "
             "a row (one example), so take each row's: z.max(axis=1, keepdims=True)"),
        ])
        large = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0],
                          [0.0, 0.0, 0.0], [1e4, 0.0, -1e4]])
        for dtype in (np.float64, np.float32):
            big = large.astype(dtype)
            got, caught = call(fn, big, names=("z",), hints=ROW_HINT)
            where = f"rows like (1000, 999, 998) and (-1000, -1001, -999) in {np.dtype(dtype).name}"
            with np.errstate(all="ignore"):
                global_max = np.exp(big - big.max())
                global_max = global_max / global_max.sum(axis=1, keepdims=True)
            tol = FLOAT32_TOL if dtype == np.float32 else {}
            compare(got, act.softmax(big).astype(np.float64), "softmax(z)", large=where, known=[
                (global_max, "subtracted the largest entry of the whole batch, not each row's: "
                             "a row far below it underflows to 0 / 0 = nan; use "
                             "z.max(axis=1, keepdims=True)"),
            ], **tol)
            no_warnings(caught, "softmax(z)", where)
        return ("matches steepest.activations.softmax; every row sums to 1; stable at "
                "±1000 and ±10,000 in float64 and float32; leaves z unchanged")

    return run_check("softmax", body)
