"""How many threads NumPy's matrix products (BLAS) may use while training.

On a small machine more BLAS threads are not always faster.  Measured on a
2-core box (benchmarks/bench_training.py): the lecture's 784-15-10 network at
batch 128 trains at most 20 % faster with 2 threads than with 1 when the
machine is idle, but **40x slower** with 2 as soon as other programs keep the
cores busy -- OpenBLAS's second thread waits for a core that is not free.
Only large products, like 784-800-800-10's at batch 128, gain much from a
second thread (1.9x on an idle machine).

:func:`suggested_blas_threads` turns that into a rule, and
:func:`limit_blas_threads` applies it through ``threadpoolctl`` (a dependency
of steepest for this reason).

>>> suggested_blas_threads((784, 15, 10), batch_size=32)
1
>>> suggested_blas_threads((784, 800, 800, 10), batch_size=128) is None
True
>>> with limit_blas_threads(1):
...     pass  # matrix products here use one thread
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .config import TrainConfig

#: A layer's forward product below this many FLOPs per mini-batch gains
#: nothing from a second thread (784-100-10 at batch 32 is 5 MFLOP; 784-800 at
#: batch 128 is 160 MFLOP).
MULTITHREAD_MIN_FLOPS = 32e6


def suggested_blas_threads(
    sizes: Sequence[int], batch_size: int, augment: bool = False
) -> int | None:
    """1 for networks whose largest layer product is small; None (BLAS's default) otherwise.

    Args:
        sizes: units per layer, input first, as for :class:`steepest.network.Network`.
        batch_size: rows per mini-batch.
        augment: the run augments its data in a background thread, which needs
            the second core: then always 1 (benchmarks/bench_augment.py).
    """
    if augment:
        return 1
    largest = max(2 * batch_size * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return None if largest >= MULTITHREAD_MIN_FLOPS else 1


def blas_threads_for(config: TrainConfig, n_in: int, threads: int | None = None) -> int | None:
    """BLAS threads for a training run: ``threads`` if given, else :func:`suggested_blas_threads`.

    Args:
        config: the run's settings (hidden sizes, batch size, augmentation).
        n_in: inputs per example (784 for MNIST).
        threads: the user's choice, a positive int; None applies the rule.
    """
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        return threads
    return suggested_blas_threads((n_in, *config.hidden, 10), config.batch_size, config.augment)


@contextmanager
def limit_blas_threads(n: int | None):
    """Within the ``with`` block, BLAS uses at most ``n`` threads (``None``: no limit)."""
    from threadpoolctl import threadpool_limits

    if n is None:
        yield
        return
    with threadpool_limits(limits=n, user_api="blas"):
        yield
