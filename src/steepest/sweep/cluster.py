"""The Dask side of a sweep: a cluster to run trials on, with the training data on every worker.

Two ways to get one:

* :meth:`SweepCluster.local` starts a Dask ``LocalCluster`` on this machine:
  one single-threaded worker *process* per core (Dask's nanny starts each
  with ``OPENBLAS_NUM_THREADS=1``, and each trial limits BLAS to one thread
  again), the scheduler inside this process;
* :meth:`SweepCluster.connect` joins a running cluster -- ``dask scheduler``
  on one machine, ``dask worker tcp://HOST:8786`` on as many as you like --
  and fails in one line if the scheduler cannot be reached, or has no
  worker, within ``timeout`` seconds.  Before Dask's client is made, one
  request asks the address who it is, bounded by ``timeout``: something else
  listening there (a web server, a port that never answers) would otherwise
  keep the client waiting for ever.

The local cluster's worker processes start with SIGINT blocked: a Ctrl-C at
the terminal reaches every process in the foreground group, and it is the
driver's to act on (it requeues the running trials and closes the cluster),
not the workers' to die of mid-trial.

The training images are sent to every worker once (:meth:`SweepCluster.data`,
Dask's ``scatter(broadcast=True)``), not with every trial: each trial's task
names them, and Dask hands the worker its own copy.  A worker that joins or
restarts later fetches a copy from another worker when it gets its first trial.
If every copy is lost (every worker gone at once) they are sent again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np

from ..config import is_number
from ..messages import one_line

#: Seconds to reach a scheduler and find a worker (``steepest sweep --connect-timeout``).
CONNECT_TIMEOUT = 10.0
#: Address schemes a sweep connects to: Dask's TCP, TLS and websocket comms.
SCHEMES = ("tcp", "tls", "ws", "wss")
#: The longest connect timeout: a day (a longer one is a typo, or "for ever").
MAX_TIMEOUT = 86_400.0


class SweepCluster:
    """A Dask client (and the local cluster it owns, if any) with the sweep's data.

    Use it as a context manager: the local cluster's worker processes end with it;
    a remote cluster is left running.  Make one with :meth:`local` or :meth:`connect`.

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster's scheduler.
    local_cluster : distributed.LocalCluster, optional
        The local cluster ``client`` is connected to, closed with it; None for a
        remote cluster.
    """

    def __init__(self, client, local_cluster=None) -> None:
        self.client, self.local_cluster = client, local_cluster
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None
        self._futures: list | None = None

    @classmethod
    def local(cls, workers: int | None = None) -> SweepCluster:
        """Start a Dask ``LocalCluster`` on this machine, its scheduler in this process.

        Parameters
        ----------
        workers : int, optional
            Single-threaded worker processes to start; None starts one per core.

        Returns
        -------
        SweepCluster
            The cluster, with a client; its worker processes ignore Ctrl-C
            (the driver handles it).
        """
        from distributed import Client, LocalCluster

        n = workers or os.cpu_count() or 1
        cluster = client = None
        try:
            # Threads and processes started in here inherit the blocked SIGINT: Dask's
            # event-loop thread, and so every worker process, now and restarted later.
            with sigint_blocked():
                # No dashboard; the scheduler's HTTP routes on any free loopback port, not on
                # 8787 (taken by a second sweep's, with a warning).
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.CRITICAL,
                                       scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
                client = Client(cluster)
            return cls(client, cluster)
        except BaseException:  # a Ctrl-C held back above arrives as the block ends
            for part in (client, cluster):
                if part is not None:
                    part.close()
            raise

    @classmethod
    def connect(cls, address: str, timeout: float = CONNECT_TIMEOUT) -> SweepCluster:
        """Join the running Dask cluster whose scheduler is at ``address``.

        Parameters
        ----------
        address : str
            The scheduler's address, e.g. ``tcp://host:8786``.
        timeout : float, default CONNECT_TIMEOUT
            Seconds to reach the scheduler, and again to find a worker there.

        Returns
        -------
        SweepCluster
            A client of that cluster; closing it leaves the cluster running.

        Raises
        ------
        ValueError
            One line, when the scheduler does not answer, or has no worker,
            within ``timeout`` seconds, or the address is malformed (see
            :func:`check_address` and :func:`identify`).
        """
        from distributed import Client

        security = check_address(address, timeout)
        identify(address, timeout, security)
        try:
            client = Client(address, timeout=timeout, security=security)
        except (OSError, TimeoutError) as exc:
            raise _unreachable(address, timeout, exc) from None
        except Exception as exc:  # the comm's own complaint (TLS settings, a handshake)
            raise ValueError(f"cannot connect to the Dask scheduler at {address} "
                             f"({type(exc).__name__}: {one_line(exc)})") from None
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

        Raises
        ------
        ValueError
            Naming the first that cannot, and why.
        """
        def versions():  # defined here, so Dask sends it by value, not by import path
            import optuna_integration.dask  # noqa: F401

            import steepest

            return steepest.__version__

        from steepest import __version__

        hint = (f"install steepest {__version__} with its sweep extra on the scheduler and every "
                "worker (user guide, Sweeps: Scaling out)")
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
        """Trials that can run at once.

        Returns
        -------
        int
            The workers' threads, counted now; at least 1, so that a sweep
            waits for a worker to join rather than run nothing.
        """
        return max(1, sum(self.client.nthreads().values()))

    def scatter(self, x: np.ndarray, y: np.ndarray) -> None:
        """Send the training data to every worker once.

        Parameters
        ----------
        x : numpy.ndarray
            The training images, ``(N, 28, 28)`` or ``(N, n_in)``.
        y : numpy.ndarray
            Their labels, ``(N,)``.
        """
        self._arrays = (x, y)
        self._futures = self.client.scatter([x, y], broadcast=True, hash=True)

    def data(self) -> list:
        """The data's futures, to pass to a task; sent again if every copy was lost.

        Returns
        -------
        list of distributed.Future
            The futures of ``x`` and ``y`` as :meth:`scatter` sent them.

        Raises
        ------
        RuntimeError
            :meth:`scatter` was not called first.
        """
        if self._futures is None:
            raise RuntimeError("scatter() the data first")
        if any(f.status != "finished" for f in self._futures):
            self._futures = self.client.scatter(list(self._arrays), broadcast=True, hash=True)
        return self._futures

    def submit(self, fn: Callable, *args, name: str = "trial"):
        """Run ``fn(*args)`` on a worker.

        Parameters
        ----------
        fn : callable
            The task; it runs on a worker, so Dask must be able to send it there.
        *args
            Its arguments (futures among them are replaced by their values).
        name : str, default "trial"
            The middle of the task's key, ``steepest-NAME-<random hex>``: every
            call is a new task, never a cached result.

        Returns
        -------
        distributed.Future
            The task's result, when it has one.
        """
        return self.client.submit(fn, *args, pure=False, key=f"steepest-{name}-{uuid.uuid4().hex}")

    def close(self) -> None:
        """Close the client, and the local cluster if this object started one."""
        self.client.close()
        if self.local_cluster is not None:
            self.local_cluster.close()

    def __enter__(self) -> SweepCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextmanager
