"""Saving and loading networks as ``.npz`` files: no pickle, atomic writes.

A model file is an uncompressed NumPy ``.npz`` archive holding

* ``meta``: a JSON document (stored as a 0-d unicode array) with
  ``format`` (``"steepest-model"``), ``version`` (:data:`FORMAT_VERSION`),
  ``sizes``, ``activations``, ``init``, ``dtype`` and free-form ``info``
  (training config, history summary, package version, ...);
* ``W0, b0, W1, b1, ...``: the weights and biases, rows-are-examples layout
  (``W`` is ``(n_in, n_out)``).

As in Nielsen's ``network2.save``, the architecture is stored beside the
weights, so a file is enough to rebuild the network.  It is read by
:func:`steepest.npzfile.read_npz`, without pickle: opening a model file can
never run code, nor allocate more memory than the file holds, and any
problem with it is one :class:`ModelFileError`.  Writes go to a temporary
file in the same directory (with the user's umask) and are renamed into
place, so a crash never leaves a half-written model where a good one was.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from .messages import one_line
from .network import Network
from .npzfile import NotNpzError, NpzError, read_npz

#: The ``format`` a model file's metadata names.
FORMAT = "steepest-model"
#: The newest ``version`` of the model file this steepest writes and reads; a file of a
#: newer version is refused with "upgrade steepest" (checkpoints share the numbering).
FORMAT_VERSION = 1

#: What each format is called in messages.
KINDS = {"steepest-model": "steepest model file (.npz)",
         "steepest-checkpoint": "steepest checkpoint"}

#: Float types a model's weights may have (float32 to train, float64 for gradient checks).
DTYPES = ("float32", "float64")


class ModelFileError(ValueError):
    """A file that is not a readable steepest model; the message says why."""


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and ``os.replace``.

    ``os.replace`` is atomic on POSIX and Windows: readers see the old file or
    the new one, never a partial one.  The temporary file is created with mode
    0o666, which the kernel masks with the user's umask, as for any file a
    program creates (``tempfile.mkstemp`` would make it 0o600).

    Parameters
    ----------
    path : str or os.PathLike
        Where the file ends up; its directory must exist.
    data : bytes
        The file's whole content.

    Raises
    ------
    OSError
        The directory cannot be written; no temporary file is left behind.  The
        error (of the same type, with the same errno) names ``path``, never the
        temporary file.
    """
    try:
        _write_then_replace(Path(path), data)
    except OSError as exc:  # it names the temporary file next to path: name path itself
        if exc.errno is None:
            raise OSError(f"cannot write {os.fspath(path)}: {exc}") from None
        raise type(exc)(exc.errno, exc.strerror, os.fspath(path)) from None


def _write_then_replace(path: Path, data: bytes) -> None:
    """:func:`atomic_write_bytes`' work: the temporary file, written, then renamed to ``path``."""
    directory = path.parent if str(path.parent) else Path(".")
    while True:
        tmp = directory / f".{path.name}.{secrets.token_hex(4)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:  # another writer's temporary file: pick another name
            continue
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
    """Atomically write ``arrays`` and a JSON ``meta`` document as an uncompressed ``.npz``.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write (see :func:`atomic_write_bytes`).
    arrays : dict of str to numpy.ndarray
        The arrays, stored under their names (none may be called ``meta``).
    meta : dict
        A JSON document (strict: no NaN or infinity), stored as the 0-d unicode
        array ``meta``.
    """
    buf = io.BytesIO()
    # Strict JSON (no NaN or Infinity), which any JSON reader takes.
    np.savez(buf, meta=np.array(json.dumps(meta, sort_keys=True, allow_nan=False)), **arrays)
    atomic_write_bytes(path, buf.getvalue())


