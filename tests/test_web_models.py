"""The lab's list of models (``GET /api/models``, ``POST /api/models/select``) and what
it says about each model, through Flask's test client.

Training in the lab must not take the served model away for good: every model
served stays in the list, and the user can serve an earlier one again.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from lab_support import lab_app
from requires import WEB, require

require(WEB)  # the web lab needs Flask: skipped without it; under CI=true, failed

from click.testing import CliRunner  # noqa: E402

from steepest.cli import main  # noqa: E402
from steepest.modelfile import load_model, save_model  # noqa: E402
from steepest.network import Network  # noqa: E402
from steepest.web.served import MAX_MODELS  # noqa: E402

LISTING_KEYS = ["id", "source", "description", "test_accuracy", "version", "served"]


@pytest.fixture(scope="module")
def validated_model(tmp_path_factory, small_mnist_dir):
    """A model from ``steepest train --validation``: its epochs score the validation set,
    and the test set is scored once, at the end (``info["result"]``)."""
    path = tmp_path_factory.mktemp("validated") / "model.npz"
    result = CliRunner().invoke(main, [
        "train", "--hidden", "8", "--epochs", "2", "--validation", "500",
        "--data", str(small_mnist_dir), "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def lab_style_model(tmp_path_factory, mnist_data, save_lab_style_model):
    """A model saved as the lab's training jobs save theirs: a history, no result."""
    path = tmp_path_factory.mktemp("lab_style") / "model.npz"
    return save_lab_style_model(path, mnist_data, n_train=3000, hidden=(10,), seed=1)


@pytest.fixture
def app(validated_model, tmp_path):
    with lab_app(validated_model, work_dir=tmp_path) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


def served(app):
    return app.extensions["steepest_lab"].served


# ---------------------------------------------------------------------------
# what the header says about a model


def test_a_validation_runs_test_accuracy_comes_from_its_result(client, validated_model):
    _, info = load_model(validated_model)
    assert info["history"][-1]["test_accuracy"] is None  # the epochs scored validation only
    expected = info["result"]["test_accuracy"]
    assert 0 < expected <= 1
    assert client.get("/api/model").get_json()["model"]["test_accuracy"] == expected
    assert client.get("/api/models").get_json()["models"][0]["test_accuracy"] == expected


def test_without_a_result_the_last_epochs_test_accuracy_is_shown(lab_style_model, tmp_path):
    _, info = load_model(lab_style_model)
    with lab_app(lab_style_model, work_dir=tmp_path) as app:
        model = app.test_client().get("/api/model").get_json()["model"]
        assert model["test_accuracy"] == info["history"][-1]["test_accuracy"] > 0.5


def test_numbers_too_big_for_a_float_in_a_history_count_as_none(tmp_path):
    """JSON carries ints of any size; one past 1.8e308 is no float (it made the summary raise)."""
    huge = 10**400
    path = tmp_path / "huge.npz"
    save_model(path, Network((784, 5, 10), rng=np.random.default_rng(0)), {"history": [
        {"epoch": 1, "train_loss": huge, "test_accuracy": huge, "val_accuracy": -huge},
        {"epoch": 2, "train_loss": 0.25, "test_accuracy": 0.5}]})
    with lab_app(path, work_dir=tmp_path / "work") as app:
        answer = app.test_client().get("/api/model")
        assert answer.status_code == 200, answer.data[:300]
        first, second = answer.get_json()["model"]["history"]
    assert first == {"epoch": 1, "train_loss": None, "test_accuracy": None, "val_accuracy": None}
    assert second == {"epoch": 2, "train_loss": 0.25, "test_accuracy": 0.5, "val_accuracy": None}


# ---------------------------------------------------------------------------
# the list


def test_the_start_model_is_listed_and_served(client):
    out = client.get("/api/models").get_json()
    assert list(out) == ["models", "served"]
    (entry,) = out["models"]
    assert list(entry) == LISTING_KEYS
    assert entry["served"] is True and out["served"] == entry["id"] == entry["version"] == 1
    assert entry["source"] == "model.npz"
    assert entry["description"].startswith("784 -> 8 sigmoid -> 10 softmax")


