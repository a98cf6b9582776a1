"""benchmarks/results: every published speed figure comes from a recorded run.

These tests time nothing.  They check that the committed READMEs and site pages
say exactly what ``benchmarks/report.py`` makes of the committed
``results/*.json`` (in their marked blocks), that each quoted figure names its
run, and that the recording code writes well-formed files (one benchmark's
--quick run included, for its form only).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))
import record  # noqa: E402
import render  # noqa: E402
import report  # noqa: E402
from steepest.machine import MACHINE_KEYS, blas_label  # noqa: E402


@pytest.fixture(scope="module")
def results():
    return record.load_results()


def test_every_quoted_benchmark_has_a_well_formed_recorded_run(results):
    assert sorted(results) == sorted(report.REQUIRED)
    for name, doc in results.items():
        assert doc["mode"] in record.MODES
        assert doc["command"].startswith(f"python benchmarks/bench_{name}.py")
        assert set(doc["machine"]) == set(MACHINE_KEYS)
        assert doc["machine"]["blas"], f"{name}: no BLAS kernel recorded"
        assert all(p["architecture"] and p["num_threads"] for p in doc["machine"]["blas"])
        assert len(doc["load_average"]["start"]) == len(doc["load_average"]["end"]) == 3
        assert doc["figures"]


def test_readmes_pages_and_markdown_files_say_what_report_py_makes_of_the_results(results):
    files = report.expected_files(results)
    assert {report.README, report.SITE_INDEX, report.BENCH_PAGE, report.LADDER_PAGE,
            report.SWEEP_PAGE, report.COURSE_PAGE, report.BENCH_README} <= set(files)
    stale = [str(p) for p, text in files.items() if not p.exists() or p.read_text() != text]
    assert not stale, f"run `python benchmarks/report.py`; stale: {stale}"


#: Every marked block report.py writes, as (file, marker).
BLOCKS = [(path, marker) for path, pairs in report.marked_blocks(record.load_results()).items()
          for marker, _ in pairs]
#: A figure: a number with its unit.
FIGURE = re.compile(r"\d+(?:\.\d+)?(?= (?:s|ms|%|MB)\b| ?×)")


@pytest.mark.parametrize("path, marker", BLOCKS,
                         ids=[f"{p.relative_to(report.ROOT)}:{m}" for p, m in BLOCKS])
def test_a_hand_edited_figure_is_caught_in_every_marked_block(results, path, marker):
    text = path.read_text()
    start, end = f"<!-- {marker}:start -->\n", f"<!-- {marker}:end -->"
    head, rest = text.split(start)
    block, tail = rest.split(end)
    figure = FIGURE.search(block)
    assert figure, f"{marker}: no figure in its block"
    edited_block = block[:figure.start()] + "9" + block[figure.start():]  # 5.4 s -> 95.4 s
    edited = head + start + edited_block + end + tail
    files = report.expected_files(results, {path: edited})
    assert files[path] == text  # regenerating restores the recorded figure


def test_the_readme_keeps_one_headline_figure_from_a_marked_block(results):
    readme = report.README.read_text()
    block = re.search(r"<!-- headline:start -->\n(.*?)<!-- headline:end -->", readme,
                      re.DOTALL).group(1)
    runs = results["default_train"]["figures"]["runs"]
    assert f"{100 * runs[0]['test_accuracy']:.2f} % test accuracy" in block
    assert "(benchmarks/results/default_train.md)" in block
    # a measured figure (seconds, %, MB) anywhere else in the README is typed by hand
    outside = readme.replace(block, "")
    assert not re.search(r"\d+(?:\.\d+)? ?(?:s|ms|%|MB)\b", outside), (
        "a measured figure in the README outside a marked block")


def test_each_quoted_figure_names_its_date_and_blas_kernel_and_links_its_section(results):
    section = re.search(r"<!-- speed:start -->\n(.*?)<!-- speed:end -->",
                        report.BENCH_PAGE.read_text(), re.DOTALL).group(1)
    rows = [line for line in section.splitlines() if line.startswith("| ")][2:]  # no header
    assert len(rows) == len(report.SPEED_ROWS)
    for line, (name, _) in zip(rows, report.SPEED_ROWS):
        doc = results[name]
        assert doc["started"][:10] in line and blas_label(doc["machine"]) in line, line
        assert f"](#{report.SECTIONS[name]})" in line
        assert (f"{doc['mode']} run" in line) == (doc["mode"] != "full")


def test_every_section_a_figure_links_is_a_heading_of_the_benchmarks_page():
    headings = re.findall(r"^## (.+)$", report.BENCH_PAGE.read_text(), re.M)
    slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
    assert set(report.SECTIONS) == set(report.REQUIRED)
    assert set(report.SECTIONS.values()) <= slugs
    assert report.run_link(report.SWEEP_PAGE, "sweep") == "../benchmarks.md#sweeps-on-dask"
    assert report.run_link(report.README, "sweep") == "benchmarks/results/sweep.md"


def test_replace_marked_needs_exactly_one_marker_pair():
    text = "a\n<!-- x:start -->\nold\n<!-- x:end -->\nb\n"
    assert report.replace_marked(text, "x", "new", "t") == (
        "a\n<!-- x:start -->\nnew\n<!-- x:end -->\nb\n")
    with pytest.raises(record.ResultsError, match="one <!-- y:start/end --> pair"):
        report.replace_marked(text, "y", "new", "t")
    with pytest.raises(record.ResultsError, match="one <!-- x:start/end --> pair"):
        report.replace_marked(text + text, "x", "new", "t")


def test_report_refuses_to_run_without_every_benchmark(results):
    partial = {k: v for k, v in results.items() if k != "web_latency"}
    with pytest.raises(record.ResultsError, match="no recorded run of web_latency"):
        report.expected_files(partial)


def test_recorder_writes_json_and_its_table_and_leaves_no_temporary_file(results, tmp_path):
    recorder = record.Recorder("augment", "quick", argv=["--quick"])
    path = recorder.write(results["augment"]["figures"], tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["augment.json", "augment.md"]
    doc = json.loads(path.read_text())
    assert record.check_document(doc, "t") == doc
    assert doc["mode"] == "quick" and doc["command"].endswith("--quick")
    assert doc["figures"] == results["augment"]["figures"]
    assert path.with_suffix(".md").read_text() == render.benchmark_markdown(doc)
    assert record.load_results(tmp_path) == {"augment": doc}


def test_recorder_refuses_figures_it_cannot_render_and_writes_nothing(tmp_path):
    with pytest.raises(KeyError):
        record.Recorder("augment", "full").write({"epochs": []}, tmp_path)
    with pytest.raises(record.ResultsError, match="unknown benchmark 'nope'"):
        record.Recorder("nope", "full").write({}, tmp_path)
    with pytest.raises(ValueError, match="mode must be one of"):
        record.Recorder("augment", "fast")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content, message", [
    ("{not json", "cannot read it as JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"benchmark": "augment"}', "missing schema"),
])
def test_load_results_names_the_bad_file(tmp_path, content, message):
    (tmp_path / "augment.json").write_text(content)
    with pytest.raises(record.ResultsError, match=message) as err:
        record.load_results(tmp_path)
    assert "augment.json" in str(err.value)


def test_load_results_refuses_a_file_named_for_another_benchmark(results, tmp_path):
    (tmp_path / "training.json").write_text(json.dumps(results["augment"]))
    with pytest.raises(record.ResultsError, match="holds benchmark 'augment', not 'training'"):
        record.load_results(tmp_path)


def test_run_mode_is_full_only_with_every_default():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--quick", action="store_true")
    assert record.run_mode(parser, parser.parse_args([])) == "full"
    assert record.run_mode(parser, parser.parse_args(["--epochs", "4"])) == "full"
    assert record.run_mode(parser, parser.parse_args(["--epochs", "1"])) == "custom"
    assert record.run_mode(parser, parser.parse_args(["--quick", "--epochs", "1"])) == "quick"


def test_a_quick_benchmark_run_records_well_formed_results(tmp_path):
    """The real benchmark and CLI, run briefly; only the files' form is checked, not speed."""
    env = {**os.environ, record.RESULTS_DIR_ENV: str(tmp_path),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH.parent / "src"),
                                                       os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, str(BENCH / "bench_default_train.py"), "--quick"],
                   env=env, cwd=tmp_path, check=True, capture_output=True, timeout=300)
    doc = record.load_results(tmp_path)["default_train"]
    assert doc["mode"] == "quick"
    assert doc["command"] == "python benchmarks/bench_default_train.py --quick"
    (run,) = doc["figures"]["runs"]
    assert run["seed"] == 0 and run["epochs"] == 4
    assert 0 < run["test_accuracy"] <= 1 and run["peak_rss_mb"] > 0
    assert (tmp_path / "default_train.md").read_text() == render.benchmark_markdown(doc)


