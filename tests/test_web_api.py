"""The web lab's JSON API, through Flask's test client (and once through a real socket).

Every route answers; every bad request gets a 4xx with ``{"error": ...}`` and
the server keeps serving; one training job runs at a time and can be cancelled.
"""

from __future__ import annotations

import base64
import http.client
import io
import itertools
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import steepest
from lab_support import lab_app, running
from requires import WEB, require

require(WEB)  # the web lab needs Flask: skipped without it; under CI=true, failed

import flask  # noqa: E402

from steepest.modelfile import load_model, save_model  # noqa: E402
from steepest.preprocess import to_mnist  # noqa: E402
from steepest.training import TrainConfig, fit  # noqa: E402
from steepest.web.app import STATIC, create_app  # noqa: E402
from steepest.web.guard import Guard  # noqa: E402
from steepest.web.train_request import MAX_PARAMETERS, spec_from_json  # noqa: E402
from steepest.web.trainer import JobSpec  # noqa: E402
from steepest.web.validate import ApiError  # noqa: E402

QUICK_JOB = {"hidden": [8], "epochs": 2, "train_limit": 500, "batch_size": 50}


@pytest.fixture(scope="module")
def data(mnist_data):
    return mnist_data


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, data, save_lab_style_model):
    """A small model, trained in a fraction of a second on 5,000 images."""
    path = tmp_path_factory.mktemp("web") / "small.npz"
    return save_lab_style_model(path, data, n_train=5000, hidden=(15,), seed=0)


@pytest.fixture
def app(model_path, tmp_path):
    with lab_app(model_path, work_dir=tmp_path) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def ink(data):
    """A drawing with a digit in it, as the ``pixels`` of a predict request."""
    return digit_image(data, 0).ravel().tolist()


def digit_image(data, i: int) -> np.ndarray:
    """Test digit ``i`` as a person would draw it: dark ink on white, floats in [0, 1]."""
    return 1 - data[1][0][i].astype(np.float32) / 255


def events_of(response) -> list[dict]:
    """Parse a text/event-stream body into its events' JSON data."""
    out = []
    for block in response.get_data(as_text=True).split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                out.append(json.loads(line[6:]))
    return out


def wait_for(predicate, timeout=60.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out")


# ---------------------------------------------------------------------------
# the page and the model


def test_page_and_static_files_are_served(client):
    with client.get("/") as page:
        assert page.status_code == 200 and b"/static/app.js" in page.data
    for name in ("app.js", "style.css"):
        with client.get(f"/static/{name}") as r:
            assert r.status_code == 200 and r.data


def test_the_pages_scripts_are_served_as_javascript_whatever_the_system_says(client, monkeypatch):
    """The page's scripts are ES modules, which a browser runs only when served with a
    JavaScript type; a system's MIME table (a Windows registry, say) may map .js to text/plain."""
    import mimetypes

    mimetypes.guess_type("x.js")  # the table is read once, on first use
    monkeypatch.setitem(mimetypes.types_map, ".js", "text/plain")
    assert mimetypes.guess_type("x.js")[0] == "text/plain"  # what the lab must not send
    scripts = ["app.js", *(f"js/{p.name}" for p in (STATIC / "js").glob("*.js"))]
    assert len(scripts) > 1
    for name in scripts:
        with client.get(f"/static/{name}") as r:
            assert r.status_code == 200 and r.mimetype == "text/javascript", (name, r.mimetype)
    with client.get("/static/style.css") as r:
        assert r.mimetype == "text/css"  # other files keep their own type


def test_model_info(client):
    info = client.get("/api/model").get_json()
    assert info["ready"] is True
    m = info["model"]
    assert m["version"] == 1 and m["sizes"] == [784, 15, 10] and m["source"] == "small.npz"
    assert m["epochs_trained"] == 1 and 0.5 < m["test_accuracy"] <= 1
    assert info["training"] == {"running": False, "job": None}


def test_download_gives_the_served_model(client, model_path):
    r = client.get("/api/model/download")
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    net, _ = load_model(io.BytesIO(r.data))
    ref, _ = load_model(model_path)
    assert all(np.array_equal(a, b) for a, b in zip(net.get_weights(), ref.get_weights()))


# ---------------------------------------------------------------------------
# predict


def test_predict_matches_the_library(client, data, model_path):
    net, _ = load_model(model_path)
    for i in range(5):
        img = digit_image(data, i)
        r = client.post("/api/predict", json={"pixels": img.ravel().tolist()})
        assert r.status_code == 200
        out = r.get_json()
        x = to_mnist(img)  # the one preprocessing, shared with `steepest predict`
        probs = net.forward(x.reshape(1, 784))[0]
        hidden = net.layers[0].a[0]  # forward keeps each layer's output (the lab's path does not)
        assert out["digit"] == int(probs.argmax())
        np.testing.assert_allclose(out["probabilities"], probs, atol=1e-4)
        np.testing.assert_allclose(out["input"], x, atol=1e-3)
        assert len(out["hidden"]) == 1
        np.testing.assert_allclose(out["hidden"][0], hidden, atol=1e-4)
        assert out["model_version"] == 1


def test_predict_base64_equals_pixel_list(client, data):
    big = np.kron(digit_image(data, 7), np.ones((4, 4), np.float32))  # 112x112, like the page
    gray = np.round(big * 255).astype(np.uint8)
    as_list = client.post("/api/predict", json={
        "width": 112, "height": 112, "pixels": (gray / 255).ravel().tolist()}).get_json()
    as_b64 = client.post("/api/predict", json={
        "width": 112, "height": 112,
        "pixels_base64": base64.b64encode(gray.tobytes()).decode()}).get_json()
    assert as_list["digit"] == as_b64["digit"]
    np.testing.assert_allclose(as_list["probabilities"], as_b64["probabilities"], atol=1e-4)


def test_predict_agrees_with_the_cli(client, data, model_path, tmp_path):
    from click.testing import CliRunner
    from PIL import Image

    from steepest.cli import main

    img = digit_image(data, 3)
    png = tmp_path / "digit.png"
    Image.fromarray(np.round(img * 255).astype(np.uint8)).save(png)
    result = CliRunner().invoke(main, ["predict", str(model_path), str(png), "--json"])
    assert result.exit_code == 0, result.output
    cli = json.loads(result.output)[0]
    web = client.post("/api/predict", json={"pixels": img.ravel().tolist()}).get_json()
    assert web["digit"] == cli["digit"]
    np.testing.assert_allclose(web["probabilities"], cli["probabilities"], atol=1e-3)


def test_concurrent_predictions_do_not_mix(app, data):
    """Many threads at once (as the server runs them) each get their own digit's answer."""
    from concurrent.futures import ThreadPoolExecutor

    bodies = [{"pixels": digit_image(data, i).ravel().tolist()} for i in range(16)]
    expected = [app.test_client().post("/api/predict", json=b).get_json() for b in bodies]

    def ask(i: int) -> dict:
        return app.test_client().post("/api/predict", json=bodies[i % 16]).get_json()

    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show up
    try:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(160)))
    finally:
        sys.setswitchinterval(switch)
    for i, answer in enumerate(answers):
        assert answer["probabilities"] == expected[i % 16]["probabilities"]
        assert answer["hidden"] == expected[i % 16]["hidden"]


