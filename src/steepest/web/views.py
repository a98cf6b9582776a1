"""A network's numbers, shaped for the page: weight images, activations, contributions.

Everything here is a pure function of a :class:`~steepest.network.Network`
and returns plain lists and dicts, ready for JSON.  The page draws them; it
computes nothing but ``contribution = weight x activation`` for a line.

For hidden unit ``j`` of the first layer, its incoming weights ``W1[:, j]``
(784 numbers, one per pixel) form a 28x28 *weight image*: bright where ink
pushes the unit up, dark where ink pushes it down.  A deeper layer's unit has
one weight per unit of the layer before; those are shown as a near-square grid.

Big layers are cut to their first ``max_units`` units (the page says so), which
keeps a 800-unit layer's view as light as the lecture's 15.
"""

from __future__ import annotations

import math

import numpy as np

from ..network import Network

#: Decimals kept in JSON: plenty for drawing, and it keeps messages small.
DECIMALS = 4


def unit_image_shape(n_in: int) -> tuple[int, int]:
    """Rows and columns for drawing ``n_in`` incoming weights as an image.

    >>> unit_image_shape(784), unit_image_shape(15), unit_image_shape(16)
    ((28, 28), (4, 4), (4, 4))
    """
    side = math.isqrt(n_in)
    if side * side == n_in:
        return side, side
    cols = side + 1
    return -(-n_in // cols), cols


def shown_units(n_units: int, max_units: int) -> list[int]:
    """Indices of the units the page draws: the first ``max_units``."""
    return list(range(min(n_units, max_units)))


def rounded(a: np.ndarray) -> list:
    """A float array as (nested) lists with :data:`DECIMALS` decimals."""
    return np.round(np.asarray(a, dtype=np.float64), DECIMALS).tolist()


def layer_views(net: Network, max_units: int) -> list[dict]:
    """One dict per layer after the input: what the page needs to draw it.

    Keys: ``layer`` (1 = first hidden), ``units``, ``activation``, ``shown``
    (unit indices drawn), and

    * for a hidden layer: ``image_shape`` and ``weights`` -- the incoming
      weights of each shown unit (one list per unit, row-major image) -- and
      ``bias``;
    * for every layer after the first: ``incoming`` -- ``W[i, j]`` for each
      shown unit ``i`` of the layer before and shown unit ``j`` of this one,
      which times the activation of ``i`` is ``i``'s contribution to ``j``.
    """
    views = []
    prev_shown: list[int] | None = None
    last = len(net.layers) - 1
    for index, layer in enumerate(net.layers):
        W, b = layer.W.value, layer.b.value  # (n_in, n_out), (n_out,)
        shown = list(range(layer.n_out)) if index == last else shown_units(layer.n_out, max_units)
        view = {
            "layer": index + 1,
            "units": layer.n_out,
            "activation": layer.activation,
            "shown": shown,
        }
        if index < last:
            view["image_shape"] = list(unit_image_shape(layer.n_in))
            view["weights"] = rounded(W[:, shown].T)  # (shown, n_in): one image per unit
            view["bias"] = rounded(b[shown])
        if prev_shown is not None:
            view["incoming"] = rounded(W[np.ix_(prev_shown, shown)])  # (prev shown, shown)
        views.append(view)
        prev_shown = shown
    return views


def hidden_weight_images(net: Network, max_units: int) -> list[dict]:
    """Only the hidden layers' weight images: what changes epoch by epoch in training."""
    keep = ("layer", "units", "shown", "image_shape", "weights")
    return [{k: v[k] for k in keep} for v in layer_views(net, max_units) if "weights" in v]


def describe(net: Network) -> dict:
    """Architecture summary: sizes, activations, parameter count and the one-line form."""
    return {
        "sizes": list(net.sizes),
        "activations": list(net.activations),
        "parameters": net.num_parameters(),
        "description": net.describe(),
    }
