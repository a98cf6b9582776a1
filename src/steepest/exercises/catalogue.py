"""Every exercise of the course, in the notebooks' order: its checker and its solution.

:data:`EXERCISES` is what :mod:`.learner` and the notebooks' tests look exercises up in;
``steepest.exercises`` re-exports it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from . import solutions
from .activation_checks import check_sigmoid, check_sigmoid_prime, check_softmax
from .backprop_checks import check_backward, check_hidden_layer_grads, check_output_layer_grads
from .data_checks import check_one_hot
from .descent_checks import check_sgd_step, check_valley_gradient
from .feedback import CheckResult
from .loss_checks import check_nll, check_nll_delta
from .network_checks import check_count_parameters, check_forward, check_init_network
from .perceptron_checks import check_decide, check_rosenblatt_update
from .training_checks import check_train_epoch


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
    _exercise("decide", 1, check_decide),
    _exercise("rosenblatt_update", 1, check_rosenblatt_update),
    _exercise("sigmoid", 2, check_sigmoid),
    _exercise("sigmoid_prime", 2, check_sigmoid_prime),
    _exercise("softmax", 2, check_softmax),
    _exercise("one_hot", 3, check_one_hot),
    _exercise("init_network", 4, check_init_network),
    _exercise("count_parameters", 4, check_count_parameters),
    _exercise("forward", 4, check_forward),
    _exercise("nll", 5, check_nll),
    _exercise("valley_gradient", 6, check_valley_gradient),
    _exercise("sgd_step", 6, check_sgd_step),
    _exercise("nll_delta", 7, check_nll_delta),
    _exercise("output_layer_grads", 7, check_output_layer_grads),
    _exercise("hidden_layer_grads", 7, check_hidden_layer_grads),
    _exercise("backward", 7, check_backward),
    _exercise("train_epoch", 8, check_train_epoch),
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
