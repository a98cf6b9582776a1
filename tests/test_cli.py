"""The command line: output, files written, and one-line errors for bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from steepest.cli import main
from steepest.datasets.idx import write_idx


def run(*args, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], **kwargs)


def run_process(*args, cwd=None, env=None):
    """A real process: proves there is no traceback and the exit status is right."""
    env = {k: v for k, v in os.environ.items() if k != "STEEPEST_DEBUG"} | (env or {})
    return subprocess.run([sys.executable, "-m", "steepest", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=300, env=env)


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope="module")
def trained(tmp_path_factory, small_mnist_dir):
    out = tmp_path_factory.mktemp("run") / "model.npz"
    result = run("train", "--data", small_mnist_dir, "--epochs", 3, "--batch-size", 20,
                 "--output", out)
    assert result.exit_code == 0, result.output
    return out, result.output


def test_every_command_has_help():
    for cmd in [[], ["train"], ["evaluate"], ["predict"], ["perceptron"], ["gradcheck"],
                ["ladder"], ["plot"], ["serve"], ["export"], ["sweep"], ["notebooks"]]:
        result = run(*cmd, "--help")
        assert result.exit_code == 0 and "Usage:" in result.output


def test_python_dash_m_and_version():
    result = run_process("--version")
    assert result.returncode == 0 and "steepest" in result.stdout


def _table(output: str) -> tuple[list[str], list[list[str]]]:
    """The perceptron table's header and its eight rows, split into words."""
    lines = output.splitlines()
    head = lines.index(next(line for line in lines if line.startswith("cheap ")))
    return lines[head].split(), [line.split() for line in lines[head + 1:head + 9]]


def test_perceptron_prints_the_lecture_table():
    result = run("perceptron")
    assert result.exit_code == 0
    # The lecture's three questions, in its words ("time", not "a ticket is available").
    assert "cheap: Are the tickets cheap?" in result.output
    assert "time:  Do I have the time to go?" in result.output
    assert "care:  Do I care about the team they're playing?" in result.output
    assert "go when w.x >= t" in result.output
    head, rows = _table(result.output)
    assert head == ["cheap", "time", "care", "w.x", "t=9", "t=7"]
    assert [r[:3] for r in rows] == [list(x) for x in ["111", "100", "110", "101", "011",
                                                          "000", "001", "010"]]
    assert [r[3] for r in rows] == ["10", "1", "7", "4", "9", "0", "3", "6"]
    # t = 9: "I'll only go if I'm both available and interested": w.x = 10 and 9 go.
    assert [r[4] for r in rows] == ["go", "-", "-", "-", "go", "-", "-", "-"]
    # t = 7: "I'll also go if the tickets are cheap and I'm available": and w.x = 7.
    assert [r[5] for r in rows] == ["go", "-", "go", "-", "go", "-", "-", "-"]
    assert result.output.splitlines()[-2:] == ["t = 9: goes in 2 of 8 situations",
                                               "t = 7: goes in 3 of 8 situations"]


def test_perceptron_flags():
    result = run("perceptron", "--weights", "2,2,2", "--threshold", "3")
    head, rows = _table(result.output)
    assert head[-1] == "t=3"
    assert [r[3] for r in rows] == ["6", "2", "4", "4", "4", "0", "2", "2"]
    assert [r[4] for r in rows] == ["go", "-", "go", "go", "go", "-", "-", "-"]
    # On the boundary, w.x = t goes (H(0) = 1).
    _, rows = _table(run("perceptron", "--weights", "2,2,2", "--threshold", "4").output)
    assert [r[4] for r in rows] == ["go", "-", "go", "go", "go", "-", "-", "-"]
    assert run("perceptron", "--weights", "1,2").exit_code == 2


