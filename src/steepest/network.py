"""A fully connected network with a softmax output, and backpropagation by hand.

The lecture's network is ``784 -> 15 sigmoid -> 10 softmax``:

    z = x W1 + b1          # (N, 15)   hidden pre-activation
    h = sigmoid(z)         # (N, 15)
    f = h W2 + b2          # (N, 10)   logits
    o = softmax(f)         # (N, 10)   class probabilities

Notation: **rows are examples.**  ``x`` is ``(N, 784)``, ``W1`` is
``(784, 15)``, so a layer is ``x W + b``.  The lecture writes one example as a
column vector and the layer as ``W x + b`` with ``W`` of shape ``(15, 784)``;
our ``W`` is its transpose, which lets one matrix product handle a whole
mini-batch.

Backpropagation, starting from the loss's delta ``dL/df = (o - onehot(y)) / N``
(see :mod:`steepest.losses`):

    dL/dW2 = h^T  dL/df                 # (15, N) @ (N, 10) -> (15, 10)
    dL/db2 = sum over rows of dL/df     # (10,)
    dL/dh  = dL/df W2^T                 # (N, 10) @ (10, 15) -> (N, 15)
    dL/dz  = dL/dh * h (1 - h)          # sigmoid' through its output
    dL/dW1 = x^T dL/dz                  # (784, N) @ (N, 15) -> (784, 15)
    dL/db1 = sum over rows of dL/dz     # (15,)

The network never sees the loss: :meth:`Network.backward` takes ``dL/df``.
Backward uses the ``x``, ``h`` and ``o`` that the last forward saved, so call
forward on the same batch first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import activations as act
from .summary import summary_html, summary_text

#: Weight initialisations.  Each returns the standard deviation of W and
#: whether the biases are drawn from N(0, 1) (True) or set to zero (False).
INITS = {
    # The lecture's: every weight and bias from N(0, 1).
    "normal": lambda n_in, n_out: (1.0, True),
    # Nielsen's network2 default: W ~ N(0, 1/n_in) keeps z ~ N(0, 1) at the start,
    # so sigmoid units do not begin saturated; biases stay N(0, 1).
    "scaled": lambda n_in, n_out: (1.0 / np.sqrt(n_in), True),
    # Glorot & Bengio (2010): Var(W) = 2 / (n_in + n_out).
    "xavier": lambda n_in, n_out: (np.sqrt(2.0 / (n_in + n_out)), False),
    # He et al. (2015), for ReLU: Var(W) = 2 / n_in.
    "he": lambda n_in, n_out: (np.sqrt(2.0 / n_in), False),
}
INITS["glorot"] = INITS["xavier"]


@dataclass
class Parameter:
    """A trainable array and the gradient of the loss with respect to it.

    Optimizers hold a flat list of these and update ``value`` in place.
    """

    name: str
    value: np.ndarray
    grad: np.ndarray


class Dense:
    """One fully connected layer: ``a = f(x W + b)``.

    Parameters
    ----------
    n_in : int
        inputs per example.
    n_out : int
        units.
    activation : str
        a name from :data:`steepest.activations.ACTIVATIONS`, or ``"softmax"`` for an
        output layer.  Forward runs its in-place form and backward its derivative
        through the output (:data:`~steepest.activations.IN_PLACE`,
        :data:`~steepest.activations.DERIVATIVES_FROM_OUTPUT`).
    rng : numpy.random.Generator
        source of the initial weights.
    init : str
        a name from :data:`INITS`.
    dtype : numpy.dtype
        float32 for speed, float64 for gradient checks.

    Examples
    --------
    >>> layer = Dense(3, 2, "sigmoid", np.random.default_rng(0))
    >>> layer.forward(np.ones((4, 3), dtype=np.float32)).shape
    (4, 2)
    """

    def __init__(
        self,
        n_in: int,
        n_out: int,
        activation: str,
        rng: np.random.Generator,
        init: str = "normal",
        dtype=np.float32,
    ) -> None:
        for label, n in (("n_in", n_in), ("n_out", n_out)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
                raise ValueError(f"{label} must be a positive int, got {n!r}")
        if activation != "softmax":
            act.get(activation)  # raises ValueError listing valid names
        if init not in INITS:
            raise ValueError(f"unknown init {init!r}; choose one of: {', '.join(INITS)}")
        self.activation = activation
        self.init = init
        std, random_bias = INITS[init](n_in, n_out)
        W = rng.standard_normal((n_in, n_out)) * std
        b = rng.standard_normal(n_out) if random_bias else np.zeros(n_out)
        self.W = Parameter("W", W.astype(dtype), np.zeros((n_in, n_out), dtype))
        self.b = Parameter("b", b.astype(dtype), np.zeros(n_out, dtype))
        # The forms of f that training runs, each right under the readable one in
        # steepest.activations (sigmoid_ and sigmoid_prime_out under sigmoid):
        self._f_ = act.IN_PLACE[activation]  # f, written over z's memory
        self._f_prime = None if activation == "softmax" else act.DERIVATIVES_FROM_OUTPUT[
            activation
        ]  # f' through the output a = f(z), all that backward needs
        self.x: np.ndarray | None = None  # input saved by forward, for backward
        self.z: np.ndarray | None = None  # an output layer's logits, saved by forward
        self.a: np.ndarray | None = None  # output saved by forward, for f'
        self._buffers: dict[str, np.ndarray] = {}  # see _buffer

    @property
    def n_in(self) -> int:
        """Inputs per example."""
        return self.W.value.shape[0]

    @property
    def n_out(self) -> int:
        """Units."""
        return self.W.value.shape[1]

    def parameters(self) -> list[Parameter]:
        """``[W, b]``."""
        return [self.W, self.b]

    def __getstate__(self) -> dict:
        # A pickled layer is its weights, not the scratch of its last pass: a smaller
        # pickle, and a copy whose buffers are fresh (never read-only, e.g. memory-mapped).
        return {**self.__dict__, "x": None, "z": None, "a": None, "_buffers": {}}

    def _buffer(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A ``(rows, cols)`` scratch array that is reused from call to call.

        Training calls forward and backward thousands of times per epoch with
        the same batch size.  Writing into the same memory every time, rather
        than into new arrays, saves the allocations -- for large layers, fresh
        pages from the OS -- and keeps the data in cache.  The array grows for
        a larger batch; a smaller one uses its first rows, still contiguous.
        """
        buf = self._buffers.get(name)
        if buf is None or buf.shape[0] < rows:
            buf = self._buffers[name] = np.empty((rows, cols), self.W.value.dtype)
        return buf[:rows]

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``a = f(x W + b)``; saves ``x`` and ``a`` for :meth:`backward`.

        A hidden layer writes ``a`` into a buffer that its next ``forward``
        overwrites (copy it to keep it); a softmax (output) layer returns a new
        array each time and keeps its logits ``z`` in such a buffer.
        """
        output = self._f_prime is None
        z = self._buffer("z" if output else "a", x.shape[0], self.n_out)
        np.matmul(x, self.W.value, out=z)  # (N, n_in) @ (n_in, n_out) -> (N, n_out)
        z += self.b.value  # broadcast the bias over the rows
        if output:
            # Keep the logits: the loss is taken from them (see steepest.losses.NLL),
            # and o = softmax(f) is a new array, the caller's to keep.
            self.z = z
            z = z.copy()
        self.x, self.a = x, self._f_(z)  # a = f(z), in z's memory
        return self.a

    def infer(self, x: np.ndarray) -> np.ndarray:
        """``f(x W + b)`` in a new array -- for an output layer its logits ``z`` -- saving nothing.

        :meth:`forward`'s arithmetic, bit for bit, without its side effects: no
        saved ``x``, ``a`` or ``z`` and no scratch buffer, so threads may call it
        on one layer at once.
        """
        z = x @ self.W.value  # (N, n_in) @ (n_in, n_out) -> (N, n_out), a new array
        z += self.b.value
        return z if self._f_prime is None else self._f_(z)  # f in z's (own) memory

    def backward(self, grad_a: np.ndarray, need_grad_x: bool = True) -> np.ndarray | None:
        """Given ``dL/da`` (N, n_out), store ``dL/dW``, ``dL/db``; return ``dL/dx``.

        backward uses the x and activations that the last forward saved: call
        forward on the same batch first.  A ``grad_a`` whose shape is not the
        saved ``a``'s, or a call before any forward, is an error.

        ``grad_a`` is not modified.  The returned ``dL/dx`` is a buffer that
        the next ``backward`` overwrites.
        """
        self._check_grad(grad_a, self.a, "dL/da")
        return self._backward(grad_a, need_grad_x)

    def _backward(self, grad_a: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        """:meth:`backward` without the checks (:class:`Network` checks its delta once)."""
        if self._f_prime is None:
            grad_z = act.softmax_backward(self.a, grad_a)
        else:
            grad_z = self._buffer("grad_z", grad_a.shape[0], self.n_out)
            np.multiply(grad_a, self._f_prime(self.a), out=grad_z)  # chain rule through f
        return self._backward_z(grad_z, need_grad_x)

    def backward_z(self, grad_z: np.ndarray, need_grad_x: bool = True) -> np.ndarray | None:
        """Given ``dL/dz`` (N, n_out), store ``dL/dW``, ``dL/db``; return ``dL/dx``.

        ``z = x W + b`` so ``dL/dW = x^T dL/dz``, ``dL/db = sum_n dL/dz[n]`` and
        ``dL/dx = dL/dz W^T``, with the ``x`` that the last forward saved.
        """
        self._check_grad(grad_z, self.x, "dL/dz")
        return self._backward_z(grad_z, need_grad_x)

    def _backward_z(self, grad_z: np.ndarray, need_grad_x: bool) -> np.ndarray | None:
        """:meth:`backward_z` without the checks."""
        np.matmul(self.x.T, grad_z, out=self.W.grad)  # (n_in, N) @ (N, n_out)
        grad_z.sum(axis=0, out=self.b.grad)  # (n_out,)
        if not need_grad_x:  # the first layer's dL/dx is never used: skip a matmul
            return None
        grad_x = self._buffer("grad_x", grad_z.shape[0], self.n_in)
        return np.matmul(grad_z, self.W.value.T, out=grad_x)  # (N, n_out) @ (n_out, n_in)

    def _check_grad(self, grad: np.ndarray, saved: np.ndarray | None, name: str) -> None:
        """``grad`` must be (N, n_out) for the N rows ``saved`` (from forward) has."""
        if saved is None:
            raise RuntimeError(f"backward before forward: this layer holds no saved batch; "
                               f"call forward on the batch first, then backward with its {name}")
        if grad.shape != (saved.shape[0], self.n_out):
            raise ValueError(shape_problem(name, grad.shape, self.n_out, saved.shape))


def shape_problem(name: str, shape: tuple, n_out: int, saved: tuple) -> str:
    """Why a gradient of ``shape`` does not fit: wrong columns, or another batch's rows."""
    if len(shape) != 2 or shape[1] != n_out:
        return (f"{name} must have shape (N, {n_out}), one column per output unit; "
                f"got {shape}")
    return (f"{name} of shape {shape} has {shape[0]} rows, but the last forward saw a batch "
            f"of {saved[0]} (input {saved}): backward uses what that forward saved, "
            "so call forward on the same batch first")


