"""The capstone: the learner's own functions, put together, train the lecture's network.

:func:`check_training_step` takes one step of gradient descent with the
learner's ``init_network``, ``forward``, ``nll``, ``backward`` and ``sgd_step``
and the same step with steepest's :class:`~steepest.network.Network`, on the
same weights and the same batch, and compares them tensor by tensor -- exact,
close, largest difference -- in the spirit of the ``cmp`` of Karpathy's
"backprop ninja" notebook.  Each row is computed from steepest's inputs to
that stage, so one wrong piece shows up in its own row only.

:func:`train_yours` then trains the learner's network on all of MNIST with
their ``train_epoch`` and reports its test accuracy after every epoch.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ..blas import limit_blas_threads
from ..datasets import mnist
from ..losses import NLL
from ..network import Network
from ..optimizers import SGD
from . import solutions
from .feedback import NotWritten, Wrong, call

SIZES = (784, 15, 10)


@dataclass(frozen=True)
class Row:
    """One tensor of the comparison: the learner's against steepest's."""

    name: str
    shape: tuple[int, ...]
    exact: bool
    close: bool
    max_diff: float
    note: str = ""  # why there is no comparison: not written, raised, wrong shape


@dataclass
class StepComparison:
    """The rows of :func:`check_training_step`; true when every tensor is close."""

    rows: list[Row]
    whose: dict[str, bool] = field(default_factory=dict)  # function -> the learner's?

    def __bool__(self) -> bool:
        return all(r.close for r in self.rows)

    @property
    def passed(self) -> bool:
        return bool(self)

    def __str__(self) -> str:
        lines = [f"{'tensor':<10} {'shape':<11} {'exact':<6} {'close':<6} max difference"]
        for r in self.rows:
            diff = r.note or f"{r.max_diff:.2e}"
            lines.append(f"{r.name:<10} {str(r.shape):<11} {str(r.exact):<6} {str(r.close):<6} "
                         f"{diff}")
        steepest = [n for n, mine in self.whose.items() if not mine]
        if steepest:
            lines.append(f"(steepest's reference for: {', '.join(steepest)})")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        def cell(ok: bool) -> str:
            return f"<td style='color:{'#1a7f37' if ok else '#b3261e'}'>{'✓' if ok else '✗'}</td>"

        rows = "".join(
            f"<tr><td><code>{html.escape(r.name)}</code></td><td>{r.shape}</td>{cell(r.exact)}"
            f"{cell(r.close)}<td>{html.escape(r.note or f'{r.max_diff:.2e}')}</td></tr>"
            for r in self.rows)
        steepest = [n for n, mine in self.whose.items() if not mine]
        note = (f"<p>steepest’s reference used for: {html.escape(', '.join(steepest))}</p>"
                if steepest else "")
        return ("<table><thead><tr><th>tensor</th><th>shape</th><th>exact</th><th>close</th>"
                f"<th>max difference</th></tr></thead><tbody>{rows}</tbody></table>{note}")


def compare_tensor(name: str, got: object, want: np.ndarray) -> Row:
    """One row: is ``got`` exactly, or to 1e-6 relative, steepest's ``want``?"""
    want = np.asarray(want, dtype=np.float64)
    try:
        arr = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return Row(name, want.shape, False, False, np.inf, f"not an array: {type(got).__name__}")
    if arr.shape != want.shape:
        return Row(name, want.shape, False, False, np.inf, f"shape {arr.shape}, expected "
                                                           f"{want.shape}")
    diff = float(np.max(np.abs(arr - want))) if arr.size else 0.0
    return Row(name, want.shape, bool(np.array_equal(arr, want)),
               bool(np.allclose(arr, want, rtol=1e-6, atol=1e-9)), diff)


