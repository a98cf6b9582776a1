"""ONNX export: checked by onnx, run by onnxruntime, and equal to steepest's own forward pass."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from steepest import __version__
from steepest.modelfile import load_model, save_model
from steepest.network import Network
from steepest.training import TrainConfig, run
from test_cli import assert_one_line_error, run_process

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
steepest_onnx = pytest.importorskip("steepest.onnx")

ONNX_PAGE = Path(__file__).resolve().parents[1] / "docs" / "guide" / "onnx.md"

#: The networks whose parity with onnxruntime is checked on all 10,000 MNIST test images:
#: each hidden activation, and two hidden layers.  Each trains briefly on 10,000 images.
NETWORKS = {
    "sigmoid": TrainConfig(hidden=(15,), activation="sigmoid", init="scaled"),
    "tanh": TrainConfig(hidden=(15,), activation="tanh", init="xavier"),
    "relu": TrainConfig(hidden=(15,), activation="relu", init="he"),
    "softplus": TrainConfig(hidden=(15,), activation="softplus", init="he"),
    "identity": TrainConfig(hidden=(15,), activation="identity", init="xavier"),
    "two-hidden-relu": TrainConfig(hidden=(32, 16), activation="relu", init="he"),
}
BRIEF = {"epochs": 2, "batch_size": 32, "optimizer": "adam", "learning_rate": 2e-3}


def session(model) -> ort.InferenceSession:
    """An onnxruntime CPU session for a ModelProto or a file (one thread: the machine is shared)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    source = model.SerializeToString() if isinstance(model, onnx.ModelProto) else str(model)
    return ort.InferenceSession(source, options, providers=["CPUExecutionProvider"])


def pixels(images: np.ndarray) -> np.ndarray:
    """The documented input: uint8 images -> float32 (N, 784), pixels / 255."""
    return images.reshape(len(images), -1).astype(np.float32) / 255


def parity(network: Network, images: np.ndarray) -> tuple[int, float]:
    """(images whose argmax differs, largest |probability difference|): onnxruntime vs steepest."""
    ours = network.predict_proba(images)  # steepest's scaling of uint8 images
    theirs = session(steepest_onnx.to_onnx(network)).run(None, {"x": pixels(images)})[0]
    assert theirs.shape == ours.shape and theirs.dtype == np.float32
    mismatched = int(np.sum(theirs.argmax(axis=1) != ours.argmax(axis=1)))
    return mismatched, float(np.abs(theirs - ours).max())


@pytest.fixture(scope="module", params=list(NETWORKS))
def trained(request, mnist_data):
    (x, y), _ = mnist_data
    result = run(NETWORKS[request.param].replace(**BRIEF), ((x[:10000], y[:10000]), None))
    return request.param, result.network


def test_the_exported_graph_passes_the_onnx_checker_with_standard_operators(trained):
    name, net = trained
    model = steepest_onnx.to_onnx(net)
    onnx.checker.check_model(model, full_check=True)
    ops = {node.op_type for node in model.graph.node}
    assert ops <= {"MatMul", "Add", "Sigmoid", "Relu", "Tanh", "Softplus", "Softmax"}
    assert all(node.domain == "" for node in model.graph.node)  # the standard ONNX domain
    assert [(o.domain, o.version) for o in model.opset_import] == [("", steepest_onnx.OPSET)]
    hidden_ops = {"identity": set(), "two-hidden-relu": {"Relu"}}.get(name, {name.capitalize()})
    assert ops - {"MatMul", "Add", "Softmax"} == hidden_ops
    (x,), (o,) = model.graph.input, model.graph.output
    assert x.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in x.type.tensor_type.shape.dim] == ["N", 784]
    assert [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim] == ["N", 10]


def test_onnxruntime_matches_steepest_on_all_10000_test_images(trained, mnist_data):
    name, net = trained
    _, (x_test, y_test) = mnist_data
    assert net.accuracy(x_test, y_test) > 0.85, "trained briefly, but trained"
    mismatched, largest = parity(net, x_test)
    assert mismatched == 0, f"{name}: {mismatched} of 10,000 argmaxes differ"
    assert largest < 1e-5, f"{name}: largest probability difference {largest:.2e}"


