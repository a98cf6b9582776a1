"""``steepest notebooks``: the course copied into a folder of the learner's, their edits kept."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import steepest
from steepest import course
from steepest.cli import main

#: The notebooks as they are in this checkout: what the package must hand out.
REPO_NOTEBOOKS = Path(__file__).resolve().parents[1] / "src" / "steepest" / "notebooks"
NAMES = sorted(p.name for p in REPO_NOTEBOOKS.glob("*.ipynb"))
MANIFEST = ".steepest-course.json"


def run(*args):
    return CliRunner().invoke(main, ["notebooks", *map(str, args)])


def run_process(*args, cwd=None, env=None):
    env = {k: v for k, v in os.environ.items() if k != "STEEPEST_DEBUG"} | (env or {})
    return subprocess.run([sys.executable, "-m", "steepest", "notebooks", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=120)


def assert_one_line_error(result, *fragments):
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def status_lines(output: str) -> dict[str, str]:
    """``{"04-network.ipynb": "kept your edits; ...", ...}`` from the command's output."""
    found = {}
    for line in output.splitlines():
        name, _, status = line.strip().partition("  ")
        if name in NAMES:
            found[name] = status.strip()
    return found


@pytest.fixture
def source(tmp_path, monkeypatch):
    """A stand-in for the packaged notebooks folder: a copy the test can change."""
    folder = tmp_path / "packaged"
    shutil.copytree(REPO_NOTEBOOKS, folder)
    monkeypatch.setattr(course, "notebook_source", lambda: folder)
    return folder


def change(path: Path, text: str) -> bytes:
    """Add a Markdown cell to a notebook, as a learner (or a new release) would."""
    nb = json.loads(path.read_bytes())
    nb["cells"].append({"cell_type": "markdown", "metadata": {}, "source": [text]})
    path.write_text(json.dumps(nb, indent=1) + "\n")
    return path.read_bytes()


def test_the_first_copy_is_every_notebook_byte_for_byte_with_a_manifest(tmp_path):
    target = tmp_path / "my course"
    r = run(target)
    assert r.exit_code == 0, r.output
    assert len(NAMES) == 9  # the course: 01-perceptron .. 09-your-digit
    assert sorted(p.name for p in target.glob("*.ipynb")) == NAMES
    for name in NAMES:
        assert (target / name).read_bytes() == (REPO_NOTEBOOKS / name).read_bytes()
    manifest = json.loads((target / MANIFEST).read_text())
    assert manifest["format"] == "steepest-course"
    assert manifest["notebooks"] == {
        name: {"sha256": hashlib.sha256((REPO_NOTEBOOKS / name).read_bytes()).hexdigest(),
               "steepest": steepest.__version__}
        for name in NAMES
    }
    assert status_lines(r.output) == dict.fromkeys(NAMES, "copied")
    assert f"{len(NAMES)} notebooks: {len(NAMES)} copied." in r.output
    assert f"Open them with: jupyter lab '{target}'" in r.output  # quoted: it has a space
    assert "notebooks extra" in r.output and "[notebooks]" in r.output


def test_the_default_folder_is_steepest_course_here(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run()
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in (tmp_path / "steepest-course").glob("*.ipynb")) == NAMES
    assert "jupyter lab steepest-course" in r.output


def test_a_rerun_finds_everything_up_to_date_and_writes_nothing(tmp_path):
    target = tmp_path / "course"
    assert run(target).exit_code == 0
    before = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in target.iterdir()}
    r = run(target)
    assert r.exit_code == 0, r.output
    assert status_lines(r.output) == dict.fromkeys(NAMES, "up to date")
    assert f"{len(NAMES)} notebooks: {len(NAMES)} up to date." in r.output
    assert {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in target.iterdir()} == before


def test_an_edited_notebook_is_kept_while_steepest_is_unchanged(tmp_path):
    target = tmp_path / "course"
    assert run(target).exit_code == 0
    mine = change(target / "04-network.ipynb", "my notes")
    r = run(target)
    assert r.exit_code == 0, r.output
    assert status_lines(r.output)["04-network.ipynb"] == "kept your edits"
    assert f"{len(NAMES)} notebooks: 1 kept your edits, {len(NAMES) - 1} up to date." in r.output
    assert (target / "04-network.ipynb").read_bytes() == mine
    assert sorted(p.name for p in target.glob("*.ipynb")) == NAMES  # nothing written beside