@pytest.mark.parametrize("gate, outputs, verdict", [
    ("and", [0, 0, 0, 1], "converged after 6 epochs: w = (2, 1), b = -3"),
    ("or", [0, 1, 1, 1], "converged after 4 epochs: w = (1, 1), b = -1"),
    ("xor", None, "not converged after 25 epochs: XOR is not linearly separable"),
])
def test_perceptron_learns_and_reports_xor(gate, outputs, verdict):
    result = run("perceptron", "--learn", gate)
    assert result.exit_code == 0 and verdict in result.output
    rows = [line.split() for line in result.output.splitlines()[2:6]]
    assert [r[:2] for r in rows] == [["0", "0"], ["0", "1"], ["1", "0"], ["1", "1"]]
    targets = [int(r[2]) for r in rows]
    printed = [int(r[3]) for r in rows]
    if outputs is not None:  # learned: every output is its target
        assert targets == printed == outputs
    else:  # XOR: some output is wrong
        assert targets == [0, 1, 1, 0] and printed != targets


def test_train_writes_model_history_and_summary(trained):
    out, output = trained
    assert "784 -> 15 sigmoid -> 10 softmax (11,935 parameters)" in output
    assert output.count("test accuracy") >= 3
    assert output.strip().splitlines()[-1].startswith("done: test accuracy")
    history = json.loads((out.parent / "history.json").read_text())
    assert [r["epoch"] for r in history["epochs"]] == [1, 2, 3]
    for r in history["epochs"]:
        assert {"epoch", "train_loss", "test_accuracy", "seconds"} <= set(r)
    assert history["meta"]["config"]["hidden"] == [15]


