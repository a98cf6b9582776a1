"""Hyperparameter sweeps: Optuna proposes trials, Dask workers train them (``steepest sweep``).

Nothing here schedules or stores by itself: Optuna's samplers, pruner and RDB
storage decide and remember, Dask distributed runs the trials, and each trial
is steepest's own training loop.  One module per job:

===============  ==============================================================
``space``        SPACE.toml: fixed TrainConfig keys and a ``[search]`` table,
                 checked before anything runs (needs no Optuna)
``checks``       the checks of a space whose cost a hostile file could blow up
``objective``    one trial on a worker: train, report each epoch, maybe prune
``study``        the storage (on the Dask scheduler), the study, its sampler,
                 resuming after a crash or Ctrl-C
``lock``         one driver per study: a claim with a heartbeat, in the study
``cluster``      a local Dask cluster or a running one, with the data on each worker
``driver``       the loop: ask, submit, collect, write, tell
``results``      what the sweep's directory holds (trials.csv, best.npz, ...)
===============  ==============================================================

Needs the ``sweep`` extra (in a checkout: ``python -m pip install -e ".[sweep]"``).
"""
