"""Small commands: the perceptron table, evaluate, predict, gradcheck."""

from __future__ import annotations

import json
import sys
import time

import click
import numpy as np

from .. import activations as act
from ..messages import plural
from .app import load_dataset, main, parse_floats, parse_ints

# ---------------------------------------------------------------------------
# steepest perceptron


@main.command()
@click.option("--weights", default="1,6,3", show_default=True,
              help="Weights for (tickets cheap?, time to go?, care about the opponent?), "
                   "comma-separated.")
@click.option("--threshold", "thresholds", multiple=True, type=float,
              help="Threshold t: go when w.x >= t.  Repeat for several.  [default: 9 and 7]")
@click.option("--learn", type=click.Choice(["and", "or", "xor"]),
              help="Instead: learn a two-input gate with Rosenblatt's rule (not in the lecture).")
@click.option("--max-epochs", default=25, show_default=True, type=click.IntRange(1),
              help="With --learn: passes before giving up.")
def perceptron(weights: str, thresholds: tuple[float, ...], learn: str | None,
               max_epochs: int) -> None:
    """The lecture's perceptron: "go to the game?" as a table.

    Each row is one situation x = (Are the tickets cheap?  Do I have the time
    to go?  Do I care about the team they're playing?), 1 for yes; the
    perceptron goes when w.x >= t (bias form: H(w.x + b) with b = -t and
    H(0) = 1).
    """
    from ..perceptron import GAME_FEATURES, GAME_QUESTIONS, game_table
    from ..perceptron import learn as rosenblatt

    if learn:
        gates = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}
        x = [[0, 0], [0, 1], [1, 0], [1, 1]]
        result = rosenblatt(x, gates[learn], max_epochs=max_epochs)
        p = result.perceptron
        click.echo(f"Rosenblatt's rule on {learn.upper()}: mistakes per epoch {result.mistakes}")
        click.echo("  x1 x2  target  output")
        for xi, yi, oi in zip(x, gates[learn], p.predict(x)):
            click.echo(f"   {xi[0]}  {xi[1]}     {yi}       {oi}")
        w = ", ".join(f"{v:g}" for v in p.weights)
        if result.converged:
            click.echo(f"converged after {plural(result.epochs, 'epoch')}: w = ({w}), "
                       f"b = {p.bias:g}")
        else:
            click.echo(f"not converged after {plural(result.epochs, 'epoch')}: "
                       f"{learn.upper()} is not linearly separable, "
                       "so no line splits its 0s from its 1s")
        return
    w = parse_floats(weights, "--weights")
    if len(w) != 3:
        raise click.BadParameter(f"need 3 weights, got {weights!r}", param_hint="--weights")
    thresholds = thresholds or (9.0, 7.0)
    rows = game_table(w, thresholds)
    heads = [f"t={t:g}" for t in thresholds]
    click.echo("x = (cheap, time, care), 1 for yes:")
    for name, question in zip(GAME_FEATURES, GAME_QUESTIONS):
        click.echo(f"  {name + ':':<6} {question}")
    click.echo(f"w = ({', '.join(f'{v:g}' for v in w)}); go when w.x >= t")
    click.echo("cheap  time  care    w.x  " + "  ".join(f"{h:>5}" for h in heads))
    for row in rows:
        c, a, i = row["x"]
        decisions = "  ".join(f"{'go' if g else '-':>5}" for g in row["go"])
        click.echo(f"{c:>5}  {a:>4}  {i:>4}  {row['wx']:>5g}  {decisions}")
    for k, t in enumerate(thresholds):
        click.echo(f"t = {t:g}: goes in {sum(r['go'][k] for r in rows)} of {len(rows)} situations")


# ---------------------------------------------------------------------------
# steepest evaluate


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", type=click.Path(), default=None,
              help="Directory with MNIST-format IDX files (default: bundled MNIST).")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON document instead.")
def evaluate(model, data, as_json):
    """Accuracy, per-digit accuracy and confusion matrix of MODEL on the test set."""
    from ..modelfile import load_model

    net, _ = load_model(model)
    _, (x_test, y_test) = load_dataset(data)
    if int(np.prod(x_test.shape[1:])) != net.sizes[0]:
        raise ValueError(f"{model} expects {net.sizes[0]} inputs, images have "
                         f"{int(np.prod(x_test.shape[1:]))} pixels")
    from ..metrics import confusion_matrix
    from ..training import check_labels

    k = check_labels(net.sizes[-1], y_test)  # the data's labels must be the model's classes
    confusion = confusion_matrix(y_test, net.predict(x_test), k)  # rows: true, cols: predicted
    per_class = confusion.diagonal() / np.maximum(confusion.sum(axis=1), 1)
    accuracy = float(confusion.trace() / confusion.sum())
    if as_json:
        click.echo(json.dumps({
            "accuracy": accuracy,
            "per_class_accuracy": [float(v) for v in per_class],
            "confusion": confusion.tolist(),
            "n": int(confusion.sum()),
        }))
        return
    click.echo(f"{model}: {net.describe()}")
    click.echo(f"test accuracy: {100 * accuracy:.2f}% ({confusion.trace():,} of "
               f"{confusion.sum():,})")
    click.echo("per class: " + "  ".join(f"{d}: {100 * a:.1f}%" for d, a in enumerate(per_class)))
    click.echo("confusion matrix (rows: true class, columns: predicted):")
    click.echo("      " + "".join(f"{d:>6}" for d in range(k)))
    for d in range(k):
        click.echo(f"{d:>6}" + "".join(f"{v:>6}" for v in confusion[d]))


