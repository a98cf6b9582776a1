"""The zip's own size fields, set to hostile values: read_npz must check each one against
the bytes the file holds, never allocate by it.

Every size, length, count and offset field of a model file -- in the end record, the
ZIP64 end record and its locator, each central directory entry and each local
header, ZIP64 extra fields included -- is set to each of a list of hostile values
(0, 1, one more, the file's size, 2**31, 2**32 - 16, 0xFFFFFFFF, 2**63, ...); then
1 to 4 fields at once, of a model file or a checkpoint, to any value.  Each file
must read exactly as the original (the field did not matter) or give one error
line; and the reader may allocate about the bytes the file holds, never what a
field claims.
"""

from __future__ import annotations

import functools
import io
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from craft import (
    LOAD_FIXED,
    LOAD_PER_BYTE,
    READ_FIXED,
    READ_PER_BYTE,
    hostile_values,
    npz_members,
    npz_zip64,
    outcome_and_peak,
    zip_size_fields,
)
from steepest.checkpoint import load_checkpoint, save_checkpoint
from steepest.modelfile import ModelFileError, load_model, save_model
from steepest.network import Network
from steepest.npzfile import NpzError, read_npz
from steepest.training import TrainConfig, TrainState


@pytest.fixture(scope="module")
def originals(tmp_path_factory) -> dict[str, bytes]:
    """A 784-6-10 model file and a 4-3-2 Adam checkpoint with best weights (18 members),
    each as numpy.savez writes it and with ZIP64 fields everywhere they may be; each read
    once already (so the first example does not pay for imports)."""
    d = tmp_path_factory.mktemp("zip")
    save_model(d / "model.npz", Network((784, 6, 10), rng=np.random.default_rng(0)))
    config = TrainConfig(hidden=(3,), optimizer="adam", validation=50)
    state = TrainState.new(config, 4, 2)
    state.best_weights, state.best_score = state.network.get_weights(), 0.5
    save_checkpoint(d / "checkpoint.npz", state)
    files = {}
    for kind in ("model", "checkpoint"):
        plain = (d / f"{kind}.npz").read_bytes()
        files[f"{kind}.npz"] = plain
        files[f"{kind}-zip64.npz"] = npz_zip64(npz_members(plain))
    for name, data in files.items():
        (load_model if name.startswith("model") else load_checkpoint)(io.BytesIO(data))
    return files


@functools.cache
def arrays_of(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def read_or_refuse(path, original: bytes) -> str:
    """``read_npz(path)``: the original's arrays exactly, or one NpzError line; either way
    allocating no more than READ_* allow.  Returns which."""
    arrays, exc, peak = outcome_and_peak(lambda: read_npz(path), NpzError)
    assert peak <= READ_PER_BYTE * len(original) + READ_FIXED, f"{peak:,} bytes allocated"
    if exc is not None:
        assert "\n" not in str(exc), exc
        return "refused"
    expected = arrays_of(original)
    assert sorted(arrays) == sorted(expected)
    for name, array in arrays.items():
        assert array.dtype == expected[name].dtype
        np.testing.assert_array_equal(array, expected[name])
    return "read"


@pytest.mark.parametrize("name", ["model.npz", "model-zip64.npz", "checkpoint.npz",
                                  "checkpoint-zip64.npz"])
def test_each_zip_size_field_at_each_hostile_value_is_checked_not_trusted(
        originals, name, tmp_path):
    original = originals[name]
    fields = zip_size_fields(original)
    assert len(fields) >= 5 * 10  # the parse found each member's fields
    if name.startswith("checkpoint"):  # 18 members: the end records, the first and last's
        members = [f.what.split(" ")[0] for f in fields if " local header: " in f.what]
        fields = [f for f in fields if f.what.split(" ")[0] in (members[0], members[-1])
                  or "end record" in f.what or "locator" in f.what]
    # One file on disk, each field written in place and put back: a reader is most
    # tempted by a real file (file.read(n) allocates n bytes before it reads).
    path = tmp_path / name
    path.write_bytes(original)
    outcomes = {"read": 0, "refused": 0}
    with open(path, "r+b") as fh:
        for field in fields:
            for value in hostile_values(field.get(original), field.width, len(original)):
                os.pwrite(fh.fileno(), value.to_bytes(field.width, "little"), field.offset)
                try:
                    outcomes[read_or_refuse(path, original)] += 1
                except AssertionError as exc:
                    raise AssertionError(f"{field.what} = {value:#x}: {exc}") from None
            os.pwrite(fh.fileno(), original[field.offset : field.offset + field.width],
                      field.offset)
    # Most fields matter; a few do not (entry counts, a ZIP64 record zipfile can skip).
    tried = sum(outcomes.values())
    assert tried >= 400 and outcomes["refused"] > 0.7 * tried, outcomes


FIELD_VALUES = st.one_of(
    st.integers(0, 2**64 - 1), st.integers(0, 2**32 - 1), st.integers(0, 70_000),
    st.sampled_from([0xFFFFFFFF, 0xFFFFFFF0, 2**31, 2**63, 2**64 - 1]),
)


@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data(), name=st.sampled_from(["model.npz", "model-zip64.npz", "checkpoint.npz",
                                             "checkpoint-zip64.npz"]))
