"""Reading an ``.npz`` archive that came from outside, without trusting it.

``np.load(path, allow_pickle=False)`` never runs code, but it trusts a file in
other ways: for a file that is not an archive it suggests loading it with
pickle; it passes on whatever :mod:`zipfile` or its header parser raise
(``NotImplementedError``, ``tokenize.TokenError``, ...); and it allocates
what the file's size fields claim before it reads the data, so a tiny file
can ask for gigabytes.  :func:`read_npz` reads an archive the way
:func:`numpy.savez` writes one, and checks every size against the bytes
actually present before it allocates or reads anything:

* the file is a zip archive of ``NAME.npy`` members stored uncompressed;
  :mod:`zipfile` lists them (it reads the central directory, which lies
  inside the file), then each member is read here, not by :mod:`zipfile`:
  its local header and its data must fill the bytes from its offset to the
  next member's (the last one's: to the central directory), as
  :func:`numpy.savez` writes them, back to back from the first byte.  So the
  members hold no more bytes than the file itself, and every size field of
  the zip (32-bit or ZIP64, central directory or local header) is checked
  against the others and the file's size, never trusted;
* each member is a ``.npy`` array: magic ``\\x93NUMPY``, version, header
  length, a header such as ``{'descr': '<f4', 'fortran_order': False,
  'shape': (784, 15)}``, then exactly shape x item size bytes of data, which
  are read in chunks of at most :data:`CHUNK` bytes straight into the array
  and checked against the member's CRC-32;
* arrays of Python objects are refused: reading them would need pickle.

So the arrays together are never larger than the file they came from, and
every problem is one :class:`NpzError` with a one-line reason.
"""

from __future__ import annotations

import ast
import contextlib
import math
import os
import struct
import zipfile
import zlib
from collections.abc import Iterator
from typing import BinaryIO

import numpy as np

from .messages import one_line

#: A zip archive starts with a local file header, or (empty) with the end record.
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")

#: A member's local header: signature, versions, flags, method, time, date,
#: CRC, sizes (ignored: the central directory's are checked), name and extra lengths.
LOCAL_HEADER = struct.Struct("<4s5H3L2H")

#: Longest data descriptor (signature, CRC, two 8-byte sizes) after a streamed member's data.
DESCRIPTOR = 24

#: Every .npy member starts with these six bytes.
NPY_MAGIC = b"\x93NUMPY"

#: Longest .npy header read (NumPy's own limit); steepest's are under 128 bytes.
MAX_HEADER = 10_000

#: Bytes read at a time into an array: a read never asks for more than this.
CHUNK = 1 << 20


class NpzError(ValueError):
    """The archive cannot be read; the message is the reason, one line."""


class NotNpzError(NpzError):
    """The file is not a zip archive at all (a PNG, a JSON document, text)."""


def _read_npy(fh: BinaryIO, size: int, name: str) -> tuple[np.ndarray, int]:
    """The array in the next ``size`` bytes of ``fh``, and the CRC-32 of those bytes.

    Nothing is allocated before the header's shape is checked against ``size``.
    """
    prefix = fh.read(min(size, 12 + MAX_HEADER))
    shape, fortran_order, dtype, offset = _parse_npy_header(prefix, name)
    declared = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if declared != size - offset:
        raise NpzError(
            f"{name}: header declares shape {shape} of {dtype} ({declared:,} bytes), "
            f"the file holds {size - offset:,}"
        )
    data = np.empty(declared, np.uint8)  # at most `size`: checked just above
    head = prefix[offset:]
    data[: len(head)] = np.frombuffer(head, np.uint8)
    crc = zlib.crc32(prefix)
    view = memoryview(data)
    for start in range(len(head), declared, CHUNK):
        part = view[start : min(start + CHUNK, declared)]
        if fh.readinto(part) != len(part):
            raise NpzError(f"{name}: truncated data")
        crc = zlib.crc32(part, crc)
    array = data.view(dtype).reshape(shape, order="F" if fortran_order else "C")
    return array, crc


def _parse_npy_header(prefix: bytes, name: str) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """``(shape, fortran_order, dtype, data offset)`` from a .npy file's first bytes."""
    if prefix[:6] != NPY_MAGIC:
        raise NpzError(f"{name} is not a .npy array")
    major = prefix[6] if len(prefix) > 6 else None
    if major not in (1, 2, 3):
        raise NpzError(f"{name}: unknown .npy version {major}")
    length_format = "<H" if major == 1 else "<I"
    start = 8 + struct.calcsize(length_format)
    if len(prefix) < start:
        raise NpzError(f"{name}: truncated .npy header")
    (header_len,) = struct.unpack(length_format, prefix[8:start])
    if header_len > MAX_HEADER or len(prefix) < start + header_len:
        raise NpzError(f"{name}: .npy header of {header_len:,} bytes does not fit")
    header = prefix[start : start + header_len].decode("utf-8" if major == 3 else "latin-1")
    return (*_check_header(ast.literal_eval(header), name), start + header_len)


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
    if dtype.itemsize == 0:
        raise NpzError(f"{name}: elements of {dtype} have no size")
    return shape, fortran_order, dtype


