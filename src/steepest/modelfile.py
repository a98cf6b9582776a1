"""Saving and loading networks as ``.npz`` files: no pickle, atomic writes.

A model file is an uncompressed NumPy ``.npz`` archive holding

* ``meta``: a JSON document (stored as a 0-d unicode array) with
  ``format`` (``"steepest-model"``), ``version`` (:data:`FORMAT_VERSION`),
  ``sizes``, ``activations``, ``init``, ``dtype`` and free-form ``info``
  (training config, history summary, package version, ...);
* ``W0, b0, W1, b1, ...``: the weights and biases, rows-are-examples layout
  (``W`` is ``(n_in, n_out)``).

As in Nielsen's ``network2.save``, the architecture is stored beside the
weights, so a file is enough to rebuild the network.  It is read with
``allow_pickle=False``: opening a model file can never run code.  Writes go
to a temporary file in the same directory and are renamed into place, so a
crash never leaves a half-written model where a good one was.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from .network import Network

FORMAT = "steepest-model"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """A file that is not a readable steepest model; the message says why."""


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``.

    ``os.replace`` is atomic on POSIX and Windows: readers see the old file or
    the new one, never a partial one.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_arrays(path: str | os.PathLike, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Atomically write ``arrays`` and a JSON ``meta`` document as an ``.npz``."""
    buf = io.BytesIO()
    np.savez(buf, meta=np.array(json.dumps(meta, sort_keys=True)), **arrays)
    atomic_write_bytes(path, buf.getvalue())


def load_arrays(
    path: str | os.PathLike, expected_format: str
) -> tuple[dict, dict[str, np.ndarray]]:
    """Read an ``.npz`` written by :func:`save_arrays`; check its format and version.

    Raises:
        ModelFileError: one line naming the file and the problem.
    """
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a model file") from None
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        # np.load raises OSError/ValueError for non-npz data, BadZipFile or
        # EOFError for a truncated archive, ValueError when pickle would be needed.
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ModelFileError(f"{path}: not a readable {expected_format} file ({reason})") from None
    if "meta" not in arrays or arrays["meta"].dtype.kind != "U" or arrays["meta"].ndim != 0:
        raise ModelFileError(f"{path}: not a {expected_format} file (no metadata)")
    try:
        meta = json.loads(str(arrays.pop("meta")))
    except json.JSONDecodeError as exc:
        raise ModelFileError(f"{path}: corrupt metadata ({exc.msg})") from None
    if not isinstance(meta, dict) or meta.get("format") != expected_format:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ModelFileError(f"{path}: not a {expected_format} file (format {found!r})")
    version = meta.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: format version {version!r} is newer than this steepest reads "
            f"(up to {FORMAT_VERSION}); upgrade steepest"
        )
    return meta, arrays


def save_model(path: str | os.PathLike, network: Network, info: dict | None = None) -> None:
    """Save ``network`` (architecture and weights) and ``info`` to ``path``, atomically.

    >>> import tempfile, os
    >>> net = Network((4, 3, 2), rng=np.random.default_rng(0))
    >>> path = os.path.join(tempfile.mkdtemp(), "m.npz")
    >>> save_model(path, net, {"note": "demo"})
    >>> loaded, info = load_model(path)
    >>> info["note"], all((a == b).all() for a, b in zip(net.get_weights(), loaded.get_weights()))
    ('demo', True)
    """
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "sizes": list(network.sizes),
        "activations": network.activations,
        "init": network.init,
        "dtype": network.dtype.name,
        "info": info or {},
    }
    arrays = {}
    for i, layer in enumerate(network.layers):
        arrays[f"W{i}"] = layer.W.value
        arrays[f"b{i}"] = layer.b.value
    save_arrays(path, arrays, meta)


def network_from_arrays(meta: dict, arrays: dict[str, np.ndarray], source: str) -> Network:
    """Rebuild a :class:`Network` from a model file's metadata and arrays."""
    try:
        sizes = [int(s) for s in meta["sizes"]]
        activations = list(meta["activations"])
        dtype = np.dtype(meta.get("dtype", "float32"))
        if activations[-1] != "softmax" or len(activations) != len(sizes) - 1:
            raise ValueError(f"activations {activations!r} do not fit sizes {sizes!r}")
        net = Network(
            sizes, activation=activations[:-1], init=meta.get("init", "normal"),
            rng=np.random.default_rng(0), dtype=dtype,
        )
        weights = []
        for i in range(len(sizes) - 1):
            weights += [arrays[f"W{i}"], arrays[f"b{i}"]]
        for a in weights:
            if a.dtype.kind != "f" or not np.all(np.isfinite(a)):
                raise ValueError("weights must be finite floats")
        net.set_weights(weights)
    except KeyError as exc:
        raise ModelFileError(f"{source}: damaged model file (missing {exc.args[0]})") from None
    except (TypeError, ValueError, IndexError) as exc:
        raise ModelFileError(f"{source}: damaged model file ({exc})") from None
    return net


def load_model(path: str | os.PathLike) -> tuple[Network, dict]:
    """Load a network saved by :func:`save_model`.

    Returns:
        ``(network, info)``.

    Raises:
        ModelFileError: for a missing, truncated or foreign file, or a newer
            format version; the message is one line naming the file.
    """
    meta, arrays = load_arrays(path, FORMAT)
    return network_from_arrays(meta, arrays, str(path)), meta.get("info", {})
