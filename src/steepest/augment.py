"""Data augmentation: new handwriting from old, a fresh copy every epoch.

A digit stays the same digit when it is moved a pixel or two, turned a little,
drawn a bit larger or slanted, or when the pen wobbled.  Showing the network a
differently distorted copy of each training image in every epoch teaches it
those invariances.  For a plain 784-800-10 MLP, Simard, Steinkraus & Platt
(2003, "Best Practices for Convolutional Neural Networks Applied to Visual
Document Analysis", ICDAR, table 1) report 1.6 % test error on MNIST without
distortions, 1.1 % with affine ones and 0.7 % with elastic ones.

One displacement field, one resampling
--------------------------------------
Every transform here is a *pull-back*: output pixel ``p = (y, x)`` (row,
column) reads the input image at a source point ``s(p)``:

    out(p) = in(s(p))

with ``in`` continued by bilinear interpolation between pixels and by 0
(background) outside the image.  The three transforms compose into one ``s``:

1. **elastic** (Simard 2003, section 2): draw a random field ``U(p)`` with each
   of its two components uniform in [-1, 1] and independent per pixel, smooth
   it with a Gaussian of standard deviation ``sigma`` and scale it by
   ``alpha``:  ``d(p) = alpha * (G_sigma * U)(p)``.  Then ``q = p + d(p)``.
2. **affine**, about the image centre ``c``: the forward map that moves the ink
   is ``p -> A (p - c) + c + t`` with ``A = R(theta) S(scale) H(shear)``, so
   the pull-back inverts it: ``s = A^-1 (q - c - t) + c``.
3. **shift**: the translation ``t``, whole pixels in [-shift, shift].

So ``out = elastic(affine(in))``, each image is interpolated exactly once
(resampling twice would blur it twice), and every step is an array operation
on a few hundred images at once: no Python loop over images.

Smoothing in pure NumPy
-----------------------
A Gaussian is separable, ``G(y, x) = g(y) g(x)``, so smoothing an ``H x W``
field is one 1-D convolution down the columns and one along the rows.  A 1-D
convolution of a length-``n`` signal (edges mirrored, like
``scipy.ndimage.gaussian_filter(mode="reflect")``) is a linear map, an
``n x n`` matrix ``K``; hence ``G * U = K_H U K_W^T`` -- two matrix products
over the whole batch at BLAS speed (:func:`gaussian_matrix`).

Determinism
-----------
Images are augmented in fixed blocks of :data:`BLOCK` images; block ``b`` of
epoch ``e`` draws its randomness from ``np.random.default_rng([seed, e, b])``.
The augmented copy of epoch ``e`` therefore depends only on
``(x, config, seed, e)`` -- not on which thread made it, in what order, how
many BLAS threads ran, or whether the run was interrupted and resumed -- and
the same inputs give the same bytes.

>>> x = np.zeros((3, 28, 28), np.uint8); x[:, 10:18, 12:16] = 255
>>> xa = augmented_epoch(x, AugmentConfig(), seed=0, epoch=1)
>>> xa.shape, xa.dtype, bool((xa == augmented_epoch(x, AugmentConfig(), 0, 1)).all())
((3, 28, 28), dtype('uint8'), True)
"""

from __future__ import annotations

import itertools
import queue
import threading
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = [
    "BLOCK",
    "AugmentConfig",
    "AugmentedEpochs",
    "augment",
    "augmented_epoch",
    "bilinear_sample",
    "elastic_field",
    "gaussian_matrix",
    "random_affine",
    "smooth_field",
    "warp",
]

#: Images per unit of randomness (and per unit of work in the prefetcher).
#: Block ``b`` of epoch ``e`` uses ``default_rng([seed, e, b])``; changing this
#: constant changes the augmented bits, like changing the seed would.
BLOCK = 2000

