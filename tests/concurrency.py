"""Calling one object from several threads at once, and comparing with one thread's answers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np


def answers_from_threads(predict: Callable[[np.ndarray], np.ndarray],
                         batches: Sequence[np.ndarray], *, threads: int = 4,
                         rounds: int = 5) -> tuple[int, list[str]]:
    """``(wrong, errors)``: ``predict`` on every batch from ``threads`` threads at once.

    Each thread goes through all ``batches`` ``rounds`` times, starting at a
    different one, so that batches of different sizes overlap.  ``wrong`` counts
    the answers that are not exactly (bit for bit) what one thread got first;
    ``errors`` lists what the calls raised.
    """
    expected = [predict(b) for b in batches]
    start = threading.Barrier(threads)
    wrong, errors = [], []

    def work(k: int) -> None:
        start.wait()
        for _ in range(rounds):
            for i in range(len(batches)):
                j = (i + k) % len(batches)
                try:
                    if not np.array_equal(predict(batches[j]), expected[j]):
                        wrong.append(j)
                except Exception as exc:  # noqa: BLE001 - counted, and shown by the test
                    errors.append(f"{type(exc).__name__}: {exc}")

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return len(wrong), errors


def mixed_batches(X: np.ndarray, n: int, seed: int = 0, low: int = 200,
                  high: int = 3000) -> list[np.ndarray]:
    """``n`` batches of random rows of ``X``, of sizes in ``[low, high)``: large enough that
    a forward pass takes long enough for another thread to overwrite shared buffers."""
    rng = np.random.default_rng(seed)
    return [X[rng.integers(0, len(X), size=int(rng.integers(low, high)))] for _ in range(n)]
