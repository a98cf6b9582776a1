"""Figures drawn from the package's own numbers: the lecture, made visible.

Every function here computes its data with ``steepest`` itself (the activation
functions, :func:`steepest.descent.descend`, a trained :class:`Network`, a
run's ``history.json``) and returns a matplotlib :class:`~matplotlib.figure.Figure`;
:func:`save` writes one as PNG or SVG.

=====================  =========================================================
function               what it shows
=====================  =========================================================
activations_figure     ``f(z)`` and ``f'(z)`` for step, ReLU, softplus, sigmoid
nll_figure             ``-log(o)``: the cost of giving the right digit probability ``o``
descent_figure         ``v <- v - lambda grad C(v)`` on a contour plot, and ``C`` per step
history_figure         loss and accuracy per epoch of a training run
confusion_figure       true digit against predicted digit on the test set
weights_figure         each hidden unit's 784 incoming weights as a 28x28 image
mistakes_figure        misclassified test digits with label, prediction, confidence
inside_figure          one image: as the network sees it, hidden activations, outputs
=====================  =========================================================

matplotlib is imported only inside the functions that draw, so ``import
steepest`` and ``steepest train`` never load it.  Figures are built with the
object-oriented API on an Agg canvas (``Figure`` + ``FigureCanvasAgg``), never
through ``pyplot``: there is no global "current figure", nothing opens a
window, and no figure stays alive in a registry after its caller drops it.
Fonts come from :data:`STYLE` through ``matplotlib.rc_context``, which sets
matplotlib's global settings for the duration of a call: draw from one
thread at a time.
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import activations as act
from .descent import Surface, descend, get_surface
from .losses import NLL
from .metrics import confusion_matrix, mistakes
from .modelfile import atomic_write_bytes

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.figure import Figure

    from .network import Network

#: File formats :func:`save` writes, by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}

#: Resolution of PNG files, dots per inch (figures are sized in inches).
PNG_DPI = 150

#: Font sizes and the like, applied while a figure is built and while it is saved.
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "figure.titlesize": 14,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "steepest",  # the same figure gives the same SVG bytes
    "image.interpolation": "nearest",  # pixels stay pixels
}

#: Colours of the default learning rates in the descent figure: too small, good, too large.
DEFAULT_LR_COLOURS = ("#1f77b4", "#2ca02c", "#d62728")

#: Colours of learning rates the caller chose: no green "good" or red "too large" implied.
LR_COLOURS = ("#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2")

#: Default learning rates, each with what it shows, and steps per path, for each surface.
#: Plain gradient descent on a quadratic diverges once lambda exceeds
#: ``2 / (largest curvature)``: 2 / 2 = 1 for the bowl, 2 / 4 = 0.5 for the valley.
#: Rosenbrock's curvature reaches about 2,000 near the start, so 0.0025 blows up
#: in a few steps, while 0.001 crawls along the curved valley floor.  The saddle
#: has no minimum: every lambda slides off it, a larger one sooner.
DESCENT_DEFAULTS: dict[str, tuple[tuple[tuple[float, str], ...], int]] = {
    "bowl": (((0.01, "too small"), (0.1, "good"), (1.1, "too large")), 40),
    "valley": (((0.02, "too small"), (0.2, "good"), (0.55, "too large")), 50),
    "saddle": (((0.01, "small"), (0.1, "medium"), (1.1, "large")), 30),
    "rosenbrock": (((0.0001, "too small"), (0.001, "good"), (0.0025, "too large")), 3000),
}

#: How :func:`activations_figure` names each function and its derivative (mathtext).
ACTIVATION_LABELS = {
    "step": (r"$H(z) = 1$ if $z > 0$, else $0$", r"$H\,'(z) = 0$ (undefined at 0)"),
    "relu": (r"$\mathrm{relu}(z) = \max(0, z)$", r"$\mathrm{relu}'(z) = 1$ if $z > 0$, else $0$"),
    "softplus": (r"$\mathrm{softplus}(z) = \log(1 + e^{z})$",
                 r"$\mathrm{softplus}'(z) = \sigma(z)$"),
    "sigmoid": (r"$\sigma(z) = 1\,/\,(1 + e^{-z})$",
                r"$\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$"),
    "tanh": (r"$\tanh(z)$", r"$\tanh'(z) = 1 - \tanh^2(z)$"),
    "identity": (r"$f(z) = z$", r"$f'(z) = 1$"),
}

#: Activations whose value or derivative jumps at z = 0: drawn in two pieces,
#: so the plot does not invent a vertical line of values that are never taken.
_JUMPS_AT_ZERO = {"step": ("f",), "relu": ("f'",)}


# ---------------------------------------------------------------------------
# Infrastructure: a fresh Agg figure, the house style, saving.


def _drawing(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a figure-building function inside :data:`STYLE` (fonts are fixed at creation)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        import matplotlib

        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float) -> Figure:
    """A blank figure of ``width`` x ``height`` inches on an Agg canvas, constrained layout.

    Args:
        width: inches.
        height: inches.

    Returns:
        A :class:`matplotlib.figure.Figure` not registered with ``pyplot``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_format(path: str | os.PathLike) -> str:
    """``"png"`` or ``"svg"``, from the suffix of ``path``.

    Raises:
        ValueError: for any other suffix, naming it.

    >>> figure_format("weights.SVG")
    'svg'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"{path}: cannot write a figure as {suffix or 'a file without a suffix'!r}; "
            f"use {' or '.join(FORMATS)}"
        )
    return FORMATS[suffix]


def save(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` to ``path`` as PNG or SVG (chosen by the suffix), atomically.

    The figure is rendered in memory first and then renamed into place, so a
    reader never sees half a file and a failed render leaves no file behind.

    Args:
        fig: the figure.
        path: where to write; the suffix ``.png`` or ``.svg`` picks the format.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.

    Raises:
        ValueError: for an unknown suffix or a directory that does not exist.
    """
    import matplotlib

    path = Path(path)
    fmt = figure_format(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{path}: directory {str(parent)!r} does not exist")
    buf = io.BytesIO()
    # No creation date or software version in the file: the same figure, the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=metadata, facecolor="white")
    atomic_write_bytes(path, buf.getvalue())
    return path


# ---------------------------------------------------------------------------
# (a) The activation functions and -log(o).


@_drawing
def activations_figure(
    names: Sequence[str] = ("step", "relu", "softplus", "sigmoid"),
    z_range: tuple[float, float] = (-5.0, 5.0),
    points: int = 1001,
) -> Figure:
    """Each activation ``f(z)`` and its derivative ``f'(z)``, one panel per function.

    Values come from :data:`steepest.activations.ACTIVATIONS` and
    :data:`~steepest.activations.DERIVATIVES` on a grid of ``z``.  Where a
    function jumps at ``z = 0`` (the step, ReLU's derivative) it is drawn in
    two pieces, with a filled dot at the value taken at 0 (``H(0) = 0``) and
    an open one at the limit from the right.  The lines carry
    ``gid="f"``/``gid="f'"`` so tests can find them.

    Args:
        names: activation names from :data:`steepest.activations.ACTIVATIONS`.
        z_range: the interval of ``z`` to draw.
        points: grid points (odd keeps ``z = 0`` on the grid).

    Returns:
        The figure.
    """
    for name in names:
        act.get(name)  # ValueError naming the valid ones
    if not names:
        raise ValueError("activations_figure needs at least one activation name")
    z = np.linspace(*z_range, points)
    cols = min(len(names), 2)
    rows = math.ceil(len(names) / cols)
    fig = new_figure(5.2 * cols, 3.7 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names):
        f_label, d_label = ACTIVATION_LABELS.get(name, (f"{name}(z)", f"{name}'(z)"))
        curves = {"f": act.ACTIVATIONS[name](z), "f'": act.DERIVATIVES[name](z)}
        styles = {"f": dict(color="C0", lw=2.2, label=f_label),
                  "f'": dict(color="C1", lw=2.0, ls="--", label=d_label)}
        ax.axhline(0, color="0.75", lw=0.8)
        ax.axvline(0, color="0.75", lw=0.8)
        for key, y in curves.items():
            if key in _JUMPS_AT_ZERO.get(name, ()):
                left, right = z <= 0, z > 0
                ax.plot(z[left], y[left], gid=key, **styles[key])
                style = {k: v for k, v in styles[key].items() if k != "label"}
                ax.plot(z[right], y[right], gid=key, **style)
                colour = styles[key]["color"]
                at_zero = float(act.ACTIVATIONS[name](np.zeros(1))[0]) if key == "f" else 0.0
                ax.plot([0], [at_zero], "o", color=colour, ms=6, zorder=3)
                ax.plot([0], [1 - at_zero], "o", mfc="white", mec=colour, mew=1.5, ms=6,
                        zorder=3)
            else:
                ax.plot(z, y, gid=key, **styles[key])
        ax.set_title(name, fontweight="bold")
        ax.set_xlabel("z")
        ax.set_xlim(*z_range)
        ax.legend(loc="upper left", frameon=False)
        low = min(float(np.min(y)) for y in curves.values())
        high = max(float(np.max(y)) for y in curves.values())
        pad = 0.08 * (high - low or 1)
        ax.set_ylim(low - pad, high + pad + 0.35 * (high - low or 1))  # room for the legend
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.suptitle("Activation functions f(z) (solid) and their derivatives f′(z) (dashed)")
    return fig


def nll_per_example(o: np.ndarray) -> np.ndarray:
    """``-log(o)`` for each probability ``o``, through :class:`steepest.losses.NLL`.

    Each ``o`` is treated as one example whose right class got probability ``o``,
    so the values are exactly what training minimises (including the clip at
    :data:`steepest.losses.EPS`).

    >>> nll_per_example(np.array([1.0, 0.5])).round(4).tolist()
    [0.0, 0.6931]
    """
    o = np.asarray(o, dtype=np.float64).ravel()
    zero = np.zeros(1, dtype=np.intp)
    cost = np.array([NLL.value(np.array([[p, 1 - p]]), zero) for p in o])
    return cost + 0.0  # -log(1) is -0.0; adding 0.0 makes it 0.0


@_drawing
def nll_figure(o_min: float = 0.001, points: int = 500) -> Figure:
    """The cost of one example, ``-log(o)``, for ``o`` in ``(0, 1]``.

    ``o`` is the probability the network gives the right digit.  Certain and
    right (``o = 1``) costs nothing; the cost grows without bound as ``o -> 0``,
    so a confident wrong answer is punished hard.

    Args:
        o_min: the smallest ``o`` drawn (``-log`` is infinite at 0).
        points: grid points.

    Returns:
        The figure; its curve has ``gid="nll"``.
    """
    if not 0 < o_min < 1:
        raise ValueError(f"o_min must be in (0, 1), got {o_min!r}")
    o = np.linspace(o_min, 1.0, points)
    cost = nll_per_example(o)
    fig = new_figure(7.5, 5.0)
    ax = fig.subplots()
    ax.plot(o, cost, lw=2.2, color="C0", gid="nll", label=r"$C = -\log(o)$")
    ax.axhline(0, color="0.75", lw=0.8)
    # o: (note, where the text goes in data coordinates, horizontal alignment)
    notes = {
        0.01: ("confidently wrong:\na large cost", (0.06, 4.75), "left"),
        0.1: ("a uniform guess among\nthe 10 digits: log 10", (0.14, 3.1), "left"),
        0.5: ("half sure", (0.5, 1.45), "center"),
        1.0: ("right and certain:\nno cost", (0.99, 1.45), "right"),
    }
    for p, (note, xy, ha) in notes.items():
        c = float(nll_per_example(np.array([p]))[0])
        ax.plot([p], [c], "o", color="C3", ms=6, zorder=3)
        ax.annotate(f"o = {p:g}: −log o = {c:.2f}\n{note}", (p, c), xytext=xy, ha=ha, va="bottom",
                    arrowprops=dict(arrowstyle="-", color="0.55", shrinkB=4))
    ax.set_xlim(0, 1.04)
    ax.set_ylim(-0.2, float(cost.max()) + 0.4)
    ax.set_xlabel("o: the probability the network gives the right digit")
    ax.set_ylabel("cost of this example, −log(o)")
    ax.set_title("Negative log-likelihood: the cost of one example")
    ax.legend(loc="upper right", frameon=False, fontsize=12)
    ax.grid(alpha=0.3)
    return fig


# ---------------------------------------------------------------------------
# (b) Gradient descent on a cost of two variables.


def _inside(points: np.ndarray, window: tuple[float, float, float, float]) -> int:
    """How many points of a path to draw: up to and including the first outside ``window``."""
    x0, x1, y0, y1 = window
    out = ~((points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0)
            & (points[:, 1] <= y1))
    return int(np.argmax(out)) + 1 if out.any() else len(points)


def _symlog_ticks(ax, values: np.ndarray, linthresh: float) -> None:
    """Label a symlog axis at every few powers of ten (not all of them), with 0."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    big = np.abs(values[np.isfinite(values)])
    top = int(np.ceil(np.log10(max(float(big.max(initial=linthresh)), linthresh))))
    low = int(np.floor(np.log10(linthresh)))
    stride = max(1, math.ceil((top - low + 1) / 4))  # at most ~4 decades per sign
    exps = list(range(top, low - 1, -stride))
    ticks = sorted([-(10.0**k) for k in exps] + [0.0] + [10.0**k for k in exps])
    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_minor_locator(NullLocator())

    def label(v, _):
        if v == 0:
            return "0"
        sign = "−" if v < 0 else ""
        return f"${sign}10^{{{round(math.log10(abs(v)))}}}$"

    ax.yaxis.set_major_formatter(FuncFormatter(label))


@_drawing
def descent_figure(
    surface: Surface | str = "valley",
    start: tuple[float, float] | None = None,
    learning_rates: Sequence[float] | None = None,
    steps: int | None = None,
) -> Figure:
    """Paths of ``v <- v - lambda grad C(v)`` on the contours of ``C``, and ``C`` per step.

    Left: the contour plot of ``C(v1, v2)`` over the surface's window with one
    path per learning rate, all from ``start``; a path is drawn until it
    first leaves the window.  Right: ``C`` at each step, on a log scale when
    ``C`` stays positive (a symmetric log scale when it goes negative, as on
    the saddle); an ``x`` marks a path that :func:`~steepest.descent.descend`
    stopped because it diverged.

    Args:
        surface: a :class:`~steepest.descent.Surface` or a name from
            :data:`steepest.descent.SURFACES`.
        start: ``(v1, v2)``; default: the surface's own start point.
        learning_rates: 1 to 5 values of lambda; default: :data:`DESCENT_DEFAULTS`
            for the surface (a too-small, a good and a too-large lambda).
        steps: gradient steps per path; default from :data:`DESCENT_DEFAULTS`.

    Returns:
        The figure; path lines carry ``gid="path <i>"``, cost lines ``gid="cost <i>"``.
    """
    s = get_surface(surface) if isinstance(surface, str) else surface
    defaults, default_steps = DESCENT_DEFAULTS.get(s.name, (((s.good_lr, ""),), 50))
    if learning_rates is None:
        learning_rates = tuple(lr for lr, _ in defaults)
        names = tuple(name for _, name in defaults)
        colours = DEFAULT_LR_COLOURS if len(defaults) == 3 else LR_COLOURS
    else:
        learning_rates = tuple(learning_rates)
        if not 1 <= len(learning_rates) <= len(LR_COLOURS):
            raise ValueError(f"give 1 to {len(LR_COLOURS)} learning rates, "
                             f"got {len(learning_rates)}: {learning_rates!r}")
        names = ("",) * len(learning_rates)
        colours = LR_COLOURS
    steps = default_steps if steps is None else steps
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    start = s.start if start is None else start
    paths = [descend(s, start, lr, steps) for lr in learning_rates]  # validates lr and start

    # The window, stretched to include the start point.
    x0, x1, y0, y1 = s.window
    sx, sy = float(start[0]), float(start[1])
    x0, x1 = min(x0, sx - 0.5), max(x1, sx + 0.5)
    y0, y1 = min(y0, sy - 0.5), max(y1, sy + 0.5)
    gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    gc = s.cost(gx, gy)
    # Contour levels at quantiles of C over the window: each band covers about
    # the same area, which shows the bowl, the long valley and Rosenbrock's
    # curved floor equally well.
    levels = np.unique(np.quantile(gc, np.linspace(0, 1, 16)))

    fig = new_figure(13, 6.0)
    fig.get_layout_engine().set(wspace=0.06)
    left, right = fig.subplots(1, 2, width_ratios=[1.2, 1])
    filled = left.contourf(gx, gy, gc, levels=levels, cmap="Greys", alpha=0.55)
    left.contour(gx, gy, gc, levels=levels, colors="0.35", linewidths=0.6)
    cbar = fig.colorbar(filled, ax=left, shrink=0.9, pad=0.01)
    cbar.set_label("C(v₁, v₂)   (bands of equal area)")
    cbar.ax.yaxis.set_major_formatter(_compact_formatter())
    markers = max(1, steps // 40)  # at most ~40 dots per path
    for i, (lr, name, path) in enumerate(zip(learning_rates, names, paths)):
        colour = colours[i]
        n = len(path.costs) - 1
        shown = _inside(path.points, (x0, x1, y0, y1))
        # Later (larger) learning rates jump furthest; draw them underneath.
        left.plot(path.points[:shown, 0], path.points[:shown, 1], "-o", color=colour, lw=1.6,
                  ms=3.5, markevery=markers, gid=f"path {i}", zorder=4 - 0.1 * i)
        if path.diverged:
            outcome = f"diverged after {n} steps"
        else:
            outcome = f"C = {_compact(path.costs[-1])} after {n} steps"
        label = f"λ = {lr:g}" + (f" ({name})" if name else "") + f"\n{outcome}"
        right.plot(np.arange(n + 1), path.costs, "-", color=colour, lw=2, gid=f"cost {i}",
                   label=label)
        if path.diverged:
            right.plot([n], [path.costs[-1]], "x", color=colour, ms=10, mew=2.5)
    left.plot([sx], [sy], "*", color="black", ms=15, zorder=5)
    left.annotate("start", (sx, sy), xytext=(8, 8), textcoords="offset points", fontsize=11,
                  fontweight="bold")
    left.set_xlim(x0, x1)
    left.set_ylim(y0, y1)
    left.set_xlabel("v₁")
    left.set_ylabel("v₂")
    left.set_title(f"{s.name}: {s.formula}\nv ← v − λ ∇C(v) from ({sx:g}, {sy:g})")

    all_costs = np.concatenate([p.costs for p in paths])
    finite = all_costs[np.isfinite(all_costs)]
    if finite.size and finite.min() > 0:
        right.set_yscale("log")
    else:
        linthresh = 1.0
        right.set_yscale("symlog", linthresh=linthresh)
        _symlog_ticks(right, finite, linthresh)
        right.axhline(0, color="0.6", lw=0.8)
    right.set_xlabel("step")
    right.set_ylabel("cost C(v)" + ("   (symmetric log scale)" if finite.min() <= 0 else ""))
    diverged = any(p.diverged for p in paths)
    right.set_title("C after each step" + ("  (× = diverged, stopped)" if diverged else ""))
    right.grid(alpha=0.3, which="major")
    fig.legend(loc="outside lower center", ncol=len(paths), frameon=False, columnspacing=3)
    return fig


def _compact(value: float) -> str:
    """``0.0421``, ``3.2e-09``, ``1.4e+12``: short and readable."""
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.1e}"


def _compact_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: _compact(v))


# ---------------------------------------------------------------------------
# (c) A training run's history.json.

#: The keys an epoch record must have, and the optional numeric ones.
HISTORY_REQUIRED = ("epoch", "train_loss")
HISTORY_CURVES = {  # key -> (panel, label)
    "train_loss": ("loss", "train"),
    "val_loss": ("loss", "validation"),
    "train_accuracy": ("accuracy", "train"),
    "val_accuracy": ("accuracy", "validation"),
    "test_accuracy": ("accuracy", "test"),
}


def check_history(doc: Any, source: str = "history") -> tuple[list[dict], dict]:
    """Validate a history document; return ``(epoch records, meta)``.

    Accepts ``{"meta": {...}, "epochs": [...]}`` (as ``steepest train``
    writes it) or a bare list of epoch records.  Each record needs
    ``epoch`` and ``train_loss``; the optional curves in
    :data:`HISTORY_CURVES` must be numbers or ``null``.

    Raises:
        ValueError: one line naming ``source`` and what is wrong.
    """
    if isinstance(doc, list):
        records, meta = doc, {}
    elif isinstance(doc, Mapping) and isinstance(doc.get("epochs"), list):
        records, meta = doc["epochs"], doc.get("meta") or {}
    else:
        raise ValueError(f"{source}: not a training history (expected an object with an "
                         f"'epochs' list, got {type(doc).__name__})")
    if not records:
        raise ValueError(f"{source}: the history has no epochs")
    if not isinstance(meta, Mapping):
        raise ValueError(f"{source}: 'meta' must be an object, got {type(meta).__name__}")
    for i, rec in enumerate(records):
        if not isinstance(rec, Mapping):
            raise ValueError(f"{source}: epoch record {i} is not an object: {rec!r}")
        for key in HISTORY_REQUIRED:
            if key not in rec:
                raise ValueError(f"{source}: epoch record {i} has no {key!r}")
        epoch = rec["epoch"]
        if isinstance(epoch, bool) or not isinstance(epoch, (int, float)) or not math.isfinite(
            epoch
        ):
            raise ValueError(f"{source}: epoch record {i}: epoch must be a number, got {epoch!r}")
        for key in HISTORY_CURVES:  # numbers or null; NaN (a diverged run) is drawn as a gap
            value = rec.get(key)
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if value is not None and not number:
                raise ValueError(f"{source}: epoch record {i}: {key} must be a number, "
                                 f"got {value!r}")
    return [dict(r) for r in records], dict(meta)


def load_history(path: str | os.PathLike) -> tuple[list[dict], dict]:
    """Read and validate a ``history.json``; see :func:`check_history`.

    Raises:
        ValueError: for a missing file, bad JSON or a wrong shape, in one line.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a history.json") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file, so not a history.json") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}, "
                         f"column {exc.colno})") from None
    return check_history(doc, str(path))


