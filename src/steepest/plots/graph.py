"""The computational graph of the lecture's network: forward in one colour, backward in another.

Drawn as d2l's backpropagation chapter draws it: arrays as boxes, parameters
as circles, every node with its shape, and each backward edge labelled with
the gradient it carries.  The shapes are :func:`~steepest.plots.diagrams.network_shapes`'s,
read off steepest's own arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .diagrams import _canvas, _check_sizes, network_shapes, shape_text
from .figure import _drawing

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: Colours of the two passes.
FORWARD_COLOUR = "#1f4e9c"
BACKWARD_COLOUR = "#d62728"

#: Each node: (x, y) of its centre, and whether it is a parameter (a circle) or an array (a box).
_NODES = {
    "x": (0, 0, False), "z": (3, 0, False), "h": (6, 0, False), "f": (9, 0, False),
    "o": (12, 0, False), "L": (15, 0, False), "y": (15, 2.6, False),
    "W1": (1.8, 2.6, True), "b1": (4.2, 2.6, True), "W2": (7.8, 2.6, True),
    "b2": (10.2, 2.6, True),
}

#: Forward edges, with the operation written beside some of them.
_FORWARD = [("x", "z", "x W1 + b1"), ("W1", "z", ""), ("b1", "z", ""), ("z", "h", "σ"),
            ("h", "f", "h W2 + b2"), ("W2", "f", ""), ("b2", "f", ""), ("f", "o", "softmax"),
            ("o", "L", r"$-\log\,o_y$"), ("y", "L", "")]


def _gradients(shapes: dict, batch: str) -> dict[str, tuple[str, str, str]]:
    """Each gradient: (from node, to node, label).  The label's second line multiplies shapes."""
    s = {name: shape_text(shape) for name, shape in shapes.items()}
    t = {name: shape_text(shape[::-1]) for name, shape in shapes.items()}  # transposed
    return {
        "f": ("L", "f", f"∂L/∂f = (o − onehot(y)) / {batch}\n{s['dL/df']}: softmax and −log "
                        "in one step"),
        "W2": ("f", "W2", f"∂L/∂W2 = hᵀ ∂L/∂f\n{t['h']} {s['dL/df']} → {s['W2']}"),
        "b2": ("f", "b2", f"∂L/∂b2 = Σₙ ∂L/∂f\nsum of {batch} rows → {s['b2']}"),
        "h": ("f", "h", f"∂L/∂h = ∂L/∂f W2ᵀ\n{s['dL/df']} {t['W2']} → {s['dL/dh']}"),
        "z": ("h", "z", f"∂L/∂z = ∂L/∂h ⊙ h(1 − h)\nelementwise: {s['dL/dz']}"),
        "W1": ("z", "W1", f"∂L/∂W1 = xᵀ ∂L/∂z\n{t['x']} {s['dL/dz']} → {s['W1']}"),
        "b1": ("z", "b1", f"∂L/∂b1 = Σₙ ∂L/∂z\nsum of {batch} rows → {s['b1']}"),
    }


def _draw_nodes(ax: Axes, shapes: dict) -> dict:
    """Boxes and circles with each node's name and shape; returns the patches by name."""
    from matplotlib.patches import Circle, FancyBboxPatch

    names = {"y": "onehot(y)", "L": "L"}
    patches = {}
    for name, (x, y, parameter) in _NODES.items():
        if parameter:
            patch = Circle((x, y), 0.72, fc="#fdebd0", ec="0.2", lw=1.2)
        else:
            fill = "0.92" if name in ("y", "L") else "#dce6f5"
            patch = FancyBboxPatch((x - 0.8, y - 0.45), 1.6, 0.9, fc=fill, ec="0.2", lw=1.2,
                                   boxstyle="round,pad=0.08")
        ax.add_patch(patch)
        patches[name] = patch
        if name == "L":
            shape = "a number"
        elif name == "y":
            shape = shape_text(shapes["o"])
        else:
            shape = shape_text(shapes[name])
        ax.text(x, y + 0.12, names.get(name, name), ha="center", va="bottom", fontsize=13,
                fontweight="bold", gid=f"node {name}")
        ax.text(x, y + 0.05, shape, ha="center", va="top", fontsize=10, family="monospace",
                gid=f"shape {name}")
    return patches


def _arrow(ax: Axes, patches: dict, a: str, b: str, colour: str, rad: float, gid: str) -> None:
    from matplotlib.patches import FancyArrowPatch

    (xa, ya, _), (xb, yb, _) = _NODES[a], _NODES[b]
    ax.add_patch(FancyArrowPatch((xa, ya), (xb, yb), patchA=patches[a], patchB=patches[b],
                                 arrowstyle="-|>", mutation_scale=16, color=colour, lw=1.6,
                                 connectionstyle=f"arc3,rad={rad}", gid=gid,
                                 ls="-" if colour == FORWARD_COLOUR else "--"))