def test_evaluate_text_and_json(trained, small_mnist_dir):
    out, _ = trained
    text = run("evaluate", out, "--data", small_mnist_dir)
    assert text.exit_code == 0 and "confusion matrix" in text.output
    doc = json.loads(run("evaluate", out, "--data", small_mnist_dir, "--json").output)
    confusion = np.array(doc["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == 500
    assert doc["accuracy"] == pytest.approx(np.trace(confusion) / 500)
    assert 0.5 < doc["accuracy"] <= 1


@pytest.fixture(scope="module")
def good_model(tmp_path_factory, mnist_data):
    """The lecture's network after 3 epochs on all of MNIST (about 91 % on the test set)."""
    from steepest.modelfile import save_model
    from steepest.training import TrainConfig, fit

    net, _ = fit(TrainConfig(epochs=3), mnist_data)
    path = tmp_path_factory.mktemp("good") / "model.npz"
    save_model(path, net)
    return path


def test_predict_drawn_digits_both_polarities(good_model, tmp_path, mnist_data):
    out = good_model
    _, (xt, yt) = mnist_data
    paths = []
    for i in range(3):  # the test set opens with an easy 7, 2 and 1
        light = tmp_path / f"light{i}.png"  # light-on-dark, as MNIST
        dark = tmp_path / f"dark{i}.jpg"  # dark-on-light, as a pen drawing
        Image.fromarray(xt[i]).resize((112, 112), Image.Resampling.BILINEAR).save(light)
        Image.fromarray(255 - xt[i]).resize((112, 112), Image.Resampling.BILINEAR).save(dark)
        paths += [light, dark]
    result = run("predict", out, *paths, "--json")
    assert result.exit_code == 0, result.output
    docs = json.loads(result.output)
    assert len(docs) == 6
    for d in docs:
        assert len(d["probabilities"]) == 10 and sum(d["probabilities"]) == pytest.approx(1, 1e-5)
        assert d["digit"] == int(np.argmax(d["probabilities"]))
    assert [d["digit"] for d in docs] == [7, 7, 2, 2, 1, 1] == np.repeat(yt[:3], 2).tolist()
    text = run("predict", out, paths[0])
    assert text.exit_code == 0 and "light0.png:" in text.output


def test_gradcheck_command():
    result = run("gradcheck", "--samples", 3)
    assert result.exit_code == 0, result.output
    assert "backprop agrees: 11,935 parameters" in result.output


# --- bad input: one line on stderr, non-zero exit, no traceback, nothing overwritten ---


@pytest.fixture
def bad_dir(tmp_path, make_mnist_dir):
    return make_mnist_dir(tmp_path / "data", n_train=100, n_test=20)


def test_corrupt_idx(bad_dir, tmp_path):
    p = bad_dir / "train-images-idx3-ubyte.gz"
    p.write_bytes(p.read_bytes()[:30] + b"\x00" * 200)
    r = run_process("train", "--data", bad_dir, "-o", tmp_path / "m.npz")
    assert_one_line_error(r, "train-images-idx3-ubyte.gz", "corrupt gzip")
    assert not (tmp_path / "m.npz").exists()


def test_truncated_idx(bad_dir, tmp_path):
    import gzip

    p = bad_dir / "t10k-images-idx3-ubyte.gz"
    p.write_bytes(gzip.compress(gzip.decompress(p.read_bytes())[:-28]))
    r = run_process("evaluate", tmp_path / "m.npz", "--data", bad_dir)
    assert_one_line_error(r)  # the model is checked first: it does not exist
    r = run_process("train", "--data", bad_dir, "-o", tmp_path / "m.npz")
    assert_one_line_error(r, "t10k-images-idx3-ubyte.gz", "truncated")


def test_directory_missing_a_file(bad_dir, tmp_path):
    (bad_dir / "train-labels-idx1-ubyte.gz").unlink()
    r = run_process("train", "--data", bad_dir, "-o", tmp_path / "m.npz")
    assert_one_line_error(r, "missing train-labels-idx1-ubyte(.gz)")


def test_labels_out_of_range(bad_dir, tmp_path):
    write_idx(bad_dir / "train-labels-idx1-ubyte.gz", np.full(100, 11, np.uint8))
    r = run_process("train", "--data", bad_dir, "-o", tmp_path / "m.npz")
    assert_one_line_error(r, "labels must be 0-9, found [11]")


def test_image_that_is_not_an_image(trained, tmp_path):
    out, _ = trained
    fake = tmp_path / "digit.png"
    fake.write_text("not a png")
    r = run_process("predict", out, fake)
    assert_one_line_error(r, "digit.png: not a readable image")


@pytest.mark.parametrize("kind", ["truncated", "not_a_model"])
def test_bad_model_file(trained, tmp_path, kind, small_mnist_dir):
    out, _ = trained
    bad = tmp_path / "bad.npz"
    bad.write_bytes(out.read_bytes()[:3000] if kind == "truncated" else b"hello world")
    before = bad.read_bytes()
    r = run_process("evaluate", bad, "--data", small_mnist_dir)
    assert_one_line_error(r, "bad.npz")
    assert bad.read_bytes() == before


def test_divergence_stops_with_one_line_and_keeps_old_model(trained, tmp_path, small_mnist_dir):
    out, _ = trained
    target = tmp_path / "m.npz"
    target.write_bytes(out.read_bytes())
    before = target.read_bytes()
    r = run_process("train", "--data", small_mnist_dir, "--learning-rate", "1e38", "-o", target,
                    "--force")
    assert_one_line_error(r, "diverged in epoch 1", "smaller learning rate")
    assert target.read_bytes() == before


def test_divergence_mid_run_keeps_last_good_epoch(tmp_path, small_mnist_dir, monkeypatch):
    # Make the loss infinite from epoch 2's first batch on: epoch 1's model must remain.
    import steepest.training as training

    calls = {"n": 0}
    real = training.nll
    batches_per_epoch = 2000 // 100

    def flaky(o, y, logits=None):
        calls["n"] += 1
        value, delta = real(o, y, logits)
        return (np.inf if calls["n"] > batches_per_epoch else value), delta

    monkeypatch.setattr(training, "nll", flaky)
    target = tmp_path / "m.npz"
    r = CliRunner().invoke(main, ["train", "--data", str(small_mnist_dir), "--epochs", "3",
                                  "--batch-size", "100", "-o", str(target)])
    assert r.exit_code == 1
    assert "diverged in epoch 2" in r.output and "model of epoch 1 is kept" in r.output
    from steepest.modelfile import load_model

    _, info = load_model(target)
    assert [h["epoch"] for h in info["history"]] == [1]


def test_bad_flags_exit_2():
    r = run_process("train", "--hidden", "15,x")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = run_process("train", "--activation", "swish")
    assert r.returncode == 2 and "swish" in r.stderr


def test_steepest_debug_shows_the_traceback_that_is_otherwise_one_line(tmp_path):
    missing = tmp_path / "missing.npz"
    quiet = run_process("evaluate", missing)
    assert_one_line_error(quiet, "missing.npz")
    loud = run_process("evaluate", missing, env={"STEEPEST_DEBUG": "1"})
    assert loud.returncode != 0
    assert "Traceback (most recent call last)" in loud.stderr and "missing.npz" in loud.stderr


def test_train_plots_writes_the_runs_figures(tmp_path, small_mnist_dir):
    figures = tmp_path / "figs"
    r = run("train", "--data", small_mnist_dir, "--epochs", 2, "--batch-size", 50,
            "-o", tmp_path / "m.npz", "--plots", figures)
    assert r.exit_code == 0, r.output
    names = sorted(p.name for p in figures.iterdir())
    assert names == ["confusion.png", "history.png", "mistakes.png", "weights.png"]
    assert "4 figures in" in r.output.strip().splitlines()[-1]


def test_predict_a_blank_image_says_so(good_model, tmp_path):
    blank = tmp_path / "blank.png"
    Image.new("L", (64, 64), 255).save(blank)
    r = run_process("predict", good_model, blank)
    assert_one_line_error(r, "blank.png: no ink found")


# --- issue 7: numbers, types and paths are checked before a run, files are strict ---


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def test_history_json_is_strict_json_with_validation(tmp_path, small_mnist_dir):
    r = run("train", "--data", small_mnist_dir, "--epochs", 2, "--batch-size", 50,
            "--validation", 300, "-o", tmp_path / "m.npz")
    assert r.exit_code == 0, r.output
    doc = strict_json((tmp_path / "history.json").read_text())
    assert all(np.isfinite(e["val_loss"]) for e in doc["epochs"])


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "nesterov", "adam"])
def test_weight_decay_without_adamw_is_a_one_line_error(tmp_path, optimizer):
    r = run_process("train", "--weight-decay", "0.05", "--optimizer", optimizer,
                    "-o", tmp_path / "m.npz")
    assert_one_line_error(r, "weight_decay 0.05 needs optimizer 'adamw'", "use l2")
    assert not (tmp_path / "m.npz").exists()


