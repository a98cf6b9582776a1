"""The training loop: data -> network -> loss (value, delta) -> backward -> step.

One epoch of mini-batch gradient descent, as in the lecture:

1. shuffle the training set (with the caller's random generator);
2. cut it into mini-batches of ``batch_size`` rows;
3. for each: forward pass, loss and its delta, backpropagation, update;
4. score the test (or validation) set.

The loop never prints; it calls ``on_batch`` and ``on_epoch`` callbacks and
returns the history as a list of dicts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from .losses import nll
from .network import Network
from .optimizers import SGD


class TrainingDiverged(ArithmeticError):
    """The loss became NaN or infinite; ``epoch`` is where it happened."""

    def __init__(self, epoch: int, loss: float, learning_rate: float) -> None:
        self.epoch, self.loss, self.learning_rate = epoch, loss, learning_rate
        super().__init__(
            f"training diverged in epoch {epoch}: loss is {loss}; "
            f"try a smaller learning rate than {learning_rate:g}"
        )


@dataclass
class TrainConfig:
    """Every hyperparameter of a training run, in one place."""

    hidden: tuple[int, ...] = (15,)  # hidden layer sizes; (15,) is the lecture's 784-15-10
    activation: str = "sigmoid"  # hidden activation, see steepest.activations
    init: str = "normal"  # weight init: the lecture's N(0, 1), or scaled/xavier/he
    epochs: int = 40  # passes over the 60,000 training images
    batch_size: int = 32  # examples per gradient step
    learning_rate: float = 1.0  # lambda in v <- v - lambda * grad C
    seed: int = 0  # one seed for init and shuffling: same seed, same bits

    def __post_init__(self) -> None:
        self.hidden = tuple(int(h) for h in self.hidden)
        for h in self.hidden:
            if h < 1:
                raise ValueError(f"hidden sizes must be positive ints, got {self.hidden!r}")
        for name in ("epochs", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        lr = self.learning_rate
        if not isinstance(lr, (int, float)) or not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"learning_rate must be a positive number, got {lr!r}")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["hidden"] = list(self.hidden)
        return d


def build_network(config: TrainConfig, n_in: int, n_out: int, rng: np.random.Generator) -> Network:
    return Network(
        (n_in, *config.hidden, n_out), activation=config.activation, init=config.init, rng=rng
    )


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


def iterate_minibatches(
    x: np.ndarray, y: np.ndarray, batch_size: int, rng: np.random.Generator, dtype=np.float32
):
    """Yield shuffled ``(x_batch, y_batch)`` pairs covering ``x`` once.

    ``x`` stays uint8 in memory (47 MB for MNIST instead of 188 MB as float32);
    each batch is converted to floats in [0, 1] into one reused buffer, so the
    hot loop allocates nothing.  The yielded ``x_batch`` is overwritten by the
    next iteration: use it before asking for the next.
    """
    n = x.shape[0]
    perm = rng.permutation(n)
    x_shuf = x.reshape(n, -1)[perm]  # (N, 784) uint8: one gather per epoch, contiguous batches
    y_shuf = y[perm].astype(np.intp)
    scale = np.dtype(dtype).type(1 / 255) if x.dtype == np.uint8 else None
    buf = np.empty((batch_size, x_shuf.shape[1]), dtype=dtype)
    for start in range(0, n, batch_size):
        xb_raw = x_shuf[start : start + batch_size]
        xb = buf[: xb_raw.shape[0]]
        if scale is None:
            xb[...] = xb_raw
        else:
            np.multiply(xb_raw, scale, out=xb)  # uint8 -> float32 in [0, 1], no temporary
        yield xb, y_shuf[start : start + batch_size]


def train(
    network: Network,
    optimizer,
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
) -> list[EpochRecord]:
    """Mini-batch gradient descent on the negative log-likelihood.

    Args:
        network: the model; its parameters are updated in place.
        optimizer: holds ``network.parameters()``; its ``step()`` applies the update.
        x_train: images, uint8 (N, 28, 28) or floats (N, 784).
        y_train: labels (N,).
        epochs: passes over the training set.
        batch_size: rows per gradient step.
        rng: shuffles the data; the same generator state gives the same run, bit for bit.
        x_test, y_test: scored after every epoch when given.
        on_batch: called as ``on_batch(epoch, batch_index, loss)`` after each step.
        on_epoch: called with each :class:`EpochRecord`.
        start_epoch: number of the first epoch (for resumed runs).
        epoch_data: when given, ``epoch_data(epoch)`` returns the images to
            train on in that epoch instead of ``x_train`` -- same shape, same
            row order, so ``y_train`` still labels them -- e.g. a
            :class:`steepest.augment.AugmentedEpochs` that distorts a fresh
            copy of ``x_train`` each epoch.  ``x_train`` is then unused for
            training.  Its wait (if any) counts in the epoch's ``seconds``.

    Returns:
        One :class:`EpochRecord` per epoch.

    Raises:
        TrainingDiverged: when a mini-batch loss is NaN or infinite; the
            network then holds the weights of the step that produced it.
    """
    history = []
    for epoch in range(start_epoch, start_epoch + epochs):
        t0 = time.perf_counter()
        total, count = 0.0, 0
        x_epoch = x_train if epoch_data is None else _checked_epoch_data(epoch_data, epoch, x_train)
        for i, (xb, yb) in enumerate(iterate_minibatches(x_epoch, y_train, batch_size, rng)):
            o = network.forward(xb)  # (B, 10) probabilities
            loss, delta = nll(o, yb)  # scalar, (B, 10) = (o - onehot(y)) / B
            if not np.isfinite(loss):
                raise TrainingDiverged(epoch, loss, getattr(optimizer, "learning_rate", np.nan))
            network.backward(delta)  # fills every Parameter.grad
            optimizer.step()  # v <- v - lambda * grad
            total += loss * xb.shape[0]
            count += xb.shape[0]
            if on_batch is not None:
                on_batch(epoch, i, loss)
        test_acc = None
        if x_test is not None and y_test is not None:
            test_acc = network.accuracy(x_test, y_test)
        record = EpochRecord(epoch, total / count, test_acc, time.perf_counter() - t0)
        history.append(record)
        if on_epoch is not None:
            on_epoch(record)
    return history


def _checked_epoch_data(
    epoch_data: Callable[[int], np.ndarray], epoch: int, x_train: np.ndarray
) -> np.ndarray:
    x = epoch_data(epoch)
    if x.shape != x_train.shape:
        raise ValueError(
            f"epoch_data({epoch}) returned shape {x.shape}; expected x_train's {x_train.shape}"
        )
    return x


def fit(config: TrainConfig, data, **callbacks) -> tuple[Network, list[EpochRecord]]:
    """Build the network ``config`` describes and train it on ``data``.

    Args:
        config: the run's hyperparameters.
        data: ``(x_train, y_train), (x_test, y_test)`` as from ``mnist.load_data()``.
        callbacks: ``on_batch`` / ``on_epoch``, passed to :func:`train`.

    >>> from steepest.datasets import mnist
    >>> (x, y), (xt, yt) = mnist.load_data()
    >>> net, hist = fit(TrainConfig(epochs=1, batch_size=100, learning_rate=1.0),
    ...                 ((x[:2000], y[:2000]), (xt[:500], yt[:500])))
    >>> len(hist), hist[0].test_accuracy > 0.3
    (1, True)
    """
    (x_train, y_train), (x_test, y_test) = data
    rng = np.random.default_rng(config.seed)
    n_in = int(np.prod(x_train.shape[1:]))
    net = build_network(config, n_in, 10, rng)
    opt = SGD(net.parameters(), config.learning_rate)
    history = train(
        net, opt, x_train, y_train, epochs=config.epochs, batch_size=config.batch_size,
        rng=rng, x_test=x_test, y_test=y_test, **callbacks,
    )
    return net, history
