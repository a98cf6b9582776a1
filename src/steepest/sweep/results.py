"""What a sweep writes into its directory, on the machine that runs ``steepest sweep``.

=====================  ========================================================
``sweep.db``           the Optuna study (SQLite; unless ``--storage`` names another)
``sweep.json``         the space, the study, the best trial and its test accuracy
``trials.csv``         one row per trial, best validation accuracy first
``trials/NNNN.json``   each finished trial's history, as ``steepest train`` writes one
``best.npz``           the best trial's model: ``steepest train --config best.npz``
                       reruns it, ``steepest evaluate best.npz`` scores it
``history.json``       the best trial's history (``steepest plot history``)
=====================  ========================================================

Models come back from the workers with their results; only the best one is
kept (a sweep of 800-800 networks would otherwise keep 5 MB per trial).
Every file is written atomically and rewritten as trials finish, so an
interrupted sweep leaves consistent files.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from .. import __version__
from ..modelfile import atomic_write_bytes, load_model, save_model
from ..runrecord import result_summary, run_meta, write_history
from ..training import build_network

BEST_MODEL, BEST_HISTORY, TABLE, SUMMARY = "best.npz", "history.json", "trials.csv", "sweep.json"
#: trials.csv's columns around the searched parameters.
LEAD = ("trial", "state", "validation_accuracy")
TAIL = ("epochs", "best_epoch", "diverged_epoch", "train_seconds", "restarts", "worker",
        "retry_of", "error")


@dataclass
class SweepData:
    """The data a sweep runs on: training images go to the workers, the test set stays here.

    Parameters
    ----------
    x_train, y_train : numpy.ndarray
        The training images ``(N, 28, 28)`` and labels ``(N,)``; each trial holds
        its validation images out of them.
    x_test, y_test : numpy.ndarray
        The test images and labels, scored once, for the best trial.
    label : str or None
        The ``--data`` directory, or None for the bundled MNIST.
    checksums : dict of str to str
        SHA-256 of each array (:func:`steepest.runrecord.data_checksums`).
    n_classes : int
        Classes of the labels.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    label: str | None
    checksums: dict[str, str]
    n_classes: int

    @property
    def n_in(self) -> int:
        """Inputs per image: 784 for MNIST's 28 x 28."""
        return int(np.prod(self.x_train.shape[1:]))