#: Images warped at once inside :func:`augment`.  All randomness is drawn
#: first, so this does not change any bit; it only keeps each temporary array
#: around 1 MB, which fits in cache and is recycled by the memory allocator
#: (a 2,000-image temporary is 6-12 MB, freed to the OS and page-faulted back
#: on every use: 3x slower, measured).
CHUNK = 256


@dataclass(frozen=True)
class AugmentConfig:
    """Which distortions to apply, and how strong.  ``0`` or ``None`` turns one off.

    Every random quantity is drawn independently per image, uniformly in the
    stated range.  The defaults combine Simard et al.'s elastic distortion for
    MNIST (``alpha = 34``, ``sigma = 4`` at 28x28) with small shifts and a
    mild affine; ``AugmentConfig.off()`` is the identity.

    >>> AugmentConfig(rotation=0, scale=0, shear=0).enabled()
    ('shift', 'elastic')
    >>> AugmentConfig.off().enabled()
    ()
    """

    shift: int | None = 2  # max |translation| per axis, whole pixels: t ~ U{-shift..shift}
    rotation: float | None = 10.0  # max |angle| in degrees (positive = counter-clockwise)
    scale: float | None = 0.1  # zoom factor uniform in [1 - scale, 1 + scale]
    shear: float | None = 0.2  # horizontal shear x' = x + k y, k uniform in [-shear, shear]
    elastic_alpha: float | None = 34.0  # elastic strength: the smoothed field is scaled by alpha
    elastic_sigma: float = 4.0  # std (pixels) of the Gaussian smoothing the elastic field

    def __post_init__(self) -> None:
        def positive(name: str, upper: float = np.inf) -> None:
            v = getattr(self, name)
            if v is None:
                return
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise TypeError(f"{name} must be a number or None, got {v!r}")
            if not (np.isfinite(v) and 0 <= v < upper):
                raise ValueError(f"{name} must be in [0, {upper:g}) or None, got {v!r}")

        positive("shift", 28)
        if self.shift is not None and int(self.shift) != self.shift:
            raise ValueError(f"shift must be a whole number of pixels, got {self.shift!r}")
        positive("rotation", 180)
        positive("scale", 1)
        positive("shear")
        positive("elastic_alpha")
        positive("elastic_sigma")
        if self.elastic_alpha and not (self.elastic_sigma and self.elastic_sigma > 0):
            raise ValueError(f"elastic_sigma must be > 0, got {self.elastic_sigma!r}")

    @classmethod
    def off(cls) -> AugmentConfig:
        """The identity: every distortion disabled."""
        return cls(shift=0, rotation=0, scale=0, shear=0, elastic_alpha=0)

    def enabled(self) -> tuple[str, ...]:
        """Names of the distortions that are on: of shift, affine, elastic."""
        affine = bool(self.rotation) or bool(self.scale) or bool(self.shear)
        flags = {"shift": bool(self.shift), "affine": affine, "elastic": bool(self.elastic_alpha)}
        return tuple(name for name, on in flags.items() if on)


# ----------------------------------------------------------------------------
# The deterministic pieces: smoothing, sampling, warping.


def _reflect(index: np.ndarray, n: int) -> np.ndarray:
    """Fold integer positions onto 0..n-1 by mirroring at the edges (d c b a | a b c d | d c)."""
    m = np.mod(index, 2 * n)
    return np.where(m < n, m, 2 * n - 1 - m)


