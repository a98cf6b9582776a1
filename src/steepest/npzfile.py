"""Reading an ``.npz`` archive that came from outside, without trusting it.

``np.load(path, allow_pickle=False)`` never runs code, but it trusts a file in
other ways: for a file that is not an archive it suggests loading it with
pickle; it passes on whatever :mod:`zipfile` or its header parser raise
(``NotImplementedError``, ``tokenize.TokenError``, ...); and it allocates the
shape a member's header declares before it reads the data, so a tiny file
can ask for gigabytes.  :func:`read_npz` reads an archive the way
:func:`numpy.savez` writes one, and checks every size before using it:

* the file is a zip archive of ``NAME.npy`` members stored uncompressed, so
  together they hold no more bytes than the file itself;
* each member is a ``.npy`` array: magic ``\\x93NUMPY``, version, header
  length, a header such as ``{'descr': '<f4', 'fortran_order': False,
  'shape': (784, 15)}``, then exactly shape x item size bytes of data;
* arrays of Python objects are refused: reading them would need pickle.

So an array is never larger than the file it came from, and every problem is
one :class:`NpzError` with a one-line reason.
"""

from __future__ import annotations

import ast
import contextlib
import math
import os
import struct
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from .messages import one_line

#: A zip archive starts with a local file header, or (empty) with the end record.
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

#: Every .npy member starts with these six bytes.
NPY_MAGIC = b"\x93NUMPY"

#: Longest .npy header read (NumPy's own limit); steepest's are under 128 bytes.
MAX_HEADER = 10_000


class NpzError(ValueError):
    """The archive cannot be read; the message is the reason, one line."""


class NotNpzError(NpzError):
    """The file is not a zip archive at all (a PNG, a JSON document, text)."""


def parse_npy(data: bytes, name: str = "array") -> np.ndarray:
    """Parse the bytes of one ``.npy`` file, checking its declared size first.

    >>> import io
    >>> buf = io.BytesIO(); np.save(buf, np.arange(3, dtype=np.int16))
    >>> parse_npy(buf.getvalue()).tolist()
    [0, 1, 2]

    Raises:
        NpzError: for anything but a well-formed array of numbers or text.
    """
    with _as_npz_error(f"{name}: "):
        return _parse_npy(data, name)


def _parse_npy(data: bytes, name: str) -> np.ndarray:
    if data[:6] != NPY_MAGIC:
        raise NpzError(f"{name} is not a .npy array")
    major = data[6] if len(data) > 6 else None
    if major not in (1, 2, 3):
        raise NpzError(f"{name}: unknown .npy version {major}")
    length_format = "<H" if major == 1 else "<I"
    start = 8 + struct.calcsize(length_format)
    if len(data) < start:
        raise NpzError(f"{name}: truncated .npy header")
    (header_len,) = struct.unpack(length_format, data[8:start])
    if header_len > MAX_HEADER or len(data) < start + header_len:
        raise NpzError(f"{name}: .npy header of {header_len:,} bytes does not fit")
    header = data[start : start + header_len].decode("utf-8" if major == 3 else "latin-1")
    shape, fortran_order, dtype = _check_header(ast.literal_eval(header), name)
    offset = start + header_len
    declared = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if declared != len(data) - offset:
        raise NpzError(
            f"{name}: header declares shape {shape} of {dtype} ({declared:,} bytes), "
            f"the file holds {len(data) - offset:,}"
        )
    flat = np.frombuffer(data, dtype=dtype, count=math.prod(shape), offset=offset)
    return flat.reshape(shape, order="F" if fortran_order else "C").copy()


def _check_header(header: object, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise NpzError(f"{name}: malformed .npy header")
    shape, fortran_order = header["shape"], header["fortran_order"]
    if not isinstance(shape, tuple) or not all(
        type(n) is int and n >= 0 for n in shape  # type(): True is not a size
    ):
        raise NpzError(f"{name}: malformed shape {shape!r}")
    if not isinstance(fortran_order, bool):
        raise NpzError(f"{name}: malformed fortran_order {fortran_order!r}")
    dtype = np.lib.format.descr_to_dtype(header["descr"])
    if dtype.hasobject:
        raise NpzError(f"{name} holds Python objects; steepest files hold only numbers and text")
    return shape, fortran_order, dtype


def read_npz(source: str | os.PathLike | BinaryIO) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` archive, by name, read without trusting the file.

    Args:
        source: a path, or a seekable binary file object.

    Raises:
        NotNpzError: the file is not a zip archive.
        NpzError: anything else wrong with its content, with a one-line reason.
        OSError: the file cannot be opened (missing, a directory, no permission).
        MemoryError: is never caught: it is the machine's limit, not the file's.
    """
    if hasattr(source, "read"):
        return _read_archive(source)
    with open(source, "rb") as fh:
        return _read_archive(fh)


def _read_archive(fh: BinaryIO) -> dict[str, np.ndarray]:
    if fh.read(4) not in ZIP_MAGICS:
        raise NotNpzError("not a zip archive")
    size = fh.seek(0, os.SEEK_END)
    fh.seek(0)
    with _as_npz_error(), zipfile.ZipFile(fh) as zf:
        members = zf.infolist()
        for info in members:
            if not info.filename.endswith(".npy"):
                raise NpzError(f"{info.filename} is not a .npy member")
            if info.compress_type != zipfile.ZIP_STORED:
                raise NpzError(f"{info.filename} is compressed; steepest writes and "
                               "reads uncompressed .npz files")
        if sum(info.file_size for info in members) > size:
            raise NpzError(f"its members claim more bytes than the file's {size:,}")
        return {
            info.filename.removesuffix(".npy"): parse_npy(zf.read(info), info.filename)
            for info in members
        }


@contextlib.contextmanager
def _as_npz_error(prefix: str = "") -> Iterator[None]:
    """Any failure in the block is the file's fault: one :class:`NpzError`.

    zipfile and the header parser raise many types on damaged input (BadZipFile,
    NotImplementedError, SyntaxError, struct.error, ...).  MemoryError is not the
    file's fault and passes, as KeyboardInterrupt does (not an Exception).
    """
    try:
        yield
    except (NpzError, MemoryError):
        raise
    except zipfile.BadZipFile as exc:
        raise NpzError(f"{prefix}damaged or truncated zip archive ({one_line(exc, 160)})") from None
    except Exception as exc:
        raise NpzError(f"{prefix}{type(exc).__name__}: {one_line(exc, 160)}") from None
