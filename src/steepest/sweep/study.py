"""The Optuna side of a sweep: storage, the study, its sampler, and resuming it.

**Storage.** Every trial lives in an Optuna RDB storage: by default the SQLite
file ``DIR/sweep.db``, or any SQLAlchemy URL (``--storage postgresql://...``).
It is opened *on the Dask scheduler* and reached through Optuna's
``DaskStorage``: the driver and the workers send each storage call to the
scheduler, which alone holds the database connection.  So workers need no
database driver, no credentials and no shared filesystem, and one process
writes the SQLite file (its journal is switched to WAL: a commit then costs
one write to the log, not a rewritten journal -- several times faster here).

**Resuming.** A study is found by name in its storage; running the same
command again continues it.  The study records its search space and the
SHA-256 of its data, and refuses to continue with different ones.  Trials
left RUNNING by a run that crashed (or was stopped with Ctrl-C) are marked
FAIL and run again with the same parameters: the new trial's user attribute
``retry_of`` names the interrupted one, which does not count (a trial that
failed on its own has an ``error`` attribute, and counts).  Nothing finished
is lost or repeated.  One ``steepest sweep`` drives a study at a time: it
claims the study first (:mod:`steepest.sweep.lock`).
"""

from __future__ import annotations

import warnings

from ..messages import one_line


def check_storage_url(url: str) -> None:
    """Fail fast, here, on a URL SQLAlchemy cannot parse or whose database it does not know.

    Parameters
    ----------
    url : str
        An SQLAlchemy URL, e.g. ``sqlite:///sweep.db`` or ``postgresql://host/db``.

    Raises
    ------
    ValueError
        One line naming ``url`` and SQLAlchemy's complaint.

    Examples
    --------
    >>> check_storage_url("sqlite:///sweep.db")
    >>> check_storage_url("nosuchdb://host/db")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: cannot open storage 'nosuchdb://host/db': Can't load plugin: ...
    """
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        make_url(url).get_dialect()
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise ValueError(f"cannot open storage {url!r}: {one_line(exc)}") from None


def open_storage(client, url: str):
    """Open the storage at ``url`` on the scheduler; an Optuna ``DaskStorage`` for it.

    A SQLite file's journal is switched to WAL first (see the module docstring).

    Parameters
    ----------
    client : distributed.Client
        A client of the cluster's scheduler.
    url : str
        An SQLAlchemy URL, as the scheduler's machine reaches the database.

    Returns
    -------
    optuna_integration.DaskStorage
        The storage, through the scheduler; close it with :func:`close_storage`.

    Raises
    ------
    ValueError
        One line, when the URL is malformed or the scheduler cannot open it.
    """
    import optuna
    from optuna_integration import DaskStorage
    from sqlalchemy.engine import make_url

    check_storage_url(url)
    parsed = make_url(url)

    def wal(path: str) -> None:  # runs on the scheduler: Dask sends it by value
        import sqlite3

        connection = sqlite3.connect(path)
        try:
            connection.execute("PRAGMA journal_mode=WAL")  # kept by the file
        finally:
            connection.close()

    try:
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            client.run_on_scheduler(wal, parsed.database)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return DaskStorage(url, client=client)
    except Exception as exc:  # whatever SQLAlchemy or the driver raised on the scheduler
        raise ValueError(f"the Dask scheduler cannot open storage {url!r}: "
                         f"{one_line(exc)}") from None


def close_storage(client, storage) -> None:
    """Drop the storage from the scheduler and close its connections (a remote one lives on).

    Parameters
    ----------
    client : distributed.Client
        A client of the scheduler that holds the storage.
    storage : optuna_integration.DaskStorage
        The storage, as :func:`open_storage` returned it.
    """
    def forget(dask_scheduler, name: str) -> None:
        extension = dask_scheduler.extensions.get("optuna")
        backend = extension.storages.pop(name, None) if extension else None
        backend = getattr(backend, "_backend", backend)  # Optuna's cache wraps the RDBStorage
        engine = getattr(backend, "engine", None)
        if engine is not None:
            engine.dispose()

    client.run_on_scheduler(forget, name=storage.name)


def make_sampler(space, seed: int):
    """The space's sampler, seeded: TPE (with a constant liar for parallel trials), random, grid.

    Parameters
    ----------
    space : Space
        The search space; its ``sampler`` names the sampler.
    seed : int
        The sampler's seed.

    Returns
    -------
    optuna.samplers.BaseSampler
        A ``TPESampler(constant_liar=True)``, a ``RandomSampler``, or a
        ``GridSampler`` over :meth:`Space.grid` that lets the driver count trials.
    """
    import optuna

    if space.sampler == "grid":

        class Grid(optuna.samplers.GridSampler):
            """Optuna's grid sampler, for ask-and-tell.

            Its ``after_trial`` calls ``study.stop()`` once the grid is done, which
            works only inside ``study.optimize()``; here the driver counts trials.
            """

            def after_trial(self, study, trial, state, values) -> None:
                pass

        return Grid(space.grid(), seed=seed)
    if space.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # constant_liar: a running trial counts as a bad result, so parallel workers
    # are not all sent to the same promising spot.
    return optuna.samplers.TPESampler(seed=seed, constant_liar=True)


