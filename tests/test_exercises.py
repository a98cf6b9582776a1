"""The exercise checkers: reference solutions and other right answers pass; typical wrong
answers are each named (the catalogue is tests/exercise_catalogue.py)."""

from __future__ import annotations

import html

import numpy as np
import pytest

from exercise_catalogue import RIGHT, WRONG
from steepest.exercises import EXERCISES, CheckResult, solution, solutions

WRONG_ANSWERS = WRONG


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
    messages = {expected: EXERCISES[name].check(wrong).message
                for wrong, expected in WRONG_ANSWERS[name]}
    assert len(set(messages.values())) == len(messages), messages


@pytest.mark.parametrize("name", EXERCISES)
def test_every_exercise_has_other_right_answers_in_the_catalogue(name):
    assert len(RIGHT[name]) >= 1


RIGHT_CASES = [(name, label) for name, answers in RIGHT.items() for label, _ in answers]


@pytest.mark.parametrize(("name", "label"), RIGHT_CASES)
def test_each_other_right_answer_is_accepted(name, label):
    (fn,) = [f for lab, f in RIGHT[name] if lab == label]
    result = EXERCISES[name].check(fn)
    assert result.passed, str(result)


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
    assert "x.T @ grad_z" in solution("hidden_layer_grads")
    with pytest.raises(ValueError, match="no exercise 'softmax2'; the exercises are: "):
        solution("softmax2")


def test_the_exercises_are_in_the_lectures_order_over_notebooks_1_to_8():
    assert [e.notebook for e in EXERCISES.values()] == sorted(e.notebook for e in
                                                               EXERCISES.values())
    assert sorted({e.notebook for e in EXERCISES.values()}) == [1, 2, 3, 4, 5, 6, 7, 8]