def _describe_run(meta: Mapping) -> str:
    """``hidden 15 sigmoid, sgd, λ = 1, batch 32, seed 0`` from a history's meta, or ``""``."""
    config = meta.get("config")
    if not isinstance(config, Mapping):
        return ""
    parts = []
    if "hidden" in config:
        hidden = config["hidden"]
        sizes = "-".join(str(h) for h in hidden) if isinstance(hidden, list) else str(hidden)
        parts.append(f"hidden {sizes} {config.get('activation', '')}".strip())
    if isinstance(config.get("optimizer"), str):
        parts.append(config["optimizer"])
    for key, label in (("learning_rate", "λ = "), ("batch_size", "batch "), ("seed", "seed ")):
        if key in config:
            parts.append(f"{label}{config[key]:g}" if isinstance(config[key], (int, float))
                         else f"{label}{config[key]}")
    if config.get("schedule") not in (None, "constant"):
        parts.append(f"{config['schedule']} schedule")
    return ", ".join(parts)


def _final_test_accuracy(meta: Mapping) -> tuple[float, float | None] | None:
    """``(accuracy, epoch)`` of the final model on the test set, if the meta records it.

    A run with a validation split scores the test set once, at the end (on
    the best epoch's weights when it restores them): ``meta["result"]``.
    """
    result = meta.get("result")
    if not isinstance(result, Mapping):
        return None
    acc = result.get("test_accuracy")
    if isinstance(acc, bool) or not isinstance(acc, (int, float)) or not math.isfinite(acc):
        return None
    epoch = result.get("best_epoch", result.get("epochs_run"))
    return float(acc), float(epoch) if isinstance(epoch, (int, float)) else None


