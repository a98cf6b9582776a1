"""The training loop: data -> network -> loss (value, delta) -> backward -> step.

One epoch of mini-batch gradient descent: the lecture's update
``v <- v - lambda grad C``, with ``grad C`` the gradient over a mini-batch
(mini-batches are ours; the lecture does not speak of them):

1. shuffle the training set (with the caller's random generator);
2. cut it into mini-batches of ``batch_size`` rows;
3. for each: forward pass, loss and its delta, backpropagation, optional L2
   penalty, the optimizer's update with the scheduled learning rate, optional
   max-norm projection;
4. score the held-out set.

:func:`train` runs those epochs; :func:`run` wraps it with everything a real
run needs -- a validation split, early stopping, data augmentation,
checkpoints and resuming -- all driven by one :class:`TrainConfig`.
Nothing here prints: progress goes to ``on_batch`` / ``on_epoch`` callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from . import schedules
from .config import TrainConfig
from .losses import nll
from .network import Network
from .optimizers import OPTIMIZERS, Optimizer
from .regularizers import l2_penalty
from .regularizers import max_norm as apply_max_norm


class TrainingDiverged(ArithmeticError):
    """A logit, the loss or a weight became NaN or infinite; ``epoch`` is where.

    The loss is taken from the logits (see :class:`steepest.losses.NLL`), so it
    is finite whenever they are: a non-finite loss means non-finite logits,
    i.e. the weights themselves blew up -- not a merely confident network.
    """

    def __init__(self, epoch: int, loss: float, learning_rate: float, what: str = "loss") -> None:
        self.epoch, self.loss, self.learning_rate = epoch, loss, learning_rate
        super().__init__(
            f"training diverged in epoch {epoch}: {what} is {loss}; "
            f"try a smaller learning rate than {learning_rate:g}"
        )


class TrainingStopped(Exception):
    """Raised by a callback to end a run early (e.g. a cancel button)."""


def build_network(config: TrainConfig, n_in: int, n_out: int, rng: np.random.Generator) -> Network:
    return Network(
        (n_in, *config.hidden, n_out), activation=config.activation, init=config.init, rng=rng
    )


def build_optimizer(config: TrainConfig, network: Network) -> Optimizer:
    """The optimizer ``config`` names, holding ``network.parameters()``."""
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
class EpochRecord:
    epoch: int
    train_loss: float
    test_accuracy: float | None
    seconds: float
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
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


def train(
    network: Network,
    optimizer: Optimizer,
    x_train: np.ndarray,
    y_train: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    x_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    on_batch: Callable[[int, int, float], None] | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
    start_epoch: int = 1,
    epoch_data: Callable[[int], np.ndarray] | None = None,
    schedule: Callable[[int], float] | None = None,
    l2: float = 0.0,
    max_norm: float = 0.0,
    dropout: tuple[float, ...] | None = None,
) -> list[EpochRecord]:
    """Mini-batch gradient descent on the negative log-likelihood.

    Args:
        network: the model; its parameters are updated in place.
        optimizer: holds ``network.parameters()``; its ``step()`` applies the update.
        x_train: images, uint8 (N, 28, 28) or floats (N, 784).
        y_train: labels (N,).
        epochs: passes over the training set.
        batch_size: rows per gradient step.
        rng: shuffles the data and draws dropout masks; the same generator
            state gives the same run, bit for bit.
        x_test, y_test: scored after every epoch when given.
        on_batch: called as ``on_batch(epoch, batch_index, loss)`` after each step.
        on_epoch: called with each :class:`EpochRecord`.
        start_epoch: number of the first epoch (for resumed runs).
        epoch_data: when given, ``epoch_data(epoch)`` returns the images to
            train on in that epoch instead of ``x_train`` -- same shape, same
            row order, so ``y_train`` still labels them -- e.g. a
            :class:`steepest.augment.AugmentedEpochs` that distorts a fresh
            copy of ``x_train`` each epoch.  Its wait (if any) counts in the
            epoch's ``seconds``.
        schedule: learning rate for global step ``t`` (0-based, counted from
            epoch 1, so resumed runs continue the schedule); default: the
            optimizer's fixed ``learning_rate``.
        l2: L2 penalty coefficient (see :mod:`steepest.regularizers`).
        max_norm: if > 0, cap each unit's incoming-weight norm after every step.
        dropout: per-layer input dropout probabilities (see :meth:`Network.forward`).

    Returns:
        One :class:`EpochRecord` per epoch.

    Raises:
        TrainingDiverged: when a mini-batch loss (taken from the logits) or,
            at the end of an epoch, a weight is NaN or infinite; the network
            then holds the weights of the step that produced it.
    """
    if dropout is not None and not any(dropout):
        dropout = None
    steps_per_epoch = -(-x_train.shape[0] // batch_size)
    history = []
    for epoch in range(start_epoch, start_epoch + epochs):
        t0 = time.perf_counter()
        x_epoch = x_train if epoch_data is None else _checked_epoch_data(epoch_data, epoch, x_train)
        # Overflow is caught below and reported as TrainingDiverged: NumPy's
        # warnings about it would only say the same thing less clearly.
        with np.errstate(over="ignore", invalid="ignore"):
            mean_loss = _one_epoch(
                network, optimizer, x_epoch, y_train, batch_size, rng, epoch,
                first_step=(epoch - 1) * steps_per_epoch, schedule=schedule, l2=l2,
                max_norm=max_norm, dropout=dropout, on_batch=on_batch,
            )
        test_acc = None
        if x_test is not None and y_test is not None:
            test_acc = network.accuracy(x_test, y_test)
        record = EpochRecord(epoch, mean_loss, test_acc, time.perf_counter() - t0,
                             {"learning_rate": optimizer.learning_rate})
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history


def _one_epoch(network, optimizer, x, y, batch_size, rng, epoch, *, first_step, schedule, l2,
               max_norm, dropout, on_batch) -> float:
    """One pass of mini-batch gradient descent over ``x``; returns the mean loss."""
    params = network.parameters()
    total, count = 0.0, 0
    for i, (xb, yb) in enumerate(iterate_minibatches(x, y, batch_size, rng)):
        o = network.forward(xb, dropout, rng)  # (B, 10) probabilities
        loss, delta = nll(o, yb, network.logits)  # value from the logits; (o - onehot(y)) / B
        network.backward(delta)  # fills every Parameter.grad
        if l2:
            loss += l2_penalty(params, l2)  # C += (l2/2) sum W^2; grad += l2 W
        if not np.isfinite(loss):
            raise TrainingDiverged(epoch, loss, optimizer.learning_rate)
        if schedule is not None:
            optimizer.learning_rate = schedule(first_step + i)  # global step t
        optimizer.step()  # e.g. v <- v - lambda * grad
        if max_norm:
            apply_max_norm(params, max_norm)
        total += loss * xb.shape[0]
        count += xb.shape[0]
        if on_batch is not None:
            on_batch(epoch, i, loss)
    # A step whose gradient overflowed leaves non-finite weights; the next
    # step's logits would show it, but an epoch's last step has no next one.
    for k, p in enumerate(params):
        if not np.isfinite(p.value).all():
            raise TrainingDiverged(epoch, float("nan"), optimizer.learning_rate,
                                   f"a weight in {p.name}{k // 2 + 1}")
    return total / count


def _checked_epoch_data(
    epoch_data: Callable[[int], np.ndarray], epoch: int, x_train: np.ndarray
) -> np.ndarray:
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
        rng = np.random.default_rng(config.seed)
        network = build_network(config, n_in, n_out, rng)  # init draws come first from rng
        return cls(config, network, build_optimizer(config, network), rng)


@dataclass
class RunResult:
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
    """
    x, y = data
    if validation >= x.shape[0]:
        raise ValueError(
            f"validation must be smaller than the {x.shape[0]:,} training images, got {validation}"
        )
    return (x[:-validation], y[:-validation]), (x[-validation:], y[-validation:])


