"""The exercise checkers: the reference solutions pass, typical wrong answers are each named."""

from __future__ import annotations

import html

import numpy as np
import pytest

from steepest import activations as act
from steepest.exercises import EXERCISES, CheckResult, solution, solutions

sig = act.sigmoid


def _naive_sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _softmax_global_max(z):
    e = np.exp(z - z.max())
    return e / e.sum(axis=1, keepdims=True)


def _softmax_in_place(z):
    z -= z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=1, keepdims=True)
    return z


def _delta_in_place(o, y):
    o[np.arange(len(y)), y] -= 1
    o /= len(y)
    return o


def _backward(w=None, b=None, x=None):
    """layer_backward with one of its three results replaced."""

    def fn(x_, W, gz):
        right = solutions.layer_backward(x_, W, gz)
        return tuple(f(x_, W, gz) if f else r for f, r in zip((w, b, x), right))

    return fn


def _onehot(o, y):
    return np.eye(o.shape[1])[y]


#: exercise -> [(what the learner wrote, a piece of the message that names the mistake)]
WRONG_ANSWERS = {
    "sigmoid_prime": [
        (lambda z: sig(z), "that is sigma(z) itself"),
        (lambda z: z * (1 - z), "that is z (1 - z)"),
        (lambda z: -sig(z) * (1 - sig(z)), "wrong sign"),
        (lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2, "unstable at large inputs"),
        (lambda z: _naive_sigmoid(z) * (1 - _naive_sigmoid(z)), "NumPy warned"),
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
    ],
    "layer_forward": [
        (lambda x, W, b: x @ W + b, "forgot the activation"),
        (lambda x, W, b: sig(x @ W), "forgot the bias"),
        (lambda x, W, b: sig(x @ W) + b, "added b after the sigmoid"),
        (lambda x, W, b: act.softmax(x @ W + b), "applied softmax"),
        (lambda x, W, b: sig(W.T @ x.T + b[:, None]), "is transposed: shape (3, 4)"),
        (lambda x, W, b: sig(x @ W + b) if W.shape[0] == W.shape[1] else sig(W @ x + b),
         "inner sizes of a matrix product do not match"),
        (lambda x, W, b: sig(x @ W.T + b), "used W.T"),
        (lambda x, W, b: sig(x @ W + b[:, None]), "adds it to every row as it is"),
    ],
    "count_parameters": [
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])), "counted the weights only"),
        (lambda s: sum(a * b + a for a, b in zip(s[:-1], s[1:])), "one bias per input"),
        (lambda s: sum(a * b for a, b in zip(s[:-1], s[1:])) + sum(s), "input layer biases"),
        (lambda s: str(solutions.count_parameters(s)), "expected a number"),
        (lambda s: sum(a * b + b for a, b in zip(s[:-1], s[1:])) + 1, "count n_in * n_out"),
    ],
    "nll_delta": [
        (lambda o, y: o - _onehot(o, y), "missing the 1/N"),
        (lambda o, y: (_onehot(o, y) - o) / len(y), "wrong sign"),
        (lambda o, y: (o - _onehot(o, y)) / len(y) ** 2, "divided by N = 4 once too often"),
        (lambda o, y: -_onehot(o, y) / o / len(y), "that is dL/do"),
        (lambda o, y: o / len(y), "forgot to subtract the one-hot labels"),
        (lambda o, y: (o - y[:, None]) / len(y), "subtracted the label numbers"),
        (lambda o, y: (o - y) / len(y), "turn them into one-hot rows"),
        (_delta_in_place, "changed its input o in place"),
        (lambda o, y: ((o - _onehot(o, y)) / len(y)).T, "transposed"),
    ],
    "layer_backward": [
        (_backward(w=lambda x, W, gz: gz.T @ x), "grad_W (layer 3 -> 3) is transposed"),
        (_backward(w=lambda x, W, gz: x.T @ gz / len(x)), "grad_W (layer 3 -> 3) is divided by"),
        (_backward(b=lambda x, W, gz: gz.mean(axis=0)), "averaged over the examples"),
        (_backward(b=lambda x, W, gz: gz), "not summed"),
        (_backward(b=lambda x, W, gz: gz.sum(axis=1)), "summed over the units"),
        (_backward(x=lambda x, W, gz: gz @ W), "multiplied by W; the gradient goes back"),
        (_backward(x=lambda x, W, gz: gz @ W.T if W.shape[0] == W.shape[1] else gz @ W),
         "inner sizes of a matrix product"),
        (_backward(x=lambda x, W, gz: -(gz @ W.T)), "grad_x (layer 3 -> 3) has the wrong sign"),
        (lambda x, W, gz: solutions.layer_backward(x, W, gz)[:2], "return three arrays"),
    ],
    "sigmoid_backward": [
        (lambda gh, h: gh * act.sigmoid_prime(h), "applied sigma' to h"),
        (lambda gh, h: gh * h, "missing the factor (1 - h)"),
        (lambda gh, h: gh * (1 - h), "missing the factor h"),
        (lambda gh, h: h * (1 - h), "forgot dL/dh"),
        (lambda gh, h: -gh * h * (1 - h), "wrong sign"),
        (lambda gh, h: gh @ (h * (1 - h)).T, "wrong shape"),
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
}