def sigint_blocked() -> Iterator[None]:
    """SIGINT held back in this thread (and threads and processes it starts) until the end.

    A SIGINT that arrives meanwhile is delivered when the block ends.  Only in
    the main thread, where Python handles signals, and where there are masks.

    Yields
    ------
    None
        Nothing: SIGINT stays blocked while the block runs.
    """
    if (threading.current_thread() is not threading.main_thread()
            or not hasattr(signal, "pthread_sigmask")):  # Windows: no signal masks
        yield
        return
    # multiprocessing's resource tracker unblocks SIGINT in the thread that first needs it
    # (Dask's event loop, which then starts the workers): start it here, before blocking.
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def valid_timeout(timeout) -> bool:
    """Whether ``timeout`` is a number of seconds a sweep can wait.

    Parameters
    ----------
    timeout : object
        The value to check, as the command line or a caller gave it.

    Returns
    -------
    bool
        True for an int or float (Python's or NumPy's) in (0, :data:`MAX_TIMEOUT`];
        False for NaN, infinities, zero, negative numbers, numbers above
        :data:`MAX_TIMEOUT` (an int of any size), booleans and anything else.

    Examples
    --------
    >>> valid_timeout(10), valid_timeout(0), valid_timeout(float("nan")), valid_timeout(True)
    (True, False, False, False)
    >>> valid_timeout(10**400)
    False
    """
    return is_number(timeout) and 0 < timeout <= MAX_TIMEOUT


