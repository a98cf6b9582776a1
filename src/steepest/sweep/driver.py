"""The sweep's driver loop: ask Optuna, run trials on Dask, tell Optuna, write the results.

Ask-and-tell keeps one process in charge of every trial's state: the driver
asks the study for a trial (the sampler runs here), sends it to a worker,
and when the result comes back writes its files and *then* tells the study
how it ended.  Workers only report epochs and ask the pruner.  As many
trials run at once as the cluster has worker threads.

How a trial can end:

* COMPLETE -- trained to the end (or diverged: value 0, see
  :mod:`steepest.sweep.objective`);
* PRUNED -- the pruner stopped it;
* FAIL -- its task raised, or killed its worker more often than Dask allows
  (``distributed.scheduler.allowed-failures``, default 3).  A worker lost
  during a trial is not by itself a failure: Dask runs the task again on
  another worker (its ``restarts`` attribute counts that), and training is
  deterministic, so the rerun reaches the same result.

Ctrl-C (KeyboardInterrupt) requeues the running trials (see
:func:`steepest.sweep.study.requeue`) before it propagates, so the storage is
consistent and the next run resumes.  A driver whose study was taken over
(:mod:`steepest.sweep.lock`) only cancels its trials: they are the new
driver's to run again.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from ..messages import one_line
from .cluster import SweepCluster
from .lock import DriverReplaced
from .objective import Reporter, TrialOutcome, TrialTask, run_trial, train_trial
from .results import BEST_MODEL, SweepData, SweepFiles
from .study import finished_count, requeue


@dataclass
class TrialRecord:
    """A finished trial as the driver saw it: for the progress line and the benchmark.

    Parameters
    ----------
    number : int
        Optuna's trial number.
    state : {"COMPLETE", "PRUNED", "FAIL"}
        How it ended, as the study records it.
    params : dict
        Its searched values, as Optuna stores them.
    value : float or None
        Its validation accuracy; None when the task failed.
    outcome : TrialOutcome or None
        What the worker returned; None when the task failed.
    error : str or None
        Why the task failed, one line; None when it did not.
    turnaround : float
        Seconds from submitting the task to having its result here.
    best : bool, default False
        Whether it is the best trial so far.
    driver_seconds : float, default 0.0
        This process's time on it: ask, submit, write its files, tell.
    """

    number: int
    state: str
    params: dict
    value: float | None
    outcome: TrialOutcome | None
    error: str | None
    turnaround: float
    best: bool = False
    driver_seconds: float = 0.0

    @property
    def epochs(self) -> int:
        """Epochs the trial ran; 0 when the task failed."""
        return self.outcome.epochs_run if self.outcome else 0


@dataclass
class SweepRun:
    """What one run of the driver did.

    Parameters
    ----------
    target : int
        Finished trials the study was to have.
    finished_before : int
        Finished trials it had when this run started.
    records : list of TrialRecord, default []
        The trials this run finished, in the order they did.
    seconds : float, default 0.0
        How long the run took.
    """

    target: int
    finished_before: int
    records: list[TrialRecord] = field(default_factory=list)
    seconds: float = 0.0


def run_sweep(cluster: SweepCluster, study, space, files: SweepFiles, data: SweepData,
              n_trials: int, *, storage_name: str, prune: bool = True,
              on_trial: Callable[[TrialRecord], None] | None = None,
              still_driving: Callable[[], None] | None = None) -> SweepRun:
    """Run trials until the study has ``n_trials`` finished ones; see the module docstring.

    Parameters
    ----------
    cluster : SweepCluster
        Where the trials run; its data already scattered.
    study : optuna.study.Study
        The study, with its sampler (:func:`~steepest.sweep.study.open_study`).
    space : Space
        The search space.
    files : SweepFiles
        The sweep's directory: each trial's history, ``trials.csv``, ``best.npz``.
    data : SweepData
        The data (its training images are on the workers).
    n_trials : int
        Finished trials the study should have; trials already finished count.
    storage_name : str
        The ``DaskStorage``'s name on the scheduler, for the workers.
    prune : bool, default True
        Let the pruner stop trials.
    on_trial : callable, optional
        Called with each :class:`TrialRecord` as its trial ends.
    still_driving : callable, optional
        Called between steps; raises :class:`~steepest.sweep.lock.DriverReplaced`
        once another driver has the study (``DriverLock.check``).

    Returns
    -------
    SweepRun
        The trials this run finished.

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C, after the running trials are requeued.
    DriverReplaced
        Another driver took the study over; the running trials are cancelled.
    """
    t0 = time.perf_counter()
    loop = _Loop(cluster, study, space, files, data, storage_name, prune, on_trial)
    loop.run.target = n_trials
    to_start = n_trials - loop.run.finished_before
    with interrupts_between_steps() as interrupted:
        try:
            while loop.pending or to_start > 0:
                if still_driving is not None:
                    still_driving()
                to_start = loop.fill(to_start, interrupted)
                loop.collect(interrupted)
        except DriverReplaced:  # the trials are the new driver's now: tell the study nothing
            for future in loop.pending:
                future.cancel()
            raise
        except BaseException:  # Ctrl-C above all: leave no trial RUNNING
            loop.requeue_pending()
            raise
    loop.run.seconds = time.perf_counter() - t0
    return loop.run


class _Loop:
    """The driver's state: the study, the cluster, and the trials running on it."""

    def __init__(self, cluster, study, space, files, data, storage_name, prune, on_trial):
        self.cluster, self.study, self.space, self.files = cluster, study, space, files
        self.data, self.storage_name, self.prune = data, storage_name, prune
        self.on_trial = on_trial
        self.distributions = space.distributions()
        self.pending: dict = {}  # future -> (optuna Trial, submitted at, seconds to ask+submit)
        self.run = SweepRun(0, finished_count(study))

    def fill(self, to_start: int, interrupted: list) -> int:
        """Ask for trials and submit them while slots are free; trials left to start."""
        while to_start > 0 and len(self.pending) < self.cluster.slots():
            if interrupted:
                raise KeyboardInterrupt
            t0 = time.perf_counter()
            trial = self.study.ask(self.distributions)
            s = self.space
            task = TrialTask(trial.number, dict(trial.params), s.config(trial.params).to_dict(),
                             self.study.study_name, self.storage_name, self.data.n_classes,
                             self.prune, s.startup_trials, s.warmup_epochs)
            future = self.cluster.submit(run_trial, task, *self.cluster.data(), name="trial")
            submitted = time.perf_counter()
            self.pending[future] = (trial, submitted, submitted - t0)
            to_start -= 1
        return to_start

    def collect(self, interrupted: list) -> None:
        """Wait up to a second for trials to finish (workers may join meanwhile); record them."""
        from distributed import wait

        try:
            done = wait(list(self.pending), timeout=1.0, return_when="FIRST_COMPLETED").done
        except TimeoutError:
            done = ()
        for future in done:
            if interrupted:
                raise KeyboardInterrupt
            trial, submitted, asking = self.pending.pop(future)
            t0 = time.perf_counter()
            record = _finish(self.study, self.space, self.files, trial, future, submitted)
            self.files.write_table(self.study.get_trials(deepcopy=False))
            record.driver_seconds = asking + time.perf_counter() - t0
            self.run.records.append(record)
            if self.on_trial is not None:
                self.on_trial(record)
        if interrupted:
            raise KeyboardInterrupt

    def requeue_pending(self) -> None:
        """Cancel the running trials and queue them again for the next run."""
        try:
            for future, (trial, *_) in self.pending.items():
                future.cancel()
                requeue(self.study, trial.number, dict(trial.params))
            self.files.write_table(self.study.get_trials(deepcopy=False))
        except Exception:  # e.g. the scheduler is gone: the next run requeues them instead
            pass


