"""The ``steepest`` command line: it presents, the library computes.

One module per group of commands; importing them registers them on :data:`main`.
User errors print one line on stderr (see :mod:`steepest.cli.app`).
"""

from . import basics, course, export, ladder, plot, serve, sweep, train  # noqa: F401  (each registers its commands)
from .app import main
from .train import read_config_file

__all__ = ["main", "read_config_file"]
