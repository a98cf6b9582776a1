"""Checkpoints: everything needed to continue a run exactly where it stopped.

A checkpoint is a :class:`steepest.training.TrainState` written as an
``.npz`` (no pickle, atomic, read without trusting it, like a model file;
see :mod:`steepest.modelfile`):

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

from .modelfile import layer_arrays, load_arrays, reading, save_arrays, short_repr
from .training import EpochRecord, TrainConfig, TrainState

#: The ``format`` a checkpoint's metadata names.
FORMAT = "steepest-checkpoint"


def save_checkpoint(path: str | os.PathLike, state: TrainState, extra: dict | None = None) -> None:
    """Write ``state`` to ``path`` atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file (an ``.npz``); one already there is replaced only
        once the new one is complete.
    state : TrainState
        The run: weights, optimizer state, random generator, history and the
        early-stopping bookkeeping.
    extra : dict or None, default None
        Anything else JSON can hold that resuming needs (the CLI's output
        path), given back by :func:`load_checkpoint`.
    """
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
        "sizes": list(state.network.sizes),  # inputs and classes: the data's, not the config's
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

    The network's input and output sizes come from the checkpoint; ``n_in`` and
    ``n_out`` are for checkpoints written before it recorded them (MNIST's).

    Every array is checked against the architecture the config describes
    before the network is built, so a damaged config cannot make steepest
    allocate more than the file holds.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file.
    n_in : int, default 784
        Inputs per example, for a checkpoint that does not record its sizes.
    n_out : int, default 10
        Classes, for a checkpoint that does not record its sizes.

    Returns
    -------
    state : TrainState
        The run as it was saved: training continues from its next epoch and
        ends with the same bits as a run that never stopped.
    extra : dict
        The ``extra`` it was saved with (``{}`` if none).

    Raises
    ------
    ModelFileError
        For a missing, damaged or foreign file, or arrays that do not fit the
        architecture its config describes.
    """
    meta, arrays = load_arrays(path, FORMAT)
    with reading(str(path), "damaged checkpoint"):
        config = TrainConfig.from_dict(meta["config"])
        extra = meta.get("extra", {})
        if not isinstance(extra, dict):
            raise ValueError("extra is not a JSON object")
    with reading(str(path), "checkpoint does not fit its settings"):
        sizes, weights, best = _fitting_arrays(meta, arrays, config, n_in, n_out)
    with reading(str(path), "damaged checkpoint"):
        state = _restored(meta, arrays, TrainState.new(config, sizes[0], sizes[-1]), weights,
                          best)
    return state, extra


def _fitting_arrays(meta: dict, arrays: dict, config: TrainConfig, n_in: int, n_out: int):
    """The layer sizes, the weights and the best weights (None if not kept), each checked
    against the architecture the config describes before anything is built."""
    if "sizes" in meta:
        n_in, n_out = _recorded_ends(meta["sizes"], config.hidden)
    sizes = (n_in, *config.hidden, n_out)
    weights = layer_arrays(arrays, sizes, np.dtype(np.float32))
    best = None
    if meta["best_score"] is not None:
        saved = {name: arrays[f"best.{i}"] for i, name in enumerate(_layer_names(sizes))}
        best = layer_arrays(saved, sizes, np.dtype(np.float32))
    return sizes, weights, best


def _restored(meta: dict, arrays: dict, state: TrainState, weights, best) -> TrainState:
    """``state`` with the saved weights, optimizer, random generator and progress."""
    state.network.set_weights(weights)
    saved = {k.removeprefix("opt."): a for k, a in arrays.items() if k.startswith("opt.")}
    for name, a in saved.items():
        if a.dtype.kind not in ("iu" if name == "steps" else "f"):
            raise ValueError(f"optimizer state {name} holds {a.dtype}")
    with np.errstate(over="ignore", invalid="ignore"):  # float64 -> 32: checked below
        state.optimizer.load_state_dict(saved)
    for name, a in state.optimizer.state_dict().items():
        if not np.all(np.isfinite(a)):
            raise ValueError(f"optimizer state {name} is not finite")
    state.optimizer.learning_rate = _number(meta["optimizer"]["learning_rate"])
    state.rng.bit_generator.state = meta["rng"]
    state.epoch = _count(meta["epoch"], "epoch")
    state.history = [_record(d) for d in meta["history"]]
    if best is not None:
        state.best_score = _number(meta["best_score"])
        state.best_weights = best
    state.best_epoch = _count(meta["best_epoch"], "best_epoch")
    state.stale_epochs = _count(meta["stale_epochs"], "stale_epochs")
    if not isinstance(meta["stopped_early"], bool):
        raise ValueError("stopped_early must be true or false, "
                         f"not {short_repr(meta['stopped_early'])}")
    state.stopped_early = meta["stopped_early"]
    return state


def _recorded_ends(sizes, hidden: tuple[int, ...]) -> tuple[int, int]:
    """``(n_in, n_out)`` of recorded ``sizes``, which must agree with the config's ``hidden``."""
    if (not isinstance(sizes, list) or len(sizes) != len(hidden) + 2
            or any(type(n) is not int or n < 1 for n in sizes)
            or tuple(sizes[1:-1]) != hidden):
        raise ValueError(f"sizes {short_repr(sizes)} do not fit hidden {list(hidden)}")
    return sizes[0], sizes[-1]


def _layer_names(sizes: tuple[int, ...]) -> list[str]:
    """``W0, b0, W1, b1, ...``: what ``best.0, best.1, ...`` hold in a checkpoint."""
    return [f"{p}{i}" for i in range(len(sizes) - 1) for p in "Wb"]


def _count(value, what: str) -> int:
    if type(value) is not int or value < 0:
        raise ValueError(f"{what} must be a count, not {short_repr(value)}")
    return value


def _number(value) -> float:
    if type(value) not in (int, float) or not np.isfinite(value) or value < 0:
        raise ValueError(f"expected a finite number >= 0, got {short_repr(value)}")
    return float(value)


def _record(d: dict) -> EpochRecord:
    """An epoch of the history, its core fields checked (they are printed and plotted)."""
    record = EpochRecord.from_dict(d)
    _count(record.epoch, "epoch")
    _number(record.train_loss)
    _number(record.seconds)
    if record.test_accuracy is not None:
        _number(record.test_accuracy)
    return record
