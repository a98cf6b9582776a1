"""One driver per study: a claim with a heartbeat, kept in the study itself.

Two ``steepest sweep`` runs driving one study would each take the other's
running trials for a crashed run's leftovers and fail them.  So a driver
claims its study before touching a trial: the study's user attribute
``driver`` holds who drives it (host, pid, a random token, when it started)
and a heartbeat, written every :data:`HEARTBEAT` seconds by a thread.  The
claim lives in the study's storage, so it works wherever the study does:
``DIR/sweep.db`` next to a local cluster, the same file on a remote
scheduler's machine, or a PostgreSQL server shared by several schedulers.

A second driver is refused in one line naming the holder, unless the holder
is gone: its process no longer exists (same host), or its heartbeat is older
than :data:`STALE` seconds (another host; clocks are assumed to agree within
that).  ``--take-over`` takes the study from a live holder too: it waits for
the holder's next heartbeat, which sees the claim lost, cancels its trials and
stops (exit status 1) without telling the study anything more.

Optuna's storage has no compare-and-set, so a claim is written, then read
back after :data:`SETTLE` seconds: of two drivers starting at once, the one
whose claim was written last drives; the other is refused.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime

#: The study's user attribute that holds the driver's claim.
ATTR = "driver"
#: Seconds between a driver's heartbeats.
HEARTBEAT = 5.0
#: Seconds without a heartbeat after which a driver counts as gone.
STALE = 60.0
#: Seconds between writing a claim and reading it back.
SETTLE = 2.0


class StudyBusy(ValueError):
    """Another driver holds the study; the message is one line saying who, and what to do."""


class DriverReplaced(ValueError):
    """This driver's claim was taken over (``--take-over``) while it ran."""


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists on this machine (and is not a zombie).

    Parameters
    ----------
    pid : int
        A process id on this machine.

    Returns
    -------
    bool
        False if no such process exists, or it has ended and awaits its parent (a
        zombie); True otherwise, also for another user's process.

    Examples
    --------
    >>> process_alive(os.getpid())
    True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):  # no /proc: trust kill()
        return True


def describe(holder: dict, now: float) -> str:
    """Who holds a study, in words, for a message.

    Parameters
    ----------
    holder : dict
        A driver's claim, as :class:`DriverLock` writes it: ``host``, ``pid``,
        ``started`` and ``heartbeat`` (seconds since the epoch).
    now : float
        The time to count the heartbeat's age from (seconds since the epoch).

    Returns
    -------
    str
        ``pid 123 on host h, started 2026-12-04 14:33:07, last heartbeat 3 s ago``.

    Examples
    --------
    >>> claim = {"pid": 123, "host": "h", "started": 100.0, "heartbeat": 100.0}
    >>> text = describe(claim, now=103.2)  # "started" is in this machine's time zone
    >>> text.split(", ")[0], text.split(", ")[-1]
    ('pid 123 on host h', 'last heartbeat 3 s ago')
    """
    started = datetime.fromtimestamp(holder["started"]).strftime("%Y-%m-%d %H:%M:%S")
    return (f"pid {holder['pid']} on host {holder['host']}, started {started}, last heartbeat "
            f"{max(0.0, now - holder['heartbeat']):.0f} s ago")


