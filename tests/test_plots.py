"""Figures: drawn from the package's real numbers, saved as valid PNG and SVG.

Where a figure shows data, the test reads the data back out of the figure
(a line's y-values, an image's array, a bar's height) and compares it with
what the package computes on its own.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

pytest.importorskip("matplotlib", reason="the figures need matplotlib (pip install '.[plots]')")

from click.testing import CliRunner  # noqa: E402
from PIL import Image  # noqa: E402

from steepest import activations as act  # noqa: E402
from steepest import plots  # noqa: E402
from steepest.cli import main  # noqa: E402
from steepest.descent import SURFACES, descend  # noqa: E402
from steepest.losses import NLL  # noqa: E402
from steepest.modelfile import save_model  # noqa: E402
from steepest.network import Network  # noqa: E402
from steepest.preprocess import preprocess_file  # noqa: E402
from steepest.training import TrainConfig, fit  # noqa: E402


@pytest.fixture(scope="module")
def tiny(mnist_data):
    """A lecture-shaped network after one quick epoch on 2,000 digits, and 500 test digits."""
    (x, y), (xt, yt) = mnist_data
    test = (xt[:500], yt[:500])
    net, history = fit(TrainConfig(epochs=1, batch_size=100), ((x[:2000], y[:2000]), test))
    return net, [r.to_dict() for r in history], test


@pytest.fixture(scope="module")
def model_file(tiny, tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "tiny.npz"
    save_model(path, tiny[0])
    return path


@pytest.fixture(scope="module")
def digit_file(mnist_data, tmp_path_factory):
    """Test digit 0 (a 7) as a person might draw it: dark ink on white, 112x112 pixels."""
    _, (xt, yt) = mnist_data
    path = tmp_path_factory.mktemp("digit") / "seven.png"
    Image.fromarray(255 - xt[0]).resize((112, 112), Image.Resampling.BILINEAR).save(path)
    return path


def check_files(fig, directory, name: str) -> None:
    """Save ``fig`` as PNG and SVG; both must be non-empty, valid images."""
    png = plots.save(fig, directory / f"{name}.png")
    svg = plots.save(fig, directory / f"{name}.svg")
    with Image.open(png) as image:
        image.verify()
    with Image.open(png) as image:
        assert image.format == "PNG" and min(image.size) >= 300
    assert svg.stat().st_size > 1000
    assert ET.parse(svg).getroot().tag == "{http://www.w3.org/2000/svg}svg"


lines = plots.lines_with_gid  # the lines of an axes with a given gid


# ---------------------------------------------------------------------------
# (a) activations and -log(o)


def test_activation_curves_are_the_package_functions(tmp_path):
    fig = plots.activations_figure()
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["step", "relu", "softplus", "sigmoid"]
    for ax in panels:
        name = ax.get_title()
        for gid, table in (("f", act.ACTIVATIONS), ("f'", act.DERIVATIVES)):
            pieces = lines(ax, gid)
            assert pieces, (name, gid)
            z = np.concatenate([p.get_xdata() for p in pieces])
            assert z.min() == -5 and z.max() == 5 and 0 in z
            for piece in pieces:
                np.testing.assert_array_equal(piece.get_ydata(), table[name](piece.get_xdata()))
        assert ax.get_xlabel() == "z" and ax.get_legend() is not None
    # The step jumps at 0: drawn in two pieces, never through the values in between.
    step = panels[0]
    assert len(lines(step, "f")) == 2
    check_files(fig, tmp_path, "activations")


def test_the_step_is_drawn_with_h_of_0_equal_to_1_and_relus_derivative_with_0():
    fig = plots.activations_figure(("step", "relu"))
    step, relu = (ax for ax in fig.axes if ax.get_visible())
    # The lecture's perceptron outputs 1 when w.x + b >= 0: H(0) = 1.
    assert "geq 0" in plots.ACTIVATION_LABELS["step"][0]
    assert step.get_legend().get_texts()[0].get_text() == plots.ACTIVATION_LABELS["step"][0]
    left, right = lines(step, "f")
    assert left.get_xdata().max() < 0 and set(left.get_ydata()) == {0.0}
    assert right.get_xdata().min() == 0 and set(right.get_ydata()) == {1.0}
    (filled,) = lines(step, "f at 0")
    (hollow,) = lines(step, "f limit")
    assert (filled.get_xdata()[0], filled.get_ydata()[0]) == (0, 1.0)
    assert (hollow.get_xdata()[0], hollow.get_ydata()[0]) == (0, 0.0)
    assert hollow.get_markerfacecolor() == "white" != filled.get_markerfacecolor()
    # ReLU's derivative is taken as 0 at 0: filled at 0, open at 1.
    left, right = lines(relu, "f'")
    assert left.get_xdata().max() == 0 and set(left.get_ydata()) == {0.0}
    assert right.get_xdata().min() > 0 and set(right.get_ydata()) == {1.0}
    (filled,) = lines(relu, "f' at 0")
    (hollow,) = lines(relu, "f' limit")
    assert filled.get_ydata()[0] == 0.0 and hollow.get_ydata()[0] == 1.0


def test_nll_curve_is_minus_log_o(tmp_path):
    fig = plots.nll_figure()
    (curve,) = lines(fig.axes[0], "nll")
    o, cost = curve.get_xdata(), curve.get_ydata()
    assert 0 < o.min() < 0.01 and o.max() == 1.0
    np.testing.assert_allclose(cost, -np.log(o), rtol=1e-12, atol=1e-15)
    one = NLL.value(np.array([[o[7], 1 - o[7]]]), np.array([0]))  # the loss training minimises
    assert cost[7] == pytest.approx(one)
    check_files(fig, tmp_path, "nll")


# ---------------------------------------------------------------------------
# (b) gradient descent


@pytest.mark.parametrize("name", list(SURFACES))
def test_descent_paths_are_descend_and_too_large_lr_diverges(name):
    fig = plots.descent_figure(name)
    (contour_ax,) = [ax for ax in fig.axes if ax.get_xlabel() == "v₁"]
    (cost_ax,) = [ax for ax in fig.axes if ax.get_xlabel() == "step"]
    defaults, steps = plots.DESCENT_DEFAULTS[name]
    paths = [descend(name, SURFACES[name].start, lr, steps) for lr, _ in defaults]
    for i, path in enumerate(paths):
        (drawn,) = lines(contour_ax, f"path {i}")
        n = len(drawn.get_xdata())  # drawn until it first leaves the window
        np.testing.assert_array_equal(drawn.get_xdata(), path.points[:n, 0])
        np.testing.assert_array_equal(drawn.get_ydata(), path.points[:n, 1])
        (cost,) = lines(cost_ax, f"cost {i}")
        np.testing.assert_array_equal(cost.get_ydata(), path.costs)
    small, good, large = paths
    # The largest learning rate blows up: C grows by orders of magnitude (or descend gave up).
    assert large.diverged or large.costs[-1] > 1e3 * large.costs[0]
    if name != "saddle":  # the saddle has no minimum to reach
        assert good.costs[-1] < small.costs[-1] < small.costs[0]
        assert cost_ax.get_yscale() == "log"
    else:
        assert cost_ax.get_yscale() == "symlog"  # C goes negative


def test_descent_figure_saves_and_takes_custom_learning_rates(tmp_path):
    fig = plots.descent_figure("bowl", start=(1.0, 1.0), learning_rates=[0.1, 0.5], steps=5)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0].startswith("λ = 0.1\n") and legend[1].startswith("λ = 0.5\n")
    # lambda = 0.5 on C = v1^2 + v2^2 lands on the minimum in one step.
    (cost,) = [line for ax in fig.axes for line in lines(ax, "cost 1")]
    assert cost.get_ydata().tolist() == [2.0, 0.0, 0.0, 0.0, 0.0, 0.0]
    check_files(fig, tmp_path, "descent")


@pytest.mark.parametrize("kwargs, message", [
    ({"surface": "volcano"}, "unknown surface 'volcano'"),
    ({"learning_rates": [-0.1]}, "learning_rate must be a positive number, got -0.1"),
    ({"learning_rates": [0.1] * 6}, "give 1 to 5 learning rates"),
    ({"steps": 0}, "steps must be a positive int, got 0"),
    ({"start": (1.0, float("nan"))}, "start must be two finite numbers"),
])
def test_descent_figure_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.descent_figure(**kwargs)


# ---------------------------------------------------------------------------
# (c) history


def sample_history() -> dict:
    epochs = [
        {"epoch": e, "train_loss": 1.0 / e, "test_accuracy": 0.80 + 0.01 * e, "seconds": 1.0,
         "val_accuracy": 0.79 + 0.01 * e, "val_loss": 1.1 / e, "train_accuracy": 0.81 + 0.01 * e}
        for e in range(1, 6)
    ]
    return {"meta": {"config": {"hidden": [15], "activation": "sigmoid", "learning_rate": 1.0,
                                "batch_size": 32, "seed": 0}}, "epochs": epochs}


def test_history_curves_are_the_records(tmp_path):
    doc = sample_history()
    records, meta = plots.check_history(doc)
    fig = plots.history_figure(records, meta)
    loss_ax, acc_ax = fig.axes
    for key in ("train_loss", "val_loss"):
        (line,) = lines(loss_ax, key)
        np.testing.assert_allclose(line.get_ydata(), [r[key] for r in records])
        np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4, 5])
    for key in ("train_accuracy", "val_accuracy", "test_accuracy"):
        (line,) = lines(acc_ax, key)
        np.testing.assert_allclose(line.get_ydata(), [100 * r[key] for r in records])
    assert {t.get_text() for t in acc_ax.get_legend().get_texts()} == {"train", "validation",
                                                                       "test"}
    assert "hidden 15 sigmoid" in fig.get_suptitle() and "85.00%" in acc_ax.get_title()
    check_files(fig, tmp_path, "history")


def test_history_of_a_real_run_has_no_validation_curves(tiny):
    _, records, _ = tiny
    fig = plots.history_figure(records)
    loss_ax, acc_ax = fig.axes
    assert [line.get_gid() for line in loss_ax.lines] == ["train_loss"]
    assert "test_accuracy" in [line.get_gid() for line in acc_ax.lines]
    assert not lines(acc_ax, "val_accuracy")


def test_history_with_validation_shows_the_final_test_accuracy_and_the_schedule():
    # As `steepest train --validation N --schedule cosine` writes it: the test set is
    # scored once, at the end, on the best epoch's weights.
    doc = sample_history()
    for i, r in enumerate(doc["epochs"]):
        r["test_accuracy"] = None
        r["learning_rate"] = 1.0 - 0.2 * i
    doc["meta"]["config"]["schedule"] = "cosine"
    doc["meta"]["result"] = {"test_accuracy": 0.9129, "best_epoch": 4}
    fig = plots.history_figure(doc)
    loss_ax, acc_ax, rate_ax = fig.axes
    assert not lines(acc_ax, "test_accuracy")
    (star,) = lines(acc_ax, "final_test_accuracy")
    assert star.get_xdata().tolist() == [4] and star.get_ydata().tolist() == [91.29]
    assert "91.29%" in star.get_label()
    (rate,) = lines(rate_ax, "learning_rate")
    np.testing.assert_allclose(rate.get_ydata(), [1.0, 0.8, 0.6, 0.4, 0.2])
    assert "best validation accuracy 84.00% (epoch 5)" in acc_ax.get_title()
    assert "cosine schedule" in fig.get_suptitle()


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON"),
    ('{"meta": {}}', "not a training history"),
    ('{"epochs": []}', "the history has no epochs"),
    ('{"epochs": [{"epoch": 1}]}', "epoch record 0 has no 'train_loss'"),
    ('{"epochs": [{"epoch": 1, "train_loss": 0.5, "test_accuracy": "high"}]}',
     "test_accuracy must be a number, got 'high'"),
    ('{"epochs": [7]}', "epoch record 0 is not an object"),
])
def test_load_history_explains_a_bad_file(tmp_path, text, message):
    path = tmp_path / "history.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        plots.load_history(path)
    assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_load_history_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        plots.load_history(tmp_path / "nope.json")


# ---------------------------------------------------------------------------
# (d) from a model


def test_confusion_image_is_the_confusion_matrix(tiny, tmp_path):
    net, _, (x, y) = tiny
    fig = plots.confusion_figure(net, x, y)
    image = fig.axes[0].images[0].get_array()
    pred = net.predict(x)
    expected = np.zeros((10, 10), int)
    for t, p in zip(y, pred):
        expected[t, p] += 1
    np.testing.assert_array_equal(np.asarray(image), expected)
    assert image.sum() == 500
    assert f"{100 * np.mean(pred == y):.2f}%" in fig.axes[0].get_title()
    check_files(fig, tmp_path, "confusion")


def test_weight_images_are_the_first_layer_columns(tiny, tmp_path):
    net, _, _ = tiny
    fig = plots.weights_figure(net)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 15  # the lecture's 15 hidden units, side by side
    w = net.layers[0].W.value
    for j, im in enumerate(images):
        np.testing.assert_array_equal(im.get_array(), w[:, j].reshape(28, 28))
        assert im.norm.vmin == -im.norm.vmax > -np.inf  # a diverging map centred at 0
        assert im.get_cmap().name == "RdBu_r"
    check_files(fig, tmp_path, "weights")


def test_weights_of_a_big_layer_show_the_first_units_with_a_note():
    net = Network((784, 40, 10), rng=np.random.default_rng(0))
    fig = plots.weights_figure(net, max_units=12)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == 12
    np.testing.assert_array_equal(images[11].get_array(),
                                  net.layers[0].W.value[:, 11].reshape(28, 28))
    assert "the first 12 of 40 units" in fig.get_suptitle()


def test_weights_need_a_square_image_input():
    with pytest.raises(ValueError, match="not a square image"):
        plots.weights_figure(Network((10, 3, 2), rng=np.random.default_rng(0)))


def test_mistakes_gallery_shows_only_mistakes_most_confident_first(tiny, tmp_path):
    net, _, (x, y) = tiny
    fig = plots.mistakes_figure(net, x, y, count=10)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 10
    probs = net.predict_proba(x)
    confidences = []
    for ax in shown:
        i = int(ax.images[0].get_gid())
        predicted = int(probs[i].argmax())
        assert predicted != y[i]
        np.testing.assert_array_equal(ax.images[0].get_array(), x[i])
        assert ax.get_title().startswith(f"true {y[i]} → {predicted}\n")
        assert ax.get_title().endswith("sure")
        confidences.append(probs[i, predicted])
    assert confidences == sorted(confidences, reverse=True)
    wrong = int(np.sum(probs.argmax(axis=1) != y))
    assert f"{wrong:,} of 500 wrong" in fig.get_suptitle()
    check_files(fig, tmp_path, "mistakes")


def test_forward_trace_is_the_forward_pass_and_leaves_the_network_untouched(tiny, digit_file):
    net, _, _ = tiny
    x = preprocess_file(digit_file)
    batch = np.random.default_rng(0).random((3, 784), dtype=np.float32)
    net.forward(batch)  # a training step's saved inputs and outputs, as backward needs them
    saved = [(layer.x.copy(), layer.a.copy()) for layer in net.layers]
    trace = plots.forward_trace(net, x)
    for (x_before, a_before), layer in zip(saved, net.layers):
        np.testing.assert_array_equal(layer.x, x_before)
        np.testing.assert_array_equal(layer.a, a_before)
    net.forward(x.reshape(1, 784).astype(net.dtype))
    for traced, layer in zip(trace, net.layers):
        np.testing.assert_array_equal(traced, layer.a[0])  # bit for bit


def test_inside_shows_the_preprocessed_input_hidden_units_and_probabilities(
    tiny, digit_file, tmp_path
):
    net, _, _ = tiny
    x = preprocess_file(digit_file)
    fig = plots.inside_figure(net, x, title="seven.png")
    (input_image,) = [im for ax in fig.axes for im in ax.images if im.get_gid() == "input"]
    np.testing.assert_array_equal(input_image.get_array(), x)
    bars: dict[str, list[float]] = {}  # each bar (a Rectangle) carries its layer's gid
    for ax in fig.axes:
        for patch in ax.patches:
            bars.setdefault(patch.get_gid(), []).append(patch.get_height())
    w1, b1 = net.layers[0].W.value, net.layers[0].b.value
    np.testing.assert_allclose(bars["layer 0"], act.sigmoid(x.reshape(784) @ w1 + b1), rtol=1e-5)
    probs = net.predict_proba(x.reshape(1, 784))[0]
    np.testing.assert_allclose(bars["layer 1"], probs, rtol=1e-6)
    assert f"the network says {probs.argmax()}" in fig.get_suptitle()
    check_files(fig, tmp_path, "inside")


def test_write_run_figures(tiny, tmp_path):
    net, records, test = tiny
    paths = plots.write_run_figures(tmp_path / "run" / "figures", net, records, test)
    assert [p.name for p in paths] == ["history.png", "confusion.png", "weights.png",
                                       "mistakes.png"]
    for p in paths:
        with Image.open(p) as image:
            image.verify()


# ---------------------------------------------------------------------------
# save


def test_save_is_deterministic_and_checks_the_path(tmp_path):
    fig = plots.nll_figure(points=50)
    a, b = plots.save(fig, tmp_path / "a.svg"), plots.save(fig, tmp_path / "b.svg")
    assert a.read_bytes() == b.read_bytes()  # no dates or random ids in the file
    with pytest.raises(ValueError, match=r"x\.jpg: cannot write a figure as '\.jpg'"):
        plots.save(fig, tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="does not exist"):
        plots.save(fig, tmp_path / "no" / "x.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.svg", "b.svg"]  # no leftovers


# ---------------------------------------------------------------------------
# steepest plot ...


def run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def history_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("history") / "history.json"
    path.write_text(json.dumps(sample_history()))
    return path


@pytest.mark.parametrize("name, args", [
    ("activations", ["activations"]),
    ("nll", ["nll"]),
    ("descent", ["descent", "--surface", "rosenbrock", "--start=-1,2.5", "--lrs", "0.001,0.002",
                 "--steps", "300"]),
    ("history", ["history", "HISTORY"]),
    ("confusion", ["confusion", "MODEL"]),
    ("weights", ["weights", "MODEL", "--units", "6"]),
    ("mistakes", ["mistakes", "MODEL", "--count", "8"]),
    ("inside", ["inside", "MODEL", "DIGIT"]),
])
def test_plot_commands_write_a_figure(name, args, model_file, history_file, digit_file,
                                      tmp_path):
    swap = {"MODEL": model_file, "HISTORY": history_file, "DIGIT": digit_file}
    suffix = ".svg" if name in ("weights", "history") else ".png"
    out = tmp_path / f"{name}{suffix}"
    result = run(["plot", *[swap.get(a, a) for a in args], "-o", out])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}\n"
    if suffix == ".png":
        with Image.open(out) as image:
            image.verify()
    else:
        ET.parse(out)


def test_plot_default_file_names(tmp_path, monkeypatch, digit_file, model_file):
    monkeypatch.chdir(tmp_path)
    assert run(["plot", "descent", "--surface", "bowl", "--steps", "5"]).exit_code == 0
    assert run(["plot", "inside", model_file, digit_file]).exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["descent-bowl.png", "inside-seven.png"]


@pytest.mark.parametrize("command", ["activations", "nll", "descent", "history", "confusion",
                                     "weights", "mistakes", "inside"])
def test_plot_help(command):
    result = run(["plot", command, "--help"])
    assert result.exit_code == 0 and "--output" in result.stdout and "-o" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["history", "BAD_HISTORY"], "not valid JSON"),
    (["history", "NO_FILE"], "no such file"),
    (["confusion", "NO_FILE"], "no such file"),
    (["weights", "NO_FILE"], "no such file"),
    (["mistakes", "NO_FILE"], "no such file"),
    (["inside", "NO_FILE", "NO_FILE"], "no such file"),
    (["descent", "--surface", "volcano"], "unknown surface 'volcano'"),
    (["descent", "--lrs", "0.1,-2"], "learning_rate must be a positive number, got -2.0"),
    (["nll", "-o", "nll.jpg"], "cannot write a figure as '.jpg'"),
])
def test_plot_errors_are_one_line_exit_1(args, message, tmp_path):
    bad = tmp_path / "history.json"
    bad.write_text('{"epochs": [{"epoch": 1, "train_loss": ')
    swap = {"BAD_HISTORY": bad, "NO_FILE": tmp_path / "missing.npz"}
    result = run(["plot", *[swap.get(a, a) for a in args]])
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("steepest: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    assert result.stdout == ""


def test_plot_bad_start_is_a_usage_error():
    result = run(["plot", "descent", "--start", "1,2,3"])
    assert result.exit_code == 2 and "need two numbers X,Y" in result.stderr


def test_importing_steepest_does_not_import_matplotlib():
    code = (
        "import sys\n"
        "import steepest, steepest.cli, steepest.plots\n"
        "from click.testing import CliRunner\n"
        "assert CliRunner().invoke(steepest.cli.main, ['plot', '--help']).exit_code == 0\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "import io\n"
        "steepest.plots.nll_figure(points=10).savefig(io.BytesIO(), format='png')\n"
        "assert 'matplotlib' in sys.modules\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
