"""Reader for IDX files, the format MNIST ships in.

An IDX file is a big-endian header followed by raw array data::

    bytes 0-1   zero
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
                0x0D float32, 0x0E float64
    byte  3     number of dimensions d
    4 * d       each dimension as a big-endian uint32
    rest        the elements, row-major, big-endian

So MNIST's images start ``00 00 08 03`` (= 2051: uint8, 3 dims) then
``60000, 28, 28``; the labels start ``00 00 08 01`` (= 2049) then ``60000``.
Files may be gzip-compressed; we recognise gzip by its magic bytes, not by
the file name.  Every check raises an :class:`IDXError` (a ``ValueError``)
that names the file.
"""

from __future__ import annotations

import gzip
import io
import math
import os
import struct
import zlib

import numpy as np

from ..modelfile import atomic_write_bytes

#: IDX type byte -> NumPy dtype (big-endian where it matters).
IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

GZIP_MAGIC = b"\x1f\x8b"

#: Bytes decompressed at a time: a gzip file is never inflated past what its
#: IDX header declares, plus at most one such chunk.
CHUNK = 1 << 20

#: The longest IDX header: 4 bytes, then 255 dimensions of 4 bytes.
MAX_HEADER = 4 + 4 * 255


class IDXError(ValueError):
    """A file that is not a readable IDX file; the message names it and says why."""


def read_bytes(path: str | os.PathLike) -> bytes:
    """The file's content, decompressed if it is gzip.

    A gzip file is inflated only as far as the IDX header inside declares (see
    :func:`parse_header`), so a small file that would inflate to gigabytes of
    unexpected data is refused after one extra chunk, not held in memory.

    Parameters
    ----------
    path : str or os.PathLike
        The file, raw or gzip (recognised by its magic bytes, not its name).

    Returns
    -------
    bytes
        The IDX bytes, for :func:`parse_idx`.

    Raises
    ------
    IDXError
        Naming the file, for a missing or unreadable file, corrupt gzip data or
        bytes inflated past the data its header declares.
    """
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise IDXError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise IDXError(f"{path}: is a directory, not an IDX file") from None
    except OSError as exc:
        raise IDXError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return _gunzip(raw, str(path))
    except (OSError, EOFError, zlib.error) as exc:
        raise IDXError(f"{path}: corrupt gzip data ({exc})") from None


def _gunzip(raw: bytes, name: str) -> bytes:
    parts: list[bytes] = []
    size, limit = 0, None
    with gzip.GzipFile(fileobj=io.BytesIO(raw)) as gz:
        while chunk := gz.read(CHUNK):
            parts.append(chunk)
            size += len(chunk)
            if limit is None and size >= MAX_HEADER:
                try:
                    dtype, shape, header_len = parse_header(b"".join(parts), name)
                except IDXError:
                    break  # parse_idx reports it, from the bytes read so far
                limit = header_len + _data_bytes(dtype, shape)
            if limit is not None and size > limit:
                raise IDXError(f"{name}: unexpected bytes after the data of shape {shape}")
    return b"".join(parts)


def _data_bytes(dtype: np.dtype, shape: tuple[int, ...]) -> int:
    return math.prod(shape) * dtype.itemsize  # Python ints: no overflow


def parse_header(data: bytes, name: str = "<bytes>") -> tuple[np.dtype, tuple[int, ...], int]:
    """``(dtype, shape, header length)`` from the start of IDX bytes.

    Parameters
    ----------
    data : bytes
        The file's first bytes, at least its header (``4 + 4 * ndim`` bytes).
    name : str, default "<bytes>"
        Used in error messages.

    Returns
    -------
    dtype : numpy.dtype
        The elements' type, big-endian where it matters.
    shape : tuple of int
        The dimensions.
    header_length : int
        Where the data starts.

    Raises
    ------
    IDXError
        Naming ``name``, for bad magic, an unknown type or a truncated header.

    Examples
    --------
    >>> parse_header(bytes([0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 4]))
    (dtype('uint8'), (3, 4), 12)
    """
    if len(data) < 4:
        raise IDXError(f"{name}: too short for an IDX header ({len(data)} bytes)")
    zero, type_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or type_code not in IDX_DTYPES or ndim == 0:
        raise IDXError(
            f"{name}: not an IDX file (magic bytes {data[:4].hex(' ')}; expected "
            "00 00 <type> <ndim> with type one of 08 09 0b 0c 0d 0e)"
        )
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise IDXError(f"{name}: truncated header ({len(data)} of {header_len} bytes)")
    return IDX_DTYPES[type_code], struct.unpack(f">{ndim}I", data[4:header_len]), header_len


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """Parse IDX bytes into an array, checking magic, type, dimensions and length.

    Parameters
    ----------
    data : bytes
        The (decompressed) file content.
    name : str, default "<bytes>"
        Used in error messages.

    Returns
    -------
    ndarray
        A read-only array in native byte order with the shape the header gives.

    Raises
    ------
    IDXError
        Naming ``name``, for bad magic, a truncated file or trailing bytes.

    Examples
    --------
    >>> parse_idx(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9])).tolist()
    [7, 8, 9]
    """
    dtype, shape, header_len = parse_header(data, name)
    expected = _data_bytes(dtype, shape)
    actual = len(data) - header_len
    if actual < expected:
        raise IDXError(
            f"{name}: truncated: header promises shape {shape} ({expected:,} bytes of data), "
            f"file has {actual:,}"
        )
    if actual > expected:
        raise IDXError(
            f"{name}: {actual - expected:,} unexpected bytes after the data of shape {shape}"
        )
    arr = np.frombuffer(data, dtype=dtype, offset=header_len).reshape(shape)
    return arr if dtype.isnative or dtype.itemsize == 1 else arr.astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (raw or gzip) into an array.

    Parameters
    ----------
    path : str or os.PathLike
        The file.

    Returns
    -------
    numpy.ndarray
        A read-only array in native byte order (see :func:`parse_idx`).

    Raises
    ------
    IDXError
        Naming the file, for a missing file, bad magic, corrupt gzip,
        a truncated file or trailing bytes.
    """
    return parse_idx(read_bytes(path), str(path))


def write_idx(path: str | os.PathLike, array: np.ndarray, compress: bool | None = None) -> None:
    """Write ``array`` as an IDX file (gzip if ``compress`` or the name ends in .gz).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write, atomically.
    array : numpy.ndarray
        Of a type IDX stores (:data:`IDX_DTYPES`: uint8, int8, int16, int32,
        float32, float64), with one dimension at least (:func:`parse_header`
        refuses a file of none).
    compress : bool or None, default None
        Gzip the file; None decides by the name (``.gz``).

    Raises
    ------
    ValueError
        A dtype IDX cannot store.

    Examples
    --------
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "labels-idx1-ubyte.gz")
    >>> write_idx(path, np.array([7, 2, 1], np.uint8))
    >>> read_idx(path).tolist()
    [7, 2, 1]
    """
    array = np.asarray(array)
    matches = [
        (code, dtype)
        for code, dtype in IDX_DTYPES.items()
        if dtype.kind == array.dtype.kind and dtype.itemsize == array.dtype.itemsize
    ]
    if not matches:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    code, dtype = matches[0]
    header = struct.pack(">HBB", 0, code, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    data = header + np.ascontiguousarray(array, dtype=dtype).tobytes()
    if compress is None:
        compress = str(path).endswith(".gz")
    if compress:
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)
