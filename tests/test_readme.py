"""The README and the site's pages, followed by a newcomer: every snippet runs alone, every
command can be installed, every link from the README leads somewhere.

The README is a page or two; the detail is on the site's pages (``docs/**/*.md``), which read
as Markdown on a code host too.  So the checks below run over the README and every page:
every ```python block runs on its own in a fresh process, in an empty folder (a snippet that
needs another snippet's names, ``NameError: mnist``, fails here).  A block that reads a file a
page makes before it (``model.onnx``, ``digit.png``) gets that file first, made the way the
page makes it (``steepest train``, ``steepest export``), never by editing the page's code.
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
#: The site's Markdown pages (not the build, nor the generated course and API pages).
PAGES = sorted(p for p in (ROOT / "docs").rglob("*.md")
               if not {"_build", "_ext", "_templates"} & set(p.relative_to(ROOT).parts))
#: What a newcomer reads: the README, then the site's pages, by their path in the checkout.
TEXTS = {"README.md": README} | {
    p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8") for p in PAGES}
EVERYTHING = "\n".join(TEXTS.values())


def blocks(language: str, texts: dict[str, str] = TEXTS) -> list[tuple[str, str]]:
    """(where, code) of every ```language block of ``texts``."""
    return [(name, code) for name, text in texts.items()
            for code in re.findall(rf"^```{language}\n(.*?)^```", text, re.M | re.S)]


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


def github_anchor(heading: str) -> str:
    """The anchor a code host (and MyST, which resolves it) gives a Markdown heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """The anchors of a page's headings (not of a code block's comment lines)."""
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return {github_anchor(h) for h in re.findall(r"^#{1,6} (.+)$", prose, re.M)}


# --- every python block runs alone ---


@pytest.fixture(scope="module")
def exported_model(tmp_path_factory, mnist_data):
    """``model.onnx`` and ``digit.png`` as the ONNX page makes them: `steepest train`, then
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


def test_the_pages_have_the_snippets_this_file_runs():
    # so that a change in how blocks are marked, or where pages live, cannot make every test
    # below vacuous: the snippets the README held before it was trimmed are on these pages
    where = {name for name, _ in PYTHON}
    assert len(PYTHON) >= 4
    assert {"docs/getting-started.md", "docs/guide/training.md", "docs/guide/sklearn.md",
            "docs/guide/onnx.md"} <= where
    assert any("run_with_progress" in code for _, code in PYTHON)
    assert any("onnxruntime" in code for _, code in PYTHON)


def _block_ids() -> list[str]:
    seen: dict[str, int] = {}
    ids = []
    for name, _ in PYTHON:
        ids.append(f"{name}:block{seen.get(name, 0)}")
        seen[name] = seen.get(name, 0) + 1
    return ids


@pytest.mark.parametrize("where, code", PYTHON, ids=_block_ids())
def test_each_python_block_runs_alone(where, code, tmp_path, request):
    for module in imported_modules(code) - {"steepest"}:
        pytest.importorskip(module)
    expected = None
    if "model.onnx" in code or "digit.png" in code:  # the files the ONNX page's lines read
        folder, expected = request.getfixturevalue("exported_model")
        for name in ("model.onnx", "digit.png"):
            shutil.copy(folder / name, tmp_path / name)
    script = tmp_path / "snippet.py"
    script.write_text(code, encoding="utf-8")
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600, env=child_env())
    assert r.returncode == 0, f"{where}: the block fails alone:\n{code}\n{r.stderr}"
    assert r.stdout.strip(), "every snippet prints what it computed"
    if expected is not None:  # the digit the five lines classify
        assert r.stdout.strip() == str(expected)


def test_the_long_snippet_shows_progress_and_says_how_long_it_takes():
    (where, code), = [(w, c) for w, c in PYTHON if "TrainConfig(" in c]
    assert "run_with_progress" in code
    text = TEXTS[where]
    before = text[: text.index(code)].rsplit("```", 1)[0].rstrip().rsplit("\n\n", 1)[-1]
    assert re.search(r"about \d+ s", before), before


# --- what the snippets and commands need can be installed as the pages say ---


def test_every_module_a_snippet_imports_comes_with_steepest_or_an_extra():
    # onnxruntime used to be in the test extra only: the README's five lines could not run
    # after the README's own install line
    installed = set().union(*(names for extra, names in extras().items() if extra != "test"))
    installed.add("steepest")
    dists = packages_distributions()
    for where, code in PYTHON:
        for module in imported_modules(code):
            if module in sys.stdlib_module_names:
                continue
            names = {requirement_name(d) for d in dists.get(module, [module])}
            assert names & installed, f"{where}: {module} ({names}) is in no extra but 'test'"


def test_the_onnx_extra_runs_what_it_writes():
    assert {"onnx", "onnxruntime"} <= extras()["onnx"]


