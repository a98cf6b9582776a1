import gzip
import stat
import struct
import zlib

import numpy as np
import pytest

from craft import peak_bytes_while
from steepest.datasets.idx import IDXError, parse_idx, read_idx, write_idx


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
    with pytest.raises(IDXError, match=r"x: not an IDX file \(magic bytes 89 50 4e 47"):
        read_idx(p)


def test_truncated_data(tmp_path):
    p = tmp_path / "t"
    write_idx(p, np.zeros((10, 28, 28), np.uint8))
    p.write_bytes(p.read_bytes()[:-100])
    with pytest.raises(IDXError, match=r"t: truncated: header promises shape \(10, 28, 28\)"):
        read_idx(p)


def test_truncated_header(tmp_path):
    p = tmp_path / "h"
    p.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(IDXError, match="truncated header"):
        read_idx(p)


def test_trailing_bytes(tmp_path):
    p = tmp_path / "x"
    write_idx(p, np.zeros(3, np.uint8))
    p.write_bytes(p.read_bytes() + b"junk")
    with pytest.raises(IDXError, match="4 unexpected bytes"):
        read_idx(p)


def test_corrupt_gzip(tmp_path):
    p = tmp_path / "c.gz"
    data = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 50]) + bytes(50))
    p.write_bytes(data[:20] + bytes(len(data) - 20))  # gzip magic kept, stream damaged
    with pytest.raises(IDXError, match=r"c.gz: corrupt gzip data"):
        read_idx(p)


def test_truncated_gzip(tmp_path):
    p = tmp_path / "c.gz"
    p.write_bytes(gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 50]) + bytes(50))[:-12])
    with pytest.raises(IDXError, match="corrupt gzip data"):
        read_idx(p)


def test_missing_file(tmp_path):
    with pytest.raises(IDXError, match="no such file"):
        read_idx(tmp_path / "nope")


def test_dimensions_whose_product_overflows_int64_are_still_truncated(tmp_path):
    p = tmp_path / "big"
    p.write_bytes(struct.pack(">HBB4I", 0, 8, 4, *[2**32 - 1] * 4) + bytes(10))
    with pytest.raises(IDXError, match=r"big: truncated: header promises shape \(4294967295,"):
        read_idx(p)


def test_gzip_bomb_is_refused_without_inflating_it(tmp_path):
    # A 3-byte IDX file followed by 64 MB of zeros, compressed to about 64 KB.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)  # 31: gzip framing
    parts = [compressor.compress(bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]))]
    zeros = bytes(1 << 20)
    parts += [compressor.compress(zeros) for _ in range(64)] + [compressor.flush()]
    p = tmp_path / "bomb.gz"
    p.write_bytes(b"".join(parts))
    assert p.stat().st_size < 100_000

    def read():
        with pytest.raises(IDXError, match=r"bomb.gz: unexpected bytes after the data of shape"):
            read_idx(p)

    assert peak_bytes_while(read) < 8_000_000


def test_gzip_file_larger_than_one_chunk_reads_whole(tmp_path):
    a = (np.arange(3_000_000) % 251).astype(np.uint8).reshape(3, 1000, 1000)  # 3 chunks
    write_idx(tmp_path / "a.gz", a)
    np.testing.assert_array_equal(read_idx(tmp_path / "a.gz"), a)


def test_write_idx_follows_the_umask(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        write_idx(tmp_path / "a.gz", np.zeros(3, np.uint8))
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "a.gz").stat().st_mode) == 0o640
