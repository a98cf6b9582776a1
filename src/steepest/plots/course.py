"""Figures for the course notebooks: the output error, ReLU beside softplus, softmax's shift.

Each computes its numbers with steepest itself (:mod:`steepest.activations`,
:func:`steepest.losses.one_hot`, :class:`steepest.losses.NLL`,
:class:`steepest.network.Network`) and returns a matplotlib Figure.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from .. import activations as act
from ..losses import NLL, one_hot
from .figure import _drawing, new_figure

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.figure import Figure


def _show(values: np.ndarray) -> str:
    """The first few values on one line: ``[0.5, nan, 0.5]``, ``[1.0, 2.0, ...] (784 values)``."""
    flat = values.ravel()
    return str(flat[:6].tolist()) + (f" ... ({flat.size} values)" if flat.size > 6 else "")


def _finite_vector(values, name: str, min_size: int = 1) -> np.ndarray:
    """``values`` as a 1-D float64 array of at least ``min_size`` finite numbers."""
    v = np.asarray(values)
    if v.ndim != 1 or v.size < min_size or v.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be a 1-D array of at least {min_size} numbers, "
                         f"got {_show(v)} of shape {v.shape}")
    v = v.astype(np.float64)
    if not np.isfinite(v).all():
        raise ValueError(f"{name} must be finite, got {_show(v)}")
    return v


def _sub(k: int) -> str:
    """``7 -> "₇"``: an index as subscript digits."""
    return str(k).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))


def _digit_image(image) -> tuple[np.ndarray, float]:
    """A square image and its largest possible value (255 for uint8, else 1)."""
    image = np.asarray(image)
    side = math.isqrt(image.size)
    if image.size == 0 or side * side != image.size or image.ndim not in (1, 2):
        raise ValueError(f"image must be one square image such as 28x28 (or 784 values), "
                         f"got shape {image.shape}")
    return image.reshape(side, side), 255.0 if image.dtype == np.uint8 else 1.0


# ---------------------------------------------------------------------------
# One digit: o, onehot(y) and the output error o - onehot(y).


@_drawing
def output_error_figure(o: np.ndarray, y: int, image: np.ndarray | None = None) -> Figure:
    """For one digit, bars of ``o``, ``onehot(y)`` and the output error ``o − onehot(y)``.

    ``o − onehot(y)`` is ``∂L/∂f``, the gradient of ``L = −log o_y`` with
    respect to the logits (:meth:`steepest.losses.NLL.delta` for one example):
    positive ``o_k`` at every wrong digit, ``o_y − 1 ≤ 0`` at the true one.
    Gradient descent lowers the logits with positive bars and raises the true
    digit's.  The digit's image, when given, is drawn as MNIST stores it:
    white ink (large values) on black (0), colour map ``"gray"`` from 0.

    Parameters
    ----------
    o : ndarray
        one example's probabilities, ``(K,)``, each in [0, 1], summing to 1.
    y : int
        the true class, in ``[0, K)``.
    image : ndarray or None
        the digit, ``(28, 28)`` or ``(784,)``, uint8 or floats in [0, 1].

    Returns
    -------
    Figure
        The figure; its bars have ``gid`` ``"o"``, ``"onehot"`` and ``"error"``.

    Examples
    --------
    >>> fig = output_error_figure(np.full(10, 0.1), 3)
    >>> error = [p.get_height() for ax in fig.axes for p in ax.patches if p.get_gid() == "error"]
    >>> round(float(min(error)), 2), error.index(min(error))
    (-0.9, 3)
    """
    o = _checked_probabilities(o, y)
    k = o.size
    target = one_hot(np.array([y]), k, dtype=np.float64)[0]  # (K,)
    error = NLL.delta(o[None, :], np.array([y]))[0]  # (K,): o - onehot(y), as N = 1
    panels = [("o", o, "o = softmax(f): the network's answer", "0.55"),
              ("onehot", target, f"onehot(y): the right answer, y = {y}", "C2"),
              ("error", error, "o − onehot(y) = ∂L/∂f", "C0")]
    fig = new_figure(4.2 * 3 + (3.2 if image is not None else 0), 4.6)
    axes = fig.subplots(1, 3 + (image is not None),
                        width_ratios=([0.8] if image is not None else []) + [1, 1, 1])
    if image is not None:
        picture, vmax = _digit_image(image)
        axes[0].imshow(picture, cmap="gray", vmin=0, vmax=vmax, gid="image")
        axes[0].set_title(f"the digit (label {y})\nwhite ink on black, as stored")
        axes[0].set_xticks([])
        axes[0].set_yticks([])
    for ax, (gid, values, title, colour) in zip(axes[-3:], panels):
        _digit_bars(ax, gid, values, title, colour, y)
    axes[-3].set_ylabel("value")
    right = y < k - 3  # write beside the bar, on the side with room
    axes[-1].annotate(f"o{_sub(y)} − 1 = {error[y]:.2f}".replace("-", "−")
                      + "\nnegative only at\nthe true digit", (y, error[y]),
                      xytext=(y + (0.7 if right else -0.7), -0.62), ha="left" if right else "right",
                      va="center", fontsize=10, arrowprops=dict(arrowstyle="->", color="0.4"))
    loss = -math.log(max(o[y], 1e-300))
    fig.suptitle(f"The output error for one digit: o − onehot(y), with L = −log o{_sub(y)} = "
                 f"{loss:.2f}\ngradient descent raises the logit f{_sub(y)} and lowers every "
                 "other, each in proportion to its bar")
    return fig


def _checked_probabilities(o, y) -> np.ndarray:
    """``o`` as a float vector of probabilities summing to 1, with ``y`` a class of it."""
    o = _finite_vector(o, "o", min_size=2)
    if o.min() < 0 or o.max() > 1 or abs(o.sum() - 1) > 1e-4:
        raise ValueError(f"o must be probabilities in [0, 1] that sum to 1, got sum "
                         f"{o.sum():.6g} and values from {o.min():.3g} to {o.max():.3g}")
    if isinstance(y, bool) or not isinstance(y, (int, np.integer)) or not 0 <= y < o.size:
        raise ValueError(f"y must be an int in [0, {o.size}), got {y!r}")
    return o


def _digit_bars(ax, gid: str, values: np.ndarray, title: str, colour: str, y: int) -> None:
    """One value per digit as bars, the true digit ``y`` in red (but in ``onehot``)."""
    digits = np.arange(values.size)
    colours = [colour] * values.size
    colours[y] = "C3" if gid != "onehot" else colour
    ax.bar(digits, values, color=colours, gid=gid)
    ax.axhline(0, color="0.3", lw=0.8)
    ax.set_title(title)
    ax.set_xticks(digits)
    ax.set_xlabel("digit k")
    ax.set_ylim(-1.08 if gid == "error" else -0.04, 1.08)
    ax.grid(axis="y", alpha=0.3)


# ---------------------------------------------------------------------------
# ReLU and softplus, on one axis.


def _check_range(z_range, points) -> tuple[float, float]:
    low, high = (float(v) for v in z_range) if len(z_range) == 2 else (math.nan, math.nan)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"z_range must be two finite numbers, low < high, got {z_range!r}")
    if isinstance(points, bool) or not isinstance(points, (int, np.integer)) or points < 2:
        raise ValueError(f"points must be an int >= 2, got {points!r}")
    return low, high


@_drawing
def relu_softplus_figure(z_range: tuple[float, float] = (-4.0, 4.0), points: int = 801) -> Figure:
    """ReLU ``max(0, z)`` and softplus ``log(1 + eᶻ)`` on one axis, as the lecture draws them.

    The lecture's Figure 2: "Rectifier, and a smooth approximation
    log(1 + e^x)".  Values from :func:`steepest.activations.relu` and
    :func:`~steepest.activations.softplus`; the two differ most at ``z = 0``
    (by ``log 2``) and meet as ``|z|`` grows.

    Parameters
    ----------
    z_range : tuple[float, float]
        the interval of ``z`` drawn.
    points : int
        grid points.

    Returns
    -------
    Figure
        The figure; its lines have ``gid`` ``"relu"`` and ``"softplus"``.

    Examples
    --------
    >>> fig = relu_softplus_figure((-1, 1), points=3)
    >>> [(line.get_gid(), line.get_ydata().round(3).tolist())
    ...  for line in fig.axes[0].lines if line.get_gid()]
    [('relu', [0.0, 0.0, 1.0]), ('softplus', [0.313, 0.693, 1.313])]
    """
    low, high = _check_range(z_range, points)
    z = np.linspace(low, high, points)
    fig = new_figure(7.5, 5.0)
    ax = fig.subplots()
    ax.axhline(0, color="0.75", lw=0.8)
    ax.axvline(0, color="0.75", lw=0.8)
    ax.plot(z, act.relu(z), color="C0", lw=2.4, gid="relu", label=r"rectifier $\max(0, z)$")
    ax.plot(z, act.softplus(z), color="C1", lw=2.4, ls="--", gid="softplus",
            label=r"softplus $\log(1 + e^{z})$")
    if low < 0 < high:
        gap = float(act.softplus(np.zeros(1))[0])
        ax.plot([0, 0], [0, gap], color="0.3", lw=1.2, ls=":")
        ax.annotate(f"at z = 0 they differ most:\nlog 2 = {gap:.2f}", (0, gap / 2),
                    xytext=(-20, 45), textcoords="offset points", ha="right", fontsize=10,
                    arrowprops=dict(arrowstyle="->", color="0.4"))
    ax.set_xlim(low, high)
    ax.set_xlabel("z")
    ax.set_ylabel("f(z)")
    ax.set_title("Rectifier, and a smooth approximation log(1 + eᶻ)\n(the lecture's Figure 2)")
    ax.legend(loc="upper left", frameon=False, fontsize=11)
    ax.grid(alpha=0.3)
    return fig


# ---------------------------------------------------------------------------
# Softmax: unchanged when every logit shifts by the same constant.


@_drawing
def softmax_figure(logits: np.ndarray, shift: float = 5.0) -> Figure:
    """Bars of the logits ``f`` and ``softmax(f)``, and of ``f + c`` and ``softmax(f + c)``.

    ``e^(f_k + c) = e^c e^(f_k)``: the factor ``e^c`` cancels between the
    numerator and the sum below it, so shifting every logit by one constant
    changes no probability (:func:`steepest.activations.softmax` itself
    subtracts the largest logit to keep every exponent <= 0).  The title
    prints the largest difference actually found, a rounding error at most.

    Parameters
    ----------
    logits : ndarray
        one example's logits ``f``, ``(K,)`` with ``K >= 2``.
    shift : float
        the constant ``c`` added to every logit.

    Returns
    -------
    Figure
        The figure; its bars have ``gid`` ``"f"``, ``"f + c"``, ``"softmax(f)"``
        and ``"softmax(f + c)"``; the largest difference is the text with
        ``gid="difference"``.

    Examples
    --------
    >>> fig = softmax_figure(np.array([2.0, 1.0, 0.1]), shift=100.0)
    >>> bars = {}
    >>> for p in (p for ax in fig.axes for p in ax.patches):
    ...     bars.setdefault(p.get_gid(), []).append(round(float(p.get_height()), 3))
    >>> bars["softmax(f)"], bars["softmax(f + c)"]
    ([0.659, 0.242, 0.099], [0.659, 0.242, 0.099])
    """
    f = _finite_vector(logits, "logits", min_size=2)
    if isinstance(shift, bool) or not isinstance(shift, (int, float, np.integer, np.floating)) \
            or not math.isfinite(shift):
        raise ValueError(f"shift must be a finite number, got {shift!r}")
    c = float(shift)
    shifted = f + c
    o, o_shifted = act.softmax(f), act.softmax(shifted)
    difference = float(np.max(np.abs(o_shifted - o)))
    fig = new_figure(max(9.0, 0.5 * f.size + 6), 7.0)
    axes = fig.subplots(2, 2, sharey="row")
    columns = (("f", f, "softmax(f)", o), ("f + c", shifted, "softmax(f + c)", o_shifted))
    for col, (name, values, prob_name, probs) in enumerate(columns):
        _softmax_column(axes[0, col], axes[1, col], (name, values), (prob_name, probs),
                        f"logits {name}" + (f",  c = {c:g}" if col else ""))
    axes[0, 0].set_ylabel("logit")
    low, high = min(0.0, f.min(), shifted.min()), max(0.0, f.max(), shifted.max())
    span = high - low or 1.0
    axes[0, 0].set_ylim(low - (0.12 * span if low < 0 else 0), high + 0.1 * span)  # numbers fit
    axes[1, 0].set_ylabel("probability")
    axes[1, 0].set_ylim(0, 1.1 * max(o.max(), o_shifted.max()) + 0.02)
    fig.suptitle(f"Shift every logit by the same c = {c:g}: the probabilities do not change\n"
                 r"$\mathrm{softmax}(f + c)_k = \dfrac{e^{c}\, e^{f_k}}{\sum_j e^{c}\, e^{f_j}}"
                 r" = \mathrm{softmax}(f)_k$")
    note = fig.supxlabel(f"largest difference |softmax(f + c) − softmax(f)| = {difference:.2g}"
                         + ("  (rounding)" if difference else ""), fontsize=11)
    note.set_gid("difference")
    return fig


def _softmax_column(top, bottom, logits: tuple[str, np.ndarray], probs: tuple[str, np.ndarray],
                    title: str) -> None:
    """Logits as bars above, their softmax below; with 12 classes or fewer, the numbers."""
    (name, values), (prob_name, p_values) = logits, probs
    k = np.arange(values.size)
    top.bar(k, values, color="C0", gid=name)
    top.axhline(0, color="0.3", lw=0.8)
    top.set_title(title)
    bottom.bar(k, p_values, color="C1", gid=prob_name)
    bottom.set_title(prob_name + ": sums to 1")
    for ax in (top, bottom):
        ax.set_xticks(k)
        ax.set_xlabel("class k")
        ax.grid(axis="y", alpha=0.3)
    if values.size <= 12:  # the numbers on the bars
        for i, v, p in zip(k, values, p_values):
            top.text(i, v, f"{v:.3g}".replace("-", "−"), ha="center",
                     va="bottom" if v >= 0 else "top", fontsize=9)
            bottom.text(i, p, f"{p:.3f}", ha="center", va="bottom", fontsize=9)
