"""Jobs and the models they leave, through Flask's test client: a cancelled job keeps
its finished epochs, an identical re-run adds no copy, the user knows a model by its
version only, and each model carries its own training history.

The lab's rule for re-runs (see :mod:`steepest.web.provenance`): a job whose network is
bit for bit one the lab keeps -- same settings, same seed, same images -- serves that
model again under its own version instead of adding a duplicate.
"""

from __future__ import annotations

import json
import time

import pytest

from lab_support import lab_app
from requires import WEB, require

require(WEB)  # the web lab needs Flask: skipped without it; under CI=true, failed

from steepest.modelfile import load_model, save_model  # noqa: E402

#: A quick job: 500 images, 10 batches an epoch.
JOB = {"hidden": [6], "epochs": 2, "train_limit": 500, "batch_size": 50, "seed": 0}


@pytest.fixture(scope="module")
def start_model(tmp_path_factory, mnist_data, save_lab_style_model):
    path = tmp_path_factory.mktemp("start") / "start.npz"
    return save_lab_style_model(path, mnist_data, n_train=1000, hidden=(10,), seed=0)


@pytest.fixture
def client(start_model, tmp_path):
    with lab_app(start_model, work_dir=tmp_path) as app:
        yield app.test_client()


def events_of(response) -> list[dict]:
    """A text/event-stream body's events, as their JSON data (the stream ends with the job)."""
    return [json.loads(line[6:]) for line in response.get_data(as_text=True).splitlines()
            if line.startswith("data: ")]


def run_job(client, **changes) -> dict:
    """Start a job, follow it to its end; its last event."""
    answer = client.post("/api/train", json={**JOB, **changes})
    assert answer.status_code == 202, answer.get_json()
    return events_of(client.get("/api/train/events"))[-1]


def wait_for(predicate, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def listing(client) -> dict:
    return client.get("/api/models").get_json()


# ---------------------------------------------------------------------------
# a cancelled job


def test_a_cancelled_job_with_finished_epochs_becomes_a_model_marked_cancelled(client, tmp_path):
    assert client.post("/api/train", json={**JOB, "epochs": 100}).status_code == 202
    wait_for(lambda: len(client.get("/api/train").get_json()["job"]["history"]) >= 2)
    assert client.post("/api/train/cancel", json={}).get_json()["cancelled"] is True
    final = events_of(client.get("/api/train/events"))[-1]
    assert final["type"] == "cancelled"
    models = listing(client)
    assert [m["id"] for m in models["models"]] == [1, 2] and models["served"] == 2

    assert final["new_model"] is True
    k = final["model"]["cancelled_at"]["epoch"]
    assert k >= 2 and final["model"]["cancelled_at"] == {"epoch": k, "epochs": 100}
    assert models["models"][1]["source"] == f"trained in the lab, cancelled at epoch {k} of 100"
    served = client.get("/api/model").get_json()["model"]
    assert served["version"] == 2 and served["cancelled_at"] == {"epoch": k, "epochs": 100}
    assert [h["epoch"] for h in served["history"]] == list(range(1, k + 1))
    # the mark travels with the file: a download says where the job stopped
    path = tmp_path / "cancelled.npz"
    path.write_bytes(client.get("/api/model/download").data)
    net, info = load_model(path)
    assert info["cancelled"] == {"epoch": k, "epochs": 100} and len(info["history"]) == k
    assert net.sizes == (784, 6, 10)


def test_a_job_cancelled_before_its_first_epoch_adds_no_model(client):
    body = {k: v for k, v in JOB.items() if k != "train_limit"}  # 60,000 images: no epoch yet
    assert client.post("/api/train", json={**body, "epochs": 100}).status_code == 202
    assert client.post("/api/train/cancel", json={}).get_json()["cancelled"] is True
    final = events_of(client.get("/api/train/events"))[-1]
    assert final["type"] == "cancelled" and "model" not in final
    assert listing(client)["served"] == 1 and len(listing(client)["models"]) == 1


# ---------------------------------------------------------------------------
# re-runs


def test_an_identical_rerun_serves_the_kept_model_instead_of_a_copy(client):
    first = run_job(client)
    assert first["type"] == "done" and first["model"]["version"] == 2
    client.post("/api/models/select", json={"id": 1})  # the start model serves meanwhile

    again = run_job(client)  # same settings, seed and images: the same network
    assert again["type"] == "done"
    assert [m["id"] for m in listing(client)["models"]] == [1, 2]
    assert listing(client)["served"] == 2  # the kept model is served again
    assert again["model"] == first["model"]
    assert (first["new_model"], again["new_model"]) == (True, False)

    other = run_job(client, seed=1)  # another seed is another network
    assert other["new_model"] is True and other["model"]["version"] == 3
    assert [m["id"] for m in listing(client)["models"]] == [1, 2, 3]


def test_a_file_holding_a_kept_network_is_not_added_twice(client, start_model, tmp_path):
    served = client.application.extensions["steepest_lab"].served
    net, info = load_model(start_model)
    copy = tmp_path / "copy.npz"
    save_model(copy, net, {**info, "note": "the same weights, other info"})
    snap = served.load(copy, source="a copy")
    assert (snap.version, snap.source) == (1, "start.npz")
    assert len(served.models()[0]) == 1
    weights = net.get_weights()  # now one weight differs, by a tiny step
    weights[0][0, 0] += abs(weights[0][0, 0]) * 1e-6 + 1e-7
    net.set_weights(weights)
    save_model(copy, net, info)
    snap, added = served.add(copy, source="changed")
    assert (snap.version, added) == (2, True)


# ---------------------------------------------------------------------------
# one numbering, and each model's own history


def test_models_are_known_by_version_not_by_job_number(client):
    run_job(client)
    run_job(client, seed=1)
    sources = [m["source"] for m in listing(client)["models"]]
    assert sources == ["start.npz", "trained in the lab, 2 epochs", "trained in the lab, 2 epochs"]
    assert client.post("/api/train", json={**JOB, "epochs": 100}).status_code == 202
    refused = client.post("/api/train", json=JOB)
    assert refused.status_code == 409
    assert "job" not in refused.get_json()["error"].replace("a training job is", "")
    client.post("/api/train/cancel", json={})
    events_of(client.get("/api/train/events"))


def test_each_model_serves_its_own_training_history(client, start_model):
    _, info = load_model(start_model)
    start = client.get("/api/model").get_json()["model"]
    assert start["history"] == [{k: h[k] for k in ("epoch", "train_loss", "test_accuracy")}
                                | {"val_accuracy": h.get("val_accuracy")}
                                for h in info["history"]]
    assert start["cancelled_at"] is None
    trained = run_job(client, epochs=3)["model"]
    assert [h["epoch"] for h in trained["history"]] == [1, 2, 3]
    assert client.get("/api/model").get_json()["model"]["history"] == trained["history"]
    back = client.post("/api/models/select", json={"id": 1}).get_json()
    assert back["history"] == start["history"]