def test_several_size_fields_at_once_load_exactly_or_give_one_line(originals, tmp_path,
                                                                     data, name):
    original = originals[name]
    fields = zip_size_fields(original)
    damaged, changes = original, []
    for field in data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4,
                                    unique=True)):
        value = data.draw(FIELD_VALUES) % 2 ** (8 * field.width)
        damaged = field.set(damaged, value)
        changes.append(f"{field.what} = {value:#x}")
    path = tmp_path / name
    path.write_bytes(damaged)
    load = load_model if name.startswith("model") else load_checkpoint
    result, exc, peak = outcome_and_peak(lambda: load(path), ModelFileError)
    assert peak <= LOAD_PER_BYTE * len(damaged) + LOAD_FIXED, (peak, changes)
    if exc is not None:
        message = str(exc)
        assert message.startswith(str(path)) and "\n" not in message, (message, changes)
    else:
        net = result[0] if name.startswith("model") else result[0].network
        expected = arrays_of(original)
        for i, w in enumerate(net.get_weights()):
            np.testing.assert_array_equal(w, expected[f"{'Wb'[i % 2]}{i // 2}"], str(changes))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> bytes:
    """A 4-3-2 model file: 1,902 bytes, as small as a steepest model gets."""
    path = tmp_path_factory.mktemp("tiny") / "tiny.npz"
    save_model(path, Network((4, 3, 2), rng=np.random.default_rng(0)))
    load_model(path)
    return path.read_bytes()


@pytest.mark.parametrize(("layout", "what", "value"), [
    # The file: 2 KB whose first member claims 4 GiB (load_model took 1.07 GB).
    ("plain", "meta.npy directory entry: compressed size", 0xFFFFFFF0),
    ("plain", "b1.npy directory entry: compressed size", 2**31 - 1),
    ("zip64", "W0.npy directory entry: ZIP64 compressed size", 2**62),
    ("zip64", "W0.npy directory entry: ZIP64 size", 2**40),
    ("zip64", "b1.npy directory entry: ZIP64 local header offset", 2**63),
    ("plain", "W1.npy local header: extra length", 0xFFFF),
    ("plain", "W1.npy local header: ZIP64 size", 2**40),
    ("zip64", "ZIP64 end record: directory size", 2**63),
])
def test_a_size_field_claiming_gigabytes_in_a_2_kb_file_is_refused_not_allocated(
        tiny, tmp_path, layout, what, value):
    data = tiny if layout == "plain" else npz_zip64(npz_members(tiny))
    (field,) = [f for f in zip_size_fields(data) if f.what == what]
    path = tmp_path / "claims.npz"
    path.write_bytes(field.set(data, value))

    _, exc, peak = outcome_and_peak(lambda: load_model(path), ModelFileError)
    assert peak <= READ_PER_BYTE * len(data) + READ_FIXED, f"{peak:,} bytes"
    assert exc is not None, "loaded"
    assert str(exc).startswith(f"{path}: not a readable steepest model file (.npz): ")
    assert "\n" not in str(exc)
