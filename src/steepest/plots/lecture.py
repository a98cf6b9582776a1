"""The lecture's figures, from our numbers: activations, -log(o), and gradient descent.

The descent figure's surfaces (:data:`steepest.descent.SURFACES`) are ours:
the lecture derives ``v <- v - lambda grad C`` for a cost of two variables
without giving one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from .. import activations as act
from ..descent import Surface, descend, get_surface
from ..losses import NLL
from .figure import _drawing, new_figure

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.figure import Figure



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
    "step": (r"$H(z) = 1$ if $z \geq 0$, else $0$", r"$H\,'(z) = 0$ (undefined at 0)"),
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
    two pieces, with a filled dot at the value taken at 0 and an open one at
    the other side's limit: the step's ``H(0) = 1`` (the lecture's perceptron
    outputs 1 when ``w . x + b >= 0``) is filled at 1, open at 0; ``relu'(0) = 0``
    is filled at 0, open at 1.  ``z = 0`` joins the piece whose value it takes.
    The lines carry ``gid="f"``/``gid="f'"`` (the dots ``"f at 0"`` and
    ``"f limit"``, or the same with ``f'``) so tests can find them.

    Parameters
    ----------
    names : Sequence[str]
        activation names from :data:`steepest.activations.ACTIVATIONS`.
    z_range : tuple[float, float]
        the interval of ``z`` to draw.
    points : int
        grid points (odd keeps ``z = 0`` on the grid).

    Returns
    -------
    Figure
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
        _activation_panel(ax, name, z, z_range)
    for ax in axes[len(names):]:
        ax.set_visible(False)
    fig.suptitle("Activation functions f(z) (solid) and their derivatives f′(z) (dashed)")
    return fig


def _activation_panel(ax, name: str, z: np.ndarray, z_range: tuple[float, float]) -> None:
    """One activation's panel: ``f`` solid, ``f'`` dashed, a jump at 0 drawn as a jump."""
    f_label, d_label = ACTIVATION_LABELS.get(name, (f"{name}(z)", f"{name}'(z)"))
    curves = {"f": act.ACTIVATIONS[name](z), "f'": act.DERIVATIVES[name](z)}
    styles = {"f": dict(color="C0", lw=2.2, label=f_label),
              "f'": dict(color="C1", lw=2.0, ls="--", label=d_label)}
    ax.axhline(0, color="0.75", lw=0.8)
    ax.axvline(0, color="0.75", lw=0.8)
    for key, y in curves.items():
        if key in _JUMPS_AT_ZERO.get(name, ()):
            f = (act.ACTIVATIONS if key == "f" else act.DERIVATIVES)[name]
            _draw_jump(ax, key, f, z, y, styles[key])
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


def _draw_jump(ax, key: str, f, z: np.ndarray, y: np.ndarray, style: dict) -> None:
    """A function constant on each side of ``z = 0`` in two pieces, with a filled dot at
    the value taken at 0 and an open one at the other side's limit."""
    below, at_zero, above = f(np.array([-1.0, 0.0, 1.0])).tolist()  # constant pieces
    # z = 0 joins the piece whose value it takes (H(0) = 1: the right one;
    # relu'(0) = 0: the left one), so no line runs through the jump.
    left = z < 0 if at_zero == above else z <= 0
    ax.plot(z[left], y[left], gid=key, **style)
    ax.plot(z[~left], y[~left], gid=key, **{k: v for k, v in style.items() if k != "label"})
    colour = style["color"]
    limit = below if at_zero == above else above  # the other side's value
    ax.plot([0], [at_zero], "o", color=colour, ms=6, zorder=3, gid=f"{key} at 0")
    ax.plot([0], [limit], "o", mfc="white", mec=colour, mew=1.5, ms=6, zorder=3,
            gid=f"{key} limit")


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

    Parameters
    ----------
    o_min : float
        the smallest ``o`` drawn (``-log`` is infinite at 0).
    points : int
        grid points.

    Returns
    -------
    Figure
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

    Parameters
    ----------
    surface : Surface or str
        a :class:`~steepest.descent.Surface` or a name from
        :data:`steepest.descent.SURFACES`.
    start : tuple[float, float] or None
        ``(v1, v2)``; default: the surface's own start point.
    learning_rates : Sequence[float] or None
        1 to 5 values of lambda; default: :data:`DESCENT_DEFAULTS`
        for the surface (a too-small, a good and a too-large lambda).
    steps : int or None
        gradient steps per path; default from :data:`DESCENT_DEFAULTS`.

    Returns
    -------
    Figure
        The figure; path lines carry ``gid="path <i>"``, cost lines ``gid="cost <i>"``.
    """
    s = get_surface(surface) if isinstance(surface, str) else surface
    learning_rates, names, colours, default_steps = _learning_rates(s, learning_rates)
    steps = default_steps if steps is None else steps
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    start = s.start if start is None else start
    paths = [descend(s, start, lr, steps) for lr in learning_rates]  # validates lr and start
    sx, sy = float(start[0]), float(start[1])
    window = _window(s.window, (sx, sy))

    fig = new_figure(13, 6.0)
    fig.get_layout_engine().set(wspace=0.06)
    left, right = fig.subplots(1, 2, width_ratios=[1.2, 1])
    _draw_contours(fig, left, s, window)
    _draw_paths(left, paths, colours, window, markers=max(1, steps // 40))  # <= ~40 dots
    left.plot([sx], [sy], "*", color="black", ms=15, zorder=5)
    left.annotate("start", (sx, sy), xytext=(8, 8), textcoords="offset points", fontsize=11,
                  fontweight="bold")
    left.set_title(f"{s.name}: {s.formula}\nv ← v − λ ∇C(v) from ({sx:g}, {sy:g})")
    _draw_costs(right, paths, learning_rates, names, colours)
    fig.legend(loc="outside lower center", ncol=len(paths), frameon=False, columnspacing=3)
    return fig


def _learning_rates(s: Surface, learning_rates: Sequence[float] | None) -> tuple:
    """``(learning rates, their names, colours, default steps)``: the caller's, or the
    surface's :data:`DESCENT_DEFAULTS` (too small, good, too large)."""
    defaults, default_steps = DESCENT_DEFAULTS.get(s.name, (((s.good_lr, ""),), 50))
    if learning_rates is None:
        colours = DEFAULT_LR_COLOURS if len(defaults) == 3 else LR_COLOURS
        return (tuple(lr for lr, _ in defaults), tuple(name for _, name in defaults), colours,
                default_steps)
    learning_rates = tuple(learning_rates)
    if not 1 <= len(learning_rates) <= len(LR_COLOURS):
        raise ValueError(f"give 1 to {len(LR_COLOURS)} learning rates, "
                         f"got {len(learning_rates)}: {learning_rates!r}")
    return learning_rates, ("",) * len(learning_rates), LR_COLOURS, default_steps


