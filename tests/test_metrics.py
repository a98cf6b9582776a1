import numpy as np

from steepest.metrics import confusion_matrix, mistakes


def test_confusion_matrix_counts_and_accuracy():
    y = np.array([0, 0, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 2, 0, 2])
    m = confusion_matrix(y, p, 3)
    assert m.tolist() == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert np.trace(m) / m.sum() == np.mean(y == p)


def test_mistakes_most_confident_first():
    probs = np.array([[0.6, 0.4], [0.1, 0.9], [0.95, 0.05], [0.3, 0.7]])
    y = np.array([1, 1, 1, 0])
    assert mistakes(probs, y).tolist() == [2, 3, 0]  # 0.95, 0.7, 0.6
    assert mistakes(probs, probs.argmax(axis=1)).size == 0
