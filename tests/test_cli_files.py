"""The command line on files from outside: not a model, damaged models and checkpoints, huge images.

Each runs a real process, so a traceback or a second line on stderr would show.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from craft import (
    npy_bytes,
    npy_with_header,
    npz_bytes,
    npz_members,
    png_header,
    white_png,
    zip_size_fields,
)
from steepest.checkpoint import save_checkpoint
from steepest.modelfile import save_model
from steepest.network import Network
from steepest.training import TrainConfig, TrainState


def steepest(*args, cwd):
    """A real process, in ``cwd``: a command that wrongly succeeded would write there."""
    return subprocess.run([sys.executable, "-m", "steepest", *map(str, args)],
                          capture_output=True, text=True, timeout=120, cwd=cwd)


def one_line_error(result) -> str:
    """The one line a failed command prints; fails unless there is exactly that."""
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("steepest: error: "), result.stderr
    return lines[0].removeprefix("steepest: error: ")


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """Files that are not models: a PNG, a history.json, a text file."""
    d = tmp_path_factory.mktemp("outside")
    Image.new("L", (28, 28), 255).save(d / "digit.png")
    (d / "history.json").write_text(json.dumps({"meta": {}, "epochs": []}))
    (d / "notes.txt").write_text("hello\n")
    return d


@pytest.mark.parametrize("name", ["digit.png", "history.json", "notes.txt"])
@pytest.mark.parametrize("command", [["predict", "{m}", "{png}"], ["evaluate", "{m}"],
                                     ["serve", "{m}", "--port", "0"],
                                     ["plot", "weights", "{m}", "-o", "{out}"]])
def test_a_file_that_is_not_a_model_is_named_so(outside, tmp_path, name, command):
    args = [a.format(m=outside / name, png=outside / "digit.png", out=tmp_path / "w.png")
            for a in command]
    message = one_line_error(steepest(*args, cwd=tmp_path))
    assert message == f"{outside / name} is not a steepest model file (.npz)"
    assert not (tmp_path / "w.png").exists()


def test_a_file_that_is_not_a_checkpoint_is_named_so(outside, tmp_path):
    message = one_line_error(steepest("train", "--resume", outside / "digit.png", cwd=tmp_path))
    assert message == f"{outside / 'digit.png'} is not a steepest checkpoint"


def damage(data: bytes, how: str) -> bytes:
    """The damage that reached users as tracebacks, and some more."""
    members = npz_members(data)
    if how == "zip-version-15.5":  # zipfile's NotImplementedError
        out = bytearray(data)
        central = out.index(b"PK\x01\x02")
        out[central + 6 : central + 8] = (155).to_bytes(2, "little")
        return bytes(out)
    if how == "npy-header":  # NumPy's tokenize.TokenError
        members["W0"] = npy_with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3,")
    elif how == "huge-array":  # 10 GB declared in a few bytes
        members["W0"] = npy_with_header(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (50000, 50000), }", bytes(16))
    elif how == "objects":
        members["W0"] = npy_bytes(np.array([None, {"a": 1}], dtype=object))
    elif how == "int-weights":
        members["W0"] = npy_bytes(np.zeros(np.load(io.BytesIO(members["W0"])).shape,
                                           np.int64))
    elif how == "truncated":
        return data[: len(data) // 2]
    elif how == "flipped":
        out = bytearray(data)
        out[len(out) // 3] ^= 0x55
        return bytes(out)
    return npz_bytes(members)


DAMAGE = ["zip-version-15.5", "npy-header", "huge-array", "objects", "int-weights", "truncated",
          "flipped"]


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    d = tmp_path_factory.mktemp("originals")
    save_model(d / "model.npz", Network((784, 5, 10), rng=np.random.default_rng(0)))
    save_checkpoint(d / "checkpoint.npz", TrainState.new(TrainConfig(hidden=(5,)), 784, 10))
    return d


@pytest.mark.parametrize("how", DAMAGE)
def test_evaluate_a_damaged_model_prints_one_line(originals, tmp_path, how):
    bad = tmp_path / "model.npz"
    bad.write_bytes(damage((originals / "model.npz").read_bytes(), how))
    message = one_line_error(steepest("evaluate", bad, cwd=tmp_path))
    assert message.startswith(f"{bad}: ") and "pickle" not in message


@pytest.mark.parametrize("how", DAMAGE)
def test_resume_from_a_damaged_checkpoint_prints_one_line(originals, tmp_path, how):
    bad = tmp_path / "checkpoint.npz"
    bad.write_bytes(damage((originals / "checkpoint.npz").read_bytes(), how))
    message = one_line_error(steepest("train", "--resume", bad, cwd=tmp_path))
    assert message.startswith(f"{bad}: ") and "pickle" not in message
    assert [p.name for p in tmp_path.iterdir()] == ["checkpoint.npz"]  # nothing trained


@pytest.mark.parametrize(("name", "content"), [
    ("bomb.png", lambda: png_header(15000, 15000)),  # Pillow's DecompressionBombError
    ("white.png", lambda: white_png(10000, 9500)),  # took 1.16 GB and 4.5 s to call blank
])
def test_predict_refuses_a_huge_image_in_one_line(originals, tmp_path, name, content):
    (tmp_path / name).write_bytes(content())
    message = one_line_error(steepest("predict", originals / "model.npz", tmp_path / name,
                                      cwd=tmp_path))
    assert message.startswith(f"{tmp_path / name}: image too large; steepest reads images up "
                              "to 4096x4096 pixels")


#: Under this address-space limit the CLI starts, reads models and writes ONNX files;
#: a reader that believes a size field of 4 GiB does not get its 1 GB.
ADDRESS_SPACE = 768 << 20


def steepest_with_memory_limit(*args, cwd):
    """``steepest(*args)`` in a process whose address space is limited to ADDRESS_SPACE."""
    code = (f"import resource, sys; resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE},) * 2)"
            "; from steepest.cli import main; main(sys.argv[1:])")
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("command", [["export", "{m}", "-o", "{out}"], ["evaluate", "{m}"],
                                     ["train", "--resume", "{m}"]])
def test_a_2_kb_file_claiming_4_gib_is_damaged_not_out_of_memory(tmp_path, command):
    # It said "out of memory; try a smaller batch or network" (the reader asked for 1 GB).
    path = tmp_path / "claims.npz"
    if command[0] == "train":
        state = TrainState.new(TrainConfig(hidden=(3,)), 4, 2)
        save_checkpoint(path, state)
    else:
        save_model(path, Network((4, 3, 2), rng=np.random.default_rng(0)))
    data = path.read_bytes()
    (field,) = [f for f in zip_size_fields(data)
                if f.what == "meta.npy directory entry: compressed size"]
    path.write_bytes(field.set(data, 0xFFFFFFF0))
    args = [a.format(m=path, out=tmp_path / "claims.onnx") for a in command]
    message = one_line_error(steepest_with_memory_limit(*args, cwd=tmp_path))
    kind = "checkpoint" if command[0] == "train" else "model file (.npz)"
    assert message.startswith(f"{path}: not a readable steepest {kind}: meta.npy: stored, "
                              "yet its sizes differ (4,294,967,280 and ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["claims.npz"]
