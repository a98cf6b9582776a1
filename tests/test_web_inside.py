"""``POST /api/inside`` and :func:`steepest.web.inside.inside_view`: the Inside tab's numbers.

Each layer's most active units for one input, largest activation first, and the
parts of each unit's ``z``, checked against the network's own arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest

from lab_support import lab_app
from requires import WEB, require

require(WEB)  # the web lab needs Flask: skipped without it; under CI=true, failed

from steepest.activations import sigmoid  # noqa: E402
from steepest.modelfile import load_model, save_model  # noqa: E402
from steepest.network import Network  # noqa: E402
from steepest.web.inside import inside_view  # noqa: E402


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, mnist_data, save_lab_style_model):
    path = tmp_path_factory.mktemp("inside") / "small.npz"
    return save_lab_style_model(path, mnist_data, n_train=5000, hidden=(15,), seed=0)


@pytest.fixture
def client(model_path, tmp_path):
    with lab_app(model_path, work_dir=tmp_path) as app:
        yield app.test_client()


@pytest.fixture(scope="module")
def seven(mnist_data):
    """Test digit 0 (a 7) as the network sees it: 784 gray levels in [0, 1]."""
    return (mnist_data[1][0][0].astype(np.float64) / 255).ravel()


def test_units_come_most_active_first_with_their_z_and_activation(client, model_path, seven):
    net, _ = load_model(model_path)
    view = client.post("/api/inside", json={"input": seven.tolist()}).get_json()
    hidden, out = view["layers"]
    z = seven @ net.layers[0].W.value + net.layers[0].b.value
    assert hidden["shown"] == np.argsort(-z, kind="stable").tolist()  # all 15, most active first
    np.testing.assert_allclose(hidden["z"], z[hidden["shown"]], atol=1e-3)
    np.testing.assert_allclose(hidden["a"], sigmoid(z[hidden["shown"]]), atol=1e-4)
    probs = net.predict_proba(seven.reshape(1, -1))[0]
    assert out["shown"][0] == view["digit"] == int(probs.argmax()) == 7
    np.testing.assert_allclose(out["a"], probs[out["shown"]], atol=1e-4)
    assert list(out["a"]) == sorted(out["a"], reverse=True)
    assert view["model_version"] == 1 and view["sizes"] == [784, 15, 10]


def test_first_layer_z_is_ink_on_positive_and_negative_weights_plus_bias(client, model_path,
                                                                         seven):
    net, _ = load_model(model_path)
    hidden = client.post("/api/inside", json={"input": seven.tolist()}).get_json()["layers"][0]
    j = hidden["shown"][0]
    np.testing.assert_allclose(hidden["weights"][0], net.layers[0].W.value[:, j], atol=1e-4)
    assert hidden["image_shape"] == [28, 28]
    (up, down), w = hidden["ink"][0], net.layers[0].W.value[:, j]
    assert up == pytest.approx(seven[w > 0] @ w[w > 0], abs=1e-3) and up >= 0
    assert down == pytest.approx(seven[w < 0] @ w[w < 0], abs=1e-3) and down <= 0
    assert up + down + hidden["bias"][0] == pytest.approx(hidden["z"][0], abs=1e-3)


def test_outputs_show_each_hidden_units_contribution_not_weight_images(client, model_path,
                                                                        seven):
    net, _ = load_model(model_path)
    hidden, out = client.post("/api/inside", json={"input": seven.tolist()}).get_json()["layers"]
    assert "weights" not in out
    a = sigmoid(seven @ net.layers[0].W.value + net.layers[0].b.value)
    W2 = net.layers[1].W.value
    k = out["shown"][0]
    expected = [a[j] * W2[j, k] for j in hidden["shown"]]  # in the hidden row's order
    np.testing.assert_allclose(out["contributions"][0], expected, atol=1e-3)
    assert out["rest"][0] == pytest.approx(0, abs=1e-3)  # every hidden unit is shown
    assert sum(expected) + out["bias"][0] == pytest.approx(out["z"][0], abs=1e-3)


def test_a_wide_layer_shows_its_top_units_and_sums_the_rest(tmp_path, seven):
    net = Network((784, 40, 30, 10), rng=np.random.default_rng(0))
    view = inside_view(net, seven, top=8)
    h1, h2, out = view["layers"]
    a1 = net.infer(seven.reshape(1, -1).astype(net.dtype))[0][0]
    assert h1["shown"] == np.argsort(-a1, kind="stable")[:8].tolist()
    assert np.shape(h1["weights"]) == (8, 784) and "contributions" not in h1
    assert np.shape(h2["contributions"]) == (8, 8) and "weights" not in h2
    assert (len(out["shown"]), np.shape(out["contributions"])) == (10, (10, 8))
    for v in (h2, out):  # every unit's z: shown contributions + the rest + bias
        total = np.sum(v["contributions"], axis=1) + v["rest"] + v["bias"]
        np.testing.assert_allclose(total, v["z"], atol=2e-3)
    path = tmp_path / "wide.npz"
    save_model(path, net)
    with lab_app(path, work_dir=tmp_path) as app:
        answer = app.test_client().post("/api/inside", json={"input": seven.tolist(), "top": 8})
        assert [len(v["shown"]) for v in answer.get_json()["layers"]] == [8, 8, 10]


@pytest.mark.parametrize(("body", "words"), [
    ({}, "input must be a list of 784 numbers, got null"),
    ({"input": [0.5] * 783}, "input must be a list of 784 numbers"),
    ({"input": [0.5] * 783 + [1.5]}, "input[783] must be in [0, 1], got 1.5"),
    ({"input": [0.5] * 783 + ["x"]}, "input[783] must be a number"),
    ({"input": [0.5] * 784, "top": 0}, "top must be between 1 and 256, got 0"),
    ({"input": [0.5] * 784, "pixels": []}, "unknown field(s) 'pixels'"),
])
def test_bad_requests_say_what_is_wrong(client, body, words):
    answer = client.post("/api/inside", json=body)
    assert answer.status_code == 400
    assert words in answer.get_json()["error"]


def test_without_hidden_layers_the_outputs_show_weight_images(seven):
    """784 -> 10: the outputs read the pixels, so their weights are images again."""
    net = Network((784, 10), rng=np.random.default_rng(1))
    (out,) = inside_view(net, seven)["layers"]
    assert out["output"] and len(out["shown"]) == 10 and np.shape(out["weights"]) == (10, 784)
    probs = net.predict_proba(seven.reshape(1, -1))[0]
    np.testing.assert_allclose(out["a"], np.sort(probs)[::-1], atol=1e-4)
    assert np.sum(out["ink"], axis=1) + out["bias"] == pytest.approx(out["z"], abs=1e-3)
