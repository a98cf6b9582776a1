import numpy as np
import pytest

from steepest.gradcheck import numerical_gradient, relative_error
from steepest.losses import nll
from steepest.network import Network
from steepest.regularizers import l2_penalty, max_norm


def test_l2_penalty_value_and_gradient_match_finite_differences():
    rng = np.random.default_rng(0)
    net = Network((5, 4, 3), rng=rng, dtype=np.float64)
    x, y = rng.normal(size=(6, 5)), rng.integers(0, 3, 6)
    lam = 0.3
    params = net.parameters()

    def loss():
        value = nll(net.forward(x), y)[0]
        return value + 0.5 * lam * sum((p.value**2).sum() for p in params if p.name == "W")

    _, delta = nll(net.forward(x), y)
    net.backward(delta)
    penalty = l2_penalty(params, lam)
    assert penalty == pytest.approx(0.5 * lam * sum((p.value**2).sum() for p in params[::2]))
    for p in params:
        assert relative_error(p.grad.copy(), numerical_gradient(loss, p.value)) < 1e-6


def test_l2_zero_is_a_no_op():
    net = Network((3, 2), rng=np.random.default_rng(0))
    before = [p.grad.copy() for p in net.parameters()]
    assert l2_penalty(net.parameters(), 0.0) == 0.0
    assert all((a == p.grad).all() for a, p in zip(before, net.parameters()))


def test_max_norm_caps_each_units_incoming_weights():
    net = Network((50, 20, 10), rng=np.random.default_rng(0))
    max_norm(net.parameters(), 2.0)
    for layer in net.layers:
        norms = np.linalg.norm(layer.W.value, axis=0)  # column j: unit j's incoming weights
        assert norms.max() <= 2.0 + 1e-5
    small = Network((50, 20, 10), init="xavier", rng=np.random.default_rng(0))
    before = small.get_weights()
    max_norm(small.parameters(), 100.0)
    assert all((a == b).all() for a, b in zip(before, small.get_weights()))