def test_a_model_trained_in_the_lab_joins_the_list_and_the_old_one_comes_back(
        client, validated_model):
    start = client.post("/api/train", json={"hidden": [6], "epochs": 1, "train_limit": 500,
                                            "batch_size": 50})
    assert start.status_code == 202, start.get_json()
    deadline = time.monotonic() + 90
    while client.get("/api/train").get_json()["running"]:
        assert time.monotonic() < deadline, "the training job did not finish in 90 s"
        time.sleep(0.1)
    assert client.get("/api/train").get_json()["job"]["state"] == "done"

    listing = client.get("/api/models").get_json()
    assert [m["id"] for m in listing["models"]] == [1, 2]
    assert [m["served"] for m in listing["models"]] == [False, True] and listing["served"] == 2
    assert listing["models"][1]["description"].startswith("784 -> 6 sigmoid -> 10 softmax")
    assert listing["models"][1]["source"] == "trained in the lab, 1 epoch"

    chosen = client.post("/api/models/select", json={"id": 1})
    assert chosen.status_code == 200
    assert chosen.get_json() == client.get("/api/model").get_json()["model"]
    assert chosen.get_json()["id"] == 1 and chosen.get_json()["sizes"] == [784, 8, 10]
    # every route now answers with the first model again, its bytes included
    assert client.get("/api/models").get_json()["served"] == 1
    pixels = [0.0] * 784
    for i in range(300, 480, 28):  # a vertical stroke
        pixels[i + 14] = 1.0
    predicted = client.post("/api/predict", json={"pixels": pixels}).get_json()
    assert predicted["model_version"] == 1
    assert client.get("/api/network").get_json()["sizes"] == [784, 8, 10]
    assert client.get("/api/model/download").data == validated_model.read_bytes()

    again = client.post("/api/models/select", json={"id": 2}).get_json()
    assert again["sizes"] == [784, 6, 10] and again["version"] == 2


@pytest.mark.parametrize("body, status, words", [
    ({"id": 99}, 404, "no model with id 99"),
    ({"id": 0}, 404, "no model with id 0"),
    ({"id": "1"}, 400, "id must be an integer"),
    ({"id": True}, 400, "id must be an integer"),
    ({"id": 1.5}, 400, "id must be an integer"),
    ({"id": -1}, 400, "id must be between"),
    ({}, 400, "id must be an integer, got null"),
    ({"id": 1, "version": 1}, 400, "unknown field"),
    ([1], 400, "JSON object"),
])
def test_select_refuses_unknown_ids_and_bad_bodies(client, body, status, words):
    answer = client.post("/api/models/select", json=body)
    assert answer.status_code == status
    assert words in answer.get_json()["error"]
    assert client.get("/api/models").get_json()["served"] == 1  # nothing changed


def test_the_list_is_bounded_and_keeps_the_first_and_the_served_model(app, lab_style_model,
                                                                      tmp_path):
    net, info = load_model(lab_style_model)
    for k in range(MAX_MODELS + 3):  # different networks: the same one is not added twice
        weights = net.get_weights()
        weights[-1][0] += 0.001 * (k + 1)  # the output layer's first bias
        net.set_weights(weights)
        path = tmp_path / f"variant-{k}.npz"
        save_model(path, net, info)
        served(app).load(path, source=f"variant {k}")
    listing = app.test_client().get("/api/models").get_json()
    ids = [m["id"] for m in listing["models"]]
    newest = MAX_MODELS + 4
    assert len(ids) == MAX_MODELS
    assert ids[0] == 1  # the model the lab started with
    assert ids[1:] == list(range(newest - MAX_MODELS + 2, newest + 1))  # then the newest ones
    assert listing["served"] == newest
    assert app.test_client().post("/api/models/select", json={"id": 2}).status_code == 404


def test_without_a_model_the_list_is_empty(tmp_path):
    with lab_app(None, train_if_missing=False, work_dir=tmp_path) as app:
        client = app.test_client()
        assert client.get("/api/models").get_json() == {"models": [], "served": None}
        assert client.post("/api/models/select", json={"id": 1}).status_code == 404


# ---------------------------------------------------------------------------
# the Train tab's gallery, answered by the model in service


def test_the_gallery_carries_the_served_models_answers_and_follows_a_switch(
        client, app, lab_style_model, mnist_data):
    from steepest.modelfile import load_model

    _, (x_test, y_test) = mnist_data
    first = client.get("/api/gallery").get_json()
    assert first["labels"] == list(range(10)) and first["model_version"] == 1
    assert first["images"][3] == x_test[first["indices"][3]].reshape(-1).tolist()
    served(app).add(lab_style_model)
    second = client.get("/api/gallery").get_json()
    assert second["model_version"] == 2
    net, _ = load_model(lab_style_model)
    probs = net.predict_proba(x_test[second["indices"]])  # (10, 10)
    assert [p["digit"] for p in second["predictions"]] == probs.argmax(1).tolist()
    assert [p["confidence"] for p in second["predictions"]] == pytest.approx(probs.max(1), abs=1e-4)


def test_without_a_model_the_gallery_is_a_503(tmp_path):
    with lab_app(None, train_if_missing=False, work_dir=tmp_path) as app:
        answer = app.test_client().get("/api/gallery")
        assert answer.status_code == 503 and "no model yet" in answer.get_json()["error"]
