"""The house style and the plumbing: a fresh Agg figure, fonts, saving as PNG or SVG."""

from __future__ import annotations

import functools
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..modelfile import atomic_write_bytes

if TYPE_CHECKING:  # only for type hints: importing this module must not load matplotlib
    from matplotlib.figure import Figure



#: File formats :func:`save` writes, by file suffix.
FORMATS = {".png": "png", ".svg": "svg"}

#: Resolution of PNG files, dots per inch (figures are sized in inches).
PNG_DPI = 150

#: Font sizes and the like, applied while a figure is built and while it is saved.
STYLE = {
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "figure.titlesize": 14,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "steepest",  # the same figure gives the same SVG bytes
    "image.interpolation": "nearest",  # pixels stay pixels
}


# ---------------------------------------------------------------------------
# Infrastructure: a fresh Agg figure, the house style, saving.


def _drawing(func: Callable[..., Figure]) -> Callable[..., Figure]:
    """Run a figure-building function inside :data:`STYLE` (fonts are fixed at creation)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        import matplotlib

        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)

    return wrapper


def new_figure(width: float, height: float) -> Figure:
    """A blank figure of ``width`` x ``height`` inches on an Agg canvas, constrained layout.

    Parameters
    ----------
    width : float
        inches.
    height : float
        inches.

    Returns
    -------
    Figure
        A :class:`matplotlib.figure.Figure` not registered with ``pyplot``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_format(path: str | os.PathLike) -> str:
    """``"png"`` or ``"svg"``, from the suffix of ``path``.

    Raises
    ------
    ValueError
        for any other suffix, naming it.

    Examples
    --------
    >>> figure_format("weights.SVG")
    'svg'
    """
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"{path}: cannot write a figure as {suffix or 'a file without a suffix'!r}; "
            f"use {' or '.join(FORMATS)}"
        )
    return FORMATS[suffix]


def save(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` to ``path`` as PNG or SVG (chosen by the suffix), atomically.

    The figure is rendered in memory first and then renamed into place, so a
    reader never sees half a file and a failed render leaves no file behind.

    Parameters
    ----------
    fig : Figure
        the figure.
    path : str or os.PathLike
        where to write; the suffix ``.png`` or ``.svg`` picks the format.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    ValueError
        for an unknown suffix or a directory that does not exist.
    """
    import matplotlib

    path = Path(path)
    fmt = figure_format(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ValueError(f"{path}: directory {str(parent)!r} does not exist")
    buf = io.BytesIO()
    # No creation date or software version in the file: the same figure, the same bytes.
    metadata = {"Date": None} if fmt == "svg" else {"Software": None}
    with matplotlib.rc_context(STYLE):
        fig.savefig(buf, format=fmt, dpi=PNG_DPI, metadata=metadata, facecolor="white")
    atomic_write_bytes(path, buf.getvalue())
    return path
