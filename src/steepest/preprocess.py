"""Turn a digit a person drew into a 28x28 image the way MNIST's were made.

LeCun et al. describe MNIST's preparation: the original black-and-white
digits were size-normalised to fit a 20x20 box, keeping their aspect ratio
(anti-aliasing makes grey levels), then centred in a 28x28 image by their
centre of mass.  A network trained on MNIST expects exactly that, so a photo
or a canvas drawing goes through the same steps:

1. grayscale, floats in [0, 1];
2. make the ink bright on a dark background (invert a dark-on-light image,
   judged by the border, which is mostly background);
3. crop to the bounding box of the ink;
4. scale so the longer side is 20 pixels, keeping the aspect ratio;
5. paste into 28x28 so the centre of mass lands on the centre.

One implementation serves ``steepest predict`` and the web lab alike.
"""

from __future__ import annotations

import os
import warnings

import numpy as np
from PIL import Image, UnidentifiedImageError

#: Pixels brighter than this fraction of the brightest are "ink" for cropping.
INK_LEVEL = 0.1

#: Where the centre of mass goes, in 0-based pixel coordinates.  Measured on
#: MNIST's first 5,000 training digits: mean (row, col) = (13.99, 14.00).
CENTRE = 14


#: The largest image read, in pixels per side.  A digit needs far fewer (MNIST's
#: are 28x28; the web lab takes drawings up to 1024x1024) and a phone photo fits,
#: while a limit keeps memory bounded whatever the file: a 250 KB PNG can declare
#: 15000x15000 pixels.  Reading and preprocessing a 4096x4096 RGBA PNG peaks at
#: 280 MB (measured, Python included).
MAX_SIDE = 4096

#: What counts as no ink at all: the brightest ink, after the background level
#: is removed, is at most this (on the [0, 1] scale).
BLANK_LEVEL = 1e-6


