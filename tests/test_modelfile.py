import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest
from PIL import Image

from craft import npy_with_header, npz_bytes, npz_members, npz_with, peak_bytes_while, read_meta
from steepest.modelfile import (
    FORMAT_VERSION,
    ModelFileError,
    atomic_write_bytes,
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
    with pytest.raises(ModelFileError, match=r"m.npz: not a readable steepest model file \(.npz\): "
                       "damaged or truncated zip archive"):
        load_model(path)


@pytest.mark.parametrize("name", ["digit.png", "history.json", "notes.txt", "empty.npz"])
def test_a_file_that_is_not_a_model_is_named_so_and_pickle_is_never_suggested(tmp_path, name):
    path = tmp_path / name
    if name == "digit.png":
        Image.new("L", (28, 28), 255).save(path)
    elif name == "history.json":
        path.write_text(json.dumps({"meta": {}, "epochs": []}))
    else:
        path.write_text("hello" if name == "notes.txt" else "")
    with pytest.raises(ModelFileError) as err:
        load_model(path)
    assert str(err.value) == f"{path} is not a steepest model file (.npz)"


def test_object_arrays_are_refused_without_mentioning_pickle(tmp_path):
    path = tmp_path / "evil.npz"
    np.savez(path, meta=np.array([{"format": "steepest-model"}], dtype=object))
    with pytest.raises(ModelFileError, match="evil.npz: .*meta.npy holds Python objects") as err:
        load_model(path)
    assert "pickle" not in str(err.value)


def test_other_npz(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, x=np.arange(3))
    with pytest.raises(ModelFileError, match="other.npz is not a steepest model file"):
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



def test_loads_from_a_file_object(tmp_path, net):
    save_model(tmp_path / "m.npz", net)
    loaded, _ = load_model(io.BytesIO((tmp_path / "m.npz").read_bytes()))
    np.testing.assert_array_equal(loaded.get_weights()[0], net.get_weights()[0])


@pytest.fixture
def saved(tmp_path, net) -> bytes:
    save_model(tmp_path / "m.npz", net)
    return (tmp_path / "m.npz").read_bytes()


def test_unsupported_zip_version_is_a_model_file_error(tmp_path, saved):
    # np.load let zipfile's NotImplementedError("zip file version 15.5") through.
    data = bytearray(saved)
    central = data.index(b"PK\x01\x02")  # the first member's central directory entry
    data[central + 6 : central + 8] = (155).to_bytes(2, "little")  # "version needed": 15.5
    (tmp_path / "v.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match=r"v.npz: not a readable .*zip file version 15.5"):
        load_model(tmp_path / "v.npz")


def test_unparseable_npy_header_is_a_model_file_error(tmp_path, saved):
    # np.load's header parser let tokenize.TokenError through for this header.
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,"
    (tmp_path / "h.npz").write_bytes(npz_with(saved, W0=npy_with_header(header)))
    with pytest.raises(ModelFileError, match=r"h.npz: not a readable .*W0.npy"):
        load_model(tmp_path / "h.npz")


@pytest.mark.parametrize(("change", "message"), [
    # 16 bytes of data under a header that declares 50000 x 50000 float32 (10 GB).
    ({"W0": npy_with_header("{'descr': '<f4', 'fortran_order': False, "
                            "'shape': (50000, 50000), }", bytes(16))},
     r"W0.npy: header declares shape \(50000, 50000\)"),
    # 40 GB of weights, if a Network were built before the arrays are checked.
    ({"sizes": [100_000, 100_000, 10]}, r"W0: expected shape \(100000, 100000\)"),
])
def test_a_file_declaring_huge_arrays_allocates_nothing(tmp_path, saved, change, message):
    meta = read_meta(saved) | {k: v for k, v in change.items() if k == "sizes"}
    members = {k: v for k, v in change.items() if k != "sizes"}
    (tmp_path / "huge.npz").write_bytes(npz_with(saved, meta, **members))

    def load():
        with pytest.raises(ModelFileError, match=message):
            load_model(tmp_path / "huge.npz")

    assert peak_bytes_while(load) < 2_000_000


def test_compressed_members_are_refused(tmp_path, saved):
    # A deflated member can inflate to far more than the file: steepest writes none.
    (tmp_path / "z.npz").write_bytes(npz_bytes(npz_members(saved), zipfile.ZIP_DEFLATED))
    with pytest.raises(ModelFileError, match="meta.npy is compressed"):
        load_model(tmp_path / "z.npz")


def test_members_claiming_more_bytes_than_the_file_are_refused(tmp_path, saved):
    data = bytearray(saved)
    central = data.rindex(b"PK\x01\x02")  # the last member's central directory entry
    data[central + 20 : central + 28] = (2**31).to_bytes(4, "little") * 2  # its sizes: 2 GB
    (tmp_path / "c.npz").write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="claim more bytes than the file"):
        load_model(tmp_path / "c.npz")


@pytest.fixture
def umask():
    """``umask(value)`` sets the process umask for the test; the old one comes back after."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


def test_a_failed_write_names_the_path_not_the_temporary_file_and_leaves_nothing(tmp_path):
    # Every writer (steepest train, checkpoints, ONNX, sweeps' files) shares this one: the
    # error named the hidden temporary file (.m.npz.<hex>.tmp) that the user never chose.
    missing = tmp_path / "no such folder" / "m.npz"
    with pytest.raises(FileNotFoundError) as caught:
        atomic_write_bytes(missing, b"data")
    assert caught.value.errno == 2 and caught.value.filename == str(missing)
    assert str(caught.value) == f"[Errno 2] No such file or directory: '{missing}'"
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError) as caught:  # os.replace onto a folder
        atomic_write_bytes(tmp_path / "folder", b"data")
    assert str(caught.value) == f"[Errno 21] Is a directory: '{tmp_path / 'folder'}'"
    assert [p.name for p in tmp_path.iterdir()] == ["folder"]  # no temporary file left


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_follow_the_umask(tmp_path, net, umask, mask, mode):
    umask(mask)
    save_model(tmp_path / "new.npz", net)
    (tmp_path / "old.npz").write_bytes(b"")
    (tmp_path / "old.npz").chmod(0o600)
    save_model(tmp_path / "old.npz", net)  # replaced, so it gets the new file's mode
    atomic_write_bytes(tmp_path / "table.md", b"| a |\n")
    for name in ("new.npz", "old.npz", "table.md"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == mode, name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new.npz", "old.npz", "table.md"]