def _stage(names: tuple[str, ...], fn: Callable, args: tuple, wants: list) -> list[Row]:
    """Rows for one stage, or rows saying why it could not be compared."""
    try:
        got, _ = call(fn, *args, names=())
    except NotWritten as exc:
        note = f"{exc.args[0] or fn.__name__} is not written yet"
        return [Row(n, np.shape(w), False, False, np.inf, note) for n, w in zip(names, wants)]
    except Wrong as exc:
        return [Row(n, np.shape(w), False, False, np.inf, str(exc)) for n, w in zip(names, wants)]
    if len(names) == 1:
        got = [got]
    elif not isinstance(got, (list, tuple)) or len(got) != len(names):
        note = f"expected {len(names)} results, ({', '.join(names)})"
        return [Row(n, np.shape(w), False, False, np.inf, note) for n, w in zip(names, wants)]
    return [compare_tensor(n, g, w) for n, g, w in zip(names, got, wants)]


def check_training_step(init_network: Callable, forward: Callable, nll: Callable,
                        backward: Callable, sgd_step: Callable, *, batch_size: int = 32,
                        learning_rate: float = 1.0, seed: int = 0) -> StepComparison:
    """One step of training with the learner's functions against steepest's, tensor by tensor.

    The batch is the first ``batch_size`` training images (pixels / 255, float64); the
    weights are the learner's ``init_network((784, 15, 10), np.random.default_rng(seed))``,
    copied into a float64 :class:`~steepest.network.Network`.  Rows: ``h`` and ``o``
    (forward), ``L`` (nll), the four gradients (backward, given steepest's ``h`` and
    ``o``), and the four parameters after ``sgd_step`` (given steepest's gradients).
    """
    (x_train, y_train), _ = mnist.load_data()
    x = x_train[:batch_size].reshape(batch_size, 784) / 255.0  # (32, 784)
    y = y_train[:batch_size].astype(np.int64)  # (32,)
    whose = {f.__name__: f is not getattr(solutions, f.__name__, None)
             for f in (init_network, forward, nll, backward, sgd_step)}
    try:
        params, _ = call(init_network, SIZES, np.random.default_rng(seed), names=())
        params = [np.asarray(p, dtype=np.float64) for p in params]
        net = Network(SIZES, rng=np.random.default_rng(seed), dtype=np.float64)
        net.set_weights(params)
    except (NotWritten, Wrong, TypeError, ValueError) as exc:
        params = solutions.init_network(SIZES, np.random.default_rng(seed))
        net = Network(SIZES, rng=np.random.default_rng(seed), dtype=np.float64)
        whose["init_network"] = False
        del exc  # its own check says what is wrong; the step runs on steepest's weights
    o = net.forward(x).copy()  # (32, 10)
    h = net.layers[0].a.copy()  # (32, 15)
    loss = NLL.value(o, y)
    net.backward(NLL.delta(o, y))
    grads = [p.grad.copy() for p in net.parameters()]
    SGD(net.parameters(), learning_rate=learning_rate).step()
    names = ("W1", "b1", "W2", "b2")
    rows = _stage(("h", "o"), forward, ([p.copy() for p in params], x), [h, o])
    rows += _stage(("L",), nll, (o, y), [loss])
    rows += _stage(tuple(f"dL/d{n}" for n in names), backward,
                   ([p.copy() for p in params], x, y, h, o), grads)
    for name, p, g, new in zip(names, params, grads, net.get_weights()):
        rows += _stage((f"new {name}",), sgd_step, (p.copy(), g, learning_rate), [new])
    return StepComparison(rows, whose)


