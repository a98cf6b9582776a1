"""benchmarks/bench_sklearn.py: both sides train the same recipe for every epoch asked, and
its table says what the figures are (these tests time nothing)."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))
import bench_sklearn  # noqa: E402
import record  # noqa: E402
import render  # noqa: E402


def test_both_estimators_train_the_recipe_for_exactly_the_epochs_asked():
    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    mlp, ours = (bench_sklearn.make(side, epochs=7, seed=0) for side in ("mlp", "steepest"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X, y[:300])
    ours.fit(X, y[:300])
    assert mlp.n_iter_ == ours.n_iter_ == 7  # MLPClassifier did not stop early
    r = bench_sklearn.RECIPE
    assert mlp.hidden_layer_sizes == ours.hidden == tuple(r["hidden"])
    assert mlp.activation == ours.activation == r["activation"]
    assert mlp.solver == ours.optimizer == "adam" and mlp.alpha == 0 and ours.l2 == 0
    assert mlp.batch_size == ours.batch_size and mlp.learning_rate_init == ours.learning_rate
    assert (mlp.beta_1, mlp.beta_2) == (ours.beta1, ours.beta2)
    assert mlp.shuffle and not mlp.early_stopping and not ours.early_stopping


def _figures(mlp_s: float, steepest_s: float, mlp_acc: float, steepest_acc: float) -> dict:
    side = lambda s, a: [{"fit_s": s, "accuracy": a}]  # noqa: E731
    case = {"data": "mnist", "threads": "1", "mlp": side(mlp_s, mlp_acc),
            "steepest": side(steepest_s, steepest_acc)}
    return {"recipe": bench_sklearn.RECIPE, "goal_speedup": 2.0, "sklearn_version": "x",
            "settings": {"repeats": 1, "digits_epochs": 1, "mnist_epochs": 1, "mnist_train": 10,
                         "n_test": {"digits": 1797, "mnist": 10000}},
            "cases": [case]}


def test_the_table_gives_the_ratio_and_says_whether_each_bar_is_met():
    table = render.sklearn_table(_figures(10.0, 4.0, 0.97, 0.968))
    assert "| mnist | 1 thread | 97.00 % | 96.80 % | -0.20 (±0.49) | 10.00 s | 4.00 s " \
           "| **2.50x** |" in table
    assert "mnist at 1 thread met" in table and "1 thread 2.50x, met" in table
    slow = render.sklearn_table(_figures(3.0, 2.0, 0.97, 0.95))
    assert "mnist at 1 thread not met" in slow and "1 thread 1.50x, not met" in slow


def test_the_two_standard_errors_are_those_of_a_difference_of_accuracies():
    gap, two_se = render.sklearn_accuracy_gap(_figures(1, 1, 0.9, 0.8)["cases"][0], 100)
    assert gap == pytest.approx(-0.1)
    assert two_se == pytest.approx(2 * np.sqrt(0.9 * 0.1 / 100 + 0.8 * 0.2 / 100))


def test_the_recorded_run_renders_and_is_the_benchmarks_own():
    doc = record.load_results()["sklearn"]
    assert doc["command"].startswith("python benchmarks/bench_sklearn.py")
    cases = doc["figures"]["cases"]
    assert {(c["data"], c["threads"]) for c in cases} == {
        (d, t) for d in ("digits", "mnist") for t in bench_sklearn.THREADS}
    assert all(len(c["mlp"]) == len(c["steepest"]) == doc["figures"]["settings"]["repeats"]
               for c in cases)
    assert render.benchmark_markdown(doc) == (BENCH / "results" / "sklearn.md").read_text()
    json.dumps(doc)  # plain JSON


def test_the_table_case_hands_fit_column_major_values_beside_c_ordered_twins():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(np.random.default_rng(0).random((50, 6)), columns=list("abcdef"))
    X = bench_sklearn.layouts(frame)
    assert set(X) == set(bench_sklearn.LAYOUTS) == set(render.SKLEARN_LAYOUTS)
    assert X["dataframe"] is frame and not frame.to_numpy().flags.c_contiguous
    assert not X["scaled_dataframe"].flags.c_contiguous  # StandardScaler keeps the layout
    for name, twin in (("dataframe", "array"), ("scaled_dataframe", "scaled_array")):
        assert X[twin].flags.c_contiguous
        np.testing.assert_array_equal(np.asarray(X[name]), X[twin])  # the same values


def _table(dataframe_s: float) -> dict:
    side = lambda s, a: [{"seconds": s, "fit_s": s, "accuracy": a}]  # noqa: E731
    return {"rows": 20000, "columns": 784, "epochs": 5, "goal_ratio": 1.1,
            "fit_s": {"array": [1.0, 1.2], "dataframe": [dataframe_s, dataframe_s],
                      "scaled_array": [1.0], "scaled_dataframe": [1.05]},
            "pipeline": [{"data": "table", "threads": "1", "mlp": side(9.0, 0.95),
                          "steepest": side(3.0, 0.951)}]}


def test_the_table_case_gives_each_layouts_ratio_and_the_pipeline_comparison():
    figures = {**_figures(10.0, 4.0, 0.97, 0.968), "table": _table(1.32)}
    text = render.sklearn_table(figures)
    assert "| the same values as a pandas DataFrame (column-major) | 1.32 s | **1.20x** |" in text
    assert ("| StandardScaler's output of the DataFrame (column-major) | 1.05 s "
            "| **1.05x** |") in text
    assert "| wall time | 1 thread | 9.00 s | 3.00 s | **3.00x** |" in text
    assert "| accuracy | 1 thread | 95.00 % | 95.10 % | |" in text
    assert "dataframe 1.20x, not met; scaled dataframe 1.05x, met." in text
    fast = render.sklearn_table({**figures, "table": _table(1.155)})
    assert "dataframe 1.05x, met" in fast
    assert "A table:" not in render.sklearn_table(_figures(10.0, 4.0, 0.97, 0.968))  # older runs
