import json

import pytest
from click.testing import CliRunner

from steepest.cli import main, read_config_file
from steepest.ladder import Rung, bundled_configs, markdown_table


def test_bundled_rungs_parse_and_are_in_order():
    paths = bundled_configs()
    assert len(paths) >= 2
    numbers = [int(p.stem.split("-")[0]) for p in paths]
    assert numbers == sorted(numbers) and numbers[0] == 1
    for p in paths:
        rung = Rung.from_file(p, read_config_file)
        assert rung.description
        assert rung.config.validation == 10000  # every rung selects on validation only
    lecture = Rung.from_file(paths[0], read_config_file).config
    assert lecture.hidden == (15,) and lecture.activation == "sigmoid"
    assert lecture.init == "normal" and lecture.optimizer == "sgd"


def test_ladder_command_writes_table_and_models(tmp_path, small_mnist_dir):
    a, b = tmp_path / "1-small.toml", tmp_path / "2-adam.toml"
    a.write_text('description = "small sgd"\nhidden = [10]\nepochs = 2\nvalidation = 300\n')
    b.write_text('description = "adam"\nhidden = [10]\nepochs = 2\nvalidation = 300\n'
                 'optimizer = "adam"\nlearning_rate = 0.01\ninit = "scaled"\n')
    out = tmp_path / "ladder.md"
    r = CliRunner().invoke(main, ["ladder", str(a), str(b), "--data", str(small_mnist_dir),
                                  "--models", str(tmp_path / "models"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    table = out.read_text().splitlines()
    assert table[0] == "| rung | what changed | validation | test | epochs | wall time |"
    assert table[2].startswith("| 1-small | small sgd | ")
    assert table[3].startswith("| 2-adam | adam | ")
    assert (tmp_path / "models" / "1-small.npz").exists()
    assert (tmp_path / "models" / "2-adam.npz").exists()
    # the table names where it was measured: kernel and each rung's BLAS threads
    from steepest.machine import blas_label, describe_machine

    note = out.read_text().strip().splitlines()[-1]
    assert note.startswith("Measured ") and blas_label(describe_machine()) in note
    assert "BLAS threads per rung: 1-small 1, 2-adam 1." in note


def test_ladder_rejects_unknown_keys(tmp_path):
    bad = tmp_path / "1-bad.toml"
    bad.write_text("lerning_rate = 0.1\n")
    r = CliRunner().invoke(main, ["ladder", str(bad)])
    assert r.exit_code == 1
    assert "unknown config key 'lerning_rate'; valid keys: hidden" in r.output


def test_markdown_table_header_only():
    assert markdown_table([]).count("\n") == 1


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "run.toml"
    path.write_text('hidden = [12]\nepochs = 2\nbatch_size = 50\nlearning_rate = 0.5\n'
                    'optimizer = "momentum"\nmomentum = 0.8\n')
    return path


def test_train_config_file_and_flags_override(tmp_path, small_mnist_dir, config_file):
    out = tmp_path / "m.npz"
    r = CliRunner().invoke(main, ["train", "--config", str(config_file), "--epochs", "1",
                                  "--data", str(small_mnist_dir), "-o", str(out)])
    assert r.exit_code == 0, r.output
    meta = json.loads((tmp_path / "history.json").read_text())["meta"]
    cfg = meta["config"]
    assert cfg["hidden"] == [12] and cfg["optimizer"] == "momentum" and cfg["momentum"] == 0.8
    assert cfg["epochs"] == 1  # the flag beat the file
    assert meta["seed"] == 0 and meta["version"]
    assert set(meta["data_sha256"]) == {"x_train", "y_train", "x_test", "y_test"}
    from steepest.modelfile import load_model

    _, info = load_model(out)
    assert info["config"] == cfg and info["data_sha256"] == meta["data_sha256"]


@pytest.mark.parametrize("text, message", [
    ("epochs = 'ten'\n", "epochs must be a positive int, got 'ten'"),
    ("optimizer = 'sgdd'\n", "unknown optimizer 'sgdd'; choose one of: sgd, momentum"),
    ("dropout = 1.2\n", r"dropout must be a number in [0, 1), got 1.2"),
    ("hidden = [\n", "not valid TOML"),
])
def test_train_config_file_errors_are_one_line(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    r = CliRunner().invoke(main, ["train", "--config", str(path), "-o", str(tmp_path / "m.npz")])
    assert r.exit_code == 1
    assert message in r.output and len(r.output.strip().splitlines()) == 1
    assert not (tmp_path / "m.npz").exists()


def test_a_model_file_reruns_its_own_config(tmp_path, small_mnist_dir):
    first = tmp_path / "a" / "model.npz"
    r = CliRunner().invoke(main, ["train", "--hidden", "9", "--optimizer", "adam", "--lr", "0.01",
                                  "--epochs", "2", "--seed", "5", "--data", str(small_mnist_dir),
                                  "-o", str(first)])
    assert r.exit_code == 0, r.output
    again = tmp_path / "b" / "model.npz"
    for source in (first, first.parent / "history.json"):
        r = CliRunner().invoke(main, ["train", "--config", str(source), "--data",
                                      str(small_mnist_dir), "-o", str(again), "--force"])
        assert r.exit_code == 0, r.output
        from steepest.modelfile import load_model

        (net_a, info_a), (net_b, info_b) = load_model(first), load_model(again)
        assert info_a["config"] == info_b["config"]
        assert all(a.tobytes() == b.tobytes()
                   for a, b in zip(net_a.get_weights(), net_b.get_weights()))


def test_config_from_a_file_without_one(tmp_path):
    bad = tmp_path / "h.json"
    bad.write_text('{"epochs": []}')
    r = CliRunner().invoke(main, ["train", "--config", str(bad)])
    assert r.exit_code == 1 and "records no training config" in r.output


def test_a_rung_file_may_carry_run_keys(tmp_path):
    # Where data comes from and goes, and BLAS threads, are not training settings.
    path = tmp_path / "1-r.toml"
    path.write_text('description = "d"\nhidden = 12\nthreads = 1\noutput = "x.npz"\n')
    rung = Rung.from_file(path, read_config_file)
    assert rung.config.hidden == (12,) and rung.description == "d"


def test_a_rung_without_validation_shows_a_dash(tmp_path, small_mnist_dir):
    # It used to train and then die with "TypeError ... NoneType".
    rung = tmp_path / "1-plain.toml"
    rung.write_text('description = "no validation"\nhidden = [10]\nepochs = 1\n')
    out = tmp_path / "ladder.md"
    r = CliRunner().invoke(main, ["ladder", str(rung), "--data", str(small_mnist_dir),
                                  "--models", str(tmp_path / "models"), "-o", str(out)])
    assert r.exit_code == 0, r.output
    row = out.read_text().splitlines()[2].split(" | ")
    assert row[0] == "| 1-plain" and row[2] == "—" and row[3].endswith(" %")
    assert "validation —, test " in r.output
    assert "1 model in" in r.output.splitlines()[-1]


@pytest.mark.parametrize("second", ['augment = "no"\n', "validation = 5000\n"])
def test_every_rung_is_checked_before_any_training(tmp_path, small_mnist_dir, second):
    good, bad = tmp_path / "1-good.toml", tmp_path / "2-bad.toml"
    good.write_text("hidden = [10]\nepochs = 1\nvalidation = 300\n")
    bad.write_text("hidden = [10]\nepochs = 1\n" + second)
    r = CliRunner().invoke(main, ["ladder", str(good), str(bad), "--data", str(small_mnist_dir),
                                  "--models", str(tmp_path / "models"),
                                  "-o", str(tmp_path / "ladder.md")])
    assert r.exit_code == 1
    assert "2-bad" in r.output and "error" in r.output
    assert "epoch" not in r.output  # rung 1 never started
    assert not list((tmp_path / "models").glob("*.npz"))


def test_a_rung_reads_its_own_toml_without_a_reader(tmp_path):
    # A notebook needs no TOML plumbing: the default reader is steepest's own.
    for p in bundled_configs():
        assert Rung.from_file(p) == Rung.from_file(p, read_config_file)
    path = tmp_path / "1-typo.toml"
    path.write_text('description = "d"\nhiden = [12]\n')  # a typo is refused, not dropped
    with pytest.raises(ValueError, match=r"1-typo.toml: unknown config key 'hiden'"):
        Rung.from_file(path)