def short_repr(value: object, limit: int = 40) -> str:
    """``repr(value)``, cut to ``limit`` characters: a damaged file can hold anything.

    Parameters
    ----------
    value : object
        Whatever a file held.
    limit : int, default 40
        The most characters returned, ``...`` included.

    Returns
    -------
    str
        The repr, whole or cut short with ``...``.

    Examples
    --------
    >>> short_repr("x" * 100, limit=10)
    "'xxxxxx..."
    """
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@contextlib.contextmanager
def reading(source: str, problem: str) -> Iterator[None]:
    """Turn any failure in the block into ``ModelFileError("{source}: {problem} (why)")``.

    Checking a file's content calls code (``int()``, dict lookups, ``Network``)
    that fails in many ways on damaged input; each failure is the file's, so
    each becomes one line.  MemoryError is the machine's limit, not the file's,
    and passes (so does KeyboardInterrupt, which is no Exception).

    Parameters
    ----------
    source : str
        The file's name, first in the message.
    problem : str
        What is wrong, e.g. ``"damaged model file"``.

    Yields
    ------
    None
        Nothing: the block runs, and its failures become one line.

    Raises
    ------
    ModelFileError
        For any Exception in the block (a KeyError names the missing key).

    Examples
    --------
    >>> with reading("m.npz", "damaged model file"):
    ...     sizes = {"activations": ["softmax"]}["sizes"]
    Traceback (most recent call last):
    ...
    steepest.modelfile.ModelFileError: m.npz: damaged model file (missing sizes)
    """
    try:
        yield
    except (ModelFileError, MemoryError):
        raise
    except KeyError as exc:
        raise ModelFileError(f"{source}: {problem} (missing {exc.args[0]})") from None
    except Exception as exc:
        raise ModelFileError(f"{source}: {problem} ({one_line(exc, 160)})") from None


def load_arrays(
    path: str | os.PathLike | io.BytesIO, expected_format: str
) -> tuple[dict, dict[str, np.ndarray]]:
    """Read an ``.npz`` written by :func:`save_arrays`; check its format and version.

    The archive is read by :func:`steepest.npzfile.read_npz`: never pickle, and
    no array larger than the file.

    Parameters
    ----------
    path : str, os.PathLike or io.BytesIO
        The file.
    expected_format : str
        The ``format`` its metadata must name: ``"steepest-model"`` or
        ``"steepest-checkpoint"`` (a key of :data:`KINDS`).

    Returns
    -------
    meta : dict
        The JSON metadata, of a known format and a version up to
        :data:`FORMAT_VERSION`.
    arrays : dict of str to numpy.ndarray
        Every other array, by name, not yet checked against ``meta``.

    Raises
    ------
    ModelFileError
        One line naming the file and the problem.
    """
    kind = KINDS[expected_format]
    try:
        arrays = read_npz(path)
    except FileNotFoundError:
        raise ModelFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ModelFileError(f"{path}: is a directory, not a {kind}") from None
    except NotNpzError:
        raise ModelFileError(f"{path} is not a {kind}") from None
    except NpzError as exc:
        raise ModelFileError(f"{path}: not a readable {kind}: {exc}") from None
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    meta_array = arrays.pop("meta", None)
    if meta_array is None or meta_array.dtype.kind != "U" or meta_array.ndim != 0:
        raise ModelFileError(f"{path} is not a {kind} (no steepest metadata)")
    with reading(str(path), f"damaged {kind}: corrupt metadata"):
        meta = json.loads(str(meta_array))
    found = meta.get("format") if isinstance(meta, dict) else None
    if found != expected_format:
        known = isinstance(found, str) and found in KINDS
        what = f"; it is a {KINDS[found]}" if known else f" (format {short_repr(found)})"
        raise ModelFileError(f"{path} is not a {kind}{what}")
    version = meta.get("version")
    if type(version) is not int or version < 1:
        raise ModelFileError(f"{path}: damaged {kind}: format version {short_repr(version)}")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{path}: format version {version!r} is newer than this steepest reads "
            f"(up to {FORMAT_VERSION}); upgrade steepest"
        )
    return meta, arrays


