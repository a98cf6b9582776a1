"""steepest.sklearn: SteepestClassifier passes scikit-learn's own estimator checks and works
in Pipeline, GridSearchCV, cross_val_score and clone; its parameters are TrainConfig's; bad
input gets scikit-learn's errors.  Its model file: test_sklearn_modelfile.py; tables, float32's
range and threads: test_sklearn_inputs.py; failed calls change nothing: test_sklearn_failures.py."""

from __future__ import annotations

import inspect
import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris, make_blobs
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from steepest.config import ConfigError, TrainConfig
from steepest.sklearn import CONFIG_PARAMS, SteepestClassifier
from steepest.sklearn.fitting import hold_out_last
from steepest.training import run

SKLEARN_PARAMS = ("early_stopping", "validation_fraction", "warm_start", "random_state", "verbose")


# --- scikit-learn's estimator checks -------------------------------------------------------

#: Small networks keep the ~55 checks per instance at about a second.  The second instance
#: runs them through the validation split, early stopping and Adam.
CHECKED = [
    SteepestClassifier(hidden=(8,), epochs=20, random_state=0),
    SteepestClassifier(hidden=(8,), epochs=20, optimizer="adam", learning_rate=0.05,
                       activation="relu", init="he", early_stopping=True,
                       validation_fraction=0.2, patience=5, random_state=0),
]
#: Checks expected to fail, with the reason: none.
EXPECTED_FAILED_CHECKS: dict[str, str] = {}


