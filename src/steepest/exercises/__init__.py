"""The notebooks' "Your turn" exercises: a checker for each, and reference solutions.

A checker calls the learner's function on inputs it chooses, compares the
answer with steepest's own implementation and with central differences, and
returns a :class:`CheckResult` that Jupyter shows as a green or red line
saying exactly what is wrong -- a wrong shape, a transposed matrix, a missing
``1/N``, the wrong sign, an overflow at large inputs -- or what was checked.

=================  ========  ====================================================
exercise           notebook  the learner writes
=================  ========  ====================================================
sigmoid_prime      2         ``sigma'(z)`` for an array ``z``
softmax            2         the softmax of each row, stable at ±1000
layer_forward      4         ``sigmoid(x W + b)`` for a batch
count_parameters   4         weights and biases of a network of given sizes
nll_delta          5         ``dL/df = (o - onehot(y)) / N``
layer_backward     5         ``(dL/dW, dL/db, dL/dx)`` of ``z = x W + b``
sigmoid_backward   5         ``dL/dz`` from ``dL/dh`` through ``h = sigma(z)``
valley_gradient    6         the gradient of ``C = v1²/10 + 2 v2²``
sgd_step           6         ``v - lambda grad C``
=================  ========  ====================================================

>>> from steepest.exercises import check_softmax, solutions
>>> check_softmax(solutions.softmax).passed
True
>>> print(check_softmax(lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)))
✗ softmax: softmax(z) is unstable at large inputs (rows like (1000, 999, 998) and \
(-1000, -1001, -999) in float64): nan at index (0, 0), where the answer is 0.665241; \
an exp overflowed or a division became 0/0
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np  # noqa: F401  (the doctest above uses it)

from . import solutions
from .activation_checks import check_sigmoid_prime, check_softmax
from .descent_checks import check_sgd_step, check_valley_gradient
from .feedback import CheckResult
from .network_checks import (
    check_count_parameters,
    check_layer_backward,
    check_layer_forward,
    check_nll_delta,
    check_sigmoid_backward,
)


@dataclass(frozen=True)
class Exercise:
    """One exercise: its checker, its reference solution and where it is asked."""

    name: str
    notebook: int
    check: Callable[[Callable], CheckResult]
    solution: Callable


def _exercise(name: str, notebook: int, check: Callable[[Callable], CheckResult]) -> Exercise:
    return Exercise(name, notebook, check, getattr(solutions, name))


#: Every exercise, in the notebooks' order.
EXERCISES: dict[str, Exercise] = {e.name: e for e in (
    _exercise("sigmoid_prime", 2, check_sigmoid_prime),
    _exercise("softmax", 2, check_softmax),
    _exercise("layer_forward", 4, check_layer_forward),
    _exercise("count_parameters", 4, check_count_parameters),
    _exercise("nll_delta", 5, check_nll_delta),
    _exercise("layer_backward", 5, check_layer_backward),
    _exercise("sigmoid_backward", 5, check_sigmoid_backward),
    _exercise("valley_gradient", 6, check_valley_gradient),
    _exercise("sgd_step", 6, check_sgd_step),
)}


def solution(name: str) -> str:
    """The reference solution's source, to read when stuck: ``print(solution("softmax"))``.

    >>> print(solution("sgd_step").splitlines()[0])
    def sgd_step(v: np.ndarray, grad: np.ndarray, learning_rate: float) -> np.ndarray:
    """
    try:
        exercise = EXERCISES[name]
    except (KeyError, TypeError):
        raise ValueError(f"no exercise {name!r}; the exercises are: "
                         f"{', '.join(EXERCISES)}") from None
    return inspect.getsource(exercise.solution)


__all__ = [
    "EXERCISES", "CheckResult", "Exercise", "check_count_parameters", "check_layer_backward",
    "check_layer_forward", "check_nll_delta", "check_sgd_step", "check_sigmoid_backward",
    "check_sigmoid_prime", "check_softmax", "check_valley_gradient", "solution", "solutions",
]
