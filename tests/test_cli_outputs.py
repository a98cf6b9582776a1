"""Where commands write, what they refuse to replace, and what they say about a run.

Each runs a real process in a scratch folder, as a newcomer following the README would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from steepest.modelfile import load_model


def steepest(*args, cwd):
    env = {k: v for k, v in os.environ.items() if k != "STEEPEST_DEBUG"}
    return subprocess.run([sys.executable, "-m", "steepest", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def quick(small_mnist_dir):
    return ["--data", small_mnist_dir, "--epochs", 1, "--batch-size", 100]


# --- steepest train never replaces an earlier run's files without --force ---


def test_train_twice_refuses_to_replace_the_first_model(tmp_path, small_mnist_dir):
    first = steepest("train", *quick(small_mnist_dir), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    model = (tmp_path / "model.npz").read_bytes()
    history = (tmp_path / "history.json").read_bytes()

    again = steepest("train", *quick(small_mnist_dir), "--hidden", 7, cwd=tmp_path)
    assert again.returncode == 1 and again.stdout == ""
    assert again.stderr == ("steepest: error: model.npz exists (an earlier run's); train into a "
                            "new folder with --output/-o (e.g. -o run2/model.npz), or replace "
                            "it with --force\n")
    assert (tmp_path / "model.npz").read_bytes() == model
    assert (tmp_path / "history.json").read_bytes() == history


def test_a_second_model_in_the_same_folder_would_replace_its_history(tmp_path, small_mnist_dir):
    assert steepest("train", *quick(small_mnist_dir), cwd=tmp_path).returncode == 0
    history = (tmp_path / "history.json").read_bytes()
    r = steepest("train", *quick(small_mnist_dir), "-o", "wide.npz", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.startswith("steepest: error: history.json exists")
    assert not (tmp_path / "wide.npz").exists()
    assert (tmp_path / "history.json").read_bytes() == history
    # the way the message names: a folder per run
    r = steepest("train", *quick(small_mnist_dir), "-o", "run2/model.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "run2" / "history.json").exists()
    assert (tmp_path / "history.json").read_bytes() == history


def test_train_refuses_to_replace_another_runs_checkpoint(tmp_path, small_mnist_dir):
    (tmp_path / "checkpoint.npz").write_bytes(b"an earlier run's checkpoint")
    r = steepest("train", *quick(small_mnist_dir), "--checkpoint-every", 1, cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.startswith("steepest: error: checkpoint.npz exists")
    assert (tmp_path / "checkpoint.npz").read_bytes() == b"an earlier run's checkpoint"
    assert not (tmp_path / "model.npz").exists()


def test_force_replaces_the_earlier_run(tmp_path, small_mnist_dir):
    assert steepest("train", *quick(small_mnist_dir), cwd=tmp_path).returncode == 0
    r = steepest("train", *quick(small_mnist_dir), "--hidden", 7, "--force", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    net, _ = load_model(tmp_path / "model.npz")
    assert net.sizes == (784, 7, 10)
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["meta"]["config"]["hidden"] == [7]


def test_resuming_continues_its_own_files(tmp_path, small_mnist_dir):
    r = steepest("train", *quick(small_mnist_dir), "--checkpoint-every", 1, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    # model.npz, history.json and checkpoint.npz are this run's: resuming may replace them
    r = steepest("train", "--resume", "checkpoint.npz", "--epochs", 2, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "resuming after epoch 1" in r.stdout
    _, info = load_model(tmp_path / "model.npz")
    assert [h["epoch"] for h in info["history"]] == [1, 2]
    # but not another run's files
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "model.npz").write_bytes(b"x")
    r = steepest("train", "--resume", "checkpoint.npz", "--epochs", 3, "-o", "other/model.npz",
                 cwd=tmp_path)
    assert r.returncode == 1 and r.stderr.startswith(
        f"steepest: error: {os.path.join('other', 'model.npz')} exists")


def test_rerunning_a_model_from_its_own_file_needs_another_output(tmp_path, small_mnist_dir):
    # `steepest train --config model.npz` would write model.npz over the file it reads
    assert steepest("train", *quick(small_mnist_dir), cwd=tmp_path).returncode == 0
    r = steepest("train", "--config", "model.npz", "--data", small_mnist_dir, cwd=tmp_path)
    assert r.returncode == 1 and "model.npz exists" in r.stderr
    r = steepest("train", "--config", "model.npz", "--data", small_mnist_dir, "-o",
                 "rerun/model.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a, b = load_model(tmp_path / "model.npz")[0], load_model(tmp_path / "rerun" / "model.npz")[0]
    assert all(x.tobytes() == y.tobytes() for x, y in zip(a.get_weights(), b.get_weights()))


def test_train_help_names_force():
    r = steepest("train", "--help", cwd=None)
    text = " ".join(r.stdout.split())
    assert "--force" in text and "refuses to replace an earlier run's model file" in text


# --- a loss far above chance is said plainly ---


def test_a_loss_far_above_chance_is_one_warning_line_and_recorded(tmp_path, small_mnist_dir):
    r = steepest("train", *quick(small_mnist_dir), "--learning-rate", "1e30", cwd=tmp_path)
    assert r.returncode == 0, r.stderr  # a finite loss is not divergence: the run completes
    assert r.stdout.splitlines()[-1].startswith("done: ")
    _, info = load_model(tmp_path / "model.npz")
    loss = info["history"][-1]["train_loss"]
    warning = (f"the training loss {loss:.3g} is far above chance (ln 10 = 2.30): the learning "
               "rate 1e+30 (or the initial weights) is probably too large")
    assert loss > 1e20
    assert r.stderr.strip().splitlines() == [f"steepest: warning: {warning}"]
    assert info["result"]["warning"] == warning
    history = json.loads((tmp_path / "history.json").read_text())
    assert history["meta"]["result"]["warning"] == warning


def test_a_run_that_learns_prints_no_warning(tmp_path, small_mnist_dir):
    r = steepest("train", *quick(small_mnist_dir), cwd=tmp_path)
    assert r.returncode == 0 and "warning" not in r.stderr
    _, info = load_model(tmp_path / "model.npz")
    assert "warning" not in info["result"]


# --- steepest plot sweep DIR writes into DIR ---


def test_plot_sweep_writes_into_the_sweep_folder(tmp_path):
    pytest.importorskip("matplotlib")
    from test_sweep_plot import write_sweep

    directory = write_sweep(tmp_path / "sweep-demo")
    (tmp_path / "work").mkdir()
    r = steepest("plot", "sweep", directory, cwd=tmp_path / "work")
    assert r.returncode == 0, r.stderr
    assert r.stdout == f"wrote {directory / 'sweep.png'}\n"
    assert (directory / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list((tmp_path / "work").iterdir()) == []  # nothing in the current folder
    help_text = " ".join(steepest("plot", "sweep", "--help", cwd=tmp_path).stdout.split())
    assert "[default: DIRECTORY/sweep.png]" in help_text
