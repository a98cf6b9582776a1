import math

import pytest

from steepest import schedules


def test_constant():
    assert [schedules.constant(0.3)(t) for t in (0, 10, 10**6)] == [0.3, 0.3, 0.3]


def test_step_decay_by_epoch():
    f = schedules.make("step", 1.0, steps_per_epoch=5, epochs=30, step_every=10, step_gamma=0.5)
    assert f(0) == 1.0 and f(49) == 1.0 and f(50) == 0.5 and f(100) == 0.25


def test_cosine_with_warmup():
    f = schedules.make("cosine", 2.0, steps_per_epoch=10, epochs=10, warmup_epochs=1)
    warmup = [2.0 * (t + 1) / 10 for t in range(10)]
    assert [f(t) for t in range(10)] == warmup  # linear
    assert f(10) == 2.0  # peak right after warm-up
    assert f(55) == pytest.approx(1.0)  # half way down the cosine
    assert f(99) == pytest.approx(2.0 * 0.5 * (1 + math.cos(math.pi * 89 / 90)))
    assert all(f(t) >= f(t + 1) for t in range(10, 99))


def test_unknown_schedule_lists_choices():
    with pytest.raises(ValueError, match="unknown schedule 'linear'; choose one of: constant, st"):
        schedules.make("linear", 1.0, steps_per_epoch=1, epochs=1)


def test_cosine_last_step_still_moves_and_zero_would_come_one_step_later():
    # What the module docstring says: steps run 0..T-1, the cosine reaches 0 at t = T.
    f = schedules.cosine(1.0, total_steps=10, warmup_steps=0)
    assert f(9) == pytest.approx((1 - math.cos(math.pi / 10)) / 2) and f(9) > 0
    assert f(10) == pytest.approx(0, abs=1e-15)