class SweepFiles:
    """Writes a sweep's directory (see the module docstring).

    Parameters
    ----------
    directory : str or pathlib.Path
        The sweep's directory; it and its ``trials/`` are made if missing.
    space : Space
        The search space (its keys are ``trials.csv``'s columns).
    data : SweepData
        The data the sweep runs on.
    """

    def __init__(self, directory: str | Path, space, data: SweepData) -> None:
        self.dir, self.space, self.data = Path(directory), space, data
        (self.dir / "trials").mkdir(parents=True, exist_ok=True)

    def trial_meta(self, config, number: int, params: dict, outcome) -> dict:
        """A trial's record: what ``steepest train`` records, plus where it came from.

        Parameters
        ----------
        config : TrainConfig
            The trial's settings.
        number : int
            Optuna's trial number.
        params : dict
            Its searched values, as Optuna stores them.
        outcome : TrialOutcome
            What the worker returned.

        Returns
        -------
        dict
            :func:`steepest.runrecord.run_meta` with its ``result`` (``pruned``
            and ``diverged_epoch`` added) and a ``sweep`` entry: ``trial``,
            ``params``, ``worker``.
        """
        run = SimpleNamespace(test_accuracy=None, validation_accuracy=outcome.value,
                              best_epoch=outcome.best_epoch, stopped_early=outcome.stopped_early)
        meta = run_meta(config, self.data.label, self.data.checksums)
        meta["result"] = result_summary(run, outcome.epochs_run)
        meta["result"].update(pruned=outcome.pruned, diverged_epoch=outcome.diverged_epoch)
        meta["sweep"] = {"trial": number, "params": params, "worker": outcome.worker}
        return meta

    def write_trial(self, number: int, history: list[dict], meta: dict) -> Path:
        """Write ``trials/NNNN.json``: a finished trial's history, as ``steepest train`` does.

        Parameters
        ----------
        number : int
            Optuna's trial number.
        history : list of dict
            One record per epoch.
        meta : dict
            The trial's record (:meth:`trial_meta`).

        Returns
        -------
        pathlib.Path
            The file written.
        """
        path = self.dir / "trials" / f"{number:04d}.json"
        write_history(path, history, meta)
        return path

    def write_best(self, config, weights: list[np.ndarray], history: list[dict],
                   meta: dict) -> None:
        """Write the best trial's model file and history.json, as ``steepest train`` does.

        Parameters
        ----------
        config : TrainConfig
            The trial's settings (the network's shape).
        weights : list of numpy.ndarray
            Its trained weights.
        history : list of dict
            One record per epoch.
        meta : dict
            The trial's record (:meth:`trial_meta`).
        """
        network = build_network(config, self.data.n_in, self.data.n_classes,
                                np.random.default_rng(0))
        network.set_weights(weights)
        save_model(self.dir / BEST_MODEL, network, {**meta, "history": history})
        write_history(self.dir / BEST_HISTORY, history, meta)

    def best_trial_number(self) -> int | None:
        """The trial whose model ``best.npz`` holds.

        Returns
        -------
        int or None
            Its number, or None if there is no ``best.npz`` yet.
        """
        path = self.dir / BEST_MODEL
        if not path.exists():
            return None
        _, info = load_model(path)
        return info.get("sweep", {}).get("trial")

    def score_best(self) -> float:
        """Score ``best.npz`` on the test set -- once, at the end -- and record it in its files.

        Returns
        -------
        float
            The test accuracy, in [0, 1]; also written into ``best.npz`` and
            ``history.json``.
        """
        network, info = load_model(self.dir / BEST_MODEL)
        accuracy = network.accuracy(self.data.x_test, self.data.y_test)
        info["result"]["test_accuracy"] = accuracy
        save_model(self.dir / BEST_MODEL, network, info)
        history = info.pop("history")
        write_history(self.dir / BEST_HISTORY, history, info)
        return accuracy

    def write_table(self, trials) -> Path:
        """Write ``trials.csv``: best validation accuracy first, unfinished trials last.

        Parameters
        ----------
        trials : list of optuna.trial.FrozenTrial
            The study's trials.

        Returns
        -------
        pathlib.Path
            The file written (atomically).
        """
        names = [p.name for p in self.space.params]
        rows = []
        for t in trials:
            a = t.user_attrs
            rows.append({"trial": t.number, "state": t.state.name,
                         "validation_accuracy": t.value,
                         **{n: t.params.get(n) for n in names},
                         **{k: a.get(k) for k in TAIL}})
        rows.sort(key=lambda r: (r["validation_accuracy"] is None,
                                 -(r["validation_accuracy"] or 0.0), r["trial"]))
        buf = io.StringIO()
        writer = csv.DictWriter(buf, [*LEAD, *names, *TAIL], lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        path = self.dir / TABLE
        atomic_write_bytes(path, buf.getvalue().encode())
        return path

    def write_summary(self, study_name: str, storage: str, target: int, finished: int,
                      best: dict | None) -> Path:
        """Write ``sweep.json``: what was searched, where the study lives, and the best trial.

        Parameters
        ----------
        study_name : str
            The study's name.
        storage : str
            The storage's URL.
        target : int
            Finished trials the study should have.
        finished : int
            Finished trials it has.
        best : dict or None
            The best trial's summary (:func:`~steepest.sweep.driver.conclude`),
            or None before the end.

        Returns
        -------
        pathlib.Path
            The file written (atomically).
        """
        doc = {"study": study_name, "storage": storage, "space_file": self.space.source,
               "description": self.space.description, "sampler": self.space.sampler,
               "space": self.space.describe(), "trials": target, "finished": finished,
               "best": best, "data": self.data.label or "bundled MNIST",
               "data_sha256": self.data.checksums, "version": __version__}
        path = self.dir / SUMMARY
        atomic_write_bytes(path, (json.dumps(doc, indent=1, allow_nan=False) + "\n").encode())
        return path
