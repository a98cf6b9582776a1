"""Diagrams of the lecture's network: its layers, and its computational graph, with shapes.

Every shape written on these diagrams is read off steepest's own arrays:
:func:`network_shapes` runs :class:`steepest.network.Network` forward and
backward on a small batch and reports what it finds, with the batch axis
written as ``N``.  Rows are examples: ``x`` is ``(N, 784)`` and a layer is
``x W + b`` with ``W1`` of shape ``(784, 15)``, the transpose of the
lecture's ``W`` (which multiplies one example written as a column).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..losses import NLL
from ..network import Network
from .figure import _drawing, new_figure

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def _check_sizes(sizes: Sequence[int]) -> tuple[int, int, int]:
    sizes = tuple(sizes) if isinstance(sizes, (tuple, list)) else sizes
    if (not isinstance(sizes, tuple) or len(sizes) != 3
            or not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0
                       for n in sizes)):
        raise ValueError("sizes must be three positive ints (inputs, hidden units, outputs), "
                         f"got {sizes!r}")
    return tuple(int(n) for n in sizes)


def network_shapes(
    sizes: Sequence[int] = (784, 15, 10), batch: str | int = "N"
) -> dict[str, tuple[str | int, ...]]:
    """The shape of every array in one forward and backward pass, as steepest makes them.

    Runs :class:`~steepest.network.Network` on a batch of 3 blank images,
    takes ``dL/df`` from :class:`steepest.losses.NLL` and backpropagates it,
    then reads each array's shape; the batch axis is written as ``batch``.

    Parameters
    ----------
    sizes : Sequence[int]
        ``(inputs, hidden units, outputs)``.
    batch : str or int
        how to write the batch axis: a name such as ``"N"``, or a batch size.

    Returns
    -------
    dict[str, tuple[str or int, ...]]
        The shapes of ``x, z, h, f, o``, of ``W1, b1, W2, b2``, and of ``dL/d``
        each of them but ``x`` (keys ``"dL/dW1"`` and so on).

    Examples
    --------
    >>> shapes = network_shapes()
    >>> shapes["x"], shapes["W1"], shapes["b1"], shapes["dL/dz"]
    (('N', 784), (784, 15), (15,), ('N', 15))
    """
    sizes = _check_sizes(sizes)
    if isinstance(batch, bool) or not (isinstance(batch, str) and batch.strip()
                                       or isinstance(batch, (int, np.integer)) and batch > 0):
        raise ValueError(f"batch must be a name such as 'N' or a positive int, got {batch!r}")
    net = Network(sizes, rng=np.random.default_rng(0), dtype=np.float64)
    x = np.zeros((3, sizes[0]))
    o = net.forward(x)  # (3, K)
    h = net.layers[0].a  # (3, hidden): h = sigmoid(z), written over z's memory
    delta = NLL.delta(o, np.zeros(3, dtype=np.intp))  # dL/df (3, K)
    net.backward(delta)
    params = dict(zip(("W1", "b1", "W2", "b2"), net.parameters()))
    rows = {"x": x, "z": h, "h": h, "f": net.logits, "o": o,
            "dL/dz": h, "dL/dh": h, "dL/df": delta, "dL/do": o}  # one row per example
    shapes: dict[str, tuple[str | int, ...]] = {
        name: (batch if isinstance(batch, str) else int(batch), *a.shape[1:])
        for name, a in rows.items()}
    for name, p in params.items():
        shapes[name] = p.value.shape
        shapes[f"dL/d{name}"] = p.grad.shape
    return shapes


def shape_text(shape: tuple[str | int, ...]) -> str:
    """``(N, 784)``, ``(15,)``: a shape as Python prints a tuple, names unquoted.

    >>> shape_text(("N", 784)), shape_text((15,))
    ('(N, 784)', '(15,)')
    """
    return f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''})"


def _canvas(width: float, height: float, xlim: tuple[float, float], ylim: tuple[float, float]):
    """A figure with one frameless axes, one unit as long across as up, for drawing a diagram."""
    fig = new_figure(width, height)
    ax = fig.subplots()
    ax.set_axis_off()
    ax.set_aspect("equal")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return fig, ax


# ---------------------------------------------------------------------------
# The layers, as circles.


def _column(n: int, most: int) -> list[int | None]:
    """Which units of a layer of ``n`` to draw, top to bottom (``None``: the ⋮ gap)."""
    if n <= most:
        return list(range(n))
    return list(range(most - 3)) + [None] + [n - 2, n - 1]


def _draw_layer(ax: Axes, x: float, units: list[int | None], names: list[str], side: str) -> list:
    """Circles at ``x`` from y = 1 down to y = -1; returns the (x, y) of each drawn one."""
    ys = np.linspace(1, -1, len(units)) if len(units) > 1 else np.zeros(1)
    centres = []
    ha, dx = ("right", -0.09) if side == "left" else ("left", 0.09)
    for unit, y, name in zip(units, ys, names):
        if unit is None:
            ax.text(x, y, "⋮", ha="center", va="center", fontsize=16)
            continue
        centres.append((x, y))
        if name:
            ax.text(x + dx, y, name, ha=ha, va="center", fontsize=9, color="0.25")
    ax.scatter([c[0] for c in centres], [c[1] for c in centres], s=110, zorder=3,
               facecolor="white", edgecolor="0.15", linewidth=1.2)
    return centres


def _connect(ax: Axes, left: list, right: list) -> None:
    for x0, y0 in left:
        for x1, y1 in right:
            ax.plot([x0, x1], [y0, y1], color="0.7", lw=0.4, zorder=1)


@_drawing
def network_figure(sizes: Sequence[int] = (784, 15, 10), batch: str | int = "N") -> Figure:
    """The network ``784 → 15 → 10`` as layers of units, with the shape of every array.

    Under each layer: the arrays that hold it for a batch of ``N`` examples
    (rows are examples); between layers: the weights and biases with their
    shapes, the formula, and the layer's parameter count
    (``784·15 + 15 = 11,775`` and ``15·10 + 10 = 160``).  Shapes come from
    :func:`network_shapes`, counts from the parameters of a
    :class:`~steepest.network.Network` of these sizes.

    Parameters
    ----------
    sizes : Sequence[int]
        ``(inputs, hidden units, outputs)``; the lecture's is ``(784, 15, 10)``.
    batch : str or int
        how to write the batch axis: ``"N"``, or a batch size such as 32.

    Returns
    -------
    Figure
        The figure.  Its shape labels are texts with ``gid`` ``"x"``, ``"z, h"``,
        ``"f, o"``, ``"W1"``, ``"b1"``, ``"W2"``, ``"b2"``; the parameter counts
        have ``gid`` ``"count 1"`` and ``"count 2"``.

    Examples
    --------
    >>> fig = network_figure()
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "count 1"]
    ['784·15 + 15 = 11,775 parameters']
    """
    shapes = network_shapes(sizes, batch)
    n_in, n_hidden, n_out = sizes = _check_sizes(sizes)
    fig, ax = _canvas(13, 8.2, (-1.0, 5.0), (-2.55, 1.5))
    inputs, hidden, outputs = _column(n_in, 7), _column(n_hidden, 17), _column(n_out, 12)
    left = _draw_layer(ax, 0, inputs, [f"pixel {i}" if i is not None else "" for i in inputs],
                       "left")
    middle = _draw_layer(ax, 2, hidden, ["" for _ in hidden], "left")
    right = _draw_layer(ax, 4, outputs, [f"digit {k}" if k is not None else "" for k in outputs],
                        "right")
    _connect(ax, left, middle)
    _connect(ax, middle, right)
    heads = [f"input: {n_in:,} pixels", f"hidden: {n_hidden} sigmoid units",
             f"output: {n_out} softmax units"]
    for x, head in zip((0, 2, 4), heads):
        ax.text(x, 1.2, head, ha="center", va="bottom", fontsize=12, fontweight="bold")
    for x, name in zip((0, 2, 4), ("x", "z, h", "f, o")):
        ax.text(x, -1.2, f"{name}: {shape_text(shapes[name.split(',')[0]])}", ha="center", va="top",
                fontsize=12, gid=name, family="monospace")
    net = Network(sizes, rng=np.random.default_rng(0))
    _label_parameters(ax, net, shapes)
    fig.suptitle(f"The lecture's network, {n_in} → {n_hidden} → {n_out}: "
                 f"{net.num_parameters():,} parameters, and the shape of every array\n"
                 f"rows are examples: a batch of {batch} images is one matrix x, "
                 "and each layer computes x W + b for all of them at once")
    fig.supxlabel("The lecture writes one image as a column and the layer as W x + b, "
                  f"with W of shape ({n_hidden}, {n_in}); our W1 is its transpose.",
                  fontsize=10, color="0.35")
    return fig


def _label_parameters(ax: Axes, net: Network, shapes: dict) -> None:
    """Between the layers: each layer's formula, its W and b with their shapes, and its
    parameter count."""
    formulas = ("z = x W1 + b1\nh = σ(z)", "f = h W2 + b2\no = softmax(f)")
    for i, (layer, formula) in enumerate(zip(net.layers, formulas), start=1):
        x = 2 * i - 1
        n_w, n_b = layer.W.value.size, layer.b.value.size
        ax.text(x, -1.5, formula, ha="center", va="top", fontsize=12, fontweight="bold")
        for y, name in ((-1.9, f"W{i}"), (-2.08, f"b{i}")):
            ax.text(x, y, f"{name}: {shape_text(shapes[name])}", ha="center", va="top", fontsize=11,
                    gid=name, family="monospace")
        ax.text(x, -2.3, f"{layer.n_in}·{layer.n_out} + {n_b} = {n_w + n_b:,} parameters",
                ha="center", va="top", fontsize=10.5, color="0.3", gid=f"count {i}")
