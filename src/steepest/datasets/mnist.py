"""MNIST, bundled: 60,000 training and 10,000 test images of handwritten digits.

The four original IDX files (Y. LeCun, C. Cortes, C. J. C. Burges; CC BY-SA 3.0)
ship inside the package, gzip-compressed, so nothing is downloaded, ever.
They are checked against the SHA-256 sums of the original distribution each
time they are read.

>>> (x_train, y_train), (x_test, y_test) = load_data()
>>> x_train.shape, x_train.dtype, y_train.shape, x_test.shape, y_test.shape
((60000, 28, 28), dtype('uint8'), (60000,), (10000, 28, 28), (10000,))
"""

from __future__ import annotations

import functools
import hashlib
import os
from importlib import resources
from pathlib import Path

import numpy as np

from ..losses import one_hot, to_categorical
from .idx import parse_idx, read_bytes

__all__ = ["load_data", "one_hot", "to_categorical", "FILES", "SHA256", "data_dir"]

#: The four files, by role.  A directory given to :func:`load_data` must hold
#: these names, gzip-compressed or not (``.gz`` is optional), as Fashion-MNIST
#: and KMNIST do.
FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

#: SHA-256 of each decompressed file, as published with MNIST.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}

NUM_CLASSES = 10


def data_dir() -> Path:
    """Directory of the bundled ``.gz`` files inside the installed package.

    Returns
    -------
    pathlib.Path
        The folder holding the four files of :data:`FILES`, gzip-compressed.
    """
    return Path(str(resources.files("steepest.datasets") / "data"))


def _find(directory: Path, name: str) -> Path:
    for candidate in (directory / (name + ".gz"), directory / name):
        if candidate.is_file():
            return candidate
    raise ValueError(f"{directory}: missing {name}(.gz)")


def _read(path: Path, verify: bool) -> np.ndarray:
    data = read_bytes(path)
    if verify:
        digest = hashlib.sha256(data).hexdigest()
        expected = SHA256[path.name.removesuffix(".gz")]
        if digest != expected:
            raise ValueError(
                f"{path}: checksum mismatch (sha256 {digest[:16]}..., expected "
                f"{expected[:16]}...): the bundled file is damaged; reinstall steepest"
            )
    return parse_idx(data, str(path))


def _check_pair(x: np.ndarray, y: np.ndarray, x_path: Path, y_path: Path) -> None:
    if x.ndim != 3 or x.dtype != np.uint8:
        raise ValueError(
            f"{x_path}: expected uint8 images (N, rows, cols), got {x.dtype} {x.shape}"
        )
    if y.ndim != 1 or y.dtype != np.uint8:
        raise ValueError(f"{y_path}: expected uint8 labels (N,), got {y.dtype} {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{x_path.parent}: {x.shape[0]:,} images in {x_path.name} but "
            f"{y.shape[0]:,} labels in {y_path.name}"
        )
    if y.size and y.max() >= NUM_CLASSES:
        bad = sorted(set(y[y >= NUM_CLASSES].tolist()))[:5]
        raise ValueError(f"{y_path}: labels must be 0-9, found {bad}")


@functools.lru_cache(maxsize=4)
def _load(directory: str, verify: bool):
    d = Path(directory)
    if not d.is_dir():
        raise ValueError(f"{d}: no such directory")
    paths = {role: _find(d, name) for role, name in FILES.items()}
    arrays = {role: _read(p, verify) for role, p in paths.items()}
    for split in ("train", "test"):
        _check_pair(
            arrays[f"x_{split}"], arrays[f"y_{split}"], paths[f"x_{split}"], paths[f"y_{split}"]
        )
    if arrays["x_train"].shape[1:] != arrays["x_test"].shape[1:]:
        raise ValueError(
            f"{d}: training images are {arrays['x_train'].shape[1:]} "
            f"but test images are {arrays['x_test'].shape[1:]}"
        )
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_data(
    path: str | os.PathLike | None = None,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST (or an MNIST-format dataset) as uint8 arrays, like Keras.

    Parameters
    ----------
    path : str or os.PathLike or None, default None
        A directory holding the four IDX files named in :data:`FILES`
        (gzip or raw).  ``None`` reads the bundled MNIST and verifies its
        checksums.

    Returns
    -------
    tuple[tuple[ndarray, ndarray], tuple[ndarray, ndarray]]
        ``(x_train, y_train), (x_test, y_test)``:

        * ``x_train``: uint8 ``(60000, 28, 28)``, 0 = background, 255 = ink
        * ``y_train``: uint8 ``(60000,)``, digits 0-9
        * ``x_test``: uint8 ``(10000, 28, 28)``
        * ``y_test``: uint8 ``(10000,)``

        The arrays are read-only views shared between calls; copy to modify.

    Raises
    ------
    ValueError
        Naming the file, for a missing file, bad IDX data, a
        checksum mismatch, labels outside 0-9 or image/label count mismatch.
    """
    if path is None:
        return _load(str(data_dir()), True)
    return _load(str(Path(path).resolve()), False)
