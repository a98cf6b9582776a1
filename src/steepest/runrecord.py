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
    """What a model file and history.json record so that the run can be reproduced.

    Parameters
    ----------
    config : TrainConfig
        The run's settings.
    data_dir : str or None
        Where the data came from; None for the bundled MNIST.
    checksums : dict of str to str
        The SHA-256 of each data array, from :func:`data_checksums`.

    Returns
    -------
    dict
        ``config`` (as a dict), ``seed``, ``version`` (steepest's), ``data`` and
        ``data_sha256``: JSON values.
    """
    return {"config": config.to_dict(), "seed": config.seed, "version": __version__,
            "data": str(data_dir or "bundled MNIST"), "data_sha256": checksums}


def result_summary(result, epochs_run: int) -> dict:
    """A :class:`steepest.training.RunResult`'s scores, for the model file.

    A run whose last loss was far above chance also records the ``warning``
    the CLI printed (:func:`steepest.training.loss_warning`).

    Parameters
    ----------
    result : RunResult
        What :func:`steepest.training.run` returned.
    epochs_run : int
        Epochs trained in all (fewer than the config's when stopped early).

    Returns
    -------
    dict
        ``test_accuracy``, ``validation_accuracy``, ``best_epoch``,
        ``stopped_early``, ``epochs_run`` and, if there is one, ``warning``.
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

    Parameters
    ----------
    data : tuple
        ``((x_train, y_train), (x_test, y_test))``, as
        :func:`steepest.datasets.mnist.load_data` returns them.

    Returns
    -------
    dict of str to str
        The hex digest of each array's bytes (in C order), under
        ``x_train``, ``y_train``, ``x_test`` and ``y_test``.

    Examples
    --------
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

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write (replaced only once the new one is complete).
    records : list of dict
        One entry per epoch (:meth:`EpochRecord.to_dict`).
    meta : dict
        What :func:`run_meta` returns.
    """
    doc = {"meta": meta, "epochs": records}
    atomic_write_bytes(path, (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode())