class DriverLock:
    """This process's claim on a study; see the module docstring.

    Use it as a context manager: entering claims the study (:meth:`acquire`),
    leaving gives it up (:meth:`release`).

    Parameters
    ----------
    study : optuna.study.Study
        The study to drive, through any storage.
    take_over : bool, default False
        Claim it even from a live holder.
    clock : callable, default time.time
        The time in seconds since the epoch (tests pass a fake).
    sleep : callable, default time.sleep
        Waits a number of seconds (tests pass a fake).
    """

    def __init__(self, study, *, take_over: bool = False, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.study, self.take_over, self.clock, self.sleep = study, take_over, clock, sleep
        now = clock()
        self.claim = {"host": socket.gethostname(), "pid": os.getpid(),
                      "token": uuid.uuid4().hex, "started": now, "heartbeat": now}
        self.replaced_by: dict | None = None
        self.previous: dict | None = None  # a gone holder this driver took over from
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def holder(self) -> dict | None:
        """The claim the study holds now.

        Returns
        -------
        dict or None
            The claim of the driver that holds the study (this one's or
            another's), or None if no driver holds it.
        """
        value = self.study.user_attrs.get(ATTR)
        return value if isinstance(value, dict) and "token" in value else None

    def gone(self, holder: dict) -> bool:
        """Whether ``holder`` no longer drives: its process ended, or its heartbeat stopped.

        Parameters
        ----------
        holder : dict
            A claim, as :meth:`holder` returns it.

        Returns
        -------
        bool
            True if its last heartbeat is older than :data:`STALE` seconds, or it
            runs on this host and its process is gone.
        """
        if self.clock() - holder.get("heartbeat", 0) > STALE:
            return True
        return holder.get("host") == self.claim["host"] and not process_alive(holder["pid"])

    def acquire(self) -> None:
        """Claim the study, then keep the heartbeat going in a thread.

        Raises
        ------
        StudyBusy
            Another driver holds the study and is not gone (unless ``take_over``),
            or claimed it at the same moment and was written last.
        """
        holder = self.holder()
        live = holder is not None and not self.gone(holder)
        if live and not self.take_over:
            raise StudyBusy(self._busy(holder))
        self.previous = holder
        self._write()
        try:
            # A live holder taken over needs a heartbeat to notice; two starting at once, a
            # moment to see which claim was written last.
            self.sleep(2 * HEARTBEAT + SETTLE if live else SETTLE)
            now_holding = self.holder()
        except BaseException:  # Ctrl-C: give the claim up again
            self.release()
            raise
        if not self._mine(now_holding):
            raise StudyBusy(self._busy(now_holding) if now_holding else
                            f"study {self.study.study_name!r}: another driver claimed it at the "
                            f"same time and gave it up; run again")
        self._thread = threading.Thread(target=self._beat, name="steepest-driver-heartbeat",
                                        daemon=True)
        self._thread.start()

    def check(self) -> None:
        """Raise if another driver took the study over.

        Raises
        ------
        DriverReplaced
            A heartbeat found another driver's claim in the study.
        """
        if self.replaced_by is not None:
            raise DriverReplaced(f"study {self.study.study_name!r} was taken over by "
                                 f"{describe(self.replaced_by, self.clock())} (--take-over): "
                                 f"stopped; that driver runs its trials now")

    def release(self) -> None:
        """Stop the heartbeat and give the study up (unless another driver has it now)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * HEARTBEAT)  # a storage call may hang if it is gone
        if self.replaced_by is None:
            try:
                holder = self.holder()
                if self._mine(holder):
                    self.study.set_user_attr(ATTR, None)
            except Exception:  # the storage is gone: the claim goes stale by itself
                pass

    def _mine(self, holder: dict | None) -> bool:
        """Whether ``holder`` (as :meth:`holder` returns it) is this driver's own claim."""
        return holder is not None and holder["token"] == self.claim["token"]

    def _write(self) -> None:
        self.claim["heartbeat"] = self.clock()
        self.study.set_user_attr(ATTR, dict(self.claim))

    def beat(self) -> bool:
        """One heartbeat: write the claim again, if it is still this driver's.

        Returns
        -------
        bool
            True if the claim was still ours and is renewed; False if another
            driver holds the study (from then on :meth:`check` raises).
        """
        holder = self.holder()
        if not self._mine(holder):
            self.replaced_by = holder or {**self.claim, "pid": "?", "host": "?"}
            return False
        self._write()
        return True

    def _beat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                if not self.beat():
                    return
            except Exception:  # the scheduler is busy or gone; the loop finds out itself
                continue

    def _busy(self, holder: dict) -> str:
        return (f"study {self.study.study_name!r} is being run by another steepest sweep "
                f"({describe(holder, self.clock())}); one sweep drives a study at a time: wait "
                f"for it to end, or, if that process is gone, run again with --take-over (a "
                f"driver silent for {STALE:.0f} s is taken over without it)")

    def __enter__(self) -> DriverLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