@_drawing
def history_figure(records: Sequence[Mapping] | Mapping, meta: Mapping | None = None) -> Figure:
    """Loss and accuracy per epoch: train, validation (where present) and test.

    A run with a validation split scores the test set only at the end; that
    single number (from ``meta["result"]``) is drawn as a star.  When the
    records carry a ``learning_rate`` that changes (a schedule), a third
    panel shows it.

    Args:
        records: epoch records (dicts with ``epoch``, ``train_loss``,
            ``test_accuracy``, optionally ``val_loss``, ``val_accuracy``,
            ``train_accuracy``, ``learning_rate``), or a whole history document.
        meta: the run's meta (its ``config`` goes into the title).

    Returns:
        The figure; each curve carries ``gid`` = its key, e.g. ``"test_accuracy"``.
    """
    from matplotlib.ticker import MaxNLocator

    records, doc_meta = check_history(records)
    meta = meta if meta is not None else doc_meta
    epochs = np.array([r["epoch"] for r in records], dtype=float)
    rates = [r.get("learning_rate") for r in records]
    show_rates = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in rates) and (
        len(set(rates)) > 1
    )
    fig = new_figure(16 if show_rates else 12, 4.8)
    axes = fig.subplots(1, 3 if show_rates else 2,
                        width_ratios=[1, 1, 0.7] if show_rates else [1, 1])
    loss_ax, acc_ax = axes[0], axes[1]
    style = {"train": dict(color="C0"), "validation": dict(color="C1", ls="--"),
             "test": dict(color="C3")}
    marker = "o" if len(records) <= 40 else None
    best_text = ""
    for key, (panel, label) in HISTORY_CURVES.items():
        values = [r.get(key) for r in records]
        if all(v is None for v in values):
            continue
        y = np.array([np.nan if v is None else v for v in values], dtype=float)
        ax = loss_ax if panel == "loss" else acc_ax
        if panel == "accuracy":
            y = 100 * y
        ax.plot(epochs, y, marker=marker, ms=4, lw=2, gid=key, label=label, **style[label])
        if key in ("val_accuracy", "test_accuracy") and np.isfinite(y).any():
            best = int(np.nanargmax(y))  # test wins over validation: it comes later
            best_text = f"best {label} accuracy {y[best]:.2f}% (epoch {epochs[best]:g})"
    final = _final_test_accuracy(meta)
    if final is not None and not lines_with_gid(acc_ax, "test_accuracy"):
        acc, epoch = final
        at = epoch if epoch is not None else epochs[-1]
        acc_ax.plot([at], [100 * acc], "*", color="C3", ms=15, zorder=4,
                    gid="final_test_accuracy", label=f"test, final model: {100 * acc:.2f}%")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend(frameon=False)
    loss_ax.set_ylabel("loss: mean −log(o) per example")
    loss_ax.set_title("Loss per epoch")
    acc_ax.set_ylabel("accuracy (%)")
    acc_ax.set_title("Accuracy per epoch" + (f"\n{best_text}" if best_text else ""))
    if not acc_ax.lines:
        acc_ax.text(0.5, 0.5, "no accuracy recorded", ha="center", va="center",
                    transform=acc_ax.transAxes, color="0.4")
    if show_rates:
        rate_ax = axes[2]
        rate_ax.plot(epochs, rates, marker=marker, ms=4, lw=2, color="C2", gid="learning_rate")
        rate_ax.set_ylabel("λ")
        rate_ax.set_title("Learning rate per epoch")
        rate_ax.set_ylim(bottom=0)
    run = _describe_run(meta)
    fig.suptitle("Training run" + (f": {run}" if run else ""))
    return fig


