"""The course's figures: each test reads the figure's artists back and checks them.

Shapes are compared with a real :class:`Network`'s arrays, bars and lines with
what steepest computes on its own (softmax, one-hot, NLL's delta), histograms
with the hidden layer they claim to show.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the figures need matplotlib (pip install '.[plots]')")

from steepest import activations as act  # noqa: E402
from steepest import plots  # noqa: E402
from steepest.losses import NLL, one_hot  # noqa: E402
from steepest.network import Network  # noqa: E402
from steepest.plots.graph import BACKWARD_COLOUR, FORWARD_COLOUR  # noqa: E402
from test_plots import check_files  # noqa: E402


def texts(fig, gid: str) -> list[str]:
    """The strings of every text in ``fig``'s axes with this gid."""
    return [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == gid]


def bars(fig, gid: str) -> np.ndarray:
    """The heights of the bars with this gid, left to right."""
    found = [p for ax in fig.axes for p in ax.patches if p.get_gid() == gid]
    return np.array([p.get_height() for p in sorted(found, key=lambda p: p.get_x())])


# ---------------------------------------------------------------------------
# The network and its computational graph


def test_network_shapes_are_the_arrays_of_a_real_forward_and_backward_pass():
    shapes = plots.network_shapes()
    net = Network((784, 15, 10), rng=np.random.default_rng(1))
    x = np.zeros((7, 784), np.float32)
    o = net.forward(x)
    net.backward(NLL.delta(o, np.arange(7)))
    for name, p in zip(("W1", "b1", "W2", "b2"), net.parameters()):
        assert shapes[name] == shapes[f"dL/d{name}"] == p.value.shape == p.grad.shape
    assert shapes["x"] == ("N",) + x.shape[1:] and shapes["o"] == ("N",) + o.shape[1:]
    assert shapes["z"] == shapes["h"] == shapes["dL/dz"] == ("N", net.layers[0].a.shape[1])
    assert shapes["f"] == shapes["dL/df"] == ("N", 10)
    assert [plots.shape_text(shapes[k]) for k in ("x", "W1", "b1")] == [
        "(N, 784)", "(784, 15)", "(15,)"]
    assert plots.network_shapes(batch=32)["h"] == (32, 15)


def test_network_figure_labels_every_array_with_its_shape_and_counts_parameters(tmp_path):
    fig = plots.network_figure()
    expected = {"x": "x: (N, 784)", "z, h": "z, h: (N, 15)", "f, o": "f, o: (N, 10)",
                "W1": "W1: (784, 15)", "b1": "b1: (15,)", "W2": "W2: (15, 10)",
                "b2": "b2: (10,)", "count 1": "784·15 + 15 = 11,775 parameters",
                "count 2": "15·10 + 10 = 160 parameters"}
    for gid, text in expected.items():
        assert texts(fig, gid) == [text], gid
    assert 11_775 + 160 == Network((784, 15, 10)).num_parameters()
    assert "11,935 parameters" in fig.get_suptitle()
    every = " ".join(t.get_text() for t in fig.axes[0].texts)
    for formula in ("z = x W1 + b1", "h = σ(z)", "f = h W2 + b2", "o = softmax(f)"):
        assert formula in every
    # Units drawn: a few of the 784 inputs (and a ⋮), all 15 hidden, all 10 outputs.
    drawn = [len(c.get_offsets()) for c in fig.axes[0].collections]
    assert drawn[1:] == [15, 10] and drawn[0] < 784 and "⋮" in every
    check_files(fig, tmp_path, "network")


def test_network_figure_follows_its_sizes_and_batch():
    fig = plots.network_figure((4, 3, 2), batch=32)
    assert texts(fig, "x") == ["x: (32, 4)"] and texts(fig, "W1") == ["W1: (4, 3)"]
    assert texts(fig, "count 1") == ["4·3 + 3 = 15 parameters"]
    assert texts(fig, "count 2") == ["3·2 + 2 = 8 parameters"]
    assert [len(c.get_offsets()) for c in fig.axes[0].collections] == [4, 3, 2]


