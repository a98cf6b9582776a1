"""One input through the network, layer by layer: what the Inside tab draws.

For an input ``x`` (the 28x28 image the network saw, as 784 gray levels), each
layer computes ``z = a_prev @ W + b`` and ``a = f(z)`` (``a_prev = x`` for the
first layer; the output's ``f`` is the softmax).  For each layer the page shows
its ``top`` *most active* units, largest ``a`` first (all of them when the layer
has no more), with ``z`` and ``a``, and why ``z`` is what it is:

* first layer: each shown unit's *weight image* ``W[:, j]`` (one weight per
  pixel) and ``z_j`` split into the ink on its positive weights, the ink on its
  negative weights and its bias: ``z_j = sum(x_i W_ij, W_ij > 0) +
  sum(x_i W_ij, W_ij < 0) + b_j``;
* every later layer: each shown unit ``k``'s *contributions* ``a_j W_jk`` from
  the shown units ``j`` of the layer before (in their order), the sum of the
  contributions of the units not shown, and its bias: together, ``z_k``.

A later unit's incoming weights are not a picture of anything, so the page draws
contributions there, not weight images.
"""

from __future__ import annotations

import numpy as np

from ..activations import softmax_
from ..network import Network
from .views import rounded, unit_image_shape

#: Units shown per layer: the most active.  The lecture's 15 hidden units all show.
TOP_UNITS = 16


def most_active(a: np.ndarray, top: int) -> np.ndarray:
    """Indices of the ``top`` largest activations, largest first (ties: lower index first).

    >>> most_active(np.array([0.2, 0.9, 0.5, 0.9]), 3).tolist()
    [1, 3, 2]
    """
    return np.argsort(-np.asarray(a), kind="stable")[:top]


def inside_view(net: Network, x: np.ndarray, top: int = TOP_UNITS) -> dict:
    """Each layer's most active units for input ``x``, and what makes up their ``z``.

    Parameters
    ----------
    net : Network
        the network, ``sizes[0]`` inputs.
    x : ndarray
        one input, ``sizes[0]`` values (any shape with that many).
    top : int
        units shown per layer (the output layer shows all of its units).

    Returns
    -------
    dict
        ``digit``, ``probabilities`` (every output, in index order) and ``layers``:
        per layer ``layer`` (1 = first), ``units``, ``activation``, ``output``,
        ``shown`` (unit indices, most active first) and, for those units, ``z``,
        ``a`` and ``bias``; the first layer adds ``image_shape``, ``weights``
        (one image per shown unit) and ``ink`` (per shown unit: the sums over its
        positive and its negative weights of ``x_i W_ij``); later layers add
        ``contributions`` (per shown unit ``k``: ``a_j W_jk`` for each shown unit
        ``j`` of the layer before) and ``rest`` (the other units' sum).

    Examples
    --------
    >>> net = Network((4, 3, 2), rng=np.random.default_rng(0))
    >>> view = inside_view(net, np.array([0.0, 1.0, 0.5, 0.0]), top=2)
    >>> [(v["units"], len(v["shown"])) for v in view["layers"]]
    [(3, 2), (2, 2)]
    >>> out = view["layers"][1]  # z_k = contributions + rest + bias
    >>> bool(np.allclose(np.sum(out["contributions"], 1) + out["rest"] + out["bias"], out["z"],
    ...                  atol=1e-3))
    True
    """
    a_prev = np.asarray(x, dtype=net.dtype).reshape(-1)  # (n_in,)
    *hidden, logits = (h[0] for h in net.infer(a_prev.reshape(1, -1)))
    probs = softmax_(logits.reshape(1, -1).astype(np.float64))[0]
    layers, prev_shown = [], None
    for index, layer in enumerate(net.layers):
        W, b = layer.W.value, layer.b.value  # (n_in, n_out), (n_out,)
        z = a_prev @ W + b  # (n_out,): the arithmetic of Network.infer
        output = index == len(net.layers) - 1
        a = probs if output else hidden[index]
        shown = most_active(a, layer.n_out if output else top)
        parts = a_prev[:, None] * W[:, shown]  # (n_in, shown): x_i W_ij, or a_j W_jk
        view = {"layer": index + 1, "units": layer.n_out, "activation": layer.activation,
                "output": output, "shown": shown.tolist(), "z": rounded(z[shown]),
                "a": rounded(a[shown]), "bias": rounded(b[shown])}
        if prev_shown is None:
            view["image_shape"] = list(unit_image_shape(layer.n_in))
            view["weights"] = rounded(W[:, shown].T)  # (shown, n_in): one image per unit
            view["ink"] = rounded(np.stack([np.where(parts > 0, parts, 0).sum(0),
                                            np.where(parts < 0, parts, 0).sum(0)], axis=1))
        else:
            view["contributions"] = rounded(parts[prev_shown].T)  # (shown, prev shown)
            view["rest"] = rounded(parts.sum(0) - parts[prev_shown].sum(0))
        layers.append(view)
        a_prev, prev_shown = a, shown
    return {"digit": int(probs.argmax()), "probabilities": rounded(probs), "layers": layers}
