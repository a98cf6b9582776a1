"""The Dask side of a sweep: a cluster to run trials on, with the training data on every worker.

Two ways to get one:

* :meth:`SweepCluster.local` starts a Dask ``LocalCluster`` on this machine:
  one single-threaded worker *process* per core (Dask's nanny starts each
  with ``OPENBLAS_NUM_THREADS=1``, and each trial limits BLAS to one thread
  again), the scheduler inside this process;
* :meth:`SweepCluster.connect` joins a running cluster -- ``dask scheduler``
  on one machine, ``dask worker tcp://HOST:8786`` on as many as you like --
  and fails in one line if the scheduler cannot be reached, or has no
  worker, within ``timeout`` seconds.

The training images are sent to every worker once (:meth:`SweepCluster.data`,
Dask's ``scatter(broadcast=True)``), not with every trial: each trial's task
names them, and Dask hands the worker its own copy.  A worker that joins or
restarts later fetches a copy from another worker when it gets its first trial.
If every copy is lost (every worker gone at once) they are sent again.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable

import numpy as np

from ..messages import one_line

#: Seconds to reach a scheduler and find a worker (``steepest sweep --connect-timeout``).
CONNECT_TIMEOUT = 10.0


class SweepCluster:
    """A Dask client (and the local cluster it owns, if any) with the sweep's data.

    Use it as a context manager: the local cluster's worker processes end with it;
    a remote cluster is left running.
    """

    def __init__(self, client, local_cluster=None) -> None:
        self.client, self.local_cluster = client, local_cluster
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._futures: list | None = None

    @classmethod
    def local(cls, workers: int | None = None) -> SweepCluster:
        """A new ``LocalCluster``: ``workers`` single-threaded processes (default: one a core)."""
        from distributed import Client, LocalCluster

        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=logging.CRITICAL)
        try:
            return cls(Client(cluster), cluster)
        except BaseException:
            cluster.close()
            raise

    @classmethod
    def connect(cls, address: str, timeout: float = CONNECT_TIMEOUT) -> SweepCluster:
        """Join the running Dask cluster whose scheduler is at ``address``.

        Raises:
            ValueError: one line, when the scheduler does not answer, or has no
                worker, within ``timeout`` seconds, or the address is malformed.
        """
        from distributed import Client

        try:
            client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {address} within "
                             f"{timeout:g} s ({one_line(exc)})") from None
        except ValueError as exc:
            raise ValueError(f"not a Dask scheduler address: {address!r} "
                             f"({one_line(exc)}); e.g. tcp://host:8786") from None
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            client.close()
            raise ValueError(f"the Dask scheduler at {address} has no worker after "
                             f"{timeout:g} s; start one with: dask worker {address}") from None
        return cls(client)

    def check(self) -> None:
        """The scheduler and every current worker can run a sweep.

        Both import steepest (the same version as here), optuna and
        optuna-integration: the scheduler holds the study's storage and reads
        each trial's task, the workers train.

        Raises:
            ValueError: naming the first that cannot, and why.
        """
        def versions():  # defined here, so Dask sends it by value, not by import path
            import optuna_integration.dask  # noqa: F401

            import steepest

            return steepest.__version__

        from steepest import __version__

        hint = f"install steepest[sweep] {__version__} on the scheduler and every worker"
        try:
            found = {"the scheduler": self.client.run_on_scheduler(versions)}
            found.update(sorted(self.client.run(versions).items()))
        except Exception as exc:  # an ImportError there, re-raised here
            raise ValueError(f"the Dask cluster cannot run trials ({one_line(exc)}); "
                             f"{hint}") from None
        for where, version in found.items():
            if version != __version__:
                raise ValueError(f"{where} runs steepest {version}, this is {__version__}: "
                                 f"{hint}")

    def slots(self) -> int:
        """Trials that can run at once: the workers' threads (at least 1, to wait for one)."""
        return max(1, sum(self.client.nthreads().values()))

    def scatter(self, x: np.ndarray, y: np.ndarray) -> None:
        """Send the training data to every worker once."""
        self._arrays = (x, y)
        self._futures = self.client.scatter([x, y], broadcast=True, hash=True)

    def data(self) -> list:
        """The data's futures, to pass to a task; sent again if every copy was lost."""
        if self._futures is None:
            raise RuntimeError("scatter() the data first")
        if any(f.status != "finished" for f in self._futures):
            self._futures = self.client.scatter(list(self._arrays), broadcast=True, hash=True)
        return self._futures

    def submit(self, fn: Callable, *args, name: str = "trial"):
        """Run ``fn(*args)`` on a worker; a Dask future."""
        return self.client.submit(fn, *args, pure=False, key=f"steepest-{name}-{uuid.uuid4().hex}")

    def close(self) -> None:
        self.client.close()
        if self.local_cluster is not None:
            self.local_cluster.close()

    def __enter__(self) -> SweepCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