@dataclass
class CapstoneResult:
    """What :func:`train_yours` measured: test accuracy and seconds after each epoch."""

    accuracies: list[float]
    seconds: list[float]  # wall time since the start, after each epoch (evaluation included)
    message: str = ""  # why training stopped early or did not start
    params: list[np.ndarray] | None = None

    @property
    def test_accuracy(self) -> float:
        return self.accuracies[-1] if self.accuracies else float("nan")

    def network(self) -> Network:
        """The trained weights in a float64 :class:`~steepest.network.Network`, for its figures.

        Raises
        ------
        ValueError
            nothing was trained.
        """
        if self.params is None:
            raise ValueError(f"no trained network: {self.message}")
        net = Network(SIZES, rng=np.random.default_rng(0), dtype=np.float64)
        net.set_weights([np.asarray(p, dtype=np.float64) for p in self.params])
        return net

    def __str__(self) -> str:
        if not self.accuracies:
            return self.message
        lines = [f"epoch {i + 1:>2}: test accuracy {a:.2%} at {s:.1f} s"
                 for i, (a, s) in enumerate(zip(self.accuracies, self.seconds))]
        lines.append(f"your network: {self.test_accuracy:.2%} test accuracy after "
                     f"{len(self.accuracies)} epochs, {self.seconds[-1]:.1f} s"
                     + (f" ({self.message})" if self.message else ""))
        return "\n".join(lines)

    __repr__ = __str__


def _run(fn: Callable, *args: object) -> object:
    """``fn(*args)`` as it is (no copies: x is 60,000 images); a learner's error is Wrong."""
    try:
        return call(fn, *args, names=(), protect=False)[0]
    except NotWritten as exc:
        raise NotWritten(exc.args[0] or getattr(fn, "__name__", "a function")) from None


def train_yours(train_epoch: Callable, init_network: Callable, forward: Callable, *,
                epochs: int = 10, learning_rate: float = 1.0, batch_size: int = 32,
                seed: int = 0, time_limit: float = 60.0, progress: bool = True) -> CapstoneResult:
    """Train the learner's 784-15-10 network on MNIST's 60,000 images; test after each epoch.

    ``params = init_network((784, 15, 10), rng)``, then ``epochs`` times
    ``params = train_epoch(params, x, y, learning_rate, batch_size, rng)`` with
    ``rng = np.random.default_rng(seed)``, and the test accuracy of
    ``forward(params, x_test)``.  After the first epoch, none starts once
    ``time_limit`` seconds have passed.
    λ = 1, batches of 32 and 10 epochs are our choices (the lecture gives no
    values), the defaults of ``steepest train`` but for the epochs.  One BLAS
    thread: the products are small, and a second thread only waits (steepest.blas).
    ``progress`` shows a bar over the epochs (tqdm.auto: a widget in Jupyter).
    """
    from tqdm.auto import tqdm

    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    x = x_train.reshape(-1, 784) / np.float32(255)  # (60000, 784) float32
    xt = x_test.reshape(-1, 784) / np.float32(255)  # (10000, 784)
    y = y_train.astype(np.int64)
    rng = np.random.default_rng(seed)
    accuracies: list[float] = []
    seconds: list[float] = []
    start = time.perf_counter()
    params = None
    with limit_blas_threads(1), tqdm(total=epochs, desc="your network", unit="epoch",
                                     disable=not progress) as bar:
        try:
            params = _run(init_network, SIZES, rng)
            for _ in range(epochs):
                if accuracies and time.perf_counter() - start > time_limit:
                    return CapstoneResult(accuracies, seconds,
                                          f"stopped at the {time_limit:g}-s limit", params)
                params = _run(train_epoch, params, x, y, learning_rate, batch_size, rng)
                _, o = _run(forward, params, xt)
                accuracies.append(float(np.mean(np.argmax(o, axis=1) == y_test)))
                seconds.append(time.perf_counter() - start)
                bar.set_postfix(test=f"{accuracies[-1]:.2%}")
                bar.update()
        except NotWritten as exc:
            return CapstoneResult(accuracies, seconds,
                                  f"{exc.args[0]} is not written yet: nothing to train")
        except (Wrong, TypeError, ValueError) as exc:
            return CapstoneResult(accuracies, seconds, f"training stopped: {exc}", params)
    return CapstoneResult(accuracies, seconds, "", params)