@contextmanager
def interrupts_between_steps():
    """Ctrl-C (SIGINT) takes effect between the loop's steps, never inside an ask or a tell.

    Only in the main thread; also where SIGINT was ignored when the process
    started (a script's background job): ``kill -INT`` stops a sweep cleanly.

    Yields
    ------
    list of int
        Gets an entry when SIGINT arrives; the loop checks it and raises
        KeyboardInterrupt at a safe point (within about a second).
    """
    caught: list[int] = []
    with sigint_handler(lambda signum, frame: caught.append(signum)):
        yield caught


@contextmanager
def sigint_handler(handler: Callable) -> Iterator[None]:
    """``handler`` answers SIGINT inside the block; the previous handler is back after it.

    Only in the main thread, where Python handles signals (elsewhere the block
    runs as it is).  Installed whatever the previous handler was, SIG_IGN too
    (a script's background job), so ``kill -INT`` still reaches ``handler``.

    Parameters
    ----------
    handler : callable
        ``handler(signum, frame)``, as ``signal.signal`` takes it.

    Yields
    ------
    None
        Nothing: ``handler`` is installed while the block runs.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        if previous is not None:  # None: a handler not installed from Python; leave ours
            signal.signal(signal.SIGINT, previous)


def _finish(study, space, files: SweepFiles, trial, future, submitted: float) -> TrialRecord:
    """Write a returned trial's files, then tell the study how it ended."""
    import optuna

    State = optuna.trial.TrialState
    params = dict(trial.params)
    try:
        outcome: TrialOutcome = future.result()
    except Exception as exc:  # the task raised, or killed too many workers
        error = f"{type(exc).__name__}: {one_line(exc)}"
        trial.set_user_attr("error", error)
        study.tell(trial, state=State.FAIL)
        return TrialRecord(trial.number, "FAIL", params, None, None, error,
                           time.perf_counter() - submitted)
    turnaround = time.perf_counter() - submitted
    config = space.config(params)
    meta = files.trial_meta(config, trial.number, params, outcome)
    files.write_trial(trial.number, outcome.history, meta)
    for key, value in (("epochs", outcome.epochs_run), ("best_epoch", outcome.best_epoch),
                       ("diverged_epoch", outcome.diverged_epoch),
                       ("train_seconds", round(outcome.train_seconds, 3)),
                       ("restarts", outcome.restarts), ("worker", outcome.worker)):
        if value is not None:
            trial.set_user_attr(key, value)
    best = False
    if outcome.pruned:
        study.tell(trial, state=State.PRUNED)
    else:
        best = outcome.weights is not None and _beats_best(study, trial.number, outcome.value)
        if best:  # written before the tell: a crash in between reruns this trial
            files.write_best(config, outcome.weights, outcome.history, meta)
        study.tell(trial, outcome.value)
    state = "PRUNED" if outcome.pruned else "COMPLETE"
    return TrialRecord(trial.number, state, params, outcome.value, outcome, None, turnaround,
                       best)