def gaussian_matrix(n: int, sigma: float, truncate: float = 4.0) -> np.ndarray:
    """The ``n x n`` matrix ``K`` of 1-D Gaussian smoothing with mirrored edges.

    ``(K @ v)[i] = sum_k g[k] v[reflect(i + k)]`` with
    ``g[k] = exp(-k^2 / (2 sigma^2)) / Z`` for ``|k| <= r = round(truncate sigma)``,
    normalised so that ``sum_k g[k] = 1`` (a constant signal is unchanged: every
    row of ``K`` sums to 1).  This is the convolution that
    ``scipy.ndimage.gaussian_filter1d(v, sigma, mode="reflect")`` computes,
    written as a matrix so that a whole batch is smoothed by one product.

    >>> K = gaussian_matrix(28, 4.0)
    >>> K.shape, np.allclose(K.sum(axis=1), 1), np.allclose(K @ np.ones(28), 1)
    ((28, 28), True, True)
    """
    radius = int(truncate * sigma + 0.5)
    k = np.arange(-radius, radius + 1)  # (2r+1,) kernel offsets
    g = np.exp(-0.5 * (k / sigma) ** 2)
    g /= g.sum()  # (2r+1,) weights summing to 1
    rows = np.repeat(np.arange(n), k.size)  # (n (2r+1),) output position i
    cols = _reflect(rows + np.tile(k, n), n)  # (n (2r+1),) input position read
    K = np.zeros((n, n))
    np.add.at(K, (rows, cols), np.tile(g, n))  # mirrored taps can land twice: accumulate
    return K  # (n, n)


def elastic_field(
    rng: np.random.Generator, n: int, shape: tuple[int, int], alpha: float, sigma: float
) -> np.ndarray:
    """Simard et al.'s random displacement fields, shape ``(n, 2, H, W)`` float32.

    ``d = alpha * K_H U K_W^T`` with ``U`` uniform in [-1, 1], independently for
    every image, component (row ``dy`` = ``[:, 0]``, column ``dx`` = ``[:, 1]``)
    and pixel, and ``K`` the Gaussian smoothing matrix of :func:`gaussian_matrix`.
    Each displacement has mean 0 and variance
    ``alpha^2 / 3 * (sum_k K_H[i, k]^2) * (sum_l K_W[j, l]^2)`` -- about
    (1.4 px)^2 for ``alpha = 34``, ``sigma = 4``.  Small ``sigma`` gives
    nearly independent, shredding displacements; large ``sigma`` a nearly
    uniform shift.

    >>> d = elastic_field(np.random.default_rng(0), 500, (28, 28), 34.0, 4.0)
    >>> d.shape, d.dtype, abs(float(d.mean())) < 0.05, 1.0 < float(d.std()) < 2.0
    ((500, 2, 28, 28), dtype('float32'), True, True)
    """
    h, w = shape
    u = rng.random((n, 2, h, w), dtype=np.float32)  # (n, 2, H, W) in [0, 1)
    return smooth_field(u, alpha, sigma)


def smooth_field(u: np.ndarray, alpha: float, sigma: float) -> np.ndarray:
    """Turn uniform [0, 1) noise ``(n, 2, H, W)`` into displacements ``alpha K_H (2u-1) K_W^T``.

    The deterministic half of :func:`elastic_field`; float32 in, float32 out.

    A constant field stays constant (every row of ``K`` sums to 1):

    >>> d = smooth_field(np.full((1, 2, 5, 5), 0.75, np.float32), alpha=2.0, sigma=1.0)
    >>> bool(np.allclose(d, 2.0 * (2 * 0.75 - 1)))
    True
    """
    _, _, h, w = u.shape
    u = 2 * u - 1  # uniform in [-1, 1)
    k_h = (alpha * gaussian_matrix(h, sigma)).astype(np.float32)  # (H, H), alpha folded in
    k_w = gaussian_matrix(w, sigma).astype(np.float32)  # (W, W)
    d = u @ k_w.T  # (n, 2, H, W): smooth along each row (x direction)
    return np.matmul(k_h, d)  # (n, 2, H, W): then down each column (y direction)


