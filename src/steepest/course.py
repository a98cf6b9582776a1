"""The course notebooks, copied out of the package into a folder the learner owns.

The notebooks ship inside steepest (``steepest/notebooks/*.ipynb``, package
data), so ``pip install steepest`` brings the course without the repository.
:func:`copy_course` copies them into a folder and never overwrites a learner's
work: it keeps a manifest, ``.steepest-course.json``, with the SHA-256 of each
notebook as it was copied, so that on a later run

* a notebook that is missing is copied (**copied**);
* a notebook still as it was copied, when steepest's version has changed, is
  replaced by the new one (**updated**);
* a notebook the learner edited is kept; if steepest's version has changed,
  the new one is written beside it, e.g. ``04-network.steepest-0.2.0.ipynb``
  (**kept your edits**);
* a notebook identical to steepest's is left alone (**up to date**).

Without a readable manifest, every notebook that differs from steepest's is
taken for the learner's edit.  Every file is written atomically, with the
user's umask (:func:`steepest.modelfile.atomic_write_bytes`).

>>> [n.name for n in packaged_notebooks()][:2]
['01-perceptron.ipynb', '02-activations.ipynb']
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .messages import one_line
from .modelfile import atomic_write_bytes

if TYPE_CHECKING:
    from importlib.abc import Traversable

#: The manifest's file name, inside the course folder.
MANIFEST = ".steepest-course.json"
FORMAT = "steepest-course"


@dataclass(frozen=True)
class Notebook:
    """One notebook as steepest ships it."""

    name: str  # e.g. "04-network.ipynb"
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def title(self) -> str:
        """The text of the first Markdown heading, e.g. ``"4. The network"``."""
        return notebook_title(self.data)


@dataclass(frozen=True)
class Copied:
    """What :func:`copy_course` did with one notebook."""

    name: str
    status: str  # "copied", "updated", "kept your edits" or "up to date"
    beside: str | None = None  # steepest's newer version, beside a notebook you edited
    new: bool = False  # ``beside`` was written by this run


@dataclass(frozen=True)
class CourseCopy:
    folder: Path
    notebooks: list[Copied]
    manifest_problem: str | None = None  # why an existing manifest could not be used


def notebook_source() -> Traversable:
    """Where the packaged notebooks are: inside the installed package, wherever it is."""
    return resources.files("steepest") / "notebooks"


def packaged_notebooks() -> list[Notebook]:
    """The course's notebooks, in order (their names start with their number)."""
    found = [Notebook(p.name, p.read_bytes()) for p in notebook_source().iterdir()
             if p.name.endswith(".ipynb")]
    return sorted(found, key=lambda n: n.name)


def notebook_title(data: bytes) -> str:
    """The first Markdown heading of a notebook, without its ``#`` marks ("" if none).

    >>> notebook_title(b'{"cells": [{"cell_type": "markdown", "source": ["# 1. Hi\\\\n", "x"]}]}')
    '1. Hi'
    """
    try:
        cells = json.loads(data).get("cells", [])
    except (ValueError, AttributeError):
        return ""
    for cell in cells:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            source = cell.get("source", "")
            text = "".join(source) if isinstance(source, list) else str(source)
            for line in text.splitlines():
                heading = re.match(r"#{1,6}\s+(.+)", line.strip())
                if heading:
                    return heading.group(1).strip()
    return ""


