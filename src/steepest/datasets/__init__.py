"""Datasets: an IDX reader and MNIST, bundled so everything works offline."""

from . import mnist
from .idx import read_idx, write_idx

__all__ = ["mnist", "read_idx", "write_idx"]