class Network:
    """A stack of :class:`Dense` layers ending in softmax.

    Parameters
    ----------
    sizes : Sequence[int]
        units per layer, input first: ``(784, 15, 10)`` is the lecture's.
    activation : str or Sequence[str]
        hidden activation name (one for all hidden layers, or a sequence with one per
        hidden layer).
    init : str
        weight initialisation, a name from :data:`INITS`.
    rng : numpy.random.Generator, optional
        the same seed gives the same weights; default: a fresh, unseeded generator.
    dtype : numpy.dtype
        ``np.float32`` (default, fast) or ``np.float64`` (gradient checks).

    Examples
    --------
    >>> net = Network((784, 15, 10), rng=np.random.default_rng(0))
    >>> net.num_parameters(), [p.value.size for p in net.parameters()]
    (11935, [11760, 15, 150, 10])
    >>> net.forward(np.zeros((2, 784), np.float32)).sum(axis=1).round(6).tolist()
    [1.0, 1.0]
    """

    def __init__(
        self,
        sizes: Sequence[int] = (784, 15, 10),
        activation: str | Sequence[str] = "sigmoid",
        init: str = "normal",
        rng: np.random.Generator | None = None,
        dtype=np.float32,
    ) -> None:
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes needs an input and an output size, got {sizes!r}")
        if rng is None:
            rng = np.random.default_rng()
        elif not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        n_hidden = len(sizes) - 2
        if isinstance(activation, str):
            hidden = [activation] * n_hidden
        else:
            hidden = list(activation)
            if len(hidden) != n_hidden:
                raise ValueError(
                    f"got {len(hidden)} activations for {n_hidden} hidden layers: {hidden!r}"
                )
        for name in hidden:
            if name not in act.HIDDEN_ACTIVATIONS:
                raise ValueError(
                    f"unknown hidden activation {name!r}; "
                    f"choose one of: {', '.join(act.HIDDEN_ACTIVATIONS)}"
                )
        self.sizes = sizes
        self.activations = hidden + ["softmax"]
        self.init = init
        self.dtype = np.dtype(dtype)
        self.layers = [
            Dense(n_in, n_out, f, rng, init, dtype)
            for n_in, n_out, f in zip(sizes[:-1], sizes[1:], self.activations)
        ]
        self._masks: list[np.ndarray | None] = [None] * len(self.layers)  # dropout, per forward

    def parameters(self) -> list[Parameter]:
        """All parameters, in order ``W1, b1, W2, b2, ...``."""
        return [p for layer in self.layers for p in layer.parameters()]

    def num_parameters(self) -> int:
        """Weights and biases, all told: 11,935 for the lecture's network."""
        return sum(p.value.size for p in self.parameters())

    def forward(
        self,
        x: np.ndarray,
        dropout: Sequence[float] | None = None,
        rng: np.random.Generator | None = None,
    ) -> np.ndarray:
        """Class probabilities ``o`` (N, K) for inputs ``x`` (N, n_in).

        Parameters
        ----------
        x : ndarray
            inputs, one example per row.
        dropout : Sequence[float], optional
            for training only: ``dropout[i]`` is the probability of zeroing each input
            of layer ``i`` (so ``dropout[0]`` drops pixels and ``dropout[1]`` drops the
            first hidden layer's units).  Inverted dropout (Srivastava et al. 2014):
            survivors are scaled by ``1 / (1 - p)``, so nothing changes at test time.
        rng : numpy.random.Generator, optional
            draws the dropout masks; required when ``dropout`` is given.

        Returns
        -------
        ndarray
            ``o = softmax(f)``, a new array; the logits ``f`` stay in :attr:`logits`.
        """
        self._check_input(x)
        self._masks = [None] * len(self.layers)
        a = x
        for i, layer in enumerate(self.layers):
            if dropout is not None and dropout[i] > 0:
                keep = 1.0 - dropout[i]
                mask = rng.random(a.shape, dtype=np.float32) < keep  # (N, n_in of layer i)
                self._masks[i] = mask.astype(a.dtype) * a.dtype.type(1 / keep)
                a = a * self._masks[i]  # a new array: layer i-1 keeps its own output for f'
            a = layer.forward(a)  # (N, n_out) of that layer
        return a

    @property
    def logits(self) -> np.ndarray:
        """The last :meth:`forward`'s logits ``f`` (N, K), before the softmax.

        Overwritten by the next ``forward``; copy them to keep them.
        """
        return self.layers[-1].z

    def backward(self, delta: np.ndarray) -> None:
        """Backpropagate ``delta = dL/df`` (N, K), filling every ``Parameter.grad``.

        ``delta`` is the gradient with respect to the output layer's
        pre-activation (the logits), as returned by a loss's ``delta``.

        backward uses the x and activations that the last forward saved: call
        forward on the same batch first.  It cannot tell two batches of the same
        size apart, but a call before any forward, or a ``delta`` whose shape is
        not the last forward's ``(N, K)``, raises an error naming the shapes.
        """
        first = self.layers[0].x  # the last forward's input (N, n_in)
        if first is None:
            raise RuntimeError("backward before forward: call forward on the batch first, "
                               "then backward with the delta of its loss")
        if delta.shape != (first.shape[0], self.sizes[-1]):
            raise ValueError(shape_problem("delta", delta.shape, self.sizes[-1], first.shape))
        last = len(self.layers) - 1
        masks = self._masks
        # Checked once, above: the layers' own checks would only repeat it.
        grad = self.layers[last]._backward_z(delta, last > 0)  # dL/dh (N, n_hidden)
        for i in range(last - 1, -1, -1):
            if masks[i + 1] is not None:
                grad *= masks[i + 1]  # through dropout: dropped units pass no gradient
            grad = self.layers[i]._backward(grad, i > 0)  # dL/d(input of layer i)

    def infer(self, x: np.ndarray) -> list[np.ndarray]:
        """Every layer's output for ``x`` (N, n_in), in new arrays: ``[h1, ..., f]``.

        The hidden layers' activations, then the logits ``f`` (N, K) -- before
        the softmax, so that ``log o`` can be taken from them.  The arithmetic
        of :meth:`forward`, bit for bit, but ``infer`` writes nothing to the
        network (forward saves each layer's input and output for backward, in
        buffers it reuses): any number of threads may predict with one network
        at once.  :meth:`predict_proba`, :meth:`predict_log_proba` and
        :meth:`predict` use it; training uses forward, whose buffers save the
        allocations.

        >>> net = Network((4, 3, 2), rng=np.random.default_rng(0))
        >>> [a.shape for a in net.infer(np.zeros((5, 4), np.float32))]
        [(5, 3), (5, 2)]
        """
        self._check_input(x)
        outputs = []
        for layer in self.layers:
            x = layer.infer(x)  # (N, n_out) of that layer
            outputs.append(x)
        return outputs

    def _check_input(self, x: np.ndarray) -> None:
        """Refuse an ``x`` that is not (N, n_in), naming its shape (forward's and infer's check)."""
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"expected input of shape (N, {self.sizes[0]}), got {x.shape}")

    def predict_proba(self, x: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        """Probabilities for images or vectors, in chunks to bound memory.

        Accepts uint8 pixels (scaled by 1/255) or floats in [0, 1], shaped
        ``(N, 28, 28)`` or ``(N, 784)``.  Safe to call from several threads
        at once (see :meth:`infer`).
        """
        return self._predict(x, batch_size, log=False)

    def predict_log_proba(self, x: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        """``log o`` (N, K) from the logits, finite wherever they are, even where ``o`` is 0.

        Takes the same inputs as :meth:`predict_proba`.
        """
        return self._predict(x, batch_size, log=True)

    def _predict(self, x: np.ndarray, batch_size: int, log: bool) -> np.ndarray:
        x = np.asarray(x)
        x = x.reshape(x.shape[0], -1) if x.ndim > 2 else x
        out = []
        for start in range(0, x.shape[0], batch_size):
            chunk = to_float(x[start : start + batch_size], self.dtype)
            f = self.infer(chunk)[-1]  # (n, K) logits, a new array
            out.append(act.log_softmax(f) if log else act.softmax_(f))
        if not out:
            return np.zeros((0, self.sizes[-1]), self.dtype)
        return np.concatenate(out)

    def predict(self, x: np.ndarray, batch_size: int = 2000) -> np.ndarray:
        """Most probable class for each example, shape (N,)."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        """Fraction of examples classified correctly."""
        return float(np.mean(self.predict(x) == y))

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all parameter arrays, ``[W1, b1, W2, b2, ...]``."""
        return [p.value.copy() for p in self.parameters()]

    def set_weights(self, arrays: Sequence[np.ndarray]) -> None:
        """Copy ``arrays`` into the parameters (shapes must match)."""
        params = self.parameters()
        if len(arrays) != len(params):
            raise ValueError(f"expected {len(params)} arrays, got {len(arrays)}")
        for p, a in zip(params, arrays):
            if a.shape != p.value.shape:
                raise ValueError(f"{p.name}: expected shape {p.value.shape}, got {a.shape}")
            p.value[...] = a

    def describe(self) -> str:
        """One line: ``784 -> 15 sigmoid -> 10 softmax (11,935 parameters)``."""
        parts = [str(self.sizes[0])] + [
            f"{n} {f}" for n, f in zip(self.sizes[1:], self.activations)
        ]
        return " -> ".join(parts) + f" ({self.num_parameters():,} parameters)"

    def summary(self) -> str:
        """Layers, output shapes and parameter counts, like Keras's ``model.summary()``.

        Returns the table (see :mod:`steepest.summary`): ``print(net.summary())``.
        """
        return summary_text(self)

    def _repr_html_(self) -> str:
        """The summary as an HTML table: what Jupyter shows for a network."""
        return summary_html(self)


def to_float(x: np.ndarray, dtype=np.float32) -> np.ndarray:
    """uint8 pixels 0..255 -> floats in [0, 1]; float input is only cast."""
    dtype = np.dtype(dtype)
    if x.dtype == np.uint8:
        return x.astype(dtype) * dtype.type(1 / 255)
    return x.astype(dtype, copy=False)