def layer_arrays(
    arrays: dict[str, np.ndarray], sizes: tuple[int, ...] | list[int], dtype: np.dtype
) -> list[np.ndarray]:
    """``[W0, b0, W1, b1, ...]`` for a network of ``sizes``, checked and cast to ``dtype``.

    Each array must have its layer's shape and hold finite floats (also after
    the cast: float64's 1e300 is float32's inf).  Call this before building
    a network: then the file's metadata cannot make steepest allocate more
    than the file itself holds.

    Parameters
    ----------
    arrays : dict of str to numpy.ndarray
        The file's arrays, ``W0, b0, ...`` among them.
    sizes : tuple of int or list of int
        Units per layer, input first; layer ``i``'s ``W`` is
        ``(sizes[i], sizes[i + 1])``, its ``b`` ``(sizes[i + 1],)``.
    dtype : numpy.dtype
        The float type to cast to.

    Returns
    -------
    list of numpy.ndarray
        The weights and biases in layer order, as :meth:`Network.set_weights` takes them.

    Raises
    ------
    KeyError
        A missing array.
    ValueError
        A wrong shape, type or value, naming the array.

    Examples
    --------
    >>> arrays = {"W0": np.ones((2, 3)), "b0": np.zeros(3)}
    >>> [a.shape for a in layer_arrays(arrays, (2, 3), np.dtype(np.float32))]
    [(2, 3), (3,)]
    >>> layer_arrays({"W0": np.ones((3, 2)), "b0": np.zeros(3)}, (2, 3), np.dtype(np.float32))
    Traceback (most recent call last):
    ...
    ValueError: W0: expected shape (2, 3), got (3, 2)
    """
    if len(sizes) < 2 or not all(type(n) is int and n >= 1 for n in sizes):
        raise ValueError(f"layer sizes must be at least two positive ints, "
                         f"got {short_repr(sizes)}")
    out = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        for name, shape in ((f"W{i}", (n_in, n_out)), (f"b{i}", (n_out,))):
            a = arrays[name]
            if a.shape != shape:
                raise ValueError(f"{name}: expected shape {shape}, got {a.shape}")
            if a.dtype.kind != "f":
                raise ValueError(f"{name}: weights must be finite floats, not {a.dtype}")
            with np.errstate(over="ignore", invalid="ignore"):  # checked on the next line
                a = a.astype(dtype)
            if not np.isfinite(a).all():
                raise ValueError(f"{name}: weights must be finite floats as {dtype}")
            out.append(a)
    return out


def save_model(path: str | os.PathLike, network: Network, info: dict | None = None) -> None:
    """Save ``network`` (architecture and weights) and ``info`` to ``path``, atomically.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.npz`` file to write; a file already there is replaced only once
        the new one is complete.
    network : Network
        The network: its sizes, activations, initialisation, dtype and weights.
    info : dict or None, default None
        Anything JSON can hold (steepest train's config, history and scores),
        given back by :func:`load_model`.

    Examples
    --------
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
    """Rebuild a :class:`Network` from a model file's metadata and arrays.

    Parameters
    ----------
    meta : dict
        The metadata, as :func:`load_arrays` returns it (``sizes``,
        ``activations``, ``init``, ``dtype``).
    arrays : dict of str to numpy.ndarray
        The weights and biases ``W0, b0, ...``.
    source : str
        The file's name, for messages.

    Returns
    -------
    Network
        The network, its weights those of the file, cast to its ``dtype``.

    Raises
    ------
    ModelFileError
        For metadata or arrays that do not describe a network.
    """
    with reading(source, "damaged model file"):
        sizes = meta["sizes"]
        activations = meta["activations"]
        if not isinstance(sizes, list) or not isinstance(activations, list):
            raise ValueError("sizes and activations must be lists")
        if meta.get("dtype", "float32") not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, "
                             f"not {short_repr(meta['dtype'])}")
        if not isinstance(meta.get("init", "normal"), str):
            raise ValueError(f"init must be a name, not {short_repr(meta['init'])}")
        dtype = np.dtype(meta.get("dtype", "float32"))
        if activations[-1:] != ["softmax"] or len(activations) != len(sizes) - 1:
            raise ValueError(f"activations {short_repr(activations)} do not fit "
                             f"sizes {short_repr(sizes)}")
        weights = layer_arrays(arrays, sizes, dtype)  # before Network allocates anything
        net = Network(
            sizes, activation=activations[:-1], init=meta.get("init", "normal"),
            rng=np.random.default_rng(0), dtype=dtype,
        )
        net.set_weights(weights)
    return net


def load_model(path: str | os.PathLike | io.BytesIO) -> tuple[Network, dict]:
    """Load a network saved by :func:`save_model`.

    Parameters
    ----------
    path : str, os.PathLike or io.BytesIO
        The model file.

    Returns
    -------
    network : Network
        The network, ready to :meth:`~Network.forward`.
    info : dict
        The ``info`` it was saved with (``{}`` if none).

    Raises
    ------
    ModelFileError
        For a missing, truncated, damaged or foreign file, or a newer format
        version; the message is one line naming the file.
    """
    meta, arrays = load_arrays(path, FORMAT)
    info = meta.get("info", {})
    if not isinstance(info, dict):
        raise ModelFileError(f"{path}: damaged model file (info is not a JSON object)")
    return network_from_arrays(meta, arrays, str(path)), info