def test_a_new_release_updates_untouched_notebooks_and_never_overwrites_edits(tmp_path, source):
    target = tmp_path / "course"
    assert run(target).exit_code == 0
    mine = change(target / "04-network.ipynb", "my notes")
    new_04 = change(source / "04-network.ipynb", "steepest's new cell")  # the next release
    new_05 = change(source / "05-loss.ipynb", "steepest's new cell")
    r = run(target)
    assert r.exit_code == 0, r.output
    beside = f"04-network.steepest-{steepest.__version__}.ipynb"
    lines = status_lines(r.output)
    assert lines["04-network.ipynb"] == f"kept your edits; steepest's version is beside it: " \
                                        f"{beside}"
    assert lines["05-loss.ipynb"] == "updated"
    assert (f"{len(NAMES)} notebooks: 1 updated, 1 kept your edits (steepest's version beside "
            f"it), {len(NAMES) - 2} up to date.") in r.output
    assert (target / "04-network.ipynb").read_bytes() == mine  # the learner's bytes, untouched
    assert (target / beside).read_bytes() == new_04
    assert (target / "05-loss.ipynb").read_bytes() == new_05
    # Again: the same new version is not written a second time.
    r = run(target)
    assert r.exit_code == 0, r.output
    assert status_lines(r.output)["04-network.ipynb"].endswith(f"beside it: {beside}")
    assert status_lines(r.output)["05-loss.ipynb"] == "up to date"
    assert sorted(p.name for p in target.glob("04-*")) == ["04-network.ipynb", beside]
    assert (target / "04-network.ipynb").read_bytes() == mine
    # Nor after the learner worked in the new version too: it was offered once.
    theirs_too = change(target / beside, "more notes")
    r = run(target)
    assert status_lines(r.output)["04-network.ipynb"].endswith(f"beside it: {beside}")
    assert sorted(p.name for p in target.glob("04-*")) == ["04-network.ipynb", beside]
    assert (target / beside).read_bytes() == theirs_too


def test_the_new_version_never_takes_the_name_of_a_file_already_there(tmp_path, source):
    target = tmp_path / "course"
    assert run(target).exit_code == 0
    mine = change(target / "04-network.ipynb", "my notes")
    taken = target / f"04-network.steepest-{steepest.__version__}.ipynb"
    taken.write_text("a file of the learner's that happens to have that name")
    new_04 = change(source / "04-network.ipynb", "steepest's new cell")
    r = run(target)
    assert r.exit_code == 0, r.output
    second = f"04-network.steepest-{steepest.__version__}-2.ipynb"
    assert status_lines(r.output)["04-network.ipynb"].endswith(f"beside it: {second}")
    assert taken.read_text() == "a file of the learner's that happens to have that name"
    assert (target / second).read_bytes() == new_04
    assert (target / "04-network.ipynb").read_bytes() == mine


@pytest.mark.parametrize("manifest, reason", [
    (b"{ not json", "unreadable (Expecting property name"),
    (b"\xff\xfe", "unreadable ("),
    (b'{"format": "steepest-course", "notebooks": {"04-network.ipynb": {"sha256": 4}}}',
     "not a steepest course manifest"),
    (b"[]", "not a steepest course manifest"),
])
def test_a_damaged_manifest_is_reported_and_every_edit_is_kept(tmp_path, manifest, reason):
    target = tmp_path / "course"
    assert run_process(target).returncode == 0
    mine = change(target / "04-network.ipynb", "my notes")
    (target / MANIFEST).write_bytes(manifest)
    r = run_process(target)
    assert_one_line_error(r, f"{target / MANIFEST}: {reason}", "kept as your edit",
                          "a new .steepest-course.json was written")
    lines = status_lines(r.stdout)
    assert lines["04-network.ipynb"].startswith("kept your edits; steepest's version is beside it")
    assert all(lines[n] == "up to date" for n in NAMES if n != "04-network.ipynb")
    assert (target / "04-network.ipynb").read_bytes() == mine
    assert (target / f"04-network.steepest-{steepest.__version__}.ipynb").read_bytes() == \
        (REPO_NOTEBOOKS / "04-network.ipynb").read_bytes()
    again = run_process(target)  # the new manifest reads, and the edit is still kept
    assert again.returncode == 0 and again.stderr == ""
    assert status_lines(again.stdout)["04-network.ipynb"].startswith("kept your edits")
    assert (target / "04-network.ipynb").read_bytes() == mine