def open_study(storage, name: str, space, data_sha256: dict, seed: int = 0):
    """Create study ``name``, or load it to continue; check it is the same space and data.

    The sampler's seed is ``seed`` plus the number of trials the study already
    has: a continued study must not draw the same "random" first trials again.

    Parameters
    ----------
    storage : optuna.storages.BaseStorage
        Where the study lives (a ``DaskStorage`` in a sweep).
    name : str
        The study's name in ``storage``.
    space : Space
        The search space; a new study records its :meth:`Space.describe`.
    data_sha256 : dict
        SHA-256 of each data array; a new study records it.
    seed : int, default 0
        The sampler's seed, before the trials already run are added.

    Returns
    -------
    optuna.study.Study
        The study, maximising validation accuracy, with its sampler.

    Raises
    ------
    ValueError
        The study was run with another space or other data.
    """
    import optuna

    # Asked first rather than caught: the scheduler would log the failed create.
    if name in optuna.get_all_study_names(storage):
        study = optuna.load_study(study_name=name, storage=storage)
    else:
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize")
    study.sampler = make_sampler(space, seed + len(study.get_trials(deepcopy=False)))
    recorded = study.user_attrs
    for key, value in (("space", space.describe()), ("data_sha256", data_sha256)):
        if key not in recorded:
            study.set_user_attr(key, value)
        elif recorded[key] != value:
            what = "search space or fixed settings" if key == "space" else "data"
            raise ValueError(f"study {name!r} was run with other {what} than now; continue it "
                             f"with the same ones, or start a new study with --study NAME")
    return study


def retried_numbers(trials) -> set[int]:
    """Numbers of interrupted trials a retry replaced.

    Parameters
    ----------
    trials : iterable of optuna.trial.FrozenTrial
        A study's trials.

    Returns
    -------
    set of int
        The ``retry_of`` attribute of each retry among them.
    """
    return {t.user_attrs["retry_of"] for t in trials if "retry_of" in t.user_attrs}


def counts(trial) -> bool:
    """Whether a trial counts as finished: COMPLETE, PRUNED, or FAIL with an error.

    A FAIL without an ``error`` attribute is an interrupted trial (see
    :func:`requeue`): it is run again, not counted.

    Parameters
    ----------
    trial : optuna.trial.FrozenTrial
        One of a study's trials.

    Returns
    -------
    bool
        Whether it counts towards the sweep's number of trials.
    """
    name = trial.state.name
    return name in ("COMPLETE", "PRUNED") or (name == "FAIL" and "error" in trial.user_attrs)


def finished_count(study) -> int:
    """Trials that count as finished; see :func:`counts`.

    Parameters
    ----------
    study : optuna.study.Study
        The study.

    Returns
    -------
    int
        How many of its trials count.
    """
    return sum(1 for t in study.get_trials(deepcopy=False) if counts(t))


def requeue(study, number: int, params: dict, retried: set[int] | None = None) -> None:
    """Mark interrupted trial ``number`` FAIL and queue a new trial with its ``params``.

    The retry is queued first: if this process dies in between, the trial is
    still RUNNING and the next run finishes the job without queueing twice.
    A trial interrupted before its parameters were all drawn (``params``
    empty or partial) is not queued again: the sampler draws a new one.

    Parameters
    ----------
    study : optuna.study.Study
        The study.
    number : int
        The interrupted trial's number.
    params : dict
        Its parameters; empty to queue no retry.
    retried : set of int, optional
        :func:`retried_numbers` of the study, if the caller has it; a trial
        among them already has its retry and gets no second one.
    """
    import optuna

    if retried is None:
        retried = retried_numbers(study.get_trials(deepcopy=False))
    if params and number not in retried:
        study.enqueue_trial(params, user_attrs={"retry_of": number})
    study.tell(number, state=optuna.trial.TrialState.FAIL, skip_if_finished=True)


def recover_interrupted(study, names) -> list[int]:
    """Requeue every trial left RUNNING by an earlier run; their numbers.

    Parameters
    ----------
    study : optuna.study.Study
        The study.
    names : list of str
        The space's parameter names; a trial without all of them was stopped
        before it reached a worker, and is not queued again.

    Returns
    -------
    list of int
        The numbers of the trials marked FAIL.
    """
    trials = study.get_trials(deepcopy=False)
    retried = retried_numbers(trials)
    running = [t for t in trials if t.state.name == "RUNNING"]
    for t in running:
        requeue(study, t.number, t.params if set(t.params) == set(names) else {}, retried)
    return [t.number for t in running]
