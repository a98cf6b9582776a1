"""SteepestClassifier.save / load: steepest's .npz (never a pickle) with the labels and feature
names in its JSON, read back by SteepestClassifier.load and by `steepest evaluate` / `predict`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from steepest.cli import main as cli_main
from steepest.config import TrainConfig
from steepest.modelfile import ModelFileError, load_model, save_model
from steepest.sklearn import SteepestClassifier
from steepest.sklearn.labels import labels_from_json, labels_to_json
from steepest.training import run


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(240, n_features=4, centers=3, random_state=5)
    return StandardScaler().fit_transform(X), y


# --- steepest's model file: save, load, and the command line reading it ---------------------


@pytest.mark.parametrize("labels", [
    np.array([3, 7, 11]),
    np.array(["cat", "dog", "emu"]),
    np.array(["cat", "dog", "emu"], dtype=object),
    np.array([1.0, 2.0, 4.0]),
    np.array([False, True, True]),
])
def test_save_and_load_round_trip_predictions_and_labels(blobs, labels, tmp_path):
    X, y = blobs
    clf = SteepestClassifier(hidden=(8,), epochs=3, early_stopping=True,
                             random_state=0).fit(X, labels[y])
    path = tmp_path / "model.npz"
    clf.save(path)
    back = SteepestClassifier.load(path)
    assert back.classes_.dtype == clf.classes_.dtype
    np.testing.assert_array_equal(back.classes_, clf.classes_)
    np.testing.assert_array_equal(back.predict(X), clf.predict(X))
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.get_params() == {**clf.get_params(), "random_state": back.random_state}
    assert back.n_iter_ == clf.n_iter_ and back.loss_curve_ == clf.loss_curve_
    assert back.validation_scores_ == clf.validation_scores_
    assert back.best_validation_score_ == clf.best_validation_score_


def test_the_model_file_is_plain_npz_and_json_and_keeps_feature_names(blobs, tmp_path):
    pd = pytest.importorskip("pandas")
    X, y = blobs
    frame = pd.DataFrame(X, columns=["w", "x", "y", "z"])
    clf = SteepestClassifier(hidden=(4,), epochs=2, random_state=0).fit(frame, y)
    path = tmp_path / "m.npz"
    clf.save(path)
    with np.load(path, allow_pickle=False) as npz:  # no object arrays anywhere
        meta = json.loads(str(npz["meta"]))
    sk = meta["info"]["sklearn"]
    assert sk["feature_names"] == ["w", "x", "y", "z"]
    assert sk["classes"] == {"dtype": clf.classes_.dtype.str, "values": [0, 1, 2]}
    assert meta["info"]["config"]["hidden"] == [4] and meta["info"]["config"]["seed"] == 0
    back = SteepestClassifier.load(path)
    np.testing.assert_array_equal(back.feature_names_in_, clf.feature_names_in_)
    np.testing.assert_array_equal(back.predict(frame), clf.predict(frame))


def test_labels_json_cannot_hold_are_refused_before_anything_is_written(blobs, tmp_path):
    X, y = blobs
    labels = np.array([np.datetime64("2020-01-01") + i for i in range(3)])
    clf = SteepestClassifier(hidden=(4,), epochs=1, random_state=0).fit(X, labels[y])
    with pytest.raises(ValueError, match="cannot save class labels like .*2020-01-01"):
        clf.save(tmp_path / "m.npz")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError, match="labels of one type"):
        labels_to_json(np.array(["a", 1], dtype=object))
    with pytest.raises(ValueError, match="cannot save class labels like nan"):
        labels_to_json(np.array([0.5, np.nan]))
    for doc in ({"dtype": "<M8[D]", "values": [1]}, {"values": [[1]], "dtype": "int64"}, []):
        with pytest.raises(ValueError):
            labels_from_json(doc)


def test_load_refuses_a_file_that_is_not_a_model_in_one_line(tmp_path, blobs):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match=r"bad.npz is not a steepest model file \(.npz\)"):
        SteepestClassifier.load(bad)
    clf = SteepestClassifier(hidden=(4,), epochs=1, random_state=0).fit(*blobs)
    save_model(tmp_path / "odd.npz", clf.network_,
               {"sklearn": {"classes": {"dtype": "<i8", "values": [1, 2]}}})
    with pytest.raises(ModelFileError, match="odd.npz: not a classifier's model file "
                                             r"\(2 class labels for 3 output units\)"):
        SteepestClassifier.load(tmp_path / "odd.npz")


@pytest.fixture(scope="module")
def mnist_model(mnist_data, tmp_path_factory):
    """SteepestClassifier on 3,000 MNIST images / 255 (784 features, labels 0-9), saved."""
    (x, y), _ = mnist_data
    clf = SteepestClassifier(epochs=3, random_state=0).fit(x[:3000].reshape(3000, 784) / 255,
                                                          y[:3000])
    path = tmp_path_factory.mktemp("sk") / "mnist.npz"
    clf.save(path)
    return clf, path


def test_steepest_evaluate_reads_the_saved_classifier(mnist_model, small_mnist_dir, mnist_data):
    from click.testing import CliRunner

    clf, path = mnist_model
    out = CliRunner().invoke(cli_main, ["evaluate", str(path), "--data", str(small_mnist_dir),
                                        "--json"])
    assert out.exit_code == 0, out.output
    _, (xt, yt) = mnist_data
    expected = clf.score(xt[:500].reshape(500, 784) / 255, yt[:500])
    assert json.loads(out.output)["accuracy"] == pytest.approx(expected)
    assert expected > 0.7


def test_steepest_predict_reads_the_saved_classifier(mnist_model, mnist_data, tmp_path):
    from click.testing import CliRunner

    from steepest.preprocess import preprocess_file

    clf, path = mnist_model
    _, (xt, _) = mnist_data
    png = tmp_path / "seven.png"
    Image.fromarray(xt[0]).resize((112, 112), Image.Resampling.BILINEAR).save(png)
    out = CliRunner().invoke(cli_main, ["predict", str(path), str(png), "--json"])
    assert out.exit_code == 0, out.output
    (doc,) = json.loads(out.output)
    x = preprocess_file(png).reshape(1, 784)
    np.testing.assert_allclose(doc["probabilities"], clf.predict_proba(x)[0], atol=1e-6)
    assert doc["digit"] == clf.predict(x)[0]


def test_a_model_from_steepest_train_loads_as_a_classifier_of_digits(tmp_path, mnist_data):
    (x, y), (xt, yt) = mnist_data
    result = run(TrainConfig(epochs=1, seed=2), ((x[:1000], y[:1000]), None))
    save_model(tmp_path / "cli.npz", result.network,
               {"config": TrainConfig(epochs=1, seed=2).to_dict(),
                "history": [r.to_dict() for r in result.history]})
    clf = SteepestClassifier.load(tmp_path / "cli.npz")
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    assert clf.n_iter_ == 1 and clf.random_state == 2 and clf.n_features_in_ == 784
    images = xt[:200].reshape(200, 784) / 255
    np.testing.assert_array_equal(clf.predict(images), result.network.predict(xt[:200]))
    # A loaded model continues from its weights (with a fresh optimizer).
    before = clf.score(images, yt[:200])
    clf.set_params(warm_start=True, epochs=2).fit(x[:1000].reshape(1000, 784) / 255, y[:1000])
    assert clf.n_iter_ == 3 and clf.score(images, yt[:200]) >= before - 0.05
    network, _ = load_model(tmp_path / "cli.npz")  # the file itself is untouched
    np.testing.assert_array_equal(network.get_weights()[0], result.network.get_weights()[0])



# --- the estimator's own parameters, whatever the run did -------------------------------------


def _round_trip(clf, path):
    clf.save(path)
    return SteepestClassifier.load(path)


def test_the_file_keeps_get_params_after_warm_start_and_partial_fit(blobs, tmp_path):
    X, y = blobs
    warm = SteepestClassifier(hidden=(8,), epochs=2, warm_start=True, random_state=0)
    warm.fit(X, y).fit(X, y)  # the run's config now says epochs=4
    partial = SteepestClassifier(hidden=(8,), epochs=5, early_stopping=True, patience=3,
                                 random_state=1)
    for _ in range(2):
        partial.partial_fit(X, y, classes=[0, 1, 2])  # the run's: epochs=2, patience=0
    numpy = SteepestClassifier(hidden=(np.int64(8),), epochs=np.int64(2),  # a grid's values
                               learning_rate=np.float32(0.5), random_state=np.int64(3),
                               verbose=np.int64(0)).fit(X, y)
    unseeded = SteepestClassifier(hidden=(4,), epochs=1).fit(X, y)
    for i, clf in enumerate((warm, partial, numpy, unseeded)):
        back = _round_trip(clf, tmp_path / f"{i}.npz")
        assert back.get_params() == clf.get_params()
        assert back.n_iter_ == clf.n_iter_ and back.loss_curve_ == clf.loss_curve_
        np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert _round_trip(warm, tmp_path / "w.npz").fit(X, y).n_iter_ == warm.fit(X, y).n_iter_ == 6


def test_a_generator_random_state_is_saved_as_the_seed_it_gave(blobs, tmp_path):
    X, y = blobs
    clf = SteepestClassifier(hidden=(4,), epochs=1, random_state=np.random.default_rng(0))
    back = _round_trip(clf.fit(X, y), tmp_path / "g.npz")
    assert back.random_state == clf._state.config.seed and isinstance(back.random_state, int)
    assert {**back.get_params(), "random_state": None} == {**clf.get_params(),
                                                            "random_state": None}


def test_softmax_regression_hidden_empty_saves_loads_and_continues(blobs, tmp_path):
    X, y = blobs
    clf = SteepestClassifier(hidden=(), activation="tanh", epochs=3, warm_start=True,
                             random_state=0).fit(X, y)
    assert clf.network_.sizes == (4, 3) and clf.network_.activations == ["softmax"]
    back = _round_trip(clf, tmp_path / "softmax.npz")
    assert back.get_params() == clf.get_params()  # hidden=(), activation='tanh' (unused)
    np.testing.assert_array_equal(back.predict_proba(X), clf.predict_proba(X))
    assert back.fit(X, y).n_iter_ == 6 and back.score(X, y) > 0.9
    # ... and a steepest-train file of softmax regression loads too.
    save_model(tmp_path / "cli.npz", clf.network_,
               {"config": TrainConfig(hidden=(), epochs=3, seed=2).to_dict()})
    cli = SteepestClassifier.load(tmp_path / "cli.npz")
    assert cli.hidden == () and cli.activation == "sigmoid" and cli.random_state == 2


def test_save_errors_name_the_path_given_not_the_temporary_file(blobs, tmp_path):
    clf = SteepestClassifier(hidden=(4,), epochs=1, random_state=0).fit(*blobs)
    missing = tmp_path / "no such folder" / "m.npz"
    with pytest.raises(FileNotFoundError) as caught:
        clf.save(missing)
    assert str(caught.value) == f"[Errno 2] No such file or directory: '{missing}'"
    with pytest.raises(IsADirectoryError) as caught:
        clf.save(tmp_path)
    assert str(caught.value) == f"[Errno 21] Is a directory: '{tmp_path}'"
    with pytest.raises(ValueError, match=r"cannot save learning_rate=nan in a model file"):
        clf.set_params(learning_rate=float("nan")).save(tmp_path / "nan.npz")
    assert list(tmp_path.iterdir()) == []  # no temporary file left behind