def test_a_notebook_there_before_any_manifest_counts_as_the_learners(tmp_path):
    target = tmp_path / "course"
    target.mkdir()
    (target / "01-perceptron.ipynb").write_text("{}")
    r = run(target)
    assert r.exit_code == 0, r.output
    assert status_lines(r.output)["01-perceptron.ipynb"].startswith("kept your edits; ")
    assert (target / "01-perceptron.ipynb").read_text() == "{}"


def test_a_folder_that_is_a_file_is_a_one_line_error(tmp_path):
    path = tmp_path / "course"
    path.write_text("my file")
    r = run_process(path)
    assert_one_line_error(r, f"{path} is a file, not a folder")
    assert path.read_text() == "my file" and r.stdout == ""


def test_a_folder_that_cannot_be_written_is_a_one_line_error():
    r = run_process("/proc/steepest-course")  # refused even to root
    assert_one_line_error(r, "cannot write into /proc/steepest-course")
    assert r.stdout == ""


def test_every_file_follows_the_umask(tmp_path):
    target = tmp_path / "new" / "course"
    old = os.umask(0o027)
    try:
        r = run(target)
    finally:
        os.umask(old)
    assert r.exit_code == 0, r.output
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    for path in target.iterdir():  # the notebooks and the manifest
        assert stat.S_IMODE(path.stat().st_mode) == 0o640, path.name
    assert not [p for p in target.iterdir() if p.name.endswith(".tmp")]


def test_list_shows_each_notebook_and_its_first_heading(tmp_path, source):
    for path in source.iterdir():
        path.unlink()
    (source / "01-a.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "code", "source": ["# a comment, not a heading\n"]},
        {"cell_type": "markdown", "source": ["Some words first.\n", "\n", "## 1. Alpha\n"]}]}))
    (source / "02-b.ipynb").write_text(json.dumps({"cells": [
        {"cell_type": "markdown", "source": "# 2. Beta: β\nmore"}]}))
    (source / "notes.txt").write_text("not a notebook")
    r = run("--list", tmp_path / "never")
    assert r.exit_code == 0, r.output
    assert r.output == "01-a.ipynb  1. Alpha\n02-b.ipynb  2. Beta: β\n"
    assert not (tmp_path / "never").exists()  # --list copies nothing


def test_list_names_the_whole_course():
    r = run("--list")
    assert r.exit_code == 0, r.output
    rows = [line.split(None, 1) for line in r.output.splitlines()]
    assert [name for name, _ in rows] == NAMES
    assert rows[0][1] == "1. The perceptron" and all(title for _, title in rows)


def test_the_notebooks_come_from_the_package_wherever_it_is(tmp_path):
    # steepest imported from a zip archive, away from this checkout: the notebooks are
    # read through importlib.resources, not from a path next to the source tree.
    package = Path(steepest.__file__).parent
    archive = tmp_path / "steepest.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in package.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, Path("steepest") / path.relative_to(package))
    env = {"PYTHONPATH": str(archive)}
    where = subprocess.run([sys.executable, "-c", "import steepest; print(steepest.__file__)"],
                           capture_output=True, text=True, env=os.environ | env, cwd=tmp_path)
    assert where.stdout.strip() == str(archive / "steepest" / "__init__.py"), where.stderr
    r = run_process(tmp_path / "course", cwd=tmp_path, env=env)
    assert r.returncode == 0, r.stderr
    for name in NAMES:
        assert (tmp_path / "course" / name).read_bytes() == (REPO_NOTEBOOKS / name).read_bytes()


def test_the_summary_counts_each_outcome_and_the_versions_beside():
    from steepest.cli.course import summary
    from steepest.course import Copied

    kept = [Copied("a.ipynb", "kept your edits", "a.steepest-1.ipynb"),
            Copied("b.ipynb", "kept your edits", "b.steepest-1.ipynb"),
            Copied("c.ipynb", "kept your edits")]
    assert summary(kept[:2] + [Copied("d.ipynb", "copied")]) == \
        "3 notebooks: 1 copied, 2 kept your edits (steepest's version beside each)."
    assert summary(kept + [Copied("e.ipynb", "up to date")]) == \
        "4 notebooks: 3 kept your edits (2 with steepest's version beside), 1 up to date."