def test_help_says_what_l2_and_weight_decay_act_on():
    text = " ".join(run("train", "--help").output.split())
    assert "L2 penalty on the weights W, not biases" in text
    assert "decoupled decay of the weights W, not biases; needs --optimizer adamw" in text


@pytest.mark.parametrize("line, fragments", [
    ('augment = "no"', ["bad.toml: augment must be true or false (a boolean), got 'no' (a str)"]),
    ('restore_best = "false"', ["bad.toml: restore_best must be true or false", "'false'"]),
    ("hidden = [15.7]", ["bad.toml: hidden must be a list of positive ints, got [15.7]",
                         "15.7 (a float)"]),
    ('threads = "2"', ["bad.toml: threads must be an int, got '2' (a str)"]),
    ("output = 3", ["bad.toml: output must be a string, got 3 (a int)"]),
])
def test_config_file_values_are_checked_by_type(tmp_path, line, fragments):
    bad = tmp_path / "bad.toml"
    bad.write_text(line + "\n")
    r = run_process("train", "--config", bad, "-o", tmp_path / "m.npz")
    assert_one_line_error(r, *fragments)
    assert not (tmp_path / "m.npz").exists()


def test_a_flag_overrides_a_bad_file_value_and_errors_name_their_source(tmp_path, small_mnist_dir):
    cfg = tmp_path / "c.toml"
    cfg.write_text('optimizer = "adam"\nweight_decay = 0.01\n')
    r = run_process("train", "--config", cfg, "--optimizer", "sgd", "-o", tmp_path / "m.npz")
    assert_one_line_error(r, "c.toml: weight_decay 0.01 needs optimizer 'adamw'")
    r = run("train", "--config", cfg, "--optimizer", "adamw", "--epochs", 1, "--data",
            small_mnist_dir, "-o", tmp_path / "m.npz")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("flag", [["--plots", "/proc/steepest-figures"],
                                  ["-o", "/proc/steepest/m.npz"],
                                  ["--checkpoint", "/proc/steepest/c.npz",
                                   "--checkpoint-every", "1"]])
def test_unwritable_paths_are_refused_before_training(tmp_path, small_mnist_dir, flag):
    args = ["train", "--data", small_mnist_dir, "--epochs", 1, *flag]
    if "-o" not in flag:
        args += ["-o", tmp_path / "m.npz"]
    r = run_process(*args)
    assert_one_line_error(r, "cannot write into /proc")
    assert "epoch" not in r.stdout  # nothing was trained
    assert not (tmp_path / "m.npz").exists()


