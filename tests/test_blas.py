import random
import threading

import numpy as np
import pytest
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


@pytest.mark.parametrize("n", [0, -1, 1.0, True, "2"])
def test_a_limit_that_is_not_a_positive_int_is_refused(n):
    with pytest.raises(ValueError, match="BLAS threads must be a positive int"):
        with limit_blas_threads(n):
            pass


def test_nested_in_one_thread_the_inner_block_holds_then_the_outer_again():
    before = blas_threads()
    with limit_blas_threads(1):
        with limit_blas_threads(2):
            assert blas_threads() == [2] * len(before)
        assert blas_threads() == [1] * len(before)
    assert blas_threads() == before


# ---------------------------------------------------------------------------
# Overlapping blocks in several threads share the process's one limit


@pytest.fixture
def four():
    """The process starts the test at 4 BLAS threads -- more than any block below asks,
    so a block that ends up with the original limit shows -- and gets its own back after.
    No thread is left in control of OpenBLAS (threadpoolctl lets only one change it)."""
    with threadpoolctl.threadpool_limits(limits=4, user_api="blas"):
        release = getattr(threadpoolctl.OpenBLASController, "clear_controlling_thread", None)
        if release is not None:
            release()
        assert blas_threads() == [4] * len(blas_threads())
        yield [4] * len(blas_threads())


class Block(threading.Thread):
    """A thread that opens ``limit_blas_threads(n)``, then stays inside until told to leave."""

    def __init__(self, n: int):
        super().__init__(daemon=True)
        self.n, self.inside, self.leave = n, threading.Event(), threading.Event()

    def run(self):
        with limit_blas_threads(self.n):
            self.inside.set()
            self.leave.wait(timeout=60)

    def enter(self):
        self.start()
        assert self.inside.wait(timeout=60)

    def exit(self):
        self.leave.set()
        self.join(timeout=60)
        assert not self.is_alive()


@pytest.mark.parametrize(("a", "b", "order", "expected"), [
    # A enters, B enters, A exits, B exits: the case (1 and 1) ran B with the
    # original limit, then left the process at 1 for good.
    (1, 1, "ABAB", [1, 1, 1, 4]),
    (1, 2, "ABAB", [1, 1, 2, 4]),
    (2, 1, "ABAB", [2, 1, 1, 4]),
    # A enters, B enters, B exits, A exits
    (1, 1, "ABBA", [1, 1, 1, 4]),
    (1, 2, "ABBA", [1, 1, 1, 4]),
    (2, 1, "ABBA", [2, 1, 2, 4]),
])
def test_overlapping_blocks_in_two_threads_get_the_smaller_limit_and_restore_the_original(
        four, a, b, order, expected):
    blocks = {"A": Block(a), "B": Block(b)}
    seen = []
    for step, name in enumerate(order):
        if step < 2:
            blocks[name].enter()
        else:
            blocks[name].exit()
        seen.append(blas_threads())
    assert seen == [[n] * len(four) for n in expected]


def test_many_threads_in_and_out_of_blocks_never_exceed_their_limit(four):
    """8 threads, each opening 40 blocks of 1 or 2 threads at random moments, and a block
    nested in each: inside each, a product runs and the process's limit is at most what
    the thread's innermost block asks; after all, it is 4 again."""
    errors = []

    def check(n):
        if max(blas_threads()) > n:
            errors.append((n, blas_threads()))

    def worker(seed):
        rnd = random.Random(seed)
        a = np.ones((32, 32))
        for _ in range(40):
            n, inner = rnd.choice([1, 2]), rnd.choice([1, 2, 3])
            with limit_blas_threads(n):
                a @ a
                check(n)
                with limit_blas_threads(inner):  # nested: the inner block's n holds
                    a @ a
                    check(inner)
                check(n)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors[:5]
    assert blas_threads() == four


@pytest.fixture
def classifier():
    """SteepestClassifier, imported before ``four`` counts the BLAS libraries: scikit-learn
    brings SciPy's own OpenBLAS."""
    from steepest.sklearn import SteepestClassifier

    return SteepestClassifier


def test_fits_under_joblibs_threading_backend_leave_the_process_at_its_limit(classifier, four):
    """The issue's scenario: SteepestClassifier fits in joblib threads, each in its own
    limit_blas_threads(1) block; after them the process is back at its 4 threads."""
    from joblib import Parallel, delayed

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(400, 20)).astype(np.float32), rng.integers(0, 3, 400)

    def fit(seed):
        clf = classifier(hidden=(8,), epochs=3, batch_size=16, random_state=seed)
        return clf.fit(x, y).score(x, y)

    scores = Parallel(n_jobs=4, backend="threading")(delayed(fit)(s) for s in range(8))
    assert len(scores) == 8 and all(0 <= s <= 1 for s in scores)
    assert blas_threads() == four