def check_labels(n_classes: int | None, *labels: np.ndarray | None) -> int:
    """The number of classes K, checked against every label array (``None``s are skipped).

    Labels are ints in ``[0, K)``; without ``n_classes``, K is one more than the
    largest label, and at least 2.

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

    1. hold out the last ``config.validation`` training images (if any);
    2. every epoch: train (on augmented copies if ``config.augment``), then
       score the validation set -- or, without one (our default), the test
       set, to watch it learn (the lecture scores nothing during training);
    3. keep the best validation weights; stop after ``patience`` epochs
       without improvement;
    4. restore the best weights and score the test set once.

    Args:
        config: the run's hyperparameters.
        data: ``(x_train, y_train), (x_test, y_test)`` as from ``mnist.load_data()``:
            images (N, H, W) or feature rows (N, n_in), labels 0 .. K-1.  The test
            part may be ``None`` (nothing is scored on a test set then).
        state: a :class:`TrainState` to continue (from a checkpoint); its
            ``config`` must equal ``config`` except for ``epochs``.
        n_classes: K, the output layer's size; default: one more than the
            largest label in the training and test sets (10 for MNIST).
        on_batch: ``on_batch(epoch, i, loss)`` after every step.
        on_epoch: ``on_epoch(record, state)`` after every epoch, when ``state``
            is consistent -- the place to save a checkpoint.  It may raise
            :class:`TrainingStopped` to end the run there.

    >>> from steepest.datasets import mnist
    >>> (x, y), (xt, yt) = mnist.load_data()
    >>> cfg = TrainConfig(epochs=2, batch_size=10, validation=500)
    >>> result = run(cfg, ((x[:3000], y[:3000]), (xt[:500], yt[:500])))
    >>> len(result.history), result.test_accuracy > 0.5, result.best_epoch in (1, 2)
    (2, True, True)
    """
    t0 = time.perf_counter()
    (x_train, y_train), test = data
    x_test, y_test = (None, None) if test is None else test
    n_out = state.network.sizes[-1] if state is not None else n_classes
    n_out = check_labels(n_out, y_train, y_test)
    if config.validation:
        (x_train, y_train), (x_val, y_val) = split_validation((x_train, y_train),
                                                              config.validation)
    else:
        x_val = y_val = None
    n_in = int(np.prod(x_train.shape[1:]))
    if state is None:
        state = TrainState.new(config, n_in, n_out)
    elif state.config.replace(epochs=config.epochs) != config:
        raise ValueError("the checkpoint's settings differ from this run's")
    state.config = config
    net = state.network
    steps_per_epoch = -(-x_train.shape[0] // config.batch_size)
    schedule = schedules.make(
        config.schedule, config.learning_rate, steps_per_epoch=steps_per_epoch,
        epochs=config.epochs, step_every=config.step_every, step_gamma=config.step_gamma,
        warmup_epochs=config.warmup_epochs,
    )
    dropout = (config.input_dropout,) + (config.dropout,) * len(config.hidden)

    augmenter = None
    if config.augment:
        from .augment import AugmentedEpochs

        augmenter = AugmentedEpochs(x_train, config.augment_config(), config.seed,
                                    start_epoch=state.epoch + 1, stop_epoch=config.epochs + 1)
    try:
        while state.epoch < config.epochs and not state.stopped_early:
            epoch = state.epoch + 1
            (record,) = train(
                net, state.optimizer, x_train, y_train, epochs=1, batch_size=config.batch_size,
                rng=state.rng, on_batch=on_batch, start_epoch=epoch, epoch_data=augmenter,
                schedule=schedule, l2=config.l2, max_norm=config.max_norm, dropout=dropout,
            )
            if x_val is not None:
                log_probs = net.predict_log_proba(x_val)  # (n_val, K), finite if the logits are
                val_acc = float(np.mean(log_probs.argmax(axis=1) == y_val))
                val_loss = -float(log_probs[np.arange(len(y_val)), y_val].mean(dtype=np.float64))
                if not np.isfinite(val_loss):
                    raise TrainingDiverged(epoch, val_loss, state.optimizer.learning_rate,
                                           "the validation loss")
                record.extra["val_accuracy"] = val_acc
                record.extra["val_loss"] = val_loss
                record.test_accuracy = None  # the test set is scored once, at the end
                if val_acc > state.best_score:
                    state.best_score, state.best_epoch = val_acc, epoch
                    state.best_weights = net.get_weights()
                    state.stale_epochs = 0
                else:
                    state.stale_epochs += 1
                if config.patience and state.stale_epochs >= config.patience:
                    state.stopped_early = True
                    record.extra["stopped_early"] = True
            else:
                if x_test is not None:
                    record.test_accuracy = net.accuracy(x_test, y_test)
                state.best_epoch = epoch
            state.epoch = epoch
            state.history.append(record)
            if on_epoch is not None:
                on_epoch(record, state)
    except TrainingStopped:
        pass
    finally:
        if augmenter is not None:
            augmenter.close()

    val_accuracy = None
    if x_val is not None and state.best_weights is not None:
        if config.restore_best:
            net.set_weights(state.best_weights)
            val_accuracy = state.best_score
        else:
            val_accuracy = net.accuracy(x_val, y_val)
            state.best_epoch = state.epoch
    test_accuracy = net.accuracy(x_test, y_test) if state.history and x_test is not None else None
    warning = None
    if state.history:
        warning = loss_warning(state.history[-1].train_loss, n_out, config.learning_rate,
                               config.l2)
    return RunResult(net, state.history, test_accuracy, val_accuracy, state.best_epoch,
                     state.stopped_early, time.perf_counter() - t0, warning)


def fit(config: TrainConfig, data, **callbacks) -> tuple[Network, list[EpochRecord]]:
    """Build the network ``config`` describes and train it on ``data``.

    A short form of :func:`run` for when only the network and its history matter.

    Args:
        config: the run's hyperparameters.
        data: ``(x_train, y_train), (x_test, y_test)`` as from ``mnist.load_data()``.
        callbacks: ``on_batch(epoch, i, loss)`` / ``on_epoch(record)``.

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
