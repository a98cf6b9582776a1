"""benchmarks/bench_sweep.py's arithmetic: what "overhead per trial" and the projection mean.

Nothing is timed here; the figures are made up so that each result is known.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))
import bench_sweep  # noqa: E402
import render  # noqa: E402


def trial(train_s, epochs=10, storage_s=0.05, setup_s=0.02, turnaround_s=None, driver_s=0.04):
    return {"learning_rate": 1.0, "value": 0.9, "epochs": epochs, "train_s": train_s,
            "storage_s": storage_s, "setup_s": setup_s, "worker": "tcp://w",
            "turnaround_s": turnaround_s or train_s + storage_s + setup_s + 0.01,
            "driver_s": driver_s}


@pytest.fixture
def figures():
    sequential = {"wall_s": 40.0, "trials": []}
    sweep = {"cluster_start_s": 1.0, "storage_open_s": 0.2, "data_to_workers_s": 0.3,
             "loop_s": 21.0, "close_s": 0.5, "total_s": 23.0,
             "trials": [trial(10.0), trial(10.0), trial(10.0), trial(10.0)]}
    return {"settings": {"trials": 4, "epochs": 10, "network": "784-15-10 sigmoid",
                         "batch_size": 10, "train_images": 50_000, "workers": 2, "cores": 2},
            "goals": bench_sweep.GOALS, "sequential": sequential, "sweep": sweep,
            "derived": bench_sweep.derive(sequential, sweep)}


def test_overhead_is_the_worker_seconds_not_spent_training_per_trial(figures):
    d = figures["derived"]
    # 2 workers x 21 s of trials = 42 worker-seconds, 40 of them training: 0.5 s per trial
    assert d["overhead_per_trial_s"] == pytest.approx((2 * 21.0 - 40.0) / 4)
    assert d["overhead_share_of_10s"] == pytest.approx(0.05)
    assert d["speedup_loop"] == pytest.approx(40 / 21)
    assert d["speedup_total"] == pytest.approx(40 / 23)
    assert d["storage_per_epoch_s"] == pytest.approx(0.005) and d["epoch_s"] == pytest.approx(1.0)
    assert d["scheduling_s"] == pytest.approx(0.01)


def test_the_projection_is_each_workers_share_of_the_scheduler_and_the_driver(figures):
    by_workers = {p["workers"]: p for p in figures["derived"]["projection"]}
    assert sorted(by_workers) == [2, 10, 100]
    # 100 workers x 5 ms of storage calls per 1-second epoch: busy half the time
    assert by_workers[100]["storage_busy"] == pytest.approx(0.5)
    # 100 workers x 40 ms of driver time per 10.07-second trial
    assert by_workers[100]["driver_busy"] == pytest.approx(100 * 0.04 / 10.07)
    assert by_workers[100]["driver_busy_10s"] == pytest.approx(0.4)


def test_the_tables_say_whether_each_goal_is_met(figures):
    text = render.sweep_table(figures)
    assert "speed-up >= 1.7x: 1.905x on the trials (1.74x end to end), met" in text
    assert "overhead <= 5 % of a 10-second trial: 5.0 %, met" in text
    slow = dict(figures, derived=bench_sweep.derive(figures["sequential"],
                                                     dict(figures["sweep"], loop_s=25.0)))
    assert "1.600x on the trials (1.74x end to end), not met" in render.sweep_table(slow)
    assert "overhead <= 5 % of a 10-second trial: 25.0 %, not met" in render.sweep_table(slow)
