"""The estimator: scikit-learn's API around :func:`steepest.training.run`.

See :mod:`steepest.sklearn` for what it is and how its parameters map.
"""

from __future__ import annotations

import sys

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import __version__
from ..activations import log_softmax
from ..blas import limit_blas_threads, suggested_blas_threads
from ..config import TrainConfig
from ..modelfile import ModelFileError, load_model, save_model
from ..training import EpochRecord, TrainState, run
from . import fitting
from .fitting import CONFIG_PARAMS
from .labels import labels_from_json, labels_to_json

#: X's dtypes kept as they are (other input becomes float32).  A float64 X is not
#: copied: training casts each mini-batch to float32 (steepest.training.iterate_minibatches),
#: which for MNIST saves 188 MB and the time to fill them.
FLOATS = [np.float32, np.float64]


class SteepestClassifier(ClassifierMixin, BaseEstimator):
    """A steepest network as a scikit-learn classifier.

    Parameters
    ----------
    hidden, activation, init, epochs, batch_size, learning_rate, optimizer, momentum,
    beta1, beta2, weight_decay, schedule, step_every, step_gamma, warmup_epochs, l2,
    dropout, input_dropout, max_norm, augment, shift, rotation, scale, shear,
    elastic_alpha, elastic_sigma, patience, restore_best :
        As in :class:`steepest.config.TrainConfig`, checked by it when fitting.
        ``augment`` needs 28x28 images: 784 features with values in [0, 1].
    early_stopping : bool
        Hold out ``validation_fraction`` of the rows (shuffled; stratified when
        possible), score them after every epoch (``validation_scores_``) and,
        with ``restore_best``, end with the best epoch's weights; ``patience > 0``
        also stops after that many epochs without a better score.
    validation_fraction : float in (0, 1)
        The share of rows held out when ``early_stopping``.
    warm_start : bool
        ``fit`` continues the fitted network and optimizer for ``epochs`` more
        epochs (same ``hidden``, ``activation``, features and classes).
    random_state : int, numpy.random.Generator or None
        An int is ``TrainConfig.seed``: initial weights, shuffling and dropout
        as ``steepest train --seed`` would draw them.  A Generator gives a seed
        drawn from it (each fit draws anew); None, a fresh seed.
    verbose : int
        > 0 prints one line per epoch.

    Attributes
    ----------
    classes_, n_features_in_, feature_names_in_ (for DataFrames) :
        As in every scikit-learn classifier; output unit ``k`` is ``classes_[k]``.
    network_ : steepest.network.Network
        The trained network.
    n_iter_ : int
        Epochs trained in all (across warm starts and ``partial_fit`` calls).
    loss_curve_ : list of float
        Mean training loss of each epoch (with the ``l2`` penalty, if any).
    best_loss_ : float or None
        The smallest of ``loss_curve_``; None when fitted with a validation split.
    validation_scores_ : list of float or None
        Validation accuracy of each epoch trained with a validation split.
    best_validation_score_ : float or None
        Validation accuracy of the returned weights (of the last ``fit``).
    """

    def __init__(
        self, *, hidden=(15,), activation="sigmoid", init="normal", epochs=40, batch_size=32,
        learning_rate=1.0, optimizer="sgd", momentum=0.9, beta1=0.9, beta2=0.999,
        weight_decay=0.0, schedule="constant", step_every=10, step_gamma=0.1,
        warmup_epochs=0.0, l2=0.0, dropout=0.0, input_dropout=0.0, max_norm=0.0,
        augment=False, shift=2, rotation=10.0, scale=0.1, shear=0.2, elastic_alpha=34.0,
        elastic_sigma=4.0, patience=0, restore_best=True, early_stopping=False,
        validation_fraction=0.1, warm_start=False, random_state=None, verbose=0,
    ):
        # scikit-learn's rule: __init__ stores the parameters as given; fit checks them.
        self.hidden = hidden
        self.activation = activation
        self.init = init
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.optimizer = optimizer
        self.momentum = momentum
        self.beta1 = beta1
        self.beta2 = beta2
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.step_every = step_every
        self.step_gamma = step_gamma
        self.warmup_epochs = warmup_epochs
        self.l2 = l2
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.max_norm = max_norm
        self.augment = augment
        self.shift = shift
        self.rotation = rotation
        self.scale = scale
        self.shear = shear
        self.elastic_alpha = elastic_alpha
        self.elastic_sigma = elastic_sigma
        self.patience = patience
        self.restore_best = restore_best
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    # -- training --------------------------------------------------------------

    def fit(self, X, y) -> SteepestClassifier:
        """Train for ``epochs`` epochs (more of them, from where it was, with ``warm_start``)."""
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None) -> SteepestClassifier:
        """One epoch over ``(X, y)``, continuing the network; ``classes`` on the first call.

        As in ``MLPClassifier``, no validation split is held out: ``early_stopping``
        and ``patience`` apply to ``fit`` only.
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def _fit(self, X, y, *, incremental: bool, classes=None) -> SteepestClassifier:
        fitting.check_params(self)
        continuing = self.__sklearn_is_fitted__() and (incremental or self.warm_start)
        X, y = validate_data(self, X, y, reset=not continuing, dtype=FLOATS)
        check_classification_targets(y)
        y = self._encode_labels(y, continuing, incremental, classes)
        state = fitting.fitted_state(self) if continuing else None
        seed = state.config.seed if state else fitting.seed_from(self.random_state)
        n_val = 0
        if self.early_stopping and not incremental:
            X, y, n_val = fitting.hold_out_last(X, y, len(self.classes_),
                                                self.validation_fraction, seed)
        elif self.patience and not incremental:
            raise ValueError(f"patience={self.patience!r} needs early_stopping=True "
                             "(a validation split to watch)")
        done = state.epoch if state else 0
        settings = {k: getattr(self, k) for k in CONFIG_PARAMS}
        settings.update(seed=seed, validation=n_val)
        if incremental:
            settings.update(epochs=1, patience=0)
        config = TrainConfig(**settings)  # checks every setting
        config = config.replace(epochs=done + config.epochs)  # run() counts epochs from 1
        if config.augment:
            X = fitting.as_images(X)
        if state is None:
            state = TrainState.new(config, self.n_features_in_, len(self.classes_))
        else:
            fitting.continue_state(state, config)
        sizes = state.network.sizes
        with limit_blas_threads(suggested_blas_threads(sizes, config.batch_size, config.augment)):
            result = run(config, ((X, y), None), state=state, n_classes=sizes[-1],
                         on_epoch=self._report if self.verbose else None)
        self._state, self.network_ = state, result.network
        self._set_scores(state.history, result.validation_accuracy if n_val else None)
        return self

    def _encode_labels(self, y, continuing: bool, incremental: bool, classes) -> np.ndarray:
        """``y`` as indices into ``classes_`` (which a fresh start sets)."""
        if not continuing:
            if incremental and classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            found = np.unique(y if classes is None else classes)
            if found.size < 2:
                raise ValueError(f"{type(self).__name__} needs samples of at least 2 classes "
                                 f"in the data, but the data contains only 1 class: {found!r}")
            self.classes_ = found
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={classes!r} differs from the fitted classes_ "
                             f"{self.classes_!r}")
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y has labels not in classes_ {self.classes_!r}: {unknown!r}")
        return np.searchsorted(self.classes_, y)

    def _report(self, record: EpochRecord, state: TrainState) -> None:
        """With ``verbose``: one line per epoch (printed here; steepest's core never prints)."""
        score = record.extra.get("val_accuracy")
        print(f"epoch {record.epoch}/{state.config.epochs}: loss {record.train_loss:.5f}"
              + ("" if score is None else f", validation accuracy {score:.4f}")
              + f", {record.seconds:.2f} s", file=sys.stdout, flush=True)

    def _set_scores(self, history: list[EpochRecord], best_validation: float | None) -> None:
        self.n_iter_ = len(history)
        self.loss_curve_ = [r.train_loss for r in history]
        scores = [r.extra["val_accuracy"] for r in history if "val_accuracy" in r.extra]
        self.validation_scores_ = scores or None
        self.best_validation_score_ = best_validation
        self.best_loss_ = min(self.loss_curve_) if best_validation is None else None

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    # -- predicting ------------------------------------------------------------

    def predict_log_proba(self, X) -> np.ndarray:
        """``log P(class | x)``, (N, n_classes) float64, finite: taken from the logits."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        net, chunk = self.network_, 2000  # rows per forward pass: bounded memory
        out = np.empty((X.shape[0], len(self.classes_)))
        for start in range(0, X.shape[0], chunk):
            net.forward(X[start : start + chunk].astype(np.float32, copy=False))
            # In float64 from the float32 logits: probabilities that sum to 1 within 1e-15.
            out[start : start + chunk] = log_softmax(net.logits.astype(np.float64))
        return out

    def predict_proba(self, X) -> np.ndarray:
        """``P(class | x)``, (N, n_classes) float64; column ``k`` is ``classes_[k]``."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row, a label from ``classes_``."""
        best = self.predict_log_proba(X).argmax(axis=1)  # checks that it is fitted
        return self.classes_[best]

    # -- the model file --------------------------------------------------------

    def save(self, path) -> None:
        """Write the network, its settings and labels to steepest's ``.npz``, atomically.

        ``classes_`` and ``feature_names_in_`` go into the file's JSON info, so
        labels must be ints, floats, booleans or strings (ValueError otherwise,
        before anything is written).  ``steepest evaluate`` and ``steepest
        predict`` read the file of a network with 784 inputs and 10 classes.
        """
        check_is_fitted(self)
        config = fitting.fitted_state(self).config
        names = getattr(self, "feature_names_in_", None)
        params = {**config.to_dict(), "early_stopping": bool(self.early_stopping),
                  "validation_fraction": float(self.validation_fraction),
                  "warm_start": bool(self.warm_start), "verbose": int(self.verbose)}
        for key in ("seed", "validation"):
            params.pop(key)
        info = {
            "config": config.to_dict(), "seed": config.seed, "version": __version__,
            "history": [r.to_dict() for r in fitting.fitted_state(self).history],
            "sklearn": {"params": params, "classes": labels_to_json(self.classes_),
                        "feature_names": None if names is None else [str(n) for n in names],
                        "best_validation_score": self.best_validation_score_},
        }
        save_model(path, self.network_, info)

    @classmethod
    def load(cls, path) -> SteepestClassifier:
        """A fitted classifier from a ``.npz`` written by :meth:`save` or ``steepest train``.

        A file from ``steepest train`` has classes 0 .. K-1 and no feature names.
        ``fit`` with ``warm_start`` and ``partial_fit`` continue from the loaded
        weights with a fresh optimizer state (the file holds no optimizer).

        Raises:
            ModelFileError: a missing, damaged or foreign file (one line naming it).
        """
        network, info = load_model(path)  # allow_pickle=False
        sk = info.get("sklearn") if isinstance(info.get("sklearn"), dict) else {}
        try:
            config = TrainConfig.from_dict(info.get("config") or {})
            params = {k: getattr(config, k) for k in CONFIG_PARAMS}
            params.update(sk.get("params") or {}, random_state=config.seed,
                          hidden=tuple(network.sizes[1:-1]), activation=network.activations[0])
            clf = cls(**params)
            k = network.sizes[-1]
            classes = labels_from_json(sk["classes"]) if "classes" in sk else np.arange(k)
            if len(classes) != k:
                raise ValueError(f"{len(classes)} class labels for {k} output units")
            names = sk.get("feature_names")
            if names is not None:
                if len(names) != network.sizes[0]:
                    raise ValueError(f"{len(names)} feature names for {network.sizes[0]} inputs")
                clf.feature_names_in_ = np.asarray(names, dtype=object)
            history = [EpochRecord.from_dict(r) for r in info.get("history") or []]
            clf.classes_, clf.n_features_in_, clf.network_ = classes, network.sizes[0], network
            clf._set_scores(history, sk.get("best_validation_score"))
            fitting.fitted_state(clf, history)  # for warm_start and partial_fit
        except (TypeError, ValueError, KeyError) as exc:
            raise ModelFileError(f"{path}: not a classifier's model file ({exc})") from None
        return clf
