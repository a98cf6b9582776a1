"""Regenerate every published figure from ``benchmarks/results/*.json``.

Each quoted figure sits between marker comments (``<!-- NAME:start -->`` and
``<!-- NAME:end -->``) in the file that holds its prose: the README's one-line
headline, the site's "At a glance" speed table (docs/benchmarks.md), the accuracy
ladder (docs/guide/training.md, ``results/ladder.md`` as ``steepest ladder``
wrote it), the sweep's scaling projection (docs/guide/sweeps.md), the course's
timings (docs/course/index.md) and each benchmark's table in benchmarks/README.md.
This script rewrites what is between the markers (and the ``results/<name>.md``
files) from the recorded runs, so the figures cannot drift from the runs that
produced them.  tests/test_benchmark_results.py fails when a committed file
differs from what this script would write.

Run:  python benchmarks/report.py          # rewrite whatever differs
      python benchmarks/report.py --check  # only say what differs (exit status 1 if anything)
"""

from __future__ import annotations

import argparse
import posixpath
import re
import sys
from collections.abc import Callable
from pathlib import Path

import render
from record import RESULTS_DIR, ResultsError, load_results
from steepest.messages import plural
from steepest.modelfile import atomic_write_bytes

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
README = ROOT / "README.md"
BENCH_README = HERE / "README.md"
DOCS = ROOT / "docs"
#: The site's pages that hold marked figures.
SITE_INDEX = DOCS / "index.md"
BENCH_PAGE = DOCS / "benchmarks.md"
LADDER_PAGE = DOCS / "guide" / "training.md"
SWEEP_PAGE = DOCS / "guide" / "sweeps.md"
COURSE_PAGE = DOCS / "course" / "index.md"
#: Each benchmark's section on the benchmarks page (its heading's anchor), where the site
#: links a quoted figure; the docs build (-W) fails on an anchor that no heading makes.
SECTIONS = {
    "default_train": "steepest-train-as-a-reader-first-runs-it",
    "training": "training-throughput-the-matmul-peak-and-pytorch",
    "time_to_accuracy": "time-to-98--against-pytorch",
    "augment": "data-augmentation",
    "web_latency": "the-web-lab-under-load",
    "sklearn": "scikit-learns-mlpclassifier",
    "sweep": "sweeps-on-dask",
    "notebooks": "the-course-notebooks",
}
#: Every benchmark the READMEs and pages quote; report.py refuses to run without all of them.
REQUIRED = tuple(render.RENDERERS)


def run_link(page: Path, name: str) -> str:
    """Where ``page`` links a figure of benchmark ``name``: its recorded table, relative to
    the page (the README links the file itself; the site, its section on the benchmarks
    page, since a built page cannot link a file outside the site)."""
    if DOCS not in page.parents:
        return posixpath.relpath(f"benchmarks/results/{name}.md",
                                 page.parent.relative_to(ROOT).as_posix())
    target = "" if page == BENCH_PAGE else posixpath.relpath(
        BENCH_PAGE.relative_to(ROOT).as_posix(), page.parent.relative_to(ROOT).as_posix())
    return f"{target}#{SECTIONS[name]}"


def headline(doc: dict, link: str) -> str:
    """One sentence: what the first command a reader runs takes here, and what it reaches."""
    f, m = doc["figures"], doc["machine"]
    runs = f["runs"]
    first = runs[0]
    text = (f"Measured: `{f['command']}` with no flags trains for {first['training_s']:.1f} s "
            f"({first['wall_s']:.1f} s in all) to {100 * first['test_accuracy']:.2f} % test "
            f"accuracy (seed {first['seed']}")
    if len(runs) > 1:
        mean = sum(r["test_accuracy"] for r in runs) / len(runs)
        text += (f"; {100 * mean:.2f} % mean over seeds "
                 f"{' / '.join(str(r['seed']) for r in runs)}")
    return (text + f") on {m['cpu_model']} ({m['logical_cores']} logical cores; "
            f"[{render.run_label(doc)}]({link})).")


def _lecture(f: dict) -> tuple[str, str]:
    c = render.find_case(f, "lecture b32")
    t = c["chosen_threads"]
    vs = f", {render.torch_ratio(c):.1f}× PyTorch" if f["torch_version"] else ""
    return (f"lecture net (784-15-10), batch 32, {render.threads_label(t)}",
            f"{c['samples_per_s'][t]:,.0f} samples/s{vs}")


def _big(f: dict) -> tuple[str, str]:
    c = render.find_case(f, "784-800-800-10 b128")
    t = c["chosen_threads"]
    text = f"{render.pct(c['share_of_peak'][t])} of the float32 matmul peak"
    if c["per_cpu_1_thread"]:
        per_cpu = c["per_cpu_1_thread"]["share_of_peak"]
        text += f" ({render.pct(per_cpu)} per CPU-second on 1 thread)"
    if f["torch_version"]:
        text += f", {render.torch_ratio(c):.1f}× PyTorch"
    return f"784-800-800-10, batch 128, {render.threads_label(t)}", text


