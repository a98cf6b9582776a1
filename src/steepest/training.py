"""A whole run: a validation split, early stopping, augmentation, checkpoints, resuming.

:func:`run` trains the network one :class:`TrainConfig` describes.  Each of its epochs is
:func:`steepest.loop.train`'s loop, the lecture's steps batch by batch: forward, loss
(value and delta), backward, the optimizer's step.  What a real run adds around them --
the validation set held out and scored, the best weights kept, early stopping, the
learning-rate schedule, fresh distortions of the images -- is in helpers of its own,
named for what they do.  :class:`TrainState` is everything that changes during a run,
which a checkpoint saves.  Nothing here prints: progress goes to ``on_batch`` /
``on_epoch`` callbacks.

The loop's names are importable from here too (``from steepest.training import train``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import schedules
from .config import TrainConfig
from .loop import EpochRecord, TrainingDiverged, iterate_minibatches, train
from .network import Network
from .optimizers import OPTIMIZERS, Optimizer

__all__ = [
    "FAR_ABOVE_CHANCE", "EpochRecord", "RunResult", "TrainConfig", "TrainState",
    "TrainingDiverged", "TrainingStopped", "build_network", "build_optimizer", "chance_loss",
    "check_labels", "fit", "iterate_minibatches", "loss_warning", "run", "split_validation",
    "train",
]


class TrainingStopped(Exception):
    """Raised by a callback to end a run early (e.g. a cancel button)."""


def build_network(config: TrainConfig, n_in: int, n_out: int, rng: np.random.Generator) -> Network:
    """The network ``config`` describes, ``n_in`` inputs and ``n_out`` classes, drawn from ``rng``.

    Parameters
    ----------
    config : TrainConfig
        ``hidden``, ``activation`` and ``init`` are read.
    n_in : int
        inputs per example (784 for MNIST).
    n_out : int
        classes K.
    rng : numpy.random.Generator
        the initial weights' source.

    Returns
    -------
    Network
        ``(n_in, *config.hidden, n_out)``, untrained.
    """
    return Network(
        (n_in, *config.hidden, n_out), activation=config.activation, init=config.init, rng=rng
    )


def build_optimizer(config: TrainConfig, network: Network) -> Optimizer:
    """The optimizer ``config`` names, holding ``network.parameters()``.

    Parameters
    ----------
    config : TrainConfig
        ``optimizer``, ``learning_rate`` and the optimizer's own settings are read.
    network : Network
        whose parameters the optimizer updates.

    Returns
    -------
    Optimizer
        an instance of ``OPTIMIZERS[config.optimizer]``.
    """
    cls = OPTIMIZERS[config.optimizer]
    kwargs: dict = {"learning_rate": config.learning_rate}
    if config.optimizer in ("momentum", "nesterov"):
        kwargs["momentum"] = config.momentum
    if config.optimizer in ("adam", "adamw"):
        kwargs.update(beta1=config.beta1, beta2=config.beta2)
    if config.optimizer == "adamw":
        kwargs["weight_decay"] = config.weight_decay
    return cls(network.parameters(), **kwargs)


@dataclass
class TrainState:
    """Everything that changes during a run; a checkpoint saves exactly this."""

    config: TrainConfig
    network: Network
    optimizer: Optimizer
    rng: np.random.Generator  # shuffling and dropout, continued across epochs
    epoch: int = 0  # epochs completed
    history: list[EpochRecord] = field(default_factory=list)
    best_score: float = -np.inf  # best validation accuracy so far
    best_epoch: int = 0
    best_weights: list[np.ndarray] | None = None
    stale_epochs: int = 0  # epochs since the validation score last improved
    stopped_early: bool = False

    @classmethod
    def new(cls, config: TrainConfig, n_in: int, n_out: int) -> TrainState:
        """A run's start: the network drawn from ``config.seed``, its optimizer, epoch 0.

        Parameters
        ----------
        config : TrainConfig
            the run's hyperparameters.
        n_in, n_out : int
            inputs per example and classes.

        Returns
        -------
        TrainState
            with the generator that drew the weights, to shuffle and drop out with next.
        """
        rng = np.random.default_rng(config.seed)
        network = build_network(config, n_in, n_out, rng)  # init draws come first from rng
        return cls(config, network, build_optimizer(config, network), rng)


@dataclass
class RunResult:
    """What :func:`run` returns: the trained network, its history and its scores."""

    network: Network
    history: list[EpochRecord]
    test_accuracy: float | None  # on the test set, scored once at the end
    validation_accuracy: float | None  # of the returned weights
    best_epoch: int  # the epoch whose weights are returned
    stopped_early: bool
    seconds: float
    # what the caller should tell the user about the run: the last epoch's loss
    # far above chance (see loss_warning), or None
    warning: str | None = None


#: A mean loss this many times ln K is "far above chance": the network does
#: much worse than guessing, on average e^(-10 ln K) = K^-10 for the right class.
FAR_ABOVE_CHANCE = 10


def chance_loss(n_classes: int) -> float:
    """ln K: the loss of guessing, i.e. of giving each of K classes probability 1/K.

    Parameters
    ----------
    n_classes : int
        K.

    Returns
    -------
    float
        ``ln K``.

    Examples
    --------
    >>> round(chance_loss(10), 4)
    2.3026
    """
    return float(np.log(n_classes))


def loss_warning(loss: float, n_classes: int, learning_rate: float | None = None,
                 l2: float = 0.0) -> str | None:
    """A sentence saying that a finite mean ``loss`` is far above chance, or None if it is not.

    A finite loss is not divergence (:class:`TrainingDiverged`), but a mean loss
    of ``FAR_ABOVE_CHANCE`` times ln K or more means the network puts almost no
    probability on the right class: a learning rate or initial weights too large
    (or, when the loss includes an L2 penalty, too large an ``l2``).

    Parameters
    ----------
    loss : float
        a run's last mean training loss.
    n_classes : int
        K.
    learning_rate : float, optional
        named in the sentence when given.
    l2 : float
        the L2 coefficient; when not 0, the sentence names it as a cause too.

    Returns
    -------
    str or None
        the sentence, or None for a loss below ``FAR_ABOVE_CHANCE * ln K``.

    Examples
    --------
    >>> loss_warning(0.3, 10) is None
    True
    >>> print(loss_warning(2.5e30, 10, 1e30).replace(": ", ":\\n"))
    the training loss 2.5e+30 is far above chance (ln 10 = 2.30):
    the learning rate 1e+30 (or the initial weights) is probably too large
    """
    chance = chance_loss(n_classes)
    if not loss >= FAR_ABOVE_CHANCE * chance:
        return None
    rate = "" if learning_rate is None else f" {learning_rate:g}"
    causes = (f"the learning rate{rate}, the initial weights or l2 {l2:g}" if l2 else
              f"the learning rate{rate} (or the initial weights)")
    penalty = " (with its L2 penalty)" if l2 else ""
    return (f"the training loss {loss:.3g}{penalty} is far above chance (ln {n_classes} = "
            f"{chance:.2f}): {causes} is probably too large")


def split_validation(data, validation: int):
    """``(x_train, y_train), (x_val, y_val)``: the last ``validation`` training images held out.

    Nielsen's split of MNIST is 50,000 / 10,000: ``split_validation(train, 10000)``.

    Parameters
    ----------
    data : tuple of ndarray
        ``(x, y)``.
    validation : int
        how many of the last rows to hold out; fewer than ``len(x)``.

    Returns
    -------
    tuple
        ``(x_train, y_train), (x_val, y_val)``, views of ``data``.

    Raises
    ------
    ValueError
        ``validation`` is not smaller than the number of rows.
    """
    x, y = data
    if validation >= x.shape[0]:
        raise ValueError(
            f"validation must be smaller than the {x.shape[0]:,} training images, got {validation}"
        )
    return (x[:-validation], y[:-validation]), (x[-validation:], y[-validation:])


def check_labels(n_classes: int | None, *labels: np.ndarray | None) -> int:
    """The number of classes K, checked against every label array (``None`` is skipped).

    Labels are ints in ``[0, K)``; without ``n_classes``, K is one more than the
    largest label, and at least 2.

    Parameters
    ----------
    n_classes : int or None
        K, or None to take it from the labels.
    *labels : ndarray or None
        label arrays to check.

    Returns
    -------
    int
        K.

    Raises
    ------
    ValueError
        a label array of floats, or a label outside ``[0, K)``; the message names it.

    Examples
    --------
    >>> check_labels(None, np.array([0, 2, 1]))
    3
    >>> check_labels(2, np.array([0, 2]))
    Traceback (most recent call last):
    ...
    ValueError: labels must be ints in [0, 2), got 2
    """
    given = [np.asarray(y) for y in labels if y is not None]
    for y in given:
        if y.size and y.dtype.kind not in "iu":
            raise ValueError(f"labels must be ints in [0, K), got dtype {y.dtype}")
    largest = max((int(y.max()) for y in given if y.size), default=0)
    smallest = min((int(y.min()) for y in given if y.size), default=0)
    k = max(largest + 1, 2) if n_classes is None else int(n_classes)
    if smallest < 0 or largest >= k:
        bad = smallest if smallest < 0 else largest
        raise ValueError(f"labels must be ints in [0, {k}), got {bad}")
    return k


def run(
    config: TrainConfig,
    data,
    *,
    state: TrainState | None = None,
    n_classes: int | None = None,
    on_batch: Callable[[int, int, float], None] | None = None,
    on_epoch: Callable[[EpochRecord, TrainState], None] | None = None,
) -> RunResult:
    """Train the network ``config`` describes on ``data``, from scratch or from ``state``.

    Without a validation set (our default) the test set is scored after every epoch (the
    lecture scores nothing during training); with one, once, on the weights returned.

    Parameters
    ----------
    config : TrainConfig
        the run's hyperparameters.
    data : tuple
        ``(x_train, y_train), (x_test, y_test)`` as from ``mnist.load_data()``, images
        or rows ``(N, n_in)``; the test part may be None.
    state : TrainState, optional
        a run to continue (a checkpoint's), trained with ``config`` but for ``epochs``.
    n_classes : int, optional
        K; default: one more than the largest label of the training and test sets.
    on_batch, on_epoch : callable, optional
        ``on_batch(epoch, i, loss)`` after every step; ``on_epoch(record, state)`` after
        every epoch, when ``state`` is consistent (the place to save a checkpoint).  It
        may raise :class:`TrainingStopped` to end the run there.

    Returns
    -------
    RunResult
        the network (with the best validation weights, if ``config.restore_best``).

    Examples
    --------
    >>> from steepest.datasets import mnist
    >>> (x, y), (xt, yt) = mnist.load_data()
    >>> cfg = TrainConfig(epochs=2, batch_size=10, validation=500)
    >>> result = run(cfg, ((x[:3000], y[:3000]), (xt[:500], yt[:500])))
    >>> len(result.history), result.test_accuracy > 0.5, result.best_epoch in (1, 2)
    (2, True, True)
    """
    t0 = time.perf_counter()
    sets = _datasets(config, data, n_classes if state is None else state.network.sizes[-1])
    state = _start_or_resume(config, state, sets)
    extras = _extras(config, sets)  # ours: schedule, L2, max-norm, dropout
    with _augmented(config, sets.train[0], state) as augmenter, suppress(TrainingStopped):
        while state.epoch < config.epochs and not state.stopped_early:
            epoch = state.epoch + 1
            (record,) = train(state.network, state.optimizer, *sets.train, epochs=1,
                              batch_size=config.batch_size, rng=state.rng, on_batch=on_batch,
                              start_epoch=epoch, epoch_data=augmenter, **extras)
            _score_epoch(record, state, sets)  # validation and early stopping, or the test set
            state.epoch = epoch
            state.history.append(record)
            if on_epoch is not None:
                on_epoch(record, state)
    return _result(state, sets, t0)


class _Datasets(NamedTuple):
    """A run's data: ``(x, y)`` pairs for training, validation (or None) and test (or None)."""

    train: tuple
    validation: tuple | None
    test: tuple | None
    n_classes: int


def _datasets(config: TrainConfig, data, n_classes: int | None) -> _Datasets:
    """Check the labels and hold out the last ``config.validation`` training images."""
    (x_train, y_train), test = data
    x_test, y_test = (None, None) if test is None else test
    n_classes = check_labels(n_classes, y_train, y_test)
    validation = None
    if config.validation:
        (x_train, y_train), validation = split_validation((x_train, y_train),
                                                          config.validation)
    return _Datasets((x_train, y_train), validation,
                     None if x_test is None else (x_test, y_test), n_classes)


def _start_or_resume(config: TrainConfig, state: TrainState | None,
                     sets: _Datasets) -> TrainState:
    """A new :class:`TrainState`, or ``state`` if it was trained with ``config``'s settings."""
    if state is None:
        n_in = int(np.prod(sets.train[0].shape[1:]))
        state = TrainState.new(config, n_in, sets.n_classes)
    elif state.config.replace(epochs=config.epochs) != config:
        raise ValueError("the checkpoint's settings differ from this run's")
    state.config = config
    return state


def _augmented(config: TrainConfig, x_train: np.ndarray, state: TrainState):
    """``config.augment``'s fresh distortions of ``x_train`` for each epoch left, made
    ahead in a thread that ``with`` closes (:class:`~steepest.augment.AugmentedEpochs`);
    without augmentation, ``with`` gives None."""
    if not config.augment:
        return nullcontext()
    from .augment import AugmentedEpochs

    return AugmentedEpochs(x_train, config.augment_config(), config.seed,
                           start_epoch=state.epoch + 1, stop_epoch=config.epochs + 1)


def _extras(config: TrainConfig, sets: _Datasets) -> dict:
    """Our additions to each step, as :func:`train` takes them: the learning-rate
    schedule, the L2 penalty, the max-norm cap and dropout (input, then each hidden layer)."""
    steps_per_epoch = -(-sets.train[0].shape[0] // config.batch_size)
    schedule = schedules.make(
        config.schedule, config.learning_rate, steps_per_epoch=steps_per_epoch,
        epochs=config.epochs, step_every=config.step_every, step_gamma=config.step_gamma,
        warmup_epochs=config.warmup_epochs,
    )
    return {"schedule": schedule, "l2": config.l2, "max_norm": config.max_norm,
            "dropout": (config.input_dropout,) + (config.dropout,) * len(config.hidden)}


def _score_epoch(record: EpochRecord, state: TrainState, sets: _Datasets) -> None:
    """After an epoch: score the validation set and keep the best weights, or, without
    one, score the test set."""
    net = state.network
    if sets.validation is None:
        if sets.test is not None:
            record.test_accuracy = net.accuracy(*sets.test)
        state.best_epoch = record.epoch
        return
    x_val, y_val = sets.validation
    log_probs = net.predict_log_proba(x_val)  # (n_val, K), finite if the logits are
    val_acc = float(np.mean(log_probs.argmax(axis=1) == y_val))
    val_loss = -float(log_probs[np.arange(len(y_val)), y_val].mean(dtype=np.float64))
    if not np.isfinite(val_loss):
        raise TrainingDiverged(record.epoch, val_loss, state.optimizer.learning_rate,
                               "the validation loss")
    record.extra["val_accuracy"] = val_acc
    record.extra["val_loss"] = val_loss
    record.test_accuracy = None  # the test set is scored once, at the end
    _early_stopping(record, state, val_acc)


def _early_stopping(record: EpochRecord, state: TrainState, val_acc: float) -> None:
    """Keep the best validation weights; stop after ``patience`` epochs without better."""
    if val_acc > state.best_score:
        state.best_score, state.best_epoch = val_acc, record.epoch
        state.best_weights = state.network.get_weights()
        state.stale_epochs = 0
    else:
        state.stale_epochs += 1
    patience = state.config.patience
    if patience and state.stale_epochs >= patience:
        state.stopped_early = True
        record.extra["stopped_early"] = True


def _result(state: TrainState, sets: _Datasets, t0: float) -> RunResult:
    """The run's end: the best weights restored (if asked), the test set scored once."""
    net, config = state.network, state.config
    val_accuracy = None
    if sets.validation is not None and state.best_weights is not None:
        if config.restore_best:
            net.set_weights(state.best_weights)
            val_accuracy = state.best_score
        else:
            val_accuracy = net.accuracy(*sets.validation)
            state.best_epoch = state.epoch
    test_accuracy = net.accuracy(*sets.test) if state.history and sets.test is not None else None
    warning = None
    if state.history:
        warning = loss_warning(state.history[-1].train_loss, sets.n_classes,
                               config.learning_rate, config.l2)
    return RunResult(net, state.history, test_accuracy, val_accuracy, state.best_epoch,
                     state.stopped_early, time.perf_counter() - t0, warning)


def fit(config: TrainConfig, data, **callbacks) -> tuple[Network, list[EpochRecord]]:
    """Build the network ``config`` describes and train it on ``data``.

    A short form of :func:`run` for when only the network and its history matter.

    Parameters
    ----------
    config : TrainConfig
        the run's hyperparameters.
    data : tuple
        ``(x_train, y_train), (x_test, y_test)`` as from ``mnist.load_data()``.
    **callbacks : callable
        ``on_batch(epoch, i, loss)`` / ``on_epoch(record)``.

    Returns
    -------
    tuple
        the trained :class:`Network` and its list of :class:`EpochRecord`.

    Examples
    --------
    >>> from steepest.datasets import mnist
    >>> (x, y), (xt, yt) = mnist.load_data()
    >>> net, hist = fit(TrainConfig(epochs=1, batch_size=10),
    ...                 ((x[:2000], y[:2000]), (xt[:500], yt[:500])))
    >>> len(hist), hist[0].test_accuracy > 0.5
    (1, True)
    """
    on_epoch = callbacks.pop("on_epoch", None)
    if on_epoch is not None:
        callbacks["on_epoch"] = lambda record, state: on_epoch(record)
    result = run(config, data, **callbacks)
    return result.network, result.history
