"""The pieces of :meth:`SteepestClassifier.fit` that are not scikit-learn's plumbing.

Each turns a scikit-learn convention into what :func:`steepest.training.run`
takes: ``random_state`` into a seed, ``validation_fraction`` into rows held
out at the end, a warm start into a :class:`~steepest.training.TrainState`
ready for more epochs -- and keeps a failed fit from changing the fitted attributes.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.model_selection import train_test_split

from ..config import TrainConfig, is_int
from ..training import EpochRecord, TrainState, build_optimizer
from .inputs import check_classes

#: TrainConfig's fields that are also the estimator's parameters (all but seed and validation).
CONFIG_PARAMS = tuple(k for k in TrainConfig.keys() if k not in ("seed", "validation"))
#: ``default_rng([seed, SPLIT_STREAM])`` draws the validation split: a stream of its own,
#: so holding rows out does not change the initial weights or the shuffling.
SPLIT_STREAM = 1


def check_params(clf) -> None:
    """The parameters TrainConfig does not check: scikit-learn's own.

    Parameters
    ----------
    clf : SteepestClassifier
        The estimator whose ``early_stopping``, ``warm_start``,
        ``validation_fraction``, ``verbose`` and ``random_state`` are checked.

    Raises
    ------
    ValueError
        Naming the first bad parameter and its value.
    """
    for name in ("early_stopping", "warm_start"):
        if not isinstance(getattr(clf, name), (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False, got {getattr(clf, name)!r}")
    f = clf.validation_fraction
    if isinstance(f, (bool, np.bool_)) or not isinstance(f, (int, float, np.number)) \
            or not 0 < f < 1:
        raise ValueError(f"validation_fraction must be a number in (0, 1), got {f!r}")
    v = clf.verbose
    if not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"verbose must be an int >= 0 or a bool, got {v!r}")
    r = clf.random_state
    if not (r is None or isinstance(r, (np.random.Generator, np.random.RandomState))
            or (is_int(r) and r >= 0)):
        _bad_random_state(r)


def seed_from(random_state) -> int:
    """``TrainConfig.seed`` for ``random_state``: an int as is, else one drawn from it.

    Parameters
    ----------
    random_state : int, numpy.random.Generator, numpy.random.RandomState or None
        The estimator's parameter; None draws from fresh OS entropy.

    Returns
    -------
    int
        A seed >= 0.

    Raises
    ------
    ValueError
        For anything else (a negative int, a float, a bool).

    Examples
    --------
    >>> seed_from(7), seed_from(np.random.default_rng(0)) == seed_from(np.random.default_rng(0))
    (7, True)
    """
    if random_state is None:
        return int(np.random.default_rng().integers(2**63))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**63))
    if isinstance(random_state, np.random.RandomState):  # scikit-learn's older convention
        return int(random_state.randint(np.iinfo(np.int64).max, dtype=np.int64))
    if is_int(random_state) and random_state >= 0:
        return int(random_state)
    _bad_random_state(random_state)


def _bad_random_state(value) -> None:
    raise ValueError("random_state must be an int >= 0, a numpy.random.Generator or None, "
                     f"got {value!r}")


def hold_out_last(X: np.ndarray, y: np.ndarray, k: int, fraction: float, seed: int):
    """``X, y, n_val``: the rows reordered so that a shuffled validation split comes last.

    ``run()`` holds out the last ``config.validation`` rows.  The split is
    stratified (each of the ``k`` classes in proportion, as ``MLPClassifier``
    splits) when every class has rows for both sides, else plainly random.

    Parameters
    ----------
    X : numpy.ndarray
        The rows, (N, n_features).
    y : numpy.ndarray
        Their classes as indices 0 .. k-1, (N,).
    k : int
        The number of classes.
    fraction : float
        The share of rows to hold out, rounded up.
    seed : int
        The fit's seed; the split draws from its own stream of it.

    Returns
    -------
    X : numpy.ndarray
        The rows, the validation split last.
    y : numpy.ndarray
        Their classes, in the same order.
    n_val : int
        ``ceil(fraction * N)``: the rows held out.

    Raises
    ------
    ValueError
        Fewer than 2 rows to validate on, or none left to train on.
    """
    n = X.shape[0]
    n_val = math.ceil(fraction * n)
    if n_val < 2 or n - n_val < 1:
        raise ValueError(f"the validation set would have {n_val} of {n} rows: too small for "
                         "early_stopping; increase validation_fraction or the data")
    counts = np.bincount(y, minlength=k)
    stratify = y if counts.min() >= 2 and k <= n_val <= n - k else None
    split_seed = int(np.random.default_rng([seed, SPLIT_STREAM]).integers(2**32))
    train, val = train_test_split(np.arange(n), test_size=n_val, stratify=stratify,
                                  random_state=split_seed)
    order = np.concatenate([train, val])
    return X[order], y[order], n_val


def as_images(X: np.ndarray) -> np.ndarray:
    """``X`` as (N, 28, 28) images: augmentation moves ink over a background of 0.

    Parameters
    ----------
    X : numpy.ndarray
        (N, 784) pixels in [0, 1], row by row.

    Returns
    -------
    numpy.ndarray
        ``X`` reshaped to (N, 28, 28).

    Raises
    ------
    ValueError
        Another number of features, or values outside [0, 1].
    """
    if X.shape[1] != 784:
        raise ValueError(f"augment=True distorts 28x28 images (784 features); X has "
                         f"{X.shape[1]} features")
    low, high = float(X.min(initial=0)), float(X.max(initial=0))
    if low < 0 or high > 1:
        raise ValueError(f"augment=True needs pixels in [0, 1] (e.g. MNIST / 255), got values "
                         f"in [{low:g}, {high:g}]")
    return X.reshape(-1, 28, 28)


def encode_labels(clf, y: np.ndarray, continuing: bool, incremental: bool, classes):
    """``(classes_, y as indices into it)``; a fresh start finds ``classes_`` in ``y``.

    Parameters
    ----------
    clf : SteepestClassifier
        The estimator (its ``classes_`` when continuing).
    y : numpy.ndarray
        The labels, checked by scikit-learn.
    continuing : bool
        A warm start or a later ``partial_fit``: the fitted ``classes_`` hold.
    incremental : bool
        Called by ``partial_fit``, whose first call needs ``classes``.
    classes : array-like or None
        ``partial_fit``'s ``classes``.

    Returns
    -------
    classes_ : numpy.ndarray
        The sorted class labels.
    indices : numpy.ndarray
        ``y`` as indices into ``classes_``.

    Raises
    ------
    ValueError
        Fewer than 2 classes, ``classes`` missing or differing from the
        fitted ones, or a label of ``y`` not among them.
    """
    given = None if classes is None else check_classes(classes)
    if not continuing:
        if incremental and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        found = np.unique(y) if given is None else given
        if found.size < 2:
            raise ValueError(f"{type(clf).__name__} needs samples of at least 2 classes "
                             f"in the data, but the data contains only 1 class: {found!r}")
    else:
        found = clf.classes_
        if given is not None and not np.array_equal(given, found):
            raise ValueError(f"classes={classes!r} differs from the fitted classes_ {found!r}")
    unknown = np.setdiff1d(y, found)
    if unknown.size:
        raise ValueError(f"y has labels not in classes_ {found!r}: {unknown!r}")
    return found, np.searchsorted(found, y)


def scores(history: list[EpochRecord], best_validation: float | None) -> dict:
    """The fitted attributes that describe the run's epochs.

    Parameters
    ----------
    history : list of EpochRecord
        Every epoch trained.
    best_validation : float or None
        Validation accuracy of the returned weights; None without a split.

    Returns
    -------
    dict
        ``n_iter_``, ``loss_curve_``, ``validation_scores_``,
        ``best_validation_score_`` and ``best_loss_``.
    """
    losses = [r.train_loss for r in history]
    accuracies = [r.extra["val_accuracy"] for r in history if "val_accuracy" in r.extra]
    return {"n_iter_": len(history), "loss_curve_": losses,
            "validation_scores_": accuracies or None, "best_validation_score_": best_validation,
            "best_loss_": min(losses) if best_validation is None and losses else None}


def fitted(classes: np.ndarray, state: TrainState, best_validation: float | None,
           names: np.ndarray | None) -> dict:
    """The fitted attributes of a classifier whose run is ``state``: for :func:`set_fitted`.

    Parameters
    ----------
    classes : numpy.ndarray
        The labels, one per output unit: ``classes_``.
    state : TrainState
        The run: its network (``network_``, whose input width is
        ``n_features_in_``) and its epochs (see :func:`scores`).
    best_validation : float or None
        Validation accuracy of the network's weights; None without a split.
    names : numpy.ndarray or None
        The column names (``feature_names_in_``), if ``X`` had any.

    Returns
    -------
    dict
        The attributes by name, ``_state`` among them.
    """
    attributes = {"classes_": classes, "n_features_in_": state.network.sizes[0],
                  "network_": state.network, "_state": state,
                  **scores(state.history, best_validation)}
    if names is not None:
        attributes["feature_names_in_"] = names
    return attributes


def fitted_attributes(clf) -> dict:
    """The fitted attributes of ``clf`` (scikit-learn's trailing ``_``) and its ``_state``.

    Parameters
    ----------
    clf : SteepestClassifier
        The estimator.

    Returns
    -------
    dict
        Each such attribute by name (empty when not fitted).
    """
    return {k: v for k, v in vars(clf).items() if _fitted_name(k)}


def set_fitted(clf, attributes: dict) -> None:
    """Make ``attributes`` the fitted attributes of ``clf``: others are removed.

    Parameters
    ----------
    clf : SteepestClassifier
        The estimator.
    attributes : dict
        The fitted attributes to set, as :func:`fitted_attributes` returns them.
    """
    for name in [k for k in vars(clf) if _fitted_name(k)]:
        delattr(clf, name)
    for name, value in attributes.items():
        setattr(clf, name, value)


def _fitted_name(name: str) -> bool:
    return name == "_state" or (name.endswith("_") and not name.startswith("__"))


def continue_state(state: TrainState, config: TrainConfig) -> None:
    """Ready ``state`` for more epochs under ``config``: same network, optimizer carried over.

    The optimizer is built anew from ``config`` (its learning rate, momentum...)
    and, when it is of the same kind, takes over the old one's velocities or
    moments.  The best validation score is forgotten: this fit scores anew.

    Parameters
    ----------
    state : TrainState
        The fitted run, changed in place.
    config : TrainConfig
        The settings for the epochs to come.

    Raises
    ------
    ValueError
        Another ``hidden`` or ``activation``, or the cosine schedule (it plans
        a run of known length).
    """
    old = state.config
    for name in ("hidden", "activation"):
        if getattr(old, name) != getattr(config, name):
            raise ValueError(f"cannot continue the fitted network ({name}={getattr(old, name)!r})"
                             f" with {name}={getattr(config, name)!r}; set warm_start=False "
                             "to start afresh")
    if config.schedule == "cosine":
        raise ValueError("schedule='cosine' plans the learning rate over a run of known length; "
                         "to continue a fitted network use 'constant' or 'step'")
    optimizer = build_optimizer(config, state.network)  # the new learning rate, momentum, ...
    if type(optimizer) is type(state.optimizer):  # ... and the old velocities / moments
        optimizer.load_state_dict(state.optimizer.state_dict())
    state.config, state.optimizer = config, optimizer
    # This fit scores a new validation split (or none): forget the old best.
    state.best_score, state.best_epoch, state.best_weights = -np.inf, 0, None
    state.stale_epochs, state.stopped_early = 0, False