def bilinear_sample(images: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Read ``images`` at real-valued points, by bilinear interpolation.

    With ``y0 = floor(y)``, ``fy = y - y0`` (likewise ``x0``, ``fx``) and ``v``
    the four neighbouring pixels,

        top    = v[y0,   x0] + fx (v[y0,   x0+1] - v[y0,   x0])
        bottom = v[y0+1, x0] + fx (v[y0+1, x0+1] - v[y0+1, x0])
        out    = top + fy (bottom - top)

    Pixels outside the image count as 0 (MNIST's background).  At integer
    points ``fx = fy = 0`` and the pixel is returned exactly.

    Parameters
    ----------
    images : ndarray
        ``(B, H, W)`` images (any real dtype; computed in float32).
    ys, xs : ndarray
        ``(B, H', W')`` row and column of each point to read in image ``b``.

    Returns
    -------
    ndarray
        ``(B, H', W')`` float32.

    Examples
    --------
    >>> img = np.arange(4, dtype=np.float32).reshape(1, 2, 2)  # [[0, 1], [2, 3]]
    >>> bilinear_sample(img, np.array([[[0.5, 0.0, -1.0]]]), np.array([[[0.5, 0.25, 0.0]]]))
    array([[[1.5 , 0.25, 0.  ]]], dtype=float32)
    """
    b, h, w = images.shape
    padded = np.zeros((b, h + 2, w + 2), np.float32)  # (B, H+2, W+2): a ring of background
    padded[:, 1:-1, 1:-1] = images
    # Coordinates in the padded image, clipped into it: anything beyond the ring
    # reads the ring's zeros.  Capping y0 at H keeps y0 + 1 inside the padding.
    yp = np.clip(np.asarray(ys, np.float32) + 1, 0, h + 1)  # (B, H', W')
    xp = np.clip(np.asarray(xs, np.float32) + 1, 0, w + 1)
    y0 = np.minimum(np.floor(yp), h)
    x0 = np.minimum(np.floor(xp), w)
    fy, fx = yp - y0, xp - x0  # (B, H', W') fractions in [0, 1]
    stride = w + 2
    # Flat index of the top-left neighbour in image b.  Float32 arithmetic is
    # exact for integers below 2^24 and 4x faster here than int64; one cast at the end.
    assert padded.size < 2**24, "a block is too large for float32 index arithmetic"
    top_left = y0 * np.float32(stride) + x0  # (B, H', W')
    top_left += (np.arange(b, dtype=np.float32) * ((h + 2) * stride)).reshape(b, 1, 1)
    top_left = top_left.astype(np.intp)
    flat = padded.reshape(-1)
    v00, v01 = flat[top_left], flat[top_left + 1]
    v10, v11 = flat[top_left + stride], flat[top_left + stride + 1]
    top = v00 + fx * (v01 - v00)
    bottom = v10 + fx * (v11 - v10)
    return top + fy * (bottom - top)  # (B, H', W') float32


def warp(
    images: np.ndarray,
    matrices: np.ndarray | None = None,
    translations: np.ndarray | None = None,
    displacements: np.ndarray | None = None,
) -> np.ndarray:
    """Apply given affine maps and displacement fields; one resampling per image.

    Output pixel ``p = (y, x)`` reads the input at
    ``s = A^-1 (p + d(p) - c - t) + c``, ``c = ((H-1)/2, (W-1)/2)`` the centre,
    i.e. the ink is moved by ``p -> A (p - c) + c + t`` and then displaced
    elastically by ``d``.  Everything is in (row, column) order.

    A shift of the ink one pixel to the right:

    Parameters
    ----------
    images : ndarray
        ``(B, H, W)``.
    matrices : ndarray or None
        ``(B, 2, 2)`` forward linear maps ``A`` on (y, x), or None for I.
    translations : ndarray or None
        ``(B, 2)`` shifts ``t = (ty, tx)`` of the ink, or None.
    displacements : ndarray or None
        ``(B, 2, H, W)`` fields ``d = (dy, dx)``, or None.

    Returns
    -------
    ndarray
        ``(B, H, W)`` float32, in the input's units.

    Examples
    --------
    >>> img = np.zeros((1, 3, 3)); img[0, 1, 1] = 1
    >>> warp(img, translations=np.array([[0.0, 1.0]]))[0]
    array([[0., 0., 0.],
           [0., 0., 1.],
           [0., 0., 0.]], dtype=float32)
    """
    b, h, w = images.shape
    cy, cx = (h - 1) / 2, (w - 1) / 2
    ys, xs = np.meshgrid(
        np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij"
    )  # (H, W) each: the output grid p
    ys = np.broadcast_to(ys - cy, (b, h, w))  # (B, H, W): p - c
    xs = np.broadcast_to(xs - cx, (b, h, w))
    if displacements is not None:
        ys = ys + displacements[:, 0]  # (B, H, W): q - c = p + d(p) - c
        xs = xs + displacements[:, 1]
    if translations is not None:
        t = np.asarray(translations, np.float32)
        ys = ys - t[:, 0, None, None]  # q - c - t
        xs = xs - t[:, 1, None, None]
    if matrices is not None:
        inv = np.linalg.inv(np.asarray(matrices, np.float64)).astype(np.float32)  # (B, 2, 2)
        a, bb = inv[:, 0, 0, None, None], inv[:, 0, 1, None, None]
        cc, dd = inv[:, 1, 0, None, None], inv[:, 1, 1, None, None]
        ys, xs = a * ys + bb * xs, cc * ys + dd * xs  # (B, H, W): A^-1 (q - c - t)
    return bilinear_sample(images, ys + cy, xs + cx)


# ----------------------------------------------------------------------------
# The random pieces.


def random_affine(
    rng: np.random.Generator, n: int, config: AugmentConfig
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Draw ``n`` forward affine maps ``A = R(theta) S(s) H(k)`` and shifts ``t``.

    In (row y, column x) coordinates, with y pointing down the screen::

        R = [[cos theta, -sin theta],    S = [[s, 0],    H = [[1, 0],
             [sin theta,  cos theta]]         [0, s]]         [k, 1]]

    ``R`` turns the ink counter-clockwise on screen by ``theta``, ``S`` zooms it
    by ``s`` and ``H`` slants it (``x' = x + k y``).

    Returns
    -------
    tuple[ndarray or None, ndarray or None]
        ``(matrices (n, 2, 2) or None, translations (n, 2) or None)``; None
        where the config disables that part, and nothing is drawn for it.

    Examples
    --------
    >>> A, t = random_affine(np.random.default_rng(0), 4, AugmentConfig(scale=0, shear=0))
    >>> A.shape, t.shape, np.allclose(np.linalg.det(A), 1)
    ((4, 2, 2), (4, 2), True)
    """
    t = None
    if config.shift:
        most = int(config.shift)
        t = rng.integers(-most, most, size=(n, 2), endpoint=True)
        t = t.astype(np.float32)  # (n, 2): (ty, tx)
    if not (config.rotation or config.scale or config.shear):
        return None, t
    theta = np.deg2rad(rng.uniform(-1, 1, n) * (config.rotation or 0.0))  # (n,)
    s = 1 + rng.uniform(-1, 1, n) * (config.scale or 0.0)  # (n,)
    k = rng.uniform(-1, 1, n) * (config.shear or 0.0)  # (n,)
    cos, sin = np.cos(theta), np.sin(theta)
    # A = R S H multiplied out: R S = s R, and R [[1, 0], [k, 1]] adds k times
    # R's second column to its first.
    A = np.empty((n, 2, 2))
    A[:, 0, 0] = s * (cos - k * sin)
    A[:, 0, 1] = -s * sin
    A[:, 1, 0] = s * (sin + k * cos)
    A[:, 1, 1] = s * cos
    return A, t


def _to_output(values: np.ndarray, scale: float, dtype: np.dtype) -> np.ndarray:
    """float32 pixels in the input's units -> ``dtype`` (uint8 0..255 or float 0..1)."""
    if dtype == np.uint8:
        if scale != 1:
            values *= np.float32(scale)
        np.rint(values, out=values)
        np.clip(values, 0, 255, out=values)  # bilinear never overshoots; float input may
        return values.astype(np.uint8)
    if scale != 1:
        values *= np.float32(scale)
    return values.astype(dtype, copy=False)


def _out_scale(in_dtype: np.dtype, out_dtype: np.dtype) -> float:
    """Factor from input units to output units: uint8 is 0..255, floats 0..1."""
    if (in_dtype == np.uint8) == (out_dtype == np.uint8):
        return 1.0
    return 255.0 if out_dtype == np.uint8 else 1 / 255


def augment(
    images: np.ndarray,
    config: AugmentConfig,
    rng: np.random.Generator,
    dtype: npt.DTypeLike = None,
) -> np.ndarray:
    """Randomly distort a batch of images: one draw per image, one resampling.

    Draws (in this order, each only when enabled) shifts, affine parameters and
    elastic fields from ``rng``, composes them (:func:`warp`) and samples.

    Parameters
    ----------
    images : ndarray
        ``(B, H, W)`` uint8 pixels 0..255 or floats in [0, 1].
    config : AugmentConfig
        what to apply.
    rng : np.random.Generator
        the only source of randomness.
    dtype : npt.DTypeLike
        output dtype, ``np.uint8`` (0..255) or a float dtype ([0, 1]);
        default: the input's.

    Returns
    -------
    ndarray
        ``(B, H, W)`` of ``dtype``.

    Examples
    --------
    >>> x = np.zeros((2, 28, 28), np.uint8); x[:, 8:20, 13:15] = 255  # two "1"s
    >>> out = augment(x, AugmentConfig(), np.random.default_rng(0), dtype=np.float32)
    >>> out.shape, out.dtype, 0 <= float(out.min()) <= float(out.max()) <= 1
    ((2, 28, 28), dtype('float32'), True)
    """
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W), got {images.shape}")
    out_dtype = np.dtype(images.dtype if dtype is None else dtype)
    if out_dtype != np.uint8 and out_dtype.kind != "f":
        raise ValueError(f"dtype must be uint8 or a float dtype, got {out_dtype}")
    n, h, w = images.shape
    scale = _out_scale(images.dtype, out_dtype)
    matrices, translations = random_affine(rng, n, config)
    noise = None
    if config.elastic_alpha:
        noise = rng.random((n, 2, h, w), dtype=np.float32)  # as elastic_field draws it
    if matrices is None and translations is None and noise is None:  # the identity
        return _to_output(images.astype(np.float32), scale, out_dtype)
    out = np.empty((n, h, w), out_dtype)
    for lo in range(0, n, CHUNK):  # (CHUNK, H, W) at a time: temporaries stay in cache
        part = slice(lo, lo + CHUNK)
        field = None
        if noise is not None:
            field = smooth_field(noise[part], config.elastic_alpha, config.elastic_sigma)
        m = None if matrices is None else matrices[part]
        t = None if translations is None else translations[part]
        warped = warp(images[part], m, t, field)
        out[part] = _to_output(warped, scale, out_dtype)
    return out


def _check_seed(seed: int, epoch: int) -> None:
    for name, v in (("seed", seed), ("epoch", epoch)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be a non-negative int, got {v!r}")


def _augment_block(
    x: np.ndarray, config: AugmentConfig, seed: int, epoch: int, block: int, out: np.ndarray
) -> None:
    """Fill ``out[block * BLOCK : ...]`` with block ``block`` of epoch ``epoch``."""
    lo, hi = block * BLOCK, min((block + 1) * BLOCK, x.shape[0])
    rng = np.random.default_rng([seed, epoch, block])
    out[lo:hi] = augment(x[lo:hi], config, rng, dtype=out.dtype)


def _as_images(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"expected images of shape (N, H, W), got {x.shape}")
    return x


def augmented_epoch(
    x: np.ndarray,
    config: AugmentConfig,
    seed: int,
    epoch: int,
    dtype: npt.DTypeLike = np.uint8,
) -> np.ndarray:
    """The augmented training images of epoch ``epoch``, computed here and now.

    A pure function of ``(x, config, seed, epoch)``: block ``b`` of
    :data:`BLOCK` images uses ``np.random.default_rng([seed, epoch, b])``.
    :class:`AugmentedEpochs` produces the same arrays in a background thread.

    Parameters
    ----------
    x : ndarray
        ``(N, H, W)`` uint8 (0..255) or float (0..1) images; row ``i`` of the
        result is a distortion of row ``i`` (the order is kept, so labels
        still match and shuffling stays the training loop's job).
    config : AugmentConfig
        what to apply.
    seed, epoch : int
        non-negative ints.
    dtype : npt.DTypeLike
        ``np.uint8`` (default: 1 byte a pixel, 47 MB for MNIST) or float32.

    Examples
    --------
    >>> x = np.zeros((5, 28, 28), np.uint8); x[:, 6:22, 10:18] = 200
    >>> a = augmented_epoch(x, AugmentConfig(), seed=7, epoch=3)
    >>> bool((a == augmented_epoch(x, AugmentConfig(), 7, 3)).all())
    True
    >>> bool((a == augmented_epoch(x, AugmentConfig(), 7, 4)).all())
    False
    """
    x = _as_images(x)
    _check_seed(seed, epoch)
    out = np.empty(x.shape, np.dtype(dtype))
    for block in range(-(-x.shape[0] // BLOCK)):
        _augment_block(x, config, seed, epoch, block, out)
    return out


# ----------------------------------------------------------------------------
# The prefetcher: epoch k+1 is distorted while epoch k trains.

_DONE = object()  # queued by the worker after its last epoch


def _produce(
    x: np.ndarray,
    config: AugmentConfig,
    seed: int,
    epochs: Iterable[int],
    dtype: np.dtype,
    ready: queue.Queue,
    slots: threading.Semaphore,
    stop: threading.Event,
) -> None:
    """Worker thread: put ``(epoch, images)`` for each epoch on ``ready``, in order.

    Before starting an epoch it takes one of ``slots`` (the consumer gives it
    back on taking an epoch), so with one slot it makes epoch ``k+1`` while
    the consumer trains on epoch ``k``, then rests.  Works block by block,
    checking ``stop`` between blocks; NumPy releases the GIL inside each large
    operation, so the training thread keeps running.  Holds no reference to
    the :class:`AugmentedEpochs` object, so that object can be
    garbage-collected (and its finaliser stop this thread).
    """
    try:
        n_blocks = -(-x.shape[0] // BLOCK)
        for epoch in epochs:
            while not slots.acquire(timeout=0.05):  # wait for room, or for stop
                if stop.is_set():
                    return
            out = np.empty(x.shape, dtype)  # a fresh array: the consumer owns the last one
            for block in range(n_blocks):
                if stop.is_set():
                    return
                _augment_block(x, config, seed, epoch, block, out)
            ready.put((epoch, out))
        ready.put(_DONE)
    except BaseException as exc:  # hand the error to the consumer instead of dying silently
        ready.put(exc)


def _shutdown(stop: threading.Event, thread: threading.Thread) -> None:
    stop.set()
    if thread.is_alive() and thread is not threading.current_thread():
        thread.join()


class AugmentedEpochs:
    """Augmented copies of ``x``, one per epoch, made ahead in a background thread.

    While the training loop works on epoch ``k``, a worker thread computes
    epoch ``k+1`` (and up to ``ahead`` epochs in all), then waits until
    epoch ``k+1`` is taken.  Epoch ``e`` is
    bit-identical to ``augmented_epoch(x, config, seed, e, dtype)`` whatever
    the thread timing.

    Use it as an iterator of ``(epoch, images)`` pairs, or call it with an epoch
    number -- the form ``steepest.training.train(epoch_data=...)`` takes.
    Epochs asked for out of order (e.g. when resuming) restart the worker
    there.  Close it (or use ``with``) to stop the thread; the thread is also a
    daemon and stops when this object is garbage-collected.

    Parameters
    ----------
    x : ndarray
        ``(N, H, W)`` training images, uint8 or float; not copied, not modified.
    config : AugmentConfig
        what to apply.
    seed : int
        with the epoch number, the only source of randomness.
    start_epoch : int
        first epoch to produce.
    stop_epoch : int or None
        produce epochs ``start_epoch .. stop_epoch - 1``; None: no end.
    dtype : npt.DTypeLike
        of the produced arrays, uint8 (default) or float32.
    ahead : int
        epochs made ahead of the one being used, at most (each costs
        ``x.size`` bytes as uint8: 47 MB for MNIST).

    Examples
    --------
    >>> x = np.zeros((10, 28, 28), np.uint8); x[:, 6:22, 12:16] = 255
    >>> with AugmentedEpochs(x, AugmentConfig(), seed=0, start_epoch=1, stop_epoch=3) as aug:
    ...     [(e, bool((a == augmented_epoch(x, AugmentConfig(), 0, e)).all())) for e, a in aug]
    [(1, True), (2, True)]
    """

    def __init__(
        self,
        x: np.ndarray,
        config: AugmentConfig,
        seed: int,
        *,
        start_epoch: int = 1,
        stop_epoch: int | None = None,
        dtype: npt.DTypeLike = np.uint8,
        ahead: int = 1,
    ) -> None:
        self.x = _as_images(x)
        _check_seed(seed, start_epoch)
        if not isinstance(ahead, int) or ahead < 1:
            raise ValueError(f"ahead must be a positive int, got {ahead!r}")
        self.config, self.seed, self.dtype = config, seed, np.dtype(dtype)
        self.stop_epoch, self.ahead = stop_epoch, ahead
        self._finalizer: weakref.finalize | None = None
        self._start(start_epoch)

    def _start(self, epoch: int) -> None:
        _check_seed(self.seed, epoch)
        self._next = epoch  # the epoch the queue's head will hold
        self._ready: queue.Queue = queue.Queue()
        self._slots = threading.Semaphore(self.ahead)
        self._stop = threading.Event()
        stop = self.stop_epoch
        epochs = itertools.count(epoch) if stop is None else range(epoch, stop)
        args = (self.x, self.config, self.seed, epochs, self.dtype)
        self._thread = threading.Thread(
            target=_produce,
            args=(*args, self._ready, self._slots, self._stop),
            name=f"steepest-augment-{epoch}",
            daemon=True,  # never keeps the interpreter alive
        )
        self._thread.start()
        self._finalizer = weakref.finalize(self, _shutdown, self._stop, self._thread)

    def close(self) -> None:
        """Stop and join the worker thread; safe to call more than once."""
        if self._finalizer is not None:
            self._finalizer()  # runs _shutdown once

    def __enter__(self) -> AugmentedEpochs:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _take(self) -> tuple[int, np.ndarray] | None:
        if not self._finalizer.alive:
            raise RuntimeError("AugmentedEpochs is closed")
        while True:
            try:
                item = self._ready.get(timeout=0.1)
                break
            except queue.Empty:
                if not self._thread.is_alive() and self._ready.empty():
                    raise RuntimeError("augmentation worker stopped unexpectedly") from None
        if item is _DONE:
            self._ready.put(_DONE)  # stay exhausted
            return None
        if isinstance(item, BaseException):
            raise RuntimeError("augmentation worker failed") from item
        self._slots.release()  # room for the worker's next epoch
        self._next = item[0] + 1
        return item

    def __call__(self, epoch: int) -> np.ndarray:
        """The augmented images of ``epoch``; waits for the worker if it is behind."""
        if not self._finalizer.alive:
            raise RuntimeError("AugmentedEpochs is closed")
        if epoch != self._next:
            self.close()
            self._start(epoch)
        item = self._take()
        if item is None:
            raise IndexError(f"epoch {epoch} is past stop_epoch={self.stop_epoch}")
        return item[1]

    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        while (item := self._take()) is not None:
            yield item
