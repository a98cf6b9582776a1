"""How good is a classifier: accuracy, the confusion matrix, its worst mistakes.

Pure functions of labels and predicted probabilities; the CLI, the figures
and the web lab all count the same way.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(y_true: np.ndarray, y_pred: np.ndarray, num_classes: int = 10) -> np.ndarray:
    """Counts ``M[i, j]`` of examples with true class ``i`` predicted as ``j``.

    The diagonal holds the correct answers, so accuracy is ``trace(M) / sum(M)``
    and row ``i``'s diagonal share is class ``i``'s accuracy.

    >>> confusion_matrix(np.array([0, 1, 1]), np.array([0, 1, 0]), 2).tolist()
    [[1, 0], [1, 1]]
    """
    m = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(m, (np.asarray(y_true, dtype=np.intp), np.asarray(y_pred, dtype=np.intp)), 1)
    return m


def mistakes(probs: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """Indices of the misclassified examples, most confident mistake first.

    Parameters
    ----------
    probs : ndarray
        predicted class probabilities, (N, K).
    y_true : ndarray
        labels, (N,).

    Returns
    -------
    ndarray
        Indices ``i`` with ``argmax(probs[i]) != y_true[i]``, sorted by the
        probability given to the wrong answer, highest first (ties keep order).

    Examples
    --------
    >>> mistakes(np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]), np.array([1, 1, 1])).tolist()
    [0, 2]
    """
    pred = probs.argmax(axis=1)
    wrong = np.flatnonzero(pred != y_true)
    return wrong[np.argsort(-probs[wrong, pred[wrong]], kind="stable")]
