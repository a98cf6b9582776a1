"""A fixed gallery of test digits whose predictions the Train tab shows as the network learns.

The same ten images for every job -- the first test image of each class, 0 to 9 --
so that a learner watching a run sees each prediction flip from wrong to right,
and two runs can be compared digit by digit.
"""

from __future__ import annotations

import numpy as np

from ..network import Network


def first_of_each_class(labels: np.ndarray, classes: int = 10) -> list[int]:
    """Index of the first example of each class, in class order.

    >>> first_of_each_class(np.array([7, 2, 1, 0, 4, 1, 4, 5, 0, 6, 3]), classes=8)
    [3, 2, 1, 10, 4, 7, 9, 0]
    """
    labels = np.asarray(labels)
    return [int(np.flatnonzero(labels == k)[0]) for k in range(classes)]


class Gallery:
    """Some test images, and what a network says of each.

    Parameters
    ----------
    images : ndarray
        (n, 28, 28) uint8 gray levels, ink bright.
    labels : ndarray
        (n,) their classes.
    indices : list of int
        their places in the test set.
    """

    def __init__(self, images: np.ndarray, labels: np.ndarray, indices: list[int]) -> None:
        self.images, self.labels, self.indices = images, labels, indices

    @classmethod
    def of(cls, x_test: np.ndarray, y_test: np.ndarray) -> Gallery:
        """The first test image of each class: the lab's gallery."""
        indices = first_of_each_class(y_test)
        return cls(x_test[indices], y_test[indices], indices)

    def to_json(self) -> dict:
        """The images and their labels, for the page (sent once per job)."""
        return {"indices": self.indices, "labels": [int(y) for y in self.labels],
                "images": [img.reshape(-1).tolist() for img in self.images]}

    def predict(self, net: Network) -> list[dict]:
        """What ``net`` says of each image: ``{"digit", "confidence"}``, in gallery order."""
        probs = net.predict_proba(self.images)  # (n, 10)
        best = probs.argmax(axis=1)  # (n,)
        return [{"digit": int(d), "confidence": round(float(p[d]), 4)}
                for d, p in zip(best, probs)]
