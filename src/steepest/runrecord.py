"""What a run records beside its weights, so that anyone can tell how it was made and redo it.

``steepest train``, ``steepest ladder`` and ``steepest sweep`` all write the
same record: the config, the seed, the package version, where the data came
from and the SHA-256 of every data array (:func:`run_meta`); the scores
(:func:`result_summary`); and ``history.json``, one entry per epoch
(:func:`write_history`).  ``steepest train --config model.npz`` reads the
config back and reruns the run bit for bit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from . import __version__
from .modelfile import atomic_write_bytes


def run_meta(config, data_dir: str | None, checksums: dict[str, str]) -> dict:
    """What a model file and history.json record so that the run can be reproduced."""
    return {"config": config.to_dict(), "seed": config.seed, "version": __version__,
            "data": str(data_dir or "bundled MNIST"), "data_sha256": checksums}


def result_summary(result, epochs_run: int) -> dict:
    """A :class:`steepest.training.RunResult`'s scores, for the model file.

    A run whose last loss was far above chance also records the ``warning``
    the CLI printed (:func:`steepest.training.loss_warning`).
    """
    summary = {"test_accuracy": result.test_accuracy,
               "validation_accuracy": result.validation_accuracy,
               "best_epoch": result.best_epoch, "stopped_early": result.stopped_early,
               "epochs_run": epochs_run}
    if getattr(result, "warning", None):
        summary["warning"] = result.warning
    return summary


def data_checksums(data) -> dict[str, str]:
    """SHA-256 of each array's bytes: which data a model was trained and tested on.

    >>> data = ((np.zeros((2, 3), np.uint8), np.zeros(2, np.uint8)),) * 2
    >>> data_checksums(data)["y_test"][:16]
    '96a296d224f285c6'
    """
    (x, y), (xt, yt) = data
    arrays = {"x_train": x, "y_train": y, "x_test": xt, "y_test": yt}
    return {k: hashlib.sha256(np.ascontiguousarray(a).data).hexdigest() for k, a in arrays.items()}


def write_history(path: str | Path, records: list[dict], meta: dict) -> None:
    """Write ``history.json``: ``{"meta": ..., "epochs": [...]}``, atomically.

    Strict JSON: training raises before a NaN or an infinity could be recorded,
    and ``allow_nan=False`` makes sure no such value slips through.
    """
    doc = {"meta": meta, "epochs": records}
    atomic_write_bytes(path, (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode())
