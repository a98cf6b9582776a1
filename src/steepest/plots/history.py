"""A training run's history: loss and accuracy per epoch."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .figure import _drawing, new_figure

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.figure import Figure



# ---------------------------------------------------------------------------
# (c) A training run's history.json.

#: The keys an epoch record must have, and the optional numeric ones.
HISTORY_REQUIRED = ("epoch", "train_loss")
#: The optional curves: each key -> (the panel it is drawn in, its label).
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

    Raises
    ------
    ValueError
        one line naming ``source`` and what is wrong.
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

    Raises
    ------
    ValueError
        for a missing file, bad JSON or a wrong shape, in one line.
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

    Parameters
    ----------
    records : Sequence[Mapping] or Mapping
        epoch records (dicts with ``epoch``, ``train_loss``,
        ``test_accuracy``, optionally ``val_loss``, ``val_accuracy``,
        ``train_accuracy``, ``learning_rate``), or a whole history document.
    meta : Mapping or None
        the run's meta (its ``config`` goes into the title).

    Returns
    -------
    Figure
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
    marker = "o" if len(records) <= 40 else None
    best_text = _draw_curves(loss_ax, acc_ax, records, epochs, marker)
    if not lines_with_gid(acc_ax, "test_accuracy"):
        _draw_final_test_accuracy(acc_ax, meta, epochs)
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
    if show_rates:  # after the legends above: this panel has none
        axes[2].plot(epochs, rates, marker=marker, ms=4, lw=2, color="C2", gid="learning_rate")
        axes[2].set_ylabel("λ")
        axes[2].set_title("Learning rate per epoch")
        axes[2].set_ylim(bottom=0)
    run = _describe_run(meta)
    fig.suptitle("Training run" + (f": {run}" if run else ""))
    return fig


def _draw_final_test_accuracy(ax, meta: Mapping, epochs: np.ndarray) -> None:
    """A star at the test accuracy a run with a validation split scored once, at the end."""
    final = _final_test_accuracy(meta)
    if final is not None:
        acc, epoch = final
        at = epoch if epoch is not None else epochs[-1]
        ax.plot([at], [100 * acc], "*", color="C3", ms=15, zorder=4,
                gid="final_test_accuracy", label=f"test, final model: {100 * acc:.2f}%")


def _draw_curves(loss_ax, acc_ax, records: list[dict], epochs: np.ndarray,
                 marker: str | None) -> str:
    """Each recorded curve of :data:`HISTORY_CURVES` on its panel; returns the title line
    naming the best validation (or, if recorded, test) accuracy, or ``""``."""
    style = {"train": dict(color="C0"), "validation": dict(color="C1", ls="--"),
             "test": dict(color="C3")}
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
    return best_text


def lines_with_gid(ax, gid: str) -> list:
    """The lines of ``ax`` whose ``gid`` is ``gid`` (how tests and callers find a curve)."""
    return [line for line in ax.lines if line.get_gid() == gid]
