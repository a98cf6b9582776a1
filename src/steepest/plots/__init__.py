"""Figures drawn from the package's own numbers: the lecture, made visible.

Every function here computes its data with ``steepest`` itself (the activation
functions, :func:`steepest.descent.descend`, a trained :class:`Network`, a
run's ``history.json``) and returns a matplotlib :class:`~matplotlib.figure.Figure`;
:func:`~steepest.plots.figure.save` writes one as PNG or SVG.

=====================  =========================================================
function               what it shows
=====================  =========================================================
activations_figure     ``f(z)`` and ``f'(z)`` for step, ReLU, softplus, sigmoid
nll_figure             ``-log(o)``: the cost of giving the right digit probability ``o``
descent_figure         ``v <- v - lambda grad C(v)`` on a contour plot, and ``C`` per step
descent_explorer       sliders for lambda and the steps over descent_figure (a notebook widget)
history_figure         loss and accuracy per epoch of a training run
confusion_figure       true digit against predicted digit on the test set
weights_figure         each hidden unit's 784 incoming weights as a 28x28 image
mistakes_figure        misclassified test digits with label, prediction, confidence
inside_figure          one image: as the network sees it, hidden activations, outputs
network_figure         784 -> 15 -> 10 as layers of units, with the shape of every array
graph_figure           the forward/backward computational graph, gradients and shapes
output_error_figure    one digit: bars of ``o``, ``onehot(y)`` and ``o - onehot(y)``
relu_softplus_figure   ReLU and softplus on one axis, as the lecture draws them
softmax_figure         ``softmax(f)`` and ``softmax(f + c)``: the same probabilities
saturation_figure      hidden ``z`` and ``h`` at initialisation: N(0, 1) against scaled
=====================  =========================================================

matplotlib is imported only inside the functions that draw, so ``import
steepest`` and ``steepest train`` never load it.  Figures are built with the
object-oriented API on an Agg canvas (``Figure`` + ``FigureCanvasAgg``), never
through ``pyplot``: there is no global "current figure", nothing opens a
window, and no figure stays alive in a registry after its caller drops it.
Fonts come from :data:`~steepest.plots.figure.STYLE` through ``matplotlib.rc_context``, which sets
matplotlib's global settings for the duration of a call: draw from one
thread at a time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .course import output_error_figure, relu_softplus_figure, softmax_figure
from .diagrams import network_figure, network_shapes, shape_text
from .explore import descent_explorer
from .figure import FORMATS, PNG_DPI, STYLE, figure_format, new_figure, save
from .graph import graph_figure
from .history import check_history, history_figure, lines_with_gid, load_history
from .lecture import (
    ACTIVATION_LABELS,
    DESCENT_DEFAULTS,
    activations_figure,
    descent_figure,
    nll_figure,
    nll_per_example,
)
from .model import (
    confusion_figure,
    find_mistakes,
    forward_trace,
    inside_figure,
    mistakes_figure,
    weights_figure,
)
from .saturation import hidden_at_init, saturated_fraction, saturation_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from ..network import Network

__all__ = [
    "ACTIVATION_LABELS", "DESCENT_DEFAULTS", "FORMATS", "PNG_DPI", "STYLE",
    "activations_figure", "check_history", "confusion_figure", "descent_explorer", "descent_figure",
    "figure_format", "find_mistakes", "forward_trace", "graph_figure", "hidden_at_init",
    "history_figure", "inside_figure", "lines_with_gid", "load_history", "mistakes_figure",
    "network_figure", "network_shapes", "new_figure", "nll_figure", "nll_per_example",
    "output_error_figure", "relu_softplus_figure", "save", "saturated_fraction",
    "saturation_figure", "shape_text", "softmax_figure", "weights_figure",
    "write_run_figures",
]


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

    Parameters
    ----------
    out_dir : str or os.PathLike
        the directory.
    network : Network
        the trained model.
    history_records : Sequence[Mapping] or Mapping
        the run's epoch records (dicts, as in history.json),
        or the whole history document.
    test_data : tuple[ndarray, ndarray]
        ``(x_test, y_test)``.
    meta : Mapping or None
        the run's meta, for the history figure's title.
    fmt : str
        ``"png"`` or ``"svg"``.

    Returns
    -------
    list[Path]
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
