"""Loss functions, each a pair: its value and its delta.

Following Nielsen's ``network2.py``, a loss gives two things:

* ``value(o, y)``: the number we minimise, averaged over the mini-batch;
* ``delta(o, y)``: ``dL/df``, the gradient with respect to the output layer's
  *pre-activation* ``f`` (the logits), which is where backpropagation starts.

Why the delta is with respect to ``f`` and not ``o``: for the pairs below, the
derivative of the output activation cancels against the derivative of the log
in the loss, leaving the famous ``o - y``:

* softmax output + negative log-likelihood (multi-class cross-entropy)
* sigmoid output + binary cross-entropy

(scikit-learn's ``_base.py`` makes the same remark.)  Any other pairing would
need the full chain ``dL/do * do/df``; steepest's output layer is always one
of these pairs, so the network never needs to know the loss.
"""

from __future__ import annotations

import numpy as np


def one_hot(y: np.ndarray, num_classes: int = 10, dtype=np.float32) -> np.ndarray:
    r"""Encode integer labels as one-hot rows.

    :math:`\mathrm{onehot}(y)_k = 1` if :math:`k = y`, else 0.

    Parameters
    ----------
    y : ndarray
        integer labels, shape ``(N,)``, each in ``[0, num_classes)``.
    num_classes : int
        number of classes K.
    dtype : data-type
        dtype of the result.

    Returns
    -------
    ndarray
        ``(N, K)`` array.

    Examples
    --------
    >>> one_hot(np.array([2, 0]), 3)
    array([[0., 0., 1.],
           [1., 0., 0.]], dtype=float32)
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels must be a 1-D array, got shape {y.shape}")
    if y.size and (y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)] if y.dtype.kind in "iuf" else y
        raise ValueError(
            f"labels must be integers in [0, {num_classes}), got {bad.ravel()[:5].tolist()!r}"
        )
    out = np.zeros((y.shape[0], num_classes), dtype=dtype)
    out[np.arange(y.shape[0]), y] = 1
    return out


#: Keras's name for :func:`one_hot`.
to_categorical = one_hot


#: Below this a float32 probability is subnormal (float32's smallest normal is 1.2e-38).
_SMALLEST_EXACT = 1e-30


class NLL:
    r"""Negative log-likelihood of softmax outputs, averaged over the batch.

    .. math::

        L = -\frac{1}{N} \sum_n \log o_{n, y_n}

    Its delta with respect to the logits :math:`f` (softmax's input) is

    .. math::

        \frac{\partial L}{\partial f} = \frac{o - \mathrm{onehot}(y)}{N}

    because :math:`\partial(-\log o_y) / \partial f_k
    = -\frac{1}{o_y} o_y (\delta_{yk} - o_k) = o_k - \delta_{yk}`:
    the gradient goes through both the log and the softmax, and they cancel.
    The ``1/N`` is from averaging over the mini-batch.

    Training computes the value from the logits,
    :math:`-\log o_y = \log \sum_j e^{f_j} - f_y`
    (see :func:`steepest.activations.log_softmax`): in float32 ``o_y`` rounds to 0
    once ``f_y`` trails the largest logit by about 104, and ``-log 0`` would report
    an infinite loss although the delta ``o - onehot(y)`` is perfectly fine.
    """

    name = "nll"

    @staticmethod
    def value(o: np.ndarray, y: np.ndarray, logits: np.ndarray | None = None) -> float:
        """Mean ``-log o[n, y_n]`` for probabilities ``o`` (N, K) and labels ``y`` (N,).

        With ``logits`` (the ``f`` with ``o = softmax(f)``), the value comes from
        them and is finite whenever they are; without, from ``o``, and it is
        honestly infinite where a true class's probability is exactly 0.
        """
        n = o.shape[0]
        rows = np.arange(n)
        picked = o[rows, y]  # (N,) probability of the right class
        # While every o_y is a normal number, -log o_y is as exact as the logits'
        # formula and costs half as much (this runs once per mini-batch); below,
        # o_y loses digits, and at 0 it would make the loss infinite.
        if logits is not None and not picked.min() > _SMALLEST_EXACT:
            # Non-finite logits (weights that blew up) give a NaN or inf value,
            # which is how training notices; no warning needed for that.
            with np.errstate(invalid="ignore", over="ignore"):
                m = logits.max(axis=1)  # (N,)
                log_sum = np.log(np.exp(logits - m[:, None]).sum(axis=1))  # (N,) in [0, log K]
                # -log o_y = (m - f_y) + log sum_j e^(f_j - m); float64, so that no gap
                # between two finite float32 logits can overflow.
                gaps = m.astype(np.float64) - logits[rows, y]
                return float((gaps + log_sum).sum() / n)
        with np.errstate(divide="ignore"):
            # sum / N is np.mean's own arithmetic, without its Python-level overhead.
            return -float(np.log(picked).sum() / n)

    @staticmethod
    def delta(o: np.ndarray, y: np.ndarray) -> np.ndarray:
        r""":math:`\partial L / \partial f = (o - \mathrm{onehot}(y)) / N`, shape (N, K).

        Computed as ``o / N - onehot(y) / N``: the division makes the new
        array, and the one-hot is subtracted where it is 1, without building it.
        """
        n = o.shape[0]
        d = o / n  # (N, K)
        d[np.arange(n), y] -= 1 / n
        return d


def nll(
    o: np.ndarray, y: np.ndarray, logits: np.ndarray | None = None
) -> tuple[float, np.ndarray]:
    """Value and delta of the negative log-likelihood: ``(L, dL/df)``.

    Pass ``logits`` (e.g. ``network.logits`` after ``network.forward``) to take
    the value from them, finite whenever they are (see :class:`NLL`).

    >>> o = np.array([[0.7, 0.2, 0.1]])
    >>> value, delta = nll(o, np.array([0]))
    >>> round(value, 4), delta.tolist()
    (0.3567, [[-0.30000000000000004, 0.2, 0.1]])
    """
    return NLL.value(o, y, logits), NLL.delta(o, y)
