"""The README, followed by a newcomer: every snippet runs alone, every command can be installed.

Every ```python block runs on its own in a fresh process, in an empty folder: a snippet that
needs another snippet's names (``NameError: mnist``) fails here.  A block that reads a file the
README makes before it (``model.onnx``, ``digit.png``) gets that file first, made the way the
README makes it (``steepest train``, ``steepest export``), never by editing the README's code.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import numpy as np
import pytest

import steepest

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, re.M | re.S)


PYTHON = blocks("python")


def imported_modules(code: str) -> set[str]:
    """The top-level modules a snippet imports."""
    names = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def extras() -> dict[str, set[str]]:
    """Each extra (and "" for the core dependencies) -> the distributions it installs."""
    found = {"": {requirement_name(r) for r in PYPROJECT["dependencies"]}}
    for extra, requirements in PYPROJECT["optional-dependencies"].items():
        found[extra] = {requirement_name(r) for r in requirements}
    return found


# --- every python block runs alone ---


@pytest.fixture(scope="module")
def exported_model(tmp_path_factory, mnist_data):
    """``model.onnx`` and ``digit.png`` as the README makes them: `steepest train`, then
    `steepest export`, and a digit of the MNIST test set (white on black, 28x28)."""
    pytest.importorskip("onnx")
    from PIL import Image

    folder = tmp_path_factory.mktemp("exported")
    for command in (["train", "--epochs", "1"], ["export", "model.npz"]):
        r = subprocess.run([sys.executable, "-m", "steepest", *command], cwd=folder,
                           capture_output=True, text=True, timeout=600, env=child_env())
        assert r.returncode == 0, r.stderr
    (_, _), (x_test, y_test) = mnist_data
    Image.fromarray(x_test[0]).save(folder / "digit.png")
    return folder, int(y_test[0])


def child_env() -> dict[str, str]:
    """This checkout's steepest first on the path, as the parent process has it."""
    src = str(Path(steepest.__file__).resolve().parents[1])
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": src + (os.pathsep + path if path else "")}


def test_the_readme_has_the_snippets_this_file_runs():
    # so that a change in how blocks are marked cannot make every test below vacuous
    assert len(PYTHON) >= 4
    assert any("run_with_progress" in code for code in PYTHON)
    assert any("onnxruntime" in code for code in PYTHON)


@pytest.mark.parametrize("code", PYTHON, ids=[f"block{i}" for i in range(len(PYTHON))])
def test_each_python_block_runs_alone(code, tmp_path, request):
    for module in imported_modules(code) - {"steepest"}:
        pytest.importorskip(module)
    expected = None
    if "model.onnx" in code or "digit.png" in code:  # the files "Use the model elsewhere" reads
        folder, expected = request.getfixturevalue("exported_model")
        for name in ("model.onnx", "digit.png"):
            shutil.copy(folder / name, tmp_path / name)
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600, env=child_env())
    assert r.returncode == 0, f"the README's block fails alone:\n{code}\n{r.stderr}"
    assert r.stdout.strip(), "every snippet prints what it computed"
    if expected is not None:  # the digit the five lines classify
        assert r.stdout.strip() == str(expected)


def test_the_long_snippet_shows_progress_and_says_how_long_it_takes():
    (code,) = [c for c in PYTHON if "TrainConfig(" in c]
    assert "run_with_progress" in code
    before = README[: README.index(code)].rsplit("```", 1)[0].rstrip().rsplit("\n\n", 1)[-1]
    assert re.search(r"about \d+ s", before), before


# --- what the snippets and commands need can be installed as the README says ---


def test_every_module_a_snippet_imports_comes_with_steepest_or_an_extra():
    # onnxruntime used to be in the test extra only: the README's five lines could not run
    # after the README's own install line
    installed = set().union(*(names for extra, names in extras().items() if extra != "test"))
    installed.add("steepest")
    dists = packages_distributions()
    for code in PYTHON:
        for module in imported_modules(code):
            if module in sys.stdlib_module_names:
                continue
            names = {requirement_name(d) for d in dists.get(module, [module])}
            assert names & installed, f"{module} ({names}) is in no extra but 'test'"


def test_the_onnx_extra_runs_what_it_writes():
    assert {"onnx", "onnxruntime"} <= extras()["onnx"]