def test_the_batch_dimension_is_dynamic_one_image_and_ten_thousand(trained, mnist_data):
    _, net = trained
    _, (x_test, _) = mnist_data
    runner = session(steepest_onnx.to_onnx(net))  # one session, two batch sizes
    for images in (x_test[:1], x_test):
        probs = runner.run(None, {"x": pixels(images)})[0]
        assert probs.shape == (len(images), 10)
        np.testing.assert_allclose(probs.sum(axis=1), 1, atol=1e-5)
        np.testing.assert_allclose(probs, net.predict_proba(images), atol=1e-5, rtol=0)


def test_a_network_of_another_size_exports_3_features_4_classes(rng):
    """Trained on a small tabular problem: four Gaussian blobs in three dimensions."""
    centres = rng.normal(0, 3, (4, 3)).astype(np.float32)
    y = rng.integers(0, 4, 2000)
    x = centres[y] + rng.normal(0, 1, (2000, 3)).astype(np.float32)
    config = TrainConfig(hidden=(8,), activation="tanh", init="xavier", **BRIEF)
    net = run(config, ((x[:1500], y[:1500]), (x[1500:], y[1500:]))).network
    assert net.sizes == (3, 8, 4) and net.accuracy(x[1500:], y[1500:]) > 0.6
    # and without a hidden layer: softmax regression, one MatMul, Add, Softmax
    linear = Network((3, 4), rng=np.random.default_rng(1))
    for network in (net, linear):
        model = steepest_onnx.to_onnx(network)
        onnx.checker.check_model(model, full_check=True)
        probs = session(model).run(None, {"x": x})[0]
        assert probs.shape == (2000, 4)
        np.testing.assert_allclose(probs, network.predict_proba(x), atol=1e-6, rtol=0)
        assert (probs.argmax(axis=1) == network.predict(x)).all()


def test_a_float64_network_exports_with_float32_weights(mnist_data):
    net = Network((784, 15, 10), rng=np.random.default_rng(0), dtype=np.float64)
    model = steepest_onnx.to_onnx(net, {"seed": np.int64(3), "sizes": np.array([784, 15, 10])})
    assert {t.data_type for t in model.graph.initializer} == {onnx.TensorProto.FLOAT}
    props = {p.key: p.value for p in model.metadata_props}
    assert (props["seed"], props["sizes"]) == ("3", "[784, 15, 10]")  # NumPy values as JSON
    _, (x_test, _) = mnist_data
    probs = session(model).run(None, {"x": pixels(x_test[:500])})[0]
    np.testing.assert_allclose(probs, net.predict_proba(x_test[:500]), atol=1e-5, rtol=0)


def expose(model, tensor: str):
    """The same model with an inner tensor as a second output, to compare layer by layer."""
    model = onnx.ModelProto.FromString(model.SerializeToString())
    model.graph.output.append(onnx.helper.make_tensor_value_info(tensor, onnx.TensorProto.FLOAT,
                                                                 None))
    return model


