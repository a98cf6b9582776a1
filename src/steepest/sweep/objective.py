"""One trial, on a worker: steepest's own training loop, reporting each epoch to the study.

The machine that runs ``steepest sweep`` asks Optuna for a trial's parameters
and sends a :class:`TrialTask` to a Dask worker; :func:`run_trial` runs there.
It trains with :func:`steepest.training.run` on the training images (the test
set never reaches a worker, so it cannot be used to choose), reports each
epoch's validation accuracy to the study and asks the pruner whether to go on.
It returns a :class:`TrialOutcome` -- scores, history, the weights -- and never
changes the trial's state itself: only the sweep's driver tells Optuna how a
trial ended, so a worker that dies half-way leaves nothing half-recorded.

Two rules decide what a trial's value is:

* **pruned**: the pruner stopped it after an epoch; its value is what Optuna
  records for a pruned trial, the last reported validation accuracy;
* **diverged** (:class:`~steepest.training.TrainingDiverged`, a NaN or
  infinite loss or weight): the trial is *complete* with validation accuracy
  **0**, and ``diverged_epoch`` says when.  A network whose weights are NaN
  classifies nothing, and recording it (rather than failing it) shows the
  "too large" end of the learning rate in the results and steers the sampler
  away from it.
"""

from __future__ import annotations

import os
import socket
import time
import warnings
from dataclasses import dataclass, field

import numpy as np

from ..blas import limit_blas_threads
from ..config import TrainConfig
from ..training import TrainingDiverged, TrainingStopped, run


@dataclass
class TrialTask:
    """What a worker needs to run one trial (small: the data travels separately).

    Parameters
    ----------
    number : int
        Optuna's trial number.
    params : dict
        The trial's searched values, as Optuna stores them (``hidden`` as ``"800-800"``).
    config : dict
        The whole :class:`TrainConfig`, as ``TrainConfig.to_dict()`` gives it.
    study_name : str
        The study's name in its storage.
    storage_name : str
        The ``DaskStorage``'s name on the scheduler; ``""`` to report to no study.
    n_classes : int
        Classes of the data (the output layer's width).
    prune : bool, default True
        Ask the pruner after each epoch.
    startup_trials, warmup_epochs : int, default 5 and 0
        The pruner's settings (:class:`~steepest.sweep.space.Space`).
    """

    number: int
    params: dict
    config: dict
    study_name: str
    storage_name: str
    n_classes: int
    prune: bool = True
    startup_trials: int = 5
    warmup_epochs: int = 0


@dataclass
class TrialOutcome:
    """What came of a trial, sent back to the sweep's driver.

    Parameters
    ----------
    number : int
        Optuna's trial number.
    pruned : bool
        Whether the pruner stopped it.
    value : float
        Validation accuracy of the returned weights (of the last epoch if
        pruned; 0 if diverged).
    history : list of dict
        One ``EpochRecord.to_dict()`` per epoch run.
    best_epoch : int
        The epoch whose weights are returned.
    stopped_early : bool
        Whether the config's own ``patience`` stopped it (not the pruner).
    diverged_epoch : int, optional
        The epoch whose loss or weights went NaN or infinite; None if none did.
    weights : list of numpy.ndarray, optional
        The trained network's weights; None when pruned or diverged.
    restarts : int, default 0
        Times this trial was started before (its worker was lost).
    worker : str, default "local"
        The Dask worker's address.
    host : str, default socket.gethostname()
        The machine it ran on.
    pid : int, default os.getpid()
        The worker's process id.
    train_seconds : float, default 0.0
        Seconds in steepest's training loop, storage calls excluded.
    storage_seconds : float, default 0.0
        Seconds reporting to and asking the study, from the worker.
    setup_seconds : float, default 0.0
        Seconds opening the study on the worker.
    """

    number: int
    pruned: bool
    value: float
    history: list[dict]
    best_epoch: int
    stopped_early: bool
    diverged_epoch: int | None = None
    weights: list[np.ndarray] | None = None
    restarts: int = 0
    worker: str = "local"
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    train_seconds: float = 0.0
    storage_seconds: float = 0.0
    setup_seconds: float = 0.0

    @property
    def epochs_run(self) -> int:
        """Epochs the trial ran (one history record each)."""
        return len(self.history)


class Reporter:
    """Reports epochs to an Optuna trial and asks its pruner, timing both.

    Parameters
    ----------
    trial : optuna.trial.Trial, optional
        The trial to report to; None reports nothing.
    prune : bool, default True
        Ask ``trial.should_prune()`` after each report.
    already : iterable of int, default ()
        Epochs this trial reported before (a rerun after a lost worker):
        Optuna keeps the first report of a step, so they are not reported
        again, and the pruner is not asked about them -- Optuna's pruners
        judge a trial at its *last reported* step, which is the first run's
        last epoch, not the epoch the rerun is at.  It is asked again from
        the first new epoch on.

    Examples
    --------
    >>> Reporter()(1, 0.9)  # no trial: nothing reported, never stops
    False
    """

    def __init__(self, trial=None, prune: bool = True, already=()) -> None:
        self.trial, self.prune, self.already = trial, prune, set(already)
        self.seconds = 0.0

    def __call__(self, epoch: int, value: float, last: bool = False) -> bool:
        """Report ``value`` for ``epoch``; True if the trial should stop here.

        After the ``last`` epoch -- the config's last, or the one its own
        ``patience`` stops it at -- the pruner is not asked: stopping would save
        nothing and lose a finished result.

        Parameters
        ----------
        epoch : int
            The epoch just run, from 1: Optuna's step.
        value : float
            Its validation accuracy.
        last : bool, default False
            Whether the run ends after this epoch anyway.

        Returns
        -------
        bool
            True if the pruner says stop.
        """
        if self.trial is None or epoch in self.already:
            return False
        t0 = time.perf_counter()
        try:
            self.trial.report(value, epoch)
            return self.prune and not last and self.trial.should_prune()
        finally:
            self.seconds += time.perf_counter() - t0