def test_graph_figure_has_every_shape_and_gradient():
    fig = plots.graph_figure()
    nodes = {"x": "(N, 784)", "z": "(N, 15)", "h": "(N, 15)", "f": "(N, 10)", "o": "(N, 10)",
             "W1": "(784, 15)", "b1": "(15,)", "W2": "(15, 10)", "b2": "(10,)"}
    for name, shape in nodes.items():
        assert texts(fig, f"node {name}") == [name] and texts(fig, f"shape {name}") == [shape]
    gradients = {
        "f": ["∂L/∂f = (o − onehot(y)) / N", "(N, 10)"],
        "W2": ["∂L/∂W2 = hᵀ ∂L/∂f", "(15, N) (N, 10) → (15, 10)"],
        "b2": ["∂L/∂b2 = Σₙ ∂L/∂f", "→ (10,)"],
        "h": ["∂L/∂h = ∂L/∂f W2ᵀ", "(N, 10) (10, 15) → (N, 15)"],
        "z": ["∂L/∂z = ∂L/∂h ⊙ h(1 − h)", "(N, 15)"],
        "W1": ["∂L/∂W1 = xᵀ ∂L/∂z", "(784, N) (N, 15) → (784, 15)"],
        "b1": ["∂L/∂b1 = Σₙ ∂L/∂z", "→ (15,)"],
    }
    for name, parts in gradients.items():
        (label,) = texts(fig, f"grad {name}")
        assert all(part in label for part in parts), (name, label)


