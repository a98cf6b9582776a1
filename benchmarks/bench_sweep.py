"""A sweep on 2 local Dask workers against the same trials one after another: speed-up, overhead.

The same N trials -- the lecture's 784-15-10 sigmoid network, batch 10, one
learning rate each (log-spaced, so some crawl and some overshoot), E epochs on
the 50,000 / 10,000 split of the bundled MNIST -- run twice:

1. **one after another in this process**: steepest's training loop
   (:func:`steepest.sweep.objective.train_trial` with nothing to report to),
   one BLAS thread, no Dask, no Optuna;
2. **as a sweep** (:func:`steepest.sweep.driver.run_sweep`, grid sampler, no
   pruning, so both do the same work) on a Dask ``LocalCluster`` of 2
   single-threaded worker processes, the study in SQLite on the scheduler.

Recorded per trial: the training seconds measured *inside the worker* (storage
calls excluded), the worker's seconds in storage calls (reporting each epoch,
asking the pruner) and opening the study, the driver's own seconds (ask, submit,
files, tell), and the turnaround from submitting the task to having its result.

**Overhead per trial** = (workers x loop wall time - sum of the trials'
training seconds) / N: the worker-seconds a sweep spends on anything but
training -- scheduling, storage, the driver, moving results, idle slots.
Starting the cluster and sending the data to the workers happen once per sweep;
they are recorded apart, and in the end-to-end speed-up.  Issue 9's bars:
speed-up >= 1.7x on this 2-core machine, overhead per trial <= 5 % of a 10-second
trial.  The projection to 10 and 100 workers uses these figures (see render.py).

Results: benchmarks/results/sweep.json and .md (record.py).

Run:  python benchmarks/bench_sweep.py [--trials 8] [--epochs 40] [--quick]
      (--quick: 4 trials of 4 epochs)
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time

import numpy as np

from record import Recorder, run_mode

WORKERS = 2
GOALS = {"speedup": 1.7, "overhead_share_of_10s": 0.05}
PROJECT_WORKERS = (10, 100)


def make_space(trials: int, epochs: int):
    from steepest.sweep.space import parse_space

    rates = [float(f"{r:.3g}") for r in np.geomspace(0.03, 30, trials)]
    return parse_space({"hidden": [15], "activation": "sigmoid", "batch_size": 10,
                        "epochs": epochs, "validation": 10_000, "sampler": "grid",
                        "search": {"learning_rate": rates}}, "bench_sweep")


def one_after_another(space, x, y) -> dict:
    from steepest.sweep.objective import Reporter, train_trial

    t0 = time.perf_counter()
    trials = []
    for i, rate in enumerate(space.params[0].choices):
        outcome = train_trial(space.config({"learning_rate": rate}), (x, y), i, Reporter(),
                              n_classes=10)
        trials.append({"learning_rate": rate, "train_s": outcome.train_seconds,
                       "value": outcome.value})
        print(f"  one after another: trial {i} lr {rate:g}: validation "
              f"{100 * outcome.value:.2f} %, {outcome.train_seconds:.2f} s")
    return {"wall_s": time.perf_counter() - t0, "trials": trials}


def as_a_sweep(space, data, directory: str) -> dict:
    import optuna

    from steepest.sweep import study as studies
    from steepest.sweep.cluster import SweepCluster
    from steepest.sweep.driver import run_sweep
    from steepest.sweep.results import SweepFiles

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    logging.getLogger("distributed").setLevel(logging.CRITICAL)
    t0 = time.perf_counter()
    with SweepCluster.local(WORKERS) as cluster:
        cluster.check()
        t_cluster = time.perf_counter()
        storage = studies.open_storage(cluster.client, f"sqlite:///{directory}/sweep.db")
        study = studies.open_study(storage, "bench", space, data.checksums)
        t_storage = time.perf_counter()
        cluster.scatter(data.x_train, data.y_train)
        t_data = time.perf_counter()
        n = len(space.params[0].choices)
        run = run_sweep(cluster, study, space, SweepFiles(directory, space, data), data, n,
                        storage_name=storage.name, prune=False,
                        on_trial=lambda r: print(f"  sweep: trial {r.number} done, "
                                                 f"{r.outcome.train_seconds:.2f} s training"))
        t_loop = time.perf_counter()
        studies.close_storage(cluster.client, storage)
    end = time.perf_counter()
    trials = [{"learning_rate": r.params["learning_rate"], "value": r.value,
               "epochs": r.epochs, "train_s": r.outcome.train_seconds,
               "storage_s": r.outcome.storage_seconds, "setup_s": r.outcome.setup_seconds,
               "turnaround_s": r.turnaround, "driver_s": r.driver_seconds,
               "worker": r.outcome.worker} for r in sorted(run.records, key=lambda r: r.number)]
    return {"cluster_start_s": t_cluster - t0, "storage_open_s": t_storage - t_cluster,
            "data_to_workers_s": t_data - t_storage, "loop_s": run.seconds,
            "close_s": end - t_loop, "total_s": end - t0, "trials": trials}


def derive(sequential: dict, sweep: dict) -> dict:
    """Speed-ups, the overhead per trial and its parts, the projection: from measured figures."""
    trials = sweep["trials"]
    n = len(trials)
    train = sum(t["train_s"] for t in trials)
    epochs = sum(t["epochs"] for t in trials)
    overhead = (WORKERS * sweep["loop_s"] - train) / n
    mean = {k: sum(t[k] for t in trials) / n
            for k in ("train_s", "storage_s", "setup_s", "turnaround_s", "driver_s")}
    epoch_s = train / epochs  # training seconds per epoch, in the workers
    storage_per_epoch = sum(t["storage_s"] for t in trials) / epochs
    trial_s = mean["train_s"] + mean["storage_s"] + mean["setup_s"]
    projection = []
    for w in (WORKERS, *PROJECT_WORKERS):
        # Every worker's storage calls queue at the one scheduler, and every trial's
        # ask/tell at the one driver: the share of their time each would be busy.
        projection.append({"workers": w, "storage_busy": w * storage_per_epoch / epoch_s,
                           "driver_busy": w * mean["driver_s"] / trial_s,
                           "driver_busy_10s": w * mean["driver_s"] / 10.0})
    return {
        "speedup_loop": sequential["wall_s"] / sweep["loop_s"],
        "speedup_total": sequential["wall_s"] / sweep["total_s"],
        "overhead_per_trial_s": overhead,
        "overhead_share_of_trial": overhead / mean["train_s"],
        "overhead_share_of_10s": overhead / 10.0,
        "fixed_per_sweep_s": sweep["cluster_start_s"] + sweep["storage_open_s"]
        + sweep["data_to_workers_s"] + sweep["close_s"],
        "mean": mean,
        "epoch_s": epoch_s,
        "storage_per_epoch_s": storage_per_epoch,
        "scheduling_s": mean["turnaround_s"] - trial_s,  # submit -> result, minus the trial
        "projection": projection,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--quick", action="store_true", help="4 trials of 4 epochs")
    args = parser.parse_args()
    recorder = Recorder("sweep", run_mode(parser, args))
    trials, epochs = (4, 4) if args.quick else (args.trials, args.epochs)

    from steepest.datasets import mnist
    from steepest.runrecord import data_checksums
    from steepest.sweep.results import SweepData

    arrays = mnist.load_data()
    (x, y), (xt, yt) = arrays
    data = SweepData(x, y, xt, yt, None, data_checksums(arrays), 10)
    space = make_space(trials, epochs)
    print(f"{trials} trials of {epochs} epochs (784-15-10, batch 10); load average "
          f"{os.getloadavg()[0]:.2f} at start")
    sequential = one_after_another(space, x, y)
    with tempfile.TemporaryDirectory() as directory:
        sweep = as_a_sweep(space, data, directory)
    figures = {"settings": {"trials": trials, "epochs": epochs, "network": "784-15-10 sigmoid",
                            "batch_size": 10, "train_images": len(x) - 10_000,
                            "workers": WORKERS, "cores": os.cpu_count()},
               "goals": GOALS, "sequential": sequential, "sweep": sweep,
               "derived": derive(sequential, sweep)}
    d = figures["derived"]
    print(f"one after another {sequential['wall_s']:.1f} s; sweep {sweep['loop_s']:.1f} s of "
          f"trials, {sweep['total_s']:.1f} s in all: speed-up {d['speedup_loop']:.2f}x "
          f"({d['speedup_total']:.2f}x end to end); overhead {d['overhead_per_trial_s']:.3f} s "
          f"per trial = {100 * d['overhead_share_of_10s']:.1f} % of a 10-s trial; load average "
          f"{os.getloadavg()[0]:.2f} at end")
    path = recorder.write(figures)
    print(f"results: {path} and {path.with_suffix('.md').name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