@pytest.mark.parametrize("activation", ["softplus", "sigmoid", "tanh", "relu", "identity"])
def test_hidden_activations_agree_at_large_pre_activations_in_float32(activation):
    """z from -1e4 to 1e4: softplus must neither overflow (e^z) nor lose tiny values.

    ONNX defines Softplus as log(1 + e^z), which overflows float32 past z = 88
    when computed as written; steepest's is log-add-exp.  The hidden units here
    are z1 = (x, -x), so every input probes the activation at +x and -x.
    """
    net = Network((1, 2, 2), activation=activation, rng=np.random.default_rng(0))
    net.set_weights([np.array([[1, -1]], np.float32), np.zeros(2, np.float32),
                     np.eye(2, dtype=np.float32) * 1e-3, np.zeros(2, np.float32)])
    x = np.array([0, 1e-3, 1, 5, 18, 20, 30, 88, 89, 100, 1e3, 1e4], np.float32)[:, None]
    hidden = "z1" if activation == "identity" else "h1"
    probs, h = session(expose(steepest_onnx.to_onnx(net), hidden)).run(None, {"x": x})
    ours = net.forward(x)
    h_ours = net.layers[0].a
    assert np.isfinite(h).all() and np.isfinite(probs).all()
    if activation == "softplus":  # relative accuracy everywhere, down to softplus(-1e4) = 0
        np.testing.assert_allclose(h, h_ours, rtol=1e-6, atol=0)
        assert h[-1, 0] == 1e4 and h[-1, 1] == 0 and 0 < h[7, 1] < 1e-38  # softplus(-88)
    else:  # onnxruntime's sigmoid rounds below e^-30 to 0: absolute accuracy there
        np.testing.assert_allclose(h, h_ours, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(probs, ours, rtol=0, atol=1e-6)


def test_metadata_carries_version_config_and_data_checksums(tmp_path, small_mnist_dir):
    model_file = tmp_path / "model.npz"
    r = run_process("train", "--data", small_mnist_dir, "--epochs", 1, "-o", model_file)
    assert r.returncode == 0, r.stderr
    _, info = load_model(model_file)
    r = run_process("export", model_file)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.startswith(f"wrote {tmp_path / 'model.onnx'}: 784 -> 15 sigmoid -> 10 softmax")
    model = onnx.load(tmp_path / "model.onnx")
    props = {p.key: p.value for p in model.metadata_props}
    assert props["steepest_version"] == __version__ == model.producer_version
    assert json.loads(props["config"]) == info["config"]
    assert json.loads(props["data_sha256"]) == info["data_sha256"]
    assert set(info["data_sha256"]) == {"x_train", "y_train", "x_test", "y_test"}
    assert props["version"] == info["version"] and json.loads(props["result"]) == info["result"]
    assert "history" not in props  # per-epoch records stay in the model file
    assert "784 pixels of a 28x28 image, row by row, / 255" in props["input"]
    # what a user of onnxruntime alone sees
    assert session(tmp_path / "model.onnx").get_modelmeta().custom_metadata_map == props


def saved_for_export(path, kind: str) -> int:
    """Write a model file of ``kind`` to ``path``; return its number of inputs."""
    rng = np.random.default_rng(0)
    if kind == "sklearn":  # a table: 30 features, as SteepestClassifier.save writes it
        from steepest.sklearn import SteepestClassifier

        x, y = rng.normal(size=(60, 30)), np.arange(60) % 2
        SteepestClassifier(hidden=(4,), epochs=1, random_state=0).fit(x, y).save(path)
        return 30
    sizes = {"mnist": (784, 15, 10), "blobs": (3, 8, 4)}[kind]
    save_model(path, Network(sizes, rng=rng), {"note": kind})
    return sizes[0]


@pytest.mark.parametrize(("kind", "description"), [
    ("mnist", "the 784 pixels of a 28x28 image, row by row, / 255 (0 = background, 1 = ink)"),
    ("sklearn", "30 features, as given to SteepestClassifier.fit"),
    ("blobs", "3 features, as the network was trained on them"),
])
def test_export_says_what_the_input_of_this_model_is(tmp_path, kind, description):
    # It said "(images: pixels / 255)" for every model, of images or not.
    n_in = saved_for_export(tmp_path / "m.npz", kind)
    r = run_process("export", tmp_path / "m.npz")
    assert r.returncode == 0 and r.stderr == "", r.stderr
    assert r.stdout.splitlines()[1] == f"  input  x: float32 (N, {n_in}): {description}"
    if kind != "mnist":
        assert "pixel" not in r.stdout and "255" not in r.stdout
    model = onnx.load(tmp_path / "m.onnx")
    props = {p.key: p.value for p in model.metadata_props}
    assert props["input"] == f"x: float32 (N, {n_in}): {description}"


def test_save_onnx_writes_a_file_onnxruntime_loads(tmp_path, mnist_data):
    net = Network((784, 15, 10), rng=np.random.default_rng(0))
    steepest_onnx.save_onnx(tmp_path / "m.onnx", net, {"note": "saved"})
    _, (x_test, _) = mnist_data
    probs = session(tmp_path / "m.onnx").run(["probabilities"], {"x": pixels(x_test[:50])})[0]
    np.testing.assert_allclose(probs, net.predict_proba(x_test[:50]), atol=1e-5, rtol=0)
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]  # no temporary file left


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "model.npz"
    save_model(path, Network((784, 15, 10), rng=np.random.default_rng(0)), {"note": "test"})
    return path