# ---------------------------------------------------------------------------
# steepest predict


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("images", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per image, in a list.")
def predict(model, images, as_json):
    """Classify drawn digits (PNG/JPEG, dark-on-light or light-on-dark).

    Each image is preprocessed like MNIST: grayscale, inverted if needed,
    cropped to the ink, fit into 20x20, centred by mass in 28x28.  Images
    up to 4096x4096 pixels are read.
    """
    from ..modelfile import load_model
    from ..preprocess import is_blank, preprocess_file

    net, _ = load_model(model)
    if net.sizes[0] != 784:
        raise ValueError(f"{model} expects {net.sizes[0]} inputs, not 28x28 = 784 pixels")
    digits = [preprocess_file(p) for p in images]  # all read before any output
    for path, digit in zip(images, digits):
        if is_blank(digit):  # the web lab's rule too
            raise ValueError(f"{path}: no ink found: the image is blank")
    x = np.stack([d.reshape(784) for d in digits])  # (n_images, 784)
    probs = net.predict_proba(x)  # (n_images, 10)
    results = [
        {"image": str(p), "digit": int(pr.argmax()), "probabilities": [float(v) for v in pr]}
        for p, pr in zip(images, probs)
    ]
    if as_json:
        click.echo(json.dumps(results))
        return
    for r in results:
        ps = "  ".join(f"{d}:{v:.3f}" for d, v in enumerate(r["probabilities"]))
        click.echo(f"{r['image']}: {r['digit']} ({100 * r['probabilities'][r['digit']]:.1f}%)  "
                   f"[{ps}]")


# ---------------------------------------------------------------------------
# steepest gradcheck


@main.command()
@click.option("--hidden", default="15", show_default=True, help="Hidden layer sizes.")
@click.option("--activation", default="sigmoid", show_default=True,
              type=click.Choice(list(act.HIDDEN_ACTIVATIONS)))
@click.option("--samples", default=8, show_default=True, type=click.IntRange(1, 1000),
              help="MNIST training images in the mini-batch.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--eps", default=1e-6, show_default=True, type=click.FloatRange(min=0, min_open=True))
def gradcheck(hidden, activation, samples, seed, eps):
    """Compare backprop with central finite differences (float64).

    Default: the lecture's 784-15-10 network, every one of its 11,935
    parameters, on a mini-batch of MNIST digits.
    """
    from ..datasets import mnist
    from ..gradcheck import check_network
    from ..network import Network

    (x, y), _ = mnist.load_data()
    rng = np.random.default_rng(seed)
    idx = rng.choice(x.shape[0], samples, replace=False)
    xb = x[idx].reshape(samples, -1).astype(np.float64) / 255
    net = Network((784, *parse_ints(hidden, "--hidden"), 10), activation=activation, rng=rng,
                  dtype=np.float64)
    click.echo(f"network: {net.describe()}; {samples} MNIST images; float64; eps = {eps:g}")
    t0 = time.perf_counter()
    results = check_network(net, xb, y[idx], eps=eps)
    click.echo(f"{'param':<6} {'shape':<12} {'max |backprop|':>15} {'max |diff|':>12} "
               f"{'rel. error':>11}")
    for r in results:
        click.echo(f"{r.name:<6} {str(r.shape):<12} {r.max_abs_grad:>15.3e} "
                   f"{r.max_abs_diff:>12.3e} {r.relative_error:>11.2e}  "
                   f"{'ok' if r.ok() else 'FAIL'}")
    worst = max(r.relative_error for r in results)
    n = sum(int(np.prod(r.shape)) for r in results)
    verdict = "backprop agrees" if worst < 1e-6 else "MISMATCH"
    click.echo(f"{verdict}: {n:,} parameters, worst relative error {worst:.2e} "
               f"(tolerance 1e-6), {time.perf_counter() - t0:.1f} s")
    if worst >= 1e-6:
        sys.exit(1)
