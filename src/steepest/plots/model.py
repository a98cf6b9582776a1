"""Figures of a trained model: confusion matrix, weight images, mistakes, one image inside."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from ..activations import softmax_
from ..metrics import confusion_matrix, mistakes
from .figure import _drawing, new_figure

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.figure import Figure

    from ..network import Network


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

    Parameters
    ----------
    network : Network
        the model.
    x : ndarray
        images, ``(N, 28, 28)`` uint8 or ``(N, 784)`` floats.
    y : ndarray
        true labels ``(N,)``.

    Returns
    -------
    Figure
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

    Parameters
    ----------
    network : Network
        the model (its input must be a square image, e.g. 784 = 28x28).
    max_units : int
        how many units to draw at most.

    Returns
    -------
    Figure
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

    Parameters
    ----------
    network : Network
        A trained network.
    x : ndarray, shape (N, n_in)
        The examples, as the network takes them.
    y : ndarray, shape (N,)
        Their true labels.

    Returns
    -------
    list of dict
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

    Parameters
    ----------
    network : Network
        the model.
    x : ndarray
        images ``(N, 28, 28)`` (uint8 or floats in [0, 1]).
    y : ndarray
        true labels ``(N,)``.
    count : int
        how many mistakes to show at most.

    Returns
    -------
    Figure
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

    Parameters
    ----------
    network : Network
        the model.
    image : ndarray
        one preprocessed image, ``(28, 28)`` or ``(784,)`` floats in [0, 1].

    Returns
    -------
    list[ndarray]
        One 1-D array per layer; the last is the probability of each class.
    """
    x = np.asarray(image, dtype=network.dtype).reshape(1, -1)
    if x.shape[1] != network.sizes[0]:
        raise ValueError(f"the network expects {network.sizes[0]} inputs, "
                         f"the image has {x.shape[1]} pixels")
    *hidden, f = network.infer(x)  # new arrays: the network's own buffers stay untouched
    return [h[0] for h in hidden] + [softmax_(f)[0]]  # o = softmax(f), as forward gives it


@_drawing
def inside_figure(
    network: Network,
    image: np.ndarray,
    original: np.ndarray | None = None,
    title: str | None = None,
) -> Figure:
    """One image through the network: its input, hidden activations and output probabilities.

    Parameters
    ----------
    network : Network
        the model.
    image : ndarray
        the preprocessed input, ``(28, 28)`` floats in [0, 1] (as from
        :func:`steepest.preprocess.preprocess_file`).
    original : ndarray or None
        the image as it was read, drawn first when given.
    title : str or None
        the figure's title (e.g. the file name).

    Returns
    -------
    Figure
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
    _hidden_panels(fig, outer[0, n_img], hidden, network.activations)
    _output_panel(fig.add_subplot(outer[0, n_img + 1]), probs, gid=f"layer {len(trace) - 1}")
    fig.suptitle(f"{title + ': ' if title else ''}the network says {digit} "
                 f"({_percent(float(probs[digit]))})\n{network.describe()}")
    return fig


def _hidden_panels(fig, cell, hidden: list[np.ndarray], activations: list[str]) -> None:
    """One bar chart of activations per hidden layer, stacked in ``cell`` of the grid."""
    if not hidden:
        ax = fig.add_subplot(cell)
        ax.text(0.5, 0.5, "no hidden layer", ha="center", va="center", color="0.4")
        ax.set_axis_off()
        return
    inner = cell.subgridspec(len(hidden), 1)
    for i, a in enumerate(hidden):
        ax = fig.add_subplot(inner[i, 0])
        units = np.arange(1, a.size + 1)
        ax.bar(units, a, color="C0", width=0.8 if a.size <= 60 else 1.0, gid=f"layer {i}")
        name = activations[i]
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


def _output_panel(ax, probs: np.ndarray, gid: str) -> None:
    """The output probabilities as bars, the winner in red, each >= 1 % labelled."""
    digit = int(probs.argmax())
    classes = np.arange(probs.size)
    colours = ["C3" if k == digit else "0.6" for k in classes]
    ax.bar(classes, probs, color=colours, gid=gid)
    for k, p in zip(classes, probs):
        if p >= 0.01:
            ax.text(k, p + 0.015, f"{100 * p:.0f}%", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(classes)
    ax.set_ylim(0, 1.1)
    ax.set_xlabel("digit")
    ax.set_ylabel("probability o")
    ax.set_title(f"output probabilities (softmax): {digit} wins")
    ax.grid(axis="y", alpha=0.3)
