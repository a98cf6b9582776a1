"""The estimator: scikit-learn's API around :func:`steepest.training.run`.

See :mod:`steepest.sklearn` for what it is and how its parameters map.
"""

from __future__ import annotations

import copy
import sys

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from ..activations import log_softmax
from ..blas import limit_blas_threads, suggested_blas_threads
from ..config import TrainConfig
from ..training import EpochRecord, TrainingDiverged, TrainState, run
from . import files, fitting, inputs
from .fitting import CONFIG_PARAMS

#: X's dtypes kept as they are (other input becomes float32).  A float64 X is not
#: copied: training casts each mini-batch to float32 (steepest.training.iterate_minibatches),
#: which for MNIST saves 188 MB and the time to fill them.
FLOATS = [np.float32, np.float64]


class SteepestClassifier(ClassifierMixin, BaseEstimator):
    """A steepest network as a scikit-learn classifier.

    Parameters
    ----------
    hidden, activation, init : as in TrainConfig
        The network: hidden layer sizes (``(15,)``, the lecture's 784-15-10 on
        MNIST), the hidden activation and the initial weights (``"normal"``: the
        lecture's N(0, 1)).  These, and every parameter up to ``restore_best``,
        mean what :class:`steepest.config.TrainConfig`'s fields of the same names
        mean, and are checked by it when fitting.
    epochs, batch_size, learning_rate, optimizer, momentum, beta1, beta2 : as in TrainConfig
        The descent: passes over ``X``, rows per gradient step, lambda in
        ``v <- v - lambda grad C`` (the peak, if scheduled), and the optimizer
        with its momentum mu and Adam's two decays.
    weight_decay, schedule, step_every, step_gamma, warmup_epochs : as in TrainConfig
        AdamW's decoupled weight decay, and the learning-rate schedule:
        constant, times ``step_gamma`` every ``step_every`` epochs, or cosine
        after ``warmup_epochs`` of linear warm-up.
    l2, dropout, input_dropout, max_norm : as in TrainConfig
        Regularisation: the penalty ``(l2 / 2) * sum W^2`` on the weights,
        dropout on hidden units and on inputs, and a cap on each unit's
        incoming-weight norm (0: off).
    augment, shift, rotation, scale, shear, elastic_alpha, elastic_sigma : as in TrainConfig
        Distort the training images afresh every epoch, and how strongly.
        ``augment`` needs 28x28 images: 784 features with values in [0, 1].
    patience, restore_best : as in TrainConfig
        With ``early_stopping``: stop after ``patience`` epochs without a better
        validation score (0: never stop early), and end with the best epoch's
        weights.
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
    classes_ : numpy.ndarray
        The class labels, sorted; output unit ``k`` is ``classes_[k]``.
    n_features_in_ : int
        Features per row, as seen by ``fit``.
    feature_names_in_ : numpy.ndarray
        The column names, when ``X`` was a DataFrame with string column names.
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

    Notes
    -----
    The defaults are the lecture's network -- 15 sigmoid units, N(0, 1) weights,
    gradient descent -- with our learning rate 1, batches of 32 and 40 epochs:
    ``TrainConfig``'s, made for MNIST pixels in [0, 1].  On a table, scale
    ``X`` first (``make_pipeline(StandardScaler(), SteepestClassifier())``):
    features far from a few units (areas in the thousands, raw pixels 0..255)
    saturate every sigmoid unit, and the network predicts one class for all
    rows; ``fit`` warns with a :class:`~steepest.sklearn.BadlyScaledWarning`.
    ``MLPClassifier``'s defaults are ``hidden=(100,), activation="relu",
    init="xavier", optimizer="adam", learning_rate=1e-3``.

    A ``fit``, ``partial_fit`` or warm start that raises (a bad setting or
    input, a divergence, an interrupt) leaves every fitted attribute, the
    weights and the optimizer's state as they were.  ``predict``,
    ``predict_proba``, ``predict_log_proba`` and ``score`` are safe to call
    from several threads at once.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = SteepestClassifier(hidden=(30,), epochs=10, random_state=0).fit(X / 16, y)
    >>> clf.classes_.tolist(), clf.n_iter_, clf.predict_proba(X[:2] / 16).shape
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 10, (2, 10))
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
        """Train for ``epochs`` epochs (more of them, from where it was, with ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            The features, scaled (see the class's notes); a DataFrame's column
            names become ``feature_names_in_``.
        y : array-like of shape (N,)
            The class of each row: ints, strings, booleans, ... (none missing).

        Returns
        -------
        SteepestClassifier
            The estimator itself, fitted.
        """
        return self._fit(X, y, incremental=False)

    def partial_fit(self, X, y, classes=None) -> SteepestClassifier:
        """One epoch over ``(X, y)``, continuing the network; ``classes`` on the first call.

        As in ``MLPClassifier``, no validation split is held out: ``early_stopping``
        and ``patience`` apply to ``fit`` only.

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            The features of this batch of rows.
        y : array-like of shape (N,)
            Their classes, each one of ``classes``.
        classes : array-like of shape (n_classes,) or None, default None
            Every class there will be, needed on the first call (``y`` may not
            show them all); later calls may repeat it or leave it out.

        Returns
        -------
        SteepestClassifier
            The estimator itself, one epoch further.
        """
        return self._fit(X, y, incremental=True, classes=classes)

    def _fit(self, X, y, *, incremental: bool, classes=None) -> SteepestClassifier:
        """Train a copy; replace the fitted attributes, all at once, only if that succeeds.

        A fit that raises -- a bad setting, bad data, a diverging warm start, an
        interrupt -- leaves every fitted attribute as it was.
        """
        before = fitting.fitted_attributes(self)
        try:
            fitted = self._train(X, y, incremental, classes)
        finally:
            fitting.set_fitted(self, before)  # undo what validate_data wrote on self
        fitting.set_fitted(self, fitted)
        return self

    def _train(self, X, y, incremental: bool, classes) -> dict:
        """The new fitted attributes, trained from a copy of the fitted state or afresh."""
        settings = self._settings(incremental)  # every setting checked before the data
        continuing = self.__sklearn_is_fitted__() and (incremental or self.warm_start)
        inputs.check_labels(y)  # before scikit-learn's checks, which fail on pandas' NA
        X, y = validate_data(self, X, y, reset=not continuing, dtype=FLOATS)
        check_classification_targets(y)
        X = inputs.as_rows(X)  # float32's range; C order (a DataFrame is column-major)
        names = getattr(self, "feature_names_in_", None)
        found, y = fitting.encode_labels(self, y, continuing, incremental, classes)
        # augment checks its own range (pixels in [0, 1]); the note goes into a divergence
        badly_scaled = None if settings["augment"] else inputs.warn_if_badly_scaled(X, names)
        state = copy.deepcopy(self._state) if continuing else None  # the fitted one is kept
        seed = state.config.seed if state else fitting.seed_from(self.random_state)
        n_val = 0
        if self.early_stopping and not incremental:
            X, y, n_val = fitting.hold_out_last(X, y, len(found), self.validation_fraction,
                                                seed)
        config = TrainConfig(**settings, seed=seed, validation=n_val)
        config = config.replace(epochs=(state.epoch if state else 0) + config.epochs)
        if config.augment:
            X = fitting.as_images(X)
        if state is None:
            state = TrainState.new(config, self.n_features_in_, len(found))
        else:
            fitting.continue_state(state, config)
        sizes = state.network.sizes
        with limit_blas_threads(suggested_blas_threads(sizes, config.batch_size, config.augment)):
            try:
                result = run(config, ((X, y), None), state=state, n_classes=sizes[-1],
                             on_epoch=self._report if self.verbose else None)
            except TrainingDiverged as exc:  # it names the learning rate: the data may be to blame
                if badly_scaled:
                    exc.args = (f"{exc}, or scale X ({badly_scaled})",)
                raise
        return fitting.fitted(found, state, result.validation_accuracy if n_val else None, names)

    def _settings(self, incremental: bool) -> dict:
        """TrainConfig's settings from the parameters, all checked (seed and split come later)."""
        fitting.check_params(self)
        if self.patience and not self.early_stopping and not incremental:
            raise ValueError(f"patience={self.patience!r} needs early_stopping=True "
                             "(a validation split to watch)")
        settings = {k: getattr(self, k) for k in CONFIG_PARAMS}
        if incremental:
            settings.update(epochs=1, patience=0)
        # ConfigError naming a bad setting; the validation row count is a stand-in until
        # the data is seen (early_stopping's patience needs one).
        TrainConfig(**settings, validation=int(self.early_stopping and not incremental))
        return settings

    def _report(self, record: EpochRecord, state: TrainState) -> None:
        """With ``verbose``: one line per epoch (printed here; steepest's core never prints)."""
        score = record.extra.get("val_accuracy")
        print(f"epoch {record.epoch}/{state.config.epochs}: loss {record.train_loss:.5f}"
              + ("" if score is None else f", validation accuracy {score:.4f}")
              + f", {record.seconds:.2f} s", file=sys.stdout, flush=True)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "network_")

    # -- predicting ------------------------------------------------------------

    def predict_log_proba(self, X) -> np.ndarray:
        r"""``log P(class | x)``, (N, n_classes) float64, finite: taken from the logits.

        :math:`\log P(k \mid x) = z_k - \log \sum_j e^{z_j}` of the last layer's
        logits ``z`` (:func:`steepest.activations.log_softmax`), so a class far
        less likely than another is a large negative number, never ``log 0``.
        Safe to call from several threads at once: the network's
        :meth:`~steepest.network.Network.infer` writes nothing to it.

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            Rows scaled as the training rows were.

        Returns
        -------
        numpy.ndarray of shape (N, n_classes)
            Column ``k`` is the log-probability of ``classes_[k]``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=FLOATS)
        inputs.check_float32_range(X)
        net, chunk = self.network_, 2000  # rows per forward pass: bounded memory
        out = np.empty((X.shape[0], len(self.classes_)))
        with np.errstate(over="ignore", invalid="ignore"):  # check_outputs says it in words
            for start in range(0, X.shape[0], chunk):
                rows = np.ascontiguousarray(X[start : start + chunk], dtype=np.float32)
                logits = net.infer(rows)[-1]  # (n, K)
                # In float64 from the float32 logits: probabilities that sum to 1 within 1e-15.
                out[start : start + chunk] = log_softmax(logits.astype(np.float64))
        inputs.check_outputs(out, X)
        return out

    def predict_proba(self, X) -> np.ndarray:
        """``P(class | x)``, (N, n_classes) float64; column ``k`` is ``classes_[k]``.

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            Rows scaled as the training rows were.

        Returns
        -------
        numpy.ndarray of shape (N, n_classes)
            The softmax of each row's logits: each row sums to 1.
        """
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """The most probable class of each row, a label from ``classes_``.

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            Rows scaled as the training rows were.

        Returns
        -------
        numpy.ndarray of shape (N,)
            ``classes_[argmax_k P(k | x)]`` for each row.
        """
        best = self.predict_log_proba(X).argmax(axis=1)  # checks that it is fitted
        return self.classes_[best]

    def score(self, X, y, sample_weight=None) -> float:
        """Mean accuracy of ``predict(X)`` against ``y``; ``y`` is checked as ``fit`` checks it.

        Parameters
        ----------
        X : array-like of shape (N, n_features)
            Rows scaled as the training rows were.
        y : array-like of shape (N,)
            Their true classes.
        sample_weight : array-like of shape (N,) or None, default None
            Each row's weight in the mean; None weighs them alike.

        Returns
        -------
        float
            The (weighted) share of rows whose prediction is their class.
        """
        inputs.check_labels(y)
        return super().score(X, y, sample_weight)

    # -- the model file --------------------------------------------------------

    def save(self, path) -> None:
        """Write the network, the parameters and labels to steepest's ``.npz``, atomically.

        The file keeps ``get_params()`` as they are (a ``random_state``
        Generator as the seed it gave), ``classes_`` and ``feature_names_in_``
        in its JSON info, so labels must be ints, floats, booleans or strings
        (ValueError otherwise, before anything is written).  ``steepest
        evaluate`` and ``steepest predict`` read the file of a network with 784
        inputs and 10 classes.  An error writing names ``path``.

        Parameters
        ----------
        path : str or os.PathLike
            The ``.npz`` file to write.
        """
        check_is_fitted(self)
        files.save(self, path)

    @classmethod
    def load(cls, path) -> SteepestClassifier:
        """A fitted classifier from a ``.npz`` written by :meth:`save` or ``steepest train``.

        Its parameters are those saved (``get_params()`` round-trips); a file
        from ``steepest train`` gives its config's, classes 0 .. K-1 and no
        feature names.  ``fit`` with ``warm_start`` and ``partial_fit`` continue
        from the loaded weights with a fresh optimizer state (the file holds
        no optimizer).

        Parameters
        ----------
        path : str or os.PathLike
            The model file.

        Returns
        -------
        SteepestClassifier
            A fitted estimator, predicting as the saved one did.

        Raises
        ------
        ModelFileError
            A missing, damaged or foreign file (one line naming it).
        """
        return files.load(cls, path)
