"""The checks around a training run: its labels and validation split before, its loss after.

:func:`steepest.training.run` checks that every label is an int in ``[0, K)``
(:func:`check_labels`) and holds out the last training images for validation
(:func:`split_validation`); after the run, a finite mean loss far above the loss of
guessing is said plainly (:func:`loss_warning`), since it is not divergence but a
run gone wrong all the same.  ``steepest.training`` re-exports them.
"""

from __future__ import annotations

import numpy as np

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
