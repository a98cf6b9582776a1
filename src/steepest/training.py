"""The training loop, and a whole run around it, all driven by one :class:`TrainConfig`.

One epoch of mini-batch gradient descent (:func:`train`) is the lecture's update
``v <- v - lambda grad C``, with ``grad C`` the gradient over a mini-batch
(mini-batches are ours; the lecture does not speak of them):

1. shuffle the training set (with the caller's random generator);
2. cut it into mini-batches of ``batch_size`` rows;
3. for each, the lecture's steps: forward pass, loss (its value and its delta),
   backpropagation, the optimizer's step -- with our additions between them: an
   optional L2 penalty, the scheduled learning rate, an optional max-norm projection;
4. score the held-out set.

:func:`run` wraps those epochs with everything a real run needs -- a validation
split, early stopping, data augmentation, checkpoints and resuming -- each in a
helper named for what it does; :class:`TrainState` is everything that changes
during a run, which a checkpoint saves.  Nothing here prints: progress goes to
``on_batch`` / ``on_epoch`` callbacks.  The checks before and after a run (labels,
the validation split, a loss far above chance) are in :mod:`steepest.checks`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from . import schedules
from .checks import FAR_ABOVE_CHANCE, chance_loss, check_labels, loss_warning, split_validation
from .config import TrainConfig
from .losses import nll
from .network import Network
from .optimizers import OPTIMIZERS, Optimizer
from .regularizers import l2_penalty
from .regularizers import max_norm as apply_max_norm

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


class TrainingDiverged(ArithmeticError):
    """A logit, the loss or a weight became NaN or infinite; ``epoch`` is where.

    The loss is taken from the logits (see :class:`steepest.losses.NLL`), so it
    is finite whenever they are: a non-finite loss means non-finite logits,
    i.e. the weights themselves blew up -- not a merely confident network.

    Parameters
    ----------
    epoch : int
        the epoch in which it happened.
    loss : float
        the non-finite value.
    learning_rate : float
        the learning rate at the time, which the message suggests lowering.
    what : str
        what was not finite: ``"loss"``, ``"the validation loss"``, ``"a weight in W1"``.
    """

    def __init__(self, epoch: int, loss: float, learning_rate: float, what: str = "loss") -> None:
        self.epoch, self.loss, self.learning_rate = epoch, loss, learning_rate
        super().__init__(
            f"training diverged in epoch {epoch}: {what} is {loss}; "
            f"try a smaller learning rate than {learning_rate:g}"
        )


@dataclass
class EpochRecord:
    """What one epoch left behind: its number, mean training loss, score and time.

    ``extra`` holds what only some runs have: ``learning_rate``, ``val_accuracy``,
    ``val_loss``, ``stopped_early``; :meth:`to_dict` puts them beside the rest, as
    ``history.json`` stores them.
    """

    epoch: int
    train_loss: float
    test_accuracy: float | None
    seconds: float
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """The record as ``history.json`` stores it: the four fields, then ``extra``'s keys."""
        d = {
            "epoch": self.epoch,
            "train_loss": self.train_loss,
            "test_accuracy": self.test_accuracy,
            "seconds": self.seconds,
        }
        d.update(self.extra)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> EpochRecord:
        """The record :meth:`to_dict` gave ``d`` for (``test_accuracy`` may be missing)."""
        core = {"epoch", "train_loss", "test_accuracy", "seconds"}
        return cls(d["epoch"], d["train_loss"], d.get("test_accuracy"), d["seconds"],
                   {k: v for k, v in d.items() if k not in core})


def iterate_minibatches(
    x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator, dtype=np.float32
):
    """Yield shuffled ``(x_batch, y_batch)`` pairs covering ``x`` once.

    ``x`` stays uint8 in memory (47 MB for MNIST instead of 188 MB as float32);
    each batch's rows are gathered, then converted to floats in [0, 1], into
    reused buffers, so the hot loop allocates nothing.  (Gathering per batch
    rather than shuffling a whole copy each epoch touches the rows once, while
    they are in cache: 30 % less time per batch of 32, 40 % per 128.)  The yielded
    ``x_batch`` is overwritten by the next iteration: use it before asking for the next.

    Parameters
    ----------
    x : ndarray
        images, uint8 ``(N, 28, 28)`` (scaled by 1/255) or floats ``(N, n_in)``.
    y : ndarray
        labels ``(N,)``.
    batch_size : int
        rows per batch; the last batch holds what is left.
    rng : numpy.random.Generator
        draws the shuffle.
    dtype : numpy.dtype
        of the yielded ``x_batch``.

    Yields
    ------
    tuple of ndarray
        ``x_batch`` ``(B, n_in)`` of ``dtype`` and ``y_batch`` ``(B,)`` of ints.
    """
    n = x.shape[0]
    perm = rng.permutation(n)
    x_rows = x.reshape(n, -1)  # (N, 784); no shuffled copy of the whole set
    y_shuf = y[perm].astype(np.intp)
    scale = np.dtype(dtype).type(1 / 255) if x.dtype == np.uint8 else None
    raw = np.empty((batch_size, x_rows.shape[1]), dtype=x.dtype)
    buf = np.empty((batch_size, x_rows.shape[1]), dtype=dtype)
    for start in range(0, n, batch_size):
        rows = perm[start : start + batch_size]
        # This batch's images.  mode="clip": the indices (a permutation) are in range
        # anyway, and it lets take write straight into raw ("raise" would buffer).
        xb_raw = np.take(x_rows, rows, axis=0, out=raw[: rows.shape[0]], mode="clip")
        xb = buf[: xb_raw.shape[0]]
        if scale is None:
            xb[...] = xb_raw
        else:
            np.multiply(xb_raw, scale, out=xb)  # uint8 -> float32 in [0, 1], no temporary
        yield xb, y_shuf[start : start + batch_size]