def course_folder(folder: str | os.PathLike) -> Path:
    """``folder`` as a Path; a ValueError if it is a file."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file, not a folder; name a folder for the notebooks")
    return folder


def copy_course(folder: str | os.PathLike) -> CourseCopy:
    """Copy the packaged notebooks into ``folder``, keeping every edit; see the module docstring.

    Parameters
    ----------
    folder : str or os.PathLike
        the course folder; created if missing.

    Raises
    ------
    ValueError
        ``folder`` is a file.
    OSError
        a file cannot be read or written.
    """
    folder = course_folder(folder)
    folder.mkdir(parents=True, exist_ok=True)
    entries, problem = read_manifest(folder / MANIFEST)
    before = json.dumps(entries, sort_keys=True)
    done = [_copy_one(folder, notebook, entries) for notebook in packaged_notebooks()]
    if problem is not None or json.dumps(entries, sort_keys=True) != before:
        # After the notebooks: if this run is cut short, the next one finds each
        # notebook it wrote identical to steepest's, "up to date".
        doc = {"format": FORMAT, "steepest": __version__, "notebooks": entries}
        atomic_write_bytes(folder / MANIFEST, (json.dumps(doc, indent=1, sort_keys=True)
                                               + "\n").encode())
    return CourseCopy(folder, done, problem)


def _copy_one(folder: Path, notebook: Notebook, entries: dict) -> Copied:
    """Bring one notebook up to date in ``folder``; record what was copied in ``entries``."""
    target = folder / notebook.name
    copied = {"sha256": notebook.sha256, "steepest": __version__}
    if not target.exists():
        atomic_write_bytes(target, notebook.data)
        entries[notebook.name] = copied
        return Copied(notebook.name, "copied")
    current = hashlib.sha256(target.read_bytes()).hexdigest()
    entry = entries.get(notebook.name, {})
    if current == notebook.sha256:
        entries[notebook.name] = copied
        return Copied(notebook.name, "up to date")
    if current == entry.get("sha256"):  # as it was copied: the learner did not edit it
        atomic_write_bytes(target, notebook.data)
        entries[notebook.name] = copied
        return Copied(notebook.name, "updated")
    # The learner's edits (or a notebook whose origin is unknown): never overwritten.
    if entry.get("sha256") == notebook.sha256:  # steepest's version is what they started from
        return Copied(notebook.name, "kept your edits")
    beside = entry.get("beside")
    if (beside is not None and entry.get("beside_sha256") == notebook.sha256
            and (folder / beside).is_file()):
        return Copied(notebook.name, "kept your edits", beside)  # offered on an earlier run
    beside, new = _beside(folder, notebook)
    entries[notebook.name] = {"sha256": entry.get("sha256"), "steepest": entry.get("steepest"),
                              "beside": beside, "beside_sha256": notebook.sha256}
    return Copied(notebook.name, "kept your edits", beside, new)


def _beside(folder: Path, notebook: Notebook) -> tuple[str, bool]:
    """Write ``notebook`` beside the learner's under a name no file has; (name, written).

    ``04-network.steepest-0.2.0.ipynb``, or ``...-2.ipynb`` if that name is taken
    by another file; a file there with the same content is used as it is.
    """
    stem = notebook.name.removesuffix(".ipynb")
    n = 1
    while True:
        name = f"{stem}.steepest-{__version__}{'' if n == 1 else f'-{n}'}.ipynb"
        path = folder / name
        if not path.exists():
            atomic_write_bytes(path, notebook.data)
            return name, True
        if path.is_file() and path.read_bytes() == notebook.data:
            return name, False
        n += 1


def read_manifest(path: Path) -> tuple[dict, str | None]:
    """The manifest's entries by notebook name, and why it is unusable (None if it is fine).

    A missing manifest is an empty one.  An unreadable or malformed one gives no
    entries, so that every notebook that differs from steepest's counts as edited.
    """
    try:
        doc = json.loads(path.read_bytes())
    except FileNotFoundError:
        return {}, None
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
        return {}, f"{path}: unreadable ({one_line(exc, 120)})"
    entries = doc.get("notebooks") if isinstance(doc, dict) else None
    if (not isinstance(doc, dict) or doc.get("format") != FORMAT
            or not isinstance(entries, dict)
            or not all(_valid_entry(e) for e in entries.values())):
        return {}, f"{path}: not a steepest course manifest"
    return entries, None


def _valid_entry(entry: object) -> bool:
    """An entry as :func:`_copy_one` writes it: SHA-256 hex digests (or null), a bare file name."""
    if not isinstance(entry, dict):
        return False
    hashes = (entry.get("sha256"), entry.get("beside_sha256"))
    beside = entry.get("beside")
    return (all(h is None or (isinstance(h, str) and re.fullmatch(r"[0-9a-f]{64}", h))
                for h in hashes)
            and (beside is None or (isinstance(beside, str) and beside.endswith(".ipynb")
                                    and Path(beside).name == beside)))
