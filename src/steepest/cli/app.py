"""The ``steepest`` command group, its one-line errors and small shared helpers.

User errors (bad files, bad flags, a diverging run) print one line on
stderr and exit with status 1 (2 for a malformed command line); set
``STEEPEST_DEBUG=1`` to see the traceback instead.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
import numpy as np

from .. import __version__


class UserError(click.ClickException):
    """One line on stderr, exit status 1."""

    def show(self, file=None) -> None:
        click.echo(f"steepest: error: {self.format_message()}", err=True)


class Steepest(click.Group):
    """A click group that turns library errors about user input into one line."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:  # a malformed command line: one line, exit 2
            hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx else ""
            click.echo(f"steepest: error: {exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("steepest: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)  # --help and --version return 0

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (ValueError, OSError, ArithmeticError) as exc:
            if os.environ.get("STEEPEST_DEBUG"):
                raise
            message = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise UserError(message) from None
        except MemoryError:
            raise UserError("out of memory; try a smaller batch or network") from None


def parse_ints(value: str, what: str) -> tuple[int, ...]:
    """``"800,800"`` -> ``(800, 800)``; ``""`` -> ``()``."""
    value = value.strip()
    if not value:
        return ()
    try:
        ints = tuple(int(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        raise click.BadParameter(f"{what} must be comma-separated ints, got {value!r}") from None
    if any(v < 1 for v in ints):
        raise click.BadParameter(f"{what} must be positive, got {value!r}")
    return ints


def parse_floats(value: str, what: str) -> tuple[float, ...]:
    try:
        floats = tuple(float(v) for v in value.replace(" ", "").split(","))
    except ValueError:
        raise click.BadParameter(f"{what} must be comma-separated numbers, got {value!r}") from None
    if not all(np.isfinite(floats)):
        raise click.BadParameter(f"{what} must be finite, got {value!r}")
    return floats


def install_hint(extra: str) -> str:
    """The pip command that adds steepest's ``extra`` to *this* installation.

    * Installed editable from a checkout (the README's ``python -m pip install -e .``),
      or imported from a checkout's ``src``: ``python -m pip install -e ".[extra]"``,
      the README's form, with the checkout's path unless it is the current directory.
    * Installed any other way (a wheel, a git URL, a folder): the extra's own
      requirements, from the installed metadata, e.g.
      ``python -m pip install "matplotlib>=3.6"``.

    Never ``pip install 'steepest[extra]'``: that looks for steepest on a package
    index, which is not where this one came from.
    """
    from importlib.metadata import distributions

    dists = list(distributions(name="steepest"))
    checkout = _editable_checkout(dists) or _source_checkout()
    if checkout is not None:
        try:
            here = checkout.resolve() == Path.cwd().resolve()
        except OSError:  # the current directory was removed
            here = False
        return f'python -m pip install -e "{"." if here else checkout}[{extra}]"'
    requirements = next((r for r in (_extra_requirements(d, extra) for d in dists) if r), [])
    if requirements:
        return "python -m pip install " + " ".join(f'"{r}"' for r in requirements)
    return f"install the packages of steepest's {extra!r} extra (see its pyproject.toml)"


def _editable_checkout(dists) -> Path | None:
    """The checkout of an editable install, from the installer's record (PEP 610)."""
    import json
    from urllib.parse import unquote, urlparse

    # A build's own steepest.egg-info (e.g. in src/, seen first when src is on
    # PYTHONPATH) has no record, so look past it.
    record = next((r for r in (d.read_text("direct_url.json") for d in dists) if r), "{}")
    try:
        origin = json.loads(record)
    except ValueError:
        return None
    if not isinstance(origin, dict) or not isinstance(origin.get("dir_info"), dict):
        return None
    url = origin.get("url", "")
    if isinstance(url, str) and url.startswith("file://") and origin["dir_info"].get("editable"):
        return Path(unquote(urlparse(url).path))
    return None


def _source_checkout() -> Path | None:
    """The checkout steepest is imported from (``ROOT/src/steepest``), if it is one."""
    package = Path(__file__).resolve().parents[1]  # .../src/steepest
    root = package.parent.parent
    if package.parent.name == "src" and (root / "pyproject.toml").is_file():
        return root
    return None


def _extra_requirements(dist, extra: str) -> list[str]:
    """``["matplotlib>=3.6"]``: what ``dist``'s metadata requires for ``extra``."""
    import re

    wanted = re.compile(r"""\bextra\s*==\s*["']""" + re.escape(extra) + r"""["']""")
    found = []
    for requirement in dist.requires or ():
        spec, _, marker = requirement.partition(";")
        if wanted.search(marker):
            found.append(spec.strip())
    return found


def writable_file(path: str | os.PathLike) -> Path:
    """Check, before any work is done, that ``path`` can be written at the end.

    Creates the parent directories and a scratch file beside ``path`` (removed
    at once), so a long run cannot end in "permission denied".
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"cannot write {path}: it is a directory")
    writable_dir(path.parent if str(path.parent) else Path("."))
    return path


def writable_dir(path: str | os.PathLike) -> Path:
    """Create directory ``path`` if needed and check that files can be written into it."""
    import tempfile

    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, scratch = tempfile.mkstemp(prefix=".steepest-check-", dir=path)
        os.close(fd)
        os.unlink(scratch)
    except OSError as exc:
        raise ValueError(f"cannot write into {path}: {exc.strerror or exc}") from None
    return path


def load_dataset(data: str | None):
    from ..datasets import mnist

    return mnist.load_data(data)


@click.group(cls=Steepest, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="steepest")
def main() -> None:
    """steepest: neural networks trained by gradient descent, from the perceptron to MNIST."""
