"""Fuzzing the readers of files that come from outside: models, checkpoints, IDX files.

Each example damages a real file -- byte flips, truncation, a zip size field set to a
hostile value, a member replaced
by an array of another dtype or shape (objects too), bytes flipped inside a
member's .npy header, a metadata value replaced by another JSON value -- and
reads it.  The reader must return something valid or raise its one error type
(ModelFileError, IDXError) with a one-line message; anything else, a traceback
in the CLI, fails.  Memory is checked too: no example may make the reader
allocate much more than the file holds.  (test_npzfile.py sets each of the zip's
size fields to hostile values; here one such field is one more kind of damage.)
"""

from __future__ import annotations

import gzip
import io
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import given as given_
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from craft import (
    LOAD_FIXED,
    LOAD_PER_BYTE,
    hostile_values,
    npy_bytes,
    npz_bytes,
    npz_members,
    outcome_and_peak,
    zip_size_fields,
)
from steepest.checkpoint import load_checkpoint, save_checkpoint
from steepest.datasets.idx import IDXError, read_idx, write_idx
from steepest.modelfile import ModelFileError, load_model, save_model
from steepest.training import EpochRecord, TrainConfig, TrainState, fit, run

FUZZ = settings(max_examples=150, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

# A warning from a reader (NumPy's casts, its header parser) would be a second line
# on the CLI's stderr: each is an error here.
pytestmark = [pytest.mark.filterwarnings("error::RuntimeWarning"),
              pytest.mark.filterwarnings("error::UserWarning")]


# ---------------------------------------------------------------------------
# Real files to damage


@pytest.fixture(scope="module")
def files(tmp_path_factory, mnist_data):
    """A small trained model, a checkpoint (Adam moments, best weights) and IDX files."""
    (x, y), (xt, yt) = mnist_data
    d = tmp_path_factory.mktemp("fuzz")
    data = ((x[:300], y[:300]), (xt[:50], yt[:50]))
    net, history = fit(TrainConfig(hidden=(6,), epochs=1, batch_size=50), data)
    save_model(d / "model.npz", net, {"history": [r.to_dict() for r in history]})
    cfg = TrainConfig(hidden=(5,), epochs=1, batch_size=50, optimizer="adam", validation=50)
    state = TrainState.new(cfg, 784, 10)
    run(cfg, data, state=state)
    save_checkpoint(d / "checkpoint.npz", state, {"output": "model.npz"})
    write_idx(d / "images", x[:4])
    write_idx(d / "labels.gz", y[:50])
    # Read each once: the first read imports what reading needs, which no file should pay.
    load_model(d / "model.npz"), load_checkpoint(d / "checkpoint.npz"), read_idx(d / "images")
    read_idx(d / "labels.gz")
    return Originals(d)


class Originals(dict):
    """The original files' bytes by name, and ``dir``; short to print in a failure report."""

    def __init__(self, directory):
        super().__init__({p.name: Damaged(p.read_bytes(), f"the original {p.name}")
                          for p in directory.iterdir()}, dir=directory)

    def __repr__(self) -> str:
        return f"<files in {self['dir']}>"


# ---------------------------------------------------------------------------
# Damage


class Damaged(bytes):
    """A file's bytes, printed as how it was damaged (not as 50 KB of bytes)."""

    def __new__(cls, data: bytes, how: str):
        obj = super().__new__(cls, data)
        obj.how = how
        return obj

    def __repr__(self) -> str:
        return f"<{len(self)} bytes: {self.how}>"


def flip_bytes(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    out = bytearray(data)
    for position, mask in flips:
        out[position % len(out)] ^= mask
    return bytes(out)


def positions(size: int):
    """Positions spread evenly over ``range(size)`` (Hypothesis's own integers and floats
    favour small values, which would mostly hit a file's first bytes)."""
    return st.randoms(use_true_random=False).map(lambda rnd: rnd.randrange(size))


def flips(size: int, most: int = 8):
    """1 to ``most`` (position, xor mask) pairs."""
    return st.lists(st.tuples(positions(size), st.integers(1, 255)), min_size=1, max_size=most)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats() | st.text(max_size=5)
    | st.integers(-(2**64), 2**64) | st.sampled_from([0, -1, 1, 10**6, 10**9, 2**31]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)

DTYPES = st.sampled_from(["<f2", "<f4", ">f4", "<f8", "<i1", "<i8", "<u1", "|b1", "<c8",
                          "<U3", "|S2", "<M8[s]"])


@st.composite
def flipped_or_truncated(draw, data: bytes) -> bytes:
    """The whole file with some bytes flipped, or cut short."""
    if draw(st.booleans()):
        where = draw(flips(len(data)))
        return Damaged(flip_bytes(data, where), f"flipped (position, xor) {where}")
    n = draw(positions(len(data)))
    return Damaged(data[:n], f"truncated to {n} bytes")


@st.composite
def damaged_archive(draw, data: bytes) -> bytes:
    """One kind of damage to a steepest .npz archive."""
    members = npz_members(data)
    name = draw(st.sampled_from(sorted(members)))
    kind = draw(st.sampled_from(["bytes", "bytes", "zip", "replace", "objects", "member",
                                 "meta"]))
    if kind == "bytes":
        return draw(flipped_or_truncated(data))
    if kind == "zip":  # a size, length or offset field of the zip (test_npzfile: all of them)
        field = draw(st.sampled_from(zip_size_fields(data)))
        value = draw(st.sampled_from(hostile_values(field.get(data), field.width, len(data)))
                     | st.integers(0, 2 ** (8 * field.width) - 1))
        return Damaged(field.set(data, value), f"{field.what} = {value:#x}")
    if kind == "replace":  # another dtype, and the old shape or any shape
        old = np.load(io.BytesIO(members[name]), allow_pickle=False)
        shape = draw(st.just(old.shape) | array_shapes(min_dims=0, max_dims=3, max_side=6))
        new = draw(arrays(DTYPES, shape))
        members[name] = npy_bytes(new)
        how = f"{name} replaced by {new!r}"
    elif kind == "objects":  # what np.load would need pickle for
        members[name] = npy_bytes(np.array([{"format": "steepest-model"}, None], dtype=object))
        how = f"{name} replaced by an object array"
    elif kind == "member":  # flip bytes in a member, its header most often; zip checksums right
        size = len(members[name]) if draw(st.booleans()) else min(len(members[name]), 128)
        where = draw(flips(size, most=4))
        members[name] = flip_bytes(members[name], where)
        how = f"{name} flipped (position, xor) {where}"
    else:  # a metadata value (top level or one level down) replaced by any JSON value
        meta = json.loads(str(np.load(io.BytesIO(members["meta"]))))
        keys = [draw(st.sampled_from(sorted(meta)))]
        if isinstance(meta[keys[0]], dict) and meta[keys[0]] and draw(st.booleans()):
            keys.append(draw(st.sampled_from(sorted(meta[keys[0]]))))
        value = draw(JSON_VALUES)
        (meta[keys[0]] if len(keys) == 2 else meta)[keys[-1]] = value
        members["meta"] = npy_bytes(np.array(json.dumps(meta)))
        how = f"meta{''.join(f'[{k!r}]' for k in keys)} = {value!r}"
    return Damaged(npz_bytes(members), how)


def read_damaged(read, damaged: bytes, path, error: type[Exception], check, memory: int) -> None:
    """``read(path)`` of a damaged file: ``check(result)``, or one ``error`` naming the file.

    Either way, the read may allocate at most ``memory`` bytes (tracemalloc).
    """
    path.write_bytes(damaged)
    result, exc, peak = outcome_and_peak(lambda: read(path), error)
    assert peak < memory, f"{peak:,} bytes for a {len(damaged):,}-byte file"
    if exc is not None:
        assert_one_line_naming(exc, path)
    else:
        check(result)


def npz_memory(damaged: bytes) -> int:
    """What reading an .npz may take: a few copies of the file (each array, its cast, the
    network built from it) and fixed costs, not what its headers claim."""
    return LOAD_PER_BYTE * len(damaged) + LOAD_FIXED


def assert_one_line_naming(error: Exception, path) -> None:
    message = str(error)
    assert message.startswith(str(path)) and "\n" not in message, message
    assert "pickle" not in message, message


# ---------------------------------------------------------------------------
# Model files


def assert_valid_network(net, info) -> None:
    assert isinstance(info, dict)
    weights = net.get_weights()
    for i, (n_in, n_out) in enumerate(zip(net.sizes[:-1], net.sizes[1:])):
        assert weights[2 * i].shape == (n_in, n_out) and weights[2 * i + 1].shape == (n_out,)
    assert all(np.isfinite(w).all() for w in weights)
    probs = net.predict_proba(np.zeros((2, net.sizes[0]), np.float32))
    assert np.isfinite(probs).all() and np.allclose(probs.sum(axis=1), 1, atol=1e-5)


@FUZZ
@given_(data=st.data())
def test_load_model_returns_a_valid_network_or_one_model_file_error(files, data):
    damaged = data.draw(damaged_archive(files["model.npz"]))
    read_damaged(load_model, damaged, files["dir"] / "damaged-model.npz", ModelFileError,
                 lambda result: assert_valid_network(*result), memory=npz_memory(damaged))


# ---------------------------------------------------------------------------
# Checkpoints


def assert_valid_state(state, extra) -> None:
    assert isinstance(extra, dict) and isinstance(state.config, TrainConfig)
    net = state.network
    assert net.sizes == (784, *state.config.hidden, 10) or list(net.sizes) == [
        784, *state.config.hidden, 10]
    assert_valid_network(net, {})
    params = [p.value for p in net.parameters()]
    if state.best_weights is not None:
        assert [w.shape for w in state.best_weights] == [p.shape for p in params]
        assert all(np.isfinite(w).all() for w in state.best_weights)
    for a in state.optimizer.state_dict().values():
        assert np.isfinite(a).all()
    assert type(state.epoch) is int and state.epoch >= 0
    for r in state.history:
        assert isinstance(r, EpochRecord) and type(r.epoch) is int
        assert all(type(v) in (int, float) and np.isfinite(v) for v in (r.train_loss, r.seconds))
    assert isinstance(state.stopped_early, bool)


@FUZZ
@given_(data=st.data())
def test_load_checkpoint_returns_a_valid_state_or_one_model_file_error(files, data):
    damaged = data.draw(damaged_archive(files["checkpoint.npz"]))
    read_damaged(load_checkpoint, damaged, files["dir"] / "damaged-checkpoint.npz",
                 ModelFileError, lambda result: assert_valid_state(*result),
                 memory=npz_memory(damaged))


# ---------------------------------------------------------------------------
# IDX files


@st.composite
def damaged_idx(draw, data: bytes) -> bytes:
    raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
    kind = draw(st.sampled_from(["bytes", "bytes", "header", "append", "regzip"]))
    if kind == "bytes":
        return draw(flipped_or_truncated(data))
    if kind == "append":
        extra = draw(st.binary(min_size=1, max_size=64))
        return Damaged(data + extra, f"{extra!r} appended")
    # Damage the decompressed header (type, dimensions, sizes), then maybe gzip it again.
    where = draw(flips(min(len(raw), 16), most=4))
    raw = flip_bytes(raw, where)
    how = f"header flipped (position, xor) {where}" + (", gzipped" if kind == "regzip" else "")
    return Damaged(gzip.compress(raw) if kind == "regzip" else raw, how)


@FUZZ
@given_(data=st.data(), name=st.sampled_from(["images", "labels.gz"]))
def test_read_idx_returns_an_array_or_one_idx_error(files, data, name):
    damaged = data.draw(damaged_idx(files[name]))

    def check(array):
        assert array.dtype.isnative and array.ndim >= 1
        raw = gzip.decompress(damaged) if damaged[:2] == b"\x1f\x8b" else damaged
        assert len(raw) == 4 + 4 * array.ndim + array.nbytes

    # gzip inflates up to about 1000 times, but the files are small.
    read_damaged(read_idx, damaged, files["dir"] / f"damaged-{name}", IDXError, check,
                 memory=1000 * len(damaged) + 2_000_000)