def _window(window: tuple[float, float, float, float],
            start: tuple[float, float]) -> tuple[float, float, float, float]:
    """The surface's window, stretched to include the start point."""
    x0, x1, y0, y1 = window
    sx, sy = start
    return min(x0, sx - 0.5), max(x1, sx + 0.5), min(y0, sy - 0.5), max(y1, sy + 0.5)


def _draw_contours(fig, ax, s: Surface, window: tuple[float, float, float, float]) -> None:
    """``C(v1, v2)`` over ``window`` as filled contours, with a colour bar."""
    x0, x1, y0, y1 = window
    gx, gy = np.meshgrid(np.linspace(x0, x1, 300), np.linspace(y0, y1, 300))
    gc = s.cost(gx, gy)
    # Contour levels at quantiles of C over the window: each band covers about
    # the same area, which shows the bowl, the long valley and Rosenbrock's
    # curved floor equally well.
    levels = np.unique(np.quantile(gc, np.linspace(0, 1, 16)))
    filled = ax.contourf(gx, gy, gc, levels=levels, cmap="Greys", alpha=0.55)
    ax.contour(gx, gy, gc, levels=levels, colors="0.35", linewidths=0.6)
    cbar = fig.colorbar(filled, ax=ax, shrink=0.9, pad=0.01)
    cbar.set_label("C(v₁, v₂)   (bands of equal area)")
    cbar.ax.yaxis.set_major_formatter(_compact_formatter())


def _draw_paths(ax, paths: list, colours: Sequence[str],
                window: tuple[float, float, float, float], markers: int) -> None:
    """Each path on the contours, until it first leaves ``window``."""
    for i, path in enumerate(paths):
        shown = _inside(path.points, window)
        # Later (larger) learning rates jump furthest; draw them underneath.
        ax.plot(path.points[:shown, 0], path.points[:shown, 1], "-o", color=colours[i], lw=1.6,
                ms=3.5, markevery=markers, gid=f"path {i}", zorder=4 - 0.1 * i)
    ax.set_xlim(window[0], window[1])
    ax.set_ylim(window[2], window[3])
    ax.set_xlabel("v₁")
    ax.set_ylabel("v₂")


def _draw_costs(ax, paths: list, learning_rates: Sequence[float], names: Sequence[str],
                colours: Sequence[str]) -> None:
    """``C`` after each step of each path: log scale, or symmetric log if ``C`` goes <= 0."""
    for i, (lr, name, path) in enumerate(zip(learning_rates, names, paths)):
        n = len(path.costs) - 1
        if path.diverged:
            outcome = f"diverged after {n} steps"
        else:
            outcome = f"C = {_compact(path.costs[-1])} after {n} steps"
        label = f"λ = {lr:g}" + (f" ({name})" if name else "") + f"\n{outcome}"
        ax.plot(np.arange(n + 1), path.costs, "-", color=colours[i], lw=2, gid=f"cost {i}",
                label=label)
        if path.diverged:
            ax.plot([n], [path.costs[-1]], "x", color=colours[i], ms=10, mew=2.5)
    all_costs = np.concatenate([p.costs for p in paths])
    finite = all_costs[np.isfinite(all_costs)]
    if finite.size and finite.min() > 0:
        ax.set_yscale("log")
    else:
        linthresh = 1.0
        ax.set_yscale("symlog", linthresh=linthresh)
        _symlog_ticks(ax, finite, linthresh)
        ax.axhline(0, color="0.6", lw=0.8)
    ax.set_xlabel("step")
    ax.set_ylabel("cost C(v)" + ("   (symmetric log scale)" if finite.min() <= 0 else ""))
    diverged = any(p.diverged for p in paths)
    ax.set_title("C after each step" + ("  (× = diverged, stopped)" if diverged else ""))
    ax.grid(alpha=0.3, which="major")


def _compact(value: float) -> str:
    """``0.0421``, ``3.2e-09``, ``1.4e+12``: short and readable."""
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e5 or value == 0 else f"{value:.1e}"


def _compact_formatter():
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: _compact(v))