@pytest.mark.parametrize("content, fragment", [
    (b"not a model at all", "is not a steepest model file (.npz)"),
    (b"PK\x03\x04 a truncated zip", "damaged or truncated zip archive"),
    (None, "no such file"),
])
def test_exporting_a_file_that_is_not_a_model_is_a_one_line_error(tmp_path, content, fragment):
    path = tmp_path / "model.npz"
    if content is not None:
        path.write_bytes(content)
    r = run_process("export", path)
    assert r.returncode == 1
    assert_one_line_error(r, "steepest: error:", fragment)
    assert not (tmp_path / "model.onnx").exists()


def test_exporting_a_directory_or_a_non_steepest_npz_is_a_one_line_error(tmp_path):
    np.savez(tmp_path / "arrays.npz", a=np.zeros(3))
    for path, fragment in ((tmp_path, "is a directory"),
                           (tmp_path / "arrays.npz", "no steepest metadata")):
        r = run_process("export", path, "-o", tmp_path / "out.onnx")
        assert r.returncode == 1
        assert_one_line_error(r, "steepest: error:", fragment)
    assert not (tmp_path / "out.onnx").exists()


@pytest.mark.parametrize("target, fragment", [
    ("/proc/steepest/model.onnx", "cannot write into /proc"),
    ("a-file/model.onnx", "cannot write into"),
    ("a-directory", "it is a directory"),
    ("model.npz", "is the model file itself"),  # would overwrite the model: refused
])
def test_exporting_to_an_unwritable_path_is_a_one_line_error(tmp_path, model_file, target,
                                                             fragment):
    (tmp_path / "a-file").write_text("a regular file")
    (tmp_path / "a-directory").mkdir()
    before = model_file.read_bytes()
    r = run_process("export", model_file, "-o", target, cwd=tmp_path)
    assert r.returncode == 1
    assert_one_line_error(r, "steepest: error:", fragment)
    assert model_file.read_bytes() == before  # the model is untouched
    assert not list(tmp_path.rglob("*.onnx"))


def test_export_without_the_onnx_package_says_how_to_install_it(model_file):
    hide_onnx = ("import sys; sys.modules['onnx'] = None; "  # makes `import onnx` fail
                 "from steepest.cli import main; main(['export', sys.argv[1]])")
    env = {k: v for k, v in os.environ.items() if k != "STEEPEST_DEBUG"}
    r = subprocess.run([sys.executable, "-c", hide_onnx, str(model_file)], capture_output=True,
                       text=True, timeout=120, env=env)
    assert r.returncode == 1
    assert_one_line_error(r, "steepest: error: steepest export needs the onnx package",
                          "pip install", "[onnx]")
    assert not model_file.with_suffix(".onnx").exists()


def page_lines() -> list[str]:
    """The Python block of the ONNX page (docs/guide/onnx.md; the README's "Use the model
    elsewhere" before the README was trimmed)."""
    (block,) = re.findall(r"```python\n(.*?)```", ONNX_PAGE.read_text(), re.DOTALL)
    return block.strip().splitlines()


def test_the_pages_lines_classify_an_image_with_onnxruntime(tmp_path, monkeypatch, capsys,
                                                             mnist_data):
    """The ONNX page's five lines, run as they are, on an exported model and a test digit."""
    (x, y), (x_test, _) = mnist_data
    net = run(NETWORKS["sigmoid"].replace(**BRIEF), ((x[:10000], y[:10000]), None)).network
    steepest_onnx.save_onnx(tmp_path / "model.onnx", net)
    from PIL import Image

    Image.fromarray(x_test[0]).save(tmp_path / "digit.png")  # a 28x28 MNIST digit: a 7
    lines = page_lines()
    assert len(lines) == 5, lines
    monkeypatch.chdir(tmp_path)
    exec("\n".join(lines), {})
    printed = capsys.readouterr().out.split()
    assert printed[0] == str(net.predict(x_test[:1])[0]) == "7"
