import json
import zipfile

import numpy as np
import pytest

from steepest.modelfile import (
    FORMAT_VERSION,
    ModelFileError,
    load_model,
    save_arrays,
    save_model,
)
from steepest.network import Network


@pytest.fixture
def net():
    return Network((784, 15, 10), rng=np.random.default_rng(0))


def test_round_trip_is_exact(tmp_path, net):
    path = tmp_path / "m.npz"
    save_model(path, net, {"epochs": 3})
    loaded, info = load_model(path)
    assert loaded.sizes == net.sizes and loaded.activations == net.activations
    for a, b in zip(net.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
        assert b.dtype == np.float32
    assert info == {"epochs": 3}


def test_file_holds_no_pickled_objects(tmp_path, net):
    path = tmp_path / "m.npz"
    save_model(path, net)
    with np.load(path, allow_pickle=False) as npz:  # would raise if anything needed pickle
        assert sorted(npz.files) == ["W0", "W1", "b0", "b1", "meta"]
        assert json.loads(str(npz["meta"]))["version"] == FORMAT_VERSION


def test_truncated_file(tmp_path, net):
    path = tmp_path / "m.npz"
    save_model(path, net)
    path.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(ModelFileError, match=r"m.npz: not a readable steepest-model file"):
        load_model(path)


def test_not_a_model(tmp_path):
    path = tmp_path / "picture.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    with pytest.raises(ModelFileError, match="picture.png: not a readable steepest-model file"):
        load_model(path)


def test_other_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.arange(3))
    with pytest.raises(ModelFileError, match="other.npz: not a steepest-model file"):
        load_model(path)


def test_pickled_npz_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, meta=np.array([{"format": "steepest-model"}], dtype=object))
    with pytest.raises(ModelFileError, match="evil.npz"):
        load_model(path)


def test_newer_version(tmp_path, net):
    path = tmp_path / "future.npz"
    save_arrays(path, {"W0": np.zeros((2, 2))}, {"format": "steepest-model", "version": 99})
    with pytest.raises(ModelFileError, match="format version 99 is newer"):
        load_model(path)


def test_missing_weights(tmp_path):
    path = tmp_path / "partial.npz"
    meta = {"format": "steepest-model", "version": 1, "sizes": [4, 3, 2],
            "activations": ["sigmoid", "softmax"]}
    save_arrays(path, {"W0": np.zeros((4, 3), np.float32)}, meta)
    with pytest.raises(ModelFileError, match="damaged model file"):
        load_model(path)


def test_wrong_shapes_and_nan(tmp_path):
    meta = {"format": "steepest-model", "version": 1, "sizes": [4, 3, 2],
            "activations": ["sigmoid", "softmax"]}
    arrays = {"W0": np.zeros((4, 3)), "b0": np.zeros(3), "W1": np.zeros((3, 3)), "b1": np.zeros(2)}
    save_arrays(tmp_path / "shape.npz", arrays, meta)
    with pytest.raises(ModelFileError, match="expected shape"):
        load_model(tmp_path / "shape.npz")
    arrays["W1"] = np.full((3, 2), np.nan)
    save_arrays(tmp_path / "nan.npz", arrays, meta)
    with pytest.raises(ModelFileError, match="finite"):
        load_model(tmp_path / "nan.npz")


def test_atomic_write_keeps_old_file_on_failure(tmp_path, net, monkeypatch):
    path = tmp_path / "m.npz"
    save_model(path, net, {"v": 1})
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("steepest.modelfile.os.replace", boom)
    with pytest.raises(OSError):
        save_model(path, net, {"v": 2})
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]  # no temp file left behind
    assert zipfile.is_zipfile(path)
