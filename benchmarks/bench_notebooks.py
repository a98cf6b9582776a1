"""How long each course notebook takes, as a learner opens it and solved; and the capstone.

Runs the packaged notebooks the way tests/test_notebooks.py does -- in a folder
holding the whole course, in a Jupyter kernel on this interpreter (nbclient) --
twice: untouched (every "Your turn" cell still raises NotImplementedError) and
with every exercise replaced by its reference solution.  Each time is the
notebook's whole execution, kernel start included.  The solved run of the
training notebook also reports the capstone: the test accuracy the learner's
functions (here the reference solutions) reach after each epoch, and when.
Beside them, the lines a learner writes: the statements in each reference
solution's body (no docstring, comment or blank line).

Run:  python benchmarks/bench_notebooks.py           # all nine, both ways
      python benchmarks/bench_notebooks.py --quick   # notebooks 01 and 05 only
"""

from __future__ import annotations

import argparse
import ast
import inspect
import json
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import steepest
from record import Recorder, run_mode
from steepest.exercises import EXERCISES, solutions

COURSE = Path(steepest.__file__).resolve().parent / "notebooks"
CAPSTONE = ("import json\nprint('capstone:' + json.dumps({'accuracies': result.accuracies, "
            "'seconds': result.seconds}))")


def learner_lines(name: str) -> int:
    """Statements a learner writes for ``name``: its reference solution's body, as lines."""
    source = textwrap.dedent(inspect.getsource(getattr(solutions, name)))
    (fn,) = ast.parse(source).body
    body = fn.body[1:] if isinstance(fn.body[0], ast.Expr) else fn.body  # no docstring
    lines = set()
    for node in body:
        lines.update(range(node.lineno, node.end_lineno + 1))
    text = source.splitlines()
    return sum(1 for i in lines if text[i - 1].strip() and not text[i - 1].strip().startswith("#"))


def _solved(nb):
    for cell in nb.cells:
        name = cell.metadata.get("steepest", {}).get("exercise")
        if name:
            cell.source = f"from steepest.exercises.solutions import {name}"
    return nb


def run_course(folder: Path, names: list[str], solved: bool) -> tuple[dict[str, float], dict]:
    """Execute ``names`` in a copy of the course in ``folder``: seconds each, and the capstone."""
    folder.mkdir()
    for path in sorted(COURSE.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        nbformat.write(_solved(nb) if solved else nb, folder / path.name)
    seconds, capstone = {}, {}
    for name in names:
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        if solved and name.startswith("08-"):
            nb.cells.append(nbformat.v4.new_code_cell(CAPSTONE))
        start = time.perf_counter()
        NotebookClient(nb, timeout=600, kernel_name="python3",
                       resources={"metadata": {"path": str(folder)}}).execute()
        seconds[name] = round(time.perf_counter() - start, 1)
        for out in nb.cells[-1].get("outputs", []):
            if out.get("text", "").startswith("capstone:"):
                capstone = json.loads(out["text"].split(":", 1)[1])
    return seconds, capstone


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="notebooks 01 and 05 only")
    args = parser.parse_args(argv)
    recorder = Recorder("notebooks", run_mode(parser, args), argv)
    names = [p.stem for p in sorted(COURSE.glob("*.ipynb"))]
    if args.quick:
        names = [n for n in names if n[:2] in ("01", "05")]
    with tempfile.TemporaryDirectory() as tmp:
        untouched, _ = run_course(Path(tmp) / "untouched", names, solved=False)
        solved, capstone = run_course(Path(tmp) / "solved", names, solved=True)
    notebooks = []
    for name in names:
        exercises = [e for e in EXERCISES.values() if e.notebook == int(name[:2])]
        notebooks.append({"name": name, "exercises": [e.name for e in exercises],
                          "lines": sum(learner_lines(e.name) for e in exercises),
                          "untouched_s": untouched[name], "solved_s": solved[name]})
    path = recorder.write({"notebooks": notebooks, "capstone": capstone or None,
                           "python": sys.version.split()[0],
                           "kernel_start_included": True})
    for row in notebooks:
        print(f"{row['name']:<22} untouched {row['untouched_s']:5.1f} s   solved "
              f"{row['solved_s']:5.1f} s   {len(row['exercises'])} exercises, {row['lines']} lines")
    if capstone:
        print(f"capstone: {100 * capstone['accuracies'][-1]:.2f} % after "
              f"{len(capstone['accuracies'])} epochs, {capstone['seconds'][-1]:.1f} s")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
