"""Optimizers: rules that move parameters against their gradients.

An optimizer takes the flat list of :class:`~steepest.network.Parameter` once
and updates each ``value`` in place from its ``grad`` on every :meth:`~Optimizer.step`.
Backpropagation *overwrites* the gradients (it does not accumulate them), so
there is no ``zero_grad``.  Per-parameter state (velocities, moments) lives in
lists indexed like the parameters, never keyed by layer name, and
``state_dict()`` / ``load_state_dict()`` let a checkpoint resume a run bit for
bit.  ``learning_rate`` is a plain attribute, so a schedule can set it before
each step.

Each rule below is written out in full in its ``step``; ``g`` is ``dC/dv``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .network import Parameter


def _positive(name: str, value: float) -> float:
    v = float(value)
    if not np.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return v


def _fraction(name: str, value: float) -> float:
    v = float(value)
    if not 0 <= v < 1:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return v


class Optimizer:
    """Shared bookkeeping: the parameter list, the learning rate, state I/O."""

    #: Names of per-parameter state lists saved by :meth:`state_dict`.
    state_names: tuple[str, ...] = ()

    def __init__(self, params: Sequence[Parameter], learning_rate: float) -> None:
        self.params = list(params)
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.steps = 0  # updates applied so far (Adam's t)
        for name in self.state_names:
            setattr(self, name, [np.zeros_like(p.value) for p in self.params])

    def step(self) -> None:  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays that, with the parameters, let a run continue bit for bit."""
        state = {"steps": np.array(self.steps)}
        for name in self.state_names:
            for i, a in enumerate(getattr(self, name)):
                state[f"{name}{i}"] = a
        return state

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        self.steps = int(state["steps"])
        for name in self.state_names:
            for i, a in enumerate(getattr(self, name)):
                saved = state[f"{name}{i}"]
                if saved.shape != a.shape:
                    raise ValueError(
                        f"optimizer state {name}{i} has shape {saved.shape}, "
                        f"the network needs {a.shape}"
                    )
                a[...] = saved


class SGD(Optimizer):
    r"""Plain gradient descent, the lecture's rule, on mini-batches (ours).

    .. math::

        v \leftarrow v - \lambda g

    applied to every weight and bias, with :math:`\lambda` the learning rate and
    :math:`g` the gradient of the mini-batch loss.

    Parameters
    ----------
    params : Sequence[Parameter]
        the parameters to update, e.g. ``network.parameters()``.
    learning_rate : float
        ``lambda > 0``.

    Examples
    --------
    >>> p = Parameter("v", np.array([1.0, 2.0]), np.array([0.5, -1.0]))
    >>> SGD([p], learning_rate=0.1).step()
    >>> p.value.tolist()
    [0.95, 2.1]
    """

    def __init__(self, params: Sequence[Parameter], learning_rate: float = 0.1) -> None:
        super().__init__(params, learning_rate)
        # Room for lambda * g, reused every step: the update allocates nothing.
        self._scaled = [np.empty_like(p.grad) for p in self.params]

    def step(self) -> None:
        self.steps += 1
        lr = float(self.learning_rate)  # a Python float acts in each array's own dtype
        for p, scaled in zip(self.params, self._scaled):
            np.multiply(p.grad, lr, out=scaled)  # lambda * g
            p.value -= scaled  # in place: the network's own arrays change


class Momentum(Optimizer):
    r"""SGD with momentum (Polyak 1964; as in Sutskever et al. 2013, eq. 1).

    A velocity accumulates past gradients, so steps grow along directions the
    gradient keeps pointing in and oscillations across a valley cancel:

    .. math::

        u \leftarrow \mu u - \lambda g, \qquad v \leftarrow v + u

    Parameters
    ----------
    params : Sequence[Parameter]
        the parameters.
    learning_rate : float
        ``lambda > 0``.
    momentum : float
        ``mu`` in [0, 1); 0 is plain SGD.

    Examples
    --------
    >>> p = Parameter("v", np.array([1.0]), np.array([1.0]))
    >>> opt = Momentum([p], learning_rate=0.1, momentum=0.9)
    >>> opt.step(); opt.step()   # u = -0.1, then 0.9 * -0.1 - 0.1 = -0.19
    >>> round(float(p.value[0]), 6)
    0.71
    """

    state_names = ("velocity",)

    def __init__(
        self, params: Sequence[Parameter], learning_rate: float = 0.01, momentum: float = 0.9
    ) -> None:
        super().__init__(params, learning_rate)
        self.momentum = _fraction("momentum", momentum)

    def step(self) -> None:
        self.steps += 1
        for p, u in zip(self.params, self.velocity):
            t = p.value.dtype.type
            u *= t(self.momentum)
            u -= t(self.learning_rate) * p.grad  # u <- mu u - lambda g
            p.value += u  # v <- v + u