def check_address(address: str, timeout: float):
    """Refuse, in one line, an address no sweep can use; Dask's security settings for it.

    Parameters
    ----------
    address : str
        A scheduler's address, e.g. ``tcp://host:8786``.
    timeout : float
        The connect timeout to be used with it, in seconds (checked here too).

    Returns
    -------
    distributed.security.Security
        Dask's security settings (``distributed.comm.tls.*``), to connect with.

    Raises
    ------
    ValueError
        An empty address, an unknown scheme, UCX or in-process comms, TLS
        without certificates in Dask's settings, or a timeout that is not a
        positive number of seconds.

    Examples
    --------
    >>> check_address("http://host:8786", 10.0)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: http://host:8786: a sweep reaches its scheduler over tcp://, ..., not http:// ...
    """
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.security import Security

    if not valid_timeout(timeout):
        raise ValueError(f"the connect timeout must be a number of seconds in (0, "
                         f"{MAX_TIMEOUT:,.0f}], got {timeout!r}")
    if not address.strip():
        raise ValueError("the Dask scheduler address is empty; e.g. tcp://host:8786")
    try:
        scheme, location = parse_address(address)
        if scheme in SCHEMES:
            parse_host_port(location)
    except ValueError as exc:
        raise ValueError(f"not a Dask scheduler address: {address!r} ({one_line(exc)}); "
                         f"e.g. tcp://host:8786") from None
    if scheme not in SCHEMES:
        raise ValueError(f"{address}: a sweep reaches its scheduler over "
                         f"{', '.join(f'{s}://' for s in SCHEMES)}, not {scheme}:// "
                         f"(UCX and in-process comms are not supported); e.g. tcp://host:8786")
    try:
        security = Security()  # Dask's settings: distributed.comm.tls.*
    except Exception as exc:  # a certificate file named there cannot be read
        raise ValueError(f"{address}: Dask's TLS settings cannot be used "
                         f"({type(exc).__name__}: {one_line(exc)})") from None
    if scheme in ("tls", "wss") and security.get_connection_args("client").get(
            "ssl_context") is None:
        raise ValueError(f"{address}: {scheme}:// needs certificates in Dask's settings "
                         f"(distributed.comm.tls.ca-file, .client.cert, .client.key); none are "
                         f"set")
    return security


def _unreachable(address: str, timeout: float, exc: BaseException) -> ValueError:
    """The one-line error for a scheduler that no connection reaches within ``timeout``."""
    return ValueError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s "
                      f"({one_line(exc)})")


def identify(address: str, timeout: float, security) -> dict:
    """Ask ``address`` who it is (Dask's ``identity``), giving up after ``timeout`` seconds.

    Parameters
    ----------
    address : str
        A scheduler's address, as :func:`check_address` accepted it.
    timeout : float
        Seconds to connect and have an answer, together.
    security : distributed.security.Security
        The settings to connect with, as :func:`check_address` returned them.

    Returns
    -------
    dict
        The scheduler's identity (its ``type`` is ``"Scheduler"``).

    Raises
    ------
    ValueError
        One line, when nothing answers as a Dask scheduler in time.
    """
    from distributed.comm import connect
    from distributed.comm.addressing import parse_address, parse_host_port

    # A plain TCP connection first: a closed port is "cannot reach", whatever the timing.
    # (Dask's connect retries a refused port until its own timeout, which races ours.)
    host, port = parse_host_port(parse_address(address)[1])
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except OSError as exc:
        raise _unreachable(address, timeout, exc) from None

    async def ask() -> dict:
        comm = await connect(address, timeout=timeout,
                             **security.get_connection_args("client"))
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    async def bounded() -> dict:
        return await asyncio.wait_for(ask(), timeout)

    try:
        reply = asyncio.run(bounded())
    except TimeoutError:  # connected, but no Dask answer: a web server, a silent port
        raise ValueError(f"no Dask scheduler answered at {address} within {timeout:g} s "
                         f"(is it the scheduler's address and port? e.g. tcp://host:8786)"
                         ) from None
    except OSError as exc:
        raise _unreachable(address, timeout, exc) from None
    except Exception as exc:  # something answered, not in Dask's protocol
        raise ValueError(f"no Dask scheduler at {address}: what answered there does not speak "
                         f"Dask's protocol ({type(exc).__name__}: {one_line(exc)})") from None
    kind = reply.get("type") if isinstance(reply, dict) else None
    if kind != "Scheduler":
        raise ValueError(f"{address} is {'a Dask ' + kind if kind else 'not Dask'}, not a "
                         f"scheduler: give the scheduler's address (dask scheduler prints it)")
    return reply
