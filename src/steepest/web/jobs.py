"""One training job at a time: start it, stream its events, cancel it, never leak it.

The server side of :mod:`.trainer`.  A :class:`TrainingManager` starts the
training process (``multiprocessing``'s *spawn* context: a fresh interpreter
that inherits no threads or locks from the server), and one watcher thread
per job moves the process's events into a log that any number of pages can
follow (:meth:`TrainingManager.wait_events`, behind the server-sent events
stream).  When the job finishes, the watcher loads its model file into the
:class:`~.served.ServedModel`, so the next prediction uses the new network.
A cancelled job keeps its finished epochs: with at least one, its model file
(the network after its last finished epoch) is marked ``cancelled at epoch k of
n`` and served like a finished one.  Either way, a network the lab already
keeps (an identical re-run) is served again under its own version, not added.
The page knows models by their version only; a job's ``id`` is the API's.

A job never outlives its usefulness:

* its epoch count is bounded (:data:`MAX_EPOCHS`) and so is its wall time
  (``max_seconds``);
* it is cancelled when nobody has looked at it for ``idle_timeout`` seconds --
  a page following the event stream, or a client polling ``GET /api/train``,
  counts as looking (the startup job of ``steepest serve`` without a model is
  exempt: it is short and the page needs its model);
* a cancelled process that does not stop within :data:`CANCEL_GRACE` seconds
  is terminated, and the training process stops by itself when the server dies.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..messages import plural
from ..modelfile import load_model, save_model
from . import trainer
from .pace import Pace
from .provenance import lab_source
from .served import ServedModel, Snapshot
from .train_request import MAX_EPOCHS
from .validate import ApiError

#: Seconds a cancelled training process gets to stop on its own before it is killed.
CANCEL_GRACE = 10.0
FINAL = ("done", "cancelled", "error")


@dataclass
class Job:
    """A training run and what is known about it so far."""

    id: int
    spec: trainer.JobSpec
    path: Path
    startup: bool
    process: mp.process.BaseProcess | None = None
    events: object = None  # multiprocessing Queue
    cancel: object = None  # multiprocessing Event
    pace: Pace | None = None  # play, pause, step, rate: shared with the process
    state: str = "starting"  # starting, running, cancelling, done, cancelled, error
    message: str = ""
    started: float = field(default_factory=time.monotonic)
    cancel_requested: float | None = None
    history: list[dict] = field(default_factory=list)  # epoch records, no weight images
    final: dict | None = None  # its last event: done, cancelled or error

    @property
    def active(self) -> bool:
        return self.state not in FINAL

    def summary(self) -> dict:
        config = self.spec.config
        return {
            "id": self.id,
            "state": self.state,
            "message": self.message,
            "startup": self.startup,
            "config": config.to_dict(),
            "train_limit": self.spec.train_limit,
            "epochs_done": len(self.history),
            "history": self.history,
            "seconds": round(time.monotonic() - self.started, 2),
            "pace": self.pace.state() if self.pace is not None else None,
        }


class TrainingManager:
    """Runs at most one :class:`Job`; keeps the event log of the latest one.

    Parameters
    ----------
    served : ServedModel
        where a finished job's model goes into service.
    work_dir : str or Path, optional
        where jobs write their model files (default: a temporary directory, removed
        by :meth:`close`).
    idle_timeout : float
        seconds a job runs with nobody following it.
    max_seconds : float
        wall-time limit of a job.
    on_job_end : callable, optional
        called as ``on_job_end(job_summary, final_event)`` in the job's watcher thread
        once a job has ended, after its model (if any) is in service -- how
        ``steepest serve`` reports its start-up training.
    """

    def __init__(
        self,
        served: ServedModel,
        work_dir: str | Path | None = None,
        *,
        idle_timeout: float = 30.0,
        max_seconds: float = 1800.0,
        on_job_end: Callable[[dict, dict], None] | None = None,
    ) -> None:
        self.served = served
        self.on_job_end = on_job_end
        self._own_dir = work_dir is None
        self.work_dir = Path(work_dir or tempfile.mkdtemp(prefix="steepest-lab-"))
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.idle_timeout = idle_timeout
        self.max_seconds = max_seconds
        self._cond = threading.Condition()
        self._job: Job | None = None
        self._log: list[dict] = []  # events of the latest job, each with a global "id"
        self._layers_at: int | None = None  # the one event in the log with weight images
        self._next_event = 1
        self._next_job = 1
        self._last_seen = time.monotonic()
        self.closing = False

    # -- the API's verbs ---------------------------------------------------

    def start(self, spec: trainer.JobSpec, *, startup: bool = False) -> dict:
        """Start a job, or refuse with 409 while one runs."""
        with self._cond:
            job = self._job
            if job is not None and job.active:
                done = len(job.history)
                raise ApiError(
                    f"a training job is already running ({done} of "
                    f"{plural(job.spec.config.epochs, 'epoch')} done); cancel it or wait for "
                    "it to finish",
                    status=409,
                )
            if self.closing:
                raise ApiError("the server is shutting down", status=409)
            job = Job(self._next_job, spec, self.work_dir / f"job-{self._next_job}.npz", startup)
            self._next_job += 1
            self._job, self._log, self._layers_at = job, [], None
            self._last_seen = time.monotonic()
            ctx = mp.get_context("spawn")
            job.events, job.cancel = ctx.Queue(), ctx.Event()
            job.pace = Pace(ctx, paused=spec.paused, rate=spec.pace)
            job.process = ctx.Process(
                target=trainer.run,
                args=(spec, str(job.path), job.events, job.cancel, os.getpid(), job.pace),
                name=f"steepest-train-{job.id}",
                daemon=True,
            )
            try:
                job.process.start()
            except (OSError, RuntimeError) as exc:  # e.g. no processes left, unguarded __main__
                job.state, job.message = "error", f"could not start the training process: {exc}"
                self._publish(job, {"type": "error", "message": job.message})
                raise ApiError(job.message.splitlines()[0], status=503) from None
            self._publish(job, {"type": "started", "message": "starting the training process",
                                "job_summary": job.summary()})
        threading.Thread(target=self._watch, args=(job,), name=f"watch-job-{job.id}",
                         daemon=True).start()
        return job.summary()

    def cancel(self, reason: str = "cancelled by request") -> bool:
        """Ask the running job to stop; False when none is running."""
        with self._cond:
            job = self._job
            if job is None or not job.active:
                return False
            if job.cancel_requested is None:
                job.cancel_requested = time.monotonic()
                job.state, job.message = "cancelling", reason
                job.cancel.set()
                job.pace.wake()  # a paused process hears it now, not at its next poll
                self._publish(job, {"type": "status", "message": f"cancelling: {reason}"})
            return True

    def control(self, action: str | None, rate: float | None = None, *,
                set_rate: bool = False) -> dict:
        """Pause, play or step the running job (:mod:`.pace`), or change its rate; 409 when
        no job runs.  The page hears it as a ``pace`` event."""
        with self._cond:
            job = self._job
            if job is None or not job.active or job.cancel_requested is not None:
                raise ApiError("no training job is running; start one first", status=409)
            try:
                job.pace.apply(action, rate, set_rate=set_rate)
            except TimeoutError as exc:
                raise ApiError(f"{exc}; try again, or cancel the job", status=503) from None
            self._publish(job, {"type": "pace", "action": action, **job.pace.state()})
            return job.pace.state()

    def touch(self) -> None:
        """Someone is looking: postpone the idle timeout."""
        self._last_seen = time.monotonic()

    def status(self) -> dict:
        with self._cond:
            job = self._job
            return {
                "running": bool(job and job.active),
                "job": job.summary() if job else None,
                "last_event_id": self._log[-1]["id"] if self._log else 0,
                "max_epochs": MAX_EPOCHS,
                "idle_timeout": self.idle_timeout,
            }

    def wait_events(self, after: int, timeout: float) -> tuple[list[dict], bool]:
        """Events of the latest job with ``id > after``, waiting up to ``timeout`` for one.

        Returns ``(events, ended)``: ``ended`` is True once the job's final event
        is among the events returned so far (or there is no job at all).
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                new = [e for e in self._log if e["id"] > after]
                cursor = new[-1]["id"] if new else after
                final = next((e["id"] for e in self._log if e["type"] in FINAL), None)
                ended = self._job is None or (final is not None and final <= cursor)
                remaining = deadline - time.monotonic()
                if new or ended or remaining <= 0 or self.closing:
                    return new, ended
                self._cond.wait(remaining)

    def close(self, timeout: float = 10.0) -> None:
        """Cancel any job, wait for its process, remove the work directory."""
        with self._cond:
            self.closing = True
            self._cond.notify_all()
            job = self._job
        if job is not None and job.active:
            self.cancel("the server is shutting down")
            if job.process is not None:
                job.process.join(timeout)
                if job.process.is_alive():
                    job.process.kill()
                    job.process.join(timeout)
        if self._own_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # -- the watcher ---------------------------------------------------------

    def _publish(self, job: Job, event: dict) -> None:
        """Append an event to the log and wake the streams (caller holds ``_cond``); one with
        ``layers`` takes them off the one that had them (a replay needs the latest only)."""
        event = {"id": self._next_event, "job": job.id, **event}
        self._next_event += 1
        if "layers" in event:
            if self._layers_at is not None:  # a copy: a stream may be sending the old one
                old = self._log[self._layers_at]
                self._log[self._layers_at] = {k: v for k, v in old.items() if k != "layers"}
            self._layers_at = len(self._log)
        self._log.append(event)
        self._cond.notify_all()

    def _watch(self, job: Job) -> None:
        """Move the process's events into the log until the job ends, enforcing its limits."""
        while True:
            try:
                msg = job.events.get(timeout=0.25)
            except queue.Empty:
                msg = None
            except (EOFError, OSError):
                msg = {"type": "error", "message": "lost contact with the training process"}
            if msg is not None and self._handle(job, msg):
                break
            if msg is None and not job.process.is_alive():
                with contextlib.suppress(queue.Empty, EOFError, OSError):
                    msg = job.events.get(timeout=1.0)  # a last event may still be in the pipe
                if msg is None:
                    msg = {"type": "error", "message": "the training process stopped "
                           f"unexpectedly (exit code {job.process.exitcode})"}
                if self._handle(job, msg):
                    break
                continue
            # The limits, checked however busy the event queue is.
            now = time.monotonic()
            if job.cancel_requested is not None:
                if now - job.cancel_requested > CANCEL_GRACE:
                    job.process.terminate()
                    self._handle(job, {"type": "cancelled",
                                       "message": "the process was terminated"})
                    break
            elif self.closing:
                self.cancel("the server is shutting down")
            elif not job.startup and now - self._last_seen > self.idle_timeout:
                self.cancel(f"no page has followed this job for {self.idle_timeout:g} s")
            elif now - job.started > self.max_seconds:
                self.cancel(f"the time limit of {self.max_seconds:g} s was reached")
        try:
            if self.on_job_end is not None:
                self.on_job_end(job.summary(), job.final)
        finally:
            self._reap(job)

    def _reap(self, job: Job) -> None:
        """Wait for the job's process to exit and remove what it left."""
        job.process.join(5.0)
        if job.process.is_alive():
            job.process.kill()
            job.process.join(5.0)
        with contextlib.suppress(OSError, ValueError):
            job.events.close()
        with contextlib.suppress(OSError):
            job.path.unlink(missing_ok=True)

    def _serve(self, job: Job, *, cancelled: bool) -> tuple[Snapshot, bool]:
        """Serve the job's model file (marked when the job was cancelled): ``(snap, added)``."""
        if cancelled:  # the file holds the network after its last finished epoch
            net, info = load_model(job.path)
            epochs = len(info.get("history") or job.history)
            info = {**info, "cancelled": {"epoch": epochs, "epochs": job.spec.config.epochs}}
            save_model(job.path, net, info)  # the training process has stopped writing it
        return self.served.add(job.path, source=lab_source)  # names it from the info it loads

    def _handle(self, job: Job, msg: dict) -> bool:
        """Record one event from the process; True when it was the job's last."""
        kind = msg.get("type")
        if kind == "finished":
            try:
                snap, added = self._serve(job, cancelled=False)
            except (OSError, ValueError) as exc:
                msg = {"type": "error", "message": f"could not load the trained model: {exc}"}
            else:
                msg = {"type": "done", "message": msg.get("message", "done"),
                       "model": snap.summary(), "new_model": added}
        elif job.history and (kind == "cancelled" or (kind == "error" and not self.served.ready)):
            # The finished epochs are kept; after an error only when there is nothing
            # else to serve (the last finished epoch is better than no model).
            with contextlib.suppress(OSError, ValueError):
                snap, added = self._serve(job, cancelled=kind == "cancelled")
                msg = {**msg, "model": snap.summary(), "new_model": added}
        with self._cond:
            kind = msg.get("type")
            if kind == "epoch":
                job.history.append({k: v for k, v in msg.items()
                                    if k not in ("layers", "gallery", "paused", "type")})
            if kind in FINAL:
                job.state = kind
                if kind == "cancelled" and job.message:  # keep the reason, add where it stopped
                    msg = {**msg, "message": f"{job.message} ({msg.get('message', 'stopped')})"}
                job.message = msg.get("message", kind)
                job.final = msg
            elif job.state == "starting" and kind in ("status", "weights", "progress", "frame",
                                                      "epoch"):
                job.state = "running"
            self._publish(job, msg)
        return kind in FINAL
