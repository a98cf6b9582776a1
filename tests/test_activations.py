import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from steepest import activations as act

EXTREMES = np.array([-1000.0, -100.0, -1.0, 0.0, 1.0, 100.0, 1000.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(act.ACTIVATIONS))
def test_no_overflow_or_nan_at_extremes(name, dtype):
    z = EXTREMES.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow warning fails the test
        a = act.ACTIVATIONS[name](z)
        d = act.DERIVATIVES[name](z)
        d_out = act.DERIVATIVES_FROM_OUTPUT[name](a)
    assert a.dtype == dtype
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d)) and np.all(np.isfinite(d_out))


def test_exact_values_at_extremes():
    z = np.array([-1000.0, 0.0, 1000.0], dtype=np.float32)
    np.testing.assert_array_equal(act.sigmoid(z), [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(act.softplus(z), np.array([0.0, np.log(2), 1000.0], np.float32))
    np.testing.assert_array_equal(act.relu(z), [0.0, 0.0, 1000.0])
    np.testing.assert_array_equal(act.step(z), [0.0, 1.0, 1.0])
    np.testing.assert_array_equal(act.sigmoid_prime(z), [0.0, 0.25, 0.0])
    np.testing.assert_array_equal(act.softplus_prime(z), [0.0, 0.5, 1.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_step_is_the_lectures_heaviside_with_h_of_0_equal_to_1(dtype):
    # The lecture: output 1 if w.x + b >= 0, else 0; so H(0) = 1 (and H(-0.0) = 1).
    z = np.array([-3, -1, 0, 1, 3], dtype=dtype)
    np.testing.assert_array_equal(act.step(z), [0, 0, 1, 1, 1])
    assert act.step(np.array([-0.0, -1e-300, 1e-300])).tolist() == [1.0, 0.0, 1.0]
    np.testing.assert_array_equal(act.step_(np.array([-1e-30, 0.0, 1e-30], np.float32)),
                                  [0.0, 1.0, 1.0])
    # The derivative is 0 wherever it exists, and stays 0 (not inf) at the jump.
    np.testing.assert_array_equal(act.step_prime(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 0.0])


def test_softmax_extreme_rows():
    z = np.array([[1000.0, 1000.0], [-1000.0, 1000.0], [-1000.0, -1000.0]], dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        o = act.softmax(z)
    np.testing.assert_array_equal(o, [[0.5, 0.5], [0.0, 1.0], [0.5, 0.5]])


def test_known_values():
    assert act.sigmoid(np.array(0.0)) == 0.5
    np.testing.assert_allclose(act.sigmoid(np.array(2.0)), 1 / (1 + np.exp(-2.0)), rtol=1e-15)
    np.testing.assert_allclose(act.softplus(np.array(1.0)), np.log1p(np.e), rtol=1e-15)
    np.testing.assert_allclose(act.softmax(np.array([1.0, 2.0, 3.0])),
                               np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum(), rtol=1e-15)


@pytest.mark.parametrize("name", ["relu", "softplus", "sigmoid", "tanh", "identity"])
def test_derivative_matches_central_difference(name):
    # Points away from ReLU's kink at 0.
    z = np.array([-3.0, -1.1, -0.3, 0.2, 0.9, 2.5])
    eps = 1e-6
    f = act.ACTIVATIONS[name]
    numeric = (f(z + eps) - f(z - eps)) / (2 * eps)
    np.testing.assert_allclose(act.DERIVATIVES[name](z), numeric, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(act.DERIVATIVES_FROM_OUTPUT[name](f(z)), numeric,
                               rtol=1e-7, atol=1e-9)


def test_softmax_jacobian_and_backward_match_finite_differences():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4))
    g = rng.normal(size=(3, 4))
    eps = 1e-6
    numeric = np.zeros((3, 4, 4))
    for j in range(4):
        dz = np.zeros_like(z)
        dz[:, j] = eps
        numeric[:, :, j] = (act.softmax(z + dz) - act.softmax(z - dz)) / (2 * eps)
    np.testing.assert_allclose(act.softmax_jacobian(z), numeric, atol=1e-9)
    o = act.softmax(z)
    np.testing.assert_allclose(act.softmax_backward(o, g),
                               np.einsum("nk,nkj->nj", g, numeric), atol=1e-9)


@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e4, 1e4)))
def test_sigmoid_properties(z):
    s = act.sigmoid(z)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(s + act.sigmoid(-z), 1.0, atol=1e-12)  # symmetry
    np.testing.assert_allclose(act.softplus(z) - act.softplus(-z), z, atol=1e-9)


@given(arrays(np.float32, (3, 5), elements=st.floats(-1e4, 1e4, width=32)))
def test_softmax_rows_are_distributions(z):
    o = act.softmax(z)
    assert np.all(np.isfinite(o)) and np.all(o >= 0)
    np.testing.assert_allclose(o.sum(axis=1), 1.0, rtol=1e-5)


def test_get_rejects_unknown_name_listing_choices():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'; choose one of: step, relu"):
        act.get("swish")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(act.IN_PLACE))
def test_in_place_versions_give_the_reference_bits(name, dtype):
    # The training hot path (Dense) uses these; they must compute exactly what
    # the readable reference functions compute, extremes and infinities included.
    z = np.random.default_rng(0).normal(scale=30, size=(40, 7)).astype(dtype)
    z[0] = EXTREMES
    z[1, :2] = [np.inf, -np.inf]
    reference = act.softmax(z[2:]) if name == "softmax" else act.ACTIVATIONS[name](z)
    work = z[2:].copy() if name == "softmax" else z.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = act.IN_PLACE[name](work)
    assert out is work and out.dtype == dtype
    np.testing.assert_array_equal(out, reference)


#: z from -1000 to 1000, densely around 0 where the functions bend, with the kink at 0.
GRID = np.concatenate([np.linspace(-1000, 1000, 401), np.linspace(-40, 40, 1601), EXTREMES])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(act.ACTIVATIONS))
def test_the_forms_training_runs_agree_with_the_readable_function(name, dtype):
    # The lecture → code table (docs/contributing.md) points at the readable f and f';
    # Dense runs f in place and f' through the output.  Same values, same dtype, extremes
    # included.
    z = GRID.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = act.ACTIVATIONS[name](z)
        in_place = act.IN_PLACE[name](z.copy())
        d = act.DERIVATIVES[name](z)
        d_out = act.DERIVATIVES_FROM_OUTPUT[name](a)
    assert a.dtype == in_place.dtype == d.dtype == d_out.dtype == dtype
    np.testing.assert_array_equal(in_place, a)
    if name == "softplus":  # 1 - e^(-a) against sigmoid(z): two units in the last place
        np.testing.assert_allclose(d_out, d, rtol=4 * np.finfo(dtype).eps, atol=0)
    else:
        np.testing.assert_array_equal(d_out, d)


def test_each_faster_form_sits_in_its_readable_functions_section():
    import inspect

    source = inspect.getsource(act)
    sections = source.split("# " + "-" * 75 + "\n")
    assert len(sections) == len(act.ACTIVATIONS) + 3  # the imports, softmax, the tables
    for name in act.ACTIVATIONS:
        (home,) = [s for s in sections if f"\ndef {name}(" in s]
        for form in (f"{name}_", f"{name}_prime", f"{name}_prime_out"):
            assert f"\ndef {form}(" in home, form