@pytest.mark.parametrize("name", EXERCISES)
def test_the_reference_solution_passes(name):
    result = EXERCISES[name].check(EXERCISES[name].solution)
    assert isinstance(result, CheckResult)
    assert result.passed, str(result)
    assert str(result).startswith(f"✓ {name}: ")


@pytest.mark.parametrize("name", EXERCISES)
def test_every_exercise_has_a_catalogue_of_wrong_answers(name):
    assert len(WRONG_ANSWERS[name]) >= 5


CASES = [(name, i) for name, answers in WRONG_ANSWERS.items() for i in range(len(answers))]


@pytest.mark.parametrize(("name", "index"), CASES)
def test_each_typical_wrong_answer_is_caught_and_named(name, index):
    wrong, expected = WRONG_ANSWERS[name][index]
    result = EXERCISES[name].check(wrong)
    assert not result.passed
    assert expected in result.message, result.message
    assert str(result).startswith(f"✗ {name}: ")


@pytest.mark.parametrize("name", EXERCISES)
def test_each_wrong_answer_gets_its_own_message(name):
    messages = [EXERCISES[name].check(wrong).message for wrong, _ in WRONG_ANSWERS[name]]
    assert len(set(messages)) == len(messages), messages


@pytest.mark.parametrize("name", EXERCISES)
def test_a_function_not_written_yet_is_reported_not_raised(name):
    def stub(*args):
        raise NotImplementedError

    result = EXERCISES[name].check(stub)
    assert not result.passed
    assert "not written yet" in result.message


def test_a_checker_reports_an_exception_with_its_type_and_text():
    def broken(z):
        raise KeyError("oops")

    result = EXERCISES["sigmoid_prime"].check(broken)
    assert result.message == "your function raised KeyError: 'oops'"


def test_checking_a_numerically_unstable_answer_prints_no_warning(recwarn):
    EXERCISES["softmax"].check(lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    assert not recwarn.list


def test_the_result_shows_as_html_in_jupyter_with_the_message_escaped():
    good = EXERCISES["softmax"].check(solutions.softmax)
    bad = CheckResult("softmax", False, "x < y & <b>")
    assert "✓" in good._repr_html_() and bool(good)
    assert html.escape("x < y & <b>") in bad._repr_html_() and not bad


def test_solution_gives_the_source_and_refuses_an_unknown_name():
    assert "x.T @ grad_z" in solution("layer_backward")
    with pytest.raises(ValueError, match="no exercise 'softmax2'; the exercises are: "):
        solution("softmax2")


def test_the_exercises_are_spread_over_notebooks_2_4_5_and_6():
    assert sorted({e.notebook for e in EXERCISES.values()}) == [2, 4, 5, 6]
