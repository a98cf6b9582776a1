"""Build files byte by byte for tests (.npy members, .npz archives, PNG headers) and
measure what reading them costs."""

from __future__ import annotations

import io
import json
import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable

import numpy as np


def npy_bytes(array: np.ndarray) -> bytes:
    """What ``np.save`` writes for ``array``."""
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=True)
    return buf.getvalue()


def npy_with_header(header: str, data: bytes = b"") -> bytes:
    """A version 1.0 .npy file with any header text (padded like NumPy's) and data."""
    text = header.encode("latin-1")
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + data


def npz_bytes(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    """A zip archive of ``NAME.npy`` members, in order."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(f"{name}.npy", data)
    return buf.getvalue()


def npz_members(data: bytes) -> dict[str, bytes]:
    """The raw members of a (well-formed) .npz archive, by name without ``.npy``."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename.removesuffix(".npy"): zf.read(i) for i in zf.infolist()}


def read_meta(data: bytes) -> dict:
    """The JSON metadata of a steepest .npz."""
    return json.loads(str(np.load(io.BytesIO(npz_members(data)["meta"]))))


def npz_with(data: bytes, meta: dict | None = None, **members: bytes) -> bytes:
    """A steepest .npz ``data`` with ``members`` (raw .npy bytes) and ``meta`` replaced."""
    out = npz_members(data)
    if meta is not None:
        out["meta"] = npy_bytes(np.array(json.dumps(meta)))
    return npz_bytes(out | members)


def peak_bytes_while(func: Callable[[], object]) -> int:
    """Peak memory Python and NumPy allocate (traced by tracemalloc) while ``func()`` runs."""
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk: length, type, body, CRC of type and body."""
    crc = zlib.crc32(kind + body)
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares ``width`` x ``height`` 8-bit gray pixels but holds no pixel data.

    Pillow reads the size from it; decoding it would fail.  So a reader that
    refuses it for its size has not decoded it.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b"")


def white_png(width: int, height: int) -> bytes:
    """A valid, all-white, 1-bit gray PNG: tiny on disk, ``width * height`` pixels decoded."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)  # filter type 0, then 8 pixels a byte
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", data)
            + png_chunk(b"IEND", b""))
