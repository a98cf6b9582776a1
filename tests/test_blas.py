import numpy as np
import threadpoolctl  # a hard dependency: a missing one fails here, it does not skip

from steepest.blas import limit_blas_threads, suggested_blas_threads


def test_small_networks_get_one_thread_large_ones_the_default():
    assert suggested_blas_threads((784, 15, 10), 32) == 1
    assert suggested_blas_threads((784, 15, 10), 128) == 1
    assert suggested_blas_threads((784, 100, 10), 32) == 1
    assert suggested_blas_threads((784, 800, 800, 10), 128) is None


def blas_threads() -> list[int]:
    return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]


def test_limit_applies_inside_the_block_and_is_undone_after():
    before = blas_threads()
    assert before, "NumPy's BLAS is not visible to threadpoolctl"
    with limit_blas_threads(1):
        assert blas_threads() == [1] * len(before)
        np.ones((64, 64), np.float32) @ np.ones((64, 64), np.float32)
    assert blas_threads() == before
    with limit_blas_threads(None):
        assert blas_threads() == before


def test_augmented_runs_keep_the_second_core_for_the_augmentation_worker():
    assert suggested_blas_threads((784, 800, 800, 10), 128, augment=True) == 1
