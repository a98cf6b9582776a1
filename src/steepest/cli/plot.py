"""``steepest plot ...``: the lecture's figures from real numbers (matplotlib, Agg)."""

from __future__ import annotations

from pathlib import Path

import click

from .app import UserError, install_hint, load_dataset, main, parse_floats

# ---------------------------------------------------------------------------
# steepest plot


@main.group()
def plot() -> None:
    """Draw the lecture's figures and a model's, from real numbers, as PNG or SVG.

    Each command writes one figure (--output/-o FILE, .png or .svg) and prints
    its name.  Needs matplotlib, from steepest's plots extra: in the steepest
    checkout, python -m pip install -e ".[plots]" (without it, the error names
    the command for this installation).
    """


def _plots(output: str):
    """Import steepest.plots (and so matplotlib) and check the output's suffix first."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise UserError(f"the plot commands need matplotlib; {install_hint('plots')}") from None
    from .. import plots

    plots.figure_format(output)  # a bad suffix fails before any work is done
    return plots


def _output(default: str):
    return click.option("--output", "-o", type=click.Path(dir_okay=False), default=default,
                        show_default=True, help="The figure file: .png or .svg.")


def _data_option():
    return click.option("--data", type=click.Path(), default=None,
                        help="Directory with MNIST-format IDX files (default: bundled MNIST).")


def _save(plots, fig, output) -> None:
    click.echo(f"wrote {plots.save(fig, output)}")


def _model_and_test_set(model: str, data: str | None):
    from ..modelfile import load_model

    net, _ = load_model(model)  # before the data, so a bad model file fails fast
    _, (x_test, y_test) = load_dataset(data)
    return net, x_test, y_test


@plot.command("activations")
@_output("activations.png")
def plot_activations(output):
    """Step, ReLU, softplus and sigmoid, each with its derivative."""
    plots = _plots(output)
    _save(plots, plots.activations_figure(), output)


@plot.command("nll")
@_output("nll.png")
def plot_nll(output):
    """The cost of one example, -log(o), for o in (0, 1]."""
    plots = _plots(output)
    _save(plots, plots.nll_figure(), output)


@plot.command("descent")
@click.option("--surface", default="valley", show_default=True,
              help="The cost C(v1, v2): bowl, valley, saddle or rosenbrock.")
@click.option("--start", default=None, help="Start point X,Y.  [default: the surface's own]")
@click.option("--lrs", default=None,
              help="1 to 5 learning rates, comma-separated.  [default: a too-small, a good "
                   "and a too-large one for the surface]")
@click.option("--steps", default=None, type=click.IntRange(1, 100_000),
              help="Steps per path.  [default: depends on the surface]")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The figure file: .png or .svg.  [default: descent-SURFACE.png]")
def plot_descent(surface, start, lrs, steps, output):
    """Gradient descent v <- v - lambda grad C(v) on a cost of two variables.

    Left, the contour plot with one path per learning rate; right, C after
    each step.  Try --surface rosenbrock, or --lrs 0.1,0.45,0.55 on the valley.
    """
    from ..descent import get_surface

    s = get_surface(surface)  # an unknown name: one line, exit 1
    output = output or f"descent-{s.name}.png"
    plots = _plots(output)
    point = None
    if start is not None:
        point = parse_floats(start, "--start")
        if len(point) != 2:
            raise click.BadParameter(f"need two numbers X,Y, got {start!r}", param_hint="--start")
    rates = parse_floats(lrs, "--lrs") if lrs is not None else None
    _save(plots, plots.descent_figure(s, point, rates, steps), output)


@plot.command("history")
@click.argument("history_json", type=click.Path(dir_okay=False))
@_output("history.png")
def plot_history(history_json, output):
    """Loss and accuracy per epoch from a run's HISTORY_JSON (from `steepest train`)."""
    plots = _plots(output)
    records, meta = plots.load_history(history_json)
    _save(plots, plots.history_figure(records, meta), output)


@plot.command("sweep")
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The figure file: .png or .svg.  [default: DIRECTORY/sweep.png]")
def plot_sweep(directory, output):
    """Validation accuracy against each parameter a sweep searched (DIRECTORY from `sweep`).

    The figure goes into the sweep's own folder, beside its trials.csv, unless
    --output names another file.
    """
    output = output or str(Path(directory) / "sweep.png")
    plots = _plots(output)
    from ..plots.sweep import load_sweep, sweep_figure

    _save(plots, sweep_figure(*load_sweep(directory)), output)


@plot.command("confusion")
@click.argument("model", type=click.Path(dir_okay=False))
@_data_option()
@_output("confusion.png")
def plot_confusion(model, data, output):
    """MODEL's confusion matrix on the test set: true digit against prediction."""
    plots = _plots(output)
    net, x_test, y_test = _model_and_test_set(model, data)
    _save(plots, plots.confusion_figure(net, x_test, y_test), output)


@plot.command("weights")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--units", default=30, show_default=True, type=click.IntRange(1),
              help="Draw at most this many units (the first ones).")
@_output("weights.png")
def plot_weights(model, units, output):
    """Each first-layer unit's 784 incoming weights as a 28x28 image."""
    from ..modelfile import load_model

    plots = _plots(output)
    net, _ = load_model(model)
    _save(plots, plots.weights_figure(net, max_units=units), output)


@plot.command("mistakes")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--count", default=24, show_default=True, type=click.IntRange(1, 200),
              help="How many misclassified digits to show.")
@_data_option()
@_output("mistakes.png")
def plot_mistakes(model, count, data, output):
    """Test digits MODEL gets wrong, most confident first: label, prediction, confidence."""
    plots = _plots(output)
    net, x_test, y_test = _model_and_test_set(model, data)
    _save(plots, plots.mistakes_figure(net, x_test, y_test, count=count), output)


@plot.command("inside")
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("image", type=click.Path(dir_okay=False))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="The figure file: .png or .svg.  [default: inside-IMAGE.png]")
def plot_inside(model, image, output):
    """IMAGE through MODEL: the input after preprocessing, hidden activations, outputs."""
    from ..modelfile import load_model
    from ..preprocess import load_image, to_mnist

    output = output or f"inside-{Path(image).stem}.png"
    plots = _plots(output)
    net, _ = load_model(model)
    original = load_image(image)
    fig = plots.inside_figure(net, to_mnist(original), original, title=Path(image).name)
    _save(plots, fig, output)