def train_trial(
    config: TrainConfig,
    train_data: tuple[np.ndarray, np.ndarray],
    number: int,
    reporter: Reporter,
    n_classes: int | None = None,
) -> TrialOutcome:
    """Train one trial's network with one BLAS thread; report every epoch to ``reporter``.

    Pruning ends the run through the training loop's
    :class:`~steepest.training.TrainingStopped`; a
    :class:`~steepest.training.TrainingDiverged` ends it with value 0.

    Parameters
    ----------
    config : TrainConfig
        The trial's settings.
    train_data : tuple of numpy.ndarray
        The training images and labels: ``config.validation`` of them are held
        out and scored after each epoch.
    number : int
        Optuna's trial number.
    reporter : Reporter
        Told each epoch's validation accuracy; says when to stop.
    n_classes : int, optional
        Classes of the data; None: one more than the largest label.

    Returns
    -------
    TrialOutcome
        Its scores and history, and its weights unless pruned or diverged.
    """
    history: list[dict] = []
    pruned_at: list[int] = []

    def on_epoch(record, state) -> None:
        history.append(record.to_dict())
        # state.stopped_early: patience ends the run after this epoch anyway
        last = record.epoch == config.epochs or state.stopped_early
        if reporter(record.epoch, record.extra["val_accuracy"], last):
            pruned_at.append(record.epoch)
            raise TrainingStopped  # run() ends the run here and returns what it has

    t0 = time.perf_counter()
    try:
        # One BLAS thread: a worker has one core, and a second thread would only wait
        # for it.  errstate: an overflow is reported as TrainingDiverged; NumPy's
        # warnings would only fill the worker's log with the same news.
        with limit_blas_threads(1), np.errstate(over="ignore", invalid="ignore"):
            result = run(config, (train_data, None), n_classes=n_classes, on_epoch=on_epoch)
    except TrainingDiverged as exc:
        return TrialOutcome(number, False, 0.0, history, best_epoch=0, stopped_early=False,
                            diverged_epoch=exc.epoch,
                            train_seconds=time.perf_counter() - t0 - reporter.seconds,
                            storage_seconds=reporter.seconds)
    seconds = time.perf_counter() - t0 - reporter.seconds
    pruned = bool(pruned_at)
    value = history[-1]["val_accuracy"] if pruned else result.validation_accuracy
    return TrialOutcome(
        number, pruned, float(value), history, best_epoch=result.best_epoch,
        stopped_early=result.stopped_early,
        weights=None if pruned else result.network.get_weights(),
        train_seconds=seconds, storage_seconds=reporter.seconds,
    )


def run_trial(task: TrialTask, x_train: np.ndarray, y_train: np.ndarray) -> TrialOutcome:
    """The Dask task: open the study through the scheduler, train, return the outcome.

    The data arrives as arguments: the driver scattered it to every worker
    once, so each worker holds one copy for all its trials.

    Parameters
    ----------
    task : TrialTask
        The trial to run.
    x_train, y_train : numpy.ndarray
        The training images and labels.

    Returns
    -------
    TrialOutcome
        What :func:`train_trial` returned, with the setup time, the restarts
        and the worker's address.
    """
    t0 = time.perf_counter()
    trial, already, restarts = None, (), 0
    if task.storage_name:
        trial, already, restarts = _open_trial(task)
    setup = time.perf_counter() - t0
    reporter = Reporter(trial, task.prune, already)
    outcome = train_trial(TrainConfig.from_dict(task.config), (x_train, y_train), task.number,
                          reporter, task.n_classes)
    outcome.setup_seconds, outcome.restarts, outcome.worker = setup, restarts, _worker_address()
    return outcome


def _open_trial(task: TrialTask):
    """The Optuna trial ``task.number`` of the study, through the scheduler's DaskStorage."""
    import optuna
    from optuna_integration import DaskStorage

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no INFO lines in worker logs
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        storage = DaskStorage(name=task.storage_name, register=False)
    pruner = (optuna.pruners.MedianPruner(n_startup_trials=task.startup_trials,
                                          n_warmup_steps=task.warmup_epochs + 1)
              if task.prune else optuna.pruners.NopPruner())
    study = optuna.load_study(study_name=task.study_name, storage=storage, pruner=pruner)
    study_id = storage.get_study_id_from_name(task.study_name)
    trial_id = storage.get_trial_id_from_study_id_trial_number(study_id, task.number)
    before = storage.get_trial(trial_id)
    # Started before: its worker was lost and Dask runs the task again.
    restarts = int(before.user_attrs.get("restarts", -1)) + 1 if "pid" in before.user_attrs else 0
    trial = optuna.trial.Trial(study, trial_id)
    trial.set_user_attr("restarts", restarts)  # before "pid", which marks a started trial
    trial.set_user_attr("worker", _worker_address())
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())
    return trial, tuple(before.intermediate_values), restarts


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):  # not in a Dask worker
        return "local"