#: Programs the pages' commands run that steepest does not install through a pip line:
#: None for this package, Python and the system's tools; else the (extra, distribution).
PROGRAMS = {"python": None, "steepest": None, "apt-get": None, "scp": None,
            "dask": ("sweep", "dask"), "jupyter": ("notebooks", "jupyterlab"),
            "ruff": ("test", "ruff")}


def commands() -> set[str]:
    """The program of every command in the README's and the pages' bash blocks."""
    found = set()
    for _, block in blocks("bash"):
        continued = False
        for line in block.splitlines():
            text = line.split(" #", 1)[0].strip()
            if text and not continued:
                for part in text.split("&&"):
                    words = [w for w in part.split() if not re.fullmatch(r"[A-Z_]+=\S*", w)]
                    found.add(words[0])  # the program, after any VAR=value
            continued = text.endswith("\\")
    return found


def test_every_program_the_pages_run_is_installed_by_a_line_of_theirs():
    # optuna-dashboard used to be shown without how to get it
    programs = commands()
    assert {"steepest", "python", "dask", "optuna-dashboard"} <= programs
    for program in programs:
        if program in PROGRAMS:
            if PROGRAMS[program] is not None:
                extra, dist = PROGRAMS[program]
                assert dist in extras()[extra]
            continue
        assert re.search(rf"python -m pip install [^\n`]*\b{re.escape(program)}\b",
                         EVERYTHING), f"a page runs {program} but no line says how to install it"


def test_install_lines_name_this_checkout_not_a_package_index():
    # steepest installs from its source: 'steepest[sweep]' would look for it on an index
    assert [name for name, text in TEXTS.items() if "steepest[" in text] == []
    named = set(re.findall(r'-e "\.\[(\w+)\]"', EVERYTHING))
    assert named and named <= set(PYPROJECT["optional-dependencies"])
    assert {"test", "docs"} <= set(re.findall(r'-e "\.\[(\w+)\]"', README))
    # and the worker machines of a sweep get this checkout as a wheel
    sweeps = TEXTS["docs/guide/sweeps.md"]
    assert "python -m pip wheel --no-deps -w dist ." in sweeps
    assert 'python -m pip install "steepest-0.1.0-py3-none-any.whl[sweep]"' in sweeps
    assert PYPROJECT["version"] == "0.1.0", "the sweep page's wheel names the version"


def test_the_pages_train_commands_do_not_replace_each_others_files():
    # following the README in order used to overwrite the first model.npz without a word
    # (now steepest train refuses, so a page that did would stop its reader): each distinct
    # train command the README and the pages show writes into a folder of its own
    outputs = {}
    for _, block in blocks("bash"):
        text = re.sub(r"\\\n\s*", " ", block)
        for line in text.splitlines():
            command = line.split(" #", 1)[0].split()
            if command[:2] == ["steepest", "train"] and "--resume" not in command:
                flag = next((f for f in ("-o", "--output") if f in command), None)
                outputs[" ".join(command)] = (command[command.index(flag) + 1] if flag
                                              else "model.npz")
    folders = [str(Path(o).parent) for o in outputs.values()]  # history.json goes beside it
    assert len(outputs) >= 4 and len(set(folders)) == len(folders), outputs


# --- the README: a page or two, and its links lead into the site ---


def test_the_readme_is_a_page_or_two():
    assert 60 <= len(README.splitlines()) <= 130


def test_the_readme_keeps_the_two_commands_and_ci_runs_the_second_verbatim():
    train = 'python -m pip install -e . && steepest train'
    tests = 'python -m pip install -e ".[test]" && python -m pytest'
    bash = [code.strip() for _, code in blocks("bash", {"README.md": README})]
    assert bash[:2] == [train, tests]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == tests


def test_the_readme_links_into_the_site_by_paths_that_exist():
    links = re.findall(r"\]\(([^)\s]+)\)", README)
    local = [link for link in links if not re.match(r"[a-z]+:", link)]
    assert sum(link.startswith("docs/") for link in local) >= 12
    for link in local:
        path, _, fragment = link.partition("#")
        target = ROOT / path
        assert target.exists(), link
        if fragment:
            assert fragment in anchors(target.read_text(encoding="utf-8")), link


def test_each_built_page_the_readme_names_has_its_source():
    built = re.findall(r"\| `([\w/-]+)\.html` \|", README)  # the table's column
    assert len(built) >= 12 and "`docs/_build/html/index.html`" in README
    for page in built:
        assert (ROOT / "docs" / f"{page}.md").exists(), page
    build = ('python -m pip install -e ".[docs]" && '
             "python -m sphinx -W -b html docs docs/_build/html")
    assert build in README and build in TEXTS["docs/contributing.md"]


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
