import numpy as np
import pytest

from steepest.losses import NLL, nll, one_hot, to_categorical


def test_one_hot_and_alias():
    np.testing.assert_array_equal(one_hot(np.array([1, 0, 3]), 4),
                                  [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1]])
    assert to_categorical is one_hot
    assert one_hot(np.array([2]), 10).dtype == np.float32


@pytest.mark.parametrize("bad", [[0, 10], [-1], [1.5]])
def test_one_hot_rejects_out_of_range(bad):
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 10\)"):
        one_hot(np.array(bad), 10)


def test_nll_value_is_mean_negative_log_of_true_class():
    o = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]])
    value, delta = nll(o, np.array([0, 1]))
    assert value == pytest.approx(-(np.log(0.5) + np.log(0.8)) / 2, rel=1e-15)
    np.testing.assert_allclose(delta, (o - one_hot(np.array([0, 1]), 3, np.float64)) / 2)


def test_nll_is_infinite_for_zero_probability_without_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = NLL.value(np.array([[0.0, 1.0]]), np.array([0]))
    assert value == np.inf


def test_delta_matches_finite_difference_through_softmax():
    from steepest.activations import softmax

    rng = np.random.default_rng(0)
    f = rng.normal(size=(4, 5))
    y = np.array([0, 4, 2, 2])
    _, delta = nll(softmax(f), y)
    eps = 1e-6
    numeric = np.zeros_like(f)
    for idx in np.ndindex(f.shape):
        fp, fm = f.copy(), f.copy()
        fp[idx] += eps
        fm[idx] -= eps
        numeric[idx] = (NLL.value(softmax(fp), y) - NLL.value(softmax(fm), y)) / (2 * eps)
    np.testing.assert_allclose(delta, numeric, atol=1e-9)


def test_nll_from_logits_is_logsumexp_minus_the_true_logit():
    from steepest.activations import softmax

    rng = np.random.default_rng(1)
    f = rng.normal(size=(6, 4)) * 5
    y = np.array([0, 1, 2, 3, 0, 1])
    exact = -np.mean(np.log(softmax(f))[np.arange(6), y])
    assert NLL.value(softmax(f), y, logits=f) == pytest.approx(exact, rel=1e-12)


def test_nll_from_logits_is_finite_where_the_probability_underflows():
    # logits (0, 120), label 0: in float32 o[0] = e^-120 / (1 + e^-120) rounds to 0
    f = np.array([[0.0, 120.0]], np.float32)
    from steepest.activations import softmax

    o = softmax(f)
    assert o[0, 0] == 0 and NLL.value(o, np.array([0])) == np.inf  # from o: infinite
    assert NLL.value(o, np.array([0]), logits=f) == pytest.approx(120, rel=1e-7)
    # even a gap no float32 can hold as a difference is a finite loss
    wide = np.array([[-3e38, 3e38]], np.float32)
    with np.errstate(over="ignore"):  # softmax's own z - max overflows to -inf: o = (0, 1)
        o_wide = softmax(wide)
    assert NLL.value(o_wide, np.array([0]), logits=wide) == pytest.approx(6e38, rel=1e-6)


def test_nll_from_non_finite_logits_is_not_finite_and_silent():
    import warnings

    from steepest.activations import softmax

    f = np.array([[np.inf, 0.0], [np.nan, 1.0]], np.float32)
    with np.errstate(invalid="ignore"):
        o = softmax(f)  # NaN rows, as the network's forward pass gives them
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not np.isfinite(NLL.value(o, np.array([1, 1]), logits=f))


@pytest.mark.parametrize("gap", [1.0, 30.0, 60.0, 68.0, 70.0, 90.0, 104.0, 110.0])
def test_nll_with_logits_is_exact_on_both_sides_of_the_fast_path(gap):
    # o_y = e^-gap / (1 + e^-gap): above 1e-30 (gap < 69) the value comes from o,
    # below from the logits; both must give -log o_y = gap + log(1 + e^-gap).
    from steepest.activations import softmax

    f = np.array([[0.0, gap]], np.float32)
    value = NLL.value(softmax(f), np.array([0]), logits=f)
    assert value == pytest.approx(gap + np.log1p(np.exp(-gap)), rel=2e-7)
