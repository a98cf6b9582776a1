""":meth:`SteepestClassifier.save` and :meth:`~SteepestClassifier.load`: steepest's ``.npz``.

The file is steepest's model file (:mod:`steepest.modelfile`: weights and a
JSON document, never a pickle).  Its JSON ``info`` holds what ``steepest
train`` writes -- the run's ``config``, ``seed`` and per-epoch ``history`` --
and, under ``"sklearn"``, the estimator's own parameters (``get_params()``,
which may differ from the run's config: a warm start trains ``epochs`` more,
``partial_fit`` one), its labels, feature names and validation score.
"""

from __future__ import annotations

import json

import numpy as np

from .. import __version__
from ..config import TrainConfig, is_int
from ..modelfile import ModelFileError, load_model, save_model
from ..training import EpochRecord, TrainState, build_optimizer
from .fitting import CONFIG_PARAMS, fitted, set_fitted
from .labels import labels_from_json, labels_to_json


def save(clf, path) -> None:
    """Write the fitted ``clf`` to ``path`` (see :meth:`SteepestClassifier.save`).

    Parameters
    ----------
    clf : SteepestClassifier
        A fitted estimator.
    path : str or os.PathLike
        The ``.npz`` model file to write.

    Raises
    ------
    ValueError
        A parameter or label that JSON cannot hold, before anything is written.
    OSError
        The file cannot be written; the message names ``path``.
    """
    state = clf._state
    names = getattr(clf, "feature_names_in_", None)
    info = {
        "config": state.config.to_dict(), "seed": state.config.seed, "version": __version__,
        "history": [r.to_dict() for r in state.history],
        "sklearn": {"params": params_to_json(clf.get_params(), state.config.seed),
                    "classes": labels_to_json(clf.classes_),
                    "feature_names": None if names is None else [str(n) for n in names],
                    "best_validation_score": clf.best_validation_score_},
    }
    save_model(path, clf.network_, info)


def params_to_json(params: dict, seed: int) -> dict:
    """``get_params()`` as JSON values; ValueError naming a parameter JSON cannot hold.

    A ``random_state`` that is a Generator (or RandomState) is saved as the seed
    it gave this fit: the file can hold a number, not a generator.

    Parameters
    ----------
    params : dict
        The estimator's ``get_params()``.
    seed : int
        The seed of the fit, saved in place of a generator.

    Returns
    -------
    dict
        The same names; NumPy scalars as Python numbers, tuples as lists.

    Raises
    ------
    ValueError
        Naming the first parameter JSON cannot hold.

    Examples
    --------
    >>> params_to_json({"hidden": (np.int64(8),), "random_state": np.random.default_rng()}, 7)
    {'hidden': [8], 'random_state': 7}
    """
    out = {}
    for name, value in params.items():
        if name == "random_state" and not (value is None or is_int(value)):
            value = seed
        value = [_plain(v) for v in value] if isinstance(value, (tuple, list)) else _plain(value)
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            raise ValueError(f"cannot save {name}={value!r} in a model file: its JSON holds "
                             "numbers, strings, booleans, None and lists of them") from None
        out[name] = value
    return out


def load(estimator_class: type, path):
    """A fitted ``estimator_class`` from ``path`` (see :meth:`SteepestClassifier.load`).

    Parameters
    ----------
    estimator_class : type
        :class:`SteepestClassifier` (or a subclass).
    path : str or os.PathLike
        A model file from :meth:`SteepestClassifier.save` or ``steepest train``.

    Returns
    -------
    SteepestClassifier
        The fitted estimator.

    Raises
    ------
    ModelFileError
        A missing, damaged or foreign file, or one that does not describe a
        classifier; one line naming it.
    """
    network, info = load_model(path)  # allow_pickle=False
    sk = info.get("sklearn") if isinstance(info.get("sklearn"), dict) else {}
    try:
        config = TrainConfig.from_dict(info.get("config") or {})
        saved = sk.get("params") or {}
        if not isinstance(saved, dict):
            raise ValueError("params must be a JSON object")
        params = {k: getattr(config, k) for k in CONFIG_PARAMS}  # steepest train's file: these
        params.update({"random_state": config.seed, **saved})
        if isinstance(params["hidden"], list):
            params["hidden"] = tuple(params["hidden"])
        clf = estimator_class(**params)
        k = network.sizes[-1]
        classes = labels_from_json(sk["classes"]) if "classes" in sk else np.arange(k)
        if len(classes) != k:
            raise ValueError(f"{len(classes)} class labels for {k} output units")
        names = sk.get("feature_names")
        if names is not None and len(names) != network.sizes[0]:
            raise ValueError(f"{len(names)} feature names for {network.sizes[0]} inputs")
        history = [EpochRecord.from_dict(r) for r in info.get("history") or []]
        state = loaded_state(clf, config, network, history)
    except (TypeError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{path}: not a classifier's model file ({exc})") from None
    set_fitted(clf, fitted(classes, state, sk.get("best_validation_score"),
                           None if names is None else np.asarray(names, dtype=object)))
    return clf


def loaded_state(clf, config: TrainConfig, network, history: list) -> TrainState:
    """A run's state around a loaded network, for ``warm_start`` and ``partial_fit``.

    A model file holds no optimizer: a loaded model continues with fresh
    velocities / moments, and shuffles with a generator seeded from the file's
    seed and epoch count.  The architecture is the network's own (the file's
    parameters may name another ``hidden``, set after fitting: a warm start
    then refuses it, as the saved estimator would have).

    Parameters
    ----------
    clf : SteepestClassifier
        The estimator built from the file's parameters.
    config : TrainConfig
        The run's config recorded in the file (its seed is kept).
    network : Network
        The loaded network.
    history : list of EpochRecord
        The epochs trained so far.

    Returns
    -------
    TrainState
        At epoch ``len(history)``, with a fresh optimizer.
    """
    settings = {k: getattr(clf, k) for k in CONFIG_PARAMS}
    hidden = tuple(network.sizes[1:-1])
    settings.update(hidden=hidden, seed=config.seed, epochs=max(len(history), 1), patience=0)
    if hidden:
        settings["activation"] = network.activations[0]
    run_config = TrainConfig(**settings)
    return TrainState(run_config, network, build_optimizer(run_config, network),
                      np.random.default_rng([run_config.seed, len(history)]),
                      epoch=len(history), history=history)


def _plain(value):
    """A NumPy scalar as the Python one (``np.int64(3)`` -> ``3``); anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value

