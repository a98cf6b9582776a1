"""``steepest sweep SPACE.toml``: search hyperparameters with Optuna, trials run on Dask."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path

import click

from ..messages import plural
from ..sweep.lock import STALE
from .app import UserError, install_hint, load_dataset, main, writable_dir

DEFAULT_TRIALS = 20


def _need_sweep_packages() -> None:
    missing = []
    for module in ("optuna", "distributed", "optuna_integration"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise UserError(f"steepest sweep needs {', '.join(missing)}: {install_hint('sweep')}")


def _scheduler(ctx, param, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("needs an address, e.g. tcp://host:8786 (leave --scheduler out "
                                 "for a local cluster)")
    return value


def _timeout(ctx, param, value: float) -> float:
    from ..sweep.cluster import MAX_TIMEOUT, valid_timeout

    if not valid_timeout(value):
        raise click.BadParameter(f"must be a number of seconds in (0, {MAX_TIMEOUT:,.0f}], "
                                 f"got {value!r}")
    return value


def _show(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def trial_line(record) -> str:
    """One line per finished trial: number, parameters, score, epochs, how it ended, worker.

    Parameters
    ----------
    record : TrialRecord
        The trial, as the driver recorded it.

    Returns
    -------
    str
        The line, without a newline.

    Examples
    --------
    >>> from steepest.sweep.driver import TrialRecord
    >>> from steepest.sweep.objective import TrialOutcome
    >>> outcome = TrialOutcome(3, False, 0.9512, [{}] * 5, 5, False, worker="tcp://10.0.0.7:40411",
    ...                        train_seconds=41.23)
    >>> trial_line(TrialRecord(3, "COMPLETE", {"learning_rate": 3.0}, 0.9512, outcome, None, 42.0))
    'trial   3  learning_rate=3  validation 95.12%  5 epochs  complete  41.2 s  tcp://10.0.0.7:40411'
    """
    params = " ".join(f"{k}={_show(v)}" for k, v in record.params.items())
    if record.outcome is None:
        return f"trial {record.number:>3}  {params}  failed: {record.error}"
    o = record.outcome
    state = ("pruned" if o.pruned else f"diverged in epoch {o.diverged_epoch}"
             if o.diverged_epoch is not None else "complete")
    rerun = f" (rerun {o.restarts}x: worker lost)" if o.restarts else ""
    best = "  best so far" if record.best else ""
    return (f"trial {record.number:>3}  {params}  validation {100 * record.value:.2f}%  "
            f"{plural(o.epochs_run, 'epoch')}  {state}  {o.train_seconds:.1f} s  "
            f"{o.worker}{rerun}{best}")


def _describe_space(space) -> str:
    parts = []
    for p in space.params:
        if p.kind == "categorical":
            parts.append(f"{p.name} in {list(p.choices)}")
        else:
            scale = " (log)" if p.log else ""
            parts.append(f"{p.name} {_show(p.low)}..{_show(p.high)}{scale}")
    return "; ".join(parts)


def _data(data_dir: str | None, space):
    from ..runrecord import data_checksums
    from ..sweep.results import SweepData
    from ..training import check_labels

    arrays = load_dataset(data_dir)
    (x, y), (xt, yt) = arrays
    if space.validation >= len(x):
        raise ValueError(f"{space.source}: validation {space.validation:,} must be smaller than "
                         f"the {len(x):,} training images")
    return SweepData(x, y, xt, yt, data_dir, data_checksums(arrays), check_labels(None, y, yt))


@main.command()
@click.argument("space_file", metavar="SPACE.toml", type=click.Path(dir_okay=False))
@click.option("--trials", type=click.IntRange(1), default=None,
              help=f"Finished trials the study should have; a rerun continues up to it.  "
                   f"[default: {DEFAULT_TRIALS}; sampler 'grid': the grid's size]")
@click.option("--scheduler", default=None, callback=_scheduler,
              help="A running Dask scheduler, e.g. tcp://host:8786.  [default: a local cluster]")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Local cluster only: worker processes.  [default: one per core]")
@click.option("--storage", default=None,
              help="Optuna storage, any SQLAlchemy URL (postgresql://...); opened on the "
                   "scheduler.  [default: sqlite:///DIR/sweep.db]")
@click.option("--study", "study_name", default=None,
              help="Study name in the storage.  [default: SPACE's file name without .toml]")
@click.option("--output", "-o", type=click.Path(file_okay=False), default=None,
              help="Directory for the results.  [default: sweep-STUDY]")
@click.option("--data", type=click.Path(), default=None,
              help="Directory with MNIST-format IDX files.  [default: bundled MNIST]")
@click.option("--no-prune", is_flag=True, help="Run every trial to its last epoch.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed of the sampler (each trial's training seed is SPACE's `seed`).")
@click.option("--connect-timeout", type=float, default=10.0, show_default=True,
              callback=_timeout, help="Seconds to reach --scheduler and find a worker there.")
@click.option("--take-over", is_flag=True,
              help="Drive the study though another steepest sweep holds it; that one stops.  "
                   f"(One whose process ended here, or silent for {STALE:.0f} s, is taken over "
                   "anyway.)")
def sweep(space_file, trials, scheduler, workers, storage, study_name, output, data, no_prune,
          seed, connect_timeout, take_over):
    """Search hyperparameters: Optuna proposes trials, Dask workers train them.

    SPACE.toml holds fixed `steepest train` settings and a [search] table: a
    list of values per key, or { low = ..., high = ..., log = true, step = ... }.
    Each trial is scored on the validation split; the test set is scored once,
    for the best trial, at the end.  Running the same command again continues
    the study; one command drives a study at a time.  Examples:

    \b
      steepest sweep configs/sweeps/lecture-lr-batch.toml --trials 30
      steepest sweep space.toml --scheduler tcp://10.0.0.5:8786 --storage postgresql://...
    """
    from ..sweep.driver import sigint_handler

    with sigint_handler(_interrupt_once):
        try:
            _sweep(space_file, trials, scheduler, workers, storage, study_name, output, data,
                   not no_prune, seed, connect_timeout, take_over)
        except KeyboardInterrupt:  # before the first trial or after the last
            click.echo("interrupted: no trial was left running; rerun the same command to "
                       "continue", err=True)
            sys.exit(130)


def _sweep(space_file, trials, scheduler, workers, storage, study_name, output, data, prune,
           seed, connect_timeout, take_over) -> None:
    _need_sweep_packages()
    from ..sweep.space import read_space

    space = read_space(space_file)
    if scheduler is not None and workers:
        raise click.UsageError("--workers sizes the local cluster; with --scheduler, start "
                               "workers with `dask worker`")
    if scheduler is not None:
        from ..sweep.cluster import check_address

        check_address(scheduler, connect_timeout)
    study_name = study_name or Path(space_file).stem
    out = writable_dir(output or f"sweep-{study_name}")
    storage = storage or f"sqlite:///{(out / 'sweep.db').resolve()}"
    from ..sweep.study import check_storage_url

    check_storage_url(storage)
    n_trials = trials or DEFAULT_TRIALS
    if space.sampler == "grid":
        n_trials = min(trials or space.grid_size(), space.grid_size())
    sweep_data = _data(data, space)
    _quiet_libraries()
    _run(space, sweep_data, out, storage, study_name, n_trials, scheduler, workers, prune, seed,
         connect_timeout, take_over)


def _interrupt_once(signum, frame):
    """Ctrl-C (SIGINT) raises KeyboardInterrupt once; a second waits for the cleanup.

    Installed even where SIGINT was ignored when the command started (a
    script's background job): a sweep runs for hours, and ``kill -INT`` is how
    to stop it cleanly, with exit status 130.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise KeyboardInterrupt


def _quiet_libraries() -> None:
    """Our own lines say how each trial ended, and errors reach us as exceptions.

    So Optuna's and Dask's log lines would only repeat them (a storage error on
    the scheduler, say, is logged there with a traceback, then raised here).
    """
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def _run(space, data, out, storage_url, study_name, n_trials, scheduler, workers, prune, seed,
         timeout, take_over) -> None:
    from ..sweep import study as studies
    from ..sweep.cluster import SweepCluster
    from ..sweep.results import BEST_HISTORY

    n_fit = len(data.x_train) - space.validation
    click.echo(f"space: {space.source}: {_describe_space(space)}; {space.sampler} sampler, "
               + ("median pruning" if prune else "no pruning"))
    click.echo(f"data: {n_fit:,} training / {space.validation:,} validation images "
               f"({data.label or 'bundled MNIST'}); the {len(data.x_test):,} test images are "
               f"scored once, for the best trial")
    cluster = (SweepCluster.connect(scheduler, timeout) if scheduler is not None
               else SweepCluster.local(workers))
    storage = None
    with cluster:
        cluster.check()
        where = scheduler or "a local cluster"
        workers = len(cluster.client.nthreads())
        click.echo(f"cluster: {where}, {plural(workers, 'worker')} running "
                   f"{plural(cluster.slots(), 'trial')} at a time")
        try:
            storage = studies.open_storage(cluster.client, storage_url)
            study = studies.open_study(storage, study_name, space, data.checksums, seed)
            best = _drive(cluster, storage, study, space, data, out, storage_url, n_trials,
                          prune, take_over)
        finally:
            if storage is not None:
                studies.close_storage(cluster.client, storage)
    _report(best, out, BEST_HISTORY)


def _drive(cluster, storage, study, space, data, out, storage_url, n_trials, prune, take_over):
    """Claim the study, resume it, run its trials, conclude; the best trial's summary."""
    from tqdm import tqdm

    from ..sweep import driver
    from ..sweep import study as studies
    from ..sweep.lock import DriverLock, describe
    from ..sweep.results import SweepFiles

    name = study.study_name
    with DriverLock(study, take_over=take_over) as lock:
        if lock.previous is not None:
            click.echo(f"study: took {name} over from {describe(lock.previous, lock.clock())}")
        requeued = studies.recover_interrupted(study, [p.name for p in space.params])
        files = SweepFiles(out, space, data)
        done = studies.finished_count(study)
        click.echo(f"study: {name} in {storage_url}: {done} of {n_trials} trials finished"
                   + (f"; {plural(len(requeued), 'trial')} left running by an interrupted run "
                      f"will run again" if requeued else ""))
        files.write_summary(name, storage_url, n_trials, done, None)
        if done < n_trials:
            cluster.scatter(data.x_train, data.y_train)
        bar = tqdm(total=n_trials, initial=min(done, n_trials), unit="trial", leave=False,
                   disable=None, dynamic_ncols=True)

        def on_trial(record) -> None:
            bar.update(1)
            tqdm.write(trial_line(record))

        try:
            driver.run_sweep(cluster, study, space, files, data, n_trials,
                             storage_name=storage.name, prune=prune, on_trial=on_trial,
                             still_driving=lock.check)
        except KeyboardInterrupt:
            bar.close()
            done = studies.finished_count(study)
            files.write_summary(name, storage_url, n_trials, done, None)
            click.echo(f"interrupted: {done} of {n_trials} trials finished; the running "
                       f"ones will run again: rerun the same command to continue", err=True)
            sys.exit(130)
        finally:
            bar.close()
        best = driver.conclude(study, space, files, data)
        files.write_summary(name, storage_url, n_trials, studies.finished_count(study), best)
    return best


def _report(best, out: Path, history_name: str) -> None:
    if best is None:
        click.echo(f"no trial completed (all pruned or failed); see {out / 'trials.csv'}")
        return
    params = " ".join(f"{k}={_show(v)}" for k, v in best["params"].items())
    if best["model"] is None:
        click.echo(f"best: trial {best['trial']} ({params}) diverged like every complete "
                   f"trial: no model to keep; see {out / 'trials.csv'}")
        return
    click.echo(f"best: trial {best['trial']} ({params}): validation "
               f"{100 * best['validation_accuracy']:.2f}%, test {100 * best['test_accuracy']:.2f}%"
               f"; wrote {out / best['model']}, {out / history_name} and {out / 'trials.csv'}")
