"""What :class:`SteepestClassifier` checks in ``X`` and ``y`` beyond scikit-learn's own checks.

scikit-learn's ``validate_data`` refuses NaN, infinities, strings and wrong
shapes.  The network adds its own limits, each said in one line:

* it computes in float32, so a float64 ``X`` must fit float32's range
  (about ±3.4e38): ``1e300`` would become ``inf`` and every output NaN;
* its defaults (the lecture's 15 sigmoid units with N(0, 1) weights) saturate
  on features far from a few units in size: :class:`BadlyScaledWarning`;
* a missing label (``None``, NaN) is not a class.

>>> as_rows(np.array([[1e300, 0.0]]))
Traceback (most recent call last):
...
ValueError: X has a value beyond float32's range (±3.4e+38): 1e+300 in row 0, column 0; \
the network computes in float32, where it would be infinite: scale X (e.g. StandardScaler)
"""

from __future__ import annotations

import warnings

import numpy as np

#: The largest float32: a float64 X beyond it becomes inf in the network.
FLOAT32_MAX = float(np.finfo(np.float32).max)
#: A feature whose root mean square exceeds this is "far outside a few units".
SCALE_LIMIT = 10.0
#: Rows sampled (evenly spaced) to measure the scale: a cheap look, not a full pass.
SCALE_SAMPLE = 1000


class BadlyScaledWarning(UserWarning):
    """``X`` has features far from unit scale: the network may predict one class for every row."""


def as_rows(X: np.ndarray) -> np.ndarray:
    """``X`` (validated by scikit-learn) as rows the network can batch: in float32's range, C order.

    A column-major ``X`` -- a DataFrame's values, or a ``StandardScaler``'s output
    of one -- is copied once into C-ordered float32, so that each mini-batch is
    a block of contiguous rows rather than a gather across columns (5-10x
    slower fits).  A C-ordered float32 or float64 ``X`` is used as it is:
    training casts each mini-batch (a float32 copy of a float64 MNIST would
    add 188 MB).

    Parameters
    ----------
    X : numpy.ndarray
        (N, n_features) float32 or float64, as scikit-learn's ``validate_data``
        returns it.

    Returns
    -------
    numpy.ndarray
        ``X`` itself when C-ordered, else a C-ordered float32 copy.

    Raises
    ------
    ValueError
        A value beyond float32's range (:func:`check_float32_range`).
    """
    check_float32_range(X)
    if X.flags.c_contiguous:
        return X
    return np.ascontiguousarray(X, dtype=np.float32)


def check_float32_range(X: np.ndarray) -> None:
    """ValueError naming the first value of ``X`` that float32 cannot hold (it would be inf).

    Parameters
    ----------
    X : numpy.ndarray
        (N, n_features), finite (scikit-learn checked it).

    Raises
    ------
    ValueError
        ``|x| > 3.4e38`` somewhere: the message gives its value, row and column.
    """
    if X.dtype.itemsize <= 4 or X.size == 0:
        return
    if X.max() <= FLOAT32_MAX and X.min() >= -FLOAT32_MAX:  # two passes, no temporary
        return
    row, col = np.argwhere(np.abs(X) > FLOAT32_MAX)[0]
    raise ValueError(f"X has a value beyond float32's range (±{FLOAT32_MAX:.2g}): "
                     f"{X[row, col]:g} in row {row}, column {col}; the network computes in "
                     "float32, where it would be infinite: scale X (e.g. StandardScaler)")


def check_outputs(log_proba: np.ndarray, X: np.ndarray) -> None:
    """ValueError when the network's outputs for some rows of ``X`` are not finite.

    With finite weights that happens only when ``x W`` overflows float32: rows
    of ``X`` far larger than anything the network was trained on.

    Parameters
    ----------
    log_proba : numpy.ndarray
        The log-probabilities, (N, n_classes).
    X : numpy.ndarray
        The rows they came from, (N, n_features).

    Raises
    ------
    ValueError
        Counting the rows, and naming the first and its largest ``|value|``.
    """
    bad = ~np.isfinite(log_proba).all(axis=1)
    if bad.any():
        row = int(np.argmax(bad))
        largest = float(np.abs(X[row]).max())
        raise ValueError(f"the network's output is not finite for {int(bad.sum())} row(s) of X "
                         f"(first: row {row}, whose largest |value| is {largest:g}): its sums "
                         "overflow float32; scale X as the training data was scaled")


