import numpy as np
import pytest

from steepest.perceptron import (
    GAME_FEATURES,
    GAME_INPUTS,
    GAME_QUESTIONS,
    Perceptron,
    game_table,
    learn,
)


def test_lecture_table_weighted_sums():
    # The lecture: w = (1, 6, 3); w.x for its eight rows.
    p = Perceptron([1, 6, 3], threshold=9)
    assert p.net_input(GAME_INPUTS).tolist() == [10, 1, 7, 4, 9, 0, 3, 6]


def test_lecture_decisions_at_thresholds_9_and_7():
    # The lecture: output 1 when w.x >= t.  Its rows, in its order, have
    # w.x = 10, 1, 7, 4, 9, 0, 3, 6.
    rows = game_table((1, 6, 3), (9, 7))
    # t = 9: "I'll only go if I'm both available and interested": w.x = 10 and 9 go.
    assert [r["go"][0] for r in rows] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert [r["x"] for r in rows if r["go"][0]] == [(1, 1, 1), (0, 1, 1)]
    # t = 7: "I'll also go if the tickets are cheap and I'm available": w.x = 7 goes too.
    assert [r["go"][1] for r in rows] == [1, 0, 1, 0, 1, 0, 0, 0]
    assert [r["x"] for r in rows if r["go"][1]] == [(1, 1, 1), (1, 1, 0), (0, 1, 1)]
    # Every situation that goes has time (x2 = 1): the lecture's "available".
    assert all(r["x"][1] == 1 for r in rows if any(r["go"]))


def test_the_inputs_are_the_lectures_three_questions():
    assert GAME_QUESTIONS == ("Are the tickets cheap?", "Do I have the time to go?",
                              "Do I care about the team they're playing?")
    assert GAME_FEATURES == ("cheap", "time", "care")


def test_bias_form_equals_threshold_form_including_boundary():
    x = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T
    for t in [-1, 0, 3, 6, 7, 9, 10, 11]:
        a = Perceptron([1, 6, 3], threshold=t).predict(x)
        b = Perceptron([1, 6, 3], bias=-t).predict(x)
        expected = (x @ [1, 6, 3] >= t).astype(int)
        assert a.tolist() == b.tolist() == expected.tolist()
    # On the boundary w.x = t the perceptron fires: H(0) = 1.
    assert Perceptron([1, 6, 3], threshold=9).predict([0, 1, 1]) == 1
    assert Perceptron([1, 6, 3], bias=-9).predict([0, 1, 1]) == 1
    assert Perceptron([1, 6, 3], threshold=9.5).predict([0, 1, 1]) == 0


@pytest.mark.parametrize("gate, targets, epochs, mistakes, weights, bias", [
    # From w = 0, b = 0 with H(0) = 1 every input is first predicted 1.
    ("and", [0, 0, 0, 1], 6, [2, 3, 3, 2, 1, 0], [2, 1], -3),
    ("or", [0, 1, 1, 1], 4, [2, 2, 1, 0], [1, 1], -1),
])
def test_rosenblatt_learns_separable_gates(gate, targets, epochs, mistakes, weights, bias):
    x = [[0, 0], [0, 1], [1, 0], [1, 1]]
    result = learn(x, targets)
    assert result.converged and result.epochs == epochs and result.mistakes == mistakes
    np.testing.assert_array_equal(result.perceptron.weights, weights)
    assert result.perceptron.bias == bias
    # The learned perceptron, predicting with the same H (H(0) = 1), gets all four right ...
    assert result.perceptron.predict(x).tolist() == targets
    # ... and so does the lecture's rule written out: 1 when w.x >= t.
    p = result.perceptron
    assert [int(np.dot(p.weights, xi) >= p.threshold) for xi in x] == targets


def test_rosenblatt_converges_from_a_shuffled_order_too():
    x = [[0, 0], [0, 1], [1, 0], [1, 1]]
    for seed in range(20):
        for targets in ([0, 0, 0, 1], [0, 1, 1, 1]):
            result = learn(x, targets, rng=np.random.default_rng(seed))
            assert result.converged and result.perceptron.predict(x).tolist() == targets


def test_rosenblatt_reports_xor_instead_of_looping():
    x = [[0, 0], [0, 1], [1, 0], [1, 1]]
    result = learn(x, [0, 1, 1, 0], max_epochs=40)
    assert not result.converged
    assert result.epochs == 40
    assert all(m > 0 for m in result.mistakes)


def test_one_rosenblatt_update_by_hand():
    # w = 0, b = 0; example x = (1, 1), y = 0: prediction H(0 + 0) = 1, wrong, so
    # w <- 0 + 0.5 (0 - 1) (1, 1) = (-0.5, -0.5), b <- -0.5.  Then H(-1.5) = 0 is right.
    result = learn([[1, 1]], [0], learning_rate=0.5)
    np.testing.assert_array_equal(result.perceptron.weights, [-0.5, -0.5])
    assert result.perceptron.bias == -0.5
    assert result.mistakes == [1, 0]


def test_a_target_of_1_on_the_boundary_needs_no_update():
    # w = 0, b = 0 predicts H(0) = 1: already right for y = 1, nothing changes.
    result = learn([[1, 1]], [1], learning_rate=0.5)
    np.testing.assert_array_equal(result.perceptron.weights, [0.0, 0.0])
    assert result.perceptron.bias == 0.0
    assert result.mistakes == [0] and result.converged


def test_bad_input():
    with pytest.raises(ValueError, match="threshold or bias"):
        Perceptron([1, 2], threshold=1, bias=1)
    with pytest.raises(ValueError, match="weights must be"):
        Perceptron([])
    with pytest.raises(ValueError, match="expected 3 inputs"):
        Perceptron([1, 6, 3]).predict([1, 0])
    with pytest.raises(ValueError, match="targets must be 0 or 1"):
        learn([[0], [1]], [0, 2])


def test_one_epoch_is_singular_on_the_command_line():
    from click.testing import CliRunner

    from steepest.cli import main

    r = CliRunner().invoke(main, ["perceptron", "--learn", "xor", "--max-epochs", "1"])
    assert r.exit_code == 0 and "not converged after 1 epoch:" in r.output
