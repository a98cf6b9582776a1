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
of steepest for this reason).  The limit is the whole process's: blocks open
in several threads at once share it, at the smallest limit any of them asks.

>>> suggested_blas_threads((784, 15, 10), batch_size=32)
1
>>> suggested_blas_threads((784, 800, 800, 10), batch_size=128) is None
True
>>> with limit_blas_threads(1):
...     pass  # matrix products here use one thread
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Iterator, Sequence
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

    A layer of ``n_in`` inputs and ``n_out`` units costs ``2 * batch_size * n_in * n_out``
    FLOPs per mini-batch in its forward product; below :data:`MULTITHREAD_MIN_FLOPS`
    for every layer, one thread is as fast on an idle machine and far faster on a busy one.

    Parameters
    ----------
    sizes : sequence of int
        Units per layer, input first, as for :class:`steepest.network.Network`.
    batch_size : int
        Rows per mini-batch.
    augment : bool, default False
        The run augments its data in a background thread, which needs the second
        core: then always 1 (``benchmarks/bench_augment.py``).

    Returns
    -------
    int or None
        1, or None to leave BLAS at its own default.

    Examples
    --------
    >>> suggested_blas_threads((784, 15, 10), batch_size=32)
    1
    >>> suggested_blas_threads((784, 800, 800, 10), batch_size=128) is None
    True
    >>> suggested_blas_threads((784, 800, 800, 10), batch_size=128, augment=True)
    1
    """
    if augment:
        return 1
    largest = max(2 * batch_size * n_in * n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))
    return None if largest >= MULTITHREAD_MIN_FLOPS else 1


def blas_threads_for(config: TrainConfig, n_in: int, threads: int | None = None) -> int | None:
    """BLAS threads for a training run: ``threads`` if given, else :func:`suggested_blas_threads`.

    Parameters
    ----------
    config : TrainConfig
        The run's settings (hidden sizes, batch size, augmentation).
    n_in : int
        Inputs per example (784 for MNIST).
    threads : int or None, default None
        The user's choice, a positive int; None applies the rule.

    Returns
    -------
    int or None
        The limit to pass to :func:`limit_blas_threads` (None: no limit).

    Raises
    ------
    ValueError
        ``threads`` is less than 1.
    """
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be a positive int, got {threads!r}")
        return threads
    return suggested_blas_threads((n_in, *config.hidden, 10), config.batch_size, config.augment)


#: The limits of the ``limit_blas_threads`` blocks open now, a stack per thread (by
#: ident), and each BLAS library's limit (by file) from before the first one opened.
_requests: dict[int, list[int]] = {}
_original: dict[str, int] = {}
_lock = threading.Lock()


@contextmanager
def limit_blas_threads(n: int | None) -> Iterator[None]:
    """Within the ``with`` block, BLAS uses at most ``n`` threads (``None``: no limit).

    BLAS thread limits are per process, not per thread: OpenBLAS as NumPy's
    wheels build it (pthreads) keeps one thread count for the whole process.  So blocks open at
    the same time share one limit.  A thread's innermost block is its request
    (nested in one thread, the inner block's ``n`` holds, as with threadpoolctl);
    the process runs at the smallest request of all threads with a block open
    (sweep workers with ``--nthreads 2``, ``fit`` under joblib's threading
    backend).  So no block runs with more threads than its thread asked for, and
    when the last open block exits, each library gets back the limit it had
    before the first one entered, in whatever order the blocks exit.  (A plain
    ``threadpoolctl.threadpool_limits`` restores what it found on entering: two
    overlapping in threads can leave the process at the wrong limit for good.)

    Parameters
    ----------
    n : int or None
        The most threads BLAS may use inside the block; None leaves it alone.

    Yields
    ------
    None
        Nothing: the limit holds while the block runs.

    Raises
    ------
    ValueError
        ``n`` is not a positive int (or None).

    Examples
    --------
    >>> with limit_blas_threads(1), limit_blas_threads(2):
    ...     pass  # two threads here; one, once another thread opens a block of one
    """
    if n is None:
        yield
        return
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"BLAS threads must be a positive int, got {n!r}")
    n, me = int(n), threading.get_ident()
    with _lock:
        pools = _blas_pools()
        if not _requests:
            _original.clear()
            _original.update({pool.filepath: pool.get_num_threads() for pool in pools})
        _requests.setdefault(me, []).append(n)
        _apply(pools)
    try:
        yield
    finally:
        with _lock:
            stack = _requests[me]
            del stack[len(stack) - 1 - stack[::-1].index(n)]  # this block's: the last n
            if not stack:
                del _requests[me]
            _apply(_blas_pools())


def _blas_pools() -> list:
    """threadpoolctl's controllers of the BLAS libraries loaded now."""
    from threadpoolctl import ThreadpoolController  # a dependency of steepest

    return ThreadpoolController().select(user_api="blas").lib_controllers


def _apply(pools: list) -> None:
    """Set each pool to the smallest innermost request of any thread, or, once no block
    is open, to its original limit (None for a library loaded since: left as it is).

    threadpoolctl (3.8) lets only one thread, the first to set a limit, change
    OpenBLAS's shared pool, and ignores the others in silence; ``_lock`` already
    makes one thread at a time set it, so each takes control for the call and
    gives it back.
    """
    for pool in pools:
        if _requests:
            n = min(stack[-1] for stack in _requests.values())
        else:
            n = _original.get(pool.filepath)
        if n is None:
            continue
        release = getattr(type(pool), "clear_controlling_thread", None)
        if release is not None:
            release(force=True)
        pool.set_num_threads(n)
        if release is not None:
            release()