# ---------------------------------------------------------------------------
# every kind of bad request: a 4xx, a JSON message, and the server goes on

B64_3 = base64.b64encode(b"abc").decode()
BAD_REQUESTS = [
    # (method, path, body (bytes or JSON-able), status, words in the message)
    ("POST", "/api/predict", b"{", 400, "malformed JSON"),
    ("POST", "/api/predict", b"\xff\xfe\x00", 400, "UTF-8"),
    ("POST", "/api/predict", b"", 400, "empty"),
    ("POST", "/api/predict", b"[" * 100_000, 400, "JSON"),
    ("POST", "/api/predict", [1, 2], 400, "JSON object"),
    ("POST", "/api/predict", {"pixels": [0.5] * 783}, 400, "wrong pixel count"),
    ("POST", "/api/predict", {"pixels": [0.5] * 785}, 400, "wrong pixel count"),
    ("POST", "/api/predict", b'{"pixels": [NaN' + b", 0.5" * 783 + b"]}", 400, "NaN"),
    ("POST", "/api/predict", b'{"pixels": [Infinity' + b", 0.5" * 783 + b"]}", 400, "finite"),
    ("POST", "/api/predict", {"pixels": [1.5] + [0.5] * 783}, 400, "[0, 1]"),
    ("POST", "/api/predict", {"pixels": [-0.1] + [0.5] * 783}, 400, "[0, 1]"),
    ("POST", "/api/predict", {"pixels": ["0.5"] * 784}, 400, "numbers"),
    ("POST", "/api/predict", {"pixels": [None] * 784}, 400, "numbers"),
    ("POST", "/api/predict", {"pixels": [True] * 784}, 400, "numbers"),
    ("POST", "/api/predict", {"pixels": [[0.5]] * 784}, 400, "numbers"),
    ("POST", "/api/predict", {"pixels": "0.5"}, 400, "list"),
    ("POST", "/api/predict", {}, 400, "exactly one of"),
    ("POST", "/api/predict", {"pixels": [0.5] * 784, "pixels_base64": B64_3}, 400, "exactly one"),
    ("POST", "/api/predict", {"width": 3, "height": 1, "pixels_base64": "@@@"}, 400, "base64"),
    ("POST", "/api/predict", {"width": 2, "height": 2, "pixels_base64": B64_3}, 400,
     "wrong pixel count"),
    ("POST", "/api/predict", {"width": 0, "height": 1, "pixels": []}, 400, "width"),
    ("POST", "/api/predict", {"width": 5000, "height": 1, "pixels": [0.5]}, 400, "width"),
    ("POST", "/api/predict", {"width": "28", "pixels": [0.5] * 784}, 400, "width"),
    ("POST", "/api/predict", {"width": 2.5, "pixels": [0.5] * 784}, 400, "integer"),
    ("POST", "/api/predict", {"pixels": [0.5] * 784, "colour": 1}, 400, "unknown field"),
    ("GET", "/api/predict", None, 405, "not allowed"),
    ("PUT", "/api/model", None, 405, "not allowed"),
    ("DELETE", "/api/train", None, 405, "not allowed"),
    ("GET", "/api/nope", None, 404, "no such route"),
    ("GET", "/static/nope.js", None, 404, ""),
    ("GET", "/api/network?max_units=abc", None, 400, "max_units"),
    ("GET", "/api/network?max_units=0", None, 400, "max_units"),
    ("GET", "/api/mistakes?limit=-1", None, 400, "limit"),
    ("GET", "/api/digits/10000", None, 404, "index"),
    ("GET", "/api/digits/-1", None, 404, ""),
    ("GET", "/api/train/events?after=x", None, 400, "integer"),
    ("POST", "/api/descent", {"surface": "moon", "start": [0, 0], "learning_rate": 0.1}, 400,
     "surface"),
    ("POST", "/api/descent", {"surface": "bowl", "start": [0], "learning_rate": 0.1}, 400,
     "start"),
    ("POST", "/api/descent", {"surface": "bowl", "start": [0, "a"], "learning_rate": 0.1}, 400,
     "start"),
    ("POST", "/api/descent", {"surface": "bowl", "start": [0, 0], "learning_rate": 0}, 400,
     "learning_rate"),
    ("POST", "/api/descent", {"surface": "bowl", "start": [0, 0], "learning_rate": 0.1,
                              "steps": 10**6}, 400, "steps"),
    ("POST", "/api/perceptron", {"weights": [1, 6]}, 400, "weights"),
    ("POST", "/api/perceptron", {"weights": [1, 6, 3], "threshold": None}, 400, "threshold"),
    ("POST", "/api/train", {"hidden": "15,x"}, 400, "hidden"),
    ("POST", "/api/train", {"hidden": [0]}, 400, "hidden"),
    ("POST", "/api/train", {"hidden": [10] * 5}, 400, "at most"),
    ("POST", "/api/train", {"activation": "step"}, 400, "activation"),
    ("POST", "/api/train", {"init": "zeros"}, 400, "init"),
    ("POST", "/api/train", {"epochs": 101}, 400, "epochs"),
    ("POST", "/api/train", {"epochs": 0}, 400, "epochs"),
    ("POST", "/api/train", {"learning_rate": 0}, 400, "learning_rate"),
    ("POST", "/api/train", {"learning_rate": None}, 400, "learning_rate"),
    ("POST", "/api/train", {"batch_size": 1.5}, 400, "batch_size"),
    ("POST", "/api/train", {"train_limit": 5}, 400, "train_limit"),
    ("POST", "/api/train", {"momentum": 0.9}, 400, "unknown field"),
]


@pytest.mark.parametrize("method, path, body, status, words", BAD_REQUESTS,
                         ids=[f"{m} {p} {i}" for i, (m, p, *_) in enumerate(BAD_REQUESTS)])
def test_bad_requests_get_a_json_4xx(client, ink, method, path, body, status, words):
    kwargs = {}
    if isinstance(body, bytes):
        kwargs = {"data": body, "content_type": "application/json"}
    elif body is not None:
        kwargs = {"json": body}
    r = client.open(path, method=method, **kwargs)
    assert r.status_code == status
    assert r.is_json, r.data[:200]
    message = r.get_json()["error"]
    assert isinstance(message, str) and words in message and "\n" not in message
    # ... and the server keeps serving
    assert client.post("/api/predict", json={"pixels": ink}).status_code == 200
    assert client.get("/api/train").get_json()["running"] is False  # no job was started