def train(network: Network, optimizer: Optimizer, x_train: np.ndarray, y_train: np.ndarray, *,
          epochs: int, batch_size: int, rng: np.random.Generator,
          x_test: np.ndarray | None = None, y_test: np.ndarray | None = None,
          on_batch: Callable[[int, int, float], None] | None = None,
          on_epoch: Callable[[EpochRecord], None] | None = None, start_epoch: int = 1,
          epoch_data: Callable[[int], np.ndarray] | None = None,
          schedule: Callable[[int], float] | None = None, l2: float = 0.0, max_norm: float = 0.0,
          dropout: tuple[float, ...] | None = None) -> list[EpochRecord]:
    """Mini-batch gradient descent on the negative log-likelihood, ``epochs`` times over.

    Parameters
    ----------
    network, optimizer : Network, Optimizer
        the model, updated in place, and the optimizer holding its parameters.
    x_train, y_train : ndarray
        images, uint8 ``(N, 28, 28)`` or floats ``(N, 784)``, and their labels ``(N,)``.
    epochs, batch_size : int
        passes over the training set; rows per gradient step.
    rng : numpy.random.Generator
        shuffles the data and draws dropout masks: same state, same run, bit for bit.
    x_test, y_test : ndarray, optional
        scored after every epoch when given.
    on_batch, on_epoch : callable, optional
        ``on_batch(epoch, batch_index, loss)`` after each step; ``on_epoch(record)``.
    start_epoch : int
        the first epoch's number (a resumed run's).
    epoch_data : callable, optional
        ``epoch_data(epoch)``: that epoch's images instead of ``x_train`` (e.g. augmented).
    schedule : callable, optional
        the learning rate of global step ``t`` (0-based, from epoch 1).
    l2, max_norm : float
        the L2 penalty; a cap on each unit's incoming-weight norm (0: none).
    dropout : tuple of float, optional
        per-layer input dropout probabilities (see :meth:`Network.forward`).

    Returns
    -------
    list of EpochRecord
        one per epoch.

    Raises
    ------
    TrainingDiverged
        a loss (from the logits) or, at an epoch's end, a weight is not finite.
    """
    dropout = dropout if dropout is not None and any(dropout) else None
    history = []
    for epoch in range(start_epoch, start_epoch + epochs):
        t0 = time.perf_counter()
        x_epoch = x_train if epoch_data is None else _checked_epoch_data(epoch_data, epoch, x_train)
        mean_loss = _one_epoch(network, optimizer, x_epoch, y_train, batch_size, rng, epoch,
                               schedule=schedule, l2=l2, max_norm=max_norm, dropout=dropout,
                               on_batch=on_batch)
        scored = x_test is not None and y_test is not None
        record = EpochRecord(epoch, mean_loss, network.accuracy(x_test, y_test) if scored else None,
                             time.perf_counter() - t0, {"learning_rate": optimizer.learning_rate})
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history


def _one_epoch(network, optimizer, x, y, batch_size, rng, epoch, *, schedule, l2, max_norm,
               dropout, on_batch) -> float:
    """One pass of mini-batch gradient descent over ``x``; returns the mean loss.

    Overflow is caught by the checks below and reported as :class:`TrainingDiverged`:
    NumPy's warnings about it would only say the same thing less clearly.
    """
    params = network.parameters()
    first_step = (epoch - 1) * -(-x.shape[0] // batch_size)  # global step t, counted from epoch 1
    total, count = 0.0, 0
    with np.errstate(over="ignore", invalid="ignore"):
        for i, (xb, yb) in enumerate(iterate_minibatches(x, y, batch_size, rng)):  # a batch
            o = network.forward(xb, dropout, rng)  # forward: (B, 10) probabilities
            loss, delta = nll(o, yb, network.logits)  # loss from the logits; (o - onehot(y)) / B
            network.backward(delta)  # backward: fills every Parameter.grad
            if l2:
                loss += l2_penalty(params, l2)  # ours: C += (l2/2) sum W^2; grad += l2 W
            if not np.isfinite(loss):
                raise TrainingDiverged(epoch, loss, optimizer.learning_rate)
            if schedule is not None:
                optimizer.learning_rate = schedule(first_step + i)  # ours: global step t
            optimizer.step()  # e.g. v <- v - lambda * grad
            if max_norm:
                apply_max_norm(params, max_norm)  # ours
            total += loss * xb.shape[0]
            count += xb.shape[0]
            if on_batch is not None:
                on_batch(epoch, i, loss)
    _check_weights(params, epoch, optimizer.learning_rate)
    return total / count


def _check_weights(params: list, epoch: int, learning_rate: float) -> None:
    """Raise :class:`TrainingDiverged` if a weight is not finite.

    A step whose gradient overflowed leaves non-finite weights; the next step's
    logits would show it, but an epoch's last step has no next one.
    """
    for k, p in enumerate(params):
        if not np.isfinite(p.value).all():
            raise TrainingDiverged(epoch, float("nan"), learning_rate,
                                   f"a weight in {p.name}{k // 2 + 1}")


def _checked_epoch_data(
    epoch_data: Callable[[int], np.ndarray], epoch: int, x_train: np.ndarray
) -> np.ndarray:
    """``epoch_data(epoch)``, which must have ``x_train``'s shape."""
    x = epoch_data(epoch)
    if x.shape != x_train.shape:
        raise ValueError(
            f"epoch_data({epoch}) returned shape {x.shape}; expected x_train's {x_train.shape}"
        )
    return x


# ---------------------------------------------------------------------------
# A whole run: validation split, early stopping, augmentation, checkpoints.


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