def test_one_epoch_is_singular(tmp_path, small_mnist_dir):
    r = run("train", "--data", small_mnist_dir, "--epochs", 1, "-o", tmp_path / "m.npz")
    assert r.exit_code == 0, r.output
    assert "after 1 epoch in" in r.output.splitlines()[-1]


def fake_distribution(monkeypatch, *direct_urls, checkout=None):
    """steepest's installed distributions, each with this direct_url.json (None: none), and
    the checkout steepest is imported from (None: not from a checkout's src)."""
    import importlib.metadata

    import steepest.cli.app as app

    class Dist:
        requires = ['numpy>=1.24', 'matplotlib>=3.6; extra == "plots"',
                    'Flask>=2.2; extra == "web"', 'waitress>=2.1; extra == "web"',
                    'tomli>=1.1; python_version < "3.11"', 'matplotlib>=3.6; extra == "test"']

        def __init__(self, direct_url):
            self.direct_url = direct_url

        def read_text(self, name):
            return self.direct_url

    dists = [Dist(d) for d in direct_urls]
    monkeypatch.setattr(importlib.metadata, "distributions", lambda name: dists)
    monkeypatch.setattr(app, "_source_checkout", lambda: checkout, raising=False)


def test_install_hint_for_an_editable_checkout(monkeypatch, tmp_path):
    from steepest.cli.app import install_hint

    # the first is a build's egg-info in src/ (no installer record), as with src on PYTHONPATH
    fake_distribution(monkeypatch, None, '{"dir_info": {"editable": true}, '
                                         '"url": "file:///home/me/my%20steepest"}')
    assert install_hint("web") == 'python -m pip install -e "/home/me/my steepest[web]"'
    # in the checkout itself: the README's own words
    (tmp_path / "my steepest").mkdir()
    fake_distribution(monkeypatch, '{"dir_info": {"editable": true}, "url": "file://'
                                   f'{tmp_path}/my%20steepest"}}')
    monkeypatch.chdir(tmp_path / "my steepest")
    assert install_hint("web") == 'python -m pip install -e ".[web]"'


def test_install_hint_from_a_checkout_not_installed(monkeypatch, tmp_path):
    from steepest.cli.app import install_hint

    fake_distribution(monkeypatch, checkout=tmp_path)  # src on PYTHONPATH, nothing installed
    assert install_hint("plots") == f'python -m pip install -e "{tmp_path}[plots]"'


def test_the_checkout_is_found_from_where_steepest_is_imported():
    import steepest
    from steepest.cli.app import _source_checkout

    root = Path(steepest.__file__).resolve().parents[2]
    assert _source_checkout() == (root if (root / "pyproject.toml").is_file() else None)


@pytest.mark.parametrize("direct_url", [
    None,  # from an index
    '{"url": "file:///tmp/dist/steepest-0.1.0-py3-none-any.whl", "archive_info": {}}',
    '{"url": "https://example.org/steepest.git", "vcs_info": {"vcs": "git", "commit_id": "ab"}}',
    '{"url": "file:///home/me/steepest", "dir_info": {}}',  # pip install . (not editable)
])
def test_install_hint_for_an_installed_package_names_the_extras_packages(monkeypatch, direct_url):
    from steepest.cli.app import install_hint

    # 'steepest[plots]' would look for steepest on a package index, not where this one came from
    fake_distribution(monkeypatch, direct_url)
    assert install_hint("plots") == 'python -m pip install "matplotlib>=3.6"'
    assert install_hint("web") == 'python -m pip install "Flask>=2.2" "waitress>=2.1"'


def test_evaluate_refuses_data_whose_labels_the_model_cannot_output(tmp_path, small_mnist_dir):
    from steepest.modelfile import save_model
    from steepest.network import Network

    four = tmp_path / "four.npz"  # a 4-class model: digits 4-9 are not among its outputs
    save_model(four, Network((784, 5, 4), rng=np.random.default_rng(0)))
    r = run_process("evaluate", four, "--data", small_mnist_dir)
    assert_one_line_error(r, "labels must be ints in [0, 4), got 9")