def test_body_over_the_size_limit_is_413(model_path, tmp_path):
    with lab_app(model_path, work_dir=tmp_path, max_content_length=10_000) as app:
        r = app.test_client().post("/api/predict", json={"pixels": [0.5] * 5000})
        assert r.status_code == 413 and "too large" in r.get_json()["error"]


def test_at_most_max_streams_pages_follow_the_events(client):
    from steepest.web.app import MAX_STREAMS

    client.post("/api/train", json={"epochs": 100})
    try:
        streams = [client.get("/api/train/events", buffered=False) for _ in range(MAX_STREAMS)]
        assert all(r.status_code == 200 for r in streams)
        refused = client.get("/api/train/events")
        assert refused.status_code == 429 and "already follow" in refused.get_json()["error"]
        for r in streams:
            r.close()  # the pages go away
        again = client.get("/api/train/events", buffered=False)
        assert again.status_code == 200
        again.close()
    finally:
        client.post("/api/train/cancel", json={})


def test_wrong_method_keeps_the_allow_header(client):
    r = client.get("/api/train/cancel")
    assert r.status_code == 405 and "POST" in r.headers["Allow"]


@pytest.mark.parametrize("engine", ["auto", "werkzeug"])
def test_real_server_survives_garbage(app, ink, engine):
    """Over a real socket: malformed HTTP, oversized and malformed bodies, then a good request."""
    with running(app, engine=engine) as server:
        import socket

        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as s:
            s.sendall(b"NONSENSE\r\n\r\n")  # not even HTTP: the HTTP layer says 400
            assert b"400" in s.recv(4000)

        def post(body: bytes) -> tuple[int, dict]:
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            try:
                conn.request("POST", "/api/predict", body=body,
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                return r.status, json.loads(r.read())
            finally:
                conn.close()

        status, out = post(b'{"pixels": [0.5, NaN]}')
        assert status == 400 and "error" in out
        status, out = post(b"x" * (3 * 1024 * 1024))
        assert status == 413 and "too large" in out["error"]
        if server.kind == "waitress":  # far past the limit: refused before the app reads it
            conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
            conn.putrequest("POST", "/api/predict")
            conn.putheader("Content-Length", str(10**9))
            conn.endheaders()
            assert conn.getresponse().status == 413
            conn.close()
        status, out = post(json.dumps({"pixels": ink}).encode())
        assert status == 200 and len(out["probabilities"]) == 10


# ---------------------------------------------------------------------------
# inside the network, mistakes, test digits


def test_network_view(client, model_path):
    net, _ = load_model(model_path)
    view = client.get("/api/network").get_json()
    hidden, out = view["layers"]
    assert view["sizes"] == [784, 15, 10] and view["model_version"] == 1
    assert hidden["units"] == 15 and hidden["shown"] == list(range(15))
    assert hidden["image_shape"] == [28, 28] and len(hidden["weights"]) == 15
    np.testing.assert_allclose(hidden["weights"][3], net.layers[0].W.value[:, 3], atol=1e-4)
    assert out["units"] == 10 and np.shape(out["incoming"]) == (15, 10)
    np.testing.assert_allclose(out["incoming"], net.layers[1].W.value, atol=1e-4)


def test_network_view_of_a_big_model_shows_at_most_max_units(data, tmp_path):
    (x, y), (xt, yt) = data
    net, _ = fit(TrainConfig(hidden=(40, 30), epochs=1), ((x[:300], y[:300]), (xt[:50], yt[:50])))
    path = tmp_path / "big.npz"
    save_model(path, net)
    with lab_app(path, work_dir=tmp_path) as app:
        c = app.test_client()
        view = c.get("/api/network?max_units=8").get_json()
        h1, h2, out = view["layers"]
        assert (h1["units"], len(h1["shown"]), np.shape(h1["weights"])) == (40, 8, (8, 784))
        assert h2["image_shape"] == [6, 7] and np.shape(h2["weights"]) == (8, 40)
        assert np.shape(h2["incoming"]) == (8, 8) and np.shape(out["incoming"]) == (8, 10)
        pixels = digit_image(data, 0).ravel().tolist()
        pred = c.post("/api/predict", json={"pixels": pixels}).get_json()
        assert [len(h) for h in pred["hidden"]] == [40, 30]


def test_mistakes(client, data, model_path):
    net, _ = load_model(model_path)
    (_, _), (xt, yt) = data
    pred = net.predict(xt)
    r = client.get("/api/mistakes?limit=5").get_json()
    assert r["total"] == int(np.sum(pred != yt)) and r["n_test"] == 10000
    assert len(r["mistakes"]) == 5
    conf = [m["confidence"] for m in r["mistakes"]]
    assert conf == sorted(conf, reverse=True)
    for m in r["mistakes"]:
        assert m["label"] == yt[m["index"]] and m["prediction"] == pred[m["index"]] != m["label"]
        assert m["pixels"] == xt[m["index"]].ravel().tolist()
    page2 = client.get("/api/mistakes?limit=5&offset=5").get_json()
    assert page2["mistakes"][0]["index"] not in [m["index"] for m in r["mistakes"]]


def test_test_digit(client, data):
    d = client.get("/api/digits/42").get_json()
    assert d["label"] == data[1][1][42] and len(d["pixels"]) == 784


# ---------------------------------------------------------------------------
# descent and the perceptron


def test_descent_follows_the_library(client):
    r = client.post("/api/descent", json={"surface": "bowl", "start": [1, 0],
                                          "learning_rate": 0.25, "steps": 2}).get_json()
    assert r["points"] == [[1.0, 0.0], [0.5, 0.0], [0.25, 0.0]]
    assert r["costs"] == [1.0, 0.25, 0.0625] and r["diverged"] is False
    assert r["predicted_changes"] == [-1.0, -0.25]  # grad C . dv = -lambda |grad C|^2
    assert r["actual_changes"] == [-0.75, -0.1875]
    start_only = client.post("/api/descent", json={"surface": "valley", "start": [-5, 2],
                                                   "learning_rate": 0.2, "steps": 0}).get_json()
    assert start_only["costs"] == [pytest.approx(10.5)] and start_only["predicted_changes"] == []


def test_too_large_a_step_diverges_with_valid_json(client):
    r = client.post("/api/descent", json={"surface": "valley", "start": [-5, 2],
                                          "learning_rate": 0.9, "steps": 1000})
    out = json.loads(r.data)  # strict JSON: no NaN or Infinity in the text
    assert out["diverged"] is True and b"NaN" not in r.data and b"Infinity" not in r.data
    assert abs(out["costs"][-1]) > 1e6 > abs(out["costs"][0])


def test_surfaces(client):
    surfaces = client.get("/api/descent/surfaces?grid=20").get_json()["surfaces"]
    names = [s["name"] for s in surfaces]
    assert {"bowl", "valley", "saddle", "rosenbrock"} <= set(names)
    bowl = surfaces[names.index("bowl")]
    assert np.shape(bowl["grid"]["costs"]) == (20, 20)
    assert bowl["grid"]["costs"][0][0] == pytest.approx(18.0)  # corner (-3, -3)


def test_perceptron_table(client):
    lecture = client.get("/api/perceptron").get_json()
    assert lecture["weights"] == [1, 6, 3] and lecture["threshold"] == 9
    assert [r["x"] for r in lecture["rows"]] == [[1, 1, 1], [1, 0, 0], [1, 1, 0], [1, 0, 1],
                                                 [0, 1, 1], [0, 0, 0], [0, 0, 1], [0, 1, 0]]
    assert [r["wx"] for r in lecture["rows"]] == [10, 1, 7, 4, 9, 0, 3, 6]
    # t = 9: "I'll only go if I'm both available and interested": w.x = 10 and 9 go.
    assert [r["go"] for r in lecture["rows"]] == [1, 0, 0, 0, 1, 0, 0, 0]
    assert lecture["goes"] == 2
    t7 = client.post("/api/perceptron", json={"weights": [1, 6, 3], "threshold": 7}).get_json()
    # t = 7: "I'll also go if the tickets are cheap and I'm available": w.x = 7 goes too.
    assert [r["go"] for r in t7["rows"]] == [1, 0, 1, 0, 1, 0, 0, 0]
    assert t7["goes"] == 3
    assert t7["features"] == ["cheap", "time", "care"]
    assert t7["questions"] == ["Are the tickets cheap?", "Do I have the time to go?",
                               "Do I care about the team they're playing?"]
    just_above = client.post("/api/perceptron", json={"threshold": 9.5}).get_json()
    assert [r["go"] for r in just_above["rows"]] == [1, 0, 0, 0, 0, 0, 0, 0]


# ---------------------------------------------------------------------------
# training jobs


def test_training_job_streams_events_and_switches_the_model(client, ink):
    r = client.post("/api/train", json=QUICK_JOB)
    assert r.status_code == 202
    job = r.get_json()
    assert job["config"]["hidden"] == [8] and job["train_limit"] == 500
    second = client.post("/api/train", json={"epochs": 1})
    assert second.status_code == 409
    assert "already running" in second.get_json()["error"]

    events = events_of(client.get("/api/train/events"))  # ends with the job
    types = [e["type"] for e in events]
    assert types[0] == "started" and types[-1] == "done"
    assert types.count("epoch") == 2 and "weights" in types and "progress" in types
    epochs = [e for e in events if e["type"] == "epoch"]
    assert [e["epoch"] for e in epochs] == [1, 2]
    assert np.shape(epochs[-1]["layers"][0]["weights"]) == (8, 784)
    ids = [e["id"] for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)

    info = client.get("/api/model").get_json()["model"]
    assert info["version"] == 2 and info["sizes"] == [784, 8, 10]
    assert info["epochs_trained"] == 2
    pred = client.post("/api/predict", json={"pixels": ink}).get_json()
    assert pred["model_version"] == 2 and len(pred["hidden"][0]) == 8
    status = client.get("/api/train").get_json()
    assert status["running"] is False and status["job"]["state"] == "done"
    assert len(status["job"]["history"]) == 2
    # replayed, the log keeps only the latest weight images: the last epoch's
    replay = events_of(client.get("/api/train/events"))
    assert [e["id"] for e in replay] == ids and replay[-1] == events[-1]
    assert [e["id"] for e in replay if "layers" in e] == [epochs[-1]["id"]]
    assert [e["gallery"] for e in replay if "gallery" in e] == [
        e["gallery"] for e in events if "gallery" in e]
    # resuming the stream after the last event: nothing new, and it ends at once
    assert events_of(client.get(f"/api/train/events?after={ids[-1]}")) == []
    # a new job may start now
    assert client.post("/api/train", json=QUICK_JOB).status_code == 202
    assert events_of(client.get("/api/train/events"))[-1]["type"] == "done"


def test_training_job_takes_the_ladders_options(client):
    job = {**QUICK_JOB, "optimizer": "adam", "learning_rate": 0.01, "schedule": "cosine",
           "l2": 1e-4, "dropout": 0.2}
    r = client.post("/api/train", json=job)
    assert r.status_code == 202, r.get_json()
    config = r.get_json()["config"]
    assert (config["optimizer"], config["schedule"], config["l2"], config["dropout"]) == (
        "adam", "cosine", 1e-4, 0.2)
    events = events_of(client.get("/api/train/events"))
    assert events[-1]["type"] == "done", events[-1]
    assert client.get("/api/model").get_json()["model"]["config"]["optimizer"] == "adam"


@pytest.mark.parametrize("field, value, message", [
    ("optimizer", "rmsprop", "optimizer must be one of: sgd, momentum, nesterov, adam, adamw"),
    ("schedule", "linear", "schedule must be one of: constant, step, cosine"),
    ("dropout", 0.95, "dropout"),
    ("l2", -1, "l2"),
])
def test_training_options_are_checked(client, field, value, message):
    r = client.post("/api/train", json={**QUICK_JOB, field: value})
    assert r.status_code == 400 and message in r.get_json()["error"]


def test_cancel(client):
    assert client.post("/api/train/cancel", json={}).get_json()["cancelled"] is False
    assert client.post("/api/train", json={"epochs": 100}).status_code == 202
    r = client.post("/api/train/cancel", json={}).get_json()
    assert r["cancelled"] is True
    events = events_of(client.get("/api/train/events"))
    assert events[-1]["type"] == "cancelled" and "cancelled by request" in events[-1]["message"]
    status = client.get("/api/train").get_json()
    assert status["running"] is False and status["job"]["state"] == "cancelled"
    assert client.get("/api/model").get_json()["model"]["version"] == 1  # the old model stays


def test_a_job_nobody_follows_stops_by_itself(model_path, tmp_path):
    with lab_app(model_path, work_dir=tmp_path, idle_timeout=0.5) as app:
        manager = app.extensions["steepest_lab"].manager
        assert app.test_client().post("/api/train", json={"epochs": 100}).status_code == 202
        # nobody polls or follows the events now ...
        wait_for(lambda: manager.status()["job"]["state"] == "cancelled", timeout=60)
        assert "no page has followed" in manager.status()["job"]["message"]


def test_without_a_model_it_trains_one_first(tmp_path, ink):
    spec = JobSpec(TrainConfig(epochs=1, batch_size=50), train_limit=1000)
    with lab_app(None, startup_spec=spec, work_dir=tmp_path) as app:
        c = app.test_client()
        info = c.get("/api/model").get_json()
        assert info["ready"] is False and info["training"]["job"]["startup"] is True
        events = events_of(c.get("/api/train/events"))
        assert events[-1]["type"] == "done"
        info = c.get("/api/model").get_json()
        assert info["ready"] is True and info["model"]["sizes"] == [784, 15, 10]
        assert c.post("/api/predict", json={"pixels": ink}).status_code == 200


def test_until_the_first_model_is_served_the_model_routes_answer_503(tmp_path, ink):
    """The start-up job is held just before its model goes into service: 503 and Retry-After."""
    spec = JobSpec(TrainConfig(epochs=1, batch_size=50), train_limit=1000)
    app = create_app(None, train_if_missing=False, work_dir=tmp_path)
    lab = app.extensions["steepest_lab"]
    arrived, release = threading.Event(), threading.Event()
    add = lab.served.add

    def held_add(*args, **kwargs):  # the job's watcher waits here, its model not yet served
        arrived.set()
        release.wait(120)
        return add(*args, **kwargs)

    lab.served.add = held_add
    try:
        c = app.test_client()
        lab.manager.start(spec, startup=True)  # what create_app does without a model
        assert arrived.wait(120), "the start-up job never finished training"
        for method, path, body in [("POST", "/api/predict", {"pixels": ink}),
                                   ("GET", "/api/network", None),
                                   ("GET", "/api/mistakes", None),
                                   ("GET", "/api/model/download", None)]:
            r = c.open(path, method=method, json=body)
            assert r.status_code == 503, (path, r.status_code)
            assert r.headers["Retry-After"] == "2"
            assert "still training" in r.get_json()["error"]
        assert c.get("/api/model").get_json()["ready"] is False
        release.set()
        assert events_of(c.get("/api/train/events"))[-1]["type"] == "done"
        r = c.post("/api/predict", json={"pixels": ink})
        assert r.status_code == 200 and "Retry-After" not in r.headers
    finally:
        release.set()
        lab.close()


def test_closing_the_page_cancels_the_job(model_path, tmp_path):
    """While a page follows the event stream the job runs; once it closes, the job stops."""
    import socket

    with (lab_app(model_path, work_dir=tmp_path, idle_timeout=1.0, heartbeat=0.2) as app,
          running(app) as server):
        manager = app.extensions["steepest_lab"].manager
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        conn.request("POST", "/api/train", body=json.dumps({"epochs": 100}),
                     headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 202
        conn.close()
        page = socket.create_connection(("127.0.0.1", server.port), timeout=10)
        page.sendall(b"GET /api/train/events HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n"
                     % server.port)
        deadline = time.monotonic() + 2.5  # longer than idle_timeout: the open stream counts
        while time.monotonic() < deadline:
            assert page.recv(65536)
        assert manager.status()["job"]["state"] in ("starting", "running")
        page.close()  # the page goes away
        wait_for(lambda: manager.status()["job"]["state"] == "cancelled", timeout=60)
        assert "no page has followed" in manager.status()["job"]["message"]


# ---------------------------------------------------------------------------
# only the lab's own page may use the lab (issue 7: cross-site requests)

POSTS = [("/api/train", QUICK_JOB), ("/api/train/cancel", {}), ("/api/predict", {}),
         ("/api/descent", {"surface": "bowl", "start": [1, 0], "learning_rate": 0.1}),
         ("/api/perceptron", {})]


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", None])
@pytest.mark.parametrize("path, body", POSTS, ids=[p for p, _ in POSTS])
def test_a_post_that_is_not_json_is_415(client, path, body, content_type):
    """What a cross-site form or a "simple" fetch can send without asking the lab first."""
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post(path, data=json.dumps(body), headers=headers)
    assert r.status_code == 415 and r.is_json
    message = r.get_json()["error"]
    assert "application/json" in message and "\n" not in message
    assert client.get("/api/train").get_json()["job"] is None  # nothing was started


@pytest.mark.parametrize("origin", ["http://evil.example", "http://127.0.0.1.evil.example",
                                    "http://localhost:3000", "https://localhost", "null"])
def test_a_request_from_another_origin_is_403(client, origin):
    # the request of the issue: a text/plain POST from a page at evil.example got 202
    r = client.post("/api/train", data=json.dumps(QUICK_JOB),
                    headers={"Content-Type": "text/plain", "Origin": origin})
    assert r.status_code == 403 and "may not use this lab" in r.get_json()["error"]
    r = client.post("/api/train", json=QUICK_JOB, headers={"Origin": origin})
    assert r.status_code == 403
    for path in ("/api/model/download", "/api/train/events", "/"):  # reading is refused too
        assert client.get(path, headers={"Origin": origin}).status_code == 403
    assert client.get("/api/train").get_json()["job"] is None


def test_a_request_another_site_sends_without_origin_is_403(client):
    """An <img> or a no-cors fetch has no Origin, but browsers say Sec-Fetch-Site."""
    for site in ("cross-site", "same-site"):
        r = client.get("/api/train/events", headers={"Sec-Fetch-Site": site,
                                                     "Sec-Fetch-Mode": "no-cors"})
        assert r.status_code == 403 and site in r.get_json()["error"]
    # following a link to the lab from another site still opens the page
    r = client.get("/", headers={"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate",
                                 "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"})
    assert r.status_code == 200
    # the page's own requests: same-origin, and what the user typed ("none")
    for site in ("same-origin", "none"):
        assert client.get("/api/model", headers={"Sec-Fetch-Site": site}).status_code == 200


# issue 14: a cross-site <iframe> navigates too (Sec-Fetch-Dest: iframe); eight of them on
# /api/train/events held every stream and kept a job alive.  Only a top-level navigation
# (Dest: document) to the page (/) may come from another site, and no answer may be framed.
FETCH_SITES = (None, "same-origin", "none", "same-site", "cross-site")
FETCH_MODES = (None, "navigate", "no-cors", "cors", "same-origin")
FETCH_DESTS = (None, "document", "iframe", "frame", "embed", "object", "empty", "script")
ROUTE_KINDS = {"page": ("GET", "/"), "static file": ("GET", "/static/app.js"),
               "API read": ("GET", "/api/model"), "event stream": ("GET", "/api/train/events"),
               "download": ("GET", "/api/model/download"),
               "API write": ("POST", "/api/perceptron"), "no such route": ("GET", "/api/nope")}


def test_only_a_top_level_navigation_to_the_page_may_come_from_another_site(client):
    """Every combination of Sec-Fetch-Site, -Mode and -Dest on every kind of route."""
    wrong = []
    for kind, (method, path) in ROUTE_KINDS.items():
        for site, mode, dest in itertools.product(FETCH_SITES, FETCH_MODES, FETCH_DESTS):
            sent = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": mode, "Sec-Fetch-Dest": dest}
            headers = {k: value for k, value in sent.items() if value is not None}
            with client.open(path, method=method, headers=headers,
                             json={} if method == "POST" else None) as r:  # frees a stream
                r.get_data()
            from_another_site = site in ("same-site", "cross-site")
            link_to_page = kind == "page" and mode == "navigate" and dest == "document"
            refused = from_another_site and not link_to_page
            expected = 403 if refused else 404 if kind == "no such route" else 200
            if r.status_code != expected:
                wrong.append(f"{kind} {site}/{mode}/{dest}: {r.status_code}, not {expected}")
            if refused and not ("may not use this lab" in r.get_json()["error"]
                                and (dest or "no destination") in r.get_json()["error"]):
                wrong.append(f"{kind} {site}/{mode}/{dest}: {r.get_json()}")
    assert not wrong, f"{len(wrong)} wrong answers: {wrong[:10]}"


def test_no_answer_may_be_framed(client, model_path, tmp_path):
    """X-Frame-Options and CSP frame-ancestors on pages, files, JSON, streams and every error."""
    answers = [client.get("/"), client.get("/static/style.css"), client.get("/api/model"),
               client.get("/api/train/events"), client.get("/api/model/download"),
               client.post("/api/predict", json={"pixels": "x"}),  # 400
               client.get("/api/model", headers={"Origin": "http://evil.example"}),  # 403
               client.get("/api/model", headers={"Host": "evil.example"}),  # 403 (Host)
               client.get("/api/nope"), client.delete("/api/model"),  # 404, 405
               client.post("/api/train/cancel", data="{}")]  # 415
    with lab_app(model_path, work_dir=tmp_path / "small", max_content_length=100) as small:
        answers.append(small.test_client().post("/api/predict", json={"pixels": [0.5] * 99}))
    assert [r.status_code for r in answers] == [200] * 5 + [400, 403, 403, 404, 405, 415, 413]
    for r in answers:
        assert r.headers.get("X-Frame-Options") == "DENY", r.status_code
        assert r.headers.get("Content-Security-Policy") == "frame-ancestors 'none'", r.status_code


def test_the_frame_policy_keeps_a_policy_a_route_sets(app):
    @app.get("/policy-test")
    def with_a_policy():
        return flask.Response("x", headers={"Content-Security-Policy":
                                            "default-src 'self'; frame-ancestors *;"})

    r = app.test_client().get("/policy-test")
    assert r.headers["Content-Security-Policy"] == "default-src 'self'; frame-ancestors 'none'"


def test_a_crashing_route_still_forbids_framing(app):
    @app.get("/crash-test")
    def crash():
        raise RuntimeError("a bug")

    r = app.test_client().get("/crash-test")
    assert r.status_code == 500 and r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def request(port: int, method: str, path: str, headers: dict, body: dict | None = None):
    """One request over a real socket with exactly these headers (Host included)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


@pytest.fixture
def served_lab(app):
    """``app`` behind a real server on a free loopback port: ``(app, port)``."""
    with running(app) as server:
        yield app, server.port


def test_dns_rebinding_another_host_name_is_403(served_lab):
    """A page whose own name resolves to 127.0.0.1 still sends its name as Host."""
    _, port = served_lab
    for host in (f"evil.example:{port}", f"127.0.0.1.nip.io:{port}", f"127.0.0.1:{port + 1}",
                 "127.0.0.1", f"localhost.:{port}", ""):
        status, body = request(port, "GET", "/api/model/download", {"Host": host})
        assert status == 403, host
        assert "not this lab's address" in json.loads(body)["error"]


def test_the_labs_own_page_is_served_at_each_of_its_names(served_lab, ink):
    """What the page's own requests carry: Host = the lab, Origin (on POSTs) = the lab."""
    app, port = served_lab
    for name in ("127.0.0.1", "localhost", "LocalHost", "[::1]"):
        host = f"{name}:{port}"
        status, _ = request(port, "GET", "/", {"Host": host})
        assert status == 200, host
        status, _ = request(port, "GET", "/api/model", {"Host": host, "Origin": f"http://{host}"})
        assert status == 200, host
        status, body = request(port, "POST", "/api/predict",
                               {"Host": host, "Origin": f"http://{host}",
                                "Content-Type": "application/json; charset=utf-8",
                                "Sec-Fetch-Site": "same-origin"}, {"pixels": ink})
        assert status == 200 and len(json.loads(body)["probabilities"]) == 10
    # the page on 127.0.0.1 posting to localhost is another origin, though the same machine
    status, _ = request(port, "POST", "/api/predict",
                        {"Host": f"localhost:{port}", "Origin": f"http://127.0.0.1:{port}",
                         "Content-Type": "application/json"}, {"pixels": ink})
    assert status == 403


def test_a_lab_on_another_address_answers_to_that_address():
    guard = Guard()
    assert guard.own_host("localhost") and guard.own_host("127.0.0.1:5000")  # not bound yet
    assert not guard.own_host("evil.example") and not guard.own_host("192.168.1.7:8000")
    guard.listen("192.168.1.7", 8000)
    assert guard.own_host("192.168.1.7:8000") and guard.own_host("localhost:8000")
    assert not guard.own_host("192.168.1.8:8000") and not guard.own_host("evil.example:8000")
    guard.listen("0.0.0.0", 8000)  # every interface: any IP address, this machine's name
    assert guard.own_host("192.168.1.8:8000") and guard.own_host("[fe80::1]:8000")
    import socket

    assert guard.own_host(f"{socket.gethostname()}:8000")
    assert not guard.own_host("evil.example:8000") and not guard.own_host("192.168.1.8:80")
    guard.listen("::1", 8000)
    assert guard.own_host("[::1]:8000") and guard.own_host("127.0.0.1:8000")
    assert not guard.own_host("[::2]:8000")


# ---------------------------------------------------------------------------
# one request cannot take the machine (issue 7: bound /api/train's size)

@pytest.mark.parametrize("body, words", [
    ({"hidden": [1001]}, ["hidden[0]", "between 1 and 1000", "1001"]),
    ({"hidden": [100000, 100000]}, ["hidden[0]", "1000"]),
    ({"hidden": [10] * 5}, ["hidden", "at most 4"]),
    ({"hidden": [1000, 1000, 1000]}, ["hidden", "2,797,010 parameters", "at most 2,000,000"]),
    ({"batch_size": 1001}, ["batch_size", "between 1 and 1000", "1001"]),
    ({"batch_size": 60000}, ["batch_size", "1000"]),
    ({"epochs": 101}, ["epochs", "between 1 and 100"]),
    ({"train_limit": 60001}, ["train_limit", "60000"]),
])
def test_training_requests_are_bounded(client, body, words):
    r = client.post("/api/train", json={**QUICK_JOB, **body})
    assert r.status_code == 400
    message = r.get_json()["error"]
    assert all(w in message for w in words), message
    assert client.get("/api/train").get_json()["job"] is None


def test_the_largest_training_request_allowed_fits_the_bounds():
    spec = spec_from_json({"hidden": [1000, 1000], "batch_size": 1000, "epochs": 100}, 20)
    assert spec.config.hidden == (1000, 1000) and spec.config.batch_size == 1000
    net_parameters = 784 * 1000 + 1000 + 1000 * 1000 + 1000 + 1000 * 10 + 10
    assert net_parameters <= MAX_PARAMETERS
    spec_from_json({"hidden": [800, 800, 800]}, 20)  # 1.9 million: still allowed


# ---------------------------------------------------------------------------
# values are checked by type (issue 7): key, value and expected type in the message

@pytest.mark.parametrize("path, body, words", [
    ("/api/train", {"hidden": [15.7]}, ["hidden[0]", "15.7", "integer"]),
    ("/api/train", {"hidden": "15.7"}, ["hidden", '"15.7"', "integers"]),
    ("/api/train", {"hidden": "١٥"}, ["hidden", "integers"]),
    ("/api/train", {"hidden": [True]}, ["hidden[0]", "true (a boolean)", "integer"]),
    ("/api/train", {"epochs": True}, ["epochs", "true (a boolean)", "integer"]),
    ("/api/train", {"epochs": 5.0}, ["epochs", "5.0", "integer"]),
    ("/api/train", {"epochs": "5"}, ["epochs", '"5" (a string)', "integer"]),
    ("/api/train", {"seed": 1e3}, ["seed", "1000.0", "integer"]),
    ("/api/train", {"train_limit": 500.0}, ["train_limit", "500.0", "integer"]),
    ("/api/train", {"learning_rate": "0.1"}, ["learning_rate", '"0.1" (a string)', "number"]),
    ("/api/train", {"dropout": False}, ["dropout", "false (a boolean)", "number"]),
    ("/api/train", {"activation": True}, ["activation", "true (a boolean)", "one of"]),
    ("/api/train", {"optimizer": ["adam"]}, ["optimizer", "a list of 1", "one of"]),
    ("/api/descent", {"surface": "bowl", "start": [0, 0], "learning_rate": 0.1, "steps": 2.0},
     ["steps", "2.0", "integer"]),
    ("/api/predict", {"width": True, "pixels": [0.5]}, ["width", "true (a boolean)", "integer"]),
])
def test_values_are_checked_by_type(client, path, body, words):
    r = client.post(path, json={**QUICK_JOB, **body} if path == "/api/train" else body)
    assert r.status_code == 400
    message = r.get_json()["error"]
    assert all(w in message for w in words), message
    assert client.get("/api/train").get_json()["job"] is None


# ---------------------------------------------------------------------------
# numbers Python cannot turn into an int or a float are a 400 (issue 14: they were 500s)

HUGE_INT = "9" * 5000  # past Python's 4,300-digit limit on int("..."): HUGE below
WIDE_INT = "9" * 400  # an int, but float() of it overflows: WIDE below


@pytest.mark.parametrize("path, text, words", [
    ("/api/predict", '{"width": HUGE, "pixels": [0.5]}', ["5,000 digits", "100"]),
    ("/api/predict", '{"width": 1, "height": 1, "pixels": [WIDE]}', ["400 digits"]),
    ("/api/predict", '{"width": 1, "height": 1, "pixels": [HUGE]}', ["5,000 digits"]),
    ("/api/train", '{"epochs": HUGE}', ["5,000 digits"]),
    ("/api/train", '{"seed": -HUGE}', ["5,000 digits"]),
    ("/api/train", '{"learning_rate": WIDE}', ["400 digits"]),
    ("/api/train", '{"l2": WIDE}', ["400 digits"]),
    ("/api/train", '{"hidden": "HUGE"}', ["hidden[0]", "between 1 and 1000", "5,000 digits"]),
    ("/api/train", '{"hidden": "15,WIDE"}', ["hidden[1]", "400 digits"]),
    ("/api/models/select", '{"id": HUGE}', ["5,000 digits"]),
    ("/api/models/select", '{"id": WIDE}', ["400 digits"]),
    ("/api/descent", '{"surface": "bowl", "start": [WIDE, 0], "learning_rate": 0.1}',
     ["400 digits"]),
    ("/api/perceptron", '{"threshold": WIDE}', ["400 digits"]),
    ("/api/perceptron", '{"threshold": NaN}', ["NaN", "not a JSON number"]),
    ("/api/train", '{"learning_rate": -Infinity}', ["-Infinity", "not a JSON number"]),
    ("/api/descent", '{"surface": "bowl", "start": [0, 0], "learning_rate": 1e400}',
     ["learning_rate", "finite", "inf"]),
])
def test_numbers_too_large_for_python_are_a_400(client, path, text, words):
    text = text.replace("HUGE", HUGE_INT).replace("WIDE", WIDE_INT)
    r = client.post(path, data=text, content_type="application/json")
    assert r.status_code == 400, (r.status_code, r.data[:200])
    message = r.get_json()["error"]
    assert all(w in message for w in words) and "\n" not in message and len(message) < 200, \
        message
    assert client.get("/api/train").get_json()["job"] is None


@pytest.mark.parametrize("path, words", [
    ("/api/mistakes?limit=" + HUGE_INT, ["limit", "between 1 and 200", "5,000 digits"]),
    ("/api/network?max_units=٢٠", ["max_units", "integer", '"٢٠"']),  # int() reads it; we do not
    ("/api/descent/surfaces?grid=1_0", ["grid", "integer"]),
    ("/api/train/events?after=" + HUGE_INT, ["Last-Event-ID", "5,000 digits"]),
    ("/api/train/events?after=-1", ["Last-Event-ID", "between 0"]),
])
def test_integers_in_query_strings_are_decimal_digits_in_range(client, path, words):
    r = client.get(path)
    assert r.status_code == 400
    message = r.get_json()["error"]
    assert all(w in message for w in words) and len(message) < 200, message


def test_the_checks_hold_for_python_callers_too():
    """spec_from_json gets Python values: an int too large for float or for str is a 400."""
    for body, words in [({"learning_rate": 10**400}, ["learning_rate", "about 401 digits"]),
                        ({"epochs": 10**5000}, ["epochs", "about 5,001 digits"])]:
        with pytest.raises(ApiError) as caught:
            spec_from_json(body, 20)
        assert all(w in caught.value.message for w in words), caught.value.message


# ---------------------------------------------------------------------------
# a blank drawing: one rule with `steepest predict` (issue 7)

def cli_predict(model_path, image: np.ndarray, tmp_path):
    from click.testing import CliRunner
    from PIL import Image

    from steepest.cli import main

    png = tmp_path / "drawing.png"
    Image.fromarray(np.round(image * 255).astype(np.uint8)).save(png)
    return CliRunner().invoke(main, ["predict", str(model_path), str(png)])


def dot() -> np.ndarray:
    img = np.ones((28, 28), np.float32)
    img[13:15, 13:15] = 0  # one small dark dot on white: ink, however little
    return img


@pytest.mark.parametrize("name, image, blank", [
    ("black", np.zeros((28, 28), np.float32), True),
    ("white", np.ones((28, 28), np.float32), True),
    ("grey", np.full((28, 28), 0.5, np.float32), True),
    ("big black canvas", np.zeros((112, 112), np.float32), True),
    ("dot", dot(), False),
])
def test_a_blank_drawing_is_refused_like_the_cli_refuses_it(client, model_path, tmp_path,
                                                            name, image, blank):
    h, w = image.shape
    r = client.post("/api/predict", json={"width": w, "height": h,
                                          "pixels": image.ravel().tolist()})
    cli = cli_predict(model_path, image, tmp_path)
    if blank:
        assert r.status_code == 422 and r.get_json() == {
            "error": "no ink: the drawing is blank; draw a digit"}
        assert cli.exit_code == 1 and "no ink" in cli.output
    else:
        assert r.status_code == 200 and cli.exit_code == 0, cli.output
        assert f": {r.get_json()['digit']} (" in cli.output  # the same answer, too


def test_the_pages_blank_canvas_is_refused(client):
    """What the page would send for an untouched 112x112 canvas: white bytes, base64."""
    blank = base64.b64encode(bytes([255]) * 112 * 112).decode()
    r = client.post("/api/predict", json={"width": 112, "height": 112, "pixels_base64": blank})
    assert r.status_code == 422 and "draw a digit" in r.get_json()["error"]


# ---------------------------------------------------------------------------
# messages: "1 epoch", not "1 epochs" (issue 7)

def test_a_one_epoch_job_says_one_epoch(client):
    assert client.post("/api/train", json={**QUICK_JOB, "epochs": 1}).status_code == 202
    refused = client.post("/api/train", json=QUICK_JOB).get_json()["error"]
    assert "of 1 epoch done" in refused and "epochs" not in refused
    events = events_of(client.get("/api/train/events"))
    assert events[-1]["type"] == "done" and events[-1]["message"] == "trained 1 epoch"


# ---------------------------------------------------------------------------
# `steepest serve` on the terminal (issue 7)

def serve_cli(args: list[str], until: str, *, prelude: str = "", timeout: float = 120):
    """Run ``steepest serve ARGS`` until a line of its output contains ``until``; stop it.

    ``prelude`` is Python run first in that process.  Returns ``(stdout, stderr)``
    after the server stopped on SIGTERM (as Ctrl+C stops it).
    """
    code = f"import sys\n{prelude}\nfrom steepest.cli import main\nmain(['serve', *sys.argv[1:]])"
    src = str(Path(steepest.__file__).parents[1])
    env = {**os.environ, "PYTHONUNBUFFERED": "1",
           "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen([sys.executable, "-c", code, *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout] + [lines.put(None)],
                     daemon=True).start()
    out = []
    try:
        deadline = time.monotonic() + timeout
        while not any(until in line for line in out):
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"serve ended early: {''.join(out)}{proc.stderr.read()}"
            out.append(line)
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    while (line := lines.get(timeout=10)) is not None:
        out.append(line)
    return "".join(out), proc.stderr.read()


@pytest.mark.parametrize("host, warns", [("0.0.0.0", True), ("127.0.0.1", False),
                                         ("localhost", False)])
def test_serve_on_a_public_address_warns_that_anyone_can_use_it(model_path, host, warns):
    out, err = serve_cli([str(model_path), "--host", host, "--port", "0"], "steepest web lab:")
    assert "no authentication" in err if warns else "warning" not in err, err
    if warns:
        assert "anyone who can reach this address can use it" in err
        assert err.startswith("steepest: warning: listening on 0.0.0.0")


STARTUP_PRELUDE = """
import functools
import steepest.web.app as lab
from steepest.training import TrainConfig
from steepest.web.trainer import JobSpec
spec = JobSpec(TrainConfig(epochs=1, batch_size=50), train_limit=1000)
lab.create_app = functools.partial(lab.create_app, startup_spec=spec)
"""


def test_serve_without_a_model_says_when_its_first_model_is_ready():
    """The start-up training (made small here) ends with its accuracy and the model's place."""
    out, err = serve_cli(["--port", "0"], "start-up training", prelude=STARTUP_PRELUDE)
    url = out.splitlines()[0].split()[3]
    assert url.startswith("http://127.0.0.1:") and url.endswith("/"), out
    report = out[out.index("start-up training"):]
    assert report.startswith("start-up training finished: trained 1 epoch in "), out
    assert "serving 784 -> 15 sigmoid -> 10 softmax (11,935 parameters)" in report
    accuracy = float(report.split("test accuracy ")[1].split(" %")[0])
    assert 10 < accuracy <= 100
    assert f"not saved to a file (it lives in this server's memory): download it from " \
           f"{url}api/model/download" in report
    assert "Traceback" not in err


def test_serve_reports_a_failed_start_up_training(capsys):
    from steepest.cli.serve import _report_startup

    job = {"startup": True, "message": "MemoryError: ", "seconds": 3.0}
    _report_startup(job, {"type": "error", "message": "MemoryError: "}, {})
    assert capsys.readouterr().out == ("start-up training stopped: MemoryError: ; no model is "
                                       "served (train one on the page's Train tab)\n")
    _report_startup({**job, "startup": False}, {"type": "done", "message": "x"}, {})
    _report_startup({**job, "message": "the server is shutting down"},
                    {"type": "cancelled", "message": "the server is shutting down"}, {})
    assert capsys.readouterr().out == ""  # page jobs report on the page; Ctrl+C needs no report


def test_serve_without_flask_says_how_to_install_it_from_a_checkout():
    code = ("import sys; sys.modules['flask'] = None\n"
            "from steepest.cli import main\nmain(['serve'])")
    src = str(Path(steepest.__file__).parents[1])
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": src})
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("steepest: error: the web lab needs Flask")
    # the command that adds the extra to *this* installation (an editable checkout's
    # names its directory: see test_cli.py's install_hint tests for both kinds)
    from steepest.cli.app import install_hint

    assert r.stderr.rstrip().endswith(install_hint("web"))
    assert len(r.stderr.splitlines()) == 1
