"""``steepest plot sweep DIR``: accuracy against each searched parameter, and the history."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

pytest.importorskip("matplotlib")

from steepest.cli import main  # noqa: E402
from steepest.plots.history import lines_with_gid  # noqa: E402
from steepest.plots.sweep import load_sweep, sweep_figure  # noqa: E402

HEADER = ("trial,state,validation_accuracy,learning_rate,batch_size,epochs,best_epoch,"
          "diverged_epoch,train_seconds,restarts,worker,retry_of,error")
ROWS = [  # as steepest sweep writes them: best first
    "2,COMPLETE,0.9,1.0,32,10,9,,1.0,0,tcp://a,,",
    "0,COMPLETE,0.8,0.1,10,10,10,,1.0,0,tcp://a,,",
    "3,PRUNED,0.5,0.01,32,2,2,,0.2,0,tcp://b,,",
    "1,COMPLETE,0.0,100.0,10,3,0,3,0.3,0,tcp://b,,",  # diverged in epoch 3
    "4,FAIL,,0.3,10,,,,,,,,MemoryError: ",
]


def write_sweep(directory, rows=ROWS, header=HEADER):
    directory.mkdir(exist_ok=True)
    (directory / "trials.csv").write_text("\n".join([header, *rows]) + "\n")
    search = [{"name": "learning_rate", "kind": "float", "low": 0.01, "high": 100.0,
               "log": True, "step": None},
              {"name": "batch_size", "kind": "categorical", "choices": [10, 32]}]
    (directory / "sweep.json").write_text(json.dumps({"study": "demo", "space": {
        "fixed": {}, "search": search}}))
    return directory


def xy(ax, gid):
    (line,) = lines_with_gid(ax, gid)
    return list(line.get_xdata()), list(line.get_ydata())


def test_each_panel_draws_the_trials_by_kind(tmp_path):
    rows, summary = load_sweep(write_sweep(tmp_path / "s"))
    assert [r["trial"] for r in rows] == [2, 0, 3, 1, 4]
    fig = sweep_figure(rows, summary)
    lr, batch, history = fig.axes[:3]
    assert lr.get_xscale() == "log" and "λ" in lr.get_xlabel()
    assert xy(lr, "complete") == ([1.0, 0.1], [90.0, 80.0])
    assert xy(lr, "pruned") == ([0.01], [50.0])
    assert xy(lr, "diverged") == ([100.0], [0.0])
    assert xy(lr, "best") == ([1.0], [90.0])
    # a list of values is drawn by position, labelled with the values
    assert [t.get_text() for t in batch.get_xticklabels()] == ["10", "32"]
    assert xy(batch, "complete") == ([1, 0], [90.0, 80.0])
    # the history: every scored trial by number, and the best so far (pruned ones excluded)
    assert xy(history, "complete") == ([0, 2], [80.0, 90.0])
    assert xy(history, "running_best") == ([0, 1, 2, 3], [80.0, 80.0, 90.0, 90.0])
    assert "4 scored trials, 1 failed" in fig._suptitle.get_text()
    assert "best validation accuracy 90.00% (trial 2)" in fig._suptitle.get_text()


def test_interrupted_trials_are_counted_apart_from_failed_ones(tmp_path):
    rows = ["1,COMPLETE,0.8,0.1,10,10,10,,1.0,0,tcp://a,0,", "0,FAIL,,0.1,10,,,,,,,,"]
    fig = sweep_figure(*load_sweep(write_sweep(tmp_path / "s", rows)))
    assert "1 scored trials, 1 interrupted and run again" in fig._suptitle.get_text()


@pytest.mark.parametrize("change, message", [
    (lambda d: (d / "sweep.json").unlink(), "sweep.json: no such file"),
    (lambda d: (d / "sweep.json").write_text("{"), "sweep.json: not a sweep summary"),
    (lambda d: (d / "trials.csv").unlink(), "trials.csv: no such file"),
    (lambda d: (d / "trials.csv").write_text("trial,state\n1,COMPLETE\n"),
     "trials.csv: no column 'validation_accuracy'"),
    (lambda d: (d / "trials.csv").write_text(HEADER + "\n1,COMPLETE,nan,1,10,,,,,,,,\n"),
     "trials.csv, line 2: not a finite number: 'nan'"),
    (lambda d: (d / "trials.csv").write_text(HEADER + "\nx,COMPLETE,0.5,1,10,,,,,,,,\n"),
     "trials.csv, line 2: invalid literal"),
])
def test_a_bad_sweep_directory_is_one_line(tmp_path, change, message):
    directory = write_sweep(tmp_path / "s")
    change(directory)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        load_sweep(directory)


def test_the_command_writes_the_figure_and_refuses_a_bad_directory(tmp_path):
    directory = write_sweep(tmp_path / "s")
    out = tmp_path / "sweep.svg"
    result = CliRunner().invoke(main, ["plot", "sweep", str(directory), "-o", str(out)])
    assert result.exit_code == 0 and out.read_text().startswith("<?xml")
    result = CliRunner().invoke(main, ["plot", "sweep", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        f"steepest: error: {tmp_path / 'nope'}: no such directory (expected a `steepest sweep` "
        "output)"]
