"""Recording a benchmark run: ``benchmarks/results/<name>.json`` and ``<name>.md``.

Every published speed figure comes from one of these files, so each says what it
is and where it came from:

* ``figures``: what the benchmark measured (its own keys; see ``render.py``);
* ``mode``: ``"full"`` (the benchmark's defaults), ``"quick"`` (``--quick``: a
  shorter run that checks the pipeline; its figures are noisier) or ``"custom"``
  (other flags; the command says which);
* ``command``, ``started``, ``finished``, ``seconds``;
* ``machine``: :func:`steepest.machine.describe_machine` -- date, CPU, cores,
  NumPy, the BLAS kernel and its thread limit, ``OPENBLAS_*`` variables;
* ``load_average``: the 1/5/15-minute load at start and end (on a shared
  machine, figures taken under load understate what the code does alone).

The ``.md`` file is the same figures as a short table with an environment line,
made by ``render.py``; ``report.py`` copies it into the READMEs.  Both files are
written atomically (a reader sees the old file or the new one).

A benchmark uses it like this::

    recorder = Recorder("augment", run_mode(parser, args))  # before measuring
    ...
    recorder.write(figures)                                  # after
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import render
from steepest.machine import describe_machine, utc_now
from steepest.modelfile import atomic_write_bytes

RESULTS_DIR = Path(__file__).resolve().parent / "results"
#: Set to write somewhere else (a test running a benchmark's --quick, say).
RESULTS_DIR_ENV = "STEEPEST_BENCH_RESULTS"
SCHEMA = 1
MODES = ("full", "quick", "custom")
#: The keys every results document has.
KEYS = ("benchmark", "schema", "mode", "command", "started", "finished", "seconds", "machine",
        "load_average", "figures")


class ResultsError(ValueError):
    """A results file that is missing, unreadable or not shaped as :data:`KEYS` says."""


def run_mode(parser, args) -> str:
    """``"quick"`` if ``args.quick``, ``"full"`` if every option has its default, else ``"custom"``.

    ``parser`` is the benchmark's ``argparse.ArgumentParser``; its defaults are
    what a full run means.
    """
    if getattr(args, "quick", False):
        return "quick"
    defaults = vars(parser.parse_args([]))
    return "full" if vars(args) == defaults else "custom"


class Recorder:
    """Notes the machine and the load when a benchmark starts; writes its results at the end."""

    def __init__(self, name: str, mode: str, argv: list[str] | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        argv = sys.argv[1:] if argv is None else argv
        self.name, self.mode = name, mode
        self.command = shlex.join(["python", f"benchmarks/{Path(sys.argv[0]).name}", *argv])
        self.started = utc_now()
        self.machine = describe_machine()  # before any threadpool_limits: the BLAS's own limit
        self.load_start = _load()
        self._t0 = time.monotonic()

    def document(self, figures: dict) -> dict:
        """The results document: this run's metadata around ``figures``."""
        return {
            "benchmark": self.name,
            "schema": SCHEMA,
            "mode": self.mode,
            "command": self.command,
            "started": self.started,
            "finished": utc_now(),
            "seconds": round(time.monotonic() - self._t0, 1),
            "machine": self.machine,
            "load_average": {"start": self.load_start, "end": _load()},
            "figures": figures,
        }

    def write(self, figures: dict, directory: str | os.PathLike | None = None) -> Path:
        """Write ``<name>.json`` and ``<name>.md``; return the JSON's path.

        In ``directory``, else ``$STEEPEST_BENCH_RESULTS``, else ``benchmarks/results``.
        """
        directory = directory or os.environ.get(RESULTS_DIR_ENV) or RESULTS_DIR
        return write_document(self.document(figures), directory)


def write_document(doc: dict, directory: str | os.PathLike = RESULTS_DIR) -> Path:
    """Check ``doc``, then atomically write it as JSON and as its rendered markdown."""
    check_document(doc, doc.get("benchmark", "?"))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{doc['benchmark']}.json"
    # The table is rendered before anything is written: a figure render.py cannot
    # show fails here, not as a JSON file without its table.
    markdown = render.benchmark_markdown(doc)
    atomic_write_bytes(path, (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())
    atomic_write_bytes(path.with_suffix(".md"), markdown.encode())
    return path


def check_document(doc: object, source: str) -> dict:
    """``doc`` if it is a results document (the keys, a known mode and benchmark), else raise."""
    if not isinstance(doc, dict):
        raise ResultsError(f"{source}: expected a JSON object, got {type(doc).__name__}")
    missing = [k for k in KEYS if k not in doc]
    if missing:
        raise ResultsError(f"{source}: missing {', '.join(missing)}")
    if doc["schema"] != SCHEMA:
        raise ResultsError(f"{source}: schema {doc['schema']!r}, this code reads {SCHEMA}")
    if doc["mode"] not in MODES:
        raise ResultsError(f"{source}: mode {doc['mode']!r} is not one of {MODES}")
    if doc["benchmark"] not in render.RENDERERS:
        raise ResultsError(f"{source}: unknown benchmark {doc['benchmark']!r}")
    if not isinstance(doc["figures"], dict) or not isinstance(doc["machine"], dict):
        raise ResultsError(f"{source}: figures and machine must be JSON objects")
    return doc


def load_results(directory: str | os.PathLike = RESULTS_DIR) -> dict[str, dict]:
    """Every ``<name>.json`` in ``directory``, checked, by benchmark name."""
    results = {}
    for path in sorted(Path(directory).glob("*.json")):
        try:
            doc = json.loads(path.read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ResultsError(f"{path}: cannot read it as JSON ({exc})") from None
        check_document(doc, str(path))
        if doc["benchmark"] != path.stem:
            raise ResultsError(f"{path}: holds benchmark {doc['benchmark']!r}, not {path.stem!r}")
        results[path.stem] = doc
    return results


def _load() -> list[float]:
    """The 1, 5 and 15-minute load averages (on 2 cores, above 2 means waiting for a core)."""
    return [round(v, 2) for v in os.getloadavg()]