def _default_train(f: dict) -> tuple[str, str]:
    runs = f["runs"]
    training = sorted(r["training_s"] for r in runs)
    span = (f"{training[0]:.1f}" if f"{training[0]:.1f}" == f"{training[-1]:.1f}"
            else f"{training[0]:.1f}–{training[-1]:.1f}")
    accuracy = " / ".join(f"{100 * r['test_accuracy']:.2f}" for r in runs)
    seeds = " / ".join(str(r["seed"]) for r in runs)
    mean = sum(r["test_accuracy"] for r in runs) / len(runs)
    plural = "s" if len(runs) > 1 else ""
    return (f"`{f['command']}` (784-15-10, {runs[0]['epochs']} epochs, batch 32)",
            f"{span} s of training, {max(r['wall_s'] for r in runs):.1f} s in all, "
            f"{max(r['peak_rss_mb'] for r in runs):.0f} MB peak RSS; test accuracy {accuracy} % "
            f"for seed{plural} {seeds}" + (f" (mean {100 * mean:.2f} %)" if plural else ""))


def _time_to_accuracy(f: dict) -> tuple[str, str]:
    r = f["recipe"]
    what = (f"time to {100 * f['target']:.1f} % test accuracy ({'-'.join(map(str, r['sizes']))}, "
            f"Adam, batch {r['batch_size']})")
    sides = [("steepest", f["steepest"])] + ([("PyTorch", f["pytorch"])] if f["pytorch"] else [])
    hits = {name: render.reached(epochs, f["target"]) for name, epochs in sides}
    if all(hits.values()) and len(hits) == 2:
        ratio = hits["PyTorch"]["seconds"] / hits["steepest"]["seconds"]
        return what, (f"steepest {hits['steepest']['seconds']:.1f} s, PyTorch "
                      f"{hits['PyTorch']['seconds']:.1f} s: PyTorch / steepest = {ratio:.2f}×")
    parts = []
    for name, epochs in sides:
        e = hits[name] or epochs[-1]
        short = "" if hits[name] else ", short of the target"
        parts.append(f"{name} {100 * e['test_accuracy']:.2f} % after {e['epoch']} epochs "
                     f"({e['seconds']:.1f} s){short}")
    return what, "; ".join(parts)


def _augment(f: dict) -> tuple[str, str]:
    r = next((r for r in f["epochs"] if r["threads"] == 1), f["epochs"][0])
    return (f"augmented epoch / plain epoch (784-800-800-10, "
            f"{plural(r['threads'], 'BLAS thread')})",
            f"{r['ratio_means']:.2f}× (means of {plural(len(r['plain_s']), 'pair')}; minima "
            f"{r['ratio_minima']:.2f}×)")


def _web_latency(f: dict) -> tuple[str, str]:
    s, ms = f["settings"], f["latency_ms"]
    during = "while a network trains" if s["training"] else "no training job"
    return (f"web lab predict, {s['clients']} clients, {during}",
            f"p50 {ms['p50']:.1f} ms, p99 {ms['p99']:.1f} ms ({s['duration_s']:g} s of load)")


def _sweep(f: dict) -> tuple[str, str]:
    s, d = f["settings"], f["derived"]
    return (f"`steepest sweep` on {s['workers']} local Dask workers vs one after another "
            f"({s['trials']} trials of {s['epochs']} epochs, 784-15-10)",
            f"{d['speedup_loop']:.2f}× ({d['speedup_total']:.2f}× with cluster start-up); "
            f"overhead {d['overhead_per_trial_s']:.2f} s per trial "
            f"({100 * d['overhead_share_of_10s']:.1f} % of a 10-s trial)")


def _sklearn(f: dict) -> tuple[str, str]:
    r, s = f["recipe"], f["settings"]
    (c,) = [c for c in f["cases"] if c["data"] == "mnist" and c["threads"] == "1"]
    acc = {side: render._mean([x["accuracy"] for x in c[side]]) for side in ("mlp", "steepest")}
    return (f"`SteepestClassifier` vs scikit-learn's `MLPClassifier`, MNIST fit "
            f"({'-'.join(map(str, r['hidden']))} {r['activation']}, Adam, batch "
            f"{r['batch_size']}, {s['mnist_epochs']} epochs, 1 thread)",
            f"{render.sklearn_speedup(c):.2f}× faster; test accuracy "
            f"{100 * acc['steepest']:.2f} % vs {100 * acc['mlp']:.2f} %")


