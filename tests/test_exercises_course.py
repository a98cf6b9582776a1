"""yours() across notebooks, and the capstone: check_training_step and train_yours."""

from __future__ import annotations

import json

import pytest

from steepest.exercises import check_training_step, solutions, train_yours, yours

STUB = "    raise NotImplementedError"


def notebook(path, cells):
    """Write a minimal course notebook: ``cells`` is [(exercise name or None, source)]."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {"steepest": {"exercise": name}} if name else {},
         "source": source, "outputs": [], "execution_count": None}
        for name, source in cells]}
    path.write_text(json.dumps(nb))


SIGMOID = ("def sigmoid(z):\n    e = np.exp(-np.abs(z))\n"
           "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))")
FORWARD = ("def forward(params, x):\n    W1, b1, W2, b2 = params\n"
           "    h = sigmoid(x @ W1 + b1)\n    return h, softmax(h @ W2 + b2)")


def course(tmp_path, sigmoid=SIGMOID, softmax=f"def softmax(z):\n{STUB}", forward=FORWARD):
    notebook(tmp_path / "02-activations.ipynb", [
        (None, "%matplotlib inline\nimport numpy as np\nfrom steepest.exercises import yours"),
        ("sigmoid", sigmoid), ("sigmoid_prime", f"def sigmoid_prime(z):\n{STUB}"),
        ("softmax", softmax)])
    notebook(tmp_path / "04-network.ipynb", [
        (None, "%matplotlib inline\nimport numpy as np"),
        ("init_network", "from steepest.exercises.solutions import init_network"),
        ("count_parameters", f"def count_parameters(sizes):\n{STUB}"),
        ("forward", forward)])
    return tmp_path


def test_a_written_function_is_the_learners_and_an_unwritten_one_steepests(tmp_path):
    mine = yours("sigmoid", "softmax", folder=course(tmp_path))
    sigmoid, softmax = mine
    assert sigmoid is not solutions.sigmoid and softmax is solutions.softmax
    assert [(s.name, s.notebook, s.yours) for s in mine.sources] == [
        ("sigmoid", "02-activations.ipynb", True), ("softmax", "02-activations.ipynb", False)]
    assert "not written yet" in mine.sources[1].reason
    assert "✓ yours" in mine._repr_html_() and "softmax" in str(mine)


def test_a_later_function_uses_the_learners_earlier_ones_or_steepests_stand_ins(tmp_path):
    # The learner's forward calls the learner's sigmoid and (unwritten) softmax: softmax is
    # replaced by steepest's before forward is checked, so forward passes.
    mine = yours("forward", folder=course(tmp_path))
    assert mine.sources[0].yours, mine
    assert mine.forward.__globals__["softmax"] is solutions.softmax
    assert mine.forward.__globals__["sigmoid"] is not solutions.sigmoid


def test_a_wrong_function_is_replaced_and_the_reason_is_its_checkers_message(tmp_path):
    folder = course(tmp_path, sigmoid="def sigmoid(z):\n    return 1 / (1 + np.exp(z))")
    mine = yours("sigmoid", folder=folder)
    assert mine.sigmoid is solutions.sigmoid
    assert "the exponent is -z" in mine.sources[0].reason


def test_a_cell_that_fails_to_run_or_defines_nothing_is_reported(tmp_path):
    mine = yours("sigmoid", folder=course(tmp_path, sigmoid="def sigmoid(z)\n    return z"))
    assert "its cell failed to run: SyntaxError" in mine.sources[0].reason
    mine = yours("sigmoid", folder=course(tmp_path, sigmoid="x = 1"))
    assert mine.sources[0].reason == "its cell does not define a function sigmoid"


def test_a_missing_notebook_or_cell_is_reported_not_raised(tmp_path):
    mine = yours("one_hot", "sigmoid", folder=course(tmp_path))
    assert mine.one_hot is solutions.one_hot
    assert mine.sources[0].reason == f"notebook 03 is not in {tmp_path}"
    notebook(tmp_path / "03-mnist.ipynb", [(None, "import numpy as np")])
    assert yours("one_hot", folder=tmp_path).sources[0].reason == (
        "no exercise cell for one_hot in 03-mnist.ipynb")


def test_a_function_of_this_notebook_is_checked_as_it_is():
    def sgd_step(v, grad, learning_rate):
        return v - learning_rate * grad

    def nll(o, y):
        raise NotImplementedError

    mine = yours(sgd_step, nll)
    assert mine.sgd_step is sgd_step and mine.nll is solutions.nll
    assert [s.notebook for s in mine.sources] == ["this notebook"] * 2


def test_an_unknown_name_is_refused():
    with pytest.raises(ValueError, match="no exercise 'sigmoidd'; the exercises are: decide"):
        yours("sigmoidd")
    with pytest.raises(AttributeError, match="no function 'forward' here; loaded: sgd_step"):
        _ = yours(solutions.sgd_step).forward


# ---------------------------------------------------------------------------
# The capstone


def test_the_reference_step_is_close_to_steepests_in_every_row():
    step = check_training_step(solutions.init_network, solutions.forward, solutions.nll,
                               solutions.backward, solutions.sgd_step)
    assert step.passed and [r.name for r in step.rows] == [
        "h", "o", "L", "dL/dW1", "dL/db1", "dL/dW2", "dL/db2", "new W1", "new b1", "new W2",
        "new b2"]
    assert all(r.max_diff < 1e-12 for r in step.rows)
    assert step.whose == dict.fromkeys(["init_network", "forward", "nll", "backward",
                                        "sgd_step"], False)


def test_a_wrong_piece_shows_in_its_own_rows_only():
    def backward(params, x, y, h, o):  # forgot the 1/N
        grads = solutions.backward(params, x, y, h, o)
        return [g * len(x) for g in grads]

    def sgd_step(v, grad, learning_rate):
        raise NotImplementedError

    step = check_training_step(solutions.init_network, solutions.forward, solutions.nll,
                               backward, sgd_step)
    closes = {r.name: r.close for r in step.rows}
    assert closes == {"h": True, "o": True, "L": True, "dL/dW1": False, "dL/db1": False,
                      "dL/dW2": False, "dL/db2": False, "new W1": False, "new b1": False,
                      "new W2": False, "new b2": False}
    assert not step and step.whose["backward"] and step.whose["sgd_step"]
    assert "sgd_step is not written yet" in str(step)


def test_train_yours_trains_the_learners_functions_and_reports_each_epoch():
    result = train_yours(solutions.train_epoch, solutions.init_network, solutions.forward,
                         epochs=1, progress=False)
    assert len(result.accuracies) == len(result.seconds) == 1
    assert result.test_accuracy > 0.85  # one epoch of the lecture's network: 88.9 % here
    net = result.network()
    assert net.accuracy(*_test_set()) == pytest.approx(result.test_accuracy, abs=1e-3)


def test_train_yours_says_what_is_not_written_and_trains_nothing():
    def train_epoch(params, x, y, learning_rate, batch_size, rng):
        raise NotImplementedError

    result = train_yours(train_epoch, solutions.init_network, solutions.forward, progress=False)
    assert result.accuracies == [] and result.params is None
    assert str(result) == "train_epoch is not written yet: nothing to train"
    with pytest.raises(ValueError, match="no trained network"):
        result.network()


def test_train_yours_stops_starting_epochs_at_the_time_limit():
    result = train_yours(solutions.train_epoch, solutions.init_network, solutions.forward,
                         epochs=5, time_limit=0.0, progress=False)
    assert len(result.accuracies) == 1 and "stopped at the 0-s limit" in str(result)


def _test_set():
    from steepest.datasets import mnist

    _, (x_test, y_test) = mnist.load_data()
    return x_test.reshape(-1, 784) / 255.0, y_test
