"""What machine a run happened on: enough to tell whether two timings are comparable.

A speed figure means little without its machine.  On the same CPU, OpenBLAS's
choice of kernel (``OPENBLAS_CORETYPE``) can double the matmul peak, and the
number of BLAS threads decides whether a second core helps or hurts.  So every
recorded benchmark carries :func:`describe_machine`'s dictionary, and every
quoted figure names :func:`blas_label`'s short form of it.

>>> m = describe_machine()
>>> sorted(m) == sorted(MACHINE_KEYS)
True
>>> isinstance(m["logical_cores"], int) and m["logical_cores"] >= 1
True
"""

from __future__ import annotations

import os
import platform
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

#: Environment variables that change which BLAS kernel runs or how it is tuned.
BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS", "MKL_NUM_THREADS")

#: The keys of :func:`describe_machine`'s result.
MACHINE_KEYS = ("date", "cpu_model", "logical_cores", "python", "numpy", "blas", "blas_env")

#: What is kept of each of threadpoolctl's thread pools (``filepath`` is not:
#: it names a user's directories and says nothing about speed).
POOL_KEYS = ("user_api", "internal_api", "version", "architecture", "threading_layer",
             "num_threads")


def utc_now() -> str:
    """The current time, UTC, to the second, ISO 8601: ``2026-11-27T13:12:02+00:00``.

    Returns
    -------
    str
        The time, with its ``+00:00`` offset.
    """
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def cpu_model(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> str:
    """The CPU's ``model name`` from ``/proc/cpuinfo`` (Linux), else :func:`platform.processor`.

    Parameters
    ----------
    cpuinfo : str or os.PathLike, default "/proc/cpuinfo"
        The file to read the model name from.

    Returns
    -------
    str
        The first ``model name``; else the platform's processor, else ``"unknown"``.

    Examples
    --------
    >>> cpu_model("/nonexistent") == (platform.processor() or "unknown")
    True
    """
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name" and value.strip():
            return value.strip()
    return platform.processor() or "unknown"


def thread_pools() -> list[dict]:
    """threadpoolctl's view of the native thread pools NumPy loaded (BLAS, OpenMP).

    ``num_threads`` is the pool's current limit: called outside any
    ``threadpool_limits`` block, the most threads it will use.

    Returns
    -------
    list of dict
        One dict per pool, with the keys :data:`POOL_KEYS`.
    """
    from threadpoolctl import threadpool_info  # a dependency of steepest (steepest.blas)

    return [{k: pool.get(k) for k in POOL_KEYS} for pool in threadpool_info()]


def describe_machine() -> dict:
    """The run environment: date, CPU, cores, Python, NumPy, BLAS pools, BLAS variables.

    Returns
    -------
    dict
        JSON values under the keys :data:`MACHINE_KEYS`: ``date``
        (:func:`utc_now`), ``cpu_model``, ``logical_cores``, ``python``,
        ``numpy``, ``blas`` (the BLAS pools of :func:`thread_pools`) and
        ``blas_env`` (those of :data:`BLAS_ENV` that are set).
    """
    return {
        "date": utc_now(),
        "cpu_model": cpu_model(),
        "logical_cores": os.cpu_count() or 1,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": [p for p in thread_pools() if p["user_api"] == "blas"],
        "blas_env": {k: os.environ[k] for k in BLAS_ENV if k in os.environ},
    }


def blas_label(machine: dict) -> str:
    """A short name for the BLAS kernel of a :func:`describe_machine` result.

    Parameters
    ----------
    machine : dict
        What :func:`describe_machine` returned (only its ``blas`` is read).

    Returns
    -------
    str
        Library, version and kernel of each BLAS pool, comma separated, or
        ``"BLAS unknown"``.

    Examples
    --------
    >>> blas_label({"blas": [{"internal_api": "openblas", "version": "0.3.31.188.0",
    ...                       "architecture": "Haswell", "num_threads": 2}]})
    'openblas 0.3.31.188.0 Haswell'
    >>> blas_label({"blas": []})
    'BLAS unknown'
    """
    pools = machine.get("blas") or []
    if not pools:
        return "BLAS unknown"
    return ", ".join(
        " ".join(str(p[k]) for k in ("internal_api", "version", "architecture") if p.get(k))
        for p in pools
    )


def blas_pool_threads() -> int:
    """How many threads NumPy's BLAS may use right now (inside any ``threadpool_limits``).

    Returns
    -------
    int
        The largest limit of the BLAS pools loaded, 1 if none is.
    """
    pools = [p["num_threads"] for p in thread_pools() if p.get("user_api") == "blas"]
    return max(pools) if pools else 1
