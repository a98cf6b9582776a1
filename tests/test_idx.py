import gzip

import numpy as np
import pytest

from steepest.datasets.idx import parse_idx, read_idx, write_idx


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    a = (np.arange(24).reshape(2, 3, 4) - 5).astype(dtype)
    if dtype == np.uint8:
        a = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


def test_header_bytes_for_mnist_like_labels():
    assert parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 2, 3, 4])).tolist() == [3, 4]


def test_bad_magic(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    with pytest.raises(ValueError, match=r"x: not an IDX file \(magic bytes 89 50 4e 47"):
        read_idx(p)


def test_truncated_data(tmp_path):
    p = tmp_path / "t"
    write_idx(p, np.zeros((10, 28, 28), np.uint8))
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"t: truncated: header promises shape \(10, 28, 28\)"):
        read_idx(p)


def test_truncated_header(tmp_path):
    p = tmp_path / "h"
    p.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(ValueError, match="truncated header"):
        read_idx(p)


def test_trailing_bytes(tmp_path):
    p = tmp_path / "x"
    write_idx(p, np.zeros(3, np.uint8))
    p.write_bytes(p.read_bytes() + b"junk")
    with pytest.raises(ValueError, match="4 unexpected bytes"):
        read_idx(p)


def test_corrupt_gzip(tmp_path):
    p = tmp_path / "c.gz"
    data = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 50]) + bytes(50))
    p.write_bytes(data[:20] + bytes(len(data) - 20))  # gzip magic kept, stream damaged
    with pytest.raises(ValueError, match=r"c.gz: corrupt gzip data"):
        read_idx(p)


def test_truncated_gzip(tmp_path):
    p = tmp_path / "c.gz"
    p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 50]) + bytes(50))[:-12])
    with pytest.raises(ValueError, match="corrupt gzip data"):
        read_idx(p)


def test_missing_file(tmp_path):
    with pytest.raises(ValueError, match="no such file"):
        read_idx(tmp_path / "nope")