def _beats_best(study, number: int, value: float) -> bool:
    """Whether a trial with ``value`` becomes Optuna's best trial (ties: the lower number)."""
    try:
        best = study.best_trial
    except ValueError:  # no complete trial yet
        return True
    return value > best.value or (value == best.value and number < best.number)


def conclude(study, space, files: SweepFiles, data: SweepData) -> dict | None:
    """End a sweep: make sure ``best.npz`` is the best trial's, score it on the test set once.

    ``best.npz`` is written when a trial becomes the best; if a crash came
    between that and the study recording it, the file can hold another trial.
    Then the best trial is trained again here (training is deterministic) and
    written.

    Parameters
    ----------
    study : optuna.study.Study
        The study.
    space : Space
        The search space.
    files : SweepFiles
        The sweep's directory.
    data : SweepData
        The data: the training set to retrain on, the test set to score.

    Returns
    -------
    dict or None
        The best trial's summary for ``sweep.json`` (``trial``,
        ``validation_accuracy``, ``params``, ``test_accuracy``, ``model``; the
        last two None if every complete trial diverged), or None without a
        complete trial.
    """
    try:
        best = study.best_trial
    except ValueError:
        return None
    summary = {"trial": best.number, "validation_accuracy": best.value, "params": best.params,
               "test_accuracy": None, "model": None}
    if best.user_attrs.get("diverged_epoch") is not None:
        return summary  # every complete trial diverged: there is no model to keep
    if files.best_trial_number() != best.number:
        config = space.config(best.params)
        outcome = train_trial(config, (data.x_train, data.y_train), best.number, Reporter(),
                              data.n_classes)
        meta = files.trial_meta(config, best.number, dict(best.params), outcome)
        files.write_best(config, outcome.weights, outcome.history, meta)
        summary["retrained"] = True
    summary["test_accuracy"] = files.score_best()
    summary["model"] = BEST_MODEL
    return summary