class Nesterov(Momentum):
    r"""Nesterov's accelerated gradient, in the form deep-learning libraries use.

    Nesterov (1983) evaluates the gradient at the look-ahead point :math:`v + \mu u`;
    Sutskever et al. (2013) and Bengio et al. (2013) rewrite it so that the
    gradient at the current parameters suffices:

    .. math::

        u \leftarrow \mu u - \lambda g, \qquad v \leftarrow v + \mu u - \lambda g

    >>> p = Parameter("v", np.array([1.0]), np.array([1.0]))
    >>> opt = Nesterov([p], learning_rate=0.1, momentum=0.9)
    >>> opt.step()               # u = -0.1; v = 1 + 0.9 * -0.1 - 0.1 = 0.81
    >>> round(float(p.value[0]), 6)
    0.81
    """

    def step(self) -> None:
        self.steps += 1
        for p, u in zip(self.params, self.velocity):
            t = p.value.dtype.type
            lr_g = t(self.learning_rate) * p.grad
            u *= t(self.momentum)
            u -= lr_g  # u <- mu u - lambda g
            p.value += t(self.momentum) * u - lr_g  # v <- v + mu u - lambda g


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015, Algorithm 1).

    Running averages of the gradient and its square give each parameter its
    own step size; the bias corrections undo the zero start of the averages:

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        s \leftarrow \beta_2 s + (1 - \beta_2) g^2 \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat s = s / (1 - \beta_2^t) \\
        v &\leftarrow v - \lambda \hat m / (\sqrt{\hat s} + \varepsilon)

    Parameters
    ----------
    params : Sequence[Parameter]
        the parameters.
    learning_rate : float
        ``lambda``, typically 1e-3.
    beta1, beta2 : float
        decay rates of the two averages, in [0, 1).
    eps : float
        keeps the division finite.

    Examples
    --------
    >>> p = Parameter("v", np.array([1.0]), np.array([2.0]))
    >>> Adam([p], learning_rate=0.1).step()  # first step: m_hat = g, s_hat = g^2
    >>> round(float(p.value[0]), 6)          # 1 - 0.1 * 2 / (2 + 1e-8)
    0.9
    """

    state_names = ("m", "s")

    def __init__(
        self,
        params: Sequence[Parameter],
        learning_rate: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, learning_rate)
        self.beta1 = _fraction("beta1", beta1)
        self.beta2 = _fraction("beta2", beta2)
        self.eps = _positive("eps", eps)

    def _adam_update(self, p: Parameter, m: np.ndarray, s: np.ndarray) -> None:
        t = p.value.dtype.type
        b1, b2 = self.beta1, self.beta2
        m *= t(b1)
        m += t(1 - b1) * p.grad  # m <- b1 m + (1 - b1) g
        s *= t(b2)
        s += t(1 - b2) * (p.grad * p.grad)  # s <- b2 s + (1 - b2) g^2
        # Fold both bias corrections into one step size (Kingma & Ba, end of sec. 2).
        step_size = self.learning_rate * np.sqrt(1 - b2**self.steps) / (1 - b1**self.steps)
        eps_hat = self.eps * np.sqrt(1 - b2**self.steps)
        p.value -= t(step_size) * m / (np.sqrt(s) + t(eps_hat))

    def step(self) -> None:
        self.steps += 1
        for p, m, s in zip(self.params, self.m, self.s):
            self._adam_update(p, m, s)


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter 2019, Algorithm 2).

    Instead of adding ``wd * v`` to the gradient (which Adam would rescale),
    the weights shrink directly, by an amount that follows the learning rate:

    :math:`v \leftarrow v - \lambda \cdot wd \cdot v`, then the Adam step.

    Biases are not decayed (only arrays named ``W``).

    >>> p = Parameter("W", np.array([1.0]), np.array([0.0]))
    >>> AdamW([p], learning_rate=0.1, weight_decay=0.5).step()  # 1 - 0.1 * 0.5 * 1
    >>> round(float(p.value[0]), 6)
    0.95
    """

    def __init__(
        self,
        params: Sequence[Parameter],
        learning_rate: float = 1e-3,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, learning_rate, beta1, beta2, eps)
        if not np.isfinite(weight_decay) or weight_decay < 0:
            raise ValueError(f"weight_decay must be >= 0, got {weight_decay!r}")
        self.weight_decay = float(weight_decay)

    def step(self) -> None:
        self.steps += 1
        for p, m, s in zip(self.params, self.m, self.s):
            if p.name == "W" and self.weight_decay:
                p.value *= p.value.dtype.type(1 - self.learning_rate * self.weight_decay)
            self._adam_update(p, m, s)


#: name -> optimizer class; serves the CLI and config files.
OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "momentum": Momentum,
    "nesterov": Nesterov,
    "adam": Adam,
    "adamw": AdamW,
}


def get(name: str) -> type[Optimizer]:
    """Look up an optimizer class by name."""
    try:
        return OPTIMIZERS[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown optimizer {name!r}; choose one of: {', '.join(OPTIMIZERS)}"
        ) from None
