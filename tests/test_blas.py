import sys

import numpy as np
import pytest

from steepest.blas import limit_blas_threads, suggested_blas_threads


def test_small_networks_get_one_thread_large_ones_the_default():
    assert suggested_blas_threads((784, 15, 10), 32) == 1
    assert suggested_blas_threads((784, 15, 10), 128) == 1
    assert suggested_blas_threads((784, 100, 10), 32) == 1
    assert suggested_blas_threads((784, 800, 800, 10), 128) is None


def test_limit_applies_inside_the_block_and_is_undone_after():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info()
                if i["user_api"] == "blas"]

    before = blas_threads()
    with limit_blas_threads(1):
        assert all(n == 1 for n in blas_threads())
        np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)
    assert blas_threads() == before
    with limit_blas_threads(None):
        assert blas_threads() == before


def test_without_threadpoolctl_it_does_nothing(monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import now raises ImportError
    with limit_blas_threads(1):
        assert (np.eye(3) @ np.eye(3)).trace() == 3


def test_augmented_runs_keep_the_second_core_for_the_augmentation_worker():
    assert suggested_blas_threads((784, 800, 800, 10), 128, augment=True) == 1