def lines_with_gid(ax, gid: str) -> list:
    """The lines of ``ax`` whose ``gid`` is ``gid`` (how tests and callers find a curve)."""
    return [line for line in ax.lines if line.get_gid() == gid]


# ---------------------------------------------------------------------------
# (d) From a model: confusion matrix, weight images, mistakes.


def _check_data(network: Network, x: np.ndarray, y: np.ndarray) -> None:
    if x.shape[0] != y.shape[0] or x.shape[0] == 0:
        raise ValueError(f"need as many labels as images (and at least one), "
                         f"got {x.shape[0]} images and {y.shape[0]} labels")
    pixels = int(np.prod(x.shape[1:]))
    if pixels != network.sizes[0]:
        raise ValueError(f"the network expects {network.sizes[0]} inputs, "
                         f"the images have {pixels} pixels")


@_drawing
def confusion_figure(network: Network, x: np.ndarray, y: np.ndarray) -> Figure:
    """The confusion matrix of ``network`` on ``(x, y)``: rows true digit, columns predicted.

    The colour of a cell grows with the square root of its count, so the few
    dozen mistakes in an off-diagonal cell still show beside the ~1,000 right
    answers on the diagonal; every cell also prints its count.  Each row's
    label gives that digit's accuracy (its recall).

    Args:
        network: the model.
        x: images, ``(N, 28, 28)`` uint8 or ``(N, 784)`` floats.
        y: true labels ``(N,)``.

    Returns:
        The figure; its image's array is the confusion matrix.
    """
    from matplotlib.colors import PowerNorm

    x, y = np.asarray(x), np.asarray(y)
    _check_data(network, x, y)
    k = network.sizes[-1]
    m = confusion_matrix(y, network.predict(x), k)
    per_class = m.diagonal() / np.maximum(m.sum(axis=1), 1)
    accuracy = m.trace() / m.sum()
    fig = new_figure(8.2, 7.2)
    ax = fig.subplots()
    im = ax.imshow(m, cmap="Blues", norm=PowerNorm(0.5, vmin=0, vmax=max(int(m.max()), 1)))
    threshold = 0.45 * m.max()
    for i in range(k):
        for j in range(k):
            if m[i, j] or i == j:
                ax.text(j, i, f"{m[i, j]:d}", ha="center", va="center",
                        fontsize=9 if k <= 10 else 7,
                        color="white" if m[i, j] > threshold else "black")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k), [f"{d}  ({100 * a:.0f}%)" for d, a in enumerate(per_class)])
    ax.set_xlabel("predicted digit")
    ax.set_ylabel("true digit  (its accuracy)")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    ax.spines[:].set_visible(False)
    cbar = fig.colorbar(im, ax=ax, shrink=0.8, pad=0.02)
    cbar.set_label("images (colour ∝ √count)")
    ax.set_title(f"Confusion matrix: {m.sum():,} test digits, accuracy {100 * accuracy:.2f}%\n"
                 "diagonal: right; off the diagonal: mistakes", pad=12)
    return fig


