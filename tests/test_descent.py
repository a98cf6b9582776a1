"""steepest.descent: our two-variable surfaces and the lecture's v <- v - lambda grad C."""

import numpy as np
import pytest

from steepest.descent import SURFACES, descend, get_surface


@pytest.mark.parametrize("name", list(SURFACES))
def test_hand_derived_gradient_matches_central_differences(name):
    surface = SURFACES[name]
    v1_lo, v1_hi, v2_lo, v2_hi = surface.window
    rng = np.random.default_rng(0)
    eps = 1e-6
    points = [surface.start, (0.0, 0.0), (1.0, 1.0)] + [
        (rng.uniform(v1_lo, v1_hi), rng.uniform(v2_lo, v2_hi)) for _ in range(20)]
    for a, b in points:
        cost = lambda x, y: float(surface.cost(np.float64(x), np.float64(y)))  # noqa: E731
        numeric = ((cost(a + eps, b) - cost(a - eps, b)) / (2 * eps),
                   (cost(a, b + eps) - cost(a, b - eps)) / (2 * eps))
        analytic = surface.grad(a, b)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-5,
                                   err_msg=f"{name} at ({a:.3f}, {b:.3f})")


def test_a_wrong_gradient_would_be_caught():
    # The check above is not vacuous: the valley's gradient with a slip (v1/10 for v1/5)
    # differs from the central differences by far more than the tolerance.
    valley = SURFACES["valley"]
    a, b = valley.start
    eps = 1e-6
    numeric = (valley.cost(a + eps, b) - valley.cost(a - eps, b)) / (2 * eps)
    assert abs(a / 10 - numeric) > 0.4


def test_descent_steps_are_v_minus_lambda_grad():
    path = descend("bowl", (2.0, -1.0), learning_rate=0.25, steps=2)
    # grad = (2 v1, 2 v2): v <- v - 0.25 * 2 v = v / 2
    np.testing.assert_allclose(path.points, [[2, -1], [1, -0.5], [0.5, -0.25]])


def test_unknown_surface_lists_the_choices():
    with pytest.raises(ValueError, match="bowl, valley, saddle, rosenbrock"):
        get_surface("volcano")
