"""Saturation: the hidden layer at initialisation, under N(0, 1) and under scaled weights.

With the lecture's initialisation every weight is N(0, 1), so a hidden unit
adds up an MNIST digit's ~150 inked pixels, each times an N(0, 1) weight:
``z = x W1 + b1`` has a standard deviation near 9, and on MNIST more than half
of the ``h = σ(z)`` start within 0.01 of 0 or 1, where ``σ'(z) = h (1 − h)``
is below 0.01 and almost no gradient passes.  Scaling the weights by
``1/√784`` (``init="scaled"``: our choice, Nielsen's network2 default; the
lecture does not discuss it) keeps ``z`` near N(0, 1), and almost no ``h``
starts saturated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..network import INITS, Network
from .figure import _drawing, new_figure

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.figure import Figure

#: ``h`` counts as saturated within this distance of 0 or 1.
SATURATION = 0.01


def saturated_fraction(h: np.ndarray, within: float = SATURATION) -> float:
    """The fraction of activations ``h`` within ``within`` of 0 or of 1.

    >>> saturated_fraction(np.array([0.001, 0.5, 0.995, 0.98]))
    0.5
    """
    h = np.asarray(h)
    return float(np.mean((h < within) | (h > 1 - within)))


def init_label(init: str, n_in: int, n_hidden: int) -> str:
    """How the figure names an initialisation, and whose choice it is.

    >>> init_label("scaled", 784, 15)
    'scaled: our choice (N(0, 1/784))'
    """
    labels = {
        "normal": "N(0, 1): the lecture's",
        "scaled": f"scaled: our choice (N(0, 1/{n_in}))",
        "xavier": f"xavier (Glorot): N(0, 2/({n_in} + {n_hidden})), biases 0",
        "glorot": f"glorot (Xavier): N(0, 2/({n_in} + {n_hidden})), biases 0",
        "he": f"he: N(0, 2/{n_in}), biases 0",
    }
    return labels.get(init, init)


def _check(x, rng, inits, hidden) -> tuple[np.ndarray, np.random.Generator, tuple[str, ...]]:
    x = np.asarray(x)
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"x must be a batch of images, (N, 784) with N >= 1, got shape {x.shape}")
    if x.dtype.kind != "f":
        raise ValueError(f"x must hold pixel values in [0, 1] as floats (divide uint8 images "
                         f"by 255), got {x.dtype}")
    x = x.reshape(x.shape[0], -1)
    if not (np.isfinite(x).all() and x.min() >= 0 and x.max() <= 1):
        raise ValueError(f"x must hold pixel values in [0, 1] (divide uint8 images by 255), "
                         f"got values from {np.nanmin(x):g} to {np.nanmax(x):g}")
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool) and rng >= 0:
        rng = np.random.default_rng(rng)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator or a seed >= 0, got {rng!r}")
    inits = (inits,) if isinstance(inits, str) else tuple(inits)
    if not 1 <= len(inits) <= 4 or len(set(inits)) < len(inits) or not set(inits) <= set(INITS):
        raise ValueError(f"inits must be 1 to 4 different names from {', '.join(INITS)}, "
                         f"got {inits!r}")
    if isinstance(hidden, bool) or not isinstance(hidden, (int, np.integer)) or hidden < 1:
        raise ValueError(f"hidden must be a positive int, got {hidden!r}")
    return x, rng, inits


def hidden_at_init(
    x: np.ndarray, init: str, seed: int, hidden: int = 15
) -> tuple[np.ndarray, np.ndarray]:
    """``z = x W1 + b1`` and ``h = σ(z)`` of a fresh ``Network((n_in, hidden, 10), init=init)``.

    ``h`` is what steepest's own forward pass computes; ``z`` is the formula
    on the network's ``W1`` and ``b1``.  Both are ``(N, hidden)`` float32.
    """
    net = Network((x.shape[1], hidden, 10), init=init, rng=np.random.default_rng(seed))
    x = x.astype(net.dtype)
    layer = net.layers[0]
    z = x @ layer.W.value + layer.b.value  # (N, 784) @ (784, 15) + (15,) -> (N, 15)
    net.forward(x)
    return z, layer.a.copy()  # layer.a: h = σ(z), (N, 15)


@_drawing
def saturation_figure(
    x: np.ndarray,
    rng: np.random.Generator | int = 0,
    inits: Sequence[str] = ("normal", "scaled"),
    hidden: int = 15,
) -> Figure:
    """Histograms of the hidden layer's ``z = x W1 + b1`` and ``h = σ(z)`` at initialisation.

    One row per initialisation (a name from :data:`steepest.network.INITS`):
    ``"normal"`` is the lecture's N(0, 1); ``"scaled"``, N(0, 1/784) for the
    weights, is our choice (Nielsen's network2 default).  Every network is
    built by :class:`~steepest.network.Network` from one seed drawn from
    ``rng``, so all rows share the same random draws and differ only by the
    scale.  Shaded: where ``h`` is within 0.01 of 0 or 1 (``|z| > log 99``);
    each ``h`` panel writes the fraction of ``h`` found there.

    Parameters
    ----------
    x : ndarray
        a batch of images, ``(N, 784)`` (or ``(N, 28, 28)``) floats in [0, 1].
    rng : np.random.Generator or int
        a ``numpy.random.Generator``, or a seed for one.
    inits : Sequence[str]
        1 to 4 initialisations, one row each.
    hidden : int
        hidden units (the lecture's 15).

    Returns
    -------
    Figure
        The figure.  The histograms are ``stairs`` with ``gid`` ``"z <init>"``
        and ``"h <init>"``; the fraction is the text with ``gid="saturated <init>"``.

    Examples
    --------
    >>> x = np.random.default_rng(0).random((20, 784)) / 4  # 20 grey images
    >>> fig = saturation_figure(x, rng=0)
    >>> [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "saturated scaled"]
    ['0.0% of h within 0.01 of 0 or 1']
    """
    x, rng, inits = _check(x, rng, inits, hidden)
    seed = int(rng.integers(2**32))
    fig = new_figure(11.5, 3.7 * len(inits) + 1.1)
    rows = fig.subfigures(len(inits), 1)
    edge = math.log((1 - SATURATION) / SATURATION)  # σ(±edge) = 0.99, 0.01
    for row, init in zip(np.atleast_1d(rows), inits):
        z, h = hidden_at_init(x, init, seed, hidden)
        row.suptitle(init_label(init, x.shape[1], hidden), fontweight="bold", fontsize=12)
        z_ax, h_ax = row.subplots(1, 2)
        _z_panel(z_ax, z, init, edge)
        _h_panel(h_ax, h, init)
    fig.suptitle(f"The hidden layer at initialisation: {x.shape[0]:,} images × {hidden} units "
                 f"= {x.shape[0] * hidden:,} values per histogram\n"
                 f"shaded: |z| > log 99 = {edge:.1f}, so h is within 0.01 of 0 or 1, "
                 "where σ′(z) = h(1 − h) < 0.01: almost no gradient passes")
    return fig


def _z_panel(ax, z: np.ndarray, init: str, edge: float) -> None:
    """The histogram of ``z``, shaded where ``|z| > edge`` (``σ(z)`` saturated)."""
    _histogram(ax, z, np.histogram_bin_edges(z, bins=60), f"z {init}", "C0")
    low, high = min(float(z.min()), -edge - 0.5), max(float(z.max()), edge + 0.5)
    for a, b in ((low, -edge), (edge, high)):
        ax.axvspan(a, b, color="C3", alpha=0.12, lw=0, zorder=0)
    ax.set_xlim(low, high)
    ax.set_title(f"z = x W1 + b1: mean {z.mean():.2f}, std {z.std():.2f}")
    ax.set_xlabel("z")


def _h_panel(ax, h: np.ndarray, init: str) -> None:
    """The histogram of ``h``, shaded within :data:`SATURATION` of 0 and 1, with the
    fraction found there."""
    _histogram(ax, h, np.linspace(0, 1, 51), f"h {init}", "C1")
    for a, b in ((0, SATURATION), (1 - SATURATION, 1)):
        ax.axvspan(a, b, color="C3", alpha=0.25, lw=0, zorder=0)
    ax.set_xlim(-0.02, 1.02)
    ax.set_title("h = σ(z)")
    ax.set_xlabel("h")
    ax.text(0.5, 0.93, f"{100 * saturated_fraction(h):.1f}% of h within 0.01 of 0 or 1",
            transform=ax.transAxes, ha="center", va="top", fontsize=11, color="C3",
            gid=f"saturated {init}", bbox=dict(fc="white", ec="none", alpha=0.85))


def _histogram(ax, values: np.ndarray, edges: np.ndarray, gid: str, colour: str) -> None:
    counts, edges = np.histogram(values, bins=edges)
    ax.stairs(counts, edges, fill=True, color=colour, alpha=0.8, gid=gid)
    ax.set_ylim(0, 1.18 * max(int(counts.max()), 1))  # room for the text at the top
    ax.set_ylabel("count")
    ax.grid(axis="y", alpha=0.3)