SPEED_ROWS = (("default_train", _default_train), ("training", _lecture), ("training", _big),
              ("time_to_accuracy", _time_to_accuracy), ("augment", _augment),
              ("web_latency", _web_latency), ("sklearn", _sklearn), ("sweep", _sweep))


def speed_table(results: dict[str, dict], link: Callable[[str], str]) -> str:
    """The "At a glance" table: one row per quoted figure, each naming its run and linking
    to it (``link(name)``)."""
    lines = ["| what | measured | run (date, BLAS kernel) |", "| --- | --- | --- |"]
    for name, row in SPEED_ROWS:
        what, measured = row(results[name]["figures"])
        lines.append(f"| {what} | {measured} | [{render.run_label(results[name])}]"
                     f"({link(name)}) |")
    short = sorted({name for name, _ in SPEED_ROWS if results[name]["mode"] != "full"})
    if short:
        lines += ["", f"Not yet full runs: {', '.join(short)} (see the run column). A quick run "
                  "checks the pipeline; its figures are shorter samples and noisier."]
    return "\n".join(lines)


def ladder_table(results_dir: Path = RESULTS_DIR) -> str:
    """The accuracy ladder exactly as ``steepest ladder -o results/ladder.md`` wrote it.

    ``steepest ladder`` ends its table with the line that names the date, CPU,
    BLAS kernel and each rung's threads; the training guide quotes the file whole.
    """
    path = results_dir / "ladder.md"
    if not path.exists():
        raise ResultsError(f"no recorded ladder: run `steepest ladder -o {path}`")
    text = path.read_text()
    if not text.startswith("| rung |") or "\nMeasured " not in text:
        raise ResultsError(f"{path}: not a table written by `steepest ladder`")
    return text


def replace_marked(text: str, marker: str, content: str, source: str) -> str:
    """``text`` with what lies between ``<!-- MARKER:start -->`` and ``<!-- MARKER:end -->``
    replaced by ``content``; a missing or repeated marker pair is an error."""
    tag = re.escape(marker)
    pattern = re.compile(rf"(<!-- {tag}:start -->\n).*?(<!-- {tag}:end -->)", re.DOTALL)
    if len(pattern.findall(text)) != 1:
        raise ResultsError(f"{source}: expected one <!-- {marker}:start/end --> pair")
    return pattern.sub(lambda m: m.group(1) + content.rstrip("\n") + "\n" + m.group(2), text)


def marked_blocks(results: dict[str, dict],
                  results_dir: Path = RESULTS_DIR) -> dict[Path, list[tuple[str, str]]]:
    """Each file that quotes figures -> its (marker, content) pairs."""
    missing = [name for name in REQUIRED if name not in results]
    if missing:
        raise ResultsError(f"no recorded run of {', '.join(missing)} in {results_dir}")
    return {
        README: [("headline", headline(results["default_train"],
                                       run_link(README, "default_train")))],
        SITE_INDEX: [("headline", headline(results["default_train"],
                                           run_link(SITE_INDEX, "default_train")))],
        BENCH_PAGE: [("speed", speed_table(results, lambda name: run_link(BENCH_PAGE, name)))],
        LADDER_PAGE: [("ladder", ladder_table(results_dir))],
        SWEEP_PAGE: [("scaling", render.sweep_projection(results["sweep"],
                                                         run_link(SWEEP_PAGE, "sweep")))],
        COURSE_PAGE: [("course", render.course_summary(results["notebooks"],
                                                       run_link(COURSE_PAGE, "notebooks")))],
        BENCH_README: [(f"results:{name}", render.benchmark_markdown(results[name]))
                       for name in REQUIRED],
    }


def expected_files(results: dict[str, dict], texts: dict[Path, str] | None = None,
                   results_dir: Path = RESULTS_DIR) -> dict[Path, str]:
    """Every file this script writes, with the text it should hold.

    ``texts`` gives a file's current text in place of what is on disk (the tests hand in
    an edited page); the marked parts are rewritten, the prose around them kept.
    """
    texts = texts or {}
    files = {}
    for path, blocks in marked_blocks(results, results_dir).items():
        text = texts[path] if path in texts else path.read_text(encoding="utf-8")
        for marker, content in blocks:
            text = replace_marked(text, marker, content, str(path.relative_to(ROOT)))
        files[path] = text
    for name in REQUIRED:
        files[results_dir / f"{name}.md"] = render.benchmark_markdown(results[name])
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if stale")
    args = parser.parse_args(argv)
    try:
        files = expected_files(load_results())
    except ResultsError as exc:
        print(f"report.py: error: {exc}", file=sys.stderr)
        return 1
    stale = [p for p, text in files.items()
             if not p.exists() or p.read_text(encoding="utf-8") != text]
    for path in stale:
        if not args.check:
            atomic_write_bytes(path, files[path].encode())
        print(f"{'stale' if args.check else 'rewrote'}: {path.relative_to(ROOT)}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
