"""One trial and the study around it, with real Optuna (in-memory storage), no Dask.

steepest.sweep.objective trains a trial and reports each epoch; steepest.sweep.study
opens, checks and resumes studies.  The Dask side is tested in test_sweep.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

from steepest.config import TrainConfig  # noqa: E402
from steepest.network import Network  # noqa: E402
from steepest.sweep import study as studies  # noqa: E402
from steepest.sweep.objective import Reporter, train_trial  # noqa: E402
from steepest.sweep.space import parse_space  # noqa: E402

optuna.logging.set_verbosity(optuna.logging.ERROR)
State = optuna.trial.TrialState


@pytest.fixture(scope="module")
def train_data(mnist_data):
    (x, y), _ = mnist_data
    return x[:1200], y[:1200]  # 900 to fit, 300 to validate


def config(**changes) -> TrainConfig:
    return TrainConfig(**{"hidden": (10,), "epochs": 4, "batch_size": 30, "validation": 300,
                          **changes})


def new_study(pruner=None):
    return optuna.create_study(direction="maximize", pruner=pruner or optuna.pruners.NopPruner())


def test_a_trial_reports_each_epochs_validation_accuracy_and_returns_its_weights(train_data):
    study = new_study()
    trial = study.ask()
    outcome = train_trial(config(), train_data, trial.number, Reporter(trial), n_classes=10)
    reported = study.trials[0].intermediate_values
    assert reported == {r["epoch"]: r["val_accuracy"] for r in outcome.history}
    assert list(reported) == [1, 2, 3, 4] and outcome.epochs_run == 4
    # the value is the best epoch's validation accuracy, and the weights are that epoch's
    assert outcome.value == max(reported.values()) == reported[outcome.best_epoch]
    net = Network((784, 10, 10), rng=np.random.default_rng(0))
    net.set_weights(outcome.weights)
    x, y = train_data
    assert net.accuracy(x[-300:], y[-300:]) == outcome.value
    assert not outcome.pruned and outcome.diverged_epoch is None
    assert outcome.train_seconds > 0 and outcome.storage_seconds > 0


def test_pruning_stops_a_poor_trial_through_the_training_loop(train_data):
    study = new_study(optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    good = study.ask()
    outcome = train_trial(config(learning_rate=3.0), train_data, good.number, Reporter(good))
    study.tell(good, outcome.value)
    poor = study.ask()  # lambda 1e-4: barely moves, far below the median after epoch 1
    outcome = train_trial(config(learning_rate=1e-4), train_data, poor.number, Reporter(poor))
    assert outcome.pruned and outcome.epochs_run == 1 and outcome.weights is None
    assert outcome.value == outcome.history[-1]["val_accuracy"]
    # --no-prune: the same trial runs to its last epoch
    free = study.ask()
    outcome = train_trial(config(learning_rate=1e-4), train_data, free.number,
                          Reporter(free, prune=False))
    assert not outcome.pruned and outcome.epochs_run == 4


def test_the_last_epoch_is_never_pruned(train_data):
    study = new_study(optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=0))
    good = study.ask()
    study.tell(good, train_trial(config(epochs=1, learning_rate=3.0), train_data, good.number,
                                 Reporter(good)).value)
    poor = study.ask()
    outcome = train_trial(config(epochs=1, learning_rate=1e-4), train_data, poor.number,
                          Reporter(poor))
    assert not outcome.pruned and outcome.weights is not None  # a finished result, kept


def test_a_diverging_trial_is_complete_with_validation_accuracy_zero(train_data):
    study = new_study()
    trial = study.ask()
    outcome = train_trial(config(learning_rate=1e38), train_data, trial.number, Reporter(trial))
    assert outcome.value == 0.0 and outcome.diverged_epoch in (1, 2)
    assert outcome.epochs_run == outcome.diverged_epoch - 1  # the epochs before it are kept
    assert not outcome.pruned and outcome.weights is None


def test_a_rerun_trial_does_not_report_an_epoch_twice(train_data):
    # A worker lost mid-trial: Dask runs the task again for the same Optuna trial.
    study = new_study()
    trial = study.ask()
    first = train_trial(config(), train_data, trial.number, Reporter(trial))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Optuna warns when a step is reported again
        again = train_trial(config(), train_data, trial.number,
                            Reporter(trial, already=study.trials[0].intermediate_values))
    assert again.history == [{**r, "seconds": a["seconds"]} for r, a in
                             zip(first.history, again.history)]  # deterministic, bit for bit
    assert again.value == first.value


def space(**fixed):
    return parse_space({"epochs": 2, **fixed,
                        "search": {"learning_rate": {"low": 0.01, "high": 10.0, "log": True}}})


def test_open_study_continues_and_refuses_another_space_or_other_data():
    storage = optuna.storages.InMemoryStorage()
    sha = {"x_train": "abc"}
    first = studies.open_study(storage, "s", space(), sha)
    first.tell(first.ask(space().distributions()), 0.5)
    again = studies.open_study(storage, "s", space(), sha)
    assert len(again.trials) == 1 and again.trials[0].value == 0.5
    with pytest.raises(ValueError, match="other search space or fixed settings than now"):
        studies.open_study(storage, "s", space(hidden=[20]), sha)
    with pytest.raises(ValueError, match="other data than now"):
        studies.open_study(storage, "s", space(), {"x_train": "def"})


def test_a_continued_study_does_not_draw_the_same_random_trials_again():
    storage = optuna.storages.InMemoryStorage()
    dists = space().distributions()
    first = studies.open_study(storage, "s", space(), {}, seed=0)
    drawn = [first.ask(dists).params["learning_rate"] for _ in range(3)]
    again = studies.open_study(storage, "s", space(), {}, seed=0)
    assert again.ask(dists).params["learning_rate"] not in drawn
    fresh = studies.open_study(optuna.storages.InMemoryStorage(), "s", space(), {}, seed=0)
    assert fresh.ask(dists).params["learning_rate"] == drawn[0]  # same seed, same start


def test_trials_left_running_are_failed_and_queued_again_with_their_params():
    storage = optuna.storages.InMemoryStorage()
    study = studies.open_study(storage, "s", space(), {})
    dists = space().distributions()
    done, left_a, left_b = (study.ask(dists) for _ in range(3))
    study.tell(done, 0.9)
    assert studies.finished_count(study) == 1
    # a crash between queueing the retry of left_a and failing it: not queued twice
    study.enqueue_trial(left_a.params, user_attrs={"retry_of": left_a.number})
    names = list(dists)
    assert studies.recover_interrupted(study, names) == [left_a.number, left_b.number]
    trials = study.get_trials()
    assert [t.state for t in trials[:3]] == [State.COMPLETE, State.FAIL, State.FAIL]
    waiting = [t for t in trials if t.state == State.WAITING]
    assert [t.user_attrs["retry_of"] for t in waiting] == [left_a.number, left_b.number]
    assert studies.finished_count(study) == 1  # interrupted trials do not count
    retry = study.ask(dists)
    assert retry.params == left_a.params
    assert studies.recover_interrupted(study, names) == [retry.number]  # and so on


def test_a_trial_interrupted_before_its_params_is_failed_not_queued_and_not_counted():
    study = studies.open_study(optuna.storages.InMemoryStorage(), "s", space(), {})
    early = study.ask()  # stopped inside ask(): no parameter drawn yet
    assert studies.recover_interrupted(study, ["learning_rate"]) == [early.number]
    assert [t.state for t in study.get_trials()] == [State.FAIL]  # nothing queued
    assert studies.finished_count(study) == 0


def test_a_trial_that_failed_on_its_own_counts_and_is_not_run_again():
    study = studies.open_study(optuna.storages.InMemoryStorage(), "s", space(), {})
    trial = study.ask(space().distributions())
    trial.set_user_attr("error", "MemoryError: ")
    study.tell(trial, state=State.FAIL)
    assert studies.finished_count(study) == 1
    assert studies.recover_interrupted(study, ["learning_rate"]) == []


@pytest.mark.parametrize("url, message", [
    ("nosuchdb://x", "cannot open storage 'nosuchdb://x'"),
    ("not a url", "cannot open storage 'not a url'"),
])
def test_a_storage_url_sqlalchemy_cannot_use_is_refused_here(url, message):
    with pytest.raises(ValueError, match=message):
        studies.check_storage_url(url)
    studies.check_storage_url("postgresql://user@host/db")  # parsed; opened on the scheduler


def test_a_grid_study_asks_every_point_once_and_tells_past_its_end():
    grid = parse_space({"sampler": "grid", "search": {"batch_size": [10, 20, 30]}})
    study = studies.open_study(optuna.storages.InMemoryStorage(), "g", grid, {})
    seen = []
    for _ in range(3):
        trial = study.ask(grid.distributions())
        seen.append(trial.params["batch_size"])
        study.tell(trial, 0.5)  # Optuna's grid sampler would call study.stop() here
    assert sorted(seen) == [10, 20, 30]


class PruneFrom(optuna.pruners.BasePruner):
    """Prunes every trial asked at step ``step`` or later: a pruner whose verdict is known."""

    def __init__(self, step: int) -> None:
        self.step = step

    def prune(self, study, trial) -> bool:
        return trial.last_step is not None and trial.last_step >= self.step


def test_a_trial_stopped_by_its_own_patience_is_not_pruned_and_keeps_its_weights(train_data):
    # lambda 1e-9: the weights barely move, so epoch 2 does not improve on epoch 1 and
    # patience 1 ends the run there -- where this pruner would prune.
    study = new_study(PruneFrom(2))
    trial = study.ask()
    outcome = train_trial(config(learning_rate=1e-9, patience=1, epochs=6), train_data,
                          trial.number, Reporter(trial))
    assert outcome.stopped_early and outcome.epochs_run == 2
    assert not outcome.pruned and outcome.weights is not None
    assert list(study.trials[0].intermediate_values) == [1, 2]  # still reported


def test_a_rerun_is_not_pruned_on_the_first_runs_last_step(train_data):
    # The first run reported epochs 1-3 and its worker was lost before the pruner was
    # asked at epoch 3.  Optuna's pruners judge a trial at its last reported step: asked
    # during the rerun's epoch 1, this one would prune it on the first run's epoch 3.
    study = new_study(PruneFrom(3))
    trial = study.ask()
    first = train_trial(config(epochs=3), train_data, trial.number, Reporter(trial, prune=False))
    already = study.trials[0].intermediate_values
    assert list(already) == [1, 2, 3]
    rerun = train_trial(config(epochs=5), train_data, trial.number,
                        Reporter(trial, already=already))
    # asked first after epoch 4, its own first new step, and pruned there
    assert rerun.pruned and rerun.epochs_run == 4
    assert rerun.history[:3] == [{**r, "seconds": a["seconds"]} for r, a in
                                 zip(first.history, rerun.history)]
    assert list(study.trials[0].intermediate_values) == [1, 2, 3, 4]
