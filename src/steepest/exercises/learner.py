"""Your functions from earlier notebooks, brought into a later one -- each checked first.

The course builds one network across several notebooks: ``sigmoid`` and
``softmax`` in notebook 2, ``forward`` in 4, ``backward`` in 7, the training
loop in 8.  Each notebook runs in its own kernel, so a later notebook reads
the earlier ones' "Your turn" cells from their files (the cells tagged
``exercise``; save the notebook first) and runs them, with the notebooks'
import lines, in one namespace -- the same way for everyone.  Then every
function is checked by its checker, in the course's order.  A function that is
not written yet, or that fails its check, is replaced by steepest's reference
solution (so that the notebook still runs), and the report says which.

Only cells tagged ``exercise`` are run: everything your function needs must be
in its own cell (or imported).  The files are the learner's own notebooks in
the course folder; nothing else is executed.
"""

from __future__ import annotations

import ast
import html
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import solutions
from .catalogue import EXERCISES


@dataclass(frozen=True)
class Source:
    """Where one function came from, and why."""

    name: str
    notebook: str  # the file its exercise is in
    yours: bool  # True: the learner's, checked; False: steepest's reference solution
    reason: str  # the check's message, or why the reference is used


class Yours:
    """The functions :func:`yours` loaded, in the order asked for, with where each came from.

    Unpack it (``sigmoid, softmax = yours("sigmoid", "softmax")``) or use
    attributes (``mine.forward``); Jupyter shows it as a table.
    """

    def __init__(self, functions: dict, sources: list[Source]) -> None:
        self._functions = functions
        self.sources = sources

    def __iter__(self):
        return iter(self._functions.values())

    def __len__(self) -> int:
        return len(self._functions)

    def __getattr__(self, name: str):
        try:
            return self.__dict__["_functions"][name]
        except KeyError:
            raise AttributeError(f"no function {name!r} here; loaded: "
                                 f"{', '.join(self.__dict__.get('_functions', {}))}") from None

    def __str__(self) -> str:
        return "\n".join(f"{'yours    ' if s.yours else 'steepest '} {s.name:<20} "
                         f"{s.notebook:<26} {s.reason}" for s in self.sources)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td><code>{html.escape(s.name)}</code></td><td>{html.escape(s.notebook)}</td>"
            f"<td>{'✓ yours' if s.yours else 'steepest’s'}</td>"
            f"<td style='text-align:left'>{html.escape(s.reason)}</td></tr>"
            for s in self.sources)
        return ("<table><thead><tr><th>function</th><th>notebook</th><th>used</th>"
                f"<th style='text-align:left'>why</th></tr></thead><tbody>{rows}</tbody></table>")


def _exercise_cells(path: Path) -> tuple[list[str], dict[str, str]]:
    """A notebook's import lines and its exercise cells' sources, by exercise name."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    imports, cells = [], {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = "".join(cell.get("source", []))
        name = cell.get("metadata", {}).get("steepest", {}).get("exercise")
        if name:
            cells[name] = source
            continue
        code = "\n".join(line for line in source.splitlines()  # IPython's %magics are not Python
                         if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue
        imports += [ast.unparse(node) for node in tree.body
                    if isinstance(node, (ast.Import, ast.ImportFrom))]
    return imports, cells


def _notebooks(folder: Path) -> dict[int, Path]:
    return {int(p.name[:2]): p for p in sorted(folder.glob("[0-9][0-9]-*.ipynb"))}


def yours(*names: str | Callable, folder: str | os.PathLike | None = None) -> Yours:
    """Load the learner's functions ``names`` from the course notebooks in ``folder``.

    A function instead of a name (``yours(sgd_step)``) is the learner's
    function from this very notebook: it is checked as it is, not read from
    a file, and kept if it passes.

    Parameters
    ----------
    *names : str or Callable
        exercise names, e.g. ``"sigmoid", "softmax"``, or functions
        named after their exercise.
    folder : str or os.PathLike or None
        the course folder (default: the current directory, which in
        Jupyter is the notebook's own folder).

    Returns
    -------
    Yours
        A :class:`Yours`: the functions in the order asked for, each the
        learner's when it passes its check and steepest's reference solution
        otherwise, and a report of which is which.

    Raises
    ------
    ValueError
        a name that is not an exercise.
    """
    given = {n.__name__: n for n in names if callable(n)}  # the learner's, from this kernel
    names = tuple(getattr(n, "__name__", n) for n in names)
    unknown = [n for n in names if n not in EXERCISES]
    if unknown:
        raise ValueError(f"no exercise {unknown[0]!r}; the exercises are: {', '.join(EXERCISES)}")
    if len(given) == len(names):
        return _checked(given)
    folder = Path.cwd() if folder is None else Path(folder)
    files = _notebooks(folder)
    last = max(EXERCISES[n].notebook for n in names)
    namespace, written = _run_cells([files[n] for n in sorted(files) if n <= last], skip=given)
    for name, fn in given.items():
        namespace[name], written[name] = fn, ("this notebook", None)
    sources = {}
    for name, exercise in EXERCISES.items():  # in order: later ones use the earlier ones
        if exercise.notebook > last:
            break
        notebook, error = written.get(name, (None, None))
        if notebook is None:
            expected = files.get(exercise.notebook)
            notebook = expected.name if expected else f"{exercise.notebook:02d}-…"
            error = (f"no exercise cell for {name} in {expected.name}" if expected else
                     f"notebook {exercise.notebook:02d} is not in {folder}")
        sources[name] = _keep_or_replace(name, notebook, error, namespace)
    return Yours({n: namespace[n] for n in names}, [sources[n] for n in names])


def _run_cells(paths: list[Path], skip: dict) -> tuple[dict, dict[str, tuple[str, str | None]]]:
    """Run the notebooks' import lines and exercise cells (but ``skip``'s) in one namespace.

    Returns the namespace and, for each exercise cell run, its notebook and
    the error it raised (None when it ran).
    """
    namespace: dict = {"__name__": "yours"}
    written: dict[str, tuple[str, str | None]] = {}
    for path in paths:
        imports, cells = _exercise_cells(path)
        for line in imports:
            try:
                exec(line, namespace)  # noqa: S102  (the learner's own notebook)
            except Exception:  # an import that fails here fails in the notebook too
                pass
        for name, source in cells.items():
            if name in skip:
                continue
            try:
                exec(compile(source, f"{path.name}: {name}", "exec"), namespace)  # noqa: S102
                written[name] = (path.name, None)
            except Exception as exc:
                written[name] = (path.name, f"its cell failed to run: {type(exc).__name__}: {exc}")
    return namespace, written


def _keep_or_replace(name: str, notebook: str, error: str | None, namespace: dict) -> Source:
    """Keep ``namespace[name]`` if it passes its check; else put steepest's reference there."""
    if error is None and not callable(namespace.get(name)):
        error = f"its cell does not define a function {name}"
    if error is None:
        result = EXERCISES[name].check(namespace[name])
        if result.passed:
            return Source(name, notebook, True, "passes its check")
        error = result.message
    namespace[name] = getattr(solutions, name)
    return Source(name, notebook, False, error)


def _checked(functions: dict[str, Callable]) -> Yours:
    """:func:`yours` for functions of this notebook: each kept if it passes its check."""
    kept, sources = {}, []
    for name, fn in functions.items():
        result = EXERCISES[name].check(fn)
        kept[name] = fn if result.passed else getattr(solutions, name)
        sources.append(Source(name, "this notebook", result.passed,
                              "passes its check" if result.passed else result.message))
    return Yours(kept, sources)
