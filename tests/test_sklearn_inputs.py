"""SteepestClassifier on what practitioners give it: tables (DataFrames, features of any scale),
values beyond float32, and one fitted estimator predicting in many threads."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits, make_blobs
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from concurrency import answers_from_threads, mixed_batches
from steepest.sklearn import BadlyScaledWarning, SteepestClassifier
from steepest.training import TrainingDiverged, run


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(300, n_features=4, centers=3, random_state=2)
    return StandardScaler().fit_transform(X), y


# --- one estimator behind a web service: threads --------------------------------------------


def test_predictions_from_many_threads_are_exactly_one_threads():
    X, y = make_blobs(6000, n_features=20, centers=5, random_state=4)
    X = StandardScaler().fit_transform(X)
    clf = SteepestClassifier(hidden=(64,), epochs=2, random_state=0).fit(X, y)
    batches = mixed_batches(np.arange(len(X)), 24)  # row indices, 200 to 3,000 a batch
    calls = {"predict": lambda i: clf.predict(X[i]), "score": lambda i: clf.score(X[i], y[i]),
             "predict_proba": lambda i: clf.predict_proba(X[i]),
             "predict_log_proba": lambda i: clf.predict_log_proba(X[i])}
    # One BLAS thread a call: the race was NumPy's (the layers' shared buffers), and four
    # threads asking OpenBLAS for two each on two cores would only make this 20x slower.
    with threadpool_limits(1):
        for name, call in calls.items():
            wrong, errors = answers_from_threads(call, batches, threads=4, rounds=5)
            assert (wrong, errors) == (0, []), name


# --- tables: DataFrames, scaling, float32's range ----------------------------------------


def test_a_dataframe_reaches_training_as_c_ordered_float32_rows(blobs, monkeypatch):
    pd = pytest.importorskip("pandas")
    import steepest.sklearn.estimator as estimator

    X, y = blobs
    seen = []

    def spy(config, data, **kw):
        seen.append(data[0][0])
        return run(config, data, **kw)

    monkeypatch.setattr(estimator, "run", spy)
    frame = pd.DataFrame(X, columns=list("abcd"))
    kw = dict(hidden=(6,), epochs=2, random_state=0)
    reference = SteepestClassifier(**kw).fit(np.ascontiguousarray(X), y)
    # A DataFrame's values are column-major, and so is a StandardScaler's output of one.
    for table in (frame, StandardScaler().fit_transform(frame), np.asfortranarray(X)):
        clf = SteepestClassifier(**kw).fit(table, y)
        assert seen[-1].flags.c_contiguous and seen[-1].dtype == np.float32
        for a, b in zip(clf.network_.get_weights(), reference.network_.get_weights()):
            np.testing.assert_array_equal(a, b)  # the same batches, the same bits
        np.testing.assert_array_equal(clf.predict_proba(table), reference.predict_proba(X))
    assert seen[0].dtype == np.float64  # a C-ordered float64 X is not copied


def test_badly_scaled_features_get_a_warning_naming_the_worst_and_the_cure():
    pytest.importorskip("pandas")
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)  # areas in the thousands
    clf = SteepestClassifier(epochs=5, random_state=0)
    with pytest.warns(BadlyScaledWarning, match=r"9 of 30 features have a root mean square "
                      r"above 10 \(feature 'worst area' has a root mean square of 1.05e\+03\)"
                      r".* make_pipeline\(StandardScaler\(\), SteepestClassifier") as caught:
        clf.fit(X, y)
    assert issubclass(BadlyScaledWarning, UserWarning)
    assert caught[0].filename == __file__  # it points at the fit, not into steepest
    assert clf.score(X, y) < 0.7  # the lecture's defaults on raw areas: (nearly) one class
    with warnings.catch_warnings():
        warnings.simplefilter("error", BadlyScaledWarning)  # scaled data: no warning
        pipe = make_pipeline(StandardScaler(), SteepestClassifier(epochs=5, random_state=0))
        assert pipe.fit(X, y).score(X, y) > 0.95  # what the warning and the README advise
        digits, labels = load_digits(return_X_y=True)
        SteepestClassifier(epochs=1, random_state=0).fit(digits / 16, labels)


def test_a_divergence_on_badly_scaled_X_names_the_scale_too():
    X = np.random.default_rng(0).standard_normal((100, 4)) * 1e20
    with pytest.warns(BadlyScaledWarning), pytest.raises(
            TrainingDiverged, match=r"try a smaller learning rate than 1, or scale X "
                                    r"\(column \d has a root mean square of 1\.\d+e\+20\)"):
        SteepestClassifier(activation="relu", init="he").fit(X, np.arange(100) % 2)


def test_rows_whose_sums_overflow_float32_are_an_error_not_class_0(blobs):
    X, y = blobs
    clf = SteepestClassifier(hidden=(8,), activation="relu", init="he", epochs=5,
                             random_state=0).fit(X, y)
    huge = np.r_[X[:3], np.full((2, 4), 3e38)].astype(np.float32)  # finite in float32
    with pytest.raises(ValueError, match=r"the network's output is not finite for 2 row\(s\) "
                                         r"of X \(first: row 3, whose largest \|value\| is "
                                         r"3e\+38\): its sums overflow float32"):
        clf.predict(huge)
    with pytest.raises(ValueError, match=r"beyond float32's range .*: 1e\+300 in row 1"):
        clf.predict_proba(np.r_[X[:1], np.full((1, 4), 1e300)])