def _image_side(network: Network) -> int:
    side = math.isqrt(network.sizes[0])
    if side * side != network.sizes[0]:
        raise ValueError(f"the network's {network.sizes[0]} inputs are not a square image, "
                         "so its weights cannot be drawn as one")
    return side


def _grid(count: int, max_cols: int) -> tuple[int, int]:
    cols = min(count, max_cols)
    return math.ceil(count / cols), cols


def _frame(ax) -> None:
    """An image's axes: no ticks, a thin grey frame on all four sides."""
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_color("0.7")
        spine.set_linewidth(0.8)


def _percent(p: float) -> str:
    """``87%``; near certainty, two decimals (``99.97%``) and never a rounded ``100%``."""
    if p < 0.99:
        return f"{100 * p:.0f}%"
    text = f"{100 * p:.2f}%"
    return "> 99.99%" if text == "100.00%" and p < 1 else text


@_drawing
def weights_figure(network: Network, max_units: int = 30) -> Figure:
    """Each first-layer unit's incoming weights ``W1[:, j]`` as a 28x28 image.

    Unit ``j`` computes ``z_j = sum_p x_p W1[p, j] + b_j``: red pixels are
    where ink raises ``z_j``, blue where it lowers it.  All images share one
    colour scale centred at 0 (a diverging map), so they can be compared; it
    spans the 99.5th percentile of ``|W1|`` and the rare larger weights
    saturate.  The lecture's network has 15 hidden units, shown side by side;
    for bigger layers the first ``max_units`` are shown, with a note.

    Args:
        network: the model (its input must be a square image, e.g. 784 = 28x28).
        max_units: how many units to draw at most.

    Returns:
        The figure; image ``j`` is unit ``j``'s weights, reshaped.
    """
    if not isinstance(max_units, (int, np.integer)) or max_units < 1:
        raise ValueError(f"max_units must be a positive int, got {max_units!r}")
    side = _image_side(network)
    layer = network.layers[0]
    w = layer.W.value  # (784, n_units): column j feeds unit j
    n_units = w.shape[1]
    shown = min(n_units, max_units)
    limit = float(np.percentile(np.abs(w[:, :shown]), 99.5)) or 1.0
    rows, cols = _grid(shown, 5 if shown <= 20 else 8)
    fig = new_figure(1.9 * cols + 1.2, 2.05 * rows + 1.0)
    axes = fig.subplots(rows, cols, squeeze=False)
    kind = "hidden unit" if len(network.layers) > 1 else "output unit"
    im = None
    for j, ax in enumerate(axes.ravel()):
        _frame(ax)
        if j >= shown:
            ax.set_visible(False)
            continue
        im = ax.imshow(w[:, j].reshape(side, side), cmap="RdBu_r", vmin=-limit, vmax=limit)
        ax.set_title(f"{kind} {j + 1}" if kind == "hidden unit" else f"digit {j}", fontsize=10)
    cbar = fig.colorbar(im, ax=axes, shrink=0.8, extend="both", pad=0.02)
    cbar.set_label("weight (0 = white)")
    layer_name = "first hidden layer" if kind == "hidden unit" else "output layer"
    note = f"; the first {shown} of {n_units} units" if shown < n_units else ""
    fig.suptitle(f"Weights into the {layer_name}: {network.sizes[0]} = {side}×{side} per unit"
                 f"{note}\nred: ink there raises the unit's input z, blue: lowers it")
    fig.supxlabel("Pixels that are never inked (near the border) get no gradient, so their "
                  "weights keep their random initial values.", fontsize=10, color="0.35")
    return fig


