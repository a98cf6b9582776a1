"""A sweep's results: validation accuracy against each searched parameter, and its history.

Drawn from the files ``steepest sweep`` writes (``DIR/sweep.json`` and
``DIR/trials.csv``), so it needs neither Optuna nor the database.  With the
learning rate on a log axis, many runs show at once what the lecture's
learning rate λ does: too small a λ crawls, a good one converges, too large a
one blows up (diverged trials are drawn at 0).
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .figure import _drawing, new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: How each kind of trial is drawn (each series carries gid = its key).
KINDS = {
    "complete": dict(marker="o", color="C0", ls="none", ms=6, label="complete"),
    "pruned": dict(marker="o", mfc="none", color="0.55", ls="none", ms=6, label="pruned"),
    "diverged": dict(marker="x", color="C3", ls="none", ms=7, mew=2, label="diverged (0)"),
    "best": dict(marker="*", color="C1", ls="none", ms=16, label="best"),
}


def load_sweep(directory: str | os.PathLike) -> tuple[list[dict], dict]:
    """The trials (rows of ``trials.csv``, typed) and ``sweep.json`` of a sweep directory.

    Parameters
    ----------
    directory : str or os.PathLike
        A folder written by ``steepest sweep`` (it holds ``sweep.json`` and ``trials.csv``).

    Returns
    -------
    rows : list of dict
        One dict per trial, its values parsed to numbers, ``None`` where a trial has no value.
    summary : dict
        ``sweep.json``: the space, the study, the best trial and its test accuracy.

    Raises
    ------
    ValueError
        one line naming the file and what is wrong.
    """
    directory = Path(directory)
    summary_path, table_path = directory / "sweep.json", directory / "trials.csv"
    if not directory.is_dir():
        raise ValueError(f"{directory}: no such directory (expected a `steepest sweep` output)")
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        search = summary["space"]["search"]
        names = [p["name"] for p in search]
    except FileNotFoundError:
        raise ValueError(f"{summary_path}: no such file; is {directory} a sweep's "
                         f"directory?") from None
    except (ValueError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise ValueError(f"{summary_path}: not a sweep summary ({exc!r})") from None
    try:
        with open(table_path, encoding="utf-8", newline="") as fh:
            raw = list(csv.DictReader(fh))
    except FileNotFoundError:
        raise ValueError(f"{table_path}: no such file") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ValueError(f"{table_path}: not a CSV file ({exc})") from None
    rows = []
    for i, row in enumerate(raw, start=2):  # line 1 is the header
        missing = [k for k in ("trial", "state", "validation_accuracy", *names) if k not in row]
        if missing:
            raise ValueError(f"{table_path}: no column {missing[0]!r}")
        try:
            rows.append({"trial": int(row["trial"]), "state": row["state"],
                         "value": _number(row["validation_accuracy"]),
                         "diverged": row.get("diverged_epoch") not in (None, ""),
                         "retry_of": row.get("retry_of") or None,
                         "params": {n: _parse(row[n], p) for n, p in zip(names, search)}})
        except ValueError as exc:
            raise ValueError(f"{table_path}, line {i}: {exc}") from None
    return rows, summary


def _number(text: str) -> float | None:
    if text == "":
        return None
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def _parse(text: str, param: dict) -> Any:
    if text == "":
        return None
    if param["kind"] == "categorical":
        return text  # drawn by its position in the choices, compared as text
    return _number(text)


def _kind(row: dict) -> str:
    if row["state"] == "PRUNED":
        return "pruned"
    return "diverged" if row["diverged"] else "complete"


@_drawing
def sweep_figure(rows: list[dict], summary: dict) -> Figure:
    """One panel per searched parameter (validation accuracy against it), then the history.

    Complete trials are filled dots, pruned ones hollow (at the last accuracy
    they reported), diverged ones red crosses at 0, the best a star; failed
    trials have no value and are only counted.  Log-scaled parameters get a
    log axis; a list of values is drawn by position, labelled with the values.

    Parameters
    ----------
    rows : list of dict
        The trials, as :func:`load_sweep` returns them.
    summary : dict
        The sweep's ``sweep.json``, as :func:`load_sweep` returns it.

    Returns
    -------
    matplotlib.figure.Figure
        The panels, one per searched parameter, and the history last.
    """
    search = summary["space"]["search"]
    scored = [r for r in rows if r["value"] is not None]
    best = max((r for r in scored if _kind(r) == "complete"), default=None,
               key=lambda r: (r["value"], -r["trial"]))
    n = len(search) + 1
    cols = min(n, 3)
    fig = new_figure(4.6 * cols, 3.9 * math.ceil(n / cols))
    axes = np.atleast_1d(fig.subplots(math.ceil(n / cols), cols)).ravel()
    for ax, param in zip(axes, search):
        _param_panel(ax, param, scored, best)
    _history_panel(axes[len(search)], scored, best)
    for ax in axes[n:]:
        ax.set_visible(False)
    retried = {int(r["retry_of"]) for r in rows if r["retry_of"]}
    failed = sum(1 for r in rows if r["state"] == "FAIL" and r["trial"] not in retried)
    title = f"Sweep {summary.get('study', '')}: {len(scored)} scored trials"
    if failed:
        title += f", {failed} failed"
    if retried:
        title += f", {len(retried)} interrupted and run again"
    if best is not None:
        title += f"; best validation accuracy {100 * best['value']:.2f}% (trial {best['trial']})"
    fig.suptitle(title)
    return fig


def _param_panel(ax, param: dict, rows: list[dict], best: dict | None) -> None:
    name = param["name"]
    choices = [str(c) for c in param.get("choices", [])]

    def x_of(row: dict) -> float:
        value = row["params"][name]
        return choices.index(value) if choices else value

    for kind, style in KINDS.items():
        group = [best] if kind == "best" else [r for r in rows if _kind(r) == kind]
        group = [r for r in group if r is not None and r["params"][name] is not None
                 and (not choices or r["params"][name] in choices)]
        if group:
            ax.plot([x_of(r) for r in group], [100 * r["value"] for r in group], gid=kind,
                    **style)
    if choices:
        ax.set_xticks(range(len(choices)), choices)
        ax.set_xlim(-0.5, len(choices) - 0.5)
    elif param.get("log"):
        ax.set_xscale("log")
    label = "λ (learning rate)" if name == "learning_rate" else name
    ax.set_xlabel(label + (", log scale" if param.get("log") else ""))
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title(f"accuracy against {name}")
    ax.grid(alpha=0.3)


def _history_panel(ax, rows: list[dict], best: dict | None) -> None:
    order = sorted(rows, key=lambda r: r["trial"])
    for kind, style in KINDS.items():
        group = [best] if kind == "best" else [r for r in order if _kind(r) == kind]
        group = [r for r in group if r is not None]
        if group:
            ax.plot([r["trial"] for r in group], [100 * r["value"] for r in group], gid=kind,
                    **style)
    complete = [r for r in order if _kind(r) != "pruned"]
    if complete:  # pruned trials' values are partial: they do not count as results
        running = np.maximum.accumulate([r["value"] for r in complete])
        trials = [r["trial"] for r in complete] + [order[-1]["trial"]]
        ax.step(trials, 100 * np.append(running, running[-1]), where="post", color="C1",
                lw=2, gid="running_best", label="best so far")
    ax.set_xlabel("trial number")
    ax.set_ylabel("validation accuracy (%)")
    ax.set_title("optimisation history")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(frameon=False, fontsize=9)
