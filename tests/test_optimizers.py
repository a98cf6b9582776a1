"""One hand-computed step of every optimizer, and its resumable state."""

import numpy as np
import pytest

from steepest import optimizers as opt
from steepest.network import Parameter


def param(value, grad, name="W"):
    return Parameter(name, np.array(value, dtype=np.float64), np.array(grad, dtype=np.float64))


def test_sgd_step_by_hand():
    p = param([1.0, -2.0], [0.5, 0.25])
    opt.SGD([p], learning_rate=0.2).step()
    # v - lambda g = (1 - 0.1, -2 - 0.05)
    np.testing.assert_allclose(p.value, [0.9, -2.05], rtol=1e-15)


def test_momentum_two_steps_by_hand():
    p = param([1.0], [2.0])
    o = opt.Momentum([p], learning_rate=0.1, momentum=0.5)
    o.step()  # u = -0.1 * 2 = -0.2; v = 0.8
    np.testing.assert_allclose(p.value, [0.8], rtol=1e-15)
    p.grad[...] = 1.0
    o.step()  # u = 0.5 * -0.2 - 0.1 * 1 = -0.2; v = 0.6
    np.testing.assert_allclose(p.value, [0.6], rtol=1e-15)
    np.testing.assert_allclose(o.velocity[0], [-0.2], rtol=1e-15)


def test_nesterov_two_steps_by_hand():
    p = param([1.0], [2.0])
    o = opt.Nesterov([p], learning_rate=0.1, momentum=0.5)
    o.step()  # u = -0.2; v = 1 + 0.5 * -0.2 - 0.2 = 0.7
    np.testing.assert_allclose(p.value, [0.7], rtol=1e-15)
    p.grad[...] = 1.0
    o.step()  # u = 0.5 * -0.2 - 0.1 = -0.2; v = 0.7 + 0.5 * -0.2 - 0.1 = 0.5
    np.testing.assert_allclose(p.value, [0.5], rtol=1e-15)


def test_adam_two_steps_by_hand():
    p = param([1.0], [0.5])
    o = opt.Adam([p], learning_rate=0.01, beta1=0.9, beta2=0.999, eps=1e-8)
    o.step()
    # t = 1: m = 0.05, s = 0.00025; m_hat = 0.5, s_hat = 0.25; step = 0.01 * 0.5 / (0.5 + 1e-8)
    np.testing.assert_allclose(p.value, [1 - 0.01 * 0.5 / (0.5 + 1e-8)], rtol=1e-12)
    p.grad[...] = -1.0
    o.step()
    # t = 2: m = 0.9 * 0.05 - 0.1 = -0.055; s = 0.999 * 0.00025 + 0.001 = 0.00124975
    m_hat, s_hat = -0.055 / (1 - 0.9**2), 0.00124975 / (1 - 0.999**2)
    expected = 1 - 0.01 * 0.5 / (0.5 + 1e-8) - 0.01 * m_hat / (np.sqrt(s_hat) + 1e-8)
    np.testing.assert_allclose(p.value, [expected], rtol=1e-12)
    np.testing.assert_allclose(o.m[0], [-0.055], rtol=1e-12)
    np.testing.assert_allclose(o.s[0], [0.00124975], rtol=1e-12)


def test_adamw_decays_weights_not_biases():
    w, b = param([2.0], [0.0], "W"), param([2.0], [0.0], "b")
    opt.AdamW([w, b], learning_rate=0.1, weight_decay=0.5).step()
    # zero gradient: the Adam part is 0; W <- W (1 - 0.1 * 0.5) = 1.9
    np.testing.assert_allclose(w.value, [1.9], rtol=1e-15)
    np.testing.assert_allclose(b.value, [2.0], rtol=1e-15)


def test_adamw_step_by_hand_with_gradient():
    w = param([1.0], [0.5])
    opt.AdamW([w], learning_rate=0.01, weight_decay=0.1).step()
    np.testing.assert_allclose(w.value, [(1 - 0.001) - 0.01 * 0.5 / (0.5 + 1e-8)], rtol=1e-12)


def test_float32_parameters_stay_float32():
    p = Parameter("W", np.ones(3, np.float32), np.full(3, 0.5, np.float32))
    for cls in opt.OPTIMIZERS.values():
        cls([p], learning_rate=0.01).step()
        assert p.value.dtype == np.float32


@pytest.mark.parametrize("name", list(opt.OPTIMIZERS))
def test_state_dict_round_trip_continues_identically(name):
    rng = np.random.default_rng(0)
    grads = rng.normal(size=(5, 4))

    def make():
        p = param(np.ones(4), np.zeros(4))
        return p, opt.OPTIMIZERS[name]([p], learning_rate=0.01)

    p1, o1 = make()
    for g in grads:
        p1.grad[...] = g
        o1.step()
    p2, o2 = make()
    for g in grads[:2]:
        p2.grad[...] = g
        o2.step()
    p3, o3 = make()
    p3.value[...] = p2.value
    o3.load_state_dict({k: v.copy() for k, v in o2.state_dict().items()})
    for g in grads[2:]:
        p3.grad[...] = g
        o3.step()
    assert p3.value.tobytes() == p1.value.tobytes()


def test_bad_arguments_name_the_value():
    p = param([1.0], [1.0])
    with pytest.raises(ValueError, match="learning_rate must be a positive number, got -0.1"):
        opt.SGD([p], learning_rate=-0.1)
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\), got 1.5"):
        opt.Momentum([p], momentum=1.5)
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'; choose one of: sgd"):
        opt.get("rmsprop")