def find_mistakes(network: Network, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """Misclassified examples, most confident first.

    Returns:
        One dict per mistake: ``index`` (into ``x``), ``true``, ``predicted``
        and ``confidence`` (the probability given to the wrong prediction).
    """
    x, y = np.asarray(x), np.asarray(y)
    _check_data(network, x, y)
    probs = network.predict_proba(x)
    pred = probs.argmax(axis=1)
    return [{"index": int(i), "true": int(y[i]), "predicted": int(pred[i]),
             "confidence": float(probs[i, pred[i]])} for i in mistakes(probs, y)]


@_drawing
def mistakes_figure(network: Network, x: np.ndarray, y: np.ndarray, count: int = 24) -> Figure:
    """A gallery of misclassified digits, the most confidently wrong first.

    Args:
        network: the model.
        x: images ``(N, 28, 28)`` (uint8 or floats in [0, 1]).
        y: true labels ``(N,)``.
        count: how many mistakes to show at most.

    Returns:
        The figure; each tile's title reads ``true 4 → 9`` with the
        confidence, and its ``gid`` is the test index.
    """
    if not isinstance(count, (int, np.integer)) or count < 1:
        raise ValueError(f"count must be a positive int, got {count!r}")
    x = np.asarray(x)
    side = _image_side(network)
    found = find_mistakes(network, x, y)
    shown = found[:count]
    rows, cols = _grid(max(len(shown), 1), 8)
    fig = new_figure(1.7 * cols + 0.4, 2.35 * rows + 1.0)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.ravel():
        _frame(ax)
    for ax, m in zip(axes.ravel(), shown):
        image = x[m["index"]].reshape(side, side)
        vmax = 255 if image.dtype == np.uint8 else 1
        ax.imshow(image, cmap="gray_r", vmin=0, vmax=vmax, gid=str(m["index"]))
        ax.set_title(f"true {m['true']} → {m['predicted']}\n{_percent(m['confidence'])} sure",
                     fontsize=10)
        ax.set_xlabel(f"#{m['index']}", fontsize=8, color="0.4", labelpad=1)
    for ax in axes.ravel()[len(shown):]:
        ax.set_visible(False)
    n = x.shape[0]
    if not found:
        axes[0, 0].set_visible(True)
        axes[0, 0].text(0.5, 0.5, "no mistakes", ha="center", va="center",
                        transform=axes[0, 0].transAxes)
    which = (f"the {len(shown)} most confident" if len(shown) < len(found)
             else "all, most confident first")
    fig.suptitle(f"Misclassified test digits: {len(found):,} of {n:,} wrong "
                 f"({100 * len(found) / n:.1f}%); {which}\n"
                 "title: true label → prediction, and the probability the network gave it")
    return fig


# ---------------------------------------------------------------------------
# (e) One image through the network.


def forward_trace(network: Network, image: np.ndarray) -> list[np.ndarray]:
    """The activations of every layer for one image: ``[hidden_1, ..., outputs]``.

    Args:
        network: the model.
        image: one preprocessed image, ``(28, 28)`` or ``(784,)`` floats in [0, 1].

    Returns:
        One 1-D array per layer; the last is the probability of each class.
    """
    x = np.asarray(image, dtype=network.dtype).reshape(1, -1)
    if x.shape[1] != network.sizes[0]:
        raise ValueError(f"the network expects {network.sizes[0]} inputs, "
                         f"the image has {x.shape[1]} pixels")
    network.forward(x)  # each layer keeps its output ``a`` for backprop; we read them
    return [layer.a[0].copy() for layer in network.layers]


@_drawing
def inside_figure(
    network: Network,
    image: np.ndarray,
    original: np.ndarray | None = None,
    title: str | None = None,
) -> Figure:
    """One image through the network: its input, hidden activations and output probabilities.

    Args:
        network: the model.
        image: the preprocessed input, ``(28, 28)`` floats in [0, 1] (as from
            :func:`steepest.preprocess.preprocess_file`).
        original: the image as it was read, drawn first when given.
        title: the figure's title (e.g. the file name).

    Returns:
        The figure.  Its input image has ``gid="input"``; the bars of layer
        ``i`` have ``gid="layer <i>"`` (the last layer: the probabilities).
    """
    side = _image_side(network)
    image = np.asarray(image, dtype=np.float32)
    if image.size != side * side:
        raise ValueError(f"expected a {side}x{side} image, got shape {image.shape}")
    trace = forward_trace(network, image)
    hidden, probs = trace[:-1], trace[-1]
    digit = int(probs.argmax())

    n_img = 2 if original is not None else 1
    fig = new_figure(4.0 * n_img + 4.5 + 4.0, 5.0)
    outer = fig.add_gridspec(1, n_img + 2, width_ratios=[1] * n_img + [1.3, 1.1])
    if original is not None:
        ax = fig.add_subplot(outer[0, 0])
        ax.imshow(original, cmap="gray", vmin=0, vmax=1 if original.dtype.kind == "f" else 255)
        h, w = original.shape[:2]
        ax.set_title(f"the image file\n{w}×{h} pixels")
        _frame(ax)
    ax = fig.add_subplot(outer[0, n_img - 1])
    ax.imshow(image.reshape(side, side), cmap="gray", vmin=0, vmax=1, gid="input")
    ax.set_title(f"what the network sees (preprocessed)\n{side}×{side} = {side * side} inputs "
                 "in [0, 1]")
    _frame(ax)

    if hidden:
        inner = outer[0, n_img].subgridspec(len(hidden), 1)
        for i, a in enumerate(hidden):
            ax = fig.add_subplot(inner[i, 0])
            units = np.arange(1, a.size + 1)
            ax.bar(units, a, color="C0", width=0.8 if a.size <= 60 else 1.0, gid=f"layer {i}")
            name = network.activations[i]
            ax.set_title(f"hidden layer {i + 1}: {a.size} {name} units" if len(hidden) > 1
                         else f"hidden activations: {a.size} {name} units")
            ax.set_ylabel("a = f(z)")
            if a.size <= 15:
                ax.set_xticks(units)
            else:
                from matplotlib.ticker import MaxNLocator

                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            if i == len(hidden) - 1:
                ax.set_xlabel("unit")
            if name in ("sigmoid", "step"):
                ax.set_ylim(0, 1.02)
            ax.grid(axis="y", alpha=0.3)
    else:
        ax = fig.add_subplot(outer[0, n_img])
        ax.text(0.5, 0.5, "no hidden layer", ha="center", va="center", color="0.4")
        ax.set_axis_off()

    ax = fig.add_subplot(outer[0, n_img + 1])
    classes = np.arange(probs.size)
    colours = ["C3" if k == digit else "0.6" for k in classes]
    ax.bar(classes, probs, color=colours, gid=f"layer {len(trace) - 1}")
    for k, p in zip(classes, probs):
        if p >= 0.01:
            ax.text(k, p + 0.015, f"{100 * p:.0f}%", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(classes)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability o")
    ax.set_title(f"output probabilities (softmax): {digit} wins")
    ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{title + ': ' if title else ''}the network says {digit} "
                 f"({_percent(float(probs[digit]))})\n{network.describe()}")
    return fig


# ---------------------------------------------------------------------------
# A training run's figures, for ``steepest train --plots DIR``.


def write_run_figures(
    out_dir: str | os.PathLike,
    network: Network,
    history_records: Sequence[Mapping] | Mapping,
    test_data: tuple[np.ndarray, np.ndarray],
    *,
    meta: Mapping | None = None,
    fmt: str = "png",
) -> list[Path]:
    """Write a run's figures into ``out_dir`` (created if needed).

    Files: ``history``, ``confusion``, ``weights`` (when the input is a
    square image) and ``mistakes``, each ``.png`` (or ``.svg`` with ``fmt``).

    Args:
        out_dir: the directory.
        network: the trained model.
        history_records: the run's epoch records (dicts, as in history.json),
            or the whole history document.
        test_data: ``(x_test, y_test)``.
        meta: the run's meta, for the history figure's title.
        fmt: ``"png"`` or ``"svg"``.

    Returns:
        The paths written, in that order.
    """
    suffix = f".{fmt}"
    if suffix not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(f[1:] for f in FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    x_test, y_test = test_data
    figures: list[tuple[str, Callable[[], Figure]]] = [
        ("history", lambda: history_figure(history_records, meta)),
        ("confusion", lambda: confusion_figure(network, x_test, y_test)),
    ]
    side = math.isqrt(network.sizes[0])
    if side * side == network.sizes[0]:
        figures.append(("weights", lambda: weights_figure(network)))
        figures.append(("mistakes", lambda: mistakes_figure(network, x_test, y_test)))
    written = []
    for name, draw in figures:
        written.append(save(draw(), out / f"{name}{suffix}"))
    return written
