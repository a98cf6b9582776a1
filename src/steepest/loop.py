"""The training loop: batch -> forward -> loss (value, delta) -> backward -> step.

One epoch of mini-batch gradient descent: the lecture's update
``v <- v - lambda grad C``, with ``grad C`` the gradient over a mini-batch
(mini-batches are ours; the lecture does not speak of them):

1. shuffle the training set (with the caller's random generator);
2. cut it into mini-batches of ``batch_size`` rows;
3. for each, the lecture's steps: forward pass, loss (its value and its delta),
   backpropagation, the optimizer's step -- with our additions between them: an
   optional L2 penalty, the scheduled learning rate, an optional max-norm projection;
4. score the held-out set.

:func:`train` runs those epochs; :func:`steepest.training.run` wraps it with
everything a real run needs -- a validation split, early stopping, data
augmentation, checkpoints and resuming.  Nothing here prints: progress goes to
``on_batch`` / ``on_epoch`` callbacks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .losses import nll
from .network import Network
from .optimizers import Optimizer
from .regularizers import l2_penalty
from .regularizers import max_norm as apply_max_norm


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
