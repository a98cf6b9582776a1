"""SPACE.toml: read and checked against TrainConfig before anything runs (steepest.sweep.space)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from steepest.cli import main
from steepest.config import TrainConfig
from steepest.sweep.space import Space, SpaceError, parse_space, read_space

ROOT = Path(__file__).resolve().parents[1]
SWEEPS = ROOT / "src" / "steepest" / "configs" / "sweeps"


def write(tmp_path, text: str, name: str = "space.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def test_the_bundled_spaces_read_and_search_what_the_issue_asks():
    lecture = read_space(SWEEPS / "lecture-lr-batch.toml")
    assert TrainConfig(**lecture.fixed).hidden == (15,)
    assert lecture.fixed["activation"] == "sigmoid" and lecture.fixed["optimizer"] == "sgd"
    lr, batch = lecture.params
    assert (lr.name, lr.kind, lr.log) == ("learning_rate", "float", True)
    assert batch.name == "batch_size" and batch.kind == "categorical"
    mlp = read_space(SWEEPS / "mlp-800.toml")
    assert [p.name for p in mlp.params] == ["learning_rate", "dropout", "weight_decay", "hidden"]
    assert "800-800" in mlp.params[3].choices
    for space in (lecture, mlp):
        assert space.validation == 10_000 and space.sampler == "tpe"


def test_a_trial_config_is_the_fixed_keys_plus_the_sampled_values():
    space = parse_space({"epochs": 3, "search": {
        "learning_rate": {"low": 0.01, "high": 10.0, "log": True},
        "hidden": [[10], [20, 20]], "batch_size": [10, 32]}})
    config = space.config({"learning_rate": 0.5, "hidden": "20-20", "batch_size": 32})
    assert config == TrainConfig(epochs=3, validation=10_000, learning_rate=0.5,
                                 hidden=(20, 20), batch_size=32)
    assert space.params[1].choices == ("10", "20-20")  # Optuna stores plain values


def test_distributions_are_optunas_for_each_kind():
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    space = parse_space({"search": {
        "learning_rate": {"low": 0.01, "high": 1, "log": True},
        "step_every": {"low": 2, "high": 10, "step": 2},
        "dropout": {"low": 0, "high": 0.5, "step": 0.1},
        "activation": ["relu", "tanh"]}})
    d = space.distributions()
    assert d["learning_rate"] == FloatDistribution(0.01, 1.0, log=True)
    assert d["step_every"] == IntDistribution(2, 10, step=2)
    assert d["dropout"] == FloatDistribution(0.0, 0.5, step=0.1)
    assert d["activation"] == CategoricalDistribution(("relu", "tanh"))


def test_a_grid_lists_every_value_and_its_size():
    space = parse_space({"sampler": "grid", "search": {
        "dropout": {"low": 0.0, "high": 0.3, "step": 0.1}, "batch_size": [10, 32]}})
    assert space.grid() == {"dropout": [0.0, 0.1, 0.2, 0.3], "batch_size": [10, 32]}
    assert space.grid_size() == 8


def test_describe_names_only_the_files_keys_so_a_study_does_not_depend_on_defaults():
    a = parse_space({"epochs": 3, "search": {"batch_size": [10]}})
    b = parse_space({"epochs": 3, "seed": 0, "search": {"batch_size": [10]}})
    assert a.describe()["fixed"] == {"epochs": 3, "validation": 10_000}
    assert a.describe() != b.describe()


@pytest.mark.parametrize("text, message", [
    # unknown keys
    ("nope = 1\n[search]\nbatch_size = [10]", "unknown key 'nope'"),
    ("[search]\nnope = [1]", "search.nope: unknown config key 'nope'"),
    ("[search]\nlearning_rate = { low = 0.1, high = 1.0, base = 2 }", "unknown key 'base'"),
    ("[pruner]\npatience = 2\n[search]\nbatch_size = [10]", "unknown key pruner.patience"),
    # low > high, empty list
    ("[search]\nlearning_rate = { low = 2.0, high = 1.0 }",
     "search.learning_rate: low 2.0 is greater than high 1.0"),
    ("[search]\nbatch_size = []", "search.batch_size: the list of values is empty"),
    # wrong types
    ("[search]\nbatch_size = ['32']", "search.batch_size: batch_size must be a positive int, "
                                     "got '32' (a str)"),
    ("[search]\nbatch_size = { low = 1.5, high = 8 }", "search.batch_size: low must be an int"),
    ("[search]\nlearning_rate = { low = 'a', high = 1.0 }", "low must be a number"),
    ("[search]\naugment = ['no', 'yes']", "augment must be true or false"),
    ("[search]\nlearning_rate = { low = 0.1, high = 1.0, log = 'yes' }", "log must be true"),
    ("epochs = '3'\n[search]\nbatch_size = [10]", "epochs must be a positive int, got '3'"),
    ("sampler = 3\n[search]\nbatch_size = [10]", "sampler must be a string"),
    ("[search]\nactivation = { low = 1, high = 2 }", "activation is not a number"),
    ("[search]\nbatch_size = 32", "expected a list of values or a table"),
    ("[search]\nhidden = [[10, 0]]", "hidden sizes must be positive ints"),
    # values TrainConfig refuses, alone or together
    ("[search]\ndropout = { low = 0.0, high = 1.0 }", "dropout must be a number in [0, 1)"),
    ("[search]\nweight_decay = [0.0, 0.1]", "search.weight_decay: weight_decay 0.1 needs "
                                           "optimizer 'adamw'"),
    ("[search]\noptimizer = ['adam', 'adamw']\nweight_decay = [0.0, 0.1]",
     "search.optimizer = 'adam' with search.weight_decay = 0.1"),
    # ranges, samplers, validation
    ("[search]\nlearning_rate = { low = 0.0, high = 1.0, log = true }", "needs low > 0"),
    ("[search]\nlearning_rate = { low = 0.1, high = 1.0, log = true, step = 0.1 }",
     "log and step cannot be used together"),
    ("[search]\nlearning_rate = { low = 0.1, high = 1.0, step = 0.4 }", "not a multiple"),
    ("sampler = 'grid'\n[search]\nlearning_rate = { low = 0.1, high = 1.0 }",
     "sampler 'grid' needs a list or a range with a step"),
    ("sampler = 'bayes'\n[search]\nbatch_size = [10]", "unknown sampler 'bayes'"),
    ("validation = 0\n[search]\nbatch_size = [10]", "validation must be at least 1"),
    ("[search]\nvalidation = [100, 200]", "validation cannot be searched"),
    ("batch_size = 10\n[search]\nbatch_size = [10]", "both fixed and searched"),
    ("epochs = 3", "no [search] table"),
    ("[search", "not valid TOML"),
])
def test_a_bad_space_is_one_line_naming_the_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(SpaceError) as err:
        read_space(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_a_missing_space_file(tmp_path):
    with pytest.raises(SpaceError, match="no such space file"):
        read_space(tmp_path / "nope.toml")
    with pytest.raises(SpaceError, match="is a directory"):
        read_space(tmp_path)


@pytest.mark.parametrize("text, message", [
    ("[search]\nnope = [1]", "unknown config key 'nope'"),
    ("[search]\nlearning_rate = { low = 2.0, high = 1.0 }", "low 2.0 is greater than high"),
    ("[search]\nbatch_size = []", "the list of values is empty"),
    ("[search]\nbatch_size = ['32']", "batch_size must be a positive int, got '32'"),
])
def test_the_command_refuses_a_bad_space_in_one_line_before_any_work(tmp_path, text, message):
    path = write(tmp_path, text)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(path), "-o", str(out)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("steepest: error: ") and message in lines[0]
    assert not out.exists()  # checked before anything was created or started


def test_a_bad_space_in_a_real_process_prints_no_traceback(tmp_path):
    path = write(tmp_path, "[search]\nbatch_size = []")
    r = subprocess.run([sys.executable, "-m", "steepest", "sweep", str(path)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines() == [
        f"steepest: error: {path}: search.batch_size: the list of values is empty"]


def test_missing_sweep_packages_name_the_extra_to_install(tmp_path, monkeypatch):
    path = write(tmp_path, "[search]\nbatch_size = [10]")
    monkeypatch.setitem(sys.modules, "optuna_integration", None)  # import now fails
    result = CliRunner().invoke(main, ["sweep", str(path)])
    assert result.exit_code == 1
    assert "steepest sweep needs optuna_integration" in result.output
    assert "[sweep]" in result.output and "pip install" in result.output


def test_the_wheel_ships_the_example_spaces(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("steepest-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {f"steepest/configs/sweeps/{p.name}" for p in SWEEPS.glob("*.toml")}
    assert len(shipped) == 2 and shipped <= names
    assert "steepest/sweep/objective.py" in names and "steepest/plots/sweep.py" in names


def test_space_is_importable_without_optuna():
    code = ("import sys; sys.modules['optuna'] = None\n"
            "from steepest.sweep.space import parse_space\n"
            "print(parse_space({'search': {'batch_size': [10]}}).params[0].name)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "batch_size", r.stderr
    assert isinstance(parse_space({"search": {"batch_size": [10]}}), Space)


def test_the_sweep_pages_space_example_is_a_valid_space():
    section = (ROOT / "docs" / "guide" / "sweeps.md").read_text()  # was the README's
    block = section.split("```toml\n", 1)[1].split("```", 1)[0]
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    space = parse_space(tomllib.loads(block), "docs/guide/sweeps.md")
    assert [p.name for p in space.params] == ["learning_rate", "batch_size", "hidden"]
    assert (space.startup_trials, space.warmup_epochs) == (5, 1)
    for command in ("configs/sweeps/lecture-lr-batch.toml",):
        assert command in section and (ROOT / command).exists()