#: Programs the README's commands run that steepest does not install through a pip line:
#: None for this package, Python and the system's tools; else the (extra, distribution).
PROGRAMS = {"python": None, "steepest": None, "apt-get": None, "scp": None,
            "dask": ("sweep", "dask"), "jupyter": ("notebooks", "jupyterlab")}


def commands() -> set[str]:
    """The program of every command in the README's bash blocks."""
    found = set()
    for block in blocks("bash"):
        continued = False
        for line in block.splitlines():
            text = line.split(" #", 1)[0].strip()
            if text and not continued:
                found |= {part.split()[0] for part in text.split("&&")}
            continued = text.endswith("\\")
    return found


def test_every_program_the_readme_runs_is_installed_by_a_readme_line():
    # optuna-dashboard used to be shown without how to get it
    programs = commands()
    assert {"steepest", "python", "dask", "optuna-dashboard"} <= programs
    for program in programs:
        if program in PROGRAMS:
            if PROGRAMS[program] is not None:
                extra, dist = PROGRAMS[program]
                assert dist in extras()[extra]
            continue
        assert re.search(rf"python -m pip install [^\n`]*\b{re.escape(program)}\b", README), (
            f"the README runs {program} but no line says how to install it")


def test_install_lines_name_this_checkout_not_a_package_index():
    # steepest installs from its source: 'steepest[sweep]' would look for it on an index
    assert "steepest[" not in README
    named = set(re.findall(r'-e "\.\[(\w+)\]"', README))
    assert named and named <= set(PYPROJECT["optional-dependencies"])
    # and the worker machines of a sweep get this checkout as a wheel
    assert "python -m pip wheel --no-deps -w dist ." in README
    assert 'python -m pip install "steepest-0.1.0-py3-none-any.whl[sweep]"' in README
    assert PYPROJECT["version"] == "0.1.0", "the README's wheel names the version"


def test_the_readmes_train_commands_do_not_replace_each_others_files():
    # following the README in order used to overwrite the first model.npz without a word
    outputs = []
    for block in blocks("bash"):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            command = line.split(" #", 1)[0].split()
            if command[:2] == ["steepest", "train"] and "--resume" not in command:
                flag = next((f for f in ("-o", "--output") if f in command), None)
                outputs.append(command[command.index(flag) + 1] if flag else "model.npz")
    folders = [str(Path(o).parent) for o in outputs]  # history.json goes beside the model
    assert len(outputs) >= 4 and len(set(folders)) == len(folders), outputs


# --- the licence and the changelog ---


def test_license_is_mit_and_ships_in_the_package_metadata():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 steepest contributors\n")
    assert "THE SOFTWARE IS PROVIDED \"AS IS\", WITHOUT WARRANTY OF ANY KIND" in text
    assert PYPROJECT["license"] == "MIT" and PYPROJECT["license-files"] == ["LICENSE"]
    words = " ".join(README.split())
    assert "MIT-licensed: see [LICENSE](LICENSE)" in words
    assert "Creative Commons Attribution-Share Alike 3.0 licence" in words  # MNIST's own


def test_changelog_has_an_unreleased_section_and_this_version():
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "keepachangelog.com" in text
    headings = re.findall(r"^## \[([^\]]+)\]", text, re.M)
    assert headings[0] == "Unreleased" and PYPROJECT["version"] in headings
    assert "[CHANGELOG.md](CHANGELOG.md)" in README


def test_the_source_distribution_carries_license_and_changelog(tmp_path):
    import tarfile

    setuptools = pytest.importorskip("setuptools")
    assert int(setuptools.__version__.split(".")[0]) >= 77  # the PEP 639 licence fields
    copy = tmp_path / "checkout"  # build from a copy: the checkout gets no egg-info
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(
        ".git", "*.egg-info", "build", "dist", "__pycache__", ".*_cache", "tests", "benchmarks"))
    r = subprocess.run([sys.executable, "-c", "import setuptools.build_meta as b; "
                        f"print(b.build_sdist({str(tmp_path)!r}))"], cwd=copy,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    sdist = tmp_path / r.stdout.strip().splitlines()[-1]
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
        pkg_info = tar.extractfile(f"{sdist.name.removesuffix('.tar.gz')}/PKG-INFO").read()
    assert {"LICENSE", "CHANGELOG.md", "README.md", "pyproject.toml"} <= names
    assert b"License-Expression: MIT" in pkg_info and b"License-File: LICENSE" in pkg_info
    assert np.any([n.startswith("src/steepest/datasets/data/") for n in names])