# Some checks fit on features of size ~100 on purpose: the warning is right, and not theirs.
@pytest.mark.filterwarnings("ignore::steepest.sklearn.BadlyScaledWarning")
@parametrize_with_checks(CHECKED, expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_passes_scikit_learns_estimator_checks(estimator, check, monkeypatch):
    # check_array_api_input skips unless SCIPY_ARRAY_API=1, which scikit-learn reads when the
    # check runs; with the NumPy inputs it uses, SciPy's own array-API mode plays no part.
    monkeypatch.setenv("SCIPY_ARRAY_API", "1")
    check(estimator)


# --- parameters ----------------------------------------------------------------------------


def test_parameters_are_train_configs_fields_with_its_defaults_plus_sklearns_own():
    params = SteepestClassifier().get_params()
    assert set(params) == set(CONFIG_PARAMS) | set(SKLEARN_PARAMS)
    assert set(CONFIG_PARAMS) == set(TrainConfig.keys()) - {"seed", "validation"}
    defaults = TrainConfig()
    for name in CONFIG_PARAMS:
        assert params[name] == getattr(defaults, name), name
    assert {k: params[k] for k in SKLEARN_PARAMS} == {
        "early_stopping": False, "validation_fraction": 0.1, "warm_start": False,
        "random_state": None, "verbose": 0}
    # scikit-learn's convention: every parameter is an explicit keyword of __init__.
    signature = inspect.signature(SteepestClassifier.__init__)
    assert set(signature.parameters) - {"self"} == set(params)
    assert all(p.kind is p.KEYWORD_ONLY for n, p in signature.parameters.items() if n != "self")


def test_an_int_random_state_is_train_configs_seed_bit_for_bit():
    X, y = make_blobs(200, n_features=5, centers=3, random_state=0)
    X = X.astype(np.float32)
    clf = SteepestClassifier(hidden=(6,), epochs=3, random_state=11).fit(X, y)
    result = run(TrainConfig(hidden=(6,), epochs=3, seed=11), ((X, y), None))
    for a, b in zip(clf.network_.get_weights(), result.network.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_random_state_generator_draws_a_new_seed_per_fit_and_none_is_fresh():
    X, y = make_blobs(100, n_features=4, centers=2, random_state=1)

    def weights(clf):
        return clf.fit(X, y).network_.get_weights()[0]

    same = [weights(SteepestClassifier(epochs=1, random_state=np.random.default_rng(5)))
            for _ in range(2)]
    np.testing.assert_array_equal(*same)  # the same generator state, the same network
    shared = SteepestClassifier(epochs=1, random_state=np.random.default_rng(5))
    assert not np.array_equal(weights(shared), weights(shared))  # it draws on
    assert not np.array_equal(weights(SteepestClassifier(epochs=1)),
                              weights(SteepestClassifier(epochs=1)))


@pytest.mark.parametrize("params, message", [
    ({"augment": "no"}, "augment must be true or false"),
    ({"hidden": (0,)}, "hidden sizes must be positive"),
    ({"activation": "swish"}, "unknown activation 'swish'"),
    ({"weight_decay": 0.1}, "weight_decay 0.1 needs optimizer 'adamw'"),
    ({"patience": 3}, "patience=3 needs early_stopping=True"),
    ({"random_state": -1}, "random_state must be an int >= 0"),
    ({"validation_fraction": 1.0, "early_stopping": True}, "validation_fraction must be"),
    ({"early_stopping": "yes"}, "early_stopping must be True or False"),
    ({"verbose": -1}, "verbose must be an int >= 0"),
])
def test_bad_hyperparameters_are_refused_by_fit_with_one_clear_message(params, message):
    X, y = make_blobs(40, n_features=3, centers=2, random_state=0)
    clf = SteepestClassifier(**params)  # scikit-learn's rule: __init__ accepts anything
    with pytest.raises(ValueError, match=message):
        clf.fit(X, y)


def test_a_config_error_is_a_value_error_naming_the_parameter():
    X, y = make_blobs(40, n_features=3, centers=2, random_state=0)
    with pytest.raises(ConfigError) as err:
        SteepestClassifier(batch_size=0).fit(X, y)
    assert err.value.key == "batch_size"


# --- fitting and the fitted attributes -----------------------------------------------------


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(300, n_features=4, centers=3, random_state=2)
    return StandardScaler().fit_transform(X), y


def test_string_labels_come_back_as_predictions_and_classes(blobs):
    X, y = blobs
    names = np.array(["setosa", "virginica", "versicolor"])[y]
    clf = SteepestClassifier(hidden=(8,), epochs=10, random_state=0).fit(X, names)
    np.testing.assert_array_equal(clf.classes_, ["setosa", "versicolor", "virginica"])
    assert set(clf.predict(X)) <= set(names) and clf.score(X, names) > 0.9
    odd = np.array([-7, 5, 40])[y]  # ints that are not 0 .. K-1
    clf = SteepestClassifier(hidden=(8,), epochs=10, random_state=0).fit(X, odd)
    np.testing.assert_array_equal(clf.classes_, [-7, 5, 40])
    assert clf.score(X, odd) > 0.9


def test_fitted_attributes_without_a_validation_split(blobs):
    X, y = blobs
    clf = SteepestClassifier(hidden=(8,), epochs=7, random_state=0).fit(X, y)
    assert clf.n_features_in_ == 4 and clf.n_iter_ == 7 and len(clf.loss_curve_) == 7
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]
    assert clf.best_loss_ == min(clf.loss_curve_)
    assert clf.validation_scores_ is None and clf.best_validation_score_ is None
    assert clf.network_.sizes == (4, 8, 3)
    assert not hasattr(clf, "feature_names_in_")


def test_early_stopping_holds_out_a_split_scores_it_and_stops_with_patience(blobs):
    X, y = blobs
    clf = SteepestClassifier(hidden=(8,), epochs=200, early_stopping=True, patience=3,
                             optimizer="adam", learning_rate=0.05, random_state=0).fit(X, y)
    assert clf.n_iter_ < 200  # stopped early
    assert len(clf.validation_scores_) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_validation_score_ == max(clf.validation_scores_)  # restore_best
    assert clf.best_loss_ is None
    # Without patience the run is as long as asked, and still keeps the best epoch's weights.
    full = SteepestClassifier(hidden=(8,), epochs=12, early_stopping=True,
                              random_state=0).fit(X, y)
    assert full.n_iter_ == 12 and full.best_validation_score_ == max(full.validation_scores_)


def test_the_validation_split_is_shuffled_stratified_and_moved_to_the_end():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    X = np.arange(100, dtype=np.float32)[:, None]
    Xs, ys, n_val = hold_out_last(X, y, 3, 0.2, seed=4)
    assert n_val == 20
    np.testing.assert_array_equal(np.bincount(ys[-n_val:]), [10, 6, 4])  # in proportion
    np.testing.assert_array_equal(y[Xs[:, 0].astype(int)], ys)  # rows move with their labels
    assert sorted(Xs[:, 0]) == list(range(100))
    again = hold_out_last(X, y, 3, 0.2, seed=4)
    np.testing.assert_array_equal(again[0], Xs)  # the seed decides it
    assert not np.array_equal(hold_out_last(X, y, 3, 0.2, seed=5)[0], Xs)
    lonely = np.r_[y[:-1], 3]  # class 3 has one row: a random split instead
    assert hold_out_last(X, lonely, 4, 0.2, seed=4)[2] == 20
    with pytest.raises(ValueError, match="too small for early_stopping"):
        hold_out_last(X[:5], y[:5], 1, 0.1, seed=0)


def test_warm_start_continues_bit_for_bit_as_one_longer_fit(blobs):
    X, y = blobs
    kw = dict(hidden=(8,), optimizer="adam", learning_rate=0.01, random_state=3)
    warm = SteepestClassifier(epochs=4, warm_start=True, **kw).fit(X, y).fit(X, y)
    once = SteepestClassifier(epochs=8, **kw).fit(X, y)
    assert warm.n_iter_ == 8 and warm.loss_curve_ == once.loss_curve_
    for a, b in zip(warm.network_.get_weights(), once.network_.get_weights()):
        np.testing.assert_array_equal(a, b)
    cold = SteepestClassifier(epochs=4, **kw).fit(X, y).fit(X, y)
    assert cold.n_iter_ == 4  # without warm_start, fit starts afresh


def test_warm_start_refuses_another_architecture_or_other_classes(blobs):
    X, y = blobs
    clf = SteepestClassifier(hidden=(8,), epochs=1, warm_start=True, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"cannot continue the fitted network \(hidden=\(8,\)\)"):
        clf.set_params(hidden=(5,)).fit(X, y)
    clf.set_params(hidden=(8,))
    with pytest.raises(ValueError, match="y has labels not in classes_"):
        clf.fit(X, y + 1)
    with pytest.raises(ValueError, match="X has 3 features, but SteepestClassifier is "
                                         "expecting 4 features"):
        clf.fit(X[:, :3], y)


def test_partial_fit_epochs_are_fit_epochs(blobs):
    X, y = blobs
    kw = dict(hidden=(8,), random_state=1)
    inc = SteepestClassifier(**kw)
    for _ in range(3):
        inc.partial_fit(X, y, classes=[0, 1, 2])
    once = SteepestClassifier(epochs=3, **kw).fit(X, y)
    assert inc.n_iter_ == 3 and inc.loss_curve_ == once.loss_curve_
    np.testing.assert_array_equal(inc.predict_proba(X), once.predict_proba(X))


def test_partial_fit_needs_classes_first_and_refuses_new_labels_and_cosine(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        SteepestClassifier().partial_fit(X, y)
    clf = SteepestClassifier(hidden=(4,)).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.network_.sizes[-1] == 3  # a class not yet seen still gets its unit
    with pytest.raises(ValueError, match="y has labels not in classes_"):
        clf.partial_fit(X, y + 5)
    with pytest.raises(ValueError, match="differs from the fitted classes_"):
        clf.partial_fit(X, y, classes=[0, 1])
    with pytest.raises(ValueError, match="schedule='cosine' plans the learning rate"):
        clf.set_params(schedule="cosine").partial_fit(X, y)


def test_probabilities_are_float64_sum_to_one_and_match_the_network(blobs):
    X, y = blobs
    clf = SteepestClassifier(hidden=(8,), epochs=5, random_state=0).fit(X, y)
    proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
    assert proba.dtype == log_proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(np.exp(log_proba), proba)
    np.testing.assert_allclose(proba, clf.network_.predict_proba(X.astype(np.float32)),
                               atol=1e-6)
    # Far from the data a ReLU network's logits are huge: some probabilities underflow
    # to 0, yet their logs, taken from the logits, stay finite.
    relu = SteepestClassifier(hidden=(8,), activation="relu", init="he", epochs=5,
                              random_state=0).fit(X, y)
    assert (relu.predict_proba(X * 1e4) == 0).any()
    assert np.isfinite(relu.predict_log_proba(X * 1e4)).all()


def test_verbose_prints_one_line_per_epoch_and_quiet_prints_nothing(blobs, capsys):
    X, y = blobs
    SteepestClassifier(hidden=(4,), epochs=3, verbose=1, early_stopping=True,
                       random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and lines[0].startswith("epoch 1/3: loss ")
    assert "validation accuracy" in lines[2]
    SteepestClassifier(hidden=(4,), epochs=3, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


def test_dataframes_give_feature_names_which_predict_checks(blobs):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = SteepestClassifier(hidden=(4,), epochs=2, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="feature names should match"):
        clf.predict(frame[["d", "c", "b", "a"]])


@pytest.mark.parametrize("X, message", [
    (np.ones((5, 3)), "X has 3 features, but SteepestClassifier is expecting 4 features"),
    (np.full((5, 4), np.nan), "Input X contains NaN"),
    (np.ones(4), "Expected 2D array, got 1D array"),
])
def test_bad_input_to_predict_gets_scikit_learns_errors(blobs, X, message):
    clf = SteepestClassifier(hidden=(4,), epochs=1, random_state=0).fit(*blobs)
    with pytest.raises(ValueError, match=message):
        clf.predict(X)


def test_bad_input_to_fit_gets_scikit_learns_errors(blobs):
    X, y = blobs
    with pytest.raises(ValueError, match="contains only 1 class"):
        SteepestClassifier().fit(X, np.zeros(len(X), int))
    with pytest.raises(ValueError, match="Input X contains NaN"):
        SteepestClassifier().fit(np.where(X > 2, np.nan, X), y)
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        SteepestClassifier().fit(X, X[:, 0])
    with pytest.raises(NotFittedError):
        SteepestClassifier().predict(X)


def test_augment_needs_28x28_images_with_pixels_in_0_1(mnist_data):
    (x, y), _ = mnist_data
    X = x[:600].reshape(600, 784) / 255.0
    clf = SteepestClassifier(augment=True, epochs=1, random_state=0).fit(X, y[:600])
    assert clf.n_iter_ == 1 and clf.predict(X).shape == (600,)
    with pytest.raises(ValueError, match=r"needs pixels in \[0, 1\] \(e.g. MNIST / 255\)"):
        SteepestClassifier(augment=True).fit(X * 255, y[:600])
    with pytest.raises(ValueError, match="784 features\\); X has 4 features"):
        SteepestClassifier(augment=True).fit(np.ones((10, 4)), np.arange(10) % 2)


# --- in real use: Pipeline, GridSearchCV, cross_val_score, clone, pickle --------------------


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_in_a_pipeline_with_a_scaler(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", SteepestClassifier(hidden=(8,), epochs=30, random_state=0))])
    assert pipe.fit(X, y).score(X, y) > 0.9
    assert pipe.predict_proba(X).shape == (150, 3)


def test_grid_search_in_two_processes_and_cross_val_score(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()),
                     ("net", SteepestClassifier(hidden=(8,), epochs=20, random_state=0))])
    search = GridSearchCV(pipe, {"net__learning_rate": [0.01, 1.0], "net__hidden": [(4,), (8,)]},
                          cv=3, n_jobs=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["net__learning_rate"] == 1.0  # 20 epochs of 0.01 learn little
    assert search.best_score_ > 0.85
    scores = cross_val_score(pipe, X, y, cv=5)
    assert scores.shape == (5,) and scores.mean() > 0.85


def test_clone_copies_the_parameters_not_the_fit(iris):
    X, y = iris
    clf = SteepestClassifier(hidden=(8,), epochs=3, learning_rate=0.5, random_state=0).fit(X, y)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params()
    assert not hasattr(copy, "network_") and not hasattr(copy, "classes_")


def test_a_pickled_estimator_predicts_the_same_and_can_go_on_training(iris):
    X, y = iris
    clf = SteepestClassifier(hidden=(8,), epochs=3, warm_start=True, random_state=0).fit(X, y)
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X), clf.predict_proba(X))
    copy.fit(X, y)
    clf.fit(X, y)
    assert copy.n_iter_ == 6 and copy.loss_curve_ == clf.loss_curve_