def read_npz(source: str | os.PathLike | BinaryIO) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` archive, by name, read without trusting the file.

    Parameters
    ----------
    source : str, os.PathLike or binary file
        A path, or a seekable binary file object.

    Returns
    -------
    dict of str to numpy.ndarray
        Each member's array under its name without ``.npy``; together no
        larger than the file.

    Raises
    ------
    NotNpzError
        The file is not a zip archive.
    NpzError
        Anything else wrong with its content, with a one-line reason.
    OSError
        The file cannot be opened (missing, a directory, no permission).
    MemoryError
        Is never caught: it is the machine's limit, not the file's.

    Examples
    --------
    >>> import io
    >>> buf = io.BytesIO(); np.savez(buf, W0=np.eye(2, dtype=np.float32)); _ = buf.seek(0)
    >>> {name: a.shape for name, a in read_npz(buf).items()}
    {'W0': (2, 2)}
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
    with _as_npz_error(), zipfile.ZipFile(fh) as zf:  # reads the central directory only
        extents = _member_extents(zf.infolist(), zf.start_dir, size)
        arrays = {}
        for info, end in extents:
            with _as_npz_error(f"{info.filename}: "):
                arrays[info.filename.removesuffix(".npy")] = _read_member(fh, info, end)
        return arrays


def _member_extents(
    members: list[zipfile.ZipInfo], directory: int, size: int
) -> list[tuple[zipfile.ZipInfo, int]]:
    """Each member and where its bytes must end: the next member's offset, or the directory's.

    Raises
    ------
    NpzError
        A member that is no uncompressed .npy, or sizes that do not fit the file.
    """
    for info in members:
        if not info.filename.endswith(".npy"):
            raise NpzError(f"{info.filename} is not a .npy member")
        if info.compress_type != zipfile.ZIP_STORED:
            raise NpzError(f"{info.filename} is compressed; steepest writes and "
                           "reads uncompressed .npz files")
        if info.flag_bits & 0x1:
            raise NpzError(f"{info.filename} is encrypted")
        if info.compress_size != info.file_size:
            raise NpzError(f"{info.filename}: stored, yet its sizes differ "
                           f"({info.compress_size:,} and {info.file_size:,} bytes)")
    if len({info.filename for info in members}) != len(members):
        raise NpzError("a member name appears twice")
    if sum(info.file_size for info in members) > size:
        raise NpzError(f"its members claim more bytes than the file's {size:,}")
    if not 0 <= directory <= size:  # zipfile checks this; cheap to be sure
        raise NpzError(f"central directory at {directory:,}, outside the file")
    ordered = sorted(members, key=lambda info: info.header_offset)
    first = ordered[0].header_offset if ordered else directory
    if first != 0:  # numpy.savez writes the members from the first byte on, without gaps
        raise NpzError(f"{first:,} unexplained bytes before the first member")
    ends = [info.header_offset for info in ordered[1:]] + [directory]
    return list(zip(ordered, ends))


def _read_member(fh: BinaryIO, info: zipfile.ZipInfo, end: int) -> np.ndarray:
    """The array of one stored member whose bytes lie before ``end``, CRC checked."""
    name, start = info.filename, info.header_offset
    if not 0 <= start <= end - LOCAL_HEADER.size:
        raise NpzError(f"{name}: its local header at offset {start:,} does not fit "
                       f"before the next member (at {end:,})")
    fh.seek(start)
    fields = LOCAL_HEADER.unpack(fh.read(LOCAL_HEADER.size))
    if fields[0] != b"PK\x03\x04":
        raise NpzError(f"{name}: no local header at offset {start:,}")
    name_len, extra_len = fields[-2:]
    data_start = start + LOCAL_HEADER.size + name_len + extra_len
    gap = end - data_start - info.file_size  # a data descriptor (flag bit 3) may follow
    if gap < 0:
        raise NpzError(f"{name} claims {info.file_size:,} bytes after its header; "
                       f"{max(end - data_start, 0):,} are there before the next member")
    if gap > (DESCRIPTOR if fields[2] & 0x08 else 0):
        raise NpzError(f"{name}: {gap:,} unexplained bytes after its data")
    encoding = "utf-8" if fields[2] & 0x800 else "cp437"
    if fh.read(name_len).decode(encoding) != info.orig_filename:
        raise NpzError(f"{name}: its local header names another file")
    sizes = _local_sizes(fields, fh.read(extra_len), name)
    if sizes is not None and sizes != (info.compress_size, info.file_size):
        raise NpzError(f"{name}: its local header says {sizes[1]:,} bytes, "
                       f"the central directory {info.file_size:,}")
    array, crc = _read_npy(fh, info.file_size, name)
    if crc != info.CRC:
        raise NpzError(f"{name}: damaged data (CRC-32 {crc:08x}, expected {info.CRC:08x})")
    return array


def _local_sizes(fields: tuple, extra: bytes, name: str) -> tuple[int, int] | None:
    """``(compressed size, size)`` a local header records (ZIP64 extra field included),
    or None when they follow the data (flag bit 3, sizes 0), as in a streamed archive."""
    flags, compressed, size = fields[2], fields[7], fields[8]
    if flags & 0x08 and compressed == size == 0:
        return None
    zip64: list[int] = []
    at = 0
    while at + 4 <= len(extra):  # blocks: tag, length, then `length` bytes
        tag, length = struct.unpack_from("<2H", extra, at)
        if tag == 0x0001:  # ZIP64: the sizes that are 0xFFFFFFFF above, as 8 bytes each
            block = extra[at + 4 : at + 4 + length]
            zip64 = [v for (v,) in struct.iter_unpack("<Q", block[: len(block) // 8 * 8])]
        at += 4 + length
    wanted = (size, compressed).count(0xFFFFFFFF)
    if len(zip64) < wanted:
        raise NpzError(f"{name}: its local header's ZIP64 extra field misses its sizes")
    if size == 0xFFFFFFFF:
        size = zip64.pop(0)
    if compressed == 0xFFFFFFFF:
        compressed = zip64.pop(0)
    return compressed, size


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
