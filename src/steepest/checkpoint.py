"""Checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is a :class:`steepest.training.TrainState` written as an
``.npz`` (no pickle, atomic, like a model file; see :mod:`steepest.modelfile`):

* arrays ``W0, b0, ...`` (the weights), ``opt.<name>`` (the optimizer's
  velocities or moments), ``best.W0, ...`` (the best validation weights);
* JSON metadata: the config, epochs completed, the random generator's exact
  state, the history, the early-stopping bookkeeping and ``extra`` (e.g. the
  CLI's output path).

The learning-rate schedule needs no state: it is a function of the global
step, which follows from the epoch.  Augmentation needs none either: epoch
``e``'s distortions depend only on ``(seed, e)``.  So a run resumed from a
checkpoint makes the same floating-point operations in the same order as one
that never stopped, and ends with the same bits.
"""

from __future__ import annotations

import os

import numpy as np

from .modelfile import ModelFileError, load_arrays, save_arrays
from .training import EpochRecord, TrainConfig, TrainState

FORMAT = "steepest-checkpoint"


def save_checkpoint(path: str | os.PathLike, state: TrainState, extra: dict | None = None) -> None:
    """Write ``state`` to ``path`` atomically."""
    arrays: dict[str, np.ndarray] = {}
    for i, layer in enumerate(state.network.layers):
        arrays[f"W{i}"], arrays[f"b{i}"] = layer.W.value, layer.b.value
    for k, a in state.optimizer.state_dict().items():
        arrays[f"opt.{k}"] = a
    if state.best_weights is not None:
        for i, a in enumerate(state.best_weights):
            arrays[f"best.{i}"] = a
    meta = {
        "format": FORMAT,
        "version": 1,
        "config": state.config.to_dict(),
        "epoch": state.epoch,
        "rng": state.rng.bit_generator.state,
        "optimizer": {"name": state.config.optimizer,
                      "learning_rate": state.optimizer.learning_rate},
        "history": [r.to_dict() for r in state.history],
        "best_score": None if state.best_weights is None else state.best_score,
        "best_epoch": state.best_epoch,
        "stale_epochs": state.stale_epochs,
        "stopped_early": state.stopped_early,
        "extra": extra or {},
    }
    save_arrays(path, arrays, meta)


def load_checkpoint(path: str | os.PathLike, n_in: int = 784, n_out: int = 10):
    """Read a checkpoint written by :func:`save_checkpoint`.

    Returns:
        ``(state, extra)``.

    Raises:
        ModelFileError: for a missing, damaged or foreign file, or arrays that
            do not fit the architecture its config describes.
    """
    meta, arrays = load_arrays(path, FORMAT)
    try:
        config = TrainConfig.from_dict(meta["config"])
        state = TrainState.new(config, n_in, n_out)
        weights = []
        for i in range(len(state.network.layers)):
            weights += [arrays[f"W{i}"], arrays[f"b{i}"]]
        state.network.set_weights(weights)
        state.optimizer.load_state_dict(
            {k.removeprefix("opt."): a for k, a in arrays.items() if k.startswith("opt.")}
        )
        state.optimizer.learning_rate = float(meta["optimizer"]["learning_rate"])
        state.rng.bit_generator.state = meta["rng"]
        state.epoch = int(meta["epoch"])
        state.history = [EpochRecord.from_dict(d) for d in meta["history"]]
        if meta["best_score"] is not None:
            state.best_score = float(meta["best_score"])
            state.best_weights = [arrays[f"best.{i}"] for i in range(len(weights))]
        state.best_epoch = int(meta["best_epoch"])
        state.stale_epochs = int(meta["stale_epochs"])
        state.stopped_early = bool(meta["stopped_early"])
    except KeyError as exc:
        raise ModelFileError(f"{path}: damaged checkpoint (missing {exc.args[0]})") from None
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: checkpoint does not fit its settings ({exc})") from None
    return state, meta.get("extra", {})