def test_graph_figure_draws_forward_and_backward_edges_in_two_colours(tmp_path):
    from matplotlib.colors import same_color

    fig = plots.graph_figure()
    arrows = {p.get_gid(): p for p in fig.axes[0].patches if (p.get_gid() or "").startswith(
        ("forward", "backward"))}
    backward = {gid for gid in arrows if gid.startswith("backward")}
    assert backward == {f"backward {edge}" for edge in (
        "L→f", "f→W2", "f→b2", "f→h", "h→z", "z→W1", "z→b1")}  # nothing back into x
    assert {"forward x→z", "forward z→h", "forward h→f", "forward f→o", "forward o→L",
            "forward y→L", "forward W1→z", "forward b2→f"} <= set(arrows)
    for gid, arrow in arrows.items():
        colour = BACKWARD_COLOUR if gid in backward else FORWARD_COLOUR
        assert same_color(arrow.get_edgecolor(), colour), gid
    check_files(fig, tmp_path, "graph")


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": (784, 10)}, r"sizes must be three positive ints .* got \(784, 10\)"),
    ({"sizes": (784, 0, 10)}, r"got \(784, 0, 10\)"),
    ({"sizes": (784, 15.5, 10)}, r"got \(784, 15.5, 10\)"),
    ({"batch": 0}, "batch must be a name such as 'N' or a positive int, got 0"),
    ({"batch": " "}, "got ' '"),
])
@pytest.mark.parametrize("draw", [plots.network_figure, plots.graph_figure])
def test_diagrams_reject_bad_sizes(draw, kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        draw(**kwargs)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------
# One digit's output error


def test_output_error_bars_are_o_onehot_and_their_difference(mnist_data, tmp_path):
    _, (xt, yt) = mnist_data
    net = Network((784, 15, 10), rng=np.random.default_rng(3))
    o = net.predict_proba(xt[:1].reshape(1, 784))[0].astype(np.float64)
    y = int(yt[0])
    fig = plots.output_error_figure(o, y, image=xt[0])
    np.testing.assert_array_equal(bars(fig, "o"), o)
    np.testing.assert_array_equal(bars(fig, "onehot"), one_hot(np.array([y]), 10)[0])
    error = bars(fig, "error")
    np.testing.assert_allclose(error, o - np.eye(10)[y], rtol=0, atol=1e-15)
    assert np.flatnonzero(error < 0).tolist() == [y]  # negative only at the true digit
    (image,) = [im for ax in fig.axes for im in ax.images if im.get_gid() == "image"]
    np.testing.assert_array_equal(image.get_array(), xt[0])  # as stored: white ink on black
    assert image.get_cmap().name == "gray" and image.norm.vmin == 0 and image.norm.vmax == 255
    assert f"{-math.log(o[y]):.2f}" in fig.get_suptitle()
    check_files(fig, tmp_path, "output_error")


def test_output_error_without_image_has_three_panels():
    fig = plots.output_error_figure(np.full(10, 0.1), 0)
    assert len(fig.axes) == 3 and not any(ax.images for ax in fig.axes)
    assert [ax.get_xlabel() for ax in fig.axes] == ["digit k"] * 3


@pytest.mark.parametrize("o, y, image, message", [
    (np.full(10, 0.2), 3, None, "o must be probabilities in .* sum to 1, got sum 2"),
    (np.array([1.5, -0.5]), 0, None, "values from -0.5 to 1.5"),
    (np.full((2, 5), 0.1), 3, None, r"o must be a 1-D array .* shape \(2, 5\)"),
    (np.array([0.5, np.nan, 0.5]), 0, None, "o must be finite"),
    (np.full(10, 0.1), 10, None, r"y must be an int in \[0, 10\), got 10"),
    (np.full(10, 0.1), 3.0, None, "got 3.0"),
    (np.full(10, 0.1), True, None, "got True"),
    (np.full(10, 0.1), 3, np.zeros((28, 27)), r"image must be one square image .* \(28, 27\)"),
])
def test_output_error_rejects_bad_input(o, y, image, message):
    with pytest.raises(ValueError, match=message) as info:
        plots.output_error_figure(o, y, image)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------
# ReLU and softplus; softmax's shift


def test_relu_and_softplus_share_one_axes(tmp_path):
    fig = plots.relu_softplus_figure()
    (ax,) = fig.axes
    drawn = {line.get_gid(): line for line in ax.lines if line.get_gid()}
    assert set(drawn) == {"relu", "softplus"}
    for name, line in drawn.items():
        z = line.get_xdata()
        assert z.min() == -4 and z.max() == 4
        np.testing.assert_array_equal(line.get_ydata(), act.ACTIVATIONS[name](z))
    assert "Rectifier, and a smooth approximation log(1 + e" in ax.get_title()
    assert ax.get_xlabel() == "z" and ax.get_ylabel() and ax.get_legend() is not None
    check_files(fig, tmp_path, "relu_softplus")


@pytest.mark.parametrize("kwargs, message", [
    ({"z_range": (4, -4)}, r"z_range must be two finite numbers, low < high, got \(4, -4\)"),
    ({"z_range": (0, float("nan"))}, "got \\(0, nan\\)"),
    ({"z_range": (1, 2, 3)}, r"got \(1, 2, 3\)"),
    ({"points": 1}, "points must be an int >= 2, got 1"),
])
def test_relu_softplus_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        plots.relu_softplus_figure(**kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("shift", [5.0, -3.5, 1000.0])
def test_shifted_softmax_bars_equal_the_unshifted(shift, tmp_path):
    f = np.array([2.0, 1.0, 0.1, -1.0, 0.5, 3.0])
    fig = plots.softmax_figure(f, shift=shift)
    np.testing.assert_array_equal(bars(fig, "f"), f)
    np.testing.assert_array_equal(bars(fig, "f + c"), f + shift)
    p, q = bars(fig, "softmax(f)"), bars(fig, "softmax(f + c)")
    np.testing.assert_array_equal(p, act.softmax(f))
    np.testing.assert_allclose(q, p, rtol=0, atol=1e-15)  # the same, up to rounding
    difference = np.max(np.abs(act.softmax(f + shift) - act.softmax(f)))
    (note,) = [t.get_text() for t in fig.findobj(lambda a: a.get_gid() == "difference")]
    assert note.startswith(f"largest difference |softmax(f + c) − softmax(f)| = {difference:.2g}")
    assert f"c = {shift:g}" in fig.get_suptitle()
    if shift == 5.0:
        check_files(fig, tmp_path, "softmax")


@pytest.mark.parametrize("logits, shift, message", [
    (np.array([1.0]), 1.0, "logits must be a 1-D array of at least 2 numbers"),
    (np.ones((2, 3)), 1.0, r"shape \(2, 3\)"),
    (np.array([1.0, np.inf]), 1.0, "logits must be finite, got"),
    (np.array(["a", "b"]), 1.0, "logits must be a 1-D array"),
    (np.array([1.0, 2.0]), float("nan"), "shift must be a finite number, got nan"),
    (np.array([1.0, 2.0]), "3", "shift must be a finite number, got '3'"),
])
def test_softmax_figure_rejects_bad_input(logits, shift, message):
    with pytest.raises(ValueError, match=message) as info:
        plots.softmax_figure(logits, shift=shift)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------------------
# Saturation at initialisation


@pytest.fixture(scope="module")
def images(mnist_data):
    _, (xt, _) = mnist_data
    return xt[:300].reshape(300, 784) / 255.0


def stairs(fig, gid: str) -> tuple[np.ndarray, np.ndarray]:
    """The counts and bin edges of the histogram with this gid."""
    (found,) = [a for ax in fig.axes for a in ax.patches if a.get_gid() == gid]
    data = found.get_data()
    return data.values, data.edges


def test_saturation_histograms_count_every_hidden_value(images, tmp_path):
    fig = plots.saturation_figure(images, rng=np.random.default_rng(5))
    seed = int(np.random.default_rng(5).integers(2**32))  # the one seed every row is built from
    for init in ("normal", "scaled"):
        net = Network((784, 15, 10), init=init, rng=np.random.default_rng(seed))
        w1, b1 = net.layers[0].W.value, net.layers[0].b.value
        z = images.astype(np.float32) @ w1 + b1  # (300, 15)
        h = act.sigmoid(z)
        for name, values in (("z", z), ("h", h)):
            counts, edges = stairs(fig, f"{name} {init}")
            assert counts.sum() == values.size == 300 * 15
            assert edges[0] <= values.min() and values.max() <= edges[-1]
            np.testing.assert_array_equal(counts, np.histogram(values, bins=edges)[0])
        fraction = np.mean((h < 0.01) | (h > 0.99))
        assert texts(fig, f"saturated {init}") == [
            f"{100 * fraction:.1f}% of h within 0.01 of 0 or 1"]
    check_files(fig, tmp_path, "saturation")


def test_saturation_rows_say_whose_choice_and_n01_saturates_scaled_does_not(images):
    fig = plots.saturation_figure(images, rng=0)
    rows = [sub.get_suptitle() for sub in fig.subfigs]
    assert rows == ["N(0, 1): the lecture's", "scaled: our choice (N(0, 1/784))"]
    written = {init: float(re.match(r"([\d.]+)%", texts(fig, f"saturated {init}")[0])[1])
               for init in ("normal", "scaled")}
    assert written["normal"] > 50 and written["scaled"] < 1  # as the module docstring says
    h = plots.hidden_at_init(images, "normal", seed=1)[1]
    assert plots.saturated_fraction(h) == np.mean((h < 0.01) | (h > 0.99))


def test_saturation_is_reproducible_from_its_generator(images):
    one = plots.saturation_figure(images[:50], rng=np.random.default_rng(9), inits=["he"])
    two = plots.saturation_figure(images[:50], rng=np.random.default_rng(9), inits=["he"])
    np.testing.assert_array_equal(stairs(one, "z he")[0], stairs(two, "z he")[0])
    assert len(one.axes) == 2 and "he: N(0, 2/784)" in one.subfigs[0].get_suptitle()


@pytest.mark.parametrize("x, kwargs, message", [
    (np.zeros((3, 784), np.uint8), {}, "as floats \\(divide uint8 images by 255\\), got uint8"),
    (np.full((3, 784), 255.0), {}, "pixel values in \\[0, 1\\].* got values from 255 to 255"),
    (np.zeros(784), {}, r"x must be a batch of images, .* got shape \(784,\)"),
    (np.zeros((3, 784)), {"inits": ("normal", "uniform")}, "got \\('normal', 'uniform'\\)"),
    (np.zeros((3, 784)), {"inits": ()}, "inits must be 1 to 4 different names"),
    (np.zeros((3, 784)), {"inits": ("scaled", "scaled")}, "got \\('scaled', 'scaled'\\)"),
    (np.zeros((3, 784)), {"rng": "seed"}, "rng must be a numpy.random.Generator or a seed"),
    (np.zeros((3, 784)), {"rng": -1}, "got -1"),
    (np.zeros((3, 784)), {"hidden": 0}, "hidden must be a positive int, got 0"),
])
def test_saturation_rejects_bad_input(x, kwargs, message):
    with pytest.raises(ValueError, match=message) as info:
        plots.saturation_figure(x, **kwargs)
    assert "\n" not in str(info.value)
