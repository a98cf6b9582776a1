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
from dataclasses import dataclass
from unittest import mock

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


def outcome_and_peak(func: Callable[[], object],
                     error: type[Exception]) -> tuple[object, Exception | None, int]:
    """``(result, None, peak)`` of ``func()``, or ``(None, exc, peak)`` if it raised
    ``error``; ``peak`` as :func:`peak_bytes_while` measures it."""
    outcome: dict = {}

    def attempt():
        try:
            outcome["result"] = func()
        except error as exc:
            outcome["error"] = exc

    peak = peak_bytes_while(attempt)
    return outcome.get("result"), outcome.get("error"), peak


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


#: What reading an archive may allocate: its arrays (together no more than the file),
#: the central directory zipfile parses, then fixed costs (buffers, the .npy header
#: parser).  Measured: 1.01 x the file + 28 KB for a 5 MB model file.
READ_PER_BYTE, READ_FIXED = 1.25, 64_000

#: load_model and load_checkpoint also copy each array into the network they build
#: (measured: 5-6 x the file for valid files, the same fixed cost).
LOAD_PER_BYTE, LOAD_FIXED = 8, 64_000


def hostile_values(old: int, width: int, size: int) -> list[int]:
    """Values a field of ``width`` bytes may be set to, other than its ``old`` value, in
    a file of ``size`` bytes: edges, the file's size, and what 32- and 64-bit readers
    overflow on."""
    values = {0, 1, old - 1, old + 1, old + 8, old + 30, 2 * old, old + size, size - 1,
              size, size + 1, 2**15, 2**16 - 1, 2**31 - 1, 2**31, 2**32 - 16, 2**32 - 1,
              2**32, 2**62, 2**63, 2**64 - 1}
    return sorted(v for v in values if 0 <= v < 2 ** (8 * width) and v != old)


def npz_zip64(members: dict[str, bytes]) -> bytes:
    """:func:`npz_bytes` with every size and offset that can be in ZIP64 extra fields
    there (zipfile writes them for files over 4 GiB only), and a ZIP64 end record."""
    with mock.patch.object(zipfile, "ZIP64_LIMIT", 0), \
            mock.patch.object(zipfile, "ZIP_FILECOUNT_LIMIT", 0):
        return npz_bytes(members)


@dataclass(frozen=True)
class ZipField:
    """A little-endian unsigned field of a zip archive: what it is, where, and its width."""

    what: str
    offset: int
    width: int

    def get(self, data: bytes) -> int:
        return int.from_bytes(data[self.offset : self.offset + self.width], "little")

    def set(self, data: bytes, value: int) -> bytes:
        return (data[: self.offset] + value.to_bytes(self.width, "little")
                + data[self.offset + self.width :])


def zip_size_fields(data: bytes) -> list[ZipField]:
    """Every size, length, count and offset field of an archive as zipfile writes one
    (no comment): in the end record, the ZIP64 end record and its locator, each central
    directory entry and each local header, ZIP64 extra fields included."""
    end = len(data) - 22
    fields = [ZipField(f"end record: {what}", end + at, width) for what, at, width in (
        ("entries on this disk", 8, 2), ("entries", 10, 2), ("directory size", 12, 4),
        ("directory offset", 16, 4), ("comment length", 20, 2))]
    directory = fields[3].get(data)
    if data[end - 20 : end - 16] == b"PK\x06\x07":  # a ZIP64 locator, then the record
        record = end - 20 - 56
        fields += [ZipField("ZIP64 locator: end record offset", end - 12, 8),
                   ZipField("ZIP64 locator: disks", end - 4, 4)]
        fields += [ZipField(f"ZIP64 end record: {what}", record + at, 8) for what, at in (
            ("record size", 4), ("entries on this disk", 24), ("entries", 32),
            ("directory size", 40), ("directory offset", 48))]
        directory = fields[-1].get(data)
    at = directory
    while data[at : at + 4] == b"PK\x01\x02":
        name_len, extra_len, comment_len = struct.unpack_from("<3H", data, at + 28)
        name = data[at + 46 : at + 46 + name_len].decode()
        entry = [ZipField(f"{name} directory entry: {what}", at + off, width)
                 for what, off, width in (
                     ("compressed size", 20, 4), ("size", 24, 4), ("name length", 28, 2),
                     ("extra length", 30, 2), ("comment length", 32, 2),
                     ("local header offset", 42, 4))]
        present = [f.what.rsplit(": ", 1)[1] for f in (entry[1], entry[0], entry[5])
                   if f.get(data) == 0xFFFFFFFF]  # ZIP64 values come in this order
        entry += _zip64_extra(data, at + 46 + name_len, extra_len, f"{name} directory entry",
                              present)
        local = entry[5].get(data)
        if local == 0xFFFFFFFF:
            local = entry[-1].get(data)
        fields += entry + _local_header_fields(data, local, name)
        at += 46 + name_len + extra_len + comment_len
    return fields


def _local_header_fields(data: bytes, at: int, name: str) -> list[ZipField]:
    name_len, extra_len = struct.unpack_from("<2H", data, at + 26)
    fields = [ZipField(f"{name} local header: {what}", at + off, width) for what, off, width in (
        ("compressed size", 18, 4), ("size", 22, 4), ("name length", 26, 2),
        ("extra length", 28, 2))]
    return fields + _zip64_extra(data, at + 30 + name_len, extra_len, f"{name} local header",
                                 ["size", "compressed size"])


def _zip64_extra(data: bytes, at: int, length: int, where: str,
                 present: list[str]) -> list[ZipField]:
    """The fields of the extra blocks at ``data[at : at + length]``; ``present``: the
    values a ZIP64 block holds there."""
    fields = []
    end = at + length
    while at + 4 <= end:
        tag, size = struct.unpack_from("<2H", data, at)
        fields.append(ZipField(f"{where}: extra block {tag:#06x} length", at + 2, 2))
        if tag == 0x0001:
            fields += [ZipField(f"{where}: ZIP64 {what}", at + 4 + 8 * i, 8)
                       for i, what in enumerate(present[: size // 8])]
        at += 4 + size
    return fields