def load_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file (PNG, JPEG, ...) as grayscale floats in [0, 1], shape (H, W).

    Transparent pixels are composited onto white, which is how a drawing with a
    transparent background looks on screen.  The size is read from the file's
    header before anything is decoded: an image wider or taller than
    :data:`MAX_SIDE` pixels is refused, whatever its size on disk.

    Raises
    ------
    ValueError
        naming the file when it is missing, not an image, or too large.
    """
    too_large = f"{path}: image too large; steepest reads images up to {MAX_SIDE}x{MAX_SIDE} pixels"
    try:
        with warnings.catch_warnings():
            # Pillow warns about (and above twice that, refuses) images over 89
            # million pixels; MAX_SIDE is far stricter, so its warning is noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)  # reads the header only
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not an image") from None
    except Image.DecompressionBombError:
        raise ValueError(too_large) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValueError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
    with img:
        if max(img.size) > MAX_SIDE:
            raise ValueError(f"{too_large} (this one is {img.width}x{img.height})")
        try:
            gray = _grayscale(img)
        except MemoryError:
            raise
        except Exception as exc:  # a damaged file can fail in any of Pillow's decoders
            raise ValueError(f"{path}: not a readable image ({exc.__class__.__name__})") from None
    return np.asarray(gray, dtype=np.float32) / 255


def _grayscale(img: Image.Image) -> Image.Image:
    """Decode ``img`` as 8-bit grayscale, transparent pixels composited onto white."""
    img.load()
    if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
        # Gray level, then over white: the same as compositing each colour channel
        # (luminance is linear in R, G, B), in a quarter of the memory.
        gray, alpha = img.convert("LA").split()
        return Image.composite(gray, Image.new("L", img.size, 255), alpha)
    return img.convert("L")


def _check_pixels(image: np.ndarray) -> np.ndarray:
    """``image`` as float32 in [0, 1] (uint8 is scaled), or a ValueError."""
    a = np.asarray(image)
    if a.ndim != 2 or min(a.shape) < 1:
        raise ValueError(f"expected a 2-D grayscale image, got shape {a.shape}")
    a = a.astype(np.float32) / 255 if a.dtype == np.uint8 else a.astype(np.float32, copy=False)
    if not np.all(np.isfinite(a)) or a.min() < 0 or a.max() > 1:
        raise ValueError("pixel values must be finite and in [0, 1]")
    return a


def _ink(a: np.ndarray) -> np.ndarray:
    """Ink as bright on a zero background: polarity by the border, paper level removed."""
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    background = float(np.median(border))  # the border is mostly background
    ink = 1 - a if background > 0.5 else a.copy()  # MNIST's background is 0
    ink -= min(background, 1 - background)  # remove a grey (paper) background level
    return np.clip(ink, 0, None, out=ink)


def is_blank(image: np.ndarray) -> bool:
    """Whether ``image`` has no ink: the one rule for ``steepest predict`` and the web lab.

    Ink is what differs from the background (judged by the border, as in
    :func:`to_mnist`); an image is blank when no pixel differs by more than
    :data:`BLANK_LEVEL`.  A blank white page, a black canvas and an even grey
    are all blank.  The rule gives the same answer before and after
    :func:`to_mnist` (which turns a blank image into zeros).

    Parameters
    ----------
    image : ndarray
        (H, W) floats in [0, 1] (or uint8 0-255).

    Raises
    ------
    ValueError
        for an array that is not a 2-D image in [0, 1].

    Examples
    --------
    >>> is_blank(np.zeros((28, 28))), is_blank(np.full((50, 40), 0.8))
    (True, True)
    >>> img = np.zeros((28, 28)); img[10:18, 13:15] = 1
    >>> is_blank(img), is_blank(to_mnist(img))
    (False, False)
    """
    return float(_ink(_check_pixels(image)).max()) <= BLANK_LEVEL


def to_mnist(image: np.ndarray) -> np.ndarray:
    """Preprocess a grayscale image to MNIST form.

    Parameters
    ----------
    image : ndarray
        (H, W) floats in [0, 1] (or uint8 0-255), dark-on-light or
        light-on-dark, any size.

    Returns
    -------
    ndarray
        (28, 28) float32 in [0, 1], bright ink on black, digit fit into 20x20
        and centred by mass.  A blank image (see :func:`is_blank`) gives all zeros.

    Examples
    --------
    >>> img = np.ones((100, 60), np.float32); img[20:80, 25:35] = 0  # a dark "1"
    >>> out = to_mnist(img)
    >>> centre = np.argwhere(out > 0.5).mean(axis=0).round()
    >>> out.shape, round(float(out.max()), 2), centre.tolist()
    ((28, 28), 1.0, [14.0, 14.0])
    """
    # 1-2. floats in [0, 1]; polarity by the border, background level removed.
    ink = _ink(_check_pixels(image))
    peak = float(ink.max())
    if peak <= BLANK_LEVEL:  # blank (see is_blank)
        return np.zeros((28, 28), np.float32)
    ink /= peak  # full ink = 1, like MNIST's 255

    # 3. crop to the ink.
    rows = np.flatnonzero((ink > INK_LEVEL).any(axis=1))
    cols = np.flatnonzero((ink > INK_LEVEL).any(axis=0))
    ink = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    # 4. longer side -> 20 px, aspect kept.  Pillow's LANCZOS filter anti-aliases
    # when shrinking, which gives the grey edges MNIST's digits have.
    h, w = ink.shape
    scale = 20 / max(h, w)
    new_h, new_w = max(1, round(h * scale)), max(1, round(w * scale))
    small = Image.fromarray(ink, mode="F").resize((new_w, new_h), Image.Resampling.LANCZOS)
    digit = np.clip(np.asarray(small, dtype=np.float32), 0, 1)

    # 5. centre of mass of the 20x20-fit digit -> pixel (14, 14) of the 28x28 field.
    total = digit.sum()
    cy = float((digit.sum(axis=1) * np.arange(new_h)).sum() / total)
    cx = float((digit.sum(axis=0) * np.arange(new_w)).sum() / total)
    top = int(round(CENTRE - cy))  # row cy of the digit lands on row CENTRE
    left = int(round(CENTRE - cx))
    out = np.zeros((28, 28), np.float32)
    # Paste with clipping, in case the centre of mass sits far off-centre.
    y0, x0 = max(top, 0), max(left, 0)
    y1, x1 = min(top + new_h, 28), min(left + new_w, 28)
    out[y0:y1, x0:x1] = digit[y0 - top : y1 - top, x0 - left : x1 - left]
    return out


def preprocess_file(path: str | os.PathLike) -> np.ndarray:
    """:func:`load_image` then :func:`to_mnist`: (28, 28) float32 in [0, 1]."""
    return to_mnist(load_image(path))