@_drawing
def graph_figure(sizes: Sequence[int] = (784, 15, 10), batch: str | int = "N") -> Figure:
    """The forward and backward pass of ``784 → 15 → 10`` as a computational graph, with shapes.

    Forward (blue): ``z = x W1 + b1``, ``h = σ(z)``, ``f = h W2 + b2``,
    ``o = softmax(f)``, ``L = −mean log o_y``.  Backward (red, dashed), from
    ``L`` back to the parameters, each edge labelled with its gradient and the
    shapes it multiplies::

        ∂L/∂f  = (o − onehot(y)) / N     ∂L/∂h  = ∂L/∂f W2ᵀ
        ∂L/∂W2 = hᵀ ∂L/∂f                ∂L/∂z  = ∂L/∂h ⊙ h(1 − h)
        ∂L/∂b2 = Σₙ ∂L/∂f                ∂L/∂W1 = xᵀ ∂L/∂z,  ∂L/∂b1 = Σₙ ∂L/∂z

    Every gradient has the shape of its array.

    Parameters
    ----------
    sizes : Sequence[int]
        ``(inputs, hidden units, outputs)``; the lecture's is ``(784, 15, 10)``.
    batch : str or int
        how to write the batch axis: ``"N"``, or a batch size such as 32.

    Returns
    -------
    Figure
        The figure.  Texts carry ``gid`` ``"node <name>"``, ``"shape <name>"`` and
        ``"grad <name>"``; arrows ``"forward <a>→<b>"`` and ``"backward <a>→<b>"``.

    Examples
    --------
    >>> fig = graph_figure()
    >>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "shape W1"]
    ['(784, 15)']
    """
    shapes = network_shapes(_check_sizes(sizes), batch)
    fig, ax = _canvas(15, 6.7, (-1.1, 16.1), (-2.4, 4.2))
    patches = _draw_nodes(ax, shapes)
    _draw_forward(ax, patches)
    _draw_backward(ax, patches, _gradients(shapes, str(batch)))
    ax.text(0, -1.0, "no ∂L/∂x:\nx is data, not learned", ha="center", va="top", fontsize=9.5,
            color="0.4")
    fig.suptitle(f"The computational graph of {' → '.join(map(str, sizes))}, with the shape "
                 f"of every array ({batch} examples per batch)\nblue: forward, each array from "
                 "the ones before it;   red, dashed: backward, ∂L/∂(each array) from L back to "
                 "the parameters, each with its array's shape")
    return fig

def _draw_forward(ax: Axes, patches: dict) -> None:
    """The forward edges (blue), each labelled with its operation."""
    for a, b, op in _FORWARD:
        _arrow(ax, patches, a, b, FORWARD_COLOUR, 0.0, f"forward {a}→{b}")
        if op:
            (xa, ya, _), (xb, _, _) = _NODES[a], _NODES[b]
            ax.text((xa + xb) / 2, ya + 0.12, op, ha="center", va="bottom", fontsize=11,
                    color=FORWARD_COLOUR)


def _draw_backward(ax: Axes, patches: dict, gradients: dict) -> None:
    """The backward edges (red, dashed), each labelled with its gradient and shapes:
    beside the forward edge into a parameter, else an arc under the row."""
    for name, (a, b, label) in gradients.items():
        x, y, parameter = _NODES[b]
        if parameter:  # beside the forward edge; the label above the circle, leaning outwards
            _arrow(ax, patches, a, b, BACKWARD_COLOUR, -0.25, f"backward {a}→{b}")
            ha = "right" if name.startswith("W") else "left"
            x += 0.75 if ha == "right" else -0.75
            ax.text(x, y + 0.85, label, ha=ha, va="bottom", fontsize=10,
                    color=BACKWARD_COLOUR, gid=f"grad {name}", linespacing=1.5)
        else:  # an arc under the row, its lowest point ``depth`` below the centres
            xa = _NODES[a][0]
            depth = 1.0 if abs(xa - x) <= 3 else 1.45
            _arrow(ax, patches, a, b, BACKWARD_COLOUR, -2 * depth / abs(xa - x),
                   f"backward {a}→{b}")
            ax.text((xa + x) / 2, -depth - 0.12, label, ha="center", va="top", fontsize=10,
                    color=BACKWARD_COLOUR, gid=f"grad {name}", linespacing=1.5)
