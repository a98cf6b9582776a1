import numpy as np
import pytest

from steepest.perceptron import GAME_INPUTS, Perceptron, game_table, learn


def test_lecture_table_weighted_sums():
    # The lecture: w = (1, 6, 3); w.x for its eight rows.
    p = Perceptron([1, 6, 3], threshold=9)
    assert p.net_input(GAME_INPUTS).tolist() == [10, 1, 7, 4, 9, 0, 3, 6]


def test_lecture_decisions_at_thresholds_9_and_7():
    rows = game_table((1, 6, 3), (9, 7))
    # t = 9: only "cheap, available, interested" (10 > 9) goes.
    assert [r["go"][0] for r in rows] == [1, 0, 0, 0, 0, 0, 0, 0]
    # t = 7: also "available and interested" (9 > 7); w.x = 7 is not > 7.
    assert [r["go"][1] for r in rows] == [1, 0, 0, 0, 1, 0, 0, 0]


def test_bias_form_equals_threshold_form_including_boundary():
    x = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T
    for t in [-1, 0, 3, 6, 7, 9, 10, 11]:
        a = Perceptron([1, 6, 3], threshold=t).predict(x)
        b = Perceptron([1, 6, 3], bias=-t).predict(x)
        expected = (x @ [1, 6, 3] > t).astype(int)
        assert a.tolist() == b.tolist() == expected.tolist()


@pytest.mark.parametrize("gate, targets", [("and", [0, 0, 0, 1]), ("or", [0, 1, 1, 1])])
def test_rosenblatt_learns_separable_gates(gate, targets):
    x = [[0, 0], [0, 1], [1, 0], [1, 1]]
    result = learn(x, targets)
    assert result.converged
    assert result.mistakes[-1] == 0
    assert result.perceptron.predict(x).tolist() == targets


def test_rosenblatt_reports_xor_instead_of_looping():
    x = [[0, 0], [0, 1], [1, 0], [1, 1]]
    result = learn(x, [0, 1, 1, 0], max_epochs=40)
    assert not result.converged
    assert result.epochs == 40
    assert all(m > 0 for m in result.mistakes)


def test_one_rosenblatt_update_by_hand():
    # w = 0, b = 0; example x = (1, 1), y = 1: prediction H(0) = 0, so
    # w <- 0 + 0.5 (1 - 0) (1, 1) = (0.5, 0.5), b <- 0.5.  Then it is right.
    result = learn([[1, 1]], [1], learning_rate=0.5)
    np.testing.assert_array_equal(result.perceptron.weights, [0.5, 0.5])
    assert result.perceptron.bias == 0.5
    assert result.mistakes == [1, 0]


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