def _with(results: dict, name: str, **figures) -> dict:
    """``results`` with one benchmark's figures changed (a deep copy: the fixture stays)."""
    changed = json.loads(json.dumps(results))
    changed[name]["figures"].update(figures)
    return changed


def test_full_runs_are_quoted_without_a_mode_note(results):
    full = json.loads(json.dumps(results))
    for doc in full.values():
        doc["mode"] = "full"
    table = report.speed_table(full, str)
    assert "quick run" not in table and "Not yet full runs" not in table
    full["augment"]["mode"] = "quick"
    assert "Not yet full runs: augment" in report.speed_table(full, str)


def test_time_to_accuracy_quotes_both_times_once_both_sides_reach_the_target(results):
    f = results["time_to_accuracy"]["figures"]
    target = min(f["steepest"][0]["test_accuracy"], f["pytorch"][0]["test_accuracy"])
    table = report.speed_table(_with(results, "time_to_accuracy", target=target), str)
    s, p = f["steepest"][0]["seconds"], f["pytorch"][0]["seconds"]
    assert f"steepest {s:.1f} s, PyTorch {p:.1f} s: PyTorch / steepest = {p / s:.2f}×" in table


def test_runs_without_pytorch_say_not_measured(results):
    cases = [dict(c, torch_samples_per_s=None) for c in results["training"]["figures"]["cases"]]
    training = _with(results, "training", torch_version=None, cases=cases)["training"]
    assert "not measured (no PyTorch)" in render.benchmark_markdown(training)
    assert "PyTorch" not in report._lecture(training["figures"])[1]
    tta = _with(results, "time_to_accuracy", pytorch=None, torch_version=None)
    assert "| PyTorch | not measured (no PyTorch) |" in render.benchmark_markdown(
        tta["time_to_accuracy"])
    assert "PyTorch" not in report._time_to_accuracy(tta["time_to_accuracy"]["figures"])[1]


def test_web_latency_without_training_says_so(results):
    settings = dict(results["web_latency"]["figures"]["settings"], training=False)
    doc = _with(results, "web_latency", settings=settings)["web_latency"]
    assert "No training job" in render.benchmark_markdown(doc)
    assert "no training job" in report._web_latency(doc["figures"])[0]


def test_the_training_guide_quotes_the_recorded_ladder_md_whole():
    ladder = (report.RESULTS_DIR / "ladder.md").read_text()
    assert ladder in report.LADDER_PAGE.read_text()
    assert "<!-- ladder:start -->" not in report.README.read_text()  # one place, not two
    last = ladder.strip().splitlines()[-1]
    assert last.startswith("Measured ") and "BLAS threads per rung" in last


def test_a_ladder_file_not_written_by_steepest_ladder_is_refused(tmp_path):
    with pytest.raises(record.ResultsError, match="no recorded ladder"):
        report.ladder_table(tmp_path)
    (tmp_path / "ladder.md").write_text("| rung | ... |\n| a | b |\n")  # no environment line
    with pytest.raises(record.ResultsError, match="not a table written by `steepest ladder`"):
        report.ladder_table(tmp_path)