def warn_if_badly_scaled(X: np.ndarray, names=None) -> str | None:
    r"""Warn (:class:`BadlyScaledWarning`) when a feature's root mean square exceeds SCALE_LIMIT.

    The root mean square :math:`\sqrt{\tfrac{1}{n} \sum_i x_i^2}` over up to
    :data:`SCALE_SAMPLE` evenly spaced rows measures how far a feature lies
    from 0, offset and spread alike: 1 after a ``StandardScaler``, at most 1
    for pixels / 255, hundreds for raw pixels or a tumour's area in square
    microns.  With N(0, 1) weights such inputs push every sigmoid unit to 0
    or 1 for every row, and the network predicts one class for all.

    Parameters
    ----------
    X : numpy.ndarray
        The training rows, (N, n_features).
    names : sequence of str or None, default None
        The feature names (a DataFrame's columns), for the message; None
        names columns by number.

    Returns
    -------
    str or None
        The worst feature in words, for an error that follows (a divergence);
        None if all is well (and nothing was warned).

    Warns
    -----
    BadlyScaledWarning
        Some feature's root mean square exceeds :data:`SCALE_LIMIT`.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True):
    ...     warn_if_badly_scaled(np.array([[0.5, 2000.0], [-0.5, 3000.0]]))
    'column 1 has a root mean square of 2.55e+03'
    >>> warn_if_badly_scaled(np.array([[0.5, 2.0], [-0.5, 3.0]])) is None
    True
    """
    if X.shape[0] == 0 or X.shape[1] == 0:
        return None
    sample = X[:: max(1, X.shape[0] // SCALE_SAMPLE)]
    rms = np.sqrt(np.mean(np.square(sample, dtype=np.float64), axis=0))  # (n_features,)
    far = np.flatnonzero(rms > SCALE_LIMIT)
    if far.size == 0:
        return None
    worst = int(far[np.argmax(rms[far])])
    name = f"feature {names[worst]!r}" if names is not None else f"column {worst}"
    worst_in_words = f"{name} has a root mean square of {rms[worst]:.3g}"
    warnings.warn(
        f"X is badly scaled for a neural network: {far.size} of {X.shape[1]} features have a "
        f"root mean square above {SCALE_LIMIT:g} ({worst_in_words}). Sigmoid units with "
        "N(0, 1) weights saturate on such inputs and may predict one class for every row; "
        "scale X first, e.g. make_pipeline(StandardScaler(), SteepestClassifier(...)).",
        BadlyScaledWarning, stacklevel=5)  # the caller of fit or partial_fit
    return worst_in_words


def check_labels(y, what: str = "y") -> None:
    """ValueError for a missing label (None, NaN, pandas' NA), a label that is not a string,
    number or boolean, or strings mixed with numbers.

    scikit-learn would let such labels through to a sort that fails with
    ``'<' not supported between instances of 'NoneType' and 'str'``, or stop
    at ``NA`` with ``boolean value of NA is ambiguous``.  Only an array of
    Python objects can hold them; any other ``y`` is left to scikit-learn.

    Parameters
    ----------
    y : array-like
        The labels, as given to ``fit``, ``partial_fit`` or ``score``.
    what : str, default "y"
        What to call them in the message (``"classes"`` for ``partial_fit``'s).

    Raises
    ------
    ValueError
        Naming the first bad label and its row.

    Examples
    --------
    >>> check_labels(np.array(["cat", None], dtype=object))
    Traceback (most recent call last):
    ...
    ValueError: y has a missing label (None) in row 1: every row needs a class; drop those \
rows or give them a class of their own
    """
    try:
        y = np.asarray(y)
    except (ValueError, TypeError):  # ragged: scikit-learn says so
        return
    if y.dtype.kind != "O" or y.ndim != 1:
        return  # a numeric NaN is scikit-learn's own "Input y contains NaN"
    for i, label in enumerate(y):
        if _missing(label):
            raise ValueError(f"{what} has a missing label ({label!r}) in row {i}: every row "
                             "needs a class; drop those rows or give them a class of their own")
        if not isinstance(label, (str, bool, int, float, np.generic)):
            raise ValueError(f"{what} has a label of type {type(label).__name__} ({label!r}) in "
                             f"row {i}: class labels are strings, numbers or booleans")
    strings = np.array([isinstance(label, str) for label in y], dtype=bool)
    if strings.any() and not strings.all():
        text, other = y[np.argmax(strings)], y[np.argmin(strings)]
        raise ValueError(f"{what} mixes strings with other labels ({text!r} and {other!r}, a "
                         f"{type(other).__name__}): make them all strings or all numbers")


def check_classes(classes) -> np.ndarray:
    """``partial_fit``'s ``classes``: a 1-D array of at least 2 distinct labels, none missing.

    Parameters
    ----------
    classes : array-like
        The labels as given.

    Returns
    -------
    numpy.ndarray
        The distinct labels, sorted.

    Raises
    ------
    ValueError
        Not 1-D, a missing, infinite or mixed label (:func:`check_labels`), or
        fewer than 2 distinct labels.
    """
    try:
        found = np.asarray(classes)
    except (ValueError, TypeError):  # ragged
        found = None
    if found is None or found.ndim != 1:
        raise ValueError(f"classes must be a 1-D list of labels, got {classes!r}")
    check_labels(found, "classes")
    if found.dtype.kind == "f" and not np.isfinite(found).all():
        raise ValueError(f"classes has a missing or infinite label: {classes!r}")
    found = np.unique(found)
    if found.size < 2:
        raise ValueError(f"classes must name at least 2 classes, got {classes!r}")
    return found


def _missing(label) -> bool:
    if label is None or type(label).__name__ in ("NAType", "NaTType"):  # pandas' missing values
        return True
    return isinstance(label, (float, np.floating)) and bool(np.isnan(label))
